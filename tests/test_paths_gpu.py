"""The GPU path kernels (simulator/model/paths_gpu.py) against the CPU kernels.

No GPU is needed: numba's CUDA simulator runs the kernels as Python, thread by thread, calling
the same step functions' Python code, so each path must equal the CPU kernel's path to the last
bit but for libm against numba's intrinsics (1e-13 relative: observed 0). What the simulator
cannot show (the device's own exp/log, a branch flipping on their last bit) was measured on an
H200: benchmarks/gpu_paths.py, benchmarks/results/gpu_paths.json (docs/performance.md §6).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import pytest

_CHECK = textwrap.dedent("""
    import json
    import numpy as np
    import simulator as sim
    from simulator.model.paths import PathGenerator
    from simulator.model.paths_gpu import gpu_chunk
    from simulator.model.stress import Shock

    out = {}
    # a stressed two-factor year (jumps every few days), a crash day with a VIX level set
    # (the two-factor kernel's own shock branch), a one-factor variance jump, and the
    # variance shift phi with P's co-jumps of m (svcj_2f_conditional: lam1 45, m_jump 0.25),
    # and with m's own jumps (lam_m 40 a year: about one a path over the 30 days); v reverting
    # to 0.8 m under P (svcj_2f_conditional_vlevel)
    for preset, shocks in (("svcj_2f_stressed_2022", (Shock(day=9, spx_return=-0.1, vix=60.0),)),
                           ("svcj_dps2000", (Shock(day=4, variance_jump=0.2),)),
                           ("svcj_2f_conditional", (Shock(day=9, spx_return=-0.1, vix=60.0),)),
                           ("m_jumps", (Shock(day=9, spx_return=-0.1, vix=60.0),)),
                           ("svcj_2f_conditional_vlevel",
                            (Shock(day=9, spx_return=-0.1, vix=60.0),))):
        model = (sim.load_model("svcj_2f_conditional").merged(
                     {"P": {"lam_m": 40.0, "mu_m": 0.01}}) if preset == "m_jumps"
                 else sim.load_model(preset))
        gen = PathGenerator(model, 24, 30, 5, "P", 2, 24, 3, shocks=shocks)
        gpu, cpu = gpu_chunk(gen, 0, 24), gen.chunk(0, 24)
        diffs = {}
        for name in ("spx", "v", "vix", "m"):
            a, b = getattr(gpu, name), getattr(cpu, name)
            if b is not None:
                diffs[name] = float(np.max(np.abs(a - b) / np.maximum(np.abs(b), 1e-300)))
        jumps = np.abs(np.diff(np.log(cpu.spx), axis=1)) > 0.05
        m_up = 0 if cpu.m is None else int((np.diff(cpu.m, axis=1) > 0.005).sum())
        out[preset] = {"diffs": diffs, "big_moves": int(jumps.sum()), "m_jumps": m_up,
                       "vix_after_shock": float(cpu.vix[:, shocks[0].day + 1].mean())}
    print(json.dumps(out))
""")


@pytest.fixture(scope="module")
def simulated():
    env = dict(os.environ, NUMBA_ENABLE_CUDASIM="1")
    done = subprocess.run([sys.executable, "-c", _CHECK], env=env, capture_output=True,
                          text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("preset", ["svcj_2f_stressed_2022", "svcj_dps2000",
                                    "svcj_2f_conditional", "m_jumps",
                                    "svcj_2f_conditional_vlevel"])
def test_the_gpu_kernel_draws_the_cpu_kernels_paths(simulated, preset):
    result = simulated[preset]
    assert set(result["diffs"]) >= {"spx", "v", "vix"}
    for name, diff in result["diffs"].items():
        assert diff <= 1e-13, (preset, name, diff)


def test_the_check_exercises_jumps_and_shocks(simulated):
    # a comparison of quiet paths would say little: the stressed paths jump and the shock bites
    assert simulated["svcj_2f_stressed_2022"]["big_moves"] > 10
    assert simulated["svcj_2f_stressed_2022"]["vix_after_shock"] == pytest.approx(60.0, abs=8.0)
    assert "m" in simulated["svcj_2f_stressed_2022"]["diffs"]
    assert simulated["m_jumps"]["m_jumps"] > 5  # m's own jumps drawn on both backends
