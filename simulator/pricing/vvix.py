"""The model's VVIX: Cboe's 30-day VIX-option variance index, computed on the model's own VIX
options.

Cboe computes VVIX from a strip of VIX options with the VIX formula (Cboe, "VVIX White
Paper"; the VIX method of the "Cboe Volatility Index White Paper", eq. (1)):

    sigma^2 = (2/T) sum_i dK_i / K_i^2 e^{rT} Q(K_i) - (1/T) (F/K_0 - 1)^2

with out-of-the-money puts and calls Q(K_i) on the VIX future F of their expiry. In the limit of
a continuous strip this is the log contract (Carr & Madan 1998; Demeterfi, Derman, Kamal & Zou
1999, eq. (26)): for a forward F = E_Q[VIX_T],

    sigma^2 T = 2 E_Q[ln(F / VIX_T)] = 2 (ln F - ln 100 - E_Q[ln X_T] / 2),

where VIX_T = 100 sqrt(X_T) and X_T = A + B v_T (+ C m_T) is the model's 30-day variance at T
(docs/two_factor.md "VIX"). :func:`model_vvix` computes E[ln X_T] from the transform of X at
real negative arguments, the same transform the VIX futures use, by Frullani's integral

    ln x = int_0^inf (e^{-s} - e^{-s x}) / s ds      (x > 0),

with s = e^u and the trapezoid rule in u (the integrand is smooth and decays exponentially
at both ends, so the rule converges geometrically). :func:`vvix_from_strip` is the discrete
Cboe formula on the model's option prices, an independent check (the tests hold the two
together). Cboe interpolates two listed expiries to 30 days; the model prices at 30 calendar
days directly.
"""

from __future__ import annotations

import functools
import math

import numpy as np
from numba import njit

from simulator.common.conventions import VIX_WINDOW_YEARS
from simulator.model.params import Model

VVIX_WINDOW_YEARS = VIX_WINDOW_YEARS  # 30 calendar days, as VIX
# Frullani nodes: s = e^u, u from -28 (the integrand is s (E X - 1) there, < 1e-12) to where
# e^{-s A} has died (s A > 60 at the smallest VIX floor a model may have, A >= 1e-4)
_U_STEP = 0.04
_U = np.arange(-28.0, math.log(60.0 / 1e-4) + _U_STEP, _U_STEP)
_S = np.exp(_U)


def _x_laplace(model: Model, tau: float, v, m) -> np.ndarray:
    """E_Q[exp(-s X_T) | state] at the Frullani nodes s, shape (states, nodes)."""
    q = model.Q
    v = np.maximum(np.atleast_1d(np.asarray(v, dtype=float)), 0.0)
    if model.two_factor:
        from simulator.model.vix import vix_state_coefficients
        from simulator.pricing.affine2 import state_transform

        a, b, c = vix_state_coefficients(q)
        m = np.maximum(np.atleast_1d(np.asarray(m, dtype=float)), 0.0)
        transform = state_transform(q, tau, v, m, -_S * b, -_S * c).real
    else:
        from simulator.model.vix import vix_coefficients
        from simulator.pricing.vix_direct import variance_transform

        a, b = vix_coefficients(q)
        transform = variance_transform(-_S[None, :] * b, q, tau, v[:, None]).real
    return np.exp(-_S * a) * transform


def expected_log_x(model: Model, tau: float, v, m=None) -> np.ndarray:
    """E_Q[ln X_T | v, m] (X in decimal variance) at maturity ``tau`` years, by Frullani's
    integral of the Laplace transform of X."""
    integrand = np.exp(-_S) - _x_laplace(model, tau, v, m)  # (e^-s - E e^-sX) / s * ds, ds = s du
    return _U_STEP * (integrand.sum(axis=-1) - 0.5 * (integrand[..., 0] + integrand[..., -1]))


def model_vvix(model: Model, v, m=None, tau_years: float = VVIX_WINDOW_YEARS) -> np.ndarray:
    """VVIX (vol points) of the model at states (v, m): the continuous-strike Cboe index of its
    VIX options expiring in ``tau_years`` (30 calendar days by default)."""
    future = _future(model, tau_years, v, m)
    log_vix = math.log(100.0) + 0.5 * expected_log_x(model, tau_years, v, m)
    variance = 2.0 / tau_years * (np.log(future) - log_vix)
    return 100.0 * np.sqrt(np.maximum(variance, 0.0))


def _future(model: Model, tau: float, v, m) -> np.ndarray:
    v = np.atleast_1d(np.asarray(v, dtype=float))
    if model.two_factor:
        from simulator.pricing.affine2 import vix_future

        return np.atleast_1d(vix_future(v, np.atleast_1d(np.asarray(m, dtype=float)), tau,
                                        model.Q))
    from simulator.pricing.vix_direct import vix_future

    return np.atleast_1d(vix_future(v, tau, model.Q))


def vvix_from_strip(model: Model, v: float, m: float | None = None,
                    tau_years: float = VVIX_WINDOW_YEARS, strike_step: float = 0.05,
                    width_sd: float = 12.0) -> float:
    """VVIX (vol points) by Cboe's discrete formula on the model's VIX options at one state:
    strikes every ``strike_step`` points from the VIX floor to ``width_sd`` standard deviations
    of VIX_T above the future, out-of-the-money puts below K_0 (the strike just below F) and
    calls above, prices from the option pricers' COS densities."""
    from simulator.pricing import affine2, vix_direct

    tau, r = tau_years, model.r
    future = float(_future(model, tau, v, m)[0])
    if model.two_factor:
        from simulator.model.vix import vix_state_coefficients

        floor = 100.0 * math.sqrt(vix_state_coefficients(model.Q)[0])

        def prices(strikes, kind):
            return affine2.vix_option_prices(v, m, tau, strikes, model.Q, r, kind=kind,
                                             future=future)
    else:
        from simulator.model.vix import vix_coefficients

        floor = 100.0 * math.sqrt(vix_coefficients(model.Q)[0])

        def prices(strikes, kind):
            return vix_direct.vix_option_prices(v, tau, strikes, model.Q, r, kind=kind,
                                                future=future)
    atm = float(prices(np.array([future]), "call")[0])
    sd = max(atm * math.exp(r * tau) * math.sqrt(2 * math.pi), 1e-3)  # ATM call ~ sd/sqrt(2pi)
    lo = strike_step * math.floor(max(floor, future - width_sd * sd) / strike_step)
    strikes = np.arange(max(lo, strike_step), future + width_sd * sd, strike_step)
    k0 = strikes[strikes <= future].max()
    q_k = np.where(strikes < k0, prices(strikes, "put"), prices(strikes, "call"))
    q_k[strikes == k0] = 0.5 * (prices(np.array([k0]), "put")[0]
                                + prices(np.array([k0]), "call")[0])
    d_k = np.gradient(strikes)  # Cboe: half the distance between the strikes on either side
    variance = (2 / tau) * np.sum(d_k / strikes**2 * math.exp(r * tau) * q_k) \
        - (future / k0 - 1.0) ** 2 / tau
    return 100.0 * math.sqrt(variance)


# the fine grid a VvixTable reads linearly: this many cells per cell of the exact-node grid
# (the linear read's error falls as the square of the cell: 0.45 vol points on the nodes' own
# grid, about 0.45 / 8**2 = 0.007 on this one, below the cubic's own 0.03)
_REFINE = 8


@njit(cache=True)
def _read_fine_grid(values, step_v, step_m, root_v, root_m, out):
    """Bilinear read of ``values`` (a grid uniform in sqrt(v) from 0 by ``step_v``, and in
    sqrt(m) by ``step_m``; one column when ``step_m`` is 0) at each (root_v[i], root_m[i]),
    clipped to the grid (the points are already clipped by the caller)."""
    nv, nm = values.shape
    for i in range(root_v.size):
        x = root_v[i] / step_v
        j = min(int(x), nv - 2)
        wx = x - j
        if step_m > 0.0:
            y = root_m[i] / step_m
            k = min(int(y), nm - 2)
            wy = y - k
            out[i] = ((1.0 - wx) * ((1.0 - wy) * values[j, k] + wy * values[j, k + 1])
                      + wx * ((1.0 - wy) * values[j + 1, k] + wy * values[j + 1, k + 1]))
        else:
            out[i] = (1.0 - wx) * values[j, 0] + wx * values[j + 1, 0]


class VvixTable:
    """:func:`model_vvix` tabulated over the state once per model, for every day of every path:
    exact values on a grid uniform in sqrt(v) (and sqrt(m)), interpolated by cubic splines
    (scipy's ``RegularGridInterpolator``, ``cubic``) onto a grid ``_REFINE`` times finer that
    a numba kernel reads bilinearly (scipy's cubic read of every path-day cost a quarter of
    the day loop's time; this read, about a fiftieth); states beyond the grid are read at its
    edge. The error against :func:`model_vvix` is held in tests/test_vvix.py (below 0.05 vol
    points over the states paths visit), and the fine grid's against the cubic read."""

    def __init__(self, model: Model, tau_years: float = VVIX_WINDOW_YEARS, v_nodes: int = 96,
                 m_nodes: int = 48, v_max: float = 3.0, m_max: float = 1.0):
        from scipy.interpolate import RegularGridInterpolator

        self.two_factor = model.two_factor
        self.root_v = np.linspace(0.0, math.sqrt(v_max), v_nodes)
        if self.two_factor:
            self.root_m = np.linspace(0.0, math.sqrt(m_max), m_nodes)
            rv, rm = np.meshgrid(self.root_v, self.root_m, indexing="ij")
            values = model_vvix(model, rv.ravel() ** 2, rm.ravel() ** 2, tau_years)
            self._cubic = RegularGridInterpolator((self.root_v, self.root_m),
                                                  values.reshape(rv.shape), method="cubic")
            fine_v = np.linspace(0.0, self.root_v[-1], _REFINE * (v_nodes - 1) + 1)
            fine_m = np.linspace(0.0, self.root_m[-1], _REFINE * (m_nodes - 1) + 1)
            fv, fm = np.meshgrid(fine_v, fine_m, indexing="ij")
            self._fine = self._cubic(np.stack([fv.ravel(), fm.ravel()], axis=-1)
                                     ).reshape(fv.shape)
            self._step_m = float(fine_m[1])
        else:
            values = model_vvix(model, self.root_v**2, None, tau_years)
            self._cubic = RegularGridInterpolator((self.root_v,), values, method="cubic")
            fine_v = np.linspace(0.0, self.root_v[-1], _REFINE * (v_nodes - 1) + 1)
            self._fine = self._cubic(fine_v[:, None])[:, None]
            self._step_m = 0.0
        self._step_v = float(fine_v[1])

    def __call__(self, v, m=None) -> np.ndarray:
        v = np.asarray(v, dtype=float)
        points = [np.clip(np.sqrt(np.maximum(v, 0.0)), 0.0, self.root_v[-1])]
        if self.two_factor:
            if m is None:
                raise ValueError("a two-factor model's VVIX needs the central tendency m")
            m = np.broadcast_to(np.asarray(m, dtype=float), v.shape)
            points.append(np.clip(np.sqrt(np.maximum(m, 0.0)), 0.0, self.root_m[-1]))
        root_v = np.ascontiguousarray(points[0].ravel())
        # one factor: the m argument is not read (step_m 0), any array of the size will do
        root_m = np.ascontiguousarray(points[1].ravel()) if self.two_factor else root_v
        out = np.empty(root_v.size)
        _read_fine_grid(self._fine, self._step_v, self._step_m, root_v, root_m, out)
        return out.reshape(v.shape)

    def cubic(self, v, m=None) -> np.ndarray:
        """The cubic read of the exact nodes itself (the fine grid's source; for tests)."""
        v = np.asarray(v, dtype=float)
        points = [np.clip(np.sqrt(np.maximum(v, 0.0)), 0.0, self.root_v[-1])]
        if self.two_factor:
            m = np.broadcast_to(np.asarray(m, dtype=float), v.shape)
            points.append(np.clip(np.sqrt(np.maximum(m, 0.0)), 0.0, self.root_m[-1]))
        return self._cubic(np.stack([p.ravel() for p in points], axis=-1)).reshape(v.shape)


def vvix_table(model: Model) -> VvixTable:
    """The :class:`VvixTable` of ``model`` (its default grid), built once per process for its
    Q parameters: every engine of a run, and every run of a session, on models with the same
    Q shares it (0.3-0.4 s to build for a two-factor model, a tenth of a 16,384-path run's day
    loop). A model's VVIX is a price under Q, and the table reads nothing else of the model
    (``Q``, and ``two_factor``, which is Q's): the claims' six scenarios differ under P only
    (initial states, P presets) and share one table, where keyed by the whole model they
    built five."""
    slot = _slot_for_q(model.Q)
    if not slot:
        slot.append(VvixTable(model))
    return slot[0]


@functools.lru_cache(maxsize=8)
def _slot_for_q(q) -> list[VvixTable]:
    """A holder per Q parameter set (the eight most recent), which :func:`vvix_table` fills
    with the table of the first model it sees with them."""
    return []
