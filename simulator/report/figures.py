"""Figures of a results cube for a trader's deck (matplotlib): one set per scenario.

Every function takes the cube and a scenario name and returns a ``matplotlib.figure.Figure``
titled in words (what is shown, then the scenario's own description), with percentages on the
axes and a footnote saying what was run (paths, days, seed, model, costs, package version).
:func:`write_figures` saves them all as PNG, SVG or PDF.

Strategies are named as a trader would read them: a sweep label such as
``alvh[budget_annual=0.015]`` becomes ``alvh, budget 1.5 %/yr``.
"""

from __future__ import annotations

import json
import re
import sys
import textwrap
from pathlib import Path

import numpy as np

from simulator.common.conventions import BASELINE

MAX_LINES = 6
EVENT_TOP_SHARE = 0.10  # the event study follows the paths with the largest VIX spikes
MIN_DISTRIBUTION_PATHS = 20  # fewer paths (a single real window) have no drawdown tail to draw
FIGURE_FORMATS = ("png", "svg", "pdf")
DEFAULT_DPI = 150
BASELINE_COLOR = "0.25"
PALETTE = ("tab:blue", "tab:orange", "tab:green", "tab:purple", "tab:brown", "tab:cyan")
LINESTYLES = ("-", "--", "-.", ":", (0, (5, 1)), (0, (3, 1, 1, 1)))


def _plt():
    import matplotlib

    if "matplotlib.pyplot" not in sys.modules and "ipykernel" not in sys.modules:
        matplotlib.use("Agg")  # headless: the CLI writes files; notebooks keep their backend
    import matplotlib.pyplot as plt

    return plt


def _percent_axis(axis, decimals=None):
    from matplotlib.ticker import PercentFormatter

    axis.set_major_formatter(PercentFormatter(xmax=100, decimals=decimals))


# ---- words: strategy labels, titles, footnote -----------------------------------------------

_SETTING_WORDS = {"budget_annual": ("budget", 100, " %/yr"),
                  "risk_per_tranche": ("risk", 100, " %"),
                  "short_delta": ("short delta", 1, ""),
                  "dte": ("DTE", 1, "")}


def strategy_label(name: str) -> str:
    """``alvh[budget_annual=0.015]`` -> ``alvh, budget 1.5 %/yr``; other names unchanged."""
    match = re.fullmatch(r"(.+?)\[(.+)\]", name)
    if not match:
        return name
    parts = []
    for item in match.group(2).split(","):
        key, _, value = item.partition("=")
        field = key.strip().split(".")[-1]
        words, scale, unit = _SETTING_WORDS.get(field, (field.replace("_", " "), 1, ""))
        try:
            parts.append(f"{words} {float(value) * scale:g}{unit}")
        except ValueError:
            parts.append(f"{words} {value}")
    return f"{match.group(1)}, {', '.join(parts)}"


def _details(cube) -> dict:
    try:
        return json.loads(cube.attrs.get("scenario_details", "{}"))
    except (TypeError, ValueError):
        return {}


def scenario_words(cube, scenario) -> str:
    """``crash: a -12 % day with VIX set to 65 on trading day 30, on every path``."""
    description = (_details(cube).get(str(scenario)) or {}).get("description", "")
    return f"{scenario}: {description}" if description else str(scenario)


def _set_titles(fig, what: str, cube, scenario) -> None:
    """The headline (what is shown) and, under it, the scenario in words."""
    sub = textwrap.shorten(scenario_words(cube, scenario), 120, placeholder=" ...")
    fig.suptitle(f"{what}\n{sub}", fontsize=11, x=0.01, ha="left", y=0.995, va="top")


def footnote(cube) -> str:
    """What was run: paths, days, seed, model(s), costs, package version."""
    attrs = cube.attrs
    try:
        models = sorted(set(json.loads(attrs.get("model_preset", "{}")).values()))
    except (TypeError, ValueError):
        models = []
    history = attrs.get("path_source", "model") != "model"
    paths = (f"real history {attrs.get('history_span', '')}, {cube.sizes.get('path', 0):,} "
             f"window(s) of {cube.sizes.get('day', 1) - 1} trading days" if history else
             f"{cube.sizes.get('path', 0):,} paths x {cube.sizes.get('day', 1) - 1} trading days")
    parts = [paths, *([] if history else [f"seed {attrs.get('seed', '?')}"]),
             f"model {', '.join(models) if models else '?'}",
             f"costs {attrs.get('costs_preset', '?')}",
             f"{attrs.get('scenario_name', '')} ({attrs.get('package', 'alvh-simulator')} "
             f"{attrs.get('package_version', '?')})"]
    return "; ".join(parts) + (". Model prices around real levels, not historical quotes."
                               if history else ". Prices under Q, paths under P.")


def _finish(fig, cube, scenario, what: str, bottom: float = 0.10):
    _set_titles(fig, what, cube, scenario)
    fig.text(0.01, 0.01, footnote(cube), fontsize=7, color="0.4", ha="left", va="bottom")
    fig.tight_layout(rect=(0, bottom / 2 + 0.02, 1, 0.92))
    return fig


def _hedged(cube, limit=MAX_LINES - 1):
    names = [str(s) for s in cube.strategy.values if s != BASELINE]
    if len(names) > limit:  # keep the ends and the middle of a sweep
        idx = np.unique(np.linspace(0, len(names) - 1, limit).round().astype(int))
        names = [names[i] for i in idx]
    return names


def _style(i: int, name: str) -> dict:
    if name == BASELINE:
        return {"color": BASELINE_COLOR, "ls": "-", "lw": 2.2}
    return {"color": PALETTE[i % len(PALETTE)], "ls": LINESTYLES[i % len(LINESTYLES)],
            "lw": 1.6}


def _mark_stress(ax, cube, scenario) -> None:
    """Shock days as dashed red lines (labelled with the move), regime spans shaded."""
    details = _details(cube).get(str(scenario)) or {}
    shocks = details.get("shocks") or []
    for k, shock in enumerate(shocks):
        ax.axvline(shock["day"], color="tab:red", lw=0.9, ls="--", alpha=0.8)
        if k == 0 or len(shocks) <= 3:
            move = []
            if shock.get("spx_return") is not None:
                move.append(f"SPX {100 * shock['spx_return']:+.0f} %")
            if shock.get("vix") is not None:
                move.append(f"VIX {shock['vix']:g}")
            text = ("shocks from here" if len(shocks) > 3 else
                    "shock: " + ", ".join(move) if move else "shock")
            ax.annotate(text, (shock["day"], 0.0), xycoords=("data", "axes fraction"),
                        xytext=(3, 4), textcoords="offset points", fontsize=7,
                        color="tab:red")
    for regime in details.get("regimes") or []:
        ax.axvspan(regime["start_day"], regime["end_day"], color="tab:red", alpha=0.06, lw=0)


# ---- the figures -------------------------------------------------------------------------------

def fan_chart(cube, scenario):
    """Account equity over the year, one panel per strategy (unhedged and up to two hedged):
    the 5-95 % and 25-75 % bands of paths, the median and the 1st percentile; each hedged
    panel repeats the unhedged median for reference. Shock days are marked."""
    plt = _plt()
    sel = cube.sel(scenario=scenario)
    q = set(np.round(sel["quantile"].values, 6))
    names = [BASELINE, *_hedged(cube, 2)]
    fig, axes = plt.subplots(1, len(names), figsize=(4.2 * len(names) + 1, 5), sharey=True,
                             squeeze=False)
    base_median = (sel.equity_q.sel(strategy=BASELINE, quantile=0.5).values - 1) * 100 \
        if 0.5 in q else None
    for i, (ax, name) in enumerate(zip(axes[0], names, strict=True)):
        color = _style(i, name)["color"]
        eq = (sel.equity_q.sel(strategy=name) - 1.0) * 100
        day = eq.day.values
        if {0.05, 0.95} <= q:
            ax.fill_between(day, eq.sel(quantile=0.05), eq.sel(quantile=0.95), color=color,
                            alpha=0.15, lw=0, label="5-95 % of paths")
        if {0.25, 0.75} <= q:
            ax.fill_between(day, eq.sel(quantile=0.25), eq.sel(quantile=0.75), color=color,
                            alpha=0.35, lw=0, label="25-75 %")
        if 0.5 in q:
            ax.plot(day, eq.sel(quantile=0.5), color=color, lw=2, label="median")
        if 0.01 in q:
            ax.plot(day, eq.sel(quantile=0.01), color=color, lw=1, ls="--",
                    label="1st percentile")
        if name != BASELINE and base_median is not None:
            ax.plot(day, base_median, color=BASELINE_COLOR, lw=1, ls=":",
                    label="unhedged median")
        _mark_stress(ax, cube, scenario)
        ax.axhline(0, color="0.5", lw=0.7)
        ax.set_title(strategy_label(name), fontsize=10)
        ax.set_xlabel("trading day")
        ax.grid(alpha=0.3)
        _percent_axis(ax.yaxis)
        ax.legend(fontsize=7, loc="upper left")
    axes[0, 0].set_ylabel("account equity since day 0 (% of starting equity)")
    return _finish(fig, cube, scenario, "Equity over the year: where most paths end up, and "
                                        "the bad ones")


def drawdown_distributions(cube, scenario):
    """The share of paths whose maximum trading-book drawdown exceeds x (log scale, so the
    tail that matters is readable), in units of risk capital; medians and 95th percentiles
    in the legend."""
    from simulator.results.summary import risk_capital

    plt = _plt()
    risk = risk_capital(cube)
    sel = cube.sel(scenario=scenario)
    fig, ax = plt.subplots(figsize=(9.5, 5.5))
    for i, name in enumerate([BASELINE, *_hedged(cube)]):
        dd = np.sort(sel.trading_max_drawdown.sel(strategy=name).values) / risk * 100
        exceed = 1.0 - np.arange(dd.size) / dd.size  # P(DD >= dd[k])
        style = _style(i, name)
        ax.step(dd, exceed * 100, where="post", **style,
                label=f"{strategy_label(name)}: median {np.median(dd):.0f} %, "
                      f"95th pct {np.quantile(dd, 0.95):.0f} %")
        ax.plot([np.quantile(dd, 0.95)], [5.0], marker="o", color=style["color"], ms=5)
    ax.set_yscale("log")
    ax.set_ylim(max(50.0 / sel.sizes["path"], 0.05), 100)
    ax.axhline(5.0, color="0.6", lw=0.7, ls=":")
    ax.annotate("5 % of paths (dots: 95th percentiles)", (0.99, 5.0),
                xycoords=("axes fraction", "data"), xytext=(0, 3), textcoords="offset points",
                fontsize=7, color="0.4", ha="right")
    ax.set_xlabel("maximum drawdown of the trading book over the run (% of risk capital)")
    ax.set_ylabel("paths with a drawdown at least this large (%, log scale)")
    _percent_axis(ax.xaxis, 0)
    from matplotlib.ticker import FuncFormatter

    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}%"))
    ax.grid(alpha=0.3, which="both")
    ax.legend(fontsize=8, loc="lower left")
    return _finish(fig, cube, scenario, "How deep the drawdowns go: the tail of the "
                                        "maximum drawdown")


def frontier(cube, scenario, table, cost_scenario=None):
    """What each hedge costs (drag, x) against what it buys (drawdown cut, y), with 95 %
    bootstrap CIs: the median cut and the 95th-percentile cut in two panels; a sweep's points
    are joined in sweep order and labelled by the swept setting.

    With ``cost_scenario`` (e.g. "base") the drag is read there and the drawdown cut in
    ``scenario`` (e.g. "crash"): what the hedge costs in an ordinary year against what it buys
    in the bad one. The paths of two scenarios are independent, so the two CIs are too."""
    plt = _plt()
    rows = table.loc[scenario]
    rows = rows[rows.index != BASELINE]
    costs = rows if cost_scenario is None else table.loc[cost_scenario].loc[rows.index]
    swept = any(cube[c].dims == ("strategy",) and c != "strategy" for c in cube.coords)
    fig, axes = plt.subplots(1, 2, figsize=(12, 5.5), sharex=True)
    x = costs["drag"].values * 100
    xerr = np.abs(np.vstack([x - costs["drag_lo"] * 100, costs["drag_hi"] * 100 - x]))
    labels = [strategy_label(n) for n in rows.index]
    if swept:  # the swept setting alone: "budget 1.5 %/yr"
        common = labels[0].split(", ")[0] + ", " if labels else ""
        labels = [lb.removeprefix(common) for lb in labels]
    where = "" if cost_scenario is None else f" in {cost_scenario}"
    for ax, stat, marker, color, words in (
            (axes[0], "drawdown_reduction_median", "o", "tab:blue", "median"),
            (axes[1], "drawdown_reduction_p95", "s", "tab:red", "95th-percentile")):
        y = rows[stat].values * 100
        yerr = np.abs(np.vstack([y - rows[f"{stat}_lo"] * 100, rows[f"{stat}_hi"] * 100 - y]))
        ax.errorbar(x, y, xerr=xerr, yerr=yerr, fmt=marker, color=color, capsize=3,
                    label=f"{words} drawdown cut (95 % CI)")
        if swept:
            ax.plot(x, y, color=color, alpha=0.4)
        last = int(np.nanargmax(x)) if x.size else -1
        for k, (xi, yi, text) in enumerate(zip(x, y, labels, strict=True)):
            if k == last:  # the rightmost label goes below it, to the left (never off the edge)
                offset, align = (-6, -15), "right"
            else:  # the others alternate above and below, to the right
                offset, align = (6, 8 if k % 2 == 0 else -12), "left"
            ax.annotate(text, (xi, yi), fontsize=7, xytext=offset, textcoords="offset points",
                        ha=align, clip_on=True)
        ax.axhline(0, color="0.5", lw=0.8)
        ax.axvline(0, color="0.5", lw=0.8)
        ax.set_xlabel(f"drag{where}: return given up vs unhedged (% per year)")
        ax.set_ylabel(f"cut of the {words} max drawdown in {scenario} vs unhedged")
        ax.set_title(f"{words} drawdown", fontsize=10)
        _percent_axis(ax.xaxis)
        _percent_axis(ax.yaxis, 0)
        ax.grid(alpha=0.3)
        ax.margins(x=0.15, y=0.12)  # room for the labels inside the axes
        ax.legend(fontsize=8, loc="lower right")
    what = ("What each hedge costs and what it buys" if cost_scenario is None else
            f"What each hedge costs in {cost_scenario} and buys in {scenario}")
    return _finish(fig, cube, scenario, what)


def layer_attribution(cube, scenario):
    """Where the trading book's P&L comes from, per strategy: the mean P&L per path of the
    condor, each VIX layer (its costs included) and the SPX costs, stacked; the mean and the
    median trading-book P&L with its interquartile range. Interest on idle cash is not part
    of the trading book: its mean is given in the legend."""
    plt = _plt()
    sel = cube.sel(scenario=scenario)
    names = [BASELINE, *_hedged(cube)]
    parts = {"condor": sel.condor_pnl, "front layer": sel.layer_pnl.sel(layer="front"),
             "middle layer": sel.layer_pnl.sel(layer="middle"),
             "tail layer": sel.layer_pnl.sel(layer="tail"), "SPX costs": sel.spx_costs}
    colors = ["tab:green", "tab:blue", "tab:purple", "tab:red", "0.55"]
    fig, ax = plt.subplots(figsize=(10, 2.4 + 0.6 * len(names)))
    y = np.arange(len(names))
    pos = np.zeros(len(names))
    neg = np.zeros(len(names))
    for (label, da), color in zip(parts.items(), colors, strict=True):
        vals = np.array([float(da.sel(strategy=n).mean()) for n in names]) * 100
        left = np.where(vals >= 0, pos, neg)
        ax.barh(y, vals, left=left, color=color, label=f"{label} (mean)", height=0.55)
        pos += np.where(vals >= 0, vals, 0)
        neg += np.where(vals < 0, vals, 0)
    book = [sel.trading_return.sel(strategy=n).values * 100 for n in names]
    ax.plot([b.mean() for b in book], y, "kD", ms=6, label="trading book, mean")
    q25, q50, q75 = (np.array([np.quantile(b, p) for b in book]) for p in (0.25, 0.5, 0.75))
    ax.errorbar(q50, y + 0.33, xerr=np.vstack([q50 - q25, q75 - q50]), fmt="|", color="k",
                ms=10, capsize=3, lw=1, label="trading book, median and 25-75 % of paths")
    interest = float(sel.interest.mean()) * 100
    ax.plot([], [], " ", label=f"interest on idle cash (not shown): {interest:+.1f} % mean")
    ax.set_yticks(y, [strategy_label(n) for n in names], fontsize=8)
    ax.invert_yaxis()
    ax.axvline(0, color="black", lw=0.8)
    ax.set_xlabel("P&L over the run per path (% of starting equity)")
    ax.set_ylabel("strategy")
    _percent_axis(ax.xaxis)
    ax.grid(alpha=0.3, axis="x")
    ax.legend(fontsize=7, ncol=3, loc="upper center", bbox_to_anchor=(0.5, -0.16))
    return _finish(fig, cube, scenario, "Where the P&L comes from: condor, each VIX layer, "
                                        "costs", bottom=0.22)


def median_regain_days(sel, strategy) -> float:
    """Median over a scenario's vol events of the days its trading book took to regain its
    pre-event peak (inf: most never did; NaN: no events)."""
    days = sel.event_regain_days.sel(strategy=strategy).values
    exists = ~np.isnan(sel.vol_event_start.values)
    if not exists.any():
        return float("nan")
    return float(np.median(np.where(np.isnan(days), np.inf, days)[exists]))


def _regain_words(days: float) -> str:
    if np.isnan(days):
        return "no vol events"
    if np.isinf(days):
        return "most events not regained within the run"
    if days == 0:
        return "the median event never took it below its peak"
    return f"median {days:.0f} trading days to regain the pre-event peak"


def _band(x):
    """25th, 50th and 75th percentiles over paths (axis 0). Lags past the end of every path
    are NaN (a spike near the end of a real window) and stay undrawn, without numpy's
    all-NaN warning."""
    import warnings

    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "All-NaN slice", RuntimeWarning)
        return np.nanpercentile(x, [25, 50, 75], axis=0)


def event_study(cube, scenario):
    """Around each path's largest one-day VIX rise (the top 10 % of paths by that rise): the
    account's change since the day before, median and 25-75 % band, unhedged and hedged; and
    what the hedge added (hedged - unhedged on the same path), median and band. The legend
    gives the median days the trading book took to regain its pre-event peak over the
    scenario's vol events (:mod:`simulator.results.events`)."""
    plt = _plt()
    sel = cube.sel(scenario=scenario)
    size = sel.vix_spike_points.values
    cut = np.quantile(size, 1 - EVENT_TOP_SHARE)
    paths = size >= cut
    lag = sel.lag.values
    fig, (ax, ax2) = plt.subplots(1, 2, figsize=(12.5, 6.2), sharex=True)
    base = sel.event_return.sel(strategy=BASELINE).values[paths] * 100
    for i, name in enumerate([BASELINE, *_hedged(cube, 3)]):
        ev = sel.event_return.sel(strategy=name).values[paths] * 100
        style = _style(i, name)
        lo, med, hi = _band(ev)
        ax.plot(lag, med, **style, label=f"{strategy_label(name)} ("
                f"{_regain_words(median_regain_days(sel, name))})")
        ax.fill_between(lag, lo, hi, color=style["color"], alpha=0.12, lw=0)
        if name != BASELINE:
            lo, med, hi = _band(ev - base)
            ax2.plot(lag, med, **style, label=strategy_label(name))
            ax2.fill_between(lag, lo, hi, color=style["color"], alpha=0.15, lw=0)
    for a in (ax, ax2):
        a.axvline(0, color="tab:red", lw=0.8, ls="--")
        a.axhline(0, color="0.5", lw=0.8)
        a.grid(alpha=0.3)
        a.set_xlabel("trading days from the path's largest one-day VIX rise")
        _percent_axis(a.yaxis)
    ax.set_ylabel("account change since the day before the rise (% of equity)")
    ax2.set_ylabel("hedged minus unhedged, same path (% of equity)")
    ax.set_title("the books around the spike (median, 25-75 % of paths)", fontsize=10)
    ax2.set_title("what the hedge added (median, 25-75 % of paths)", fontsize=10)
    ax.legend(fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.16))
    ax2.legend(fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.16))
    return _finish(fig, cube, scenario, f"Around the VIX spike: the {paths.sum():,} paths "
                                        f"with a one-day VIX rise of {cut:.1f} points or more",
                   bottom=0.2)


def write_figures(cube, out_dir: str | Path, table=None, *, fmt: str = "png",
                  dpi: int = DEFAULT_DPI) -> list[Path]:
    """All figures of every scenario in ``out_dir`` as ``fmt`` (png, svg or pdf; ``dpi``
    for PNG); returns their paths."""
    from simulator.results.summary import summarize

    if fmt not in FIGURE_FORMATS:
        raise ValueError(f"figure format {fmt!r}: allowed {', '.join(FIGURE_FORMATS)}")
    if not (isinstance(dpi, int) and 30 <= dpi <= 1200):
        raise ValueError(f"dpi {dpi!r}: allowed 30-1200")
    plt = _plt()
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    if table is None:
        table = summarize(cube)
    written = []
    n_hedged = len(_hedged(cube, 10**6))
    for scenario in (str(s) for s in cube.scenario.values):
        figures = {"fan": fan_chart(cube, scenario)}
        if cube.sizes["path"] >= MIN_DISTRIBUTION_PATHS:  # a tail needs paths to show
            figures["drawdowns"] = drawdown_distributions(cube, scenario)
        figures |= {"attribution": layer_attribution(cube, scenario),
                    "event_study": event_study(cube, scenario)}
        if n_hedged >= 1:
            figures["frontier"] = frontier(cube, scenario, table)
            if scenario != "base" and "base" in cube.scenario.values:
                figures["frontier_vs_base"] = frontier(cube, scenario, table, "base")
        for kind, fig in figures.items():
            path = out_dir / f"{scenario}_{kind}.{fmt}"
            fig.savefig(path, dpi=dpi, metadata=None if fmt != "png" else
                        {"Software": f"alvh-simulator {cube.attrs.get('package_version', '')}"})
            plt.close(fig)
            written.append(path)
    return written
