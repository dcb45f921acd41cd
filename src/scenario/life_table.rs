//! General-population life tables: annual probabilities of death (qx) by single year of age and sex.
//!
//! Receives a CSV with columns `age,sex,qx` (the shape of `shared/evidence/lifetable_us_2021.csv`)
//! or the embedded US 2021 table, checks it (ages contiguous per sex, qx in [0, 1]) and hands the
//! model a lookup by age and sex. The model turns qx into a constant hazard within each year of
//! age, mu = -ln(1 - qx), and integrates it over each cycle.

use super::csv_rows::read_rows;
use super::numbers::short;
use crate::error::{Error, FormatRule, Location, Result};
use std::path::PathBuf;

/// The SSA 2021 period life table (2024 Trustees Report, table 4.C6), ages 40-119, both sexes.
///
/// Source: transcribed in `shared/evidence/lifetable_us_2021.csv` (see `data/README.md`).
pub const US_2021_CSV: &str = include_str!("../../data/lifetable_us_2021.csv");

/// Oldest age a life table may list (a bound that keeps age arithmetic far from overflow).
pub const MAX_AGE: u32 = 150;

/// Name of the embedded table in scenario files (`life_table = "us_2021"`).
pub const US_2021: &str = "us_2021";

/// Sex, for background mortality.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Sex {
    Male,
    Female,
}

impl Sex {
    /// Lower-case name, as in the life-table CSV.
    pub fn as_str(self) -> &'static str {
        match self {
            Sex::Male => "male",
            Sex::Female => "female",
        }
    }
}

/// A checked life table.
#[derive(Debug, Clone)]
pub struct LifeTable {
    /// Where it came from (`us_2021` or the CSV path).
    pub name: String,
    male: AgeSeries,
    female: AgeSeries,
}

#[derive(Debug, Clone)]
struct AgeSeries {
    first_age: u32,
    qx: Vec<f64>,
}

impl LifeTable {
    /// The embedded US 2021 table.
    pub fn us_2021() -> LifeTable {
        LifeTable::from_csv(US_2021, US_2021_CSV).expect("embedded life table is valid")
    }

    /// Reads a table from CSV text with header `age,sex,qx`; `name` names the file in messages.
    ///
    /// # Errors
    /// [`Error::FileFormat`] with the line (and the column, by header name) when a row is
    /// malformed, an age is not a whole number or above [`MAX_AGE`], a sex is not `male`/`female`,
    /// qx is outside [0, 1], the ages of a sex are not contiguous and increasing, or a sex has no
    /// rows.
    pub fn from_csv(name: &str, text: &str) -> Result<LifeTable> {
        let mut male = AgeSeries { first_age: 0, qx: Vec::new() };
        let mut female = AgeSeries { first_age: 0, qx: Vec::new() };
        for row in read_rows(name, text, "age,sex,qx")? {
            let age_text = row.required_text("age")?;
            let age: u32 = age_text
                .parse()
                .map_err(|_| row.error(Some("age"), FormatRule::NotAWholeNumber { value: age_text.to_string() }))?;
            if age > MAX_AGE {
                let rule = FormatRule::AboveLimit {
                    value: age.into(),
                    what: "the oldest age a table may have",
                    limit: MAX_AGE.into(),
                };
                return Err(row.error(Some("age"), rule));
            }
            let sex = row.required_text("sex")?;
            let qx = row.required_number("qx")?;
            let (series, what) = match sex {
                "male" => (&mut male, "male age"),
                "female" => (&mut female, "female age"),
                other => {
                    let rule = FormatRule::Unknown { value: other.to_string(), known: "male, female".to_string() };
                    return Err(row.error(Some("sex"), rule));
                }
            };
            if !(0.0..=1.0).contains(&qx) {
                let rule = FormatRule::Range { value: short(&qx), rule: "is not a probability in [0, 1]" };
                return Err(row.error(Some("qx"), rule));
            }
            if series.qx.is_empty() {
                series.first_age = age;
            } else if age != series.first_age + series.qx.len() as u32 {
                let previous = series.first_age + series.qx.len() as u32 - 1;
                let rule = FormatRule::NotContiguous { what, value: age.into(), previous: previous.into() };
                return Err(row.error(Some("age"), rule));
            }
            series.qx.push(qx);
        }
        for (sex, series) in [("male", &male), ("female", &female)] {
            if series.qx.is_empty() {
                return Err(Error::FileFormat {
                    location: Location::Csv { file: PathBuf::from(name), line: 1, column: None },
                    rule: FormatRule::MissingRows { what: sex },
                });
            }
        }
        Ok(LifeTable { name: name.to_string(), male, female })
    }

    fn series(&self, sex: Sex) -> &AgeSeries {
        match sex {
            Sex::Male => &self.male,
            Sex::Female => &self.female,
        }
    }

    /// First age with a qx for this sex.
    pub fn first_age(&self, sex: Sex) -> u32 {
        self.series(sex).first_age
    }

    /// Last age with a qx for this sex; the table closes after it (death is certain by `last + 1`).
    pub fn last_age(&self, sex: Sex) -> u32 {
        let s = self.series(sex);
        s.first_age + s.qx.len() as u32 - 1
    }

    /// qx at an age, or `None` below the first age; above the last age the table is closed (1.0).
    pub fn qx(&self, sex: Sex, age: u32) -> Option<f64> {
        let s = self.series(sex);
        if age < s.first_age { None } else { Some(s.qx.get((age - s.first_age) as usize).copied().unwrap_or(1.0)) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_table_matches_the_evidence_spot_values() {
        // Spot values quoted in shared/evidence/README.md section 7.
        let t = LifeTable::us_2021();
        assert_eq!(t.qx(Sex::Male, 40), Some(0.003780));
        assert_eq!(t.qx(Sex::Male, 65), Some(0.019914));
        assert_eq!(t.qx(Sex::Male, 80), Some(0.064617));
        assert_eq!(t.qx(Sex::Female, 40), Some(0.002066));
        assert_eq!(t.qx(Sex::Female, 65), Some(0.012216));
        assert_eq!(t.qx(Sex::Female, 80), Some(0.046324));
        assert_eq!(t.first_age(Sex::Female), 40);
        assert_eq!(t.last_age(Sex::Male), 119);
        assert_eq!(t.qx(Sex::Male, 39), None);
        assert_eq!(t.qx(Sex::Male, 120), Some(1.0));
    }

    #[test]
    fn gaps_and_bad_values_are_reported_with_line() {
        let gap = "age,sex,qx\n40,male,0.1\n42,male,0.1\n40,female,0.1\n";
        let e = LifeTable::from_csv("t.csv", gap).unwrap_err().to_string();
        assert_eq!(
            e,
            "t.csv:3: column \"age\": male age 42 follows 40; male ages must be contiguous and increasing: one row for each, in order"
        );
        let bad = "age,sex,qx\n40,male,1.5\n";
        let e = LifeTable::from_csv("t.csv", bad).unwrap_err().to_string();
        assert_eq!(e, "t.csv:2: column \"qx\": 1.5 is not a probability in [0, 1]");
        let sex = "age,sex,qx\n40,other,0.1\n";
        let e = LifeTable::from_csv("t.csv", sex).unwrap_err().to_string();
        assert_eq!(e, "t.csv:2: column \"sex\": \"other\" is not one of: male, female");
        let text = "age,sex,qx\n40,male,abc\n";
        let e = LifeTable::from_csv("t.csv", text).unwrap_err().to_string();
        assert_eq!(e, "t.csv:2: column \"qx\": \"abc\" is not a number");
        let e = LifeTable::from_csv("t.csv", "age,qx\n40,0.1\n").unwrap_err().to_string();
        assert!(e.starts_with("t.csv:1: missing column \"sex\""), "{e}");
        let e = LifeTable::from_csv("t.csv", "age,sex,qx\n40.5,male,0.1\n").unwrap_err().to_string();
        assert_eq!(e, "t.csv:2: column \"age\": \"40.5\" is not a whole number");
        let e = LifeTable::from_csv("t.csv", "age,sex,qx\n151,male,0.1\n").unwrap_err().to_string();
        assert_eq!(e, "t.csv:2: column \"age\": 151 is above the oldest age a table may have (150)");
        let e = LifeTable::from_csv("t.csv", "age,sex,qx\n40,male,0.1\n").unwrap_err().to_string();
        assert_eq!(e, "t.csv:1: no rows for female");
    }
}
