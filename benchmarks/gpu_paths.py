"""Path generation on a GPU against the CPU kernels, in one run on one machine.

    python -m benchmarks.gpu_paths [--paths N] [--big-paths N] [--out FILE]

Needs an NVIDIA GPU with numba.cuda (docs/performance.md §6 has the figures of the run that is
committed in ``benchmarks/results/gpu_paths.json``). Two checks per model family:

* **Same paths**: ``--paths`` paths of 252 days from the CPU kernel (numba, every core) and from
  the GPU kernel; the largest relative difference of SPX, v, VIX (and m), and the share of paths
  whose SPX differs anywhere by more than 1e-9 (a QE branch or a Poisson count that flips on the
  last bit of a device ``log``).
* **Speed**: the GPU kernel alone (CUDA events, compiled and warm, outputs left on the device)
  for ``--big-paths`` paths, the CPU kernel for the same paths on every core of the machine, and
  the bytes the kernel writes per second against the card's copy bandwidth (the roof of a
  kernel that only writes its outputs).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
from datetime import UTC, datetime
from pathlib import Path

import numba
import numpy as np

if not hasattr(np, "row_stack"):  # older numba-cuda registers it; numpy 2.4 removed it
    setattr(np, "row_stack", np.vstack)  # noqa: B010

import simulator as sim
from simulator.model.paths import PathGenerator
from simulator.model.paths_gpu import gpu_chunk, launch
from simulator.model.stress import Shock

DAYS = 252
FAMILIES = {"one_factor": "svcj_default", "two_factor": "svcj_2f_calibrated"}


def _same_paths(model, n_paths: int, shocks=()) -> dict:
    gen = PathGenerator(model, n_paths, DAYS, 11, "P", 1, n_paths, 0, shocks=shocks)
    cpu = gen.chunk(0, n_paths)
    gpu = gpu_chunk(gen, 0, n_paths)
    out = {}
    for name in ("spx", "v", "vix", "m"):
        a, b = getattr(gpu, name), getattr(cpu, name)
        if a is None:
            continue
        scale = np.maximum(np.abs(b), 1e-12 if name != "spx" else 1.0)
        rel = np.abs(a - b) / scale
        out[f"max_rel_diff_{name}"] = float(rel.max())
        out[f"median_rel_diff_{name}"] = float(np.median(rel))
        if name == "spx":
            out["share_of_paths_spx_differs_1e-9"] = float((rel.max(axis=1) > 1e-9).mean())
    # the law, not the bits: mean and quantiles of the year's log return and final VIX
    for label, chunk in (("cpu", cpu), ("gpu", gpu)):
        r = np.log(chunk.spx[:, -1] / chunk.spx[:, 0])
        out[f"{label}_mean_log_return"] = float(r.mean())
        out[f"{label}_q01_log_return"] = float(np.quantile(r, 0.01))
        out[f"{label}_mean_vix_end"] = float(chunk.vix[:, -1].mean())
    return out


def _speed(model, n_paths: int) -> dict:
    from numba import cuda

    gen = PathGenerator(model, n_paths, DAYS, 11, "P", 1, n_paths, 0)
    shape = (n_paths, DAYS + 1)
    outputs = [cuda.device_array(shape) for _ in range(4 if gen.two_factor else 3)]
    launch(gen, 0, min(n_paths, 4096), [a[:4096] for a in outputs])  # compile
    cuda.synchronize()
    best = float("inf")
    for _ in range(3):
        start, stop = cuda.event(), cuda.event()
        t0 = time.perf_counter()
        start.record()
        launch(gen, 0, n_paths, outputs)
        stop.record()
        stop.synchronize()
        seconds = (time.perf_counter() - t0 if numba.config.ENABLE_CUDASIM  # no GPU clock
                   else cuda.event_elapsed_time(start, stop) / 1e3)
        best = min(best, seconds)
    bytes_written = sum(a.nbytes for a in outputs)
    del outputs
    # the CPU kernel on every core, the same paths, in chunks of the engine's size
    cpu_gen = PathGenerator(model, n_paths, DAYS, 11, "P", 1, 65536, 0)
    cpu_gen.chunk(0, min(n_paths, 1024))  # compile
    t0 = time.perf_counter()
    for first in range(0, n_paths, 65536):
        cpu_gen.chunk(first, min(65536, n_paths - first))
    cpu_seconds = time.perf_counter() - t0
    return {"paths": n_paths, "days": DAYS, "gpu_kernel_seconds": best,
            "gpu_ns_per_path_day": best / (n_paths * DAYS) * 1e9,
            "gpu_write_bandwidth_GBps": bytes_written / best / 1e9,
            "cpu_seconds": cpu_seconds, "cpu_cores": os.cpu_count(),
            "cpu_ns_per_path_day": cpu_seconds / (n_paths * DAYS) * 1e9,
            "gpu_speedup_over_all_cpu_cores": cpu_seconds / best}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--paths", type=int, default=65536)
    parser.add_argument("--big-paths", type=int, default=1_000_000)
    parser.add_argument("--out", default="benchmarks/results/gpu_paths.json")
    args = parser.parse_args(argv)
    from numba import cuda

    name = "numba CUDA simulator" if numba.config.ENABLE_CUDASIM else cuda.get_current_device().name
    result = {"when": datetime.now(UTC).isoformat(timespec="seconds"),
              "gpu": name.decode() if isinstance(name, bytes) else name,
              "cpu": platform.processor() or platform.machine(), "numba": numba.__version__,
              "numpy": np.__version__}
    for family, preset in FAMILIES.items():
        model = sim.load_model(preset)
        crash = (Shock(day=30, spx_return=-0.10, vix=60.0),)  # the state shock's own branch
        result[family] = {"preset": preset, "same_paths": _same_paths(model, args.paths),
                          "same_paths_with_crash_shock": _same_paths(model, args.paths // 4,
                                                                     crash),
                          "speed": _speed(model, args.big_paths)}
        print(json.dumps({family: result[family]}, indent=1), flush=True)
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(result, indent=1) + "\n")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
