"""The figures' layout (simulator/report/figures.py, report/history.py): the fan shows the
trading book, tick labels never repeat, labels and legends sit where they are read, bands need
paths, index baselines do not flatten the condors, nothing runs off the figure."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest

from simulator.report import figures
from simulator.results.summary import summarize
from simulator.scenario.loader import parse_scenario
from simulator.scenario.runner import run_plan

DOC = """
name: layout_test
description: a small cube for the figure layout tests
simulation: {paths: 40, days: 63, seed: 6, keep_paths: 2}
scenarios:
  crash: {shocks: [{day: 25, spx_return: -0.1, vix: 60}]}
strategies:
  unhedged: {condor: {preset: monthly_16_delta}, hedge: none}
  alvh: {condor: {preset: monthly_16_delta}, hedge: {preset: alvh_40_40_20}}
  vxth: {hedge: {preset: vxth_like}, index: sp500}
sweep: {alvh.hedge.budget_annual: [0.005, 0.01, 0.02]}
"""


@pytest.fixture(autouse=True)
def _close_figures():
    """Each test's figures are closed after it (pyplot keeps them; more than 20 open warn)."""
    yield
    import matplotlib.pyplot as plt

    plt.close("all")


@pytest.fixture(scope="module")
def cube():
    return run_plan(parse_scenario(DOC))


@pytest.fixture(scope="module")
def table(cube):
    return summarize(cube, n_boot=50)


def _inside(inner, outer, slack=1.0) -> bool:
    return (inner.x0 >= outer.x0 - slack and inner.x1 <= outer.x1 + slack
            and inner.y0 >= outer.y0 - slack and inner.y1 <= outer.y1 + slack)


def test_percent_tick_labels_are_distinct_and_never_minus_zero():
    fmt = figures._distinct_percent_formatter()
    labels = fmt.format_ticks([0.4, 0.2, 0.0, -0.2, -0.4, -1.0])
    assert len(set(labels)) == len(labels) and labels[2] == "0.0%"
    assert fmt.format_ticks([-0.001, 50.0, 100.0]) == ["0%", "50%", "100%"]
    # each label is its tick's value: ticks 0.25 apart need two decimals, not "0.8%" for 0.75
    assert fmt.format_ticks([0.5, 0.75, 1.0, 1.25]) == ["0.50%", "0.75%", "1.00%", "1.25%"]


def test_the_fan_shows_the_trading_book(cube):
    fig = figures.fan_chart(cube, "crash")
    median = next(line for line in fig.axes[0].lines if line.get_label() == "median")
    expected = (cube.trading_q.sel(scenario="crash", strategy="unhedged", quantile=0.5) - 1) * 100
    np.testing.assert_allclose(median.get_ydata(), expected.values)
    assert "trading book" in fig.axes[0].get_ylabel()
    # the trading book is the account less interest: it differs from equity_q
    assert not np.allclose(cube.trading_q.values[..., -1], cube.equity_q.values[..., -1])


def test_frontier_labels_apart_and_ticks_distinct(cube, table):
    fig = figures.frontier(cube, "crash", table)
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    for ax in fig.axes:
        ticks = [t.get_text() for t in ax.get_yticklabels() if t.get_text()]
        assert len(set(ticks)) == len(ticks) and not any(t.startswith("-0%") for t in ticks)
        boxes = [t.get_window_extent(renderer) for t in ax.texts]
        assert len(boxes) == 4  # three budgets and vxth
        for i, a in enumerate(boxes):
            assert _inside(a, ax.get_window_extent(renderer), slack=2), ax.texts[i].get_text()
            for b in boxes[i + 1:]:  # apart (a pixel of rounding allowed)
                assert not a.padded(-0.5).overlaps(b.padded(-0.5))


def test_attribution_legend_outside_bars_inside_index_included(cube):
    fig = figures.layer_attribution(cube, "crash")
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    ax = fig.axes[0]
    legend = ax.get_legend()
    assert legend.get_window_extent(renderer).x0 >= ax.get_window_extent(renderer).x1
    assert any("S&P 500 index" in t.get_text() for t in legend.get_texts())
    lo, hi = ax.get_xlim()
    for bar in ax.patches:
        x0, x1 = sorted((bar.get_x(), bar.get_x() + bar.get_width()))
        assert lo <= x0 and x1 <= hi
    assert _inside(legend.get_window_extent(renderer), fig.bbox)


def test_event_study_draws_no_band_over_a_few_paths(cube):
    fig = figures.event_study(cube, "crash")  # the top 10 % of 40 paths: 4
    from matplotlib.collections import PolyCollection

    for ax in fig.axes:
        assert not any(isinstance(c, PolyCollection) for c in ax.collections)
    assert "median of 4 paths" in fig.axes[0].get_title()


def test_every_footnote_and_legend_fits_the_figure(cube, table):
    made = [figures.fan_chart(cube, "crash"), figures.layer_attribution(cube, "crash"),
            figures.frontier(cube, "crash", table), figures.event_study(cube, "crash"),
            figures.drawdown_distributions(cube, "crash"), figures.sampled_paths(cube, "crash")]
    for fig in made:
        fig.canvas.draw()
        renderer = fig.canvas.get_renderer()
        note = fig.texts[-1]
        assert "paths x 63 trading days" in note.get_text()
        box = note.get_window_extent(renderer)
        assert _inside(box, fig.bbox), fig._suptitle.get_text()
        for ax in fig.axes:  # no axis label runs into the footnote
            if ax.get_visible() and ax.get_ylabel():
                label = ax.yaxis.label.get_window_extent(renderer)
                assert not label.overlaps(box), (fig._suptitle.get_text(), ax.get_ylabel())


def test_replay_puts_index_baselines_on_their_own_panel():
    import simulator as sim
    from simulator.report.history import history_figure
    from simulator.strategy.config import StrategyConfig

    model = sim.load_model("svcj_2f_calibrated")
    n = 30
    dates = np.array([str(d) for d in np.arange(np.datetime64("2008-09-02"),
                                                np.datetime64("2008-09-02") + n)])
    path = SimpleNamespace(dates=dates, spx=np.linspace(1200, 900, n), vix=np.full(n, 30.0),
                           v=np.full(n, 0.09), m=np.full(n, 0.06))
    trading = np.stack([1 + np.linspace(0, 0.02, n), 1 + np.linspace(0, -0.35, n)])[:, None]
    result = SimpleNamespace(strategies=["unhedged", "sp500"], trading=trading, trades=[])
    strategies = {"unhedged": StrategyConfig.model_validate(
                      {"condor": {"preset": "monthly_16_delta"}}),
                  "sp500": StrategyConfig.model_validate({"index": "sp500"})}
    fig = history_figure(result, path, model, strategies=strategies)
    book, index = fig.axes[2], fig.axes[3]
    assert [ln.get_label() for ln in book.lines if not ln.get_label().startswith("_")] \
        == ["unhedged"]
    assert "sp500" in [ln.get_label() for ln in index.lines]
    lo, hi = book.get_ylim()
    assert hi - lo < 5  # scaled to the condor's 2 %, not the index's 35 %
    fig.canvas.draw()
    assert _inside(fig.texts[-1].get_window_extent(fig.canvas.get_renderer()), fig.bbox)
