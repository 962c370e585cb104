"""Figures of a results cube for a trader's deck (matplotlib): one set per scenario.

Every function takes the cube and a scenario name and returns a ``matplotlib.figure.Figure``
titled in words (what is shown, then the scenario's own description), with percentages on the
axes and a footnote saying what was run (paths, days, seed, model, costs, package version).
:func:`write_figures` saves them all as PNG, SVG or PDF.

Strategies are named as a trader would read them: a sweep label such as
``alvh[budget_annual=0.015]`` becomes ``alvh, budget 1.5 %/yr``.
"""

from __future__ import annotations

import itertools
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
MIN_BAND_PATHS = 8  # the event study draws its 25-75 % band over at least this many paths
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
    """Percent tick labels (the values are already in %) with as few decimals as keep every
    label distinct (``decimals``: at least that many), and no "-0%"."""
    axis.set_major_formatter(_distinct_percent_formatter(decimals or 0))


def _distinct_percent_formatter(min_decimals: int = 0):
    from matplotlib.ticker import Formatter

    class DistinctPercent(Formatter):
        """PercentFormatter with 0 decimals printed ticks 0.2 % apart as "0%, 0%, -0%, -1%";
        this one adds decimals until the labels differ."""

        decimals = min_decimals

        def _text(self, x, decimals):
            text = f"{x:.{decimals}f}"
            if float(text) == 0:
                text = f"{0:.{decimals}f}"  # never "-0"
            return text + "%"

        def format_ticks(self, values):
            values = list(values)
            step = min((abs(b - a) for a, b in itertools.pairwise(values)),
                       default=1.0) or 1.0
            for decimals in range(min_decimals, 7):
                labels = [self._text(v, decimals) for v in values]
                # distinct, and each label the tick's own value (0.75 is not "0.8%")
                exact = all(abs(float(t[:-1]) - v) <= 1e-3 * step
                            for t, v in zip(labels, values, strict=True))
                if len(set(labels)) == len(labels) and exact:
                    break
            self.decimals = decimals
            return labels

        def __call__(self, x, pos=None):
            return self._text(x, self.decimals)

    return DistinctPercent()


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


def _wrap_ylabels(fig, share: float = 0.75) -> None:
    """A y label longer than its axes is tall runs into the footnote: wrap it to lines of
    about ``share`` of the axes' height (a character of the label's font is about 0.55 em)."""
    for ax in fig.axes:
        label = ax.yaxis.label
        text = label.get_text()
        if not text or "\n" in text:
            continue
        height_pt = ax.get_position().height * fig.get_figheight() * 72
        fits = int(share * height_pt / (0.55 * label.get_fontsize()))
        if len(text) > fits > 10:
            label.set_text(textwrap.fill(text, fits))


def _finish(fig, cube, scenario, what: str, bottom: float = 0.10):
    _set_titles(fig, what, cube, scenario)
    _wrap_ylabels(fig)
    # wrapped to the figure's width (about 2.1 characters of 7 pt text per 10 points), so a
    # long footnote takes a second line instead of running off the edge
    width = int(fig.get_figwidth() * 72 / 7 * 2.1 * 0.95)
    fig.text(0.01, 0.01, textwrap.fill(footnote(cube), width), fontsize=7, color="0.4",
             ha="left", va="bottom")
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
    """The trading book over the year (the account less interest, as every headline figure;
    the account itself for cubes written before 0.9, which lack ``trading_q``), one panel per
    strategy (unhedged and up to two hedged): the 5-95 % and 25-75 % bands of paths, the
    median and the 1st percentile; each hedged panel repeats the unhedged median for
    reference. Shock days are marked."""
    plt = _plt()
    sel = cube.sel(scenario=scenario)
    trading = "trading_q" in sel
    books = sel.trading_q if trading else sel.equity_q
    q = set(np.round(sel["quantile"].values, 6))
    names = [BASELINE, *_hedged(cube, 2)]
    fig, axes = plt.subplots(1, len(names), figsize=(4.2 * len(names) + 1, 5), sharey=True,
                             squeeze=False)
    base_median = (books.sel(strategy=BASELINE, quantile=0.5).values - 1) * 100 \
        if 0.5 in q else None
    for i, (ax, name) in enumerate(zip(axes[0], names, strict=True)):
        color = _style(i, name)["color"]
        eq = (books.sel(strategy=name) - 1.0) * 100
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
    axes[0, 0].set_ylabel("trading book P&L since day 0 (% of starting equity)" if trading
                          else "account equity since day 0 (% of starting equity)")
    return _finish(fig, cube, scenario, "The trading book over the year (interest on cash "
                   "left out): where most paths end up, and the bad ones" if trading else
                   "Equity over the year: where most paths end up, and the bad ones")


def drawdown_distributions(cube, scenario):
    """The share of paths whose maximum trading-book drawdown exceeds x (log scale, so the
    tail that matters is readable), in units of risk capital; medians and 95th percentiles
    in the legend."""
    from simulator.results.units import drawdown_unit

    plt = _plt()
    risk = drawdown_unit(cube, BASELINE)
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
        if swept:  # the sweep's own points joined in sweep order (not other strategies)
            member = np.array(["[" in str(n) for n in rows.index])
            ax.plot(x[member], y[member], color=color, alpha=0.4)
        texts = [ax.text(xi, yi, text, fontsize=7, clip_on=True)
                 for xi, yi, text in zip(x, y, labels, strict=True) if np.isfinite(xi + yi)]
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
        finite = np.isfinite(x + y)
        _place_labels(ax, texts, x[finite], y[finite])
    what = ("What each hedge costs and what it buys" if cost_scenario is None else
            f"What each hedge costs in {cost_scenario} and buys in {scenario}")
    return _finish(fig, cube, scenario, what)


def _place_labels(ax, texts, x, y) -> None:
    """Each point's label beside its own marker, none on another (adjustText moves them apart
    and draws a thin line to the marker when one had to move)."""
    if not texts:
        return
    from adjustText import adjust_text

    ax.figure.canvas.draw()  # final limits and tick labels before the labels are placed
    adjust_text(texts, x=np.asarray(x, float), y=np.asarray(y, float), ax=ax,
                expand=(1.3, 1.7), min_arrow_len=8,
                arrowprops={"arrowstyle": "-", "color": "0.5", "lw": 0.5})


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
    if "index_pnl" in sel:  # the long S&P 500 core of index strategies (0 for the others)
        parts["S&P 500 index"] = sel.index_pnl
        colors.append("tab:olive")
    fig, ax = plt.subplots(figsize=(12, 2.4 + 0.6 * len(names)))
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
    # every bar and marker inside the axes: the limits cover the stacks and the quartiles
    lo = min(neg.min(), q25.min(), min(b.mean() for b in book), 0.0)
    hi = max(pos.max(), q75.max(), max(b.mean() for b in book), 0.0)
    pad = 0.06 * (hi - lo or 1.0)
    ax.set_xlim(lo - pad, hi + pad)
    interest = float(sel.interest.mean()) * 100
    ax.plot([], [], " ", label=f"interest on idle cash (not shown): {interest:+.1f} % mean")
    ax.set_yticks(y, [strategy_label(n) for n in names], fontsize=8)
    ax.invert_yaxis()
    ax.axvline(0, color="black", lw=0.8)
    ax.set_xlabel("P&L over the run per path (% of starting equity)")
    ax.set_ylabel("strategy")
    _percent_axis(ax.xaxis)
    ax.grid(alpha=0.3, axis="x")
    ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0)
    return _finish(fig, cube, scenario, "Where the P&L comes from: condor, each VIX layer, "
                                        "costs", bottom=0.12)


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
    banded = paths.sum() >= MIN_BAND_PATHS  # a 25-75 % band of one or two paths is a line
    fig, (ax, ax2) = plt.subplots(1, 2, figsize=(12.5, 6.2), sharex=True)
    base = sel.event_return.sel(strategy=BASELINE).values[paths] * 100
    for i, name in enumerate([BASELINE, *_hedged(cube, 3)]):
        ev = sel.event_return.sel(strategy=name).values[paths] * 100
        style = _style(i, name)
        lo, med, hi = _band(ev)
        ax.plot(lag, med, **style, label=f"{strategy_label(name)} ("
                f"{_regain_words(median_regain_days(sel, name))})")
        if banded:
            ax.fill_between(lag, lo, hi, color=style["color"], alpha=0.12, lw=0)
        if name != BASELINE:
            lo, med, hi = _band(ev - base)
            ax2.plot(lag, med, **style, label=strategy_label(name))
            if banded:
                ax2.fill_between(lag, lo, hi, color=style["color"], alpha=0.15, lw=0)
    for a in (ax, ax2):
        a.axvline(0, color="tab:red", lw=0.8, ls="--")
        a.axhline(0, color="0.5", lw=0.8)
        a.grid(alpha=0.3)
        a.set_xlabel("trading days from the path's largest one-day VIX rise")
        _percent_axis(a.yaxis)
    ax.set_ylabel("account change since the day before the rise (% of equity)")
    ax2.set_ylabel("hedged minus unhedged, same path (% of equity)")
    spread = "median, 25-75 % of paths" if banded else (
        "the path" if paths.sum() == 1 else f"median of {paths.sum()} paths")
    ax.set_title(f"the books around the spike ({spread})", fontsize=10)
    ax2.set_title(f"what the hedge added ({spread})", fontsize=10)
    ax.legend(fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.16))
    ax2.legend(fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.16))
    return _finish(fig, cube, scenario, f"Around the VIX spike: the {paths.sum():,} paths "
                                        f"with a one-day VIX rise of {cut:.1f} points or more",
                   bottom=0.2)


def sampled_paths(cube, scenario, max_paths: int = 5):
    """The paths kept whole (``simulation.keep_paths``): S&P 500 and VIX, and each strategy's
    trading book, its VIX layers' P&L and (simulated runs) its delta and VIX delta on the same
    paths (one colour per path), so a reader sees single paths, not only quantiles."""
    plt = _plt()
    sel = cube.sel(scenario=scenario)
    n = min(sel.sizes["kept_path"], max_paths)
    names = [BASELINE, *_hedged(cube, 2)]
    greeks = "kept_delta" in sel  # simulated runs: the book's exposures by day
    rows = 3 if greeks else 2
    fig, axes = plt.subplots(rows, 1 + len(names), figsize=(4.0 * (1 + len(names)),
                                                            3.2 * rows), sharex=True,
                             squeeze=False)
    day = sel.day.values
    colors = [PALETTE[i % len(PALETTE)] for i in range(n)]
    for i in range(n):
        label = f"path {int(sel.kept_path.values[i])}"
        axes[0, 0].plot(day, sel.kept_spx.values[i], color=colors[i], lw=1, label=label)
        axes[1, 0].plot(day, sel.kept_vix.values[i], color=colors[i], lw=1)
        for j, name in enumerate(names):
            book = (sel.kept_trading.sel(strategy=name).values[i] - 1) * 100
            layers = sel.kept_hedge.sel(strategy=name).values[i] * 100
            axes[0, 1 + j].plot(day, book, color=colors[i], lw=1)
            axes[1, 1 + j].plot(day, layers, color=colors[i], lw=1)
            if greeks:
                one = sel.sel(strategy=name, kept_path=sel.kept_path.values[i])
                axes[2, 1 + j].plot(day, one.kept_delta.values * 100, color=colors[i], lw=1,
                                    label="delta: 1 % S&P 500 rise" if i == 0 else None)
                axes[2, 1 + j].plot(day, one.kept_vix_delta.values * 100, color=colors[i],
                                    lw=1, ls="--",
                                    label="VIX delta: 1-point VIX rise" if i == 0 else None)
    axes[0, 0].set_ylabel("S&P 500")
    axes[1, 0].set_ylabel("VIX")
    axes[0, 0].legend(fontsize=7)
    axes[0, 1].set_ylabel("trading book P&L (% of equity)")
    axes[1, 1].set_ylabel("VIX layers' P&L, costs in (% of equity)")
    if greeks:
        axes[2, 1].set_ylabel("P&L of the move (% of equity)")
        axes[2, 1].legend(fontsize=7)
        axes[2, 0].set_visible(False)
    for j, name in enumerate(names):
        axes[0, 1 + j].set_title(strategy_label(name), fontsize=10)
        for ax in axes[:, 1 + j]:
            _percent_axis(ax.yaxis)
    for ax in axes.ravel():
        _mark_stress(ax, cube, scenario)
        ax.grid(alpha=0.3)
    for ax in axes[-1]:
        ax.set_xlabel("trading day")
    axes[1, 0].set_xlabel("trading day")
    if greeks:
        for ax in axes[2, 1:]:
            _percent_axis(ax.yaxis)
    return _finish(fig, cube, scenario, f"{n} sampled paths: the market and each book on "
                   "the same paths" + (", with the book's exposures at each close" if greeks
                                       else ""))


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
        if "kept_spx" in cube:  # simulation.keep_paths
            figures["sampled_paths"] = sampled_paths(cube, scenario)
        if n_hedged >= 1:
            figures["frontier"] = frontier(cube, scenario, table)
            if scenario != "base" and "base" in cube.scenario.values:
                figures["frontier_vs_base"] = frontier(cube, scenario, table, "base")
        for kind, fig in figures.items():
            path = out_dir / f"{scenario}_{kind}.{fmt}"
            fig.savefig(path, dpi=dpi, bbox_inches="tight", pad_inches=0.15,
                        metadata=None if fmt != "png" else
                        {"Software": f"alvh-simulator {cube.attrs.get('package_version', '')}"})
            plt.close(fig)
            written.append(path)
    return written
