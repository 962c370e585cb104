"""v reverting below m under P (``v_level``; docs/two_factor.md "Dynamics", docs/calibration.md
§9 "Iteration 4"): dv = kappa (v_level m - v) dt + ... under P, 1 (v reverts to m) by default
with every model's paths bit for bit, P only, two-factor only, and the stationary mean of v
against the linear system of :func:`simulator.model.moments.two_factor_stationary_means`."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import simulator as sim
from simulator.model.moments import two_factor_stationary_means
from simulator.model.params import FellerConditionWarning, Model, ParameterError
from tests.helpers import se_mean
from tests.test_extensions import _with
from tests.test_two_factor import TWO_FACTOR

DAYS_PER_YEAR = 252


def _model(data):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FellerConditionWarning)
        return Model.from_dict(data, feller_acknowledged=True)


def test_v_level_is_p_only_two_factor_only_bounded_and_round_trips():
    model = _model(_with(TWO_FACTOR, P={"v_level": 0.7}))
    assert model.P.v_level == 0.7 and model.Q.v_level == 1.0
    assert model.P.to_dict()["v_level"] == 0.7 and "v_level" not in model.Q.to_dict()
    assert Model.from_dict(model.to_dict(), feller_acknowledged=True) == model
    for name in ("svcj_2f_calibrated", "svcj_2f_conditional_mjump", "svcj_default"):
        loaded = sim.load_model(name)
        assert loaded.P.v_level == 1.0 and "v_level" not in loaded.P.to_dict()
    with pytest.raises(ParameterError, match=r"Q\.v_level"):
        _model(_with(TWO_FACTOR, P={"v_level": 0.7}, Q={"v_level": 0.7}))
    for bad in (0.0, 1.2, -0.5):
        with pytest.raises(ParameterError, match=r"P\.v_level"):
            _model(_with(TWO_FACTOR, P={"v_level": bad}))
    one = {**TWO_FACTOR, "P": {k: v for k, v in TWO_FACTOR["P"].items()
                               if k not in ("kappa_m", "sigma_m", "lam1")},
           "Q": {k: v for k, v in TWO_FACTOR["Q"].items() if k not in ("kappa_m", "lam1")}}
    one.pop("m0")
    with pytest.raises(ParameterError, match=r"P\.v_level"):
        _model(_with(one, P={"v_level": 0.7}))


def test_v_level_one_gives_the_same_paths_bit_for_bit():
    """v_level = 1 multiplies v's long-run level by exactly 1.0: the paths of the model
    without the field. (Measured when it was added: svcj_2f_calibrated's and
    svcj_2f_conditional_mjump's P paths, 300 x 252 days, and Q paths, identical to the code
    before it.)"""
    base = sim.load_model("svcj_2f_conditional_mjump")
    explicit = base.merged({"P": {"v_level": 1.0}})
    assert explicit == base
    a = sim.simulate_paths(base, 200, 60, seed=3)
    b = sim.simulate_paths(explicit, 200, 60, seed=3)
    for name in ("spx", "v", "m", "vix"):
        np.testing.assert_array_equal(a[name].values, b[name].values)
    low = sim.simulate_paths(base.merged({"P": {"v_level": 0.6}}), 200, 60, seed=3)
    assert low.v.values[:, -1].mean() < a.v.values[:, -1].mean()


def test_v_level_sets_v_stationary_mean():
    """With v_level 0.6 (and m's own jumps and co-jumps) the stationary means solve
    E[m] = theta + (m_jump mu_v (lam + lam1 E[v]) + lam_m mu_m) / kappa_m and
    E[v] = (kappa v_level E[m] + lam mu_v) / (kappa - lam1 mu_v): per-path time averages of
    2,000 paths x 3 years after a year's burn-in (seed 31) against that system, within 4
    standard errors (se_mean of the per-path averages) of their mean plus 1 %; E[v] is 0.6
    E[m] plus the jumps' share, far below what v_level 1 gives."""
    data = _with(TWO_FACTOR, P={"v_level": 0.6, "lam_m": 2.0, "mu_m": 0.01, "m_jump": 0.3,
                                "kappa_m": 3.0})
    model = _model(data)
    e_m, e_v = two_factor_stationary_means(model.P)
    _, e_v1 = two_factor_stationary_means(model.merged({"P": {"v_level": 1.0}}).P)
    assert e_v < 0.75 * e_v1
    p = model.P
    assert e_v == pytest.approx((p.kappa * 0.6 * e_m + p.lam * p.mu_v
                                 + p.lam1 * p.mu_v * e_v) / p.kappa)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FellerConditionWarning)
        model = model.merged({"v0": float(e_v), "m0": float(e_m)})
    paths = sim.simulate_paths(model, 2000, DAYS_PER_YEAR * 4, seed=31, substeps=2)
    m_avg = paths.m.values[:, DAYS_PER_YEAR:].mean(axis=1)
    v_avg = paths.v.values[:, DAYS_PER_YEAR:].mean(axis=1)
    assert abs(m_avg.mean() - e_m) < 4 * se_mean(m_avg) + 0.01 * e_m
    assert abs(v_avg.mean() - e_v) < 4 * se_mean(v_avg) + 0.01 * e_v
