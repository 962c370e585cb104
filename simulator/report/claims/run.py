"""``alvh claims`` as a library call: run the claims scenario file, evaluate C1-C13, write the
tables. The command line only parses its options and prints what this returns."""

from __future__ import annotations

from pathlib import Path

from simulator._version import __version__
from simulator.report.claims import evaluate_claims
from simulator.report.claims.catalogue import CLAIMS_FILE, N_BOOT, check_names
from simulator.report.claims.writers import claims_command, write_claims
from simulator.scenario.loader import load_scenario, load_scenario_with_model
from simulator.scenario.runner import check_output, run_plan

OUTPUTS = ("claims.nc", "claims.md", "claims.csv")


def run_claims(out_dir, *, n_paths: int | None = None, seed: int | None = None,
               resume: bool = False, progress: bool = True, n_boot: int | None = None,
               scenario_file=None, overwrite: bool = False, model: str | None = None,
               max_memory: int | None = None):
    """Run the claims scenario file into ``out_dir/claims.nc`` (checkpointed, resumable),
    evaluate C1-C13 and write ``claims.md`` and ``claims.csv`` beside it; the results.

    ``model`` replaces the file's model preset (each scenario keeps its overrides), e.g.
    ``svcj_default`` to put the claims to the one-factor hand fit."""
    source = Path(scenario_file) if scenario_file is not None else CLAIMS_FILE
    plan = (load_scenario(source, n_paths=n_paths, seed=seed) if model is None else
            load_scenario_with_model(source, model, n_paths=n_paths, seed=seed))
    check_names(source, [sc.name for sc in plan.scenarios], list(plan.strategies))
    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise ValueError(f"--out {out}: exists and is not a folder")
    for name in OUTPUTS:  # the finished results of a run
        check_output(out / name, overwrite)
    evaluated = []  # the claims are evaluated while the cube is written (they overlap)
    run_plan(plan, out=out / "claims.nc", resume=resume, progress=progress,
             max_memory=max_memory, overwrite=overwrite,
             meanwhile=lambda cube: evaluated.append(evaluate_claims(cube,
                                                                     n_boot=n_boot or N_BOOT)))
    results = evaluated[0]
    write_claims(results, out, paths=plan.n_paths, seed=plan.seed, version=__version__,
                 command=claims_command(paths=plan.n_paths, seed=plan.seed, out_dir=out,
                                        scenario_file=scenario_file, model=model),
                 model=plan.scenarios[0].model.name or "custom")
    return results
