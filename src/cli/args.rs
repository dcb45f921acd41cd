//! Arguments shared by several commands, flattened into each command's `Args`
//! (`#[command(flatten)]`), and the `value_parser` functions that check every number on the
//! command line before any work starts.
//!
//! A value that breaks a rule is refused by clap with the flag and the rule named
//! (`error: invalid value '0' for '--patients <N>': must be at least 1`), and the command exits
//! with status 2. Numeric flags take hyphen values (`allow_hyphen_values`) so that `-5` reaches
//! its parser and is refused by rule, instead of clap's "unexpected argument '-5'".

use anyhow::Context;
use cirrhosim::analysis::psa::runner::ScenarioSource;
use cirrhosim::scenario::Scenario;
use clap::Args;
use std::path::{Path, PathBuf};

/// The scenario file, the first positional argument of most commands.
#[derive(Args, Debug, Clone)]
pub struct ScenarioArg {
    /// Scenario TOML file (default: the embedded default scenario).
    pub scenario: Option<PathBuf>,
    /// Fix a parameter at a value, checked like a value in the file (repeatable), e.g.
    /// --set c_msc_infusion=2500; a PSA then holds it fixed and the tornado leaves it out.
    #[arg(long = "set", value_name = "NAME=VALUE", value_parser = set_value)]
    pub set: Vec<(String, f64)>,
}

impl ScenarioArg {
    /// Reads and validates the scenario (the embedded default when none is given), printing its
    /// warnings on stderr.
    pub fn load(&self) -> anyhow::Result<Scenario> {
        let scenario = match &self.scenario {
            Some(p) => Scenario::load_with(p, &self.set)?,
            None => Scenario::default_scenario_with(&self.set)?,
        };
        warn(&scenario);
        Ok(scenario)
    }

    /// The scenario's source (file and text as written) and the scenario it gives, for commands
    /// that store or edit the text (`psa` keeps it for `merge`; `calibrate` rewrites it).
    pub fn source(&self) -> anyhow::Result<(ScenarioSource, Scenario)> {
        let source = ScenarioSource { set: self.set.clone(), ..ScenarioSource::read(self.scenario.as_deref())? };
        let scenario = source.load()?;
        warn(&scenario);
        Ok((source, scenario))
    }
}

/// Reads and validates a scenario (the embedded default for `None`); warnings go to stderr.
pub fn load(path: Option<&Path>) -> anyhow::Result<Scenario> {
    ScenarioArg { scenario: path.map(Path::to_path_buf), set: Vec::new() }.load()
}

/// Prints a scenario's warnings on stderr.
fn warn(scenario: &Scenario) {
    for w in &scenario.warnings {
        eprintln!("warning: {}: {w}", scenario.file);
    }
}

/// A strategy and the comparator it is measured against.
#[derive(Args, Debug, Clone)]
pub struct Compared {
    /// Strategy to evaluate (default: the last).
    #[arg(long)]
    pub strategy: Option<String>,
    /// Comparator (default: the first strategy).
    #[arg(long)]
    pub comparator: Option<String>,
}

impl Compared {
    /// The indices of the strategy (default: the last) and the comparator (default: the first),
    /// checked against the scenario: both must exist and differ.
    pub fn indices(&self, scenario: &Scenario) -> anyhow::Result<(usize, usize)> {
        Ok(cirrhosim::api::compared(scenario, self.strategy.as_deref(), self.comparator.as_deref())?)
    }
}

/// The strategy named (default: the last).
pub fn strategy_or_last(scenario: &Scenario, name: Option<&str>) -> anyhow::Result<usize> {
    Ok(match name {
        Some(name) => scenario.strategy_index(name)?,
        None => scenario.strategies.len() - 1,
    })
}

/// `--strategy` of the teaching commands: show only this strategy (default: every strategy).
#[derive(Args, Debug, Clone)]
pub struct StrategyFilter {
    /// Show only this strategy.
    #[arg(long)]
    pub strategy: Option<String>,
}

impl StrategyFilter {
    /// The indices of the strategies to show.
    pub fn indices(&self, scenario: &Scenario) -> anyhow::Result<Vec<usize>> {
        Ok(match &self.strategy {
            Some(name) => vec![scenario.strategy_index(name)?],
            None => (0..scenario.strategies.len()).collect(),
        })
    }
}

/// `--wtp` as a list of willingness-to-pay values per QALY, each finite and >= 0. The default
/// is the command's: empty here, filled by the command (or set with `mut_arg`).
#[derive(Args, Debug, Clone)]
pub struct WtpList {
    /// Willingness-to-pay values per QALY, comma-separated or repeated, each finite and >= 0
    /// (default: the scenario's economics.wtp).
    #[arg(long, value_name = "WTP", value_delimiter = ',', value_parser = wtp, allow_hyphen_values = true)]
    pub wtp: Vec<f64>,
}

impl WtpList {
    /// The values given, else `default`.
    pub fn or(self, default: Vec<f64>) -> Vec<f64> {
        if self.wtp.is_empty() { default } else { self.wtp }
    }
}

/// Upper limit of `--threads`: more threads than this only costs memory.
pub const MAX_THREADS: u64 = 1024;

/// `--threads`: the size of the rayon pool the command runs in.
#[derive(Args, Debug, Clone)]
pub struct Threads {
    /// Worker threads, 1 to 1024 (default: RAYON_NUM_THREADS or all cores). Results do not
    /// depend on it.
    #[arg(long, value_name = "N", value_parser = threads, allow_hyphen_values = true)]
    pub threads: Option<usize>,
}

impl Threads {
    /// Builds the worker pool.
    pub fn pool(&self) -> anyhow::Result<rayon::ThreadPool> {
        let mut pool = rayon::ThreadPoolBuilder::new();
        if let Some(t) = self.threads {
            pool = pool.num_threads(t);
        }
        pool.build().context("cannot start worker threads")
    }
}

/// `--quiet`.
#[derive(Args, Debug, Clone, Copy)]
pub struct Quiet {
    /// Print nothing but errors and warnings: no progress, no table, no list of files written.
    #[arg(long)]
    pub quiet: bool,
}

/// `--out`: the one directory a command writes to. Its default is the command's, set in the
/// command's `Args` with `#[command(mut_arg("out", |a| a.default_value("...")))]`.
#[derive(Args, Debug, Clone)]
pub struct OutDir {
    /// Output directory (created if needed); the command writes nothing anywhere else.
    #[arg(long, value_name = "DIR", required = false)]
    pub out: PathBuf,
}

// ---- value parsers: each returns the rule broken, and clap names the flag ----

/// A whole number from `min` to `max`; `limit` explains the maximum.
fn whole(text: &str, min: u64, max: u64, limit: &str) -> Result<u64, String> {
    let text = text.trim();
    let range = || {
        if max == u64::MAX {
            format!("must be a whole number, at least {min}")
        } else {
            format!("must be a whole number from {min} to {max}{limit}")
        }
    };
    match text.parse::<u64>() {
        Ok(v) if v < min => Err(format!("must be at least {min}")),
        Ok(v) if v > max => Err(format!("must be at most {max}{limit}")),
        Ok(v) => Ok(v),
        Err(_) if text.strip_prefix('-').is_some_and(|t| t.parse::<f64>().is_ok()) => {
            Err(if min == 0 { "must not be negative".to_string() } else { format!("must be at least {min}") })
        }
        Err(_) => Err(range()),
    }
}

/// `--patients` of `run`, `report`, `psa` and `verify`: at least 1.
pub fn patients(text: &str) -> Result<u64, String> {
    whole(text, 1, cirrhosim::scenario::limits::MAX_PATIENTS, "")
}

/// Upper limit of `paths --patients`: each history is printed.
pub const MAX_PATHS: u64 = 10_000;

/// `paths --patients`: 1 to [`MAX_PATHS`].
pub fn path_patients(text: &str) -> Result<u64, String> {
    whole(text, 1, MAX_PATHS, " (paths prints every history; simulate more patients with `cirrhosim run --patients`)")
}

/// `--draws`: at least 1.
pub fn draws(text: &str) -> Result<u64, String> {
    whole(text, 1, u64::MAX, "")
}

/// `--threads`: 1 to [`MAX_THREADS`].
pub fn threads(text: &str) -> Result<usize, String> {
    whole(text, 1, MAX_THREADS, "").map(|v| v as usize)
}

/// `dsa --steps`: grid points per parameter, 2 to 1001 (a 1001 x 1001 grid is a million runs).
pub fn steps(text: &str) -> Result<usize, String> {
    whole(text, 2, 1001, " (the two-way grid runs the model steps x steps times)").map(|v| v as usize)
}

/// `--cycles` of `trace` and `explain`: at least 1 (more than the horizon shows the horizon).
pub fn cycles(text: &str) -> Result<usize, String> {
    whole(text, 1, usize::MAX as u64, "").map(|v| v as usize)
}

/// `--seed`: any whole number from 0 to 2^64 - 1.
pub fn seed(text: &str) -> Result<u64, String> {
    whole(text, 0, u64::MAX, "")
}

/// `serve --port`: 0 to 65535 (0 picks a free port).
pub fn port(text: &str) -> Result<u16, String> {
    whole(text, 0, u16::MAX as u64, " (0 picks a free port)").map(|v| v as u16)
}

/// A willingness to pay per QALY: a finite number >= 0.
pub fn wtp(text: &str) -> Result<f64, String> {
    match text.trim().parse::<f64>() {
        Ok(v) if v.is_finite() && v >= 0.0 => Ok(v),
        Ok(v) if v.is_nan() => Err("must be a finite number >= 0, not NaN".into()),
        Ok(v) if v.is_infinite() => Err("must be a finite number >= 0 (a willingness to pay per QALY)".into()),
        Ok(_) => Err("must be >= 0 (a willingness to pay per QALY)".into()),
        Err(_) => Err("is not a number (a willingness to pay per QALY, e.g. 30000)".into()),
    }
}

/// `--set NAME=VALUE`: a parameter name and a number (its rules are the scenario's, checked
/// when the scenario is read).
pub fn set_value(text: &str) -> Result<(String, f64), String> {
    let rule = "must be NAME=VALUE with a parameter name and a number, e.g. c_msc_infusion=2500";
    let (name, value) = text.split_once('=').ok_or_else(|| rule.to_string())?;
    let (name, value) = (name.trim(), value.trim());
    match value.parse::<f64>() {
        Ok(v) if !name.is_empty() => Ok((name.to_string(), v)),
        _ => Err(rule.to_string()),
    }
}

/// A search range `low,high` of `threshold --between`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Between {
    pub low: f64,
    pub high: f64,
}

/// `threshold --between low,high`: two finite numbers with low < high.
pub fn between(text: &str) -> Result<Between, String> {
    let rule = "must be two finite numbers low,high with low < high, e.g. 0,20000";
    let (low, high) = text.split_once(',').ok_or_else(|| rule.to_string())?;
    let number = |t: &str| t.trim().parse::<f64>().ok().filter(|v| v.is_finite());
    match (number(low), number(high)) {
        (Some(low), Some(high)) if low < high => Ok(Between { low, high }),
        _ => Err(rule.to_string()),
    }
}

/// `dsa --two-way a,b`: exactly two different parameter names.
pub fn two_names(text: &str) -> Result<[String; 2], String> {
    let names: Vec<&str> = text.split(',').map(str::trim).collect();
    match names.as_slice() {
        [a, b] if !a.is_empty() && !b.is_empty() && a != b => Ok([a.to_string(), b.to_string()]),
        _ => Err("needs exactly two different parameter names, e.g. msc_meld_md_24wk,c_msc_infusion".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whole_numbers_name_the_rule() {
        assert_eq!(patients("3"), Ok(3));
        assert_eq!(patients("0"), Err("must be at least 1".into()));
        assert_eq!(patients("-5"), Err("must be at least 1".into()));
        assert_eq!(patients("1.5"), Err("must be a whole number from 1 to 1000000000000".into()));
        assert_eq!(patients("abc"), Err("must be a whole number from 1 to 1000000000000".into()));
        assert!(path_patients("10001").unwrap_err().starts_with("must be at most 10000 (paths prints"));
        assert_eq!(path_patients("10000"), Ok(10_000));
        assert_eq!(steps("1"), Err("must be at least 2".into()));
        assert!(steps("1002").unwrap_err().starts_with("must be at most 1001"));
        assert_eq!(threads("0"), Err("must be at least 1".into()));
        assert_eq!(cycles("0"), Err("must be at least 1".into()));
        assert_eq!(seed("0"), Ok(0));
        assert_eq!(seed("-1"), Err("must not be negative".into()));
        assert!(port("70000").unwrap_err().starts_with("must be at most 65535"));
    }

    #[test]
    fn wtp_is_finite_and_not_negative() {
        assert_eq!(wtp("30000"), Ok(30000.0));
        assert_eq!(wtp("0"), Ok(0.0));
        for bad in ["-1", "NaN", "inf", "-inf", "x", ""] {
            assert!(wtp(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn between_and_two_way() {
        assert_eq!(between("-1,2.5"), Ok(Between { low: -1.0, high: 2.5 }));
        for bad in ["5,1", "1,1", "1", "1,2,3", "NaN,1", "0,inf"] {
            assert!(between(bad).is_err(), "{bad}");
        }
        assert_eq!(set_value("c_x = 2.5e3"), Ok(("c_x".to_string(), 2500.0)));
        for bad in ["c_x", "=1", "c_x=", "c_x=abc"] {
            assert!(set_value(bad).is_err(), "{bad}");
        }
        assert_eq!(two_names("a, b"), Ok(["a".to_string(), "b".to_string()]));
        for bad in ["a", "a,b,c", "a,a", "a,"] {
            assert!(two_names(bad).is_err(), "{bad}");
        }
    }
}
