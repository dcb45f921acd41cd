//! `cirrhosim verify`: black-box checks of a user's own scenario, in the spirit of TECH-VER
//! (Büyükkaramikli et al. 2019, *PharmacoEconomics* 37:1391).
//!
//! Receives a checked [`Scenario`]; builds modified copies of it (all utilities 1, all costs 0,
//! no discounting, identical or swapped strategies), runs them through the same pipeline as
//! `cirrhosim run`, and reports for each check whether it passed and the figure behind it. It sits
//! beside the pipeline rather than in it, because it drives every stage.

use crate::analysis::{self, Status};
use crate::engine::{self, CohortTrace, McRun, McValueSums, NoProgress, sim_cohort};
use crate::error::Result;
use crate::model::Model;
use crate::model::valuation::quantity;
use crate::scenario::{Economics, RewardKind, RewardTarget, Scenario, Value, Window};
use statrs::distribution::{ContinuousCDF, Normal};

/// One check and its outcome.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Check {
    pub name: String,
    /// `None` when the check does not apply (e.g. no `[economics]`).
    pub passed: Option<bool>,
    /// The number behind the verdict, in words.
    pub figure: String,
}

fn check(name: &str, passed: bool, figure: String) -> Check {
    Check { name: name.to_string(), passed: Some(passed), figure }
}

fn skipped(name: &str, why: &str) -> Check {
    Check { name: name.to_string(), passed: None, figure: format!("skipped: {why}") }
}

fn totals(scenario: &Scenario) -> Result<Vec<analysis::StrategyTotals>> {
    let model = Model::from_scenario(scenario)?;
    Ok((0..model.n_strategies()).filter_map(|s| analysis::cohort_totals(&model, &sim_cohort(&model, s))).collect())
}

/// Relative difference |a - b| / max(|a|, |b|); NaN when either is not finite, so that a check
/// on it fails (infinity equals infinity, but a total of infinity is no total).
fn relative(a: f64, b: f64) -> f64 {
    if !(a.is_finite() && b.is_finite()) {
        f64::NAN
    } else if a == b {
        0.0
    } else {
        (a - b).abs() / a.abs().max(b.abs()).max(1e-300)
    }
}

/// The larger of two figures, NaN if either is NaN. `f64::max` returns the other operand when one
/// is NaN, so a fold with it would hide a NaN figure and pass the check.
fn nan_max(a: f64, b: f64) -> f64 {
    if a.is_nan() || b.is_nan() { f64::NAN } else { a.max(b) }
}

/// The largest of some non-negative figures (0 when there are none), NaN if any is NaN: every
/// check compares it with `<`, `<=` or `==`, which a NaN fails.
fn worst(figures: impl IntoIterator<Item = f64>) -> f64 {
    figures.into_iter().fold(0.0, nan_max)
}

/// Runs every check on `scenario` with a Monte Carlo sample of `patients`.
///
/// # Errors
/// Only if a modified scenario fails to build, or the Monte Carlo run fails (e.g. its fixed-point
/// accumulators overflow), which would itself be worth reporting.
pub fn verify(scenario: &Scenario, patients: u64) -> Result<Vec<Check>> {
    let model = Model::from_scenario(scenario)?;
    let traces: Vec<_> = (0..model.n_strategies()).map(|s| sim_cohort(&model, s)).collect();
    let mut out = vec![trace_rows_sum_to_one(&traces), death_is_absorbing(&model, &traces)];
    let run = engine::sim_patients(&model, patients, scenario.seed, &NoProgress)?;
    out.push(monte_carlo_occupancy(&model, &traces, &run, patients));
    out.push(same_results_on_any_threads(&model, scenario.seed, patients)?);

    let Some(economics) = &scenario.economics else {
        for name in ECONOMIC_CHECKS {
            out.push(skipped(name, "the scenario has no [economics]"));
        }
        return Ok(out);
    };
    let base = totals(scenario)?;
    if let Some(sums) = &run.values {
        out.push(monte_carlo_economics(sums, &base));
    }
    out.push(qalys_equal_life_years(scenario)?);
    out.push(zero_costs(scenario)?);
    out.push(zero_discounting(scenario)?);
    out.push(higher_discounting(scenario, economics)?);
    out.push(identical_strategies(scenario)?);
    if scenario.strategies.len() >= 2 {
        out.push(swapped_strategies(scenario, &base)?);
    }
    out.extend(correction_weights(&model, economics));
    out.push(totals_add_up(&base));
    Ok(out)
}

/// The checks that need `[economics]`, in the order they run.
const ECONOMIC_CHECKS: [&str; 9] = [
    "Monte Carlo cost and QALYs within 4.5 SE of the cohort",
    "utilities 1 and no discounting: QALYs = life years",
    "all costs 0: total cost 0",
    "discount rates 0: discounted = undiscounted",
    "higher discount rates never raise a total",
    "identical strategies: zero increments",
    "swapped strategies: increments flip, ICER unchanged",
    "correction weights sum to the horizon",
    "totals equal the sum of their parts",
];

fn trace_rows_sum_to_one(traces: &[CohortTrace]) -> Check {
    let gap =
        worst(traces.iter().flat_map(|t| (0..=t.n_cycles).map(move |c| (t.row(c).iter().sum::<f64>() - 1.0).abs())));
    check("trace rows sum to 1", gap < 1e-9, format!("max |sum - 1| = {gap:.1e}"))
}

/// Death is absorbing: overall survival never rises.
fn death_is_absorbing(model: &Model, traces: &[CohortTrace]) -> Check {
    let dead: Vec<usize> = (0..model.n_states()).filter(|&s| !model.states[s].alive).collect();
    let rise = worst(traces.iter().flat_map(|t| {
        let dead = &dead;
        (1..=t.n_cycles).map(move |c| dead.iter().map(|&s| t.at(c - 1, s) - t.at(c, s)).sum::<f64>())
    }));
    check("death is absorbing (the dead share never falls)", rise <= 1e-12, format!("largest fall = {rise:.1e}"))
}

/// Monte Carlo agrees with the cohort, cycle by cycle, within a bound derived from n.
fn monte_carlo_occupancy(model: &Model, traces: &[CohortTrace], run: &McRun, patients: u64) -> Check {
    let comparisons = model.n_strategies() * (model.n_cycles + 1) * model.n_states();
    let z = Normal::standard().inverse_cdf(1.0 - 0.001 / (2.0 * comparisons as f64));
    let n = patients as f64;
    let mut worst_ratio: f64 = 0.0;
    for c in &run.counts {
        let trace = &traces[c.strategy];
        for t in 0..=model.n_cycles {
            for s in 0..model.n_states() {
                // A share summed over many profiles can exceed 1 by rounding (1 + 2e-16), which
                // would make the variance negative and the bound NaN.
                let p = trace.at(t, s).clamp(0.0, 1.0);
                let bound = z * (p * (1.0 - p) / n).sqrt() + 1.0 / n;
                worst_ratio = nan_max(worst_ratio, (c.at(t, s) as f64 / n - p).abs() / bound);
            }
        }
    }
    check(
        "Monte Carlo occupancy within its bound of the cohort",
        worst_ratio <= 1.0,
        format!(
            "worst deviation = {worst_ratio:.2} of the bound (z = {z:.2}, {patients} patients, {comparisons} comparisons)"
        ),
    )
}

/// Same seed, different thread counts: identical results.
fn same_results_on_any_threads(model: &Model, seed: u64, patients: u64) -> Result<Check> {
    let patients = patients.min(50_000);
    let pool = rayon::ThreadPoolBuilder::new().num_threads(1).build().expect("one thread");
    let again = pool.install(|| engine::sim_patients(model, patients, seed, &NoProgress))?;
    let other = engine::sim_patients(model, patients, seed, &NoProgress)?;
    Ok(check(
        "same seed gives identical results on 1 and all threads",
        again == other,
        format!("{patients} patients compared count by count"),
    ))
}

/// Monte Carlo economics agree with the cohort.
fn monte_carlo_economics(sums: &McValueSums, base: &[analysis::StrategyTotals]) -> Check {
    let est = analysis::mc_estimates(sums);
    let worst = worst(est.iter().zip(base).flat_map(|(e, b)| {
        [
            (e.cost.mean - b.cost).abs() / nan_max(e.cost.se, 1e-300),
            (e.qaly.mean - b.qaly).abs() / nan_max(e.qaly.se, 1e-300),
        ]
    }));
    check(ECONOMIC_CHECKS[0], worst <= 4.5, format!("worst = {worst:.2} SE"))
}

/// Utilities 1 and no discounting: QALYs equal life years.
fn qalys_equal_life_years(scenario: &Scenario) -> Result<Check> {
    let mut s = scenario.clone();
    s.rewards.retain(|r| matches!(r.kind, RewardKind::Cost { .. }));
    for (i, st) in scenario.states.iter().enumerate() {
        if st.alive {
            s.rewards.push(crate::scenario::Reward {
                kind: RewardKind::Qaly,
                target: RewardTarget::State(i),
                value: Value::Literal(1.0),
                time_in_state: Window { from_cycle: 0, until_cycle: None },
                during_from_years: 0.0,
                during_until_years: None,
                strategies: None,
            });
        }
    }
    for st in &mut s.strategies {
        if let Some(sc) = &mut st.schedule {
            sc.adverse_events.iter_mut().for_each(|a| a.qaly_loss = None);
        }
    }
    if let Some(e) = &mut s.economics {
        e.discount_rate_effects = Value::Literal(0.0);
    }
    let gap = worst(totals(&s)?.iter().map(|x| relative(x.qaly, x.life_years)));
    Ok(check(ECONOMIC_CHECKS[1], gap < 1e-12, format!("max relative gap = {gap:.1e}")))
}

/// All costs 0: total 0.
fn zero_costs(scenario: &Scenario) -> Result<Check> {
    let mut s = scenario.clone();
    s.rewards.retain(|r| r.kind == RewardKind::Qaly);
    for st in &mut s.strategies {
        if let Some(sc) = &mut st.schedule {
            sc.cost_per_infusion = None;
            sc.adverse_events.iter_mut().for_each(|a| a.cost = None);
        }
    }
    let largest = worst(totals(&s)?.iter().map(|x| nan_max(x.cost.abs(), x.cost_undiscounted.abs())));
    Ok(check(ECONOMIC_CHECKS[2], largest == 0.0, format!("largest total = {largest}")))
}

/// Discount rates 0: discounted equals undiscounted.
fn zero_discounting(scenario: &Scenario) -> Result<Check> {
    let mut s = scenario.clone();
    if let Some(e) = &mut s.economics {
        e.discount_rate_costs = Value::Literal(0.0);
        e.discount_rate_effects = Value::Literal(0.0);
    }
    let t = totals(&s)?;
    let gap =
        worst(t.iter().flat_map(|x| [relative(x.cost, x.cost_undiscounted), relative(x.qaly, x.qaly_undiscounted)]));
    Ok(check(ECONOMIC_CHECKS[3], gap < 1e-12, format!("max relative gap = {gap:.1e}")))
}

/// Raising the discount rates never raises a total. This holds for non-negative values, so both
/// runs use the absolute value of every cost and QALY (a QALY toll would otherwise break it).
fn higher_discounting(scenario: &Scenario, economics: &Economics) -> Result<Check> {
    let values = scenario.base_values();
    let mut positive = scenario.clone();
    // A value that changes with model time or the profile has no single number to take the
    // absolute value of: it is kept as it is (such values are rarely negative).
    for r in positive.rewards.iter_mut().filter(|r| r.value.depends().is_constant()) {
        r.value = Value::Literal(r.value.get(&values).abs());
    }
    for st in &mut positive.strategies {
        if let Some(sc) = &mut st.schedule {
            sc.cost_per_infusion = sc.cost_per_infusion.take().map(|c| Value::Literal(c.get(&values).abs()));
            for a in &mut sc.adverse_events {
                a.cost = a.cost.take().map(|c| Value::Literal(c.get(&values).abs()));
                a.qaly_loss = a.qaly_loss.take().map(|q| Value::Literal(-q.get(&values).abs()));
            }
        }
    }
    let low = totals(&positive)?;
    let mut s = positive.clone();
    if let Some(e) = &mut s.economics {
        e.discount_rate_costs = Value::Literal(economics.discount_rate_costs.get(&values) + 0.02);
        e.discount_rate_effects = Value::Literal(economics.discount_rate_effects.get(&values) + 0.02);
    }
    let t = totals(&s)?;
    let rise =
        t.iter().zip(&low).flat_map(|(h, b)| [h.cost - b.cost, h.qaly - b.qaly]).fold(f64::NEG_INFINITY, nan_max);
    Ok(check(
        ECONOMIC_CHECKS[4],
        rise <= 1e-9,
        format!("+2 points, all values made non-negative: largest change = {rise:.3e}"),
    ))
}

/// Identical strategies: zero increments.
fn identical_strategies(scenario: &Scenario) -> Result<Check> {
    let mut s = scenario.clone();
    let first = s.strategies[0].clone();
    for (i, st) in s.strategies.iter_mut().enumerate() {
        *st = crate::scenario::Strategy { name: format!("{}_{i}", first.name), ..first.clone() };
    }
    // Strategy-specific rewards and exits follow the first strategy's.
    let as_first =
        |list: &Vec<usize>| if list.contains(&0) { (0..scenario.strategies.len()).collect() } else { Vec::new() };
    for r in &mut s.rewards {
        if let Some(list) = &r.strategies {
            r.strategies = Some(as_first(list));
        }
    }
    for t in &mut s.transitions {
        if let Some(list) = &t.strategies {
            t.strategies = Some(as_first(list));
        }
    }
    let t = totals(&s)?;
    let spread = worst(t.iter().flat_map(|x| [(x.cost - t[0].cost).abs(), (x.qaly - t[0].qaly).abs()]));
    Ok(check(ECONOMIC_CHECKS[5], spread == 0.0, format!("largest increment = {spread}")))
}

/// Swapped strategies: increments flip, ICER unchanged.
fn swapped_strategies(scenario: &Scenario, base: &[analysis::StrategyTotals]) -> Result<Check> {
    let mut s = scenario.clone();
    s.strategies.reverse();
    let last = scenario.strategies.len() - 1;
    for r in &mut s.rewards {
        if let Some(list) = &mut r.strategies {
            list.iter_mut().for_each(|i| *i = last - *i);
        }
    }
    for t in &mut s.transitions {
        if let Some(list) = &mut t.strategies {
            list.iter_mut().for_each(|i| *i = last - *i);
        }
    }
    let swapped = totals(&s)?;
    let outcome = |t: &analysis::StrategyTotals, index: usize| analysis::Outcome {
        strategy: index,
        cost: t.cost,
        qaly: t.qaly,
        life_years: t.life_years,
    };
    let a = analysis::cea(&base.iter().enumerate().map(|(i, t)| outcome(t, i)).collect::<Vec<_>>());
    let b = analysis::cea(&swapped.iter().enumerate().map(|(i, t)| outcome(t, last - i)).collect::<Vec<_>>());
    let same = a.len() == b.len()
        && a.iter().zip(&b).all(|(x, y)| {
            x.strategy == y.strategy
                && x.status == y.status
                && x.icer.zip(y.icer).is_none_or(|(p, q)| relative(p, q) < 1e-12)
                && x.icer.is_some() == y.icer.is_some()
        });
    let d_base = base[last].cost - base[0].cost;
    let d_swap = swapped[0].cost - swapped[last].cost;
    let icer = a.iter().find(|r| r.status == Status::NonDominated).and_then(|r| r.icer);
    Ok(check(
        ECONOMIC_CHECKS[6],
        same && relative(d_base, d_swap) < 1e-12,
        format!(
            "ICER {} in both orders; cost difference {d_base:.6} vs {d_swap:.6}",
            icer.map_or("n/a".into(), |x| format!("{x:.4}"))
        ),
    ))
}

/// Correction weights sum to the horizon: life years of someone alive throughout (only for an
/// alive state without time-in-state buckets).
fn correction_weights(model: &Model, economics: &Economics) -> Option<Check> {
    if economics.correction == crate::scenario::Correction::Weights {
        // The scenario's own weights need not sum to the horizon (DARTH's sum to T - 1/3, the
        // THR book's count T + 1 boundaries): this check is for the named corrections.
        let sum: f64 = economics.weights.iter().sum::<f64>() * model.cycle_length_years;
        let why = format!("the scenario gives its own weights (they sum to {sum:.6} years)");
        return Some(skipped(ECONOMIC_CHECKS[7], &why));
    }
    let v = model.valuations.as_ref()?.first()?;
    let slot = (0..model.slots().len()).find(|&s| model.states[model.slots()[s].state].alive)?;
    let bucketless = model.slots().iter().filter(|s| s.state == model.slots()[slot].state).count() == 1;
    if !bucketless {
        return None;
    }
    let sum: f64 = (0..=model.n_cycles).map(|p| v.at(quantity::LIFE_YEARS, p, slot)).sum();
    let horizon = model.n_cycles as f64 * model.cycle_length_years;
    Some(check(
        ECONOMIC_CHECKS[7],
        relative(sum, horizon) < 1e-12,
        format!("{} weights: {sum:.12} years vs horizon {horizon} years", economics.correction.name()),
    ))
}

/// Totals equal the sum of their parts.
fn totals_add_up(base: &[analysis::StrategyTotals]) -> Check {
    let gap = worst(base.iter().flat_map(|t| {
        let categories: f64 = t.cost_by_category.iter().map(|c| c.1).sum();
        let states: f64 =
            t.cost_by_state.iter().map(|c| c.1).sum::<f64>() + t.cost_by_move.iter().map(|c| c.1).sum::<f64>();
        let qalys: f64 =
            t.qaly_by_state.iter().map(|c| c.1).sum::<f64>() + t.qaly_by_move.iter().map(|c| c.1).sum::<f64>();
        [relative(categories, t.cost), relative(states, t.cost), relative(qalys, t.qaly)]
    }));
    check(ECONOMIC_CHECKS[8], gap < 1e-9, format!("max relative gap = {gap:.1e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A NaN figure fails its check: before issue 10, `fold(0.0, f64::max)` skipped NaN, so a
    /// model that produced NaN totals passed every check.
    #[test]
    fn nan_figures_fail_their_checks() {
        assert!(f64::NAN.max(0.0) == 0.0, "the trap: f64::max hides NaN");
        assert!(worst([0.1, f64::NAN, 0.2]).is_nan());
        assert!(worst([f64::NAN]).is_nan());
        assert_eq!(worst([0.1, 0.3, 0.2]), 0.3);
        assert_eq!(worst(std::iter::empty()), 0.0);
        assert!(nan_max(f64::NAN, 1.0).is_nan() && nan_max(1.0, f64::NAN).is_nan());
        let gap = worst([relative(1.0, 1.0), relative(f64::NAN, 2.0)]);
        let passes = gap < 1e-12;
        assert!(!passes, "a NaN gap must not pass");
        // Infinity equals infinity, but an infinite total is no total.
        assert!(relative(f64::INFINITY, f64::INFINITY).is_nan());
        assert_eq!(relative(2.0, 2.0), 0.0);
        assert!((relative(1.0, 2.0) - 0.5).abs() < 1e-15);
        // The same for the "no rise" fold that starts from minus infinity.
        let rise = [-1.0, f64::NAN].into_iter().fold(f64::NEG_INFINITY, nan_max);
        let passes = rise <= 1e-9;
        assert!(!passes, "a NaN rise must not pass");
    }

    /// The checks built from figures, fed NaN, report failure with the NaN in the figure.
    #[test]
    fn checks_fed_nan_fail() {
        let scenario = Scenario::default_scenario().unwrap();
        let model = Model::from_scenario(&scenario).unwrap();
        let mut traces: Vec<_> = (0..model.n_strategies()).map(|s| sim_cohort(&model, s)).collect();
        assert_eq!(trace_rows_sum_to_one(&traces).passed, Some(true));
        assert_eq!(death_is_absorbing(&model, &traces).passed, Some(true));
        let death = model.states.iter().position(|s| !s.alive).unwrap();
        traces[1].occupancy[2 * model.n_states() + death] = f64::NAN;
        let c = trace_rows_sum_to_one(&traces);
        assert_eq!(c.passed, Some(false));
        assert!(c.figure.contains("NaN"), "{}", c.figure);
        assert_eq!(death_is_absorbing(&model, &traces).passed, Some(false));
        let mut base = totals(&scenario).unwrap();
        assert_eq!(totals_add_up(&base).passed, Some(true));
        base[0].cost = f64::NAN;
        assert_eq!(totals_add_up(&base).passed, Some(false));
    }
}
