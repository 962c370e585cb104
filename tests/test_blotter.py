"""The trade blotter and the sampled paths of a run (simulator/results/blotter.py).

The blotter is the kernel's own trade log; here it is held to the plain-Python twin
(simulator/strategy/reference.py), trade by trade, and the twin's trades plus its marks at the
horizon must add up to the kernel's P&L buckets. In a cube, the blotter and the sampled paths
must agree with the cube's per-path variables, which are computed from the full daily curves.
"""

from __future__ import annotations

import numpy as np
import pytest
import xarray as xr

import simulator as sim
from simulator.common.conventions import DEFAULT_MODEL
from simulator.results import blotter
from simulator.scenario.loader import parse_scenario
from simulator.scenario.runner import run_plan
from simulator.strategy import StrategyEngine
from simulator.strategy import specs as S
from simulator.strategy.engine import COUNT_NAMES, PNL_NAMES
from simulator.strategy.reference import reference_strategy
from tests.test_reference import STRATEGIES, _paths

TOL = 1e-11  # the twin adds the same numbers in another order (tests/test_reference.py)
KIND = {"condor open": "condor_open", "condor close": "condor_close",
        "VIX call buy": "hedge_buy", "VIX call sell": "hedge_sell",
        "SPX put buy": "hedge_buy", "SPX put sell": "hedge_sell"}


def _key(row):
    return (row["day"], row["kind"], round(row["contracts"], 6))


def test_twin_trades_match_the_kernel_log_and_add_up_to_its_pnl():
    model = sim.load_model("svcj_default")
    engine = StrategyEngine(model, STRATEGIES)
    chunk = _paths(model, seed=16)
    n = 6
    res = engine.evaluate(chunk.spx[:n], chunk.v[:n], chunk.vix[:n], log_paths=range(n))
    m = np.zeros_like(chunk.v)
    kinds_seen = set()
    for k, name in enumerate(engine.names):
        for i in range(n):
            where = f"{name}, path {i}"
            twin: list[dict] = []
            ref = reference_strategy(engine, name, chunk.spx[i], chunk.v[i], m[i], chunk.vix[i],
                                     trades=twin)
            kernel = [{"day": e.day, "kind": KIND[e.action], "contracts": e.contracts,
                       "price": e.price, "cash": e.cash_flow, "cost": e.cost}
                      for e in res.trades if e.strategy == name and e.path == i]
            traded = [t for t in twin if t["kind"] not in ("mark", "ruin_close")]
            assert len(kernel) == len(traded) < engine_max_log(), where
            for a, b in zip(sorted(kernel, key=_key), sorted(traded, key=_key), strict=True):
                assert (a["day"], a["kind"]) == (b["day"], b["kind"]), where
                for field in ("contracts", "price", "cash", "cost"):
                    assert a[field] == pytest.approx(b[field], rel=1e-9, abs=TOL), (where,
                                                                                    field)
            kinds_seen |= {t["kind"] for t in twin}
            # trades + horizon marks (+ a ruined path's forced closes) = the kernel's buckets
            pnl = res.pnl[k, i]
            condor = [t for t in twin if t["kind"].startswith("condor")
                      or t.get("book") == "condor"]
            assert sum(t["cash"] for t in condor) == pytest.approx(
                pnl[PNL_NAMES.index("condor")], abs=TOL), where
            assert -sum(t["cost"] for t in condor) == pytest.approx(
                pnl[PNL_NAMES.index("spx_costs")], abs=TOL), where
            puts = []  # SPX put layers share one bucket (issue 35)
            for j, layer in enumerate(("front", "middle", "tail")):
                mine = [t for t in twin if (t["kind"].startswith("hedge")
                                            or t.get("book") == "layer") and t["slot"] == j]
                if engine.layers[k, j, S.LS_INSTRUMENT] == S.INSTRUMENT_SPX_PUT:
                    puts += mine
                    mine = []
                assert sum(t["cash"] for t in mine) == pytest.approx(
                    pnl[PNL_NAMES.index(f"layer_{layer}")], abs=TOL), where
                assert -sum(t["cost"] for t in mine) == pytest.approx(
                    pnl[PNL_NAMES.index(f"vix_costs_{layer}")], abs=TOL), where
            assert sum(t["cash"] for t in puts) == pytest.approx(
                pnl[PNL_NAMES.index("layer_puts")], abs=TOL), where
            assert -sum(t["cost"] for t in puts) == pytest.approx(
                pnl[PNL_NAMES.index("put_costs")], abs=TOL), where
            assert -sum(t["cash"] for t in twin if t["kind"] == "hedge_buy") == pytest.approx(
                pnl[PNL_NAMES.index("hedge_premium")], abs=TOL), where
            # and the kernel's counts
            counts = dict(zip(COUNT_NAMES, res.counts[k, i], strict=True))
            assert counts["condor_opened"] == sum(t["kind"] == "condor_open" for t in kernel)
            assert counts["hedge_bought"] == sum(t["kind"] == "hedge_buy" for t in kernel)
            closes = sum(counts[c] for c in ("condor_take_profit", "condor_stop",
                                             "condor_exit_dte", "condor_expired",
                                             "condor_restruck"))
            assert closes == sum(t["kind"] == "condor_close" for t in kernel), where
            sells = sum(counts[c] for c in ("hedge_rolled", "hedge_expired", "hedge_monetized",
                                            "hedge_ts_rolled"))
            assert sells == sum(t["kind"] == "hedge_sell" for t in kernel), where
            np.testing.assert_array_equal(res.counts[k, i], ref.counts, err_msg=where)
    # the comparison saw every kind of trade and positions open at the horizon
    assert kinds_seen >= {"condor_open", "condor_close", "hedge_buy", "hedge_sell", "mark"}
    # the blotter's expiries: a position held to expiry closes on its expiry day; a tranche
    # re-struck on the term-structure signal keeps the expiry of the one it replaces
    rows = blotter.trade_rows(engine, res.trades)
    closes = rows["reason"] == "expiry"
    assert closes.any() and (rows["day"][closes] == rows["expiry_day"][closes]).all()
    assert (rows["day"] <= rows["expiry_day"]).all()
    restruck = np.flatnonzero(rows["reason"] == "re-strike (term structure)")
    assert restruck.size > 0
    for i in restruck:
        same = np.flatnonzero((rows["strategy"] == rows["strategy"][i])
                              & (rows["path"] == rows["path"][i]) & (rows["day"] == rows["day"][i])
                              & (rows["action"] == "open"))
        assert any(rows["expiry_day"][j] == rows["expiry_day"][i] for j in same)


def engine_max_log() -> int:
    from simulator.strategy.engine import MAX_LOG_EVENTS

    return MAX_LOG_EVENTS


DOC = """
name: blotter_test
simulation: {paths: 20, days: 63, seed: 5, chunk_paths: 16, trade_log_paths: 18,
             keep_paths: 17}
scenarios:
  crash: {shocks: [{day: 25, spx_return: -0.1, vix: 60}]}
strategies:
  unhedged: {condor: {preset: monthly_16_delta}, hedge: none}
  alvh: {condor: {preset: monthly_16_delta, take_profit: 0.5},
         hedge: {preset: alvh_40_40_20}}
"""


@pytest.fixture(scope="module")
def cube(tmp_path_factory):
    from simulator.results.cube import open_cube, write_cube

    path = write_cube(run_plan(parse_scenario(DOC)), tmp_path_factory.mktemp("b") / "b.nc")
    return open_cube(path)  # through NetCDF: the string columns survive the file


def test_the_cube_keeps_the_sampled_paths_and_they_agree_with_its_metrics(cube):
    """Across a chunk boundary (16 paths a chunk): each kept path's last equity is its
    total_return, its trading book its trading_return, its SPX its spx_return."""
    assert cube.sizes["kept_path"] == 17
    sel = cube.sel(scenario="crash")
    kept = sel.path.values[:17]
    np.testing.assert_allclose(sel.kept_equity.values[..., -1] - 1,
                               sel.total_return.values[:, kept], rtol=0, atol=1e-12)
    np.testing.assert_allclose(sel.kept_trading.values[..., -1] - 1,
                               sel.trading_return.values[:, kept], rtol=0, atol=1e-12)
    spx = sel.kept_spx.values
    np.testing.assert_allclose(spx[:, -1] / spx[:, 0] - 1, sel.spx_return.values[kept],
                               rtol=0, atol=1e-12)
    np.testing.assert_allclose(sel.kept_vix.max("day").values, sel.vix_max.values[kept],
                               rtol=0, atol=1e-12)
    assert (sel.kept_vix.values[:, 25] == 60).all()  # the shock


def test_the_blotter_adds_up_to_the_cubes_pnl(cube):
    frame = blotter.blotter_frame(cube)
    assert sorted(frame.path.unique()) == list(range(18))  # both chunks
    assert set(frame.strategy) == {"unhedged", "alvh"} and (frame.date == "").all()
    trips = blotter.round_trips(frame)
    sel = cube.sel(scenario="crash")
    checked = 0
    for (strategy, path), trades in frame.groupby(["strategy", "path"]):
        row = sel.sel(strategy=strategy, path=path)
        buys = trades[trades.action == "buy"]
        # premium paid is the cube's hedge_premium, path by path (no marks involved)
        assert -buys.cash_flow.sum() == pytest.approx(float(row.hedge_premium), abs=1e-12)
        condor = trades[trades.instrument == blotter.CONDOR]
        mine = trips[(trips.strategy == strategy) & (trips.path == path)
                     & (trips.instrument == blotter.CONDOR)]
        if mine.closed.all():  # no condor marked at the horizon: its trades are its P&L
            assert condor.cash_flow.sum() == pytest.approx(float(row.condor_pnl), abs=1e-12)
            assert -condor.cost.sum() == pytest.approx(float(row.spx_costs), abs=1e-12)
            checked += 1
        # quantities: every condor sold at open is bought back once, at its expiry or before
        opened = condor[condor.action == "open"]
        assert (opened.quantity < 0).all() and (opened.expiry_day > opened.day).all()
        assert (condor.day <= condor.expiry_day).all()
    assert checked >= 10
    # a take-profit close happened and is counted in the statistics
    stats = blotter.trade_statistics(cube)
    tp = stats[(stats.strategy == "alvh") & (stats.exit_reason == "take profit")]
    assert len(tp) == 1 and tp.win_rate.iloc[0] == 1.0  # bought back below the credit
    total = stats[(stats.exit_reason == "all")]
    assert (total.round_trips > 0).all()


def test_trade_statistics_of_a_hand_made_blotter():
    """Two condor round trips (+3, -1) and one VIX call still held: win rate 1/2, mean +1."""
    rows = [  # path, day, instrument, action, reason, position, quantity, cash, cost
        (0, 0, blotter.CONDOR, "open", "entry", 0, -2.0, 4.0, 0.5),
        (0, 5, blotter.CONDOR, "close", "take profit", 0, 2.0, -0.4, 0.1),
        (0, 6, blotter.CONDOR, "open", "entry", 1, -2.0, 4.0, 0.5),
        (0, 9, blotter.CONDOR, "close", "stop", 1, 2.0, -4.2, 0.3),
        (0, 9, "VIX call front", "buy", "entry", 2, 5.0, -1.0, 0.1),
    ]
    cols = list(zip(*rows, strict=True))
    n = len(rows)
    ds = xr.Dataset({
        "trade_scenario": ("trade", np.array(["s"] * n, dtype=object)),
        "trade_strategy": ("trade", np.array(["a"] * n, dtype=object)),
        "trade_path": ("trade", np.array(cols[0])), "trade_day": ("trade", np.array(cols[1])),
        "trade_instrument": ("trade", np.array(cols[2], dtype=object)),
        "trade_action": ("trade", np.array(cols[3], dtype=object)),
        "trade_reason": ("trade", np.array(cols[4], dtype=object)),
        "trade_position": ("trade", np.array(cols[5])),
        "trade_quantity": ("trade", np.array(cols[6])),
        "trade_cash_flow": ("trade", np.array(cols[7])),
        "trade_cost": ("trade", np.array(cols[8])),
        "trade_strikes": (("trade", "leg"), np.full((n, 4), np.nan))})
    stats = blotter.trade_statistics(ds).set_index(["instrument", "exit_reason"])
    allc = stats.loc[(blotter.CONDOR, "all")]
    assert allc.round_trips == 2 and allc.win_rate == 0.5
    assert allc.total_pnl == pytest.approx(3.0 - 1.0) and allc.mean_pnl == pytest.approx(1.0)
    assert stats.loc[(blotter.CONDOR, "stop")].total_pnl == pytest.approx(-1.0)
    vix = stats.loc[("VIX call", "all")]
    assert vix.round_trips == 0 and vix.open_at_horizon == 1 and np.isnan(vix.win_rate)


def test_trade_log_and_kept_paths_out_of_range_are_refused():
    for field, value in (("trade_log_paths", -1), ("trade_log_paths", 101),
                         ("keep_paths", 101)):
        bad = DOC.replace("trade_log_paths: 18", "trade_log_paths: 2").replace(
            "keep_paths: 17", "keep_paths: 2").replace(f"{field}: 2", f"{field}: {value}")
        with pytest.raises(sim.ScenarioError, match=f"simulation.{field}.*100"):
            parse_scenario(bad)





def _held(frame, strategy, path, day, capital):
    """The positions held at the close of ``day`` from the blotter: (qty per equity, strikes,
    expiry) of each condor and VIX call."""
    rows = frame[(frame.strategy == strategy) & (frame.path == path) & (frame.day <= day)]
    held = rows.groupby("position").quantity.sum()
    out = []
    for position, contracts in held.items():
        if abs(contracts) < 1e-9:
            continue
        first = rows[rows.position == position].iloc[0]
        strikes = [first[f"strike_{leg}"] for leg in blotter.LEGS]
        out.append((first.instrument, abs(contracts) * 100 / capital, strikes,
                    int(first.expiry_day)))
    return out


# the same tables by another route (leg by leg through sim.Pricer, vectorised): agreement to
# rounding (measured: 1.5e-16 on exposures of about 1e-3)
TOL_EXPOSURE = 1e-12


def test_kept_exposures_match_repricing_the_blotters_positions(cube):
    """Delta, vega and VIX delta of the kept paths against the same bumps applied to the
    positions the blotter (the kernel's log) says are held, repriced leg by leg with
    sim.Pricer: an independent route to the same book."""
    from simulator.strategy.reference import SPOT_BUMP, VOL_BUMP

    model = sim.load_model(DEFAULT_MODEL)  # the scenario names no model: the default's
    pricer = sim.Pricer(model)
    frame = blotter.blotter_frame(cube)
    sel = cube.sel(scenario="crash")
    capital = float(cube.attrs["capital_usd"])
    checked = 0
    for strategy in ("unhedged", "alvh"):
        for path in (0, 3):
            for day in (5, 24, 25, 30, 50):
                positions = _held(frame, strategy, path, day, capital)
                s, v, m = (float(sel[f"kept_{x}"].sel(kept_path=path, day=day))
                           for x in ("spx", "v", "m"))

                # the six bumped states, every leg of every position in one call per kind
                r, rm = np.sqrt(v), np.sqrt(m)
                up, down = ((r + VOL_BUMP) ** 2, (rm + VOL_BUMP) ** 2), \
                    ((r - VOL_BUMP) ** 2, (rm - VOL_BUMP) ** 2)
                states = np.array([(s * (1 + SPOT_BUMP), v, m), (s * (1 - SPOT_BUMP), v, m),
                                   (s, *up), (s, *down), (s, up[0], m), (s, down[0], m)])
                values = np.zeros(len(states))
                for instrument, q, k, expiry in positions:
                    left = np.full(len(states), float(expiry - day))
                    sp, vv, mm = states.T
                    if instrument == blotter.CONDOR:
                        legs = [pricer.spx_option(sp, vv, left, np.full(len(states), k[j]),
                                                  kind, m=mm)
                                for j, kind in enumerate(("put", "put", "call", "call"))]
                        values -= q * (legs[1] - legs[0] + legs[2] - legs[3])
                    else:
                        values += q * pricer.vix_option(vv, left, np.full(len(states), k[0]),
                                                        "call", m=mm)
                delta = (values[0] - values[1]) * 0.01 / (2 * SPOT_BUMP)
                # against the pricer's own tangent delta (each leg's d/d spot): the central
                # difference is the mean of that delta over spot +- 0.5 %, so it lies within
                # the delta's range over the bump (its truncation error, bounded by the pricer)
                tangent = [0.0, 0.0, 0.0]  # at spot, spot + h, spot - h
                for instrument, q, k, expiry in positions:
                    if instrument != blotter.CONDOR:
                        continue  # VIX calls have no S&P 500 delta in the model
                    for t, at in enumerate((s, s * (1 + SPOT_BUMP), s * (1 - SPOT_BUMP))):
                        d_legs = [pricer.spx_delta(at, v, float(expiry - day), k[j], kind, m=m)
                                  for j, kind in enumerate(("put", "put", "call", "call"))]
                        tangent[t] -= q * (d_legs[1] - d_legs[0] + d_legs[2] - d_legs[3]) \
                            * s * 0.01
                bound = max(abs(tangent[1] - tangent[0]), abs(tangent[2] - tangent[0]))
                assert abs(delta - tangent[0]) <= bound + 1e-12, (strategy, path, day)
                vega = (values[2] - values[3]) / (2 * VOL_BUMP * 100)
                vix = model.vix_index(np.array([up[0], down[0]]), np.array([m, m]))
                vix_delta = (values[4] - values[5]) / (vix[0] - vix[1])
                where = f"{strategy}, path {path}, day {day}"
                got = sel.sel(strategy=strategy, kept_path=path, day=day)
                for name, want in (("delta", delta), ("vega", vega), ("vix_delta", vix_delta)):
                    have = float(got[f"kept_{name}"])
                    assert have == pytest.approx(want, abs=TOL_EXPOSURE), (where, name)
                checked += bool(positions)
    assert checked >= 15
    # the hedge's VIX calls: more VIX delta than the condor alone on most kept days
    assert (sel.kept_vix_delta.sel(strategy="alvh") > sel.kept_vix_delta.sel(
        strategy="unhedged")).mean() > 0.9


def test_history_blotter_has_dates_and_the_exchanges_expiries():
    """On real history the blotter carries each trade's date; positions held to expiry close
    on the expiry day the exchange calendar gave them; the twin knows no calendar, so the
    kept path has no exposures."""
    import yaml

    from simulator.data import resolve_scenario

    doc = yaml.safe_load(resolve_scenario("history_covid").read_text())
    doc["simulation"] = {**(doc.get("simulation") or {}), "trade_log_paths": 1,
                         "keep_paths": 1}
    cube = sim.run(doc, summary=False)
    frame = blotter.blotter_frame(cube)
    dates = cube.date.values
    assert (frame.date.values == dates[frame.day.values]).all()
    held = frame[frame.reason == "expiry"]
    assert len(held) > 0 and (held.day == held.expiry_day).all()
    assert (frame.expiry_day >= frame.day).all()
    sel = cube.isel(scenario=0, path=0)
    for strategy, trades in frame.groupby("strategy"):
        premium = -trades[trades.action == "buy"].cash_flow.sum()
        assert premium == pytest.approx(float(sel.hedge_premium.sel(strategy=strategy)),
                                        abs=1e-12)
    assert "kept_trading" in cube and "kept_delta" not in cube
    assert "exchange calendar" in cube.kept_trading.attrs["exposures"]
