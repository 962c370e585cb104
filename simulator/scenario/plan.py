"""The resolved run: :class:`RunPlan` (everything a run needs, validated) and its
:class:`ScenarioPlan` variants, each with its model, stress schedule and random stream."""

from __future__ import annotations

import hashlib
import json
import math
import zlib
from dataclasses import dataclass, field
from typing import Any

from simulator.results.events import VolEventConfig
from simulator.scenario.schema import PathConfig, SimulationConfig
from simulator.strategy.config import CostsConfig, StrategyConfig


@dataclass(frozen=True)
class ScenarioPlan:
    """One scenario variant, resolved: its model, shocks and regimes, and its random stream."""

    name: str
    description: str
    model: Any  # simulator.model.params.Model
    shocks: tuple = ()  # simulator.model.paths.Shock
    regimes: tuple = ()  # simulator.model.paths.Regime
    stream: int = 0
    history: Any = None  # simulator.market.history.HistoryWindows: real paths, not the model's
    real_path: Any = None  # simulator.market.history.HistoryPath: the days' closes and states

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
    # {strategy: the baseline it is paired against, or None} (simulator.scenario.pairing)
    paired_with: dict[str, str | None] = field(default_factory=dict)
    vol_events: VolEventConfig = field(default_factory=VolEventConfig)
    path: PathConfig = field(default_factory=PathConfig)
    optimize: Any = None  # simulator.scenario.schema.OptimizeConfig: `alvh optimize`'s search
    base_dir: Any = None  # pathlib.Path of the file's folder (files it names are beside it)
    # history runs: SHA-256 of each market file the paths and trades are built from, read when
    # the plan was loaded (:func:`market_digests`); a resume after an edit of the data is
    # refused instead of mixing old and new closes in one cube (issue 34, item 8)
    market_data: dict[str, str] = field(default_factory=dict)

    @property
    def history(self):
        """The real windows every scenario runs on (``path.source`` history or
        history_windows), else None."""
        return self.scenarios[0].history if self.scenarios else None

    def describe_paths(self) -> str:
        """What the paths are, for the run's first and last lines."""
        w = self.history
        if w is None:
            return f"{self.n_paths:,} paths x {self.n_days} days, seed {self.seed}"
        state = ("state fitted to each day's VIX curve" if any(
            s.model.two_factor for s in self.scenarios) else "state from each day's VIX")
        if self.path.source == "history":
            return (f"real history {w.dates[0]} to {w.dates[-1]} ({self.n_days} trading days; "
                    f"S&P 500 closes, {state}; options priced by the model)")
        return (f"real history: {w.n_paths} windows of {w.n_days} trading days every "
                f"{self.path.step_days or 21}, {w.dates[0]} to {w.dates[-1]} (S&P 500 closes, "
                f"{state}; options priced by the model; windows overlap)")

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
            "costs": self.costs.model_dump(), "vol_events": self.vol_events.model_dump(),
            "path": self.path.model_dump(mode="json"),
            "windows": None if self.history is None else [
                str(self.history.dates[0]), str(self.history.dates[-1]),
                self.history.starts.tolist()],
            "market_data": self.market_data},
            sort_keys=True, default=str)
        return hashlib.sha256(payload.encode()).hexdigest()[:24]


# the shipped market files (simulator/data/market) a history run reads: closes (S&P 500, VIX),
# the curve points that fit each day's two-factor state (VIX3M, VIX6M, VX contracts), and the
# listed VX contracts whose expiries and settlements the trades use
HISTORY_MARKET_FILES = ("spx_daily", "vix_daily", "vix3m_daily", "vix6m_daily",
                        "vix_futures_contracts_cboe")


def market_digests(names=HISTORY_MARKET_FILES) -> dict[str, str]:
    """SHA-256 of each shipped market file in ``names`` (those present), from the bytes on
    disk now."""
    from importlib import resources

    folder = resources.files("simulator.data.market")
    out = {}
    for name in names:
        path = folder / f"{name}.csv"
        if path.is_file():
            out[f"{name}.csv"] = hashlib.sha256(path.read_bytes()).hexdigest()
    return out


def scenario_stream(name: str) -> int:
    """The random stream of a scenario: a function of its name (docs/design.md §5: draws depend on
    seed, scenario, path, day, slot), so adding or reordering scenarios changes no paths."""
    return zlib.crc32(name.encode())




def expanded(plan: RunPlan) -> dict:
    """The plan as plain data, every preset and sweep resolved (``alvh validate --show``)."""
    return {
        "name": plan.name, "description": plan.description,
        "simulation": plan.simulation.model_dump(mode="json"),
        "path": plan.path.model_dump(mode="json", exclude_none=True),
        "scenarios": {sc.name: {"description": sc.description, "model": sc.model.to_dict(),
                                "shocks": [vars(x) for x in sc.shocks],
                                "regimes": [{"start_day": r.start_day, "end_day": r.end_day,
                                             "P": r.P.to_dict()} for r in sc.regimes]}
                      for sc in plan.scenarios},
        "costs": plan.costs.model_dump(mode="json"),
        "vol_events": plan.vol_events.model_dump(mode="json"),
        "strategies": {k: v.model_dump(mode="json") for k, v in plan.strategies.items()},
    }
