"""How the kernels' OpenMP threads wait: asleep, unless the user chose otherwise.

numba's parallel kernels run on OpenMP (libgomp) where it is installed. By default a libgomp
thread that finishes its share of a parallel loop spins for a while before it sleeps. The runner
makes a chunk's records (metrics, float32 books, checkpoint) in a second Python thread while the
engine's kernels compute the next chunk (:func:`simulator.scenario.runner._run_here`). On a
machine with as many cores as kernel threads, the spinning threads take the cores that thread
needs. ``OMP_WAIT_POLICY=PASSIVE`` makes them sleep at once: ``alvh claims --paths 20000`` took
0.955x the time and some 7 CPU-seconds less (docs/performance.md §4, "Threads that sleep").
"""

from __future__ import annotations

import os


def prefer_passive_waits() -> None:
    """Set ``OMP_WAIT_POLICY=PASSIVE`` unless the environment already names a policy. libgomp
    reads it when it loads, at the first parallel kernel's launch, so this must run before
    that (``import simulator`` calls it); a user's own setting (``ACTIVE`` to spin) is kept."""
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
