//! `cirrhosim explain`: the model in words, for teaching.
//!
//! Receives a scenario, its built model and the strategy's exact occupancy (from
//! [`crate::analysis::StateOccupancy`]); writes plain text in three parts: (1) the states and
//! each exit with its number, its meaning and its source, then the per-cycle probabilities these
//! become; (2) the first cycles of the cohort trace with the arithmetic x_{t+1} = x_t P shown for
//! one state; (3) how costs and QALYs of the first cycles accrue under the chosen within-cycle
//! correction and discounting.

use crate::analysis::StateOccupancy;
use crate::model::Model;
use crate::model::valuation::quantity;
use crate::scenario::duration::describe_years;
use crate::scenario::{EffectMeasure, ExitSpec, Scenario, TimeValue, Value, Waning};
use std::fmt::Write;

fn value_text(scenario: &Scenario, v: &Value) -> String {
    match v {
        Value::Parameter(i) => {
            let p = &scenario.parameters[*i];
            let source = p.source.as_deref().map(|s| format!("; source: {s}")).unwrap_or_default();
            let formula = p.formula.as_ref().map(|f| format!(" = {}", f.text())).unwrap_or_default();
            let converted = match &p.conversion {
                Some(c) if !c.is_identity() => format!(
                    "; {} {} {} x {:.6} ({})",
                    c.source_value,
                    c.from.currency,
                    c.from.price_year,
                    c.factor,
                    c.method.label()
                ),
                _ => String::new(),
            };
            format!("{} ({}{converted}{formula}{source})", p.value, p.name)
        }
        _ => scenario.value_in_words(v, &scenario.base_values()),
    }
}

fn time_text(scenario: &Scenario, t: TimeValue) -> String {
    match t {
        TimeValue::Years(y) => describe_years(y),
        TimeValue::Parameter(i, per_unit) => {
            let p = &scenario.parameters[i];
            format!("{} ({})", describe_years(p.value * per_unit), p.name)
        }
    }
}

fn pct(x: f64) -> String {
    format!("{:.4}%", 100.0 * x)
}

/// The whole explanation for `strategy`, showing `cycles` cycles; `occupancy` is the strategy's
/// exact cohort trace.
pub fn explain(
    scenario: &Scenario,
    model: &Model,
    occupancy: &StateOccupancy,
    strategy: usize,
    cycles: usize,
) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "{}\n{}\n", scenario.title, "=".repeat(scenario.title.len()));
    if let Some(d) = &scenario.description {
        let _ = writeln!(out, "{}\n", d.trim());
    }
    states_in_words(&mut out, scenario, model);
    population_in_words(&mut out, scenario, model, strategy);
    strategy_in_words(&mut out, scenario, strategy);
    let who = first_cycle_matrix(&mut out, scenario, model, strategy);
    trace_arithmetic(&mut out, model, occupancy, strategy, cycles, &who);
    if let (Some(_), Some(_)) = (&scenario.economics, model.valuations.as_ref()) {
        costs_and_qalys(&mut out, scenario, model, occupancy, strategy, cycles);
    }
    out
}

fn names(model: &Model) -> Vec<&str> {
    model.states.iter().map(|s| s.name.as_str()).collect()
}

fn column_width(model: &Model) -> usize {
    names(model).iter().map(|n| n.len()).max().unwrap_or(8).max(10)
}

/// Part 1: the states, their exits with numbers and sources, and how rates become probabilities.
fn states_in_words(out: &mut String, scenario: &Scenario, model: &Model) {
    let names = names(model);
    let dt = model.cycle_length_years;
    let cycle = describe_years(dt);
    // 1. The model in words.
    let _ = writeln!(out, "1. The model\n");
    let _ = writeln!(
        out,
        "People move between {} states once per cycle of {cycle}, for {} cycles ({}).",
        names.len(),
        model.n_cycles,
        describe_years(model.n_cycles as f64 * dt)
    );
    for (i, s) in model.states.iter().enumerate() {
        let kind = match (s.alive, s.absorbing) {
            (false, _) => "dead; nobody leaves it",
            (true, true) => "alive; nobody leaves it",
            (true, false) => "alive",
        };
        let _ = writeln!(out, "\n  {} ({}): {kind}.", s.name, s.label);
        for t in scenario.transitions.iter().filter(|t| t.from == i) {
            let when = match (t.window.from_cycle, t.window.until_cycle) {
                (0, None) => String::new(),
                (f, None) => format!(" after {} in the state", describe_years(f as f64 * dt)),
                (0, Some(u)) => format!(" during the first {} in the state", describe_years(u as f64 * dt)),
                (f, Some(u)) => {
                    format!(" from {} to {} in the state", describe_years(f as f64 * dt), describe_years(u as f64 * dt))
                }
            };
            let what = match &t.spec {
                ExitSpec::Rate(v) => format!("at an annual rate of {}", value_text(scenario, v)),
                ExitSpec::AnnualProbability(v) => format!("with an annual probability of {}", value_text(scenario, v)),
                ExitSpec::ProbabilityOver { value, years } => {
                    format!("with a probability of {} over {}", value_text(scenario, value), describe_years(*years))
                }
                ExitSpec::CycleProbability(v) => format!("with a probability per cycle of {}", value_text(scenario, v)),
                ExitSpec::Complement => "with whatever probability the other exits leave".to_string(),
            };
            let modifier = match &t.modifier {
                Some((m, v)) => {
                    format!(", times the natural-history {} {}", m.key().replace('_', " "), value_text(scenario, v))
                }
                None => String::new(),
            };
            let only = match &t.strategies {
                Some(list) => {
                    let names: Vec<&str> = list.iter().map(|&s| scenario.strategies[s].name.as_str()).collect();
                    format!(" [only in {}]", names.join(", "))
                }
                None => String::new(),
            };
            let _ = writeln!(out, "    -> {}{when}, {what}{modifier}{only}", names[t.to]);
        }
    }
    formulas_in_words(out, scenario, model);
    if let Some(bg) = &scenario.background {
        let _ = writeln!(
            out,
            "\nEveryone alive also faces general-population mortality from the {} life table at the age they have reached \
             (to {}), as a competing risk.",
            bg.table.name, names[bg.to]
        );
    }
    let scales = |cycle_scale: bool| scenario.transitions.iter().any(|t| t.spec.is_cycle_scale() == cycle_scale);
    if scales(false) {
        let _ = writeln!(
            out,
            "\nRates and annual probabilities become probabilities per cycle by treating each state's exits as competing \
             risks: with rates r_j (an annual probability p is the rate -ln(1 - p)) and R = sum r_j, the probability of \
             leaving to j within a cycle of {dt:.6} years is r_j / R x (1 - exp(-R x {dt:.6})). Probabilities are never \
             divided by 12."
        );
    }
    if scales(true) {
        let _ = writeln!(
            out,
            "\nProbabilities per cycle are used as given: they are not combined as competing risks, so a model whose moves \
             are conditional on surviving the cycle says so in its formulas, e.g. (1 - p_die) * p_move."
        );
    }
}

/// The derived parameters: each formula and its value (for one that changes with model time, its
/// value in the first cycle of the first sub-cohort).
fn formulas_in_words(out: &mut String, scenario: &Scenario, model: &Model) {
    let derived: Vec<usize> = (0..scenario.parameters.len()).filter(|&i| scenario.parameters[i].is_derived()).collect();
    if derived.is_empty() {
        return;
    }
    let values = scenario.base_values();
    let first = model.groups.first().copied();
    let at = first.map(|g| crate::model::rows::row_time(model.cycle_length_years, &g, 0, 0)).unwrap_or_default();
    let _ = writeln!(out, "\nParameters given by formulas (base case):");
    for i in derived {
        let p = &scenario.parameters[i];
        let Some(f) = &p.formula else { continue };
        let value = if f.depends().is_constant() {
            format!("= {}", crate::scenario::numbers::short(&p.value))
        } else {
            let first = crate::scenario::numbers::short(&f.eval(&values, &at));
            format!("changes with {}; {first} in the first cycle", f.depends().describe())
        };
        let _ = writeln!(out, "  {} = {}  ({value})", p.name, f.text());
    }
}

/// The strategy's treatment effects in words.
fn strategy_in_words(out: &mut String, scenario: &Scenario, strategy: usize) {
    let names: Vec<&str> = scenario.states.iter().map(|s| s.name.as_str()).collect();
    let s = &scenario.strategies[strategy];
    let _ = writeln!(out, "\nStrategy {} ({}):", s.name, s.label);
    if s.effects.is_empty() && s.covariate_effects.is_empty() {
        let own_exits =
            scenario.transitions.iter().any(|t| t.strategies.as_ref().is_some_and(|l| l.contains(&strategy)));
        if own_exits {
            let _ = writeln!(
                out,
                "  no effect entries: what differs is in its own exits (marked [only in {}] above).",
                s.name
            );
        } else {
            let _ = writeln!(out, "  no treatment effect: natural history.");
        }
    }
    for e in &s.covariate_effects {
        let lasting = e.duration.map_or("to the horizon".to_string(), |d| format!("for {}", time_text(scenario, d)));
        let _ = writeln!(
            out,
            "  shifts each patient's {} by {} from {} after the first infusion {lasting}: every formula that reads {} sees the shifted value.",
            e.covariate,
            value_text(scenario, &e.shift),
            time_text(scenario, e.onset),
            e.covariate
        );
    }
    for e in &s.effects {
        let size = match &e.hr_per_meld_point {
            Some(per_point) => format!(
                "{:.4} (= {} ^ {}: a MELD shift through the MELD risk score)",
                e.multiplier(&scenario.base_values()),
                value_text(scenario, per_point),
                value_text(scenario, &e.value)
            ),
            None => value_text(scenario, &e.value),
        };
        let what = match e.measure {
            EffectMeasure::HazardRatio => "the rate (hazard) is multiplied by",
            EffectMeasure::RelativeRisk => "the probability per cycle is multiplied by",
        };
        let lasting = e.duration.map_or("to the horizon".to_string(), |d| format!("for {}", time_text(scenario, d)));
        let waning = match e.waning {
            Waning::None => String::new(),
            Waning::Linear(t) => format!(", then fades linearly over {}", time_text(scenario, t)),
            Waning::Exponential(t) => format!(", then fades with a half-life of {}", time_text(scenario, t)),
        };
        let _ = writeln!(
            out,
            "  {} -> {}: {what} {size}, from {} after the first infusion {lasting}{waning}.",
            names[e.from],
            names[e.to],
            time_text(scenario, e.onset)
        );
    }
}

/// The value of quantity `q` accrued in `slot` at boundary `p` by the cohort's share there: with
/// the strategy's tables, or profile by profile with each one's own.
fn valued(model: &Model, trace: &StateOccupancy, strategy: usize, q: usize, p: usize, slot: usize) -> f64 {
    let per_part = (trace.n_cycles + 1) * trace.n_slots;
    let at = p * trace.n_slots + slot;
    if trace.profile_groups.is_empty() {
        let share = trace.slot_shares[at];
        return model.valuation(strategy, 0).map_or(0.0, |v| share * v.at(q, p, slot));
    }
    (trace.profile_groups.iter().enumerate())
        .map(|(k, &g)| {
            let share = trace.profile_slot_shares[k * per_part + at];
            model.valuation(strategy, g).map_or(0.0, |v| share * v.at(q, p, slot))
        })
        .sum()
}

/// The profile of a sub-cohort in words: "meld 6.9 (stratum 1 of 8), etiology hbv".
fn profile_text(scenario: &Scenario, model: &Model, group: usize) -> String {
    scenario.population.describe(&model.groups[group].cells)
}

/// The population's covariates, and how each transition that reads one varies across profiles.
fn population_in_words(out: &mut String, scenario: &Scenario, model: &Model, strategy: usize) {
    let population = &scenario.population;
    if population.covariates.is_empty() {
        return;
    }
    let _ = writeln!(
        out,
        "\nThe population: {} profiles, each run as its own sub-cohort and weighted by its share (a Monte Carlo patient draws its profile):",
        model.groups.len()
    );
    for (c, cells) in population.covariates.iter().zip(population.cells()) {
        let values = cells
            .iter()
            .map(|cell| match c.kind {
                crate::scenario::population::CovariateKind::Numeric(_) => format!("{:.1}", cell.value),
                crate::scenario::population::CovariateKind::Categorical(_) => {
                    format!("{} {:.1}%", cell.label, 100.0 * cell.weight)
                }
            })
            .collect::<Vec<_>>()
            .join(", ");
        let how = match c.kind {
            crate::scenario::population::CovariateKind::Numeric(_) => {
                format!("{} quantile strata of equal share, at", cells.len())
            }
            crate::scenario::population::CovariateKind::Categorical(_) => "levels".to_string(),
        };
        let _ = writeln!(out, "  {}: {how} {values}.", c.name);
    }
    if let Some(copula) = &population.copula {
        let names: Vec<&str> = copula.covariates.iter().map(|&i| population.covariates[i].name.as_str()).collect();
        let rhos: Vec<String> =
            copula.pairs.iter().map(|&(i, j, rho)| format!("{} and {} {rho}", names[i], names[j])).collect();
        let (what, law) = if names.len() == 2 { ("a pair", "bivariate") } else { ("a combination", "multivariate") };
        let _ = writeln!(
            out,
            "  {}: correlated by a Gaussian copula, rho = {} between their normal scores: {what} of strata weighs its {law} normal probability, not the product of their shares (each keeps its own distribution; categorical covariates are independent).",
            match names.as_slice() {
                [a, b] => format!("{a} and {b}"),
                _ => names.join(", "),
            },
            if rhos.len() == 1 { copula.pairs[0].2.to_string() } else { rhos.join(", ") }
        );
    }
    let names: Vec<&str> = scenario.states.iter().map(|s| s.name.as_str()).collect();
    start_by_profile(out, scenario, model, &names);
    // Exits open from a state's first cycle (a later window, such as death after the first year,
    // has the same dependence on the covariates, on another row).
    for t in scenario.transitions.iter().filter(|t| t.window.contains(0) && t.values().any(|v| v.depends().covariates))
    {
        let p = |g: usize| {
            model
                .row(strategy, g, 0, model.entry_slot(t.from))
                .iter()
                .find(|e| e.to_state as usize == t.to)
                .map_or(0.0, |e| e.probability)
        };
        let (low, high) = lowest_and_highest(model, p);
        let _ = writeln!(
            out,
            "  {} -> {} reads the covariates: its probability in the first cycle goes from {:.4} ({}) to {:.4} ({}).",
            names[t.from],
            names[t.to],
            p(low),
            profile_text(scenario, model, low),
            p(high),
            profile_text(scenario, model, high)
        );
    }
}

/// The sub-cohorts with the lowest and the highest `value` (the first of each on ties).
fn lowest_and_highest(model: &Model, value: impl Fn(usize) -> f64) -> (usize, usize) {
    (0..model.groups.len()).fold((0, 0), |(lo, hi), g| {
        (if value(g) < value(lo) { g } else { lo }, if value(g) > value(hi) { g } else { hi })
    })
}

/// Where each profile starts, when profiles start apart (a patients file's `start_state` column,
/// or `[cohort] start_state` formulas of the profile): the whole cohort's mix, then each state's
/// share from its lowest to its highest profile.
fn start_by_profile(out: &mut String, scenario: &Scenario, model: &Model, names: &[&str]) {
    let groups = 0..model.groups.len();
    let varies = |s: usize| groups.clone().any(|g| model.start_of(g)[s] != model.start_of(0)[s]);
    if !(0..names.len()).any(varies) {
        return;
    }
    let mix: Vec<String> = (0..names.len())
        .filter(|&s| model.initial[s] > 0.0)
        .map(|s| format!("{:.1}% {}", 100.0 * model.initial[s], names[s]))
        .collect();
    let formulas: Vec<String> = (scenario.states.iter().zip(&scenario.cohort.start_values))
        .filter_map(|(state, v)| v.formula_text().map(|f| format!("{} = {f}", state.name)))
        .collect();
    let how = if formulas.is_empty() {
        "Start states come from the patients file's start_state column: each profile starts as its patients did"
            .to_string()
    } else {
        format!("Start shares are formulas of the profile ([cohort] start_state: {})", formulas.join("; "))
    };
    let _ = writeln!(out, "  {how} ({} overall).", mix.join(", "));
    for s in (0..names.len()).filter(|&s| varies(s)) {
        let share = |g: usize| model.start_of(g)[s];
        let (low, high) = lowest_and_highest(model, share);
        let _ = writeln!(
            out,
            "  The share starting in {} goes from {:.1}% ({}) to {:.1}% ({}).",
            names[s],
            100.0 * share(low),
            profile_text(scenario, model, low),
            100.0 * share(high),
            profile_text(scenario, model, high)
        );
    }
}

/// Each cost or utility that reads the profile, with its range over the profiles in the first
/// cycle (covariates shifted as the strategy shifts them).
fn values_by_profile(out: &mut String, scenario: &Scenario, model: &Model, strategy: usize) {
    let values = scenario.base_values();
    let dt = model.cycle_length_years;
    let shifts = crate::model::effect::covariate_shift_table(scenario, strategy, &values);
    let names: Vec<&str> = scenario.states.iter().map(|s| s.name.as_str()).collect();
    for r in &scenario.rewards {
        let d = r.value.depends();
        if !(d.covariates || d.age || d.sex) {
            continue;
        }
        let value = |g: usize| {
            let mut at = crate::model::rows::row_time(dt, &model.groups[g], 0, 0);
            for (x, shift) in at.covariates.iter_mut().zip(&shifts) {
                *x += shift;
            }
            r.value.at(&values, &at)
        };
        let (low, high) = lowest_and_highest(model, value);
        let what = match (&r.kind, r.target) {
            (crate::scenario::RewardKind::Cost { category }, crate::scenario::RewardTarget::State(s)) => {
                format!("the cost \"{category}\" of {} per year", names[s])
            }
            (crate::scenario::RewardKind::Qaly, crate::scenario::RewardTarget::State(s)) => {
                format!("the utility of {}", names[s])
            }
            (
                crate::scenario::RewardKind::Cost { category },
                crate::scenario::RewardTarget::Transition { from, to },
            ) => {
                format!("the cost \"{category}\" of a move {} -> {}", names[from], names[to])
            }
            (crate::scenario::RewardKind::Qaly, crate::scenario::RewardTarget::Transition { from, to }) => {
                format!("the QALY change of a move {} -> {}", names[from], names[to])
            }
        };
        let _ = writeln!(
            out,
            "  {what} ({}) depends on the profile: in the first cycle it goes from {:.4} ({}) to {:.4} ({}).",
            r.value.formula_text().unwrap_or(""),
            value(low),
            who(scenario, model, low),
            value(high),
            who(scenario, model, high)
        );
    }
}

/// A sub-cohort in words: its profile, with its start age and sex when the model has several.
fn who(scenario: &Scenario, model: &Model, group: usize) -> String {
    let words = crate::model::groups::describe_group(scenario, &model.groups[group], model.groups.len());
    words.trim_start_matches(", ").to_string()
}

/// The per-cycle probabilities of the first cycle for the first sub-cohort; returns who that is
/// (without an age when the scenario gives none: then nothing in the model depends on it).
fn first_cycle_matrix(out: &mut String, scenario: &Scenario, model: &Model, strategy: usize) -> String {
    let age_given = scenario.cohort.age_given;
    let names = names(model);
    let group = model.groups[0];
    let profiles = !scenario.population.covariates.is_empty();
    let who = match group.sex {
        Some(crate::scenario::life_table::Sex::Male) => "a man".to_string(),
        Some(crate::scenario::life_table::Sex::Female) => "a woman".to_string(),
        None if age_given || profiles => "someone".to_string(),
        None => "every patient".to_string(),
    };
    let who = if age_given { format!("{who} aged {}", group.start_age) } else { who };
    let who = if profiles { format!("{who} with {}", profile_text(scenario, model, 0)) } else { who };
    let _ =
        writeln!(out, "\nIn the first cycle, for {who}, the probabilities per cycle are (rows: from, columns: to):");
    let m = model.state_matrix(strategy, 0, 0);
    let width = names.iter().map(|n| n.len()).max().unwrap_or(8).max(10);
    let _ = write!(out, "  {:>width$}", "");
    for n in &names {
        let _ = write!(out, " {n:>width$}");
    }
    let _ = writeln!(out);
    for (i, row) in m.iter().enumerate() {
        let _ = write!(out, "  {:>width$}", names[i]);
        for p in row {
            let _ = write!(out, " {:>width$}", pct(*p));
        }
        let _ = writeln!(out);
    }

    who
}

/// Part 2: the trace of the first cycles, with x_(t+1) = x_t P written out for one state.
fn trace_arithmetic(
    out: &mut String,
    model: &Model,
    trace: &StateOccupancy,
    strategy: usize,
    cycles: usize,
    who: &str,
) {
    let names = names(model);
    let width = column_width(model);
    // 2. The trace, with the arithmetic for one state.
    let _ = writeln!(out, "\n2. The cohort, cycle by cycle\n");
    let target = (0..names.len()).find(|&j| !model.states[j].alive).unwrap_or(names.len() - 1);
    let _ = writeln!(
        out,
        "Each cycle, the share in state j becomes x_(t+1)[j] = sum over i of x_t[i] x P[i][j]. For {}, following \
         the first sub-cohort ({}) on its own:",
        names[target], who
    );
    let mut x: Vec<f64> = model.start_of(0).to_vec();
    for t in 0..cycles.min(model.n_cycles) {
        let p = model.state_matrix(strategy, 0, t);
        let terms: Vec<String> = (0..names.len())
            .filter(|&i| x[i] > 0.0 && p[i][target] > 0.0)
            .map(|i| format!("{:.6} x {:.6}", x[i], p[i][target]))
            .collect();
        let next: Vec<f64> = (0..names.len()).map(|j| (0..names.len()).map(|i| x[i] * p[i][j]).sum()).collect();
        let _ = writeln!(out, "  cycle {}: {} = {} = {:.6}", t + 1, names[target], terms.join(" + "), next[target]);
        x = next;
    }
    let _ = writeln!(
        out,
        "\nThe whole cohort mixes its {} sub-cohorts (by start age and sex, each with its own background mortality); \
         share in each state:",
        model.groups.len()
    );
    let _ = write!(out, "  {:>6}", "cycle");
    for n in &names {
        let _ = write!(out, " {n:>width$}");
    }
    let _ = writeln!(out);
    for t in 0..=cycles.min(model.n_cycles) {
        let _ = write!(out, "  {t:>6}");
        for v in trace.row(t) {
            let _ = write!(out, " {:>width$}", pct(*v));
        }
        let _ = writeln!(out);
    }
}

/// Part 3: how costs and QALYs of the first cycles accrue.
fn costs_and_qalys(
    out: &mut String,
    scenario: &Scenario,
    model: &Model,
    trace: &StateOccupancy,
    strategy: usize,
    cycles: usize,
) {
    let names = names(model);
    // 3. Costs and QALYs.
    if let (Some(econ), Some(_)) = (&scenario.economics, model.valuations.as_ref()) {
        let values = scenario.base_values();
        let _ = writeln!(out, "\n3. Costs and QALYs\n");
        if scenario.parameters.iter().any(|p| p.conversion.is_some()) {
            let _ = writeln!(out, "{}\n", crate::report::terminal::conversions_text(scenario));
        }
        let _ = writeln!(
            out,
            "Costs ({} {}) are discounted at {} a year and QALYs at {} a year: a value at time s years counts (1 + r)^-s. \
             Within-cycle correction: {}. Each cycle boundary t carries a value per person \
             in each state (cost, QALYs; infusion costs are charged at the boundary of the cycle they fall in); the \
             cohort's total is the sum of share x value:",
            econ.currency,
            econ.price_year,
            econ.discount_rate_costs.get(&values),
            econ.discount_rate_effects.get(&values),
            econ.counting_in_words()
        );
        if model.values_by_profile() {
            let _ = writeln!(
                out,
                "Some costs or utilities differ by profile: each sub-cohort's share is valued with its own numbers, so a \
                 state's value per person below is the mean over the profiles in it."
            );
            values_by_profile(out, scenario, model, strategy);
        }
        let mut total = [0.0; 2];
        for p in 0..=cycles.min(model.n_cycles) {
            // Per state: the share, and the share-weighted value per person (time-in-state slots pooled).
            let mut by_state = vec![[0.0; 3]; names.len()];
            for (slot, sl) in model.slots().iter().enumerate() {
                let share = trace.slot_shares[p * trace.n_slots + slot];
                by_state[sl.state][0] += share;
                by_state[sl.state][1] += valued(model, trace, strategy, quantity::COST, p, slot);
                by_state[sl.state][2] += valued(model, trace, strategy, quantity::QALY, p, slot);
            }
            let mut parts = Vec::new();
            let mut sum = [0.0; 2];
            for (i, b) in by_state.iter().enumerate() {
                if b[0] > 0.0 && (b[1] != 0.0 || b[2] != 0.0) {
                    parts.push(format!("{} {:.4} x ({:.2}, {:.5})", names[i], b[0], b[1] / b[0], b[2] / b[0]));
                    sum[0] += b[1];
                    sum[1] += b[2];
                }
            }
            total[0] += sum[0];
            total[1] += sum[1];
            let _ = writeln!(
                out,
                "  boundary {p}: {} -> cost {:.2}, QALYs {:.5}",
                if parts.is_empty() { "nothing".into() } else { parts.join(" + ") },
                sum[0],
                sum[1]
            );
        }
        let _ = writeln!(
            out,
            "  (one-off values of moves, such as a transplant, are added when the move happens.)\nSo far: cost {:.2}, \
             QALYs {:.5}; over the whole horizon the totals are those of `cirrhosim run`.",
            total[0], total[1]
        );
    }
}
