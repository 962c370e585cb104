"""One unit of a run: the paths of one chunk of one scenario, every strategy on them. The
local runner and cluster workers compute units the same way, so their cubes are identical."""

from __future__ import annotations

import logging
import time

from simulator.scenario.plan import RunPlan

_log = logging.getLogger(__name__)


def scenario_workers(plan: RunPlan) -> list:
    """(PathGenerator, StrategyEngine) of each scenario of ``plan``: what computing a unit
    needs (the engine loads or builds the model's pricing tables)."""
    from simulator.market.history import HistorySource
    from simulator.model.paths import PathGenerator
    from simulator.strategy.engine import StrategyEngine

    sim_cfg = plan.simulation

    def paths(sc):
        if sc.history is not None:  # real windows: the same for every scenario of the file
            return HistorySource(sc.real_path, sc.history)
        return PathGenerator(sc.model, plan.n_paths, plan.n_days, plan.seed, "P",
                             sim_cfg.substeps, sim_cfg.chunk_paths, sc.stream, sc.regimes,
                             sc.shocks)

    generators = [paths(sc) for sc in plan.scenarios]
    for sc, gen in zip(plan.scenarios, generators, strict=True):
        if sc.history is None:
            check_pilot_paths(plan, sc, gen)
    # the engines load (or build, about a minute each) the pricing tables: after the pilots
    return [(gen, StrategyEngine(sc.model, plan.strategies, costs=plan.costs,
                                 capital=sim_cfg.capital))
            for sc, gen in zip(plan.scenarios, generators, strict=True)]


PILOT_PATHS = 64


def check_pilot_paths(plan: RunPlan, sc, gen) -> None:
    """Simulate the scenario's first PILOT_PATHS paths (the run's own, counter-based) and refuse
    the run, before any pricing table is built, if one is not finite: a scheme failure would
    otherwise surface after the tables as an engine error naming no field (issue 34)."""
    import numpy as np

    chunk = gen.chunk(0, min(PILOT_PATHS, plan.n_paths))
    arrays = [chunk.spx, chunk.v, chunk.vix] + ([] if chunk.m is None else [chunk.m])
    bad = ~np.logical_and.reduce([np.isfinite(a).all(axis=1) for a in arrays])
    if bad.any():
        fields = ("theta, sigma_v, kappa_m, sigma_m (model.P, or the scenario's model "
                  "overrides)" if sc.model.two_factor else "theta, sigma_v (model.P)")
        raise ValueError(
            f"{plan.source}: scenarios.{sc.name}: model {sc.model.name or ''}: "
            f"{int(bad.sum())} of {bad.size} pilot paths are not finite (NaN or inf): the "
            f"path scheme fails for these parameters; check {fields}, and please report it")


class UnitMemory:
    """A unit's largest arrays, kept from one unit to the next: the engine's three books
    (strategy, path, day; float64) and the records' float32 books (2 x strategy, day, path).

    A chunk's books are some 80 MB each at 2,000 paths x 20 strategies. Allocated afresh, each
    came from the operating system as new pages, which it zeroes on their first write: most
    of the 13.6 % of a claims run's samples that `perf` found zeroing pages (6.1 % with this
    memory; docs/performance.md §4, "Books written into the same memory"). A unit may use a
    UnitMemory once the unit that used it before is saved; a chunk of another size (the
    last) gets new arrays, the old ones dropped first."""

    def __init__(self):
        self._engine = None
        self._books = None

    def engine_books(self, n_strat: int, n_paths: int, n_cols: int):
        """(equity, trading, hedge) for :meth:`StrategyEngine.evaluate`'s ``out``."""
        import numpy as np

        shape = (n_strat, n_paths, n_cols)
        if self._engine is None or self._engine[0].shape != shape:
            self._engine = None  # the old chunk's memory first
            self._engine = tuple(np.empty(shape) for _ in range(3))
        return self._engine

    def record_books(self, n_strat: int, n_paths: int, n_cols: int):
        """The float32 (2 x strategy, day, path) books of :func:`chunk_record`."""
        import numpy as np

        shape = (2 * n_strat, n_cols, n_paths)
        if self._books is None or self._books.shape != shape:
            self._books = None
            self._books = np.empty(shape, dtype=np.float32)
        return self._books


def evaluate_unit(plan: RunPlan, workers, si: int, start: int, n: int,
                  memory: UnitMemory | None = None):
    """The engine's part of a unit: paths ``start .. start + n - 1`` of scenario ``si`` and
    every strategy on them; returns (engine, paths, result) for :func:`record_unit`. The
    books are written into ``memory`` where given (:class:`UnitMemory`)."""
    from simulator.results.blotter import log_paths_of

    t0 = time.perf_counter()
    gen, engine = workers[si]
    paths = gen.chunk(start, n)
    out = None if memory is None else memory.engine_books(len(engine.names), *paths.spx.shape)
    result = engine.evaluate(paths.spx, paths.v, paths.vix, m=paths.m, path_offset=start,
                             dates=paths.dates, log_paths=log_paths_of(plan, start, n), out=out)
    _log.debug("%s, paths %d-%d: %.2f s", plan.scenarios[si].name, start, start + n - 1,
               time.perf_counter() - t0)
    return engine, paths, result


def record_unit(plan: RunPlan, engine, paths, result, start: int,
                memory: UnitMemory | None = None):
    """The rest of a unit (:func:`evaluate_unit`'s outputs): its per-path metrics and float32
    books (:func:`simulator.results.cube.chunk_record`; into ``memory`` where given), the
    trade blotter and sampled paths; returns (record, equity) as
    :func:`simulator.scenario.runner.save_unit` stores them."""
    from simulator.results.blotter import chunk_extras
    from simulator.results.cube import chunk_record

    books = None if memory is None else memory.record_books(*result.equity.shape)
    record, equity = chunk_record(result, paths.spx, paths.vix, plan.vol_events, books)
    # the trade blotter and the sampled paths (simulation.trade_log_paths, keep_paths)
    record |= chunk_extras(plan, engine, paths, result, start)
    return record, equity


def compute_unit(plan: RunPlan, workers, si: int, start: int, n: int):
    """One unit: paths ``start .. start + n - 1`` of scenario ``si``, every strategy on them;
    returns the chunk's (record, equity) as :func:`save_unit` stores them."""
    engine, paths, result = evaluate_unit(plan, workers, si, start, n)
    return record_unit(plan, engine, paths, result, start)


__all__ = ["UnitMemory", "check_pilot_paths", "compute_unit", "evaluate_unit", "record_unit",
           "scenario_workers"]
