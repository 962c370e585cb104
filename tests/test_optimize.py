"""alvh optimize: the search machinery on a synthetic objective with a known optimum (no
simulation), reproducibility under a seed, resuming, the metrics against the summary's own
implementation, the shipped example at a small size, the preset file it writes, and bad
input (exit 2 naming the field)."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
import yaml

from simulator.cli import main
from simulator.optimize import metrics as M
from simulator.optimize.space import parse_dimension
from simulator.optimize.study import (
    SearchSettings,
    complete_trials,
    feasible,
    make_pruner,
    make_sampler,
    open_study,
    run_search,
)

ROOT = Path(__file__).resolve().parents[1]
SHIPPED = ROOT / "scenarios" / "optimize_hedge.yaml"
LAYERS = ("front", "middle", "tail")

# ---- the search machinery on a quadratic -------------------------------------------------

# optimum of the unconstrained quadratic; the constraint budget <= 0.02 binds, so the
# constrained optimum has budget 0.02 and the rest unchanged
TARGET = {"hedge.budget_annual": 0.025, "hedge.layers.tail.dte": 130}
TARGET_WEIGHTS = np.array([0.5, 0.3, 0.2])
BUDGET_CAP = 0.02


def _dims():
    return [parse_dimension("hedge.budget_annual", [0.005, 0.03], LAYERS),
            parse_dimension("hedge.layers.tail.dte", [90, 180], LAYERS),
            parse_dimension("hedge.split", "simplex", LAYERS)]


def _weights(params):
    shares = np.array([params[f"hedge.split.{layer}"] for layer in LAYERS])
    return shares / shares.sum() if shares.sum() > 0 else np.full(3, 1 / 3)


def _quadratic(params) -> float:
    """Each dimension scaled by its range, so each counts alike."""
    return (((params["hedge.budget_annual"] - TARGET["hedge.budget_annual"]) / 0.025) ** 2
            + ((params["hedge.layers.tail.dte"] - TARGET["hedge.layers.tail.dte"]) / 90) ** 2
            + float(((_weights(params) - TARGET_WEIGHTS) ** 2).sum()))


def _synthetic(designs, n_paths):
    # deterministic values; the CI bounds are the value (no sampling in a synthetic objective)
    out = []
    for params in designs:
        q = _quadratic(params)
        b = params["hedge.budget_annual"]
        out.append({"quad": (q, q, q), "budget": (b, b, b)})
    return out


def _search(seed, n_trials=150, storage=None, evaluate=_synthetic, resume=False):
    settings = SearchSettings([("quad", "minimize")], [("budget", [("<=", BUDGET_CAP)])],
                              n_trials, 6, (100,))
    study = open_study(storage, ["minimize"], make_sampler("tpe", seed, True, n_trials, 6),
                       make_pruner(True, (100,)), "synthetic", resume=resume)
    run_search(study, _dims(), evaluate, settings)
    return study


def _best(study):
    ok = [t for t in complete_trials(study) if feasible(t)]
    return min(ok, key=lambda t: t.values[0])


def test_search_finds_the_constrained_optimum_of_a_quadratic():
    study = _search(seed=5)
    best = _best(study)
    p = best.params
    # the optimum is (0.02, 130, 0.5/0.3/0.2) with value (0.005/0.025)^2 = 0.04; a tenth of
    # each range is the resolution asked of 150 trials in 5 parameters
    assert p["hedge.budget_annual"] <= BUDGET_CAP
    assert p["hedge.budget_annual"] == pytest.approx(BUDGET_CAP, abs=0.1 * 0.025)
    assert p["hedge.layers.tail.dte"] == pytest.approx(130, abs=0.1 * 90)
    assert np.abs(_weights(p) - TARGET_WEIGHTS).max() < 0.1
    assert 0.04 <= best.values[0] < 0.04 + 0.015
    # the sampler beat random search: the best of the first (random) 15 trials is worse
    first = [t.values[0] for t in complete_trials(study)[:15] if feasible(t)]
    assert best.values[0] < min(first)
    # every infeasible trial is marked so, and none is the best
    for t in complete_trials(study):
        assert feasible(t) == (t.params["hedge.budget_annual"] <= BUDGET_CAP)


def test_search_is_reproducible_under_a_seed():
    a, b, c = _search(seed=11, n_trials=18), _search(seed=11, n_trials=18), \
        _search(seed=12, n_trials=18)
    assert [t.params for t in a.trials] == [t.params for t in b.trials]
    assert _best(a).params == _best(b).params
    assert [t.params for t in a.trials] != [t.params for t in c.trials]


def test_an_interrupted_search_resumes_from_its_sqlite_file(tmp_path):
    storage = f"sqlite:///{tmp_path / 'optimize.db'}"
    calls = {"n": 0}

    def dies_in_the_second_batch(designs, n_paths):
        calls["n"] += 1
        if calls["n"] == 2:
            raise KeyboardInterrupt
        return _synthetic(designs, n_paths)

    with pytest.raises(KeyboardInterrupt):
        _search(seed=3, n_trials=12, storage=storage, evaluate=dies_in_the_second_batch)
    import optuna

    first = optuna.load_study(study_name="alvh_optimize", storage=storage)
    done = [t.params for t in complete_trials(first)]
    assert len(done) == 6  # the first batch, told before the interruption
    study = _search(seed=3, n_trials=12, storage=storage, resume=True)
    states = [t.state.name for t in study.trials]
    assert states.count("COMPLETE") == 12
    assert states.count("FAIL") == 6  # the batch that was running: failed, drawn again
    assert [t.params for t in complete_trials(study)][:6] == done
    with pytest.raises(ValueError, match="another search"):
        open_study(storage, ["minimize"], make_sampler("tpe", 3, True, 12, 6),
                   make_pruner(True, (100,)), "a different search", resume=True)


def test_successive_halving_prunes_only_the_worse_half_at_the_rung():
    """Rungs at 25 and 100 "paths": a trial is pruned at the rung only if it is not in the
    better half of the trials that reached the rung before it (reduction factor 2), so a
    pruned trial is never the best rung value so far; kept trials are told their full
    value."""
    settings = SearchSettings([("quad", "minimize")], [], 40, 5, (25, 100))
    study = open_study(None, ["minimize"], make_sampler("tpe", 2, False, 40, 5),
                       make_pruner(True, (25, 100)), "rungs")
    seen = []

    def evaluate(designs, n_paths):
        seen.append((n_paths, len(designs)))
        return _synthetic(designs, n_paths)

    run_search(study, _dims(), evaluate, settings)
    states = [t.state.name for t in study.trials]
    assert states.count("PRUNED") > 0 and states.count("COMPLETE") > 0
    assert len(study.trials) == 40
    rung = {t.number: t.intermediate_values[25] for t in study.trials}
    for t in study.trials:
        earlier = [rung[n] for n in rung if n < t.number]
        if t.state.name == "PRUNED" and earlier:
            assert rung[t.number] > min(earlier)
        if t.state.name == "COMPLETE":
            assert t.values[0] == pytest.approx(_quadratic(t.params))
    # each batch: every trial at the rung, then only the survivors on all paths
    assert all(n == 5 for p, n in seen if p == 25) and all(n <= 5 for p, n in seen if p == 100)


def test_designs_without_a_finite_objective_end_the_search_as_failed_trials():
    def nothing_draws_down(designs, n_paths):
        return [{"quad": (math.nan, math.nan, math.nan), "budget": (0.01, 0.01, 0.01)}
                for _ in designs]

    study = _search(seed=1, n_trials=8, evaluate=nothing_draws_down)
    assert [t.state.name for t in study.trials] == ["FAIL"] * 8
    assert all("not finite" in t.user_attrs["invalid"] for t in study.trials)


def test_nsga2_finds_a_front_of_two_objectives():
    """Two objectives (the quadratic and the budget, both minimised) trade off: the front
    runs from the quadratic's optimum (budget 0.025) to the lowest budget. No pruning with
    several objectives (Optuna's rule)."""
    settings = SearchSettings([("quad", "minimize"), ("budget", "minimize")], [], 60, 10,
                              (100,))
    study = open_study(None, ["minimize", "minimize"],
                       make_sampler("nsga2", 4, False, 60, 10), make_pruner(False, (100,)),
                       "nsga2")
    run_search(study, _dims(), _synthetic, settings)
    front = study.best_trials
    assert len(front) >= 3
    budgets = sorted(t.params["hedge.budget_annual"] for t in front)
    assert budgets[0] < 0.012 and budgets[-1] > 0.018  # both ends of the trade-off
    for a in front:  # no trial dominates a front member
        assert not any(all(b.values[k] <= a.values[k] for k in range(2)) and
                       b.values != a.values for b in complete_trials(study))


# ---- metrics -------------------------------------------------------------------------------

def test_conditions_and_feasible_sets():
    assert M.parse_condition("<= 0.01") == [("<=", 0.01)]
    assert M.parse_condition(">= 0.2 %, < 1%") == [(">=", 0.002), ("<", 0.01)]
    drag = M.parse_metric("drag@base")
    dd = M.parse_metric("trading_max_drawdown.p95@crash")
    assert dd.q == 0.95 and dd.units.startswith("risk capital")
    assert M.feasible_interval(drag, [(">=", 0.02), ("<=", 0.01)]) is None
    assert M.feasible_interval(dd, [("<", 0.0)]) is None
    assert M.feasible_interval(dd, [("<=", 0.0)]) == (0.0, 0.0, False, False)
    assert M.violation(0.012, [("<=", 0.01)]) == pytest.approx(0.002)
    assert M.violation(0.008, [("<=", 0.01)]) == 0.0
    for bad in ("drag", "dragg@base", "drawdown_cut@crash", "drag.p95@base",
                "trading_max_drawdown.p100@crash"):
        with pytest.raises(ValueError):
            M.parse_metric(bad)


@pytest.fixture(scope="module")
def small_plan():
    from simulator.scenario.loader import load_scenario

    return load_scenario(SHIPPED, n_paths=400)


def test_metrics_match_the_summary_table(small_plan):
    """Drag and drawdown cuts, computed by the optimiser's own functions, against the
    summary's implementation (results/summary.py) on the same cube."""
    from simulator.optimize.evaluate import run_designs
    from simulator.results.summary import summarize
    from simulator.strategy.config import StrategyConfig

    plan = small_plan
    plan = plan.__class__(**{**plan.__dict__, "simulation": plan.simulation.model_copy(
        update={"days": 42})})
    designs = {"alvh": plan.strategies["alvh"],
               "front": StrategyConfig(condor=plan.strategies["alvh"].condor,
                                       hedge={"preset": "single_front"})}
    metrics = [M.parse_metric(t) for t in ("drag@base", "drawdown_cut.p95@crash",
                                           "drawdown_cut.median@crash",
                                           "trading_max_drawdown.p95@crash")]
    values, cube = run_designs(plan, designs, metrics, n_boot=50)
    table = summarize(cube, n_boot=50)
    for name in designs:
        assert values[name]["drag@base"][0] == pytest.approx(
            table.loc[("base", name), "drag"], rel=1e-9)
        assert values[name]["drawdown_cut.p95@crash"][0] == pytest.approx(
            table.loc[("crash", name), "drawdown_reduction_p95"], rel=1e-9)
        assert values[name]["drawdown_cut.median@crash"][0] == pytest.approx(
            table.loc[("crash", name), "drawdown_reduction_median"], rel=1e-9)
        assert values[name]["trading_max_drawdown.p95@crash"][0] == pytest.approx(
            table.loc[("crash", name), "max_drawdown_risk_capital_p95"], rel=1e-9)
        est, lo, hi = values[name]["drag@base"]
        assert lo <= est <= hi


# ---- the shipped example, small ---------------------------------------------------------

def _small_copy(tmp_path, **optimize):
    doc = yaml.safe_load(SHIPPED.read_text())
    doc["optimize"].update(optimize)
    path = tmp_path / "optimize_hedge.yaml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    return path


def test_shipped_example_runs_small_and_writes_a_loadable_preset(tmp_path, capsys):
    from simulator.scenario.loader import load_scenario

    out = tmp_path / "out"
    args = ["optimize", str(SHIPPED), "--trials", "8", "--paths", "256", "--days", "42",
            "--out", str(out), "-q"]
    assert main(args) == 0
    for name in ("optimize.nc", "optimize.md", "front.png", "recommended_hedge.yaml",
                 "optimize.db"):
        assert (out / name).is_file(), name
    import xarray as xr

    with xr.open_dataset(out / "optimize.nc") as ds:
        assert ds.sizes["trial"] == 8
        assert set(ds.state.values) <= {"COMPLETE", "PRUNED", "FAIL"}
        assert "PRUNED" in set(ds.state.values)  # rung at 64 paths: successive halving
        assert ds.sizes["preset"] == 3 and "history_value" in ds and "gap" in ds
        rec = int(ds.attrs["recommended_trial"])
        assert rec in ds.trial.values
        sel = ds.value.sel(trial=rec)
    report = (out / "optimize.md").read_text()
    assert "40/40/20 (shipped)" in report and "4/4/2" in report and "single front" in report
    assert f"Trial {rec}:" in report
    # the preset loads from a scenario file beside it, as the recommended design
    scenario = yaml.safe_load(SHIPPED.read_text())
    del scenario["optimize"]
    scenario["strategies"]["best"] = {"condor": {"preset": "monthly_16_delta"},
                                      "hedge": {"preset": "recommended_hedge.yaml"}}
    (out / "use.yaml").write_text(yaml.safe_dump(scenario, sort_keys=False))
    plan = load_scenario(out / "use.yaml")
    preset = yaml.safe_load((out / "recommended_hedge.yaml").read_text())["hedge"]
    assert plan.strategies["best"].hedge.model_dump(mode="json", exclude={"preset"}) == \
        {k: v for k, v in preset.items()}
    assert math.isfinite(float(sel.sel(metric="drag@base", bound="estimate")))
    # an earlier search is neither mixed in nor lost by accident
    assert main(args) == 2
    assert "--resume" in capsys.readouterr().err


def test_the_same_seed_gives_the_same_study(tmp_path):
    import xarray as xr

    path = _small_copy(tmp_path, validate={"seeds": 0, "history": None}, batch=3)
    runs = []
    for k in range(2):
        out = tmp_path / f"run{k}"
        assert main(["optimize", str(path), "--trials", "6", "--paths", "64", "--days", "35",
                     "--out", str(out), "-q"]) == 0
        with xr.open_dataset(out / "optimize.nc") as ds:
            runs.append((ds.param.values.copy(), ds.value.values.copy(),
                         ds.attrs["recommended_trial"]))
    np.testing.assert_array_equal(runs[0][0], runs[1][0])
    np.testing.assert_array_equal(runs[0][1], runs[1][1])
    assert runs[0][2] == runs[1][2]


def test_alvh_optimize_interrupted_then_resumed(tmp_path, monkeypatch, capsys):
    import xarray as xr

    import simulator.optimize.runner as runner

    path = _small_copy(tmp_path, validate={"seeds": 0, "history": None}, batch=3)
    out = tmp_path / "out"
    args = ["optimize", str(path), "--trials", "6", "--paths", "64", "--days", "35",
            "--out", str(out), "-q"]
    real, calls = runner.run_designs, {"n": 0}

    def interrupted(*a, **k):
        calls["n"] += 1
        if calls["n"] == 2:  # the second batch
            raise KeyboardInterrupt
        return real(*a, **k)

    monkeypatch.setattr(runner, "run_designs", interrupted)
    assert main(args) == 130
    assert "--resume" in capsys.readouterr().err
    assert (out / "optimize.db").is_file() and not (out / "optimize.nc").exists()
    monkeypatch.setattr(runner, "run_designs", real)
    assert main([*args, "--resume"]) == 0
    with xr.open_dataset(out / "optimize.nc") as ds:
        states = list(ds.state.values)
    assert states[:3] == ["COMPLETE"] * 3  # the first batch, kept
    assert states.count("COMPLETE") == 6 and states.count("FAIL") == 3


@pytest.mark.slow  # starts a cluster of two processes: about 16 s
def test_a_local_dask_cluster_gives_the_same_study(tmp_path):
    """--workers 2: each batch's units run on two processes; the trials, their metrics and
    the recommendation are those of the local run (the paths depend on the path index
    alone, and the sampler sees the same results in the same order)."""
    pytest.importorskip("distributed")
    import xarray as xr

    path = _small_copy(tmp_path, validate={"seeds": 1, "history": None}, batch=4)
    runs = []
    for k, extra in enumerate(([], ["--workers", "2"])):
        out = tmp_path / f"run{k}"
        assert main(["optimize", str(path), "--trials", "4", "--paths", "64", "--days", "35",
                     "--out", str(out), "-q", *extra]) == 0
        with xr.open_dataset(out / "optimize.nc") as ds:
            runs.append(ds.load())
    for var in ("param", "value", "oos_value", "preset_value"):
        np.testing.assert_array_equal(runs[0][var].values, runs[1][var].values)
    assert runs[0].attrs["recommended_trial"] == runs[1].attrs["recommended_trial"]


# ---- bad input --------------------------------------------------------------------------

BAD = [
    ({"space": {"hedge.layers.tail.foo": [1, 2]}}, "optimize.space.hedge.layers.tail.foo",
     "unknown parameter path"),
    ({"space": {"condor.dte": [30, 60]}}, "optimize.space.condor.dte", "searches the hedge"),
    ({"space": {"hedge.budget_annual": [0.03, 0.01]}}, "optimize.space.hedge.budget_annual",
     "empty range"),
    ({"space": {"hedge.layers.tail.dte": [90.5, 180]}}, "optimize.space.hedge.layers.tail.dte",
     "wrong type"),
    ({"space": {"hedge.budget_annual": [0.005, 3.0]}}, "optimize.space.hedge.budget_annual",
     "less than or equal to 1"),
    ({"space": {"hedge.layers.tail.roll_dte": [30, 200]}},
     "optimize.space.hedge.layers.tail.roll_dte", "must be below dte"),
    ({"objective": {"minimize": "trading_max_drawdown.p95@nowhere"}},
     "optimize.objective.minimize", "no scenario 'nowhere'"),
    ({"objective": {"maximize": "sharpe@crash"}}, "optimize.objective.maximize",
     "unknown metric"),
    ({"objective": {"maximize": "drawdown_cut.p95@crash",
                    "subject_to": {"drag@base": ">= 0.02, <= 0.01"}}},
     "optimize.objective.subject_to.drag@base", "empty feasible set"),
    ({"objective": {"maximize": "drawdown_cut.p95@crash",
                    "subject_to": {"trading_max_drawdown.p95@base": "< 0"}}},
     "optimize.objective.subject_to.trading_max_drawdown.p95@base", "empty feasible set"),
    ({"objective": {"maximize": "drawdown_cut.p95@crash",
                    "subject_to": {"drag@base": "about 1 %"}}},
     "optimize.objective.subject_to.drag@base", "OP NUMBER"),
    ({"strategy": "unhedged"}, "optimize.strategy", "not a hedged strategy"),
    ({"trials": 0}, "optimize.trials", "greater than or equal to 1"),
    ({"validate": {"history": "no_such_history"}}, "optimize.validate.history",
     "neither a file"),
]


@pytest.mark.parametrize(("change", "field", "words"), BAD,
                         ids=[b[1].removeprefix("optimize.") + ":" + b[2] for b in BAD])
def test_bad_optimize_section_exits_2_naming_the_field(tmp_path, capsys, change, field, words):
    doc = yaml.safe_load(SHIPPED.read_text())
    for key, value in change.items():
        if key == "space":
            doc["optimize"]["space"] = {**value}
        else:
            doc["optimize"][key] = value
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    out = tmp_path / "out"
    assert main(["validate", str(path)]) == 2
    err = capsys.readouterr().err
    assert str(path) in err and field in err and words in err, err
    assert main(["optimize", str(path), "--out", str(out), "-q"]) == 2
    assert not out.exists()  # no partial output


def test_the_issue_example_validates_and_unknown_keys_list_the_allowed(tmp_path, capsys):
    doc = yaml.safe_load(SHIPPED.read_text())
    doc["optimize"] = yaml.safe_load("""
      strategy: alvh
      space: {hedge.budget_annual: [0.005, 0.03], hedge.split: simplex,
              hedge.layers.tail.dte: [90, 180], hedge.monetize.profit_multiple: [2, 6]}
      objective: {minimize: trading_max_drawdown.p95@crash,
                  subject_to: {drag@base: "<= 0.01"}}
      trials: 200
      validate: {seeds: 2, history: history_windows}
    """)
    path = tmp_path / "issue.yaml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    assert main(["validate", str(path)]) == 0
    doc["optimize"]["validate"]["foo"] = 1
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    assert main(["validate", str(path)]) == 2
    assert "optimize.validate.foo: unknown key; allowed: seeds, top_k, history" in \
        capsys.readouterr().err


def test_a_layer_the_hedge_lacks_is_named(tmp_path, capsys):
    doc = yaml.safe_load(SHIPPED.read_text())
    doc["strategies"]["alvh"]["hedge"] = {"preset": "single_front"}
    doc["optimize"]["space"] = {"hedge.layers.tail.dte": [90, 180], "hedge.split": "simplex"}
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    assert main(["validate", str(path)]) == 2
    err = capsys.readouterr().err
    assert "optimize.space.hedge.layers.tail.dte: unknown parameter path: the hedge has no " \
           "'tail' layer" in err
    assert "optimize.space.hedge.split: hedge.split needs two or more layers" in err


def test_a_bad_hedge_preset_file_is_named(tmp_path, capsys):
    doc = yaml.safe_load(SHIPPED.read_text())
    del doc["optimize"]
    doc["strategies"]["alvh"]["hedge"] = {"preset": "mine.yaml", "budget_annual": 0.01}
    path = tmp_path / "s.yaml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    assert main(["validate", str(path)]) == 2
    assert "strategies.alvh.hedge.preset: mine.yaml: cannot read" in capsys.readouterr().err
    (tmp_path / "mine.yaml").write_text(yaml.safe_dump(
        {"hedge": {"budget_annual": 0.01, "layers": {"front": {"weight": 2.0}}}}))
    assert main(["validate", str(path)]) == 2
    assert "strategies.alvh.hedge.preset (mine.yaml): hedge.layers.front.weight" in \
        capsys.readouterr().err
    (tmp_path / "mine.yaml").write_text(yaml.safe_dump(
        {"hedge": {"budget_annual": 0.03, "layers": {"front": {"weight": 1.0}}}}))
    assert main(["validate", str(path)]) == 0
    from simulator.scenario.loader import load_scenario

    hedge = load_scenario(path).strategies["alvh"].hedge
    assert hedge.budget_annual == 0.01 and list(hedge.layers) == ["front"]  # overrides win
