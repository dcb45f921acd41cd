//! `psa_draws.csv`: one row per PSA draw and strategy, read back for EVPPI and the report.

use crate::error::{Error, Result};
use std::path::Path;

/// Name of the per-draw rows file of a complete PSA run or shard.
pub const ROWS_FILE: &str = "psa_draws.csv";

/// Per-draw values read back from a `psa_draws.csv`.
#[derive(Debug, Clone, PartialEq)]
pub struct DrawTable {
    pub strategies: Vec<String>,
    pub parameters: Vec<String>,
    /// Per draw: per strategy (cost, QALYs).
    pub outcomes: Vec<Vec<(f64, f64)>>,
    /// Per draw: parameter values.
    pub values: Vec<Vec<f64>>,
}

/// Reads `psa_draws.csv` (rows grouped by draw, one per strategy).
///
/// # Errors
/// [`Error::Read`] or [`Error::Csv`] with the line of a malformed row.
pub fn read_draws(path: &Path) -> Result<DrawTable> {
    let file = path.display().to_string();
    let csv_err = |line: u64, message: String| Error::Csv { file: file.clone(), line, message };
    let mut reader = ::csv::Reader::from_path(path).map_err(|e| match e.into_kind() {
        ::csv::ErrorKind::Io(source) => Error::Read { path: path.to_path_buf(), source },
        other => Error::Csv { file: file.clone(), line: 1, message: format!("{other:?}") },
    })?;
    let headers = reader.headers().map_err(|e| csv_err(1, e.to_string()))?.clone();
    if headers.iter().take(5).collect::<Vec<_>>() != ["draw", "strategy", "cost", "qaly", "life_years"] {
        return Err(csv_err(1, "expected the header of psa_draws.csv (draw,strategy,cost,qaly,life_years,...)".into()));
    }
    let parameters: Vec<String> = headers.iter().skip(5).map(String::from).collect();
    let mut table = DrawTable { strategies: Vec::new(), parameters, outcomes: Vec::new(), values: Vec::new() };
    let mut current: Option<u64> = None;
    for record in reader.records() {
        let r = record.map_err(|e| csv_err(e.position().map_or(0, |p| p.line()), e.to_string()))?;
        let line = r.position().map_or(0, |p| p.line());
        let num = |i: usize| -> Result<f64> {
            r.get(i)
                .and_then(|v| v.parse().ok())
                .ok_or_else(|| csv_err(line, format!("column {} is not a number", i + 1)))
        };
        let draw = num(0)? as u64;
        if current != Some(draw) {
            current = Some(draw);
            table.outcomes.push(Vec::new());
            table.values.push((5..r.len()).map(num).collect::<Result<_>>()?);
        }
        let strategy = r.get(1).unwrap_or_default().to_string();
        let outcomes = table.outcomes.last_mut().expect("pushed above");
        if table.values.len() == 1 {
            table.strategies.push(strategy);
        } else if table.strategies.get(outcomes.len()) != Some(&strategy) {
            return Err(csv_err(line, format!("strategy \"{strategy}\" out of order (expected the order of draw 0)")));
        }
        outcomes.push((num(2)?, num(3)?));
    }
    Ok(table)
}
