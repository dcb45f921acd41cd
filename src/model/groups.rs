//! Sub-cohorts and their background mortality.
//!
//! Receives a checked [`Scenario`]; hands the row builder one [`Group`] per start age x sex when
//! the model has background mortality or a formula reads `male`, one per start age when a formula
//! reads `age`, and otherwise a single group at the mean start age; and each group's background
//! hazard in every cycle, read from the life table at the ages reached.

use super::Group;
use super::convert::rate_from_probability;
use crate::error::{Problem, ProblemKind};
use crate::scenario::Scenario;

/// The sub-cohorts: every (start age, sex) with a positive share, in the scenario's order, each
/// split into the profiles of the population's covariates (every combination of their levels
/// and strata, the first covariate varying slowest) with a positive share.
pub fn sub_cohorts(scenario: &Scenario) -> Vec<Group> {
    let groups = age_and_sex(scenario);
    let population = &scenario.population;
    if population.covariates.is_empty() {
        return groups;
    }
    let cells = population.cells();
    let profiles = population.profiles(&cells);
    groups
        .iter()
        .flat_map(|g| {
            profiles.iter().filter(|(_, w)| *w > 0.0).map(|(path, w)| {
                let mut group = *g;
                group.weight = g.weight * w;
                group.covariates = population.values(&cells, path);
                group.cells[..path.len()].copy_from_slice(path);
                group
            })
        })
        .collect()
}

/// Each sub-cohort's start mix when it is not the cohort's: its profile's mix in a patients
/// file with a `start_state` column, or the `[cohort] start_state` shares evaluated for it when
/// some share is a parameter or a formula (with `values`, the draw's parameter values). Empty
/// when every sub-cohort starts as `[cohort] start_state` says in numbers.
///
/// # Errors
/// A problem at `cohort.start_state.STATE` for a share that is not a probability, and at
/// `cohort.start_state` for shares of a sub-cohort that do not sum to 1, naming the sub-cohort.
pub fn start_mixes(scenario: &Scenario, groups: &[Group], values: &[f64]) -> Result<Vec<Vec<f64>>, Vec<Problem>> {
    if !scenario.cohort.start_values.is_empty() {
        return groups.iter().map(|g| start_of_group(scenario, g, values, groups.len())).collect();
    }
    let Some((_, file)) = scenario.population.file.as_ref().filter(|(_, f)| !f.starts.is_empty()) else {
        return Ok(Vec::new());
    };
    let k = scenario.population.covariates.len();
    let by_cells: std::collections::HashMap<&[u16], &Vec<f64>> =
        file.profiles.iter().zip(&file.starts).map(|((cells, _), mix)| (cells.as_slice(), mix)).collect();
    Ok(groups
        .iter()
        .map(|g| by_cells.get(&g.cells[..k]).map_or_else(|| scenario.cohort.start.clone(), |m| (*m).clone()))
        .collect())
}

/// The start shares of one sub-cohort, from `[cohort] start_state`'s values.
fn start_of_group(scenario: &Scenario, g: &Group, values: &[f64], n_groups: usize) -> Result<Vec<f64>, Vec<Problem>> {
    let at = super::rows::row_time(scenario.cycle_length_years, g, 0, 0);
    let mix: Vec<f64> = scenario.cohort.start_values.iter().map(|v| v.at(values, &at)).collect();
    let who = || match describe_group(scenario, g, n_groups) {
        words if words.is_empty() => String::new(),
        words => format!(" for{}", words.trim_start_matches(',')),
    };
    for ((state, v), &share) in scenario.states.iter().zip(&scenario.cohort.start_values).zip(&mix) {
        if !(0.0..=1.0).contains(&share) {
            let kind = ProblemKind::FormulaValue {
                formula: match v {
                    crate::scenario::Value::Parameter(i) => scenario.parameters[*i].name.clone(),
                    _ => v.formula_text().unwrap_or_default().to_string(),
                },
                value: share,
                at: who(),
                used_as: format!("the share starting in \"{}\"", state.name),
                rule: "must be a probability in [0, 1]",
            };
            return Err(vec![Problem::new(format!("cohort.start_state.{}", state.name), None, kind)]);
        }
    }
    let sum: f64 = mix.iter().sum();
    if (sum - 1.0).abs() > 1e-9 {
        let kind = ProblemKind::StartSharesSum { sum, who: who() };
        return Err(vec![Problem::new("cohort.start_state", None, kind)]);
    }
    Ok(mix)
}

/// The sub-cohorts by start age and sex (see [`sub_cohorts`]).
fn age_and_sex(scenario: &Scenario) -> Vec<Group> {
    let reads = scenario.reads();
    if scenario.background.is_some() || reads.sex {
        scenario
            .cohort
            .age_groups
            .iter()
            .flat_map(|g| {
                scenario.sexes().into_iter().map(move |(sex, share)| Group::new(g.age, Some(sex), g.weight * share))
            })
            .filter(|g| g.weight > 0.0)
            .collect()
    } else if reads.age {
        // Formulas of `age` need each start age; otherwise one group at the mean age.
        scenario
            .cohort
            .age_groups
            .iter()
            .filter(|g| g.weight > 0.0)
            .map(|g| Group::new(g.age, None, g.weight))
            .collect()
    } else {
        let age = scenario.cohort.age_groups.iter().map(|g| g.age * g.weight).sum();
        vec![Group::new(age, None, 1.0)]
    }
}

/// Each sub-cohort's background hazard per cycle ([`background_hazards`]), and how many cycles
/// from each on keep the hazard of the cycle before (so that their rows are built once).
#[derive(Debug, Clone, PartialEq)]
pub struct Background {
    /// `[group][cycle]`.
    pub hazards: Vec<Vec<f64>>,
    unchanged: Vec<Vec<u32>>,
}

impl Background {
    /// The background of `groups` in `scenario`.
    pub fn new(scenario: &Scenario, groups: &[Group]) -> Background {
        let hazards = background_hazards(scenario, groups);
        let unchanged = (hazards.iter())
            .map(|h| super::effect::unchanged_runs(h.len(), |k| h[k].to_bits() == h[k - 1].to_bits()))
            .collect();
        Background { hazards, unchanged }
    }

    /// How many cycles from `cycle` on have the hazard of the cycle before, in sub-cohort `group`.
    #[inline]
    pub fn unchanged_from(&self, group: usize, cycle: usize) -> usize {
        self.unchanged[group][cycle] as usize
    }
}

/// Background hazard (annual rate, mean over the cycle) of each group in each cycle,
/// `[group][cycle]`; 0 without background mortality, infinite once the life table closes.
pub fn background_hazards(scenario: &Scenario, groups: &[Group]) -> Vec<Vec<f64>> {
    let dt = scenario.cycle_length_years;
    groups
        .iter()
        .map(|g| match (&scenario.background, g.sex) {
            (Some(bg), Some(sex)) => (0..scenario.n_cycles)
                .map(|t| {
                    let a = g.start_age + t as f64 * dt;
                    mean_life_table_hazard(|age| bg.table.qx(sex, age), a, a + dt)
                })
                .collect(),
            _ => vec![0.0; scenario.n_cycles],
        })
        .collect()
}

/// Words for a group in messages: ", male starting at age 55" (empty when there is one group;
/// no age when the scenario gives none), then the profile's covariates when the scenario has a
/// population (", meld 24.4 (stratum 8 of 8), etiology hbv").
pub fn describe_group(scenario: &Scenario, g: &Group, n_groups: usize) -> String {
    let age_given = scenario.cohort.age_given;
    let who = match g.sex {
        Some(sex) if n_groups > 1 && age_given => format!(", {} starting at age {}", sex.as_str(), g.start_age),
        Some(sex) if n_groups > 1 => format!(", {}", sex.as_str()),
        _ if n_groups > 1 && age_given => format!(", starting at age {}", g.start_age),
        _ => String::new(),
    };
    match scenario.population.describe(&g.cells) {
        covariates if covariates.is_empty() => who,
        covariates => format!("{who}, {covariates}"),
    }
}

/// Mean annual hazard over ages [a, b) from a life table, taking qx constant within each year of
/// age (mu_x = -ln(1 - qx)). Infinite once the table closes (qx = 1).
pub fn mean_life_table_hazard(qx: impl Fn(u32) -> Option<f64>, a: f64, b: f64) -> f64 {
    let mut total = 0.0;
    let mut lo = a;
    while lo < b {
        let age = lo.floor();
        let hi = (age + 1.0).min(b);
        let q = qx(age as u32).unwrap_or(1.0);
        let mu = rate_from_probability(q, 1.0);
        if mu.is_infinite() {
            return f64::INFINITY;
        }
        total += mu * (hi - lo);
        lo = hi;
    }
    total / (b - a)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Model;
    use crate::scenario::ParameterRole;
    use std::path::Path;

    const REPO: &str = env!("CARGO_MANIFEST_DIR");

    /// `scenarios/meld_patients_file.toml` with `edit` applied, reading `csv` as its patients file.
    fn with_patients(csv: &str, edit: impl Fn(String) -> String) -> crate::Result<Scenario> {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("patients.csv"), csv).unwrap();
        let text = std::fs::read_to_string(Path::new(REPO).join("scenarios/meld_patients_file.toml")).unwrap();
        let text = edit(text.replace("\"meld_patients.csv\"", "\"patients.csv\""));
        Scenario::from_toml("s.toml", &text, dir.path())
    }

    /// The rows of `scenarios/meld_patients.csv` with a `start_state` column from `start(meld, etiology)`.
    fn patients_with_start(start: impl Fn(f64, &str) -> &'static str) -> String {
        let text = std::fs::read_to_string(Path::new(REPO).join("scenarios/meld_patients.csv")).unwrap();
        let mut lines = text.lines();
        let mut out = format!("{},start_state\n", lines.next().unwrap());
        for line in lines {
            let cells: Vec<&str> = line.split(',').collect();
            out += &format!("{line},{}\n", start(cells[1].parse().unwrap(), cells[2]));
        }
        out
    }

    /// `scenarios/start_by_etiology.toml` with its start shares replaced by `start`.
    fn with_start(start: &str) -> crate::Result<Scenario> {
        let path = Path::new(REPO).join("scenarios/start_by_etiology.toml");
        let text = std::fs::read_to_string(&path).unwrap();
        let line = text.lines().find(|l| l.starts_with("start_state = ")).unwrap();
        Scenario::from_toml("s.toml", &text.replace(line, &format!("start_state = {start}")), Path::new(REPO))
    }

    #[test]
    fn start_shares_as_formulas_give_each_profile_its_mix_and_follow_the_draw() {
        let s = Scenario::load(&Path::new(REPO).join("scenarios/start_by_etiology.toml")).unwrap();
        let mut model = Model::from_scenario(&s).unwrap();
        let p = s.parameters.iter().position(|q| q.name == "p_hbv_recompensated_at_referral").unwrap();
        let expected = |g: &Group, p: f64| {
            let hbv = s.population.describe(&g.cells).ends_with("hbv");
            let logit = (p / (1.0 - p)).ln() - 0.15 * (g.covariates[0] - 15.0);
            if hbv { 1.0 / (1.0 + (-logit).exp()) } else { 0.0 }
        };
        let check = |model: &Model, p: f64| {
            let mut overall = 0.0;
            for (g, group) in model.groups.iter().enumerate() {
                let share = expected(group, p);
                assert!((model.start_of(g)[0] - share).abs() < 1e-12, "{g}: {:?} vs {share}", model.start_of(g));
                assert!((model.start_of(g)[1] - (1.0 - share)).abs() < 1e-12);
                overall += group.weight * share;
            }
            assert!((crate::engine::sim_cohort(model, 0).at(0, 0) - overall).abs() < 1e-12);
        };
        check(&model, 0.4);
        // A PSA draw rebuilds the model: the shares follow the drawn parameter.
        let mut values = s.base_values();
        values[p] = 0.7;
        model.rebuild(&s, &values).unwrap();
        check(&model, 0.7);
        assert_eq!(model.start_of(3), Model::build(&s, &values).unwrap().start_of(3));
        let uses = s.parameter_uses();
        let share = uses.iter().find(|u| u.parameter == p).unwrap();
        assert_eq!((share.key.as_str(), share.role), ("cohort.start_state.compensated", ParameterRole::StartShare));
    }

    #[test]
    fn start_shares_must_be_probabilities_summing_to_1_in_every_profile() {
        let not_one = Model::from_scenario(
            &with_start(r#"{ compensated = "0.5 * etiology_hbv", decompensated = "1 - 0.4 * etiology_hbv" }"#).unwrap(),
        );
        let e = not_one.err().unwrap().to_string();
        assert!(e.contains("cohort.start_state: shares sum to 1.1 for meld 8.1 (stratum 1 of 8), etiology hbv"), "{e}");
        let above = Model::from_scenario(
            &with_start(r#"{ compensated = "meld / 20", decompensated = "1 - meld / 20" }"#).unwrap(),
        );
        let e = above.err().unwrap().to_string();
        assert!(e.contains("cohort.start_state.compensated") && e.contains("must be a probability in [0, 1]"), "{e}");
        assert!(e.contains("meld 20.6 (stratum 7 of 8)"), "{e}");
        // One number per draw when nothing reads the profile: the sum is checked with the file.
        let e = with_start(r#"{ compensated = "p_hbv_recompensated_at_referral", decompensated = 0.5 }"#).unwrap_err();
        assert!(e.to_string().contains("cohort.start_state: shares sum to 0.9"), "{e}");
        // Never model time.
        let e = with_start(r#"{ compensated = "0.1 * cycle", decompensated = "1 - 0.1 * cycle" }"#).unwrap_err();
        assert!(e.to_string().contains("cohort.start_state.compensated"), "{e}");
    }

    #[test]
    fn each_profile_starts_with_its_patients_mix_of_states() {
        let s = Scenario::load(&Path::new(REPO).join("scenarios/meld_patients_start.toml")).unwrap();
        let model = Model::from_scenario(&s).unwrap();
        // 83 of the file's 500 patients (HBV, MELD below 15) start recompensated.
        let trace = crate::engine::sim_cohort(&model, 0);
        assert!((trace.at(0, 0) - 83.0 / 500.0).abs() < 1e-12, "{}", trace.at(0, 0));
        assert!((model.initial[0] - 83.0 / 500.0).abs() < 1e-12);
        let etiology = |g: &Group, level: &str| s.population.describe(&g.cells).ends_with(level);
        for (g, group) in model.groups.iter().enumerate() {
            if !etiology(group, "hbv") {
                assert_eq!(model.start_of(g), [0.0, 1.0, 0.0]);
            }
        }
        let hbv_low = model.groups.iter().position(|g| etiology(g, "hbv") && g.covariates[0] < 12.0).unwrap();
        assert_eq!(model.start_of(hbv_low), [1.0, 0.0, 0.0]);
    }

    #[test]
    fn a_start_state_column_of_one_state_is_the_cohort_start_state() {
        let csv = patients_with_start(|_, _| "decompensated");
        let from_file = with_patients(&csv, |t| t.replace("start_state = { decompensated = 1.0 }", "")).unwrap();
        let given = Scenario::load(&Path::new(REPO).join("scenarios/meld_patients_file.toml")).unwrap();
        let (a, b) = (Model::from_scenario(&from_file).unwrap(), Model::from_scenario(&given).unwrap());
        for strategy in 0..2 {
            let (ta, tb) = (crate::engine::sim_cohort(&a, strategy), crate::engine::sim_cohort(&b, strategy));
            assert_eq!(ta.occupancy, tb.occupancy);
        }
    }

    #[test]
    fn start_states_are_given_once_and_name_alive_states() {
        let csv = patients_with_start(|_, _| "decompensated");
        let twice = with_patients(&csv, |t| t).unwrap_err().to_string();
        assert!(twice.contains("cohort.start_state") && twice.contains("remove cohort.start_state"), "{twice}");
        let csv = std::fs::read_to_string(Path::new(REPO).join("scenarios/meld_patients.csv")).unwrap();
        let none = with_patients(&csv, |t| t.replace("start_state = { decompensated = 1.0 }", "")).unwrap_err();
        assert!(none.to_string().contains("cohort.start_state: required"), "{none}");
        let no_start = |t: String| t.replace("start_state = { decompensated = 1.0 }", "");
        for (state, message) in [
            ("decompensatd", "unknown state \"decompensatd\"; did you mean \"decompensated\"?"),
            ("death", "patients start in an alive state, not \"death\""),
            ("", "empty"),
        ] {
            let e = with_patients(&patients_with_start(|_, _| state), no_start).unwrap_err().to_string();
            assert!(e.contains("patients.csv:2: column \"start_state\"") && e.contains(message), "{e}");
        }
    }

    #[test]
    fn life_table_hazard_is_integrated_across_birthdays() {
        let qx = |age: u32| Some(if age == 50 { 0.1 } else { 0.2 });
        let mu50 = -(0.9f64).ln();
        let mu51 = -(0.8f64).ln();
        assert!((mean_life_table_hazard(qx, 50.0, 50.5) - mu50).abs() < 1e-15);
        assert!((mean_life_table_hazard(qx, 50.5, 51.5) - (0.5 * mu50 + 0.5 * mu51)).abs() < 1e-15);
        let closed = |age: u32| if age < 120 { Some(0.5) } else { None };
        assert_eq!(mean_life_table_hazard(closed, 119.5, 120.5), f64::INFINITY);
    }
}
