"""Real history as a path (groundwork of the history replays): the S&P 500 closes as shipped,
each day's state from that day's VIX closes only (no look-ahead), the real VIX reproduced by the
model wherever it can be, clear errors for windows without data, and strategies replayed on
2020 with their books balancing."""

import numpy as np
import pytest

import simulator as sim
from simulator.model.history import history_path
from simulator.model.stylized_facts import load_market_series
from simulator.strategy import replay_history, strategy
from simulator.strategy.engine import PNL_NAMES


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
    buckets = [PNL_NAMES.index(b) for b in PNL_NAMES[:9]]
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
