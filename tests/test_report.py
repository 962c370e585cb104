"""`alvh report`: the summary table and the figures of a results cube."""

import numpy as np
import pytest

import simulator as sim
from simulator.cli import main
from simulator.common.conventions import DEFAULT_MODEL
from simulator.report import figures
from simulator.results.cube import write_cube
from simulator.results.summary import summarize
from simulator.scenario.loader import parse_scenario
from simulator.scenario.runner import run_plan

DOC = """
name: report_test
description: a small cube for the report tests
simulation: {paths: 200, days: 63, seed: 3}
scenarios:
  base: {}
  crash: {shocks: [{day: 25, spx_return: -0.1, vix: 60}]}
strategies:
  unhedged: {condor: {preset: monthly_16_delta}, hedge: none}
  alvh: {condor: {preset: monthly_16_delta}, hedge: {preset: alvh_40_40_20}}
sweep: {alvh.hedge.budget_annual: [0.01, 0.03]}
"""


@pytest.fixture(scope="module")
def cube():
    return run_plan(parse_scenario(DOC))


def test_every_figure_has_labelled_axes_and_names_its_scenario(cube):
    table = summarize(cube, n_boot=50)
    made = [figures.fan_chart(cube, "crash"), figures.drawdown_distributions(cube, "crash"),
            figures.frontier(cube, "crash", table), figures.layer_attribution(cube, "crash"),
            figures.frontier(cube, "crash", table, cost_scenario="base"),
            figures.event_study(cube, "crash")]
    for fig in made:
        title = fig._suptitle.get_text()
        assert title.split("\n")[1].startswith("crash")  # the scenario (and its description)
        axes = [ax for ax in fig.axes if ax.get_visible()]
        assert all(ax.get_xlabel() for ax in axes) and any(ax.get_ylabel() for ax in axes)
        notes = [t.get_text() for t in fig.texts]
        assert any(f"200 paths x 63 trading days; seed 3; model {DEFAULT_MODEL}" in t
                   for t in notes), notes
    # the event study finds the shock: every path's largest VIX rise is the day-25 shock
    assert (cube.vix_spike_day.sel(scenario="crash") == 25).all()


def test_event_window_of_the_shock_matches_the_equity(cube):
    """event_return at lag 0 is equity on the shock day over the day before, path by path,
    recomputed from an independent evaluation of the same paths."""
    from simulator.strategy.engine import evaluate_strategies

    plan = parse_scenario(DOC)
    sc = plan.scenarios[1]
    res = evaluate_strategies(sc.model, plan.strategies, plan.n_paths, plan.n_days, plan.seed,
                              **sc.path_kwargs())
    lag0 = cube.event_return.sel(scenario="crash", lag=0).values
    np.testing.assert_allclose(lag0, res.equity[:, :, 25] / res.equity[:, :, 24] - 1,
                               rtol=1e-5, atol=1e-6)  # float32 in the cube


def test_cli_report_prints_the_table_and_writes_the_figures(cube, tmp_path, capsys):
    path = write_cube(cube, tmp_path / "r.nc")
    out = tmp_path / "figs"
    assert main(["report", str(path), "--out", str(out)]) == 0
    text = capsys.readouterr().out
    assert "DD med" in text and "P&L %/yr" in text and "drag %/yr" in text
    assert "% of risk" in text and max(len(line) for line in text.splitlines()) <= 140
    pngs = sorted(p.name for p in out.iterdir())
    kinds = ("attribution", "drawdowns", "event_study", "fan", "frontier")
    assert pngs == sorted([f"{s}_{k}.png" for s in ("base", "crash") for k in kinds]
                          + ["crash_frontier_vs_base.png"])
    for p in out.iterdir():
        assert p.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and p.stat().st_size > 10_000


def test_cli_report_rejects_missing_or_foreign_files(tmp_path, capsys):
    assert main(["report", str(tmp_path / "nope.nc")]) == 2
    junk = tmp_path / "junk.nc"
    junk.write_text("not netcdf")
    assert main(["report", str(junk)]) == 2
    err = capsys.readouterr().err
    assert "nope.nc" in err and "junk.nc" in err


def test_frontier_against_base_reads_the_drag_of_base_and_the_cut_of_crash(cube):
    table = summarize(cube, n_boot=50)
    fig = figures.frontier(cube, "crash", table, cost_scenario="base")
    ax = fig.axes[0]
    hedged = [s for s in table.loc["crash"].index if s != "unhedged"]
    # errorbar draws the points as the first line of each container
    x, y = ax.containers[0].lines[0].get_data()
    np.testing.assert_allclose(x, 100 * table.loc["base"].loc[hedged, "drag"].values)
    np.testing.assert_allclose(y, 100 * table.loc["crash"].loc[hedged,
                                                         "drawdown_reduction_median"].values)
    assert "base" in ax.get_xlabel() and "crash" in ax.get_ylabel()


@pytest.mark.parametrize("fmt", ["csv", "json", "markdown"])
def test_the_summary_in_other_formats_keeps_every_figure(cube, fmt):
    import io
    import json

    import pandas as pd

    from simulator.results.summary import format_summary, summarize

    table = summarize(cube, n_boot=20)
    text = format_summary(table, fmt=fmt)
    if fmt == "csv":
        back = pd.read_csv(io.StringIO(text)).set_index(["scenario", "strategy"])
        pd.testing.assert_frame_equal(back, table, check_dtype=False)
    elif fmt == "json":
        rows = json.loads(text)
        assert len(rows) == len(table) and "drag_lo" in rows[-1]
    else:
        assert text.startswith("| scenario | strategy |") and "| drag %/yr |" in text
    wide = format_summary(table, wide=True)
    assert "DD mean" in wide and "DD mean" not in format_summary(table)


def test_to_frame_is_tidy_and_never_builds_the_cross_product(cube, tmp_path, capsys):
    import pandas as pd

    frame = sim.to_frame(cube)
    n = cube.sizes["scenario"] * cube.sizes["strategy"] * cube.sizes["path"]
    assert len(frame) == n and frame.index.names == ["scenario", "strategy", "path"]
    assert "month" not in frame.columns and "trading_max_drawdown" in frame.columns
    row = frame.loc[("crash", "unhedged", 3)]
    sel = cube.sel(scenario="crash", strategy="unhedged", path=3)
    assert row["trading_max_drawdown"] == float(sel.trading_max_drawdown)
    assert row["spx_return"] == float(cube.spx_return.sel(scenario="crash", path=3))
    with pytest.raises(ValueError, match="not per-path variables"):
        sim.to_frame(cube, variables=["equity_q"])
    path = write_cube(cube, tmp_path / "r.nc")
    assert main(["export", str(path)]) == 0
    back = pd.read_csv(tmp_path / "r_path.csv", index_col=[0, 1, 2])
    assert len(back) == n
    assert main(["export", str(path), "--per", "summary", "--out", str(tmp_path / "s.csv")]) == 0
    assert "drag_lo" in (tmp_path / "s.csv").read_text().splitlines()[0]


def test_a_run_stores_its_summary_and_report_reuses_it(tmp_path, monkeypatch, capsys):
    import pandas as pd

    from simulator.cli import main
    from simulator.results import summary

    path = tmp_path / "q.nc"
    assert main(["run", "quickstart", "--paths", "64", "--out", str(path), "-q"]) == 0
    printed = capsys.readouterr().out
    cube = sim.open_cube(path)
    assert cube.summary.dims == ("scenario", "strategy", "summary_field")
    assert cube.summary.attrs["n_boot"] == 1000 and cube.summary_field.attrs["long_name"]
    assert cube.scenario.attrs and cube.strategy.attrs  # the cube's coordinates kept theirs
    pd.testing.assert_frame_equal(sim.summarize(cube), sim.summarize(cube, recompute=True))

    def no_bootstrap(*args, **kwargs):
        raise AssertionError("the stored summary should have been used")

    monkeypatch.setattr(summary, "_summarize", no_bootstrap)
    assert main(["report", str(path), "--out", str(tmp_path / "fig")]) == 0
    reported = capsys.readouterr().out
    assert printed.split("\n", 1)[1] in reported  # the same table, without a second bootstrap
    with pytest.raises(AssertionError, match="stored summary"):
        sim.summarize(cube, n_boot=200)  # other options: computed afresh


def test_strategy_labels_read_like_a_trader_would_say_them():
    assert figures.strategy_label("alvh[budget_annual=0.015]") == "alvh, budget 1.5 %/yr"
    assert figures.strategy_label("x[hedge.budget_annual=0.03,condor.dte=30]") == \
        "x, budget 3 %/yr, DTE 30"
    assert figures.strategy_label("unhedged") == "unhedged"


def test_figures_in_svg_and_pdf_and_bad_options(cube, tmp_path):
    table = summarize(cube, n_boot=20)
    svg = figures.write_figures(cube.sel(scenario=["crash"]), tmp_path / "s", table, fmt="svg")
    assert all(p.suffix == ".svg" and p.read_text().lstrip().startswith("<?xml") for p in svg)
    pdf = figures.write_figures(cube.sel(scenario=["crash"]), tmp_path / "p", table, fmt="pdf")
    assert all(p.read_bytes()[:5] == b"%PDF-" for p in pdf)
    with pytest.raises(ValueError, match="allowed png, svg, pdf"):
        figures.write_figures(cube, tmp_path / "x", table, fmt="jpg")
    with pytest.raises(ValueError, match="dpi 5"):
        figures.write_figures(cube, tmp_path / "x", table, dpi=5)
    low = figures.write_figures(cube.sel(scenario=["crash"]), tmp_path / "lo", table, dpi=60)
    high = figures.write_figures(cube.sel(scenario=["crash"]), tmp_path / "hi", table, dpi=200)
    assert high[0].stat().st_size > 2 * low[0].stat().st_size
