//! `cirrhosim verify`: black-box checks of a user's own scenario, in the spirit of TECH-VER
//! (Büyükkaramikli et al. 2019, *PharmacoEconomics* 37:1391).
//!
//! Receives a checked [`Scenario`]; builds modified copies of it (all utilities 1, all costs 0,
//! no discounting, identical or swapped strategies), runs them through the same pipeline as
//! `cirrhosim run`, and reports for each check whether it passed and the figure behind it. It sits
//! beside the pipeline rather than in it, because it drives every stage.

use crate::analysis::{self, Status};
use crate::engine::{self, NoProgress, sim_cohort};
use crate::error::Result;
use crate::model::Model;
use crate::model::valuation::quantity;
use crate::scenario::{RewardKind, RewardTarget, Scenario, Value, Window};
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

fn relative(a: f64, b: f64) -> f64 {
    if a == b { 0.0 } else { (a - b).abs() / a.abs().max(b.abs()).max(1e-300) }
}

/// Runs every check on `scenario` with a Monte Carlo sample of `patients`.
///
/// # Errors
/// Only if a modified scenario fails to build, which would itself be a bug worth reporting.
pub fn verify(scenario: &Scenario, patients: u64) -> Result<Vec<Check>> {
    let model = Model::from_scenario(scenario)?;
    let traces: Vec<_> = (0..model.n_strategies()).map(|s| sim_cohort(&model, s)).collect();
    let mut out = Vec::new();

    // Trace rows sum to 1.
    let worst = traces
        .iter()
        .flat_map(|t| (0..=t.n_cycles).map(move |c| (t.row(c).iter().sum::<f64>() - 1.0).abs()))
        .fold(0.0, f64::max);
    out.push(check("trace rows sum to 1", worst < 1e-9, format!("max |sum - 1| = {worst:.1e}")));

    // Death is absorbing: overall survival never rises.
    let dead: Vec<usize> = (0..model.n_states()).filter(|&s| !model.states[s].alive).collect();
    let rise = traces
        .iter()
        .flat_map(|t| {
            let dead = &dead;
            (1..=t.n_cycles).map(move |c| dead.iter().map(|&s| t.at(c - 1, s) - t.at(c, s)).sum::<f64>())
        })
        .fold(0.0, f64::max);
    out.push(check(
        "death is absorbing (the dead share never falls)",
        rise <= 1e-12,
        format!("largest fall = {rise:.1e}"),
    ));

    // Monte Carlo agrees with the cohort, cycle by cycle, within a bound derived from n.
    let run = engine::sim_patients(&model, patients, scenario.seed, &NoProgress);
    let comparisons = model.n_strategies() * (model.n_cycles + 1) * model.n_states();
    let z = Normal::standard().inverse_cdf(1.0 - 0.001 / (2.0 * comparisons as f64));
    let n = patients as f64;
    let mut worst_ratio: f64 = 0.0;
    for c in &run.counts {
        let trace = &traces[c.strategy];
        for t in 0..=model.n_cycles {
            for s in 0..model.n_states() {
                let p = trace.at(t, s);
                let bound = z * (p * (1.0 - p) / n).sqrt() + 1.0 / n;
                worst_ratio = worst_ratio.max((c.at(t, s) as f64 / n - p).abs() / bound);
            }
        }
    }
    out.push(check(
        "Monte Carlo occupancy within its bound of the cohort",
        worst_ratio <= 1.0,
        format!("worst deviation = {worst_ratio:.2} of the bound (z = {z:.2}, {patients} patients, {comparisons} comparisons)"),
    ));

    // Same seed, different thread counts: identical results.
    let pool = rayon::ThreadPoolBuilder::new().num_threads(1).build().expect("one thread");
    let again = pool.install(|| engine::sim_patients(&model, patients.min(50_000), scenario.seed, &NoProgress));
    let other = engine::sim_patients(&model, patients.min(50_000), scenario.seed, &NoProgress);
    out.push(check(
        "same seed gives identical results on 1 and all threads",
        again == other,
        format!("{} patients compared count by count", patients.min(50_000)),
    ));

    let Some(economics) = &scenario.economics else {
        for name in [
            "Monte Carlo cost and QALYs within 4.5 SE of the cohort",
            "utilities 1 and no discounting: QALYs = life years",
            "all costs 0: total cost 0",
            "discount rates 0: discounted = undiscounted",
            "higher discount rates never raise a total",
            "identical strategies: zero increments",
            "swapped strategies: increments flip, ICER unchanged",
            "correction weights sum to the horizon",
            "totals equal the sum of their parts",
        ] {
            out.push(skipped(name, "the scenario has no [economics]"));
        }
        return Ok(out);
    };
    let values = scenario.base_values();
    let base = totals(scenario)?;

    // Monte Carlo economics agree with the cohort.
    if let Some(sums) = &run.values {
        let est = analysis::mc_estimates(sums);
        let worst = est
            .iter()
            .zip(&base)
            .flat_map(|(e, b)| {
                [
                    (e.cost.mean - b.cost).abs() / e.cost.se.max(1e-300),
                    (e.qaly.mean - b.qaly).abs() / e.qaly.se.max(1e-300),
                ]
            })
            .fold(0.0, f64::max);
        out.push(check(
            "Monte Carlo cost and QALYs within 4.5 SE of the cohort",
            worst <= 4.5,
            format!("worst = {worst:.2} SE"),
        ));
    }

    // Utilities 1 and no discounting: QALYs equal life years.
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
    let t = totals(&s)?;
    let gap = t.iter().map(|x| relative(x.qaly, x.life_years)).fold(0.0, f64::max);
    out.push(check(
        "utilities 1 and no discounting: QALYs = life years",
        gap < 1e-12,
        format!("max relative gap = {gap:.1e}"),
    ));

    // All costs 0: total 0.
    let mut s = scenario.clone();
    s.rewards.retain(|r| r.kind == RewardKind::Qaly);
    for st in &mut s.strategies {
        if let Some(sc) = &mut st.schedule {
            sc.cost_per_infusion = None;
            sc.adverse_events.iter_mut().for_each(|a| a.cost = None);
        }
    }
    let t = totals(&s)?;
    let largest = t.iter().map(|x| x.cost.abs().max(x.cost_undiscounted.abs())).fold(0.0, f64::max);
    out.push(check("all costs 0: total cost 0", largest == 0.0, format!("largest total = {largest}")));

    // Discount rates 0: discounted equals undiscounted.
    let mut s = scenario.clone();
    if let Some(e) = &mut s.economics {
        e.discount_rate_costs = Value::Literal(0.0);
        e.discount_rate_effects = Value::Literal(0.0);
    }
    let t = totals(&s)?;
    let gap = t
        .iter()
        .flat_map(|x| [relative(x.cost, x.cost_undiscounted), relative(x.qaly, x.qaly_undiscounted)])
        .fold(0.0, f64::max);
    out.push(check(
        "discount rates 0: discounted = undiscounted",
        gap < 1e-12,
        format!("max relative gap = {gap:.1e}"),
    ));

    // Raising the discount rates never raises a total. This holds for non-negative values, so
    // both runs use the absolute value of every cost and QALY (a QALY toll would otherwise break it).
    let mut positive = scenario.clone();
    for r in &mut positive.rewards {
        r.value = Value::Literal(r.value.get(&values).abs());
    }
    for st in &mut positive.strategies {
        if let Some(sc) = &mut st.schedule {
            sc.cost_per_infusion = sc.cost_per_infusion.map(|c| Value::Literal(c.get(&values).abs()));
            for a in &mut sc.adverse_events {
                a.cost = a.cost.map(|c| Value::Literal(c.get(&values).abs()));
                a.qaly_loss = a.qaly_loss.map(|q| Value::Literal(-q.get(&values).abs()));
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
        t.iter().zip(&low).flat_map(|(h, b)| [h.cost - b.cost, h.qaly - b.qaly]).fold(f64::NEG_INFINITY, f64::max);
    out.push(check(
        "higher discount rates never raise a total",
        rise <= 1e-9,
        format!("+2 points, all values made non-negative: largest change = {rise:.3e}"),
    ));

    // Identical strategies: zero increments.
    let mut s = scenario.clone();
    let first = s.strategies[0].clone();
    for (i, st) in s.strategies.iter_mut().enumerate() {
        *st = crate::scenario::Strategy { name: format!("{}_{i}", first.name), ..first.clone() };
    }
    for r in &mut s.rewards {
        if let Some(list) = &r.strategies {
            r.strategies = Some(if list.contains(&0) { (0..scenario.strategies.len()).collect() } else { Vec::new() });
        }
    }
    let t = totals(&s)?;
    let spread = t.iter().flat_map(|x| [(x.cost - t[0].cost).abs(), (x.qaly - t[0].qaly).abs()]).fold(0.0, f64::max);
    out.push(check("identical strategies: zero increments", spread == 0.0, format!("largest increment = {spread}")));

    // Swapped strategies: increments flip, ICER unchanged.
    if scenario.strategies.len() >= 2 {
        let mut s = scenario.clone();
        s.strategies.reverse();
        let last = scenario.strategies.len() - 1;
        for r in &mut s.rewards {
            if let Some(list) = &mut r.strategies {
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
        out.push(check(
            "swapped strategies: increments flip, ICER unchanged",
            same && relative(d_base, d_swap) < 1e-12,
            format!(
                "ICER {} in both orders; cost difference {d_base:.6} vs {d_swap:.6}",
                icer.map_or("n/a".into(), |x| format!("{x:.4}"))
            ),
        ));
    }

    // Correction weights sum to the horizon: life years of someone alive throughout.
    if let Some(v) = model.valuations.as_ref().and_then(|v| v.first()) {
        let slot = (0..model.slots.len()).find(|&s| model.states[model.slots[s].state].alive);
        if let Some(slot) = slot {
            let bucketless = model.slots.iter().filter(|s| s.state == model.slots[slot].state).count() == 1;
            if bucketless {
                let sum: f64 = (0..=model.n_cycles).map(|p| v.at(quantity::LIFE_YEARS, p, slot)).sum();
                let horizon = model.n_cycles as f64 * model.cycle_length_years;
                out.push(check(
                    "correction weights sum to the horizon",
                    relative(sum, horizon) < 1e-12,
                    format!("{} weights: {sum:.12} years vs horizon {horizon} years", economics.correction.name()),
                ));
            }
        }
    }

    // Totals equal the sum of their parts.
    let gap = base
        .iter()
        .flat_map(|t| {
            let categories: f64 = t.cost_by_category.iter().map(|c| c.1).sum();
            let states: f64 =
                t.cost_by_state.iter().map(|c| c.1).sum::<f64>() + t.cost_by_move.iter().map(|c| c.1).sum::<f64>();
            let qalys: f64 =
                t.qaly_by_state.iter().map(|c| c.1).sum::<f64>() + t.qaly_by_move.iter().map(|c| c.1).sum::<f64>();
            [relative(categories, t.cost), relative(states, t.cost), relative(qalys, t.qaly)]
        })
        .fold(0.0, f64::max);
    out.push(check("totals equal the sum of their parts", gap < 1e-9, format!("max relative gap = {gap:.1e}")));
    Ok(out)
}
