"""The README's "Under the conditional model" table: a few claim figures under several models.

Each model's figures come from its own ``alvh claims`` run (``claims.csv``), e.g.::

    alvh claims --paths 5000 --seed 2026 --out /tmp/claims_def
    alvh claims --paths 5000 --seed 2026 --model svcj_2f_conditional --out /tmp/claims_cond
    python docs/scripts/model_claims_table.py svcj_2f_calibrated=/tmp/claims_def \\
        svcj_2f_conditional=/tmp/claims_cond

The runs are not paired (each model draws its own paths); every figure has the run's 95 %
bootstrap interval, except C4's, which is exact (one repricing, no paths).
"""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd

# (row label, claim, start of the claims table's "what", scenario, strategy, scale, unit, digits)
ROWS = (
    ("0.70 condor unhedged, no costs, %/month of risk capital (C8)", "C8",
     "0.70 condor unhedged, none costs", "base", "unhedged_070_none", 100.0, "", 1),
    ("the same at `retail_combo` costs", "C8", "0.70 condor unhedged, retail_combo costs",
     "base", "unhedged_070", 100.0, "", 1),
    ("hedged at `retail_combo` costs", "C8", "0.70 condor hedged (ALVH 40/40/20 at 2 %/yr), "
     "retail_combo costs", "base", "alvh_070", 100.0, "", 1),
    ("4/4/2 scaled, median drawdown cut, crash (C3)", "C3",
     "median max-drawdown cut, 4/4/2 scaled", "crash", "alvh_4_4_2_scaled", 100.0, " %", 1),
    ("its drag, %/yr (C3)", "C3", "drag, 4/4/2 scaled", "base", "alvh_4_4_2_scaled", 100.0, "",
     2),
    ("40/40/20, median drawdown cut, 2020 replay (C2)", "C2", "median drawdown cut, ALVH",
     "covid", "alvh_40_40_20", 100.0, " %", 1),
    ("days to break even after the crash's shock, hedged (C5)", "C5",
     "median trading days from the shock event's start", "crash", "alvh_40_40_20", 1.0, "", 0),
    ("30-DTE call at 2x spot VIX, VIX 15 -> 25 at once (C4, exact)", "C4",
     "30-DTE call struck at 2x spot VIX", "model", None, 100.0, " %", 0),
)


def figure(table: pd.DataFrame, claim, what, scenario, strategy, scale, unit, digits) -> str:
    rows = table[(table.claim == claim) & table.what.str.startswith(what)
                 & (table.scenario == scenario)]
    if strategy is not None:
        rows = rows[rows.strategy == strategy]
    if claim == "C4":
        rows = rows[rows.what.str.contains("VIX 15 -> 25")]
    if len(rows) != 1:
        raise SystemExit(f"{claim} {what!r} {scenario} {strategy}: {len(rows)} rows, not 1")
    row = rows.iloc[0]

    def fmt(x):
        return f"{scale * x:.{digits}f}"

    text = f"{'+' if claim == 'C4' else ''}{fmt(row.estimate)}{unit}"
    if pd.notna(row.ci_low):
        text += f" [{fmt(row.ci_low)}, {fmt(row.ci_high)}]"
    return text


def main(argv: list[str]) -> int:
    if not argv or any("=" not in a for a in argv):
        print(__doc__)
        return 2
    models = [a.split("=", 1) for a in argv]
    tables = [pd.read_csv(Path(folder) / "claims.csv") for _, folder in models]
    print("| figure | " + " | ".join(f"`{name}`" for name, _ in models) + " |")
    print("|---|" + "---|" * len(models))
    for label, *spec in ROWS:
        print(f"| {label} | " + " | ".join(figure(t, *spec) for t in tables) + " |")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
