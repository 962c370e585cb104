"""Bootstrap path indices on every core: numpy's ``Generator.integers(0, n, size)`` on PCG64,
bit for bit.

numpy draws an integer below n (2 <= n < 2^32) by Lemire's method (Lemire 2019, "Fast random
integer generation in an interval", ACM TOMACS 29(1), Algorithm 5, as numpy's
``buffered_bounded_lemire_uint32`` writes it): a 32-bit draw u, m = u n (64 bits), accepted
when the low half of m is at least (2^32 - n) mod n, the integer then the high half of m. The
32-bit draws are the halves of PCG64's 64-bit outputs, low half first, the high half kept in
the generator for the next draw (O'Neill 2014, "PCG: a family of simple fast space-efficient
statistically good algorithms for random number generation", HMC-CS-2014-0905: the 128-bit LCG
and its XSL RR 128/64 output).

Whether a 32-bit draw is accepted depends on that draw alone. So the stream of draws splits
into ranges that threads generate independently, each from the LCG state jumped ahead to its
first draw (Brown 1994, "Random number generation with arbitrary strides", Trans. ANS 71), and
the accepted integers of the ranges, put end to end in order, are numpy's. A rejection (for
n = 20,000 about one draw in 200,000) leaves a range short by one: the ranges are closed up
and the last integers drawn one by one after them. numpy draws the same integers on one
core: 2.3-3.6 ns an integer on the development machine, against 1.45 ns here on its two
(docs/performance.md §3, "The bootstrap's draws on both cores").
"""

from __future__ import annotations

import numba
import numpy as np
from llvmlite import ir
from numba import njit, prange, types
from numba.extending import intrinsic

# PCG's default 128-bit multiplier (O'Neill 2014; numpy's PCG_DEFAULT_MULTIPLIER_128)
MULTIPLIER = 0x2360ED051FC65DA44385DF649FCCF645
_MUL_HIGH = np.uint64(MULTIPLIER >> 64)
_MUL_LOW = np.uint64(MULTIPLIER & (2**64 - 1))
_LOW32 = np.uint64(0xFFFFFFFF)
PARALLEL_MIN = 1 << 20  # fewer integers than this are drawn on one core


@intrinsic
def _mulhi(typingctx, a, b):
    """The high 64 bits of the 128-bit product of two uint64 (one ``mul`` on x86-64)."""
    def codegen(context, builder, signature, args):
        wide = ir.IntType(128)
        product = builder.mul(builder.zext(args[0], wide), builder.zext(args[1], wide))
        return builder.trunc(builder.lshr(product, ir.Constant(wide, 64)), ir.IntType(64))
    return types.uint64(types.uint64, types.uint64), codegen


@njit(cache=True, inline="always")
def _mul128(ah, al, bh, bl):
    """(a x b) mod 2^128, each as (high, low) uint64."""
    return _mulhi(al, bl) + ah * bl + al * bh, al * bl


@njit(cache=True, inline="always")
def _add128(ah, al, bh, bl):
    low = al + bl
    return ah + bh + np.uint64(low < al), low


@njit(cache=True, inline="always")
def _step(sh, sl, ih, il):
    """The LCG's next state: s MULTIPLIER + inc (mod 2^128)."""
    ph, pl = _mul128(sh, sl, _MUL_HIGH, _MUL_LOW)
    return _add128(ph, pl, ih, il)


@njit(cache=True, inline="always")
def _output(sh, sl):
    """XSL RR 128/64: the high and low halves xor-ed, rotated right by the top 6 bits."""
    x = sh ^ sl
    r = sh >> np.uint64(58)
    return (x >> r) | (x << ((np.uint64(64) - r) & np.uint64(63)))


@njit(cache=True)
def _jump(sh, sl, ih, il, steps):
    """The state ``steps`` LCG steps after (sh, sl), in O(log steps) (Brown 1994)."""
    am_h, am_l = np.uint64(0), np.uint64(1)  # accumulated multiplier
    ac_h, ac_l = np.uint64(0), np.uint64(0)  # accumulated increment
    cm_h, cm_l = _MUL_HIGH, _MUL_LOW
    cc_h, cc_l = ih, il
    left = np.uint64(steps)
    while left > np.uint64(0):
        if left & np.uint64(1):
            am_h, am_l = _mul128(am_h, am_l, cm_h, cm_l)
            th, tl = _mul128(ac_h, ac_l, cm_h, cm_l)
            ac_h, ac_l = _add128(th, tl, cc_h, cc_l)
        ph, pl = _add128(cm_h, cm_l, np.uint64(0), np.uint64(1))
        cc_h, cc_l = _mul128(ph, pl, cc_h, cc_l)
        cm_h, cm_l = _mul128(cm_h, cm_l, cm_h, cm_l)
        left >>= np.uint64(1)
    th, tl = _mul128(am_h, am_l, sh, sl)
    return _add128(th, tl, ac_h, ac_l)


@njit(cache=True)
def _at(state, position):
    """The generator (state high, low, has a buffered half, the buffered half) just before
    32-bit draw ``position`` of the stream that ``state`` (high, low, inc high, inc low, has,
    half) starts: the buffered half is draw 0 when there is one."""
    sh, sl, ih, il, has, half = state[0], state[1], state[2], state[3], state[4], state[5]
    if has and position == 0:
        return sh, sl, np.uint64(1), half
    q = np.uint64(position - (1 if has else 0))  # draws taken from the LCG before it
    sh, sl = _jump(sh, sl, ih, il, q >> np.uint64(1))
    if q & np.uint64(1):  # it is the high half of the next output
        sh, sl = _step(sh, sl, ih, il)
        return sh, sl, np.uint64(1), _output(sh, sl) >> np.uint64(32)
    if q > np.uint64(0):  # numpy keeps the last high half after handing it out
        half = _output(sh, sl) >> np.uint64(32)
    return sh, sl, np.uint64(0), half


@njit(cache=True, inline="always")
def _fill(sh, sl, ih, il, has, half, n, threshold, out, start, stop, draws):
    """Integers into ``out[start:stop]`` from at most ``draws`` 32-bit draws (no limit: -1)
    of the generator (sh, sl, has, half); the generator after them and the integers made."""
    k = start
    taken = 0
    while k < stop and taken != draws:
        if has:
            u = half
            has = np.uint64(0)
        else:
            sh, sl = _step(sh, sl, ih, il)
            x = _output(sh, sl)
            u = x & _LOW32
            half = x >> np.uint64(32)
            has = np.uint64(1)
        taken += 1
        m = u * n
        if (m & _LOW32) >= threshold:
            out[k] = np.int64(m >> np.uint64(32))
            k += 1
    return sh, sl, has, half, k - start


@njit(cache=True, inline="always")
def _fill_pairs(sh, sl, ih, il, n, threshold, out, k, pairs):
    """``pairs`` LCG outputs, both halves each, low first, into ``out`` from ``k`` (each
    rejected draw leaves one place fewer used); the state after them and the next place.
    Every draw is stored and the place moves on only when it is accepted: no branch on the
    draw, and no place past the draw's own position is touched."""
    for _ in range(pairs):
        sh, sl = _step(sh, sl, ih, il)
        x = _output(sh, sl)
        m0 = (x & _LOW32) * n
        m1 = (x >> np.uint64(32)) * n
        out[k] = np.int64(m0 >> np.uint64(32))
        k += np.int64((m0 & _LOW32) >= threshold)
        out[k] = np.int64(m1 >> np.uint64(32))
        k += np.int64((m1 & _LOW32) >= threshold)
    return sh, sl, k


@njit(cache=True, parallel=True)
def bounded_fill(state, n, out, pieces):
    """``out`` (int64, flat) filled as numpy's ``integers(0, n, out.size)`` on the PCG64 of
    ``state`` (uint64: state high, low, inc high, inc low, has a buffered half, the half);
    ``state`` is left as numpy's generator would be after the call. 2 <= n < 2^32."""
    size = out.size
    nn = np.uint64(n)
    threshold = (np.uint64(2**32) - nn) % nn
    ih, il = state[2], state[3]
    pieces = max(1, min(pieces, size))
    made = np.zeros(pieces, dtype=np.int64)
    for p in prange(pieces):  # draws [a, b): at most b - a integers, written from a
        a = size * p // pieces
        b = size * (p + 1) // pieces
        sh, sl, has, half = _at(state, a)
        k = a
        draws = b - a
        if has and draws > 0:  # the buffered half first
            k += _fill(sh, sl, ih, il, has, half, nn, threshold, out, k, b, 1)[4]
            has = np.uint64(0)
            draws -= 1
        sh, sl, k = _fill_pairs(sh, sl, ih, il, nn, threshold, out, k, draws // 2)
        if draws % 2:  # and the low half of one more output
            k += _fill(sh, sl, ih, il, has, half, nn, threshold, out, k, b, 1)[4]
        made[p] = k - a
    k = made[0]
    for p in range(1, pieces):  # close up the ranges a rejection left short
        a = size * p // pieces
        if k != a:
            out[k:k + made[p]] = out[a:a + made[p]].copy()
        k += made[p]
    sh, sl, has, half = _at(state, size)  # then one by one after the last range
    sh, sl, has, half, _ = _fill(sh, sl, ih, il, has, half, nn, threshold, out, k, size, -1)
    state[0], state[1], state[4], state[5] = sh, sl, has, half


class BoundedIntegers:
    """numpy's ``default_rng(seed).integers(0, n, size)``, call after call, drawn on every
    core: the same integers and the same generator state (:meth:`numpy_state`)."""

    def __init__(self, seed):
        generator = np.random.default_rng(seed)
        if not isinstance(generator.bit_generator, np.random.PCG64):
            raise TypeError("BoundedIntegers reproduces PCG64 only")
        self._generator = generator
        self._state = np.zeros(6, dtype=np.uint64)
        self._load(generator.bit_generator.state)

    def _load(self, numpy_state):
        s, inc = numpy_state["state"]["state"], numpy_state["state"]["inc"]
        self._state[:] = [s >> 64, s & (2**64 - 1), inc >> 64, inc & (2**64 - 1),
                          numpy_state["has_uint32"], numpy_state["uinteger"]]

    def numpy_state(self) -> dict:
        """The state numpy's generator would have after the same calls."""
        s = self._state
        return {"bit_generator": "PCG64",
                "state": {"state": int(s[0]) << 64 | int(s[1]),
                          "inc": int(s[2]) << 64 | int(s[3])},
                "has_uint32": int(s[4]), "uinteger": int(s[5])}

    def integers(self, n: int, size, out: np.ndarray | None = None) -> np.ndarray:
        """int64 integers in [0, n) of shape ``size`` (into ``out`` when given)."""
        n = int(n)
        if out is None:
            out = np.empty(size, dtype=np.int64)
        elif out.dtype != np.int64 or not out.flags.c_contiguous:
            raise ValueError("out must be a C-contiguous int64 array")
        if not 2 <= n < 2**32:  # numpy's other branches: n 1 draws nothing, n >= 2^32 64 bits
            self._generator.bit_generator.state = self.numpy_state()
            out[...] = self._generator.integers(0, n, size=out.shape)
            self._load(self._generator.bit_generator.state)
            return out
        pieces = numba.get_num_threads() * 4 if out.size >= PARALLEL_MIN else 1
        bounded_fill(self._state, n, out.reshape(-1), pieces)
        return out
