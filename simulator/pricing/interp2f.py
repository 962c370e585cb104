"""Numba lookups in the two-factor pricing tables: the one-factor lookups of
:mod:`simulator.pricing.interp` on each side of the central tendency m, blended linearly in
sqrt(m). Tables carry a leading m axis: ``spx_iv[m, vol, days, z]``, ``vix_future[m, vol,
days]``, ``vix_iv[m, vol, days, zv]``; the moneyness scales are the two-factor moments.

``qp2`` layout below; ``grid`` and ``vol_nodes`` as for one factor; ``m_nodes`` are sqrt(m).
"""

from __future__ import annotations

import math

from numba import njit, prange

from simulator.common.conventions import TRADING_DAYS_PER_YEAR
from simulator.model.moments import cir_jump_mean, cir_jump_variance
from simulator.pricing.black import black_price
from simulator.pricing.interp import (
    G_N_Z,
    G_N_ZV,
    G_Z_MIN,
    G_Z_STEP,
    G_ZV_MIN,
    G_ZV_STEP,
    MIN_SCALE,
    interp2,
    interp3,
    locate_state,
)

(Q2_KAPPA, Q2_KAPPA_TILDE, Q2_KAPPA_M, Q2_THETA, Q2_SIGMA_V, Q2_LAM0, Q2_LAM1, Q2_MU_V,
 Q2_EZ2, Q2_VIX_A, Q2_VIX_B, Q2_VIX_C, Q2_R, Q2_DIV) = range(14)
N_QP2 = 14


@njit(cache=True, inline="always")
def _mean_discount(k, tau):
    x = k * tau
    return 1.0 if x == 0.0 else -math.expm1(-x) / x


@njit(cache=True)
def mean_variance_coefficients(tau, qp2):
    """(A0, B0, C0): (1/tau) int_0^tau E[v_s] ds = A0 + B0 v + C0 m (docs/two_factor.md)."""
    kt, km, k = qp2[Q2_KAPPA_TILDE], qp2[Q2_KAPPA_M], qp2[Q2_KAPPA]
    b_v = _mean_discount(kt, tau)
    if abs(kt - km) < 1e-8 * max(kt, 1.0):
        x = kt * tau
        slope = (math.exp(-x) * (1.0 + x) - 1.0) / (kt * kt * tau)
        c0 = -k * slope
    else:
        c0 = k * (_mean_discount(km, tau) - b_v) / (kt - km)
    v_star = (k * qp2[Q2_THETA] + qp2[Q2_LAM0] * qp2[Q2_MU_V]) / kt
    return v_star * (1.0 - b_v) - qp2[Q2_THETA] * c0, b_v, c0


@njit(cache=True)
def spx_scale_2f(v, m, tau, qp2):
    """Standard deviation proxy of ln S_T: sqrt(E[int v] + E[int lam(v)] E[Z_x^2])."""
    a0, b0, c0 = mean_variance_coefficients(tau, qp2)
    mean_v = max(a0 + b0 * max(v, 0.0) + c0 * max(m, 0.0), 0.0)
    w = tau * (mean_v + (qp2[Q2_LAM0] + qp2[Q2_LAM1] * mean_v) * qp2[Q2_EZ2])
    return max(math.sqrt(max(w, 0.0)), MIN_SCALE)


@njit(cache=True)
def vix_scale_2f(v, m, tau, qp2):
    """Standard deviation proxy of ln VIX_T, with m frozen over the option's life: the
    one-factor delta-method proxy for v reverting at kappa~ to (kappa m + lam mu_v)/kappa~."""
    v = max(v, 0.0)
    m = max(m, 0.0)
    kt = qp2[Q2_KAPPA_TILDE]
    target = (qp2[Q2_KAPPA] * m + qp2[Q2_LAM0] * qp2[Q2_MU_V]) / kt
    lam = qp2[Q2_LAM0] + qp2[Q2_LAM1] * max(v, target)
    mean = cir_jump_mean(v, tau, kt, target)
    var = cir_jump_variance(v, tau, kt, target, qp2[Q2_SIGMA_V], lam, qp2[Q2_MU_V])
    vix2 = qp2[Q2_VIX_A] + qp2[Q2_VIX_B] * mean + qp2[Q2_VIX_C] * m
    return max(0.5 * qp2[Q2_VIX_B] * math.sqrt(max(var, 0.0)) / vix2, MIN_SCALE)


@njit(cache=True)
def _blend_m(table4, v, m, days, z, grid, vol_nodes, m_nodes, z_min, z_step, n_z):
    im, wm = locate_state(m, m_nodes)
    lo, dlo = interp3(table4[im], v, days, z, grid, vol_nodes, z_min, z_step, n_z)
    if wm == 0.0:
        return lo, dlo
    hi, dhi = interp3(table4[im + 1], v, days, z, grid, vol_nodes, z_min, z_step, n_z)
    return (1.0 - wm) * lo + wm * hi, (1.0 - wm) * dlo + wm * dhi


@njit(cache=True)
def spx_implied_vol_2f(spot, v, m, days, strike, spx_iv, qp2, grid, vol_nodes, m_nodes):
    tau = days / TRADING_DAYS_PER_YEAR
    forward = spot * math.exp((qp2[Q2_R] - qp2[Q2_DIV]) * tau)
    z = math.log(strike / forward) / spx_scale_2f(v, m, tau, qp2)
    sigma, _ = _blend_m(spx_iv, v, m, days, z, grid, vol_nodes, m_nodes, grid[G_Z_MIN],
                        grid[G_Z_STEP], grid[G_N_Z])
    return sigma


@njit(cache=True)
def spx_option_price_2f(spot, v, m, days, strike, is_call, spx_iv, qp2, grid, vol_nodes,
                        m_nodes):
    """Discounted SPX European option price in index points (days: trading days)."""
    if days <= 0.0:
        return max(spot - strike, 0.0) if is_call else max(strike - spot, 0.0)
    tau = days / TRADING_DAYS_PER_YEAR
    forward = spot * math.exp((qp2[Q2_R] - qp2[Q2_DIV]) * tau)
    sigma = spx_implied_vol_2f(spot, v, m, days, strike, spx_iv, qp2, grid, vol_nodes, m_nodes)
    return black_price(forward, strike, sigma * math.sqrt(tau), math.exp(-qp2[Q2_R] * tau),
                       is_call)


@njit(cache=True)
def vix_future_price_2f(v, m, days, vix_future_table, qp2, grid, vol_nodes, m_nodes):
    """VIX future in index points; at days <= 0 spot VIX."""
    if days <= 0.0:
        return 100.0 * math.sqrt(qp2[Q2_VIX_A] + qp2[Q2_VIX_B] * max(v, 0.0)
                                 + qp2[Q2_VIX_C] * max(m, 0.0))
    im, wm = locate_state(m, m_nodes)
    lo = interp2(vix_future_table[im], v, days, grid, vol_nodes)
    if wm == 0.0:
        return lo
    return (1.0 - wm) * lo + wm * interp2(vix_future_table[im + 1], v, days, grid, vol_nodes)


@njit(cache=True)
def vix_implied_vol_2f(v, m, days, strike, future, vix_iv, qp2, grid, vol_nodes, m_nodes):
    tau = days / TRADING_DAYS_PER_YEAR
    z = math.log(strike / future) / vix_scale_2f(v, m, tau, qp2)
    sigma, _ = _blend_m(vix_iv, v, m, days, z, grid, vol_nodes, m_nodes, grid[G_ZV_MIN],
                        grid[G_ZV_STEP], grid[G_N_ZV])
    return sigma


@njit(cache=True)
def vix_option_price_2f(v, m, days, strike, is_call, vix_future_table, vix_iv, qp2, grid,
                        vol_nodes, m_nodes):
    """Discounted VIX option price in index points, Black-76 on its own VIX future."""
    future = vix_future_price_2f(v, m, days, vix_future_table, qp2, grid, vol_nodes, m_nodes)
    if days <= 0.0:
        return max(future - strike, 0.0) if is_call else max(strike - future, 0.0)
    tau = days / TRADING_DAYS_PER_YEAR
    sigma = vix_implied_vol_2f(v, m, days, strike, future, vix_iv, qp2, grid, vol_nodes,
                               m_nodes)
    return black_price(future, strike, sigma * math.sqrt(tau), math.exp(-qp2[Q2_R] * tau),
                       is_call)


@njit(cache=True, parallel=True)
def spx_option_many_2f(spot, v, m, days, strike, is_call, spx_iv, qp2, grid, vol_nodes,
                       m_nodes, out):
    for n in prange(out.size):
        out[n] = spx_option_price_2f(spot[n], v[n], m[n], days[n], strike[n], is_call, spx_iv,
                                     qp2, grid, vol_nodes, m_nodes)


@njit(cache=True, parallel=True)
def vix_future_many_2f(v, m, days, vix_future_table, qp2, grid, vol_nodes, m_nodes, out):
    for n in prange(out.size):
        out[n] = vix_future_price_2f(v[n], m[n], days[n], vix_future_table, qp2, grid,
                                     vol_nodes, m_nodes)


@njit(cache=True, parallel=True)
def vix_option_many_2f(v, m, days, strike, is_call, vix_future_table, vix_iv, qp2, grid,
                       vol_nodes, m_nodes, out):
    for n in prange(out.size):
        out[n] = vix_option_price_2f(v[n], m[n], days[n], strike[n], is_call,
                                     vix_future_table, vix_iv, qp2, grid, vol_nodes, m_nodes)
