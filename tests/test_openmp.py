"""``import simulator`` makes idle OpenMP kernel threads sleep (``OMP_WAIT_POLICY=PASSIVE``,
simulator.common.openmp) unless the user chose a policy. Checked where it matters: libgomp's own
report of the policy it runs with (``OMP_DISPLAY_ENV``), in a fresh process that imports the
package and then launches a parallel kernel."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

PROBE = """
import os, numba, numpy as np
import simulator
print("environ", os.environ.get("OMP_WAIT_POLICY"))

@numba.njit(parallel=True)
def total(a):
    s = 0.0
    for i in numba.prange(a.size):
        s += a[i]
    return s

print("total", total(np.ones(64)))
print("layer", numba.threading_layer())
"""


def _probe(policy: str | None) -> tuple[dict[str, str], str]:
    env = {k: v for k, v in os.environ.items() if k != "OMP_WAIT_POLICY"}
    env["OMP_DISPLAY_ENV"] = "TRUE"  # libgomp prints its settings when it loads
    if policy is not None:
        env["OMP_WAIT_POLICY"] = policy
    run = subprocess.run([sys.executable, "-c", PROBE], env=env, capture_output=True, text=True,
                         timeout=300, check=True)
    lines = dict(line.split(" ", 1) for line in run.stdout.splitlines() if " " in line)
    return lines, run.stderr


def _gomp_policy(stderr: str) -> str | None:
    for line in stderr.splitlines():
        if line.strip().startswith("OMP_WAIT_POLICY ="):
            return line.split("=", 1)[1].strip().strip("'")
    return None


@pytest.mark.parametrize("policy, expected", [(None, "PASSIVE"), ("ACTIVE", "ACTIVE")])
def test_wait_policy_passive_unless_chosen(policy, expected):
    lines, stderr = _probe(policy)
    assert lines["environ"].upper() == expected
    assert float(lines["total"]) == 64.0
    if lines["layer"] != "omp":
        pytest.skip(f"threading layer {lines['layer']}: no libgomp to report its policy")
    assert _gomp_policy(stderr) == expected, stderr
