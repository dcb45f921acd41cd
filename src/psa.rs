//! `cirrhosim psa` and `cirrhosim merge`: the outer loop of probabilistic sensitivity analysis.
//!
//! Receives a scenario and run settings; for each draw k it samples parameter values
//! ([`crate::model::sampling`], depending only on (seed, k)), builds the model, runs the exact
//! cohort (default) or the Monte Carlo engine, and feeds costs, QALYs, life years and survival
//! to the streaming accumulators of [`crate::analysis::psa`]. It drives every stage, so it sits
//! beside the pipeline, like `verify`.
//!
//! Draws are processed in chunks, in parallel within a chunk and in order across chunks. After
//! each chunk the per-draw rows are appended to `psa_draws.csv.partial` and the accumulators are
//! saved atomically to `psa_state.json` (with the byte length of the rows file), so an interrupted
//! run loses at most the chunk in flight and `--resume` continues bit-identically. A run over
//! shard k of n covers draws [k K / n, (k + 1) K / n); `merge` adds shards' states and
//! concatenates their rows in shard order, which gives exactly the files of a single run.

use crate::analysis::psa::{DrawOutcome, PsaResults, PsaState};
use crate::analysis::{self, survival};
use crate::engine::{self, NoProgress, Progress, sim_cohort};
use crate::error::{Error, Result};
use crate::model::{Model, sampling};
use crate::report::{self, OutputFile};
use crate::scenario::Scenario;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use std::io::{Seek, Write};
use std::path::{Path, PathBuf};

/// Which engine evaluates each draw.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PsaEngine {
    /// Exact cohort trace (expected values): the default.
    Cohort,
    /// Monte Carlo patients, `patients` per draw.
    MonteCarlo { patients: u64 },
}

/// Part k (0-based) of n of the draws.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Shard {
    pub index: u64,
    pub count: u64,
}

impl Shard {
    /// The whole run.
    pub const ALL: Shard = Shard { index: 0, count: 1 };

    /// Parses `k/n` (k from 0 to n - 1).
    ///
    /// # Errors
    /// [`Error::Setting`] naming `--shard`.
    pub fn parse(text: &str) -> Result<Shard> {
        let bad =
            || Error::Setting { flag: "shard", value: text.to_string(), rule: "must be k/n with 0 <= k < n, e.g. 0/4" };
        let (k, n) = text.split_once('/').ok_or_else(bad)?;
        let (index, count): (u64, u64) = (k.trim().parse().map_err(|_| bad())?, n.trim().parse().map_err(|_| bad())?);
        if count == 0 || index >= count {
            return Err(bad());
        }
        Ok(Shard { index, count })
    }

    /// Draws [first, last) of this shard out of `draws`.
    pub fn range(&self, draws: u64) -> (u64, u64) {
        let at = |k: u64| ((draws as u128 * k as u128) / self.count as u128) as u64;
        (at(self.index), at(self.index + 1))
    }
}

/// Settings of one PSA run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PsaSettings {
    pub scenario: String,
    pub draws: u64,
    pub seed: u64,
    pub engine: PsaEngine,
    pub shard: Shard,
}

/// What is saved after every chunk: the settings, how far the run got, and the accumulators.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Checkpoint {
    pub cirrhosim_version: String,
    pub settings: PsaSettings,
    /// Names of the varied parameters (the extra columns of `psa_draws.csv`).
    pub parameters: Vec<String>,
    /// The next draw to run; the shard is complete when it reaches the shard's end.
    pub next_draw: u64,
    /// Length of `psa_draws.csv.partial` that belongs to the draws done.
    pub rows_bytes: u64,
    pub state: PsaState,
}

/// Names of the state, rows and final files.
pub const STATE_FILE: &str = "psa_state.json";
/// Per-draw rows while the run is going on (renamed to `psa_draws.csv` when complete).
pub const ROWS_PARTIAL: &str = "psa_draws.csv.partial";
/// Per-draw rows of a complete run or shard.
pub const ROWS_FILE: &str = "psa_draws.csv";

fn draws_header(scenario: &Scenario, varied: &[usize]) -> String {
    let mut h = "draw,strategy,cost,qaly,life_years".to_string();
    for &i in varied {
        h.push(',');
        h.push_str(&scenario.parameters[i].name);
    }
    h.push('\n');
    h
}

/// Evaluates draw `k`: sample, build, run, value.
fn run_draw(scenario: &Scenario, varied: &[usize], settings: &PsaSettings, k: u64) -> Result<(DrawOutcome, Vec<f64>)> {
    let values = sampling::draw_values(scenario, varied, settings.seed, k);
    let model = Model::build(scenario, &values).map_err(|e| Error::Draw { draw: k, source: Box::new(e) })?;
    let n = model.n_strategies();
    let (outcomes, survival): (Vec<[f64; 3]>, Vec<Vec<f64>>) = match settings.engine {
        PsaEngine::Cohort => (0..n)
            .map(|s| {
                let trace = sim_cohort(&model, s);
                let outcomes = analysis::economics::cohort_outcomes(&model, &trace).expect("PSA needs [economics]");
                let os = survival::overall_survival(&model, |t, s| trace.at(t, s));
                (outcomes, os)
            })
            .unzip(),
        PsaEngine::MonteCarlo { patients } => {
            // Patients' streams depend on (seed, draw), so draws are independent and reproducible.
            let run = engine::sim_patients(
                &model,
                patients,
                engine::rng::splitmix64(settings.seed ^ k.rotate_left(32)),
                &NoProgress,
            )
            .map_err(|e| Error::Draw { draw: k, source: Box::new(e) })?;
            let est = analysis::mc_estimates(run.values.as_ref().expect("PSA needs [economics]"));
            est.iter()
                .zip(&run.counts)
                .map(|(e, c)| {
                    let n = c.patients as f64;
                    // Counts are summed exactly in f64 (far below 2^53) before dividing.
                    let os =
                        survival::overall_survival(&model, |t, s| c.at(t, s) as f64).iter().map(|x| x / n).collect();
                    ([e.cost.mean, e.qaly.mean, e.life_years.mean], os)
                })
                .unzip()
        }
    };
    Ok((DrawOutcome { draw: k, outcomes, survival }, varied.iter().map(|&i| values[i]).collect()))
}

fn draw_rows(scenario: &Scenario, d: &DrawOutcome, values: &[f64], out: &mut String) {
    use std::fmt::Write as _;
    for (s, o) in d.outcomes.iter().enumerate() {
        let _ = write!(out, "{},{},{},{},{}", d.draw, scenario.strategies[s].name, o[0], o[1], o[2]);
        for v in values {
            let _ = write!(out, ",{v}");
        }
        out.push('\n');
    }
}

fn write_err(path: &Path) -> impl Fn(std::io::Error) -> Error + '_ {
    move |source| Error::Write { path: path.to_path_buf(), source }
}

/// Runs (or resumes) a PSA into `dir`. Returns the final results for a whole run, `None` for a
/// shard (whose state and rows are then merged with `merge`).
///
/// # Errors
/// [`Error::Invalid`] if the scenario has no `[economics]`; [`Error::Draw`] if a drawn value is out
/// of range for its kind; [`Error::Resume`] if a checkpoint does not match; I/O errors with paths.
pub fn run(
    scenario: &Scenario,
    settings: &PsaSettings,
    dir: &Path,
    resume: bool,
    progress: &dyn Progress,
) -> Result<Option<PsaResults>> {
    if scenario.economics.is_none() {
        return Err(Error::Invalid {
            file: scenario.file.clone(),
            problems: vec![crate::error::Problem::new("economics", None, crate::error::ProblemKind::EconomicsNeeded)],
        });
    }
    std::fs::create_dir_all(dir).map_err(write_err(dir))?;
    let varied = sampling::varied_parameters(scenario);
    let base_model = Model::from_scenario(scenario)?;
    let (first, last) = settings.shard.range(settings.draws);
    let state_path = dir.join(STATE_FILE);
    let rows_path = dir.join(ROWS_PARTIAL);
    let fresh = Checkpoint {
        cirrhosim_version: env!("CARGO_PKG_VERSION").to_string(),
        settings: settings.clone(),
        parameters: varied.iter().map(|&i| scenario.parameters[i].name.clone()).collect(),
        next_draw: first,
        rows_bytes: 0,
        state: PsaState::new(base_model.n_strategies(), base_model.n_cycles, scenario.psa.wtp_grid.clone()),
    };
    let mut checkpoint = if resume && state_path.exists() {
        let text =
            std::fs::read_to_string(&state_path).map_err(|source| Error::Read { path: state_path.clone(), source })?;
        let c: Checkpoint = serde_json::from_str(&text)
            .map_err(|e| Error::Resume { path: state_path.clone(), reason: e.to_string() })?;
        if c.settings != fresh.settings || c.parameters != fresh.parameters || !c.state.compatible(&fresh.state) {
            return Err(Error::Resume {
                path: state_path,
                reason: "it was written for other settings (scenario, draws, seed, engine, shard or parameters)".into(),
            });
        }
        c
    } else {
        fresh
    };
    // Open the rows file at the checkpointed length (dropping rows of a chunk in flight).
    let mut rows = std::fs::OpenOptions::new()
        .create(true)
        .write(true)
        .truncate(false)
        .open(&rows_path)
        .map_err(write_err(&rows_path))?;
    if checkpoint.rows_bytes == 0 {
        rows.set_len(0).map_err(write_err(&rows_path))?;
        let header = draws_header(scenario, &varied);
        rows.write_all(header.as_bytes()).map_err(write_err(&rows_path))?;
        checkpoint.rows_bytes = header.len() as u64;
    } else {
        rows.set_len(checkpoint.rows_bytes).map_err(write_err(&rows_path))?;
    }
    rows.seek(std::io::SeekFrom::Start(checkpoint.rows_bytes)).map_err(write_err(&rows_path))?;

    let chunk = match settings.engine {
        PsaEngine::Cohort => 256,
        PsaEngine::MonteCarlo { .. } => 4,
    };
    progress.start(last - first);
    progress.advance(checkpoint.next_draw - first);
    while checkpoint.next_draw < last {
        let end = (checkpoint.next_draw + chunk).min(last);
        let results: Vec<Result<(DrawOutcome, Vec<f64>)>> =
            (checkpoint.next_draw..end).into_par_iter().map(|k| run_draw(scenario, &varied, settings, k)).collect();
        let mut text = String::new();
        for r in results {
            let (outcome, values) = r?;
            draw_rows(scenario, &outcome, &values, &mut text);
            checkpoint.state.add(&outcome);
        }
        rows.write_all(text.as_bytes()).map_err(write_err(&rows_path))?;
        checkpoint.rows_bytes += text.len() as u64;
        progress.advance(end - checkpoint.next_draw);
        checkpoint.next_draw = end;
        save(&state_path, &checkpoint)?;
    }
    drop(rows);
    std::fs::rename(&rows_path, dir.join(ROWS_FILE)).map_err(write_err(&rows_path))?;
    if settings.shard.count > 1 {
        return Ok(None);
    }
    let results = checkpoint.state.finish();
    write_outputs(scenario, &base_model, &checkpoint, &results, dir)?;
    Ok(Some(results))
}

fn save(path: &Path, checkpoint: &Checkpoint) -> Result<()> {
    let bytes = serde_json::to_vec(checkpoint)
        .map_err(|e| Error::Serialise { path: path.to_path_buf(), message: e.to_string() })?;
    report::write_atomic_with(path, &bytes, false)
}

fn write_outputs(
    scenario: &Scenario,
    model: &Model,
    checkpoint: &Checkpoint,
    results: &PsaResults,
    dir: &Path,
) -> Result<()> {
    let files = [
        OutputFile { name: "ceac.csv", bytes: report::psa::ceac_csv(model, results) },
        OutputFile { name: "evpi.csv", bytes: report::psa::evpi_csv(results, scenario.psa.population) },
        OutputFile { name: "survival_psa.csv", bytes: report::psa::survival_psa_csv(model, results) },
        OutputFile {
            name: "psa_summary.json",
            bytes: report::psa::summary_json(scenario, model, &checkpoint.settings, &checkpoint.parameters, results),
        },
    ];
    report::write_all(dir, &files)?;
    Ok(())
}

/// Merges complete shard directories into `out`: the same files a single run writes.
///
/// # Errors
/// [`Error::Merge`] when shards are missing, repeated, incomplete or from different runs.
pub fn merge(scenario: &Scenario, dirs: &[PathBuf], out: &Path) -> Result<PsaResults> {
    let mut shards: Vec<(Checkpoint, PathBuf)> = Vec::new();
    for d in dirs {
        let path = d.join(STATE_FILE);
        let text = std::fs::read_to_string(&path).map_err(|source| Error::Read { path: path.clone(), source })?;
        let c: Checkpoint =
            serde_json::from_str(&text).map_err(|e| Error::Merge { reason: format!("{}: {e}", path.display()) })?;
        shards.push((c, d.clone()));
    }
    shards.sort_by_key(|(c, _)| c.settings.shard.index);
    let first = &shards.first().ok_or_else(|| Error::Merge { reason: "no shard directories given".into() })?.0;
    let count = first.settings.shard.count;
    let describe = |c: &Checkpoint| format!("{}/{}", c.settings.shard.index, c.settings.shard.count);
    for (i, (c, d)) in shards.iter().enumerate() {
        let same = PsaSettings { shard: first.settings.shard, ..c.settings.clone() } == first.settings;
        if !same || c.parameters != first.parameters || !c.state.compatible(&first.state) {
            return Err(Error::Merge {
                reason: format!("{} is from another run (settings differ from shard {})", d.display(), describe(first)),
            });
        }
        if c.settings.shard.index != i as u64 || c.settings.shard.count != count {
            return Err(Error::Merge {
                reason: format!(
                    "expected shards 0/{count} to {}/{count} once each; found {} at position {i}",
                    count - 1,
                    describe(c)
                ),
            });
        }
        if c.next_draw != c.settings.shard.range(c.settings.draws).1 {
            return Err(Error::Merge {
                reason: format!("{} (shard {}) is incomplete: resume it with --resume", d.display(), describe(c)),
            });
        }
    }
    if shards.len() as u64 != count {
        return Err(Error::Merge { reason: format!("{} of {count} shards given", shards.len()) });
    }
    if first.settings.scenario != scenario.name {
        return Err(Error::Merge {
            reason: format!("shards are of scenario \"{}\", not \"{}\"", first.settings.scenario, scenario.name),
        });
    }
    let mut state = first.state.clone();
    let mut rows = Vec::new();
    for (i, (c, d)) in shards.iter().enumerate() {
        if i > 0 {
            state.merge(&c.state);
        }
        let path = d.join(ROWS_FILE);
        let text = std::fs::read(&path).map_err(|source| Error::Read { path: path.clone(), source })?;
        let body = if i == 0 { &text[..] } else { text.splitn(2, |&b| b == b'\n').nth(1).unwrap_or(&[]) };
        rows.extend_from_slice(body);
    }
    let merged = Checkpoint {
        settings: PsaSettings { shard: Shard::ALL, ..first.settings.clone() },
        next_draw: first.settings.draws,
        rows_bytes: rows.len() as u64,
        state,
        ..first.clone()
    };
    let model = Model::from_scenario(scenario)?;
    let results = merged.state.finish();
    report::write_all(out, &[OutputFile { name: ROWS_FILE, bytes: rows }])?;
    save(&out.join(STATE_FILE), &merged)?;
    write_outputs(scenario, &model, &merged, &results, out)?;
    Ok(results)
}

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
