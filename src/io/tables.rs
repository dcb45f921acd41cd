//! The result tables of earlier runs that `cirrhosim report` draws: a PSA directory's `ceac.csv`,
//! `survival_psa.csv` and `psa_draws.csv`, and a DSA directory's `dsa.csv`.
//!
//! Each file is read into typed rows (serde). Every way a file can be wrong gives a located
//! [`Error::FileFormat`] (file, line, and the column by its header name), never a panic or a silently
//! wrong figure: an empty or header-only file (an interrupted run), a missing column, a truncated
//! row, a value that is not a number, and a strategy the scenario does not have (a directory
//! written for another scenario). The caller hands the scenario's strategy names as plain
//! strings: this module depends only on [`crate::error`].

use crate::error::{Error, FormatRule, Location, Result};
use crate::io::draws::DrawTable;
use serde::Deserialize;
use serde::de::DeserializeOwned;
use std::path::{Path, PathBuf};

/// The acceptability curves of a PSA directory.
pub const CEAC_FILE: &str = "ceac.csv";
/// The survival band of a PSA directory.
pub const SURVIVAL_BAND_FILE: &str = "survival_psa.csv";
/// The one-way results of a DSA directory.
pub const DSA_FILE: &str = "dsa.csv";
/// The two-way grid of a DSA directory (only with `dsa --two-way`).
pub const TWO_WAY_FILE: &str = "dsa_two_way.csv";
/// The EVPPI results `cirrhosim evppi` adds to a PSA directory.
pub const EVPPI_FILE: &str = "evppi.csv";

/// One row of `ceac.csv`: the probability that `strategy` is cost-effective at `wtp`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct CeacRow {
    /// The subgroup of a PSA `--by` (`all` for the whole population); `None` without `--by`
    /// (the file then has no `subgroup` column).
    #[serde(default)]
    pub subgroup: Option<String>,
    /// Willingness to pay per QALY.
    pub wtp: f64,
    pub strategy: String,
    /// Share of draws in which the strategy has the highest net monetary benefit.
    pub probability_cost_effective: f64,
    /// Whether the strategy has the highest expected net monetary benefit at this `wtp`.
    pub on_frontier: bool,
}

/// One row of `survival_psa.csv`: the median and 95% interval across draws of overall survival
/// of `strategy` at `cycle`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct SurvivalBandRow {
    pub strategy: String,
    pub cycle: u64,
    pub years: f64,
    pub median: f64,
    pub lower: f64,
    pub upper: f64,
}

/// One row of `dsa.csv`: an outcome (`inc_nmb` or `icer`) at the low and high value of one
/// parameter. A result that was not finite (an ICER with no QALY difference) is written empty
/// and read as `None`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct DsaRow {
    pub parameter: String,
    pub low_value: f64,
    pub high_value: f64,
    pub outcome: String,
    pub low_result: Option<f64>,
    pub high_result: Option<f64>,
    pub base: Option<f64>,
}

/// One row of `dsa_two_way.csv`: the comparison at one point of a two-way grid. An ICER that was
/// not finite is written empty and read as `None`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct TwoWayRow {
    pub x_parameter: String,
    pub x_value: f64,
    pub y_parameter: String,
    pub y_value: f64,
    pub inc_cost: f64,
    pub inc_qaly: f64,
    pub icer: Option<f64>,
    pub inc_nmb: f64,
}

/// One row of `evppi.csv`: the EVPPI per person of a group of parameters (names joined by `+`)
/// at one willingness to pay, with the EVPI at the same WTP.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct EvppiRow {
    pub parameters: String,
    pub wtp: f64,
    pub evppi_per_person: f64,
    pub evpi_per_person: f64,
    pub terms: u64,
}

/// The columns each row type needs, in the order the tool writes them.
const CEAC_HEADER: &str = "wtp,strategy,probability_cost_effective,on_frontier";
const SURVIVAL_BAND_HEADER: &str = "strategy,cycle,years,median,lower,upper";
const DSA_HEADER: &str = "parameter,low_value,high_value,outcome,low_result,high_result,base";
const TWO_WAY_HEADER: &str = "x_parameter,x_value,y_parameter,y_value,inc_cost,inc_qaly,icer,inc_nmb";
const EVPPI_HEADER: &str = "parameters,wtp,evppi_per_person,evpi_per_person,terms";

/// Reads a PSA's `ceac.csv`; every strategy must be one of `strategies`.
///
/// # Errors
/// [`Error::Read`] if the file cannot be read; [`Error::FileFormat`] with the line (and the column
/// by name) of the first problem, including a file with no rows.
///
/// # Examples
/// ```
/// let dir = tempfile::tempdir()?;
/// let path = dir.path().join("ceac.csv");
/// std::fs::write(&path, "wtp,strategy,probability_cost_effective,on_frontier\n0,a,1,true\n0,b,abc,false\n")?;
/// let e = cirrhosim::io::tables::read_ceac(&path, &["a".into(), "b".into()]).unwrap_err();
/// assert!(e.to_string().ends_with("ceac.csv:3: column \"probability_cost_effective\": \"abc\" is not a number"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn read_ceac(path: &Path, strategies: &[String]) -> Result<Vec<CeacRow>> {
    let rows = read_rows::<CeacRow>(path, CEAC_HEADER)?;
    check_strategies(path, rows.iter().map(|(line, r)| (*line, r.strategy.as_str())), strategies)?;
    Ok(rows.into_iter().map(|(_, r)| r).collect())
}

/// Reads a PSA's `survival_psa.csv`; every strategy must be one of `strategies`.
///
/// # Errors
/// As [`read_ceac`].
pub fn read_survival_band(path: &Path, strategies: &[String]) -> Result<Vec<SurvivalBandRow>> {
    let rows = read_rows::<SurvivalBandRow>(path, SURVIVAL_BAND_HEADER)?;
    check_strategies(path, rows.iter().map(|(line, r)| (*line, r.strategy.as_str())), strategies)?;
    Ok(rows.into_iter().map(|(_, r)| r).collect())
}

/// Reads a DSA's `dsa.csv`.
///
/// # Errors
/// As [`read_ceac`].
pub fn read_dsa(path: &Path) -> Result<Vec<DsaRow>> {
    Ok(read_rows::<DsaRow>(path, DSA_HEADER)?.into_iter().map(|(_, r)| r).collect())
}

/// Reads a DSA's `dsa_two_way.csv`.
///
/// # Errors
/// As [`read_ceac`].
pub fn read_two_way(path: &Path) -> Result<Vec<TwoWayRow>> {
    Ok(read_rows::<TwoWayRow>(path, TWO_WAY_HEADER)?.into_iter().map(|(_, r)| r).collect())
}

/// Reads the `evppi.csv` of a PSA directory.
///
/// # Errors
/// As [`read_ceac`].
pub fn read_evppi(path: &Path) -> Result<Vec<EvppiRow>> {
    Ok(read_rows::<EvppiRow>(path, EVPPI_HEADER)?.into_iter().map(|(_, r)| r).collect())
}

/// Checks that a draw table read from `path` has exactly the scenario's `strategies`, in order.
///
/// # Errors
/// [`FormatRule::DrawStrategies`] naming both lists.
pub fn expect_draw_strategies(path: &Path, table: &DrawTable, strategies: &[String]) -> Result<()> {
    if table.strategies == strategies {
        return Ok(());
    }
    let rule = FormatRule::DrawStrategies { found: table.strategies.join(", "), scenario: strategies.join(", ") };
    Err(located(path.to_path_buf(), 2, None, rule))
}

/// An [`Error::FileFormat`] at `line` (and `column`) of `file`.
fn located(file: PathBuf, line: u64, column: Option<&str>, rule: FormatRule) -> Error {
    Error::FileFormat { location: Location::Csv { file, line, column: column.map(str::to_string) }, rule }
}

/// Reads every row of a CSV file whose header has the columns of `header` (in any order, extra
/// columns ignored), with the line of each row.
fn read_rows<T: DeserializeOwned>(path: &Path, header: &'static str) -> Result<Vec<(u64, T)>> {
    let fail = |line: u64, column: Option<&str>, rule: FormatRule| located(path.to_path_buf(), line, column, rule);
    let csv_error = |e: csv::Error, fallback_line: u64| {
        let line = e.position().map_or(fallback_line, |p| p.line().max(1));
        let rule = match e.kind() {
            csv::ErrorKind::UnequalLengths { expected_len, len, .. } => {
                FormatRule::Fields { found: *len as usize, expected: *expected_len as usize }
            }
            _ => FormatRule::Csv { message: e.to_string() },
        };
        fail(line, None, rule)
    };
    let bytes = std::fs::read(path).map_err(|cause| Error::Read { path: path.to_path_buf(), cause })?;
    let mut reader = csv::Reader::from_reader(bytes.as_slice());
    let headers = reader.headers().map_err(|e| csv_error(e, 1))?.clone();
    if headers.is_empty() || (headers.len() == 1 && headers[0].is_empty()) {
        return Err(fail(1, None, FormatRule::EmptyFile { expected: header }));
    }
    if let Some(missing) = header.split(',').find(|c| !headers.iter().any(|h| h == *c)) {
        let rule = FormatRule::MissingColumn {
            column: missing,
            header: headers.iter().collect::<Vec<_>>().join(","),
            needed: header,
        };
        return Err(fail(1, None, rule));
    }
    let mut rows = Vec::new();
    let mut last_line = 1;
    for record in reader.records() {
        let record = record.map_err(|e| csv_error(e, last_line + 1))?;
        let line = record.position().map_or(last_line + 1, |p| p.line().max(1));
        last_line = line;
        let row: T = record.deserialize(Some(&headers)).map_err(|e| match e.kind() {
            csv::ErrorKind::Deserialize { err, .. } => {
                let index = err.field().map(|f| f as usize);
                let column = index.and_then(|i| headers.get(i));
                let value = index.and_then(|i| record.get(i)).unwrap_or("").to_string();
                let rule = match err.kind() {
                    csv::DeserializeErrorKind::ParseFloat(_) => FormatRule::NotANumber { value },
                    csv::DeserializeErrorKind::ParseInt(_) => FormatRule::NotAWholeNumber { value },
                    csv::DeserializeErrorKind::ParseBool(_) => FormatRule::NotABool { value },
                    other => FormatRule::Csv { message: format!("cannot be read: {other}") },
                };
                fail(line, column, rule)
            }
            _ => fail(line, None, FormatRule::Csv { message: e.to_string() }),
        })?;
        rows.push((line, row));
    }
    if rows.is_empty() {
        return Err(fail(1, None, FormatRule::NoRows { what: "rows" }));
    }
    Ok(rows)
}

/// Every strategy named in a file must be one of `known`.
fn check_strategies<'a>(path: &Path, mut rows: impl Iterator<Item = (u64, &'a str)>, known: &[String]) -> Result<()> {
    match rows.find(|(_, name)| !known.iter().any(|k| k == name)) {
        Some((line, name)) => {
            let rule = FormatRule::NotAStrategy { value: name.to_string(), known: known.join(", ") };
            Err(located(path.to_path_buf(), line, Some("strategy"), rule))
        }
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(text: &str) -> (tempfile::TempDir, std::path::PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.csv");
        std::fs::write(&path, text).unwrap();
        (dir, path)
    }

    fn names() -> Vec<String> {
        vec!["a".into(), "b".into()]
    }

    #[test]
    fn reads_rows_in_any_column_order() {
        let (_d, p) = write("strategy,wtp,on_frontier,probability_cost_effective\na,0,true,1\nb,0,false,0\n");
        let rows = read_ceac(&p, &names()).unwrap();
        assert_eq!(
            rows[1],
            CeacRow {
                subgroup: None,
                wtp: 0.0,
                strategy: "b".into(),
                probability_cost_effective: 0.0,
                on_frontier: false
            }
        );
    }

    #[test]
    fn empty_header_only_and_truncated_files_are_located_errors() {
        let file = |p: &std::path::Path| p.display().to_string();
        let (_d, p) = write("");
        assert_eq!(
            read_dsa(&p).unwrap_err().to_string(),
            format!(
                "{}:1: is empty (expected the header parameter,low_value,high_value,outcome,low_result,high_result,base)",
                file(&p)
            )
        );
        let (_d, p) = write("strategy,cycle,years,median,lower,upper\n");
        assert_eq!(
            read_survival_band(&p, &names()).unwrap_err().to_string(),
            format!("{}:1: has no rows (only a header): the run that wrote it did not finish", file(&p))
        );
        let (_d, p) = write("strategy,cycle,years,median,lower,upper\na,0,0,1,1,1\na,1,0.5,0.9");
        assert_eq!(
            read_survival_band(&p, &names()).unwrap_err().to_string(),
            format!("{}:3: the row has 4 fields but the header has 6", file(&p))
        );
        let (_d, p) = write("strategy,cycle,years,median,lower\n");
        assert!(
            read_survival_band(&p, &names()).unwrap_err().to_string().ends_with(
                ":1: missing column \"upper\" (the header has: strategy,cycle,years,median,lower; needed: strategy,cycle,years,median,lower,upper)"
            )
        );
    }

    #[test]
    fn two_way_and_evppi_rows_with_an_empty_icer() {
        let (_d, p) =
            write("x_parameter,x_value,y_parameter,y_value,inc_cost,inc_qaly,icer,inc_nmb\na,1,b,2,10,0,,-10\n");
        let rows = read_two_way(&p).unwrap();
        assert_eq!((rows[0].icer, rows[0].inc_nmb, rows[0].y_value), (None, -10.0, 2.0));
        let (_d, p) =
            write("parameters,wtp,evppi_per_person,evpi_per_person,terms\na+b,20000,12.5,40,6\nc,20000,x,40,6\n");
        assert!(
            read_evppi(&p).unwrap_err().to_string().ends_with(":3: column \"evppi_per_person\": \"x\" is not a number")
        );
    }

    #[test]
    fn bad_values_name_the_column() {
        let (_d, p) = write("wtp,strategy,probability_cost_effective,on_frontier\n0,a,1,yes\n");
        assert_eq!(
            read_ceac(&p, &names()).unwrap_err().to_string(),
            format!("{}:2: column \"on_frontier\": \"yes\" is not true or false", p.display())
        );
        let (_d, p) = write("strategy,cycle,years,median,lower,upper\na,-1,0,1,1,1\n");
        assert!(
            read_survival_band(&p, &names())
                .unwrap_err()
                .to_string()
                .ends_with(":2: column \"cycle\": \"-1\" is not a whole number")
        );
    }

    #[test]
    fn a_strategy_of_another_scenario_is_named() {
        let (_d, p) = write("wtp,strategy,probability_cost_effective,on_frontier\n0,a,1,true\n0,c,0,false\n");
        let e = read_ceac(&p, &names()).unwrap_err().to_string();
        assert!(
            e.ends_with(
                ":3: column \"strategy\": \"c\" is not a strategy of the scenario (a, b); was this file written for another scenario?"
            ),
            "{e}"
        );
    }

    #[test]
    fn empty_dsa_results_are_none() {
        let (_d, p) = write("parameter,low_value,high_value,outcome,low_result,high_result,base\nx,1,2,icer,,5,\n");
        let rows = read_dsa(&p).unwrap();
        assert_eq!((rows[0].low_result, rows[0].high_result, rows[0].base), (None, Some(5.0), None));
    }

    #[test]
    fn draws_must_be_complete_and_of_the_scenario() {
        let header = "draw,strategy,cost,qaly,life_years,p\n";
        let (_d, p) = write(&format!("{header}0,a,1,1,1,0.5\n0,b,2,2,2,0.5\n1,a,1,1,1,0.4\n"));
        let e = crate::io::draws::read(&p).unwrap_err().to_string();
        assert!(e.contains(":4: the last draw (1) has 1 of 2 strategies: the file is truncated"), "{e}");
        let (_d, p) = write(&format!("{header}0,a,1,1,1,0.5\n0,c,2,2,2,0.5\n"));
        let table = crate::io::draws::read(&p).unwrap();
        let e = expect_draw_strategies(&p, &table, &names()).unwrap_err().to_string();
        assert!(e.contains(":2: the draws are for strategies a, c but the scenario has a, b"), "{e}");
        let (_d, p) = write(&format!("{header}0,a,1,1,1,0.5\n0,b,2,2,2,0.5\n"));
        let table = crate::io::draws::read(&p).unwrap();
        assert_eq!(table.outcomes.len(), 1);
        expect_draw_strategies(&p, &table, &names()).unwrap();
    }
}
