"""The README's "Real history" tables from the shipped history scenarios
(``scenarios/history_2008.yaml``, ``history_volmageddon``, ``history_covid``,
``history_2022`` and ``history_windows``). Prints, in markdown:

1. per real window: the unhedged condor's and the ALVH 40/40/20 book's trading-book return
   over the window (% of equity, the cube's ``trading_return``), their max drawdowns
   (``trading_max_drawdown``, % of the condor's risk capital) and the DD cut,
   1 - hedged DD / unhedged DD;
2. the index-style baselines on the same windows: CNDR-style book (% of equity) / index (the
   return as the Cboe index reports it, :func:`simulator.results.replay.index_curve`), the
   S&P 500's trading-book return (its max drawdown in % of equity) and the VXTH-style
   account (max drawdown) / index;
3. every rolling 252-day window of ``history_windows``: the 5/25/50/75/95 % quantiles of the
   trading-book return over the year (% of equity), the share of losing years and the
   median and 95th-percentile max drawdown (% of risk capital; % of equity for the books
   without a condor);

then the 40/40/20 hedge's drag and its cut of the median and 95th-percentile drawdown over
the windows, with the summary's moving-block bootstrap CIs (``sim.summarize``: blocks of
``window_block`` consecutive windows, the windows overlap).

The cube figures come from ``simulator.run`` on each file with only the strategies the tables
show (the others are dropped before the run: on a real path each strategy's book depends
only on the path and its own settings). The index columns need the trade log, which the cube
does not keep: they come from ``replay_history`` of the same window, whose books are checked
against the cube's. Last, one line per file: days, the share of days whose fitted state sits
on the model's edge, and what the data could not give (marks and rule futures off the
model's curve, expiries settled at the close), and the seconds it took (about 10 s in all
once the pricing tables and compiled kernels are cached).

Under ``svcj_2f_calibrated`` it reproduces the README's 0.8 tables digit for digit.

    PYTHONPATH=. python docs/scripts/history_tables.py                      # the files' model
    PYTHONPATH=. python docs/scripts/history_tables.py svcj_2f_calibrated   # another preset
    PYTHONPATH=. python docs/scripts/history_tables.py svcj_2f_calibrated history_covid
    PYTHONPATH=. python docs/scripts/history_tables.py - history_windows    # one file, its model
"""

from __future__ import annotations

import math
import sys
import time
from pathlib import Path

import numpy as np
import yaml

SCENARIO_DIR = Path(__file__).resolve().parents[2] / "scenarios"
WINDOWS = ("history_2008", "history_volmageddon", "history_covid", "history_2022")
ROLLING = "history_windows"
# the strategies each table reads; the files' others are not run
HEDGED, UNHEDGED = "alvh_40_40_20", "unhedged"
SINGLE_STRATEGIES = (UNHEDGED, HEDGED, "cndr_like", "sp500", "vxth_like")
INDEX_STRATEGIES = ("cndr_like", "vxth_like")  # their "index" column: from the replay
ROLLING_STRATEGIES = (UNHEDGED, HEDGED, "single_front", "cndr_like", "sp500", "vxth_like")
QUANTILES = (0.05, 0.25, 0.5, 0.75, 0.95)


def load_spec(name: str, model: str | None = None, keep=None) -> dict:
    """The scenario file ``name`` as a dict, with ``model`` (a preset) instead of the file's
    and only the strategies ``keep`` (in the file's order)."""
    spec = yaml.safe_load((SCENARIO_DIR / f"{name}.yaml").read_text())
    if model is not None:
        spec["model"] = {"preset": model}
    if keep is not None:
        missing = set(keep) - set(spec["strategies"])
        if missing:
            raise ValueError(f"{name}: no strategy {sorted(missing)}")
        spec["strategies"] = {k: v for k, v in spec["strategies"].items() if k in keep}
    return spec


def book_figures(cube, strategy: str, scenario=None) -> dict[str, np.ndarray]:
    """Per path of ``strategy``: ``ret`` (trading-book return, fraction of equity) and ``dd``
    (its max drawdown in its unit: risk capital for a condor book, equity without one) and
    ``unit`` ("risk" or "equity")."""
    from simulator.results.units import risk_capital_of

    scenario = cube.scenario.values[0] if scenario is None else scenario
    sel = cube.sel(scenario=scenario, strategy=strategy)
    rc = risk_capital_of(cube).get(strategy, np.nan)
    dd = sel.trading_max_drawdown.values.astype(float)
    return {"ret": sel.trading_return.values.astype(float),
            "dd": dd if math.isnan(rc) else dd / rc,
            "unit": "equity" if math.isnan(rc) else "risk"}


def window_row(name: str, cube, index: dict | None = None) -> dict:
    """One real window (a one-path cube) as the figures of tables 1 and 2 (fractions);
    ``index``: {strategy: the index-style return} (NaN where not given)."""
    if cube.sizes["path"] != 1:
        raise ValueError(f"{name}: a single real window has one path, not {cube.sizes['path']}")
    dates = [str(d) for d in cube.date.values]
    f = {s: book_figures(cube, s) for s in cube.strategy.values.tolist()}
    one = {s: {k: (v[0] if k != "unit" else v) for k, v in x.items()} for s, x in f.items()}
    u, h = one[UNHEDGED], one[HEDGED]
    index = index or {}
    row = {"scenario": name, "start": dates[0], "end": dates[-1],
           "unhedged_return": u["ret"], "unhedged_dd": u["dd"],
           "hedged_return": h["ret"], "hedged_dd": h["dd"],
           "dd_cut": 1.0 - h["dd"] / u["dd"]}
    for s in ("cndr_like", "sp500", "vxth_like"):
        if s in one:
            row |= {f"{s}_return": one[s]["ret"], f"{s}_dd": one[s]["dd"],
                    f"{s}_unit": one[s]["unit"]}
            row[f"{s}_index"] = float(index.get(s, np.nan))
    return row


def _signed(x: float, d: int) -> str:
    return "n/a" if x is None or math.isnan(x) else f"{100 * x:+.{d}f}"


def _plain(x: float, d: int) -> str:
    return "n/a" if x is None or math.isnan(x) else f"{100 * x:.{d}f}"


def hedge_table(rows: list[dict]) -> str:
    """Table 1: one row per real window."""
    lines = ["| scenario | window | unhedged return | unhedged DD | ALVH 40/40/20 return | "
             "ALVH DD | DD cut |", "|---|---|---|---|---|---|---|"]
    for r in rows:
        lines.append(f"| {r['scenario']} | {r['start']} to {r['end']} | "
                     f"{_signed(r['unhedged_return'], 2)} | {_plain(r['unhedged_dd'], 0)} | "
                     f"{_signed(r['hedged_return'], 2)} | {_plain(r['hedged_dd'], 0)} | "
                     f"{_plain(r['dd_cut'], 0)} % |")
    return "\n".join(lines)


def baseline_table(rows: list[dict]) -> str:
    """Table 2: the index-style baselines of each real window."""
    lines = ["| scenario | CNDR-style: book / index | S&P 500 | VXTH-style: account / index |",
             "|---|---|---|---|"]
    for r in rows:
        g = r.get
        lines.append(
            f"| {r['scenario']} | {_signed(g('cndr_like_return', np.nan), 2)} / "
            f"{_signed(g('cndr_like_index', np.nan), 1)} | "
            f"{_signed(g('sp500_return', np.nan), 1)} ({_plain(g('sp500_dd', np.nan), 1)}) | "
            f"{_signed(g('vxth_like_return', np.nan), 1)} "
            f"({_plain(g('vxth_like_dd', np.nan), 1)}) / "
            f"{_signed(g('vxth_like_index', np.nan), 1)} |")
    return "\n".join(lines)


def rolling_rows(cube) -> list[dict]:
    """Table 3's figures (fractions): per strategy of a windows cube, the quantiles of the
    trading-book return, the share of losing windows, the median and 95th-percentile max
    drawdown (``unit``: risk capital, or equity for a book without a condor)."""
    rows = []
    for s in cube.strategy.values.tolist():
        f = book_figures(cube, s)
        rows.append({"strategy": s, "unit": f["unit"],
                     "quantiles": np.quantile(f["ret"], QUANTILES),
                     "losing": float(np.mean(f["ret"] < 0)),
                     "dd_median": float(np.median(f["dd"])),
                     "dd_p95": float(np.quantile(f["dd"], 0.95))})
    return rows


def rolling_table(rows: list[dict]) -> str:
    lines = ["| strategy | 5 % | 25 % | median | 75 % | 95 % | losing years | median DD | "
             "95 % DD |", "|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        label = r["strategy"] + (" (DD in % of equity)" if r["unit"] == "equity" else "")
        d = 1 if r["unit"] == "equity" else 0
        lines.append(f"| {label} | " + " | ".join(_signed(q, 2) for q in r["quantiles"])
                     + f" | {_plain(r['losing'], 0)} % | {_plain(r['dd_median'], d)} | "
                     f"{_plain(r['dd_p95'], d)} |")
    return "\n".join(lines)


def hedge_effect(cube) -> dict[str, tuple[float, float, float]]:
    """The 40/40/20 hedge against unhedged over the windows: (estimate, lo, hi) of ``drag``
    (per year), ``drawdown_reduction_median`` and ``_p95``, as ``sim.summarize`` gives them
    (moving-block bootstrap over the overlapping windows)."""
    import simulator as sim

    table = sim.summarize(cube)
    row = table.loc[(str(cube.scenario.values[0]), HEDGED)]
    if table.attrs.get("paired_with", {}).get(HEDGED) != UNHEDGED:
        raise ValueError(f"{HEDGED} is not paired against {UNHEDGED}")
    return {k: (float(row[k]), float(row[f"{k}_lo"]), float(row[f"{k}_hi"]))
            for k in ("drag", "drawdown_reduction_median", "drawdown_reduction_p95")}


def hedge_sentence(effect: dict, resampling: str = "") -> str:
    def f(key, d):
        est, lo, hi = (100 * x for x in effect[key])
        return f"{est:.{d}f} % [{lo:.{d}f}, {hi:.{d}f}]"

    return (f"Over real years the 40/40/20 hedge's drag is {f('drag', 2).replace(' %', ' %/yr')}"
            f". Its cut of the median drawdown is {f('drawdown_reduction_median', 0)} and of "
            f"the 95th percentile {f('drawdown_reduction_p95', 0)}."
            + (f" (CIs: {resampling}.)" if resampling else ""))


def index_returns(name: str, spec: dict, cube) -> tuple[dict, float]:
    """({strategy: the index-style return} of ``INDEX_STRATEGIES``, the share of days whose
    state sits on the model's edge) from a replay of the window; its books must equal the
    cube's."""
    from simulator.common.conventions import TRADING_DAYS_PER_YEAR
    from simulator.results.replay import replay_rows
    from simulator.scenario.loader import parse_scenario
    from simulator.scenario.replay import replay_history

    keep = [s for s in INDEX_STRATEGIES if s in spec["strategies"]]
    plan = parse_scenario(yaml.safe_dump(spec, sort_keys=False), source=name,
                          base_dir=SCENARIO_DIR)
    model = plan.scenarios[0].model
    strategies = {k: plan.strategies[k] for k in keep}
    result, path = replay_history(model, strategies, plan.path.start.isoformat(),
                                  plan.path.end.isoformat(), costs=plan.costs,
                                  capital=plan.simulation.capital)
    growth = math.exp(model.r / TRADING_DAYS_PER_YEAR)
    out = {}
    for row in replay_rows(result, strategies, path.dates, growth, path.spx, model.q):
        s = row["strategy"]
        in_cube = float(cube.sel(strategy=s).trading_return.values.ravel()[0])
        if not math.isclose(row["pnl"], in_cube, rel_tol=1e-9, abs_tol=1e-12):
            raise AssertionError(f"{name} {s}: replay P&L {row['pnl']} != cube {in_cube}")
        out[s] = row["index_return"]
    return out, float(np.mean(path.clipped))


def fallbacks(cube) -> str:
    """What the data could not give (docs/history.md §4), summed over paths: the ALVH
    hedge's marks off the model's future, the days its rules read the model's futures, and
    the expiries settled at the close (no open or SOQ in the data)."""
    n = cube.sizes["path"]

    def count(strategy, event):
        if strategy not in cube.strategy.values or event not in cube.event.values:
            return 0
        return round(float(cube.trades_per_path.sel(strategy=strategy, event=event).sum())
                     * n)

    marks = count(HEDGED, "hedge_marks_model"), count(HEDGED, "hedge_marks_listed")
    rules = count(HEDGED, "rule_futures_model"), count(HEDGED, "rule_futures_listed")
    return (f"{HEDGED} marks off the model's future {marks[0]} of {sum(marks)}, rule days on "
            f"the model's futures {rules[0]} of {sum(rules)}; settled at the close: cndr_like "
            f"{count('cndr_like', 'condor_settled_close')} condors, vxth_like "
            f"{count('vxth_like', 'hedge_settled_close')} call layers")


def _setting(cube) -> tuple[str, str]:
    """(model preset, costs preset) the cube was run with."""
    import json

    return (", ".join(sorted(set(json.loads(cube.attrs["model_preset"]).values()))),
            str(cube.attrs.get("costs_preset")))


def main(model: str | None = None, only: list[str] | None = None) -> None:
    """Run the files (``only``: some of them, by name) and print the tables."""
    import simulator as sim
    from simulator.calibration.states import curve_history

    names = only or [*WINDOWS, ROLLING]
    rows, notes, setting = [], [], {}
    for name in (n for n in names if n != ROLLING):
        t0 = time.perf_counter()
        spec = load_spec(name, model, SINGLE_STRATEGIES)
        cube = sim.run(spec, summary=False)
        index, clipped = index_returns(name, spec, cube)
        rows.append(window_row(name, cube, index))
        setting[name] = _setting(cube)
        notes.append(f"{name}: {cube.sizes['day'] - 1} trading-day moves, {clipped:.1%} of "
                     f"days' states on the model's edge; {fallbacks(cube)}; "
                     f"{time.perf_counter() - t0:.0f} s")
    if rows:
        print(hedge_table(rows), "", baseline_table(rows), "", sep="\n")
    if ROLLING in names:
        t0 = time.perf_counter()
        cube = sim.run(load_spec(ROLLING, model, ROLLING_STRATEGIES))
        setting[ROLLING] = _setting(cube)
        starts = [str(d) for d in cube.window_start.values]
        print(f"{cube.sizes['path']} windows of {cube.attrs['window_length_days']} trading-day "
              f"moves, starting {starts[0]} to {starts[-1]}\n")
        print(rolling_table(rolling_rows(cube)), "", sep="\n")
        print(hedge_sentence(hedge_effect(cube), sim.summarize(cube).attrs["resampling"]), "")
        ends = [str(d) for d in cube.window_end.values]
        span = curve_history(sim.load_model(setting[ROLLING][0]), starts[0], ends[-1])
        notes.append(f"{ROLLING}: {cube.sizes['path']} windows, {starts[0]} to {ends[-1]}, "
                     f"{np.mean(span.clipped):.1%} of the span's {span.clipped.size} days' "
                     f"states on the model's edge; {fallbacks(cube)} (summed over the "
                     f"overlapping windows); {time.perf_counter() - t0:.0f} s")
    print("\n".join(notes))
    print("model, costs: " + "; ".join(f"{k} {m}, {c}" for k, (m, c) in setting.items()))


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 and sys.argv[1] != "-" else None,
         sys.argv[2:] or None)
