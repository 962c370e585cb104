"""``alvh facts``: facts given the VIX level, the market's beside the model's."""

from __future__ import annotations

from simulator.cli.options import EXIT_OK, command, positive_int, seed
from simulator.common.conventions import DEFAULT_MODEL


def add(sub) -> None:
    facts = command(
        sub, "facts", execute,
        help="facts given the VIX level, market beside model (conditional fit)",
        description="Realised vol, VIX minus realised vol, VIX-option vol, VIX3M/VIX, VIX9D/VIX "
                    "and SKEW by VIX bucket; big VIX days, the long future's response to VIX "
                    "and the co-movement of the two factors: the shipped market data beside "
                    "the model's stationary P paths, each banded figure marked ok or MISS.")
    facts.add_argument("preset", nargs="?", default=DEFAULT_MODEL,
                       help=f"model preset or file (default: {DEFAULT_MODEL})")
    facts.add_argument("--paths", type=positive_int, default=1000,
                       help="P paths (default: 1000)")
    facts.add_argument("--years", type=positive_int, default=11,
                       help="years per path, the first dropped as burn-in (default: 11)")
    facts.add_argument("--seed", type=seed, default=20261204, help="seed of the P paths")
    facts.add_argument("--figure", metavar="FILE.png", default=None,
                       help="also draw realised vol, VIX minus it and VIX-option vol by bucket")


def execute(args) -> int:
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
