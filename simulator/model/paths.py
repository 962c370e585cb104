"""SVCJ path generator: Andersen (2008) QE variance, martingale-corrected log price, SVCJ jumps.

One (sub)step of length ``dt`` for one path (docs/model.md §4; Andersen 2008, J. Comp. Finance 11):

1. Diffusive variance by QE (§4.1): match the exact conditional mean ``m`` and variance ``s^2``
   of the CIR step; quadratic branch ``a (b + Z_v)^2`` if ``psi = s^2/m^2 <= 1.5``, else the
   exponential branch (point mass at zero + exponential tail). Never negative, robust when the
   Feller condition fails; where psi is 0/0, infinite or underflows to 0 the step is the point
   mass its branch tends to (``simulator.model.qe.qe_step``).
2. Log price by the central (gamma1 = gamma2 = 1/2) scheme (§4.2) with Andersen's martingale
   correction ``K0*`` (§4.3), so ``E[exp(dx_diffusive)] = 1`` holds exactly per step.
3. SVCJ jumps at the end of the step (§4.4): ``N ~ Poisson(lam dt)``; for each jump
   ``Z_v ~ Exp(mu_v)`` added to ``v`` and ``Z_x ~ N(mu_x + rho_j Z_v, sigma_x^2)`` added to ``x``.
   They come after step 2 so the ``K2 v(t+dt)`` term never sees a variance jump (which would
   create a spurious price move ``(rho/sigma_v) Z_v``). The jump compensator ``lam mbar dt`` is in
   the drift, so the discounted, dividend-adjusted price is an exact martingale under Q.

The kernel takes a per-day table of step constants (built in Python by :func:`step_constants`),
so parameters may change from day to day (regime schedules, :class:`Regime`) without touching
the kernel, and per-day stress shocks (:class:`Shock`) applied at the close of their day.
Random numbers come from the counter-based Philox generator (:mod:`simulator.model.rng`).
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import numpy as np
from numba import njit, prange, uint64

from simulator.common.borrowed import borrowed
from simulator.common.conventions import TRADING_DAYS_PER_YEAR
from simulator.model.params import Model
from simulator.model.paths2f import day_constants_2f, simulate_chunk_2f
from simulator.model.qe import (
    C_LAM_DT,
    C_P_NO_JUMP,
    PSI_CRITICAL,
    add_jumps,
    day_constant_table,
    poisson_count,
    qe_step,
    step_constants,
    validate_sim_args,
)
from simulator.model.rng import seed_key, step_draws
from simulator.model.stress import (
    CURVE_LN_VIX0,
    CURVE_POINTS,
    CURVE_STEP,
    Regime,
    Shock,
    apply_shock,
    needs_m_curve,
    shock_table,
)
from simulator.model.vix import vix_coefficients, vix_state_coefficients

DEFAULT_CHUNK_PATHS = 8192
__all__ = ["PSI_CRITICAL", "PathChunk", "PathGenerator", "Regime", "Shock", "iter_path_chunks",
           "simulate_paths"]

@njit(cache=True, inline="always")
def path_1f(consts, shocks, substeps, x0, v0, vix_a, vix_b, path, stream, k0, k1, out_spx,
            out_v, out_vix):
    """One path (``path``: its global index, uint64) into its (days + 1,) rows ``out_*``: the
    one body of :func:`simulate_chunk` and of the GPU kernel (:mod:`simulator.model.paths_gpu`)."""
    x = x0
    v = v0
    out_spx[0] = math.exp(x0)
    out_v[0] = v
    out_vix[0] = 100.0 * math.sqrt(vix_a[0] + vix_b[0] * v)
    for day in range(consts.shape[0]):
        c = consts[day]
        x_open = x
        for sub in range(substeps):
            step = uint64(day * substeps + sub)
            u_v, z_x, u_n = step_draws(step, path, stream, k0, k1)
            v, dx = qe_step(c, v, u_v, z_x)
            x += dx
            if u_n > c[C_P_NO_JUMP]:  # at least one jump (never when lam = 0)
                n_jumps = poisson_count(c[C_LAM_DT], c[C_P_NO_JUMP], u_n)
                x, v = add_jumps(n_jumps, c, step, path, stream, k0, k1, x, v)
        x, v = apply_shock(shocks[day], x, x_open, v)
        out_spx[day + 1] = math.exp(x)
        out_v[day + 1] = v
        out_vix[day + 1] = 100.0 * math.sqrt(vix_a[day + 1] + vix_b[day + 1] * v)


@njit(cache=True)
def simulate_chunk(consts, shocks, substeps, x0, v0, vix_a, vix_b, path_start, stream, k0, k1,
                   out_spx, out_v, out_vix):
    """Fill ``out_spx``, ``out_v``, ``out_vix`` (shape (paths, days + 1)) in place.

    ``consts`` is (days, N_STEP_CONSTANTS): row d holds the constants of day d's sub-steps.
    ``shocks`` is (days, N_SHOCK_COLUMNS): at the end of row d's step the log price gets
    ``SH_LOG_RETURN`` added (SHOCK_ADD) or the day's whole log move replaced by it (SHOCK_SET);
    the variance gets ``SH_V_VALUE`` added (SHOCK_ADD) or is set to it (SHOCK_SET). The random
    draws are consumed either way, so a shock never shifts the numbers of later days.
    ``vix_a``, ``vix_b`` (days + 1) map v to VIX^2/100^2 = a + b v on each day. Row ``i`` is
    global path ``path_start + i``; its draws do not depend on the chunk. Jit-compiled with
    numba, parallel over paths.
    """
    # borrowed (common.borrowed): a row or view of an argument costs no atomic reference
    # count, which both threads would otherwise contend for on every day of every path
    b = borrowed
    _simulate_paths(b(consts), b(shocks), substeps, x0, v0, b(vix_a), b(vix_b), path_start,
                    stream, k0, k1, b(out_spx), b(out_v), b(out_vix))


@njit(cache=True, parallel=True)
def _simulate_paths(consts, shocks, substeps, x0, v0, vix_a, vix_b, path_start, stream, k0, k1,
                    out_spx, out_v, out_vix):
    """:func:`simulate_chunk`'s loop over paths, on borrowed arrays."""
    for i in prange(out_spx.shape[0]):
        path_1f(consts, shocks, substeps, x0, v0, vix_a, vix_b, uint64(path_start + i), stream,
                k0, k1, out_spx[i], out_v[i], out_vix[i])


# ------------------------------------------------------------------------------------------
# Python layer: validation, units, chunking, labelled output
# ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PathChunk:
    """Paths ``path_start .. path_start + n - 1``; arrays are (n, days + 1), day 0 = start."""

    path_start: int
    spx: np.ndarray  # index points
    v: np.ndarray  # instantaneous variance, decimal, annualised
    vix: np.ndarray  # VIX index points (from the state under Q)
    m: np.ndarray | None = None  # central tendency of v (two-factor models), decimal
    dates: np.ndarray | None = None  # ISO dates of each path-day (real history only)


def day_constants(model: Model, n_days: int, measure: str, substeps: int,
                  regimes: Sequence[Regime] = ()) -> np.ndarray:
    """(n_days, N_STEP_CONSTANTS): row d holds the constants of the move from day d to d + 1."""
    return day_constant_table(model, n_days, measure, substeps, regimes, step_constants)


class PathGenerator:
    """Validated arguments and constants of one simulation, shared by all its chunks; one or
    two variance factors (:mod:`simulator.model.paths2f`) as the model has."""

    def __init__(self, model, n_paths, n_days, seed, measure, substeps, chunk_size, stream,
                 regimes=(), shocks=()):
        validate_sim_args(n_paths, n_days, seed, measure, substeps, chunk_size, stream)
        self.model = model
        self.two_factor = model.two_factor
        self.n_paths, self.n_days, self.chunk_size = n_paths, n_days, chunk_size
        self.substeps = substeps
        curve = stationary_m_curve(model) if needs_m_curve(model, shocks) else None
        self.shocks = shock_table(model, n_days, shocks, m_curve=curve)
        if self.two_factor:
            self.consts = day_constants_2f(model, n_days, measure, substeps, regimes)
            self.vix_abc = vix_state_coefficients(model.Q)
        else:
            self.consts = day_constants(model, n_days, measure, substeps, regimes)
            vix_a, vix_b = vix_coefficients(model.Q)
            self.vix_a = np.full(n_days + 1, vix_a)
            self.vix_b = np.full(n_days + 1, vix_b)
        k0, k1 = seed_key(seed)
        self.keys = (np.uint64(k0), np.uint64(k1))
        self.stream = np.uint64(stream)

    def fill(self, start: int, spx: np.ndarray, v: np.ndarray, vix: np.ndarray,
             m: np.ndarray | None = None) -> None:
        """Paths ``start ..`` into the given (n, days + 1) arrays (``m``: two factors)."""
        model = self.model
        if self.two_factor:
            simulate_chunk_2f(self.consts, self.shocks, self.substeps, math.log(model.spx0),
                              model.v0, model.m0, *self.vix_abc, start, self.stream,
                              *self.keys, spx, v, m, vix)
        else:
            simulate_chunk(self.consts, self.shocks, self.substeps, math.log(model.spx0),
                           model.v0, self.vix_a, self.vix_b, start, self.stream, *self.keys,
                           spx, v, vix)
        spx[:, 0] = model.spx0  # exactly, not exp(log(spx0))

    def chunk(self, start: int, n: int) -> PathChunk:
        """Paths ``start .. start + n - 1`` (any chunk, in any order: resumable runs)."""
        if start < 0 or n < 1 or start + n > self.n_paths:
            raise ValueError(f"paths {start}..{start + n - 1} outside 0..{self.n_paths - 1}")
        shape = (n, self.n_days + 1)
        spx, v, vix = (np.empty(shape) for _ in range(3))
        m = np.empty(shape) if self.two_factor else None
        self.fill(start, spx, v, vix, m)
        return PathChunk(start, spx, v, vix, m)


def iter_path_chunks(
    model: Model, n_paths: int, n_days: int, seed: int, *, measure: str = "P",
    substeps: int = 1, chunk_size: int = DEFAULT_CHUNK_PATHS, stream: int = 0,
    regimes: Sequence[Regime] = (), shocks: Sequence[Shock] = (),
) -> Iterator[PathChunk]:
    """Yield the paths in chunks of at most ``chunk_size`` (memory stays bounded)."""
    gen = PathGenerator(model, n_paths, n_days, seed, measure, substeps, chunk_size, stream,
                        regimes, shocks)
    for start in range(0, n_paths, chunk_size):
        yield gen.chunk(start, min(chunk_size, n_paths - start))


def simulate_paths(
    model: Model, n_paths: int, n_days: int, seed: int, measure: str = "P", substeps: int = 1,
    *, chunk_size: int = DEFAULT_CHUNK_PATHS, stream: int = 0,
    regimes: Sequence[Regime] = (), shocks: Sequence[Shock] = (),
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
    regimes : sequence of Regime
        P parameters over day ranges (under P only).
    shocks : sequence of Shock
        Deterministic stress moves at the close of given days, on every path.

    Returns
    -------
    xarray.Dataset with dims (path, day) and variables ``spx`` (index points), ``v``
    (annualised decimal variance), ``m`` (its central tendency; two-factor models only) and
    ``vix`` (index points, from the state under Q).

    Examples
    --------
    >>> import simulator as sim
    >>> paths = sim.simulate_paths(sim.load_model("svcj_default"), 4, 21, seed=7)
    >>> paths.spx.shape
    (4, 22)
    """
    import xarray as xr

    gen = PathGenerator(model, n_paths, n_days, seed, measure, substeps, chunk_size, stream,
                        regimes, shocks)
    two = model.two_factor
    spx, v, vix = (np.empty((n_paths, n_days + 1)) for _ in range(3))
    m = np.empty((n_paths, n_days + 1)) if two else None
    for start in range(0, n_paths, chunk_size):  # chunks write straight into the output
        stop = min(start + chunk_size, n_paths)
        gen.fill(start, spx[start:stop], v[start:stop], vix[start:stop],
                 m[start:stop] if two else None)
    dims = ("path", "day")
    data = {
        "spx": (dims, spx, {"long_name": "S&P 500 index", "units": "index points"}),
        "v": (dims, v, {"long_name": "instantaneous variance",
                        "units": "annualised decimal variance (0.04 = 20% vol)"}),
    }
    if two:
        data["m"] = (dims, m, {"long_name": "central tendency of the variance",
                               "units": "annualised decimal variance"})
    data["vix"] = (dims, vix, {"long_name": "VIX index (model, 30 calendar days, under Q)",
                               "units": "index points"})
    scheme = ("QE for m and v (v towards the step-average m), jumps at step end" if two else
              "Andersen (2008) QE, martingale-corrected, SVCJ jumps at step end")
    return xr.Dataset(
        data,
        coords={
            "path": ("path", np.arange(n_paths), {"long_name": "path index"}),
            "day": ("day", np.arange(n_days + 1),
                    {"long_name": "trading day", "units": f"days (1/{TRADING_DAYS_PER_YEAR} yr)"}),
        },
        attrs={
            "measure": measure, "seed": int(seed), "stream": int(stream),
            "substeps": int(substeps), "model": model.name or "custom", "scheme": scheme,
        },
    )


# The stationary law that sets a two-factor shock's m (:func:`stationary_m_curve`): P paths
# from the model's start, a burn-in, then every 5th day; a fixed seed and stream of their own.
STATIONARY_PATHS, STATIONARY_YEARS, STATIONARY_BURN_IN_YEARS = 1000, 12, 2
STATIONARY_SEED, STATIONARY_STREAM, STATIONARY_EVERY = 20260228, 9999, 5
STATIONARY_BINS = 60
_M_CURVES: dict[str, np.ndarray] = {}
# the files whose code makes the stationary paths and the curve: a change to any of them
# keys a new disk-cache entry (:func:`_m_curve_key`)
_M_CURVE_SOURCES = ("model/*.py", "common/conventions.py")


def _m_curve_key(model: Model) -> str:
    """The disk-cache key of ``model``'s curve: its parameters, the simulation's constants
    and grid, the path code's bytes and the numeric libraries' versions."""
    import hashlib
    import json
    from pathlib import Path

    import numba

    package = Path(__file__).resolve().parent.parent
    digest = hashlib.sha256(json.dumps({
        "model": model.to_dict(), "numpy": np.__version__, "numba": numba.__version__,
        "constants": [STATIONARY_PATHS, STATIONARY_YEARS, STATIONARY_BURN_IN_YEARS,
                      STATIONARY_SEED, STATIONARY_STREAM, STATIONARY_EVERY, STATIONARY_BINS,
                      CURVE_LN_VIX0, CURVE_STEP, CURVE_POINTS]}, sort_keys=True).encode())
    for source in sorted(p for pattern in _M_CURVE_SOURCES for p in package.glob(pattern)):
        digest.update(source.name.encode() + source.read_bytes())
    return digest.hexdigest()[:20]


def stationary_m_curve(model: Model) -> np.ndarray:
    """The conditional mean of m given VIX under the stationary P law of a two-factor
    ``model``, on the shock kernel's grid (:data:`simulator.model.stress.CURVE_POINTS` values
    of ln VIX), by simulation (docs/two_factor.md, "Shocks").

    1,000 P paths of 12 years from (v0, m0) (seed and stream fixed), the first 2 years
    dropped, every 5th day kept (about 500,000 states). The states are sorted by VIX into 60
    bins of equal count; each bin gives (mean ln VIX, mean m), made non-decreasing. Between bin
    centres m(VIX) is linear in ln VIX; above the last centre it continues with the slope of
    a least-squares line of m on ln VIX over the top 20 % of states, below the first with the
    first segment's slope, never below 0. Why binned and not the linear (Gaussian) projection
    E[m] + Cov(m, VIX^2)/Var(VIX^2) (VIX^2 - E[VIX^2]) of the affine stationary moments: m
    given VIX is steep at low VIX and flat at high VIX (svcj_2f_calibrated: 0.014 at VIX
    10-13, 0.039 at 17-20, 0.049 at 35-40, 0.057 at 60-75), where the line (slope 0.196 per
    unit of VIX^2/100^2, the same from the moments and from these states) puts m at 0.16 at
    VIX 83 (docs/two_factor.md, "Shocks"; tests/test_shock_state.py).

    Cached per model in the process, and on disk beside the pricing tables
    (``$ALVH_CACHE_DIR/m_curves``, :func:`_m_curve_key`): the simulation takes 0.5-1.2 s
    on two cores, paid by every process that runs a shocked two-factor scenario
    (docs/performance.md §4, "A finished scenario's files written again, the stationary
    curve from the disk")."""
    if not model.two_factor:
        raise ValueError("the conditional mean of m given VIX is a two-factor model's")
    key = _m_curve_key(model)
    if key not in _M_CURVES:
        _M_CURVES[key] = _cached_m_curve(key, lambda: _simulate_m_curve(model))
    return _M_CURVES[key].copy()


def _simulate_m_curve(model: Model) -> np.ndarray:
    n_days = STATIONARY_YEARS * TRADING_DAYS_PER_YEAR
    gen = PathGenerator(model, STATIONARY_PATHS, n_days, STATIONARY_SEED, "P", 1,
                        DEFAULT_CHUNK_PATHS, STATIONARY_STREAM)
    shape = (STATIONARY_PATHS, n_days + 1)
    spx, v, vix, m = (np.empty(shape) for _ in range(4))
    gen.fill(0, spx, v, vix, m)
    keep = slice(STATIONARY_BURN_IN_YEARS * TRADING_DAYS_PER_YEAR, None, STATIONARY_EVERY)
    return m_curve_from_states(vix[:, keep].ravel(), m[:, keep].ravel())


def _cached_m_curve(key: str, build) -> np.ndarray:
    """The curve under ``key`` from the disk cache, or ``build()`` and saved there
    (atomically). A file that cannot be read, or holds anything but a finite non-negative
    curve of the grid's length, is built again; a read-only cache is no reason to fail."""
    import logging

    from simulator.common.files import atomic_path, cache_dir

    path = cache_dir() / "m_curves" / f"{key}.npy"
    if path.is_file():
        try:
            curve = np.load(path, allow_pickle=False)
            if (curve.dtype == np.float64 and curve.shape == (CURVE_POINTS,)
                    and bool(np.isfinite(curve).all()) and bool((curve >= 0.0).all())):
                return curve
            why = f"{curve.dtype} {curve.shape}, not a finite non-negative curve"
        except Exception as err:  # any reader error: built again
            why = f"unreadable: {type(err).__name__}: {err}"
        logging.getLogger(__name__).warning(
            "the cached stationary m curve %s cannot be used (%s); simulating it again",
            path, why)
    curve = build()
    try:
        with atomic_path(path, fsync=False) as tmp, open(tmp, "wb") as fh:
            np.save(fh, curve)
    except OSError:
        pass
    return curve


def m_curve_from_states(vix: np.ndarray, m: np.ndarray, bins: int = STATIONARY_BINS
                        ) -> np.ndarray:
    """The binned conditional mean of ``m`` given ``vix`` on the kernel's grid (see
    :func:`stationary_m_curve`)."""
    order = np.argsort(vix, kind="stable")
    x, y = np.log(vix[order]), m[order]
    groups = np.array_split(np.arange(x.size), bins)
    cx = np.array([x[g].mean() for g in groups])
    cy = np.maximum.accumulate(np.array([y[g].mean() for g in groups]))
    top = x >= np.quantile(x, 0.8)
    slope_hi = max(float(np.polyfit(x[top], y[top], 1)[0]), 0.0)
    slope_lo = (cy[1] - cy[0]) / (cx[1] - cx[0]) if cx[1] > cx[0] else 0.0
    grid = CURVE_LN_VIX0 + CURVE_STEP * np.arange(CURVE_POINTS)
    out = np.interp(grid, cx, cy)
    out = np.where(grid > cx[-1], cy[-1] + slope_hi * (grid - cx[-1]), out)
    out = np.where(grid < cx[0], cy[0] + slope_lo * (grid - cx[0]), out)
    return np.maximum(out, 0.0)
