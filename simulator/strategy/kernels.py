"""The day loop (numba): condor tracks, strategy books, hedge layers; arrays in, arrays out.

Per path, in this order:

1. the constant-maturity front and second VIX futures (30 and 60 calendar days) for the
   term-structure rule and the ``front_future`` regime;
2. per condor group, the *per-contract* condor track (:func:`condor_track`): strikes at entry,
   daily marks, take-profit / stop / exit-DTE / expiry / re-strike decisions; these depend on
   the path only, never on a strategy's equity, so strategies with the same condor rules share
   one track (and its pricing cost);
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

Why one long module and a long :func:`run_strategy`: a numba kernel's state lives in local
variables and scratch arrays that every step of the day reads and writes; the steps are
functions where they have a clear contract (strikes, sizing, layer quotes and purchases,
condor tracks), and the day's sequence stays in one place so that its order, which decides
every P&L figure, reads top to bottom. Splitting the day loop further belongs with the
speed work on the kernels.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit, prange

from simulator.common.conventions import TRADING_DAYS_PER_YEAR
from simulator.pricing.lookups import (
    condor_in_cell,
    condor_payoff,
    state_cell,
    vix_call_in_cell,
    vix_call_on_future,
    vix_future,
)
from simulator.strategy import specs as S
from simulator.strategy.indicators import macd_histogram, rsi
from simulator.strategy.strikes import condor_strikes, vix_call_strike

# condor close reasons
CLOSE_TAKE_PROFIT, CLOSE_STOP, CLOSE_EXIT_DTE, CLOSE_EXPIRY, CLOSE_ADJUST = 1, 2, 3, 4, 5
# hedge sale reasons
SELL_ROLL, SELL_PROFIT, SELL_VIX_LEVEL, SELL_TS_ROLL, SELL_EXPIRY = 1, 2, 3, 4, 5

# P&L buckets, fractions of starting equity; the first 10 (all but the premium, a memo) add
# up to equity[-1] - 1 exactly
(BK_CONDOR, BK_LAYER0, BK_LAYER1, BK_LAYER2, BK_SPX_COST, BK_VIX_COST0, BK_VIX_COST1,
 BK_VIX_COST2, BK_INTEREST, BK_INDEX, BK_PREMIUM) = range(11)
N_BK = 11

# trade counts
(CT_CONDOR_OPEN, CT_TAKE_PROFIT, CT_STOP, CT_EXIT_DTE, CT_CONDOR_EXPIRY, CT_ADJUST,
 CT_HEDGE_BUY, CT_HEDGE_ROLL, CT_HEDGE_EXPIRY, CT_MONETIZE, CT_TS_ROLL, CT_FILTER_BLOCKED,
 CT_REGIME_SKIP, CT_RUINED, CT_LISTED_MARKS, CT_MODEL_MARKS) = range(16)
N_CT = 16

# trade log: one row per event
EV_CONDOR_OPEN, EV_CONDOR_CLOSE, EV_HEDGE_BUY, EV_HEDGE_SELL = 1, 2, 3, 4
(EF_DAY, EF_KIND, EF_REASON, EF_SLOT, EF_K1, EF_K2, EF_K3, EF_K4, EF_CONTRACTS, EF_PRICE,
 EF_CASH, EF_COST, EF_SPX, EF_VIX, EF_EQUITY) = range(15)
N_EF = 15


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


@njit(cache=True)
def condor_track(gs, spx, v, m, front, second, tab, mark, open_credit, open_max_loss, close_code,
                 close_value, strikes, open_legs, close_legs, expiry_days):
    """Per-contract condor track of one group on one path (outputs (days + 1, slots); the
    four legs' prices at each open and close (days + 1, slots, 4), for the cost model).
    ``expiry_days`` (days + 1,): trading days to the listed SPX expiry a tranche opened that
    day takes (history runs), or empty: the group's DTE."""
    n_days = spx.size - 1
    n_slots = mark.shape[1]
    expiry = np.full(n_slots, -1, dtype=np.int64)
    credit = np.zeros(n_slots)
    held = np.zeros((n_slots, 4))
    active = np.zeros(n_slots, dtype=np.bool_)
    buf = np.empty(4)
    day_legs = np.empty((n_slots, 4))  # today's leg prices of each open tranche
    every = int(gs[S.GS_EVERY])
    first = int(gs[S.GS_FIRST])
    dte = int(gs[S.GS_DTE])
    tp = gs[S.GS_TAKE_PROFIT]
    stop = gs[S.GS_STOP]
    exit_days = gs[S.GS_EXIT]
    step = gs[S.GS_STEP]
    shift = gs[S.GS_SHIFT_SD]
    # unpacked once: reading arrays out of the tuple inside the day loop costs a refcount each
    spx_iv, qp, qp2, grid, nodes, m_nodes = (tab.spx_iv, tab.qp, tab.qp2, tab.grid,
                                             tab.vol_nodes, tab.m_nodes)
    for d in range(n_days + 1):
        spot = spx[d]
        var = v[d]
        mvar = m[d]
        cell = state_cell(var, mvar, nodes, m_nodes)  # one lookup serves every tranche today
        for s in range(n_slots):
            if not active[s]:
                continue
            left = expiry[s] - d
            if left <= 0:
                value = condor_payoff(spot, held[s, 0], held[s, 1], held[s, 2], held[s, 3])
            else:
                value = condor_in_cell(cell, spot, var, mvar, float(left), held[s, 0],
                                       held[s, 1], held[s, 2], held[s, 3], spx_iv, qp, qp2,
                                       grid, m_nodes, day_legs, s)
            code = 0
            if left <= 0:
                code = CLOSE_EXPIRY
            elif tp > 0.0 and value <= (1.0 - tp) * credit[s]:
                code = CLOSE_TAKE_PROFIT
            elif stop > 0.0 and value >= (1.0 + stop) * credit[s]:
                code = CLOSE_STOP
            elif exit_days > 0.0 and left <= exit_days:
                code = CLOSE_EXIT_DTE
            if code != 0:
                close_code[d, s] = code
                close_value[d, s] = value
                active[s] = False
                if code != CLOSE_EXPIRY:  # settlement is free; a closing trade pays spreads
                    close_legs[d, s] = day_legs[s]
            else:
                mark[d, s] = value
        if shift > 0.0 and ts_fired(front, second, d, gs[S.GS_TS_THRESHOLD],
                                    gs[S.GS_TS_LOOKBACK]):
            for s in range(n_slots):
                if not active[s]:
                    continue
                close_code[d, s] = CLOSE_ADJUST
                close_value[d, s] = mark[d, s]
                mark[d, s] = 0.0
                active[s] = False
                left = expiry[s] - d
                close_legs[d, s] = day_legs[s]  # closed at today's mark
                if left >= 2:  # re-strike further out at the same expiry
                    _open_tranche(gs, s, d, left, shift, spot, var, mvar, step, tab, buf, mark,
                                  open_credit, open_max_loss, strikes, held, credit, active,
                                  expiry, open_legs)
        if gs[S.GS_ACTIVE] > 0.0 and d < n_days and d >= first and (d - first) % every == 0:
            days_open = dte if expiry_days.size == 0 else int(expiry_days[d])
            for s in range(n_slots):
                if not active[s]:
                    _open_tranche(gs, s, d, days_open, 0.0, spot, var, mvar, step, tab, buf, mark,
                                  open_credit, open_max_loss, strikes, held, credit, active,
                                  expiry, open_legs)
                    break


@njit(cache=True)
def _open_tranche(gs, s, d, days, shift, spot, var, mvar, step, tab, buf, mark, open_credit,
                  open_max_loss, strikes, held, credit, active, expiry, open_legs):
    condor_strikes(int(gs[S.GS_SHORT_MODE]), gs[S.GS_SHORT_TARGET], int(gs[S.GS_WING_MODE]),
                   gs[S.GS_WING_VALUE], shift, spot, var, mvar, float(days), step, tab, buf)
    cell = state_cell(var, mvar, tab.vol_nodes, tab.m_nodes)
    value = condor_in_cell(cell, spot, var, mvar, float(days), buf[0], buf[1], buf[2], buf[3],
                           tab.spx_iv, tab.qp, tab.qp2, tab.grid, tab.m_nodes, open_legs[d], s)
    max_loss = max(buf[1] - buf[0], buf[3] - buf[2]) - value
    if not (value > 0.0 and max_loss > 0.0):
        return
    open_credit[d, s] = value
    open_max_loss[d, s] = max_loss
    for k in range(4):
        strikes[d, s, k] = buf[k]
        held[s, k] = buf[k]
    mark[d, s] = value
    credit[s] = value
    active[s] = True
    expiry[s] = d + days


@njit(cache=True)
def _log(log, log_n, kind, reason, slot, d, k1, k2, k3, k4, contracts, price, cash, cost, spot,
         vix, equity=np.nan):
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
def half_spread(price, vix, floor, fraction, cap, widen_base, widen_exponent):
    """Half bid-ask spread of one option at mid ``price`` (option points) with VIX at ``vix``:
    max(floor, fraction x price), widened by (VIX / base) ** exponent above the base, at most
    ``cap`` x price (``cap`` = inf: no cap). See CostsConfig."""
    half = max(floor, fraction * price)
    if widen_exponent > 0.0 and vix > widen_base:
        half *= (vix / widen_base) ** widen_exponent
    if not math.isinf(cap):
        half = min(half, cap * price)
    return half


@njit(cache=True)
def condor_cost(ss, legs, vix):
    """Cost of opening or closing one condor (per unit of qty, index points): the four legs'
    half-spreads, or one package slippage for a combo fill, plus four all-in fees."""
    total = 0.0
    for k in range(4):
        total += half_spread(legs[k], vix, ss[S.SS_SPX_HALF_SPREAD], ss[S.SS_SPX_FRACTION],
                             ss[S.SS_SPX_CAP], ss[S.SS_WIDEN_BASE], ss[S.SS_WIDEN_EXP])
    if ss[S.SS_COMBO] > 0.0:
        total = max(ss[S.SS_COMBO_MIN], ss[S.SS_COMBO_SHARE] * total)
    return total + 4.0 * ss[S.SS_SPX_COMMISSION] / 100.0


@njit(cache=True)
def vix_option_cost(ss, price, vix):
    """Cost of buying or selling one VIX call (per unit of qty, VIX option points)."""
    return half_spread(price, vix, ss[S.SS_VIX_HALF_SPREAD], ss[S.SS_VIX_FRACTION],
                       ss[S.SS_VIX_CAP], ss[S.SS_WIDEN_BASE], ss[S.SS_WIDEN_EXP]) \
        + ss[S.SS_VIX_COMMISSION] / 100.0


@njit(cache=True)
def _layer_quote(ls, k, tenor, var, mvar, vix_d, tab, listed=np.nan):
    """(strike, mid price) of layer ``k`` bought today at ``tenor`` trading days: off the
    model's future of that expiry, or off ``listed`` (the listed contract's settlement) with
    the model's smile around it."""
    strike = vix_call_strike(int(ls[k, S.LS_STRIKE_RULE]), ls[k, S.LS_STRIKE_VALUE],
                             ls[k, S.LS_STRIKE_STEP], var, mvar, float(tenor), vix_d, tab,
                             listed)
    cell = state_cell(var, mvar, tab.vol_nodes, tab.m_nodes)
    if math.isnan(listed):
        price = vix_call_in_cell(cell, var, mvar, float(tenor), strike, tab.vix_future,
                                 tab.vix_iv, tab.qp, tab.qp2, tab.grid, tab.m_nodes)
    else:
        price = vix_call_on_future(cell, var, mvar, float(tenor), strike, listed, tab.vix_iv,
                                   tab.qp, tab.qp2, tab.grid, tab.m_nodes)
    return strike, price


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
            _, price = _layer_quote(ls, k, int(ls[k, S.LS_TENOR]), var, mvar, vix_d, tab)
            per_unit += ls[k, S.LS_PER_CONDOR] * factor * (price
                                                           + vix_option_cost(ss, price, vix_d))
    return max(risk, 0.0) / per_unit


@njit(cache=True)
def _positions(cash, qty, mark_d, lqty, lprice):
    """Account equity: cash, less the condors' marks (short), plus the layers' marks."""
    eq = cash
    for s in range(qty.size):
        eq -= qty[s] * mark_d[s]
    for k in range(3):
        eq += lqty[k] * lprice[k]
    return eq


@njit(cache=True)
def run_strategy(ss, ls, spx, v, m, vix, front, second, macd, rsi_values, mark, open_credit,
                 open_max_loss, close_code, close_value, strikes, open_legs, close_legs, tab,
                 growth, equity, trading, hedge, pnl, counts, log, log_n, layer_days,
                 layer_col, listed):
    """One strategy on one path: fills ``equity``, ``trading`` and ``hedge`` (days + 1),
    ``pnl`` (N_BK) and ``counts`` (N_CT).

    History runs (``layer_days`` not empty): a layer bought on day d takes the listed VIX
    expiry ``layer_days[k, d]`` trading days away (k = 3: the term-structure roll-out),
    whose settlements are row ``layer_col[k, d]`` of ``listed`` (NaN where none): the layer
    is bought and marked off that settlement, with the model's smile around it, and off the
    model's future where there is none (counted in CT_LISTED_MARKS / CT_MODEL_MARKS)."""
    n_days = spx.size - 1
    n_slots = mark.shape[1]
    capital = ss[S.SS_CAPITAL]
    per_contract = 100.0 / capital  # qty (equity per index point) of one contract
    hedge_mode = int(ss[S.SS_HEDGE_MODE])
    mon_on = ss[S.SS_MON_ON] > 0.0
    rearm_vix = ss[S.SS_REARM_VIX]
    rearm_days = int(ss[S.SS_REARM_DAYS])
    rearm_roll = ss[S.SS_REARM_ROLL] > 0.0

    qty = np.zeros(n_slots)
    unit_qty = 0.0  # contracts (as qty) of the latest condor tranche: the 4/4/2 unit
    lqty = np.zeros(3)
    lstrike = np.zeros(3)
    lexpiry = np.zeros(3, dtype=np.int64)
    lcost = np.zeros(3)  # what the next profit-multiple sale is measured against
    lentry = np.zeros(3)  # what a call of the layer cost when bought, costs included
    lprice = np.zeros(3)
    armed = np.ones(3, dtype=np.bool_)
    sold_on = np.zeros(3, dtype=np.int64)
    next_buy = np.zeros(3, dtype=np.int64)
    lcol = np.full(3, -1, dtype=np.int64)  # the held layer's row of ``listed`` (-1: none)
    calendar = layer_days.shape[1] > 0
    cash = 1.0
    # a long S&P 500 core (VXTH's portfolio): bought at the day-0 close, dividends into cash
    index_units = ss[S.SS_INDEX_WEIGHT] / spx[0]
    index_paid = index_units * spx[0]
    cash -= index_paid
    dividend_factor = math.exp(ss[S.SS_INDEX_YIELD] / TRADING_DAYS_PER_YEAR) - 1.0 \
        if index_units > 0.0 else 0.0
    interest_total = 0.0
    hedge_cash = 0.0  # the layers' cash flows and costs so far
    ruined = False
    future_table, vix_iv, qp, qp2, grid, nodes, m_nodes = (
        tab.vix_future, tab.vix_iv, tab.qp, tab.qp2, tab.grid, tab.vol_nodes, tab.m_nodes)
    equity[0] = 1.0
    trading[0] = 1.0
    hedge[0] = 0.0
    for d in range(n_days + 1):
        if ruined:  # the account is gone: nothing trades, nothing accrues
            equity[d], trading[d], hedge[d] = equity[d - 1], trading[d - 1], hedge[d - 1]
            continue
        spot = spx[d]
        var = v[d]
        mvar = m[d]
        vix_d = vix[d]
        if d > 0:
            interest = cash * (growth - 1.0)
            cash += interest
            interest_total += interest
            pnl[BK_INTEREST] += interest
            if index_units > 0.0:
                dividend = index_units * spx[d - 1] * dividend_factor
                cash += dividend
                pnl[BK_INDEX] += dividend
        # -- condor closes (decided on the shared track) --------------------------------
        for s in range(n_slots):
            code = close_code[d, s]
            if code != 0 and qty[s] > 0.0:
                flow = -qty[s] * close_value[d, s]
                cost = 0.0 if code == CLOSE_EXPIRY else qty[s] * condor_cost(
                    ss, close_legs[d, s], vix_d)
                cash += flow - cost
                pnl[BK_CONDOR] += flow
                pnl[BK_SPX_COST] -= cost
                counts[CT_TAKE_PROFIT + int(code) - 1] += 1
                if log.shape[0] > 0:
                    _log(log, log_n, EV_CONDOR_CLOSE, code, s, d, np.nan, np.nan, np.nan,
                         np.nan, qty[s] / per_contract, close_value[d, s], flow, cost, spot,
                         vix_d)
                qty[s] = 0.0
        # -- hedge: expiries, marks, sales, re-arming -----------------------------------
        cell = state_cell(var, mvar, nodes, m_nodes)
        ts_today = (hedge_mode != S.HEDGE_NONE and ss[S.SS_TS_ON] > 0.0
                    and ts_fired(front, second, d, ss[S.SS_TS_THRESHOLD], ss[S.SS_TS_LOOKBACK]))
        for k in range(3):
            if ls[k, S.LS_ACTIVE] == 0.0:
                continue
            if lqty[k] > 0.0:
                left = lexpiry[k] - d
                reason = 0
                if left <= 0:
                    price = max(vix_d - lstrike[k], 0.0)  # settles on VIX
                    reason = SELL_EXPIRY
                else:
                    settle = listed[lcol[k], d] if lcol[k] >= 0 else np.nan
                    if math.isnan(settle):
                        price = vix_call_in_cell(cell, var, mvar, float(left), lstrike[k],
                                                 future_table, vix_iv, qp, qp2, grid, m_nodes)
                        if calendar:
                            counts[CT_MODEL_MARKS] += 1
                    else:
                        price = vix_call_on_future(cell, var, mvar, float(left), lstrike[k],
                                                   settle, vix_iv, qp, qp2, grid, m_nodes)
                        counts[CT_LISTED_MARKS] += 1
                    if mon_on:
                        multiple = ss[S.SS_MON_MULTIPLE]
                        if multiple > 0.0 and price >= multiple * lcost[k]:
                            reason = SELL_PROFIT
                        elif ss[S.SS_MON_VIX] > 0.0 and vix_d >= ss[S.SS_MON_VIX] and armed[k]:
                            reason = SELL_VIX_LEVEL
                    if reason == 0 and ls[k, S.LS_ROLL] > 0.0 and left <= ls[k, S.LS_ROLL]:
                        reason = SELL_ROLL
                    if reason == 0 and k == 0 and ts_today:
                        reason = SELL_TS_ROLL
                lprice[k] = price
                if reason != 0:
                    monetised = reason == SELL_PROFIT or reason == SELL_VIX_LEVEL
                    sold = lqty[k]
                    if monetised and ss[S.SS_MON_FRACTION] < 1.0:
                        sold = lqty[k] * ss[S.SS_MON_FRACTION]
                    flow = sold * price
                    cost = 0.0 if reason == SELL_EXPIRY else sold * vix_option_cost(ss, price,
                                                                                    vix_d)
                    cash += flow - cost
                    hedge_cash += flow - cost
                    pnl[BK_LAYER0 + k] += flow
                    pnl[BK_VIX_COST0 + k] -= cost
                    if log.shape[0] > 0:
                        _log(log, log_n, EV_HEDGE_SELL, reason, k, d, lstrike[k], np.nan,
                             np.nan, np.nan, sold / per_contract, price, flow, cost, spot,
                             vix_d)
                    if (reason == SELL_EXPIRY or reason == SELL_ROLL) and rearm_roll:
                        armed[k] = True
                    if reason == SELL_EXPIRY:
                        counts[CT_HEDGE_EXPIRY] += 1
                    elif reason == SELL_ROLL:
                        counts[CT_HEDGE_ROLL] += 1
                    elif reason == SELL_TS_ROLL:
                        counts[CT_TS_ROLL] += 1
                    else:
                        counts[CT_MONETIZE] += 1
                        lcost[k] = price  # a remainder is sold again at multiple x this price
                        if rearm_vix > 0.0 or rearm_days > 0 or rearm_roll:
                            armed[k] = False
                            sold_on[k] = d
                    lqty[k] -= sold
                    if lqty[k] <= 1e-15:
                        lqty[k] = 0.0
                        lprice[k] = 0.0
                        next_buy[k] = d
                    if reason == SELL_TS_ROLL and d < n_days:
                        # roll further out with the proceeds, at most what the calls cost: a
                        # layer that has gained banks the gain instead of buying calls at
                        # panic prices with all of it
                        spend = min(flow - cost, sold * lentry[k])
                        roll_days, col, settle = int(ss[S.SS_TS_ROLL_DAYS]), -1, np.nan
                        if calendar:
                            roll_days, col = int(layer_days[3, d]), int(layer_col[3, d])
                            settle = listed[col, d] if col >= 0 else np.nan
                        used = _buy_layer(ss, ls, k, d, roll_days, -spend,
                                          var, mvar, vix_d, spot, tab, per_contract, capital,
                                          pnl, lqty, lstrike, lexpiry, lcost, lprice, lentry,
                                          counts, log, log_n, settle)
                        if lqty[k] > 0.0:
                            lcol[k] = col
                        cash -= used
                        hedge_cash -= used
            if not armed[k] and ((rearm_vix > 0.0 and vix_d < rearm_vix)
                                 or (rearm_days > 0 and d - sold_on[k] >= rearm_days)):
                armed[k] = True
                next_buy[k] = d
        # -- condor entries, sized on the day's equity ----------------------------------
        opening = False
        for s in range(n_slots):
            if not math.isnan(open_credit[d, s]):
                opening = True
        if opening:
            eq = _positions(cash + index_units * spot, qty, mark[d], lqty, lprice)
            factor = 1.0
            if ss[S.SS_REGIME_ON] > 0.0:
                factor = regime_factor(ss, vix_d if ss[S.SS_REGIME_ON] == S.REGIME_VIX
                                       else front[d])
            for s in range(n_slots):
                c = open_credit[d, s]
                if math.isnan(c):
                    continue
                q = _whole(tranche_qty(ss, ls, eq, open_max_loss[d, s], open_legs[d, s], var,
                                       mvar, vix_d, tab, factor), capital,
                           ss[S.SS_WHOLE_CONDOR])
                if q <= 0.0:
                    continue
                flow = q * c
                cost = q * condor_cost(ss, open_legs[d, s], vix_d)
                cash += flow - cost
                pnl[BK_CONDOR] += flow
                pnl[BK_SPX_COST] -= cost
                qty[s] = q
                unit_qty = q
                counts[CT_CONDOR_OPEN] += 1
                if log.shape[0] > 0:
                    _log(log, log_n, EV_CONDOR_OPEN, 0, s, d, strikes[d, s, 0], strikes[d, s, 1],
                         strikes[d, s, 2], strikes[d, s, 3], q / per_contract, c, flow, cost,
                         spot, vix_d, eq)
        # -- hedge purchases ------------------------------------------------------------
        if hedge_mode != S.HEDGE_NONE and d < n_days:
            for k in range(3):
                if (ls[k, S.LS_ACTIVE] == 0.0 or lqty[k] > 0.0 or not armed[k]
                        or d < next_buy[k]):
                    continue
                if hedge_mode == S.HEDGE_BUDGET and ss[S.SS_BUDGET] * ls[k, S.LS_WEIGHT] <= 0.0:
                    continue
                if hedge_mode == S.HEDGE_PER_CONDOR and unit_qty <= 0.0:
                    continue
                blocked = False
                if ss[S.SS_MACD_ON] > 0.0 and not math.isnan(macd[d]):
                    blocked = ss[S.SS_MACD_SIGN] * macd[d] <= 0.0
                if ss[S.SS_RSI_ON] > 0.0 and not math.isnan(rsi_values[d]):
                    blocked = blocked or rsi_values[d] > ss[S.SS_RSI_BELOW]
                if blocked:
                    counts[CT_FILTER_BLOCKED] += 1
                    continue
                tenor = int(ls[k, S.LS_TENOR])
                col, settle = -1, np.nan
                if calendar:  # the listed expiry nearest the layer's DTE
                    tenor, col = int(layer_days[k, d]), int(layer_col[k, d])
                    settle = listed[col, d] if col >= 0 else np.nan
                holding = max(tenor - int(ls[k, S.LS_ROLL]), 1)
                factor = 1.0
                if ss[S.SS_REGIME_ON] > 0.0:
                    level = vix_d if ss[S.SS_REGIME_ON] == S.REGIME_VIX else front[d]
                    factor = regime_factor(ss, level)
                if factor <= 0.0:
                    counts[CT_REGIME_SKIP] += 1
                    next_buy[k] = d + holding  # sit this cycle out (VXTH: weight 0 this month)
                    continue
                if hedge_mode == S.HEDGE_BUDGET:
                    eq = _positions(cash + index_units * spot, qty, mark[d], lqty, lprice)
                    spend = (ss[S.SS_BUDGET] * ls[k, S.LS_WEIGHT] * factor * holding
                             / TRADING_DAYS_PER_YEAR * eq)
                    size = -spend  # negative: cash to spend, converted in _buy_layer
                else:
                    size = ls[k, S.LS_PER_CONDOR] * factor * unit_qty
                used = _buy_layer(ss, ls, k, d, tenor, size, var, mvar, vix_d, spot, tab,
                                  per_contract, capital, pnl, lqty, lstrike, lexpiry, lcost,
                                  lprice, lentry, counts, log, log_n, settle)
                cash -= used
                hedge_cash -= used
                if lqty[k] <= 0.0:
                    next_buy[k] = d + holding
                else:
                    lcol[k] = col
        # -- the three curves at the close ----------------------------------------------
        if d > 0:
            held = 0.0
            for k in range(3):
                held += lqty[k] * lprice[k]
            eq = cash + held + index_units * spot
            for s in range(n_slots):
                eq -= qty[s] * mark[d, s]
            if eq <= 0.0:
                # ruin: every position is closed at the close's marks (no costs: the account
                # cannot pay them) and the path stops trading; counted in CT_RUINED
                for s in range(n_slots):
                    if qty[s] > 0.0:
                        flow = -qty[s] * mark[d, s]
                        cash += flow
                        pnl[BK_CONDOR] += flow
                        qty[s] = 0.0
                for k in range(3):
                    if lqty[k] > 0.0:
                        flow = lqty[k] * lprice[k]
                        cash += flow
                        hedge_cash += flow
                        pnl[BK_LAYER0 + k] += flow
                        lqty[k] = 0.0
                if index_units > 0.0:
                    cash += index_units * spot
                    pnl[BK_INDEX] += index_units * spot - index_paid
                    index_units = 0.0
                held = 0.0
                eq = cash
                ruined = True
                counts[CT_RUINED] += 1
            equity[d] = eq
            trading[d] = eq - interest_total
            hedge[d] = hedge_cash + held
    # open positions at the horizon are marked, and their marks belong to their buckets
    for s in range(n_slots):
        pnl[BK_CONDOR] -= qty[s] * mark[n_days, s]
    for k in range(3):
        pnl[BK_LAYER0 + k] += lqty[k] * lprice[k]
    if index_units > 0.0:
        pnl[BK_INDEX] += index_units * spx[n_days] - index_paid


@njit(cache=True)
def _buy_layer(ss, ls, k, d, tenor, size, var, mvar, vix_d, spot, tab, per_contract, capital,
               pnl, lqty, lstrike, lexpiry, lcost, lprice, lentry, counts, log, log_n, listed):
    """Buy layer ``k`` (tenor trading days; ``listed``: its contract's settlement, or NaN for
    the model's future). ``size`` > 0: quantity (equity per VIX point); < 0: cash to spend
    on premium + costs. Returns the cash used (0 if nothing bought)."""
    strike, price = _layer_quote(ls, k, tenor, var, mvar, vix_d, tab, listed)
    if not price > 1e-8:
        return 0.0
    unit_cost = vix_option_cost(ss, price, vix_d)
    q = size if size > 0.0 else -size / (price + unit_cost)
    q = _whole(q, capital, ss[S.SS_WHOLE_HEDGE])
    if q <= 0.0:
        return 0.0
    flow = -q * price
    cost = q * unit_cost
    pnl[BK_LAYER0 + k] += flow
    pnl[BK_VIX_COST0 + k] -= cost
    pnl[BK_PREMIUM] += q * price
    lqty[k] = q
    lstrike[k] = strike
    lexpiry[k] = d + tenor
    lcost[k] = price
    lentry[k] = price + unit_cost
    lprice[k] = price
    counts[CT_HEDGE_BUY] += 1
    if log.shape[0] > 0:
        _log(log, log_n, EV_HEDGE_BUY, 0, k, d, strike, np.nan, np.nan, np.nan, q / per_contract,
             price, flow, cost, spot, vix_d)
    return q * price + cost


@njit(cache=True, parallel=True)
def evaluate_chunk(spx, v, m, vix, group_specs, strat_specs, layer_specs, n_slots, tab, growth,
                   front_days, second_days, log_rows, equity, trading, hedge, pnl, counts, log,
                   log_n, condor_days, layer_days, layer_col, listed):
    """All strategies on all paths of a chunk (parallel over paths).

    Outputs: ``equity``, ``trading``, ``hedge`` (strategies, paths, days + 1), ``pnl``
    (strategies, paths, N_BK),
    ``counts`` (strategies, paths, N_CT), ``log`` (strategies, logged paths, events, N_EF) and
    ``log_n`` (strategies, logged paths) for the rows with ``log_rows[path] >= 0``.

    The exchange calendar of history runs (:mod:`simulator.strategy.calendar`), each with a
    last axis of length 0 for simulated paths: ``condor_days`` (paths, groups, days + 1),
    ``layer_days`` and ``layer_col`` (paths, strategies, 4, days + 1), ``listed`` (paths,
    contracts, days + 1).
    """
    n_paths = spx.shape[0]
    n_days = spx.shape[1] - 1
    n_groups = group_specs.shape[0]
    n_strat = strat_specs.shape[0]
    empty_log = np.zeros((0, N_EF))
    future_table, qp, qp2, grid, nodes, m_nodes = (tab.vix_future, tab.qp, tab.qp2, tab.grid,
                                                   tab.vol_nodes, tab.m_nodes)
    for i in prange(n_paths):
        front = np.empty(n_days + 1)
        second = np.empty(n_days + 1)
        for d in range(n_days + 1):
            front[d] = vix_future(v[i, d], m[i, d], front_days, future_table, qp, qp2, grid,
                                  nodes, m_nodes)
            second[d] = vix_future(v[i, d], m[i, d], second_days, future_table, qp, qp2, grid,
                                   nodes, m_nodes)
        mark = np.zeros((n_groups, n_days + 1, n_slots))
        open_credit = np.full((n_groups, n_days + 1, n_slots), np.nan)
        close_code = np.zeros((n_groups, n_days + 1, n_slots))
        # read only where open_credit / close_code say a trade was written: not cleared
        open_max_loss = np.empty((n_groups, n_days + 1, n_slots))
        close_value = np.empty((n_groups, n_days + 1, n_slots))
        strikes = np.empty((n_groups, n_days + 1, n_slots, 4))
        open_legs = np.empty((n_groups, n_days + 1, n_slots, 4))
        close_legs = np.empty((n_groups, n_days + 1, n_slots, 4))
        for g in range(n_groups):
            if group_specs[g, S.GS_ACTIVE] > 0.0:
                condor_track(group_specs[g], spx[i], v[i], m[i], front, second, tab, mark[g],
                             open_credit[g], open_max_loss[g], close_code[g], close_value[g],
                             strikes[g], open_legs[g], close_legs[g], condor_days[i, g])
        macd = np.full(n_days + 1, np.nan)
        rsi_values = np.full(n_days + 1, np.nan)
        row = log_rows[i]
        for k in range(n_strat):
            ss = strat_specs[k]
            if ss[S.SS_MACD_ON] > 0.0:
                macd_histogram(vix[i], int(ss[S.SS_MACD_FAST]), int(ss[S.SS_MACD_SLOW]),
                               int(ss[S.SS_MACD_SIGNAL]), macd)
            if ss[S.SS_RSI_ON] > 0.0:
                rsi(vix[i], int(ss[S.SS_RSI_PERIOD]), rsi_values)
            g = int(ss[S.SS_GROUP])
            path_log = log[k, row] if row >= 0 else empty_log
            path_log_n = log_n[k, row:row + 1] if row >= 0 else np.zeros(1, dtype=np.int64)
            run_strategy(ss, layer_specs[k], spx[i], v[i], m[i], vix[i], front, second, macd,
                         rsi_values, mark[g], open_credit[g], open_max_loss[g], close_code[g],
                         close_value[g], strikes[g], open_legs[g], close_legs[g], tab, growth,
                         equity[k, i], trading[k, i], hedge[k, i], pnl[k, i], counts[k, i],
                         path_log, path_log_n, layer_days[i, k], layer_col[i, k], listed[i])
