"""Claims about returns, costs and sizing, from the cube: C8 (monthly drag by VIX level, the 0.70
condor's returns under every cost preset the file runs) and C12 (risk per condor and stack)."""

from __future__ import annotations

import math

from simulator.common.conventions import TRADING_DAYS_PER_YEAR
from simulator.report.claims.catalogue import (
    ALVH,
    ALVH_070,
    LITERAL_442,
    NOT_SUPPORTED,
    SUPPORTED,
    UNHEDGED,
    UNHEDGED_070,
    ClaimResult,
    Finding,
    finding,
    pct,
    versus,
)
from simulator.report.claims.evidence import (
    ClaimsCube,
    budget,
    cost_sensitivity,
    costs_on_risk,
    dd_cut,
    hedge_label,
    monthly_drag,
    return_on_risk,
    stack_share,
)
from simulator.results.stats import Figure
from simulator.strategy.config import CondorConfig
from simulator.strategy.specs import hedge_spend_per_tranche, tranche_cycle_days


def c8(c: ClaimsCube):
    normal = ("base", "calm", "bear_2022")
    overall, _ = monthly_drag(c, ("base",), ALVH, UNHEDGED)
    low, low_share = monthly_drag(c, normal, ALVH, UNHEDGED, vix_high=15.0)
    high, high_share = monthly_drag(c, normal, ALVH, UNHEDGED, vix_low=20.0)
    literal, _ = monthly_drag(c, ("base",), LITERAL_442, UNHEDGED)
    f = [
        finding("C8", f"monthly drag, {hedge_label(c, ALVH, 'base')}, all months", "base",
                ALVH,
                overall, "0.4-1.2 %/month", 0.004, 0.012, unit="%/month"),
        finding("C8", f"monthly drag in months starting with VIX < 15 ({pct(low_share, 0)} of "
                f"path-months)", "base+calm+bear_2022", ALVH, low, "0.4-0.6 %/month", 0.004,
                0.006, unit="%/month"),
        finding("C8", f"monthly drag in months starting with VIX >= 20 ({pct(high_share, 0)} of "
                f"path-months)", "base+calm+bear_2022", ALVH, high, "1.0-1.2 %/month",
                0.010, 0.012, unit="%/month"),
        finding("C8", "monthly drag, literal 4/4/2, all months", "base", LITERAL_442, literal,
                "0.4-1.2 %/month", 0.004, 0.012, unit="%/month"),
        finding("C8", f"monthly drag of the 0.70 condor's hedge ({hedge_label(c, ALVH_070)})",
                "base",
                ALVH_070, monthly_drag(c, ("base",), ALVH_070, UNHEDGED_070)[0],
                "0.4-1.2 %/month", 0.004, 0.012, unit="%/month"),
        finding("C8", "trading costs of the unhedged 0.70 condor (file's costs)", "base",
                UNHEDGED_070, costs_on_risk(c, "base", UNHEDGED_070),
                unit="%/month of risk capital"),
        finding("C8", "median max-drawdown cut of the hedged 0.70 condor", "base", ALVH_070,
                dd_cut(c, "base", ALVH_070, base=UNHEDGED_070), "~40 % (35-45 %)",
                0.35, 0.45),
    ]
    # C8 is about net returns: the same two strategies under every cost preset in the file
    sens = cost_sensitivity(c)
    for preset, (u_name, h_name) in sens.items():
        f.append(finding("C8", f"0.70 condor unhedged, {preset} costs: monthly P&L per unit "
                         "of risk capital", "base", u_name,
                         return_on_risk(c, "base", u_name), "2.8-3.5 %/month", 0.028,
                         0.035, unit="%/month of risk capital"))
        f.append(finding("C8", f"0.70 condor hedged ({hedge_label(c, h_name)}), {preset} costs",
                         "base", h_name, return_on_risk(c, "base", h_name),
                         "2.1-2.8 %/month", 0.021, 0.028, unit="%/month of risk capital"))
    holds = [p for i, p in enumerate(sens) if f[7 + 2 * i].consistent
             and f[8 + 2 * i].consistent]
    unhedged_holds = [p for i, p in enumerate(sens) if f[7 + 2 * i].consistent]
    drag_ok = any(x.consistent for x in f[:4])
    dd_ok = f[6].consistent
    failing = [name for name, ok in (("drag", drag_ok), ("drawdown cut", dd_ok)) if not ok]
    if holds and not failing:
        verdict = f"{SUPPORTED} under {', '.join(holds)} costs"
    elif holds or unhedged_holds:
        verdict = (f"{NOT_SUPPORTED}: the returns match only under "
                   f"{', '.join(holds or unhedged_holds)} costs"
                   + (" (unhedged only)" if not holds else "")
                   + (f"; {' and '.join(failing)} do not" if failing else ""))
    else:
        verdict = f"{NOT_SUPPORTED} under any cost preset" + (
            f"; {' and '.join(failing)} do not match either" if failing else "")
    premium = c.premium_per_year("base", LITERAL_442)
    costs_of = {p: pct(-float(c.var("spx_costs", "base", u).mean())
                        / (c.risk(u) * c.months), 2) for p, (u, _) in sens.items()}
    explanation = (
        f"At a {pct(budget(c, ALVH), 0)}/yr budget ({pct(c.premium_per_year('base', ALVH), 2)}"
        f"/yr spent in base) the drag is {pct(overall[0], 3)} a month "
        f"({pct(12 * overall[0], 2)}/yr), {versus(overall[0], 0.004, 0.012)} C8's "
        f"0.4-1.2 %/month; the literal 4/4/2 spends {pct(premium)}/yr of premium and drags "
        f"{pct(literal[0], 2)}/month. Drag is {pct(low[0], 3)}/month when VIX < 15 and "
        f"{pct(high[0], 3)}/month when VIX >= 20"
        + (", the opposite of C8's split: the regime scaling cuts the spend at high VIX. "
           if low[0] > high[0] else ", the direction of C8's split. ")
        + "The 0.70 condor's monthly P&L on risk capital (trading book, no interest), "
        "unhedged / hedged, by cost preset: "
        + "; ".join(f"{p} {pct(f[7 + 2 * i].estimate, 2)} / {pct(f[8 + 2 * i].estimate, 2)} "
                    f"(SPX costs {costs_of[p]})" for i, p in enumerate(sens))
        + ". The claim's returns are a statement about costs as much as about the condor "
        "(docs/costs.md). The hedged 0.70 condor's median drawdown is "
        f"{pct(f[6].estimate)} smaller (claimed ~40 %).")
    file_at = list(sens).index(next(p for p, names in sens.items()
                                     if names == (UNHEDGED_070, ALVH_070)))
    return ClaimResult("C8", verdict, explanation, f, (0, 6, 7 + 2 * file_at, 8 + 2 * file_at))


def c12(c: ClaimsCube):
    risk = c.risk(ALVH)
    budget_annual = budget(c, ALVH)
    condor = CondorConfig.model_validate(c.strategies[ALVH]["condor"])
    every = tranche_cycle_days(condor)
    sizing = condor.sizing
    # the engine's own rule for what one tranche's stack costs
    stack = stack_share(c, ALVH, hedge_spend_per_tranche(budget_annual, condor))
    literal_premium = c.premium_per_year("base", LITERAL_442) * every / TRADING_DAYS_PER_YEAR
    f = [Finding("C12", f"by construction ({sizing} sizing): condor + the hedge spent in one "
                 f"{every}-day cycle at {pct(budget_annual, 0)}/yr", "sizing rule", ALVH,
                 stack, claimed="<= 2-3 %", claimed_low=math.nan, claimed_high=0.03,
                 unit="% of equity", exact=True),
         Finding("C12", "the same for the literal 4/4/2 stack (its mean premium per cycle, "
                 "base)", "base", LITERAL_442, stack_share(c, LITERAL_442, literal_premium),
                 claimed="<= 2-3 %", claimed_high=0.03, unit="% of equity", exact=True)]
    for scenario in ("covid", "crash"):
        months = c.var("trading_monthly_pnl", scenario, ALVH)  # (path, month)
        f.append(finding("C12", f"worst 0.1 % of monthly trading-book P&L (one tranche + its "
                         f"hedge per month), {scenario}", scenario, ALVH,
                         c.boot_figures(lambda q: -q,
                                        [(months, Figure("month", "quantile", 0.001))]),
                         "<= 3 % loss", math.nan, 0.03, unit="% of equity"))
    ok = [x.consistent for x in f]
    verdict = SUPPORTED if ok[0] and all(ok[2:]) else NOT_SUPPORTED
    if verdict == SUPPORTED and not ok[1]:
        verdict = "depends on the hedge size: holds for budgeted stacks, not for literal 4/4/2"
    rule = ("the sizing puts max loss + hedge stack + round-trip costs at "
            f"{pct(risk)} of equity" if sizing == "condor_hedge_costs" else
            f"with {pct(risk)} max loss per tranche and a {pct(budget_annual, 0)}/yr budget a "
            f"condor and its stack risk {pct(stack, 2)} of equity")
    explanation = (
        f"A rule, tested as one: {rule}. The realised worst 0.1 % of months loses "
        f"{pct(f[2].estimate, 2)} (covid) and {pct(f[3].estimate, 2)} (crash) of equity. "
        f"Literal 4/4/2 buys {pct(literal_premium, 2)} of premium per cycle.")
    return ClaimResult("C12", verdict, explanation, f, (0, 2))
