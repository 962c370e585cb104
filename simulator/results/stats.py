"""Paired statistics of a hedged strategy against ``unhedged`` on the same paths, with
percentile-bootstrap confidence intervals (resampling whole paths, both strategies together,
so the common random numbers keep their pairing).

Statistics (``h`` = hedged, ``u`` = unhedged, per-path arrays):

* ``drag``: mean annualised return of u minus that of h (> 0: the hedge costs return);
* ``drawdown_reduction_median`` / ``_p95``: 1 - quantile(max_drawdown h) / quantile(u);
* ``recovery_speedup``: 1 - median(recovery_days h) / median(u), over all paths (a path that
  never recovers counts as slower than any that does);
* ``cvar95_difference``: CVaR 95 % of total return, h minus u (> 0: a better worst 5 %).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from simulator.results.metrics import cvar

DEFAULT_BOOT = 1000


def _nan_last_median(x: np.ndarray, axis: int = -1) -> np.ndarray:
    """Median with NaN (never recovered) ranked above every number."""
    filled = np.where(np.isnan(x), np.inf, x)
    med = np.median(filled, axis=axis)
    return np.where(np.isinf(med), np.nan, med)


STATISTICS: dict[str, Callable] = {
    "drag": lambda h, u: u["annualised_return"].mean(-1) - h["annualised_return"].mean(-1),
    "drawdown_reduction_median": lambda h, u: 1.0 - np.median(h["max_drawdown"], -1)
    / np.median(u["max_drawdown"], -1),
    "drawdown_reduction_p95": lambda h, u: 1.0 - np.quantile(h["max_drawdown"], 0.95, -1)
    / np.quantile(u["max_drawdown"], 0.95, -1),
    "recovery_speedup": lambda h, u: 1.0 - _nan_last_median(h["recovery_days"])
    / _nan_last_median(u["recovery_days"]),
    "cvar95_difference": lambda h, u: cvar(h["total_return"]) - cvar(u["total_return"]),
}


def paired_bootstrap(hedged: dict[str, np.ndarray], unhedged: dict[str, np.ndarray],
                     statistic: str | Callable, n_boot: int = DEFAULT_BOOT, seed: int = 0,
                     level: float = 0.95) -> tuple[float, float, float]:
    """(estimate, CI low, CI high) of ``statistic`` by the percentile bootstrap over paths.

    ``hedged`` and ``unhedged`` map metric names to per-path arrays of equal length, row i of
    both being the same path.
    """
    fn = STATISTICS[statistic] if isinstance(statistic, str) else statistic
    n = len(next(iter(hedged.values())))
    estimate = float(fn(hedged, unhedged))
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, n, size=(n_boot, n))
    boot = fn({k: v[idx] for k, v in hedged.items()}, {k: v[idx] for k, v in unhedged.items()})
    alpha = (1.0 - level) / 2.0
    low, high = np.nanquantile(boot, [alpha, 1.0 - alpha])
    return estimate, float(low), float(high)
