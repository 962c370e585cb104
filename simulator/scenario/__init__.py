"""Scenario files, one job a module: the schema (:mod:`.schema`), its error messages
(:mod:`.errors`), sweeps (:mod:`.sweep`), loading a file into a run plan (:mod:`.loader`,
:mod:`.plan`), and running a plan with checkpoints (:mod:`.runner`)."""

from simulator.common.conventions import BASELINE
from simulator.scenario.errors import ScenarioError
from simulator.scenario.loader import load_scenario, parse_scenario
from simulator.scenario.plan import RunPlan, ScenarioPlan

__all__ = ["BASELINE", "RunPlan", "ScenarioError", "ScenarioPlan", "load_scenario",
           "parse_scenario"]
