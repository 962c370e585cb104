"""The bootstrap's path indices (simulator.results.draws) against numpy itself: the same integers
and the same generator state as ``default_rng(seed).integers(0, n, size)``, call after call,
whatever the number of threads or ranges the draws are split into; the LCG's jump against
numpy's own ``PCG64.advance``."""

from __future__ import annotations

import numba
import numpy as np
import pytest

from simulator.results.draws import PARALLEL_MIN, BoundedIntegers, _jump, _step, bounded_fill

SEEDS = [1, [3, 4], np.random.SeedSequence(99).spawn(3)[2]]
# (n, shapes drawn in sequence from one generator): odd sizes leave a half word buffered for
# the next call; 3e9 and 2^31 + 5 reject some 30 % and 50 % of draws (the ranges closed up),
# 2^32 - 1 the largest n the kernel draws, 1 and >= 2^32 numpy's other branches
CASES = [
    (20_000, [(3,), (7, 5), (200, 20_000), (1, PARALLEL_MIN + 1)]),
    (7, [(13,), (2 * PARALLEL_MIN + 1,)]),
    (2, [(PARALLEL_MIN + 3,), (1,)]),
    (3_000_000_000, [(PARALLEL_MIN + 5,), (5,)]),
    (2**31 + 5, [(11,), (PARALLEL_MIN,)]),
    (2**32 - 1, [(PARALLEL_MIN + 1,), (3,)]),
    (1, [(5,)]),
    (2**32, [(7,), (4,)]),
    (2**33 + 1, [(9,)]),
]


@pytest.mark.parametrize("seed", SEEDS, ids=["int", "list", "spawned"])
@pytest.mark.parametrize(("n", "shapes"), CASES, ids=[str(c[0]) for c in CASES])
def test_integers_are_numpys_call_after_call(seed, n, shapes):
    ours, numpys = BoundedIntegers(seed), np.random.default_rng(seed)
    for shape in shapes:
        got = ours.integers(n, shape)
        assert got.dtype == np.int64 and got.shape == shape
        np.testing.assert_array_equal(got, numpys.integers(0, n, size=shape))
        assert ours.numpy_state() == numpys.bit_generator.state


@pytest.mark.parametrize("n", [20_000, 3_000_000_000])
def test_the_same_integers_whatever_the_split(n):
    """Any number of ranges, on one thread or two: numpy's integers and end state."""
    size = 300_001
    expected = np.random.default_rng(8).integers(0, n, size=size)
    end = np.random.default_rng(8)
    end.integers(0, n, size=size)
    threads = numba.get_num_threads()
    try:
        for n_threads in sorted({1, threads}):
            numba.set_num_threads(n_threads)
            for pieces in (1, 2, 3, 7, 64, size):
                ours = BoundedIntegers(8)
                out = np.full(size, -1, dtype=np.int64)
                bounded_fill(ours._state, n, out, pieces)
                np.testing.assert_array_equal(out, expected)
                assert ours.numpy_state() == end.bit_generator.state
    finally:
        numba.set_num_threads(threads)


def test_a_buffered_half_word_starts_the_next_call():
    """A generator left with a half word (numpy's ``has_uint32``) by another draw."""
    ours, numpys = BoundedIntegers(5), np.random.default_rng(5)
    numpys.integers(0, 10, size=3)  # an odd count of 32-bit draws: one half kept
    ours._load(numpys.bit_generator.state)
    assert ours.numpy_state()["has_uint32"] == 1
    for size in (PARALLEL_MIN + 1, 2, 1):
        np.testing.assert_array_equal(ours.integers(1_000, size), numpys.integers(0, 1_000, size))
        assert ours.numpy_state() == numpys.bit_generator.state


def test_into_a_given_array():
    ours, numpys = BoundedIntegers(2), np.random.default_rng(2)
    out = np.empty((4, 50), dtype=np.int64)
    assert ours.integers(50, out.shape, out=out) is out
    np.testing.assert_array_equal(out, numpys.integers(0, 50, size=(4, 50)))
    with pytest.raises(ValueError, match="int64"):
        ours.integers(50, (4, 50), out=np.empty((4, 50), dtype=np.int32))
    with pytest.raises(ValueError, match="contiguous"):
        ours.integers(50, (50, 4), out=np.empty((4, 50), dtype=np.int64).T)
    with pytest.raises(ValueError, match="high"):  # numpy's own error for an empty range
        ours.integers(0, 3)


def test_the_jump_is_numpys_advance():
    """Brown's jump against numpy's ``PCG64.advance`` (its own code) and against stepping."""
    for steps in (0, 1, 2, 3, 17, 1_000_003, 2**40 + 12_345):
        bit = np.random.PCG64(11)
        state = bit.state["state"]
        s, inc = state["state"], state["inc"]
        u = [np.uint64(x) for x in (s >> 64, s & (2**64 - 1), inc >> 64, inc & (2**64 - 1))]
        high, low = _jump(*u, steps)
        bit.advance(steps)
        assert int(high) << 64 | int(low) == bit.state["state"]["state"]
        if steps < 20:
            h, lo = u[0], u[1]
            for _ in range(steps):  # numba hands back Python ints: uint64 again for the next
                h, lo = (np.uint64(x) for x in _step(h, lo, u[2], u[3]))
            assert (int(h), int(lo)) == (int(high), int(low))


def test_resample_blocks_are_numpys_draws():
    """``stats.resample_blocks`` (these integers) against numpy's generator: the ordinary
    bootstrap (``resample_indices`` is numpy's call) and the moving-block one."""
    from simulator.results.stats import resample_blocks, resample_indices

    blocks = list(resample_blocks(1_003, 57, [5, 1], elements=1_003 * 10))
    assert len(blocks) == 6
    np.testing.assert_array_equal(np.concatenate(blocks), resample_indices(1_003, 57, [5, 1]))
    big = list(resample_blocks(PARALLEL_MIN, 3, [5, 3], elements=PARALLEL_MIN))  # both cores
    np.testing.assert_array_equal(np.concatenate(big), resample_indices(PARALLEL_MIN, 3, [5, 3]))
    starts = np.random.default_rng([5, 2]).integers(0, 1_003 - 10 + 1, size=(57, 101))
    moving = (starts[:, :, None] + np.arange(10)).reshape(57, -1)[:, :1_003]
    blocks = list(resample_blocks(1_003, 57, [5, 2], 10, elements=1_003 * 10))
    np.testing.assert_array_equal(np.concatenate(blocks), moving)
