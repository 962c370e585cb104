"""The exchange calendar of a history run, as arrays for the engine.

On real dates a condor tranche takes the monthly SPX expiry nearest its DTE (third Friday,
:mod:`simulator.market.expiries`), and a VIX layer the VIX expiry nearest its DTE, priced off
that listed contract's settlement each day the data has one. Counted in sessions of the one
history clock (:mod:`simulator.market.sessions`: the XNYS calendar of ``exchange_calendars``)
from the day of the trade: the same count in every window that holds the day, and the path's
own days wherever the expiry falls inside the window (a path's days are consecutive sessions
of that clock), so the engine's day counter reaches the expiry on its date.

Expiries settle at the exchange's settlement values where the data has them
(:func:`spx_settlements`, :func:`vix_expiring`), and the rules' constant-maturity futures
are interpolated between the contracts listed each day (:func:`constant_maturity`);
docs/history.md §4.
"""

from __future__ import annotations

import datetime
import functools
from dataclasses import dataclass, field

import numpy as np

from simulator.common.conventions import FRONT_FUTURE_DTE, SECOND_FUTURE_DTE
from simulator.market.expiries import spx_expiries, vix_expiries
from simulator.market.sessions import (
    adhoc_before,
    exchange_sessions,
    history_sessions,
    sessions_between,
)
from simulator.model.stylized_facts import load_market_series

LOOK_AHEAD_DAYS = 400  # expiries listed beyond a window's end: the longest DTE (540) is rare


@dataclass(frozen=True)
class ExpirySchedule:
    """Per path (int32): ``condor_days`` (paths, groups, days + 1), ``layer_days`` and
    ``layer_col`` (paths, strategies, 4, days + 1; slots 0-2 the layers, 3 the term-structure
    roll-out).
    ``listed`` (contracts, span days) the VX settlements (NaN where none) of every contract
    on every date of the chunk's span, shared by its paths: path i's day d is span column
    ``listed_day0[i] + d`` and ``layer_col`` indexes its rows. One array for the chunk, not
    one per path: overlapping windows of a long span would otherwise repeat it (paths x
    contracts x days: 12.7 GB for 2,520-day windows every day, issue 34).

    Per span day, shared the same way (empty for simulated paths; issue 29):
    ``spx_settle`` the monthly SPX options' settlement value on an expiry day (the data's
    open, the proxy of the AM settlement value SET; NaN on other days and where the data has
    no usable open: the kernel then settles at the close and counts it);
    ``vix_expiring`` the row of ``listed`` of the contract whose final settlement day it is
    (-1: none): its settlement that day is the final settlement value (the special opening
    quotation, SOQ);
    ``listed_cm`` (2, span days) the constant-maturity futures of the rules
    (conventions.FRONT/SECOND_FUTURE_DTE calendar days) interpolated between the contracts listed
    that day (NaN where the data cannot give one: the model's future is read instead).

    The calendar as known on each day (issue: the tenor of a decision must not see the
    unscheduled closures after it): ``adhoc`` (clock days,) int32 the number of unscheduled
    closures before each session of the history clock, a run of
    :func:`simulator.market.sessions.adhoc_before` from the chunk's first day to
    LOOK_AHEAD_DAYS past its last, with path i's day d at entry ``adhoc_day0[i] + d`` (a
    path's days are consecutive sessions of the clock, so its expiry day E, inside the window
    or beyond it, is entry ``adhoc_day0[i] + E``). The counts above (``condor_days``,
    ``layer_days``) are the realised calendar's, the countdown to settlement; a position
    expiring at path day E is priced on day d at :meth:`known_days` (empty ``adhoc``:
    simulated paths, the count itself)."""

    condor_days: np.ndarray
    layer_days: np.ndarray
    layer_col: np.ndarray
    listed: np.ndarray
    listed_day0: np.ndarray
    spx_settle: np.ndarray = field(default_factory=lambda: np.zeros(0))
    vix_expiring: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int32))
    listed_cm: np.ndarray = field(default_factory=lambda: np.zeros((2, 0)))
    adhoc: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int32))
    adhoc_day0: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))

    @staticmethod
    def empty(n_paths: int, n_groups: int, n_strategies: int) -> ExpirySchedule:
        return ExpirySchedule(np.zeros((n_paths, n_groups, 0), dtype=np.int32),
                              np.zeros((n_paths, n_strategies, 4, 0), dtype=np.int32),
                              np.zeros((n_paths, n_strategies, 4, 0), dtype=np.int32),
                              np.zeros((1, 0)), np.zeros(n_paths, dtype=np.int64),
                              adhoc_day0=np.zeros(n_paths, dtype=np.int64))

    def known_days(self, path: int, day: int, expiry_day: int) -> int:
        """The sessions from path day ``day`` to path day ``expiry_day`` on the calendar as
        known on ``day``: the realised count plus the unscheduled closures between."""
        if self.adhoc.size == 0:
            return expiry_day - day
        base = int(self.adhoc_day0[path])
        return (expiry_day - day + int(self.adhoc[base + expiry_day])
                - int(self.adhoc[base + day]))

    @property
    def nbytes(self) -> int:
        return sum(a.nbytes for a in (self.condor_days, self.layer_days, self.layer_col,
                                      self.listed, self.listed_day0, self.spx_settle,
                                      self.vix_expiring, self.listed_cm, self.adhoc,
                                      self.adhoc_day0))


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
    """Sessions of the history clock from each day to its expiry (at least 1): nothing of the
    window's end enters, so every window holding the day counts the same."""
    return np.maximum(sessions_between(dates64, expiry64), 1)


@functools.cache
def _session_strings() -> np.ndarray:
    """The exchange's sessions as ISO strings (the SPX expiry rule's 'is it a session')."""
    return exchange_sessions().astype(str)


@functools.cache
def _settlements() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(date, expiry, settle) of every VX settlement the data has, once per process (read
    only, sorted by date: a chunk's schedule takes a slice of its span's rows)."""
    vx = load_market_series("vix_futures_contracts_cboe")
    rows = np.flatnonzero(np.isfinite(vx["settle"]))
    rows = rows[np.argsort(vx["date"][rows], kind="stable")]
    out = vx["date"][rows], vx["expiry"][rows], vx["settle"][rows]
    for a in out:
        a.flags.writeable = False
    return out


def _span(dates: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(span, day0): the sorted dates of all paths, and where each path starts in it; every
    path must be consecutive dates of the span (windows of one calendar)."""
    n_cols = dates.shape[1]
    parts, end = [], None
    for i in np.argsort(dates[:, 0], kind="stable"):
        row = dates[i]
        # each window adds its dates after the span's end (np.unique would sort every path-day)
        parts.append(row if end is None else row[np.searchsorted(row, end, side="right"):])
        end = max(row[-1], end) if end is not None else row[-1]
    span = np.concatenate(parts)
    day0 = np.searchsorted(span, dates[:, 0])
    if (day0 + n_cols > span.size).any() or not all(
            np.array_equal(span[s:s + n_cols], row) for s, row in zip(day0, dates, strict=True)):
        raise ValueError("history paths must be windows of one calendar of trading dates")
    return span, day0.astype(np.int64)


def spx_settlements(span: np.ndarray) -> np.ndarray:
    """(span days,) the settlement value of the monthly SPX options expiring on each day of
    ``span`` (ISO trading dates, sorted), NaN on the other days.

    Monthly SPX options are AM-settled: the exercise settlement value (SET) is computed from
    the opening prints of the index's stocks on the expiry day. The data has no SET; its
    opening index value is the proxy. Where that open is the previous close to the cent (the
    opening index value begins at the previous close until stocks trade, and the source
    carries it on most days of 1990-2006) or missing, there is no usable open: NaN, and the
    kernel settles at the close and counts it (``condor_settled_close``)."""
    out = np.full(span.size, np.nan)
    if span.size == 0:
        return out
    expiries = spx_expiries(str(span[0]), str(span[-1]), _session_strings())
    at = np.searchsorted(span, expiries)
    at = at[(at < span.size)]
    at = at[np.isin(span[at], expiries)]
    spx = load_market_series("spx_daily")
    row = np.searchsorted(spx["date"], span[at])
    ok = (row > 0) & (row < spx["date"].size)
    row, at = row[ok], at[ok]
    ok = spx["date"][row] == span[at]
    row, at = row[ok], at[ok]
    opens, before = spx["open"][row], spx["close"][row - 1]
    good = np.isfinite(opens) & (opens > 0) & (opens != before)
    out[at[good]] = opens[good]
    return out


def vix_expiring(expiries: np.ndarray, span: np.ndarray) -> np.ndarray:
    """(span days,) int32: the index in ``expiries`` of the VIX contract whose final
    settlement day each date of ``span`` is (-1: none)."""
    out = np.full(span.size, -1, dtype=np.int32)
    at = np.searchsorted(span, expiries)
    ok = at < span.size
    ok[ok] &= span[at[ok]] == expiries[ok]
    out[at[ok]] = np.flatnonzero(ok)
    return out


def constant_maturity(listed: np.ndarray, expiries: np.ndarray, span: np.ndarray,
                      calendar_days: int) -> np.ndarray:
    """(span days,) the VIX future ``calendar_days`` ahead of each date of ``span``, from the
    contracts listed that day (``listed`` (contracts, span days) settlements, rows
    ``expiries``); NaN where the data cannot give one.

    Linear in calendar days to expiry between the two consecutive expiries around the target
    date (the first on or after it and the one before). A contract expiring that day (its
    settlement is the morning's final quotation) or earlier is not used: when the first
    expiry after the day is beyond the target, that contract alone (as a front-month future
    index holds the front contract until its roll). Both contracts must have a settlement
    that day: no extrapolation, no interpolation across a month the data does not list, and
    only settlements dated that day (no look-ahead)."""
    out = np.full(span.size, np.nan)
    if span.size == 0 or expiries.size == 0:
        return out
    d64 = span.astype("datetime64[D]")
    e64 = expiries.astype("datetime64[D]")
    target = d64 + np.timedelta64(int(calendar_days), "D")
    hi = np.searchsorted(e64, target)  # first expiry on or after the target
    lo = hi - 1
    inside = hi < e64.size
    cols = np.arange(span.size)
    hi_c = np.minimum(hi, e64.size - 1)
    lo_c = np.maximum(lo, 0)
    upper = np.where(inside, listed[hi_c, cols], np.nan)
    lower = listed[lo_c, cols]
    front_only = (lo < 0) | (e64[lo_c] <= d64)  # no live contract expires before the target
    span_days = (e64[hi_c] - e64[lo_c]).astype(float)
    w = np.where(front_only | (span_days <= 0), 1.0,
                 (target - e64[lo_c]).astype(float) / np.where(span_days > 0, span_days, 1.0))
    exact = w >= 1.0
    value = np.where(exact, upper, lower + w * (upper - lower))
    out[inside] = value[inside]
    return out


def roll_days(d64: np.ndarray, expiries64: np.ndarray) -> np.ndarray:
    """Cboe CNDR's roll (``open_on: expiry``): per day of a path (datetime64[D], consecutive
    sessions), the sessions to the next monthly SPX expiry after it on the path's first day
    and on each monthly expiry day (the old series settles that morning, the new one is sold
    the same day), 0 on every other day (no tranche opens)."""
    nxt = np.searchsorted(expiries64, d64, side="right")  # the first expiry after the day
    if (nxt >= expiries64.size).any():
        raise ValueError("the expiry calendar ends before a trade's expiry")
    days = _days_to(d64, expiries64[nxt])
    roll = np.isin(d64, expiries64)
    roll[0] = True
    return np.where(roll, days, 0).astype(days.dtype)


def expiry_schedule(dates: np.ndarray, condor_dte: list[int | None],
                    layer_dte: list[list[tuple[int, int] | None]],
                    condor_open_on: list[str] | None = None,
                    layer_spx: list[list[bool]] | None = None) -> ExpirySchedule:
    """The calendar of paths on ``dates`` (paths, days + 1) ISO strings: ``condor_dte``
    (calendar days, per condor group; None: no condor) and ``layer_dte`` (per strategy, the
    (DTE, roll DTE) in calendar days of its three layers and of its term-structure roll-out;
    None: unused). ``condor_open_on`` (per condor group, default all ``"cycle"``): an
    ``"expiry"`` group's days are :func:`roll_days` (0 where it opens nothing).
    ``layer_spx`` (per strategy, per layer slot; default none): an SPX put layer, which takes
    the monthly SPX expiry nearest its DTE (as a condor does) and no VX contract (col -1).

    Each path picks its expiries among those listed from its first day to LOOK_AHEAD_DAYS
    after its last (as a lone path would), numbered in the chunk's list of expiries."""
    dates = np.asarray(dates)
    n_paths, n_cols = dates.shape
    span, day0 = _span(dates)
    s_date, s_expiry, s_settle = _settlements()
    horizon_of = [(datetime.date.fromisoformat(str(row[-1]))
                   + datetime.timedelta(days=LOOK_AHEAD_DAYS)).isoformat() for row in dates]
    vix_all = vix_expiries(str(span[0]), max(horizon_of))
    # the exchange's calendar moves a third Friday that is no session (Good Friday) to the
    # session before, in every window alike (not only when the window holds the Friday)
    spx_all = spx_expiries(str(span[0]), max(horizon_of), _session_strings())
    # int32: trading days and contract rows are small; these arrays are per path-day
    condor = np.zeros((n_paths, len(condor_dte), n_cols), dtype=np.int32)
    days = np.zeros((n_paths, len(layer_dte), 4, n_cols), dtype=np.int32)
    col = np.full((n_paths, len(layer_dte), 4, n_cols), -1, dtype=np.int32)
    for i, row in enumerate(dates):
        first, horizon = str(row[0]), horizon_of[i]
        d64 = row.astype("datetime64[D]")
        spx = spx_all[np.searchsorted(spx_all, first):np.searchsorted(
            spx_all, horizon, "right")].astype("datetime64[D]")
        # the path's own expiries: a contiguous run of the chunk's list
        lo, hi = np.searchsorted(vix_all, first), np.searchsorted(vix_all, horizon, "right")
        vix64 = vix_all[lo:hi].astype("datetime64[D]")
        for g, dte in enumerate(condor_dte):
            if dte is not None and condor_open_on and condor_open_on[g] == "expiry":
                condor[i, g] = roll_days(d64, spx)
            elif dte is not None:
                condor[i, g] = _days_to(d64, spx[_nearest(spx, d64, dte)])
        for k, dtes in enumerate(layer_dte):
            for j, dte in enumerate(dtes):
                if dte is not None and layer_spx and layer_spx[k][j]:
                    days[i, k, j] = _days_to(d64, spx[_nearest(spx, d64, *dte)])
                elif dte is not None:
                    idx = _nearest(vix64, d64, *dte)
                    days[i, k, j] = _days_to(d64, vix64[idx])
                    col[i, k, j] = lo + idx
    listed = np.full((vix_all.size, span.size), np.nan)
    keep = slice(np.searchsorted(s_date, span[0]), np.searchsorted(s_date, span[-1], "right"))
    expiry, day, settle = s_expiry[keep], s_date[keep], s_settle[keep]  # views
    r = np.searchsorted(vix_all, expiry)
    c = np.searchsorted(span, day)
    good = (r < vix_all.size) & (c < span.size)
    good[good] &= (vix_all[r[good]] == expiry[good]) & (span[c[good]] == day[good])
    listed[r[good], c[good]] = settle[good]
    cm = np.stack([constant_maturity(listed, vix_all, span, FRONT_FUTURE_DTE),
                   constant_maturity(listed, vix_all, span, SECOND_FUTURE_DTE)])
    clock = history_sessions()
    first64 = dates[:, 0].astype("datetime64[D]")
    at = np.searchsorted(clock, first64)
    if (at >= clock.size).any() or (clock[np.minimum(at, clock.size - 1)] != first64).any():
        raise ValueError("history paths must start on a session of the history clock")
    lo = int(at.min())
    # expiries lie at most LOOK_AHEAD_DAYS calendar days (fewer sessions) after a window
    hi = min(clock.size, int(at.max()) + n_cols + LOOK_AHEAD_DAYS + 1)
    adhoc = np.array(adhoc_before()[lo:hi], dtype=np.int32)  # a writable copy, one per chunk
    return ExpirySchedule(condor, days, col, listed, day0, spx_settlements(span),
                          vix_expiring(vix_all, span), cm, adhoc, (at - lo).astype(np.int64))


__all__ = ["ExpirySchedule", "constant_maturity", "expiry_schedule", "roll_days",
           "spx_settlements", "vix_expiring"]
