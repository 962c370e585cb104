"""``alvh optimize``: a search of the hedge's design (:mod:`simulator.optimize`)."""

from __future__ import annotations

import argparse
import sys

from simulator.cli.options import (
    EXIT_INTERRUPTED,
    EXIT_OK,
    close_cluster,
    command,
    positive_int,
    seed,
)


def add(sub) -> None:
    opt = command(
        sub, "optimize", execute,
        help="search the hedge's design (Optuna) for the most protection per "
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
    opt.add_argument("--trials", type=positive_int, default=None,
                     help="trials (default: the file's optimize.trials)")
    opt.add_argument("--paths", type=positive_int, default=None,
                     help="paths per scenario and trial (default: the file's simulation.paths)")
    opt.add_argument("--days", type=positive_int, default=None,
                     help="trading days (default: the file's simulation.days)")
    opt.add_argument("--seed", type=seed, default=None,
                     help="seed of the paths and the sampler (default: simulation.seed)")
    opt.add_argument("--resume", action="store_true",
                     help="continue an interrupted search from DIR/optimize.db")
    opt.add_argument("--overwrite", action="store_true",
                     help="discard an earlier search in DIR")
    where = opt.add_mutually_exclusive_group()
    where.add_argument("--workers", type=positive_int, default=None, metavar="N",
                       help="evaluate each batch of trials on a local Dask cluster of N "
                            "processes (needs the dask extra)")
    where.add_argument("--scheduler", default=None, metavar="ADDRESS",
                       help="evaluate on an existing Dask cluster (needs the dask extra)")


def execute(args) -> int:
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
            close_cluster(client, cluster)
            raise
    try:
        result = optimize_plan(plan, out, n_trials=args.trials, n_paths=args.paths,
                               days=args.days, seed=args.seed, resume=args.resume,
                               overwrite=args.overwrite, client=client, n_workers=n_workers,
                               progress=not args.quiet)
    except KeyboardInterrupt:
        print(f"\nalvh: interrupted; the study is kept in {out / 'optimize.db'}.\n"
              f"Continue with the same command and --resume", file=sys.stderr)
        return EXIT_INTERRUPTED
    finally:
        close_cluster(client, cluster)
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
