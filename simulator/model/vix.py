"""VIX as a function of the state (docs/model.md §2.2): ``VIX_t^2 / 100^2 = A + B v_t`` (one
factor) or ``A + B v_t + C m_t`` (two factors, m the variance's stochastic central tendency).

The VIX squared is the price of the 30-calendar-day log contract,
``-(2/tau) E_Q[ln(S_{t+tau}/F)]`` (Cboe white paper; docs/model.md §2.1), which for a jump-diffusion
is ``(1/tau) E_Q[int v_s ds] + (2/tau) E_Q[int lam_s ds] xi`` with ``xi = E[e^Z - 1 - Z]`` =
``mbar - E[Z_x]`` (the jump term that breaks VIX^2 = E[quadratic variation]/tau). Everything
is affine in the state.

**One factor** (SVCJ; Zhu & Lian 2012 eqs. 5–6, citing Lin 2007 and Duan & Yeh 2010;
docs/model.md §2.2)::

    B = (1 - exp(-kappa tau)) / (kappa tau)
    A = theta_star (1 - B) + 2 lam xi,   theta_star = theta + lam mu_v / kappa

**Two factors** (``dv = kappa (m - v) dt + ... + Z_v dN``, ``dm = kappa_m (theta - m) dt + ...``,
jump intensity ``lam + lam1 v``; docs/two_factor.md). The means solve a linear system::

    dE[m]/dt = kappa_m (theta - E[m])
    dE[v]/dt = kappa E[m] - kappa~ E[v] + lam mu_v,     kappa~ = kappa - lam1 mu_v

so with ``b(k) = (1 - e^{-k tau}) / (k tau)`` (the mean of ``e^{-k s}`` over [0, tau]) and
``v* = (kappa theta + lam mu_v) / kappa~``::

    (1/tau) int_0^tau E[v_s] ds = B0 v + C0 m + A0
    B0 = b(kappa~),   C0 = kappa (b(kappa_m) - b(kappa~)) / (kappa~ - kappa_m),
    A0 = v* (1 - B0) - theta C0

and ``VIX^2/100^2 = 2 lam xi + (1 + 2 lam1 xi) (A0 + B0 v + C0 m)``. With ``kappa_m = 0``,
``lam1 = 0`` and ``m = theta`` this is the one-factor formula.

A variance shift ``phi`` (Heston++: the log price's instantaneous variance is ``v + phi``, its
extra part an independent Brownian motion; Pacati, Pompa & Reno 2018, J. Banking & Finance 96)
adds ``phi`` to ``A`` (one and two factors): the log contract prices the expected integrated
variance, which gains ``phi tau``.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

from simulator.common.conventions import VIX3M_WINDOW_YEARS, VIX_WINDOW_YEARS

if TYPE_CHECKING:  # params imports this module for Model.vix_index: no import at run time
    from simulator.model.params import MeasureParams


class StateError(ValueError):
    """Two observed points of the VIX curve that no state (v >= 0, m >= 0) of the model gives."""


def vix_coefficients(q: MeasureParams, tau_years: float = VIX_WINDOW_YEARS) -> tuple[float, float]:
    """(A, B) such that VIX^2/100^2 = A + B v for a log contract of ``tau_years`` (one factor)."""
    if not tau_years > 0:
        raise ValueError(f"tau_years must be > 0, got {tau_years!r}")
    kt = q.kappa * tau_years
    # (1 - e^{-x})/x by expm1 keeps full precision for small kappa tau
    b = -math.expm1(-kt) / kt
    a = q.theta_star * (1.0 - b) + 2.0 * q.lam * (q.mbar - q.mean_log_jump) + q.phi
    return a, b


def _mean_discount(k: float, tau: float) -> float:
    """b(k) = (1 - e^{-k tau}) / (k tau), with b(0) = 1."""
    x = k * tau
    return 1.0 if x == 0.0 else -math.expm1(-x) / x


def _mean_discount_slope(k: float, tau: float) -> float:
    """d b(k) / dk = (e^{-k tau} (1 + k tau) - 1) / (k^2 tau), with its limit -tau/2 at 0."""
    x = k * tau
    if abs(x) < 1e-4:
        return -tau / 2.0 + tau * x / 3.0
    return (math.exp(-x) * (1.0 + x) - 1.0) / (k * k * tau)


def vix_state_coefficients(q: MeasureParams, tau_years: float = VIX_WINDOW_YEARS
                           ) -> tuple[float, float, float]:
    """(A, B, C) such that VIX^2/100^2 = A + B v + C m for a log contract of ``tau_years``.

    For a one-factor ``q`` (kappa_m = 0), m stays at theta: C is the weight a two-factor model
    with a frozen m would give it, and ``A + C theta`` is the one-factor A.
    """
    if not tau_years > 0:
        raise ValueError(f"tau_years must be > 0, got {tau_years!r}")
    kt, km = q.kappa_tilde, q.kappa_m
    b_v = _mean_discount(kt, tau_years)
    if abs(kt - km) < 1e-8 * max(kt, 1.0):
        c0 = -q.kappa * _mean_discount_slope(kt, tau_years)
    else:
        c0 = q.kappa * (_mean_discount(km, tau_years) - b_v) / (kt - km)
    v_star = (q.kappa * q.theta + q.lam * q.mu_v) / kt
    a0 = v_star * (1.0 - b_v) - q.theta * c0
    xi = q.mbar - q.mean_log_jump
    scale = 1.0 + 2.0 * q.lam1 * xi
    return 2.0 * q.lam * xi + scale * a0 + q.phi, scale * b_v, scale * c0


def vix_index(q: MeasureParams, v, tau_years: float = VIX_WINDOW_YEARS, m=None):
    """VIX in index points from decimal variance ``v`` (and the central tendency ``m`` of a
    two-factor model; scalars or arrays)."""
    v = np.maximum(np.asarray(v, dtype=float), 0.0)
    if q.two_factor:
        if m is None:
            raise ValueError("a two-factor model's VIX needs the central tendency m as well")
        a, b, c = vix_state_coefficients(q, tau_years)
        out = 100.0 * np.sqrt(a + b * v + c * np.maximum(np.asarray(m, dtype=float), 0.0))
    else:
        a, b = vix_coefficients(q, tau_years)
        out = 100.0 * np.sqrt(a + b * v)
    return out[()] if out.ndim == 0 else out


def variance_from_vix(q: MeasureParams, vix, tau_years: float = VIX_WINDOW_YEARS, m=None):
    """Decimal variance from VIX in index points; VIX below the floor gives 0. A two-factor
    model needs ``m`` (the variance that gives this VIX at that central tendency)."""
    vix = np.asarray(vix, dtype=float)
    if q.two_factor:
        if m is None:
            raise ValueError("a two-factor model's variance from VIX needs m as well")
        a, b, c = vix_state_coefficients(q, tau_years)
        out = np.maximum(((vix / 100.0) ** 2 - a - c * np.asarray(m, dtype=float)) / b, 0.0)
    else:
        a, b = vix_coefficients(q, tau_years)
        out = np.maximum(((vix / 100.0) ** 2 - a) / b, 0.0)
    return out[()] if out.ndim == 0 else out


def _pair_solution(q: MeasureParams, vix_short, vix_long, short_years: float,
                   long_years: float):
    """The unconstrained (v, m) of the 2x2 system ``(VIX_i/100)^2 = A_i + B_i v + C_i m`` of
    two log-contract levels, and what clipping it needs: (v, m, y_short, b_short, c_short),
    with ``y_short = (VIX_short/100)^2 - A_short``."""
    a1, b1, c1 = vix_state_coefficients(q, short_years)
    a2, b2, c2 = vix_state_coefficients(q, long_years)
    y1 = (np.asarray(vix_short, dtype=float) / 100.0) ** 2 - a1
    y2 = (np.asarray(vix_long, dtype=float) / 100.0) ** 2 - a2
    det = b1 * c2 - b2 * c1
    return (y1 * c2 - y2 * c1) / det, (b1 * y2 - b2 * y1) / det, y1, b1, c1


def states_from_vix_curve(q: MeasureParams, vix, vix3m=None):
    """(v, m, clipped): the state each day's closes imply, using that day's numbers only.

    One factor: v from spot VIX (m is None). Two factors: (v, m) from VIX and VIX3M
    (``(VIX_i/100)^2 = A_i + B_i v + C_i m`` at 30 and 93 days, a 2x2 linear system); a pair no
    state gives (a curve steeper or more inverted than the model can make) is put on the
    nearest edge, v = 0 or m = 0, fitting spot VIX exactly. ``clipped`` marks the days the
    model cannot represent exactly (such pairs, or a VIX below a one-factor model's floor)."""
    vix = np.asarray(vix, dtype=float)
    if not q.two_factor:
        floor = float(vix_index(q, 0.0))
        return np.asarray(variance_from_vix(q, vix)), None, vix < floor
    if vix3m is None:
        raise ValueError("a two-factor model's state needs VIX3M (or another curve point)")
    v, m, y1, b1, c1 = _pair_solution(q, vix, vix3m, VIX_WINDOW_YEARS, VIX3M_WINDOW_YEARS)
    clipped = (v < 0) | (m < 0)
    v_edge = v < 0
    v = np.where(v_edge, 0.0, v)
    m = np.where(v_edge, np.maximum(y1 / c1, 0.0), m)
    m_edge = m < 0
    m = np.where(m_edge, 0.0, m)
    v = np.where(m_edge, np.maximum(y1 / b1, 0.0), v)
    return v, m, clipped
