//! Model build tests: inputs that used to give NaN rows or values now give located errors, zero
//! windows give exact rows, and every built row passes the one check at the end of the build.

use super::*;
use crate::error::ProblemKind;
use std::path::Path;

/// A three-state scenario (well, sick, dead) with yearly cycles, plus `extra` TOML (parameters,
/// strategies, economics).
fn scenario(transitions: &str, extra: &str) -> Scenario {
    scenario_result(transitions, extra).unwrap_or_else(|e| panic!("{e}"))
}

/// As [`scenario`], returning the error of a scenario that does not pass validation.
fn scenario_result(transitions: &str, extra: &str) -> Result<Scenario> {
    let text = format!(
        r#"
[scenario]
name = "t"
[settings]
cycle_length = "1 year"
horizon = "10 years"
patients = 100
seed = 1
[cohort]
start_age = 60
fraction_male = 0.5
start_state = {{ well = 1.0 }}
[[states]]
name = "well"
[[states]]
name = "sick"
[[states]]
name = "dead"
absorbing = true
alive = false
{transitions}
{extra}
"#
    );
    Scenario::from_toml("t.toml", &text, Path::new("."))
}

const RATES: &str = r#"
[[transitions]]
from = "well"
to = "sick"
rate = 0.2
[[transitions]]
from = "sick"
to = "dead"
annual_probability = "p_sick_dead"
[parameters.p_sick_dead]
value = 0.3
kind = "annual_probability"
source = "test"
"#;

fn problems(result: Result<Model>) -> Vec<Problem> {
    match result {
        Err(Error::Invalid { problems, .. }) => problems,
        Err(e) => panic!("unexpected error {e}"),
        Ok(_) => panic!("the model built"),
    }
}

/// Every row of every strategy, group, cycle and slot sums to 1 (or is empty for absorbing states).
fn assert_rows_are_distributions(model: &Model) {
    for strategy in 0..model.n_strategies() {
        for g in 0..model.groups.len() {
            for t in 0..model.n_cycles {
                for (slot, s) in model.slots().iter().enumerate() {
                    let row = model.row(strategy, g, t, slot);
                    let sum: f64 = row.iter().map(|e| e.probability).sum();
                    assert!(
                        model.states[s.state].absorbing || (sum - 1.0).abs() < 1e-12,
                        "cycle {t} slot {slot}: {sum}"
                    );
                }
            }
        }
    }
}

/// `hr_per_meld_point ^ meld_shift` overflows to infinity: a located error, not an infinite or
/// NaN row.
#[test]
fn an_effect_that_overflows_is_a_located_error() {
    let extra = r#"
[parameters.shift]
value = 10000
kind = "mean_difference"
source = "test"
[[strategies]]
name = "standard"
[[strategies]]
name = "msc"
[[strategies.effects]]
from = "sick"
to = "dead"
meld_shift = "shift"
hr_per_meld_point = 1.105
duration = "2 years"
"#;
    let p = problems(Model::from_scenario(&scenario(RATES, extra)));
    assert_eq!(p.len(), 1);
    let ProblemKind::EffectNotFinite { strategy, from, to, value, inputs, .. } = &p[0].kind else {
        panic!("{:?}", p[0])
    };
    assert_eq!((strategy.as_str(), from.as_str(), to.as_str()), ("msc", "sick", "dead"));
    assert_eq!(*value, f64::INFINITY);
    assert!(inputs.contains("shift = 10000"), "{inputs}");
    assert_eq!(
        Error::Invalid { file: "t.toml".into(), problems: p }.to_string(),
        "t.toml: the hazard ratio through MELD of strategy \"msc\" on \"sick\" -> \"dead\": the multiplier at full \
         strength is inf (from shift = 10000); it must be a finite number >= 0"
    );
}

/// A waning half-life or period of 0 (from a parameter of 0 months) stops the effect at once:
/// the rows equal those of the same effect without waning (before issue 10: NaN rows).
#[test]
fn zero_waning_from_a_parameter_gives_the_rows_of_no_waning() {
    // `check` refuses a waning period of 0 in the file; a PSA or DSA value of 0 can still reach
    // the build, so the build is given one directly.
    let effect = |waning: &str| {
        format!(
            r#"
[parameters.period]
value = 3
kind = "months"
source = "test"
[[strategies]]
name = "msc"
[[strategies.effects]]
from = "sick"
to = "dead"
hazard_ratio = 0.5
duration = "18 months"
{waning}
"#
        )
    };
    let plain = Model::from_scenario(&scenario(RATES, &effect(""))).unwrap();
    for shape in ["linear", "exponential"] {
        let waning = format!("waning = {{ shape = \"{shape}\", over = \"period\" }}");
        let s = scenario(RATES, &effect(&waning));
        let mut values = s.base_values();
        let i = s.parameters.iter().position(|p| p.name == "period").unwrap();
        values[i] = 0.0;
        let model = Model::build(&s, &values).unwrap();
        assert_rows_are_distributions(&model);
        for t in 0..model.n_cycles {
            assert_eq!(model.state_matrix(0, 0, t), plain.state_matrix(0, 0, t), "{shape} cycle {t}");
        }
    }
}

/// An annual probability of 1 (an infinite rate) times a hazard ratio of 0 is undefined.
#[test]
fn infinite_rate_times_zero_hazard_ratio_is_a_located_error() {
    let extra = r#"
[[strategies]]
name = "cure"
[[strategies.effects]]
from = "sick"
to = "dead"
hazard_ratio = 0
onset = "2 years"
"#;
    let mut s = scenario(RATES, extra);
    s.parameters[0].value = 1.0;
    let p = problems(Model::from_scenario(&s));
    assert_eq!(p.len(), 1);
    assert_eq!(
        p[0].kind.to_string(),
        "the rate from \"sick\" to \"dead\" (annual probability p_sick_dead = 1) is infinite and strategy \"cure\" \
         multiplies it by a hazard ratio of 0 at cycle 2; the product is not a number. Use a probability below 1 or a \
         hazard ratio above 0"
    );
    // Before the onset the same infinite rate is fine: certain death.
    s.strategies[0].effects.clear();
    let model = Model::from_scenario(&s).unwrap();
    assert_eq!(model.state_matrix(0, 0, 0)[1], vec![0.0, 0.0, 1.0]);
}

/// The check at the end of the build catches a row that is not a distribution, whatever made it.
#[test]
fn the_final_row_check_names_state_cycle_strategy_and_group() {
    let s = scenario(
        RATES,
        "[[strategies]]\nname = \"only\"\n[background_mortality]\nlife_table = \"us_2021\"\nto = \"dead\"\n",
    );
    let mut model = Model::from_scenario(&s).unwrap();
    let layout = SlotLayout::new(&s);
    assert!(model.rows.check(&s, &layout, &model.groups).is_empty());
    // Corrupt the row of "sick" in the block of cycle 3 of the second group (female).
    let r = model.row_index(0, 1, 3, model.entry_slot(1));
    model.rows.exits[r * 3].probability = f64::NAN;
    let p = model.rows.check(&s, &layout, &model.groups);
    assert_eq!(p.len(), 1);
    let ProblemKind::RowNotDistribution { from, strategy, cycle, sum, group } = &p[0].kind else { panic!() };
    assert_eq!((from.as_str(), strategy.as_str()), ("sick", "only"));
    assert!(sum.is_nan());
    assert_eq!(group, ", female starting at age 60");
    // The block may start before cycle 3 (cycles with the same age share it): the first cycle using it.
    assert!(*cycle <= 3 && model.row_index(0, 1, *cycle, 1) == r, "cycle {cycle}");
}

/// Rows are summed as they are stored, so the build runs the full check (which names the row)
/// exactly when some stored row is not a distribution.
#[test]
fn a_stored_row_that_is_not_a_distribution_is_flagged_as_it_is_stored() {
    let s = scenario(RATES, "[[strategies]]\nname = \"only\"\n");
    let layout = SlotLayout::new(&s);
    let mut store = rows::RowStore::new(layout.slots.len(), 3, 1);
    let block = store.open_block();
    let sick = layout.slots[layout.first_slot[1]];
    store.store(block, layout.first_slot[1], sick, &layout, &[0.0, 0.5, 0.5]);
    assert!(!store.bad_row);
    store.store(block, layout.first_slot[1], sick, &layout, &[0.0, 0.5, 0.5 + 1e-6]);
    assert!(store.bad_row);
    store.clear(layout.slots.len(), 3);
    assert!(!store.bad_row);
    store.open_block();
    store.store(block, layout.first_slot[1], sick, &layout, &[0.0, f64::NAN, 1.0]);
    assert!(store.bad_row);
}

const ECONOMICS: &str = r#"
[economics]
currency = "EUR"
price_year = 2024
discount_rate_costs = 0.0
discount_rate_effects = 0.0
within_cycle_correction = "end_of_cycle"
[[strategies]]
name = "only"
[[utilities]]
state = "well"
annual = 0.9
"#;

/// Two costs of 1.5e308 a year on one state: the total cost of that state overflows to infinity.
#[test]
fn an_infinite_value_entry_is_a_located_error() {
    let extra = format!(
        "{ECONOMICS}\n[[costs]]\ncategory = \"drug\"\nstate = \"sick\"\nannual = 1.5e308\n\
         [[costs]]\ncategory = \"care\"\nstate = \"sick\"\nannual = 1.4e308\n"
    );
    let p = problems(Model::from_scenario(&scenario(RATES, &extra)));
    assert_eq!(p.len(), 1);
    assert_eq!(
        p[0].kind.to_string(),
        "strategy \"only\": the discounted cost of being in \"sick\" at cycle boundary 1 is inf; it is fed by the cost \
         \"drug\" of state \"sick\" = 1.5e308; the cost \"care\" of state \"sick\" = 1.4e308. Every cost, utility and \
         total must be a finite number: express costs in larger units (e.g. thousands)"
    );
}

/// Each entry finite, but ten years of 1e308 a year is not: the path total is refused.
#[test]
fn an_infinite_path_total_is_a_located_error() {
    let extra = format!(
        "{ECONOMICS}\n[[costs]]\ncategory = \"care\"\nstate = \"well\"\nannual = \"c_well\"\n[parameters.c_well]\nvalue = 1e308\nkind = \"cost\"\nsource = \"test\"\n"
    );
    let p = problems(Model::from_scenario(&scenario(RATES, &extra)));
    let ProblemKind::ValueNotFinite { strategy, quantity, place, when, value, entries } = &p[0].kind else { panic!() };
    assert_eq!((strategy.as_str(), quantity.as_str()), ("only", "discounted cost"));
    assert_eq!((place.as_str(), when.as_str()), ("along one patient's path", "the horizon"));
    assert_eq!(*value, f64::INFINITY);
    assert!(entries.starts_with("the cost \"care\" of state \"well\" = 1") && entries.ends_with("(parameter c_well)"));
}

/// Two one-off costs of 1.5e308 on the same move: the move's value overflows, named by its move
/// and cycle.
#[test]
fn an_infinite_move_value_is_a_located_error() {
    let extra = format!(
        "{ECONOMICS}\n[[costs]]\ncategory = \"a\"\ntransition = {{ from = \"well\", to = \"sick\" }}\none_off = 1.5e308\n\
         [[costs]]\ncategory = \"b\"\ntransition = {{ from = \"well\", to = \"sick\" }}\none_off = 1.5e308\n"
    );
    let p = problems(Model::from_scenario(&scenario(RATES, &extra)));
    let ProblemKind::ValueNotFinite { place, when, entries, .. } = &p[0].kind else { panic!("{:?}", p[0]) };
    assert_eq!((place.as_str(), when.as_str()), ("of a move from \"well\" to \"sick\"", "cycle 0"));
    assert_eq!(
        entries,
        "the cost \"a\" of the move \"well\" -> \"sick\" = 1.5e308; the cost \"b\" of the move \"well\" -> \"sick\" = 1.5e308"
    );
}

/// The probability of well -> sick in the first cycle of strategy 0.
fn well_to_sick(s: &Scenario) -> f64 {
    let m = Model::from_scenario(s).unwrap();
    m.state_matrix(0, 0, 0)[0][1]
}

#[test]
fn natural_history_modifiers_act_on_their_scale() {
    let none = "[[strategies]]\nname = \"soc\"\n";
    // A hazard ratio on a rate is the rate times the ratio (competing risks with no other exit).
    let hr = scenario("[[transitions]]\nfrom = \"well\"\nto = \"sick\"\nrate = 0.2\nhazard_ratio = 1.5\n", none);
    assert!((well_to_sick(&hr) - (1.0 - (-0.3f64).exp())).abs() < 1e-15);
    // On a per-cycle probability: relative risk multiplies it, odds ratio multiplies its odds,
    // a hazard ratio gives 1 - (1 - p)^HR.
    let p = |modifier: &str| {
        let t = format!("[[transitions]]\nfrom = \"well\"\nto = \"sick\"\ncycle_probability = 0.2\n{modifier}\n");
        well_to_sick(&scenario(&t, none))
    };
    assert!((p("relative_risk = 1.5") - 0.3).abs() < 1e-15);
    // Odds 0.25 doubled: 0.5, so p = 0.5 / 1.5.
    assert!((p("odds_ratio = 2.0") - 1.0 / 3.0).abs() < 1e-15);
    assert!((p("hazard_ratio = 2.0") - (1.0 - 0.8f64 * 0.8)).abs() < 1e-15);
    // A modifier may be a formula of model time; its value is checked where it is used.
    let t = "[[transitions]]\nfrom = \"well\"\nto = \"sick\"\nrate = 0.2\nhazard_ratio = \"if(cycle < 5, 1, -1)\"\n";
    let problems = problems(Model::from_scenario(&scenario(t, none)));
    let message = problems[0].to_string();
    assert!(
        message.contains("transitions[0].hazard_ratio: formula \"if(cycle < 5, 1, -1)\" gives -1 at cycle 5"),
        "{message}"
    );
}

#[test]
fn strategy_specific_exits_apply_only_in_their_strategies() {
    let t = "[[transitions]]\nfrom = \"well\"\nto = \"sick\"\ncycle_probability = 0.1\nstrategies = [\"soc\"]\n\
             [[transitions]]\nfrom = \"well\"\nto = \"sick\"\ncycle_probability = 0.05\nstrategies = [\"new\"]\n";
    let m =
        Model::from_scenario(&scenario(t, "[[strategies]]\nname = \"soc\"\n[[strategies]]\nname = \"new\"\n")).unwrap();
    assert_eq!(m.state_matrix(0, 0, 0)[0][1], 0.1);
    assert_eq!(m.state_matrix(1, 0, 0)[0][1], 0.05);
}

#[test]
fn timed_formulas_share_rows_between_cycles_that_repeat() {
    // An age band that changes once in ten cycles gives two blocks of rows, not ten.
    let t = "[[transitions]]\nfrom = \"well\"\nto = \"dead\"\ncycle_probability = \"if(age < 65, 0.01, 0.02)\"\n";
    let m = Model::from_scenario(&scenario(t, "[[strategies]]\nname = \"soc\"\n")).unwrap();
    assert_eq!(m.n_row_blocks(), 2);
    assert_eq!(m.state_matrix(0, 0, 4)[0][2], 0.01);
    assert_eq!(m.state_matrix(0, 0, 5)[0][2], 0.02);
}

#[test]
fn an_effect_size_may_change_with_model_time() {
    let t = "[[transitions]]\nfrom = \"well\"\nto = \"sick\"\nrate = 0.2\n";
    let strategies = "[[strategies]]\nname = \"soc\"\n[[strategies]]\nname = \"new\"\n[[strategies.effects]]\nfrom = \"well\"\n\
                      hazard_ratio = \"if(cycle < 2, 0.5, 1)\"\n";
    let m = Model::from_scenario(&scenario(t, strategies)).unwrap();
    let p = |cycle: usize| m.state_matrix(1, 0, cycle)[0][1];
    assert!((p(0) - (1.0 - (-0.1f64).exp())).abs() < 1e-15);
    assert_eq!(p(1), p(0));
    assert!((p(2) - (1.0 - (-0.2f64).exp())).abs() < 1e-15);
    // Age is not known to an effect (effects are the same for every sub-cohort): refused.
    let aged = strategies.replace("if(cycle < 2, 0.5, 1)", "if(age < 62, 0.5, 1)");
    let e = scenario_result(t, &aged).unwrap_err().to_string();
    assert!(
        e.contains(
            "strategies[1].effects[0].hazard_ratio: formula \"if(age < 62, 0.5, 1)\": \"age\" cannot be used here"
        ),
        "{e}"
    );
}

/// A covariate effect that shifts MELD, read by one hazard as `hr ^ (meld - 15)`, gives the rows
/// of the documented shortcut, an effect with `meld_shift` and `hr_per_meld_point` on that exit,
/// in every cycle (monthly cycles, so the 6-month effect fills whole cycles).
#[test]
fn a_covariate_shift_equals_the_meld_shift_shortcut_on_one_hazard() {
    let text = |population: &str, rate: &str, effect: &str| {
        format!(
            r#"
[scenario]
name = "t"
[settings]
cycle_length = "1 month"
horizon = "2 years"
patients = 100
seed = 1
[cohort]
start_state = {{ sick = 1.0 }}
{population}
[[states]]
name = "sick"
[[states]]
name = "dead"
absorbing = true
alive = false
[parameters.r]
value = 0.35
kind = "annual_rate"
source = "test"
[parameters.hr]
value = 1.105
kind = "hazard_ratio"
source = "test"
[parameters.shift]
value = -2.01
kind = "mean_difference"
source = "test"
[[transitions]]
from = "sick"
to = "dead"
rate = "{rate}"
[[strategies]]
name = "care"
[[strategies]]
name = "treat"
[[strategies.effects]]
{effect}
duration = "6 months"
"#
        )
    };
    let population = "[population]\nnodes = 1\n[population.covariates.meld]\ndistribution = { type = \"quantiles\", values = [14, 16] }";
    let with_covariate = Scenario::from_toml(
        "a.toml",
        &text(population, "r * hr ^ (meld - 15)", "covariate = \"meld\"\nshift = \"shift\""),
        Path::new("."),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let shortcut = Scenario::from_toml(
        "b.toml",
        &text("", "r", "from = \"sick\"\nto = \"dead\"\nmeld_shift = \"shift\"\nhr_per_meld_point = \"hr\""),
        Path::new("."),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let (a, b) = (Model::from_scenario(&with_covariate).unwrap(), Model::from_scenario(&shortcut).unwrap());
    assert_eq!(a.groups[0].covariates[0], 15.0, "one stratum at the median");
    for strategy in 0..2 {
        for t in 0..a.n_cycles {
            let (x, y) = (a.row(strategy, 0, t, 0), b.row(strategy, 0, t, 0));
            assert_eq!(x.len(), y.len());
            for (e, f) in x.iter().zip(y) {
                assert!((e.probability - f.probability).abs() < 1e-15, "strategy {strategy} cycle {t}: {e:?} vs {f:?}");
            }
        }
    }
    // And the effect is there: treated death risk below care's during the 6 months, equal after.
    let death = |m: &Model, s: usize, t: usize| m.row(s, 0, t, 0).iter().find(|e| e.to_state == 1).unwrap().probability;
    assert!(death(&a, 1, 0) < 0.85 * death(&a, 0, 0));
    assert_eq!(death(&a, 1, 6), death(&a, 0, 6));
}

/// A strategy's cycles whose effects equal the first strategy's share its blocks, and its rows
/// are then number for number those it has when it is built on its own (the default's MSC
/// strategy differs only while the MELD shift lasts).
#[test]
fn strategies_share_the_blocks_of_cycles_where_their_effects_agree() {
    let s = Scenario::default_scenario().unwrap();
    let both = Model::from_scenario(&s).unwrap();
    let mut alone = s.clone();
    alone.strategies.remove(0);
    let alone = Model::from_scenario(&alone).unwrap();
    let (n_groups, n_slots) = (both.groups.len(), both.slots().len());
    let mut shared = 0;
    for g in 0..n_groups {
        for t in 0..both.n_cycles {
            shared += usize::from(both.row_index(1, g, t, 0) == both.row_index(0, g, t, 0));
            for slot in 0..n_slots {
                let (a, b) = (both.row(1, g, t, slot), alone.row(0, g, t, slot));
                assert!(a == b, "group {g} cycle {t} slot {slot}: {a:?} vs {b:?}");
            }
        }
    }
    // The MELD shift lasts 6 months: nearly every cycle is shared, the first six are not.
    assert!(shared > n_groups * (both.n_cycles - 12), "{shared} shared");
    assert_ne!(both.row_index(1, 0, 0, 0), both.row_index(0, 0, 0, 0));
}

/// Where some transition is strategy-specific, a strategy takes the first strategy's row of each
/// state whose transitions and effects are the first's in that cycle; its rows are then, number
/// for number, those it has when it is listed first and built on its own inputs.
#[test]
fn a_strategy_copies_the_first_strategys_rows_only_where_built_from_the_same_inputs() {
    let t = "[[transitions]]\nfrom = \"well\"\nto = \"sick\"\ncycle_probability = 0.1\nstrategies = [\"soc\"]\n\
             [[transitions]]\nfrom = \"well\"\nto = \"sick\"\ncycle_probability = 0.05\nstrategies = [\"new\"]\n\
             [[transitions]]\nfrom = \"well\"\nto = \"dead\"\ncycle_probability = 0.02\n\
             [[transitions]]\nfrom = \"sick\"\nto = \"dead\"\nrate = \"0.1 + 0.01 * cycle\"\n";
    // The new strategy lowers death from sick in its first three cycles only.
    let soc = "[[strategies]]\nname = \"soc\"\n";
    let new = "[[strategies]]\nname = \"new\"\n[[strategies.effects]]\nfrom = \"sick\"\nto = \"dead\"\n\
               hazard_ratio = \"if(cycle < 3, 0.5, 1)\"\n";
    let soc_first = Model::from_scenario(&scenario(t, &format!("{soc}{new}"))).unwrap();
    let new_first = Model::from_scenario(&scenario(t, &format!("{new}{soc}"))).unwrap();
    for cycle in 0..soc_first.n_cycles {
        for slot in 0..soc_first.slots().len() {
            for (a, b) in [((0, 1), (1, 0)), ((1, 0), (0, 1))] {
                let (x, y) = (soc_first.row(a.0, 0, cycle, slot), new_first.row(a.1, 0, cycle, slot));
                assert!(x == y, "cycle {cycle} slot {slot} strategy {b:?}: {x:?} vs {y:?}");
            }
        }
    }
    // The rows differ where they should: well -> sick always, sick -> dead in the first cycles.
    assert_ne!(soc_first.state_matrix(1, 0, 5)[0][1], soc_first.state_matrix(0, 0, 5)[0][1]);
    assert_ne!(soc_first.state_matrix(1, 0, 2)[1][2], soc_first.state_matrix(0, 0, 2)[1][2]);
    assert_eq!(soc_first.state_matrix(1, 0, 3)[1][2], soc_first.state_matrix(0, 0, 3)[1][2]);
}
