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
    cycle_years: f64,
    states: Vec<StateOut<'a>>,
    strategies: Vec<StrategyCurve<'a>>,
    cea: Vec<CeaOut<'a>>,
    currency: Option<String>,
    /// The scenario's willingness-to-pay values per QALY (lines on the CE plane).
    wtp: Vec<f64>,
}

#[derive(Serialize)]
struct StateOut<'a> {
    name: &'a str,
    label: &'a str,
    alive: bool,
}

#[derive(Serialize)]
struct StrategyCurve<'a> {
    name: &'a str,
    label: &'a str,
    survival: Vec<f64>,
    life_years: f64,
    /// At each year: the share in each state.
    occupancy: Vec<Vec<f32>>,
    /// At each year: undiscounted life years lived so far (trapezoid over cycles).
    life_years_by_year: Vec<f64>,
    /// At each year: discounted QALYs accrued so far (empty without economics).
    qalys_by_year: Vec<f64>,
    /// Every cycle boundary: the share in each state (the animated diagram).
    trace: Vec<Vec<f32>>,
    /// Every cycle: the moves `[from, to, share]` with a share above zero.
    flows: Vec<Vec<(usize, usize, f32)>>,
    /// Simulated patients: `[[cycle of entry, state], ...]` each.
    paths: Vec<Vec<(usize, usize)>>,
}

#[derive(Serialize)]
struct CeaOut<'a> {
    strategy: &'a str,
    label: &'a str,
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

/// The rerun as JSON: `years` (one point per year), `states`, and per strategy in `strategies`
/// its survival, state occupancy, life years and discounted QALYs accrued by those years, the
/// whole cohort trace and its moves cycle by cycle (for the animated diagram) and the paths of
/// ten simulated patients; `cea` (cost, QALYs, increments, ICER and status per strategy; empty
/// without economics), `currency` and the scenario's `wtp` values.
pub fn run_json(run: &Rerun) -> String {
    let model = &run.model;
    let n = model.n_states();
    let dt = model.cycle_length_years;
    let step = (1.0 / dt).round().max(1.0) as usize;
    let years: Vec<f64> = (0..=model.n_cycles).step_by(step).map(|t| t as f64 * dt).collect();
    let strategies = (0..model.n_strategies())
        .map(|s| {
            let curve = &run.survival[s];
            let occupancy = &run.occupancy[s];
            let row = |t: usize| occupancy[t * n..(t + 1) * n].iter().map(|&x| x as f32).collect::<Vec<f32>>();
            // Running sums, read at each year: life years by the trapezoid rule, QALYs as accrued.
            let mut lived = vec![0.0; curve.len()];
            for t in 1..curve.len() {
                lived[t] = lived[t - 1] + dt * (curve[t - 1] + curve[t]) / 2.0;
            }
            let qalys: Vec<f64> = run
                .qaly_by_cycle
                .get(s)
                .map(|q| {
                    q.iter()
                        .scan(0.0, |sum, x| {
                            *sum += x;
                            Some(*sum)
                        })
                        .collect()
                })
                .unwrap_or_default();
            let flows = (0..model.n_cycles)
                .map(|t| {
                    let f = &run.flows[s][t * n * n..(t + 1) * n * n];
                    (0..n * n).filter(|&k| f[k] > 0.0).map(|k| (k / n, k % n, f[k] as f32)).collect()
                })
                .collect();
            StrategyCurve {
                name: &model.strategy_names[s],
                label: &model.strategy_labels[s],
                survival: curve.iter().step_by(step).copied().collect(),
                life_years: run.life_years[s],
                occupancy: (0..=model.n_cycles).step_by(step).map(row).collect(),
                life_years_by_year: lived.iter().step_by(step).copied().collect(),
                qalys_by_year: qalys.iter().step_by(step).copied().collect(),
                trace: (0..=model.n_cycles).map(row).collect(),
                flows,
                paths: run.paths[s].iter().map(|p| p.entries.clone()).collect(),
            }
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
                    label: &model.strategy_labels[r.strategy],
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
    let economics = run.scenario.economics.as_ref();
    let result = RunResult {
        years,
        cycle_years: dt,
        states: model.states.iter().map(|s| StateOut { name: &s.name, label: &s.label, alive: s.alive }).collect(),
        strategies,
        cea,
        currency: economics.map(|e| format!("{} {}", e.currency, e.price_year)),
        wtp: economics.map(|e| e.wtp.clone()).unwrap_or_default(),
    };
    serde_json::to_string(&result).expect("result serialises")
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
        let horizon = (s.n_cycles as f64 * s.cycle_length_years).round() as usize;
        assert_eq!(years.len(), horizon + 1, "0 to {horizon} years");
        assert_eq!(years[1].as_f64().unwrap(), 1.0);
        assert_eq!(json["strategies"][1]["survival"].as_array().unwrap().len(), horizon + 1);
        assert!((json["strategies"][0]["survival"][0].as_f64().unwrap() - 1.0).abs() < 1e-12);
        assert_eq!(json["cea"].as_array().unwrap().len(), 2);
        // Occupancy rows sum to 1; the trace has every cycle boundary and the flows every cycle.
        let msc = &json["strategies"][1];
        for row in msc["occupancy"].as_array().unwrap() {
            let sum: f64 = row.as_array().unwrap().iter().map(|x| x.as_f64().unwrap()).sum();
            assert!((sum - 1.0).abs() < 1e-5, "{sum}");
        }
        assert_eq!(msc["trace"].as_array().unwrap().len(), s.n_cycles + 1);
        assert_eq!(msc["flows"].as_array().unwrap().len(), s.n_cycles);
        // Discounted QALYs accrued by the horizon are the strategy's total.
        let qalys = msc["qalys_by_year"].as_array().unwrap();
        assert!((qalys[horizon].as_f64().unwrap() - json["cea"][1]["qaly"].as_f64().unwrap()).abs() < 1e-9);
        assert_eq!(json["wtp"].as_array().unwrap().len(), 4);
        assert_eq!(error_json("a \"b\""), r#"{"error":"a \"b\""}"#);
    }
}
