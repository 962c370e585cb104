"""The extensions of issue 28 (docs/calibration.md §9): the variance shift phi (Heston++) in the
paths, the VIX map and both characteristic functions, checked against Monte Carlo of the same
Q dynamics; P's co-jump of the central tendency m (m_jump) against its stationary mean; the
phi-for-jump swap that leaves VIX(v, m) as it was; the conditional targets against ``alvh
facts``' own functions."""

from __future__ import annotations

import dataclasses
import math
import warnings

import numpy as np
import pytest

import simulator as sim
from simulator.calibration.extensions import shift_swap
from simulator.model.params import FellerConditionWarning, Model, ParameterError
from simulator.model.vix import vix_coefficients, vix_state_coefficients
from simulator.pricing import affine2, spx_cos
from tests.helpers import se_mean
from tests.test_two_factor import TWO_FACTOR

PHI = 0.006


def _with(data, **measures):
    out = {**data}
    for k, v in measures.items():
        out[k] = {**data[k], **v}
    return out


@pytest.fixture(scope="module")
def shifted():
    return Model.from_dict(_with(TWO_FACTOR, P={"phi": PHI}), name="shifted",
                           feller_acknowledged=True)


def test_the_extensions_default_to_off_and_leave_dictionaries_as_they_were():
    for name in sim.preset_names():
        if "conditional" in name or "vlevel" in name:  # the presets fitted with them
            continue
        model = sim.load_model(name)
        for measure in (model.P, model.Q):
            assert measure.phi == 0.0 and measure.m_jump == 0.0
            assert "phi" not in measure.to_dict() and "m_jump" not in measure.to_dict()


def test_phi_is_shared_and_m_jump_is_p_only():
    shifted = Model.from_dict(_with(TWO_FACTOR, P={"phi": PHI}), feller_acknowledged=True)
    assert shifted.Q.phi == PHI  # inherited, as sigma_v
    with pytest.raises(ParameterError, match=r"Q\.phi"):
        Model.from_dict(_with(TWO_FACTOR, P={"phi": PHI}, Q={"phi": 0.001}))
    with pytest.raises(ParameterError, match=r"Q\.m_jump"):
        Model.from_dict(_with(TWO_FACTOR, P={"m_jump": 0.5}, Q={"m_jump": 0.5}))
    one = sim.load_model("svcj_default").to_dict()
    with pytest.raises(ParameterError, match=r"P\.m_jump"):
        Model.from_dict(_with(one, P={"m_jump": 0.5}))
    with pytest.raises(ParameterError, match=r"P\.phi"):
        Model.from_dict(_with(TWO_FACTOR, P={"phi": 0.2}))


def test_phi_adds_itself_to_vix_squared(shifted):
    base = Model.from_dict(TWO_FACTOR, feller_acknowledged=True)
    for tau in (9 / 365, 30 / 365, 93 / 365):
        a0, b0, c0 = vix_state_coefficients(base.Q, tau)
        a1, b1, c1 = vix_state_coefficients(shifted.Q, tau)
        assert a1 - a0 == pytest.approx(PHI, abs=1e-15) and (b1, c1) == (b0, c0)
    one = sim.load_model("svcj_default")
    one_shifted = one.merged({"P": {"phi": PHI}})
    assert vix_coefficients(one_shifted.Q)[0] - vix_coefficients(one.Q)[0] == \
        pytest.approx(PHI, abs=1e-15)


def test_phi_in_the_characteristic_functions_is_a_gaussian_factor(shifted):
    """Both CFs gain exp(-phi tau (u^2 + i u)/2): the martingale holds (phi(-i) = e^{(r-q)tau})
    and the log return's variance grows by phi tau."""
    base = Model.from_dict(TWO_FACTOR, feller_acknowledged=True)
    tau = 0.1
    u = np.array([0.3, 1.7, 6.0])
    ratio = affine2.log_return_cf(u, shifted.Q, 0.04, 0.015, tau, 0.02, 0.03) / \
        affine2.log_return_cf(u, base.Q, 0.04, 0.015, tau, 0.02, 0.03)
    np.testing.assert_allclose(ratio.ravel(), np.exp(-0.5 * PHI * tau * (u * u + 1j * u)),
                               rtol=1e-6)
    mart = affine2.log_return_cf(np.array([-1j]), shifted.Q, 0.04, 0.015, tau, 0.02, 0.03)
    assert abs(mart.ravel()[0] - math.exp(0.025 * tau)) < 1e-7
    one = sim.load_model("svcj_default")
    one_shifted = one.merged({"P": {"phi": PHI}})
    c2 = spx_cos.log_return_cumulants(one_shifted.Q, 0.04, 0.015, tau, 0.02)[1]
    c2_0 = spx_cos.log_return_cumulants(one.Q, 0.04, 0.015, tau, 0.02)[1]
    assert float(c2 - c2_0) == pytest.approx(PHI * tau, rel=1e-4)


@pytest.fixture(scope="module")
def q_paths(shifted):
    return sim.simulate_paths(shifted, 40_000, 21, seed=17, measure="Q", substeps=2)


def test_shifted_paths_against_the_log_contract_and_cos_puts(shifted, q_paths):
    """Q Monte Carlo of the shifted dynamics against (i) the martingale, (ii) VIX^2 as the
    price of the 30-day log contract, -(2/tau) E[ln(S_T/F)] (here over the 21 trading days
    the paths cover, the VIX map's coefficients at that window), (iii) COS puts from the
    char function with the shift; 3 SE plus the QE scheme's discretisation."""
    day = 21
    tau = day / 252
    s_t = q_paths.spx.values[:, day]
    ratio = s_t * math.exp(-(shifted.r - shifted.q) * tau) / shifted.spx0
    assert abs(ratio.mean() - 1) < 3 * se_mean(ratio)
    log_contract = -2 / tau * (np.log(s_t / shifted.spx0) - (shifted.r - shifted.q) * tau)
    a, b, c = vix_state_coefficients(shifted.Q, tau)
    expected = a + b * shifted.v0 + c * shifted.m0
    assert abs(log_contract.mean() - expected) < 3 * se_mean(log_contract) + 0.003 * expected
    # the shift itself: the same draws without it (common random numbers) give a log contract
    # phi lower, which a paired difference resolves
    base = Model.from_dict(TWO_FACTOR, feller_acknowledged=True)
    s_base = sim.simulate_paths(base, 40_000, day, seed=17, measure="Q", substeps=2
                                ).spx.values[:, day]
    diff = -2 / tau * np.log(s_t / s_base)
    assert abs(diff.mean() - PHI) < 3 * se_mean(diff) + 0.003 * expected
    assert se_mean(diff) < 0.25 * PHI  # phi is at least 4 SE from 0
    strikes = np.array([4600.0, 4900.0, 5000.0, 5150.0])
    puts = affine2.spx_put_prices(shifted.spx0, strikes, shifted.v0, shifted.m0, tau,
                                  shifted.Q, shifted.r, shifted.q)
    for k, price in zip(strikes, puts, strict=True):
        pay = math.exp(-shifted.r * tau) * np.maximum(k - s_t, 0.0)
        assert abs(pay.mean() - price) < 3 * se_mean(pay) + 1e-5 * shifted.spx0, k


def test_one_factor_shifted_paths_against_cos_puts():
    one = sim.load_model("svcj_default").merged({"P": {"phi": PHI}})
    paths = sim.simulate_paths(one, 40_000, 21, seed=19, measure="Q", substeps=2)
    tau = 21 / 252
    s_t = paths.spx.values[:, 21]
    strikes = np.array([0.92, 1.0, 1.04]) * one.spx0
    puts = spx_cos.cos_put_prices(one.spx0, strikes, float(one.v0), tau, one.Q, one.r, one.q)
    for k, price in zip(strikes, np.atleast_1d(puts), strict=True):
        pay = math.exp(-one.r * tau) * np.maximum(k - s_t, 0.0)
        assert abs(pay.mean() - price) < 3 * se_mean(pay) + 1e-5 * one.spx0, k


def test_zero_shift_and_zero_m_jump_give_the_same_paths_bit_for_bit():
    base = Model.from_dict(TWO_FACTOR, feller_acknowledged=True)
    explicit = Model.from_dict(_with(TWO_FACTOR, P={"phi": 0.0, "m_jump": 0.0}),
                               feller_acknowledged=True)
    a = sim.simulate_paths(base, 200, 30, seed=3)
    b = sim.simulate_paths(explicit, 200, 30, seed=3)
    for name in ("spx", "v", "m", "vix"):
        np.testing.assert_array_equal(a[name].values, b[name].values)


def test_m_jump_moves_m_with_the_variance_jumps_and_sets_its_mean():
    """With m's co-jump the stationary means solve E[m] = theta + m_jump mu_v (lam + lam1
    E[v]) / kappa_m and E[v] = (kappa E[m] + lam mu_v) / (kappa - lam1 mu_v): paths against
    that linear system (4 SE), and v and m's daily changes now correlate."""
    data = _with(TWO_FACTOR, P={"m_jump": 0.6, "sigma_m": 0.0})
    data["Q"]["kappa_m"] = 0.8
    model = Model.from_dict(data, feller_acknowledged=True)
    p = model.P
    mat = np.array([[1.0, -p.m_jump * p.mu_v * p.lam1 / p.kappa_m],
                    [-p.kappa / p.kappa_tilde, 1.0]])
    rhs = np.array([p.theta + p.m_jump * p.mu_v * p.lam / p.kappa_m,
                    p.lam * p.mu_v / p.kappa_tilde])
    e_m, e_v = np.linalg.solve(mat, rhs)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FellerConditionWarning)
        model = model.merged({"v0": float(e_v), "m0": float(e_m)})
    paths = sim.simulate_paths(model, 4000, 252 * 6, seed=23, substeps=2)
    m_end = paths.m.values[:, 252 * 3:].mean(axis=1)  # per-path time averages: independent
    v_end = paths.v.values[:, 252 * 3:].mean(axis=1)
    assert abs(m_end.mean() - e_m) < 4 * se_mean(m_end) + 0.01 * e_m
    assert abs(v_end.mean() - e_v) < 4 * se_mean(v_end) + 0.01 * e_v
    dv = np.diff(paths.v.values, axis=1).ravel()
    dm = np.diff(paths.m.values, axis=1).ravel()
    assert np.corrcoef(dv, dm)[0, 1] > 0.1
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FellerConditionWarning)
        off_model = model.merged({"P": {"m_jump": 0.0}})
    off = sim.simulate_paths(off_model, 500, 252, seed=23)
    assert abs(np.corrcoef(np.diff(off.v.values, axis=1).ravel(),
                           np.diff(off.m.values, axis=1).ravel())[0, 1]) < 0.05


def test_shift_swap_keeps_vix_of_the_state_and_moves_variance_into_the_diffusion():
    model = sim.load_model("svcj_2f_calibrated")
    swapped = shift_swap(model, 0.004)
    assert swapped.P.phi == swapped.Q.phi == 0.004
    assert swapped.Q.lam < model.Q.lam and swapped.P.lam == model.P.lam
    np.testing.assert_allclose(vix_state_coefficients(swapped.Q),
                               vix_state_coefficients(model.Q), rtol=1e-12, atol=1e-15)
    # other windows: B and C as before, A within a third of phi (the jumps' share of A
    # depends on the window through the variance jumps' mean reversion)
    for tau in (9 / 365, 93 / 365):
        new, old = vix_state_coefficients(swapped.Q, tau), vix_state_coefficients(model.Q, tau)
        np.testing.assert_allclose(new[1:], old[1:], rtol=1e-12)
        assert abs(new[0] - old[0]) < 0.3 * 0.004
    with pytest.raises(ValueError, match="exceeds"):
        shift_swap(model, 0.02)


def test_conditional_moments_are_the_facts_of_alvh_facts():
    """The fit's conditional targets on P paths are the fact table's figures of the same
    paths (one set of functions)."""
    from simulator.calibration import conditional as cf
    from simulator.calibration.targets import conditional_moments

    model = sim.load_model("svcj_2f_calibrated")
    paths = sim.simulate_paths(model, 30, 3 * 252, seed=5)
    spx, vix = paths.spx.values, paths.vix.values
    out = conditional_moments(spx, vix, None, paths.v.values, paths.m.values)
    rv = cf.forward_realised_vol(spx)
    buckets = cf.vix_bucket(vix).ravel()
    assert out["rv_vix_below_13"] == pytest.approx(cf._bucket_means(rv.ravel(), buckets)[0])
    assert out["days_abs_dvix_over_5"] == cf.big_move_counts(vix)["days_abs_change_over_5"]
    assert math.isnan(out["long_future_slope"])
    assert -1 < out["corr_dv_dm"] < 1


def test_vix9d_and_skew_are_opt_in_q_targets():
    """VIX9D joins a fit's curve only when asked; SKEW's residual is the model's SKEW at each
    day's fitted state (the fact table's q_skewness) minus Cboe's, NaN on days without one."""
    from simulator.calibration import conditional as cf
    from simulator.calibration.extensions import skew_residuals, skew_target
    from simulator.calibration.risk_neutral import evaluate_q
    from simulator.market.curves import curve_observations

    plain = curve_observations("2017-01-03", "2017-03-31")
    assert "VIX9D" not in set(plain.label)
    with_9d = curve_observations("2017-01-03", "2017-03-31",
                                 indices=("VIX", "VIX3M", "VIX6M", "VIX9D"))
    rows = with_9d.label == "VIX9D"
    assert rows.sum() > 50 and np.allclose(with_9d.tenor_years[rows], 9 / 365)
    model = sim.load_model("svcj_2f_calibrated")
    fit = evaluate_q(model, plain)
    res = skew_residuals(model, plain, fit.v, fit.m)
    market = cf._aligned("skew_daily", plain.dates)
    expected = 100 - 10 * cf.q_skewness(model, fit.v, fit.m) - market
    np.testing.assert_allclose(res, expected, equal_nan=True)
    assert np.isfinite(res).sum() > 50
    rows = skew_target(plain, 0.05)(model, fit.v, fit.m)
    np.testing.assert_allclose(rows, 0.05 * res[np.isfinite(res)])


def test_p_stages_apply_their_start_factors_and_scales_and_restore_the_targets():
    """extensions.run_p_stages (the chain's P stages and the frontier rows of docs/calibration.md
    §9): a stage's start factors move P's start values before its fit, its target scales are in
    force during the fit only, and the stages chain (the second starts where the first ended).
    One evaluation per stage (max_nfev 1: the start itself), on a market that is the base's own
    moments, so the test is about the plumbing, not the fit."""
    from simulator.calibration import targets as tg
    from simulator.calibration.extensions import run_p_stages
    from simulator.calibration.real_world import SimulationDesign, path_moments

    base = sim.load_model("svcj_2f_conditional")
    design = SimulationDesign(n_paths=8, years=2)
    market = path_moments(base, design, conditional=True)
    saved = dict(tg.ALL_TARGETS)
    seen = []
    stages = ((("kappa", "sigma_m"), {"share_contango": 0.123}, 1, {"sigma_m": 2.5}),
              (("kappa",), {}, 1))
    model, fits = run_p_stages(base, market, stages, design=design,
                               progress=lambda n, obj: seen.append(
                                   tg.ALL_TARGETS["share_contango"][1]))
    assert tg.ALL_TARGETS == saved
    assert seen[0] == 0.123 and seen[-1] == saved["share_contango"][1]
    assert fits[0].model.P.sigma_m == pytest.approx(2.5 * base.P.sigma_m, rel=1e-12)
    assert fits[1].model.P.sigma_m == fits[0].model.P.sigma_m  # the second starts from the first
    assert model is fits[-1].model
    # sigma_m is shared: Q carries the new one, and only it
    assert model.Q.sigma_m == model.P.sigma_m
    assert dataclasses.replace(model.Q, sigma_m=base.Q.sigma_m) == base.Q
