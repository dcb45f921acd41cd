//! `[settings]`: cycle length, horizon, patients and seed; and the horizon in whole cycles.
//!
//! The number of cycles is checked against [`MAX_CYCLES`] as a real number, before it is
//! converted or anything is allocated for it.

use super::super::duration::parse_years;
use super::super::life_table::Sex;
use super::super::limits::{MAX_CYCLES, MAX_PATIENTS};
use super::super::numbers::short;
use super::super::raw::RawSettings;
use super::super::types::{BackgroundMortality, Cohort, Horizon};
use super::Validator;
use crate::error::ProblemKind;

/// What `[settings]` gave, with the lines later checks need.
pub(super) struct Settings {
    pub cycle_years: f64,
    pub cycle_text: String,
    /// `None` when the horizon is unusable (a problem was reported).
    pub horizon: Option<Horizon>,
    pub horizon_text: String,
    pub horizon_line: Option<usize>,
    pub patients: u64,
    pub patients_line: Option<usize>,
    pub seed: u64,
}

impl Validator<'_> {
    pub(super) fn settings(&mut self, raw: &RawSettings) -> Settings {
        let cycle_line = self.line(&raw.cycle_length);
        let cycle_years = self.duration(raw.cycle_length.get_ref(), "settings.cycle_length", cycle_line, true);
        let cycle_years = cycle_years.unwrap_or(1.0);
        self.cycle_years = cycle_years;

        let horizon_line = self.line(&raw.horizon);
        let horizon_text = raw.horizon.get_ref().trim();
        let horizon = if horizon_text == "lifetime" {
            Some(Horizon::Lifetime)
        } else if parse_years(horizon_text).is_none() {
            self.problem(
                "settings.horizon",
                horizon_line,
                ProblemKind::BadDuration { value: horizon_text.to_string(), extra: ", or \"lifetime\"" },
            );
            None
        } else {
            self.duration(horizon_text, "settings.horizon", horizon_line, true).map(Horizon::Years)
        };

        let patients = *raw.patients.get_ref();
        let patients_line = self.line(&raw.patients);
        if patients <= 0 {
            self.problem("settings.patients", patients_line, ProblemKind::NotPositive { value: patients.to_string() });
        } else if patients as u64 > MAX_PATIENTS {
            self.problem(
                "settings.patients",
                patients_line,
                ProblemKind::TooLarge {
                    what: "the number of patients".into(),
                    value: patients.to_string(),
                    limit: MAX_PATIENTS.to_string(),
                    fix: "simulate fewer patients (the Monte Carlo error falls with the square root of the number)",
                },
            );
        }
        let seed = *raw.seed.get_ref();
        if seed < 0 {
            let line = self.line(&raw.seed);
            self.problem(
                "settings.seed",
                line,
                ProblemKind::OutOfRange { value: seed as f64, kind: "seed", rule: "must be >= 0" },
            );
        }
        Settings {
            cycle_years,
            cycle_text: raw.cycle_length.get_ref().trim().to_string(),
            horizon,
            horizon_text: horizon_text.to_string(),
            horizon_line,
            patients: patients.clamp(0, MAX_PATIENTS as i64) as u64,
            patients_line,
            seed: seed.max(0) as u64,
        }
    }

    /// The horizon in whole cycles (rounded up), at most [`MAX_CYCLES`]; 1 when the horizon is
    /// unusable. A lifetime horizon runs until the youngest start age reaches the end of the
    /// life table.
    pub(super) fn n_cycles(
        &mut self,
        settings: &Settings,
        cohort: &Cohort,
        background: Option<&BackgroundMortality>,
        has_background_table: bool,
    ) -> usize {
        let cycle_years = settings.cycle_years;
        let years = match settings.horizon {
            Some(Horizon::Years(y)) => y,
            Some(Horizon::Lifetime) => match background {
                Some(bg) => {
                    let youngest = cohort.age_groups.iter().map(|g| g.age).fold(f64::INFINITY, f64::min);
                    let end = (bg.table.last_age(Sex::Male).max(bg.table.last_age(Sex::Female)) + 1) as f64;
                    (end - youngest).max(cycle_years)
                }
                None => {
                    if !has_background_table {
                        self.problem("settings.horizon", settings.horizon_line, ProblemKind::LifetimeWithoutLifeTable);
                    }
                    return 1;
                }
            },
            None => return 1,
        };
        let cycles = years / cycle_years;
        if cycles.is_nan() || cycles > MAX_CYCLES as f64 {
            self.problem(
                "settings.horizon",
                settings.horizon_line,
                ProblemKind::TooLarge {
                    what: format!(
                        "the number of cycles (horizon \"{}\" / cycle_length \"{}\")",
                        settings.horizon_text, settings.cycle_text
                    ),
                    value: short(&cycles.ceil()),
                    limit: MAX_CYCLES.to_string(),
                    fix: "use a longer settings.cycle_length or a shorter settings.horizon",
                },
            );
            return 1;
        }
        cycles_ceil(cycles)
    }
}

/// Rounds a number of cycles up, ignoring float noise (10 years of 1-month cycles is 120, not 121).
fn cycles_ceil(x: f64) -> usize {
    let r = x.round();
    if (x - r).abs() < 1e-9 { r.max(1.0) as usize } else { x.ceil().max(1.0) as usize }
}

#[cfg(test)]
mod tests {
    use super::super::tests::{BASE, err, s};

    #[test]
    fn the_horizon_is_rounded_up_to_whole_cycles() {
        assert_eq!(s(BASE).unwrap().n_cycles, 24);
        assert_eq!(s(&BASE.replace("\"2 years\"", "\"10 years\"")).unwrap().n_cycles, 120);
        assert_eq!(s(&BASE.replace("\"2 years\"", "\"5 weeks\"")).unwrap().n_cycles, 2);
    }

    #[test]
    fn too_many_cycles_is_an_error_before_anything_is_allocated() {
        let e = err(&BASE.replace("\"2 years\"", "\"1000000000 years\""));
        assert_eq!(
            e,
            "t.toml:6: settings.horizon: the number of cycles (horizon \"1000000000 years\" / cycle_length \"1 month\") is 12000000000, above the limit of 100000; use a longer settings.cycle_length or a shorter settings.horizon"
        );
        let e = err(&BASE.replace("\"1 month\"", "\"0.000001 days\""));
        assert!(e.contains("above the limit of 100000"), "{e}");
        // The limit itself is allowed: 100000 monthly cycles.
        let text = BASE.replace("\"2 years\"", "\"100000 months\"");
        assert_eq!(s(&text).unwrap().n_cycles, 100_000);
    }

    #[test]
    fn patients_must_be_positive_and_bounded() {
        let e = err(&BASE.replace("patients = 10", "patients = 0"));
        assert_eq!(e, "t.toml:7: settings.patients: must be positive (got 0)");
        let e = err(&BASE.replace("patients = 10", "patients = 1000000000001"));
        assert!(
            e.contains("settings.patients: the number of patients is 1000000000001, above the limit of 1000000000000"),
            "{e}"
        );
    }

    #[test]
    fn cycle_length_and_horizon_must_be_positive_durations() {
        let e = err(&BASE.replace("\"1 month\"", "\"-1 month\""));
        assert_eq!(e, "t.toml:5: settings.cycle_length: must be positive (got -1 month)");
        let e = err(&BASE.replace("\"2 years\"", "\"forever\""));
        assert!(e.contains("settings.horizon: \"forever\" is not a duration") && e.contains("or \"lifetime\""), "{e}");
    }
}
