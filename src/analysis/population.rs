//! How well a population's strata stand for its continuous covariates.
//!
//! A numeric covariate enters both engines as `nodes` quantile strata (see
//! [`crate::scenario::population`]). The error of that representation is measured, not assumed:
//! the exact cohort is run with the scenario's nodes and with twice as many, and the largest
//! change in overall survival (any strategy, any cycle) and in each strategy's discounted cost,
//! QALYs and life years is reported. A change far below the precision the results are quoted to
//! means the strata are enough.

use super::{economics, survival};
use crate::engine::sim_cohort;
use crate::error::Result;
use crate::model::Model;
use crate::scenario::Scenario;
use crate::scenario::population::CovariateKind;

/// The stratification error of a scenario's population.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Stratification {
    /// Strata per numeric covariate in the scenario, and in the finer run.
    pub nodes: usize,
    pub finer_nodes: usize,
    /// Profiles (sub-cohorts) of the scenario's model.
    pub profiles: usize,
    /// Largest absolute change in overall survival, over strategies and cycles.
    pub survival: f64,
    /// Per strategy: largest absolute change of discounted cost, discounted QALYs and life
    /// years (empty without `[economics]`).
    pub outcomes: Vec<(String, [f64; 3])>,
}

/// The stratification error, or `None` when the population has no numeric covariate.
///
/// # Errors
/// As [`Model::build`], for the finer model; as [`crate::scenario::patients_file::read`] for a
/// patients file read again.
pub fn stratification(scenario: &Scenario) -> Result<Option<Stratification>> {
    let population = &scenario.population;
    if !population.covariates.iter().any(|c| matches!(c.kind, CovariateKind::Numeric(_))) {
        return Ok(None);
    }
    let mut finer = scenario.clone();
    finer.population.nodes = 2 * population.nodes;
    // A patients file is read again for the finer strata.
    if let Some((path, _)) = &population.file {
        let names: Vec<String> = population.covariates.iter().map(|c| c.name.clone()).collect();
        let states = crate::scenario::patients_file::StartState::of(&scenario.states);
        let read = crate::scenario::patients_file::read(path, &names, finer.population.nodes, &states)?;
        finer.population.file = Some((path.clone(), read));
    }
    let (a, b) = (Model::from_scenario(scenario)?, Model::from_scenario(&finer)?);
    let mut survival_change: f64 = 0.0;
    let mut outcomes = Vec::new();
    for s in 0..a.n_strategies() {
        let (ta, tb) = (sim_cohort(&a, s), sim_cohort(&b, s));
        let (sa, sb) =
            (survival::overall_survival(&a, |t, i| ta.at(t, i)), survival::overall_survival(&b, |t, i| tb.at(t, i)));
        survival_change = sa.iter().zip(&sb).fold(survival_change, |m, (x, y)| m.max((x - y).abs()));
        if let (Some(x), Some(y)) = (economics::cohort_outcomes(&a, &ta), economics::cohort_outcomes(&b, &tb)) {
            outcomes.push((a.strategy_names[s].clone(), [0, 1, 2].map(|q| (x[q] - y[q]).abs())));
        }
    }
    Ok(Some(Stratification {
        nodes: population.nodes,
        finer_nodes: finer.population.nodes,
        profiles: a.groups.len(),
        survival: survival_change,
        outcomes,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    /// The error shrinks as strata are added, and it is small but not zero with 8 strata.
    #[test]
    fn more_strata_change_the_results_less() {
        let mut s =
            Scenario::load(Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/scenarios/meld_heterogeneity.toml")))
                .unwrap();
        let eight = stratification(&s).unwrap().unwrap();
        assert_eq!((eight.nodes, eight.finer_nodes, eight.profiles), (8, 16, 24));
        assert!(eight.survival > 0.0 && eight.survival < 0.01, "{}", eight.survival);
        s.population.nodes = 2;
        let two = stratification(&s).unwrap().unwrap();
        assert!(two.survival > 2.0 * eight.survival, "{} vs {}", two.survival, eight.survival);
        assert!(two.outcomes[0].1[1] > eight.outcomes[0].1[1]);
    }
}
