"""The report of a calibration (``alvh calibrate --report DIR``): a markdown page and three
figures (docs/calibration.md §6).

* ``targets``: every P moment, model against market, as the difference in units of its scale
  (the objective's weights), with the one-unit band;
* ``curves``: real VX settlements and VIX indices against the fitted model's curve on sample
  days (the crash of October 2008, the calm of November 2017, March 2020, June 2022), each day
  at its own fitted state;
* ``vix_distribution``: the density of VIX closes, market against stationary model paths, on
  a log scale so the tails show.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from simulator.common.conventions import TRADING_DAYS_PER_YEAR
from simulator.report.figures import DEFAULT_DPI, FIGURE_FORMATS, _plt

SAMPLE_DAYS = ("2008-10-24", "2017-11-03", "2020-03-16", "2022-06-16")


def targets_figure(cal):
    plt = _plt()
    rows = [r for r in cal.target_table() if np.isfinite(r["market"])]
    fig, ax = plt.subplots(figsize=(8, 0.32 * len(rows) + 1.5))
    z = [r["difference"] / r["scale"] for r in rows]
    y = np.arange(len(rows))[::-1]
    ax.barh(y, z, color=["0.7" if not r["in_objective"] else
                         "tab:red" if abs(v) > 1 else "tab:blue" for r, v in zip(rows, z,
                                                                                 strict=True)])
    ax.axvspan(-1, 1, color="0.9", zorder=0)
    ax.set_yticks(y, [f"{r['target']}  ({r['market']:.3g} vs {r['model']:.3g})"
                      + ("" if r["in_objective"] else ", not fitted") for r in rows],
                  fontsize=8)
    ax.set_xlabel("(model - market) / scale   (market vs model in brackets)")
    ax.set_title(f"P moments, {cal.family} calibrated to {cal.start} .. {cal.end}", fontsize=10)
    fig.tight_layout()
    return fig


def curves_figure(cal, days=SAMPLE_DAYS):
    from simulator.calibration.risk_neutral import CurvePricer

    plt = _plt()
    fit = cal.q_fit
    obs = fit.obs
    shown = []
    for want in days:
        i = int(np.searchsorted(obs.dates, want))
        if want < obs.dates[0] or want > obs.dates[-1] or i >= obs.dates.size:
            continue
        shown.append(i)
    if not shown:
        shown = [int(np.argmax(np.bincount(obs.day)))]
    fig, axes = plt.subplots(1, len(shown), figsize=(3.6 * len(shown), 3.4), squeeze=False)
    grid_days = np.arange(1, 127)
    for ax, i in zip(axes[0], shown, strict=True):
        rows = obs.day == i
        fut = rows & (obs.kind == 1)
        idx = rows & (obs.kind == 0)
        ax.plot(obs.days_left[fut], obs.value[fut], "o", color="k", ms=4, label="VX settle")
        ax.plot(obs.days_left[fut], fit.fitted[fut], "x", color="tab:red", ms=6,
                label="model at expiry")
        # the model's whole curve at the day's state
        from simulator.market.curves import CurveObservations

        n = grid_days.size
        grid = CurveObservations(obs.dates[[i]], np.zeros(n, int), np.ones(n, int),
                                 np.full(n, "VX"), grid_days / TRADING_DAYS_PER_YEAR, grid_days,
                                 np.full(n, ""), np.zeros(n))
        m = None if fit.m is None else fit.m[[i]]
        line = CurvePricer(cal.model, grid).prices(fit.v[[i]], m)
        ax.plot(grid_days, line, "-", color="tab:red", lw=1)
        tenor_days = np.round(obs.tenor_years[idx] * TRADING_DAYS_PER_YEAR).astype(int)
        ax.plot(tenor_days, obs.value[idx], "s", mfc="none", color="tab:blue", ms=6,
                label="VIX, VIX3M, VIX6M")
        ax.plot(tenor_days, fit.fitted[idx], "+", color="tab:blue", ms=7)
        ax.set_title(str(obs.dates[i]), fontsize=9)
        ax.set_xlabel("trading days to expiry / window")
    axes[0][0].set_ylabel("VIX points")
    axes[0][0].legend(fontsize=7)
    fig.suptitle("VIX curves: market against the calibrated model at each day's state",
                 fontsize=10)
    fig.tight_layout()
    return fig


def vix_distribution_figure(cal, model_vix, market_vix):
    plt = _plt()
    fig, ax = plt.subplots(figsize=(7, 3.8))
    bins = np.linspace(5, 90, 86)
    ax.hist(market_vix, bins=bins, density=True, histtype="step", color="k", label="market")
    ax.hist(model_vix.ravel(), bins=bins, density=True, histtype="step", color="tab:red",
            label="model (stationary P paths)")
    ax.set_yscale("log")
    ax.set_xlabel("VIX close")
    ax.set_ylabel("density (log scale)")
    ax.set_title(f"VIX distribution, {cal.start} .. {cal.end}", fontsize=10)
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


def _fmt(x) -> str:
    return "" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{x:.4g}"


def markdown(cal, figures: list[str]) -> str:
    from simulator.model.params import MeasureParams

    q_rmse, s_rmse = cal.q_fit.rmse_by(), cal.start_q_fit.rmse_by()
    lines = [f"# Calibration: {cal.family}, {cal.start} to {cal.end}", "",
             f"Fitted in {cal.seconds:.0f} s from {cal.start_model.name}. "
             "Method: docs/calibration.md.", "",
             "## Parameters", "", "| parameter | P | Q | start P | start Q |",
             "|---|---|---|---|---|"]
    for name in MeasureParams.NAMES:
        vals = [getattr(m, name) for m in (cal.model.P, cal.model.Q, cal.start_model.P,
                                           cal.start_model.Q)]
        if any(v != 0 for v in vals):
            lines.append(f"| {name} | " + " | ".join(_fmt(v) for v in vals) + " |")
    lines += ["", f"v0 = {cal.model.v0:.4g}" + (f", m0 = {cal.model.m0:.4g}"
                                                 if cal.model.m0 is not None else ""), "",
              "## Q: the VIX term structure", "",
              f"{cal.q_fit.obs.n_obs:,} points on {cal.q_fit.obs.dates.size:,} days; each day "
              f"at its own fitted state; {cal.q_fit.at_edge.mean():.1%} of days on the edge "
              "(v = 0 or m = 0).", "",
              "| RMSE, points | calibrated | start model |", "|---|---|---|"]
    lines += [f"| {k} | {v:.3f} | {s_rmse.get(k, math.nan):.3f} |" for k, v in q_rmse.items()]
    lines += ["", "## P: moments", "",
              f"Simulated method of moments on {cal.p_fit.design.kept_years} path-years "
              f"(seed {cal.p_fit.design.seed}); objective {cal.p_fit.objective:.2f}; equity "
              f"premium {cal.equity_premium_source}.", "",
              "| target | market | model | (model - market) / scale |", "|---|---|---|---|"]
    for r in cal.target_table():
        z = r["difference"] / r["scale"]
        lines.append(f"| {r['target']} ({r['meaning']}) | {_fmt(r['market'])} | "
                     f"{_fmt(r['model'])} | {_fmt(z)} |")
    lines += ["", "## Data", ""]
    lines += [f"- {k}: {a} to {b}" for k, (a, b) in cal.data.items()]
    lines += ["", "## Figures", ""] + [f"![{f}]({f})" for f in figures]
    return "\n".join(lines) + "\n"


def write_report(cal, out_dir, *, fmt: str = "png", dpi: int = DEFAULT_DPI) -> list[Path]:
    """Write ``calibration.md`` and the figures into ``out_dir``; returns the paths."""
    from simulator.market.curves import market_window
    from simulator.model.paths import simulate_paths

    if fmt not in FIGURE_FORMATS:
        raise ValueError(f"figure format {fmt!r}: allowed {FIGURE_FORMATS}")
    plt = _plt()
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    d = cal.p_fit.design
    paths = simulate_paths(cal.model, d.n_paths, d.years * TRADING_DAYS_PER_YEAR, seed=d.seed,
                           measure="P")
    model_vix = paths["vix"].values[:, d.burn_in_years * TRADING_DAYS_PER_YEAR:]
    market = market_window(cal.start, cal.end)
    figures = {"targets": targets_figure(cal), "curves": curves_figure(cal),
               "vix_distribution": vix_distribution_figure(cal, model_vix, market.vix)}
    written = []
    for name, fig in figures.items():
        path = out / f"{name}.{fmt}"
        fig.savefig(path, dpi=dpi)
        plt.close(fig)
        written.append(path)
    page = out / "calibration.md"
    page.write_text(markdown(cal, [p.name for p in written]), encoding="utf-8")
    return [page, *written]
