"""``make bench``: speed and memory of the project's kernels against baselines in the same run.

Figures are ratios against a baseline measured in the same process, because the machines are
shared and noisy. Results go to ``benchmarks/results/latest.json`` (and are printed).

    python -m benchmarks.run [--paths N] [--days N] [--repeats R] [--out FILE]
"""

from __future__ import annotations

import argparse
import json
import platform
import time
import tracemalloc
from datetime import UTC, datetime
from pathlib import Path

import numba
import numpy as np

import simulator as sim
from benchmarks.numpy_baseline import simulate_numpy


def _measure(fn, repeats: int) -> tuple[float, float]:
    """(best wall seconds, peak traced memory in MiB) over ``repeats`` calls."""
    best = float("inf")
    peak = 0.0
    for _ in range(repeats):
        tracemalloc.start()
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
        peak = max(peak, tracemalloc.get_traced_memory()[1] / 2**20)
        tracemalloc.stop()
    return best, peak


def bench_paths(n_paths: int, n_days: int, repeats: int) -> dict:
    model = sim.load_model("svcj_default")
    t0 = time.perf_counter()
    sim.simulate_paths(model, 16, 4, seed=0)  # compile (or load the numba cache)
    warmup = time.perf_counter() - t0
    steps = n_paths * n_days
    t_proj, mem_proj = _measure(lambda: sim.simulate_paths(model, n_paths, n_days, seed=1),
                                repeats)
    t_base, mem_base = _measure(lambda: simulate_numpy(model, n_paths, n_days, seed=1), repeats)
    return {
        "what": "SVCJ paths, svcj_default under P, full daily paths kept (spx, v; vix too for "
                "the project)",
        "n_paths": n_paths, "n_days": n_days, "repeats": repeats,
        "first_call_seconds": round(warmup, 3),
        "project_seconds": round(t_proj, 4),
        "numpy_baseline_seconds": round(t_base, 4),
        "project_path_steps_per_s": round(steps / t_proj),
        "numpy_baseline_path_steps_per_s": round(steps / t_base),
        "speedup_vs_numpy": round(t_base / t_proj, 2),
        "target_speedup": 3.0,
        "project_peak_mib": round(mem_proj, 1),
        "numpy_baseline_peak_mib": round(mem_base, 1),
        "output_mib": round(3 * n_paths * (n_days + 1) * 8 / 2**20, 1),
    }


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--paths", type=int, default=50_000)
    parser.add_argument("--days", type=int, default=252)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--out", default="benchmarks/results/latest.json")
    args = parser.parse_args(argv)
    results = {
        "timestamp": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {"python": platform.python_version(), "numba": numba.__version__,
                    "numpy": np.__version__, "cpu_count": numba.config.NUMBA_NUM_THREADS,
                    "numba_threads": numba.get_num_threads()},
        "paths": bench_paths(args.paths, args.days, args.repeats),
    }
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_suffix(".tmp")
    tmp.write_text(json.dumps(results, indent=2) + "\n")
    tmp.replace(out)
    p = results["paths"]
    print(f"paths: project {p['project_path_steps_per_s'] / 1e6:.1f} M path-steps/s, numpy "
          f"baseline {p['numpy_baseline_path_steps_per_s'] / 1e6:.1f} M path-steps/s -> "
          f"{p['speedup_vs_numpy']}x (target >= {p['target_speedup']}x); peak memory "
          f"{p['project_peak_mib']} MiB vs {p['numpy_baseline_peak_mib']} MiB "
          f"(output {p['output_mib']} MiB)")
    print(f"results written to {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
