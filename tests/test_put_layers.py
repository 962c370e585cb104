"""SPX put hedge layers (issue 35): a put or put spread bought, marked and settled by the day
loop, checked by hand and against a direct repricing (the COS pricer, independent of the
tables the loop reads); their costs; the PPUT-style sizing; bad settings.

tests/test_reference.py holds the put layers' whole runs (monetisation, rolls, the
term-structure roll-out, the mixed hedge) to the Python twin."""

from __future__ import annotations

import math

import numpy as np
import pytest

import simulator as sim
from simulator.cli import main
from simulator.pricing.black import implied_total_sd
from simulator.pricing.spx_cos import cos_put_prices
from simulator.strategy import StrategyEngine
from simulator.strategy import specs as S
from simulator.strategy.config import CostsConfig, StrategyConfig
from simulator.strategy.engine import PNL_NAMES, PNL_PARTS

TENOR = 21  # trading days: a 30-calendar-day layer (config.trading_days)
SHOCK_DAY, SPOT0, SPOT1, V0, V1 = 10, 5000.0, 4400.0, 0.03, 0.15


def _put_hedge(**layer):
    """One front SPX put layer on 2 %/yr of budget, every adaptive rule off, no condor."""
    front = {"instrument": "spx_put", "dte": 30, "roll_dte": 0, "weight": 1.0,
             "strike": {"rule": "pct_below_spot", "value": 0.05, "step": 5.0}, **layer}
    return StrategyConfig.model_validate({"hedge": {
        "sizing": "budget", "budget_annual": 0.02, "layers": {"front": front},
        "regime": {"enabled": False}, "term_structure": {"enabled": False},
        "monetize": {"enabled": False}}})


@pytest.fixture(scope="module")
def model():
    return sim.load_model("svcj_default")


def _shocked_path():
    """S&P 500 at 5000 with v = 0.03 for ten days, then 12 % lower with v = 0.15 (VIX ~40)."""
    days = np.arange(TENOR + 1)
    spx = np.where(days < SHOCK_DAY, SPOT0, SPOT1)[None, :].astype(float)
    v = np.where(days < SHOCK_DAY, V0, V1)[None, :].astype(float)
    return spx, v


def _iv(price, spot, strike, days, model):
    tau = days / 252.0
    forward = spot * math.exp((model.r - model.q) * tau)
    return implied_total_sd(price, forward, strike, math.exp(-model.r * tau), False) \
        / math.sqrt(tau)


def _cos_put(model, spot, v, days, strike):
    return float(cos_put_prices(spot, [strike], v, days / 252.0, model.Q, model.r, model.q)[0])


@pytest.mark.parametrize("costs", ["none", "retail_combo"])
def test_a_put_layer_on_a_shocked_path_against_a_direct_repricing(model, costs):
    """Bought on day 0 at K = 0.95 x 5000 = 4750 for 2 %/yr x 21/252 of equity; marked each
    day within a tenth of a vol point of the COS price (the tables' own accuracy,
    tests/test_pricing_tables.py); settled at expiry on the S&P 500 at 4750 - 4400 = 350
    points, free of costs; the purchase pays one SPX half-spread and fee a contract."""
    engine = StrategyEngine(model, {"put": _put_hedge()}, costs=CostsConfig.named(costs))
    spx, v = _shocked_path()
    res = engine.evaluate(spx, v, log_paths=[0])
    buy = [t for t in res.trades if t.action == "SPX put buy"]
    assert len(buy) == 1 and buy[0].day == 0
    strike, price0 = 4750.0, buy[0].price
    assert buy[0].strikes == (strike,)
    (sold,) = [t for t in res.trades if t.action == "SPX put sell"]
    assert sold.day == TENOR and sold.price == 350.0 and sold.cost == 0.0
    assert abs(_iv(price0, SPOT0, strike, TENOR, model)
               - _iv(_cos_put(model, SPOT0, V0, TENOR, strike), SPOT0, strike, TENOR, model)) \
        < 0.001
    vix0 = float(model.vix_index(np.array([V0]))[0])
    cost = CostsConfig.named(costs)
    unit_cost = cost.half_spread("spx", price0, vix0) + cost.spx_commission / 100
    spend = 0.02 * TENOR / 252
    qty = spend / (price0 + unit_cost)
    pnl = dict(zip(PNL_NAMES, res.pnl[0, 0], strict=True))
    assert pnl["put_costs"] == pytest.approx(-qty * unit_cost, rel=1e-12, abs=1e-18)
    assert pnl["hedge_premium"] == pytest.approx(qty * price0, rel=1e-12)
    hedge = res.hedge[0, 0]  # the layer's P&L so far, costs in, open put at its mark
    for d in range(1, TENOR):
        spot, var = (SPOT0, V0) if d < SHOCK_DAY else (SPOT1, V1)
        mark = (hedge[d] + qty * (price0 + unit_cost)) / qty
        direct = _cos_put(model, spot, var, TENOR - d, strike)
        assert abs(_iv(mark, spot, strike, TENOR - d, model)
                   - _iv(direct, spot, strike, TENOR - d, model)) < 0.001, d
    # expiry: the intrinsic value, exactly, and no cost
    assert pnl["layer_puts"] == pytest.approx(qty * (350.0 - price0), rel=1e-12)
    assert hedge[TENOR] == pytest.approx(qty * (350.0 - price0 - unit_cost), rel=1e-12)
    assert not any(pnl[f"layer_{k}"] for k in ("front", "middle", "tail"))
    assert sum(pnl[b] for b in PNL_PARTS) == pytest.approx(res.equity[0, 0, -1] - 1, abs=1e-14)


def test_a_put_spread_pays_its_width_at_most_and_each_leg_pays_its_spread(model):
    """Long 4750, short 4500 (spread_width 250): at 4400 it settles at 250 points, not 350;
    at the purchase both legs pay a half-spread and a fee."""
    cost = CostsConfig.named("retail_combo")
    engine = StrategyEngine(model, {"spread": _put_hedge(spread_width=250.0)}, costs=cost)
    spx, v = _shocked_path()
    res = engine.evaluate(spx, v, log_paths=[0])
    buy = next(t for t in res.trades if t.action == "SPX put buy")
    price = buy.price
    assert buy.strikes == (4750.0, 4500.0)
    long_put = sim.Pricer(model).spx_option(SPOT0, V0, TENOR, 4750.0, "put")
    short_put = sim.Pricer(model).spx_option(SPOT0, V0, TENOR, 4500.0, "put")
    assert price == pytest.approx(long_put - short_put, rel=1e-12)
    vix0 = float(model.vix_index(np.array([V0]))[0])
    unit_cost = (cost.half_spread("spx", long_put, vix0) + cost.half_spread("spx", short_put, vix0)
                 + 2 * cost.spx_commission / 100)
    qty = 0.02 * TENOR / 252 / (price + unit_cost)
    pnl = dict(zip(PNL_NAMES, res.pnl[0, 0], strict=True))
    assert pnl["put_costs"] == pytest.approx(-qty * unit_cost, rel=1e-12)
    assert pnl["layer_puts"] == pytest.approx(qty * (250.0 - price), rel=1e-12)


def test_pput_sizing_buys_one_put_per_index_unit_each_month(model):
    """pput_like on a flat S&P 500 at 5000: a 4750 put per unit of the core (1 / 5000 of
    equity per point) bought on day 0, expiring worthless on day 21, bought again that day."""
    cfg = StrategyConfig.model_validate({"hedge": "pput_like", "index": "sp500"})
    engine = StrategyEngine(model, {"pput": cfg}, costs=CostsConfig.none())
    n = 2 * TENOR + 1
    res = engine.evaluate(np.full((1, n + 1), SPOT0), np.full((1, n + 1), V0), log_paths=[0])
    buys = [t for t in res.trades if t.action == "SPX put buy"]
    assert [t.day for t in buys] == [0, TENOR, 2 * TENOR]
    price = sim.Pricer(model).spx_option(SPOT0, V0, TENOR, 4750.0, "put")
    units = 1.0 / SPOT0
    for t in buys:
        assert t.price == pytest.approx(price, rel=1e-12)
        assert t.contracts == pytest.approx(units * engine.capital / 100, rel=1e-12)
    pnl = dict(zip(PNL_NAMES, res.pnl[0, 0], strict=True))
    # two puts expired worthless, the third is marked at the horizon (20 days left)
    third = sim.Pricer(model).spx_option(SPOT0, V0, TENOR - 1, 4750.0, "put")
    assert pnl["layer_puts"] == pytest.approx(units * (third - 3 * price), rel=1e-10)
    assert pnl["hedge_premium"] == pytest.approx(3 * units * price, rel=1e-12)


def test_put_layers_are_encoded_with_their_instrument_and_rules():
    cfg = StrategyConfig.model_validate({"condor": {"preset": "monthly_16_delta"},
                                         "hedge": {"preset": "alvh_calls_puts"}})
    rows = S.layer_rows(cfg)
    assert list(rows[:, S.LS_INSTRUMENT]) == [S.INSTRUMENT_VIX_CALL, S.INSTRUMENT_SPX_PUT,
                                              S.INSTRUMENT_VIX_CALL]
    assert rows[1, S.LS_STRIKE_RULE] == S.PUT_STRIKE_RULES["delta"]
    assert rows[1, S.LS_STRIKE_VALUE] == 0.10 and rows[1, S.LS_STRIKE_STEP] == 5.0
    pput = StrategyConfig.model_validate({"hedge": "pput_like", "index": "sp500"})
    assert S.strategy_row(pput, 0, CostsConfig.none(), 1e6)[S.SS_HEDGE_MODE] \
        == S.HEDGE_PER_INDEX_UNIT
    assert S.layer_rows(pput)[0, S.LS_PER_CONDOR] == 1.0


BAD = """
name: bad
simulation: {{paths: 16, days: 21}}
strategies:
  h: {{condor: {{preset: monthly_16_delta}}, hedge: {hedge}{index}}}
"""


@pytest.mark.parametrize("hedge, index, loc, allowed", [
    # a strike rule that finds no strike: K = S (1 - 1.2) < 0
    ("{preset: spx_puts_40_40_20, layers: {front: {strike: {rule: pct_below_spot, value: 1.2}}}}",
     "", "hedge.layers.front.strike", "pct_below_spot must be in (0, 0.5]"),
    # a put delta of 0.5 or more is not an out-of-the-money put
    ("{preset: spx_puts_40_40_20, layers: {front: {strike: {rule: delta, value: 0.6}}}}",
     "", "hedge.layers.front", "|delta| must be in (0, 0.5)"),
    # VIX-call strike rules do not strike an SPX put
    ("{preset: spx_puts_40_40_20, layers: {front: {strike: {rule: spot_multiple, value: 2}}}}",
     "", "hedge.layers.front", "takes delta or pct_below_spot"),
    # a spread narrower than the strike grid rounds onto its long put
    ("{preset: spx_puts_40_40_20, layers: {front: {spread_width: 2.0}}}", "",
     "hedge.layers.front", "spread_width (2.0) must be 0 or at least strike.step (5.0)"),
    ("{preset: alvh_40_40_20, layers: {front: {strike: {rule: pct_below_spot, value: 0.05}}}}",
     "", "hedge.layers.front", "pct_below_spot is for spx_put layers"),
    ("{preset: alvh_40_40_20, layers: {front: {instrument: spx_future}}}", "",
     "hedge.layers.front.instrument", "'vix_call' or 'spx_put'"),
    ("{preset: pput_like}", "", "strategies.h", "needs an index core"),
    ("{preset: spx_puts_40_40_20, layers: {front: {weight: 0.7}}}", "", "hedge",
     "layer weights must sum to (0, 1]"),
])
def test_bad_put_layers_exit_2_naming_the_field(tmp_path, capsys, hedge, index, loc, allowed):
    path = tmp_path / "bad.yaml"
    path.write_text(BAD.format(hedge=hedge, index=index))
    assert main(["validate", str(path)]) == 2
    err = capsys.readouterr().err
    assert str(path) in err and loc in err and allowed in err, err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.yaml"]


# ---- the RSI-of-VVIX split -------------------------------------------------------------------

def _split_hedge(enabled=True):
    return StrategyConfig.model_validate({"hedge": {
        "preset": "alvh_vvix_split", "layers": {"middle": {"dte": 30, "roll_dte": 7}},
        "vvix_split": {"enabled": enabled, "period": 5}, "regime": {"enabled": False},
        "term_structure": {"enabled": False}, "monetize": {"enabled": False}}})


def test_the_vvix_rsi_splits_each_purchase_between_calls_and_puts(model):
    """Front VIX call (weight 0.4), middle SPX put (0.4), tail VIX call (0.2): calls hold 0.6
    of the weight, puts 0.4. On day 0 the RSI(5) is not yet defined: the layers' weights. On
    day 16 (the front and middle roll) VVIX has risen every day (RSI 100, the high bucket:
    30 % calls, 70 % puts): the front call gets 0.3 / 0.6 = 0.5 of its fixed spend and the
    put 0.7 / 0.4 = 1.75; falling VVIX (RSI 0, low bucket, 70/30): 1.1667 and 0.75."""
    engine = StrategyEngine(model, {"fixed": _split_hedge(False), "split": _split_hedge()},
                            costs=CostsConfig.none())
    n = 30
    spx, v = np.full((1, n + 1), SPOT0), np.full((1, n + 1), V0)
    spend = {}
    for trend, vvix in (("up", 100.0 + np.arange(n + 1.0)), ("down", 130.0 - np.arange(n + 1.0))):
        res = engine.evaluate(spx, v, vvix=vvix[None], log_paths=[0])
        np.testing.assert_array_equal(res.vvix[0], vvix)
        for t in res.trades:
            if t.action.endswith(" buy"):
                spend[trend, t.strategy, t.day, t.action] = -t.cash_flow
    for trend, call, put in (("up", 0.5, 1.75), ("down", 0.7 / 0.6, 0.3 / 0.4)):
        for action, factor in (("VIX call buy", call), ("SPX put buy", put)):
            assert spend[trend, "split", 0, action] == pytest.approx(
                spend[trend, "fixed", 0, action], rel=1e-12)
            assert spend[trend, "split", 16, action] == pytest.approx(
                factor * spend[trend, "fixed", 16, action], rel=1e-12), (trend, action)


@pytest.mark.parametrize("rsi_value, call, put", [
    (np.nan, 1.0, 1.0), (10.0, 0.7 / 0.6, 0.3 / 0.4), (30.0, 0.5 / 0.6, 0.5 / 0.4),
    (69.9, 0.5 / 0.6, 0.5 / 0.4), (70.0, 0.3 / 0.6, 0.7 / 0.4)])
def test_vvix_split_factor_by_hand(rsi_value, call, put):
    """The buckets: below 30, 30 to below 70, 70 and up; the spend over all layers (weights
    0.4 call, 0.4 put, 0.2 call) is the budget's whatever the bucket."""
    from simulator.strategy import kernels as K
    cfg = _split_hedge()
    ss = S.strategy_row(cfg, 0, CostsConfig.none(), 1e6)
    ls = S.layer_rows(cfg)
    factors = [K.vvix_split_factor(ss, ls, k, rsi_value) for k in range(3)]
    assert factors == pytest.approx([call, put, call], rel=1e-14)
    assert sum(f * w for f, w in zip(factors, (0.4, 0.4, 0.2), strict=True)) \
        == pytest.approx(1.0, rel=1e-14)


def test_history_paths_read_the_real_vvix(model):
    """On real dates the engine's VVIX is Cboe's close (simulator/data/market/vvix_daily.csv:
    the model's where the data has none."""
    from simulator.model.stylized_facts import load_market_series
    data = load_market_series("vvix_daily")
    dates = np.array(["2020-03-13", "2020-03-16", "1990-01-02"])
    engine = StrategyEngine(model, {"put": _put_hedge()})
    got = engine.vvix_of(np.full((1, 3), V0), None, dates[None])[0]
    for d, value in zip(dates[:2], got[:2], strict=True):
        assert value == data["close"][list(data["date"]).index(d)]
    from simulator.pricing.vvix import model_vvix
    assert got[2] == pytest.approx(float(model_vvix(model, V0)[0]), abs=0.05)


@pytest.mark.parametrize("split, loc, allowed", [
    ("{low: 70, high: 30}", "hedge.vvix_split", "thresholds out of order"),
    ("{weights: {low: {vix_calls: 0.7, spx_puts: 0.2}, middle: {vix_calls: 0.5, spx_puts: 0.5},"
     " high: {vix_calls: 0.3, spx_puts: 0.7}}}", "hedge.vvix_split.weights.low",
     "must sum to 1"),
    ("{weights: {low: {vix_calls: 0.7, spx_puts: 0.3}}}", "hedge.vvix_split",
     "give low, middle and high"),
    ("{period: 1}", "hedge.vvix_split.period", "greater than or equal to 2"),
])
def test_bad_vvix_split_exits_2_naming_the_field(tmp_path, capsys, split, loc, allowed):
    path = tmp_path / "bad.yaml"
    path.write_text(BAD.format(hedge=f"{{preset: alvh_vvix_split, vvix_split: {split}}}",
                               index=""))
    assert main(["validate", str(path)]) == 2
    err = capsys.readouterr().err
    assert str(path) in err and loc in err and allowed in err, err


def test_the_split_needs_calls_and_puts(tmp_path, capsys):
    path = tmp_path / "bad.yaml"
    path.write_text(BAD.format(hedge="{preset: alvh_40_40_20, vvix_split: {enabled: true}}",
                               index=""))
    assert main(["validate", str(path)]) == 2
    assert "at least one vix_call and one spx_put layer" in capsys.readouterr().err


def test_the_exposures_of_a_put_layer_are_its_greeks(model):
    """The book's delta (P&L of a 1 % S&P 500 rise), as simulation.keep_paths records it
    (reference.position_exposures, central differences of the day loop's pricer), of a long
    4750 put: the pricer's sticky-moneyness delta x 1 % of spot; a put gains when VIX rises."""
    from simulator.strategy.reference import position_exposures
    engine = StrategyEngine(model, {"put": _put_hedge()})
    qty, d, expiry = 0.002, 3, 24
    out = position_exposures(engine, [], [(qty, 4750.0, expiry, "spx_put", 0.0)], 0.0, d,
                             SPOT0, V0, V0)
    delta = sim.Pricer(model).spx_delta(SPOT0, V0, expiry - d, 4750.0, "put")
    assert out["delta"] == pytest.approx(qty * delta * 0.01 * SPOT0, rel=2e-3)
    assert out["delta"] < 0 and out["vega"] > 0 and out["vix_delta"] > 0
    spread = position_exposures(engine, [], [(qty, 4750.0, expiry, "spx_put", 4500.0)], 0.0, d,
                                SPOT0, V0, V0)
    assert out["delta"] < spread["delta"] < 0  # the short put gives part of it back
