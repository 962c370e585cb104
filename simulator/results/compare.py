"""``sim.compare(cube_a, cube_b)``: the headline figures of two runs on the same paths, side by
side, with paired bootstrap CIs of their differences.

Two cubes are comparable when they were run on the same paths: the same seed, number of paths
and days, and, for each scenario both hold, the same path (every path's S&P 500 return and
highest VIX agree exactly). Then a strategy's figures differ only through what changed between
the runs (costs, a rule, a code version), and resampling whole paths of both cubes together
keeps the pairing: the CI of the difference is far narrower than either figure's own
(common random numbers).

>>> diff = sim.compare(sim.open_cube("a.nc"), sim.open_cube("b.nc"))   # doctest: +SKIP
>>> diff.loc[("crash", "alvh")]                                         # doctest: +SKIP
"""

from __future__ import annotations

import numpy as np

from simulator.results.metrics import annual_pnl, cvar, run_years
from simulator.results.stats import bootstrap_many

# the headline figures of a strategy's trading book (fractions of starting equity)
METRICS = {
    "annualised_return": "mean trading-book P&L per year",
    "max_drawdown_median": "median max drawdown of the trading book",
    "max_drawdown_p95": "95th-percentile max drawdown of the trading book",
    "cvar95_total_return": "mean of the worst 5 % of trading-book P&L over the run",
    "hedge_premium_per_year": "mean premium paid for VIX calls per year",
}


class NotComparableError(ValueError):
    """The two cubes were not run on the same paths."""


def _check(a, b) -> list[str]:
    """The scenarios both cubes hold, after checking they share their paths."""
    why = []
    for attr in ("seed", "n_days", "path_source"):
        va, vb = a.attrs.get(attr), b.attrs.get(attr)
        if str(va) != str(vb):
            why.append(f"{attr} {va} against {vb}")
    if a.sizes["path"] != b.sizes["path"]:
        why.append(f"{a.sizes['path']:,} paths against {b.sizes['path']:,}")
    if why:
        raise NotComparableError("the cubes were not run on the same paths: "
                                 + "; ".join(why) + " (compare runs with the same seed, "
                                 "paths and days)")
    scenarios = [s for s in a.scenario.values if s in set(b.scenario.values)]
    if not scenarios:
        raise NotComparableError(f"no scenario in common: {list(a.scenario.values)} against "
                                 f"{list(b.scenario.values)}")
    for s in scenarios:
        for name in ("spx_return", "vix_max"):
            x, y = a[name].sel(scenario=s).values, b[name].sel(scenario=s).values
            if not np.array_equal(x, y, equal_nan=True):
                first = int(np.flatnonzero(~((x == y) | (np.isnan(x) & np.isnan(y))))[0])
                raise NotComparableError(
                    f"scenario {s}: the paths differ ({name} of path {first}: {x[first]:.6g} "
                    f"against {y[first]:.6g}); its model, shocks or regimes changed between "
                    "the runs, so the same seed gave other paths")
    return [str(s) for s in scenarios]


def _figures(cube, scenario, strategy) -> dict[str, np.ndarray]:
    sel = cube.sel(scenario=scenario, strategy=strategy)
    years = run_years(cube)
    return {"pnl": annual_pnl(sel.trading_return.values, years),
            "total": sel.trading_return.values,
            "dd": sel.trading_max_drawdown.values,
            "premium": sel.hedge_premium.values / years}


_STATISTICS = {
    "annualised_return": lambda book: np.mean(book["pnl"], axis=-1),
    "max_drawdown_median": lambda book: np.median(book["dd"], axis=-1),
    "max_drawdown_p95": lambda book: np.quantile(book["dd"], 0.95, axis=-1),
    "cvar95_total_return": lambda book: cvar(book["total"], 0.95, axis=-1),
    "hedge_premium_per_year": lambda book: np.mean(book["premium"], axis=-1),
}


def compare(cube_a, cube_b, *, n_boot: int = 1000, level: float = 0.95, seed: int = 0):
    """Per (scenario, strategy, metric) of the strategies and scenarios both cubes hold: the
    figure in ``cube_a`` and in ``cube_b``, ``difference`` = b - a and its paired bootstrap
    CI (``difference_lo``, ``difference_hi``; whole paths of both cubes resampled together).
    Fractions of starting equity (drawdowns too, not risk capital, whose unit may differ
    between the runs). Raises :class:`NotComparableError` (a ValueError) saying what differs
    when the cubes were not run on the same paths."""
    import pandas as pd

    scenarios = _check(cube_a, cube_b)
    strategies = [s for s in cube_a.strategy.values if s in set(cube_b.strategy.values)]
    if not strategies:
        raise NotComparableError(f"no strategy in common: {list(cube_a.strategy.values)} "
                                 f"against {list(cube_b.strategy.values)}")
    stats = {}
    for name, fn in _STATISTICS.items():
        stats[f"{name}:a"] = (lambda f: lambda d: f(d["a"]))(fn)
        stats[f"{name}:b"] = (lambda f: lambda d: f(d["b"]))(fn)
        stats[f"{name}:diff"] = (lambda f: lambda d: f(d["b"]) - f(d["a"]))(fn)
    rows = []
    for scenario in scenarios:
        for strategy in (str(s) for s in strategies):
            data = {"a": _figures(cube_a, scenario, strategy),
                    "b": _figures(cube_b, scenario, strategy)}
            out = bootstrap_many(stats, data, n_boot=n_boot, seed=seed, level=level,
                                 vectorized=True)
            for name in METRICS:
                diff = out[f"{name}:diff"]
                rows.append({"scenario": scenario, "strategy": strategy, "metric": name,
                             "a": out[f"{name}:a"][0], "b": out[f"{name}:b"][0],
                             "difference": diff[0], "difference_lo": diff[1],
                             "difference_hi": diff[2]})
    table = pd.DataFrame(rows).set_index(["scenario", "strategy", "metric"])
    table.attrs.update({"level": level, "n_boot": n_boot, "units": "fraction of starting "
                        "equity (per year where the metric says so)",
                        "metrics": METRICS, "pairing": "whole paths of both cubes resampled "
                                                      "together (the same paths)"})
    return table


__all__ = ["METRICS", "NotComparableError", "compare"]
