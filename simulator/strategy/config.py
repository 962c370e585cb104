"""Strategy configuration: iron condor rules, ALVH hedge layers and adaptive rules, costs.

One pydantic model tree, kept in one module because its records nest in one another (unknown
keys are errors, every error of a document is reported at
once with its field path). Units are in the names or the field descriptions:

* ``dte``, ``roll_dte``, ``exit_dte``, ``roll_out_dte``: **calendar** days to expiry, as brokers
  quote them; the engine converts them to trading days with 252/365 (:func:`trading_days`).
* ``*_trading_days``: the simulation clock (one step = one trading day = 1/252 year).
* strikes, widths and VIX levels: index points; ``*_half_spread``: option price points;
  commissions: USD per contract; budgets and risk: fractions of equity.

A ``preset`` key loads a named configuration (:mod:`simulator.strategy.presets`); the other keys
given beside it override it (nested blocks merge key by key).
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, field_validator, model_validator

from simulator.common.conventions import LAYER_NAMES, trading_days
from simulator.common.records import StrictModel, deep_merge, short_repr
from simulator.strategy.presets import (
    CONDOR_PRESETS,
    COST_PRESETS,
    DEFAULT_COSTS,
    HEDGE_PRESETS,
)

# re-exported: the strategy's vocabulary and its presets
__all__ = ["CONDOR_PRESETS", "COST_PRESETS", "DEFAULT_COSTS", "HEDGE_PRESETS", "LAYER_NAMES",
           "trading_days"]


def _apply_preset(data: Any, presets: dict[str, dict], kind: str) -> Any:
    if not isinstance(data, dict) or "preset" not in data:
        return data
    name = data["preset"]
    if not isinstance(name, str) or name not in presets:
        raise ValueError(f"unknown {kind} preset {short_repr(name)}; allowed: "
                         f"{', '.join(sorted(presets))}")
    rest = {k: v for k, v in data.items() if k != "preset"}
    return {**deep_merge(presets[name], rest), "preset": name}


# ------------------------------------------------------------------------------------------
# Iron condor
# ------------------------------------------------------------------------------------------

class CondorConfig(StrictModel):
    """Short SPX iron condor (European, cash-settled, multiplier 100), entered in tranches."""

    preset: str | None = Field(None, description="name in CONDOR_PRESETS")
    every_trading_days: int = Field(21, ge=1, le=2520, description="a tranche every N days")
    first_entry_day: int = Field(0, ge=0, le=2520, description="trading day of the first entry")
    dte: int = Field(45, ge=2, le=540, description="calendar days to expiry at entry")
    open_on: Literal["cycle", "expiry"] = Field(
        "cycle", description="cycle: a tranche every every_trading_days at the expiry nearest "
        "dte; expiry (Cboe CNDR's roll): in history runs a tranche only on the window's first "
        "day and on each monthly SPX expiry day, taking the next monthly expiry (one condor "
        "from one expiry to the next); simulated paths keep the cycle as its analogue")
    short_delta: float | None = Field(None, gt=0.0, lt=0.5,
                                      description="|delta| of both short strikes")
    prob_between: float | None = Field(None, gt=0.0, lt=1.0,
                                       description="Q-probability of expiring between shorts")
    wing_width: float | None = Field(None, gt=0.0, le=2000.0, description="index points")
    wing_delta: float | None = Field(None, gt=0.0, lt=0.5, description="|delta| of long wings")
    take_profit: float | None = Field(None, gt=0.0, le=1.0,
                                      description="close once profit >= this fraction of credit")
    stop_multiple: float | None = Field(None, gt=0.0, le=100.0,
                                        description="close once loss >= this multiple of credit")
    exit_dte: int = Field(0, ge=0, description="close at this many calendar DTE (0: hold)")
    risk_per_tranche: float = Field(0.025, gt=0.0, le=1.0,
                                    description="risk of one tranche / equity at entry "
                                                "(what counts as risk: see sizing)")
    sizing: Literal["condor_hedge_costs", "condor_max_loss"] = Field(
        "condor_hedge_costs", description="condor_hedge_costs: max loss + hedge stack + "
        "round-trip costs = risk_per_tranche x equity; condor_max_loss: max loss alone")
    whole_contracts: bool = Field(False, description="round contracts down to whole numbers")
    strike_step: float = Field(5.0, gt=0.0, le=100.0, description="SPX strike grid, points")

    @model_validator(mode="before")
    @classmethod
    def _preset(cls, data):
        return _apply_preset(data, CONDOR_PRESETS, "condor")

    @model_validator(mode="after")
    def _one_rule_each(self):
        if (self.short_delta is None) == (self.prob_between is None):
            raise ValueError("give exactly one of short_delta or prob_between")
        if (self.wing_width is None) == (self.wing_delta is None):
            raise ValueError("give exactly one of wing_width or wing_delta")
        if self.wing_delta is not None and self.short_delta is not None \
                and self.wing_delta >= self.short_delta:
            raise ValueError(f"wing_delta ({self.wing_delta}) must be below short_delta "
                             f"({self.short_delta}): the wings are further out of the money")
        if self.exit_dte >= self.dte:
            raise ValueError(f"exit_dte ({self.exit_dte}) must be below dte ({self.dte})")
        return self

    @property
    def dte_trading_days(self) -> int:
        return max(trading_days(self.dte), 2)

    @property
    def exit_trading_days(self) -> int:
        return trading_days(self.exit_dte) if self.exit_dte > 0 else 0


# ------------------------------------------------------------------------------------------
# ALVH hedge
# ------------------------------------------------------------------------------------------

class StrikeRule(StrictModel):
    """VIX call strike: ``delta`` (Black delta on the layer's own VIX future), ``pct_above_future``
    (K = F (1 + value)) or ``spot_multiple`` (K = value x spot VIX); rounded to ``step`` points.
    SPX put strike (``instrument: spx_put``): ``delta`` (|Black put delta| at the model's smile,
    as the condor's shorts) or ``pct_below_spot`` (K = S (1 - value), Cboe PPUT's 5 % OTM:
    0.05); ``step`` up to 25 points (SPX strikes: 5)."""

    rule: Literal["delta", "pct_above_future", "spot_multiple", "pct_below_spot"]
    value: float = Field(gt=0.0)
    step: float = Field(1.0, gt=0.0, le=25.0)

    @model_validator(mode="after")
    def _range(self):
        if self.rule == "delta" and not self.value < 1.0:
            raise ValueError(f"delta must be in (0, 1), got {self.value}")
        if self.rule == "pct_above_future" and self.value > 10.0:
            raise ValueError(f"pct_above_future must be in (0, 10], got {self.value}")
        if self.rule == "spot_multiple" and not 0.5 <= self.value <= 10.0:
            raise ValueError(f"spot_multiple must be in [0.5, 10], got {self.value}")
        if self.rule == "pct_below_spot" and not self.value <= 0.5:
            # K = S (1 - value): at 1 or more no positive strike exists; past 50 % OTM an SPX
            # put is not listed at a price a hedge could use
            raise ValueError(f"pct_below_spot must be in (0, 0.5], got {self.value}")
        return self


class LayerConfig(StrictModel):
    """One hedge layer: VIX calls (default) or SPX puts (``instrument: spx_put``, a put spread
    with ``spread_width`` > 0), bought, marked, monetised, re-armed and rolled by the same
    rules; an SPX put is priced by the condor's pricer and pays SPX option costs."""

    instrument: Literal["vix_call", "spx_put"] = Field(
        "vix_call", description="vix_call: a VIX call; spx_put: an SPX put (or put spread)")
    spread_width: float = Field(0.0, ge=0.0, le=2000.0,
                                description="spx_put: sell a put this many index points below "
                                            "the long one (0: a plain put)")
    weight: float = Field(0.0, ge=0.0, le=1.0, description="share of the hedge budget")
    contracts_per_condor: float = Field(0.0, ge=0.0, le=100.0,
                                        description="VIX calls per condor contract")
    contracts_per_index_unit: float = Field(
        0.0, ge=0.0, le=100.0, description="options per unit of the S&P 500 core "
                                           "(contracts_per_index_unit sizing; PPUT: 1)")
    dte: int = Field(30, ge=2, le=540, description="calendar days to expiry when bought")
    roll_dte: int = Field(0, ge=0, description="sell and replace at this many calendar DTE "
                                               "(0: hold to expiry, settle on VIX)")
    strike: StrikeRule = StrikeRule(rule="pct_above_future", value=0.1)

    @model_validator(mode="after")
    def _instrument_strike(self):
        if self.instrument == "spx_put":
            if self.strike.rule not in ("delta", "pct_below_spot"):
                raise ValueError(f"strike.rule: an spx_put layer takes delta or pct_below_spot, "
                                 f"got {self.strike.rule}")
            if self.strike.rule == "delta" and not self.strike.value < 0.5:
                raise ValueError(f"strike.value: an spx_put's |delta| must be in (0, 0.5) (an "
                                 f"out-of-the-money put), got {self.strike.value}")
            if 0.0 < self.spread_width < self.strike.step:
                # the short put would round onto the long one: no spread to trade
                raise ValueError(f"spread_width ({self.spread_width}) must be 0 or at least "
                                 f"strike.step ({self.strike.step}) points")
        else:
            if self.strike.rule == "pct_below_spot":
                raise ValueError("strike.rule: pct_below_spot is for spx_put layers; a "
                                 "vix_call takes delta, pct_above_future or spot_multiple")
            if self.spread_width > 0.0:
                raise ValueError("spread_width is for spx_put layers")
        return self

    @model_validator(mode="after")
    def _roll_before_expiry(self):
        if self.roll_dte >= self.dte:
            raise ValueError(f"roll_dte ({self.roll_dte}) must be below dte ({self.dte})")
        if trading_days(self.dte) - trading_days(self.roll_dte) < 1:
            raise ValueError("dte - roll_dte must be at least one trading day")
        return self

    @property
    def dte_trading_days(self) -> int:
        return max(trading_days(self.dte), 1)

    @property
    def roll_trading_days(self) -> int:
        return trading_days(self.roll_dte)


class RegimeScaling(StrictModel):
    """Multiply the hedge spend by ``factors[i]`` when the level is in bucket i of ``edges``."""

    enabled: bool = True
    on: Literal["vix", "front_future"] = "vix"
    edges: list[float] = Field(default_factory=lambda: [15.0, 20.0, 30.0])
    factors: list[float] = Field(default_factory=lambda: [1.25, 1.0, 0.75, 0.5])

    @model_validator(mode="after")
    def _shape(self):
        if not 1 <= len(self.edges) <= 6:
            raise ValueError(f"edges: 1 to 6 levels allowed, got {len(self.edges)}")
        if any(not 0.0 < e <= 500.0 for e in self.edges):
            raise ValueError(f"edges are VIX levels in (0, 500], got {self.edges}")
        if any(b <= a for a, b in zip(self.edges, self.edges[1:], strict=False)):
            raise ValueError(f"edges must increase strictly, got {self.edges}")
        if len(self.factors) != len(self.edges) + 1:
            raise ValueError(f"factors needs len(edges) + 1 = {len(self.edges) + 1} values, "
                             f"got {len(self.factors)}")
        if any(not 0.0 <= f <= 10.0 for f in self.factors):
            raise ValueError(f"factors must be in [0, 10], got {self.factors}")
        return self


class TermStructureTrigger(StrictModel):
    """Fires on the day the front-minus-second VIX futures spread (constant 30- and 60-calendar-
    day maturities, VIX points) crosses above ``threshold_points``; with ``lookback_trading_days``
    > 0 the signal is the spread's change over that many days instead of its level."""

    enabled: bool = True
    threshold_points: float = Field(3.0, gt=0.0, le=50.0)
    lookback_trading_days: int = Field(5, ge=0, le=252)
    roll_out_dte: int = Field(60, ge=2, le=540,
                              description="new expiry of the front layer, bought with the "
                                          "sale's proceeds up to what the calls cost")
    tighten_condor_sd: float = Field(0.0, ge=0.0, le=5.0,
                                     description="re-strike open condors this many SD further out")


class MacdFilter(StrictModel):
    """Buy layers only while MACD(fast, slow, signal) of VIX says so (histogram > 0: rising)."""

    enabled: bool = False
    fast: int = Field(12, ge=1, le=250)
    slow: int = Field(26, ge=2, le=250)
    signal: int = Field(9, ge=1, le=250)
    when: Literal["rising", "falling"] = "falling"

    @model_validator(mode="after")
    def _order(self):
        if self.fast >= self.slow:
            raise ValueError(f"fast ({self.fast}) must be below slow ({self.slow})")
        return self


class RsiFilter(StrictModel):
    """Buy layers only while Wilder's RSI(period) of VIX is at most ``below``."""

    enabled: bool = False
    period: int = Field(14, ge=2, le=250)
    below: float = Field(70.0, gt=0.0, le=100.0)


class SplitWeights(StrictModel):
    """Shares of the hedge budget for VIX calls and SPX puts in one RSI bucket (sum 1)."""

    vix_calls: float = Field(ge=0.0, le=1.0)
    spx_puts: float = Field(ge=0.0, le=1.0)

    @model_validator(mode="after")
    def _sum_one(self):
        if abs(self.vix_calls + self.spx_puts - 1.0) > 1e-9:
            raise ValueError(f"vix_calls + spx_puts must sum to 1, got "
                             f"{self.vix_calls:g} + {self.spx_puts:g} = "
                             f"{self.vix_calls + self.spx_puts:g}")
        return self


class VvixSplit(StrictModel):
    """The seeds' rule for a hedge of VIX call and SPX put layers: whenever a layer is bought
    (a new layer, a re-armed one, a roll), the budget's split between the VIX call layers and
    the SPX put layers follows Wilder's RSI(``period``) of VVIX: ``weights.low`` below ``low``,
    ``weights.high`` at or above ``high``, ``weights.middle`` between. Each layer keeps its
    share of its own kind (a call layer of weight w among call layers of total weight W_c gets
    w / W_c of the calls' share), so the total spend is the budget's, as with fixed weights.
    Before the RSI has ``period`` days the layers' own weights apply.

    Defaults (a choice to be tested, not a fit): a high RSI means VVIX has been rising fast,
    VIX options are bid and calls dear, so lean to puts (30/70); a low RSI means calls are
    cheap, lean to calls (70/30); 50/50 between. The thresholds are Wilder's 30 and 70
    (Wilder 1978, "New Concepts in Technical Trading Systems")."""

    enabled: bool = False
    period: int = Field(14, ge=2, le=250)
    low: float = Field(30.0, gt=0.0, lt=100.0, description="RSI below it: weights.low")
    high: float = Field(70.0, gt=0.0, lt=100.0, description="RSI at or above it: weights.high")
    weights: dict[Literal["low", "middle", "high"], SplitWeights] = Field(
        default_factory=lambda: {"low": SplitWeights(vix_calls=0.7, spx_puts=0.3),
                                 "middle": SplitWeights(vix_calls=0.5, spx_puts=0.5),
                                 "high": SplitWeights(vix_calls=0.3, spx_puts=0.7)})

    @model_validator(mode="after")
    def _order(self):
        if not self.low < self.high:
            raise ValueError(f"thresholds out of order: low ({self.low:g}) must be below high "
                             f"({self.high:g})")
        missing = {"low", "middle", "high"} - set(self.weights)
        if missing:
            raise ValueError(f"weights: give low, middle and high (missing: "
                             f"{', '.join(sorted(missing))})")
        return self


class Monetization(StrictModel):
    """Take profit on a layer, then re-arm it, so that the book is not empty at the peak.

    A layer is monetised once it is worth ``profit_multiple`` x its cost (after a partial
    sale: x the last sale price, a ladder) or once VIX >= ``vix_above``. A sale sells
    ``sell_fraction`` of the layer's contracts and keeps the rest; the layer is then *disarmed*
    (no VIX-level sale, no new purchase) until it is re-armed: after ``rearm_after_days``
    trading days, as soon as VIX < ``rearm_vix_below``, or (``rearm_at_roll``) when what is
    left of the layer is rolled or expires, whichever comes first (no rule set: at once). A
    re-armed empty layer is bought again at full size; a remainder is held to its roll or
    expiry.

    Defaults: sell half at 3x (the sold half returns 1.5x the whole layer's cost; the half
    kept still pays if the spike goes on: in March 2020 VIX rose for 16 trading days after
    the layers first reached 3x) and re-arm once VIX is back below 25. The time and roll rules
    are available but off: re-arming in a panic buys calls at panic prices. On 3,000 paths of
    the 2020 replay (40/40/20 at 2 %/yr, claims.yaml's scenarios) the median drawdown cut is
    36 % with the default, 32 % re-arming after 10 days, 35 % re-arming at the roll, and 27 %
    under the rule of versions <= 0.1 (``sell_fraction: 1``: sell all, wait for VIX < 25),
    which also earns 1.7 %/yr less over the year; in a one-day crash selling everything at once
    cuts most (39 % against 34 %). README, "Hedge rules through a spike".
    """

    enabled: bool = True
    profit_multiple: float | None = Field(3.0, gt=1.0, le=1000.0)
    vix_above: float | None = Field(None, gt=0.0, le=500.0)
    sell_fraction: float = Field(0.5, gt=0.0, le=1.0,
                                 description="share of the layer's contracts sold per sale")
    rearm_after_days: int = Field(0, ge=0, le=2520,
                                  description="trading days after a sale (0: no time rule)")
    rearm_vix_below: float | None = Field(25.0, gt=0.0, le=500.0)
    rearm_at_roll: bool = Field(False, description="re-arm when the layer's remainder is "
                                                   "rolled or expires")

    @model_validator(mode="after")
    def _rearm_below_trigger(self):
        if self.vix_above is not None:
            if self.rearm_vix_below is None and self.rearm_after_days == 0 \
                    and not self.rearm_at_roll:
                raise ValueError("vix_above needs rearm_vix_below, rearm_after_days or "
                                 "rearm_at_roll (else "
                                 "the layer is sold and bought back every day while VIX stays "
                                 "above the level)")
            if self.rearm_vix_below is not None and self.rearm_vix_below >= self.vix_above:
                raise ValueError(f"rearm_vix_below ({self.rearm_vix_below}) must be below "
                                 f"vix_above ({self.vix_above})")
        return self


class HedgeConfig(StrictModel):
    """Adaptive Layered VIX Hedge: up to three layers (front, middle, tail), each of VIX calls
    or of SPX puts (issue 35), with the adaptive rules below."""

    preset: str | None = None
    sizing: Literal["budget", "contracts_per_condor", "contracts_per_index_unit"] = Field(
        "budget", description="budget: a share of budget_annual per layer; "
        "contracts_per_condor: per condor contract; contracts_per_index_unit: per unit of the "
        "S&P 500 core (Cboe PPUT's one put per unit)")
    budget_annual: float = Field(0.02, ge=0.0, le=1.0,
                                 description="premium spent per year / equity (budget sizing)")
    layers: dict[Literal["front", "middle", "tail"], LayerConfig] = Field(default_factory=dict)
    regime: RegimeScaling = RegimeScaling()
    term_structure: TermStructureTrigger = TermStructureTrigger()
    macd: MacdFilter = MacdFilter()
    rsi: RsiFilter = RsiFilter()
    monetize: Monetization = Monetization()
    vvix_split: VvixSplit = VvixSplit()
    whole_contracts: bool = False

    @model_validator(mode="before")
    @classmethod
    def _preset(cls, data):
        return _apply_preset(data, HEDGE_PRESETS, "hedge")

    @model_validator(mode="after")
    def _layers(self):
        if not self.layers:
            raise ValueError("layers: at least one of front, middle, tail is needed")
        if self.sizing == "budget":
            total = sum(layer.weight for layer in self.layers.values())
            if not 0.0 < total <= 1.0 + 1e-9:
                raise ValueError(f"layer weights must sum to (0, 1] with budget sizing, got "
                                 f"{total:g}")
        elif self.sizing == "contracts_per_index_unit":
            if not any(layer.contracts_per_index_unit > 0 for layer in self.layers.values()):
                raise ValueError("contracts_per_index_unit sizing needs a layer with "
                                 "contracts_per_index_unit > 0")
        elif not any(layer.contracts_per_condor > 0 for layer in self.layers.values()):
            raise ValueError("contracts_per_condor sizing needs a layer with "
                             "contracts_per_condor > 0")
        elif any(layer.instrument == "spx_put" and layer.contracts_per_condor > 0
                 for layer in self.layers.values()):
            # the condor's hedge-cost sizing prices per-condor layers as VIX calls
            raise ValueError("layers: spx_put layers take budget or contracts_per_index_unit "
                             "sizing, not contracts_per_condor")
        if self.vvix_split.enabled:
            kinds = {layer.instrument for layer in self.layers.values() if layer.weight > 0}
            if self.sizing != "budget" or kinds != {"vix_call", "spx_put"}:
                raise ValueError("vvix_split: needs budget sizing and at least one vix_call "
                                 "and one spx_put layer with weight > 0")
        return self


# ------------------------------------------------------------------------------------------
# Costs and the strategy
# ------------------------------------------------------------------------------------------

class CostsConfig(StrictModel):
    """Trading costs, charged on every open and close, never at cash settlement.

    Per option leg (``spx_`` / ``vix_``): the half bid-ask spread paid against mid,
    ``min(max(*_half_spread, *_half_spread_fraction x mid) x widening, *_half_spread_cap x mid,
    *_half_spread_max)`` with ``widening = max(1, VIX / widen_vix_base) ** widen_exponent``,
    plus the all-in fee ``*_commission`` (USD per contract). A condor filled as a ``combo``
    pays one package slippage, ``max(combo_min, combo_share x the four legs'
    half-spreads)``, instead of the four half-spreads. A named ``preset`` (COST_PRESETS) fills
    the fields not given; without a preset the fields default to the flat per-leg model
    (``flat_legs``)."""

    preset: str | None = Field(None, description="name in COST_PRESETS")
    spx_commission: float = Field(0.65, ge=0.0, le=100.0, description="USD per contract")
    spx_half_spread: float = Field(0.25, ge=0.0, le=50.0,
                                   description="per-leg half-spread floor, index points")
    spx_half_spread_fraction: float = Field(0.0, ge=0.0, le=1.0,
                                            description="per-leg half-spread / mid")
    spx_half_spread_cap: float | None = Field(None, gt=0.0, le=1.0,
                                              description="at most this share of mid")
    spx_half_spread_max: float | None = Field(None, gt=0.0, le=50.0,
                                              description="at most this many index points")
    condor_fill: Literal["legs", "combo"] = "legs"
    combo_share: float = Field(1.0, ge=0.0, le=1.0,
                               description="package slippage / the legs' half-spreads")
    combo_min: float = Field(0.0, ge=0.0, le=50.0, description="package slippage floor, points")
    vix_commission: float = Field(0.65, ge=0.0, le=100.0, description="USD per contract")
    vix_half_spread: float = Field(0.05, ge=0.0, le=10.0,
                                   description="half-spread floor, VIX option points")
    vix_half_spread_fraction: float = Field(0.0, ge=0.0, le=1.0)
    vix_half_spread_cap: float | None = Field(None, gt=0.0, le=1.0,
                                              description="at most this share of mid")
    vix_half_spread_max: float | None = Field(None, gt=0.0, le=10.0,
                                              description="at most this many VIX option points")
    widen_vix_base: float = Field(20.0, gt=0.0, le=200.0,
                                  description="VIX level at which spreads are as quoted")
    widen_exponent: float = Field(0.0, ge=0.0, le=5.0,
                                  description="spreads x (VIX / base) ** this above the base")

    @model_validator(mode="before")
    @classmethod
    def _preset(cls, data):
        if isinstance(data, str):
            data = {"preset": "none" if data == "None" else data}
        return _apply_preset(data, COST_PRESETS, "costs")

    @classmethod
    def none(cls) -> CostsConfig:
        return cls(preset="none")

    @classmethod
    def named(cls, name: str = DEFAULT_COSTS) -> CostsConfig:
        return cls(preset=name)

    @property
    def is_free(self) -> bool:
        return not any((self.spx_commission, self.spx_half_spread,
                        self.spx_half_spread_fraction, self.vix_commission,
                        self.vix_half_spread, self.vix_half_spread_fraction))

    def half_spread(self, kind: str, price: float, vix: float) -> float:
        """Half-spread of one option leg (``kind`` "spx" or "vix"), option price points; the
        kernel's rule in plain Python (tests compare the two)."""
        floor = getattr(self, f"{kind}_half_spread")
        fraction = getattr(self, f"{kind}_half_spread_fraction")
        cap = getattr(self, f"{kind}_half_spread_cap")
        most = getattr(self, f"{kind}_half_spread_max")
        half = max(floor, fraction * price) * max(1.0, vix / self.widen_vix_base) \
            ** self.widen_exponent
        half = half if cap is None else min(half, cap * price)
        return half if most is None else min(half, most)


def _none_or(value):
    return None if value in ("none", "None", None) else value


class IndexConfig(StrictModel):
    """A long S&P 500 core held from day 0 (total return: dividends paid into cash), e.g. for
    the Cboe VXTH index's portfolio (the S&P 500 plus one-month VIX calls; ``hedge:
    vxth_like``). Bought at the day-0 close without costs and never traded."""

    weight: float = Field(1.0, gt=0.0, le=1.0,
                          description="share of starting equity in the S&P 500 (0 < w <= 1)")
    dividend_yield: float | None = Field(
        None, ge=0.0, le=0.2, description="per year, continuously compounded, paid daily into "
                                          "cash; null: the model's q")


class StrategyConfig(StrictModel):
    """A condor (or none) plus a hedge (or none), optionally on a long S&P 500 core
    (``index``); ``costs`` overrides the scenario's costs."""

    condor: CondorConfig | None = None
    hedge: HedgeConfig | None = None
    index: IndexConfig | None = None
    costs: CostsConfig | None = None

    @field_validator("condor", "hedge", mode="before")
    @classmethod
    def _none_word(cls, value):
        value = _none_or(value)
        # a preset's name alone, as with "none": ``hedge: alvh_40_40_20``
        return {"preset": value} if isinstance(value, str) else value

    @field_validator("index", mode="before")
    @classmethod
    def _index_word(cls, value):
        value = _none_or(value)
        return {} if value is True or value == "sp500" else value

    @field_validator("costs", mode="before")
    @classmethod
    def _preset_word(cls, value):
        if isinstance(value, str):  # "none" or a preset name
            return {"preset": "none" if value == "None" else value}
        return value

    @model_validator(mode="after")
    def _something(self):
        if self.condor is None and self.hedge is None and self.index is None:
            raise ValueError("a strategy needs a condor, a hedge or an index core")
        if self.hedge is not None and self.hedge.sizing == "contracts_per_condor" \
                and self.condor is None:
            raise ValueError("contracts_per_condor hedge sizing needs a condor")
        if self.hedge is not None and self.hedge.sizing == "contracts_per_index_unit" \
                and self.index is None:
            raise ValueError("contracts_per_index_unit hedge sizing needs an index core "
                             "(index: sp500)")
        return self



def strategy(condor: str | dict | None = None, hedge: str | dict | None = None,
             costs: str | dict | CostsConfig | None = None) -> StrategyConfig:
    """Shorthand: ``strategy("monthly_16_delta", "alvh_40_40_20", costs="none")``."""
    def expand(value):
        return {"preset": value} if isinstance(value, str) and value != "none" else value
    return StrategyConfig(condor=expand(condor), hedge=expand(hedge), costs=costs)
