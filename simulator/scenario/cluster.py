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
import threading
import time
import uuid

_log = logging.getLogger(__name__)

INSTALL_HINT = "install Dask for cluster runs: pip install 'alvh-simulator[dask]'"
PRE_SPAWN = "distributed.nanny.pre-spawn-environ"  # Dask's variables set before a worker spawns
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


# seconds for connect, handshake and the worker check together: one deadline, so that an
# address that is not a Dask scheduler (a dashboard's HTTP port, a silent port) cannot hang
# the run (issue 34, item 12)
SCHEDULER_DEADLINE = 10.0


def _within(seconds: float, call, what: str):
    """``call()`` in a helper thread, waited for at most ``seconds`` (a Dask call can block on
    a peer that never answers); its result, or its exception re-raised here."""
    box: dict = {}

    def target():
        try:
            box["value"] = call()
        except BaseException as err:  # handed to the caller
            box["error"] = err

    thread = threading.Thread(target=target, daemon=True, name="alvh-dask-check")
    thread.start()
    thread.join(max(seconds, 0.0))
    if thread.is_alive():
        raise ValueError(f"{what}: no answer within {max(seconds, 0.0):.0f} s")
    if "error" in box:
        raise box["error"]
    return box.get("value")


def check_workers(client, timeout: float = 60.0) -> int:
    """The number of workers (their answers awaited at most ``timeout`` seconds); every one
    must run this package's version."""
    from simulator._version import __version__

    address = client.scheduler.address
    versions = _within(timeout, lambda: client.run(_worker_version),
                       f"the cluster at {address}: the worker check")
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


def run_on_cluster(plan, units, save, done, progress, *, client) -> None:
    """Compute ``units`` on ``client``'s cluster; each is saved (``save``) and reported
    (``done``) as it arrives."""
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
            save(si, ci, record, equity)
            done(si, ci)
            future.release()
    finally:
        if futures:  # interrupted: nothing left running for this client
            client.cancel(list(futures))


def connect(*, scheduler: str | None = None, workers: int | None = None):
    """A Dask client: to the scheduler at ``scheduler``, or to a new local cluster of
    ``workers`` processes (each with an equal share of the cores for numba's threads).
    Returns (client, cluster or None); close both when done.

    A local cluster's workers start without Dask's default ``MALLOC_TRIM_THRESHOLD_=65536``.
    Setting that variable turns off glibc's adaptive mmap threshold, so every large array
    the engine allocates becomes fresh pages that the kernel zeroes: the claims run took 4x
    the system time and 1.4x the wall time under it (docs/performance.md §4, "A trim
    threshold inherited from Dask"). The workers then allocate as a local run does."""
    try:
        from distributed import Client, LocalCluster
    except ImportError:
        raise ValueError(f"--workers and --scheduler need Dask: {INSTALL_HINT}") from None
    if scheduler is not None:
        return _connect_scheduler(str(scheduler)), None
    if not (isinstance(workers, int) and workers >= 1):
        raise ValueError(f"--workers {workers!r}: give a positive number of processes")
    import dask

    from simulator.pricing.tables import cache_dir

    threads = max(1, (os.cpu_count() or 1) // workers)
    leaked = [*dask.config.get(PRE_SPAWN, {}), "PYTHONHASHSEED"]
    saved = {key: os.environ.get(key) for key in leaked}
    try:
        with dask.config.set({f"{PRE_SPAWN}.MALLOC_TRIM_THRESHOLD_": None}):
            cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                                   dashboard_address=":0", silence_logs=logging.ERROR,
                                   env={"NUMBA_NUM_THREADS": str(threads),
                                        "ALVH_CACHE_DIR": str(cache_dir())})
    finally:
        _restore_environ(saved)
    return Client(cluster), cluster


def _restore_environ(saved: dict[str, str | None]) -> None:
    """Put back the variables a Dask nanny set in this process before spawning its worker
    (its ``pre-spawn-environ``, which Dask documents as leaking into the nanny's process, here
    the client's): they would reach every later subprocess, ``MALLOC_TRIM_THRESHOLD_``
    included (docs/performance.md §4, "A trim threshold inherited from Dask")."""
    for key, value in saved.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value


def _address_problem(address: str) -> str | None:
    """Why ``address`` cannot name a scheduler this client can reach, before any connection."""
    scheme = address.split("://", 1)[0].lower() if "://" in address else "tcp"
    if scheme == "inproc":
        return ("an inproc:// address lives inside one Python process; give the tcp:// "
                "address of a running scheduler, e.g. tcp://host:8786")
    if scheme not in ("tcp", "tls", "ws", "wss", "ucx"):
        return f"unknown address scheme {scheme!r}; give e.g. tcp://host:8786"
    if scheme == "ucx":
        try:
            from distributed.comm.registry import get_backend

            get_backend("ucx").get_connector()
        except Exception:  # the backend is a stub without its UCX package
            return ("ucx:// needs Dask's UCX comm backend (distributed-ucxx), not installed "
                    "here; give the scheduler's tcp:// address")
    return None


async def _identity(address: str, seconds: float):
    """Connect, handshake and ask the peer who it is (Dask's ``identity`` operation)."""
    from distributed.comm import connect

    comm = await connect(address, timeout=seconds)
    try:
        await comm.write({"op": "identity", "reply": True})
        return await comm.read()
    finally:
        comm.abort()


def _connect_scheduler(address: str):
    """A client of the scheduler at ``address``: the address checked, then a probe (connect,
    handshake, identity) and the client's own connection and the wait for a worker, all
    within one :data:`SCHEDULER_DEADLINE`. Anything else is a ``ValueError`` naming the
    address: a port that answers in another protocol (HTTP: its reply read as a Dask frame
    header once asked for 3 EiB), one that never answers, no scheduler, no workers."""
    import asyncio

    from distributed import Client

    head = f"--scheduler {address}"
    problem = _address_problem(address)
    if problem:
        raise ValueError(f"{head}: {problem}")
    deadline = time.monotonic() + SCHEDULER_DEADLINE
    try:
        info = asyncio.run(asyncio.wait_for(_identity(address, SCHEDULER_DEADLINE),
                                            SCHEDULER_DEADLINE))
    except TimeoutError:  # asyncio's too
        raise ValueError(f"{head}: cannot reach the Dask scheduler (no Dask handshake within "
                         f"{SCHEDULER_DEADLINE:g} s: not a Dask scheduler's port?)") from None
    except MemoryError:
        raise ValueError(f"{head}: not a Dask scheduler (its reply is not Dask's protocol; "
                         "a dashboard's HTTP port?)") from None
    except OSError as err:
        raise ValueError(f"{head}: cannot reach the Dask scheduler ({err})") from None
    except Exception as err:  # a protocol error of any kind
        raise ValueError(f"{head}: not a Dask scheduler ({type(err).__name__}: "
                         f"{str(err)[:200]})") from None
    kind = info.get("type") if isinstance(info, dict) else None
    if kind != "Scheduler":
        raise ValueError(f"{head}: answers in Dask's protocol but is not a scheduler "
                         f"({kind or 'no identity'}); give the scheduler's address")
    left = deadline - time.monotonic()
    try:
        client = _within(left, lambda: Client(address, timeout=f"{max(left, 0.1):.1f}s"),
                         f"{head}: the connection")
    except (OSError, TimeoutError) as err:
        raise ValueError(f"{head}: cannot reach the Dask scheduler ({err})") from None
    try:
        client.wait_for_workers(1, timeout=max(deadline - time.monotonic(), 0.1))
    except (TimeoutError, OSError):
        client.close()
        raise ValueError(f"the cluster at {address} has no workers (none joined within "
                         f"{SCHEDULER_DEADLINE:g} s)") from None
    try:  # the workers' versions, still within the deadline
        check_workers(client, timeout=deadline - time.monotonic())
    except ValueError:
        client.close()
        raise
    return client


__all__ = ["INSTALL_HINT", "check_workers", "connect", "plan_digest", "prepare_tables",
           "run_on_cluster"]
