//! Arguments shared by several commands, flattened into each command's `Args`
//! (`#[command(flatten)]`): the scenario and its loader, the strategies to compare, the worker
//! threads, `--quiet` and `--out`.

use anyhow::Context;
use cirrhosim::scenario::Scenario;
use clap::Args;
use std::path::{Path, PathBuf};

/// The scenario file, the first positional argument of most commands.
#[derive(Args, Debug, Clone)]
pub struct ScenarioArg {
    /// Scenario TOML file (default: the embedded default scenario).
    pub scenario: Option<PathBuf>,
}

impl ScenarioArg {
    /// Reads and validates the scenario (the embedded default when none is given), printing its
    /// warnings on stderr.
    pub fn load(&self) -> anyhow::Result<Scenario> {
        load(self.scenario.as_deref())
    }

    /// The scenario's TOML text, as written (for commands that edit it, e.g. `calibrate`).
    pub fn text(&self) -> anyhow::Result<String> {
        Ok(match &self.scenario {
            Some(p) => {
                std::fs::read_to_string(p).map_err(|source| cirrhosim::Error::Read { path: p.clone(), source })?
            }
            None => cirrhosim::scenario::DEFAULT_SCENARIO.to_string(),
        })
    }
}

/// Reads and validates a scenario (the embedded default for `None`); warnings go to stderr.
pub fn load(path: Option<&Path>) -> anyhow::Result<Scenario> {
    let scenario = match path {
        Some(p) => Scenario::load(p)?,
        None => Scenario::default_scenario()?,
    };
    for w in &scenario.warnings {
        eprintln!("warning: {}: {w}", scenario.file);
    }
    Ok(scenario)
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
    /// The indices of the strategy (default: the last) and the comparator (default: the first).
    pub fn indices(&self, scenario: &Scenario) -> anyhow::Result<(usize, usize)> {
        let strategy = strategy_or_last(scenario, self.strategy.as_deref())?;
        let comparator = match &self.comparator {
            Some(name) => scenario.strategy_index(name)?,
            None => 0,
        };
        Ok((strategy, comparator))
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

/// `--threads`: the size of the rayon pool the command runs in.
#[derive(Args, Debug, Clone)]
pub struct Threads {
    /// Worker threads (default: RAYON_NUM_THREADS or all cores). Results do not depend on it.
    #[arg(long)]
    pub threads: Option<usize>,
}

impl Threads {
    /// Builds the worker pool.
    pub fn pool(&self) -> anyhow::Result<rayon::ThreadPool> {
        let mut pool = rayon::ThreadPoolBuilder::new();
        if let Some(t) = self.threads {
            if t == 0 {
                return Err(cirrhosim::Error::Setting {
                    flag: "threads",
                    value: "0".into(),
                    rule: "must be at least 1",
                }
                .into());
            }
            pool = pool.num_threads(t);
        }
        pool.build().context("cannot start worker threads")
    }
}
