//! The teaching page's model (`cirrhosim serve`): the inputs a class can move ("knobs") and the
//! exact cohort rerun with them.
//!
//! Receives a scenario and (knob name, value) pairs already parsed as numbers; checks each value
//! like a scenario file would ([`apply`]), rebuilds the model, runs the exact cohort of every
//! strategy and hands [`crate::report::teaching`] the survival curves and the incremental
//! analysis ([`rerun`]). The HTTP server that receives the inputs lives in the binary.

use crate::analysis::{self, Evaluation};
use crate::engine::sim_cohort;
use crate::error::{Error, Problem, ProblemKind, Result};
use crate::model::Model;
use crate::scenario::{Scenario, TimeValue, Value};
use serde::Serialize;

/// One input of the page.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Knob {
    /// `param:NAME`, `start_age`, `horizon_years` or `discount_rate`.
    pub name: String,
    /// What the slider shows, with the unit.
    pub label: String,
    /// The scenario's value.
    pub value: f64,
    /// Slider range and step.
    pub min: f64,
    pub max: f64,
    pub step: f64,
    /// The parameter's unit and source, for parameter knobs (`None` otherwise).
    pub unit: Option<String>,
    pub source: Option<String>,
}

/// The knobs for a scenario: the effect sizes, effect durations and price per infusion of the
/// last strategy (when they are parameters), the start age, the horizon and (with economics) the
/// discount rate. Parameter knobs range over their `low`-`high` span widened by one span each
/// side (else a quarter to four times the value), clamped for ratios and costs.
pub fn knobs(scenario: &Scenario) -> Vec<Knob> {
    let mut out = Vec::new();
    let add_param = |i: usize, label: String, out: &mut Vec<Knob>| {
        // A derived parameter follows its inputs: no slider of its own.
        let p = &scenario.parameters[i];
        if !p.is_derived() && !out.iter().any(|k: &Knob| k.name == format!("param:{}", p.name)) {
            out.push(Knob { label, ..parameter_knob(scenario, i) });
        }
    };
    if let Some(s) = scenario.strategies.last() {
        for e in &s.effects {
            if let Value::Parameter(i) = e.value {
                let what = if e.hr_per_meld_point.is_some() { "MELD shift (points)" } else { "effect size" };
                add_param(i, format!("{} {what}", s.label), &mut out);
            }
            if let Some(TimeValue::Parameter(i, _)) = e.duration {
                add_param(i, format!("{} effect duration ({})", s.label, scenario.parameters[i].kind.name()), &mut out);
            }
        }
        for e in &s.covariate_effects {
            if let Value::Parameter(i) = e.shift {
                add_param(i, format!("{} shift of {}", s.label, e.covariate), &mut out);
            }
            if let Some(TimeValue::Parameter(i, _)) = e.duration {
                add_param(i, format!("{} effect duration ({})", s.label, scenario.parameters[i].kind.name()), &mut out);
            }
        }
        if let Some(&Value::Parameter(i)) = s.schedule.as_ref().and_then(|sc| sc.cost_per_infusion.as_ref()) {
            let unit =
                scenario.economics.as_ref().map_or(String::new(), |e| format!(" ({} {})", e.currency, e.price_year));
            add_param(i, format!("price per infusion{unit}"), &mut out);
        }
    }
    // No start age knob when the scenario gives none: then nothing in the model reads age.
    if scenario.cohort.age_given {
        let age = scenario.cohort.age_groups.iter().map(|g| g.age * g.weight).sum::<f64>();
        out.push(Knob {
            name: "start_age".into(),
            label: "start age (years)".into(),
            value: age,
            min: 40.0,
            max: 90.0,
            step: 1.0,
            unit: Some("years".into()),
            source: None,
        });
    }
    let horizon = scenario.n_cycles as f64 * scenario.cycle_length_years;
    out.push(Knob {
        name: "horizon_years".into(),
        label: "horizon (years)".into(),
        value: horizon.round(),
        min: 1.0,
        max: 60.0,
        step: 1.0,
        unit: Some("years".into()),
        source: None,
    });
    if let Some(e) = &scenario.economics {
        let r = e.discount_rate_costs.get(&scenario.base_values());
        out.push(Knob {
            name: "discount_rate".into(),
            label: "discount rate".into(),
            value: r,
            min: 0.0,
            max: 0.1,
            step: 0.005,
            unit: Some("per year".into()),
            source: None,
        });
    }
    out
}

/// A slider for parameter `i`: over its `low`-`high` span widened by one span each side (else a
/// quarter to four times the value), clamped for ratios and costs, in 200 steps; labelled with
/// its name and unit, with its source.
pub fn parameter_knob(scenario: &Scenario, i: usize) -> Knob {
    let p = &scenario.parameters[i];
    let (min, max) = match (p.low, p.high) {
        (Some(lo), Some(hi)) => {
            let span = hi - lo;
            (lo - span, hi + span)
        }
        _ => (p.value / 4.0, p.value * 4.0),
    };
    let (min, max) = (min.min(max), min.max(max));
    use crate::scenario::ParameterKind as K;
    // Within what the kind allows, so the slider never offers a value the model refuses.
    let (min, max) = match p.kind {
        K::HazardRatio | K::RelativeRisk => (min.max(0.05), max.min(1.5)),
        K::AnnualProbability | K::Probability | K::Proportion => (min.max(0.0), max.min(1.0)),
        K::Cost | K::Months | K::Years | K::AnnualRate | K::OddsRatio | K::Count => (min.max(0.0), max),
        K::Utility => (min, max.min(1.0)),
        K::MeanDifference | K::Coefficient => (min, max),
    };
    // A value of 0 gives an empty range: open it to 1.
    let (min, max) = if max > min { (min, max) } else { (min, min + 1.0) };
    Knob {
        name: format!("param:{}", p.name),
        label: match &p.unit {
            Some(u) => format!("{} ({u})", p.name),
            None => p.name.clone(),
        },
        value: p.value,
        min,
        max,
        step: ((max - min) / 200.0).max(1e-6),
        unit: p.unit.clone(),
        source: p.source.clone(),
    }
}

/// A slider for every parameter the model uses, in file order (the page lets a class put any of
/// them beside the fixed knobs).
pub fn parameter_knobs(scenario: &Scenario) -> Vec<Knob> {
    // A derived parameter follows its inputs: setting it is refused, so it gets no slider.
    (0..scenario.parameters.len())
        .filter(|&i| scenario.uses_parameter(i) && !scenario.parameters[i].is_derived())
        .map(|i| parameter_knob(scenario, i))
        .collect()
}

fn bad(scenario: &Scenario, key: &str, kind: ProblemKind) -> Error {
    Error::Invalid { file: scenario.file.clone(), problems: vec![Problem::new(key, None, kind)] }
}

/// The scenario with the inputs applied, checked like a scenario file.
///
/// `inputs` are (knob name, value) pairs: `param:NAME` (or a bare parameter name) sets a
/// parameter, checked against its kind; `start_age` (years, within the life table) makes the
/// cohort one age group; `horizon_years` (0 to 100) sets the number of cycles; `discount_rate`
/// (0 to 0.2) sets both discount rates.
///
/// # Errors
/// [`Error::Invalid`] naming the input and the rule it breaks (a value that is not finite, out of
/// its range, or an unknown parameter).
///
/// # Examples
/// ```
/// use cirrhosim::{analysis::teaching::apply, scenario::Scenario};
/// let s = Scenario::default_scenario()?;
/// let older = apply(&s, &[("start_age".to_string(), 70.0)])?;
/// assert_eq!(older.cohort.age_groups[0].age, 70.0);
/// let e = apply(&s, &[("discount_rate".to_string(), 0.9)]).unwrap_err();
/// assert!(e.to_string().contains("discount_rate: 0.9 is not a valid discount rate: must be in [0, 0.2]"));
/// # Ok::<(), cirrhosim::Error>(())
/// ```
pub fn apply(scenario: &Scenario, inputs: &[(String, f64)]) -> Result<Scenario> {
    let mut s = scenario.clone();
    for (name, value) in inputs {
        let value = *value;
        if !value.is_finite() {
            return Err(bad(
                scenario,
                name,
                ProblemKind::OutOfRange { value, kind: "input", rule: "must be a finite number" },
            ));
        }
        match name.as_str() {
            "start_age" => {
                let bg = s.background.as_ref();
                let first = bg.map_or(0, |b| {
                    b.table
                        .first_age(crate::scenario::life_table::Sex::Male)
                        .max(b.table.first_age(crate::scenario::life_table::Sex::Female))
                });
                if !(value >= first as f64 && value < 110.0) {
                    return Err(bad(
                        scenario,
                        name,
                        ProblemKind::OutOfRange {
                            value,
                            kind: "start age",
                            rule: "must be within the life table (40 to 110)",
                        },
                    ));
                }
                s.cohort.age_groups = vec![crate::scenario::AgeGroup { age: value, weight: 1.0 }];
                s.cohort.age_given = true;
            }
            "horizon_years" => {
                if !(value > 0.0 && value <= 100.0) {
                    return Err(bad(
                        scenario,
                        name,
                        ProblemKind::OutOfRange { value, kind: "horizon", rule: "must be in (0, 100] years" },
                    ));
                }
                s.n_cycles = (value / s.cycle_length_years).round().max(1.0) as usize;
            }
            "discount_rate" => {
                if !(0.0..=0.2).contains(&value) {
                    return Err(bad(
                        scenario,
                        name,
                        ProblemKind::OutOfRange { value, kind: "discount rate", rule: "must be in [0, 0.2]" },
                    ));
                }
                if let Some(e) = &mut s.economics {
                    e.discount_rate_costs = Value::Literal(value);
                    e.discount_rate_effects = Value::Literal(value);
                }
            }
            other => {
                let param = other.strip_prefix("param:").unwrap_or(other);
                let i = s.parameters.iter().position(|p| p.name == param).ok_or_else(|| {
                    bad(scenario, name, ProblemKind::UnknownParameter { name: param.to_string(), hint: String::new() })
                })?;
                if s.parameters[i].is_derived() {
                    return Err(bad(scenario, name, ProblemKind::DerivedNotVaried { name: param.to_string() }));
                }
                s.parameters[i].kind.check(value).map_err(|kind| bad(scenario, name, kind))?;
                s.parameters[i].value = value;
            }
        }
    }
    Ok(s)
}

/// The exact cohort rerun with a class's inputs.
#[derive(Debug, Clone)]
pub struct Rerun {
    /// The scenario with the inputs applied.
    pub scenario: Scenario,
    /// The model built from it.
    pub model: Model,
    /// Overall survival per strategy at every cycle boundary (0 to `n_cycles`).
    pub survival: Vec<Vec<f64>>,
    /// Undiscounted life years per strategy (trapezoid area under `survival`).
    pub life_years: Vec<f64>,
    /// Costs, QALYs and the incremental analysis; `None` without economics.
    pub evaluation: Option<Evaluation>,
    /// Per strategy: the share in each state at cycle boundary t, `[t * n_states + state]`.
    pub occupancy: Vec<Vec<f64>>,
    /// Per strategy: the share moving from one state to another during cycle t,
    /// `[(t * n_states + from) * n_states + to]`.
    pub flows: Vec<Vec<f64>>,
    /// Per strategy: discounted QALYs accrued at each cycle boundary (moves counted in the cycle
    /// they happen); they add up to the strategy's total. Empty without economics.
    pub qaly_by_cycle: Vec<Vec<f64>>,
    /// Per strategy: the first [`PATHS`] simulated patients' paths with the scenario's seed.
    pub paths: Vec<Vec<analysis::PatientPath>>,
}

/// How many simulated patients' paths a rerun draws per strategy.
pub const PATHS: u64 = 10;

/// Applies the inputs ([`apply`]), builds the model and runs the exact cohort of every strategy.
///
/// # Errors
/// As [`apply`], and model build errors (e.g. a row sum above 1).
///
/// # Examples
/// ```
/// use cirrhosim::{analysis::teaching::rerun, scenario::Scenario};
/// let s = Scenario::default_scenario()?;
/// let base = rerun(&s, &[])?;
/// let cheaper = rerun(&s, &[("param:c_msc_infusion".to_string(), 1000.0)])?;
/// let icer = |r: &cirrhosim::analysis::teaching::Rerun| r.evaluation.as_ref().unwrap().cea[1].icer.unwrap();
/// assert!(icer(&cheaper) < icer(&base));
/// # Ok::<(), cirrhosim::Error>(())
/// ```
pub fn rerun(scenario: &Scenario, inputs: &[(String, f64)]) -> Result<Rerun> {
    let scenario = apply(scenario, inputs)?;
    let model = Model::from_scenario(&scenario)?;
    let dt = model.cycle_length_years;
    let traces: Vec<_> = (0..model.n_strategies()).map(|i| sim_cohort(&model, i)).collect();
    let survival: Vec<Vec<f64>> =
        traces.iter().map(|t| analysis::survival::overall_survival(&model, |c, s| t.at(c, s))).collect();
    let life_years = survival.iter().map(|curve| analysis::survival::trapezoid_area(curve, dt)).collect();
    let evaluation = analysis::evaluate(&model, &traces, None);
    let qaly_by_cycle = traces.iter().filter_map(|t| qaly_by_cycle(&model, t)).collect();
    let paths = (0..model.n_strategies()).map(|s| analysis::patient_paths(&model, s, scenario.seed, PATHS)).collect();
    Ok(Rerun {
        occupancy: traces.iter().map(|t| t.occupancy.clone()).collect(),
        flows: traces.iter().map(|t| t.flows.clone()).collect(),
        qaly_by_cycle,
        paths,
        scenario,
        model,
        survival,
        life_years,
        evaluation,
    })
}

/// Discounted QALYs accrued at each cycle boundary p = 0..=n_cycles: the occupancy valued as in
/// [`analysis::economics::cohort_outcomes`], plus one-off QALYs of moves in cycle p; `None`
/// without economics. The sum is the strategy's total QALYs.
fn qaly_by_cycle(model: &Model, trace: &crate::engine::CohortTrace) -> Option<Vec<f64>> {
    analysis::economics::by_boundary(model, trace, crate::model::valuation::quantity::QALY)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inputs_change_the_answer_and_bad_inputs_are_named() {
        let s = Scenario::default_scenario().unwrap();
        let icer = |r: &Rerun| r.evaluation.as_ref().unwrap().cea[1].icer.unwrap();
        let base = rerun(&s, &[]).unwrap();
        let cheaper = rerun(&s, &[("param:c_msc_infusion".into(), 1000.0)]).unwrap();
        assert!(icer(&cheaper) < icer(&base));
        let e = rerun(&s, &[("param:c_msc_infusion".into(), f64::NAN)]).unwrap_err().to_string();
        assert!(e.contains("param:c_msc_infusion") && e.contains("finite number"), "{e}");
        let e = rerun(&s, &[("start_age".into(), 20.0)]).unwrap_err().to_string();
        assert!(e.contains("start_age") && e.contains("life table"), "{e}");
        let e = rerun(&s, &[("param:nope".into(), 1.0)]).unwrap_err().to_string();
        assert!(e.contains("unknown parameter \"nope\""), "{e}");
        let knobs = knobs(&s);
        assert!(knobs.iter().any(|k| k.name == "param:msc_meld_md_24wk"));
        assert!(knobs.iter().any(|k| k.name == "param:c_msc_infusion"));
    }

    #[test]
    fn horizon_and_age_reshape_the_run() {
        let s = Scenario::default_scenario().unwrap();
        let r = rerun(&s, &[("horizon_years".into(), 10.0), ("start_age".into(), 60.0)]).unwrap();
        assert_eq!(r.survival[0].len(), r.model.n_cycles + 1);
        assert!((r.model.n_cycles as f64 * r.model.cycle_length_years - 10.0).abs() < 1e-9);
        // Life years within a 10-year horizon are at most 10.
        assert!(r.life_years.iter().all(|&ly| ly > 0.0 && ly <= 10.0));
        // QALYs by cycle add up to the total; ten paths per strategy start in the start state.
        let ev = r.evaluation.as_ref().unwrap();
        for (s, by_cycle) in r.qaly_by_cycle.iter().enumerate() {
            let total = ev.totals.iter().find(|t| t.strategy == s).unwrap().qaly;
            assert!((by_cycle.iter().sum::<f64>() - total).abs() < 1e-9 * total, "strategy {s}");
        }
        assert!(r.paths.iter().all(|p| p.len() == PATHS as usize && p.iter().all(|x| x.entries[0] == (0, 1))));
    }
}
