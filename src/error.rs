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
    /// A file could not be read.
    #[error("{path}: cannot read: {source}")]
    Read { path: PathBuf, source: std::io::Error },

    /// A file could not be written (output directory, temp file or rename).
    #[error("{path}: cannot write: {source}")]
    Write { path: PathBuf, source: std::io::Error },

    /// The scenario file is not valid TOML or does not have the expected shape.
    #[error("{file}:{line}:{column}: {message}")]
    Syntax { file: String, line: usize, column: usize, message: String },

    /// A CSV input (parameter table, life table) is malformed.
    #[error("{file}:{line}: {message}")]
    Csv { file: String, line: u64, message: String },

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
    #[error("PSA draw {draw}: {source}")]
    Draw { draw: u64, source: Box<Error> },

    /// A PSA checkpoint cannot be resumed.
    #[error("{path}: cannot resume: {reason}; start again without --resume")]
    Resume { path: PathBuf, reason: String },

    /// A sensitivity-analysis value of a parameter gives a model that cannot be built.
    #[error("parameter {name} = {value}: {source}")]
    Parameter { name: String, value: f64, source: Box<Error> },

    /// PSA shards cannot be merged.
    #[error("cannot merge: {reason}")]
    Merge { reason: String },

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

/// The rules a scenario can break.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ProblemKind {
    #[error("unknown state \"{name}\" (states: {known})")]
    UnknownState { name: String, known: String },
    #[error("unknown parameter \"{name}\" (define it under [parameters.{name}] or in a parameter_files CSV)")]
    UnknownParameter { name: String },
    #[error("state \"{name}\" is defined twice")]
    DuplicateState { name: String },
    #[error("strategy \"{name}\" is defined twice")]
    DuplicateStrategy { name: String },
    #[error("{value} is not a valid {kind}: {rule}")]
    OutOfRange { value: f64, kind: &'static str, rule: &'static str },
    #[error(
        "\"{value}\" is not a duration: write a number and a unit, e.g. \"1 month\", \"6 months\", \"4 weeks\", \"40 years\"{extra}"
    )]
    BadDuration { value: String, extra: &'static str },
    #[error("unknown parameter kind \"{value}\" (kinds: {known})")]
    UnknownKind { value: String, known: &'static str },
    #[error("parameter \"{name}\" is a {kind} but is used as {used_as}")]
    KindMismatch { name: String, kind: &'static str, used_as: &'static str },
    #[error("give exactly one of {options} (found {found})")]
    ExactlyOne { options: &'static str, found: usize },
    #[error("\"{name}\" is absorbing: it can have no exits")]
    ExitFromAbsorbing { name: String },
    #[error("state \"{name}\" is not alive, so it must be absorbing (absorbing = true)")]
    DeadNotAbsorbing { name: String },
    #[error(
        "state \"{name}\" mixes per-cycle probabilities (cycle_probability/complement) with rates or annual probabilities; use one scale per state"
    )]
    MixedScales { name: String },
    #[error(
        "state \"{name}\" has {count} complement exits at time in state {window}; at most one exit can be the complement"
    )]
    TwoComplements { name: String, count: usize, window: String },
    #[error("a transition from \"{name}\" to itself is only allowed as the complement (complement = true)")]
    SelfLoop { name: String },
    #[error(
        "transitions from \"{from}\" to \"{to}\" overlap in time in state ({a} and {b}); give non-overlapping windows"
    )]
    OverlappingWindows { from: String, to: String, a: String, b: String },
    #[error("{value} is not a whole number of cycles (cycle length {cycle}); use a multiple of the cycle length")]
    NotWholeCycles { value: String, cycle: String },
    #[error("\"from\" ({from}) must be before \"until\" ({until})")]
    EmptyWindow { from: String, until: String },
    #[error("must be positive (got {value})")]
    NotPositive { value: String },
    #[error("shares sum to {sum} (expected 1)")]
    SharesSum { sum: f64 },
    #[error("starts patients in \"{name}\", which is not alive")]
    StartDead { name: String },
    #[error(
        "the life table has no qx for {sex} age {age} (needed from the cohort start age {start_age}); it covers ages {first}-{last}"
    )]
    MissingLifeTableAge { sex: &'static str, age: u32, start_age: f64, first: u32, last: u32 },
    #[error("background mortality goes to \"{name}\", which is alive; point it at the death state")]
    BackgroundToAlive { name: String },
    #[error(
        "horizon = \"lifetime\" needs [background_mortality] (a life table ends every life); or give the horizon in years, e.g. \"40 years\""
    )]
    LifetimeWithoutLifeTable,
    #[error("no effect target: \"{from}\" has no transition to \"{to}\"")]
    NoSuchTransition { from: String, to: String },
    #[error(
        "the transition from \"{from}\" to \"{to}\" is the complement; an effect on it is absorbed by definition. Put the effect on the other exits"
    )]
    EffectOnComplement { from: String, to: String },
    #[error("unknown waning shape \"{value}\" (none, linear, exponential)")]
    UnknownWaning { value: String },
    #[error("waning \"{shape}\" needs \"over\" (the waning period; for exponential, the half-life)")]
    WaningNeedsPeriod { shape: String },
    #[error("{what} \"{name}\" has no source; every number should say where it comes from")]
    NoSource { what: &'static str, name: String },
    #[error(
        "transitions out of \"{from}\" sum to {sum} at cycle {cycle} (strategy \"{strategy}\"{group}); expected at most 1"
    )]
    RowSum { from: String, strategy: String, cycle: usize, sum: f64, group: String },
    #[error("{message}")]
    LifeTable { message: String },
    #[error("\"{value}\" is not one of: {choices}")]
    UnknownChoice { value: String, choices: &'static str },
    #[error("unknown strategy \"{name}\" (strategies: {known})")]
    UnknownStrategy { name: String, known: String },
    #[error(
        "costs or utilities are given but there is no [economics] table (currency, price_year, discount_rate_costs, discount_rate_effects)"
    )]
    EconomicsMissing,
    #[error("this analysis needs costs and QALYs: add an [economics] table with [[costs]] and [[utilities]]")]
    EconomicsNeeded,
    #[error("\"{name}\" is not a used parameter with both low and high; a sensitivity analysis needs its range")]
    NoRange { name: String },
    #[error("{kind} distribution: {rule}")]
    BadDistribution { kind: String, rule: &'static str },
    #[error(
        "a Dirichlet group needs at least two parameters and one alpha each (got {parameters} parameters, {alpha} alphas)"
    )]
    DirichletShape { parameters: usize, alpha: usize },
    #[error("parameter \"{name}\" is in more than one place of the Dirichlet groups")]
    DirichletTwice { name: String },
    #[error("\"{name}\" is not a parameter the model uses")]
    UnusedParameter { name: String },
    #[error("a target at {years} years lies beyond the model's horizon")]
    TargetBeyondHorizon { years: f64 },
    #[error(
        "unknown target curve \"{curve}\" (overall_survival, transplant_free_survival, occupancy:<state>, entered:<state>)"
    )]
    UnknownCurve { curve: String },
    #[error("no {what} defined; a scenario needs at least one")]
    Empty { what: &'static str },
    #[error(
        "state \"{name}\" is a transplant state but has an exit to \"{to}\", which is alive and not a transplant state; transplant-free survival needs transplant states to be left only for death or other transplant states"
    )]
    TransplantExit { name: String, to: String },
    // ---- (issue 10) new scenario-validation ProblemKinds go below this line ----

    // ---- (issue 10) new model-build ProblemKinds go below this line ----
    /// An effect, resolved with the parameter values, has a multiplier or a time that is not a finite
    /// number >= 0 (e.g. `hr_per_meld_point ^ meld_shift` overflows to infinity).
    #[error(
        "the {measure} of strategy \"{strategy}\" on \"{from}\" -> \"{to}\": {what} is {value}{inputs}; it must be a finite number >= 0"
    )]
    EffectNotFinite {
        strategy: String,
        from: String,
        to: String,
        measure: &'static str,
        what: String,
        value: f64,
        inputs: String,
    },
    /// An infinite rate (a probability of 1) is multiplied by a hazard ratio of 0: the product is undefined.
    #[error(
        "the rate from \"{from}\" to \"{to}\" ({inputs}) is infinite and strategy \"{strategy}\" multiplies it by a hazard ratio of {hazard_ratio} at cycle {cycle}; the product is not a number. Use a probability below 1 or a hazard ratio above 0"
    )]
    RateNotANumber { from: String, to: String, inputs: String, strategy: String, cycle: usize, hazard_ratio: f64 },
    /// A built transition row is not a probability distribution although its inputs passed every check.
    #[error(
        "transitions out of \"{from}\" sum to {sum} at cycle {cycle} (strategy \"{strategy}\"{group}); every built row must be finite and sum to 1 within 1e-9. This is a bug in cirrhosim: please report it with the scenario"
    )]
    RowNotDistribution { from: String, strategy: String, cycle: usize, sum: f64, group: String },
    /// An entry of a strategy's value tables (costs, QALYs, life years) is not finite, or the
    /// total one patient can accrue over the horizon is not.
    #[error(
        "strategy \"{strategy}\": the {quantity} {place} at {when} is {value}; it is fed by {entries}. Every cost, utility and total must be a finite number: express costs in larger units (e.g. thousands)"
    )]
    ValueNotFinite { strategy: String, quantity: String, place: String, when: String, value: f64, entries: String },
}

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_problem_names_file_line_key_and_rule() {
        let e = Error::Invalid {
            file: "scenarios/x.toml".into(),
            problems: vec![Problem::new(
                "transitions[1].to",
                Some(12),
                ProblemKind::UnknownState { name: "decomp".into(), known: "compensated, death".into() },
            )],
        };
        assert_eq!(
            e.to_string(),
            "scenarios/x.toml:12: transitions[1].to: unknown state \"decomp\" (states: compensated, death)"
        );
    }

    #[test]
    fn several_problems_are_all_listed() {
        let e = Error::Invalid {
            file: "f.toml".into(),
            problems: vec![
                Problem::new("a", None, ProblemKind::Empty { what: "states" }),
                Problem::new("b", Some(3), ProblemKind::LifetimeWithoutLifeTable),
            ],
        };
        let text = e.to_string();
        assert!(text.starts_with("f.toml: 2 problems\n  f.toml: a: no states defined"));
        assert!(text.contains("\n  f.toml:3: b: horizon = \"lifetime\""));
    }
}
