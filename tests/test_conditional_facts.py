"""Facts given the VIX level (simulator/calibration/conditional.py, `alvh facts`): the market
side against figures measured independently and by a second method, the model's Q skewness
against Monte Carlo, and the command's table."""

from __future__ import annotations

import csv
import itertools
import math
import subprocess
import sys
from datetime import date

import numpy as np
import pytest

from simulator.calibration import conditional
from simulator.model.presets import load_model
from simulator.model.stylized_facts import load_market_series


def test_forward_realised_vol_of_constant_returns_is_exact():
    # daily log return 0.01: realised vol 100 sqrt(252/21 * 21 * 1e-4) = 100 * 0.01 sqrt(252)
    spx = 100.0 * np.exp(0.01 * np.arange(60))
    rv = conditional.forward_realised_vol(spx)[0]
    assert np.allclose(rv[:39], 100 * 0.01 * math.sqrt(252), rtol=1e-12)
    assert np.isnan(rv[39:]).all()  # the last 21 days have no full window ahead


def test_big_move_counts_on_a_hand_made_path():
    # one year of 252 closes (251 changes): a +6 jump (also +30 %: 15 -> 21 is +40 %),
    # a -5.5 fall, a 10-point rise over 5 days (two days qualify)
    vix = np.full(252, 15.0)
    vix[10:] += 6.0  # day 10: +6 (40 %)
    vix[20:] -= 5.5  # day 20: -5.5 (26 %)
    vix[100:105] += np.array([3.0, 6.0, 9.0, 12.0, 12.0])  # 5-day rise of 12 then hold
    vix[105:] += 12.0
    years = 251 / 252
    counts = conditional.big_move_counts(vix)
    assert counts["days_abs_change_over_5"] == pytest.approx(2 / years)
    assert counts["days_rise_over_30pct"] == pytest.approx(1 / years)
    # vix[t] - vix[t-5] > 10 on t = 103 and 104 (12 points); t = 102 and 105 give 9
    assert counts["days_10_point_rise_in_5"] == pytest.approx(2 / years)
    with pytest.raises(ValueError, match="at least 6 days"):
        conditional.big_move_counts(vix[:3])


def test_market_facts_reproduce_the_independent_review_figures():
    """The fidelity review (issue 28) measured these on the same 1990-2025 data with its own
    code: realised vol at VIX < 13 of 9.2, VIX minus it 2.6; 4.1 days a year with a 5-point VIX
    move, 1.3 with a 30 % rise; corr of the fitted states' changes 0.29. Rounding of the
    published figures: half a unit of the last digit (0.05), the correlation +-0.02 (its state
    fit differs in detail)."""
    model = load_model("svcj_2f_calibrated")
    facts = conditional.market_facts(state_model=model)
    assert facts.value("realised_vol", "< 13") == pytest.approx(9.2, abs=0.05)
    assert facts.value("vix_minus_realised", "< 13") == pytest.approx(2.6, abs=0.05)
    assert facts.value("days_abs_change_over_5") == pytest.approx(4.1, abs=0.05)
    assert facts.value("days_rise_over_30pct") == pytest.approx(1.3, abs=0.05)
    assert facts.value("corr_dv_dm") == pytest.approx(0.29, abs=0.02)
    # VVIX rises with VIX in the market (the fact an affine model cannot reproduce)
    vvix = facts.bucketed["vix_option_vol"]
    assert np.all(np.diff(vvix) > 0)
    assert facts.value("vix_option_vol_rise") > 10
    assert facts.bucketed["share_of_days"].sum() == pytest.approx(1.0)


def test_market_long_future_slope_by_a_second_method():
    """A plain loop over the contracts file (one dict per contract, a day's change kept when
    the two sessions are consecutive VIX sessions and the contract is 30-50 weekdays from
    expiry) against the vectorised function, 2015-2019."""
    vix = load_market_series("vix_daily")
    session = {d: i for i, d in enumerate(vix["date"])}
    close = vix["close"]
    contracts: dict[str, list[tuple[str, float]]] = {}
    path = conditional.__file__.replace("calibration/conditional.py",
                                        "data/market/vix_futures_contracts_cboe.csv")
    with open(path) as f:
        for row in csv.DictReader(f):
            if "2015-01-01" <= row["date"] <= "2019-12-31" and row["settle"]:
                contracts.setdefault(row["expiry"], []).append((row["date"], float(row["settle"])))
    dx, dy = [], []
    for expiry, rows in contracts.items():
        rows.sort()
        for (d0, s0), (d1, s1) in itertools.pairwise(rows):
            if d0 not in session or d1 not in session or session[d1] != session[d0] + 1:
                continue
            left = np.busday_count(date.fromisoformat(d1), date.fromisoformat(expiry))
            if 30 <= left <= 50:
                dx.append(close[session[d1]] - close[session[d0]])
                dy.append(s1 - s0)
    expected = np.polyfit(dx, dy, 1)[0]
    assert conditional.market_long_future_slope("2015-01-01", "2019-12-31") == pytest.approx(
        expected, rel=1e-10)
    # settlements dated after the last VIX close are left out, not read past the series
    assert math.isfinite(conditional.market_long_future_slope("2025-01-01", "2099-12-31"))


@pytest.mark.parametrize("preset", ["svcj_default", "svcj_2f_calibrated",
                                    "svcj_2f_conditional"])
def test_q_skewness_from_the_cf_against_monte_carlo(preset):
    """The 21-trading-day risk-neutral skewness of ln(S_T/S_0) from the CF's cumulants against
    the sample skewness of 200,000 Q paths from the same state (daily QE steps with 4 sub-steps).
    Tolerance: 4 standard errors of the sample skewness (from 20 batch skewnesses) plus 0.03
    for the discretisation of the jumps and variance on a daily grid."""
    import simulator as sim

    model = load_model(preset)
    tau = 21 / 252
    cf_skew = float(conditional.q_skewness(model, model.v0,
                                           model.m0 if model.two_factor else None, tau)[0])
    paths = sim.simulate_paths(model, 200_000, 21, seed=5, measure="Q", substeps=4)
    x = np.log(paths.spx.values[:, -1] / paths.spx.values[:, 0])

    def skew(a):
        a = a - a.mean()
        return np.mean(a**3) / np.mean(a**2) ** 1.5

    batches = np.array([skew(b) for b in np.array_split(x, 20)])
    se = batches.std(ddof=1) / math.sqrt(batches.size)
    print(f"{preset}: CF {cf_skew:.4f}, MC {skew(x):.4f} (se {se:.4f})")
    assert abs(skew(x) - cf_skew) < 4 * se + 0.03, (skew(x), cf_skew, se)
    assert cf_skew < 0  # the SPX's risk-neutral distribution is left-skewed


def test_model_facts_are_consistent_with_their_own_paths():
    """At a small size: bucket shares sum to one, bucket means weighted by days give the pooled
    realised vol of the same paths, the slope and ratios are finite."""
    import simulator as sim

    model = load_model("svcj_2f_calibrated")
    facts = conditional.model_facts(model, n_paths=60, years=3, seed=3, options_per_bucket=2,
                                    slope_paths=20)
    assert facts.bucketed["share_of_days"].sum() == pytest.approx(1.0)
    paths = sim.simulate_paths(model, 60, 3 * 252, seed=3, measure="P")
    rv = conditional.forward_realised_vol(paths.spx.values[:, 252:])
    buckets = conditional.vix_bucket(paths.vix.values[:, 252:])
    ok = np.isfinite(rv)
    weights = np.bincount(buckets[ok], minlength=5)
    pooled = np.nansum(facts.bucketed["realised_vol"] * weights) / weights.sum()
    assert pooled == pytest.approx(rv[ok].mean(), rel=1e-12)
    assert 0.0 < facts.value("long_future_slope") < 1.0
    assert np.isfinite(facts.value("corr_dv_dm"))


def test_alvh_facts_prints_the_table_and_refuses_bad_options(tmp_path):
    run = subprocess.run([sys.executable, "-m", "simulator.cli", "facts", "--paths", "40",
                          "--years", "2", "--figure", str(tmp_path / "facts.png")],
                         capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stderr
    assert "realised vol, next 21 days" in run.stdout
    assert "MISS" in run.stdout or " ok" in run.stdout
    assert (tmp_path / "facts.png").stat().st_size > 10_000
    bad = subprocess.run([sys.executable, "-m", "simulator.cli", "facts", "--years", "1"],
                         capture_output=True, text=True, timeout=60)
    assert bad.returncode == 2 and "--years" in bad.stderr
    bad = subprocess.run([sys.executable, "-m", "simulator.cli", "facts", "no_such_model"],
                         capture_output=True, text=True, timeout=60)
    assert bad.returncode == 2 and "no_such_model" in bad.stderr


# ---- svcj_2f_conditional (docs/calibration.md §9) -------------------------------------------

CONDITIONAL_MET = (("realised_vol", "< 13"), ("vix_minus_realised", "< 13"),
                   ("vix_minus_realised", "30-45"), ("vix_minus_realised", "> 45"),
                   ("days_abs_change_over_5", None), ("vix_option_vol_rise", None))


def test_conditional_preset_meets_the_bands_it_was_fitted_for():
    """svcj_2f_conditional on 4,000 P path-years of a seed its fit never saw (the fit: 20261202):
    six of the eight bands (the default meets none; docs/calibration.md §9). Measured on seeds
    7 and 9: calm realised vol 9.09 / 9.05, VIX minus it 2.84 / 2.87 (calm), 7.45 / 7.18
    (30-45), 9.74 / 10.08 (> 45), |dVIX| > 5 on 2.947 / 2.952 days a year (the closest to its
    edge, 2.7: 0.25 days, about 3 standard errors of a 4,000-year count), VVIX rise 3.70 /
    3.79. The two misses are held where they are, so that a change shows: +30 % days 0.44 /
    0.43 (band 0.8-2), the long future's slope 0.258 / 0.260 (band 0.30-0.50)."""
    model = load_model("svcj_2f_conditional")
    facts = conditional.model_facts(model, n_paths=400, seed=7, options_per_bucket=8,
                                    slope_paths=50)
    for fact, bucket in CONDITIONAL_MET:
        lo, hi = conditional.BANDS[(fact, bucket)]
        assert lo <= facts.value(fact, bucket) <= hi, (fact, bucket, facts.value(fact, bucket))
    assert 0.3 < facts.value("days_rise_over_30pct") < 0.6
    assert 0.22 < facts.value("long_future_slope") < 0.30


def test_conditional_preset_keeps_the_averages_but_contango():
    """The averages' fact table (tests/test_calibration.py, the same 1,280 path-years of seed
    8): every band but contango, 0.700 against 0.72-0.88 (the fit trades it against the median
    VIX, 16.7 against 16.3-19.3; docs/calibration.md §9); the test holds contango within 0.02
    of its band so any drift is caught."""
    from simulator.calibration.real_world import SimulationDesign, path_moments
    from simulator.calibration.targets import FACT_BANDS

    got = path_moments(load_model("svcj_2f_conditional"),
                       SimulationDesign(n_paths=128, years=11, seed=8))
    bands = dict(FACT_BANDS, share_contango=(0.68, 0.88))  # the known gap, see above
    outside = {k: (round(got[k], 4), band) for k, band in bands.items()
               if not band[0] <= got[k] <= band[1]}
    assert not outside, outside
