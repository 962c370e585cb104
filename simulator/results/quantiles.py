"""Quantiles of many rows at once, numpy's numbers in a bucket selection (numba).

The cube's fans (``equity_q``, ``trading_q``) are quantiles over paths of every book on every
day: some 60,000 rows of thousands of values in the claims run. ``np.quantile`` partitions each
row once per rank it needs (14 for the default seven levels); this kernel reads a row three
times instead:

1. its minimum and maximum (and whether it is finite);
2. a count of its values in ``n / 4`` equal buckets between them. The bucket of a value,
   ``int((x - lo) * scale)``, never decreases as ``x`` grows (IEEE rounding is monotone), so the
   cumulative counts give each rank's bucket exactly;
3. the values of the buckets holding a needed rank, gathered and sorted: a few per rank.

The ranks and the interpolation are numpy's "linear" method (Hyndman and Fan 1996, type 7:
``numpy.lib._function_base_impl._quantile``, ``_get_indexes`` and ``_lerp``), so every figure
equals ``np.quantile(row, q)`` bit for bit (tested in tests/test_results_metrics.py). Rows with
NaN or infinite values are left to numpy (``handled[row]`` False): its conventions there are
its own. Float32 rows are widened exactly before the interpolation, as numpy would see them.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit, prange

from simulator.results.resample import _lerp  # numpy's interpolation, one copy


@njit(cache=True)
def _row_quantiles(x, quantiles, ranks, out_col):
    """numpy's quantiles of the finite row ``x`` into ``out_col``; ``ranks`` is scratch of
    2 x len(quantiles) ints. False when the row holds NaN or inf (left to the caller)."""
    n = x.size
    lo, hi = math.inf, -math.inf
    for p in range(n):
        v = np.float64(x[p])
        if not math.isfinite(v):
            return False
        lo = min(lo, v)
        hi = max(hi, v)
    nq = quantiles.size
    if hi == lo:  # every value equal (day 0): numpy's lerp of equal ends is that value
        for j in range(nq):
            out_col[j] = lo
        return True
    # the ranks numpy reads: floor((n - 1) q) and the next, or the maximum at the top
    for j in range(nq):
        virtual = (n - 1) * quantiles[j]
        if virtual >= n - 1:
            ranks[2 * j] = n - 1
            ranks[2 * j + 1] = n - 1
        else:
            below = math.floor(virtual)
            ranks[2 * j] = below
            ranks[2 * j + 1] = below + 1
    n_buckets = max(n // 4, 1)
    scale = n_buckets / (hi - lo)
    counts = np.zeros(n_buckets + 1, dtype=np.int64)
    for p in range(n):
        counts[min(int((np.float64(x[p]) - lo) * scale), n_buckets - 1) + 1] += 1
    for b in range(n_buckets):  # counts[b]: values in buckets below b
        counts[b + 1] += counts[b]
    # the buckets holding a needed rank, and where each starts among the gathered values
    needed = np.zeros(n_buckets, dtype=np.bool_)
    for r in range(ranks.size):
        needed[np.searchsorted(counts, ranks[r], side="right") - 1] = True
    start = np.zeros(n_buckets, dtype=np.int64)
    size = 0
    for b in range(n_buckets):
        start[b] = size
        if needed[b]:
            size += counts[b + 1] - counts[b]
    gathered = np.empty(size)
    fill = 0
    for p in range(n):
        v = np.float64(x[p])
        if needed[min(int((v - lo) * scale), n_buckets - 1)]:
            gathered[fill] = v
            fill += 1
    # the gathered buckets are in bucket order once sorted by value (buckets are monotone)
    gathered.sort()
    for j in range(nq):
        kth = np.empty(2)
        for e in range(2):
            r = ranks[2 * j + e]
            b = np.searchsorted(counts, r, side="right") - 1
            kth[e] = gathered[start[b] + r - counts[b]]
        virtual = (n - 1) * quantiles[j]
        if virtual >= n - 1:
            out_col[j] = kth[1]
        else:
            out_col[j] = _lerp(kth[0], kth[1], virtual - math.floor(virtual))
    return True


@njit(cache=True, parallel=True)
def rows_quantiles(values, quantiles, out, handled):
    """``out[:, i] = np.quantile(values[i], quantiles)`` for every finite row ``i`` (float32
    or float64), in parallel over rows; ``handled[i]`` False where row ``i`` holds NaN or inf
    (``out[:, i]`` untouched: the caller asks numpy)."""
    n_rows = values.shape[0]
    nq = quantiles.size
    for i in prange(n_rows):
        ranks = np.empty(2 * nq, dtype=np.int64)
        col = np.empty(nq)
        ok = _row_quantiles(values[i], quantiles, ranks, col)
        handled[i] = ok
        if ok:
            for j in range(nq):
                out[j, i] = col[j]


def quantiles_by_row(values: np.ndarray, quantiles, out: np.ndarray) -> None:
    """``out[:, i] = np.quantile(values[i], quantiles)`` for every row ``i`` of the 2-D
    ``values`` (float32 or float64), numpy's numbers bit for bit: the kernel for finite rows,
    numpy itself for the rest."""
    q = np.asarray(quantiles, dtype=np.float64).ravel()
    if values.shape[0] == 0:
        return
    if values.shape[1] == 0 or not (q.size and np.all((q >= 0.0) & (q <= 1.0))):
        out[...] = np.quantile(values.astype(np.float64), q, axis=1)  # numpy's errors
        return
    handled = np.zeros(values.shape[0], dtype=np.bool_)
    rows_quantiles(values, q, out, handled)
    for i in np.flatnonzero(~handled):
        out[:, i] = np.quantile(values[i].astype(np.float64), q)


@njit(cache=True, parallel=True)
def _day_major_float32(books, out):
    """``out[s, d, p] = float32(books[s, p, d])`` in tiles of 64 paths x 64 days, tiles in
    parallel: numpy's strided ``out[...] = books.transpose(0, 2, 1)`` read one cache line per
    value (0.08 s a claims chunk of 20 strategies x 2,000 paths; issue 30)."""
    n_strat, n_paths, n_days = books.shape
    tile = 64
    n_p = (n_paths + tile - 1) // tile
    n_d = (n_days + tile - 1) // tile
    for job in prange(n_strat * n_p * n_d):
        s = job // (n_p * n_d)
        rest = job - s * n_p * n_d
        p0 = (rest // n_d) * tile
        d0 = (rest % n_d) * tile
        for d in range(d0, min(d0 + tile, n_days)):
            for p in range(p0, min(p0 + tile, n_paths)):
                out[s, d, p] = np.float32(books[s, p, d])


def day_major_float32(books: np.ndarray, out: np.ndarray) -> None:
    """``out[...] = books.transpose(0, 2, 1)`` (float64 (strategy, path, day) into float32
    (strategy, day, path), the layout the fans read): the same values, each rounded once to
    float32 as numpy's cast rounds it."""
    if books.shape[0] and books.shape[1] and books.shape[2]:
        _day_major_float32(np.ascontiguousarray(books, dtype=np.float64), out)
