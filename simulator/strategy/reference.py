"""A plain-Python twin of the day loop: one strategy on one simulated path.

The numba kernels (:mod:`simulator.strategy.kernels`) are written for speed: shared condor
tracks, scratch arrays, one pass per path for every strategy. This module does the same job
the slow, obvious way (a dict per open position, one strategy, no sharing), so that a test can
hold the kernel to it (tests/test_reference.py; the idea is ``arch``'s Python twin of each
jitted recursion). It prices with the same primitives (the table lookups and strike searches
of :mod:`simulator.pricing.lookups` and :mod:`simulator.strategy.strikes`, each tested against
its own references) and re-implements everything the day loop decides: entries, marks,
closes, sizing, costs, the hedge layers and their rules, interest, ruin and the P&L buckets.
:class:`ReferenceBook` has one method per step of the kernel's day loop (``accrue``,
``settle_condors``, ``manage_layers``, ``open_condors``, ``buy_layers``, ``book_close``),
each tested against its kernel step on a hand-made state (tests/test_reference_steps.py).

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

from simulator.common.conventions import FRONT_FUTURE_DTE, SECOND_FUTURE_DTE, TRADING_DAYS_PER_YEAR
from simulator.pricing.lookups import (
    condor_in_cell,
    condor_payoff,
    spx_option,
    state_cell,
    vix_call_in_cell,
    vix_future,
)
from simulator.strategy import kernels as K
from simulator.strategy import specs as S
from simulator.strategy.config import trading_days
from simulator.strategy.indicators import macd_histogram, rsi
from simulator.strategy.strikes import MODE_DELTA, condor_strikes, spx_grid_strike, vix_call_strike


@dataclass
class ReferenceResult:
    """The kernel's outputs for one strategy on one path."""

    equity: np.ndarray   # (days + 1,) account
    trading: np.ndarray  # (days + 1,) account less interest
    hedge: np.ndarray    # (days + 1,) the layers' cumulative P&L
    pnl: np.ndarray      # (N_BK,)
    counts: np.ndarray   # (N_CT,)
    # (days + 1,) the trading book's cash flows with its owner (kernels.run_strategy's
    # ``flows``: the IRR's)
    flows: np.ndarray | None = None


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


def _spx_put(tab, spot, var, mvar, days, strike):
    return spx_option(spot, var, mvar, float(days), strike, False, tab.spx_iv, tab.qp, tab.qp2,
                      tab.grid, tab.vol_nodes, tab.m_nodes)


def _put_value(tab, spot, var, mvar, days, strike, low):
    """(mark, short leg) of a put (``low`` 0) or put spread; at days <= 0 the payoff."""
    if days <= 0:
        short = max(low - spot, 0.0) if low > 0 else 0.0
        return max(strike - spot, 0.0) - short, short
    short = _spx_put(tab, spot, var, mvar, days, low) if low > 0 else 0.0
    return _spx_put(tab, spot, var, mvar, days, strike) - short, short


def _put_cost(ss, price, short, low, vix):
    """Each leg of an SPX put position pays the SPX half-spread and fee."""
    def leg(p):
        return _half_spread(p, vix, ss[S.SS_SPX_HALF_SPREAD], ss[S.SS_SPX_FRACTION],
                            ss[S.SS_SPX_CAP], ss[S.SS_WIDEN_BASE], ss[S.SS_WIDEN_EXP],
                            ss[S.SS_SPX_MAX]) + ss[S.SS_SPX_COMMISSION] / 100
    return leg(price + short) + (leg(short) if low > 0 else 0.0)


def _columns(L, j):
    """(P&L bucket, cost bucket) of held layer ``L`` in slot ``j``."""
    if L.get("kind") == "spx_put":
        return K.BK_PUTS, K.BK_PUT_COST
    return K.BK_LAYER0 + j, K.BK_VIX_COST0 + j


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
                       exposures: dict | None = None, vvix=None) -> ReferenceResult:
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
    central tendency) and ``vix_delta`` (a 1-point VIX rise through the spot variance).

    ``vvix``: the path's VVIX (default: the model's, ``engine.vvix_of``), read by the
    RSI-of-VVIX split."""
    return ReferenceBook(engine, name, spx, v, m, vix, trades, vvix).run(exposures)


class ReferenceBook:
    """One strategy's book on one path, stepped day by day as the kernel's ``run_strategy``:
    :meth:`accrue` -> :meth:`settle_condors` -> :meth:`manage_layers` -> :meth:`open_condors`
    -> :meth:`buy_layers` -> :meth:`book_close`, then :meth:`mark_horizon`. Each method is
    the kernel step of the same name (:mod:`simulator.strategy.kernels`), written the obvious
    way: a dict per open position, one strategy."""

    def __init__(self, engine, name: str, spx, v, m, vix, trades: list | None = None,
                 vvix=None):
        self.log = trades.append if trades is not None else (lambda row: None)
        self.engine = engine
        k_strat = engine.names.index(name)
        self.ss, self.ls = engine.specs[k_strat], engine.layers[k_strat]
        ss = self.ss
        self.gs = engine.groups[int(ss[S.SS_GROUP])]
        self.tab = tab = engine.kernel_tables
        self.spx, self.v, self.m, self.vix = (np.asarray(a, dtype=float)
                                              for a in (spx, v, m, vix))
        spx, v, m, vix = self.spx, self.v, self.m, self.vix
        self.n_days = n_days = len(spx) - 1
        front_days = float(trading_days(FRONT_FUTURE_DTE))
        second_days = float(trading_days(SECOND_FUTURE_DTE))
        future = [(vix_future(v[d], m[d], front_days, tab.vix_future, tab.qp, tab.qp2,
                              tab.grid, tab.vol_nodes, tab.m_nodes),
                   vix_future(v[d], m[d], second_days, tab.vix_future, tab.qp, tab.qp2,
                              tab.grid, tab.vol_nodes, tab.m_nodes)) for d in range(n_days + 1)]
        self.front = [f for f, _ in future]
        self.second = [s for _, s in future]
        events, self.marks = ([], [{} for _ in range(n_days + 1)]) \
            if not self.gs[S.GS_ACTIVE] else \
            condor_track(self.gs, spx, v, m, self.front, self.second, tab)
        self.macd = np.full(n_days + 1, np.nan)
        self.rsi = np.full(n_days + 1, np.nan)
        if ss[S.SS_MACD_ON]:
            macd_histogram(vix, int(ss[S.SS_MACD_FAST]), int(ss[S.SS_MACD_SLOW]),
                           int(ss[S.SS_MACD_SIGNAL]), self.macd)
        if ss[S.SS_RSI_ON]:
            rsi(vix, int(ss[S.SS_RSI_PERIOD]), self.rsi)
        self.vvix_rsi = np.full(n_days + 1, np.nan)
        if ss[S.SS_SPLIT_ON]:
            vvix = engine.vvix_of(v[None], m[None])[0] if vvix is None \
                else np.asarray(vvix, dtype=float)
            rsi(vvix, int(ss[S.SS_SPLIT_PERIOD]), self.vvix_rsi)
        self.by_day: dict[int, list] = {}
        self.tranches: dict[int, dict] = {}
        for d, kind, t in events:
            self.by_day.setdefault(d, []).append((kind, t))
            self.tranches.setdefault(t["id"], t)
        self.capital = ss[S.SS_CAPITAL]
        self.mode = int(ss[S.SS_HEDGE_MODE])
        self.pnl = np.zeros(K.N_BK)
        self.counts = np.zeros(K.N_CT, dtype=np.int64)
        # the book, as open_book leaves it: all cash, and an index core at the day-0 close
        self.condors: dict[int, float] = {}  # tranche id -> qty held
        self.layers: list[dict | None] = [None, None, None]  # a dict per held layer
        self.armed = [True] * 3
        self.sold_on = [0] * 3
        self.next_buy = [0] * 3
        self.unit_qty = 0.0
        self.index_units = ss[S.SS_INDEX_WEIGHT] / spx[0]
        self.index_paid = self.index_units * spx[0]
        self.cash = 1.0 - self.index_paid
        self.dividend_factor = math.exp(ss[S.SS_INDEX_YIELD] / TRADING_DAYS_PER_YEAR) - 1 \
            if self.index_units > 0 else 0.0
        self.interest_total = self.hedge_cash = 0.0
        self.ruined = False

    # ---- marks and quotes --------------------------------------------------------------------

    def condor_marks(self, d):
        return sum(q * self.marks[d][t] for t, q in self.condors.items())

    def layer_marks(self):
        return sum(L["qty"] * L["price"] for L in self.layers if L is not None)

    def account(self, d):
        return self.cash + self.index_units * self.spx[d] - self.condor_marks(d) \
            + self.layer_marks()

    def factor_today(self, d):
        ss = self.ss
        if not ss[S.SS_REGIME_ON]:
            return 1.0
        level = self.vix[d] if ss[S.SS_REGIME_ON] == S.REGIME_VIX else self.front[d]
        return _regime_factor(ss, level)

    def quote(self, j, tenor, d):
        ls = self.ls
        strike = vix_call_strike(int(ls[j, S.LS_STRIKE_RULE]), ls[j, S.LS_STRIKE_VALUE],
                                 ls[j, S.LS_STRIKE_STEP], self.v[d], self.m[d], float(tenor),
                                 self.vix[d], self.tab, math.nan)
        return strike, _vix_call(self.tab, self.v[d], self.m[d], tenor, strike)

    def split_factor(self, j, d):
        """The RSI-of-VVIX split's multiplier of layer ``j``'s budget share today: its
        kind's share in today's RSI bucket over the kind's total weight, times the total."""
        ss, value = self.ss, self.vvix_rsi[d]
        if not ss[S.SS_SPLIT_ON] or math.isnan(value):
            return 1.0
        bucket = 0 if value < ss[S.SS_SPLIT_LOW] else 2 if value >= ss[S.SS_SPLIT_HIGH] else 1
        calls = ss[S.SS_SPLIT_CALL + bucket]
        total = ss[S.SS_CALL_WEIGHT] + ss[S.SS_PUT_WEIGHT]
        if self.ls[j, S.LS_INSTRUMENT] == S.INSTRUMENT_SPX_PUT:
            return (1 - calls) * total / ss[S.SS_PUT_WEIGHT]
        return calls * total / ss[S.SS_CALL_WEIGHT]

    def put_quote(self, j, tenor, d):
        """(long strike, short strike or 0, mark, short leg) of SPX put layer ``j``."""
        ls, spot = self.ls, self.spx[d]
        step = ls[j, S.LS_STRIKE_STEP]
        if ls[j, S.LS_STRIKE_RULE] == 0:
            strike = spx_grid_strike(MODE_DELTA, ls[j, S.LS_STRIKE_VALUE], spot, self.v[d],
                                     self.m[d], float(tenor), False, step, self.tab)
        else:
            strike = max(round(spot * (1 - ls[j, S.LS_STRIKE_VALUE]) / step), 1.0) * step
        low = strike - ls[j, S.LS_SPREAD_WIDTH] if ls[j, S.LS_SPREAD_WIDTH] > 0 else 0.0
        low = low if low >= step else 0.0
        price, short = _put_value(self.tab, spot, self.v[d], self.m[d], tenor, strike, low)
        return strike, low, price, short

    def held_positions(self):
        return ([(q, self.tranches[t]["strikes"], self.tranches[t]["expiry"])
                 for t, q in self.condors.items()],
                [(L["qty"], L["strike"], L["expiry"], L.get("kind", "vix_call"),
                  L.get("low", 0.0)) for L in self.layers if L is not None])

    # ---- the day's steps ----------------------------------------------------------------------

    def accrue(self, d):
        """Overnight: interest on cash, and the index core's dividends into cash."""
        interest = self.cash * (self.engine.growth - 1)
        self.cash += interest
        self.interest_total += interest
        self.pnl[K.BK_INTEREST] += interest
        if self.index_units > 0:
            dividend = self.index_units * self.spx[d - 1] * self.dividend_factor
            self.cash += dividend
            self.pnl[K.BK_INDEX] += dividend

    def settle_condors(self, d, today):
        """The track's closes of the day: settlement is free, any other close pays the
        spreads."""
        for kind, t in today:
            if kind == "close" and self.condors.get(t["id"], 0.0) > 0:
                q = self.condors.pop(t["id"])
                cost = 0.0 if t["reason"] == K.CLOSE_EXPIRY else \
                    q * _condor_cost(self.ss, t["close_legs"], self.vix[d])
                self.cash += -q * t["value"] - cost
                self.pnl[K.BK_CONDOR] -= q * t["value"]
                self.pnl[K.BK_SPX_COST] -= cost
                self.counts[K.CT_TAKE_PROFIT + t["reason"] - 1] += 1
                self.log({"day": d, "kind": "condor_close", "slot": t["slot"],
                          "reason": t["reason"], "contracts": q * self.capital / 100,
                          "price": t["value"], "cash": -q * t["value"], "cost": cost})
            elif kind == "close":
                self.condors.pop(t["id"], None)

    def manage_layers(self, d):
        """Held layers: expiry, marks, sales (monetisation, roll, term-structure roll-out);
        and the re-arming of sold ones."""
        ss, ls, vix = self.ss, self.ls, self.vix
        ts_today = (self.mode != S.HEDGE_NONE and ss[S.SS_TS_ON] > 0
                    and _ts_fired(self.front, self.second, d, ss[S.SS_TS_THRESHOLD],
                                  ss[S.SS_TS_LOOKBACK]))
        for j in range(3):
            if not ls[j, S.LS_ACTIVE]:
                continue
            L = self.layers[j]
            if L is not None:
                price, reason = self._layer_mark(j, L, d, ts_today)
                L["price"] = price
                if reason:
                    self.sell_layer(j, L, d, reason, price)
            if not self.armed[j] and ((ss[S.SS_REARM_VIX] > 0 and vix[d] < ss[S.SS_REARM_VIX])
                                      or (ss[S.SS_REARM_DAYS] > 0
                                          and d - self.sold_on[j] >= ss[S.SS_REARM_DAYS])):
                self.armed[j] = True
                self.next_buy[j] = d

    def _layer_mark(self, j, L, d, ts_today):
        """(today's price, the reason to sell it today or 0) of held layer ``j``."""
        ss, vix = self.ss, self.vix
        left = L["expiry"] - d
        if L.get("kind") == "spx_put":  # settles on the S&P 500
            price, L["short"] = _put_value(self.tab, self.spx[d], self.v[d], self.m[d], left,
                                           L["strike"], L["low"])
            if left <= 0:
                return price, K.SELL_EXPIRY
        elif left <= 0:
            return max(vix[d] - L["strike"], 0.0), K.SELL_EXPIRY
        else:
            price = _vix_call(self.tab, self.v[d], self.m[d], left, L["strike"])
        reason = 0
        if ss[S.SS_MON_ON]:
            if ss[S.SS_MON_MULTIPLE] > 0 and price >= ss[S.SS_MON_MULTIPLE] * L["cost"]:
                reason = K.SELL_PROFIT
            elif ss[S.SS_MON_VIX] > 0 and vix[d] >= ss[S.SS_MON_VIX] and self.armed[j]:
                reason = K.SELL_VIX_LEVEL
        if not reason and self.ls[j, S.LS_ROLL] > 0 and left <= self.ls[j, S.LS_ROLL]:
            reason = K.SELL_ROLL
        if not reason and j == 0 and ts_today:
            reason = K.SELL_TS_ROLL
        return price, reason

    def sell_layer(self, j, L, d, reason, price):
        """Sell held layer ``j`` (all of it, or the monetised fraction) at ``price``; a
        term-structure roll-out buys the longer call with the proceeds."""
        ss = self.ss
        monetised = reason in (K.SELL_PROFIT, K.SELL_VIX_LEVEL)
        sold = L["qty"] * (ss[S.SS_MON_FRACTION] if monetised
                           and ss[S.SS_MON_FRACTION] < 1 else 1.0)
        flow = sold * price
        unit_cost = _put_cost(ss, price, L["short"], L["low"], self.vix[d]) \
            if L.get("kind") == "spx_put" else _vix_cost(ss, price, self.vix[d])
        cost = 0.0 if reason == K.SELL_EXPIRY else sold * unit_cost
        self.cash += flow - cost
        self.hedge_cash += flow - cost
        col, cost_col = _columns(L, j)
        self.pnl[col] += flow
        self.pnl[cost_col] -= cost
        self.log({"day": d, "kind": "hedge_sell", "slot": j, "reason": reason,
                  "strike": L["strike"], "contracts": sold * self.capital / 100,
                  "price": price, "cash": flow, "cost": cost})
        if reason in (K.SELL_EXPIRY, K.SELL_ROLL) and ss[S.SS_REARM_ROLL] > 0:
            self.armed[j] = True
        self.counts[{K.SELL_EXPIRY: K.CT_HEDGE_EXPIRY, K.SELL_ROLL: K.CT_HEDGE_ROLL,
                     K.SELL_TS_ROLL: K.CT_TS_ROLL}.get(reason, K.CT_MONETIZE)] += 1
        if monetised:
            L["cost"] = price
            if ss[S.SS_REARM_VIX] > 0 or ss[S.SS_REARM_DAYS] > 0 or ss[S.SS_REARM_ROLL] > 0:
                self.armed[j] = False
                self.sold_on[j] = d
        L["qty"] -= sold
        if L["qty"] <= 1e-15:
            self.layers[j] = None
            self.next_buy[j] = d
        if reason == K.SELL_TS_ROLL and d < self.n_days:
            spend = min(flow - cost, sold * L["entry"])
            used = self.buy_layer(j, d, int(ss[S.SS_TS_ROLL_DAYS]), -spend)
            self.cash -= used
            self.hedge_cash -= used

    def open_condors(self, d, today):
        """The track's entries of the day, each sized on the day's equity."""
        opening = [t for kind, t in today if kind == "open"]
        if not opening:
            return
        ss = self.ss
        eq = self.account(d)
        factor = self.factor_today(d)
        for t in sorted(opening, key=lambda t: t["slot"]):
            q = _whole(self.tranche_qty(eq, t, d, factor), self.capital, ss[S.SS_WHOLE_CONDOR])
            if q <= 0:
                continue
            cost = q * _condor_cost(ss, t["open_legs"], self.vix[d])
            self.cash += q * t["credit"] - cost
            self.pnl[K.BK_CONDOR] += q * t["credit"]
            self.pnl[K.BK_SPX_COST] -= cost
            self.log({"day": d, "kind": "condor_open", "slot": t["slot"], "reason": 0,
                      "strikes": tuple(t["strikes"]), "contracts": q * self.capital / 100,
                      "price": t["credit"], "cash": q * t["credit"], "cost": cost})
            self.condors[t["id"]] = q
            self.unit_qty = q
            self.counts[K.CT_CONDOR_OPEN] += 1

    def tranche_qty(self, eq, t, d, factor):
        """Condors per unit of equity for tranche ``t`` (before rounding): its risk budget
        over its max loss, less (condor_hedge_costs sizing) the round trip and the hedge."""
        ss, ls = self.ss, self.ls
        risk = ss[S.SS_RISK] * eq
        if ss[S.SS_SIZING] != S.SIZING_HEDGE_COSTS:
            return risk / t["max_loss"]
        per_unit = t["max_loss"] + 2 * _condor_cost(ss, t["open_legs"], self.vix[d])
        if self.mode == S.HEDGE_BUDGET:
            risk -= ss[S.SS_HEDGE_PER_TRANCHE] * eq
        elif self.mode == S.HEDGE_PER_CONDOR:
            for j in range(3):
                if ls[j, S.LS_ACTIVE] and ls[j, S.LS_PER_CONDOR] > 0:
                    _, price = self.quote(j, int(ls[j, S.LS_TENOR]), d)
                    per_unit += ls[j, S.LS_PER_CONDOR] * factor * (
                        price + _vix_cost(ss, price, self.vix[d]))
        return max(risk, 0.0) / per_unit

    def buy_layers(self, d):
        """Each empty, armed layer past its wait, unless a filter blocks it: bought for its
        share of the budget over its holding (budget sizing) or per condor held."""
        ss, ls = self.ss, self.ls
        mode = self.mode
        for j in range(3):
            if (not ls[j, S.LS_ACTIVE] or self.layers[j] is not None or not self.armed[j]
                    or d < self.next_buy[j]):
                continue
            if mode == S.HEDGE_BUDGET and ss[S.SS_BUDGET] * ls[j, S.LS_WEIGHT] <= 0:
                continue
            if mode == S.HEDGE_PER_CONDOR and self.unit_qty <= 0:
                continue
            if mode == S.HEDGE_PER_INDEX_UNIT and self.index_units <= 0:
                continue
            blocked = False
            if ss[S.SS_MACD_ON] and not math.isnan(self.macd[d]):
                blocked = ss[S.SS_MACD_SIGN] * self.macd[d] <= 0
            if ss[S.SS_RSI_ON] and not math.isnan(self.rsi[d]):
                blocked = blocked or self.rsi[d] > ss[S.SS_RSI_BELOW]
            if blocked:
                self.counts[K.CT_FILTER_BLOCKED] += 1
                continue
            tenor = int(ls[j, S.LS_TENOR])
            holding = max(tenor - int(ls[j, S.LS_ROLL]), 1)
            factor = self.factor_today(d)
            if factor <= 0:
                self.counts[K.CT_REGIME_SKIP] += 1
                self.next_buy[j] = d + holding
                continue
            if mode == S.HEDGE_BUDGET:
                size = -(ss[S.SS_BUDGET] * ls[j, S.LS_WEIGHT] * factor * holding
                         / TRADING_DAYS_PER_YEAR * self.account(d))
                size *= self.split_factor(j, d)
            elif mode == S.HEDGE_PER_INDEX_UNIT:
                size = ls[j, S.LS_PER_CONDOR] * factor * self.index_units
            else:
                size = ls[j, S.LS_PER_CONDOR] * factor * self.unit_qty
            used = self.buy_layer(j, d, tenor, size)
            self.cash -= used
            self.hedge_cash -= used
            if self.layers[j] is None:
                self.next_buy[j] = d + holding

    def buy_layer(self, j, d, tenor, size):
        """Buy layer ``j``: ``size`` > 0 a quantity, < 0 the cash to spend. Returns the cash
        used (the caller takes it from the account)."""
        ss = self.ss
        put = self.ls[j, S.LS_INSTRUMENT] == S.INSTRUMENT_SPX_PUT
        if put:
            strike, low, price, short = self.put_quote(j, tenor, d)
        else:
            (strike, price), low, short = self.quote(j, tenor, d), 0.0, 0.0
        if not price > 1e-8:
            return 0.0
        unit_cost = _put_cost(ss, price, short, low, self.vix[d]) if put \
            else _vix_cost(ss, price, self.vix[d])
        q = _whole(size if size > 0 else -size / (price + unit_cost), self.capital,
                   ss[S.SS_WHOLE_HEDGE])
        if q <= 0:
            return 0.0
        L = {"qty": q, "strike": strike, "expiry": d + tenor, "cost": price,
             "entry": price + unit_cost, "price": price,
             "kind": "spx_put" if put else "vix_call", "low": low, "short": short}
        col, cost_col = _columns(L, j)
        self.pnl[col] -= q * price
        self.pnl[cost_col] -= q * unit_cost
        self.pnl[K.BK_PREMIUM] += q * price
        self.layers[j] = L
        self.counts[K.CT_HEDGE_BUY] += 1
        self.log({"day": d, "kind": "hedge_buy", "slot": j, "reason": 0, "strike": strike,
                  "contracts": q * self.capital / 100, "price": price, "cash": -q * price,
                  "cost": q * unit_cost})
        return q * price + q * unit_cost

    def book_close(self, d):
        """The account at the close; at or below zero the path is ruined: everything is
        closed at the close's marks (no costs) and nothing trades again."""
        eq = self.account(d)
        if eq > 0:
            return eq
        capital, marks = self.capital, self.marks
        for t, q in self.condors.items():
            self.cash -= q * marks[d][t]
            self.pnl[K.BK_CONDOR] -= q * marks[d][t]
            self.log({"day": d, "kind": "ruin_close", "slot": -1, "reason": 0,
                      "book": "condor", "contracts": q * capital / 100,
                      "price": marks[d][t], "cash": -q * marks[d][t], "cost": 0.0})
        self.condors.clear()
        for j, L in enumerate(self.layers):
            if L is not None:
                self.log({"day": d, "kind": "ruin_close", "slot": j, "reason": 0,
                          "book": "layer", "contracts": L["qty"] * capital / 100,
                          "price": L["price"], "cash": L["qty"] * L["price"], "cost": 0.0})
                self.cash += L["qty"] * L["price"]
                self.hedge_cash += L["qty"] * L["price"]
                self.pnl[_columns(L, j)[0]] += L["qty"] * L["price"]
                self.layers[j] = None
        if self.index_units > 0:
            self.cash += self.index_units * self.spx[d]
            self.pnl[K.BK_INDEX] += self.index_units * self.spx[d] - self.index_paid
            self.index_units = 0.0
        self.ruined = True
        self.counts[K.CT_RUINED] += 1
        return self.cash

    def mark_horizon(self):
        """Positions open at the horizon are marked into their P&L buckets."""
        n_days, capital = self.n_days, self.capital
        self.pnl[K.BK_CONDOR] -= self.condor_marks(n_days)
        for t, q in self.condors.items():
            self.log({"day": n_days, "kind": "mark", "slot": -1, "reason": 0, "book": "condor",
                      "contracts": q * capital / 100, "price": self.marks[n_days][t],
                      "cash": -q * self.marks[n_days][t], "cost": 0.0})
        for j, L in enumerate(self.layers):
            if L is not None:
                self.pnl[_columns(L, j)[0]] += L["qty"] * L["price"]
                self.log({"day": n_days, "kind": "mark", "slot": j, "reason": 0,
                          "book": "layer", "contracts": L["qty"] * capital / 100,
                          "price": L["price"], "cash": L["qty"] * L["price"], "cost": 0.0})
        if self.index_units > 0:
            self.pnl[K.BK_INDEX] += self.index_units * self.spx[n_days] - self.index_paid

    # ---- the day loop -------------------------------------------------------------------------

    def run(self, exposures: dict | None = None) -> ReferenceResult:
        """Every day at its closing prices, as ``run_strategy``; the outputs."""
        n_days = self.n_days
        equity, trading, hedge = (np.empty(n_days + 1) for _ in range(3))
        equity[0], trading[0], hedge[0] = 1.0, 1.0, 0.0
        flows = np.zeros(n_days + 1)
        flows[0] = -1.0  # the starting equity in
        booked = starting_cash = self.cash  # the cash less interest swept out each day
        if exposures is not None:
            for key in EXPOSURES:
                exposures[key] = np.zeros(n_days + 1)
        for d in range(n_days + 1):
            if self.ruined:
                equity[d], trading[d], hedge[d] = equity[d - 1], trading[d - 1], hedge[d - 1]
                continue
            if d > 0:
                self.accrue(d)
            today = self.by_day.get(d, [])
            self.settle_condors(d, today)
            self.manage_layers(d)
            self.open_condors(d, today)
            if self.mode != S.HEDGE_NONE and d < n_days:
                self.buy_layers(d)
            if d > 0:
                eq = self.book_close(d)
                equity[d] = eq
                trading[d] = eq - self.interest_total
                hedge[d] = self.hedge_cash + self.layer_marks()
            flows[d] += self.cash - self.interest_total - booked
            booked = self.cash - self.interest_total
            if exposures is not None and not self.ruined:
                held_condors, held_layers = self.held_positions()
                for key, value in position_exposures(
                        self.engine, held_condors, held_layers, self.index_units, d,
                        self.spx[d], self.v[d], self.m[d]).items():
                    exposures[key][d] = value
        # the starting cash back, and what is open at mid
        flows[n_days] += starting_cash + self.account(n_days) - self.cash
        self.mark_horizon()
        return ReferenceResult(equity, trading, hedge, self.pnl, self.counts, flows)


EXPOSURES = ("delta", "vega", "vix_delta")
SPOT_BUMP = 0.005  # +-0.5 % of the S&P 500: a 1 % move, central difference
VOL_BUMP = 0.005  # +-0.5 vol point of sqrt(variance)


def position_value(engine, condors, layers, index_units, d, spot, var, mvar) -> float:
    """Mark of a book (fraction of starting equity) at the close of day ``d`` in state
    (``spot``, ``var``, ``mvar``): short condors ``(qty, strikes, expiry day)``, long VIX
    calls ``(qty, strike, expiry day)`` or hedge layers ``(qty, strike, expiry day, kind, low
    strike)`` (kind ``vix_call`` or ``spx_put``, low strike the short put of a spread, 0:
    none), ``index_units`` of the S&P 500 (cash left out: it moves with none of these)."""
    tab = engine.kernel_tables
    value = index_units * spot
    for q, k, expiry in condors:
        value -= q * _condor_price(tab, spot, var, mvar, expiry - d, k)[0]
    for q, strike, expiry, *kind_low in layers:
        if kind_low and kind_low[0] == "spx_put":
            value += q * _put_value(tab, spot, var, mvar, expiry - d, strike, kind_low[1])[0]
        else:
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
