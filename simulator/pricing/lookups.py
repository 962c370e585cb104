"""The pricing tables as the strategy kernels see them, for one variance factor or two.

:class:`KernelTables` names the arrays every numba lookup of the day loop takes. The tables
carry a leading axis over the central tendency ``m`` (nodes in sqrt(m)): one node for a
one-factor model, where ``m`` is ignored, several for a two-factor model, where a lookup blends
the one-factor lookups on each side of ``m`` linearly in sqrt(m) (in implied volatility, never
in price). With one node every lookup does exactly the arithmetic of
:mod:`simulator.pricing.interp`, so one-factor results do not change by a bit.

A *cell* ``(i, wi, im, wm)`` is the position of (v, m) on the state axes; the engine locates
it once per path-day and prices every condor leg and VIX layer of the day in it. The lookups
take the arrays they read (see the note above ``state_cell``); the ``*_many`` entry points take
the named tuple.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np
from numba import njit, prange

from simulator.common.borrowed import borrowed
from simulator.common.conventions import TRADING_DAYS_PER_YEAR
from simulator.pricing.black import (
    black_forward_delta,
    black_price_x,
    black_vega_total,
)
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
    locate_state_near,
    smile_value,
    spx_scale,
    vix_scale,
)
from simulator.pricing.interp2f import Q2_VIX_A, Q2_VIX_B, Q2_VIX_C, spx_scale_2f, vix_scale_2f
from simulator.pricing.maturities import (
    MC_DAYS_CELL,
    MC_DAYS_WEIGHT,
    MC_DISCOUNT,
    MC_GROWTH,
    MC_LOG_GROWTH,
    MC_SQRT_TAU,
    N_MC,
    maturity_constants,
    maturity_table,
    spx_scale_in_row,
    table_day,
    table_row,
    vix_scale_in_row,
)


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
    maturity: np.ndarray    # (days + 1, N_MC): constants by whole day (pricing.maturities)


# Hot lookups take the arrays they read, never the KernelTables tuple: numba reference-counts
# every array it reads out of a tuple, which doubled the cost of a lookup (measured: 104 ns
# against 52 ns for a VIX future). Entry points unpack the tuple once, outside their loops.


@njit(cache=True, inline="always")
def state_cell(v, m, vol_nodes, m_nodes):
    """(i, wi, im, wm): the cell of (sqrt(v), sqrt(m)), shared by every lookup of one day."""
    i, wi = locate_state(v, vol_nodes)
    if m_nodes.size > 1:
        im, wm = locate_state(m, m_nodes)
        return i, wi, im, wm
    return i, wi, 0, 0.0


@njit(cache=True, inline="always")
def state_cell_near(v, m, vol_nodes, m_nodes, i_hint, im_hint):
    """:func:`state_cell` found by walks from the cell (``i_hint``, ``im_hint``) of the day
    before (interp.locate_state_near): the same tuple."""
    i, wi = locate_state_near(v, vol_nodes, i_hint)
    if m_nodes.size > 1:
        im, wm = locate_state_near(m, m_nodes, im_hint)
        return i, wi, im, wm
    return i, wi, 0, 0.0


@njit(cache=True, inline="always")
def spx_scale_of(v, m, tau, qp, qp2, m_nodes):
    """The SPX moneyness scale of the model's family (interp.spx_scale, interp2f.spx_scale_2f)."""
    if m_nodes.size > 1:
        return spx_scale_2f(v, m, tau, qp2)
    return spx_scale(v, tau, qp)


@njit(cache=True, inline="always")
def vix_scale_of(v, m, tau, qp, qp2, m_nodes):
    if m_nodes.size > 1:
        return vix_scale_2f(v, m, tau, qp2)
    return vix_scale(v, tau, qp)


@njit(cache=True)
def spot_vix(v, m, qp, qp2, m_nodes):
    """Model VIX in index points: 100 sqrt(A + B v) (+ C m with two factors)."""
    if m_nodes.size > 1:
        return 100.0 * math.sqrt(qp2[Q2_VIX_A] + qp2[Q2_VIX_B] * max(v, 0.0)
                                 + qp2[Q2_VIX_C] * max(m, 0.0))
    return 100.0 * math.sqrt(qp[QP_VIX_A] + qp[QP_VIX_B] * max(v, 0.0))


@njit(cache=True, inline="always")
def _smile_in_cell(table, cell, j, wj, z, z_min, z_step, n_z):
    """(implied vol, d vol / dz) at moneyness z, blended over the m cell."""
    i, wi, im, wm = cell
    lo, dlo = _smile(table, im, i, wi, j, wj, z, z_min, z_step, n_z)
    if wm == 0.0:
        return lo, dlo
    hi, dhi = _smile(table, im + 1, i, wi, j, wj, z, z_min, z_step, n_z)
    return (1.0 - wm) * lo + wm * hi, (1.0 - wm) * dlo + wm * dhi


@njit(cache=True, inline="always")
def _smile_value_in_cell(table, cell, j, wj, z, z_min, z_step, n_z):
    """The implied vol of :func:`_smile_in_cell`, without the slope (interp.smile_value: the
    same bits with one factor, the same number to a few ulps with two)."""
    i, wi, im, wm = cell
    return smile_value(table, im, wm, i, wi, j, wj, z, z_min, z_step, n_z)


@njit(cache=True, inline="always")
def _bilinear(table, im, i, wi, j, wj):
    """Bilinear in (vol, days) on slice ``im`` of an (m, vol, days) table (no view made); at a
    whole day of the daily axis (wj == 0) from column j alone, the same number
    (interp._nodes says why)."""
    if wj == 0.0:
        return (1 - wi) * table[im, i, j] + wi * table[im, i + 1, j]
    return ((1 - wi) * ((1 - wj) * table[im, i, j] + wj * table[im, i, j + 1])
            + wi * ((1 - wj) * table[im, i + 1, j] + wj * table[im, i + 1, j + 1]))


@njit(cache=True, inline="always")
def _future_in_cell(cell, j, wj, future_table):
    i, wi, im, wm = cell
    lo = _bilinear(future_table, im, i, wi, j, wj)
    if wm == 0.0:
        return lo
    return (1.0 - wm) * lo + wm * _bilinear(future_table, im + 1, i, wi, j, wj)


@njit(cache=True)
def vix_future_in_cell(cell, j, wj, future_table):
    """VIX future (index points) in the state cell of (v, m), at the days-axis cell (j, wj)
    of its maturity (> 0 days): :func:`vix_future` for a maturity located once."""
    return _future_in_cell(cell, j, wj, future_table)


@njit(cache=True)
def vix_future(v, m, days, future_table, qp, qp2, grid, vol_nodes, m_nodes):
    """VIX future of ``days`` trading days in index points; at days <= 0 spot VIX."""
    if days <= 0.0:
        return spot_vix(v, m, qp, qp2, m_nodes)
    j, wj = locate_days(days, grid)
    return _future_in_cell(state_cell(v, m, vol_nodes, m_nodes), j, wj, future_table)


@njit(cache=True)
def vix_implied_vol(v, m, days, strike, future, vix_iv, qp, qp2, grid, vol_nodes, m_nodes):
    """Black implied vol of a VIX option of ``days`` (> 0) on its own ``future``."""
    tau = days / TRADING_DAYS_PER_YEAR
    z = math.log(strike / future) / vix_scale_of(v, m, tau, qp, qp2, m_nodes)
    j, wj = locate_days(days, grid)
    sigma = _smile_value_in_cell(vix_iv, state_cell(v, m, vol_nodes, m_nodes), j, wj, z,
                                 grid[G_ZV_MIN], grid[G_ZV_STEP], grid[G_N_ZV])
    return sigma


@njit(cache=True)
def vix_call_in_cell(cell, v, m, days, strike, future_table, vix_iv, qp, qp2, grid, mat,
                     m_nodes):
    """Discounted VIX call (days > 0) in the state cell of (v, m), Black-76 on the future of
    its own expiry: the engine prices every layer of a path-day in one cell. ``mat``: the
    maturity constants by whole day (:mod:`simulator.pricing.maturities`)."""
    n = table_day(days, mat)
    if n > 0:  # the body twice, on either tuple (maturities.maturity_row says why)
        row = table_row(mat, n)
        future = _future_in_cell(cell, int(row[MC_DAYS_CELL]), row[MC_DAYS_WEIGHT],
                                 future_table)
        return _vix_call_in_row(cell, v, m, row, strike, future, vix_iv, qp, qp2, grid,
                                m_nodes)
    row = maturity_constants(days, qp, qp2, grid, m_nodes.size > 1)
    future = _future_in_cell(cell, int(row[MC_DAYS_CELL]), row[MC_DAYS_WEIGHT], future_table)
    return _vix_call_in_row(cell, v, m, row, strike, future, vix_iv, qp, qp2, grid, m_nodes)


@njit(cache=True)
def vix_call_on_future(cell, v, m, days, strike, future, vix_iv, qp, qp2, grid, mat, m_nodes):
    """Discounted VIX call (days > 0) on a given ``future`` (e.g. a listed settlement) with the
    model's smile in the state cell of (v, m) around it: the implied vol at the strike's
    log-moneyness against that future (sticky moneyness)."""
    n = table_day(days, mat)
    if n > 0:
        return _vix_call_in_row(cell, v, m, table_row(mat, n), strike, future, vix_iv, qp, qp2,
                                grid, m_nodes)
    return _vix_call_in_row(cell, v, m, maturity_constants(days, qp, qp2, grid,
                                                           m_nodes.size > 1),
                            strike, future, vix_iv, qp, qp2, grid, m_nodes)


@njit(cache=True, inline="always")
def _vix_call_in_row(cell, v, m, row, strike, future, vix_iv, qp, qp2, grid, m_nodes):
    """:func:`vix_call_on_future` at the maturity constants ``row`` (maturities.maturity_row):
    :func:`vix_implied_vol_in_row`'s volatility, its log-moneyness reused by Black."""
    x = math.log(strike / future)
    z = x / vix_scale_in_row(v, m, row, qp, qp2, m_nodes)
    sigma = _smile_value_in_cell(vix_iv, cell, int(row[MC_DAYS_CELL]), row[MC_DAYS_WEIGHT], z,
                                 grid[G_ZV_MIN], grid[G_ZV_STEP], grid[G_N_ZV])
    return black_price_x(future, strike, x, sigma * row[MC_SQRT_TAU], row[MC_DISCOUNT], True)


@njit(cache=True, inline="always")
def vix_call_in_row(cell, v, m, row, strike, future_table, vix_iv, qp, qp2, grid, m_nodes):
    """:func:`vix_call_in_cell` at the maturity constants ``row`` (a row of the table:
    maturities.table_row), inlined where it is called: the day loop marks its held calls with
    it, since a call of :func:`vix_call_in_cell` (a dozen arrays passed) cost as much as the
    price's arithmetic."""
    future = _future_in_cell(cell, int(row[MC_DAYS_CELL]), row[MC_DAYS_WEIGHT], future_table)
    return _vix_call_in_row(cell, v, m, row, strike, future, vix_iv, qp, qp2, grid, m_nodes)


@njit(cache=True, inline="always")
def vix_implied_vol_in_row(cell, v, m, row, strike, future, vix_iv, qp, qp2, grid, m_nodes):
    """:func:`vix_implied_vol` in the state cell of (v, m) at the maturity constants ``row``
    (maturities.maturity_row): the same number."""
    z = math.log(strike / future) / vix_scale_in_row(v, m, row, qp, qp2, m_nodes)
    sigma = _smile_value_in_cell(vix_iv, cell, int(row[MC_DAYS_CELL]), row[MC_DAYS_WEIGHT], z,
                                 grid[G_ZV_MIN], grid[G_ZV_STEP], grid[G_N_ZV])
    return sigma


@njit(cache=True, inline="always")
def spx_implied_vol_in_row(cell, spot, v, m, row, strike, spx_iv, qp, qp2, grid, m_nodes):
    """:func:`spx_implied_vol` in the state cell of (v, m) at the maturity constants ``row``
    (maturities.maturity_row): the same number."""
    forward = spot * row[MC_GROWTH]
    z = math.log(strike / forward) / spx_scale_in_row(v, m, row, qp, qp2, m_nodes)
    sigma = _smile_value_in_cell(spx_iv, cell, int(row[MC_DAYS_CELL]), row[MC_DAYS_WEIGHT], z,
                                 grid[G_Z_MIN], grid[G_Z_STEP], grid[G_N_Z])
    return sigma


@njit(cache=True)
def vix_option(v, m, days, strike, is_call, future_table, vix_iv, qp, qp2, grid, vol_nodes,
               m_nodes):
    """Discounted VIX option in index points; at days <= 0 its payoff on spot VIX."""
    future = vix_future(v, m, days, future_table, qp, qp2, grid, vol_nodes, m_nodes)
    if days <= 0.0:
        return max(future - strike, 0.0) if is_call else max(strike - future, 0.0)
    tau = days / TRADING_DAYS_PER_YEAR
    x = math.log(strike / future)  # vix_implied_vol's, reused by Black (as the day loop does)
    j, wj = locate_days(days, grid)
    sigma = _smile_value_in_cell(vix_iv, state_cell(v, m, vol_nodes, m_nodes), j, wj,
                                 x / vix_scale_of(v, m, tau, qp, qp2, m_nodes), grid[G_ZV_MIN],
                                 grid[G_ZV_STEP], grid[G_N_ZV])
    return black_price_x(future, strike, x, sigma * math.sqrt(tau), math.exp(-qp[QP_R] * tau),
                         is_call)


@njit(cache=True)
def spx_implied_vol(spot, v, m, days, strike, spx_iv, qp, qp2, grid, vol_nodes, m_nodes):
    """Black implied vol of an SPX option of ``days`` (> 0) trading days."""
    tau = days / TRADING_DAYS_PER_YEAR
    forward = spot * math.exp((qp[QP_R] - qp[QP_DIV]) * tau)
    z = math.log(strike / forward) / spx_scale_of(v, m, tau, qp, qp2, m_nodes)
    j, wj = locate_days(days, grid)
    sigma = _smile_value_in_cell(spx_iv, state_cell(v, m, vol_nodes, m_nodes), j, wj, z,
                                 grid[G_Z_MIN], grid[G_Z_STEP], grid[G_N_Z])
    return sigma


@njit(cache=True)
def spx_option(spot, v, m, days, strike, is_call, spx_iv, qp, qp2, grid, vol_nodes, m_nodes):
    """Discounted SPX European option in index points; at days <= 0 its payoff."""
    if days <= 0.0:
        return max(spot - strike, 0.0) if is_call else max(strike - spot, 0.0)
    tau = days / TRADING_DAYS_PER_YEAR
    forward = spot * math.exp((qp[QP_R] - qp[QP_DIV]) * tau)
    x = math.log(strike / forward)  # spx_implied_vol's, reused by Black (as the condor does)
    j, wj = locate_days(days, grid)
    sigma = _smile_value_in_cell(spx_iv, state_cell(v, m, vol_nodes, m_nodes), j, wj,
                                 x / spx_scale_of(v, m, tau, qp, qp2, m_nodes), grid[G_Z_MIN],
                                 grid[G_Z_STEP], grid[G_N_Z])
    return black_price_x(forward, strike, x, sigma * math.sqrt(tau), math.exp(-qp[QP_R] * tau),
                         is_call)


@njit(cache=True, inline="always")
def spx_option_in_row(cell, spot, v, m, row, strike, is_call, spx_iv, qp, qp2, grid, m_nodes):
    """:func:`spx_option` (days > 0) in the state cell of (v, m) at the maturity constants
    ``row`` (maturities.table_row): the same number, by the same operations in the same
    order, without its two ``exp`` and the days axis search (the day loop's SPX put layers)."""
    forward = spot * row[MC_GROWTH]
    x = math.log(strike / forward)
    sigma = _smile_value_in_cell(spx_iv, cell, int(row[MC_DAYS_CELL]), row[MC_DAYS_WEIGHT],
                                 x / spx_scale_in_row(v, m, row, qp, qp2, m_nodes),
                                 grid[G_Z_MIN], grid[G_Z_STEP], grid[G_N_Z])
    return black_price_x(forward, strike, x, sigma * row[MC_SQRT_TAU], row[MC_DISCOUNT], is_call)


@njit(cache=True)
def spx_option_delta(spot, v, m, days, strike, is_call, spx_iv, qp, qp2, grid, vol_nodes,
                     m_nodes):
    """d price / d spot at fixed (v, m), the smile moving with moneyness (sticky moneyness)."""
    if days <= 0.0:
        if is_call:
            return 1.0 if spot > strike else 0.0
        return -1.0 if spot < strike else 0.0
    tau = days / TRADING_DAYS_PER_YEAR
    growth = math.exp((qp[QP_R] - qp[QP_DIV]) * tau)
    forward = spot * growth
    scale = spx_scale_of(v, m, tau, qp, qp2, m_nodes)
    j, wj = locate_days(days, grid)
    sigma, dsigma_dz = _smile_in_cell(spx_iv, state_cell(v, m, vol_nodes, m_nodes), j, wj,
                                      math.log(strike / forward) / scale, grid[G_Z_MIN],
                                      grid[G_Z_STEP], grid[G_N_Z])
    sqrt_tau = math.sqrt(tau)
    disc = math.exp(-qp[QP_R] * tau)
    total_sd = sigma * sqrt_tau
    d_forward = black_forward_delta(forward, strike, total_sd, disc, is_call)
    vega = black_vega_total(forward, strike, total_sd, disc)
    dz_dforward = -1.0 / (forward * scale)
    return growth * (d_forward + vega * sqrt_tau * dsigma_dz * dz_dforward)


@njit(cache=True)
def condor_in_cell(cell, spot, v, m, days, put_long, put_short, call_short, call_long, spx_iv,
                   qp, qp2, grid, mat, m_nodes, legs, row):
    """Value of a long iron condor, ``P(put_short) - P(put_long) + C(call_short) -
    C(call_long)`` in index points, for days > 0 in the state cell of (v, m): the forward, the
    moneyness scale and the days cell are computed once for the four legs, from the maturity
    constants ``mat`` (:mod:`simulator.pricing.maturities`). The legs' prices go to
    ``legs[row]`` = (put_long, put_short, call_short, call_long), for the cost model."""
    n = table_day(days, mat)
    if n > 0:  # the body twice, on either tuple (maturities.maturity_row says why)
        return condor_in_row(cell, spot, v, m, table_row(mat, n), put_long, put_short,
                             call_short, call_long, spx_iv, qp, qp2, grid, m_nodes, legs, row)
    return condor_in_row(cell, spot, v, m, maturity_constants(days, qp, qp2, grid,
                                                              m_nodes.size > 1),
                         put_long, put_short, call_short, call_long, spx_iv, qp, qp2, grid,
                         m_nodes, legs, row)


@njit(cache=True, inline="always")
def _condor_terms(spot, v, m, consts, qp, qp2, grid, m_nodes):
    """What a condor's four legs share at the maturity constants ``consts``: the forward, one
    over the moneyness scale, the discount, sqrt(tau), the days cell and the z axis."""
    return (spot * consts[MC_GROWTH], 1.0 / spx_scale_in_row(v, m, consts, qp, qp2, m_nodes),
            consts[MC_DISCOUNT], consts[MC_SQRT_TAU], int(consts[MC_DAYS_CELL]),
            consts[MC_DAYS_WEIGHT], grid[G_Z_MIN], grid[G_Z_STEP], grid[G_N_Z])


@njit(cache=True, inline="always")
def condor_in_row(cell, spot, v, m, consts, put_long, put_short, call_short, call_long, spx_iv,
                  qp, qp2, grid, m_nodes, legs, row):
    """:func:`condor_in_cell` at the maturity constants ``consts``, inlined where it is called
    (the day loop marks its tranches with it: a call of :func:`condor_in_cell` cost some
    90 ns, docs/performance.md). Each leg's log-moneyness serves its smile and its Black."""
    forward, inv_scale, disc, sqrt_tau, j, wj, z_min, z_step, n_z = _condor_terms(
        spot, v, m, consts, qp, qp2, grid, m_nodes)
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
        x = math.log(strike / forward)
        sigma = _smile_value_in_cell(spx_iv, cell, j, wj, x * inv_scale, z_min, z_step, n_z)
        price = black_price_x(forward, strike, x, sigma * sqrt_tau, disc, is_call)
        legs[row, leg] = price
        total += sign * price
    return total


@njit(cache=True, inline="always")
def held_condor_in_row(cell, spot, log_spot, v, m, consts, held, s, spx_iv, qp, qp2, grid,
                       m_nodes, legs):
    """:func:`condor_in_row` for a held tranche, whose strikes ``held[s, 0:4]`` (put_long,
    put_short, call_short, call_long) come with their logs ``held[s, 4:8]``: each leg's
    log-moneyness is ``ln K - (ln S + (r - q) tau)`` (``log_spot`` = ln S, once a path-day)
    instead of ``ln(K / F)``, a subtraction for a division and a log. The same number to
    rounding (tests/test_maturities.py; docs/performance.md §1, "One exp per erfc, no log
    per held leg")."""
    forward, inv_scale, disc, sqrt_tau, j, wj, z_min, z_step, n_z = _condor_terms(
        spot, v, m, consts, qp, qp2, grid, m_nodes)
    log_forward = log_spot + consts[MC_LOG_GROWTH]
    total = 0.0
    for leg in range(4):
        sign = 1.0 if leg == 1 or leg == 2 else -1.0
        strike = held[s, leg]
        x = held[s, 4 + leg] - log_forward
        sigma = _smile_value_in_cell(spx_iv, cell, j, wj, x * inv_scale, z_min, z_step, n_z)
        price = black_price_x(forward, strike, x, sigma * sqrt_tau, disc, leg >= 2)
        legs[s, leg] = price
        total += sign * price
    return total


@njit(cache=True)
def condor_payoff(spot, put_long, put_short, call_short, call_long):
    """The long iron condor at expiry (index points)."""
    return (max(put_short - spot, 0.0) - max(put_long - spot, 0.0)
            + max(spot - call_short, 0.0) - max(spot - call_long, 0.0))


@njit(cache=True)
def condor_value(spot, v, m, days, put_long, put_short, call_short, call_long, spx_iv, qp, qp2,
                 grid, vol_nodes, m_nodes):
    """:func:`condor_in_cell` for any days (the payoff at days <= 0), its maturity constants
    from the formulas (no table)."""
    if days <= 0.0:
        return condor_payoff(spot, put_long, put_short, call_short, call_long)
    return condor_in_cell(state_cell(v, m, vol_nodes, m_nodes), spot, v, m, days, put_long,
                          put_short, call_short, call_long, spx_iv, qp, qp2, grid,
                          np.empty((0, N_MC)), m_nodes, np.empty((1, 4)), 0)


# ---- array entry points (broadcast in Python, flat loops here) ------------------------------

@njit(cache=True, parallel=True)
def spx_option_many(tab, spot, v, m, days, strike, is_call, delta, out):
    spx_iv, qp, qp2, grid, nodes, m_nodes = (tab.spx_iv, tab.qp, tab.qp2, tab.grid,
                                             tab.vol_nodes, tab.m_nodes)
    for n in prange(out.size):
        if delta:
            out[n] = spx_option_delta(spot[n], v[n], m[n], days[n], strike[n], is_call, spx_iv,
                                      qp, qp2, grid, nodes, m_nodes)
        else:
            out[n] = spx_option(spot[n], v[n], m[n], days[n], strike[n], is_call, spx_iv, qp,
                                qp2, grid, nodes, m_nodes)


@njit(cache=True, parallel=True)
def vix_future_many(tab, v, m, days, out):
    table, qp, qp2, grid, nodes, m_nodes = (tab.vix_future, tab.qp, tab.qp2, tab.grid,
                                            tab.vol_nodes, tab.m_nodes)
    for n in prange(out.size):
        out[n] = vix_future(v[n], m[n], days[n], table, qp, qp2, grid, nodes, m_nodes)


@njit(cache=True, parallel=True)
def vix_option_many(tab, v, m, days, strike, is_call, out):
    fut, viv, qp, qp2, grid, nodes, m_nodes = (tab.vix_future, tab.vix_iv, tab.qp, tab.qp2,
                                               tab.grid, tab.vol_nodes, tab.m_nodes)
    for n in prange(out.size):
        out[n] = vix_option(v[n], m[n], days[n], strike[n], is_call, fut, viv, qp, qp2, grid,
                            nodes, m_nodes)


@njit(cache=True)
def borrowed_tables(tab):
    """``tab`` with each array borrowed (common.borrowed: no reference counts in the day
    loop; the caller keeps ``tab`` alive)."""
    return KernelTables(borrowed(tab.spx_iv), borrowed(tab.vix_future), borrowed(tab.vix_iv),
                        borrowed(tab.qp), borrowed(tab.qp2), borrowed(tab.grid),
                        borrowed(tab.vol_nodes), borrowed(tab.m_nodes), borrowed(tab.maturity))


def kernel_tables(spx_iv, vix_future_table, vix_iv, qp, qp2, grid, vol_nodes,
                  m_nodes) -> KernelTables:
    """The named arrays of one model's tables, with their maturity constants tabulated."""
    return KernelTables(spx_iv, vix_future_table, vix_iv, qp, qp2, grid, vol_nodes, m_nodes,
                        maturity_table(qp, qp2, grid, m_nodes))


__all__ = ["KernelTables", "borrowed_tables", "condor_in_cell", "condor_in_row", "condor_payoff",
           "condor_value", "kernel_tables", "spot_vix", "spx_implied_vol",
           "spx_implied_vol_in_row", "spx_option", "spx_option_delta", "spx_option_in_row",
           "state_cell", "vix_call_in_cell", "vix_call_in_row", "vix_future",
           "vix_future_in_cell", "vix_implied_vol", "vix_implied_vol_in_row", "vix_option"]
