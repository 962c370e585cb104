"""The SVCJ path generator against independent references and invariants."""

import math

import numpy as np
import pytest
import xarray as xr

import simulator as sim
from simulator.model.moments import variance_mean, variance_var
from simulator.model.params import MeasureParams, Model
from tests.helpers import scheme_moments, se_mean, se_var

DT = 1 / 252


# ---- martingale under Q --------------------------------------------------------------------

@pytest.mark.parametrize("preset", ["heston_fo2008", "bates_dps2000", "svcj_dps2000",
                                    "svcj_default"])
def test_discounted_dividend_adjusted_spx_is_a_q_martingale(preset):
    """E_Q[S_T e^{-(r-q)T}] = S_0 within 3 SE, daily steps, T = 1 year, 100k paths."""
    m = sim.load_model(preset)
    n_days = 252
    paths = sim.simulate_paths(m, 100_000, n_days, seed=2024, measure="Q")
    for day in (21, n_days):  # one month and one year
        ratio = paths.spx.values[:, day] * math.exp(-(m.r - m.q) * day * DT) / m.spx0
        assert abs(ratio.mean() - 1.0) < 3 * se_mean(ratio), (preset, day)


def test_equity_premium_shows_up_under_p_only():
    m = sim.load_model("svcj_default")
    n_days = 252
    p_paths = sim.simulate_paths(m, 100_000, n_days, seed=5, measure="P")
    growth = p_paths.spx.values[:, -1] / m.spx0
    expected = math.exp(m.r - m.q + m.P.equity_premium)  # E_P[S_T/S_0]
    assert abs(growth.mean() - expected) < 3 * se_mean(growth)


# ---- variance moments ------------------------------------------------------------------------

def _transform_moments(m: MeasureParams, v0: float, t: float):
    """E and Var of v_t from the affine transform E[exp(phi v_t)] (Zhu & Lian 2012 eqs. 10–11,
    docs/model.md §2.3), by central differences of its log at phi = 0: an independent route to
    the closed forms in simulator.model.moments."""
    k, th, s2, lam, mu = m.kappa, m.theta, m.sigma_v**2, m.lam, m.mu_v
    em1 = math.expm1(-k * t)  # e^{-kt} - 1

    def log_f(phi):
        d = 2 * k * phi / (s2 * phi + (2 * k - s2 * phi) * math.exp(k * t))
        c = -(2 * k * th / s2) * math.log(1 + s2 * phi / (2 * k) * em1)
        a = 0.0
        if lam > 0:
            a = (2 * mu * lam / (2 * mu * k - s2)) * math.log(
                1 + phi * (s2 - 2 * mu * k) / (2 * k * (1 - mu * phi)) * em1)
        return c + d * v0 + a

    h = 1e-3
    mean = (log_f(h) - log_f(-h)) / (2 * h)
    var = (log_f(h) - 2 * log_f(0.0) + log_f(-h)) / h**2
    return mean, var


@pytest.mark.parametrize("preset", ["heston_fo2008", "svcj_dps2000", "svcj_default"])
@pytest.mark.parametrize("t", [0.1, 1.0, 5.0])
def test_closed_form_moments_match_the_affine_transform(preset, t):
    m = sim.load_model(preset)
    mean, var = _transform_moments(m.P, m.v0, t)
    assert variance_mean(m.P, m.v0, t) == pytest.approx(mean, rel=1e-6)
    assert variance_var(m.P, m.v0, t) == pytest.approx(var, rel=1e-5)


@pytest.mark.parametrize("preset", ["svcj_dps2000", "svcj_default"])
def test_scheme_moments_converge_to_closed_form_at_first_order(preset):
    """End-of-step jumps cost an O(dt) bias (docs/model.md §4.4): check it is small and O(dt)."""
    m = sim.load_model(preset)
    exact = variance_mean(m.P, m.v0, 1.0), variance_var(m.P, m.v0, 1.0)
    errs = []
    for substeps in (1, 2, 4):
        dt = DT / substeps
        got = scheme_moments(m.P, m.v0, 252 * substeps, dt)
        errs.append([abs(g - x) / x for g, x in zip(got, exact, strict=True)])
    errs = np.array(errs)
    # daily steps: E[v] within 0.5 %; Var[v] within 1.5 % (1.2 % for the DPS set, whose
    # variance of v is mostly jumps: sigma_v = 0.14, so the jump-timing bias shows most there)
    assert errs[0, 0] < 5e-3 and errs[0, 1] < 1.5e-2
    ratios = errs[:-1] / errs[1:]
    assert np.all((ratios > 1.8) & (ratios < 2.2))  # halving dt halves the error


@pytest.mark.parametrize("preset", ["heston_fo2008", "svcj_default"])
def test_simulated_variance_moments_under_p(preset):
    """MC mean and variance of v_T (T = 1 year, daily steps) within 3 SE of the scheme's exact
    moments, which are within 0.5 % of the continuous closed form (previous test)."""
    m = sim.load_model(preset)
    paths = sim.simulate_paths(m, 100_000, 252, seed=99, measure="P")
    v_t = paths.v.values[:, -1]
    mean, var = scheme_moments(m.P, m.v0, 252, DT)
    assert abs(v_t.mean() - mean) < 3 * se_mean(v_t)
    assert abs(v_t.var() - var) < 3 * se_var(v_t)


@pytest.mark.slow
def test_simulated_variance_moments_match_closed_form_with_substeps():
    """With 8 sub-steps the discretisation bias is far below the MC error: compare with the
    continuous closed form directly."""
    m = sim.load_model("svcj_default")
    paths = sim.simulate_paths(m, 200_000, 252, seed=17, measure="P", substeps=8)
    v_t = paths.v.values[:, -1]
    assert abs(v_t.mean() - variance_mean(m.P, m.v0, 1.0)) < 3 * se_mean(v_t)
    assert abs(v_t.var() - variance_var(m.P, m.v0, 1.0)) < 3 * se_var(v_t)


def test_variance_never_negative_with_feller_violated_tenfold():
    # 2 kappa theta / sigma_v^2 = 2 * 2 * 0.01 / 0.4 = 0.1
    params = {"kappa": 2.0, "theta": 0.01, "sigma_v": math.sqrt(0.4), "rho": -0.9,
              "lam": 3.0, "mu_x": -0.03, "sigma_x": 0.05, "mu_v": 0.02, "rho_j": -1.0}
    with pytest.warns(sim.FellerConditionWarning):
        m = Model.from_dict({"r": 0.03, "q": 0.0, "spx0": 100.0, "v0": 0.01,
                             "P": params, "Q": {k: params[k] for k in params
                                                if k not in ("sigma_v", "rho")}})
    assert m.P.feller_ratio == pytest.approx(0.1)
    paths = sim.simulate_paths(m, 50_000, 252, seed=8, measure="Q")
    v = paths.v.values
    assert np.isfinite(v).all() and (v >= 0).all()
    assert (v == 0).mean() > 0.01  # it does hit zero: the exponential branch is exercised
    assert np.isfinite(paths.spx.values).all() and (paths.spx.values > 0).all()
    v_t = v[:, -1]
    mean, var = scheme_moments(m.P, m.v0, 252, DT)
    assert abs(v_t.mean() - mean) < 3 * se_mean(v_t)
    assert abs(v_t.var() - var) < 3 * se_var(v_t)
    ratio = paths.spx.values[:, -1] * math.exp(-m.r) / m.spx0
    assert abs(ratio.mean() - 1) < 3 * se_mean(ratio)


# ---- reproducibility -------------------------------------------------------------------------

def test_paths_do_not_depend_on_n_paths_chunk_size_or_threads(threads):
    m = sim.load_model("svcj_default")
    base = sim.simulate_paths(m, 1_000, 63, seed=42)
    more = sim.simulate_paths(m, 2_500, 63, seed=42, chunk_size=300)
    xr.testing.assert_identical(base, more.isel(path=slice(0, 1_000)))
    threads(1)
    one = sim.simulate_paths(m, 1_000, 63, seed=42, chunk_size=7)
    threads(2)
    two = sim.simulate_paths(m, 1_000, 63, seed=42, chunk_size=1_000)
    xr.testing.assert_identical(one, two)
    xr.testing.assert_identical(one, base)


def test_seed_stream_and_measure_change_the_paths():
    m = sim.load_model("svcj_default")
    a = sim.simulate_paths(m, 200, 10, seed=1)
    for other in (sim.simulate_paths(m, 200, 10, seed=2),
                  sim.simulate_paths(m, 200, 10, seed=1, stream=1)):
        assert not np.array_equal(a.spx.values, other.spx.values)
    q = sim.simulate_paths(m, 200, 10, seed=1, measure="Q")
    assert not np.array_equal(a.spx.values, q.spx.values)
    # a longer horizon extends the same paths
    longer = sim.simulate_paths(m, 200, 20, seed=1)
    np.testing.assert_array_equal(longer.spx.values[:, :11], a.spx.values)


# ---- output and input ------------------------------------------------------------------------

def test_dataset_layout_and_units():
    m = sim.load_model("svcj_default")
    ds = sim.simulate_paths(m, 5, 21, seed=0)
    assert dict(ds.sizes) == {"path": 5, "day": 22}
    assert set(ds.data_vars) == {"spx", "v", "vix"}
    assert (ds.spx.isel(day=0) == m.spx0).all() and (ds.v.isel(day=0) == m.v0).all()
    np.testing.assert_allclose(ds.vix.values, m.vix_index(ds.v.values))
    assert ds.spx.attrs["units"] == "index points" and "variance" in ds.v.attrs["units"]
    assert ds.attrs["measure"] == "P" and ds.attrs["seed"] == 0


@pytest.mark.parametrize(("kwargs", "match"), [
    ({"n_paths": 0}, "n_paths"), ({"n_days": -1}, "n_days"), ({"substeps": 0}, "substeps"),
    ({"measure": "R"}, "measure"), ({"seed": -3}, "seed"), ({"n_paths": 2.5}, "n_paths"),
    ({"chunk_size": 0}, "chunk_size"),
])
def test_bad_arguments_are_rejected(kwargs, match):
    m = sim.load_model("svcj_default")
    args = {"n_paths": 10, "n_days": 5, "seed": 1} | kwargs
    with pytest.raises(ValueError, match=match):
        sim.simulate_paths(m, **args)


def test_martingale_correction_also_holds_for_positive_rho():
    """rho > 0 makes A = K2 + K4/2 positive, so Andersen's correction needs A < 1/(2a) (or
    A < beta); where it holds the step is still an exact martingale, and the plain-K0 fallback
    covers the rest. Checked here with rho = +0.7 under Q."""
    params = {"kappa": 3.0, "theta": 0.045, "sigma_v": 0.5, "rho": 0.7}  # Feller 1.08
    m = Model.from_dict({"r": 0.02, "q": 0.01, "spx0": 100.0, "v0": 0.04, "P": params,
                         "Q": {"kappa": 3.0, "theta": 0.045}})
    paths = sim.simulate_paths(m, 100_000, 252, seed=77, measure="Q")
    ratio = paths.spx.values[:, -1] * math.exp(-(m.r - m.q)) / m.spx0
    assert abs(ratio.mean() - 1.0) < 3 * se_mean(ratio)


# ---- stress shocks and regime schedules ------------------------------------------------------

def _log_moves(ds):
    return np.diff(np.log(ds.spx.values), axis=1)


def test_shocks_move_spx_and_variance_exactly_and_leave_other_days_alone():
    from simulator.model.paths import Shock

    m = sim.load_model("svcj_default")
    base = sim.simulate_paths(m, 500, 30, seed=5)
    shocks = [Shock(day=5, spx_return=-0.12),                          # on top of the model move
              Shock(day=10, spx_return=-0.05, spx_return_mode="set"),  # instead of it
              Shock(day=15, vix=65.0), Shock(day=20, variance_jump=0.3)]
    hit = sim.simulate_paths(m, 500, 30, seed=5, shocks=shocks)
    db, dh = _log_moves(base), _log_moves(hit)
    # day 5: the model's own move plus log(0.88); the variance is untouched by a price shock
    np.testing.assert_allclose(dh[:, 4] - db[:, 4], math.log(0.88), atol=1e-12)
    np.testing.assert_array_equal(hit.v.values[:, :15], base.v.values[:, :15])
    np.testing.assert_allclose(dh[:, 9], math.log(0.95), atol=1e-12)  # the same on every path
    np.testing.assert_allclose(hit.vix.values[:, 15], 65.0, rtol=1e-12)
    # the draws are not shifted by the shocks: every other day of the price path is unchanged
    # until the variance differs (day 15)
    other = [d for d in range(15) if d not in (4, 9)]
    np.testing.assert_allclose(dh[:, other], db[:, other], atol=1e-12)
    # a variance jump adds exactly that much to the variance the path would have had on day 20
    no_jump = sim.simulate_paths(m, 500, 30, seed=5, shocks=shocks[:3])
    np.testing.assert_allclose(hit.v.values[:, 20] - no_jump.v.values[:, 20], 0.3, atol=1e-12)
    np.testing.assert_array_equal(hit.v.values[:, :20], no_jump.v.values[:, :20])


@pytest.mark.parametrize(("shock", "match"), [
    ({"day": 0, "spx_return": -0.1}, "day"), ({"day": 31, "spx_return": -0.1}, "day"),
    ({"day": 3, "spx_return": -1.0}, "spx_return"), ({"day": 3, "vix": 5.0}, "floor"),
    ({"day": 3, "vix": 30.0, "variance_jump": 0.1}, "not both"),
    ({"day": 3, "spx_return": 0.1, "spx_return_mode": "mul"}, "mode"),
])
def test_bad_shocks_are_rejected(shock, match):
    from simulator.model.paths import Shock

    m = sim.load_model("svcj_default")
    with pytest.raises(ValueError, match=match):
        sim.simulate_paths(m, 10, 30, seed=1, shocks=[Shock(**shock)])


def test_regime_with_unchanged_parameters_changes_nothing():
    from simulator.model.paths import Regime

    m = sim.load_model("svcj_default")
    base = sim.simulate_paths(m, 300, 40, seed=3)
    same = sim.simulate_paths(m, 300, 40, seed=3, regimes=[Regime(5, 25, m.P)])
    xr.testing.assert_identical(base, same)


def test_regime_schedule_variance_mean_matches_piecewise_closed_form():
    """theta and the jump intensity raised over days 20..80: E[v] on days 20, 80 and 120 equals
    the scheme's exact mean, chained piece by piece (the mean is affine in the starting v), and
    days before the regime are bit-identical to the unscheduled paths. 3 SE."""
    import dataclasses

    from simulator.model.paths import Regime

    m = sim.load_model("svcj_default")
    stressed = dataclasses.replace(m.P, theta=0.09, lam=6.0, equity_premium=-0.3)
    n = 40_000
    ds = sim.simulate_paths(m, n, 120, seed=11, regimes=[Regime(20, 80, stressed)])
    base = sim.simulate_paths(m, 2_000, 120, seed=11)
    np.testing.assert_array_equal(ds.v.values[:2_000, :21], base.v.values[:, :21])
    mean20, _ = scheme_moments(m.P, m.v0, 20, DT)
    mean80, _ = scheme_moments(stressed, mean20, 60, DT)
    mean120, _ = scheme_moments(m.P, mean80, 40, DT)
    for day, expected in ((20, mean20), (80, mean80), (120, mean120)):
        v = ds.v.values[:, day]
        assert abs(v.mean() - expected) < 3 * se_mean(v), (day, v.mean(), expected)
    assert mean80 > 2 * mean20  # the test has teeth: the regime moves the mean a lot


def test_regime_cannot_change_the_shared_diffusion_or_leave_the_horizon():
    import dataclasses

    from simulator.model.paths import Regime

    m = sim.load_model("svcj_default")
    with pytest.raises(ValueError, match="sigma_v"):
        sim.simulate_paths(m, 10, 30, seed=1,
                           regimes=[Regime(0, 10, dataclasses.replace(m.P, sigma_v=0.3))])
    with pytest.raises(ValueError, match="regimes.0: days"):
        sim.simulate_paths(m, 10, 30, seed=1, regimes=[Regime(10, 40, m.P)])
    with pytest.raises(ValueError, match="measure"):
        sim.simulate_paths(m, 10, 30, seed=1, measure="Q", regimes=[Regime(0, 10, m.P)])
