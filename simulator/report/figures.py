"""Figures of a results cube (matplotlib, Agg backend): one set per scenario.

Every function takes the cube and a scenario name and returns a ``matplotlib.figure.Figure``;
:func:`write_figures` saves them all as PNG. Percentages on the axes are of starting equity
unless the label says otherwise.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

from simulator.common.conventions import BASELINE

MAX_LINES = 6
EVENT_TOP_SHARE = 0.10  # the event study averages the paths with the largest VIX spikes


def _plt():
    import matplotlib

    if "matplotlib.pyplot" not in sys.modules and "ipykernel" not in sys.modules:
        matplotlib.use("Agg")  # headless: the CLI writes files; notebooks keep their backend
    import matplotlib.pyplot as plt

    return plt


def _hedged(cube, limit=MAX_LINES - 1):
    names = [str(s) for s in cube.strategy.values if s != BASELINE]
    if len(names) > limit:  # keep the ends and the middle of a sweep
        idx = np.unique(np.linspace(0, len(names) - 1, limit).round().astype(int))
        names = [names[i] for i in idx]
    return names


def _title(cube, scenario, what):
    return f"{cube.attrs.get('scenario_name', '')} / {scenario}: {what}"


def fan_chart(cube, scenario):
    """Equity quantile bands over time: unhedged and up to two hedged strategies."""
    plt = _plt()
    sel = cube.sel(scenario=scenario)
    q = sel["quantile"].values
    fig, ax = plt.subplots(figsize=(9, 5.5))
    colors = ["0.35", "tab:blue", "tab:orange"]
    for color, name in zip(colors, [BASELINE, *_hedged(cube, 2)], strict=False):
        eq = sel.equity_q.sel(strategy=name)
        day = eq.day.values
        if {0.05, 0.95} <= set(q):
            ax.fill_between(day, eq.sel(quantile=0.05), eq.sel(quantile=0.95), color=color,
                            alpha=0.12, lw=0)
        if {0.25, 0.75} <= set(q):
            ax.fill_between(day, eq.sel(quantile=0.25), eq.sel(quantile=0.75), color=color,
                            alpha=0.25, lw=0)
        if 0.5 in q:
            ax.plot(day, eq.sel(quantile=0.5), color=color, lw=2, label=f"{name} (median)")
        if 0.01 in q:
            ax.plot(day, eq.sel(quantile=0.01), color=color, lw=1, ls="--",
                    label=f"{name} (1st percentile)")
    return _finish(fig, ax, "trading day", "equity (1.0 = starting equity)",
                   _title(cube, scenario, "equity fan (bands: 5-95 % and 25-75 % of paths)"),
                   "upper left")


def _finish(fig, ax, xlabel: str, ylabel: str, title: str, legend_loc: str):
    """Labels, title, a light grid and the legend; the figure laid out tight."""
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, loc=legend_loc)
    fig.tight_layout()
    return fig


def drawdown_distributions(cube, scenario):
    """Empirical CDFs of the trading book's maximum drawdown in units of risk capital, one line
    per strategy."""
    from simulator.results.summary import risk_capital

    plt = _plt()
    risk = risk_capital(cube)
    sel = cube.sel(scenario=scenario)
    fig, ax = plt.subplots(figsize=(9, 5.5))
    for name in [BASELINE, *_hedged(cube)]:
        dd = np.sort(sel.trading_max_drawdown.sel(strategy=name).values) / risk * 100
        p = np.arange(1, dd.size + 1) / dd.size
        ax.plot(dd, p, lw=2 if name == BASELINE else 1.4,
                color="black" if name == BASELINE else None,
                label=f"{name}: median {np.median(dd):.2f} %, p95 {np.quantile(dd, 0.95):.2f} %")
    return _finish(fig, ax,
                   "maximum drawdown of the trading book over the run (% of risk capital)",
                   "share of paths with a smaller drawdown",
                   _title(cube, scenario, "distribution of maximum drawdown"), "lower right")


def frontier(cube, scenario, table, cost_scenario=None):
    """Drag against drawdown reduction (median and p95) for every hedged strategy, with the
    95 % bootstrap CIs; the points of a sweep are joined in sweep order.

    With ``cost_scenario`` (e.g. "base") the drag is read there and the drawdown cut in
    ``scenario`` (e.g. "crash"): what the hedge costs in an ordinary year against what it buys
    in the bad one. The paths of two scenarios are independent, so the two CIs are too."""
    plt = _plt()
    rows = table.loc[scenario]
    rows = rows[rows.index != BASELINE]
    costs = rows if cost_scenario is None else table.loc[cost_scenario].loc[rows.index]
    swept = any(cube[c].dims == ("strategy",) and c != "strategy" for c in cube.coords)
    fig, ax = plt.subplots(figsize=(9, 5.5))
    x = costs["drag"].values * 100
    xerr = np.abs(np.vstack([x - costs["drag_lo"] * 100, costs["drag_hi"] * 100 - x]))
    for stat, marker, color in (("drawdown_reduction_median", "o", "tab:blue"),
                                ("drawdown_reduction_p95", "s", "tab:red")):
        y = rows[stat].values * 100
        yerr = np.abs(np.vstack([y - rows[f"{stat}_lo"] * 100, rows[f"{stat}_hi"] * 100 - y]))
        ax.errorbar(x, y, xerr=xerr, yerr=yerr, fmt=marker, color=color, capsize=3,
                    label=stat.replace("drawdown_reduction_", "drawdown cut, ")
                    .replace("p95", "95th percentile"))
        if swept:  # join the points of a sweep, in sweep order
            ax.plot(x, y, color=color, alpha=0.4)
        if stat.endswith("median"):  # one label per strategy
            for xi, yi, name in zip(x, y, rows.index, strict=True):
                ax.annotate(name, (xi, yi), fontsize=7, xytext=(4, 4),
                            textcoords="offset points")
    ax.axhline(0, color="0.5", lw=0.8)
    ax.axvline(0, color="0.5", lw=0.8)
    where = "" if cost_scenario is None else f" in {cost_scenario}"
    what = "cost and benefit of each hedge (95 % CIs)" if cost_scenario is None else \
        f"cost in {cost_scenario} vs benefit in {scenario} (95 % CIs)"
    return _finish(fig, ax, f"drag{where}: annualised return given up vs unhedged (% per year)",
                   f"drawdown reduction in {scenario} vs unhedged (% of its max drawdown)",
                   _title(cube, scenario, what), "best")


def layer_attribution(cube, scenario):
    """Mean P&L per path by source (condor, each VIX layer, SPX costs, interest)."""
    plt = _plt()
    sel = cube.sel(scenario=scenario)
    names = [BASELINE, *_hedged(cube)]
    parts = {"condor": sel.condor_pnl, "front layer": sel.layer_pnl.sel(layer="front"),
             "middle layer": sel.layer_pnl.sel(layer="middle"),
             "tail layer": sel.layer_pnl.sel(layer="tail"), "SPX costs": sel.spx_costs,
             "interest": sel.interest}
    colors = ["tab:green", "tab:blue", "tab:purple", "tab:red", "0.5", "tab:olive"]
    fig, ax = plt.subplots(figsize=(9, 1.6 + 0.55 * len(names)))
    y = np.arange(len(names))
    pos = np.zeros(len(names))
    neg = np.zeros(len(names))
    for (label, da), color in zip(parts.items(), colors, strict=True):
        vals = np.array([float(da.sel(strategy=n).mean()) for n in names]) * 100
        left = np.where(vals >= 0, pos, neg)
        ax.barh(y, vals, left=left, color=color, label=label, height=0.6)
        pos += np.where(vals >= 0, vals, 0)
        neg += np.where(vals < 0, vals, 0)
    total = np.array([float(sel.total_return.sel(strategy=n).mean()) for n in names]) * 100
    ax.plot(total, y, "kD", label="total return (mean)")
    ax.set_yticks(y, names, fontsize=8)
    ax.set_ylabel("strategy")
    ax.invert_yaxis()
    ax.axvline(0, color="black", lw=0.8)
    ax.set_xlabel("mean P&L per path (% of starting equity; layers include their costs)")
    ax.set_title(_title(cube, scenario, "P&L attribution"))
    ax.grid(alpha=0.3, axis="x")
    ax.legend(fontsize=7, ncol=4, loc="upper center", bbox_to_anchor=(0.5, -0.22 - 0.2 /
                                                                       len(names)))
    fig.tight_layout()
    return fig


def median_regain_days(sel, strategy) -> float:
    """Median over a scenario's vol events of the days its trading book took to regain its
    pre-event peak (inf: most never did; NaN: no events)."""
    days = sel.event_regain_days.sel(strategy=strategy).values
    exists = ~np.isnan(sel.vol_event_start.values)
    if not exists.any():
        return float("nan")
    return float(np.median(np.where(np.isnan(days), np.inf, days)[exists]))


def event_study(cube, scenario):
    """Around each path's largest one-day VIX rise (the top 10 % of paths by that rise): mean
    equity change from the day before, unhedged (the condor) and hedged, and what the hedge
    added (hedged - unhedged on the same path); in the legend, the median trading days to
    regain the pre-event peak of the trading book over the scenario's vol events
    (:mod:`simulator.results.events`)."""
    plt = _plt()
    sel = cube.sel(scenario=scenario)
    size = sel.vix_spike_points.values
    cut = np.quantile(size, 1 - EVENT_TOP_SHARE)
    paths = size >= cut
    lag = sel.lag.values
    fig, (ax, ax2) = plt.subplots(1, 2, figsize=(12, 5), sharex=True)
    base = sel.event_return.sel(strategy=BASELINE).values[paths]
    for name in [BASELINE, *_hedged(cube, 3)]:
        ev = sel.event_return.sel(strategy=name).values[paths]
        med = median_regain_days(sel, name)
        be_text = "no events" if np.isnan(med) else "never" if np.isinf(med) else f"{med:.0f} d"
        ax.plot(lag, np.nanmean(ev, axis=0) * 100, lw=2 if name == BASELINE else 1.4,
                color="black" if name == BASELINE else None,
                label=f"{name} (vol events: median {be_text} to regain the peak)")
        if name != BASELINE:
            ax2.plot(lag, np.nanmean(ev - base, axis=0) * 100, lw=1.4, label=name)
    for a in (ax, ax2):
        a.axvline(0, color="tab:red", lw=0.8, ls="--")
        a.axhline(0, color="0.5", lw=0.8)
        a.grid(alpha=0.3)
        a.set_xlabel("trading days from the largest one-day VIX rise")
    ax.set_ylabel("equity change since the day before (% , mean over paths)")
    ax2.set_ylabel("hedged minus unhedged (% of equity, mean)")
    ax.set_title(f"{scenario}: books around the spike", fontsize=10)
    ax2.set_title("what the hedge added", fontsize=10)
    ax.legend(fontsize=7)
    ax2.legend(fontsize=7)
    fig.suptitle(_title(cube, scenario, f"event study, {paths.sum()} paths with a VIX rise of "
                                        f">= {cut:.1f} points"), fontsize=11)
    fig.tight_layout()
    return fig


def write_figures(cube, out_dir: str | Path, table=None) -> list[Path]:
    """All figures of every scenario as PNG files in ``out_dir``; returns their paths."""
    from simulator.results.summary import summarize

    plt = _plt()
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    if table is None:
        table = summarize(cube)
    written = []
    n_hedged = len(_hedged(cube, 10**6))
    for scenario in (str(s) for s in cube.scenario.values):
        figures = {"fan": fan_chart(cube, scenario),
                   "drawdowns": drawdown_distributions(cube, scenario),
                   "attribution": layer_attribution(cube, scenario),
                   "event_study": event_study(cube, scenario)}
        if n_hedged >= 1:
            figures["frontier"] = frontier(cube, scenario, table)
            if scenario != "base" and "base" in cube.scenario.values:
                figures["frontier_vs_base"] = frontier(cube, scenario, table, "base")
        for kind, fig in figures.items():
            path = out_dir / f"{scenario}_{kind}.png"
            fig.savefig(path, dpi=110)
            plt.close(fig)
            written.append(path)
    return written
