"""Scenario files: schema and error reporting, shipped library, runner, cube, CLI, resume."""

import math
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import xarray as xr
import yaml

import simulator as sim
from simulator.cli import main
from simulator.common.conventions import DEFAULT_MODEL
from simulator.results.cube import open_cube, write_cube
from simulator.scenario import ScenarioError, load_scenario, parse_scenario
from simulator.scenario.runner import checkpoint_dir, run_plan

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = sorted((ROOT / "scenarios").glob("*.yaml"))

SMALL = """
name: small
description: a small test scenario
simulation: {paths: 300, days: 63, seed: 5, chunk_paths: 64}
model: {preset: svcj_default, overrides: {v0: 0.02}}
scenarios:
  base: {}
  crash: {shocks: [{day: 25, spx_return: -0.1, vix: 60}]}
strategies:
  unhedged: {condor: {preset: monthly_16_delta}, hedge: none}
  alvh: {condor: {preset: monthly_16_delta}, hedge: {preset: alvh_40_40_20}}
sweep:
  alvh.hedge.budget_annual: [0.01, 0.03]
"""


def _write(tmp_path, text, name="s.yaml"):
    path = tmp_path / name
    path.write_text(text)
    return path


def _problems(text, **kw):
    with pytest.raises(ScenarioError) as info:
        parse_scenario(text, source="f.yaml", **kw)
    return dict(info.value.problems), str(info.value)


# ---- schema ----------------------------------------------------------------------------------

def test_design_example_parses_with_sweep_labels_and_coordinates():
    doc = (ROOT / "scenarios" / "hedge_ratio_sweep.yaml").read_text()
    plan = parse_scenario(doc)
    assert [s.name for s in plan.scenarios] == ["calm", "crash", "base"]
    assert next(iter(plan.strategies)) == "unhedged"
    assert list(plan.strategies)[1:] == [f"alvh[budget_annual={b:g}]"
                                         for b in (0.005, 0.01, 0.015, 0.02, 0.03)]
    assert [s.hedge.budget_annual for s in list(plan.strategies.values())[1:]] == \
        [0.005, 0.01, 0.015, 0.02, 0.03]
    np.testing.assert_array_equal(plan.sweep_coords["budget_annual"],
                                  [np.nan, 0.005, 0.01, 0.015, 0.02, 0.03])
    calm = plan.scenarios[0].model
    assert calm == sim.load_model("svcj_2f_vlevel_calm_2017")  # the scenario's own preset
    assert plan.scenarios[2].model.v0 == 0.0129  # the file-level override
    assert plan.scenarios[2].model.m0 == sim.load_model(DEFAULT_MODEL).m0
    assert len({s.stream for s in plan.scenarios}) == 3  # each scenario its own paths


def test_every_error_of_a_file_is_reported_at_once_with_path_value_and_range():
    bad = """
name: bad name
simulation: {paths: -5, seeed: 1}
model: {preset: svcj_default, overrides: {v0: 7}}
scenarios:
  crash: {shocks: [{day: 3, spx_return: -1.5}]}
costs: {spx_commission: -1, foo: 2}
strategies:
  unhedged: {condor: {preset: monthly_16_deltaa}, hedge: none}
  alvh: {condor: {preset: monthly_16_delta}, hedge: {preset: alvh_40_40_20, budget_annual: 1.5}}
sweep: {nobody.hedge.budget_annual: [0.01]}
extra: 1
"""
    problems, text = _problems(bad)
    assert "f.yaml" in text
    assert "must start with a letter" in problems["name"]
    assert "greater than or equal to 1" in problems["simulation.paths"]
    assert "(got -5)" in problems["simulation.paths"]
    assert problems["simulation.seeed"].startswith("unknown key; allowed: paths, days, seed")
    assert "[0, 4]" in problems["model.overrides.v0"]
    assert "greater than -1" in problems["scenarios.crash.shocks.0.spx_return"]
    assert "unknown key" in problems["costs.foo"]
    assert "monthly_16_delta" in problems["strategies.unhedged.condor"]
    assert "less than or equal to 1" in problems["strategies.alvh.hedge.budget_annual"]
    assert "no strategy 'nobody'" in problems["sweep.nobody.hedge.budget_annual"]
    assert "unknown section" in problems["extra"]
    assert len(problems) == 11


@pytest.mark.parametrize(("patch", "loc", "fragment"), [
    ({"simulation": {"paths": 10, "days": 30}, "scenarios": {"x": {"shocks": [
        {"day": 31, "spx_return": -0.1}]}}}, "scenarios.x.shocks.0.day", "1 .. simulation.days"),
    ({"scenarios": {"x": {"shocks": [{"day": 3, "vix": 9.0}]}}}, "scenarios.x.shocks.0.vix",
     "VIX floor"),
    ({"scenarios": {"x": {"shocks": [{"day": 3, "spx_return": -0.1},
                                     {"day": 3, "spx_return": -0.2}]}}}, "scenarios.x.shocks.1",
     "both move"),
    ({"scenarios": {"x": {"regimes": [{"start_day": 0, "end_day": 10, "P": {"lam": 5}},
                                      {"start_day": 5, "end_day": 20, "P": {"lam": 5}}]}}},
     "scenarios.x.regimes.1", "overlap"),
    ({"scenarios": {"x": {"regimes": [{"start_day": 0, "end_day": 10,
                                       "P": {"theta": 3.0}}]}}},
     "scenarios.x.regimes.0.P.theta", "(0, 1]"),
    ({"scenarios": {"x": {"regimes": [{"start_day": 0, "end_day": 10,
                                       "P": {"sigma_v": 0.3}}]}}},
     "scenarios.x.regimes.0.P.sigma_v", "'kappa'"),
    ({"scenarios": {"x": {"model": {"P": {"thetaa": 0.1}}}}}, "scenarios.x.model.P.thetaa",
     "unknown key"),
    ({"sweep": {"alvh.hedge.budget_annual": [0.01, 2.0]}},
     "sweep -> strategies.alvh[budget_annual=2].hedge.budget_annual", "less than or equal"),
    ({"sweep": {"alvh.hedge.budget_annual": [0.01, 0.01]}}, "sweep.alvh.hedge.budget_annual",
     "repeat"),
    ({"model": {"preset": "no_such_model"}}, "model.preset", "neither a preset"),
    ({"strategies": {"mine": {"condor": {"preset": "monthly_16_delta"}},
                     "other": {"condor": {"preset": "cndr_like"}, "hedge": {
                         "preset": "single_front"}}}, "sweep": {}}, "strategies", "unhedged"),
])
def test_semantic_errors_name_the_field_and_the_allowed_values(patch, loc, fragment):
    doc = yaml.safe_load(SMALL)
    for key, value in patch.items():
        if key == "simulation":
            doc[key] = {**doc[key], **value}
        else:
            doc[key] = value
    problems, _ = _problems(yaml.safe_dump(doc))
    assert loc in problems, problems
    assert fragment in problems[loc]


def test_unhedged_is_added_when_all_strategies_share_one_condor():
    doc = yaml.safe_load(SMALL)
    del doc["strategies"]["unhedged"]
    plan = parse_scenario(yaml.safe_dump(doc))
    assert next(iter(plan.strategies)) == "unhedged"
    assert plan.strategies["unhedged"].hedge is None
    assert plan.strategies["unhedged"].condor == plan.strategies["alvh[budget_annual=0.01]"].condor


def test_command_line_overrides_and_costs_none():
    doc = yaml.safe_load(SMALL)
    doc["costs"] = "none"
    plan = parse_scenario(yaml.safe_dump(doc), n_paths=17, seed=9)
    assert (plan.n_paths, plan.seed) == (17, 9)
    assert plan.costs.is_free


# ---- the shipped library ---------------------------------------------------------------------

def test_the_library_has_every_scenario_the_design_names():
    names = {p.stem for p in SCENARIOS}
    assert {"quickstart", "hedge_ratio_sweep", "layer_split", "calm_low_vol", "covid_2020_shock",
            "bear_2022_grind", "volmageddon_2018", "event_days"} <= names


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.stem)
def test_shipped_scenarios_validate_and_describe_themselves(path):
    plan = load_scenario(path)
    assert plan.name == path.stem
    assert len(plan.description.split()) >= 20  # what it represents and where numbers come from
    assert "unhedged" in plan.strategies


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.stem)
def test_shipped_scenarios_run_small_and_the_books_balance(path):
    history = "source: history" in path.read_text()  # real windows: the paths are the data's
    plan = load_scenario(path) if history else load_scenario(path, n_paths=48)
    cube = run_plan(plan)
    assert dict(cube.sizes) | {} == {
        "scenario": len(plan.scenarios), "strategy": len(plan.strategies),
        "path": plan.n_paths if history else 48,
        "day": plan.n_days + 1, "quantile": len(plan.simulation.quantiles),
        "month": plan.n_days // 21, "layer": 3, "event": cube.sizes["event"], "lag": 26,
        "vol_event": plan.vol_events.max_per_path,
        # a one-window replay keeps its path and its blotter (issue 29): no report re-runs it
        **({"kept_path": 1, "trade": cube.sizes["trade"], "leg": 4}
           if cube.attrs["path_source"] == "history" else {})}
    if "trade" in cube.sizes:
        assert cube.sizes["trade"] > 0
    parts = (cube.condor_pnl + cube.layer_pnl.sum("layer") + cube.put_pnl + cube.spx_costs
             + cube.interest
             + cube.index_pnl)
    np.testing.assert_allclose(parts.values, cube.total_return.values, atol=1e-10)
    np.testing.assert_allclose(cube.equity_q.isel(day=0).values, 1.0)
    assert (cube.equity_q.diff("quantile") >= 0).all()
    assert (cube.max_drawdown >= 0).all() and (cube.max_drawdown < 1).all()
    np.testing.assert_allclose(cube.trading_return.values,
                               (cube.total_return - cube.interest).values, atol=1e-10)
    assert (cube.trading_max_drawdown >= 0).all()
    compounded = (1 + cube.monthly_return).prod("month") - 1  # full months only
    if plan.n_days % 21 == 0:
        np.testing.assert_allclose(compounded.values, cube.total_return.values, atol=1e-10)


def test_covid_and_volmageddon_replays_have_the_historical_shape():
    covid = load_scenario(ROOT / "scenarios" / "covid_2020_shock.yaml").scenarios[0]
    ds = sim.simulate_paths(covid.model, 200, 60, seed=1, **covid.path_kwargs())
    drop = ds.spx.values[:, 47] / ds.spx.values[:, 24] - 1  # 23 trading days
    np.testing.assert_allclose(drop, 2237.40 / 3386.15 - 1, atol=2e-4)  # rounded daily returns
    np.testing.assert_allclose(ds.vix.values[:, 42], 82.69, rtol=1e-9)  # 16 March 2020
    vm = load_scenario(ROOT / "scenarios" / "volmageddon_2018.yaml").scenarios[0]
    ds = sim.simulate_paths(vm.model, 200, 40, seed=1, **vm.path_kwargs())
    np.testing.assert_allclose(ds.vix.values[:, 31] / ds.vix.values[:, 30], 37.32 / 17.31,
                               rtol=1e-9)  # VIX more than doubles in one day


def test_bear_2022_regime_matches_its_description():
    """The file documents, from 4,000 paths at seed 3: median S&P 500 return over the year
    -17.0 %, 64 % of paths ever above VIX 40, 67 % of path-days with VIX in [20, 35]. Here a
    different seed (11) and 4,000 paths: the median and the share above 40 must agree within 4
    standard errors of a difference of two independent estimates (sqrt(2) x SE; median SE
    1.2533 sd / sqrt(n), share SE binomial). Path-days are correlated, so the band share is only
    checked to be "mostly" (> 60 %)."""
    grind = {s.name: s for s in load_scenario(ROOT / "scenarios" / "bear_2022_grind.yaml")
             .scenarios}["grind"]
    n = 4_000
    ds = sim.simulate_paths(grind.model, n, 252, seed=11, **grind.path_kwargs())
    ret = ds.spx.values[:, -1] / ds.spx.values[:, 0] - 1
    se_median = 1.2533 * ret.std() / math.sqrt(n)
    assert abs(np.median(ret) - (-0.170)) < 4 * math.sqrt(2) * se_median, np.median(ret)
    vix = ds.vix.values
    in_band = ((vix >= 20) & (vix <= 35)).mean()
    assert in_band > 0.60, in_band
    above_40 = (vix.max(axis=1) > 40).mean()
    se_share = math.sqrt(0.643 * 0.357 / n)
    assert abs(above_40 - 0.643) < 4 * math.sqrt(2) * se_share, above_40


# ---- runner and cube -------------------------------------------------------------------------

@pytest.fixture(scope="module")
def small_cube():
    return run_plan(parse_scenario(SMALL, source="small.yaml"))


def test_cube_layout_names_and_provenance(small_cube):
    cube = small_cube
    for name, dims in {"max_drawdown": ("scenario", "strategy", "path"),
                       "recovery_days": ("scenario", "strategy", "path"),
                       "total_return": ("scenario", "strategy", "path"),
                       "monthly_return": ("scenario", "strategy", "path", "month"),
                       "equity_q": ("scenario", "strategy", "quantile", "day"),
                       "layer_pnl": ("scenario", "strategy", "layer", "path"),
                       "hedge_premium": ("scenario", "strategy", "path")}.items():
        assert cube[name].dims == dims
        assert cube[name].attrs["units"]
    assert list(cube.layer.values) == ["front", "middle", "tail"]
    assert cube.attrs["scenario_text"] == SMALL and cube.attrs["seed"] == 5
    assert cube.attrs["package_version"] == sim.__version__
    import json
    params = json.loads(cube.attrs["model_parameters"])
    assert params["base"]["v0"] == 0.02 and params["crash"]["P"]["kappa"] == 4.5
    assert "vol_fine_step" in json.loads(cube.attrs["table_grid"])
    assert cube.budget_annual.sel(strategy="alvh[budget_annual=0.03]") == 0.03
    # unhedged pays no premium and has no layers
    assert (cube.hedge_premium.sel(strategy="unhedged") == 0).all()
    assert (cube.layer_pnl.sel(strategy="unhedged") == 0).all()


def test_cube_matches_an_independent_evaluation_of_the_same_paths(small_cube):
    """The runner's chunking, checkpoints and reductions against evaluate_strategies on all
    paths at once (one chunk) and numpy quantiles of the full equity."""
    from simulator.results import metrics
    from simulator.strategy.engine import evaluate_strategies

    plan = parse_scenario(SMALL)
    sc = plan.scenarios[1]
    res = evaluate_strategies(sc.model, plan.strategies, plan.n_paths, plan.n_days, plan.seed,
                              chunk_size=plan.n_paths, **sc.path_kwargs())
    cube = small_cube.sel(scenario="crash")
    np.testing.assert_array_equal(cube.max_drawdown.values, metrics.max_drawdown(res.equity))
    np.testing.assert_array_equal(cube.total_return.values, metrics.total_return(res.equity))
    np.testing.assert_array_equal(cube.irr.values, res.irr)  # the day loop's, chunked alike
    assert np.isfinite(cube.irr.values).mean() > 0.9 and cube.irr.attrs["units"] == "1/year"
    q = np.quantile(res.equity.astype(np.float32).astype(float), cube["quantile"].values, axis=1)
    np.testing.assert_allclose(cube.equity_q.values, np.moveaxis(q, 0, 1), rtol=1e-6)
    # VIX at the start of month m is the VIX of day 21 m, from an independent path draw
    paths = sim.simulate_paths(sc.model, n_paths=plan.n_paths, n_days=plan.n_days,
                               seed=plan.seed, **sc.path_kwargs())
    starts = paths.vix.sel(day=21 * np.arange(cube.sizes["month"])).values
    np.testing.assert_array_equal(cube.vix_month_start.values, starts)


def test_same_seed_same_cube_other_seed_other_cube_and_chunking_changes_nothing(small_cube):
    again = run_plan(parse_scenario(SMALL, source="small.yaml"))
    xr.testing.assert_identical(small_cube, again)
    other = run_plan(parse_scenario(SMALL, source="small.yaml", seed=6))
    assert not np.array_equal(other.total_return.values, small_cube.total_return.values)
    rechunked = run_plan(parse_scenario(SMALL.replace("chunk_paths: 64", "chunk_paths: 300")))
    xr.testing.assert_equal(small_cube, rechunked)  # values and coordinates; attrs differ


def test_netcdf_round_trip_is_identical(small_cube, tmp_path):
    path = write_cube(small_cube, tmp_path / "cube.nc")
    xr.testing.assert_identical(open_cube(path), small_cube)
    assert [p.name for p in tmp_path.iterdir()] == ["cube.nc"]  # no temporary file left


def test_summary_pairs_against_unhedged(small_cube):
    table = sim.summarize(small_cube, n_boot=200)
    row = table.loc[("crash", "alvh[budget_annual=0.03]")]
    assert row["drag_lo"] <= row["drag"] <= row["drag_hi"]
    assert np.isnan(table.loc[("base", "unhedged")].get("drag", np.nan))
    text = sim.format_summary(table)
    assert "alvh[budget_annual=0.03]" in text and "drag %/yr" in text


def test_summary_statistics_on_a_synthetic_cube_with_known_answer():
    """Hedged drawdowns are exactly 0.8 x unhedged and hedged returns exactly 1 % lower over
    252 days: drawdown reduction 20 % (median and p95) and drag 1 %/yr, inside their CIs."""
    rng = np.random.default_rng(0)
    n = 2_000
    dd_u = rng.uniform(0.01, 0.3, n)
    tr_u = rng.normal(0.05, 0.1, n)
    rec = rng.uniform(5, 100, n)
    dims = ("scenario", "strategy", "path")
    cube = xr.Dataset(
        {"trading_max_drawdown": (dims, np.stack([dd_u, 0.8 * dd_u])[None]),
         "trading_return": (dims, np.stack([tr_u, tr_u - 0.01])[None]),
         "total_return": (dims, np.stack([tr_u + 0.04, tr_u + 0.03])[None]),
         "trading_recovery_days": (dims, np.stack([rec, 0.5 * rec])[None]),
         "hedge_premium": (dims, np.stack([0 * rec, 0 * rec + 0.02])[None])},
        coords={"scenario": ["s"], "strategy": ["unhedged", "h"], "path": np.arange(n),
                "day": np.arange(253)},
        attrs={"strategies": '{"unhedged": {"condor": {"risk_per_tranche": 0.025}}}'})
    row = sim.summarize(cube, n_boot=300).loc[("s", "h")]
    for name, truth in (("drawdown_reduction_median", 0.2), ("drawdown_reduction_p95", 0.2),
                        ("drag", 0.01), ("recovery_speedup", 0.5)):
        assert row[name] == pytest.approx(truth, abs=1e-12)
        assert row[f"{name}_lo"] - 1e-12 <= truth <= row[f"{name}_hi"] + 1e-12
    assert row["hedge_premium_per_year"] == pytest.approx(0.02)
    # drawdowns as fractions of equity, and in units of risk capital (2.5 % of equity);
    # returns over cash
    base = sim.summarize(cube, n_boot=20).loc[("s", "unhedged")]
    assert base["max_drawdown_median"] == pytest.approx(np.median(dd_u))
    assert base["max_drawdown_risk_capital_median"] == pytest.approx(np.median(dd_u) / 0.025)
    assert base["annualised_return"] == pytest.approx(tr_u.mean())
    assert base["account_return"] == pytest.approx((tr_u + 0.04).mean())
    assert base["recovered_share"] == 1.0


# ---- command line ------------------------------------------------------------------------

def test_cli_run_writes_the_cube_and_prints_the_summary(tmp_path, capsys):
    src = _write(tmp_path, SMALL.replace("paths: 300", "paths: 64"))
    out = tmp_path / "res" / "small.nc"
    assert main(["run", str(src), "--out", str(out), "--quiet"]) == 0
    printed = capsys.readouterr().out
    assert "drag %/yr" in printed and "alvh[budget_annual=0.01]" in printed
    cube = open_cube(out)
    assert cube.sizes["path"] == 64
    assert not checkpoint_dir(out).exists()
    assert sorted(p.name for p in out.parent.iterdir()) == ["small.nc"]


def test_cli_validate_lists_problems_and_exits_2(tmp_path, capsys):
    good = _write(tmp_path, SMALL, "good.yaml")
    bad = _write(tmp_path, SMALL.replace("days: 63", "days: 0"), "bad.yaml")
    assert main(["validate", str(good)]) == 0
    assert main(["validate", str(good), str(bad)]) == 2
    err = capsys.readouterr().err
    assert "bad.yaml" in err and "simulation.days" in err and ">= 1" in err.replace(
        "greater than or equal to", ">=")


@pytest.mark.parametrize("text", ["", "just text", "[1, 2]", "name: [unclosed", "\t- x: :"])
def test_cli_run_rejects_non_documents_with_exit_2_and_no_file(tmp_path, capsys, text):
    src = _write(tmp_path, text)
    out = tmp_path / "out.nc"
    assert main(["run", str(src), "--out", str(out)]) == 2
    assert "s.yaml" in capsys.readouterr().err
    assert not out.exists() and not checkpoint_dir(out).exists()


# ---- fuzz: malformed documents always give exit 2 and no file --------------------------

def _leaves(node, path=()):
    if isinstance(node, dict):
        for k, v in node.items():
            yield from _leaves(v, (*path, k))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from _leaves(v, (*path, i))
    else:
        yield path, node


def _dicts(node, path=()):
    if isinstance(node, dict):
        yield path
        for k, v in node.items():
            yield from _dicts(v, (*path, k))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from _dicts(v, (*path, i))


def _get(node, path):
    for p in path:
        node = node[p]
    return node


def test_fuzzed_malformed_documents_exit_2_and_leave_no_file(tmp_path_factory):
    """Each example breaks a valid document in a way that must be invalid: an unknown key with
    a non-mapping value anywhere, a number replaced by text, a list or a huge negative
    number, or a required section removed."""
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    base = yaml.safe_load(SMALL)
    numbers = [p for p, v in _leaves(base) if isinstance(v, int | float)
               and not isinstance(v, bool)]
    dict_paths = list(_dicts(base))

    mutation = st.one_of(
        st.tuples(st.just("unknown"), st.sampled_from(dict_paths),
                  st.sampled_from([17, "x", [1], -3.5])),
        st.tuples(st.just("number"), st.sampled_from(numbers),
                  st.sampled_from(["abc", [], {"a": 1}, -1e9, float("nan")])),
        st.tuples(st.just("drop"), st.sampled_from(["name", "simulation", "strategies"]),
                  st.none()),
    )

    @settings(max_examples=60, deadline=None, suppress_health_check=[
        HealthCheck.function_scoped_fixture])
    @given(st.lists(mutation, min_size=1, max_size=3))
    def check(mutations):
        doc = yaml.safe_load(SMALL)
        for kind, where, value in mutations:
            try:
                if kind == "unknown":
                    _get(doc, where)["zz_not_a_field"] = value
                elif kind == "number":
                    _get(doc, where[:-1])[where[-1]] = value
                else:
                    doc.pop(where, None)
            except (KeyError, IndexError, TypeError):
                pass  # an earlier mutation removed the target; the others still apply
        folder = tmp_path_factory.mktemp("fuzz")
        src = folder / "fuzz.yaml"
        src.write_text(yaml.safe_dump(doc))
        out = folder / "out.nc"
        assert main(["run", str(src), "--out", str(out), "--quiet"]) == 2
        assert not out.exists() and not checkpoint_dir(out).exists()
        assert sorted(p.name for p in folder.iterdir()) == ["fuzz.yaml"]

    check()


# ---- resume ------------------------------------------------------------------------------

def test_resume_after_an_interruption_gives_the_identical_cube(tmp_path):
    plan = parse_scenario(SMALL, source="small.yaml")
    whole = run_plan(plan, out=tmp_path / "whole.nc")
    out = tmp_path / "part.nc"
    seen = []

    def stop_after_three(si, ci):
        seen.append((si, ci))
        if len(seen) == 3:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run_plan(plan, out=out, on_unit=stop_after_three)
    assert not out.exists() and len(list(checkpoint_dir(out).glob("*.npz"))) == 3
    resumed_units = []
    cube = run_plan(plan, out=out, resume=True, on_unit=lambda si, ci: resumed_units.append(
        (si, ci)))
    assert len(resumed_units) == 2 * 5 - 3  # only the unfinished chunks were computed
    assert not set(resumed_units) & set(seen)
    xr.testing.assert_identical(cube, whole)
    xr.testing.assert_identical(open_cube(out), open_cube(tmp_path / "whole.nc"))


def _stop_after(n, seen):
    def on_unit(si, ci):
        seen.append((si, ci))
        if len(seen) == n:
            raise KeyboardInterrupt
    return on_unit


def test_a_finished_scenario_keeps_its_quantiles_not_its_books(tmp_path, monkeypatch):
    """Once a scenario's last unit is saved, its fans are written to its quantiles file and
    its equity files deleted; the cube equals a run that reads every scenario's books back at
    the end (finish_scenario disabled), and a resume from there equals both."""
    from simulator.scenario import runner

    plan = parse_scenario(SMALL, source="small.yaml")  # 2 scenarios x 5 chunks
    seen = []  # run_plan's ``meanwhile``: the finished cube, fans included, while it is written
    whole = run_plan(plan, out=tmp_path / "whole.nc",
                     meanwhile=lambda c: seen.append((c, (tmp_path / "whole.nc").exists())))
    assert len(seen) == 1 and seen[0][0] is whole and "equity_q" in whole
    assert not seen[0][1]  # before the file is in place
    with monkeypatch.context() as m:  # the quantiles from all the books at the end, as before
        m.setattr(runner, "finish_scenario", lambda *args, **kwargs: None)
        at_the_end = run_plan(plan, out=tmp_path / "end.nc")
    xr.testing.assert_identical(whole, at_the_end)

    out = tmp_path / "part.nc"
    seen = []
    with pytest.raises(KeyboardInterrupt):
        run_plan(plan, out=out, on_unit=_stop_after(7, seen))
    folder = checkpoint_dir(out)
    assert sorted(p.name for p in folder.glob("*_equity.npy")) == [
        "s001_c000000_equity.npy", "s001_c000001_equity.npy"]
    assert sorted(p.name for p in folder.glob("*_quantiles.npz")) == ["s000_quantiles.npz"]
    with np.load(folder / "s000_quantiles.npz") as data:
        fans = data["quantiles"]
    base = whole.isel(scenario=0)
    np.testing.assert_array_equal(fans, np.concatenate([base.equity_q.values,
                                                        base.trading_q.values]))
    resumed = []
    cube = run_plan(plan, out=out, resume=True, on_unit=lambda si, ci: resumed.append((si, ci)))
    assert resumed == [(1, 2), (1, 3), (1, 4)]
    xr.testing.assert_identical(cube, whole)
    assert not folder.exists()


def test_a_finished_scenarios_files_take_the_next_scenarios_books(tmp_path):
    """A finished scenario's equity files move to the spare folder (not the last
    scenario's: deleted), and the next scenario's books are written into them: the same
    files (inodes), renamed onto the new units. The cube is the one of a run without
    checkpoints."""
    from simulator.scenario.runner import SPARE_DIR

    plan = parse_scenario(SMALL, source="small.yaml")  # 2 scenarios x 5 chunks
    out = tmp_path / "spare.nc"
    folder = checkpoint_dir(out)
    seen = {}

    def inodes(si, ci):
        books = {p.name: os.stat(p).st_ino for p in folder.glob("*_equity.npy")}
        spare = {p.name: os.stat(p).st_ino for p in (folder / SPARE_DIR).glob("*.npy")}
        seen[(si, ci)] = books, spare

    cube = run_plan(plan, out=out, on_unit=inodes)
    xr.testing.assert_identical(cube, run_plan(plan))
    assert not folder.exists()
    books, spare = seen[(0, 3)]
    assert sorted(books) == [f"s000_c{c:06d}_equity.npy" for c in range(4)] and not spare
    first = seen[(0, 4)][1]  # scenario 0 finished: its five books are the spares
    assert sorted(first) == [f"s000_c{c:06d}_equity.npy" for c in range(5)]
    assert not seen[(0, 4)][0]
    assert {v for k, v in first.items() if k != "s000_c000004_equity.npy"} == set(
        books.values())
    for c in range(4):  # each new unit takes a spare's file; the spares shrink one by one
        books, spare = seen[(1, c)]
        assert sorted(books) == [f"s001_c{j:06d}_equity.npy" for j in range(c + 1)]
        assert set(books.values()) | set(spare.values()) == set(first.values())
        assert len(spare) == 4 - c
    assert seen[(1, 4)] == ({}, {})  # the last scenario's books deleted, not kept


def test_a_spare_file_is_overwritten_whole_or_removed(tmp_path, monkeypatch):
    """A spare longer than the new books is cut to them (the file is byte for byte a new
    file's); a write that fails there removes the spare and names the unit's file."""
    from simulator.scenario import runner

    (tmp_path / runner.SPARE_DIR).mkdir()
    spare = tmp_path / runner.SPARE_DIR / "s000_c000000_equity.npy"
    np.save(spare, np.ones((2, 3, 50), dtype=np.float32))
    inode = os.stat(spare).st_ino
    books = np.arange(24, dtype=np.float32).reshape(2, 3, 4)
    target = tmp_path / "s001_c000000_equity.npy"
    runner._save_equity(tmp_path, target, books)
    np.save(tmp_path / "fresh.npy", books)
    assert target.read_bytes() == (tmp_path / "fresh.npy").read_bytes()
    assert os.stat(target).st_ino == inode and not spare.exists()

    np.save(spare, books)

    def full_disk(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(np, "save", full_disk)
    with pytest.raises(OSError, match="No space") as err:
        runner._save_equity(tmp_path, tmp_path / "s001_c000001_equity.npy", books)
    assert err.value.filename == str(tmp_path / "s001_c000001_equity.npy")
    assert not spare.exists() and not (tmp_path / "s001_c000001_equity.npy").exists()


def test_a_damaged_quantiles_file_recomputes_its_scenario_on_resume(tmp_path):
    import io

    from simulator.scenario.runner import Progress

    plan = parse_scenario(SMALL, source="small.yaml")
    whole = run_plan(plan)
    out = tmp_path / "part.nc"
    with pytest.raises(KeyboardInterrupt):
        run_plan(plan, out=out, on_unit=_stop_after(6, []))
    fans = checkpoint_dir(out) / "s000_quantiles.npz"
    fans.write_bytes(fans.read_bytes()[:-100])
    log = io.StringIO()
    resumed = []
    cube = run_plan(plan, out=out, resume=True, progress=Progress(10, stream=log),
                    on_unit=lambda si, ci: resumed.append((si, ci)))
    assert sorted(resumed) == [(0, c) for c in range(5)] + [(1, c) for c in range(1, 5)]
    assert "s000_quantiles.npz is damaged" in log.getvalue()
    xr.testing.assert_identical(cube, whole)


def test_a_crash_before_a_scenarios_quantiles_are_saved(tmp_path, monkeypatch):
    """Every unit of the scenario saved, the run killed before its quantiles file: the
    resume computes no unit again and takes the fans from the equity files at the end."""
    from simulator.scenario import runner

    plan = parse_scenario(SMALL, source="small.yaml")
    seen = []
    whole = run_plan(plan, meanwhile=seen.append)  # no output: called with the cube at the end
    assert len(seen) == 1 and seen[0] is whole and "trading_q" in whole
    out = tmp_path / "part.nc"

    def crash(*args, **kwargs):
        raise KeyboardInterrupt

    with monkeypatch.context() as m:
        m.setattr(runner, "finish_scenario", crash)
        with pytest.raises(KeyboardInterrupt):
            run_plan(plan, out=out)
    folder = checkpoint_dir(out)
    assert len(list(folder.glob("s000_c*_equity.npy"))) == 5
    assert not list(folder.glob("*_quantiles.npz"))
    resumed = []
    cube = run_plan(plan, out=out, resume=True, on_unit=lambda si, ci: resumed.append((si, ci)))
    assert all(si == 1 for si, _ in resumed)
    xr.testing.assert_identical(cube, whole)


def test_resume_refuses_checkpoints_of_another_run(tmp_path):
    from simulator.scenario.runner import ResumeError

    out = tmp_path / "r.nc"
    with pytest.raises(KeyboardInterrupt):
        run_plan(parse_scenario(SMALL), out=out,
                 on_unit=lambda si, ci: (_ for _ in ()).throw(KeyboardInterrupt))
    with pytest.raises(ResumeError, match="different run"):
        run_plan(parse_scenario(SMALL, seed=99), out=out, resume=True)


def test_resume_after_kill_9_of_the_command_line(tmp_path):
    """A real ``alvh run`` process killed with SIGKILL once some chunks are checkpointed;
    ``--resume`` then finishes it, and the cube equals an uninterrupted run's."""
    text = SMALL.replace("paths: 300", "paths: 4000").replace("chunk_paths: 64",
                                                               "chunk_paths: 100")
    src = _write(tmp_path, text)
    out = tmp_path / "killed.nc"
    ckpt = checkpoint_dir(out)
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    cmd = [sys.executable, "-m", "simulator.cli", "run", str(src), "--out", str(out),
           "--quiet", "--no-summary"]
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.time() + 240
    while time.time() < deadline and proc.poll() is None:
        if len(list(ckpt.glob("*.npz"))) >= 2:
            break
        time.sleep(0.005)
    assert proc.poll() is None, "the run ended before it could be killed"
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    done = len(list(ckpt.glob("*.npz")))
    assert 2 <= done < 80 and not out.exists()
    assert subprocess.run([*cmd, "--resume"], env=env).returncode == 0
    whole = tmp_path / "whole.nc"
    assert main(["run", str(src), "--out", str(whole), "--quiet", "--no-summary"]) == 0
    xr.testing.assert_identical(open_cube(out), open_cube(whole))


def test_progress_in_a_log_shows_count_elapsed_and_eta_and_notes_above_the_bar():
    """Not a terminal: tqdm prints a line at start and at most every 30 s, and the last one
    with every unit done; units restored from checkpoints count as done; a note goes above
    the bar; disabled, nothing is written."""
    import io

    from simulator.scenario.runner import Progress

    buf = io.StringIO()
    bar = Progress(20, stream=buf)
    bar.note("resuming: 2 finished chunk(s) found")
    bar.skip()
    bar.skip()
    for i in range(18):
        bar.update("base")
        if i == 4:
            bar.note("a notice mid-run")
    text = buf.getvalue().replace("\r", "\n")
    lines = [x for x in text.splitlines() if x.strip()]
    assert lines[0] == "resuming: 2 finished chunk(s) found"
    assert "a notice mid-run" in lines
    assert len(lines) <= 8  # not one line per unit in a log
    last = lines[-1]
    assert "100%" in last and "20/20 chunks" in last and "base" in last and "<00:00" in last
    quiet = io.StringIO()
    silent = Progress(3, stream=quiet, enabled=False)
    silent.note("x")
    silent.update("x")
    assert quiet.getvalue() == ""


def test_a_first_run_says_it_builds_the_pricing_tables(monkeypatch, tmp_path):
    """Before the silent minute of a table build, the terminal says what is happening."""
    import io

    from simulator.scenario import runner
    from simulator.scenario.loader import load_scenario

    plan = load_scenario(ROOT / "scenarios" / "quickstart.yaml", n_paths=16)
    stream = io.StringIO()
    monkeypatch.setenv("ALVH_CACHE_DIR", str(tmp_path))  # an empty cache: nothing built yet
    runner._announce_first_run(plan, runner.Progress(1, stream=stream))
    assert f"building pricing tables for {DEFAULT_MODEL} once" in stream.getvalue()
    stream = io.StringIO()
    monkeypatch.setattr("simulator.pricing.pricer.tables_cached_for_model", lambda model: True)
    runner._announce_first_run(plan, runner.Progress(1, stream=stream))
    assert stream.getvalue() == ""


def test_a_preset_name_alone_names_the_condor_or_the_hedge():
    from simulator.scenario.loader import parse_scenario

    plan = parse_scenario("name: x\nsimulation: {paths: 10}\nstrategies:\n"
                          "  unhedged: {condor: monthly_16_delta}\n"
                          "  alvh: {condor: monthly_16_delta, hedge: alvh_40_40_20}\n")
    assert plan.strategies["alvh"].hedge.preset == "alvh_40_40_20"
    assert plan.strategies["alvh"].hedge.budget_annual == 0.02


def test_a_percentage_where_a_fraction_belongs_gets_the_fix_spelled_out():
    from simulator.scenario import ScenarioError
    from simulator.scenario.loader import parse_scenario

    with pytest.raises(ScenarioError, match=r"budget_annual: .*for 3 % write 0\.03"):
        parse_scenario("name: x\nsimulation: {paths: 10}\nstrategies:\n"
                       "  unhedged: {condor: monthly_16_delta}\n"
                       "  alvh: {condor: monthly_16_delta, hedge: {preset: alvh_40_40_20, "
                       "budget_annual: 3}}\n")


@pytest.mark.parametrize("kind, name", [("model", "svcj_2f_default (two factors)"),
                                        ("condor", "prob_70_between"),
                                        ("hedge", "alvh_40_40_20"), ("costs", "retail_combo")])
def test_alvh_presets_lists_every_kind(capsys, kind, name):
    from simulator.cli import main

    assert main(["presets", kind]) == 0
    assert name in capsys.readouterr().out


def test_alvh_dash_capital_v_prints_the_version(capsys):
    from simulator.cli import main

    assert main(["-V"]) == 0
    assert capsys.readouterr().out.strip() == sim.__version__


def test_the_cube_follows_cf_conventions_after_a_round_trip(small_cube, tmp_path):
    """Conventions set, every variable's units parse as UDUNITS-style units (pint), every
    coordinate has a long_name, the settings are plain attributes."""
    import pint

    from simulator.results.cube import open_cube, write_cube

    cube = open_cube(write_cube(small_cube, tmp_path / "c.nc"))
    assert cube.attrs["Conventions"].startswith("CF-")
    units = pint.UnitRegistry()
    for name, var in cube.data_vars.items():
        assert var.attrs["long_name"] and var.attrs["description"], name
        units.parse_units(var.attrs["units"])  # raises on a free-text unit
    for name, coord in cube.coords.items():
        assert coord.attrs.get("long_name"), name
        if "units" in coord.attrs:
            units.parse_units(coord.attrs["units"])
    assert cube.attrs["simulation_paths"] == cube.sizes["path"]
    assert cube.attrs["costs_preset"] and cube.attrs["vol_event_rule_within_days"] > 0


def test_every_shipped_scenario_passes_the_json_schema_and_it_refuses_bad_ones():
    """The schema printed by ``alvh schema`` (for editors) against a second validator,
    jsonschema: every shipped file passes; files with a wrong type, an unknown key or an
    out-of-range value are refused, as the loader refuses them."""
    import jsonschema
    import yaml

    from simulator.scenario.schema import json_schema

    schema = json_schema()
    from simulator.common import safe_yaml

    for path in SCENARIOS:  # read as the loader reads it (dates stay text, as editors see them)
        jsonschema.validate(safe_yaml.load(path.read_text()), schema)
    bad = ROOT / "tests" / "data" / "bad_scenarios"
    for name in ("unknown_section", "condor_unknown", "costs_commission_string", "events_max",
                 "hedge_budget_two", "missing_strategies"):
        doc = yaml.safe_load((bad / f"{name}.yaml").read_text())
        with pytest.raises(jsonschema.ValidationError):
            jsonschema.validate(doc, schema)


def test_validate_show_prints_the_expanded_file(capsys):
    import yaml

    from simulator.cli import main

    assert main(["validate", "--show", str(ROOT / "scenarios" / "quickstart.yaml")]) == 0
    out = capsys.readouterr().out
    doc = yaml.safe_load(out.split("\n", 1)[1])
    assert doc["strategies"]["alvh"]["hedge"]["layers"]["front"]["weight"] == 0.4
    assert doc["scenarios"]["crash"]["shocks"][0]["vix"] == 65.0
    assert main(["schema"]) == 0 and '"ALVH scenario file"' in capsys.readouterr().out


def test_verbose_logs_each_chunk_and_quiet_prints_nothing_but_errors(tmp_path, capsys):
    import logging

    from simulator.cli import main

    try:
        assert main(["run", "quickstart", "--paths", "16", "--out", str(tmp_path / "a.nc"),
                     "--no-summary", "-v"]) == 0
        err = capsys.readouterr().err
        assert "alvh: base, paths 0-15:" in err and "alvh: crash, paths 0-15:" in err
        assert "chunks" in err  # the progress bar
        assert main(["-q", "run", "quickstart", "--paths", "16", "--out",
                     str(tmp_path / "b.nc"), "--no-summary"]) == 0
        captured = capsys.readouterr()
        assert captured.err == ""
        assert main(["run", "no_such_file.yaml", "-q"]) == 2
        assert "no such file" in capsys.readouterr().err
    finally:  # leave the package's logger as the other tests expect it
        logging.getLogger("simulator").setLevel(logging.NOTSET)
