"""Real history as one path: the S&P 500's closes and the model state each day's VIX curve
implies, from the shipped Cboe and S&P data (``simulator/data/market``, ``SOURCES.md``).

The state of day d uses the closes of day d only (spot VIX, and VIX3M for a two-factor
model), never a later day: a strategy run on this path decides with what it could have known.
Options are then priced by the model at that state: model prices around real levels, not
historical quotes. Days are the trading days of the data (its holidays included); day 0 is
the first day of the window.

Two path sources are built on it (a scenario file's ``path`` section):

- ``history``: one window, one path (:func:`history_path`);
- ``history_windows``: every window of ``length_days`` trading days starting each
  ``step_days`` in a span, one path each (:class:`HistoryWindows`), a model-free sample of
  real-world years. Overlapping windows are not independent: statistics over them use a
  moving-block bootstrap (:func:`simulator.results.stats.block_resample_indices`).

This module gives the path only. The trading rules put on it follow the exchange's calendar
(:mod:`simulator.market.calendar`: condors take the monthly SPX expiry nearest their DTE,
VIX layers the VIX expiry nearest theirs) and buy and mark the layers off the listed VX
contract's settlement where one is listed (the model's smile around it), the model's future
elsewhere; expiries settle at the exchange's settlement values and the rules read futures
interpolated between the listed contracts; ``docs/history.md`` has the rules and what is
still model-priced.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from simulator.model.params import Model
from simulator.model.stylized_facts import load_market_series
from simulator.model.vix import states_from_vix_curve

MIN_DAYS = 22  # a month of trading days: shorter windows cannot hold one condor cycle


@dataclass(frozen=True)
class HistoryPath:
    """One real path, arrays of (days,): ISO ``dates``, ``spx`` closes, real ``vix`` (and
    ``vix3m``), the implied state ``v`` (and ``m``), and ``clipped`` where the model cannot
    reproduce the day's curve exactly."""

    dates: np.ndarray
    spx: np.ndarray
    vix: np.ndarray
    vix3m: np.ndarray | None
    v: np.ndarray
    m: np.ndarray | None
    clipped: np.ndarray


def _closes(name: str) -> tuple[np.ndarray, np.ndarray]:
    data = load_market_series(name)
    ok = np.isfinite(data["close"])
    return data["date"][ok], data["close"][ok]


def real_vvix(dates: np.ndarray) -> np.ndarray:
    """Cboe VVIX closes on ISO ``dates`` (any shape), NaN where the shipped data has none
    (before 2007; simulator/data/market/vvix_daily.csv, SOURCES.md there)."""
    d, c = _closes("vvix_daily")
    flat = np.asarray(dates).ravel()
    idx = np.minimum(np.searchsorted(d, flat), d.size - 1)
    out = np.where(d[idx] == flat, c[idx], np.nan)
    return out.reshape(np.shape(dates))


def check_window(start: str, end: str, what: str) -> None:
    """Both dates written in full (YYYY-MM-DD: ISO strings compare as dates only then) and the
    end not before the start; ``what`` names the caller in the message."""
    import datetime

    for name, value in (("start", start), ("end", end)):
        try:
            if datetime.date.fromisoformat(str(value)).isoformat() != value:
                raise ValueError
        except ValueError:
            raise ValueError(f"{what} {name} {value!r}: give a date as YYYY-MM-DD") from None
    if end < start:
        raise ValueError(f"{what} {start} to {end}: the end is before the start")


def check_in_data(start: str, end: str, first: str, last: str, what: str,
                  data: str = "") -> None:
    """A ValueError naming the field and the date when the window ``start`` to ``end`` starts
    before the data's ``first`` day or ends after its ``last`` (issue 29: a window outside the
    data is an error, not a shorter window). The field is ``path.start``/``path.end`` for a
    scenario file's window (``what`` "path"), else ``start``/``end``; ``data`` names the
    series."""
    for name, value, bad, edge, side in (("start", start, start < first, first, "before the "
                                          "first"), ("end", end, end > last, last,
                                                      "after the last")):
        if bad:
            field = f"path.{name}" if what == "path" else name
            raise ValueError(f"{field} {value} is {side} day of the data ({edge}): the "
                             f"data run from {first} to {last}"
                             + (f" ({data})" if data else "") + "; give a window inside them")


def _series(two_factor: bool) -> list[tuple[np.ndarray, np.ndarray]]:
    series = [_closes("spx_daily"), _closes("vix_daily")]
    if two_factor:
        series.append(_closes("vix3m_daily"))
    return series


def _common_dates(series) -> np.ndarray:
    dates = series[0][0]
    for d, _ in series[1:]:
        dates = np.intersect1d(dates, d)
    return dates


def _names(two_factor: bool) -> str:
    return "S&P 500, VIX" + (" and VIX3M" if two_factor else "")


def _hint(two_factor: bool) -> str:
    return ("; a one-factor model needs spot VIX only (from 1990), e.g. svcj_default"
            if two_factor else "")


def history_dates(start: str, end: str, two_factor: bool, what: str = "history",
                  min_days: int = MIN_DAYS, in_data: bool = True) -> np.ndarray:
    """The trading days from ``start`` to ``end`` (ISO dates, inclusive) with an S&P 500 and a
    VIX close (and a VIX3M close when ``two_factor``); at least ``min_days`` of them, else a
    ValueError naming the window and the data's range. ``in_data``: the window must lie
    inside the data (:func:`check_in_data`); False to take whatever part of it the data
    have."""
    check_window(start, end, what)
    dates = _common_dates(_series(two_factor))
    if in_data:
        check_in_data(start, end, str(dates[0]), str(dates[-1]), what,
                      f"{_names(two_factor)} closes")
    window = dates[(dates >= start) & (dates <= end)]
    if window.size < min_days:
        raise ValueError(f"{what} {start} to {end}: {window.size} trading day(s) with "
                         f"{_names(two_factor)} closes; at least {min_days} are needed, and "
                         f"the data run from {dates[0]} to {dates[-1]}{_hint(two_factor)}")
    return window


def history_on(model: Model, dates: np.ndarray) -> HistoryPath:
    """The real path on ``dates`` (days that have every close ``model`` needs), with the state
    each day's closes imply under ``model``'s Q parameters."""
    series = _series(model.two_factor)
    closes = []
    for d, c in series:
        idx = np.minimum(np.searchsorted(d, dates), d.size - 1)
        if not (d[idx] == dates).all():
            raise ValueError("history: a date without every close the model needs")
        closes.append(c[idx])
    spx, vix = closes[0], closes[1]
    vix3m = closes[2] if model.two_factor else None
    v, m, clipped = states_from_vix_curve(model.Q, vix, vix3m)
    return HistoryPath(np.asarray(dates), spx, vix, vix3m, np.asarray(v, dtype=float),
                       None if m is None else np.asarray(m, dtype=float),
                       np.asarray(clipped, dtype=bool))


def history_path(model: Model, start: str, end: str) -> HistoryPath:
    """The trading days from ``start`` to ``end`` (ISO dates, inclusive) that have an S&P 500
    close and a VIX close (and a VIX3M close for a two-factor model), with the state each
    day's closes imply under ``model``'s Q parameters."""
    return history_on(model, history_dates(start, end, model.two_factor))


@dataclass(frozen=True)
class HistoryWindows:
    """Windows of real history as paths: window ``i`` is ``dates[starts[i] : starts[i] +
    n_days + 1]`` (``n_days`` moves). One window spanning every date is a single replay."""

    dates: np.ndarray
    starts: np.ndarray
    n_days: int

    @property
    def n_paths(self) -> int:
        return int(self.starts.size)

    def first_dates(self) -> np.ndarray:
        return self.dates[self.starts]

    def last_dates(self) -> np.ndarray:
        return self.dates[self.starts + self.n_days]

    def window_dates(self, i: int) -> np.ndarray:
        """The ``n_days + 1`` dates of window ``i`` (a lone rolling window can be shorter
        than the span it was cut from: not ``dates``)."""
        return self.dates[self.starts[i]:self.starts[i] + self.n_days + 1]


def single_window(dates: np.ndarray) -> HistoryWindows:
    """All of ``dates`` as one path (``path.source: history``)."""
    return HistoryWindows(np.asarray(dates), np.array([0]), len(dates) - 1)


def rolling_windows(dates: np.ndarray, length_days: int, step_days: int) -> HistoryWindows:
    """Every window of ``length_days`` moves whose first day is a multiple of ``step_days``
    trading days after ``dates[0]`` and whose last day is in ``dates`` (``path.source:
    history_windows``)."""
    dates = np.asarray(dates)
    if length_days < MIN_DAYS - 1:
        raise ValueError(f"path.length_days {length_days}: at least {MIN_DAYS - 1} trading "
                         "days (a month) are needed")
    if step_days < 1:
        raise ValueError(f"path.step_days {step_days}: at least 1")
    if dates.size < length_days + 1:
        raise ValueError(f"path.length_days {length_days}: longer than the data's "
                         f"{dates.size - 1} trading-day moves from {dates[0]} to {dates[-1]}")
    starts = np.arange(0, dates.size - length_days, step_days)
    return HistoryWindows(dates, starts, int(length_days))


class HistorySource:
    """Windows of one real path as a path source for the runner: ``chunk(start, n)`` gives
    windows ``start .. start + n - 1`` as a :class:`~simulator.model.paths.PathChunk`. A day
    has the same state in every window it belongs to: its own closes' state."""

    def __init__(self, path: HistoryPath, windows: HistoryWindows):
        if not np.array_equal(path.dates, windows.dates):
            raise ValueError("the windows and the path must be on the same dates")
        self.windows = windows
        self.path = path

    def chunk(self, start: int, n: int):
        from simulator.model.paths import PathChunk

        w = self.windows
        rows = w.starts[start:start + n, None] + np.arange(w.n_days + 1)[None, :]
        p = self.path
        return PathChunk(start, p.spx[rows], p.v[rows], p.vix[rows],
                         None if p.m is None else p.m[rows], p.dates[rows])


def restricted(path: HistoryPath, dates: np.ndarray) -> HistoryPath:
    """``path`` on a subset ``dates`` of its days."""
    idx = np.searchsorted(path.dates, dates)
    if not (idx < path.dates.size).all() or not np.array_equal(path.dates[idx], dates):
        raise ValueError("history: dates outside the path")
    return HistoryPath(path.dates[idx], path.spx[idx], path.vix[idx],
                       None if path.vix3m is None else path.vix3m[idx], path.v[idx],
                       None if path.m is None else path.m[idx], path.clipped[idx])


__all__ = ["MIN_DAYS", "HistoryPath", "HistorySource", "HistoryWindows", "check_in_data",
           "check_window",
           "history_dates", "history_on", "history_path", "restricted", "rolling_windows",
           "single_window"]
