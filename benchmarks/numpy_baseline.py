"""Baseline for the path benchmark: the same SVCJ/QE scheme, plain numpy, vectorised over paths.

Same model, same step (Andersen QE + martingale correction + end-of-step SVCJ jumps), full daily
paths kept, numpy's default generator for the draws. It is what one would write without numba;
tests/test_benchmark_baseline.py checks it is a correct implementation (Q martingale, moments),
so the speed ratio compares like with like.
"""

from __future__ import annotations

import math

import numpy as np

from simulator.common.conventions import TRADING_DAYS_PER_YEAR
from simulator.model.params import Model
from simulator.model.paths import PSI_CRITICAL


def simulate_numpy(model: Model, n_paths: int, n_days: int, seed: int, measure: str = "P"):
    """(spx, v) arrays of shape (n_paths, n_days + 1)."""
    m = model.measure(measure)
    rng = np.random.default_rng(seed)
    dt = 1.0 / TRADING_DAYS_PER_YEAR
    kappa, theta, sigma, rho = m.kappa, m.theta, m.sigma_v, m.rho
    e = math.exp(-kappa * dt)
    s2_v = sigma**2 * e * (1 - e) / kappa
    s2_c = theta * sigma**2 * (1 - e) ** 2 / (2 * kappa)
    half = 0.5 * dt * (kappa * rho / sigma - 0.5)
    k1, k2 = half - rho / sigma, half + rho / sigma
    k3 = k4 = 0.5 * dt * (1 - rho**2)
    big_a = k2 + 0.5 * k4
    drift = (model.r - model.q + m.equity_premium - m.lam * m.mbar) * dt

    x = np.empty((n_paths, n_days + 1))
    v = np.empty((n_paths, n_days + 1))
    x[:, 0] = math.log(model.spx0)
    v[:, 0] = model.v0
    for d in range(n_days):
        vt = v[:, d]
        mean = theta + (vt - theta) * e
        s2 = vt * s2_v + s2_c
        psi = s2 / mean**2
        z_v = rng.standard_normal(n_paths)
        u_v = rng.random(n_paths)
        z_x = rng.standard_normal(n_paths)
        quad = psi <= PSI_CRITICAL
        # quadratic branch
        inv = 2.0 / np.where(quad, psi, 1.0)
        b2 = inv - 1 + np.sqrt(inv) * np.sqrt(inv - 1)
        a = mean / (1 + b2)
        v_quad = a * (np.sqrt(b2) + z_v) ** 2
        k0_quad = -(big_a * b2 * a / (1 - 2 * big_a * a) - 0.5 * np.log(1 - 2 * big_a * a))
        # exponential branch
        p = (psi - 1) / (psi + 1)
        beta = (1 - p) / mean
        v_exp = np.where(u_v <= p, 0.0,
                         np.log((1 - p) / (1 - np.minimum(u_v, 1 - 1e-16))) / beta)
        k0_exp = -np.log(p + beta * (1 - p) / (beta - big_a))
        v_next = np.where(quad, v_quad, v_exp)
        k0 = np.where(quad, k0_quad, k0_exp) - (k1 + 0.5 * k3) * vt
        dx = drift + k0 + k1 * vt + k2 * v_next + np.sqrt(k3 * vt + k4 * v_next) * z_x
        if m.lam > 0:
            n_jumps = rng.poisson(m.lam * dt, n_paths)
            total = int(n_jumps.sum())
            if total:
                owner = np.repeat(np.arange(n_paths), n_jumps)
                jump_v = rng.exponential(m.mu_v, total) if m.mu_v > 0 else np.zeros(total)
                jump_x = m.mu_x + m.rho_j * jump_v + m.sigma_x * rng.standard_normal(total)
                v_next = v_next + np.bincount(owner, jump_v, n_paths)
                dx = dx + np.bincount(owner, jump_x, n_paths)
        x[:, d + 1] = x[:, d] + dx
        v[:, d + 1] = v_next
    return np.exp(x), v
