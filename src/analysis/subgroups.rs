//! Results by subgroup (`--by`): survival, costs, QALYs, the incremental analysis and the
//! incremental net monetary benefit of each subgroup of the population.
//!
//! Receives a [`Model`], its [`Subgroups`] and, when a simulation was run, the Monte Carlo run of
//! each subgroup ([`crate::engine::sim_patients_by`]); runs the exact cohort trace of each
//! subgroup ([`engine::sim_cohort_groups`]: its sub-cohorts only, weights renormalised to its
//! share) and hands on, per subgroup, what the whole population gets: [`StrategySurvival`]s and
//! an [`Evaluation`]. The subgroups' results weighted by their shares give the whole
//! population's (the tests check it to 1e-9), so a subgroup table is a decomposition of the
//! headline result, not another model.

use super::economics::{Evaluation, MeanSe};
use super::{StrategySurvival, evaluate, survival_analysis};
use crate::engine::{self, McRun};
use crate::model::Model;
use crate::model::subgroups::Subgroups;

/// The results of one subgroup.
#[derive(Debug, Clone)]
pub struct SubgroupResult {
    /// `covariate=category;...` (see [`Subgroups::names`]).
    pub name: String,
    /// Share of the population (summed weight of the subgroup's sub-cohorts).
    pub share: f64,
    /// Monte Carlo patients who fell in the subgroup; `None` without a simulation.
    pub patients: Option<u64>,
    /// Curves and summaries by the cohort and, when the subgroup has simulated patients, by
    /// Monte Carlo (as [`survival_analysis`]).
    pub survival: Vec<StrategySurvival>,
    /// Costs, QALYs, life years and the incremental analysis; `None` without economics.
    pub evaluation: Option<Evaluation>,
}

/// The results of every subgroup, in the order of `subgroups`. `mc` holds one Monte Carlo run
/// per subgroup (or none); a subgroup no simulated patient fell in has cohort results only.
pub fn subgroup_analysis(model: &Model, subgroups: &Subgroups, mc: Option<&[McRun]>) -> Vec<SubgroupResult> {
    (0..subgroups.len())
        .map(|k| {
            let groups = subgroups.groups_of(k);
            let traces: Vec<_> =
                (0..model.n_strategies()).map(|s| engine::sim_cohort_groups(model, s, &groups)).collect();
            let run = mc.map(|runs| &runs[k]);
            let simulated = run.filter(|r| r.counts.first().is_some_and(|c| c.patients > 0));
            SubgroupResult {
                name: subgroups.names[k].clone(),
                share: subgroups.shares[k],
                patients: run.map(|r| r.counts.first().map_or(0, |c| c.patients)),
                survival: survival_analysis(model, &traces, simulated.map(|r| r.counts.as_slice())),
                evaluation: evaluate(model, &traces, simulated.and_then(|r| r.values.as_ref())),
            }
        })
        .collect()
}

/// The incremental net monetary benefit of `strategy` against `comparator` at willingness to pay
/// `wtp`: INB = wtp x dQALY - dcost (Stinnett & Mullahy 1998).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct IncrementalNmb {
    /// By the exact cohort.
    pub cohort: f64,
    /// The Monte Carlo estimate with its standard error, when a simulation was run:
    /// var = wtp^2 var(dQ) + var(dC) - 2 wtp cov(dC, dQ), from the paired (common random
    /// numbers) differences. It measures the simulation's error, not parameter uncertainty.
    pub monte_carlo: Option<MeanSe>,
}

/// The incremental NMB of `strategy` against `comparator` at `wtp` (see [`IncrementalNmb`]).
pub fn incremental_nmb(evaluation: &Evaluation, strategy: usize, comparator: usize, wtp: f64) -> IncrementalNmb {
    let total = |s: usize| evaluation.totals.iter().find(|t| t.strategy == s).expect("a total per strategy");
    let (a, b) = (total(strategy), total(comparator));
    let cohort = wtp * (a.qaly - b.qaly) - (a.cost - b.cost);
    let monte_carlo = evaluation.monte_carlo.as_ref().and_then(|(_, differences)| {
        differences.iter().find_map(|d| {
            // Differences are stored later minus earlier; turn them round when needed.
            let sign = if (d.strategy, d.comparator) == (strategy, comparator) {
                1.0
            } else if (d.strategy, d.comparator) == (comparator, strategy) {
                -1.0
            } else {
                return None;
            };
            let mean = sign * (wtp * d.inc_qaly.mean - d.inc_cost.mean);
            let variance = wtp * wtp * d.inc_qaly.se.powi(2) + d.inc_cost.se.powi(2) - 2.0 * wtp * d.cov_cost_qaly;
            Some(MeanSe { mean, se: variance.max(0.0).sqrt() })
        })
    });
    IncrementalNmb { cohort, monte_carlo }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::Scenario;
    use std::path::Path;

    fn meld() -> (Model, Subgroups) {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/scenarios/meld_heterogeneity.toml");
        let s = Scenario::load(Path::new(path)).unwrap();
        let model = Model::from_scenario(&s).unwrap();
        let by = ["meld".to_string(), "etiology".to_string()];
        let subgroups = Subgroups::new(&s, &model.groups, &by).unwrap();
        (model, subgroups)
    }

    /// The share-weighted mean of the subgroups' costs, QALYs, life years and survival curves is
    /// the whole population's, to 1e-9.
    #[test]
    fn share_weighted_subgroups_give_the_whole_population() {
        let (model, subgroups) = meld();
        let traces: Vec<_> = (0..model.n_strategies()).map(|s| engine::sim_cohort(&model, s)).collect();
        let whole = evaluate(&model, &traces, None).unwrap();
        let whole_survival = survival_analysis(&model, &traces, None);
        let results = subgroup_analysis(&model, &subgroups, None);
        assert!((results.iter().map(|r| r.share).sum::<f64>() - 1.0).abs() < 1e-12);
        for (s, whole_s) in whole_survival.iter().enumerate() {
            let mean = |f: &dyn Fn(&SubgroupResult) -> f64| results.iter().map(|r| r.share * f(r)).sum::<f64>();
            let t = &whole.totals[s];
            let ev = |r: &SubgroupResult| r.evaluation.as_ref().unwrap().totals[s].clone();
            assert!((mean(&|r| ev(r).cost) - t.cost).abs() < 1e-9 * t.cost.abs().max(1.0));
            assert!((mean(&|r| ev(r).qaly) - t.qaly).abs() < 1e-9);
            assert!((mean(&|r| ev(r).life_years) - t.life_years).abs() < 1e-9);
            let os = &whole_s.curves[0].estimate;
            for (cycle, expected) in os.iter().enumerate() {
                let mixed = mean(&|r| r.survival[s].curves[0].estimate[cycle]);
                assert!((mixed - expected).abs() < 1e-9, "strategy {s} cycle {cycle}");
            }
        }
        // MELD acts: the sickest band lives less than the healthiest, whatever the etiology.
        let ly = |name: &str| {
            let r = results.iter().find(|r| r.name == name).unwrap();
            r.evaluation.as_ref().unwrap().totals[0].life_years
        };
        assert!(ly("meld=meld_20_or_more;etiology=alcohol") < ly("meld=meld_below_15;etiology=alcohol"));
    }

    #[test]
    fn incremental_nmb_from_cohort_and_paired_monte_carlo_differences() {
        let (model, subgroups) = meld();
        let (_, runs) = engine::sim_patients_by(&model, 4000, 3, &subgroups.of_group, &engine::NoProgress).unwrap();
        let results = subgroup_analysis(&model, &subgroups, Some(&runs));
        let r = &results[0];
        assert_eq!(r.patients, Some(runs[0].counts[0].patients));
        let ev = r.evaluation.as_ref().unwrap();
        let inb = incremental_nmb(ev, 1, 0, 30_000.0);
        let (a, b) = (&ev.totals[1], &ev.totals[0]);
        assert_eq!(inb.cohort, 30_000.0 * (a.qaly - b.qaly) - (a.cost - b.cost));
        let mc = inb.monte_carlo.unwrap();
        let back = incremental_nmb(ev, 0, 1, 30_000.0);
        assert_eq!(back.cohort, -inb.cohort);
        assert_eq!(back.monte_carlo.unwrap(), MeanSe { mean: -mc.mean, se: mc.se });
        // The estimate and the exact value differ by simulation error only.
        assert!((mc.mean - inb.cohort).abs() < 5.0 * mc.se, "{mc:?} vs {}", inb.cohort);
    }
}
