"""The numba day loop against its plain-Python twin (simulator/strategy/reference.py).

Each strategy runs on 20 simulated paths in the kernel (all strategies together, shared condor
tracks) and alone in the twin; every daily curve, P&L bucket and trade count must agree. The
paths carry a VIX spike so that every hedge rule fires somewhere (checked: a comparison of
rules that never ran would prove nothing).
"""

from __future__ import annotations

import numpy as np
import pytest

import simulator as sim
from simulator.common.conventions import TRADING_DAYS_PER_YEAR
from simulator.model.paths import iter_path_chunks
from simulator.model.stress import Shock
from simulator.strategy import StrategyEngine, strategy
from simulator.strategy.config import StrategyConfig
from simulator.strategy.engine import COUNT_NAMES, PNL_NAMES
from simulator.strategy.irr import irr
from simulator.strategy.reference import reference_strategy

# The twin adds the same numbers in another order (a dict of positions instead of slots), so
# agreement is to rounding, not bit for bit.
TOL = 1e-11

_ALVH = {"preset": "alvh_40_40_20"}
STRATEGIES = {
    "unhedged": strategy("monthly_16_delta"),
    # every default rule on: regime scaling, term-structure roll-out, monetisation + re-arm
    "alvh": strategy("monthly_16_delta", "alvh_40_40_20"),
    # the other branches: VIX-level monetisation of a fraction, re-arm after days, a condor
    # re-struck on the term-structure signal, take-profit and stop, whole contracts, sizing
    # by max loss alone, a MACD filter
    "rules": StrategyConfig.model_validate({
        "condor": {"preset": "monthly_16_delta", "take_profit": 0.5, "stop_multiple": 1.5,
                   "whole_contracts": True, "sizing": "condor_max_loss"},
        "hedge": {**_ALVH, "whole_contracts": True,
                  "monetize": {"vix_above": 30.0, "sell_fraction": 0.5,
                               "rearm_after_days": 10, "rearm_vix_below": None},
                  "term_structure": {"threshold_points": 1.0, "tighten_condor_sd": 0.5},
                  "macd": {"enabled": True}},
    }),
    "per_condor": StrategyConfig.model_validate({
        "condor": {"preset": "monthly_16_delta", "exit_dte": 0},  # held to expiry
        "hedge": {"preset": "alvh_4_4_2", "rsi": {"enabled": True, "below": 60.0}},
    }),
    "vxth": StrategyConfig.model_validate({
        "hedge": {"preset": "vxth_like"}, "index": "sp500"}),
    # SPX put layers (issue 35): the put-only hedge with every default rule; the mixed
    # hedge with a put spread in the middle and VIX-level monetisation; the
    # PPUT-style book (a put per unit of the S&P 500 core)
    "puts": strategy("monthly_16_delta", "spx_puts_40_40_20"),
    "mixed": StrategyConfig.model_validate({
        "condor": {"preset": "monthly_16_delta"},
        "hedge": {"preset": "alvh_calls_puts",
                  "layers": {"middle": {"spread_width": 300.0}},
                  "monetize": {"vix_above": 30.0, "rearm_after_days": 10,
                               "rearm_vix_below": None},
                  "term_structure": {"threshold_points": 1.0}}}),
    "pput": StrategyConfig.model_validate({"hedge": "pput_like", "index": "sp500"}),
    # the RSI-of-VVIX split of the budget between VIX calls and SPX puts, short RSI
    "split": StrategyConfig.model_validate({
        "condor": {"preset": "monthly_16_delta"},
        "hedge": {"preset": "alvh_vvix_split", "vvix_split": {"period": 5}}}),
}


def _paths(model, seed):
    # hold_m: the two-factor paths these rules were chosen on (the default "shift" also lifts
    # m, after which no path of this seed has a regime skip); the twin compares the day loop,
    # whatever the paths
    shocks = [Shock(day=60, spx_return=-0.10, vix=55.0, vix_state="hold_m")]
    chunk = next(iter(iter_path_chunks(
        model, 20, 252, seed, chunk_size=20, shocks=shocks)))
    return chunk


@pytest.mark.parametrize("preset", ["svcj_default", "svcj_2f_calibrated"])
def test_kernel_matches_the_python_twin_on_20_paths(preset):
    model = sim.load_model(preset)
    engine = StrategyEngine(model, STRATEGIES)
    chunk = _paths(model, seed=16)
    m = chunk.m if model.two_factor else np.zeros_like(chunk.v)
    res = engine.evaluate(chunk.spx, chunk.v, chunk.vix, m=chunk.m)
    fired = np.zeros(len(COUNT_NAMES), dtype=np.int64)
    fired_by = {name: np.zeros(len(COUNT_NAMES), dtype=np.int64) for name in engine.names}
    for k, name in enumerate(engine.names):
        for i in range(chunk.spx.shape[0]):
            ref = reference_strategy(engine, name, chunk.spx[i], chunk.v[i], m[i], chunk.vix[i])
            where = f"{preset}, {name}, path {i}"
            np.testing.assert_array_equal(res.counts[k, i], ref.counts, err_msg=where)
            np.testing.assert_allclose(res.equity[k, i], ref.equity, rtol=0, atol=TOL,
                                       err_msg=where)
            np.testing.assert_allclose(res.trading[k, i], ref.trading, rtol=0, atol=TOL,
                                       err_msg=where)
            np.testing.assert_allclose(res.hedge[k, i], ref.hedge, rtol=0, atol=TOL,
                                       err_msg=where)
            np.testing.assert_allclose(res.pnl[k, i], ref.pnl, rtol=0, atol=TOL,
                                       err_msg=f"{where}: {PNL_NAMES}")
            # the IRR's daily flows: they add up to the book's P&L, and the kernel's, solved,
            # give the twin's rate
            assert ref.flows.sum() == pytest.approx(ref.trading[-1] - 1.0, abs=TOL), where
            np.testing.assert_allclose(res.irr[k, i], irr(ref.flows, 1.0 / TRADING_DAYS_PER_YEAR),
                                       rtol=1e-8, atol=1e-10, err_msg=where)
            fired += ref.counts
            fired_by[name] += ref.counts
    # the comparison covered every rule: each of these happened on some path
    for rule in ("condor_opened", "condor_expired", "hedge_bought", "hedge_rolled",
                 "hedge_expired", "hedge_monetized", "hedge_ts_rolled", "condor_take_profit",
                 "condor_stop", "condor_restruck", "hedge_filter_blocked_days",
                 "hedge_regime_skipped"):
        assert fired[COUNT_NAMES.index(rule)] > 0, f"{preset}: no {rule} on the test paths"
    # the put layers' own runs: bought, rolled, monetised, rolled out, settled at expiry
    for name, rules in (("puts", ("hedge_rolled", "hedge_monetized", "hedge_ts_rolled")),
                        ("mixed", ("hedge_rolled", "hedge_monetized", "hedge_ts_rolled")),
                        ("pput", ("hedge_expired",))):
        for rule in ("hedge_bought", *rules):
            assert fired_by[name][COUNT_NAMES.index(rule)] > 0, f"{preset}, {name}: no {rule}"
    assert (res.pnl[engine.names.index("puts"), :, PNL_NAMES.index("layer_puts")] != 0).all()
    assert (res.pnl[engine.names.index("mixed"), :, PNL_NAMES.index("layer_puts")] != 0).all()
