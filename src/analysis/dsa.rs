//! `cirrhosim dsa`: one-way (tornado) and two-way deterministic sensitivity analysis.
//!
//! Receives a scenario, the strategy and comparator to compare, and a willingness to pay; sets
//! each used parameter with a `low`/`high` range to its low and then its high value (all others at
//! base), rebuilds the model, runs the exact cohort and records the ICER and the incremental net
//! monetary benefit (INB = wtp x dQALY - dCost). Rows are sorted by swing |high - low| for the
//! tornado diagram. A two-way analysis evaluates a grid over two parameters' ranges. Like `psa`,
//! it drives every stage, so it sits beside the pipeline.

use crate::analysis;
use crate::engine::sim_cohort;
use crate::error::{Error, Problem, ProblemKind, Result};
use crate::model::Model;
use crate::scenario::Scenario;
use rayon::prelude::*;

/// Outcomes of comparing two strategies under one set of parameter values.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Comparison {
    pub inc_cost: f64,
    pub inc_qaly: f64,
    /// dCost / dQALY (infinite or NaN when dQALY is 0).
    pub icer: f64,
    /// wtp x dQALY - dCost.
    pub inc_nmb: f64,
}

/// Compares `strategy` with `comparator` under `values`.
///
/// # Errors
/// Model build errors (e.g. a range bound that breaks a row sum).
pub fn compare(
    scenario: &Scenario,
    values: &[f64],
    strategy: usize,
    comparator: usize,
    wtp: f64,
) -> Result<Comparison> {
    let model = Model::build(scenario, values)?;
    let outcome =
        |s: usize| analysis::economics::cohort_outcomes(&model, &sim_cohort(&model, s)).expect("economics checked");
    let (a, b) = (outcome(strategy), outcome(comparator));
    let (inc_cost, inc_qaly) = (a[0] - b[0], a[1] - b[1]);
    Ok(Comparison { inc_cost, inc_qaly, icer: inc_cost / inc_qaly, inc_nmb: wtp * inc_qaly - inc_cost })
}

/// One parameter's row of the tornado.
#[derive(Debug, Clone, PartialEq)]
pub struct OneWay {
    pub parameter: String,
    pub low_value: f64,
    pub high_value: f64,
    pub low: Comparison,
    pub high: Comparison,
}

/// The one-way analysis.
#[derive(Debug, Clone, PartialEq)]
pub struct Tornado {
    pub base: Comparison,
    /// Sorted by INB swing, largest first.
    pub rows: Vec<OneWay>,
}

/// The willingness to pay per QALY a DSA uses when none is given: the scenario's second
/// `economics.wtp` value (the first is often a low reference such as 20,000), else its first,
/// else 30,000.
///
/// # Examples
/// ```
/// use cirrhosim::{analysis::dsa::default_wtp, scenario::Scenario};
/// let s = Scenario::default_scenario()?; // wtp = [20000, 30000, 50000, 100000]
/// assert_eq!(default_wtp(&s), 30_000.0);
/// # Ok::<(), cirrhosim::Error>(())
/// ```
pub fn default_wtp(scenario: &Scenario) -> f64 {
    scenario.economics.as_ref().and_then(|e| e.wtp.get(1).or(e.wtp.first()).copied()).unwrap_or(30_000.0)
}

fn needs_economics(scenario: &Scenario) -> Result<()> {
    if scenario.economics.is_none() {
        return Err(Error::Invalid {
            file: scenario.file.clone(),
            problems: vec![Problem::new("economics", None, ProblemKind::EconomicsNeeded)],
        });
    }
    Ok(())
}

/// The parameters a sensitivity analysis can move, in file order: used by the model (listed by
/// [`Scenario::parameter_uses`]) and given both `low` and `high`.
///
/// # Examples
/// ```
/// use cirrhosim::analysis::dsa::ranged_parameters;
/// let s = cirrhosim::scenario::Scenario::default_scenario().unwrap();
/// let ranged = ranged_parameters(&s);
/// assert!(ranged.iter().all(|&i| s.uses_parameter(i) && s.parameters[i].low.is_some()));
/// ```
pub fn ranged_parameters(scenario: &Scenario) -> Vec<usize> {
    let mut used = vec![false; scenario.parameters.len()];
    for u in scenario.parameter_uses() {
        used[u.parameter] = true;
    }
    (0..scenario.parameters.len())
        .filter(|&i| used[i] && scenario.parameters[i].low.is_some() && scenario.parameters[i].high.is_some())
        .collect()
}

/// Runs the one-way analysis over every used parameter with both `low` and `high`
/// ([`ranged_parameters`]).
///
/// # Errors
/// [`Error::Invalid`] without `[economics]` or without any ranged parameter
/// ([`ProblemKind::NoRangedParameters`]); [`Error::Draw`]-like errors naming the parameter when a
/// bound cannot be built.
pub fn one_way(scenario: &Scenario, strategy: usize, comparator: usize, wtp: f64) -> Result<Tornado> {
    needs_economics(scenario)?;
    let base_values = scenario.base_values();
    let base = compare(scenario, &base_values, strategy, comparator, wtp)?;
    let candidates = ranged_parameters(scenario);
    if candidates.is_empty() {
        return Err(Error::Invalid {
            file: scenario.file.clone(),
            problems: vec![Problem::new("parameters", None, ProblemKind::NoRangedParameters)],
        });
    }
    let mut rows = candidates
        .par_iter()
        .map(|&i| {
            let p = &scenario.parameters[i];
            let (lo, hi) = (p.low.expect("filtered"), p.high.expect("filtered"));
            let at = |v: f64| {
                let mut values = base_values.clone();
                values[i] = v;
                compare(scenario, &values, strategy, comparator, wtp).map_err(|e| Error::Parameter {
                    name: p.name.clone(),
                    value: v,
                    cause: Box::new(e),
                })
            };
            Ok(OneWay { parameter: p.name.clone(), low_value: lo, high_value: hi, low: at(lo)?, high: at(hi)? })
        })
        .collect::<Result<Vec<_>>>()?;
    rows.sort_by(|a, b| {
        let swing = |r: &OneWay| (r.high.inc_nmb - r.low.inc_nmb).abs();
        swing(b).total_cmp(&swing(a)).then(a.parameter.cmp(&b.parameter))
    });
    Ok(Tornado { base, rows })
}

/// One point of a two-way grid.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TwoWayPoint {
    pub x: f64,
    pub y: f64,
    pub result: Comparison,
}

/// Evaluates an `steps` x `steps` grid over the ranges of two parameters.
///
/// # Errors
/// [`Error::Invalid`] without `[economics]`, or when a name is not a used parameter with a range.
pub fn two_way(
    scenario: &Scenario,
    names: [&str; 2],
    steps: usize,
    strategy: usize,
    comparator: usize,
    wtp: f64,
) -> Result<Vec<TwoWayPoint>> {
    needs_economics(scenario)?;
    let ranged = ranged_parameters(scenario);
    let mut idx = [0; 2];
    for (k, name) in names.iter().enumerate() {
        let i = scenario.parameters.iter().position(|p| p.name == *name);
        match i.filter(|i| ranged.contains(i)) {
            Some(i) => idx[k] = i,
            None => {
                return Err(Error::Invalid {
                    file: scenario.file.clone(),
                    problems: vec![Problem::new(
                        format!("parameters.{name}"),
                        None,
                        ProblemKind::NoRange { name: name.to_string() },
                    )],
                });
            }
        }
    }
    let steps = steps.max(2);
    let grid = |i: usize| -> Vec<f64> {
        let p = &scenario.parameters[i];
        let (lo, hi) = (p.low.expect("checked"), p.high.expect("checked"));
        (0..steps).map(|k| lo + (hi - lo) * k as f64 / (steps - 1) as f64).collect()
    };
    let (xs, ys) = (grid(idx[0]), grid(idx[1]));
    let points: Vec<(f64, f64)> = xs.iter().flat_map(|&x| ys.iter().map(move |&y| (x, y))).collect();
    let base_values = scenario.base_values();
    points
        .par_iter()
        .map(|&(x, y)| {
            let mut values = base_values.clone();
            values[idx[0]] = x;
            values[idx[1]] = y;
            Ok(TwoWayPoint { x, y, result: compare(scenario, &values, strategy, comparator, wtp)? })
        })
        .collect()
}
