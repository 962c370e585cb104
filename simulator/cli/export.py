"""``alvh export``: a results cube as a tidy table (CSV or Parquet)."""

from __future__ import annotations

from simulator.cli.options import EXIT_OK, command


def add(sub) -> None:
    exp = command(
        sub, "export", execute, help="a results cube as a tidy table (CSV or Parquet)",
        description="Write a results cube as a tidy table: one row per (scenario, strategy, "
                    "path) with every per-path figure, or the summary (one row per scenario "
                    "and strategy, with bootstrap CIs).")
    exp.add_argument("results", metavar="RESULTS.nc")
    exp.add_argument("--per", choices=("path", "summary", "trade", "trades"), default="path",
                     help="path (default), summary, or trade (or trades): the blotter, one row "
                          "a trade, of a run with simulation.trade_log_paths or of a history "
                          "replay (which always keeps it)")
    exp.add_argument("--format", choices=("csv", "parquet"), default="csv")
    exp.add_argument("--out", metavar="FILE", default=None,
                     help="output file (default: RESULTS_PER.csv/.parquet beside the cube)")


def execute(args) -> int:
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
        f"{results.stem}_{'trades' if args.per == 'trade' else args.per}.{args.format}")
    import os

    if out.exists() and os.path.samefile(out, results):  # the same file by any name
        raise ValueError(f"--out {out}: is the results file itself; an export never replaces "
                         "its cube (give another file name)")
    per = "trades" if args.per == "trade" else args.per
    frame = to_frame(open_cube(results), per=per)
    with atomic_path(out) as tmp:
        if args.format == "csv":
            frame.to_csv(tmp)
        else:
            frame.to_parquet(tmp)
    print(f"wrote {out}: {len(frame):,} rows x {frame.shape[1]} columns")
    return EXIT_OK
