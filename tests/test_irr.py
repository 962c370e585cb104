"""The money-weighted return (IRR) of a book's daily flows (simulator/strategy/irr.py).

The solver is held to closed forms (one outlay and one return; an annuity), to
scipy.optimize.brentq on random flows, and to its own definition where it must refuse (no
sign change; two roots). The day loop's per-path IRR is held to one solved with brentq from
flows rebuilt independently: the kernel's trade log (premium and costs of every trade, by day)
plus the horizon's marks read off the trading-book curve.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.optimize import brentq

from simulator.common.conventions import TRADING_DAYS_PER_YEAR
from simulator.strategy.irr import irr, present_value, pure_at

DT = 1.0 / TRADING_DAYS_PER_YEAR


def _npv(flows, rate):
    t = np.arange(flows.size) * DT
    return float(np.sum(flows * (1.0 + rate) ** -t))


def _npv_at(rate, flows):
    return _npv(flows, rate)


def test_one_outlay_and_one_return_is_the_compound_growth():
    """-A on day 0, +B on day n: (B / A) ** (252 / n) - 1, for gains, losses and short and
    long holds."""
    for a, b, n in ((1.0, 1.1, 252), (1.0, 0.8, 63), (2.0, 2.5, 1260), (0.3, 0.31, 5),
                    (1.0, 0.02, 252)):
        flows = np.zeros(n + 1)
        flows[0], flows[-1] = -a, b
        assert irr(flows, DT) == pytest.approx((b / a) ** (TRADING_DAYS_PER_YEAR / n) - 1.0,
                                               rel=1e-10, abs=1e-12)


def test_an_annuity_has_its_textbook_rate():
    """Pay P = c (1 - (1+i)^-n) / i at t = 0 for n yearly coupons c: the IRR is i (steps of a
    year: dt = 1)."""
    for i, n, c in ((0.05, 10, 1.0), (0.12, 3, 0.4), (-0.03, 7, 2.0)):
        price = c * (1.0 - (1.0 + i) ** -n) / i
        flows = np.full(n + 1, c)
        flows[0] = -price
        assert irr(flows, 1.0) == pytest.approx(i, rel=1e-10, abs=1e-12)


def test_random_books_match_brentq_and_are_roots():
    """Random daily books (starting equity in, small premium flows of both signs, equity
    and marks back at the end): the same rate as brentq on the NPV in r."""
    rng = np.random.default_rng(35)
    for _ in range(200):
        n = int(rng.integers(5, 800))
        flows = rng.normal(0.0, 0.004, n + 1) * (rng.random(n + 1) < 0.3)
        flows[0] -= 1.0
        flows[-1] += 1.0 + rng.normal(0.0, 0.05)
        r = irr(flows, DT)
        assert np.isfinite(r)  # with the equity in, small flows make a pure investment
        expected = brentq(_npv_at, -0.9999, 1e4, args=(flows,), xtol=1e-14, rtol=1e-13)
        assert r == pytest.approx(expected, rel=1e-8, abs=1e-10)
        assert abs(_npv(flows, r)) < 1e-10


def test_flows_of_one_sign_have_no_irr():
    assert math.isnan(irr(np.array([-1.0, 0.0, -0.5]), DT))
    assert math.isnan(irr(np.array([1.0, 0.2, 0.0, 0.3]), DT))
    assert math.isnan(irr(np.zeros(10), DT))


def test_two_roots_are_refused():
    """-1, +5, -6 at t = 0, 1, 2: the NPV is zero at r = 1 and r = 2 (1+r = 2, 3), so no
    IRR is reported; -1, +2.3, -1.32 (roots 10 % and 20 %) likewise, and three roots. A
    single root of a stream with two sign changes that is a pure investment at it is kept."""
    assert math.isnan(irr(np.array([-1.0, 5.0, -6.0]), 1.0))
    assert math.isnan(irr(np.array([-1.0, 2.3, -1.32]), 1.0))
    # -(w - 1.1)(w - 1.2)(w - 1.3), w = 1 + r: three roots, a sign change across the bracket;
    # the one the solver lands on is no pure investment, so it is refused
    three = np.array([-1.0, 3.6, -4.31, 1.716])
    for rate in (0.1, 0.2, 0.3):
        assert abs(_npv_years(three, rate)) < 1e-12
    assert math.isnan(irr(three, 1.0))
    # -1, +0.5, -0.1, +0.7: balances at its root stay negative: a pure investment
    flows = np.array([-1.0, 0.5, -0.1, 0.7])
    r = irr(flows, 1.0)
    assert np.isfinite(r) and abs(_npv_years(flows, r)) < 1e-12
    assert pure_at(flows, 1.0, math.log1p(r))


def _npv_years(flows, rate):
    return float(np.sum(flows * (1.0 + rate) ** -np.arange(flows.size, dtype=float)))


def test_present_value_and_its_derivative():
    """The derivative in the log rate against a central difference."""
    rng = np.random.default_rng(3)
    flows = rng.normal(size=50)
    for x in (-0.5, 0.0, 0.3):
        value, slope = present_value(flows, DT, x)
        assert value == pytest.approx(_npv(flows, math.expm1(x)), rel=1e-12)
        h = 1e-6
        numeric = (present_value(flows, DT, x + h)[0] - present_value(flows, DT, x - h)[0]) \
            / (2 * h)
        assert slope == pytest.approx(numeric, rel=1e-6)


def test_the_day_loop_irr_matches_brentq_on_its_trade_log():
    """Per strategy and path, the kernel's IRR against brentq on flows rebuilt from the
    kernel's trade log: each trade's premium less its cost on its day, the starting equity in
    on day 0 and, on the last day, back with the horizon's marks (the trading book's last
    value less everything traded). Books with an index core (dividends are not trades) and
    ruined paths (their forced closes are not logged) are left out."""
    import simulator as sim
    from simulator.strategy import StrategyEngine
    from simulator.strategy.engine import COUNT_NAMES
    from tests.test_reference import STRATEGIES, _paths

    model = sim.load_model("svcj_default")
    engine = StrategyEngine(model, STRATEGIES)
    chunk = _paths(model, seed=16)
    n = 8
    res = engine.evaluate(chunk.spx[:n], chunk.v[:n], chunk.vix[:n], log_paths=range(n))
    ruined = res.counts[:, :, COUNT_NAMES.index("ruined")]
    compared = 0
    for k, name in enumerate(engine.names):
        if name in ("vxth", "pput"):  # index cores: dividends are not trades
            continue
        for i in range(n):
            if ruined[k, i]:
                continue
            flows = np.zeros(chunk.spx.shape[1])
            for e in res.trades:
                if e.strategy == name and e.path == i:
                    flows[e.day] += e.cash_flow - e.cost
            flows[-1] += res.trading[k, i, -1] - 1.0 - flows.sum()  # the horizon's marks
            flows[0] -= 1.0
            flows[-1] += 1.0
            expected = brentq(_npv_at, -0.9999, 1e4, args=(flows,), xtol=1e-14, rtol=1e-13)
            assert res.irr[k, i] == pytest.approx(expected, rel=1e-7, abs=1e-9), (name, i)
            compared += 1
    assert compared >= 0.8 * n * (len(engine.names) - 2)
    # the hedge changes the money-weighted return: not a copy of the unhedged book's
    unhedged = res.irr[engine.names.index("unhedged")]
    assert not np.allclose(res.irr[engine.names.index("alvh")], unhedged)
    # a book with an index core and nothing else traded would be its compound growth; with
    # its calls bought on the way it is finite on every path
    assert np.isfinite(res.irr[engine.names.index("vxth")]).all()


def test_the_summary_gives_the_median_and_mean_irr_with_bootstrap_bounds():
    """On a synthetic cube: the median and mean over the paths with an IRR (NaN paths left
    out, their share said), bounds from whole-path resamples that hold the estimate and
    match a percentile bootstrap written out here with the summary's resamples; the text
    table shows the median."""
    import simulator as sim
    from simulator.results.stats import resample_blocks
    from simulator.results.summary import format_summary
    from tests.test_pairing_and_units import _cube

    cube = _cube()
    rng = np.random.default_rng(5)
    irr_values = rng.normal(0.03, 0.08, cube.trading_return.shape)
    irr_values[0, 1, :40] = np.nan  # alvh: 40 of 400 paths without a unique IRR
    cube["irr"] = (("scenario", "strategy", "path"), irr_values)
    table = sim.summarize(cube, n_boot=200, seed=7)
    alvh = table.loc[("s", "alvh")]
    defined = irr_values[0, 1, 40:]
    assert alvh["irr_share"] == pytest.approx(0.9)
    assert alvh["irr_median"] == pytest.approx(np.median(defined), abs=1e-15)
    assert alvh["irr_mean"] == pytest.approx(defined.mean(), abs=1e-15)
    idx = np.concatenate(list(resample_blocks(400, 200, [7, 0])))
    draws = np.array([np.nanmedian(irr_values[0, 1, row]) for row in idx])
    lo, hi = np.quantile(draws, [0.025, 0.975])
    assert (alvh["irr_median_lo"], alvh["irr_median_hi"]) == pytest.approx((lo, hi), abs=1e-15)
    means = np.array([np.nanmean(irr_values[0, 1, row]) for row in idx])
    lo, hi = np.quantile(means, [0.025, 0.975])  # from path counts: to rounding
    assert (alvh["irr_mean_lo"], alvh["irr_mean_hi"]) == pytest.approx((lo, hi), rel=1e-12)
    assert alvh["irr_mean_lo"] < alvh["irr_mean"] < alvh["irr_mean_hi"]
    assert alvh["irr_median_lo"] < alvh["irr_median"] < alvh["irr_median_hi"]
    # the CI is about the sampling error: half-width ~ 1.96 x 1.2533 sd / sqrt(n) (+-30 %)
    half = (alvh["irr_median_hi"] - alvh["irr_median_lo"]) / 2
    assert half == pytest.approx(1.96 * 1.2533 * 0.08 / np.sqrt(360), rel=0.3)
    assert "IRR med %" in format_summary(table)


def test_present_value_by_horner_within_its_rounding_bound_of_the_exact_sum():
    """Horner's rule in present_value against the exact rational sum. At dt = 1 and x = -+ln 2
    the discount factor g = e^{-x dt} is 2 or 1/2 exactly (checked through the function
    itself), so the exact value sum f_d g^d and derivative -sum d f_d g^d are computed with
    Fractions. Tolerance: Higham (Accuracy and Stability of Numerical Algorithms, 2002, eq.
    5.3), |error| <= gamma_k sum |f_d| g^d with gamma_k = k u / (1 - k u), k = 2 m + 2 for m =
    ceil(n / 2) steps per chain and the final g x odd + even; the derivative's weights d f_d
    add one rounding (k + 1)."""
    from fractions import Fraction

    unit = np.finfo(float).eps / 2

    def gamma(k):
        return k * unit / (1.0 - k * unit)

    rng = np.random.default_rng(31)
    for x, n_max in ((-math.log(2.0), 600), (math.log(2.0), 1000)):
        g_exact = Fraction(2) if x < 0 else Fraction(1, 2)
        assert present_value(np.array([0.0, 1.0]), 1.0, x)[0] == float(g_exact)
        for n in (1, 2, 3, 64, 65, n_max):
            flows = rng.normal(0.0, 1.0, n)
            powers = [g_exact ** d for d in range(n)]
            value = sum(Fraction(f) * p for f, p in zip(flows, powers, strict=True))
            slope = -sum(d * Fraction(f) * p
                         for d, (f, p) in enumerate(zip(flows, powers, strict=True)))
            size = float(sum(abs(Fraction(f)) * p for f, p in zip(flows, powers, strict=True)))
            slope_size = float(sum(d * abs(Fraction(f)) * p
                                   for d, (f, p) in enumerate(zip(flows, powers, strict=True))))
            k = 2 * ((n + 1) // 2) + 2
            got_value, got_slope = present_value(flows, 1.0, x)
            assert abs(Fraction(got_value) - value) <= Fraction(gamma(k) * size)
            assert abs(Fraction(got_slope) - slope) <= Fraction(gamma(k + 1) * slope_size)


def test_present_value_by_horner_matches_the_sum_of_its_terms():
    """present_value against numpy's sum of the terms ``f_d e^{-x t_d}`` (value) and
    ``-t_d f_d e^{-x t_d}`` (derivative), for daily books of both length parities up to eight
    years, at the solver's bracket ends and inside. Each term's e^{-x t_d} is numpy's here
    and comes from powers of g = e^{-x dt} there, so the tolerance is the first-order sum of
    (per term, in units u of the sum of the terms' sizes): g within one ulp (2u) and y = g^2
    rounded, so |dy / y| <= 5u, which the powers y^j carry to the oldest day as 5 j u <=
    2.5 n u (+ 2u for g on odd days); Horner's own rounding, n + 1 (the test above); the
    final g x odd + even, 2; numpy's exp and product, 3, and its pairwise sum, log2 n + 1;
    the derivative's weights and t_d = d dt, 4 more. In all (3.5 n + 13 + log2 n) u. Observed
    here: at most 0.74 n u for n >= 252, 4 u at n = 3."""
    from simulator.strategy.irr import LOG_RATE_HIGH, LOG_RATE_LOW

    rng = np.random.default_rng(30)
    unit = np.finfo(float).eps / 2
    for n in (1, 2, 3, 252, 253, 2016):
        flows = rng.normal(0.0, 0.01, n)
        flows[0] -= 1.0
        flows[-1] += 1.0
        t = np.arange(n) * DT
        bound = (3.5 * n + 13 + math.log2(n)) * unit
        for x in (LOG_RATE_LOW, -0.7, 0.0, 0.05, 2.0, LOG_RATE_HIGH):
            terms = flows * np.exp(-x * t)
            value, slope = present_value(flows, DT, x)
            assert abs(value - terms.sum()) <= bound * np.abs(terms).sum()
            assert abs(slope + (t * terms).sum()) <= bound * np.abs(t * terms).sum()
