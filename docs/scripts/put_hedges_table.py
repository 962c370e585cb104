"""The README's "SPX puts beside VIX calls" table: each hedge of ``scenarios/put_hedges.yaml``
against its pairing baseline (the condor hedges against the unhedged condor, the index hedges
against the bare S&P 500, as the cube's ``paired_with`` says), on the same paths: the median
trading-book max-drawdown cut (``drawdown_reduction_median``), the drag (``drag``: P&L per year
given up, < 0 where the hedge earns) and the median IRR of the combined position
(``irr_median``), each with its 95 % bootstrap CI.

    PYTHONPATH=. python docs/scripts/put_hedges_table.py            # the file's 10,000 paths
    PYTHONPATH=. python docs/scripts/put_hedges_table.py 20000
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import yaml

SCENARIO_FILE = Path(__file__).resolve().parents[2] / "scenarios" / "put_hedges.yaml"

LABELS = {"alvh_40_40_20": "VIX calls 40/40/20", "spx_puts_40_40_20": "SPX puts 40/40/20",
          "alvh_calls_puts": "calls + middle put (fixed 60/40)",
          "alvh_vvix_split": "calls + middle put (RSI-of-VVIX split)",
          "pput_like": "S&P 500 + PPUT-style put (vs S&P 500)",
          "vxth_like": "S&P 500 + VXTH-style calls (vs S&P 500)"}
SCENARIOS = {"covid": "2020 replay (covid)", "base": "base year"}


def _ci(table, key, field, scale=100.0, digits=1):
    est, lo, hi = (scale * table.loc[key, f"{field}{end}"] for end in ("", "_lo", "_hi"))
    return f"{est:.{digits}f} [{lo:.{digits}f}, {hi:.{digits}f}]"


def main(n_paths: int | None = None) -> None:
    import simulator as sim

    spec = yaml.safe_load(SCENARIO_FILE.read_text())
    paths = n_paths or spec["simulation"]["paths"]
    start = time.perf_counter()
    cube = sim.run(spec, n_paths=paths, seed=spec["simulation"]["seed"])
    table = sim.summarize(cube)
    print(f"model {spec['model']['preset']}, {paths} paths, seed {spec['simulation']['seed']}, "
          f"costs {spec.get('costs', {}).get('preset', 'default')}, "
          f"{time.perf_counter() - start:.0f} s")
    print("| scenario | hedge | DD cut median % | drag %/yr | median IRR %/yr |")
    print("|---|---|---|---|---|")
    for scenario, where in SCENARIOS.items():
        for strategy, label in LABELS.items():
            key = (scenario, strategy)
            print(f"| {where} | {label} | {_ci(table, key, 'drawdown_reduction_median')} | "
                  f"{_ci(table, key, 'drag', digits=2)} | "
                  f"{_ci(table, key, 'irr_median', digits=2)} |")
    for scenario, where in SCENARIOS.items():
        for strategy in ("unhedged", "sp500"):
            key = (scenario, strategy)
            print(f"| {where} | {strategy} (baseline) | - | - | "
                  f"{_ci(table, key, 'irr_median', digits=2)} |")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else None)
