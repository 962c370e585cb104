"""The complementary error function behind every Black price (simulator.pricing.black.erfc).

Two independent references: libm's ``math.erfc`` on dense grids, and a 60-digit evaluation in
``decimal`` (the Maclaurin series of erf where it converges without harm, Laplace's continued
fraction in the tail, ``Decimal.exp`` correctly rounded) at scattered points. The bounds are
the ones black.py states: 1e-14 relative for |x| < 8, 1e-13 out to the underflow.
"""

from __future__ import annotations

import math
from decimal import Decimal, localcontext

import numpy as np
import pytest
from numba import njit

from simulator.pricing.black import black_price, erfc, norm_cdf

BOUND_INNER = 1e-14  # |x| < 8: e^{-x^2} from a rounded x^2 errs by about x^2 ulps (64 x 1.1e-16)
BOUND_TAIL = 1e-13   # 8 <= |x| < 26.5 (x^2 up to 702 ulps)


@njit(cache=True)
def _erfc_many(xs):
    out = np.empty_like(xs)
    for i in range(xs.size):
        out[i] = erfc(xs[i])
    return out


@njit(cache=True)
def _norm_cdf_many(xs):
    out = np.empty_like(xs)
    for i in range(xs.size):
        out[i] = norm_cdf(xs[i])
    return out


def _erfc_decimal(x: float) -> float:
    """erfc(x) to some 50 significant digits, with no libm function."""
    with localcontext() as ctx:
        ctx.prec = 60
        dx = Decimal(x)
        pi = Decimal("3.14159265358979323846264338327950288419716939937510582097494")
        sqrt_pi = pi.sqrt()
        if abs(dx) < 3:  # erf by its Maclaurin series: terms up to e^9, 4 digits lost of 60
            term = dx
            total = dx
            n = 0
            while abs(term) > Decimal(10) ** -58:
                n += 1
                term = -term * dx * dx / n
                total += term / (2 * n + 1)
            return float(1 - 2 / sqrt_pi * total)
        a = abs(dx)
        # Laplace's continued fraction: erfc(a) = e^{-a^2} / sqrt(pi) / (a + (1/2) / (a + 1 /
        # (a + (3/2) / (a + ...)))), evaluated from 400 levels down (converged for a >= 3)
        tail = Decimal(0)
        for k in range(400, 0, -1):
            tail = (Decimal(k) / 2) / (a + tail)
        value = (-(a * a)).exp() / sqrt_pi / (a + tail)
        return float(2 - value if dx < 0 else value)


@pytest.mark.parametrize("lo, hi, bound", [
    (-8.0, 8.0, BOUND_INNER),
    (0.999, 1.001, BOUND_INNER),   # the branch at 1
    (7.99, 8.01, BOUND_INNER),     # the branch at 8
    (8.0, 26.5, BOUND_TAIL),
    (-27.0, -8.0, BOUND_INNER),    # 2 - a tiny number
])
def test_erfc_against_libm(lo, hi, bound):
    xs = np.linspace(lo, hi, 400_001)
    got = _erfc_many(xs)
    want = np.array([math.erfc(x) for x in xs])
    worst = np.max(np.abs(got / want - 1.0))
    assert worst < bound, (lo, hi, worst)


@pytest.mark.parametrize("x", [-7.5, -3.2, -1.0, -0.7, -1e-3, 0.0, 1e-9, 0.3, 0.9999, 1.0,
                               1.7, 2.9, 3.0, 4.4, 6.1, 7.999, 8.0, 11.0, 17.3, 26.0])
def test_erfc_against_sixty_digits(x):
    want = _erfc_decimal(x)
    bound = BOUND_INNER if abs(x) < 8.0 else BOUND_TAIL
    assert abs(erfc(x) / want - 1.0) < bound, (x, erfc(x), want)


def test_the_decimal_reference_is_libm_to_an_ulp():
    """The 60-digit reference itself, against libm (which is within an ulp or two)."""
    for x in (-2.5, 0.4, 2.99, 3.01, 5.5, 12.0):
        assert abs(_erfc_decimal(x) / math.erfc(x) - 1.0) < 1e-15, x


def test_erfc_invariants():
    """erfc(0) = 1 exactly; erfc(-x) = 2 - erfc(x); values in [0, 2], non-increasing; the
    infinities and NaN as libm has them; 0 past 27, where libm's value is below 1e-318."""
    assert erfc(0.0) == 1.0
    xs = np.linspace(-30.0, 30.0, 600_001)
    got = _erfc_many(xs)
    assert np.all((got >= 0.0) & (got <= 2.0))
    assert np.all(np.diff(got) <= 0.0)
    mirrored = _erfc_many(-xs)
    assert np.max(np.abs(got + mirrored - 2.0)) <= 4.5e-16
    assert erfc(40.0) == 0.0 and erfc(-40.0) == 2.0
    assert erfc(math.inf) == 0.0 and erfc(-math.inf) == 2.0 and math.isnan(erfc(math.nan))
    assert 0.0 < erfc(26.9) < 1e-312 and erfc(27.0) == 0.0  # libm's value there: 5e-319


def test_norm_cdf_symmetry_and_a_table_value():
    """N(x) + N(-x) = 1 to rounding; N(1.96) = 0.97500210485177952 (the normal table's
    0.9750, here from the 60-digit reference: erfc(-1.96 / sqrt 2) / 2)."""
    xs = np.linspace(-9.0, 9.0, 100_001)
    assert np.max(np.abs(_norm_cdf_many(xs) + _norm_cdf_many(-xs) - 1.0)) < 4.5e-16
    assert abs(norm_cdf(1.96) - 0.9750021048517795) < 2e-16
    assert abs(norm_cdf(1.96) - _erfc_decimal(-1.96 / math.sqrt(2.0)) / 2.0) < 2e-16


def test_black_put_call_parity_with_this_erfc():
    """C - P = D (F - K) across strikes and total s.d. (an invariant of the formula)."""
    worst = 0.0
    for forward in (18.0, 5000.0):
        for moneyness in np.linspace(0.3, 2.5, 23):
            strike = forward * moneyness
            for s in (0.002, 0.05, 0.3, 1.5):
                call = black_price(forward, strike, s, 0.98, True)
                put = black_price(forward, strike, s, 0.98, False)
                worst = max(worst, abs(call - put - 0.98 * (forward - strike)) / forward)
    assert worst < 1e-13, worst
