"""Runs on a Dask cluster: the same cube as a local run (LocalCluster of two worker processes),
through a worker killed mid-run, after a client killed mid-run and resumed, and clear errors
when the scheduler cannot be reached or Dask is missing."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest
import xarray as xr

pytest.importorskip("distributed")

from simulator.cli import main
from simulator.scenario.loader import parse_scenario
from simulator.scenario.runner import checkpoint_dir, run_plan

DOC = """
name: cluster_test
simulation: {paths: 96, days: 63, seed: 5, chunk_paths: 16}
scenarios:
  base: {}
  crash: {shocks: [{day: 20, spx_return: -0.1, vix: 55}]}
strategies:
  unhedged: {condor: {preset: monthly_16_delta}, hedge: none}
  alvh: {condor: {preset: monthly_16_delta}, hedge: {preset: alvh_40_40_20}}
"""
PROVENANCE = ("scenario_file",)  # where the plan was read from may differ between runs


def _same(a, b):
    xr.testing.assert_identical(a.drop_attrs(), b.drop_attrs())
    for key in set(a.attrs) | set(b.attrs):
        if key not in PROVENANCE:
            va, vb = a.attrs.get(key), b.attrs.get(key)
            assert np.array_equal(va, vb) if isinstance(va, np.ndarray) else va == vb, key


@pytest.fixture(scope="module")
def local_cube():
    return run_plan(parse_scenario(DOC))


@pytest.fixture(scope="module")
def client():
    from simulator.scenario.cluster import connect

    client, cluster = connect(workers=2)
    yield client
    client.close()
    cluster.close()


def test_two_local_workers_give_the_local_cube(client, local_cube):
    assert len(client.scheduler_info()["workers"]) == 2
    _same(run_plan(parse_scenario(DOC), client=client), local_cube)


def test_one_worker_gives_the_local_cube_too(local_cube):
    from simulator.scenario.cluster import connect

    client, cluster = connect(workers=1)
    try:
        _same(run_plan(parse_scenario(DOC), client=client), local_cube)
    finally:
        client.close()
        cluster.close()


def test_a_local_cluster_leaves_this_process_environment_and_no_trim_threshold(monkeypatch):
    """Dask's nanny writes its pre-spawn environment (MALLOC_TRIM_THRESHOLD_=65536,
    OMP_NUM_THREADS=1, ...) into the client's process, where every later subprocess would
    inherit it: an ``alvh claims`` run under that threshold took 4x the system time. connect
    puts the client's variables back and starts the workers without the threshold; the
    variables it does set (numba's threads, the table cache) still reach the workers."""
    import dask

    from simulator.scenario.cluster import PRE_SPAWN, connect

    leaked = [*dask.config.get(PRE_SPAWN), "PYTHONHASHSEED"]
    assert "MALLOC_TRIM_THRESHOLD_" in leaked  # else this Dask no longer sets it
    for key in leaked:
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("OPENBLAS_NUM_THREADS", "3")  # a user's own value is kept too
    before = {key: os.environ.get(key) for key in leaked}
    client, cluster = connect(workers=1)
    try:
        assert {key: os.environ.get(key) for key in leaked} == before
        seen = client.run(lambda: {key: os.environ.get(key) for key in
                                   ("MALLOC_TRIM_THRESHOLD_", "NUMBA_NUM_THREADS",
                                    "ALVH_CACHE_DIR")})
        (worker,) = seen.values()
        assert worker["MALLOC_TRIM_THRESHOLD_"] is None
        assert int(worker["NUMBA_NUM_THREADS"]) == max(1, os.cpu_count() or 1)
        assert worker["ALVH_CACHE_DIR"]
    finally:
        client.close()
        cluster.close()


def test_the_readmes_dask_configuration_removes_the_trim_threshold(tmp_path):
    """The README's configuration file for ``dask worker`` does what it says: read by Dask
    from a configuration folder (``DASK_CONFIG``) in a fresh process, it leaves
    MALLOC_TRIM_THRESHOLD_ out of the nanny's pre-spawn variables (Dask's own function) and
    keeps the rest. Dask's environment-variable form lower-cases the key and cannot."""
    import json
    import re
    from pathlib import Path

    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    blocks = [b for b in re.findall(r"```yaml\n(.*?)```", readme, flags=re.S)
              if "pre-spawn-environ" in b]
    assert len(blocks) == 1
    probe = ("import json; from distributed.nanny import _get_env_variables; "
             "print(json.dumps(_get_env_variables('distributed.nanny.pre-spawn-environ')))")

    def pre_spawn(config_dir):
        env = {k: v for k, v in os.environ.items() if not k.startswith("DASK_")}
        env.pop("MALLOC_TRIM_THRESHOLD_", None)
        env["DASK_CONFIG"] = str(config_dir)
        run = subprocess.run([sys.executable, "-c", probe], env=env, capture_output=True,
                             text=True, timeout=120, check=True)
        return json.loads(run.stdout)

    (tmp_path / "none").mkdir()
    assert pre_spawn(tmp_path / "none")["MALLOC_TRIM_THRESHOLD_"] == "65536"  # Dask's default
    (tmp_path / "alvh").mkdir()
    (tmp_path / "alvh" / "alvh.yaml").write_text(blocks[0])
    configured = pre_spawn(tmp_path / "alvh")
    assert "MALLOC_TRIM_THRESHOLD_" not in configured
    assert configured.get("OMP_NUM_THREADS") == "1"  # Dask's other entries are kept


def test_a_worker_killed_mid_run_changes_nothing(client, local_cube, tmp_path):
    """SIGKILL to one worker process after the first unit: its tasks run again elsewhere."""
    killed = []

    def kill_one(si, ci):
        if not killed:
            pids = client.run(os.getpid)
            pid = sorted(pids.values())[0]
            os.kill(pid, signal.SIGKILL)
            killed.append(pid)

    cube = run_plan(parse_scenario(DOC), out=tmp_path / "k.nc", client=client,
                    on_unit=kill_one)
    assert killed
    _same(cube, local_cube)
    deadline = time.time() + 60  # the nanny restarts the worker
    while len(client.scheduler_info()["workers"]) < 2 and time.time() < deadline:
        time.sleep(0.5)


def test_half_local_half_on_the_cluster_after_an_interruption(client, local_cube, tmp_path):
    out = tmp_path / "r.nc"

    def stop_after_five(si, ci):
        if si * 6 + ci >= 4:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run_plan(parse_scenario(DOC), out=out, on_unit=stop_after_five)
    assert len(list(checkpoint_dir(out).glob("s*_c*.npz"))) == 5
    _same(run_plan(parse_scenario(DOC), out=out, resume=True, client=client), local_cube)


def test_an_unreachable_scheduler_exits_2_before_any_work(tmp_path, capsys):
    scenario = tmp_path / "c.yaml"
    scenario.write_text(DOC)
    out = tmp_path / "never.nc"
    assert main(["run", str(scenario), "--out", str(out), "--scheduler",
                 "tcp://127.0.0.1:9", "-q"]) == 2
    err = capsys.readouterr().err
    assert "tcp://127.0.0.1:9" in err and "cannot reach the Dask scheduler" in err
    assert not out.exists() and not checkpoint_dir(out).exists()


def test_without_dask_the_cluster_options_say_what_to_install(tmp_path, capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "distributed", None)  # import fails
    scenario = tmp_path / "c.yaml"
    scenario.write_text(DOC)
    assert main(["run", str(scenario), "--out", str(tmp_path / "x.nc"), "--workers", "2",
                 "-q"]) == 2
    assert "pip install 'alvh-simulator[dask]'" in capsys.readouterr().err


@pytest.mark.slow
def test_a_killed_client_loses_no_finished_unit(tmp_path):
    """``alvh run --workers 2`` killed (with its cluster) once units are checkpointed, then
    ``--resume``: the cube of an uninterrupted local run."""
    scenario = tmp_path / "c.yaml"
    scenario.write_text(DOC.replace("paths: 96", "paths: 960"))
    out = tmp_path / "c.nc"
    alvh = [sys.executable, "-m", "simulator.cli"]
    proc = subprocess.Popen([*alvh, "run", str(scenario), "--out", str(out), "--workers", "2",
                             "-q", "--no-summary"], start_new_session=True,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    folder = checkpoint_dir(out)
    deadline = time.time() + 300
    while time.time() < deadline and len(list(folder.glob("s*_c*.npz"))) < 3:
        assert proc.poll() is None, proc.stderr.read().decode()[-2000:]
        time.sleep(0.2)
    os.killpg(proc.pid, signal.SIGKILL)  # the client and its local cluster
    proc.wait()
    done = len(list(folder.glob("s*_c*.npz")))
    assert 3 <= done < 120 and not out.exists()
    resumed = run_plan(parse_scenario(DOC.replace("paths: 96", "paths: 960")), out=out,
                       resume=True)
    whole = run_plan(parse_scenario(DOC.replace("paths: 96", "paths: 960")))
    _same(resumed, whole)
