"""``alvh curve``: the models' VIX term structure against the market's."""

from __future__ import annotations

import sys

from simulator.cli.options import EXIT_OK, command
from simulator.common.conventions import DEFAULT_MODEL


def add(sub) -> None:
    curve = command(
        sub, "curve", execute,
        help="the models' VIX term structure against the market (VX futures, VIX3M)",
        description="Each model in the state that each real day's VIX (and VIX3M) implies, "
                    "against the VX futures that traded that day; then the facts of its own "
                    "P paths (lowest VIX, calm days, spread moves) next to the market's.")
    curve.add_argument("--model", action="append", default=None, metavar="NAME",
                       help="preset or model file; repeat to compare (default: svcj_default, "
                            f"svcj_2f_default and {DEFAULT_MODEL})")
    curve.add_argument("--paths", type=int, default=400,
                       help="P paths for the path facts, 0 to skip them (default: 400)")


def execute(args) -> int:
    from simulator.model.presets import load_model
    from simulator.pricing.term_structure import format_comparison

    names = args.model or ["svcj_default", "svcj_2f_default", DEFAULT_MODEL]
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
