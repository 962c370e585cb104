"""``alvh optimize``: search the hedge's design for the most protection per unit of drag, on
common random numbers, checked on fresh seeds and on real rolling windows (docs/optimize.md).

Modules: :mod:`.space` (the searched fields and their ranges), :mod:`.metrics` (the metric
strings ``NAME@SCENARIO`` and their units), :mod:`.spec` (the scenario file's ``optimize``
section checked against its plan), :mod:`.study` (Optuna: samplers, pruning, storage, the
ask-evaluate-tell loop), :mod:`.evaluate` (designs run beside ``unhedged``), :mod:`.runner`
(search, presets, out of sample, recommendation) and :mod:`.report` (cube, report, figure,
preset file). Optuna is imported only when a search runs.

>>> from simulator.optimize import optimize_file
>>> result = optimize_file("scenarios/optimize_hedge.yaml", "results/optimize_hedge",
...                        n_trials=8, n_paths=500)                     # doctest: +SKIP
"""

from simulator.optimize.report import write_outputs
from simulator.optimize.runner import OptimizeResult, optimize_plan


def optimize_file(path, out_dir, **kwargs) -> OptimizeResult:
    """Load a scenario file, run its search (:func:`optimize_plan`'s options) and write the
    outputs into ``out_dir``; returns the result."""
    from simulator.scenario.loader import load_scenario

    result = optimize_plan(load_scenario(path), out_dir, **kwargs)
    write_outputs(result, out_dir)
    return result


__all__ = ["OptimizeResult", "optimize_file", "optimize_plan", "write_outputs"]
