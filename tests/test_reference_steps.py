"""The Python twin step by step: each method of simulator.strategy.reference.ReferenceBook
against the kernel step of the same name on a small hand-made state (where the kernel step is
a numba function of its own), or against numbers worked out by hand.

tests/test_reference.py holds whole runs of the twin to the engine; these tests say which step
is wrong when that one fails."""

from __future__ import annotations

import numpy as np
import pytest

import simulator as sim
from simulator.strategy import StrategyEngine, strategy
from simulator.strategy import kernels as K
from simulator.strategy import specs as S
from simulator.strategy.config import StrategyConfig
from simulator.strategy.reference import ReferenceBook

N_DAYS = 5
STRATEGIES = {
    "alvh": strategy("monthly_16_delta", "alvh_40_40_20"),
    "max_loss": StrategyConfig.model_validate({
        "condor": {"preset": "monthly_16_delta", "sizing": "condor_max_loss"}}),
    "vxth": StrategyConfig.model_validate({"hedge": {"preset": "vxth_like"},
                                           "index": "sp500"}),
}


@pytest.fixture(scope="module")
def engine():
    return StrategyEngine(sim.load_model("svcj_default"), STRATEGIES)


def _book(engine, name, vix=20.0) -> ReferenceBook:
    """The twin on a flat path: S&P 500 at 5000, v = m = 0.04, VIX at ``vix``."""
    flat = np.ones(N_DAYS + 1)
    return ReferenceBook(engine, name, 5000.0 * flat, 0.04 * flat, 0.04 * flat, vix * flat)


def _no_log():
    return np.zeros((0, K.N_EF)), np.zeros(1, dtype=np.int64)


def test_the_twin_starts_where_open_book_does(engine):
    for name in ("alvh", "vxth"):
        book = _book(engine, name)
        acct, qty, layers = K.open_book(book.ss, 5000.0, 3)
        assert book.cash == acct[K.AC_CASH]
        assert book.index_units == acct[K.AC_INDEX_UNITS]
        assert book.index_paid == acct[K.AC_INDEX_PAID]
        assert book.dividend_factor == acct[K.AC_DIVIDEND_FACTOR]
        assert not qty.any() and (layers[:, K.LB_ARMED] == 1).all()
        assert book.armed == [True] * 3 and book.layers == [None] * 3


def test_accrue_is_the_kernels_accrue(engine):
    """Interest on cash and an index core's dividends, bit for bit."""
    book = _book(engine, "vxth")
    acct, _, _ = K.open_book(book.ss, 5000.0, 1)
    book.cash = acct[K.AC_CASH] = 0.8125
    pnl = np.zeros(K.N_BK)
    K.accrue(acct, 5000.0, engine.growth, pnl)
    book.accrue(1)
    assert book.cash == acct[K.AC_CASH] and book.interest_total == acct[K.AC_INTEREST_TOTAL]
    np.testing.assert_array_equal(book.pnl, pnl)
    assert pnl[K.BK_INDEX] > 0 and pnl[K.BK_INTEREST] > 0


@pytest.mark.parametrize("code", [K.CLOSE_STOP, K.CLOSE_EXPIRY])
def test_settle_condors_is_the_kernels_settle_condors(engine, code):
    """A tranche of 0.01 condors per unit of equity closed at 3.2 points: a stop pays the
    four legs' spreads, a settlement nothing."""
    book = _book(engine, "alvh")
    d, qty, value, legs = 2, 0.01, 3.2, np.array([10.0, 8.0, 7.0, 9.5])
    book.cash = 0.9
    book.condors = {7: qty}
    book.settle_condors(d, [("close", {"id": 7, "slot": 0, "reason": code, "value": value,
                                       "close_legs": legs})])
    acct = np.zeros(K.N_AC)
    acct[K.AC_CASH] = 0.9
    slots = np.array([qty])
    track = np.zeros((K.N_TF, N_DAYS + 1, 1))
    track[K.TF_CLOSE_CODE, d, 0] = code
    track[K.TF_CLOSE_VALUE, d, 0] = value
    track[K.TF_CLOSE_LEGS:K.TF_CLOSE_LEGS + 4, d, 0] = legs
    pnl, counts = np.zeros(K.N_BK), np.zeros(K.N_CT, dtype=np.int64)
    K.settle_condors(book.ss, acct, slots, track, d, 5000.0, 20.0, pnl, counts, *_no_log(),
                     np.zeros(0))  # spx_settle: none on a simulated path
    assert book.cash == acct[K.AC_CASH] and not book.condors and slots[0] == 0.0
    np.testing.assert_array_equal(book.pnl, pnl)
    np.testing.assert_array_equal(book.counts, counts)
    assert (pnl[K.BK_SPX_COST] < 0) == (code == K.CLOSE_STOP)


def test_book_close_is_the_kernels_book_close_and_ruin(engine):
    """An account the condor marks sink below zero: everything closed at the marks, no costs,
    the path ruined; a solvent one only reports its equity."""
    for cash, ruined in ((2.0, False), (0.05, True)):
        book = _book(engine, "alvh")
        d = 3
        book.cash = cash
        book.condors = {0: 0.02}
        book.marks[d] = {0: 30.0}
        book.layers[1] = {"qty": 0.4, "strike": 30.0, "expiry": 40, "cost": 0.5,
                          "entry": 0.55, "price": 0.75}
        acct = np.zeros(K.N_AC)
        acct[K.AC_CASH] = cash
        qty = np.array([0.02])
        track = np.zeros((K.N_TF, N_DAYS + 1, 1))
        track[K.TF_MARK, d, 0] = 30.0
        layers = np.zeros((3, K.N_LB))
        layers[1, K.LB_QTY], layers[1, K.LB_PRICE] = 0.4, 0.75
        pnl, counts = np.zeros(K.N_BK), np.zeros(K.N_CT, dtype=np.int64)
        eq, _ = K.book_close(acct, qty, layers, track, d, 5000.0, pnl, counts)
        assert book.book_close(d) == pytest.approx(eq, abs=1e-15)
        assert book.ruined == ruined == (acct[K.AC_RUINED] > 0)
        np.testing.assert_allclose(book.pnl, pnl, rtol=0, atol=1e-15)
        np.testing.assert_array_equal(book.counts, counts)
        assert book.cash == pytest.approx(acct[K.AC_CASH], abs=1e-15)


def test_manage_layers_settles_an_expiring_call_at_its_intrinsic_value():
    """By hand: 0.4 calls struck at 25 expiring with VIX at 30 settle at 5 points each, free
    of costs; the layer is empty and due again the same day."""
    engine = StrategyEngine(sim.load_model("svcj_default"), {"alvh": STRATEGIES["alvh"]})
    book = _book(engine, "alvh", vix=30.0)
    d = 2
    book.cash = 1.0
    book.layers[0] = {"qty": 0.4, "strike": 25.0, "expiry": d, "cost": 1.0, "entry": 1.1,
                      "price": 1.0}
    book.manage_layers(d)
    assert book.cash == pytest.approx(1.0 + 0.4 * 5.0, abs=1e-15)
    assert book.pnl[K.BK_LAYER0] == pytest.approx(2.0) and book.pnl[K.BK_VIX_COST0] == 0.0
    assert book.counts[K.CT_HEDGE_EXPIRY] == 1 and book.layers[0] is None
    assert book.next_buy[0] == d


def test_tranche_qty_by_hand(engine):
    """condor_max_loss sizing: 2.5 % of equity over the max loss; condor_hedge_costs: less
    the hedge spend per tranche, over the max loss plus the round trip's costs."""
    tranche = {"max_loss": 20.0, "open_legs": np.array([10.0, 8.0, 7.0, 9.5])}
    plain = _book(engine, "max_loss")
    assert plain.tranche_qty(1.2, tranche, 1, 1.0) == pytest.approx(0.025 * 1.2 / 20.0)
    hedged = _book(engine, "alvh")
    from simulator.strategy.reference import _condor_cost

    round_trip = 2 * _condor_cost(hedged.ss, tranche["open_legs"], 20.0)
    spend = hedged.ss[S.SS_HEDGE_PER_TRANCHE]
    assert spend == pytest.approx(0.02 * 21 / 252)
    assert hedged.tranche_qty(1.2, tranche, 1, 1.0) == pytest.approx(
        (0.025 - spend) * 1.2 / (20.0 + round_trip))


def _put_engine():
    return StrategyEngine(sim.load_model("svcj_default"),
                          {"puts": strategy("monthly_16_delta", "spx_puts_40_40_20")})


def test_manage_layers_settles_an_expiring_put_at_its_intrinsic_value():
    """By hand: 0.4 puts struck 5200 expiring with the S&P 500 at 5000 settle at 200 points
    each, free of costs, into the put bucket (not the front VIX layer's)."""
    book = _book(_put_engine(), "puts")
    d = 2
    book.cash = 1.0
    book.layers[0] = {"qty": 0.4, "strike": 5200.0, "expiry": d, "cost": 50.0, "entry": 51.0,
                      "price": 50.0, "kind": "spx_put", "low": 0.0, "short": 0.0}
    book.manage_layers(d)
    assert book.cash == pytest.approx(1.0 + 0.4 * 200.0, abs=1e-13)
    assert book.pnl[K.BK_PUTS] == pytest.approx(80.0) and book.pnl[K.BK_PUT_COST] == 0.0
    assert book.pnl[K.BK_LAYER0] == 0.0 and book.layers[0] is None
    assert book.counts[K.CT_HEDGE_EXPIRY] == 1


@pytest.mark.parametrize("low", [0.0, 4700.0])
def test_manage_layers_marks_and_monetises_a_put_as_the_kernel_does(low):
    """A 5000 put (or 5000/4700 spread) bought at 20 points, 40 days left, after a fall to
    4500 with v = 0.09: worth well over 3x its cost, half is sold (the default monetisation)
    at the same mark and costs in the twin and in the kernel's manage_layers."""
    engine = _put_engine()
    flat = np.ones(N_DAYS + 1)
    spot, var = 4500.0, 0.09
    vix = float(engine.model.vix_index(np.array([var]))[0])
    book = ReferenceBook(engine, "puts", spot * flat, var * flat, var * flat, vix * flat)
    d, expiry, qty = 2, 42, 0.3
    book.cash = 0.7
    book.layers[0] = {"qty": qty, "strike": 5000.0, "expiry": expiry, "cost": 20.0,
                      "entry": 20.5, "price": 20.0, "kind": "spx_put", "low": low,
                      "short": 0.0}
    book.manage_layers(d)
    ss, ls = engine.specs[0], engine.layers[0]
    acct = np.zeros(K.N_AC)
    acct[K.AC_CASH] = 0.7
    layers = np.zeros((3, K.N_LB))
    layers[:, K.LB_ARMED] = 1.0
    layers[:, K.LB_COL] = -1.0
    layers[0, [K.LB_QTY, K.LB_STRIKE, K.LB_EXPIRY, K.LB_COST, K.LB_ENTRY, K.LB_PRICE,
               K.LB_KIND, K.LB_LOW_STRIKE]] = (qty, 5000.0, expiry, 20.0, 20.5, 20.0,
                                               S.INSTRUMENT_SPX_PUT, low)
    path = np.zeros((K.N_PF, N_DAYS + 1))
    path[K.PF_SPX], path[K.PF_V], path[K.PF_M], path[K.PF_VIX] = (spot, var, var, vix)
    K.fill_state_cells(path, engine.kernel_tables.vol_nodes, engine.kernel_tables.m_nodes)
    pnl, counts = np.zeros(K.N_BK), np.zeros(K.N_CT, dtype=np.int64)
    K.manage_layers(ss, ls, acct, layers, path, d, np.zeros((4, 0)),
                    np.zeros((4, 0), dtype=np.int64), np.zeros((0, N_DAYS + 1)),
                    np.zeros(0, dtype=np.int64), engine.kernel_tables, pnl, counts, *_no_log(),
                    np.zeros(0, dtype=np.int64), np.zeros(0),  # adhoc, spx_settle: simulated
                    *K.new_mark_cache(N_DAYS, 1, False))  # no shared marks
    assert counts[K.CT_MONETIZE] == book.counts[K.CT_MONETIZE] == 1
    assert layers[0, K.LB_QTY] == pytest.approx(book.layers[0]["qty"], rel=1e-14)
    assert layers[0, K.LB_QTY] == pytest.approx(qty / 2, rel=1e-14)
    assert layers[0, K.LB_PRICE] == pytest.approx(book.layers[0]["price"], rel=1e-13)
    assert book.cash == pytest.approx(acct[K.AC_CASH], abs=1e-14)
    np.testing.assert_allclose(book.pnl, pnl, rtol=0, atol=1e-14)
    assert pnl[K.BK_PUTS] > 0 and pnl[K.BK_PUT_COST] < 0 and pnl[K.BK_LAYER0] == 0
    # the mark is the condor's SPX pricer: the long put less the short one
    pricer = sim.Pricer(engine.model)
    mark = pricer.spx_option(spot, var, expiry - d, 5000.0, "put") - (
        pricer.spx_option(spot, var, expiry - d, low, "put") if low else 0.0)
    assert layers[0, K.LB_PRICE] == pytest.approx(mark, rel=1e-12)


def test_manage_layers_writes_and_reads_the_paths_shared_vix_call_marks():
    """Issue 30: the day's mark of a held VIX call goes into the path's shared marks, and a
    strategy marking the same call (strike, expiry) that day reads it from there instead of
    pricing it again. The cached number is replaced by a sentinel here, so a manage_layers
    that ignored the cache (or never filled it) fails; with the cache off it prices afresh."""
    engine = StrategyEngine(sim.load_model("svcj_default"),
                            {"alvh": strategy("monthly_16_delta", "alvh_40_40_20")})
    ss, ls, tab = engine.specs[0], engine.layers[0], engine.kernel_tables
    d, strike, expiry = 2, 25.0, 30
    path = np.zeros((K.N_PF, N_DAYS + 1))
    path[K.PF_SPX], path[K.PF_V], path[K.PF_M], path[K.PF_VIX] = 5000.0, 0.04, 0.04, 20.0
    K.fill_state_cells(path, tab.vol_nodes, tab.m_nodes)  # the day's cells, as the engine does

    def mark(marks, mark_index):
        layers = np.zeros((3, K.N_LB))
        layers[:, K.LB_ARMED] = 1.0
        layers[:, K.LB_COL] = -1.0
        layers[0, [K.LB_QTY, K.LB_STRIKE, K.LB_EXPIRY, K.LB_COST, K.LB_ENTRY, K.LB_PRICE,
                   K.LB_KIND]] = (0.01, strike, expiry, 100.0, 100.0, 1.0,
                                  S.INSTRUMENT_VIX_CALL)  # cost 100: no profit sale
        acct = np.zeros(K.N_AC)
        K.manage_layers(ss, ls, acct, layers, path, d, np.zeros((4, 0)),
                        np.zeros((4, 0), dtype=np.int64), np.zeros((0, N_DAYS + 1)),
                        np.zeros(0, dtype=np.int64), tab, np.zeros(K.N_BK),
                        np.zeros(K.N_CT, dtype=np.int64), *_no_log(),
                        np.zeros(0, dtype=np.int64), np.zeros(0), marks, mark_index)
        assert layers[0, K.LB_QTY] == 0.01  # held: marked, not sold
        return layers[0, K.LB_PRICE]

    fresh = mark(*K.new_mark_cache(N_DAYS, tab.maturity.shape[0], False))
    assert 0.0 < fresh < 20.0
    marks, mark_index = K.new_mark_cache(N_DAYS, tab.maturity.shape[0], True)
    assert mark(marks, mark_index) == fresh
    e, cached = K.shared_mark(marks, mark_index, strike, expiry, d)
    assert mark_index[0] == 1 and cached == fresh  # the first strategy filled it
    marks[e, 1 + d - d] = 7.5  # the entry's first day is d
    assert mark(marks, mark_index) == 7.5  # the second read it
    assert mark(*K.new_mark_cache(N_DAYS, tab.maturity.shape[0], False)) == fresh


def _rising_path(engine, n_days):
    """A path (kernels.PATH_FIELDS) of ``n_days`` days for condor_track: the S&P 500 rising
    from 5000, v = m rising from 0.03, VIX the model's, both futures at VIX."""
    tab = engine.kernel_tables
    days = np.arange(n_days + 1)
    path = np.zeros((K.N_PF, n_days + 1))
    path[K.PF_SPX] = 5000.0 * np.exp(0.0005 * days)
    path[K.PF_V] = path[K.PF_M] = 0.03 + 0.0002 * days
    path[K.PF_VIX] = engine.model.vix_index(path[K.PF_V])
    path[K.PF_FRONT] = path[K.PF_SECOND] = path[K.PF_VIX]
    K.fill_state_cells(path, tab.vol_nodes, tab.m_nodes)
    return path


def test_condor_track_reads_and_keeps_the_paths_shared_condor_marks():
    """0.11.8: a group's tranche marks and openings are kept in the path's condor cache and
    read back by a later group holding the same tranche (kernels.new_condor_cache): a mark
    planted there is what the later group's track shows; its opening matches the first
    group's bit for bit, and without the cache (no entries) the later group's track is the
    one it builds alone."""
    n_days = 30
    eng = StrategyEngine(sim.load_model("svcj_default"), {
        "a": strategy("monthly_16_delta", "none"),
        "b": strategy({"preset": "monthly_16_delta", "take_profit": 0.9}, "none")})
    tab, n_slots = eng.kernel_tables, eng.n_slots
    path = _rising_path(eng, n_days)
    empty_days, empty = np.zeros(0, dtype=np.int64), np.zeros(0)

    def track_of(g, cache):
        track = np.full((K.N_TF, n_days + 1, n_slots), np.nan)
        K.clear_track(track)
        K.condor_track(eng.groups[g], path, tab, track, empty_days, empty, empty_days,
                       np.empty(n_slots, dtype=np.int64), np.empty(n_slots), np.empty((n_slots, 8)),
                       np.empty(n_slots, dtype=np.bool_), np.empty(4), np.empty((n_slots, 4)),
                       *cache)
        return track

    entries, life = K.condor_cache_size(eng.groups, np.zeros((0,), dtype=np.int64), n_days)
    assert entries > 0 and life == n_days + 1  # two groups: 45 DTE tranches, cut at day 30
    cache = K.new_condor_cache(entries, life, n_slots)
    alone_b = track_of(1, K.new_condor_cache(0, 1, n_slots))
    track_a = track_of(0, cache)
    marks, opens, used, _ = cache
    assert used[0] == 2 and used[1] == 2  # day 0's and day 21's tranches and openings
    assert opens[0, K.CO_VALUE] == track_a[K.TF_OPEN_CREDIT, 0, 0]
    assert marks[0, K.CM_DAYS + K.CM_WIDTH * 5] == track_a[K.TF_MARK, 5, 0]
    np.testing.assert_array_equal(track_of(1, cache), alone_b)  # read back: the same
    assert used[0] == 2 and used[1] == 2  # group b made nothing new
    marks[0, K.CM_DAYS + K.CM_WIDTH * 5] = 7.5  # planted: group b reads it
    assert track_of(1, cache)[K.TF_MARK, 5, 0] == 7.5


def test_the_day_loops_scratch_is_reset_whatever_it_held(engine):
    """The engine reuses one set of scratch arrays per path for every condor group and every
    strategy (kernels.evaluate_path allocates nothing): condor_track and reset_book must leave
    no trace of what the arrays held. A track built on scratch full of an earlier path's
    tranches (open slots, strikes, credits, expiries) equals one built on fresh scratch, and
    reset books equal open_book's."""
    n_days, n_slots = 60, engine.n_slots
    tab = engine.kernel_tables
    path = _rising_path(engine, n_days)
    gs = engine.groups[0]
    empty_days, empty = np.zeros(0, dtype=np.int64), np.zeros(0)

    def track_on(expiry, credit, held, active):
        track = np.full((K.N_TF, n_days + 1, n_slots), np.nan)  # unset fields: NaN
        K.clear_track(track)
        K.condor_track(gs, path, tab, track, empty_days, empty, empty_days, expiry, credit,
                       held, active, np.empty(4), np.empty((n_slots, 4)),
                       *K.new_condor_cache(0, 1, n_slots))
        return track

    fresh = track_on(np.full(n_slots, -1, dtype=np.int64), np.zeros(n_slots),
                     np.zeros((n_slots, 8)), np.zeros(n_slots, dtype=np.bool_))
    used = track_on(np.full(n_slots, 20, dtype=np.int64), np.full(n_slots, 7.5),
                    np.tile([4600.0, 4700.0, 5300.0, 5400.0, 1.0, 2.0, 3.0, 4.0],
                            (n_slots, 1)),  # strikes, and logs that are not theirs
                    np.ones(n_slots, dtype=np.bool_))
    assert np.isfinite(fresh[K.TF_MARK]).any()  # tranches were opened and marked
    np.testing.assert_array_equal(used, fresh)

    ss = engine.specs[engine.names.index("vxth")]  # an index core: every field set
    want = K.open_book(ss, 5000.0, n_slots)
    got = (np.full(K.N_AC, 3.0), np.full(n_slots, 2.0), np.full((3, K.N_LB), 9.0))
    K.reset_book(ss, 5000.0, *got)
    for a, b in zip(got, want, strict=True):
        np.testing.assert_array_equal(a, b)
