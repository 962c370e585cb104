"""The SVCJ path generator against independent references and invariants."""

import math

import numpy as np
import pytest
import xarray as xr

import simulator as sim
from simulator.model.moments import variance_mean, variance_var
from simulator.model.params import MeasureParams, Model

DT = 1 / 252


def _se_mean(x):
    return x.std(ddof=1) / math.sqrt(x.size)


def _se_var(x):
    """Standard error of the sample variance: sqrt((m4 - s^4) / n)."""
    c = x - x.mean()
    return math.sqrt(((c**4).mean() - (c**2).mean() ** 2) / x.size)


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
        assert abs(ratio.mean() - 1.0) < 3 * _se_mean(ratio), (preset, day)


def test_equity_premium_shows_up_under_p_only():
    m = sim.load_model("svcj_default")
    n_days = 252
    p_paths = sim.simulate_paths(m, 100_000, n_days, seed=5, measure="P")
    growth = p_paths.spx.values[:, -1] / m.spx0
    expected = math.exp(m.r - m.q + m.P.equity_premium)  # E_P[S_T/S_0]
    assert abs(growth.mean() - expected) < 3 * _se_mean(growth)


# ---- variance moments ------------------------------------------------------------------------

def _transform_moments(m: MeasureParams, v0: float, t: float):
    """E and Var of v_t from the affine transform E[exp(phi v_t)] (Zhu & Lian 2012 eqs. 10–11,
    REFERENCES §2.3), by central differences of its log at phi = 0: an independent route to
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


def _scheme_moments(m: MeasureParams, v0: float, n_steps: int, dt: float):
    """Exact E and Var of v after n steps of the discretised scheme: QE matches the CIR
    conditional mean and variance of each step exactly (Andersen 2008 §3.2.3), and the
    end-of-step compound-Poisson jumps add mean lam dt mu_v and variance lam dt 2 mu_v^2."""
    e = math.exp(-m.kappa * dt)
    s2_v = m.sigma_v**2 * e * (1 - e) / m.kappa
    s2_c = m.theta * m.sigma_v**2 * (1 - e) ** 2 / (2 * m.kappa)
    mean, var = v0, 0.0
    for _ in range(n_steps):
        var = e * e * var + (mean * s2_v + s2_c) + 2 * m.lam * dt * m.mu_v**2
        mean = m.theta + (mean - m.theta) * e + m.lam * dt * m.mu_v
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
    """End-of-step jumps cost an O(dt) bias (REFERENCES §4.4): check it is small and O(dt)."""
    m = sim.load_model(preset)
    exact = variance_mean(m.P, m.v0, 1.0), variance_var(m.P, m.v0, 1.0)
    errs = []
    for substeps in (1, 2, 4):
        dt = DT / substeps
        got = _scheme_moments(m.P, m.v0, 252 * substeps, dt)
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
    mean, var = _scheme_moments(m.P, m.v0, 252, DT)
    assert abs(v_t.mean() - mean) < 3 * _se_mean(v_t)
    assert abs(v_t.var() - var) < 3 * _se_var(v_t)


@pytest.mark.slow
def test_simulated_variance_moments_match_closed_form_with_substeps():
    """With 8 sub-steps the discretisation bias is far below the MC error: compare with the
    continuous closed form directly."""
    m = sim.load_model("svcj_default")
    paths = sim.simulate_paths(m, 200_000, 252, seed=17, measure="P", substeps=8)
    v_t = paths.v.values[:, -1]
    assert abs(v_t.mean() - variance_mean(m.P, m.v0, 1.0)) < 3 * _se_mean(v_t)
    assert abs(v_t.var() - variance_var(m.P, m.v0, 1.0)) < 3 * _se_var(v_t)


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
    mean, var = _scheme_moments(m.P, m.v0, 252, DT)
    assert abs(v_t.mean() - mean) < 3 * _se_mean(v_t)
    assert abs(v_t.var() - var) < 3 * _se_var(v_t)
    ratio = paths.spx.values[:, -1] * math.exp(-m.r) / m.spx0
    assert abs(ratio.mean() - 1) < 3 * _se_mean(ratio)


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
    assert abs(ratio.mean() - 1.0) < 3 * _se_mean(ratio)
