"""Shared test helpers: standard errors of sample moments (the tolerances of statistical
tests), the exact moments of the discretised variance scheme, a run interrupted after
some units (resume tests), and a docs script imported as a module."""

from __future__ import annotations

import math

from simulator.model.params import MeasureParams


def acknowledged_model(data):
    """A Model from a parameter dictionary, its Feller-condition warning acknowledged (the
    fitted two-factor sets violate it, as their preset files say)."""
    import warnings

    from simulator.model.params import FellerConditionWarning, Model

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FellerConditionWarning)
        return Model.from_dict(data, feller_acknowledged=True)


def se_mean(x):
    return x.std(ddof=1) / math.sqrt(x.size)


def assert_stationary_means(model, e_m, e_v, seed, n_paths=2000, years=4, substeps=2):
    """P paths of ``model`` started at (``e_v``, ``e_m``): each path's time averages of m and
    v after a year's burn-in must average to the stationary means within 4 standard errors of
    the mean of the per-path averages, plus 1 % for the scheme's discretisation (``substeps``
    a day)."""
    import warnings

    import simulator as sim
    from simulator.common.conventions import TRADING_DAYS_PER_YEAR as DAYS
    from simulator.model.params import FellerConditionWarning

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FellerConditionWarning)
        model = model.merged({"v0": float(e_v), "m0": float(e_m)})
    paths = sim.simulate_paths(model, n_paths, DAYS * years, seed=seed, substeps=substeps)
    m_avg = paths.m.values[:, DAYS:].mean(axis=1)
    v_avg = paths.v.values[:, DAYS:].mean(axis=1)
    assert abs(m_avg.mean() - e_m) < 4 * se_mean(m_avg) + 0.01 * e_m
    assert abs(v_avg.mean() - e_v) < 4 * se_mean(v_avg) + 0.01 * e_v


def se_var(x):
    """Standard error of the sample variance: sqrt((m4 - s^4) / n)."""
    c = x - x.mean()
    return math.sqrt(((c**4).mean() - (c**2).mean() ** 2) / x.size)


def scheme_moments(m: MeasureParams, v0: float, n_steps: int, dt: float):
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


class _Stop(Exception):
    """Raised from ``on_unit`` to interrupt a run after some units, as a kill would."""


def interrupt_run(scenario, out, after):
    """Run ``scenario`` into ``out`` and stop it once ``after`` units are checkpointed."""
    import pytest

    from simulator.scenario.loader import load_scenario
    from simulator.scenario.runner import run_plan

    done = []

    def on_unit(si, ci):
        done.append(ci)
        if len(done) == after:
            raise _Stop

    with pytest.raises(_Stop):
        run_plan(load_scenario(scenario), out=out, on_unit=on_unit)


def load_docs_script(name: str):
    """A script of docs/scripts (not a package) imported as a module, for its tests."""
    import importlib.util
    from pathlib import Path

    path = Path(__file__).resolve().parents[1] / "docs" / "scripts" / f"{name}.py"
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module

