//! The outer loop of a PSA run: chunks, checkpoints, resume, shards and merge, without ever
//! losing or blending data.
//!
//! Draws are processed in chunks, in parallel within a chunk and in order across chunks. After
//! each chunk the per-draw rows are appended to [`ROWS_PARTIAL`]; at most every second, and when
//! a run stops before its last draw, the rows are forced to disk and then the accumulators are
//! saved atomically to [`CHECKPOINT_FILE`] with the byte length of the rows that belong to the
//! draws done, so an interrupted run loses at most its last second of draws and `--resume`
//! continues bit-identically. A complete run is forced to disk once, when it is published.
//! Every checkpoint carries the run's [`Fingerprint`] (scenario hash, seed, draws, shard,
//! engine, version): resuming a checkpoint of another run is refused with the list of what
//! differs, and `--resume` of a run that is already complete and published leaves every file as
//! it is.
//!
//! When the draws are done, [`publish`] publishes the rows, the final state ([`STATE_FILE`]) and
//! the rendered result files together, with the folder's manifest
//! ([`crate::io::publish::MANIFEST`]). A shard k of n covers draws [k K / n, (k + 1) K / n);
//! [`merge`] checks that its folders are the complete, intact shards of one run, each once,
//! rebuilds the scenario they ran from the source stored in their state, adds their
//! accumulators and concatenates their rows in shard order, which gives exactly the files of a
//! single run.

use super::{DrawOutcome, PsaEngine, PsaResults, PsaSettings, PsaState, Shard, Workspaces, run_draw, sampling};
use crate::analysis::fingerprint;
use crate::engine::Progress;
use crate::error::{Error, Result, RunAction, RunProblem, ShardsProblem};
use crate::io::draws::{self, DrawRows, ROWS_FILE};
use crate::io::{self, Fingerprint, OutputFile, StagedFile};
use crate::model::Model;
use crate::scenario::Scenario;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use std::io::{BufRead, Seek, Write};
use std::path::{Path, PathBuf};

/// The checkpoint of a run in progress (removed once the run is published).
pub const CHECKPOINT_FILE: &str = "psa_checkpoint.json";
/// Per-draw rows while the run is going on (published as `psa_draws.csv`).
pub const ROWS_PARTIAL: &str = "psa_draws.csv.partial";
/// The final state of a complete run or shard (what `merge` reads).
pub const STATE_FILE: &str = "psa_state.json";

/// Where a scenario came from: its text and file (none for the embedded default). Stored in
/// checkpoints and states so that `merge` can rebuild the scenario its shards ran.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScenarioSource {
    /// Absolute path of the scenario file; `None` for the embedded default scenario.
    pub path: Option<PathBuf>,
    pub text: String,
    /// Parameter values set on the command line (`--set NAME=VALUE`), applied over the text's
    /// (see [`Scenario::from_toml_with`]).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub set: Vec<(String, f64)>,
}

impl ScenarioSource {
    /// Reads the scenario file (or takes the embedded default when `path` is `None`).
    ///
    /// # Errors
    /// [`Error::Read`] naming the file.
    pub fn read(path: Option<&Path>) -> Result<ScenarioSource> {
        match path {
            None => {
                Ok(ScenarioSource { path: None, text: crate::scenario::DEFAULT_SCENARIO.to_string(), set: Vec::new() })
            }
            Some(p) => {
                let text = std::fs::read_to_string(p)
                    .map_err(|source| Error::Read { path: p.to_path_buf(), cause: source })?;
                let path = std::fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf());
                Ok(ScenarioSource { path: Some(path), text, set: Vec::new() })
            }
        }
    }

    /// Parses and checks the scenario (relative paths inside resolve against its folder), with
    /// the values of `set` applied.
    ///
    /// # Errors
    /// As [`Scenario::from_toml`].
    pub fn load(&self) -> Result<Scenario> {
        match &self.path {
            None => Scenario::default_scenario_with(&self.set),
            Some(p) => {
                let base = p.parent().map(Path::to_path_buf).unwrap_or_default();
                Scenario::from_toml_with(&p.display().to_string(), &self.text, &base, &self.set)
            }
        }
    }
}

/// What is saved after every chunk, and as the final state of a run: what made it, how far it
/// got, and the accumulators.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Checkpoint {
    pub fingerprint: Fingerprint,
    pub settings: PsaSettings,
    pub source: ScenarioSource,
    /// Names of the varied parameters (the extra columns of `psa_draws.csv`).
    pub parameters: Vec<String>,
    /// The next draw to run; the shard is complete when it reaches the shard's end.
    pub next_draw: u64,
    /// Length of the rows file that belongs to the draws done.
    pub rows_bytes: u64,
    pub state: PsaState,
}

impl Checkpoint {
    /// Are all the draws of its shard done?
    pub fn complete(&self) -> bool {
        self.next_draw >= self.settings.shard.range(self.settings.draws).1
    }
}

/// How a call to [`run`] ended.
#[derive(Debug, Clone, PartialEq)]
pub enum PsaRun {
    /// `--resume` found this run complete and published: nothing was changed.
    AlreadyComplete { draws: u64 },
    /// The draws are done; [`publish`] the outputs. `results` is `None` for a shard.
    Done { checkpoint: Box<Checkpoint>, results: Option<PsaResults> },
}

/// The fingerprint of a PSA run.
pub fn run_fingerprint(scenario: &Scenario, settings: &PsaSettings) -> Fingerprint {
    let engine = match settings.engine {
        PsaEngine::Cohort => "cohort".to_string(),
        PsaEngine::MonteCarlo { patients } => format!("monte_carlo, {patients} patients per draw"),
    };
    let mut values = vec![
        ("draws", settings.draws.to_string()),
        ("seed", settings.seed.to_string()),
        ("engine", engine),
        ("shard", format!("{}/{}", settings.shard.index, settings.shard.count)),
    ];
    // Only with --by, so that the fingerprint of a run without it is as it always was.
    if !settings.by.is_empty() {
        values.push(("by", settings.by.join(",")));
    }
    fingerprint::of("psa", scenario, &values)
}

fn write_err(path: &Path) -> impl Fn(std::io::Error) -> Error + '_ {
    move |source| Error::Write { path: path.to_path_buf(), cause: source }
}

fn folder_error(dir: &Path, action: RunAction, problem: RunProblem) -> Error {
    Error::RunFolder { folder: dir.to_path_buf(), action, problem }
}

fn read_checkpoint(dir: &Path, file: &str, action: RunAction) -> Result<Checkpoint> {
    let path = dir.join(file);
    let text = std::fs::read_to_string(&path).map_err(|source| Error::Read { path: path.clone(), cause: source })?;
    serde_json::from_str(&text).map_err(|e| {
        let problem = RunProblem::Unreadable { file: file.to_string(), what: "PSA state", message: e.to_string() };
        folder_error(dir, action, problem)
    })
}

fn save(path: &Path, checkpoint: &Checkpoint) -> Result<()> {
    io::write_atomic_with(path, &state_bytes(checkpoint, path)?, false)
}

fn state_bytes(checkpoint: &Checkpoint, path: &Path) -> Result<Vec<u8>> {
    serde_json::to_vec(checkpoint).map_err(|e| Error::Serialise { path: path.to_path_buf(), message: e.to_string() })
}

/// Runs (or resumes) a PSA in `dir` (see the module documentation).
///
/// # Errors
/// [`Error::Invalid`] if the scenario has no `[economics]`; [`Error::Draw`] or
/// [`Error::NotFinite`] for a draw that cannot be built or valued; [`Error::RunFolder`] when
/// `--resume` meets another run's checkpoint or outputs, or a damaged checkpoint; I/O errors with
/// paths.
pub fn run(
    scenario: &Scenario,
    source: &ScenarioSource,
    settings: &PsaSettings,
    dir: &Path,
    resume: bool,
    progress: &dyn Progress,
) -> Result<PsaRun> {
    if scenario.economics.is_none() {
        return Err(Error::Invalid {
            file: scenario.file.clone(),
            problems: vec![crate::error::Problem::new("economics", None, crate::error::ProblemKind::EconomicsNeeded)],
        });
    }
    let base_model = base_model(scenario, settings.engine)?;
    // Checked before anything is written: a bad --by leaves the folder as it was.
    let fresh = new_state(scenario, &base_model, settings)?;
    std::fs::create_dir_all(dir).map_err(write_err(dir))?;
    let varied = sampling::varied_parameters(scenario);
    let fp = run_fingerprint(scenario, settings);
    let (first, last) = settings.shard.range(settings.draws);
    let checkpoint_path = dir.join(CHECKPOINT_FILE);
    let rows_path = dir.join(ROWS_PARTIAL);
    let resumed = if resume { resume_point(dir, &fp)? } else { Resume::Fresh };
    let mut checkpoint = match resumed {
        Resume::Complete => return Ok(PsaRun::AlreadyComplete { draws: last - first }),
        Resume::From(c) => *c,
        Resume::Fresh => Checkpoint {
            fingerprint: fp,
            settings: settings.clone(),
            source: source.clone(),
            parameters: varied.iter().map(|&i| scenario.parameters[i].name.clone()).collect(),
            next_draw: first,
            rows_bytes: 0,
            state: fresh.clone(),
        },
    };
    if !checkpoint.state.compatible(&fresh) {
        let problem = RunProblem::Unreadable {
            file: CHECKPOINT_FILE.to_string(),
            what: "PSA state",
            message: format!(
                "its accumulators are not those of this model ({} strategies, {} cycles, {} WTP values): \
                 start again without --resume",
                base_model.n_strategies(),
                base_model.n_cycles,
                scenario.psa.wtp_grid.len()
            ),
        };
        return Err(folder_error(dir, RunAction::Resume, problem));
    }
    // Open the rows file at the checkpointed length (dropping the rows of a chunk in flight).
    let mut rows = std::fs::OpenOptions::new()
        .create(true)
        .write(true)
        .truncate(false)
        .open(&rows_path)
        .map_err(write_err(&rows_path))?;
    if checkpoint.rows_bytes == 0 {
        rows.set_len(0).map_err(write_err(&rows_path))?;
        let header = draws::header(&checkpoint.parameters);
        rows.write_all(&header).map_err(write_err(&rows_path))?;
        checkpoint.rows_bytes = header.len() as u64;
    } else {
        rows.set_len(checkpoint.rows_bytes).map_err(write_err(&rows_path))?;
    }
    rows.seek(std::io::SeekFrom::Start(checkpoint.rows_bytes)).map_err(write_err(&rows_path))?;

    let chunk = chunk_size(settings.engine, &base_model);
    let workspaces = Workspaces::seeded(&base_model);
    progress.start(last - first);
    progress.advance(checkpoint.next_draw - first);
    // The draws of a chunk are computed on the pool while a writer thread adds the chunk before
    // to the accumulators (in draw order) and writes its rows (see `write_chunks`): the file work
    // stays off the draws' path.
    let start = checkpoint.next_draw;
    let checkpoint = std::thread::scope(|scope| -> Result<Checkpoint> {
        let (send, receive) = std::sync::mpsc::sync_channel::<Vec<(DrawOutcome, Vec<f64>)>>(2);
        let files = (rows, rows_path.as_path(), checkpoint_path.as_path());
        let writer = scope.spawn(move || write_chunks(scenario, receive, files, checkpoint));
        let mut next = start;
        let mut outcome = Ok(());
        while next < last {
            if progress.stop_requested() {
                outcome = Err(Error::Interrupted { what: "PSA" });
                break;
            }
            let end = (next + chunk).min(last);
            let done = match compute_chunk(scenario, &varied, settings, next..end, &workspaces, progress) {
                Ok(done) => done,
                Err(e) => {
                    outcome = Err(e);
                    break;
                }
            };
            // A closed channel means the writer stopped on an error, which joining returns.
            if send.send(done).is_err() {
                break;
            }
            progress.advance(end - next);
            next = end;
        }
        drop(send);
        let written = writer.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic))?;
        outcome.map(|()| written)
    })?;
    let results = (settings.shard.count == 1).then(|| checkpoint.state.finish());
    Ok(PsaRun::Done { checkpoint: Box::new(checkpoint), results })
}

/// How often at most the writer forces the rows to disk and saves the checkpoint: a resumed run
/// redoes at most the draws of this long, and a fast model is not held up by the disk.
const CHECKPOINT_EVERY: std::time::Duration = std::time::Duration::from_secs(1);

/// The writer of [`run`]: adds each chunk `receive` brings to the checkpoint's accumulators, in
/// draw order, and appends its rows to the rows file; at most every [`CHECKPOINT_EVERY`], and
/// after the last chunk of a run stopped early, forces the rows to disk and then saves the
/// checkpoint, so that the checkpoint on disk is always that of whole chunks written and on disk
/// (the rows after it are dropped on resume). Returns the final checkpoint.
fn write_chunks(
    scenario: &Scenario,
    receive: std::sync::mpsc::Receiver<Vec<(DrawOutcome, Vec<f64>)>>,
    (mut rows, rows_path, checkpoint_path): (std::fs::File, &Path, &Path),
    mut checkpoint: Checkpoint,
) -> Result<Checkpoint> {
    let mut saved = std::time::Instant::now();
    let mut unsaved = false;
    // The rows of a chunk, in memory kept from chunk to chunk.
    let mut bytes = Vec::new();
    let sync_and_save = |rows: &std::fs::File, checkpoint: &Checkpoint| -> Result<()> {
        rows.sync_data().map_err(write_err(rows_path))?;
        save(checkpoint_path, checkpoint)
    };
    for done in receive {
        bytes.clear();
        add_in_order(scenario, &done, &mut checkpoint.state, &mut bytes)?;
        rows.write_all(&bytes).map_err(write_err(rows_path))?;
        checkpoint.rows_bytes += bytes.len() as u64;
        checkpoint.next_draw += done.len() as u64;
        unsaved = true;
        if saved.elapsed() >= CHECKPOINT_EVERY {
            sync_and_save(&rows, &checkpoint)?;
            (saved, unsaved) = (std::time::Instant::now(), false);
        }
    }
    // A run stopped before its last draw leaves its checkpoint, to resume from. A complete run is
    // published next (`publish` forces the rows to disk and removes the checkpoint): forcing them
    // here as well, and saving a checkpoint about to be removed, would do that work twice. Should
    // the process end before publishing, the checkpoint on disk is the last one saved, whose rows
    // are on disk: resuming redoes the draws after it.
    if unsaved && !checkpoint.complete() {
        sync_and_save(&rows, &checkpoint)?;
    }
    Ok(checkpoint)
}

/// The model of the base values as the draws' `engine` builds it: each thread rebuilds a copy
/// ([`Workspaces::seeded`]).
///
/// # Errors
/// As [`Model::build`].
pub fn base_model(scenario: &Scenario, engine: PsaEngine) -> Result<Model> {
    match engine {
        PsaEngine::Cohort => Model::build_outcomes(scenario, &scenario.base_values()),
        PsaEngine::MonteCarlo { .. } => Model::from_scenario(scenario),
    }
}

/// The empty accumulators of a run of `settings` on `model`: with those of each subgroup of
/// `settings.by` when it names covariates.
///
/// # Errors
/// [`Error::By`] when `by` cannot make subgroups of the scenario's population;
/// [`Error::Setting`] naming `--by` with the Monte Carlo engine.
pub fn new_state(scenario: &Scenario, model: &Model, settings: &PsaSettings) -> Result<PsaState> {
    let grid = scenario.psa.wtp_grid.clone();
    if settings.by.is_empty() {
        return Ok(PsaState::new(model.n_strategies(), model.n_cycles, grid));
    }
    let subgroups = crate::model::subgroups::Subgroups::new(scenario, &model.groups, &settings.by)?;
    if let PsaEngine::MonteCarlo { .. } = settings.engine {
        return Err(Error::Setting {
            flag: "by",
            value: settings.by.join(","),
            rule: "needs the cohort engine, which gives each subgroup's exact outcomes in every draw \
                   (a Monte Carlo draw may put no patient in a small subgroup); drop --engine monte-carlo",
        });
    }
    let decision_wtp = scenario.economics.as_ref().map(|e| e.wtp.clone()).unwrap_or_default();
    Ok(PsaState::with_subgroups(
        model.n_strategies(),
        model.n_cycles,
        grid,
        subgroups.names,
        subgroups.shares,
        decision_wtp,
    ))
}

/// Draws per chunk of `model`: run in parallel, then added in draw order (and checkpointed by
/// [`run`]). A cohort chunk holds about [`CHUNK_CURVES_BYTES`] of survival curves (between 256
/// and 4,096 draws): a small model's chunk is long enough that handing it over costs little
/// next to its draws, a large model's short enough that its curves take little memory.
pub fn chunk_size(engine: PsaEngine, model: &Model) -> u64 {
    match engine {
        PsaEngine::Cohort => {
            let per_draw = (model.n_strategies() * (model.n_cycles + 1) * std::mem::size_of::<f64>()).max(1);
            (CHUNK_CURVES_BYTES / per_draw).clamp(256, 4096) as u64
        }
        PsaEngine::MonteCarlo { .. } => 4,
    }
}

/// The survival curves a cohort chunk holds, in bytes, about ([`chunk_size`]).
const CHUNK_CURVES_BYTES: usize = 256 << 10;

/// Runs draws `draws` in parallel, adds them to `state` in draw order, and returns their rows
/// of `psa_draws.csv` (`varied`: the indices of the varied parameters, the rows' extra columns),
/// each thread reusing its workspace from `workspaces`.
///
/// # Errors
/// As [`run_draw`], [`Error::PsaAccumulator`] when a draw does not fit the exact sums, and
/// [`Error::Interrupted`] when `progress` asks to stop (checked before each draw).
pub fn run_chunk(
    scenario: &Scenario,
    varied: &[usize],
    settings: &PsaSettings,
    draws: std::ops::Range<u64>,
    state: &mut PsaState,
    workspaces: &Workspaces,
    progress: &dyn Progress,
) -> Result<Vec<u8>> {
    let done = compute_chunk(scenario, varied, settings, draws, workspaces, progress)?;
    let mut rows = Vec::new();
    add_in_order(scenario, &done, state, &mut rows)?;
    Ok(rows)
}

/// Runs draws `draws` in parallel and returns them in draw order, or the error of the first
/// draw (in draw order) that failed.
///
/// Each draw asks `progress` whether to stop before it starts, so a stop request ends the chunk
/// after the draws in flight ([`Error::Interrupted`]), not after the whole chunk: a chunk of the
/// nine-state default takes tens of seconds in a debug build.
fn compute_chunk(
    scenario: &Scenario,
    varied: &[usize],
    settings: &PsaSettings,
    draws: std::ops::Range<u64>,
    workspaces: &Workspaces,
    progress: &dyn Progress,
) -> Result<Vec<(DrawOutcome, Vec<f64>)>> {
    let results: Vec<Result<(DrawOutcome, Vec<f64>)>> = draws
        .into_par_iter()
        .map_init(
            || workspaces.lease(),
            |lease, k| {
                if progress.stop_requested() {
                    return Err(Error::Interrupted { what: "PSA" });
                }
                run_draw(scenario, varied, settings, k, lease)
            },
        )
        .collect();
    results.into_iter().collect()
}

/// Adds computed draws to `state` in their order and returns their rows of `psa_draws.csv`.
fn add_in_order(
    scenario: &Scenario,
    done: &[(DrawOutcome, Vec<f64>)],
    state: &mut PsaState,
    rows: &mut Vec<u8>,
) -> Result<()> {
    let chunk_rows: Vec<DrawRows> = done
        .iter()
        .map(|(d, values)| DrawRows {
            draw: d.draw,
            outcomes: d.outcomes.iter().enumerate().map(|(s, o)| (scenario.strategies[s].name.as_str(), *o)).collect(),
            values,
        })
        .collect();
    for (d, _) in done {
        state.add(d)?;
    }
    draws::rows_into(&chunk_rows, rows);
    Ok(())
}

enum Resume {
    Fresh,
    From(Box<Checkpoint>),
    Complete,
}

/// Where `--resume` starts: a matching checkpoint, a complete published run (nothing to do), or
/// afresh when the folder has neither.
fn resume_point(dir: &Path, fp: &Fingerprint) -> Result<Resume> {
    let checkpoint_path = dir.join(CHECKPOINT_FILE);
    if checkpoint_path.exists() {
        let c = read_checkpoint(dir, CHECKPOINT_FILE, RunAction::Resume)?;
        let differences = c.fingerprint.differences(fp, &[]);
        if !differences.is_empty() {
            return Err(folder_error(dir, RunAction::Resume, RunProblem::Mismatch { differences }));
        }
        let found = std::fs::metadata(dir.join(ROWS_PARTIAL)).map(|m| m.len()).unwrap_or(0);
        if found < c.rows_bytes {
            let problem = RunProblem::CheckpointRows { file: ROWS_PARTIAL.to_string(), expected: c.rows_bytes, found };
            return Err(folder_error(dir, RunAction::Resume, problem));
        }
        return Ok(Resume::From(Box::new(c)));
    }
    if io::publish::read_manifest(dir)?.is_some() {
        io::check_folder(dir, RunAction::Resume, "psa", Some(fp), &[])?;
        return Ok(Resume::Complete);
    }
    Ok(Resume::Fresh)
}

/// Publishes a finished run or shard in `dir`: the rows ([`ROWS_PARTIAL`] becomes
/// `psa_draws.csv`), the final state ([`STATE_FILE`]) and `results` (the rendered result files
/// of a whole run), with the manifest; then removes the checkpoint. Returns the published paths.
///
/// # Errors
/// [`Error::Write`] naming what could not be written.
pub fn publish(dir: &Path, checkpoint: &Checkpoint, results: Vec<OutputFile>) -> Result<Vec<PathBuf>> {
    let state_path = dir.join(STATE_FILE);
    let mut files = results;
    files.push(OutputFile::new(STATE_FILE, state_bytes(checkpoint, &state_path)?));
    let rows = StagedFile { name: ROWS_FILE.to_string(), path: dir.join(ROWS_PARTIAL) };
    let written = io::publish(dir, &checkpoint.fingerprint, &files, &[rows])?;
    match std::fs::remove_file(dir.join(CHECKPOINT_FILE)) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(source) => return Err(Error::Write { path: dir.join(CHECKPOINT_FILE), cause: source }),
    }
    Ok(written)
}

/// The merge of complete shards: the scenario they ran, the state of the whole run (its rows are
/// in `psa_draws.csv.partial` of the output folder) and the results.
#[derive(Debug, Clone)]
pub struct Merged {
    pub scenario: Scenario,
    pub checkpoint: Checkpoint,
    pub results: PsaResults,
    pub shards: u64,
}

/// Merges complete shard folders into `out` (see the module documentation). The scenario is
/// rebuilt from the shards' stored source; when `expected` is given it must be the same scenario.
/// Publish the result with [`publish`].
///
/// # Errors
/// [`Error::Shards`] when the folders are not the shards of one run, each once;
/// [`Error::RunFolder`] for a folder that is incomplete, damaged or of another scenario.
pub fn merge(dirs: &[PathBuf], expected: Option<&Scenario>, out: &Path) -> Result<Merged> {
    let shards = read_shards(dirs)?;
    let (first_dir, first) = &shards[0];
    let scenario = first.source.load()?;
    let hash = fingerprint::scenario_sha256(&scenario);
    if hash != first.fingerprint.scenario_sha256 {
        let wanted = Fingerprint { scenario_sha256: hash, ..first.fingerprint.clone() };
        let differences = first.fingerprint.differences(&wanted, &[]);
        return Err(folder_error(first_dir, RunAction::Merge, RunProblem::Mismatch { differences }));
    }
    if let Some(s) = expected {
        let wanted = fingerprint::of("psa", s, &[]);
        let found = Fingerprint { settings: Default::default(), ..first.fingerprint.clone() };
        let differences = found.differences(&wanted, &[]);
        if !differences.is_empty() {
            return Err(folder_error(first_dir, RunAction::Merge, RunProblem::Mismatch { differences }));
        }
    }
    std::fs::create_dir_all(out).map_err(write_err(out))?;
    let rows_path = out.join(ROWS_PARTIAL);
    let file = std::fs::File::create(&rows_path).map_err(write_err(&rows_path))?;
    let mut rows = std::io::BufWriter::new(file);
    let mut state = first.state.clone();
    let n_strategies = first.state.n_strategies as u64;
    for (i, (dir, c)) in shards.iter().enumerate() {
        if i > 0 {
            state.merge(&c.state);
        }
        let (from, to) = c.settings.shard.range(c.settings.draws);
        let found = copy_rows(dir, i == 0, &mut rows)?;
        if found != (to - from) * n_strategies {
            let problem = ShardsProblem::Rows {
                folder: dir.clone(),
                found,
                expected: (to - from) * n_strategies,
                first: from,
                last: to,
            };
            return Err(Error::Shards { problem });
        }
    }
    let file = rows.into_inner().map_err(|e| Error::Write { path: rows_path.clone(), cause: e.into_error() })?;
    file.sync_all().map_err(write_err(&rows_path))?;
    let rows_bytes = std::fs::metadata(&rows_path).map_err(write_err(&rows_path))?.len();
    let checkpoint = Checkpoint {
        fingerprint: first.fingerprint.clone().with_setting("shard", "0/1".into()),
        settings: PsaSettings { shard: Shard::ALL, ..first.settings.clone() },
        next_draw: first.settings.draws,
        rows_bytes,
        state,
        ..first.clone()
    };
    let results = checkpoint.state.finish();
    Ok(Merged { scenario, checkpoint, results, shards: shards.len() as u64 })
}

/// Reads and checks the shard folders: each a complete, intact `psa` output with a state; all of
/// one run; every shard once. Sorted by shard.
fn read_shards(dirs: &[PathBuf]) -> Result<Vec<(PathBuf, Checkpoint)>> {
    if dirs.is_empty() {
        return Err(Error::Shards { problem: ShardsProblem::None });
    }
    let mut seen: Vec<PathBuf> = Vec::new();
    let mut shards: Vec<(PathBuf, Checkpoint)> = Vec::new();
    for d in dirs {
        let canonical = std::fs::canonicalize(d).map_err(|source| Error::Read { path: d.clone(), cause: source })?;
        if seen.contains(&canonical) {
            return Err(Error::Shards { problem: ShardsProblem::SameFolder { folder: d.clone() } });
        }
        seen.push(canonical);
        let manifest = io::check_folder(d, RunAction::Merge, "psa", None, &[])?;
        let c = read_checkpoint(d, STATE_FILE, RunAction::Merge)?;
        if c.fingerprint != manifest.fingerprint {
            return Err(folder_error(d, RunAction::Merge, RunProblem::Changed { file: STATE_FILE.to_string() }));
        }
        if !c.complete() {
            let (from, to) = c.settings.shard.range(c.settings.draws);
            let problem = RunProblem::Incomplete { done: c.next_draw - from, total: to - from };
            return Err(folder_error(d, RunAction::Merge, problem));
        }
        shards.push((d.clone(), c));
    }
    shards.sort_by_key(|(_, c)| c.settings.shard.index);
    let (first_dir, first) = &shards[0];
    let count = first.settings.shard.count;
    for (dir, c) in &shards[1..] {
        let differences = c.fingerprint.differences(&first.fingerprint, &["shard"]);
        if !differences.is_empty() || c.settings.shard.count != count {
            let problem = ShardsProblem::OtherRun { folder: dir.clone(), first: first_dir.clone(), differences };
            return Err(Error::Shards { problem });
        }
    }
    for pair in shards.windows(2) {
        if pair[0].1.settings.shard.index == pair[1].1.settings.shard.index {
            let shard = format!("{}/{count}", pair[0].1.settings.shard.index);
            let problem = ShardsProblem::Repeated { shard, first: pair[0].0.clone(), second: pair[1].0.clone() };
            return Err(Error::Shards { problem });
        }
    }
    let missing: Vec<u64> = (0..count).filter(|k| !shards.iter().any(|(_, c)| c.settings.shard.index == *k)).collect();
    if !missing.is_empty() {
        return Err(Error::Shards { problem: ShardsProblem::Missing { count, missing } });
    }
    Ok(shards)
}

/// Appends a shard's `psa_draws.csv` to `out` (with its header when `with_header`); returns the
/// number of rows (lines after the header).
fn copy_rows(dir: &Path, with_header: bool, out: &mut impl Write) -> Result<u64> {
    let path = dir.join(ROWS_FILE);
    let file = std::fs::File::open(&path).map_err(|source| Error::Read { path: path.clone(), cause: source })?;
    let mut reader = std::io::BufReader::new(file);
    let mut line = Vec::new();
    let mut rows = 0u64;
    let mut first = true;
    loop {
        line.clear();
        let n =
            reader.read_until(b'\n', &mut line).map_err(|source| Error::Read { path: path.clone(), cause: source })?;
        if n == 0 {
            break;
        }
        if !first {
            rows += 1;
        }
        if !first || with_header {
            out.write_all(&line).map_err(write_err(&path))?;
        }
        first = false;
    }
    Ok(rows)
}
