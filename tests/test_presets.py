"""Shipped presets: they load, round-trip, cite a source, and svcj_default meets its targets."""

import warnings

import pytest
import yaml

import simulator as sim
from simulator.model.params import FellerConditionWarning, ParameterError
from simulator.model.stylized_facts import market_facts, simulated_facts
from simulator.pricing.pricer import Pricer

PRESETS = ["bates_dps2000", "heston_fo2008", "svcj_2f_calibrated", "svcj_2f_calm_2017",
           "svcj_2f_conditional", "svcj_2f_conditional_calm_2017", "svcj_2f_conditional_mjump",
           "svcj_2f_conditional_stressed_2022", "svcj_2f_conditional_vlevel", "svcj_2f_default",
           "svcj_2f_stressed_2022", "svcj_2f_vlevel_calm_2017", "svcj_2f_vlevel_stressed_2022",
           "svcj_default", "svcj_dps2000"]


def test_preset_list():
    assert sim.preset_names() == PRESETS


@pytest.mark.parametrize("name", PRESETS)
def test_preset_loads_round_trips_and_cites(name, tmp_path):
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # an acknowledged Feller violation must not warn
        model = sim.load_model(name)
    assert model.name == name
    assert model.citation and len(model.citation) > 40
    # through a bare parameter file on disk
    path = tmp_path / f"{name}.yaml"
    path.write_text(yaml.safe_dump(model.to_dict()))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FellerConditionWarning)
        assert sim.load_model(path) == model
        assert sim.Model.from_dict(model.to_dict()) == model


def test_user_model_with_feller_violation_warns(tmp_path):
    model = sim.load_model("heston_fo2008")
    path = tmp_path / "m.yaml"
    path.write_text(yaml.safe_dump(model.to_dict()))
    with pytest.warns(FellerConditionWarning, match="Feller condition fails under P"):
        sim.load_model(path)
    # a preset changed in its diffusion loses the acknowledgement; a new v0 keeps it
    with pytest.warns(FellerConditionWarning):
        model.merged({"P": {"sigma_v": 0.6}})
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        model.merged({"v0": 0.03})


def test_bad_model_files_name_the_file_and_field(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text("model:\n  r: 0.04\n  q: 0\n  spx0: 100\n  v0: 0.04\n"
                    "  P: {kappa: 2, theta: 0.04, sigma_v: 0.3, rho: -2}\n  Q: {kappa: 2}\n")
    with pytest.raises(ParameterError) as err:
        sim.load_model(path)
    msg = str(err.value)
    assert str(path) in msg and "P.rho: -2 is outside the allowed range (-1, 1)" in msg
    assert "Q.theta: missing" in msg
    path.write_text("r: [unclosed")
    with pytest.raises(ParameterError, match="not valid YAML"):
        sim.load_model(path)
    with pytest.raises(FileNotFoundError, match="not a preset name"):
        sim.load_model("no_such_model")


def test_svcj_default_reproduces_the_market_stylized_facts():
    """Stationary P paths of svcj_default against the targets its file states.

    The bands are calibration targets, not Monte Carlo tolerances: with 2,000 paths x 9 years
    the standard error of the mean VIX is about 0.03 points, far inside every band.
    """
    model = sim.load_model("svcj_default")
    stationary = model.merged({"v0": model.P.theta_star})
    paths = sim.simulate_paths(stationary, 2_000, 252 * 10, seed=3).isel(day=slice(252, None))
    sim_f = simulated_facts(paths)
    mkt = market_facts()
    assert 19.0 <= sim_f["vix_mean"] <= 20.5 and abs(mkt["vix_mean"] - 19.5) < 0.1
    assert 3.0 <= sim_f["implied_minus_realised"] <= 5.0  # market 4.06 vol points
    assert 0.75 <= sim_f["share_implied_above_realised"] <= 0.92  # market 0.86
    assert abs(sim_f["corr_return_dvix"] - mkt["corr_return_dvix"]) < 0.06
    assert 0.01 <= sim_f["p_vix_above_40"] <= 0.04  # market 0.023
    # VIX futures in contango on most days: front two monthlies as 21 and 42 trading days
    v = paths.v.values[::5, ::5]  # a thinned sample is plenty for a share
    future = Pricer(model).vix_future
    vx1, vx2 = future(v, 21), future(v, 42)
    assert 0.65 <= float((vx2 > vx1).mean()) <= 0.90  # market VX2 > VX1 on 0.80 of days
    assert 0.3 <= float((vx2 - vx1).mean()) <= 1.2  # market mean VX2 - VX1: 0.82 points
    assert 0.75 <= mkt["share_vx2_above_vx1"] <= 0.85
    assert abs(model.vix_index(model.v0) - 17.6) < 0.1  # starts at the median VIX
