"""The CUDA kernels of :mod:`simulator.model.paths_gpu` (imported only when a GPU path is asked
for: ``numba.cuda`` is slow to import). ``cuda`` is a module global so that numba's CUDA simulator
can stand in for it."""

import math
import types

from numba import config, cuda, float64, uint64
from numba.core.registry import CPUDispatcher as Dispatcher

from simulator.model.paths2f import (
    E_DRIFT0,
    E_K0_PER_M,
    E_LAM0_DT,
    E_LAM1_DT,
    E_LAM1_MBAR_DT,
    E_M_EXP,
    E_M_JUMP,
    E_M_S2_CONST,
    E_M_S2_M,
    E_M_THETA,
    E_S2_CONST_PER_M,
    E_SIGMA_M,
)
from simulator.model.qe import (
    C_DRIFT,
    C_EXP_KDT,
    C_K0_PLAIN,
    C_LAM_DT,
    C_P_NO_JUMP,
    C_S2_CONST,
    C_S2_V,
    C_THETA,
    N_STEP_CONSTANTS,
    add_jumps,
    poisson_count,
    qe_step,
)
from simulator.model.rng import step_draws, step_draws_2f
from simulator.model.stress import apply_shock, apply_state_shock


def _device(function, made=None):
    """The CUDA device function of an ``@njit`` step function: its own Python code, with every
    ``@njit`` function it calls swapped for that one's device function in turn. (Under the
    simulator, which runs kernels as Python on stand-in arrays, the plain Python code.)"""
    made = {} if made is None else made
    if function in made:
        return made[function]
    py = function.py_func
    scope = dict(py.__globals__)
    for name in py.__code__.co_names:
        if isinstance(scope.get(name), Dispatcher):
            scope[name] = _device(scope[name], made)
    twin = types.FunctionType(py.__code__, scope, py.__name__, py.__defaults__, py.__closure__)
    made[function] = twin if config.ENABLE_CUDASIM else cuda.jit(device=True)(twin)
    return made[function]


_made: dict = {}
(qe_step, add_jumps, apply_shock, apply_state_shock, poisson_count, step_draws,
 step_draws_2f) = (_device(f, _made) for f in (qe_step, add_jumps, apply_shock,
                                               apply_state_shock, poisson_count, step_draws,
                                               step_draws_2f))


@cuda.jit
def paths_1f(consts, shocks, substeps, x0, v0, vix_a, vix_b, path_start, stream, k0, k1,
             out_spx, out_v, out_vix):
    i = cuda.grid(1)
    if i >= out_spx.shape[0]:
        return
    path = uint64(path_start + i)
    x = x0
    v = v0
    out_spx[i, 0] = math.exp(x0)
    out_v[i, 0] = v
    out_vix[i, 0] = 100.0 * math.sqrt(vix_a[0] + vix_b[0] * v)
    for day in range(consts.shape[0]):
        c = consts[day]
        x_open = x
        for sub in range(substeps):
            step = uint64(day * substeps + sub)
            u_v, z_x, u_n = step_draws(step, path, stream, k0, k1)
            v, dx = qe_step(c, v, u_v, z_x)
            x += dx
            if u_n > c[C_P_NO_JUMP]:
                n_jumps = poisson_count(c[C_LAM_DT], c[C_P_NO_JUMP], u_n)
                x, v = add_jumps(n_jumps, c, step, path, stream, k0, k1, x, v)
        x, v = apply_shock(shocks[day], x, x_open, v)
        out_spx[i, day + 1] = math.exp(x)
        out_v[i, day + 1] = v
        out_vix[i, day + 1] = 100.0 * math.sqrt(vix_a[day + 1] + vix_b[day + 1] * v)

@cuda.jit
def paths_2f(consts, shocks, substeps, x0, v0, m0, vix_a, vix_b, vix_c, path_start, stream,
             k0, k1, out_spx, out_v, out_m, out_vix):
    i = cuda.grid(1)
    if i >= out_spx.shape[0]:
        return
    path = uint64(path_start + i)
    row = cuda.local.array(N_STEP_CONSTANTS, float64)
    m_row = cuda.local.array(N_STEP_CONSTANTS, float64)
    for j in range(N_STEP_CONSTANTS):
        m_row[j] = 0.0
    x, v, m = x0, v0, m0
    out_spx[i, 0] = math.exp(x0)
    out_v[i, 0] = v
    out_m[i, 0] = m
    out_vix[i, 0] = 100.0 * math.sqrt(vix_a + vix_b * v + vix_c * m)
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
            m_avg = 0.5 * (m + m_next)
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
        sh = shocks[day]
        x, v = apply_shock(sh, x, x_open, v)
        v, m = apply_state_shock(sh, v, m, vix_a, vix_b, vix_c)
        out_spx[i, day + 1] = math.exp(x)
        out_v[i, day + 1] = v
        out_m[i, day + 1] = m
        out_vix[i, day + 1] = 100.0 * math.sqrt(vix_a + vix_b * v + vix_c * m)
