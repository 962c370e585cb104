"""Claims that are model calculations rather than outputs of the cube: C4 (VIX-call gains in a
10-point spike, priced under Q), C11 (where the hedge stack starts paying against the condor's
break-even, a Monte Carlo of one holding period) and the futures spread behind C10's trigger.
Each prices with a :class:`~simulator.pricing.pricer.Pricer` of the cube's base model and the
claims strategy's own condor and layer rules."""

from __future__ import annotations

import math

import numpy as np

from simulator.common.conventions import (
    FRONT_FUTURE_DTE,
    SECOND_FUTURE_DTE,
    TRADING_DAYS_PER_YEAR,
    trading_days,
)
from simulator.report.claims.catalogue import (
    ALVH,
    NOT_SUPPORTED,
    SUPPORTED,
    ClaimResult,
    Finding,
    finding,
    pct,
)
from simulator.results.stats import bootstrap
from simulator.strategy.config import CondorConfig, LayerConfig
from simulator.strategy.specs import STRIKE_RULES
from simulator.strategy.strikes import condor_strikes, vix_call_strike

C11_STREAM = 0x11C  # the paths of C11 are their own stream, apart from the cube's


def held_m(model):
    """The central tendency a "VIX at level x" check holds fixed: the model's m0 (two factors;
    a spike moves the fast factor v), None for one factor."""
    return model.m0 if model.two_factor else None


def futures_spread(pricer, vix):
    """Front minus second constant-maturity VIX future (30 and 60 calendar days, as the
    term-structure trigger reads them) at spot VIX ``vix`` (two factors: at m0), VIX points."""
    m = held_m(pricer.model)
    v = pricer.model.variance_from_vix(vix, m=m)
    return np.asarray(pricer.vix_future(v, trading_days(FRONT_FUTURE_DTE), m=m)
                      - pricer.vix_future(v, trading_days(SECOND_FUTURE_DTE), m=m), dtype=float)


def _strike_rule(layer: LayerConfig):
    """(words, strike from (spot VIX, own future)) of a layer's strike rule."""
    rule, value = layer.strike.rule, layer.strike.value
    if rule == "pct_above_future":
        return f"{100 * value:g} % above its future", lambda vix, fut: (1.0 + value) * fut
    if rule == "spot_multiple":
        return f"{value:g}x spot VIX", lambda vix, fut: value * vix
    raise ValueError(f"C4 prices layers struck by future or spot VIX, not by {rule!r}")


def c4(pricer, layers: dict) -> ClaimResult:
    """Model prices before and after an instantaneous +10 VIX points (the variance that gives
    VIX + 10), and after the same spike spread over 5 trading days: two 30-DTE calls at twice
    spot VIX, then each of ``layers`` (the claims strategy's hedge layers) from VIX 15. With
    two factors the spike moves v at the model's m0."""
    model = pricer.model
    m = held_m(model)
    cases = [  # (label, start VIX, calendar DTE, strike from (spot VIX, own future))
        ("30-DTE call struck at 2x spot VIX", 15.0, 30, lambda vix, fut: 2.0 * vix),
        ("30-DTE call struck at 2x spot VIX", 20.0, 30, lambda vix, fut: 2.0 * vix),
    ]
    for name, spec in layers.items():
        layer = LayerConfig(**spec)
        words, rule = _strike_rule(layer)
        cases.append((f"{name} layer: {layer.dte} DTE, {words}", 15.0, layer.dte, rule))
    f, parts = [], []
    for label, vix0, dte, rule in cases:
        days = trading_days(dte)
        v0 = float(model.variance_from_vix(vix0, m=m))
        strike = round(rule(vix0, float(pricer.vix_future(v0, days, m=m))))
        before = float(pricer.vix_option(v0, days, strike, m=m))
        v1 = float(model.variance_from_vix(vix0 + 10.0, m=m))
        after = float(pricer.vix_option(v1, days, strike, m=m))
        slow = float(pricer.vix_option(v1, days - 5, strike, m=m))
        f.append(Finding("C4", f"{label} (K {strike}, {before:.2f} points), VIX {vix0:.0f} -> "
                         f"{vix0 + 10:.0f} at once (spread over 5 days: "
                         f"{pct(slow / before - 1, 0)})", "model", "",
                         after / before - 1.0, claimed="200-400 %", claimed_low=2.0,
                         claimed_high=4.0, exact=True))
        parts.append(f"{label} from VIX {vix0:.0f}: {pct(after / before - 1, 0)}")
    ok = [x.consistent for x in f]
    verdict = SUPPORTED if all(ok) else "depends on tenor and moneyness" if any(ok) \
        else NOT_SUPPORTED
    explanation = (
        "Model prices (Q, the cube's base model), no sampling error: each call priced off its "
        "own VIX future before and after spot VIX rises 10 points. Gains: " + "; ".join(parts)
        + ". Long-dated calls gain far less: their future moves less than spot VIX "
        "(mean reversion).")
    return ClaimResult("C4", verdict, explanation, f, (0, 4))


CROSSING_EDGES = np.arange(-4.0, 1.0001, 0.1)  # SD bins of the SPX move for C11


def median_crossing(z: np.ndarray, r: np.ndarray, edges: np.ndarray = CROSSING_EDGES,
                    min_count: int = 20) -> float:
    """Where the median of ``r`` first reaches 0 going down in ``z`` from 0: medians per bin
    of ``z`` (bins with fewer than ``min_count`` points skipped), linear between the centres of
    the two bins that straddle zero; NaN if it never does."""
    bins = np.digitize(z, edges)
    order = np.argsort(bins, kind="stable")
    b_sorted = bins[order]
    r_sorted = r[order]
    cuts = np.searchsorted(b_sorted, np.arange(len(edges) + 1))
    prev = None  # (centre, median) of the bin above
    for j in range(int(np.searchsorted(edges, 0.0)), 0, -1):  # from z = 0 downwards
        chunk = r_sorted[cuts[j]:cuts[j + 1]]
        if chunk.size < min_count:
            continue
        centre, med = 0.5 * (edges[j - 1] + edges[j]), float(np.median(chunk))
        if med >= 0.0:
            if prev is None or prev[1] >= 0.0:
                return centre
            return prev[0] + (0.0 - prev[1]) * (centre - prev[0]) / (med - prev[1])
        prev = (centre, med)
    return math.nan


def c11(pricer, strategy: dict, n_paths: int, seed: int, *, n_boot: int, boot_seed):
    """Monte Carlo of one condor holding period from the base state: SPX move (in the
    condor's SD, spot x ATM implied vol x sqrt(tau)) against the hedge stack's P&L, for the
    condor and layers of ``strategy`` (a strategy's settings as the cube stores them)."""
    from simulator.model.paths import simulate_paths
    from simulator.pricing.black import implied_total_sd

    model = pricer.model
    condor = CondorConfig(**strategy["condor"])
    layers = strategy["hedge"]["layers"]
    tab = pricer.tables.kernel_tables
    spot, v0 = model.spx0, model.v0
    m0 = model.m0 if model.two_factor else 0.0  # the central tendency (ignored by 1F tables)
    days = condor.dte_trading_days
    hold = days - condor.exit_trading_days
    strikes = np.empty(4)
    condor_strikes(0, condor.short_delta, 0, condor.wing_width, 0.0, spot, v0, m0, float(days),
                   condor.strike_step, tab, strikes)
    pl, ps, cs, cl = strikes
    credit = float(pricer.spx_option(spot, v0, days, ps, "put", m=m0) - pricer.spx_option(
        spot, v0, days, pl, "put", m=m0) + pricer.spx_option(spot, v0, days, cs, "call", m=m0)
        - pricer.spx_option(spot, v0, days, cl, "call", m=m0))
    tau = days / TRADING_DAYS_PER_YEAR
    forward = spot * math.exp((model.r - model.q) * tau)
    discount = math.exp(-model.r * tau)
    atm = float(pricer.spx_option(spot, v0, days, forward, "call", m=m0))
    sd = spot * implied_total_sd(atm, forward, forward, discount, True)
    z_be = (ps - credit - spot) / sd

    paths = simulate_paths(model, n_paths=n_paths, n_days=hold, seed=seed, measure="P",
                           stream=C11_STREAM)
    s_h = paths.spx.values[:, -1]
    v_h = paths.v.values[:, -1]
    m_h = paths.m.values[:, -1] if model.two_factor else None
    z = (s_h - spot) / sd
    vix0 = float(model.vix_index(v0, model.m0))
    stack = np.zeros(n_paths)
    for spec in layers.values():
        layer = LayerConfig(**spec)
        t = layer.dte_trading_days
        k = vix_call_strike(STRIKE_RULES[layer.strike.rule], layer.strike.value,
                            layer.strike.step, v0, m0, float(t), vix0, tab, math.nan)
        cost = float(pricer.vix_option(v0, t, k, m=m0))
        value = pricer.vix_option(v_h, max(t - hold, 1), k, m=m_h)
        stack += layer.weight * (value / cost - 1.0)  # return on the premium, budget weights
    data = {"z": z, "r": stack}
    pay = bootstrap(lambda d: median_crossing(d["z"], d["r"]), data, n_boot=n_boot,
                    seed=boot_seed)
    gap = tuple(p - z_be for p in pay)
    f = [
        Finding("C11", f"condor put break-even (short {ps:.0f} - credit {credit:.2f}) in SD "
                f"(spot x ATM vol x sqrt of {days} days = {sd:.0f} points)", "model",
                condor.preset or "condor", z_be, unit="SD", exact=True),
        finding("C11", f"SPX move after {hold} trading days at which the 40/40/20 stack's "
                f"median mark-to-market turns positive", "model (P paths)", ALVH, pay,
                unit="SD"),
        finding("C11", "gap: hedge starts paying this many SD before the break-even",
                "model (P paths)", ALVH, (gap[0], gap[1], gap[2]), ">= 1.5 SD", 1.5,
                math.nan, unit="SD"),
    ]
    ok = f[2].consistent
    verdict = SUPPORTED if ok else NOT_SUPPORTED
    explanation = (
        f"{n_paths:,} P paths over one holding period ({hold} trading days, {condor.dte} to "
        f"{condor.exit_dte} DTE) "
        f"from the base state (VIX {vix0:.1f}). The put break-even sits {abs(z_be):.2f} SD "
        f"below spot; the stack's median value exceeds its cost once SPX is "
        f"{abs(pay[0]):.2f} SD down (medians in 0.1-SD bins of the SPX move, linear between "
        f"the two that straddle zero; CI from {n_boot} bootstrap resamples), i.e. "
        f"{gap[0]:.2f} SD before the break-even. With a break-even ~{abs(z_be):.1f} SD out, "
        f"paying 1.5 SD earlier would mean paying when SPX is "
        f"{'up' if z_be + 1.5 > 0 else f'{abs(z_be + 1.5):.2f} SD down'}"
        + (": a rule this stack does not meet at these strikes. " if not ok else ". ")
        + f"This is a model calculation on fresh paths (stream 0x{C11_STREAM:X}), not "
        "the cube.")
    return ClaimResult("C11", verdict, explanation, f, (2,))
