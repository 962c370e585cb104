"""C13 (issue 35): the seeds' RSI-of-VVIX rule, which splits each purchase of the hedge
between VIX calls and SPX puts by the RSI of VVIX, put against fixed splits of the same
layers on the same paths.

Read from the claims cube when it has the strategies (``scenarios/claims.yaml`` since issue
35): ``alvh_vvix_split`` (the rule: front and tail VIX calls, an SPX put in the middle,
hedge.vvix_split's default thresholds and weights), ``alvh_calls_puts`` (the same layers at
their fixed 60/40 weights), ``alvh_40_40_20`` (VIX calls only) and ``spx_puts_40_40_20``
(SPX puts only), all at the same 2 %/yr budget."""

from __future__ import annotations

import math

from simulator.report.claims.catalogue import (
    ALVH,
    NOT_SUPPORTED,
    SPIKES,
    SUPPORTED,
    ClaimResult,
    finding,
    pct,
)
from simulator.report.claims.evidence import ClaimsCube, cut_difference, drag

SPLIT, FIXED_MIXED, PUTS_ONLY = "alvh_vvix_split", "alvh_calls_puts", "spx_puts_40_40_20"
C13_STRATEGIES = (SPLIT, FIXED_MIXED, PUTS_ONLY)


def has_c13(strategies) -> bool:
    """The cube holds the strategies C13 reads (older claims cubes do not)."""
    return all(name in strategies for name in C13_STRATEGIES)


def c13(c: ClaimsCube) -> ClaimResult:
    f = []
    for scenario in SPIKES:
        f.append(finding("C13", f"median drawdown cut of the RSI-of-VVIX split minus that of "
                         f"the fixed 60/40 split (> 0: the rule better), {scenario}", scenario,
                         f"{SPLIT} vs {FIXED_MIXED}",
                         cut_difference(c, scenario, SPLIT, FIXED_MIXED), "> 0", 0.0,
                         math.nan, strict=True))
    f.append(finding("C13", "annual return, RSI-of-VVIX split minus fixed 60/40 (> 0: the "
                     "rule cheaper)", "base", f"{SPLIT} vs {FIXED_MIXED}",
                     drag(c, "base", FIXED_MIXED, base=SPLIT), unit="%/yr"))
    for other, words in ((ALVH, "VIX calls only (40/40/20)"),
                         (PUTS_ONLY, "SPX puts only (40/40/20)")):
        f.append(finding("C13", f"median drawdown cut of the RSI-of-VVIX split minus that of "
                         f"{words}, covid", "covid", f"{SPLIT} vs {other}",
                         cut_difference(c, "covid", SPLIT, other), "> 0", 0.0, math.nan,
                         strict=True))
    spikes = f[:len(SPIKES)]
    better = [x for x in spikes if x.ci_low > 0]
    worse = [x for x in spikes if x.ci_high < 0]
    cheaper = f[len(SPIKES)].ci_high >= 0
    if better and not worse:
        verdict = (SUPPORTED if len(better) == len(spikes) else "depends on the event") \
            if cheaper else "depends on the price: smaller drawdowns for more drag"
    else:
        verdict = NOT_SUPPORTED
    split = c.strategies[SPLIT]["hedge"]["vvix_split"]
    weights = split["weights"]
    explanation = (
        f"Same layers (front and tail VIX calls, a middle SPX put), same "
        f"{pct(c.strategies[SPLIT]['hedge']['budget_annual'], 0)}/yr budget, same paths. The "
        f"rule splits each purchase by RSI({split['period']}) of the path's VVIX: VIX calls "
        f"{pct(weights['low']['vix_calls'], 0)} below {split['low']:g}, "
        f"{pct(weights['middle']['vix_calls'], 0)} between, "
        f"{pct(weights['high']['vix_calls'], 0)} at or above {split['high']:g}; the fixed "
        "split keeps the layers' 60/40. Drawdown cut over the fixed split: "
        + ", ".join(f"{x.scenario} {pct(x.estimate)} [{pct(x.ci_low)}, {pct(x.ci_high)}]"
                    for x in spikes)
        + f" (points of the unhedged drawdown); annual return difference in base "
        f"{pct(f[len(SPIKES)].estimate, 2)} [{pct(f[len(SPIKES)].ci_low, 2)}, "
        f"{pct(f[len(SPIKES)].ci_high, 2)}]; spent in base: rule "
        f"{pct(c.premium_per_year('base', SPLIT), 2)}/yr, fixed "
        f"{pct(c.premium_per_year('base', FIXED_MIXED), 2)}/yr. 'Beats' is read as in C9: a "
        "larger drawdown cut at no significantly higher cost.")
    return ClaimResult("C13", verdict, explanation, f, (0, 1, 3))
