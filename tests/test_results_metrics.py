"""Path metrics against brute-force loops; bootstrap coverage on a case with a known answer."""

import math
import warnings

import numpy as np
import pytest

from simulator.results.metrics import (
    compound_annual_return,
    cvar,
    drawdown_and_recovery,
    max_drawdown,
    max_drawdown_points,
    monthly_returns,
    recovery_days,
)
from simulator.results.stats import STATISTICS, bootstrap, paired


def _brute(e):
    worst, peak_day, best = 0.0, 0, None
    for t in range(len(e)):
        for p in range(t + 1):
            dd = 1 - e[t] / max(e[: p + 1])
            if dd > worst + 1e-15:
                worst = dd
                best = int(np.argmax(e[: t + 1]))
    if best is None:
        return 0.0, 0.0
    peak_day = best
    trough = peak_day + int(np.argmin(e[peak_day:]))
    after = [d for d in range(trough + 1, len(e)) if e[d] >= e[peak_day]]
    return worst, (after[0] - peak_day) if after else math.nan


def test_drawdown_and_recovery_match_a_brute_force_loop():
    rng = np.random.default_rng(3)
    eq = np.exp(np.cumsum(rng.normal(0.0005, 0.01, size=(60, 80)), axis=1))
    eq[:, 0] = 1.0
    mdd, rec = max_drawdown(eq), recovery_days(eq)
    for i in range(len(eq)):
        w, r = _brute(eq[i])
        assert mdd[i] == pytest.approx(w, abs=1e-12)
        assert (math.isnan(r) and math.isnan(rec[i])) or rec[i] == r


def test_hand_made_curves():
    eq = np.array([[1.0, 1.1, 0.99, 1.05, 1.1, 1.2], [1.0, 1.01, 1.02, 1.03, 1.04, 1.05],
                   [1.0, 0.9, 0.8, 0.85, 0.9, 0.95]])
    np.testing.assert_allclose(max_drawdown(eq), [0.1, 0.0, 0.2])
    np.testing.assert_array_equal(recovery_days(eq)[:2], [3.0, 0.0])
    assert math.isnan(recovery_days(eq)[2])


def test_monthly_and_annual_returns():
    daily = 0.001
    eq = (1 + daily) ** np.arange(253.0)
    m = monthly_returns(eq)
    assert m.shape == (12,)
    np.testing.assert_allclose(m, (1 + daily) ** 21 - 1)
    assert compound_annual_return(eq) == pytest.approx((1 + daily) ** 252 - 1)
    assert cvar(np.arange(100.0)) == pytest.approx(2.0)  # mean of the worst 5: 0..4


def test_bootstrap_ci_covers_the_true_difference():
    """200 synthetic paired samples with a known mean difference of annualised returns: the
    95 % CI must cover it in 95 % of them; tolerance 3 binomial SE (sqrt(.95 .05 / 200))."""
    rng = np.random.default_rng(7)
    trials, n, true_drag = 200, 400, 0.01
    covered = 0
    for t in range(trials):
        common = rng.normal(0.05, 0.10, n)
        u = {"annualised_return": common}
        h = {"annualised_return": common - true_drag + rng.normal(0, 0.02, n)}
        _, lo, hi = bootstrap(paired(STATISTICS["drag"]), {"h": h, "u": u}, n_boot=400, seed=t,
                              vectorized=True)
        covered += lo <= true_drag <= hi
    share = covered / trials
    assert abs(share - 0.95) < 3 * math.sqrt(0.95 * 0.05 / trials), share


def test_pairing_makes_the_interval_narrow():
    rng = np.random.default_rng(1)
    common = rng.normal(0.05, 0.2, 2000)
    u = {"annualised_return": common}
    h = {"annualised_return": common - 0.01 + rng.normal(0, 0.001, 2000)}
    est, lo, hi = bootstrap(paired(STATISTICS["drag"]), {"h": h, "u": u}, n_boot=500)
    assert est == pytest.approx(0.01, abs=2e-4)
    assert hi - lo < 0.001  # unpaired, the CI would be ~0.025 wide
    # one resample at a time or a block at a time: the same resamples, the same interval
    assert bootstrap(paired(STATISTICS["drag"]), {"h": h, "u": u}, n_boot=500,
                     vectorized=True) == pytest.approx((est, lo, hi), rel=1e-12)


def test_event_window_against_a_plain_loop():
    """Spike day and window returns, path by path in plain Python."""
    from simulator.results.cube import EVENT_LAGS, event_window

    rng = np.random.default_rng(4)
    n_strat, n_paths, n_cols = 2, 60, 40
    equity = np.cumprod(1 + rng.normal(0, 0.01, (n_strat, n_paths, n_cols)), axis=2)
    equity[..., 0] = 1.0
    vix = 15 + np.cumsum(rng.normal(0, 1, (n_paths, n_cols)), axis=1)
    vix[:3, -2] += 50  # spikes near the end: windows cut by the horizon
    vix[3:6, 2] += 50  # and near the start
    day, points, event = event_window(equity, vix)
    for i in range(n_paths):
        rises = [vix[i, d] - vix[i, d - 1] for d in range(1, n_cols)]
        d = 1 + int(np.argmax(rises))
        assert day[i] == d and points[i] == pytest.approx(max(rises))
        for k in range(n_strat):
            ref = equity[k, i, d - 1]
            for j, lag in enumerate(EVENT_LAGS):
                if 0 <= d + lag < n_cols:
                    assert event[k, i, j] == pytest.approx(equity[k, i, d + lag] / ref - 1,
                                                           rel=1e-6, abs=1e-7)
                else:
                    assert np.isnan(event[k, i, j])


def test_equity_quantiles_in_day_blocks_equal_numpy_on_all_paths(tmp_path):
    """A tiny memory budget forces one day per block and many parts; the result must equal
    np.quantile over all paths at once."""
    from simulator.results.cube import equity_quantiles

    rng = np.random.default_rng(8)
    parts = [rng.lognormal(0, 0.1, (3, n, 30)) for n in (7, 50, 13)]  # (strategy, path, day)
    q = [0.01, 0.5, 0.9]
    expected = np.moveaxis(np.quantile(np.concatenate(parts, axis=1), q, axis=1), 0, 1)
    by_day = [np.ascontiguousarray(p.transpose(0, 2, 1)) for p in parts]  # the files' layout
    np.testing.assert_array_equal(equity_quantiles(by_day, q, memory_bytes=1), expected)
    np.testing.assert_array_equal(equity_quantiles(by_day, q, memory_bytes=8 * 70 * 4), expected)
    files = []
    for i, p in enumerate(by_day):  # checkpoint files, opened a block at a time
        files.append(tmp_path / f"part{i}.npy")
        np.save(files[-1], p)
    np.testing.assert_array_equal(equity_quantiles(files, q, memory_bytes=8 * 70 * 4), expected)
    # the default budget: all 30 days in one block, its rows split among threads
    np.testing.assert_array_equal(equity_quantiles(by_day, q), expected)
    np.testing.assert_array_equal(equity_quantiles(files, q), expected)
    # the runner's checkpoints are float32: read as such, numpy's figures on those values
    singles = []
    for i, p in enumerate(by_day):
        singles.append(tmp_path / f"single{i}.npy")
        np.save(singles[-1], p.astype(np.float32))
    widened = np.concatenate([p.astype(np.float32).astype(np.float64) for p in parts], axis=1)
    np.testing.assert_array_equal(equity_quantiles(singles, q, memory_bytes=4 * 70 * 3),
                                  np.moveaxis(np.quantile(widened, q, axis=1), 0, 1))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_quantiles_by_row_equal_numpy_bit_for_bit(dtype):
    """The bucket selection (simulator.results.quantiles) against np.quantile on the same rows:
    widths from 1 to 3,001 values, ties, an outlier that squeezes the body into few buckets,
    equal rows (day 0), levels at 0, 1 and between ranks, and rows with NaN or inf (left to
    numpy). Equality, not closeness: the cube's fans must not move."""
    from simulator.results.quantiles import quantiles_by_row

    rng = np.random.default_rng(9)
    levels = [np.array([0.01, 0.05, 0.25, 0.5, 0.75, 0.95, 0.99]),
              np.array([0.0, 1.0, 1 / 3, 0.999999])]
    for n in (1, 2, 3, 7, 10, 101, 1000, 3001):
        ties = np.round(rng.standard_normal((9, n)), 1)
        outlier = 1.0 + 0.01 * rng.standard_normal((9, n))
        outlier[:, 0] = -50.0
        special = rng.standard_normal((4, n))
        special[0, 0], special[1, -1], special[2, 0] = np.nan, np.inf, -np.inf
        rows = np.concatenate([rng.standard_normal((9, n)), ties, outlier, np.ones((2, n)),
                               special]).astype(dtype)
        for q in levels:
            out = np.full((q.size, rows.shape[0]), -7.0)
            with np.errstate(invalid="ignore"):
                quantiles_by_row(rows, q, out)
                expected = np.quantile(rows.astype(np.float64), q, axis=1)
            np.testing.assert_array_equal(out, expected)


def test_drawdown_in_points_and_its_recovery_against_a_plain_loop():
    """The trading book's drawdown is a fall in points (fraction of starting equity), not a
    fraction of the peak; recovery is measured on that largest fall."""
    rng = np.random.default_rng(8)
    book = 1 + np.cumsum(rng.normal(0, 0.01, (50, 120)), axis=1)
    book[:, 0] = 1.0
    dd = max_drawdown_points(book)
    rec = recovery_days(book, absolute=True)
    for i in range(book.shape[0]):
        best, peak_day, worst, worst_peak = book[i, 0], 0, 0.0, 0
        for d in range(1, book.shape[1]):
            if book[i, d] > best:
                best, peak_day = book[i, d], d
            if best - book[i, d] > worst:
                worst, worst_peak = best - book[i, d], peak_day
        assert dd[i] == pytest.approx(worst, abs=1e-15)
        level = book[i, worst_peak]
        trough = worst_peak + int(np.argmin(book[i, worst_peak:]))
        back = next((d for d in range(trough + 1, book.shape[1]) if book[i, d] >= level), None)
        if worst == 0:
            assert rec[i] == 0
        elif back is None:
            assert np.isnan(rec[i])
        else:
            assert rec[i] == back - worst_peak
    assert np.isnan(rec).any() and (~np.isnan(rec)).any()


def test_bootstrap_ci_of_a_mean_matches_the_standard_error():
    rng = np.random.default_rng(1)
    n = 4000
    x = rng.normal(0.3, 2.0, n)
    est, lo, hi = bootstrap(lambda d: d["x"].mean(), {"x": x}, n_boot=2000, seed=3)
    se = 2.0 / math.sqrt(n)
    assert est == pytest.approx(x.mean())
    # the half-width of a 95 % CI is 1.96 SE; 2000 resamples estimate it to ~3 %
    assert (hi - lo) / 2 == pytest.approx(1.96 * se, rel=0.10)


def test_bootstrap_keeps_the_pairing_of_common_random_numbers():
    rng = np.random.default_rng(2)
    common = rng.normal(0.0, 1.0, 3000)
    a, b = common + 0.01, common + rng.normal(0.0, 0.01, 3000)
    _, lo, hi = bootstrap(lambda d: d["a"].mean() - d["b"].mean(), {"a": a, "b": b},
                          n_boot=500, seed=0)
    # paired: the noise of `common` cancels, so the CI is ~100x narrower than unpaired
    assert hi - lo < 4 * 1.96 * 0.01 / math.sqrt(3000) * 1.5
    assert lo < 0.01 < hi + 1e-3


def test_risk_measures_against_numpy_and_their_intervals():
    """Sharpe, Sortino, Calmar and the median worst month written out with numpy on a
    synthetic book; each bootstrap CI brackets its estimate and narrows like 1/sqrt(n)."""
    from simulator.results.stats import RISK_STATISTICS, bootstrap_many, risk_book

    rng = np.random.default_rng(3)
    n, months = 4000, 12
    monthly = rng.normal(0.002, 0.01, (n, months))
    drawdowns = rng.uniform(0.01, 0.05, n)
    book = risk_book(monthly, monthly.sum(-1), drawdowns)
    flat = monthly.ravel()
    expected = {
        "sharpe": flat.mean() / flat.std() * math.sqrt(12),
        "sortino": flat.mean() / math.sqrt(np.mean(np.minimum(flat, 0) ** 2)) * math.sqrt(12),
        "calmar": monthly.sum(-1).mean() / drawdowns.mean(),
        "worst_month": np.median(monthly.min(-1)),
    }
    wide = bootstrap_many(RISK_STATISTICS, book, n_boot=300, seed=1, vectorized=True)
    small = {k: v[:n // 4] for k, v in book.items()}
    narrow = bootstrap_many(RISK_STATISTICS, small, n_boot=300, seed=1, vectorized=True)
    for name, value in expected.items():
        est, lo, hi = wide[name]
        assert est == pytest.approx(value, rel=1e-12)
        assert lo <= est <= hi
        # a quarter of the paths: about twice as wide (tolerance for bootstrap noise)
        ratio = (narrow[name][2] - narrow[name][1]) / (hi - lo)
        assert 1.5 < ratio < 2.7, (name, ratio)
    # the Sharpe ratio of N(0.2 %, 1 %) months is 0.2 x sqrt(12) = 0.69 within its CI
    assert wide["sharpe"][1] < 0.2 * math.sqrt(12) < wide["sharpe"][2]


def test_a_figure_of_an_unknown_kind_is_refused():
    from simulator.results.stats import Figure

    with pytest.raises(ValueError, match="figure kind 'mode'"):
        Figure("max_drawdown", "mode")
    with pytest.raises(ValueError, match="allowed 0 <= q <= 1"):
        Figure("max_drawdown", "quantile", 95)


def test_the_cube_is_filled_from_checkpoints_one_chunk_at_a_time(tmp_path):
    """Records saved per (scenario, chunk) and read back lazily land in their own scenario and
    path rows, equal to concatenating them (the assembly never holds a second copy)."""
    from types import SimpleNamespace

    from simulator.results.cube import _PATH_AXIS, _data_vars
    from simulator.scenario.runner import _records_of, save_unit

    rng = np.random.default_rng(3)
    sizes = (3, 2)  # paths per chunk
    saved = {}
    for si in range(2):
        for ci, n in enumerate(sizes):
            rec = {}
            for name, axis in _PATH_AXIS.items():
                shape = [2] * axis + [n] + ([4] if name in ("monthly_return",
                                                            "event_return") else [])
                rec[name] = rng.normal(size=shape).astype(
                    np.float32 if name.startswith("vol_event_") else np.float64)
            rec["trade_counts"] = rng.integers(0, 9, size=(2, 5))
            save_unit(tmp_path, si, ci, rec, np.zeros((2, n, 3), dtype=np.float32))
            saved[si, ci] = rec
    data = _data_vars(SimpleNamespace(n_paths=sum(sizes)),
                      [_records_of(tmp_path, si, len(sizes)) for si in range(2)], [0, 0])
    for si in range(2):
        for name, axis in _PATH_AXIS.items():
            expected = np.concatenate([saved[si, ci][name] for ci in range(2)], axis=axis)
            values = data[name][1][si]
            assert values.dtype == expected.dtype, name
            np.testing.assert_array_equal(values, expected, err_msg=f"{name}, scenario {si}")
        counts = saved[si, 0]["trade_counts"] + saved[si, 1]["trade_counts"]
        np.testing.assert_array_equal(data["trades_per_path"][1][si], counts / sum(sizes))


@pytest.mark.parametrize("n", [1, 2, 7, 50, 201])
def test_figures_from_path_counts_equal_numpy_on_the_gathered_resample(n):
    """The bootstrap kernel (path counts, one sorted walk) against numpy on the gathered
    resample: order statistics exactly, means and sums to rounding; NaN handled as numpy does
    (NaN in a quantile or median, ranked last by the nan-last median and the lower mean)."""
    from simulator.results.stats import Figure, figure_draws, nan_last_median

    rng = np.random.default_rng(n)
    x = rng.normal(size=n)
    y = np.round(rng.exponential(size=n), 1)  # ties
    z = np.where(rng.random(n) < 0.3, np.nan, rng.normal(size=n))  # recovery-like NaN
    books = {"a": {"x": x, "y": y, "z": z}, "b": {"x": -x, "y": y[::-1].copy(), "z": z}}
    figures = {"mean": Figure("x", "mean"), "sum": Figure("y", "sum"),
               "q0": Figure("x", "quantile", 0.0), "q37": Figure("y", "quantile", 0.37),
               "q95": Figure("x", "quantile", 0.95), "q1": Figure("y", "quantile", 1.0),
               "median": Figure("y", "median"), "zmed": Figure("z", "nan_last_median"),
               "znan": Figure("z", "median"), "cvar": Figure("x", "lower_mean", 0.95),
               "zcvar": Figure("z", "lower_mean", 0.5)}
    idx = rng.integers(0, n, size=(40, n))
    draws = figure_draws(figures, books, [idx[:13], idx[13:]])  # blocks of resamples
    numpy_figure = {"zmed": lambda v: nan_last_median(v[None])[0]}
    for b, book in books.items():
        for name, f in figures.items():
            value, got = draws[b][name]
            assert value == pytest.approx(float(f(book)), nan_ok=True)
            expected = np.array([numpy_figure.get(name, lambda v, f=f: f({f.field: v}))(
                book[f.field][i]) for i in idx], dtype=float)
            if f.kind in ("mean", "sum", "lower_mean"):  # summation order differs
                np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-15,
                                           err_msg=name)
            else:
                np.testing.assert_array_equal(got, expected, err_msg=name)


@pytest.mark.parametrize("n", [1, 2, 7, 50, 201])
def test_pooled_figures_and_nanmedian_from_path_counts_equal_numpy(n):
    """figure_columns with several values per path (a path's events, its months), pooled:
    each resample gathers its paths' rows and numpy reads them flattened. np.nanmedian
    (events never recovered = inf rank last, NaN = no event is left out, all NaN gives NaN),
    pooled quantiles and medians exactly; per-path columns beside them; means to rounding."""
    from simulator.results.stats import Figure, figure_columns

    rng = np.random.default_rng(100 + n)
    days = np.round(rng.exponential(8.0, size=(n, 3)))
    days[rng.random((n, 3)) < 0.4] = np.nan  # no such event
    days[rng.random((n, 3)) < 0.1] = np.inf  # never recovered
    if n > 1:
        days[0] = np.nan  # a path with no event at all
    months = rng.normal(size=(n, 12))
    per_path = rng.normal(size=n)
    columns = [(days, Figure("d", "nanmedian")), (days[:, :1], Figure("d", "nanmedian")),
               (months, Figure("m", "quantile", 0.001)), (months, Figure("m", "median")),
               (per_path, Figure("x", "nanmedian")), (per_path, Figure("x", "mean")),
               (per_path, Figure("x", "quantile", 0.3))]
    idx = rng.integers(0, n, size=(40, n))
    idx[0] = 0  # a resample of the path without events only
    got = figure_columns(columns, [idx[:9], idx[9:]])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # nanmedian of no value
        for j, (x, f) in enumerate(columns):
            expected = np.array([f({f.field: x[i].ravel()}) for i in idx], dtype=float)
            if f.kind == "mean":
                np.testing.assert_allclose(got[:, j], expected, rtol=1e-12, err_msg=str(f))
            else:
                np.testing.assert_array_equal(got[:, j], expected, err_msg=str(f))
    assert np.isnan(got[0, 0]) or n == 1
    with pytest.raises(ValueError, match="reduce it per path"):
        figure_columns([(months, Figure("m", "mean"))], idx)


def test_figures_of_resamples_drawing_one_path_hundreds_of_times_equal_numpy():
    """Counts are bytes; a resample that draws one path more than 255 times is counted again
    in int64 (resample._count_draws). Resamples of 600 paths that draw path 0 every time,
    path 5 at least 300 times, path 7 exactly 254 and 255 times (bytes hold it) and path 9
    exactly 256 times (a byte would wrap to 0), and ordinary ones, against numpy on the
    gathered resample: order statistics exactly (high ranks walk down from the largest
    value), means and sums to rounding."""
    from simulator.results.stats import Figure, figure_draws

    n = 600
    rng = np.random.default_rng(255)
    x = np.round(rng.normal(size=n), 2)  # ties
    y = rng.exponential(size=n)
    books = {"a": {"x": x, "y": y}}
    figures = {"mean": Figure("x", "mean"), "sum": Figure("y", "sum"),
               "median": Figure("x", "median"), "q90": Figure("x", "quantile", 0.9),
               "q999": Figure("y", "quantile", 0.999), "q1": Figure("x", "quantile", 1.0),
               "q03": Figure("y", "quantile", 0.03), "cvar": Figure("x", "lower_mean", 0.95)}
    idx = rng.integers(0, n, size=(9, n))
    idx[0] = 0
    idx[1, :300] = 5
    for row, path, times in ((2, 7, 255), (3, 7, 254), (4, 9, 256)):
        idx[row, :times] = path
        idx[row, times:] = rng.integers(10, n, size=n - times)  # never the path again
    assert (idx[4] == 9).sum() == 256 and (idx[2] == 7).sum() == 255
    draws = figure_draws(figures, books, idx)
    for name, f in figures.items():
        expected = np.array([f({f.field: books["a"][f.field][i]}) for i in idx])
        got = draws["a"][name][1]
        if f.kind in ("mean", "sum", "lower_mean"):
            np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-15, err_msg=name)
        else:
            np.testing.assert_array_equal(got, expected, err_msg=name)


def test_a_mean_without_a_branch_on_the_count_equals_the_mean_with_one():
    """A resample's means and sums are summed without a branch on the path's count when every
    summed value is finite (a path drawn zero times adds 0 x value, exactly zero), and with
    one otherwise, skipping undrawn paths (0 x inf is NaN). The same figure of the same
    finite field must come out bit for bit the same either way: here beside a field with an
    infinity and a NaN (whose own means are numpy's: inf or NaN where one is drawn)."""
    from simulator.results.stats import Figure, figure_columns

    n = 400
    rng = np.random.default_rng(7)
    x = rng.normal(size=n) * 10.0 ** rng.integers(-8, 8, size=n)  # sums that round
    bad = rng.normal(size=n)
    bad[3], bad[11] = np.inf, np.nan
    idx = rng.integers(0, n, size=(30, n))
    idx[0, :] = np.arange(n)  # draws both non-finite paths
    finite = figure_columns([(x, Figure("x", "mean")), (x, Figure("x", "sum"))], idx)
    mixed = figure_columns([(x, Figure("x", "mean")), (x, Figure("x", "sum")),
                            (bad, Figure("b", "mean"))], idx)
    np.testing.assert_array_equal(finite, mixed[:, :2])
    expected = np.array([np.mean(bad[i]) for i in idx])
    np.testing.assert_allclose(mixed[:, 2], expected, rtol=1e-12)
    assert np.isnan(mixed[0, 2])


def test_claims_boot_figures_equal_the_generic_bootstrap_on_the_same_resamples():
    """ClaimsCube.boot_figures (figures from path counts) against stats.bootstrap (gather
    each resample, numpy on it) with the seed boot_figures draws: a paired quantile cut and
    the pooled break-even median (never = inf, no event = NaN) exactly, a mean to rounding."""
    from simulator.report.claims.evidence import (
        MEDIAN_DAYS,
        ClaimsCube,
        median_days,
        never_as_nan,
    )
    from simulator.results.stats import Figure, bootstrap

    rng = np.random.default_rng(12)
    n = 157
    h, u = rng.exponential(0.1, n), rng.exponential(0.12, n)
    days = np.round(rng.exponential(6.0, (n, 4)))
    days[rng.random((n, 4)) < 0.5] = np.nan
    days[rng.random((n, 4)) < 0.1] = np.inf
    cube = ClaimsCube.__new__(ClaimsCube)  # only the bootstrap's settings are read
    cube.n_boot = 300
    cut = Figure("dd", "quantile", 0.9)
    cases = [
        (lambda a, b: 1.0 - a / b, [(h, cut), (u, cut)],
         lambda d: 1.0 - np.quantile(d["h"], 0.9, -1) / np.quantile(d["u"], 0.9, -1),
         {"h": h, "u": u}, True),
        (never_as_nan, [(days, MEDIAN_DAYS)], lambda d: median_days(d["x"]), {"x": days},
         False),
        (lambda m: m * 2.0, [(h, Figure("x", "mean"))], lambda d: d["x"].mean(-1) * 2.0,
         {"x": h}, True),
    ]
    for combine, columns, statistic, data, vectorized in cases:
        cube._seeds = np.random.SeedSequence(5)
        got = cube.boot_figures(combine, columns)
        expected = bootstrap(statistic, data, n_boot=300, vectorized=vectorized,
                             seed=np.random.SeedSequence(5).spawn(1)[0])
        if columns[0][1].kind == "mean":
            np.testing.assert_allclose(got, expected, rtol=1e-12)
        else:
            np.testing.assert_array_equal(got, expected)


def test_resample_blocks_are_the_rows_of_the_whole_draw():
    from simulator.results.stats import block_resample_indices, resample_blocks

    for block in (1, 4):
        whole = block_resample_indices(103, 57, [5, 1], block)
        parts = list(resample_blocks(103, 57, [5, 1], block, elements=103 * 10))
        assert len(parts) == 6
        np.testing.assert_array_equal(np.concatenate(parts), whole)


# ---- recovery is counted after the trough (issue 32) ----------------------------------------

def _recovery_reference(e, absolute):
    """Plain-Python recovery over every (peak, trough) pair: the largest fall, its trough the
    first day that fall is reached, its peak the first day the running high was set; recovery
    is the first day after the trough back at or above that peak, counted from the peak."""
    e = [float(x) for x in e]
    worst, trough = 0.0, None
    for t in range(len(e)):
        high = max(e[: t + 1])
        fall = high - e[t] if absolute else 1.0 - e[t] / high
        if fall > worst:
            worst, trough = fall, t
    if trough is None:
        return 0.0, 0.0
    high = max(e[: trough + 1])
    peak = e.index(high)
    back = next((d for d in range(trough + 1, len(e)) if e[d] >= high), None)
    return worst, math.nan if back is None else float(back - peak)


def test_a_book_flat_at_its_peak_has_not_recovered_before_its_trough():
    """Issue 32's example: the peak is held for three days, then the book falls to .90 and
    ends at .97, below the peak: it never recovered (it used to read 'recovered in 1 day')."""
    eq = np.array([1, 1.01, 1.01, 1.01, .95, .90, .93, .97])
    assert math.isnan(recovery_days(eq[None])[0])
    assert math.isnan(recovery_days(eq[None], absolute=True)[0])


def test_recovery_of_a_hand_computed_plateau_curve():
    """Peak 1.02 first set on day 2 and held to day 4; trough .96 on day 6 (fall .06 points,
    1 - .96/1.02 = 5.88 %); back at 1.02 on day 9: 9 - 2 = 7 days. A later smaller dip (day
    11) does not count."""
    eq = np.array([1.0, 1.01, 1.02, 1.02, 1.02, 0.99, 0.96, 0.98, 1.01, 1.02, 1.03, 1.0, 1.04])
    dd, rec = drawdown_and_recovery(eq[None])
    assert dd[0] == pytest.approx(1 - 0.96 / 1.02, abs=1e-15)
    assert rec[0] == 7.0
    dd, rec = drawdown_and_recovery(eq[None], absolute=True)
    assert dd[0] == pytest.approx(0.06, abs=1e-15)
    assert rec[0] == 7.0


def test_recovery_matches_a_plain_python_reference_on_curves_with_plateaus():
    """Property test: curves drawn from a few levels (so the peak is often held flat and
    falls tie), in both units, against ``_recovery_reference``."""
    from hypothesis import given, settings
    from hypothesis import strategies as st

    levels = st.sampled_from([0.90, 0.95, 0.97, 1.0, 1.01, 1.02])

    @settings(max_examples=300, deadline=None)
    @given(st.lists(levels, min_size=2, max_size=14), st.booleans())
    def check(curve, absolute):
        dd, rec = drawdown_and_recovery(np.array(curve)[None], absolute=absolute)
        worst, days = _recovery_reference(curve, absolute)
        assert dd[0] == pytest.approx(worst, abs=1e-15)
        assert (math.isnan(days) and math.isnan(rec[0])) or rec[0] == days, (curve, rec[0], days)

    check()


def test_books_turned_day_major_equal_numpys_transposed_cast():
    """chunk_record's tiled kernel: float64 (strategy, path, day) into float32 (strategy, day,
    path) equals numpy's ``out[...] = books.transpose(0, 2, 1)`` value for value (NaN, inf,
    overflow to inf and subnormals included), on shapes that end mid-tile and on a view
    (the lower half of a larger array, as the chunk's stacked books)."""
    from simulator.results.quantiles import day_major_float32

    rng = np.random.default_rng(30)
    for shape in ((1, 1, 1), (2, 65, 253), (3, 130, 64), (20, 200, 129)):
        books = rng.normal(1.0, 0.3, shape)
        books.flat[::97] = np.nan
        books.flat[5::101] = np.inf
        books.flat[7::103] = 1e300  # beyond float32: inf, as numpy casts it
        books.flat[9::107] = 1e-42  # a float32 subnormal
        expected = np.empty((2 * shape[0], shape[2], shape[1]), dtype=np.float32)
        with np.errstate(over="ignore"):
            expected[:shape[0]] = books.transpose(0, 2, 1)
        out = np.full_like(expected, -7.0)
        day_major_float32(books, out[:shape[0]])
        np.testing.assert_array_equal(out[:shape[0]], expected[:shape[0]])
        assert np.all(out[shape[0]:] == -7.0)  # the other half untouched
