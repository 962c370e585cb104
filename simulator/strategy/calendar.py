"""The exchange calendar of a history run, as arrays for the engine.

On real dates a condor tranche takes the monthly SPX expiry nearest its DTE (third Friday,
:mod:`simulator.model.expiries`), and a VIX layer the VIX expiry nearest its DTE, priced off
that listed contract's settlement each day the data has one. Counted in trading days of the
path from the day of the trade (the engine's clock).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

import numpy as np

from simulator.model.expiries import spx_expiries, vix_expiries
from simulator.model.stylized_facts import load_market_series

LOOK_AHEAD_DAYS = 400  # expiries listed beyond a window's end: the longest DTE (540) is rare


@dataclass(frozen=True)
class ExpirySchedule:
    """Per path: ``condor_days`` (paths, groups, days + 1), ``layer_days`` and ``layer_col``
    (paths, strategies, 4, days + 1; slots 0-2 the layers, 3 the term-structure roll-out),
    ``listed`` (paths, contracts, days + 1) VX settlements (NaN where none)."""

    condor_days: np.ndarray
    layer_days: np.ndarray
    layer_col: np.ndarray
    listed: np.ndarray

    @staticmethod
    def empty(n_paths: int, n_groups: int, n_strategies: int) -> ExpirySchedule:
        return ExpirySchedule(np.zeros((n_paths, n_groups, 0), dtype=np.int64),
                              np.zeros((n_paths, n_strategies, 4, 0), dtype=np.int64),
                              np.zeros((n_paths, n_strategies, 4, 0), dtype=np.int64),
                              np.zeros((n_paths, 1, 0)))


def _nearest(expiries64: np.ndarray, dates64: np.ndarray, calendar_days: int,
             beyond_days: int = 0) -> np.ndarray:
    """For each date, the index of the expiry nearest date + ``calendar_days`` (the later one
    on a tie) among those more than ``beyond_days`` calendar days after it (a layer is not
    bought inside its own roll window)."""
    target = dates64 + np.timedelta64(int(calendar_days), "D")
    after = np.searchsorted(expiries64, dates64 + np.timedelta64(int(beyond_days), "D"),
                            side="right")
    hi = np.searchsorted(expiries64, target)
    lo = hi - 1
    n = expiries64.size
    hi_ok = hi < n
    lo_ok = lo >= after
    gap_hi = np.where(hi_ok, (expiries64[np.minimum(hi, n - 1)] - target).astype(int), 10**9)
    gap_lo = np.where(lo_ok, (target - expiries64[np.maximum(lo, 0)]).astype(int), 10**9)
    pick = np.where(gap_hi <= gap_lo, hi, lo)
    if not (hi_ok | lo_ok).all():
        raise ValueError("the expiry calendar ends before a trade's expiry")
    return np.maximum(pick, after)


def _days_to(dates64: np.ndarray, expiry64: np.ndarray) -> np.ndarray:
    """Trading days of the path from each day to its expiry (Mon-Fri beyond the last day)."""
    day = np.arange(dates64.size)
    inside = np.searchsorted(dates64, expiry64, side="right") - day - 1
    beyond = np.where(expiry64 > dates64[-1],
                      np.busday_count(dates64[-1] + 1, np.maximum(expiry64, dates64[-1]) + 1),
                      0)
    return np.maximum(inside + beyond, 1).astype(np.int64)


def _settlements() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    vx = load_market_series("vix_futures_contracts_cboe")
    ok = np.isfinite(vx["settle"])
    return vx["date"][ok], vx["expiry"][ok], vx["settle"][ok]


def expiry_schedule(dates: np.ndarray, condor_dte: list[int | None],
                    layer_dte: list[list[tuple[int, int] | None]]) -> ExpirySchedule:
    """The calendar of paths on ``dates`` (paths, days + 1) ISO strings: ``condor_dte``
    (calendar days, per condor group; None: no condor) and ``layer_dte`` (per strategy, the
    (DTE, roll DTE) in calendar days of its three layers and of its term-structure roll-out;
    None: unused)."""
    dates = np.asarray(dates)
    n_paths, n_cols = dates.shape
    s_date, s_expiry, s_settle = _settlements()
    rows = []
    for row in dates:
        first, last = str(row[0]), str(row[-1])
        horizon = (datetime.date.fromisoformat(last)
                   + datetime.timedelta(days=LOOK_AHEAD_DAYS)).isoformat()
        d64 = row.astype("datetime64[D]")
        spx = spx_expiries(first, horizon, row).astype("datetime64[D]")
        vix = vix_expiries(first, horizon)
        vix64 = vix.astype("datetime64[D]")
        condor = np.zeros((len(condor_dte), n_cols), dtype=np.int64)
        for g, dte in enumerate(condor_dte):
            if dte is not None:
                condor[g] = _days_to(d64, spx[_nearest(spx, d64, dte)])
        days = np.zeros((len(layer_dte), 4, n_cols), dtype=np.int64)
        col = np.full((len(layer_dte), 4, n_cols), -1, dtype=np.int64)
        for k, dtes in enumerate(layer_dte):
            for j, dte in enumerate(dtes):
                if dte is not None:
                    idx = _nearest(vix64, d64, *dte)
                    days[k, j] = _days_to(d64, vix64[idx])
                    col[k, j] = idx
        listed = np.full((vix.size, n_cols), np.nan)
        keep = (s_date >= first) & (s_date <= last)
        r = np.searchsorted(vix, s_expiry[keep])
        c = np.searchsorted(row, s_date[keep])
        good = (r < vix.size) & (c < n_cols)
        good[good] &= (vix[r[good]] == s_expiry[keep][good]) & (row[c[good]] == s_date[keep][good])
        listed[r[good], c[good]] = s_settle[keep][good]
        rows.append((condor, days, col, listed))
    width = max(x[3].shape[0] for x in rows)
    listed = np.full((n_paths, width, n_cols), np.nan)
    for i, x in enumerate(rows):
        listed[i, :x[3].shape[0]] = x[3]
    return ExpirySchedule(np.stack([x[0] for x in rows]), np.stack([x[1] for x in rows]),
                          np.stack([x[2] for x in rows]), listed)


__all__ = ["ExpirySchedule", "expiry_schedule"]
