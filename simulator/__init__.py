"""ALVH simulator: SPX iron condors hedged with layered VIX calls, on SVCJ Monte Carlo paths.

Public names (docs/design.md §6)::

    import simulator as sim
    model = sim.load_model("svcj_default")
    paths = sim.simulate_paths(model, n_paths=10_000, n_days=252, seed=7, measure="P")
    pricer = sim.Pricer(model)   # prices under Q (builds the pricing tables once)
    cube = sim.run("scenarios/quickstart.yaml", n_paths=2_000, seed=1)   # or a dict
    diff = sim.compare(cube, other_cube)   # the same paths: paired differences with CIs
    print(sim.format_summary(sim.summarize(cube)))
    fit = sim.calibrate("svcj2", "2017-01-03", "2017-12-29")   # docs/calibration.md

Heavy modules (numba kernels, xarray) are imported on first use so that ``alvh --help`` and
``import simulator`` stay instant.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

from simulator._version import __version__ as __version__
from simulator.common.numba_cache import use_versioned_cache
from simulator.common.openmp import prefer_passive_waits

use_versioned_cache()  # compiled kernels are kept per version of the source (stale inlining)
prefer_passive_waits()  # idle kernel threads sleep, leaving the cores to the records thread

_LAZY = {
    "Model": "simulator.model.params",
    "MeasureParams": "simulator.model.params",
    "ParameterError": "simulator.model.params",
    "FellerConditionWarning": "simulator.model.params",
    "load_model": "simulator.model.presets",
    "preset_names": "simulator.model.presets",
    "simulate_paths": "simulator.model.paths",
    "Pricer": "simulator.pricing.pricer",
    "run": "simulator.scenario.runner",
    "load_scenario": "simulator.scenario.loader",
    "ScenarioError": "simulator.scenario.errors",
    "summarize": "simulator.results.summary",
    "format_summary": "simulator.results.summary",
    "open_cube": "simulator.results.cube",
    "compare": "simulator.results.compare",
    "to_frame": "simulator.results.cube",
    "calibrate": "simulator.calibration",
}

__all__ = [
    "FellerConditionWarning",
    "MeasureParams",
    "Model",
    "ParameterError",
    "Pricer",
    "ScenarioError",
    "calibrate",
    "compare",
    "format_summary",
    "load_model",
    "load_scenario",
    "open_cube",
    "preset_names",
    "run",
    "simulate_paths",
    "summarize",
    "to_frame",
]

if TYPE_CHECKING:  # pragma: no cover
    from simulator.calibration import calibrate
    from simulator.model.params import (
        FellerConditionWarning,
        MeasureParams,
        Model,
        ParameterError,
    )
    from simulator.model.paths import simulate_paths
    from simulator.model.presets import load_model, preset_names
    from simulator.pricing.pricer import Pricer
    from simulator.results.compare import compare
    from simulator.results.cube import open_cube, to_frame
    from simulator.results.summary import format_summary, summarize
    from simulator.scenario.errors import ScenarioError
    from simulator.scenario.loader import load_scenario
    from simulator.scenario.runner import run


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        value = getattr(import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'simulator' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted([*globals(), *_LAZY])
