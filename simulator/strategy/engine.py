"""Strategy engine, Python side: validation, encoding, chunking, labelled results.

>>> import simulator as sim
>>> from simulator.strategy import evaluate_strategies, strategy
>>> model = sim.load_model("svcj_default")
>>> res = evaluate_strategies(model, {"unhedged": strategy("monthly_16_delta"),
...                                   "alvh": strategy("monthly_16_delta", "alvh_40_40_20")},
...                           n_paths=1000, n_days=252, seed=1)        # doctest: +SKIP
>>> res.total_return("alvh").mean()                                      # doctest: +SKIP

All strategies of a call see the same paths (common random numbers): the paths are generated
once per chunk and every strategy is evaluated on them. A strategy's results never depend on
which other strategies run beside it.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import numpy as np

from simulator.common.conventions import FRONT_FUTURE_DTE, SECOND_FUTURE_DTE, TRADING_DAYS_PER_YEAR
from simulator.model.params import Model
from simulator.strategy import kernels as K
from simulator.strategy.config import (
    DEFAULT_COSTS,
    LAYER_NAMES,
    CostsConfig,
    StrategyConfig,
    trading_days,
)
from simulator.strategy.specs import INSTRUMENT_SPX_PUT, LS_INSTRUMENT, encode

DEFAULT_CAPITAL = 1_000_000.0
MAX_LOG_EVENTS = 512

PNL_NAMES = tuple(name for _, name in K.PNL_BUCKETS)  # the kernel's bucket columns, in order
PNL_PARTS = PNL_NAMES[:-1]  # they add up to the account's return; hedge_premium is a memo
COUNT_NAMES = tuple(name for _, name in K.TRADE_COUNTS)
_CLOSE_REASONS = {K.CLOSE_TAKE_PROFIT: "take profit", K.CLOSE_STOP: "stop",
                  K.CLOSE_EXIT_DTE: "exit DTE", K.CLOSE_EXPIRY: "expiry",
                  K.CLOSE_ADJUST: "re-strike (term structure)"}
_SELL_REASONS = {K.SELL_ROLL: "roll", K.SELL_PROFIT: "monetise (profit multiple)",
                 K.SELL_VIX_LEVEL: "monetise (VIX level)",
                 K.SELL_TS_ROLL: "roll out (term structure)", K.SELL_EXPIRY: "expiry"}


def _as_strategy(name: str, value) -> StrategyConfig:
    if isinstance(value, StrategyConfig):
        return value
    if isinstance(value, Mapping):
        return StrategyConfig.model_validate(dict(value))
    raise TypeError(f"strategy {name!r}: expected a StrategyConfig or a mapping, got "
                    f"{type(value).__name__}")


@dataclass
class TradeEvent:
    strategy: str
    path: int
    day: int
    action: str
    detail: str
    contracts: float
    price: float  # per unit, index points
    cash_flow: float  # fraction of starting equity, before costs
    cost: float  # fraction of starting equity
    spx: float
    vix: float
    equity: float  # equity the trade was sized on (condor entries), else NaN
    strikes: tuple = ()


def _books_out(shape: tuple[int, int, int], out) -> tuple[np.ndarray, ...]:
    """(equity, trading, hedge) for :meth:`StrategyEngine.evaluate`: ``out`` checked (three
    distinct float64 C-contiguous arrays of ``shape``), or three new ones."""
    if out is None:
        return tuple(np.empty(shape) for _ in range(3))
    arrays = tuple(out)
    if len(arrays) != 3 or not all(
            isinstance(a, np.ndarray) and a.shape == shape and a.dtype == np.float64
            and a.flags.c_contiguous and a.flags.writeable for a in arrays):
        raise ValueError(f"out must be three writeable float64 C-contiguous {shape} arrays "
                         "(equity, trading, hedge)")
    if any(np.shares_memory(a, b) for i, a in enumerate(arrays) for b in arrays[i + 1:]):
        raise ValueError("out: the equity, trading and hedge arrays must not overlap")
    return arrays


@dataclass
class EngineResult:
    """Per (strategy, path) outputs of one evaluation; arrays are (strategy, path, ...)."""

    strategies: list[str]
    equity: np.ndarray  # (strategy, path, day): the account / starting equity (cash at r)
    pnl: np.ndarray  # (strategy, path, len(PNL_NAMES)), fractions of starting equity
    counts: np.ndarray  # (strategy, path, len(COUNT_NAMES))
    trades: list[TradeEvent] = field(default_factory=list)
    # (strategy, path, day): the trading book, i.e. the account less the interest earned so
    # far (1 + the options' P&L and costs), and the VIX layers' cumulative P&L (costs in)
    trading: np.ndarray | None = None
    hedge: np.ndarray | None = None
    vvix: np.ndarray | None = None  # (path, day): the paths' VVIX (StrategyEngine.vvix_of)
    # (strategy, path): the trading book's money-weighted return a year (strategy.irr; NaN:
    # none, or not unique)
    irr: np.ndarray | None = None

    def index(self, strategy: str) -> int:
        try:
            return self.strategies.index(strategy)
        except ValueError:
            raise KeyError(f"no strategy {strategy!r}; have {self.strategies}") from None

    def total_return(self, strategy: str) -> np.ndarray:
        eq = self.equity[self.index(strategy)]
        return eq[:, -1] / eq[:, 0] - 1.0

    def pnl_of(self, strategy: str, name: str) -> np.ndarray:
        return self.pnl[self.index(strategy), :, PNL_NAMES.index(name)]

    def count_of(self, strategy: str, name: str) -> np.ndarray:
        return self.counts[self.index(strategy), :, COUNT_NAMES.index(name)]

    def trade_log(self, strategy: str | None = None, path: int | None = None) -> str:
        """The sampled trade log as a readable table."""
        rows = [e for e in self.trades if (strategy is None or e.strategy == strategy)
                and (path is None or e.path == path)]
        head = (f"{'strategy':<14}{'path':>6}{'day':>5}  {'action':<16}{'detail':<40}"
                f"{'contracts':>10}{'price':>9}{'cash %':>9}{'cost %':>8}{'SPX':>9}{'VIX':>7}")
        lines = [head, "-" * len(head)]
        for e in rows:
            lines.append(f"{e.strategy:<14}{e.path:>6}{e.day:>5}  {e.action:<16}{e.detail:<40}"
                         f"{e.contracts:>10.2f}{e.price:>9.2f}{100 * e.cash_flow:>9.3f}"
                         f"{100 * e.cost:>8.3f}{e.spx:>9.1f}{e.vix:>7.2f}")
        return "\n".join(lines)


class StrategyEngine:
    """Strategies, costs, capital and the model's pricing tables, ready to evaluate chunks."""

    def __init__(self, model: Model, strategies: Mapping[str, StrategyConfig | Mapping], *,
                 costs: CostsConfig | Mapping | str | None = None,
                 capital: float = DEFAULT_CAPITAL, tables=None):
        if not strategies:
            raise ValueError("at least one strategy is needed")
        if not (isinstance(capital, int | float) and math.isfinite(capital) and capital > 0):
            raise ValueError(f"capital must be a positive number of USD, got {capital!r}")
        if costs is None:
            costs = CostsConfig.named(DEFAULT_COSTS)
        elif isinstance(costs, str):
            costs = CostsConfig.model_validate(costs)
        elif isinstance(costs, Mapping):
            costs = CostsConfig.model_validate(dict(costs))
        self.model = model
        self.names = list(strategies)
        self.configs = [_as_strategy(n, s) for n, s in strategies.items()]
        self.costs = [c.costs if c.costs is not None else costs for c in self.configs]
        self.capital = float(capital)
        if tables is None:
            from simulator.pricing.pricer import tables_for_model
            tables = tables_for_model(model)
        self.tables = tables
        self.groups, self.specs, self.layers, self.n_slots = encode(
            self.configs, self.costs, self.capital)
        from simulator.strategy.specs import SS_INDEX_YIELD

        model_yield = np.isnan(self.specs[:, SS_INDEX_YIELD])
        self.specs[model_yield, SS_INDEX_YIELD] = model.q  # an index core's default dividends
        self._tab = tables.kernel_tables
        self.growth = math.exp(model.r / TRADING_DAYS_PER_YEAR)
        self._vvix_table = None  # built on first use (pricing.vvix.VvixTable)

    def vvix_of(self, v: np.ndarray, m: np.ndarray | None, dates=None) -> np.ndarray:
        """VVIX (vol points) of paths (v, m): the model's, from its state
        (:class:`~simulator.pricing.vvix.VvixTable`: the Cboe VVIX method on the model's own
        VIX-option strip, tabulated over the state); on real ``dates`` the real Cboe VVIX
        where the shipped data has it (simulator/data/market/vvix_daily.csv), the model's
        elsewhere."""
        if self._vvix_table is None:
            from simulator.pricing.vvix import vvix_table
            self._vvix_table = vvix_table(self.model)
        out = self._vvix_table(v, m if self.model.two_factor else None)
        if dates is not None:
            from simulator.market.history import real_vvix
            real = real_vvix(np.asarray(dates))
            out = np.where(np.isfinite(real), real, out)
        return np.ascontiguousarray(out, dtype=float)

    @property
    def kernel_tables(self):
        """The pricing tables as the kernels read them (what the Python twin,
        :mod:`simulator.strategy.reference`, prices with)."""
        return self._tab

    def evaluate(self, spx: np.ndarray, v: np.ndarray, vix: np.ndarray | None = None, *,
                 m: np.ndarray | None = None, path_offset: int = 0,
                 log_paths: Iterable[int] = (), dates: np.ndarray | None = None,
                 vvix: np.ndarray | None = None,
                 out: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None
                 ) -> EngineResult:
        """Evaluate all strategies on paths ``spx``, ``v`` (arrays (paths, days + 1)) and,
        for a two-factor model, the central tendency ``m`` (same shape; ignored with one
        factor).

        ``vix`` defaults to the model's VIX of the state. ``log_paths`` (global path numbers,
        i.e. row + ``path_offset``) get a trade log. ``dates`` (paths, days + 1; ISO strings,
        real history): trades take the exchange's expiries and the VIX layers the listed
        contracts' settlements (:mod:`simulator.market.calendar`). ``vvix`` defaults to
        :meth:`vvix_of` the paths (the real VVIX on ``dates``). ``out``: three float64
        C-contiguous (strategy, path, day) arrays the account, the trading book and the
        hedge are written into (every element; the result holds them), e.g. the same three
        for every chunk of a run: fresh pages of that size cost the kernel's zeroing
        (docs/performance.md §4, "Books written into the same memory").
        """
        spx = np.ascontiguousarray(spx, dtype=float)
        v = np.ascontiguousarray(v, dtype=float)
        if spx.ndim != 2 or spx.shape != v.shape or spx.shape[1] < 2:
            raise ValueError(f"spx and v must be (paths, days + 1) arrays of the same shape with "
                             f"days >= 1, got {spx.shape} and {v.shape}")
        if not (np.isfinite(spx).all() and (spx > 0).all() and np.isfinite(v).all()
                and (v >= 0).all()):
            raise ValueError("spx must be positive and v non-negative and finite")
        if self.model.two_factor:
            if m is None:
                raise ValueError(f"{self.model.name or 'model'} has two factors: evaluate "
                                 "needs the central tendency m of every path-day")
            m = np.ascontiguousarray(m, dtype=float)
            if m.shape != v.shape or not (np.isfinite(m).all() and (m >= 0).all()):
                raise ValueError(f"m must be a non-negative finite {v.shape} array")
        else:
            m = np.zeros_like(v)  # read by nothing: one-factor tables have one m node
        vix = (self.model.vix_index(v, m if self.model.two_factor else None) if vix is None
               else np.ascontiguousarray(vix, dtype=float))
        vvix = self.vvix_of(v, m, dates) if vvix is None \
            else np.ascontiguousarray(vvix, dtype=float)
        if vvix.shape != spx.shape:
            raise ValueError(f"vvix must be a {spx.shape} array, got {vvix.shape}")
        n_paths, n_cols = spx.shape
        n_strat = len(self.names)
        log_rows = np.full(n_paths, -1, dtype=np.int64)
        logged = [p for p in sorted(set(log_paths)) if 0 <= p - path_offset < n_paths]
        for row, p in enumerate(logged):
            log_rows[p - path_offset] = row
        equity, trading, hedge = _books_out((n_strat, n_paths, n_cols), out)
        pnl = np.zeros((n_strat, n_paths, K.N_BK))
        counts = np.zeros((n_strat, n_paths, K.N_CT), dtype=np.int64)
        irr = np.empty((n_strat, n_paths))
        # room for two trades a day on average (a busy hedged book makes about one in two)
        log = np.zeros((n_strat, len(logged), max(MAX_LOG_EVENTS, 2 * n_cols), K.N_EF))
        log_n = np.zeros((n_strat, len(logged)), dtype=np.int64)
        cal = self.schedule(dates, n_paths, n_cols)
        # by keyword: two arrays of one shape swapped by position would compile and run
        K.evaluate_chunk(
            spx=spx, v=v, m=m, vix=vix, vvix=vvix, group_specs=self.groups, strat_specs=self.specs,
            layer_specs=self.layers, n_slots=self.n_slots, tab=self._tab, growth=self.growth,
            front_days=float(trading_days(FRONT_FUTURE_DTE)),
            second_days=float(trading_days(SECOND_FUTURE_DTE)), log_rows=log_rows,
            equity=equity, trading=trading, hedge=hedge, pnl=pnl, counts=counts, log=log,
            log_n=log_n, condor_days=cal.condor_days, layer_days=cal.layer_days,
            layer_col=cal.layer_col, listed=cal.listed,
            listed_day0=cal.listed_day0, spx_settle=cal.spx_settle,
            vix_expiring=cal.vix_expiring, listed_cm=cal.listed_cm, adhoc=cal.adhoc,
            adhoc_day0=cal.adhoc_day0, irr=irr)
        if logged and int(log_n.max()) >= log.shape[2]:  # the kernel stops logging when full
            raise RuntimeError(f"the trade log of a logged path is full ({log.shape[2]} "
                               "trades); log fewer or shorter paths")
        trades = self._events(log, log_n, logged)
        return EngineResult(list(self.names), equity, pnl, counts, trades, trading, hedge,
                            vvix, irr)

    def schedule(self, dates, n_paths: int, n_cols: int):
        """The exchange calendar of paths on real ``dates`` (or an empty one)."""
        from simulator.market.calendar import ExpirySchedule, expiry_schedule

        if dates is None:
            return ExpirySchedule.empty(n_paths, self.groups.shape[0], len(self.names))
        dates = np.asarray(dates)
        if dates.shape != (n_paths, n_cols):
            raise ValueError(f"dates must be ({n_paths}, {n_cols}), got {dates.shape}")
        from simulator.strategy.specs import LS_ACTIVE, SS_GROUP

        condor_dte: list[int | None] = [None] * self.groups.shape[0]
        open_on = ["cycle"] * self.groups.shape[0]
        layer_dte = []
        # SPX put layers take monthly SPX expiries (the term-structure roll-out, slot 3, the
        # VIX calls' calendar)
        layer_spx = [[bool(self.layers[k, j, LS_INSTRUMENT] == INSTRUMENT_SPX_PUT)
                      for j in range(len(LAYER_NAMES))] + [False]
                     for k in range(len(self.configs))]
        for k, cfg in enumerate(self.configs):
            if cfg.condor is not None:
                condor_dte[int(self.specs[k, SS_GROUP])] = cfg.condor.dte
                open_on[int(self.specs[k, SS_GROUP])] = cfg.condor.open_on
            h = cfg.hedge
            dtes: list[tuple[int, int] | None] = [None] * 4
            if h is not None:
                for j, name in enumerate(LAYER_NAMES):
                    if self.layers[k, j, LS_ACTIVE] > 0.0:
                        dtes[j] = (h.layers[name].dte, h.layers[name].roll_dte)
                if h.term_structure.enabled:  # rolled-out calls keep the front's roll date
                    dtes[3] = (h.term_structure.roll_out_dte, h.layers["front"].roll_dte
                               if "front" in h.layers else 0)
            layer_dte.append(dtes)
        return expiry_schedule(dates, condor_dte, layer_dte, open_on, layer_spx)

    def _instrument(self, k: int, slot: int) -> str:
        """What layer ``slot`` of strategy ``k`` trades, as the trade log names it."""
        put = self.layers[k, slot, LS_INSTRUMENT] == INSTRUMENT_SPX_PUT
        return "SPX put" if put else "VIX call"

    def _events(self, log, log_n, logged) -> list[TradeEvent]:
        out = []
        for k, name in enumerate(self.names):
            for row, path in enumerate(logged):
                for e in log[k, row, :log_n[k, row]]:
                    kind = int(e[K.EF_KIND])
                    reason = int(e[K.EF_REASON])
                    slot = int(e[K.EF_SLOT])
                    if kind == K.EV_CONDOR_OPEN:
                        action = "condor open"
                        detail = (f"tranche {slot}: {e[K.EF_K1]:.0f}/{e[K.EF_K2]:.0f} P "
                                  f"{e[K.EF_K3]:.0f}/{e[K.EF_K4]:.0f} C")
                    elif kind == K.EV_CONDOR_CLOSE:
                        action = "condor close"
                        detail = f"tranche {slot}: {_CLOSE_REASONS[reason]}"
                    elif kind == K.EV_HEDGE_BUY:
                        action = f"{self._instrument(k, slot)} buy"
                        detail = f"{LAYER_NAMES[slot]} layer, strike {e[K.EF_K1]:g}"
                    else:
                        action = f"{self._instrument(k, slot)} sell"
                        detail = (f"{LAYER_NAMES[slot]} layer, strike {e[K.EF_K1]:g}: "
                                  f"{_SELL_REASONS[reason]}")
                    out.append(TradeEvent(name, path, int(e[K.EF_DAY]), action, detail,
                                          float(e[K.EF_CONTRACTS]), float(e[K.EF_PRICE]),
                                          float(e[K.EF_CASH]), float(e[K.EF_COST]),
                                          float(e[K.EF_SPX]), float(e[K.EF_VIX]),
                                          float(e[K.EF_EQUITY]),
                                          tuple(float(x) for x in e[K.EF_K1:K.EF_K4 + 1]
                                                if not np.isnan(x))))
        out.sort(key=lambda e: (e.path, e.strategy, e.day))
        return out


def evaluate_strategies(model: Model, strategies: Mapping[str, StrategyConfig | Mapping],
                        n_paths: int, n_days: int, seed: int, *, measure: str = "P",
                        costs=None, capital: float = DEFAULT_CAPITAL, chunk_size: int = 4096,
                        stream: int = 0, log_paths: Iterable[int] = (),
                        substeps: int = 1, regimes=(), shocks=()) -> EngineResult:
    """Simulate paths chunk by chunk and evaluate every strategy on the same paths.

    ``regimes`` and ``shocks`` (:class:`simulator.model.paths.Regime`, ``Shock``) change the
    path dynamics; prices stay under the model's Q."""
    from simulator.model.paths import iter_path_chunks

    engine = StrategyEngine(model, strategies, costs=costs, capital=capital)
    log_paths = list(log_paths)
    parts = []
    for chunk in iter_path_chunks(model, n_paths, n_days, seed, measure=measure,
                                  substeps=substeps, chunk_size=chunk_size, stream=stream,
                                  regimes=regimes, shocks=shocks):
        parts.append(engine.evaluate(chunk.spx, chunk.v, chunk.vix, m=chunk.m,
                                     path_offset=chunk.path_start, log_paths=log_paths))
    return EngineResult(
        engine.names,
        np.concatenate([p.equity for p in parts], axis=1),
        np.concatenate([p.pnl for p in parts], axis=1),
        np.concatenate([p.counts for p in parts], axis=1),
        sorted((e for p in parts for e in p.trades), key=lambda e: (e.path, e.strategy, e.day)),
        np.concatenate([p.trading for p in parts], axis=1),
        np.concatenate([p.hedge for p in parts], axis=1),
        np.concatenate([p.vvix for p in parts], axis=0),
        np.concatenate([p.irr for p in parts], axis=1),
    )

