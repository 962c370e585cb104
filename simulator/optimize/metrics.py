"""The optimiser's metrics: ``NAME@SCENARIO`` strings, computed from a results cube.

Each metric is a small function of the cube's per-path variables (:data:`CUBE_VARIABLES`
names the ones read), so that a renamed cube variable is a one-line change here. Every figure
is of the **trading book** (the account less the interest on idle cash, docs/design.md §4) of
the searched design ``h`` and, for paired metrics, of ``unhedged`` ``u`` on the same paths
(common random numbers):

==============================  ============================================================
``drag``                        mean annual trading P&L of u minus that of h: a fraction of
                                starting equity per year (0.01 = 1 %/yr given up)
``annualised_return``           mean annual trading P&L of h, fraction of equity per year
``hedge_premium``               mean VIX-call premium paid per year, fraction of equity/yr
``trading_max_drawdown.STAT``   STAT of h's trading-book max drawdown over paths, in units
                                of **risk capital** (the baseline condor's
                                ``risk_per_tranche`` x starting equity; 1.0 = one tranche's
                                risk), STAT ``mean``, ``median`` or ``pNN`` (``p95``)
``drawdown_cut.STAT``           1 - STAT(h) / STAT(u) of the same drawdowns (0.3 = the hedge
                                cuts that drawdown by 30 %; negative: makes it larger)
==============================  ============================================================

The summary table (:mod:`simulator.results.summary`) reports ``drag`` and
``drawdown_reduction_median/_p95`` with the same definitions; the optimiser computes its own
so that it needs neither the whole summary nor its column names.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

# the cube's variables the metrics read (docs/design.md §4); a rename is a change here only
CUBE_VARIABLES = {"pnl": "trading_return", "drawdown": "trading_max_drawdown",
                  "premium": "hedge_premium"}
METRIC_NAMES = ("drag", "annualised_return", "hedge_premium", "trading_max_drawdown",
                "drawdown_cut")
_WITH_STAT = ("trading_max_drawdown", "drawdown_cut")
# the values a metric can take at all: a constraint outside them has no feasible design
NATURAL_RANGE = {"drag": (-np.inf, np.inf), "annualised_return": (-np.inf, np.inf),
                 "hedge_premium": (0.0, np.inf), "trading_max_drawdown": (0.0, np.inf),
                 "drawdown_cut": (-np.inf, 1.0)}
UNITS = {"drag": "fraction of equity per year", "annualised_return":
         "fraction of equity per year", "hedge_premium": "fraction of equity per year",
         "trading_max_drawdown": "risk capital (one tranche's risk_per_tranche)",
         "drawdown_cut": "fraction of the unhedged drawdown"}
N_BOOT = 200  # resamples per trial CI: a trial's CI only draws the figure's bars
LEVEL = 0.95


@dataclass(frozen=True)
class Metric:
    """``name[.stat]@scenario``; ``stat`` None, ``mean``, ``median`` or a quantile ``q``."""

    text: str
    name: str
    stat: str | None
    scenario: str

    @property
    def q(self) -> float | None:
        return int(self.stat[1:]) / 100 if self.stat and self.stat.startswith("p") else None

    @property
    def units(self) -> str:
        return UNITS[self.name]

    def words(self) -> str:
        stat = {"median": "median", "mean": "mean", None: ""}.get(
            self.stat, f"{self.stat[1:]}th-percentile" if self.stat else "")
        what = {"drag": "drag", "annualised_return": "trading P&L per year",
                "hedge_premium": "hedge premium per year",
                "trading_max_drawdown": f"{stat} max drawdown (risk capital)",
                "drawdown_cut": f"cut of the {stat} max drawdown"}[self.name]
        return f"{what}, {self.scenario}"


def parse_metric(text: str) -> Metric:
    """``trading_max_drawdown.p95@crash`` -> Metric; ValueError naming what is allowed."""
    allowed = ("allowed: drag, annualised_return, hedge_premium, "
               "trading_max_drawdown.{mean,median,pNN}, drawdown_cut.{mean,median,pNN}, "
               "each @SCENARIO")
    if not isinstance(text, str) or text.count("@") != 1:
        raise ValueError(f"{text!r}: a metric is NAME@SCENARIO; {allowed}")
    head, scenario = text.split("@")
    name, _, stat = head.partition(".")
    if name not in METRIC_NAMES or not scenario:
        raise ValueError(f"unknown metric {head!r}; {allowed}")
    if name in _WITH_STAT:
        if not re.fullmatch(r"mean|median|p(0?[1-9]|[1-9][0-9])", stat):
            raise ValueError(f"{text!r}: {name} needs a statistic: .mean, .median or .pNN "
                             "(01-99)")
    elif stat:
        raise ValueError(f"{text!r}: {name} takes no statistic")
    return Metric(text, name, stat or None, scenario)


_CONDITION = re.compile(r"\s*(<=|>=|<|>)\s*([-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?)\s*(%?)\s*")


def parse_condition(text: str) -> list[tuple[str, float]]:
    """``"<= 0.01"``, ``"<= 1 %"``, ``">= 0.002, <= 0.01"`` -> [(op, bound), ...]."""
    if not isinstance(text, str) or not text.strip():
        raise ValueError(f"{text!r}: a condition is OP NUMBER with OP <=, >=, < or >, "
                         "e.g. \"<= 0.01\"; several comma-separated")
    out = []
    for part in text.split(","):
        match = _CONDITION.fullmatch(part)
        if match is None:
            raise ValueError(f"{part.strip()!r}: a condition is OP NUMBER with OP <=, >=, < "
                             "or >, e.g. \"<= 0.01\" or \"<= 1 %\"")
        bound = float(match.group(2)) / (100.0 if match.group(5) else 1.0)
        out.append((match.group(1), bound))
    return out


def feasible_interval(metric: Metric, conditions) -> tuple[float, float, bool, bool] | None:
    """The values the conditions and the metric's natural range leave (low, high, low open,
    high open), or None when they leave none: a constraint set no design can meet."""
    low, high = NATURAL_RANGE[metric.name]
    low_open = high_open = False
    for op, bound in conditions:
        if op in ("<=", "<") and (bound < high or (bound == high and op == "<")):
            high, high_open = bound, op == "<"
        elif op in (">=", ">") and (bound > low or (bound == low and op == ">")):
            low, low_open = bound, op == ">"
    if low > high or (low == high and (low_open or high_open)):
        return None
    return low, high, low_open, high_open


def violation(value: float, conditions) -> float:
    """How far ``value`` is outside the conditions (0: met); Optuna's constraint values are
    feasible at <= 0."""
    worst = 0.0
    for op, bound in conditions:
        excess = value - bound if op in ("<=", "<") else bound - value
        if op in ("<", ">") and excess == 0.0:
            excess = 1e-12
        worst = max(worst, excess)
    return worst


# ---- from the cube -------------------------------------------------------------------------

def books(cube, scenario: str, strategies, baseline: str = "unhedged") -> dict:
    """Per-path arrays of each strategy (and the baseline) in ``scenario``: P&L per year,
    drawdown in risk capital, premium per year."""
    from simulator.results.metrics import annual_pnl, run_years
    from simulator.results.units import drawdown_unit

    years = run_years(cube)
    risk = drawdown_unit(cube, baseline)
    out = {}
    for name in dict.fromkeys([baseline, *strategies]):
        sel = cube.sel(scenario=scenario, strategy=name)
        out[name] = {"pnl": annual_pnl(sel[CUBE_VARIABLES["pnl"]].values, years),
                     "drawdown": sel[CUBE_VARIABLES["drawdown"]].values / risk,
                     "premium": sel[CUBE_VARIABLES["premium"]].values / years}
    return out


def _stat(x: np.ndarray, stat: str) -> np.ndarray:
    if stat == "mean":
        return x.mean(-1)
    if stat == "median":
        return np.median(x, -1)
    return np.quantile(x, int(stat[1:]) / 100, axis=-1)


def value(metric: Metric, h: dict, u: dict):
    """The metric of design book ``h`` against baseline book ``u`` (arrays with paths on the
    last axis, resamples on a leading one if any)."""
    if metric.name == "drag":
        return u["pnl"].mean(-1) - h["pnl"].mean(-1)
    if metric.name == "annualised_return":
        return h["pnl"].mean(-1)
    if metric.name == "hedge_premium":
        return h["premium"].mean(-1)
    if metric.name == "trading_max_drawdown":
        return _stat(h["drawdown"], metric.stat)
    with np.errstate(divide="ignore", invalid="ignore"):
        return 1.0 - _stat(h["drawdown"], metric.stat) / _stat(u["drawdown"], metric.stat)


def evaluate(cube, metrics, strategies, *, baseline: str = "unhedged", n_boot: int = N_BOOT,
             seed: int = 0, block: int = 1) -> dict[str, dict[str, tuple[float, float, float]]]:
    """{strategy: {metric text: (estimate, CI low, CI high)}}: a percentile bootstrap over
    whole paths (moving blocks of ``block`` paths for overlapping windows of history), the
    same resamples for every strategy so the pairing with the baseline is kept."""
    from simulator.results.stats import interval, resample_blocks

    out: dict[str, dict] = {s: {} for s in strategies}
    by_scenario: dict[str, list] = {}
    for m in metrics:
        by_scenario.setdefault(m.scenario, []).append(m)
    for si, (scenario, group) in enumerate(by_scenario.items()):
        bk = books(cube, scenario, strategies, baseline)
        n = bk[baseline]["pnl"].size
        idx = np.concatenate(list(resample_blocks(n, n_boot, [seed, si], block)))
        for s in strategies:
            h, u = bk[s], bk[baseline]
            hb = {k: v[idx] for k, v in h.items()}
            ub = {k: v[idx] for k, v in u.items()}
            for m in group:
                est = float(value(m, h, u))
                if n < 2:
                    out[s][m.text] = (est, np.nan, np.nan)
                    continue
                out[s][m.text] = interval(est, np.asarray(value(m, hb, ub), float), LEVEL)
    return out
