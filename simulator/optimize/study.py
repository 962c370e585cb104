"""The search: an Optuna study over the hedge's space, trials evaluated in batches on common
random numbers, pruned by successive halving on path counts, stored in SQLite (resumable).

**Common random numbers.** Every trial of a study is evaluated on the same paths: the engine
draws path ``i`` of a scenario from (seed, scenario, ``i``) alone (docs/design.md §5), so a
batch of trials is one run of the scenario file with the batch's designs as its strategies,
``unhedged`` beside them. Differences between trials are differences of design, not of luck.

**Batches and parallelism.** The sampler proposes ``batch`` trials at once (Optuna's
ask-and-tell; TPE's "constant liar" keeps them apart); the batch is one run, split into
(scenario, chunk) units that run one after another here or as tasks of a Dask cluster
(``--workers``, ``--scheduler``: the cluster of ``alvh run``). The sampler sees the same
results in the same order whatever runs them, so a seed reproduces the study.

**Successive halving** (Jamieson and Talwalkar 2016, AISTATS; Optuna's
``SuccessiveHalvingPruner``): with one objective each batch is first run on the first
``prune_paths`` share of the paths (the same paths: a prefix of the full set) and the
objective reported at that path count; a trial in the worse half of the trials at that rung
is pruned, the rest run on all paths. Optuna does not prune multi-objective studies.

**Resuming.** The study is an SQLite file beside the cube (``optimize.db``); a rerun with
``--resume`` loads it (``load_if_exists``) and runs the trials still missing; trials that
were running when the process died are marked failed and not counted.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

_log = logging.getLogger(__name__)

STUDY_NAME = "alvh_optimize"
MIN_RUNG_PATHS = 64  # below this a rung's estimate is noise: no pruning
DONE_STATES = ("COMPLETE", "PRUNED")


def objective_values(metrics: dict, objectives) -> list[float]:
    return [float(metrics[key][0]) for key, _ in objectives]


def constraint_values(metrics: dict, constraints) -> list[float]:
    """Optuna's convention: one number per constraint, feasible when <= 0."""
    from simulator.optimize.metrics import violation

    return [violation(float(metrics[key][0]), conds) for key, conds in constraints]


def _constraints_of(trial) -> Sequence[float]:
    return trial.user_attrs.get("constraints", [math.inf])


def _trial_constraints() -> bool:
    """Optuna >= 5 takes constraints per trial (``Trial.set_constraint``); older versions
    through the sampler's ``constraints_func``."""
    import optuna

    return hasattr(optuna.trial.Trial, "set_constraint")


def make_sampler(kind: str, seed: int, constrained: bool, n_trials: int, batch: int):
    import optuna

    constraints_func = _constraints_of if constrained and not _trial_constraints() else None
    if kind == "nsga2":
        return optuna.samplers.NSGAIISampler(seed=seed, constraints_func=constraints_func,
                                             population_size=max(4, min(50, batch * 2)))
    # a quarter of the trials (at least 4, at most 20) drawn at random before the model
    startup = max(4, min(20, n_trials // 4))
    return optuna.samplers.TPESampler(seed=seed, multivariate=True, group=False,
                                      n_startup_trials=startup, constant_liar=True,
                                      constraints_func=constraints_func)


def open_study(storage: str | None, directions: list[str], sampler, pruner, fingerprint: str,
               *, resume: bool = False):
    """The study in ``storage`` (an SQLite URL; None: in memory). An existing study is
    continued only with ``resume`` and only when it is the same search (``fingerprint``)."""
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    if storage is not None and not resume:
        try:
            optuna.delete_study(study_name=STUDY_NAME, storage=storage)
        except KeyError:
            pass
    study = optuna.create_study(storage=storage, study_name=STUDY_NAME, sampler=sampler,
                                pruner=pruner, directions=directions, load_if_exists=True)
    old = study.user_attrs.get("fingerprint")
    if old is not None and old != fingerprint:
        raise ValueError(f"{storage}: the stored study is another search (the scenario file, "
                         "--trials, --paths or --seed changed); run without --resume to start "
                         "over")
    study.set_user_attr("fingerprint", fingerprint)
    return study


def fingerprint(payload) -> str:
    return hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()
                          ).hexdigest()[:24]


@dataclass
class SearchSettings:
    """What :func:`run_search` needs besides the study: ``objectives`` and ``constraints`` as
    (metric key, direction or conditions); ``rungs``: path counts, the last the full one."""

    objectives: list
    constraints: list
    n_trials: int
    batch: int
    rungs: tuple[int, ...]


def _done(study) -> int:
    return sum(t.state.name in DONE_STATES or bool(t.user_attrs.get("invalid"))
               for t in study.get_trials(deepcopy=False))


def _fail_stale(study) -> int:
    """Trials left running by an interrupted process: failed, so they are not counted."""
    import optuna

    stale = study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.RUNNING,
                                                     optuna.trial.TrialState.WAITING))
    for t in stale:
        study.tell(t.number, state=optuna.trial.TrialState.FAIL)
    return len(stale)


def run_search(study, dims, evaluate: Callable, settings: SearchSettings, *,
               make_design: Callable | None = None, progress: Callable | None = None) -> None:
    """Ask, evaluate and tell until ``settings.n_trials`` trials are complete or pruned.

    ``evaluate(designs, n_paths)`` gets a list of designs (``make_design(params)``, or the
    params themselves) and returns, per design, {metric key: (estimate, CI low, CI high)}.
    A design the strategy record refuses (fields valid alone, not together) is a failed trial,
    counted, with the reason in its ``invalid`` attribute."""
    import optuna

    TrialState = optuna.trial.TrialState
    stale = _fail_stale(study)
    if stale:
        _log.info("resuming: %d trial(s) interrupted mid-evaluation will be drawn again", stale)
    single = len(settings.objectives) == 1
    while (done := _done(study)) < settings.n_trials:
        k = min(settings.batch, settings.n_trials - done)
        trials, designs = [], []
        for _ in range(k):
            trial = study.ask()
            params = {}
            for dim in dims:
                params |= dim.suggest(trial)
            try:
                designs.append(make_design(params) if make_design else params)
            except ValueError as err:  # pydantic's ValidationError is a ValueError
                trial.set_user_attr("invalid", " ".join(str(err).split())[:500])
                study.tell(trial, state=TrialState.FAIL)
                continue
            trials.append(trial)
        alive = list(range(len(trials)))
        if single and len(settings.rungs) > 1 and trials:
            first = evaluate(designs, settings.rungs[0])
            kept = []
            for i in alive:
                value = objective_values(first[i], settings.objectives)[0]
                trials[i].report(value, settings.rungs[0])
                trials[i].set_user_attr("rung_paths", settings.rungs[0])
                if math.isfinite(value) and trials[i].should_prune():
                    _store(trials[i], first[i], settings)
                    study.tell(trials[i], state=TrialState.PRUNED)
                else:
                    kept.append(i)
            alive = kept
        if alive:
            full = evaluate([designs[i] for i in alive], settings.rungs[-1])
            for i, metrics in zip(alive, full, strict=True):
                _store(trials[i], metrics, settings)
                values = objective_values(metrics, settings.objectives)
                if all(math.isfinite(v) for v in values):
                    study.tell(trials[i], values)
                else:  # e.g. a drawdown cut where no unhedged path drew down: counted, so
                    # that a space of such designs cannot keep the search going for ever
                    trials[i].set_user_attr("invalid", f"objective not finite: {values}")
                    study.tell(trials[i], state=TrialState.FAIL)
        if progress is not None:
            progress(_done(study), settings.n_trials)


def _store(trial, metrics: dict, settings: SearchSettings) -> None:
    trial.set_user_attr("metrics", {k: [float(x) for x in v] for k, v in metrics.items()})
    values = constraint_values(metrics, settings.constraints)
    trial.set_user_attr("constraints", values)
    if values and _trial_constraints():
        for (key, _), v in zip(settings.constraints, values, strict=True):
            trial.set_constraint(key, v if math.isfinite(v) else 1e300)


def make_pruner(single: bool, rungs: Sequence[int]):
    import optuna

    if single and len(rungs) > 1:
        # keep the better half at the first rung (reduction factor 2): at a quarter of the
        # paths the objective's noise is twice the full run's, so a harsher cut drops good
        # designs on luck
        return optuna.pruners.SuccessiveHalvingPruner(min_resource=rungs[0],
                                                      reduction_factor=2,
                                                      min_early_stopping_rate=0)
    return optuna.pruners.NopPruner()


def rungs_for(n_paths: int, share: float, pruning: bool, single: bool) -> tuple[int, ...]:
    first = round(n_paths * share)
    if not (pruning and single) or first < MIN_RUNG_PATHS or first >= n_paths:
        return (n_paths,)
    return (first, n_paths)


def complete_trials(study):
    import optuna

    return study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.COMPLETE,))


def feasible(trial) -> bool:
    return all(c <= 0 for c in trial.user_attrs.get("constraints", []))
