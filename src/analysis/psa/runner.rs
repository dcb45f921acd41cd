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

use super::{DrawOutcome, PsaEngine, PsaResults, PsaSettings, PsaState, Shard, run_draw, sampling};
use crate::engine::Progress;
use crate::error::{Error, Result};
use crate::io::{self, OutputFile, draws::ROWS_FILE};
use crate::model::Model;
use crate::scenario::Scenario;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use std::io::{Seek, Write};
use std::path::{Path, PathBuf};

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

fn draws_header(scenario: &Scenario, varied: &[usize]) -> String {
    let mut h = "draw,strategy,cost,qaly,life_years".to_string();
    for &i in varied {
        h.push(',');
        h.push_str(&scenario.parameters[i].name);
    }
    h.push('\n');
    h
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

/// Runs (or resumes) a PSA into `dir`. Returns the checkpoint and the final results for a whole
/// run, `None` for a shard (whose state and rows are then merged with `merge`); the caller
/// renders and writes the result files ([`crate::report::psa::outputs`]).
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
) -> Result<(Checkpoint, Option<PsaResults>)> {
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
        return Ok((checkpoint, None));
    }
    let results = checkpoint.state.finish();
    Ok((checkpoint, Some(results)))
}

fn save(path: &Path, checkpoint: &Checkpoint) -> Result<()> {
    let bytes = serde_json::to_vec(checkpoint)
        .map_err(|e| Error::Serialise { path: path.to_path_buf(), message: e.to_string() })?;
    io::write_atomic_with(path, &bytes, false)
}

/// Merges complete shard directories into `out`: the same files a single run writes.
///
/// # Errors
/// [`Error::Merge`] when shards are missing, repeated, incomplete or from different runs.
pub fn merge(scenario: &Scenario, dirs: &[PathBuf], out: &Path) -> Result<(Checkpoint, PsaResults)> {
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
    let results = merged.state.finish();
    io::write_all(out, &[OutputFile { name: ROWS_FILE.into(), bytes: rows }])?;
    save(&out.join(STATE_FILE), &merged)?;
    Ok((merged, results))
}
