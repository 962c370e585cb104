"""Shared test helpers: standard errors of sample moments (the tolerances of statistical
tests), the exact moments of the discretised variance scheme, and a run interrupted after
some units (resume tests)."""

from __future__ import annotations

import math

from simulator.model.params import MeasureParams


def se_mean(x):
    return x.std(ddof=1) / math.sqrt(x.size)


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
