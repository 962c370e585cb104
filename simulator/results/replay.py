"""The table of a history replay: each book's P&L and its largest drawdown, dated.

:func:`simulator.strategy.replay_history` runs the strategies on one real window; this turns
its result into one row per strategy for ``alvh replay`` to print. The drawdown, its peak,
trough and recovery are those of :func:`simulator.results.metrics.drawdown_episode` (the one
definition), on the trading book in points.
"""

from __future__ import annotations

import math

from simulator.results.metrics import drawdown_episode
from simulator.results.units import risk_capital

# CNDR's T-bills cover ten times the maximum loss of the condors it sells (Cboe's CNDR page);
# Cboe's 2016 review of the index found no monthly move beyond 10 % in the eight months the
# S&P 500 moved more than 10 %, which a smaller collateral would not give
CNDR_COLLATERAL_MULTIPLE = 10.0


def replay_rows(result, strategies, dates, growth: float | None = None) -> list[dict]:
    """One dict per strategy of ``result`` (an engine result of one path): ``strategy``,
    ``pnl`` (trading book, fraction of starting equity), ``max_drawdown`` (in points,
    fraction of starting equity) and ``risk_capital`` (its unit for a trader; NaN for a book
    without a condor, an S&P 500 core), ``peak``, ``trough`` and ``back`` (the date the book
    regains its peak, ``"never"`` within the window, ``"-"`` without a drawdown) and
    ``hedge_premium`` (fraction of starting equity), and with ``growth`` (the account's
    interest factor per trading day) ``index_return``, the return as the Cboe index the book
    follows reports it (:func:`index_return`; NaN: none). ``strategies``: label ->
    StrategyConfig."""
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
                     "hedge_premium": float(result.pnl_of(name, "hedge_premium")[0]),
                     "index_return": (float("nan") if growth is None else
                                      index_return(result, k, strategies[name], growth))})
    return rows


def index_return(result, k: int, config, growth: float) -> float:
    """Strategy ``k`` of ``result`` (one path, every trade logged) as the Cboe index it follows
    reports its return: on notional, the collateral earning the interest rate.

    A book without a condor (the S&P 500 core, VXTH-style) is its own notional: the account
    (index core with dividends, VIX calls, cash at the model's rate ``r``) over its start, as
    VXTH reports. A condor rolled from one monthly expiry to the next (``open_on: expiry``,
    CNDR-style) is collateralised as CNDR is: at each roll the index's value is held in
    T-bills (here: the model's ``r``; the data have no T-bill series) covering
    :data:`CNDR_COLLATERAL_MULTIPLE` times the maximum loss of the condors sold on it (width
    of the wider wing less the credit, in points), so that a month loses at most 1/10 of the
    index. A roll period from one sale to the next returns ``growth ** days - 1 + P&L /
    notional``, its P&L the condor book's over the period (model mid prices and the run's
    costs; the premium's own interest is left out, under 0.01 % a month), and the periods
    compound; before the first sale the index is in T-bills only. NaN for a condor strategy
    that overlaps tranches or holds a hedge (no index to follow). docs/history.md §6.
    ``growth``: the account's interest factor per trading day (``exp(r / 252)``)."""
    name = result.strategies[k]
    equity = result.equity[k, 0]
    if getattr(config, "condor", None) is None:
        return float(equity[-1] / equity[0] - 1.0)
    if config.condor.open_on != "expiry" or config.hedge is not None:
        return math.nan
    trading = result.trading[k, 0]
    n_days = trading.size - 1
    mine = [t for t in result.trades if t.strategy == name]
    cost_on: dict[int, float] = {}
    for t in mine:
        cost_on[t.day] = cost_on.get(t.day, 0.0) + t.cost
    opens = sorted((t for t in mine if t.action == "condor open"), key=lambda t: t.day)

    def before_trades(d: int) -> float:  # the book on day d before that day's trades' costs
        return 1.0 if d == 0 else float(trading[d]) + cost_on.get(d, 0.0)

    value = growth ** (opens[0].day if opens else n_days)
    for i, t in enumerate(opens):
        end = opens[i + 1].day if i + 1 < len(opens) else n_days
        width = max(t.strikes[1] - t.strikes[0], t.strikes[3] - t.strikes[2])
        # contracts x 100 x 10 x max loss / capital (cash_flow: contracts x 100 x credit)
        notional = t.cash_flow * CNDR_COLLATERAL_MULTIPLE * (width - t.price) / t.price
        end_value = before_trades(end) if i + 1 < len(opens) else float(trading[end])
        value *= growth ** (end - t.day) + (end_value - before_trades(t.day)) / notional
    return float(value - 1.0)
