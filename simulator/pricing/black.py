"""Black-76 on a forward: price, delta, vega and implied total volatility (numba kernels).

SPX options are priced as Black on the SPX forward ``F = S e^{(r-q) tau}``, VIX options as Black
on the VIX future of their own expiry; both with discount factor ``e^{-r tau}``. Volatility enters
as the *total* standard deviation ``s = sigma sqrt(tau)``, so tau never needs to be > 0 here.
"""

from __future__ import annotations

import math

from numba import njit

_INV_SQRT2 = 1.0 / math.sqrt(2.0)
_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)
MIN_TOTAL_SD = 1e-8
MAX_TOTAL_SD = 20.0


# erfc by rational approximations with one exp (Moshier, Cephes Math Library 2.x, ndtr.c,
# after Cody, "Rational Chebyshev approximations for the error function", Math. Comp. 23
# (1969) 631-637): erf(x) = x T(x^2) / U(x^2) for |x| < 1, erfc(a) = e^{-a^2} P(a) / Q(a) for
# 1 <= a < 8 and e^{-a^2} R(a) / S(a) beyond. libm's erfc takes two exps for the tail (it
# splits a^2 so that e^{-a^2} is correctly rounded): 16.5 ns a call against 11.3 here, and the
# day loop makes two a price (docs/performance.md §1, "One exp per erfc"). e^{-a^2} from the
# rounded a^2 errs by about a^2 ulps: within 1e-14 relative for |x| < 8 and 1e-13 out to the
# underflow near 27 (tests/test_black.py holds it against libm). Past 27, where libm's value
# is below 1e-318, it is 0 (2 for -x), which also keeps erfc(+-inf) = 0, 2 (not inf / inf).


@njit(cache=True, inline="always")
def _erf_small(x):
    """erf(x) for |x| < 1."""
    z = x * x
    t = ((((9.60497373987051638749E0 * z + 9.00260197203842689217E1) * z
            + 2.23200534594684319226E3) * z + 7.00332514112805075473E3) * z
         + 5.55923013010394962768E4)
    u = (((((z + 3.35617141647503099647E1) * z + 5.21357949780152679795E2) * z
           + 4.59432382970980127987E3) * z + 2.26290000613890934246E4) * z
         + 4.92673942608635921086E4)
    return x * t / u


@njit(cache=True, inline="always")
def erfc(x):
    """The complementary error function (relative error below 1e-13; see above)."""
    a = abs(x)
    if a < 1.0:
        return 1.0 - _erf_small(x)
    if a < 8.0:
        p = ((((((((2.46196981473530512524E-10 * a + 5.64189564831068821977E-1) * a
                   + 7.46321056442269912687E0) * a + 4.86371970985681366614E1) * a
                 + 1.96520832956077098242E2) * a + 5.26445194995477358631E2) * a
               + 9.34528527171957607540E2) * a + 1.02755188689515710272E3) * a
             + 5.57535335369399327526E2)
        q = ((((((((a + 1.32281951154744992508E1) * a + 8.67072140885989742329E1) * a
                  + 3.54937778887819891062E2) * a + 9.75708501743205489753E2) * a
                + 1.82390916687909736289E3) * a + 2.24633760818710981792E3) * a
              + 1.65666309194161350182E3) * a + 5.57535340817727675546E2)
    elif a < 27.0:
        p = (((((5.64189583547755073984E-1 * a + 1.27536670759978104416E0) * a
                + 5.01905042251180477414E0) * a + 6.16021097993053585195E0) * a
              + 7.40974269950448939160E0) * a + 2.97886665372100240670E0)
        q = ((((((a + 2.26052863220117276590E0) * a + 9.39603524938001434673E0) * a
                + 1.20489539808096656605E1) * a + 1.70814450747565897222E1) * a
              + 9.60896809063285878198E0) * a + 3.36907645100081516050E0)
    else:  # underflow, and the infinities; NaN falls through to here too and stays NaN
        return (0.0 if x > 0.0 else 2.0) if a == a else x
    y = math.exp(-a * a) * p / q
    return 2.0 - y if x < 0.0 else y


@njit(cache=True, inline="always")
def norm_cdf(x):
    # times 1/sqrt(2), not over sqrt(2): a division on every price's dependency chain
    return 0.5 * erfc(-x * _INV_SQRT2)


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
