"""``alvh``: the command line. Thin: parse, call the package, set the exit code.

Heavy modules (numba, xarray) are imported inside the commands so ``alvh --help`` is instant.
One module of about 480 lines on purpose: the parser and one short function per command
(ten commands), which read best side by side; each command's work lives in the package.
Exit status: 0 success, 2 invalid input (the message names the file, field and allowed range).
"""

from __future__ import annotations

import argparse
import logging
import sys
import time

EXIT_OK = 0
EXIT_INVALID_INPUT = 2

_DESCRIPTION = """\
Monte Carlo simulator for SPX iron condors hedged with an Adaptive Layered VIX Hedge.

Paths of SPX and its variance are drawn from an SVCJ model (stochastic volatility with
contemporaneous price/variance jumps) under the real-world measure P; VIX is computed from
the state under the risk-neutral measure Q.
"""

_EPILOG = """\
examples:
  alvh run scenarios/quickstart.yaml             run a scenario file, print the summary,
                                                 write results/quickstart.nc
  alvh run scenarios/hedge_ratio_sweep.yaml --paths 5000 --seed 7 --out results/sweep.nc
  alvh run scenarios/hedge_ratio_sweep.yaml --out results/sweep.nc --resume
                                                 continue a run that was interrupted
  alvh validate scenarios/*.yaml                 check files; every problem is listed
  alvh report results/quickstart.nc              summary table + figures (PNG)
  alvh claims --paths 2000 --out results/claims  the C1-C12 verdict table (claims.md, .csv)
  alvh presets                                   list the shipped models and their sources
  alvh curve                                     models' VIX term structure vs the market
  alvh export results/quickstart.nc              a tidy CSV, one row per scenario/strategy/path
  alvh simulate --model svcj_2f_calibrated --paths 20000 --days 252 --seed 1
  alvh simulate --model my_model.yaml --measure Q --paths 5000
  alvh optimize scenarios/optimize_hedge.yaml    search the hedge's design (docs/optimize.md)
"""


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an integer, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be >= 1, got {value}")
    return value


def _seed(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an integer, got {text!r}") from None
    if not 0 <= value < 2**64:
        raise argparse.ArgumentTypeError(f"must be in [0, 2**64), got {value}")
    return value


def _log_options(default) -> argparse.ArgumentParser:
    """-v/-q, accepted before or after the command (``alvh -q run x.yaml``, ``alvh run x.yaml
    -q``); the command's copy has no default so that it never undoes the top-level one."""
    options = argparse.ArgumentParser(add_help=False)
    options.add_argument("-v", "--verbose", action="store_true", default=default,
                         help="also log details (timings, chunk by chunk)")
    options.add_argument("-q", "--quiet", action="store_true", default=default,
                         help="no progress bar and no notices, only warnings and errors")
    return options


_LOG_OPTIONS = _log_options(argparse.SUPPRESS)


def _command(sub, name: str, **kwargs) -> argparse.ArgumentParser:
    """A subcommand; each takes -v/-q too."""
    return sub.add_parser(name, parents=[_LOG_OPTIONS], **kwargs)


def setup_logging(verbose: bool = False, quiet: bool = False) -> None:
    """The package's messages (``simulator`` logger) on stderr: warnings with -q, details
    with -v, else what a user should know (table builds, resumed chunks)."""
    logger = logging.getLogger("simulator")
    logger.setLevel(logging.WARNING if quiet else logging.DEBUG if verbose else logging.INFO)
    if not any(isinstance(h, _AboveTheBar) for h in logger.handlers):
        handler = _AboveTheBar()
        handler.setFormatter(logging.Formatter("alvh: %(message)s"))
        logger.addHandler(handler)


class _AboveTheBar(logging.Handler):
    """Log records on stderr, written above a progress bar (through tqdm) instead of into it."""

    def emit(self, record):
        try:
            from tqdm import tqdm

            tqdm.write(self.format(record), file=sys.stderr)
        except Exception:  # logging must never raise
            self.handleError(record)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="alvh", description=_DESCRIPTION, epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter, parents=[_log_options(False)],
    )
    parser.add_argument("-V", "--version", action="store_true",
                        help="print the version and exit")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    pre = _command(sub, "presets", help="list the shipped presets: models (with citations), "
                                         "condors, hedges, costs")
    pre.add_argument("kind", nargs="?", default="model",
                     choices=("model", "condor", "hedge", "costs"),
                     help="which presets (default: model)")
    _add_run(sub)
    _add_report(sub)
    _add_claims(sub)
    _add_validate(sub)
    _add_simulate(sub)
    _add_replay(sub)
    _add_calibrate(sub)
    _add_optimize(sub)
    exp = _command(
        sub, "export", help="a results cube as a tidy table (CSV or Parquet)",
        description="Write a results cube as a tidy table: one row per (scenario, strategy, "
                    "path) with every per-path figure, or the summary (one row per scenario "
                    "and strategy, with bootstrap CIs).")
    exp.add_argument("results", metavar="RESULTS.nc")
    exp.add_argument("--per", choices=("path", "summary", "trades"), default="path",
                     help="path (default), summary, or trades: the blotter of a run with "
                          "simulation.trade_log_paths")
    exp.add_argument("--format", choices=("csv", "parquet"), default="csv")
    exp.add_argument("--out", metavar="FILE", default=None,
                     help="output file (default: RESULTS_PER.csv/.parquet beside the cube)")
    curve = _command(
        sub, "curve", help="the models' VIX term structure against the market (VX futures, VIX3M)",
        description="Each model in the state that each real day's VIX (and VIX3M) implies, "
                    "against the VX futures that traded that day; then the facts of its own "
                    "P paths (lowest VIX, calm days, spread moves) next to the market's.")
    curve.add_argument("--model", action="append", default=None, metavar="NAME",
                       help="preset or model file; repeat to compare (default: svcj_default, "
                            "svcj_2f_default and svcj_2f_calibrated)")
    curve.add_argument("--paths", type=int, default=400,
                       help="P paths for the path facts, 0 to skip them (default: 400)")
    facts = _command(
        sub, "facts", help="facts given the VIX level, market beside model (conditional fit)",
        description="Realised vol, VIX minus realised vol, VIX-option vol, VIX3M/VIX, VIX9D/VIX "
                    "and SKEW by VIX bucket; big VIX days, the long future's response to VIX "
                    "and the co-movement of the two factors: the shipped market data beside "
                    "the model's stationary P paths, each banded figure marked ok or MISS.")
    facts.add_argument("preset", nargs="?", default="svcj_2f_calibrated",
                       help="model preset or file (default: svcj_2f_calibrated)")
    facts.add_argument("--paths", type=_positive_int, default=1000,
                       help="P paths (default: 1000)")
    facts.add_argument("--years", type=_positive_int, default=11,
                       help="years per path, the first dropped as burn-in (default: 11)")
    facts.add_argument("--seed", type=_seed, default=20261204, help="seed of the P paths")
    facts.add_argument("--figure", metavar="FILE.png", default=None,
                       help="also draw realised vol, VIX minus it and VIX-option vol by bucket")
    return parser


def _add_scenario_run_options(cmd, paths_default: str, checkpoints_at: str) -> None:
    """Options every command that runs a scenario file shares."""
    cmd.add_argument("--paths", type=_positive_int, default=None,
                     help=f"paths per scenario (default: {paths_default})")
    cmd.add_argument("--seed", type=_seed, default=None,
                     help="random seed (default: the file's simulation.seed)")
    cmd.add_argument("--resume", action="store_true",
                     help="continue an interrupted run from its checkpoints")
    cmd.add_argument("--overwrite", action="store_true",
                     help=f"replace finished results {checkpoints_at} and discard the "
                          "checkpoints of an interrupted run there (without it both are "
                          "refused)")
    cmd.add_argument("--max-memory", default=None, metavar="SIZE",
                     help="refuse a run whose estimated peak memory is larger, e.g. 2G "
                          "(default: 80 %% of this machine's memory)")


def _add_summary_options(cmd) -> None:
    cmd.add_argument("--format", default="text", choices=("text", "csv", "json", "markdown"),
                     help="summary as text tables (default), CSV or JSON (every column, "
                          "fractions), or Markdown tables")
    cmd.add_argument("--wide", action="store_true",
                     help="text summary with every column and two decimals")


def _add_run(sub) -> None:
    run = _command(
        sub, "run", help="run a scenario file: results cube (NetCDF) and a summary table",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Run every strategy of a scenario file on the same Monte Carlo paths of "
                    "each of its scenarios,\nwrite the results cube (NetCDF) and print each "
                    "strategy's drawdowns and returns,\npaired against 'unhedged' with "
                    "bootstrap confidence intervals.",
        epilog="Finished chunks are checkpointed in .NAME.nc.partial/ beside the output: after "
               "an interruption,\nrun the same command with --resume to continue. Open the "
               "cube with\n  import simulator as sim; cube = sim.open_cube('results/NAME.nc')")
    run.add_argument("scenario", metavar="SCENARIO.yaml", help="scenario file (see scenarios/)")
    run.add_argument("--out", default=None, metavar="FILE.nc",
                     help="results file (default: results/NAME.nc, NAME from the file)")
    _add_scenario_run_options(run, "the file's simulation.paths", "at --out")
    where = run.add_mutually_exclusive_group()
    where.add_argument("--workers", type=_positive_int, default=None, metavar="N",
                       help="run the chunks on a local Dask cluster of N worker processes "
                            "(needs the dask extra)")
    where.add_argument("--scheduler", default=None, metavar="ADDRESS",
                       help="run the chunks on an existing Dask cluster, e.g. "
                            "tcp://host:8786 (needs the dask extra)")
    run.add_argument("--no-summary", action="store_true",
                     help="neither compute nor print the summary (alvh report computes it)")
    _add_summary_options(run)


def _add_report(sub) -> None:
    rep = _command(
        sub, "report", help="summary table and figures (PNG, SVG or PDF) of a results file",
        description="Print the summary table of a results cube (each strategy, and each hedge "
                    "paired against 'unhedged' with bootstrap CIs) and write figures: equity "
                    "fan, drawdown distributions, drag-vs-drawdown-cut frontier, P&L attribution "
                    "by layer, and an event study around the largest VIX spikes.")
    rep.add_argument("results", metavar="RESULTS.nc", help="a cube written by 'alvh run'")
    _add_summary_options(rep)
    rep.add_argument("--out", default=None, metavar="DIR",
                     help="folder for the figures (default: RESULTS_report/ beside the file)")
    rep.add_argument("--figure-format", default="png", choices=("png", "svg", "pdf"),
                     help="file format of the figures (default: png)")
    rep.add_argument("--dpi", type=int, default=150,
                     help="resolution of PNG figures, 30-1200 (default: 150)")
    rep.add_argument("--html", nargs="?", const="", default=None, metavar="FILE.html",
                     help="also write one self-contained HTML page (summary, trades, every "
                          "figure inlined, claims if a claims.csv lies beside the cube, "
                          "settings); default file: RESULTS_report.html beside the results")


def _add_claims(sub) -> None:
    cla = _command(
        sub, "claims", help="put the claims C1-C12 to the model: verdict table (Markdown, CSV)",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Run scenarios/claims.yaml (six scenarios, nine strategies, the same paths "
                    "for every strategy)\nand write DIR/claims.md and DIR/claims.csv: for each "
                    "claim C1-C12 what was\nsimulated, the figure with its 95 % "
                    "bootstrap CI, the claimed value and a verdict.\nThe cube is kept as "
                    "DIR/claims.nc ('alvh report DIR/claims.nc' draws its figures).",
        epilog="20,000 paths (the default) take a few minutes on two cores; --paths 2000 gives "
               "a first look.\nAfter an interruption, run the same command with --resume.")
    cla.add_argument("--out", default="results/claims", metavar="DIR",
                     help="output folder (default: results/claims)")
    cla.add_argument("--scenario", default=None, metavar="FILE.yaml",
                     help="another claims file with the same scenario and strategy names")
    cla.add_argument("--model", default=None, metavar="PRESET",
                     help="model preset in place of the file's (e.g. svcj_default: the "
                          "one-factor hand fit); each scenario keeps its overrides, and those "
                          "on their own preset (calm, bear_2022) keep it")
    cla.add_argument("--boot", type=_positive_int, default=1000,
                     help="bootstrap resamples per CI (default: 1000)")
    _add_scenario_run_options(cla, "20000, the file's simulation.paths", "in --out")


def _add_validate(sub) -> None:
    val = _command(
        sub, "validate", help="check scenario files without running them",
        description="Validate scenario files: every problem of each file is listed with its "
                    "field path and the allowed values. Exit status 2 if any file is invalid.")
    val.add_argument("scenarios", nargs="+", metavar="SCENARIO.yaml")
    val.add_argument("--show", action="store_true",
                     help="print each valid file fully expanded (presets, sweeps, models)")
    _command(sub, "schema", help="print the JSON Schema of scenario files (for editors)")


def _add_replay(sub) -> None:
    rep = _command(
        sub, "replay", help="the strategies of a scenario file on a real S&P 500 / VIX window",
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
                          "svcj_2f_calibrated; one-factor presets use spot VIX alone)")
    rep.add_argument("--figure", metavar="FILE.png",
                     help="also draw the S&P 500, VIX with the real and model futures, and each "
                          "book with its VIX call trades marked (png, svg or pdf)")
    rep.add_argument("--trades", action="store_true", help="also print every trade, dated")


def _cmd_replay(args) -> int:
    import re
    from pathlib import Path

    import numpy as np

    from simulator.model.presets import load_model
    from simulator.results.metrics import drawdown_and_recovery
    from simulator.scenario.loader import load_scenario
    from simulator.strategy import replay_history

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
        plan.scenarios[0].model if own else load_model("svcj_2f_calibrated"))
    args.model = model.name or "the file's model"
    result, path = replay_history(model, plan.strategies, args.start, args.end,
                                  costs=plan.costs, capital=plan.simulation.capital)
    dates = path.dates
    print(f"{plan.name} strategies on {dates[0]} .. {dates[-1]} ({dates.size} trading days), "
          f"model {args.model}; S&P 500 {path.spx[0]:.0f} -> {path.spx[-1]:.0f}, VIX "
          f"{path.vix.min():.1f}-{path.vix.max():.1f}; {path.clipped.mean():.0%} of days "
          "off the model's range (state on its edge)")
    print("Model prices around real levels, not historical quotes.\n")
    # max DD in % of the condor's risk capital; a book without a condor (an S&P 500 core)
    # has none: % of equity, said in the cell (issue 32: one unit per name)
    head = (f"{'strategy':<18}{'P&L %':>8}{'max DD':>15}  {'peak -> trough':<25}"
            f"{'back at peak':<14}{'hedge prem. %':>14}")
    print(head)
    print("-" * len(head))
    for k, name in enumerate(result.strategies):
        book = result.trading[k, 0]
        condor = plan.strategies[name].condor
        risk, unit = (condor.risk_per_tranche, "% risk") if condor is not None else \
            (1.0, "% eq")
        worst, days_back = drawdown_and_recovery(book[None], absolute=True)
        peak = np.maximum.accumulate(book)
        trough = int(np.argmax(peak - book))
        top = int(np.argmax(book[:trough + 1])) if trough > 0 else 0
        back = ("never" if np.isnan(days_back[0]) else
                "-" if worst[0] == 0 else dates[top + int(days_back[0])])
        premium = result.pnl_of(name, "hedge_premium")[0]
        print(f"{name:<18}{100 * (book[-1] - 1):>8.2f}"
              f"{f'{100 * worst[0] / risk:.1f} {unit}':>15}  "
              f"{dates[top] + ' -> ' + dates[trough]:<25}{back:<14}{100 * premium:>14.2f}")
    if args.figure is not None:
        from simulator.common.files import atomic_path
        from simulator.report.history import history_figure

        fig = history_figure(result, path, model, strategies=plan.strategies,
                             title=f"{plan.name}: {dates[0]} to {dates[-1]}")
        target = Path(args.figure)
        target.parent.mkdir(parents=True, exist_ok=True)
        with atomic_path(target) as tmp:
            fig.savefig(tmp, dpi=130, format=target.suffix.lstrip("."), bbox_inches="tight")
        print(f"\nwrote {target}")
    if args.trades:
        print(f"\n{'date':<12}{'strategy':<18}{'action':<16}{'detail':<42}{'contracts':>10}"
              f"{'price':>9}{'SPX':>9}{'VIX':>7}")
        for t in sorted(result.trades, key=lambda t: (t.day, t.strategy)):
            print(f"{dates[t.day]:<12}{t.strategy:<18}{t.action:<16}{t.detail:<42}"
                  f"{t.contracts:>10.2f}{t.price:>9.2f}{t.spx:>9.1f}{t.vix:>7.2f}")
    return EXIT_OK


def _add_calibrate(sub) -> None:
    cal = _command(
        sub, "calibrate", help="fit a model to the shipped SPX/VIX history (Q to the VIX "
                               "curves, P to the moments)",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Fit Q to every day's VIX curve in the window (spot VIX, VIX3M, VIX6M and "
                    "the listed VX\ncontracts by their real expiry; each day at its own state, "
                    "the parameters common\nto all days), then P by simulated method of moments "
                    "(VIX level, tails and\npersistence, realised vol, the variance premium, "
                    "contango). Method: docs/calibration.md.",
        epilog="example: alvh calibrate --family svcj2 --start 2017-01-01 --end 2017-12-31 "
               "--out calm.yaml --report calm_report")
    cal.add_argument("--family", choices=("svcj", "svcj2"), default="svcj2",
                     help="svcj: one factor; svcj2: two factors (default)")
    cal.add_argument("--start", default="1990-01-02", help="first date, YYYY-MM-DD "
                     "(default 1990-01-02; the curve fit starts where VX data does, 2007)")
    cal.add_argument("--end", default="2025-12-31", help="last date, YYYY-MM-DD")
    cal.add_argument("--base", default=None, metavar="PRESET",
                     help="start values (default: the family's hand fit, svcj_default or "
                          "svcj_2f_default)")
    cal.add_argument("--equity-premium", default="fixed", metavar="fixed|window|X",
                     help="keep the start model's (fixed, default), the window's excess "
                          "return (window), or a number")
    cal.add_argument("--regime", action="store_true",
                     help="a regime of --base: keep its Q and shared diffusion, fit P's own "
                          "drift and jumps to the window (e.g. a calm or a stressed year)")
    cal.add_argument("--paths", type=_positive_int, default=64,
                     help="simulated paths per trial of the P fit (default 64)")
    cal.add_argument("--years", type=_positive_int, default=6,
                     help="years per path, the first dropped as burn-in (default 6)")
    cal.add_argument("--seed", type=_seed, default=20_261_202,
                     help="seed of the common random numbers (default 20261202)")
    cal.add_argument("--name", default=None, help="preset name (default: from --out)")
    cal.add_argument("--out", default=None, metavar="PRESET.yaml",
                     help="write the calibrated preset here (load it with --model FILE)")
    cal.add_argument("--report", default=None, metavar="DIR",
                     help="write calibration.md and figures into DIR")
    cal.add_argument("--overwrite", action="store_true",
                     help="replace an existing --out file (without it, refused)")


def _check_preset_out(out, overwrite: bool) -> None:
    """``--out`` of ``alvh calibrate``: a .yaml file in an existing, writable folder, not an
    existing file unless ``overwrite``; checked by creating (and removing) a file there."""
    import os
    import tempfile

    from simulator.scenario.runner import check_output

    if out.suffix != ".yaml":
        raise ValueError(f"--out {out}: give a file name ending in .yaml (a model preset)")
    if not out.parent.is_dir():
        raise FileNotFoundError(f"--out {out}: folder {out.parent} does not exist")
    if out.is_dir():
        raise ValueError(f"--out {out}: is a folder; give a file name ending in .yaml")
    check_output(out, overwrite)
    try:
        fd, probe = tempfile.mkstemp(dir=out.parent, prefix=f".{out.name}.", suffix=".tmp")
    except OSError as err:
        raise ValueError(f"--out {out}: cannot write in {out.parent} "
                         f"({err.strerror or err})") from None
    os.close(fd)
    os.unlink(probe)


def _cmd_calibrate(args) -> int:
    import os
    import tempfile
    from pathlib import Path

    import yaml
    from tqdm import tqdm

    from simulator.calibration import SimulationDesign, calibrate
    from simulator.model.presets import load_model

    if args.years < 2:
        raise ValueError(f"--years {args.years}: give 2 or more (the first is burn-in)")
    premium = args.equity_premium
    if premium not in ("fixed", "window"):
        try:
            premium = float(premium)
        except ValueError:
            raise ValueError(f"--equity-premium {premium!r}: give fixed, window or a number "
                             "in [-0.5, 0.5]") from None
        if not -0.5 <= premium <= 0.5:
            raise ValueError(f"--equity-premium {premium!r}: outside [-0.5, 0.5]")
    out = Path(args.out) if args.out else None
    if out is not None:  # before a fit of minutes, not after it (issue 34, item 13)
        _check_preset_out(out, args.overwrite)
    base = load_model(args.base) if args.base else None
    bars: dict = {}

    def progress(stage, n, objective):
        if args.quiet:
            return
        bar = bars.get(stage)
        if bar is None:
            for other in bars.values():
                other.close()
            bar = bars[stage] = tqdm(desc=f"{stage} fit", unit="trial", file=sys.stderr,
                                     leave=False, mininterval=0.5 if sys.stderr.isatty()
                                     else 30.0)
        bar.update(1)
        bar.set_postfix_str(f"objective {objective:.4g}", refresh=False)

    cal = calibrate(args.family, args.start, args.end, base=base, equity_premium=premium,
                    design=SimulationDesign(n_paths=args.paths, years=args.years,
                                            seed=args.seed), regime=args.regime,
                    progress=progress)
    for bar in bars.values():
        bar.close()
    q_rmse, s_rmse = cal.q_fit.rmse_by(), cal.start_q_fit.rmse_by()
    print(f"{args.family} calibrated to {args.start} .. {args.end} in {cal.seconds:.0f} s")
    print(f"Q: {cal.q_fit.obs.n_obs:,} curve points on {cal.q_fit.obs.dates.size:,} days "
          f"({cal.q_fit.obs.dates[0]} .. {cal.q_fit.obs.dates[-1]})")
    print("  RMSE, points   " + "  ".join(f"{k:>6}" for k in q_rmse))
    print("  calibrated     " + "  ".join(f"{v:6.3f}" for v in q_rmse.values()))
    print(f"  {cal.start_model.name[:14]:<15}" + "  ".join(f"{s_rmse.get(k, float('nan')):6.3f}"
                                                        for k in q_rmse))
    print(f"P: objective {cal.p_fit.objective:.2f} on {cal.p_fit.design.kept_years} "
          "path-years")
    print(f"  {'target':<30}{'market':>9}{'model':>9}{'diff/scale':>11}")
    for r in cal.target_table():
        note = "" if r["in_objective"] else "  (not in the objective)"
        print(f"  {r['target']:<30}{r['market']:>9.3f}{r['model']:>9.3f}"
              f"{r['difference'] / r['scale']:>11.2f}{note}")
    name = args.name or (out.stem if out else f"{args.family}_calibrated")
    doc = cal.preset(name)
    print(yaml.safe_dump({"model": doc["model"]}, sort_keys=False, width=100), end="")
    if out is not None:  # written whole or not at all
        fd, tmp = tempfile.mkstemp(dir=out.parent, prefix=f".{out.name}.", suffix=".tmp")
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            yaml.safe_dump(doc, f, sort_keys=False, width=100)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes it private; a preset is for sharing
        os.replace(tmp, out)
        print(f"preset written to {out}")
    if args.report:
        from simulator.report.calibration import write_report

        written = write_report(cal, args.report)
        print(f"report written to {written[0]}")
    return EXIT_OK


def _add_optimize(sub) -> None:
    opt = _command(
        sub, "optimize", help="search the hedge's design (Optuna) for the most protection per "
                              "unit of drag, checked out of sample",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Search the hedge of the scenario file's optimize.strategy over "
                    "optimize.space (Optuna: TPE or\nNSGA-II, successive halving on path "
                    "counts), every trial on the same paths; re-run the best\ndesigns on "
                    "fresh seeds and on every real rolling window of the history file, and "
                    "write\nDIR/optimize.nc (all trials), optimize.md, front.png and "
                    "recommended_hedge.yaml (docs/optimize.md).",
        epilog="The study is stored as DIR/optimize.db while it runs: after an interruption, "
               "run the same\ncommand with --resume.")
    opt.add_argument("scenario", metavar="SCENARIO.yaml",
                     help="scenario file with an optimize section")
    opt.add_argument("--out", default=None, metavar="DIR",
                     help="output folder (default: results/NAME_optimize)")
    opt.add_argument("--trials", type=_positive_int, default=None,
                     help="trials (default: the file's optimize.trials)")
    opt.add_argument("--paths", type=_positive_int, default=None,
                     help="paths per scenario and trial (default: the file's simulation.paths)")
    opt.add_argument("--days", type=_positive_int, default=None,
                     help="trading days (default: the file's simulation.days)")
    opt.add_argument("--seed", type=_seed, default=None,
                     help="seed of the paths and the sampler (default: simulation.seed)")
    opt.add_argument("--resume", action="store_true",
                     help="continue an interrupted search from DIR/optimize.db")
    opt.add_argument("--overwrite", action="store_true",
                     help="discard an earlier search in DIR")
    where = opt.add_mutually_exclusive_group()
    where.add_argument("--workers", type=_positive_int, default=None, metavar="N",
                       help="evaluate each batch of trials on a local Dask cluster of N "
                            "processes (needs the dask extra)")
    where.add_argument("--scheduler", default=None, metavar="ADDRESS",
                       help="evaluate on an existing Dask cluster (needs the dask extra)")


def _cmd_optimize(args) -> int:
    from pathlib import Path

    from simulator.optimize.report import write_outputs
    from simulator.optimize.runner import optimize_plan
    from simulator.optimize.spec import check
    from simulator.scenario.loader import load_scenario

    plan = load_scenario(args.scenario)
    check(plan)  # every problem of the section before a cluster starts
    out = Path(args.out) if args.out else Path("results") / f"{plan.name}_optimize"
    client = cluster = None
    n_workers = 1
    if args.workers is not None or args.scheduler is not None:
        from simulator.scenario.cluster import check_workers, connect

        client, cluster = connect(scheduler=args.scheduler, workers=args.workers)
        try:
            n_workers = check_workers(client)
        except ValueError:
            _close_cluster(client, cluster)
            raise
    try:
        result = optimize_plan(plan, out, n_trials=args.trials, n_paths=args.paths,
                               days=args.days, seed=args.seed, resume=args.resume,
                               overwrite=args.overwrite, client=client, n_workers=n_workers,
                               progress=not args.quiet)
    except KeyboardInterrupt:
        print(f"\nalvh: interrupted; the study is kept in {out / 'optimize.db'}.\n"
              f"Continue with the same command and --resume", file=sys.stderr)
        return 130
    finally:
        _close_cluster(client, cluster)
    written = write_outputs(result, out)
    from simulator.optimize.study import complete_trials, feasible

    if result.spec.constraints and not any(feasible(t) for t in complete_trials(result.study)):
        print(f"warning: {args.scenario}: optimize.objective.subject_to: no trial met the "
              "constraints; the recommendation is the design closest to them",
              file=sys.stderr)
    if result.recommended is not None:
        print(f"recommended: trial {result.recommended} -> {out / 'recommended_hedge.yaml'}")
    print(f"{len(result.study.trials)} trials in {result.seconds:.0f} s; wrote "
          + ", ".join(str(p) for p in written))
    return EXIT_OK


def _add_simulate(sub) -> None:
    sim = _command(
        sub, "simulate", help="simulate SPX/VIX paths and print a summary",
        description="Simulate SPX, variance and VIX paths and print a summary with the "
                    "stylized facts of the paths next to the market's (Cboe/S&P data).",
    )
    sim.add_argument("--model", default="svcj_2f_calibrated",
                     help="preset name or model YAML file (default: svcj_2f_calibrated)")
    sim.add_argument("--paths", type=_positive_int, default=20_000,
                     help="number of paths (default: 20000)")
    sim.add_argument("--days", type=_positive_int, default=252,
                     help="trading days to simulate, 252 = 1 year (default: 252)")
    sim.add_argument("--seed", type=_seed, default=1, help="random seed (default: 1)")
    sim.add_argument("--measure", choices=("P", "Q"), default="P",
                     help="P: real world (default); Q: risk neutral")
    sim.add_argument("--substeps", type=_positive_int, default=1,
                     help="QE sub-steps per trading day (default: 1)")


def _cmd_presets(kind: str = "model") -> int:
    import textwrap

    from simulator.model.presets import load_model, preset_names

    if kind != "model":
        from simulator.strategy import presets

        table = {"condor": presets.CONDOR_PRESETS, "hedge": presets.HEDGE_PRESETS,
                 "costs": presets.COST_PRESETS}[kind]
        where = {"condor": "condor: {preset: NAME}", "hedge": "hedge: {preset: NAME}",
                 "costs": "costs: {preset: NAME}"}[kind]
        print(f"use in a scenario file as  {where}  (other keys beside it override it)")
        for name, settings in table.items():
            shown = ", ".join(f"{k} {v}" for k, v in settings.items() if k != "layers")
            if "layers" in settings:
                shown += "; layers " + ", ".join(
                    f"{layer} {spec.get('dte')} DTE" for layer, spec in settings["layers"].items())
            print(f"{name}\n    {textwrap.shorten(shown, 300, placeholder=' ...')}")
        return EXIT_OK
    for name in preset_names():
        model = load_model(name)
        cite = " ".join((model.citation or "").split())
        factors = "two factors" if model.two_factor else "one factor"
        print(f"{name} ({factors})\n    VIX0 {model.vix_index(model.v0, model.m0):.1f}, "
              f"VIX floor {model.vix_floor:.1f}\n"
              f"    {textwrap.shorten(cite, 300, placeholder=' ...')}")
    return EXIT_OK


def _cmd_simulate(args) -> int:
    import numpy as np

    from simulator.common.conventions import years_of
    from simulator.model.paths import simulate_paths
    from simulator.model.presets import load_model
    from simulator.model.stylized_facts import market_facts, simulated_facts

    model = load_model(args.model)
    t0 = time.perf_counter()
    paths = simulate_paths(model, args.paths, args.days, args.seed, measure=args.measure,
                           substeps=args.substeps)
    elapsed = time.perf_counter() - t0
    finite = np.isfinite(paths.spx.values).all(axis=1) & np.isfinite(paths.vix.values).all(axis=1)
    if not finite.all():  # a summary of NaN would read as a result (issue 34 item 4)
        print(f"alvh simulate: {int((~finite).sum())} of {args.paths} paths of model "
              f"{model.name} are not finite (NaN or inf); the scheme failed for these "
              "parameters: please report the model file", file=sys.stderr)
        return EXIT_INVALID_INPUT
    steps = args.paths * args.days * args.substeps
    spx_end = paths.spx.values[:, -1]
    years = years_of(args.days)
    growth = np.log(spx_end / model.spx0) / years
    q = [0.01, 0.05, 0.5, 0.95, 0.99]
    print(f"model {model.name} | measure {args.measure} | {args.paths} paths x {args.days} "
          f"days | seed {args.seed}")
    print(f"simulated {steps:,} path-steps in {elapsed:.2f} s "
          f"({steps / elapsed / 1e6:.1f} M path-steps/s, first call includes compilation)")
    print(f"\nSPX after {args.days} days (start {model.spx0:g}):")
    print("  quantiles " + "  ".join(f"q{int(p * 100):02d} {v:9.1f}"
                                     for p, v in zip(q, np.quantile(spx_end, q), strict=True)))
    print(f"  mean log growth {growth.mean():+.2%}/yr, s.d. {growth.std():.2%}")
    vix = paths.vix.values
    print(f"VIX (start {vix[0, 0]:.1f}, floor {model.vix_floor:.1f}): mean {vix.mean():.1f}, "
          f"median {np.median(vix):.1f}, q99 {np.quantile(vix, 0.99):.1f}, "
          f"max {vix.max():.1f}")
    if args.days > 21:
        sim_f = simulated_facts(paths)
        mkt_f = market_facts()
        print("\nstylized facts            simulated     market 1990-2025")
        for key in ("vix_mean", "vix_median", "p_vix_above_40", "implied_minus_realised",
                    "share_implied_above_realised", "realised_vol_mean", "corr_return_dvix",
                    "vix_log_change_vol"):
            print(f"  {key:28s} {sim_f[key]:9.3f}   {mkt_f[key]:9.3f}")
    return EXIT_OK


def _cmd_validate(args) -> int:
    from simulator.scenario import ScenarioError, load_scenario

    status = EXIT_OK
    for path in args.scenarios:
        try:
            plan = load_scenario(path)
        except ScenarioError as err:
            print(err, file=sys.stderr)
            status = EXIT_INVALID_INPUT
            continue
        if plan.optimize is not None:  # the search's fields need the resolved plan
            from simulator.optimize.spec import check

            try:
                check(plan)
            except ScenarioError as err:
                print(err, file=sys.stderr)
                status = EXIT_INVALID_INPUT
                continue
        for warning in plan.warnings:
            print(f"warning: {warning}", file=sys.stderr)
        print(f"{path}: ok ({plan.name}: {len(plan.scenarios)} scenario(s) x "
              f"{len(plan.strategies)} strateg{'y' if len(plan.strategies) == 1 else 'ies'}, "
              + (f"{plan.n_paths:,} paths x {plan.n_days} days)" if plan.history is None
                 else f"{plan.describe_paths()})"))
        if args.show:
            import yaml

            from simulator.scenario.plan import expanded

            print(yaml.safe_dump(expanded(plan), sort_keys=False, width=100))
    return status


def _cmd_schema() -> int:
    import json

    from simulator.scenario.schema import json_schema

    print(json.dumps(json_schema(), indent=1))
    return EXIT_OK


def _cmd_run(args) -> int:
    from pathlib import Path

    from simulator.scenario.loader import load_scenario
    from simulator.scenario.runner import checkpoint_dir, default_output, run_plan

    plan = load_scenario(args.scenario, n_paths=args.paths, seed=args.seed)
    out = Path(args.out) if args.out else default_output(plan)
    for warning in plan.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    if out.suffix != ".nc":
        raise ValueError(f"--out {out}: the results file must end in .nc (NetCDF)")
    if out.exists() and out.is_dir():
        raise ValueError(f"--out {out}: is a folder; give a file name ending in .nc")
    from simulator.scenario.runner import check_output

    check_output(out, args.overwrite)  # before the long part (a cluster, tables, paths)
    n_units = len(plan.scenarios) * -(-plan.n_paths // plan.simulation.chunk_paths)
    if not args.quiet:
        print(f"{plan.name}: {len(plan.scenarios)} scenario(s) x {len(plan.strategies)} "
              f"strategies, {plan.describe_paths()}, {n_units} chunk(s)", file=sys.stderr)
    from simulator.scenario.runner import check_resources, parse_memory

    max_memory = parse_memory(args.max_memory) if args.max_memory is not None else None
    check_resources(plan, out, max_memory)  # before a cluster starts
    client = cluster = None
    if args.workers is not None or args.scheduler is not None:  # before any work starts
        from simulator.scenario.cluster import check_workers, connect

        client, cluster = connect(scheduler=args.scheduler, workers=args.workers)
        try:
            n_workers = check_workers(client)
        except ValueError:
            _close_cluster(client, cluster)
            raise
        if not args.quiet:
            print(f"Dask cluster {client.scheduler.address}: {n_workers} worker(s)",
                  file=sys.stderr)
    t0 = time.perf_counter()
    try:
        cube = run_plan(plan, out=out, resume=args.resume, progress=not args.quiet,
                        overwrite=args.overwrite, summary=not args.no_summary, client=client,
                        max_memory=max_memory)
    except KeyboardInterrupt:
        print(f"\nalvh: interrupted; finished chunks are kept in {checkpoint_dir(out)}.\n"
              f"Continue with: alvh run {args.scenario} --out {out} --resume"
              + (f" --paths {args.paths}" if args.paths else "")
              + (f" --seed {args.seed}" if args.seed is not None else ""), file=sys.stderr)
        return 130
    finally:
        _close_cluster(client, cluster)
    elapsed = time.perf_counter() - t0
    if not args.quiet:
        print(f"wrote {out} in {elapsed:.1f} s", file=sys.stderr)
    if not args.no_summary:
        from simulator.results.summary import format_summary, summarize

        chatter = sys.stdout if args.format in ("text", "markdown") else sys.stderr
        print(f"{plan.name}: {plan.describe_paths()} -> {out}", file=chatter)
        print(format_summary(summarize(cube), wide=args.wide, fmt=args.format))
    return EXIT_OK


def _close_cluster(client, cluster) -> None:
    for thing in (client, cluster):
        if thing is not None:
            thing.close()


def _cmd_report(args) -> int:
    from pathlib import Path

    results = Path(args.results)
    if not results.is_file():
        raise FileNotFoundError(f"{results}: no such results file (write one with 'alvh run')")
    from simulator.report.figures import write_figures
    from simulator.results.cube import open_cube
    from simulator.results.summary import format_summary, summarize

    cube = open_cube(results)  # verified: CubeError (exit 2) names the file and the variable
    missing = {"max_drawdown", "total_return", "equity_q", "event_return"} - set(cube.data_vars)
    if missing:
        raise ValueError(f"{results}: not a results cube of this version (missing "
                         f"{', '.join(sorted(missing))}); rerun 'alvh run'")
    out = Path(args.out) if args.out else results.with_name(results.stem + "_report")
    table = summarize(cube)
    # with --format csv/json the standard output is the table alone (for a file or a pipe)
    chatter = sys.stdout if args.format in ("text", "markdown") else sys.stderr
    print(f"{cube.attrs.get('scenario_name', results.stem)}: {cube.sizes['path']:,} paths x "
          f"{cube.sizes['day'] - 1} days, seed {cube.attrs.get('seed')}, from {results}",
          file=chatter)
    print(format_summary(table, wide=args.wide, fmt=args.format))
    paths = write_figures(cube, out, table, fmt=args.figure_format, dpi=args.dpi)
    from simulator.report.history import write_replay_figures

    paths += write_replay_figures(cube, out, fmt=args.figure_format, dpi=args.dpi)
    print(f"\n{len(paths)} figures in {out}/", file=chatter)
    if "trade_day" in cube:  # simulation.trade_log_paths: the round trips of the blotter
        from simulator.results.blotter import format_trade_statistics, trade_statistics

        print("\n" + format_trade_statistics(trade_statistics(cube), int(
            cube.attrs.get("simulation_trade_log_paths", 0))), file=chatter)
    if args.html is not None:
        from simulator.report.html import write_html

        page = Path(args.html) if args.html else results.with_name(
            results.stem + "_report.html")
        if page.suffix.lower() not in (".html", ".htm"):
            raise ValueError(f"--html {page}: give a file ending in .html")
        # the PNGs just written are inlined as they are (other formats: drawn again as PNG)
        write_html(cube, page, table, claims_csv=results.parent / "claims.csv",
                   figures=[p for p in paths if p.suffix == ".png"]
                   if args.figure_format == "png" else None)
        print(f"wrote {page}", file=chatter)
    return EXIT_OK


def run_claims(out_dir, *, n_paths: int | None = None, seed: int | None = None,
               resume: bool = False, progress: bool = True, n_boot: int | None = None,
               scenario_file=None, overwrite: bool = False, model: str | None = None,
               max_memory: int | None = None):
    """Run the claims scenario file into ``out_dir/claims.nc`` (checkpointed, resumable),
    evaluate C1-C12 and write ``claims.md`` and ``claims.csv`` beside it; the results.

    ``model`` replaces the file's model preset (each scenario keeps its overrides), e.g.
    ``svcj_default`` to put the claims to the one-factor hand fit."""
    from pathlib import Path

    from simulator._version import __version__
    from simulator.report.claims import (
        CLAIMS_FILE,
        N_BOOT,
        check_names,
        claims_command,
        evaluate_claims,
        write_claims,
    )
    from simulator.scenario.loader import load_scenario, parse_scenario
    from simulator.scenario.runner import run_plan

    source = Path(scenario_file) if scenario_file is not None else CLAIMS_FILE
    if model is None:
        plan = load_scenario(source, n_paths=n_paths, seed=seed)
    else:
        from simulator.model.presets import preset_names

        # a model file typed on the command line is the user's own choice (a scenario file
        # may name only files in its own folder)
        ref = model if model in preset_names() else str(Path(model).resolve())
        plan = parse_scenario(_with_model_preset(source, ref), source=str(source),
                              base_dir=source.parent, n_paths=n_paths, seed=seed,
                              trusted_models=(ref,) if ref != model else ())
    check_names(source, [sc.name for sc in plan.scenarios], list(plan.strategies))
    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise ValueError(f"--out {out}: exists and is not a folder")
    from simulator.scenario.runner import check_output

    for name in ("claims.nc", "claims.md", "claims.csv"):  # the finished results of a run
        check_output(out / name, overwrite)
    cube = run_plan(plan, out=out / "claims.nc", resume=resume, progress=progress,
                    max_memory=max_memory,
                    overwrite=overwrite)
    results = evaluate_claims(cube, n_boot=n_boot or N_BOOT)
    write_claims(results, out, paths=plan.n_paths, seed=plan.seed, version=__version__,
                 command=claims_command(paths=plan.n_paths, seed=plan.seed, out_dir=out,
                                        scenario_file=scenario_file, model=model),
                 model=plan.scenarios[0].model.name or "custom")
    return results


def _with_model_preset(source, preset: str) -> str:
    """The scenario file's text with its top-level model preset replaced (overrides kept;
    scenarios on their own preset keep it; m0 overrides go for a one-factor preset)."""
    import yaml

    from simulator.common import safe_yaml
    from simulator.scenario.errors import ScenarioError

    try:
        doc = safe_yaml.load(safe_yaml.read_text(source))
    except (OSError, UnicodeDecodeError, safe_yaml.YamlLimitError) as err:
        raise ScenarioError(str(source), [("", f"cannot read: {err}")]) from None
    from simulator.model.presets import load_model

    spec = doc.get("model") if isinstance(doc, dict) else None
    doc["model"] = dict(spec if isinstance(spec, dict) else {}, preset=preset)
    try:
        one_factor = not load_model(preset).two_factor
    except (FileNotFoundError, ValueError):  # the loader names the field and the presets
        one_factor = False
    if one_factor:  # a one-factor model has no m0 (its m is theta)
        for variant in (doc.get("scenarios") or {}).values():
            model = variant.get("model") if isinstance(variant, dict) else None
            if isinstance(model, dict) and "preset" not in model:
                model.pop("m0", None)
    return yaml.safe_dump(doc, sort_keys=False)


def _cmd_claims(args) -> int:
    from pathlib import Path

    from simulator.report.claims import format_verdicts
    from simulator.scenario.runner import checkpoint_dir, parse_memory

    if args.boot < 10:
        raise ValueError(f"--boot {args.boot}: at least 10 resamples are needed")
    out = Path(args.out)
    t0 = time.perf_counter()
    try:
        results = run_claims(out, n_paths=args.paths, seed=args.seed, resume=args.resume,
                             overwrite=args.overwrite,
                             progress=not args.quiet, n_boot=args.boot,
                             scenario_file=args.scenario, model=args.model,
                             max_memory=(parse_memory(args.max_memory)
                                         if args.max_memory is not None else None))
    except KeyboardInterrupt:
        print(f"\nalvh: interrupted; finished chunks are kept in "
              f"{checkpoint_dir(out / 'claims.nc')}.\nContinue with the same command and "
              f"--resume.", file=sys.stderr)
        return 130
    print(format_verdicts(results))
    print(f"\nwrote {out / 'claims.md'}, {out / 'claims.csv'} and {out / 'claims.nc'} in "
          f"{time.perf_counter() - t0:.0f} s")
    return EXIT_OK


def _cmd_export(args) -> int:
    from pathlib import Path

    from simulator.common.files import atomic_path
    from simulator.results.cube import open_cube, to_frame

    results = Path(args.results)
    if not results.is_file():
        raise FileNotFoundError(f"{results}: no such results file (write one with 'alvh run')")
    if args.format == "parquet":
        try:
            import pyarrow  # noqa: F401
        except ImportError:
            raise ValueError("--format parquet needs pyarrow (pip install "
                             "'alvh-simulator[parquet]', or pip install pyarrow); "
                             "--format csv needs nothing") from None
    out = Path(args.out) if args.out else results.with_name(
        f"{results.stem}_{args.per}.{args.format}")
    import os

    if out.exists() and os.path.samefile(out, results):  # the same file by any name
        raise ValueError(f"--out {out}: is the results file itself; an export never replaces "
                         "its cube (give another file name)")
    frame = to_frame(open_cube(results), per=args.per)
    with atomic_path(out) as tmp:
        if args.format == "csv":
            frame.to_csv(tmp)
        else:
            frame.to_parquet(tmp)
    print(f"wrote {out}: {len(frame):,} rows x {frame.shape[1]} columns")
    return EXIT_OK


def _cmd_curve(args) -> int:
    from simulator.model.presets import load_model
    from simulator.pricing.term_structure import format_comparison

    names = args.model or ["svcj_default", "svcj_2f_default", "svcj_2f_calibrated"]
    if args.paths < 0:
        raise ValueError(f"--paths {args.paths}: give 0 (no path facts) or more")
    models = [load_model(n) for n in names]
    from tqdm import tqdm

    # a bar on stderr (the table alone goes to stdout); -q: none
    total = len(models) * (1 + (args.paths > 0)) + 1
    with tqdm(total=total, unit="step", file=sys.stderr, disable=args.quiet, leave=False,
              bar_format="{desc}: {n_fmt}/{total_fmt} [{elapsed}<{remaining}]") as bar:
        started = []

        def step(label: str) -> None:
            if started:
                bar.update(1)
            started.append(label)
            bar.set_description_str(label)

        text = format_comparison(models, path_facts=args.paths > 0,
                                 n_paths=max(args.paths, 1), on_step=step)
        bar.update(1)
    print(text)
    return EXIT_OK


def _cmd_facts(args) -> int:
    from simulator.calibration import conditional
    from simulator.model.presets import load_model

    if args.years < 2:
        raise ValueError(f"--years {args.years}: give 2 or more (the first is burn-in)")
    from pathlib import Path

    if args.figure is not None and not Path(args.figure).resolve().parent.is_dir():
        raise ValueError(f"--figure {args.figure}: no such folder")
    model = load_model(args.preset)
    market = conditional.market_facts(state_model=model if model.two_factor else None)
    simulated = conditional.model_facts(model, n_paths=args.paths, years=args.years,
                                        seed=args.seed)
    print(conditional.format_table(market, simulated))
    if args.figure is not None:
        conditional.figure(market, simulated, args.figure)
        print(f"wrote {args.figure}")
    return EXIT_OK


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.version:
        from simulator._version import __version__

        print(__version__)
        return EXIT_OK
    if args.command is None:
        parser.print_help()
        return EXIT_OK
    setup_logging(args.verbose, args.quiet)
    try:
        if args.command == "presets":
            return _cmd_presets(args.kind)
        if args.command == "simulate":
            return _cmd_simulate(args)
        if args.command == "run":
            return _cmd_run(args)
        if args.command == "validate":
            return _cmd_validate(args)
        if args.command == "report":
            return _cmd_report(args)
        if args.command == "claims":
            return _cmd_claims(args)
        if args.command == "replay":
            return _cmd_replay(args)
        if args.command == "curve":
            return _cmd_curve(args)
        if args.command == "facts":
            return _cmd_facts(args)
        if args.command == "calibrate":
            return _cmd_calibrate(args)
        if args.command == "schema":
            return _cmd_schema()
        if args.command == "export":
            return _cmd_export(args)
        if args.command == "optimize":
            return _cmd_optimize(args)
    except (ValueError, FileNotFoundError) as err:  # ParameterError is a ValueError
        print(f"alvh: error: {err}", file=sys.stderr)
        return EXIT_INVALID_INPUT
    except BrokenPipeError:  # `alvh ... | head`: the reader left; stop quietly
        import os

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    except OSError as err:  # a full disk, a file that cannot be written: no traceback
        where = f" ({err.filename})" if getattr(err, "filename", None) else ""
        print(f"alvh: error: cannot read or write{where}: {err.strerror or err}; finished "
              "chunks, if any, are kept for --resume", file=sys.stderr)
        return EXIT_INVALID_INPUT
    except MemoryError:  # outside a run's own refusal (simulator.scenario.runner.OutOfMemory)
        print(f"alvh {args.command}: error: out of memory; use fewer paths or days, or free "
              "memory", file=sys.stderr)
        return EXIT_INVALID_INPUT
    except KeyboardInterrupt:
        print("alvh: interrupted", file=sys.stderr)
        return 130
    parser.error(f"unknown command {args.command!r}")  # pragma: no cover
    return EXIT_INVALID_INPUT  # pragma: no cover


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
