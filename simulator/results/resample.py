"""Numba kernel of the bootstrap: figures of books on resamples, from path counts.

A resample of n paths is a multiset: ``counts[p]`` copies of path p. Every figure the summary
needs is a function of the counts:

* a mean or a sum is sum_p counts[p] x[p] (one sequential pass, no gather of n values);
* an order statistic (quantile, median) walks the field's values sorted once, accumulating
  counts until the rank is reached; the mean of the k smallest (CVaR) sums along the same walk.

So a resample costs one pass to count its indices, then one pass for all its means and sums
and a walk per order statistic, for every book of a scenario at once, in parallel over
resamples. The numbers equal numpy's on the gathered resample (``np.quantile``'s linear method,
``np.median`` and ``np.nanmedian`` exactly, means and sums to rounding: the summation order
differs), tested in tests/test_results_metrics.py.

Three things keep a resample cheap at a million paths (docs/performance.md §3, "The bootstrap
at a million paths"), none of them changing a number:

* counts are bytes (a million paths' counts fit the core's cache; int64 counts did not), and a
  resample that draws one path more than 255 times is counted again in int64;
* every mean and sum of a resample is summed in one pass over the paths, each in the paths'
  order as before; a path drawn zero times adds ``0 x value``, exactly zero for a finite
  value, so the pass has no branch on the count (whose outcome is random) unless a field holds
  a NaN or an infinity, where it skips those paths as before;
* a rank in the upper half is found walking down from the largest value (a 95th percentile
  walks 5 % of the values, not 95 %).

A field may also hold several values per path (a path's vol events, its months), pooled: its
sorted values carry the path each came from, so the walk above counts them the same way.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit, prange

(KIND_MEAN, KIND_SUM, KIND_QUANTILE, KIND_MEDIAN, KIND_NAN_LAST_MEDIAN, KIND_LOWER_MEAN,
 KIND_NANMEDIAN) = range(7)
KIND_CODES = {"mean": KIND_MEAN, "sum": KIND_SUM, "quantile": KIND_QUANTILE,
              "median": KIND_MEDIAN, "nan_last_median": KIND_NAN_LAST_MEDIAN,
              "lower_mean": KIND_LOWER_MEAN, "nanmedian": KIND_NANMEDIAN}


@njit(cache=True)
def _kth(counts, order, ranked, k):
    """The k-th smallest (0-based) value of the resample: ``ranked`` holds a field's values
    in ascending order (NaN last), ``order`` their paths."""
    seen = 0
    for j in range(order.size):
        seen += counts[order[j]]
        if seen > k:
            return ranked[j]
    return ranked[order.size - 1]


@njit(cache=True)
def _kth_pair(counts, order, ranked, k):
    """The k-th and (k + 1)-th smallest values (0-based) of the resample, in one walk."""
    seen = 0
    n = order.size
    for j in range(n):
        seen += counts[order[j]]
        if seen > k:
            if seen > k + 1:
                return ranked[j], ranked[j]
            for j2 in range(j + 1, n):
                if counts[order[j2]] > 0:
                    return ranked[j], ranked[j2]
            return ranked[j], ranked[j]
    return ranked[n - 1], ranked[n - 1]


@njit(cache=True)
def _kth_pair_nearer(counts, order, ranked, k, n):
    """:func:`_kth_pair` of a resample of ``n`` values, walking from the nearer end: the
    (k + 1)-th smallest is the (n - 2 - k)-th largest, the k-th the (n - 1 - k)-th."""
    if 2 * k < n:
        return _kth_pair(counts, order, ranked, k)
    upper = n - 2 - k
    seen = 0
    for j in range(order.size - 1, -1, -1):
        seen += counts[order[j]]
        if seen > upper:
            if seen > upper + 1:
                return ranked[j], ranked[j]
            for j2 in range(j - 1, -1, -1):
                if counts[order[j2]] > 0:
                    return ranked[j2], ranked[j]
            return ranked[j], ranked[j]
    return ranked[0], ranked[0]


@njit(cache=True)
def _largest(counts, order, ranked):
    """The largest value of the resample (NaN last: a NaN drawn), walking down."""
    for j in range(order.size - 1, -1, -1):
        if counts[order[j]] > 0:
            return ranked[j]
    return ranked[order.size - 1]


@njit(cache=True)
def _lerp(a, b, t):
    """numpy's interpolation of quantiles (numpy.lib._function_base_impl._lerp)."""
    diff = b - a
    if t >= 0.5:
        return b - diff * (1.0 - t)
    return a + diff * t


@njit(cache=True)
def _figure(kind, q, values, counts, order, ranked, n_nan):
    """One figure of one resample. ``values``: the field per path (means and sums); ``order``
    and ``ranked``: its values sorted (NaN last) and the path of each, one per path or
    several (a pooled field: order statistics only)."""
    if kind == KIND_MEAN or kind == KIND_SUM:
        n = values.size
        total = 0.0
        for p in range(n):
            c = counts[p]
            if c != 0:
                total += c * values[p]
        return total / n if kind == KIND_MEAN else total
    n = ranked.size  # values in the resample: paths x values per path
    if kind == KIND_NANMEDIAN:  # np.nanmedian: over the values that are not NaN (inf ranks)
        present = 0
        for j in range(n - n_nan):
            present += counts[order[j]]
        if present == 0:
            return np.nan
        half = present // 2
        if present % 2 == 1:
            return _kth(counts, order, ranked, half)
        a, b = _kth_pair(counts, order, ranked, half - 1)
        return (a + b) / 2.0
    if kind == KIND_LOWER_MEAN:  # mean of the worst ceil((1 - q) n) values (metrics.cvar)
        k = max(math.ceil((1.0 - q) * n - 1e-9), 1)
        total, left = 0.0, k
        for j in range(n):
            c = counts[order[j]]
            if c == 0:
                continue
            take = min(c, left)
            total += take * ranked[j]
            left -= take
            if left == 0:
                break
        return total / k
    # order statistics: numpy returns NaN when the resample holds a NaN, except the
    # nan-last median, which ranks NaN above every number
    if kind != KIND_NAN_LAST_MEDIAN and n_nan > 0:
        for j in range(n - n_nan, n):
            if counts[order[j]] > 0:
                return np.nan
    if kind == KIND_QUANTILE:  # np.quantile, method "linear"
        virtual = (n - 1) * q
        if virtual >= n - 1:
            return _largest(counts, order, ranked)
        below = math.floor(virtual)
        a, b = _kth_pair_nearer(counts, order, ranked, int(below), n)
        return _lerp(a, b, virtual - below)
    half = n // 2  # np.median
    if n % 2 == 1:
        return _kth(counts, order, ranked, half)
    a, b = _kth_pair(counts, order, ranked, half - 1)
    return (a + b) / 2.0


@njit(cache=True)
def _count_draws(indices, counts):
    """``counts[p]``: how often the resample ``indices`` draws path p; False (counts
    incomplete) when a path is drawn more often than the counts' dtype holds (255 for
    bytes)."""
    limit = np.iinfo(counts.dtype).max
    for i in range(indices.size):
        p = indices[i]
        c = counts[p]
        if c == limit:
            return False
        counts[p] = c + 1
    return True


@njit(cache=True)
def _resample_figures(counts, values, order, ranked, n_nan, n_items, specs, sum_figures,
                      sum_rows, finite, out_row):
    """Every figure of one resample from its path counts into ``out_row``: the means and sums
    (``sum_figures``, of rows ``sum_rows`` of ``values``) in one pass over the paths, each in
    the paths' order; the order statistics by their walks. ``finite``: every summed value is
    finite, so a path drawn zero times adds exactly zero and needs no branch."""
    n = values.shape[1]
    totals = np.zeros(sum_figures.size)
    if finite:
        for p in range(n):
            c = counts[p]
            for i in range(sum_figures.size):
                totals[i] += c * values[sum_rows[i], p]
    else:
        for p in range(n):
            c = counts[p]
            if c != 0:
                for i in range(sum_figures.size):
                    totals[i] += c * values[sum_rows[i], p]
    for i in range(sum_figures.size):
        f = sum_figures[i]
        out_row[f] = totals[i] / n if int(specs[f, 1]) == KIND_MEAN else totals[i]
    for f in range(specs.shape[0]):
        kind = int(specs[f, 1])
        if kind == KIND_MEAN or kind == KIND_SUM:
            continue
        row, ordered = int(specs[f, 0]), max(int(specs[f, 3]), 0)
        used = n_items[ordered]
        out_row[f] = _figure(kind, specs[f, 2], values[row], counts, order[ordered, :used],
                             ranked[ordered, :used], n_nan[ordered])


@njit(cache=True, parallel=True)
def figures_on_resamples(indices, values, order, ranked, n_nan, n_items, specs, finite, out):
    """``out[b, f]``: figure ``f`` on resample ``b``.

    ``indices`` (resamples, n) path indices; ``values`` (fields, n); for the fields with order
    statistics, ``order`` (rows, items) the path of each value in ascending order of value
    (NaN last), ``ranked`` the values in that order, ``n_nan`` (rows,) their NaN counts and
    ``n_items`` (rows,) how many of a row's columns are used (n, or n x values per path for a
    pooled field); ``specs`` (figures, 4): field row, kind (KIND_*), q, order row (-1: none);
    ``finite``: every value the means and sums read is finite (the caller checks it once).
    """
    n_boot, n = indices.shape
    n_sums = 0
    for f in range(specs.shape[0]):
        if int(specs[f, 1]) == KIND_MEAN or int(specs[f, 1]) == KIND_SUM:
            n_sums += 1
    sum_figures = np.empty(n_sums, dtype=np.int64)
    sum_rows = np.empty(n_sums, dtype=np.int64)
    i = 0
    for f in range(specs.shape[0]):
        if int(specs[f, 1]) == KIND_MEAN or int(specs[f, 1]) == KIND_SUM:
            sum_figures[i] = f
            sum_rows[i] = int(specs[f, 0])
            i += 1
    for b in prange(n_boot):
        counts = np.zeros(n, dtype=np.uint8)
        if _count_draws(indices[b], counts):
            _resample_figures(counts, values, order, ranked, n_nan, n_items, specs,
                              sum_figures, sum_rows, finite, out[b])
        else:  # a path drawn more than 255 times: counted in int64
            wide = np.zeros(n, dtype=np.int64)
            _count_draws(indices[b], wide)
            _resample_figures(wide, values, order, ranked, n_nan, n_items, specs,
                              sum_figures, sum_rows, finite, out[b])
