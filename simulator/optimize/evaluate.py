"""Evaluating designs: a set of strategies run beside ``unhedged`` on the plan's paths (or on
fresh seeds, or on the real windows of a history file), and their metrics with CIs."""

from __future__ import annotations

import dataclasses
import json
import math

from simulator.common.conventions import BASELINE
from simulator.optimize import metrics as M


def design_plan(plan, designs: dict, *, n_paths: int | None = None, seed: int | None = None,
                scenarios=None, n_workers: int = 1):
    """``plan`` with ``designs`` (label -> StrategyConfig) as its strategies beside the
    baseline, only ``scenarios``, ``n_paths`` paths and ``seed``. The text carries the designs
    so that a Dask worker's cache of the plan's engines (keyed by the text) is never another
    batch's. Chunks are sized so that every worker has one."""
    keep = [sc for sc in plan.scenarios if scenarios is None or sc.name in scenarios]
    strategies = {BASELINE: plan.strategies[BASELINE], **designs}
    sim = plan.simulation
    update = {}
    if n_paths is not None:
        update["paths"] = n_paths
    if seed is not None:
        update["seed"] = seed
    paths = update.get("paths", sim.paths)
    if n_workers > 1 and paths:
        per_worker = max(1, n_workers // max(1, len(keep)))
        update["chunk_paths"] = max(16, min(sim.chunk_paths, math.ceil(paths / per_worker)))
    sim = sim.model_copy(update=update)
    stamp = json.dumps({k: v.model_dump(mode="json") for k, v in designs.items()},
                       sort_keys=True)
    return dataclasses.replace(plan, scenarios=tuple(keep), strategies=strategies,
                               simulation=sim, text=f"{plan.text}\n# alvh optimize: {stamp}")


def run_designs(plan, designs: dict, metrics, *, n_paths=None, seed=None, client=None,
                n_workers: int = 1, n_boot: int = M.N_BOOT):
    """Run ``designs`` and return ({label: {metric text: (est, lo, hi)}}, cube)."""
    from simulator.scenario.runner import run_plan

    scenarios = {m.scenario for m in metrics}
    sub = design_plan(plan, designs, n_paths=n_paths, seed=seed, scenarios=scenarios,
                      n_workers=n_workers)
    cube = run_plan(sub, client=client, progress=False, summary=False)
    block = int(cube.attrs.get("window_block", 1))
    values = M.evaluate(cube, metrics, list(designs), n_boot=n_boot,
                        seed=int(sub.seed) % 2**32, block=block)
    return values, cube
