"""P's own jumps of the central tendency m (``lam_m``, ``mu_m``; docs/two_factor.md
"Dynamics", docs/calibration.md §9 "Iteration 3"): off by default with the paths of the model
without them bit for bit, P only, their counts and sizes against the Poisson-exponential law,
and m's stationary mean (with the co-jumps too) against its linear system."""

from __future__ import annotations

import math

import numpy as np
import pytest

import simulator as sim
from simulator.common.conventions import TRADING_DAYS_PER_YEAR as DAYS_PER_YEAR
from simulator.model.params import Model, ParameterError
from simulator.model.vix import vix_state_coefficients
from tests.helpers import acknowledged_model as _model
from tests.helpers import assert_stationary_means, se_mean
from tests.test_extensions import _with
from tests.test_two_factor import TWO_FACTOR


def test_m_jumps_are_p_only_and_two_factor_only_and_round_trip():
    model = _model(_with(TWO_FACTOR, P={"lam_m": 2.0, "mu_m": 0.02}))
    assert (model.P.lam_m, model.P.mu_m) == (2.0, 0.02)
    assert model.Q.lam_m == 0.0 and model.Q.mu_m == 0.0
    assert Model.from_dict(model.to_dict(), feller_acknowledged=True) == model
    assert sim.load_model("svcj_2f_conditional").P.to_dict().keys().isdisjoint({"lam_m", "mu_m"})
    for key, value in (("lam_m", 2.0), ("mu_m", 0.02)):
        with pytest.raises(ParameterError, match=rf"Q\.{key}"):
            _model(_with(TWO_FACTOR, P={key: value}, Q={key: value}))
    one = {**TWO_FACTOR, "P": {k: v for k, v in TWO_FACTOR["P"].items()
                               if k not in ("kappa_m", "sigma_m", "lam1")},
           "Q": {k: v for k, v in TWO_FACTOR["Q"].items() if k not in ("kappa_m", "lam1")}}
    one.pop("m0")
    with pytest.raises(ParameterError, match=r"P\.lam_m"):
        _model(_with(one, P={"lam_m": 2.0, "mu_m": 0.02}))
    with pytest.raises(ParameterError, match=r"P\.lam_m"):
        _model(_with(TWO_FACTOR, P={"lam_m": 60.0}))


def test_no_m_jumps_give_the_same_paths_bit_for_bit():
    """lam_m = 0 draws nothing (whatever mu_m): the paths of the model without the fields.
    (Measured when the fields were added: svcj_2f_conditional's and svcj_2f_calibrated's P
    paths, 300 x 252 days, 2 substeps, identical to the code before them.)"""
    base = sim.load_model("svcj_2f_conditional")
    explicit = base.merged({"P": {"lam_m": 0.0, "mu_m": 0.03}})
    a = sim.simulate_paths(base, 200, 60, seed=3)
    b = sim.simulate_paths(explicit, 200, 60, seed=3)
    for name in ("spx", "v", "m", "vix"):
        np.testing.assert_array_equal(a[name].values, b[name].values)
    on = sim.simulate_paths(base.merged({"P": {"lam_m": 3.0, "mu_m": 0.02}}), 200, 60, seed=3)
    assert (on.m.values >= a.m.values).all() and (on.m.values > a.m.values).any()


def test_m_jump_counts_and_sizes_follow_the_poisson_exponential_law():
    """sigma_m = 0 and no co-jumps: between jumps m moves deterministically, so each day's
    surplus over that move is the day's sum of m's jumps (one step a day: the jumps come at
    the step's end). Days with a jump against 1 - exp(-lam_m / 252) (4 binomial SE) and the
    mean surplus on those days against mu_m E[N | N >= 1] (4 SE of the sample mean)."""
    lam_m, mu_m = 6.0, 0.01
    model = _model(_with(TWO_FACTOR, P={"lam_m": lam_m, "mu_m": mu_m, "sigma_m": 0.0,
                                        "kappa_m": 2.0}))
    m = sim.simulate_paths(model, 1000, DAYS_PER_YEAR, seed=11, substeps=1).m.values
    p = model.P
    decay = math.exp(-p.kappa_m / DAYS_PER_YEAR)
    surplus = (m[:, 1:] - (p.theta + (m[:, :-1] - p.theta) * decay)).ravel()
    jumped = surplus > 1e-12
    assert (np.abs(surplus[~jumped]) < 1e-12).all()
    mean = lam_m / DAYS_PER_YEAR
    p_day = 1.0 - math.exp(-mean)
    n = surplus.size
    assert abs(jumped.sum() - n * p_day) < 4 * math.sqrt(n * p_day * (1 - p_day))
    sizes = surplus[jumped]
    expected = mu_m * mean / p_day  # E[sum of N Exp(mu_m)] given N >= 1
    assert abs(sizes.mean() - expected) < 4 * se_mean(sizes)


def test_m_jumps_set_m_stationary_mean_with_the_co_jumps():
    """With m's own jumps and its co-jumps the stationary means solve
    E[m] = theta + (m_jump mu_v (lam + lam1 E[v]) + lam_m mu_m) / kappa_m and
    E[v] = (kappa E[m] + lam mu_v) / (kappa - lam1 mu_v): per-path time averages (after a
    year's burn-in) against that system, within 4 standard errors of their mean plus 1 %."""
    data = _with(TWO_FACTOR, P={"lam_m": 4.0, "mu_m": 0.01, "m_jump": 0.3, "kappa_m": 3.0})
    model = _model(data)
    p = model.P
    mat = np.array([[1.0, -p.m_jump * p.mu_v * p.lam1 / p.kappa_m],
                    [-p.kappa / p.kappa_tilde, 1.0]])
    rhs = np.array([p.theta + (p.m_jump * p.mu_v * p.lam + p.lam_m * p.mu_m) / p.kappa_m,
                    p.lam * p.mu_v / p.kappa_tilde])
    e_m, e_v = np.linalg.solve(mat, rhs)
    assert e_m > p.theta + p.lam_m * p.mu_m / p.kappa_m  # the co-jumps add to it
    assert_stationary_means(model, e_m, e_v, seed=29)


# ---- svcj_2f_conditional_mjump (docs/calibration.md §9, "Iteration 3": row U) --------------

def test_m_jump_preset_meets_all_eight_conditional_bands():
    """svcj_2f_conditional_mjump on 4,000 P path-years of seed 7 (its fit: 20261202): all
    eight bands (svcj_2f_conditional: six). Measured here: calm realised vol 10.26 (band
    7-10.5), VIX minus it 1.69 (1.5-4), 7.64 (30-45) and 10.67 (> 45), |dVIX| > 5 on 4.64
    days a year, +30 % on 1.06 (0.8-2), the long future's slope 0.311 (0.30-0.50, the closest
    edge), VVIX rise 6.2. On 1,000 x 10 years of seeds 20261204, 7 and 9 alike: slope
    0.314-0.315, +30 % days 1.04-1.05."""
    from simulator.calibration import conditional

    model = sim.load_model("svcj_2f_conditional_mjump")
    assert model.P.lam_m > 0 and model.Q.lam_m == 0
    # Q's drift and jumps are svcj_2f_conditional's (VIX of the state unchanged); the shared
    # diffusion (sigma_v, rho) was refitted with P, as in rows L-N
    base = sim.load_model("svcj_2f_conditional")
    np.testing.assert_array_equal(vix_state_coefficients(model.Q),
                                  vix_state_coefficients(base.Q))
    facts = conditional.model_facts(model, n_paths=400, seed=7, options_per_bucket=8,
                                    slope_paths=50)
    for (fact, bucket), (lo, hi) in conditional.BANDS.items():
        assert lo <= facts.value(fact, bucket) <= hi, (fact, bucket, facts.value(fact, bucket))


def test_m_jump_preset_averages_sit_on_their_edges():
    """The averages' fact table (tests/test_calibration.py's 1,280 path-years of seed 8):
    every band met, on the edges (median VIX 16.43, VIX > 30 on 13.8 % of days, contango
    72.6 %, VIX < 13 on 22.2 %). Seeds 7 and 9 miss: VIX > 30 on 14.6 / 14.5 % (band <= 14 %),
    contango 71.7 % on seed 7, the median 16.23 on seed 9 (docs/calibration.md §9). The test
    holds those three within their seed-to-seed spread so that a drift shows."""
    from simulator.calibration.real_world import SimulationDesign, path_moments
    from simulator.calibration.targets import FACT_BANDS

    got = path_moments(sim.load_model("svcj_2f_conditional_mjump"),
                       SimulationDesign(n_paths=128, years=11, seed=8))
    bands = dict(FACT_BANDS, vix_median=(16.2, 19.3), share_vix_above_30=(0.06, 0.15),
                 share_contango=(0.71, 0.88))  # the known edges, see above
    outside = {k: (round(got[k], 4), band) for k, band in bands.items()
               if not band[0] <= got[k] <= band[1]}
    assert not outside, outside
