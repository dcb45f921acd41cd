//! The teaching page of `cirrhosim serve`: the HTML page (`templates/serve.html`) and the JSON
//! answers it draws.
//!
//! Receives the knobs and the rerun of [`crate::analysis::teaching`]; renders them as JSON text.
//! It reads no file and serves nothing: the HTTP loop lives in the binary.

use crate::analysis::teaching::{Knob, Rerun};
use serde::Serialize;

/// The page: sliders for the knobs (`GET /api/knobs`) and a plot redrawn from `GET /api/run`.
pub const PAGE: &str = include_str!("../../templates/serve.html");

#[derive(Serialize)]
struct RunResult<'a> {
    years: Vec<f64>,
    strategies: Vec<StrategyCurve<'a>>,
    cea: Vec<CeaOut<'a>>,
    currency: Option<String>,
}

#[derive(Serialize)]
struct StrategyCurve<'a> {
    name: &'a str,
    label: &'a str,
    survival: Vec<f64>,
    life_years: f64,
}

#[derive(Serialize)]
struct CeaOut<'a> {
    strategy: &'a str,
    cost: f64,
    qaly: f64,
    inc_cost: Option<f64>,
    inc_qaly: Option<f64>,
    icer: Option<f64>,
    status: &'static str,
}

/// The knobs as a JSON array of `{name, label, value, min, max, step}`.
pub fn knobs_json(knobs: &[Knob]) -> String {
    serde_json::to_string(knobs).expect("knobs serialise")
}

/// The rerun as JSON: `years` (one point per year, enough for the page and small),
/// `strategies` (name, label, survival at those years, life years), `cea` (cost, QALYs,
/// increments, ICER and status per strategy; empty without economics) and `currency`.
pub fn run_json(run: &Rerun) -> String {
    let model = &run.model;
    let step = (1.0 / model.cycle_length_years).round().max(1.0) as usize;
    let years: Vec<f64> = (0..=model.n_cycles).step_by(step).map(|t| t as f64 * model.cycle_length_years).collect();
    let strategies = run
        .survival
        .iter()
        .zip(&run.life_years)
        .enumerate()
        .map(|(s, (curve, &life_years))| StrategyCurve {
            name: &model.strategy_names[s],
            label: &model.strategy_labels[s],
            survival: curve.iter().step_by(step).copied().collect(),
            life_years,
        })
        .collect();
    let cea = run
        .evaluation
        .as_ref()
        .map(|ev| {
            ev.cea
                .iter()
                .map(|r| CeaOut {
                    strategy: &model.strategy_names[r.strategy],
                    cost: r.cost,
                    qaly: r.qaly,
                    inc_cost: r.inc_cost,
                    inc_qaly: r.inc_qaly,
                    icer: r.icer,
                    status: r.status.as_str(),
                })
                .collect()
        })
        .unwrap_or_default();
    let currency = run.scenario.economics.as_ref().map(|e| format!("{} {}", e.currency, e.price_year));
    serde_json::to_string(&RunResult { years, strategies, cea, currency }).expect("result serialises")
}

/// An error answer: `{"error": message}`.
pub fn error_json(message: &str) -> String {
    serde_json::json!({ "error": message }).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::teaching::rerun;
    use crate::scenario::Scenario;

    #[test]
    fn one_point_per_year_and_a_row_per_strategy() {
        let s = Scenario::default_scenario().unwrap();
        let json: serde_json::Value = serde_json::from_str(&run_json(&rerun(&s, &[]).unwrap())).unwrap();
        let years = json["years"].as_array().unwrap();
        assert_eq!(years.len(), 41, "0 to 40 years");
        assert_eq!(years[1].as_f64().unwrap(), 1.0);
        assert_eq!(json["strategies"][1]["survival"].as_array().unwrap().len(), 41);
        assert_eq!(json["strategies"][0]["survival"][0].as_f64().unwrap(), 1.0);
        assert_eq!(json["cea"].as_array().unwrap().len(), 2);
        assert_eq!(error_json("a \"b\""), r#"{"error":"a \"b\""}"#);
    }
}
