"""``alvh calibrate``: a model fitted to the shipped SPX/VIX history."""

from __future__ import annotations

import argparse
import sys

from simulator.cli.options import EXIT_OK, command, positive_int, seed


def add(sub) -> None:
    cal = command(
        sub, "calibrate", execute,
        help="fit a model to the shipped SPX/VIX history (Q to the VIX "
             "curves, P to the moments)",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Fit Q to every day's VIX curve in the window (spot VIX, VIX3M, VIX6M and "
                    "the listed VX\ncontracts by their real expiry; each day at its own state, "
                    "the parameters common\nto all days), then P by simulated method of moments "
                    "(VIX level, tails and\npersistence, realised vol, the variance premium, "
                    "contango). Method: docs/calibration.md.",
        epilog="example: alvh calibrate --family svcj2 --start 2017-01-01 --end 2017-12-31 "
               "--out calm.yaml --report calm_report")
    cal.add_argument("--family", choices=("svcj", "svcj2"), default="svcj2",
                     help="svcj: one factor; svcj2: two factors (default)")
    cal.add_argument("--start", default="1990-01-02", help="first date, YYYY-MM-DD "
                     "(default 1990-01-02; the curve fit starts where VX data does, 2007)")
    cal.add_argument("--end", default="2025-12-31", help="last date, YYYY-MM-DD")
    cal.add_argument("--base", default=None, metavar="PRESET",
                     help="start values (default: the family's hand fit, svcj_default or "
                          "svcj_2f_default)")
    cal.add_argument("--equity-premium", default="fixed", metavar="fixed|window|X",
                     help="keep the start model's (fixed, default), the window's excess "
                          "return (window), or a number")
    cal.add_argument("--regime", action="store_true",
                     help="a regime of --base: keep its Q and shared diffusion, fit P's own "
                          "drift and jumps to the window (e.g. a calm or a stressed year)")
    cal.add_argument("--conditional", action="store_true",
                     help="with --regime: also fit the window's facts given the VIX level "
                          "(realised vol and VIX minus it by VIX bucket, the 40-day future's "
                          "slope; docs/calibration.md §9)")
    cal.add_argument("--paths", type=positive_int, default=64,
                     help="simulated paths per trial of the P fit (default 64)")
    cal.add_argument("--years", type=positive_int, default=6,
                     help="years per path, the first dropped as burn-in (default 6)")
    cal.add_argument("--seed", type=seed, default=20_261_202,
                     help="seed of the common random numbers (default 20261202)")
    cal.add_argument("--name", default=None, help="preset name (default: from --out)")
    cal.add_argument("--out", default=None, metavar="PRESET.yaml",
                     help="write the calibrated preset here (load it with --model FILE)")
    cal.add_argument("--report", default=None, metavar="DIR",
                     help="write calibration.md and figures into DIR")
    cal.add_argument("--overwrite", action="store_true",
                     help="replace an existing --out file (without it, refused)")


def _check_preset_out(out, overwrite: bool) -> None:
    """``--out`` of ``alvh calibrate``: a .yaml file in an existing, writable folder, not an
    existing file unless ``overwrite``; checked by creating (and removing) a file there."""
    import os
    import tempfile

    from simulator.scenario.runner import check_output

    if out.suffix != ".yaml":
        raise ValueError(f"--out {out}: give a file name ending in .yaml (a model preset)")
    if not out.parent.is_dir():
        raise FileNotFoundError(f"--out {out}: folder {out.parent} does not exist")
    if out.is_dir():
        raise ValueError(f"--out {out}: is a folder; give a file name ending in .yaml")
    check_output(out, overwrite)
    try:
        fd, probe = tempfile.mkstemp(dir=out.parent, prefix=f".{out.name}.", suffix=".tmp")
    except OSError as err:
        raise ValueError(f"--out {out}: cannot write in {out.parent} "
                         f"({err.strerror or err})") from None
    os.close(fd)
    os.unlink(probe)


def execute(args) -> int:
    from pathlib import Path

    import yaml
    from tqdm import tqdm

    from simulator.calibration import SimulationDesign, calibrate
    from simulator.model.presets import load_model

    if args.years < 2:
        raise ValueError(f"--years {args.years}: give 2 or more (the first is burn-in)")
    premium = args.equity_premium
    if premium not in ("fixed", "window"):
        try:
            premium = float(premium)
        except ValueError:
            raise ValueError(f"--equity-premium {premium!r}: give fixed, window or a number "
                             "in [-0.5, 0.5]") from None
        if not -0.5 <= premium <= 0.5:
            raise ValueError(f"--equity-premium {premium!r}: outside [-0.5, 0.5]")
    out = Path(args.out) if args.out else None
    if out is not None:  # before a fit of minutes, not after it (issue 34, item 13)
        _check_preset_out(out, args.overwrite)
    base = load_model(args.base) if args.base else None
    bars: dict = {}

    def progress(stage, n, objective):
        if args.quiet:
            return
        bar = bars.get(stage)
        if bar is None:
            for other in bars.values():
                other.close()
            bar = bars[stage] = tqdm(desc=f"{stage} fit", unit="trial", file=sys.stderr,
                                     leave=False, mininterval=0.5 if sys.stderr.isatty()
                                     else 30.0)
        bar.update(1)
        bar.set_postfix_str(f"objective {objective:.4g}", refresh=False)

    cal = calibrate(args.family, args.start, args.end, base=base, equity_premium=premium,
                    design=SimulationDesign(n_paths=args.paths, years=args.years,
                                            seed=args.seed), regime=args.regime,
                    conditional=args.conditional, progress=progress)
    for bar in bars.values():
        bar.close()
    q_rmse, s_rmse = cal.q_fit.rmse_by(), cal.start_q_fit.rmse_by()
    print(f"{args.family} calibrated to {args.start} .. {args.end} in {cal.seconds:.0f} s")
    print(f"Q: {cal.q_fit.obs.n_obs:,} curve points on {cal.q_fit.obs.dates.size:,} days "
          f"({cal.q_fit.obs.dates[0]} .. {cal.q_fit.obs.dates[-1]})")
    print("  RMSE, points   " + "  ".join(f"{k:>6}" for k in q_rmse))
    print("  calibrated     " + "  ".join(f"{v:6.3f}" for v in q_rmse.values()))
    print(f"  {cal.start_model.name[:14]:<15}" + "  ".join(f"{s_rmse.get(k, float('nan')):6.3f}"
                                                        for k in q_rmse))
    print(f"P: objective {cal.p_fit.objective:.2f} on {cal.p_fit.design.kept_years} "
          "path-years")
    print(f"  {'target':<30}{'market':>9}{'model':>9}{'diff/scale':>11}")
    for r in cal.target_table():
        note = "" if r["in_objective"] else "  (not in the objective)"
        print(f"  {r['target']:<30}{r['market']:>9.3f}{r['model']:>9.3f}"
              f"{r['difference'] / r['scale']:>11.2f}{note}")
    name = args.name or (out.stem if out else f"{args.family}_calibrated")
    doc = cal.preset(name)
    print(yaml.safe_dump({"model": doc["model"]}, sort_keys=False, width=100), end="")
    if out is not None:
        cal.write_preset(out, name)
        print(f"preset written to {out}")
    if args.report:
        from simulator.report.calibration import write_report

        written = write_report(cal, args.report)
        print(f"report written to {written[0]}")
    return EXIT_OK
