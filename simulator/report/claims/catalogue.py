"""The claims (docs/design.md §1, C1-C13) as data: their texts, the names of the claims scenario
file (``scenarios/claims.yaml``) they read, and the :class:`Finding` / :class:`ClaimResult` records.

Conventions (why they are what they are):

* **Risk capital** is what one condor tranche may lose: ``risk_per_tranche`` of equity at
  entry, which by the default sizing covers the condor's max loss, its hedge stack and its
  round-trip costs. The monthly presets hold one tranche at a time, so this is the capital the
  book has at risk. Drawdowns in "% of risk capital" are **trading-book** drawdowns (the
  account less the interest on idle cash, which at r = 4 % would add about 1.6 tranches of
  risk capital a year and hide the losses) divided by ``risk_per_tranche``; the claims' levels
  (35 %, 45-55 %) only make sense in that unit.
* **Vol events** (C5, C6) are those of the scenario file's ``vol_events`` rule
  (:mod:`simulator.results.events`), each counted from its own start until the book is back
  at its level of that day after the event's trough; the verdicts read each path's shock
  event (:func:`.evidence.named_event`), the pooled figure over every event (aftershocks
  included) beside it (issue 29).
* Every CI is a percentile bootstrap over whole paths (:func:`simulator.results.stats.bootstrap`;
  all strategies of a scenario resampled together, so paired differences keep their common
  random numbers).
* A claimed range is "supported" when the 95 % CI overlaps it, "not supported" when the CI
  lies wholly outside. C4 and C11 are model calculations (:mod:`.model_checks`), not outputs
  of the cube.
"""


from __future__ import annotations

import math
from dataclasses import dataclass, field

from simulator.common.conventions import BASELINE
from simulator.data import bundled_scenarios

CLAIMS_FILE = bundled_scenarios()["claims"].resolve()  # shipped with the package


N_BOOT = 1000


LEVEL = 0.95


CLAIMS = {
    "C1": "Unhedged condors in the 2022 bear market drew down > 35 % of risk capital; with "
          "ALVH 12-18 %.",
    "C2": "In a 2020-style volatility explosion ALVH capped condor losses at 12-18 % vs "
          "45-55 % unhedged.",
    "C3": "The 4/4/2 layered VIX calls cut maximum drawdown by about 35-40 % in tail events "
          "for 1-2 % annual drag.",
    "C4": "A 10-point VIX spike makes far-OTM VIX calls gain 200-400 %.",
    "C5": "The hedged book breaks even or turns profitable within 3-7 trading days of a vol "
          "event.",
    "C6": "After a spike the hedged portfolio recovers about 40 % faster.",
    "C7": "The hedge underperforms in grinding, low-vol bear markets.",
    "C8": "Monthly drag is 0.4-1.2 % (0.4-0.6 % with VIX < 15, 1.0-1.2 % when elevated); a "
          "conservative \"0.70\" condor earning 2.8-3.5 %/month unhedged earns 2.1-2.8 % "
          "hedged, with ~40 % lower max drawdown.",
    "C9": "40/40/20 across three maturities beats a single VIX call hedge of the same budget.",
    "C10": "When the front-second VIX futures spread moves by more than 3-4 points, roll the "
           "nearest layer out and tighten the condor's short strikes by 0.5-1 SD.",
    "C11": "Hedge layers should start paying at least 1.5 SD before the condor's break-even "
           "points.",
    "C12": "Each condor plus its hedge stack risks at most 2-3 % of capital.",
    "C13": "When a layer is bought or rolled, splitting it between VIX calls and SPX puts by "
           "the RSI of VVIX beats fixed splits.",
}


UNHEDGED, ALVH, NO_TS, TS_TIGHTEN = BASELINE, "alvh_40_40_20", "alvh_no_ts_roll", \
    "alvh_ts_tighten"


SINGLE, SCALED_442, LITERAL_442 = "single_front", "alvh_4_4_2_scaled", "alvh_4_4_2"


UNHEDGED_070, ALVH_070 = "unhedged_070", "alvh_070"


SPIKES = ("crash", "covid", "volmageddon")  # the scenarios with a volatility event


SUPPORTED, NOT_SUPPORTED = "supported", "not supported"


REQUIRED_SCENARIOS = ("base", "calm", "bear_2022", *SPIKES)


REQUIRED_STRATEGIES = (UNHEDGED, ALVH, NO_TS, TS_TIGHTEN, SINGLE, SCALED_442, LITERAL_442,
                       UNHEDGED_070, ALVH_070)


def check_names(source, scenarios, strategies) -> None:
    """The claims need the scenario and strategy names of scenarios/claims.yaml."""
    missing = [f"scenario {s!r}" for s in REQUIRED_SCENARIOS if s not in scenarios]
    missing += [f"strategy {s!r}" for s in REQUIRED_STRATEGIES if s not in strategies]
    if missing:
        raise ValueError(f"{source}: not a claims file (see scenarios/claims.yaml): missing "
                         f"{', '.join(missing)}")


@dataclass
class Finding:
    """One simulated figure behind a claim. Fractions are stored as fractions; ``unit`` says
    how :func:`format_claims` shows them ("%" multiplies by 100)."""

    claim: str
    what: str  # what was simulated, in words
    scenario: str
    strategy: str
    estimate: float
    ci_low: float = math.nan
    ci_high: float = math.nan
    claimed: str = ""
    claimed_low: float = math.nan
    claimed_high: float = math.nan
    unit: str = "%"
    exact: bool = False  # a model calculation without sampling error
    strict: bool = False  # a one-sided claim ("> 0") needs the whole CI on its side

    @property
    def percent(self) -> bool:
        return self.unit.startswith("%")

    @property
    def consistent(self) -> bool | None:
        """CI (or the exact value) overlaps the claimed range; None without a range."""
        if math.isnan(self.claimed_low) and math.isnan(self.claimed_high):
            return None
        lo, hi = (self.estimate, self.estimate) if self.exact or math.isnan(self.ci_low) \
            else (self.ci_low, self.ci_high)
        if math.isnan(lo):
            return False
        if self.strict:
            return bool((math.isnan(self.claimed_low) or lo > self.claimed_low)
                        and (math.isnan(self.claimed_high) or hi < self.claimed_high))
        below = not math.isnan(self.claimed_high) and lo > self.claimed_high
        above = not math.isnan(self.claimed_low) and hi < self.claimed_low
        return not (below or above)


@dataclass
class ClaimResult:
    claim: str
    verdict: str
    explanation: str
    findings: list[Finding] = field(default_factory=list)
    headline: tuple[int, ...] = (0,)  # the findings the verdict table shows

    @property
    def headlines(self) -> list[Finding]:
        return [self.findings[i] for i in self.headline]


def finding(claim, what, scenario, strategy, est_ci, claimed="", low=math.nan,
            high=math.nan, unit="%", strict=False):
    est, lo, hi = est_ci
    return Finding(claim, what, scenario, strategy, est, lo, hi, claimed, low, high, unit,
                   strict=strict)


def judge(part: str, f: Finding, better: str) -> tuple[str, str]:
    """Where one part of a claim stands: ("within" | "better" | "worse" | "unclear", words).

    ``better``: "higher" (a drawdown cut), "lower" (a drag, a cost) or "neither" (a level
    the claim states, e.g. the unhedged book's drawdown). A figure whose CI lies
    wholly on the good side of the claimed range is *better* than claimed (a cheaper hedge
    does not fail a claim, issue 32); wholly on the bad side, *worse*; overlapping, within."""
    lo, hi = (f.estimate, f.estimate) if f.exact or math.isnan(f.ci_low) else (f.ci_low,
                                                                             f.ci_high)
    claimed = f.claimed or "the claim"
    if math.isnan(lo):
        return "unclear", f"{part} not measured"
    above = not math.isnan(f.claimed_high) and lo > f.claimed_high
    below = not math.isnan(f.claimed_low) and hi < f.claimed_low
    if not (above or below):
        return "within", f"{part} {pct(f.estimate)} within {claimed}"
    good = above if better == "higher" else below if better == "lower" else False
    side = "above" if above else "below"
    return ("better" if good else "worse"), f"{part} {pct(f.estimate)} {side} {claimed}"


def verdict_of(parts: list[tuple[str, str]], better_words: str = "better than claimed") -> str:
    """A verdict from the parts' judgements (:func:`judge`): "not supported: <each part that
    fails, and by how much>" if any part is worse than claimed; else "supported", with what
    is better than claimed."""
    worse = [words for state, words in parts if state in ("worse", "unclear")]
    if worse:
        return f"{NOT_SUPPORTED}: " + "; ".join(worse)
    better = [words for state, words in parts if state == "better"]
    return f"{SUPPORTED}, {better_words} ({'; '.join(better)})" if better else SUPPORTED


def pct(x, digits=1):
    return "n/a" if x is None or math.isnan(x) else f"{100 * x:.{digits}f} %"


def versus(x: float, low: float, high: float) -> str:
    """Where ``x`` lies against a claimed range, in words."""
    return "below" if x < low else "above" if x > high else "within"
