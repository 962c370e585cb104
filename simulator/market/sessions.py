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

The count uses the calendar as it turned out, unscheduled closures included, also before they
were announced: the engine's clock is the path's days, and a position must settle on the path
day of its real expiry. ``docs/history.md`` (the exchange calendar) says what this knows early
and how many decisions it touches.
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
    import warnings

    import exchange_calendars as xcals

    with warnings.catch_warnings():
        # exchange_calendars 4.13 reads a tz-aware Series' .values, which pandas 3.1 deprecates
        # (Pandas4Warning); the sessions it returns are unaffected
        warnings.simplefilter("ignore", FutureWarning)
        warnings.simplefilter("ignore", DeprecationWarning)
        cal = xcals.get_calendar(CALENDAR, start=FIRST, end=LAST)
    out = cal.sessions.to_numpy().astype("datetime64[D]")
    out.flags.writeable = False
    return out


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


__all__ = ["CALENDAR", "DATA_HOLES", "check_session", "exchange_sessions", "history_sessions",
           "previous_session", "sessions_between"]
