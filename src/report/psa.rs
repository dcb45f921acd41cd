//! PSA outputs: CEAC with the acceptability frontier, EVPI, the survival band, and a summary.

use crate::analysis::psa::runner::Checkpoint;
use crate::analysis::psa::summary::{self, ValueOfInformation};
use crate::analysis::psa::{CeacPoint, PsaResults, PsaSettings, SubgroupResults};
use crate::io::OutputFile;
use crate::io::draws::DrawTable;
use crate::model::Model;
use crate::scenario::Scenario;
use serde::Serialize;

fn csv_bytes(header: &[&str], rows: impl Iterator<Item = Vec<String>>) -> Vec<u8> {
    let mut w = ::csv::Writer::from_writer(Vec::new());
    w.write_record(header).expect("write to memory");
    for r in rows {
        w.write_record(r).expect("write to memory");
    }
    w.into_inner().expect("flush to memory")
}

/// `ceac.csv`: `wtp,strategy,probability_cost_effective,on_frontier`. A PSA by subgroups
/// (`--by`) adds a first column `subgroup`: the whole population's rows (`all`, the numbers of
/// the PSA without `--by`), then each subgroup's, in order (as `cea.csv` of `run --by`).
pub fn ceac_csv(model: &Model, r: &PsaResults) -> Vec<u8> {
    const HEADER: [&str; 4] = ["wtp", "strategy", "probability_cost_effective", "on_frontier"];
    let rows = |ceac: &[CeacPoint]| -> Vec<Vec<String>> {
        ceac.iter()
            .flat_map(|p| {
                p.probability.iter().enumerate().map(move |(s, prob)| {
                    vec![
                        p.wtp.to_string(),
                        model.strategy_names[s].clone(),
                        prob.to_string(),
                        (p.frontier == s).to_string(),
                    ]
                })
            })
            .collect()
    };
    if r.subgroups.is_empty() {
        return csv_bytes(&HEADER, rows(&r.ceac).into_iter());
    }
    let header: Vec<&str> = std::iter::once("subgroup").chain(HEADER).collect();
    let named = |name: &str, ceac: &[CeacPoint]| {
        rows(ceac)
            .into_iter()
            .map(|row| std::iter::once(name.to_string()).chain(row).collect::<Vec<_>>())
            .collect::<Vec<_>>()
    };
    let all = named(crate::report::csv::ALL, &r.ceac);
    let by = r.subgroups.iter().flat_map(|g| named(&g.name, &g.ceac));
    csv_bytes(&header, all.into_iter().chain(by))
}

/// `evpi.csv`: `wtp,evpi_per_person,evpi_population` (empty without `[psa] population`).
pub fn evpi_csv(r: &PsaResults, population: Option<f64>) -> Vec<u8> {
    csv_bytes(
        &["wtp", "evpi_per_person", "evpi_population"],
        r.evpi.iter().map(|e| {
            vec![
                e.wtp.to_string(),
                e.per_person.to_string(),
                population.map_or(String::new(), |p| (p * e.per_person).to_string()),
            ]
        }),
    )
}

/// `survival_psa.csv`: `strategy,cycle,years,median,lower,upper` (95% interval across draws).
pub fn survival_psa_csv(model: &Model, r: &PsaResults) -> Vec<u8> {
    csv_bytes(
        &["strategy", "cycle", "years", "median", "lower", "upper"],
        r.survival_band.iter().enumerate().flat_map(|(s, band)| {
            band.iter().enumerate().map(move |(t, q)| {
                vec![
                    model.strategy_names[s].clone(),
                    t.to_string(),
                    (t as f64 * model.cycle_length_years).to_string(),
                    q[0].to_string(),
                    q[1].to_string(),
                    q[2].to_string(),
                ]
            })
        }),
    )
}

#[derive(Serialize)]
struct Summary<'a> {
    cirrhosim_version: &'static str,
    scenario: &'a str,
    settings: &'a PsaSettings,
    varied_parameters: &'a [String],
    draws: u64,
    strategies: Vec<StrategyMeans<'a>>,
    population: Option<f64>,
    value_of_information: ValueBlock<'a>,
    /// With `--by`: each subgroup's means and probability cost-effective.
    #[serde(skip_serializing_if = "Option::is_none")]
    subgroups: Option<SubgroupsBlock<'a>>,
}

/// The subgroups of a PSA `--by`, each with its means and decision numbers.
#[derive(Serialize)]
struct SubgroupsBlock<'a> {
    by: &'a [String],
    method: &'static str,
    groups: Vec<SubgroupBlock<'a>>,
}

#[derive(Serialize)]
struct SubgroupBlock<'a> {
    name: &'a str,
    share: f64,
    strategies: Vec<SubgroupStrategy<'a>>,
    at_wtp: Vec<SubgroupAtWtp<'a>>,
}

/// A strategy's mean outcomes in a subgroup, and its increments against the first strategy.
#[derive(Serialize)]
struct SubgroupStrategy<'a> {
    name: &'a str,
    mean_cost: f64,
    mean_qaly: f64,
    mean_life_years: f64,
    incremental_cost: f64,
    incremental_qaly: f64,
    compared_with: &'a str,
}

/// The subgroup's probability that each strategy is cost-effective at one WTP, and the strategy
/// with the highest expected NMB there.
#[derive(Serialize)]
struct SubgroupAtWtp<'a> {
    wtp: f64,
    probability_cost_effective: Vec<StrategyProbability<'a>>,
    optimal: &'a str,
}

#[derive(Serialize)]
struct StrategyProbability<'a> {
    strategy: &'a str,
    probability: f64,
}

/// EVPI and the EVPPI of the scenario's `[psa] evppi_groups` at each of its `economics.wtp`, from
/// the draws, each WTP with its sentence ([`crate::report::evidence::value_statement`]).
#[derive(Serialize)]
struct ValueBlock<'a> {
    population: Option<f64>,
    evppi_groups: &'a [Vec<String>],
    method: &'static str,
    at_wtp: Vec<crate::report::evidence::ValueOut<'a>>,
}

#[derive(Serialize)]
struct StrategyMeans<'a> {
    name: &'a str,
    mean_cost: f64,
    mean_qaly: f64,
    mean_life_years: f64,
}

/// `psa_summary.json`: settings, varied parameters, mean outcomes and the value of information
/// at the scenario's WTPs (`values`, from [`summary::value_of_information`] on the draws).
pub fn summary_json(
    scenario: &Scenario,
    model: &Model,
    settings: &PsaSettings,
    parameters: &[String],
    r: &PsaResults,
    values: &[ValueOfInformation],
) -> Vec<u8> {
    let s = Summary {
        cirrhosim_version: env!("CARGO_PKG_VERSION"),
        scenario: &scenario.name,
        settings,
        varied_parameters: parameters,
        draws: r.draws,
        strategies: r
            .mean
            .iter()
            .enumerate()
            .map(|(i, m)| StrategyMeans {
                name: &model.strategy_names[i],
                mean_cost: m[0],
                mean_qaly: m[1],
                mean_life_years: m[2],
            })
            .collect(),
        population: scenario.psa.population,
        value_of_information: ValueBlock {
            population: scenario.psa.population,
            evppi_groups: &scenario.psa.evppi_groups,
            method: "EVPI = E[max NMB] - max E[NMB] over the draws; EVPPI by regression on the draws (Strong, Oakley & Brennan 2014), as cirrhosim evppi",
            at_wtp: crate::report::evidence::value_rows(scenario, values),
        },
        subgroups: (!settings.by.is_empty()).then(|| SubgroupsBlock {
            by: &settings.by,
            method: "per subgroup, the exact cohort of its sub-cohorts in every draw (as run --by); a strategy is cost-effective in a draw when its NMB in the subgroup is the highest",
            groups: r.subgroups.iter().map(|g| subgroup_block(model, g)).collect(),
        }),
    };
    let mut bytes = serde_json::to_vec_pretty(&s).expect("summary serialises");
    bytes.push(b'\n');
    bytes
}

fn subgroup_block<'a>(model: &'a Model, g: &'a SubgroupResults) -> SubgroupBlock<'a> {
    let names = &model.strategy_names;
    let first = g.mean[0];
    SubgroupBlock {
        name: &g.name,
        share: g.share,
        strategies: g
            .mean
            .iter()
            .enumerate()
            .map(|(s, m)| SubgroupStrategy {
                name: &names[s],
                mean_cost: m[0],
                mean_qaly: m[1],
                mean_life_years: m[2],
                incremental_cost: m[0] - first[0],
                incremental_qaly: m[1] - first[1],
                compared_with: &names[0],
            })
            .collect(),
        at_wtp: g
            .at_wtp
            .iter()
            .map(|p| SubgroupAtWtp {
                wtp: p.wtp,
                probability_cost_effective: names
                    .iter()
                    .zip(&p.probability)
                    .map(|(strategy, &probability)| StrategyProbability { strategy, probability })
                    .collect(),
                optimal: &names[p.frontier],
            })
            .collect(),
    }
}

/// The value of information the PSA summary states: at each of the scenario's `economics.wtp`
/// (none without economics), for its `[psa] evppi_groups`, from the run's draws.
pub fn values(scenario: &Scenario, draws: &DrawTable) -> Vec<ValueOfInformation> {
    let wtp = scenario.economics.as_ref().map(|e| e.wtp.clone()).unwrap_or_default();
    summary::value_of_information(draws, &scenario.psa.evppi_groups, &wtp)
}

/// As [`values`], from the run's `psa_draws.csv` at `path`, streamed (see
/// [`summary::value_of_information_from`]): what a long run's memory allows.
///
/// # Errors
/// As [`crate::io::draws::read`].
pub fn values_from(scenario: &Scenario, path: &std::path::Path) -> crate::error::Result<Vec<ValueOfInformation>> {
    let wtp = scenario.economics.as_ref().map(|e| e.wtp.clone()).unwrap_or_default();
    summary::value_of_information_from(path, &scenario.psa.evppi_groups, &wtp)
}

/// The result files of a complete PSA run: `ceac.csv`, `evpi.csv`, `survival_psa.csv` and
/// `psa_summary.json` (with the value of information `values`, from the run's `psa_draws.csv`:
/// [`values`] or [`values_from`]).
pub fn outputs(
    scenario: &Scenario,
    model: &Model,
    checkpoint: &Checkpoint,
    results: &PsaResults,
    values: &[ValueOfInformation],
) -> Vec<OutputFile> {
    vec![
        OutputFile { name: "ceac.csv".into(), bytes: ceac_csv(model, results) },
        OutputFile { name: "evpi.csv".into(), bytes: evpi_csv(results, scenario.psa.population) },
        OutputFile { name: "survival_psa.csv".into(), bytes: survival_psa_csv(model, results) },
        OutputFile {
            name: "psa_summary.json".into(),
            bytes: summary_json(scenario, model, &checkpoint.settings, &checkpoint.parameters, results, values),
        },
    ]
}

/// `evppi.csv`: `parameters,wtp,evppi_per_person,evpi_per_person,terms` (a group's names
/// joined by `+`).
pub fn evppi_csv(rows: &[crate::analysis::evppi::EvppiResult]) -> Vec<u8> {
    csv_bytes(
        &["parameters", "wtp", "evppi_per_person", "evpi_per_person", "terms"],
        rows.iter().map(|r| {
            vec![
                r.parameters.join("+"),
                r.wtp.to_string(),
                r.evppi.to_string(),
                r.evpi.to_string(),
                r.terms.to_string(),
            ]
        }),
    )
}
