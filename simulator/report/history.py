"""The figure of a history replay: what the market did and what each book did with it.

Three panels on the real dates of the window: the S&P 500 close; Cboe VIX with the listed
front and second VX futures (settlements) beside the model's futures at each day's fitted
state (so a reader sees where the model's hedge prices sit against the real curve); and each
strategy's trading book (1 + options P&L and costs, no interest) with its VIX call purchases
(up triangles) and sales (down triangles) marked. Prices in a replay are the model's around
real levels, not historical quotes; the footnote says so.
"""

from __future__ import annotations

import numpy as np

from simulator.report.figures import PALETTE, _plt, strategy_label


def _listed_futures(dates: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The real VX1 and VX2 settlements on ``dates`` (NaN where there are none)."""
    from simulator.model.stylized_facts import load_market_series

    fut = load_market_series("vix_futures_vx1_vx2")
    idx = np.minimum(np.searchsorted(fut["date"], dates), fut["date"].size - 1)
    found = fut["date"][idx] == dates
    return (np.where(found, fut["vx1"][idx], np.nan), np.where(found, fut["vx2"][idx], np.nan))


def history_figure(result, path, model, *, title: str = "", strategies=None):
    """A matplotlib Figure of a replay (the result and path of
    :func:`simulator.scenario.replay.replay_history`) under ``model``. ``strategies`` (label
    -> StrategyConfig): books without a condor (the S&P 500 and VXTH-style baselines) get a
    panel of their own, so that their tens of percent do not flatten the condors' few (without
    it, every book shares one panel)."""
    from simulator.common.conventions import FRONT_FUTURE_DTE, SECOND_FUTURE_DTE
    from simulator.pricing.pricer import Pricer
    from simulator.strategy.config import trading_days

    plt = _plt()
    dates = np.asarray(path.dates, dtype="datetime64[D]")
    index_books = {name for name, cfg in (strategies or {}).items()
                   if getattr(cfg, "condor", None) is None and name in result.strategies}
    condor_books = [n for n in result.strategies if n not in index_books]
    if not condor_books:
        condor_books, index_books = list(result.strategies), set()
    ratios = [1, 1, 1.4] + ([1.0] if index_books else [])
    fig, axes = plt.subplots(len(ratios), 1, figsize=(11, 9 + 2.2 * bool(index_books)),
                             sharex=True, gridspec_kw={"height_ratios": ratios})
    ax_spx, ax_vix, ax_book = axes[:3]
    ax_index = axes[3] if index_books else ax_book
    ax_spx.plot(dates, path.spx, color="black", lw=1.2)
    ax_spx.set_ylabel("S&P 500")
    vx1, vx2 = _listed_futures(path.dates)
    pricer = Pricer(model)
    m = None if path.m is None else path.m
    model_f1 = pricer.vix_future(path.v, float(trading_days(FRONT_FUTURE_DTE)), m=m)
    model_f2 = pricer.vix_future(path.v, float(trading_days(SECOND_FUTURE_DTE)), m=m)
    ax_vix.plot(dates, path.vix, color="black", lw=1.2, label="VIX (Cboe)")
    ax_vix.plot(dates, vx1, color="tab:red", lw=1.0, label="VX1 settlement")
    ax_vix.plot(dates, vx2, color="tab:blue", lw=1.0, label="VX2 settlement")
    ax_vix.plot(dates, model_f1, color="tab:red", lw=1.0, ls="--",
                label=f"model future, {FRONT_FUTURE_DTE} days")
    ax_vix.plot(dates, model_f2, color="tab:blue", lw=1.0, ls="--",
                label=f"model future, {SECOND_FUTURE_DTE} days")
    ax_vix.set_ylabel("VIX points")
    ax_vix.legend(loc="upper right", fontsize=8, ncol=2)
    for k, name in enumerate(result.strategies):
        color = "0.25" if k == 0 else PALETTE[(k - 1) % len(PALETTE)]
        book = 100.0 * (result.trading[k, 0] - 1.0)
        ax = ax_index if name in index_books else ax_book
        ax.plot(dates, book, color=color, lw=1.3, label=strategy_label(name))
        for action, marker in ((" buy", "^"), (" sell", "v")):  # VIX calls or SPX puts
            days = [t.day for t in result.trades if t.strategy == name
                    and not t.action.startswith("condor") and t.action.endswith(action)]
            if days:
                ax.scatter(dates[days], book[days], marker=marker, s=28, color=color,
                           zorder=3)
    for ax in {ax_book, ax_index}:
        ax.axhline(0.0, color="0.6", lw=0.8)
        ax.legend(loc="center left", bbox_to_anchor=(1.01, 0.5), fontsize=8)
    ax_book.set_ylabel("trading book P&L, % of equity" if not index_books else
                       "condor books: trading\nbook P&L, % of equity")
    if index_books:
        ax_index.set_ylabel("index baselines: P&L,\n% of equity")
    ax_book.text(0.995, 0.02, "^ VIX calls bought, v sold", transform=ax_book.transAxes,
                 ha="right", va="bottom", fontsize=8, color="0.3")
    fig.suptitle(title or f"Replay {path.dates[0]} to {path.dates[-1]}", fontsize=12)
    import textwrap

    note = (f"Real S&P 500 and VIX closes, VX settlements (Cboe). SPX options priced by "
            f"{model.name or 'the model'} at each day's state fitted to that day's VIX curve, "
            "VIX calls off the listed contract of their expiry with the model's smile: model "
            "prices around real levels, not historical quotes.")
    fig.text(0.01, 0.005, textwrap.fill(note, 150), fontsize=7, color="0.3", va="bottom")
    fig.autofmt_xdate()
    fig.tight_layout(rect=(0, 0.04, 1, 0.97))
    return fig


def _replay_from_cube(cube, scenario: str):
    """(result, path) of a single-window history cube's scenario, read from what the run
    stored (``kept_*``: the path and the books; ``trade_*``: the blotter): the same numbers the
    run made, without running it again. None for a cube without them (written before 0.8)."""
    from types import SimpleNamespace

    if "kept_spx" not in cube or "trade_day" not in cube:
        return None
    at = {"scenario": scenario, "kept_path": 0}
    strategies = [str(s) for s in cube.strategy.values]
    m = cube["kept_m"].sel(at).values if "kept_m" in cube else None
    path = SimpleNamespace(dates=np.asarray(cube.date.values, dtype=str),
                           spx=cube["kept_spx"].sel(at).values,
                           vix=cube["kept_vix"].sel(at).values,
                           v=cube["kept_v"].sel(at).values,
                           m=None if m is None or np.isnan(m).all() else m)
    trading = np.stack([cube["kept_trading"].sel(at | {"strategy": name}).values
                        for name in strategies])[:, None, :]
    rows = (cube.trade_scenario.values == scenario) & (cube.trade_path.values == 0)
    trades = []
    for name, day, instrument, action in zip(cube.trade_strategy.values[rows],
                                             cube.trade_day.values[rows],
                                             cube.trade_instrument.values[rows],
                                             cube.trade_action.values[rows], strict=True):
        if str(instrument).startswith("VIX call"):
            trades.append(SimpleNamespace(strategy=str(name), day=int(day),
                                          action=f"VIX call {action}"))
    return SimpleNamespace(strategies=strategies, trading=trading, trades=trades), path


def replay_figure(cube, scenario: str):
    """A single-window history cube's scenario with its trades (:func:`history_figure`), from
    the path, books and blotter the cube stores; a cube written before they were stored is
    replayed again from the scenario text it carries, on its own dates."""
    from pathlib import Path

    from simulator.scenario.loader import parse_scenario

    source = Path(str(cube.attrs.get("scenario_file", "")))
    plan = parse_scenario(cube.attrs["scenario_text"], source=str(source),
                          base_dir=source.parent if source.parent.is_dir() else None)
    sc = next(s for s in plan.scenarios if s.name == scenario)
    start, end = str(cube.window_start.values[0]), str(cube.window_end.values[0])
    stored = _replay_from_cube(cube, scenario)
    if stored is None:
        from simulator.scenario.replay import replay_history

        stored = replay_history(sc.model, plan.strategies, start, end, costs=plan.costs,
                                capital=plan.simulation.capital)
    result, path = stored
    return history_figure(result, path, sc.model, strategies=plan.strategies,
                          title=f"{cube.attrs.get('scenario_name', '')}, {scenario}: the real "
                                f"window {start} to {end} with each book's trades")


def write_replay_figures(cube, out_dir, *, fmt: str = "png", dpi: int = 150) -> list:
    """``<scenario>_replay.<fmt>`` for each scenario of a single-window history cube (none
    for simulated or rolling-window cubes); returns their paths."""
    from pathlib import Path

    if cube.attrs.get("path_source") != "history" or cube.sizes.get("path") != 1:
        return []
    plt = _plt()
    written = []
    for scenario in (str(s) for s in cube.scenario.values):
        fig = replay_figure(cube, scenario)
        path = Path(out_dir) / f"{scenario}_replay.{fmt}"
        fig.savefig(path, dpi=dpi, bbox_inches="tight")
        plt.close(fig)
        written.append(path)
    return written


def write_history_figure(target, result, path, model, *, title: str = "",
                         strategies=None, dpi: int = 130):
    """:func:`history_figure` written to ``target`` (its suffix, png, svg or pdf, is the
    format), whole or not at all; returns ``target`` as a Path."""
    from pathlib import Path

    from simulator.common.files import atomic_path

    fig = history_figure(result, path, model, title=title, strategies=strategies)
    target = Path(target)
    with atomic_path(target) as tmp:
        fig.savefig(tmp, dpi=dpi, format=target.suffix.lstrip("."), bbox_inches="tight")
    _plt().close(fig)
    return target


__all__ = ["history_figure", "replay_figure", "write_history_figure", "write_replay_figures"]
