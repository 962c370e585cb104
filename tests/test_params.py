"""Model parameter validation, round-trips and derived quantities."""

import math
import warnings

import pytest
from scipy import integrate

from simulator.model.params import (
    _MEASURE_BOUNDS,
    _TOP_BOUNDS,
    FellerConditionWarning,
    MeasureParams,
    Model,
    ParameterError,
)

DESIGN_EXAMPLE = {  # the example parameter set of the design notes (P and Q)
    "r": 0.04, "q": 0.015, "spx0": 5000.0, "v0": 0.03,
    "P": {"kappa": 5.0, "theta": 0.02, "sigma_v": 0.5, "rho": -0.7, "lam": 1.5,
          "mu_x": -0.02, "sigma_x": 0.03, "mu_v": 0.04, "rho_j": -0.5, "equity_premium": 0.05},
    "Q": {"kappa": 4.0, "theta": 0.03, "lam": 2.5, "mu_x": -0.05, "sigma_x": 0.04,
          "mu_v": 0.06, "rho_j": -0.5},
}
FELLER_OK = {  # the example with sigma_v lowered so that Feller holds under P and Q
    **DESIGN_EXAMPLE, "P": {**DESIGN_EXAMPLE["P"], "sigma_v": 0.4},
}


def build(data):
    return Model.from_dict(data)


def test_design_example_round_trips():
    with pytest.warns(FellerConditionWarning):  # 2*5*0.02/0.25 = 0.8 < 1
        m = build(DESIGN_EXAMPLE)
    with pytest.warns(FellerConditionWarning):
        again = Model.from_dict(m.to_dict())
    assert again == m
    assert m.Q.sigma_v == m.P.sigma_v == 0.5 and m.Q.rho == m.P.rho == -0.7
    assert m.Q.equity_premium == 0.0


def test_no_warning_when_feller_holds():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        build(FELLER_OK)


def _outside(lo, lo_inc, hi, hi_inc):
    """Values just outside each end of a range (and NaN)."""
    below = lo - 1e-9 if lo_inc else lo
    above = hi + 1e-9 if hi_inc else hi
    return [below, above, float("nan")]


@pytest.mark.parametrize("name", list(_MEASURE_BOUNDS))
@pytest.mark.parametrize("which", [0, 1, 2])
def test_every_measure_bound_is_enforced(name, which):
    lo, lo_inc, hi, hi_inc, meaning = _MEASURE_BOUNDS[name]
    bad = _outside(lo, lo_inc, hi, hi_inc)[which]
    data = {**FELLER_OK, "P": {**FELLER_OK["P"], name: bad}}
    with pytest.raises(ParameterError) as err:
        build(data)
    msg = str(err.value)
    assert f"P.{name}" in msg and meaning in msg
    assert repr(bad) in msg  # names the value ...
    assert f"{lo:g}, {hi:g}" in msg  # ... and the allowed range


@pytest.mark.parametrize("name", list(_TOP_BOUNDS))
def test_every_top_level_bound_is_enforced(name):
    lo, lo_inc, hi, hi_inc, meaning = _TOP_BOUNDS[name]
    for bad in _outside(lo, lo_inc, hi, hi_inc):
        with pytest.raises(ParameterError, match=rf"{name}: .*{meaning}"):
            build({**FELLER_OK, name: bad})


def test_values_just_inside_the_bounds_are_accepted():
    data = {**FELLER_OK, "v0": 0.0, "P": {**FELLER_OK["P"], "lam": 0.0, "sigma_x": 0.0,
                                           "mu_v": 0.0}}
    m = build(data)
    assert m.v0 == 0.0 and m.P.lam == 0.0


def test_jump_moment_condition_rho_j_mu_v():
    data = {**FELLER_OK, "P": {**FELLER_OK["P"], "rho_j": 25.0, "mu_v": 0.04}}
    with pytest.raises(ParameterError, match=r"P\.rho_j: rho_j \* mu_v = 1 must be <= 0\.9"):
        build(data)


def test_q_must_share_sigma_v_and_rho_and_have_no_equity_premium():
    data = {**FELLER_OK, "Q": {**FELLER_OK["Q"], "sigma_v": 0.9, "rho": -0.7,
                               "equity_premium": 0.02}}
    with pytest.raises(ParameterError) as err:
        build(data)
    msg = str(err.value)
    assert "Q.sigma_v: 0.9 differs from P.sigma_v = 0.4" in msg
    assert "Q.rho" not in msg  # equal to P's value: accepted
    assert "Q.equity_premium" in msg
    # the direct constructor enforces the same rules
    p = MeasureParams(kappa=1, theta=0.04, sigma_v=0.3, rho=-0.5)
    q = MeasureParams(kappa=1, theta=0.04, sigma_v=0.31, rho=-0.5)
    with pytest.raises(ParameterError, match="Q.sigma_v"):
        Model(r=0, q=0, spx0=100, v0=0.04, P=p, Q=q)


def test_all_problems_are_reported_at_once_with_the_source():
    data = {"r": 7.0, "spx0": -1, "v0": 0.03, "extra": 1,
            "P": {"kappa": -1, "theta": 0.02, "sigma_v": 0.5, "rho": 1.5, "typo": 3},
            "Q": {"theta": 0.03}}
    with pytest.raises(ParameterError) as err:
        Model.from_dict(data, source="my_model.yaml")
    paths = [p for p, _ in err.value.problems]
    assert set(paths) >= {"r", "q", "spx0", "extra", "P.kappa", "P.rho", "P.typo", "Q.kappa"}
    assert str(err.value).startswith("my_model.yaml: invalid model parameters")


def test_non_numeric_values_are_rejected():
    with pytest.raises(ParameterError, match="P.kappa: must be a number"):
        build({**FELLER_OK, "P": {**FELLER_OK["P"], "kappa": "fast"}})
    with pytest.raises(ParameterError, match="P.kappa: must be a number"):
        build({**FELLER_OK, "P": {**FELLER_OK["P"], "kappa": True}})


def test_merged_overrides_validate_and_carry_shared_parameters():
    m = build(FELLER_OK)
    m2 = m.merged({"v0": 0.05, "P": {"rho": -0.5}})
    assert m2.v0 == 0.05 and m2.P.rho == m2.Q.rho == -0.5
    assert m2.P.kappa == m.P.kappa
    with pytest.raises(ParameterError, match="Q.theta"):
        m.merged({"Q": {"theta": -1}})


def test_mbar_matches_numerical_integration():
    # mbar = E[exp(Z_x)] - 1 with Z_v ~ Exp(mu_v), Z_x | Z_v ~ N(mu_x + rho_j Z_v, sigma_x^2)
    p = MeasureParams(kappa=3, theta=0.04, sigma_v=0.3, rho=-0.7, lam=1.0, mu_x=-0.05,
                      sigma_x=0.07, mu_v=0.08, rho_j=-1.2)

    def integrand(z):
        density = math.exp(-z / p.mu_v) / p.mu_v
        return math.exp(p.mu_x + p.rho_j * z + 0.5 * p.sigma_x**2) * density

    expected, _ = integrate.quad(integrand, 0, math.inf, epsabs=1e-13, epsrel=1e-12)
    assert p.mbar == pytest.approx(expected - 1.0, abs=1e-12)
    assert p.mean_log_jump == pytest.approx(-0.05 - 1.2 * 0.08)
    assert p.theta_star == pytest.approx(0.04 + 1.0 * 0.08 / 3)


def test_mean_square_log_jump_by_monte_carlo():
    """E[Z_x^2] of the SVCJ jump law against 400,000 draws of it (tolerance 4 SE)."""
    import numpy as np

    from simulator.model.presets import load_model

    q = load_model("svcj_default").Q
    rng = np.random.default_rng(5)
    z_v = rng.exponential(q.mu_v, 400_000)
    z_x = rng.normal(q.mu_x + q.rho_j * z_v, q.sigma_x)
    sq = z_x**2
    assert abs(sq.mean() - q.mean_square_log_jump) < 4 * sq.std() / np.sqrt(sq.size)
