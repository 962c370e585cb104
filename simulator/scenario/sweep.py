"""Sweeps: each swept strategy expanded over the grid of its keys (``alvh.hedge.budget_annual:
[0.01, 0.02]`` gives ``alvh[budget_annual=0.01]`` and ``alvh[budget_annual=0.02]``), with the
grid as coordinates of the strategy axis."""

from __future__ import annotations

import copy
import itertools
import json
import math
from typing import Any

from pydantic import ValidationError

from simulator.scenario.errors import pydantic_problems
from simulator.strategy.config import StrategyConfig


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


# swept keys under these change the book a hedge is judged against (simulator.scenario.pairing)
BOOK_SECTIONS = ("condor", "costs", "index")


def expand_sweep(sweep: dict[str, list], raw_strategies: dict, strategies: dict, problems):
    """Expand each swept strategy over the grid of its keys. Returns (strategies, coords,
    hints): ``hints[label]`` is the variant's swept condor/cost/index values as a label part
    (``short_delta=0.1``) and as coordinates, which name the baseline paired with it."""
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
        return strategies, {}, {}
    leaf_names = [k.split(".")[-1] for entries in by_strategy.values() for k, _, _ in entries]
    coords_names = {}
    for entries in by_strategy.values():
        for key, sub, _ in entries:
            leaf = sub[-1]
            coords_names[key] = leaf if leaf_names.count(leaf) == 1 else "_".join(sub)
    out: dict[str, StrategyConfig] = {}
    labels_coords: dict[str, dict[str, Any]] = {}
    hints: dict[str, tuple[str, dict[str, Any]]] = {}
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
                problems += pydantic_problems(err, f"sweep -> strategies.{label}",
                                               StrategyConfig)
                continue
            labels_coords[label] = {coords_names[k]: v for (k, _, _), v
                                    in zip(entries, combo, strict=True)}
            book = [(coords_names[k], v) for (k, sub, _), v in zip(entries, combo, strict=True)
                    if sub[0] in BOOK_SECTIONS]
            hints[label] = (",".join(f"{c}={_format_value(v)}" for c, v in book), dict(book))
    return out, coordinates(list(dict.fromkeys(coords_names.values())), labels_coords, out), hints


def coordinates(names: list[str], labels_coords: dict[str, dict[str, Any]], labels) -> dict:
    """The sweep's coordinates along the strategy axis (``labels`` in order): a strategy that
    was not swept over a key gets NaN (numbers) or "" (words)."""
    coords: dict[str, list] = {}
    for cname in names:
        vals = [labels_coords.get(label, {}).get(cname) for label in labels]
        numeric = all(v is None or (isinstance(v, int | float) and not isinstance(v, bool))
                      for v in vals)
        coords[cname] = ([math.nan if v is None else float(v) for v in vals] if numeric
                         else ["" if v is None else str(v) for v in vals])
    return coords
