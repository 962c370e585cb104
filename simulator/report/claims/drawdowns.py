"""Claims about drawdowns and the hedge's cost, from the cube: C1 and C2 (levels in a grind and
in a spike), C3 (the 4/4/2 ratio), C7 (the grinding bear), C9 (layers against one call) and C10
(the term-structure rule)."""

from __future__ import annotations

import json
import math

import numpy as np

from simulator.report.claims.catalogue import (
    ALVH,
    LITERAL_442,
    NO_TS,
    NOT_SUPPORTED,
    SCALED_442,
    SINGLE,
    SPIKES,
    SUPPORTED,
    TS_TIGHTEN,
    UNHEDGED,
    ClaimResult,
    finding,
    judge,
    pct,
    verdict_of,
    versus,
)
from simulator.report.claims.evidence import (
    ClaimsCube,
    budget,
    cut_difference,
    dd_cut,
    drag,
    hedge_label,
    median_dd,
)
from simulator.report.claims.model_checks import futures_spread
from simulator.results.stats import Figure


def c1_c2(c: ClaimsCube, claim, scenario, unhedged_range, hedged_range, event,
          history=None, model=None):
    """C1/C2 on the simulated scenario; with ``history`` ((start, end, words)) and ``model``
    also on that real window (one path: the figures carry no CI and do not enter the
    verdict, which rests on the simulated year; the explanation sets them side by side)."""
    u = median_dd(c, scenario, UNHEDGED, True)
    h = median_dd(c, scenario, ALVH, True)
    cut = dd_cut(c, scenario, ALVH)
    implied_low = 1.0 - hedged_range[1] / unhedged_range[0]
    implied_high = 1.0 - hedged_range[0] / unhedged_range[1] if not math.isnan(
        unhedged_range[1]) else 1.0
    claimed_u = (f"> {100 * unhedged_range[0]:.0f} %" if math.isnan(unhedged_range[1])
                 else f"{100 * unhedged_range[0]:.0f}-{100 * unhedged_range[1]:.0f} %")
    findings = [
        finding(claim, f"median max drawdown over the year, unhedged, {event}", scenario,
                UNHEDGED, u, claimed_u + " of risk capital", *unhedged_range,
                unit="% of risk capital"),
        finding(claim, f"median max drawdown, {hedge_label(c, ALVH, scenario)}, {event}",
                scenario,
                ALVH, h, f"{100 * hedged_range[0]:.0f}-{100 * hedged_range[1]:.0f} % of risk "
                "capital", *hedged_range, unit="% of risk capital"),
        finding(claim, "median drawdown cut, ALVH vs unhedged (the ratio the two levels "
                "imply; independent of sizing)", scenario, ALVH, cut,
                f"{100 * implied_low:.0f}-{100 * implied_high:.0f} %", implied_low,
                implied_high),
    ]
    dd_u = float(np.median(c.var("trading_max_drawdown", scenario, UNHEDGED)))
    dd_account = float(np.median(c.var("max_drawdown", scenario, UNHEDGED)))
    risk = c.risk(UNHEDGED)
    ok = [f.consistent for f in findings]
    if ok[2] and not all(ok):  # the cut is as claimed; the levels depend on the unit
        verdict = "depends on what 'risk capital' means: " + "; ".join(
            judge(what, f, "neither")[1] for what, f in
            zip(("unhedged level", "hedged level"), findings[:2], strict=True)
            if not f.consistent)
    else:  # a larger cut or a lower hedged drawdown than claimed is no failure
        verdict = verdict_of([judge("drawdown cut", findings[2], "higher"),
                              judge("unhedged level", findings[0], "neither"),
                              judge("hedged level", findings[1], "lower")],
                             "the hedge does better than claimed")
    explanation = (
        f"Risk capital = what the one open condor tranche may lose ({pct(risk)} of equity: "
        f"max loss + hedge stack + round-trip costs). "
        f"The median unhedged trading-book drawdown is {pct(dd_u)} of equity = "
        f"{pct(u[0], 0)} of risk capital (the account, with interest on idle cash, shows "
        f"{pct(dd_account / risk, 0)}); with ALVH {pct(h[0], 0)}. The hedge cuts the median "
        f"drawdown by "
        f"{pct(cut[0])} [{pct(cut[1])}, {pct(cut[2])}], against the "
        f"{100 * implied_low:.0f}-{100 * implied_high:.0f} % the claim's two levels imply. "
        f"A drawdown over the year can exceed one tranche's risk (several losing months in a row).")
    if history is not None and model is not None:
        start, end, words = history
        real, (first, last) = c.real_drawdowns(model, start, end)
        label = f"history {first}..{last}"
        real_cut = 1.0 - real[ALVH] / real[UNHEDGED] if real[UNHEDGED] > 0 else math.nan
        nan = (math.nan, math.nan)
        findings += [
            finding(claim, f"max drawdown, unhedged, real {words} (one path, no CI)", label,
                    UNHEDGED, (real[UNHEDGED], *nan), claimed_u + " of risk capital",
                    *unhedged_range, unit="% of risk capital"),
            finding(claim, f"max drawdown, {hedge_label(c, ALVH)}, real {words} (one path, no "
                    "CI)", label, ALVH, (real[ALVH], *nan),
                    f"{100 * hedged_range[0]:.0f}-{100 * hedged_range[1]:.0f} % of risk "
                    "capital", *hedged_range, unit="% of risk capital"),
            finding(claim, f"drawdown cut, ALVH vs unhedged, real {words}", label, ALVH,
                    (real_cut, *nan), f"{100 * implied_low:.0f}-{100 * implied_high:.0f} %",
                    implied_low, implied_high)]
        explanation += (
            f" On the real {words} ({first} to {last}; model prices around real levels, "
            f"docs/history.md) the unhedged drawdown was {pct(real[UNHEDGED], 0)} of risk "
            f"capital and ALVH's {pct(real[ALVH], 0)}, a cut of {pct(real_cut)}.")
        return ClaimResult(claim, verdict, explanation, findings,
                           (0, 1, 3, 4, *_equity_units(c, claim, scenario, event, findings)))
    return ClaimResult(claim, verdict, explanation, findings,
                       (0, 1, *_equity_units(c, claim, scenario, event, findings)))


def _equity_units(c: ClaimsCube, claim, scenario, event, findings) -> tuple[int, ...]:
    """C2 also in % of equity (issue 29): the median trading-book drawdowns, unhedged and
    hedged, as fractions of starting equity, appended to ``findings`` (no claimed range: the
    claim's levels are read in risk capital); their indices for the headline."""
    if claim != "C2":
        return ()
    first = len(findings)
    for strategy, words in ((UNHEDGED, "unhedged"), (ALVH, hedge_label(c, ALVH, scenario))):
        findings.append(finding(claim, f"median max drawdown in % of equity, {words}, {event}",
                                scenario, strategy, median_dd(c, scenario, strategy, False),
                                unit="% of equity"))
    return (first, first + 1)


def c3(c: ClaimsCube):
    f = []
    scaled = c.premium_per_year("base", SCALED_442)
    for scenario in SPIKES:
        f.append(finding("C3", f"median max-drawdown cut, 4/4/2 scaled to ~{pct(scaled, 0)}/yr, "
                         f"{scenario}", scenario, SCALED_442,
                         dd_cut(c, scenario, SCALED_442), "35-40 %", 0.35,
                         0.40))
    f.append(finding("C3", "95th-percentile max-drawdown cut (the base year's tail paths), "
                     "4/4/2 scaled", "base", SCALED_442,
                     dd_cut(c, "base", SCALED_442, q=0.95), "35-40 %", 0.35, 0.40))
    f.append(finding("C3", f"drag, 4/4/2 scaled to ~{pct(scaled, 0)}/yr of premium", "base",
                     SCALED_442,
                     drag(c, "base", SCALED_442), "1-2 %/yr", 0.01, 0.02,
                     unit="%/yr"))
    f.append(finding("C3", "median max-drawdown cut, literal 4/4/2 (4, 4, 2 VIX calls per "
                     "condor contract), crash", "crash", LITERAL_442,
                     dd_cut(c, "crash", LITERAL_442), "35-40 %", 0.35, 0.40))
    f.append(finding("C3", "drag, literal 4/4/2", "base", LITERAL_442,
                     drag(c, "base", LITERAL_442), "1-2 %/yr", 0.01, 0.02,
                     unit="%/yr"))
    premium = c.premium_per_year("base", LITERAL_442)
    verdict = c3_verdict(f[:4], f[4])
    explanation = (
        f"At {pct(scaled)}/yr of premium (base) the 4/4/2 ratio costs "
        f"{pct(f[4].estimate, 2)}/yr of return, {versus(f[4].estimate, 0.01, 0.02)} the "
        "claimed 1-2 % (sales, rolls and settlements of the calls win back most of the "
        "premium), and cuts the median drawdown by "
        + ", ".join(f"{pct(x.estimate)} ({x.scenario})" for x in f[:3])
        + f" ({', '.join(versus(x.estimate, 0.35, 0.40) for x in f[:3])} 35-40 %). Taken "
        f"literally, 4/4/2 per condor contract spends {pct(premium)}/yr of equity on VIX "
        f"calls, drags {pct(f[6].estimate, 2)}/yr and cuts the crash drawdown by "
        f"{pct(f[5].estimate)}"
        + (": the calls' cost outweighs what they add." if f[5].estimate < f[0].estimate
           else "."))
    return ClaimResult("C3", verdict, explanation, f, (0, 4))


def c3_verdict(cuts, drag_finding) -> str:
    """C3: the cut holds if it is within (or above) 35-40 % in any tail event; the drag holds
    within 1-2 %/yr or below (a cheaper hedge is no failure). Each failing part is named."""
    judged = [judge(f"drawdown cut ({f.scenario})", f, "higher") for f in cuts]
    order = {"within": 0, "better": 1, "worse": 2, "unclear": 3}
    cut = min(judged, key=lambda j: order[j[0]])
    if cut[0] == "worse":  # no tail event reaches the range: name them all
        cut = ("worse", "; ".join(words for _, words in judged))
    return verdict_of([cut, judge("drag", drag_finding, "lower")],
                      "cheaper or stronger than claimed")


def c7(c: ClaimsCube):
    drag_ci = drag(c, "bear_2022", ALVH)
    cut = dd_cut(c, "bear_2022", ALVH)
    crash_cut = dd_cut(c, "crash", ALVH)
    layers = c.var("layer_pnl", "bear_2022", ALVH).sum(axis=0) / c.years
    hedge = c.boot_figures(lambda m: m, [(layers, Figure("x", "mean"))])
    f = [
        finding("C7", f"drag of {hedge_label(c, ALVH, 'bear_2022')} in the 2022-shaped "
                "grind", "bear_2022",
                ALVH, drag_ci, "> 0 (underperforms)", 0.0, math.nan, unit="%/yr", strict=True),
        finding("C7", "median drawdown cut in the grind", "bear_2022", ALVH, cut,
                "small", math.nan, math.nan),
        finding("C7", "net P&L of the three layers in the grind (premium, sales, costs)",
                "bear_2022", ALVH, hedge, "< 0", math.nan, 0.0, unit="%/yr", strict=True),
        finding("C7", "median drawdown cut in a crash year, for comparison", "crash", ALVH,
                crash_cut),
    ]
    supported = drag_ci[1] > 0 and hedge[2] < 0 and cut[2] < crash_cut[1]
    verdict = SUPPORTED if supported else NOT_SUPPORTED
    spx = c.var("spx_return", "bear_2022")
    vix_months = c.var("vix_month_start", "bear_2022")
    regimes = json.loads(c.cube.attrs.get("scenario_details", "{}")).get(
        "bear_2022", {}).get("regimes", [])
    span = (f"a P regime over days {regimes[0]['start_day']}-{regimes[0]['end_day']}"
            if regimes else "no regime")
    vix_lo, vix_hi = np.quantile(vix_months, [0.1, 0.9])
    above_20 = float(np.mean(vix_months >= 20.0))
    level = (f"The scenario's VIX starts {pct(above_20, 0)} of its months at 20 or higher, so "
             "it tests a grinding bear without a spike; a bear with VIX below 20 throughout "
             "is not in the scenario library (the model's VIX rises when SPX falls)."
             if above_20 >= 0.5 else f"VIX starts {pct(1 - above_20, 0)} of its months below "
             "20: a low-volatility grind.")
    explanation = (
        f"In the grind ({span}; median S&P return over the run {pct(np.median(spx), 0)}; "
        f"VIX at month starts {vix_lo:.0f}-{vix_hi:.0f} on 80 % of path-months) the hedge "
        f"{'loses' if hedge[0] < 0 else 'gains'} {pct(abs(hedge[0]), 2)}/yr net and drags "
        f"{pct(drag_ci[0], 2)}/yr while cutting the "
        f"median drawdown by {pct(cut[0])} [{pct(cut[1])}, {pct(cut[2])}], against "
        f"{pct(crash_cut[0])} in a crash year. " + level)
    return ClaimResult("C7", verdict, explanation, f, (0, 1))


def c9(c: ClaimsCube):
    f = []
    for scenario in SPIKES:
        f.append(finding("C9", f"median drawdown cut of 40/40/20 minus that of the single "
                         f"front call (> 0: layered better), {scenario}", scenario,
                         f"{ALVH} vs {SINGLE}", cut_difference(c, scenario, ALVH, SINGLE),
                         "> 0", 0.0, math.nan, strict=True))
    f.append(finding("C9", "95th-percentile drawdown cut, 40/40/20 minus single, base",
                     "base", f"{ALVH} vs {SINGLE}",
                     cut_difference(c, "base", ALVH, SINGLE, q=0.95), "> 0", 0.0,
                     math.nan, strict=True))
    f.append(finding("C9", "annual return, 40/40/20 minus single (> 0: layered cheaper)",
                     "base", f"{ALVH} vs {SINGLE}",
                     drag(c, "base", SINGLE, base=ALVH), unit="%/yr"))
    better = [x for x in f[:4] if x.ci_low > 0]
    worse = [x for x in f[:4] if x.ci_high < 0]
    cheaper = f[4].ci_high >= 0  # not significantly more expensive
    if better and not worse:
        verdict = (SUPPORTED if len(better) == 4 else "depends on the event") if cheaper \
            else "depends on the price: smaller drawdowns for more drag"
    else:
        verdict = NOT_SUPPORTED
    explanation = (
        f"Same {pct(budget(c, ALVH), 0)}/yr budget (spent in base: 40/40/20 "
        f"{pct(c.premium_per_year('base', ALVH), 2)}/yr, single call "
        f"{pct(c.premium_per_year('base', SINGLE), 2)}/yr), same paths. The layered hedge's "
        "extra "
        "drawdown cut over a single front-month call: "
        + ", ".join(f"{x.scenario} {pct(x.estimate)} [{pct(x.ci_low)}, {pct(x.ci_high)}]"
                    for x in f[:4])
        + f" (points of the unhedged drawdown); annual return difference "
        f"{pct(f[4].estimate, 2)} [{pct(f[4].ci_low, 2)}, {pct(f[4].ci_high, 2)}]. 'Beats' "
        f"is read as: a larger drawdown cut at no significantly higher cost.")
    return ClaimResult("C9", verdict, explanation, f, (0, 1, 4))


def c10(c: ClaimsCube, pricer):
    trigger = c.strategies[TS_TIGHTEN]["hedge"]["term_structure"]
    threshold, tighten = float(trigger["threshold_points"]), float(trigger["tighten_condor_sd"])
    f = []
    for scenario in ("base", "covid", "crash"):
        f.append(finding("C10", f"median drawdown cut with the front-layer roll-out minus "
                         f"without (> 0: the rule helps), {scenario}", scenario,
                         f"{ALVH} vs {NO_TS}", cut_difference(c, scenario, ALVH, NO_TS),
                         "> 0", 0.0, math.nan, strict=True))
        f.append(finding("C10", f"median drawdown cut with the roll-out and a {tighten:g}-SD "
                         f"condor re-strike minus the roll-out alone, {scenario}", scenario,
                         f"{TS_TIGHTEN} vs {ALVH}", cut_difference(c, scenario, TS_TIGHTEN, ALVH),
                         "> 0", 0.0, math.nan, strict=True))
    fired = {s: float(c.cube.trades_per_path.sel(scenario=s, strategy=TS_TIGHTEN,
                                                 event="condor_restruck"))
             for s in ("base", "covid", "crash", "bear_2022")}
    rolled = {s: float(c.cube.trades_per_path.sel(scenario=s, strategy=ALVH,
                                                  event="hedge_ts_rolled"))
              for s in ("base", "covid", "crash")}
    def spread(vix):
        return futures_spread(pricer, vix)
    spreads = [(vix, float(spread(vix))) for vix in (15.0, 20.0, 30.0, 40.0, 60.0)]
    model = pricer.model
    vix0 = float(model.vix_index(model.v0, model.m0))
    grid = np.arange(vix0, 150.0, 0.25)
    moved = np.flatnonzero(spread(grid) - spread(vix0) > threshold)
    needed = f"about {grid[moved[0]] - vix0:.0f} points (from VIX {vix0:.1f})" if moved.size \
        else "more than any VIX level below 150"
    two = model.two_factor
    limit = "" if two else "; the model cannot test the term structure apart from the VIX level"
    verdict, evidence = c10_verdict(f)
    verdict += limit
    at_levels = ", ".join(f"VIX {v:.0f}: {s:+.1f}" for v, s in spreads)
    lookback = trigger["lookback_trading_days"]
    if two:
        model_words = (
            f"In the two-factor model ({model.name or 'model'}) the 30- minus 60-day futures "
            f"spread moves with VIX and with the central tendency m: at m = m0 {at_levels} "
            f"points, and a {threshold:g}-point move within {lookback} trading days takes a "
            f"VIX rise of {needed} with m held, or a fall of m with VIX unchanged. Condor "
            "re-strikes per path (trigger while a condor is open): ")
    else:
        model_words = (
            f"In a one-factor variance model the 30- minus 60-day futures spread is a function "
            f"of VIX alone: {at_levels} points. A {threshold:g}-point move within {lookback} "
            f"trading days therefore needs a VIX rise of {needed}, and the rule is a "
            "VIX-momentum rule in disguise; a real term structure can invert without such a "
            "rise (a second factor: `alvh claims --model svcj_2f_default`). Condor re-strikes "
            "per path (trigger while a condor is open): ")
    explanation = (
        model_words
        + ", ".join(f"{s} {n:.2f}" for s, n in fired.items())
        + "; front-layer roll-outs per path: " + ", ".join(f"{s} {n:.3f}" for s, n in
                                                            rolled.items())
        + (" (by the time the spread has moved, the front layer has usually been sold at "
           f"{c.strategies[ALVH]['hedge']['monetize']['profit_multiple']:g}x its cost)."
           if max(rolled.values()) < 0.05 else "."))
    return ClaimResult("C10", verdict, explanation, f, evidence)


def c10_verdict(findings) -> tuple[str, tuple[int, ...]]:
    """C10's verdict and the findings it rests on (the table shows those): each part (the
    layer roll-out, the condor re-strike) named with the scenarios whose CI shows it help
    or hurt, and no other (issue 32: the verdict named the crash, the evidence was covid)."""
    def part(x):
        return "the condor re-strike" if x.strategy.startswith(TS_TIGHTEN) \
            else "the layer roll-out"
    helps = [i for i, x in enumerate(findings) if x.consistent]
    hurts = [i for i, x in enumerate(findings) if x.ci_high < 0]

    def named(indices, word):
        by_part: dict[str, list[str]] = {}
        for i in indices:
            by_part.setdefault(part(findings[i]), []).append(findings[i].scenario)
        return "; ".join(f"{p} {word} in {', '.join(s)}" for p, s in sorted(by_part.items()))
    if helps and not hurts:
        return f"depends on the event: {named(helps, 'helps')}", tuple(helps)
    if hurts and not helps:
        return f"{NOT_SUPPORTED}: {named(hurts, 'hurts')}", tuple(hurts)
    if not helps:
        return "not supported (no measurable effect)", (3,)
    return (f"depends on the event: {named(helps, 'helps')}; {named(hurts, 'hurts')}",
            tuple(helps + hurts))
