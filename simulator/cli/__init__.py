"""``alvh``: the command line. Thin: parse, call the package, print, set the exit code.

One module per command (:mod:`simulator.cli.run`, :mod:`~simulator.cli.claims`, ...), each
an ``add(sub)`` that declares its options and an ``execute(args)`` that calls the library
layer owning the work and prints what it returns; :mod:`simulator.cli.options` holds what they
share. Heavy modules (numba, xarray) are imported inside ``execute`` so that ``alvh --help`` is
instant (tests/test_layers.py checks it). Exit status: 0 success, 2 invalid input (the message
names the file, field and allowed range), 130 interrupted.
"""

from __future__ import annotations

import argparse
import logging
import sys

from simulator.cli import (
    calibrate,
    claims,
    curve,
    export,
    facts,
    optimize,
    presets,
    replay,
    report,
    run,
    simulate,
    validate,
)
from simulator.cli.options import EXIT_INTERRUPTED, EXIT_INVALID_INPUT, EXIT_OK, log_options

# the order of ``alvh --help``
COMMANDS = (presets, run, report, claims, validate, simulate, replay, calibrate, optimize, export,
            curve, facts)

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
  alvh claims --paths 2000 --out results/claims  the C1-C13 verdict table (claims.md, .csv)
  alvh presets                                   list the shipped models and their sources
  alvh curve                                     models' VIX term structure vs the market
  alvh export results/quickstart.nc              a tidy CSV, one row per scenario/strategy/path
  alvh simulate --model svcj_2f_conditional_vlevel --paths 20000 --days 252 --seed 1
  alvh simulate --model my_model.yaml --measure Q --paths 5000
  alvh optimize scenarios/optimize_hedge.yaml    search the hedge's design (docs/optimize.md)
"""


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
        formatter_class=argparse.RawDescriptionHelpFormatter, parents=[log_options(False)],
    )
    parser.add_argument("-V", "--version", action="store_true",
                        help="print the version and exit")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for module in COMMANDS:
        module.add(sub)
    return parser


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
        return args.func(args)
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
        return EXIT_INTERRUPTED
