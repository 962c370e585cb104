"""Numerics and memory under attack (issue 34, items 4, 5, 6 and 10): schema-valid parameters
that drove the two-factor scheme to NaN, history windows whose memory the guard underestimated,
a short last history window, and a damaged pricing-table cache. Each test reproduces the attack
and fails on the code before its fix."""

from __future__ import annotations

import itertools
import logging
import math
import warnings

import numpy as np
import pytest

import simulator as sim
from simulator.model.params import Model
from tests.helpers import interrupt_run, se_mean

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


@pytest.mark.parametrize("change", [
    {"sigma_m": 1e-200},  # m's variance underflows against its mean: psi = 0 (NaN before)
    {"kappa_m": 1e-300, "sigma_m": 2.0},  # 1 - e^{-kappa_m dt} rounded to 0: psi = 0 (NaN)
    {"theta": 1e-300, "sigma_m": 2.0},  # m's mean ~ 1e-300: s^2/m^2 overflows
])
def test_two_factor_paths_stay_finite_at_the_schema_edges(calibrated_2f, change):
    """The open ends of the schema's intervals, where psi is 0, 0/0 or overflows; a slow m
    (kappa_m -> 0) still moves, its variance sigma_m^2 m dt (expm1, not 1 - e)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = calibrated_2f.merged({"P": change})
    paths = sim.simulate_paths(model, 300, 63, seed=5)
    for name in ("spx", "v", "m", "vix"):
        assert np.isfinite(paths[name].values).all(), name
    if "kappa_m" in change:
        assert paths.m.values[:, -1].std() > 0.0


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


# ---- item 10: a damaged pricing-table cache is rebuilt, never trusted -------------------------

# a small grid: a build takes about a second
SMALL_GRID = {"vol_max": 0.4, "daily_until": 5, "days_max": 40.0, "n_days": 8, "n_z": 9,
              "n_zv": 7}


class _Records(logging.Handler):
    def __init__(self):
        super().__init__(logging.WARNING)
        self.messages = []

    def emit(self, record):
        self.messages.append(record.getMessage())


@pytest.fixture
def table_warnings():
    handler = _Records()
    logger = logging.getLogger("simulator.pricing.tables")
    logger.addHandler(handler)
    yield handler.messages
    logger.removeHandler(handler)


def _rewrite(path, change):
    """Rewrite the cache file with ``change`` applied to its tables and a checksum that matches
    the changed tables: only the shape or finiteness check can refuse it."""
    from simulator.pricing.tables import CHECKSUM_NAME, TABLE_NAMES, tables_checksum

    with np.load(path) as data:
        arrays = {k: data[k].copy() for k in TABLE_NAMES}
    arrays = change(arrays)
    np.savez(path, **arrays, **{CHECKSUM_NAME: np.array(tables_checksum(arrays))})


def _truncate(path):
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


def _flip_byte(path):
    data = bytearray(path.read_bytes())
    data[len(data) // 3] ^= 0x40
    path.write_bytes(bytes(data))


def _nan_table(path):
    def change(arrays):
        arrays["vix_iv"][2, 5, 3] = np.nan
        return arrays
    _rewrite(path, change)


def _wrong_shape(path):
    def change(arrays):
        arrays["spx_iv"] = arrays["spx_iv"][:, :-4, :]  # fewer day nodes than the grid's
        return arrays
    _rewrite(path, change)


@pytest.fixture(scope="module")
def clean_tables(tmp_path_factory):
    """One clean build of the small tables: (Q, grid, the tables, the cache file's bytes)."""
    from simulator.pricing.tables import TableGrid, load_tables

    folder = tmp_path_factory.mktemp("clean_cache")
    q = sim.load_model("svcj_default").Q
    grid = TableGrid(**SMALL_GRID)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("ALVH_CACHE_DIR", str(folder))
        tables = load_tables(q, 0.04, 0.015, grid)
    assert not tables.from_cache
    (path,) = (folder / "tables").glob("*.npz")
    return q, grid, tables, path.name, path.read_bytes()


@pytest.mark.parametrize("attack", [_truncate, _flip_byte, _nan_table, _wrong_shape])
def test_a_damaged_table_cache_is_rebuilt_with_a_warning(tmp_path, monkeypatch, attack,
                                                         clean_tables, table_warnings):
    """Truncated (BadZipFile before), one flipped byte (BadZipFile/CRC before), a NaN in a table
    (trusted before: the condor never opened) and a table of the wrong shape (trusted before:
    numba read out of bounds): each is rebuilt with a warning naming the file, the rebuild
    equals a clean build bit for bit (so do its prices), and the repaired file is used next."""
    from simulator.pricing.tables import load_tables

    q, grid, clean, name, data = clean_tables
    monkeypatch.setenv("ALVH_CACHE_DIR", str(tmp_path))
    path = tmp_path / "tables" / name
    path.parent.mkdir()
    path.write_bytes(data)
    assert load_tables(q, 0.04, 0.015, grid).from_cache  # the clean file is trusted
    attack(path)
    rebuilt = load_tables(q, 0.04, 0.015, grid)
    assert not rebuilt.from_cache
    assert len(table_warnings) == 1 and str(path) in table_warnings[0]
    for table in ("spx_iv", "vix_future", "vix_iv"):
        np.testing.assert_array_equal(getattr(rebuilt, table), getattr(clean, table))
    v, days, strikes = 0.04, 20.0, np.array([3500.0, 4000.0, 4500.0])
    np.testing.assert_array_equal(rebuilt.spx_option(4000.0, v, days, strikes),
                                  clean.spx_option(4000.0, v, days, strikes))
    again = load_tables(q, 0.04, 0.015, grid)
    assert again.from_cache and len(table_warnings) == 1


def test_a_two_factor_table_of_the_wrong_shape_is_rebuilt(tmp_path, monkeypatch,
                                                          table_warnings):
    """The two-factor cache checks its leading m axis as well (fewer m nodes than the grid)."""
    from simulator.pricing.tables import TableGrid
    from simulator.pricing.tables2f import load_tables_2f

    monkeypatch.setenv("ALVH_CACHE_DIR", str(tmp_path))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        q = sim.load_model("svcj_2f_default").Q
    grid = TableGrid(**SMALL_GRID)
    m_nodes = np.array([0.0, 0.1, 0.2, 0.4])
    clean = load_tables_2f(q, 0.04, 0.015, grid, m_nodes)
    (path,) = (tmp_path / "tables").glob("*.npz")

    def change(arrays):
        return {k: a[:-1] for k, a in arrays.items()}
    _rewrite(path, change)
    rebuilt = load_tables_2f(q, 0.04, 0.015, grid, m_nodes)
    assert not rebuilt.from_cache and len(table_warnings) == 1
    np.testing.assert_array_equal(rebuilt.spx_iv, clean.spx_iv)


# ---- item 6: a lone history window shorter than its span -------------------------------------

SHORT_WINDOW = """name: one_short_window
path: {source: history_windows, start: 2020-01-02, end: 2020-12-31, length_days: 200,
       step_days: 63}
simulation: {seed: 0, chunk_paths: 64}
model: {preset: svcj_default}
strategies:
  unhedged: {condor: {preset: monthly_16_delta}, hedge: none}
"""


def test_window_dates_are_the_windows_own():
    """Each window's dates run from its first to its last date, n_days + 1 of them."""
    from simulator.market.history import history_dates, rolling_windows

    windows = rolling_windows(history_dates("2020-01-02", "2020-12-31", False), 200, 63)
    assert windows.n_paths == 1 and windows.dates.size > 201  # one window, shorter than span
    for i in range(windows.n_paths):
        own = windows.window_dates(i)
        assert own.size == 201
        assert (own[0], own[-1]) == (windows.first_dates()[i], windows.last_dates()[i])


def test_a_lone_window_shorter_than_its_span_assembles_and_resumes(tmp_path):
    """2020 with length 200 and step 63 is one window of 201 days in a span of 253: the cube
    assembly gave the day axis the span's dates ("conflicting sizes for dimension 'day'") after
    computing, and every --resume failed the same way. Now the cube's dates are the window's,
    from a fresh run and from a resume of its checkpoints."""
    from simulator.scenario.loader import load_scenario
    from simulator.scenario.runner import run_plan

    scenario = tmp_path / "short.yaml"
    scenario.write_text(SHORT_WINDOW)
    out = tmp_path / "short.nc"
    interrupt_run(scenario, out, after=1)  # every unit checkpointed, the assembly not reached
    cube = run_plan(load_scenario(scenario), out=out, resume=True)
    assert cube.sizes["day"] == 201 and cube.sizes["path"] == 1
    assert cube.date.values[0] == cube.window_start.values[0] == "2020-01-02"
    assert cube.date.values[-1] == cube.window_end.values[0]
    assert np.isfinite(cube.total_return.values).all()




# ---- item 5: history windows' memory ----------------------------------------------------------

WINDOWS = """name: windows_memory
path: {source: history_windows, start: 2015-01-02, end: 2021-12-31, length_days: 252,
       step_days: 21}
simulation: {seed: 0, chunk_paths: 64}
model: {preset: svcj_default}
strategies:
  unhedged: {condor: {preset: monthly_16_delta}, hedge: none}
  alvh_40_40_20: {condor: {preset: monthly_16_delta},
                  hedge: {preset: alvh_40_40_20, budget_annual: 0.02}}
  single_front: {condor: {preset: monthly_16_delta},
                 hedge: {preset: single_front, budget_annual: 0.02}}
"""


def _dense_listed(row):
    """The schedule's settlements of one path as the code before issue 34 built them, by its
    own expiry list (a second construction): (contracts of the path, days + 1)."""
    import datetime

    from simulator.market.calendar import LOOK_AHEAD_DAYS
    from simulator.market.expiries import vix_expiries
    from simulator.model.stylized_facts import load_market_series

    horizon = (datetime.date.fromisoformat(row[-1])
               + datetime.timedelta(days=LOOK_AHEAD_DAYS)).isoformat()
    vix = vix_expiries(row[0], horizon)
    vx = load_market_series("vix_futures_contracts_cboe")
    out = np.full((vix.size, row.size), np.nan)
    for date, expiry, settle in zip(vx["date"], vx["expiry"], vx["settle"], strict=True):
        if row[0] <= date <= row[-1] and np.isfinite(settle) and expiry in vix:
            out[np.searchsorted(vix, expiry), np.searchsorted(row, date)] = settle
    return vix, out


def test_the_expiry_schedule_does_not_scale_with_paths_contracts_and_days():
    """64 windows of 2,520 days a day apart (the filed attack's shape): the settlements are one
    (contracts, span) array, not (paths, contracts, days + 1) (built twice: 12.7 GB at 2,048
    paths); each path's view of it equals the per-path construction of before."""
    from simulator.market.calendar import expiry_schedule
    from simulator.market.history import history_dates, rolling_windows

    windows = rolling_windows(history_dates("2007-01-03", "2025-10-06", False), 2520, 1)
    n = 64
    rows = windows.starts[:n, None] + np.arange(windows.n_days + 1)
    dates = windows.dates[rows]
    layers = [[(30, 7), (75, 21), (150, 30), None]]  # one hedged strategy
    cal = expiry_schedule(dates, [45], layers)
    n_cols = windows.n_days + 1
    n_contracts = cal.listed.shape[0]
    assert cal.listed.shape == (n_contracts, n_cols + n - 1)  # the span, once
    per_path = n * n_cols * 4 * (1 + 2 * 4)  # int32 condor days, layer days and rows
    span = cal.listed.shape[1]  # settlement values and the rules' futures: per span day, once
    assert cal.spx_settle.shape == cal.vix_expiring.shape == (span,)
    assert cal.listed_cm.shape == (2, span)
    per_span = cal.spx_settle.nbytes + cal.vix_expiring.nbytes + cal.listed_cm.nbytes
    # the unscheduled closures before each session: int32 per session of the span and the
    # LOOK_AHEAD_DAYS after it, once, and where each path starts in it
    assert cal.adhoc.dtype == np.int32 and cal.adhoc.size <= span + 401
    per_span += cal.adhoc.nbytes
    assert cal.nbytes <= per_path + cal.listed.nbytes + 2 * 8 * n + per_span
    dense = n * n_contracts * n_cols * 8  # one (paths, contracts, days + 1) float64 copy
    assert cal.nbytes < dense / 20
    everything = np.unique(np.concatenate([_dense_listed(dates[i])[0] for i in (0, n - 1)]))
    assert n_contracts == everything.size  # the chunk's contracts, each once
    for i in (0, 37, n - 1):
        vix, own = _dense_listed(dates[i])
        lo = int(np.searchsorted(everything, vix[0]))
        np.testing.assert_array_equal(everything[lo:lo + vix.size], vix)
        view = cal.listed[:, cal.listed_day0[i]:cal.listed_day0[i] + n_cols]
        np.testing.assert_array_equal(view[lo:lo + vix.size], own)
        held = cal.layer_col[i, 0, :3]
        assert ((held >= lo) & (held < lo + vix.size)).all()  # rows of the path's contracts


def test_the_memory_estimate_covers_a_history_chunk(tmp_path):
    """The chunk part of the run's memory estimate against tracemalloc's peak of computing one
    unit (64 windows of 252 days, 3 strategies): at least the measured peak, at most 1.5 times
    it. tracemalloc sees numpy's allocations, not numba's per-thread scratch (a path's arrays,
    kilobytes). Before the fix the estimate counted no schedule (3.6 MiB against a peak of
    about 27 MiB: the dense settlements, twice)."""
    import tracemalloc

    from simulator.scenario.loader import load_scenario
    from simulator.scenario.runner import chunk_memory
    from simulator.scenario.units import compute_unit, scenario_workers

    scenario = tmp_path / "windows.yaml"
    scenario.write_text(WINDOWS)
    plan = load_scenario(scenario)
    assert plan.n_paths > 64 and plan.simulation.chunk_paths == 64
    workers = scenario_workers(plan)
    compute_unit(plan, workers, 0, 0, 16)  # compiled, tables and market data loaded
    tracemalloc.start()
    try:
        compute_unit(plan, workers, 0, 0, 64)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    estimate = chunk_memory(plan)
    assert peak <= estimate <= 1.5 * peak, (peak / 2**20, estimate / 2**20)


def test_out_of_memory_exits_2_without_traceback_or_partial(tmp_path, capsys, monkeypatch):
    """A MemoryError in the middle of a run (the second chunk's arrays) is a refusal: exit 2,
    the message names the file and chunk_paths, no traceback, no .partial, no output."""
    import simulator.scenario.runner as runner
    from simulator.cli import main

    scenario = tmp_path / "windows.yaml"
    scenario.write_text(WINDOWS.replace("chunk_paths: 64", "chunk_paths: 16"))
    real = runner.evaluate_unit
    calls = []

    def starved(plan, workers, si, start, n, memory=None):
        calls.append(start)
        if len(calls) == 2:
            raise MemoryError("Unable to allocate 12.7 GiB")
        return real(plan, workers, si, start, n, memory)

    monkeypatch.setattr(runner, "evaluate_unit", starved)
    out = tmp_path / "out.nc"
    code = main(["run", str(scenario), "--out", str(out), "--quiet"])
    err = capsys.readouterr().err
    assert code == 2 and len(calls) == 2
    assert "Traceback" not in err and str(scenario) in err and "out of memory" in err
    assert "chunk_paths" in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["windows.yaml"]


def test_run_refuses_non_finite_paths_before_building_tables(tmp_path, capsys, monkeypatch):
    """Should the scheme ever give NaN again, ``alvh run`` refuses before any pricing table is
    built (the engine is never made) with the scenario and the model's fields named, exit 2,
    nothing written; before, it failed after the tables with a message naming no field."""
    import simulator.model.paths as paths_module
    import simulator.strategy.engine as engine_module
    from simulator.cli import main

    real = paths_module.PathGenerator.chunk

    def poisoned(self, start, n):
        chunk = real(self, start, n)
        chunk.v[5, 7:] = np.nan
        return chunk

    def no_tables(*args, **kwargs):
        raise AssertionError("pricing tables loaded before the paths were checked")

    monkeypatch.setattr(paths_module.PathGenerator, "chunk", poisoned)
    monkeypatch.setattr(engine_module.StrategyEngine, "__init__", no_tables)
    scenario = tmp_path / "two_factor.yaml"
    scenario.write_text("""name: nan_paths
simulation: {paths: 32, days: 21, chunk_paths: 16}
model: {preset: svcj_2f_default, overrides: {P: {sigma_m: 0.4}}}
strategies:
  unhedged: {condor: {preset: monthly_16_delta}, hedge: none}
""")
    code = main(["run", str(scenario), "--out", str(tmp_path / "out.nc"), "--quiet"])
    err = capsys.readouterr().err
    assert code == 2 and "Traceback" not in err, err
    assert str(scenario) in err and "1 of 32 pilot paths" in err and "sigma_m" in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["two_factor.yaml"]
