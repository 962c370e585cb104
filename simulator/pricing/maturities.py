"""Maturity constants by whole trading day, tabulated once per set of tables.

Every maturity the day loop prices at is a whole number of trading days (a condor's or a VIX
call's days left), so everything a price needs that depends on the maturity alone (``tau``,
its square root, the discount ``e^{-r tau}``, the forward factor ``e^{(r-q) tau}`` and its
log, the cell of the days axis and the terms of the moneyness scales that do not involve the
state) is one row of a table indexed by the day (docs/performance.md §1). A lookup reads the
row instead of calling ``exp``, ``expm1`` and ``sqrt`` again on every path-day.

The rows hold *the same numbers* as the formulas, bit for bit: :func:`maturity_constants`
evaluates every constant with the expressions (and the order of operations) of
:mod:`simulator.pricing.interp`, :mod:`simulator.pricing.interp2f` and
:mod:`simulator.model.moments`, and :func:`spx_scale_in_row` and :func:`vix_scale_in_row`
finish the scales with the remaining, state-dependent operations in their original order.
tests/test_maturities.py holds the table to the formulas with ``==`` on every day.

Columns of a row (``MC_*``); the scale terms differ with the model's family (``S1..S3``,
``X1..X3``):

==========  =======================================  =====================================
column      one factor (interp.spx_scale,            two factors (interp2f.spx_scale_2f,
            interp.vix_scale)                        interp2f.vix_scale_2f)
==========  =======================================  =====================================
S1          theta* tau                               A0(tau)  (mean_variance_coefficients)
S2          -expm1(-kappa tau)                       B0(tau)
S3          lam tau E[Z^2]                           C0(tau)
X1          e = exp(-kappa tau)                      e = exp(-kappa~ tau)
X2          (sigma_v^2 theta* + 2 lam mu_v^2)        1 - e^2
            (1 - e^2) / (2 kappa)
X3          e - e^2                                  e - e^2
==========  =======================================  =====================================
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from simulator.common.conventions import TRADING_DAYS_PER_YEAR
from simulator.pricing.interp import (
    G_DAILY_UNTIL,
    G_N_DAYS,
    G_SQRTD_STEP,
    MIN_SCALE,
    QP_DIV,
    QP_EZ2,
    QP_KAPPA,
    QP_LAM,
    QP_MU_V,
    QP_R,
    QP_SIGMA_V,
    QP_THETA_STAR,
    QP_VIX_A,
    QP_VIX_B,
    locate_days,
)
from simulator.pricing.interp2f import (
    Q2_EZ2,
    Q2_KAPPA,
    Q2_KAPPA_TILDE,
    Q2_LAM0,
    Q2_LAM1,
    Q2_MU_V,
    Q2_SIGMA_V,
    Q2_VIX_A,
    Q2_VIX_B,
    Q2_VIX_C,
    mean_variance_coefficients,
)

MATURITY_FIELDS = ("TAU", "SQRT_TAU", "DISCOUNT", "GROWTH", "DAYS_CELL", "DAYS_WEIGHT", "S1",
                   "S2", "S3", "X1", "X2", "X3", "LOG_GROWTH")
(MC_TAU, MC_SQRT_TAU, MC_DISCOUNT, MC_GROWTH, MC_DAYS_CELL, MC_DAYS_WEIGHT, MC_S1, MC_S2, MC_S3,
 MC_X1, MC_X2, MC_X3, MC_LOG_GROWTH) = range(len(MATURITY_FIELDS))
N_MC = len(MATURITY_FIELDS)


@njit(cache=True)
def maturity_constants(days, qp, qp2, grid, two_factor):
    """The constants of a maturity of ``days`` (> 0) trading days, in ``MC_*`` order, each by
    the formula the lookups used before the table (the same expressions in the same order)."""
    tau = days / TRADING_DAYS_PER_YEAR
    sqrt_tau = math.sqrt(tau)
    discount = math.exp(-qp[QP_R] * tau)
    log_growth = (qp[QP_R] - qp[QP_DIV]) * tau  # ln F - ln S (a held condor's marks)
    growth = math.exp(log_growth)
    j, wj = locate_days(days, grid)
    if two_factor:
        s1, s2, s3 = mean_variance_coefficients(tau, qp2)
        e = math.exp(-qp2[Q2_KAPPA_TILDE] * tau)  # moments.cir_jump_mean / _variance at kappa~
        x2 = 1.0 - e * e
    else:
        kappa, theta_star = qp[QP_KAPPA], qp[QP_THETA_STAR]
        s1 = theta_star * tau  # moments.cir_jump_integral
        s2 = -math.expm1(-kappa * tau)
        s3 = qp[QP_LAM] * tau * qp[QP_EZ2]
        e = math.exp(-kappa * tau)  # moments.cir_jump_mean / cir_jump_variance
        stationary_source = qp[QP_SIGMA_V]**2 * theta_star + 2.0 * qp[QP_LAM] * qp[QP_MU_V]**2
        x2 = stationary_source * (1.0 - e * e) / (2.0 * kappa)
    return (tau, sqrt_tau, discount, growth, float(j), wj, s1, s2, s3, e, x2, e - e * e,
            log_growth)


def last_table_day(grid: np.ndarray) -> int:
    """The last whole day the tables' days axis reaches (its last node, rounded up)."""
    d1 = float(grid[G_DAILY_UNTIL])
    last = (math.sqrt(d1) + (int(grid[G_N_DAYS]) - d1) * float(grid[G_SQRTD_STEP])) ** 2
    return math.ceil(last - 1e-9)


@njit(cache=True)
def _fill(table, qp, qp2, grid, two_factor):
    table[0] = np.nan  # no maturity of 0 days is priced from the table (payoffs instead)
    for n in range(1, table.shape[0]):
        row = maturity_constants(float(n), qp, qp2, grid, two_factor)
        for c in range(N_MC):
            table[n, c] = row[c]


def maturity_table(qp: np.ndarray, qp2: np.ndarray, grid: np.ndarray,
                   m_nodes: np.ndarray) -> np.ndarray:
    """(days + 1, N_MC): row n holds the constants of n trading days, for n = 1 up to the end
    of the tables' days axis (past it a lookup computes them from the formulas)."""
    table = np.empty((last_table_day(grid) + 1, N_MC))
    _fill(table, qp, qp2, grid, m_nodes.size > 1)
    return table


@njit(cache=True, inline="always")
def table_day(days, mat):
    """The row of ``days`` in ``mat``, or -1 where it has none (a fractional or far
    maturity: its constants come from :func:`maturity_constants`, the same numbers)."""
    n = int(days)
    if n == days and 1 <= n < mat.shape[0]:
        return n
    return -1


@njit(cache=True, inline="always")
def table_row(mat, n):
    """Row ``n`` of ``mat`` as a tuple in ``MC_*`` order. Scalars, not a view of the row: a
    view would reference-count ``mat``, which every thread shares."""
    return (mat[n, MC_TAU], mat[n, MC_SQRT_TAU], mat[n, MC_DISCOUNT], mat[n, MC_GROWTH],
            mat[n, MC_DAYS_CELL], mat[n, MC_DAYS_WEIGHT], mat[n, MC_S1], mat[n, MC_S2],
            mat[n, MC_S3], mat[n, MC_X1], mat[n, MC_X2], mat[n, MC_X3], mat[n, MC_LOG_GROWTH])


@njit(cache=True, inline="always")
def maturity_row(days, mat, qp, qp2, grid, m_nodes):
    """The constants of ``days`` (> 0) as a tuple in ``MC_*`` order: the table's row, else the
    formulas. Hot lookups branch on :func:`table_day` instead and run their body on either
    tuple: a tuple that is one of two (a phi of twelve values) cost a condor 15 % (measured)."""
    n = table_day(days, mat)
    if n > 0:
        return table_row(mat, n)
    return maturity_constants(days, qp, qp2, grid, m_nodes.size > 1)


@njit(cache=True, inline="always")
def spx_scale_in_row(v, m, row, qp, qp2, m_nodes):
    """interp.spx_scale / interp2f.spx_scale_2f from a row's maturity terms: the same result
    (same operations in the same order on the same numbers)."""
    tau = row[MC_TAU]
    if m_nodes.size > 1:
        mean_v = max(row[MC_S1] + row[MC_S2] * max(v, 0.0) + row[MC_S3] * max(m, 0.0), 0.0)
        w = tau * (mean_v + (qp2[Q2_LAM0] + qp2[Q2_LAM1] * mean_v) * qp2[Q2_EZ2])
        return max(math.sqrt(max(w, 0.0)), MIN_SCALE)
    integrated = (row[MC_S1]
                  + (max(v, 0.0) - qp[QP_THETA_STAR]) * row[MC_S2] / qp[QP_KAPPA])
    w = integrated + row[MC_S3]
    return max(math.sqrt(max(w, 0.0)), MIN_SCALE)


@njit(cache=True, inline="always")
def vix_scale_in_row(v, m, row, qp, qp2, m_nodes):
    """interp.vix_scale / interp2f.vix_scale_2f from a row's maturity terms (the same result)."""
    v = max(v, 0.0)
    e = row[MC_X1]
    if m_nodes.size > 1:
        m = max(m, 0.0)
        kt = qp2[Q2_KAPPA_TILDE]
        target = (qp2[Q2_KAPPA] * m + qp2[Q2_LAM0] * qp2[Q2_MU_V]) / kt
        lam = qp2[Q2_LAM0] + qp2[Q2_LAM1] * max(v, target)
        mean = target + (v - target) * e
        sigma_v, mu_v = qp2[Q2_SIGMA_V], qp2[Q2_MU_V]
        stationary_source = sigma_v**2 * target + 2.0 * lam * mu_v**2
        var = (stationary_source * row[MC_X2] / (2.0 * kt)
               + sigma_v**2 * (v - target) * row[MC_X3] / kt)
        vix2 = qp2[Q2_VIX_A] + qp2[Q2_VIX_B] * mean + qp2[Q2_VIX_C] * m
        return max(0.5 * qp2[Q2_VIX_B] * math.sqrt(max(var, 0.0)) / vix2, MIN_SCALE)
    theta_star = qp[QP_THETA_STAR]
    mean = theta_star + (v - theta_star) * e
    var = row[MC_X2] + qp[QP_SIGMA_V]**2 * (v - theta_star) * row[MC_X3] / qp[QP_KAPPA]
    vix2 = qp[QP_VIX_A] + qp[QP_VIX_B] * mean
    return max(0.5 * qp[QP_VIX_B] * math.sqrt(max(var, 0.0)) / vix2, MIN_SCALE)
