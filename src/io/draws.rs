//! `psa_draws.csv`: one row per PSA draw and strategy, written as a PSA runs and read back for
//! EVPPI and the report.
//!
//! Columns: `draw,strategy,cost,qaly,life_years`, then one column per varied parameter with the
//! value drawn. Fields are CSV-quoted where needed (a strategy name may hold a comma). Every
//! draw lists every strategy, in the same order.

use crate::error::{Error, FormatRule, Location, Result};
use std::path::{Path, PathBuf};

/// Name of the per-draw rows file of a complete PSA run or shard.
pub const ROWS_FILE: &str = "psa_draws.csv";

/// The fixed columns, before the parameters'.
pub const COLUMNS: [&str; 5] = ["draw", "strategy", "cost", "qaly", "life_years"];

/// One draw's rows as written: per strategy (name, cost, QALYs, life years), and the values of
/// the varied parameters.
#[derive(Debug, Clone, PartialEq)]
pub struct DrawRows<'a> {
    pub draw: u64,
    pub outcomes: Vec<(&'a str, [f64; 3])>,
    pub values: &'a [f64],
}

/// The header line of `psa_draws.csv` for the given varied parameter names.
pub fn header(parameters: &[String]) -> Vec<u8> {
    let mut w = csv::Writer::from_writer(Vec::new());
    let fields: Vec<&str> = COLUMNS.iter().copied().chain(parameters.iter().map(String::as_str)).collect();
    w.write_record(&fields).expect("writing to memory cannot fail");
    w.into_inner().expect("writing to memory cannot fail")
}

/// The rows of several draws, CSV-encoded: numbers in their shortest round-trip form (ryu's
/// notation: `4000.0`, `1e-7`), which reads back to the same `f64`. A draw's parameter values,
/// the same on each of its strategies' rows, are formatted once; a strategy's name is encoded
/// by the csv crate (quoted when it must be), once per name.
pub fn rows(draws: &[DrawRows<'_>]) -> Vec<u8> {
    let mut out = Vec::new();
    rows_into(draws, &mut out);
    out
}

/// As [`rows`], appended to `out` (a buffer kept from chunk to chunk).
pub fn rows_into(draws: &[DrawRows<'_>], out: &mut Vec<u8>) {
    let (mut integer, mut float) = (itoa::Buffer::new(), ryu::Buffer::new());
    let mut names: Vec<(&str, Vec<u8>)> = Vec::new();
    let mut values = Vec::new();
    for d in draws {
        values.clear();
        for v in d.values {
            values.push(b',');
            values.extend_from_slice(float.format(*v).as_bytes());
        }
        for (strategy, o) in &d.outcomes {
            out.extend_from_slice(integer.format(d.draw).as_bytes());
            out.push(b',');
            let name = match names.iter().position(|(n, _)| n == strategy) {
                Some(i) => &names[i].1,
                None => {
                    names.push((strategy, csv_field(strategy)));
                    &names[names.len() - 1].1
                }
            };
            out.extend_from_slice(name);
            for v in o {
                out.push(b',');
                out.extend_from_slice(float.format(*v).as_bytes());
            }
            out.extend_from_slice(&values);
            out.push(b'\n');
        }
    }
}

/// One CSV field as the csv crate writes it within a record.
fn csv_field(text: &str) -> Vec<u8> {
    // Written as the first of two fields: a lone empty field would be quoted, a field among
    // others is not.
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record([text, ""]).expect("writing to memory cannot fail");
    let mut bytes = w.into_inner().expect("writing to memory cannot fail");
    bytes.truncate(bytes.len() - 2); // the separator and the record's end
    bytes
}

/// Per-draw values read back from a `psa_draws.csv`.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct DrawTable {
    pub strategies: Vec<String>,
    pub parameters: Vec<String>,
    /// The draw numbers, in file order.
    pub draws: Vec<u64>,
    /// Per draw: per strategy (cost, QALYs, life years).
    pub outcomes: Vec<Vec<[f64; 3]>>,
    /// Per draw: parameter values.
    pub values: Vec<Vec<f64>>,
}

struct Reader {
    file: PathBuf,
}

impl Reader {
    fn error(&self, line: u64, column: Option<&str>, rule: FormatRule) -> Error {
        Error::FileFormat {
            location: Location::Csv { file: self.file.clone(), line, column: column.map(String::from) },
            rule,
        }
    }

    fn number(&self, line: u64, column: &str, text: &str) -> Result<f64> {
        let v: f64 = text
            .trim()
            .parse()
            .map_err(|_| self.error(line, Some(column), FormatRule::NotANumber { value: text.into() }))?;
        if !v.is_finite() {
            return Err(self.error(line, Some(column), FormatRule::NotFinite { value: text.into() }));
        }
        Ok(v)
    }
}

/// Reads `psa_draws.csv`.
///
/// # Errors
/// [`Error::Read`] if the file cannot be read; [`Error::FileFormat`] naming the line and column
/// for a wrong header, a field that is not a finite number, a row with the wrong number of
/// fields, strategies out of order, a truncated last draw, or a file without rows.
pub fn read(path: &Path) -> Result<DrawTable> {
    read_keeping(path, None)
}

/// As [`read`], keeping the values of the parameters named in `keep` only (all when `None`;
/// every field is still checked): what the value of information needs of a long run. The file is
/// streamed, not held.
///
/// # Errors
/// As [`read`].
pub fn read_keeping(path: &Path, keep: Option<&[String]>) -> Result<DrawTable> {
    table(path, open(path)?, keep)
}

/// Reads `psa_draws.csv` draw by draw, holding one draw at a time: `each` receives every draw,
/// with the values of the parameters named in `keep` (all when `None`). Returns the strategies
/// and the kept parameters' names.
///
/// # Errors
/// As [`read`].
pub fn stream(path: &Path, keep: Option<&[String]>, each: impl FnMut(Draw<'_>)) -> Result<(Vec<String>, Vec<String>)> {
    scan(path, open(path)?, keep, each)
}

fn open(path: &Path) -> Result<std::io::BufReader<std::fs::File>> {
    let file = std::fs::File::open(path).map_err(|source| Error::Read { path: path.to_path_buf(), cause: source })?;
    Ok(std::io::BufReader::new(file))
}

/// Parses the bytes of a `psa_draws.csv` (named `path` in messages).
///
/// # Errors
/// As [`read`].
pub fn parse(path: &Path, bytes: &[u8]) -> Result<DrawTable> {
    table(path, bytes, None)
}

/// The table of the draws of `input` (named `path` in messages), with the parameters `keep` names.
fn table(path: &Path, input: impl std::io::Read, keep: Option<&[String]>) -> Result<DrawTable> {
    let mut table = DrawTable::default();
    let (strategies, parameters) = scan(path, input, keep, |d| table.push(d))?;
    (table.strategies, table.parameters) = (strategies, parameters);
    Ok(table)
}

/// One draw as read back: its number, per strategy (cost, QALYs, life years), and the values of
/// the kept parameters.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Draw<'a> {
    pub draw: u64,
    pub outcomes: &'a [[f64; 3]],
    pub values: &'a [f64],
}

impl DrawTable {
    fn push(&mut self, d: Draw<'_>) {
        self.draws.push(d.draw);
        self.outcomes.push(d.outcomes.to_vec());
        self.values.push(d.values.to_vec());
    }
}

/// Checks the rows of `input` (named `path` in messages) and hands each complete draw to `each`.
fn scan(
    path: &Path,
    input: impl std::io::Read,
    keep: Option<&[String]>,
    mut each: impl FnMut(Draw<'_>),
) -> Result<(Vec<String>, Vec<String>)> {
    let r = Reader { file: path.to_path_buf() };
    let csv_error = |e: csv::Error| {
        let line = e.position().map_or(1, |p| p.line());
        r.error(line, None, FormatRule::Csv { message: e.to_string() })
    };
    let mut reader = csv::ReaderBuilder::new().flexible(true).from_reader(input);
    let headers = reader.headers().map_err(csv_error)?.clone();
    let expected_header = "draw,strategy,cost,qaly,life_years,<varied parameters>";
    if headers.len() < COLUMNS.len() || headers.iter().zip(COLUMNS).any(|(a, b)| a != b) {
        return Err(r.error(1, None, FormatRule::Header { expected: expected_header }));
    }
    let kept: Vec<bool> =
        headers.iter().skip(COLUMNS.len()).map(|h| keep.is_none_or(|k| k.iter().any(|n| n == h))).collect();
    let parameters: Vec<String> =
        headers.iter().skip(COLUMNS.len()).zip(&kept).filter(|(_, k)| **k).map(|(h, _)| h.to_string()).collect();
    let mut strategies: Vec<String> = Vec::new();
    // The draw being read: its number, first line, outcomes so far and kept values.
    let mut current: Option<u64> = None;
    let mut outcomes: Vec<[f64; 3]> = Vec::new();
    let mut values: Vec<f64> = Vec::new();
    let mut n_draws = 0u64;
    let mut record = csv::StringRecord::new();
    let mut last_line = 1;
    while reader.read_record(&mut record).map_err(csv_error)? {
        let line = record.position().map_or(last_line + 1, |p| p.line());
        last_line = line;
        if record.len() != headers.len() {
            return Err(r.error(line, None, FormatRule::Fields { found: record.len(), expected: headers.len() }));
        }
        let draw_text = &record[0];
        let draw: u64 = draw_text
            .trim()
            .parse()
            .map_err(|_| r.error(line, Some("draw"), FormatRule::NotANumber { value: draw_text.into() }))?;
        let strategy = &record[1];
        let outcome = [
            r.number(line, "cost", &record[2])?,
            r.number(line, "qaly", &record[3])?,
            r.number(line, "life_years", &record[4])?,
        ];
        if current != Some(draw) {
            if let Some(previous) = current {
                if outcomes.len() != strategies.len() {
                    let expected = strategies[outcomes.len()].clone();
                    let found = strategy.to_string();
                    let rule = FormatRule::StrategyOrder { draw: previous, found, expected };
                    return Err(r.error(line, Some("strategy"), rule));
                }
                each(Draw { draw: previous, outcomes: &outcomes, values: &values });
            }
            // Every parameter is checked, in column order; the kept ones are kept.
            values.clear();
            for (i, &keep) in kept.iter().enumerate() {
                let column = COLUMNS.len() + i;
                let v = r.number(line, &headers[column], &record[column])?;
                if keep {
                    values.push(v);
                }
            }
            current = Some(draw);
            outcomes.clear();
            n_draws += 1;
        }
        if n_draws == 1 {
            if strategies.iter().any(|s| s == strategy) {
                let rule = FormatRule::StrategyOrder {
                    draw,
                    found: strategy.to_string(),
                    expected: "a strategy not yet listed".into(),
                };
                return Err(r.error(line, Some("strategy"), rule));
            }
            strategies.push(strategy.to_string());
        } else if strategies.get(outcomes.len()).map(String::as_str) != Some(strategy) {
            let expected = strategies.get(outcomes.len()).cloned().unwrap_or_else(|| "the next draw".into());
            let rule = FormatRule::StrategyOrder { draw, found: strategy.to_string(), expected };
            return Err(r.error(line, Some("strategy"), rule));
        }
        outcomes.push(outcome);
    }
    let Some(last) = current else {
        return Err(r.error(last_line, None, FormatRule::NoRows { what: "draws" }));
    };
    if n_draws > 1 && outcomes.len() != strategies.len() {
        let rule = FormatRule::Truncated { draw: last, found: outcomes.len(), expected: strategies.len() };
        return Err(r.error(last_line, None, rule));
    }
    each(Draw { draw: last, outcomes: &outcomes, values: &values });
    Ok((strategies, parameters))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The rows as the csv crate writes each record field by field: the same bytes, names that
    /// must be quoted included; and they read back to the same numbers.
    #[test]
    fn rows_are_the_csv_crates_records() {
        let values = [4000.0, 1e-7, 0.1 + 0.2, -2.5];
        let names = ["soc", "a,b", "say \"hi\"", "two words", "line\nbreak"];
        let draws: Vec<DrawRows> = (0..3)
            .map(|draw| DrawRows {
                draw,
                outcomes: names.iter().map(|&n| (n, [1.5 * draw as f64, 1.0 / 3.0, 27.75])).collect(),
                values: &values,
            })
            .collect();
        let mut w = csv::Writer::from_writer(Vec::new());
        for d in &draws {
            for (name, o) in &d.outcomes {
                let mut record = vec![d.draw.to_string(), name.to_string()];
                record.extend(o.iter().chain(&values).map(|v| ryu::Buffer::new().format(*v).to_string()));
                w.write_record(&record).unwrap();
            }
        }
        assert_eq!(String::from_utf8(rows(&draws)).unwrap(), String::from_utf8(w.into_inner().unwrap()).unwrap());
        let parameters: Vec<String> = (0..values.len()).map(|i| format!("p{i}")).collect();
        let mut file = header(&parameters);
        file.extend(rows(&draws));
        let table = parse(Path::new("p/psa_draws.csv"), &file).unwrap();
        assert_eq!(table.values[2], values);
        assert_eq!(table.outcomes[2][1], [3.0, 1.0 / 3.0, 27.75]);
    }

    fn parse_text(text: &str) -> Result<DrawTable> {
        parse(Path::new("p/psa_draws.csv"), text.as_bytes())
    }

    #[test]
    fn round_trip_with_quoted_names() {
        let params = vec!["r_a".to_string(), "c,b".to_string()];
        let mut bytes = header(&params);
        let values = [0.5, 1e-3];
        bytes.extend(rows(&[
            DrawRows {
                draw: 0,
                outcomes: vec![("care, usual", [1.0, 2.0, 3.0]), ("msc", [4.0, 5.5, 6.0])],
                values: &values,
            },
            DrawRows {
                draw: 1,
                outcomes: vec![("care, usual", [1.5, 2.0, 3.0]), ("msc", [4.0, 0.1, 6.0])],
                values: &values,
            },
        ]));
        let text = String::from_utf8(bytes).unwrap();
        assert!(
            text.starts_with(
                "draw,strategy,cost,qaly,life_years,r_a,\"c,b\"\n0,\"care, usual\",1.0,2.0,3.0,0.5,0.001\n"
            )
        );
        let t = parse_text(&text).unwrap();
        assert_eq!(t.strategies, vec!["care, usual", "msc"]);
        assert_eq!(t.parameters, params);
        assert_eq!(t.draws, vec![0, 1]);
        assert_eq!(t.outcomes[1][1], [4.0, 0.1, 6.0]);
        assert_eq!(t.values[0], vec![0.5, 1e-3]);
    }

    #[test]
    fn bad_files_are_located_errors() {
        let h = "draw,strategy,cost,qaly,life_years,x\n";
        let cases = [
            ("", "p/psa_draws.csv:1: expected the header"),
            (h, "p/psa_draws.csv:1: has no draws (only a header)"),
            ("a,b\n", "p/psa_draws.csv:1: expected the header"),
            (&format!("{h}0,a,1,2,3,4\n0,b,1,2\n"), "p/psa_draws.csv:3: the row has 4 fields but the header has 6"),
            (&format!("{h}0,a,1,NaN,3,4\n"), "p/psa_draws.csv:2: column \"qaly\": NaN is not a finite number"),
            (&format!("{h}0,a,1,2,3,zz\n"), "p/psa_draws.csv:2: column \"x\": \"zz\" is not a number"),
            (
                &format!("{h}0,a,1,2,3,4\n0,b,1,2,3,4\n1,a,1,2,3,4\n"),
                "p/psa_draws.csv:4: the last draw (1) has 1 of 2 strategies: the file is truncated",
            ),
            (
                &format!("{h}0,a,1,2,3,4\n0,b,1,2,3,4\n1,b,1,2,3,4\n1,a,1,2,3,4\n"),
                "p/psa_draws.csv:4: column \"strategy\": draw 1 has strategy \"b\" where \"a\" was expected",
            ),
        ];
        for (text, want) in cases {
            let e = parse_text(text).unwrap_err().to_string();
            assert!(e.starts_with(want), "{text:?}: {e}");
        }
    }
}
