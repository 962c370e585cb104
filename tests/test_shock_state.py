"""Shocks move the whole state (issue 28 item 3): a two-factor shock that sets VIX moves (v, m)
along the model's conditional mean of m given VIX, or sets the state of a real day
(``analogue``), so long VIX futures move in a simulated spike as listed ones did.

The check against the market: on 24 Aug 2015, 5 Feb 2018 and 16 Mar 2020 the shock takes VIX
from the previous day's close to the day's close, starting from the previous day's fitted state
(:func:`simulator.calibration.states.fitted_state`), and the model's futures change is set
beside the listed contracts' settlement change (``vix_futures_contracts_cboe.csv``).
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest

from simulator.calibration.states import fitted_state
from simulator.model.params import Model
from simulator.model.paths import simulate_paths, stationary_m_curve
from simulator.model.presets import load_model
from simulator.model.stress import (
    SH_V_MODE,
    SHOCK_SET,
    Shock,
    apply_state_shock,
    curve_value,
    shock_table,
)
from simulator.model.stylized_facts import load_market_series
from simulator.model.vix import vix_state_coefficients
from simulator.pricing.term_structure import model_futures

DATES = (("2015-08-21", "2015-08-24"), ("2018-02-02", "2018-02-05"),
         ("2020-03-13", "2020-03-16"))
LONG_DAYS = 90  # trading days: the "~90-day" contract of issue 28 (July 2020 on 16 Mar 2020)


@pytest.fixture(scope="module")
def model() -> Model:
    return load_model("svcj_2f_calibrated")


def shocked(model, v, m, vix, mode):
    """(v, m) after a shock setting ``vix`` (index points) with ``vix_state=mode``, by the
    kernel's own function on the shock table's row."""
    shock = Shock(day=1, vix=vix, vix_state=mode)
    curve = stationary_m_curve(model) if mode != "hold_m" else None
    row = shock_table(model, 1, [shock], m_curve=curve)[0]
    return apply_state_shock(row, v, m, *vix_state_coefficients(model.Q))


def listed_changes(prev, day):
    """{trading days to expiry on ``day``: settlement change} of the contracts listed on both
    days, 20 to 130 trading days from expiry."""
    vx = load_market_series("vix_futures_contracts_cboe")
    out = {}
    for expiry in np.intersect1d(vx["expiry"][vx["date"] == prev], vx["expiry"][vx["date"] == day]):
        settle = {d: float(vx["settle"][(vx["date"] == d) & (vx["expiry"] == expiry)][0])
                  for d in (prev, day)}
        left = int(np.busday_count(np.datetime64(day), np.datetime64(str(expiry))))
        if 20 <= left <= 130:
            out[left] = settle[day] - settle[prev]
    return out


def vix_close(day) -> float:
    vix = load_market_series("vix_daily")
    return float(vix["close"][vix["date"] == day][0])


def futures_moves(model, prev, day, mode):
    """{days to expiry: (model change, listed change)} for a shock from ``prev``'s fitted state
    to ``day``'s VIX close."""
    v0, m0 = fitted_state(model, prev)
    v1, m1 = shocked(model, v0, m0, vix_close(day), mode)
    assert float(model.vix_index(v1, m1)) == pytest.approx(vix_close(day), abs=1e-9)
    out = {}
    for left, real in listed_changes(prev, day).items():
        before = model_futures(model, np.array([v0]), np.array([m0]), np.array([left + 1]))[0]
        after = model_futures(model, np.array([v1]), np.array([m1]), np.array([left]))[0]
        out[left] = (after - before, real)
    return out


def test_long_futures_move_as_listed_ones_did(model):
    """The ~90-trading-day contract's change, model / listed: before (v moved at fixed m) 0.54,
    0.26 and 0.42 on the three dates; now 0.89, 0.86 and 0.51 (docs/two_factor.md, "Shocks").
    Band: within a factor 1.5 of the listed move, where the model's conditional law can reach
    it; 16 Mar 2020 is not (from
    VIX 58 to 83 the model's conditional mean of m rises 0.053 -> 0.057 while the fitted
    states' m rose 0.057 -> 0.11: its m given VIX is flat at high VIX, issue 28 item 2), so
    that date is held to beating the old rule and to at least half the listed move. The
    30-60-day contracts: within a factor 1.6 on every date."""
    for prev, day in DATES:
        new = futures_moves(model, prev, day, "shift")
        old = futures_moves(model, prev, day, "hold_m")
        long = min(new, key=lambda left: abs(left - LONG_DAYS))
        ratio = new[long][0] / new[long][1]
        assert new[long][0] > old[long][0] + 0.5, (day, new[long], old[long])
        if day == "2020-03-16":
            assert 0.5 <= ratio <= 1.5, (day, long, new[long])
        else:
            assert 1 / 1.5 <= ratio <= 1.5, (day, long, new[long])
        for left, (moved, real) in new.items():
            if 30 <= left <= 60:
                assert 1 / 1.6 <= moved / real <= 1.6, (day, left, moved, real)


def test_setting_m_to_its_conditional_mean_overshoots_from_a_calm_state(model):
    """Why ``shift`` is the default: ``mean`` forgets that the previous day's m sat far below
    the model's conditional mean (2 Feb 2018: m 0.004; the mean at VIX 17 is 0.037), and the
    long future then moves 2-4 times the listed one."""
    for prev, day in DATES[:2]:
        moves = futures_moves(model, prev, day, "mean")
        long = min(moves, key=lambda left: abs(left - LONG_DAYS))
        assert moves[long][0] / moves[long][1] > 2.0


def test_conditional_mean_of_m_rises_with_vix_and_is_reproducible(model):
    curve = stationary_m_curve(model)
    assert np.all(np.diff(curve) >= 0.0) and curve.min() >= 0.0
    assert np.array_equal(curve, stationary_m_curve(model))  # a fixed seed, cached
    # the binned law: steep at low VIX, flat at high VIX
    assert 0.005 < curve_value(curve, 12.0) < 0.025 < curve_value(curve, 17.5) < 0.045
    assert 0.045 < curve_value(curve, 40.0) < curve_value(curve, 80.0) < 0.065


def test_shift_keeps_each_paths_distance_from_the_mean_and_hits_vix(model):
    curve = stationary_m_curve(model)
    a, b, c = vix_state_coefficients(model.Q)
    for v, m in ((0.02, 0.01), (0.02, 0.06), (0.3, 0.03)):
        before = 100 * np.sqrt(a + b * v + c * m)
        v1, m1 = shocked(model, v, m, 45.0, "shift")
        assert 100 * np.sqrt(a + b * v1 + c * m1) == pytest.approx(45.0, abs=1e-9)
        assert m1 - curve_value(curve, 45.0) == pytest.approx(
            m - curve_value(curve, before), abs=1e-12)
    # a VIX below what the path's m allows: m clipped to the feasible set, v = 0
    v1, m1 = shocked(model, 0.01, 0.2, 14.0, "shift")
    assert v1 == 0.0 and 100 * np.sqrt(a + c * m1) == pytest.approx(14.0, abs=1e-9)


def test_simulated_paths_take_the_shocked_state(model):
    shocks = [Shock(day=3, vix=60.0)]
    paths = simulate_paths(model, 64, 5, seed=3, shocks=shocks)
    assert np.allclose(paths.vix.values[:, 3], 60.0)
    held = simulate_paths(model, 64, 5, seed=3,
                          shocks=[Shock(day=3, vix=60.0, vix_state="hold_m")])
    assert np.array_equal(held.m.values[:, :3], paths.m.values[:, :3])
    assert (paths.m.values[:, 3] > held.m.values[:, 3]).mean() > 0.9  # m rises with VIX


def test_analogue_sets_that_days_state_scaled_to_the_shocks_vix(model):
    v, m = fitted_state(model, "2020-03-16")
    a, b, c = vix_state_coefficients(model.Q)
    row = shock_table(model, 1, [Shock(day=1, analogue="2020-03-16", analogue_state=(v, m))])[0]
    assert apply_state_shock(row, 0.01, 0.01, a, b, c) == (v, m)
    row = shock_table(model, 1, [Shock(day=1, vix=50.0, analogue="2020-03-16",
                                       analogue_state=(v, m))])[0]
    v1, m1 = apply_state_shock(row, 0.01, 0.01, a, b, c)
    assert 100 * np.sqrt(a + b * v1 + c * m1) == pytest.approx(50.0, abs=1e-9)
    assert v1 / m1 == pytest.approx(v / m, rel=1e-12)


def test_one_factor_shocks_are_unchanged():
    model = load_model("svcj_default")
    row = shock_table(model, 1, [Shock(day=1, vix=40.0)])[0]
    assert row[SH_V_MODE] == SHOCK_SET
    assert row[3] == float(model.variance_from_vix(40.0))


def test_analogue_outside_the_data_exits_2_naming_field_and_date(tmp_path, capsys):
    from simulator.cli import main

    src = tmp_path / "s.yaml"
    src.write_text(
        "name: s\nsimulation: {paths: 8, days: 21, seed: 1}\n"
        "model: {preset: svcj_2f_calibrated}\n"
        "scenarios:\n  spike:\n    shocks: [{day: 5, vix: 40, analogue: 2001-09-17}]\n"
        "strategies:\n  unhedged: {condor: {preset: monthly_16_delta}, hedge: none}\n")
    out = tmp_path / "out.nc"
    assert main(["run", str(src), "--out", str(out), "-q"]) == 2
    err = capsys.readouterr().err
    assert "scenarios.spike.shocks.0.analogue" in err and "2001-09-17" in err
    assert not out.exists()


def test_the_stationary_curve_is_kept_on_disk(tmp_path, monkeypatch, caplog):
    """The curve is saved in the cache folder and read back by a process that has not
    simulated it (the simulation replaced by an error): the same bits as the simulation. A
    damaged file, or one of the wrong length, is simulated again with a warning."""
    import simulator.model.paths as paths

    model = load_model("svcj_2f_conditional_vlevel")
    monkeypatch.setenv("ALVH_CACHE_DIR", str(tmp_path))
    monkeypatch.setattr(paths, "_M_CURVES", {})
    simulated = paths._simulate_m_curve(model)
    first = stationary_m_curve(model)
    assert np.array_equal(first, simulated)
    (saved,) = (tmp_path / "m_curves").glob("*.npy")
    assert np.array_equal(np.load(saved), simulated)

    def no_simulation(model):
        raise AssertionError("simulated, not read from the disk")

    monkeypatch.setattr(paths, "_M_CURVES", {})
    with monkeypatch.context() as m:
        m.setattr(paths, "_simulate_m_curve", no_simulation)
        assert np.array_equal(stationary_m_curve(model), simulated)
    for damage in (saved.read_bytes()[:-40], None):
        if damage is None:
            np.save(saved, simulated[:-1])  # a readable file of the wrong length
        else:
            saved.write_bytes(damage)
        monkeypatch.setattr(paths, "_M_CURVES", {})
        caplog.clear()
        assert np.array_equal(stationary_m_curve(model), simulated)
        assert "cannot be used" in caplog.text
        assert np.array_equal(np.load(saved), simulated)  # written again


def test_the_stationary_curves_disk_key(monkeypatch):
    """The key changes with the model's parameters and with the path code: a curve of an
    older simulation is never read for a newer one."""
    import simulator.model.paths as paths

    model = load_model("svcj_2f_conditional_vlevel")
    key = paths._m_curve_key(model)
    assert key == paths._m_curve_key(load_model("svcj_2f_conditional_vlevel"))
    other = dataclasses.replace(model, v0=model.v0 * 1.01)
    assert paths._m_curve_key(other) != key
    sources = {p.name for pattern in paths._M_CURVE_SOURCES
               for p in (Path(paths.__file__).parent.parent).glob(pattern)}
    assert {"paths.py", "paths2f.py", "qe.py", "rng.py", "stress.py",
            "conventions.py"} <= sources
    monkeypatch.setattr(paths, "_M_CURVE_SOURCES", ("model/paths.py",))
    assert paths._m_curve_key(model) != key
