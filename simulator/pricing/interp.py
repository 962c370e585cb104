"""Primitives of the numba table lookups: axes, cells, moneyness scales and the smile.
Prices are assembled from them in :mod:`simulator.pricing.lookups`, the only way prices are
computed at run time.

Tables hold implied volatilities, so prices come from Black-76 at an interpolated volatility and
anything outside the grid is extrapolated *in implied volatility* (never in price): flat in the
state and maturity directions, like sqrt(|z|) in moneyness. Prices stay finite and within the
no-arbitrage bounds (intrinsic <= price <= forward), never NaN.

Axes (see ``simulator.pricing.tables``)::

    vol = sqrt(v) at explicit nodes ``vol_nodes`` (dense where VIX is low)   (axis 0)
    days: every trading day 1..D1, then uniform in sqrt(days) up to the end   (axis 1)
    z     = ln(K/F) / scale(v, tau), uniform             (axis 2: standardised log-moneyness)

``scale`` is the model's standard deviation of ln S_T (SPX) or ln VIX_T (VIX) over the option's
life, so one z grid serves 1-day and 400-day options alike.

``qp`` (float64 array) carries the Q parameters and rates; ``grid`` the axis specification.
"""

from __future__ import annotations

import math

from numba import njit

from simulator.model.moments import cir_jump_integral, cir_jump_mean, cir_jump_variance

# qp layout
QP_KAPPA, QP_THETA_STAR, QP_SIGMA_V, QP_LAM, QP_MU_V, QP_EZ2, QP_VIX_A, QP_VIX_B, QP_R, QP_DIV = (
    range(10))
N_QP = 10
# grid layout
(G_N_VOL, G_DAILY_UNTIL, G_SQRTD_STEP, G_N_DAYS, G_Z_MIN, G_Z_STEP, G_N_Z, G_ZV_MIN, G_ZV_STEP,
 G_N_ZV) = range(10)
N_GRID = 10
MIN_SCALE = 1e-6


@njit(cache=True)
def integrated_variance(v, tau, qp):
    """E_Q[int_0^tau v_s ds | v_0 = v] with variance jumps in theta_star."""
    return cir_jump_integral(v, tau, qp[QP_KAPPA], qp[QP_THETA_STAR])


@njit(cache=True)
def spx_scale(v, tau, qp):
    """Standard deviation proxy of ln S_T: sqrt(E[int v] + lam tau E[Z_x^2])."""
    w = integrated_variance(max(v, 0.0), tau, qp) + qp[QP_LAM] * tau * qp[QP_EZ2]
    return max(math.sqrt(max(w, 0.0)), MIN_SCALE)


@njit(cache=True)
def vix_scale(v, tau, qp):
    """Standard deviation proxy of ln VIX_T: B sd(v_T) / (2 E[VIX_T^2]) (delta method)."""
    v = max(v, 0.0)
    mean = cir_jump_mean(v, tau, qp[QP_KAPPA], qp[QP_THETA_STAR])
    var = cir_jump_variance(v, tau, qp[QP_KAPPA], qp[QP_THETA_STAR], qp[QP_SIGMA_V],
                            qp[QP_LAM], qp[QP_MU_V])
    vix2 = qp[QP_VIX_A] + qp[QP_VIX_B] * mean
    return max(0.5 * qp[QP_VIX_B] * math.sqrt(max(var, 0.0)) / vix2, MIN_SCALE)


@njit(cache=True, inline="always")
def _locate(x, x0, step, n):
    """Cell index and weight of x on a uniform axis; flat beyond the ends. ``1 / step`` is
    independent of x, so it is off the dependency chain of a price, where the division was on
    it (docs/performance.md §1, "One exp per erfc"); for the tables' steps (0.25, powers of
    two) the product is the quotient, bit for bit."""
    t = (x - x0) * (1.0 / step)
    if t <= 0.0:
        return 0, 0.0
    if t >= n - 1:
        return n - 2, 1.0
    i = int(t)
    if i > n - 2:
        i = n - 2
    return i, t - i


@njit(cache=True, inline="always")
def locate_state(v, vol_nodes):
    """Cell of sqrt(v) among increasing ``vol_nodes`` (binary search); flat beyond the ends."""
    x = math.sqrt(max(v, 0.0))
    n = vol_nodes.size
    if x <= vol_nodes[0]:
        return 0, 0.0
    if x >= vol_nodes[n - 1]:
        return n - 2, 1.0
    lo = 0
    hi = n - 1
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if vol_nodes[mid] <= x:
            lo = mid
        else:
            hi = mid
    return lo, (x - vol_nodes[lo]) / (vol_nodes[lo + 1] - vol_nodes[lo])


@njit(cache=True, inline="always")
def locate_state_near(v, vol_nodes, hint):
    """:func:`locate_state` by a walk from cell ``hint`` (a path's cell the day before, which
    a day's move rarely leaves) instead of a binary search: the same cell and weight, bit for
    bit, for strictly increasing nodes (the cell is the one ``lo`` with ``nodes[lo] <= x <
    nodes[lo + 1]``, however it is found; tests/test_lookup_arithmetic.py)."""
    x = math.sqrt(max(v, 0.0))
    n = vol_nodes.size
    if x <= vol_nodes[0]:
        return 0, 0.0
    if x >= vol_nodes[n - 1]:
        return n - 2, 1.0
    if math.isnan(x):  # the binary search's cell: every comparison false
        return 0, (x - vol_nodes[0]) / (vol_nodes[1] - vol_nodes[0])
    lo = min(max(hint, 0), n - 2)
    while vol_nodes[lo] > x:
        lo -= 1
    while vol_nodes[lo + 1] <= x:
        lo += 1
    return lo, (x - vol_nodes[lo]) / (vol_nodes[lo + 1] - vol_nodes[lo])


@njit(cache=True, inline="always")
def locate_days(days, grid):
    """Days axis: nodes 1, 2, ..., D1 (every trading day), then uniform in sqrt(days)."""
    d1 = grid[G_DAILY_UNTIL]
    n = int(grid[G_N_DAYS])
    if days <= d1:
        return _locate(days, 1.0, 1.0, int(d1))
    t = (math.sqrt(days) - math.sqrt(d1)) / grid[G_SQRTD_STEP]
    j = int(d1) - 1 + int(t)
    if j >= n - 1:
        return n - 2, 1.0
    return j, t - int(t)


@njit(cache=True, inline="always")
def _blend(table, im, i, wi, j, wj, k):
    """Bilinear value at z node k (clamped to the table)."""
    k = min(max(k, 0), table.shape[3] - 1)
    return ((1.0 - wi) * ((1.0 - wj) * table[im, i, j, k] + wj * table[im, i, j + 1, k])
            + wi * ((1.0 - wj) * table[im, i + 1, j, k] + wj * table[im, i + 1, j + 1, k]))


@njit(cache=True, inline="always")
def _nodes(table, im, i, wi, j, wj, k, n):
    """The smile's four z nodes around cell k (f(k-1), f(k), f(k+1), f(k+2)), blended in
    (vol, days), the outer two extrapolated linearly at the ends of the axis.

    At a whole day of the daily part of the days axis (wj == 0: every maturity of 1..D1 days
    the day loop prices) only row j is read: ``(1 - 0) a + 0 b`` is ``a`` to the bit for the
    finite, positive volatilities of the tables (tables.py rejects a non-finite table), so the
    eight reads of row j + 1 were wasted (measured: 15 % of a condor, bit-identical)."""
    if wj == 0.0:
        f0 = _blend_vol(table, im, i, wi, j, k)
        f1 = _blend_vol(table, im, i, wi, j, k + 1)
        fm = _blend_vol(table, im, i, wi, j, k - 1) if k > 0 else f0 - (f1 - f0)
        f2 = _blend_vol(table, im, i, wi, j, k + 2) if k + 2 < n else f1 + (f1 - f0)
        return fm, f0, f1, f2
    f0 = _blend(table, im, i, wi, j, wj, k)
    f1 = _blend(table, im, i, wi, j, wj, k + 1)
    # node slopes (per z cell): central inside, one-sided at the ends
    fm = _blend(table, im, i, wi, j, wj, k - 1) if k > 0 else f0 - (f1 - f0)
    f2 = _blend(table, im, i, wi, j, wj, k + 2) if k + 2 < n else f1 + (f1 - f0)
    return fm, f0, f1, f2


@njit(cache=True, inline="always")
def _blend_vol(table, im, i, wi, j, k):
    """:func:`_blend` at wj == 0: the same number, from row j alone."""
    k = min(max(k, 0), table.shape[3] - 1)
    return (1.0 - wi) * table[im, i, j, k] + wi * table[im, i + 1, j, k]


@njit(cache=True, inline="always")
def _hermite_value(t, fm, f0, f1, f2):
    """Cubic Hermite value at t in [0, 1] between nodes f0 and f1, with Catmull-Rom slopes from
    their neighbours fm and f2: the one formula of both smile reads."""
    m0 = 0.5 * (f1 - fm)
    m1 = 0.5 * (f2 - f0)
    t2 = t * t
    t3 = t2 * t
    return ((2 * t3 - 3 * t2 + 1) * f0 + (t3 - 2 * t2 + t) * m0
            + (-2 * t3 + 3 * t2) * f1 + (t3 - t2) * m1)


@njit(cache=True)
def _smile(table, im, i, wi, j, wj, z, z_min, z_step, n_z):
    """Value and d/dz of the smile in cell (i, wi), (j, wj) of (vol, days) at moneyness z.

    C1 in z: piecewise-linear smiles put kinks in implied volatility, and each kink is a
    butterfly arbitrage in price. Beyond the ends of the z axis the volatility grows like
    sqrt(|z|): total implied variance linear in log-moneyness, the wing asymptotics of
    Lee (2004), "The moment formula for implied volatility at extreme strikes".
    """
    n = int(n_z)
    z_max = z_min + (n - 1) * z_step
    z_in = min(max(z, z_min), z_max)
    k, t = _locate(z_in, z_min, z_step, n)
    fm, f0, f1, f2 = _nodes(table, im, i, wi, j, wj, k, n)
    m0 = 0.5 * (f1 - fm)
    m1 = 0.5 * (f2 - f0)
    t2 = t * t
    value = _hermite_value(t, fm, f0, f1, f2)
    if z_in != z:  # beyond the axis: sigma_edge * sqrt(z / edge)
        ratio = math.sqrt(z / z_in)
        return value * ratio, value / (2.0 * z_in * ratio)
    slope = ((6 * t2 - 6 * t) * f0 + (3 * t2 - 4 * t + 1) * m0
             + (-6 * t2 + 6 * t) * f1 + (3 * t2 - 2 * t) * m1) / z_step
    return value, slope


@njit(cache=True, inline="always")
def smile_value(table, im, wm, i, wi, j, wj, z, z_min, z_step, n_z):
    """The value of :func:`_smile` blended over the m cell (im, wm), inlined and without the
    slope: the prices of the day loop need no slope, and a call per leg cost more than its
    arithmetic. With two factors the z nodes of slices im and im + 1 are blended before the one
    cubic, instead of blending two cubics: the cubic and its extrapolation are linear in the
    nodes, so this is the same number to rounding (a few ulps; one factor, wm == 0: the same
    bits as ``_smile``)."""
    n = int(n_z)
    z_max = z_min + (n - 1) * z_step
    z_in = min(max(z, z_min), z_max)
    k, t = _locate(z_in, z_min, z_step, n)
    fm, f0, f1, f2 = _nodes(table, im, i, wi, j, wj, k, n)
    if wm != 0.0:
        gm, g0, g1, g2 = _nodes(table, im + 1, i, wi, j, wj, k, n)
        fm = (1.0 - wm) * fm + wm * gm
        f0 = (1.0 - wm) * f0 + wm * g0
        f1 = (1.0 - wm) * f1 + wm * g1
        f2 = (1.0 - wm) * f2 + wm * g2
    value = _hermite_value(t, fm, f0, f1, f2)
    if z_in != z:  # beyond the axis: sigma_edge * sqrt(z / edge)
        return value * math.sqrt(z / z_in)
    return value
