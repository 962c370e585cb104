"""Strategy configurations encoded as float arrays for the numba engine (one place, named).

Three tables go into the kernel:

* condor groups ``(n_groups, N_GS)``: the per-contract condor track (strikes, marks, management
  decisions) does not depend on a strategy's equity, so strategies whose condor rules are equal
  share one track per path (computed once) and differ only in contracts held;
* strategies ``(n_strategies, N_SS)``: sizing, costs, hedge sizing and adaptive rules;
* hedge layers ``(n_strategies, 3, N_LS)`` in the order front, middle, tail.
"""

from __future__ import annotations

import numpy as np

from simulator.common.conventions import TRADING_DAYS_PER_YEAR
from simulator.strategy.config import (
    LAYER_NAMES,
    CondorConfig,
    CostsConfig,
    StrategyConfig,
    trading_days,
)

MAX_EDGES = 6  # regime schedule: up to 6 VIX edges, so 7 budget factors


def columns(fields) -> tuple[tuple[int, ...], int]:
    """(first column of each field, row width) for an ordered field list: a name takes one
    column, a (name, width) pair ``width`` columns. The column numbers come from the list, so
    adding or moving a field never means recounting offsets (tests/test_strategy_specs.py holds
    the names below to the lists)."""
    starts, col = [], 0
    for field in fields:
        starts.append(col)
        col += 1 if isinstance(field, str) else field[1]
    return tuple(starts), col


# condor group columns
GROUP_FIELDS = ("ACTIVE", "EVERY", "FIRST", "DTE", "SHORT_MODE", "SHORT_TARGET", "WING_MODE",
                "WING_VALUE", "TAKE_PROFIT", "STOP", "EXIT", "STEP", "SHIFT_SD", "TS_THRESHOLD",
                "TS_LOOKBACK", "OPEN_ON")
((GS_ACTIVE, GS_EVERY, GS_FIRST, GS_DTE, GS_SHORT_MODE, GS_SHORT_TARGET, GS_WING_MODE,
  GS_WING_VALUE, GS_TAKE_PROFIT, GS_STOP, GS_EXIT, GS_STEP, GS_SHIFT_SD, GS_TS_THRESHOLD,
  GS_TS_LOOKBACK, GS_OPEN_ON), N_GS) = columns(GROUP_FIELDS)

# strategy columns: sizing and costs, hedge sizing, the regime schedule, adaptive rules, the
# cost model, monetisation and sizing
STRATEGY_FIELDS = (
    "GROUP", "RISK", "WHOLE_CONDOR", "CAPITAL", "SPX_COMMISSION", "SPX_HALF_SPREAD",
    "VIX_COMMISSION", "VIX_HALF_SPREAD", "HEDGE_MODE", "BUDGET", "WHOLE_HEDGE", "REGIME_ON",
    "N_EDGES", ("EDGES", MAX_EDGES), ("FACTORS", MAX_EDGES + 1),
    "TS_ON", "TS_THRESHOLD", "TS_LOOKBACK", "TS_ROLL_DAYS", "MACD_ON", "MACD_FAST", "MACD_SLOW",
    "MACD_SIGNAL", "MACD_SIGN", "RSI_ON", "RSI_PERIOD", "RSI_BELOW", "MON_ON", "MON_MULTIPLE",
    "MON_VIX", "REARM_VIX",
    "SPX_FRACTION", "SPX_CAP", "COMBO", "COMBO_SHARE", "COMBO_MIN", "VIX_FRACTION", "VIX_CAP",
    "WIDEN_BASE", "WIDEN_EXP", "MON_FRACTION", "REARM_DAYS", "SIZING", "HEDGE_PER_TRANCHE",
    "REARM_ROLL", "INDEX_WEIGHT", "INDEX_YIELD", "SPX_MAX", "VIX_MAX",
    "SPLIT_ON", "SPLIT_PERIOD", "SPLIT_LOW", "SPLIT_HIGH", ("SPLIT_CALL", 3), "CALL_WEIGHT",
    "PUT_WEIGHT")
((SS_GROUP, SS_RISK, SS_WHOLE_CONDOR, SS_CAPITAL, SS_SPX_COMMISSION, SS_SPX_HALF_SPREAD,
  SS_VIX_COMMISSION, SS_VIX_HALF_SPREAD, SS_HEDGE_MODE, SS_BUDGET, SS_WHOLE_HEDGE, SS_REGIME_ON,
  SS_N_EDGES, SS_EDGES, SS_FACTORS,
  SS_TS_ON, SS_TS_THRESHOLD, SS_TS_LOOKBACK, SS_TS_ROLL_DAYS, SS_MACD_ON, SS_MACD_FAST,
  SS_MACD_SLOW, SS_MACD_SIGNAL, SS_MACD_SIGN, SS_RSI_ON, SS_RSI_PERIOD, SS_RSI_BELOW, SS_MON_ON,
  SS_MON_MULTIPLE, SS_MON_VIX, SS_REARM_VIX,
  SS_SPX_FRACTION, SS_SPX_CAP, SS_COMBO, SS_COMBO_SHARE, SS_COMBO_MIN, SS_VIX_FRACTION,
  SS_VIX_CAP, SS_WIDEN_BASE, SS_WIDEN_EXP, SS_MON_FRACTION, SS_REARM_DAYS, SS_SIZING,
  SS_HEDGE_PER_TRANCHE, SS_REARM_ROLL, SS_INDEX_WEIGHT, SS_INDEX_YIELD, SS_SPX_MAX,
  SS_VIX_MAX, SS_SPLIT_ON, SS_SPLIT_PERIOD, SS_SPLIT_LOW, SS_SPLIT_HIGH, SS_SPLIT_CALL,
  SS_CALL_WEIGHT, SS_PUT_WEIGHT), N_SS) = \
    columns(STRATEGY_FIELDS)
SIZING_MAX_LOSS, SIZING_HEDGE_COSTS = 0, 1

HEDGE_NONE, HEDGE_BUDGET, HEDGE_PER_CONDOR, HEDGE_PER_INDEX_UNIT = 0, 1, 2, 3
REGIME_OFF, REGIME_VIX, REGIME_FRONT = 0, 1, 2

# layer columns
LAYER_FIELDS = ("ACTIVE", "WEIGHT", "PER_CONDOR", "TENOR", "ROLL", "STRIKE_RULE",
                "STRIKE_VALUE", "STRIKE_STEP", "INSTRUMENT", "SPREAD_WIDTH")
((LS_ACTIVE, LS_WEIGHT, LS_PER_CONDOR, LS_TENOR, LS_ROLL, LS_STRIKE_RULE, LS_STRIKE_VALUE,
  LS_STRIKE_STEP, LS_INSTRUMENT, LS_SPREAD_WIDTH), N_LS) = columns(LAYER_FIELDS)
STRIKE_RULES = {"delta": 0, "pct_above_future": 1, "spot_multiple": 2}
# PER_CONDOR: contracts per condor contract, or (HEDGE_PER_INDEX_UNIT) per unit of the S&P 500
# core. INSTRUMENT: a VIX call or an SPX put (SPREAD_WIDTH > 0: a put spread, short a put that
# many index points below the long one); an SPX put's STRIKE_RULE is one of PUT_STRIKE_RULES
INSTRUMENT_VIX_CALL, INSTRUMENT_SPX_PUT = 0, 1
INSTRUMENTS = {"vix_call": INSTRUMENT_VIX_CALL, "spx_put": INSTRUMENT_SPX_PUT}
PUT_STRIKE_RULES = {"delta": 0, "pct_below_spot": 1}



def condor_group_row(strategy: StrategyConfig) -> np.ndarray:
    row = np.zeros(N_GS)
    c = strategy.condor
    if c is None:
        return row
    row[GS_ACTIVE] = 1.0
    row[GS_EVERY] = c.every_trading_days
    row[GS_FIRST] = c.first_entry_day
    row[GS_DTE] = c.dte_trading_days
    if c.short_delta is not None:
        row[GS_SHORT_MODE], row[GS_SHORT_TARGET] = 0.0, c.short_delta
    else:
        row[GS_SHORT_MODE], row[GS_SHORT_TARGET] = 1.0, c.prob_between
    if c.wing_width is not None:
        row[GS_WING_MODE], row[GS_WING_VALUE] = 0.0, c.wing_width
    else:
        row[GS_WING_MODE], row[GS_WING_VALUE] = 1.0, c.wing_delta
    row[GS_TAKE_PROFIT] = c.take_profit or 0.0
    row[GS_STOP] = c.stop_multiple or 0.0
    row[GS_EXIT] = c.exit_trading_days
    row[GS_STEP] = c.strike_step
    row[GS_OPEN_ON] = 1.0 if c.open_on == "expiry" else 0.0  # history runs: calendar's days
    h = strategy.hedge
    if h is not None and h.term_structure.enabled and h.term_structure.tighten_condor_sd > 0:
        ts = h.term_structure
        row[GS_SHIFT_SD] = ts.tighten_condor_sd
        row[GS_TS_THRESHOLD] = ts.threshold_points
        row[GS_TS_LOOKBACK] = ts.lookback_trading_days
    return row


def tranche_cycle_days(condor: CondorConfig) -> int:
    """Trading days one tranche is the newest open one: a cycle of the condor schedule, at
    most the tranche's life (a tranche opened less often than its DTE is alone part of the
    time)."""
    return min(condor.every_trading_days, condor.dte_trading_days)


def hedge_spend_per_tranche(budget_annual: float, condor: CondorConfig) -> float:
    """The hedge budget spent while one tranche is the open one, a fraction of equity: what
    ``condor_hedge_costs`` sizing sets aside per tranche (docs/design.md §3 sizing)."""
    return budget_annual * tranche_cycle_days(condor) / TRADING_DAYS_PER_YEAR


def strategy_row(strategy: StrategyConfig, group: int, costs: CostsConfig,
                 capital: float) -> np.ndarray:
    row = np.zeros(N_SS)
    row[SS_GROUP] = group
    row[SS_CAPITAL] = capital
    c = strategy.condor
    if c is not None:
        row[SS_RISK] = c.risk_per_tranche
        row[SS_WHOLE_CONDOR] = float(c.whole_contracts)
    row[SS_SPX_COMMISSION] = costs.spx_commission
    row[SS_SPX_HALF_SPREAD] = costs.spx_half_spread
    row[SS_VIX_COMMISSION] = costs.vix_commission
    row[SS_VIX_HALF_SPREAD] = costs.vix_half_spread
    row[SS_SPX_FRACTION] = costs.spx_half_spread_fraction
    row[SS_SPX_CAP] = np.inf if costs.spx_half_spread_cap is None else costs.spx_half_spread_cap
    row[SS_COMBO] = 1.0 if costs.condor_fill == "combo" else 0.0
    row[SS_COMBO_SHARE] = costs.combo_share
    row[SS_COMBO_MIN] = costs.combo_min
    row[SS_VIX_FRACTION] = costs.vix_half_spread_fraction
    row[SS_VIX_CAP] = np.inf if costs.vix_half_spread_cap is None else costs.vix_half_spread_cap
    row[SS_WIDEN_BASE] = costs.widen_vix_base
    row[SS_WIDEN_EXP] = costs.widen_exponent
    row[SS_SPX_MAX] = np.inf if costs.spx_half_spread_max is None else costs.spx_half_spread_max
    row[SS_VIX_MAX] = np.inf if costs.vix_half_spread_max is None else costs.vix_half_spread_max
    if c is not None:
        row[SS_SIZING] = SIZING_HEDGE_COSTS if c.sizing == "condor_hedge_costs" \
            else SIZING_MAX_LOSS
    if strategy.index is not None:
        row[SS_INDEX_WEIGHT] = strategy.index.weight
        # NaN: the model's dividend yield, filled in by the engine (it knows the model)
        row[SS_INDEX_YIELD] = (np.nan if strategy.index.dividend_yield is None
                               else strategy.index.dividend_yield)
    h = strategy.hedge
    if h is None:
        return row
    if c is not None and h.sizing == "budget":
        row[SS_HEDGE_PER_TRANCHE] = hedge_spend_per_tranche(h.budget_annual, c)
    row[SS_HEDGE_MODE] = {"budget": HEDGE_BUDGET, "contracts_per_condor": HEDGE_PER_CONDOR,
                          "contracts_per_index_unit": HEDGE_PER_INDEX_UNIT}[h.sizing]
    row[SS_BUDGET] = h.budget_annual
    row[SS_WHOLE_HEDGE] = float(h.whole_contracts)
    if h.regime.enabled:
        row[SS_REGIME_ON] = REGIME_VIX if h.regime.on == "vix" else REGIME_FRONT
        row[SS_N_EDGES] = len(h.regime.edges)
        row[SS_EDGES:SS_EDGES + len(h.regime.edges)] = h.regime.edges
        row[SS_FACTORS:SS_FACTORS + len(h.regime.factors)] = h.regime.factors
    ts = h.term_structure
    if ts.enabled:
        row[SS_TS_ON] = 1.0
        row[SS_TS_THRESHOLD] = ts.threshold_points
        row[SS_TS_LOOKBACK] = ts.lookback_trading_days
        row[SS_TS_ROLL_DAYS] = max(trading_days(ts.roll_out_dte), 2)
    if h.macd.enabled:
        row[SS_MACD_ON] = 1.0
        row[SS_MACD_FAST], row[SS_MACD_SLOW], row[SS_MACD_SIGNAL] = (
            h.macd.fast, h.macd.slow, h.macd.signal)
        row[SS_MACD_SIGN] = 1.0 if h.macd.when == "rising" else -1.0
    if h.rsi.enabled:
        row[SS_RSI_ON] = 1.0
        row[SS_RSI_PERIOD] = h.rsi.period
        row[SS_RSI_BELOW] = h.rsi.below
    split = h.vvix_split
    if split.enabled:  # the VIX calls' share of the budget by RSI(VVIX) bucket
        row[SS_SPLIT_ON] = 1.0
        row[SS_SPLIT_PERIOD] = split.period
        row[SS_SPLIT_LOW], row[SS_SPLIT_HIGH] = split.low, split.high
        row[SS_SPLIT_CALL:SS_SPLIT_CALL + 3] = [split.weights[b].vix_calls
                                                for b in ("low", "middle", "high")]
        row[SS_CALL_WEIGHT] = sum(layer.weight for layer in h.layers.values()
                                  if layer.instrument == "vix_call")
        row[SS_PUT_WEIGHT] = sum(layer.weight for layer in h.layers.values()
                                 if layer.instrument == "spx_put")
    m = h.monetize
    if m.enabled:
        row[SS_MON_ON] = 1.0
        row[SS_MON_MULTIPLE] = m.profit_multiple or 0.0
        row[SS_MON_VIX] = m.vix_above or 0.0
        row[SS_REARM_VIX] = m.rearm_vix_below or 0.0
        row[SS_MON_FRACTION] = m.sell_fraction
        row[SS_REARM_DAYS] = m.rearm_after_days
        row[SS_REARM_ROLL] = float(m.rearm_at_roll)
    return row


def layer_rows(strategy: StrategyConfig) -> np.ndarray:
    rows = np.zeros((len(LAYER_NAMES), N_LS))
    h = strategy.hedge
    if h is None:
        return rows
    for i, name in enumerate(LAYER_NAMES):
        layer = h.layers.get(name)
        if layer is None:
            continue
        per_unit = layer.contracts_per_index_unit if h.sizing == "contracts_per_index_unit" \
            else layer.contracts_per_condor
        size = layer.weight if h.sizing == "budget" else per_unit
        if size <= 0:
            continue
        put = layer.instrument == "spx_put"
        rows[i, LS_ACTIVE] = 1.0
        rows[i, LS_WEIGHT] = layer.weight
        rows[i, LS_PER_CONDOR] = per_unit
        rows[i, LS_TENOR] = layer.dte_trading_days
        rows[i, LS_ROLL] = layer.roll_trading_days
        rows[i, LS_STRIKE_RULE] = (PUT_STRIKE_RULES if put else STRIKE_RULES)[layer.strike.rule]
        rows[i, LS_STRIKE_VALUE] = layer.strike.value
        rows[i, LS_STRIKE_STEP] = layer.strike.step
        rows[i, LS_INSTRUMENT] = INSTRUMENTS[layer.instrument]
        rows[i, LS_SPREAD_WIDTH] = layer.spread_width
    return rows


def encode(strategies: list[StrategyConfig], costs: list[CostsConfig], capital: float):
    """(group table, strategy table, layer table, slots per group) for the engine."""
    groups: list[bytes] = []
    group_rows: list[np.ndarray] = []
    strat_rows, layers = [], []
    for strategy, cost in zip(strategies, costs, strict=True):
        g_row = condor_group_row(strategy)
        key = g_row.tobytes()
        if key not in groups:
            groups.append(key)
            group_rows.append(g_row)
        strat_rows.append(strategy_row(strategy, groups.index(key), cost, capital))
        layers.append(layer_rows(strategy))
    group_table = np.array(group_rows)
    slots = 1
    for row in group_rows:
        if row[GS_ACTIVE]:
            slots = max(slots, int(np.ceil(row[GS_DTE] / row[GS_EVERY])) + 1)
    return group_table, np.array(strat_rows), np.array(layers), slots
