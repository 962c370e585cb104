"""Counter-based random numbers: Philox4x32-10 (Salmon, Moraes, Dror & Shaw, SC'11).

Every draw is a pure function of (seed, stream, path, step, block): no generator state is
carried between paths, so a path is bit-identical whatever the number of paths, the chunk size,
the thread count or the machine, and every strategy of a scenario sees the same paths
(common random numbers). ``stream`` separates scenarios of one run.

Counter and key layout (one Philox block = four 32-bit words)::

    counter = (step, path, block, stream)      key = (seed & 0xffffffff, seed >> 32)

Blocks used by the path kernel per (path, step); see ``simulator.model.paths``:

    block 0       32-bit uniforms U_v (QE variance step, Andersen's single uniform for both
                  branches; Z_v = inverse normal of U_v), U_x (-> Z_x, log-price diffusion),
                  U_N (Poisson jump count); the fourth, U_m, drives the QE step of the
                  central tendency m in two-factor models (one-factor paths never read it)
    block 1+j     jump j: U for the exponential variance-jump size, U -> Z for the log-price jump
    block 2^20+j  two-factor P paths with m's own jumps (lam_m > 0) only: jump j of m; the
                  block of j = 0 also gives the uniform of their Poisson count (far above any
                  count of variance jumps a step can draw, so no stream is shared)

One block per step is the common case (jumps are rare). Uniforms with 32 random bits are what
cuRAND's Philox generators use too; the inverse normal of (w + 0.5)/2^32 truncates |Z| at 6.23
(P(|Z| > 6.23) = 4.7e-10), far beyond what any statistic of this project can see.
Normals come from the inverse CDF (Acklam's rational approximation, relative error < 1.2e-9,
tested against scipy.special.ndtri): it needs no transcendental function in the central 95 %
of draws, keeps one uniform per normal, and preserves the monotone uniform -> path map QE uses.

Verified against the Random123 known-answer vectors (tests/test_rng.py).
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit, uint32, uint64

_M0 = uint64(0xD2511F53)
_M1 = uint64(0xCD9E8D57)
_W0 = uint64(0x9E3779B9)
_W1 = uint64(0xBB67AE85)
_MASK32 = uint64(0xFFFFFFFF)
_INV_2_32 = 1.0 / 4294967296.0  # 2**-32


@njit(cache=True, inline="always")
def philox4x32_10(c0, c1, c2, c3, k0, k1):
    """Philox4x32 with 10 rounds. Inputs are uint64 holding 32-bit values; returns 4 such."""
    c0 = uint64(c0)
    c1 = uint64(c1)
    c2 = uint64(c2)
    c3 = uint64(c3)
    k0 = uint64(k0)
    k1 = uint64(k1)
    for r in range(10):
        if r > 0:  # key schedule: Weyl sequence, bumped between rounds
            k0 = (k0 + _W0) & _MASK32
            k1 = (k1 + _W1) & _MASK32
        p0 = _M0 * c0  # 32 x 32 -> 64 bits, exact in uint64
        p1 = _M1 * c2
        hi0 = p0 >> uint64(32)
        lo0 = p0 & _MASK32
        hi1 = p1 >> uint64(32)
        lo1 = p1 & _MASK32
        c0, c1, c2, c3 = hi1 ^ c1 ^ k0, lo1, hi0 ^ c3 ^ k1, lo0
    return c0, c1, c2, c3


@njit(cache=True, inline="always")
def _u32(w):
    """Uniform on the open interval (0, 1) from one 32-bit word: (w + 0.5) / 2^32."""
    return (float(w) + 0.5) * _INV_2_32


# P. J. Acklam's rational approximation of the inverse normal CDF (2003; relative error
# < 1.15e-9 over (0, 1)): a rational function in the centre, in sqrt(-2 log p) in the tails.
_A = (-3.969683028665376e01, 2.209460984245205e02, -2.759285104469687e02,
      1.383577518672690e02, -3.066479806614716e01, 2.506628277459239e00)
_B = (-5.447609879822406e01, 1.615858368580409e02, -1.556989798598866e02,
      6.680131188771972e01, -1.328068155288572e01)
_C = (-7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e00,
      -2.549732539343734e00, 4.374664141464968e00, 2.938163982698783e00)
_D = (7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e00,
      3.754408661907416e00)
_P_LOW = 0.02425


@njit(cache=True, inline="always")
def inverse_normal(p):
    """Standard normal quantile of p in (0, 1) (Acklam's approximation)."""
    if p < _P_LOW:
        q = math.sqrt(-2.0 * math.log(p))
        return (((((_C[0] * q + _C[1]) * q + _C[2]) * q + _C[3]) * q + _C[4]) * q + _C[5]) / (
            (((_D[0] * q + _D[1]) * q + _D[2]) * q + _D[3]) * q + 1.0)
    if p > 1.0 - _P_LOW:
        q = math.sqrt(-2.0 * math.log(1.0 - p))
        return -(((((_C[0] * q + _C[1]) * q + _C[2]) * q + _C[3]) * q + _C[4]) * q + _C[5]) / (
            (((_D[0] * q + _D[1]) * q + _D[2]) * q + _D[3]) * q + 1.0)
    q = p - 0.5
    r = q * q
    return (((((_A[0] * r + _A[1]) * r + _A[2]) * r + _A[3]) * r + _A[4]) * r + _A[5]) * q / (
        ((((_B[0] * r + _B[1]) * r + _B[2]) * r + _B[3]) * r + _B[4]) * r + 1.0)


@njit(cache=True, inline="always")
def step_draws(step, path, stream, k0, k1):
    """The draws of one diffusion step: (U_v, Z_x, U_N) from Philox block 0."""
    w0, w1, w2, _ = philox4x32_10(step, path, uint64(0), stream, k0, k1)
    return _u32(w0), inverse_normal(_u32(w1)), _u32(w2)


@njit(cache=True, inline="always")
def step_draws_2f(step, path, stream, k0, k1):
    """The draws of one two-factor step: (U_v, Z_x, U_N, U_m) from Philox block 0 (the first
    three are those of :func:`step_draws`)."""
    w0, w1, w2, w3 = philox4x32_10(step, path, uint64(0), stream, k0, k1)
    return _u32(w0), inverse_normal(_u32(w1)), _u32(w2), _u32(w3)


@njit(cache=True, inline="always")
def jump_draws(step, path, jump, stream, k0, k1):
    """The draws of jump number ``jump`` within a step: (U_size, Z) from Philox block 1 + jump."""
    w0, w1, _, _ = philox4x32_10(step, path, uint64(1) + uint64(jump), stream, k0, k1)
    return _u32(w0), inverse_normal(_u32(w1))


M_JUMP_BLOCK = 1 << 20  # first Philox block of m's own jumps (see the module docstring)


@njit(cache=True, inline="always")
def m_jump_draws(step, path, jump, stream, k0, k1):
    """The draws of m's own jump number ``jump`` within a step: (U_N, U_size) from Philox
    block 2^20 + jump (U_N, the Poisson count's uniform, is read from jump 0's block only)."""
    w0, w1, _, _ = philox4x32_10(step, path, uint64(M_JUMP_BLOCK) + uint64(jump), stream, k0,
                                 k1)
    return _u32(w0), _u32(w1)


@njit(cache=True)
def _inverse_normal_array(p, out):
    for i in range(p.size):
        out[i] = inverse_normal(p[i])


def inverse_normal_array(p) -> np.ndarray:
    """Vectorised ``inverse_normal`` for tests and diagnostics."""
    p = np.ascontiguousarray(p, dtype=float).ravel()
    out = np.empty_like(p)
    _inverse_normal_array(p, out)
    return out


def seed_key(seed: int) -> tuple[int, int]:
    """Split a non-negative 64-bit seed into the two 32-bit Philox key words."""
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer):
        raise TypeError(f"seed must be an integer, got {type(seed).__name__}")
    seed = int(seed)
    if not 0 <= seed < 2**64:
        raise ValueError(f"seed must be in [0, 2**64), got {seed}")
    return seed & 0xFFFFFFFF, seed >> 32


@njit(cache=True)
def _philox_blocks(counters, k0, k1, out):
    for i in range(counters.shape[0]):
        w = philox4x32_10(counters[i, 0], counters[i, 1], counters[i, 2], counters[i, 3], k0, k1)
        for j in range(4):
            out[i, j] = uint32(w[j])


def philox(counters, key) -> np.ndarray:
    """Philox4x32-10 of an (n, 4) array of 32-bit counters under a 2-word key -> (n, 4) uint32.

    A plain-Python entry point for tests and diagnostics; kernels call ``philox4x32_10``.
    """
    counters = np.atleast_2d(np.asarray(counters, dtype=np.uint64))
    if counters.shape[1] != 4 or (counters > 0xFFFFFFFF).any():
        raise ValueError("counters must be an (n, 4) array of 32-bit values")
    k0, k1 = (int(k) for k in key)
    if not (0 <= k0 <= 0xFFFFFFFF and 0 <= k1 <= 0xFFFFFFFF):
        raise ValueError("key must be two 32-bit values")
    out = np.empty(counters.shape, dtype=np.uint32)
    _philox_blocks(counters, np.uint64(k0), np.uint64(k1), out)
    return out
