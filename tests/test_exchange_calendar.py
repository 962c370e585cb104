"""The one exchange calendar of history runs (issue 29, item 1): XNYS sessions from
``exchange_calendars``; every trading-day count, and so every decision, the same in every
window that holds the day."""

from __future__ import annotations

import numpy as np
import pytest

from simulator.market.calendar import expiry_schedule
from simulator.market.history import history_dates, rolling_windows
from simulator.market.sessions import (
    DATA_HOLES,
    adhoc_before,
    adhoc_closures,
    check_session,
    exchange_sessions,
    history_sessions,
    sessions_between,
    unknown_closures,
)
from simulator.model.stylized_facts import load_market_series

SPAN = ("1990-01-02", "2025-10-06")  # the shipped one-factor span (S&P 500 and VIX closes)
# condor groups at 45 and 30 DTE; one strategy's three layers and its term-structure roll-out
CONDORS = [45, 30]
LAYERS = [[(30, 7), (75, 21), (150, 30), (120, 7)]]


def _d64(values):
    return np.asarray(values).astype("datetime64[D]")


def test_the_data_days_are_the_exchange_sessions_less_four_missing_vix_closes():
    """The library's XNYS sessions against the shipped S&P 500 data (an independent record of
    the days the exchange traded): from 1980 every S&P 500 day is a session and every session
    an S&P 500 day; the history clock (S&P 500 and VIX closes) lacks exactly DATA_HOLES."""
    spx = _d64(load_market_series("spx_daily")["date"])
    spx = spx[spx >= np.datetime64("1980-01-02")]
    s = exchange_sessions()
    s = s[s <= spx[-1]]
    np.testing.assert_array_equal(s, spx)
    days = _d64(history_dates(*SPAN, False))
    clock = history_sessions()
    clock = clock[(clock >= days[0]) & (clock <= days[-1])]
    np.testing.assert_array_equal(clock, days)
    assert sorted(set(s[(s >= days[0])].astype(str)) - set(days.astype(str))) == list(DATA_HOLES)
    # hand-checked closures: Sandy, 9/11, the days of mourning; Good Friday; a regular Monday
    closed = ["2012-10-29", "2012-10-30", "2001-09-11", "2001-09-14", "2025-01-09",
              "2018-12-05", "2007-01-02", "2004-06-11", "1994-04-27", "2008-03-21",
              "2026-04-03", "2026-12-25"]
    assert not np.isin(_d64(closed), exchange_sessions()).any()
    assert np.isin(_d64(["2012-10-31", "2001-09-17", "2025-01-10", "2026-04-06"]),
                   exchange_sessions()).all()


def _windows(length: int, step: int) -> np.ndarray:
    w = rolling_windows(history_dates(*SPAN, False), length, step)
    return w.dates[w.starts[:, None] + np.arange(w.n_days + 1)]


def _decisions(dates: np.ndarray) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """(session number of the day, expiry's date as a session number) per decision kind, for
    every path-day of ``dates``: the expiry a trade opened that day would take."""
    cal = expiry_schedule(dates, CONDORS, LAYERS)
    clock = history_sessions()
    day = np.searchsorted(clock, _d64(dates))
    assert (clock[day] == _d64(dates)).all()
    out = {}
    for g in range(len(CONDORS)):
        out[f"condor{g}"] = day, day + cal.condor_days[:, g]
    for j in range(4):
        out[f"layer{j}"] = day, day + cal.layer_days[:, 0, j]
    # the count as known that day (what prices and strikes): the realised count plus the
    # unscheduled closures between, read from the chunk's run of adhoc_before
    at = cal.adhoc_day0[:, None] + np.arange(dates.shape[1])
    for key in [k for k in out if not k.startswith("known")]:
        count = out[key][1] - day
        out[f"known {key}"] = day, day + count + cal.adhoc[at + count] - cal.adhoc[at]
    # a path's days are consecutive sessions of the clock, so inside the window d + count is
    # the path day of the expiry's date (the engine's day counter settles on that date)
    assert (np.diff(day, axis=1) == 1).all()
    return out


def test_every_window_takes_the_same_expiries_and_day_counts_on_its_shared_days():
    """Every 63-day window of 1990-2025 (8,941, a day apart), 252-day windows every 21 days,
    the windows that end just before Sandy (26 Oct 2012) and the 9 Jan 2025 closure, and the
    whole span as one window: on each date, each decision's expiry and trading days to it are
    one value whatever the window (before issue 29 a window ending before the expiry counted
    Monday to Friday beyond its end)."""
    d_all = history_dates(*SPAN, False)
    ends = ["2012-10-26", "2012-10-31", "2024-12-02", "2024-12-31", "2025-01-08", "2025-01-10"]
    special = np.array([d_all[np.searchsorted(d_all, e) - 62:np.searchsorted(d_all, e) + 1]
                        for e in ends])
    chunks = [_windows(62, 1), _windows(252, 21), special, d_all[None]]
    seen: dict[str, list[np.ndarray]] = {}
    n_decisions = 0
    for dates in chunks:
        for key, (day, expiry) in _decisions(dates).items():
            seen.setdefault(key, []).append(np.stack([day.ravel(), expiry.ravel()]))
            n_decisions += day.size
    for key, parts in seen.items():
        pairs = np.unique(np.concatenate(parts, axis=1), axis=1)
        days, counts = np.unique(pairs[0], return_counts=True)
        assert counts.max() == 1, (key, history_sessions()[days[counts > 1][:5]])
    assert n_decisions > 3_000_000  # 6 decisions x (8,941 x 63 + ...) path-days


@pytest.mark.parametrize("day, dte, expiry, count", [
    # 2 Dec 2024 + 45 days: 17 Jan 2025; Dec 3-31 has 20 sessions (25 Dec closed), Jan 2-17
    # 11 (1 Jan and 9 Jan closed): 31; a window ending 31 Dec used to count 33 (Mon-Fri)
    ("2024-12-02", 45, "2025-01-17", 31),
    # 26 Oct 2012 + 30: 16 Nov 2012; 13 sessions (29-30 Oct closed for Sandy); was 15
    ("2012-10-26", 30, "2012-11-16", 13),
    # Good Friday 18 Apr 2025: the April SPX expiry is Thursday 17 April in every window
    # (24 Mar - 17 Apr: 5 + 5 + 5 + 4 sessions)
    ("2025-03-21", 30, "2025-04-17", 19),
])
def test_hand_checked_counts_in_a_short_and_a_long_window(day, dte, expiry, count):
    d_all = history_dates(*SPAN, False)
    i = int(np.searchsorted(d_all, day))
    short = d_all[i:i + 3][None]  # ends long before the expiry
    long = d_all[i:i + 80][None]  # holds it
    for dates in (short, long):
        cal = expiry_schedule(dates, [dte], [[None] * 4])
        assert int(cal.condor_days[0, 0, 0]) == count
    assert long[0, count] == expiry


def test_the_unscheduled_closures_are_the_ad_hoc_holidays():
    """The library's ad hoc XNYS holidays from 1990 are the unscheduled closures: 9/11, Sandy
    and the days of mourning; every other weekday closure is a regular holiday by rule (Good
    Friday, Christmas, New Year's Day ... are not among them)."""
    days = adhoc_closures()
    assert list(days[days >= np.datetime64("1990-01-01")].astype(str)) == [
        "1994-04-27", "2001-09-11", "2001-09-12", "2001-09-13", "2001-09-14", "2004-06-11",
        "2007-01-02", "2012-10-29", "2012-10-30", "2018-12-05", "2025-01-09"]
    assert not np.isin(_d64(["2008-03-21", "2012-12-25", "2025-01-01", "2025-04-18",
                             "2022-06-20"]), days).any()
    clock = history_sessions()
    before = adhoc_before()
    assert before.shape == clock.shape and (np.diff(before) >= 0).all()
    i = np.searchsorted(clock, _d64(["2012-10-26", "2012-10-31", "2025-01-08", "2025-01-10"]))
    assert before[i[1]] - before[i[0]] == 2 and before[i[3]] - before[i[2]] == 1


@pytest.mark.parametrize("day, dte, expiry, realised, known", [
    # 26 Oct 2012 (Friday) + 30: 16 Nov. Realised: 31 Oct, 1-2 Nov, 5-9, 12-16 Nov = 13
    # (29-30 Oct closed for Sandy); on 26 Oct the calendar had 29 and 30 Oct open: 15
    ("2012-10-26", 30, "2012-11-16", 13, 15),
    # 2 Jan 2025 + 15: 17 Jan. Realised: 3, 6-8, 10, 13-17 Jan = 10 (9 Jan closed, the day
    # of mourning for President Carter); on the calendar of 2 Jan: 11
    ("2025-01-02", 15, "2025-01-17", 10, 11),
    # 2 Dec 2024 + 45: 17 Jan 2025; 31 realised sessions, 32 on the calendar of 2 Dec
    ("2024-12-02", 45, "2025-01-17", 31, 32),
    # 10 Sep 2001 + 10: 21 Sep 2001 (third Friday): 11-14 Sep closed, 17-21 Sep: 5; known 9
    ("2001-09-10", 10, "2001-09-21", 5, 9),
    # 17 Sep 2001 + 30: 19 Oct, after the closure: 4 + 5 + 5 + 5 + 5 sessions, nothing unknown
    ("2001-09-17", 30, "2001-10-19", 24, 24),
    # no closure between: one count (2-4 Mar, 4 weeks of 5 less Good Friday 25 Mar, 1-15 Apr)
    ("2016-03-01", 45, "2016-04-15", 32, 32),
])
def test_the_tenor_is_the_count_on_the_calendar_as_known_that_day(day, dte, expiry, realised,
                                                                   known):
    """The condor counts of a schedule (the countdown to settlement, realised) and the count
    as known on the day (pricing and strikes): hand-counted, in a window that ends long
    before the expiry and one that holds it (the expiry's path day is the realised count)."""
    d_all = history_dates(*SPAN, False)
    i = int(np.searchsorted(d_all, day))
    assert d_all[i] == day
    for dates in (d_all[i:i + 3][None], d_all[i:i + 80][None]):
        cal = expiry_schedule(dates, [dte], [[None] * 4])
        count = int(cal.condor_days[0, 0, 0])
        assert count == realised
        assert cal.known_days(0, 0, count) == known
    assert d_all[i + realised] == expiry
    d64, e64 = _d64([day]), _d64([expiry])
    assert int(sessions_between(d64, e64)[0] + unknown_closures(d64, e64)[0]) == known


def _replay_open(start: str, end: str, entry: str, dte: int, expiry: str, realised: int,
                 known: int):
    """A 16-delta condor opened on ``entry`` for ``expiry``, replayed from ``start`` to
    ``end``: its strikes are the grid strikes at ``known`` sessions (not ``realised``) and it
    settles on the path day of ``expiry``."""
    import simulator as sim
    from simulator.scenario.replay import replay_history
    from simulator.strategy import StrategyEngine, strategy
    from simulator.strategy import specs as S
    from simulator.strategy.strikes import condor_strikes

    model = sim.load_model("svcj_2f_calibrated")
    d_all = history_dates(start, end, False)
    first = int(np.searchsorted(d_all, entry))
    held = {"every_trading_days": 400, "first_entry_day": first, "dte": dte,
            "short_delta": 0.16, "wing_width": 50.0}
    strategies = {"s": strategy(held, None, costs="none")}
    result, path = replay_history(model, strategies, start, end)
    opens = [t for t in result.trades if t.action == "condor open"]
    closes = [t for t in result.trades if t.action == "condor close"]
    assert [t.day for t in opens] == [first] and path.dates[first] == entry
    assert [(t.day, t.detail) for t in closes] == [(first + realised, "tranche 0: expiry")]
    assert path.dates[first + realised] == expiry
    gs = StrategyEngine(model, strategies).groups[0]
    tab = StrategyEngine(model, strategies).kernel_tables
    m = 0.0 if path.m is None else path.m[first]

    def strikes(days):
        out = np.empty(4)
        condor_strikes(int(gs[S.GS_SHORT_MODE]), gs[S.GS_SHORT_TARGET], int(gs[S.GS_WING_MODE]),
                       gs[S.GS_WING_VALUE], 0.0, path.spx[first], path.v[first], m,
                       float(days), gs[S.GS_STEP], tab, out)
        return tuple(float(x) for x in out)

    assert opens[0].strikes == strikes(known)
    return opens[0].strikes, strikes(realised)


def test_a_condor_across_sandy_is_struck_on_the_calendar_of_its_day():
    """26 Oct 2012, 30 DTE: the 16 Nov expiry, 15 sessions on the calendar of 26 Oct (13
    realised): struck at 15, settled on 16 Nov's path day (13 path days later)."""
    got, at_realised = _replay_open("2012-10-01", "2012-12-31", "2012-10-26", 30,
                                    "2012-11-16", 13, 15)
    assert got != at_realised  # two sessions move the 16-delta shorts here


def test_a_condor_across_9_jan_2025_is_struck_on_the_calendar_of_its_day():
    """2 Jan 2025, 15 DTE: the 17 Jan expiry, 11 sessions on the calendar of 2 Jan (10
    realised: 9 Jan closed, a day of mourning)."""
    _replay_open("2024-12-02", "2025-02-28", "2025-01-02", 15, "2025-01-17", 10, 11)


@pytest.mark.parametrize("start, end, changes", [("2015-01-02", "2015-06-30", False),
                                                 ("2012-10-01", "2012-12-31", True)])
def test_only_windows_with_unscheduled_closures_change(start, end, changes):
    """A replay with the chunk's closures counted (the calendar as known each day) and one
    with them zeroed (the realised count as tenor, the rule before): the same trades, bit
    for bit, in a window without an unscheduled closure ahead of any of its positions; other
    trades across Sandy."""
    import dataclasses

    import simulator as sim
    from simulator.calibration.states import curve_history
    from simulator.strategy import StrategyEngine, strategy

    model = sim.load_model("svcj_2f_calibrated")
    strategies = {"a": strategy("monthly_16_delta", "alvh_40_40_20")}
    path = curve_history(model, start, end)
    engine = StrategyEngine(model, strategies)
    own = engine.schedule
    runs = []
    for zero in (False, True):
        def schedule(dates, n_paths, n_cols, zero=zero):
            cal = own(dates, n_paths, n_cols)
            return dataclasses.replace(cal, adhoc=np.zeros_like(cal.adhoc)) if zero else cal

        engine.schedule = schedule
        r = engine.evaluate(path.spx[None], path.v[None], path.vix[None],
                            m=None if path.m is None else path.m[None], log_paths=[0],
                            dates=path.dates[None])
        runs.append((r.equity, [repr(t) for t in r.trades]))  # repr: NaN equals NaN
    same = np.array_equal(runs[0][0], runs[1][0]) and runs[0][1] == runs[1][1]
    assert same != changes


def test_check_session_names_the_field_and_the_date():
    check_session("2012-10-31", "path.start")
    with pytest.raises(ValueError, match=r"path.end 2012-10-30 is not a trading session"):
        check_session("2012-10-30", "path.end")


@pytest.mark.parametrize("model_name", ["svcj_2f_calibrated"])
def test_the_strikes_of_2_dec_2024_do_not_depend_on_the_window_end(model_name):
    """The issue's case: a 45-DTE condor opened on 2 Dec 2024 (17 Jan 2025 expiry) had strikes
    5660/5710 or 5670/5720 depending on the window's end. Replayed in a window ending 3 Jan
    2025 and one ending 31 Mar 2025, the open and its VIX call (18 Dec 2024 / 22 Jan 2025
    expiry nearest 30 days) are the same trade, price for price."""
    import simulator as sim
    from simulator.scenario.replay import replay_history
    from simulator.strategy import strategy

    held = {"every_trading_days": 200, "dte": 45, "short_delta": 0.16, "wing_width": 50.0}
    call = {"sizing": "budget", "budget_annual": 0.02,
            "layers": {"front": {"dte": 30, "roll_dte": 7, "weight": 1.0,
                                 "strike": {"rule": "pct_above_future", "value": 0.10}}},
            "term_structure": {"enabled": False}, "monetize": {"enabled": False}}
    model = sim.load_model(model_name)
    s = {"s": strategy(held, call, costs="none")}
    opens = []
    for end in ("2025-01-03", "2025-03-31"):
        result, path = replay_history(model, s, "2024-12-02", end)
        assert path.dates[0] == "2024-12-02"
        opens.append([(t.action, t.day, t.strikes, t.price) for t in result.trades
                      if t.day == 0])
    assert opens[0] == opens[1] and len(opens[0]) == 2
