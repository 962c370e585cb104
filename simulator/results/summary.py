"""``summarize(cube)``: each hedged strategy against its baseline on the same paths, with
bootstrap CIs.

Drawdowns, recoveries and returns are those of the **trading book** (the account less the
interest earned on idle cash, :mod:`simulator.results.cube`): at r = 4 % the idle cash earns
about 1.6 tranches of risk capital a year, which would otherwise hide the losses. The
account's return (with interest) is shown beside it. Units (:mod:`simulator.results.units`):
``max_drawdown_*`` are fractions of starting equity, as in the cube;
``max_drawdown_risk_capital_*`` the same in units of the strategy's **risk capital** (its condor's
``risk_per_tranche`` x starting equity; NaN without a condor), the unit of the text table.

Per (scenario, strategy) row:

* absolute: ``account_return`` (mean annualised, with interest), ``annualised_return`` (mean
  trading-book P&L per year, i.e. the return over cash), mean, median and 95th-percentile max
  drawdown (both units), median recovery days (NaN if the median path does not recover) and
  the share of paths that recover, CVaR 95 % of the trading-book P&L, the hedge's realised
  spend ``hedge_premium_per_year`` (mean premium paid per year, fraction of starting equity)
  beside its ``hedge_budget_per_year`` (``budget_annual``; NaN when not budget-sized: the
  regime scaling and the filters move the spend off the budget); Sharpe, Sortino, Calmar and
  the median worst month of the trading book, each with
  ``_lo``/``_hi`` bootstrap bounds (:data:`simulator.results.stats.RISK_STATISTICS`);
  the money-weighted return of the trading book (the cube's ``irr``: the IRR a year of its
  daily cash flows on the starting equity, :mod:`simulator.strategy.irr`), ``irr_median``
  and ``irr_mean`` over the paths that have one, each with ``_lo``/``_hi`` bootstrap bounds
  (the same resamples as the paired statistics), and ``irr_share``, the share of paths that
  have one (NaN for a path whose flows no rate makes worth zero, or whose rate is not
  certified the only one); absent for a cube made before the IRR;
* paired against the strategy's baseline (common random numbers,
  :mod:`simulator.results.stats`; each hedged strategy against the book without the hedge,
  same condor, index core and costs, as recorded in the cube's ``paired_with`` attribute,
  :mod:`simulator.scenario.pairing`; a cube without it: every strategy against ``unhedged``):
  ``drag`` (annualised return given up), ``drawdown_reduction_median`` and ``_p95``,
  ``recovery_speedup`` and ``cvar95_difference``, each with ``_lo``/``_hi`` bounds of a
  percentile-bootstrap confidence interval that resamples whole paths (both strategies
  together, so the pairing is kept).
"""

from __future__ import annotations

import numpy as np

from simulator.common.conventions import BASELINE
from simulator.results.metrics import annual_pnl, annualise, cvar, run_years
from simulator.results.stats import (
    RISK_STATISTICS,
    STATISTICS,
    figure_draws,
    interval,
    nan_last_median,
    resample_blocks,
    risk_book,
)
from simulator.results.units import risk_capital_of

PAIRED = tuple(STATISTICS)


def paired_with(cube, baseline: str = BASELINE) -> dict[str, str | None]:
    """{strategy: the baseline it is paired against, None for a baseline}: the cube's record
    (``paired_with``) when ``baseline`` is the default, else (or for a cube written before
    the record) every other strategy against ``baseline``."""
    import json

    names = [str(s) for s in cube.strategy.values]
    recorded = json.loads(cube.attrs.get("paired_with") or "{}")
    if baseline == BASELINE and recorded and set(names) <= set(recorded):
        return {n: recorded[n] if recorded[n] in names else None for n in names}
    if baseline not in names:
        raise ValueError(f"the cube has no {baseline!r} strategy to pair against; strategies: "
                         f"{names}")
    return {n: None if n == baseline else baseline for n in names}


def hedge_budgets(cube) -> dict[str, float]:
    """{strategy: its hedge's budget_annual, NaN when the hedge is not budget-sized or none}."""
    import json

    out = {}
    for label, settings in json.loads(cube.attrs.get("strategies", "{}")).items():
        hedge = (settings or {}).get("hedge") or {}
        out[label] = float(hedge.get("budget_annual", np.nan)) \
            if hedge.get("sizing", "budget") == "budget" and hedge else np.nan
    return out


def trading_book(cube, scenario, strategy, risk: float = 1.0) -> dict[str, np.ndarray]:
    """Per-path trading-book figures of one strategy (the inputs of every paired statistic):
    P&L over cash in total and per year (``total_return``, ``annualised_return``), the max
    drawdown divided by ``risk`` (1: a fraction of starting equity) and the recovery days."""
    sel = cube.sel(scenario=scenario, strategy=strategy)
    pnl = sel.trading_return.values
    return {"total_return": pnl,
            "annualised_return": annual_pnl(pnl, run_years(cube)),
            "max_drawdown": sel.trading_max_drawdown.values / risk,
            "recovery_days": sel.trading_recovery_days.values}


SUMMARY_VARIABLE = "summary"


def summarize(cube, *, baseline: str = BASELINE, n_boot: int = 1000, level: float = 0.95,
              seed: int = 0, recompute: bool = False):
    """A pandas DataFrame indexed by (scenario, strategy); see the module docstring.

    A cube written by a run carries its summary (``cube.summary``, computed with the default
    options): it is returned as stored unless other options are asked for or ``recompute``."""
    stored = None if recompute else stored_summary(cube, baseline, n_boot, level, seed)
    if stored is not None:
        return stored
    return _summarize(cube, baseline=baseline, n_boot=n_boot, level=level, seed=seed)


def summary_variable(table, *, baseline: str = BASELINE, n_boot: int = 1000,
                     level: float = 0.95, seed: int = 0):
    """The summary table as a cube variable ``summary`` (scenario, strategy, summary_field),
    with the options that made it in its attributes."""
    import xarray as xr

    scenarios = list(dict.fromkeys(table.index.get_level_values("scenario")))
    strategies = list(dict.fromkeys(table.index.get_level_values("strategy")))
    fields = list(table.columns)
    values = np.full((len(scenarios), len(strategies), len(fields)), np.nan)
    for (scenario, strategy), row in table.iterrows():
        values[scenarios.index(scenario), strategies.index(strategy)] = row.to_numpy(float)
    return xr.DataArray(
        values, dims=("scenario", "strategy", "summary_field"),
        coords={"scenario": scenarios, "strategy": strategies,
                "summary_field": ("summary_field", fields,
                                  {"long_name": "field of the summary table (a column of "
                                                "summarize(cube))"})},
        attrs={"long_name": "summary of each strategy, paired against the baseline",
               "units": "1", "description": "the table of simulator.results.summary."
               "summarize (its module docstring defines every field); fractions, days and "
               "ratios as named; NaN where a field does not apply (paired fields of the "
               "baseline)", "baseline": baseline, "n_boot": int(n_boot),
               "level": float(level), "bootstrap_seed": int(seed)})


def stored_summary(cube, baseline: str = BASELINE, n_boot: int = 1000, level: float = 0.95,
                   seed: int = 0):
    """The summary stored in ``cube`` if it was made with these options, else None."""
    import pandas as pd

    if SUMMARY_VARIABLE not in cube.data_vars:
        return None
    var = cube[SUMMARY_VARIABLE]
    made_with = (var.attrs.get("baseline"), int(var.attrs.get("n_boot", -1)),
                 float(var.attrs.get("level", -1.0)), int(var.attrs.get("bootstrap_seed", -1)))
    if made_with != (baseline, int(n_boot), float(level), int(seed)):
        return None
    if list(var.scenario.values) != list(cube.scenario.values) or \
            list(var.strategy.values) != list(cube.strategy.values):
        return None  # a cube sliced after the run: its summary no longer matches it
    fields = [str(f) for f in var.summary_field.values]
    if "max_drawdown_risk_capital_median" not in fields:
        return None  # stored before max_drawdown_* were fractions of equity (issue 32)
    rows = [{"scenario": str(sc), "strategy": str(st),
             **dict(zip(fields, var.sel(scenario=sc, strategy=st).values.tolist(),
                        strict=True))}
            for sc in var.scenario.values for st in var.strategy.values]
    table = pd.DataFrame(rows).set_index(["scenario", "strategy"])
    table.attrs["resampling"] = resampling(cube)
    table.attrs["paired_with"] = paired_with(cube, baseline)
    return table


def _summarize(cube, *, baseline: str, n_boot: int, level: float, seed: int):
    import pandas as pd

    pairs = paired_with(cube, baseline)
    if not 0.0 < level < 1.0 or n_boot < 10:
        raise ValueError(f"level must be in (0, 1) and n_boot >= 10, got {level}, {n_boot}")
    years = run_years(cube)
    risk = risk_capital_of(cube)
    budgets = hedge_budgets(cube)
    # every statistic is a combination of figures of one book; each strategy's figures are
    # computed once per resample (from path counts) and the paired ones are combined with
    # the baseline's
    figures = {name: statistic.figure for name, statistic in STATISTICS.items()}
    for name, statistic in RISK_STATISTICS.items():
        figures |= {f"{name}:{k}": f for k, f in enumerate(statistic.figures)}
    rows = []
    for si, scenario in enumerate(cube.scenario.values):
        books = {}
        for strategy in cube.strategy.values:
            book = trading_book(cube, scenario, strategy)  # drawdowns: fractions of equity
            sel = cube.sel(scenario=scenario, strategy=strategy)
            with_months = "trading_monthly_pnl" in sel and sel.sizes.get("month", 0) > 1
            if with_months:  # the risk measures need two or more months of the trading book
                book |= risk_book(sel.trading_monthly_pnl.values, book["annualised_return"],
                                  sel.trading_max_drawdown.values)
            books[str(strategy)] = book
        # the same resamples for every strategy and statistic of the scenario; overlapping
        # windows of history are resampled in moving blocks
        first = next(iter(books.values()))
        idx = resample_blocks(first["total_return"].size, n_boot, [seed, si],
                              int(cube.attrs.get("window_block", 1)))
        usable = {k: f for k, f in figures.items() if ":" not in k or "month_sum" in first}
        draws = figure_draws(usable, books, idx)
        irr_rows = {}
        if "irr" in cube.data_vars:
            # the same resamples again (the generator is spent): the same seed and blocks
            again = resample_blocks(first["total_return"].size, n_boot, [seed, si],
                                    int(cube.attrs.get("window_block", 1)))
            irr_rows = dict(zip([str(s) for s in cube.strategy.values],
                                irr_fields(cube.irr.isel(scenario=si).values, again, level),
                                strict=True))
        for strategy in cube.strategy.values:
            h = books[str(strategy)]
            sel = cube.sel(scenario=scenario, strategy=strategy)
            row = {
                "scenario": str(scenario), "strategy": str(strategy),
                "account_return": float(annualise(sel.total_return.values, years).mean()),
                "annualised_return": float(h["annualised_return"].mean()),
                "max_drawdown_mean": float(np.mean(h["max_drawdown"])),
                "max_drawdown_median": float(np.median(h["max_drawdown"])),
                "max_drawdown_p95": float(np.quantile(h["max_drawdown"], 0.95)),
                "cvar95_total_return": float(cvar(h["total_return"])),
                "hedge_premium_per_year": float(sel.hedge_premium.values.mean() / years),
                "hedge_budget_per_year": budgets.get(str(strategy), np.nan),
                "recovery_days_median": float(nan_last_median(h["recovery_days"])),
                "recovered_share": float(np.mean(~np.isnan(h["recovery_days"]))),
            }
            row |= irr_rows.get(str(strategy), {})
            rc = risk.get(str(strategy), np.nan)
            for stat in ("mean", "median", "p95"):
                row[f"max_drawdown_risk_capital_{stat}"] = row[f"max_drawdown_{stat}"] / rc
            own = draws[str(strategy)]
            if "month_sum" in h:
                for name, statistic in RISK_STATISTICS.items():
                    parts = [own[f"{name}:{k}"] for k in range(len(statistic.figures))]
                    est = float(statistic.combine(*(p[0] for p in parts)))
                    values = np.asarray(statistic.combine(*(p[1] for p in parts)), float)
                    est, lo, hi = interval(est, values, level)
                    row |= {name: est, f"{name}_lo": lo, f"{name}_hi": hi}
            against = pairs.get(str(strategy))
            if against is not None:
                for name, statistic in STATISTICS.items():
                    (est_h, draws_h), (est_u, draws_u) = own[name], draws[against][name]
                    est, lo, hi = interval(float(statistic.combine(est_h, est_u)),
                                           np.asarray(statistic.combine(draws_h, draws_u),
                                                      dtype=float), level)
                    row |= {name: est, f"{name}_lo": lo, f"{name}_hi": hi}
            rows.append(row)
    table = pd.DataFrame(rows).set_index(["scenario", "strategy"])
    if cube.sizes["path"] == 1:  # one real path: no sampling distribution to give a CI
        table.loc[:, [c for c in table.columns if c.endswith(("_lo", "_hi"))]] = np.nan
    table.attrs["resampling"] = resampling(cube)
    table.attrs["paired_with"] = pairs
    return table


def irr_fields(irr: np.ndarray, indices, level: float) -> list[dict]:
    """Per strategy (row of ``irr`` (strategy, path)): ``irr_median``, ``irr_mean`` (over
    the paths with an IRR) with ``_lo``/``_hi`` percentile-bootstrap bounds on the path
    resamples ``indices`` (blocks of rows of path indices, :func:`resample_blocks`) and
    ``irr_share`` (paths with an IRR).

    The resampled figures come from path counts (:func:`~simulator.results.stats.
    figure_columns`), as every other figure of the summary: a resample's median is
    ``np.nanmedian`` of the gathered paths bit for bit; its mean over the paths with an IRR
    is the mean of the IRRs (NaN as 0) over the share of paths that have one, equal to
    ``np.nanmean`` to rounding; NaN where a resample has no path with an IRR."""
    import warnings

    from simulator.results.stats import Figure, figure_columns

    with warnings.catch_warnings():  # a strategy without any IRR: NaN
        warnings.simplefilter("ignore", RuntimeWarning)
        median = np.nanmedian(irr, axis=-1)
        mean = np.nanmean(irr, axis=-1)
    defined = np.isfinite(irr)
    columns = []
    for k in range(irr.shape[0]):
        columns += [(irr[k], Figure("irr", "nanmedian")),
                    (np.where(defined[k], irr[k], 0.0), Figure("irr", "mean")),
                    (defined[k].astype(float), Figure("irr", "mean"))]
    draws = figure_columns(columns, indices)
    out = []
    for k in range(irr.shape[0]):
        medians = draws[:, 3 * k]
        with np.errstate(invalid="ignore", divide="ignore"):
            means = np.where(draws[:, 3 * k + 2] > 0.0,
                             draws[:, 3 * k + 1] / draws[:, 3 * k + 2], np.nan)
        row = {"irr_share": float(np.mean(defined[k]))}
        for name, est, values in (("irr_median", median[k], medians),
                                  ("irr_mean", mean[k], means)):
            est, lo, hi = interval(float(est), values, level)
            row |= {name: est, f"{name}_lo": lo, f"{name}_hi": hi}
        out.append(row)
    return out


def resampling(cube) -> str:
    """How the summary's CIs resample the cube's paths (said under the table)."""
    if cube.sizes["path"] == 1:
        return "one real path: no sampling CI"
    block = int(cube.attrs.get("window_block", 1))
    if block > 1:
        return (f"moving blocks of {block} windows resampled: overlapping windows of real "
                "history are not independent")
    return "whole paths resampled"


SUMMARY_FORMATS = ("text", "csv", "json", "markdown")


def format_summary(table, *, level: float = 0.95, wide: bool = False, fmt: str = "text") -> str:
    """The summary as ``alvh run`` prints it: each strategy on its own (condor books, then
    books without a condor), the risk measures, then each hedged strategy paired against its
    baseline (percentages).

    ``fmt``: ``text`` (fixed-width tables, about 110 columns unless ``wide``), ``markdown``
    (the same tables), ``csv`` or ``json`` (every column of ``table``, fractions as
    fractions, one row per (scenario, strategy))."""
    if fmt not in SUMMARY_FORMATS:
        raise ValueError(f"format {fmt!r}: allowed {', '.join(SUMMARY_FORMATS)}")
    if fmt == "csv":
        return table.reset_index().to_csv(index=False)
    if fmt == "json":
        return table.reset_index().to_json(orient="records", indent=1)
    how = table.attrs.get("resampling", "whole paths resampled")
    own, index, paired = _summary_rows(table, wide)
    risk = _risk_rows(table)
    tables = [t for t in (own, index, risk, paired) if len(t) > 1]
    if fmt == "markdown":
        parts = [x for t in tables for x in (_markdown_table(t), "")]
        return "\n".join([*parts, *_summary_notes(level, 1000, how)])
    out = [x for t in tables for x in (_text_table(t), "")][:-1]
    return "\n".join([*out, *_summary_notes(level, 140 if wide else 100, how)])


def _summary_rows(table, wide: bool):
    """(condor books, books without a condor, paired) rows. Condor books' drawdowns are in %
    of their risk capital; a book without a condor (an S&P 500 core) has none, so it has its
    own table in % of equity. The paired table names each row's baseline when any is not
    ``unhedged`` (issue 32: no S&P 500 row paired against the condor)."""
    digits = 2 if wide else 1

    def pct(x, d=digits):
        return "" if x is None or np.isnan(x) else f"{100 * x:.{d}f}"

    def ci(row, name, d=digits):
        if name not in row or np.isnan(row.get(name, np.nan)):
            return None
        if np.isnan(row.get(name + "_lo", np.nan)):  # no CI (one real path)
            return pct(row[name], d)
        sep = ", " if wide else ","
        return f"{pct(row[name], d)} [{pct(row[name + '_lo'], d)}{sep}{pct(row[name + '_hi'], d)}]"

    pairs = table.attrs.get("paired_with") or {}
    named = any(v not in (None, BASELINE) for v in pairs.values())
    columns = ["acct %/yr", "P&L %/yr", *(["DD mean"] if wide else []), "DD med", "DD p95",
               "recov d", "recov %", "CVaR95 %", "budget %/yr", "spend %/yr"]
    own = [["scenario", "strategy", *columns]]
    index = [["scenario", "index core", *(c.replace("DD", "DD eq") for c in columns)]]
    paired = [["scenario", "strategy", *(["vs"] if named else []), "drag %/yr",
               "DD cut med %", "DD cut p95 %", "recov faster %", "CVaR95 gain %"]]
    for (scenario, strategy), row in table.iterrows():
        row = row.to_dict()
        rec = row.get("recovery_days_median", np.nan)
        in_risk = not np.isnan(row.get("max_drawdown_risk_capital_median", np.nan))
        dd = "max_drawdown_risk_capital_" if in_risk else "max_drawdown_"
        cells = [pct(row.get("account_return", np.nan), 2), pct(row["annualised_return"], 2),
                 *([pct(row.get(dd + "mean", np.nan))] if wide else []),
                 pct(row[dd + "median"]), pct(row[dd + "p95"]),
                 "never" if np.isnan(rec) else f"{rec:.0f}",
                 pct(row.get("recovered_share", np.nan), 0),
                 pct(row["cvar95_total_return"], 2),
                 pct(row.get("hedge_budget_per_year", np.nan), 2),
                 pct(row["hedge_premium_per_year"], 2)]
        (own if in_risk else index).append([scenario, strategy, *cells])
        cells = [ci(row, "drag", 2), *(ci(row, n) for n in PAIRED[1:])]
        if cells[0] is not None:  # n/a: e.g. no speed-up when the median path never recovers
            vs = [pairs.get(strategy) or ""] if named else []
            paired.append([scenario, strategy, *vs, *(c or "n/a" for c in cells)])
    return own, index, paired


def _risk_rows(table) -> list[list[str]]:
    """Sharpe, Sortino, Calmar, worst month (two months or more) and the median IRR (a cube
    made with it), with their CIs."""
    has_irr = "irr_median" in table.columns
    rows = [["scenario", "strategy", "Sharpe", "Sortino", "Calmar", "worst month %",
             *(["IRR med %"] if has_irr else [])]]
    if "sharpe" not in table.columns and not has_irr:
        return rows

    def ci(row, name, scale=1.0, d=2):
        if np.isnan(row.get(name, np.nan)):
            return "n/a"
        if np.isnan(row.get(name + "_lo", np.nan)):
            return f"{row[name] * scale:.{d}f}"
        lo, hi = row[name + "_lo"] * scale, row[name + "_hi"] * scale
        return f"{row[name] * scale:.{d}f} [{lo:.{d}f},{hi:.{d}f}]"
    for (scenario, strategy), row in table.iterrows():
        row = row.to_dict()
        rows.append([scenario, strategy, ci(row, "sharpe"), ci(row, "sortino"),
                     ci(row, "calmar"), ci(row, "worst_month", 100.0),
                     *([ci(row, "irr_median", 100.0)] if has_irr else [])])
    return rows


def _summary_notes(level: float, width: int,
                   how: str = "whole paths resampled") -> list[str]:
    import textwrap

    notes = [
        "acct: the account, with interest on idle cash; P&L: the trading book's P&L over cash "
        "(options and costs, no interest). DD: the trading book's max drawdown in % of risk "
        "capital (one tranche's risk); DD eq (books without a condor): in % of starting "
        "equity. budget: the hedge's budget_annual; spend: the premium it paid, % of starting "
        "equity a year (regime scaling and filters move it off the budget). recov d: median "
        "days from the drawdown's peak back to it after its trough (never: not within the "
        "run); recov %: share of paths back at that peak within the run. "
        "Sharpe, Sortino: the trading book's monthly P&L over cash, path-months pooled, "
        "annualised; Calmar: mean annual P&L / mean max drawdown; worst month: median over "
        "paths of each path's worst month, % of equity. IRR med: median over paths of the "
        "trading book's money-weighted return a year (its cash flows on the starting equity; "
        "paths without a unique one left out).",
        "Paired against the baseline (the same book without the hedge) on the same paths; "
        f"[lo, hi] = {100 * level:.0f} % bootstrap CI ({how}). drag > 0: trading-book P&L "
        "given up per year; "
        "DD cut > 0: smaller drawdowns; recov faster > 0: shorter median recovery; CVaR95 gain "
        "> 0: a better worst 5 % of P&L.",
    ]
    return [line for note in notes for line in textwrap.wrap(note, width)]


def _markdown_table(rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(rows[0]) + " |", "|" + "---|" * len(rows[0])]
    lines += ["| " + " | ".join(str(c) for c in r) + " |" for r in rows[1:]]
    return "\n".join(lines)


def _text_table(rows: list[list[str]]) -> str:
    widths = [max(len(str(r[i])) for r in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(str(c).ljust(w) if i < 2 else str(c).rjust(w)
                       for i, (c, w) in enumerate(zip(r, widths, strict=True))) for r in rows]
    lines.insert(1, "-" * len(lines[0]))
    return "\n".join(lines)
