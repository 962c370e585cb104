"""A normal wheel carries everything the command line needs, and an installed wheel runs the
README's commands from a folder that is not the repository."""

from __future__ import annotations

import csv
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run([sys.executable, "-m", "pip", "wheel", str(ROOT), "--no-deps",
                    "--no-build-isolation", "-q", "-w", str(out)], check=True, cwd=out)
    (built,) = out.glob("alvh_simulator-*.whl")
    return built


def test_the_wheel_carries_market_data_scenarios_and_presets(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    market = {p.name for p in (ROOT / "simulator" / "data" / "market").iterdir()
              if p.suffix in (".csv", ".md")}
    scenarios = {p.name for p in (ROOT / "scenarios").glob("*.yaml")}
    presets = {p.name for p in (ROOT / "simulator" / "model" / "presets").glob("*.yaml")}
    assert "SOURCES.md" in market and "vix_daily.csv" in market and "claims.yaml" in scenarios
    for name in market:
        assert f"simulator/data/market/{name}" in names, name
    for name in scenarios:
        assert f"simulator/data/scenarios/{name}" in names, name
    for name in presets:
        assert f"simulator/model/presets/{name}" in names, name
    assert not any(n.startswith(("tests/", "benchmarks/", "notebooks/")) for n in names)


@pytest.mark.slow
def test_an_installed_wheel_runs_alvh_run_and_claims_outside_the_repository(wheel, tmp_path):
    """A fresh virtual environment, the wheel and its dependencies (from the package index or
    pip's cache), then the quickstart and the claims from an empty folder."""
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    python = venv / "bin" / "python"
    subprocess.run([str(python), "-m", "pip", "install", "-q", str(wheel)], check=True)
    work = tmp_path / "elsewhere"
    work.mkdir()
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    env["ALVH_CACHE_DIR"] = str(tmp_path / "cache")
    alvh = str(venv / "bin" / "alvh")

    def run(*args):
        done = subprocess.run([alvh, *args], cwd=work, env=env, capture_output=True, text=True)
        assert done.returncode == 0, done.stderr[-3000:]
        return done.stdout

    out = run("run", "scenarios/quickstart.yaml", "--paths", "200", "--quiet")
    assert "unhedged" in out and (work / "results" / "quickstart.nc").is_file()
    run("claims", "--paths", "200", "--out", "claims", "--quiet", "--boot", "50")
    rows = list(csv.DictReader((work / "claims" / "claims.csv").open()))
    from simulator.report.claims.catalogue import CLAIMS

    assert {r["claim"] for r in rows} == set(CLAIMS) == {f"C{i}" for i in range(1, 14)}
    # the package that ran is the installed one, not this checkout
    where = subprocess.run([str(python), "-c", "import simulator; print(simulator.__file__)"],
                           cwd=work, env=env, capture_output=True, text=True, check=True)
    assert str(venv) in where.stdout
