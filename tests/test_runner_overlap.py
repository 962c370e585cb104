"""The local runner makes a unit's records (metrics, float32 books, checkpoint) in a second
thread while the next unit's engine runs (issue 30; simulator.scenario.runner._run_here): the
same cube bit for bit as one unit after another, units reported in order, an error of the
records raised, and an interrupt that waits for the records under way."""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest
import xarray as xr

import simulator.scenario.runner as runner
from simulator.scenario.loader import parse_scenario
from simulator.scenario.runner import checkpoint_dir, run_plan

# two scenarios of three chunks (the last one short): the overlap crosses a scenario boundary
SMALL = """
name: overlap
simulation: {paths: 150, days: 42, seed: 11, chunk_paths: 64, trade_log_paths: 3}
model: {preset: svcj_default, overrides: {v0: 0.03}}
scenarios:
  base: {}
  crash: {shocks: [{day: 20, spx_return: -0.08, vix: 55}]}
strategies:
  unhedged: {condor: {preset: monthly_16_delta}, hedge: none}
  alvh: {condor: {preset: monthly_16_delta}, hedge: {preset: alvh_40_40_20}}
"""
UNITS = [(si, ci) for si in range(2) for ci in range(3)]


@pytest.fixture
def record_threads(monkeypatch):
    """The thread that made each unit's records."""
    seen = []
    real = runner.record_unit

    def spy(plan, engine, paths, result, start, memory=None):
        seen.append(threading.current_thread().name)
        return real(plan, engine, paths, result, start, memory)

    monkeypatch.setattr(runner, "record_unit", spy)
    return seen


def _skip_unless_overlapping():
    """After a run (numba's threading layer is chosen at the first parallel kernel)."""
    if not runner._threads_overlap():
        pytest.skip("numba's threading layer here cannot run two parallel kernels at once")


def _run(tmp_path, name, **kwargs):
    order = []
    cube = run_plan(parse_scenario(SMALL), out=tmp_path / name,
                    on_unit=lambda si, ci: order.append((si, ci)), **kwargs)
    return cube, order


def test_records_beside_the_engine_give_the_same_cube(tmp_path, monkeypatch, record_threads):
    """Overlapped and one after another: identical cubes (in memory and on disk, every
    variable and attribute), units reported in the same order. The records are really made
    in the second thread (else this test would compare a run with itself)."""
    overlapped, order = _run(tmp_path, "a.nc")
    _skip_unless_overlapping()
    assert order == UNITS
    assert len(record_threads) == len(UNITS)
    assert all(name.startswith("alvh-records") for name in record_threads)
    record_threads.clear()
    monkeypatch.setattr(runner, "_threads_overlap", lambda: False)
    serial, order = _run(tmp_path, "b.nc")
    assert order == UNITS
    assert set(record_threads) == {threading.current_thread().name}
    xr.testing.assert_identical(overlapped, serial)
    xr.testing.assert_identical(xr.open_dataset(tmp_path / "a.nc", engine="h5netcdf"),
                                xr.open_dataset(tmp_path / "b.nc", engine="h5netcdf"))


class FreshMemory(runner.UnitMemory):
    """New arrays for every unit, filled with NaN (as a unit's memory would be if nothing
    were reused, and something to see if a kernel left an element unwritten)."""

    def engine_books(self, n_strat, n_paths, n_cols):
        return tuple(np.full((n_strat, n_paths, n_cols), np.nan) for _ in range(3))

    def record_books(self, n_strat, n_paths, n_cols):
        return np.full((2 * n_strat, n_cols, n_paths), np.nan, dtype=np.float32)


@pytest.mark.parametrize("two_fit", [True, False])
def test_books_written_into_the_same_memory_give_the_cube_of_fresh_memory(
        tmp_path, monkeypatch, two_fit):
    """The runner's units reuse their books' memory (runner.UnitMemory): the cube equals,
    bit for bit, a run that gives every unit new arrays. Each unit's records are slowed down,
    so that the next unit's engine runs while they are made: a unit given the memory still
    being read would change the cube. The last chunk of each scenario is shorter (new arrays
    of its size). Where only one chunk's work fits (``two_fit`` False), one memory serves
    every unit."""
    plan = parse_scenario(SMALL)
    one, _ = runner.resource_estimate(plan, overlap=False)
    two, _ = runner.resource_estimate(plan, overlap=True)
    real_record = runner.record_unit
    reusing = runner.UnitMemory  # (FreshMemory replaces it for the second run)
    memories = []

    def slow(plan, engine, paths, result, start, memory=None):
        memories.append(memory)
        if type(memory) is reusing:  # the engine wrote into the unit's memory
            held = memory.engine_books(*result.equity.shape)
            assert all(a is b for a, b in zip(held, (result.equity, result.trading,
                                                      result.hedge), strict=True))
        time.sleep(0.2)
        return real_record(plan, engine, paths, result, start, memory)

    def run(name):
        return run_plan(parse_scenario(SMALL), out=tmp_path / name,
                        max_memory=two if two_fit else one)

    monkeypatch.setattr(runner, "record_unit", slow)
    reused = run("reused.nc")
    if two_fit:
        _skip_unless_overlapping()
    assert len(memories) == len(UNITS)
    assert all(type(m) is reusing for m in memories)
    assert len({id(m) for m in memories}) == (2 if two_fit else 1)  # one per unit alive
    monkeypatch.setattr(runner, "UnitMemory", FreshMemory)
    fresh = run("fresh.nc")
    xr.testing.assert_identical(reused, fresh)


def test_a_failing_checkpoint_in_the_second_thread_is_raised(tmp_path, monkeypatch):
    """The third unit's checkpoint fails (a full disk): the run raises that error, with the
    first two units saved and reported, and none after."""
    real = runner.save_unit
    calls = []

    def full_disk(folder, si, ci, record, equity):
        calls.append((si, ci))
        if len(calls) == 3:
            raise OSError(28, "No space left on device")
        return real(folder, si, ci, record, equity)

    monkeypatch.setattr(runner, "save_unit", full_disk)
    out = tmp_path / "c.nc"
    order = []
    with pytest.raises(OSError, match="No space left"):
        run_plan(parse_scenario(SMALL), out=out, on_unit=lambda si, ci: order.append((si, ci)))
    assert order == UNITS[:2] and calls == UNITS[:3]
    assert not out.exists()
    assert sorted(p.name for p in checkpoint_dir(out).glob("*.npz")) == [
        f"{runner._unit_name(si, ci)}.npz" for si, ci in UNITS[:2]]


def test_an_interrupt_waits_for_the_records_under_way(tmp_path, monkeypatch):
    """Ctrl-C during the fourth unit's engine, while the third unit's records are still being
    made (slowed down here): the third unit is checkpointed before the interrupt leaves the
    run, so a resume computes only units 4-6, and gives the uninterrupted run's cube."""
    whole, _ = _run(tmp_path, "whole.nc")
    _skip_unless_overlapping()
    real_evaluate, real_record = runner.evaluate_unit, runner.record_unit
    evaluated = []

    def interrupted(plan, workers, si, start, n, memory=None):
        evaluated.append(si)
        if len(evaluated) == 4:
            raise KeyboardInterrupt
        return real_evaluate(plan, workers, si, start, n, memory)

    def slow(plan, engine, paths, result, start, memory=None):
        if len(evaluated) == 3:
            time.sleep(0.5)  # still under way when the interrupt comes
        return real_record(plan, engine, paths, result, start, memory)

    monkeypatch.setattr(runner, "evaluate_unit", interrupted)
    monkeypatch.setattr(runner, "record_unit", slow)
    out = tmp_path / "part.nc"
    reported = []
    with pytest.raises(KeyboardInterrupt):
        run_plan(parse_scenario(SMALL), out=out, on_unit=lambda si, ci: reported.append(
            (si, ci)))
    assert reported == UNITS[:2]  # the third was saved, not yet reported
    assert len(list(checkpoint_dir(out).glob("s*_c*.npz"))) == 3  # the units' records
    monkeypatch.setattr(runner, "evaluate_unit", real_evaluate)
    monkeypatch.setattr(runner, "record_unit", real_record)
    resumed, order = _run(tmp_path, "part.nc", resume=True)
    assert order == UNITS[3:]
    xr.testing.assert_identical(resumed, whole)


def test_overlap_only_where_two_chunks_fit_in_memory(tmp_path):
    """check_resources allows the overlap when two chunks' work fits the limit, runs one unit
    at a time when only one does, and refuses a run where not even one does."""
    plan = parse_scenario(SMALL.replace("paths: 150, days: 42", "paths: 1000000, days: 252")
                          .replace("chunk_paths: 64", "chunk_paths: 1000000"))
    one, _ = runner.resource_estimate(plan, overlap=False)
    two, _ = runner.resource_estimate(plan, overlap=True)
    assert two - one == runner.chunk_memory(plan)
    assert runner.check_resources(plan, None, max_memory=two) is True
    assert runner.check_resources(plan, None, max_memory=(one + two) // 2) is False
    with pytest.raises(ValueError, match="GiB of memory"):
        runner.check_resources(plan, None, max_memory=one - 1)


def test_a_run_where_only_one_chunk_fits_makes_its_records_in_this_thread(tmp_path,
                                                                           record_threads):
    """run_plan passes check_resources' answer on: with a memory limit that fits one chunk's
    work but not two, every unit's records are made in the caller's thread, and the run
    still finishes with every unit reported in order."""
    plan = parse_scenario(SMALL)
    one, _ = runner.resource_estimate(plan, overlap=False)
    two, _ = runner.resource_estimate(plan, overlap=True)
    assert two > one  # two chunks' work is more than the end of this small run
    order = []
    run_plan(plan, out=tmp_path / "one.nc", max_memory=one,
             on_unit=lambda si, ci: order.append((si, ci)))
    assert order == UNITS
    assert set(record_threads) == {threading.current_thread().name}


@pytest.mark.parametrize("layer, overlaps", [("omp", True), ("tbb", True),
                                             ("workqueue", False), (None, False)])
def test_the_overlap_only_under_a_threading_layer_that_allows_it(monkeypatch, layer,
                                                                   overlaps):
    """OpenMP and TBB run two parallel kernels at once; the workqueue aborts the process on
    that, and before any parallel kernel has run the layer is not known (numba raises)."""
    import numba

    def threading_layer():
        if layer is None:
            raise ValueError("Threading layer is not initialized.")
        return layer

    monkeypatch.setattr(numba, "threading_layer", threading_layer)
    assert runner._threads_overlap() is overlaps
