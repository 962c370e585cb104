"""The calendar-year returns of the CNDR-like and VXTH-like books as the Cboe indexes report
them (docs/history.md §6): each calendar year replayed on its own (the index starts on the
year's first session: a condor sold on the next monthly expiry, VIX calls bought), its return
the index's value at the year's last session. Prints a markdown table.

    PYTHONPATH=. python docs/scripts/cboe_index_years.py svcj_default 1990-01-02 2025-10-06
    PYTHONPATH=. python docs/scripts/cboe_index_years.py svcj_2f_calibrated 2007-07-24 2025-10-06
"""

from __future__ import annotations

import math
import sys

import numpy as np

from simulator.common.conventions import TRADING_DAYS_PER_YEAR
from simulator.model.presets import load_model
from simulator.results.replay import index_curve
from simulator.results.units import risk_capital
from simulator.scenario.replay import replay_history
from simulator.strategy.config import StrategyConfig

STRATEGIES = {
    "cndr_like": {"condor": {"preset": "cndr_like"}, "hedge": "none"},
    "sp500": {"index": "sp500"},
    "vxth_like": {"index": "sp500", "hedge": {"preset": "vxth_like"}},
}


def main(model_name: str, start: str, end: str, costs: str = "none") -> None:
    from simulator.market.history import history_dates

    model = load_model(model_name)
    configs = {k: StrategyConfig.model_validate(v) for k, v in STRATEGIES.items()}
    growth = math.exp(model.r / TRADING_DAYS_PER_YEAR)
    days = history_dates(start, end, False)
    print(f"{model_name}, {days[0]} to {days[-1]}, costs {costs}, r = {model.r:.2%}")
    print("| year | CNDR-like | VXTH-like | S&P 500 TR | CNDR-like book, % of risk capital |")
    print("|---|---|---|---|---|")
    total = dict.fromkeys(configs, 1.0)
    n_days = 0
    for y in sorted({d[:4] for d in days}):
        year = days[np.char.startswith(days.astype(str), y)]
        result, path = replay_history(model, configs, str(year[0]), str(year[-1]), costs=costs)
        n_days += year.size
        cells = {}
        for k, name in enumerate(result.strategies):
            r = index_curve(result, k, configs[name], growth, path.spx, model.q)[-1] - 1.0
            cells[name] = r
            total[name] *= 1.0 + r
        k = result.strategies.index("cndr_like")
        risk = (result.trading[k, 0, -1] - 1.0) / risk_capital(configs["cndr_like"])
        part = ""
        if year[0][5:] > "01-05":
            part = f" (from {year[0][5:]})"
        if year[-1][5:] < "12-24":
            part = f" (to {year[-1][5:]})"
        print(f"| {y}{part} | " + " | ".join(f"{100 * cells[n]:.1f}" for n in
                                            ("cndr_like", "vxth_like", "sp500"))
              + f" | {100 * risk:.0f} |", flush=True)
    n_years = n_days / TRADING_DAYS_PER_YEAR
    print("| a year, compounded | " + " | ".join(
        f"{100 * (total[n] ** (1 / n_years) - 1):.1f}" for n in ("cndr_like", "vxth_like",
                                                                  "sp500")) + " | |")


if __name__ == "__main__":
    main(*sys.argv[1:])
