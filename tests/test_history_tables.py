"""docs/scripts/history_tables.py (the README's "Real history" tables) on tiny real windows:
the layout of each table and the figures it reads off the cube."""

from __future__ import annotations

import numpy as np
import pytest

import simulator as sim
from tests.helpers import load_docs_script


@pytest.fixture(scope="module")
def tables():
    return load_docs_script("history_tables")


def _spec(tables, path, keep):
    spec = tables.load_spec("history_covid", None, keep)
    spec["path"] = path
    return spec


def _cells(line):
    return [c.strip() for c in line.strip().strip("|").split("|")]


def test_window_tables_have_the_readmes_columns_and_the_cubes_figures(tables):
    spec = _spec(tables, {"source": "history", "start": "2020-02-20", "end": "2020-03-20"},
                 tables.SINGLE_STRATEGIES)
    cube = sim.run(spec, summary=False)
    index = {"cndr_like": -0.0123, "vxth_like": 0.4567}  # the replay's, not run here
    row = tables.window_row("history_covid", cube, index)
    assert (row["start"], row["end"]) == ("2020-02-20", "2020-03-20")
    rc = float(cube.risk_capital.sel(strategy="unhedged"))
    u = cube.sel(strategy="unhedged").isel(scenario=0, path=0)
    h = cube.sel(strategy="alvh_40_40_20").isel(scenario=0, path=0)
    assert row["unhedged_return"] == float(u.trading_return)
    assert row["unhedged_dd"] == pytest.approx(float(u.trading_max_drawdown) / rc, rel=1e-12)
    assert row["hedged_dd"] == pytest.approx(float(h.trading_max_drawdown) / rc, rel=1e-12)
    assert row["unhedged_dd"] > 0.5  # the March 2020 crash: a drawdown to cut
    assert row["dd_cut"] == pytest.approx(1 - row["hedged_dd"] / row["unhedged_dd"], rel=1e-12)
    # the S&P 500 book has no condor: its drawdown stays in % of equity
    sp = cube.sel(strategy="sp500").isel(scenario=0, path=0)
    assert row["sp500_unit"] == "equity"
    assert row["sp500_dd"] == pytest.approx(float(sp.trading_max_drawdown), rel=1e-12)
    assert row["sp500_return"] < -0.15  # 3373 -> 2305

    lines = tables.hedge_table([row, row]).splitlines()
    assert lines[0] == ("| scenario | window | unhedged return | unhedged DD | "
                        "ALVH 40/40/20 return | ALVH DD | DD cut |")
    assert len(lines) == 4 and all(len(_cells(x)) == 7 for x in lines)
    cells = _cells(lines[2])
    assert cells[:2] == ["history_covid", "2020-02-20 to 2020-03-20"]
    assert float(cells[2]) == pytest.approx(100 * row["unhedged_return"], abs=0.005)
    assert float(cells[3]) == pytest.approx(100 * row["unhedged_dd"], abs=0.5)
    assert float(cells[5]) == pytest.approx(100 * row["hedged_dd"], abs=0.5)
    assert cells[6].endswith(" %")
    assert float(cells[6][:-2]) == pytest.approx(
        100 * (1 - row["hedged_dd"] / row["unhedged_dd"]), abs=0.5)

    lines = tables.baseline_table([row]).splitlines()
    assert lines[0] == ("| scenario | CNDR-style: book / index | S&P 500 | "
                        "VXTH-style: account / index |")
    cells = _cells(lines[2])
    assert len(lines) == 3 and len(cells) == 4
    assert cells[1] == f"{100 * row['cndr_like_return']:+.2f} / -1.2"
    assert cells[2] == f"{100 * row['sp500_return']:+.1f} ({100 * row['sp500_dd']:.1f})"
    assert cells[3].endswith(" / +45.7")


def test_rolling_table_reads_every_window(tables):
    keep = ("unhedged", "alvh_40_40_20", "sp500")
    # windows of 40 days every 20 overlap: the CIs resample moving blocks of 2 windows (one
    # 21-day month each: the summary's monthly risk measures are left out)
    spec = _spec(tables, {"source": "history_windows", "start": "2019-10-01",
                          "end": "2020-06-30", "length_days": 40, "step_days": 20}, keep)
    spec["simulation"] = {"seed": 0}
    cube = sim.run(spec)
    n = cube.sizes["path"]
    assert n >= 6
    rows = tables.rolling_rows(cube)
    assert [r["strategy"] for r in rows] == list(keep)
    ret = cube.sel(strategy="unhedged").trading_return.values[0]
    np.testing.assert_allclose(rows[0]["quantiles"], np.quantile(ret, tables.QUANTILES))
    assert rows[0]["losing"] == np.mean(ret < 0)
    rc = float(cube.risk_capital.sel(strategy="unhedged"))
    dd = cube.sel(strategy="unhedged").trading_max_drawdown.values[0] / rc
    assert rows[0]["dd_p95"] == pytest.approx(np.quantile(dd, 0.95), rel=1e-12)

    lines = tables.rolling_table(rows).splitlines()
    assert lines[0] == ("| strategy | 5 % | 25 % | median | 75 % | 95 % | losing years | "
                        "median DD | 95 % DD |")
    assert len(lines) == 2 + len(keep) and all(len(_cells(x)) == 9 for x in lines)
    assert _cells(lines[4])[0] == "sp500 (DD in % of equity)"
    assert _cells(lines[2])[0] == "unhedged"
    quantiles = [float(c) for c in _cells(lines[2])[1:6]]
    assert quantiles == sorted(quantiles)

    effect = tables.hedge_effect(cube)
    table = sim.summarize(cube)
    for key in ("drag", "drawdown_reduction_median", "drawdown_reduction_p95"):
        est, lo, hi = effect[key]
        assert est == table.loc[(str(cube.scenario.values[0]), "alvh_40_40_20"), key]
        assert lo <= hi
    assert table.attrs["resampling"].startswith("moving blocks of 2 windows")
    sentence = tables.hedge_sentence(effect)
    assert sentence.startswith("Over real years the 40/40/20 hedge's drag is ")
    assert f"{100 * effect['drag'][0]:.2f} %/yr [" in sentence
