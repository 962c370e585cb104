"""Scenario files: schema and validation (:mod:`.schema`), runner with checkpoints (runner)."""

from simulator.scenario.schema import (
    BASELINE,
    RunPlan,
    ScenarioError,
    ScenarioPlan,
    load_scenario,
    parse_scenario,
)

__all__ = ["BASELINE", "RunPlan", "ScenarioError", "ScenarioPlan", "load_scenario",
           "parse_scenario"]
