"""Black-76 on a forward: price, delta, vega and implied total volatility (numba kernels).

SPX options are priced as Black on the SPX forward ``F = S e^{(r-q) tau}``, VIX options as Black
on the VIX future of their own expiry; both with discount factor ``e^{-r tau}``. Volatility enters
as the *total* standard deviation ``s = sigma sqrt(tau)``, so tau never needs to be > 0 here.
"""

from __future__ import annotations

import math

from numba import njit

_SQRT2 = math.sqrt(2.0)
_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)
MIN_TOTAL_SD = 1e-8
MAX_TOTAL_SD = 20.0


@njit(cache=True, inline="always")
def norm_cdf(x):
    return 0.5 * math.erfc(-x / _SQRT2)


@njit(cache=True, inline="always")
def norm_pdf(x):
    return _INV_SQRT_2PI * math.exp(-0.5 * x * x)


@njit(cache=True)
def black_price(forward, strike, total_sd, discount, is_call):
    """Discounted Black-76 price; intrinsic value when total_sd is 0."""
    if total_sd <= MIN_TOTAL_SD or strike <= 0.0:
        if is_call:
            return discount * max(forward - strike, 0.0)
        return discount * max(strike - forward, 0.0)
    d1 = math.log(forward / strike) / total_sd + 0.5 * total_sd
    d2 = d1 - total_sd
    if is_call:
        return discount * (forward * norm_cdf(d1) - strike * norm_cdf(d2))
    return discount * (strike * norm_cdf(-d2) - forward * norm_cdf(-d1))


@njit(cache=True, inline="always")
def black_price_x(forward, strike, x, total_sd, discount, is_call):
    """:func:`black_price` given ``x = ln(strike / forward)``, which a table lookup has computed
    for its smile already: one log less per price. d1 is ``-x / s + s / 2`` for
    ``ln(F / K) / s + s / 2``, the same number to a few ulps (tests/test_lookup_arithmetic.py)."""
    if total_sd <= MIN_TOTAL_SD or strike <= 0.0:
        if is_call:
            return discount * max(forward - strike, 0.0)
        return discount * max(strike - forward, 0.0)
    d1 = -x / total_sd + 0.5 * total_sd
    d2 = d1 - total_sd
    if is_call:
        return discount * (forward * norm_cdf(d1) - strike * norm_cdf(d2))
    return discount * (strike * norm_cdf(-d2) - forward * norm_cdf(-d1))


@njit(cache=True)
def black_forward_delta(forward, strike, total_sd, discount, is_call):
    """d price / d forward (multiply by dF/dS = e^{(r-q) tau} for a spot delta)."""
    if total_sd <= MIN_TOTAL_SD or strike <= 0.0:
        itm = forward > strike if is_call else forward < strike
        if not itm:
            return 0.0
        return discount if is_call else -discount
    d1 = math.log(forward / strike) / total_sd + 0.5 * total_sd
    if is_call:
        return discount * norm_cdf(d1)
    return -discount * norm_cdf(-d1)


@njit(cache=True)
def black_vega_total(forward, strike, total_sd, discount):
    """d price / d total_sd."""
    if total_sd <= MIN_TOTAL_SD or strike <= 0.0:
        return 0.0
    d1 = math.log(forward / strike) / total_sd + 0.5 * total_sd
    return discount * forward * norm_pdf(d1)


@njit(cache=True)
def implied_total_sd(price, forward, strike, discount, is_call):
    """Total s.d. s with black_price(F, K, s, D) = price; NaN if price is outside the bounds.

    Newton steps safeguarded by bisection on [MIN_TOTAL_SD, MAX_TOTAL_SD]; the price is
    monotone in s, so the bracket always holds the root.
    """
    intrinsic = black_price(forward, strike, 0.0, discount, is_call)
    upper = discount * (forward if is_call else strike)
    if not (price > intrinsic and price < upper):
        return math.nan
    lo = MIN_TOTAL_SD
    hi = MAX_TOTAL_SD
    # start from the Brenner–Subrahmanyam ATM approximation, clipped into the bracket
    s = min(max(math.sqrt(2.0 * math.pi) * price / (discount * forward), 0.05), 2.0)
    for _ in range(100):
        diff = black_price(forward, strike, s, discount, is_call) - price
        if diff > 0.0:
            hi = s
        else:
            lo = s
        if abs(diff) <= 1e-14 * upper or hi - lo < 1e-15:
            return s
        vega = black_vega_total(forward, strike, s, discount)
        step_ok = vega > 0.0
        if step_ok:
            s_new = s - diff / vega
            step_ok = lo < s_new < hi
        s = s_new if step_ok else 0.5 * (lo + hi)
    return s
