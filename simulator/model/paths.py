"""SVCJ path generator: Andersen (2008) QE variance, martingale-corrected log price, SVCJ jumps.

One (sub)step of length ``dt`` for one path (REFERENCES §4; Andersen 2008, J. Comp. Finance 11):

1. Diffusive variance by QE (§4.1): match the exact conditional mean ``m`` and variance ``s^2``
   of the CIR step; quadratic branch ``a (b + Z_v)^2`` if ``psi = s^2/m^2 <= 1.5``, else the
   exponential branch (point mass at zero + exponential tail). Never negative, robust when the
   Feller condition fails.
2. Log price by the central (gamma1 = gamma2 = 1/2) scheme (§4.2) with Andersen's martingale
   correction ``K0*`` (§4.3), so ``E[exp(dx_diffusive)] = 1`` holds exactly per step.
3. SVCJ jumps at the end of the step (§4.4): ``N ~ Poisson(lam dt)``; for each jump
   ``Z_v ~ Exp(mu_v)`` added to ``v`` and ``Z_x ~ N(mu_x + rho_j Z_v, sigma_x^2)`` added to ``x``.
   They come after step 2 so the ``K2 v(t+dt)`` term never sees a variance jump (which would
   create a spurious price move ``(rho/sigma_v) Z_v``). The jump compensator ``lam mbar dt`` is in
   the drift, so the discounted, dividend-adjusted price is an exact martingale under Q.

The kernel takes a per-day table of step constants (built in Python by :func:`step_constants`),
so parameters may change from day to day (regime schedules) without touching the kernel.
Random numbers come from the counter-based Philox generator (:mod:`simulator.model.rng`).
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
from numba import njit, prange, uint64

from simulator.model.params import TRADING_DAYS_PER_YEAR, MeasureParams, Model
from simulator.model.rng import normal_pair, seed_key, uniform_pair

PSI_CRITICAL = 1.5  # Andersen's switching level; any value in [1, 2] works
MAX_JUMPS_PER_STEP = 64  # P(N > 64) is < 1e-100 for lam dt <= 0.4 (lam <= 100/yr, daily steps)
DEFAULT_CHUNK_PATHS = 8192

# Columns of the per-day step-constant table.
(C_THETA, C_EXP_KDT, C_S2_V, C_S2_CONST, C_K1, C_K2, C_K3, C_K4, C_DRIFT, C_K0_PLAIN,
 C_LAM_DT, C_MU_X, C_SIGMA_X, C_MU_V, C_RHO_J) = range(15)
N_STEP_CONSTANTS = 15


def step_constants(m: MeasureParams, r: float, q: float, dt: float) -> np.ndarray:
    """The constants of one QE step of length ``dt`` years for measure parameters ``m``."""
    kappa, theta, sigma, rho = m.kappa, m.theta, m.sigma_v, m.rho
    e = math.exp(-kappa * dt)
    one_minus_e = -math.expm1(-kappa * dt)
    out = np.empty(N_STEP_CONSTANTS)
    out[C_THETA] = theta
    out[C_EXP_KDT] = e
    # conditional variance of the CIR step: s^2 = v * C_S2_V + C_S2_CONST (REFERENCES §4.1)
    out[C_S2_V] = sigma**2 * e * one_minus_e / kappa
    out[C_S2_CONST] = theta * sigma**2 * one_minus_e**2 / (2.0 * kappa)
    # central discretisation gamma1 = gamma2 = 1/2 (REFERENCES §4.2)
    half = 0.5 * dt * (kappa * rho / sigma - 0.5)
    out[C_K1] = half - rho / sigma
    out[C_K2] = half + rho / sigma
    out[C_K3] = 0.5 * dt * (1.0 - rho**2)
    out[C_K4] = 0.5 * dt * (1.0 - rho**2)
    out[C_DRIFT] = (r - q + m.equity_premium - m.lam * m.mbar) * dt
    out[C_K0_PLAIN] = -rho * kappa * theta * dt / sigma
    out[C_LAM_DT] = m.lam * dt
    out[C_MU_X] = m.mu_x
    out[C_SIGMA_X] = m.sigma_x
    out[C_MU_V] = m.mu_v
    out[C_RHO_J] = m.rho_j
    return out


@njit(cache=True, inline="always")
def _qe_step(c, v, z_v, u_v, z_x):
    """One diffusive QE step: returns (v_next, dx) with the martingale-corrected K0*."""
    theta = c[C_THETA]
    e = c[C_EXP_KDT]
    m = theta + (v - theta) * e
    s2 = v * c[C_S2_V] + c[C_S2_CONST]
    psi = s2 / (m * m)
    k1 = c[C_K1]
    k2 = c[C_K2]
    k3 = c[C_K3]
    k4 = c[C_K4]
    big_a = k2 + 0.5 * k4
    if psi <= PSI_CRITICAL:
        # quadratic branch: v' = a (b + Z)^2, Andersen eqs. (27)-(28)
        inv_psi2 = 2.0 / psi
        b2 = inv_psi2 - 1.0 + math.sqrt(inv_psi2) * math.sqrt(inv_psi2 - 1.0)
        a = m / (1.0 + b2)
        b = math.sqrt(b2)
        v_next = a * (b + z_v) * (b + z_v)
        denom = 1.0 - 2.0 * big_a * a
        if denom > 0.0:
            # log M(A) = A b^2 a / (1 - 2 A a) - ln(1 - 2 A a)/2  (REFERENCES §4.3)
            k0 = -(big_a * b2 * a / denom - 0.5 * math.log(denom)) - (k1 + 0.5 * k3) * v
        else:  # correction undefined (only for strongly positive rho): plain Andersen K0
            k0 = c[C_K0_PLAIN]
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
    dx = c[C_DRIFT] + k0 + k1 * v + k2 * v_next + math.sqrt(k3 * v + k4 * v_next) * z_x
    return v_next, dx


@njit(cache=True, inline="always")
def _poisson_count(mean, u):
    """Poisson(mean) by inversion of one uniform (mean = lam dt is small)."""
    n = 0
    pmf = math.exp(-mean)
    cdf = pmf
    while u > cdf and n < MAX_JUMPS_PER_STEP:
        n += 1
        pmf *= mean / n
        cdf += pmf
    return n


@njit(cache=True, parallel=True)
def simulate_chunk(consts, substeps, x0, v0, path_start, stream, k0, k1, out_x, out_v):
    """Fill ``out_x`` (log SPX) and ``out_v`` (variance), shape (paths, days + 1), in place.

    ``consts`` is (days, N_STEP_CONSTANTS); row d holds the constants of day d's sub-steps.
    Path ``i`` of the chunk is global path ``path_start + i``: its draws do not depend on the
    chunk. Jit-compiled with numba, parallel over paths.
    """
    n_paths = out_x.shape[0]
    n_days = consts.shape[0]
    for i in prange(n_paths):
        path = uint64(path_start + i)
        x = x0
        v = v0
        out_x[i, 0] = x
        out_v[i, 0] = v
        for day in range(n_days):
            c = consts[day]
            for sub in range(substeps):
                step = uint64(day * substeps + sub)
                z_v, z_x = normal_pair(step, path, uint64(0), stream, k0, k1)
                u_v, u_n = uniform_pair(step, path, uint64(1), stream, k0, k1)
                v, dx = _qe_step(c, v, z_v, u_v, z_x)
                x += dx
                lam_dt = c[C_LAM_DT]
                if lam_dt > 0.0:
                    n_jumps = _poisson_count(lam_dt, u_n)
                    for j in range(n_jumps):
                        blk = uint64(2 + 2 * j)
                        u_jump, _ = uniform_pair(step, path, blk, stream, k0, k1)
                        z_jump, _ = normal_pair(step, path, blk + uint64(1), stream, k0, k1)
                        jump_v = -c[C_MU_V] * math.log(u_jump)  # Exp(mean mu_v)
                        v += jump_v
                        x += c[C_MU_X] + c[C_RHO_J] * jump_v + c[C_SIGMA_X] * z_jump
            out_x[i, day + 1] = x
            out_v[i, day + 1] = v


# ------------------------------------------------------------------------------------------
# Python layer: validation, units, chunking, labelled output
# ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PathChunk:
    """Paths ``path_start .. path_start + n - 1``; arrays are (n, days + 1), day 0 = start."""

    path_start: int
    spx: np.ndarray  # index points
    v: np.ndarray  # instantaneous variance, decimal, annualised
    vix: np.ndarray  # VIX index points (from v under Q)


def _validate_sim_args(n_paths, n_days, seed, measure, substeps, chunk_size, stream):
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


def day_constants(model: Model, n_days: int, measure: str, substeps: int) -> np.ndarray:
    """(n_days, N_STEP_CONSTANTS): the same constants every day (regime schedules come later)."""
    dt = 1.0 / (TRADING_DAYS_PER_YEAR * substeps)
    row = step_constants(model.measure(measure), model.r, model.q, dt)
    return np.ascontiguousarray(np.broadcast_to(row, (n_days, N_STEP_CONSTANTS)))


def iter_path_chunks(
    model: Model, n_paths: int, n_days: int, seed: int, *, measure: str = "P",
    substeps: int = 1, chunk_size: int = DEFAULT_CHUNK_PATHS, stream: int = 0,
) -> Iterator[PathChunk]:
    """Yield the paths in chunks of at most ``chunk_size`` (memory stays bounded)."""
    _validate_sim_args(n_paths, n_days, seed, measure, substeps, chunk_size, stream)
    consts = day_constants(model, n_days, measure, substeps)
    k0, k1 = seed_key(seed)
    x0 = math.log(model.spx0)
    for start in range(0, n_paths, chunk_size):
        n = min(chunk_size, n_paths - start)
        out_x = np.empty((n, n_days + 1))
        out_v = np.empty((n, n_days + 1))
        simulate_chunk(consts, substeps, x0, model.v0, start, np.uint64(stream),
                       np.uint64(k0), np.uint64(k1), out_x, out_v)
        np.exp(out_x, out=out_x)
        out_x[:, 0] = model.spx0  # exactly, not exp(log(spx0))
        yield PathChunk(start, out_x, out_v, model.vix_index(out_v))


def simulate_paths(
    model: Model, n_paths: int, n_days: int, seed: int, measure: str = "P", substeps: int = 1,
    *, chunk_size: int = DEFAULT_CHUNK_PATHS, stream: int = 0,
):
    """Simulate SPX, variance and VIX paths on the trading-day clock.

    Parameters
    ----------
    model : Model
    n_paths, n_days : int
        Number of paths and of trading days (1 day = 1/252 year). Day 0 is the start.
    seed : int
        Non-negative 64-bit seed. Path ``i`` depends only on (seed, stream, i), never on
        ``n_paths``, ``chunk_size`` or the number of threads.
    measure : {"P", "Q"}
        "P" (real world) for strategy paths, "Q" (risk neutral) for pricing checks.
    substeps : int
        QE sub-steps per trading day (only the end-of-day state is kept).
    chunk_size : int
        Paths generated per kernel call; bounds temporary memory.
    stream : int
        Independent stream index (e.g. one per scenario).

    Returns
    -------
    xarray.Dataset with dims (path, day) and variables ``spx`` (index points), ``v``
    (annualised decimal variance) and ``vix`` (index points, from ``v`` under Q).

    Examples
    --------
    >>> import simulator as sim
    >>> paths = sim.simulate_paths(sim.load_model("svcj_default"), 4, 21, seed=7)
    >>> paths.spx.shape
    (4, 22)
    """
    import xarray as xr

    chunks = list(iter_path_chunks(model, n_paths, n_days, seed, measure=measure,
                                   substeps=substeps, chunk_size=chunk_size, stream=stream))
    spx = np.concatenate([c.spx for c in chunks])
    v = np.concatenate([c.v for c in chunks])
    vix = np.concatenate([c.vix for c in chunks])
    dims = ("path", "day")
    ds = xr.Dataset(
        {
            "spx": (dims, spx, {"long_name": "S&P 500 index", "units": "index points"}),
            "v": (dims, v, {"long_name": "instantaneous variance",
                            "units": "annualised decimal variance (0.04 = 20% vol)"}),
            "vix": (dims, vix, {"long_name": "VIX index (model, 30 calendar days, under Q)",
                                "units": "index points"}),
        },
        coords={
            "path": ("path", np.arange(n_paths), {"long_name": "path index"}),
            "day": ("day", np.arange(n_days + 1),
                    {"long_name": "trading day", "units": f"days (1/{TRADING_DAYS_PER_YEAR} yr)"}),
        },
        attrs={
            "measure": measure, "seed": int(seed), "stream": int(stream),
            "substeps": int(substeps), "model": model.name or "custom",
            "scheme": "Andersen (2008) QE, martingale-corrected, SVCJ jumps at step end",
        },
    )
    return ds
