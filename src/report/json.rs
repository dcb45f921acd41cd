//! `summary.json`: per strategy and method, life years, median, RMST and survival at fixed years,
//! plus what produced them (scenario, seed, patients, cycles, version). Nothing machine-dependent
//! (no timing): the same scenario and seed give the same bytes.

use crate::analysis::cea::nmb;
use crate::analysis::economics::{Evaluation, MeanSe};
use crate::analysis::{Method, StrategySurvival, SubgroupResult, SurvivalSummary, incremental_nmb};
use crate::model::Model;
use crate::scenario::Scenario;
use crate::scenario::{DiscountTiming, Economics};
use serde::Serialize;
use std::collections::BTreeMap;

#[derive(Serialize)]
struct Summary<'a> {
    cirrhosim_version: &'static str,
    scenario: ScenarioInfo<'a>,
    settings: Settings<'a>,
    strategies: Vec<StrategyBlock<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    economics: Option<EconomicsBlock<'a>>,
    /// Caveats, assumptions and thresholds ([`crate::report::evidence`]), when there are any.
    #[serde(skip_serializing_if = "Option::is_none")]
    evidence: Option<crate::report::evidence::EvidenceBlock<'a>>,
    /// Results by subgroup (`--by`), each block as the whole population's in brief.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    subgroups: Vec<SubgroupBlock<'a>>,
}

#[derive(Serialize)]
struct SubgroupBlock<'a> {
    /// `covariate=category;...`.
    name: &'a str,
    /// Share of the population.
    share: f64,
    /// Monte Carlo patients who fell in the subgroup.
    #[serde(skip_serializing_if = "Option::is_none")]
    patients: Option<u64>,
    strategies: Vec<SubgroupStrategy<'a>>,
}

#[derive(Serialize)]
struct SubgroupStrategy<'a> {
    name: &'a str,
    cohort: Option<SummaryOut>,
    monte_carlo: Option<SummaryOut>,
    #[serde(skip_serializing_if = "Option::is_none")]
    economics: Option<SubgroupEconomics<'a>>,
}

/// A strategy's economics in a subgroup: cohort totals, its row of the subgroup's incremental
/// analysis, NMB and the incremental NMB against the first strategy at each WTP.
#[derive(Serialize)]
struct SubgroupEconomics<'a> {
    cost: f64,
    qaly: f64,
    life_years: f64,
    status: &'static str,
    compared_with: Option<&'a str>,
    inc_cost: Option<f64>,
    inc_qaly: Option<f64>,
    icer: Option<f64>,
    nmb: Vec<NmbAt>,
    #[serde(skip_serializing_if = "Option::is_none")]
    monte_carlo: Option<McEconomics>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    incremental_nmb: Vec<IncrementalNmbAt<'a>>,
}

#[derive(Serialize)]
struct IncrementalNmbAt<'a> {
    comparator: &'a str,
    wtp: f64,
    cohort: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    monte_carlo: Option<MeanSe>,
}

#[derive(Serialize)]
struct EconomicsBlock<'a> {
    currency: &'a str,
    price_year: i64,
    discount_rate_costs: f64,
    discount_rate_effects: f64,
    within_cycle_correction: &'static str,
    discount_timing: DiscountTiming,
    wtp: &'a [f64],
    strategies: Vec<EconomicsStrategy<'a>>,
    incremental: Vec<IncrementalRow<'a>>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    monte_carlo_differences: Vec<McDifferenceOut<'a>>,
    /// Currency, price date and conversion in one sentence (CHEERS 2022 item 15), when any cost
    /// states its own currency and price year.
    #[serde(skip_serializing_if = "Option::is_none")]
    currency_statement: Option<String>,
    /// Every cost stated in its own currency and price year: the value in the scenario's, the
    /// factor and each index value with its source.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    conversions: Vec<ConversionOut<'a>>,
}

#[derive(Serialize)]
struct ConversionOut<'a> {
    parameter: &'a str,
    /// In the scenario's currency and price year.
    value: f64,
    #[serde(flatten)]
    conversion: &'a crate::scenario::prices::Conversion,
}

#[derive(Serialize)]
struct EconomicsStrategy<'a> {
    name: &'a str,
    cohort: CohortEconomics<'a>,
    #[serde(skip_serializing_if = "Option::is_none")]
    monte_carlo: Option<McEconomics>,
}

#[derive(Serialize)]
struct CohortEconomics<'a> {
    cost: f64,
    qaly: f64,
    life_years: f64,
    cost_undiscounted: f64,
    qaly_undiscounted: f64,
    life_years_discounted: f64,
    cost_by_category: BTreeMap<&'a str, f64>,
    cost_by_state: BTreeMap<&'a str, f64>,
    qaly_by_state: BTreeMap<&'a str, f64>,
    cost_by_move: BTreeMap<&'a str, f64>,
    qaly_by_move: BTreeMap<&'a str, f64>,
    nmb: Vec<NmbAt>,
}

#[derive(Serialize)]
struct NmbAt {
    wtp: f64,
    nmb: f64,
}

#[derive(Serialize)]
struct McEconomics {
    cost: MeanSe,
    qaly: MeanSe,
    life_years: MeanSe,
}

#[derive(Serialize)]
struct IncrementalRow<'a> {
    strategy: &'a str,
    status: &'static str,
    compared_with: Option<&'a str>,
    inc_cost: Option<f64>,
    inc_qaly: Option<f64>,
    icer: Option<f64>,
}

#[derive(Serialize)]
struct McDifferenceOut<'a> {
    strategy: &'a str,
    comparator: &'a str,
    inc_cost: MeanSe,
    inc_qaly: MeanSe,
    cov_cost_qaly: f64,
}

#[derive(Serialize)]
struct ScenarioInfo<'a> {
    name: &'a str,
    title: &'a str,
    file: &'a str,
}

#[derive(Serialize)]
struct Settings<'a> {
    cycle_length_years: f64,
    cycles: usize,
    horizon_years: f64,
    patients: u64,
    seed: u64,
    /// The covariates of `--by`, when results are given by subgroup.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    by: Vec<&'a str>,
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

/// `summary.json` bytes (pretty-printed, trailing newline); with `subgroups` (`--by`, whose
/// covariates `by` names), a block per subgroup after the whole population's.
#[allow(clippy::too_many_arguments)]
pub fn summary_json(
    scenario: &Scenario,
    model: &Model,
    patients: u64,
    seed: u64,
    results: &[StrategySurvival],
    evaluation: Option<&Evaluation>,
    evidence: &crate::analysis::evidence::Evidence,
    (by, subgroups): (&[String], &[SubgroupResult]),
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
            by: by.iter().map(String::as_str).collect(),
        },
        strategies: (0..model.n_strategies())
            .map(|s| StrategyBlock {
                name: &model.strategy_names[s],
                label: &model.strategy_labels[s],
                cohort: pick(s, Method::Cohort),
                monte_carlo: pick(s, Method::MonteCarlo),
            })
            .collect(),
        economics: evaluation.zip(scenario.economics.as_ref()).map(|(ev, e)| economics_block(scenario, model, ev, e)),
        evidence: crate::report::evidence::EvidenceBlock::new(scenario, evidence),
        subgroups: subgroups.iter().map(|g| subgroup_block(scenario, model, g)).collect(),
    };
    let mut bytes = serde_json::to_vec_pretty(&summary).expect("summary serialises");
    bytes.push(b'\n');
    bytes
}

fn economics_block<'a>(
    scenario: &'a Scenario,
    model: &'a Model,
    ev: &'a Evaluation,
    e: &'a Economics,
) -> EconomicsBlock<'a> {
    let values = scenario.base_values();
    let name = |s: usize| model.strategy_names[s].as_str();
    let map = |pairs: &'a [(String, f64)]| pairs.iter().map(|(k, v)| (k.as_str(), *v)).collect::<BTreeMap<_, _>>();
    let mc = ev.monte_carlo.as_ref();
    EconomicsBlock {
        currency: &e.currency,
        price_year: e.price_year,
        discount_rate_costs: e.discount_rate_costs.get(&values),
        discount_rate_effects: e.discount_rate_effects.get(&values),
        within_cycle_correction: e.correction.name(),
        discount_timing: e.discount_timing,
        wtp: &e.wtp,
        strategies: ev
            .totals
            .iter()
            .map(|t| EconomicsStrategy {
                name: name(t.strategy),
                cohort: CohortEconomics {
                    cost: t.cost,
                    qaly: t.qaly,
                    life_years: t.life_years,
                    cost_undiscounted: t.cost_undiscounted,
                    qaly_undiscounted: t.qaly_undiscounted,
                    life_years_discounted: t.life_years_discounted,
                    cost_by_category: map(&t.cost_by_category),
                    cost_by_state: map(&t.cost_by_state),
                    qaly_by_state: map(&t.qaly_by_state),
                    cost_by_move: map(&t.cost_by_move),
                    qaly_by_move: map(&t.qaly_by_move),
                    nmb: e.wtp.iter().map(|&w| NmbAt { wtp: w, nmb: nmb(t.cost, t.qaly, w) }).collect(),
                },
                monte_carlo: mc
                    .and_then(|(est, _)| est.iter().find(|m| m.strategy == t.strategy))
                    .map(|m| McEconomics { cost: m.cost, qaly: m.qaly, life_years: m.life_years }),
            })
            .collect(),
        incremental: ev
            .cea
            .iter()
            .map(|r| IncrementalRow {
                strategy: name(r.strategy),
                status: r.status.as_str(),
                compared_with: r.compared_with.map(name),
                inc_cost: r.inc_cost,
                inc_qaly: r.inc_qaly,
                icer: r.icer,
            })
            .collect(),
        monte_carlo_differences: mc
            .map(|(_, diffs)| {
                diffs
                    .iter()
                    .map(|d| McDifferenceOut {
                        strategy: name(d.strategy),
                        comparator: name(d.comparator),
                        inc_cost: d.inc_cost,
                        inc_qaly: d.inc_qaly,
                        cov_cost_qaly: d.cov_cost_qaly,
                    })
                    .collect()
            })
            .unwrap_or_default(),
        currency_statement: scenario
            .parameters
            .iter()
            .any(|p| p.conversion.is_some())
            .then(|| crate::scenario::prices::ConversionSummary::new(&scenario.parameters, Some(e)).statement),
        conversions: scenario
            .parameters
            .iter()
            .filter_map(|p| {
                p.conversion.as_ref().map(|c| ConversionOut { parameter: &p.name, value: p.value, conversion: c })
            })
            .collect(),
    }
}

fn subgroup_block<'a>(scenario: &'a Scenario, model: &'a Model, g: &'a SubgroupResult) -> SubgroupBlock<'a> {
    let pick = |strategy: usize, method: Method| {
        g.survival.iter().find(|r| r.strategy == strategy && r.method == method).map(|r| out(&r.summary))
    };
    let name = |s: usize| model.strategy_names[s].as_str();
    let wtp: &[f64] = scenario.economics.as_ref().map_or(&[], |e| &e.wtp);
    let economics = |s: usize| {
        let ev = g.evaluation.as_ref()?;
        let t = ev.totals.iter().find(|t| t.strategy == s)?;
        let row = ev.cea.iter().find(|r| r.strategy == s)?;
        let mc = ev.monte_carlo.as_ref().and_then(|(est, _)| est.iter().find(|m| m.strategy == s));
        let comparator = 0;
        Some(SubgroupEconomics {
            cost: t.cost,
            qaly: t.qaly,
            life_years: t.life_years,
            status: row.status.as_str(),
            compared_with: row.compared_with.map(name),
            inc_cost: row.inc_cost,
            inc_qaly: row.inc_qaly,
            icer: row.icer,
            nmb: wtp.iter().map(|&w| NmbAt { wtp: w, nmb: nmb(t.cost, t.qaly, w) }).collect(),
            monte_carlo: mc.map(|m| McEconomics { cost: m.cost, qaly: m.qaly, life_years: m.life_years }),
            incremental_nmb: if s == comparator {
                Vec::new()
            } else {
                wtp.iter()
                    .map(|&w| {
                        let inb = incremental_nmb(ev, s, comparator, w);
                        IncrementalNmbAt {
                            comparator: name(comparator),
                            wtp: w,
                            cohort: inb.cohort,
                            monte_carlo: inb.monte_carlo,
                        }
                    })
                    .collect()
            },
        })
    };
    SubgroupBlock {
        name: &g.name,
        share: g.share,
        patients: g.patients,
        strategies: (0..model.n_strategies())
            .map(|s| SubgroupStrategy {
                name: name(s),
                cohort: pick(s, Method::Cohort),
                monte_carlo: pick(s, Method::MonteCarlo),
                economics: economics(s),
            })
            .collect(),
    }
}
