"""Claims about recovery after a volatility event, from the cube's vol events: C5 (the hedged
book breaks even within 3-7 trading days) and C6 (about 40 % faster than unhedged).

Each event is counted on its own (issue 29): days from the event's start (the last calm close)
until the trading book is back at its level of that day, after the event's trough
(``event_breakeven_days``). The verdicts read one event per path, the scenario's shock event
(:func:`~simulator.report.claims.evidence.named_event`); the figure over every event of every
path, aftershocks included, is reported beside it ("pooled"). An aftershock is an event that
starts while an earlier one has not broken even (``event_parent``)."""

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
    MEDIAN_DAYS,
    ClaimsCube,
    aftershock_share,
    breakeven_days,
    event_days,
    event_facts,
    event_of_each_path,
    event_words,
    median_days,
    named_event,
    never_as_nan,
    rule_text,
    share_of_paths,
)


def named_days(c: ClaimsCube, scenario, strategy) -> np.ndarray:
    """(path, 1) break-even days of each path's named event (inf: never; NaN: no event)."""
    x = breakeven_days(c, scenario, strategy)
    return event_of_each_path(x, named_event(c, scenario))[:, None]


def _never(x: float) -> str:
    return "never" if math.isnan(x) else f"{x:.0f}"


def _within(x: np.ndarray, days: int = 7) -> float:
    have = ~np.isnan(x)
    return float(np.mean(x[have] <= days)) if have.any() else math.nan


def c5(c: ClaimsCube):
    f = []
    for scenario in SPIKES:
        data = {"h": named_days(c, scenario, ALVH)}
        f.append(finding("C5", f"median trading days from the shock event's start until the "
                         f"hedged trading book is back at its level of that day, {scenario}",
                         scenario, ALVH, c.boot_figures(never_as_nan, [(data["h"], MEDIAN_DAYS)]),
                         "within 3-7 days", 0.0, 7.0, unit="trading days"))
    for scenario in SPIKES:
        data = {"h": breakeven_days(c, scenario, ALVH)}
        f.append(finding("C5", f"the same over every vol event of every path (pooled, "
                         f"aftershocks included, each from its own start), {scenario}",
                         scenario, ALVH, c.boot_figures(never_as_nan, [(data["h"], MEDIAN_DAYS)]),
                         "within 3-7 days", 0.0, 7.0, unit="trading days"))
    for scenario in SPIKES:
        h, u = named_days(c, scenario, ALVH), named_days(c, scenario, UNHEDGED)
        # hedged minus unhedged share of paths back within 7 days (NaN: no hedged event)
        f.append(finding("C5", f"share of shock events with the book back at its start level "
                         f"within 7 trading days, hedged minus unhedged, {scenario}", scenario,
                         ALVH, c.boot_figures(
                             lambda a, b, events: np.where(events > 0, a - b, np.nan),
                             [share_of_paths(h <= 7), share_of_paths(u <= 7),
                              share_of_paths(~np.isnan(h))])))
    unhedged = {s: median_days(named_days(c, s, UNHEDGED)) for s in SPIKES}
    share = {s: _within(named_days(c, s, ALVH)) for s in SPIKES}
    pooled_share = {s: _within(breakeven_days(c, s, ALVH)) for s in SPIKES}
    after = {s: aftershock_share(c, s, ALVH) for s in SPIKES}
    peak = {s: median_days(event_days(c, s, ALVH)) for s in SPIKES}
    ok = [x.consistent for x in f[:3]]
    verdict = SUPPORTED if all(ok) else NOT_SUPPORTED if not any(ok) else \
        "depends on the event"
    explanation = (
        f"Vol event = {rule_text(c)} ("
        + "; ".join(event_facts(c, s) for s in SPIKES)
        + "). Each event counts from its own start (the last calm close) until the trading "
        "book (no interest) is back at its level of that day, after the event's trough (0: it "
        f"never fell below). The verdict reads {event_words(c, SPIKES)}, one per path. "
        "Hedged median: "
        + ", ".join(f"{x.scenario} {_never(x.estimate)}" for x in f[:3])
        + " trading days (pooled over every event: "
        + ", ".join(f"{x.scenario} {_never(x.estimate)}" for x in f[3:6])
        + "); unhedged: " + ", ".join(f"{s} {_never(d)}" for s, d in unhedged.items())
        + ". Hedged shock events back within 7 days: " + ", ".join(
            f"{s} {pct(v, 0)}" for s, v in share.items())
        + " (pooled: " + ", ".join(f"{s} {pct(v, 0)}" for s, v in pooled_share.items())
        + "). Aftershocks (events starting while an earlier one has not broken even), share "
        "of the pooled events: " + ", ".join(f"{s} {pct(v, 0)}" for s, v in after.items())
        + ". Counted from the pre-event peak instead, pooled (the rule before issue 29): "
        + ", ".join(f"{s} {_never(v)}" for s, v in peak.items())
        + " days. 'Within 3-7 days' is read as at most 7.")
    return ClaimResult("C5", verdict, explanation, f, (0, 3))


def _speedup(hedged_days, unhedged_days):
    """1 - median days hedged / unhedged (NaN where either median is never)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return 1.0 - never_as_nan(hedged_days) / never_as_nan(unhedged_days)


def c6(c: ClaimsCube):
    f = []
    for scenario in SPIKES:
        data = {"h": named_days(c, scenario, ALVH), "u": named_days(c, scenario, UNHEDGED)}
        f.append(finding("C6", f"recovery speed-up after the shock event (1 - median days to "
                         f"break even, hedged / unhedged), {scenario}", scenario, ALVH,
                         c.boot_figures(_speedup, [(data["h"], MEDIAN_DAYS),
                                                   (data["u"], MEDIAN_DAYS)]),
                         "~40 % (35-45 %)", 0.35, 0.45))
    for scenario in SPIKES:
        data = {"h": breakeven_days(c, scenario, ALVH),
                "u": breakeven_days(c, scenario, UNHEDGED)}
        f.append(finding("C6", f"the same over every vol event of every path (pooled, "
                         f"aftershocks included), {scenario}", scenario, ALVH,
                         c.boot_figures(_speedup, [(data["h"], MEDIAN_DAYS),
                                                   (data["u"], MEDIAN_DAYS)]),
                         "~40 % (35-45 %)", 0.35, 0.45))
    for scenario in SPIKES:
        data = {"h": named_days(c, scenario, ALVH), "u": named_days(c, scenario, UNHEDGED)}
        f.append(finding("C6", f"share of shock events broken even within the run, hedged "
                         f"minus unhedged, {scenario}", scenario, ALVH,
                         c.boot_figures(lambda a, b: a - b,
                                        [share_of_paths(np.isfinite(data["h"])),
                                         share_of_paths(np.isfinite(data["u"]))])))
    ok = [x.consistent for x in f[:3]]
    verdict = SUPPORTED if all(ok) else NOT_SUPPORTED if not any(ok) else "depends on the event"
    explanation = (
        f"Recovery = trading days from the event's start until the trading book (no interest "
        f"on cash) is back at its level of that day, after the event's trough; the verdict "
        f"reads {event_words(c, SPIKES)}, one per path. Events never recovered within the "
        "run rank slowest, and a speed-up is 'not within the run' when the median unhedged "
        "event never recovers. Speed-up: "
        + ", ".join(f"{x.scenario} {pct(x.estimate)}" for x in f[:3])
        + " (pooled over every event, aftershocks included: "
        + ", ".join(f"{x.scenario} {pct(x.estimate)}" for x in f[3:6])
        + "); shock events recovered within the run, hedged minus unhedged: "
        + ", ".join(f"{x.scenario} {pct(x.estimate)}" for x in f[6:]) + ".")
    return ClaimResult("C6", verdict, explanation, f, (0, 3))
