"""Numerics and memory under attack (issue 34, items 4, 5, 6 and 10): schema-valid parameters
that drove the two-factor scheme to NaN, history windows whose memory the guard underestimated,
a short last history window, and a damaged pricing-table cache. Each test reproduces the attack
and fails on the code before its fix."""

from __future__ import annotations

import itertools
import math
import warnings

import numpy as np
import pytest

import simulator as sim
from simulator.model.params import Model
from tests.helpers import se_mean

# ---- item 4: the two-factor scheme at the boundary m = v = 0 ----------------------------------

# A boundary-heavy two-factor model: m's Feller ratio 2 kappa_m theta / sigma_m^2 is 0.0025 and
# v's 0.03, so m and v sit at 0 together on many steps (the state that gave psi = 0/0).
BOUNDARY = {
    "r": 0.03, "q": 0.01, "spx0": 4000.0, "v0": 0.02, "m0": 0.03,
    "P": {"kappa": 6.0, "theta": 0.01, "sigma_v": 2.0, "rho": -0.7, "kappa_m": 0.5,
          "sigma_m": 2.0, "equity_premium": 0.05},
    "Q": {"kappa": 6.0, "theta": 0.01, "kappa_m": 0.5},
}


def _quiet_model(data) -> Model:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # Feller warnings: the point of these models
        return Model.from_dict(data, name="boundary", feller_acknowledged=True)


@pytest.fixture(scope="module")
def calibrated_2f():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return sim.load_model("svcj_2f_default")


def test_two_factor_paths_stay_finite_over_the_schema_range(calibrated_2f):
    """Every (sigma_m, kappa_m, theta) corner of the schema's range gives finite paths with
    v, m >= 0. Before the fix sigma_m = 0.3 on svcj_2f_default gave NaN on 140 of 2,000 paths
    (m at 0 on both ends of a step with v = 0: the v step's QE had psi = 0/0)."""
    grid = itertools.product((0.0, 0.3, 1.0, 2.0), (0.05, 1.0, 20.0), (1e-4, 0.04, 1.0))
    failures = []
    for sigma_m, kappa_m, theta in grid:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            model = calibrated_2f.merged(
                {"P": {"sigma_m": sigma_m, "kappa_m": kappa_m, "theta": theta}})
        paths = sim.simulate_paths(model, 300, 126, seed=5)
        finite = all(np.isfinite(paths[k].values).all() for k in ("spx", "v", "m", "vix"))
        if not (finite and (paths.v.values >= 0).all() and (paths.m.values >= 0).all()):
            failures.append((sigma_m, kappa_m, theta))
    assert failures == []


def test_the_default_preset_at_sigma_m_0_3_is_finite(calibrated_2f):
    """The attack as filed: svcj_2f_default with sigma_m 0.3 and 0.4, 2,000 paths x 252 days."""
    for sigma_m in (0.3, 0.4):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            model = calibrated_2f.merged({"P": {"sigma_m": sigma_m}})
        paths = sim.simulate_paths(model, 2000, 252, seed=1)
        assert np.isfinite(paths.vix.values).all() and np.isfinite(paths.spx.values).all()


@pytest.fixture(scope="module")
def boundary_paths():
    model = _quiet_model(BOUNDARY)
    return model, sim.simulate_paths(model, 20_000, 252, seed=17, measure="Q")


def test_boundary_fix_keeps_the_means(boundary_paths):
    """The degenerate step must not bias the scheme: at the boundary-heavy model,

    - E[m_T] = theta + (m0 - theta) e^{-kappa_m T} (CIR closed form; QE matches each step's
      conditional mean, Andersen 2008 §3.2.3), within 4 SE;
    - E[v_T] equals the scheme's own mean recursion E[v_{n+1}] = e E[v_n] + (1 - e) (E[m_n] +
      E[m_{n+1}])/2 (the v step's exact conditional mean towards the step-average m, no jumps),
      within 4 SE, and that recursion is the closed-form two-factor mean to 1 % (trapezoid);
    - the discounted price is a Q martingale, within 4 SE (the degenerate step's K0* exact);
    and the boundary really is hit: m and v are 0 together on a good share of path-days.
    """
    model, paths = boundary_paths
    q = model.Q
    dt = 1 / 252
    m_hit = (paths.m.values == 0) & (paths.v.values == 0)
    assert m_hit.mean() > 0.05  # the state that gave 0/0 is common here
    steps = np.arange(253)
    m_mean = q.theta + (model.m0 - q.theta) * np.exp(-q.kappa_m * steps * dt)
    e = math.exp(-q.kappa * dt)
    v_mean = np.empty(253)
    v_mean[0] = model.v0
    for n in range(252):
        v_mean[n + 1] = e * v_mean[n] + (1 - e) * 0.5 * (m_mean[n] + m_mean[n + 1])
    for day in (21, 126, 252):
        t = day * dt
        m_t, v_t = paths.m.values[:, day], paths.v.values[:, day]
        assert abs(m_t.mean() - m_mean[day]) < 4 * se_mean(m_t)
        assert abs(v_t.mean() - v_mean[day]) < 4 * se_mean(v_t)
        k, km = q.kappa, q.kappa_m
        closed = (q.theta + (model.v0 - q.theta) * math.exp(-k * t) + (model.m0 - q.theta)
                  * k / (k - km) * (math.exp(-km * t) - math.exp(-k * t)))
        assert abs(v_mean[day] - closed) < 0.01 * closed
        ratio = paths.spx.values[:, day] * math.exp(-(model.r - model.q) * t) / model.spx0
        assert abs(ratio.mean() - 1) < 4 * se_mean(ratio)


def _preset_text_with(tmp_path, old, new):
    from importlib import resources

    text = (resources.files("simulator.model") / "presets" / "svcj_2f_default.yaml").read_text()
    assert old in text
    path = tmp_path / "two_factor_sigma_m.yaml"
    path.write_text(text.replace(old, new))
    return path


def test_simulate_at_sigma_m_0_4_prints_finite_numbers(tmp_path, capsys):
    """The attack as filed: ``alvh simulate`` printed "mean nan" with exit 0."""
    from simulator.cli import main

    model = _preset_text_with(tmp_path, "sigma_m: 0.06", "sigma_m: 0.4")
    code = main(["simulate", "--model", str(model), "--paths", "2000", "--days", "252",
                 "--seed", "1"])
    out = capsys.readouterr().out
    assert code == 0 and "nan" not in out.lower() and "mean" in out


def test_simulate_refuses_to_summarise_non_finite_paths(tmp_path, capsys, monkeypatch):
    """Should a scheme ever produce NaN again, ``alvh simulate`` says so and exits 2 instead of
    printing a summary of NaN (the scheme is patched to poison one path)."""
    import simulator.model.paths as paths_module
    from simulator.cli import main

    real = paths_module.simulate_paths

    def poisoned(*args, **kwargs):
        paths = real(*args, **kwargs)
        paths.vix.values[3, 5:] = np.nan
        return paths

    monkeypatch.setattr(paths_module, "simulate_paths", poisoned)
    code = main(["simulate", "--model", "svcj_2f_default", "--paths", "16", "--days", "10"])
    captured = capsys.readouterr()
    assert code == 2 and "1 of 16 paths" in captured.err and "svcj_2f_default" in captured.err
    assert "mean" not in captured.out
