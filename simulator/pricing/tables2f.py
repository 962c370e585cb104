"""Pricing tables of a two-factor model: the one-factor tables with a leading axis over the
central tendency m (nodes in sqrt(m)), built from the direct two-factor pricers
(:mod:`simulator.pricing.affine2`) and read by :mod:`simulator.pricing.interp2f`.

Contents (Q parameters only; rates enter at lookup, as for one factor):

- ``spx_iv[m, vol, days, z]``: Black implied volatility of SPX options;
- ``vix_future[m, vol, days]``: VIX futures;
- ``vix_iv[m, vol, days, zv]``: Black implied volatility of VIX options on their own future.

The build prices every (v, m) node of one maturity from one Riccati solve per COS range
(``spx_put_grid``, ``vix_call_grid``). Cached on disk like the one-factor tables.
"""

from __future__ import annotations

import functools
import hashlib
import json
import logging
from dataclasses import dataclass, field

import numpy as np

from simulator.common.conventions import TRADING_DAYS_PER_YEAR
from simulator.model.params import MeasureParams
from simulator.model.vix import vix_state_coefficients
from simulator.pricing import affine2, interp2f, lookups
from simulator.pricing.lookups import KernelTables, kernel_tables
from simulator.pricing.tables import (
    CACHE_FORMAT,
    PricingTables,
    TableGrid,
    cache_dir,
    cached_arrays,
    implied_vol_table,
    is_call_kind,
    table_shapes,
)

TABLE_VERSION_2F = 2  # 2: black.erfc, as tables.TABLE_VERSION 7
# sqrt(m) nodes: m from 0 to 0.49 (VIX about 70 as a long-run level), 0.02 apart where m
# lives. Linear interpolation between them costs at most 0.04 SPX vol points, 0.06 VIX-future
# points and 0.03 VIX-call points against direct pricing (11 nodes: 0.12, 0.11, 0.09).
M_NODES = np.array([0.0, 0.03, 0.06, 0.08, 0.1, 0.12, 0.14, 0.16, 0.18, 0.2, 0.22, 0.25, 0.28,
                    0.32, 0.37, 0.43, 0.5, 0.6, 0.7])
_log = logging.getLogger(__name__)


def q2_array(q: MeasureParams, r: float, div: float) -> np.ndarray:
    """The ``qp2`` parameter vector of the two-factor lookups."""
    a, b, c = vix_state_coefficients(q)
    qp2 = np.empty(interp2f.N_QP2)
    qp2[interp2f.Q2_KAPPA] = q.kappa
    qp2[interp2f.Q2_KAPPA_TILDE] = q.kappa_tilde
    qp2[interp2f.Q2_KAPPA_M] = q.kappa_m
    qp2[interp2f.Q2_THETA] = q.theta
    qp2[interp2f.Q2_SIGMA_V] = q.sigma_v
    qp2[interp2f.Q2_LAM0] = q.lam
    qp2[interp2f.Q2_LAM1] = q.lam1
    qp2[interp2f.Q2_MU_V] = q.mu_v
    qp2[interp2f.Q2_EZ2] = q.mean_square_log_jump
    qp2[interp2f.Q2_VIX_A] = a
    qp2[interp2f.Q2_VIX_B] = b
    qp2[interp2f.Q2_VIX_C] = c
    qp2[interp2f.Q2_R] = r
    qp2[interp2f.Q2_DIV] = div
    return qp2


def _states(grid: TableGrid, m_nodes: np.ndarray):
    v, m = np.meshgrid(grid.vol_nodes**2, m_nodes**2, indexing="xy")  # (n_m, n_vol)
    return v.ravel(), m.ravel()


def build_tables_2f(q: MeasureParams, grid: TableGrid | None = None,
                    m_nodes: np.ndarray = M_NODES) -> dict[str, np.ndarray]:
    """The three tables of ``q`` (two factors), maturity by maturity."""
    grid = grid or TableGrid()
    qp2 = q2_array(q, 0.0, 0.0)
    v, m = _states(grid, m_nodes)
    n_m, n_vol, n_days = m_nodes.size, grid.n_vol, grid.n_days
    z, zv = grid.z_nodes, grid.zv_nodes
    spx = np.empty((v.size, n_days, grid.n_z, 3))  # price, strike, tau
    vix = np.empty((v.size, n_days, grid.n_zv, 4))  # price, strike, forward, tau
    futures = np.empty((v.size, n_days))
    states = list(zip(v, m, strict=True))
    for j, days in enumerate(grid.days_nodes):
        tau = days / TRADING_DAYS_PER_YEAR
        scale = np.array([interp2f.spx_scale_2f(vi, mi, tau, qp2) for vi, mi in states])
        k = np.exp(np.outer(scale, z))  # forward = spot = 1, r = q = 0
        put = k * affine2.spx_put_grid(-np.log(k), v, m, tau, q)
        spx[:, j, :, 0] = np.where(z < 0, put, put + 1.0 - k)  # OTM side
        spx[:, j, :, 1] = k
        spx[:, j, :, 2] = tau
        f = affine2.vix_future(v, m, tau, q)
        futures[:, j] = f
        scale = np.array([interp2f.vix_scale_2f(vi, mi, tau, qp2) for vi, mi in states])
        kv = f[:, None] * np.exp(np.outer(scale, zv))
        call = affine2.vix_call_grid(v, m, tau, kv, q)
        call = np.maximum(call, np.maximum(f[:, None] - kv, 0.0))  # no-arbitrage floor
        vix[:, j, :, 0] = np.where(zv < 0, call - (f[:, None] - kv), call)
        vix[:, j, :, 1] = kv
        vix[:, j, :, 2] = f[:, None]
        vix[:, j, :, 3] = tau
    spx_iv = implied_vol_table(spx[..., 0], spx[..., 1], np.ones(spx.shape[:-1]),
                               np.broadcast_to(z >= 0, spx.shape[:-1]), spx[..., 2])
    vix_iv = implied_vol_table(vix[..., 0], vix[..., 1], vix[..., 2],
                               np.broadcast_to(zv >= 0, vix.shape[:-1]), vix[..., 3])
    return {"spx_iv": spx_iv.reshape(n_m, n_vol, n_days, grid.n_z),
            "vix_future": futures.reshape(n_m, n_vol, n_days),
            "vix_iv": vix_iv.reshape(n_m, n_vol, n_days, grid.n_zv)}


def _cache_key(q: MeasureParams, grid: TableGrid, m_nodes: np.ndarray) -> str:
    payload = json.dumps({"version": TABLE_VERSION_2F, "format": CACHE_FORMAT, "Q": q.to_dict(),
                          "grid": vars(grid), "m_nodes": m_nodes.tolist()}, sort_keys=True)
    return "2f-" + hashlib.sha256(payload.encode()).hexdigest()[:20]


@dataclass
class PricingTables2F(PricingTables):
    """The tables of one two-factor model: those of :class:`PricingTables` with a leading m
    axis (``m_nodes``, sqrt(m)); every lookup takes the central tendency ``m`` after ``v``."""

    m_nodes: np.ndarray = field(default_factory=lambda: M_NODES)
    qp2: np.ndarray = field(init=False)

    def __post_init__(self):
        super().__post_init__()
        self.qp2 = q2_array(self.q, self.r, self.div)

    @property
    def kernel_tables(self) -> KernelTables:
        return kernel_tables(self.spx_iv, self.vix_future, self.vix_iv, self.qp, self.qp2,
                             self.grid_array, self.vol_nodes, self.m_nodes)

    @property
    def nbytes(self) -> int:
        return self.spx_iv.nbytes + self.vix_future.nbytes + self.vix_iv.nbytes

    def spx_option(self, spot, v, m, days, strike, kind="put"):
        return self._many(lookups.spx_option_many, (spot, v, m, days, strike),
                          is_call_kind(kind), False)

    def spx_delta(self, spot, v, m, days, strike, kind="put"):
        """d price / d spot at fixed (v, m), the smile moving with moneyness."""
        return self._many(lookups.spx_option_many, (spot, v, m, days, strike),
                          is_call_kind(kind), True)

    def vix_future_price(self, v, m, days):
        return self._many(lookups.vix_future_many, (v, m, days))

    def vix_option(self, v, m, days, strike, kind="call"):
        return self._many(lookups.vix_option_many, (v, m, days, strike), is_call_kind(kind))


@functools.lru_cache(maxsize=4)
def tables_2f_for(q: MeasureParams, r: float, div: float) -> PricingTables2F:
    """Two-factor tables of a model, kept in memory for the process and on disk."""
    return load_tables_2f(q, r, div)


def tables_2f_cached(q: MeasureParams, grid: TableGrid | None = None,
                     m_nodes: np.ndarray = M_NODES) -> bool:
    """Whether the two-factor tables of ``q`` are on disk already."""
    return (cache_dir() / "tables" / f"{_cache_key(q, grid or TableGrid(), m_nodes)}.npz"
            ).is_file()


def load_tables_2f(q: MeasureParams, r: float, div: float, grid: TableGrid | None = None,
                   m_nodes: np.ndarray = M_NODES, use_cache: bool = True) -> PricingTables2F:
    """Two-factor tables for ``q`` from the disk cache, or built and cached."""
    if not q.two_factor:
        raise ValueError("a one-factor model: use simulator.pricing.tables")
    grid = grid or TableGrid()
    path = cache_dir() / "tables" / f"{_cache_key(q, grid, m_nodes)}.npz"
    arrays, from_cache, seconds = cached_arrays(
        path, lambda: build_tables_2f(q, grid, m_nodes), use_cache,
        "two-factor pricing tables (once per Q parameters, about a minute on two cores)",
        table_shapes(grid, m_nodes.size))
    return PricingTables2F(q, r, div, grid, **arrays, from_cache=from_cache,
                           build_seconds=seconds, m_nodes=m_nodes)


__all__ = ["M_NODES", "PricingTables2F", "build_tables_2f", "load_tables_2f",
           "tables_2f_cached", "tables_2f_for"]
