"""Strategy engine: pricing kernels it adds, strike rules, accounting invariants, the trading
rules on hand-made paths, and the fair-game test (P = Q, no costs => mean return = r)."""

import math

import numpy as np
import pandas as pd
import pytest

import simulator as sim
from simulator.common.conventions import FRONT_FUTURE_DTE, SECOND_FUTURE_DTE
from simulator.model.stress import Shock
from simulator.pricing.lookups import condor_value, vix_implied_vol
from simulator.pricing.pricer import Pricer
from simulator.strategy import StrategyEngine, evaluate_strategies, strategy
from simulator.strategy.config import trading_days
from simulator.strategy.engine import COUNT_NAMES, PNL_NAMES, PNL_PARTS
from simulator.strategy.indicators import macd_histogram, rsi
from simulator.strategy.strikes import (
    MODE_DELTA,
    MODE_PROB,
    condor_strikes,
    spx_grid_strike,
    spx_measure,
    vix_call_strike,
)

BUCKETS = PNL_PARTS  # the buckets that add up to the total P&L (hedge_premium is a memo)


@pytest.fixture(scope="module")
def model():
    return sim.load_model("svcj_default")


@pytest.fixture(scope="module")
def tab(model):
    t = Pricer(model).tables
    return t.kernel_tables


@pytest.fixture(scope="module")
def paths(model):
    ds = sim.simulate_paths(model, n_paths=300, n_days=126, seed=11)
    return ds.spx.values, ds.v.values, ds.vix.values


def _flat(model, n_days, vix_level, spx0=None):
    spx = np.full(n_days + 1, spx0 or model.spx0)
    v = np.full(n_days + 1, float(model.variance_from_vix(vix_level)))
    return spx, v


def _one(engine, spx, v, **kw):
    return engine.evaluate(spx[None, :], v[None, :], log_paths=[0], **kw)


# ---- indicators ---------------------------------------------------------------------------

def test_macd_matches_pandas_ewm():
    x = 20 + np.cumsum(np.random.default_rng(1).normal(size=200))
    out = np.empty_like(x)
    macd_histogram(x, 12, 26, 9, out)
    s = pd.Series(x)
    line = s.ewm(span=12, adjust=False).mean() - s.ewm(span=26, adjust=False).mean()
    hist = (line - line.ewm(span=9, adjust=False).mean()).values
    assert np.isnan(out[:34]).all()
    np.testing.assert_allclose(out[34:], hist[34:], rtol=0, atol=1e-12)


def test_rsi_matches_wilders_definition():
    x = 20 + np.cumsum(np.random.default_rng(2).normal(size=120))
    out = np.empty_like(x)
    rsi(x, 14, out)
    d = np.diff(x)
    gain, loss = np.clip(d, 0, None), np.clip(-d, 0, None)
    avg_g, avg_l = gain[:14].mean(), loss[:14].mean()
    expected = [100 - 100 / (1 + avg_g / avg_l)]
    for g, lo in zip(gain[14:], loss[14:], strict=True):
        avg_g = (13 * avg_g + g) / 14
        avg_l = (13 * avg_l + lo) / 14
        expected.append(100 - 100 / (1 + avg_g / avg_l))
    assert np.isnan(out[:14]).all()
    np.testing.assert_allclose(out[14:], expected, atol=1e-10)


# ---- pricing and strikes ------------------------------------------------------------------

@pytest.mark.parametrize("days", [0.0, 1.0, 17.0, 31.0, 200.0])
def test_condor_value_is_the_sum_of_its_four_legs(model, tab, days):
    spot, v = 4980.0, 0.025
    k = (4600.0, 4700.0, 5250.0, 5300.0)
    price = Pricer(model).spx_option
    legs = (price(spot, v, days, k[1], "put") - price(spot, v, days, k[0], "put")
            + price(spot, v, days, k[2], "call") - price(spot, v, days, k[3], "call"))
    got = condor_value(spot, v, 0.0, days, *k, tab.spx_iv, tab.qp, tab.qp2, tab.grid, tab.vol_nodes,
                       tab.m_nodes)
    assert got == pytest.approx(legs, abs=1e-10)


@pytest.mark.parametrize("mode, target", [(MODE_DELTA, 0.16), (MODE_DELTA, 0.05),
                                          (MODE_PROB, 0.15)])
@pytest.mark.parametrize("is_call", [False, True])
@pytest.mark.parametrize("v, days", [(0.0163, 31.0), (0.09, 21.0), (0.03, 120.0)])
def test_grid_strike_is_the_nearest_on_the_grid(tab, mode, target, is_call, v, days):
    spot, step = 5000.0, 5.0
    k = spx_grid_strike(mode, target, spot, v, 0.0, days, is_call, step, tab)
    assert k % step == 0
    miss = [abs(spx_measure(mode, spot, v, 0.0, days, x, is_call, tab) - target)
            for x in (k - step, k, k + step)]
    assert miss[1] <= miss[0] and miss[1] <= miss[2]


def test_probability_rule_matches_monte_carlo_under_q(model, tab):
    """70 % between the shorts: the Breeden-Litzenberger probability from the model's smile
    against the share of Q-paths ending between the (grid) strikes; tolerance 3 SE + grid."""
    days = 31
    out = np.empty(4)
    condor_strikes(1, 0.70, 0, 50.0, 0.0, model.spx0, model.v0, 0.0, float(days), 5.0, tab,
                   out)
    n = 40_000
    end = sim.simulate_paths(model, n_paths=n, n_days=days, seed=5, measure="Q").spx.values[:, -1]
    share = np.mean((end > out[1]) & (end < out[2]))
    implied = 1 - (spx_measure(MODE_PROB, model.spx0, model.v0, 0.0, days, out[1], False, tab)
                   + spx_measure(MODE_PROB, model.spx0, model.v0, 0.0, days, out[2], True, tab))
    se = math.sqrt(implied * (1 - implied) / n)
    assert abs(share - implied) < 3 * se, (share, implied, se)
    # and the grid strikes are within one step's worth of probability of the 70 % target
    step_prob = abs(spx_measure(MODE_PROB, model.spx0, model.v0, 0.0, days, out[1] + 5, False, tab)
                    - spx_measure(MODE_PROB, model.spx0, model.v0, 0.0, days, out[1], False, tab))
    assert abs(implied - 0.70) < 2 * step_prob + 1e-3


def test_condor_strikes_are_ordered_and_widths_kept(model, tab):
    out = np.empty(4)
    condor_strikes(0, 0.16, 0, 50.0, 0.0, 5000.0, 0.02, 0.0, 31.0, 5.0, tab, out)
    assert out[0] < out[1] < 5000.0 < out[2] < out[3]
    assert out[1] - out[0] == 50.0 and out[3] - out[2] == 50.0
    shifted = np.empty(4)
    condor_strikes(0, 0.16, 0, 50.0, 1.0, 5000.0, 0.02, 0.0, 31.0, 5.0, tab, shifted)
    sd = 5000.0 * math.sqrt(0.02 * 31 / 252)
    assert out[1] - shifted[1] == pytest.approx(sd, rel=0.3)  # one SD further out
    assert shifted[1] - shifted[0] == 50.0


def test_vix_call_strikes(model, tab):
    v = float(model.variance_from_vix(20.0))
    future = float(Pricer(model).vix_future(v, 21))
    assert vix_call_strike(1, 0.10, 1.0, v, 0.0, 21.0, 20.0, tab, np.nan) == round(future * 1.1)
    assert vix_call_strike(2, 2.0, 1.0, v, 0.0, 21.0, 20.0, tab, np.nan) == 40.0
    k = vix_call_strike(0, 0.30, 1.0, v, 0.0, 21.0, 20.0, tab, np.nan)
    tables = Pricer(model).tables

    def delta(strike):  # central difference in the future, independent of the kernel's Black
        h = 1e-4 * future
        t = 21 / 252
        sig = _vix_iv(tables, v, strike, future)
        from scipy.stats import norm
        s = sig * math.sqrt(t)
        d1 = (math.log((future + h) / strike) + s * s / 2) / s
        d0 = (math.log((future - h) / strike) + s * s / 2) / s
        c1 = math.exp(-model.r * t) * ((future + h) * norm.cdf(d1) - strike * norm.cdf(d1 - s))
        c0 = math.exp(-model.r * t) * ((future - h) * norm.cdf(d0) - strike * norm.cdf(d0 - s))
        return (c1 - c0) / (2 * h)
    misses = [abs(delta(x) - 0.30) for x in (k - 1, k, k + 1)]
    assert misses[1] <= min(misses[0], misses[2]) + 1e-9


def _vix_iv(tables, v, strike, future):
    t = tables.kernel_tables
    return vix_implied_vol(v, 0.0, 21.0, strike, future, t.vix_iv, t.qp, t.qp2, t.grid,
                           t.vol_nodes, t.m_nodes)


# ---- accounting invariants ----------------------------------------------------------------

ALL_RULES = {
    "preset": "alvh_40_40_20",
    "term_structure": {"enabled": True, "threshold_points": 1.0, "lookback_trading_days": 0,
                       "tighten_condor_sd": 0.5},
    "macd": {"enabled": True}, "rsi": {"enabled": True, "below": 60},
    "monetize": {"enabled": True, "profit_multiple": 2.0, "vix_above": 30,
                 "rearm_vix_below": 22},
}


def test_zero_budget_is_bit_identical_to_unhedged(model, paths):
    e = StrategyEngine(model, {
        "unhedged": strategy("monthly_16_delta"),
        "zero": strategy("monthly_16_delta", {"preset": "alvh_40_40_20", "budget_annual": 0.0}),
        "zero_all_rules": strategy("monthly_16_delta", {**ALL_RULES, "budget_annual": 0.0,
                                                        "term_structure": {"enabled": False}}),
    })
    r = e.evaluate(*paths)
    for other in ("zero", "zero_all_rules"):
        assert np.array_equal(r.equity[0], r.equity[r.index(other)])
        assert np.array_equal(r.pnl[0], r.pnl[r.index(other)])
    assert r.count_of("zero", "hedge_bought").sum() == 0


def test_pnl_buckets_add_up_to_the_total_return(model, paths):
    strategies = {
        "unhedged": strategy("monthly_16_delta"),
        "alvh": strategy("monthly_16_delta", "alvh_40_40_20"),
        "all_rules": strategy("conservative_070", ALL_RULES),
        "c442_whole": strategy({"preset": "cndr_like", "whole_contracts": True},
                               {"preset": "alvh_4_4_2", "whole_contracts": True}),
        "vxth": strategy("cndr_like", "vxth_like"),
        "hedge_only": strategy(None, "alvh_40_40_20"),
    }
    r = StrategyEngine(model, strategies).evaluate(*paths)
    for name in strategies:
        k = r.index(name)
        total = r.pnl[k][:, [PNL_NAMES.index(b) for b in BUCKETS]].sum(axis=1)
        np.testing.assert_allclose(total, r.total_return(name), rtol=0, atol=1e-12)
    # every rule did fire somewhere in this sample, so the identity covers them all
    k = r.index("all_rules")
    for count in ("condor_take_profit", "condor_stop", "condor_exit_dte", "hedge_rolled",
                  "hedge_monetized", "hedge_filter_blocked_days", "condor_restruck"):
        assert r.counts[k, :, COUNT_NAMES.index(count)].sum() > 0, count
    assert r.count_of("vxth", "hedge_expired").sum() > 0


@pytest.mark.parametrize("whole", [False, True])
def test_risk_per_tranche_is_never_exceeded(model, paths, whole):
    """The rule of versions <= 0.1 (max loss alone); the default rule is tested in
    test_measurement.py."""
    cfg = {"preset": "monthly_16_delta", "risk_per_tranche": 0.03, "whole_contracts": whole,
           "sizing": "condor_max_loss"}
    e = StrategyEngine(model, {"s": strategy(cfg, "alvh_40_40_20")}, capital=2_000_000)
    r = e.evaluate(*paths, log_paths=range(0, 300, 7))
    opens = [t for t in r.trades if t.action == "condor open"]
    assert len(opens) > 50
    for t in opens:
        kp_long, kp_short, kc_short, kc_long = t.strikes
        max_loss = max(kp_short - kp_long, kc_long - kc_short) - t.price
        risk = t.contracts * 100 / 2_000_000 * max_loss
        assert risk <= 0.03 * t.equity * (1 + 1e-12)
        if whole:
            assert t.contracts == round(t.contracts)
            assert risk > 0.03 * t.equity - max_loss * 100 / 2_000_000  # within one contract
        else:
            assert risk == pytest.approx(0.03 * t.equity, rel=1e-12)


def test_results_do_not_depend_on_neighbours_or_chunks(model):
    b = {"b": strategy("conservative_070", ALL_RULES)}
    both = {"a": strategy("monthly_16_delta", "alvh_4_4_2"), **b,
            "c": strategy("cndr_like", "vxth_like")}
    alone = evaluate_strategies(model, b, 200, 63, seed=3, chunk_size=200)
    beside = evaluate_strategies(model, both, 200, 63, seed=3, chunk_size=37)
    assert np.array_equal(alone.equity[0], beside.equity[beside.index("b")])
    assert np.array_equal(alone.pnl[0], beside.pnl[beside.index("b")])


def test_books_written_into_given_memory_equal_new_arrays(model, paths):
    """evaluate(out=...) (the runner's memory reused from chunk to chunk): the result holds
    the given arrays, every element written (they start as NaN and as a previous chunk's
    books), and equal bit for bit to an evaluation into new arrays; so are the chunk's
    records and float32 books (chunk_record into given memory), none of whose arrays is a
    view of the reused memory. Memory of the wrong shape, type or layout, or three arrays
    that overlap, is refused."""
    from simulator.results.cube import chunk_record

    spx, v, vix = paths[0][:40], paths[1][:40], paths[2][:40]
    engine = StrategyEngine(model, {"u": strategy("monthly_16_delta", None),
                                    "h": strategy("monthly_16_delta", "alvh_40_40_20")})
    fresh = engine.evaluate(spx, v, vix)
    record, books = chunk_record(fresh, spx, vix)
    shape = fresh.equity.shape
    for start in (np.nan, "previous"):
        out = tuple(np.full(shape, np.nan) for _ in range(3))
        given = np.full((2 * shape[0], shape[2], shape[1]), np.nan, dtype=np.float32)
        if start == "previous":  # another chunk's books first (other paths)
            chunk_record(engine.evaluate(paths[0][40:80], paths[1][40:80], paths[2][40:80],
                                         out=out), spx, vix, books=given)
        result = engine.evaluate(spx, v, vix, out=out)
        assert result.equity is out[0] and result.trading is out[1] and result.hedge is out[2]
        for name in ("equity", "trading", "hedge", "pnl", "counts", "irr"):
            np.testing.assert_array_equal(getattr(result, name), getattr(fresh, name))
        again, again_books = chunk_record(result, spx, vix, books=given)
        assert again_books is given
        np.testing.assert_array_equal(again_books, books)
        assert again.keys() == record.keys()
        for key, values in again.items():
            np.testing.assert_array_equal(values, record[key], err_msg=key)
            assert not any(np.shares_memory(values, a) for a in (*out, given)), key
    bad = [tuple(np.empty(shape) for _ in range(2)),
           (np.empty(shape), np.empty(shape), np.empty(shape, dtype=np.float32)),
           (np.empty(shape), np.empty(shape), np.empty(shape[::-1]).T),  # not C order
           (np.empty(shape), np.empty(shape), np.empty((1, *shape[1:]))),
           (out[0], out[0], out[1])]
    for arrays in bad:
        with pytest.raises(ValueError, match="out"):
            engine.evaluate(spx, v, vix, out=arrays)
    with pytest.raises(ValueError, match="books must be"):
        chunk_record(fresh, spx, vix, books=np.empty((2 * shape[0], shape[2], shape[1])))


def test_strategies_sharing_vix_call_marks_equal_each_alone():
    """Issue 30: a path's strategies share the marks of the VIX calls they hold (the same
    strike and expiry). Three hedged strategies (two with the same layers under different
    condors and costs: the same calls; one whose front layer strikes 20 % above the future
    instead of 10 %: other strikes on the same expiries) and an unhedged one must give,
    together, exactly what each gives alone (alone, a single hedged strategy shares
    nothing). A shock to VIX 60 on day 40 makes the layers monetise, re-arm and buy again.
    With a cache blind to the strike, 99.6 % of the third strategy's equity differs. The
    same for SPX put layers (0.11.4): two strategies holding the same plain middle put and
    one holding a spread on it; sharing the spread's mark as a plain put's fails this."""
    model = sim.load_model("svcj_2f_calibrated")
    cfg = {"alvh": strategy("monthly_16_delta", "alvh_40_40_20"),
           "alvh_070_none": strategy("prob_70_between", "alvh_40_40_20", costs="none"),
           "alvh_front_20": strategy("monthly_16_delta", {  # other strikes, same expiries
               "preset": "alvh_40_40_20",
               "layers": {"front": {"strike": {"rule": "pct_above_future", "value": 0.2}}}}),
           "unhedged": strategy("monthly_16_delta", "none"),
           # SPX put layers share marks and quotes too (plain puts, keyed by -strike): the
           # middle put of these two is the same put; the spread's long leg is that put too,
           # but a spread is not shared (its mark is the spread's)
           "calls_puts": strategy("monthly_16_delta", "alvh_calls_puts"),
           "spx_puts": strategy("monthly_16_delta", "spx_puts_40_40_20"),
           "put_spread": strategy("monthly_16_delta", {
               "preset": "alvh_calls_puts", "layers": {"middle": {"spread_width": 100.0}}})}
    ds = sim.simulate_paths(model, n_paths=96, n_days=252, seed=30,
                            shocks=[Shock(day=40, spx_return=-0.12, vix=60.0)])
    spx, v, vix, m = ds.spx.values, ds.v.values, ds.vix.values, ds.m.values
    together = StrategyEngine(model, cfg).evaluate(spx, v, vix, m=m)
    assert together.counts[:3, :, COUNT_NAMES.index("hedge_monetized")].sum() > 0
    for k, name in enumerate(cfg):
        alone = StrategyEngine(model, {name: cfg[name]}).evaluate(spx, v, vix, m=m)
        for field in ("equity", "trading", "hedge", "pnl", "counts", "irr"):
            np.testing.assert_array_equal(getattr(together, field)[k],
                                          getattr(alone, field)[0], err_msg=f"{name} {field}")


def test_condor_groups_sharing_marks_equal_each_alone():
    """0.11.8: a path's condor groups share the marks of the tranches they hold (the same
    strikes and expiry) and their openings (the same search on the same day). Groups that
    differ only in take-profit, stop or exit DTE hold the same tranches until one exits; the
    term-structure re-strike's groups (shifts 0.75 and 0.5 SD) hold them until the trigger
    fires, then each its own, re-struck on the same days at the same expiries; the
    0.70-probability condor other strikes on the same expiries; a weekly group's other
    expiries. Together they must give exactly what each gives alone (alone, a
    single group shares nothing). A shock to VIX 60 on day 40 fires the stops and the
    re-strike."""
    model = sim.load_model("svcj_2f_calibrated")
    cfg = {"base": strategy("monthly_16_delta", "none"),
           "take_30": strategy({"preset": "monthly_16_delta", "take_profit": 0.3}, "none"),
           "stop_1": strategy({"preset": "monthly_16_delta", "stop_multiple": 1.0,
                               "exit_dte": 10}, "alvh_40_40_20"),
           "tighten": strategy("monthly_16_delta", {
               "preset": "alvh_40_40_20", "term_structure": {"tighten_condor_sd": 0.75}}),
           "tighten_050": strategy("monthly_16_delta", {
               "preset": "alvh_40_40_20", "term_structure": {"tighten_condor_sd": 0.5}}),
           "prob_070": strategy("prob_70_between", "none", costs="none"),
           "weekly": strategy({"preset": "monthly_16_delta", "every_trading_days": 5},
                              "none")}
    ds = sim.simulate_paths(model, n_paths=64, n_days=126, seed=31,
                            shocks=[Shock(day=40, spx_return=-0.12, vix=60.0)])
    spx, v, vix, m = ds.spx.values, ds.v.values, ds.vix.values, ds.m.values
    engine = StrategyEngine(model, cfg)
    assert engine.groups.shape[0] == len(cfg)  # seven condor groups
    together = engine.evaluate(spx, v, vix, m=m)
    closes = together.counts[:, :, [COUNT_NAMES.index(c) for c in
                                    ("condor_take_profit", "condor_stop", "condor_exit_dte")]]
    assert (closes.sum(axis=1) > 0).all()  # every group exits by rule on some path
    assert together.counts[3:5, :, COUNT_NAMES.index("condor_restruck")].sum(axis=1).min() > 0
    for k, name in enumerate(cfg):
        alone = StrategyEngine(model, {name: cfg[name]}).evaluate(spx, v, vix, m=m)
        for field in ("equity", "trading", "hedge", "pnl", "counts", "irr"):
            np.testing.assert_array_equal(getattr(together, field)[k],
                                          getattr(alone, field)[0], err_msg=f"{name} {field}")


def test_shared_marks_keep_each_call_by_strike_and_expiry():
    """The mark cache's own rules: a call is found by strike and expiry (calls of one expiry
    chained), from its first day for the maturity table's length; a full or disabled cache
    keeps nothing and is never wrong."""
    from simulator.strategy import kernels as K

    marks, index = K.new_mark_cache(30, 10, True)
    assert K.shared_mark(marks, index, 25.0, 12, 3)[0] == -1  # none yet
    K.share_mark(marks, index, -1, 25.0, 12, 3, 1.5)
    e, price = K.shared_mark(marks, index, 27.0, 12, 3)  # another strike, same expiry
    assert e == -1 and math.isnan(price)
    K.share_mark(marks, index, e, 27.0, 12, 3, 0.9)
    assert K.shared_mark(marks, index, 25.0, 12, 3) == (0, 1.5)
    assert K.shared_mark(marks, index, 27.0, 12, 3) == (1, 0.9)
    e, price = K.shared_mark(marks, index, 25.0, 12, 4)  # the next day: not computed yet
    assert e == 0 and math.isnan(price)
    K.share_mark(marks, index, e, 25.0, 12, 4, 1.6)
    assert K.shared_mark(marks, index, 25.0, 12, 4) == (0, 1.6)
    assert K.shared_mark(marks, index, 25.0, 13, 4)[0] == -1  # another expiry
    assert K.shared_mark(marks, index, 25.0, 12, 2)[0] == -2  # before its first day
    assert K.shared_mark(marks, index, 25.0, 12, 3 + 10)[0] == -2  # past the table's days
    for j in range(K.MARK_ENTRIES):  # fill the cache; a full one keeps nothing more
        K.share_mark(marks, index, -1, 100.0 + j, 20, 5, float(j))
    assert index[0] == K.MARK_ENTRIES
    assert K.shared_mark(marks, index, 25.0, 12, 4) == (0, 1.6)
    off, off_index = K.new_mark_cache(30, 10, False)
    K.share_mark(off, off_index, -2, 25.0, 12, 3, 1.5)
    assert K.shared_mark(off, off_index, 25.0, 12, 3)[0] == -2


def test_a_purchase_quote_is_the_days_mark_and_is_read_back_from_the_cache():
    """0.11.4: a VIX call bought off the model's future is quoted at its mark of that day, so
    the quote is shared: it equals the unshared quote and manage_layers' mark (vix_call_in_row
    at the maturity table's row) bit for bit, is kept under (strike, expiry) on its day, and a
    later buyer reads it from the cache (a value planted there comes back). A quote off a
    listed settlement is neither read nor kept. A plain SPX put layer's value likewise equals
    put_layer_value, is kept under its strike negated and read back; a put spread is not
    kept."""
    from simulator.pricing.lookups import state_cell, vix_call_in_row
    from simulator.pricing.maturities import table_row
    from simulator.strategy import kernels as K

    model = sim.load_model("svcj_2f_calibrated")
    engine = StrategyEngine(model, {"calls_puts": strategy("monthly_16_delta",
                                                            "alvh_calls_puts")})
    ls, tab = engine.layers[0], engine.kernel_tables  # layer 0 a VIX call, layer 1 an SPX put
    var, mvar, vix_d, spot = 0.03, 0.035, 18.0, 5000.0
    d, tenor = 5, 21
    expiry = d + tenor
    cell = state_cell(var, mvar, tab.vol_nodes, tab.m_nodes)

    marks, index = K.new_mark_cache(252, tab.maturity.shape[0], True)
    strike, quote = K._layer_quote(ls, 0, tenor, var, mvar, vix_d, tab, np.nan)
    assert K._shared_layer_quote(ls, 0, tenor, var, mvar, vix_d, tab, np.nan, marks, index,
                                 expiry, d) == (strike, quote)
    mark = vix_call_in_row(cell, var, mvar, table_row(tab.maturity, tenor), strike,
                           tab.vix_future, tab.vix_iv, tab.qp, tab.qp2, tab.grid, tab.m_nodes)
    assert mark == quote
    e, kept = K.shared_mark(marks, index, strike, expiry, d)
    assert kept == quote
    marks[e, 1] = 123.0  # the entry's first day is d: column 1
    assert K._shared_layer_quote(ls, 0, tenor, var, mvar, vix_d, tab, np.nan, marks, index,
                                 expiry, d) == (strike, 123.0)
    listed_marks, listed_index = K.new_mark_cache(252, tab.maturity.shape[0], True)
    assert K._shared_layer_quote(ls, 0, tenor, var, mvar, vix_d, tab, 25.0, listed_marks,
                                 listed_index, expiry, d) == K._layer_quote(
        ls, 0, tenor, var, mvar, vix_d, tab, 25.0)
    assert listed_index[0] == 0  # nothing kept

    put_strike, low = K.put_layer_strikes(ls, 1, tenor, spot, var, mvar, tab)
    assert low == 0.0 and put_strike > 0.0
    value = K.put_layer_value(put_strike, 0.0, float(tenor), spot, var, mvar, tab, cell)
    assert K.shared_put_value(marks, index, put_strike, 0.0, expiry, d, float(tenor), spot, var,
                              mvar, tab, cell) == value
    e, kept = K.shared_mark(marks, index, -put_strike, expiry, d)
    assert kept == value[0] and value[1] == 0.0
    marks[e, 1] = 7.0
    assert K.shared_put_value(marks, index, put_strike, 0.0, expiry, d, float(tenor), spot, var,
                              mvar, tab, cell) == (7.0, 0.0)
    entries = index[0]
    spread = K.shared_put_value(marks, index, put_strike, put_strike - 100.0, expiry, d,
                                float(tenor), spot, var, mvar, tab, cell)
    assert spread == K.put_layer_value(put_strike, put_strike - 100.0, float(tenor), spot, var,
                                       mvar, tab, cell)
    assert index[0] == entries  # a spread is not kept


def test_condor_held_to_expiry_without_costs_pays_credit_minus_intrinsic(model, paths):
    cfg = {"preset": "cndr_like", "every_trading_days": 500}  # one tranche, 21 trading days
    e = StrategyEngine(model, {"s": strategy(cfg, costs="none")})
    spx, v, vix = (a[:, :30] for a in paths)
    r = e.evaluate(spx, v, vix, log_paths=range(len(spx)))
    expiry = trading_days(30)
    for p in range(len(spx)):
        (opened,) = [t for t in r.trades if t.path == p and t.action == "condor open"]
        (closed,) = [t for t in r.trades if t.path == p and t.action == "condor close"]
        assert closed.day == expiry and "expiry" in closed.detail
        kpl, kps, kcs, kcl = opened.strikes
        s = spx[p, expiry]
        intrinsic = (max(kps - s, 0) - max(kpl - s, 0) + max(s - kcs, 0) - max(s - kcl, 0))
        qty = opened.contracts * 100 / 1_000_000
        condor = r.pnl_of("s", "condor")[p]
        assert condor == pytest.approx(qty * (opened.price - intrinsic), rel=1e-12, abs=1e-15)
        assert r.total_return("s")[p] == pytest.approx(condor + r.pnl_of("s", "interest")[p],
                                                       abs=1e-15)
        g = math.exp(model.r / 252)  # the cash, credit included, earns r every day
        qc, qi = qty * opened.price, qty * intrinsic
        final_cash = ((1 + qc) * g ** expiry - qi) * g ** (29 - expiry)
        assert r.pnl_of("s", "interest")[p] == pytest.approx(final_cash - 1 - qc + qi,
                                                             rel=1e-9)


# ---- rules on hand-made paths -------------------------------------------------------------

def _condor_value(model, spot, v, days, k):
    price = Pricer(model).spx_option
    return (price(spot, v, days, k[1], "put") - price(spot, v, days, k[0], "put")
            + price(spot, v, days, k[2], "call") - price(spot, v, days, k[3], "call"))


def test_take_profit_fires_on_the_first_day_the_rule_holds(model):
    spx, v = _flat(model, 40, 17.0)
    e = StrategyEngine(model, {"s": strategy({"preset": "monthly_16_delta", "exit_dte": 0,
                                              "every_trading_days": 100})})
    r = _one(e, spx, v)
    (opened,) = [t for t in r.trades if t.action == "condor open"]
    expiry = trading_days(45)
    expected = next(d for d in range(1, 41)
                    if _condor_value(model, spx[d], v[d], expiry - d, opened.strikes)
                    <= 0.5 * opened.price)
    (closed,) = [t for t in r.trades if t.action == "condor close"]
    assert (closed.day, closed.detail) == (expected, "tranche 0: take profit")


def test_stop_fires_in_a_slow_grind_down(model):
    n = 60
    spx = model.spx0 * np.exp(-0.004 * np.arange(n + 1))  # -0.4 % a day, VIX flat
    _, v = _flat(model, n, 20.0)
    e = StrategyEngine(model, {"s": strategy({"preset": "monthly_16_delta", "exit_dte": 0,
                                              "every_trading_days": 100})})
    r = _one(e, spx, v)
    (opened,) = [t for t in r.trades if t.action == "condor open"]
    expiry = trading_days(45)
    expected = next(d for d in range(1, n + 1)
                    if _condor_value(model, spx[d], v[d], expiry - d, opened.strikes)
                    >= 3.0 * opened.price)
    (closed,) = [t for t in r.trades if t.action == "condor close"]
    assert (closed.day, closed.detail) == (expected, "tranche 0: stop")


def test_vix_spike_monetises_rolls_out_and_rearms(model):
    """VIX 15 -> 25 (a 10-point spike) on day 30, back to 18 on day 50; the rule of versions
    <= 0.1: sell the whole layer, re-arm only below a VIX level."""
    n = 70
    spx, v = _flat(model, n, 15.0)
    v[30:50] = model.variance_from_vix(25.0)
    v[50:] = model.variance_from_vix(18.0)
    hedge = {"preset": "alvh_40_40_20",
             "monetize": {"enabled": True, "profit_multiple": None, "vix_above": 24.0,
                          "rearm_vix_below": 20.0, "sell_fraction": 1.0,
                          "rearm_after_days": 0},
             "term_structure": {"enabled": False}}
    e = StrategyEngine(model, {"s": strategy(None, hedge)})
    r = _one(e, spx, v)
    sells = [t for t in r.trades if t.action == "VIX call sell"]
    assert {t.day for t in sells if "monetise" in t.detail} == {30}
    assert len([t for t in sells if t.day == 30]) == 3
    rebuys = [t.day for t in r.trades if t.action == "VIX call buy" and 30 < t.day < 60]
    assert rebuys == [50, 50, 50]  # all three re-armed when VIX fell below 20


def test_inverted_term_structure_rolls_the_front_layer_and_restrikes_the_condor(model):
    n = 40
    spx, v = _flat(model, n, 17.0)
    v[25:] = model.variance_from_vix(45.0)
    front, second = trading_days(FRONT_FUTURE_DTE), trading_days(SECOND_FUTURE_DTE)
    future = Pricer(model).vix_future
    spread_high = float(future(v[-1], front) - future(v[-1], second))
    spread_low = float(future(v[0], front) - future(v[0], second))
    assert spread_low < 0 < spread_high  # contango, then inverted
    hedge = {"preset": "alvh_40_40_20", "monetize": {"enabled": False},
             "term_structure": {"enabled": True, "threshold_points": spread_high / 2,
                                "lookback_trading_days": 0, "roll_out_dte": 60,
                                "tighten_condor_sd": 1.0}}
    e = StrategyEngine(model, {"s": strategy({"preset": "monthly_16_delta",
                                              "every_trading_days": 100, "exit_dte": 0,
                                              "take_profit": None, "stop_multiple": None},
                                             hedge)})
    r = _one(e, spx, v)
    rolled = [t for t in r.trades if "roll out" in t.detail]
    assert [t.day for t in rolled] == [25]
    (new_front,) = [t for t in r.trades if t.action == "VIX call buy" and t.day == 25
                    and "front" in t.detail]
    # the sale (less costs) pays for the new call (premium plus costs), up to what the rolled
    # calls cost when bought: the spike's gain is banked
    held = [t for t in r.trades if t.action == "VIX call buy" and "front" in t.detail
            and t.day < 25][-1]  # the front calls held on day 25
    paid = -held.cash_flow + held.cost
    proceeds = rolled[0].cash_flow - rolled[0].cost
    assert proceeds > paid  # VIX 17 -> 45: the front calls gained
    assert -new_front.cash_flow + new_front.cost == pytest.approx(min(proceeds, paid),
                                                                  rel=1e-12)
    restruck = [t for t in r.trades if "re-strike" in t.detail]
    assert [t.day for t in restruck] == [25]
    first, second_open = [t for t in r.trades if t.action == "condor open"]
    assert second_open.day == 25 and second_open.strikes[1] < first.strikes[1]


def test_regime_scaling_follows_the_vxth_schedule(model):
    # svcj_default's front future cannot fall below ~15.9 (the model's VIX floor is 12.9 and
    # the curve is in contango there), so the zero-weight bucket is moved up to <= 17 here
    hedge = {"preset": "vxth_like", "regime": {"edges": [17.0, 30.0, 50.0]}}
    e = StrategyEngine(model, {"s": strategy(None, hedge, costs="none")})
    low = _one(e, *_flat(model, 30, 13.5))  # front future 16.2 <= 17: weight 0
    assert low.count_of("s", "hedge_bought")[0] == 0
    assert low.count_of("s", "hedge_regime_skipped")[0] >= 1
    spx, v = _flat(model, 30, 20.0)
    mid = _one(e, spx, v)
    (buy,) = [t for t in mid.trades if t.action == "VIX call buy" and t.day == 0]
    assert -buy.cash_flow == pytest.approx(0.12 * 21 / 252, rel=1e-12)  # 1 % of equity
    # held to expiry and settled on VIX
    (settle,) = [t for t in mid.trades if "expiry" in t.detail]
    assert settle.day == 21 and settle.price == pytest.approx(max(20.0 - buy.strikes[0], 0),
                                                              abs=1e-9)


def test_layers_roll_on_their_dte(model):
    e = StrategyEngine(model, {"s": strategy(None, {"preset": "alvh_40_40_20",
                                                    "monetize": {"enabled": False},
                                                    "term_structure": {"enabled": False}})})
    r = _one(e, *_flat(model, 120, 18.0))
    rolls = sorted((t.detail.split()[0], t.day) for t in r.trades if "roll" in t.detail)
    hold = {"front": trading_days(30) - trading_days(7),
            "middle": trading_days(90) - trading_days(30),
            "tail": trading_days(150) - trading_days(60)}
    for layer, days in hold.items():
        got = [d for name, d in rolls if name == layer]
        assert got == list(range(days, 121, days))[:len(got)] and got, layer


def test_rsi_filter_waits_for_vix_to_cool(model):
    n = 60
    spx = np.full(n + 1, model.spx0)
    vix_path = np.concatenate([np.linspace(15, 40, 31), np.linspace(39, 25, 30)])
    v = model.variance_from_vix(vix_path)
    hedge = {"preset": "single_front", "rsi": {"enabled": True, "below": 50},
             "monetize": {"enabled": False}, "term_structure": {"enabled": False}}
    e = StrategyEngine(model, {"s": strategy(None, hedge)})
    r = _one(e, spx, v)
    values = np.empty(n + 1)
    rsi(model.vix_index(v), 14, values)
    expected = next(d for d in range(n) if np.isnan(values[d]) or values[d] <= 50)
    first_buy = min(t.day for t in r.trades if t.action == "VIX call buy")
    assert first_buy == expected == 0  # warm-up: no opinion yet, so it buys on day 0
    later = [t.day for t in r.trades if t.action == "VIX call buy" and t.day > 0]
    blocked = [d for d in range(15, n) if values[d] > 50]
    assert blocked and not set(later) & set(blocked)


# ---- the fair game ------------------------------------------------------------------------

def _p_equals_q(model):
    d = model.to_dict()
    q = dict(d["Q"], equity_premium=0.0, sigma_v=d["P"]["sigma_v"], rho=d["P"]["rho"])
    d["P"] = q
    return sim.Model.from_dict(d, name="p_equals_q", feller_acknowledged=True)


FAIR_STRATEGIES = {
    "unhedged": strategy("monthly_16_delta", costs="none"),
    "alvh": strategy("monthly_16_delta", "alvh_40_40_20", costs="none"),
    "c070_442": strategy("conservative_070", "alvh_4_4_2", costs="none"),
    "vxth": strategy("cndr_like", "vxth_like", costs="none"),
}


def _fair_game(model, n_paths, n_days, seed):
    fair = _p_equals_q(model)
    r = evaluate_strategies(fair, FAIR_STRATEGIES, n_paths, n_days, seed)
    risk_free = math.exp(model.r * n_days / 252) - 1
    for name in FAIR_STRATEGIES:
        ret = r.total_return(name)
        se = ret.std(ddof=1) / math.sqrt(n_paths)
        assert abs(ret.mean() - risk_free) < 3 * se, (name, ret.mean() - risk_free, se)


def test_fair_game_every_strategy_earns_the_risk_free_rate(model):
    """Under P = Q with free trading, discounted equity is a martingale: a mispriced leg or a
    leaking cash flow shows up as a mean excess return (tolerance: 3 standard errors)."""
    _fair_game(model, 8000, 126, seed=21)


@pytest.mark.slow
def test_fair_game_one_year_many_paths(model):
    _fair_game(model, 40_000, 252, seed=22)


@pytest.mark.parametrize("when", ["rising", "falling"])
def test_macd_filter_buys_only_on_days_the_histogram_allows(model, paths, when):
    hedge = {"preset": "single_front", "macd": {"enabled": True, "when": when},
             "monetize": {"enabled": False}, "term_structure": {"enabled": False}}
    e = StrategyEngine(model, {"s": strategy(None, hedge)})
    spx, v, vix = paths
    r = e.evaluate(spx, v, vix, log_paths=range(len(spx)))
    sign = 1.0 if when == "rising" else -1.0
    hist = np.empty(vix.shape[1])
    buys = 0
    for t in r.trades:
        if t.action != "VIX call buy":
            continue
        macd_histogram(vix[t.path], 12, 26, 9, hist)
        assert np.isnan(hist[t.day]) or sign * hist[t.day] > 0, (t.path, t.day)
        buys += 1
    assert buys > 100 and r.count_of("s", "hedge_filter_blocked_days").sum() > 100


# ---- a long S&P 500 core (VXTH's portfolio) ------------------------------------------------

def test_an_index_core_is_the_total_return_of_the_sp500(model, paths):
    """weight 0.6 of equity in the S&P 500 at the day-0 close, dividends at 2 %/yr paid daily
    into cash, cash at r: the account by a plain loop, to 1e-12, and the buckets add up."""
    spx, v, vix = paths
    e = StrategyEngine(model, {"sp": {"index": {"weight": 0.6, "dividend_yield": 0.02}},
                               "sp_q": {"index": "sp500"}})
    r = e.evaluate(spx[:5], v[:5], vix[:5])
    g = math.exp(model.r / 252)
    for k, q in ((0, 0.02), (1, model.q)):
        w = 0.6 if k == 0 else 1.0
        for p in range(5):
            units = w / spx[p, 0]
            cash = 1.0 - w
            expected = [1.0]
            for d in range(1, spx.shape[1]):
                cash = cash * g + units * spx[p, d - 1] * (math.exp(q / 252) - 1.0)
                expected.append(cash + units * spx[p, d])
            np.testing.assert_allclose(r.equity[k, p], expected, rtol=0, atol=1e-12)
        parts = r.pnl[k][:, [PNL_NAMES.index(b) for b in PNL_PARTS]].sum(axis=1)
        np.testing.assert_allclose(parts, r.equity[k, :, -1] - 1.0, atol=1e-12)
        assert (r.pnl_of(e.names[k], "condor") == 0).all()
    with pytest.raises(ValueError, match="weight"):
        StrategyEngine(model, {"x": {"index": {"weight": 1.5}}})


def test_vxth_spends_one_percent_of_the_portfolio_a_month_on_30_delta_calls(model):
    """The Cboe VXTH rule on an S&P 500 core: with the front future between 15 and 30, each
    roll buys one-month 30-delta VIX calls for 1 % of the portfolio (12 %/yr x 21/252)."""
    spx, v = _flat(model, 70, 20.0)
    e = StrategyEngine(model, {"vxth": {"index": {}, "hedge": {"preset": "vxth_like"}}},
                       costs="none")
    r = _one(e, spx, v)
    buys = [t for t in r.trades if t.action == "VIX call buy"]
    assert [t.day for t in buys][:3] == [0, 21, 42]
    holding = trading_days(30)
    assert 0.12 * holding / 252 == pytest.approx(0.01)
    for t in buys:  # without costs a purchase at mid leaves the day's equity as it was
        assert -t.cash_flow == pytest.approx(0.12 * holding / 252 * r.equity[0, 0, t.day],
                                             rel=1e-9)
