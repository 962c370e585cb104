"""Two-factor primitives of the table lookups: the ``qp2`` parameter vector and the moneyness
scales of a model with a stochastic central tendency m (:mod:`simulator.pricing.lookups` blends
the tables over m; docs/two_factor.md has the formulas).
"""
from __future__ import annotations

import math

from numba import njit

from simulator.model.moments import cir_jump_mean, cir_jump_variance
from simulator.pricing.interp import (
    MIN_SCALE,
)

(Q2_KAPPA, Q2_KAPPA_TILDE, Q2_KAPPA_M, Q2_THETA, Q2_SIGMA_V, Q2_LAM0, Q2_LAM1, Q2_MU_V,
 Q2_EZ2, Q2_VIX_A, Q2_VIX_B, Q2_VIX_C, Q2_R, Q2_DIV) = range(14)
N_QP2 = 14


@njit(cache=True, inline="always")
def _mean_discount(k, tau):
    x = k * tau
    return 1.0 if x == 0.0 else -math.expm1(-x) / x


@njit(cache=True)
def mean_variance_coefficients(tau, qp2):
    """(A0, B0, C0): (1/tau) int_0^tau E[v_s] ds = A0 + B0 v + C0 m (docs/two_factor.md)."""
    kt, km, k = qp2[Q2_KAPPA_TILDE], qp2[Q2_KAPPA_M], qp2[Q2_KAPPA]
    b_v = _mean_discount(kt, tau)
    if abs(kt - km) < 1e-8 * max(kt, 1.0):
        x = kt * tau
        slope = (math.exp(-x) * (1.0 + x) - 1.0) / (kt * kt * tau)
        c0 = -k * slope
    else:
        c0 = k * (_mean_discount(km, tau) - b_v) / (kt - km)
    v_star = (k * qp2[Q2_THETA] + qp2[Q2_LAM0] * qp2[Q2_MU_V]) / kt
    return v_star * (1.0 - b_v) - qp2[Q2_THETA] * c0, b_v, c0


@njit(cache=True)
def spx_scale_2f(v, m, tau, qp2):
    """Standard deviation proxy of ln S_T: sqrt(E[int v] + E[int lam(v)] E[Z_x^2])."""
    a0, b0, c0 = mean_variance_coefficients(tau, qp2)
    mean_v = max(a0 + b0 * max(v, 0.0) + c0 * max(m, 0.0), 0.0)
    w = tau * (mean_v + (qp2[Q2_LAM0] + qp2[Q2_LAM1] * mean_v) * qp2[Q2_EZ2])
    return max(math.sqrt(max(w, 0.0)), MIN_SCALE)


@njit(cache=True)
def vix_scale_2f(v, m, tau, qp2):
    """Standard deviation proxy of ln VIX_T, with m frozen over the option's life: the
    one-factor delta-method proxy for v reverting at kappa~ to (kappa m + lam mu_v)/kappa~."""
    v = max(v, 0.0)
    m = max(m, 0.0)
    kt = qp2[Q2_KAPPA_TILDE]
    target = (qp2[Q2_KAPPA] * m + qp2[Q2_LAM0] * qp2[Q2_MU_V]) / kt
    lam = qp2[Q2_LAM0] + qp2[Q2_LAM1] * max(v, target)
    mean = cir_jump_mean(v, tau, kt, target)
    var = cir_jump_variance(v, tau, kt, target, qp2[Q2_SIGMA_V], lam, qp2[Q2_MU_V])
    vix2 = qp2[Q2_VIX_A] + qp2[Q2_VIX_B] * mean + qp2[Q2_VIX_C] * m
    return max(0.5 * qp2[Q2_VIX_B] * math.sqrt(max(var, 0.0)) / vix2, MIN_SCALE)
