"""Running a plan's (scenario, chunk) units as tasks on a Dask distributed cluster.

The client submits every unit that has no checkpoint yet; each worker process builds the
scenario's path generator and strategy engine once per plan (its pricing tables come from the
table cache, which the client fills first) and computes units; the client checkpoints each
finished unit as it arrives, so ``--resume`` works exactly as for a local run and a client
that dies loses no finished unit. A path depends only on (seed, scenario stream, path), never
on the chunk, the worker or the number of threads, so the cube is identical to a local run's.

A worker that dies mid-task has its task run again elsewhere (the scheduler's rule); a unit
that fails three times stops the run with the worker's error.

Dask is an optional dependency (``pip install 'alvh-simulator[dask]'``); nothing here is
imported by a local run.
"""

from __future__ import annotations

import hashlib
import logging
import os
import uuid

_log = logging.getLogger(__name__)

INSTALL_HINT = "install Dask for cluster runs: pip install 'alvh-simulator[dask]'"
_STATE: dict[str, list] = {}  # on a worker: plan digest -> its scenario workers


def plan_digest(plan) -> str:
    """What identifies a plan's work: its file, path count, seed and package version."""
    from simulator._version import __version__

    text = f"{__version__}\n{plan.n_paths}\n{plan.seed}\n{plan.source}\n{plan.text}"
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _unit_task(plan, digest: str, si: int, start: int, n: int):
    """Runs on a worker: one unit, with the plan's generators and engines kept per process."""
    from simulator.scenario.units import compute_unit, scenario_workers

    workers = _STATE.get(digest)
    if workers is None:
        _STATE.clear()  # one plan at a time per worker process: bounded memory
        workers = _STATE[digest] = scenario_workers(plan)
    return compute_unit(plan, workers, si, start, n)


def _worker_version() -> str:
    from simulator._version import __version__

    return __version__


def check_workers(client) -> int:
    """The number of workers; every one must run this package's version."""
    from simulator._version import __version__

    versions = client.run(_worker_version)
    if not versions:
        raise ValueError(f"the cluster at {client.scheduler.address} has no workers")
    wrong = {w: v for w, v in versions.items() if v != __version__}
    if wrong:
        raise ValueError(f"workers run another alvh-simulator version than this client "
                         f"({__version__}): {wrong}; install the same version everywhere")
    return len(versions)


def prepare_tables(plan) -> None:
    """Build (once, here) the pricing tables a run needs, so that workers sharing the table
    cache load them instead of each building them."""
    from simulator.pricing.pricer import tables_for_model

    seen = set()
    for sc in plan.scenarios:
        if sc.model.Q not in seen:
            seen.add(sc.model.Q)
            tables_for_model(sc.model)


def run_on_cluster(plan, units, finish, progress, *, client) -> None:
    """Compute ``units`` on ``client``'s cluster, ``finish``-ing each as it arrives."""
    from distributed import as_completed

    if not units:
        return
    prepare_tables(plan)
    digest = plan_digest(plan)
    token = uuid.uuid4().hex[:8]  # a fresh key per run: never an earlier run's result
    plan_future = client.scatter(plan, broadcast=True, hash=False)
    futures = {}
    for si, ci, start, n in units:
        future = client.submit(_unit_task, plan_future, digest, si, start, n,
                               key=f"alvh-{digest[:8]}-{token}-s{si:03d}-c{ci:06d}",
                               retries=2)
        futures[future] = (si, ci)
    pending = len(futures)
    progress.in_flight(pending)
    try:
        for future in as_completed(futures):
            si, ci = futures.pop(future)
            record, equity = future.result()
            pending -= 1
            progress.in_flight(pending)
            finish(si, ci, record, equity)
            future.release()
    finally:
        if futures:  # interrupted: nothing left running for this client
            client.cancel(list(futures))


def connect(*, scheduler: str | None = None, workers: int | None = None):
    """A Dask client: to the scheduler at ``scheduler``, or to a new local cluster of
    ``workers`` processes (each with an equal share of the cores for numba's threads).
    Returns (client, cluster or None); close both when done."""
    try:
        from distributed import Client, LocalCluster
    except ImportError:
        raise ValueError(f"--workers and --scheduler need Dask: {INSTALL_HINT}") from None
    if scheduler is not None:
        try:
            client = Client(scheduler, timeout="10s")
        except (OSError, TimeoutError) as err:
            raise ValueError(f"--scheduler {scheduler}: cannot reach the Dask scheduler "
                             f"({err})") from None
        return client, None
    if not (isinstance(workers, int) and workers >= 1):
        raise ValueError(f"--workers {workers!r}: give a positive number of processes")
    from simulator.pricing.tables import cache_dir

    threads = max(1, (os.cpu_count() or 1) // workers)
    cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                           dashboard_address=":0", silence_logs=logging.ERROR,
                           env={"NUMBA_NUM_THREADS": str(threads),
                                "ALVH_CACHE_DIR": str(cache_dir())})
    return Client(cluster), cluster


__all__ = ["INSTALL_HINT", "check_workers", "connect", "plan_digest", "prepare_tables",
           "run_on_cluster"]
