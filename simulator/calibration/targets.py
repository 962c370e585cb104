"""The moments the real-world (P) calibration matches, computed by one function from market
closes and from simulated paths alike (docs/calibration.md §3).

Inputs are aligned (paths, days) arrays (one row for the market): S&P 500 closes, VIX closes,
the front and second monthly VX futures and a flag for the days on which the second future
rolls to a new contract (its day-on-day change then mixes two contracts and is left out).
Missing values (NaN: days before the futures were listed, gaps in the data) are left out of
each moment that needs them.
"""

from __future__ import annotations

import numpy as np

from simulator.common.conventions import TRADING_DAYS_PER_YEAR
from simulator.model.stylized_facts import facts_from_closes

ACF_LAGS = (1, 21, 63)
LOW_TAIL_LEVELS = (12.0, 13.0, 15.0)
HIGH_TAIL_LEVELS = (30.0, 40.0)
QUANTILES = (0.1, 0.25, 0.75, 0.9)

# name -> (meaning, scale): a difference of one ``scale`` between model and market counts as
# one unit in the objective (the weights are 1 / scale^2). Scales are the half-widths of the
# preset's bands where the issue gives one, else about the market figure's sampling error over
# two decades; docs/calibration.md §3 lists them with the reasons.
TARGETS: dict[str, tuple[str, float]] = {
    "vix_mean": ("mean VIX close, points", 1.0),
    "vix_median": ("median VIX close, points", 1.0),
    "vix_q10": ("10th percentile of VIX, points", 1.0),
    "vix_q25": ("25th percentile of VIX, points", 1.0),
    "vix_q75": ("75th percentile of VIX, points", 1.0),
    "vix_q90": ("90th percentile of VIX, points", 1.5),
    "share_vix_below_12": ("share of days with VIX < 12", 0.03),
    "share_vix_below_13": ("share of days with VIX < 13", 0.03),
    "share_vix_below_15": ("share of days with VIX < 15", 0.04),
    "share_vix_above_30": ("share of days with VIX > 30", 0.02),
    "share_vix_above_40": ("share of days with VIX > 40", 0.01),
    "vix_acf_1": ("autocorrelation of VIX, 1 day", 0.01),
    "vix_acf_21": ("autocorrelation of VIX, 21 days", 0.04),
    "vix_acf_63": ("autocorrelation of VIX, 63 days", 0.08),
    "vix_log_change_vol": ("annualised vol of daily VIX log changes", 0.08),
    "realised_vol_mean": ("mean 21-day realised SPX vol, points", 0.6),
    "corr_return_dvix": ("corr(SPX log return, VIX change)", 0.03),
    "implied_minus_realised": ("mean VIX minus next-21-day realised vol, points", 0.3),
    "share_implied_above_realised": ("share of days VIX > next realised vol", 0.04),
    "share_contango": ("share of days with VX2 > VX1", 0.01),
    "mean_vx2_minus_vx1": ("mean VX2 - VX1, points", 0.15),
    "vx2_sensitivity": ("slope of daily VX2 change on VIX change", 0.05),
}

# Conditional targets (issue 28 item 1; docs/calibration.md §9): the facts given the VIX level
# and through a spike, by the functions of :mod:`simulator.calibration.conditional` (market and
# paths alike). Opt-in: a fit sees them when its market moments hold them
# (:func:`market_conditional_moments`), so every fit and objective made without them stays as
# it was. Scales: about half the width of the fact bands (conditional.BANDS), else the market
# figure's sampling error over the window.
CONDITIONAL_TARGETS: dict[str, tuple[str, float]] = {
    "rv_vix_below_13": ("mean next-21-day realised vol on days with VIX < 13, points", 0.8),
    "vix_minus_rv_below_13": ("mean VIX minus next-21-day realised vol, VIX < 13", 0.6),
    "vix_minus_rv_13_20": ("mean VIX minus next-21-day realised vol, VIX 13-20", 0.8),
    "vix_minus_rv_20_30": ("mean VIX minus next-21-day realised vol, VIX 20-30", 1.0),
    "vix_minus_rv_30_45": ("mean VIX minus next-21-day realised vol, VIX 30-45", 1.2),
    "vix_minus_rv_above_45": ("mean VIX minus next-21-day realised vol, VIX > 45", 2.5),
    "days_abs_dvix_over_5": ("days a year with |daily VIX change| > 5 points", 0.8),
    "days_dvix_over_30pct": ("days a year with VIX up more than 30 % in a day", 0.3),
    "long_future_slope": ("slope of a 40-day VIX future's daily change on VIX's", 0.04),
    "corr_dv_dm": ("corr(daily change of v, of m); market: states fitted to curves", 0.1),
}
ALL_TARGETS = {**TARGETS, **CONDITIONAL_TARGETS}
_BUCKET_KEYS = ("below_13", "13_20", "20_30", "30_45", "above_45")

# The fact table the default model must meet on stationary P paths (its market values in
# brackets in each calibrated preset's notes): name -> (low, high).
FACT_BANDS: dict[str, tuple[float, float]] = {
    "vix_mean": (18.0, 21.0),
    "vix_median": (16.3, 19.3),
    "share_vix_below_13": (0.12, 0.23),
    "share_vix_above_30": (0.06, 0.14),
    "corr_return_dvix": (-0.83, -0.67),
    "share_contango": (0.72, 0.88),
    "realised_vol_mean": (14.0, 18.0),
    "implied_minus_realised": (3.0, 5.0),
}


def _pooled_acf(x: np.ndarray, lag: int) -> float:
    """Correlation of x_t with x_{t+lag}, pairs pooled over rows (deviations from the pooled
    mean, so a row that sits high all along counts as persistence)."""
    a, b = x[:, :-lag].ravel(), x[:, lag:].ravel()
    ok = np.isfinite(a) & np.isfinite(b)
    mu = x[np.isfinite(x)].mean()
    a, b = a[ok] - mu, b[ok] - mu
    return float(np.dot(a, b) / np.sqrt(np.dot(a, a) * np.dot(b, b)))


def moments(spx, vix, vx1=None, vx2=None, vx2_roll=None) -> dict[str, float]:
    """Every target of :data:`TARGETS` (NaN for the futures moments when no futures are
    given or none is present)."""
    spx, vix = np.atleast_2d(spx), np.atleast_2d(vix)
    base = facts_from_closes(spx, vix)
    out = {
        "vix_mean": base["vix_mean"],
        "vix_median": base["vix_median"],
        **{f"vix_q{round(100 * p)}": float(np.quantile(vix, p)) for p in QUANTILES},
        **{f"share_vix_below_{level:g}": float(np.mean(vix < level)) for level in LOW_TAIL_LEVELS},
        **{f"share_vix_above_{level:g}": float(np.mean(vix > level))
           for level in HIGH_TAIL_LEVELS},
        **{f"vix_acf_{lag}": _pooled_acf(vix, lag) for lag in ACF_LAGS},
        "vix_log_change_vol": base["vix_log_change_vol"],
        "realised_vol_mean": base["realised_vol_mean"],
        "corr_return_dvix": base["corr_return_dvix"],
        "implied_minus_realised": base["implied_minus_realised"],
        "share_implied_above_realised": base["share_implied_above_realised"],
    }
    nan = float("nan")
    out |= {"share_contango": nan, "mean_vx2_minus_vx1": nan, "vx2_sensitivity": nan}
    if vx1 is not None and vx2 is not None:
        vx1, vx2 = np.atleast_2d(vx1), np.atleast_2d(vx2)
        both = np.isfinite(vx1) & np.isfinite(vx2)
        if both.any():
            out["share_contango"] = float(np.mean(vx2[both] > vx1[both]))
            out["mean_vx2_minus_vx1"] = float(np.mean(vx2[both] - vx1[both]))
        d_vx2, d_vix = np.diff(vx2, axis=-1), np.diff(vix, axis=-1)
        ok = np.isfinite(d_vx2) & np.isfinite(d_vix)
        if vx2_roll is not None:
            ok &= ~np.atleast_2d(vx2_roll)[..., 1:]
        if np.count_nonzero(ok) > 2:
            dx, dy = d_vix[ok], d_vx2[ok]
            dx = dx - dx.mean()
            out["vx2_sensitivity"] = float(np.dot(dx, dy - dy.mean()) / np.dot(dx, dx))
    return out


def equity_premium_of(spx: np.ndarray, r: float, q: float) -> float:
    """The window's excess return as an equity premium: the annualised mean daily simple
    return of the price index, plus the dividend yield ``q``, minus the rate ``r`` (the data
    has no dividends or bill rates: the model's own are used)."""
    ret = np.diff(spx) / spx[:-1]
    return float(ret.mean() * TRADING_DAYS_PER_YEAR + q - r)


def conditional_moments(spx, vix, future40=None, v=None, m=None) -> dict[str, float]:
    """The :data:`CONDITIONAL_TARGETS` of (paths, days) arrays: closes, the 40-trading-day VIX
    future at each state (NaN slope without it) and the two factors (NaN correlation without
    them). The functions are those of ``alvh facts`` (:mod:`simulator.calibration.conditional`)."""
    from simulator.calibration import conditional as cf

    spx, vix = np.atleast_2d(spx), np.atleast_2d(vix)
    buckets = cf.vix_bucket(vix).ravel()
    rv = cf.forward_realised_vol(spx)
    vmr = cf._bucket_means((vix - rv).ravel(), buckets)
    out = {"rv_vix_below_13": float(cf._bucket_means(rv.ravel(), buckets)[0])}
    out |= {f"vix_minus_rv_{k}": float(vmr[i]) for i, k in enumerate(_BUCKET_KEYS)}
    big = cf.big_move_counts(vix)
    out["days_abs_dvix_over_5"] = big["days_abs_change_over_5"]
    out["days_dvix_over_30pct"] = big["days_rise_over_30pct"]
    out["long_future_slope"] = float("nan") if future40 is None else cf.ols_slope(
        np.diff(vix, axis=-1), np.diff(np.atleast_2d(future40), axis=-1))
    out["corr_dv_dm"] = float("nan") if v is None or m is None else cf._corr_of_changes(v, m)
    return out


def market_conditional_moments(start: str, end: str, state_model=None) -> dict[str, float]:
    """The market's :data:`CONDITIONAL_TARGETS` over [start, end] (the listed VX contracts'
    slope; the correlation of the states ``state_model`` fits to each day's curve, NaN
    without a two-factor model)."""
    from simulator.calibration import conditional as cf

    facts = cf.market_facts(start, end, state_model=state_model)
    rv = facts.bucketed["realised_vol"]
    vmr = facts.bucketed["vix_minus_realised"]
    out = {"rv_vix_below_13": float(rv[0])}
    out |= {f"vix_minus_rv_{k}": float(vmr[i]) for i, k in enumerate(_BUCKET_KEYS)}
    out["days_abs_dvix_over_5"] = facts.scalars["days_abs_change_over_5"]
    out["days_dvix_over_30pct"] = facts.scalars["days_rise_over_30pct"]
    out["long_future_slope"] = facts.scalars["long_future_slope"]
    out["corr_dv_dm"] = facts.scalars["corr_dv_dm"]
    return out
