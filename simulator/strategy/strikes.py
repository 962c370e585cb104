"""Strike selection (numba): SPX strikes by delta or by probability, VIX call strikes.

``tab`` is a :class:`simulator.pricing.lookups.KernelTables`; ``v`` and ``m`` are the state
(``m`` is ignored by one-factor tables). Days are trading days to expiry (> 0).

* Delta is the Black–Scholes delta at the strike's own implied volatility, the number a
  broker shows: ``e^{-q tau} N(d1)`` for a call, ``-e^{-q tau} N(-d1)`` for a put (SPX);
  ``e^{-r tau} N(d1)`` on the VIX future of the option's expiry (VIX).
* Probabilities are risk-neutral: ``Q(S_T < K) = e^{r tau} dP/dK`` (Breeden–Litzenberger),
  taken from the model's smile by a central difference, so the skew is in them.

Strikes live on the exchange grid: a Black–Scholes first guess at the smile's volatility, then
a walk along the grid to the strike whose measure is nearest the target.
"""

from __future__ import annotations

import math

from numba import njit

from simulator.common.conventions import TRADING_DAYS_PER_YEAR
from simulator.model.rng import inverse_normal
from simulator.pricing.black import black_forward_delta, black_price
from simulator.pricing.interp import QP_DIV, QP_R
from simulator.pricing.lookups import (
    spx_implied_vol_in_row,
    state_cell,
    vix_future,
    vix_implied_vol_in_row,
)
from simulator.pricing.maturities import MC_DISCOUNT, MC_GROWTH, MC_SQRT_TAU, maturity_row

MODE_DELTA = 0
MODE_PROB = 1

# A strike search prices one maturity in one state many times: the state cell (``cell``) and
# the maturity constants (``row``, pricing.maturities) are found once per search and passed
# down; the numbers are those of the lookups' formulas.


@njit(cache=True, inline="always")
def _row(tab, days):
    return maturity_row(days, tab.maturity, tab.qp, tab.qp2, tab.grid, tab.m_nodes)


@njit(cache=True, inline="always")
def _cell(tab, v, m):
    return state_cell(v, m, tab.vol_nodes, tab.m_nodes)


@njit(cache=True, inline="always")
def _spx_iv(tab, cell, row, spot, v, m, strike):
    return spx_implied_vol_in_row(cell, spot, v, m, row, strike, tab.spx_iv, tab.qp, tab.qp2,
                                  tab.grid, tab.m_nodes)


@njit(cache=True, inline="always")
def _vix_future(tab, v, m, days):
    return vix_future(v, m, days, tab.vix_future, tab.qp, tab.qp2, tab.grid, tab.vol_nodes,
                      tab.m_nodes)


@njit(cache=True, inline="always")
def _vix_iv(tab, cell, row, v, m, strike, future):
    return vix_implied_vol_in_row(cell, v, m, row, strike, future, tab.vix_iv, tab.qp, tab.qp2,
                                  tab.grid, tab.m_nodes)


@njit(cache=True)
def spx_bs_delta(spot, v, m, days, strike, is_call, tab):
    return _bs_delta(tab, _cell(tab, v, m), _row(tab, days), spot, v, m, strike, is_call)


@njit(cache=True)
def _bs_delta(tab, cell, row, spot, v, m, strike, is_call):
    growth = row[MC_GROWTH]
    sigma = _spx_iv(tab, cell, row, spot, v, m, strike)
    return growth * black_forward_delta(spot * growth, strike, sigma * row[MC_SQRT_TAU],
                                        row[MC_DISCOUNT], is_call)


@njit(cache=True)
def _spx_put(tab, cell, row, spot, v, m, strike):
    forward = spot * row[MC_GROWTH]
    sigma = _spx_iv(tab, cell, row, spot, v, m, strike)
    return black_price(forward, strike, sigma * row[MC_SQRT_TAU], row[MC_DISCOUNT], False)


@njit(cache=True)
def spx_prob_below(spot, v, m, days, strike, tab):
    """Q(S_T < strike) = e^{r tau} dPut/dK by a central difference (h = 1e-4 K)."""
    return _prob_below(tab, _cell(tab, v, m), _row(tab, days), spot, v, m, days, strike)


@njit(cache=True)
def _prob_below(tab, cell, row, spot, v, m, days, strike):
    h = 1e-4 * strike
    slope = (_spx_put(tab, cell, row, spot, v, m, strike + h)
             - _spx_put(tab, cell, row, spot, v, m, strike - h)) / (2.0 * h)
    return min(max(slope * math.exp(tab.qp[QP_R] * days / TRADING_DAYS_PER_YEAR), 0.0), 1.0)


@njit(cache=True)
def spx_measure(mode, spot, v, m, days, strike, is_call, tab):
    """|delta| (mode 0) or tail probability beyond the strike (mode 1)."""
    return _measure(tab, _cell(tab, v, m), _row(tab, days), mode, spot, v, m, days, strike,
                    is_call)


@njit(cache=True)
def _measure(tab, cell, row, mode, spot, v, m, days, strike, is_call):
    if mode == MODE_DELTA:
        return abs(_bs_delta(tab, cell, row, spot, v, m, strike, is_call))
    below = _prob_below(tab, cell, row, spot, v, m, days, strike)
    return 1.0 - below if is_call else below


@njit(cache=True)
def _first_guess(mode, target, log_f, sigma, tau, is_call, carry):
    """ln K where the Black-Scholes |delta| (mode 0, carry = e^{q tau}) or tail probability
    N(+-d2) (mode 1) equals ``target`` at volatility ``sigma``."""
    s = sigma * math.sqrt(tau)
    if mode == MODE_DELTA:
        d1 = inverse_normal(min(target * carry, 0.999999))
        if not is_call:
            d1 = -d1
        return log_f - s * d1 + 0.5 * s * s
    d2 = inverse_normal(target)
    if not is_call:
        d2 = -d2
    return log_f - s * d2 - 0.5 * s * s


@njit(cache=True)
def spx_grid_strike(mode, target, spot, v, m, days, is_call, step, tab):
    """The strike on the ``step`` grid whose |delta| (mode 0) or tail probability (mode 1)
    is nearest ``target``: how a trader picks "the 16-delta put".

    A Black–Scholes guess at the smile's volatility (two fixed-point passes, so the skew is
    in it) lands within a few grid steps; a walk along the grid then brackets the target.
    Both measures fall monotonically as the strike moves out of the money.
    """
    tau = days / TRADING_DAYS_PER_YEAR
    cell, row = _cell(tab, v, m), _row(tab, days)
    log_f = math.log(spot) + (tab.qp[QP_R] - tab.qp[QP_DIV]) * tau
    carry = math.exp(tab.qp[QP_DIV] * tau)
    x = log_f
    for _ in range(2):
        sigma = _spx_iv(tab, cell, row, spot, v, m, math.exp(x))
        x = _first_guess(mode, target, log_f, sigma, tau, is_call, carry)
    # two secant steps in ln K on the model's own measure (the guess ignores the skew's
    # effect on probabilities), then the grid walk
    x0 = x
    meas0 = _measure(tab, cell, row, mode, spot, v, m, days, math.exp(x0), is_call)
    x1 = x0 + (0.01 if (meas0 > target) == is_call else -0.01)
    for _ in range(2):
        meas1 = _measure(tab, cell, row, mode, spot, v, m, days, math.exp(x1), is_call)
        if meas1 == meas0:
            break
        x2 = x1 - (meas1 - target) * (x1 - x0) / (meas1 - meas0)
        x0, meas0, x1 = x1, meas1, min(max(x2, x1 - 0.5), x1 + 0.5)
    out = step if is_call else -step
    k = round_to_grid(math.exp(x1), step)
    meas = _measure(tab, cell, row, mode, spot, v, m, days, k, is_call)
    direction = 1.0 if meas > target else -1.0  # +1: walk out of the money
    for _ in range(400):
        k_next = k + direction * out
        if k_next < step:
            break
        meas_next = _measure(tab, cell, row, mode, spot, v, m, days, k_next, is_call)
        if (meas_next - target) * (meas - target) <= 0.0:  # bracketed: keep the nearer one
            return k_next if abs(meas_next - target) < abs(meas - target) else k
        k, meas = k_next, meas_next
    return k


@njit(cache=True)
def round_to_grid(strike, step):
    return max(round(strike / step), 1.0) * step


@njit(cache=True)
def condor_strikes(short_mode, short_target, wing_mode, wing_value, shift_sd, spot, v, m,
                   days, step, tab, out):
    """Fill ``out`` with (put_long, put_short, call_short, call_long) on the strike grid.

    short_mode: 0 = |delta| ``short_target`` each side, 1 = probability ``short_target`` of
    expiring between the shorts (each tail (1 - p) / 2). wing_mode: 0 = width ``wing_value``
    points, 1 = |delta| ``wing_value``. ``shift_sd`` moves the shorts that many standard
    deviations (spot x ATM vol x sqrt(tau)) further from spot, wings keeping their width.
    Shorts are at least one step apart, wings at least one step beyond the shorts.
    """
    mode = MODE_DELTA if short_mode == 0 else MODE_PROB
    target = short_target if short_mode == 0 else 0.5 * (1.0 - short_target)
    put_short = spx_grid_strike(mode, target, spot, v, m, days, False, step, tab)
    call_short = spx_grid_strike(mode, target, spot, v, m, days, True, step, tab)
    if wing_mode == 0:
        put_long = put_short - wing_value
        call_long = call_short + wing_value
    else:
        put_long = spx_grid_strike(MODE_DELTA, wing_value, spot, v, m, days, False, step, tab)
        call_long = spx_grid_strike(MODE_DELTA, wing_value, spot, v, m, days, True, step, tab)
    if shift_sd > 0.0:
        row = _row(tab, days)
        forward = spot * row[MC_GROWTH]
        sd = spot * _spx_iv(tab, _cell(tab, v, m), row, spot, v, m, forward) * row[MC_SQRT_TAU]
        put_width = put_short - put_long
        call_width = call_long - call_short
        put_short -= shift_sd * sd
        call_short += shift_sd * sd
        put_long = put_short - put_width
        call_long = call_short + call_width
    ps = round_to_grid(put_short, step)
    cs = round_to_grid(call_short, step)
    if cs < ps + step:
        cs = ps + step
    pl = min(round_to_grid(put_long, step), ps - step)
    cl = max(round_to_grid(call_long, step), cs + step)
    out[0] = max(pl, 0.2 * step)  # a put strike must stay positive
    out[1] = ps
    out[2] = cs
    out[3] = cl


@njit(cache=True)
def vix_call_strike(rule, value, step, v, m, days, spot_vix, tab, listed):
    """VIX call strike: rule 0 = delta ``value`` on the future of its expiry, 1 = ``value``
    above the future (K = F (1 + value)), 2 = ``value`` x spot VIX; on the ``step`` grid. The
    future is the model's (``listed`` NaN), or ``listed`` (a listed contract's settlement).
    No default for ``listed``: numba cannot cache a call that omits a NaN default (the
    omitted type's NaN never equals itself), so such a call compiled again in every process
    (3.5 s; measured)."""
    future = _vix_future(tab, v, m, days) if math.isnan(listed) else listed
    if rule == 1:
        return round_to_grid(future * (1.0 + value), step)
    if rule == 2:
        return round_to_grid(spot_vix * value, step)
    tau = days / TRADING_DAYS_PER_YEAR
    cell, row = _cell(tab, v, m), _row(tab, days)
    disc = row[MC_DISCOUNT]
    log_f = math.log(future)
    x = log_f
    for _ in range(2):
        sigma = _vix_iv(tab, cell, row, v, m, math.exp(x), future)
        x = _first_guess(MODE_DELTA, value, log_f, sigma, tau, True, 1.0 / disc)
    k = round_to_grid(math.exp(x), step)
    meas = _vix_delta(tab, cell, row, v, m, k, future, disc)
    direction = 1.0 if meas > value else -1.0
    for _ in range(400):
        k_next = k + direction * step
        if k_next < step:
            break
        meas_next = _vix_delta(tab, cell, row, v, m, k_next, future, disc)
        if (meas_next - value) * (meas - value) <= 0.0:
            return k_next if abs(meas_next - value) < abs(meas - value) else k
        k, meas = k_next, meas_next
    return k


@njit(cache=True)
def _vix_delta(tab, cell, row, v, m, strike, future, disc):
    sigma = _vix_iv(tab, cell, row, v, m, strike, future)
    return black_forward_delta(future, strike, sigma * row[MC_SQRT_TAU], disc, True)
