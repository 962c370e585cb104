"""The trading sessions of history runs: one calendar for every window, past and future.

The sessions are the New York Stock Exchange's (XNYS) from ``exchange_calendars`` (a maintained
library: regular holidays by rule, unscheduled closures such as 11-14 Sep 2001, Hurricane Sandy
on 29-30 Oct 2012 and the national days of mourning, 9 Jan 2025 the latest). The S&P 500 data's
trading days from 1980 are exactly these sessions (tested); four sessions have no VIX close in
the shipped data (1 Mar 1991, 31 Jan 1997, 26 Nov 1997, 31 Dec 1999), so no history path has
them, and the history clock leaves them out where the data runs (:data:`DATA_HOLES`).

A trading-day count from day d to an expiry is the number of these sessions after d up to the
expiry, whatever window d is in: before, the count used the window's own days and then Monday
to Friday beyond its end, so a day's strikes depended on where the window ended.

That count uses the calendar as it turned out, unscheduled closures included: it is the
engine's countdown to settlement (a position settles on the path day of its real expiry). A
decision on day d prices on the calendar as known on d instead: the closures the library lists
as ad hoc (:func:`adhoc_closures`: 11-14 Sep 2001, Sandy, the days of mourning) are unknown
until their first day, so each one strictly between d and the expiry adds a session to the
pricing tenor (:func:`adhoc_before`). ``docs/history.md`` (the exchange calendar) says what
this changes.
"""

from __future__ import annotations

import datetime
import functools

import numpy as np

CALENDAR = "XNYS"
FIRST = "1980-01-02"  # history runs start in 1990 (spot VIX); 1980: the S&P 500 check's span
LAST = "2045-12-29"  # far beyond the data: expiries up to LOOK_AHEAD_DAYS after a window
# sessions of the exchange without an S&P 500 and VIX close in the shipped data (tested)
DATA_HOLES = ("1991-03-01", "1997-01-31", "1997-11-26", "1999-12-31")


@functools.cache
def exchange_sessions() -> np.ndarray:
    """The XNYS sessions from FIRST to LAST (datetime64[D], sorted, read-only)."""
    out = _calendar().sessions.to_numpy().astype("datetime64[D]")
    out.flags.writeable = False
    return out


@functools.cache
def _calendar():
    import warnings

    import exchange_calendars as xcals

    with warnings.catch_warnings():
        # exchange_calendars 4.13 reads a tz-aware Series' .values, which pandas 3.1 deprecates
        # (Pandas4Warning); the sessions it returns are unaffected
        warnings.simplefilter("ignore", FutureWarning)
        warnings.simplefilter("ignore", DeprecationWarning)
        return xcals.get_calendar(CALENDAR, start=FIRST, end=LAST)


@functools.cache
def adhoc_closures() -> np.ndarray:
    """The unscheduled closures (datetime64[D], sorted, read-only): the weekdays the library
    lists as ad hoc holidays of XNYS from FIRST to LAST (1985-09-27 Hurricane Gloria,
    1994-04-27, 2001-09-11 to 14, 2004-06-11, 2007-01-02, 2012-10-29 and 30, 2018-12-05,
    2025-01-09; tested). Every other closure is a regular holiday by rule, known years ahead."""
    import pandas as pd

    days = pd.DatetimeIndex(_calendar().adhoc_holidays).to_numpy().astype("datetime64[D]")
    days = np.unique(days[(days >= np.datetime64(FIRST)) & (days <= np.datetime64(LAST))])
    out = days[np.is_busday(days)]
    out.flags.writeable = False
    return out


@functools.cache
def adhoc_before() -> np.ndarray:
    """(sessions,) int32: for each session of the history clock (:func:`history_sessions`,
    same index), the number of unscheduled closures before it. A position expiring at clock
    session e seen on session t prices at ``e - t + adhoc_before[e] - adhoc_before[t]``
    sessions: the realised count plus the closures strictly between, none of which had begun
    by t (a closure is unknown until its first day; its later days fall before the next
    session)."""
    out = np.searchsorted(adhoc_closures(), history_sessions()).astype(np.int32)
    out.flags.writeable = False
    return out


def unknown_closures(after: np.ndarray, through: np.ndarray) -> np.ndarray:
    """Unscheduled closures later than ``after`` (a session) and before ``through``
    (datetime64[D] arrays of one shape), as int64: what the count on the calendar as known on
    ``after`` adds to :func:`sessions_between`."""
    a = adhoc_closures()
    return (np.searchsorted(a, through, side="left")
            - np.searchsorted(a, after, side="right")).astype(np.int64)


@functools.cache
def history_sessions() -> np.ndarray:
    """The clock of every history path (datetime64[D], sorted, read-only): the exchange's
    sessions less the ones the data has no closes on (:data:`DATA_HOLES`). Every path's days
    are consecutive entries of it."""
    holes = np.array(DATA_HOLES, dtype="datetime64[D]")
    s = exchange_sessions()
    out = s[~np.isin(s, holes)]
    out.flags.writeable = False
    return out


def sessions_between(after: np.ndarray, through: np.ndarray) -> np.ndarray:
    """Sessions of the history clock later than ``after`` and not later than ``through``
    (datetime64[D] arrays of one shape), as int64."""
    s = history_sessions()
    if np.max(through, initial=np.datetime64(FIRST)) > s[-1]:
        raise ValueError(f"the {CALENDAR} calendar here ends {s[-1]}")
    return (np.searchsorted(s, through, side="right")
            - np.searchsorted(s, after, side="right")).astype(np.int64)


def previous_session(date: str) -> str:
    """``date`` if it is a session of the history clock, else the session before it."""
    s = history_sessions()
    i = np.searchsorted(s, np.datetime64(date, "D"), side="right") - 1
    return str(s[i])


def check_session(value: str, field: str) -> None:
    """A ValueError naming ``field`` and the date unless ``value`` is an XNYS session."""
    day = np.datetime64(value, "D")
    s = exchange_sessions()
    if not s[0] <= day <= s[-1]:
        return  # outside the calendar: the data's range check names it
    i = np.searchsorted(s, day)
    if s[i] != day:
        weekday = datetime.date.fromisoformat(value).strftime("%A")
        raise ValueError(f"{field} {value} is not a trading session of the {CALENDAR} "
                         f"calendar ({weekday}, the exchange is closed); the sessions "
                         f"around it are {s[i - 1]} and {s[i]}")


__all__ = ["CALENDAR", "DATA_HOLES", "adhoc_before", "adhoc_closures", "check_session",
           "exchange_sessions", "history_sessions", "previous_session", "sessions_between",
           "unknown_closures"]
