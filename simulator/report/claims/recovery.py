"""Claims about recovery after a volatility event, from the cube's vol events: C5 (back at the
pre-event peak within 3-7 trading days) and C6 (about 40 % faster than unhedged)."""

from __future__ import annotations

import math

import numpy as np

from simulator.report.claims.catalogue import (
    ALVH,
    NOT_SUPPORTED,
    SPIKES,
    SUPPORTED,
    UNHEDGED,
    ClaimResult,
    finding,
    pct,
)
from simulator.report.claims.evidence import (
    ClaimsCube,
    event_days,
    event_facts,
    median_days,
    rule_text,
)


def c5(c: ClaimsCube):
    f = []
    for scenario in SPIKES:
        data = {"h": event_days(c, scenario, ALVH)}
        f.append(finding("C5", f"median trading days from a vol event's start until the "
                         f"hedged trading book is back at its pre-event peak, {scenario}",
                         scenario, ALVH, c.boot(lambda d: median_days(d["h"]), data),
                         "within 3-7 days", 0.0, 7.0, unit="trading days"))
    for scenario in SPIKES:
        data = {"h": event_days(c, scenario, ALVH), "u": event_days(c, scenario, UNHEDGED)}
        f.append(finding("C5", f"share of vol events with the book back at its pre-event peak "
                         f"within 7 trading days, hedged minus unhedged, {scenario}", scenario,
                         ALVH, c.boot(lambda d: (np.nanmean(d["h"] <= 7) - np.nanmean(
                              d["u"] <= 7)) if (~np.isnan(d["h"])).any() else math.nan, data)))
    unhedged = {s: median_days(event_days(c, s, UNHEDGED)) for s in SPIKES}
    share = {}
    for s in SPIKES:
        x = event_days(c, s, ALVH)
        share[s] = float(np.mean(x[~np.isnan(x)] <= 7)) if (~np.isnan(x)).any() else math.nan
    ok = [x.consistent for x in f[:3]]
    verdict = SUPPORTED if all(ok) else NOT_SUPPORTED if not any(ok) else \
        "depends on the event"
    explanation = (
        f"Vol event = {rule_text(c)} (every event of every path; "
        + "; ".join(event_facts(c, s) for s in SPIKES)
        + "). Days count from the pre-event close until the trading book (no interest) is "
        "back at its peak before the event (0: it never fell below). Hedged median: "
        + ", ".join(f"{x.scenario} {'never' if math.isnan(x.estimate) else f'{x.estimate:.0f}'}"
                    for x in f[:3])
        + " trading days; unhedged: " + ", ".join(
            f"{s} {'never' if math.isnan(d) else f'{d:.0f}'}" for s, d in unhedged.items())
        + ". Hedged events back within 7 days: " + ", ".join(
            f"{s} {pct(v, 0)}" for s, v in share.items())
        + ". 'Within 3-7 days' is read as at most 7.")
    return ClaimResult("C5", verdict, explanation, f, (0, 2))


def c6(c: ClaimsCube):
    f = []
    for scenario in SPIKES:
        data = {"h": event_days(c, scenario, ALVH), "u": event_days(c, scenario, UNHEDGED)}
        f.append(finding("C6", f"recovery speed-up after vol events (1 - median days to "
                         f"regain the pre-event peak, hedged / unhedged), {scenario}",
                         scenario, ALVH,
                         c.boot(lambda d: 1.0 - median_days(d["h"]) / median_days(d["u"]),
                                 data),
                         "~40 % (35-45 %)", 0.35, 0.45))
    for scenario in SPIKES:
        data = {"h": event_days(c, scenario, ALVH), "u": event_days(c, scenario, UNHEDGED)}
        f.append(finding("C6", f"share of vol events recovered within the run, hedged minus "
                         f"unhedged, {scenario}", scenario, ALVH,
                         c.boot(lambda d: np.nanmean(np.isfinite(d["h"]))
                                 - np.nanmean(np.isfinite(d["u"])), data)))
    ok = [x.consistent for x in f[:3]]
    verdict = SUPPORTED if all(ok) else NOT_SUPPORTED if not any(ok) else "depends on the event"
    explanation = (
        "Recovery = trading days from a vol event's start until the trading book (no "
        "interest on cash) regains its pre-event peak; events never recovered within the run "
        "rank slowest, and a speed-up is 'not within the run' when the median unhedged event "
        "never recovers. Speed-up: "
        + ", ".join(f"{x.scenario} {pct(x.estimate)}" for x in f[:3])
        + "; events recovered within the run, hedged minus unhedged: "
        + ", ".join(f"{x.scenario} {pct(x.estimate)}" for x in f[3:]) + ".")
    return ClaimResult("C6", verdict, explanation, f)
