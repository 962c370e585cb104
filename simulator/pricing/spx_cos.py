"""European SPX options under SVCJ (Q): characteristic function of ln S_T and the COS method.

Characteristic function of the log return ``X = ln(S_T / S_t)`` (docs/model.md §3.1; Heston part in
the "little Heston trap" form of Albrecher et al. 2007, jump part from Duffie–Pan–Singleton 2000
§4.1)::

    phi(u) = exp( i u (r - q - lam mbar) tau + C_H(u, tau) + D_H(u, tau) v + lam J(u, tau) )
    d   = sqrt((rho sigma i u - kappa)^2 + sigma^2 (i u + u^2))
    g   = (kappa - rho sigma i u - d) / (kappa - rho sigma i u + d)
    D_H = (kappa - rho sigma i u - d) / sigma^2 * (1 - e^{-d tau}) / (1 - g e^{-d tau})
    C_H = kappa theta / sigma^2 * [(kappa - rho sigma i u - d) tau
                                   - 2 ln((1 - g e^{-d tau}) / (1 - g))]
    J   = int_0^tau ( exp(i u mu_x - u^2 sigma_x^2 / 2)
                      / (1 - mu_v (i u rho_j + D_H(u, s))) - 1 ) ds

``J`` is integrated by Gauss–Legendre in ``s``: the integrand is smooth, and this avoids the 0/0
points of DPS's closed form (u = 0, u = -i). With mu_v = 0 it reduces to Bates,
``lam tau (exp(i u mu_x - u^2 sigma_x^2/2) - 1)``; with lam = 0 to Heston.

COS (Fang & Oosterlee 2008, SIAM J. Sci. Comput. 31(2), eqs. (19)–(23); docs/model.md §3.2): puts by
COS, calls by put–call parity, all strikes of one (v, tau) from one set of CF values.
"""

from __future__ import annotations

import math

import numpy as np

from simulator.model.params import MeasureParams

COS_TERMS = 512
COS_TRUNCATION_L = 12.0
_GL_NODES, _GL_WEIGHTS = np.polynomial.legendre.leggauss(48)


def _heston_parts(u: np.ndarray, q: MeasureParams, tau: float) -> tuple[np.ndarray, np.ndarray]:
    """(C_H, D_H) of the little-trap form for real ``u`` (vectorised)."""
    kappa, theta, sigma, rho = q.kappa, q.theta, q.sigma_v, q.rho
    iu = 1j * u
    beta = kappa - rho * sigma * iu
    d = np.sqrt(beta * beta + sigma**2 * (iu + u * u))
    g = (beta - d) / (beta + d)
    e = np.exp(-d * tau)
    d_h = (beta - d) / sigma**2 * (1 - e) / (1 - g * e)
    c_h = kappa * theta / sigma**2 * ((beta - d) * tau - 2 * np.log((1 - g * e) / (1 - g)))
    if q.phi != 0.0:  # the variance shift (Heston++): an independent Brownian part
        c_h = c_h - 0.5 * q.phi * tau * (iu + u * u)
    return c_h, d_h


def _jump_part(u: np.ndarray, q: MeasureParams, tau: float) -> np.ndarray:
    """lam * J(u, tau) by 48-point Gauss–Legendre over s in [0, tau]."""
    if q.lam == 0.0:
        return np.zeros(u.shape, dtype=complex)
    price_jump = np.exp(1j * u * q.mu_x - 0.5 * u * u * q.sigma_x**2)
    if q.mu_v == 0.0:
        return q.lam * tau * (price_jump - 1)
    s = 0.5 * tau * (_GL_NODES + 1.0)
    _, d_s = _heston_parts(u[None, :], q, s[:, None])  # (nodes, u)
    integrand = price_jump / (1 - q.mu_v * (1j * u * q.rho_j + d_s)) - 1
    return q.lam * 0.5 * tau * (_GL_WEIGHTS @ integrand)


def log_return_cf(u, q: MeasureParams, r: float, div: float, tau: float, v) -> np.ndarray:
    """phi(u) = E_Q[exp(i u ln(S_T/S_t)) | v_t = v]; shape broadcast(v)[..., None] x u.

    ``u`` may be complex (e.g. u - i for the share-measure probability of Gil-Pelaez).
    """
    u = np.atleast_1d(np.asarray(u))
    if not np.iscomplexobj(u):
        u = u.astype(float)
    c_h, d_h = _heston_parts(u, q, tau)
    jumps = _jump_part(u, q, tau)
    drift = 1j * u * (r - div - q.lam * q.mbar) * tau
    v = np.asarray(v, dtype=float)[..., None]
    return np.exp(drift + c_h + jumps + d_h * v)


def _log_cf_exponent(u, q: MeasureParams, r, div, tau, v):
    c_h, d_h = _heston_parts(u, q, tau)
    return 1j * u * (r - div - q.lam * q.mbar) * tau + c_h + _jump_part(u, q, tau), d_h


def log_return_cumulants(q: MeasureParams, r: float, div: float, tau: float, v):
    """(c1, c2, c4) of ln(S_T/S_t), from central differences of the log CF at u = 0.

    c_n = (-i)^n d^n/du^n log phi(u) at 0; the exponent of phi is used directly (no branch of
    log). Accurate to a few digits, which is all the COS range (FO 2008 eq. (49)) needs.
    """
    h = 0.02
    u = np.array([-2 * h, -h, h, 2 * h])
    base, d_h = _log_cf_exponent(u, q, r, div, tau, 0.0)
    v = np.asarray(v, dtype=float)[..., None]
    f = base + d_h * v  # log phi at the four points; log phi(0) = 0
    fm2, fm1, fp1, fp2 = (f[..., i] for i in range(4))
    d1 = (fm2 - 8 * fm1 + 8 * fp1 - fp2) / (12 * h)
    d2 = (-fm2 + 16 * fm1 + 16 * fp1 - fp2) / (12 * h * h)  # minus 30 f(0) = 0
    d4 = (fm2 - 4 * fm1 - 4 * fp1 + fp2) / h**4  # plus 6 f(0) = 0
    return np.real(-1j * d1), np.real(-d2), np.abs(np.real(d4))


def _truncation(q: MeasureParams, r, div, tau, v, width_l):
    c1, c2, c4 = log_return_cumulants(q, r, div, tau, v)
    half = width_l * np.sqrt(np.maximum(c2, 1e-12) + np.sqrt(c4))
    return c1 - half, c1 + half


def _put_coefficients(a, width, n_terms):
    """V_k of the put payoff K (1 - e^y)^+ on [a, 0] (FO 2008 eq. (29)), primed-sum halved."""
    k = np.arange(n_terms)
    w = k * math.pi / width
    # chi_k(a, 0): cos(w (0 - a)) e^0 - cos(0) e^a + w sin(w (0 - a)) e^0 - w sin(0) e^a
    chi = (np.cos(-w * a) - math.exp(a) + w * np.sin(-w * a)) / (1 + w * w)
    psi = np.empty(n_terms)
    psi[0] = -a
    psi[1:] = np.sin(-w[1:] * a) / w[1:]
    v_k = 2 / width * (-chi + psi)
    v_k[0] *= 0.5
    return w, v_k


def put_prices_from_cf(phi, a, width, log_moneyness, tau, r):
    """Puts per unit strike from CF values ``phi`` at frequencies k pi / width on [a, a + width].

    ``log_moneyness`` = ln(S/K) per strike. Returns ``e^{-r tau} E[(1 - S_T/K)^+]``.
    """
    w, v_k = _put_coefficients(a, width, phi.shape[-1])
    phase = np.exp(1j * np.outer(log_moneyness - a, w))  # (K, N)
    return math.exp(-r * tau) * (np.real(phi[None, :] * phase) @ v_k)


def cos_put_prices(spot, strikes, v, tau: float, q: MeasureParams, r: float, div: float,
                   n_terms: int = COS_TERMS, width_l: float = COS_TRUNCATION_L) -> np.ndarray:
    """European put prices (index points) for one maturity ``tau`` (years).

    ``spot`` and ``v`` are scalars or arrays of equal shape; ``strikes`` is 1-D. The result has
    shape broadcast(spot, v) + strikes.shape.
    """
    spot, v = np.broadcast_arrays(np.asarray(spot, dtype=float), np.asarray(v, dtype=float))
    strikes = np.atleast_1d(np.asarray(strikes, dtype=float))
    lo, hi = _truncation(q, r, div, tau, v, width_l)
    out = np.empty((*spot.shape, strikes.size))
    for idx in np.ndindex(spot.shape):
        width = float(hi[idx] - lo[idx])
        u = np.arange(n_terms) * math.pi / width
        phi = log_return_cf(u, q, r, div, tau, v[idx])
        out[idx] = strikes * put_prices_from_cf(phi, float(lo[idx]), width,
                                                np.log(spot[idx] / strikes), tau, r)
    intrinsic = np.maximum(strikes * math.exp(-r * tau) - spot[..., None] * math.exp(-div * tau), 0)
    return np.maximum(out, intrinsic)  # no-arbitrage floor against truncation noise


def cos_put_grid(log_moneyness, v, tau, q: MeasureParams, n_terms: int = COS_TERMS,
                 width_l: float = COS_TRUNCATION_L, ladder: float = 1.25) -> np.ndarray:
    """Undiscounted puts per unit strike, r = q = 0, for many ``v`` (1-D) at one maturity.

    ``log_moneyness`` is (len(v), K): ln(S/K) per v and strike. For the table build: each COS
    range is widened to the next width of a geometric ladder, so every v of one width shares
    one evaluation of the costly part of the CF (Heston coefficients and jump integral).
    """
    v = np.asarray(v, dtype=float)
    lo, hi = _truncation(q, 0.0, 0.0, tau, v, width_l)
    need = hi - lo
    base_width = need.min()
    steps = np.ceil(np.log(need / base_width) / math.log(ladder) - 1e-12)
    widths = base_width * ladder**steps
    out = np.empty(log_moneyness.shape)
    for width in np.unique(widths):
        rows = np.nonzero(widths == width)[0]
        u = np.arange(n_terms) * math.pi / width
        exponent, d_h = _log_cf_exponent(u, q, 0.0, 0.0, tau, 0.0)
        for i in rows:
            a = 0.5 * (lo[i] + hi[i]) - 0.5 * width  # same centre, wider range
            phi = np.exp(exponent + d_h * v[i])
            put = put_prices_from_cf(phi, a, width, log_moneyness[i], tau, 0.0)
            intrinsic = np.maximum(1 - np.exp(log_moneyness[i]), 0.0)
            out[i] = np.maximum(put, intrinsic)
    return out


def cos_call_prices(spot, strikes, v, tau, q, r, div, **kw) -> np.ndarray:
    """Calls by put–call parity: C = P + S e^{-q tau} - K e^{-r tau}."""
    put = cos_put_prices(spot, strikes, v, tau, q, r, div, **kw)
    spot = np.asarray(spot, dtype=float)[..., None]
    return put + spot * math.exp(-div * tau) - np.asarray(strikes) * math.exp(-r * tau)
