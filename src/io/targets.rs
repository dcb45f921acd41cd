//! Calibration targets and trial points: `strategy,curve,years,value,lower,upper,source`.

use crate::error::{Error, Result};
use serde::Deserialize;
use std::path::Path;

/// One calibration target.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Target {
    /// Strategy name (empty: the first strategy).
    #[serde(default)]
    pub strategy: String,
    /// `overall_survival`, `transplant_free_survival`, `occupancy:<state>` or `entered:<state>`
    /// (cumulative share who have entered the state).
    pub curve: String,
    pub years: f64,
    pub value: f64,
    #[serde(default)]
    pub lower: Option<f64>,
    #[serde(default)]
    pub upper: Option<f64>,
    #[serde(default)]
    pub source: String,
}

impl Target {
    /// Standard error implied by the 95% interval, or 1.
    pub fn se(&self) -> f64 {
        match (self.lower, self.upper) {
            (Some(lo), Some(hi)) if hi > lo => (hi - lo) / (2.0 * 1.959963984540054),
            _ => 1.0,
        }
    }
}

/// Reads targets from CSV with columns `strategy,curve,years,value,lower,upper,source`.
///
/// # Errors
/// [`Error::Read`] or [`Error::Csv`] with the line.
pub fn read_targets(path: &Path) -> Result<Vec<Target>> {
    let file = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|source| Error::Read { path: path.to_path_buf(), source })?;
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let headers =
        reader.headers().map_err(|e| Error::Csv { file: file.clone(), line: 1, message: e.to_string() })?.clone();
    let mut out = Vec::new();
    for record in reader.records() {
        let r = record.map_err(|e| Error::Csv {
            file: file.clone(),
            line: e.position().map_or(0, |p| p.line()),
            message: e.to_string(),
        })?;
        let line = r.position().map_or(0, |p| p.line());
        let t: Target = r.deserialize(Some(&headers)).map_err(|e| Error::Csv {
            file: file.clone(),
            line,
            message: format!("{e} (columns: strategy,curve,years,value,lower,upper,source)"),
        })?;
        out.push(t);
    }
    Ok(out)
}
