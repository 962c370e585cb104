"""Prices under the two-factor model (Q): the joint transform of (ln S_T, v_T, m_T) by its
Riccati equations, VIX futures and options from the law of ``VIX_T^2``, SPX options by COS.

Dynamics (Q; docs/two_factor.md)::

    dx = (r - q - v/2 - lam(v) mbar) dt + sqrt(v) dW_x + Z_x dN,   lam(v) = lam + lam1 v
    dv = kappa (m - v) dt + sigma_v sqrt(v) dW_v + Z_v dN,          corr(W_x, W_v) = rho
    dm = kappa_m (theta - m) dt + sigma_m sqrt(m) dW_m,             W_m independent

(with a variance shift ``phi``, Heston++, the log price has ``v + phi`` in place of ``v``, the
extra part an independent Brownian motion: ``alpha'`` gains ``phi (a^2 - a)/2``)

(W_m is independent of W_x and W_v: a correlation would bring a sqrt(v m) term and break the
affine structure.) For ``f = exp(alpha + a x + beta v + gamma m)`` the generator gives, in time
to maturity (Duffie, Pan & Singleton 2000, Econometrica 68(6), §2)::

    beta'  = (a^2 - a)/2 + (a rho sigma_v - kappa) beta + sigma_v^2 beta^2 / 2
             + lam1 (psi(a, beta) - 1 - a mbar)
    gamma' = kappa beta - kappa_m gamma + sigma_m^2 gamma^2 / 2
    alpha' = kappa_m theta gamma + lam (psi(a, beta) - 1 - a mbar)
    psi(a, b) = E[exp(a Z_x + b Z_v)] = exp(a mu_x + a^2 sigma_x^2 / 2) / (1 - mu_v (b + a rho_j))

from ``beta(0) = u_v``, ``gamma(0) = u_m``, ``alpha(0) = 0``; the transform is
``E[exp(a x_T + u_v v_T + u_m m_T)] = exp(a (x + (r - q) tau) + alpha + beta v + gamma m)``.
They are solved by classical RK4 with a step set by the stiffness of the current state
(``STEP_FACTOR / |d rhs / d state|``): the equations are stiff exactly where the arguments are
large (COS frequencies), and an explicit step beyond that scale diverges.

* **VIX futures**: ``100 E[sqrt(X)]``, ``X = VIX_T^2/100^2 = A + B v_T + C m_T``, by Schürger's
  identity ``sqrt(x) = (2 sqrt(pi))^-1 int_0^inf (1 - e^{-s x}) s^{-3/2} ds`` (transform at real
  negative arguments only), as :mod:`simulator.pricing.vix_direct` does for one factor.
* **VIX options**: COS density recovery of X (Fang & Oosterlee 2008, eq. (11)) from its
  characteristic function, the payoff integrated on a fine grid; puts by parity with the
  Schürger future.
* **SPX options**: the characteristic function of ``ln(S_T/S_t)`` into the COS put formula of
  :mod:`simulator.pricing.spx_cos`; calls by parity.
"""

from __future__ import annotations

import math

import numpy as np

from simulator.model.params import MeasureParams
from simulator.model.vix import vix_state_coefficients
from simulator.pricing.spx_cos import put_prices_from_cf
from simulator.pricing.vix_direct import cos_density

STEP_FACTOR = 0.1  # RK4 step x stiffness: local error ~ (0.1)^5 / 120 ~ 1e-7 per step
MAX_STEP_SHARE = 1 / 64  # and at most this share of the maturity per step (smooth parts)
MAX_STEPS = 200_000
X_COS_TERMS = 512
X_GRID_POINTS = 4096
X_TRUNCATION_L = 12.0
SPX_COS_TERMS = 256
SPX_TRUNCATION_L = 12.0
_SCHURGER_NODES, _SCHURGER_WEIGHTS = np.polynomial.legendre.leggauss(160)
_SCHURGER_Y = 0.5 * (_SCHURGER_NODES + 1.0)
_SCHURGER_W = 0.5 * _SCHURGER_WEIGHTS


def _jump_mgf(q: MeasureParams, a, b):
    """psi(a, b) = E[exp(a Z_x + b Z_v)] and d psi / d b."""
    denom = 1.0 - q.mu_v * (b + a * q.rho_j)
    psi = np.exp(a * q.mu_x + 0.5 * a * a * q.sigma_x**2) / denom
    return psi, psi * q.mu_v / denom


def _riccati_system(q: MeasureParams, a):
    """The right-hand side of the Riccati equations and their stiffness, for arguments ``a``."""
    k, km, s2v, s2m = q.kappa, q.kappa_m, q.sigma_v**2, q.sigma_m**2
    drift_b = a * q.rho * q.sigma_v - k
    quad_a = 0.5 * (a * a - a)
    compensator = 1.0 + a * q.mbar
    shift = q.phi * quad_a  # the variance shift's deterministic term (Heston++)

    def rhs(b, g):
        psi, _ = _jump_mgf(q, a, b)
        jump = psi - compensator
        alpha_rate = km * q.theta * g + q.lam * jump
        if q.phi != 0.0:
            alpha_rate = alpha_rate + shift
        return (quad_a + drift_b * b + 0.5 * s2v * b * b + q.lam1 * jump,
                k * b - km * g + 0.5 * s2m * g * g,
                alpha_rate)

    def stiffness(b, g):
        _, dpsi = _jump_mgf(q, a, b)
        jb = np.abs(drift_b + s2v * b + q.lam1 * dpsi)
        jg = np.abs(s2m * g - km)
        return float(max(np.max(jb, initial=0.0), np.max(jg, initial=0.0), k))

    return rhs, stiffness


def _rk4_step(rhs, h, alpha, beta, gamma):
    b1, g1, a1 = rhs(beta, gamma)
    b2, g2, a2 = rhs(beta + 0.5 * h * b1, gamma + 0.5 * h * g1)
    b3, g3, a3 = rhs(beta + 0.5 * h * b2, gamma + 0.5 * h * g2)
    b4, g4, a4 = rhs(beta + h * b3, gamma + h * g3)
    return (alpha + h / 6 * (a1 + 2 * a2 + 2 * a3 + a4),
            beta + h / 6 * (b1 + 2 * b2 + 2 * b3 + b4),
            gamma + h / 6 * (g1 + 2 * g2 + 2 * g3 + g4))


def riccati(q: MeasureParams, tau: float, a=0.0, u_v=0.0, u_m=0.0):
    """(alpha, beta, gamma) at time to maturity ``tau`` (years) for arguments ``a`` (on the log
    price), ``u_v`` and ``u_m`` (complex arrays, broadcast together). ``alpha`` excludes the
    ``a (r - q) tau`` of the drift."""
    a, beta, gamma = np.broadcast_arrays(*(np.asarray(x, dtype=complex) for x in (a, u_v, u_m)))
    beta, gamma = beta.copy(), gamma.copy()
    alpha = np.zeros_like(beta)
    rhs, stiffness = _riccati_system(q, a)
    t, steps = 0.0, 0
    h_max = tau * MAX_STEP_SHARE
    while t < tau * (1 - 1e-12):
        h = min(h_max, STEP_FACTOR / stiffness(beta, gamma), tau - t)
        alpha, beta, gamma = _rk4_step(rhs, h, alpha, beta, gamma)
        t += h
        steps += 1
        if steps > MAX_STEPS:
            raise RuntimeError(f"Riccati equations too stiff at tau {tau}: {steps} steps")
    return alpha, beta, gamma


def riccati_at(q: MeasureParams, taus, a=0.0, u_v=0.0, u_m=0.0):
    """(alpha, beta, gamma) at every maturity of ``taus`` (years, increasing), each of shape
    (len(taus), *arguments), from one integration: the equations do not depend on calendar
    time, so the solution at a longer maturity continues the one at a shorter. The step is
    capped as in :func:`riccati` for the longest maturity and never steps over a maturity."""
    taus = np.asarray(taus, dtype=float)
    if taus.ndim != 1 or taus.size == 0 or np.any(np.diff(taus) <= 0) or taus[0] <= 0:
        raise ValueError("taus must be a non-empty increasing sequence of positive maturities")
    a, beta, gamma = np.broadcast_arrays(*(np.asarray(x, dtype=complex) for x in (a, u_v, u_m)))
    beta, gamma = beta.copy(), gamma.copy()
    alpha = np.zeros_like(beta)
    rhs, stiffness = _riccati_system(q, a)
    out = np.empty((3, taus.size, *beta.shape), dtype=complex)
    h_max = min(taus[-1] * MAX_STEP_SHARE, taus[0])
    t, steps = 0.0, 0
    for i, tau in enumerate(taus):
        while t < tau * (1 - 1e-12):
            h = min(h_max, STEP_FACTOR / stiffness(beta, gamma), tau - t)
            alpha, beta, gamma = _rk4_step(rhs, h, alpha, beta, gamma)
            t += h
            steps += 1
            if steps > MAX_STEPS:
                raise RuntimeError(f"Riccati equations too stiff at tau {tau}: {steps} steps")
        out[0, i], out[1, i], out[2, i] = alpha, beta, gamma
    return out[0], out[1], out[2]


def state_transform(q: MeasureParams, tau: float, v, m, u_v, u_m) -> np.ndarray:
    """E_Q[exp(u_v v_T + u_m m_T) | v, m]; shape broadcast(v, m)[..., None] x arguments."""
    alpha, beta, gamma = riccati(q, tau, 0.0, u_v, u_m)
    v = np.asarray(v, dtype=float)[..., None]
    m = np.asarray(m, dtype=float)[..., None]
    return np.exp(alpha + beta * v + gamma * m)


def vix_future(v, m, tau: float, q: MeasureParams) -> np.ndarray:
    """VIX future in index points, ``100 E_Q[sqrt(A + B v_T + C m_T)]``, expiry in ``tau``
    years; at tau = 0 spot VIX. Vectorised over ``v`` and ``m``."""
    a, b, c = vix_state_coefficients(q)
    v = np.maximum(np.asarray(v, dtype=float), 0.0)
    m = np.maximum(np.asarray(m, dtype=float), 0.0)
    if tau <= 0:
        return 100 * np.sqrt(a + b * v + c * m)
    t = _SCHURGER_Y / (1 - _SCHURGER_Y)
    s = t * t
    transform = state_transform(q, tau, v, m, -s * b, -s * c).real
    integrand = (1 - np.exp(-s * a) * transform) * 2 / (t * t) / (1 - _SCHURGER_Y) ** 2
    return 100 / (2 * math.sqrt(math.pi)) * (integrand @ _SCHURGER_W)


class FutureCurve:
    """VIX futures of one Q parameter set at a fixed set of maturities, for any states: the
    Schürger integrand's Riccati coefficients come from one pass (:func:`riccati_at`), so
    pricing a whole history of VX settlements costs one ODE solve plus one exponential per
    node and observation. ``nodes`` Gauss-Legendre nodes (160 as :func:`vix_future`)."""

    def __init__(self, q: MeasureParams, taus, nodes: int = len(_SCHURGER_Y)):
        self.taus = np.asarray(taus, dtype=float)
        y, w = np.polynomial.legendre.leggauss(nodes)
        y, w = 0.5 * (y + 1.0), 0.5 * w
        t = y / (1 - y)
        s = t * t
        self.a, b, c = vix_state_coefficients(q)
        alpha, beta, gamma = riccati_at(q, self.taus, 0.0, -s * b, -s * c)
        # F(v, m) = sum_j weight_j (1 - exp(alpha_kj + beta_kj v + gamma_kj m)) at maturity
        # k; the transform at real negative arguments is real up to rounding
        self.alpha = alpha.real - s * self.a
        self.beta, self.gamma = beta.real, gamma.real
        self.weight = (100 / (2 * math.sqrt(math.pi))) * w * 2 / (t * t) / (1 - y) ** 2

    def price(self, v, m, tau_index, gradient: bool = False):
        """Futures (index points) in states ``v``, ``m`` at maturities ``taus[tau_index]``
        (arrays broadcast together); with ``gradient``, also their derivatives in v and m."""
        v = np.maximum(np.asarray(v, dtype=float), 0.0)[..., None]
        m = np.maximum(np.asarray(m, dtype=float), 0.0)[..., None]
        k = np.asarray(tau_index)
        e = np.exp(self.alpha[k] + self.beta[k] * v + self.gamma[k] * m)
        price = (1.0 - e) @ self.weight
        if not gradient:
            return price
        we = e * self.weight
        return price, -np.sum(we * self.beta[k], axis=-1), -np.sum(we * self.gamma[k], axis=-1)


def _x_moments(q: MeasureParams, tau: float, v: float, m: float) -> tuple[float, float]:
    """Mean and variance of X = A + B v_T + C m_T from its log-transform at small real s."""
    a, b, c = vix_state_coefficients(q)
    h = 1e-3 / max(b, c, 1e-12)
    s = np.array([-2 * h, -h, h, 2 * h])
    log_f = np.log(state_transform(q, tau, v, m, s * b, s * c).real) + s * a
    fm2, fm1, fp1, fp2 = log_f
    mean = (fm2 - 8 * fm1 + 8 * fp1 - fp2) / (12 * h)
    var = (-fm2 + 16 * fm1 + 16 * fp1 - fp2) / (12 * h * h)
    return float(mean), float(max(var, 0.0))


def _x_density(q: MeasureParams, tau: float, v: float, m: float, n_terms: int = X_COS_TERMS,
               n_grid: int = X_GRID_POINTS):
    """Grid (midpoints), spacing and density of X = VIX_T^2/100^2 by COS density recovery."""
    a, b, c = vix_state_coefficients(q)
    mean, var = _x_moments(q, tau, v, m)
    sd = math.sqrt(var)
    lo = max(a, mean - X_TRUNCATION_L * sd)
    hi = mean + X_TRUNCATION_L * sd
    if q.mu_v > 0 and (q.lam > 0 or q.lam1 > 0):
        hi = max(hi, mean + 10 * b * q.mu_v)  # one late jump's tail, as in vix_direct
    width = hi - lo
    w = np.arange(n_terms) * math.pi / width
    f = state_transform(q, tau, v, m, 1j * w * b, 1j * w * c) * np.exp(1j * w * a)
    return cos_density(f, w, lo, width, n_grid)


def vix_option_prices(v: float, m: float, tau: float, strikes, q: MeasureParams, r: float,
                      kind: str = "call", future: float | None = None) -> np.ndarray:
    """VIX calls or puts (index points, discounted) for one state (v, m) and maturity ``tau``
    years: calls from the COS density of X, puts by parity with the Schürger future."""
    if kind not in ("call", "put"):
        raise ValueError(f"kind must be 'call' or 'put', got {kind!r}")
    strikes = np.atleast_1d(np.asarray(strikes, dtype=float))
    if tau <= 0:
        vix = float(vix_future(v, m, 0.0, q))
        return np.maximum(vix - strikes if kind == "call" else strikes - vix, 0.0)
    disc = math.exp(-r * tau)
    future = float(vix_future(v, m, tau, q)) if future is None else float(future)
    y, dy, density = _x_density(q, tau, v, m)
    vix_t = 100 * np.sqrt(y)
    calls = disc * (np.maximum(vix_t[None, :] - strikes[:, None], 0.0) @ density) * dy
    floor = 100 * math.sqrt(vix_state_coefficients(q)[0])
    calls = np.where(strikes <= floor, disc * (future - strikes), calls)
    calls = np.maximum(calls, disc * np.maximum(future - strikes, 0.0))
    return calls if kind == "call" else calls - disc * (future - strikes)


def log_return_cf(u, q: MeasureParams, r: float, div: float, tau: float, v, m) -> np.ndarray:
    """E_Q[exp(i u ln(S_T/S_t)) | v, m]; shape broadcast(v, m)[..., None] x u."""
    a = 1j * np.atleast_1d(np.asarray(u))
    alpha, beta, gamma = riccati(q, tau, a, 0.0, 0.0)
    v = np.asarray(v, dtype=float)[..., None]
    m = np.asarray(m, dtype=float)[..., None]
    return np.exp(a * (r - div) * tau + alpha + beta * v + gamma * m)


def _log_return_range(q, r, div, tau, v, m, width_l):
    """COS range of ln(S_T/S_t) from its first, second and fourth cumulants (FO 2008 eq. (49)),
    by central differences of the log CF at u = 0."""
    h = 0.02
    f = np.log(log_return_cf(np.array([-2 * h, -h, h, 2 * h]), q, r, div, tau, v, m))[..., :]
    fm2, fm1, fp1, fp2 = (f[..., i] for i in range(4))
    c1 = np.real(-1j * (fm2 - 8 * fm1 + 8 * fp1 - fp2) / (12 * h))
    c2 = np.real((fm2 - 16 * fm1 - 16 * fp1 + fp2) / (12 * h * h))
    c4 = np.abs(np.real((fm2 - 4 * fm1 - 4 * fp1 + fp2) / h**4))
    half = width_l * np.sqrt(np.maximum(c2, 1e-12) + np.sqrt(c4))
    return float(c1 - half), float(c1 + half)


def spx_put_prices(spot: float, strikes, v: float, m: float, tau: float, q: MeasureParams,
                   r: float, div: float, n_terms: int = SPX_COS_TERMS,
                   width_l: float = SPX_TRUNCATION_L) -> np.ndarray:
    """European SPX puts (index points) for one state and maturity by COS."""
    strikes = np.atleast_1d(np.asarray(strikes, dtype=float))
    lo, hi = _log_return_range(q, r, div, tau, v, m, width_l)
    width = hi - lo
    u = np.arange(n_terms) * math.pi / width
    phi = log_return_cf(u, q, r, div, tau, v, m)
    puts = strikes * put_prices_from_cf(phi, lo, width, np.log(spot / strikes), tau, r)
    intrinsic = np.maximum(strikes * math.exp(-r * tau) - spot * math.exp(-div * tau), 0.0)
    return np.maximum(puts, intrinsic)


def spx_call_prices(spot, strikes, v, m, tau, q, r, div, **kw) -> np.ndarray:
    """Calls by put–call parity: C = P + S e^{-q tau} - K e^{-r tau}."""
    puts = spx_put_prices(spot, strikes, v, m, tau, q, r, div, **kw)
    return puts + spot * math.exp(-div * tau) - np.asarray(strikes) * math.exp(-r * tau)


# ---- many states at one maturity (pricing-table builds) --------------------------------------
# The Riccati coefficients depend on the arguments and the maturity, never on the state: one
# solve per maturity and COS range serves every (v, m) whose range fits it. Ranges are rounded
# up to a geometric ladder of widths so that a handful of solves covers a whole table slice.

def _ladder(need: np.ndarray, ladder: float) -> np.ndarray:
    base = need.min()
    steps = np.ceil(np.log(need / base) / math.log(ladder) - 1e-12)
    return base * ladder**steps


def spx_put_grid(log_moneyness, v, m, tau: float, q: MeasureParams,
                 n_terms: int = SPX_COS_TERMS, width_l: float = SPX_TRUNCATION_L,
                 ladder: float = 1.5) -> np.ndarray:
    """Undiscounted puts per unit strike, r = q = 0, for states (v[i], m[i]) at one maturity;
    ``log_moneyness`` is (states, K): ln(S/K) per state and strike."""
    v = np.asarray(v, dtype=float)
    m = np.asarray(m, dtype=float)
    h = 0.02
    alpha, beta, gamma = riccati(q, tau, 1j * np.array([-2 * h, -h, h, 2 * h]))
    f = alpha[None, :] + beta[None, :] * v[:, None] + gamma[None, :] * m[:, None]
    fm2, fm1, fp1, fp2 = (f[:, i] for i in range(4))
    c1 = np.real(-1j * (fm2 - 8 * fm1 + 8 * fp1 - fp2) / (12 * h))
    c2 = np.real((fm2 - 16 * fm1 - 16 * fp1 + fp2) / (12 * h * h))
    c4 = np.abs(np.real((fm2 - 4 * fm1 - 4 * fp1 + fp2) / h**4))
    half = width_l * np.sqrt(np.maximum(c2, 1e-12) + np.sqrt(c4))
    widths = _ladder(2 * half, ladder)
    out = np.empty(np.shape(log_moneyness))
    for width in np.unique(widths):
        rows = np.flatnonzero(widths == width)
        u = np.arange(n_terms) * math.pi / width
        alpha, beta, gamma = riccati(q, tau, 1j * u)
        for i in rows:
            phi = np.exp(alpha + beta * v[i] + gamma * m[i])
            put = put_prices_from_cf(phi, c1[i] - 0.5 * width, width, log_moneyness[i], tau,
                                     0.0)
            out[i] = np.maximum(put, np.maximum(1 - np.exp(log_moneyness[i]), 0.0))
    return out


def vix_call_grid(v, m, tau: float, strikes, q: MeasureParams, r: float = 0.0,
                  n_terms: int = X_COS_TERMS, n_grid: int = X_GRID_POINTS,
                  ladder: float = 1.5) -> np.ndarray:
    """Discounted VIX calls for states (v[i], m[i]) at one maturity; ``strikes`` is
    (states, K). Each state's COS range is rounded up to the ladder (see above)."""
    v = np.asarray(v, dtype=float)
    m = np.asarray(m, dtype=float)
    a, b, c = vix_state_coefficients(q)
    h = 1e-3 / max(b, c, 1e-12)
    s = np.array([-2 * h, -h, h, 2 * h])
    alpha, beta, gamma = riccati(q, tau, 0.0, s * b, s * c)
    log_f = (s * a + alpha.real)[None, :] + beta.real[None, :] * v[:, None] \
        + gamma.real[None, :] * m[:, None]
    fm2, fm1, fp1, fp2 = (log_f[:, i] for i in range(4))
    mean = (fm2 - 8 * fm1 + 8 * fp1 - fp2) / (12 * h)
    sd = np.sqrt(np.maximum((-fm2 + 16 * fm1 + 16 * fp1 - fp2) / (12 * h * h), 0.0))
    lo = np.maximum(a, mean - X_TRUNCATION_L * sd)
    hi = mean + X_TRUNCATION_L * sd
    if q.mu_v > 0 and (q.lam > 0 or q.lam1 > 0):
        hi = np.maximum(hi, mean + 10 * b * q.mu_v)
    widths = _ladder(hi - lo, ladder)
    strikes = np.asarray(strikes, dtype=float)
    out = np.empty(strikes.shape)
    disc = math.exp(-r * tau)
    for width in np.unique(widths):
        rows = np.flatnonzero(widths == width)
        w = np.arange(n_terms) * math.pi / width
        alpha, beta, gamma = riccati(q, tau, 0.0, 1j * w * b, 1j * w * c)
        f = np.exp(1j * w * a + alpha + beta * v[rows, None] + gamma * m[rows, None])
        y, dy, density = cos_density(f, w, lo[rows], width, n_grid)
        for n, i in enumerate(rows):
            vix_t = 100 * np.sqrt(y[n])
            out[i] = disc * (np.maximum(vix_t[None, :] - strikes[i][:, None], 0.0)
                             @ density[n]) * dy
    return out
