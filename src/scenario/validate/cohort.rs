//! `[cohort]`: start ages and their weights, the share of men, and the start state shares.
//!
//! Ages must be finite and inside the life table's ages; without `[background_mortality]` the
//! embedded US 2021 table still bounds them (`background.rs` checks the table in use).

use super::super::formula::Depends;
use super::super::life_table::{self, LifeTable};
use super::super::population::Population;
use super::super::raw::{RawCohort, RawStartAge, RawValue};
use super::super::types::{AgeGroup, Cohort, ExitSpec, RewardKind, RewardTarget, Scenario, Value};
use super::{Usage, Validator};
use crate::error::ProblemKind;

impl Validator<'_> {
    /// The cohort; without `start_age` one age group of placeholder age 0 (and `age_given`
    /// false), without `fraction_male` a placeholder share of men of 0.5: then nothing may read
    /// them (see [`Validator::cohort_keys_needed`]).
    pub(super) fn cohort(&mut self, raw: &RawCohort, population: &Population) -> Cohort {
        let mut age_groups = vec![AgeGroup { age: 0.0, weight: 1.0 }];
        if let Some(start_age) = &raw.start_age {
            let line = self.line(start_age);
            age_groups = match start_age.get_ref() {
                RawStartAge::Single(age) => vec![AgeGroup { age: *age, weight: 1.0 }],
                RawStartAge::Groups(groups) => {
                    groups.iter().map(|g| AgeGroup { age: g.age, weight: g.weight }).collect()
                }
            };
            if age_groups.is_empty() {
                self.problem("cohort.start_age", line, ProblemKind::Empty { what: "start ages" });
            }
            for g in &age_groups {
                if !g.age.is_finite() {
                    self.problem(
                        "cohort.start_age",
                        line,
                        ProblemKind::OutOfRange { value: g.age, kind: "age", rule: "must be a finite number" },
                    );
                }
                if !(g.weight.is_finite() && g.weight >= 0.0) {
                    self.problem(
                        "cohort.start_age",
                        line,
                        ProblemKind::OutOfRange { value: g.weight, kind: "weight", rule: "must be >= 0" },
                    );
                }
            }
            let weight_sum: f64 = age_groups.iter().map(|g| g.weight).sum();
            if !age_groups.is_empty() && (weight_sum - 1.0).abs() > 1e-9 {
                self.problem("cohort.start_age", line, ProblemKind::SharesSum { sum: weight_sum });
            }
        }
        let mut fraction_male = 0.5;
        if let Some(given) = &raw.fraction_male {
            fraction_male = *given.get_ref();
            if !(0.0..=1.0).contains(&fraction_male) {
                let line = self.line(given);
                self.problem(
                    "cohort.fraction_male",
                    line,
                    ProblemKind::OutOfRange { value: fraction_male, kind: "fraction", rule: "must be in [0, 1]" },
                );
            }
        }
        let (start, start_values) = self.start_state(raw, population);
        Cohort { age_groups, age_given: raw.start_age.is_some(), fraction_male, start, start_values }
    }

    /// `start_age` and `fraction_male` may be left out unless the model uses them: both with
    /// `[background_mortality]` (the life table is read by age and sex), `start_age` when a
    /// transition or reward reads `age`, `fraction_male` when one reads `male`. Called once the
    /// scenario is built, since formulas (and derived parameters) are compiled by then.
    pub(super) fn cohort_keys_needed(&mut self, raw: &RawCohort, has_background: bool, scenario: &Scenario) {
        let line = self.cohort_line(raw);
        let needs = [
            (
                "cohort.start_age",
                raw.start_age.is_none(),
                "age",
                "give start_age = 55 (years) or a list of { age, weight }",
            ),
            ("cohort.fraction_male", raw.fraction_male.is_none(), "sex", "give fraction_male = 0.5 (the share of men)"),
        ];
        for (key, missing, what, fix) in needs {
            if !missing {
                continue;
            }
            let why = if has_background {
                Some("[background_mortality] is given (its life table is read by age and sex)".to_string())
            } else {
                reader(scenario, what == "age")
            };
            if let Some(why) = why {
                self.problem(key, line, ProblemKind::CohortKeyNeeded { why, fix });
            }
        }
    }

    /// A line in `[cohort]` (the table has no span of its own): that of its first key given.
    fn cohort_line(&self, raw: &RawCohort) -> Option<usize> {
        (raw.start_state.as_ref().and_then(|s| self.line(s)))
            .or_else(|| raw.start_age.as_ref().and_then(|s| self.line(s)))
            .or_else(|| raw.fraction_male.as_ref().and_then(|s| self.line(s)))
    }

    /// The share of the cohort starting in each state: non-negative, summing to 1, alive. From
    /// `start_state`, or from a patients file's `start_state` column (its profiles' start mixes
    /// weighted by their shares); exactly one of the two. With it, per state the share as a
    /// value when some share is a parameter or a formula (see [`Cohort::start_values`]).
    fn start_state(&mut self, raw: &RawCohort, population: &Population) -> (Vec<f64>, Vec<Value>) {
        let mut start = vec![0.0; self.states.len()];
        let from_file = population.file.as_ref().map(|(_, f)| f).filter(|f| !f.starts.is_empty());
        let given = match (&raw.start_state, from_file) {
            (Some(given), None) => given,
            (None, Some(file)) => {
                for (mix, (_, w)) in file.starts.iter().zip(&file.profiles) {
                    start.iter_mut().zip(mix).for_each(|(x, m)| *x += w * m);
                }
                return (start, Vec::new());
            }
            (Some(given), Some(_)) => {
                let rule = "the patients file's start_state column gives each patient's start state: remove \
                            cohort.start_state (or the column)";
                self.problem("cohort.start_state", self.line(given), ProblemKind::StartState { rule });
                return (start, Vec::new());
            }
            (None, None) => {
                let rule = "required: where the cohort starts, e.g. start_state = { compensated = 1.0 } (or a \
                            start_state column in [population] patients_file)";
                self.problem("cohort.start_state", self.cohort_line(raw), ProblemKind::StartState { rule });
                return (start, Vec::new());
            }
        };
        let line = self.line(given);
        let mut values = vec![Value::Literal(0.0); self.states.len()];
        let mut all_numbers = true;
        for (name, share) in given.get_ref() {
            let key = format!("cohort.start_state.{name}");
            let value = match share {
                RawValue::Number(x) if !(x.is_finite() && *x >= 0.0) => {
                    let kind = ProblemKind::OutOfRange { value: *x, kind: "share", rule: "must be >= 0" };
                    self.problem(&key, line, kind);
                    continue;
                }
                RawValue::Number(x) => Value::Literal(*x),
                RawValue::Name(_) => {
                    all_numbers = false;
                    // A share may differ by profile (covariates, start age, sex), never by model time.
                    self.time_allowed = Depends { age: true, sex: true, covariates: true, ..Depends::default() };
                    let value = self.value(share, Usage::Probability, &key, line);
                    self.time_allowed = Depends::default();
                    let Some(value) = value else { continue };
                    value
                }
            };
            if let Some(i) = self.state(name, &key, line) {
                if !self.states[i].alive && value != Value::Literal(0.0) {
                    self.problem(&key, line, ProblemKind::StartDead { name: name.clone() });
                }
                values[i] = value;
            }
        }
        // The sum is checked here when every share has one value per draw, else per profile
        // when the model is built (`model::groups::start_mixes`).
        let base = self.base_values();
        let start: Vec<f64> = values.iter().map(|v| v.get(&base)).collect();
        let sum: f64 = start.iter().sum();
        if values.iter().all(|v| v.depends().is_constant()) && (sum - 1.0).abs() > 1e-9 {
            self.problem("cohort.start_state", line, ProblemKind::SharesSum { sum });
        }
        (start, if all_numbers { Vec::new() } else { values })
    }

    /// Without `[background_mortality]`, start ages must still be ages a life table can hold:
    /// from 0 to the end of the embedded US 2021 table (closed at 120). Younger ages than the
    /// table's first (40) are fine here: without background mortality the table is not used.
    pub(super) fn start_ages_without_background(&mut self, raw: &RawCohort, cohort: &Cohort) {
        let line = raw.start_age.as_ref().and_then(|a| self.line(a));
        let table = LifeTable::us_2021();
        let sex = life_table::Sex::Male;
        let (first, last) = (0, table.last_age(sex));
        for g in cohort.age_groups.iter().filter(|_| cohort.age_given) {
            if g.age.is_finite() && g.weight > 0.0 && !(g.age >= first as f64 && g.age < (last + 1) as f64) {
                self.problem(
                    "cohort.start_age",
                    line,
                    ProblemKind::StartAgeOutsideLifeTable {
                        age: g.age,
                        table: life_table::US_2021.to_string(),
                        first,
                        last,
                        note: "; without [background_mortality] a start age must still end before the embedded table closes",
                    },
                );
            }
        }
    }
}

/// The first transition or reward whose value reads `age` (or `male`), in words:
/// `the rate of "sick" -> "dead" reads age`.
fn reader(scenario: &Scenario, age: bool) -> Option<String> {
    let reads = |v: &Value| if age { v.depends().age } else { v.depends().sex };
    let variable = if age { "age" } else { "male" };
    let name = |i: usize| scenario.states[i].name.as_str();
    for t in &scenario.transitions {
        let exit = t.spec.value().map(|v| {
            let key = match t.spec {
                ExitSpec::Rate(_) => "rate",
                ExitSpec::AnnualProbability(_) => "annual_probability",
                ExitSpec::ProbabilityOver { .. } => "probability",
                ExitSpec::CycleProbability(_) | ExitSpec::Complement => "cycle_probability",
            };
            (key, v)
        });
        let modifier = t.modifier.as_ref().map(|(m, v)| (m.key(), v));
        if let Some((key, _)) = exit.into_iter().chain(modifier).find(|(_, v)| reads(v)) {
            return Some(format!(
                "the {key} of transition \"{}\" -> \"{}\" reads {variable}",
                name(t.from),
                name(t.to)
            ));
        }
    }
    // Rewards are in `Scenario::reads` too, should a reward formula be allowed to read age or sex.
    let r = scenario.rewards.iter().find(|r| reads(&r.value))?;
    let what = match r.kind {
        RewardKind::Cost { .. } => "cost",
        RewardKind::Qaly => "utility",
    };
    let target = match r.target {
        RewardTarget::State(s) => format!("state \"{}\"", name(s)),
        RewardTarget::Transition { from, to } => format!("transition \"{}\" -> \"{}\"", name(from), name(to)),
    };
    Some(format!("the {what} of {target} reads {variable}"))
}

#[cfg(test)]
mod tests {
    use super::super::tests::{BASE, err, s};

    #[test]
    fn start_ages_and_weights_resolve() {
        let text =
            BASE.replace("start_age = 60", "start_age = [{ age = 60, weight = 0.25 }, { age = 70.5, weight = 0.75 }]");
        let c = s(&text).unwrap().cohort;
        assert_eq!(c.age_groups.len(), 2);
        assert_eq!(c.age_groups[1].age, 70.5);
        assert_eq!(c.start, vec![1.0, 0.0]);
    }

    #[test]
    fn start_ages_outside_the_embedded_table_are_errors_without_background() {
        let e = err(&BASE.replace("start_age = 60", "start_age = 130"));
        assert_eq!(
            e,
            "t.toml:10: cohort.start_age: start age 130 is outside the life table us_2021 (ages 0-119, closed at 120); without [background_mortality] a start age must still end before the embedded table closes"
        );
        assert!(s(&BASE.replace("start_age = 60", "start_age = 20")).is_ok(), "the table is not used");
        assert!(err(&BASE.replace("start_age = 60", "start_age = -1")).contains("start age -1 is outside"));
        assert!(s(&BASE.replace("start_age = 60", "start_age = 119.5")).is_ok());
        let e = err(&BASE.replace("start_age = 60", "start_age = nan"));
        assert!(e.contains("NaN is not a valid age: must be a finite number"), "{e}");
    }

    #[test]
    fn a_wrong_shape_of_start_age_gets_a_plain_message() {
        let e = err(&BASE.replace("start_age = 60", "start_age = \"sixty\""));
        assert_eq!(
            e,
            "t.toml:10: cohort.start_age: expected a number (e.g. 55) or a list of { age = ..., weight = ... } tables, found the text \"sixty\""
        );
    }

    #[test]
    fn shares_are_printed_without_float_noise() {
        let e = err(&BASE.replace("start_state = { a = 1.0 }", "start_state = { a = 0.6, dead = 0.0 }\n"));
        assert!(e.contains("cohort.start_state: shares sum to 0.6 (expected 1)"), "{e}");
        let text = BASE.replace(
            "start_age = 60",
            "start_age = [{ age = 60, weight = 0.3 }, { age = 61, weight = 0.3 }, { age = 62, weight = 0.3 }]",
        );
        let e = err(&text);
        assert!(e.ends_with("cohort.start_age: shares sum to 0.9 (expected 1)"), "{e}");
    }

    #[test]
    fn start_age_and_fraction_male_may_be_left_out_when_nothing_uses_them() {
        let without = BASE.replace("start_age = 60\nfraction_male = 0.5\n", "");
        assert_ne!(without, BASE);
        let (a, b) = (s(&without).unwrap(), s(BASE).unwrap());
        assert!(!a.cohort.age_given && b.cohort.age_given);
        let trace = |sc: &crate::scenario::Scenario| {
            let model = crate::model::Model::from_scenario(sc).unwrap();
            crate::engine::cohort::sim_cohort(&model, 0).row(24).to_vec()
        };
        assert_eq!(trace(&a), trace(&b), "the model does not depend on the ages it does not read");
        // exp(-0.2 * 2 years) alive at the end.
        assert!((trace(&a)[0] - (-0.4f64).exp()).abs() < 1e-12, "{:?}", trace(&a));
    }

    #[test]
    fn start_age_is_needed_when_a_formula_reads_age_even_through_a_parameter() {
        let without = BASE.replace("start_age = 60\nfraction_male = 0.5\n", "");
        let reads_age = without.replace("value = 0.2\n", "formula = \"if(age < 65, 0.2, 0.3)\"\n");
        assert_eq!(
            err(&reads_age),
            "t.toml:10: cohort.start_age: required here because the rate of transition \"a\" -> \"dead\" reads age; give start_age = 55 (years) or a list of { age, weight }"
        );
        let e = err(&reads_age.replace("[cohort]\n", "[cohort]\nstart_age = 60\n").replace("age < 65", "male"));
        assert!(e.ends_with("cohort.fraction_male: required here because the rate of transition \"a\" -> \"dead\" reads male; give fraction_male = 0.5 (the share of men)"), "{e}");
        assert!(s(&reads_age.replace("[cohort]\n", "[cohort]\nstart_age = 60\n")).is_ok(), "age alone needs no sex");
    }

    #[test]
    fn sex_without_age_splits_the_cohort_by_sex_only() {
        let text = BASE
            .replace("start_age = 60\n", "")
            .replace("value = 0.2\n", "formula = \"if(male == 1, 0.2, 0.4)\"\n")
            .replace("fraction_male = 0.5", "fraction_male = 0.25");
        let scenario = s(&text).unwrap();
        assert!(!scenario.cohort.age_given);
        let model = crate::model::Model::from_scenario(&scenario).unwrap();
        assert_eq!(model.groups.len(), 2);
        let alive = crate::engine::cohort::sim_cohort(&model, 0).row(24)[0];
        // Two years: a quarter are men at rate 0.2, three quarters women at rate 0.4.
        let expected = 0.25 * (-0.4f64).exp() + 0.75 * (-0.8f64).exp();
        assert!((alive - expected).abs() < 1e-12, "{alive} vs {expected}");
    }

    #[test]
    fn a_modifier_that_reads_age_is_named() {
        let text = BASE
            .replace("start_age = 60\n", "")
            .replace("rate = \"r\"", "rate = \"r\"\nhazard_ratio = \"if(age < 70, 1, 2)\"");
        let e = err(&text);
        assert!(
            e.contains(
                "cohort.start_age: required here because the hazard_ratio of transition \"a\" -> \"dead\" reads age"
            ),
            "{e}"
        );
    }
}
