"""Real history as a path (groundwork of the history replays): the S&P 500 closes as shipped,
each day's state from that day's VIX closes only (no look-ahead), the real VIX reproduced by the
model wherever it can be, clear errors for windows without data, and strategies replayed on
2020 with their books balancing."""

import numpy as np
import pytest

import simulator as sim
from simulator.market.history import history_path
from simulator.model.stylized_facts import load_market_series
from simulator.scenario.replay import replay_history
from simulator.strategy import strategy
from simulator.strategy.engine import PNL_NAMES, PNL_PARTS


@pytest.mark.parametrize("name", ["svcj_default", "svcj_2f_default"])
def test_the_path_is_the_data_and_the_state_reproduces_vix(name):
    model = sim.load_model(name)
    path = history_path(model, "2020-01-02", "2020-12-31")
    spx = load_market_series("spx_daily")
    rows = np.searchsorted(spx["date"], path.dates)
    np.testing.assert_array_equal(spx["date"][rows], path.dates)
    np.testing.assert_array_equal(spx["close"][rows], path.spx)
    assert path.dates[0] == "2020-01-02" and 250 <= path.dates.size <= 254
    vix = model.vix_index(path.v, path.m) if model.two_factor else model.vix_index(path.v)
    ok = ~path.clipped
    assert ok.mean() > 0.9
    np.testing.assert_allclose(vix[ok], path.vix[ok], rtol=1e-12)
    # 16 March 2020: VIX 82.69 is matched (with two factors on the edge of the state space:
    # VIX3M closed 15 points below spot, more inverted than the model can make)
    day = np.flatnonzero(path.dates == "2020-03-16")[0]
    assert path.vix[day] == pytest.approx(82.69) and vix[day] == pytest.approx(82.69)


def test_a_day_never_sees_a_later_day():
    """The state of a day is the same whatever the window ends on: no look-ahead."""
    model = sim.load_model("svcj_2f_default")
    short = history_path(model, "2020-02-03", "2020-03-20")
    long = history_path(model, "2020-02-03", "2020-12-31")
    n = short.dates.size
    for field in ("spx", "vix", "v", "m"):
        np.testing.assert_array_equal(getattr(short, field), getattr(long, field)[:n])


@pytest.mark.parametrize("start, end, fragment", [
    ("2020-1-2", "2020-12-31", "start '2020-1-2': give a date as YYYY-MM-DD"),
    ("2020-01-02", "2020/12/31", "end '2020/12/31'"),
    ("2020-12-31", "2020-01-02", "the end is before the start")])
def test_dates_must_be_full_iso_dates_in_order(start, end, fragment):
    """A short date like 2020-1-2 would compare as a string, wrongly: refused."""
    with pytest.raises(ValueError, match=fragment):
        history_path(sim.load_model("svcj_default"), start, end)


def test_windows_without_enough_data_are_refused_with_the_data_range():
    with pytest.raises(ValueError, match=r"data run from 1990-01-02 to 2025-10-0\d"):
        history_path(sim.load_model("svcj_default"), "1985-01-01", "1985-12-31")
    with pytest.raises(ValueError, match="VIX3M"):  # a two-factor model needs VIX3M (2009-)
        history_path(sim.load_model("svcj_2f_default"), "2005-01-03", "2005-06-30")


def test_strategies_replayed_on_2020_balance_their_books():
    model = sim.load_model("svcj_2f_default")
    result, path = replay_history(model, {"unhedged": strategy("monthly_16_delta"),
                                          "alvh": strategy("monthly_16_delta",
                                                           "alvh_40_40_20")},
                                  "2020-01-02", "2020-12-31")
    assert result.equity.shape == (2, 1, path.dates.size)
    buckets = [PNL_NAMES.index(b) for b in PNL_PARTS]
    for k, name in enumerate(result.strategies):
        np.testing.assert_allclose(result.pnl[k, 0, buckets].sum(), result.total_return(name),
                                   atol=1e-12)
    opens = [t for t in result.trades if t.action == "condor open"]
    assert len(opens) >= 10 and all(0 <= t.day < path.dates.size for t in opens)
    # the hedge's layers were bought on the real VIX of their day
    buys = [t for t in result.trades if t.action == "VIX call buy"]
    assert buys and all(t.vix == pytest.approx(path.vix[t.day]) for t in buys)
    assert not np.array_equal(result.equity[0], result.equity[1])


def test_alvh_replay_prints_each_strategy_on_the_real_window(capsys):
    from simulator.cli import main

    assert main(["replay", "quickstart", "--start", "2020-01-02", "--end", "2020-06-30",
                 "--trades"]) == 0
    out = capsys.readouterr().out
    assert "2020-01-02 .. 2020-06-30" in out and "not historical quotes" in out
    for name in ("unhedged", "alvh", "single_front"):
        assert f"\n{name} " in out
    assert "2020-03-16" in out  # a dated trade log (the monetisation and rolls of March)
    assert main(["replay", "quickstart", "--start", "2020/01/02", "--end", "2020-06-30"]) == 2
    assert "YYYY-MM-DD" in capsys.readouterr().err


# ---- history as a scenario's path source (issue 15) ----------------------------------------

import xarray as xr  # noqa: E402

from simulator.calibration.states import curve_history  # noqa: E402
from simulator.pricing.pricer import Pricer  # noqa: E402

CALIBRATED = "svcj_2f_calibrated"
HELD = {"every_trading_days": 200, "dte": 45, "short_delta": 0.16, "wing_width": 50.0}
ONE_CALL = {"sizing": "budget", "budget_annual": 0.02,
            "layers": {"front": {"dte": 30, "roll_dte": 7, "weight": 1.0,
                                 "strike": {"rule": "pct_above_future", "value": 0.10}}},
            "term_structure": {"enabled": False}, "monetize": {"enabled": False}}


def _history_file(tmp_path, path_line, strategies=None, extra="", name="hist"):
    strategies = strategies or (
        "  unhedged: {condor: {preset: monthly_16_delta}, hedge: none}\n"
        "  alvh: {condor: {preset: monthly_16_delta}, hedge: {preset: alvh_40_40_20}}\n")
    text = (f"name: {name}\npath: {path_line}\nsimulation: {{seed: 0, chunk_paths: 16}}\n"
            f"model: {{preset: {CALIBRATED}}}\n{extra}strategies:\n{strategies}")
    file = tmp_path / f"{name}.yaml"
    file.write_text(text)
    return file


def _listed(expiry: str, date: str) -> float:
    vx = load_market_series("vix_futures_contracts_cboe")
    (row,) = np.flatnonzero((vx["expiry"] == expiry) & (vx["date"] == date))
    return float(vx["settle"][row])


def test_a_replay_priced_by_hand_gives_the_engines_pnl():
    """Four weeks of February 2020: one condor opened on day 0 and held, one VIX call bought
    on day 0, no costs. The condor takes the monthly SPX expiry nearest 45 days (Friday 20
    March 2020), the call the VIX expiry nearest 30 days (18 March; 19 February is as near,
    the later wins), both counted in real trading days. Each SPX price is the model's at that
    day's fitted state (Pricer, the public pricing API); the call is priced off the listed
    March contract's settlement with the model's smile around it. The engine's P&L buckets
    agree to 1e-10 of equity."""
    model = sim.load_model(CALIBRATED)
    s = {"s": strategy(HELD, ONE_CALL, costs="none")}
    result, path = replay_history(model, s, "2020-02-03", "2020-03-06")
    n = path.dates.size - 1
    price = Pricer(model)
    per_contract = 100.0 / 1_000_000.0
    spx_days = load_market_series("spx_daily")["date"]

    def trading_days_to(expiry):
        return int(np.sum((spx_days > "2020-02-03") & (spx_days <= expiry)))

    (opened,) = [t for t in result.trades if t.action == "condor open"]
    dte = trading_days_to("2020-03-20")
    assert opened.day == 0 and dte == 33  # 18 days in February (17th a holiday), 15 in March

    def condor(d, left):
        k = opened.strikes

        def leg(strike, kind):
            return price.spx_option(path.spx[d], path.v[d], left, strike, kind, m=path.m[d])

        return leg(k[1], "put") - leg(k[0], "put") + leg(k[2], "call") - leg(k[3], "call")

    credit = condor(0, float(dte))
    assert opened.price == pytest.approx(credit, abs=1e-10)
    qty = opened.contracts * per_contract
    mark_end = condor(n, float(dte - n))  # still open at the end: marked at the model price
    assert result.pnl_of("s", "condor")[0] == pytest.approx(qty * (credit - mark_end), abs=1e-10)

    (buy,) = [t for t in result.trades if t.action == "VIX call buy"]
    assert buy.day == 0 and not [t for t in result.trades if t.action == "VIX call sell"]
    tenor = trading_days_to("2020-03-18")
    future = _listed("2020-03-18", "2020-02-03")
    strike = buy.strikes[0]
    assert strike == round(1.10 * future)  # 10 % above the listed future of its expiry
    paid = price.vix_option_on_future(future, path.v[0], float(tenor), strike, m=path.m[0])
    assert buy.price == pytest.approx(paid, abs=1e-10)
    end_future = _listed("2020-03-18", "2020-03-06")
    got = price.vix_option_on_future(end_future, path.v[n], float(tenor - n), strike,
                                     m=path.m[n])
    calls = buy.contracts * per_contract
    assert result.pnl_of("s", "layer_front")[0] == pytest.approx(calls * (got - paid), abs=1e-10)
    assert result.count_of("s", "hedge_marks_listed")[0] == n  # every day after the purchase
    assert result.count_of("s", "hedge_marks_model")[0] == 0
    # the books balance: every bucket together is the account's return
    assert result.pnl_of("s", "interest")[0] > 0
    np.testing.assert_allclose(result.pnl[0, 0, :10].sum(), result.total_return("s")[0],
                               atol=1e-12)


@pytest.mark.parametrize("v, m, days, moneyness", [(0.02, 0.03, 14.0, 1.1), (0.09, 0.04, 40.0, 1.5),
                                                   (0.01, 0.02, 90.0, 0.9)])
def test_a_call_on_the_models_own_future_is_the_models_call(v, m, days, moneyness):
    """Invariant of pricing on a given (listed) future: handed the model's own future of that
    expiry, the price is the model's VIX call (a second code path: the table's option)."""
    price = Pricer(sim.load_model(CALIBRATED))
    future = float(price.vix_future(v, days, m=m))
    strike = round(moneyness * future, 1)
    assert price.vix_option_on_future(future, v, days, strike, m=m) == pytest.approx(
        float(price.vix_option(v, days, strike, m=m)), rel=1e-12, abs=1e-12)


def test_changing_the_data_after_a_day_changes_nothing_up_to_it(monkeypatch):
    """No look-ahead: every close after 2020-03-02 (the S&P 500 down 30 %, VIX, VIX3M, VIX6M
    and every VX settlement doubled) leaves every state, decision, trade and mark up to that
    day exactly as it was."""
    from simulator.market import calendar as calendar_module
    from simulator.market import curves as curves_module
    from simulator.market import history as history_module
    from simulator.model import stylized_facts

    model = sim.load_model(CALIBRATED)
    s = {"unhedged": strategy("monthly_16_delta"),
         "alvh": strategy("monthly_16_delta", "alvh_40_40_20")}
    before, path = replay_history(model, s, "2020-01-02", "2020-06-30")
    cut = "2020-03-02"
    d = int(np.flatnonzero(path.dates == cut)[0])
    original = stylized_facts.load_market_series

    def changed(name):
        data = original(name)
        later = data["date"] > cut
        for col in ("close", "settle", "open"):  # "open": the SPX settlement proxy
            if col in data:
                data[col] = np.where(later, data[col] * (0.7 if name == "spx_daily" else 2.0),
                                     data[col])
        return data

    for module in (stylized_facts, history_module, curves_module, calendar_module):
        monkeypatch.setattr(module, "load_market_series", changed)
    calendar_module._settlements.cache_clear()  # the VX settlements are read once a process
    try:
        after, path2 = replay_history(model, s, "2020-01-02", "2020-06-30")
    finally:
        calendar_module._settlements.cache_clear()
    assert not np.array_equal(path.spx, path2.spx)  # the change took
    for field in ("spx", "vix", "v", "m"):
        np.testing.assert_array_equal(getattr(path, field)[:d + 1],
                                      getattr(path2, field)[:d + 1])
    for name in ("equity", "trading", "hedge"):
        np.testing.assert_array_equal(getattr(before, name)[..., :d + 1],
                                      getattr(after, name)[..., :d + 1])
    early = [(t.strategy, t.day, t.action, t.detail, t.contracts, t.price)
             for t in before.trades if t.day <= d]
    assert early and early == [(t.strategy, t.day, t.action, t.detail, t.contracts, t.price)
                               for t in after.trades if t.day <= d]
    assert not np.array_equal(before.equity[..., -1], after.equity[..., -1])


def test_a_scenario_on_history_is_the_replay_and_names_its_dates(tmp_path, monkeypatch):
    from simulator.scenario.loader import load_scenario
    from simulator.scenario.runner import run_plan

    file = _history_file(tmp_path, "{source: history, start: 2022-01-03, end: 2022-03-31}")
    plan = load_scenario(file)
    cube = run_plan(plan, summary=True)
    result, path = replay_history(sim.load_model(CALIBRATED), plan.strategies, "2022-01-03",
                                  "2022-03-31")
    assert cube.sizes["path"] == 1 and cube.sizes["day"] == path.dates.size
    np.testing.assert_array_equal(cube.date.values, path.dates)
    assert cube.window_start.values[0] == "2022-01-03" and cube.attrs["path_source"] == "history"
    assert "not historical quotes" in cube.attrs["path_note"]
    from simulator.report.figures import footnote

    assert "real history 2022-01-03 to 2022-03-31" in footnote(cube)
    assert "not historical quotes" in footnote(cube) and "seed" not in footnote(cube)
    from simulator.report import history as history_report

    # the cube holds the replay (path, books, blotter): the figure reads it, never re-runs it
    stored, stored_path = history_report._replay_from_cube(cube, "base")
    assert stored.strategies == list(result.strategies)
    np.testing.assert_array_equal(stored.trading, result.trading)
    np.testing.assert_array_equal(stored_path.spx, path.spx)
    np.testing.assert_array_equal(stored_path.vix, path.vix)
    assert sorted((t.strategy, t.day, t.action) for t in stored.trades) == sorted(
        (t.strategy, t.day, t.action) for t in result.trades if t.action.startswith("VIX call"))
    assert stored.trades  # the hedged book bought calls in Q1 2022

    def no_rerun(*args, **kwargs):
        raise AssertionError("the report re-ran the replay")

    import simulator.scenario.replay as replay_module

    monkeypatch.setattr(replay_module, "replay_history", no_rerun)
    (tmp_path / "figures").mkdir()
    written = history_report.write_replay_figures(cube, tmp_path / "figures")  # its replay
    assert [p.name for p in written] == ["base_replay.png"]
    assert written[0].stat().st_size > 20_000
    for name in result.strategies:
        assert float(cube.total_return.sel(strategy=name).item()) == pytest.approx(
            result.total_return(name)[0], abs=1e-12)
    # one real path: numbers without confidence intervals, and the summary says why
    from simulator.results.summary import format_summary, summarize

    table = summarize(cube)
    assert np.isnan(table["drag_lo"]).all() and np.isfinite(table.loc[(slice(None), "alvh"),
                                                                        "drag"]).all()
    text = format_summary(table)
    assert "one real path: no sampling CI" in " ".join(text.split())
    assert "[" not in text.split("drag %/yr")[1].split("acct:")[0]


def test_the_first_rolling_window_is_the_single_window_replay(tmp_path):
    from simulator.scenario.loader import load_scenario
    from simulator.scenario.runner import run_plan

    windows = load_scenario(_history_file(
        tmp_path, "{source: history_windows, start: 2018-01-02, end: 2019-12-31, "
                  "length_days: 63, step_days: 21}", name="win"))
    w = windows.history
    assert w.n_paths == (w.dates.size - 1 - 63) // 21 + 1 and windows.n_days == 63
    first = load_scenario(_history_file(
        tmp_path, f"{{source: history, start: {w.dates[0]}, end: {w.dates[63]}}}", name="one"))
    a = run_plan(windows, summary=False)
    b = run_plan(first, summary=False)
    assert a.window_start.values[0] == b.window_start.values[0] == w.dates[0]
    assert a.window_end.values[0] == b.window_end.values[0] == w.dates[63]
    per_path = [name for name, var in b.data_vars.items() if "path" in var.dims]
    assert len(per_path) > 10
    coords = ["window_start", "window_end", "date"]
    left = a[per_path].isel(path=[0]).drop_vars(coords, errors="ignore")
    right = b[per_path].drop_vars(coords, errors="ignore")
    left.attrs = right.attrs = {}  # the runs' own provenance differs (file, span, source)
    xr.testing.assert_identical(left, right)
    # window i starts 21 i trading days later, and its days' states are the same days' states
    assert list(a.window_start.values[:3]) == list(w.dates[[0, 21, 42]])
    assert a.attrs["window_block"] == 3  # 63-day windows every 21 days: 3 share each day


@pytest.mark.parametrize("path_line, field, fragment", [
    ("{source: history, start: 1985-01-02, end: 1985-12-31}", "path.start",
     r"data run from|from the first VX futures"),
    ("{source: history, start: 2020-06-30, end: 2020-01-02}", "path", "before start"),
    ("{source: history_windows, start: 2020-01-02, end: 2020-12-31, length_days: 2000}",
     "path.length_days", "longer than the data's"),
    ("{source: history, start: 2020-01-02}", "path", "needs end"),
    ("{source: history_windows, start: 2020-01-02, end: 2020-12-31}", "path",
     "needs length_days"),
    ("{source: model, start: 2020-01-02}", "path", "only for a history source"),
    ("{source: history, start: 2020-13-02, end: 2020-12-31}", "path.start", "date"),
    # not sessions of the exchange (issue 29): Sandy, a day of mourning, Good Friday, a Sunday
    ("{source: history, start: 2012-10-29, end: 2012-12-31}", "path.start",
     r"2012-10-29 is not a trading session .*2012-10-26 and 2012-10-31"),
    ("{source: history_windows, start: 2024-06-03, end: 2025-01-09, length_days: 63}",
     "path.end", r"2025-01-09 is not a trading session"),
    ("{source: history, start: 2020-01-02, end: 2020-04-10}", "path.end",
     r"2020-04-10 is not a trading session .*\(Friday"),
    ("{source: history, start: 2020-03-01, end: 2020-06-30}", "path.start",
     r"2020-03-01 is not a trading session .*\(Sunday"),
    # a window outside the data (issue 29): refused, not cut to the data's part of it
    ("{source: history, start: 2025-01-02, end: 2025-12-31}", "path.end",
     r"2025-12-31 is after the last day of the data \(2025-10-06\)"),
    ("{source: history_windows, start: 2007-01-03, end: 2008-12-31, length_days: 63}",
     "path.start", r"2007-01-03 is before the first day of the data \(2007-07-24\)")])
def test_bad_history_input_exits_2_naming_the_field_and_writes_nothing(
        tmp_path, capsys, path_line, field, fragment):
    from simulator.cli import main

    file = _history_file(tmp_path, path_line)
    out = tmp_path / "out.nc"
    code = main(["run", str(file), "--out", str(out), "--quiet"])
    err = capsys.readouterr().err
    assert code == 2, err
    assert str(file) in err and field in err and "Traceback" not in err
    import re

    assert re.search(fragment, err), err
    assert not out.exists() and not list(tmp_path.glob(".out.nc*"))


def test_history_refuses_paths_days_shocks_and_a_missing_data_file(tmp_path, capsys,
                                                                    monkeypatch):
    from simulator.cli import main

    line = "{source: history, start: 2020-01-02, end: 2020-03-31}"
    file = _history_file(tmp_path, line)
    assert main(["run", str(file), "--paths", "100", "--quiet",
                 "--out", str(tmp_path / "a.nc")]) == 2
    assert "one path per window" in capsys.readouterr().err
    shocked = _history_file(tmp_path, line, extra="scenarios:\n  s: {shocks: [{day: 3, "
                                                   "vix: 40}]}\n", name="shocked")
    assert main(["validate", str(shocked)]) == 2
    assert "scenarios.s.shocks" in capsys.readouterr().err
    days = tmp_path / "days.yaml"
    days.write_text(file.read_text().replace("{seed: 0,", "{seed: 0, days: 30,"))
    assert main(["validate", str(days)]) == 2
    assert "simulation.days" in capsys.readouterr().err

    from simulator.market import curves as market
    from simulator.market import history as history_module
    from simulator.model import stylized_facts

    def missing(name):
        raise FileNotFoundError(f"no market data file {name}.csv in simulator/data/market")

    for module in (stylized_facts, history_module, market):
        monkeypatch.setattr(module, "load_market_series", missing)
    out = tmp_path / "b.nc"
    assert main(["run", str(file), "--quiet", "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "path" in err and "market data missing" in err and not out.exists()


def test_block_bootstrap_keeps_neighbours_together_and_widens_dependent_cis():
    from simulator.results.stats import block_resample_indices, resample_indices

    idx = block_resample_indices(100, 50, 7, 10)
    assert idx.shape == (50, 100) and idx.min() >= 0 and idx.max() < 100
    steps = np.diff(idx, axis=1)[:, :9]  # within the first block: consecutive paths
    assert (steps == 1).all()
    np.testing.assert_array_equal(block_resample_indices(100, 5, 3, 1),
                                  resample_indices(100, 5, 3))
    # an AR(1) sequence with phi 0.9: the mean's true SE is sqrt((1 + phi) / (1 - phi)) =
    # 4.4 times the iid formula's; blocks of 30 recover most of that, single paths none
    rng = np.random.default_rng(11)
    x = np.zeros(3000)
    for t in range(1, x.size):
        x[t] = 0.9 * x[t - 1] + rng.standard_normal()
    se_iid = x[resample_indices(x.size, 400, 1)].mean(axis=1).std()
    se_block = x[block_resample_indices(x.size, 400, 1, 30)].mean(axis=1).std()
    assert se_block / se_iid > 3.0


def test_curve_states_match_vix_and_do_not_depend_on_the_window():
    model = sim.load_model(CALIBRATED)
    long = curve_history(model, "2019-06-03", "2020-12-31")
    short = curve_history(model, "2020-02-03", "2020-03-20")
    idx = np.searchsorted(long.dates, short.dates)
    for field in ("v", "m", "spx", "vix"):
        np.testing.assert_array_equal(getattr(short, field), getattr(long, field)[idx])
    vix = model.vix_index(long.v, long.m)
    inner = ~long.clipped
    assert np.abs(vix[inner] - long.vix[inner]).max() < 0.05  # spot VIX all but matched
    # two-factor history before VIX3M (Sep 2009): from the VX futures
    crisis = curve_history(model, "2008-09-02", "2009-03-31")
    assert crisis.dates[0] == "2008-09-02" and np.isnan(crisis.vix3m).all()


def test_alvh_replay_takes_the_files_window_and_draws_the_replay(tmp_path, capsys):
    from simulator.cli import main

    file = _history_file(tmp_path, "{source: history, start: 2018-01-02, end: 2018-03-29}")
    figure = tmp_path / "replay.png"
    assert main(["replay", str(file), "--figure", str(figure)]) == 0
    out = capsys.readouterr().out
    assert "2018-01-02 .. 2018-03-29" in out and "not historical quotes" in out
    assert figure.stat().st_size > 20_000 and figure.read_bytes()[:4] == b"\x89PNG"
    # a file without a window of its own needs --start and --end
    plain = tmp_path / "plain.yaml"
    plain.write_text(file.read_text().replace(
        "path: {source: history, start: 2018-01-02, end: 2018-03-29}\n", "").replace(
        "{seed: 0,", "{paths: 10, seed: 0,"))
    assert main(["replay", str(plain)]) == 2
    assert "--start" in capsys.readouterr().err


# ---- the exchange calendar -----------------------------------------------------------------

def test_expiry_calendar_third_fridays_good_fridays_and_vix_wednesdays():
    from simulator.market.expiries import (
        spx_expiries,
        third_friday,
        vix_expiries,
        vix_rule_expiry,
    )

    days = load_market_series("spx_daily")["date"]
    assert str(third_friday(2020, 3)) == "2020-03-20" and str(third_friday(2021, 1)) == "2021-01-15"
    # Good Friday 2008 (21 March) and 2014 (18 April): the Thursday before
    assert list(spx_expiries("2008-03-01", "2008-04-30", days)) == ["2008-03-20", "2008-04-18"]
    assert list(spx_expiries("2014-04-01", "2014-04-30", days)) == ["2014-04-17"]
    # the rule (30 days before the next month's third Friday) agrees with every listed expiry
    vx = np.unique(load_market_series("vix_futures_contracts_cboe")["expiry"])
    ruled = [str(vix_rule_expiry(int(e[:4]), int(e[5:7]))) for e in vx]
    agree = np.mean([a == b for a, b in zip(ruled, vx, strict=True)])
    assert agree > 0.95  # holidays move a few (e.g. Juneteenth 2024: Tuesday 18 June)
    assert list(vix_expiries("2020-01-01", "2020-04-30")) == [
        "2020-01-22", "2020-02-19", "2020-03-18", "2020-04-15"]
    assert list(vix_expiries("2030-01-01", "2030-02-28")) == [
        str(vix_rule_expiry(2030, 1)), str(vix_rule_expiry(2030, 2))]


def test_nearest_expiry_counts_trading_days_and_breaks_ties_later():
    from simulator.market.calendar import _days_to, _nearest

    exp = np.array(["2020-02-19", "2020-03-18"], dtype="datetime64[D]")
    d = np.array(["2020-02-03", "2020-02-04"], dtype="datetime64[D]")
    # 3 Feb + 30 = 4 Mar: 14 days from either expiry -> the later; 4 Feb + 30: March (13)
    np.testing.assert_array_equal(_nearest(exp, d, 30), [1, 1])
    np.testing.assert_array_equal(_nearest(exp, d, 10), [0, 0])
    # never inside the layer's own roll window: 19 Feb is within 20 days of 3 Feb
    np.testing.assert_array_equal(_nearest(exp, d, 10, beyond_days=20), [1, 1])
    row = np.array(["2020-02-03", "2020-02-04", "2020-02-05"], dtype="datetime64[D]")
    # beyond the path's last day too the exchange's sessions: 4 .. 19 Feb less Presidents'
    # Day (17 Feb) = 11 (Monday to Friday beyond the window, as before issue 29, gave 12)
    assert list(_days_to(row, np.array(["2020-02-19"] * 3, dtype="datetime64[D]"))) == [
        11, 10, 9]


def test_a_history_cube_records_how_the_layers_were_priced(tmp_path):
    """2008-2009: the listed contracts price the layers; the cube counts listed and model
    marks for each strategy (the hedge's marks, summed over the window)."""
    from simulator.scenario.loader import load_scenario
    from simulator.scenario.runner import run_plan

    cube = run_plan(load_scenario(_history_file(
        tmp_path, "{source: history, start: 2008-09-02, end: 2008-12-31}")), summary=False)
    counts = cube.trades_per_path.sel(strategy="alvh")  # one path: the counts themselves
    listed = int(counts.sel(event="hedge_marks_listed").sum())
    model = int(counts.sel(event="hedge_marks_model").sum())
    assert listed > 100 and listed > 10 * model
    assert int(cube.trades_per_path.sel(strategy="unhedged",
                                        event="hedge_marks_listed").sum()) == 0


def test_one_factor_windows_reach_1990_and_flag_model_priced_layers(tmp_path):
    """Before the VX futures (2004-2006) there are no listed contracts: a one-factor model
    runs from 1990 on spot VIX, and every layer mark is counted as model-priced."""
    from simulator.scenario.loader import load_scenario
    from simulator.scenario.runner import run_plan

    file = _history_file(tmp_path, "{source: history_windows, start: 1990-01-02, "
                                    "end: 1991-12-31, length_days: 126, step_days: 63}")
    file.write_text(file.read_text().replace(CALIBRATED, "svcj_default"))
    cube = run_plan(load_scenario(file), summary=False)
    assert cube.window_start.values[0] == "1990-01-02" and cube.sizes["path"] >= 5
    counts = cube.trades_per_path.sel(strategy="alvh")
    assert float(counts.sel(event="hedge_marks_listed").sum()) == 0
    assert float(counts.sel(event="hedge_marks_model").sum()) > 100


def test_a_history_run_keeps_its_blotter_and_exports_it_per_trade(tmp_path):
    """A one-window replay stores its trade blotter (no simulation.trade_log_paths needed):
    `alvh export --per trade` gives date, instrument, strikes, expiry (a date), quantity,
    price, cost and reason of every trade; the condors expire on third Fridays (or the
    Thursday before a Good Friday)."""
    import datetime

    import pandas as pd

    from simulator.cli import main

    file = _history_file(tmp_path, "{source: history, start: 2022-01-03, end: 2022-03-31}")
    out = tmp_path / "h.nc"
    assert main(["run", str(file), "--quiet", "--no-summary", "--out", str(out)]) == 0
    assert main(["export", str(out), "--per", "trade", "--out", str(tmp_path / "t.csv")]) == 0
    trades = pd.read_csv(tmp_path / "t.csv")
    for column in ("date", "instrument", "strike_short_put", "expiry_date", "quantity", "price",
                   "cost", "reason"):
        assert column in trades.columns, column
    assert set(trades.strategy) == {"unhedged", "alvh"}
    condors = trades[trades.instrument == "SPX iron condor"]
    assert len(condors) >= 4 and (condors.date >= "2022-01-03").all()
    from simulator.market.sessions import history_sessions

    sessions = set(history_sessions().astype(str))
    for expiry in condors.expiry_date:
        day = datetime.date.fromisoformat(expiry)
        friday = day + datetime.timedelta(days=1) if day.weekday() == 3 else day
        # a third Friday, or the Thursday before it when the Friday is a holiday (Good Friday:
        # the April 2022 expiry is 14 April)
        assert friday.weekday() == 4 and 15 <= friday.day <= 21, expiry
        assert friday == day or str(friday) not in sessions, expiry
    assert (trades.expiry_date >= trades.date).all()
    assert (trades[trades.instrument.str.startswith("VIX call")].strategy == "alvh").all()


def test_futures_listed_refuses_a_window_whose_rules_would_read_the_model(tmp_path, capsys):
    """path.futures: listed: the rules may read only listed futures. February-March 2019 are
    missing from the VX data (every day of Q1 2019 lacks them): exit 2 naming path.futures and
    the first such day, nothing written; Q1 2020 has them every day and runs, every rule read
    listed; with a model source the field is refused."""
    from simulator.cli import main

    bad = _history_file(tmp_path, "{source: history, start: 2019-01-02, end: 2019-03-29, "
                                  "futures: listed}", name="q1_2019")
    out = tmp_path / "bad.nc"
    assert main(["run", str(bad), "--quiet", "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "path.futures" in err and "2019-01-02" in err and "q1_2019.yaml" in err
    assert not out.exists()
    good = _history_file(tmp_path, "{source: history, start: 2020-01-02, end: 2020-03-31, "
                                   "futures: listed}", name="q1_2020")
    from simulator.scenario.loader import load_scenario
    from simulator.scenario.runner import run_plan

    cube = run_plan(load_scenario(good), summary=False)
    events = cube.trades_per_path.sel(strategy="alvh")
    assert int(events.sel(event="rule_futures_model").sum()) == 0
    assert int(events.sel(event="rule_futures_listed").sum()) > 0
    model = tmp_path / "m.yaml"
    model.write_text(bad.read_text().replace(
        "{source: history, start: 2019-01-02, end: 2019-03-29, futures: listed}",
        "{source: model, futures: listed}"))
    assert main(["validate", str(model)]) == 2
    assert "futures" in capsys.readouterr().err
