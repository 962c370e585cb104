"""The VIX term structure against the shipped Cboe data: the market's own figures, and the
two-factor preset against svcj_default on real days (each day's state from that day's VIX and
VIX3M) and on stationary P paths."""

from __future__ import annotations

import numpy as np
import pytest

import simulator as sim
from simulator.pricing.term_structure import (
    curve_report,
    market_curve,
    market_path_facts,
    path_report,
)


@pytest.fixture(scope="module")
def curve():
    return market_curve()


@pytest.fixture(scope="module")
def reports(curve):
    return {name: curve_report(sim.load_model(name), curve)
            for name in ("svcj_default", "svcj_2f_default")}


def test_market_figures_from_the_shipped_files():
    facts = market_path_facts()
    assert facts["lowest_vix"] == pytest.approx(9.14)  # 2017-11-24
    assert 0.16 < facts["share_below_13"] < 0.19
    assert 2.0 < facts["spread_moves_per_year"] < 3.2
    vols = facts["vix_option_vol_by_level"]  # VVIX rises with VIX
    assert vols[0] < vols[1] < vols[2] < vols[3]


def test_the_market_curve_lines_up_contracts_with_days(curve):
    assert curve.dates[0] == "2009-09-18" and curve.dates.size > 4000
    assert (curve.contract_days_left > 0).all()
    # VX settlements stay within a sane band of spot VIX
    ratio = curve.contract_settle / curve.vix[curve.contract_day]
    assert 0.3 < ratio.min() and ratio.max() < 2.5


def test_the_states_of_real_days_reproduce_vix_and_vix3m(curve):
    from simulator.model.vix import states_from_vix_curve

    model = sim.load_model("svcj_2f_default")
    v, m, clipped = states_from_vix_curve(model.Q, curve.vix, curve.vix3m)
    assert clipped.mean() < 0.05
    ok = ~clipped
    np.testing.assert_allclose(model.vix_index(v[ok], m[ok]), curve.vix[ok], rtol=1e-9)
    from simulator.model.vix import VIX3M_WINDOW_YEARS, vix_index

    np.testing.assert_allclose(vix_index(model.Q, v[ok], VIX3M_WINDOW_YEARS, m=m[ok]),
                               curve.vix3m[ok], rtol=1e-9)
    # on the edge, spot VIX is still matched
    np.testing.assert_allclose(model.vix_index(v[~ok], m[~ok]), curve.vix[~ok], rtol=1e-9)


def test_two_factor_prices_real_vx_futures_better(reports):
    one, two = reports["svcj_default"], reports["svcj_2f_default"]
    assert two["vx1_rmse"] < 0.6 * one["vx1_rmse"]
    assert two["vx2_rmse"] < 0.5 * one["vx2_rmse"]
    for bucket in ("slope_30_50", "slope_50_75"):
        market = one[bucket]["market"]
        assert abs(two[bucket]["model"] - market) < abs(one[bucket]["model"] - market)
    big = two["big_move_change"]
    assert abs(big["model"] - big["market"]) < abs(one["big_move_change"]["model"]
                                                    - big["market"])


def test_two_factor_curve_in_march_2020_is_nearer_the_market(reports):
    one = reports["svcj_default"]["curve_on_day"]
    two = reports["svcj_2f_default"]["curve_on_day"]
    market = np.array(two["market"][1:])  # the contracts 22, 47 and 67 trading days out
    assert np.all(np.abs(np.array(two["model"][1:]) - market)
                  < np.abs(np.array(one["model"][1:]) - market))


@pytest.mark.slow
def test_two_factor_paths_reach_calm_years_and_move_the_spread():
    """Stationary P paths (200 paths x 6 years, first dropped): VIX below 11 and below 13 on
    10-25 % of days, where svcj_default stops at its floor of 12.9; the VX2 - VX1 spread moves
    3 points in 5 days about as often as in the market."""
    market = market_path_facts()
    two = path_report(sim.load_model("svcj_2f_default"), n_paths=200, years=6)
    one = path_report(sim.load_model("svcj_default"), n_paths=200, years=6)
    assert two["lowest_vix"] < 11.0 < 12.9 - 0.01 < one["lowest_vix"]
    assert 0.10 < two["share_below_13"] < 0.25
    target = market["spread_moves_per_year"]
    assert abs(two["spread_moves_per_year"] - target) < abs(one["spread_moves_per_year"]
                                                           - target)


def test_alvh_curve_prints_market_and_models_side_by_side(capsys):
    from simulator.cli import main

    assert main(["curve", "--paths", "0", "--model", "svcj_default"]) == 0
    out = capsys.readouterr().out
    assert "VX1 RMSE" in out and "svcj_default" in out and "59.1/44.9/39.0" in out
    assert main(["curve", "--paths", "-1"]) == 2
