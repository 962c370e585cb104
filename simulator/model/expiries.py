"""The exchange's expiry calendar for history runs: S&P 500 monthly options and VIX futures.

- SPX monthly options expire on the third Friday of the month (AM settlement); when that
  Friday is not a trading day of the data (Good Friday 2008, 2014, 2025), on the trading day
  before it.
- VIX futures and options expire on the Wednesday 30 calendar days before the third Friday of
  the following month (Cboe VX contract specifications). Where the shipped VX settlements
  list a contract, its listed expiry is used; beyond them the rule gives the date.

Days to expiry are counted in the model's units: trading days of the data from a day to the
expiry (Monday to Friday beyond the data's last day), as the engine counts DTE everywhere.
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


def trading_days_between(trading_dates: np.ndarray, day: int, expiry: str) -> int:
    """Trading days from ``trading_dates[day]`` to ``expiry``: the data's days after it up to
    the expiry, and Monday to Friday beyond the data's last day."""
    inside = int(np.searchsorted(trading_dates, expiry, side="right")) - day - 1
    last = trading_dates[-1]
    if expiry <= last:
        return inside
    beyond = int(np.busday_count(np.datetime64(last) + 1, np.datetime64(expiry) + 1))
    return inside + beyond


def nearest_expiry(expiries: np.ndarray, date: str, calendar_days: int) -> int:
    """Index in ``expiries`` of the expiry nearest ``date`` + ``calendar_days`` (the later one
    on a tie), among those after ``date``."""
    target = (datetime.date.fromisoformat(date)
              + datetime.timedelta(days=int(calendar_days))).isoformat()
    after = int(np.searchsorted(expiries, date, side="right"))
    i = int(np.searchsorted(expiries, target))
    candidates = [j for j in (i - 1, i) if after <= j < expiries.size]
    if not candidates:
        raise ValueError(f"no expiry after {date} in the calendar")

    def gap(j):
        return abs((datetime.date.fromisoformat(expiries[j])
                    - datetime.date.fromisoformat(target)).days)
    return min(candidates, key=lambda j: (gap(j), -j))


__all__ = ["nearest_expiry", "spx_expiries", "third_friday", "trading_days_between",
           "vix_expiries", "vix_rule_expiry"]
