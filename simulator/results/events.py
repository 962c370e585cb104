"""Volatility events, defined by rule, and what each strategy's trading book did through them.

An **event** starts on path day ``start`` when VIX closes at least ``vix_rise_points`` above
(or ``vix_rise_pct`` above) its lowest close of the previous ``within_days`` trading days;
``start`` is the day of that low (the last calm close, so the book on ``start`` is the
pre-event book). The event's **peak** is its highest VIX close; it **ends** on the first
close at which VIX has given back ``end_retrace`` of its rise (peak - low), or at the horizon.
The next event can only start after the end of the previous one, so events never overlap.

Per strategy, path and event, on the *trading book* ``B`` (the account less interest on idle
cash, :mod:`simulator.strategy.kernels`):

* ``drawdown``: ``P - min B`` after ``start`` until ``B`` regains ``P``, where ``P`` is the
  book's peak up to ``start`` (0 when the book does not fall below ``P`` before the event
  ends: a fall that only starts after the end is not the event's);
* ``regain_days``: trading days from ``start`` to the first close at or above ``P`` after the
  book fell below it (0: it never fell; NaN: not within the horizon);
* ``hedge_pnl``: the VIX layers' P&L (marks, sales, costs) from the close of ``start`` to the
  close of the event's end.

Per event **on its own** (issue 29: the pooled figures above count an aftershock from the
pre-crash peak, so it "never recovers"; :func:`own_metrics`):

* ``own_drawdown``: ``B[start] - min B`` from ``start`` until ``B`` is back at ``B[start]``,
  the book on the event's first day (0 when the book's lowest close from ``start`` to the
  event's end is not below it);
* ``breakeven_days``: trading days from ``start`` to the first close at or above ``B[start]``
  *after the event's trough* (the lowest close from ``start`` to the end; a book flat at
  its start level before it falls has not broken even), 0 when it never fell, NaN when not
  within the horizon;
* ``parent``: an event that starts while an earlier event of the path has not broken even is
  an **aftershock**; ``parent`` is the number (1-based, as the cube's ``vol_event``) of the
  latest such earlier event, 0 for an event that starts with every earlier one recovered.

All in fractions of starting equity, like the cube. Defaults: a 10-point rise within 10
trading days. Claim C4 speaks of a "10-point VIX spike"; on the real VIX closes since 1990
(``simulator/data/market/vix_daily.csv``) this rule finds 52 events, 1.4 a year, among them
every episode a trader would name (Oct 1997, Aug 1998, Sep 2001, 2002, Oct 2008, May 2010,
Aug 2011, Aug 2015, Feb 2018, Dec 2018, March 2020, 2022, Aug 2024, Apr 2025) and no calm
year's noise: ``tests/test_events.py`` checks the count and the dates.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange
from pydantic import BaseModel, ConfigDict, Field, model_validator

# per (path, event) columns of detect(); NaN where a path has fewer events
START, PEAK, END, RISE = range(4)


class VolEventConfig(BaseModel):
    """The ``vol_events`` section of a scenario file (see the module docstring)."""

    model_config = ConfigDict(extra="forbid", frozen=True, validate_default=True)

    vix_rise_points: float | None = Field(10.0, gt=0.0, le=200.0,
                                          description="VIX points above the recent low")
    vix_rise_pct: float | None = Field(None, gt=0.0, le=20.0,
                                       description="fraction above the recent low (0.5: +50 %)")
    within_days: int = Field(10, ge=1, le=252, description="trading days the low looks back")
    end_retrace: float = Field(0.5, gt=0.0, le=1.0,
                               description="the event ends when VIX gave back this share of "
                                           "its rise")
    max_per_path: int = Field(3, ge=1, le=20, description="events kept per path")

    @model_validator(mode="after")
    def _a_rule(self):
        if self.vix_rise_points is None and self.vix_rise_pct is None:
            raise ValueError("give vix_rise_points, vix_rise_pct or both (either one triggers)")
        return self


@njit(cache=True)
def _detect_path(vix, points, pct, within, retrace, out):
    """Events of one VIX path into ``out`` (max events, 4); returns how many."""
    n_days = vix.size - 1
    count = 0
    floor = 0  # an event's low cannot lie before the end of the previous event
    d = 1
    while d <= n_days and count < out.shape[0]:
        lo_day = d - 1
        for s in range(d - 2, max(floor, d - within) - 1, -1):
            if vix[s] < vix[lo_day]:
                lo_day = s
        lo = vix[lo_day]
        rise = vix[d] - lo
        if (points > 0.0 and rise >= points) or (pct > 0.0 and vix[d] >= lo * (1.0 + pct)):
            peak_day = d
            end = n_days
            for e in range(d + 1, n_days + 1):
                if vix[e] > vix[peak_day]:
                    peak_day = e
                elif vix[e] <= vix[peak_day] - retrace * (vix[peak_day] - lo):
                    end = e
                    break
            out[count, START] = lo_day
            out[count, PEAK] = peak_day
            out[count, END] = end
            out[count, RISE] = vix[peak_day] - lo
            count += 1
            floor = end
            d = end + 1
        else:
            d += 1
    return count


@njit(cache=True, parallel=True)
def _detect(vix, points, pct, within, retrace, out, counts):
    for i in prange(vix.shape[0]):
        counts[i] = _detect_path(vix[i], points, pct, within, retrace, out[i])


def detect(vix: np.ndarray, rule: VolEventConfig) -> tuple[np.ndarray, np.ndarray]:
    """Events of each path of ``vix`` (paths, days + 1): an array (paths, max_per_path, 4) of
    (start, peak, end, rise in VIX points), NaN past a path's last event, and the count."""
    vix = np.ascontiguousarray(vix, dtype=float)
    out = np.full((vix.shape[0], rule.max_per_path, 4), np.nan)
    counts = np.zeros(vix.shape[0], dtype=np.int64)
    _detect(vix, rule.vix_rise_points or 0.0, rule.vix_rise_pct or 0.0, rule.within_days,
            rule.end_retrace, out, counts)
    return out, counts


@njit(cache=True, parallel=True)
def _book_metrics(book, hedge, events, counts, drawdown, regain, hedge_pnl):
    n_strat, n_paths, n_cols = book.shape
    for i in prange(n_paths):
        for k in range(n_strat):
            b = book[k, i]
            for e in range(counts[i]):
                start = int(events[i, e, START])
                end = int(events[i, e, END])
                peak = b[0]
                for s in range(1, start + 1):
                    peak = max(peak, b[s])
                tol = 1e-12 * max(abs(peak), 1.0)
                fell = -1
                for s in range(start, end + 1):
                    if b[s] < peak - tol:
                        fell = s
                        break
                hedge_pnl[k, i, e] = hedge[k, i, end] - hedge[k, i, start]
                if fell < 0:
                    drawdown[k, i, e] = 0.0
                    regain[k, i, e] = 0.0
                    continue
                low = b[fell]
                back = -1
                for s in range(fell + 1, n_cols):
                    if b[s] >= peak - tol:
                        back = s
                        break
                    low = min(low, b[s])
                drawdown[k, i, e] = peak - low
                regain[k, i, e] = np.nan if back < 0 else back - start


def book_metrics(book: np.ndarray, hedge: np.ndarray, events: np.ndarray, counts: np.ndarray):
    """(drawdown, regain_days, hedge_pnl), each (strategy, path, event), NaN where a path has
    no such event; ``book`` and ``hedge`` are (strategy, path, day) curves."""
    shape = (book.shape[0], book.shape[1], events.shape[1])
    drawdown, regain, hedge_pnl = (np.full(shape, np.nan) for _ in range(3))
    _book_metrics(np.ascontiguousarray(book, dtype=float),
                  np.ascontiguousarray(hedge, dtype=float), events, counts, drawdown, regain,
                  hedge_pnl)
    return drawdown, regain, hedge_pnl


@njit(cache=True, parallel=True)
def _own_metrics(book, events, counts, drawdown, days, parent):
    n_strat, n_paths, n_cols = book.shape
    for i in prange(n_paths):
        for k in range(n_strat):
            b = book[k, i]
            backs = np.full(counts[i], -1.0)  # day each event broke even (-1: never)
            for e in range(counts[i]):
                start = int(events[i, e, START])
                end = int(events[i, e, END])
                ref = b[start]
                tol = 1e-12 * max(abs(ref), 1.0)
                trough = start
                for s in range(start + 1, end + 1):
                    if b[s] < b[trough]:
                        trough = s
                par = 0
                for j in range(e):
                    if backs[j] < 0 or backs[j] > start:
                        par = j + 1
                parent[k, i, e] = par
                if b[trough] >= ref - tol:
                    drawdown[k, i, e] = 0.0
                    days[k, i, e] = 0.0
                    backs[e] = start
                    continue
                low = b[trough]
                back = -1
                for s in range(trough + 1, n_cols):
                    if b[s] >= ref - tol:
                        back = s
                        break
                    low = min(low, b[s])
                drawdown[k, i, e] = ref - low
                days[k, i, e] = np.nan if back < 0 else back - start
                backs[e] = back


def own_metrics(book: np.ndarray, events: np.ndarray, counts: np.ndarray):
    """(own_drawdown, breakeven_days, parent), each (strategy, path, event), NaN where a path
    has no such event (see the module docstring); ``book`` is (strategy, path, day)."""
    shape = (book.shape[0], book.shape[1], events.shape[1])
    drawdown, days, parent = (np.full(shape, np.nan) for _ in range(3))
    _own_metrics(np.ascontiguousarray(book, dtype=float), events, counts, drawdown, days,
                 parent)
    return drawdown, days, parent
