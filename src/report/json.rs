//! `summary.json`: per strategy and method, life years, median, RMST and survival at fixed years,
//! plus what produced them (scenario, seed, patients, cycles, version, throughput).

use crate::analysis::{Method, StrategySurvival, SurvivalSummary};
use crate::model::Model;
use crate::scenario::Scenario;
use serde::Serialize;

/// How long the Monte Carlo run took; the only machine-dependent part of `summary.json`.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Throughput {
    /// patients x strategies x cycles of the horizon.
    pub patient_cycles: u64,
    pub seconds: f64,
    pub patient_cycles_per_second: f64,
}

#[derive(Serialize)]
struct Summary<'a> {
    cirrhosim_version: &'static str,
    scenario: ScenarioInfo<'a>,
    settings: Settings,
    strategies: Vec<StrategyBlock<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    throughput: Option<Throughput>,
}

#[derive(Serialize)]
struct ScenarioInfo<'a> {
    name: &'a str,
    title: &'a str,
    file: &'a str,
}

#[derive(Serialize)]
struct Settings {
    cycle_length_years: f64,
    cycles: usize,
    horizon_years: f64,
    patients: u64,
    seed: u64,
}

#[derive(Serialize)]
struct StrategyBlock<'a> {
    name: &'a str,
    label: &'a str,
    cohort: Option<SummaryOut>,
    monte_carlo: Option<SummaryOut>,
}

#[derive(Serialize)]
struct SummaryOut {
    life_years: f64,
    life_years_lower: f64,
    life_years_upper: f64,
    life_years_se: f64,
    median_os_years: Option<f64>,
    median_os_lower: Option<f64>,
    median_os_upper: Option<f64>,
    rmst_years: f64,
    horizon_years: f64,
    survival_at: Vec<SurvivalAt>,
}

#[derive(Serialize)]
struct SurvivalAt {
    years: f64,
    estimate: f64,
    lower: f64,
    upper: f64,
}

fn out(s: &SurvivalSummary) -> SummaryOut {
    SummaryOut {
        life_years: s.life_years.estimate,
        life_years_lower: s.life_years.lower,
        life_years_upper: s.life_years.upper,
        life_years_se: s.life_years_se,
        median_os_years: s.median_os_years,
        median_os_lower: s.median_os_lower,
        median_os_upper: s.median_os_upper,
        rmst_years: s.rmst_years,
        horizon_years: s.horizon_years,
        survival_at: s
            .survival_at
            .iter()
            .map(|(y, e)| SurvivalAt { years: *y, estimate: e.estimate, lower: e.lower, upper: e.upper })
            .collect(),
    }
}

/// `summary.json` bytes (pretty-printed, trailing newline).
pub fn summary_json(
    scenario: &Scenario,
    model: &Model,
    patients: u64,
    seed: u64,
    results: &[StrategySurvival],
    throughput: Option<Throughput>,
) -> Vec<u8> {
    let pick = |strategy: usize, method: Method| {
        results.iter().find(|r| r.strategy == strategy && r.method == method).map(|r| out(&r.summary))
    };
    let summary = Summary {
        cirrhosim_version: env!("CARGO_PKG_VERSION"),
        scenario: ScenarioInfo { name: &scenario.name, title: &scenario.title, file: &scenario.file },
        settings: Settings {
            cycle_length_years: model.cycle_length_years,
            cycles: model.n_cycles,
            horizon_years: model.n_cycles as f64 * model.cycle_length_years,
            patients,
            seed,
        },
        strategies: (0..model.n_strategies())
            .map(|s| StrategyBlock {
                name: &model.strategy_names[s],
                label: &model.strategy_labels[s],
                cohort: pick(s, Method::Cohort),
                monte_carlo: pick(s, Method::MonteCarlo),
            })
            .collect(),
        throughput,
    };
    let mut bytes = serde_json::to_vec_pretty(&summary).expect("summary serialises");
    bytes.push(b'\n');
    bytes
}
