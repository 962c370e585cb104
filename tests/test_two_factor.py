"""The two-factor model (v reverting to a stochastic central tendency m, state-dependent jump
intensity): parameters, the VIX map, the Riccati transform, prices against the one-factor
formulas in the reduction and against Monte Carlo under Q, and the path kernel."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest
from scipy import integrate

import simulator as sim
from simulator.common.conventions import VIX3M_WINDOW_YEARS, VIX_WINDOW_YEARS
from simulator.model.params import Model, ParameterError
from simulator.model.vix import (
    StateError,
    states_from_vix_curve,
    vix_coefficients,
    vix_state_coefficients,
)
from simulator.pricing import affine2, spx_cos, vix_direct
from tests.helpers import se_mean

TWO_FACTOR = {
    "r": 0.04, "q": 0.015, "spx0": 5000.0, "v0": 0.02, "m0": 0.03,
    "P": {"kappa": 6.0, "theta": 0.03, "sigma_v": 0.7, "rho": -0.8, "lam": 0.3, "lam1": 20.0,
          "mu_x": -0.04, "sigma_x": 0.04, "mu_v": 0.05, "rho_j": -0.5, "kappa_m": 0.8,
          "sigma_m": 0.15, "equity_premium": 0.05},
    "Q": {"kappa": 6.0, "theta": 0.035, "lam": 0.3, "lam1": 20.0, "mu_x": -0.04,
          "sigma_x": 0.04, "mu_v": 0.05, "rho_j": -0.5, "kappa_m": 0.8},
}


@pytest.fixture(scope="module")
def model():
    return Model.from_dict(TWO_FACTOR, name="two_factor_test", feller_acknowledged=True)


@pytest.fixture(scope="module")
def reduced():
    """svcj_default's Q with a second factor that cannot move: sigma_m = 0 and m = theta."""
    q1 = sim.load_model("svcj_default").Q
    return q1, dataclasses.replace(q1, kappa_m=1.0, sigma_m=0.0)


# ---- parameters ----------------------------------------------------------------------------

@pytest.mark.parametrize("change, field", [
    ({"P": {"kappa_m": 0.0, "sigma_m": 0.0, "lam1": 0.0}}, "Q.kappa_m"),  # under Q only
    ({"m0": None}, "m0"),
    ({"P": {"lam1": 200.0}, "Q": {"lam1": 200.0}}, "P.lam1"),  # jumps outrun the reversion
])
def test_two_factor_parameters_are_checked(change, field):
    data = {**TWO_FACTOR, **{k: v for k, v in change.items() if k not in ("P", "Q")}}
    for k in ("P", "Q"):
        data[k] = {**TWO_FACTOR[k], **change.get(k, {})}
    if data.get("m0") is None:
        data.pop("m0")
    with pytest.raises(ParameterError, match=field.replace(".", r"\.")):
        Model.from_dict(data)


def test_sigma_m_without_a_speed_and_m0_for_one_factor_are_refused():
    base = sim.load_model("svcj_default").to_dict()
    with pytest.raises(ParameterError, match=r"P\.kappa_m: sigma_m and lam1 belong"):
        Model.from_dict({**base, "P": {**base["P"], "sigma_m": 0.1}})
    with pytest.raises(ParameterError, match=r"m0: only for two-factor"):
        Model.from_dict({**base, "m0": 0.02})


def test_one_factor_dicts_are_unchanged_and_two_factor_round_trips(model):
    one = sim.load_model("svcj_default")
    assert set(one.to_dict()) == {"r", "q", "spx0", "v0", "P", "Q"}
    assert not set(one.P.to_dict()) & {"kappa_m", "sigma_m", "lam1"}
    assert Model.from_dict(model.to_dict(), feller_acknowledged=True) == model
    assert model.to_dict()["Q"].get("sigma_m") is None  # shared with P, inherited


# ---- VIX ------------------------------------------------------------------------------------

def test_vix_squared_is_the_integral_of_the_mean_variance(model):
    """(A, B, C) against the mean ODE integrated numerically (solve_ivp), jump term added."""
    q = model.Q
    tau = 30 / 365
    xi = q.mbar - q.mean_log_jump

    def rhs(_, y):
        v, m, _ = y
        return [q.kappa * m - q.kappa_tilde * v + q.lam * q.mu_v, q.kappa_m * (q.theta - m), v]

    a, b, c = vix_state_coefficients(q)
    for v0, m0 in ((0.0, 0.0), (0.02, 0.03), (0.3, 0.01), (0.01, 0.2)):
        sol = integrate.solve_ivp(rhs, (0, tau), [v0, m0, 0.0], rtol=1e-11, atol=1e-14)
        mean_integral = sol.y[2, -1]
        expected = 2 * q.lam * xi + (1 + 2 * q.lam1 * xi) * mean_integral / tau
        assert a + b * v0 + c * m0 == pytest.approx(expected, rel=1e-8)


def test_vix_map_reduces_to_one_factor_at_m_theta(reduced):
    q1, q2 = reduced
    a1, b1 = vix_coefficients(q1)
    a2, b2, c2 = vix_state_coefficients(q2)
    assert b2 == pytest.approx(b1, rel=1e-12)
    assert a2 + c2 * q1.theta == pytest.approx(a1, rel=1e-12)


def test_two_factor_vix_has_a_low_floor(model):
    """At v = m = 0 what is left is the constant jump term 2 lam xi (lam1 v vanishes with v) and
    the variance that m's slow return towards theta adds within 30 days (its value is checked
    against the mean ODE above): VIX can go far below the one-factor floor of 12.9 (the
    market's record low is 9.1)."""
    assert model.vix_floor == pytest.approx(float(model.vix_index(0.0, 0.0)))
    assert model.vix_floor < 9.0 < model.vix_index(model.v0, model.m0)


def test_the_state_from_a_vix_pair_round_trips_and_puts_impossible_curves_on_the_edge(model):
    q = model.Q
    v = np.array([0.005, 0.02, 0.2])
    m = np.array([0.01, 0.04, 0.02])
    short = 100 * np.sqrt(np.dot(np.array(vix_state_coefficients(q, VIX_WINDOW_YEARS)),
                                 np.vstack([np.ones(3), v, m])))
    long = 100 * np.sqrt(np.dot(np.array(vix_state_coefficients(q, VIX3M_WINDOW_YEARS)),
                                np.vstack([np.ones(3), v, m])))
    v_hat, m_hat, clipped = states_from_vix_curve(q, short, long)
    np.testing.assert_allclose(v_hat, v, rtol=1e-9)
    np.testing.assert_allclose(m_hat, m, rtol=1e-9)
    assert not clipped.any()
    # far more inverted than mean reversion allows: no state gives it; m = 0, spot VIX kept
    v_edge, m_edge, clipped = states_from_vix_curve(q, np.array([80.0]), np.array([15.0]))
    assert clipped.all() and 0.0 in (v_edge[0], m_edge[0])
    assert model.vix_index(v_edge, m_edge)[0] == pytest.approx(80.0, rel=1e-9)


# ---- the transform and prices in the one-factor reduction ------------------------------------

def test_riccati_transform_matches_the_closed_form_variance_transform(reduced):
    q1, q2 = reduced
    u = np.array([-5.0, -50.0, 3j, 300j, -2000.0, 0.5 + 40j])
    for tau in (1 / 252, 0.1, 1.0):
        two = affine2.state_transform(q2, tau, 0.03, q1.theta, u, 0.0)
        one = vix_direct.variance_transform(u, q1, tau, 0.03)
        np.testing.assert_allclose(two, one, rtol=1e-6, atol=1e-12)


def test_central_tendency_transform_is_the_cir_closed_form(model):
    """u_v = 0 and a = 0 leave beta = 0: m alone is a CIR process with (kappa_m, theta,
    sigma_m), whose transform vix_direct already has in closed form."""
    q = model.Q
    cir = sim.MeasureParams(kappa=q.kappa_m, theta=q.theta, sigma_v=q.sigma_m, rho=0.0)
    u = np.array([-3.0, -40.0, 10j, 0.2 - 7j])
    for tau in (0.05, 0.8):
        two = affine2.state_transform(q, tau, 0.02, 0.03, 0.0, u)
        np.testing.assert_allclose(two, vix_direct.variance_transform(u, cir, tau, 0.03),
                                   rtol=1e-6)


@pytest.mark.parametrize("tau", [1 / 252, 21 / 252, 0.5, 1.5])
def test_vix_futures_reduce_to_one_factor(reduced, tau):
    q1, q2 = reduced
    v = np.array([0.0, 0.02, 0.3])
    np.testing.assert_allclose(affine2.vix_future(v, q1.theta, tau, q2),
                               vix_direct.vix_future(v, tau, q1), rtol=2e-8)


@pytest.mark.parametrize("tau", [21 / 252, 0.5])
def test_vix_options_reduce_to_one_factor(reduced, tau):
    q1, q2 = reduced
    strikes = np.array([15.0, 20.0, 30.0, 50.0])  # above both floors
    two = affine2.vix_option_prices(0.03, q1.theta, tau, strikes, q2, 0.04)
    one = vix_direct.vix_option_prices(0.03, tau, strikes, q1, 0.04)
    np.testing.assert_allclose(two, one, atol=2e-3)  # VIX points; both series ~1e-3 accurate


@pytest.mark.parametrize("tau", [21 / 252, 0.5, 1.5])
def test_spx_puts_reduce_to_one_factor_and_satisfy_parity(reduced, tau):
    q1, q2 = reduced
    strikes = np.array([3500.0, 4500.0, 5000.0, 5500.0])
    two = affine2.spx_put_prices(5000.0, strikes, 0.03, q1.theta, tau, q2, 0.04, 0.015)
    one = spx_cos.cos_put_prices(5000.0, strikes, 0.03, tau, q1, 0.04, 0.015)
    np.testing.assert_allclose(two, one, rtol=2e-5, atol=2e-3)
    calls = affine2.spx_call_prices(5000.0, strikes, 0.03, q1.theta, tau, q2, 0.04, 0.015)
    forward_value = 5000.0 * math.exp(-0.015 * tau) - strikes * math.exp(-0.04 * tau)
    np.testing.assert_allclose(calls - two, forward_value, atol=1e-9)


# ---- Monte Carlo under Q ----------------------------------------------------------------------

@pytest.fixture(scope="module")
def q_paths(model):
    return sim.simulate_paths(model, 40_000, 63, seed=11, measure="Q", substeps=2)


def test_two_factor_paths_are_a_q_martingale_and_m_has_its_mean(model, q_paths):
    """E_Q[S_T e^{-(r-q)T}] = S_0 and E[m_T] = theta + (m0 - theta) e^{-kappa_m T}, 3 SE."""
    for day in (21, 63):
        tau = day / 252
        ratio = q_paths.spx.values[:, day] * math.exp(-(model.r - model.q) * tau) / model.spx0
        assert abs(ratio.mean() - 1) < 3 * se_mean(ratio)
        m_t = q_paths.m.values[:, day]
        expected = model.Q.theta + (model.m0 - model.Q.theta) * math.exp(-model.Q.kappa_m * tau)
        assert abs(m_t.mean() - expected) < 3 * se_mean(m_t)
        assert (q_paths.v.values >= 0).all() and (q_paths.m.values >= 0).all()


@pytest.mark.parametrize("day", [21, 63])
def test_vix_futures_and_options_against_monte_carlo(model, q_paths, day):
    """Prices from the transform against the discounted Monte Carlo payoffs of the same
    paths; tolerance 3 SE plus 0.3 % for the QE scheme's time discretisation."""
    tau = day / 252
    vix_t = q_paths.vix.values[:, day]
    future = float(affine2.vix_future(model.v0, model.m0, tau, model.Q))
    assert abs(vix_t.mean() - future) < 3 * se_mean(vix_t) + 0.003 * future
    strikes = np.array([15.0, 20.0, 30.0])
    calls = affine2.vix_option_prices(model.v0, model.m0, tau, strikes, model.Q, model.r)
    for k, price in zip(strikes, calls, strict=True):
        pay = math.exp(-model.r * tau) * np.maximum(vix_t - k, 0.0)
        assert abs(pay.mean() - price) < 3 * se_mean(pay) + 0.003 * future, k


@pytest.mark.parametrize("day", [21, 63])
def test_spx_puts_against_monte_carlo(model, q_paths, day):
    tau = day / 252
    spx_t = q_paths.spx.values[:, day]
    strikes = np.array([4300.0, 4800.0, 5000.0, 5300.0])
    puts = affine2.spx_put_prices(model.spx0, strikes, model.v0, model.m0, tau, model.Q,
                                  model.r, model.q)
    for k, price in zip(strikes, puts, strict=True):
        pay = math.exp(-model.r * tau) * np.maximum(k - spx_t, 0.0)
        assert abs(pay.mean() - price) < 3 * se_mean(pay) + 1e-3 * model.spx0 * 0.01, k


def test_two_factor_paths_do_not_depend_on_the_chunk_size(model):
    a = sim.simulate_paths(model, 50, 10, seed=5, chunk_size=50)
    b = sim.simulate_paths(model, 50, 10, seed=5, chunk_size=7)
    for name in ("spx", "v", "m", "vix"):
        np.testing.assert_array_equal(a[name].values, b[name].values)


def test_one_factor_paths_have_no_central_tendency():
    paths = sim.simulate_paths(sim.load_model("svcj_default"), 10, 5, seed=1)
    assert "m" not in paths


# ---- pricing tables over m ----------------------------------------------------------------------

@pytest.fixture(scope="module")
def preset_pricer():
    """svcj_2f_default's tables (built once, about a minute cold; cached on disk after)."""
    return sim.Pricer(sim.load_model("svcj_2f_default"))


def test_two_factor_tables_against_direct_pricing_off_the_nodes(preset_pricer):
    """Random states between the nodes of every axis: SPX implied vol within 0.1 vol point of
    direct COS, VIX futures within 0.1 points and VIX calls within 0.05 points of the direct
    transform prices (the one-factor tables' accuracy)."""
    from simulator.pricing.black import implied_total_sd

    model, q = preset_pricer.model, preset_pricer.model.Q
    rng = np.random.default_rng(0)
    for _ in range(25):
        v, m = rng.uniform(0.003, 0.3), rng.uniform(0.005, 0.15)
        days = int(rng.integers(2, 300))
        tau = days / 252
        width = math.sqrt(max(v, 0.01) * tau * 4)
        strikes = 5000 * np.exp(np.array([-0.15, -0.05, 0.0, 0.04]) * width)
        direct = affine2.spx_put_prices(5000, strikes, v, m, tau, q, model.r, model.q)
        table = preset_pricer.spx_option(5000, v, days, strikes, "put", m=m)
        forward, disc = 5000 * math.exp((model.r - model.q) * tau), math.exp(-model.r * tau)
        for k, a, b in zip(strikes, direct, table, strict=True):
            if a > 1e-3:
                vol_a = implied_total_sd(a / disc, forward, k, 1.0, False) / math.sqrt(tau)
                vol_b = implied_total_sd(b / disc, forward, k, 1.0, False) / math.sqrt(tau)
                assert abs(vol_a - vol_b) < 1e-3, (v, m, days, k)
        future = float(affine2.vix_future(v, m, tau, q))
        assert abs(float(preset_pricer.vix_future(v, days, m=m)) - future) < 0.1
        vix_strikes = future * np.array([0.9, 1.0, 1.2, 1.6])
        calls = affine2.vix_option_prices(v, m, tau, vix_strikes, q, model.r)
        np.testing.assert_allclose(preset_pricer.vix_option(v, days, vix_strikes, m=m), calls,
                                   atol=0.05)


def test_a_two_factor_pricer_needs_m(preset_pricer):
    with pytest.raises(ValueError, match="give m"):
        preset_pricer.vix_future(0.02, 21)


def test_state_from_two_futures_round_trips_and_refuses_impossible_curves(preset_pricer):
    """VX1/VX2-style inversion: futures of random states (direct pricer, two maturities)
    give back the states; a front future far above the second one has no state."""
    from simulator.pricing.term_structure import model_futures, state_from_futures

    model = preset_pricer.model
    rng = np.random.default_rng(3)
    v, m = rng.uniform(0.003, 0.15, 12), rng.uniform(0.005, 0.12, 12)
    d1, d2 = np.full(12, 9), np.full(12, 30)
    f1, f2 = model_futures(model, v, m, d1), model_futures(model, v, m, d2)
    v_hat, m_hat = state_from_futures(model, f1, d1, f2, d2)
    np.testing.assert_allclose(v_hat, v, rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(m_hat, m, rtol=1e-6, atol=1e-9)
    # through the tables (what a run trades), each maturity its own
    d1 = rng.integers(1, 22, 12)
    f1 = preset_pricer.vix_future(v, d1, m=m)
    f2 = preset_pricer.vix_future(v, d1 + 21, m=m)
    v_t, m_t = state_from_futures(model, f1, d1, f2, d1 + 21, pricer=preset_pricer)
    np.testing.assert_allclose(preset_pricer.vix_future(v_t, d1, m=m_t), f1, atol=1e-6)
    np.testing.assert_allclose(preset_pricer.vix_future(v_t, d1 + 21, m=m_t), f2, atol=1e-6)
    with pytest.raises(StateError, match=r"\(60 at 10 d, 20 at 31 d\)"):
        state_from_futures(model, 60.0, 10, 20.0, 31, pricer=preset_pricer)


# ---- stress on two-factor paths ------------------------------------------------------------------

def test_a_vix_shock_sets_each_paths_vix_through_v_at_its_own_m(model):
    from simulator.model.stress import Shock

    paths = sim.simulate_paths(model, 2000, 20, seed=4, shocks=[
        Shock(day=10, spx_return=-0.12, spx_return_mode="set", vix=65.0)])
    spx, vix, m = paths.spx.values, paths.vix.values, paths.m.values
    np.testing.assert_allclose(spx[:, 10] / spx[:, 9], 0.88, rtol=1e-12)
    a, _, c = vix_state_coefficients(model.Q)
    reachable = a + c * m[:, 10] <= 0.65**2  # m alone below the target: v makes up the rest
    assert reachable.all()
    np.testing.assert_allclose(vix[:, 10], 65.0, rtol=1e-12)


def test_a_regime_moves_m_towards_its_theta_and_an_identical_regime_changes_nothing(model):
    import dataclasses as dc

    from simulator.model.stress import Regime

    plain = sim.simulate_paths(model, 4000, 126, seed=6)
    same = sim.simulate_paths(model, 4000, 126, seed=6, regimes=[Regime(0, 126, model.P)])
    np.testing.assert_array_equal(plain.spx.values, same.spx.values)
    theta = 0.08
    high = sim.simulate_paths(model, 4000, 126, seed=6,
                             regimes=[Regime(0, 100, dc.replace(model.P, theta=theta))])
    m_100 = high.m.values[:, 100]
    expected = theta + (model.m0 - theta) * math.exp(-model.P.kappa_m * 100 / 252)
    assert abs(m_100.mean() - expected) < 3 * se_mean(m_100)
