"""The exchange's expiry calendar for history runs: S&P 500 monthly options and VIX futures.

- SPX monthly options expire on the third Friday of the month (AM settlement); when that
  Friday is not a session (Good Friday 2008, 2014, 2025), on the session before it (history
  runs pass the exchange's sessions, :mod:`simulator.market.sessions`).
- VIX futures and options expire on the Wednesday 30 calendar days before the third Friday of
  the following month (Cboe VX contract specifications). Where the shipped VX settlements
  list a contract, its listed expiry is used; beyond them the rule gives the date.

Choosing an expiry and counting the trading days to it is :mod:`simulator.market.calendar`'s.
"""

from __future__ import annotations

import datetime

import numpy as np

from simulator.model.stylized_facts import load_market_series


def third_friday(year: int, month: int) -> datetime.date:
    first = datetime.date(year, month, 1)
    return first + datetime.timedelta(days=(4 - first.weekday()) % 7 + 14)


def _months(first: datetime.date, last: datetime.date):
    y, m = first.year, first.month
    while (y, m) <= (last.year, last.month):
        yield y, m
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)


def spx_expiries(first: str, last: str, trading_dates: np.ndarray) -> np.ndarray:
    """Monthly SPX expiries (ISO strings) of the months from ``first`` to ``last``: the third
    Friday, or the trading day before it when the data has no close that Friday (and the
    Friday is within the data)."""
    out = []
    lo, hi = datetime.date.fromisoformat(first), datetime.date.fromisoformat(last)
    for y, m in _months(lo, hi):
        friday = third_friday(y, m).isoformat()
        if trading_dates[0] <= friday <= trading_dates[-1] and friday not in trading_dates:
            friday = trading_dates[np.searchsorted(trading_dates, friday) - 1]
        out.append(friday)
    return np.array(out)


def vix_rule_expiry(year: int, month: int) -> datetime.date:
    """The VIX expiry of a contract month by rule: 30 days before the next month's third
    Friday."""
    y, m = (year + 1, 1) if month == 12 else (year, month + 1)
    return third_friday(y, m) - datetime.timedelta(days=30)


def vix_expiries(first: str, last: str) -> np.ndarray:
    """VIX expiries (ISO strings, sorted) from ``first`` to ``last``: the shipped data's
    listed expiries, and the rule's dates for months the data does not list."""
    listed = np.unique(load_market_series("vix_futures_contracts_cboe")["expiry"])
    lo, hi = datetime.date.fromisoformat(first), datetime.date.fromisoformat(last)
    months_listed = {e[:7] for e in listed}
    ruled = [vix_rule_expiry(y, m).isoformat() for y, m in _months(lo, hi + datetime.timedelta(
        days=62))]
    ruled = [e for e in ruled if e[:7] not in months_listed]
    dates = np.unique(np.concatenate([listed, np.array(ruled, dtype=listed.dtype)]))
    return dates[(dates >= first) & (dates <= last)]


__all__ = ["spx_expiries", "third_friday", "vix_expiries", "vix_rule_expiry"]
