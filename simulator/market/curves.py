"""The shipped market data over a calibration window (``simulator/data/market``, SOURCES.md):
the daily VIX curves the risk-neutral fit prices, and the aligned closes and futures the
real-world moments come from."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from simulator.common.conventions import CALENDAR_DAYS_PER_YEAR, TRADING_DAYS_PER_YEAR
from simulator.market.history import check_window
from simulator.model.stylized_facts import load_market_series

# Cboe's constant-maturity indices: the log-contract window of each, calendar days
INDEX_TENOR_DAYS = {"VIX": 30, "VIX3M": 93, "VIX6M": 184, "VIX9D": 9}
INDEX_FILES = {"VIX": "vix_daily", "VIX3M": "vix3m_daily", "VIX6M": "vix6m_daily",
               "VIX9D": "vix9d_daily"}
# the curve a fit sees unless told otherwise; VIX9D (Cboe, from 2011) is opt-in, as a Q
# target of the conditional fit (docs/calibration.md §9)
DEFAULT_INDICES = ("VIX", "VIX3M", "VIX6M")
MAX_DAYS_LEFT = 126  # futures up to six months out: the part of the curve the hedge trades
MIN_CURVE_DAYS = 20
MIN_WINDOW_DAYS = 200  # the 63-day autocorrelation and 21-day realised vol need room


class CalibrationInputError(ValueError):
    """A calibration window or option the data cannot serve (the CLI exits 2)."""


@dataclass(frozen=True)
class CurveObservations:
    """Every observed point of the VIX curve in a window, one row per (day, instrument).

    ``kind`` is 0 for a log-contract index (VIX, VIX3M, VIX6M; ``tenor_years`` its calendar
    window) and 1 for a VX future (``tenor_years`` its trading days to expiry / 252, the
    model's clock; ``days_left`` those days, counted Monday to Friday: holidays ignored, as
    the shipped fits were made; a history run's own positions count the exchange's sessions
    instead, docs/history.md §4).
    """

    dates: np.ndarray  # (days,) ISO
    day: np.ndarray  # (obs,) index into dates
    kind: np.ndarray
    label: np.ndarray  # VIX, VIX3M, VIX6M or VX
    tenor_years: np.ndarray
    days_left: np.ndarray
    expiry: np.ndarray  # futures' expiry, "" for indices
    value: np.ndarray  # index points

    @property
    def n_obs(self) -> int:
        return int(self.value.size)

    def select(self, keep_days: np.ndarray) -> CurveObservations:
        """The observations of the days ``keep_days`` (indices into dates), renumbered."""
        keep_days = np.unique(keep_days)
        new_index = np.full(self.dates.size, -1)
        new_index[keep_days] = np.arange(keep_days.size)
        rows = new_index[self.day] >= 0
        return CurveObservations(self.dates[keep_days], new_index[self.day[rows]],
                                 *(a[rows] for a in (self.kind, self.label, self.tenor_years,
                                                     self.days_left, self.expiry, self.value)))


def _series(name: str) -> tuple[np.ndarray, np.ndarray]:
    data = load_market_series(name)
    ok = np.isfinite(data["close"])
    return data["date"][ok], data["close"][ok]


def data_ranges() -> dict[str, tuple[str, str]]:
    """First and last date of every file the calibration reads."""
    out = {}
    for name in ("spx_daily", *(INDEX_FILES[k] for k in DEFAULT_INDICES)):
        dates, _ = _series(name)
        out[name] = (str(dates[0]), str(dates[-1]))
    for name in ("vix_futures_contracts_cboe", "vix_futures_vx1_vx2"):
        dates = load_market_series(name)["date"]
        out[name] = (str(dates[0]), str(dates[-1]))
    return out


def curve_observations(start: str, end: str, *, max_days_left: int = MAX_DAYS_LEFT,
                       indices=DEFAULT_INDICES, min_points: int = 2
                       ) -> CurveObservations:
    """The window's VIX curves: the indices in ``indices`` and every listed monthly VX
    contract 1 to ``max_days_left`` trading days from expiry, on the days with a VIX close and
    at least ``min_points`` observed points in all."""
    check_window(start, end, "calibration window")
    vix_dates, _ = _series("vix_daily")
    dates = vix_dates[(vix_dates >= start) & (vix_dates <= end)]
    parts = []
    for label in indices:
        d, close = _series(INDEX_FILES[label])
        pos = np.searchsorted(dates, d)
        ok = (pos < dates.size) & (d >= start) & (d <= end)
        ok[ok] &= dates[pos[ok]] == d[ok]
        n = int(ok.sum())
        parts.append((pos[ok], np.zeros(n, int), np.full(n, label),
                      np.full(n, INDEX_TENOR_DAYS[label] / CALENDAR_DAYS_PER_YEAR),
                      np.zeros(n, int), np.full(n, ""), close[ok]))
    vx = load_market_series("vix_futures_contracts_cboe")
    pos = np.searchsorted(dates, vx["date"])
    ok = (pos < dates.size) & (vx["date"] >= start) & (vx["date"] <= end) \
        & np.isfinite(vx["settle"])
    ok[ok] &= dates[pos[ok]] == vx["date"][ok]
    days_left = np.zeros(vx["date"].size, int)
    days_left[ok] = np.busday_count(vx["date"][ok].astype("datetime64[D]"),
                                    vx["expiry"][ok].astype("datetime64[D]"))
    ok &= (days_left >= 1) & (days_left <= max_days_left)
    n = int(ok.sum())
    parts.append((pos[ok], np.ones(n, int), np.full(n, "VX"),
                  days_left[ok] / TRADING_DAYS_PER_YEAR, days_left[ok], vx["expiry"][ok],
                  vx["settle"][ok]))
    cols = [np.concatenate(c) for c in zip(*parts, strict=True)]
    counts = np.bincount(cols[0], minlength=dates.size)
    keep = np.flatnonzero((counts >= min_points) & (np.bincount(
        cols[0][cols[2] == "VIX"], minlength=dates.size) > 0))
    obs = CurveObservations(dates, cols[0], cols[1], cols[2], cols[3], cols[4], cols[5],
                            cols[6]).select(keep)
    if obs.dates.size < MIN_CURVE_DAYS:
        first = load_market_series("vix_futures_contracts_cboe")["date"][0]
        raise CalibrationInputError(
            f"calibration window {start} to {end}: {obs.dates.size} day(s) with a VIX close "
            f"and {min_points}+ points of the VIX curve; at least {MIN_CURVE_DAYS} are needed "
            f"(VX futures run from {first}, VIX3M from {_series('vix3m_daily')[0][0]}, "
            f"VIX from {vix_dates[0]} to {vix_dates[-1]})")
    order = np.lexsort((obs.tenor_years, obs.kind, obs.day))
    return CurveObservations(obs.dates, *(a[order] for a in (
        obs.day, obs.kind, obs.label, obs.tenor_years, obs.days_left, obs.expiry, obs.value)))


@dataclass(frozen=True)
class MarketWindow:
    """Aligned daily closes over a window: S&P 500, VIX, the front and second monthly VX
    settlements (NaN where missing) and the days the second future rolls."""

    dates: np.ndarray
    spx: np.ndarray
    vix: np.ndarray
    vx1: np.ndarray
    vx2: np.ndarray
    vx2_roll: np.ndarray


def market_window(start: str, end: str) -> MarketWindow:
    """The days in [start, end] with an S&P 500 and a VIX close."""
    check_window(start, end, "calibration window")
    spx_d, spx_c = _series("spx_daily")
    vix_d, vix_c = _series("vix_daily")
    dates, i_s, i_v = np.intersect1d(spx_d, vix_d, return_indices=True)
    keep = (dates >= start) & (dates <= end)
    if keep.sum() < MIN_WINDOW_DAYS:
        raise CalibrationInputError(
            f"calibration window {start} to {end}: {int(keep.sum())} trading day(s) with S&P 500 "
            f"and VIX closes; at least {MIN_WINDOW_DAYS} are needed, and the data run from "
            f"{dates[0]} to {dates[-1]}")
    dates = dates[keep]
    fut = load_market_series("vix_futures_vx1_vx2")
    pos = np.searchsorted(fut["date"], dates)
    pos = np.minimum(pos, fut["date"].size - 1)
    on = fut["date"][pos] == dates
    vx1 = np.where(on, fut["vx1"][pos], np.nan)
    vx2 = np.where(on, fut["vx2"][pos], np.nan)
    expiry2 = np.where(on, fut["vx2_expiry"][pos], "")
    roll = np.r_[False, expiry2[1:] != expiry2[:-1]]
    return MarketWindow(dates, spx_c[i_s][keep], vix_c[i_v][keep], vx1, vx2, roll)
