"""``make bench``: speed and memory of the project's kernels against baselines in the same run.

Figures are ratios against a baseline measured in the same process, because the machines are
shared and noisy. Results go to ``benchmarks/results/latest.json`` (and are printed).

    python -m benchmarks.run [--paths N] [--days N] [--repeats R] [--out FILE]
"""

from __future__ import annotations

import argparse
import json
import os
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
    """(best wall seconds over ``repeats`` calls, :func:`_peak` of one more call). The timed
    calls run without tracemalloc: it traces every allocation, numba's too (its runtime
    allocates through Python's raw allocator, so each allocation in a kernel's thread then
    takes the GIL), which charged the engine's per-path scratch and numpy's per-step
    temporaries to their time: an index core's evaluation took 0.69 s traced against 0.17 s
    (docs/performance.md §1, "Where the targets stand")."""
    return _best(fn, repeats), _peak(fn)


def _best_alternating(fn_a, fn_b, repeats: int) -> tuple[float, float]:
    """(best seconds of ``fn_a``, best of ``fn_b``) over ``repeats`` calls of each, in turn
    (a, b, a, b, ...): their ratio compares calls made a second apart, not all of one side
    and then all of the other."""
    best_a = best_b = float("inf")
    for _ in range(repeats):
        best_a = min(best_a, _best(fn_a, 1))
        best_b = min(best_b, _best(fn_b, 1))
    return best_a, best_b


def _peak(fn) -> float:
    """Peak traced memory (MiB) of one call of ``fn``."""
    tracemalloc.start()
    try:
        fn()
        return tracemalloc.get_traced_memory()[1] / 2**20
    finally:
        tracemalloc.stop()


def bench_paths(n_paths: int, n_days: int, repeats: int) -> dict:
    model = sim.load_model("svcj_default")
    t0 = time.perf_counter()
    sim.simulate_paths(model, 16, 4, seed=0)  # compile (or load the numba cache)
    warmup = time.perf_counter() - t0
    steps = n_paths * n_days

    def project():
        return sim.simulate_paths(model, n_paths, n_days, seed=1)

    def baseline():
        return simulate_numpy(model, n_paths, n_days, seed=1)

    # the two alternate, so that a busy spell of this shared machine slows both sides; two
    # calls more than the other sections, since this ratio sits near its target
    calls = repeats + 2
    t_proj, t_base = _best_alternating(project, baseline, calls)
    mem_proj, mem_base = _peak(project), _peak(baseline)
    return {
        "what": "SVCJ paths, svcj_default under P, full daily paths kept (spx, v; vix too for "
                "the project)",
        "n_paths": n_paths, "n_days": n_days, "repeats": calls,
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


def bench_two_factor(n_paths: int, n_days: int, repeats: int) -> dict:
    """Two factors (svcj_2f_default) against one (svcj_default), same sizes, same run: path
    generation (the second factor's QE step, state-dependent jumps) and the evaluation of
    unhedged + ALVH on those paths (every lookup blends two m slices of the tables)."""
    from simulator.model.paths import PathGenerator
    from simulator.strategy import StrategyEngine, strategy
    from simulator.strategy.config import StrategyConfig

    strategies = {"unhedged": strategy("monthly_16_delta"),
                  "alvh": strategy("monthly_16_delta", "alvh_40_40_20")}
    # the pair's parts on the same paths, for where the 4x target stands: the day loop with
    # no option (an S&P 500 core: the constant-maturity futures, the VVIX, one book), then
    # the unhedged condor alone (its track and one book)
    parts = {"index_core": {"index": StrategyConfig(index="sp500")},
             "unhedged_condor": {"unhedged": strategies["unhedged"]}}
    out = {"what": "P paths with full daily paths kept (two factors keep m too); unhedged + "
                   "ALVH evaluated on them; an index core alone and the unhedged condor alone "
                   "on the same paths", "n_paths": n_paths, "n_days": n_days}
    for label, name in (("one_factor", "svcj_default"), ("two_factor", "svcj_2f_default")):
        model = sim.load_model(name)
        engine = StrategyEngine(model, strategies)
        gen = PathGenerator(model, n_paths, n_days, 1, "P", 1, n_paths, 0)
        warm = gen.chunk(0, min(16, n_paths))  # compile (or load the numba cache)
        engine.evaluate(warm.spx, warm.v, warm.vix, m=warm.m)
        t_paths = _best(lambda g=gen: g.chunk(0, n_paths), repeats)
        chunk = gen.chunk(0, n_paths)
        t_eval = _best(lambda e=engine, c=chunk: e.evaluate(c.spx, c.v, c.vix, m=c.m),
                       repeats)
        out[f"{label}_paths_seconds"] = round(t_paths, 4)
        out[f"{label}_evaluation_seconds"] = round(t_eval, 4)
        # issue 30's target holds for both families: evaluation <= 4x their own paths
        out[f"{label}_evaluation_vs_paths"] = round(t_eval / t_paths, 2)
        out[f"{label}_core_ns_per_path_day"] = round(
            t_eval * numba.get_num_threads() * 1e9 / (n_paths * n_days))
        for part, subset in parts.items():
            part_engine = StrategyEngine(model, subset)
            part_engine.evaluate(warm.spx, warm.v, warm.vix, m=warm.m)
            t_part = _best(lambda e=part_engine, c=chunk: e.evaluate(c.spx, c.v, c.vix, m=c.m),
                           repeats)
            out[f"{label}_{part}_vs_paths"] = round(t_part / t_paths, 2)
    out["target_evaluation_vs_paths"] = 4.0
    out["paths_two_vs_one_factor"] = round(out["two_factor_paths_seconds"]
                                           / out["one_factor_paths_seconds"], 2)
    out["evaluation_two_vs_one_factor"] = round(out["two_factor_evaluation_seconds"]
                                                / out["one_factor_evaluation_seconds"], 2)
    return out


def _scipy_black_scholes_put(spot, strike, tau, sigma, r, q):
    """The baseline: textbook vectorised Black–Scholes with scipy.stats.norm."""
    from scipy.stats import norm

    sd = sigma * np.sqrt(tau)
    d1 = (np.log(spot / strike) + (r - q) * tau) / sd + 0.5 * sd
    d2 = d1 - sd
    return strike * np.exp(-r * tau) * norm.cdf(-d2) - spot * np.exp(-q * tau) * norm.cdf(-d1)


def bench_pricing(n_options: int, repeats: int) -> dict:
    from simulator.pricing.tables import load_tables

    model = sim.load_model("svcj_default")
    t0 = time.perf_counter()
    tables = load_tables(model.Q, model.r, model.q, use_cache=False)
    build = time.perf_counter() - t0
    rng = np.random.default_rng(0)
    spot = np.full(n_options, 5000.0)
    v = rng.uniform(0.005, 0.2, n_options)
    days = rng.integers(1, 120, n_options).astype(float)
    strike = 5000.0 * np.exp(rng.uniform(-0.3, 0.15, n_options))
    vix_strike = rng.uniform(15, 60, n_options)
    sigma = np.sqrt(v)
    tables.spx_option(spot[:10], v[:10], days[:10], strike[:10])  # compile / load cache
    tables.vix_option(v[:10], days[:10], vix_strike[:10])
    t_spx = _best(lambda: tables.spx_option(spot, v, days, strike, "put"), repeats)
    t_delta = _best(lambda: tables.spx_delta(spot, v, days, strike, "put"), repeats)
    t_vix = _best(lambda: tables.vix_option(v, days, vix_strike, "call"), repeats)
    t_bs = _best(lambda: _scipy_black_scholes_put(spot, strike, days / 252, sigma, model.r,
                                                  model.q), repeats)
    per = 1e9 / n_options
    return {
        "what": "1e6 random options (v 0.005-0.2, 1-120 days, strikes -30%..+15%), svcj_default",
        "n_options": n_options,
        "table_build_seconds": round(build, 2),
        "spx_option_ns": round(t_spx * per, 1),
        "spx_delta_ns": round(t_delta * per, 1),
        "vix_option_ns": round(t_vix * per, 1),
        "scipy_black_scholes_ns": round(t_bs * per, 1),
        "spx_option_vs_scipy_bs": round(t_spx / t_bs, 2),
        "vix_option_vs_scipy_bs": round(t_vix / t_bs, 2),
    }


def bench_strategies(n_paths: int, n_days: int, repeats: int) -> dict:
    """Engine cost against path generation on the same paths (same process, same run)."""
    from simulator.model.paths import iter_path_chunks
    from simulator.strategy import StrategyEngine, strategy

    model = sim.load_model("svcj_default")
    chunk = 4096

    def generate():
        return list(iter_path_chunks(model, n_paths, n_days, seed=1, chunk_size=chunk))

    pair = {"unhedged": strategy("monthly_16_delta"),
            "alvh": strategy("monthly_16_delta", "alvh_40_40_20")}
    sweep = {"unhedged": strategy("monthly_16_delta")}
    for b in (0.005, 0.01, 0.015, 0.02, 0.025, 0.03, 0.04):
        sweep[f"alvh_{b}"] = strategy("monthly_16_delta",
                                      {"preset": "alvh_40_40_20", "budget_annual": b})
    pair_engine = StrategyEngine(model, pair)
    sweep_engine = StrategyEngine(model, sweep)
    single_engines = [StrategyEngine(model, {k: s}) for k, s in sweep.items()]
    t0 = time.perf_counter()
    warm = next(iter_path_chunks(model, 8, n_days, seed=1))
    for e in (pair_engine, sweep_engine, *single_engines):
        e.evaluate(warm.spx, warm.v, warm.vix)  # compile (or load the numba cache)
    warmup = time.perf_counter() - t0
    chunks = generate()

    def evaluate(engine):
        for c in chunks:
            engine.evaluate(c.spx, c.v, c.vix, m=c.m)

    def separate():  # 8 independent runs: each generates its paths and evaluates one strategy
        for e in single_engines:
            for c in generate():
                e.evaluate(c.spx, c.v, c.vix)

    def shared():
        for c in generate():
            sweep_engine.evaluate(c.spx, c.v, c.vix)

    t_paths = _best(generate, repeats)
    t_pair = _best(lambda: evaluate(pair_engine), repeats)
    t_shared = _best(shared, repeats)
    t_separate = _best(separate, max(1, repeats - 1))
    return {
        "what": "monthly_16_delta condor (4 SPX legs, laddered tranches) unhedged + ALVH 40/40/20 "
                "(3 VIX call layers), every path every day; 8 = unhedged + 7 ALVH budgets",
        "n_paths": n_paths, "n_days": n_days, "chunk_paths": chunk,
        "first_call_seconds": round(warmup, 2),
        "path_generation_seconds": round(t_paths, 3),
        "evaluation_unhedged_plus_alvh_seconds": round(t_pair, 3),
        "evaluation_vs_paths": round(t_pair / t_paths, 2),
        "target_evaluation_vs_paths": 4.0,
        "eight_shared_seconds": round(t_shared, 3),
        "eight_separate_seconds": round(t_separate, 3),
        "shared_vs_separate": round(t_shared / t_separate, 3),
        "target_shared_vs_separate": 0.5,
    }


def bench_runner(n_paths: int, n_days: int, repeats: int) -> dict:
    """Scenario runner (checkpoints, per-path metrics, equity quantiles, NetCDF) against the
    bare generate-and-evaluate loop on the same paths and strategies."""
    import tempfile

    from simulator.model.paths import PathGenerator
    from simulator.scenario.loader import parse_scenario
    from simulator.scenario.runner import run_plan
    from simulator.strategy import StrategyEngine

    text = f"""
name: bench
simulation: {{paths: {n_paths}, days: {n_days}, seed: 1, chunk_paths: 2048}}
strategies:
  unhedged: {{condor: {{preset: monthly_16_delta}}, hedge: none}}
  alvh: {{condor: {{preset: monthly_16_delta}}, hedge: {{preset: alvh_40_40_20}}}}
"""
    plan = parse_scenario(text)
    sc = plan.scenarios[0]
    engine = StrategyEngine(sc.model, plan.strategies, costs=plan.costs)
    gen = PathGenerator(sc.model, n_paths, n_days, 1, "P", 1, 2048, sc.stream)

    def bare():
        for start in range(0, n_paths, 2048):
            c = gen.chunk(start, min(2048, n_paths - start))
            engine.evaluate(c.spx, c.v, c.vix, m=c.m)

    folder = Path(tempfile.mkdtemp(prefix="alvh-bench-"))
    run_plan(parse_scenario(text.replace(f"paths: {n_paths}", "paths: 64")))  # warm up
    # timed without tracemalloc (it taxes every allocation, and the runner allocates more);
    # peak traced memory from one more call of each
    t_bare = _best(bare, repeats)
    t_run = _best(lambda: run_plan(plan, out=folder / "bench.nc", overwrite=True), repeats)
    mem_bare = _peak(bare)
    mem_run = _peak(lambda: run_plan(plan, out=folder / "bench.nc", overwrite=True))
    size = (folder / "bench.nc").stat().st_size / 2**20
    return {
        "what": "1 scenario, unhedged + ALVH 40/40/20, chunks of 2048 paths: alvh run's work "
                "(checkpoint per chunk, metrics, equity quantiles, cube, NetCDF) vs the bare "
                "loop of path generation + engine",
        "n_paths": n_paths, "n_days": n_days,
        "bare_seconds": round(t_bare, 3), "runner_seconds": round(t_run, 3),
        "runner_vs_bare": round(t_run / t_bare, 3), "target_runner_vs_bare": 1.25,
        "bare_peak_mib": round(mem_bare, 1), "runner_peak_mib": round(mem_run, 1),
        "cube_file_mib": round(size, 1),
    }


def bench_summary(n_paths: int, n_books: int, repeats: int, n_boot: int = 1000) -> dict:
    """The summary's bootstrap (every figure of every book on the same 1,000 resamples): the
    path-count kernel against numpy gathering each resample and partitioning it (the previous
    implementation, kept as ``stats.bootstrap_draws``), same indices."""
    from simulator.results.stats import (
        RISK_STATISTICS,
        STATISTICS,
        bootstrap_draws,
        figure_draws,
        resample_indices,
    )

    rng = np.random.default_rng(16)
    figures = {name: st.figure for name, st in STATISTICS.items()}
    for name, st in RISK_STATISTICS.items():
        figures |= {f"{name}:{k}": f for k, f in enumerate(st.figures)}
    fields = {f.field for f in figures.values()}
    books = {}
    for b in range(n_books):  # the summary's fields with realistic ties and NaN shares
        book = {field: rng.normal(size=n_paths) for field in fields}
        book["max_drawdown"] = np.round(rng.gamma(2.0, 0.03, n_paths), 6)
        book["recovery_days"] = np.where(rng.random(n_paths) < 0.4, np.nan,
                                         rng.integers(1, 252, n_paths).astype(float))
        book["n_months"] = np.full(n_paths, 12.0)
        books[f"book{b}"] = book
    idx = resample_indices(n_paths, n_boot, 7)
    figure_draws(figures, {"book0": books["book0"]}, idx[:2])  # compile or load the cache

    def numpy_gather():
        statistics = {k: (lambda d, f=f: f(d["b"])) for k, f in figures.items()}
        for book in books.values():
            bootstrap_draws(statistics, {"b": book}, idx)

    t_kernel = _best(lambda: figure_draws(figures, books, idx), repeats)
    t_numpy = _best(numpy_gather, 1)
    return {
        "what": f"summary bootstrap: {len(figures)} figures of each of {n_books} books "
                f"(15 pairs + the baseline) on {n_boot} resamples of {n_paths} paths",
        "n_paths": n_paths, "n_books": n_books, "n_boot": n_boot,
        "kernel_seconds": round(t_kernel, 3), "numpy_gather_seconds": round(t_numpy, 3),
        "kernel_vs_numpy": round(t_kernel / t_numpy, 3), "target_kernel_seconds": 5.0,
    }


def bench_claims(n_paths: int) -> dict:
    """``alvh claims --paths N`` end to end (scenarios/claims.yaml: 6 scenarios x 20
    strategies, bootstrap CIs)."""
    import subprocess
    import sys
    import tempfile

    out = tempfile.mkdtemp(prefix="alvh-claims-")
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-m", "simulator.cli", "claims", "--paths", str(n_paths),
                    "--out", out, "-q"], check=True, stdout=subprocess.DEVNULL)
    return {"what": "alvh claims: 6 scenarios x 20 strategies, every claim's bootstrap CIs",
            "n_paths": n_paths, "seconds": round(time.perf_counter() - t0, 1),
            "target_seconds_at_20000_paths": 60.0}


def _best(fn, repeats: int) -> float:
    best = float("inf")
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def bench_cluster(n_paths: int, n_days: int, repeats: int) -> dict:
    """The same sweep run here and on a LocalCluster of 1 and 2 worker processes (cluster
    start excluded, tables cached): wall time and speed-up; the scheduling overhead per unit
    from many small units; and what shipping the pricing tables with the tasks would cost
    against each worker loading them from the shared table cache."""
    import pickle

    from simulator.pricing.pricer import tables_for_model
    from simulator.pricing.tables import load_tables
    from simulator.scenario.cluster import connect
    from simulator.scenario.loader import load_scenario, parse_scenario
    from simulator.scenario.runner import run_plan

    sweep = load_scenario("scenarios/hedge_ratio_sweep.yaml", n_paths=n_paths)
    small_text = f"""
name: units
simulation: {{paths: 1024, days: {n_days}, seed: 1, chunk_paths: 16}}
strategies:
  unhedged: {{condor: {{preset: monthly_16_delta}}, hedge: none}}
"""
    small = parse_scenario(small_text)
    n_units = 1024 // 16
    run_plan(parse_scenario(small_text.replace("paths: 1024", "paths: 32")))  # warm up
    out = {"what": f"{sweep.name}: {len(sweep.scenarios)} scenarios x {len(sweep.strategies)} "
                   f"strategies, {n_paths} paths, chunks of {sweep.simulation.chunk_paths}; "
                   "cluster start excluded", "n_paths": n_paths,
           "cores": os.cpu_count(), "local_seconds": round(_best(lambda: run_plan(sweep),
                                                                 repeats), 3)}
    t_small_local = _best(lambda: run_plan(small), repeats)
    for n_workers in (1, 2):
        client, cluster = connect(workers=n_workers)
        try:
            run_plan(parse_scenario(small_text.replace("paths: 1024", "paths: 32")),
                     client=client)  # each worker compiles (or loads) the kernels once
            out[f"workers_{n_workers}_seconds"] = round(
                _best(lambda c=client: run_plan(sweep, client=c), repeats), 3)
            if n_workers == 1:
                t_small = _best(lambda c=client: run_plan(small, client=c), repeats)
                out["overhead_per_unit_ms"] = round(1000 * (t_small - t_small_local)
                                                    / n_units, 2)
        finally:
            client.close()
            cluster.close()
    out["speedup_2_vs_1_workers"] = round(out["workers_1_seconds"] / out["workers_2_seconds"],
                                          2)
    out["two_workers_vs_local"] = round(out["workers_2_seconds"] / out["local_seconds"], 2)
    model = sweep.scenarios[0].model
    tables = tables_for_model(model)
    if model.two_factor:
        from simulator.pricing.tables2f import load_tables_2f as load_tables
    out["table_cache_load_seconds"] = round(_best(lambda: load_tables(model.Q, model.r,
                                                                      model.q), repeats), 4)
    out["table_pickle_mib"] = round(len(pickle.dumps(tables.kernel_tables)) / 2**20, 2)
    return out


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--paths", type=int, default=50_000)
    parser.add_argument("--days", type=int, default=252)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--options", type=int, default=1_000_000)
    parser.add_argument("--strategy-paths", type=int, default=16_384)
    parser.add_argument("--cluster-paths", type=int, default=8192)
    parser.add_argument("--summary-paths", type=int, default=20_000)
    parser.add_argument("--claims-paths", type=int, default=20_000,
                        help="0: leave the claims run out")
    parser.add_argument("--out", default="benchmarks/results/latest.json")
    parser.add_argument("--only", default="",
                        help="comma-separated sections to run (e.g. two_factor,pricing,"
                             "strategies); the others keep their figures in --out")
    args = parser.parse_args(argv)
    sections = {
        "paths": lambda: bench_paths(args.paths, args.days, args.repeats),
        "two_factor": lambda: bench_two_factor(args.strategy_paths, args.days, args.repeats),
        "pricing": lambda: bench_pricing(args.options, args.repeats),
        "strategies": lambda: bench_strategies(args.strategy_paths, args.days, args.repeats),
        "runner": lambda: bench_runner(args.strategy_paths, args.days, args.repeats),
        "cluster": lambda: bench_cluster(args.cluster_paths, args.days, args.repeats),
        "summary": lambda: bench_summary(args.summary_paths, 16, args.repeats),
    }
    if args.claims_paths:
        sections["claims"] = lambda: bench_claims(args.claims_paths)
    only = [name for name in args.only.split(",") if name]
    unknown = sorted(set(only) - set(sections))
    if unknown:
        parser.error(f"unknown sections {unknown}; known: {sorted(sections)}")
    out = Path(args.out)
    results = {}
    if only and out.exists():  # a partial run updates its sections, keeps the others
        results = json.loads(out.read_text())
    results["timestamp"] = datetime.now(UTC).isoformat(timespec="seconds")
    results["machine"] = {"python": platform.python_version(), "numba": numba.__version__,
                          "numpy": np.__version__,
                          "cpu_count": numba.config.NUMBA_NUM_THREADS,
                          "numba_threads": numba.get_num_threads()}
    for name, run in sections.items():
        if not only or name in only:
            results[name] = run()
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_suffix(".tmp")
    tmp.write_text(json.dumps(results, indent=2) + "\n")
    tmp.replace(out)
    if "paths" in results:  # absent from a partial run (--only) into a new file
        p = results["paths"]
        print(f"paths: project {p['project_path_steps_per_s'] / 1e6:.1f} M path-steps/s, numpy "
              f"baseline {p['numpy_baseline_path_steps_per_s'] / 1e6:.1f} M path-steps/s -> "
              f"{p['speedup_vs_numpy']}x (target >= {p['target_speedup']}x); peak memory "
              f"{p['project_peak_mib']} MiB vs {p['numpy_baseline_peak_mib']} MiB "
              f"(output {p['output_mib']} MiB)")
    if "two_factor" in results:  # absent from a partial run (--only) into a new file
        t = results["two_factor"]
        print(f"two factors vs one: paths {t['paths_two_vs_one_factor']}x, evaluating unhedged + "
              f"ALVH {t['evaluation_two_vs_one_factor']}x ({t['two_factor_evaluation_seconds']} s "
              f"vs {t['one_factor_evaluation_seconds']} s); evaluation vs paths "
              f"{t.get('one_factor_evaluation_vs_paths')}x one factor, "
              f"{t.get('two_factor_evaluation_vs_paths')}x two (target <= 4x); alone on "
              f"the same paths, the unhedged condor "
              f"{t.get('one_factor_unhedged_condor_vs_paths')}x and "
              f"{t.get('two_factor_unhedged_condor_vs_paths')}x, an index core "
              f"{t.get('one_factor_index_core_vs_paths')}x and "
              f"{t.get('two_factor_index_core_vs_paths')}x")
    if "pricing" in results:  # absent from a partial run (--only) into a new file
        b = results["pricing"]
        print(f"pricing: table build {b['table_build_seconds']} s; per option SPX "
              f"{b['spx_option_ns']} ns (delta {b['spx_delta_ns']} ns), "
              f"VIX {b['vix_option_ns']} ns "
              f"vs scipy Black-Scholes {b['scipy_black_scholes_ns']} ns -> "
              f"{b['spx_option_vs_scipy_bs']}x / {b['vix_option_vs_scipy_bs']}x its cost")
    if "strategies" in results:  # absent from a partial run (--only) into a new file
        e = results["strategies"]
        print(f"strategies: evaluating unhedged + ALVH costs {e['evaluation_vs_paths']}x path "
              f"generation (target <= {e['target_evaluation_vs_paths']}x); 8 strategies on shared "
              f"paths cost {e['shared_vs_separate']}x 8 separate runs "
              f"(target <= {e['target_shared_vs_separate']}x)")
    if "runner" in results:  # absent from a partial run (--only) into a new file
        r = results["runner"]
        print(f"runner: alvh run's work costs {r['runner_vs_bare']}x the bare generate + evaluate "
              f"loop (target <= {r['target_runner_vs_bare']}x); peak memory {r['runner_peak_mib']} "
              f"MiB vs {r['bare_peak_mib']} MiB; cube file {r['cube_file_mib']} MiB")
    if "cluster" in results:  # absent from a partial run (--only) into a new file
        c = results["cluster"]
        print(f"cluster: {c['n_paths']} paths of the sweep take {c['local_seconds']} s here, "
              f"{c['workers_1_seconds']} s on 1 worker and {c['workers_2_seconds']} s on 2 "
              f"(speed-up {c['speedup_2_vs_1_workers']}x on {c['cores']} cores); "
              f"{c['overhead_per_unit_ms']} ms scheduling overhead per unit")
    if "summary" in results:  # absent from a partial run (--only) into a new file
        m = results["summary"]
        print(f"summary bootstrap: {m['n_books']} books x {m['n_paths']} paths take "
              f"{m['kernel_seconds']} s (target <= {m['target_kernel_seconds']} s), "
              f"{m['kernel_vs_numpy']}x numpy gathering each resample")
    if "claims" in results:
        print(f"claims: {results['claims']['seconds']} s at {results['claims']['n_paths']} "
              f"paths (target <= {results['claims']['target_seconds_at_20000_paths']} s at "
              f"20,000)")
    print(f"results written to {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
