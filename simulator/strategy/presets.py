"""Named configurations a scenario file can start from (``preset: NAME``): condors, hedges and
trading costs, each with the source it follows. The records they fill, and what every field
means, are in :mod:`simulator.strategy.config`."""

from __future__ import annotations

# ------------------------------------------------------------------------------------------
# Iron condors
# ------------------------------------------------------------------------------------------

CONDOR_PRESETS: dict[str, dict] = {
    # tastytrade-style monthly: 45 DTE, 16-delta shorts, 50-point wings, managed at 50 % of
    # credit, stopped at a loss of 2x credit, closed at 21 DTE; a new tranche every 21 days.
    "monthly_16_delta": {"every_trading_days": 21, "dte": 45, "short_delta": 0.16,
                         "wing_width": 50.0, "take_profit": 0.5, "stop_multiple": 2.0,
                         "exit_dte": 21},
    # the "0.70" condor: short strikes where the risk-neutral probability of finishing
    # between them is 70 % (15 % in each tail); otherwise as monthly_16_delta. With the
    # model's skew this puts the short put near 20 delta and the short call near 11 delta
    # (Black deltas at each strike's implied vol; a probability is not a delta:
    # tests/test_measurement.py checks both).
    "prob_70_between": {"every_trading_days": 21, "dte": 45, "prob_between": 0.70,
                        "wing_width": 50.0, "take_profit": 0.5, "stop_multiple": 2.0,
                        "exit_dte": 21},
    # Cboe CNDR rules (docs/model.md §6): sell 20-delta, buy 5-delta, monthly, held to expiry.
    # History runs: one condor from one monthly expiry to the next (open_on: expiry; sold at
    # the expiry day's close, where the index sells at about 11:00 ET); simulated paths keep a
    # tranche every 21 trading days at 30 DTE (one month, no overlap) as the analogue.
    "cndr_like": {"every_trading_days": 21, "dte": 30, "short_delta": 0.20, "wing_delta": 0.05,
                  "open_on": "expiry"},
}
# the name the claims' source material uses; kept so older scenario files still load
CONDOR_PRESETS["conservative_070"] = CONDOR_PRESETS["prob_70_between"]


# ------------------------------------------------------------------------------------------
# Hedges
# ------------------------------------------------------------------------------------------

_FRONT = {"dte": 30, "roll_dte": 7, "strike": {"rule": "pct_above_future", "value": 0.10}}
_MIDDLE = {"dte": 90, "roll_dte": 30, "strike": {"rule": "pct_above_future", "value": 0.25}}
_TAIL = {"dte": 150, "roll_dte": 60, "strike": {"rule": "spot_multiple", "value": 2.0}}
_FRONT_PUT = {"instrument": "spx_put", "dte": 30, "roll_dte": 7,
              "strike": {"rule": "delta", "value": 0.10, "step": 5.0}}
_MIDDLE_PUT = {"instrument": "spx_put", "dte": 90, "roll_dte": 30,
               "strike": {"rule": "delta", "value": 0.10, "step": 5.0}}
_TAIL_PUT = {"instrument": "spx_put", "dte": 150, "roll_dte": 60,
             "strike": {"rule": "delta", "value": 0.05, "step": 5.0}}

HEDGE_PRESETS: dict[str, dict] = {
    "alvh_40_40_20": {
        "sizing": "budget", "budget_annual": 0.02,
        "layers": {"front": {**_FRONT, "weight": 0.4}, "middle": {**_MIDDLE, "weight": 0.4},
                   "tail": {**_TAIL, "weight": 0.2}},
    },
    "alvh_4_4_2": {
        "sizing": "contracts_per_condor",
        "layers": {"front": {**_FRONT, "contracts_per_condor": 4.0},
                   "middle": {**_MIDDLE, "contracts_per_condor": 4.0},
                   "tail": {**_TAIL, "contracts_per_condor": 2.0}},
    },
    "single_front": {
        "sizing": "budget", "budget_annual": 0.02,
        "layers": {"front": {**_FRONT, "weight": 1.0}},
    },
    # SPX puts in the ALVH's place (issue 35): the same budget, split, maturities, roll,
    # monetisation, regime and term-structure rules, each layer an out-of-the-money SPX put.
    # |delta| 0.10 front and middle sits beyond a 16-delta condor's short put, where the
    # condor's loss starts; the tail's 0.05 is the far tail, as the 2x-spot VIX call is.
    "spx_puts_40_40_20": {
        "sizing": "budget", "budget_annual": 0.02,
        "layers": {"front": {**_FRONT_PUT, "weight": 0.4},
                   "middle": {**_MIDDLE_PUT, "weight": 0.4},
                   "tail": {**_TAIL_PUT, "weight": 0.2}},
    },
    # VIX calls and SPX puts side by side at the ALVH budget: the front and tail VIX call
    # layers of alvh_40_40_20, the middle layer an SPX put
    "alvh_calls_puts": {
        "sizing": "budget", "budget_annual": 0.02,
        "layers": {"front": {**_FRONT, "weight": 0.4}, "middle": {**_MIDDLE_PUT, "weight": 0.4},
                   "tail": {**_TAIL, "weight": 0.2}},
    },
    # the same layers with the seeds' RSI-of-VVIX rule: each purchase splits the budget
    # between the VIX call layers and the SPX put layer by the RSI(14) of VVIX (config.VvixSplit:
    # 70/30 below 30, 50/50 between, 30/70 at or above 70)
    "alvh_vvix_split": {
        "sizing": "budget", "budget_annual": 0.02,
        "layers": {"front": {**_FRONT, "weight": 0.4}, "middle": {**_MIDDLE_PUT, "weight": 0.4},
                   "tail": {**_TAIL, "weight": 0.2}},
        "vvix_split": {"enabled": True},
    },
    # Cboe PPUT (S&P 500 5% Put Protection Index): the S&P 500 plus one one-month put struck
    # about 5 % out of the money per unit of the index, bought at each monthly roll and held
    # to expiry (Cboe PPUT methodology; Israelov 2019, "Pathetic Protection", J. Alternative
    # Investments, studies its cost). Needs the index core (index: sp500); the put is paid
    # from cash, as VXTH's calls are.
    "pput_like": {
        "sizing": "contracts_per_index_unit",
        "layers": {"front": {"instrument": "spx_put", "dte": 30, "roll_dte": 0,
                             "contracts_per_index_unit": 1.0,
                             "strike": {"rule": "pct_below_spot", "value": 0.05, "step": 5.0}}},
        "regime": {"enabled": False},
        "term_structure": {"enabled": False},
        "monetize": {"enabled": False},
    },
    # Cboe VXTH (docs/model.md §6): one-month 30-delta VIX calls held to expiry and rolled; the
    # spend at each roll is set by the front future: <=15: 0, 15-30: 1 %, 30-50: 0.5 %, >50: 0.
    # 1 % a month = 12 % a year of budget at factor 1.
    "vxth_like": {
        "sizing": "budget", "budget_annual": 0.12,
        "layers": {"front": {"dte": 30, "roll_dte": 0, "weight": 1.0,
                             "strike": {"rule": "delta", "value": 0.30}}},
        "regime": {"enabled": True, "on": "front_future", "edges": [15.0, 30.0, 50.0],
                   "factors": [0.0, 1.0, 0.5, 0.0]},
        "term_structure": {"enabled": False},
        "monetize": {"enabled": False},
    },
}


# ------------------------------------------------------------------------------------------
# Trading costs
# ------------------------------------------------------------------------------------------

# Cost presets (docs/costs.md has the sources and the arithmetic). Fees are all-in USD per
# contract: broker commission + Cboe transaction fee (customer SPX: $0.36 for premium < $1,
# $0.45 from $1; VIX simple orders $0.10-$0.45 by premium; Cboe Exchange fees schedule) +
# clearing and regulatory fees (a few cents). Half-spreads: max(tick floor, fraction x mid),
# times (VIX / widen_vix_base) ** widen_exponent when VIX is above the base (spreads widen in a
# spike), then capped at ``*_half_spread_cap`` x mid and at ``*_half_spread_max`` points.
# VIX caps (issue 29): a spread proportional to price, widened again with VIX, reached 16.6 %
# of a deep ITM call's price a side at VIX 83; 10 % of mid (above the 8.6 % average quoted
# half-spread of Muravyev & Pearson 2020, whose percentages are widest for cheap options) and
# 1 point (ten of the $0.10 ticks VIX options above $3 quoted in before 3 Oct 2022) bound it.
_FLAT = {"spx_commission": 0.65, "spx_half_spread": 0.25, "spx_half_spread_fraction": 0.0,
         "spx_half_spread_cap": None, "condor_fill": "legs", "combo_share": 1.0,
         "combo_min": 0.0, "vix_commission": 0.65, "vix_half_spread": 0.05,
         "vix_half_spread_fraction": 0.0, "vix_half_spread_cap": None,
         "widen_vix_base": 20.0, "widen_exponent": 0.0, "spx_half_spread_max": None,
         "vix_half_spread_max": None}
_VIX_CAPS = {"vix_half_spread_cap": 0.10, "vix_half_spread_max": 1.0}
COST_PRESETS: dict[str, dict] = {
    # free trading: the gross edge of the strategies
    "none": {**_FLAT, "spx_commission": 0.0, "spx_half_spread": 0.0, "vix_commission": 0.0,
             "vix_half_spread": 0.0},
    # versions <= 0.1: a flat 0.25-point half-spread on every SPX leg, in and out, $0.65
    "flat_legs": dict(_FLAT),
    # a desk: condor filled as one package at 20 % of the legs' half-spreads from mid (at
    # least one 0.05 tick), exchange + clearing fees only ($0.50 SPX, $0.45 VIX)
    "institutional": {**_FLAT, "spx_commission": 0.50, "spx_half_spread": 0.05,
                      "spx_half_spread_fraction": 0.01, "spx_half_spread_cap": 0.5,
                      "condor_fill": "combo", "combo_share": 0.2, "combo_min": 0.05,
                      "vix_commission": 0.45, "vix_half_spread": 0.025,
                      "vix_half_spread_fraction": 0.03, "widen_exponent": 1.0, **_VIX_CAPS},
    # a retail account trading the condor as one four-leg order: 40 % of the legs'
    # half-spreads from mid; $0.65 commission + fees = $1.20 SPX, $1.10 VIX
    "retail_combo": {**_FLAT, "spx_commission": 1.20, "spx_half_spread": 0.05,
                     "spx_half_spread_fraction": 0.01, "spx_half_spread_cap": 0.5,
                     "condor_fill": "combo", "combo_share": 0.4, "combo_min": 0.05,
                     "vix_commission": 1.10, "vix_half_spread": 0.025,
                     "vix_half_spread_fraction": 0.04, "widen_exponent": 1.0, **_VIX_CAPS},
}
# the same account legging in and out: every leg pays its whole half-spread
COST_PRESETS["retail_legs"] = {**COST_PRESETS["retail_combo"], "condor_fill": "legs",
                               "combo_share": 1.0, "combo_min": 0.0}
DEFAULT_COSTS = "retail_combo"
