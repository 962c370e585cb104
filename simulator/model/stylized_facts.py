"""Stylized facts of SPX/VIX, computed the same way from market data and from simulated paths.

Used to choose and check the ``svcj_default`` preset (docs/model.md §5 lists published values; the
Cboe/S&P files shipped in ``simulator/data/market`` reproduce them). Definitions:

- ``vix_mean``, ``vix_median``, ``vix_sd``, ``p_vix_above_20``, ``p_vix_above_40``: daily VIX
  closes.
- ``implied_minus_realised``: mean over days of VIX_t minus the realised volatility of the next
  21 trading days, ``100 sqrt(252/21 * sum r^2)`` with daily log returns r (vol points).
- ``share_implied_above_realised``: share of days on which VIX_t exceeds that realised vol.
- ``realised_vol_mean``: mean of the same 21-day realised vol (vol points).
- ``corr_return_dvix``: correlation of daily SPX log returns with daily VIX point changes.
- ``vix_log_change_vol``: annualised s.d. of daily log changes of VIX (the realised vol of VIX).
"""

from __future__ import annotations

import csv
from functools import cache
from importlib import resources

import numpy as np

from simulator.common.conventions import TRADING_DAYS_PER_YEAR

REALISED_WINDOW_DAYS = 21


def facts_from_closes(spx: np.ndarray, vix: np.ndarray) -> dict[str, float]:
    """Facts from aligned (..., day) arrays of SPX and VIX closes (paths on the first axes)."""
    spx = np.atleast_2d(spx)
    vix = np.atleast_2d(vix)
    r = np.diff(np.log(spx), axis=-1)
    n = r.shape[-1] - REALISED_WINDOW_DAYS + 1
    if n < 1:
        raise ValueError(f"need more than {REALISED_WINDOW_DAYS} days of returns")
    csum = np.concatenate([np.zeros((*r.shape[:-1], 1)), np.cumsum(r**2, axis=-1)], axis=-1)
    window = csum[..., REALISED_WINDOW_DAYS:] - csum[..., :-REALISED_WINDOW_DAYS]
    # rv[t]: days t+1 .. t+21
    rv = 100.0 * np.sqrt(TRADING_DAYS_PER_YEAR / REALISED_WINDOW_DAYS * window)
    gap = vix[..., :n] - rv[..., :n]
    dvix = np.diff(vix, axis=-1)
    return {
        "vix_mean": float(vix.mean()),
        "vix_median": float(np.median(vix)),
        "vix_sd": float(vix.std()),
        "p_vix_above_20": float((vix > 20).mean()),
        "p_vix_above_40": float((vix > 40).mean()),
        "implied_minus_realised": float(gap.mean()),
        "share_implied_above_realised": float((gap > 0).mean()),
        "realised_vol_mean": float(rv.mean()),
        "corr_return_dvix": float(np.corrcoef(r.ravel(), dvix.ravel())[0, 1]),
        "vix_log_change_vol": float(np.diff(np.log(vix), axis=-1).std()
                                    * np.sqrt(TRADING_DAYS_PER_YEAR)),
    }


def simulated_facts(paths) -> dict[str, float]:
    """Facts of a ``simulate_paths`` Dataset (pooled over paths and days)."""
    return facts_from_closes(paths["spx"].values, paths["vix"].values)


def load_market_series(name: str) -> dict[str, np.ndarray]:
    """A shipped market CSV as column arrays (:func:`_market_series`): a new dict each call,
    its arrays read-only (they are shared by every caller; a copy is one ``.copy()`` away)."""
    return dict(_market_series(name))


@cache
def _market_series(name: str) -> dict[str, np.ndarray]:
    """A shipped market CSV (see ``simulator/data/market/SOURCES.md``) as column arrays.

    Dates stay ISO strings; every other column is float (blank -> NaN).
    """
    path = resources.files("simulator.data.market") / f"{name}.csv"
    if not path.is_file():
        raise FileNotFoundError(f"no market data file {name}.csv in simulator/data/market")
    with path.open() as f:
        rows = list(csv.DictReader(f))
    out = {}
    for col in rows[0]:
        vals = [row[col] for row in rows]
        if col in ("date", "expiry") or col.endswith(("_expiry", "_source")):
            out[col] = np.array(vals)
        else:
            out[col] = np.array([float(x) if x else np.nan for x in vals])
    for values in out.values():
        values.flags.writeable = False
    return out


def market_facts(start: str = "1990-01-02", end: str = "9999-12-31") -> dict[str, float]:
    """Facts of Cboe VIX and S&P 500 closes on their common trading days in [start, end]."""
    vix = load_market_series("vix_daily")
    spx = load_market_series("spx_daily")
    common, iv, isx = np.intersect1d(vix["date"], spx["date"], return_indices=True)
    keep = (common >= start) & (common <= end)
    facts = facts_from_closes(spx["close"][isx][keep], vix["close"][iv][keep])
    fut = load_market_series("vix_futures_vx1_vx2")
    ok = ~np.isnan(fut["vx1"]) & ~np.isnan(fut["vx2"])
    ok &= (fut["date"] >= start) & (fut["date"] <= end)
    facts["share_vx2_above_vx1"] = float((fut["vx2"][ok] > fut["vx1"][ok]).mean())
    facts["mean_vx2_minus_vx1"] = float((fut["vx2"][ok] - fut["vx1"][ok]).mean())
    return facts
