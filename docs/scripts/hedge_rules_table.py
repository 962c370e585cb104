"""The README's "Hedge rules through a spike" table: each budgeted hedge of
``scenarios/hedge_rules.yaml`` under the monetisation rule of versions <= 0.1 (sell the whole
layer at 3x, buy again below VIX 25) and the default (sell half at 3x, keep the rest, re-arm
below VIX 25), on the same paths. Prints a markdown table of the median trading-book
max-drawdown cut against unhedged (the summary's ``drawdown_reduction_median``, with its
95 % bootstrap CI) and the mean
trading-book P&L per year (``annualised_return``: the return over cash).

    PYTHONPATH=. python docs/scripts/hedge_rules_table.py            # the file's model, 5,000 paths
    PYTHONPATH=. python docs/scripts/hedge_rules_table.py svcj_default 5000
"""

from __future__ import annotations

import sys
from pathlib import Path

import yaml

SCENARIO_FILE = Path(__file__).resolve().parents[2] / "scenarios" / "hedge_rules.yaml"

# (scenario, hedge label, strategy under the default rule, the same hedge selling everything)
ROWS = [
    ("covid", "2020 replay", "40/40/20", "alvh_40_40_20", "alvh_40_40_20_sell_all"),
    ("covid", "2020 replay", "4/4/2 scaled", "alvh_4_4_2_scaled", "alvh_4_4_2_scaled_sell_all"),
    ("covid", "2020 replay", "single front", "single_front", "single_front_sell_all"),
    ("crash", "crash (day 30)", "40/40/20", "alvh_40_40_20", "alvh_40_40_20_sell_all"),
    ("volmageddon", "2018 replay", "40/40/20", "alvh_40_40_20", "alvh_40_40_20_sell_all"),
    ("base", "base", "40/40/20", "alvh_40_40_20", "alvh_40_40_20_sell_all"),
]


def main(model: str | None = None, n_paths: int | None = None) -> None:
    import simulator as sim

    spec = yaml.safe_load(SCENARIO_FILE.read_text())
    if model is not None:
        spec["model"] = {"preset": model}
    paths = n_paths or spec["simulation"]["paths"]
    cube = sim.run(spec, n_paths=paths, seed=spec["simulation"]["seed"])
    table = sim.summarize(cube)
    print(f"model {spec['model']['preset']}, {paths} paths, seed {spec['simulation']['seed']}, "
          f"costs {spec['costs']['preset']}")
    print("| scenario | hedge | cut, sell all | cut, sell half | P&L %/yr, sell all | "
          "P&L %/yr, sell half |")
    print("|---|---|---|---|---|---|")
    for scenario, label, hedge, half, whole in ROWS:
        cut = {k: "{:.1f} % [{:.1f}, {:.1f}]".format(
            *(100 * table.loc[(scenario, k), f"drawdown_reduction_median{end}"]
              for end in ("", "_lo", "_hi"))) for k in (half, whole)}
        pnl = {k: 100 * table.loc[(scenario, k), "annualised_return"] for k in (half, whole)}
        print(f"| {label} | {hedge} | {cut[whole]} | {cut[half]} | "
              f"{pnl[whole]:+.2f} | {pnl[half]:+.2f} |")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else None,
         int(sys.argv[2]) if len(sys.argv) > 2 else None)
