"""One real window replayed: every strategy on the real S&P 500 path, model prices around real
levels (docs/history.md). The same path as a scenario file's ``path: {source: history}``; this
is the one-window entry point that ``alvh replay``, the claims' real-history evidence and the
replay figure call.
"""

from __future__ import annotations

from collections.abc import Mapping

from simulator.calibration.states import curve_history
from simulator.market.sessions import check_session
from simulator.model.params import Model
from simulator.strategy.config import StrategyConfig
from simulator.strategy.engine import DEFAULT_CAPITAL, StrategyEngine


def replay_history(model: Model, strategies: Mapping[str, StrategyConfig | Mapping],
                   start: str, end: str, *, costs=None, capital: float = DEFAULT_CAPITAL):
    """Every strategy on the real S&P 500 path from ``start`` to ``end`` (ISO dates), the
    model's state each day fitted to that day's VIX curve
    (:func:`simulator.calibration.states.curve_history`): model prices around real levels,
    not historical quotes; the real VIX drives the rules and costs, and expiries settle at the
    exchange's settlement values (VIX: the SOQ; SPX monthlies: the open). Returns the
    (one-path) :class:`EngineResult`, every trade logged, and the
    :class:`~simulator.market.history.HistoryPath` (its ``dates`` name the days). The same path
    as a scenario file's ``path: {source: history}``.

    Days are the data's trading days, counted on the exchange's sessions
    (:mod:`simulator.market.sessions`); ``start`` and ``end`` must be sessions. Condor
    tranches take the monthly SPX expiry nearest their DTE, VIX layers the VIX expiry nearest
    theirs, and each layer is bought and marked off its listed contract's settlement where
    the data has one, with the model's smile around it; the rules' 30- and 60-day futures
    are interpolated between the listed contracts (docs/history.md §4)."""
    for name, value in (("start", start), ("end", end)):
        check_session(value, name)  # a window runs from a session to a session (issue 29)
    path = curve_history(model, start, end)
    engine = StrategyEngine(model, strategies, costs=costs, capital=capital)
    result = engine.evaluate(path.spx[None], path.v[None], path.vix[None],
                             m=None if path.m is None else path.m[None], log_paths=[0],
                             dates=path.dates[None])
    return result, path
