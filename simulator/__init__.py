"""ALVH simulator: SPX iron condors hedged with layered VIX calls, on SVCJ Monte Carlo paths.

Public names (DESIGN §6)::

    import simulator as sim
    model = sim.load_model("svcj_default")
    paths = sim.simulate_paths(model, n_paths=10_000, n_days=252, seed=7, measure="P")

Heavy modules (numba kernels, xarray) are imported on first use so that ``alvh --help`` and
``import simulator`` stay instant.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

_LAZY = {
    "Model": "simulator.model.params",
    "MeasureParams": "simulator.model.params",
    "ParameterError": "simulator.model.params",
    "FellerConditionWarning": "simulator.model.params",
    "load_model": "simulator.model.presets",
    "preset_names": "simulator.model.presets",
    "simulate_paths": "simulator.model.paths",
}

__all__ = [
    "FellerConditionWarning",
    "MeasureParams",
    "Model",
    "ParameterError",
    "load_model",
    "preset_names",
    "simulate_paths",
]

if TYPE_CHECKING:  # pragma: no cover
    from simulator.model.params import (
        FellerConditionWarning,
        MeasureParams,
        Model,
        ParameterError,
    )
    from simulator.model.paths import simulate_paths
    from simulator.model.presets import load_model, preset_names


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        value = getattr(import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'simulator' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted([*globals(), *_LAZY])
