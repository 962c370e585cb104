"""docs/calibration.md §9's regime table: the unhedged 0.70 condor (``monthly_16_delta``,
``retail_combo`` costs) in a calm (2017) and a stressed (2022) year, each regime preset's
1,000 simulated years beside the real year replayed and priced by the regime's base model.
Prints the trading book's P&L over the year (% of equity a year) and its median max drawdown
in % of risk capital, with a 95 % bootstrap interval of the median over the paths (2,000
resamples); a real year is one path, so it has none.

    PYTHONPATH=. python docs/scripts/regime_table.py                       # the default's regimes
    PYTHONPATH=. python docs/scripts/regime_table.py svcj_2f_conditional \
        svcj_2f_conditional_calm_2017 svcj_2f_conditional_stressed_2022
"""

from __future__ import annotations

import sys

import numpy as np

YEARS = {  # year: (window of the real replay, seed of the simulated paths)
    2017: (("2017-01-03", "2017-12-29"), 11),
    2022: (("2022-01-03", "2022-12-30"), 2022),
}
STRATEGY = {"unhedged": {"condor": {"preset": "monthly_16_delta"}, "hedge": "none"}}
PATHS = 1000
RESAMPLES = 2000


def _spec(model: str, path: dict | None, seed: int, paths: int) -> dict:
    spec = {"name": "regime_table", "model": {"preset": model},
            "simulation": {"paths": paths, "days": 252, "seed": seed},
            "costs": {"preset": "retail_combo"}, "scenarios": {"year": {}},
            "strategies": STRATEGY}
    if path is not None:
        spec["path"] = path
        spec["simulation"] = {"seed": seed}
    return spec


def regime_row(cube) -> tuple[float, float, tuple[float, float] | None]:
    """(P&L %/yr, median max drawdown in % of risk capital, its 95 % bootstrap interval or
    None for a single path) of the cube's one scenario and strategy."""
    import simulator as sim
    from simulator.results.units import drawdown_unit

    table = sim.summarize(cube)
    row = table.iloc[0]
    risk = drawdown_unit(cube, "unhedged")
    dd = cube.trading_max_drawdown.values.ravel() / risk
    ci = None
    if dd.size > 1:
        rng = np.random.default_rng(0)
        medians = np.median(dd[rng.integers(0, dd.size, (RESAMPLES, dd.size))], axis=1)
        ci = tuple(100 * np.quantile(medians, [0.025, 0.975]))
    assert np.isclose(np.median(dd), row["max_drawdown_risk_capital_median"])
    return 100 * row["annualised_return"], 100 * np.median(dd), ci


def main(base: str | None = None, calm: str | None = None, stressed: str | None = None) -> None:
    import simulator as sim
    from simulator.common.conventions import DEFAULT_MODEL

    base = base or DEFAULT_MODEL
    presets = {2017: calm or "svcj_2f_vlevel_calm_2017",
               2022: stressed or "svcj_2f_vlevel_stressed_2022"}
    print("| year | | P&L %/yr | median DD (95 % CI) |")
    print("|---|---|---|---|")
    for year, ((start, end), seed) in YEARS.items():
        real = sim.run(_spec(base, {"source": "history", "start": start, "end": end}, 0, 1))
        pnl, dd, _ = regime_row(real)
        print(f"| {year} | real replay, priced by `{base}` | {pnl:+.2f} | {dd:.0f} |")
        regime = sim.run(_spec(presets[year], None, seed, PATHS))
        pnl, dd, (lo, hi) = regime_row(regime)
        print(f"| | `{presets[year]}` ({PATHS:,} paths, seed {seed}) | {pnl:+.2f} | "
              f"{dd:.0f} [{lo:.0f}, {hi:.0f}] |")


if __name__ == "__main__":
    main(*sys.argv[1:4])
