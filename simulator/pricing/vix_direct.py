"""VIX futures and VIX options under SVCJ (Q), from the affine transform of v_T.

VIX at expiry T is ``100 sqrt(A + B v_T)`` (docs/model.md §2.2), so both contracts are
expectations of a function of ``v_T`` given ``v_t``. The transform (Zhu & Lian 2012
eqs. 10–11 / A1–A6; docs/model.md §2.3), for CIR with compound-Poisson exponential jumps and
Q parameters::

    E[exp(phi v_T) | v_t = v] = exp(C + D v + A_J)
    D   = 2 kappa phi / (sigma^2 phi + (2 kappa - sigma^2 phi) e^{kappa tau})
    C   = -(2 kappa theta / sigma^2) ln(1 + sigma^2 phi (e^{-kappa tau} - 1) / (2 kappa))
    A_J = 2 mu_v lam / (2 mu_v kappa - sigma^2)
          * ln(1 + phi (sigma^2 - 2 mu_v kappa) (e^{-kappa tau} - 1) / (2 kappa (1 - mu_v phi)))

- **Futures** ``F = 100 E[sqrt(A + B v_T)]`` by Schürger's identity (Zhu & Lian eq. 9; docs/model.md
  §2.4): ``sqrt(x) = (2 sqrt(pi))^{-1} int_0^inf (1 - e^{-s x}) s^{-3/2} ds``, which needs the
  transform only at real negative arguments (no oscillation). With ``s = t^2`` and
  ``t = y / (1 - y)`` the integrand is smooth on [0, 1): Gauss–Legendre in y.
- **Options** by COS on the law of ``v_T`` (Fang & Oosterlee 2008, density recovery eq. (11)):
  the density on a fine grid of [0, E v_T + L sd v_T] from the transform at ``phi = i u``,
  then the payoff integrated by the midpoint rule. Calls and puts from the same density.
"""

from __future__ import annotations

import math

import numpy as np
from scipy import fft

from simulator.model.moments import variance_mean, variance_var
from simulator.model.params import MeasureParams
from simulator.model.vix import vix_coefficients

_SCHURGER_NODES, _SCHURGER_WEIGHTS = np.polynomial.legendre.leggauss(160)
_SCHURGER_Y = 0.5 * (_SCHURGER_NODES + 1.0)
_SCHURGER_W = 0.5 * _SCHURGER_WEIGHTS
VT_COS_TERMS = 1024
VT_GRID_POINTS = 8192  # density points; a multiple of VT_COS_TERMS for the DCT
VT_TRUNCATION_L = 12.0


def variance_transform(phi, q: MeasureParams, tau: float, v) -> np.ndarray:
    """E_Q[exp(phi v_T) | v_t = v] for complex ``phi`` (needs Re(mu_v phi) < 1)."""
    phi = np.asarray(phi, dtype=complex)
    v = np.asarray(v, dtype=float)
    k, th, s2, lam, mu = q.kappa, q.theta, q.sigma_v**2, q.lam, q.mu_v
    em1 = math.expm1(-k * tau)  # e^{-kappa tau} - 1
    d = 2 * k * phi / (s2 * phi + (2 * k - s2 * phi) * math.exp(k * tau))
    c = -(2 * k * th / s2) * np.log(1 + s2 * phi * em1 / (2 * k))
    a_j = np.zeros_like(phi)
    if lam > 0 and mu > 0:
        denom = 2 * mu * k - s2
        if abs(denom) < 1e-12:  # removable singularity at 2 mu kappa = sigma^2: step off it
            denom = 1e-12 if denom >= 0 else -1e-12
        a_j = (2 * mu * lam / denom) * np.log(
            1 + phi * (s2 - 2 * mu * k) * em1 / (2 * k * (1 - mu * phi)))
    return np.exp(c + a_j + d * v)


def vix_future(v, tau: float, q: MeasureParams) -> np.ndarray:
    """VIX future in index points, ``100 E_Q[sqrt(A + B v_T) | v_t = v]``, expiry in ``tau`` years.

    At tau = 0 this is spot VIX. Vectorised over ``v``.
    """
    v = np.asarray(v, dtype=float)
    a, b = vix_coefficients(q)
    if tau <= 0:
        return 100 * np.sqrt(a + b * np.maximum(v, 0))
    y = _SCHURGER_Y
    t = y / (1 - y)
    s = t * t
    transform = variance_transform(-s * b, q, tau, v[..., None]).real  # (..., nodes)
    # (1 - e^{-s A} E[e^{-s B v_T}]) s^{-3/2} ds, with ds = 2 t dt and dt = dy / (1 - y)^2
    integrand = (1 - np.exp(-s * a) * transform) * 2 / (t * t) / (1 - y) ** 2
    return 100 / (2 * math.sqrt(math.pi)) * (integrand @ _SCHURGER_W)


def _vt_density(q: MeasureParams, tau: float, v: float, n_terms: int = VT_COS_TERMS,
                n_grid: int = VT_GRID_POINTS):
    """Grid (midpoints), spacing and density of v_T by COS density recovery."""
    mean = variance_mean(q, v, tau)
    sd = math.sqrt(max(variance_var(q, v, tau), 0.0))
    lo = max(0.0, mean - VT_TRUNCATION_L * sd)
    hi = mean + VT_TRUNCATION_L * sd
    if q.lam > 0 and q.mu_v > 0:
        # at short maturities sd is tiny but one exponential jump can still land: keep its
        # tail (P(Z_v > 10 mu_v) = e^-10) inside the range
        hi = max(hi, mean + 10 * q.mu_v)
    width = hi - lo
    w = np.arange(n_terms) * math.pi / width
    y, dy, density = cos_density(variance_transform(1j * w, q, tau, v), w, lo, width, n_grid)
    # not clipped at 0: the series oscillates near a singular density (Feller violated), and
    # only the unclipped series integrates payoffs correctly
    return y, dy, density


def cos_density(f, w, lo, width: float, n_grid: int):
    """(midpoints, spacing, density) of a variable on [lo, lo + width] from its characteristic
    function ``f`` at ``w = k pi / width`` by COS density recovery (Fang & Oosterlee 2008,
    eq. (11)). ``f`` and ``lo`` may carry a leading axis of states (one density each)."""
    f = np.asarray(f)
    lo_arr = np.asarray(lo, dtype=float)
    coef = 2 / width * np.real(f * np.exp(-1j * w * lo_arr[..., None]))
    coef[..., 0] *= 0.5
    dy = width / n_grid
    # sum_k coef_k cos(pi k (j + 1/2) / M) at the midpoints is a DCT-III of length M:
    # scipy's computes x_0 + 2 sum_{k>0} x_k cos(...), hence the halving of k > 0
    padded = np.zeros((*coef.shape[:-1], n_grid))
    padded[..., :coef.shape[-1]] = coef
    padded[..., 1:] *= 0.5
    y = lo_arr[..., None] + (np.arange(n_grid) + 0.5) * dy
    return y, dy, fft.dct(padded, type=3, axis=-1)


def vix_option_prices(v: float, tau: float, strikes, q: MeasureParams, r: float,
                      kind: str = "call", future: float | None = None,
                      n_terms: int = VT_COS_TERMS, n_grid: int = VT_GRID_POINTS) -> np.ndarray:
    """VIX calls or puts (index points, discounted) for one ``v`` and maturity ``tau`` years.

    Calls integrate the payoff against the COS density of v_T. A call struck above the VIX floor
    ``100 sqrt(A)`` pays nothing near v_T = 0, where the density is singular when the Feller
    condition fails and its series converges slowly; a call struck at or below the floor is
    always exercised and worth exactly ``e^{-r tau} (F - K)``. Puts follow by put–call parity
    with the Schürger future ``F`` (accurate to ~1e-10), never from the density's left tail.
    ``future`` may be passed when already known (table builds).
    """
    if kind not in ("call", "put"):
        raise ValueError(f"kind must be 'call' or 'put', got {kind!r}")
    strikes = np.atleast_1d(np.asarray(strikes, dtype=float))
    a, b = vix_coefficients(q)
    if tau <= 0:
        vix = 100 * math.sqrt(a + b * max(v, 0))
        diff = vix - strikes if kind == "call" else strikes - vix
        return np.maximum(diff, 0.0)
    disc = math.exp(-r * tau)
    future = float(vix_future(v, tau, q)) if future is None else float(future)
    y, dy, density = _vt_density(q, tau, v, n_terms, n_grid)
    vix_t = 100 * np.sqrt(a + b * y)
    calls = disc * (np.maximum(vix_t[None, :] - strikes[:, None], 0.0) @ density) * dy
    calls = np.where(strikes <= 100 * math.sqrt(a), disc * (future - strikes), calls)
    calls = np.maximum(calls, disc * np.maximum(future - strikes, 0.0))  # no-arbitrage floor
    if kind == "call":
        return calls
    return calls - disc * (future - strikes)
