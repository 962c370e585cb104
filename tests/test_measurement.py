"""Honest measurement: the trading book beside the account, vol events against a plain loop,
cost presets against hand computations, the re-arming hedge through the 2020 peak, sizing,
and bad settings."""

import math

import numpy as np
import pytest

import simulator as sim
from simulator.cli import main
from simulator.pricing.pricer import Pricer
from simulator.results import metrics
from simulator.results.events import VolEventConfig, book_metrics, detect
from simulator.strategy import StrategyEngine, evaluate_strategies, strategy
from simulator.strategy.config import COST_PRESETS, CostsConfig, trading_days
from simulator.strategy.engine import PNL_NAMES


@pytest.fixture(scope="module")
def model():
    return sim.load_model("svcj_default")


def _one(engine, spx, v):
    return engine.evaluate(spx[None, :], v[None, :], log_paths=[0])


# ---- two books ----------------------------------------------------------------------------

def test_trading_book_drawdown_is_the_condor_loss_untouched_by_interest(model):
    """r = 4 %: one condor opens on day 0, SPX falls 10 % on day 1 (the stop closes it), then
    nothing trades. The trading book's drawdown is exactly the loss (credit, buy-back and
    costs); the account's differs by the interest of day 1, and the account recovers on
    interest alone while the trading book never does."""
    assert model.r == pytest.approx(0.04)
    n = 252
    spx = np.full(n + 1, model.spx0)
    spx[1:] *= 0.90
    v = np.full(n + 1, float(model.variance_from_vix(18.0)))
    condor = {"preset": "monthly_16_delta", "every_trading_days": 1000, "stop_multiple": 1.0}
    r = _one(StrategyEngine(model, {"s": strategy(condor)}), spx, v)
    closes = [t for t in r.trades if t.action == "condor close"]
    assert [(t.day, t.detail) for t in closes] == [(1, "tranche 0: stop")]
    loss = -(r.pnl_of("s", "condor")[0] + r.pnl_of("s", "spx_costs")[0])
    assert loss > 0.01
    book, account = r.trading[0, 0], r.equity[0, 0]
    np.testing.assert_allclose(book[1:], 1.0 - loss, rtol=0, atol=1e-14)  # flat after day 1
    assert metrics.max_drawdown_points(book) == pytest.approx(loss, abs=1e-14)
    growth = math.exp(model.r / 252)
    interest_day1 = growth - 1.0  # on the day-0 cash of 1 + credit - costs
    cash0 = 1.0 + r.trades[0].cash_flow - r.trades[0].cost
    assert account[1] == pytest.approx(1.0 - loss + cash0 * interest_day1, abs=1e-14)
    assert metrics.max_drawdown(account) == pytest.approx(loss - cash0 * interest_day1,
                                                          abs=1e-13)
    assert math.isnan(metrics.recovery_days(book, absolute=True))
    assert metrics.recovery_days(account) < n  # interest alone "recovers" the account
    interest = r.pnl_of("s", "interest")[0]
    assert account[-1] - book[-1] == pytest.approx(interest, abs=1e-14)


def test_cube_books_balance(model):
    text = """
name: books
simulation: {paths: 96, days: 63, seed: 3, chunk_paths: 48}
scenarios: {crash: {shocks: [{day: 20, spx_return: -0.1, vix: 55}]}}
strategies:
  unhedged: {condor: {preset: monthly_16_delta}, hedge: none}
  alvh: {condor: {preset: monthly_16_delta}, hedge: {preset: alvh_40_40_20}}
"""
    from simulator.scenario.loader import parse_scenario
    from simulator.scenario.runner import run_plan

    cube = run_plan(parse_scenario(text))
    np.testing.assert_allclose(cube.trading_return, cube.total_return - cube.interest,
                               atol=1e-12)
    np.testing.assert_allclose(cube.trading_monthly_pnl.sum("month"), cube.trading_return,
                               atol=1e-12)
    assert (cube.trading_max_drawdown >= 0).all()
    assert cube.trading_max_drawdown.attrs["units_description"] == "fraction of starting equity"
    assert cube.trading_max_drawdown.attrs["units"] == "1"
    assert "interest" in cube.trading_max_drawdown.attrs["long_name"]
    # the crash is an event on every path, found at the shock
    sel = cube.sel(scenario="crash")
    assert (sel.vol_events >= 1).all()
    first = sel.vol_event_start.sel(vol_event=1).values
    covers = (sel.vol_event_start <= 19) & (sel.vol_event_peak >= 20)  # NaN compares False
    assert covers.any("vol_event").all()
    assert first.min() >= 0
    hedged = sel.event_hedge_pnl.sel(strategy="alvh", vol_event=1).values
    assert np.nanmedian(hedged) > 0 and (sel.event_hedge_pnl.sel(strategy="unhedged") .fillna(0)
                                         == 0).all()


# ---- vol events -----------------------------------------------------------------------------

def _events_loop(vix, points, pct, within, retrace, max_events):
    """The rule of simulator.results.events, written again as plainly as possible."""
    out = []
    d, floor = 1, 0
    n = len(vix) - 1
    while d <= n and len(out) < max_events:
        window = list(range(max(floor, d - within), d))
        lo_day = min(window, key=lambda s: (vix[s], -s))  # the latest of equal lows
        lo = vix[lo_day]
        if (points and vix[d] - lo >= points) or (pct and vix[d] >= lo * (1 + pct)):
            peak, end = d, n
            for e in range(d + 1, n + 1):
                if vix[e] > vix[peak]:
                    peak = e
                elif vix[e] <= vix[peak] - retrace * (vix[peak] - lo):
                    end = e
                    break
            out.append((lo_day, peak, end, vix[peak] - lo))
            floor, d = end, end + 1
        else:
            d += 1
    return out


def _book_loop(book, hedge, event):
    start, _, end, _ = event
    peak = max(book[:start + 1])
    below = [s for s in range(start, end + 1) if book[s] < peak - 1e-12]
    pnl = hedge[end] - hedge[start]
    if not below:
        return 0.0, 0.0, pnl
    back = next((s for s in range(below[0] + 1, len(book)) if book[s] >= peak - 1e-12), None)
    low = min(book[start:(back if back is not None else len(book))])
    return peak - low, (math.nan if back is None else back - start), pnl


def _vix_path(n, pieces):
    x = np.full(n + 1, 15.0)
    for day, level in pieces:
        x[day:] = level
    return x


HAND_MADE = {
    # an event with a known recovery: VIX 15 -> 30 on day 5, back to 16 on day 10
    "recovers": (_vix_path(40, [(5, 30.0), (10, 16.0)]),
                 [1.0] * 5 + [0.97, 0.975, 0.98, 0.99, 1.0, 1.01] + [1.01] * 30, (4, 5, 10, 5.0)),
    # one that never recovers
    "never": (_vix_path(40, [(5, 30.0), (10, 16.0)]),
              [1.0] * 5 + [0.95] * 36, (4, 5, 10, math.nan)),
    # two events on one path
    "two": (_vix_path(60, [(5, 30.0), (10, 16.0), (30, 29.0), (35, 15.0)]),
            [1.0] * 5 + [0.98] * 3 + [1.02] * 22 + [0.99] * 10 + [1.03] * 21, None),
    # no position open: the book is flat
    "flat": (_vix_path(40, [(5, 30.0), (10, 16.0)]), [1.0] * 41, (4, 5, 10, 0.0)),
}


@pytest.mark.parametrize("case", list(HAND_MADE))
def test_vol_events_match_a_plain_loop_on_hand_made_paths(case):
    vix, book, known = HAND_MADE[case]
    book = np.asarray(book, dtype=float)
    hedge = np.cumsum(np.where(np.arange(book.size) % 3 == 0, 0.001, -0.0004))
    rule = VolEventConfig()
    found, counts = detect(vix[None, :], rule)
    expected = _events_loop(list(vix), 10.0, None, 10, 0.5, rule.max_per_path)
    assert counts[0] == len(expected)
    np.testing.assert_array_equal(found[0, :counts[0]], np.array(expected))
    assert np.isnan(found[0, counts[0]:]).all()
    dd, regain, pnl = book_metrics(book[None, None, :], hedge[None, None, :], found, counts)
    for e, event in enumerate(expected):
        want = _book_loop(book, hedge, event)
        np.testing.assert_allclose([dd[0, 0, e], regain[0, 0, e], pnl[0, 0, e]], want,
                                   rtol=0, atol=1e-15, equal_nan=True)
    if known is not None:
        start, peak, end, days = known
        assert tuple(found[0, 0, :3]) == (start, peak, end)
        assert regain[0, 0, 0] == pytest.approx(days, nan_ok=True)
    if case == "two":
        assert counts[0] == 2
        assert regain[0, 0, 0] == 8 - 4 and regain[0, 0, 1] == 40 - 29
        assert dd[0, 0, 1] == pytest.approx(0.03)
    if case == "flat":
        assert dd[0, 0, 0] == 0.0


def test_vol_events_match_the_plain_loop_on_random_paths():
    rng = np.random.default_rng(7)
    n_paths, n = 40, 120
    vix = 15 * np.exp(np.cumsum(rng.normal(0, 0.09, (n_paths, n + 1)), axis=1))
    book = 1 + np.cumsum(rng.normal(0, 0.004, (2, n_paths, n + 1)), axis=2)
    hedge = np.cumsum(rng.normal(0, 0.001, (2, n_paths, n + 1)), axis=2)
    rule = VolEventConfig(vix_rise_points=6.0, vix_rise_pct=0.4, within_days=7,
                          end_retrace=0.6, max_per_path=5)
    found, counts = detect(vix, rule)
    dd, regain, pnl = book_metrics(book, hedge, found, counts)
    assert counts.sum() > 40
    for i in range(n_paths):
        expected = _events_loop(list(vix[i]), 6.0, 0.4, 7, 0.6, 5)
        assert counts[i] == len(expected)
        np.testing.assert_allclose(found[i, :counts[i]], np.array(expected).reshape(-1, 4))
        for k in range(2):
            for e, event in enumerate(expected):
                np.testing.assert_allclose([dd[k, i, e], regain[k, i, e], pnl[k, i, e]],
                                           _book_loop(book[k, i], hedge[k, i], event),
                                           atol=1e-14, equal_nan=True)


def test_default_event_rule_on_the_real_vix_history():
    """52 events since 1990 (1.4 a year), among them the episodes every trader names."""
    from simulator.model.stylized_facts import load_market_series

    vix = load_market_series("vix_daily")
    rule = VolEventConfig(max_per_path=20)
    starts = []
    x = vix["close"]
    for _ in range(10):  # max_per_path caps a call; continue after the last event found
        offset = 0 if not starts else int(starts[-1][2]) + 1
        f, c = detect(x[None, offset:], rule)
        starts += [tuple(e + np.array([offset, offset, offset, 0])) for e in f[0, :c[0]]]
        if c[0] < rule.max_per_path:
            break
    dates = {str(vix["date"][int(s)])[:7] for s, _, _, _ in starts}
    assert 45 <= len(starts) <= 60
    for month in ("2008-08", "2011-07", "2015-08", "2018-01", "2020-02", "2024-07"):
        assert month in dates


# ---- costs ----------------------------------------------------------------------------------

def _hand_half(price, vix, floor, fraction, cap, base, exponent):
    widen = max(1.0, vix / base) ** exponent
    half = max(floor, fraction * price) * widen
    return half if cap is None else min(half, cap * price)


@pytest.mark.parametrize("preset", sorted(COST_PRESETS))
@pytest.mark.parametrize("vix_level", [16.0, 40.0])
def test_each_cost_preset_charges_what_a_hand_computation_says(model, preset, vix_level):
    """A condor opened on day 0 and held to expiry (settles free), and a front VIX call bought
    on day 0 and held to expiry (settles free): the opening charges equal the preset's rule
    applied by hand to the four legs' model prices and to the call's price."""
    n = trading_days(30)  # both expire on the last day: nothing is bought again
    spx, v = np.full(n + 1, model.spx0), np.full(n + 1, float(model.variance_from_vix(
        vix_level)))
    condor = {"preset": "monthly_16_delta", "every_trading_days": 100, "exit_dte": 0,
              "take_profit": None, "stop_multiple": None, "dte": 30}
    hedge = {"preset": "single_front", "monetize": {"enabled": False},
             "term_structure": {"enabled": False},
             "layers": {"front": {"dte": 30, "roll_dte": 0}}}
    costs = CostsConfig(preset=preset)
    r = _one(StrategyEngine(model, {"s": strategy(condor, hedge, costs=costs)}), spx, v)
    (opened,) = [t for t in r.trades if t.action == "condor open"]
    kpl, kps, kcs, kcl = opened.strikes
    days = trading_days(30)
    legs = [float(Pricer(model).spx_option(model.spx0, v[0], days, k, kind))
            for k, kind in ((kpl, "put"), (kps, "put"), (kcs, "call"), (kcl, "call"))]
    vix0 = float(model.vix_index(v[0]))
    c = COST_PRESETS[preset]
    halves = sum(_hand_half(p, vix0, c["spx_half_spread"], c["spx_half_spread_fraction"],
                            c["spx_half_spread_cap"], c["widen_vix_base"], c["widen_exponent"])
                 for p in legs)
    if c["condor_fill"] == "combo":
        halves = max(c["combo_min"], c["combo_share"] * halves)
    per_contract = halves + 4 * c["spx_commission"] / 100  # index points per condor
    assert opened.cost == pytest.approx(opened.contracts * 100 / 1e6 * per_contract, rel=1e-6)
    (bought,) = [t for t in r.trades if t.action == "VIX call buy"]
    vix_half = _hand_half(bought.price, vix0, c["vix_half_spread"],
                          c["vix_half_spread_fraction"], c["vix_half_spread_cap"],
                          c["widen_vix_base"], c["widen_exponent"])
    assert bought.cost == pytest.approx(bought.contracts * 100 / 1e6
                                        * (vix_half + c["vix_commission"] / 100), rel=1e-9)
    # settlement is free: only the two opening charges are costs
    settled = [t for t in r.trades if t.action in ("condor close", "VIX call sell")]
    assert {t.detail.split(": ")[-1] for t in settled} == {"tranche 0: expiry".split(": ")[-1],
                                                           "expiry"}
    assert all(t.cost == 0.0 for t in settled)
    total_costs = -(r.pnl_of("s", "spx_costs")[0] + r.pnl_of("s", "vix_costs_front")[0])
    assert total_costs == pytest.approx(opened.cost + bought.cost, rel=1e-12)
    if preset == "none":
        assert total_costs == 0.0
    if preset == "flat_legs":  # the rule of versions <= 0.1: 0.25 a leg + $0.65
        assert per_contract == pytest.approx(4 * (0.25 + 0.0065))


def test_spreads_widen_with_vix_and_cheap_wings_are_capped():
    c = CostsConfig(preset="retail_legs")
    assert c.half_spread("spx", 20.0, 40.0) == pytest.approx(2 * c.half_spread("spx", 20.0, 20.0))
    assert c.half_spread("spx", 0.06, 15.0) == pytest.approx(0.03)  # half the mid, not the tick
    assert c.half_spread("vix", 10.0, 15.0) == pytest.approx(0.4)


def test_combo_fill_is_cheaper_than_legging(model):
    res = evaluate_strategies(model, {
        "legs": strategy("monthly_16_delta", costs="retail_legs"),
        "combo": strategy("monthly_16_delta", costs="retail_combo")}, 200, 63, seed=4)
    assert (res.pnl_of("combo", "spx_costs") > res.pnl_of("legs", "spx_costs")).mean() > 0.95


# ---- sizing -------------------------------------------------------------------------------

@pytest.mark.parametrize("sizing", ["condor_hedge_costs", "condor_max_loss"])
def test_sizing_rules(model, sizing):
    """condor_hedge_costs: contracts x (max loss + round-trip costs) + the budget of one
    cycle = risk x equity; condor_max_loss: contracts x max loss = risk x equity."""
    paths = sim.simulate_paths(model, 64, 126, seed=9)
    cfg = {"preset": "monthly_16_delta", "risk_per_tranche": 0.03, "sizing": sizing}
    e = StrategyEngine(model, {"s": strategy(cfg, {"preset": "alvh_40_40_20",
                                                   "budget_annual": 0.02})}, capital=2e6)
    r = e.evaluate(paths.spx.values, paths.v.values, log_paths=range(64))
    opens = [t for t in r.trades if t.action == "condor open"]
    assert len(opens) > 100
    for t in opens:
        kpl, kps, kcs, kcl = t.strikes
        max_loss = (max(kps - kpl, kcl - kcs) - t.price) * t.contracts * 100 / 2e6
        if sizing == "condor_max_loss":
            assert max_loss == pytest.approx(0.03 * t.equity, rel=1e-12)
        else:
            stack = 0.02 * 21 / 252 * t.equity  # min(every 21, 31 trading days to expiry)
            assert max_loss + 2 * t.cost + stack == pytest.approx(0.03 * t.equity, rel=1e-12)


def test_per_condor_hedge_stack_is_inside_the_tranche_risk(model):
    """condor_hedge_costs with a 4/4/2 stack: on the first entry the condor's max loss, its
    round-trip costs and the VIX calls bought for it that day (premium and costs) add up to
    risk x equity."""
    n = 10
    spx, v = np.full(n + 1, model.spx0), np.full(n + 1, float(model.variance_from_vix(18.0)))
    r = _one(StrategyEngine(model, {"s": strategy("monthly_16_delta", "alvh_4_4_2")}), spx, v)
    opened = next(t for t in r.trades if t.action == "condor open")
    buys = [t for t in r.trades if t.action == "VIX call buy" and t.day == opened.day]
    assert len(buys) == 3
    kpl, kps, kcs, kcl = opened.strikes
    max_loss = (max(kps - kpl, kcl - kcs) - opened.price) * opened.contracts * 100 / 1e6
    stack = sum(-t.cash_flow + t.cost for t in buys)
    assert [t.contracts / opened.contracts for t in buys] == pytest.approx([4, 4, 2])
    assert max_loss + 2 * opened.cost + stack == pytest.approx(0.025 * opened.equity,
                                                               rel=1e-12)


def test_the_070_preset_does_what_its_name_says(model):
    """prob_70_between: the Q-probability of SPX finishing between the short strikes is 70 %
    (by the model's distribution, from put prices' strike derivative), though the short put's
    delta is near 0.20 and the call's near 0.11 (skew): a probability is not a delta."""
    from simulator.strategy.config import CondorConfig

    assert CondorConfig(preset="conservative_070") == CondorConfig(preset="prob_70_between") \
        .model_copy(update={"preset": "conservative_070"})
    n = 5
    spx, v = np.full(n + 1, model.spx0), np.full(n + 1, model.v0)
    r = _one(StrategyEngine(model, {"s": strategy("prob_70_between")}), spx, v)
    (opened,) = [t for t in r.trades if t.action == "condor open"]
    _, kps, kcs, _ = opened.strikes
    days = trading_days(45)
    disc = math.exp(-model.r * days / 252)

    def cdf(k, h=1.0):  # Q(S_T < k) = e^{rT} dP/dK
        up = float(Pricer(model).spx_option(model.spx0, model.v0, days, k + h, "put"))
        down = float(Pricer(model).spx_option(model.spx0, model.v0, days, k - h, "put"))
        return (up - down) / (2 * h) / disc
    between = cdf(kcs) - cdf(kps)
    assert between == pytest.approx(0.70, abs=0.02)  # 5-point strike grid
    from scipy.optimize import brentq
    from scipy.stats import norm

    tau = days / 252
    fwd = model.spx0 * math.exp((model.r - model.q) * tau)

    def bs_delta(k, kind):  # Black delta at the strike's own implied vol (the strike rule's)
        price = float(Pricer(model).spx_option(model.spx0, model.v0, days, k, kind))

        def black(sig):
            d1 = (math.log(fwd / k) + 0.5 * sig * sig * tau) / (sig * math.sqrt(tau))
            d2 = d1 - sig * math.sqrt(tau)
            call = disc * (fwd * norm.cdf(d1) - k * norm.cdf(d2))
            return (call if kind == "call" else call - disc * (fwd - k)) - price
        sig = brentq(black, 0.01, 3.0)
        d1 = (math.log(fwd / k) + 0.5 * sig * sig * tau) / (sig * math.sqrt(tau))
        return math.exp(-model.q * tau) * (norm.cdf(d1) if kind == "call" else norm.cdf(-d1))
    put_delta, call_delta = bs_delta(kps, "put"), bs_delta(kcs, "call")
    assert 0.16 < put_delta < 0.23 and 0.09 < call_delta < 0.15


# ---- hedge rules through a spike ------------------------------------------------------------

def _holding_on(trades, day):
    held = {}
    for t in trades:
        if t.day > day or not t.action.startswith("VIX call"):
            continue
        layer = t.detail.split()[0]
        held[layer] = held.get(layer, 0.0) + (t.contracts if t.action == "VIX call buy"
                                              else -t.contracts)
    return sum(max(x, 0.0) for x in held.values()) > 1e-9


def _spike(model, n, day, level, before=15.0):
    """A flat SPX path with VIX at ``before``, then at ``level`` from ``day`` on."""
    spx = np.full(n + 1, model.spx0)
    v = np.full(n + 1, float(model.variance_from_vix(before)))
    v[day:] = model.variance_from_vix(level)
    return spx, v


def test_partial_monetisation_and_rearm_after_days(model):
    """VIX 15 -> 25 on day 30 and stays: with sell_fraction 0.5 half of each layer is sold on
    day 30 and the rest held; a layer is re-armed 10 days later only if it is empty."""
    spx, v = _spike(model, 70, 30, 25.0)
    hedge = {"preset": "alvh_40_40_20", "term_structure": {"enabled": False},
             "monetize": {"profit_multiple": None, "vix_above": 24.0, "sell_fraction": 0.5,
                          "rearm_after_days": 10, "rearm_vix_below": 20.0}}
    r = _one(StrategyEngine(model, {"s": strategy(None, hedge)}), spx, v)
    sells = [t for t in r.trades if "monetise" in t.detail]
    day30 = [t for t in sells if t.day == 30]
    assert len(day30) == 3
    for t in day30:
        buy = [b for b in r.trades if b.action == "VIX call buy" and b.day < 30
               and b.detail.split()[0] == t.detail.split()[0]][-1]  # the layer held on day 30
        assert t.contracts == pytest.approx(0.5 * buy.contracts)
    # re-armed at the close of day 40 (10 days on) with VIX still above 24: the remainders
    # are sold in halves again the next day, and so on every 11 days
    assert {t.day for t in sells} == {30, 41, 52, 63}
    assert _holding_on(r.trades, 69)


def test_profit_sales_ladder(model):
    """VIX 15 -> 30 on day 5 and stays: the front call is worth more than 3x its cost from
    day 5 on, but the remainder is sold again only at 3x the *sale* price, which a flat VIX
    never reaches: one profit sale, then the roll."""
    spx, v = _spike(model, 30, 5, 30.0)
    hedge = {"preset": "single_front", "term_structure": {"enabled": False},
             "regime": {"enabled": False}}
    r = _one(StrategyEngine(model, {"s": strategy(None, hedge)}), spx, v)
    (bought,) = [t for t in r.trades if t.action == "VIX call buy"]
    sales = [t for t in r.trades if t.action == "VIX call sell"]
    assert [t.day for t in sales if "monetise" in t.detail] == [5]
    assert "roll" in sales[1].detail and sales[1].price >= 3 * bought.price  # still > 3x cost
    assert sales[0].contracts == pytest.approx(0.5 * bought.contracts)


def test_rearm_at_roll(model):
    """With rearm_at_roll a layer sold at 3x is bought again once its remainder rolls, even
    with VIX above the re-arm level; without it, not before VIX falls below it."""
    spx, v = _spike(model, 70, 10, 40.0)
    base = {"preset": "single_front", "term_structure": {"enabled": False},
            "regime": {"enabled": False}}
    buys = {}
    for at_roll in (False, True):
        hedge = {**base, "monetize": {"rearm_at_roll": at_roll}}
        r = _one(StrategyEngine(model, {"s": strategy(None, hedge)}), spx, v)
        assert [t.day for t in r.trades if "monetise" in t.detail][:1] == [10]
        buys[at_roll] = [t.day for t in r.trades if t.action == "VIX call buy"]
        rolls = [t.day for t in r.trades if "roll" in t.detail]
    assert buys[False] == [0]  # VIX never falls below 25 again
    assert buys[True][:2] == [0, rolls[0]]


def test_old_rule_is_available_and_empties_the_book(model):
    spx, v = _spike(model, 70, 30, 25.0)
    hedge = {"preset": "alvh_40_40_20", "term_structure": {"enabled": False},
             "monetize": {"profit_multiple": None, "vix_above": 24.0, "sell_fraction": 1.0,
                          "rearm_after_days": 0, "rearm_vix_below": 20.0}}
    r = _one(StrategyEngine(model, {"s": strategy(None, hedge)}), spx, v)
    assert not _holding_on(r.trades, 45)


def test_covid_replay_holds_vix_calls_on_the_peak_day(model):
    """The 2020 replay (VIX 82.69 on day 42): under the default rule (sell half at 3x, keep
    the rest, re-arm below VIX 25) most paths still hold VIX calls at the peak; under the rule
    of versions <= 0.1 (sell all, re-arm below VIX 25) few do."""
    from simulator.scenario.loader import load_scenario

    plan = load_scenario("scenarios/covid_2020_shock.yaml", n_paths=200, seed=3)
    sc = plan.scenarios[0]
    old = {"preset": "alvh_40_40_20", "budget_annual": 0.02,
           "monetize": {"sell_fraction": 1.0}}
    res = evaluate_strategies(sc.model, {
        "new": strategy("monthly_16_delta", {"preset": "alvh_40_40_20", "budget_annual": 0.02}),
        "old": strategy("monthly_16_delta", old)}, 200, plan.n_days, plan.seed,
        stream=sc.stream, shocks=sc.shocks, log_paths=range(200))
    peak = 42
    share = {}
    for name in ("new", "old"):
        trades = [t for t in res.trades if t.strategy == name]
        share[name] = np.mean([_holding_on([t for t in trades if t.path == p], peak)
                               for p in range(200)])
    print(f"holding VIX calls on the peak day: {share}")
    assert share["new"] > 0.9 > 0.5 > share["old"]


# ---- bad settings ---------------------------------------------------------------------------

BASE = """
name: bad
simulation: {paths: 16, days: 21}
strategies:
  unhedged: {condor: {preset: monthly_16_delta}, hedge: none}
"""


@pytest.mark.parametrize("fragment, loc, allowed", [
    ("costs: {spx_half_spread: -0.1}", "costs.spx_half_spread", "greater than or equal to 0"),
    ("costs: {combo_share: 1.5}", "costs.combo_share", "less than or equal to 1"),
    ("costs: {preset: cheap}", "costs", "allowed: flat_legs, institutional, none"),
    ("vol_events: {vix_rise_points: 0}", "vol_events.vix_rise_points", "greater than 0"),
    ("vol_events: {vix_rise_points: null}", "vol_events", "give vix_rise_points"),
    ("vol_events: {end_retrace: 1.5}", "vol_events.end_retrace", "less than or equal to 1"),
])
def test_bad_settings_exit_2_naming_the_field_and_range(tmp_path, capsys, fragment, loc,
                                                        allowed):
    path = tmp_path / "bad.yaml"
    path.write_text(BASE + fragment + "\n")
    assert main(["validate", str(path)]) == 2
    err = capsys.readouterr().err
    assert str(path) in err and loc in err and allowed in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.yaml"]


@pytest.mark.parametrize("monetize, allowed", [
    ({"sell_fraction": 0.0}, "greater than 0"),
    ({"sell_fraction": 1.5}, "less than or equal to 1"),
    ({"rearm_after_days": -1}, "greater than or equal to 0"),
])
def test_bad_hedge_rules_exit_2(tmp_path, capsys, monetize, allowed):
    import json
    path = tmp_path / "bad.yaml"
    path.write_text(BASE + "  h: {condor: {preset: monthly_16_delta}, hedge: {preset: "
                    f"alvh_40_40_20, monetize: {json.dumps(monetize)}}}}}\n")
    assert main(["validate", str(path)]) == 2
    err = capsys.readouterr().err
    key = next(iter(monetize))
    assert f"strategies.h.hedge.monetize.{key}" in err and allowed in err


def test_pnl_names_are_unchanged():
    assert PNL_NAMES == ("condor", "layer_front", "layer_middle", "layer_tail", "spx_costs",
                         "vix_costs_front", "vix_costs_middle", "vix_costs_tail", "interest",
                         "index", "layer_puts", "put_costs", "hedge_premium")
