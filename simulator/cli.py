"""``alvh``: the command line. Thin: parse, call the package, set the exit code.

Heavy modules (numba, xarray) are imported inside the commands so ``alvh --help`` is instant.
Exit status: 0 success, 2 invalid input (the message names the file, field and allowed range).
"""

from __future__ import annotations

import argparse
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
  alvh presets                                   list the shipped models and their sources
  alvh simulate --model svcj_default --paths 20000 --days 252 --seed 1
  alvh simulate --model my_model.yaml --measure Q --paths 5000
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


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="alvh", description=_DESCRIPTION, epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="store_true", help="print the version and exit")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    sub.add_parser("presets", help="list the shipped model presets with their citations")

    sim = sub.add_parser(
        "simulate", help="simulate SPX/VIX paths and print a summary",
        description="Simulate SPX, variance and VIX paths and print a summary with the "
                    "stylized facts of the paths next to the market's (Cboe/S&P data).",
    )
    sim.add_argument("--model", default="svcj_default",
                     help="preset name or model YAML file (default: svcj_default)")
    sim.add_argument("--paths", type=_positive_int, default=20_000,
                     help="number of paths (default: 20000)")
    sim.add_argument("--days", type=_positive_int, default=252,
                     help="trading days to simulate, 252 = 1 year (default: 252)")
    sim.add_argument("--seed", type=_seed, default=1, help="random seed (default: 1)")
    sim.add_argument("--measure", choices=("P", "Q"), default="P",
                     help="P: real world (default); Q: risk neutral")
    sim.add_argument("--substeps", type=_positive_int, default=1,
                     help="QE sub-steps per trading day (default: 1)")
    return parser


def _cmd_presets() -> int:
    from simulator.model.presets import load_model, preset_names

    for name in preset_names():
        model = load_model(name)
        cite = " ".join((model.citation or "").split())
        print(f"{name}\n    VIX0 {model.vix_index(model.v0):.1f}, "
              f"VIX floor {model.vix_floor:.1f}\n    {cite[:300]}")
    return EXIT_OK


def _cmd_simulate(args) -> int:
    import numpy as np

    from simulator.model.paths import simulate_paths
    from simulator.model.presets import load_model
    from simulator.model.stylized_facts import market_facts, simulated_facts

    model = load_model(args.model)
    t0 = time.perf_counter()
    paths = simulate_paths(model, args.paths, args.days, args.seed, measure=args.measure,
                           substeps=args.substeps)
    elapsed = time.perf_counter() - t0
    steps = args.paths * args.days * args.substeps
    spx_end = paths.spx.values[:, -1]
    years = args.days / 252
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


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.version:
        from simulator import __version__

        print(__version__)
        return EXIT_OK
    if args.command is None:
        parser.print_help()
        return EXIT_OK
    try:
        if args.command == "presets":
            return _cmd_presets()
        if args.command == "simulate":
            return _cmd_simulate(args)
    except (ValueError, FileNotFoundError) as err:  # ParameterError is a ValueError
        print(f"alvh: error: {err}", file=sys.stderr)
        return EXIT_INVALID_INPUT
    except KeyboardInterrupt:
        print("alvh: interrupted", file=sys.stderr)
        return 130
    parser.error(f"unknown command {args.command!r}")  # pragma: no cover
    return EXIT_INVALID_INPUT  # pragma: no cover


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
