//! The scenario's CSV inputs (parameter libraries, life tables) read by column name.
//!
//! Every cell is looked up by its header name and parsed here, so a bad cell is reported as
//! `p.csv:3: column "value": "abc" is not a number` (file, 1-based line, column name, value)
//! instead of serde's `field 1: invalid float literal`. Lines are never 0: a row whose position
//! the reader does not know is placed after the previous one.

use crate::error::{Error, FormatRule, Location, Result};
use std::path::Path;
use std::rc::Rc;

/// One data row of a CSV file, with its line.
pub struct CsvRow {
    file: Rc<Path>,
    headers: Rc<csv::StringRecord>,
    record: csv::StringRecord,
    /// 1-based line in the file.
    pub line: u64,
}

/// Reads every data row; the columns of `required` (comma-separated, e.g. `"age,sex,qx"`) must be
/// in the header, in any order. `file` names the file in messages.
///
/// # Errors
/// [`Error::FileFormat`] on line 1 for a missing column ([`FormatRule::MissingColumn`]), on the
/// row's line for a malformed row ([`FormatRule::Fields`], or [`FormatRule::Csv`] for what the
/// CSV reader itself refuses).
pub fn read_rows(file: &str, text: &str, required: &'static str) -> Result<Vec<CsvRow>> {
    let file: Rc<Path> = Rc::from(Path::new(file));
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let headers = reader.headers().map_err(|e| row_error(&file, 1, e))?.clone();
    for column in required.split(',').filter(|c| !c.is_empty()) {
        if !headers.iter().any(|h| h.trim() == column) {
            let rule = FormatRule::MissingColumn {
                column,
                header: headers.iter().collect::<Vec<_>>().join(","),
                needed: required,
            };
            return Err(located(&file, 1, None, rule));
        }
    }
    let headers = Rc::new(headers);
    let mut rows = Vec::new();
    let mut last_line = 1;
    for record in reader.records() {
        let record = record.map_err(|e| row_error(&file, last_line + 1, e))?;
        let line = record.position().map_or(last_line + 1, |p| p.line().max(1));
        last_line = line;
        rows.push(CsvRow { file: file.clone(), headers: headers.clone(), record, line });
    }
    Ok(rows)
}

/// An [`Error::FileFormat`] at `line` (and `column`) of `file`.
fn located(file: &Path, line: u64, column: Option<&str>, rule: FormatRule) -> Error {
    Error::FileFormat {
        location: Location::Csv { file: file.to_path_buf(), line, column: column.map(str::to_string) },
        rule,
    }
}

fn row_error(file: &Path, fallback_line: u64, e: csv::Error) -> Error {
    let line = e.position().map_or(fallback_line, |p| p.line().max(1));
    let rule = match e.kind() {
        csv::ErrorKind::UnequalLengths { expected_len, len, .. } => {
            FormatRule::Fields { found: *len as usize, expected: *expected_len as usize }
        }
        _ => FormatRule::Csv { message: e.to_string() },
    };
    located(file, line, None, rule)
}

impl CsvRow {
    /// The trimmed cell of `column`; `None` if the column is absent or the cell is empty.
    pub fn text(&self, column: &str) -> Option<&str> {
        let i = self.headers.iter().position(|h| h.trim() == column)?;
        self.record.get(i).map(str::trim).filter(|s| !s.is_empty())
    }

    /// The cell of a column that must not be empty.
    ///
    /// # Errors
    /// [`FormatRule::Empty`] naming the column when the cell is empty.
    pub fn required_text(&self, column: &str) -> Result<&str> {
        self.text(column).ok_or_else(|| self.error(Some(column), FormatRule::Empty))
    }

    /// The number in a column; `None` for an empty cell.
    ///
    /// # Errors
    /// [`FormatRule::NotANumber`] naming the column and the text when it is not a number.
    pub fn number(&self, column: &str) -> Result<Option<f64>> {
        match self.text(column) {
            None => Ok(None),
            Some(text) => text
                .parse::<f64>()
                .map(Some)
                .map_err(|_| self.error(Some(column), FormatRule::NotANumber { value: text.to_string() })),
        }
    }

    /// The number in a column that must not be empty.
    ///
    /// # Errors
    /// As [`CsvRow::number`], and for an empty cell.
    pub fn required_number(&self, column: &str) -> Result<f64> {
        self.number(column)?.ok_or_else(|| self.error(Some(column), FormatRule::Empty))
    }

    /// An [`Error::FileFormat`] on this row's line, in `column` when given.
    pub fn error(&self, column: Option<&str>, rule: FormatRule) -> Error {
        located(&self.file, self.line, column, rule)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_are_found_by_header_name() {
        let rows = read_rows("p.csv", "name,value\nx, 0.5 \ny,\n", "name,value").unwrap();
        assert_eq!(rows[0].text("name"), Some("x"));
        assert_eq!(rows[0].number("value").unwrap(), Some(0.5));
        assert_eq!(rows[1].number("value").unwrap(), None);
        assert_eq!(rows[1].line, 3);
        assert_eq!(rows[0].text("absent"), None);
    }

    #[test]
    fn errors_name_the_line_and_the_column() {
        let rows = read_rows("p.csv", "name,value\nx,1\nz,abc\n", "name").unwrap();
        assert_eq!(
            rows[1].number("value").unwrap_err().to_string(),
            "p.csv:3: column \"value\": \"abc\" is not a number"
        );
        assert_eq!(
            rows[1].required_text("missing").unwrap_err().to_string(),
            "p.csv:3: column \"missing\": is empty; every row needs a value in this column"
        );
        let e = read_rows("p.csv", "name,value\nx,1\ny\n", "").err().unwrap().to_string();
        assert_eq!(e, "p.csv:3: the row has 1 fields but the header has 2");
        let e = read_rows("p.csv", "name,value\nx,1\ny\n", "").err().unwrap();
        assert!(matches!(e, Error::FileFormat { rule: FormatRule::Fields { found: 1, expected: 2 }, .. }), "{e:?}");
        let e = read_rows("p.csv", "name\nx\n", "name,value").err().unwrap().to_string();
        assert_eq!(e, "p.csv:1: missing column \"value\" (the header has: name; needed: name,value)");
    }
}
