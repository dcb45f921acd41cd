//! The one error type of the library.
//!
//! Every variant says *where* (file, key path, line when known) and *what* (value and rule), so a
//! user can fix the input without reading code. Scenario validation collects every problem it
//! finds into [`Error::Invalid`] instead of stopping at the first one.

use std::fmt;
use std::path::PathBuf;

/// Everything that can go wrong in cirrhosim.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A file could not be read. The operating system's cause is part of the message (and not
    /// a separate error source, so it is printed once).
    #[error("{}: cannot read: {cause}", path.display())]
    Read { path: PathBuf, cause: std::io::Error },

    /// A file could not be written (output folder, temporary file or rename).
    #[error("{}: cannot write: {cause}", path.display())]
    Write { path: PathBuf, cause: std::io::Error },

    /// The scenario file is not valid TOML or does not have the expected shape.
    #[error("{file}:{line}:{column}: {message}")]
    Syntax { file: String, line: usize, column: usize, message: String },

    /// The scenario was read but breaks one or more rules; every problem is listed.
    #[error("{}", format_problems(file, problems))]
    Invalid { file: String, problems: Vec<Problem> },

    /// A command-line setting is out of range.
    #[error("--{flag} {value}: {rule}")]
    Setting { flag: &'static str, value: String, rule: &'static str },

    /// A strategy named on the command line does not exist in the scenario.
    #[error("{file}: no strategy named \"{name}\" (strategies: {known})")]
    UnknownStrategy { file: String, name: String, known: String },

    /// A PSA draw produced a model that cannot be built (e.g. a sampled value out of range).
    #[error("PSA draw {draw}: {cause}")]
    Draw { draw: u64, cause: Box<Error> },

    /// A sensitivity-analysis value of a parameter gives a model that cannot be built.
    #[error("parameter {name} = {}: {cause}", number(*value))]
    Parameter { name: String, value: f64, cause: Box<Error> },

    /// Serialising a report failed.
    #[error("{path}: cannot serialise report: {message}")]
    Serialise { path: PathBuf, message: String },
    // ---- (issue 10) new Error variants for model build and engine numbers go below this line ----
    /// A Monte Carlo per-patient total does not fit the fixed-point accumulators (it is not finite,
    /// or too large to be squared and summed exactly).
    #[error(
        "Monte Carlo: the {quantity} of one patient under strategy \"{strategy}\" can reach {value:e}, more than the fixed-point accumulator holds ({limit:e}); express costs in larger units (e.g. thousands)"
    )]
    PatientTotalRange { strategy: String, quantity: &'static str, value: f64, limit: f64 },

    /// A Monte Carlo sum over patients overflows its exact 128-bit accumulator.
    #[error(
        "Monte Carlo: the {what} of the per-patient {quantity} (strategy \"{strategy}\") is too large for the fixed-point accumulator after {patients} patients; reduce the number of patients or express costs in larger units (e.g. thousands)"
    )]
    AccumulatorOverflow { what: &'static str, quantity: &'static str, strategy: String, patients: u64 },

    /// The amount of Monte Carlo work (patients x strategies x cycles) does not fit a 64-bit count.
    #[error(
        "Monte Carlo: {patients} patients x {strategies} strategies x {cycles} cycles is more patient-cycles than a 64-bit count holds; reduce the number of patients"
    )]
    TooManyPatientCycles { patients: u64, strategies: usize, cycles: usize },
    // ---- (issue 10) new Error variants for runs, files read back and fingerprints go below this line ----
    /// A run folder (PSA output, shard, checkpoint, DSA output) cannot be used for what was asked.
    #[error("{folder}: cannot {action}: {problem}; {}", action.fix(problem))]
    RunFolder { folder: PathBuf, action: RunAction, problem: RunProblem },

    /// The folders given to `cirrhosim merge` are not the shards of one run, each once.
    #[error("cannot merge: {problem}")]
    Shards { problem: ShardsProblem },

    /// A CSV file (a scenario's parameter library or life table; PSA draws, targets, DSA or CEAC
    /// table read back) breaks a rule of its format.
    #[error("{location}: {rule}")]
    FileFormat { location: Location, rule: FormatRule },

    /// A PSA draw's value does not fit the exact fixed-point sums of the PSA (not finite, or so
    /// large that the sum over draws would overflow 128 bits).
    #[error(
        "PSA draw {draw}: the {what} is too large for the exact sums of the PSA; express costs in larger units (e.g. thousands)"
    )]
    PsaAccumulator { draw: u64, what: &'static str },

    /// A PSA draw's outcomes by subgroup (`--by`) do not match the run's accumulators: another
    /// number of subgroups or strategies than they hold.
    #[error(
        "PSA draw {draw}: outcomes of {found} subgroups, but the run's accumulators hold {expected}; start the run again without --resume"
    )]
    PsaSubgroups { draw: u64, found: usize, expected: usize },

    /// The optimiser (argmin's Nelder-Mead) could not be set up or run.
    #[error("the optimiser failed: {message}")]
    Optimiser { message: String },

    /// The caller asked a run to stop before its end (Ctrl-C in the Python or R package, seen by
    /// [`Progress::stop_requested`](crate::engine::Progress::stop_requested)); nothing is returned.
    #[error("{what}: stopped before the end at the caller's request (interrupt); no results")]
    Interrupted { what: &'static str },

    /// A number computed by the tool is NaN or infinite where a finite value is required.
    #[error("{location}: {what} is {value}, not a finite number{}", hint.map(|h| format!(" ({h})")).unwrap_or_default())]
    NotFinite { location: Location, what: String, value: f64, hint: Option<&'static str> },

    /// A `--by` name cannot make subgroups of the scenario's population (the problem is boxed
    /// to keep every `Result` of the library small).
    #[error("--by {name}: {problem}")]
    By { name: String, problem: Box<ByProblem> },
}

/// Why a `--by` name cannot make subgroups (see [`crate::model::subgroups`]).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ByProblem {
    /// The scenario has no `[population]`, so there are no covariates to group by.
    #[error(
        "{file} has no [population]; subgroups are made from the covariates declared under [population.covariates.NAME]"
    )]
    NoPopulation { file: String },
    /// No covariate has this name: the closest one when one is close, and every one.
    #[error("{file} has no covariate of that name (covariates: {known}){}", suggestion.as_ref().map(|s| format!("; did you mean \"{s}\"?")).unwrap_or_default())]
    Unknown { file: String, known: String, suggestion: Option<String> },
    /// A numeric covariate without bands: its strata have no names to group by.
    #[error(
        "{file}: \"{covariate}\" is a numeric covariate without bands; add bands = {{ NAME = [low, high], ... }} under [population.covariates.{covariate}] to group its values"
    )]
    NoBands { file: String, covariate: String },
    /// A stratum's value falls in none of the covariate's bands.
    #[error(
        "{file}: {stratum} of \"{covariate}\" has the value {value}, which falls in none of its bands; widen the bands so that every value from the distribution falls in one"
    )]
    OutsideBands { file: String, covariate: String, stratum: String, value: String },
    /// The same covariate named twice.
    #[error("\"{covariate}\" is named twice; name each covariate once")]
    Repeated { covariate: String },
}

/// Where a problem is: a line of a scenario, a cell of a CSV file, a command-line flag, a query
/// parameter of the teaching page, or a run folder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    /// A scenario file, with the 1-based line when known.
    Scenario { file: String, line: Option<usize> },
    /// A CSV file: 1-based line (the header is line 1) and the column by its header name.
    Csv { file: PathBuf, line: u64, column: Option<String> },
    /// A command-line flag, without the dashes.
    Flag(String),
    /// A query parameter of `cirrhosim serve`'s HTTP API.
    Query(String),
    /// A run folder (outputs of `psa`, `run`, `dsa`, a shard).
    RunFolder(PathBuf),
    /// A file as a whole.
    File(PathBuf),
    /// A PSA draw of a run.
    Draw(u64),
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Location::Scenario { file, line: Some(line) } => write!(f, "{file}:{line}"),
            Location::Scenario { file, line: None } => write!(f, "{file}"),
            Location::Csv { file, line, column: Some(c) } => write!(f, "{}:{line}: column \"{c}\"", file.display()),
            Location::Csv { file, line, column: None } => write!(f, "{}:{line}", file.display()),
            Location::Flag(flag) => write!(f, "--{flag}"),
            Location::Query(name) => write!(f, "query parameter \"{name}\""),
            Location::RunFolder(dir) | Location::File(dir) => write!(f, "{}", dir.display()),
            Location::Draw(k) => write!(f, "PSA draw {k}"),
        }
    }
}

/// What a command wanted to do with a run folder.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RunAction {
    /// `psa --resume`.
    Resume,
    /// `merge`, reading a shard.
    Merge,
    /// `report --psa` or `report --dsa`.
    Report,
    /// Reading a PSA's draws back (`evppi`).
    ReadBack,
}

impl fmt::Display for RunAction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            RunAction::Resume => "resume",
            RunAction::Merge => "merge it",
            RunAction::Report => "report on it",
            RunAction::ReadBack => "read it back",
        })
    }
}

impl RunAction {
    /// How to get out of `problem` when doing this.
    pub fn fix(self, problem: &RunProblem) -> &'static str {
        match (self, problem) {
            (RunAction::Resume, RunProblem::Mismatch { .. }) => {
                "run without --resume to start this run afresh (its checkpoint is then replaced), or give another --out"
            }
            (RunAction::Resume, _) => "run without --resume to start again",
            (RunAction::Merge, RunProblem::Incomplete { .. }) => "finish the shard with `cirrhosim psa --resume` first",
            (RunAction::Merge, _) => "merge the complete shards of one run (rerun the shards that are damaged)",
            (RunAction::Report, RunProblem::Mismatch { .. }) => {
                "report the scenario that run was made with, or rerun it with this scenario"
            }
            (RunAction::Report | RunAction::ReadBack, _) => "rerun the command that made the folder",
        }
    }
}

/// Why a run folder cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RunProblem {
    /// Its fingerprint differs from the run asked for.
    #[error("it holds the outputs of another run ({})", differences.join("; "))]
    Mismatch { differences: Vec<String> },
    /// It has no manifest: interrupted before its outputs were published, or not made by cirrhosim.
    #[error(
        "it has no {manifest}, so it is not a complete set of cirrhosim outputs (an interrupted run, or made by an older version)"
    )]
    NoManifest { manifest: &'static str },
    /// A file the manifest lists is missing.
    #[error("{file} is missing")]
    Missing { file: String },
    /// A file differs from what the manifest recorded (edited, or from another run).
    #[error("{file} has changed since it was written (its SHA-256 differs from the manifest's)")]
    Changed { file: String },
    /// A checkpoint's rows file is missing or shorter than the checkpoint says.
    #[error("{file} holds {found} bytes but the checkpoint counts {expected}")]
    CheckpointRows { file: String, expected: u64, found: u64 },
    /// Not all draws of the run are done.
    #[error("only {done} of its {total} draws are done")]
    Incomplete { done: u64, total: u64 },
    /// A JSON file (manifest, checkpoint) cannot be read as one.
    #[error("{file} is not a valid {what}: {message}")]
    Unreadable { file: String, what: &'static str, message: String },
    /// It is not the kind of output asked for (e.g. a DSA folder given to `--psa`).
    #[error("it holds the outputs of `cirrhosim {found}`, not of `cirrhosim {wanted}`")]
    WrongCommand { found: String, wanted: &'static str },
}

/// Why a set of shard folders cannot be merged.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ShardsProblem {
    /// No folder given.
    #[error("no shard folders given")]
    None,
    /// The same folder twice.
    #[error("{} is given twice", folder.display())]
    SameFolder { folder: PathBuf },
    /// Two folders hold the same shard.
    #[error("{} and {} both hold shard {shard}", first.display(), second.display())]
    Repeated { shard: String, first: PathBuf, second: PathBuf },
    /// Shards of the run are missing.
    #[error("shards {} of {count} are missing (give every shard 0/{count} to {}/{count} once)", missing.iter().map(|k| format!("{k}/{count}")).collect::<Vec<_>>().join(", "), count - 1)]
    Missing { count: u64, missing: Vec<u64> },
    /// Shards of different runs.
    #[error("{} is not a shard of the same run as {} ({})", folder.display(), first.display(), differences.join("; "))]
    OtherRun { folder: PathBuf, first: PathBuf, differences: Vec<String> },
    /// A folder's rows do not match its draws.
    #[error("{}: psa_draws.csv has {found} rows, but its draws {first}-{last} give {expected}", folder.display())]
    Rows { folder: PathBuf, found: u64, expected: u64, first: u64, last: u64 },
}

/// A rule of a CSV file format: a scenario's parameter library or life table, or a file read back.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FormatRule {
    /// The header is not the expected one.
    #[error("expected the header {expected}")]
    Header { expected: &'static str },
    /// The file has a header but no data rows.
    #[error("has no {what} (only a header): the run that wrote it did not finish")]
    NoRows { what: &'static str },
    /// A value is not a number.
    #[error("\"{value}\" is not a number")]
    NotANumber { value: String },
    /// A value is not finite.
    #[error("{value} is not a finite number")]
    NotFinite { value: String },
    /// A row has the wrong number of fields.
    #[error("the row has {found} fields but the header has {expected}")]
    Fields { found: usize, expected: usize },
    /// A draw's rows do not cover every strategy, in the order of the first draw.
    #[error(
        "draw {draw} has strategy \"{found}\" where \"{expected}\" was expected (each draw lists every strategy in the same order)"
    )]
    StrategyOrder { draw: u64, found: String, expected: String },
    /// The last draw is cut short.
    #[error("the last draw ({draw}) has {found} of {expected} strategies: the file is truncated")]
    Truncated { draw: u64, found: usize, expected: usize },
    /// A value is outside its allowed range.
    #[error("{value} {rule}")]
    Range { value: String, rule: &'static str },
    /// The CSV reader failed (quoting, UTF-8, I/O).
    #[error("{message}")]
    Csv { message: String },
    /// One end of an interval without the other.
    #[error("is empty while {given} is given: give both lower and upper, or neither")]
    Unpaired { given: &'static str },
    /// A name refers to nothing the reader knows.
    #[error("\"{value}\" is not one of: {known}")]
    Unknown { value: String, known: String },
    /// A column the format needs is not in the header.
    #[error("missing column \"{column}\" (the header has: {header}; needed: {needed})")]
    MissingColumn { column: &'static str, header: String, needed: &'static str },
    /// The file is empty: not even a header.
    #[error("is empty (expected the header {expected})")]
    EmptyFile { expected: &'static str },
    /// A cell that must hold a value is empty.
    #[error("is empty; every row needs a value in this column")]
    Empty,
    /// A value is not a whole number (e.g. an age, a cycle).
    #[error("\"{value}\" is not a whole number")]
    NotAWholeNumber { value: String },
    /// A value is not `true` or `false`.
    #[error("\"{value}\" is not true or false")]
    NotABool { value: String },
    /// A value is above the largest the format allows.
    #[error("{value} is above {what} ({limit})")]
    AboveLimit { value: u64, what: &'static str, limit: u64 },
    /// A series that must go up by one from row to row (a life table's ages of one sex) skips or
    /// goes back.
    #[error("{what} {value} follows {previous}; {what}s must be contiguous and increasing: one row for each, in order")]
    NotContiguous { what: &'static str, value: u64, previous: u64 },
    /// A part the format needs has no rows (a life table without rows for one sex).
    #[error("no rows for {what}")]
    MissingRows { what: &'static str },
    /// A parameter's PSA distribution lacks one of its parameters (`dist_a`, `dist_b`).
    #[error("distribution {distribution} needs {column}")]
    NeedsColumn { distribution: &'static str, column: &'static str },
    /// A strategy that the scenario does not have.
    #[error("\"{value}\" is not a strategy of the scenario ({known}); was this file written for another scenario?")]
    NotAStrategy { value: String, known: String },
    /// The strategies of a PSA's draws are not the scenario's, in its order.
    #[error(
        "the draws are for strategies {found} but the scenario has {scenario}; was this PSA run on another scenario?"
    )]
    DrawStrategies { found: String, scenario: String },
}

/// Significant digits kept when a number is printed in a message.
pub const SIGNIFICANT_DIGITS: usize = 10;

/// A number for a message: rounded to [`SIGNIFICANT_DIGITS`] significant digits, written
/// without trailing zeros, so float noise such as `0.8999999999999999` reads `0.9`; in scientific
/// notation below 1e-6 and from 1e16 on.
///
/// # Examples
/// ```
/// use cirrhosim::error::number;
/// assert_eq!(number(0.8999999999999999), "0.9");
/// assert_eq!(number(-0.03), "-0.03");
/// assert_eq!(number(1.2e10), "12000000000");
/// assert_eq!(number(1e-12), "1e-12");
/// assert_eq!(number(f64::NAN), "NaN");
/// ```
pub fn number(x: f64) -> String {
    if !x.is_finite() {
        return x.to_string();
    }
    if x == 0.0 {
        return "0".to_string();
    }
    let scientific = format!("{:.*e}", SIGNIFICANT_DIGITS - 1, x);
    let (mantissa, exponent) = scientific.split_once('e').unwrap_or((&scientific, "0"));
    let exponent: i32 = exponent.parse().unwrap_or(0);
    if (-6..16).contains(&exponent) {
        // The rounded value has at most 10 significant digits, so its shortest form does too.
        let rounded: f64 = scientific.parse().unwrap_or(x);
        rounded.to_string()
    } else {
        let mantissa =
            if mantissa.contains('.') { mantissa.trim_end_matches('0').trim_end_matches('.') } else { mantissa };
        format!("{mantissa}e{exponent}")
    }
}

/// [`number`] for `thiserror` attributes, which pass fields by reference.
pub(crate) fn short(x: &f64) -> String {
    number(*x)
}

/// Shorthand for results in this crate.
pub type Result<T> = std::result::Result<T, Error>;

/// One rule broken by a scenario: the key path (and line) plus what is wrong.
#[derive(Debug, Clone, PartialEq)]
pub struct Problem {
    /// Dotted key path in the scenario, e.g. `transitions[2].to` or `parameters.p_comp_death`.
    pub key: String,
    /// 1-based line in the scenario file, when known.
    pub line: Option<usize>,
    /// What is wrong.
    pub kind: ProblemKind,
}

impl Problem {
    /// A problem at `key`, optionally on a line.
    pub fn new(key: impl Into<String>, line: Option<usize>, kind: ProblemKind) -> Self {
        Problem { key: key.into(), line, kind }
    }
}

pub use problem_kind::ProblemKind;

fn format_problems(file: &str, problems: &[Problem]) -> String {
    let mut out = String::new();
    if problems.len() == 1 {
        out.push_str(&format_one(file, &problems[0]));
        return out;
    }
    out.push_str(&format!("{file}: {} problems", problems.len()));
    for p in problems {
        out.push_str("\n  ");
        out.push_str(&format_one(file, p));
    }
    out
}

fn format_one(file: &str, p: &Problem) -> String {
    let key = if p.key.is_empty() { String::new() } else { format!("{}: ", p.key) };
    match p.line {
        Some(line) => format!("{file}:{line}: {key}{}", p.kind),
        None => format!("{file}: {key}{}", p.kind),
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let key = if self.key.is_empty() { String::new() } else { format!("{}: ", self.key) };
        match self.line {
            Some(line) => write!(f, "line {line}: {key}{}", self.kind),
            None => write!(f, "{key}{}", self.kind),
        }
    }
}

mod problem_kind;

#[cfg(test)]
mod tests;
