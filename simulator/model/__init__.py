"""The SVCJ model: parameters (P and Q), presets, the VIX map and the path generator."""

from simulator.common.conventions import TRADING_DAYS_PER_YEAR, VIX_WINDOW_YEARS
from simulator.model.params import (
    FellerConditionWarning,
    MeasureParams,
    Model,
    ParameterError,
)
from simulator.model.presets import load_model, preset_names

__all__ = [
    "TRADING_DAYS_PER_YEAR",
    "VIX_WINDOW_YEARS",
    "FellerConditionWarning",
    "MeasureParams",
    "Model",
    "ParameterError",
    "load_model",
    "preset_names",
]
