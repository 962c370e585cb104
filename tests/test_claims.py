"""The claims table (C1-C13): scenario copies, statistics, verdict logic, and every figure
re-computed from the cube by an independent route (summarize, numpy, direct pricing)."""

from __future__ import annotations

import csv
import json
import math
from pathlib import Path

import numpy as np
import pytest

import simulator as sim
from simulator.cli import main
from simulator.pricing.pricer import Pricer
from simulator.report.claims import (
    CLAIMS,
    CLAIMS_FILE,
    NOT_SUPPORTED,
    SUPPORTED,
    Finding,
    evaluate_claims,
)
from simulator.report.claims.run import run_claims
from simulator.scenario.loader import load_scenario

SCENARIOS = Path(__file__).resolve().parents[1] / "scenarios"
SMALL_PATHS = 256
BOOT = 200


# ---- the claims file copies the shipped scenario files ---------------------------------------

@pytest.mark.parametrize("claims_name, file, name", [
    ("covid", "covid_2020_shock.yaml", "covid"),
    ("volmageddon", "volmageddon_2018.yaml", "volmageddon"),
    ("bear_2022", "bear_2022_grind.yaml", "grind"),
    ("calm", "calm_low_vol.yaml", "calm"),
    ("crash", "quickstart.yaml", "crash"),
])
def test_claims_scenarios_are_the_shipped_scenarios(claims_name, file, name):
    claims = {s.name: s for s in load_scenario(CLAIMS_FILE).scenarios}[claims_name]
    shipped = {s.name: s for s in load_scenario(SCENARIOS / file).scenarios}[name]
    assert claims.model.to_dict() == shipped.model.to_dict()
    assert [vars(x) for x in claims.shocks] == [vars(x) for x in shipped.shocks]
    assert [(r.start_day, r.end_day, r.P.to_dict()) for r in claims.regimes] == \
        [(r.start_day, r.end_day, r.P.to_dict()) for r in shipped.regimes]


def test_claims_file_has_twenty_thousand_paths_and_all_strategies_share_the_budget():
    plan = load_scenario(CLAIMS_FILE)
    assert plan.n_paths >= 20_000 and plan.n_days == 252
    budgets = {k: v.hedge.budget_annual for k, v in plan.strategies.items()
               if v.hedge is not None and v.hedge.sizing == "budget"}
    assert set(budgets.values()) == {0.02}, budgets


# ---- statistics and verdict logic ------------------------------------------------------------

@pytest.mark.parametrize("kw, expected", [
    ({"estimate": 0.3, "ci_low": 0.28, "ci_high": 0.33, "claimed_low": 0.35,
      "claimed_high": 0.40}, False),
    ({"estimate": 0.33, "ci_low": 0.30, "ci_high": 0.36, "claimed_low": 0.35,
      "claimed_high": 0.40}, True),
    ({"estimate": 0.5, "ci_low": 0.45, "ci_high": 0.55, "claimed_low": 0.35}, True),
    ({"estimate": 0.01, "ci_low": -0.01, "ci_high": 0.03, "claimed_low": 0.0,
      "strict": True}, False),
    ({"estimate": 0.01, "ci_low": 0.001, "ci_high": 0.03, "claimed_low": 0.0,
      "strict": True}, True),
    ({"estimate": 3.2, "ci_low": 3.0, "ci_high": 5.0, "claimed_low": 2.0, "claimed_high": 3.0,
      "exact": True}, False),  # exact: the estimate alone counts
    ({"estimate": 0.2}, None),
])
def test_a_finding_is_consistent_when_its_ci_meets_the_claimed_range(kw, expected):
    f = Finding("C0", "x", "s", "t", **kw)
    assert f.consistent is expected


# ---- a small claims run, every figure checked against an independent computation -------------

@pytest.fixture(scope="module")
def claims_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("claims")
    results = run_claims(out, n_paths=SMALL_PATHS, seed=11, progress=False, n_boot=BOOT)
    return out, results, sim.open_cube(out / "claims.nc")


def _find(results, claim, fragment, scenario=None):
    r = next(r for r in results if r.claim == claim)
    return next(f for f in r.findings if fragment in f.what
                and (scenario is None or f.scenario == scenario))


def test_claims_run_writes_a_verdict_for_every_claim(claims_run):
    out, results, cube = claims_run
    assert [r.claim for r in results] == list(CLAIMS)
    allowed = (SUPPORTED, NOT_SUPPORTED, "depends on")
    for r in results:
        assert r.verdict.startswith(allowed), r.verdict
        assert r.findings and r.explanation
        for f in r.findings:
            assert math.isfinite(f.estimate) or "never" in r.explanation, (r.claim, f.what)
    md = (out / "claims.md").read_text()
    for claim in CLAIMS:
        assert f"### {claim}:" in md and CLAIMS[claim] in md
    assert f"{SMALL_PATHS:,} paths per scenario, seed 11" in md
    assert f"alvh claims --paths {SMALL_PATHS} --seed 11" in md
    rows = list(csv.DictReader((out / "claims.csv").open()))
    assert {r["claim"] for r in rows} == set(CLAIMS)
    assert {r["paths"] for r in rows} == {str(SMALL_PATHS)} and {r["seed"] for r in rows} == {"11"}
    assert sorted(p.name for p in out.iterdir()) == ["claims.csv", "claims.md", "claims.nc"]
    assert cube.sizes["path"] == SMALL_PATHS


def test_drag_and_drawdown_cut_agree_with_summarize(claims_run):
    """Two implementations of the same paired statistics: claims.py and results/summary.py."""
    _, results, cube = claims_run
    table = sim.summarize(cube, n_boot=20)
    drag = _find(results, "C3", "drag, 4/4/2 scaled")
    assert drag.estimate == pytest.approx(table.loc[("base", "alvh_4_4_2_scaled"), "drag"])
    cut = _find(results, "C3", "median max-drawdown cut, 4/4/2 scaled", "crash")
    assert cut.estimate == pytest.approx(
        table.loc[("crash", "alvh_4_4_2_scaled"), "drawdown_reduction_median"])
    # C6 reads vol events; recomputed here from the cube's arrays with numpy
    speed = _find(results, "C6", "recovery speed-up", "crash")
    sel = cube.sel(scenario="crash")
    shocked = _shock_event(cube, "crash")

    def median_days(name):
        d = sel.event_breakeven_days.sel(strategy=name).values
        d = np.array([d[i, e] for i, e in enumerate(shocked) if e >= 0])
        med = np.median(np.where(np.isnan(d), np.inf, d))
        return np.nan if np.isinf(med) else med
    assert speed.estimate == pytest.approx(
        1.0 - median_days("alvh_40_40_20") / median_days("unhedged"), nan_ok=True)
    c7 = _find(results, "C7", "drag of ALVH")
    assert c7.estimate == pytest.approx(table.loc[("bear_2022", "alvh_40_40_20"), "drag"])


def test_levels_and_monthly_figures_from_the_cube_by_numpy(claims_run):
    _, results, cube = claims_run
    dd = cube.trading_max_drawdown.sel(scenario="bear_2022", strategy="unhedged").values
    c1 = _find(results, "C1", "unhedged")
    assert c1.estimate == pytest.approx(np.median(dd) / 0.025)
    assert c1.ci_low <= c1.estimate <= c1.ci_high
    monthly = cube.trading_monthly_pnl.sel(scenario="base")
    diff = (monthly.sel(strategy="unhedged") - monthly.sel(strategy="alvh_40_40_20")).values
    assert _find(results, "C8", "all months", "base").estimate == pytest.approx(diff.mean())
    # months that start with VIX < 15, pooled over the three ordinary scenarios
    num = den = 0.0
    for s in ("base", "calm", "bear_2022"):
        m = cube.trading_monthly_pnl.sel(scenario=s)
        d = (m.sel(strategy="unhedged") - m.sel(strategy="alvh_40_40_20")).values
        keep = cube.vix_month_start.sel(scenario=s).values < 15.0
        num, den = num + d[keep].sum(), den + keep.sum()
    assert _find(results, "C8", "VIX < 15").estimate == pytest.approx(num / den)
    months = cube.trading_monthly_pnl.sel(scenario="covid", strategy="alvh_40_40_20").values
    assert _find(results, "C12", "worst 0.1 %", "covid").estimate == pytest.approx(
        -np.quantile(months, 0.001))
    be = cube.event_breakeven_days.sel(scenario="crash", strategy="alvh_40_40_20").values
    shocked = _shock_event(cube, "crash")
    one = np.array([be[i, e] for i, e in enumerate(shocked) if e >= 0])
    med = np.median(np.where(np.isnan(one), np.inf, one))
    assert _find(results, "C5", "median trading days", "crash").estimate == pytest.approx(
        np.nan if np.isinf(med) else med, nan_ok=True)
    # pooled beside it: every event, each from its own start
    exists = ~np.isnan(cube.vol_event_start.sel(scenario="crash").values)
    med = np.median(np.where(np.isnan(be), np.inf, be)[exists])
    assert _find(results, "C5", "pooled", "crash").estimate == pytest.approx(
        np.nan if np.isinf(med) else med, nan_ok=True)


def _shock_event(cube, scenario):
    """Per path, by a plain loop: the first event still running on the scenario's first VIX
    shock day (crash: day 30), -1 where none."""
    sel = cube.sel(scenario=scenario)
    out = []
    for start, end in zip(sel.vol_event_start.values, sel.vol_event_end.values, strict=True):
        out.append(next((e for e in range(len(start)) if not np.isnan(start[e])
                         and end[e] >= 30), -1))
    return out


def test_c5_c6_rows_show_the_shock_event_and_the_pooled_figure(claims_run):
    _, results, cube = claims_run
    for claim in ("C5", "C6"):
        result = next(r for r in results if r.claim == claim)
        shown = [f.what for f in result.headlines]
        assert "shock event" in shown[0] and "pooled" in shown[1], shown
        assert "Aftershocks" in result.explanation or claim == "C6"
    # C2 in % of equity beside its risk-capital levels
    c2 = next(r for r in results if r.claim == "C2")
    equity = [f for f in c2.headlines if f.unit == "% of equity"]
    assert [f.strategy for f in equity] == ["unhedged", "alvh_40_40_20"]
    dd = cube.trading_max_drawdown.sel(scenario="covid", strategy="unhedged").values
    assert equity[0].estimate == pytest.approx(np.median(dd))


def test_c4_gains_agree_with_direct_cos_pricing(claims_run):
    """The table lookups behind C4 against the direct COS price of the VIX option."""
    from simulator.pricing.vix_direct import vix_option_prices

    _, results, cube = claims_run
    import json
    model = sim.Model.from_dict(json.loads(cube.attrs["model_parameters"])["base"],
                                feller_acknowledged=True)
    f = next(r for r in results if r.claim == "C4").findings[0]  # 30 DTE, K 30, VIX 15 -> 25
    assert "K 30" in f.what and f.exact
    tau = 21 / 252
    if model.two_factor:  # C4 moves v at the model's m0
        from simulator.pricing.affine2 import vix_option_prices as prices_2f

        m0 = model.m0
        before, after = (prices_2f(float(model.variance_from_vix(x, m=m0)), m0, tau, [30.0],
                                   model.Q, model.r)[0] for x in (15.0, 25.0))
    else:
        before, after = (vix_option_prices(float(model.variance_from_vix(x)), tau, [30.0],
                                           model.Q, model.r)[0] for x in (15.0, 25.0))
    assert f.estimate == pytest.approx(after / before - 1.0, rel=0.03)


def test_c11_break_even_and_sd_are_those_of_the_16_delta_condor(claims_run):
    _, results, cube = claims_run
    import json
    import re
    model = sim.Model.from_dict(json.loads(cube.attrs["model_parameters"])["base"],
                                feller_acknowledged=True)
    be = _find(results, "C11", "break-even")
    short, credit, sd = map(float, re.search(r"short (\d+) - credit ([\d.]+).* = (\d+) points",
                                             be.what).groups())
    days = 31  # 45 calendar days
    # the broker's convention: Black-Scholes delta at the option's own implied volatility,
    # the implied volatility found here by scipy root finding on the model price
    from scipy.optimize import brentq
    from scipy.stats import norm
    spot, tau, r, q = model.spx0, days / 252, model.r, model.q
    price = float(Pricer(model).spx_option(spot, model.v0, days, short, kind="put",
                                           m=model.m0))

    def bs_put(sigma):
        d1 = (math.log(spot / short) + (r - q + sigma**2 / 2) * tau) / (sigma * math.sqrt(tau))
        d2 = d1 - sigma * math.sqrt(tau)
        return (short * math.exp(-r * tau) * norm.cdf(-d2)
                - spot * math.exp(-q * tau) * norm.cdf(-d1))
    sigma = brentq(lambda s: bs_put(s) - price, 0.01, 3.0)
    d1 = (math.log(spot / short) + (r - q + sigma**2 / 2) * tau) / (sigma * math.sqrt(tau))
    delta = -math.exp(-q * tau) * norm.cdf(-d1)
    assert abs(abs(delta) - 0.16) < 0.015  # the 5-point strike nearest 16 delta
    # SD = spot x ATM vol x sqrt(tau): within 20 % of the VIX-implied 31-day move
    vix_move = model.spx0 * float(model.vix_index(model.v0, m=model.m0)) / 100 \
        * math.sqrt(days / 252)
    assert sd == pytest.approx(vix_move, rel=0.2)
    assert be.estimate == pytest.approx((short - credit - model.spx0) / sd, abs=0.01)
    gap = _find(results, "C11", "gap")
    pay = _find(results, "C11", "turns positive")
    assert gap.estimate == pytest.approx(pay.estimate - be.estimate)


# ---- command line ------------------------------------------------------------------------------

def test_cli_claims_prints_verdicts_and_rejects_bad_input(tmp_path, capsys):
    out = tmp_path / "c"
    assert main(["claims", "--paths", "64", "--seed", "3", "--out", str(out), "--quiet",
                 "--boot", "20"]) == 0
    text = capsys.readouterr().out
    for claim in CLAIMS:
        assert claim in text
    assert (out / "claims.md").is_file()
    # a scenario file without the claims' names: exit 2 before any work, nothing written
    bad = tmp_path / "bad"
    assert main(["claims", "--paths", "64", "--out", str(bad), "--scenario",
                 str(SCENARIOS / "quickstart.yaml")]) == 2
    err = capsys.readouterr().err
    assert "not a claims file" in err and "strategy 'alvh_40_40_20'" in err
    assert not bad.exists()
    assert main(["claims", "--boot", "5", "--out", str(bad)]) == 2
    a_file = tmp_path / "file.txt"
    a_file.write_text("x")
    assert main(["claims", "--paths", "64", "--out", str(a_file)]) == 2
    assert a_file.read_text() == "x"


def test_evaluate_claims_refuses_a_cube_of_another_file(tmp_path):
    cube = sim.run(SCENARIOS / "quickstart.yaml", n_paths=64, seed=1)
    with pytest.raises(ValueError, match="not a claims file"):
        evaluate_claims(cube)


@pytest.mark.parametrize("crossing", [-0.5, -1.23, -2.0])
def test_median_crossing_finds_where_a_noisy_line_reaches_zero(crossing):
    """r = -(z - crossing) + noise: its conditional median is 0 at z = crossing; bins of 0.1
    and 40,000 points locate it to within a few hundredths."""
    from simulator.report.claims import median_crossing

    rng = np.random.default_rng(4)
    z = rng.uniform(-3.5, 0.5, 40_000)
    r = -(z - crossing) + rng.normal(0.0, 0.3, z.size)
    assert median_crossing(z, r) == pytest.approx(crossing, abs=0.03)
    assert math.isnan(median_crossing(z, -np.abs(r) - 1.0))  # never pays: NaN


def test_cut_differences_of_c9_and_c10_are_differences_of_summarize_cuts(claims_run):
    """(cut of a) - (cut of b) = (1 - a/u) - (1 - b/u): the C9 and C10 figures from two rows of
    summarize's drawdown_reduction_median on the same paths."""
    _, results, cube = claims_run
    cut = sim.summarize(cube, n_boot=20)["drawdown_reduction_median"]
    for scenario in ("crash", "covid", "volmageddon"):
        f = _find(results, "C9", "single front call", scenario)
        assert f.estimate == pytest.approx(cut[(scenario, "alvh_40_40_20")]
                                           - cut[(scenario, "single_front")], abs=1e-12)
    for scenario in ("base", "covid", "crash"):
        roll = _find(results, "C10", "roll-out minus without", scenario)
        assert roll.estimate == pytest.approx(cut[(scenario, "alvh_40_40_20")]
                                              - cut[(scenario, "alvh_no_ts_roll")], abs=1e-12)
        tighten = _find(results, "C10", "re-strike minus", scenario)
        assert tighten.estimate == pytest.approx(cut[(scenario, "alvh_ts_tighten")]
                                                 - cut[(scenario, "alvh_40_40_20")], abs=1e-12)
    # C13 (issue 35): the RSI-of-VVIX split against the same layers at fixed weights
    for scenario in ("crash", "covid", "volmageddon"):
        f = _find(results, "C13", "fixed 60/40", scenario)
        assert f.estimate == pytest.approx(cut[(scenario, "alvh_vvix_split")]
                                           - cut[(scenario, "alvh_calls_puts")], abs=1e-12)
    puts_only = _find(results, "C13", "SPX puts only", "covid")
    assert puts_only.estimate == pytest.approx(cut[("covid", "alvh_vvix_split")]
                                               - cut[("covid", "spx_puts_40_40_20")], abs=1e-12)


def test_c8_condor_returns_per_unit_of_risk_capital_by_numpy(claims_run):
    """Monthly P&L per unit of risk capital (risk_per_tranche = 2.5 % of equity, 12 months),
    under every cost preset of the file, each from the cube's P&L buckets; the free preset's
    net P&L is the condor's gross P&L."""
    _, results, cube = claims_run
    base = cube.sel(scenario="base")
    scale = 0.025 * cube.sizes["month"]

    def of(strategy, name):
        return base[name].sel(strategy=strategy).values

    for preset, name in (("retail_combo", "unhedged_070"), ("none", "unhedged_070_none"),
                         ("flat_legs", "unhedged_070_flat_legs")):
        net = (of(name, "total_return") - of(name, "interest")) / scale
        np.testing.assert_allclose(net, of(name, "trading_return") / scale, atol=1e-12)
        found = _find(results, "C8", f"0.70 condor unhedged, {preset} costs")
        assert found.estimate == pytest.approx(net.mean())
        # the books balance: net = gross + SPX costs (no VIX layers unhedged)
        np.testing.assert_allclose(net, (of(name, "condor_pnl") + of(name, "spx_costs"))
                                   / scale, atol=1e-12)
    assert (of("unhedged_070_none", "spx_costs") == 0).all()
    # dearer costs, lower net return on the same paths: none > retail_combo > flat_legs
    means = [_find(results, "C8", f"0.70 condor unhedged, {p} costs").estimate
             for p in ("none", "institutional", "retail_combo", "retail_legs")]
    assert means == sorted(means, reverse=True)
    verdict = next(r for r in results if r.claim == "C8").verdict
    assert "cost" in verdict


# ---- the claims put to the two-factor model ------------------------------------------------

def test_the_model_option_swaps_the_preset_and_keeps_each_scenarios_overrides():
    """--model svcj_default (one factor) replaces the file's preset; the scenarios on their own
    preset (calm, bear_2022) keep it; the replays keep their v0 and lose m0 (a one-factor
    model has none)."""
    from simulator.report.claims import CLAIMS_FILE
    from simulator.scenario.loader import load_scenario, parse_scenario, with_model_preset

    text = with_model_preset(CLAIMS_FILE, "svcj_default")
    one = parse_scenario(text, source=str(CLAIMS_FILE), base_dir=CLAIMS_FILE.parent,
                         n_paths=16)
    two = load_scenario(CLAIMS_FILE, n_paths=16)
    assert [s.name for s in one.scenarios] == [s.name for s in two.scenarios]
    assert list(one.strategies) == list(two.strategies)
    for a, b in zip(one.scenarios, two.scenarios, strict=True):
        assert a.shocks == b.shocks and len(a.regimes) == len(b.regimes)
        if a.name in ("calm", "bear_2022"):
            assert a.model == b.model and a.model.two_factor  # their own preset
        else:
            assert not a.model.two_factor and b.model.two_factor
        if a.name in ("covid", "volmageddon"):
            assert a.model.v0 == b.model.v0 and a.model.m0 is None
    assert one.scenarios[0].model.name == "svcj_default"


def test_an_unknown_model_for_the_claims_exits_2_naming_the_field(tmp_path, capsys):
    from simulator.cli import main

    assert main(["claims", "--model", "no_such_model", "--paths", "16", "--out",
                 str(tmp_path / "c"), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert "model.preset" in err and "no_such_model" in err
    assert not (tmp_path / "c").exists()


@pytest.mark.slow
def test_claims_under_the_one_factor_hand_fit(tmp_path):
    """Every claim gets a verdict under the old default svcj_default, C10 with the one-factor
    caveat (the model cannot move the curve apart from VIX)."""
    results = run_claims(tmp_path, n_paths=256, seed=5, progress=False, n_boot=BOOT,
                         model="svcj_default")
    assert [r.claim for r in results] == list(CLAIMS)
    c10 = next(r for r in results if r.claim == "C10")
    assert "cannot test" in c10.verdict
    md = (tmp_path / "claims.md").read_text()
    assert "model svcj_default" in md and "--model svcj_default" in md


def test_c1_and_c2_also_read_the_real_episode_they_name(claims_run):
    """C1 (2022) and C2 (2020) carry the real year's figures beside the simulated scenario:
    the replay of the claims' own unhedged and ALVH strategies, one path, no CI, and the
    verdict still rests on the simulated year."""
    from simulator.report.claims import REAL_EPISODES
    from simulator.results.metrics import drawdown_and_recovery
    from simulator.scenario.replay import replay_history

    out, results, cube = claims_run
    strategies = json.loads(cube.attrs["strategies"])
    model = sim.load_model(json.loads(cube.attrs["model_preset"])["base"])
    for claim in ("C1", "C2"):
        start, end, words = REAL_EPISODES[claim]
        r = next(r for r in results if r.claim == claim)
        real = [f for f in r.findings if f.scenario.startswith("history ")]
        assert len(real) == 3 and all(math.isnan(f.ci_low) for f in real)
        assert f"On the real {words}" in r.explanation
        result, _ = replay_history(model, {k: strategies[k] for k in ("unhedged", "alvh_40_40_20")},
                                   start, end, costs=json.loads(cube.attrs["costs"]))
        for f, k in zip(real[:2], (0, 1), strict=True):
            worst, _ = drawdown_and_recovery(result.trading[k, 0][None], absolute=True)
            risk = strategies[result.strategies[k]]["condor"]["risk_per_tranche"]
            assert f.estimate == pytest.approx(worst[0] / risk, rel=1e-12)
        assert real[2].estimate == pytest.approx(1 - real[1].estimate / real[0].estimate)
    md = (out / "claims.md").read_text()
    assert "history 2022-01-03..2022-12-30" in md and "history 2020-01-02..2020-12-31" in md
