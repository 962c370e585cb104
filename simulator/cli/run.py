"""``alvh run``: a scenario file into a results cube (NetCDF), and its summary."""

from __future__ import annotations

import argparse
import sys
import time

from simulator.cli.options import (
    EXIT_INTERRUPTED,
    EXIT_OK,
    close_cluster,
    command,
    positive_int,
    scenario_run_options,
    summary_options,
)


def add(sub) -> None:
    run = command(
        sub, "run", execute,
        help="run a scenario file: results cube (NetCDF) and a summary table",
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
    scenario_run_options(run, "the file's simulation.paths", "at --out")
    where = run.add_mutually_exclusive_group()
    where.add_argument("--workers", type=positive_int, default=None, metavar="N",
                       help="run the chunks on a local Dask cluster of N worker processes "
                            "(needs the dask extra)")
    where.add_argument("--scheduler", default=None, metavar="ADDRESS",
                       help="run the chunks on an existing Dask cluster, e.g. "
                            "tcp://host:8786 (needs the dask extra)")
    run.add_argument("--no-summary", action="store_true",
                     help="neither compute nor print the summary (alvh report computes it)")
    summary_options(run)


def execute(args) -> int:
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
            close_cluster(client, cluster)
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
        return EXIT_INTERRUPTED
    finally:
        close_cluster(client, cluster)
    elapsed = time.perf_counter() - t0
    if not args.quiet:
        print(f"wrote {out} in {elapsed:.1f} s", file=sys.stderr)
    if not args.no_summary:
        from simulator.results.summary import format_summary, summarize

        chatter = sys.stdout if args.format in ("text", "markdown") else sys.stderr
        print(f"{plan.name}: {plan.describe_paths()} -> {out}", file=chatter)
        print(format_summary(summarize(cube), wide=args.wide, fmt=args.format))
    return EXIT_OK
