"""The numpy baseline of the path benchmark is a correct implementation of the same model, so
the benchmark's speed ratio compares like with like."""

import math

import simulator as sim
from benchmarks.numpy_baseline import simulate_numpy
from tests.helpers import scheme_moments, se_mean, se_var


def test_numpy_baseline_is_a_q_martingale_with_the_right_variance_moments():
    m = sim.load_model("svcj_default")
    spx, v = simulate_numpy(m, 50_000, 126, seed=3, measure="Q")
    ratio = spx[:, -1] * math.exp(-(m.r - m.q) * 0.5) / m.spx0
    assert abs(ratio.mean() - 1) < 3 * se_mean(ratio)
    mean, var = scheme_moments(m.Q, m.v0, 126, 1 / 252)
    assert abs(v[:, -1].mean() - mean) < 3 * se_mean(v[:, -1])
    assert abs(v[:, -1].var() - var) < 3 * se_var(v[:, -1])
