"""The day loop (numba): condor tracks, strategy books, hedge layers; arrays in, arrays out.

Per path, in this order:

1. the constant-maturity front and second VIX futures (30 and 60 calendar days) for the
   term-structure rule and the ``front_future`` regime: the model's at the path's state, or
   in history runs interpolated between the listed contracts where the data has them
   (:func:`listed_futures`);
2. per condor group, the *per-contract* condor track (:func:`condor_track`): strikes at entry,
   daily marks, take-profit / stop / exit-DTE / expiry / re-strike decisions; these depend on
   the path only, never on a strategy's equity, so strategies with the same condor rules share
   one track (and its pricing cost), and groups holding the same tranche share its marks
   (:func:`new_condor_cache`);
3. per strategy, the book (:func:`run_strategy`): contracts held per tranche (sized on the
   day's equity), cash earning ``r``, the three VIX call layers and their rules, costs, P&L
   buckets, trade counts, trade log.

Three daily curves per strategy and path, fractions of starting equity: the *account*
(``equity``: cash at ``r`` plus positions at mid), the *trading book* (``trading``: the account
less the interest earned so far, i.e. 1 + the options' P&L and costs) and the *hedge*
(``hedge``: the VIX layers' cumulative P&L, costs included, open layers at mid).

Within a trading day ``d`` (all at day-``d`` closing prices, marks at mid):
interest on cash -> condor closes -> hedge expiries, marks and sales (monetise, roll, term-
structure roll-out) -> condor entries (sized on equity) -> hedge purchases -> equity.
``equity[0]`` is 1.0 *before* the day-0 trades, so every cost is in the returns.
A path whose account closes at or below zero is *ruined*: its positions are closed at that
close's marks, it stops trading and accruing, and ``counts[CT_RUINED]`` records it.

Each step of the day is a kernel with a name (:func:`accrue`, :func:`settle_condors`,
:func:`manage_layers`, :func:`open_condors`, :func:`buy_layers`, :func:`book_close`) and
:func:`run_strategy` calls them in that order, so the order, which decides every P&L figure,
reads in ten lines. The state they share lives in float arrays with named rows or columns
(``path``, ``track``, ``acct``, ``book``: the ``*_FIELDS`` lists below). A plain-Python twin of
one strategy on one path (:mod:`simulator.strategy.reference`) is held equal to this module by
tests/test_reference.py.

Speed notes (measured; docs/performance.md): a numba call passes every array argument as a
struct, and an array read out of a named tuple or passed into an inlined function is
reference-counted, so the large steps are plain calls made only on days they have work, the
small ones are inlined, and no tuple of arrays is read inside the day loop.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit, prange

from simulator.common.borrowed import borrowed, keep_alive
from simulator.common.conventions import TRADING_DAYS_PER_YEAR
from simulator.pricing.interp import locate_days
from simulator.pricing.lookups import (
    borrowed_tables,
    condor_in_cell,
    condor_payoff,
    held_condor_in_row,
    spx_option,
    spx_option_in_row,
    state_cell,
    state_cell_near,
    vix_call_in_cell,
    vix_call_in_row,
    vix_call_on_future,
    vix_future_in_cell,
)
from simulator.pricing.maturities import table_day, table_row
from simulator.strategy import specs as S
from simulator.strategy.indicators import macd_histogram, rsi
from simulator.strategy.irr import irr as money_weighted_return
from simulator.strategy.strikes import (
    MODE_DELTA,
    condor_strikes,
    round_to_grid,
    spx_grid_strike,
    vix_call_strike,
)

# condor close reasons
CLOSE_TAKE_PROFIT, CLOSE_STOP, CLOSE_EXIT_DTE, CLOSE_EXPIRY, CLOSE_ADJUST = 1, 2, 3, 4, 5
# hedge sale reasons
SELL_ROLL, SELL_PROFIT, SELL_VIX_LEVEL, SELL_TS_ROLL, SELL_EXPIRY = 1, 2, 3, 4, 5

# P&L buckets, fractions of starting equity: (column name, public name) in column order. All
# but the last (the premium, a memo) add up to equity[-1] - 1 exactly. The public names are
# the cube's (strategy.engine.PNL_NAMES); both come from this one list. LAYER0-2 and
# VIX_COST0-2 are the VIX call layers; PUTS and PUT_COST every SPX put layer together (its
# premium, sales and settlements; its SPX option commissions and half-spreads).
PNL_BUCKETS = (("CONDOR", "condor"), ("LAYER0", "layer_front"), ("LAYER1", "layer_middle"),
               ("LAYER2", "layer_tail"), ("SPX_COST", "spx_costs"),
               ("VIX_COST0", "vix_costs_front"), ("VIX_COST1", "vix_costs_middle"),
               ("VIX_COST2", "vix_costs_tail"), ("INTEREST", "interest"), ("INDEX", "index"),
               ("PUTS", "layer_puts"), ("PUT_COST", "put_costs"),
               ("PREMIUM", "hedge_premium"))
PNL_FIELDS = tuple(field for field, _ in PNL_BUCKETS)
((BK_CONDOR, BK_LAYER0, BK_LAYER1, BK_LAYER2, BK_SPX_COST, BK_VIX_COST0, BK_VIX_COST1,
  BK_VIX_COST2, BK_INTEREST, BK_INDEX, BK_PUTS, BK_PUT_COST, BK_PREMIUM),
 N_BK) = S.columns(PNL_FIELDS)

# trade counts: (column name, public name), as the P&L buckets
TRADE_COUNTS = (("CONDOR_OPEN", "condor_opened"), ("TAKE_PROFIT", "condor_take_profit"),
                ("STOP", "condor_stop"), ("EXIT_DTE", "condor_exit_dte"),
                ("CONDOR_EXPIRY", "condor_expired"), ("ADJUST", "condor_restruck"),
                ("HEDGE_BUY", "hedge_bought"), ("HEDGE_ROLL", "hedge_rolled"),
                ("HEDGE_EXPIRY", "hedge_expired"), ("MONETIZE", "hedge_monetized"),
                ("TS_ROLL", "hedge_ts_rolled"), ("FILTER_BLOCKED", "hedge_filter_blocked_days"),
                ("REGIME_SKIP", "hedge_regime_skipped"), ("RUINED", "ruined"),
                ("LISTED_MARKS", "hedge_marks_listed"), ("MODEL_MARKS", "hedge_marks_model"),
                ("CONDOR_SET", "condor_settled_open"), ("CONDOR_SET_CLOSE", "condor_settled_close"),
                ("HEDGE_SOQ", "hedge_settled_soq"), ("HEDGE_SOQ_CLOSE", "hedge_settled_close"),
                ("FUTURES_LISTED", "rule_futures_listed"),
                ("FUTURES_MODEL", "rule_futures_model"),
                ("PUT_SET", "put_settled_open"), ("PUT_SET_CLOSE", "put_settled_close"))
COUNT_FIELDS = tuple(field for field, _ in TRADE_COUNTS)
((CT_CONDOR_OPEN, CT_TAKE_PROFIT, CT_STOP, CT_EXIT_DTE, CT_CONDOR_EXPIRY, CT_ADJUST,
  CT_HEDGE_BUY, CT_HEDGE_ROLL, CT_HEDGE_EXPIRY, CT_MONETIZE, CT_TS_ROLL, CT_FILTER_BLOCKED,
  CT_REGIME_SKIP, CT_RUINED, CT_LISTED_MARKS, CT_MODEL_MARKS, CT_CONDOR_SET, CT_CONDOR_SET_CLOSE,
  CT_HEDGE_SOQ, CT_HEDGE_SOQ_CLOSE, CT_FUTURES_LISTED, CT_FUTURES_MODEL, CT_PUT_SET,
  CT_PUT_SET_CLOSE), N_CT) = S.columns(COUNT_FIELDS)
# History runs only (0 on simulated paths, which settle on the path's own level): expiries
# settled at the exchange's settlement value (SPX condors and put layers: the day's open as
# the SET proxy; VIX: the listed contract's final settlement, the SOQ) or, where the data has
# none, at the close; and
# the path-days a strategy's rules read the constant-maturity futures interpolated between
# listed contracts or, where none are listed, the model's (docs/history.md §4)

# trade log: one row per event
EV_CONDOR_OPEN, EV_CONDOR_CLOSE, EV_HEDGE_BUY, EV_HEDGE_SELL = 1, 2, 3, 4
EVENT_FIELDS = ("DAY", "KIND", "REASON", "SLOT", "K1", "K2", "K3", "K4", "CONTRACTS", "PRICE",
                "CASH", "COST", "SPX", "VIX", "EQUITY")
((EF_DAY, EF_KIND, EF_REASON, EF_SLOT, EF_K1, EF_K2, EF_K3, EF_K4, EF_CONTRACTS, EF_PRICE,
  EF_CASH, EF_COST, EF_SPX, EF_VIX, EF_EQUITY), N_EF) = S.columns(EVENT_FIELDS)


@njit(cache=True)
def ts_fired(front, second, d, threshold, lookback):
    """True on the day the term-structure signal crosses above ``threshold``.

    Signal: front - second (VIX points; > 0 = inverted), or its change over ``lookback`` days.
    """
    lb = int(lookback)
    if d < lb + 1:
        return False
    now = front[d] - second[d]
    before = front[d - 1] - second[d - 1]
    if lb > 0:
        now -= front[d - lb] - second[d - lb]
        before -= front[d - 1 - lb] - second[d - 1 - lb]
    return now > threshold and before <= threshold


# ---- named layouts --------------------------------------------------------------------------
# The day loop's state lives in a few float arrays whose rows or columns are named by ordered
# field lists (specs.columns, as the spec tables): no hand-counted offsets, and no named tuples
# of arrays in the loop (numba reference-counts every array read out of a tuple, which made a
# tuple-passing version of this loop 1.6x slower; measured).

# one path, rows of ``path`` (N_PF, days + 1)
PATH_FIELDS = ("SPX", "V", "M", "VIX", "FRONT", "SECOND", "MACD", "RSI", "TS_FIRED",
               "FRONT_LISTED", "SECOND_LISTED", "VVIX", "VVIX_RSI", "CELL_I", "CELL_WI",
               "CELL_IM", "CELL_WM")
((PF_SPX, PF_V, PF_M, PF_VIX, PF_FRONT, PF_SECOND, PF_MACD, PF_RSI, PF_TS_FIRED, PF_FRONT_LISTED,
  PF_SECOND_LISTED, PF_VVIX, PF_VVIX_RSI, PF_CELL_I, PF_CELL_WI, PF_CELL_IM, PF_CELL_WM),
 N_PF) = S.columns(PATH_FIELDS)
# CELL_*: the day's state cell (lookups.state_cell of (v, m)), located once per path-day
# (fill_state_cells) for every lookup of every strategy that day
# VVIX: the path's VVIX (the model's from its state, or the real index in history runs);
# VVIX_RSI: the strategy's RSI of it for the call/put split (NaN where off)
# FRONT, SECOND: constant-maturity VIX futures (conventions.FRONT/SECOND_FUTURE_DTE); the strategy's
# MACD and RSI filter series (NaN where off) and its term-structure signal (1 on the days it
# fires, 0 else), written per strategy before its book runs; FRONT_LISTED, SECOND_LISTED: 1 where
# FRONT, SECOND are interpolated between listed contracts (history runs), 0 the model's

# one condor group's per-contract track, planes ``track`` (N_TF, days + 1, slots): OPEN_CREDIT NaN
# and CLOSE_CODE 0 where no tranche opened or closed; OPEN_MAX_LOSS, CLOSE_VALUE, STRIKES and the
# legs' prices are read only where those say a trade happened (not cleared)
TRACK_FIELDS = ("MARK", "OPEN_CREDIT", "OPEN_MAX_LOSS", "CLOSE_CODE", "CLOSE_VALUE",
                ("STRIKES", 4), ("OPEN_LEGS", 4), ("CLOSE_LEGS", 4))
((TF_MARK, TF_OPEN_CREDIT, TF_OPEN_MAX_LOSS, TF_CLOSE_CODE, TF_CLOSE_VALUE, TF_STRIKES,
  TF_OPEN_LEGS, TF_CLOSE_LEGS), N_TF) = S.columns(TRACK_FIELDS)

# A path's condor marks, shared by its condor groups (issue 30, 0.11.8). Groups that differ
# only in their exits (take-profit, stop, exit DTE) or in the term-structure re-strike open the
# same tranche (strikes and expiry) on the same days, and a tranche's mark and legs on a day
# depend only on the path's state that day: a later group reads what an earlier one computed,
# and an opening's strike search and price likewise (the same numbers, by the same functions
# on the same arguments). ``condor_marks`` (entries, CM_DAYS + CM_WIDTH x life): the tranche,
# then per day from its first day the mark and the four legs (mark NaN: not computed yet);
# ``condor_opens`` (entries, N_CO): an opening's arguments, then its strikes, value and legs;
# ``condor_used`` (2,): the entries used in each; ``slot_entry`` (slots,): each open slot's
# entry of ``condor_marks`` (-1: none). No entries: nothing shared (a single condor group).
CONDOR_MARK_FIELDS = ("EXPIRY", ("STRIKES", 4), "FIRST")
((CM_EXPIRY, CM_STRIKES, CM_FIRST), CM_DAYS) = S.columns(CONDOR_MARK_FIELDS)
CM_WIDTH = 5  # a day's mark, then its four legs
CONDOR_OPEN_FIELDS = ("DAY", "DAYS", "EXPIRY", "SHIFT", "SHORT_MODE", "SHORT_TARGET",
                      "WING_MODE", "WING_VALUE", "STEP", ("STRIKES", 4), "VALUE", ("LEGS", 4))
((CO_DAY, CO_DAYS, CO_EXPIRY, CO_SHIFT, CO_SHORT_MODE, CO_SHORT_TARGET, CO_WING_MODE,
  CO_WING_VALUE, CO_STEP, CO_STRIKES, CO_VALUE, CO_LEGS), N_CO) = S.columns(CONDOR_OPEN_FIELDS)
CONDOR_ENTRIES_MAX = 512

# one strategy's account on one path, ``acct`` (N_AC,)
ACCOUNT_FIELDS = ("CASH", "INTEREST_TOTAL", "HEDGE_CASH", "INDEX_UNITS", "INDEX_PAID",
                  "DIVIDEND_FACTOR", "UNIT_QTY", "RUINED")
((AC_CASH, AC_INTEREST_TOTAL, AC_HEDGE_CASH, AC_INDEX_UNITS, AC_INDEX_PAID, AC_DIVIDEND_FACTOR,
  AC_UNIT_QTY, AC_RUINED), N_AC) = S.columns(ACCOUNT_FIELDS)
# HEDGE_CASH: the layers' cash flows and costs so far; UNIT_QTY: contracts (as qty) of the
# latest condor tranche, the per-condor hedge's unit; RUINED: 1 once the account is gone

# its VIX call layers, ``book`` (3, N_LB), front, middle, tail (day numbers and flags as floats,
# exact below 2**53): QTY equity per VIX point held; COST what the next profit-multiple sale is
# measured against; ENTRY a call's price when bought, costs included; PRICE today's mark;
# ARMED may buy; COL the held contract's row of ``listed`` (-1: none); KIND the held
# instrument (specs.INSTRUMENT_*); an SPX put layer: STRIKE the long put's, LOW_STRIKE the
# short put's of a spread (0: a plain put), PRICE the position's mark (long - short) and
# LOW_PRICE the short put's (the cost of closing each leg)
LAYER_BOOK_FIELDS = ("QTY", "STRIKE", "EXPIRY", "COST", "ENTRY", "PRICE", "ARMED", "SOLD_ON",
                     "NEXT_BUY", "COL", "KIND", "LOW_STRIKE", "LOW_PRICE")
((LB_QTY, LB_STRIKE, LB_EXPIRY, LB_COST, LB_ENTRY, LB_PRICE, LB_ARMED, LB_SOLD_ON, LB_NEXT_BUY,
  LB_COL, LB_KIND, LB_LOW_STRIKE, LB_LOW_PRICE), N_LB) = S.columns(LAYER_BOOK_FIELDS)


@njit(cache=True)
def fill_state_cells(path, vol_nodes, m_nodes):
    """Rows CELL_* of ``path``: each day's state cell of (V, M) on the tables' axes, found
    from the day before's (lookups.state_cell_near: lookups.state_cell's cells, by walks of
    a step or none where a binary search took six)."""
    i, im = 0, 0
    for d in range(path.shape[1]):
        i, wi, im, wm = state_cell_near(path[PF_V, d], path[PF_M, d], vol_nodes, m_nodes, i,
                                        im)
        path[PF_CELL_I, d] = i
        path[PF_CELL_WI, d] = wi
        path[PF_CELL_IM, d] = im
        path[PF_CELL_WM, d] = wm


@njit(cache=True, inline="always")
def path_cell(path, d):
    """Day ``d``'s state cell from rows CELL_* (:func:`fill_state_cells`): the same tuple
    lookups.state_cell returns."""
    return (int(path[PF_CELL_I, d]), path[PF_CELL_WI, d], int(path[PF_CELL_IM, d]),
            path[PF_CELL_WM, d])


@njit(cache=True)
def clear_track(track):
    """Make ``track`` an empty condor track: no marks, no trades."""
    track[TF_MARK] = 0.0
    track[TF_OPEN_CREDIT] = np.nan
    track[TF_CLOSE_CODE] = 0.0


@njit(cache=True, inline="always")
def known_days(adhoc, day, expiry):
    """Sessions from path day ``day`` to path day ``expiry`` on the calendar as known on
    ``day``: the realised count plus the unscheduled closures between (``adhoc``: the path's
    run of ExpirySchedule.adhoc, from its day 0; empty for simulated paths: the count)."""
    if adhoc.size == 0:
        return expiry - day
    return expiry - day + (adhoc[expiry] - adhoc[day])


@njit(cache=True, _nrt=False)
def condor_track(gs, path, tab, track, expiry_days, settle, adhoc, expiry, credit, held, active,
                 buf, day_legs, condor_marks, condor_opens, condor_used, slot_entry):
    """Per-contract condor track of one group on one path (``path`` (N_PF, days + 1), fills
    ``track`` (N_TF, days + 1, slots), the four legs' prices at each open and close for the
    cost model). ``expiry_days`` (days + 1,): trading days to the listed SPX expiry a tranche
    opened that day takes (history runs), or empty: the group's DTE; for an ``open_on:
    expiry`` group, 0 on the days it opens nothing. ``settle`` (days + 1,):
    the SPX settlement value of an expiry day (history runs; NaN: the close), or empty: a
    tranche settles at the path's level that day. A tranche settles on its expiry's path day
    (the realised count) and is struck, priced and closed by rule on the count as known that
    day (:func:`known_days`; ``adhoc`` empty: the same count). Lookups read the path's
    state cells (rows CELL_*, :func:`fill_state_cells`).

    Scratch, per slot (reset here): ``expiry`` (int64), ``credit``, ``held`` (slots, 8: the
    strikes, then their logs), ``active`` (bool), ``buf`` (4), ``day_legs`` (slots, 4:
    today's leg prices of each open tranche) and ``slot_entry``. ``condor_marks``, ``condor_opens``,
    ``condor_used``: the path's condor marks and openings, shared with its other groups
    (:func:`new_condor_cache`; no entries: none). Compiled without reference counts
    (``_nrt=False``, as every kernel of the day loop: docs/performance.md §1), so it
    allocates nothing."""
    spx, v, m, front, second = (path[PF_SPX], path[PF_V], path[PF_M], path[PF_FRONT],
                                path[PF_SECOND])
    n_days = spx.size - 1
    n_slots = track.shape[2]
    life = (condor_marks.shape[1] - CM_DAYS) // CM_WIDTH
    for s in range(n_slots):
        slot_entry[s] = -1
        expiry[s] = -1
        credit[s] = 0.0
        active[s] = False
        for leg in range(4):
            held[s, leg] = 0.0
    every = int(gs[S.GS_EVERY])
    first = int(gs[S.GS_FIRST])
    dte = int(gs[S.GS_DTE])
    tp = gs[S.GS_TAKE_PROFIT]
    stop = gs[S.GS_STOP]
    exit_days = gs[S.GS_EXIT]
    step = gs[S.GS_STEP]
    shift = gs[S.GS_SHIFT_SD]
    # unpacked once: reading arrays out of the tuple inside the day loop costs a refcount each
    spx_iv, qp, qp2, grid, m_nodes, mat = (tab.spx_iv, tab.qp, tab.qp2, tab.grid, tab.m_nodes,
                                           tab.maturity)
    for d in range(n_days + 1):
        spot = spx[d]
        var = v[d]
        mvar = m[d]
        cell = path_cell(path, d)  # one lookup serves every tranche today
        log_spot = np.nan  # ln S, once a day where a tranche is marked
        for s in range(n_slots):
            if not active[s]:
                continue
            left = expiry[s] - d  # the countdown to settlement
            if left <= 0:
                level = spot
                if settle.size > 0 and not math.isnan(settle[d]):
                    level = settle[d]  # AM settlement (history runs)
                value = condor_payoff(level, held[s, 0], held[s, 1], held[s, 2], held[s, 3])
            else:
                e, at, value = slot_entry[s], 0, np.nan
                if e >= 0:  # the tranche's entry among the shared marks: today's, if made
                    offset = d - int(condor_marks[e, CM_FIRST])
                    if 0 <= offset < life:
                        at = CM_DAYS + CM_WIDTH * offset
                        value = condor_marks[e, at]
                if not math.isnan(value):
                    for leg in range(4):
                        day_legs[s, leg] = condor_marks[e, at + 1 + leg]
                else:
                    tenor = known_days(adhoc, d, expiry[s])
                    n = table_day(float(tenor), mat)
                    if n > 0:  # inlined: the call of condor_in_cell cost a quarter of a mark
                        if math.isnan(log_spot):
                            log_spot = math.log(spot)
                        value = held_condor_in_row(cell, spot, log_spot, var, mvar,
                                                   table_row(mat, n), held, s, spx_iv, qp, qp2,
                                                   grid, m_nodes, day_legs)
                    else:
                        value = condor_in_cell(cell, spot, var, mvar, float(tenor), held[s, 0],
                                               held[s, 1], held[s, 2], held[s, 3], spx_iv, qp,
                                               qp2, grid, mat, m_nodes, day_legs, s)
                    if at > 0:  # kept for the path's other groups
                        condor_marks[e, at] = value
                        for leg in range(4):
                            condor_marks[e, at + 1 + leg] = day_legs[s, leg]
            code = 0
            if left <= 0:
                code = CLOSE_EXPIRY
            elif tp > 0.0 and value <= (1.0 - tp) * credit[s]:
                code = CLOSE_TAKE_PROFIT
            elif stop > 0.0 and value >= (1.0 + stop) * credit[s]:
                code = CLOSE_STOP
            elif exit_days > 0.0 and known_days(adhoc, d, expiry[s]) <= exit_days:
                code = CLOSE_EXIT_DTE
            if code != 0:
                track[TF_CLOSE_CODE, d, s] = code
                track[TF_CLOSE_VALUE, d, s] = value
                active[s] = False
                if code != CLOSE_EXPIRY:  # settlement is free; a closing trade pays spreads
                    for leg in range(4):  # element by element: a slice copy allocates
                        track[TF_CLOSE_LEGS + leg, d, s] = day_legs[s, leg]
            else:
                track[TF_MARK, d, s] = value
        if shift > 0.0 and ts_fired(front, second, d, gs[S.GS_TS_THRESHOLD],
                                    gs[S.GS_TS_LOOKBACK]):
            for s in range(n_slots):
                if not active[s]:
                    continue
                track[TF_CLOSE_CODE, d, s] = CLOSE_ADJUST
                track[TF_CLOSE_VALUE, d, s] = track[TF_MARK, d, s]
                track[TF_MARK, d, s] = 0.0
                active[s] = False
                tenor = known_days(adhoc, d, expiry[s])
                for leg in range(4):  # at today's mark
                    track[TF_CLOSE_LEGS + leg, d, s] = day_legs[s, leg]
                if tenor >= 2:  # re-strike further out at the same expiry
                    _open_tranche(gs, s, d, tenor, expiry[s], shift, spot, var, mvar, step,
                                  tab, buf, day_legs, track, held, credit, active, expiry,
                                  condor_marks, condor_opens, condor_used, slot_entry)
        opens = d >= first and (d - first) % every == 0
        if expiry_days.size > 0 and gs[S.GS_OPEN_ON] > 0.0:
            opens = expiry_days[d] > 0  # open_on expiry: the calendar marks the roll days
        if gs[S.GS_ACTIVE] > 0.0 and d < n_days and opens:
            days_open = dte if expiry_days.size == 0 else int(expiry_days[d])
            tenor = known_days(adhoc, d, d + days_open)
            for s in range(n_slots):
                if not active[s]:
                    _open_tranche(gs, s, d, tenor, d + days_open, 0.0, spot, var, mvar, step,
                                  tab, buf, day_legs, track, held, credit, active, expiry,
                                  condor_marks, condor_opens, condor_used, slot_entry)
                    break


@njit(cache=True)
def _open_tranche(gs, s, d, days, expiry_day, shift, spot, var, mvar, step, tab, buf, legs,
                  track, held, credit, active, expiry, condor_marks, condor_opens, condor_used,
                  slot_entry):
    """Strike and price a new tranche in slot ``s`` at ``days`` to expiry (the count as known
    today), settling on path day ``expiry_day`` (``legs``: scratch for its legs' prices);
    nothing opens unless it takes a credit with a positive maximum loss. An opening another
    group of the path made on the same arguments is read from ``condor_opens``, and the
    tranche's marks are kept in ``condor_marks`` (:func:`new_condor_cache`)."""
    slot_entry[s] = -1
    hit = _shared_open(condor_opens, condor_used[1], gs, d, days, expiry_day, shift, step)
    if hit >= 0:
        for k in range(4):
            buf[k] = condor_opens[hit, CO_STRIKES + k]
            legs[s, k] = condor_opens[hit, CO_LEGS + k]
        value = condor_opens[hit, CO_VALUE]
    else:
        condor_strikes(int(gs[S.GS_SHORT_MODE]), gs[S.GS_SHORT_TARGET],
                       int(gs[S.GS_WING_MODE]), gs[S.GS_WING_VALUE], shift, spot, var, mvar,
                       float(days), step, tab, buf)
        cell = state_cell(var, mvar, tab.vol_nodes, tab.m_nodes)
        value = condor_in_cell(cell, spot, var, mvar, float(days), buf[0], buf[1], buf[2],
                               buf[3], tab.spx_iv, tab.qp, tab.qp2, tab.grid, tab.maturity,
                               tab.m_nodes, legs, s)
        _share_open(condor_opens, condor_used, gs, d, days, expiry_day, shift, step, buf,
                    value, legs, s)
    for leg in range(4):  # element by element: a slice copy allocates
        track[TF_OPEN_LEGS + leg, d, s] = legs[s, leg]
    max_loss = max(buf[1] - buf[0], buf[3] - buf[2]) - value
    if not (value > 0.0 and max_loss > 0.0):
        return
    track[TF_OPEN_CREDIT, d, s] = value
    track[TF_OPEN_MAX_LOSS, d, s] = max_loss
    for k in range(4):
        track[TF_STRIKES + k, d, s] = buf[k]
        held[s, k] = buf[k]
        held[s, 4 + k] = math.log(buf[k])  # for the marks (lookups.held_condor_in_row)
    track[TF_MARK, d, s] = value
    credit[s] = value
    active[s] = True
    expiry[s] = expiry_day
    slot_entry[s] = _condor_entry(condor_marks, condor_used, expiry_day, d, buf,
                                  track.shape[1] - 1)


@njit(cache=True)
def new_condor_cache(n_entries, life, n_slots):
    """Empty (``condor_marks``, ``condor_opens``, ``condor_used``, ``slot_entry``) for one
    path: ``n_entries`` tranches and openings (0: no sharing), each tranche's marks for
    ``life`` days from its first."""
    return (np.empty((n_entries, CM_DAYS + CM_WIDTH * life)), np.empty((n_entries, N_CO)),
            np.zeros(2, dtype=np.int64), np.full(n_slots, -1, dtype=np.int64))


@njit(cache=True)
def condor_cache_size(group_specs, condor_days, n_days):
    """(entries, life) of :func:`new_condor_cache` for a chunk: no entries unless two or more
    condor groups are active; twice the openings their cycles make (re-strikes as many
    again), at most CONDOR_ENTRIES_MAX, a full cache sharing nothing more; a life of the
    longest tranche's path days (a calendar's from ``condor_days``)."""
    n_active, opens, longest = 0, 0, 0
    for g in range(group_specs.shape[0]):
        if group_specs[g, S.GS_ACTIVE] > 0.0:
            n_active += 1
            opens += n_days // max(int(group_specs[g, S.GS_EVERY]), 1) + 2
            longest = max(longest, int(group_specs[g, S.GS_DTE]))
    if condor_days.size > 0:
        longest = max(longest, int(condor_days.max()))
    if n_active < 2:
        return 0, 1
    return min(2 * opens, CONDOR_ENTRIES_MAX), min(longest, n_days) + 1


@njit(cache=True, inline="always")
def _shared_open(condor_opens, n_used, gs, d, days, expiry_day, shift, step):
    """The entry of ``condor_opens`` made on these arguments, or -1."""
    for e in range(n_used):
        if (condor_opens[e, CO_DAY] == d and condor_opens[e, CO_DAYS] == days
                and condor_opens[e, CO_EXPIRY] == expiry_day
                and condor_opens[e, CO_SHIFT] == shift and condor_opens[e, CO_STEP] == step
                and condor_opens[e, CO_SHORT_MODE] == gs[S.GS_SHORT_MODE]
                and condor_opens[e, CO_SHORT_TARGET] == gs[S.GS_SHORT_TARGET]
                and condor_opens[e, CO_WING_MODE] == gs[S.GS_WING_MODE]
                and condor_opens[e, CO_WING_VALUE] == gs[S.GS_WING_VALUE]):
            return e
    return -1


@njit(cache=True, inline="always")
def _share_open(condor_opens, condor_used, gs, d, days, expiry_day, shift, step, buf, value,
                legs, s):
    """Keep an opening for the path's other groups; a full cache keeps nothing more."""
    e = condor_used[1]
    if e >= condor_opens.shape[0]:
        return
    condor_used[1] = e + 1
    condor_opens[e, CO_DAY] = d
    condor_opens[e, CO_DAYS] = days
    condor_opens[e, CO_EXPIRY] = expiry_day
    condor_opens[e, CO_SHIFT] = shift
    condor_opens[e, CO_STEP] = step
    condor_opens[e, CO_SHORT_MODE] = gs[S.GS_SHORT_MODE]
    condor_opens[e, CO_SHORT_TARGET] = gs[S.GS_SHORT_TARGET]
    condor_opens[e, CO_WING_MODE] = gs[S.GS_WING_MODE]
    condor_opens[e, CO_WING_VALUE] = gs[S.GS_WING_VALUE]
    for k in range(4):
        condor_opens[e, CO_STRIKES + k] = buf[k]
        condor_opens[e, CO_LEGS + k] = legs[s, k]
    condor_opens[e, CO_VALUE] = value


@njit(cache=True, inline="always")
def _condor_entry(condor_marks, condor_used, expiry_day, d, strikes, n_days):
    """The entry of ``condor_marks`` holding the tranche (``strikes``, ``expiry_day``), made
    with its marks unset from day ``d`` to its expiry or the path's last day ``n_days`` if
    there is none and it fits; -1 if not."""
    n_entries = condor_marks.shape[0]
    for e in range(condor_used[0]):
        if (condor_marks[e, CM_EXPIRY] == expiry_day
                and condor_marks[e, CM_STRIKES] == strikes[0]
                and condor_marks[e, CM_STRIKES + 1] == strikes[1]
                and condor_marks[e, CM_STRIKES + 2] == strikes[2]
                and condor_marks[e, CM_STRIKES + 3] == strikes[3]):
            return e
    life = (condor_marks.shape[1] - CM_DAYS) // CM_WIDTH
    e = condor_used[0]
    span = min(expiry_day, n_days) - d
    if e >= n_entries or span >= life:
        return -1
    condor_used[0] = e + 1
    condor_marks[e, CM_EXPIRY] = expiry_day
    for k in range(4):
        condor_marks[e, CM_STRIKES + k] = strikes[k]
    condor_marks[e, CM_FIRST] = d
    for offset in range(span + 1):
        condor_marks[e, CM_DAYS + CM_WIDTH * offset] = np.nan
    return e


@njit(cache=True)
def _log(log, log_n, kind, reason, slot, d, k1, k2, k3, k4, contracts, price, cash, cost, spot,
         vix, equity):
    n = log_n[0]
    if n >= log.shape[0]:
        return
    row = log[n]
    row[EF_DAY], row[EF_KIND], row[EF_REASON], row[EF_SLOT] = d, kind, reason, slot
    row[EF_K1], row[EF_K2], row[EF_K3], row[EF_K4] = k1, k2, k3, k4
    row[EF_CONTRACTS], row[EF_PRICE], row[EF_CASH], row[EF_COST] = contracts, price, cash, cost
    row[EF_SPX], row[EF_VIX], row[EF_EQUITY] = spot, vix, equity
    log_n[0] = n + 1


@njit(cache=True)
def regime_factor(ss, level):
    n = int(ss[S.SS_N_EDGES])
    k = 0
    while k < n and level >= ss[S.SS_EDGES + k]:
        k += 1
    return ss[S.SS_FACTORS + k]


@njit(cache=True)
def _whole(qty, capital, whole):
    """Contracts = qty x capital / 100; rounded down when whole contracts are required."""
    if whole > 0.0:
        return math.floor(qty * capital / 100.0 + 1e-9) * 100.0 / capital
    return qty


@njit(cache=True)
def half_spread(price, vix, floor, fraction, cap, widen_base, widen_exponent,
                max_points=np.inf):
    """Half bid-ask spread of one option at mid ``price`` (option points) with VIX at ``vix``:
    max(floor, fraction x price), widened by (VIX / base) ** exponent above the base, at most
    ``cap`` x price and ``max_points`` (inf: no cap). See CostsConfig."""
    half = max(floor, fraction * price)
    if widen_exponent > 0.0 and vix > widen_base:
        half *= (vix / widen_base) ** widen_exponent
    if not math.isinf(cap):
        half = min(half, cap * price)
    # a spread proportional to price, widened again with VIX, grows without bound at panic
    # prices (a deep ITM VIX call at VIX 83: 16.6 % a side); quotes do not (issue 29)
    return min(half, max_points)


@njit(cache=True)
def condor_cost(ss, legs, vix):
    """Cost of opening or closing one condor (per unit of qty, index points): the four legs'
    half-spreads, or one package slippage for a combo fill, plus four all-in fees."""
    total = 0.0
    for k in range(4):
        total += half_spread(legs[k], vix, ss[S.SS_SPX_HALF_SPREAD], ss[S.SS_SPX_FRACTION],
                             ss[S.SS_SPX_CAP], ss[S.SS_WIDEN_BASE], ss[S.SS_WIDEN_EXP],
                             ss[S.SS_SPX_MAX])
    if ss[S.SS_COMBO] > 0.0:
        total = max(ss[S.SS_COMBO_MIN], ss[S.SS_COMBO_SHARE] * total)
    return total + 4.0 * ss[S.SS_SPX_COMMISSION] / 100.0


@njit(cache=True)
def vix_option_cost(ss, price, vix):
    """Cost of buying or selling one VIX call (per unit of qty, VIX option points)."""
    return half_spread(price, vix, ss[S.SS_VIX_HALF_SPREAD], ss[S.SS_VIX_FRACTION],
                       ss[S.SS_VIX_CAP], ss[S.SS_WIDEN_BASE], ss[S.SS_WIDEN_EXP],
                       ss[S.SS_VIX_MAX]) \
        + ss[S.SS_VIX_COMMISSION] / 100.0


@njit(cache=True)
def _layer_quote(ls, k, tenor, var, mvar, vix_d, tab, listed):
    """(strike, mid price) of layer ``k`` bought today at ``tenor`` trading days: off the
    model's future of that expiry, or off ``listed`` (the listed contract's settlement) with
    the model's smile around it."""
    strike = _layer_strike(ls, k, tenor, var, mvar, vix_d, tab, listed)
    return strike, _layer_price(strike, tenor, var, mvar, tab, listed)


@njit(cache=True)
def _shared_layer_quote(ls, k, tenor, var, mvar, vix_d, tab, listed, marks, mark_index,
                        expiry, d):
    """:func:`_layer_quote` of a layer bought on day ``d``, expiring on path day ``expiry``
    at ``tenor`` sessions as known today. A quote off the model's future is the call's mark
    today (the same function on the same arguments as :func:`manage_layers`' mark), so it
    is shared with the path's other strategies, which buy the same call on the same day
    (:func:`shared_mark`): the same number, computed once."""
    strike = _layer_strike(ls, k, tenor, var, mvar, vix_d, tab, listed)
    mat = tab.maturity
    n = table_day(float(tenor), mat)
    if not math.isnan(listed) or n <= 0 or marks.shape[0] == 0:
        return strike, _layer_price(strike, tenor, var, mvar, tab, listed)
    e, price = shared_mark(marks, mark_index, strike, expiry, d)
    if math.isnan(price):
        price = vix_call_in_row(state_cell(var, mvar, tab.vol_nodes, tab.m_nodes), var, mvar,
                                table_row(mat, n), strike, tab.vix_future, tab.vix_iv, tab.qp,
                                tab.qp2, tab.grid, tab.m_nodes)
        share_mark(marks, mark_index, e, strike, expiry, d, price)
    return strike, price


@njit(cache=True, inline="always")
def _layer_strike(ls, k, tenor, var, mvar, vix_d, tab, listed):
    return vix_call_strike(int(ls[k, S.LS_STRIKE_RULE]), ls[k, S.LS_STRIKE_VALUE],
                           ls[k, S.LS_STRIKE_STEP], var, mvar, float(tenor), vix_d, tab, listed)


@njit(cache=True, inline="always")
def _layer_price(strike, tenor, var, mvar, tab, listed):
    cell = state_cell(var, mvar, tab.vol_nodes, tab.m_nodes)
    if math.isnan(listed):
        price = vix_call_in_cell(cell, var, mvar, float(tenor), strike, tab.vix_future,
                                 tab.vix_iv, tab.qp, tab.qp2, tab.grid, tab.maturity,
                                 tab.m_nodes)
    else:
        price = vix_call_on_future(cell, var, mvar, float(tenor), strike, listed, tab.vix_iv,
                                   tab.qp, tab.qp2, tab.grid, tab.maturity, tab.m_nodes)
    return price


@njit(cache=True)
def spx_option_cost(ss, price, vix):
    """Cost of buying or selling one SPX option leg (per unit of qty, index points): the
    condor legs' half-spread rule and one all-in fee (docs/costs.md)."""
    return half_spread(price, vix, ss[S.SS_SPX_HALF_SPREAD], ss[S.SS_SPX_FRACTION],
                       ss[S.SS_SPX_CAP], ss[S.SS_WIDEN_BASE], ss[S.SS_WIDEN_EXP],
                       ss[S.SS_SPX_MAX]) \
        + ss[S.SS_SPX_COMMISSION] / 100.0


@njit(cache=True)
def put_layer_strikes(ls, k, tenor, spot, var, mvar, tab):
    """(long strike, short strike or 0) of SPX put layer ``k`` bought today at ``tenor``
    trading days: |Black put delta| ``STRIKE_VALUE`` at the model's smile (the condor's
    search, :func:`~simulator.strategy.strikes.spx_grid_strike`) or K = S (1 - value), on
    the ``STRIKE_STEP`` grid; a spread sells a put ``SPREAD_WIDTH`` points lower."""
    step = ls[k, S.LS_STRIKE_STEP]
    if ls[k, S.LS_STRIKE_RULE] == 0.0:
        strike = spx_grid_strike(MODE_DELTA, ls[k, S.LS_STRIKE_VALUE], spot, var, mvar,
                                 float(tenor), False, step, tab)
    else:
        strike = round_to_grid(spot * (1.0 - ls[k, S.LS_STRIKE_VALUE]), step)
    low = 0.0
    if ls[k, S.LS_SPREAD_WIDTH] > 0.0:
        low = strike - ls[k, S.LS_SPREAD_WIDTH]
        if low < step:  # no listed strike that low: the spread is a plain put
            low = 0.0
    return strike, low


@njit(cache=True)
def put_layer_value(strike, low, days, spot, var, mvar, tab, cell):
    """(mark, short put's price) of one SPX put (``low`` 0) or put spread, index points, at
    ``days`` trading days (<= 0: the payoff on ``spot``), by the condor's SPX pricer;
    ``cell``: the state cell of (``var``, ``mvar``) (:func:`path_cell`). A whole day of the
    maturity table is priced from its row (:func:`~simulator.pricing.lookups.spx_option_in_row`,
    the same number as ``spx_option``)."""
    mat = tab.maturity
    n = table_day(days, mat)
    if n > 0:  # the body twice, on either route (maturities.maturity_row says why)
        row = table_row(mat, n)
        long_price = spx_option_in_row(cell, spot, var, mvar, row, strike, False, tab.spx_iv,
                                       tab.qp, tab.qp2, tab.grid, tab.m_nodes)
        short_price = 0.0
        if low > 0.0:
            short_price = spx_option_in_row(cell, spot, var, mvar, row, low, False, tab.spx_iv,
                                            tab.qp, tab.qp2, tab.grid, tab.m_nodes)
        return long_price - short_price, short_price
    long_price = spx_option(spot, var, mvar, days, strike, False, tab.spx_iv, tab.qp, tab.qp2,
                            tab.grid, tab.vol_nodes, tab.m_nodes)
    short_price = 0.0
    if low > 0.0:
        short_price = spx_option(spot, var, mvar, days, low, False, tab.spx_iv, tab.qp,
                                 tab.qp2, tab.grid, tab.vol_nodes, tab.m_nodes)
    return long_price - short_price, short_price


@njit(cache=True, inline="always")
def shared_put_value(marks, mark_index, strike, low, expiry, d, days, spot, var, mvar, tab,
                     cell):
    """:func:`put_layer_value` of a put layer expiring on path day ``expiry``, marked on day
    ``d`` at ``spot`` (the path's close). A plain put (``low`` 0) priced from the maturity
    table is shared with the path's other strategies as the VIX calls are
    (:func:`shared_mark`), under its strike negated (a VIX call's key is its positive
    strike): the middle SPX put layer of the claims' put strategies is the same put."""
    if low == 0.0 and table_day(days, tab.maturity) > 0 and marks.shape[0] > 0:
        e, price = shared_mark(marks, mark_index, -strike, expiry, d)
        if math.isnan(price):
            price = put_layer_value(strike, 0.0, days, spot, var, mvar, tab, cell)[0]
            share_mark(marks, mark_index, e, -strike, expiry, d, price)
        return price, 0.0
    return put_layer_value(strike, low, days, spot, var, mvar, tab, cell)


@njit(cache=True)
def put_layer_cost(ss, price, short_price, low, vix):
    """Cost of trading one SPX put (``low`` 0) or put spread of mark ``price`` whose short
    leg is worth ``short_price``: each leg pays its SPX half-spread and fee."""
    cost = spx_option_cost(ss, price + short_price, vix)
    if low > 0.0:
        cost += spx_option_cost(ss, short_price, vix)
    return cost


@njit(cache=True)
def vvix_split_factor(ss, ls, k, rsi_value):
    """Multiplier of layer ``k``'s budget share under the RSI-of-VVIX split
    (config.VvixSplit): the bucket's share for the layer's kind (VIX calls or SPX puts) over
    the kind's own total weight, times the total weight, so the spend over all layers is
    unchanged; 1 where the rule is off or the RSI not yet defined."""
    if ss[S.SS_SPLIT_ON] == 0.0 or math.isnan(rsi_value):
        return 1.0
    bucket = 1
    if rsi_value < ss[S.SS_SPLIT_LOW]:
        bucket = 0
    elif rsi_value >= ss[S.SS_SPLIT_HIGH]:
        bucket = 2
    calls = ss[S.SS_SPLIT_CALL + bucket]
    total = ss[S.SS_CALL_WEIGHT] + ss[S.SS_PUT_WEIGHT]
    if ls[k, S.LS_INSTRUMENT] == S.INSTRUMENT_SPX_PUT:
        return (1.0 - calls) * total / ss[S.SS_PUT_WEIGHT]
    return calls * total / ss[S.SS_CALL_WEIGHT]


@njit(cache=True)
def layer_columns(book, k):
    """(P&L column, cost column) of held layer ``k``: its VIX call layer's, or the SPX put
    layers' shared ones."""
    if book[k, LB_KIND] == S.INSTRUMENT_SPX_PUT:
        return BK_PUTS, BK_PUT_COST
    return BK_LAYER0 + k, BK_VIX_COST0 + k


@njit(cache=True)
def tranche_qty(ss, ls, eq, max_loss, legs, var, mvar, vix_d, tab, factor):
    """Condor qty (equity per index point) of a new tranche with ``max_loss`` per unit.

    ``condor_max_loss``: risk x equity / max loss. ``condor_hedge_costs`` (docs/design.md §3):
    max loss + round-trip costs (the opening cost twice) + the hedge stack bought for it = risk x
    equity; a budget hedge's stack is one tranche cycle of the budget (a fraction of equity),
    a per-condor hedge's stack is priced today per unit (``factor``: today's regime scale).
    """
    risk = ss[S.SS_RISK] * eq
    if ss[S.SS_SIZING] != S.SIZING_HEDGE_COSTS:
        return risk / max_loss
    per_unit = max_loss + 2.0 * condor_cost(ss, legs, vix_d)
    mode = int(ss[S.SS_HEDGE_MODE])
    if mode == S.HEDGE_BUDGET:
        risk -= ss[S.SS_HEDGE_PER_TRANCHE] * eq
    elif mode == S.HEDGE_PER_CONDOR:
        for k in range(3):
            if ls[k, S.LS_ACTIVE] == 0.0 or ls[k, S.LS_PER_CONDOR] <= 0.0:
                continue
            _, price = _layer_quote(ls, k, int(ls[k, S.LS_TENOR]), var, mvar, vix_d, tab,
                                    np.nan)
            per_unit += ls[k, S.LS_PER_CONDOR] * factor * (price
                                                           + vix_option_cost(ss, price, vix_d))
    return max(risk, 0.0) / per_unit


# ---- one strategy's book on one path: the day's steps -------------------------------------


@njit(cache=True)
def term_structure_signal(ss, path):
    """Row TS_FIRED of ``path``: the days the strategy's term-structure rule fires (a hedged
    strategy with the rule on; :func:`ts_fired`)."""
    on = ss[S.SS_HEDGE_MODE] != S.HEDGE_NONE and ss[S.SS_TS_ON] > 0.0
    front, second = path[PF_FRONT], path[PF_SECOND]
    for d in range(path.shape[1]):
        path[PF_TS_FIRED, d] = 1.0 if on and ts_fired(front, second, d, ss[S.SS_TS_THRESHOLD],
                                                       ss[S.SS_TS_LOOKBACK]) else 0.0


@njit(cache=True)
def open_book(ss, spx0, n_slots):
    """(acct, condor qty per slot, layer book) at the start: all cash, and an index core
    (VXTH's portfolio) bought at the day-0 close (:func:`reset_book`)."""
    acct = np.empty(N_AC)
    qty = np.empty(n_slots)
    book = np.empty((3, N_LB))
    reset_book(ss, spx0, acct, qty, book)
    return acct, qty, book


@njit(cache=True, _nrt=False)
def reset_book(ss, spx0, acct, qty, book):
    """:func:`open_book`'s start in place: ``acct`` (N_AC), ``qty`` (slots), ``book``
    (3, N_LB)."""
    for c in range(acct.size):
        acct[c] = 0.0
    for s in range(qty.size):
        qty[s] = 0.0
    for k in range(3):
        for c in range(book.shape[1]):
            book[k, c] = 0.0
        book[k, LB_ARMED] = 1.0
        book[k, LB_COL] = -1.0
    units = ss[S.SS_INDEX_WEIGHT] / spx0
    acct[AC_INDEX_UNITS] = units
    acct[AC_INDEX_PAID] = units * spx0
    acct[AC_CASH] = 1.0 - units * spx0
    if units > 0.0:
        acct[AC_DIVIDEND_FACTOR] = math.exp(ss[S.SS_INDEX_YIELD] / TRADING_DAYS_PER_YEAR) - 1.0


@njit(cache=True, inline="always")
def account_equity(acct, qty, track, book, d, spot):
    """The account at day ``d``'s marks: cash and the index core, less the condors (short),
    plus the layers."""
    eq = acct[AC_CASH] + acct[AC_INDEX_UNITS] * spot
    for s in range(qty.size):
        eq -= qty[s] * track[TF_MARK, d, s]
    for k in range(3):
        eq += book[k, LB_QTY] * book[k, LB_PRICE]
    return eq


@njit(cache=True, inline="always")
def accrue(acct, spx_before, growth, pnl):
    """Overnight: interest on cash at r, and the index core's dividends into cash."""
    interest = acct[AC_CASH] * (growth - 1.0)
    acct[AC_CASH] += interest
    acct[AC_INTEREST_TOTAL] += interest
    pnl[BK_INTEREST] += interest
    if acct[AC_INDEX_UNITS] > 0.0:
        dividend = acct[AC_INDEX_UNITS] * spx_before * acct[AC_DIVIDEND_FACTOR]
        acct[AC_CASH] += dividend
        pnl[BK_INDEX] += dividend


@njit(cache=True, inline="always")
def settle_condors(ss, acct, qty, track, d, spot, vix_d, pnl, counts, log, log_n, spx_settle):
    """Close what the shared track closes today: settlement is free, any other close pays
    the spreads. History runs (``spx_settle`` not empty) count each settlement by source."""
    for s in range(qty.size):
        code = track[TF_CLOSE_CODE, d, s]
        if code != 0 and qty[s] > 0.0:
            value = track[TF_CLOSE_VALUE, d, s]
            flow = -qty[s] * value
            cost = 0.0 if code == CLOSE_EXPIRY else qty[s] * condor_cost(
                ss, track[TF_CLOSE_LEGS:TF_CLOSE_LEGS + 4, d, s], vix_d)
            acct[AC_CASH] += flow - cost
            pnl[BK_CONDOR] += flow
            pnl[BK_SPX_COST] -= cost
            counts[CT_TAKE_PROFIT + int(code) - 1] += 1
            if code == CLOSE_EXPIRY and spx_settle.size > 0:
                counts[CT_CONDOR_SET_CLOSE if math.isnan(spx_settle[d]) else CT_CONDOR_SET] += 1
            if log.shape[0] > 0:
                _log(log, log_n, EV_CONDOR_CLOSE, code, s, d, np.nan, np.nan, np.nan, np.nan,
                     qty[s] / (100.0 / ss[S.SS_CAPITAL]), value, flow, cost, spot, vix_d,
                     np.nan)
            qty[s] = 0.0


@njit(cache=True, inline="always")
def _sale_reason(ss, ls, k, book, d, price, vix_d, ts_today, tenor):
    """Why held layer ``k`` is sold today at ``price`` before its expiry (0: kept):
    monetisation first, then the roll window (``tenor``: sessions to expiry as known today),
    then (front layer) the term-structure roll-out."""
    if ss[S.SS_MON_ON] > 0.0:
        multiple = ss[S.SS_MON_MULTIPLE]
        if multiple > 0.0 and price >= multiple * book[k, LB_COST]:
            return SELL_PROFIT
        if ss[S.SS_MON_VIX] > 0.0 and vix_d >= ss[S.SS_MON_VIX] and book[k, LB_ARMED] > 0.0:
            return SELL_VIX_LEVEL
    if ls[k, S.LS_ROLL] > 0.0 and tenor <= ls[k, S.LS_ROLL]:
        return SELL_ROLL
    if k == 0 and ts_today:
        return SELL_TS_ROLL
    return 0


# A path's VIX call marks, shared by its strategies (issue 30): a held call's daily mark off
# the model's future depends only on the path's state that day, its strike and its expiry,
# so strategies whose layers hold the same call (every ALVH variant of a sweep that differs in
# its condor, costs or sizing) read the mark the first one computed: the same number, by the
# same function on the same arguments. A layer bought off the model's future on day d is
# quoted at its mark of day d, so its quote is shared too (:func:`_shared_layer_quote`: the
# ALVH variants of one path buy the same calls on the same roll days), and so are the marks
# and quotes of plain SPX put layers, keyed by their strike negated (:func:`shared_put_value`).
# ``marks`` (entries, 1 + maturity days): the strike, then the marks from the entry's first
# day on (NaN: not yet); ``mark_index`` (int64): the number of entries, the newest entry of
# each expiry day (-1: none), each entry's next older one of its expiry, and its first day.
# Both empty: no sharing (one hedged strategy).
MARK_ENTRIES = 96


@njit(cache=True)
def new_mark_cache(n_days, n_maturities, enabled):
    """Empty (``marks``, ``mark_index``) for one path; zero-size when not ``enabled``."""
    if not enabled:
        return np.zeros((0, 1)), np.zeros(1, dtype=np.int64)
    marks = np.empty((MARK_ENTRIES, 1 + n_maturities))
    mark_index = np.full(1 + n_days + 1 + n_maturities + 2 * MARK_ENTRIES, -1, dtype=np.int64)
    mark_index[0] = 0
    return marks, mark_index


@njit(cache=True, inline="always")
def shared_mark(marks, mark_index, strike, expiry, d):
    """(entry, mark) of the call (``strike``, ``expiry``) on day ``d``: entry -1 when the
    call has none (one may be made), -2 when it has one that cannot hold day ``d``; mark NaN
    when not computed yet."""
    n_entries = marks.shape[0]
    if n_entries == 0:
        return -2, np.nan
    n_heads = mark_index.size - 1 - 2 * n_entries
    if expiry < 0 or expiry >= n_heads:
        return -2, np.nan
    e = mark_index[1 + expiry]
    while e >= 0:
        if marks[e, 0] == strike:
            offset = d - mark_index[1 + n_heads + n_entries + e]
            if 0 <= offset < marks.shape[1] - 1:
                return e, marks[e, 1 + offset]
            return -2, np.nan
        e = mark_index[1 + n_heads + e]
    return -1, np.nan


@njit(cache=True, inline="always")
def share_mark(marks, mark_index, e, strike, expiry, d, price):
    """Keep ``price``, the mark of (``strike``, ``expiry``) on day ``d``, for the path's
    other strategies (``e`` from :func:`shared_mark`); a full cache keeps nothing more."""
    if e == -2:
        return
    n_entries = marks.shape[0]
    n_heads = mark_index.size - 1 - 2 * n_entries
    if e == -1:
        e = mark_index[0]
        if e >= n_entries:
            return
        mark_index[0] = e + 1
        marks[e, 0] = strike
        marks[e, 1:] = np.nan
        mark_index[1 + n_heads + e] = mark_index[1 + expiry]  # next older of this expiry
        mark_index[1 + expiry] = e
        mark_index[1 + n_heads + n_entries + e] = d  # first day
    marks[e, 1 + d - mark_index[1 + n_heads + n_entries + e]] = price


# Inlined into run_strategy's day loop (issue 30, 0.11.7): it runs on every day a layer is
# held or waits, and a call passing its 19 arguments (the tables' arrays field by field) took
# 14-16 % of the claims' day loop (docs/performance.md §1, "The layers' call inlined").
@njit(cache=True, _nrt=False, inline="always")
def manage_layers(ss, ls, acct, book, path, d, layer_days, layer_col, listed, vix_expiring, tab,
                  pnl, counts, log, log_n, adhoc, spx_settle, marks, mark_index):
    """Each held VIX call layer: settle at expiry on VIX (history runs: on its contract's
    final settlement, the SOQ, where the data has it), else mark it (off its listed
    contract's settlement where there is one, else off the model's future of its expiry) at
    the sessions to expiry as known today (:func:`known_days`) and apply the sale rules; then
    re-arm layers whose wait is over. An SPX put layer settles on the S&P 500, in history
    runs (``spx_settle`` not empty) at its listed monthly expiry's settlement value (the
    open, SET proxy; the close where the data has none), counted as the condor's. A mark off
    the model's future is shared with the path's other strategies (``marks``,
    ``mark_index``: :func:`shared_mark`). Lookups read the path's state cells (rows CELL_*,
    :func:`fill_state_cells`)."""
    n_days = path.shape[1] - 1
    vix_d, var, mvar = path[PF_VIX, d], path[PF_V, d], path[PF_M, d]
    calendar = layer_days.shape[1] > 0
    vix_future_t, vix_iv, qp, qp2, grid, m_nodes, mat = (tab.vix_future, tab.vix_iv, tab.qp,
                                                         tab.qp2, tab.grid, tab.m_nodes,
                                                         tab.maturity)
    cell = path_cell(path, d)
    ts_today = path[PF_TS_FIRED, d] > 0.0
    rearm_vix = ss[S.SS_REARM_VIX]
    rearm_days = int(ss[S.SS_REARM_DAYS])
    for k in range(3):
        if ls[k, S.LS_ACTIVE] == 0.0:
            continue
        if book[k, LB_QTY] > 0.0 and book[k, LB_KIND] == S.INSTRUMENT_SPX_PUT:
            # an SPX put layer: the model's puts, expiring (history runs) on a listed monthly
            # SPX expiry (calendar.expiry_schedule), settled there as the condor is
            left = book[k, LB_EXPIRY] - d
            if left > 0 and adhoc.size > 0:  # the calendar as known today
                left += adhoc[int(book[k, LB_EXPIRY])] - adhoc[d]
            level = path[PF_SPX, d]
            if left <= 0 and spx_settle.size > 0:
                if math.isnan(spx_settle[d]):
                    counts[CT_PUT_SET_CLOSE] += 1
                else:
                    level = spx_settle[d]  # AM settlement (SET proxy: the open)
                    counts[CT_PUT_SET] += 1
            if left > 0:  # marked at the close (a mark the path's strategies share)
                price, short_price = shared_put_value(
                    marks, mark_index, book[k, LB_STRIKE], book[k, LB_LOW_STRIKE],
                    int(book[k, LB_EXPIRY]), d, float(left), level, var, mvar, tab, cell)
            else:
                price, short_price = put_layer_value(book[k, LB_STRIKE],
                                                     book[k, LB_LOW_STRIKE], float(left),
                                                     level, var, mvar, tab, cell)
            reason = SELL_EXPIRY if book[k, LB_EXPIRY] - d <= 0 else _sale_reason(
                ss, ls, k, book, d, price, vix_d, ts_today, left)
            book[k, LB_PRICE] = price
            book[k, LB_LOW_PRICE] = short_price
            if reason != 0:
                sell_layer(ss, ls, k, reason, price, acct, book, path, d, n_days, layer_days,
                           layer_col, listed, tab, pnl, counts, log, log_n, adhoc, marks,
                           mark_index)
        elif book[k, LB_QTY] > 0.0:
            left = book[k, LB_EXPIRY] - d
            if left <= 0:
                level = vix_d  # settles on VIX
                if calendar:
                    col = int(book[k, LB_COL])
                    final = listed[col, d] if col >= 0 and vix_expiring[d] == col else np.nan
                    if math.isnan(final):
                        counts[CT_HEDGE_SOQ_CLOSE] += 1
                    else:
                        level = final  # the contract's final settlement value (SOQ)
                        counts[CT_HEDGE_SOQ] += 1
                price = max(level - book[k, LB_STRIKE], 0.0)
                reason = SELL_EXPIRY
            else:
                if adhoc.size > 0:  # the calendar as known today (a float, as left is)
                    left += adhoc[int(book[k, LB_EXPIRY])] - adhoc[d]
                col = int(book[k, LB_COL])
                settle = listed[col, d] if col >= 0 else np.nan
                n = table_day(left, mat)
                if math.isnan(settle) and n > 0:  # inlined, as condor_track's marks
                    expiry = int(book[k, LB_EXPIRY])
                    e, price = shared_mark(marks, mark_index, book[k, LB_STRIKE], expiry, d)
                    if math.isnan(price):
                        price = vix_call_in_row(cell, var, mvar, table_row(mat, n),
                                                book[k, LB_STRIKE], vix_future_t, vix_iv, qp,
                                                qp2, grid, m_nodes)
                        share_mark(marks, mark_index, e, book[k, LB_STRIKE], expiry, d, price)
                    if calendar:
                        counts[CT_MODEL_MARKS] += 1
                elif math.isnan(settle):
                    price = vix_call_in_cell(cell, var, mvar, left, book[k, LB_STRIKE],
                                             vix_future_t, vix_iv, qp, qp2, grid, mat,
                                             m_nodes)
                    if calendar:
                        counts[CT_MODEL_MARKS] += 1
                else:
                    price = vix_call_on_future(cell, var, mvar, left, book[k, LB_STRIKE],
                                               settle, vix_iv, qp, qp2, grid, mat, m_nodes)
                    counts[CT_LISTED_MARKS] += 1
                reason = _sale_reason(ss, ls, k, book, d, price, vix_d, ts_today, left)
            book[k, LB_PRICE] = price
            if reason != 0:
                sell_layer(ss, ls, k, reason, price, acct, book, path, d, n_days, layer_days,
                           layer_col, listed, tab, pnl, counts, log, log_n, adhoc, marks,
                           mark_index)
        if book[k, LB_ARMED] == 0.0 and (
                (rearm_vix > 0.0 and vix_d < rearm_vix)
                or (rearm_days > 0 and d - book[k, LB_SOLD_ON] >= rearm_days)):
            book[k, LB_ARMED] = 1.0
            book[k, LB_NEXT_BUY] = d


@njit(cache=True)
def sell_layer(ss, ls, k, reason, price, acct, book, path, d, n_days, layer_days, layer_col,
               listed, tab, pnl, counts, log, log_n, adhoc, marks, mark_index):
    """Sell layer ``k`` (all, or the monetised fraction) at ``price``; a term-structure
    roll-out buys further out with the proceeds."""
    vix_d = path[PF_VIX, d]
    monetised = reason == SELL_PROFIT or reason == SELL_VIX_LEVEL
    rearm_roll = ss[S.SS_REARM_ROLL] > 0.0
    sold = book[k, LB_QTY]
    if monetised and ss[S.SS_MON_FRACTION] < 1.0:
        sold = book[k, LB_QTY] * ss[S.SS_MON_FRACTION]
    flow = sold * price
    put = book[k, LB_KIND] == S.INSTRUMENT_SPX_PUT
    unit_cost = put_layer_cost(ss, price, book[k, LB_LOW_PRICE], book[k, LB_LOW_STRIKE],
                               vix_d) if put else vix_option_cost(ss, price, vix_d)
    cost = 0.0 if reason == SELL_EXPIRY else sold * unit_cost
    acct[AC_CASH] += flow - cost
    acct[AC_HEDGE_CASH] += flow - cost
    col, cost_col = layer_columns(book, k)
    pnl[col] += flow
    pnl[cost_col] -= cost
    if log.shape[0] > 0:
        _log(log, log_n, EV_HEDGE_SELL, reason, k, d, book[k, LB_STRIKE], np.nan, np.nan,
             np.nan, sold / (100.0 / ss[S.SS_CAPITAL]), price, flow, cost, path[PF_SPX, d],
             vix_d, np.nan)
    if (reason == SELL_EXPIRY or reason == SELL_ROLL) and rearm_roll:
        book[k, LB_ARMED] = 1.0
    if reason == SELL_EXPIRY:
        counts[CT_HEDGE_EXPIRY] += 1
    elif reason == SELL_ROLL:
        counts[CT_HEDGE_ROLL] += 1
    elif reason == SELL_TS_ROLL:
        counts[CT_TS_ROLL] += 1
    else:
        counts[CT_MONETIZE] += 1
        book[k, LB_COST] = price  # a remainder is sold again at multiple x this price
        if ss[S.SS_REARM_VIX] > 0.0 or int(ss[S.SS_REARM_DAYS]) > 0 or rearm_roll:
            book[k, LB_ARMED] = 0.0
            book[k, LB_SOLD_ON] = d
    book[k, LB_QTY] -= sold
    if book[k, LB_QTY] <= 1e-15:
        book[k, LB_QTY] = 0.0
        book[k, LB_PRICE] = 0.0
        book[k, LB_NEXT_BUY] = d
    if reason == SELL_TS_ROLL and d < n_days:
        # roll further out with the proceeds, at most what the calls cost: a layer that has
        # gained banks the gain instead of buying calls at panic prices with all of it
        spend = min(flow - cost, sold * book[k, LB_ENTRY])
        roll_days, col, settle = int(ss[S.SS_TS_ROLL_DAYS]), -1, np.nan
        if layer_days.shape[1] > 0 and not put:  # puts: the roll-out's count, no listing
            roll_days, col = int(layer_days[3, d]), int(layer_col[3, d])
            settle = listed[col, d] if col >= 0 else np.nan
        used = buy_layer(ss, ls, k, d, roll_days, known_days(adhoc, d, d + roll_days), -spend,
                         path, tab, book, pnl, counts, log, log_n, settle, marks, mark_index)
        if book[k, LB_QTY] > 0.0:
            book[k, LB_COL] = col
        acct[AC_CASH] -= used
        acct[AC_HEDGE_CASH] -= used


@njit(cache=True)
def open_condors(ss, ls, acct, qty, book, track, path, d, tab, pnl, counts, log, log_n):
    """Enter the tranches the shared track opens today, sized on the day's equity."""
    spot, vix_d = path[PF_SPX, d], path[PF_VIX, d]
    capital = ss[S.SS_CAPITAL]
    eq = account_equity(acct, qty, track, book, d, spot)
    factor = 1.0
    if ss[S.SS_REGIME_ON] > 0.0:
        factor = regime_factor(ss, vix_d if ss[S.SS_REGIME_ON] == S.REGIME_VIX
                               else path[PF_FRONT, d])
    for s in range(qty.size):
        c = track[TF_OPEN_CREDIT, d, s]
        if math.isnan(c):
            continue
        legs = track[TF_OPEN_LEGS:TF_OPEN_LEGS + 4, d, s]
        q = _whole(tranche_qty(ss, ls, eq, track[TF_OPEN_MAX_LOSS, d, s], legs,
                               path[PF_V, d], path[PF_M, d], vix_d, tab, factor), capital,
                   ss[S.SS_WHOLE_CONDOR])
        if q <= 0.0:
            continue
        flow = q * c
        cost = q * condor_cost(ss, legs, vix_d)
        acct[AC_CASH] += flow - cost
        pnl[BK_CONDOR] += flow
        pnl[BK_SPX_COST] -= cost
        qty[s] = q
        acct[AC_UNIT_QTY] = q
        counts[CT_CONDOR_OPEN] += 1
        if log.shape[0] > 0:
            k0 = TF_STRIKES
            _log(log, log_n, EV_CONDOR_OPEN, 0, s, d, track[k0, d, s], track[k0 + 1, d, s],
                 track[k0 + 2, d, s], track[k0 + 3, d, s], q / (100.0 / capital), c, flow,
                 cost, spot, vix_d, eq)


@njit(cache=True)
def buy_layers(ss, ls, acct, qty, book, track, path, d, layer_days, layer_col, listed, tab,
               pnl, counts, log, log_n, adhoc, marks, mark_index):
    """Buy each empty, armed layer whose wait is over: the budget's share of equity for the
    holding period, or contracts per condor; the filters and the regime scale decide first."""
    hedge_mode = int(ss[S.SS_HEDGE_MODE])
    spot, vix_d = path[PF_SPX, d], path[PF_VIX, d]
    for k in range(3):
        if (ls[k, S.LS_ACTIVE] == 0.0 or book[k, LB_QTY] > 0.0 or book[k, LB_ARMED] == 0.0
                or d < book[k, LB_NEXT_BUY]):
            continue
        if hedge_mode == S.HEDGE_BUDGET and ss[S.SS_BUDGET] * ls[k, S.LS_WEIGHT] <= 0.0:
            continue
        if hedge_mode == S.HEDGE_PER_CONDOR and acct[AC_UNIT_QTY] <= 0.0:
            continue
        if hedge_mode == S.HEDGE_PER_INDEX_UNIT and acct[AC_INDEX_UNITS] <= 0.0:
            continue
        blocked = False
        macd, rsi_value = path[PF_MACD, d], path[PF_RSI, d]
        if ss[S.SS_MACD_ON] > 0.0 and not math.isnan(macd):
            blocked = ss[S.SS_MACD_SIGN] * macd <= 0.0
        if ss[S.SS_RSI_ON] > 0.0 and not math.isnan(rsi_value):
            blocked = blocked or rsi_value > ss[S.SS_RSI_BELOW]
        if blocked:
            counts[CT_FILTER_BLOCKED] += 1
            continue
        tenor = int(ls[k, S.LS_TENOR])
        col, settle = -1, np.nan
        # history runs: the listed expiry nearest the layer's DTE (a put layer's: monthly
        # SPX, no VX row: col -1)
        if layer_days.shape[1] > 0:
            tenor, col = int(layer_days[k, d]), int(layer_col[k, d])
            settle = listed[col, d] if col >= 0 else np.nan
        known = known_days(adhoc, d, d + tenor)  # the count as known today prices and sizes
        holding = max(known - int(ls[k, S.LS_ROLL]), 1)
        factor = 1.0
        if ss[S.SS_REGIME_ON] > 0.0:
            factor = regime_factor(ss, vix_d if ss[S.SS_REGIME_ON] == S.REGIME_VIX
                                   else path[PF_FRONT, d])
        if factor <= 0.0:
            counts[CT_REGIME_SKIP] += 1
            book[k, LB_NEXT_BUY] = d + holding  # sit this cycle out (VXTH: weight 0 this month)
            continue
        if hedge_mode == S.HEDGE_BUDGET:
            eq = account_equity(acct, qty, track, book, d, spot)
            spend = (ss[S.SS_BUDGET] * ls[k, S.LS_WEIGHT] * factor * holding
                     / TRADING_DAYS_PER_YEAR * eq)
            spend *= vvix_split_factor(ss, ls, k, path[PF_VVIX_RSI, d])
            size = -spend  # negative: cash to spend, converted in buy_layer
        elif hedge_mode == S.HEDGE_PER_INDEX_UNIT:  # Cboe PPUT: a put per unit of the index
            size = ls[k, S.LS_PER_CONDOR] * factor * acct[AC_INDEX_UNITS]
        else:
            size = ls[k, S.LS_PER_CONDOR] * factor * acct[AC_UNIT_QTY]
        used = buy_layer(ss, ls, k, d, tenor, known, size, path, tab, book, pnl, counts, log,
                         log_n, settle, marks, mark_index)
        acct[AC_CASH] -= used
        acct[AC_HEDGE_CASH] -= used
        if book[k, LB_QTY] <= 0.0:
            book[k, LB_NEXT_BUY] = d + holding
        else:
            book[k, LB_COL] = col


@njit(cache=True)
def buy_layer(ss, ls, k, d, tenor, known, size, path, tab, book, pnl, counts, log, log_n,
              listed, marks, mark_index):
    """Buy layer ``k`` expiring ``tenor`` trading days ahead (path days, the countdown to
    settlement), struck and priced at ``known`` (the count as known today); ``listed``: its
    contract's settlement, or NaN for the model's future. ``size`` > 0: quantity (equity per
    VIX point); < 0: cash to spend on premium + costs. Returns the cash used (0 if nothing
    bought)."""
    vix_d = path[PF_VIX, d]
    put = ls[k, S.LS_INSTRUMENT] == S.INSTRUMENT_SPX_PUT
    low, short_price = 0.0, 0.0
    if put:
        strike, low = put_layer_strikes(ls, k, known, path[PF_SPX, d], path[PF_V, d],
                                        path[PF_M, d], tab)
        price, short_price = shared_put_value(marks, mark_index, strike, low, d + tenor, d,
                                              float(known), path[PF_SPX, d], path[PF_V, d],
                                              path[PF_M, d], tab, path_cell(path, d))
    else:
        strike, price = _shared_layer_quote(ls, k, known, path[PF_V, d], path[PF_M, d], vix_d,
                                            tab, listed, marks, mark_index, d + tenor, d)
    if not price > 1e-8:
        return 0.0
    capital = ss[S.SS_CAPITAL]
    unit_cost = put_layer_cost(ss, price, short_price, low, vix_d) if put \
        else vix_option_cost(ss, price, vix_d)
    q = size if size > 0.0 else -size / (price + unit_cost)
    q = _whole(q, capital, ss[S.SS_WHOLE_HEDGE])
    if q <= 0.0:
        return 0.0
    flow = -q * price
    cost = q * unit_cost
    book[k, LB_KIND] = S.INSTRUMENT_SPX_PUT if put else S.INSTRUMENT_VIX_CALL
    book[k, LB_LOW_STRIKE] = low
    book[k, LB_LOW_PRICE] = short_price
    col, cost_col = layer_columns(book, k)
    pnl[col] += flow
    pnl[cost_col] -= cost
    pnl[BK_PREMIUM] += q * price
    book[k, LB_QTY] = q
    book[k, LB_STRIKE] = strike
    book[k, LB_EXPIRY] = d + tenor
    book[k, LB_COST] = price
    book[k, LB_ENTRY] = price + unit_cost
    book[k, LB_PRICE] = price
    counts[CT_HEDGE_BUY] += 1
    if log.shape[0] > 0:
        _log(log, log_n, EV_HEDGE_BUY, 0, k, d, strike, low if low > 0.0 else np.nan, np.nan,
             np.nan, q / (100.0 / capital), price, flow, cost, path[PF_SPX, d], vix_d,
             np.nan)
    return q * price + cost


@njit(cache=True, inline="always")
def book_close(acct, qty, book, track, d, spot, pnl, counts):
    """(equity, layers held) at the close. An account at or below zero is ruined: every
    position is closed at the close's marks (no costs: the account cannot pay them) and the
    path stops trading (CT_RUINED)."""
    held = 0.0
    for k in range(3):
        held += book[k, LB_QTY] * book[k, LB_PRICE]
    eq = acct[AC_CASH] + held + acct[AC_INDEX_UNITS] * spot
    for s in range(qty.size):
        eq -= qty[s] * track[TF_MARK, d, s]
    if eq > 0.0:
        return eq, held
    for s in range(qty.size):
        if qty[s] > 0.0:
            flow = -qty[s] * track[TF_MARK, d, s]
            acct[AC_CASH] += flow
            pnl[BK_CONDOR] += flow
            qty[s] = 0.0
    for k in range(3):
        if book[k, LB_QTY] > 0.0:
            flow = book[k, LB_QTY] * book[k, LB_PRICE]
            acct[AC_CASH] += flow
            acct[AC_HEDGE_CASH] += flow
            pnl[layer_columns(book, k)[0]] += flow
            book[k, LB_QTY] = 0.0
    units = acct[AC_INDEX_UNITS]
    if units > 0.0:
        acct[AC_CASH] += units * spot
        pnl[BK_INDEX] += units * spot - acct[AC_INDEX_PAID]
        acct[AC_INDEX_UNITS] = 0.0
    acct[AC_RUINED] = 1.0
    counts[CT_RUINED] += 1
    return acct[AC_CASH], 0.0


@njit(cache=True, inline="always")
def _layers_to_manage(ls, book):
    """A layer is held, or waits to be re-armed."""
    for k in range(3):
        if ls[k, S.LS_ACTIVE] > 0.0 and (book[k, LB_QTY] > 0.0 or book[k, LB_ARMED] == 0.0):
            return True
    return False


@njit(cache=True, inline="always")
def _opening(track, d):
    """The track opens a tranche today."""
    for s in range(track.shape[2]):
        if not math.isnan(track[TF_OPEN_CREDIT, d, s]):
            return True
    return False


@njit(cache=True, inline="always")
def _layers_due(ls, book, d):
    """A layer is empty, armed and past its wait."""
    for k in range(3):
        if (ls[k, S.LS_ACTIVE] > 0.0 and book[k, LB_QTY] <= 0.0 and book[k, LB_ARMED] > 0.0
                and d >= book[k, LB_NEXT_BUY]):
            return True
    return False


@njit(cache=True, _nrt=False)
def run_strategy(ss, ls, path, track, layer_days, layer_col, listed, spx_settle, vix_expiring,
                 tab, growth, equity, trading, hedge, pnl, counts, log, log_n, adhoc, flows,
                 marks, mark_index, acct, qty, book):
    """One strategy on one path: fills ``equity``, ``trading`` and ``hedge`` (days + 1),
    ``pnl`` (N_BK), ``counts`` (N_CT), the trade log and ``flows`` (days + 1): the trading
    book's cash flows with its owner (:mod:`simulator.strategy.irr`): the starting equity
    in on day 0, each day's net premium, costs, settlements and dividends (not interest),
    and on the last day the starting cash back with the marks of what is still open; they
    add up to ``trading[-1] - 1``.

    Every day, at its closing prices: accrue -> settle_condors -> manage_layers ->
    open_condors -> buy_layers -> book_close. ``path`` (N_PF, days + 1); ``track`` the
    strategy's condor group (N_TF, days + 1, slots). History runs (``layer_days`` not
    empty): a layer bought on day d takes the listed VIX expiry ``layer_days[k, d]`` trading
    days away (k = 3: the term-structure roll-out), whose settlements are row
    ``layer_col[k, d]`` of ``listed`` (NaN where none): the layer is bought and marked off
    that settlement, with the model's smile around it, and off the model's future where there
    is none (counted in CT_LISTED_MARKS / CT_MODEL_MARKS). Expiries settle at the exchange's
    settlement values (``spx_settle``, ``vix_expiring``: :func:`condor_track`,
    :func:`manage_layers`; empty for simulated paths). ``adhoc`` (the path's run of
    ExpirySchedule.adhoc from its day 0; empty for simulated paths): positions settle on
    their expiry's path day and are priced on the count as known each day
    (:func:`known_days`). ``marks``, ``mark_index``: the path's VIX call marks shared by its
    strategies (:func:`new_mark_cache`). ``acct``, ``qty``, ``book``: the strategy's books,
    set here as :func:`open_book` leaves them."""
    n_days = path.shape[1] - 1
    reset_book(ss, path[PF_SPX, 0], acct, qty, book)
    hedged = ss[S.SS_HEDGE_MODE] != S.HEDGE_NONE
    equity[0] = 1.0
    trading[0] = 1.0
    hedge[0] = 0.0
    # cash less interest before today's trades; what the index core left of the starting
    # equity (the core is bought with the equity, not with an extra flow)
    booked = acct[AC_CASH]
    starting_cash = booked
    flows[:] = 0.0
    flows[0] = -1.0
    for d in range(n_days + 1):
        if acct[AC_RUINED] > 0.0:  # the account is gone: nothing trades, nothing accrues
            equity[d], trading[d], hedge[d] = equity[d - 1], trading[d - 1], hedge[d - 1]
            continue
        spot = path[PF_SPX, d]
        if d > 0:
            accrue(acct, path[PF_SPX, d - 1], growth, pnl)
        settle_condors(ss, acct, qty, track, d, spot, path[PF_VIX, d], pnl, counts, log,
                       log_n, spx_settle)
        # the steps below are called only when they have work: a call passes many arrays
        if _layers_to_manage(ls, book):
            manage_layers(ss, ls, acct, book, path, d, layer_days, layer_col, listed,
                          vix_expiring, tab, pnl, counts, log, log_n, adhoc, spx_settle, marks,
                          mark_index)
        if _opening(track, d):
            open_condors(ss, ls, acct, qty, book, track, path, d, tab, pnl, counts, log, log_n)
        if hedged and d < n_days and _layers_due(ls, book, d):
            buy_layers(ss, ls, acct, qty, book, track, path, d, layer_days, layer_col, listed,
                       tab, pnl, counts, log, log_n, adhoc, marks, mark_index)
        if d > 0:
            eq, held = book_close(acct, qty, book, track, d, spot, pnl, counts)
            equity[d] = eq
            trading[d] = eq - acct[AC_INTEREST_TOTAL]
            hedge[d] = acct[AC_HEDGE_CASH] + held
        flows[d] += acct[AC_CASH] - acct[AC_INTEREST_TOTAL] - booked
        booked = acct[AC_CASH] - acct[AC_INTEREST_TOTAL]
    # the starting cash back, and what is open as if sold at mid (nothing once ruined)
    flows[n_days] += starting_cash + account_equity(acct, qty, track, book, n_days,
                                                    path[PF_SPX, n_days]) - acct[AC_CASH]
    # open positions at the horizon are marked, and their marks belong to their buckets
    for s in range(qty.size):
        pnl[BK_CONDOR] -= qty[s] * track[TF_MARK, n_days, s]
    for k in range(3):
        pnl[layer_columns(book, k)[0]] += book[k, LB_QTY] * book[k, LB_PRICE]
    if acct[AC_INDEX_UNITS] > 0.0:
        pnl[BK_INDEX] += acct[AC_INDEX_UNITS] * path[PF_SPX, n_days] - acct[AC_INDEX_PAID]


@njit(cache=True)
def listed_futures(path, cm):
    """Rows FRONT and SECOND of ``path`` from ``cm`` (2, days + 1: the constant-maturity
    futures interpolated between the listed contracts, history runs) where it has a value,
    the model's (already there) elsewhere; rows FRONT_LISTED and SECOND_LISTED say which.
    ``cm`` empty (simulated paths): the model's throughout."""
    path[PF_FRONT_LISTED] = 0.0
    path[PF_SECOND_LISTED] = 0.0
    if cm.shape[1] == 0:
        return
    for d in range(path.shape[1]):
        if not math.isnan(cm[0, d]):
            path[PF_FRONT, d] = cm[0, d]
            path[PF_FRONT_LISTED, d] = 1.0
        if not math.isnan(cm[1, d]):
            path[PF_SECOND, d] = cm[1, d]
            path[PF_SECOND_LISTED, d] = 1.0


@njit(cache=True)
def count_future_reads(ss, gs, path, counts):
    """History runs: the path-days a strategy whose rules read the constant-maturity futures
    (the regime on the front future; the term-structure rule or the condor re-strike, both)
    read listed ones (CT_FUTURES_LISTED) or, for one of them at least, the model's
    (CT_FUTURES_MODEL)."""
    ts = ss[S.SS_HEDGE_MODE] != S.HEDGE_NONE and ss[S.SS_TS_ON] > 0.0
    both = ts or (gs[S.GS_ACTIVE] > 0.0 and gs[S.GS_SHIFT_SD] > 0.0)
    if not (both or ss[S.SS_REGIME_ON] == S.REGIME_FRONT):
        return
    for d in range(path.shape[1]):
        listed = path[PF_FRONT_LISTED, d] > 0.0 and (not both or path[PF_SECOND_LISTED, d] > 0.0)
        counts[CT_FUTURES_LISTED if listed else CT_FUTURES_MODEL] += 1


@njit(cache=True)
def evaluate_chunk(spx, v, m, vix, group_specs, strat_specs, layer_specs, n_slots, tab, growth,
                   front_days, second_days, log_rows, equity, trading, hedge, pnl, counts, log,
                   log_n, condor_days, layer_days, layer_col, listed, listed_day0, spx_settle,
                   vix_expiring, listed_cm, adhoc, adhoc_day0, vvix, irr):
    """All strategies on all paths of a chunk (:func:`_evaluate_paths`, parallel over paths),
    every array borrowed (common.borrowed: no reference counts in the day loop; the caller
    holds the arguments for the whole call). Same arguments and outputs as
    :func:`_evaluate_paths`."""
    b = borrowed
    _evaluate_paths(b(spx), b(v), b(m), b(vix), b(group_specs), b(strat_specs), b(layer_specs),
                    n_slots, borrowed_tables(tab), growth, front_days, second_days, b(log_rows),
                    b(equity), b(trading), b(hedge), b(pnl), b(counts), b(log), b(log_n),
                    b(condor_days), b(layer_days), b(layer_col), b(listed), b(listed_day0),
                    b(spx_settle), b(vix_expiring), b(listed_cm), b(adhoc), b(adhoc_day0),
                    b(vvix), b(irr))


@njit(cache=True, parallel=True)
def _evaluate_paths(spx, v, m, vix, group_specs, strat_specs, layer_specs, n_slots, tab, growth,
                   front_days, second_days, log_rows, equity, trading, hedge, pnl, counts, log,
                   log_n, condor_days, layer_days, layer_col, listed, listed_day0, spx_settle,
                   vix_expiring, listed_cm, adhoc, adhoc_day0, vvix, irr):
    """All strategies on all paths of a chunk (parallel over paths).

    ``vvix`` (paths, days + 1): each path's VVIX (the RSI-of-VVIX split reads it).
    ``irr`` (strategies, paths): the trading book's money-weighted return, annual
    (:func:`simulator.strategy.irr.irr`; NaN where none or not unique).

    Outputs: ``equity``, ``trading``, ``hedge`` (strategies, paths, days + 1), ``pnl``
    (strategies, paths, N_BK), ``counts`` (strategies, paths, N_CT), ``log`` (strategies,
    logged paths, events, N_EF) and ``log_n`` (strategies, logged paths) for the rows with
    ``log_rows[path] >= 0``.

    The exchange calendar of history runs (:mod:`simulator.market.calendar`), each with a
    last axis of length 0 for simulated paths: ``condor_days`` (paths, groups, days + 1),
    ``layer_days`` and ``layer_col`` (paths, strategies, 4, days + 1), ``listed`` (contracts,
    span days; shared by the paths) with path i's day 0 at column ``listed_day0[i]``, and
    per span day (same columns; length 0 for simulated paths) ``spx_settle`` (the SPX
    settlement value of an expiry day, NaN: none), ``vix_expiring`` (the row of ``listed``
    settling that day, -1: none) and ``listed_cm`` (2, span days: the constant-maturity front
    and second futures from the listed contracts, NaN: none, the model's is read instead).
    ``adhoc`` (clock days; empty for simulated paths) the unscheduled closures before each
    session, path i's day 0 at entry ``adhoc_day0[i]``: positions are priced on the count as
    known each day (:func:`known_days`) and settle on the realised counts above.
    """
    n_paths = spx.shape[0]
    n_days = spx.shape[1] - 1
    n_groups = group_specs.shape[0]
    n_strat = strat_specs.shape[0]
    empty_log_owned = np.zeros((0, N_EF))
    empty_log = borrowed(empty_log_owned)
    # the two constant maturities' cells on the days axis, once (lookups.vix_future's
    # arithmetic otherwise: the same numbers)
    front_j, front_w = locate_days(front_days, tab.grid)
    second_j, second_w = locate_days(second_days, tab.grid)
    condor_entries, condor_life = condor_cache_size(group_specs, condor_days, n_days)
    n_hedged = 0
    for k in range(n_strat):
        if strat_specs[k, S.SS_HEDGE_MODE] != S.HEDGE_NONE:
            n_hedged += 1
    for i in prange(n_paths):
        # the path's scratch, allocated here: the kernels below take it and allocate nothing
        path_owned = np.empty((N_PF, n_days + 1))
        tracks_owned = np.empty((n_groups, N_TF, n_days + 1, n_slots))
        flows_owned = np.empty(n_days + 1)  # one strategy's daily book flows at a time
        marks_owned, mark_index_owned = new_mark_cache(n_days, tab.maturity.shape[0],
                                                       n_hedged > 1)
        none_logged_owned = np.zeros(1, dtype=np.int64)
        expiry_owned = np.empty(n_slots, dtype=np.int64)  # condor_track's, per slot
        credit_owned = np.empty(n_slots)
        held_owned = np.empty((n_slots, 8))
        active_owned = np.empty(n_slots, dtype=np.bool_)
        buf_owned = np.empty(4)
        day_legs_owned = np.empty((n_slots, 4))
        acct_owned = np.empty(N_AC)  # one strategy's books at a time (run_strategy)
        qty_owned = np.empty(n_slots)
        book_owned = np.empty((3, N_LB))
        cm_owned, co_owned, cu_owned, se_owned = new_condor_cache(condor_entries, condor_life,
                                                                  n_slots)
        b = borrowed
        evaluate_path(i, spx, v, m, vix, vvix, group_specs, strat_specs, layer_specs, tab,
                      growth, front_j, front_w, second_j, second_w, log_rows, equity, trading,
                      hedge, pnl, counts, log, log_n, condor_days, layer_days, layer_col,
                      listed, listed_day0, spx_settle, vix_expiring, listed_cm, adhoc,
                      adhoc_day0, irr, empty_log, b(path_owned), b(tracks_owned),
                      b(flows_owned), b(marks_owned), b(mark_index_owned),
                      b(none_logged_owned), b(expiry_owned), b(credit_owned), b(held_owned),
                      b(active_owned), b(buf_owned), b(day_legs_owned), b(acct_owned),
                      b(qty_owned), b(book_owned), b(cm_owned), b(co_owned), b(cu_owned),
                      b(se_owned))
        keep_alive(path_owned, tracks_owned, flows_owned, marks_owned, mark_index_owned,
                   none_logged_owned, expiry_owned, credit_owned, held_owned, active_owned,
                   buf_owned, day_legs_owned, acct_owned, qty_owned, book_owned, cm_owned,
                   co_owned, cu_owned, se_owned)
    keep_alive(empty_log_owned)


@njit(cache=True, _nrt=False)
def evaluate_path(i, spx, v, m, vix, vvix, group_specs, strat_specs, layer_specs, tab, growth,
                  front_j, front_w, second_j, second_w, log_rows, equity, trading, hedge, pnl,
                  counts, log, log_n, condor_days, layer_days, layer_col, listed, listed_day0,
                  spx_settle, vix_expiring, listed_cm, adhoc, adhoc_day0, irr, empty_log, path,
                  tracks, flows, marks, mark_index, none_logged, expiry, credit, held, active,
                  buf, day_legs, acct, qty, book, condor_marks, condor_opens, condor_used,
                  slot_entry):
    """Path ``i`` of :func:`_evaluate_paths` (its arguments, then the path's scratch): the
    path's rows, its condor tracks, then every strategy in turn. Compiled without reference
    counts (``_nrt=False``, and so is everything it calls): without numba's counting of
    every array copy, and the calls and cleanup blocks it adds, the day loop takes 0.56x-0.77x
    of its time (docs/performance.md §1, "No reference counts"). It allocates nothing."""
    n_days = spx.shape[1] - 1
    n_groups = group_specs.shape[0]
    n_strat = strat_specs.shape[0]
    future_table, nodes, m_nodes = tab.vix_future, tab.vol_nodes, tab.m_nodes
    for d in range(n_days + 1):
        path[PF_SPX, d] = spx[i, d]
        path[PF_V, d] = v[i, d]
        path[PF_M, d] = m[i, d]
        path[PF_VIX, d] = vix[i, d]
        path[PF_VVIX, d] = vvix[i, d]
        path[PF_MACD, d] = np.nan
        path[PF_RSI, d] = np.nan
    fill_state_cells(path, nodes, m_nodes)
    for d in range(n_days + 1):
        cell = path_cell(path, d)
        path[PF_FRONT, d] = vix_future_in_cell(cell, front_j, front_w, future_table)
        path[PF_SECOND, d] = vix_future_in_cell(cell, second_j, second_w, future_table)
    day0 = listed_day0[i]
    path_settle = spx_settle[day0:day0 + n_days + 1]  # views; empty for simulated paths
    path_expiring = vix_expiring[day0:day0 + n_days + 1]
    listed_futures(path, listed_cm[:, day0:day0 + n_days + 1])
    path_adhoc = adhoc[adhoc_day0[i]:]  # a view from the path's day 0; empty if simulated
    condor_used[0] = condor_used[1] = 0  # the groups' shared marks: none yet on this path
    for g in range(n_groups):
        clear_track(tracks[g])
        if group_specs[g, S.GS_ACTIVE] > 0.0:
            condor_track(group_specs[g], path, tab, tracks[g], condor_days[i, g], path_settle,
                         path_adhoc, expiry, credit, held, active, buf, day_legs,
                         condor_marks, condor_opens, condor_used, slot_entry)
    row = log_rows[i]
    path_listed = listed[:, listed_day0[i]:listed_day0[i] + n_days + 1]  # a view
    for k in range(n_strat):
        ss = strat_specs[k]
        if ss[S.SS_MACD_ON] > 0.0:
            macd_histogram(vix[i], int(ss[S.SS_MACD_FAST]), int(ss[S.SS_MACD_SLOW]),
                           int(ss[S.SS_MACD_SIGNAL]), path[PF_MACD])
        if ss[S.SS_RSI_ON] > 0.0:
            rsi(vix[i], int(ss[S.SS_RSI_PERIOD]), path[PF_RSI])
        for d in range(n_days + 1):
            path[PF_VVIX_RSI, d] = np.nan
        if ss[S.SS_SPLIT_ON] > 0.0:
            rsi(vvix[i], int(ss[S.SS_SPLIT_PERIOD]), path[PF_VVIX_RSI])
        term_structure_signal(ss, path)
        if path_settle.size > 0:
            count_future_reads(ss, group_specs[int(ss[S.SS_GROUP])], path, counts[k, i])
        run_strategy(ss, layer_specs[k], path, tracks[int(ss[S.SS_GROUP])], layer_days[i, k],
                     layer_col[i, k], path_listed, path_settle, path_expiring, tab, growth,
                     equity[k, i], trading[k, i], hedge[k, i], pnl[k, i], counts[k, i],
                     log[k, row] if row >= 0 else empty_log,
                     log_n[k, row:row + 1] if row >= 0 else none_logged,
                     path_adhoc, flows, marks, mark_index, acct, qty, book)
        irr[k, i] = money_weighted_return(flows, 1.0 / TRADING_DAYS_PER_YEAR)
