"""The pricing tables as the strategy kernels see them, for one variance factor or two.

:class:`KernelTables` names the arrays every numba lookup of the day loop takes. The tables
carry a leading axis over the central tendency ``m`` (nodes in sqrt(m)): one node for a
one-factor model, where ``m`` is ignored, several for a two-factor model, where a lookup blends
the one-factor lookups on each side of ``m`` linearly in sqrt(m) (in implied volatility, never
in price). With one node every lookup does exactly the arithmetic of
:mod:`simulator.pricing.interp`, so one-factor results do not change by a bit.

A *cell* ``(i, wi, im, wm)`` is the position of (v, m) on the state axes; the engine locates
it once per path-day and prices every condor leg and VIX layer of the day in it.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np
from numba import njit, prange

from simulator.common.conventions import TRADING_DAYS_PER_YEAR
from simulator.pricing.black import black_forward_delta, black_price, black_vega_total
from simulator.pricing.interp import (
    G_N_Z,
    G_N_ZV,
    G_Z_MIN,
    G_Z_STEP,
    G_ZV_MIN,
    G_ZV_STEP,
    QP_DIV,
    QP_R,
    QP_VIX_A,
    QP_VIX_B,
    _smile,
    locate_days,
    locate_state,
    spx_scale,
    vix_scale,
)
from simulator.pricing.interp2f import Q2_VIX_A, Q2_VIX_B, Q2_VIX_C, spx_scale_2f, vix_scale_2f


class KernelTables(NamedTuple):
    """Arrays of one model's tables, by name (a numba-typed named tuple)."""

    spx_iv: np.ndarray      # (m, vol, days, z): Black implied vol of SPX options
    vix_future: np.ndarray  # (m, vol, days): VIX futures, index points
    vix_iv: np.ndarray      # (m, vol, days, zv): Black implied vol of VIX options
    qp: np.ndarray          # one-factor parameter vector (rates at QP_R, QP_DIV)
    qp2: np.ndarray         # two-factor parameter vector (unused with one factor)
    grid: np.ndarray        # axis specification (interp.G_*)
    vol_nodes: np.ndarray   # sqrt(v) nodes
    m_nodes: np.ndarray     # sqrt(m) nodes; a single node means one factor


@njit(cache=True, inline="always")
def is_two_factor(tab):
    return tab.m_nodes.size > 1


@njit(cache=True, inline="always")
def rate(tab):
    return tab.qp[QP_R]


@njit(cache=True, inline="always")
def dividend_yield(tab):
    return tab.qp[QP_DIV]


@njit(cache=True)
def state_cell(tab, v, m):
    """(i, wi, im, wm): the cell of (sqrt(v), sqrt(m)), shared by every lookup of one day."""
    i, wi = locate_state(v, tab.vol_nodes)
    if is_two_factor(tab):
        im, wm = locate_state(m, tab.m_nodes)
        return i, wi, im, wm
    return i, wi, 0, 0.0


@njit(cache=True)
def spx_scale_of(tab, v, m, tau):
    """The SPX moneyness scale of the model's family (interp.spx_scale, interp2f.spx_scale_2f)."""
    if is_two_factor(tab):
        return spx_scale_2f(v, m, tau, tab.qp2)
    return spx_scale(v, tau, tab.qp)


@njit(cache=True)
def vix_scale_of(tab, v, m, tau):
    if is_two_factor(tab):
        return vix_scale_2f(v, m, tau, tab.qp2)
    return vix_scale(v, tau, tab.qp)


@njit(cache=True)
def spot_vix(tab, v, m):
    """Model VIX in index points: 100 sqrt(A + B v) (+ C m with two factors)."""
    if is_two_factor(tab):
        q2 = tab.qp2
        return 100.0 * math.sqrt(q2[Q2_VIX_A] + q2[Q2_VIX_B] * max(v, 0.0)
                                 + q2[Q2_VIX_C] * max(m, 0.0))
    return 100.0 * math.sqrt(tab.qp[QP_VIX_A] + tab.qp[QP_VIX_B] * max(v, 0.0))


@njit(cache=True)
def _smile_in_cell(table, cell, j, wj, z, z_min, z_step, n_z):
    """(implied vol, d vol / dz) at moneyness z, blended over the m cell."""
    i, wi, im, wm = cell
    lo, dlo = _smile(table[im], i, wi, j, wj, z, z_min, z_step, n_z)
    if wm == 0.0:
        return lo, dlo
    hi, dhi = _smile(table[im + 1], i, wi, j, wj, z, z_min, z_step, n_z)
    return (1.0 - wm) * lo + wm * hi, (1.0 - wm) * dlo + wm * dhi


@njit(cache=True, inline="always")
def _bilinear(table, i, wi, j, wj):
    return ((1 - wi) * ((1 - wj) * table[i, j] + wj * table[i, j + 1])
            + wi * ((1 - wj) * table[i + 1, j] + wj * table[i + 1, j + 1]))


@njit(cache=True)
def vix_future_in_cell(tab, cell, v, m, days):
    """VIX future of ``days`` trading days in index points; at days <= 0 spot VIX."""
    if days <= 0.0:
        return spot_vix(tab, v, m)
    i, wi, im, wm = cell
    j, wj = locate_days(days, tab.grid)
    lo = _bilinear(tab.vix_future[im], i, wi, j, wj)
    if wm == 0.0:
        return lo
    return (1.0 - wm) * lo + wm * _bilinear(tab.vix_future[im + 1], i, wi, j, wj)


@njit(cache=True)
def vix_future(tab, v, m, days):
    return vix_future_in_cell(tab, state_cell(tab, v, m), v, m, days)


@njit(cache=True)
def vix_implied_vol(tab, v, m, days, strike, future):
    """Black implied vol of a VIX option of ``days`` (> 0) on its own ``future``."""
    tau = days / TRADING_DAYS_PER_YEAR
    z = math.log(strike / future) / vix_scale_of(tab, v, m, tau)
    j, wj = locate_days(days, tab.grid)
    g = tab.grid
    sigma, _ = _smile_in_cell(tab.vix_iv, state_cell(tab, v, m), j, wj, z, g[G_ZV_MIN],
                              g[G_ZV_STEP], g[G_N_ZV])
    return sigma


@njit(cache=True)
def vix_call_in_cell(tab, cell, v, m, days, strike):
    """Discounted VIX call (days > 0), Black-76 on the future of its own expiry."""
    j, wj = locate_days(days, tab.grid)
    i, wi, im, wm = cell
    future = _bilinear(tab.vix_future[im], i, wi, j, wj)
    if wm != 0.0:
        future = (1.0 - wm) * future + wm * _bilinear(tab.vix_future[im + 1], i, wi, j, wj)
    tau = days / TRADING_DAYS_PER_YEAR
    z = math.log(strike / future) / vix_scale_of(tab, v, m, tau)
    g = tab.grid
    sigma, _ = _smile_in_cell(tab.vix_iv, cell, j, wj, z, g[G_ZV_MIN], g[G_ZV_STEP], g[G_N_ZV])
    return black_price(future, strike, sigma * math.sqrt(tau), math.exp(-rate(tab) * tau), True)


@njit(cache=True)
def vix_option(tab, v, m, days, strike, is_call):
    """Discounted VIX option in index points; at days <= 0 its payoff on spot VIX."""
    future = vix_future(tab, v, m, days)
    if days <= 0.0:
        return max(future - strike, 0.0) if is_call else max(strike - future, 0.0)
    tau = days / TRADING_DAYS_PER_YEAR
    sigma = vix_implied_vol(tab, v, m, days, strike, future)
    return black_price(future, strike, sigma * math.sqrt(tau), math.exp(-rate(tab) * tau),
                       is_call)


@njit(cache=True)
def spx_implied_vol(tab, spot, v, m, days, strike):
    """Black implied vol of an SPX option of ``days`` (> 0) trading days."""
    tau = days / TRADING_DAYS_PER_YEAR
    forward = spot * math.exp((rate(tab) - dividend_yield(tab)) * tau)
    z = math.log(strike / forward) / spx_scale_of(tab, v, m, tau)
    j, wj = locate_days(days, tab.grid)
    g = tab.grid
    sigma, _ = _smile_in_cell(tab.spx_iv, state_cell(tab, v, m), j, wj, z, g[G_Z_MIN],
                              g[G_Z_STEP], g[G_N_Z])
    return sigma


@njit(cache=True)
def spx_option(tab, spot, v, m, days, strike, is_call):
    """Discounted SPX European option in index points; at days <= 0 its payoff."""
    if days <= 0.0:
        return max(spot - strike, 0.0) if is_call else max(strike - spot, 0.0)
    tau = days / TRADING_DAYS_PER_YEAR
    forward = spot * math.exp((rate(tab) - dividend_yield(tab)) * tau)
    sigma = spx_implied_vol(tab, spot, v, m, days, strike)
    return black_price(forward, strike, sigma * math.sqrt(tau), math.exp(-rate(tab) * tau),
                       is_call)


@njit(cache=True)
def spx_option_delta(tab, spot, v, m, days, strike, is_call):
    """d price / d spot at fixed (v, m), the smile moving with moneyness (sticky moneyness)."""
    if days <= 0.0:
        if is_call:
            return 1.0 if spot > strike else 0.0
        return -1.0 if spot < strike else 0.0
    tau = days / TRADING_DAYS_PER_YEAR
    growth = math.exp((rate(tab) - dividend_yield(tab)) * tau)
    forward = spot * growth
    scale = spx_scale_of(tab, v, m, tau)
    j, wj = locate_days(days, tab.grid)
    g = tab.grid
    sigma, dsigma_dz = _smile_in_cell(tab.spx_iv, state_cell(tab, v, m), j, wj,
                                      math.log(strike / forward) / scale, g[G_Z_MIN],
                                      g[G_Z_STEP], g[G_N_Z])
    sqrt_tau = math.sqrt(tau)
    disc = math.exp(-rate(tab) * tau)
    total_sd = sigma * sqrt_tau
    d_forward = black_forward_delta(forward, strike, total_sd, disc, is_call)
    vega = black_vega_total(forward, strike, total_sd, disc)
    dz_dforward = -1.0 / (forward * scale)
    return growth * (d_forward + vega * sqrt_tau * dsigma_dz * dz_dforward)


@njit(cache=True)
def condor_in_cell(tab, cell, spot, v, m, days, put_long, put_short, call_short, call_long,
                   legs, row):
    """Value of a long iron condor, ``P(put_short) - P(put_long) + C(call_short) -
    C(call_long)`` in index points, for days > 0 in the state cell of (v, m): the forward, the
    moneyness scale and the days cell are computed once for the four legs. The legs' prices go
    to ``legs[row]`` = (put_long, put_short, call_short, call_long), for the cost model."""
    tau = days / TRADING_DAYS_PER_YEAR
    forward = spot * math.exp((rate(tab) - dividend_yield(tab)) * tau)
    inv_scale = 1.0 / spx_scale_of(tab, v, m, tau)
    disc = math.exp(-rate(tab) * tau)
    sqrt_tau = math.sqrt(tau)
    j, wj = locate_days(days, tab.grid)
    g = tab.grid
    z_min, z_step, n_z = g[G_Z_MIN], g[G_Z_STEP], g[G_N_Z]
    total = 0.0
    for leg in range(4):
        if leg == 0:
            strike, sign, is_call = put_long, -1.0, False
        elif leg == 1:
            strike, sign, is_call = put_short, 1.0, False
        elif leg == 2:
            strike, sign, is_call = call_short, 1.0, True
        else:
            strike, sign, is_call = call_long, -1.0, True
        sigma, _ = _smile_in_cell(tab.spx_iv, cell, j, wj, math.log(strike / forward) * inv_scale,
                                  z_min, z_step, n_z)
        price = black_price(forward, strike, sigma * sqrt_tau, disc, is_call)
        legs[row, leg] = price
        total += sign * price
    return total


@njit(cache=True)
def condor_payoff(spot, put_long, put_short, call_short, call_long):
    """The long iron condor at expiry (index points)."""
    return (max(put_short - spot, 0.0) - max(put_long - spot, 0.0)
            + max(spot - call_short, 0.0) - max(spot - call_long, 0.0))


@njit(cache=True)
def condor_value(tab, spot, v, m, days, put_long, put_short, call_short, call_long):
    """:func:`condor_in_cell` for any days (the payoff at days <= 0)."""
    if days <= 0.0:
        return condor_payoff(spot, put_long, put_short, call_short, call_long)
    return condor_in_cell(tab, state_cell(tab, v, m), spot, v, m, days, put_long, put_short,
                          call_short, call_long, np.empty((1, 4)), 0)


# ---- array entry points (broadcast in Python, flat loops here) ------------------------------

@njit(cache=True, parallel=True)
def spx_option_many(tab, spot, v, m, days, strike, is_call, delta, out):
    for n in prange(out.size):
        if delta:
            out[n] = spx_option_delta(tab, spot[n], v[n], m[n], days[n], strike[n], is_call)
        else:
            out[n] = spx_option(tab, spot[n], v[n], m[n], days[n], strike[n], is_call)


@njit(cache=True, parallel=True)
def vix_future_many(tab, v, m, days, out):
    for n in prange(out.size):
        out[n] = vix_future(tab, v[n], m[n], days[n])


@njit(cache=True, parallel=True)
def vix_option_many(tab, v, m, days, strike, is_call, out):
    for n in prange(out.size):
        out[n] = vix_option(tab, v[n], m[n], days[n], strike[n], is_call)


__all__ = ["KernelTables", "condor_in_cell", "condor_payoff", "condor_value", "is_two_factor",
           "spot_vix", "spx_implied_vol", "spx_option", "spx_option_delta", "state_cell",
           "vix_call_in_cell", "vix_future", "vix_future_in_cell", "vix_implied_vol",
           "vix_option"]
