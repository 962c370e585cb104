"""The daily state solve of the Q fit as a numba kernel: for each day, the state (v, m) >= 0
that minimises the squared pricing errors of that day's curve (docs/calibration.md §2).

Arrays in, arrays out. Observations are sorted by day; day ``d`` owns rows
``first[d]:first[d + 1]``. Row i is a log-contract index when ``tau_index[i] < 0`` (value
``100 sqrt(a_i + b_i v + c_i m)``) and otherwise a future at maturity ``tau_index[i]``
(value ``sum_j weight_j (1 - exp(alpha_kj + beta_kj v + gamma_kj m))``; see
:class:`simulator.pricing.affine2.FutureCurve`). With one factor m stays at its given value.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit, prange


@njit(cache=True)
def _day_system(lo, hi, v, m, a, b, c, tau_index, alpha, beta, gamma, weight, value):
    """Cost, gradient J^T r and J^T J of one day's residuals at (v, m)."""
    cost = 0.0
    gv_r = 0.0
    gm_r = 0.0
    jvv = 0.0
    jvm = 0.0
    jmm = 0.0
    for i in range(lo, hi):
        k = tau_index[i]
        if k < 0:
            x = a[i] + b[i] * v + c[i] * m
            root = math.sqrt(x)
            f = 100.0 * root
            dv = 50.0 * b[i] / root
            dm = 50.0 * c[i] / root
        else:
            f = 0.0
            dv = 0.0
            dm = 0.0
            for j in range(weight.size):
                e = math.exp(alpha[k, j] + beta[k, j] * v + gamma[k, j] * m)
                f += weight[j] * (1.0 - e)
                dv -= weight[j] * e * beta[k, j]
                dm -= weight[j] * e * gamma[k, j]
        r = f - value[i]
        cost += r * r
        gv_r += dv * r
        gm_r += dm * r
        jvv += dv * dv
        jvm += dv * dm
        jmm += dm * dm
    return cost, gv_r, gm_r, jvv, jvm, jmm


@njit(cache=True)
def _day_cost(lo, hi, v, m, a, b, c, tau_index, alpha, beta, gamma, weight, value):
    cost = 0.0
    for i in range(lo, hi):
        k = tau_index[i]
        if k < 0:
            f = 100.0 * math.sqrt(a[i] + b[i] * v + c[i] * m)
        else:
            f = 0.0
            for j in range(weight.size):
                f += weight[j] * (1.0 - math.exp(alpha[k, j] + beta[k, j] * v + gamma[k, j] * m))
        r = f - value[i]
        cost += r * r
    return cost


@njit(cache=True, parallel=True)
def fit_day_states(first, a, b, c, tau_index, alpha, beta, gamma, weight, value, two_factor,
                   tolerance, max_iterations, v, m):
    """Update ``v`` and ``m`` (per day, the starting states) in place to each day's
    least-squares state by projected Gauss-Newton with step halving."""
    n_days = first.size - 1
    for d in prange(n_days):
        lo = first[d]
        hi = first[d + 1]
        vd = v[d]
        md = m[d]
        for _ in range(max_iterations):
            cost, gv, gm, jvv, jvm, jmm = _day_system(lo, hi, vd, md, a, b, c, tau_index,
                                                      alpha, beta, gamma, weight, value)
            ridge = 1e-12 * (jvv + jmm) + 1e-300
            if two_factor:
                det = (jvv + ridge) * (jmm + ridge) - jvm * jvm
                sv = -((jmm + ridge) * gv - jvm * gm) / det
                sm = -(-jvm * gv + (jvv + ridge) * gm) / det
                if vd <= 0.0 and sv < 0.0:  # on the edge v = 0: move along it
                    sv = 0.0
                    sm = -gm / (jmm + ridge)
                if md <= 0.0 and sm < 0.0:
                    sm = 0.0
                    sv = -gv / (jvv + ridge) if not (vd <= 0.0 and gv > 0.0) else 0.0
            else:
                sv = -gv / (jvv + ridge)
                sm = 0.0
            step = 1.0
            v_new = vd
            m_new = md
            for _ in range(30):
                v_new = max(vd + step * sv, 0.0)
                m_new = max(md + step * sm, 0.0)
                if _day_cost(lo, hi, v_new, m_new, a, b, c, tau_index, alpha, beta, gamma,
                             weight, value) <= cost:
                    break
                step *= 0.5
            moved = abs(v_new - vd) + abs(m_new - md)
            vd = v_new
            md = m_new
            if moved < tolerance:
                break
        v[d] = vd
        m[d] = md


def day_bounds(day: np.ndarray, n_days: int) -> np.ndarray:
    """``first`` of :func:`fit_day_states` for observations sorted by ``day``."""
    return np.searchsorted(day, np.arange(n_days + 1)).astype(np.int64)
