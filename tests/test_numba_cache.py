"""Compiled kernels are cached per version of the source (simulator/common/numba_cache.py).

numba's own cache checks only the file of the function it compiled, so a kernel that inlines a
step function from another file keeps the old step after that file changes. The first test
shows the hazard on a two-file package and that a cache folder keyed on the sources' digest
avoids it; the others hold the package's own use of it.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

from simulator.common.numba_cache import source_digest

_STEP = "from numba import njit\n\n@njit(cache=True, inline='always')\ndef step():\n    return {}\n"
_KERNEL = textwrap.dedent("""
    from numba import njit
    from pkg.step import step

    @njit(cache=True)
    def kernel():
        return step()
""")


def _run(tmp_path, cache_dir):
    env = dict(os.environ, NUMBA_CACHE_DIR=str(cache_dir), PYTHONPATH=str(tmp_path))
    env.pop("ALVH_NUMBA_CACHE", None)
    done = subprocess.run([sys.executable, "-c", "from pkg.kernel import kernel; print(kernel())"],
                          env=env, capture_output=True, text=True, timeout=300, check=True)
    return int(done.stdout.strip())


def test_a_changed_inlined_step_is_stale_in_numbas_cache_and_fresh_in_a_digest_folder(tmp_path):
    pkg = tmp_path / "pkg"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "kernel.py").write_text(_KERNEL)
    (pkg / "step.py").write_text(_STEP.format(1))
    shared = tmp_path / "one_cache"
    versioned = tmp_path / "versioned"
    assert _run(tmp_path, shared) == 1
    assert _run(tmp_path, versioned / source_digest(pkg)) == 1
    (pkg / "step.py").write_text(_STEP.format(2))  # the inlined step changes, kernel.py not
    assert _run(tmp_path, shared) == 1  # numba's cache: the old step, silently
    assert _run(tmp_path, versioned / source_digest(pkg)) == 2  # a new digest: compiled afresh


def test_the_package_points_numba_at_its_digest_folder_and_children_share_it():
    code = ("import os, simulator, numba; from simulator.common.numba_cache import source_digest;"
            "print(os.environ['NUMBA_CACHE_DIR']); print(numba.config.CACHE_DIR);"
            "print(source_digest())")
    env = {k: v for k, v in os.environ.items()
           if k not in ("NUMBA_CACHE_DIR", "ALVH_NUMBA_CACHE")}
    first = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                           text=True, timeout=120, check=True).stdout.split()
    assert first[0] == first[1] and first[0].endswith(first[2])
    child_env = dict(env, NUMBA_CACHE_DIR=first[0], ALVH_NUMBA_CACHE=first[0],
                     ALVH_CACHE_DIR="/nonexistent/elsewhere")
    child = subprocess.run([sys.executable, "-c", code], env=child_env, capture_output=True,
                           text=True, timeout=120, check=True).stdout.split()
    assert child[0] == first[0]  # a CLI subprocess or Dask worker reuses its parent's kernels
    user_env = dict(env, NUMBA_CACHE_DIR="/tmp/users-own")
    user = subprocess.run([sys.executable, "-c", code], env=user_env, capture_output=True,
                          text=True, timeout=120, check=True).stdout.split()
    assert user[0] == f"/tmp/users-own/alvh-{user[2]}"


def _package_kernels():
    """Every numba dispatcher defined in the package's modules."""
    import importlib
    import pkgutil

    from numba.core.registry import CPUDispatcher

    import simulator

    for info in pkgutil.walk_packages(simulator.__path__, "simulator."):
        if ".cli" in info.name or info.name.endswith("paths_cuda_kernels"):
            continue  # the CLI imports lazily; the CUDA kernels need numba.cuda
        module = importlib.import_module(info.name)
        for name, obj in vars(module).items():
            if isinstance(obj, CPUDispatcher) and obj.py_func.__module__ == info.name:
                yield f"{info.name}.{name}", obj


def test_no_kernel_has_a_nan_default():
    """A call that omits a NaN default is typed ``omitted(default=nan)``, which never equals
    itself: numba's cache misses it, and it compiles again in every process (vix_call_strike
    from the claims report: 3.5 s a call, issue 30). Kernels take such arguments explicitly."""
    import inspect
    import math

    found = [name for name, kernel in _package_kernels()
             for p in inspect.signature(kernel.py_func).parameters.values()
             if isinstance(p.default, float) and math.isnan(p.default)]
    assert not found, f"NaN defaults in numba kernels: {found}"
    assert len(dict(_package_kernels())) > 100  # the walk found the kernels
