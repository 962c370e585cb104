"""``alvh simulate``: SPX/VIX paths of a model and their summary."""

from __future__ import annotations

import sys
import time

from simulator.cli.options import EXIT_INVALID_INPUT, EXIT_OK, command, positive_int, seed
from simulator.common.conventions import DEFAULT_MODEL


def add(sub) -> None:
    sim = command(
        sub, "simulate", execute, help="simulate SPX/VIX paths and print a summary",
        description="Simulate SPX, variance and VIX paths and print a summary with the "
                    "stylized facts of the paths next to the market's (Cboe/S&P data).",
    )
    sim.add_argument("--model", default=DEFAULT_MODEL,
                     help=f"preset name or model YAML file (default: {DEFAULT_MODEL})")
    sim.add_argument("--paths", type=positive_int, default=20_000,
                     help="number of paths (default: 20000)")
    sim.add_argument("--days", type=positive_int, default=252,
                     help="trading days to simulate, 252 = 1 year (default: 252)")
    sim.add_argument("--seed", type=seed, default=1, help="random seed (default: 1)")
    sim.add_argument("--measure", choices=("P", "Q"), default="P",
                     help="P: real world (default); Q: risk neutral")
    sim.add_argument("--substeps", type=positive_int, default=1,
                     help="QE sub-steps per trading day (default: 1)")


def execute(args) -> int:
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
