//! Costs and utilities that differ by profile (`scenarios/meld_values.toml`: a yearly cost that
//! rises with MELD, a utility higher for HBV): the cohort values each sub-cohort with its own
//! tables and sums them with the weights; the Monte Carlo engine values each patient with its
//! own profile's tables; both engines agree, and neither depends on the number of threads.

use crate::analysis::economics::{cohort_outcomes, cohort_totals};
use crate::engine::tests::simultaneous_z;
use crate::engine::{NoProgress, monte_carlo, sim_cohort, sim_cohort_groups, sim_patients};
use crate::model::Model;
use crate::scenario::Scenario;
use std::path::Path;

const COST: &str = "annual = \"c_decomp_year * max(0, 1 + c_per_meld_point * (meld - 15))\"";
const UTILITY_DECOMP: &str = "annual = \"u_decomp + u_hbv_gain * etiology_hbv\"";
const UTILITY_COMP: &str = "annual = \"u_comp + u_hbv_gain * etiology_hbv\"";

fn text() -> String {
    std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/scenarios/meld_values.toml")).unwrap()
}

fn meld_values() -> (Scenario, Model) {
    let s = Scenario::from_toml("meld_values.toml", &text(), Path::new(".")).unwrap();
    let model = Model::from_scenario(&s).unwrap();
    (s, model)
}

/// |a - b| within `tolerance` of the larger of |b| and 1.
fn close(a: f64, b: f64, tolerance: f64) -> bool {
    (a - b).abs() <= tolerance * b.abs().max(1.0)
}

/// The cohort's totals are the weighted sum of single-profile runs, to 1e-12; and each
/// single-profile run of the standard-care arm (no MELD shift) equals a run of a scenario whose
/// cost and utilities are that profile's numbers written in as literals (an independent build
/// with one table per strategy).
#[test]
fn the_cohort_is_the_weighted_sum_of_its_profiles_each_with_its_own_values() {
    let (s, model) = meld_values();
    assert!(model.values_by_profile());
    assert_eq!(model.valuations.as_ref().unwrap().len(), model.n_strategies() * model.groups.len());
    let variables = s.population.variables();
    let var = |g: usize, name: &str| model.groups[g].covariates[variables.iter().position(|v| v == name).unwrap()];
    for strategy in 0..model.n_strategies() {
        let whole = cohort_outcomes(&model, &sim_cohort(&model, strategy)).unwrap();
        let totals = cohort_totals(&model, &sim_cohort(&model, strategy)).unwrap();
        assert_eq!([totals.cost, totals.qaly, totals.life_years], whole);
        let mut weighted = [0.0; 3];
        for (g, group) in model.groups.iter().enumerate() {
            let one = cohort_outcomes(&model, &sim_cohort_groups(&model, strategy, &[g])).unwrap();
            for k in 0..3 {
                weighted[k] += group.weight * one[k];
            }
        }
        for k in 0..3 {
            assert!(close(weighted[k], whole[k], 1e-12), "strategy {strategy} quantity {k}: {weighted:?} vs {whole:?}");
        }
    }
    // The profiles' own numbers, written into a scenario of their own, for standard care.
    let profiles = [0, 5, 11, model.groups.len() - 1];
    let mut differ = Vec::new();
    for g in profiles {
        let literal = |x: f64| format!("{x:?}");
        let edited = text()
            .replace(COST, &COST.replace("(meld - 15)", &format!("({} - 15)", literal(var(g, "meld")))))
            .replace(UTILITY_DECOMP, &UTILITY_DECOMP.replace("etiology_hbv", &literal(var(g, "etiology_hbv"))))
            .replace(UTILITY_COMP, &UTILITY_COMP.replace("etiology_hbv", &literal(var(g, "etiology_hbv"))));
        assert_ne!(edited, text());
        let fixed = Scenario::from_toml("fixed.toml", &edited, Path::new(".")).unwrap();
        let fixed_model = Model::from_scenario(&fixed).unwrap();
        assert!(!fixed_model.values_by_profile());
        let expected = cohort_outcomes(&fixed_model, &sim_cohort_groups(&fixed_model, 0, &[g])).unwrap();
        let got = cohort_outcomes(&model, &sim_cohort_groups(&model, 0, &[g])).unwrap();
        for k in 0..3 {
            assert!(close(got[k], expected[k], 1e-12), "profile {g} quantity {k}: {got:?} vs {expected:?}");
        }
        differ.push(got[0]);
    }
    // The values really differ by profile (the test could fail): the costs of the four differ.
    differ.dedup();
    assert_eq!(differ.len(), profiles.len(), "{differ:?}");
}

/// Monte Carlo costs, QALYs and life years agree with the cohort's within z standard errors, z
/// Bonferroni-corrected over the comparisons (as on the default scenario in `engine/tests.rs`); and the
/// run is bit-identical on 1 and 2 threads.
#[test]
fn monte_carlo_values_each_patient_with_its_profile_and_matches_the_cohort() {
    let (s, model) = meld_values();
    let run = |threads: usize, n: u64| {
        let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
        pool.install(|| sim_patients(&model, n, s.seed, &NoProgress)).unwrap()
    };
    let mc = run(2, 100_000);
    let estimates = crate::analysis::mc_estimates(mc.values.as_ref().unwrap());
    let z = simultaneous_z(3 * model.n_strategies(), 0.001);
    let mut worst: f64 = 0.0;
    for e in &estimates {
        let exact = cohort_outcomes(&model, &sim_cohort(&model, e.strategy)).unwrap();
        for (k, m) in [e.cost, e.qaly, e.life_years].iter().enumerate() {
            let deviation = (m.mean - exact[k]).abs() / m.se;
            worst = worst.max(deviation);
            assert!(deviation <= z, "strategy {} quantity {k}: {} vs {} (se {})", e.strategy, m.mean, exact[k], m.se);
        }
    }
    assert!(worst > 0.01, "the bound is not so loose that any answer passes: worst {worst}");
    let n = 3 * monte_carlo::BLOCK_SIZE + 17;
    assert_eq!(run(1, n), run(2, n));
}

/// A subgroup (`--by`) is valued with its own profiles' tables: its totals are the weighted sum
/// of its profiles' single-profile runs, to 1e-12.
#[test]
fn subgroups_are_valued_with_their_own_profiles() {
    let (s, model) = meld_values();
    let by = ["meld".to_string(), "etiology".to_string()];
    let subgroups = crate::model::subgroups::Subgroups::new(&s, &model.groups, &by).unwrap();
    let results = crate::analysis::subgroup_analysis(&model, &subgroups, None);
    for (k, r) in results.iter().enumerate() {
        let groups = subgroups.groups_of(k);
        for strategy in 0..model.n_strategies() {
            let mut weighted = [0.0; 3];
            for &g in &groups {
                let one = cohort_outcomes(&model, &sim_cohort_groups(&model, strategy, &[g])).unwrap();
                for q in 0..3 {
                    weighted[q] += model.groups[g].weight / r.share * one[q];
                }
            }
            let t = &r.evaluation.as_ref().unwrap().totals[strategy];
            for (q, got) in [t.cost, t.qaly, t.life_years].into_iter().enumerate() {
                assert!(close(got, weighted[q], 1e-12), "subgroup {} strategy {strategy} quantity {q}", r.name);
            }
        }
    }
}

/// The headline outcomes, computed straight from the plan without tables, are the tables'
/// totals (occupancy times the point tables plus flows times the move tables, boundary by
/// boundary) to 1e-12, for every strategy of models with infusions and valued moves (default),
/// time-dependent rewards (Sick-Sicker with tunnels), age bands (hip replacement), one table per
/// profile (meld_values) and the DARTH boundary weights (Sick-Sicker).
#[test]
fn outcomes_without_tables_are_the_tables_totals() {
    use crate::analysis::economics::by_boundary;
    use crate::model::valuation::quantity;
    let read = |file: &str| {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios").join(file);
        Scenario::from_toml(file, &std::fs::read_to_string(&path).unwrap(), path.parent().unwrap()).unwrap()
    };
    let scenarios = [
        Scenario::default_scenario().unwrap(),
        read("sick_sicker_timedep.toml"),
        read("thr_hesim.toml"),
        read("meld_values.toml"),
        read("sick_sicker.toml"),
    ];
    for s in &scenarios {
        let model = Model::from_scenario(s).unwrap();
        for strategy in 0..model.n_strategies() {
            let trace = sim_cohort(&model, strategy);
            let direct = cohort_outcomes(&model, &trace).unwrap();
            for (k, q) in [quantity::COST, quantity::QALY, quantity::LIFE_YEARS].into_iter().enumerate() {
                let tables: f64 = by_boundary(&model, &trace, q).unwrap().iter().sum();
                assert!(
                    close(direct[k], tables, 1e-12),
                    "{}: strategy {strategy}, quantity {q}: {} vs {tables}",
                    s.name,
                    direct[k]
                );
                assert!(tables.abs() > 0.0, "{}: quantity {q} is 0, which any sum would match", s.name);
            }
        }
    }
}
