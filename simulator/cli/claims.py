"""``alvh claims``: the claims C1-C13 put to the model (:mod:`simulator.report.claims.run`)."""

from __future__ import annotations

import argparse
import sys
import time

from simulator.cli.options import (
    EXIT_INTERRUPTED,
    EXIT_OK,
    command,
    positive_int,
    scenario_run_options,
)


def add(sub) -> None:
    cla = command(
        sub, "claims", execute,
        help="put the claims C1-C13 to the model: verdict table (Markdown, CSV)",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Run scenarios/claims.yaml (six scenarios, twenty strategies, the same paths "
                    "for every strategy)\nand write DIR/claims.md and DIR/claims.csv: for each "
                    "claim C1-C13 what was\nsimulated, the figure with its 95 % "
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
    cla.add_argument("--boot", type=positive_int, default=1000,
                     help="bootstrap resamples per CI (default: 1000)")
    scenario_run_options(cla, "20000, the file's simulation.paths", "in --out")


def execute(args) -> int:
    from pathlib import Path

    from simulator.report.claims import format_verdicts
    from simulator.report.claims.run import run_claims
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
        return EXIT_INTERRUPTED
    print(format_verdicts(results))
    print(f"\nwrote {out / 'claims.md'}, {out / 'claims.csv'} and {out / 'claims.nc'} in "
          f"{time.perf_counter() - t0:.0f} s")
    return EXIT_OK
