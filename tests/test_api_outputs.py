"""The public API's run and compare (simulator/__init__.py): ``sim.run`` takes a file, a dict
or a loaded scenario; ``sim.compare`` pairs two cubes run on the same paths."""

from __future__ import annotations

import numpy as np
import pytest
import yaml

import simulator as sim
from simulator.results.compare import NotComparableError

DOC = {
    "name": "api_test",
    "simulation": {"paths": 30, "days": 42, "seed": 8},
    "scenarios": {"crash": {"shocks": [{"day": 10, "spx_return": -0.08, "vix": 50}]}},
    "strategies": {
        "unhedged": {"condor": {"preset": "monthly_16_delta"}, "hedge": "none"},
        "alvh": {"condor": {"preset": "monthly_16_delta"}, "hedge": {"preset": "alvh_40_40_20"}},
    },
}


@pytest.fixture(scope="module")
def cubes(tmp_path_factory):
    folder = tmp_path_factory.mktemp("api")
    path = folder / "api.yaml"
    path.write_text(yaml.safe_dump(DOC, sort_keys=False))
    from_file = sim.run(path, summary=False)
    from_dict = sim.run(DOC, summary=False)
    cheap = sim.run({**DOC, "costs": {"preset": "none"}}, summary=False)
    return from_file, from_dict, cheap


def test_run_takes_a_file_a_dict_or_a_loaded_scenario(cubes, tmp_path):
    from_file, from_dict, _ = cubes
    np.testing.assert_array_equal(from_file.trading_return.values,
                                  from_dict.trading_return.values)
    plan = sim.load_scenario(_write(tmp_path, DOC))
    again = sim.run(plan, n_paths=20, summary=False)  # the plan's overrides are validated
    assert again.sizes["path"] == 20
    np.testing.assert_array_equal(again.trading_return.values,
                                  from_file.trading_return.values[..., :20])
    with pytest.raises(TypeError, match="scenario file, a dict"):
        sim.run(42)
    with pytest.raises(sim.ScenarioError, match="simulation.paths"):
        sim.run({**DOC, "simulation": {"paths": 0}})


def _write(folder, doc):
    path = folder / "s.yaml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    return path


def test_compare_pairs_the_same_paths(cubes):
    from simulator.results.metrics import run_years

    base, _, cheap = cubes
    diff = sim.compare(base, cheap, n_boot=200)
    row = diff.loc[("crash", "alvh", "annualised_return")]
    # the mean of the paired differences is the difference of the means (independent check)
    years = run_years(base)
    per_path = (cheap.trading_return - base.trading_return).sel(scenario="crash",
                                                                 strategy="alvh") / years
    assert row.difference == pytest.approx(float(per_path.mean()), rel=1e-12)
    assert row.b - row.a == pytest.approx(row.difference, rel=1e-12)
    assert 0 < row.difference_lo <= row.difference <= row.difference_hi  # no costs: better
    # the pairing: the CI of the difference is narrower than the spread of either book
    assert row.difference_hi - row.difference_lo < float(per_path.std())
    same = sim.compare(base, base, n_boot=50)
    assert (same.difference == 0).all() and (same.difference_hi == 0).all()


def test_compare_refuses_cubes_of_other_paths(cubes):
    base = cubes[0]
    other_seed = sim.run({**DOC, "simulation": {**DOC["simulation"], "seed": 9}},
                         summary=False)
    with pytest.raises(NotComparableError, match="seed 8 against 9"):
        sim.compare(base, other_seed)
    shock = {**DOC, "scenarios": {"crash": {"shocks": [{"day": 12, "spx_return": -0.08}]}}}
    with pytest.raises(NotComparableError, match="scenario crash: the paths differ"):
        sim.compare(base, sim.run(shock, summary=False))


def test_alvh_curve_shows_progress_on_stderr_unless_quiet(capsys):
    from simulator.cli import main

    assert main(["curve", "--paths", "0", "--model", "svcj_default"]) == 0
    out, err = capsys.readouterr()
    assert "VX1 RMSE" in out and "svcj_default: curve" in err and "market facts: 1/2" in err
    assert "step" not in out and "svcj_default: curve" not in out  # the table alone
    assert main(["curve", "--paths", "0", "--model", "svcj_default", "-q"]) == 0
    out, err = capsys.readouterr()
    assert "VX1 RMSE" in out and err == ""
