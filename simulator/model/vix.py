"""VIX as a function of the state: VIX_t^2 / 100^2 = A + B v_t (DESIGN §2.3).

The VIX squared is the price of the 30-calendar-day log contract,
``-(2/tau) E_Q[ln(S_{t+tau}/F)]`` (Cboe white paper; REFERENCES §2.1). Under SVCJ this is affine in
``v_t`` (Zhu & Lian 2012 eqs. 5–6, citing Lin 2007 and Duan & Yeh 2010; REFERENCES §2.2)::

    B = (1 - exp(-kappa tau)) / (kappa tau)
    A = theta_star (1 - B) + 2 lam (mbar - E[Z_x]),   theta_star = theta + lam mu_v / kappa

with Q parameters and ``tau = 30/365`` years. The jump term ``2 lam E[e^Z - 1 - Z]`` is what breaks
VIX^2 = E[quadratic variation]/tau when jumps are present.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

from simulator.common.conventions import VIX_WINDOW_YEARS

if TYPE_CHECKING:  # params imports this module for Model.vix_index: no import at run time
    from simulator.model.params import MeasureParams


def vix_coefficients(q: MeasureParams, tau_years: float = VIX_WINDOW_YEARS) -> tuple[float, float]:
    """(A, B) such that VIX^2/100^2 = A + B v for a log contract of ``tau_years``."""
    if not tau_years > 0:
        raise ValueError(f"tau_years must be > 0, got {tau_years!r}")
    kt = q.kappa * tau_years
    # (1 - e^{-x})/x by expm1 keeps full precision for small kappa tau
    b = -math.expm1(-kt) / kt
    a = q.theta_star * (1.0 - b) + 2.0 * q.lam * (q.mbar - q.mean_log_jump)
    return a, b


def vix_index(q: MeasureParams, v, tau_years: float = VIX_WINDOW_YEARS):
    """VIX in index points from decimal variance ``v`` (scalar or array)."""
    a, b = vix_coefficients(q, tau_years)
    v = np.asarray(v, dtype=float)
    out = 100.0 * np.sqrt(a + b * np.maximum(v, 0.0))
    return out[()] if out.ndim == 0 else out


def variance_from_vix(q: MeasureParams, vix, tau_years: float = VIX_WINDOW_YEARS):
    """Decimal variance from VIX in index points; VIX below the floor 100 sqrt(A) gives 0."""
    a, b = vix_coefficients(q, tau_years)
    vix = np.asarray(vix, dtype=float)
    out = np.maximum(((vix / 100.0) ** 2 - a) / b, 0.0)
    return out[()] if out.ndim == 0 else out
