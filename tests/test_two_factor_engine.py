"""The strategy engine on two-factor paths: every trade priced at the day's (v, m) as the
Pricer prices it, deltas against finite differences, the term-structure rule driven by the
central tendency alone, a scenario file end to end, and the fair game (P = Q, no costs =>
every strategy earns the risk-free rate)."""

import math

import numpy as np
import pytest

import simulator as sim
from simulator.common.conventions import FRONT_FUTURE_DTE, SECOND_FUTURE_DTE
from simulator.strategy import StrategyEngine, evaluate_strategies, strategy
from simulator.strategy.config import trading_days
from simulator.strategy.engine import PNL_NAMES, PNL_PARTS

BUCKETS = PNL_PARTS


@pytest.fixture(scope="module")
def model():
    return sim.load_model("svcj_2f_default")


@pytest.fixture(scope="module")
def pricer(model):
    return sim.Pricer(model)


@pytest.fixture(scope="module")
def paths(model):
    ds = sim.simulate_paths(model, n_paths=120, n_days=126, seed=17)
    return ds.spx.values, ds.v.values, ds.vix.values, ds.m.values


def test_every_trade_is_priced_at_the_days_two_factor_state(model, pricer, paths):
    """Condor credits and VIX-call premiums logged by the kernel equal the Pricer's prices at
    that path-day's (v, m); priced at another m they would be off by tenths of points (checked,
    so the test can fail)."""
    spx, v, vix, m = paths
    cfg = strategy("monthly_16_delta", {"preset": "alvh_40_40_20",
                                        "term_structure": {"enabled": False}})
    condor_days = float(cfg.condor.dte_trading_days)
    tenors = {name: layer.dte_trading_days for name, layer in cfg.hedge.layers.items()}
    r = StrategyEngine(model, {"s": cfg}).evaluate(spx, v, vix, m=m,
                                                   log_paths=range(0, 120, 9))
    opens = [t for t in r.trades if t.action == "condor open"]
    buys = [t for t in r.trades if t.action == "VIX call buy"]
    assert len(opens) > 50 and len(buys) > 100
    for t in opens:
        p, d = t.path, t.day
        pl, ps, cs, cl = t.strikes
        price = pricer.spx_option
        state = (spx[p, d], v[p, d], condor_days)
        legs = (price(*state, ps, "put", m=m[p, d]) - price(*state, pl, "put", m=m[p, d])
                + price(*state, cs, "call", m=m[p, d]) - price(*state, cl, "call", m=m[p, d]))
        assert t.price == pytest.approx(float(legs), abs=1e-9)
    gap_at_other_m = 0.0
    for t in buys:
        p, d = t.path, t.day
        tenor = tenors[t.detail.split(" ", 1)[0]]
        strike = float(t.detail.rsplit("strike ", 1)[1])
        price = float(pricer.vix_option(v[p, d], tenor, strike, m=m[p, d]))
        assert t.price == pytest.approx(price, abs=1e-9)
        other = float(pricer.vix_option(v[p, d], tenor, strike, m=1.5 * m[p, d]))
        gap_at_other_m = max(gap_at_other_m, abs(other - price))
    assert gap_at_other_m > 0.1


def test_pnl_buckets_add_up_on_two_factor_paths(model, paths):
    spx, v, vix, m = paths
    strategies = {"unhedged": strategy("monthly_16_delta"),
                  "alvh": strategy("monthly_16_delta", "alvh_40_40_20"),
                  "vxth": strategy("cndr_like", "vxth_like")}
    r = StrategyEngine(model, strategies).evaluate(spx, v, vix, m=m)
    for name in strategies:
        k = r.index(name)
        total = r.pnl[k][:, [PNL_NAMES.index(b) for b in BUCKETS]].sum(axis=1)
        np.testing.assert_allclose(total, r.total_return(name), rtol=0, atol=1e-12)


def test_a_two_factor_engine_needs_the_central_tendency(model, paths):
    spx, v, vix, _ = paths
    e = StrategyEngine(model, {"s": strategy("monthly_16_delta")})
    with pytest.raises(ValueError, match="central tendency m"):
        e.evaluate(spx, v, vix)


@pytest.mark.parametrize("kind", ["put", "call"])
@pytest.mark.parametrize("v, m", [(0.01, 0.02), (0.04, 0.05), (0.12, 0.03)])
def test_two_factor_delta_is_the_derivative_of_the_price(pricer, kind, v, m):
    spot, days, h = 5000.0, 30.0, 0.5
    for strike in (4500.0, 5000.0, 5300.0):
        up = pricer.spx_option(spot + h, v, days, strike, kind, m=m)
        down = pricer.spx_option(spot - h, v, days, strike, kind, m=m)
        delta = pricer.spx_delta(spot, v, days, strike, kind, m=m)
        assert float(delta) == pytest.approx(float(up - down) / (2 * h), abs=2e-4)


def test_the_term_structure_rule_fires_on_the_central_tendency_alone(model, pricer):
    """Spot VIX constant at 30 for 40 days while m falls at day 25 (v rises so that
    VIX^2 = A + B v + C m stays put): the curve goes from contango to inverted with nothing in
    spot VIX, and the term-structure rule (front minus second future above a threshold)
    re-strikes the condor on day 25. With m held, it never fires. A one-factor model, whose
    curve is a function of spot VIX, cannot produce this day at all."""
    n, jump, level = 40, 25, 30.0
    m = np.full(n + 1, 0.08)
    m[jump:] = 0.005

    def state(m_path):
        v_path = np.asarray(model.variance_from_vix(np.full(n + 1, level), m=m_path), float)
        np.testing.assert_allclose(model.vix_index(v_path, m_path), level, rtol=1e-12)
        return v_path

    v = state(m)
    front, second = trading_days(FRONT_FUTURE_DTE), trading_days(SECOND_FUTURE_DTE)
    spread = [float(pricer.vix_future(v[d], front, m=m[d])
                    - pricer.vix_future(v[d], second, m=m[d])) for d in (0, jump)]
    assert spread[0] < 0 < spread[1]  # contango, then inverted; spot VIX unchanged
    hedge = {"preset": "alvh_40_40_20", "monetize": {"enabled": False},
             "term_structure": {"enabled": True, "threshold_points": spread[1] / 2,
                                "lookback_trading_days": 0, "tighten_condor_sd": 1.0}}
    cfg = {"preset": "monthly_16_delta", "every_trading_days": 100, "exit_dte": 0,
           "take_profit": None, "stop_multiple": None}
    e = StrategyEngine(model, {"s": strategy(cfg, hedge)})
    spx = np.full((1, n + 1), model.spx0)
    moved = e.evaluate(spx, v[None], m=m[None], log_paths=[0])
    held_m = np.full(n + 1, 0.08)
    held = e.evaluate(spx, state(held_m)[None], m=held_m[None], log_paths=[0])
    assert [t.day for t in moved.trades if "re-strike" in t.detail] == [jump]
    assert [t.day for t in moved.trades if "roll out" in t.detail] == [jump]
    assert not [t for t in held.trades if "re-strike" in t.detail or "roll out" in t.detail]


def test_a_two_factor_scenario_file_runs_end_to_end():
    from simulator.scenario.loader import parse_scenario
    from simulator.scenario.runner import run_plan

    text = """
name: two_factor_smoke
model: {preset: svcj_2f_default}
simulation: {paths: 64, days: 63, seed: 3, chunk_paths: 32}
scenarios: {base: {}}
strategies:
  unhedged: {condor: {preset: monthly_16_delta}, hedge: none}
  alvh: {condor: {preset: monthly_16_delta}, hedge: {preset: alvh_40_40_20}}
"""
    cube = run_plan(parse_scenario(text))
    assert np.isfinite(cube.total_return).all()
    np.testing.assert_allclose(cube.trading_return, cube.total_return - cube.interest,
                               atol=1e-12)


def _p_equals_q(model):
    d = model.to_dict()
    shared = {k: d["P"][k] for k in ("sigma_v", "rho", "sigma_m")}  # one value under P and Q
    d["P"] = dict(d["Q"], equity_premium=0.0, **shared)
    fair = sim.Model.from_dict(d, name="p_equals_q_2f", feller_acknowledged=True)
    assert fair.Q == model.Q  # the same prices (and tables) as the model's
    return fair


def test_fair_game_on_two_factor_paths(model):
    """Under P = Q with free trading, discounted equity is a martingale: a leg priced at the
    wrong m, or a table blend that leaks, shows as a mean excess return (3 standard errors)."""
    fair = _p_equals_q(model)
    strategies = {"unhedged": strategy("monthly_16_delta", costs="none"),
                  "alvh": strategy("monthly_16_delta", "alvh_40_40_20", costs="none"),
                  "vxth": strategy("cndr_like", "vxth_like", costs="none")}
    n_paths, n_days = 8000, 126
    r = evaluate_strategies(fair, strategies, n_paths, n_days, seed=23)
    risk_free = math.exp(model.r * n_days / 252) - 1
    for name in strategies:
        ret = r.total_return(name)
        se = ret.std(ddof=1) / math.sqrt(n_paths)
        assert abs(ret.mean() - risk_free) < 3 * se, (name, ret.mean() - risk_free, se)
