"""Paths on an NVIDIA GPU (numba.cuda), one thread a path: the CPU kernels' own step functions.

Optional and experimental: nothing in the engine uses it yet (docs/performance.md §6 plans the
GPU backend and gives the figures measured with it). Each kernel runs the CPU kernels' own
per-path body (:func:`simulator.model.paths.path_1f`, :func:`simulator.model.paths2f.path_2f`)
compiled as a device function, with every ``@njit`` step it calls (QE step, Philox draws,
jumps, shocks) compiled the same way, so a path is the same path on either backend up to the
last bits of the device's ``exp``/``log``/``sqrt`` (a QE branch that flips on such a bit gives a
different, equally valid draw: ``benchmarks/gpu_paths.py`` counts how often). What differs: the
per-path scratch rows are ``cuda.local`` arrays, and the path index is the thread's grid index.

Without a GPU the kernels run under numba's CUDA simulator (``NUMBA_ENABLE_CUDASIM=1``), which is
how the test suite checks them against the CPU kernels.
"""

from __future__ import annotations

import math

import numpy as np

from simulator.model.paths import PathChunk, PathGenerator

THREADS_PER_BLOCK = 128


def _kernels():
    """The compiled kernels, imported on first use (numba.cuda needs no GPU until then)."""
    from simulator.model import paths_cuda_kernels

    return paths_cuda_kernels.paths_1f, paths_cuda_kernels.paths_2f


def launch(gen: PathGenerator, start: int, n: int, outputs, *, threads: int = THREADS_PER_BLOCK):
    """Fill device (or, under the simulator, host) arrays ``outputs`` = (spx, v, vix[, m]) of
    shape (n, days + 1) with paths ``start ..`` of ``gen``; returns without synchronising."""
    from numba import cuda

    paths_1f, paths_2f = _kernels()
    blocks = (n + threads - 1) // threads
    model = gen.model
    consts = cuda.to_device(np.ascontiguousarray(gen.consts))
    shocks = cuda.to_device(np.ascontiguousarray(gen.shocks))
    k0, k1 = gen.keys
    spx, v, vix = outputs[:3]
    if gen.two_factor:
        paths_2f[blocks, threads](consts, shocks, gen.substeps, math.log(model.spx0), model.v0,
                                  model.m0, *gen.vix_abc, start, gen.stream, k0, k1, spx, v,
                                  outputs[3], vix)
    else:
        paths_1f[blocks, threads](consts, shocks, gen.substeps, math.log(model.spx0), model.v0,
                                  cuda.to_device(gen.vix_a), cuda.to_device(gen.vix_b), start,
                                  gen.stream, k0, k1, spx, v, vix)


def gpu_chunk(gen: PathGenerator, start: int, n: int) -> PathChunk:
    """:meth:`PathGenerator.chunk` computed on the GPU, returned in host memory."""
    from numba import cuda

    if start < 0 or n < 1 or start + n > gen.n_paths:
        raise ValueError(f"paths {start}..{start + n - 1} outside 0..{gen.n_paths - 1}")
    shape = (n, gen.n_days + 1)
    outputs = [cuda.device_array(shape) for _ in range(4 if gen.two_factor else 3)]
    launch(gen, start, n, outputs)
    cuda.synchronize()
    spx, v, vix = (a.copy_to_host() for a in outputs[:3])
    m = outputs[3].copy_to_host() if gen.two_factor else None
    spx[:, 0] = gen.model.spx0  # exactly, as the CPU generator does
    return PathChunk(start, spx, v, vix, m)
