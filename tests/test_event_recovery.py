"""Per-event recovery (issue 29 item 6): each vol event's own drawdown and days to break even
from its start, aftershocks as events of their own with their parent, on hand-made curves whose
answers are counted by hand."""

from __future__ import annotations

import math

import numpy as np
import pytest

from simulator.results.events import VolEventConfig, book_metrics, detect, own_metrics


def _vix(n, pieces):
    x = np.full(n + 1, 15.0)
    for day, level in pieces:
        x[day:] = level
    return x


def _run(vix, book):
    found, counts = detect(vix[None, :], VolEventConfig())
    book = np.asarray(book, dtype=float)[None, None, :]
    return found[0], counts[0], own_metrics(book, found, counts), \
        book_metrics(book, np.zeros_like(book), found, counts)


def test_a_crash_that_recovers_in_4_days_and_an_aftershock_that_never_does():
    """Event 1: VIX 15 -> 40 on day 5 (start: the low on day 4, book 1.00), the book falls to
    0.90 on day 5 and is back at 1.00 on day 8: 4 trading days from the start. Event 2: VIX
    up again on day 21 (start day 20, book 1.02) while event 1 has broken even: not an
    aftershock; the book falls to 0.97 and never regains 1.02. Event 3: VIX up on day 41
    (start day 40, book 0.99) while event 2 is still under water: an aftershock of event 2,
    back at 0.99 on day 44 (4 days); counted from event 2's start (1.02) it never recovers, and
    from the pre-event peak (1.02) neither: the pooled rule calls it 'never'."""
    vix = _vix(70, [(5, 40.0), (10, 16.0), (21, 35.0), (25, 16.0), (41, 33.0), (45, 15.0)])
    book = ([1.0] * 5 + [0.90, 0.93, 0.97, 1.00, 1.01] + [1.01] * 10          # days 0-19
            + [1.02, 0.97, 0.98] + [0.98] * 17                                   # days 20-39
            + [0.99, 0.95, 0.96, 0.98, 0.99] + [0.99] * 26)                      # days 40-70
    found, n, (dd, days, parent), (_, old_days, _) = _run(vix, book)
    assert n == 3
    assert [int(found[e, 0]) for e in range(3)] == [4, 20, 40]  # starts: the pre-event lows
    assert days[0, 0, 0] == 4
    assert dd[0, 0, 0] == pytest.approx(0.10)
    # event 2's drawdown runs until it breaks even (never): its aftershock's low 0.95 is in it
    assert math.isnan(days[0, 0, 1]) and dd[0, 0, 1] == pytest.approx(0.07)
    assert days[0, 0, 2] == 4 and dd[0, 0, 2] == pytest.approx(0.04)
    assert parent[0, 0, :3].tolist() == [0, 0, 2]  # event 3 is event 2's aftershock
    # the pooled pre-event-peak rule: the aftershock never regains the 1.02 peak
    assert math.isnan(old_days[0, 0, 2])
    assert np.isnan(days[0, 0, 3:]).all() and np.isnan(parent[0, 0, 3:]).all()


def test_breakeven_only_after_the_trough():
    """A book flat at its start level for two days, then down: it breaks even after the
    trough, not on the flat days (issue 32's rule for drawdowns)."""
    vix = _vix(30, [(5, 30.0), (12, 15.0)])
    book = [1.0] * 8 + [0.96, 0.97, 1.0] + [1.0] * 20
    _, n, (dd, days, parent), _ = _run(vix, book)
    assert n == 1 and days[0, 0, 0] == 10 - 4 and dd[0, 0, 0] == pytest.approx(0.04)
    assert parent[0, 0, 0] == 0


def test_a_book_that_never_falls_breaks_even_at_once():
    vix = _vix(30, [(5, 30.0), (12, 15.0)])
    _, n, (dd, days, parent), _ = _run(vix, [1.0] * 5 + [1.01 + 0.001 * d for d in range(26)])
    assert n == 1 and days[0, 0, 0] == 0 and dd[0, 0, 0] == 0 and parent[0, 0, 0] == 0


def test_own_metrics_match_a_plain_loop_on_random_paths():
    rng = np.random.default_rng(11)
    n_paths, n = 30, 150
    vix = 15 * np.exp(np.cumsum(rng.normal(0, 0.09, (n_paths, n + 1)), axis=1))
    book = 1 + np.cumsum(rng.normal(0, 0.004, (2, n_paths, n + 1)), axis=2)
    found, counts = detect(vix, VolEventConfig(vix_rise_points=6.0, max_per_path=6))
    dd, days, parent = own_metrics(book, found, counts)
    assert counts.sum() > 30
    for k in range(2):
        for i in range(n_paths):
            backs = []
            for e in range(counts[i]):
                start, end = int(found[i, e, 0]), int(found[i, e, 2])
                b = book[k, i]
                ref = b[start]
                trough = start + int(np.argmin(b[start:end + 1]))
                want_parent = max([j + 1 for j in range(e) if backs[j] is None
                                   or backs[j] > start], default=0)
                assert parent[k, i, e] == want_parent
                if b[trough] >= ref:
                    assert (dd[k, i, e], days[k, i, e]) == (0.0, 0.0)
                    backs.append(start)
                    continue
                back = next((s for s in range(trough + 1, n + 1) if b[s] >= ref), None)
                low = min(b[start:(back if back is not None else n + 1)])
                assert dd[k, i, e] == pytest.approx(ref - low, abs=1e-15)
                assert days[k, i, e] == pytest.approx(
                    math.nan if back is None else back - start, nan_ok=True)
                backs.append(back)
