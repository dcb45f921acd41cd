//! `[background_mortality]`: the life table (embedded `us_2021` or a CSV) and the death state;
//! every start age of the cohort must lie within the table's ages for each sex it has.

use super::super::life_table::{self, LifeTable, Sex};
use super::super::raw::RawBackground;
use super::super::types::{BackgroundMortality, Cohort};
use super::Validator;
use crate::error::ProblemKind;
use toml::Spanned;

const KEY: &str = "background_mortality.life_table";

impl Validator<'_> {
    pub(super) fn background(&mut self, raw: &Spanned<RawBackground>, cohort: &Cohort) -> Option<BackgroundMortality> {
        let line = self.line(raw);
        let raw = raw.get_ref();
        let to = self.state(&raw.to, "background_mortality.to", line);
        if let Some(t) = to
            && self.states[t].alive
        {
            self.problem("background_mortality.to", line, ProblemKind::BackgroundToAlive { name: raw.to.clone() });
        }
        let table = self.life_table(&raw.life_table, line)?;
        // Without a start age, only "start_age is required here" is said (cohort.rs).
        for g in cohort.age_groups.iter().filter(|_| cohort.age_given) {
            if !g.age.is_finite() || g.weight <= 0.0 {
                continue;
            }
            let mut beyond = None;
            for (sex, share) in [(Sex::Male, cohort.fraction_male), (Sex::Female, 1.0 - cohort.fraction_male)] {
                if share <= 0.0 {
                    continue;
                }
                let age = g.age.floor().max(0.0).min(u32::MAX as f64) as u32;
                if table.qx(sex, age).is_none() {
                    self.problem(
                        KEY,
                        line,
                        ProblemKind::MissingLifeTableAge {
                            sex: sex.as_str(),
                            age,
                            start_age: g.age,
                            first: table.first_age(sex),
                            last: table.last_age(sex),
                        },
                    );
                } else if g.age >= (table.last_age(sex) + 1) as f64 {
                    beyond = Some((table.first_age(sex), table.last_age(sex)));
                }
            }
            if let Some((first, last)) = beyond {
                let kind = ProblemKind::StartAgeOutsideLifeTable {
                    age: g.age,
                    table: table.name.clone(),
                    first,
                    last,
                    note: "",
                };
                self.problem("cohort.start_age", line, kind);
            }
        }
        to.map(|to| BackgroundMortality { table, to })
    }

    /// The embedded table by name, or a CSV relative to the scenario.
    fn life_table(&mut self, name: &str, line: Option<usize>) -> Option<LifeTable> {
        if name == life_table::US_2021 {
            return Some(LifeTable::us_2021());
        }
        let path = self.path(name);
        let text = match std::fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) => {
                let path = path.display().to_string();
                self.problem(
                    KEY,
                    line,
                    ProblemKind::LifeTable {
                        message: format!("cannot read {path}: {e} (or use the embedded \"us_2021\")"),
                    },
                );
                return None;
            }
        };
        match LifeTable::from_csv(&path.display().to_string(), &text) {
            Ok(t) => Some(t),
            Err(e) => {
                self.problem(KEY, line, ProblemKind::LifeTable { message: e.to_string() });
                None
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::{BASE, err, s};

    fn with_background(text: &str) -> String {
        format!("{text}[background_mortality]\nlife_table = \"us_2021\"\nto = \"dead\"\n")
    }

    #[test]
    fn the_embedded_table_is_used_by_name() {
        let scenario = s(&with_background(BASE)).unwrap();
        let bg = scenario.background.unwrap();
        assert_eq!(bg.to, 1);
        assert_eq!(bg.table.name, "us_2021");
    }

    #[test]
    fn start_ages_outside_the_table_are_errors() {
        let e = err(&with_background(&BASE.replace("start_age = 60", "start_age = 30")));
        assert!(e.contains("the life table has no qx for male age 30 (needed from the cohort start age 30)"), "{e}");
        let e = err(&with_background(&BASE.replace("start_age = 60", "start_age = 130")));
        assert!(
            e.ends_with(
                "cohort.start_age: start age 130 is outside the life table us_2021 (ages 40-119, closed at 120)"
            ),
            "{e}"
        );
    }

    #[test]
    fn background_deaths_go_to_a_dead_state() {
        let e = err(&with_background(BASE).replace("to = \"dead\"\n", "to = \"a\"\n"));
        assert!(e.contains("background_mortality.to: background mortality goes to \"a\", which is alive"), "{e}");
    }

    #[test]
    fn a_csv_table_reports_its_column_by_name() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("lt.csv"), "age,sex,qx\n60,male,0.01\n60,female,x\n").unwrap();
        let text = with_background(BASE).replace("\"us_2021\"", "\"lt.csv\"");
        let e = super::super::super::Scenario::from_toml("t.toml", &text, dir.path()).unwrap_err().to_string();
        assert!(e.contains("lt.csv:3: column \"qx\": \"x\" is not a number"), "{e}");
    }
}
