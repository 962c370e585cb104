"""The search space: which fields of the searched strategy's hedge vary, over what.

``optimize.space`` maps a field path of the strategy to its range, in the field's own type:

* ``hedge.budget_annual: [0.005, 0.03]``: a float range; ``hedge.layers.tail.dte: [90, 180]``:
  an integer range (the field is an int: calendar days);
* ``{low: 0.005, high: 0.03, log: true}``: the same with a log scale (and ``step``);
* ``{choices: [true, false]}``, or a list for a field that is not a number: categorical;
* ``hedge.split: simplex``: the budget weights of the hedge's layers. One share in [0, 1] per
  layer (``hedge.split.front`` ...), the weights are the shares over their sum (equal weights
  if every share is 0). Corners (one layer alone, ``single_front``) and the centre are in it.

Each path is checked against the strategy's record (an unknown path, a layer the hedge does
not have, a range of the wrong type, an empty range), and the strategy is validated at both
ends of every range (``roll_dte`` must stay below ``dte`` ...), so a bad space fails before
any work with the field named.
"""

from __future__ import annotations

import copy
import types
import typing
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ValidationError

from simulator.strategy.config import LAYER_NAMES, StrategyConfig

SPLIT = "hedge.split"


@dataclass(frozen=True)
class Dimension:
    """One searched field: ``kind`` float, int, categorical or simplex (``layers`` then)."""

    key: str
    kind: str
    low: float | None = None
    high: float | None = None
    log: bool = False
    step: float | None = None
    choices: tuple = ()
    layers: tuple[str, ...] = ()

    def suggest(self, trial) -> dict[str, Any]:
        """Optuna's suggestion for this dimension: {parameter name: value}."""
        if self.kind == "float":
            return {self.key: trial.suggest_float(self.key, self.low, self.high, log=self.log,
                                                  step=self.step)}
        if self.kind == "int":
            return {self.key: trial.suggest_int(self.key, int(self.low), int(self.high),
                                                log=self.log, step=int(self.step or 1))}
        if self.kind == "categorical":
            return {self.key: trial.suggest_categorical(self.key, list(self.choices))}
        return {f"{self.key}.{layer}": trial.suggest_float(f"{self.key}.{layer}", 0.0, 1.0)
                for layer in self.layers}

    def describe(self) -> str:
        if self.kind == "simplex":
            return f"budget weights of {', '.join(self.layers)} (simplex)"
        if self.kind == "categorical":
            return f"one of {list(self.choices)}"
        return f"{self.kind} in [{self.low:g}, {self.high:g}]" + (", log" if self.log else "")


def _unwrap(tp):
    """Optional[X] -> X (the optional fields' None is never searched)."""
    if typing.get_origin(tp) in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(tp) if a is not type(None)]
        return args[0] if len(args) == 1 else tp
    return tp


def field_type(parts: list[str], layers: tuple[str, ...]):
    """The annotation at ``parts`` under StrategyConfig.hedge; ValueError naming the first
    unknown part and what is allowed there."""
    from simulator.strategy.config import HedgeConfig

    tp: Any = HedgeConfig
    walked = ["hedge"]
    for part in parts:
        origin = typing.get_origin(tp)
        if isinstance(tp, type) and issubclass(tp, BaseModel):
            fields = [k for k in tp.model_fields if k != "preset"]
            if part not in fields:
                raise ValueError(f"unknown parameter path: {'.'.join(walked)} has no field "
                                 f"{part!r}; allowed: {', '.join(fields)}")
            tp = _unwrap(tp.model_fields[part].annotation)
        elif origin is dict:
            if part not in layers:
                raise ValueError(f"unknown parameter path: the hedge has no {part!r} layer; "
                                 f"its layers: {', '.join(layers)} (of {', '.join(LAYER_NAMES)})")
            tp = _unwrap(typing.get_args(tp)[1])
        else:
            raise ValueError(f"unknown parameter path: {'.'.join(walked)} is a value, it has "
                             f"no field {part!r}")
        walked.append(part)
    if (isinstance(tp, type) and issubclass(tp, BaseModel)) or typing.get_origin(tp) in (
            dict, list):
        raise ValueError(f"{'.'.join(walked)} is a section, not a value: name one of its "
                         "fields")
    return tp


def _is_number(x) -> bool:
    return isinstance(x, int | float) and not isinstance(x, bool)


def parse_dimension(key: str, spec, layers: tuple[str, ...]) -> Dimension:
    """One entry of ``optimize.space``; ValueError with the reason (the caller names the
    field)."""
    parts = key.split(".")
    if parts[0] != "hedge" or len(parts) < 2:
        raise ValueError("unknown parameter path: the optimiser searches the hedge: give "
                         "hedge.FIELD (e.g. hedge.budget_annual, hedge.layers.tail.dte, "
                         "hedge.split)")
    if key == SPLIT:
        if spec != "simplex":
            raise ValueError(f"hedge.split takes the word simplex, got {spec!r}")
        if len(layers) < 2:
            raise ValueError(f"hedge.split needs two or more layers; the hedge has "
                             f"{', '.join(layers)}")
        return Dimension(key, "simplex", layers=layers)
    tp = field_type(parts[1:], layers)
    numeric = tp in (int, float)
    if isinstance(spec, list) and numeric:
        if len(spec) != 2 or not all(_is_number(x) for x in spec):
            raise ValueError(f"a range is [low, high] (two numbers), got {spec!r}")
        spec = {"low": spec[0], "high": spec[1]}
    elif isinstance(spec, list):
        spec = {"choices": spec}
    if not isinstance(spec, dict):
        raise ValueError(f"give [low, high], {{low, high, log}}, {{choices: [...]}} (or "
                         f"simplex for hedge.split), got {spec!r}")
    unknown = set(spec) - {"low", "high", "log", "step", "choices"}
    if unknown:
        raise ValueError(f"unknown key(s) {', '.join(sorted(unknown))}; allowed: low, high, "
                         "log, step, choices")
    if "choices" in spec:
        choices = spec["choices"]
        if set(spec) != {"choices"} or not isinstance(choices, list) or not choices:
            raise ValueError("choices is a non-empty list, alone")
        if len({repr(c) for c in choices}) != len(choices):
            raise ValueError(f"choices repeat: {choices!r}")
        if any(c is not None and not isinstance(c, bool | int | float | str) for c in choices):
            raise ValueError("choices are numbers, words, true/false or null")
        return Dimension(key, "categorical", choices=tuple(choices))
    if not numeric:
        raise ValueError(f"wrong type: the field is {getattr(tp, '__name__', tp)}, not a "
                         "number; give {choices: [...]}")
    low, high = spec.get("low"), spec.get("high")
    if not (_is_number(low) and _is_number(high)):
        raise ValueError(f"a range needs numbers low and high, got {low!r}, {high!r}")
    if tp is int and not (isinstance(low, int) and isinstance(high, int)):
        raise ValueError(f"wrong type: the field is an integer, got [{low!r}, {high!r}]")
    if not low < high:
        raise ValueError(f"empty range: low ({low}) must be below high ({high})")
    log = spec.get("log", False)
    if not isinstance(log, bool) or (log and low <= 0):
        raise ValueError("log is true or false, and a log range needs low > 0")
    step = spec.get("step")
    if step is not None and (not _is_number(step) or step <= 0 or step > high - low
                             or (tp is int and not isinstance(step, int)) or log):
        raise ValueError(f"step must be a positive {'integer ' if tp is int else ''}number "
                         f"no larger than high - low (and not with log), got {step!r}")
    return Dimension(key, "int" if tp is int else "float", float(low), float(high), log,
                     step)


def base_document(strategy: StrategyConfig) -> dict:
    """The strategy as a plain mapping, every preset resolved (the designs start from it)."""
    doc = strategy.model_dump(mode="json")
    for section in ("condor", "hedge", "costs"):
        if isinstance(doc.get(section), dict):
            doc[section].pop("preset", None)
    return {k: v for k, v in doc.items() if v is not None}


def _set(doc: dict, parts: list[str], value) -> None:
    node = doc
    for part in parts[:-1]:
        node = node.setdefault(part, {})
    node[parts[-1]] = value


def design_document(base: dict, params: dict[str, Any], dims) -> dict:
    """``base`` with the trial's ``params`` set (the split's shares as layer weights)."""
    doc = copy.deepcopy(base)
    for dim in dims:
        if dim.kind == "simplex":
            shares = [float(params[f"{dim.key}.{layer}"]) for layer in dim.layers]
            total = sum(shares)
            weights = [s / total if total > 0 else 1.0 / len(shares) for s in shares]
            for layer, w in zip(dim.layers, weights, strict=True):
                _set(doc, ["hedge", "layers", layer, "weight"], w)
        else:
            _set(doc, dim.key.split("."), params[dim.key])
    return doc


def design(base: dict, params: dict[str, Any], dims) -> StrategyConfig:
    return StrategyConfig.model_validate(design_document(base, params, dims))


def corner_params(dim: Dimension, end: int) -> dict[str, Any]:
    """Parameters at one end of ``dim`` (0: low, 1: high; each choice for a categorical
    by index), for checking that the strategy is valid across the range."""
    if dim.kind == "simplex":
        return {f"{dim.key}.{layer}": float(i == end % len(dim.layers))
                for i, layer in enumerate(dim.layers)}
    if dim.kind == "categorical":
        return {dim.key: dim.choices[end % len(dim.choices)]}
    value = dim.high if end else dim.low
    return {dim.key: int(value) if dim.kind == "int" else value}


def check_ends(base: dict, dims) -> list[tuple[str, str]]:
    """Problems (key, message) of the strategy at each end of every range, the other
    dimensions at their low ends: a range that leaves the field's allowed values or breaks
    a rule between fields (roll_dte < dte) fails here, before any work."""
    problems = []
    low = {}
    for dim in dims:
        low |= corner_params(dim, 0)
    for dim in dims:
        n_ends = len(dim.choices) if dim.kind == "categorical" else (
            len(dim.layers) if dim.kind == "simplex" else 2)
        for end in range(n_ends):
            params = {**low, **corner_params(dim, end)}
            try:
                design(base, params, dims)
            except ValidationError as err:
                first = err.errors()[0]
                where = ".".join(str(p) for p in first["loc"] if not str(p).startswith(
                    ("function-", "literal[")) and p not in ("HedgeConfig",))
                msg = first["msg"].removeprefix("Value error, ")
                shown = {k: v for k, v in params.items() if k.startswith(dim.key)}
                problems.append((dim.key, f"the strategy is invalid at {shown}: {where}: "
                                          f"{msg}"))
                break
    return problems
