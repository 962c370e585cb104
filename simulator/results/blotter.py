"""The trade blotter and the sampled paths of a run (``simulation.trade_log_paths`` and
``simulation.keep_paths``), and the trade statistics read from the blotter.

The blotter is the day loop's own trade log (:meth:`StrategyEngine.evaluate` with
``log_paths``: the numba kernel writes one row per trade of the logged paths), so it is the
trades that made the cube's numbers, in simulated and in history runs alike. It is held equal,
row by row, to the plain-Python twin's (:mod:`simulator.strategy.reference`, tests/
test_blotter.py), whose trades plus its marks at the horizon add up to the kernel's P&L
buckets.

Not in the log: the forced closes of a ruined path (at the close's marks, no costs) and the
positions still open at the horizon (marked, not traded); their round trips count as open.

Cube variables (one ``trade`` row per trade, the rows of a scenario in path, strategy, day
order):

=================  ==============  ===============================================
trade_scenario     trade           scenario of the trade
trade_strategy     trade           strategy label
trade_path         trade           path index
trade_day          trade           trading day (0 = start)
trade_date         trade           ISO date (history runs; "" on simulated paths)
trade_instrument   trade           "SPX iron condor", "VIX call <layer>" or "SPX put <layer>"
trade_action       trade           open / close (condor), buy / sell (VIX call)
trade_reason       trade           entry, take profit, stop, exit DTE, expiry, ...
trade_position     trade           id of the position (a round trip) the trade belongs to
trade_strikes      trade, leg      condor: put wing, short put, short call, call wing;
                                   VIX call: its strike (others NaN)
trade_expiry_day   trade           trading day the position expires
trade_quantity     trade           contracts, + bought, - sold
trade_price        trade           per unit, index points (condor: the condor's mid)
trade_cash_flow    trade           premium received (+) or paid (-), fraction of
                                   starting equity, before costs
trade_cost         trade           commissions and half-spreads, fraction of
                                   starting equity (>= 0)
trade_spx          trade           S&P 500 close of the day
trade_vix          trade           VIX close of the day
=================  ==============  ===============================================

Sampled paths (``kept_path`` = 0 .. keep_paths - 1): ``kept_spx``, ``kept_vix``,
``kept_vvix``, ``kept_v``, ``kept_m`` (scenario, kept_path, day) and ``kept_equity``,
``kept_trading``, ``kept_hedge`` (scenario, strategy, kept_path, day): the path and both
books of every strategy; on simulated paths also the book's exposures at each close,
``kept_delta`` (P&L of a 1 % S&P 500 rise), ``kept_vega`` (of a 1 vol-point rise of the
variance curve) and ``kept_vix_delta`` (of a 1-point VIX rise; VIX calls and SPX puts
alike), from the plain-Python twin replaying the path with the day loop's positions
(:func:`kept_exposures`; history runs have none: the twin knows no exchange calendar).
"""

from __future__ import annotations

import numpy as np

LEGS = ("put_wing", "short_put", "short_call", "call_wing")
CONDOR = "SPX iron condor"
TRADE_FIELDS = ("path", "day", "instrument", "action", "reason", "position", "strikes",
                "expiry_day", "quantity", "price", "cash_flow", "cost", "spx", "vix")
KEPT_PATH_FIELDS = ("spx", "vix", "vvix", "v", "m")
KEPT_BOOK_FIELDS = ("equity", "trading", "hedge")
KEPT_EXPOSURE_FIELDS = ("delta", "vega", "vix_delta")

_ATTRS = {
    "trade_strategy": ("strategy label of the trade", None),
    "trade_scenario": ("scenario of the trade", None),
    "trade_path": ("path index of the trade", "1"),
    "trade_day": ("trading day of the trade (0 = start)", "day"),
    "trade_date": ("date of the trade (history runs; empty on simulated paths)", None),
    "trade_instrument": ("instrument: SPX iron condor or VIX call of a layer", None),
    "trade_action": ("open/close (condor, sold at open), buy/sell (VIX call)", None),
    "trade_reason": ("why: entry, take profit, stop, exit DTE, expiry, re-strike, roll, "
                     "monetise, roll out", None),
    "trade_position": ("id of the position the trade opens or closes (a round trip)", "1"),
    "trade_strikes": ("strikes: condor put wing, short put, short call, call wing; VIX call "
                      "strike in the first column", "1"),
    "trade_expiry_day": ("trading day the position expires", "day"),
    "trade_quantity": ("contracts traded, + bought, - sold", "1"),
    "trade_price": ("price per unit, index points (condor: its mid)", "1"),
    "trade_cash_flow": ("premium received (+) or paid (-) before costs, fraction of starting "
                        "equity", "1"),
    "trade_cost": ("commissions and half-spreads paid (>= 0), fraction of starting equity",
                   "1"),
    "trade_spx": ("S&P 500 close of the trade's day", "1"),
    "trade_vix": ("VIX close of the trade's day", "1"),
    "kept_spx": ("S&P 500 of the sampled path", "1"),
    "kept_vix": ("VIX of the sampled path", "1"),
    "kept_vvix": ("VVIX of the sampled path (the model's from its state; history: the real "
                  "Cboe VVIX)", "1"),
    "kept_v": ("spot variance of the sampled path", "1"),
    "kept_m": ("central tendency of the variance (two-factor models; 0 with one factor)", "1"),
    "kept_equity": ("account equity on the sampled path (1.0 at the start)", "1"),
    "kept_trading": ("trading book on the sampled path: the account less interest", "1"),
    "kept_hedge": ("the VIX layers' cumulative P&L on the sampled path, costs in", "1"),
    "kept_delta": ("the book's delta at the close: P&L of a 1 % S&P 500 rise (fraction of "
                   "starting equity; simulated paths)", "1"),
    "kept_vega": ("the book's vega at the close: P&L of a 1 vol-point rise of the variance "
                  "curve (sqrt v and sqrt m; fraction of starting equity)", "1"),
    "kept_vix_delta": ("the book's VIX delta at the close: P&L of a 1-point VIX rise through "
                       "the spot variance (fraction of starting equity)", "1"),
}


def trade_rows(engine, trades, *, schedule=None, path_offset: int = 0) -> dict:
    """The blotter rows of one evaluation's trade log (:class:`TradeEvent` list, sorted by
    path, strategy, day): a dict of equal-length arrays (``strategy`` and the
    :data:`TRADE_FIELDS`). ``schedule``: the run's :class:`ExpirySchedule` (history runs),
    for expiries of positions that are not held to them."""
    from simulator.common.conventions import LAYER_NAMES
    from simulator.strategy import specs as S

    rows: dict[str, list] = {k: [] for k in ("strategy", *TRADE_FIELDS)}
    next_id = 0
    current: dict[tuple, list] = {}  # (strategy, path, kind, slot) -> [id, expiry, held]
    for e in trades:
        k = engine.names.index(e.strategy)
        ss, ls = engine.specs[k], engine.layers[k]
        g = int(ss[S.SS_GROUP])
        rowp = e.path - path_offset
        condor = e.action.startswith("condor")
        slot = int(e.detail.split(":")[0].split()[1]) if condor else \
            LAYER_NAMES.index(e.detail.split()[0])
        key = (e.strategy, e.path, condor, slot)
        strikes = np.full(4, np.nan)
        strikes[:len(e.strikes)] = e.strikes
        put = e.action.startswith("SPX put")
        if e.action in ("condor open", "VIX call buy", "SPX put buy"):
            before = current.get(key)
            if condor:
                if before is not None and before[2] <= 1e-12 and before[1] >= e.day \
                        and _same_day_restrike(rows, before[0], e.day):
                    expiry = before[1]  # a re-struck tranche keeps its expiry
                elif schedule is not None and schedule.condor_days.shape[-1] > 0:
                    expiry = e.day + int(schedule.condor_days[rowp, g, e.day])
                else:
                    expiry = e.day + int(engine.groups[g, S.GS_DTE])
                reason, qty = "entry", -e.contracts
            else:
                rolled_out = before is not None and before[2] <= 1e-12 and \
                    _last_reason(rows, before[0]) == "roll out (term structure)" and \
                    rows["day"][-1] == e.day
                j = 3 if rolled_out else slot
                # history runs: the calendar's expiry (a put rolled out by the term-structure
                # rule keeps the roll-out's own count of days)
                if schedule is not None and schedule.layer_days.shape[-1] > 0 and not (
                        put and rolled_out):
                    expiry = e.day + int(schedule.layer_days[rowp, k, j, e.day])
                elif rolled_out:
                    expiry = e.day + int(ss[S.SS_TS_ROLL_DAYS])
                else:
                    expiry = e.day + int(ls[slot, S.LS_TENOR])
                reason, qty = ("roll out (term structure)" if rolled_out else "entry"), \
                    e.contracts
            current[key] = [next_id, expiry, abs(qty)]
            position = next_id
            next_id += 1
        else:
            held = current.get(key)
            if held is None:  # not possible with a complete log: kept, flagged
                held = current[key] = [next_id, e.day, e.contracts]
                next_id += 1
            position, expiry = held[0], held[1]
            held[2] -= e.contracts
            reason = e.detail.split(": ", 1)[1]
            qty = e.contracts if condor else -e.contracts
        rows["strategy"].append(e.strategy)
        rows["path"].append(e.path)
        rows["day"].append(e.day)
        rows["instrument"].append(CONDOR if condor else
                                  f"{'SPX put' if put else 'VIX call'} {LAYER_NAMES[slot]}")
        rows["action"].append(("open" if e.action == "condor open" else "close") if condor
                              else ("buy" if e.action.endswith(" buy") else "sell"))
        rows["reason"].append(reason)
        rows["position"].append(position)
        rows["strikes"].append(strikes)
        rows["expiry_day"].append(expiry)
        rows["quantity"].append(qty)
        rows["price"].append(e.price)
        rows["cash_flow"].append(e.cash_flow)
        rows["cost"].append(e.cost)
        rows["spx"].append(e.spx)
        rows["vix"].append(e.vix)
    out = {k: np.asarray(v) for k, v in rows.items() if k != "strikes"}
    out["strikes"] = np.asarray(rows["strikes"]).reshape(-1, 4)
    for k in ("strategy", "instrument", "action", "reason"):
        out[k] = out[k].astype(str)
    for k in ("path", "day", "position", "expiry_day"):
        out[k] = out[k].astype(np.int64)
    return out


def _same_day_restrike(rows, position: int, day: int) -> bool:
    for pos, d, reason in zip(reversed(rows["position"]), reversed(rows["day"]),
                              reversed(rows["reason"]), strict=True):
        if pos == position:
            return d == day and reason.startswith("re-strike")
    return False


def _last_reason(rows, position: int) -> str:
    for pos, reason in zip(reversed(rows["position"]), reversed(rows["reason"]), strict=True):
        if pos == position:
            return reason
    return ""


def chunk_extras(plan, engine, paths, result, start: int) -> dict:
    """The blotter rows and sampled paths of one chunk (paths ``start`` ..), as arrays for
    the chunk's checkpoint record (keys ``blotter_*`` and ``kept_*``)."""
    sim_cfg = plan.simulation
    n = paths.spx.shape[0]
    out: dict[str, np.ndarray] = {}
    if sim_cfg.trade_log_paths > start:
        schedule = None
        if getattr(paths, "dates", None) is not None:
            schedule = engine.schedule(paths.dates, n, paths.spx.shape[1])
        rows = trade_rows(engine, result.trades, schedule=schedule, path_offset=start)
        if schedule is not None and len(rows["day"]):
            rows["date"] = np.asarray(paths.dates)[rows["path"] - start, rows["day"]].astype(str)
        out |= {f"blotter_{k}": v for k, v in rows.items()}
    kept = min(sim_cfg.keep_paths - start, n)
    if kept > 0:
        m = paths.m if getattr(paths, "m", None) is not None else np.zeros_like(paths.v)
        for name, values in zip(KEPT_PATH_FIELDS, (paths.spx, paths.vix, result.vvix,
                                                   paths.v, m), strict=True):
            out[f"kept_{name}"] = np.array(values[:kept], dtype=float)
        for name in KEPT_BOOK_FIELDS:
            # a copy: the runner writes the next chunk's books into the same memory
            out[f"kept_{name}"] = np.array(getattr(result, name)[:, :kept], dtype=float)
        if getattr(paths, "dates", None) is None:  # the twin knows no exchange calendar
            out |= kept_exposures(engine, paths.spx[:kept], paths.v[:kept], m[:kept],
                                  paths.vix[:kept], result.trading[:, :kept],
                                  result.vvix[:kept])
    return out


def kept_exposures(engine, spx, v, m, vix, trading, vvix=None) -> dict:
    """Each strategy's delta, vega and VIX delta by day on the kept paths (arrays (strategy,
    path, day)): the plain-Python twin replays each path, holding the day loop's positions
    (its trading book checked against the kernel's), and reprices its book with bumped
    states (:func:`simulator.strategy.reference.position_exposures`)."""
    from simulator.strategy.reference import EXPOSURES, reference_strategy

    n_strat, n_paths, n_cols = trading.shape
    out = {f"kept_{key}": np.zeros((n_strat, n_paths, n_cols)) for key in EXPOSURES}
    for k, name in enumerate(engine.names):
        for i in range(n_paths):
            found: dict = {}
            ref = reference_strategy(engine, name, spx[i], v[i], m[i], vix[i],
                                     exposures=found,
                                     vvix=None if vvix is None else vvix[i])
            gap = float(np.max(np.abs(ref.trading - trading[k, i])))
            if gap > 1e-9:  # tests/test_reference.py holds them to 1e-11
                raise RuntimeError(f"strategy {name}, kept path {i}: the Python twin's "
                                   f"trading book is {gap:.2e} away from the kernel's")
            for key in EXPOSURES:
                out[f"kept_{key}"][k, i] = found[key]
    return out


def log_paths_of(plan, start: int, n: int) -> range:
    """The global path numbers of a chunk whose trades the blotter keeps."""
    return range(start, min(start + n, plan.simulation.trade_log_paths))


def cube_variables(plan, extras: list[list[dict]]) -> tuple[dict, dict]:
    """(data variables, coordinates) of the blotter and the sampled paths from each
    scenario's chunk extras (in path order); empty when the run keeps neither."""
    data: dict = {}
    coords: dict = {}
    names = [sc.name for sc in plan.scenarios]
    history = plan.history is not None
    if plan.simulation.trade_log_paths > 0:
        cols: dict[str, list] = {}
        for si, parts in enumerate(extras):
            for part in parts:
                if "blotter_day" not in part:
                    continue
                n = len(part["blotter_day"])
                cols.setdefault("scenario", []).append(np.full(n, names[si]))
                for key, value in part.items():
                    if key.startswith("blotter_"):
                        cols.setdefault(key[8:], []).append(value)
                if history and "blotter_date" not in part:
                    cols.setdefault("date", []).append(np.full(n, ""))
        table = {k: np.concatenate(v) for k, v in cols.items()} if cols else {}
        n_trades = len(table.get("day", ()))
        for key in ("scenario", "strategy", "path", "day", "date", "instrument", "action",
                    "reason", "position", "expiry_day", "quantity", "price", "cash_flow",
                    "cost", "spx", "vix"):
            if key == "date" and not history:
                values = np.full(n_trades, "")
            elif key in table:
                values = table[key]
            else:
                values = np.empty(0, dtype=float if key not in
                                  ("scenario", "strategy", "instrument", "action", "reason")
                                  else str)
            if values.dtype.kind == "U":
                values = values.astype(object)
            data[f"trade_{key}"] = (("trade",), values)
        strikes = table.get("strikes", np.empty((0, 4)))
        data["trade_strikes"] = (("trade", "leg"), strikes)
        coords["leg"] = ("leg", list(LEGS), {"long_name": "condor leg (VIX call: first)"})
    if plan.simulation.keep_paths > 0:
        kept = min(plan.simulation.keep_paths, plan.n_paths)
        for name in KEPT_PATH_FIELDS:
            data[f"kept_{name}"] = (("scenario", "kept_path", "day"), np.stack(
                [np.concatenate([p[f"kept_{name}"] for p in parts if f"kept_{name}" in p])
                 for parts in extras]))
        fields = KEPT_BOOK_FIELDS + (KEPT_EXPOSURE_FIELDS if not history else ())
        for name in fields:
            data[f"kept_{name}"] = (("scenario", "strategy", "kept_path", "day"), np.stack(
                [np.concatenate([p[f"kept_{name}"] for p in parts if f"kept_{name}" in p],
                                axis=1) for parts in extras]))
        coords["kept_path"] = ("kept_path", np.arange(kept),
                               {"long_name": "sampled path kept whole (= path index)",
                                "units": "1"})
    out = {}
    for key, (dims, values) in data.items():
        text, units = _ATTRS[key]
        attrs = {"long_name": text}
        if units is not None:
            attrs["units"] = units
        if key == "kept_trading" and history:  # said where a reader of the cube looks
            attrs["exposures"] = ("none on real history: the plain-Python twin that reprices "
                                  "the book knows no exchange calendar")
        out[key] = (dims, values, attrs)
    return out, coords


def blotter_frame(cube):
    """The cube's trade blotter as a pandas table (one row per trade; strikes as columns)."""
    import pandas as pd

    if "trade_day" not in cube:
        raise ValueError("this cube has no trade blotter: run with simulation.trade_log_paths "
                         "> 0")
    frame = pd.DataFrame({name[6:]: cube[name].values for name in cube.data_vars
                          if name.startswith("trade_") and cube[name].dims == ("trade",)})
    for j, leg in enumerate(LEGS):
        frame[f"strike_{leg}"] = cube["trade_strikes"].values[:, j]
    if "date" in cube.coords and cube.sizes.get("path") == 1:
        frame["expiry_date"] = _expiry_dates(np.asarray(cube.date.values, dtype=str),
                                             frame["expiry_day"].to_numpy())
    return frame


def _expiry_dates(dates: np.ndarray, expiry_day: np.ndarray) -> np.ndarray:
    """ISO dates of a one-window history run's expiry days: the window's own dates, and the
    sessions of the history clock after its end for expiries beyond it."""
    from simulator.market.sessions import history_sessions

    clock = history_sessions()
    last = np.searchsorted(clock, np.datetime64(dates[-1]))
    beyond = np.clip(last + expiry_day - (dates.size - 1), 0, clock.size - 1)
    inside = np.minimum(expiry_day, dates.size - 1)
    return np.where(expiry_day < dates.size, dates[inside], clock[beyond].astype(str))


def round_trips(frame):
    """One row per position of the blotter: instrument, opening day, closing reason, net P&L
    (premiums and costs, fraction of starting equity) and whether it was closed."""
    import pandas as pd

    if frame.empty:
        return pd.DataFrame(columns=["scenario", "strategy", "path", "position", "instrument",
                                     "open_day", "close_day", "exit_reason", "pnl", "closed"])
    # a closed position's quantities (+ bought, - sold) add up to zero
    frame = frame.assign(net=frame.cash_flow - frame.cost, held=frame.quantity)
    keys = ["scenario", "strategy", "path", "position"]
    grouped = frame.groupby(keys, sort=False)
    trips = grouped.agg(instrument=("instrument", "first"), open_day=("day", "first"),
                        close_day=("day", "last"), exit_reason=("reason", "last"),
                        pnl=("net", "sum"), held=("held", "sum"),
                        size=("quantity", lambda q: q.abs().iloc[0])).reset_index()
    trips["closed"] = trips.held.abs() <= 1e-9 * np.maximum(trips["size"], 1.0)
    trips.loc[~trips.closed, "exit_reason"] = "open at horizon"
    return trips.drop(columns=["held", "size"])


def trade_statistics(cube):
    """Per (scenario, strategy, instrument, exit reason) and in total: closed round trips,
    their win rate and P&L (fractions of starting equity; premiums and costs), from the
    blotter's paths. Positions open at the horizon are counted apart (not won, not lost)."""
    import pandas as pd

    trips = round_trips(blotter_frame(cube))
    kind = np.where(trips.instrument == CONDOR, CONDOR, "VIX call")
    trips = trips.assign(kind=kind)
    closed = trips[trips.closed]
    rows = []
    for (scenario, strategy, instrument), group in trips.groupby(
            ["scenario", "strategy", "kind"], sort=False):
        done = closed[(closed.scenario == scenario) & (closed.strategy == strategy)
                      & (closed.kind == instrument)]
        for reason, part in [("all", done), *done.groupby("exit_reason", sort=True)]:
            rows.append({"scenario": scenario, "strategy": strategy, "instrument": instrument,
                         "exit_reason": reason, "round_trips": len(part),
                         "win_rate": float((part.pnl > 0).mean()) if len(part) else np.nan,
                         "mean_pnl": float(part.pnl.mean()) if len(part) else np.nan,
                         "total_pnl": float(part.pnl.sum()),
                         "open_at_horizon": int((~group.closed).sum()) if reason == "all"
                         else 0})
    return pd.DataFrame(rows, columns=["scenario", "strategy", "instrument", "exit_reason",
                                       "round_trips", "win_rate", "mean_pnl", "total_pnl",
                                       "open_at_horizon"])


def format_trade_statistics(stats, n_paths: int) -> str:
    """The trade statistics as a text table (P&L in % of starting equity)."""
    head = (f"Trades of the blotter's {n_paths} path(s) per scenario: closed round trips "
            "(premiums and costs); P&L in % of starting equity; open: held at the horizon")
    ws = max([len("scenario"), *(len(x) for x in stats.scenario)]) + 2
    wt = max([len("strategy"), *(len(x) for x in stats.strategy)]) + 2
    lines = [head, f"{'scenario':<{ws}}{'strategy':<{wt}}{'instrument':<17}{'exit':<28}"
                   f"{'trips':>6}{'win %':>7}{'mean %':>9}{'total %':>9}{'open':>6}"]
    for r in stats.itertuples():
        win = "" if np.isnan(r.win_rate) else f"{100 * r.win_rate:.0f}"
        mean = "" if np.isnan(r.mean_pnl) else f"{100 * r.mean_pnl:.3f}"
        lines.append(f"{r.scenario:<{ws}}{r.strategy:<{wt}}{r.instrument:<17}"
                     f"{r.exit_reason[:27]:<28}{r.round_trips:>6}{win:>7}{mean:>9}"
                     f"{100 * r.total_pnl:>9.3f}{r.open_at_horizon or '':>6}")
    return "\n".join(lines)
