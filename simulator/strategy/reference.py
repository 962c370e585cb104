"""A plain-Python twin of the day loop: one strategy on one simulated path.

The numba kernels (:mod:`simulator.strategy.kernels`) are written for speed: shared condor
tracks, scratch arrays, one pass per path for every strategy. This module does the same job
the slow, obvious way (a dict per open position, one strategy, no sharing), so that a test can
hold the kernel to it (tests/test_reference.py; the idea is ``arch``'s Python twin of each
jitted recursion). It prices with the same primitives (the table lookups and strike searches
of :mod:`simulator.pricing.lookups` and :mod:`simulator.strategy.strikes`, each tested against
its own references) and re-implements everything the day loop decides: entries, marks,
closes, sizing, costs, the hedge layers and their rules, interest, ruin and the P&L buckets.

Simulated paths only (the exchange calendar of history runs is not covered), and slow (some
tens of milliseconds per path-year, about a hundred times the kernel): for tests and for
reading.

>>> out = reference_strategy(engine, "alvh", spx[0], v[0], m[0], vix[0])   # doctest: +SKIP
>>> out.equity, out.pnl, out.counts                                        # doctest: +SKIP
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from simulator.common.conventions import TRADING_DAYS_PER_YEAR
from simulator.pricing.lookups import (
    condor_in_cell,
    condor_payoff,
    state_cell,
    vix_call_in_cell,
    vix_future,
)
from simulator.strategy import kernels as K
from simulator.strategy import specs as S
from simulator.strategy.config import trading_days
from simulator.strategy.indicators import macd_histogram, rsi
from simulator.strategy.strikes import condor_strikes, vix_call_strike


@dataclass
class ReferenceResult:
    """The kernel's outputs for one strategy on one path."""

    equity: np.ndarray   # (days + 1,) account
    trading: np.ndarray  # (days + 1,) account less interest
    hedge: np.ndarray    # (days + 1,) the layers' cumulative P&L
    pnl: np.ndarray      # (N_BK,)
    counts: np.ndarray   # (N_CT,)


def _condor_price(tab, spot, var, mvar, days, k):
    """Today's mid of one long condor (index points) and its four legs."""
    legs = np.empty((1, 4))
    cell = state_cell(var, mvar, tab.vol_nodes, tab.m_nodes)
    value = condor_in_cell(cell, spot, var, mvar, float(days), k[0], k[1], k[2], k[3],
                           tab.spx_iv, tab.qp, tab.qp2, tab.grid, tab.maturity, tab.m_nodes,
                           legs, 0)
    return value, legs[0].copy()


def _vix_call(tab, var, mvar, days, strike):
    cell = state_cell(var, mvar, tab.vol_nodes, tab.m_nodes)
    return vix_call_in_cell(cell, var, mvar, float(days), strike, tab.vix_future, tab.vix_iv,
                            tab.qp, tab.qp2, tab.grid, tab.maturity, tab.m_nodes)


def _half_spread(price, vix, floor, fraction, cap, base, exponent, max_points):
    half = max(floor, fraction * price)
    if exponent > 0 and vix > base:
        half *= (vix / base) ** exponent
    half = half if math.isinf(cap) else min(half, cap * price)
    return min(half, max_points)


def _condor_cost(ss, legs, vix):
    total = sum(_half_spread(p, vix, ss[S.SS_SPX_HALF_SPREAD], ss[S.SS_SPX_FRACTION],
                             ss[S.SS_SPX_CAP], ss[S.SS_WIDEN_BASE], ss[S.SS_WIDEN_EXP],
                             ss[S.SS_SPX_MAX])
                for p in legs)
    if ss[S.SS_COMBO] > 0:
        total = max(ss[S.SS_COMBO_MIN], ss[S.SS_COMBO_SHARE] * total)
    return total + 4 * ss[S.SS_SPX_COMMISSION] / 100


def _vix_cost(ss, price, vix):
    return _half_spread(price, vix, ss[S.SS_VIX_HALF_SPREAD], ss[S.SS_VIX_FRACTION],
                        ss[S.SS_VIX_CAP], ss[S.SS_WIDEN_BASE], ss[S.SS_WIDEN_EXP],
                        ss[S.SS_VIX_MAX]) \
        + ss[S.SS_VIX_COMMISSION] / 100


def _whole(qty, capital, whole):
    return math.floor(qty * capital / 100 + 1e-9) * 100 / capital if whole > 0 else qty


def _ts_fired(front, second, d, threshold, lookback):
    lb = int(lookback)
    if d < lb + 1:
        return False
    spread = [f - s for f, s in zip(front, second, strict=True)]
    now, before = spread[d], spread[d - 1]
    if lb > 0:
        now -= spread[d - lb]
        before -= spread[d - 1 - lb]
    return now > threshold and before <= threshold


def _regime_factor(ss, level):
    edges = ss[S.SS_EDGES:S.SS_EDGES + int(ss[S.SS_N_EDGES])]
    return ss[S.SS_FACTORS + sum(level >= e for e in edges)]


def condor_track(gs, spx, v, m, front, second, tab):
    """The per-contract condor track of one group: a list of day events
    ``(day, "open"|"close", tranche)`` where a tranche is a dict (strikes, credit, max loss,
    expiry day, legs, close value and reason) and ``marks[d]``: {tranche id: mark}."""
    n_days = len(spx) - 1
    every, first, dte = int(gs[S.GS_EVERY]), int(gs[S.GS_FIRST]), int(gs[S.GS_DTE])
    shift, step = gs[S.GS_SHIFT_SD], gs[S.GS_STEP]
    open_tranches: list[dict] = []
    events: list[tuple[int, str, dict]] = []
    marks: list[dict[int, float]] = [{} for _ in range(n_days + 1)]
    n_slots = int(np.ceil(dte / every)) + 1 if gs[S.GS_ACTIVE] else 1

    def open_tranche(d, days, shift_sd, slot):
        k = np.empty(4)
        condor_strikes(int(gs[S.GS_SHORT_MODE]), gs[S.GS_SHORT_TARGET], int(gs[S.GS_WING_MODE]),
                       gs[S.GS_WING_VALUE], shift_sd, spx[d], v[d], m[d], float(days), step,
                       tab, k)
        credit, legs = _condor_price(tab, spx[d], v[d], m[d], days, k)
        max_loss = max(k[1] - k[0], k[3] - k[2]) - credit
        if not (credit > 0 and max_loss > 0):
            return
        t = {"id": len(events), "slot": slot, "strikes": k, "credit": credit,
             "max_loss": max_loss, "expiry": d + days, "open_legs": legs}
        open_tranches.append(t)
        events.append((d, "open", t))
        marks[d][t["id"]] = credit

    for d in range(n_days + 1):
        spot = spx[d]
        for t in list(open_tranches):
            left = t["expiry"] - d
            if left <= 0:
                value, legs = condor_payoff(spot, *t["strikes"]), None
            else:
                value, legs = _condor_price(tab, spot, v[d], m[d], left, t["strikes"])
            t["today_legs"] = legs
            reason = 0
            if left <= 0:
                reason = K.CLOSE_EXPIRY
            elif gs[S.GS_TAKE_PROFIT] > 0 and value <= (1 - gs[S.GS_TAKE_PROFIT]) * t["credit"]:
                reason = K.CLOSE_TAKE_PROFIT
            elif gs[S.GS_STOP] > 0 and value >= (1 + gs[S.GS_STOP]) * t["credit"]:
                reason = K.CLOSE_STOP
            elif gs[S.GS_EXIT] > 0 and left <= gs[S.GS_EXIT]:
                reason = K.CLOSE_EXIT_DTE
            if reason:
                open_tranches.remove(t)
                events.append((d, "close", dict(t, value=value, reason=reason,
                                                close_legs=None if reason == K.CLOSE_EXPIRY
                                                else legs)))
            else:
                marks[d][t["id"]] = value
        if shift > 0 and _ts_fired(front, second, d, gs[S.GS_TS_THRESHOLD],
                                   gs[S.GS_TS_LOOKBACK]):
            for t in sorted(open_tranches, key=lambda t: t["slot"]):
                open_tranches.remove(t)
                value = marks[d].pop(t["id"])
                events.append((d, "close", dict(t, value=value, reason=K.CLOSE_ADJUST,
                                                close_legs=t["today_legs"])))
                if t["expiry"] - d >= 2:
                    open_tranche(d, t["expiry"] - d, shift, t["slot"])
        if gs[S.GS_ACTIVE] and first <= d < n_days and (d - first) % every == 0:
            used = {t["slot"] for t in open_tranches}
            free = [s for s in range(n_slots) if s not in used]
            if free:
                open_tranche(d, dte, 0.0, free[0])
    return events, marks


def reference_strategy(engine, name: str, spx, v, m, vix, trades: list | None = None,
                       exposures: dict | None = None) -> ReferenceResult:
    """Strategy ``name`` of ``engine`` (a :class:`~simulator.strategy.engine.StrategyEngine`)
    on one simulated path (arrays (days + 1,)): what ``engine.evaluate`` computes for it.

    ``trades``: a list to which every trade is appended as a dict (``day``, ``kind``:
    condor_open / condor_close / hedge_buy / hedge_sell, ``slot`` (tranche slot or layer),
    ``reason``, ``contracts``, ``price``, ``cash`` (premium, + received), ``cost``), the
    forced closes of a ruined path (kind ``ruin_close``, no costs) and, last, the marks of the
    positions open at the horizon (kind ``mark``, ``cash`` their value): their cash adds up to
    the P&L buckets (tests/test_blotter.py).

    ``exposures``: a dict filled with the book's sensitivities at each day's close
    (:func:`position_exposures`, arrays (days + 1,), fractions of starting equity): ``delta``
    (a 1 % S&P 500 rise), ``vega`` (a 1 vol-point rise of the whole variance curve, spot and
    central tendency) and ``vix_delta`` (a 1-point VIX rise through the spot variance)."""
    log = trades.append if trades is not None else (lambda row: None)
    k_strat = engine.names.index(name)
    ss, ls = engine.specs[k_strat], engine.layers[k_strat]
    gs = engine.groups[int(ss[S.SS_GROUP])]
    tab = engine._tab
    spx, v, m, vix = (np.asarray(a, dtype=float) for a in (spx, v, m, vix))
    n_days = len(spx) - 1
    front_days = float(trading_days(S.FRONT_FUTURE_DTE))
    second_days = float(trading_days(S.SECOND_FUTURE_DTE))
    future = [(vix_future(v[d], m[d], front_days, tab.vix_future, tab.qp, tab.qp2, tab.grid,
                          tab.vol_nodes, tab.m_nodes),
               vix_future(v[d], m[d], second_days, tab.vix_future, tab.qp, tab.qp2, tab.grid,
                          tab.vol_nodes, tab.m_nodes)) for d in range(n_days + 1)]
    front = [f for f, _ in future]
    second = [s for _, s in future]
    events, marks = ([], [{} for _ in range(n_days + 1)]) if not gs[S.GS_ACTIVE] else \
        condor_track(gs, spx, v, m, front, second, tab)
    macd = np.full(n_days + 1, np.nan)
    rsi_values = np.full(n_days + 1, np.nan)
    if ss[S.SS_MACD_ON]:
        macd_histogram(vix, int(ss[S.SS_MACD_FAST]), int(ss[S.SS_MACD_SLOW]),
                       int(ss[S.SS_MACD_SIGNAL]), macd)
    if ss[S.SS_RSI_ON]:
        rsi(vix, int(ss[S.SS_RSI_PERIOD]), rsi_values)

    capital = ss[S.SS_CAPITAL]
    mode = int(ss[S.SS_HEDGE_MODE])
    pnl = np.zeros(K.N_BK)
    counts = np.zeros(K.N_CT, dtype=np.int64)
    equity, trading, hedge = (np.empty(n_days + 1) for _ in range(3))
    condors: dict[int, float] = {}  # tranche id -> qty held
    layers = [None, None, None]  # a dict per held layer
    armed = [True] * 3
    sold_on = [0] * 3
    next_buy = [0] * 3
    unit_qty = 0.0
    index_units = ss[S.SS_INDEX_WEIGHT] / spx[0]
    index_paid = index_units * spx[0]
    cash = 1.0 - index_paid
    dividend_factor = math.exp(ss[S.SS_INDEX_YIELD] / TRADING_DAYS_PER_YEAR) - 1 \
        if index_units > 0 else 0.0
    interest_total = hedge_cash = 0.0
    equity[0], trading[0], hedge[0] = 1.0, 1.0, 0.0
    ruined = False

    def condor_marks(d):
        return sum(q * marks[d][t] for t, q in condors.items())

    def layer_marks():
        return sum(L["qty"] * L["price"] for L in layers if L is not None)

    def account(d):
        return cash + index_units * spx[d] - condor_marks(d) + layer_marks()

    def factor_today(d):
        if not ss[S.SS_REGIME_ON]:
            return 1.0
        level = vix[d] if ss[S.SS_REGIME_ON] == S.REGIME_VIX else front[d]
        return _regime_factor(ss, level)

    def quote(j, tenor, d):
        strike = vix_call_strike(int(ls[j, S.LS_STRIKE_RULE]), ls[j, S.LS_STRIKE_VALUE],
                                 ls[j, S.LS_STRIKE_STEP], v[d], m[d], float(tenor), vix[d], tab)
        return strike, _vix_call(tab, v[d], m[d], tenor, strike)

    def buy(j, d, tenor, size):
        """``size`` > 0: qty; < 0: cash to spend. Returns the cash used."""
        strike, price = quote(j, tenor, d)
        if not price > 1e-8:
            return 0.0
        unit_cost = _vix_cost(ss, price, vix[d])
        q = _whole(size if size > 0 else -size / (price + unit_cost), capital,
                   ss[S.SS_WHOLE_HEDGE])
        if q <= 0:
            return 0.0
        pnl[K.BK_LAYER0 + j] -= q * price
        pnl[K.BK_VIX_COST0 + j] -= q * unit_cost
        pnl[K.BK_PREMIUM] += q * price
        layers[j] = {"qty": q, "strike": strike, "expiry": d + tenor, "cost": price,
                     "entry": price + unit_cost, "price": price}
        counts[K.CT_HEDGE_BUY] += 1
        log({"day": d, "kind": "hedge_buy", "slot": j, "reason": 0, "strike": strike,
             "contracts": q * capital / 100, "price": price, "cash": -q * price,
             "cost": q * unit_cost})
        return q * price + q * unit_cost

    def tranche_qty(eq, t, d, factor):
        risk = ss[S.SS_RISK] * eq
        if ss[S.SS_SIZING] != S.SIZING_HEDGE_COSTS:
            return risk / t["max_loss"]
        per_unit = t["max_loss"] + 2 * _condor_cost(ss, t["open_legs"], vix[d])
        if mode == S.HEDGE_BUDGET:
            risk -= ss[S.SS_HEDGE_PER_TRANCHE] * eq
        elif mode == S.HEDGE_PER_CONDOR:
            for j in range(3):
                if ls[j, S.LS_ACTIVE] and ls[j, S.LS_PER_CONDOR] > 0:
                    _, price = quote(j, int(ls[j, S.LS_TENOR]), d)
                    per_unit += ls[j, S.LS_PER_CONDOR] * factor * (price + _vix_cost(ss, price,
                                                                                     vix[d]))
        return max(risk, 0.0) / per_unit

    by_day: dict[int, list] = {}
    tranches: dict[int, dict] = {}
    for d, kind, t in events:
        by_day.setdefault(d, []).append((kind, t))
        tranches.setdefault(t["id"], t)
    if exposures is not None:
        for key in EXPOSURES:
            exposures[key] = np.zeros(n_days + 1)

    def held_positions():
        return ([(q, tranches[t]["strikes"], tranches[t]["expiry"]) for t, q in condors.items()],
                [(L["qty"], L["strike"], L["expiry"]) for L in layers if L is not None])

    for d in range(n_days + 1):
        if ruined:
            equity[d], trading[d], hedge[d] = equity[d - 1], trading[d - 1], hedge[d - 1]
            continue
        spot = spx[d]
        if d > 0:
            interest = cash * (engine.growth - 1)
            cash += interest
            interest_total += interest
            pnl[K.BK_INTEREST] += interest
            if index_units > 0:
                dividend = index_units * spx[d - 1] * dividend_factor
                cash += dividend
                pnl[K.BK_INDEX] += dividend
        today = by_day.get(d, [])
        # condor closes: settlement is free, any other close pays the spreads
        for kind, t in today:
            if kind == "close" and condors.get(t["id"], 0.0) > 0:
                q = condors.pop(t["id"])
                cost = 0.0 if t["reason"] == K.CLOSE_EXPIRY else \
                    q * _condor_cost(ss, t["close_legs"], vix[d])
                cash += -q * t["value"] - cost
                pnl[K.BK_CONDOR] -= q * t["value"]
                pnl[K.BK_SPX_COST] -= cost
                counts[K.CT_TAKE_PROFIT + t["reason"] - 1] += 1
                log({"day": d, "kind": "condor_close", "slot": t["slot"], "reason": t["reason"],
                     "contracts": q * capital / 100, "price": t["value"],
                     "cash": -q * t["value"], "cost": cost})
            elif kind == "close":
                condors.pop(t["id"], None)
        # hedge layers: expiry, marks, sales, re-arming
        ts_today = (mode != S.HEDGE_NONE and ss[S.SS_TS_ON] > 0
                    and _ts_fired(front, second, d, ss[S.SS_TS_THRESHOLD],
                                  ss[S.SS_TS_LOOKBACK]))
        for j in range(3):
            if not ls[j, S.LS_ACTIVE]:
                continue
            L = layers[j]
            if L is not None:
                left = L["expiry"] - d
                reason = 0
                if left <= 0:
                    price, reason = max(vix[d] - L["strike"], 0.0), K.SELL_EXPIRY
                else:
                    price = _vix_call(tab, v[d], m[d], left, L["strike"])
                    if ss[S.SS_MON_ON]:
                        if ss[S.SS_MON_MULTIPLE] > 0 and price >= ss[S.SS_MON_MULTIPLE] * L["cost"]:
                            reason = K.SELL_PROFIT
                        elif ss[S.SS_MON_VIX] > 0 and vix[d] >= ss[S.SS_MON_VIX] and armed[j]:
                            reason = K.SELL_VIX_LEVEL
                    if not reason and ls[j, S.LS_ROLL] > 0 and left <= ls[j, S.LS_ROLL]:
                        reason = K.SELL_ROLL
                    if not reason and j == 0 and ts_today:
                        reason = K.SELL_TS_ROLL
                L["price"] = price
                if reason:
                    monetised = reason in (K.SELL_PROFIT, K.SELL_VIX_LEVEL)
                    sold = L["qty"] * (ss[S.SS_MON_FRACTION] if monetised
                                       and ss[S.SS_MON_FRACTION] < 1 else 1.0)
                    flow = sold * price
                    cost = 0.0 if reason == K.SELL_EXPIRY else sold * _vix_cost(ss, price, vix[d])
                    cash += flow - cost
                    hedge_cash += flow - cost
                    pnl[K.BK_LAYER0 + j] += flow
                    pnl[K.BK_VIX_COST0 + j] -= cost
                    log({"day": d, "kind": "hedge_sell", "slot": j, "reason": reason,
                         "strike": L["strike"], "contracts": sold * capital / 100,
                         "price": price, "cash": flow, "cost": cost})
                    if reason in (K.SELL_EXPIRY, K.SELL_ROLL) and ss[S.SS_REARM_ROLL] > 0:
                        armed[j] = True
                    counts[{K.SELL_EXPIRY: K.CT_HEDGE_EXPIRY, K.SELL_ROLL: K.CT_HEDGE_ROLL,
                            K.SELL_TS_ROLL: K.CT_TS_ROLL}.get(reason, K.CT_MONETIZE)] += 1
                    if monetised:
                        L["cost"] = price
                        if ss[S.SS_REARM_VIX] > 0 or ss[S.SS_REARM_DAYS] > 0 \
                                or ss[S.SS_REARM_ROLL] > 0:
                            armed[j] = False
                            sold_on[j] = d
                    L["qty"] -= sold
                    if L["qty"] <= 1e-15:
                        layers[j] = None
                        next_buy[j] = d
                    if reason == K.SELL_TS_ROLL and d < n_days:
                        spend = min(flow - cost, sold * L["entry"])
                        used = buy(j, d, int(ss[S.SS_TS_ROLL_DAYS]), -spend)
                        cash -= used
                        hedge_cash -= used
            if not armed[j] and ((ss[S.SS_REARM_VIX] > 0 and vix[d] < ss[S.SS_REARM_VIX])
                                 or (ss[S.SS_REARM_DAYS] > 0
                                     and d - sold_on[j] >= ss[S.SS_REARM_DAYS])):
                armed[j] = True
                next_buy[j] = d
        # condor entries, sized on the day's equity
        opening = [t for kind, t in today if kind == "open"]
        if opening:
            eq = account(d)
            factor = factor_today(d)
            for t in sorted(opening, key=lambda t: t["slot"]):
                q = _whole(tranche_qty(eq, t, d, factor), capital, ss[S.SS_WHOLE_CONDOR])
                if q <= 0:
                    continue
                cost = q * _condor_cost(ss, t["open_legs"], vix[d])
                cash += q * t["credit"] - cost
                pnl[K.BK_CONDOR] += q * t["credit"]
                pnl[K.BK_SPX_COST] -= cost
                log({"day": d, "kind": "condor_open", "slot": t["slot"], "reason": 0,
                     "strikes": tuple(t["strikes"]), "contracts": q * capital / 100,
                     "price": t["credit"], "cash": q * t["credit"], "cost": cost})
                condors[t["id"]] = q
                unit_qty = q
                counts[K.CT_CONDOR_OPEN] += 1
        # hedge purchases
        if mode != S.HEDGE_NONE and d < n_days:
            for j in range(3):
                if (not ls[j, S.LS_ACTIVE] or layers[j] is not None or not armed[j]
                        or d < next_buy[j]):
                    continue
                if mode == S.HEDGE_BUDGET and ss[S.SS_BUDGET] * ls[j, S.LS_WEIGHT] <= 0:
                    continue
                if mode == S.HEDGE_PER_CONDOR and unit_qty <= 0:
                    continue
                blocked = False
                if ss[S.SS_MACD_ON] and not math.isnan(macd[d]):
                    blocked = ss[S.SS_MACD_SIGN] * macd[d] <= 0
                if ss[S.SS_RSI_ON] and not math.isnan(rsi_values[d]):
                    blocked = blocked or rsi_values[d] > ss[S.SS_RSI_BELOW]
                if blocked:
                    counts[K.CT_FILTER_BLOCKED] += 1
                    continue
                tenor = int(ls[j, S.LS_TENOR])
                holding = max(tenor - int(ls[j, S.LS_ROLL]), 1)
                factor = factor_today(d)
                if factor <= 0:
                    counts[K.CT_REGIME_SKIP] += 1
                    next_buy[j] = d + holding
                    continue
                if mode == S.HEDGE_BUDGET:
                    size = -(ss[S.SS_BUDGET] * ls[j, S.LS_WEIGHT] * factor * holding
                             / TRADING_DAYS_PER_YEAR * account(d))
                else:
                    size = ls[j, S.LS_PER_CONDOR] * factor * unit_qty
                used = buy(j, d, tenor, size)
                cash -= used
                hedge_cash -= used
                if layers[j] is None:
                    next_buy[j] = d + holding
        # the close
        if d > 0:
            eq = account(d)
            if eq <= 0:  # ruin: everything closed at the close's marks, no costs
                for t, q in condors.items():
                    cash -= q * marks[d][t]
                    pnl[K.BK_CONDOR] -= q * marks[d][t]
                    log({"day": d, "kind": "ruin_close", "slot": -1, "reason": 0,
                         "book": "condor", "contracts": q * capital / 100,
                         "price": marks[d][t], "cash": -q * marks[d][t], "cost": 0.0})
                condors.clear()
                for j, L in enumerate(layers):
                    if L is not None:
                        log({"day": d, "kind": "ruin_close", "slot": j, "reason": 0,
                             "book": "layer", "contracts": L["qty"] * capital / 100,
                             "price": L["price"], "cash": L["qty"] * L["price"], "cost": 0.0})
                        cash += L["qty"] * L["price"]
                        hedge_cash += L["qty"] * L["price"]
                        pnl[K.BK_LAYER0 + j] += L["qty"] * L["price"]
                        layers[j] = None
                if index_units > 0:
                    cash += index_units * spot
                    pnl[K.BK_INDEX] += index_units * spot - index_paid
                    index_units = 0.0
                eq = cash
                ruined = True
                counts[K.CT_RUINED] += 1
            equity[d] = eq
            trading[d] = eq - interest_total
            hedge[d] = hedge_cash + layer_marks()
        if exposures is not None and not ruined:
            held_condors, held_layers = held_positions()
            for key, value in position_exposures(
                    engine, held_condors, held_layers, index_units, d, spx[d], v[d],
                    m[d]).items():
                exposures[key][d] = value
    pnl[K.BK_CONDOR] -= condor_marks(n_days)
    for t, q in condors.items():
        log({"day": n_days, "kind": "mark", "slot": -1, "reason": 0, "book": "condor",
             "contracts": q * capital / 100, "price": marks[n_days][t],
             "cash": -q * marks[n_days][t], "cost": 0.0})
    for j, L in enumerate(layers):
        if L is not None:
            pnl[K.BK_LAYER0 + j] += L["qty"] * L["price"]
            log({"day": n_days, "kind": "mark", "slot": j, "reason": 0, "book": "layer",
                 "contracts": L["qty"] * capital / 100, "price": L["price"],
                 "cash": L["qty"] * L["price"], "cost": 0.0})
    if index_units > 0:
        pnl[K.BK_INDEX] += index_units * spx[n_days] - index_paid
    return ReferenceResult(equity, trading, hedge, pnl, counts)


EXPOSURES = ("delta", "vega", "vix_delta")
SPOT_BUMP = 0.005  # +-0.5 % of the S&P 500: a 1 % move, central difference
VOL_BUMP = 0.005  # +-0.5 vol point of sqrt(variance)


def position_value(engine, condors, layers, index_units, d, spot, var, mvar) -> float:
    """Mark of a book (fraction of starting equity) at the close of day ``d`` in state
    (``spot``, ``var``, ``mvar``): short condors ``(qty, strikes, expiry day)``, long VIX
    calls ``(qty, strike, expiry day)``, ``index_units`` of the S&P 500 (cash left out: it
    moves with none of these)."""
    tab = engine._tab
    value = index_units * spot
    for q, k, expiry in condors:
        value -= q * _condor_price(tab, spot, var, mvar, expiry - d, k)[0]
    for q, strike, expiry in layers:
        value += q * _vix_call(tab, var, mvar, expiry - d, strike)
    return value


def position_exposures(engine, condors, layers, index_units, d, spot, var, mvar) -> dict:
    """The book's sensitivities at the close of day ``d`` by central differences of
    :func:`position_value` (the day loop's own pricer): ``delta`` the P&L of a 1 % S&P 500
    rise, ``vega`` of a 1 vol-point rise of sqrt(v) and, two factors, of sqrt(m) (the whole
    variance curve), ``vix_delta`` of a 1-point VIX rise through v (m held). Fractions of
    starting equity."""
    if not condors and not layers and index_units == 0:
        return dict.fromkeys(EXPOSURES, 0.0)
    two = engine.model.two_factor

    def value(s_, v_, m_):
        return position_value(engine, condors, layers, index_units, d, s_, v_, m_)

    up, down = spot * (1 + SPOT_BUMP), spot * (1 - SPOT_BUMP)
    delta = (value(up, var, mvar) - value(down, var, mvar)) * 0.01 / (2 * SPOT_BUMP)
    root = math.sqrt(max(var, 0.0))
    v_up, v_down = (root + VOL_BUMP) ** 2, max(root - VOL_BUMP, 0.0) ** 2
    m_root = math.sqrt(max(mvar, 0.0))
    m_up, m_down = ((m_root + VOL_BUMP) ** 2, max(m_root - VOL_BUMP, 0.0) ** 2) if two \
        else (mvar, mvar)
    vol_step = (math.sqrt(v_up) - math.sqrt(v_down)) * 100  # vol points
    vega = (value(spot, v_up, m_up) - value(spot, v_down, m_down)) / vol_step
    vix = engine.model.vix_index(np.array([v_up, v_down]),
                                 np.array([mvar, mvar]) if two else None)
    vix_delta = (value(spot, v_up, mvar) - value(spot, v_down, mvar)) / float(vix[0] - vix[1])
    return {"delta": delta, "vega": vega, "vix_delta": vix_delta}
