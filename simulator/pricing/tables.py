"""Pricing tables per model: built once from the direct pricers, cached on disk, read by numba.

Contents (all functions of the Q parameters only; rates enter at lookup through the forward and
the discount factor, which Black-76 separates from the implied volatility):

- ``spx_iv[vol, days, z]``: Black implied volatility of SPX options from COS (``spx_cos``).
- ``vix_future[vol, days]``: VIX futures by the Schürger integral (``vix_direct``).
- ``vix_iv[vol, days, zv]``: Black implied volatility of VIX options on their own future.

Implied volatilities are inverted from out-of-the-money prices. Where an OTM price is too small
to carry a volatility (below ``MIN_OTM_PRICE`` of the forward), the nearest reliable volatility
along the strike axis is used: flat extrapolation in implied volatility.

The cache key is a hash of the Q parameters, the grid, ``TABLE_VERSION`` and ``CACHE_FORMAT``;
the cache folder is ``$ALVH_CACHE_DIR`` or ``~/.cache/alvh``. Files are written atomically (temp +
rename) with a SHA-256 of the tables; a file that cannot be read, fails its checksum, has a table
of another shape than the grid's or a non-finite value is built again (with a warning): the
numba lookups index the tables by the grid without bounds checks.
"""

from __future__ import annotations

import functools
import hashlib
import json
import logging
import math
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from numba import njit, prange

from simulator.common.conventions import TRADING_DAYS_PER_YEAR
from simulator.common.files import atomic_path, cache_dir
from simulator.model.params import MeasureParams
from simulator.model.vix import vix_coefficients
from simulator.pricing import interp, lookups
from simulator.pricing.black import implied_total_sd
from simulator.pricing.interp2f import N_QP2
from simulator.pricing.lookups import KernelTables, kernel_tables
from simulator.pricing.spx_cos import cos_put_grid
from simulator.pricing.vix_direct import vix_future, vix_option_prices

# 7: implied vols inverted with black.erfc (one exp), which moves them by rounding (0.11.11)
TABLE_VERSION = 7
# the layout of a cache file (the tables plus CHECKSUM_NAME); not in run fingerprints: a new
# format changes how tables are stored, never their values
CACHE_FORMAT = 2
CHECKSUM_NAME = "sha256"
_log = logging.getLogger(__name__)
MIN_OTM_PRICE = 1e-10


@dataclass(frozen=True)
class TableGrid:
    """Axes of the tables: sqrt(v) nodes (0.02 apart up to 0.5, i.e. VIX up to ~50, then 0.05
    apart up to 1.6, VIX ~150), 1..``days_max`` trading days (every day up to
    ``daily_until``, then uniform in sqrt(days)), and standardised log-moneyness."""

    vol_fine_step: float = 0.02
    vol_fine_until: float = 0.5
    vol_coarse_step: float = 0.05
    vol_max: float = 1.6
    daily_until: int = 30  # a node on every trading day up to here (the engine's days are whole)
    days_max: float = 420.0
    n_days: int = 52
    z_min: float = -16.0  # SPX standardised log-moneyness: the jump wing of short options
    z_max: float = 6.0
    n_z: int = 89
    zv_min: float = -4.0  # VIX standardised log-moneyness
    zv_max: float = 6.0
    n_zv: int = 41

    @property
    def vol_nodes(self) -> np.ndarray:
        fine = np.arange(0.0, self.vol_fine_until + 1e-12, self.vol_fine_step)
        coarse = np.arange(self.vol_fine_until, self.vol_max + 1e-12, self.vol_coarse_step)
        return np.unique(np.round(np.concatenate([fine, coarse]), 12))

    @property
    def n_vol(self) -> int:
        return self.vol_nodes.size

    @property
    def days_nodes(self) -> np.ndarray:
        daily = np.arange(1.0, self.daily_until + 1.0)
        rest = np.linspace(math.sqrt(self.daily_until), math.sqrt(self.days_max),
                           self.n_days - self.daily_until + 1)[1:] ** 2
        return np.concatenate([daily, rest])

    @property
    def z_nodes(self) -> np.ndarray:
        return np.linspace(self.z_min, self.z_max, self.n_z)

    @property
    def zv_nodes(self) -> np.ndarray:
        return np.linspace(self.zv_min, self.zv_max, self.n_zv)

    def as_array(self) -> np.ndarray:
        g = np.zeros(interp.N_GRID)
        g[interp.G_N_VOL] = self.n_vol
        g[interp.G_DAILY_UNTIL] = self.daily_until
        g[interp.G_SQRTD_STEP] = ((math.sqrt(self.days_max) - math.sqrt(self.daily_until))
                                  / (self.n_days - self.daily_until))
        g[interp.G_N_DAYS] = self.n_days
        g[interp.G_Z_MIN] = self.z_min
        g[interp.G_Z_STEP] = (self.z_max - self.z_min) / (self.n_z - 1)
        g[interp.G_N_Z] = self.n_z
        g[interp.G_ZV_MIN] = self.zv_min
        g[interp.G_ZV_STEP] = (self.zv_max - self.zv_min) / (self.n_zv - 1)
        g[interp.G_N_ZV] = self.n_zv
        return g


def q_array(q: MeasureParams, r: float, div: float) -> np.ndarray:
    """The ``qp`` parameter vector of the lookup kernels."""
    a, b = vix_coefficients(q)
    qp = np.empty(interp.N_QP)
    qp[interp.QP_KAPPA] = q.kappa
    qp[interp.QP_THETA_STAR] = q.theta_star
    qp[interp.QP_SIGMA_V] = q.sigma_v
    qp[interp.QP_LAM] = q.lam
    qp[interp.QP_MU_V] = q.mu_v
    qp[interp.QP_EZ2] = q.mean_square_log_jump
    qp[interp.QP_VIX_A] = a
    qp[interp.QP_VIX_B] = b
    qp[interp.QP_R] = r
    qp[interp.QP_DIV] = div
    return qp


@njit(cache=True, parallel=True)
def _implied_vols(prices, strikes, forwards, is_call, taus, out):
    """Black vols (annual) of undiscounted prices on forwards; NaN where not invertible."""
    for n in prange(prices.size):
        s = implied_total_sd(prices[n], forwards[n], strikes[n], 1.0, is_call[n])
        out[n] = s / math.sqrt(taus[n])


def _fill_flat(iv: np.ndarray) -> np.ndarray:
    """Replace NaN along the last axis by the nearest finite value (flat extrapolation)."""
    out = iv.copy()
    flat = out.reshape(-1, out.shape[-1])
    idx = np.arange(flat.shape[1])
    for row in flat:
        ok = np.isfinite(row)
        if ok.all():
            continue
        if not ok.any():
            raise RuntimeError("pricing table: no invertible price in a whole strike row")
        good = idx[ok]
        nearest = good[np.abs(idx[:, None] - good[None, :]).argmin(axis=1)]
        row[:] = row[nearest]
    return out


def implied_vol_table(prices, strikes, forwards, is_call, taus):
    out = np.empty(prices.size)
    _implied_vols(prices.ravel(), strikes.ravel(), forwards.ravel(), is_call.ravel(),
                  taus.ravel(), out)
    out = out.reshape(prices.shape)
    out[prices < MIN_OTM_PRICE * forwards] = np.nan
    return _fill_flat(out)


def build_spx_iv(q: MeasureParams, grid: TableGrid) -> np.ndarray:
    qp = q_array(q, 0.0, 0.0)
    z = grid.z_nodes
    shape = (grid.n_vol, grid.n_days, grid.n_z)
    prices = np.empty(shape)
    strikes = np.empty(shape)
    taus = np.empty(shape)
    v = grid.vol_nodes**2
    for j, days in enumerate(grid.days_nodes):
        tau = days / TRADING_DAYS_PER_YEAR
        scale = np.array([interp.spx_scale(vi, tau, qp) for vi in v])
        k = np.exp(np.outer(scale, z))  # forward = spot = 1, r = q = 0
        put = k * cos_put_grid(-np.log(k), v, tau, q)
        prices[:, j] = np.where(z < 0, put, put + 1.0 - k)  # OTM side
        strikes[:, j] = k
        taus[:, j] = tau
    is_call = np.broadcast_to(z >= 0, shape)
    return implied_vol_table(prices, strikes, np.ones(shape), is_call, taus)


def build_vix_tables(q: MeasureParams, grid: TableGrid) -> tuple[np.ndarray, np.ndarray]:
    qp = q_array(q, 0.0, 0.0)
    zv = grid.zv_nodes
    variances = grid.vol_nodes**2
    futures = np.empty((grid.n_vol, grid.n_days))
    shape = (grid.n_vol, grid.n_days, grid.n_zv)
    prices = np.empty(shape)
    strikes = np.empty(shape)
    forwards = np.empty(shape)
    taus = np.empty(shape)
    for j, days in enumerate(grid.days_nodes):
        tau = days / TRADING_DAYS_PER_YEAR
        futures[:, j] = vix_future(variances, tau, q)
        for i, v in enumerate(variances):
            f = futures[i, j]
            k = f * np.exp(zv * interp.vix_scale(v, tau, qp))
            # 512 terms: 3e-4 points from ncx2, far inside the table's interpolation error
            call = vix_option_prices(v, tau, k, q, 0.0, future=f, n_terms=512, n_grid=4096)
            prices[i, j] = np.where(zv < 0, call - (f - k), call)  # OTM side
            strikes[i, j] = k
            forwards[i, j] = f
            taus[i, j] = tau
    is_call = np.broadcast_to(zv >= 0, shape)
    return futures, implied_vol_table(prices, strikes, forwards, is_call, taus)


def _cache_key(q: MeasureParams, grid: TableGrid) -> str:
    payload = json.dumps({"version": TABLE_VERSION, "format": CACHE_FORMAT, "Q": q.to_dict(),
                          "grid": vars(grid)}, sort_keys=True)
    return hashlib.sha256(payload.encode()).hexdigest()[:20]


@dataclass
class PricingTables:
    """Tables of one model (Q parameters) with the rates used at lookup."""

    q: MeasureParams
    r: float
    div: float
    grid: TableGrid
    spx_iv: np.ndarray
    vix_future: np.ndarray
    vix_iv: np.ndarray
    build_seconds: float = 0.0
    from_cache: bool = False
    qp: np.ndarray = field(init=False)
    grid_array: np.ndarray = field(init=False)
    vol_nodes: np.ndarray = field(init=False)

    def __post_init__(self):
        self.qp = q_array(self.q, self.r, self.div)
        self.grid_array = self.grid.as_array()
        self.vol_nodes = self.grid.vol_nodes

    @property
    def kernel_tables(self) -> KernelTables:
        """The arrays every numba lookup takes, by name (:mod:`simulator.pricing.lookups`):
        the tables with a leading central-tendency axis of one node (one factor)."""
        return kernel_tables(self.spx_iv[None], self.vix_future[None], self.vix_iv[None],
                             self.qp, np.zeros(N_QP2), self.grid_array, self.vol_nodes,
                             np.zeros(1))

    # -- vectorised public lookups (broadcast over numpy arrays) -----------------------------
    def _many(self, kernel, args, *flags):
        """Broadcast ``args`` (the first is the central tendency's position), flatten, run."""
        arrays = np.broadcast_arrays(*(np.asarray(x, dtype=float) for x in args))
        flat = [np.ascontiguousarray(a).ravel() for a in arrays]
        out = np.empty(flat[0].size)
        kernel(self.kernel_tables, *flat, *flags, out)
        return with_shape(out, arrays[0].shape)

    def spx_option(self, spot, v, days, strike, kind="put"):
        return self._many(lookups.spx_option_many, (spot, v, 0.0, days, strike),
                          is_call_kind(kind), False)

    def spx_delta(self, spot, v, days, strike, kind="put"):
        """d price / d spot at fixed variance, the smile moving with moneyness."""
        return self._many(lookups.spx_option_many, (spot, v, 0.0, days, strike),
                          is_call_kind(kind), True)

    def vix_future_price(self, v, days):
        return self._many(lookups.vix_future_many, (v, 0.0, days))

    def vix_option(self, v, days, strike, kind="call"):
        return self._many(lookups.vix_option_many, (v, 0.0, days, strike), is_call_kind(kind))


def is_call_kind(kind: str) -> bool:
    if kind not in ("call", "put"):
        raise ValueError(f"kind must be 'call' or 'put', got {kind!r}")
    return kind == "call"


def with_shape(out, shape):
    out = out.reshape(shape)
    return out[()] if out.ndim == 0 else out


@functools.lru_cache(maxsize=16)
def tables_for(q: MeasureParams, r: float, div: float) -> PricingTables:
    """Tables of a model, kept in memory for the process (and on disk across processes)."""
    return load_tables(q, r, div)


def build_tables(q: MeasureParams, grid: TableGrid | None = None) -> dict[str, np.ndarray]:
    grid = grid or TableGrid()
    spx_iv = build_spx_iv(q, grid)
    futures, vix_iv = build_vix_tables(q, grid)
    return {"spx_iv": spx_iv, "vix_future": futures, "vix_iv": vix_iv}


def load_tables(q: MeasureParams, r: float, div: float, grid: TableGrid | None = None,
                use_cache: bool = True) -> PricingTables:
    """Tables for ``q`` from the disk cache, or built (seconds) and cached."""
    if q.two_factor:
        raise ValueError("a two-factor model: its tables are simulator.pricing.tables2f's "
                         "(simulator.pricing.pricer.tables_for_model picks the right ones)")
    grid = grid or TableGrid()
    path = cache_dir() / "tables" / f"{_cache_key(q, grid)}.npz"
    arrays, from_cache, seconds = cached_arrays(
        path, lambda: build_tables(q, grid), use_cache,
        f"pricing tables for Q {_short_q(q)} (once per Q parameters, about 40 s on two cores)",
        table_shapes(grid))
    return PricingTables(q, r, div, grid, **arrays, from_cache=from_cache,
                         build_seconds=seconds)


TABLE_NAMES = ("spx_iv", "vix_future", "vix_iv")


def table_shapes(grid: TableGrid, n_m: int | None = None) -> dict[str, tuple[int, ...]]:
    """The shape of each table on ``grid`` (``n_m``: central-tendency nodes, two factors)."""
    lead = () if n_m is None else (n_m,)
    return {"spx_iv": (*lead, grid.n_vol, grid.n_days, grid.n_z),
            "vix_future": (*lead, grid.n_vol, grid.n_days),
            "vix_iv": (*lead, grid.n_vol, grid.n_days, grid.n_zv)}


def tables_checksum(arrays: dict[str, np.ndarray]) -> str:
    """SHA-256 over each table's name, dtype, shape and bytes."""
    digest = hashlib.sha256()
    for name in TABLE_NAMES:
        a = np.ascontiguousarray(arrays[name])
        digest.update(f"{name} {a.dtype.str} {a.shape}\n".encode())
        digest.update(memoryview(a).cast("B"))
    return digest.hexdigest()


def _read_verified(path: Path, shapes: dict[str, tuple[int, ...]]):
    """(arrays, None) from a sound cache file, or (None, why it cannot be used)."""
    try:
        # our own handle: np.load leaks its file when the zip directory is unreadable
        with open(path, "rb") as fh, np.load(fh, allow_pickle=False) as data:
            missing = [k for k in (*TABLE_NAMES, CHECKSUM_NAME) if k not in data.files]
            if missing:
                return None, f"no {', '.join(missing)}"
            arrays = {k: data[k] for k in TABLE_NAMES}
            stored = str(data[CHECKSUM_NAME])
    except Exception as err:  # any reader error (BadZipFile, EOFError, zlib.error...): rebuild
        return None, f"unreadable: {type(err).__name__}: {err}"
    for name, shape in shapes.items():
        a = arrays[name]
        if a.dtype != np.float64 or a.shape != shape:
            return None, f"{name} is {a.dtype} {a.shape}, the grid needs float64 {shape}"
    if tables_checksum(arrays) != stored:
        return None, "checksum mismatch"
    for name, a in arrays.items():
        if not np.isfinite(a).all():
            return None, f"{name} has {int((~np.isfinite(a)).sum())} non-finite values"
    return arrays, None


def cached_arrays(path: Path, build, use_cache: bool, what: str,
                  shapes: dict[str, tuple[int, ...]]):
    """(arrays, from_cache, build seconds): the tables at ``path`` on disk, or ``build()``
    (announced on the logger, then saved atomically with their checksum). A file that cannot
    be read, fails its checksum, or holds a table of another shape than ``shapes`` or a
    non-finite value is built again with a warning: the numba lookups trust the tables'
    shapes and values. A read-only cache is no reason to fail: the tables stay in memory."""
    if use_cache and path.is_file():
        arrays, why = _read_verified(path, shapes)
        if arrays is not None:
            return arrays, True, 0.0
        _log.warning("the cached pricing tables %s cannot be used (%s); building them again",
                     path, why)
    _log.info("building %s; cached in %s", what, path.parent)
    t0 = time.perf_counter()
    arrays = build()
    seconds = time.perf_counter() - t0
    _log.info("built in %.0f s", seconds)
    if use_cache:
        try:
            with atomic_path(path, fsync=False) as tmp, open(tmp, "wb") as fh:
                np.savez(fh, **arrays, **{CHECKSUM_NAME: np.array(tables_checksum(arrays))})
        except OSError:
            pass
    return arrays, False, seconds


def tables_cached(q: MeasureParams, grid: TableGrid | None = None) -> bool:
    """Whether the one-factor tables of ``q`` are on disk already (a run can say it will
    build them; :func:`simulator.pricing.pricer.tables_cached_for_model` for any model)."""
    return (cache_dir() / "tables" / f"{_cache_key(q, grid or TableGrid())}.npz").is_file()


def _short_q(q: MeasureParams) -> str:
    return ", ".join(f"{k} {v:g}" for k, v in q.to_dict().items() if v)
