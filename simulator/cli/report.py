"""``alvh report``: the summary table and figures of a results cube."""

from __future__ import annotations

import sys

from simulator.cli.options import EXIT_OK, command, summary_options


def add(sub) -> None:
    rep = command(
        sub, "report", execute,
        help="summary table and figures (PNG, SVG or PDF) of a results file",
        description="Print the summary table of a results cube (each strategy, and each hedge "
                    "paired against 'unhedged' with bootstrap CIs) and write figures: equity "
                    "fan, drawdown distributions, drag-vs-drawdown-cut frontier, P&L attribution "
                    "by layer, and an event study around the largest VIX spikes.")
    rep.add_argument("results", metavar="RESULTS.nc", help="a cube written by 'alvh run'")
    summary_options(rep)
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


def execute(args) -> int:
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
