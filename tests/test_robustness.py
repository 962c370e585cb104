"""Hostile and careless input: every case exits 2 with the file and the field named, quickly,
without a traceback and without leaving files behind; runs cannot mix or corrupt each other."""

import time

import pytest

from simulator.cli import main
from simulator.common import safe_yaml
from tests.helpers import interrupt_run

BASE = """name: robust
simulation: {paths: 16, days: 21, chunk_paths: 16}
strategies:
  unhedged: {condor: {preset: monthly_16_delta}, hedge: none}
"""


def _validate(tmp_path, capsys, text, name="bad.yaml", command="validate"):
    path = tmp_path / name
    path.write_text(text) if isinstance(text, str) else path.write_bytes(text)
    t0 = time.perf_counter()
    args = [command, str(path)] + (["--out", str(tmp_path / "out.nc"), "--quiet"]
                                   if command == "run" else [])
    code = main(args)
    elapsed = time.perf_counter() - t0
    err = capsys.readouterr().err
    assert code == 2, err
    assert "Traceback" not in err and str(path) in err
    assert elapsed < 2.0 or command == "run"
    return err




def _alias_bomb(levels=9, width=9):
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x]"]
    for i in range(1, levels + 1):
        refs = ", ".join([f"*a{i - 1}"] * width)
        lines.append(f"a{i}: &a{i} [{refs}]")
    return "\n".join(lines) + "\n"


def test_alias_bomb_is_refused_at_once(tmp_path, capsys):
    text = BASE + "description: x\nsweep:\n  unhedged.condor.risk_per_tranche: *a9\n"
    bomb = _alias_bomb() + text.replace("name: robust\n", "name: robust\n", 1)
    assert len(bomb.encode()) < 1000
    err = _validate(tmp_path, capsys, bomb)
    assert "alias" in err and len(err) < 2000


def test_deep_nesting_is_refused(tmp_path, capsys):
    deep = "x: " + "[" * 5000 + "]" * 5000 + "\n"
    err = _validate(tmp_path, capsys, BASE + deep)
    assert "nested more than" in err


def test_oversized_file_is_refused(tmp_path, capsys):
    err = _validate(tmp_path, capsys, BASE + "#" + "x" * 1_100_000 + "\n")
    assert "at most 1,000,000" in err


def test_duplicate_keys_name_both_lines(tmp_path, capsys):
    text = BASE.replace("simulation: {paths: 16, days: 21, chunk_paths: 16}",
                        "simulation: {paths: 16, days: 21, paths: 9000000}")
    err = _validate(tmp_path, capsys, text)
    assert "duplicate key 'paths' on lines 2 and 2" in err
    err = _validate(tmp_path, capsys, BASE + "strategies: {}\n")
    assert "duplicate key 'strategies' on lines 3 and 5" in err


def test_safe_yaml_keeps_ordinary_documents():
    assert safe_yaml.load("a: &x [1, 2]\nb: *x\nc: {d: 1}\n") == {"a": [1, 2], "b": [1, 2],
                                                               "c": {"d": 1}}
    assert safe_yaml.load("") is None


@pytest.mark.parametrize("value", ["null", "[1, 2]", "'high'", "3"])
@pytest.mark.parametrize("where, loc", [
    ("model: {preset: svcj_default, overrides: {P: VALUE}}", "model.overrides.P"),
    ("model: {preset: svcj_default, overrides: {Q: VALUE}}", "model.overrides.Q"),
    ("scenarios: {s: {model: {P: VALUE}}}", "scenarios.s.model.P"),
])
def test_measure_overrides_must_be_mappings(tmp_path, capsys, value, where, loc):
    err = _validate(tmp_path, capsys, BASE + where.replace("VALUE", value) + "\n")
    assert loc in err and "must be a mapping" in err


@pytest.mark.parametrize("fragment, loc", [
    ("  x: {condor: {preset: [1]}, hedge: none}", "strategies.x.condor"),
    ("  x: {condor: {preset: monthly_16_delta, first_entry_day: 100000000000000000000}}",
     "strategies.x.condor.first_entry_day"),
])
def test_strategy_values_of_the_wrong_kind(tmp_path, capsys, fragment, loc):
    err = _validate(tmp_path, capsys, BASE + fragment + "\n")
    assert loc in err


def test_sweep_value_that_is_a_mapping(tmp_path, capsys):
    text = BASE + ("  h: {condor: {preset: monthly_16_delta}, hedge: {preset: alvh_40_40_20}}\n"
                   "sweep: {h.hedge.budget_annual: [{a: 1}, 0.02]}\n")
    err = _validate(tmp_path, capsys, text)
    assert "budget_annual" in err


@pytest.mark.parametrize("name", ["a" * 300, "abc\\n"])
def test_bad_names_are_refused_before_any_work(tmp_path, capsys, name, monkeypatch):
    monkeypatch.chdir(tmp_path)
    text = BASE.replace("name: robust", f'name: "{name}"')
    err = _validate(tmp_path, capsys, text, command="run")
    assert "name:" in err and "at most 100 characters" in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.yaml"]  # no results/ folder


def test_binary_model_file_names_the_file(tmp_path, capsys):
    (tmp_path / "model.yaml").write_bytes(b"\xff\xfe\x00binary\x80")
    err = _validate(tmp_path, capsys, BASE + "model: {preset: model.yaml}\n")
    assert "model.yaml" in err and "UTF-8" in err


def test_resume_is_refused_when_a_referenced_model_file_changed(tmp_path, capsys):
    from simulator.scenario.loader import load_scenario
    from simulator.scenario.runner import ResumeError, checkpoint_dir, run_plan

    model = tmp_path / "mymodel.yaml"
    model.write_text((__import__("importlib.resources").resources.files("simulator.model")
                      / "presets" / "svcj_default.yaml").read_text())
    scenario = tmp_path / "s.yaml"
    scenario.write_text(BASE.replace("paths: 16,", "paths: 64,")
                        + "model: {preset: mymodel.yaml}\n")
    out = tmp_path / "out.nc"

    interrupt_run(scenario, out, after=1)
    assert checkpoint_dir(out).is_dir()
    text = model.read_text()
    assert "v0: 0.0163" in text
    model.write_text(text.replace("v0: 0.0163", "v0: 0.03"))
    with pytest.raises(ResumeError, match="different run"):
        run_plan(load_scenario(scenario), out=out, resume=True)
    model.write_text(text)  # back as it was: the resume is accepted and completes
    cube = run_plan(load_scenario(scenario), out=out, resume=True)
    assert cube.sizes["path"] == 64


def test_a_second_run_on_the_same_output_is_refused(tmp_path, capsys):
    from simulator.scenario.runner import lock_path, output_lock

    scenario = tmp_path / "s.yaml"
    scenario.write_text(BASE)
    out = tmp_path / "out.nc"
    with output_lock(out):
        assert lock_path(out).read_bytes() == b""  # nothing is ever written into a lock
        assert main(["run", str(scenario), "--out", str(out), "--quiet"]) == 2
        err = capsys.readouterr().err
        assert f"another run is writing it (it holds {lock_path(out)})" in err
        assert not out.exists()
    assert not lock_path(out).exists()
    assert main(["run", str(scenario), "--out", str(out), "--quiet", "--no-summary"]) == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.nc", "s.yaml"]


def test_output_under_a_file_exits_2(tmp_path, capsys):
    scenario = tmp_path / "s.yaml"
    scenario.write_text(BASE)
    (tmp_path / "afile").write_text("x")
    assert main(["run", str(scenario), "--out", str(tmp_path / "afile" / "out.nc"),
                 "--quiet"]) == 2
    err = capsys.readouterr().err
    assert "cannot write there" in err and "Traceback" not in err


def test_stale_temporary_files_are_cleaned_by_the_next_write(tmp_path):
    import xarray as xr

    from simulator.results.cube import write_cube

    out = tmp_path / "r.nc"
    stale = tmp_path / ".r.nc.abc123.tmp"
    stale.write_text("left by a run killed mid-write")
    write_cube(xr.Dataset({"x": ("a", [1.0, 2.0])}), out)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r.nc"]


def test_the_writers_parent_holds_xarrays_dask_probe_after_a_write(tmp_path):
    """xarray's netCDF writer imports dask.distributed (0.22 s) to ask which scheduler runs;
    the forked writer would pay it on every write of a process, so the parent makes the same
    call while the child writes (cube._warm_writer). In a fresh process: not imported before
    the first write, imported after it."""
    import subprocess
    import sys

    pytest.importorskip("distributed")
    code = ("import sys, xarray as xr\n"
            "from simulator.results.cube import write_cube\n"
            "before = 'distributed' in sys.modules\n"
            f"write_cube(xr.Dataset({{'x': ('a', [1.0, 2.0])}}), {str(tmp_path / 'r.nc')!r})\n"
            "print(before, 'distributed' in sys.modules)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, timeout=120)
    assert out.stdout.split() == ["False", "True"]


def test_damaged_and_swapped_checkpoints_are_recomputed_on_resume(tmp_path):
    """Stop after 4 of 6 units; truncate one chunk file and swap the records of two others;
    the resume recomputes exactly those and the cube equals an uninterrupted run."""
    import io

    import xarray as xr

    from simulator.scenario.loader import load_scenario
    from simulator.scenario.runner import Progress, checkpoint_dir, run_plan

    scenario = tmp_path / "s.yaml"
    scenario.write_text(BASE.replace("paths: 16, days: 21, chunk_paths: 16",
                                     "paths: 96, days: 21, chunk_paths: 16"))
    whole = run_plan(load_scenario(scenario))
    out = tmp_path / "out.nc"

    interrupt_run(scenario, out, after=4)
    folder = checkpoint_dir(out)
    truncated = folder / "s000_c000000.npz"
    truncated.write_bytes(truncated.read_bytes()[:200])
    a, b = folder / "s000_c000001.npz", folder / "s000_c000002.npz"
    a_bytes, b_bytes = a.read_bytes(), b.read_bytes()
    a.write_bytes(b_bytes)
    b.write_bytes(a_bytes)
    (folder / ".s000_c000003xyz.tmp").write_text("killed mid-write")
    computed = []
    log = io.StringIO()
    cube = run_plan(load_scenario(scenario), out=out, resume=True,
                    progress=Progress(6, stream=log), on_unit=lambda si, ci: computed.append(ci))
    assert sorted(computed) == [0, 1, 2, 4, 5]  # three damaged + the two never computed
    assert "3 damaged chunk(s)" in log.getvalue()
    xr.testing.assert_identical(cube.drop_attrs(), whole.drop_attrs())


def test_a_failed_chunk_write_leaves_no_temporary_file(tmp_path, monkeypatch):
    import numpy as np

    from simulator.scenario import runner

    def full_disk(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(np, "save", full_disk)
    with pytest.raises(OSError, match="No space"):
        runner.save_unit(tmp_path, 0, 0, {"x": np.zeros(2)}, np.zeros((1, 2, 3)))
    assert list(tmp_path.iterdir()) == []


def test_runs_that_cannot_fit_are_refused_before_any_work(tmp_path, capsys, monkeypatch):
    """The schema's maximum (10 M paths x 2,520 days, chunks of 1 M) validates but would need
    hundreds of GiB a chunk: exit 2 with the estimate, nothing written."""
    monkeypatch.chdir(tmp_path)
    text = BASE.replace("simulation: {paths: 16, days: 21, chunk_paths: 16}",
                        "simulation: {paths: 10000000, days: 2520, chunk_paths: 1000000}")
    err = _validate(tmp_path, capsys, text, command="run")
    assert "simulation.chunk_paths" in err and "GiB of memory" in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.yaml"]


def test_the_estimate_tracks_the_real_footprint():
    """Ordinary runs pass; the memory estimate grows with chunk_paths (the chunk's work) and
    with paths (the assembly at the end), the disk one with paths."""
    from simulator.scenario.loader import parse_scenario
    from simulator.scenario.runner import resource_estimate

    small = parse_scenario(BASE)
    big_chunk = parse_scenario(BASE.replace("paths: 16, days: 21, chunk_paths: 16",
                                            "paths: 1000, days: 21, chunk_paths: 1000"))
    more_paths = parse_scenario(BASE.replace("paths: 16, days: 21, chunk_paths: 16",
                                             "paths: 1000, days: 21, chunk_paths: 16"))
    m0, d0 = resource_estimate(small)
    m1, _ = resource_estimate(big_chunk)
    m2, d2 = resource_estimate(more_paths)
    assert m1 > m0 and m2 > m0 and d2 > d0
    assert m0 < 2**30  # a small run needs under a GiB


def test_range_messages_give_both_bounds(tmp_path, capsys):
    text = BASE.replace("chunk_paths: 16}", "chunk_paths: 16, capital: .nan}")
    err = _validate(tmp_path, capsys, text)
    assert "simulation.capital" in err and "allowed: 0 < x <= 1e+12" in err


@pytest.mark.parametrize("override, loc, fragment", [
    ("P: {lam: 100, mu_v: 1, rho_j: -50}", "model.overrides.P.rho_j", "mean log-price jump"),
    ("Q: {lam: 100, mu_v: 1, mu_x: -1, sigma_x: 1, rho_j: -0.99}", "model.overrides.Q.rho_j",
     "mean log-price jump"),
    ("Q: {lam: 100, sigma_x: 1, mu_x: -0.5}", "model.overrides.Q.lam", "jump variance"),
    ("P: {mu_v: 1, rho_j: 0.95}", "model.overrides.P.rho_j", "must be <= 0.9"),
])
def test_jump_laws_that_fail_mid_run_are_refused_up_front(tmp_path, capsys, override, loc,
                                                          fragment):
    """Each parameter is within its own bounds; together they underflow SPX or break the
    pricing tables after the work has started. Refused before, with the fields named."""
    err = _validate(tmp_path, capsys, BASE + f"model: {{preset: svcj_default, overrides: "
                                                 f"{{{override}}}}}\n")
    assert loc in err and fragment in err


def test_every_shipped_model_passes_the_joint_conditions():
    import simulator as sim
    from simulator.model.presets import preset_names

    for name in preset_names():
        model = sim.load_model(name)
        for measure in (model.P, model.Q):
            assert abs(measure.mu_x + measure.rho_j * measure.mu_v) <= 1.0


def test_a_full_disk_at_the_final_write_exits_2_and_leaves_no_temporary(tmp_path, capsys,
                                                                        monkeypatch):
    import xarray as xr

    scenario = tmp_path / "s.yaml"
    scenario.write_text(BASE)

    def full_disk(self, path, *args, **kwargs):
        open(path, "wb").write(b"partial")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(xr.Dataset, "to_netcdf", full_disk)
    assert main(["run", str(scenario), "--out", str(tmp_path / "out.nc"), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert "No space left on device" in err and "Traceback" not in err
    left = sorted(p.name for p in tmp_path.iterdir())
    assert "out.nc" not in left and not [n for n in left if n.endswith(".tmp")]


def test_a_ruined_path_stops_trading_and_is_counted():
    """risk_per_tranche 1.0 with a tranche every day and SPX -30 % on day 5: the account goes
    below zero, every position is closed at that close's marks, nothing trades afterwards, and
    the books still balance."""
    import numpy as np

    import simulator as sim
    from simulator.strategy import StrategyEngine, strategy
    from simulator.strategy.engine import PNL_NAMES

    model = sim.load_model("svcj_default")
    n = 30
    spx = np.full(n + 1, model.spx0)
    spx[5:] *= 0.70
    v = np.full(n + 1, float(model.variance_from_vix(20.0)))
    reckless = {"preset": "monthly_16_delta", "every_trading_days": 1, "risk_per_tranche": 1.0,
                "stop_multiple": None, "take_profit": None}
    r = StrategyEngine(model, {"x": strategy(reckless)}).evaluate(spx[None], v[None],
                                                                  log_paths=[0])
    assert r.count_of("x", "ruined")[0] == 1
    eq = r.equity[0, 0]
    day = int(np.argmax(eq <= 0))
    assert day == 5 and (eq[day:] == eq[day]).all()
    assert not [t for t in r.trades if t.day > day]
    buckets = r.pnl[0, 0, :PNL_NAMES.index("hedge_premium")].sum()
    assert buckets == pytest.approx(eq[-1] - 1.0, abs=1e-12)


def test_validation_warns_when_a_strategy_can_lose_more_than_the_account(tmp_path, capsys):
    path = tmp_path / "reckless.yaml"
    path.write_text(BASE.replace("hedge: none}", "hedge: none}\n  x: {condor: {preset: "
                                 "monthly_16_delta, every_trading_days: 1, risk_per_tranche: "
                                 "0.2}}"))
    assert main(["validate", str(path)]) == 0
    err = capsys.readouterr().err
    assert "strategies.x: can lose more than the account" in err
    assert "strategies.unhedged" not in err


CORPUS = __import__("pathlib").Path(__file__).parent / "data" / "bad_scenarios"


def _corpus():
    import ast

    lines = (CORPUS / "expected.txt").read_text().splitlines()
    return [(name, ast.literal_eval(field)) for name, field in
            (line.split(": ", 1) for line in lines)]


def test_the_corpus_is_large_and_current():
    cases = _corpus()
    assert len(cases) >= 100
    assert sorted(p.name for p in CORPUS.glob("*.yaml")) == sorted(n for n, _ in cases)


@pytest.mark.parametrize("name, field", _corpus())
def test_every_malformed_file_exits_2_naming_its_field(tmp_path, capsys, name, field):
    """Each file of tests/data/bad_scenarios (written by its _generate.py): exit 2, the field
    named, no traceback, nothing written, within 2 s and 200 MB."""
    import shutil
    import tracemalloc

    path = tmp_path / name
    shutil.copy(CORPUS / name, path)
    tracemalloc.start()
    t0 = time.perf_counter()
    try:
        code = main(["validate", str(path)])
    finally:
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    elapsed = time.perf_counter() - t0
    err = capsys.readouterr().err
    assert code == 2, err
    assert field in err and str(path) in err and "Traceback" not in err
    # no hang and no blow-up: the bound is loose (a loaded 2-core machine took 2.5 s once)
    assert elapsed < 15.0 and peak < 200 * 2**20
    assert [p.name for p in tmp_path.iterdir()] == [name]


def test_fuzzing_the_schema_never_gives_a_traceback(tmp_path_factory):
    """Random structures and values (aliases from shared objects, deep nesting, wrong types,
    NaN, huge numbers) in every section: exit 0 or 2, never a traceback."""
    import contextlib
    import io

    import yaml
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    keys = st.sampled_from(["name", "simulation", "model", "scenarios", "costs", "vol_events",
                            "strategies", "sweep", "paths", "days", "preset", "overrides",
                            "P", "Q", "condor", "hedge", "layers", "front", "shocks", "day",
                            "monetize", "sell_fraction", "unhedged", "alvh"]) | st.text(
        max_size=8)
    leaves = (st.none() | st.booleans() | st.integers(-10**20, 10**20)
              | st.floats(allow_nan=True, allow_infinity=True) | st.text(max_size=12))
    values = st.recursive(leaves, lambda inner: st.lists(inner, max_size=4)
                          | st.dictionaries(keys, inner, max_size=4), max_leaves=30)
    sections = st.sampled_from(["simulation", "model", "scenarios", "costs", "vol_events",
                                "strategies", "sweep", "name"])

    @settings(max_examples=120, deadline=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
    @given(section=sections, value=values, shared=st.booleans(),
           depth=st.integers(0, 200))
    def run(section, value, shared, depth):
        base = yaml.safe_load(BASE)
        for _ in range(depth):
            value = [value]
        base[section] = [value, value, value] if shared else value  # shared: YAML aliases
        text = yaml.dump(base, default_flow_style=True)
        folder = tmp_path_factory.mktemp("fuzz")
        path = folder / "f.yaml"
        path.write_text(text)
        err = io.StringIO()
        with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
            code = main(["validate", str(path)])
        assert code in (0, 2), err.getvalue()
        assert "Traceback" not in err.getvalue()
        assert [p.name for p in folder.iterdir()] == ["f.yaml"]

    run()


def test_an_interrupted_run_is_never_discarded_by_accident(tmp_path, capsys):
    """Rerunning without --resume refuses to delete an earlier run's finished chunks;
    --overwrite discards them, --resume continues them."""
    from simulator.scenario.runner import checkpoint_dir

    scenario = tmp_path / "s.yaml"
    scenario.write_text(BASE.replace("paths: 16,", "paths: 48,"))
    out = tmp_path / "out.nc"

    interrupt_run(scenario, out, after=1)
    args = ["run", str(scenario), "--out", str(out), "--quiet", "--no-summary"]
    assert main(args) == 2
    assert "continue it with --resume, or discard them with --overwrite" in \
        capsys.readouterr().err
    assert len(list(checkpoint_dir(out).glob("s*_c*.npz"))) == 1
    assert main([*args, "--overwrite"]) == 0 and out.is_file()


def test_an_unwritable_output_folder_exits_2(tmp_path, capsys, monkeypatch):
    """A read-only folder (simulated: the tests run as root, which chmod does not stop)."""
    from pathlib import Path

    scenario = tmp_path / "s.yaml"
    scenario.write_text(BASE)
    real_mkdir = Path.mkdir

    def read_only(self, *args, **kwargs):
        if "readonly" in str(self):
            raise PermissionError(13, "Permission denied", str(self))
        return real_mkdir(self, *args, **kwargs)

    monkeypatch.setattr(Path, "mkdir", read_only)
    assert main(["run", str(scenario), "--out", str(tmp_path / "readonly" / "out.nc"),
                 "--quiet"]) == 2
    err = capsys.readouterr().err
    assert "cannot write there (Permission denied)" in err and "Traceback" not in err


def test_max_memory_refuses_a_plan_before_any_work(tmp_path, capsys):
    from simulator.cli import main
    from simulator.scenario.loader import load_scenario
    from simulator.scenario.runner import checkpoint_dir, parse_memory, resource_estimate

    assert parse_memory("2G") == 2 * 2**30 and parse_memory("1500M") == 1500 * 2**20
    assert parse_memory("512k") == 512 * 2**10 and parse_memory("1.5GiB") == int(1.5 * 2**30)
    small, _ = resource_estimate(load_scenario("quickstart", n_paths=1_000))
    big, _ = resource_estimate(load_scenario("quickstart", n_paths=1_000_000))
    assert big - small > 2 * 2**30  # the cube of a million paths, not the chunk
    out = tmp_path / "big.nc"
    assert main(["run", "quickstart", "--paths", "1000000", "--max-memory", "500M", "--out",
                 str(out), "-q"]) == 2
    err = capsys.readouterr().err
    assert f"about {big / 2**30:.2f} GiB" in err and "--max-memory" in err
    assert not out.exists() and not checkpoint_dir(out).exists()
    assert main(["run", "quickstart", "--max-memory", "lots", "-q"]) == 2
    assert "give a size such as 2G" in capsys.readouterr().err


# --- issue 34: the new features under attack ------------------------------------------------


def test_a_symlink_planted_at_the_lock_is_never_followed(tmp_path, capsys):
    """Issue 34.1: the old lock opened ``.out.nc.lock`` with "a+" and truncated it: a link
    planted there emptied its target. Now the run is refused and the target is untouched; a
    file already there (a hard link to the victim) is locked but never written."""
    import os

    from simulator.scenario.runner import lock_path

    scenario = tmp_path / "s.yaml"
    scenario.write_text(BASE)
    out = tmp_path / "out.nc"
    victim = tmp_path / "victim.txt"
    victim.write_text("precious\n")
    os.symlink(victim, lock_path(out))
    args = ["run", str(scenario), "--out", str(out), "--quiet", "--no-summary"]
    assert main(args) == 2
    err = capsys.readouterr().err
    assert "symbolic link" in err and str(lock_path(out)) in err and "Traceback" not in err
    assert victim.read_text() == "precious\n" and lock_path(out).is_symlink()
    assert not out.exists()
    lock_path(out).unlink()
    os.link(victim, lock_path(out))  # a hard link: locked, not written, its name removed
    assert main(args) == 0 and out.is_file()
    assert victim.read_text() == "precious\n" and not lock_path(out).exists()


SECRET = "s3cr3t-token-9f8e7d"


@pytest.mark.parametrize("content", [
    f"password: {SECRET}\n",  # a mapping that is not a model
    f"{SECRET}\n",  # a scalar
    f"key: [{SECRET}\n",  # not YAML (the parser would quote the line)
    f"{SECRET}: 1\n{SECRET}: 2\n",  # duplicate keys (named in the message)
])
def test_model_preset_never_echoes_a_file_that_is_not_a_model(tmp_path, capsys, content):
    """Issue 34.2: ``model: {preset: FILE}`` parsed any readable file and echoed its keys."""
    (tmp_path / "secret.yaml").write_text(content)
    err = _validate(tmp_path, capsys, BASE + "model: {preset: secret.yaml}\n")
    assert "model.preset" in err and "secret.yaml" in err
    assert SECRET not in err


@pytest.mark.parametrize("ref", ["/etc/passwd", "../outside.yaml", "inside.txt", "link.yaml"])
def test_model_preset_is_confined_to_the_scenario_folder(tmp_path, capsys, ref):
    """Absolute paths, paths out of the folder (directly or through a link) and files without
    the .yaml suffix are refused before they are read."""
    import importlib.resources
    import os

    preset = (importlib.resources.files("simulator.model") / "presets"
              / "svcj_default.yaml").read_text()
    here = tmp_path / "here"
    here.mkdir()
    (tmp_path / "outside.yaml").write_text(preset)
    (here / "inside.txt").write_text(preset)
    os.symlink(tmp_path / "outside.yaml", here / "link.yaml")
    err = _validate(here, capsys, BASE + f"model: {{preset: {ref}}}\n")
    assert "model.preset" in err and "must be a .yaml file in the scenario file's folder" in err
    (here / "mine.yaml").write_text(preset)  # the rule's own case works
    (here / "ok.yaml").write_text(BASE + "model: {preset: mine.yaml}\n")
    assert main(["validate", str(here / "ok.yaml")]) == 0


def test_an_endless_scenario_file_is_refused_without_reading_it(tmp_path, capsys):
    """Issue 34.3: the size limit was checked after reading the whole file (``alvh validate
    /dev/zero`` ran out of memory). A 3 GB sparse file and /dev/zero are refused at once."""
    import resource

    from simulator.common import safe_yaml

    sparse = tmp_path / "huge.yaml"
    with open(sparse, "wb") as fh:
        fh.truncate(3 * 2**30)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
    t0 = time.perf_counter()
    for path in (sparse, "/dev/zero"):
        assert main(["validate", str(path)]) == 2
        err = capsys.readouterr().err
        assert f"more than {safe_yaml.MAX_BYTES:,} bytes" in err and str(path) in err
    assert time.perf_counter() - t0 < 2.0
    grown = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before
    assert grown < 100 * 2**10  # KiB: far below the 3 GB a whole read would take


def test_finished_results_are_replaced_only_with_overwrite(tmp_path, capsys):
    """Issue 34.7: ``alvh run --out keep.nc`` over a finished cube replaced it with exit 0, and
    ``alvh export cube.nc --out cube.nc`` replaced the cube with its CSV."""
    scenario = tmp_path / "s.yaml"
    scenario.write_text(BASE)
    out = tmp_path / "keep.nc"
    args = ["run", str(scenario), "--out", str(out), "--quiet", "--no-summary"]
    assert main(args) == 0
    kept = out.read_bytes()
    assert main([*args, "--seed", "5"]) == 2
    err = capsys.readouterr().err
    assert f"--out {out}: holds finished results; add --overwrite" in err
    assert out.read_bytes() == kept
    assert sorted(p.name for p in tmp_path.iterdir()) == ["keep.nc", "s.yaml"]
    assert main(["export", str(out), "--out", str(out)]) == 2
    assert "never replaces its cube" in capsys.readouterr().err
    alias = tmp_path / "alias.csv"
    alias.hardlink_to(out)  # the same file by another name
    assert main(["export", str(out), "--out", str(alias)]) == 2
    assert "never replaces its cube" in capsys.readouterr().err
    alias.unlink()
    assert out.read_bytes() == kept
    assert main([*args, "--seed", "5", "--overwrite"]) == 0
    assert out.read_bytes() != kept  # other paths: another cube


def test_claims_and_calibrate_refuse_to_replace_results_before_any_work(tmp_path, capsys,
                                                                      monkeypatch):
    """Issue 34.7 and 34.13: ``alvh claims --out DIR`` and ``alvh calibrate --out FILE``
    replaced finished results, and calibrate checked its ``--out`` only after a 5-minute fit."""
    import simulator.calibration as calibration
    import simulator.scenario.runner as runner

    def no_work(*args, **kwargs):
        raise AssertionError("the refusal must come before any work")

    monkeypatch.setattr(runner, "run_plan", no_work)
    monkeypatch.setattr(calibration, "calibrate", no_work)
    folder = tmp_path / "claims"
    folder.mkdir()
    (folder / "claims.md").write_text("finished\n")
    assert main(["claims", "--paths", "16", "--out", str(folder), "--quiet"]) == 2
    assert "claims.md: holds finished results; add --overwrite" in capsys.readouterr().err
    preset = tmp_path / "calm.yaml"
    preset.write_text("finished\n")
    calibrate = ["calibrate", "--start", "2017-01-03", "--end", "2017-12-29", "-q", "--out"]
    assert main([*calibrate, str(preset)]) == 2
    assert f"--out {preset}: holds finished results" in capsys.readouterr().err
    assert preset.read_text() == "finished\n"
    assert main([*calibrate, str(tmp_path / "no_folder" / "x.yaml")]) == 2
    assert "does not exist" in capsys.readouterr().err
    with pytest.raises(AssertionError, match="before any work"):  # the fit was reached
        main([*calibrate, str(preset), "--overwrite"])
    monkeypatch.setattr("tempfile.mkstemp", lambda **kw: (_ for _ in ()).throw(
        PermissionError(13, "Permission denied")))  # a read-only folder (tests run as root)
    assert main([*calibrate, str(tmp_path / "new.yaml")]) == 2
    assert "cannot write in" in capsys.readouterr().err


def test_a_resume_after_an_edit_of_the_market_data_is_refused(tmp_path, monkeypatch):
    """Issue 34.8: in history mode a resume after an edit of the S&P 500 file mixed old and
    new closes in one cube. The fingerprint now covers each market file the paths use."""
    import importlib.resources
    import shutil

    from simulator.scenario.loader import load_scenario
    from simulator.scenario.runner import ResumeError, run_plan

    scenario = tmp_path / "h.yaml"
    scenario.write_text(
        "name: hist\npath: {source: history_windows, start: 2018-01-02, end: 2019-12-31, "
        "length_days: 21, step_days: 21}\nsimulation: {seed: 0, chunk_paths: 16}\n"
        "model: {preset: svcj_default}\nstrategies:\n"
        "  unhedged: {condor: {preset: monthly_16_delta}, hedge: none}\n")
    out = tmp_path / "h.nc"
    interrupt_run(scenario, out, after=1)
    original = load_scenario(scenario)
    real = importlib.resources.files("simulator.data.market")
    copy = tmp_path / "market"
    shutil.copytree(str(real), copy)
    spx = copy / "spx_daily.csv"
    lines = spx.read_text().splitlines(keepends=True)
    row = next(i for i, line in enumerate(lines) if line.startswith("2019-06-03,"))
    lines[row] = lines[row].rstrip("\n").rsplit(",", 1)[0] + ",12744.45\n"  # was 2744.45
    spx.write_text("".join(lines))
    files = importlib.resources.files
    monkeypatch.setattr(importlib.resources, "files", lambda package: copy
                        if package == "simulator.data.market" else files(package))
    edited = load_scenario(scenario)
    assert edited.market_data["spx_daily.csv"] != original.market_data["spx_daily.csv"]
    assert edited.market_data["vix_daily.csv"] == original.market_data["vix_daily.csv"]
    with pytest.raises(ResumeError, match="different run"):
        run_plan(edited, out=out, resume=True)
    monkeypatch.undo()  # the data as it was: the resume is accepted
    cube = run_plan(load_scenario(scenario), out=out, resume=True)
    assert "spx_daily.csv" in cube.attrs["history_data_sha256"]


@pytest.fixture(scope="module")
def small_cube(tmp_path_factory):
    """A finished cube of BASE (16 paths x 21 days), written by ``alvh run``."""
    folder = tmp_path_factory.mktemp("cube")
    scenario = folder / "s.yaml"
    scenario.write_text(BASE)
    out = folder / "c.nc"
    assert main(["run", str(scenario), "--out", str(out), "--quiet", "--no-summary"]) == 0
    return out


def _copy(cube, tmp_path, name="c.nc"):
    import shutil

    target = tmp_path / name
    shutil.copy(cube, target)
    return target


def _report_and_export_exit_2(path, capsys, *words):
    for args in (["report", str(path), "--out", str(path.parent / "rep")],
                 ["export", str(path), "--out", str(path.parent / "x.csv")]):
        assert main(args) == 2
        err = capsys.readouterr().err
        assert "Traceback" not in err and str(path) in err
        for word in words:
            assert word in err, err
    assert not (path.parent / "x.csv").exists() and not (path.parent / "rep").exists()


def test_a_damaged_block_of_a_cube_is_detected(small_cube, tmp_path, capsys):
    """Issue 34.11: one corrupted block gave KeyError/RuntimeError tracebacks or, silently,
    different numbers. Cubes are now written compressed with a Fletcher-32 checksum per block;
    a damaged block is reported with its variable."""
    import h5py

    path = _copy(small_cube, tmp_path)
    with h5py.File(path, "r") as fh:
        var = fh["max_drawdown"]
        assert var.fletcher32  # dense P&L: checksummed, stored as is (it barely compresses)
        assert fh["recovery_days"].fletcher32 and fh["recovery_days"].compression == "gzip"
        info = var.id.get_chunk_info(0)
    with open(path, "r+b") as fh:  # one byte in the middle of the variable's first block
        fh.seek(info.byte_offset + info.size // 2)
        byte = fh.read(1)
        fh.seek(-1, 1)
        fh.write(bytes([byte[0] ^ 0xFF]))
    _report_and_export_exit_2(path, capsys, "variable max_drawdown is damaged")


def _old_writer_encoding(encoding: dict) -> dict:
    """The cube's encoding as written up to 0.11.5: filters only, the block shapes left to
    h5py (which h5netcdf asks)."""
    return {name: {k: v for k, v in var.items() if k != "chunksizes"}
            for name, var in encoding.items()}


def test_cube_arrays_are_compressed_only_where_it_pays(tmp_path):
    """Issue 30: dense float64 P&L compresses to ~80 % at twice the write time, so it is
    stored with its checksum only; day counts and NaN-padded arrays are compressed. Every
    numeric array keeps its Fletcher-32 checksum, and the file reads back bit for bit."""
    import h5py
    import numpy as np
    import xarray as xr

    from simulator.results.cube import CHECKED_ENCODING, CHECKSUM_ONLY, _encoding, write_cube

    rng = np.random.default_rng(30)
    sparse = np.full((4, 5000), np.nan, dtype=np.float32)
    sparse[:, :700] = rng.integers(0, 250, (4, 700))
    data = xr.Dataset({"dense": (("s", "path"), rng.normal(0.01, 0.2, (4, 5000))),
                       "days": (("s", "path"), rng.integers(0, 30, (4, 5000))),
                       "events": (("s", "path"), sparse)})
    encoding = _old_writer_encoding(_encoding(data))
    assert encoding["dense"] == CHECKSUM_ONLY
    assert encoding["days"] == CHECKED_ENCODING and encoding["events"] == CHECKED_ENCODING
    path = write_cube(data, tmp_path / "mixed.nc")
    with h5py.File(path, "r") as fh:
        assert all(fh[name].fletcher32 for name in ("dense", "days", "events"))
        assert fh["dense"].compression is None and fh["days"].compression == "gzip"
    back = xr.open_dataset(path, engine="h5netcdf").load()
    for name in data.data_vars:
        np.testing.assert_array_equal(back[name].values, data[name].values)


def test_the_cube_file_holds_its_coordinates_first_and_reads_back_the_same(tmp_path):
    """Issue 30: write_cube writes the coordinate variables before the data variables (with
    h5netcdf, the writer up to 0.11.5, each dimension scale is then created once, not a
    placeholder replaced and attached again). The file reads back identical to one written
    by h5netcdf in the cube's own order (data first): values, attributes, coordinates, the
    order of the data variables, and each variable's storage (checksum, compression,
    shuffle, block shape) and type."""
    import h5py
    import numpy as np
    import xarray as xr

    from simulator.results.cube import NETCDF_ENGINE, _encoding, write_cube

    rng = np.random.default_rng(35)
    cube = xr.Dataset(
        {"max_drawdown": (("strategy", "path"), rng.uniform(0, 0.5, (2, 400)),
                          {"units": "1", "long_name": "max drawdown"}),
         "event_days": (("strategy", "path", "lag"), rng.integers(0, 9, (2, 400, 3))
                        .astype(np.float32)),
         "vix_max": (("path",), rng.uniform(12, 80, 400))},
        coords={"strategy": ("strategy", ["unhedged", "alvh"], {"long_name": "strategy"}),
                "path": np.arange(400), "lag": [-1, 0, 1],
                "risk_capital": ("strategy", [0.1, 0.12])},
        attrs={"title": "t", "n_paths": 400})
    assert next(iter(cube.variables)) == "max_drawdown"  # data first in memory
    path = write_cube(cube, tmp_path / "c.nc")
    plain = tmp_path / "plain.nc"
    cube.to_netcdf(plain, engine="h5netcdf", encoding=_old_writer_encoding(_encoding(cube)))
    with h5py.File(path, "r") as fh:
        order = list(fh.keys())  # creation order (netCDF-4 files track it)
    first_data = min(order.index(name) for name in cube.data_vars)
    assert all(order.index(name) < first_data for name in ("strategy", "path", "lag"))
    back = xr.open_dataset(path, engine=NETCDF_ENGINE).load()
    reference = xr.open_dataset(plain, engine=NETCDF_ENGINE).load()
    xr.testing.assert_identical(back, reference)
    xr.testing.assert_identical(back, cube)
    assert list(back.data_vars) == list(cube.data_vars)
    for name in cube.variables:
        ours, theirs = back[name].encoding, reference[name].encoding
        for key in ("fletcher32", "compression", "shuffle", "chunksizes", "dtype"):
            assert ours.get(key) == theirs.get(key), (name, key)


def test_a_run_s_cube_written_by_netcdf_c_equals_the_h5netcdf_writer_s(small_cube, tmp_path):
    """Issue 30: write_cube writes through netCDF4-python (netCDF-C), 2.3x faster than
    h5netcdf's Python layer on the benchmark's cube. A run's whole cube (every variable,
    the runner's late quantiles included) written by write_cube and by h5netcdf as up to
    0.11.5 (blocks shaped by h5py) reads back identical, each variable with the same
    checksum, compression, shuffle, block shape and type; every block of the
    netCDF-C file is written (none would read as fill values), and the file really comes
    from netCDF-C (its ``_NCProperties`` name it), so a writer quietly reverted to
    h5netcdf fails here."""
    import h5py
    import xarray as xr

    from simulator.results.cube import (
        NETCDF_ENGINE,
        _encoding,
        _unwritten_arrays,
        open_cube,
        write_cube,
    )

    cube = open_cube(small_cube)
    ours = write_cube(cube, tmp_path / "ours.nc")
    theirs = tmp_path / "theirs.nc"
    cube.to_netcdf(theirs, engine="h5netcdf", encoding=_old_writer_encoding(_encoding(cube)))
    def made_by(path):  # "version=2,netcdf=4.10.1,hdf5=2.2.0": the writing library first
        with h5py.File(path, "r") as fh:
            return fh.attrs["_NCProperties"].decode().split(",")[1].split("=")[0]

    assert made_by(ours) == "netcdf" and made_by(theirs) == "h5netcdf"
    assert _unwritten_arrays(ours) == set()
    back = xr.open_dataset(ours, engine=NETCDF_ENGINE).load()
    reference = xr.open_dataset(theirs, engine=NETCDF_ENGINE).load()
    xr.testing.assert_identical(back, reference)
    xr.testing.assert_identical(open_cube(ours), cube)
    assert len(cube.data_vars) > 30 and "equity_q" in cube  # the whole cube
    for name in cube.variables:
        a, b = back[name].encoding, reference[name].encoding
        for key in ("fletcher32", "compression", "shuffle", "chunksizes", "dtype"):
            assert a.get(key) == b.get(key), (name, key)


def test_the_writer_s_block_cache_is_small_while_it_writes_and_restored_after(tmp_path,
                                                                            monkeypatch):
    """Issue 30: netCDF-C keeps each variable's block cache (64 MiB by default) until the
    file closes, which put a million-path cube's write 570 MiB above h5netcdf's; the writer
    sets WRITER_CHUNK_CACHE for both of its writes (the cube, then the late variables) in
    the forked child, and where there is no fork it writes in this process and restores
    the process's own setting after."""
    import json
    import os

    import netCDF4
    import numpy as np
    import xarray as xr

    from simulator.results import cube as cube_module

    log = tmp_path / "caches.jsonl"  # the forked child's calls come back through a file
    real = xr.Dataset.to_netcdf

    def spy(self, *args, **kwargs):
        with open(log, "a") as fh:
            fh.write(json.dumps([os.getpid(), *netCDF4.get_chunk_cache()]) + "\n")
        return real(self, *args, **kwargs)

    monkeypatch.setattr(xr.Dataset, "to_netcdf", spy)
    before = netCDF4.get_chunk_cache()
    assert before != cube_module.WRITER_CHUNK_CACHE
    wanted = list(cube_module.WRITER_CHUNK_CACHE)

    def written(name):
        data = xr.Dataset({"a": (("s", "path"), np.arange(600.0).reshape(2, 300))})
        path = cube_module.write_cube(data, tmp_path / name,
                                      late=lambda: xr.Dataset({"q": ("s", [1.0, 2.0])}))
        back = xr.open_dataset(path, engine="h5netcdf").load()
        np.testing.assert_array_equal(back["a"].values, data["a"].values)
        np.testing.assert_array_equal(back["q"].values, [1.0, 2.0])
        calls = [json.loads(line) for line in log.read_text().splitlines()]
        log.unlink()
        return calls

    forked = written("forked.nc")
    assert len(forked) == 2 and all(pid != os.getpid() for pid, *_ in forked)
    assert all(cache == pytest.approx(wanted) for _, *cache in forked)
    assert netCDF4.get_chunk_cache() == before
    monkeypatch.delattr(os, "fork")
    here = written("here.nc")  # the late variables join the cube: one write
    assert len(here) == 1 and here[0][0] == os.getpid()
    assert here[0][1:] == pytest.approx(wanted)
    assert netCDF4.get_chunk_cache() == before


def test_late_variables_are_written_while_the_rest_is_and_their_error_writes_nothing(
        tmp_path):
    """Issue 30: the runner's equity quantiles are computed while a child writes the rest of
    the cube, then appended by it. The file and the cube get them; an error in computing them
    is raised here and replaces nothing (an earlier cube at the path survives)."""
    import numpy as np
    import xarray as xr

    from simulator.results.cube import write_cube

    rng = np.random.default_rng(34)
    cube = xr.Dataset({"a": (("s", "path"), rng.normal(size=(2, 300)))},
                      coords={"s": ["x", "y"], "day": np.arange(5)})
    late_values = rng.normal(size=(2, 5))
    path = write_cube(cube, tmp_path / "c.nc",
                      late=lambda: xr.Dataset({"q": (("s", "day"), late_values, {"units": "1"})}))
    np.testing.assert_array_equal(cube["q"].values, late_values)
    back = xr.open_dataset(path, engine="h5netcdf").load()
    np.testing.assert_array_equal(back["q"].values, late_values)
    np.testing.assert_array_equal(back["a"].values, cube["a"].values)
    assert back["q"].attrs["units"] == "1" and list(back["s"].values) == ["x", "y"]
    before = path.read_bytes()

    def failing():
        raise RuntimeError("quantiles failed")

    with pytest.raises(RuntimeError, match="quantiles failed"):
        write_cube(cube.drop_vars("q"), path, late=failing)
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["c.nc"]


def test_work_meanwhile_overlaps_the_write_and_its_error_writes_nothing(tmp_path, monkeypatch):
    """``alvh claims`` evaluates the cube while a child writes it (``meanwhile``): the
    function sees the cube with the late variables, runs before the child is waited for, and
    the file is the same; an error in it kills the child and replaces nothing."""
    import os

    import numpy as np
    import xarray as xr

    from simulator.results.cube import write_cube

    children = []
    fork = os.fork

    def recorded_fork():
        pid = fork()
        if pid:
            children.append(pid)
        return pid

    monkeypatch.setattr(os, "fork", recorded_fork)
    rng = np.random.default_rng(35)
    cube = xr.Dataset({"a": (("s", "path"), rng.normal(size=(2, 300)))},
                      coords={"s": ["x", "y"], "day": np.arange(5)})
    late_values = rng.normal(size=(2, 5))
    seen = {}

    def meanwhile(c):
        seen["q"] = c["q"].values.copy()
        os.kill(children[-1], 0)  # the writer not yet waited for (running, or a zombie)
        seen["before the wait"] = True

    path = write_cube(cube, tmp_path / "c.nc", meanwhile=meanwhile,
                      late=lambda: xr.Dataset({"q": (("s", "day"), late_values)}))
    assert seen["before the wait"]
    np.testing.assert_array_equal(seen["q"], late_values)
    back = xr.open_dataset(path, engine="h5netcdf").load()
    np.testing.assert_array_equal(back["q"].values, late_values)
    np.testing.assert_array_equal(back["a"].values, cube["a"].values)
    before = path.read_bytes()

    def failing(c):
        raise RuntimeError("claims failed")

    with pytest.raises(RuntimeError, match="claims failed"):
        write_cube(cube.drop_vars("q"), path, meanwhile=failing,
                   late=lambda: xr.Dataset({"q": (("s", "day"), late_values + 1)}))
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["c.nc"]
    with pytest.raises(ProcessLookupError):  # the killed writer was waited for: no zombie
        os.kill(children[-1], 0)


def test_incomplete_foreign_and_empty_cubes_are_refused(small_cube, tmp_path, capsys):
    """A cube without a variable gave AttributeError, zero paths ZeroDivisionError, a foreign
    NetCDF a cryptic message, and a small file declaring a huge unwritten variable made
    report allocate gigabytes (the cube was loaded eagerly)."""
    import h5netcdf
    import numpy as np
    import xarray as xr

    from simulator.results.cube import open_cube

    cube = open_cube(small_cube)
    cube.drop_vars("total_return").to_netcdf(tmp_path / "missing.nc", engine="h5netcdf")
    _report_and_export_exit_2(tmp_path / "missing.nc", capsys, "missing variable(s) total_return")
    xr.Dataset({"t": ("x", np.arange(3.0))}, attrs={"title": "weather"}).to_netcdf(
        tmp_path / "foreign.nc", engine="h5netcdf")
    _report_and_export_exit_2(tmp_path / "foreign.nc", capsys, "not a results cube")
    cube.isel(path=slice(0, 0)).to_netcdf(tmp_path / "empty.nc", engine="h5netcdf")
    _report_and_export_exit_2(tmp_path / "empty.nc", capsys, "holds no results (paths 0")
    (tmp_path / "text.nc").write_text("not NetCDF\n")
    _report_and_export_exit_2(tmp_path / "text.nc", capsys, "not a readable NetCDF")
    forged = _copy(small_cube, tmp_path, "forged.nc")
    with h5netcdf.File(forged, "a") as fh:  # 1e9 float64 declared, nothing written: ~ 10 kB
        fh.dimensions["big"] = 10**9
        fh.create_variable("huge", ("big",), "f8", chunks=(2**20,), compression="gzip")
    assert forged.stat().st_size < small_cube.stat().st_size + 100_000
    t0 = time.perf_counter()
    with pytest.raises(ValueError, match="variable huge was never written whole"):
        open_cube(forged)
    assert time.perf_counter() - t0 < 5.0


def test_a_full_disk_at_the_final_write_leaves_the_old_cube(small_cube, tmp_path, capsys,
                                                           monkeypatch):
    """Issue 34.9: HDF5 failing mid-write left half-closed objects that crashed the process
    as they were collected (exit 139, the temporary and the lock left behind). The cube is
    written by a child process: its crash is reported, exit 2, nothing is left, and the
    cube that was there survives."""
    import os
    import signal

    import xarray as xr

    scenario = tmp_path / "s.yaml"
    scenario.write_text(BASE)
    out = _copy(small_cube, tmp_path, "out.nc")
    kept = out.read_bytes()
    parent, real = os.getpid(), xr.Dataset.to_netcdf

    def crash_mid_write(self, path, *args, **kwargs):
        real(self, path, *args, **kwargs)
        if os.getpid() != parent:  # the writer dies as HDF5 did (never this test's process)
            os.kill(os.getpid(), signal.SIGSEGV)
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(xr.Dataset, "to_netcdf", crash_mid_write)
    assert main(["run", str(scenario), "--out", str(out), "--quiet", "--overwrite"]) == 2
    err = capsys.readouterr().err
    assert str(out) in err and "Traceback" not in err
    assert "the NetCDF writer died (SIGSEGV" in err or "No space left" in err
    assert out.read_bytes() == kept
    assert sorted(p.name for p in tmp_path.iterdir() if p.name != "s.yaml") == \
        [".out.nc.partial", "out.nc"]  # finished chunks kept for --resume; no lock, no temp


@pytest.mark.parametrize("free_mib", [0.2, 10_000.0])
def test_a_writer_error_without_errno_is_full_disk_only_where_the_cube_does_not_fit(
        tmp_path, monkeypatch, free_mib):
    """netCDF-C reports a full disk only as "NetCDF: HDF error" (a RuntimeError, no errno).
    With less room left than the cube's arrays take, write_cube raises ENOSPC naming both
    sizes; with room enough, the writer's own error (EIO). Either way it keeps the writer's
    words, and an earlier cube at the path survives."""
    import collections
    import errno
    import os
    import shutil

    import numpy as np
    import xarray as xr

    from simulator.results.cube import write_cube

    data = xr.Dataset({"a": (("s", "path"), np.arange(2e5).reshape(2, 100_000))})  # 1.5 MiB
    path = tmp_path / "c.nc"
    path.write_bytes(b"the earlier cube")
    parent, real_usage = os.getpid(), shutil.disk_usage

    def hdf_error(self, *args, **kwargs):
        assert os.getpid() != parent  # only ever the forked writer
        raise RuntimeError("NetCDF: HDF error")

    def usage(where):
        total, used, _ = real_usage(where)
        return collections.namedtuple("usage", "total used free")(total, used,
                                                                  int(free_mib * 2**20))

    monkeypatch.setattr(xr.Dataset, "to_netcdf", hdf_error)
    monkeypatch.setattr(shutil, "disk_usage", usage)
    with pytest.raises(OSError) as caught:
        write_cube(data, path)
    message = str(caught.value)
    assert "RuntimeError: NetCDF: HDF error" in message and f"{free_mib:.1f} MiB free" in message
    assert caught.value.filename == str(path)
    if free_mib < 1.5:
        assert caught.value.errno == errno.ENOSPC
        assert "No space left on device" in message and "takes up to 1.5 MiB" in message
    else:
        assert caught.value.errno == errno.EIO and "writing the cube failed" in message
    assert path.read_bytes() == b"the earlier cube"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["c.nc"]


def test_a_really_full_disk_exits_2(small_cube, tmp_path, capsys):
    """The same on a 600 kB tmpfs (root only): the checkpoints fit (the records and two
    float32 books a strategy, 485 kB at most; 0.11.13 deletes a finished scenario's books,
    leaving 350 kB), the cube (365 kB more) does not, and HDF5 itself hits ENOSPC writing
    it."""
    import subprocess

    folder = tmp_path / "tiny"
    folder.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=600k", "tmpfs",
                              str(folder)], capture_output=True)
    if mounted.returncode != 0:
        pytest.skip("needs a tmpfs mount (root)")
    try:
        scenario = tmp_path / "s.yaml"
        scenario.write_text(BASE.replace("paths: 16, days: 21, chunk_paths: 16",
                                         "paths: 400, days: 21, chunk_paths: 100")
                            + "  alvh: {condor: {preset: monthly_16_delta}, "
                              "hedge: {preset: alvh_40_40_20}}\n")  # checkpoints fit, not the cube
        out = folder / "o.nc"
        assert main(["run", str(scenario), "--out", str(out), "--quiet"]) == 2
        err = capsys.readouterr().err
        assert str(out) in err and "Traceback" not in err
        # netCDF-C says only "HDF error": the room left against the cube's size says why
        assert "No space left on device" in err and "MiB free there" in err, err
        assert sorted(p.name for p in folder.iterdir()) == [".o.nc.partial"]
    finally:
        subprocess.run(["umount", str(folder)], check=True)


def _tcp_server(reply: bytes | None):
    """A local TCP server that answers every connection with ``reply`` once it has read
    something (an HTTP server's 400), or never (``None``: a silent port)."""
    import socket
    import threading

    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(8)

    def serve():
        while True:
            try:
                conn, _ = sock.accept()
            except OSError:  # closed at the end of the test
                return
            conn.recv(65536)
            if reply is not None:
                conn.sendall(reply)
            threading.Timer(30, conn.close).start()

    threading.Thread(target=serve, daemon=True).start()
    return sock


def test_a_scheduler_address_that_is_not_a_scheduler_exits_2_in_time(tmp_path, capsys,
                                                                     monkeypatch):
    """Issue 34.12: a ``--scheduler`` at an HTTP port died with a 3 EiB MemoryError traceback,
    a silent port hung forever, and ``inproc://``/``ucx://`` gave tracebacks. One deadline now
    covers connect, handshake and the worker check; exit 2 naming the address."""
    pytest.importorskip("distributed")
    from distributed import LocalCluster

    import simulator.scenario.cluster as cluster

    monkeypatch.setattr(cluster, "SCHEDULER_DEADLINE", 2.0)
    scenario = tmp_path / "s.yaml"
    scenario.write_text(BASE)
    out = tmp_path / "never.nc"
    http = _tcp_server(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")
    silent = _tcp_server(None)
    no_workers = LocalCluster(n_workers=0, processes=False, protocol="tcp://",
                              dashboard_address=None)
    cases = [(f"tcp://127.0.0.1:{http.getsockname()[1]}", "not a Dask scheduler"),
             (f"tcp://127.0.0.1:{silent.getsockname()[1]}", "no Dask handshake within 2 s"),
             ("inproc://x", "lives inside one Python process"),
             ("ucx://127.0.0.1:1", "distributed-ucxx"),
             (no_workers.scheduler_address, "has no workers")]
    try:
        for address, words in cases:
            t0 = time.perf_counter()
            assert main(["run", str(scenario), "--out", str(out), "--scheduler", address,
                         "-q"]) == 2
            err = capsys.readouterr().err
            assert time.perf_counter() - t0 < 10.0, address
            assert address in err and words in err and "Traceback" not in err, err
            assert not out.exists()
    finally:
        no_workers.close()
        http.close()
        silent.close()


def test_the_forked_cube_writer_does_not_wait_on_a_dask_client(tmp_path):
    """With a Dask client active, xarray's write lock is a ``distributed.Lock`` served by the
    client's event loop: a thread the forked writer does not have (it waited forever)."""
    import threading

    import numpy as np
    import xarray as xr

    distributed = pytest.importorskip("distributed")
    from simulator.results.cube import write_cube

    cluster = distributed.LocalCluster(n_workers=1, processes=False, dashboard_address=None)
    client = distributed.Client(cluster)
    try:
        out = tmp_path / "c.nc"
        done = threading.Thread(target=write_cube, daemon=True,
                                args=(xr.Dataset({"x": ("a", np.arange(5.0))}), out))
        done.start()
        done.join(60)
        assert not done.is_alive() and out.is_file()
    finally:
        client.close()
        cluster.close()


def test_an_atomic_write_that_fails_without_a_file_name_names_its_target(tmp_path):
    """ENOSPC from a stream write (numpy's savez on a full disk) carries no file name; the
    atomic write adds its target's, so `alvh run` says which file did not fit, and removes
    its temporary file."""
    import errno

    from simulator.common.files import atomic_path

    target = tmp_path / "chunk.npz"
    with pytest.raises(OSError) as caught, atomic_path(target, fsync=False) as tmp:
        tmp.write_bytes(b"partial")
        raise OSError(errno.ENOSPC, "No space left on device")
    assert caught.value.errno == errno.ENOSPC and caught.value.filename == str(target)
    assert list(tmp_path.iterdir()) == []
    with pytest.raises(OSError) as named, atomic_path(target) as tmp:  # a named error: as is
        raise PermissionError(errno.EACCES, "Permission denied", "/elsewhere")
    assert named.value.filename == "/elsewhere"
