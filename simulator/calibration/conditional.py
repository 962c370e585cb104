"""Facts *given the state*: how SPX and VIX behave by VIX level and through a spike, computed by
one set of functions from the shipped market data and from a model's P paths (``alvh facts``).

A model can match the averages (mean VIX, the variance premium, contango) and still be wrong
where this project's answers live: a condor earns its income in calm months and a hedge layer
pays in a spike. The facts here condition on the VIX level of the day (buckets
:data:`VIX_BUCKETS`) or count the spikes themselves. Definitions (market and model alike):

- ``realised_vol``: the realised volatility of the next 21 trading days,
  ``100 sqrt(252/21 sum r^2)`` with daily log returns (vol points), averaged over the days of
  each VIX bucket; ``vix_minus_realised``: VIX that day minus it.
- ``vix_option_vol``: VVIX, Cboe's 30-day VIX-option variance index: the market's published
  index, and the model's computed the same way on its own VIX options at each path state
  (:mod:`simulator.pricing.vvix`, the continuous-strike limit of Cboe's strip formula).
- ``vix3m_over_vix``, ``vix9d_over_vix``: the 93- and 9-day VIX-style indices over VIX (the
  model's from its affine VIX formula at those windows, docs/two_factor.md "VIX").
- ``skew_index``: Cboe SKEW, ``100 - 10 x`` the 30-day risk-neutral skewness of the log return
  (the model's skewness from the cumulants of its characteristic function, :func:`q_skewness`).
- ``big_moves``: days a year with ``|dVIX| > 5`` points, with VIX up more than 30 % in a day,
  and days on which VIX stands more than 10 points above its level 5 trading days before.
- ``long_future_slope``: the OLS slope of a 40-trading-day VIX future's daily change on the
  daily change of VIX. Market: every listed contract 30-50 trading (week) days from expiry, its
  settlement change on consecutive sessions; model: the future of 40 trading days to expiry at
  each path state, so a daily change is the move of the state alone.
- ``vix_option_vol_rise``: VVIX on days with VIX above 40 minus that on days with VIX 13-20 (an
  affine model makes it negative, Drimus 2012, Quantitative Finance 12(11)).
- ``corr_dv_dm``: the correlation of daily changes of the two factors, v and m. Market: the
  states fitted to each real day's VIX curve (:func:`simulator.calibration.states.curve_history`,
  two-factor models only, from 2007); model: the path states.

The first ``burn_in_years`` of each path are dropped, so the paths are close to stationary.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from simulator.common.conventions import (
    CALENDAR_DAYS_PER_YEAR,
    TRADING_DAYS_PER_YEAR,
    VIX_WINDOW_YEARS,
)
from simulator.model.params import MeasureParams, Model
from simulator.model.stylized_facts import REALISED_WINDOW_DAYS, load_market_series
from simulator.model.vix import VIX3M_WINDOW_YEARS as VIX3M_YEARS

# VIX buckets (lower edges inclusive): calm, normal, elevated, stressed, panic
VIX_BUCKETS = (0.0, 13.0, 20.0, 30.0, 45.0, math.inf)
BUCKET_LABELS = ("< 13", "13-20", "20-30", "30-45", "> 45")
BIG_MOVE_POINTS = 5.0
BIG_RISE_FRACTION = 0.30
RISE_POINTS, RISE_DAYS = 10.0, 5
LONG_FUTURE_DAYS = (30, 50)  # market: listed contracts this many trading days from expiry
LONG_FUTURE_TRADING_DAYS = 40  # model: the constant-maturity future in their middle
VIX9D_YEARS = 9 / CALENDAR_DAYS_PER_YEAR  # Cboe VIX9D: 9 calendar days
SKEW_YEARS = VIX_WINDOW_YEARS  # Cboe SKEW: 30 calendar days, as VIX

BUCKETED = ("share_of_days", "realised_vol", "vix_minus_realised", "vix_option_vol",
            "vix3m_over_vix", "vix9d_over_vix", "skew_index")
SCALARS = ("days_abs_change_over_5", "days_rise_over_30pct", "days_10_point_rise_in_5",
           "long_future_slope", "vix_option_vol_rise", "corr_dv_dm")

LABELS = {
    "share_of_days": "share of days",
    "realised_vol": "realised vol, next 21 days",
    "vix_minus_realised": "VIX minus that realised vol",
    "vix_option_vol": "VVIX (VIX-option variance index)",
    "vix3m_over_vix": "VIX3M / VIX",
    "vix9d_over_vix": "VIX9D / VIX",
    "skew_index": "SKEW (100 - 10 x 30-day Q skewness)",
    "days_abs_change_over_5": "days a year with |dVIX| > 5 points",
    "days_rise_over_30pct": "days a year with VIX up > 30 %",
    "days_10_point_rise_in_5": "days a year with VIX 10+ points above 5 days before",
    "long_future_slope": "40-day VIX future's daily change per VIX point",
    "vix_option_vol_rise": "VVIX at VIX > 40 minus at VIX 13-20",
    "corr_dv_dm": "corr(daily change of v, of m)",
}

# The bands a model should meet (the market's own figure where no band is set). Keys:
# ``(fact, bucket label)`` for bucketed facts, ``(fact, None)`` for scalars. Sources: the
# conditional-fidelity review of the calibrated default (market figures 1990-2025 of this
# module's functions), widened by about their sampling error over 35 years.
BANDS: dict[tuple[str, str | None], tuple[float, float]] = {
    ("realised_vol", "< 13"): (7.0, 10.5),
    ("vix_minus_realised", "< 13"): (1.5, 4.0),
    ("vix_minus_realised", "30-45"): (3.5, math.inf),
    ("vix_minus_realised", "> 45"): (3.5, math.inf),
    ("days_abs_change_over_5", None): (2.7, 6.2),
    ("days_rise_over_30pct", None): (0.8, 2.0),
    ("long_future_slope", None): (0.30, 0.50),
    ("vix_option_vol_rise", None): (0.0, math.inf),
}
RISE_LOW, RISE_HIGH = (13.0, 20.0), 40.0  # the VIX levels vix_option_vol_rise compares


@dataclass
class ConditionalFacts:
    """Bucketed facts (one value per :data:`VIX_BUCKETS` bucket, NaN where a bucket is empty
    or the source has no such series) and scalar facts, with the days each bucket holds."""

    bucketed: dict[str, np.ndarray] = field(default_factory=dict)
    scalars: dict[str, float] = field(default_factory=dict)
    days: np.ndarray | None = None
    source: str = ""

    def value(self, fact: str, bucket: str | None = None) -> float:
        if bucket is None:
            return self.scalars[fact]
        return float(self.bucketed[fact][BUCKET_LABELS.index(bucket)])


def vix_bucket(vix: np.ndarray) -> np.ndarray:
    """Index into :data:`VIX_BUCKETS` of each VIX level."""
    return np.digitize(vix, VIX_BUCKETS[1:-1])


def _bucket_means(values: np.ndarray, buckets: np.ndarray) -> np.ndarray:
    out = np.full(len(BUCKET_LABELS), np.nan)
    ok = np.isfinite(values)
    for b in range(len(BUCKET_LABELS)):
        sel = ok & (buckets == b)
        if sel.any():
            out[b] = values[sel].mean()
    return out


def forward_realised_vol(spx: np.ndarray) -> np.ndarray:
    """Realised vol (points) of the ``REALISED_WINDOW_DAYS`` returns after each day, (..., day):
    NaN on the last days, whose window runs past the data."""
    spx = np.atleast_2d(np.asarray(spx, dtype=float))
    r2 = np.diff(np.log(spx), axis=-1) ** 2
    csum = np.concatenate([np.zeros((*r2.shape[:-1], 1)), np.cumsum(r2, axis=-1)], axis=-1)
    w = REALISED_WINDOW_DAYS
    out = np.full(spx.shape, np.nan)
    out[..., : spx.shape[-1] - w] = 100.0 * np.sqrt(
        TRADING_DAYS_PER_YEAR / w * (csum[..., w:] - csum[..., :-w]))
    return out


def big_move_counts(vix: np.ndarray) -> dict[str, float]:
    """Days a year with a big VIX move (:data:`SCALARS`' first three), rows pooled: a row is a
    path (or the market's one series), its first day has no change."""
    vix = np.atleast_2d(np.asarray(vix, dtype=float))
    if vix.shape[-1] < RISE_DAYS + 1:
        raise ValueError(f"need at least {RISE_DAYS + 1} days of VIX to count big moves")
    years = vix.shape[0] * (vix.shape[-1] - 1) / TRADING_DAYS_PER_YEAR
    change = np.diff(vix, axis=-1)
    rise = vix[..., RISE_DAYS:] - vix[..., :-RISE_DAYS]
    return {
        "days_abs_change_over_5": float(np.count_nonzero(np.abs(change) > BIG_MOVE_POINTS)
                                        / years),
        "days_rise_over_30pct": float(np.count_nonzero(change > BIG_RISE_FRACTION * vix[..., :-1])
                                      / years),
        "days_10_point_rise_in_5": float(np.count_nonzero(rise > RISE_POINTS) / years),
    }


def ols_slope(dx: np.ndarray, dy: np.ndarray) -> float:
    """Slope of dy on dx (with an intercept), finite pairs only."""
    dx, dy = np.ravel(dx), np.ravel(dy)
    ok = np.isfinite(dx) & np.isfinite(dy)
    dx, dy = dx[ok] - dx[ok].mean(), dy[ok] - dy[ok].mean()
    return float(np.dot(dx, dy) / np.dot(dx, dx))


def _corr_of_changes(a: np.ndarray, b: np.ndarray) -> float:
    da, db = np.diff(np.atleast_2d(a), axis=-1).ravel(), np.diff(np.atleast_2d(b), axis=-1).ravel()
    ok = np.isfinite(da) & np.isfinite(db)
    if np.count_nonzero(ok) < 3 or da[ok].std() == 0 or db[ok].std() == 0:
        return math.nan
    return float(np.corrcoef(da[ok], db[ok])[0, 1])


# ---- the model's risk-neutral figures at a state ---------------------------------------------

def _cumulant_generating(q: MeasureParams, r: float, div: float, tau: float, v, m,
                         s: np.ndarray) -> np.ndarray:
    """K(s) = log E_Q[exp(s ln(S_T/S_t))] at real ``s`` (the CF at u = -i s), (states, s)."""
    from simulator.pricing import affine2, spx_cos

    u = -1j * np.asarray(s, dtype=float)
    if m is None:
        phi = spx_cos.log_return_cf(u, q, r, div, tau, v)
    else:
        phi = affine2.log_return_cf(u, q, r, div, tau, v, m)
    return np.real(np.log(phi))


def q_skewness(model: Model, v, m=None, tau_years: float = SKEW_YEARS) -> np.ndarray:
    """Risk-neutral skewness of ln(S_T/S_t) over ``tau_years`` at states (v, m), from the
    second and third cumulants of the characteristic function: central differences of the
    cumulant generating function at 0 with step h = 0.05 (truncation error O(h^2) kappa_5,
    below 1e-4 of the skewness for these models; rounding eps/h^3 ~ 2e-12)."""
    h = 0.05
    s = np.array([-2 * h, -h, 0.0, h, 2 * h])
    k = np.atleast_2d(_cumulant_generating(model.Q, model.r, model.q, tau_years,
                                           np.atleast_1d(v), None if m is None
                                           else np.atleast_1d(m), s))
    km2, km1, k0, kp1, kp2 = (k[..., i] for i in range(5))
    c2 = (-kp2 + 16 * kp1 - 30 * k0 + 16 * km1 - km2) / (12 * h * h)
    c3 = (kp2 - 2 * kp1 + 2 * km1 - km2) / (2 * h**3)
    return c3 / c2**1.5


def vix_index_at(model: Model, v, m=None, tau_years: float = VIX_WINDOW_YEARS) -> np.ndarray:
    """The model's VIX-style index (points) over a window of ``tau_years`` at states (v, m):
    ``100 sqrt(A + B v + C m)`` (docs/two_factor.md "VIX")."""
    from simulator.model.vix import vix_index

    return vix_index(model.Q, np.asarray(v, dtype=float), tau_years,
                     m=None if m is None or not model.two_factor else np.asarray(m, dtype=float))


# ---- market ----------------------------------------------------------------------------------

def _aligned(series: str, dates: np.ndarray, column: str = "close") -> np.ndarray:
    data = load_market_series(series)
    out = np.full(dates.size, np.nan)
    _, i_dates, i_series = np.intersect1d(dates, data["date"], return_indices=True)
    out[i_dates] = data[column][i_series]
    return out


def market_long_future_slope(start: str, end: str) -> float:
    """Slope of listed VX contracts' daily settlement change (30-50 trading days from expiry)
    on the same sessions' VIX change."""
    vx = load_market_series("vix_futures_contracts_cboe")
    vix = load_market_series("vix_daily")
    keep = (vx["date"] >= start) & (vx["date"] <= end) & np.isfinite(vx["settle"])
    dates, expiry, settle = vx["date"][keep], vx["expiry"][keep], vx["settle"][keep]
    sessions = vix["date"]
    # a settlement dated after the last VIX close (or off a VIX session) is not used; clip the
    # index so that reading it never runs past the series
    pos = np.minimum(np.searchsorted(sessions, dates), sessions.size - 1)
    known = sessions[pos] == dates
    order = np.lexsort((dates, expiry))
    dates, expiry, settle, pos, known = (a[order] for a in (dates, expiry, settle, pos, known))
    same = (expiry[1:] == expiry[:-1]) & known[1:] & known[:-1] & (pos[1:] == pos[:-1] + 1)
    days_left = np.busday_count(np.array(dates[1:], dtype="datetime64[D]"),
                                np.array(expiry[1:], dtype="datetime64[D]"))
    lo, hi = LONG_FUTURE_DAYS
    use = same & (days_left >= lo) & (days_left <= hi)
    d_future = (settle[1:] - settle[:-1])[use]
    close = vix["close"]
    d_vix = (close[pos[1:]] - close[np.maximum(pos[:-1], 0)])[use]
    return ols_slope(d_vix, d_future)


def market_facts(start: str = "1990-01-02", end: str = "2025-12-31", *,
                 state_model: Model | None = None) -> ConditionalFacts:
    """The shipped Cboe and S&P data's facts on the days in [start, end] with an S&P 500 and a
    VIX close. ``corr_dv_dm`` needs a two-factor ``state_model`` to fit each day's state (about
    a minute for 2007-2025); NaN without one."""
    vix_data, spx_data = load_market_series("vix_daily"), load_market_series("spx_daily")
    dates, iv, isx = np.intersect1d(vix_data["date"], spx_data["date"], return_indices=True)
    keep = (dates >= start) & (dates <= end)
    dates, vix, spx = dates[keep], vix_data["close"][iv][keep], spx_data["close"][isx][keep]
    buckets = vix_bucket(vix)
    rv = forward_realised_vol(spx)[0]
    facts = ConditionalFacts(source=f"market {dates[0]} to {dates[-1]}")
    facts.days = np.bincount(buckets, minlength=len(BUCKET_LABELS))
    facts.bucketed["share_of_days"] = facts.days / facts.days.sum()
    facts.bucketed["realised_vol"] = _bucket_means(rv, buckets)
    facts.bucketed["vix_minus_realised"] = _bucket_means(vix - rv, buckets)
    vvix = _aligned("vvix_daily", dates)
    facts.bucketed["vix_option_vol"] = _bucket_means(vvix, buckets)
    facts.bucketed["vix3m_over_vix"] = _bucket_means(_aligned("vix3m_daily", dates) / vix, buckets)
    facts.bucketed["vix9d_over_vix"] = _bucket_means(_aligned("vix9d_daily", dates) / vix, buckets)
    facts.bucketed["skew_index"] = _bucket_means(_aligned("skew_daily", dates), buckets)
    facts.scalars.update(big_move_counts(vix))
    facts.scalars["long_future_slope"] = market_long_future_slope(start, end)
    low = (vix >= RISE_LOW[0]) & (vix < RISE_LOW[1]) & np.isfinite(vvix)
    high = (vix > RISE_HIGH) & np.isfinite(vvix)
    facts.scalars["vix_option_vol_rise"] = float(vvix[high].mean() - vvix[low].mean()) \
        if high.any() and low.any() else math.nan
    facts.scalars["corr_dv_dm"] = math.nan
    if state_model is not None and state_model.two_factor:
        from simulator.calibration.states import curve_history, two_factor_span

        first, last = two_factor_span()  # the part of the window a two-factor state fit has
        states = curve_history(state_model, max(start, first), min(end, last))
        facts.scalars["corr_dv_dm"] = _corr_of_changes(np.asarray(states.v),
                                                       np.asarray(states.m))
    return facts


# ---- model -----------------------------------------------------------------------------------

def _sampled_states(buckets: np.ndarray, v: np.ndarray, m: np.ndarray | None, per_bucket: int,
                    rng: np.random.Generator) -> list[np.ndarray]:
    picks = []
    for b in range(len(BUCKET_LABELS)):
        where = np.flatnonzero(buckets.ravel() == b)
        picks.append(rng.choice(where, size=min(per_bucket, where.size), replace=False)
                     if where.size else where)
    return picks


def model_facts(model: Model, *, n_paths: int = 1000, years: int = 11, burn_in_years: int = 1,
                seed: int = 20261204, options_per_bucket: int = 32,
                slope_paths: int = 200) -> ConditionalFacts:
    """The same facts on ``n_paths`` stationary P paths of ``model`` (``years`` long, the first
    ``burn_in_years`` dropped). VVIX is read at every path state from the model's VVIX table;
    SKEW is averaged over ``options_per_bucket`` states drawn per VIX bucket; the long
    future's slope uses the first ``slope_paths`` paths (a pricing call per state)."""
    from simulator.model.paths import simulate_paths
    from simulator.pricing.term_structure import model_futures
    from simulator.pricing.vvix import VvixTable

    if years <= burn_in_years:
        raise ValueError(f"years {years}: must exceed burn_in_years {burn_in_years}")
    n_days = years * TRADING_DAYS_PER_YEAR
    paths = simulate_paths(model, n_paths, n_days, seed=seed, measure="P")
    start = burn_in_years * TRADING_DAYS_PER_YEAR
    spx = paths.spx.values[:, start:]
    vix = paths.vix.values[:, start:]
    v = paths.v.values[:, start:]
    m = paths.m.values[:, start:] if model.two_factor else None
    buckets = vix_bucket(vix)
    rv = forward_realised_vol(spx)
    facts = ConditionalFacts(source=f"{model.name or 'model'}: {n_paths:,} P paths x "
                                    f"{years - burn_in_years} years, seed {seed}")
    facts.days = np.bincount(buckets.ravel(), minlength=len(BUCKET_LABELS))
    facts.bucketed["share_of_days"] = facts.days / facts.days.sum()
    facts.bucketed["realised_vol"] = _bucket_means(rv.ravel(), buckets.ravel())
    facts.bucketed["vix_minus_realised"] = _bucket_means((vix - rv).ravel(), buckets.ravel())
    ratio3m = vix_index_at(model, v, m, VIX3M_YEARS) / vix
    ratio9d = vix_index_at(model, v, m, VIX9D_YEARS) / vix
    facts.bucketed["vix3m_over_vix"] = _bucket_means(ratio3m.ravel(), buckets.ravel())
    facts.bucketed["vix9d_over_vix"] = _bucket_means(ratio9d.ravel(), buckets.ravel())
    rng = np.random.default_rng(seed)
    picks = _sampled_states(buckets, v, m, options_per_bucket, rng)
    flat_v = v.ravel()
    flat_m = None if m is None else m.ravel()
    skew = np.full(len(BUCKET_LABELS), np.nan)
    for b, pick in enumerate(picks):
        if pick.size:
            skew[b] = np.mean(100.0 - 10.0 * q_skewness(model, flat_v[pick], None
                                                        if flat_m is None else flat_m[pick]))
    facts.bucketed["skew_index"] = skew
    vvix = VvixTable(model)(v, m)
    facts.bucketed["vix_option_vol"] = _bucket_means(vvix.ravel(), buckets.ravel())
    low = (vix >= RISE_LOW[0]) & (vix < RISE_LOW[1])
    high = vix > RISE_HIGH
    facts.scalars["vix_option_vol_rise"] = float(vvix[high].mean() - vvix[low].mean()) \
        if high.any() and low.any() else math.nan
    facts.scalars.update(big_move_counts(vix))
    k = min(slope_paths, n_paths)
    sv = v[:k].ravel()
    sm = None if m is None else m[:k].ravel()
    future = model_futures(model, sv, sm, np.full(sv.size, LONG_FUTURE_TRADING_DAYS)
                           ).reshape(k, -1)
    facts.scalars["long_future_slope"] = ols_slope(np.diff(vix[:k], axis=-1),
                                                   np.diff(future, axis=-1))
    facts.scalars["corr_dv_dm"] = _corr_of_changes(v, m) if m is not None else math.nan
    return facts


# ---- the table -------------------------------------------------------------------------------

def band_of(fact: str, bucket: str | None) -> tuple[float, float] | None:
    return BANDS.get((fact, bucket))


def rows(market: ConditionalFacts, model: ConditionalFacts) -> list[dict]:
    """One row per figure: fact, bucket (None for scalars), market, model, band, in_band
    (None where no band is set)."""
    out = []
    for fact in BUCKETED:
        for b, label in enumerate(BUCKET_LABELS):
            mk, md = float(market.bucketed[fact][b]), float(model.bucketed[fact][b])
            out.append(_row(fact, label, mk, md))
    for fact in SCALARS:
        out.append(_row(fact, None, market.scalars[fact], model.scalars[fact]))
    return out


def _row(fact, bucket, market_value, model_value) -> dict:
    band = band_of(fact, bucket)
    ok = None if band is None or not math.isfinite(model_value) \
        else bool(band[0] <= model_value <= band[1])
    return {"fact": fact, "bucket": bucket, "market": market_value, "model": model_value,
            "band": band, "in_band": ok}


def _fmt(x: float, fact: str) -> str:
    if not math.isfinite(x):
        return "-"
    if fact in ("share_of_days",):
        return f"{100 * x:.1f} %"
    if fact in ("vix3m_over_vix", "vix9d_over_vix", "long_future_slope", "corr_dv_dm"):
        return f"{x:.2f}"
    return f"{x:.1f}"


def format_table(market: ConditionalFacts, model: ConditionalFacts) -> str:
    """The fact table as text: market beside model, the band and a mark (ok / MISS)."""
    table = [("fact", "VIX", "market", "model", "band", "")]
    for row in rows(market, model):
        band = row["band"]
        band_text = "" if band is None else (
            f">= {_fmt(band[0], row['fact'])}" if math.isinf(band[1])
            else f"{_fmt(band[0], row['fact'])}-{_fmt(band[1], row['fact'])}")
        mark = {None: "", True: "ok", False: "MISS"}[row["in_band"]]
        table.append((LABELS[row["fact"]] if row["bucket"] in (None, BUCKET_LABELS[0])
                      else "", row["bucket"] or "all", _fmt(row["market"], row["fact"]),
                      _fmt(row["model"], row["fact"]), band_text, mark))
    widths = [max(len(r[i]) for r in table) for i in range(len(table[0]))]
    lines = ["  ".join(c.ljust(w) if i < 2 else c.rjust(w)
                       for i, (c, w) in enumerate(zip(r, widths, strict=True))).rstrip()
             for r in table]
    lines.insert(1, "-" * max(len(line) for line in lines))
    missed = sum(1 for r in rows(market, model) if r["in_band"] is False)
    banded = sum(1 for r in rows(market, model) if r["in_band"] is not None)
    lines.append(f"market: {market.source}; model: {model.source}. "
                 f"{banded - missed} of {banded} banded figures in band.")
    return "\n".join(lines)


def figure(market: ConditionalFacts, model: ConditionalFacts, path) -> None:
    """Realised vol, VIX minus realised vol and VIX-option vol by VIX bucket, model against
    market (one panel each), written to ``path``."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    panels = ("realised_vol", "vix_minus_realised", "vix_option_vol")
    fig, axes = plt.subplots(1, 3, figsize=(12, 3.8), layout="constrained")
    x = np.arange(len(BUCKET_LABELS))
    for ax, fact in zip(axes, panels, strict=True):
        ax.plot(x, market.bucketed[fact], "o-", color="black", label="market")
        ax.plot(x, model.bucketed[fact], "s--", color="tab:red", label="model")
        for b, label in enumerate(BUCKET_LABELS):
            band = band_of(fact, label)
            if band is not None:
                hi = band[1] if math.isfinite(band[1]) else ax.get_ylim()[1]
                ax.fill_between([b - 0.3, b + 0.3], band[0], hi, color="tab:green", alpha=0.15,
                                lw=0)
        ax.set_xticks(x, BUCKET_LABELS)
        ax.set_xlabel("VIX on the day")
        ax.set_title(LABELS[fact], fontsize=10)
        ax.grid(alpha=0.3)
    axes[0].legend(loc="upper left")
    fig.text(0.01, -0.02, f"market: {market.source}. model: {model.source}. Shaded: the band "
             "the model should meet.", fontsize=7, ha="left", va="top")
    fig.savefig(path, dpi=130, bbox_inches="tight")
    plt.close(fig)
