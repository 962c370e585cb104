"""The Cboe index rules (issue 29 item 4): CNDR's roll from one monthly expiry to the next,
the index-style return on notional, and a window outside the data refused."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

from simulator.market.history import history_dates
from simulator.strategy.config import StrategyConfig

# the monthly SPX expiries of 2019: third Fridays, Good Friday (19 Apr) moved to the Thursday
THIRD_FRIDAYS_2019 = ["2019-01-18", "2019-02-15", "2019-03-15", "2019-04-18", "2019-05-17",
                      "2019-06-21", "2019-07-19", "2019-08-16", "2019-09-20", "2019-10-18",
                      "2019-11-15", "2019-12-20"]


def _cndr():
    return StrategyConfig.model_validate({"condor": {"preset": "cndr_like"}, "hedge": "none"})


def test_cndr_like_follows_the_published_rule():
    c = _cndr().condor
    assert (c.short_delta, c.wing_delta, c.open_on) == (0.20, 0.05, "expiry")
    assert c.take_profit is None and c.stop_multiple is None and c.exit_dte == 0


def test_cndr_opens_on_the_first_day_and_each_monthly_expiry_of_2019():
    from simulator.market.calendar import expiry_schedule
    from simulator.market.sessions import sessions_between

    dates = history_dates("2019-01-02", "2019-12-31", False)
    cal = expiry_schedule(dates[None], [30, 30], [[None] * 4], ["expiry", "cycle"])
    roll = cal.condor_days[0, 0]
    opened = dates[roll > 0]
    assert list(opened) == ["2019-01-02", *THIRD_FRIDAYS_2019]
    # each condor runs to the next roll day exactly: one condor at a time, no gap, no overlap
    d64 = dates.astype("datetime64[D]")
    at = np.flatnonzero(roll > 0)
    for a, b in itertools.pairwise(at):
        assert roll[a] == b - a
        assert roll[a] == sessions_between(d64[a:a + 1], d64[b:b + 1])[0]
    # the last one (20 Dec) runs to the January 2020 expiry (17 Jan)
    assert roll[at[-1]] == sessions_between(np.array(["2019-12-20"], dtype="datetime64[D]"),
                                            np.array(["2020-01-17"], dtype="datetime64[D]"))[0]
    # the cycle group beside it is unchanged: a count on every day
    assert (cal.condor_days[0, 1] > 0).all()


def test_a_cndr_replay_holds_one_condor_from_expiry_to_expiry():
    from simulator.model.presets import load_model
    from simulator.scenario.replay import replay_history

    result, path = replay_history(load_model("svcj_default"), {"cndr": _cndr()},
                                  "2019-01-02", "2019-06-28")
    opens = [t for t in result.trades if t.action == "condor open"]
    closes = [t for t in result.trades if t.action == "condor close"]
    assert [path.dates[t.day] for t in opens] == ["2019-01-02", *THIRD_FRIDAYS_2019[:6]]
    # every condor but the last settles on the day the next one is sold, before it
    assert [t.day for t in closes] == [t.day for t in opens[1:]]
    assert all("expiry" in t.detail for t in closes)


def _event(strategy, day, action, price, cash_flow, cost=0.0, strikes=()):
    from simulator.strategy.engine import TradeEvent

    return TradeEvent(strategy, 0, day, action, "", 1.0, price, cash_flow, cost, 0.0, 0.0,
                      math.nan, strikes)


def test_index_return_on_notional_by_hand():
    """Two rolls by hand: a condor 100/150 P 250/280 C sold for 10 points (max loss 50 - 10 =
    40, notional 10 x 40 = 400 points a condor); the book (fractions of starting equity, one
    condor = cash_flow 0.01 of credit, so a point is 0.001) gains 10 points by the next roll
    and loses 25 by the end of the window; T-bills grow 0.1 % a day."""
    from simulator.results.replay import CNDR_COLLATERAL_MULTIPLE, index_return
    from simulator.strategy.engine import EngineResult

    assert CNDR_COLLATERAL_MULTIPLE == 10.0
    n = 10
    trading = np.ones(n + 1)
    trading[1:4] = 1.0 - 0.0005          # the day-0 sale cost 0.5 point
    trading[4:] = 1.0 + 0.010 - 0.0005 - 0.0005  # +10 points, then the day-4 sale cost
    trading[-1] = trading[4] - 0.025      # the second condor: -25 points (costs in)
    strikes = (100.0, 150.0, 250.0, 280.0)
    trades = [_event("c", 0, "condor open", 10.0, 0.010, 0.0005, strikes),
              _event("c", 4, "condor close", 0.0, 0.0),
              _event("c", 4, "condor open", 10.0, 0.010, 0.0005, strikes)]
    res = EngineResult(["c"], np.ones((1, 1, n + 1)), np.zeros((1, 1, 1)),
                       np.zeros((1, 1, 1)), trades, trading[None, None], None)
    g = 1.001
    notional = 0.010 * 10.0 * (50.0 - 10.0) / 10.0  # 0.4: 400 points
    first = g ** 4 - 1.0 + (0.010 - 0.0005) / notional  # to the pre-trade book of day 4
    second = g ** 6 - 1.0 + (-0.025 - 0.0005) / notional
    expected = (1.0 + first) * (1.0 + second) - 1.0
    assert index_return(res, 0, _cndr(), g) == pytest.approx(expected, rel=1e-12)
    # a book without a condor is its own notional: the account's return
    equity = np.linspace(1.0, 1.2, n + 1)
    res_index = EngineResult(["i"], equity[None, None], np.zeros((1, 1, 1)),
                             np.zeros((1, 1, 1)), [], equity[None, None], None)
    sp = StrategyConfig.model_validate({"index": "sp500"})
    assert index_return(res_index, 0, sp, g) == pytest.approx(0.2)
    # overlapping tranches follow no index
    cycle = StrategyConfig.model_validate({"condor": {"preset": "monthly_16_delta"},
                                           "hedge": "none"})
    assert math.isnan(index_return(res, 0, cycle, g))


@pytest.mark.parametrize("start, end, field, fragment", [
    ("2025-06-02", "2025-12-31", "end", r"end 2025-12-31 is after the last day of the data "
                                        r"\(2025-10-06\)"),
    ("1989-12-29", "1990-03-30", "start", r"start 1989-12-29 is before the first day of the "
                                          r"data \(1990-01-02\)")])
def test_a_window_outside_the_data_is_refused(start, end, field, fragment):
    from simulator.calibration.states import curve_history
    from simulator.model.presets import load_model

    with pytest.raises(ValueError, match=fragment):
        curve_history(load_model("svcj_default"), start, end)
    with pytest.raises(ValueError, match=f"path.{fragment}"):
        history_dates(start, end, False, "path")


def test_replay_outside_the_data_exits_2_and_writes_nothing(tmp_path, capsys):
    from simulator.cli import main

    figure = tmp_path / "r.png"
    code = main(["replay", "scenarios/history_covid.yaml", "--start", "2025-06-02", "--end",
                 "2025-12-31", "--figure", str(figure)])
    err = capsys.readouterr().err
    assert code == 2, err
    assert "end 2025-12-31 is after the last day of the data" in err
    assert "Traceback" not in err and not list(tmp_path.iterdir())
