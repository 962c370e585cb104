"""VIX-option spreads at panic prices (issue 29, item 5): the half-spread is capped in points
and in % of mid, so at VIX 80 a deep in-the-money call no longer pays a sixth of its price a
side; at normal VIX the default costs are what they were."""

from __future__ import annotations

import numpy as np
import pytest

from simulator.strategy.config import CostsConfig
from simulator.strategy.kernels import half_spread
from simulator.strategy.specs import SS_VIX_CAP, SS_VIX_MAX, strategy_row

PRICES = np.array([0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 3.0, 5.0, 10.0, 20.0, 30.0, 45.0, 60.0])


def _old_rule(price, vix):
    """The default VIX half-spread before issue 29 (retail_combo): max(0.025, 4 % of mid)
    x max(1, VIX / 20), at most 50 % of mid."""
    return min(max(0.025, 0.04 * price) * max(1.0, vix / 20.0), 0.5 * price)


@pytest.mark.parametrize("preset", ["retail_combo", "retail_legs", "institutional"])
def test_at_vix_80_the_half_spread_is_bounded_in_points_and_percent(preset):
    c = CostsConfig.named(preset)
    half = np.array([c.half_spread("vix", p, 80.0) for p in PRICES])
    assert (half <= 1.0 + 1e-12).all()
    assert (half <= 0.10 * PRICES + 1e-12).all()
    # a 30-point call (deep in the money at VIX 80): 1 point a side, 3.3 % of its price
    assert c.half_spread("vix", 30.0, 80.0) == pytest.approx(1.0)


def test_the_issue_s_case_before_and_after():
    """At VIX 83 the old rule charged 4 % x 83/20 = 16.6 % of a 30-point call a side (4.98
    points); capped: 1 point (3.3 %)."""
    assert _old_rule(30.0, 83.0) == pytest.approx(4.98)
    assert CostsConfig.named("retail_combo").half_spread("vix", 30.0, 83.0) == 1.0
    # a cheap out-of-the-money call: 16.6 % before, 10 % of mid now
    assert _old_rule(2.0, 83.0) / 2.0 == pytest.approx(0.166)
    assert CostsConfig.named("retail_combo").half_spread("vix", 2.0, 83.0) == pytest.approx(0.2)


def test_monotone_in_price_and_in_vix():
    c = CostsConfig.named("retail_combo")
    grid = np.linspace(0.01, 80.0, 400)
    for vix in (12.0, 20.0, 35.0, 50.0, 80.0, 120.0):
        half = np.array([c.half_spread("vix", p, vix) for p in grid])
        assert (np.diff(half) >= -1e-12).all(), vix
    for p in (0.3, 2.0, 8.0, 30.0):
        half = np.array([c.half_spread("vix", p, v) for v in np.linspace(10, 150, 300)])
        assert (np.diff(half) >= -1e-12).all(), p


def test_normal_vix_is_unchanged_from_the_tick_floor_to_12_5_points():
    """Below VIX 50 the 10 % cap binds only where the widened 0.025 floor exceeds 10 % of mid
    (a call under 0.25 x VIX/20 points, a tick-sized option), and the 1-point cap only from
    a mid of 25 / (VIX / 20) points: at VIX 12-25 the default is the old rule for every call
    from 0.25 x max(1, VIX/20) to 12.5 points."""
    c = CostsConfig.named("retail_combo")
    for vix in (12.0, 16.0, 20.0, 25.0):
        for p in np.linspace(0.25 * max(1.0, vix / 20.0), 12.5, 50):
            assert c.half_spread("vix", p, vix) == pytest.approx(_old_rule(p, vix), rel=1e-12)


def test_the_kernel_applies_the_same_caps():
    """The numba kernel's rule (as the engine encodes a strategy's costs) against the
    config's plain-Python rule, at VIX 20, 50 and 80."""
    from simulator.strategy import strategy

    c = CostsConfig.named("retail_combo")
    s = strategy("monthly_16_delta", "alvh_40_40_20")
    row = strategy_row(s, 0, c, 1_000_000.0)
    assert row[SS_VIX_CAP] == 0.10 and row[SS_VIX_MAX] == 1.0
    for vix in (20.0, 50.0, 80.0):
        for p in PRICES:
            got = half_spread(p, vix, c.vix_half_spread, c.vix_half_spread_fraction,
                              row[SS_VIX_CAP], c.widen_vix_base, c.widen_exponent,
                              row[SS_VIX_MAX])
            assert got == pytest.approx(c.half_spread("vix", p, vix), rel=1e-14)
    flat = strategy_row(s, 0, CostsConfig.named("flat_legs"), 1_000_000.0)
    assert np.isinf(flat[SS_VIX_MAX]) and np.isinf(flat[SS_VIX_CAP])  # no caps: as before


@pytest.mark.parametrize("field, value, fragment", [
    ("vix_half_spread_max", 20, "less than or equal to 10"),
    ("vix_half_spread_max", 0, "greater than 0"),
    ("spx_half_spread_max", 60, "less than or equal to 50"),
    ("vix_half_spread_cap", 1.5, "less than or equal to 1")])
def test_bad_caps_exit_2_naming_the_field_and_its_range(tmp_path, capsys, field, value,
                                                        fragment):
    from simulator.cli import main

    file = tmp_path / "bad.yaml"
    file.write_text("name: bad\nsimulation: {paths: 16, days: 21, chunk_paths: 16}\n"
                    f"costs: {{preset: retail_combo, {field}: {value}}}\n"
                    "strategies:\n  u: {condor: {preset: monthly_16_delta}, hedge: none}\n")
    out = tmp_path / "out.nc"
    assert main(["run", str(file), "--out", str(out), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert f"costs.{field}" in err and fragment in err and "Traceback" not in err
    assert not out.exists()
