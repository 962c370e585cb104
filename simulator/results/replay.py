"""The table of a history replay: each book's P&L and its largest drawdown, dated.

:func:`simulator.scenario.replay.replay_history` runs the strategies on one real window; this turns
its result into one row per strategy for ``alvh replay`` to print. The drawdown, its peak,
trough and recovery are those of :func:`simulator.results.metrics.drawdown_episode` (the one
definition), on the trading book in points.
"""

from __future__ import annotations

import math

import numpy as np

from simulator.common.conventions import TRADING_DAYS_PER_YEAR
from simulator.results.metrics import drawdown_episode
from simulator.results.units import risk_capital

# CNDR's T-bills cover ten times the maximum loss of the condors it sells (Cboe's CNDR page);
# Cboe's 2016 review of the index found no monthly move beyond 10 % in the eight months the
# S&P 500 moved more than 10 %, which a smaller collateral would not give
CNDR_COLLATERAL_MULTIPLE = 10.0


def replay_rows(result, strategies, dates, growth: float | None = None, spx=None,
                dividend_yield: float = 0.0) -> list[dict]:
    """One dict per strategy of ``result`` (an engine result of one path): ``strategy``,
    ``pnl`` (trading book, fraction of starting equity), ``max_drawdown`` (in points,
    fraction of starting equity) and ``risk_capital`` (its unit for a trader; NaN for a book
    without a condor, an S&P 500 core), ``peak``, ``trough`` and ``back`` (the date the book
    regains its peak, ``"never"`` within the window, ``"-"`` without a drawdown) and
    ``hedge_premium`` (fraction of starting equity), and with ``growth`` (the account's
    interest factor per trading day; ``spx`` the path's closes and ``dividend_yield`` the
    model's q for VXTH) ``index_return``, the return as the Cboe index the book follows
    reports it (:func:`index_return`; NaN: none). ``strategies``: label ->
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
                                      index_return(result, k, strategies[name], growth,
                                                   spx, dividend_yield))})
    return rows


def index_curve(result, k: int, config, growth: float, spx=None,
                dividend_yield: float = 0.0) -> np.ndarray:
    """(days + 1,) strategy ``k`` of ``result`` (one path, every trade logged) as the Cboe
    index it follows, 1.0 on the first day: its value on notional, the collateral earning the
    interest rate, each day (the open condor at the model's mark).

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
    compound; before the first sale the index is in T-bills only. All NaN for a condor
    strategy that overlaps tranches or holds a hedge (no index to follow). docs/history.md §6.
    ``growth``: the account's interest factor per trading day (``exp(r / 252)``). With
    ``spx`` (the path's closes) and ``dividend_yield`` (the model's q, where the core sets
    none), an S&P 500 core with VIX calls is the VXTH index rebalanced at each roll
    (:func:`_vxth_curve`) rather than the account, whose core is bought once and whose calls
    are paid from cash (borrowed, over a long window); with SPX puts (``pput_like``, issue 35)
    the same rebalancing gives the PPUT-style index, the puts' premium taken from the
    portfolio at each monthly purchase."""
    name = result.strategies[k]
    equity = result.equity[k, 0]
    if getattr(config, "condor", None) is None:
        if spx is None or config.hedge is None or config.index is None:
            return equity / equity[0]
        return _vxth_curve(result, k, spx, dividend_yield if config.index.dividend_yield
                           is None else config.index.dividend_yield)
    if config.condor.open_on != "expiry" or config.hedge is not None:
        return np.full(equity.size, np.nan)
    trading = result.trading[k, 0]
    n_days = trading.size - 1
    mine = [t for t in result.trades if t.strategy == name]
    cost_on: dict[int, float] = {}
    for t in mine:
        cost_on[t.day] = cost_on.get(t.day, 0.0) + t.cost
    opens = sorted((t for t in mine if t.action == "condor open"), key=lambda t: t.day)

    def before_trades(d: int) -> float:  # the book on day d before that day's trades' costs
        return 1.0 if d == 0 else float(trading[d]) + cost_on.get(d, 0.0)

    days = np.arange(n_days + 1)
    first = opens[0].day if opens else n_days + 1
    out = np.empty(n_days + 1)
    out[:first] = growth ** days[:first]  # T-bills until the first sale
    value = float(growth ** min(first, n_days))
    for i, t in enumerate(opens):
        end = opens[i + 1].day if i + 1 < len(opens) else n_days
        width = max(t.strikes[1] - t.strikes[0], t.strikes[3] - t.strikes[2])
        # contracts x 100 x 10 x max loss / capital (cash_flow: contracts x 100 x credit)
        notional = t.cash_flow * CNDR_COLLATERAL_MULTIPLE * (width - t.price) / t.price
        start = before_trades(t.day)
        span = days[t.day:end + 1]
        book = trading[span].astype(float)
        if i + 1 < len(opens):
            book[-1] = before_trades(end)  # the next roll's value before its own sale
        out[span] = value * (growth ** (span - t.day) + (book - start) / notional)
        value = float(out[end])
    return out


def _vxth_curve(result, k: int, spx, dividend_yield: float) -> np.ndarray:
    """(days + 1,) VXTH (or, with SPX puts, PPUT) as the index holds it: at each purchase of
    the options the index's
    value is split, the calls' premium and costs at the share of the account the strategy
    spent on them, the rest in the S&P 500 total return (``spx`` with ``dividend_yield``
    reinvested); in between, the calls at their mark (the hedge curve less the layers' cash
    flows so far) and the S&P 500 at its close. Before the first purchase, the S&P 500."""
    name = result.strategies[k]
    equity, hedge = result.equity[k, 0], result.hedge[k, 0]
    n = equity.size
    days = np.arange(n)
    tr = np.asarray(spx, dtype=float) * np.exp(dividend_yield * days / TRADING_DAYS_PER_YEAR)
    mine = sorted((t for t in result.trades if t.strategy == name and
                   t.action.startswith(("VIX call", "SPX put"))), key=lambda t: t.day)
    flows = np.zeros(n)
    for t in mine:
        flows[t.day] += t.cash_flow - t.cost
    cum = np.cumsum(flows)
    held = hedge - cum  # the calls' mark each day (fractions of starting equity)
    buys = [t for t in mine if t.action.endswith(" buy")]
    out = tr / tr[0]
    value = 1.0
    for i, t in enumerate(buys):
        end = buys[i + 1].day if i + 1 < len(buys) else n - 1
        value = float(out[t.day])
        premium = -t.cash_flow
        before = equity[t.day] + t.cost if t.day > 0 else 1.0  # the account before the buy
        w, c = premium / before, t.cost / before
        span = days[t.day:end + 1]
        # the calls' sleeve: their mark plus what they paid since the purchase (a month the
        # weight is 0 keeps the payoff in the sleeve until the next purchase)
        sleeve = held[span] + cum[span] - cum[t.day]
        if i + 1 < len(buys):  # the next purchase is the next sleeve's
            sleeve[-1] -= held[end] + buys[i + 1].cash_flow - buys[i + 1].cost
        out[span] = value * ((1.0 - w - c) * tr[span] / tr[t.day] + w * sleeve / premium)
    return out


def index_return(result, k: int, config, growth: float, spx=None,
                 dividend_yield: float = 0.0) -> float:
    """The return over the window of :func:`index_curve` (NaN: no index to follow)."""
    return float(index_curve(result, k, config, growth, spx, dividend_yield)[-1] - 1.0)
