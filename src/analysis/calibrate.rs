//! `cirrhosim calibrate`: fit chosen parameters to survival targets.
//!
//! Receives a scenario, targets (time, curve, value and optionally a 95% interval, from a CSV) and
//! the names of the parameters to fit. Minimises the weighted sum of squares
//! sum ((model - target) / se)^2, se = (upper - lower) / (2 x 1.96) (1 when no interval is
//! given), which is the normal-approximation likelihood of the targets, with argmin's
//! Nelder-Mead simplex. Parameters are searched on an unbounded scale that keeps them valid:
//! log for rates, ratios, costs and durations, logit for probabilities, identity otherwise. The
//! exact cohort of the first strategy (or the target's strategy) gives the model values, so the
//! fit is deterministic.

use crate::analysis::survival;
use crate::engine::sim_cohort;
use crate::error::{Error, Problem, ProblemKind, Result};
use crate::io::targets::Target;
use crate::model::Model;
use crate::scenario::{ParameterKind, Scenario};
use argmin::core::{CostFunction, Executor, State};
use argmin::solver::neldermead::NelderMead;

/// How a parameter is searched: its transform to an unbounded scale and back.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Scale {
    Log,
    Logit,
    Identity,
}

impl Scale {
    fn of(kind: ParameterKind) -> Scale {
        use ParameterKind::*;
        match kind {
            AnnualProbability | Probability | Proportion => Scale::Logit,
            AnnualRate | HazardRatio | RelativeRisk | OddsRatio | Months | Years | Count | Cost => Scale::Log,
            _ => Scale::Identity,
        }
    }
    fn to_free(self, x: f64) -> f64 {
        match self {
            Scale::Log => x.max(1e-12).ln(),
            Scale::Logit => {
                let p = x.clamp(1e-9, 1.0 - 1e-9);
                (p / (1.0 - p)).ln()
            }
            Scale::Identity => x,
        }
    }
    fn from_free(self, y: f64) -> f64 {
        match self {
            Scale::Log => y.exp(),
            Scale::Logit => 1.0 / (1.0 + (-y).exp()),
            Scale::Identity => y,
        }
    }
}

/// A model value for a target under `values`.
fn model_values(scenario: &Scenario, values: &[f64], targets: &[Target]) -> Result<Vec<f64>> {
    let model = Model::build(scenario, values)?;
    let mut out = Vec::with_capacity(targets.len());
    for t in targets {
        let strategy = if t.strategy.is_empty() { 0 } else { scenario.strategy_index(&t.strategy)? };
        let trace = sim_cohort(&model, strategy);
        let dt = model.cycle_length_years;
        let curve: Vec<f64> = match t.curve.split_once(':') {
            None if t.curve == "overall_survival" || t.curve == "transplant_free_survival" => {
                let s = survival::from_cohort(&model, &trace);
                s.curves.into_iter().find(|c| c.name == t.curve).expect("curve exists").estimate
            }
            Some(("occupancy", state)) | Some(("entered", state)) => {
                let i = scenario.state_index(state).ok_or_else(|| unknown_curve(scenario, &t.curve))?;
                if t.curve.starts_with("occupancy") {
                    (0..=model.n_cycles).map(|c| trace.at(c, i)).collect()
                } else {
                    let n = model.n_states();
                    let mut cumulative = vec![model.initial[i]];
                    for c in 0..model.n_cycles {
                        let entered: f64 = (0..n).filter(|&f| f != i).map(|f| trace.flows[(c * n + f) * n + i]).sum();
                        cumulative.push(cumulative[c] + entered);
                    }
                    cumulative
                }
            }
            _ => return Err(unknown_curve(scenario, &t.curve)),
        };
        out.push(survival::value_at(&curve, dt, t.years).ok_or_else(|| Error::Invalid {
            file: scenario.file.clone(),
            problems: vec![Problem::new("targets", None, ProblemKind::TargetBeyondHorizon { years: t.years })],
        })?);
    }
    Ok(out)
}

fn unknown_curve(scenario: &Scenario, curve: &str) -> Error {
    Error::Invalid {
        file: scenario.file.clone(),
        problems: vec![Problem::new("targets", None, ProblemKind::UnknownCurve { curve: curve.to_string() })],
    }
}

struct Objective<'a> {
    scenario: &'a Scenario,
    indices: &'a [usize],
    scales: &'a [Scale],
    targets: &'a [Target],
}

impl Objective<'_> {
    fn values(&self, free: &[f64]) -> Vec<f64> {
        let mut v = self.scenario.base_values();
        for ((&i, s), &y) in self.indices.iter().zip(self.scales).zip(free) {
            v[i] = s.from_free(y);
        }
        v
    }
}

impl CostFunction for Objective<'_> {
    type Param = Vec<f64>;
    type Output = f64;
    fn cost(&self, free: &Vec<f64>) -> std::result::Result<f64, argmin::core::Error> {
        match model_values(self.scenario, &self.values(free), self.targets) {
            Ok(m) => Ok(m.iter().zip(self.targets).map(|(m, t)| ((m - t.value) / t.se()).powi(2)).sum()),
            // A value the model rejects (e.g. a row sum above 1) is simply a bad point.
            Err(_) => Ok(f64::INFINITY),
        }
    }
}

/// The outcome of a calibration.
#[derive(Debug, Clone, PartialEq)]
pub struct Calibration {
    /// (name, starting value, fitted value).
    pub parameters: Vec<(String, f64, f64)>,
    /// Per target: model value before and after.
    pub before: Vec<f64>,
    pub after: Vec<f64>,
    pub objective_before: f64,
    pub objective_after: f64,
    pub iterations: u64,
}

/// Fits `names` to `targets`.
///
/// # Errors
/// [`Error::Invalid`] for unknown or unused parameters and targets the model cannot evaluate.
pub fn calibrate(scenario: &Scenario, names: &[String], targets: &[Target]) -> Result<Calibration> {
    let mut indices = Vec::new();
    for name in names {
        let i = scenario
            .parameters
            .iter()
            .position(|p| &p.name == name)
            .filter(|&i| scenario.uses_parameter(i))
            .ok_or_else(|| Error::Invalid {
                file: scenario.file.clone(),
                problems: vec![Problem::new(
                    format!("parameters.{name}"),
                    None,
                    ProblemKind::UnusedParameter { name: name.clone() },
                )],
            })?;
        indices.push(i);
    }
    let scales: Vec<Scale> = indices.iter().map(|&i| Scale::of(scenario.parameters[i].kind)).collect();
    let start: Vec<f64> = indices.iter().zip(&scales).map(|(&i, s)| s.to_free(scenario.parameters[i].value)).collect();
    let before = model_values(scenario, &scenario.base_values(), targets)?;
    let objective = Objective { scenario, indices: &indices, scales: &scales, targets };
    let objective_before = objective.cost(&start).unwrap_or(f64::INFINITY);
    // Initial simplex: the start and one step of 0.2 on the free scale along each axis.
    let mut simplex = vec![start.clone()];
    for k in 0..start.len() {
        let mut p = start.clone();
        p[k] += if scales[k] == Scale::Identity { 0.2 * start[k].abs().max(1.0) } else { 0.2 };
        simplex.push(p);
    }
    let solver =
        NelderMead::new(simplex).with_sd_tolerance(1e-24).map_err(|e| Error::Merge { reason: e.to_string() })?;
    let result = Executor::new(Objective { scenario, indices: &indices, scales: &scales, targets }, solver)
        .configure(|state| state.max_iters(500))
        .run()
        .map_err(|e| Error::Merge { reason: e.to_string() })?;
    let state = result.state();
    let best = state.get_best_param().cloned().unwrap_or(start);
    let fitted = objective.values(&best);
    let after = model_values(scenario, &fitted, targets)?;
    Ok(Calibration {
        parameters: indices
            .iter()
            .map(|&i| (scenario.parameters[i].name.clone(), scenario.parameters[i].value, fitted[i]))
            .collect(),
        objective_after: objective.cost(&best).unwrap_or(f64::INFINITY),
        before,
        after,
        objective_before,
        iterations: state.get_iter(),
    })
}

/// The scenario text with the fitted parameters' `value`s replaced (formatting and comments
/// kept, via `toml_edit`), and a note in each of their `note`s.
///
/// # Errors
/// [`Error::Syntax`] if the text does not parse (it was parsed before, so only on a bug).
pub fn calibrated_text(file: &str, text: &str, calibration: &Calibration, targets_file: &str) -> Result<String> {
    let mut doc: toml_edit::DocumentMut = text.parse().map_err(|e: toml_edit::TomlError| Error::Syntax {
        file: file.to_string(),
        line: 1,
        column: 1,
        message: e.to_string(),
    })?;
    for (name, before, after) in &calibration.parameters {
        if let Some(table) = doc.get_mut("parameters").and_then(|p| p.get_mut(name)).and_then(|t| t.as_table_like_mut())
        {
            table.insert("value", toml_edit::value(*after));
            let note = format!("Calibrated by cirrhosim to {targets_file} (was {before}).");
            table.insert("note", toml_edit::value(note));
        }
    }
    Ok(doc.to_string())
}
