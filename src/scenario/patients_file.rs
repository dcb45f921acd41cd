//! A population given as a file of patients (`[population] patients_file = "patients.csv"`, one
//! row per patient or per weighted profile, as hesim's `patients` table): one column per declared
//! covariate, an optional `weight`, an optional `start_state` (the state the patient starts in).
//!
//! The file is streamed, never held: memory does not grow with its rows. Three passes:
//! 1. each covariate's kind and range: a column whose every cell is a number is numeric, any
//!    other is categorical with its levels in order of first appearance (at most
//!    [`MAX_LEVELS`]); weights must be finite and above 0;
//! 2. the weighted distribution of each numeric covariate in a histogram of [`BINS`] bins over
//!    its range, whose cumulative weights place the edges of `nodes` strata of equal weight;
//! 3. each row's cell (stratum or level) per covariate: the joint weight of every profile seen
//!    and, per stratum, the weighted mean of its values (the stratum's value in the model); with
//!    a `start_state` column, each profile's weight by start state (its own start mix).
//!
//! Profiles keep the file's joint distribution, so covariates correlated in the file stay
//! correlated in the model (a product of shares would lose that).

use super::population::Cell;
use crate::error::{Error, FormatRule, Location, Result};
use std::collections::HashMap;
use std::path::Path;

/// Most levels of a categorical column.
pub const MAX_LEVELS: usize = 64;
/// Histogram bins per numeric column for the strata edges.
pub const BINS: usize = 4096;

/// What a patients file gives the model: per covariate its cells, and every profile (one cell
/// per covariate) with its share of the total weight, in order of first appearance.
#[derive(Debug, Clone, PartialEq)]
pub struct FilePopulation {
    pub cells: Vec<Vec<Cell>>,
    /// Per covariate: is it numeric (its cells are strata)?
    pub numeric: Vec<bool>,
    pub profiles: Vec<(Vec<u16>, f64)>,
    /// With a `start_state` column: per profile (in the order of `profiles`), the share of its
    /// weight that starts in each state (indexed like the scenario's states, summing to 1).
    /// Empty without the column.
    pub starts: Vec<Vec<f64>>,
    /// Rows read.
    pub rows: u64,
}

/// A state patients may start in, for checking a `start_state` column: its name and whether
/// it is alive (a patient cannot start dead).
#[derive(Debug, Clone, Copy)]
pub struct StartState<'a> {
    pub name: &'a str,
    pub alive: bool,
}

impl<'a> StartState<'a> {
    /// The states of a scenario as a `start_state` column may name them.
    pub fn of(states: &'a [super::types::State]) -> Vec<StartState<'a>> {
        states.iter().map(|s| StartState { name: &s.name, alive: s.alive }).collect()
    }
}

/// The name of the optional column giving each patient's start state.
pub const START_STATE_COLUMN: &str = "start_state";

fn located(path: &Path, line: u64, column: Option<&str>, rule: FormatRule) -> Error {
    Error::FileFormat {
        location: Location::Csv { file: path.to_path_buf(), line, column: column.map(str::to_string) },
        rule,
    }
}

/// A row's cells in one pass: the trimmed cells of the covariate columns in order, and the
/// `start_state` cell when the file has that column.
struct Row<'r> {
    line: u64,
    weight: f64,
    start: Option<&'r str>,
    cells: &'r [&'r str],
}

/// One streaming pass over the rows: `each(row)` for every row.
fn pass(path: &Path, columns: &[String], mut each: impl FnMut(Row<'_>) -> Result<()>) -> Result<()> {
    let file = std::fs::File::open(path).map_err(|cause| Error::Read { path: path.to_path_buf(), cause })?;
    // A device or a pipe (/dev/zero, a FIFO) would be read forever, or once only.
    if !file.metadata().is_ok_and(|m| m.is_file()) {
        let cause = std::io::Error::new(std::io::ErrorKind::InvalidInput, "not a regular file");
        return Err(Error::Read { path: path.to_path_buf(), cause });
    }
    let mut reader = csv::Reader::from_reader(std::io::BufReader::new(file));
    let csv_error = |line: u64, e: csv::Error| {
        let line = e.position().map_or(line, |p| p.line().max(1));
        located(path, line, None, FormatRule::Csv { message: e.to_string() })
    };
    let headers = reader.headers().map_err(|e| csv_error(1, e))?.clone();
    let position = |name: &str| headers.iter().position(|h| h.trim() == name);
    let mut index = Vec::with_capacity(columns.len());
    for c in columns {
        let i = position(c).ok_or_else(|| {
            let header = headers.iter().collect::<Vec<_>>().join(",");
            located(
                path,
                1,
                Some(c),
                FormatRule::Csv {
                    message: format!("no column \"{c}\" for the covariate of that name (header: {header})"),
                },
            )
        })?;
        index.push(i);
    }
    let weight = position("weight");
    let start = position(START_STATE_COLUMN);
    let mut record = csv::StringRecord::new();
    let mut line = 1;
    while reader.read_record(&mut record).map_err(|e| csv_error(line + 1, e))? {
        line = record.position().map_or(line + 1, |p| p.line());
        let w = match weight.and_then(|i| record.get(i)).map(str::trim).filter(|t| !t.is_empty()) {
            None => 1.0,
            Some(t) => match t.parse::<f64>() {
                Ok(w) if w.is_finite() && w > 0.0 => w,
                _ => {
                    let rule =
                        FormatRule::Range { value: t.to_string(), rule: "a weight must be a finite number above 0" };
                    return Err(located(path, line, Some("weight"), rule));
                }
            },
        };
        let mut cells: Vec<&str> = Vec::with_capacity(columns.len());
        for (&i, c) in index.iter().zip(columns) {
            match record.get(i).map(str::trim).filter(|t| !t.is_empty()) {
                Some(t) => cells.push(t),
                None => return Err(located(path, line, Some(c), FormatRule::Empty)),
            }
        }
        let start = match start.map(|i| record.get(i).map(str::trim).unwrap_or_default()) {
            Some("") => return Err(located(path, line, Some(START_STATE_COLUMN), FormatRule::Empty)),
            other => other,
        };
        each(Row { line, weight: w, start, cells: &cells })?;
    }
    if line == 1 {
        return Err(located(path, 1, None, FormatRule::NoRows { what: "patients" }));
    }
    Ok(())
}

/// Reads a patients file for the covariates `columns` with `nodes` strata per numeric one; a
/// `start_state` column names one of `states`.
///
/// # Errors
/// [`Error::Read`] when the file cannot be opened; [`Error::FileFormat`] with line and column
/// for a missing column, an empty cell, a weight that is not a finite number above 0, a
/// numeric value that is not finite, more than [`MAX_LEVELS`] levels, a start state that is
/// not an alive state of `states`, or a file without rows.
pub fn read(path: &Path, columns: &[String], nodes: usize, states: &[StartState<'_>]) -> Result<FilePopulation> {
    let k = columns.len();
    // Pass 1: kinds, ranges, levels.
    let mut numeric = vec![true; k];
    let mut range = vec![(f64::INFINITY, f64::NEG_INFINITY); k];
    let mut levels: Vec<Vec<String>> = vec![Vec::new(); k];
    let mut rows = 0u64;
    pass(path, columns, |row| {
        rows += 1;
        let (line, cells) = (row.line, row.cells);
        for (j, t) in cells.iter().enumerate() {
            match t.parse::<f64>() {
                Ok(x) if x.is_finite() => range[j] = (range[j].0.min(x), range[j].1.max(x)),
                Ok(_) => {
                    let rule = FormatRule::NotFinite { value: t.to_string() };
                    return Err(located(path, line, Some(&columns[j]), rule));
                }
                Err(_) => numeric[j] = false,
            }
            if !levels[j].iter().any(|l| l == t) {
                if levels[j].len() == MAX_LEVELS && !numeric[j] {
                    let rule = FormatRule::AboveLimit {
                        value: MAX_LEVELS as u64 + 1,
                        what: "levels",
                        limit: MAX_LEVELS as u64,
                    };
                    return Err(located(path, line, Some(&columns[j]), rule));
                }
                if levels[j].len() < MAX_LEVELS {
                    levels[j].push(t.to_string());
                }
            }
        }
        Ok(())
    })?;
    // Pass 2: weighted histograms of the numeric columns, then the strata edges.
    let bin = |j: usize, x: f64| {
        let (lo, hi) = range[j];
        if hi > lo { (((x - lo) / (hi - lo) * BINS as f64) as usize).min(BINS - 1) } else { 0 }
    };
    let mut histograms = vec![vec![0.0f64; BINS]; k];
    pass(path, columns, |row| {
        for j in (0..k).filter(|&j| numeric[j]) {
            histograms[j][bin(j, row.cells[j].parse::<f64>().unwrap_or(f64::NAN))] += row.weight;
        }
        Ok(())
    })?;
    // Stratum of each bin: the stratum its cumulative weight's midpoint falls in.
    let stratum_of_bin: Vec<Vec<u16>> = (0..k)
        .map(|j| {
            let total: f64 = histograms[j].iter().sum();
            let mut before = 0.0;
            histograms[j]
                .iter()
                .map(|&h| {
                    let mid = (before + h / 2.0) / total;
                    before += h;
                    ((mid * nodes as f64) as usize).min(nodes - 1) as u16
                })
                .collect()
        })
        .collect();
    // Pass 3: each row's profile; per stratum the weighted sum of its values.
    let mut index: HashMap<Vec<u16>, usize> = HashMap::new();
    let mut profiles: Vec<(Vec<u16>, f64)> = Vec::new();
    let mut sums = vec![vec![(0.0f64, 0.0f64); nodes]; k];
    let mut level_weight: Vec<Vec<f64>> = levels.iter().map(|l| vec![0.0; l.len()]).collect();
    let mut total = 0.0;
    let mut key = vec![0u16; k];
    let mut starts: Vec<Vec<f64>> = Vec::new();
    pass(path, columns, |row| {
        let (w, cells) = (row.weight, row.cells);
        total += w;
        for j in 0..k {
            key[j] = if numeric[j] {
                let x = cells[j].parse::<f64>().unwrap_or(f64::NAN);
                let s = stratum_of_bin[j][bin(j, x)];
                sums[j][s as usize].0 += w * x;
                sums[j][s as usize].1 += w;
                s
            } else {
                let l = levels[j].iter().position(|l| l == cells[j]).unwrap_or(0);
                level_weight[j][l] += w;
                l as u16
            };
        }
        let i = match index.get(&key) {
            Some(&i) => {
                profiles[i].1 += w;
                i
            }
            None => {
                index.insert(key.clone(), profiles.len());
                profiles.push((key.clone(), w));
                profiles.len() - 1
            }
        };
        if let Some(name) = row.start {
            let s = start_state(path, row.line, name, states)?;
            if starts.len() <= i {
                starts.resize(i + 1, vec![0.0; states.len()]);
            }
            starts[i][s] += w;
        }
        Ok(())
    })?;
    // Each profile's start mix: its weight by start state over its weight.
    for (mix, (_, w)) in starts.iter_mut().zip(&profiles) {
        mix.iter_mut().for_each(|x| *x /= w);
    }
    let cells = finish(&numeric, &levels, &level_weight, &sums, total, &mut profiles);
    Ok(FilePopulation { cells, numeric, profiles, starts, rows })
}

/// The index of the state a `start_state` cell names: an alive state of the scenario.
fn start_state(path: &Path, line: u64, name: &str, states: &[StartState<'_>]) -> Result<usize> {
    let message = match states.iter().position(|s| s.name == name) {
        Some(i) if states[i].alive => return Ok(i),
        Some(_) => format!("patients start in an alive state, not \"{name}\""),
        None => {
            let hint = super::formula::closest(name, states.iter().map(|s| s.name))
                .map(|c| format!("; did you mean \"{c}\"?"))
                .unwrap_or_default();
            let known: Vec<&str> = states.iter().filter(|s| s.alive).map(|s| s.name).collect();
            format!("unknown state \"{name}\"{hint} (alive states: {})", known.join(", "))
        }
    };
    Err(located(path, line, Some(START_STATE_COLUMN), FormatRule::Csv { message }))
}

/// The cells of every covariate from the third pass's sums (numeric strata at their weighted
/// means; strata that no row fell in, possible with many ties, are dropped and the profiles
/// renumbered), and the profiles' weights as shares.
fn finish(
    numeric: &[bool],
    levels: &[Vec<String>],
    level_weight: &[Vec<f64>],
    sums: &[Vec<(f64, f64)>],
    total: f64,
    profiles: &mut [(Vec<u16>, f64)],
) -> Vec<Vec<Cell>> {
    let k = numeric.len();
    let mut renumber: Vec<Vec<u16>> = vec![Vec::new(); k];
    let cells = (0..k)
        .map(|j| {
            if numeric[j] {
                let used: Vec<usize> = (0..sums[j].len()).filter(|&s| sums[j][s].1 > 0.0).collect();
                renumber[j] =
                    (0..sums[j].len()).map(|s| used.iter().position(|&u| u == s).unwrap_or(0) as u16).collect();
                used.iter()
                    .enumerate()
                    .map(|(n, &s)| Cell {
                        value: sums[j][s].0 / sums[j][s].1,
                        weight: sums[j][s].1 / total,
                        label: format!("stratum {} of {}", n + 1, used.len()),
                    })
                    .collect()
            } else {
                levels[j]
                    .iter()
                    .zip(&level_weight[j])
                    .enumerate()
                    .map(|(i, (l, w))| Cell { value: i as f64, weight: w / total, label: l.clone() })
                    .collect()
            }
        })
        .collect();
    for (key, w) in profiles.iter_mut() {
        for j in (0..k).filter(|&j| numeric[j]) {
            key[j] = renumber[j][key[j] as usize];
        }
        *w /= total;
    }
    cells
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(text: &str) -> tempfile::NamedTempFile {
        let mut f = tempfile::NamedTempFile::new().unwrap();
        std::io::Write::write_all(&mut f, text.as_bytes()).unwrap();
        f
    }

    #[test]
    fn weighted_profiles_keep_the_joint_distribution() {
        // MELD and etiology correlated: alcohol patients have the high MELD values.
        let f = file("meld,etiology,weight\n10,hbv,1\n12,hbv,1\n30,alcohol,2\n32,alcohol,2\n");
        let p = read(f.path(), &["meld".into(), "etiology".into()], 2, &[]).unwrap();
        assert_eq!(p.rows, 4);
        assert_eq!(p.numeric, vec![true, false]);
        // Strata of equal weight: {10, 12} (weight 2) is below the median... with weights 1,1,2,2
        // the cumulative midpoints are 1/12, 3/12, 6/12, 10/12: strata 0, 0, 1, 1.
        assert_eq!(p.cells[0][0].value, 11.0);
        assert_eq!(p.cells[0][1].value, 31.0);
        assert_eq!((p.cells[1][0].label.as_str(), p.cells[1][1].label.as_str()), ("hbv", "alcohol"));
        assert_eq!(p.profiles, vec![(vec![0, 0], 2.0 / 6.0), (vec![1, 1], 4.0 / 6.0)]);
        assert!(p.starts.is_empty());
    }

    #[test]
    fn a_start_state_column_gives_each_profile_its_start_mix() {
        let states = [
            StartState { name: "compensated", alive: true },
            StartState { name: "decompensated", alive: true },
            StartState { name: "death", alive: false },
        ];
        // Profile (stratum 0, hbv): weight 1 compensated, 3 decompensated; (1, alcohol): all decompensated.
        let f = file(
            "meld,etiology,start_state,weight\n10,hbv,compensated,1\n12,hbv,decompensated,3\n\
             30,alcohol,decompensated,2\n32,alcohol,decompensated,2\n",
        );
        let p = read(f.path(), &["meld".into(), "etiology".into()], 2, &states).unwrap();
        assert_eq!(p.profiles, vec![(vec![0, 0], 0.5), (vec![1, 1], 0.5)]);
        assert_eq!(p.starts, vec![vec![0.25, 0.75, 0.0], vec![0.0, 1.0, 0.0]]);
        let f = file("meld,start_state\n10,compensated\n12,dead\n");
        let e = read(f.path(), &["meld".into()], 2, &states).unwrap_err().to_string();
        assert!(e.contains(":3: column \"start_state\"") && e.contains("did you mean \"death\""), "{e}");
        assert!(e.contains("alive states: compensated, decompensated)"), "{e}");
    }

    #[test]
    fn bad_rows_are_located() {
        let f = file("meld,weight\n10,1\n12,-1\n");
        let e = read(f.path(), &["meld".into()], 2, &[]).unwrap_err().to_string();
        assert!(e.contains(":3") && e.contains("weight") && e.contains("above 0"), "{e}");
        let f = file("meld\n10\n\n");
        assert!(read(f.path(), &["albumin".into()], 2, &[]).unwrap_err().to_string().contains("no column \"albumin\""));
        let f = file("meld\n");
        assert!(read(f.path(), &["meld".into()], 2, &[]).unwrap_err().to_string().contains("no"));
        let e = read(Path::new("/dev/zero"), &["meld".into()], 2, &[]).unwrap_err().to_string();
        assert!(e.contains("not a regular file"), "{e}");
    }
}
