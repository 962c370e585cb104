"""The scenario file's schema (pydantic records, one per section) and its limits.

A scenario file has the sections of :data:`SECTIONS`; :mod:`simulator.scenario.loader` validates
each against its record here, turns pydantic's errors into field-path messages
(:mod:`simulator.scenario.errors`) and resolves the file into a :class:`~.plan.RunPlan`.

Units: ``simulation.days`` and shock/regime days are trading days (252 a year, day 0 is the
start); ``vix`` in index points; ``variance_jump`` and model variances in decimal variance;
``spx_return`` a simple return (-0.12 = -12 %); ``capital`` in USD.
"""

from __future__ import annotations

import datetime
import itertools
from typing import Any, Literal

from pydantic import Field, field_validator, model_validator

from simulator.common.conventions import DEFAULT_MODEL
from simulator.common.records import StrictModel
from simulator.model.stress import SPX_RETURN_LIMITS, VARIANCE_JUMP_MAX, VIX_MAX, VIX_STATE_MODES
from simulator.results.events import VolEventConfig
from simulator.strategy.config import CostsConfig, StrategyConfig

MAX_STRATEGIES = 64
MAX_SCENARIOS = 32
DEFAULT_QUANTILES = (0.01, 0.05, 0.25, 0.5, 0.75, 0.95, 0.99)
NAME_PATTERN = r"[A-Za-z][A-Za-z0-9_\-]{0,99}\Z"  # \Z: "$" would accept a final newline
REGIME_KEYS = ("kappa", "theta", "lam", "mu_x", "sigma_x", "mu_v", "rho_j", "equity_premium")


class SimulationConfig(StrictModel):
    """How many paths and days, which seed, and the run's accounting."""

    paths: int | None = Field(None, ge=1, le=10_000_000,
                              description="Monte Carlo paths per scenario (required with a "
                                          "model path source; history sets it)")
    days: int = Field(252, ge=1, le=2520, description="trading days (252 = 1 year; history "
                                                      "sets it)")
    seed: int = Field(0, ge=0, lt=2**64, description="random seed (0 .. 2**64 - 1)")
    capital: float = Field(1_000_000.0, gt=0.0, le=1e12, description="starting equity, USD")
    chunk_paths: int = Field(2048, ge=16, le=1_000_000,
                             description="paths per chunk (memory bound, checkpoint unit)")
    substeps: int = Field(1, ge=1, le=16, description="QE sub-steps per trading day")
    quantiles: tuple[float, ...] = Field(DEFAULT_QUANTILES, min_length=1, max_length=25,
                                         description="equity quantiles over paths, per day")
    trade_log_paths: int = Field(0, ge=0, le=100,
                                 description="paths 0 .. N-1 of each scenario whose trades "
                                             "are kept in the cube (the trade blotter)")
    keep_paths: int = Field(0, ge=0, le=100,
                            description="paths 0 .. N-1 of each scenario kept whole in the "
                                        "cube (SPX, VIX, states, both books by day)")

    @field_validator("quantiles")
    @classmethod
    def _quantiles(cls, q):
        if any(not 0.0 <= x <= 1.0 for x in q) or any(b <= a for a, b in itertools.pairwise(q)):
            shown = list(q) if len(q) <= 8 else [*list(q)[:8], "..."]
            raise ValueError(f"quantiles must increase strictly within [0, 1], got {shown}")
        return q


PATH_SOURCES = ("model", "history", "history_windows")
FUTURES_SOURCES = ("listed_or_model", "listed")


class PathConfig(StrictModel):
    """Where a run's paths come from: the model (Monte Carlo under P, the default), one real
    window (``history``: the S&P 500's closes, the model state each day's VIX curve implies),
    or every rolling window of a span (``history_windows``: one path per window). History
    prices options with the model at the inferred state: model prices around real levels."""

    source: Literal[PATH_SOURCES] = "model"  # type: ignore[valid-type]
    start: datetime.date | None = Field(None, description="first date (history), YYYY-MM-DD")
    end: datetime.date | None = Field(None, description="last date (history), YYYY-MM-DD")
    length_days: int | None = Field(None, ge=21, le=2520,
                                    description="trading days per window (history_windows)")
    step_days: int | None = Field(None, ge=1, le=2520,
                                  description="trading days between window starts "
                                              "(history_windows; default 21)")
    futures: Literal[FUTURES_SOURCES] = Field(  # type: ignore[valid-type]
        "listed_or_model",
        description="the 30- and 60-day VIX futures the rules read on real days: "
                    "listed_or_model (interpolated between the listed contracts, the model's "
                    "where none is listed, counted) or listed (every day must have them)")

    @model_validator(mode="after")
    def _fields_of_source(self):
        history = self.source != "model"
        given = [k for k in ("start", "end", "length_days", "step_days")
                 if getattr(self, k) is not None]
        if self.futures != "listed_or_model":
            given.append("futures")
        if not history and given:
            raise ValueError(f"{', '.join(given)}: only for a history source "
                             "(source: history or history_windows)")
        if history:
            missing = [k for k in ("start", "end") if getattr(self, k) is None]
            if self.source == "history_windows" and self.length_days is None:
                missing.append("length_days")
            if missing:
                raise ValueError(f"source {self.source} needs {', '.join(missing)}")
            if self.source == "history" and (self.length_days or self.step_days):
                raise ValueError("length_days and step_days are for source history_windows")
            if self.end < self.start:
                raise ValueError(f"end {self.end} is before start {self.start}")
        return self


class ModelSpec(StrictModel):
    """A shipped preset name (``alvh presets``) or a model YAML path relative to the scenario
    file, with parameter overrides merged in (``{v0: 0.02, P: {theta: 0.03}}``)."""

    preset: str = DEFAULT_MODEL
    overrides: dict[str, Any] = Field(default_factory=dict)


class ShockConfig(StrictModel):
    """A deterministic move on every path at the close of trading day ``day`` (1 .. days)."""

    day: int = Field(ge=1, le=2520)
    spx_return: float | None = Field(None, gt=SPX_RETURN_LIMITS[0], lt=SPX_RETURN_LIMITS[1],
                                     description="simple return")
    spx_return_mode: Literal["add", "set"] = Field(
        "add", description="add: on top of the model's move that day; set: the day's move is "
                           "exactly spx_return on every path")
    vix: float | None = Field(None, gt=0.0, le=VIX_MAX, description="VIX level, index points")
    variance_jump: float | None = Field(None, ge=0.0, le=VARIANCE_JUMP_MAX,
                                        description="decimal variance")
    vix_state: Literal[VIX_STATE_MODES] = Field(  # type: ignore[valid-type]
        "shift", description="two factors: how a VIX level moves (v, m): shift (m moves with "
                             "the model's conditional mean of m given VIX), mean (m set to "
                             "it), hold_m (v alone moves)")
    analogue: str | None = Field(None, description="YYYY-MM-DD: the state (v, m) of that real "
                                                   "day's fitted VIX curve (scaled to vix "
                                                   "if given)")
    note: str | None = Field(None, description="free text, e.g. the date it replays")

    @field_validator("analogue", mode="before")
    @classmethod
    def _iso_date(cls, value):
        if isinstance(value, datetime.date):  # YAML reads 2020-03-16 as a date
            value = value.isoformat()
        if value is not None:
            try:
                if datetime.date.fromisoformat(str(value)).isoformat() != str(value):
                    raise ValueError
            except ValueError:
                raise ValueError(f"{value!r}: give a date as YYYY-MM-DD") from None
        return value

    @model_validator(mode="after")
    def _something(self):
        if self.vix is not None and self.variance_jump is not None:
            raise ValueError("give vix (a level) or variance_jump (an increment), not both")
        if self.analogue is not None and self.variance_jump is not None:
            raise ValueError("give analogue (a state) or variance_jump (an increment), not both")
        if self.spx_return is None and self.vix is None and self.variance_jump is None \
                and self.analogue is None:
            raise ValueError("a shock needs spx_return, vix, variance_jump or analogue")
        return self


class RegimeConfig(StrictModel):
    """Real-world (P) parameters for the daily moves from ``start_day`` to ``end_day``."""

    start_day: int = Field(ge=0, le=2520)
    end_day: int = Field(ge=1, le=2520)
    P: dict[Literal[REGIME_KEYS], float] = Field(  # type: ignore[valid-type]
        description="P parameters changed in the regime (sigma_v and rho are shared with Q "
                    "and cannot change)")
    note: str | None = None

    @model_validator(mode="after")
    def _order(self):
        if self.end_day <= self.start_day:
            raise ValueError(f"end_day ({self.end_day}) must be after start_day "
                             f"({self.start_day})")
        return self


class ScenarioVariant(StrictModel):
    """One scenario of a file: model overrides, shocks and regimes on its own paths."""

    description: str | None = None
    model: dict[str, Any] = Field(default_factory=dict)
    shocks: list[ShockConfig] = Field(default_factory=list)
    regimes: list[RegimeConfig] = Field(default_factory=list)


OPTIMIZE_SAMPLERS = ("tpe", "nsga2")


class OptimizeObjective(StrictModel):
    """What the search optimises: metric strings ``NAME@SCENARIO`` (``drag@base``,
    ``trading_max_drawdown.p95@crash``; simulator/optimize/metrics.py lists the names and units),
    one or several (several: multi-objective, a Pareto front), and constraints such as
    ``{drag@base: "<= 0.01"}`` (several conditions comma-separated: ``">= 0.002, <= 0.01"``)."""

    minimize: str | list[str] | None = None
    maximize: str | list[str] | None = None
    subject_to: dict[str, str] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _something(self):
        if not self.minimize and not self.maximize:
            raise ValueError("give minimize or maximize (a metric such as "
                             "trading_max_drawdown.p95@crash)")
        return self


class OptimizeValidation(StrictModel):
    """Out of sample: the best ``top_k`` designs re-run on ``seeds`` fresh seeds, and on every
    real rolling window of the ``history`` scenario file (a shipped name or a path beside this
    file; null: no history check)."""

    seeds: int = Field(2, ge=0, le=20, description="fresh seeds per candidate design")
    top_k: int = Field(5, ge=1, le=20, description="candidate designs checked out of sample")
    history: str | None = Field("history_windows", description="scenario file of real windows")


class OptimizeConfig(StrictModel):
    """``alvh optimize``: search the hedge of one strategy (docs/optimize.md). ``space`` maps
    a field path of the strategy (``hedge.budget_annual``, ``hedge.layers.tail.dte``) to a
    range ``[low, high]`` (the field's own type: int or float), ``{low, high, log}``,
    ``{choices: [...]}``, or ``hedge.split: simplex`` (the layers' budget weights)."""

    strategy: str = Field(description="the strategy whose hedge is searched")
    space: dict[str, Any] = Field(min_length=1, max_length=32)
    objective: OptimizeObjective
    trials: int = Field(100, ge=1, le=100_000, description="completed or pruned trials")
    batch: int = Field(8, ge=1, le=256, description="trials evaluated together, on the same "
                                                     "paths (the unit of parallel work)")
    sampler: Literal[OPTIMIZE_SAMPLERS] = "tpe"  # type: ignore[valid-type]
    pruning: bool = Field(True, description="successive halving on path counts (one "
                                            "objective only)")
    prune_paths: float = Field(0.25, gt=0.0, lt=1.0,
                               description="share of the paths of the first rung")
    presets: list[str] = Field(default_factory=lambda: ["alvh_40_40_20", "single_front",
                                                        "alvh_4_4_2"],
                               description="shipped hedge presets marked on the front")
    validate_: OptimizeValidation = Field(OptimizeValidation(), alias="validate")


SECTIONS: dict[str, Any] = {
    "name": str,
    "description": str,
    "simulation": SimulationConfig,
    "model": ModelSpec,
    "path": PathConfig,
    "scenarios": dict[str, ScenarioVariant | None],
    "costs": CostsConfig,
    "vol_events": VolEventConfig,
    "strategies": dict[str, StrategyConfig],
    "sweep": dict[str, list[Any]],
    "optimize": OptimizeConfig,
}
REQUIRED = ("name", "simulation", "strategies")




def json_schema() -> dict:
    """JSON Schema of a scenario file (``alvh schema``), one property per section."""
    from pydantic import TypeAdapter

    properties = {name: TypeAdapter(tp).json_schema() for name, tp in SECTIONS.items()}
    # what the records' "before" validators accept beyond their fields: a preset name alone
    # ("none" too) for a strategy's condor, hedge and costs, and a preset that fills in the
    # fields it does not give
    for section in ("strategies", "costs"):
        section_defs = properties[section].get("$defs", {})
        for record in ("CondorConfig", "HedgeConfig", "CostsConfig"):
            section_defs.get(record, {}).pop("required", None)
        strategy = section_defs.get("StrategyConfig", {}).get("properties", {})
        for key in ("condor", "hedge", "costs", "index"):
            if key in strategy:
                strategy[key] = {"anyOf": [strategy[key], {"type": "string"},
                                           *([{"type": "boolean"}] if key == "index" else [])]}
    properties["costs"] = {"anyOf": [properties["costs"], {"type": "string"}]}
    # references point at the root: hoist each section's definitions there
    defs = {}
    for prop in properties.values():
        defs.update(prop.pop("$defs", {}))
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "ALVH scenario file",
        "type": "object",
        "properties": properties,
        "required": list(REQUIRED),
        "additionalProperties": False,
        "$defs": defs,
    }
