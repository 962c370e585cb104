"""The results cube (docs/design.md §4): per-chunk records, assembly into one xarray.Dataset,
NetCDF I/O.

Variables (fractions of starting equity unless said otherwise; equity starts at 1.0):

Two books. The *account* is cash earning ``r`` plus the positions at mid (``equity``); the
*trading book* is the account less the interest earned so far: 1 + the options' P&L and costs.
About 97 % of the account is idle cash, so at r = 4 % interest adds about 1.6 tranches of risk
capital a year and hides the condor's losses; drawdowns "in % of risk capital" are therefore
read on the trading book (``trading_max_drawdown / risk_per_tranche``).

=====================  =================================  =====================================
name                   dims                               meaning
=====================  =================================  =====================================
max_drawdown           scenario, strategy, path           account: largest peak-to-trough
                                                          fall, fraction of the peak, > 0
recovery_days          scenario, strategy, path           account: trading days, peak of that
                                                          drawdown to a new high; NaN if never
total_return           scenario, strategy, path           account: equity[last] / equity[0] - 1
monthly_return         scenario, strategy, path, month    account, 21-trading-day months
trading_max_drawdown   scenario, strategy, path           trading book: largest fall from its
                                                          running peak, fraction of starting
                                                          equity
trading_recovery_days  scenario, strategy, path           trading book: days from the peak of
                                                          that fall back to it; NaN if never
trading_return         scenario, strategy, path           trading book P&L = total_return -
                                                          interest
trading_monthly_pnl    scenario, strategy, path, month    trading book P&L of each month
irr                    scenario, strategy, path           trading book: money-weighted return
                                                          a year (IRR of its daily cash flows
                                                          on the starting equity); NaN: none,
                                                          or not certified unique
                                                          (strategy.irr)
equity_q           scenario, strategy, quantile, day      quantiles of equity over paths
trading_q          scenario, strategy, quantile, day      trading book: its quantiles
layer_pnl          scenario, strategy, layer, path        VIX layer P&L incl. its costs
put_pnl            scenario, strategy, path               SPX put layers' P&L incl. costs
hedge_premium      scenario, strategy, path               premium paid for hedge options
condor_pnl         scenario, strategy, path               condor P&L before costs
spx_costs          scenario, strategy, path               SPX commissions and half-spreads
interest           scenario, strategy, path               interest earned on cash
trades_per_path    scenario, strategy, event              mean count of each trade event
spx_return         scenario, path                         SPX total return of the path
vix_max            scenario, path                         highest VIX close of the path
vix_month_start    scenario, path, month                  VIX at the start of each month
vvix_max           scenario, path                         highest VVIX close of the path
vvix_month_start   scenario, path, month                  VVIX at the start of each month
vix_spike_day      scenario, path                         day of the largest one-day VIX rise
vix_spike_points   scenario, path                         that rise, VIX points
event_return       scenario, strategy, path, lag          equity on spike day + lag / equity
                                                          the day before the spike - 1
vol_events         scenario, path                         number of vol events (rule below)
vol_event_start    scenario, path, vol_event              day of the pre-event VIX low
vol_event_peak     scenario, path, vol_event              day of the event's highest VIX
vol_event_end      scenario, path, vol_event              day VIX gave back the set share
vol_event_rise     scenario, path, vol_event              peak - low, VIX points
event_drawdown     scenario, strategy, path, vol_event    trading book: fall from its pre-event
                                                          peak (fraction of starting equity)
event_regain_days  scenario, strategy, path, vol_event    trading days from the event's start
                                                          to regain that peak (0: never below
                                                          it; NaN: not within the horizon)
event_hedge_pnl    scenario, strategy, path, vol_event    the VIX layers' P&L, start to end
event_own_drawdown scenario, strategy, path, vol_event    trading book: fall from its level on
                                                          the event's first day
event_breakeven_days scenario, strategy, path, vol_event  trading days from the event's start
                                                          back to that level after the event's
                                                          trough (0: never below; NaN: never)
event_parent       scenario, strategy, path, vol_event    aftershock of event number N (an
                                                          earlier event not yet broken even at
                                                          its start); 0: not an aftershock
=====================  =================================  =====================================

Vol events are defined by the scenario file's ``vol_events`` rule
(:mod:`simulator.results.events`; the rule is in the cube's attrs); the ``vol_event`` variables
are NaN past a path's last event. The event window (``lag`` = -5 .. 20 trading days around
each path's largest one-day VIX rise) supports the event study figure of ``alvh report``.

``total_return = condor_pnl + sum(layer_pnl) + put_pnl + spx_costs + interest + index_pnl``
on every path (``index_pnl`` is 0 but for strategies with a long S&P 500 core, ``put_pnl``
but for strategies with SPX put layers).
"""

from __future__ import annotations

import contextlib
import functools
import json
from pathlib import Path

import numpy as np

from simulator.common.conventions import BASELINE, LAYER_NAMES, MONTH_TRADING_DAYS
from simulator.common.files import atomic_path, remove_stale
from simulator.results import events as vol_events
from simulator.results import metrics

PER_PATH = ("max_drawdown", "recovery_days", "total_return", "trading_max_drawdown",
            "trading_recovery_days", "trading_return", "hedge_premium", "condor_pnl",
            "spx_costs", "interest", "index_pnl", "put_pnl", "irr")
PER_EVENT = ("event_drawdown", "event_regain_days", "event_hedge_pnl", "event_own_drawdown",
             "event_breakeven_days", "event_parent")
EVENT_DAYS = ("vol_event_start", "vol_event_peak", "vol_event_end", "vol_event_rise")
# Reads go through h5netcdf (h5py: lazy arrays, the checks of open_cube); writes through
# netCDF4-python (Unidata's netCDF-C), whose C layer writes the benchmark's 49-variable cube in
# 0.12-0.14 s against h5netcdf's 0.29-0.31 s (its Python layer looks up some 2,600 HDF5 objects
# a write) and a large cube as fast, to the same file on reading: same values, attributes,
# checksums, filters and blocks (issue 30; docs/performance.md §4)
NETCDF_ENGINE = "h5netcdf"
NETCDF_WRITER = "netcdf4"
EVENT_LAGS = np.arange(-5, 21)

_TRADING = ("trading book: the account less the interest earned on cash, i.e. 1 + the options' "
            "P&L and costs")
_ATTRS = {
    "max_drawdown": ("account (cash at r + positions): maximum drawdown of daily equity",
                     "fraction of the running peak"),
    "recovery_days": ("account: trading days from the peak of the largest drawdown back to "
                      "that peak (NaN: not within the horizon; 0: no drawdown)", "trading days"),
    "total_return": ("account: total return, equity[last] / equity[0] - 1", "fraction"),
    "monthly_return": ("account: return over each 21-trading-day month", "fraction"),
    "trading_max_drawdown": (f"{_TRADING}; its largest fall from the running peak (divide by "
                             "risk_per_tranche for units of risk capital)",
                             "fraction of starting equity"),
    "trading_recovery_days": (f"{_TRADING}; trading days from the peak of its largest fall "
                              "back to that peak (NaN: not within the horizon; 0: no fall)",
                              "trading days"),
    "trading_return": (f"{_TRADING}; P&L over the run = total_return - interest",
                       "fraction of starting equity"),
    "trading_monthly_pnl": (f"{_TRADING}; P&L of each 21-trading-day month",
                            "fraction of starting equity"),
    "irr": (f"{_TRADING}; its money-weighted return, the internal rate of return of its daily "
            "cash flows (starting equity in on day 0; each day's premium, costs, settlements "
            "and dividends; the starting cash and the open positions' marks, an index core's "
            "included, back on the last day), compounded over 252 trading days a year; NaN "
            "where no rate makes them worth zero or the one found is not certified the only "
            "one (simulator.strategy.irr)", "fraction a year"),
    "vol_events": ("number of vol events on the path (rule: attrs['vol_event_rule'])", "count"),
    "vol_event_start": ("trading day of the VIX low before the event (the pre-event close)",
                        "trading days"),
    "vol_event_peak": ("trading day of the event's highest VIX close", "trading days"),
    "vol_event_end": ("trading day VIX had given back end_retrace of its rise, or the last "
                      "day", "trading days"),
    "vol_event_rise": ("VIX at the peak - VIX at the start", "VIX index points"),
    "event_drawdown": ("trading book: fall from its peak up to the event's start, until it "
                       "regains that peak (0: no fall before the event's end)",
                       "fraction of starting equity"),
    "event_regain_days": ("trading book: days from the event's start until it is back at its "
                          "pre-event peak (0: never below; NaN: not within the horizon)",
                          "trading days"),
    "event_hedge_pnl": ("P&L of the VIX layers (marks, sales, costs) from the event's start to "
                        "its end", "fraction of starting equity"),
    "event_own_drawdown": ("trading book: fall from its level on the event's first day until "
                           "it is back at that level (0: not below it before the event's end)",
                           "fraction of starting equity"),
    "event_breakeven_days": ("trading book: days from the event's start until it is back at "
                             "its level of that day, after the event's trough (0: never below; "
                             "NaN: not within the horizon)", "trading days"),
    "event_parent": ("the earlier event (vol_event number) not yet broken even when this one "
                     "started: this one is its aftershock; 0: not an aftershock",
                     "vol_event number"),
    "equity_q": ("quantiles over paths of daily equity (1.0 at the start)",
                 "fraction of starting equity"),
    "trading_q": (f"{_TRADING}; quantiles over paths of it by day (1.0 at the start)",
                  "fraction of starting equity"),
    "layer_pnl": ("P&L of each VIX call layer: premium paid, sale and settlement proceeds, "
                  "commissions and half-spreads", "fraction of starting equity"),
    "put_pnl": ("P&L of the SPX put layers together: premium paid, sale and settlement "
                "proceeds, their SPX commissions and half-spreads (0 without put layers)",
                "fraction of starting equity"),
    "hedge_premium": ("premium paid for the hedge's options (VIX calls and SPX puts) over the "
                      "run (before costs)",
                      "fraction of starting equity"),
    "condor_pnl": ("iron condor P&L: credits, buy-backs and settlements, before costs",
                   "fraction of starting equity"),
    "spx_costs": ("SPX option commissions and half-spreads (negative)",
                  "fraction of starting equity"),
    "interest": ("interest earned on cash at r", "fraction of starting equity"),
    "index_pnl": ("the long S&P 500 core (strategies with index): price change and dividends "
                  "(0 without a core)", "fraction of starting equity"),
    "trades_per_path": ("mean number of each trade event per path", "count"),
    "spx_return": ("SPX total return of the path, spx[last] / spx[0] - 1", "fraction"),
    "vix_max": ("highest daily VIX of the path", "VIX index points"),
    "vvix_max": ("highest daily VVIX of the path (the model's from its state, "
                 "pricing.vvix.VvixTable; history: the real Cboe VVIX)", "VVIX index points"),
    "vvix_month_start": ("VVIX at the close of the day each 21-trading-day month starts",
                         "VVIX index points"),
    "vix_month_start": ("VIX at the close of the day each 21-trading-day month starts "
                        "(condition monthly_return on the volatility regime)",
                        "VIX index points"),
    "vix_spike_day": ("trading day of the path's largest one-day VIX rise", "trading days"),
    "vix_spike_points": ("the path's largest one-day VIX rise", "VIX index points"),
    "event_return": ("equity on (spike day + lag) / equity on the day before the spike - 1 "
                     "(NaN outside the horizon)", "fraction"),
}


# UDUNITS units (CF conventions) of the human unit texts above; the text stays in each
# variable's ``description`` and ``units_description``
_UDUNITS = {"fraction of the running peak": "1", "trading days": "day", "fraction": "1",
            "fraction of starting equity": "1", "count": "1", "VIX index points": "1",
            "VVIX index points": "1",
            "vol_event number": "1", "fraction a year": "1/year"}
CF_CONVENTIONS = "CF-1.10"


def _variable_attrs(name: str) -> dict:
    """CF-style attributes: a short ``long_name``, the full ``description``, UDUNITS
    ``units`` and the unit in words."""
    text, unit = _ATTRS[name]
    short = text.split(";")[0].split(" (")[0]
    return {"long_name": short if len(short) <= 90 else short[:87] + "...",
            "description": text, "units": _UDUNITS[unit], "units_description": unit}


def event_window(equity: np.ndarray, vix: np.ndarray):
    """Per path: the day of the largest one-day VIX rise, its size, and the equity of every
    strategy around it relative to the day before (the event study figure; the measured vol
    events are :mod:`simulator.results.events`).

    ``equity`` (strategy, path, day), ``vix`` (path, day). Returns (spike_day, spike_points,
    event_return (strategy, path, lag) float32)."""
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
    return spike_day, spike_points, event.astype(np.float32)


def chunk_record(result, spx: np.ndarray, vix: np.ndarray,
                 event_rule: vol_events.VolEventConfig | None = None,
                 books: np.ndarray | None = None) -> tuple[dict, np.ndarray]:
    """Per-path metrics of one evaluated chunk, and its daily books as float32 (2 x strategy,
    day, path: every strategy's account, then every strategy's trading book) for the quantiles
    by day (:func:`equity_quantiles` reads a block of days at once): written into ``books``
    where given (that shape, float32, C-contiguous; the runner's memory reused from chunk to
    chunk), else into a new array. No array of the record is a view of ``result``'s."""
    from simulator.results.quantiles import day_major_float32
    from simulator.strategy.engine import PNL_NAMES

    eq = result.equity  # (strategy, path, day)
    book = result.trading
    pnl = result.pnl
    months = MONTH_TRADING_DAYS * np.arange((eq.shape[-1] - 1) // MONTH_TRADING_DAYS + 1)

    def bucket(name):
        return pnl[:, :, PNL_NAMES.index(name)]

    rec = {

        "total_return": metrics.total_return(eq),
        "monthly_return": metrics.monthly_returns(eq),

        "trading_return": book[..., -1] - 1.0,
        "trading_monthly_pnl": np.diff(book[..., months], axis=-1),
        "irr": result.irr,
        "layer_pnl": np.stack([bucket(f"layer_{k}") + bucket(f"vix_costs_{k}")
                               for k in LAYER_NAMES], axis=1),  # (strategy, layer, path)
        "hedge_premium": bucket("hedge_premium"),
        "condor_pnl": bucket("condor"),
        "spx_costs": bucket("spx_costs"),
        "interest": bucket("interest"),
        "index_pnl": bucket("index"),
        "put_pnl": bucket("layer_puts") + bucket("put_costs"),
        "trade_counts": result.counts.sum(axis=1),  # (strategy, event), summed over paths
        "spx_return": spx[:, -1] / spx[:, 0] - 1.0,
        "vix_max": vix.max(axis=1),
        "vvix_max": result.vvix.max(axis=1),
        "vvix_month_start": result.vvix[:, MONTH_TRADING_DAYS * np.arange(
            (vix.shape[1] - 1) // MONTH_TRADING_DAYS)],
        "vix_month_start": vix[:, MONTH_TRADING_DAYS * np.arange(
            (vix.shape[1] - 1) // MONTH_TRADING_DAYS)],
    }
    rec["max_drawdown"], rec["recovery_days"] = metrics.drawdown_and_recovery(eq)
    (rec["trading_max_drawdown"],
     rec["trading_recovery_days"]) = metrics.drawdown_and_recovery(book, absolute=True)
    rec["vix_spike_day"], rec["vix_spike_points"], rec["event_return"] = event_window(eq, vix)
    found, rec["vol_events"] = vol_events.detect(vix, event_rule or vol_events.VolEventConfig())
    # float32 (days are exact, P&L to 1e-7 relative): the event arrays are the cube's largest
    for name, col in zip(EVENT_DAYS, (vol_events.START, vol_events.PEAK, vol_events.END,
                                      vol_events.RISE), strict=True):
        rec[name] = found[:, :, col].astype(np.float32)
    per_event = vol_events.book_metrics(book, result.hedge, found, rec["vol_events"]) \
        + vol_events.own_metrics(book, found, rec["vol_events"])
    for name, values in zip(PER_EVENT, per_event, strict=True):
        rec[name] = values.astype(np.float32)
    # account and trading book stacked (2 x strategy, day, path): the fans of both books,
    # each cast and transposed straight into its half (no float64 copy of both first)
    shape = (2 * eq.shape[0], eq.shape[2], eq.shape[1])
    if books is None:
        books = np.empty(shape, dtype=np.float32)
    elif (books.shape != shape or books.dtype != np.float32 or not books.flags.c_contiguous
          or not books.flags.writeable):
        raise ValueError(f"books must be a writeable float32 C-contiguous {shape} array")
    day_major_float32(eq, books[:eq.shape[0]])
    day_major_float32(book, books[eq.shape[0]:])
    return rec, books


def equity_quantiles(equity_parts, quantiles, memory_bytes=128 * 2**20):
    """(strategy, quantile, day) quantiles over the paths of all parts, each (strategy, day,
    path): an array, or a ``.npy`` file (a checkpoint) memory-mapped only while one block of
    days is read from it, so that memory, the files' resident pages included, stays bounded
    (about twice ``memory_bytes``) whatever the number of paths. A block of days is contiguous
    in every part, so each file is read once per strategy. The figures are ``np.quantile``'s
    bit for bit (:func:`simulator.results.quantiles.quantiles_by_row`), read from the parts'
    own float32 (the checkpoints) without a float64 copy."""
    from simulator.results.quantiles import quantiles_by_row

    def opened(part):
        return np.load(part, mmap_mode="r") if isinstance(part, str | Path) else part

    shapes, dtypes = zip(*((a.shape, a.dtype) for a in map(opened, equity_parts)), strict=True)
    dtype = np.result_type(*dtypes)
    if dtype.kind != "f":
        dtype = np.dtype(np.float64)
    n_strat, n_cols = shapes[0][:2]
    n_paths = sum(shape[2] for shape in shapes)
    block = max(1, min(n_cols, memory_bytes // (dtype.itemsize * max(n_paths, 1))))
    out = np.empty((n_strat, len(quantiles), n_cols))
    values = np.empty((block, n_paths), dtype=dtype)
    for k in range(n_strat):
        for d0 in range(0, n_cols, block):
            d1 = min(n_cols, d0 + block)
            start = 0
            for part, shape in zip(equity_parts, shapes, strict=True):
                values[:d1 - d0, start:start + shape[2]] = opened(part)[k, d0:d1]
                start += shape[2]
            quantiles_by_row(values[:d1 - d0], quantiles, out[k, :, d0:d1])
    return out


def equity_quantile_variables(plan, quantiles: list[np.ndarray]):
    """The cube's ``equity_q`` and ``trading_q`` (a Dataset without coordinates) from each
    scenario's (2 x strategy, quantile, day) quantiles (:func:`equity_quantiles` of its
    checkpoints: the accounts, then the trading books)."""
    import xarray as xr

    n_strat = len(plan.strategies)
    dims = ("scenario", "strategy", "quantile", "day")
    return xr.Dataset({
        "equity_q": (dims, np.stack([q[:n_strat] for q in quantiles]),
                     _variable_attrs("equity_q")),
        "trading_q": (dims, np.stack([q[n_strat:] for q in quantiles]),
                      _variable_attrs("trading_q"))})


def assemble(plan, records, equity_q: list[np.ndarray] | None,
             trading_q: list | None = None):
    """The cube from per-scenario iterables of chunk records (in path order, e.g. generators
    reading checkpoint files) and (strategy, quantile, day) arrays of the account's quantiles
    (and of the trading book's, ``trading_q``); ``equity_q`` None: without either (the runner
    adds them while the cube is written: :func:`equity_quantile_variables`)."""
    import xarray as xr

    from simulator.results.blotter import cube_variables

    extras: list[list[dict]] = [[] for _ in plan.scenarios]
    data = _data_vars(plan, records, equity_q, extras)
    coords = _coords(plan, n_months=data["monthly_return"][1].shape[-1])
    # the trade blotter and the sampled paths (simulation.trade_log_paths, keep_paths)
    more_data, more_coords = cube_variables(plan, extras)
    if trading_q is not None:
        more_data["trading_q"] = (("scenario", "strategy", "quantile", "day"),
                                  np.stack(trading_q), _variable_attrs("trading_q"))
    return xr.Dataset(data | more_data, coords=coords | more_coords, attrs=_attrs(plan))


# the path axis of each per-path variable in a chunk record (the cube prepends "scenario")
_PATH_AXIS = {**{name: 1 for name in (*PER_PATH, "monthly_return", "trading_monthly_pnl",
                                      *PER_EVENT, "event_return")},
              **{name: 0 for name in ("vol_events", *EVENT_DAYS, "spx_return", "vix_max",
                                      "vix_month_start", "vix_spike_day", "vix_spike_points",
                                      "vvix_max", "vvix_month_start")},
              "layer_pnl": 2}


def _data_vars(plan, records, equity_q: list[np.ndarray], extras=None) -> dict:
    """Each variable with its dimensions and its ``long_name``/``units`` (``_ATTRS``).

    ``records``: per scenario, an iterable of its chunk records in path order, read once.
    Each variable is allocated whole and filled chunk by chunk, so a run whose records come
    from checkpoint files (a generator) holds the cube once plus one chunk's record, never a
    second copy of every record (measured: docs/performance.md)."""
    full: dict[str, np.ndarray] = {}
    counts = None
    for si, recs in enumerate(records):
        start = 0
        for rec in recs:
            n = rec["spx_return"].shape[0]
            for name, axis in _PATH_AXIS.items():
                part = rec[name]
                if name not in full:
                    shape = list(part.shape)
                    shape[axis] = plan.n_paths
                    full[name] = np.empty((len(records), *shape), dtype=part.dtype)
                where = [si] + [slice(None)] * part.ndim
                where[1 + axis] = slice(start, start + n)
                full[name][tuple(where)] = part
            if counts is None:
                counts = np.zeros((len(records), *rec["trade_counts"].shape),
                                  dtype=rec["trade_counts"].dtype)
            counts[si] += rec["trade_counts"]
            if extras is not None:  # blotter rows and sampled paths: small, kept as they are
                extras[si].append({k: v for k, v in rec.items()
                                   if k.startswith(("blotter_", "kept_"))})
            start += n
        if start != plan.n_paths:
            raise ValueError(f"scenario {si}: the chunk records hold {start} paths, the plan "
                             f"{plan.n_paths}")

    data = {name: (("scenario", "strategy", "path"), full[name]) for name in PER_PATH}
    for name in ("monthly_return", "trading_monthly_pnl"):
        data[name] = (("scenario", "strategy", "path", "month"), full[name])
    for name in PER_EVENT:
        data[name] = (("scenario", "strategy", "path", "vol_event"), full[name])
    data["vol_events"] = (("scenario", "path"), full["vol_events"])
    for name in EVENT_DAYS:
        data[name] = (("scenario", "path", "vol_event"), full[name])
    data["layer_pnl"] = (("scenario", "strategy", "layer", "path"), full["layer_pnl"])
    if equity_q is not None:
        data["equity_q"] = (("scenario", "strategy", "quantile", "day"), np.stack(equity_q))
    data["trades_per_path"] = (("scenario", "strategy", "event"), counts / plan.n_paths)
    for name in ("spx_return", "vix_max", "vix_spike_day", "vix_spike_points", "vvix_max"):
        data[name] = (("scenario", "path"), full[name])
    data["vix_month_start"] = (("scenario", "path", "month"), full["vix_month_start"])
    data["vvix_month_start"] = (("scenario", "path", "month"), full["vvix_month_start"])
    data["event_return"] = (("scenario", "strategy", "path", "lag"), full["event_return"])
    return {k: (dims, values, _variable_attrs(k)) for k, (dims, values) in data.items()}


def _coords(plan, n_months: int) -> dict:
    from simulator.strategy.engine import COUNT_NAMES

    coords = {
        "scenario": ("scenario", [s.name for s in plan.scenarios],
                     {"long_name": "scenario of the scenario file (its own model, shocks, "
                                   "regimes and random stream)"}),
        "strategy": ("strategy", list(plan.strategies),
                     {"long_name": "strategy label (settings: attribute 'strategies')"}),
        "path": ("path", np.arange(plan.n_paths),
                 {"long_name": "path index (the same paths for every strategy of a scenario)",
                  "units": "1"}),
        "day": ("day", np.arange(plan.n_days + 1),
                {"long_name": "trading day, 0 = start", "units": "day",
                 "description": "trading days: 252 a year"}),
        "quantile": ("quantile", np.asarray(plan.simulation.quantiles, dtype=float),
                     {"long_name": "quantile over paths", "units": "1"}),
        "month": ("month", np.arange(1, n_months + 1),
                  {"long_name": "21-trading-day month, 1 = first", "units": "1"}),
        "layer": ("layer", list(LAYER_NAMES), {"long_name": "VIX call layer of the hedge"}),
        "event": ("event", list(COUNT_NAMES), {"long_name": "kind of trade event"}),
        "lag": ("lag", EVENT_LAGS, {"long_name": "trading days from the path's largest "
                                                 "one-day VIX rise", "units": "day"}),
        "vol_event": ("vol_event", np.arange(1, plan.vol_events.max_per_path + 1),
                      {"long_name": "vol event number on the path (1 = first)", "units": "1"}),
    }
    for name, values in plan.sweep_coords.items():
        coords[name] = ("strategy", values, {"long_name": f"swept value of {name}"})
    coords["risk_capital"] = (  # simulator.results.units.to_risk_capital divides by it
        "strategy", [s.condor.risk_per_tranche if s.condor is not None else np.nan
                     for s in plan.strategies.values()],
        {"long_name": "risk capital: the strategy's condor risk per tranche (NaN: no condor)",
         "units": "1", "description": "fraction of starting equity"})
    windows = plan.history
    if windows is not None:  # real history: each path is a window of dates
        coords["window_start"] = ("path", windows.first_dates().astype(str),
                                  {"long_name": "first date of the path's real window"})
        coords["window_end"] = ("path", windows.last_dates().astype(str),
                                {"long_name": "last date of the path's real window"})
        if windows.n_paths == 1:
            coords["date"] = ("day", windows.window_dates(0).astype(str),
                              {"long_name": "trading date of the real window"})
    return coords


def _attrs(plan) -> dict:
    """The run's settings and provenance (JSON strings where a value is a structure)."""
    from simulator._version import __version__
    from simulator.pricing.tables import TABLE_VERSION, TableGrid

    seed = plan.seed
    return {
        "Conventions": CF_CONVENTIONS,
        "title": f"ALVH simulator results: {plan.name}",
        "source": (f"alvh-simulator {__version__}: Monte Carlo paths under P, prices under Q"
                   if plan.history is None else f"alvh-simulator {__version__}: real S&P 500 "
                   "/ VIX history, prices under Q at the implied state"),
        "scenario_name": plan.name,
        "description": plan.description,
        "scenario_file": plan.source,
        "scenario_text": plan.text,
        "seed": seed if seed < 2**63 else str(seed),
        "n_paths": plan.n_paths,
        "n_days": plan.n_days,
        "capital_usd": plan.simulation.capital,
        "package": "alvh-simulator",
        "package_version": __version__,
        "baseline": BASELINE,
        # each strategy's own baseline (same condor, index core and costs; null: it is one)
        "paired_with": json.dumps(getattr(plan, "paired_with", None) or {}),
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
        "vol_event_rule": json.dumps(plan.vol_events.model_dump(mode="json")),
        "books": "account: cash at r + positions at mid; trading book: the account less "
                 "interest earned (drawdowns in units of risk capital are trading-book "
                 "drawdowns / risk_per_tranche)",
        "table_grid": json.dumps(vars(TableGrid()), sort_keys=True),
        "table_version": TABLE_VERSION,
        "simulation": json.dumps(plan.simulation.model_dump(mode="json"), sort_keys=True),
        **_path_attrs(plan),
        "comment": "P paths, Q prices; 252 trading days a year; equity 1.0 at day 0; "
                   "DTE in calendar days; drawdowns of the trading book are in units of "
                   "starting equity (divide by risk_per_tranche for risk capital)",
        **_flat_settings(plan),
    }


HISTORY_NOTE = ("real history: the S&P 500's closes and real VIX (rules, costs); "
                "SPX options priced by the model at each day's state, fitted to that day's VIX "
                "curve (model prices around real levels, not historical quotes); the exchange's "
                "expiries and settlement values (VIX calls at the SOQ, SPX monthlies at the "
                "open as the SET proxy; trades_per_path: hedge_settled_soq / _close, "
                "condor_settled_open / _close); VIX calls off the listed VX contract of their "
                "expiry with the model's smile (hedge_marks_listed / hedge_marks_model); the "
                "rules' 30/60-day futures interpolated between listed contracts "
                "(rule_futures_listed / rule_futures_model); docs/history.md")


def _path_attrs(plan) -> dict:
    """Where the paths came from: the model, or real windows (with the data used)."""
    windows = plan.history
    if windows is None:
        return {"path_source": "model"}
    data = "S&P 500 and Cboe VIX closes" + (
        "; Cboe VIX3M, VIX6M and VX futures settlements (two-factor states)"
        if any(s.model.two_factor for s in plan.scenarios) else "")
    out = {"path_source": plan.path.source, "path_note": HISTORY_NOTE,
           "history_span": f"{windows.dates[0]} to {windows.dates[-1]}",
           "history_data": data + " (simulator/data/market, SOURCES.md)",
           "history_data_sha256": json.dumps(plan.market_data, sort_keys=True)}
    if plan.path.source == "history_windows":
        out |= {"window_length_days": windows.n_days,
                "window_step_days": int(plan.path.step_days or 21),
                "window_block": window_block(windows.n_days, int(plan.path.step_days or 21))}
    return out


def window_block(length_days: int, step_days: int) -> int:
    """Overlapping windows: consecutive windows share days for ceil(length / step) steps,
    the block length of the moving-block bootstrap over windows."""
    return max(1, -(-int(length_days) // int(step_days)))


def _flat_settings(plan) -> dict:
    """The run's scalar settings as plain attributes (``simulation_paths``, ``costs_preset``,
    ``vol_event_rule_within_days``, ...), readable without json.loads."""
    out = {}
    for prefix, record in (("simulation", plan.simulation), ("costs", plan.costs),
                           ("vol_event_rule", plan.vol_events)):
        for key, value in record.model_dump(mode="json").items():
            if isinstance(value, bool):
                out[f"{prefix}_{key}"] = int(value)
            elif isinstance(value, int | float | str):
                out[f"{prefix}_{key}"] = value if not isinstance(value, int) \
                    or abs(value) < 2**63 else str(value)
            elif isinstance(value, list) and all(isinstance(x, int | float) for x in value):
                out[f"{prefix}_{key}"] = np.asarray(value, dtype=float)
    return out


# HDF5 filters: a Fletcher-32 checksum per block on every numeric array, verified by HDF5
# whenever the block is read (issue 34, item 11), and zlib compression (issue 32) on those
# that compress. Level 1: 100 MB of six-digit doubles write in 5.7 s (level 4: 10.5 s,
# uncompressed 0.5 s) to the same size within 1 %. The cube's dense float64 P&L compresses to
# 78-89 % at twice the write time (16,384 paths: 0.58 s against 0.36 s for the cube, 14.2
# against 16.9 MiB), its day counts and NaN-padded event arrays to 4-60 %: an array is
# compressed when a sample of it compresses below COMPRESS_BELOW (issue 30)
CHECKED_ENCODING = {"zlib": True, "complevel": 1, "shuffle": True, "fletcher32": True}
CHECKSUM_ONLY = {"fletcher32": True}
COMPRESS_BELOW = 0.7
_SAMPLE_VALUES = 1 << 12
PACKAGE = "alvh-simulator"


class CubeError(ValueError):
    """A file that is not a usable results cube: not NetCDF, another program's, incomplete or
    damaged. The message names the file and, where one is at fault, the variable."""


def _compresses(values: np.ndarray) -> bool:
    """Whether zlib (level 1, byte-shuffled as HDF5's filter does) shrinks the array's first
    :data:`_SAMPLE_VALUES` values below :data:`COMPRESS_BELOW` of their size: deterministic,
    so the same cube always gets the same encoding."""
    import zlib

    sample = np.ascontiguousarray(values).reshape(-1)[:_SAMPLE_VALUES]
    raw = sample.view(np.uint8).reshape(-1, sample.itemsize).T.tobytes()
    return len(zlib.compress(raw, 1)) < COMPRESS_BELOW * max(len(raw), 1)


def _encoding(cube) -> dict:
    """Every numeric array with its checksum, compressed (:data:`CHECKED_ENCODING`) where a
    sample of it compresses (:func:`_compresses`), else :data:`CHECKSUM_ONLY`; scalars and
    text stay plain (HDF5 filters need chunked data of a fixed size). Blocks of h5py's
    shape (:func:`_block_shape`) whichever library writes."""
    return {name: dict(CHECKED_ENCODING if _compresses(var.values) else CHECKSUM_ONLY,
                       chunksizes=_block_shape(var.shape, var.dtype.itemsize))
            for name, var in cube.variables.items()
            if var.ndim >= 1 and var.size > 0 and var.dtype.kind in "biuf"}


@functools.lru_cache(maxsize=4096)  # h5py's search takes up to a millisecond an array
def _block_shape(shape: tuple[int, ...], itemsize: int) -> tuple[int, ...]:
    """The HDF5 block (chunk) shape of an array: h5py's rule (``guess_chunk``, 8 KiB to
    1 MiB a block), which the cube's files have had since they were written by h5netcdf.
    netCDF-C's own default (blocks of up to 4 MiB) filters a large cube more slowly: the
    claims' 1.1 GB cube took 5.8-7.6 s against 4.3-5.4 s."""
    from h5py._hl.filters import guess_chunk

    return tuple(int(n) for n in guess_chunk(shape, None, itemsize))


# netCDF-C keeps each variable's block cache (64 MiB by default) until the file is closed,
# h5py 1 MiB until the variable is: a writer's cache of 256 KiB a variable keeps a million-
# path cube's write within 8 MiB of h5netcdf's peak memory (+62 against +54 MiB on 650 MB of
# arrays; the default: +570 MiB), at the same speed
WRITER_CHUNK_CACHE = (1 << 18, 521, 0.75)  # bytes, slots, preemption


@contextlib.contextmanager
def _writer_chunk_cache():
    """netCDF-C's block cache for the files opened inside (:data:`WRITER_CHUNK_CACHE`); the
    process's setting is restored after, so a user's own netCDF4 files keep theirs."""
    import netCDF4

    before = netCDF4.get_chunk_cache()
    netCDF4.set_chunk_cache(*WRITER_CHUNK_CACHE)
    try:
        yield
    finally:
        netCDF4.set_chunk_cache(*before)


def _coordinates_first(cube):
    """``cube`` with its coordinate variables first (the same variables, values, attributes
    and encodings), the order in which the file then lists them. It made h5netcdf, the
    writer up to 0.11.5, create each dimension scale once: a data variable written before
    its dimension's coordinate got a placeholder scale, which the coordinate later replaced
    and attached again to every variable on that dimension (0.33 -> 0.29 s in-process; issue
    30, docs/performance.md §4). netCDF-C creates the dimensions first either way.
    Selecting the names in this order reorders without copying or merging (0.1 ms)."""
    return cube[[*cube.coords, *cube.data_vars]]


def write_cube(cube, path: str | Path, late=None, meanwhile=None) -> Path:
    """Write atomically: a temporary file in the same folder, renamed over ``path``;
    each block with its checksum, compressed where that pays (:func:`_encoding`).

    The file is written by a forked child process: when HDF5 fails mid-write (a full disk),
    its half-closed objects die with the child instead of crashing this process when they
    are collected (a segfault, issue 34 item 9); the error comes back as an ``OSError`` and
    the temporary file is removed, so an earlier cube at ``path`` survives untouched.

    ``late``: a function returning more variables (a Dataset on the cube's coordinates),
    called here while the child writes the rest, so the two overlap (the runner's equity
    quantiles, issue 30); the child appends them to the file and they are added to ``cube``
    in place. An error in ``late`` stops the child and is raised here, with nothing
    written.

    ``meanwhile``: a function of the cube (``late``'s variables added) called here while the
    child writes, e.g. ``alvh claims``' evaluation of the cube it has just run, so the two
    overlap; an error in it stops the child and is raised, with nothing written."""
    path = Path(path)
    with atomic_path(path) as tmp:
        _write_isolated(cube, tmp, path, late, meanwhile)
    remove_stale(path)  # left by earlier writes killed mid-way
    return path


def _send(fd: int, payload: bytes) -> None:
    """``payload`` through the pipe ``fd``, length first; a child that has gone (its error
    waits in the other pipe) is not an error here."""
    import os
    import struct

    data = memoryview(struct.pack("<Q", len(payload)) + payload)
    try:
        while data:
            data = data[os.write(fd, data):]
    except BrokenPipeError:
        pass


def _receive(fd: int) -> bytes:
    import os
    import struct

    def exactly(n):
        out = b""
        while len(out) < n:
            block = os.read(fd, n - len(out))
            if not block:
                raise EOFError("the parent closed the pipe")
            out += block
        return out

    return exactly(struct.unpack("<Q", exactly(8))[0])


def _write_isolated(cube, tmp: Path, target: Path, late=None, meanwhile=None) -> None:
    import errno
    import os
    import pickle
    import signal
    import threading
    import warnings

    def prepared():
        ordered = _coordinates_first(cube)
        return ordered, _encoding(ordered)

    def write(prep):
        ordered, encoding = prep
        with _writer_chunk_cache():
            ordered.to_netcdf(tmp, engine=NETCDF_WRITER, encoding=encoding)

    def add(extra):
        for name, var in extra.data_vars.items():
            cube[name] = var

    if not hasattr(os, "fork"):  # pragma: no cover (Windows)
        if late is not None:
            add(late())
        if meanwhile is not None:
            meanwhile(cube)
        write(prepared())
        return
    # the encoding here, before the fork: in the child it competed with this process's
    # quantiles (60-95 ms against 14), and the blocks' shapes stay cached for the next write
    prep = prepared()
    read_end, write_end = os.pipe()
    late_read, late_write = os.pipe() if late is not None else (-1, -1)
    with warnings.catch_warnings():  # the child only writes a file: no lock of another thread
        warnings.simplefilter("ignore", DeprecationWarning)
        try:
            pid = os.fork()
        except OSError:  # no memory for a child: write here
            for fd in (read_end, write_end, late_read, late_write):
                if fd >= 0:
                    os.close(fd)
            if late is not None:
                add(late())
            if meanwhile is not None:
                meanwhile(cube)
            write(prepared())
            return
    if pid == 0:  # the child: write, report, and leave without running any cleanup
        code = 0
        try:
            os.close(read_end)
            if late is not None:
                os.close(late_write)
            # HDF5's objects that a failed write leaves behind complain (or crash) as they
            # die: not on the user's terminal; the error itself goes back through the pipe
            os.dup2(os.open(os.devnull, os.O_WRONLY), 2)
            import faulthandler

            faulthandler.disable()  # its own copy of stderr (pytest enables it)
            _forget_parent_locks()
            write(prep)
            if late is not None:
                extra = pickle.loads(_receive(late_read))
                if extra is None:  # the parent failed: it raises its own error
                    os._exit(3)
                with _writer_chunk_cache():
                    extra.to_netcdf(tmp, mode="a", engine=NETCDF_WRITER,
                                    encoding=_encoding(extra))
        except BaseException as err:  # everything goes back to the parent
            code = 1
            report = {"type": type(err).__name__, "message": str(err)[:2000],
                      "errno": getattr(err, "errno", None)}
            try:
                os.write(write_end, json.dumps(report).encode())
            except BaseException:  # a closed pipe: the exit code still tells
                pass
        finally:
            os._exit(code)
    os.close(write_end)
    if late is not None:
        os.close(late_read)
        try:
            extra = late()
        except BaseException:
            _send(late_write, pickle.dumps(None))
            os.close(late_write)
            os.close(read_end)
            os.waitpid(pid, 0)
            raise
        payload = pickle.dumps(extra, protocol=pickle.HIGHEST_PROTOCOL)
        add(extra)

        def send():
            _send(late_write, payload)
            os.close(late_write)

        # the child reads them only once the rest is written, and they are larger than a
        # pipe holds: sent from a thread, so that ``meanwhile`` need not wait for the write
        sender = threading.Thread(target=send, name="alvh-late-variables")
        sender.start()
    if meanwhile is not None:
        try:
            meanwhile(cube)
        except BaseException:  # the file is not wanted: the child goes, its file is removed
            os.kill(pid, signal.SIGKILL)
            if late is not None:
                sender.join()  # the child's end is closed: the write fails, and is ignored
            os.close(read_end)
            os.waitpid(pid, 0)
            raise
    if late is not None:
        sender.join()
    _warm_writer()
    with os.fdopen(read_end, "rb") as fh:
        reply = fh.read()
    _, status = os.waitpid(pid, 0)
    if os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0:
        return
    if os.WIFSIGNALED(status):
        import shutil

        sig = os.WTERMSIG(status)
        free = shutil.disk_usage(target.parent).free / 2**20
        raise OSError(errno.EIO, f"the NetCDF writer died ({signal.Signals(sig).name}; "
                      f"{free:.1f} MiB free there); nothing was replaced", str(target))
    report = json.loads(reply or b"{}")
    code = report.get("errno")
    if report.get("type") in ("KeyboardInterrupt", "SystemExit"):
        raise KeyboardInterrupt
    if isinstance(code, int) and code > 0:
        raise OSError(code, os.strerror(code), str(target))
    import shutil

    # netCDF-C reports a full disk as "NetCDF: HDF error", without an errno: a disk with less
    # room than the cube's arrays take uncompressed was full for this write
    free = shutil.disk_usage(target.parent).free / 2**20
    needed = cube.nbytes / 2**20
    said = f"{report.get('type', 'error')}: {report.get('message', '')}"
    if free < needed:
        raise OSError(errno.ENOSPC, f"{os.strerror(errno.ENOSPC)}: the cube takes up to "
                      f"{needed:.1f} MiB, {free:.1f} MiB free there (the writer said "
                      f"{said}); nothing was replaced", str(target))
    raise OSError(errno.EIO, f"writing the cube failed: {said} ({free:.1f} MiB free "
                  "there); nothing was replaced", str(target))


def _warm_writer() -> None:
    """In the parent, while the child writes: xarray's netCDF writer asks which Dask scheduler
    runs (``xarray.backends.locks.get_dask_scheduler``), which imports ``dask.distributed``
    where it is installed: 0.22 s that a forked writer pays on every write unless its parent
    already has it; and the import of netCDF4, the writer's library (about 0.1 s). Done here,
    overlapped with the child's write, so that the next write of this process (a notebook's
    second run, a sweep, the benchmark's repeats) does not pay them again."""
    try:
        from xarray.backends.locks import get_dask_scheduler

        get_dask_scheduler()
    except Exception:  # an optional extra's import: never the write's error
        pass
    try:  # the writer's library (about 0.1 s to import): the next child inherits it
        import netCDF4  # noqa: F401
    except Exception:  # the child reports its own import error
        pass


def _forget_parent_locks() -> None:
    """In the forked writer: locks of the parent's other threads are copied as they were, and
    one held at the fork would never be released here. xarray's write lock is a Dask
    ``distributed.Lock`` when a Dask client is active (served by the client's event loop, a
    thread the child does not have): Dask is told to run synchronously, and xarray's global
    HDF5 and netCDF-C locks are replaced by fresh ones."""
    import sys
    import threading

    if "dask" in sys.modules:
        import dask

        dask.config.set(scheduler="synchronous")
    locks = sys.modules.get("xarray.backends.locks")
    for name in ("HDF5_LOCK", "NETCDFC_LOCK"):  # h5py's and netCDF-C's (the writer's)
        lock = getattr(locks, name, None)
        if lock is not None and hasattr(lock, "lock"):
            lock.lock = threading.Lock()


# every command that reads a cube needs these (per path and per day)
CUBE_VARIABLES = ("max_drawdown", "total_return", "trading_max_drawdown", "trading_return",
                  "equity_q")


def open_cube(path: str | Path, variables=None, *, max_memory: int | None = None):
    """Open a cube written by :func:`write_cube`, verify it and load it into memory (the file
    is closed); ``variables``: only these data variables (default: all).

    Before any array is read: the file opens as NetCDF and is this package's cube, it has
    paths and the variables every command needs, each array was written whole (an unwritten
    block would read as fill values), and what is to be loaded fits in memory
    (``max_memory`` bytes, default 80 % of this machine's). Then each array is read, every
    block checked against its checksum. Any failure raises :class:`CubeError` naming the
    file and the variable: never a traceback, never silently different numbers."""
    import xarray as xr

    path = Path(path)
    try:
        unwritten = _unwritten_arrays(path)
        ds = xr.open_dataset(path, engine=NETCDF_ENGINE)  # lazy: no array is read yet
    except Exception as err:  # whatever HDF5 or xarray raise
        raise CubeError(f"{path}: not a readable NetCDF results cube ({_brief(err)})") from None
    try:
        names = _check_cube(ds, path, variables, unwritten, max_memory)
        for name in [*names, *ds.coords]:
            try:
                ds.variables[name].load()
            except Exception as err:  # a checksum or a decompression error
                raise CubeError(f"{path}: variable {name} is damaged ({_brief(err)}); the "
                                "file cannot be trusted: write it again ('alvh run')") from None
        return (ds if variables is None else ds[names]).load()
    finally:
        ds.close()


def _brief(err: BaseException) -> str:
    text = " ".join(str(err).split()) or type(err).__name__
    return text if len(text) <= 200 else text[:197] + "..."


def _unwritten_arrays(path: Path) -> set[str]:
    """Arrays of the file with blocks never written (chunks not allocated, or a contiguous
    array without storage): reading them would give fill values, not results. NetCDF's bare
    dimension scales are unwritten by design and skipped."""
    import h5py

    out = set()

    def visit(name, obj):
        if not isinstance(obj, h5py.Dataset) or obj.size == 0 or obj.shape == ():
            return
        if str(obj.attrs.get("NAME", b"")).find("not a netCDF variable") >= 0:
            return
        if obj.chunks:
            blocks = int(np.prod([-(-n // c) for n, c in zip(obj.shape, obj.chunks,
                                                            strict=True)]))
            if obj.id.get_num_chunks() < blocks:
                out.add(name)
        elif obj.id.get_offset() is None:
            out.add(name)

    with h5py.File(path, "r") as fh:
        fh.visititems(visit)
    return out


def _check_cube(ds, path: Path, variables, unwritten: set[str], max_memory) -> list[str]:
    """The checks of :func:`open_cube` that need no array; the data variables to load."""
    if ds.attrs.get("package") != PACKAGE:
        raise CubeError(f"{path}: not a results cube of {PACKAGE} (a NetCDF file without its "
                        "attributes); write one with 'alvh run'")
    missing = [n for n in (*CUBE_VARIABLES, *(variables or ())) if n not in ds.data_vars]
    if missing:
        raise CubeError(f"{path}: not a complete results cube of this version (missing "
                        f"variable(s) {', '.join(missing)}); write it again with 'alvh run'")
    if ds.sizes.get("path", 0) < 1 or ds.sizes.get("strategy", 0) < 1 \
            or ds.sizes.get("scenario", 0) < 1:
        raise CubeError(f"{path}: holds no results (paths {ds.sizes.get('path', 0)}, "
                        f"strategies {ds.sizes.get('strategy', 0)}, scenarios "
                        f"{ds.sizes.get('scenario', 0)})")
    names = list(ds.data_vars) if variables is None else list(variables)
    broken = sorted(n for n in (*names, *ds.coords) if n in unwritten)
    if broken:
        raise CubeError(f"{path}: variable {broken[0]} was never written whole (a truncated "
                        "or forged file); write it again with 'alvh run'")
    need = sum(ds.variables[n].size * ds.variables[n].dtype.itemsize
               for n in (*names, *ds.coords))
    if max_memory is None:
        try:
            import os

            max_memory = int(0.8 * os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE"))
        except (ValueError, OSError, AttributeError):  # pragma: no cover
            max_memory = None
    if max_memory is not None and need > max_memory:
        raise CubeError(f"{path}: loading it needs {need / 2**30:.2f} GiB of memory, more "
                        f"than the {max_memory / 2**30:.2f} GiB allowed")
    return names


PER_PATH_DIMS = {"scenario", "strategy", "path"}


def to_frame(cube, per: str = "path", variables=None, **summary_options):
    """A tidy pandas table of a cube without building its whole cross product (a cube's
    ``to_dataframe()`` would broadcast every variable over every dimension).

    ``per="path"``: one row per (scenario, strategy, path) with every per-path variable (or
    ``variables``), the scenario-level ones (``spx_return``, ``vix_max``, ...) repeated for
    each strategy. ``per="summary"``: :func:`simulator.results.summary.summarize` (one row per
    (scenario, strategy), with CIs; ``summary_options`` go to it). ``per="trades"``: the trade
    blotter, one row per trade (:func:`simulator.results.blotter.blotter_frame`).
    """
    if per == "summary":
        from simulator.results.summary import summarize

        return summarize(cube, **summary_options)
    if per == "trades":  # the trade blotter (simulation.trade_log_paths)
        from simulator.results.blotter import blotter_frame

        return blotter_frame(cube)
    if per != "path":
        raise ValueError(f"per={per!r}: allowed 'path', 'summary' or 'trades'")
    names = [name for name, var in cube.data_vars.items()
             if "path" in var.dims and set(var.dims) <= PER_PATH_DIMS]
    if variables is not None:
        unknown = sorted(set(variables) - set(names))
        if unknown:
            raise ValueError(f"not per-path variables of this cube: {', '.join(unknown)}; "
                             f"per-path ones: {', '.join(names)}")
        names = list(variables)
    subset = cube[names]
    return subset.to_dataframe().reorder_levels(["scenario", "strategy", "path"]).sort_index()
