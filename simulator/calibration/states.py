"""The model state of each real day, fitted to that day's whole VIX curve: the path source of
history runs for two-factor models.

A two-factor state (v, m) needs two points of the curve. VIX and VIX3M pin it exactly
(:func:`simulator.market.history.history_path`), but VIX3M starts in September 2009 and misses
the futures the hedge trades. Here each day's state is the least-squares fit to every point
the data has that day (VIX, VIX3M, VIX6M and each listed VX contract up to 126 trading days
from expiry, :func:`~simulator.market.curves.curve_observations`), by the same
per-day Gauss-Newton solve the calibration uses. Each day is solved from its own closes and a
start computed from its own spot VIX: a day's state never depends on another day (no
look-ahead). The VX contracts start in 2004-2006, so two-factor history runs from then; a
one-factor model takes its state from spot VIX alone (from 1990).

Spot VIX carries a large weight (:data:`VIX_WEIGHT`): the 30-day variance that prices the
condor's options is the real one, and the rest of the curve sets the second factor. A curve
the model cannot make (March 2020: VIX 82, futures in the 40s-50s) leaves the futures off; the
real VIX drives the rules and costs of a replay either way.
"""

from __future__ import annotations

import functools

import numpy as np

from simulator.market.history import (
    MIN_DAYS,
    HistoryPath,
    check_in_data,
    check_window,
    history_dates,
)
from simulator.model.params import Model

# Spot VIX's weight in a day's least squares (other points: 1): VIX is all but matched (the
# 30-day variance that prices the condor's options), and the rest of the curve (VIX3M, VIX6M,
# the listed futures the hedge trades) sets the second factor. Measured on 2007-2025 with
# svcj_2f_calibrated: see docs/history.md.
VIX_WEIGHT = 1e4


def two_factor_span() -> tuple[str, str]:
    """(first, last): the days a two-factor history can run on (the first with a second point
    of the VIX curve, the last S&P 500 and VIX close)."""
    spx_days = history_dates("1900-01-01", "9999-12-31", False, in_data=False)
    return _first_curve_day(), str(spx_days[-1])


@functools.cache
def _first_curve_day() -> str:
    """The first day a two-factor history can have: an S&P 500 and a VIX close and a second
    point of the VIX curve (once per process)."""
    from simulator.market.curves import curve_observations

    spx_days = history_dates("1900-01-01", "9999-12-31", False, in_data=False)
    obs = curve_observations(str(spx_days[0]), str(spx_days[-1]), min_points=2)
    return str(obs.dates[np.isin(obs.dates, spx_days)][0])


def curve_history(model: Model, start: str, end: str, what: str = "history") -> HistoryPath:
    """The real path from ``start`` to ``end``: S&P 500 and VIX closes, and each day's state.

    Two-factor models: days with an S&P 500 close, a VIX close and at least one more point of
    the curve, the state fitted to the day's curve (``clipped``: the best state sits on the
    edge v = 0 or m = 0). One-factor models: :func:`~simulator.market.history.history_path`'s
    days and states (spot VIX)."""
    from simulator.market.history import history_on

    if not model.two_factor:
        return history_on(model, history_dates(start, end, False, what))
    from simulator.calibration.risk_neutral import CurvePricer
    from simulator.common.conventions import TRADING_DAYS_PER_YEAR
    from simulator.market.curves import MAX_DAYS_LEFT, curve_observations

    check_window(start, end, what)
    spx_days = history_dates("1900-01-01", "9999-12-31", False, what,  # S&P 500 and VIX
                             in_data=False)
    check_in_data(start, end, _first_curve_day(), str(spx_days[-1]), what,
                  "S&P 500 and VIX closes with a second point of the VIX curve")
    try:
        obs = curve_observations(start, end, min_points=2)
    except ValueError:
        obs = None
    days = np.array([], dtype=spx_days.dtype) if obs is None else obs.dates
    keep = np.flatnonzero(np.isin(days, spx_days))
    if keep.size < MIN_DAYS:
        raise ValueError(
            f"{what} {start} to {end}: {keep.size} trading day(s) with an S&P 500 close, a VIX "
            f"close and a second point of the VIX curve (VIX3M, VIX6M or a VX future); at "
            f"least {MIN_DAYS} are needed. A two-factor model's history runs from the first "
            "VX futures (2004-2006) to the data's last day "
            f"({spx_days[-1]}); a one-factor model needs spot VIX only (from {spx_days[0]}), "
            "e.g. svcj_default")
    obs = obs.select(keep)
    # every maturity a contract can have, whatever the window holds: a day's state is then
    # the same in any window that contains it, to the last bit
    taus = np.arange(1, MAX_DAYS_LEFT + 1) / TRADING_DAYS_PER_YEAR
    pricer = CurvePricer(model, obs, future_taus=taus, index_weights={"VIX": VIX_WEIGHT})
    v, m, at_edge = pricer.fit_states()
    dates = obs.dates
    base = history_on_closes(dates)
    return HistoryPath(dates, base["spx"], base["vix"], base["vix3m"], v, m, at_edge)


def history_on_closes(dates: np.ndarray) -> dict[str, np.ndarray]:
    """S&P 500 and VIX closes on ``dates`` (days that have both), and VIX3M (NaN before it)."""
    from simulator.model.stylized_facts import load_market_series

    out = {}
    for key, name in (("spx", "spx_daily"), ("vix", "vix_daily"), ("vix3m", "vix3m_daily")):
        data = load_market_series(name)
        ok = np.isfinite(data["close"])
        d, c = data["date"][ok], data["close"][ok]
        idx = np.minimum(np.searchsorted(d, dates), d.size - 1)
        found = d[idx] == dates
        if key != "vix3m" and not found.all():
            raise ValueError(f"history: {dates[~found][0]} has no {name} close")
        out[key] = np.where(found, c[idx], np.nan)
    return out


# calendar days of curve before a date that fitted_state solves with it (any window gives a
# day the same state: each day is solved from its own closes)
ANALOGUE_LOOKBACK_DAYS = 60


def fitted_state(model: Model, date: str) -> tuple[float, float | None]:
    """(v, m) of real day ``date`` (ISO) fitted as :func:`curve_history` fits it (one factor:
    (v, None) from that day's spot VIX): the state a shock with ``analogue: date`` sets. A
    ValueError names the date when the data have no such day."""
    import datetime
    import json

    try:
        day = datetime.date.fromisoformat(str(date))
        if day.isoformat() != str(date):
            raise ValueError
    except ValueError:
        raise ValueError(f"{date!r}: give a date as YYYY-MM-DD") from None
    key = (json.dumps(model.to_dict(), sort_keys=True), str(date))
    if key not in _FITTED:
        start = (day - datetime.timedelta(days=ANALOGUE_LOOKBACK_DAYS)).isoformat()
        what = "analogue" if model.two_factor else "analogue (spot VIX)"
        try:
            path = curve_history(model, start, str(date), what)
            found = np.flatnonzero(path.dates == str(date))
        except ValueError:
            found = np.array([], dtype=int)
        if found.size == 0:
            need = ("an S&P 500 close, a VIX close and a second point of the VIX curve "
                    "(VIX3M, VIX6M or a VX future; from 2004-2006)" if model.two_factor
                    else "an S&P 500 and a VIX close")
            first, last = _data_span(model.two_factor)
            raise ValueError(f"{date} is not a day with a fitted state: it needs {need}; the "
                             f"data run from {first} to {last}")
        i = int(found[0])
        _FITTED[key] = (float(path.v[i]), None if path.m is None else float(path.m[i]))
    return _FITTED[key]


_FITTED: dict[tuple[str, str], tuple[float, float | None]] = {}


def _data_span(two_factor: bool) -> tuple[str, str]:
    from simulator.market.history import history_dates

    days = history_dates("1900-01-01", "9999-12-31", False, "analogue", in_data=False)
    if two_factor:
        from simulator.model.stylized_facts import load_market_series

        first = min(str(load_market_series(name)["date"][0]) for name in
                    ("vix_futures_contracts_cboe", "vix3m_daily", "vix6m_daily"))
        return max(first, str(days[0])), str(days[-1])
    return str(days[0]), str(days[-1])


__all__ = ["curve_history", "fitted_state", "history_on_closes"]
