"""The table of a history replay: each book's P&L and its largest drawdown, dated.

:func:`simulator.scenario.replay.replay_history` runs the strategies on one real window; this turns
its result into one row per strategy for ``alvh replay`` to print. The drawdown, its peak,
trough and recovery are those of :func:`simulator.results.metrics.drawdown_episode` (the one
definition), on the trading book in points.
"""

from __future__ import annotations

import math

from simulator.results.metrics import drawdown_episode
from simulator.results.units import risk_capital


def replay_rows(result, strategies, dates) -> list[dict]:
    """One dict per strategy of ``result`` (an engine result of one path): ``strategy``,
    ``pnl`` (trading book, fraction of starting equity), ``max_drawdown`` (in points,
    fraction of starting equity) and ``risk_capital`` (its unit for a trader; NaN for a book
    without a condor, an S&P 500 core), ``peak``, ``trough`` and ``back`` (the date the book
    regains its peak, ``"never"`` within the window, ``"-"`` without a drawdown) and
    ``hedge_premium`` (fraction of starting equity). ``strategies``: label -> StrategyConfig."""
    rows = []
    for k, name in enumerate(result.strategies):
        book = result.trading[k, 0]
        worst, days_back, peak, trough = (a[0] for a in drawdown_episode(book[None],
                                                                          absolute=True))
        back = ("never" if math.isnan(days_back) else
                "-" if worst == 0 else dates[int(peak) + int(days_back)])
        rows.append({"strategy": name, "pnl": float(book[-1] - 1),
                     "max_drawdown": float(worst), "risk_capital": risk_capital(strategies[name]),
                     "peak": dates[peak], "trough": dates[trough], "back": back,
                     "hedge_premium": float(result.pnl_of(name, "hedge_premium")[0])})
    return rows
