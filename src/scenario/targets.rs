//! Calibration targets and trial points: `strategy,curve,years,value,lower,upper,source`, with an
//! optional `start` column (the state the target's cohort starts in), read from a CSV file or
//! stated in the scenario's `[calibration]` table. They are model inputs, so they live with the
//! scenario (like parameter files), not with the outputs `io` reads back.
//!
//! Every target is a share of the cohort at a time: a survival probability, an occupancy, or the
//! cumulative share who have entered a state. Values and intervals are therefore in [0, 1] (a
//! value of 64 is refused with the fix "write 0.64 for 64%"), years are finite and >= 0, and an
//! interval has both ends with lower <= value <= upper. Each problem is reported with the file,
//! the line and the column.

use crate::error::{Error, FormatRule, Location, Result};
use serde::Deserialize;
use std::path::{Path, PathBuf};

/// The columns of a targets file.
pub const HEADER: &str = "strategy,curve,years,value,lower,upper,source";

/// One calibration target.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Target {
    /// Strategy name (empty: the first strategy).
    #[serde(default)]
    pub strategy: String,
    /// The state every member of the target's cohort starts in (empty: the scenario's start
    /// distribution), e.g. `transplant` for survival after transplant.
    #[serde(default)]
    pub start: String,
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
    /// 1-based line in the targets file.
    #[serde(skip)]
    pub line: u64,
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

/// What a target's `curve` names: the form every reader of targets understands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Curve<'a> {
    /// `overall_survival` or `transplant_free_survival`: a survival curve by that name.
    Survival(&'a str),
    /// `occupancy:<state>`: the share in the state.
    Occupancy(&'a str),
    /// `entered:<state>`: the cumulative share who have entered the state.
    Entered(&'a str),
}

impl<'a> Curve<'a> {
    /// The curves, in words, for messages.
    pub const KNOWN: &'static str = "overall_survival, transplant_free_survival, occupancy:<state>, entered:<state>";

    /// Reads `curve`; `None` for a curve of no known form (the state is not checked here).
    pub fn parse(curve: &'a str) -> Option<Curve<'a>> {
        match curve.split_once(':') {
            None if curve == "overall_survival" || curve == "transplant_free_survival" => Some(Curve::Survival(curve)),
            Some(("occupancy", state)) => Some(Curve::Occupancy(state)),
            Some(("entered", state)) => Some(Curve::Entered(state)),
            _ => None,
        }
    }

    /// The state the curve names, if any.
    pub fn state(self) -> Option<&'a str> {
        match self {
            Curve::Survival(_) => None,
            Curve::Occupancy(state) | Curve::Entered(state) => Some(state),
        }
    }
}

/// The targets of one file.
#[derive(Debug, Clone, PartialEq)]
pub struct Targets {
    pub file: PathBuf,
    pub rows: Vec<Target>,
}

impl Targets {
    /// A located error about `column` of the target on `line`.
    pub fn error(&self, line: u64, column: &str, rule: FormatRule) -> Error {
        Error::FileFormat {
            location: Location::Csv { file: self.file.clone(), line, column: Some(column.into()) },
            rule,
        }
    }
}

/// Reads and checks a targets file.
///
/// # Errors
/// [`Error::Read`] if it cannot be read; [`Error::FileFormat`] with file, line and column for a
/// missing column, a value that is not a number, a file without targets, or a value, year or
/// interval out of range.
pub fn read_targets(path: &Path) -> Result<Targets> {
    let text = std::fs::read(path).map_err(|source| Error::Read { path: path.to_path_buf(), cause: source })?;
    parse(path, &text)
}

/// Parses the bytes of a targets file (named `path` in messages).
///
/// # Errors
/// As [`read_targets`].
pub fn parse(path: &Path, bytes: &[u8]) -> Result<Targets> {
    let file = path.to_path_buf();
    let located = |line: u64, column: Option<String>, rule| Error::FileFormat {
        location: Location::Csv { file: file.clone(), line, column },
        rule,
    };
    let mut reader = csv::Reader::from_reader(bytes);
    let headers = reader.headers().map_err(|e| located(1, None, FormatRule::Csv { message: e.to_string() }))?.clone();
    for required in ["curve", "years", "value"] {
        if !headers.iter().any(|h| h == required) {
            return Err(located(1, None, FormatRule::Header { expected: HEADER }));
        }
    }
    let mut rows = Vec::new();
    for record in reader.records() {
        let r = record.map_err(|e| {
            located(e.position().map_or(1, |p| p.line()), None, FormatRule::Csv { message: e.to_string() })
        })?;
        let line = r.position().map_or(1, |p| p.line());
        let mut t: Target = r.deserialize(Some(&headers)).map_err(|e| match e.kind() {
            csv::ErrorKind::Deserialize { err, .. } => {
                let column = err.field().and_then(|i| headers.get(i as usize)).map(String::from);
                let value = err.field().and_then(|i| r.get(i as usize)).unwrap_or_default().to_string();
                let rule = match err.kind() {
                    csv::DeserializeErrorKind::ParseFloat(_) => FormatRule::NotANumber { value },
                    _ => FormatRule::Csv { message: err.to_string() },
                };
                located(line, column, rule)
            }
            _ => located(line, None, FormatRule::Csv { message: e.to_string() }),
        })?;
        t.line = line;
        check(&t).map_err(|(column, rule)| located(line, Some(column.to_string()), rule))?;
        rows.push(t);
    }
    if rows.is_empty() {
        return Err(located(1, None, FormatRule::NoRows { what: "targets" }));
    }
    Ok(Targets { file, rows })
}

/// The rules every target keeps, whatever it is read from: the column and the rule it breaks.
///
/// # Errors
/// The column (`years`, `value`, `lower`, `upper`) and the rule.
pub fn check(t: &Target) -> std::result::Result<(), (&'static str, FormatRule)> {
    let range = |v: f64, rule| FormatRule::Range { value: crate::error::number(v), rule };
    if !(t.years.is_finite() && t.years >= 0.0) {
        return Err(("years", range(t.years, "is not a time: years must be finite and >= 0")));
    }
    for (column, v) in [("value", Some(t.value)), ("lower", t.lower), ("upper", t.upper)] {
        let Some(v) = v else { continue };
        if !v.is_finite() {
            return Err((column, FormatRule::NotFinite { value: v.to_string() }));
        }
        if v > 1.0 && v <= 100.0 {
            return Err((column, range(v, "is not a share in [0, 1]: targets are proportions; write 0.64 for 64%")));
        }
        if !(0.0..=1.0).contains(&v) {
            return Err((column, range(v, "is not a share in [0, 1]")));
        }
    }
    match (t.lower, t.upper) {
        (None, None) => Ok(()),
        (Some(_), None) => Err(("upper", FormatRule::Unpaired { given: "lower" })),
        (None, Some(_)) => Err(("lower", FormatRule::Unpaired { given: "upper" })),
        (Some(lo), Some(hi)) if lo > hi => Err(("lower", range(lo, "is above upper: the interval is swapped"))),
        (Some(lo), Some(hi)) if !(lo <= t.value && t.value <= hi) => {
            Err(("value", range(t.value, "lies outside its interval [lower, upper]")))
        }
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_text(text: &str) -> Result<Targets> {
        parse(Path::new("t.csv"), text.as_bytes())
    }

    #[test]
    fn good_file_is_read_with_lines() {
        let t = parse_text(&format!(
            "{HEADER}\nstandard_care,overall_survival,2,0.52,0.49,0.67,\"a, b\"\n,overall_survival,1,0.7,,,\n"
        ))
        .unwrap();
        assert_eq!(t.rows.len(), 2);
        assert_eq!(t.rows[0].line, 2);
        assert_eq!(t.rows[1].line, 3);
        assert_eq!(t.rows[0].source, "a, b");
        assert_eq!(t.rows[1].lower, None);
        assert!((t.rows[0].se() - 0.18 / 3.919927969080108).abs() < 1e-15);
    }

    /// Issue 10: targets in percent, empty files, negative years and swapped intervals passed.
    #[test]
    fn bad_targets_name_file_line_and_column() {
        let cases = [
            (format!("{HEADER}\n"), "t.csv:1: has no targets (only a header)"),
            ("".to_string(), "t.csv:1: expected the header"),
            (
                format!("{HEADER}\n,overall_survival,2,52,49,67,\n"),
                "t.csv:2: column \"value\": 52 is not a share in [0, 1]: targets are proportions; write 0.64 for 64%",
            ),
            (format!("{HEADER}\n,overall_survival,-1,0.5,,,\n"), "t.csv:2: column \"years\": -1 is not a time"),
            (
                format!("{HEADER}\n,overall_survival,2,0.5,0.6,0.4,\n"),
                "t.csv:2: column \"lower\": 0.6 is above upper: the interval is swapped",
            ),
            (
                format!("{HEADER}\n,overall_survival,2,0.5,0.1,,\n"),
                "t.csv:2: column \"upper\": is empty while lower is given",
            ),
            (
                format!("{HEADER}\n,overall_survival,2,0.9,0.1,0.3,\n"),
                "t.csv:2: column \"value\": 0.9 lies outside its interval",
            ),
            (format!("{HEADER}\n,overall_survival,two,0.5,,,\n"), "t.csv:2: column \"years\": \"two\" is not a number"),
        ];
        for (text, want) in cases {
            let e = parse_text(&text).unwrap_err().to_string();
            assert!(e.starts_with(want), "{text:?}\n{e}");
        }
    }
}
