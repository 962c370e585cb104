"""The money-weighted return (internal rate of return, IRR) of a book's daily cash flows
(numba; the day loop solves it per strategy and path, :func:`~simulator.strategy.kernels.
evaluate_chunk`).

The flows are those of the *trading book* (the account less the interest on idle cash) with
its owner, who puts the starting equity in on day 0 (-1: an index core is bought with it, the
rest is cash), takes out or pays in each day the book's net premium received (+) or paid (-)
for condors and hedge layers (trades, costs, settlements) and the core's dividends, and on the
last day gets the starting cash back with the marks of the positions still open (the core
included). Their sum is the trading book's P&L (``trading[-1] - 1``). The starting equity is
in because a premium seller's stream alone opens with an inflow: its IRR would be a
borrowing rate, and a condor that expires worthless would have none. Without premium flows
(one outlay, one return) it is the book's compound annual growth.

Definition: the annual rate ``r`` > -1 at which the flows' present value is zero, day ``d``
discounted by ``(1 + r) ** (-d / 252)`` (:data:`~simulator.common.conventions.
TRADING_DAYS_PER_YEAR`). It is reported only where it is the *only* such rate, which is
certified by the book being a pure investment at it (every running balance before the last
day, carried at ``r``, on the side of the first flow; Teichroew, Robichek and Montalbano
1965: a second root is then impossible). NaN otherwise: no rate in [-99.99 %, +10^6 %] a year
gives zero (flows all of one sign, as a book that ends at or below zero after paying
nothing in can have; the present value does not change sign between the bracket's ends), or
a rate that is not certified unique. With the starting equity in, the running balance leaves
the first flow's side only if premium taken out before the end exceeds the equity grown at
``r``, which the books here do not do (tests/test_irr.py).
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

# the bracket on the log rate x = ln(1 + r): r from -99.99 % to +10^6 % a year
LOG_RATE_LOW = math.log(1e-4)
LOG_RATE_HIGH = math.log(1e4)
_TOL = 1e-13  # on x; a bisection step halves the bracket, ~60 steps at most
_MAX_STEPS = 200


@njit(cache=True)
def present_value(flows, dt, x):
    """(value, derivative in x) of ``flows`` (one per step of ``dt`` years, from t = 0)
    discounted at the continuously compounded rate ``x``.

    A polynomial in ``g = e^{-x dt}`` (value ``sum f_d g^d``, derivative ``-dt sum d f_d
    g^d``), summed by Horner's rule in ``g^2`` on four independent chains (even and odd days,
    value and derivative), so one ``exp`` serves every day instead of one per day (the IRR
    was a tenth of the claims' day loop, mostly in ``exp``; 10x faster, issue 30). Horner's
    rounding is of the order of the sum's own: within 1e-14 of the sum of the terms' sizes
    (tests/test_irr.py holds it to a numpy sum of the terms)."""
    g = math.exp(-x * dt)
    y = g * g
    even = 0.0
    odd = 0.0
    even_slope = 0.0
    odd_slope = 0.0
    n = flows.size
    for j in range((n - 1) // 2, -1, -1):
        d = 2 * j
        f_even = flows[d]
        f_odd = flows[d + 1] if d + 1 < n else 0.0
        even = even * y + f_even
        odd = odd * y + f_odd
        even_slope = even_slope * y + d * f_even
        odd_slope = odd_slope * y + (d + 1) * f_odd
    return even + g * odd, -dt * (even_slope + g * odd_slope)


@njit(cache=True)
def pure_at(flows, dt, x):
    """The running balance of ``flows`` carried at ``x`` stays on the first nonzero flow's
    side (or at zero) before the last step: the rate is then the only root."""
    growth = math.exp(x * dt)
    side = 0.0
    balance = 0.0
    for d in range(flows.size - 1):
        balance = balance * growth + flows[d]
        if side == 0.0 and flows[d] != 0.0:
            side = 1.0 if flows[d] > 0.0 else -1.0
        # relative slack: a balance that is zero up to rounding is on neither side
        if side * balance < -1e-12 * (abs(flows[d]) + 1.0):
            return False
    return True


@njit(cache=True)
def irr(flows, dt):
    """The annual IRR of ``flows`` at steps of ``dt`` years (see the module docstring); NaN
    where none or not certified unique. Newton's method on x = ln(1 + r), kept inside a
    shrinking sign-change bracket (a step that leaves it, or does not halve |value| fast
    enough, is a bisection step instead)."""
    lo, hi = LOG_RATE_LOW, LOG_RATE_HIGH
    f_lo = present_value(flows, dt, lo)[0]
    f_hi = present_value(flows, dt, hi)[0]
    # no strict sign change across the bracket (NaN, all zero, a root at an end): none
    if not ((f_lo > 0.0 and f_hi < 0.0) or (f_lo < 0.0 and f_hi > 0.0)):
        return np.nan
    x = 0.0  # a first guess of 0 % a year, inside the bracket
    previous = abs(f_hi) + abs(f_lo)
    for _ in range(_MAX_STEPS):
        value, slope = present_value(flows, dt, x)
        if value == 0.0:
            break
        if (value > 0.0) == (f_lo > 0.0):
            lo = x
        else:
            hi = x
        # Newton where it converges (|value| at least halves) and stays in the bracket
        newton = slope != 0.0 and abs(value) < 0.5 * previous
        previous = abs(value)
        candidate = x - value / slope if slope != 0.0 else lo
        if not newton or not lo < candidate < hi:
            candidate = 0.5 * (lo + hi)
        done = abs(candidate - x) < _TOL or hi - lo < _TOL
        x = candidate
        if done:
            break
    if not pure_at(flows, dt, x):
        return np.nan
    return math.expm1(x)
