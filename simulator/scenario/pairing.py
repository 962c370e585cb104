"""Which baseline each strategy is paired against: like with like (issue 32).

A hedge is judged against the same book without it, so a hedged strategy's **baseline** is a
strategy without a hedge whose condor, S&P 500 core (``index``) and costs are identical to its
own (the condor's ``preset`` name aside: only the resolved fields count). ``unhedged`` is
preferred when it matches; else another matching strategy of the file (``sp500`` for
``vxth_like``); else one is added: ``unhedged[short_delta=0.1]`` for a sweep variant (named by
the swept condor or cost values it follows), ``unhedged[for=NAME]`` for a named strategy.
Strategies without a hedge are baselines themselves and are paired with none (a 25-delta
condor is not a 16-delta condor with a hedge).
"""

from __future__ import annotations

import json

from simulator.common.conventions import BASELINE
from simulator.strategy.config import CostsConfig, StrategyConfig


def book_key(strategy: StrategyConfig, costs: CostsConfig) -> str:
    """What a baseline must share with the strategy paired against it: the condor, the index
    core and the costs in effect (the strategy's own, else the file's)."""
    def fields(model):
        return None if model is None else model.model_dump(mode="json", exclude={"preset"})
    return json.dumps({"condor": fields(strategy.condor), "index": fields(strategy.index),
                       "costs": fields(strategy.costs or costs)}, sort_keys=True)


def pair_baselines(strategies: dict[str, StrategyConfig], costs: CostsConfig,
                   sweep_hints: dict[str, tuple[str, dict]] | None = None):
    """(strategies with any added baselines, {label: its baseline or None}, {added label:
    the sweep coordinates it follows}).

    ``sweep_hints``: for a sweep variant, the swept condor/cost/index values it has (a label
    part such as ``short_delta=0.1`` and its coordinates), which name an added baseline."""
    sweep_hints = sweep_hints or {}
    keys = {label: book_key(s, costs) for label, s in strategies.items()}
    baselines: dict[str, str] = {}  # book key -> baseline label
    for label, s in strategies.items():
        if s.hedge is None and (keys[label] not in baselines or label == BASELINE):
            baselines[keys[label]] = label
    added: dict[str, StrategyConfig] = {}
    added_coords: dict[str, dict] = {}
    paired: dict[str, str | None] = {}
    for label, s in strategies.items():
        if s.hedge is None:
            paired[label] = None
            continue
        key = keys[label]
        if key not in baselines:
            hint, coords = sweep_hints.get(label, ("", {}))
            name = f"{BASELINE}[{hint or f'for={label}'}]"
            if name in strategies or name in added:  # two swept condors, the same values
                name = f"{BASELINE}[{hint},for={label}]"
            added[name] = StrategyConfig(condor=s.condor, index=s.index, costs=s.costs)
            added_coords[name] = coords
            baselines[key] = name
        paired[label] = baselines[key]
    if not added:
        return strategies, paired, {}
    # added baselines go after the file's own baseline (or first), so tables read baseline
    # then the hedged books
    order = list(strategies)
    at = order.index(BASELINE) + 1 if BASELINE in order else 0
    labels = order[:at] + list(added) + order[at:]
    merged = {**strategies, **added}
    paired |= {name: None for name in added}
    return {label: merged[label] for label in labels}, \
        {label: paired[label] for label in labels}, added_coords

