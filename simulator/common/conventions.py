"""Conventions every layer shares: the clock, the VIX window, layer and baseline names.

* The simulation clock counts **trading days**, 252 a year (one step = 1/252 year).
* Option tenors are quoted in **calendar days** (a "45-DTE condor"), 365 a year, and converted
  to trading days with :func:`trading_days`.
* The VIX looks 30 **calendar** days ahead (Cboe VIX white paper), so its window is 30/365
  years whatever the simulation clock.
* A month is 21 trading days (monthly P&L, the claims' "per month" figures).
"""

from __future__ import annotations

TRADING_DAYS_PER_YEAR = 252
CALENDAR_DAYS_PER_YEAR = 365
MONTH_TRADING_DAYS = 21
# The shipped default model (scenario files without a model, `alvh simulate`, `alvh facts`, the
# history pricing of `alvh replay`): the conditional fit of docs/calibration.md §9, iteration 4.
DEFAULT_MODEL = "svcj_2f_conditional_vlevel"
VIX_WINDOW_YEARS = 30.0 / CALENDAR_DAYS_PER_YEAR
# constant maturities (calendar days) of the "front" and "second" VIX futures that the
# term-structure and regime rules read (model futures, or listed ones interpolated in history)
FRONT_FUTURE_DTE = 30
SECOND_FUTURE_DTE = 60
VIX3M_WINDOW_YEARS = 93 / CALENDAR_DAYS_PER_YEAR  # Cboe VIX3M: 93 calendar days

# the hedge's three layers, in budget order (40/40/20 by default)
LAYER_NAMES = ("front", "middle", "tail")
# the strategy every hedged strategy is paired against on the same paths
BASELINE = "unhedged"


def trading_days(calendar_days: float) -> int:
    """Calendar days to the nearest whole number of trading days (252 per 365).

    >>> trading_days(45), trading_days(30), trading_days(365)
    (31, 21, 252)
    """
    return round(calendar_days * TRADING_DAYS_PER_YEAR / CALENDAR_DAYS_PER_YEAR)


def years_of(n_days: int) -> float:
    """The length of a run of ``n_days`` trading days (day 0 .. n_days) in years.

    >>> years_of(252)
    1.0
    """
    return n_days / TRADING_DAYS_PER_YEAR
