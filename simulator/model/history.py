"""Real history as one path: the S&P 500's closes and the model state each day's VIX curve
implies, from the shipped Cboe and S&P data (``simulator/data/market``, ``SOURCES.md``).

The state of day d uses the closes of day d only (spot VIX, and VIX3M for a two-factor
model), never a later day: a strategy run on this path decides with what it could have known.
Options are then priced by the model at that state: model prices around real levels, not
historical quotes. Days are the trading days of the data (its holidays included); day 0 is
the first day of the window.

This is the path source of history replays (issue 15 builds the scenario files, real VX
contracts for the layers, the exchange calendar and rolling windows on it).
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


def history_path(model: Model, start: str, end: str) -> HistoryPath:
    """The trading days from ``start`` to ``end`` (ISO dates, inclusive) that have an S&P 500
    close and a VIX close (and a VIX3M close for a two-factor model), with the state each
    day's closes imply under ``model``'s Q parameters."""
    check_window(start, end, "history")
    series = [_closes("spx_daily"), _closes("vix_daily")]
    if model.two_factor:
        series.append(_closes("vix3m_daily"))
    dates = series[0][0]
    for d, _ in series[1:]:
        dates = np.intersect1d(dates, d)
    first, last = dates[0], dates[-1]
    window = dates[(dates >= start) & (dates <= end)]
    if window.size < MIN_DAYS:
        names = "S&P 500, VIX" + (" and VIX3M" if model.two_factor else "")
        hint = ("; a one-factor model needs spot VIX only (from 1990), e.g. svcj_default"
                if model.two_factor else "")
        raise ValueError(f"history {start} to {end}: {window.size} trading day(s) with "
                         f"{names} closes; at least {MIN_DAYS} are needed, and the data run "
                         f"from {first} to {last}{hint}")
    closes = [c[np.searchsorted(d, window)] for d, c in series]
    spx, vix = closes[0], closes[1]
    vix3m = closes[2] if model.two_factor else None
    v, m, clipped = states_from_vix_curve(model.Q, vix, vix3m)
    return HistoryPath(window, spx, vix, vix3m, np.asarray(v, dtype=float),
                       None if m is None else np.asarray(m, dtype=float),
                       np.asarray(clipped, dtype=bool))


__all__ = ["MIN_DAYS", "HistoryPath", "check_window", "history_path"]
