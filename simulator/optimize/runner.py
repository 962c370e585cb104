"""``alvh optimize``: the search, the shipped presets beside it, the out-of-sample check, the
recommendation, and the outputs (:mod:`simulator.optimize.report`).

Out of sample (docs/optimize.md): the ``top_k`` best designs in sample (the feasible Pareto
front with several objectives, else the best feasible by the objective) and the shipped
presets are run again on ``seeds`` fresh seeds (new paths, the same for all of them) and on
every real rolling window of the history file. The **winner's-curse gap** of a design is its
in-sample objective minus its fresh-seed one: the search picks designs whose in-sample paths
happened to favour them, so the in-sample figure of the winner is biased in its favour.
The recommendation is the candidate that is best out of sample: among those meeting the
constraints on the fresh seeds (all, if none does), the best rank over the objectives on the
fresh seeds; a candidate whose 95 % CI on the real windows says it makes the 95th-percentile
drawdown larger (cut < 0) is passed over when another is left.
"""

from __future__ import annotations

import dataclasses
import logging
import math
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from simulator.optimize import metrics as M
from simulator.optimize.evaluate import run_designs
from simulator.optimize.space import design
from simulator.optimize.spec import OptimizeSpec, check, history_file
from simulator.optimize.study import (
    SearchSettings,
    complete_trials,
    feasible,
    fingerprint,
    make_pruner,
    make_sampler,
    open_study,
    run_search,
    rungs_for,
)
from simulator.strategy.config import StrategyConfig
from simulator.strategy.presets import HEDGE_PRESETS

_log = logging.getLogger(__name__)

DB_NAME = "optimize.db"
HISTORY_METRICS = ("drag", "drawdown_cut.median", "drawdown_cut.p95",
                   "trading_max_drawdown.p95")
SEED_STEP = 1_000_003  # fresh seeds: seed + k x this (mod 2**64), far from the search's


@dataclass
class OptimizeResult:
    """Everything the report shows; :func:`simulator.optimize.report.write_outputs` writes it."""

    plan: object
    spec: OptimizeSpec
    study: object
    rungs: tuple
    presets: dict  # label -> {metric: (est, lo, hi)} in sample
    preset_configs: dict  # label -> StrategyConfig
    candidates: list  # trial numbers
    oos: dict = field(default_factory=dict)  # trial number or preset -> {metric: (est,lo,hi)}
    history: dict = field(default_factory=dict)  # trial number or preset -> {metric: ...}
    history_info: str = ""
    recommended: int | None = None
    seconds: float = 0.0  # wall time, every session of the study together
    eval_seconds: float = 0.0  # of which evaluating trials
    path_days: float = 0.0  # path-days x strategies simulated for trials (the cost measure)
    fresh_seeds: tuple = ()


def _with_days(plan, days: int | None):
    if days is None or days == plan.n_days:
        return plan
    last = max((sh.day for sc in plan.scenarios for sh in sc.shocks), default=0)
    if days < last:
        raise ValueError(f"--days {days}: a scenario has a shock on day {last}; give {last} "
                         "or more")
    return dataclasses.replace(plan, simulation=plan.simulation.model_copy(
        update={"days": days}))


def preset_strategies(plan, spec: OptimizeSpec) -> dict[str, StrategyConfig]:
    """The shipped presets to mark, each on the searched strategy's condor, as shipped."""
    condor = plan.strategies[spec.strategy].condor
    return {f"preset_{name}": StrategyConfig(condor=condor, hedge={"preset": name},
                                             costs=plan.strategies[spec.strategy].costs)
            for name in spec.config.presets if name in HEDGE_PRESETS}


def optimize_plan(plan, out_dir, *, n_trials: int | None = None, n_paths: int | None = None,
                  days: int | None = None, seed: int | None = None, resume: bool = False,
                  overwrite: bool = False, client=None, n_workers: int = 1,
                  progress: bool = False) -> OptimizeResult:
    """Run the search of ``plan``'s optimize section into ``out_dir``; see the module doc.

    ``n_trials``, ``n_paths``, ``days`` and ``seed`` override the file's. Writes
    ``optimize.db`` (the study) at once and, at the end, the cube, report, figure and the
    recommended preset (:func:`simulator.optimize.report.write_outputs`)."""
    t_start = time.perf_counter()
    spec = check(plan)
    plan = _with_days(plan, days)
    if n_paths is not None or seed is not None:
        sim = plan.simulation.model_copy(update={k: v for k, v in (("paths", n_paths),
                                                                    ("seed", seed))
                                                 if v is not None})
        plan = dataclasses.replace(plan, simulation=sim)
    cfg = spec.config
    trials = n_trials or cfg.trials
    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise ValueError(f"--out {out}: exists and is not a folder")
    db = out / DB_NAME
    if db.exists() and not (resume or overwrite):
        raise ValueError(f"{db} holds an earlier search: continue it with --resume, or "
                         "discard it with --overwrite")
    out.mkdir(parents=True, exist_ok=True)
    single = not spec.multi
    rungs = rungs_for(plan.n_paths, cfg.prune_paths, cfg.pruning, single)
    objectives = [(m.text, d) for m, d in spec.objectives]
    constraints = [(m.text, c) for m, c in spec.constraints]
    settings = SearchSettings(objectives, constraints, trials, cfg.batch, rungs)
    key = fingerprint({"text": plan.text, "paths": plan.n_paths, "days": plan.n_days,
                       "seed": str(plan.seed), "trials": trials})
    sampler = make_sampler(cfg.sampler, int(plan.seed) % 2**32, bool(constraints), trials,
                           cfg.batch)
    study = open_study(f"sqlite:///{db.resolve()}", [d for _, d in objectives], sampler,
                       make_pruner(single, rungs), key, resume=resume)
    base = spec.base
    clock = {"eval": 0.0, "path_days": 0.0}

    def evaluate(designs, paths):
        t0 = time.perf_counter()
        labels = {f"trial_{i}": d for i, d in enumerate(designs)}
        values, _ = run_designs(plan, labels, spec.metrics, n_paths=paths, client=client,
                                n_workers=n_workers)
        clock["eval"] += time.perf_counter() - t0
        clock["path_days"] += paths * plan.n_days * (len(designs) + 1) * len(spec.scenarios)
        return [values[label] for label in labels]

    bar = _bar(trials, progress)
    run_search(study, spec.dims, evaluate, settings,
               make_design=lambda params: design(base, params, spec.dims),
               progress=None if bar is None else lambda done, total: bar.update(
                   done - bar.n))
    if bar is not None:
        bar.close()
    presets = preset_strategies(plan, spec)
    preset_values = {}
    if presets:
        preset_values, _ = run_designs(plan, presets, spec.metrics, client=client,
                                       n_workers=n_workers)
    result = OptimizeResult(plan, spec, study, rungs, preset_values, presets,
                            top_candidates(study, spec, cfg.validate_.top_k))
    _out_of_sample(result, client, n_workers, progress)
    result.recommended = recommend(result)
    # totals over every session of the study (a resumed search counts its first part too)
    totals = {"seconds": time.perf_counter() - t_start, "eval_seconds": clock["eval"],
              "path_days": clock["path_days"]}
    for k, v in totals.items():
        study.set_user_attr(k, float(study.user_attrs.get(k, 0.0)) + v)
    result.seconds = study.user_attrs["seconds"]
    result.eval_seconds = study.user_attrs["eval_seconds"]
    result.path_days = study.user_attrs["path_days"]
    return result


def _bar(total: int, enabled: bool):
    if not enabled:
        return None
    from tqdm import tqdm

    return tqdm(total=total, unit="trial", desc="search", file=sys.stderr,
                mininterval=0.5 if sys.stderr.isatty() else 30.0)


def _rank_key(values: list[float], directions: list[str]) -> list[float]:
    return [v if d == "minimize" else -v for v, d in zip(values, directions, strict=True)]


def pareto_front(points: np.ndarray) -> np.ndarray:
    """Mask of the non-dominated rows of ``points`` (every column to be minimised)."""
    n = len(points)
    keep = np.ones(n, bool)
    for i in range(n):
        dominated = np.all(points <= points[i], axis=1) & np.any(points < points[i], axis=1)
        keep[i] = not dominated.any()
    return keep


def top_candidates(study, spec: OptimizeSpec, k: int) -> list[int]:
    """The trial numbers checked out of sample: feasible trials first (all, by least
    violation, if none is), then the Pareto front of the objectives ranked by the sum of
    their ranks (one objective: the best values), ``k`` at most."""
    trials = complete_trials(study)
    if not trials:
        return []
    pool = [t for t in trials if feasible(t)]
    if not pool:
        worst = [max(t.user_attrs.get("constraints", [0.0]) or [0.0]) for t in trials]
        order = np.argsort(worst, kind="stable")
        pool = [trials[i] for i in order[:k]]
    directions = spec.directions
    points = np.array([_rank_key(list(t.values), directions) for t in pool])
    ranks = np.argsort(np.argsort(points, axis=0, kind="stable"), axis=0,
                       kind="stable").sum(axis=1)
    front = pareto_front(points)
    order = sorted(range(len(pool)), key=lambda i: (not front[i], ranks[i], pool[i].number))
    return [pool[i].number for i in order[:k]]


def _out_of_sample(result: OptimizeResult, client, n_workers: int, progress: bool) -> None:
    from simulator.scenario.loader import load_scenario

    plan, spec = result.plan, result.spec
    trials = {t.number: t for t in result.study.get_trials(deepcopy=False)}
    designs = {f"trial_{n}": design(spec.base, trials[n].params, spec.dims)
               for n in result.candidates} | result.preset_configs
    if not designs:
        return
    cfg = spec.config.validate_
    seeds = [(int(plan.seed) + SEED_STEP * (j + 1)) % 2**64 for j in range(cfg.seeds)]
    result.fresh_seeds = tuple(seeds)
    per_seed = []
    for s in seeds:
        if progress:
            print(f"alvh: out of sample: {len(designs)} designs on fresh seed {s}",
                  file=sys.stderr)
        values, _ = run_designs(plan, designs, spec.metrics, seed=s, client=client,
                                n_workers=n_workers)
        per_seed.append(values)
    for label in designs:
        key = _key(label)
        if per_seed:
            result.oos[key] = {m.text: pool_seeds([v[label][m.text] for v in per_seed])
                               for m in spec.metrics}
    if cfg.history is None:
        return
    source = history_file(plan, cfg.history)
    hplan = load_scenario(source)
    scenario = hplan.scenarios[0].name
    hplan = dataclasses.replace(hplan, strategies={"unhedged": plan.strategies["unhedged"]},
                                costs=plan.costs)
    metrics = [M.parse_metric(f"{name}@{scenario}") for name in HISTORY_METRICS]
    if progress:
        print(f"alvh: out of sample: {len(designs)} designs on {hplan.describe_paths()}",
              file=sys.stderr)
    values, _cube = run_designs(hplan, designs, metrics, client=client, n_workers=n_workers)
    result.history = {_key(label): values[label] for label in designs}
    result.history_info = f"{source.name}: {hplan.describe_paths()}"


def _key(label: str):
    return int(label.removeprefix("trial_")) if label.startswith("trial_") else label


def pool_seeds(values: list[tuple[float, float, float]]) -> tuple[float, float, float]:
    """The mean of the seeds' estimates, with a 95 % CI from their CIs: each CI's half-width
    / 1.96 taken as its standard error (normal approximation), the seeds independent."""
    est = np.array([v[0] for v in values])
    se = np.array([(v[2] - v[1]) / (2 * 1.96) for v in values])
    mean = float(est.mean())
    half = 1.96 * float(np.sqrt(np.nansum(se**2))) / len(values)
    return mean, mean - half, mean + half


def gap(in_sample: tuple, out_of_sample: tuple, direction: str = "maximize"
        ) -> tuple[float, float, float]:
    """Winner's-curse gap: how much better the design looked in sample than out of sample
    (in minus out when maximised, out minus in when minimised; > 0: flattered), with a 95 %
    CI: the two samples are independent paths, so the standard errors add in quadrature
    (normal approximation from each percentile CI's half-width / 1.96)."""
    se_in = (in_sample[2] - in_sample[1]) / (2 * 1.96)
    se_out = (out_of_sample[2] - out_of_sample[1]) / (2 * 1.96)
    g = in_sample[0] - out_of_sample[0]
    if direction == "minimize":
        g = -g
    half = 1.96 * math.hypot(se_in, se_out)
    return g, g - half, g + half


def recommend(result: OptimizeResult) -> int | None:
    """The candidate that holds up out of sample (module doc); None without candidates."""
    spec = result.spec
    if not result.candidates:
        return None
    trials = {t.number: t for t in result.study.get_trials(deepcopy=False)}

    def metrics_of(n):
        return result.oos.get(n) or trials[n].user_attrs["metrics"]

    pool = [n for n in result.candidates
            if all(M.violation(metrics_of(n)[m.text][0], c) <= 0 for m, c in spec.constraints)]
    pool = pool or list(result.candidates)
    safe = [n for n in pool if not (n in result.history and
                                    result.history[n].get(_history_p95_key(result), (0, 0, 1))[2]
                                    < 0)]
    pool = safe or pool
    points = np.array([_rank_key([metrics_of(n)[m.text][0] for m, _ in spec.objectives],
                                 spec.directions) for n in pool])
    ranks = np.argsort(np.argsort(points, axis=0, kind="stable"), axis=0,
                       kind="stable").sum(axis=1)
    best = min(range(len(pool)), key=lambda i: (ranks[i], points[i][0], pool[i]))
    return pool[best]


def _history_p95_key(result: OptimizeResult) -> str:
    any_row = next(iter(result.history.values()), {})
    return next((k for k in any_row if k.startswith("drawdown_cut.p95@")), "")
