"""The model's VIX term structure against the market's (shipped Cboe data): how well a model,
put each day in the state that real spot VIX (one factor) or real VIX and VIX3M (two factors)
imply, prices the VX futures that traded that day, how its futures move with VIX, and what its
own P paths do to the curve.

Measured on real days (``curve_report``):

* RMSE of the front and second monthly futures (VX1, VX2) against their settlements, each
  priced at its own expiry (trading days to expiry by the weekday count);
* the sensitivity of futures to spot VIX: the slope of a contract's daily change on the daily
  change of VIX, for contracts 30-50 and 50-75 trading days from expiry, model and market;
* the same contracts' mean absolute daily change on days VIX moves 5 points or more;
* the curve on a chosen day (16 March 2020 by default).

Measured on stationary P paths of the model (``path_report``) next to the market: the lowest
VIX reached, the share of days with VIX below 13, the episodes per year in which the VX2 - VX1
spread moves more than 3 points within 5 trading days (monthly expiries on the paths, the
rolling front and second contracts in the market), and VIX-option implied volatility by VIX
level (VVIX for the market).

Prices use the model's direct pricers (:mod:`simulator.pricing.vix_direct`,
:mod:`simulator.pricing.affine2`), not the interpolated tables.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from simulator.common.conventions import TRADING_DAYS_PER_YEAR
from simulator.model.params import Model
from simulator.model.stylized_facts import load_market_series
from simulator.model.vix import StateError, states_from_vix_curve

SENSITIVITY_BUCKETS = ((30, 50), (50, 75))  # trading days to expiry
BIG_MOVE_POINTS = 5.0
SPREAD_MOVE_POINTS, SPREAD_MOVE_DAYS = 3.0, 5
MONTH_CYCLE = 21  # trading days between monthly VX expiries
VIX_BINS = (0.0, 13.0, 20.0, 30.0, 40.0, np.inf)


@dataclass(frozen=True)
class MarketCurve:
    """Aligned daily spot VIX and VIX3M, and every VX contract settlement on those days."""

    dates: np.ndarray  # ISO strings
    vix: np.ndarray
    vix3m: np.ndarray
    contract_day: np.ndarray  # index into dates
    contract_days_left: np.ndarray  # trading (week) days to expiry
    contract_expiry: np.ndarray
    contract_settle: np.ndarray


def market_curve(start: str = "2009-09-18", end: str = "2025-12-31") -> MarketCurve:
    """The shipped Cboe data on the days with VIX, VIX3M and at least one VX settlement."""
    vix = load_market_series("vix_daily")
    v3 = load_market_series("vix3m_daily")
    vx = load_market_series("vix_futures_contracts_cboe")
    dates, iv, i3 = np.intersect1d(vix["date"], v3["date"], return_indices=True)
    keep = (dates >= start) & (dates <= end)
    dates, vix_c, v3_c = dates[keep], vix["close"][iv][keep], v3["close"][i3][keep]
    pos = np.searchsorted(dates, vx["date"])
    pos = np.minimum(pos, dates.size - 1)
    on_day = (dates[pos] == vx["date"]) & ~np.isnan(vx["settle"])
    days_left = np.busday_count(vx["date"][on_day].astype("datetime64[D]"),
                                vx["expiry"][on_day].astype("datetime64[D]"))
    ok = days_left > 0
    return MarketCurve(dates, vix_c, v3_c, pos[on_day][ok], days_left[ok],
                       vx["expiry"][on_day][ok], vx["settle"][on_day][ok])


def model_futures(model: Model, v, m, days_left) -> np.ndarray:
    """VIX futures (index points) of the model in states (v, m) with ``days_left`` trading
    days to expiry, one pricing call per distinct maturity."""
    from simulator.pricing import affine2, vix_direct

    v = np.asarray(v, dtype=float)
    days_left = np.asarray(days_left)
    out = np.empty(v.shape)
    for days in np.unique(days_left):
        rows = days_left == days
        tau = days / TRADING_DAYS_PER_YEAR
        if model.two_factor:
            out[rows] = affine2.vix_future(v[rows], np.asarray(m)[rows], tau, model.Q)
        else:
            out[rows] = vix_direct.vix_future(v[rows], tau, model.Q)
    return out


def state_from_futures(model: Model, front, front_days, second, second_days, *,
                       pricer=None, tol_points: float = 1e-6, max_iter: int = 40):
    """(v, m): the two-factor state in which the model's VIX futures of ``front_days`` and
    ``second_days`` trading days equal ``front`` and ``second`` (index points; arrays are
    solved elementwise), e.g. VX1 and VX2 settlements.

    A future is E_Q[VIX_T], not affine in the state, so this is Newton's method on the 2x2
    system (finite-difference Jacobian), started from the state whose 30-day and 93-day VIX
    equal the two futures, and kept in v >= 0, m >= 0. Futures come from the direct pricer, or
    from ``pricer``'s tables when given (what a run trades; about 100x faster). Raises
    :class:`~simulator.model.vix.StateError` naming the pairs no state reproduces within
    ``tol_points`` (a curve more inverted or steeper than the model can make).
    """
    if not model.two_factor:
        raise ValueError("one observed point fixes a one-factor model's state: use "
                         "Model.variance_from_vix")
    f1, d1, f2, d2 = np.broadcast_arrays(*(np.atleast_1d(np.asarray(x, dtype=float))
                                          for x in (front, front_days, second, second_days)))
    v, m, _ = states_from_vix_curve(model.Q, f1, f2)
    v, m = np.array(v, dtype=float), np.array(m, dtype=float)
    target = np.stack([f1, f2])

    def futures(v_, m_, days):
        if pricer is not None:
            return np.asarray(pricer.vix_future(v_, days, m=m_), dtype=float)
        return model_futures(model, v_, m_, days)

    def residual(v_, m_):
        return np.stack([futures(v_, m_, d1), futures(v_, m_, d2)]) - target

    r = residual(v, m)
    for _ in range(max_iter):
        if np.all(np.abs(r) < tol_points):
            break
        hv, hm = 1e-6 + 1e-4 * v, 1e-6 + 1e-4 * m
        jv = (residual(v + hv, m) - r) / hv
        jm = (residual(v, m + hm) - r) / hm
        det = jv[0] * jm[1] - jm[0] * jv[1]
        det = np.where(np.abs(det) < 1e-300, 1e-300, det)
        dv = -(jm[1] * r[0] - jm[0] * r[1]) / det
        dm = -(-jv[1] * r[0] + jv[0] * r[1]) / det
        step = np.ones_like(v)
        norm = np.abs(r).max(axis=0)
        for _ in range(8):  # halve the step until the residual falls (or stop trying)
            v_new, m_new = np.maximum(v + step * dv, 0.0), np.maximum(m + step * dm, 0.0)
            r_new = residual(v_new, m_new)
            worse = np.abs(r_new).max(axis=0) > norm
            if not worse.any():
                break
            step = np.where(worse, 0.5 * step, step)
        v, m, r = v_new, m_new, r_new
    bad = np.abs(r).max(axis=0) >= tol_points
    if bad.any():
        where = np.flatnonzero(bad)[:5]
        pairs = ", ".join(f"({f1[i]:g} at {d1[i]:g} d, {f2[i]:g} at {d2[i]:g} d)" for i in where)
        raise StateError(f"no state with v >= 0 and m >= 0 gives the futures {pairs} "
                         f"({np.count_nonzero(bad)} in all): the curve is steeper or more "
                         "inverted than this model can make")
    if np.ndim(front) == 0 and np.ndim(second) == 0:
        return float(v[0]), float(m[0])
    return v, m


def _slope(dx, dy) -> float:
    ok = np.isfinite(dx) & np.isfinite(dy)
    dx, dy = dx[ok], dy[ok]
    return float(np.dot(dx - dx.mean(), dy - dy.mean()) / np.dot(dx - dx.mean(), dx - dx.mean()))


def curve_report(model: Model, curve: MarketCurve | None = None,
                 day: str = "2020-03-16") -> dict:
    """Model against market on real days; see the module docstring."""
    curve = curve or market_curve()
    v, m, clipped = states_from_vix_curve(model.Q, curve.vix, curve.vix3m)
    d = curve.contract_day
    model_fut = model_futures(model, v[d], None if m is None else m[d], curve.contract_days_left)
    out: dict = {"days": int(curve.dates.size), "clipped_share": float(clipped.mean())}
    # VX1 / VX2: the nearest and next expiry on each day
    order = np.lexsort((curve.contract_days_left, d))
    first = np.r_[True, d[order][1:] != d[order][:-1]]
    rank = np.arange(order.size) - np.maximum.accumulate(np.where(first, np.arange(order.size), 0))
    for k, name in ((0, "vx1"), (1, "vx2")):
        rows = order[rank == k]
        err = model_fut[rows] - curve.contract_settle[rows]
        out[f"{name}_rmse"] = float(np.sqrt(np.mean(err**2)))
    # sensitivity to VIX: the same contract on consecutive days
    key = np.char.add(curve.contract_expiry, "")
    order = np.lexsort((d, key))
    same = (key[order][1:] == key[order][:-1]) & (d[order][1:] == d[order][:-1] + 1)
    prev, cur = order[:-1][same], order[1:][same]
    dvix = curve.vix[d[cur]] - curve.vix[d[prev]]
    d_market = curve.contract_settle[cur] - curve.contract_settle[prev]
    d_model = model_fut[cur] - model_fut[prev]
    left = curve.contract_days_left[cur]
    for lo, hi in SENSITIVITY_BUCKETS:
        rows = (left >= lo) & (left < hi)
        out[f"slope_{lo}_{hi}"] = {"model": _slope(dvix[rows], d_model[rows]),
                                   "market": _slope(dvix[rows], d_market[rows])}
    big = (np.abs(dvix) >= BIG_MOVE_POINTS) & (left >= 21) & (left < 75)
    out["big_move_change"] = {"model": float(np.mean(np.abs(d_model[big]))),
                              "market": float(np.mean(np.abs(d_market[big]))),
                              "days": int(np.unique(d[cur][big]).size)}
    on_day = np.flatnonzero(curve.dates == day)
    if on_day.size:
        rows = np.flatnonzero(d == on_day[0])
        rows = rows[np.argsort(curve.contract_days_left[rows])][:4]
        out["curve_on_day"] = {"day": day, "vix": float(curve.vix[on_day[0]]),
                               "vix3m": float(curve.vix3m[on_day[0]]),
                               "days_left": curve.contract_days_left[rows].tolist(),
                               "market": curve.contract_settle[rows].round(2).tolist(),
                               "model": model_fut[rows].round(2).tolist()}
    return out


def spread_move_episodes(spread: np.ndarray, years: float, points: float = SPREAD_MOVE_POINTS,
                         days: int = SPREAD_MOVE_DAYS) -> float:
    """Episodes per year in which ``spread`` (..., day) moves more than ``points`` within
    ``days``: runs of consecutive days with such a change count once."""
    change = np.abs(spread[..., days:] - spread[..., :-days])
    hit = np.nan_to_num(change) > points
    starts = hit[..., 1:] & ~hit[..., :-1]
    episodes = starts.sum() + hit[..., 0].sum()
    return float(episodes / years)


def market_path_facts(start: str = "2006-01-01", end: str = "2025-12-31") -> dict:
    """The market side of :func:`path_report`."""
    vix = load_market_series("vix_daily")
    keep = (vix["date"] >= "1990-01-01") & (vix["date"] <= end)
    close = vix["close"][keep]
    fut = load_market_series("vix_futures_vx1_vx2")
    ok = (fut["date"] >= start) & (fut["date"] <= end) & ~np.isnan(fut["vx1"]) \
        & ~np.isnan(fut["vx2"])
    spread = fut["vx2"][ok] - fut["vx1"][ok]
    vvix = load_market_series("vvix_daily")
    _, iv, iw = np.intersect1d(vix["date"], vvix["date"], return_indices=True)
    level, vol = vix["close"][iv], vvix["close"][iw]
    bins = np.digitize(level, VIX_BINS[1:-1])
    return {
        "lowest_vix": float(close.min()),
        "share_below_13": float(np.mean(close < 13.0)),
        "spread_moves_per_year": spread_move_episodes(spread, spread.size / TRADING_DAYS_PER_YEAR),
        "vix_10_point_moves_per_year": spread_move_episodes(
            vix["close"][(vix["date"] >= start) & (vix["date"] <= end)],
            np.count_nonzero((vix["date"] >= start) & (vix["date"] <= end))
            / TRADING_DAYS_PER_YEAR, points=10.0),
        "vix_option_vol_by_level": [float(np.mean(vol[bins == b])) if np.any(bins == b)
                                    else math.nan for b in range(len(VIX_BINS) - 1)],
    }


def _futures_on_paths(model: Model, v, m, days_left: np.ndarray,
                      block: int = 40_000) -> np.ndarray:
    """Futures at every state of ``v`` (and ``m``), (paths, days), each day's contract
    ``days_left[day]`` trading days from expiry."""
    out = np.empty(np.shape(v))
    for days in np.unique(days_left):
        cols = np.flatnonzero(days_left == days)
        flat_v = v[:, cols].ravel()
        flat_m = None if m is None else m[:, cols].ravel()
        values = np.empty(flat_v.size)
        for s in range(0, flat_v.size, block):
            sl = slice(s, s + block)
            values[sl] = model_futures(model, flat_v[sl], None if m is None else flat_m[sl],
                                       np.full(flat_v[sl].size, days))
        out[:, cols] = values.reshape(v.shape[0], cols.size)
    return out


def atm_vix_option_vol(model: Model, v: float, m: float | None, days: int = 21) -> float:
    """Black implied volatility (%) of the at-the-money VIX call on its own future, ``days``
    trading days to expiry (the model's counterpart of VVIX)."""
    from simulator.pricing import affine2, vix_direct
    from simulator.pricing.black import implied_total_sd

    tau = days / TRADING_DAYS_PER_YEAR
    if model.two_factor:
        future = float(affine2.vix_future(v, m, tau, model.Q))
        call = float(affine2.vix_option_prices(v, m, tau, [future], model.Q, model.r)[0])
    else:
        future = float(vix_direct.vix_future(v, tau, model.Q))
        call = float(vix_direct.vix_option_prices(v, tau, [future], model.Q, model.r)[0])
    sd = implied_total_sd(call, future, future, math.exp(-model.r * tau), True)
    return 100.0 * sd / math.sqrt(tau)


def path_report(model: Model, n_paths: int = 400, years: int = 10, seed: int = 3,
                burn_in_years: int = 1, options_per_bin: int = 12) -> dict:
    """Facts of stationary P paths (the first ``burn_in_years`` dropped); see the module
    docstring. The market's side is :func:`market_path_facts`."""
    n_days = years * TRADING_DAYS_PER_YEAR
    from simulator.model.paths import simulate_paths

    paths = simulate_paths(model, n_paths, n_days, seed=seed, measure="P")
    m = paths.m.values[:, burn_in_years * TRADING_DAYS_PER_YEAR:] if model.two_factor else None
    start = burn_in_years * TRADING_DAYS_PER_YEAR
    v = paths.v.values[:, start:]
    vix = paths.vix.values[:, start:]
    kept_years = (years - burn_in_years) * n_paths
    # monthly expiries as in the market's VX1/VX2: the front contract has 21 .. 1 trading days
    # left, the second 21 more, and the series rolls when the front expires
    front_left = MONTH_CYCLE - np.arange(v.shape[1]) % MONTH_CYCLE
    spread = (_futures_on_paths(model, v, m, front_left + MONTH_CYCLE)
              - _futures_on_paths(model, v, m, front_left))
    rng = np.random.default_rng(seed)
    bins = np.digitize(vix, VIX_BINS[1:-1])
    vols = []
    for b in range(len(VIX_BINS) - 1):
        where = np.flatnonzero(bins.ravel() == b)
        if where.size == 0:
            vols.append(math.nan)
            continue
        pick = rng.choice(where, size=min(options_per_bin, where.size), replace=False)
        vols.append(float(np.mean([atm_vix_option_vol(
            model, v.ravel()[i], None if m is None else m.ravel()[i]) for i in pick])))
    return {
        "lowest_vix": float(vix.min()),
        "share_below_13": float(np.mean(vix < 13.0)),
        "mean_vix": float(vix.mean()),
        "spread_moves_per_year": spread_move_episodes(spread, kept_years),
        "vix_10_point_moves_per_year": spread_move_episodes(vix, kept_years, points=10.0),
        "mean_spread": float(spread.mean()),
        "vix_option_vol_by_level": vols,
        "share_of_days_by_level": [float(np.mean(bins == b)) for b in range(len(VIX_BINS) - 1)],
    }


def format_comparison(models: list[Model], *, path_facts: bool = True, n_paths: int = 400,
                      years: int = 9, on_step=None) -> str:
    """Market against each model, one row a figure (what ``alvh curve`` prints).

    ``on_step(label)`` is called before each of the ``len(models) * (1 + path_facts) + 1``
    steps (each model's curve, its paths, the market's facts): a progress bar's hook."""
    step = on_step or (lambda label: None)
    curve = market_curve()
    reports = []
    for m in models:
        step(f"{m.name or 'model'}: curve")
        reports.append(curve_report(m, curve))
    paths = []
    for m in models if path_facts else []:
        step(f"{m.name or 'model'}: {n_paths} paths")
        paths.append(path_report(m, n_paths=n_paths, years=years))
    step("market facts")
    market = market_path_facts()
    names = [m.name or "model" for m in models]
    rows = [("figure", "market", *names)]

    def pair(key, sub="model"):
        return [f"{r[key][sub]:.2f}" for r in reports]
    rows.append(("VX1 RMSE vs settlements (points)", "", *[f"{r['vx1_rmse']:.2f}"
                                                           for r in reports]))
    rows.append(("VX2 RMSE (points)", "", *[f"{r['vx2_rmse']:.2f}" for r in reports]))
    for lo, hi in SENSITIVITY_BUCKETS:
        key = f"slope_{lo}_{hi}"
        rows.append((f"futures per VIX point, {lo}-{hi} days", f"{reports[0][key]['market']:.2f}",
                     *pair(key)))
    rows.append((f"|futures change| on {BIG_MOVE_POINTS:g}+ point VIX days",
                 f"{reports[0]['big_move_change']['market']:.2f}", *pair("big_move_change")))
    day = reports[0].get("curve_on_day")
    if day:
        rows.append((f"{day['day']}: futures {'/'.join(map(str, day['days_left'][1:]))} days",
                     "/".join(f"{x:.1f}" for x in day["market"][1:]),
                     *["/".join(f"{x:.1f}" for x in r["curve_on_day"]["model"][1:])
                       for r in reports]))
    rows.append(("days off the model's range (clipped)", "",
                 *[f"{100 * r['clipped_share']:.1f} %" for r in reports]))
    if paths:
        rows.append(("lowest VIX on P paths", f"{market['lowest_vix']:.1f}",
                     *[f"{p['lowest_vix']:.1f}" for p in paths]))
        rows.append(("days with VIX < 13", f"{100 * market['share_below_13']:.0f} %",
                     *[f"{100 * p['share_below_13']:.0f} %" for p in paths]))
        rows.append(("VX2 - VX1 moves of 3+ points in 5 days, per year",
                     f"{market['spread_moves_per_year']:.1f}",
                     *[f"{p['spread_moves_per_year']:.1f}" for p in paths]))
        rows.append(("VIX moves of 10+ points in 5 days, per year",
                     f"{market['vix_10_point_moves_per_year']:.1f}",
                     *[f"{p['vix_10_point_moves_per_year']:.1f}" for p in paths]))
        rows.append(("VIX-option vol by VIX <13/13-20/20-30/30-40/>40",
                     "/".join(f"{x:.0f}" for x in market["vix_option_vol_by_level"]),
                     *["/".join(f"{x:.0f}" for x in p["vix_option_vol_by_level"])
                       for p in paths]))
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(c.ljust(w) if i == 0 else c.rjust(w)
                       for i, (c, w) in enumerate(zip(r, widths, strict=True))) for r in rows]
    lines.insert(1, "-" * len(lines[0]))
    note = (f"Real days {curve.dates[0]} to {curve.dates[-1]}, each model in the state that "
            "day's VIX (and VIX3M, two factors) implies; market VIX-option vol is VVIX.")
    if paths:
        note += f" Path figures: {n_paths} stationary P paths x {years - 1} years."
    return "\n".join([*lines, note])
