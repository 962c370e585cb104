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

from simulator.optimize.runner import OptimizeResult, optimize_file, optimize_plan

__all__ = ["OptimizeResult", "optimize_file", "optimize_plan"]
