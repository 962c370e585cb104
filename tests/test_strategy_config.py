"""Strategy configuration: presets, strict validation, units."""

import pytest
from pydantic import ValidationError

from simulator.strategy import (
    CONDOR_PRESETS,
    HEDGE_PRESETS,
    CondorConfig,
    HedgeConfig,
    StrategyConfig,
    strategy,
)
from simulator.strategy.config import trading_days


@pytest.mark.parametrize("name", sorted(CONDOR_PRESETS))
def test_condor_presets_validate(name):
    c = CondorConfig(preset=name)
    assert c.preset == name
    assert 2 <= c.dte_trading_days < 400


@pytest.mark.parametrize("name", sorted(HEDGE_PRESETS))
def test_hedge_presets_validate(name):
    h = HedgeConfig(preset=name)
    assert h.layers


def test_preset_values_follow_the_issue():
    m = CondorConfig(preset="monthly_16_delta")
    assert (m.dte, m.short_delta, m.every_trading_days) == (45, 0.16, 21)
    assert CondorConfig(preset="conservative_070").prob_between == 0.70
    cndr = CondorConfig(preset="cndr_like")
    assert (cndr.short_delta, cndr.wing_delta, cndr.take_profit, cndr.exit_dte) == (
        0.20, 0.05, None, 0)
    alvh = HedgeConfig(preset="alvh_40_40_20")
    assert [alvh.layers[k].weight for k in ("front", "middle", "tail")] == [0.4, 0.4, 0.2]
    c442 = HedgeConfig(preset="alvh_4_4_2")
    assert [c442.layers[k].contracts_per_condor for k in ("front", "middle", "tail")] == [4, 4, 2]
    vxth = HedgeConfig(preset="vxth_like")
    assert vxth.layers["front"].strike.rule == "delta"
    assert vxth.regime.factors == [0.0, 1.0, 0.5, 0.0] and vxth.regime.on == "front_future"
    assert list(HedgeConfig(preset="single_front").layers) == ["front"]


def test_overrides_merge_into_the_preset():
    h = HedgeConfig.model_validate({"preset": "alvh_40_40_20", "budget_annual": 0.01,
                                    "layers": {"tail": {"weight": 0.1}}})
    assert h.budget_annual == 0.01
    assert h.layers["tail"].weight == 0.1
    assert h.layers["tail"].dte == 150  # kept from the preset
    assert h.layers["front"].weight == 0.4


def test_every_error_is_reported_at_once_with_its_path():
    with pytest.raises(ValidationError) as err:
        StrategyConfig.model_validate({
            "condor": {"preset": "monthly_16_delta", "dte": -3, "colour": "red"},
            "hedge": {"preset": "alvh_40_40_20", "budget_annual": 2.0},
        })
    locs = {tuple(str(x) for x in e["loc"]) for e in err.value.errors()}
    assert ("condor", "dte") in locs
    assert ("condor", "colour") in locs  # unknown keys are errors
    assert ("hedge", "budget_annual") in locs


@pytest.mark.parametrize("bad, message", [
    ({"short_delta": 0.16, "prob_between": 0.7, "wing_width": 50}, "exactly one"),
    ({"short_delta": 0.16}, "wing_width or wing_delta"),
    ({"short_delta": 0.16, "wing_delta": 0.2}, "below short_delta"),
    ({"short_delta": 0.16, "wing_width": 50, "exit_dte": 50}, "exit_dte"),
])
def test_condor_rules_are_checked(bad, message):
    with pytest.raises(ValidationError, match=message):
        CondorConfig.model_validate(bad)


def test_unknown_preset_names_the_allowed_ones():
    with pytest.raises(ValidationError, match="allowed: .*monthly_16_delta"):
        CondorConfig(preset="weekly_magic")


def test_hedge_rules_are_checked():
    with pytest.raises(ValidationError, match="weights must sum"):
        HedgeConfig.model_validate({"layers": {"front": {"weight": 0.7}, "tail": {"weight": 0.7}}})
    with pytest.raises(ValidationError, match="edges must increase"):
        HedgeConfig.model_validate({"preset": "alvh_40_40_20",
                                    "regime": {"edges": [20, 15], "factors": [1, 1, 1]}})
    with pytest.raises(ValidationError, match="rearm_vix_below"):
        HedgeConfig.model_validate({"preset": "alvh_40_40_20",
                                    "monetize": {"vix_above": 30, "rearm_vix_below": None,
                                                 "rearm_after_days": 0}})
    with pytest.raises(ValidationError, match="roll_dte"):
        HedgeConfig.model_validate({"layers": {"front": {"weight": 1, "dte": 30,
                                                         "roll_dte": 30}}})
    with pytest.raises(ValidationError, match="needs a condor"):
        strategy(None, "alvh_4_4_2")


def test_none_words_and_free_costs():
    s = StrategyConfig.model_validate({"condor": {"preset": "cndr_like"}, "hedge": "none",
                                       "costs": "none"})
    assert s.hedge is None and s.costs.is_free


def test_calendar_to_trading_days():
    assert trading_days(365) == 252
    assert trading_days(30) == 21
    assert trading_days(45) == 31
