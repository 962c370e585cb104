"""``alvh replay``: the strategies of a scenario file on a real S&P 500 / VIX window."""

from __future__ import annotations

import argparse

from simulator.cli.options import EXIT_OK, command
from simulator.common.conventions import DEFAULT_MODEL


def add(sub) -> None:
    rep = command(
        sub, "replay", execute,
        help="the strategies of a scenario file on a real S&P 500 / VIX window",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Run the strategies of a scenario file on the real S&P 500 closes from "
                    "--start to --end\n(default: the file's own path: {source: history} "
                    "window), the model's state fitted each\nday to that day's VIX curve "
                    "only (VIX, VIX3M, VIX6M, listed VX futures; spot VIX alone\nfor a "
                    "one-factor model). Options are priced by the model at that state: model "
                    "prices\naround real levels, not historical quotes. Trades take the "
                    "exchange's expiries; VIX layers\nare priced off the listed VX contract "
                    "of their expiry (docs/history.md).",
        epilog="examples:\n  alvh replay history_covid --figure covid.png\n"
               "  alvh replay quickstart --start 2020-01-02 --end 2020-12-31 --trades")
    rep.add_argument("scenario", metavar="SCENARIO.yaml",
                     help="scenario file whose strategies and costs are replayed")
    rep.add_argument("--start", help="first date, YYYY-MM-DD (default: the file's path.start)")
    rep.add_argument("--end", help="last date, YYYY-MM-DD (default: the file's path.end)")
    rep.add_argument("--model", default=None,
                     help="model preset (default: the file's first scenario's model, else "
                          f"{DEFAULT_MODEL}; one-factor presets use spot VIX alone)")
    rep.add_argument("--figure", metavar="FILE.png",
                     help="also draw the S&P 500, VIX with the real and model futures, and each "
                          "book with its VIX call trades marked (png, svg or pdf)")
    rep.add_argument("--trades", action="store_true", help="also print every trade, dated")


def execute(args) -> int:
    import math
    import re
    from pathlib import Path

    from simulator.common.conventions import TRADING_DAYS_PER_YEAR
    from simulator.model.presets import load_model
    from simulator.results.replay import replay_rows
    from simulator.scenario.loader import load_scenario
    from simulator.scenario.replay import replay_history

    plan = load_scenario(args.scenario)
    own = plan.path.source == "history"
    for name in ("start", "end"):
        if getattr(args, name) is None:
            if not own:
                raise ValueError(f"--{name}: give a date as YYYY-MM-DD ({args.scenario} has no "
                                 "path: {source: history} window of its own)")
            setattr(args, name, getattr(plan.path, name).isoformat())
        if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", getattr(args, name)):
            raise ValueError(f"--{name} {getattr(args, name)!r}: give a date as YYYY-MM-DD")
    if args.figure is not None and Path(args.figure).suffix.lstrip(".") not in (
            "png", "svg", "pdf"):
        raise ValueError(f"--figure {args.figure}: give a file ending in .png, .svg or .pdf")
    model = load_model(args.model) if args.model else (
        plan.scenarios[0].model if own else load_model(DEFAULT_MODEL))
    args.model = model.name or "the file's model"
    result, path = replay_history(model, plan.strategies, args.start, args.end,
                                  costs=plan.costs, capital=plan.simulation.capital)
    dates = path.dates
    print(f"{plan.name} strategies on {dates[0]} .. {dates[-1]} ({dates.size} trading days), "
          f"model {args.model}; S&P 500 {path.spx[0]:.0f} -> {path.spx[-1]:.0f}, VIX "
          f"{path.vix.min():.1f}-{path.vix.max():.1f}; {path.clipped.mean():.0%} of days "
          "off the model's range (state on its edge)")
    print("Model prices around real levels, not historical quotes. index %: the return as "
          "the Cboe index reports it (CNDR: on T-bills of 10x the condor's max loss at "
          f"r = {model.r:.2%}; VXTH: the S&P 500 total return and the calls, rebalanced at "
          "each roll; S&P 500: the account).\n")
    # max DD in % of the condor's risk capital; a book without a condor (an S&P 500 core)
    # has none: % of equity, said in the cell (issue 32: one unit per name)
    # index %: the return as the Cboe index the book follows reports it (on notional, the
    # collateral at the model's rate; results.replay.index_return), "-" where none applies
    head = (f"{'strategy':<18}{'P&L %':>8}{'max DD':>15}  {'peak -> trough':<25}"
            f"{'back at peak':<14}{'hedge prem. %':>14}{'index %':>9}")
    print(head)
    print("-" * len(head))
    growth = math.exp(model.r / TRADING_DAYS_PER_YEAR)
    for row in replay_rows(result, plan.strategies, dates, growth, path.spx, model.q):
        risk = row["risk_capital"]
        drawdown = (f"{100 * row['max_drawdown']:.1f} % eq" if math.isnan(risk) else
                    f"{100 * row['max_drawdown'] / risk:.1f} % risk")
        print(f"{row['strategy']:<18}{100 * row['pnl']:>8.2f}{drawdown:>15}  "
              f"{row['peak'] + ' -> ' + row['trough']:<25}{row['back']:<14}"
              f"{100 * row['hedge_premium']:>14.2f}"
              + (f"{'-':>9}" if math.isnan(row["index_return"]) else
                 f"{100 * row['index_return']:>9.2f}"))
    if args.figure is not None:
        from simulator.report.history import write_history_figure

        target = write_history_figure(args.figure, result, path, model,
                                      strategies=plan.strategies,
                                      title=f"{plan.name}: {dates[0]} to {dates[-1]}")
        print(f"\nwrote {target}")
    if args.trades:
        print(f"\n{'date':<12}{'strategy':<18}{'action':<16}{'detail':<42}{'contracts':>10}"
              f"{'price':>9}{'SPX':>9}{'VIX':>7}")
        for t in sorted(result.trades, key=lambda t: (t.day, t.strategy)):
            print(f"{dates[t.day]:<12}{t.strategy:<18}{t.action:<16}{t.detail:<42}"
                  f"{t.contracts:>10.2f}{t.price:>9.2f}{t.spx:>9.1f}{t.vix:>7.2f}")
    return EXIT_OK
