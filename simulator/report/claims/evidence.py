"""Evidence from the claims cube: per-path arrays, the bootstrap with a seed per finding, and
the statistics the claims share (drawdown levels and cuts, drag, vol-event recoveries, monthly
drag by VIX level, returns on risk capital). The paired statistics are those of
:mod:`simulator.results.stats`, the same functions the summary reports."""

from __future__ import annotations

import copy
import json
import math
import warnings

import numpy as np

from simulator.report.claims.catalogue import (
    ALVH,
    ALVH_070,
    CLAIMS,
    UNHEDGED,
    UNHEDGED_070,
    check_names,
    pct,
)
from simulator.results.metrics import run_years
from simulator.results.stats import (
    LEVEL,
    Figure,
    drawdown_reduction,
    figure_columns,
    interval,
    resample_blocks,
)
from simulator.results.stats import drag as drag_statistic
from simulator.results.summary import trading_book
from simulator.results.units import risk_capital_of


class ClaimsCube:
    """Per-path arrays of the claims cube, with the run's settings."""

    def __init__(self, cube, n_boot: int, seed: int):
        self.cube = cube
        self.n_boot = n_boot
        self.seed = seed
        self.years = run_years(cube)
        self.months = cube.sizes["month"]
        self.strategies = json.loads(cube.attrs["strategies"])
        self._seeds = np.random.SeedSequence(seed)
        self._claim_seeds = dict(zip(CLAIMS, self._seeds.spawn(len(CLAIMS)), strict=True))
        check_names(cube.attrs.get("scenario_file", "the cube"),
                    [str(s) for s in cube.scenario.values], [str(s) for s in
                                                             cube.strategy.values])

    def var(self, name, scenario, strategy=None):
        sel = self.cube[name].sel(scenario=scenario)
        if strategy is not None:
            sel = sel.sel(strategy=strategy)
        return np.asarray(sel.values)

    def risk(self, strategy) -> float:
        """``strategy``'s risk capital (fraction of starting equity)."""
        return risk_capital_of(self.cube)[strategy]

    def book(self, scenario, strategy) -> dict[str, np.ndarray]:
        """The trading book's per-path figures (:func:`simulator.results.summary.trading_book`;
        drawdowns as fractions of starting equity)."""
        return trading_book(self.cube, scenario, strategy)

    def real_drawdowns(self, model, start: str, end: str, strategies=(UNHEDGED, ALVH)):
        """{strategy: trading-book max drawdown in units of risk capital} of ``strategies``
        replayed on the real window ``start`` to ``end`` under ``model``
        (:func:`simulator.scenario.replay.replay_history`), with the cube's costs and capital; and
        the dates of the window's first and last day. One real path: no CI."""
        from simulator.results.metrics import drawdown_and_recovery
        from simulator.scenario.replay import replay_history

        configs = {name: self.strategies[name] for name in strategies}
        costs = json.loads(self.cube.attrs["costs"])
        result, path = replay_history(model, configs, start, end, costs=costs,
                                      capital=float(self.cube.attrs["capital_usd"]))
        out = {}
        for k, name in enumerate(result.strategies):
            worst, _ = drawdown_and_recovery(result.trading[k, 0][None], absolute=True)
            out[name] = float(worst[0]) / self.risk(name)
        return out, (str(path.dates[0]), str(path.dates[-1]))

    def premium_per_year(self, scenario, strategy) -> float:
        """Mean hedge premium bought per year, a fraction of starting equity."""
        return float(self.var("hedge_premium", scenario, strategy).mean() / self.years)

    def for_claim(self, claim: str) -> ClaimsCube:
        """The same cube with the bootstrap seeds of ``claim``: child ``i`` of
        ``SeedSequence(seed)`` for the i-th claim, so a claim's resamples do not change when
        another claim gains or loses a finding."""
        scoped = copy.copy(self)
        scoped._seeds = self._claim_seeds[claim]
        return scoped

    def next_seed(self) -> np.random.SeedSequence:
        """A seed of its own for the next finding (the next child of the claim's seed)."""
        return self._seeds.spawn(1)[0]

    def boot_figures(self, combine, columns):
        """(estimate, CI low, CI high) of ``combine(figure_1, ..., figure_k)``, figure j the
        :class:`~simulator.results.stats.Figure` of the data j of ``columns`` [(array,
        Figure)]: per path (n,), or (n, m) values pooled per path (events, months). The
        resamples are the claim's next seed's (:meth:`next_seed`: findings never share
        resamples by accident), ``n_boot`` rows of n path indices as
        :func:`~simulator.results.stats.resample_indices` draws them; the figures on them
        come from path counts (:func:`~simulator.results.stats.figure_columns`: no gather of
        n values per resample, no partition; order statistics bit for bit numpy's on the
        gathered resample, means to rounding)."""
        seed = self.next_seed()
        indices = resample_blocks(len(columns[0][0]), self.n_boot, seed)
        draws = figure_columns(columns, indices)
        with warnings.catch_warnings():  # a nanmedian of no event is NaN, as meant
            warnings.simplefilter("ignore", RuntimeWarning)
            estimate = combine(*(f({f.field: np.asarray(x, dtype=float).ravel()})
                                 for x, f in columns))
        return interval(float(estimate), np.asarray(combine(*draws.T), dtype=float), LEVEL)


def median_dd(c: ClaimsCube, scenario, strategy, per_risk: bool):
    """Median trading-book max drawdown (in risk capital, or in starting equity)."""
    dd = c.var("trading_max_drawdown", scenario, strategy)
    scale = c.risk(strategy) if per_risk else 1.0
    return c.boot_figures(lambda m: m / scale, [(dd, Figure("dd", "median"))])


def dd_cut(c: ClaimsCube, scenario, hedged, base=UNHEDGED, q=0.5):
    """Cut of the q-quantile trading-book drawdown, ``hedged`` against ``base``."""
    return paired_figures(c, drawdown_reduction(q), scenario, hedged, base)


def drag(c: ClaimsCube, scenario, hedged, base=UNHEDGED):
    """Trading-book P&L per year given up by ``hedged`` against ``base``."""
    return paired_figures(c, drag_statistic, scenario, hedged, base)


def paired_figures(c: ClaimsCube, statistic, scenario, hedged, base):
    """A :class:`~simulator.results.stats.PairedStatistic` of the trading books of ``hedged``
    and ``base`` on the same resamples."""
    f = statistic.figure
    return c.boot_figures(statistic.combine, [(c.book(scenario, hedged)[f.field], f),
                                              (c.book(scenario, base)[f.field], f)])


def cut_difference(c: ClaimsCube, scenario, better, worse, q=0.5):
    """(cut of ``better`` - cut of ``worse``) against unhedged, in points of drawdown cut:
    (quantile(worse) - quantile(better)) / quantile(unhedged), paired on the same paths."""
    f = Figure("trading_max_drawdown", "quantile", q)
    return c.boot_figures(lambda b, w, u: (w - b) / u,
                          [(c.var(f.field, scenario, s), f) for s in (better, worse, UNHEDGED)])


def event_days(c: ClaimsCube, scenario, strategy):
    """(path, event) days to regain the pre-event peak: inf = never, NaN = no such event."""
    days = c.var("event_regain_days", scenario, strategy)
    exists = ~np.isnan(c.var("vol_event_start", scenario))
    return np.where(exists, np.where(np.isnan(days), np.inf, days), np.nan)


def breakeven_days(c: ClaimsCube, scenario, strategy):
    """(path, event) trading days from each event's own start until the trading book is back
    at its level of that day, after the event's trough (:func:`simulator.results.events.
    own_metrics`): inf = never, NaN = no such event."""
    days = c.var("event_breakeven_days", scenario, strategy)
    exists = ~np.isnan(c.var("vol_event_start", scenario))
    return np.where(exists, np.where(np.isnan(days), np.inf, days), np.nan)


def shock_day(c: ClaimsCube, scenario) -> int | None:
    """The first day of ``scenario`` on which a shock sets VIX (the claims file's crash, covid
    and volmageddon), or None."""
    details = json.loads(c.cube.attrs.get("scenario_details", "{}")).get(scenario, {})
    days = [int(sh["day"]) for sh in details.get("shocks", []) if sh.get("vix") is not None]
    return min(days) if days else None


def named_event(c: ClaimsCube, scenario) -> np.ndarray:
    """Per path, the index of the event the claims read: the scenario's shock event (the
    first event not over before the first day a shock sets VIX: the event the shock starts,
    or one running through it), else the path's first event; -1 where there is none."""
    start = c.var("vol_event_start", scenario)
    end = c.var("vol_event_end", scenario)
    day = shock_day(c, scenario)
    ok = ~np.isnan(start) if day is None else (~np.isnan(end)) & (end >= day)
    first = np.argmax(ok, axis=1)
    return np.where(ok.any(axis=1), first, -1)


def event_of_each_path(x: np.ndarray, index: np.ndarray) -> np.ndarray:
    """(path,) values of the (path, event) array ``x`` at each path's ``index`` (NaN at -1)."""
    rows = np.arange(x.shape[0])
    return np.where(index >= 0, x[rows, np.maximum(index, 0)], np.nan)


def event_words(c: ClaimsCube, scenarios) -> str:
    """What :func:`named_event` reads in ``scenarios``, in words."""
    days = {s: shock_day(c, s) for s in scenarios}
    shocked = [f"{s} {d}" for s, d in days.items() if d is not None]
    if not shocked:
        return "the first event of each path"
    return ("each path's shock event (the first event still running on the scenario's first "
            f"VIX-shock day: {', '.join(shocked)})"
            + ("; the first event where no shock sets VIX" if len(shocked) < len(days) else ""))


def aftershock_share(c: ClaimsCube, scenario, strategy) -> float:
    """Share of the events that are aftershocks (an earlier event of the path not yet broken
    even when they start) for ``strategy``'s book."""
    parent = c.var("event_parent", scenario, strategy)
    have = ~np.isnan(parent)
    return float(np.mean(parent[have] > 0)) if have.any() else math.nan


def median_days(x):
    """Median over the events present (never = inf ranks last); NaN if that median is never."""
    med = float(np.nanmedian(x)) if np.isfinite(x).any() or np.isinf(x).any() else math.nan
    return math.nan if math.isinf(med) else med


# median_days as a figure of (path, event) days, pooled (boot_figures), then never_as_nan
MEDIAN_DAYS = Figure("days", "nanmedian")


def never_as_nan(days):
    """A median of days that is 'never' (inf) as NaN, as :func:`median_days` reports it."""
    return np.where(np.isinf(days), np.nan, days)


def share_of_paths(indicator) -> tuple[np.ndarray, Figure]:
    """A boot_figures column: the share of paths (mean over paths) where ``indicator``, one
    per path ((n,) or (n, 1): a path's named event)."""
    return np.asarray(indicator, dtype=float).reshape(len(indicator)), Figure("share", "mean")


def rule_text(c: ClaimsCube) -> str:
    rule = json.loads(c.cube.attrs.get("vol_event_rule", "{}"))
    parts = []
    if rule.get("vix_rise_points"):
        parts.append(f"{rule['vix_rise_points']:g} points")
    if rule.get("vix_rise_pct"):
        parts.append(f"{100 * rule['vix_rise_pct']:g} %")
    return (f"VIX up {' or '.join(parts)} on its low of the previous "
            f"{rule.get('within_days', '?')} trading days")


def event_facts(c: ClaimsCube, scenario) -> str:
    """What the scenario's events were, from the cube: count, typical rise and timing."""
    n = c.var("vol_events", scenario)
    start = c.var("vol_event_start", scenario)
    rise = c.var("vol_event_rise", scenario)
    peak = c.var("vol_event_peak", scenario)
    have = ~np.isnan(start)
    if not have.any():
        return f"{scenario}: no events"
    return (f"{scenario}: {n.mean():.2f} events per path, median rise {np.median(rise[have]):.1f} "
            f"points, median start day {np.median(start[have]):.0f}, peak "
            f"{np.median((peak - start)[have]):.0f} days later")


def monthly_drag(c: ClaimsCube, scenarios, hedged, base, vix_low=None, vix_high=None):
    """Mean over path-months (pooled over ``scenarios``) of the monthly return of ``base``
    minus ``hedged``, in months whose starting VIX is in [vix_low, vix_high)."""
    data = {}
    for s in scenarios:
        diff = c.var("trading_monthly_pnl", s, base) - c.var("trading_monthly_pnl", s, hedged)
        vix = c.var("vix_month_start", s)
        keep = np.ones_like(vix, dtype=bool)
        if vix_low is not None:
            keep &= vix >= vix_low
        if vix_high is not None:
            keep &= vix < vix_high
        data[f"{s}_d"] = np.where(keep, diff, 0.0)
        data[f"{s}_n"] = keep.astype(float)

    def stat(*sums):  # each scenario's drag then month count, summed over resampled paths
        total, count = sum(sums[0::2]), sum(sums[1::2])
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(count > 0, total / count, np.nan)
    share = sum(data[f"{s}_n"].sum() for s in scenarios) / sum(data[f"{s}_n"].size
                                                               for s in scenarios)
    per_path = Figure("per_path", "sum")
    columns = [(data[f"{s}_{part}"].sum(axis=1), per_path) for s in scenarios for part in "dn"]
    return c.boot_figures(stat, columns), share


def return_on_risk(c: ClaimsCube, scenario, strategy):
    """Mean monthly trading-book P&L (no interest on cash), per unit of risk capital."""
    pnl = c.var("trading_return", scenario, strategy)
    scale = c.risk(strategy) * c.months
    return c.boot_figures(lambda m: m / scale, [(pnl, Figure("x", "mean"))])


COST_PRESET_ORDER = ("none", "institutional", "retail_combo", "retail_legs", "flat_legs")


def cost_sensitivity(c: ClaimsCube) -> dict[str, tuple[str, str]]:
    """{cost preset: (unhedged 0.70, hedged 0.70)} for every preset the file runs: the plain
    names carry the file's costs, ``NAME_<preset>`` the others (scenarios/claims.yaml)."""
    file_preset = json.loads(c.cube.attrs["costs"]).get("preset") or "file"
    names = [str(s) for s in c.cube.strategy.values]
    out = {}
    for preset in COST_PRESET_ORDER:
        if preset == file_preset:
            out[preset] = (UNHEDGED_070, ALVH_070)
        elif f"{UNHEDGED_070}_{preset}" in names and f"{ALVH_070}_{preset}" in names:
            out[preset] = (f"{UNHEDGED_070}_{preset}", f"{ALVH_070}_{preset}")
    if file_preset not in out:
        out[file_preset] = (UNHEDGED_070, ALVH_070)
    return out


def costs_on_risk(c: ClaimsCube, scenario, strategy):
    """Mean monthly SPX trading costs per unit of risk capital (negative)."""
    scale = c.risk(strategy) * c.months
    return c.boot_figures(lambda m: m / scale,
                          [(c.var("spx_costs", scenario, strategy), Figure("x", "mean"))])


def stack_share(c: ClaimsCube, strategy, premium_per_cycle: float) -> float:
    """What one tranche and its hedge stack risk, a fraction of equity at entry: with the
    default sizing (condor_hedge_costs) the stack is inside ``risk_per_tranche``; with
    ``condor_max_loss`` it comes on top."""
    condor = c.strategies[strategy]["condor"]
    risk = c.risk(strategy)
    if condor.get("sizing", "condor_max_loss") == "condor_hedge_costs":
        return risk
    return risk + premium_per_cycle


def budget(c: ClaimsCube, strategy) -> float:
    """The hedge's annual budget, a fraction of equity."""
    return float(c.strategies[strategy]["hedge"]["budget_annual"])


def hedge_label(c: ClaimsCube, strategy, scenario=None) -> str:
    """"ALVH 40/40/20 at 2 %/yr": the layer weights and budget of ``strategy``'s hedge; with
    ``scenario``, also what it spent there ("2 %/yr budget, 2.43 %/yr spent"): the regime
    scaling and the filters move the spend off the budget (issue 32)."""
    layers = c.strategies[strategy]["hedge"]["layers"]
    weights = "/".join(f"{100 * layer['weight']:.0f}" for layer in layers.values())
    if scenario is None:
        return f"ALVH {weights} at {pct(budget(c, strategy), 0)}/yr"
    return (f"ALVH {weights}, {pct(budget(c, strategy), 0)}/yr budget, "
            f"{pct(c.premium_per_year(scenario, strategy), 2)}/yr spent")
