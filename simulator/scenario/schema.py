"""Scenario files (DESIGN §6): the pydantic schema, model overrides, sweeps, shocks, regimes.

A scenario file is validated section by section so that *every* problem of a file is reported
at once, each as ``field.path: message`` (with the value and the allowed range), before any
work starts. :func:`load_scenario` turns a valid file into a :class:`RunPlan`: resolved models
(one per scenario variant), the expanded strategies (sweeps applied), costs and run settings.

Units: ``simulation.days`` and shock/regime days are trading days (252 a year, day 0 is the
start); ``vix`` in index points; ``variance_jump`` and model variances in decimal variance;
``spx_return`` a simple return (-0.12 = -12 %); ``capital`` in USD.
"""

from __future__ import annotations

import copy
import hashlib
import itertools
import json
import math
import re
import types
import typing
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    TypeAdapter,
    ValidationError,
    field_validator,
    model_validator,
)

from simulator.common import safe_yaml
from simulator.common.conventions import BASELINE
from simulator.results.events import VolEventConfig
from simulator.strategy.config import DEFAULT_COSTS, CostsConfig, StrategyConfig

MAX_STRATEGIES = 64
MAX_SCENARIOS = 32
DEFAULT_QUANTILES = (0.01, 0.05, 0.25, 0.5, 0.75, 0.95, 0.99)
_NAME = r"[A-Za-z][A-Za-z0-9_\-]{0,99}\Z"  # \Z: "$" would accept a final newline
_REGIME_KEYS = ("kappa", "theta", "lam", "mu_x", "sigma_x", "mu_v", "rho_j", "equity_premium")


class ScenarioError(ValueError):
    """Invalid scenario file: ``problems`` is a list of (field path, message)."""

    def __init__(self, source: str, problems: list[tuple[str, str]]):
        self.source = source
        self.problems = list(problems)
        lines = [f"{source}: {len(self.problems)} problem(s):"]
        lines += [f"  {loc or '<file>'}: {msg}" for loc, msg in self.problems]
        super().__init__("\n".join(lines))


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, validate_default=True)


class SimulationConfig(_Strict):
    """How many paths and days, which seed, and the run's accounting."""

    paths: int = Field(ge=1, le=10_000_000, description="Monte Carlo paths per scenario")
    days: int = Field(252, ge=1, le=2520, description="trading days (252 = 1 year)")
    seed: int = Field(0, ge=0, lt=2**64, description="random seed (0 .. 2**64 - 1)")
    capital: float = Field(1_000_000.0, gt=0.0, le=1e12, description="starting equity, USD")
    chunk_paths: int = Field(2048, ge=16, le=1_000_000,
                             description="paths per chunk (memory bound, checkpoint unit)")
    substeps: int = Field(1, ge=1, le=16, description="QE sub-steps per trading day")
    quantiles: tuple[float, ...] = Field(DEFAULT_QUANTILES, min_length=1, max_length=25,
                                         description="equity quantiles over paths, per day")

    @field_validator("quantiles")
    @classmethod
    def _quantiles(cls, q):
        if any(not 0.0 <= x <= 1.0 for x in q) or any(b <= a for a, b in itertools.pairwise(q)):
            shown = list(q) if len(q) <= 8 else [*list(q)[:8], "..."]
            raise ValueError(f"quantiles must increase strictly within [0, 1], got {shown}")
        return q


class ModelSpec(_Strict):
    """A shipped preset name (``alvh presets``) or a model YAML path relative to the scenario
    file, with parameter overrides merged in (``{v0: 0.02, P: {theta: 0.03}}``)."""

    preset: str = "svcj_default"
    overrides: dict[str, Any] = {}


class ShockConfig(_Strict):
    """A deterministic move on every path at the close of trading day ``day`` (1 .. days)."""

    day: int = Field(ge=1, le=2520)
    spx_return: float | None = Field(None, gt=-1.0, lt=10.0, description="simple return")
    spx_return_mode: Literal["add", "set"] = Field(
        "add", description="add: on top of the model's move that day; set: the day's move is "
                           "exactly spx_return on every path")
    vix: float | None = Field(None, gt=0.0, le=500.0, description="VIX level, index points")
    variance_jump: float | None = Field(None, ge=0.0, le=4.0, description="decimal variance")
    note: str | None = Field(None, description="free text, e.g. the date it replays")

    @model_validator(mode="after")
    def _something(self):
        if self.vix is not None and self.variance_jump is not None:
            raise ValueError("give vix (a level) or variance_jump (an increment), not both")
        if self.spx_return is None and self.vix is None and self.variance_jump is None:
            raise ValueError("a shock needs spx_return, vix or variance_jump")
        return self


class RegimeConfig(_Strict):
    """Real-world (P) parameters for the daily moves from ``start_day`` to ``end_day``."""

    start_day: int = Field(ge=0, le=2520)
    end_day: int = Field(ge=1, le=2520)
    P: dict[Literal[_REGIME_KEYS], float] = Field(  # type: ignore[valid-type]
        description="P parameters changed in the regime (sigma_v and rho are shared with Q "
                    "and cannot change)")
    note: str | None = None

    @model_validator(mode="after")
    def _order(self):
        if self.end_day <= self.start_day:
            raise ValueError(f"end_day ({self.end_day}) must be after start_day "
                             f"({self.start_day})")
        return self


class ScenarioVariant(_Strict):
    """One scenario of a file: model overrides, shocks and regimes on its own paths."""

    description: str | None = None
    model: dict[str, Any] = {}
    shocks: list[ShockConfig] = []
    regimes: list[RegimeConfig] = []


_SECTIONS: dict[str, Any] = {
    "name": str,
    "description": str,
    "simulation": SimulationConfig,
    "model": ModelSpec,
    "scenarios": dict[str, ScenarioVariant | None],
    "costs": CostsConfig,
    "vol_events": VolEventConfig,
    "strategies": dict[str, StrategyConfig],
    "sweep": dict[str, list[Any]],
}
_REQUIRED = ("name", "simulation", "strategies")


# ------------------------------------------------------------------------------------------
# Error messages
# ------------------------------------------------------------------------------------------

def _unwrap(tp):
    """The pydantic model (or container) inside Optional/Union/Annotated annotations."""
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        for arg in typing.get_args(tp):
            inner = _unwrap(arg)
            if (isinstance(inner, type) and issubclass(inner, BaseModel)) or \
                    typing.get_origin(inner) in (dict, list, tuple):
                return inner
        return tp
    if origin is typing.Annotated:
        return _unwrap(typing.get_args(tp)[0])
    return tp


def _allowed_keys(tp, loc: tuple) -> list[str] | None:
    """Field names of the model at ``loc`` (for "unknown key" messages), or None."""
    tp = _unwrap(tp)
    for part in loc:
        origin = typing.get_origin(tp)
        if isinstance(tp, type) and issubclass(tp, BaseModel):
            if part not in tp.model_fields:
                return None
            tp = _unwrap(tp.model_fields[part].annotation)
        elif origin is dict:
            _key_tp, tp = typing.get_args(tp)
            tp = _unwrap(tp)
        elif origin in (list, tuple):
            tp = _unwrap(typing.get_args(tp)[0])
        else:
            return None
    if isinstance(tp, type) and issubclass(tp, BaseModel):
        return list(tp.model_fields)
    return None


def _field_info(tp, loc: tuple):
    """The pydantic FieldInfo at ``loc`` under ``tp`` (for range messages), or None."""
    tp = _unwrap(tp)
    info = None
    for part in loc:
        origin = typing.get_origin(tp)
        if isinstance(tp, type) and issubclass(tp, BaseModel):
            if part not in tp.model_fields:
                return None
            info = tp.model_fields[part]
            tp = _unwrap(info.annotation)
        elif origin is dict:
            tp, info = _unwrap(typing.get_args(tp)[1]), None
        elif origin in (list, tuple):
            tp, info = _unwrap(typing.get_args(tp)[0]), None
        else:
            return None
    return info


def _range_text(info) -> str | None:
    """'allowed: 0 < x <= 1' from a field's bounds (both ends, not only the one missed)."""
    low = high = None
    for m in getattr(info, "metadata", ()):
        for attr, sign in (("gt", "<"), ("ge", "<=")):
            if getattr(m, attr, None) is not None:
                low = f"{getattr(m, attr):g} {sign} "
        for attr, sign in (("lt", "<"), ("le", "<=")):
            if getattr(m, attr, None) is not None:
                high = f" {sign} {getattr(m, attr):g}"
    if low is None and high is None:
        return None
    return f"allowed: {low or ''}x{high or ''}"


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _model_names() -> set[str]:
    names, todo = set(), [BaseModel]
    while todo:
        for sub in todo.pop().__subclasses__():
            names.add(sub.__name__)
            todo.append(sub)
    return names


def _pydantic_problems(err: ValidationError, prefix: str, root_type) -> list[tuple[str, str]]:
    tags = _model_names()
    out = []
    for e in err.errors():
        raw_loc = e["loc"]
        if any(isinstance(p, str) and p.startswith("literal[") for p in raw_loc) \
                and not isinstance(e.get("input"), str):
            continue  # the "none" alternative of a union, irrelevant for a mapping
        # drop the union-member tags pydantic inserts in locations (class names, validators)
        loc = tuple(p for p in raw_loc if not (isinstance(p, str) and (
            p in tags or p == "[key]" or p.startswith(("literal[", "function-")))))
        path = ".".join(str(p) for p in (prefix, *loc) if p != "")
        kind = e["type"]
        if kind == "extra_forbidden":
            allowed = _allowed_keys(root_type, loc[:-1])
            msg = "unknown key" + (f"; allowed: {', '.join(allowed)}" if allowed else "")
        elif kind == "missing":
            msg = "missing (required)"
        else:
            msg = e["msg"].removeprefix("Value error, ")
            if "input" in e and not isinstance(e["input"], dict | list):
                msg += f" (got {_short(e['input'])})"
            if kind in ("greater_than", "greater_than_equal", "less_than", "less_than_equal",
                        "finite_number"):
                allowed = _range_text(_field_info(root_type, loc))
                if allowed:
                    msg += f"; {allowed}"
        out.append((path, msg))
    return _dedupe(out)


def _dedupe(problems):
    seen, out = set(), []
    for p in problems:
        if p not in seen:
            seen.add(p)
            out.append(p)
    return out


# ------------------------------------------------------------------------------------------
# The resolved plan
# ------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class ScenarioPlan:
    """One scenario variant, resolved: its model, shocks and regimes, and its random stream."""

    name: str
    description: str
    model: Any  # simulator.model.params.Model
    shocks: tuple = ()  # simulator.model.paths.Shock
    regimes: tuple = ()  # simulator.model.paths.Regime
    stream: int = 0

    def path_kwargs(self) -> dict:
        return {"shocks": self.shocks, "regimes": self.regimes, "stream": self.stream}


@dataclass(frozen=True)
class RunPlan:
    """Everything a run needs, validated; built by :func:`load_scenario`."""

    source: str
    text: str
    name: str
    description: str
    simulation: SimulationConfig
    scenarios: tuple[ScenarioPlan, ...]
    strategies: dict[str, StrategyConfig]
    costs: CostsConfig
    sweep_coords: dict[str, list] = field(default_factory=dict)
    vol_events: VolEventConfig = field(default_factory=VolEventConfig)

    @property
    def warnings(self) -> list[str]:
        """Strategies that can lose more than the account: their open tranches' risk plus a
        year of hedge budget reach 100 % of equity (the run goes on; ruined paths stop trading
        and are counted in ``trades_per_path`` as ``ruined``)."""
        out = []
        for label, strat in self.strategies.items():
            c, h = strat.condor, strat.hedge
            tranches = math.ceil(c.dte_trading_days / c.every_trading_days) if c else 0
            exposure = tranches * (c.risk_per_tranche if c else 0.0)
            if h is not None and h.sizing == "budget":
                exposure += h.budget_annual * max(h.regime.factors) if h.regime.enabled \
                    else h.budget_annual
            if exposure >= 1.0:
                out.append(f"{self.source}: strategies.{label}: can lose more than the account "
                           f"({tranches} tranche(s) of {c.risk_per_tranche if c else 0:g} open at "
                           f"once plus the hedge budget = {exposure:.0%} of equity); ruined "
                           "paths stop trading")
        return out

    @property
    def n_paths(self) -> int:
        return self.simulation.paths

    @property
    def n_days(self) -> int:
        return self.simulation.days

    @property
    def seed(self) -> int:
        return self.simulation.seed

    def fingerprint(self) -> str:
        """Identifies a run's results: the file text and every input it resolves to (each
        scenario's model parameters, e.g. from a model file the text only names; shocks and
        regimes; strategies; costs; the vol-event rule), paths, seed, package and pricing-table
        versions. A resume is refused when any of them changed."""
        from simulator._version import __version__
        from simulator.pricing.tables import TABLE_VERSION

        resolved = {sc.name: {"model": sc.model.to_dict(), "stream": sc.stream,
                              "shocks": [vars(x) for x in sc.shocks],
                              "regimes": [[r.start_day, r.end_day, r.P.to_dict()]
                                          for r in sc.regimes]} for sc in self.scenarios}
        payload = json.dumps({
            "text": self.text, "simulation": self.simulation.model_dump(),
            "version": __version__, "table_version": TABLE_VERSION, "scenarios": resolved,
            "strategies": {k: v.model_dump() for k, v in self.strategies.items()},
            "costs": self.costs.model_dump(), "vol_events": self.vol_events.model_dump()},
            sort_keys=True, default=str)
        return hashlib.sha256(payload.encode()).hexdigest()[:24]


def scenario_stream(name: str) -> int:
    """The random stream of a scenario: a function of its name (DESIGN §5: draws depend on
    seed, scenario, path, day, slot), so adding or reordering scenarios changes no paths."""
    return zlib.crc32(name.encode())


# ------------------------------------------------------------------------------------------
# Loading
# ------------------------------------------------------------------------------------------

def load_scenario(path: str | Path, *, n_paths: int | None = None,
                  seed: int | None = None) -> RunPlan:
    """Read and validate a scenario file; raise :class:`ScenarioError` listing every problem.

    ``n_paths`` and ``seed`` override ``simulation.paths`` and ``simulation.seed``.
    """
    path = Path(path)
    source = str(path)
    try:
        text = path.read_text()
    except FileNotFoundError:
        raise ScenarioError(source, [("", "no such file")]) from None
    except (OSError, UnicodeDecodeError) as err:
        raise ScenarioError(source, [("", f"cannot read: {err}")]) from None
    return parse_scenario(text, source=source, base_dir=path.parent, n_paths=n_paths, seed=seed)


def parse_scenario(text: str, *, source: str = "<string>", base_dir: Path | None = None,
                   n_paths: int | None = None, seed: int | None = None) -> RunPlan:
    """Like :func:`load_scenario` for a YAML document given as text."""
    try:
        doc = safe_yaml.load(text)
    except safe_yaml.YamlLimitError as err:
        raise ScenarioError(source, [("", str(err))]) from None
    except yaml.YAMLError as err:
        raise ScenarioError(source, [("", f"not valid YAML: {' '.join(str(err).split())}")]) \
            from None
    if not isinstance(doc, dict):
        raise ScenarioError(source, [("", f"must be a mapping of sections "
                                          f"({', '.join(_SECTIONS)}), got "
                                          f"{type(doc).__name__}")])
    problems: list[tuple[str, str]] = []
    for key in doc:
        if key not in _SECTIONS:
            problems.append((str(key), f"unknown section; allowed: {', '.join(_SECTIONS)}"))
    for key in _REQUIRED:
        if key not in doc:
            problems.append((key, "missing (required)"))

    sim_over = {}
    if n_paths is not None:
        sim_over["paths"] = n_paths
    if seed is not None:
        sim_over["seed"] = seed
    raw_sim = doc.get("simulation")
    if sim_over and isinstance(raw_sim, dict):
        doc = {**doc, "simulation": {**raw_sim, **sim_over}}

    values: dict[str, Any] = {}
    for key, tp in _SECTIONS.items():
        if key not in doc:
            continue
        raw = doc[key]
        if key == "scenarios" and raw is None:
            raw = {}
        try:
            values[key] = TypeAdapter(tp).validate_python(raw)
        except ValidationError as err:
            problems += _pydantic_problems(err, key, tp)
    name = values.get("name")
    if name is not None and not re.match(_NAME, name):
        problems.append(("name", f"{_short(name)} must start with a letter and use letters, "
                                 "digits, '_' or '-' only, at most 100 characters (it names "
                                 "the output file)"))

    # --- models: preset -> file overrides -> scenario overrides -> regimes -------------------
    base_model = None
    if "model" in values or "model" not in doc:
        base_model = _base_model(values.get("model", ModelSpec()), base_dir, problems)
    scenarios_in = values.get("scenarios") or {}
    if "scenarios" in values and not scenarios_in:
        problems.append(("scenarios", "at least one scenario is needed (or leave the section "
                                      "out for a single 'base' scenario)"))
    if not scenarios_in and "scenarios" not in doc:
        scenarios_in = {"base": ScenarioVariant()}
    if len(scenarios_in) > MAX_SCENARIOS:
        problems.append(("scenarios", f"{len(scenarios_in)} scenarios; at most {MAX_SCENARIOS}"))
    sim_cfg = values.get("simulation")
    plans = []
    for sname, variant in scenarios_in.items():
        variant = variant or ScenarioVariant()
        loc = f"scenarios.{sname}"
        if not re.match(_NAME, sname):
            problems.append((loc, "scenario names start with a letter and use letters, "
                                  "digits, '_' or '-', at most 100 characters"))
        if base_model is None:
            continue
        plan = _scenario_plan(sname, variant, base_model, sim_cfg, loc, problems)
        if plan is not None:
            plans.append(plan)

    # --- strategies and sweep ---------------------------------------------------------------
    strategies = dict(values.get("strategies") or {})
    if "strategies" in values and not strategies:
        problems.append(("strategies", "at least one strategy is needed"))
    for sname in strategies:
        if not re.match(_NAME, sname):
            problems.append((f"strategies.{sname}", "strategy names start with a letter and "
                                                    "use letters, digits, '_' or '-', at most "
                                                    "100 characters"))
    sweep_coords: dict[str, list] = {}
    if "sweep" in values and isinstance(doc.get("strategies"), dict):
        # keys are checked even when a strategy is invalid (all problems at once)
        strategies, sweep_coords = _expand_sweep(values["sweep"], doc["strategies"],
                                                 strategies, problems)
    if strategies and BASELINE not in strategies:
        condors = {json.dumps(s.condor.model_dump(), sort_keys=True) if s.condor else None
                   for s in strategies.values()}
        if len(condors) == 1 and None not in condors:
            first = next(iter(strategies.values()))
            strategies = {BASELINE: StrategyConfig(condor=first.condor, costs=first.costs),
                          **strategies}
        else:
            problems.append(("strategies", f"add a strategy named {BASELINE!r} (the condor "
                                           "without a hedge): results are paired against it, "
                                           "and the strategies use different condors"))
    if len(strategies) > MAX_STRATEGIES:
        problems.append(("strategies", f"{len(strategies)} strategies after the sweep; at "
                                       f"most {MAX_STRATEGIES}"))
    if problems:
        order = {k: i for i, k in enumerate(_SECTIONS)}
        problems.sort(key=lambda p: order.get(p[0].split(".")[0].split(" ")[0], len(order)))
        raise ScenarioError(source, _dedupe(problems))
    costs = values.get("costs", CostsConfig.named(DEFAULT_COSTS))
    return RunPlan(source=source, text=text, name=values["name"],
                   description=values.get("description", ""), simulation=sim_cfg,
                   scenarios=tuple(plans), strategies=strategies, costs=costs,
                   sweep_coords=sweep_coords,
                   vol_events=values.get("vol_events", VolEventConfig()))


def _base_model(spec: ModelSpec, base_dir: Path | None, problems):
    from simulator.model.params import ParameterError
    from simulator.model.presets import load_model, preset_names

    ref = spec.preset
    if ref not in preset_names() and base_dir is not None and not Path(ref).is_absolute():
        candidate = base_dir / ref
        ref = str(candidate) if candidate.exists() else ref
    try:
        model = load_model(ref)
    except FileNotFoundError:
        problems.append(("model.preset", f"{spec.preset!r} is neither a preset "
                                         f"({', '.join(preset_names())}) nor a model file"))
        return None
    except ParameterError as err:
        problems += [(f"model.preset ({spec.preset}): {p}", m) for p, m in err.problems]
        return None
    if not spec.overrides:
        return model
    try:
        return _quiet_merge(model, spec.overrides)
    except ParameterError as err:
        problems += [(f"model.overrides.{p}", m) for p, m in err.problems]
        return None


def _quiet_merge(model, overrides):
    """Merge overrides; the Feller warning is for interactive use, not for scenario files."""
    import warnings

    from simulator.model.params import FellerConditionWarning

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FellerConditionWarning)
        return model.merged(overrides)


def _scenario_plan(name, variant: ScenarioVariant, base_model, sim_cfg, loc, problems):
    import dataclasses

    from simulator.model.params import MeasureParams, ParameterError
    from simulator.model.paths import Regime, Shock

    model = base_model
    if variant.model:
        try:
            model = _quiet_merge(base_model, variant.model)
        except ParameterError as err:
            problems += [(f"{loc}.model.{p}", m) for p, m in err.problems]
            return None
    n_days = sim_cfg.days if sim_cfg is not None else None
    ok = True
    shocks = []
    moved: dict[tuple[int, str], int] = {}
    for i, sh in enumerate(variant.shocks):
        sloc = f"{loc}.shocks.{i}"
        if n_days is not None and sh.day > n_days:
            problems.append((f"{sloc}.day", f"{sh.day} is after the last simulated day; "
                                            f"allowed: 1 .. simulation.days = {n_days}"))
            ok = False
        if sh.vix is not None and sh.vix < model.vix_floor:
            problems.append((f"{sloc}.vix", f"{sh.vix:g} is below this model's VIX floor "
                                            f"{model.vix_floor:.2f} (the VIX at zero variance "
                                            "under Q); allowed: [floor, 500]"))
            ok = False
        for what, present in (("spx", sh.spx_return is not None),
                              ("variance", sh.vix is not None or sh.variance_jump is not None)):
            if present:
                if (sh.day, what) in moved:
                    problems.append((sloc, f"shocks {moved[(sh.day, what)]} and {i} both move "
                                           f"the {what} on day {sh.day}; merge them"))
                    ok = False
                moved[(sh.day, what)] = i
        shocks.append(Shock(day=sh.day, spx_return=sh.spx_return,
                            spx_return_mode=sh.spx_return_mode, vix=sh.vix,
                            variance_jump=sh.variance_jump))
    regimes = []
    spans = []
    for i, reg in enumerate(variant.regimes):
        rloc = f"{loc}.regimes.{i}"
        if n_days is not None and reg.end_day > n_days:
            problems.append((f"{rloc}.end_day", f"{reg.end_day} is after the last simulated "
                                                f"day; allowed: <= simulation.days = {n_days}"))
            ok = False
        for j, (a, b) in enumerate(spans):
            if reg.start_day < b and a < reg.end_day:
                problems.append((rloc, f"days [{reg.start_day}, {reg.end_day}) overlap regime "
                                       f"{j} [{a}, {b}); regimes must not overlap"))
                ok = False
        spans.append((reg.start_day, reg.end_day))
        values = {**model.P.to_dict(), **reg.P}
        bad = MeasureParams.problems(values, prefix=f"{rloc}.P.")
        if bad:
            problems += bad
            ok = False
            continue
        regimes.append(Regime(reg.start_day, reg.end_day, dataclasses.replace(model.P, **reg.P)))
    if not ok:
        return None
    desc = variant.description or ""
    return ScenarioPlan(name=name, description=desc, model=model, shocks=tuple(shocks),
                        regimes=tuple(regimes), stream=scenario_stream(name))


# ------------------------------------------------------------------------------------------
# Sweeps
# ------------------------------------------------------------------------------------------

def _format_value(value) -> str:
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def _set_dotted(doc: dict, keys: list[str], value) -> None:
    node = doc
    for k in keys[:-1]:
        child = node.get(k)
        if child in (None, "none"):
            child = {}
        elif isinstance(child, str):  # "preset name" shorthand is not valid; keep as is
            child = {"preset": child}
        node[k] = child = dict(child)
        node = child
    node[keys[-1]] = value


def _expand_sweep(sweep: dict[str, list], raw_strategies: dict, strategies: dict, problems):
    """Expand each swept strategy over the grid of its keys. Returns (strategies, coords)."""
    by_strategy: dict[str, list[tuple[str, list[str], list]]] = {}
    for key, values in sweep.items():
        parts = key.split(".")
        loc = f"sweep.{key}"
        if len(parts) < 2 or not all(parts):
            problems.append((loc, "keys are STRATEGY.field.path, e.g. "
                                  "alvh.hedge.budget_annual"))
            continue
        if parts[0] not in raw_strategies:
            problems.append((loc, f"no strategy {parts[0]!r}; have "
                                  f"{', '.join(raw_strategies)}"))
            continue
        if not 1 <= len(values) <= 100:
            problems.append((loc, f"give 1 to 100 values, got {len(values)}"))
            continue
        if len({json.dumps(v, sort_keys=True, default=str) for v in values}) != len(values):
            problems.append((loc, "values repeat"))
            continue
        by_strategy.setdefault(parts[0], []).append((key, parts[1:], values))
    if not by_strategy:
        return strategies, {}
    leaf_names = [k.split(".")[-1] for entries in by_strategy.values() for k, _, _ in entries]
    coords_names = {}
    for entries in by_strategy.values():
        for key, sub, _ in entries:
            leaf = sub[-1]
            coords_names[key] = leaf if leaf_names.count(leaf) == 1 else "_".join(sub)
    out: dict[str, StrategyConfig] = {}
    labels_coords: dict[str, dict[str, Any]] = {}
    for sname, strat in strategies.items():
        if sname not in by_strategy:
            out[sname] = strat
            continue
        entries = by_strategy[sname]
        for combo in itertools.product(*(values for _, _, values in entries)):
            doc = copy.deepcopy(raw_strategies[sname])
            parts = []
            for (key, sub, _), value in zip(entries, combo, strict=True):
                _set_dotted(doc, sub, value)
                parts.append(f"{coords_names[key]}={_format_value(value)}")
            label = f"{sname}[{','.join(parts)}]"
            try:
                out[label] = StrategyConfig.model_validate(doc)
            except ValidationError as err:
                problems += _pydantic_problems(err, f"sweep -> strategies.{label}",
                                               StrategyConfig)
                continue
            labels_coords[label] = {coords_names[k]: v for (k, _, _), v
                                    in zip(entries, combo, strict=True)}
    coords: dict[str, list] = {}
    for cname in dict.fromkeys(coords_names.values()):
        vals = [labels_coords.get(label, {}).get(cname) for label in out]
        numeric = all(v is None or (isinstance(v, int | float) and not isinstance(v, bool))
                      for v in vals)
        coords[cname] = ([math.nan if v is None else float(v) for v in vals] if numeric
                         else ["" if v is None else str(v) for v in vals])
    return out, coords
