"""Like-for-like pairing, one unit per name, hedge spend beside its budget (issue 32)."""

import json

import numpy as np
import pytest
import xarray as xr
import yaml

import simulator as sim
from simulator.cli import main
from simulator.results.units import to_risk_capital
from simulator.scenario import ScenarioError, parse_scenario
from simulator.scenario.pairing import book_key

BASE = """
name: pairing
simulation: {paths: 16, days: 42, seed: 3}
model: {preset: svcj_2f_calibrated}
costs: {preset: retail_combo}
strategies:
  unhedged: {condor: {preset: monthly_16_delta}, hedge: none}
  alvh: {condor: {preset: monthly_16_delta}, hedge: {preset: alvh_40_40_20, budget_annual: 0.02}}
"""


def _plan(patch: dict):
    doc = yaml.safe_load(BASE)
    doc.update(patch)
    return parse_scenario(yaml.safe_dump(doc, sort_keys=False), source="f.yaml")


def _problems(patch: dict):
    doc = yaml.safe_load(BASE)
    doc.update(patch)
    with pytest.raises(ScenarioError) as info:
        parse_scenario(yaml.safe_dump(doc, sort_keys=False), source="f.yaml")
    return dict(info.value.problems)


# ---- pairing ---------------------------------------------------------------------------------

def test_a_sweep_of_costs_and_short_delta_pairs_each_variant_with_its_own_book():
    """Sweeping the costs preset and the short delta: every hedged variant is paired with a
    baseline of identical condor and costs, added where the file has none."""
    plan = _plan({"sweep": {"alvh.costs.preset": ["none", "retail_combo"],
                            "alvh.condor.short_delta": [0.10, 0.16]}})
    hedged = [k for k, s in plan.strategies.items() if s.hedge is not None]
    assert len(hedged) == 4
    for label in hedged:
        base = plan.paired_with[label]
        assert plan.strategies[base].hedge is None
        assert book_key(plan.strategies[base], plan.costs) == \
            book_key(plan.strategies[label], plan.costs), (label, base)
        got = plan.strategies[base]
        assert got.condor.short_delta == plan.strategies[label].condor.short_delta
        assert (got.costs or plan.costs).is_free == (plan.strategies[label].costs
                                                    or plan.costs).is_free
    # four books, four baselines: the file's unhedged (16-delta, retail_combo) is one of them
    assert len({plan.paired_with[k] for k in hedged}) == 4
    assert plan.paired_with["alvh[preset=retail_combo,short_delta=0.16]"] == "unhedged"
    assert plan.paired_with["alvh[preset=none,short_delta=0.1]"] == \
        "unhedged[preset=none,short_delta=0.1]"
    # the added baselines carry the sweep's coordinates they follow, NaN for the others
    i = list(plan.strategies).index("unhedged[preset=none,short_delta=0.1]")
    assert plan.sweep_coords["short_delta"][i] == 0.1 and plan.sweep_coords["preset"][i] == "none"
    assert all(len(v) == len(plan.strategies) for v in plan.sweep_coords.values())


def test_a_budget_sweep_needs_no_other_baseline():
    plan = _plan({"sweep": {"alvh.hedge.budget_annual": [0.01, 0.03]}})
    assert list(plan.strategies) == ["unhedged", "alvh[budget_annual=0.01]",
                                     "alvh[budget_annual=0.03]"]
    assert set(plan.paired_with.values()) == {None, "unhedged"}


def test_index_books_are_paired_among_themselves_and_need_no_condor():
    """The S&P 500 and VXTH-style rows: vxth_like against sp500, never against the condor;
    a scenario of index books alone needs no unhedged condor; a condor of another kind is a
    baseline of its own."""
    plan = _plan({"strategies": {
        "unhedged": {"condor": {"preset": "monthly_16_delta"}, "hedge": "none"},
        "alvh": {"condor": {"preset": "monthly_16_delta"}, "hedge": {"preset": "alvh_40_40_20"}},
        "cndr_like": {"condor": {"preset": "cndr_like"}, "hedge": "none"},
        "sp500": {"index": "sp500"},
        "vxth_like": {"index": "sp500", "hedge": {"preset": "vxth_like"}}}})
    assert plan.paired_with == {"unhedged": None, "alvh": "unhedged", "cndr_like": None,
                                "sp500": None, "vxth_like": "sp500"}
    alone = _plan({"strategies": {"sp500": {"index": "sp500"},
                                  "vxth_like": {"index": "sp500",
                                                "hedge": {"preset": "vxth_like"}}}})
    assert list(alone.strategies) == ["sp500", "vxth_like"]
    assert alone.paired_with["vxth_like"] == "sp500"


def test_first_entry_day_beyond_the_run_is_rejected(tmp_path, capsys):
    problems = _problems({"strategies": {
        "unhedged": {"condor": {"preset": "monthly_16_delta", "first_entry_day": 42}}}})
    loc = "strategies.unhedged.condor.first_entry_day"
    assert loc in problems and "allowed 0 .. 41" in problems[loc]
    # a sweep may set it too; the last possible entry day is accepted
    plan = _plan({"sweep": {"alvh.condor.first_entry_day": [0, 41]}})
    assert plan.strategies["alvh[first_entry_day=41]"].condor.first_entry_day == 41
    doc = yaml.safe_load(BASE)
    doc["strategies"]["unhedged"]["condor"]["first_entry_day"] = 60
    path = tmp_path / "late.yaml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    out = tmp_path / "late.nc"
    assert main(["run", str(path), "--out", str(out), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert str(path) in err and "first_entry_day" in err and "0 .. 41" in err
    assert not out.exists()


# ---- the summary -----------------------------------------------------------------------------

def _cube(n=400, seed=0):
    """A synthetic two-year cube: a condor book with a hedged variant (drawdowns 0.8x), a
    second condor (unpaired) and an S&P 500 core with a VXTH-style variant (0.5x)."""
    rng = np.random.default_rng(seed)
    dd = rng.uniform(0.01, 0.3, n)
    ret = rng.normal(0.05, 0.1, n)
    rec = rng.uniform(5, 100, n)
    names = ["unhedged", "alvh", "cndr_like", "sp500", "vxth_like"]
    dd_s = np.stack([dd, 0.8 * dd, 1.5 * dd, 4 * dd, 2 * dd])
    ret_s = np.stack([ret, ret - 0.01, ret, 3 * ret, 3 * ret - 0.02])
    premium = np.zeros((5, n))
    premium[1] = np.linspace(0.01, 0.05, n)  # mean 0.03 over two years: 1.5 %/yr
    premium[4] = 0.02
    dims = ("scenario", "strategy", "path")
    strategies = {"unhedged": {"condor": {"risk_per_tranche": 0.025}, "hedge": None},
                  "alvh": {"condor": {"risk_per_tranche": 0.025},
                           "hedge": {"budget_annual": 0.02, "sizing": "budget"}},
                  "cndr_like": {"condor": {"risk_per_tranche": 0.05}, "hedge": None},
                  "sp500": {"condor": None, "index": {"weight": 1.0}, "hedge": None},
                  "vxth_like": {"condor": None, "index": {"weight": 1.0},
                                "hedge": {"sizing": "contracts_per_condor"}}}
    pairs = {"unhedged": None, "alvh": "unhedged", "cndr_like": None, "sp500": None,
             "vxth_like": "sp500"}
    return xr.Dataset(
        {"trading_max_drawdown": (dims, dd_s[None]), "trading_return": (dims, ret_s[None]),
         "total_return": (dims, ret_s[None] + 0.08),
         "trading_recovery_days": (dims, np.stack([rec] * 5)[None]),
         "hedge_premium": (dims, premium[None])},
        coords={"scenario": ["s"], "strategy": names, "path": np.arange(n),
                "day": np.arange(505),
                "risk_capital": ("strategy", [0.025, 0.025, 0.05, np.nan, np.nan])},
        attrs={"strategies": json.dumps(strategies), "paired_with": json.dumps(pairs)})


def test_the_summary_pairs_like_with_like_and_gives_index_books_their_own_table():
    cube = _cube()
    table = sim.summarize(cube, n_boot=100)
    # vxth_like against sp500: drawdowns halved, 2 %/yr over two years given up... in P&L
    vx = table.loc[("s", "vxth_like")]
    assert vx["drawdown_reduction_median"] == pytest.approx(0.5, abs=1e-12)
    assert vx["drag"] == pytest.approx(0.01, abs=1e-12)  # 0.02 total over 2 years
    assert table.loc[("s", "alvh"), "drawdown_reduction_median"] == pytest.approx(0.2)
    for unpaired in ("unhedged", "cndr_like", "sp500"):
        assert np.isnan(table.loc[("s", unpaired)].get("drag", np.nan))
    text = sim.format_summary(table)
    lines = text.splitlines()
    index_head = next(i for i, line in enumerate(lines) if line.startswith("scenario  index"))
    first_table = lines[:index_head]
    assert not any("sp500" in line or "vxth_like" in line for line in first_table)
    assert any(line.split()[:2] == ["s", "sp500"] for line in lines[index_head:])
    vs_row = next(line for line in lines if line.split()[:3] == ["s", "vxth_like", "sp500"])
    assert "50.0" in vs_row  # DD cut 50 %, not a cut against the condor
    assert "-1291" not in text


def test_drawdowns_one_name_one_unit():
    """``max_drawdown_*`` are fractions of equity, as in the cube; ``*_risk_capital_*`` are
    the same divided by the strategy's own risk per tranche; NaN without a condor."""
    cube = _cube()
    table = sim.summarize(cube, n_boot=20)
    for name, rc in (("unhedged", 0.025), ("cndr_like", 0.05)):
        dd = cube.trading_max_drawdown.sel(scenario="s", strategy=name).values
        row = table.loc[("s", name)]
        assert row["max_drawdown_median"] == pytest.approx(np.median(dd))
        assert row["max_drawdown_risk_capital_p95"] == pytest.approx(np.quantile(dd, .95) / rc)
    assert np.isnan(table.loc[("s", "sp500"), "max_drawdown_risk_capital_median"])
    # the helper divides by the cube's coordinate, or by the strategies in its attributes
    var = cube.trading_max_drawdown
    in_rc = to_risk_capital(var)
    np.testing.assert_allclose(in_rc.sel(strategy="cndr_like").values,
                               var.sel(strategy="cndr_like").values / 0.05)
    assert "risk capital" in in_rc.attrs["long_name"] and in_rc.attrs["units"] == "1"
    old = cube.drop_vars("risk_capital")
    with pytest.raises(ValueError, match="pass the cube"):
        to_risk_capital(old.trading_max_drawdown)
    np.testing.assert_allclose(to_risk_capital(old.trading_max_drawdown, old).values,
                               in_rc.values, equal_nan=True)
    one = to_risk_capital(old.trading_max_drawdown.sel(strategy="alvh"), old)
    np.testing.assert_allclose(one.values, var.sel(strategy="alvh").values / 0.025)


def test_hedge_spend_is_the_premium_paid_per_year_beside_the_budget():
    """Hand check: alvh's paths pay 0.01 .. 0.05 (mean 0.03) over two years: 1.5 %/yr spent
    of a 2 %/yr budget; vxth_like is not budget-sized (no budget) and pays 0.02: 1 %/yr."""
    table = sim.summarize(_cube(), n_boot=20)
    alvh, vx = table.loc[("s", "alvh")], table.loc[("s", "vxth_like")]
    assert alvh["hedge_premium_per_year"] == pytest.approx(0.03 / 2, abs=1e-15)
    assert alvh["hedge_budget_per_year"] == 0.02
    assert vx["hedge_premium_per_year"] == pytest.approx(0.01, abs=1e-15)
    assert np.isnan(vx["hedge_budget_per_year"])
    assert np.isnan(table.loc[("s", "unhedged"), "hedge_budget_per_year"])
    text = sim.format_summary(table)
    assert "budget %/yr" in text and "spend %/yr" in text
    row = next(line for line in text.splitlines() if line.split()[:2] == ["s", "alvh"])
    assert row.split()[-2:] == ["2.00", "1.50"]


def test_an_index_only_scenario_runs_without_an_unhedged_condor(tmp_path, capsys):
    doc = yaml.safe_load(BASE)
    doc["strategies"] = {"sp500": {"index": "sp500"},
                         "vxth_like": {"index": "sp500", "hedge": {"preset": "vxth_like"}}}
    path = tmp_path / "index.yaml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    out = tmp_path / "index.nc"
    assert main(["run", str(path), "--out", str(out), "--quiet", "--format", "csv"]) == 0
    cube = sim.open_cube(out)
    assert json.loads(cube.attrs["paired_with"]) == {"sp500": None, "vxth_like": "sp500"}
    assert np.isnan(cube.risk_capital.values).all()
    printed = capsys.readouterr().out
    assert "vxth_like" in printed and "hedge_budget_per_year" in printed


def test_the_replay_finds_each_book_back_at_its_peak_only_after_its_trough(capsys):
    """2008: the cndr_like book sat flat at its September peak and used to read "back at peak
    2008-09-22" with its trough on 2008-11-20; a book without a condor says its unit."""
    assert main(["replay", "history_2008"]) == 0
    rows = {}
    for line in capsys.readouterr().out.splitlines():
        parts = line.split()
        if len(parts) >= 10 and parts[6] == "->" and parts[0] != "strategy":
            rows[parts[0]] = parts
    assert {"unhedged", "cndr_like", "sp500", "vxth_like"} <= set(rows)
    for name, parts in rows.items():
        trough, back = parts[7], parts[8]
        assert back in ("never", "-") or back > trough, (name, trough, back)
    assert rows["cndr_like"][8] == "never"
    assert rows["sp500"][3] == "%" and rows["sp500"][4] == "eq"
    assert rows["unhedged"][4] == "risk"


def test_two_swept_condors_get_a_baseline_each():
    """alvh on the 16-delta condor and single on cndr_like, both swept over the short delta:
    the same sweep values on two different condors name two baselines, not one."""
    plan = _plan({"strategies": {
        "unhedged": {"condor": {"preset": "monthly_16_delta"}, "hedge": "none"},
        "alvh": {"condor": {"preset": "monthly_16_delta"}, "hedge": {"preset": "alvh_40_40_20"}},
        "single": {"condor": {"preset": "cndr_like"}, "hedge": {"preset": "single_front"}}},
        "sweep": {"alvh.condor.short_delta": [0.1], "single.condor.short_delta": [0.1]}})
    a, b = plan.paired_with["alvh[condor_short_delta=0.1]"], \
        plan.paired_with["single[condor_short_delta=0.1]"]
    assert a != b
    for label, base in (("alvh[condor_short_delta=0.1]", a),
                        ("single[condor_short_delta=0.1]", b)):
        assert book_key(plan.strategies[base], plan.costs) == \
            book_key(plan.strategies[label], plan.costs)
