"""The ``optimize`` section of a scenario file, checked against the file's plan.

The section's shape is validated with the rest of the file (:class:`~simulator.scenario.schema.
OptimizeConfig`); what needs the resolved plan is checked here, every problem at once, each
named by its field (``optimize.space.hedge.layers.tail.dte``, ``optimize.objective.minimize``):
the searched strategy exists and has a hedge, the space's paths, types and ranges, the
metrics and their scenarios, the constraints' syntax and whether any design can meet them,
the presets to mark, and the history file of the out-of-sample check.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from simulator.common.conventions import BASELINE
from simulator.optimize.metrics import Metric, feasible_interval, parse_condition, parse_metric
from simulator.optimize.space import Dimension, base_document, check_ends, parse_dimension
from simulator.scenario.errors import ScenarioError
from simulator.strategy.presets import HEDGE_PRESETS


@dataclass(frozen=True)
class OptimizeSpec:
    """The search, resolved: the space, the objectives (metric, "minimize"/"maximize"),
    the constraints (metric, conditions) and the settings of the section."""

    strategy: str
    base: dict
    dims: tuple[Dimension, ...]
    objectives: tuple[tuple[Metric, str], ...]
    constraints: tuple[tuple[Metric, tuple], ...]
    config: object  # simulator.scenario.schema.OptimizeConfig

    @property
    def metrics(self) -> tuple[Metric, ...]:
        seen = {m.text: m for m, _ in self.objectives} | {m.text: m for m, _ in
                                                           self.constraints}
        return tuple(seen.values())

    @property
    def scenarios(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(m.scenario for m in self.metrics))

    @property
    def directions(self) -> list[str]:
        return [d for _, d in self.objectives]

    @property
    def multi(self) -> bool:
        return len(self.objectives) > 1


def _as_list(value) -> list[str]:
    return [] if value is None else [value] if isinstance(value, str) else list(value)


def check(plan) -> OptimizeSpec:
    """The plan's optimize section, resolved; :class:`ScenarioError` listing every problem."""
    cfg = plan.optimize
    if cfg is None:
        raise ScenarioError(plan.source, [("optimize", "missing (required by alvh optimize): "
                                                       "the search's strategy, space and "
                                                       "objective (docs/optimize.md)")])
    problems: list[tuple[str, str]] = []
    strategy = plan.strategies.get(cfg.strategy)
    base, dims = None, []
    if cfg.strategy == BASELINE or strategy is None or strategy.hedge is None:
        have = [k for k, s in plan.strategies.items() if s.hedge is not None]
        problems.append(("optimize.strategy", f"{cfg.strategy!r} is not a hedged strategy of "
                                              f"the file; hedged strategies: "
                                              f"{', '.join(have) or 'none'}"))
    elif strategy.hedge.sizing != "budget":
        problems.append(("optimize.strategy", f"{cfg.strategy!r}: the search needs a budgeted "
                                              "hedge (sizing: budget)"))
    else:
        base = base_document(strategy)
        layers = tuple(strategy.hedge.layers)
        for key, spec in cfg.space.items():
            try:
                dims.append(parse_dimension(key, spec, layers))
            except ValueError as err:
                problems.append((f"optimize.space.{key}", str(err)))
        if len(dims) == len(cfg.space):
            problems += [(f"optimize.space.{k}", m) for k, m in check_ends(base, dims)]
    scenarios = [sc.name for sc in plan.scenarios]

    def metric(text, loc):
        try:
            m = parse_metric(text)
        except ValueError as err:
            problems.append((loc, str(err)))
            return None
        if m.scenario not in scenarios:
            problems.append((loc, f"{text!r}: no scenario {m.scenario!r} in the file; "
                                  f"scenarios: {', '.join(scenarios)}"))
            return None
        return m

    objectives = []
    for direction in ("minimize", "maximize"):
        for text in _as_list(getattr(cfg.objective, direction)):
            m = metric(text, f"optimize.objective.{direction}")
            if m is not None:
                objectives.append((m, direction))
    if len({m.text for m, _ in objectives}) != len(objectives):
        problems.append(("optimize.objective", "a metric is named twice"))
    constraints = []
    for text, condition in cfg.objective.subject_to.items():
        loc = f"optimize.objective.subject_to.{text}"
        m = metric(text, loc)
        try:
            conditions = tuple(parse_condition(condition))
        except ValueError as err:
            problems.append((loc, str(err)))
            continue
        if m is None:
            continue
        if feasible_interval(m, conditions) is None:
            problems.append((loc, f"{condition!r}: no design can meet it (empty feasible set; "
                                  f"{m.name} is in {_range_words(m)})"))
            continue
        constraints.append((m, conditions))
    if len(objectives) > 3:
        problems.append(("optimize.objective", f"{len(objectives)} objectives; at most 3"))
    problems += [("optimize.presets", f"unknown hedge preset {p!r}; allowed: "
                                      f"{', '.join(HEDGE_PRESETS)}")
                 for p in cfg.presets if p not in HEDGE_PRESETS]
    history = cfg.validate_.history
    if history is not None:
        try:
            history_file(plan, history)
        except FileNotFoundError as err:
            problems.append(("optimize.validate.history", str(err)))
    if plan.history is not None:
        problems.append(("path.source", "the search runs on model paths (source: model); "
                                        "real windows are its out-of-sample check "
                                        "(optimize.validate.history)"))
    if problems:
        raise ScenarioError(plan.source, problems)
    return OptimizeSpec(cfg.strategy, base, tuple(dims), tuple(objectives), tuple(constraints),
                        cfg)


def _range_words(m: Metric) -> str:
    from simulator.optimize.metrics import NATURAL_RANGE

    low, high = NATURAL_RANGE[m.name]
    return f"[{low:g}, {high:g}]".replace("inf", "∞")


def history_file(plan, name: str) -> Path:
    """The history scenario file: beside the plan's file, else a shipped scenario name."""
    from simulator.data import resolve_scenario

    base_dir = Path(plan.base_dir) if plan.base_dir is not None else Path.cwd()
    for candidate in (base_dir / name, base_dir / f"{name}.yaml"):
        if candidate.is_file():
            return candidate
    path = resolve_scenario(name)
    if not Path(path).is_file():
        raise FileNotFoundError(f"{name!r}: neither a file beside the scenario file nor a "
                                "shipped scenario (e.g. history_windows)")
    return Path(path)
