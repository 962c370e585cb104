"""The QE step shared by the one- and two-factor path kernels (Andersen 2008, J. Comp.
Finance 11; docs/model.md §4): per-step constants, the variance step with the martingale-corrected
log-price increment, the Poisson jump count, and the argument checks of a simulation.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from numba import njit

from simulator.common.conventions import TRADING_DAYS_PER_YEAR
from simulator.model.params import MeasureParams, Model
from simulator.model.rng import inverse_normal, jump_draws, seed_key
from simulator.model.stress import Regime, check_stress

PSI_CRITICAL = 1.5  # Andersen's switching level; any value in [1, 2] works
MAX_JUMPS_PER_STEP = 64  # P(N > 64) is < 1e-100 for lam dt <= 0.4 (lam <= 100/yr, daily steps)

# Columns of the per-day step-constant table.
(C_THETA, C_EXP_KDT, C_S2_V, C_S2_CONST, C_K1, C_K2, C_K3, C_K4, C_DRIFT, C_K0_PLAIN,
 C_LAM_DT, C_P_NO_JUMP, C_MU_X, C_SIGMA_X, C_MU_V, C_RHO_J, C_PHI_DT) = range(17)
N_STEP_CONSTANTS = 17


def step_constants(m: MeasureParams, r: float, q: float, dt: float) -> np.ndarray:
    """The constants of one QE step of length ``dt`` years for measure parameters ``m``."""
    kappa, theta, sigma, rho = m.kappa, m.theta, m.sigma_v, m.rho
    e = math.exp(-kappa * dt)
    one_minus_e = -math.expm1(-kappa * dt)
    out = np.empty(N_STEP_CONSTANTS)
    out[C_THETA] = theta
    out[C_EXP_KDT] = e
    # conditional variance of the CIR step: s^2 = v * C_S2_V + C_S2_CONST (docs/model.md §4.1)
    out[C_S2_V] = sigma**2 * e * one_minus_e / kappa
    out[C_S2_CONST] = theta * sigma**2 * one_minus_e**2 / (2.0 * kappa)
    # central discretisation gamma1 = gamma2 = 1/2 (docs/model.md §4.2)
    half = 0.5 * dt * (kappa * rho / sigma - 0.5)
    out[C_K1] = half - rho / sigma
    out[C_K2] = half + rho / sigma
    out[C_K3] = 0.5 * dt * (1.0 - rho**2)
    out[C_K4] = 0.5 * dt * (1.0 - rho**2)
    # the variance shift phi (Heston++): an independent Brownian part of variance phi in the
    # log price, so its drift loses phi/2 and its conditional variance gains phi dt; both are
    # exact additions of 0.0 when phi = 0 (paths bit for bit as before)
    out[C_DRIFT] = (r - q + m.equity_premium - m.lam * m.mbar) * dt - 0.5 * m.phi * dt
    out[C_K0_PLAIN] = -rho * kappa * theta * dt / sigma
    out[C_LAM_DT] = m.lam * dt
    out[C_P_NO_JUMP] = math.exp(-m.lam * dt)
    out[C_MU_X] = m.mu_x
    out[C_SIGMA_X] = m.sigma_x
    out[C_MU_V] = m.mu_v
    out[C_RHO_J] = m.rho_j
    out[C_PHI_DT] = m.phi * dt
    return out


@njit(cache=True, inline="always")
def qe_step(c, v, u_v, z_x):
    """One diffusive QE step: returns (v_next, dx) with the martingale-corrected K0*.

    ``u_v`` drives both branches, as in Andersen (2008): Z_v = inverse normal of u_v. Where
    psi = s^2/m^2 is 0/0, infinite or underflows to 0 the step is the exact point mass the
    branches tend to (at 0, or at the mean); a finite psi takes the branches as before.
    """
    theta = c[C_THETA]
    e = c[C_EXP_KDT]
    m = theta + (v - theta) * e
    s2 = v * c[C_S2_V] + c[C_S2_CONST]
    mm = m * m
    psi = s2 / mm if mm > 0.0 else math.inf
    k1 = c[C_K1]
    k2 = c[C_K2]
    k3 = c[C_K3]
    k4 = c[C_K4]
    big_a = k2 + 0.5 * k4
    if not psi < math.inf:
        # Mean 0 (v = 0 with long-run level 0: the two-factor v step when m sits at 0 on both
        # ends of the step, psi = 0/0) or s^2/m^2 overflowing (m ~ 1e-160): the step's law is
        # the point mass at 0, the exponential branch's limit p -> 1 (Andersen 2008 eq. (29)).
        # Then E[exp(A v')] = 1, so K0* = -(k1 + k3/2) v exactly.
        v_next = 0.0
        k0 = -(k1 + 0.5 * k3) * v
    elif psi <= PSI_CRITICAL:
        # quadratic branch: v' = a (b + Z)^2, Andersen eqs. (27)-(28)
        inv_psi2 = 2.0 / psi if psi > 0.0 else math.inf
        b2 = inv_psi2 - 1.0 + math.sqrt(inv_psi2 * (inv_psi2 - 1.0))
        if b2 < math.inf:
            a = m / (1.0 + b2)
            b = math.sqrt(b2)
            z_v = inverse_normal(u_v)
            v_next = a * (b + z_v) * (b + z_v)
            denom = 1.0 - 2.0 * big_a * a
            if denom > 0.0:
                # log M(A) = A b^2 a / (1 - 2 A a) - ln(1 - 2 A a)/2  (docs/model.md §4.3)
                k0 = -(big_a * b2 * a / denom - 0.5 * math.log(denom)) - (k1 + 0.5 * k3) * v
            else:  # correction undefined (only for strongly positive rho): plain Andersen K0
                k0 = c[C_K0_PLAIN]
        else:
            # psi ~ 0 (below 1e-154: a variance that underflows against the mean, e.g.
            # sigma_m = 1e-200): the branch's limit b -> inf, a b^2 -> m is the point mass at
            # the mean, M(A) = exp(A m), so K0* = -A m - (k1 + k3/2) v.
            v_next = m
            k0 = -big_a * m - (k1 + 0.5 * k3) * v
    else:
        # exponential branch: v' = 0 w.p. p, else Exp with rate beta, Andersen eqs. (29)-(30)
        p = (psi - 1.0) / (psi + 1.0)
        beta = (1.0 - p) / m
        if u_v <= p:
            v_next = 0.0
        else:
            v_next = math.log((1.0 - p) / (1.0 - u_v)) / beta
        if big_a < beta:
            k0 = -math.log(p + beta * (1.0 - p) / (beta - big_a)) - (k1 + 0.5 * k3) * v
        else:
            k0 = c[C_K0_PLAIN]
    # c[C_PHI_DT]: the shift phi's independent Brownian part (z_x is independent of v's draw,
    # so one normal carries both); 0 without a shift
    dx = c[C_DRIFT] + k0 + k1 * v + k2 * v_next + math.sqrt(k3 * v + k4 * v_next
                                                             + c[C_PHI_DT]) * z_x
    return v_next, dx


@njit(cache=True, inline="always")
def poisson_count(mean, p_zero, u):
    """Poisson(mean) by inversion of one uniform; ``p_zero`` = exp(-mean) (precomputed)."""
    n = 0
    pmf = p_zero
    cdf = pmf
    while u > cdf and n < MAX_JUMPS_PER_STEP:
        n += 1
        pmf *= mean / n
        cdf += pmf
    return n


def validate_sim_args(n_paths, n_days, seed, measure, substeps, chunk_size, stream):
    for name, value, lo in (("n_paths", n_paths, 1), ("n_days", n_days, 1),
                            ("substeps", substeps, 1), ("chunk_size", chunk_size, 1),
                            ("stream", stream, 0)):
        if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < lo:
            raise ValueError(f"{name} must be an integer >= {lo}, got {value!r}")
    if n_paths >= 2**32 or stream >= 2**32 or n_days * substeps >= 2**32:
        raise ValueError("n_paths, stream and n_days * substeps must each be < 2**32")
    if measure not in ("P", "Q"):
        raise ValueError(f"measure must be 'P' (real world) or 'Q' (risk neutral), got {measure!r}")
    seed_key(seed)


@njit(cache=True, inline="always")
def add_jumps(n_jumps, c, step, path, stream, k0, k1, x, v):
    """``n_jumps`` SVCJ co-jumps at the end of a step: each an Exp(mu_v) variance jump and a
    normal log-price jump with mean mu_x + rho_j Z_v (``c``: a row of step constants)."""
    for j in range(n_jumps):
        u_size, z_jump = jump_draws(step, path, j, stream, k0, k1)
        jump_v = -c[C_MU_V] * math.log(u_size)  # Exp(mean mu_v)
        v += jump_v
        x += c[C_MU_X] + c[C_RHO_J] * jump_v + c[C_SIGMA_X] * z_jump
    return x, v


def day_constant_table(model: Model, n_days: int, measure: str, substeps: int,
                       regimes: Sequence[Regime], constants) -> np.ndarray:
    """(n_days, width): row d holds ``constants(params, r, q, dt)`` of the move from day d to
    d + 1, the regimes' P parameters over their days (one kernel table for both factor
    counts: ``constants`` is the one- or two-factor row builder)."""
    if regimes and measure != "P":
        raise ValueError("regime schedules change the real-world dynamics: measure must be 'P'")
    check_stress(model, n_days, regimes=regimes)
    dt = 1.0 / (TRADING_DAYS_PER_YEAR * substeps)
    row = constants(model.measure(measure), model.r, model.q, dt)
    table = np.array(np.broadcast_to(row, (n_days, row.size)))
    for reg in regimes:
        table[reg.start_day:reg.end_day] = constants(reg.P, model.r, model.q, dt)
    return table
