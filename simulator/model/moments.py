"""Closed-form moments of the variance: CIR with compound-Poisson exponential jumps.

For ``dv = kappa (theta - v) dt + sigma_v sqrt(v) dW + dJ`` with jumps at rate ``lam`` of size
``Z ~ Exp(mean mu_v)`` (so E[Z] = mu_v, E[Z^2] = 2 mu_v^2), the mean ``m(t) = E[v_t]`` and the
variance ``s(t) = Var[v_t]`` solve (Ito, then expectations)::

    m' = kappa (theta_star - m),                  theta_star = theta + lam mu_v / kappa
    s' = -2 kappa s + sigma_v^2 m + 2 lam mu_v^2

whence, with ``e = exp(-kappa t)``::

    E[v_t]   = theta_star + (v0 - theta_star) e
    Var[v_t] = (sigma_v^2 theta_star + 2 lam mu_v^2) (1 - e^2) / (2 kappa)
               + sigma_v^2 (v0 - theta_star) (e - e^2) / kappa

With ``lam = 0`` this is the CIR variance ``v0 sigma^2 e (1 - e)/kappa + theta sigma^2 (1 - e)^2
/ (2 kappa)`` (Andersen 2008 eq. (17); docs/model.md §4.1). The tests check these against the
derivatives of the affine transform of v_t (Zhu & Lian 2012 eqs. 10–11; docs/model.md §2.3).

The formulas live once, as numba scalar functions of plain numbers (:func:`cir_jump_mean`,
:func:`cir_jump_variance`, :func:`cir_jump_integral`), so that the pricing kernels
(:mod:`simulator.pricing.interp`) call the same code as the Python functions of a
:class:`~simulator.model.params.MeasureParams` below.
"""

from __future__ import annotations

import math

from numba import njit

from simulator.model.params import MeasureParams


@njit(cache=True)
def cir_jump_mean(v0, t, kappa, theta_star):
    """E[v_t | v_0]."""
    return theta_star + (v0 - theta_star) * math.exp(-kappa * t)


@njit(cache=True)
def cir_jump_variance(v0, t, kappa, theta_star, sigma_v, lam, mu_v):
    """Var[v_t | v_0]."""
    e = math.exp(-kappa * t)
    stationary_source = sigma_v**2 * theta_star + 2.0 * lam * mu_v**2
    return (stationary_source * (1.0 - e * e) / (2.0 * kappa)
            + sigma_v**2 * (v0 - theta_star) * (e - e * e) / kappa)


@njit(cache=True)
def cir_jump_integral(v0, t, kappa, theta_star):
    """E[int_0^t v_s ds | v_0] (the mean integrated over [0, t])."""
    return theta_star * t + (v0 - theta_star) * (-math.expm1(-kappa * t)) / kappa


def variance_mean(m: MeasureParams, v0: float, t_years: float) -> float:
    """E[v_t | v_0] in decimal variance."""
    return float(cir_jump_mean(v0, t_years, m.kappa, m.theta_star))


def variance_var(m: MeasureParams, v0: float, t_years: float) -> float:
    """Var[v_t | v_0] in (decimal variance)^2."""
    return float(cir_jump_variance(v0, t_years, m.kappa, m.theta_star, m.sigma_v, m.lam,
                                   m.mu_v))



def two_factor_stationary_means(p: MeasureParams) -> tuple[float, float]:
    """(E[m], E[v]) of a two-factor measure's stationary law: the expectations of its drifts
    set to 0 (docs/two_factor.md "Dynamics"), a linear system::

        0 = kappa_m (theta - E[m]) + m_jump mu_v (lam + lam1 E[v]) + lam_m mu_m
        0 = kappa (v_level E[m] - E[v]) + mu_v (lam + lam1 E[v])

    (m's co-jumps ``m_jump``, its own jumps ``lam_m``, ``mu_m`` and v's level ``v_level`` are
    P's; under Q they are 0, 0 and 1)."""
    if not p.two_factor:
        raise ValueError("the stationary means of (m, v) are a two-factor model's")
    a11, a12 = 1.0, -p.m_jump * p.mu_v * p.lam1 / p.kappa_m
    a21, a22 = -p.kappa * p.v_level / p.kappa_tilde, 1.0
    b1 = p.theta + (p.m_jump * p.mu_v * p.lam + p.lam_m * p.mu_m) / p.kappa_m
    b2 = p.lam * p.mu_v / p.kappa_tilde
    det = a11 * a22 - a12 * a21
    return (b1 * a22 - a12 * b2) / det, (a11 * b2 - a21 * b1) / det
