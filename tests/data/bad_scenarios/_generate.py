"""Writes the malformed-scenario corpus of tests/test_robustness.py: each file breaks one
thing, and ``expected.yaml`` maps it to the field path its error must name. Run again after
changing the cases (``python tests/data/bad_scenarios/_generate.py``); the files are committed.
"""

from pathlib import Path

HERE = Path(__file__).parent

HEAD = "name: bad\ndescription: a malformed scenario\n"
SIM = "simulation: {paths: 16, days: 21, chunk_paths: 16}\n"
STRATS = ("strategies:\n  unhedged: {condor: {preset: monthly_16_delta}, hedge: none}\n"
          "  alvh: {condor: {preset: monthly_16_delta}, hedge: {preset: alvh_40_40_20}}\n")


def doc(sim=SIM, extra="", strategies=STRATS, head=HEAD):
    return head + sim + extra + strategies


def alvh(hedge_extra):
    return (STRATS.split("  alvh:")[0]
            + f"  alvh: {{condor: {{preset: monthly_16_delta}}, hedge: {{preset: alvh_40_40_20, "
              f"{hedge_extra}}}}}\n")


def condor(condor_extra):
    return ("strategies:\n  unhedged: {condor: {preset: monthly_16_delta, "
            + condor_extra + "}, hedge: none}\n")


CASES: dict[str, tuple[str, str]] = {}


def case(name, text, field):
    CASES[name] = (text, field)


# --- top level and YAML --------------------------------------------------------------------
case("unknown_section", doc(extra="simulations: {}\n"), "simulations")
case("missing_strategies", HEAD + SIM, "strategies")
case("missing_simulation", HEAD + STRATS, "simulation")
case("not_a_mapping", "- just\n- a list\n", "must be a mapping")
case("scalar_document", "42\n", "must be a mapping")
case("duplicate_section", doc(extra="simulation: {paths: 9000000}\n"), "duplicate key")
case("duplicate_field", doc(sim="simulation: {paths: 16, paths: 9000000}\n"), "duplicate key")
case("alias_bomb", "".join(f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 9) + "]\n"
                           if i else "a0: &a0 [x, x, x, x, x, x, x, x, x]\n"
                           for i in range(10)) + doc(), "alias")
case("deep_nesting", doc(extra="x: " + "[" * 3000 + "]" * 3000 + "\n"), "nested more than")
case("bad_yaml", doc(extra="costs: {spx_commission: [1, 2}\n"), "not valid YAML")
case("tab_indent", doc().replace("  unhedged", "\tunhedged"), "not valid YAML")
case("name_not_string", doc(head="name: [1]\n"), "name")
case("name_space", doc(head="name: my run\n"), "name")
case("name_long", doc(head="name: " + "a" * 300 + "\n"), "name")
case("name_newline", doc(head='name: "abc\\n"\n'), "name")
case("name_digit", doc(head="name: 1abc\n"), "name")
case("description_list", doc(head="name: bad\ndescription: [1]\n"), "description")

# --- simulation ----------------------------------------------------------------------------
for field, value in [("paths", 0), ("paths", -5), ("paths", 100000000), ("paths", "many"),
                     ("paths", 1.5), ("days", 0), ("days", 3000), ("seed", -1),
                     ("seed", 2**70), ("capital", 0), ("capital", ".nan"),
                     ("chunk_paths", 1), ("substeps", 0), ("substeps", 100),
                     ("quantiles", "[0.5, 0.1]"), ("quantiles", "[1.5]"), ("quantiles", "[]")]:
    case(f"simulation_{field}_{str(value).strip('[].').replace(', ', '_') or 'empty'}",
         doc(sim=f"simulation: {{paths: 16, days: 21, {field}: {value}}}\n"
             if field not in ("paths", "days")
             else f"simulation: {{paths: {value}, days: 21}}\n" if field == "paths"
             else f"simulation: {{paths: 16, days: {value}}}\n"),
         f"simulation.{field}")
case("simulation_unknown", doc(sim="simulation: {paths: 16, dayz: 21}\n"), "simulation.dayz")
case("simulation_not_mapping", doc(sim="simulation: 16\n"), "simulation")

# --- model ---------------------------------------------------------------------------------
for name, over, field in [
    ("model_unknown_preset", "{preset: nosuch}", "model.preset"),
    ("model_unknown_param", "{overrides: {v00: 0.02}}", "model.overrides"),
    ("model_v0_negative", "{overrides: {v0: -0.01}}", "model.overrides.v0"),
    ("model_theta_percent", "{overrides: {P: {theta: 20}}}", "model.overrides.P.theta"),
    ("model_rho_one", "{overrides: {P: {rho: 1.0}}}", "model.overrides.P.rho"),
    ("model_p_null", "{overrides: {P: null}}", "model.overrides.P"),
    ("model_q_list", "{overrides: {Q: [1, 2]}}", "model.overrides.Q"),
    ("model_p_string", "{overrides: {P: high}}", "model.overrides.P"),
    ("model_overrides_list", "{overrides: [1]}", "model.overrides"),
    ("model_q_equity_premium", "{overrides: {Q: {equity_premium: 0.05}}}",
     "model.overrides.Q"),
    ("model_jump_underflow", "{overrides: {P: {lam: 100, mu_v: 1, rho_j: -50}}}",
     "model.overrides.P.rho_j"),
    ("model_jump_table", "{overrides: {Q: {lam: 100, mu_v: 1, mu_x: -1, sigma_x: 1, "
     "rho_j: -0.99}}}", "model.overrides.Q.rho_j"),
    ("model_jump_variance", "{overrides: {Q: {lam: 100, sigma_x: 1, mu_x: -0.5}}}",
     "model.overrides.Q.lam"),
    ("model_kappa_nan", "{overrides: {P: {kappa: .nan}}}", "model.overrides.P.kappa"),
    ("model_not_mapping", "3", "model"),
    ("model_unknown_key", "{preset: svcj_default, override: {}}", "model.override"),
]:
    case(name, doc(extra=f"model: {over}\n"), field)

# --- scenarios: shocks, regimes, model overrides -------------------------------------------
for name, scen, field in [
    ("scenario_unknown_key", "{s: {shock: []}}", "scenarios.s.shock"),
    ("scenario_empty", "{}", "scenarios"),
    ("scenario_bad_name", "{'1s': {}}", "scenarios.1s"),
    ("scenario_model_p_null", "{s: {model: {P: null}}}", "scenarios.s.model.P"),
    ("scenario_model_bad", "{s: {model: {v0: 9}}}", "scenarios.s.model.v0"),
    ("shock_day_zero", "{s: {shocks: [{day: 0, spx_return: -0.1}]}}", "scenarios.s.shocks.0.day"),
    ("shock_day_beyond", "{s: {shocks: [{day: 50, spx_return: -0.1}]}}", "scenarios.s.shocks"),
    ("shock_return_minus_one", "{s: {shocks: [{day: 5, spx_return: -1.0}]}}",
     "scenarios.s.shocks.0.spx_return"),
    ("shock_empty", "{s: {shocks: [{day: 5}]}}", "scenarios.s.shocks.0"),
    ("shock_vix_and_jump", "{s: {shocks: [{day: 5, vix: 40, variance_jump: 0.1}]}}",
     "scenarios.s.shocks.0"),
    ("shock_vix_negative", "{s: {shocks: [{day: 5, vix: -3}]}}", "scenarios.s.shocks.0.vix"),
    ("shock_mode", "{s: {shocks: [{day: 5, spx_return: 0.1, spx_return_mode: put}]}}",
     "scenarios.s.shocks.0.spx_return_mode"),
    ("shock_twice", "{s: {shocks: [{day: 5, vix: 40}, {day: 5, vix: 50}]}}",
     "scenarios.s.shocks"),
    ("regime_order", "{s: {regimes: [{start_day: 10, end_day: 5, P: {theta: 0.05}}]}}",
     "scenarios.s.regimes.0"),
    ("regime_sigma_v", "{s: {regimes: [{start_day: 0, end_day: 5, P: {sigma_v: 0.9}}]}}",
     "scenarios.s.regimes"),
    ("regime_overlap", "{s: {regimes: [{start_day: 0, end_day: 10, P: {theta: 0.05}}, "
     "{start_day: 5, end_day: 15, P: {theta: 0.06}}]}}", "scenarios.s.regimes"),
    ("regime_theta", "{s: {regimes: [{start_day: 0, end_day: 5, P: {theta: 7}}]}}",
     "scenarios.s.regimes"),
    ("scenarios_list", "[base]", "scenarios"),
]:
    case(name, doc(extra=f"scenarios: {scen}\n"), field)

# --- costs ---------------------------------------------------------------------------------
for name, costs, field in [
    ("costs_negative_spread", "{spx_half_spread: -0.1}", "costs.spx_half_spread"),
    ("costs_fraction", "{spx_half_spread_fraction: 2}", "costs.spx_half_spread_fraction"),
    ("costs_cap_zero", "{vix_half_spread_cap: 0}", "costs.vix_half_spread_cap"),
    ("costs_max_points_big", "{vix_half_spread_max: 20}", "costs.vix_half_spread_max"),
    ("costs_combo_share", "{combo_share: 1.5}", "costs.combo_share"),
    ("costs_fill", "{condor_fill: package}", "costs.condor_fill"),
    ("costs_preset", "{preset: cheap}", "costs"),
    ("costs_preset_word", "cheap", "costs"),
    ("costs_unknown", "{spx_comission: 0.65}", "costs.spx_comission"),
    ("costs_widen_base", "{widen_vix_base: 0}", "costs.widen_vix_base"),
    ("costs_commission_string", "{vix_commission: cheap}", "costs.vix_commission"),
]:
    case(name, doc(extra=f"costs: {costs}\n"), field)

# --- vol events ----------------------------------------------------------------------------
for name, rule, field in [
    ("events_points_zero", "{vix_rise_points: 0}", "vol_events.vix_rise_points"),
    ("events_no_rule", "{vix_rise_points: null}", "vol_events"),
    ("events_pct_negative", "{vix_rise_pct: -0.5}", "vol_events.vix_rise_pct"),
    ("events_window_zero", "{within_days: 0}", "vol_events.within_days"),
    ("events_retrace", "{end_retrace: 1.5}", "vol_events.end_retrace"),
    ("events_max", "{max_per_path: 0}", "vol_events.max_per_path"),
    ("events_unknown", "{rise: 10}", "vol_events.rise"),
]:
    case(name, doc(extra=f"vol_events: {rule}\n"), field)

# --- condor --------------------------------------------------------------------------------
for name, extra, field in [
    ("condor_delta_half", "short_delta: 0.6", "strategies.unhedged.condor.short_delta"),
    ("condor_two_rules", "prob_between: 0.7", "strategies.unhedged.condor"),
    ("condor_wing_zero", "wing_width: 0", "strategies.unhedged.condor.wing_width"),
    ("condor_exit_after_dte", "exit_dte: 60", "strategies.unhedged.condor"),
    ("condor_risk_two", "risk_per_tranche: 2", "strategies.unhedged.condor.risk_per_tranche"),
    ("condor_every_zero", "every_trading_days: 0",
     "strategies.unhedged.condor.every_trading_days"),
    ("condor_first_entry_huge", "first_entry_day: 100000000000000000000",
     "strategies.unhedged.condor.first_entry_day"),
    ("condor_sizing", "sizing: everything", "strategies.unhedged.condor.sizing"),
    ("condor_unknown", "take_profits: 0.5", "strategies.unhedged.condor.take_profits"),
    ("condor_take_profit_big", "take_profit: 3", "strategies.unhedged.condor.take_profit"),
]:
    case(name, doc(strategies=condor(extra)), field)
case("condor_preset_list", doc(strategies="strategies:\n  unhedged: {condor: {preset: [1]}, "
                                          "hedge: none}\n"), "strategies.unhedged.condor")
case("condor_preset_unknown", doc(strategies="strategies:\n  unhedged: {condor: {preset: "
                                             "weekly}, hedge: none}\n"),
     "strategies.unhedged.condor")
case("strategy_empty", doc(strategies="strategies:\n  unhedged: {}\n"), "strategies.unhedged")
case("strategies_empty", doc(strategies="strategies: {}\n"), "strategies")
case("strategy_bad_name", doc(strategies="strategies:\n  'my strategy': {condor: {preset: "
                                         "monthly_16_delta}}\n"), "strategies.my strategy")

# --- hedge ---------------------------------------------------------------------------------
for name, extra, field in [
    ("hedge_budget_two", "budget_annual: 2", "strategies.alvh.hedge.budget_annual"),
    ("hedge_weights", "layers: {front: {weight: 0.9}, tail: {weight: 0.9}}",
     "strategies.alvh.hedge"),
    ("hedge_layer_unknown", "layers: {back: {weight: 1}}", "strategies.alvh.hedge.layers"),
    ("hedge_roll_after_expiry", "layers: {front: {weight: 1, dte: 30, roll_dte: 30}}",
     "strategies.alvh.hedge.layers.front"),
    ("hedge_strike_rule", "layers: {front: {weight: 1, strike: {rule: moneyness, value: 1}}}",
     "strategies.alvh.hedge.layers.front.strike.rule"),
    ("hedge_strike_delta", "layers: {front: {weight: 1, strike: {rule: delta, value: 1.5}}}",
     "strategies.alvh.hedge.layers.front.strike"),
    ("hedge_regime_edges", "regime: {edges: [20, 15], factors: [1, 1, 1]}",
     "strategies.alvh.hedge.regime"),
    ("hedge_regime_factors", "regime: {edges: [20], factors: [1]}",
     "strategies.alvh.hedge.regime"),
    ("hedge_sell_fraction_zero", "monetize: {sell_fraction: 0}",
     "strategies.alvh.hedge.monetize.sell_fraction"),
    ("hedge_sell_fraction_big", "monetize: {sell_fraction: 1.5}",
     "strategies.alvh.hedge.monetize.sell_fraction"),
    ("hedge_rearm_negative", "monetize: {rearm_after_days: -1}",
     "strategies.alvh.hedge.monetize.rearm_after_days"),
    ("hedge_vix_above_no_rearm", "monetize: {vix_above: 30, rearm_vix_below: null}",
     "strategies.alvh.hedge.monetize"),
    ("hedge_multiple_one", "monetize: {profit_multiple: 1}",
     "strategies.alvh.hedge.monetize.profit_multiple"),
    ("hedge_macd_order", "macd: {enabled: true, fast: 30, slow: 10}",
     "strategies.alvh.hedge.macd"),
    ("hedge_ts_threshold", "term_structure: {threshold_points: 0}",
     "strategies.alvh.hedge.term_structure.threshold_points"),
    ("hedge_sizing", "sizing: lots", "strategies.alvh.hedge.sizing"),
]:
    case(name, doc(strategies=alvh(extra)), field)

# --- sweep ---------------------------------------------------------------------------------
for name, sweep, field in [
    ("sweep_no_strategy", "{nosuch.hedge.budget_annual: [0.01]}", "sweep.nosuch"),
    ("sweep_short_key", "{alvh: [0.01]}", "sweep.alvh"),
    ("sweep_repeat", "{alvh.hedge.budget_annual: [0.01, 0.01]}", "sweep.alvh"),
    ("sweep_empty", "{alvh.hedge.budget_annual: []}", "sweep.alvh"),
    ("sweep_bad_value", "{alvh.hedge.budget_annual: [0.01, 5]}", "budget_annual"),
    ("sweep_mapping_value", "{alvh.hedge.budget_annual: [{a: 1}]}", "budget_annual"),
]:
    case(name, doc(extra=f"sweep: {sweep}\n"), field)


def main() -> None:
    for old in HERE.glob("*.yaml"):
        old.unlink()
    index = []
    for name, (text, field) in sorted(CASES.items()):
        (HERE / f"{name}.yaml").write_text(text)
        index.append(f"{name}.yaml: {field!r}")
    (HERE / "expected.txt").write_text("\n".join(index) + "\n")
    print(f"{len(CASES)} files")


if __name__ == "__main__":
    main()
