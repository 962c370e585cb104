"""Paths of the two-factor model: SPX, the variance v and its central tendency m
(docs/two_factor.md).

One (sub)step of length ``dt``, reusing the one-factor QE step of :mod:`simulator.model.paths`:

1. **m** by QE (Andersen 2008) with its own uniform, the fourth word of the step's Philox block
   (unused by the one-factor kernel, so one-factor paths are unchanged); exactly deterministic
   when ``sigma_m = 0``.
2. **v** by QE towards the step's average central tendency ``(m + m_next) / 2`` (times
   ``v_level``, P only, 1 by default: v reverts to ``v_level m``): the exact
   conditional mean and variance of a CIR step whose long-run level is that average, i.e. the
   QE constants with ``theta`` replaced by it (a trapezoid rule for ``int m ds``, second order
   in dt like the central log-price scheme). The log price as in the one-factor scheme, with
   its martingale correction K0*. With m at 0 on both ends of the step and v = 0 the step has
   mean and variance 0 and stays at v = 0 (the QE step's point-mass case; 0/0 before).
3. **Jumps** at the end of the step, ``N ~ Poisson((lam + lam1 v) dt)`` with v at the start of
   the step; the compensator ``(lam + lam1 v) mbar dt`` is in the drift, so the discounted
   price stays a martingale under Q. With ``m_jump > 0`` (P only) m jumps by ``m_jump`` times
   the variance jump at each co-jump.
4. **m's own jumps** (P only; ``lam_m > 0``): after the co-jumps, ``N_m ~ Poisson(lam_m dt)``
   jumps of m, each ``Exp(mean mu_m)``, independent of v's jumps, from Philox blocks of their
   own (:func:`simulator.model.rng.m_jump_draws`); with ``lam_m = 0`` no draw is made and the
   paths are those of the model without them, bit for bit.

A variance shift ``phi`` (Heston++) adds an independent Brownian part of variance ``phi`` to
the log price (the QE step's constants, :mod:`simulator.model.qe`).

VIX is ``100 sqrt(A + B v + C m)`` with the Q coefficients of :func:`vix_state_coefficients`.
Regime schedules change the P constants day by day, as for one factor; a shock that sets VIX
sets v so that the path's VIX is that level at its own m (or v = 0 where m alone is above it).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from numba import njit, prange, uint64

from simulator.common.borrowed import borrowed
from simulator.model.params import MeasureParams, Model
from simulator.model.qe import (
    C_DRIFT,
    C_EXP_KDT,
    C_K0_PLAIN,
    C_S2_CONST,
    C_S2_V,
    C_THETA,
    N_STEP_CONSTANTS,
    add_jumps,
    day_constant_table,
    poisson_count,
    qe_step,
    step_constants,
)
from simulator.model.rng import m_jump_draws, step_draws_2f
from simulator.model.stress import (
    Regime,
    apply_shock,
    apply_state_shock,
)

# extra constants of a two-factor step (after the one-factor row)
(E_S2_CONST_PER_M, E_K0_PER_M, E_DRIFT0, E_LAM1_MBAR_DT, E_LAM0_DT, E_LAM1_DT, E_M_THETA,
 E_M_EXP, E_M_S2_M, E_M_S2_CONST, E_SIGMA_M, E_M_JUMP, E_LAM_M_DT,
 E_MU_M, E_V_LEVEL) = range(N_STEP_CONSTANTS, N_STEP_CONSTANTS + 15)
N_2F_CONSTANTS = N_STEP_CONSTANTS + 15


def step_constants_2f(p: MeasureParams, r: float, q: float, dt: float) -> np.ndarray:
    """One-factor QE constants (theta-dependent ones scaled per unit of m) plus m's."""
    if not p.two_factor:
        raise ValueError("a two-factor model's parameters (a regime's too) need kappa_m > 0")
    out = np.empty(N_2F_CONSTANTS)
    out[:N_STEP_CONSTANTS] = step_constants(p, r, q, dt)
    theta = p.theta
    out[E_S2_CONST_PER_M] = out[C_S2_CONST] / theta
    out[E_K0_PER_M] = out[C_K0_PLAIN] / theta
    out[E_DRIFT0] = (r - q + p.equity_premium - p.lam * p.mbar) * dt - 0.5 * p.phi * dt
    out[E_LAM1_MBAR_DT] = p.lam1 * p.mbar * dt
    out[E_LAM0_DT] = p.lam * dt
    out[E_LAM1_DT] = p.lam1 * dt
    e_m = math.exp(-p.kappa_m * dt)
    # 1 - e by expm1 for a slow m (kappa_m dt below 1e-8): 1 - e would round its variance
    # to 0 (then m never moves, or the step is 0/0); (1 - e)/kappa_m -> dt as kappa_m -> 0.
    # Elsewhere 1 - e as always (relative error below 2e-8), so paths stay bit for bit.
    x = p.kappa_m * dt
    one_minus_e = 1 - e_m if x > 1e-8 else -math.expm1(-x)
    out[E_M_THETA] = theta
    out[E_M_EXP] = e_m
    out[E_M_S2_M] = p.sigma_m**2 * e_m * one_minus_e / p.kappa_m
    out[E_M_S2_CONST] = theta * p.sigma_m**2 * one_minus_e**2 / (2 * p.kappa_m)
    out[E_SIGMA_M] = p.sigma_m
    out[E_M_JUMP] = p.m_jump
    out[E_LAM_M_DT] = p.lam_m * dt
    out[E_MU_M] = p.mu_m
    out[E_V_LEVEL] = p.v_level
    return out


def day_constants_2f(model: Model, n_days: int, measure: str, substeps: int,
                     regimes: Sequence[Regime] = ()) -> np.ndarray:
    """(n_days, N_2F_CONSTANTS): row d holds the constants of the move from day d to d + 1."""
    return day_constant_table(model, n_days, measure, substeps, regimes, step_constants_2f)


@njit(cache=True, inline="always")
def add_m_jumps(lam_m_dt, mu_m, step, path, stream, k0, k1, m):
    """m after its own jumps over one (sub)step: a Poisson(``lam_m_dt``) count, each jump
    Exp(mean ``mu_m``) (:func:`simulator.model.rng.m_jump_draws`: the count's uniform from the
    block of jump 0, each size from its own block)."""
    u_n, u_size = m_jump_draws(step, path, 0, stream, k0, k1)
    p_zero = math.exp(-lam_m_dt)
    if u_n <= p_zero:
        return m
    n_jumps = poisson_count(lam_m_dt, p_zero, u_n)
    m -= mu_m * math.log(u_size)
    for j in range(1, n_jumps):
        _, u_size = m_jump_draws(step, path, j, stream, k0, k1)
        m -= mu_m * math.log(u_size)
    return m


@njit(cache=True, inline="always")
def path_2f(consts, shocks, substeps, x0, v0, m0, vix_a, vix_b, vix_c, path, stream, k0, k1,
            row, m_row, out_spx, out_v, out_m, out_vix):
    """One path (``path``: its global index, uint64) into its (days + 1,) rows ``out_*``;
    ``row`` and ``m_row`` are scratch rows of N_STEP_CONSTANTS (``m_row`` all zero). The one
    body of the CPU kernel below and of the GPU kernel (:mod:`simulator.model.paths_gpu`)."""
    x, v, m = x0, v0, m0
    out_spx[0] = math.exp(x0)
    out_v[0] = v
    out_m[0] = m
    out_vix[0] = 100.0 * math.sqrt(vix_a + vix_b * v + vix_c * m)
    for day in range(consts.shape[0]):
        c = consts[day]
        for j in range(N_STEP_CONSTANTS):
            row[j] = c[j]
        m_row[C_THETA] = c[E_M_THETA]
        m_row[C_EXP_KDT] = c[E_M_EXP]
        m_row[C_S2_V] = c[E_M_S2_M]
        m_row[C_S2_CONST] = c[E_M_S2_CONST]
        x_open = x
        for sub in range(substeps):
            step = uint64(day * substeps + sub)
            u_v, z_x, u_n, u_m = step_draws_2f(step, path, stream, k0, k1)
            if c[E_SIGMA_M] > 0.0:
                m_next, _ = qe_step(m_row, m, u_m, 0.0)
            else:
                m_next = c[E_M_THETA] + (m - c[E_M_THETA]) * c[E_M_EXP]
            # v's long-run level over the step: v_level (P only; 1 under Q, an exact x 1.0)
            # times the step's average m
            m_avg = 0.5 * (m + m_next) * c[E_V_LEVEL]
            row[C_THETA] = m_avg
            row[C_S2_CONST] = m_avg * c[E_S2_CONST_PER_M]
            row[C_K0_PLAIN] = m_avg * c[E_K0_PER_M]
            row[C_DRIFT] = c[E_DRIFT0] - c[E_LAM1_MBAR_DT] * v
            lam_dt = c[E_LAM0_DT] + c[E_LAM1_DT] * v
            v, dx = qe_step(row, v, u_v, z_x)
            x += dx
            m = m_next
            if lam_dt > 0.0:
                p_zero = math.exp(-lam_dt)
                if u_n > p_zero:
                    n_jumps = poisson_count(lam_dt, p_zero, u_n)
                    v_before = v
                    x, v = add_jumps(n_jumps, row, step, path, stream, k0, k1, x, v)
                    if c[E_M_JUMP] > 0.0:  # P's co-jump of m (0: m does not jump)
                        m += c[E_M_JUMP] * (v - v_before)
            if c[E_LAM_M_DT] > 0.0:  # P's own jumps of m (0: no draw at all)
                m = add_m_jumps(c[E_LAM_M_DT], c[E_MU_M], step, path, stream, k0, k1, m)
        sh = shocks[day]
        x, v = apply_shock(sh, x, x_open, v)
        v, m = apply_state_shock(sh, v, m, vix_a, vix_b, vix_c)
        out_spx[day + 1] = math.exp(x)
        out_v[day + 1] = v
        out_m[day + 1] = m
        out_vix[day + 1] = 100.0 * math.sqrt(vix_a + vix_b * v + vix_c * m)


@njit(cache=True)
def simulate_chunk_2f(consts, shocks, substeps, x0, v0, m0, vix_a, vix_b, vix_c, path_start,
                      stream, k0, k1, out_spx, out_v, out_m, out_vix):
    """Fill (paths, days + 1) arrays in place. ``consts`` is (days, N_2F_CONSTANTS) from
    :func:`day_constants_2f`; ``shocks`` the table of :func:`simulator.model.stress.shock_table`
    (a VIX level moves (v, m): :func:`simulator.model.stress.apply_state_shock`)."""
    b = borrowed  # no atomic reference counts in the loop (paths.simulate_chunk says why)
    _simulate_paths_2f(b(consts), b(shocks), substeps, x0, v0, m0, vix_a, vix_b, vix_c,
                       path_start, stream, k0, k1, b(out_spx), b(out_v), b(out_m), b(out_vix))


@njit(cache=True, parallel=True)
def _simulate_paths_2f(consts, shocks, substeps, x0, v0, m0, vix_a, vix_b, vix_c, path_start,
                       stream, k0, k1, out_spx, out_v, out_m, out_vix):
    """:func:`simulate_chunk_2f`'s loop over paths, on borrowed arrays."""
    for i in prange(out_spx.shape[0]):
        path_2f(consts, shocks, substeps, x0, v0, m0, vix_a, vix_b, vix_c,
                uint64(path_start + i), stream, k0, k1, np.empty(N_STEP_CONSTANTS),
                np.zeros(N_STEP_CONSTANTS), out_spx[i], out_v[i], out_m[i], out_vix[i])
