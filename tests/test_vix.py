"""VIX^2 = A + B v (docs/model.md §2.2) against published numbers and a Monte Carlo log contract."""

import math

import numpy as np
import pytest

import simulator as sim
from simulator.common.conventions import VIX_WINDOW_YEARS
from simulator.model.vix import vix_coefficients


def test_dps_svjj_coefficients_match_reference_values():
    # docs/model.md §2.2 [N]: DPS SVJJ set, v = 0.02, tau = 30/365: a = 0.87038, b = 0.0071238,
    # a v + b = 0.0245314, computed there from the derivative of the characteristic function.
    m = sim.load_model("svcj_dps2000")
    a, b = vix_coefficients(m.Q)
    assert b == pytest.approx(0.87038, abs=5e-6)
    assert a == pytest.approx(0.0071238, abs=5e-8)
    assert a + b * 0.02 == pytest.approx(0.0245314, abs=5e-8)
    assert m.vix_index(0.02) == pytest.approx(15.66, abs=0.005)
    # theta* = theta + lam mu_v / kappa = 0.0148 (docs/model.md §1.2)
    assert m.Q.theta_star == pytest.approx(0.0148, abs=5e-5)


def test_heston_special_case_has_no_jump_term():
    m = sim.load_model("heston_fo2008")
    a, b = vix_coefficients(m.Q)
    kt = m.Q.kappa * VIX_WINDOW_YEARS
    assert b == pytest.approx((1 - math.exp(-kt)) / kt, rel=1e-14)
    assert a == pytest.approx(m.Q.theta * (1 - b), rel=1e-14)


def test_vix_round_trip_floor_and_arrays():
    m = sim.load_model("svcj_default")
    v = np.array([[0.0, 0.01], [0.04, 0.5]])
    vix = m.vix_index(v)
    assert vix.shape == v.shape
    np.testing.assert_allclose(m.variance_from_vix(vix), v, rtol=1e-12, atol=1e-15)
    assert m.vix_index(0.0) == pytest.approx(m.vix_floor)
    assert m.variance_from_vix(m.vix_floor / 2) == 0.0  # below the floor: clipped to v = 0
    assert isinstance(m.vix_index(0.04), float)
    assert np.all(np.diff(m.vix_index(np.linspace(0, 1, 50))) > 0)
    with pytest.raises(ValueError, match="tau_years"):
        vix_coefficients(m.Q, 0.0)


@pytest.mark.parametrize("preset", ["heston_fo2008", "bates_dps2000", "svcj_dps2000",
                                    "svcj_default"])
def test_log_contract_by_monte_carlo_under_q(preset):
    """-(2/tau) E_Q[ln(S_tau/F)] by simulation equals A(tau) + B(tau) v0 (3 SE).

    tau = 21 trading days (the simulation clock; the formula holds for any tau). The estimator
    uses the control variate y - 1 (E_Q[y] = 1 for y = S_tau/F, the martingale property tested
    in test_paths): ln y - (y - 1) has the same mean and a far smaller variance.
    """
    m = sim.load_model(preset)
    days = 21
    tau = days / 252
    paths = sim.simulate_paths(m, 200_000, days, seed=11, measure="Q")
    y = paths.spx.values[:, -1] / (m.spx0 * math.exp((m.r - m.q) * tau))
    estimate = -(2 / tau) * (np.log(y) - (y - 1))
    se = estimate.std(ddof=1) / math.sqrt(estimate.size)
    a, b = vix_coefficients(m.Q, tau)
    assert abs(estimate.mean() - (a + b * m.v0)) < 3 * se
    # the test resolves VIX^2 to 1.5 % or better (rare large Bates jumps dominate the SE)
    assert se < 0.015 * (a + b * m.v0)
