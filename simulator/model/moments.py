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
/ (2 kappa)`` (Andersen 2008 eq. (17); REFERENCES §4.1). The tests check these against the
derivatives of the affine transform of v_t (Zhu & Lian 2012 eqs. 10–11; REFERENCES §2.3).
"""

from __future__ import annotations

import math

from simulator.model.params import MeasureParams


def variance_mean(m: MeasureParams, v0: float, t_years: float) -> float:
    """E[v_t | v_0] in decimal variance."""
    return m.theta_star + (v0 - m.theta_star) * math.exp(-m.kappa * t_years)


def variance_var(m: MeasureParams, v0: float, t_years: float) -> float:
    """Var[v_t | v_0] in (decimal variance)^2."""
    k = m.kappa
    e = math.exp(-k * t_years)
    stationary_source = m.sigma_v**2 * m.theta_star + 2.0 * m.lam * m.mu_v**2
    return (stationary_source * (1.0 - e * e) / (2.0 * k)
            + m.sigma_v**2 * (v0 - m.theta_star) * (e - e * e) / k)
