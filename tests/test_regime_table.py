"""docs/scripts/regime_table.py: a regime's row (P&L a year, median max drawdown in % of risk
capital, the median's 95 % bootstrap interval over paths) from a small run, against the cube's
own figures; a real year (one path) has no interval."""

from __future__ import annotations

import numpy as np
import pytest

import simulator as sim
from simulator.results.units import drawdown_unit
from tests.helpers import load_docs_script


@pytest.fixture(scope="module")
def table():
    return load_docs_script("regime_table")


def test_a_regime_row_is_the_cubes_median_with_a_bootstrap_interval(table):
    cube = sim.run(table._spec("svcj_2f_vlevel_calm_2017", None, 11, 200))
    pnl, dd, (lo, hi) = table.regime_row(cube)
    drawdown = cube.trading_max_drawdown.values.ravel() / drawdown_unit(cube, "unhedged")
    assert dd == pytest.approx(100 * np.median(drawdown), rel=1e-12)
    assert pnl == pytest.approx(100 * float(sim.summarize(cube).iloc[0]["annualised_return"]))
    # the interval holds the median and is about +-2 standard errors of a median wide
    # (SE ~ 1.2533 sd / sqrt(n) for a roughly normal sample; allow a factor 2 either way)
    se = 1.2533 * 100 * drawdown.std() / np.sqrt(drawdown.size)
    assert lo < dd < hi
    assert 2 * se < hi - lo < 8 * se, (lo, hi, se)


def test_a_real_year_is_one_path_without_an_interval(table):
    cube = sim.run(table._spec("svcj_2f_conditional_vlevel",
                               {"source": "history", "start": "2017-01-03",
                                "end": "2017-03-31"}, 0, 1))
    pnl, dd, ci = table.regime_row(cube)
    assert ci is None and np.isfinite(pnl) and dd >= 0
