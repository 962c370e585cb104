"""The results cube (DESIGN §4): per-chunk records, assembly into one xarray.Dataset, NetCDF I/O.

Variables (fractions of starting equity unless said otherwise; equity starts at 1.0):

=================  =====================================  =====================================
name               dims                                   meaning
=================  =====================================  =====================================
max_drawdown       scenario, strategy, path               largest peak-to-trough fall, > 0
recovery_days      scenario, strategy, path               trading days, peak of that drawdown
                                                          to a new high; NaN if never
total_return       scenario, strategy, path               equity[last] / equity[0] - 1
monthly_return     scenario, strategy, path, month        21-trading-day months
equity_q           scenario, strategy, quantile, day      quantiles of equity over paths
layer_pnl          scenario, strategy, layer, path        VIX layer P&L incl. its costs
hedge_premium      scenario, strategy, path               premium paid for VIX calls
condor_pnl         scenario, strategy, path               condor P&L before costs
spx_costs          scenario, strategy, path               SPX commissions and half-spreads
interest           scenario, strategy, path               interest earned on cash
trades_per_path    scenario, strategy, event              mean count of each trade event
spx_return         scenario, path                         SPX total return of the path
vix_max            scenario, path                         highest VIX close of the path
vix_month_start    scenario, path, month                  VIX at the start of each month
vix_spike_day      scenario, path                         day of the largest one-day VIX rise
vix_spike_points   scenario, path                         that rise, VIX points
event_return       scenario, strategy, path, lag          equity on spike day + lag / equity
                                                          the day before the spike - 1
break_even_days    scenario, strategy, path               trading days from the spike until
                                                          equity is back at its pre-spike
                                                          level (0: never below; NaN: not
                                                          within the horizon)
=================  =====================================  =====================================

The event window (``lag`` = -5 .. 20 trading days around each path's largest one-day VIX rise)
supports the event study of ``alvh report``: the unhedged book is the condor alone, and the
difference hedged - unhedged on the same path is what the hedge added.

``total_return = condor_pnl + sum(layer_pnl) + spx_costs + interest`` on every path.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

import numpy as np

from simulator.results import metrics

LAYERS = ("front", "middle", "tail")
PER_PATH = ("max_drawdown", "recovery_days", "total_return", "hedge_premium", "condor_pnl",
            "spx_costs", "interest", "break_even_days")
NETCDF_ENGINE = "h5netcdf"
EVENT_LAGS = np.arange(-5, 21)

_ATTRS = {
    "max_drawdown": ("maximum drawdown of daily equity", "fraction of the running peak"),
    "recovery_days": ("trading days from the peak of the largest drawdown back to that peak "
                      "(NaN: not within the horizon; 0: no drawdown)", "trading days"),
    "total_return": ("total return, equity[last] / equity[0] - 1", "fraction"),
    "monthly_return": ("return over each 21-trading-day month", "fraction"),
    "equity_q": ("quantiles over paths of daily equity (1.0 at the start)",
                 "fraction of starting equity"),
    "layer_pnl": ("P&L of each VIX call layer: premium paid, sale and settlement proceeds, "
                  "commissions and half-spreads", "fraction of starting equity"),
    "hedge_premium": ("premium paid for VIX calls over the run (before costs)",
                      "fraction of starting equity"),
    "condor_pnl": ("iron condor P&L: credits, buy-backs and settlements, before costs",
                   "fraction of starting equity"),
    "spx_costs": ("SPX option commissions and half-spreads (negative)",
                  "fraction of starting equity"),
    "interest": ("interest earned on cash at r", "fraction of starting equity"),
    "trades_per_path": ("mean number of each trade event per path", "count"),
    "spx_return": ("SPX total return of the path, spx[last] / spx[0] - 1", "fraction"),
    "vix_max": ("highest daily VIX of the path", "VIX index points"),
    "vix_month_start": ("VIX at the close of the day each 21-trading-day month starts "
                        "(condition monthly_return on the volatility regime)",
                        "VIX index points"),
    "vix_spike_day": ("trading day of the path's largest one-day VIX rise", "trading days"),
    "vix_spike_points": ("the path's largest one-day VIX rise", "VIX index points"),
    "event_return": ("equity on (spike day + lag) / equity on the day before the spike - 1 "
                     "(NaN outside the horizon)", "fraction"),
    "break_even_days": ("trading days from the spike day until equity is back at its level of "
                        "the day before (0: never below it; NaN: not within the horizon)",
                        "trading days"),
}


def event_window(equity: np.ndarray, vix: np.ndarray):
    """Per path: the day of the largest one-day VIX rise, its size, the equity of every
    strategy around it relative to the day before, and the days to break even.

    ``equity`` (strategy, path, day), ``vix`` (path, day). Returns (spike_day, spike_points,
    event_return (strategy, path, lag) float32, break_even_days (strategy, path))."""
    _, n_paths, n_cols = equity.shape
    rise = np.diff(vix, axis=1)
    spike_day = rise.argmax(axis=1) + 1  # the close at which VIX is up the most
    rows = np.arange(n_paths)
    spike_points = rise[rows, spike_day - 1]
    before = equity[:, rows, spike_day - 1]  # (strategy, path)
    days = spike_day[:, None] + EVENT_LAGS[None, :]
    inside = (days >= 0) & (days < n_cols)
    window = equity[:, rows[:, None], np.clip(days, 0, n_cols - 1)]
    event = np.where(inside[None], window / before[:, :, None] - 1.0, np.nan)
    after = np.arange(n_cols)[None, :] >= spike_day[:, None]  # (path, day)
    back = (equity >= before[:, :, None] * (1.0 - 1e-12)) & after[None]
    first = np.where(back.any(axis=2), back.argmax(axis=2), -1)
    break_even = np.where(first >= 0, first - spike_day[None, :], np.nan).astype(float)
    return spike_day, spike_points, event.astype(np.float32), break_even


def chunk_record(result, spx: np.ndarray, vix: np.ndarray) -> tuple[dict, np.ndarray]:
    """Per-path metrics of one evaluated chunk, and its equity as float32 (for quantiles)."""
    from simulator.strategy.engine import PNL_NAMES

    eq = result.equity  # (strategy, path, day)
    pnl = result.pnl

    def bucket(name):
        return pnl[:, :, PNL_NAMES.index(name)]

    rec = {
        "max_drawdown": metrics.max_drawdown(eq),
        "recovery_days": metrics.recovery_days(eq),
        "total_return": metrics.total_return(eq),
        "monthly_return": metrics.monthly_returns(eq),
        "layer_pnl": np.stack([bucket(f"layer_{k}") + bucket(f"vix_costs_{k}")
                               for k in LAYERS], axis=1),  # (strategy, layer, path)
        "hedge_premium": bucket("hedge_premium"),
        "condor_pnl": bucket("condor"),
        "spx_costs": bucket("spx_costs"),
        "interest": bucket("interest"),
        "trade_counts": result.counts.sum(axis=1),  # (strategy, event), summed over paths
        "spx_return": spx[:, -1] / spx[:, 0] - 1.0,
        "vix_max": vix.max(axis=1),
        "vix_month_start": vix[:, metrics.MONTH_DAYS * np.arange(
            (vix.shape[1] - 1) // metrics.MONTH_DAYS)],
    }
    (rec["vix_spike_day"], rec["vix_spike_points"], rec["event_return"],
     rec["break_even_days"]) = event_window(eq, vix)
    return rec, eq.astype(np.float32)


def equity_quantiles(equity_parts: list[np.ndarray], quantiles, memory_bytes=256 * 2**20):
    """(strategy, quantile, day) quantiles over the paths of all parts (each (strategy, path,
    day), e.g. memory-mapped checkpoint files), a block of days at a time so that memory stays
    bounded whatever the number of paths."""
    n_strat, _, n_cols = equity_parts[0].shape
    n_paths = sum(p.shape[1] for p in equity_parts)
    block = max(1, min(n_cols, memory_bytes // (8 * max(n_paths, 1))))
    out = np.empty((n_strat, len(quantiles), n_cols))
    for k in range(n_strat):
        for d0 in range(0, n_cols, block):
            d1 = min(n_cols, d0 + block)
            values = np.concatenate([np.asarray(p[k, :, d0:d1], dtype=np.float64)
                                     for p in equity_parts], axis=0)
            out[k, :, d0:d1] = np.quantile(values, quantiles, axis=0)
    return out


def assemble(plan, records: list[list[dict]], equity_q: list[np.ndarray]):
    """The cube from per-scenario lists of chunk records and (strategy, quantile, day) arrays."""
    import xarray as xr

    from simulator import __version__
    from simulator.pricing.tables import TABLE_VERSION, TableGrid
    from simulator.strategy.engine import COUNT_NAMES

    n_paths = plan.n_paths
    n_days = plan.n_days
    strategies = list(plan.strategies)

    def cat(name, axis):
        return np.stack([np.concatenate([r[name] for r in recs], axis=axis)
                         for recs in records])

    data = {name: (("scenario", "strategy", "path"), cat(name, 1)) for name in PER_PATH}
    data["monthly_return"] = (("scenario", "strategy", "path", "month"),
                              cat("monthly_return", 1))
    data["layer_pnl"] = (("scenario", "strategy", "layer", "path"), cat("layer_pnl", 2))
    data["equity_q"] = (("scenario", "strategy", "quantile", "day"), np.stack(equity_q))
    counts = np.stack([sum(r["trade_counts"] for r in recs) for recs in records])
    data["trades_per_path"] = (("scenario", "strategy", "event"), counts / n_paths)
    data["spx_return"] = (("scenario", "path"), cat("spx_return", 0))
    data["vix_max"] = (("scenario", "path"), cat("vix_max", 0))
    data["vix_month_start"] = (("scenario", "path", "month"), cat("vix_month_start", 0))
    data["vix_spike_day"] = (("scenario", "path"), cat("vix_spike_day", 0))
    data["vix_spike_points"] = (("scenario", "path"), cat("vix_spike_points", 0))
    data["event_return"] = (("scenario", "strategy", "path", "lag"), cat("event_return", 1))
    data = {k: (dims, values, {"long_name": _ATTRS[k][0], "units": _ATTRS[k][1]})
            for k, (dims, values) in data.items()}

    n_months = data["monthly_return"][1].shape[-1]
    coords = {
        "scenario": ("scenario", [s.name for s in plan.scenarios]),
        "strategy": ("strategy", strategies),
        "path": ("path", np.arange(n_paths), {"long_name": "path index (same paths for every "
                                                           "strategy of a scenario)"}),
        "day": ("day", np.arange(n_days + 1), {"long_name": "trading day, 0 = start",
                                               "units": "days (1/252 year)"}),
        "quantile": ("quantile", np.asarray(plan.simulation.quantiles, dtype=float)),
        "month": ("month", np.arange(1, n_months + 1),
                  {"long_name": "21-trading-day month"}),
        "layer": ("layer", list(LAYERS)),
        "event": ("event", list(COUNT_NAMES)),
        "lag": ("lag", EVENT_LAGS, {"long_name": "trading days from the path's largest "
                                                 "one-day VIX rise"}),
    }
    for name, values in plan.sweep_coords.items():
        coords[name] = ("strategy", values, {"long_name": f"swept value of {name}"})

    grid = TableGrid()
    seed = plan.seed
    attrs = {
        "title": f"ALVH simulator results: {plan.name}",
        "scenario_name": plan.name,
        "description": plan.description,
        "scenario_file": plan.source,
        "scenario_text": plan.text,
        "seed": seed if seed < 2**63 else str(seed),
        "n_paths": n_paths,
        "n_days": n_days,
        "capital_usd": plan.simulation.capital,
        "package": "alvh-simulator",
        "package_version": __version__,
        "baseline": "unhedged",
        "model_parameters": json.dumps({s.name: s.model.to_dict() for s in plan.scenarios},
                                       sort_keys=True),
        "model_preset": json.dumps({s.name: s.model.name for s in plan.scenarios}),
        "scenario_details": json.dumps({s.name: {
            "description": s.description, "stream": s.stream,
            "shocks": [vars(x) for x in s.shocks],
            "regimes": [{"start_day": r.start_day, "end_day": r.end_day,
                         "P": r.P.to_dict()} for r in s.regimes]} for s in plan.scenarios}),
        "strategies": json.dumps({k: v.model_dump(mode="json") for k, v
                                  in plan.strategies.items()}),
        "costs": json.dumps(plan.costs.model_dump(mode="json")),
        "table_grid": json.dumps(vars(grid), sort_keys=True),
        "table_version": TABLE_VERSION,
        "simulation": json.dumps(plan.simulation.model_dump(mode="json"), sort_keys=True),
        "conventions": "P paths, Q prices; 252 trading days a year; equity 1.0 at day 0; "
                       "DTE in calendar days; see DESIGN §4",
    }
    return xr.Dataset(data, coords=coords, attrs=attrs)


def write_cube(cube, path: str | Path) -> Path:
    """Write atomically: a temporary file in the same folder, renamed over ``path``."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        cube.to_netcdf(tmp, engine=NETCDF_ENGINE)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes it private; give it normal permissions
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def open_cube(path: str | Path):
    """Load a cube written by :func:`write_cube` (fully into memory; the file is closed)."""
    import xarray as xr

    with xr.open_dataset(path, engine=NETCDF_ENGINE) as ds:
        return ds.load()
