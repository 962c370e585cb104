"""The package's one bootstrap and its paired statistics (the summary and the claims use both).

**Bootstrap.** Percentile intervals over whole paths: every array of a statistic's data has
paths on axis 0 and is resampled with the same row indices, so the strategies of a scenario
(which share their paths: common random numbers) stay paired. :func:`bootstrap_many` evaluates
several statistics on the same resamples; a ``vectorized`` statistic receives a block of
resamples at once (arrays with a leading resample axis, reduced over the last axis), any other
is called once per resample.

**Paired statistics** of a strategy ``h`` against the baseline ``u`` on the same paths. Each
takes two "books", mappings of per-path arrays (the trading book's ``total_return`` and
``annualised_return``, ``max_drawdown``, ``recovery_days``), and works on a leading resample
axis too:

* ``drag``: mean annualised return of u minus that of h (> 0: the hedge costs return);
* ``drawdown_reduction_median`` / ``_p95``: 1 - quantile(max_drawdown h) / quantile(u);
* ``recovery_speedup``: 1 - median(recovery_days h) / median(u), over all paths (a path that
  never recovers counts as slower than any that does);
* ``cvar95_difference``: CVaR 95 % of total return, h minus u (> 0: a better worst 5 %).

**Risk measures** of one strategy's trading book (``RISK_STATISTICS``, on a :func:`risk_book`):
Sharpe and Sortino ratios of the monthly P&L (over cash; path-months pooled, annualised by
sqrt(12)), the Calmar ratio (mean annual P&L / mean max drawdown) and the median worst month.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np

from simulator.results.metrics import cvar

DEFAULT_BOOT = 1000
LEVEL = 0.95
BOOT_BLOCK = 100  # resamples evaluated together by a vectorized statistic
BLOCK_ELEMENTS = 4_000_000  # and at most this many values per array of a block (memory)


def nan_last_median(x: np.ndarray, axis: int = -1) -> np.ndarray:
    """Median with NaN (never recovered) ranked above every number; NaN when the median is."""
    filled = np.where(np.isnan(x), np.inf, x)
    med = np.median(filled, axis=axis)
    return np.where(np.isinf(med), np.nan, med)


FIGURE_KINDS = ("mean", "sum", "quantile", "median", "nan_last_median", "lower_mean",
                "nanmedian")


@dataclass(frozen=True)
class Figure:
    """One number of a book: the ``kind`` (mean, sum, ``q``-quantile, median, median with NaN
    ranked last, mean of the worst ``1 - q`` share, median of the values that are not NaN) of
    its per-path ``field``.

    Called on a book of arrays: paths on the last axis, resamples (if any) on a leading one."""

    field: str
    kind: str
    q: float = 0.5

    def __post_init__(self):
        if self.kind not in FIGURE_KINDS:
            raise ValueError(f"figure kind {self.kind!r}: allowed {', '.join(FIGURE_KINDS)}")
        if not 0.0 <= self.q <= 1.0:
            raise ValueError(f"figure q {self.q!r}: allowed 0 <= q <= 1")

    def __call__(self, b: Mapping):
        x = b[self.field]
        if self.kind == "mean":
            return x.mean(-1)
        if self.kind == "sum":
            return x.sum(-1)
        if self.kind == "quantile":
            return np.quantile(x, self.q, -1)
        if self.kind == "median":
            return np.median(x, -1)
        if self.kind == "nan_last_median":
            return nan_last_median(x)
        if self.kind == "nanmedian":
            return np.nanmedian(x, -1)
        return cvar(x, self.q)  # "lower_mean" (kinds are checked when the figure is made)


@dataclass(frozen=True)
class PairedStatistic:
    """``combine(figure(h), figure(u))``: a :class:`Figure` of each book (one number per
    resample), combined. Called as ``statistic(h, u)``; the summary computes each strategy's
    figure once per resample and pairs it with the baseline's."""

    figure: Figure
    combine: Callable

    def __call__(self, h: Mapping, u: Mapping):
        return self.combine(self.figure(h), self.figure(u))


@dataclass(frozen=True)
class BookStatistic:
    """``combine(*figures of one book)``: a statistic of one strategy's book."""

    figures: tuple
    combine: Callable

    def __call__(self, b: Mapping):
        return self.combine(*(f(b) for f in self.figures))


drag = PairedStatistic(Figure("annualised_return", "mean"), lambda fh, fu: fu - fh)


def drawdown_reduction(q: float) -> PairedStatistic:
    """1 - quantile_q(max_drawdown h) / quantile_q(max_drawdown u)."""
    return PairedStatistic(Figure("max_drawdown", "quantile", q), lambda fh, fu: 1.0 - fh / fu)


recovery_speedup = PairedStatistic(Figure("recovery_days", "nan_last_median"),
                                   lambda fh, fu: 1.0 - fh / fu)
cvar95_difference = PairedStatistic(Figure("total_return", "lower_mean", 0.95),
                                    lambda fh, fu: fh - fu)


def risk_book(monthly_pnl: np.ndarray, annualised_return: np.ndarray,
              max_drawdown_equity: np.ndarray) -> dict[str, np.ndarray]:
    """The per-path sums the risk measures need (paths on axis 0): a resample then gathers n
    numbers per sum instead of n x months, and pooled means and deviations over path-months
    are ratios of resampled sums (exactly the pooled statistics, in other arithmetic)."""
    m = np.asarray(monthly_pnl, dtype=float)
    return {"month_sum": m.sum(-1), "month_sumsq": (m * m).sum(-1),
            "month_downsq": (np.minimum(m, 0.0) ** 2).sum(-1), "month_worst": m.min(-1),
            "n_months": np.full(m.shape[0], float(m.shape[-1])),
            "annualised_return": np.asarray(annualised_return, dtype=float),
            "max_drawdown_equity": np.asarray(max_drawdown_equity, dtype=float)}


def _sharpe(total, squares, count):
    mean = total / count
    var = squares / count - mean * mean
    return mean / np.sqrt(np.maximum(var, 0.0)) * math.sqrt(12.0)


def _sortino(total, downside, count):
    return total / count / np.sqrt(downside / count) * math.sqrt(12.0)


_COUNT = Figure("n_months", "sum")
# Annualised Sharpe ratio of the trading book's monthly P&L (over cash: the book earns no
# interest), path-months pooled: mean / s.d. x sqrt(12) (on a :func:`risk_book`)
sharpe = BookStatistic((Figure("month_sum", "sum"), Figure("month_sumsq", "sum"), _COUNT),
                       _sharpe)
# as sharpe, with the downside deviation sqrt(mean(min(P&L, 0)^2))
sortino = BookStatistic((Figure("month_sum", "sum"), Figure("month_downsq", "sum"), _COUNT),
                        _sortino)
# mean annual P&L over the mean maximum drawdown (both fractions of starting equity)
calmar = BookStatistic((Figure("annualised_return", "mean"),
                        Figure("max_drawdown_equity", "mean")), lambda a, d: a / d)
# median over paths of each path's worst monthly P&L (fraction of starting equity)
worst_month = BookStatistic((Figure("month_worst", "median"),), lambda m: m)


RISK_STATISTICS: dict[str, BookStatistic] = {"sharpe": sharpe, "sortino": sortino,
                                         "calmar": calmar, "worst_month": worst_month}

STATISTICS: dict[str, PairedStatistic] = {
    "drag": drag,
    "drawdown_reduction_median": drawdown_reduction(0.5),
    "drawdown_reduction_p95": drawdown_reduction(0.95),
    "recovery_speedup": recovery_speedup,
    "cvar95_difference": cvar95_difference,
}


def paired(statistic: Callable) -> Callable:
    """A paired statistic ``f(h, u)`` as a statistic of the data ``{"h": book, "u": book}``."""
    return lambda data: statistic(data["h"], data["u"])


def resample_indices(n: int, n_boot: int, seed) -> np.ndarray:
    """(n_boot, n) path indices drawn with replacement; ``seed``: anything ``default_rng``
    takes (an int, a list of ints, a ``SeedSequence``)."""
    return np.random.default_rng(seed).integers(0, n, size=(n_boot, n))


def block_resample_indices(n: int, n_boot: int, seed, block: int) -> np.ndarray:
    """(n_boot, n) indices of a moving-block bootstrap (Kunsch 1989, Ann. Statist. 17(3)):
    each resample strings together blocks of ``block`` consecutive paths, their starts drawn
    uniformly from 0 .. n - block, cut to n. For dependent paths in a sequence (overlapping
    rolling windows of history); ``block`` 1 is the ordinary bootstrap."""
    return next(resample_blocks(n, n_boot, seed, block, elements=n_boot * n))


def _take(data: Mapping, idx: np.ndarray) -> dict:
    return {k: _take(v, idx) if isinstance(v, Mapping) else v[idx] for k, v in data.items()}


def _largest_array(data: Mapping) -> int:
    return max((_largest_array(v) if isinstance(v, Mapping) else np.size(v))
               for v in data.values())


def _n_paths(data: Mapping) -> int:
    first = next(iter(data.values()))
    return _n_paths(first) if isinstance(first, Mapping) else len(first)


def bootstrap_many(statistics: Mapping[str, Callable], data: Mapping, *,
                   n_boot: int = DEFAULT_BOOT, seed=0, level: float = LEVEL,
                   indices: np.ndarray | None = None,
                   vectorized: bool = False) -> dict[str, tuple[float, float, float]]:
    """{name: (estimate, CI low, CI high)} of each ``statistic(data)`` on the same resamples.

    ``data`` maps names to per-path arrays (paths on axis 0) or to such mappings (a book);
    ``indices`` (n_boot, n) overrides ``n_boot``/``seed`` (share resamples between calls). A
    bound is NaN when every resample gives NaN (e.g. no path recovers in any of them).
    """
    if not 0.0 < level < 1.0:
        raise ValueError(f"level must be in (0, 1), got {level}")
    if indices is None:
        indices = resample_indices(_n_paths(data), n_boot, seed)
    if vectorized:
        draws = {k: [v] for k, v in bootstrap_draws(statistics, data, indices).items()}
    else:
        draws: dict[str, list] = {name: [] for name in statistics}
        for idx in indices:
            sample = _take(data, idx)
            for name, fn in statistics.items():
                draws[name].append(np.atleast_1d(np.asarray(fn(sample), dtype=float)))
    return {name: interval(float(fn(data)), np.concatenate(draws[name]), level)
            for name, fn in statistics.items()}


def interval(estimate: float, draws: np.ndarray, level: float = LEVEL):
    """(estimate, low, high): the percentile interval of the resampled ``draws`` (NaN bounds
    when every draw is NaN)."""
    if np.isnan(draws).all():
        return estimate, math.nan, math.nan
    alpha = (1.0 - level) / 2.0
    low, high = np.nanquantile(draws, [alpha, 1.0 - alpha])
    return estimate, float(low), float(high)


def figure_draws(figures: Mapping[str, Figure], books: Mapping[str, Mapping],
                 indices) -> dict[str, dict[str, tuple[float, np.ndarray]]]:
    """{book: {figure: (value on the book, values on each resample of ``indices``)}}: every
    book on the same resamples (paired statistics stay paired).

    ``indices``: (n_boot, n) path indices, or an iterable of row blocks of them (e.g.
    :func:`resample_blocks`, which never holds all n_boot x n indices). The resampled
    figures come from path counts in one numba pass over the resamples for every book and
    figure (:mod:`simulator.results.resample`)."""
    rows, specs, slots = {}, [], []
    for b in books:
        for name, f in figures.items():
            key = (b, f.field)
            rows.setdefault(key, len(rows))
            spec = (rows[key], f.kind, f.q)
            if spec not in specs:  # a figure two statistics share is computed once
                specs.append(spec)
            slots.append((b, name, specs.index(spec)))
    data = [None] * len(rows)
    for (b, field), r in rows.items():
        data[r] = np.asarray(books[b][field], dtype=float)
    draws = _figures_on_resamples(data, specs, indices)
    result: dict[str, dict[str, tuple[float, np.ndarray]]] = {b: {} for b in books}
    for b, name, j in slots:
        result[b][name] = (float(figures[name](books[b])), draws[:, j])
    return result


def figure_columns(columns, indices) -> np.ndarray:
    """(resamples, k): figure j of ``columns`` [(data, :class:`Figure`)] on every resample of
    ``indices`` (as :func:`figure_draws`; a figure's ``field`` is not read: the data beside it
    is its field). Data is per path (n,), or (n, m): m values per path pooled (a path's
    events, its months; order statistics only). Order statistics are numpy's on the gathered
    resample bit for bit, means and sums to rounding (another summation order)."""
    data = [np.asarray(x, dtype=float) for x, _ in columns]
    for x, (_, f) in zip(data, columns, strict=True):
        if x.ndim != 1 and f.kind in ("mean", "sum"):
            raise ValueError(f"figure {f.kind!r} of pooled data {x.shape}: reduce it per path")
    return _figures_on_resamples(data, [(j, f.kind, f.q) for j, (_, f) in enumerate(columns)],
                                 indices)


def _figures_on_resamples(data, specs, indices) -> np.ndarray:
    """(resamples, figures): figure (field, kind, q) of each of ``specs`` on each resample
    of ``indices`` (an array or an iterable of row blocks), by
    :func:`simulator.results.resample.figures_on_resamples`. ``data[field]``: the field per
    path (n,), or (n, m) values pooled per path; the fields an order statistic reads are
    sorted once here, each value with its path."""
    from simulator.results.resample import KIND_CODES, figures_on_resamples

    n = len(data[0])
    # rows of the fields means and sums read, and of those order statistics read: a field
    # only ranked is not copied into ``values`` (memory: a million paths, docs/performance.md)
    value_rows: dict[int, int] = {}
    order_rows: dict[int, int] = {}
    table = []
    for field, kind, q in specs:
        if kind in ("mean", "sum"):
            table.append((value_rows.setdefault(field, len(value_rows)), KIND_CODES[kind], q,
                          -1))
        else:
            table.append((0, KIND_CODES[kind], q, order_rows.setdefault(field, len(order_rows))))
    values = np.zeros((max(len(value_rows), 1), n))
    for field, r in value_rows.items():
        values[r] = data[field]
    width = max([data[field].size for field in order_rows], default=n)
    # int32 paths where they fit: the walks stream this array once per order statistic and
    # resample, so half its bytes is a tenth of the bootstrap at a million paths (issue 30)
    order = np.zeros((max(len(order_rows), 1), width),
                     dtype=np.int32 if n < 2**31 else np.int64)
    ranked = np.zeros((max(len(order_rows), 1), width))
    n_nan = np.zeros(max(len(order_rows), 1), dtype=np.int64)
    n_items = np.full(max(len(order_rows), 1), n, dtype=np.int64)
    for field, r in order_rows.items():
        flat = data[field].reshape(-1)  # path-major: value i belongs to path i // m
        sort = np.argsort(flat, kind="stable")  # NaN last
        n_items[r] = flat.size
        order[r, :flat.size] = sort // (flat.size // n)
        ranked[r, :flat.size] = flat[sort]
        n_nan[r] = np.count_nonzero(np.isnan(flat))
    spec_table = np.array(table, dtype=float).reshape(-1, 4)
    blocks = [indices] if isinstance(indices, np.ndarray) else indices
    parts = []
    # the means and sums need no branch on a path's count when all they read is finite;
    # checked a row at a time (a fancy-indexed copy of every row would be 96 MB at a million
    # paths, in the run whose peak memory make bench-memory holds under 2 GB)
    finite = all(bool(np.isfinite(row).all()) for row in values)
    for block in blocks:
        out = np.empty((len(block), len(table)))
        figures_on_resamples(np.ascontiguousarray(block, dtype=np.int64), values, order, ranked,
                             n_nan, n_items, spec_table, finite, out)
        parts.append(out)
    return np.concatenate(parts) if parts else np.empty((0, len(table)))


def resample_blocks(n: int, n_boot: int, seed, block: int = 1,
                    elements: int = BLOCK_ELEMENTS):
    """The rows of :func:`block_resample_indices` ``(n, n_boot, seed, block)`` in blocks of
    at most ``elements`` indices (the same numbers whatever the blocks: numpy's generator
    draws rows in sequence, tested), so that a bootstrap over a million paths never holds
    n_boot x n indices. ``block`` 1: :func:`resample_indices`'s draws.

    The integers are numpy's bit for bit, drawn on every core
    (:class:`simulator.results.draws.BoundedIntegers`)."""
    from simulator.results.draws import BoundedIntegers

    block = int(min(max(block, 1), n))
    rows = max(1, min(n_boot, elements // max(n, 1)))
    rng = BoundedIntegers(seed)
    n_blocks = -(-n // block)
    for r0 in range(0, n_boot, rows):
        r1 = min(n_boot, r0 + rows)
        if block == 1:
            yield rng.integers(n, (r1 - r0, n))
        else:
            starts = rng.integers(n - block + 1, (r1 - r0, n_blocks))
            idx = (starts[:, :, None] + np.arange(block)[None, None, :]).reshape(r1 - r0, -1)
            yield idx[:, :n]


def bootstrap_draws(statistics: Mapping[str, Callable], data: Mapping,
                    indices: np.ndarray) -> dict[str, np.ndarray]:
    """Each vectorized statistic on every resample of ``indices``, in memory-bounded blocks."""
    per_resample = max(_largest_array(data), 1)
    step = max(1, min(BOOT_BLOCK, BLOCK_ELEMENTS // per_resample))
    draws: dict[str, list] = {name: [] for name in statistics}
    for b0 in range(0, len(indices), step):
        block = _take(data, indices[b0:b0 + step])
        for name, fn in statistics.items():
            draws[name].append(np.asarray(fn(block), dtype=float))
    return {name: np.concatenate(v) for name, v in draws.items()}


def bootstrap(statistic: Callable, data: Mapping, **kwargs) -> tuple[float, float, float]:
    """(estimate, CI low, CI high) of one statistic; arguments as :func:`bootstrap_many`."""
    return bootstrap_many({"statistic": statistic}, data, **kwargs)["statistic"]
