"""Per-path metrics of daily equity curves (docs/design.md §4). Arrays: (..., day), equity > 0.

* ``max_drawdown``: largest peak-to-trough fall, a positive fraction of the peak (the
  account); ``max_drawdown_points``: the same fall in the curve's own units, not divided by
  the peak (the trading book, whose drawdowns are read in units of risk capital).
* ``recovery_days``: trading days from the peak of that largest drawdown (the first day that
  peak value is reached) until the first day *after its trough* on which equity is back at or
  above that peak; NaN if it never is within the horizon; 0 when there is no drawdown
  (``absolute=True``: the largest drawdown in points, as ``max_drawdown_points``).
* ``monthly_returns``: returns over consecutive 21-trading-day months (full months only).
* ``compound_annual_return``: ``(1 + total)^(252 / days) - 1``, the account's rate;
  ``annual_pnl``: a total P&L over cash divided by the years, not compounded (the trading
  book's "P&L per year", the summary's ``annualised_return`` column).
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from simulator.common.conventions import MONTH_TRADING_DAYS, years_of


def total_return(equity: np.ndarray) -> np.ndarray:
    return equity[..., -1] / equity[..., 0] - 1.0


def compound_annual_return(equity: np.ndarray) -> np.ndarray:
    """The compound annual rate of each curve over its length."""
    return annualise(total_return(equity), years_of(equity.shape[-1] - 1))


def annual_pnl(total_pnl, years: float):
    """A total P&L (fraction of starting equity) as P&L per year, not compounded: the trading
    book's P&L is over cash and adds up, tranche by tranche, instead of compounding."""
    return total_pnl / years


def annualise(total: np.ndarray, years: float) -> np.ndarray:
    """A total return over ``years`` as a compound annual rate."""
    return (1.0 + total) ** (1.0 / years) - 1.0


def run_years(cube) -> float:
    """Length of a cube's run in years (its ``day`` axis counts day 0)."""
    return years_of(cube.sizes["day"] - 1)


def max_drawdown(equity: np.ndarray) -> np.ndarray:
    peak = np.maximum.accumulate(equity, axis=-1)
    return (1.0 - equity / peak).max(axis=-1)


def max_drawdown_points(values: np.ndarray) -> np.ndarray:
    peak = np.maximum.accumulate(values, axis=-1)
    return (peak - values).max(axis=-1)


@njit(cache=True, parallel=True)
def _recovery(equity, absolute, out, worst_out, peak_out, trough_out):
    for i in prange(equity.shape[0]):
        e = equity[i]
        peak_value = e[0]
        peak_day = 0
        worst = 0.0
        worst_peak_day = 0
        worst_peak_value = e[0]
        worst_day = 0  # the trough: the first day the largest drawdown is reached
        for d in range(1, e.size):
            if e[d] > peak_value:
                peak_value = e[d]
                peak_day = d
            dd = peak_value - e[d] if absolute else 1.0 - e[d] / peak_value
            if dd > worst:
                worst = dd
                worst_peak_day = peak_day
                worst_peak_value = peak_value
                worst_day = d
        worst_out[i] = worst
        peak_out[i] = worst_peak_day
        trough_out[i] = worst_day
        if worst == 0.0:
            out[i] = 0.0
            continue
        out[i] = np.nan
        # Recovery is searched only after the trough: a book that sits flat at its peak
        # between the peak and the fall has not "recovered" on those flat days (issue 32).
        for d in range(worst_day + 1, e.size):
            if e[d] >= worst_peak_value:
                out[i] = d - worst_peak_day
                break


def recovery_days(equity: np.ndarray, absolute: bool = False) -> np.ndarray:
    return drawdown_and_recovery(equity, absolute)[1]


def drawdown_and_recovery(equity: np.ndarray, absolute: bool = False):
    """(max drawdown, recovery days) in one pass over each curve: the drawdown as
    ``max_drawdown`` (or ``max_drawdown_points`` with ``absolute``), the recovery as
    ``recovery_days``."""
    worst, days, _, _ = drawdown_episode(equity, absolute)
    return worst, days


def drawdown_episode(equity: np.ndarray, absolute: bool = False):
    """(max drawdown, recovery days, peak day, trough day) of each curve: the largest drawdown
    and its recovery as :func:`drawdown_and_recovery`, the day its peak is first reached and
    the first day its trough is (both 0 when there is no drawdown; integer arrays)."""
    flat = np.ascontiguousarray(equity, dtype=float).reshape(-1, equity.shape[-1])
    out = np.empty(flat.shape[0])
    worst = np.empty(flat.shape[0])
    peak = np.empty(flat.shape[0], dtype=np.int64)
    trough = np.empty(flat.shape[0], dtype=np.int64)
    _recovery(flat, absolute, out, worst, peak, trough)
    shape = equity.shape[:-1]
    return worst.reshape(shape), out.reshape(shape), peak.reshape(shape), trough.reshape(shape)


def monthly_returns(equity: np.ndarray, month_days: int = MONTH_TRADING_DAYS) -> np.ndarray:
    n_months = (equity.shape[-1] - 1) // month_days
    ends = equity[..., month_days * np.arange(n_months + 1)]
    return ends[..., 1:] / ends[..., :-1] - 1.0


def cvar(values: np.ndarray, level: float = 0.95, axis: int = -1) -> np.ndarray:
    """Mean of the worst (1 - level) share of ``values`` (lower tail; a loss is negative)."""
    v = np.sort(values, axis=axis)
    k = max(int(np.ceil((1.0 - level) * v.shape[axis] - 1e-9)), 1)  # 0.05 * 100 is 5, not 6
    return np.take(v, np.arange(k), axis=axis).mean(axis=axis)
