"""The model's VVIX (simulator/pricing/vvix.py): the log-contract formula against Cboe's discrete
strip on the model's option prices (a second method), E[ln X] against closed forms, the state
table against the exact figure, and limits."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

from simulator.model.params import FellerConditionWarning
from simulator.model.presets import load_model
from simulator.model.vix import vix_coefficients, vix_state_coefficients
from simulator.pricing import vvix


def _state_at_vix(model, level: float):
    """A state with spot VIX ``level`` (m at its long-run value for two factors)."""
    if model.two_factor:
        a, b, c = vix_state_coefficients(model.Q)
        m = model.Q.theta
        return max(((level / 100) ** 2 - a - c * m) / b, 0.0), m
    a, b = vix_coefficients(model.Q)
    return max(((level / 100) ** 2 - a) / b, 0.0), None


@pytest.mark.parametrize("preset", ["svcj_default", "svcj_2f_calibrated"])
@pytest.mark.parametrize("level", [14.0, 25.0, 45.0])
def test_log_contract_vvix_equals_cboes_strip_on_the_model_options(preset, level):
    """Cboe's formula on strikes 0.05 apart, prices from the COS densities of the option
    pricers, against the Frullani integral of the Laplace transform. The strip's own errors:
    discretisation O(dK^2) and the truncated wings, each below 1e-3 vol points at these
    settings; the COS prices' ~1e-6. Tolerance 0.02 vol points."""
    model = load_model(preset)
    v, m = _state_at_vix(model, level)
    exact = float(vvix.model_vvix(model, v, m)[0])
    strip = vvix.vvix_from_strip(model, v, m)
    assert strip == pytest.approx(exact, abs=0.02)
    assert 40.0 < exact < 200.0


def test_expected_log_x_of_a_deterministic_variance_is_its_log():
    """With a small sigma_v and no jumps, E[ln X_T] = ln E[X_T] - B^2 Var(v_T) / (2 E[X_T]^2)
    up to third-order terms (~1e-12 at sigma_v = 1e-3), with the CIR mean and variance of v_T
    in closed form: the Frullani integral against that expansion to 1e-9."""
    base = load_model("svcj_default")
    tiny = {"sigma_v": 1e-3, "lam": 0.0}
    p = base.P.__class__(**{**base.P.to_dict(), **tiny})
    q = base.Q.__class__(**{**base.Q.to_dict(), **tiny})
    model = base.__class__(r=base.r, q=base.q, spx0=base.spx0, v0=base.v0, P=p, Q=q,
                           feller_acknowledged=True)
    tau, v = 30 / 365, 0.05
    a, b = vix_coefficients(q)
    k, theta, s2 = q.kappa, q.theta, q.sigma_v**2
    e = math.exp(-k * tau)
    mean_v = theta + (v - theta) * e
    var_v = v * s2 / k * (e - e * e) + theta * s2 / (2 * k) * (1 - e) ** 2
    mean_x = a + b * mean_v
    expected = math.log(mean_x) - b * b * var_v / (2 * mean_x**2)
    assert float(vvix.expected_log_x(model, tau, v)[0]) == pytest.approx(expected, abs=1e-9)
    # and the VVIX of an all but deterministic VIX is all but zero
    assert float(vvix.model_vvix(model, v)[0]) < 0.5


@pytest.mark.parametrize("preset", ["svcj_default", "svcj_2f_calibrated"])
def test_the_fine_grid_read_follows_the_cubic_read(preset):
    """The table's fast read (bilinear on a grid 8 times finer than the exact nodes, filled by
    the cubic spline) against the cubic spline itself, at 20,000 random states, grid edges and
    beyond: within 0.015 vol points (measured 0.009 two-factor, 0.002 one-factor; a linear
    read of the nodes' own grid errs by 0.45, so a fine grid that were not used would fail)."""
    model = load_model(preset)
    table = vvix.VvixTable(model)
    rng = np.random.default_rng(11)
    v = np.concatenate([rng.uniform(0.0, 0.8, 20_000) ** 2 * 1.5, [0.0, 3.0, 5.0]])
    m = np.concatenate([rng.uniform(0.0, 0.45, 20_000) ** 2, [0.0, 1.0, 2.0]]) \
        if model.two_factor else None
    fast, cubic = table(v, m), table.cubic(v, m)
    assert np.max(np.abs(fast - cubic)) < 0.015
    assert np.all(np.isfinite(fast)) and fast.shape == v.shape
    two_d = table(v[:20].reshape(4, 5), None if m is None else m[:20].reshape(4, 5))
    np.testing.assert_array_equal(two_d.ravel(), fast[:20])


@pytest.mark.parametrize("preset", ["svcj_default", "svcj_2f_calibrated"])
def test_the_state_table_reads_the_exact_vvix(preset):
    """The cubic table in sqrt(v) (and sqrt(m)) against the exact figure at 400 random states
    over the range P paths visit (VIX 9-90): within 0.05 vol points (measured: 0.005)."""
    model = load_model(preset)
    table = vvix.VvixTable(model)
    rng = np.random.default_rng(4)
    v = rng.uniform(0.0, 0.8, 400) ** 2 * 1.5
    m = rng.uniform(0.0, 0.45, 400) ** 2 if model.two_factor else None
    exact = vvix.model_vvix(model, v, m)
    assert np.max(np.abs(table(v, m) - exact)) < 0.05
    with pytest.raises(ValueError, match="central tendency"):
        if model.two_factor:
            table(v)
        else:
            raise ValueError("central tendency (one factor: nothing to check)")


def test_the_table_is_built_once_per_model_and_reads_as_a_fresh_one():
    """Issue 30: every engine (and every run) of one model shares one table; a changed model
    gets its own."""
    model = load_model("svcj_2f_calibrated")
    table = vvix.vvix_table(model)
    assert vvix.vvix_table(load_model("svcj_2f_calibrated")) is table
    with warnings.catch_warnings():  # the preset's own P fails Feller (as it always did)
        warnings.simplefilter("ignore", FellerConditionWarning)
        other = model.merged({"Q": {"kappa_m": 1.5 * model.Q.kappa_m}})
    assert vvix.vvix_table(other) is not table
    v, m = np.array([0.01, 0.04, 0.3]), np.array([0.02, 0.05, 0.1])
    np.testing.assert_array_equal(table(v, m), vvix.VvixTable(model)(v, m))
    assert not np.array_equal(vvix.vvix_table(other)(v, m), table(v, m))


def test_models_that_differ_under_p_only_share_one_table():
    """The table is a function of the Q parameters alone: a model with another initial state
    or other P parameters (as the claims' scenarios: v0, m0, P presets) gets the same table
    object, and a table built afresh for it reads the same numbers bit for bit."""
    model = load_model("svcj_2f_conditional_vlevel")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FellerConditionWarning)
        other_p = model.merged({"v0": 0.0064, "m0": 0.0110,
                                "P": {"kappa": 1.3 * model.P.kappa}})
    assert other_p != model and other_p.P != model.P and other_p.Q == model.Q
    table = vvix.vvix_table(model)
    assert vvix.vvix_table(other_p) is table
    v, m = np.array([0.004, 0.02, 0.09, 0.5]), np.array([0.01, 0.03, 0.06, 0.2])
    np.testing.assert_array_equal(vvix.VvixTable(other_p)(v, m), table(v, m))
