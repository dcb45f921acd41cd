//! Scenario files: read the TOML, check every rule, hand on a [`Scenario`] the model can trust.
//!
//! Receives a path (or the embedded default text); returns either a [`Scenario`] with states,
//! parameters, transitions, strategies and cohort resolved to indices and years, or
//! [`Error::Invalid`] listing *every* problem found, each with key path, line, value and rule.
//! The stages are `read` (the TOML text parsed once into a tree with positions, checked against
//! the shape in `schema`: every unknown key and value of the wrong form becomes a located problem)
//! -> `raw` (what serde reads from the well-formed tree) -> `validate` (one file per table) ->
//! `types` (the checked [`Scenario`], re-exported here); `uses` lists where each parameter is used and
//! `limits` holds the size limits. The file format is documented in `docs/scenario-format.md`.

pub mod copula;
mod csv_rows;
pub mod duration;
pub mod formula;
mod key_path;
pub mod life_table;
pub mod limits;
pub mod mixture;
pub mod numbers;
pub mod parameters;
pub mod patients_file;
pub mod population;
pub mod prices;
pub mod raw;
mod read;
mod schema;
pub mod targets;
mod types;
mod uses;
mod validate;

use crate::error::{Error, Problem, Result};
use life_table::Sex;
pub use parameters::{Distribution, Parameter, ParameterKind};
use std::path::Path;
pub use types::*;
pub use uses::{ParameterRole, ParameterUse};

/// The default scenario, compiled into the binary (`cirrhosim run` with no file).
pub const DEFAULT_SCENARIO: &str = include_str!("../../scenarios/default.toml");

/// Name shown for the embedded default scenario in messages and reports.
pub const DEFAULT_SCENARIO_NAME: &str = "scenarios/default.toml (embedded)";

impl Scenario {
    /// Reads and checks a scenario file.
    ///
    /// # Errors
    /// [`Error::Read`] if the file cannot be read, [`Error::Syntax`] for TOML errors,
    /// [`Error::Invalid`] listing every rule broken.
    pub fn load(path: &Path) -> Result<Scenario> {
        Scenario::load_with(path, &[])
    }

    /// Reads and checks a scenario file with parameter values set by the caller (see
    /// [`Scenario::from_toml_with`]).
    ///
    /// # Errors
    /// As [`Scenario::load`].
    pub fn load_with(path: &Path, set: &[(String, f64)]) -> Result<Scenario> {
        let text =
            std::fs::read_to_string(path).map_err(|source| Error::Read { path: path.to_path_buf(), cause: source })?;
        let base = path.parent().map(Path::to_path_buf).unwrap_or_default();
        Scenario::from_toml_with(&path.display().to_string(), &text, &base, set)
    }

    /// The embedded default scenario.
    pub fn default_scenario() -> Result<Scenario> {
        Scenario::default_scenario_with(&[])
    }

    /// The embedded default scenario with parameter values set by the caller.
    ///
    /// # Errors
    /// [`Error::Invalid`] when a value set breaks a rule or names no parameter.
    pub fn default_scenario_with(set: &[(String, f64)]) -> Result<Scenario> {
        Scenario::from_toml_with(DEFAULT_SCENARIO_NAME, DEFAULT_SCENARIO, Path::new("."), set)
    }

    /// Parses and checks scenario text; relative paths inside resolve against `base_dir`.
    ///
    /// The problems of form (unknown keys, values of the wrong form, missing keys) and of the
    /// rules are returned together, sorted by line; the rules' key paths use the file's indices
    /// even when malformed entries before them were left out.
    ///
    /// # Errors
    /// As [`Scenario::load`].
    pub fn from_toml(file: &str, text: &str, base_dir: &Path) -> Result<Scenario> {
        Scenario::from_toml_with(file, text, base_dir, &[])
    }

    /// Parses and checks scenario text with parameter values set by the caller: each
    /// `(name, value)` replaces the base-case value of a parameter defined in the file or its
    /// parameter CSVs and is checked by the rules of a value written in the file (its kind's
    /// range, every use). The value is then known: the parameter loses its PSA distribution and
    /// its DSA range (which described the file's value), so a PSA holds it fixed and the tornado
    /// leaves it out; a member of a Dirichlet group cannot be set alone. A cost is set in the
    /// scenario's currency and price year (the units of every output, e.g. a threshold price), so
    /// a conversion written in the file no longer applies to it. Problems are keyed
    /// `set.NAME`; a name that is not a parameter is a problem too.
    ///
    /// # Errors
    /// As [`Scenario::load`].
    ///
    /// # Examples
    /// ```
    /// use cirrhosim::scenario::Scenario;
    /// let s = Scenario::default_scenario_with(&[("c_msc_infusion".to_string(), 2500.0)])?;
    /// assert_eq!(s.parameters.iter().find(|p| p.name == "c_msc_infusion").unwrap().value, 2500.0);
    /// let e = Scenario::default_scenario_with(&[("c_msc_infusion".to_string(), f64::NAN)]).unwrap_err();
    /// assert!(e.to_string().contains("set.c_msc_infusion.value: NaN is not a valid cost: must be a finite number"), "{e}");
    /// // Below the file's DSA range (USD 1,500 to 9,333, i.e. EUR 2013 863 to 5,370) is fine: the
    /// // range described the file's value.
    /// let free = Scenario::default_scenario_with(&[("c_msc_infusion".to_string(), 0.0)])?;
    /// let p = free.parameters.iter().find(|p| p.name == "c_msc_infusion").unwrap();
    /// assert_eq!((p.value, p.distribution.is_none(), p.low, p.high), (0.0, true, None, None));
    /// # Ok::<(), cirrhosim::Error>(())
    /// ```
    pub fn from_toml_with(file: &str, text: &str, base_dir: &Path, set: &[(String, f64)]) -> Result<Scenario> {
        let mut read = read::read(file, text)?;
        let mut problems = std::mem::take(&mut read.problems);
        let result = match read.raw.take() {
            Some(raw) => validate::Validator::new(file, text, base_dir, set).validate(raw),
            None => Err(Error::Invalid { file: file.to_string(), problems: Vec::new() }),
        };
        match result {
            Ok(mut scenario) if problems.is_empty() => {
                read.adjust(&mut scenario.warnings);
                Ok(scenario)
            }
            Ok(_) => Err(invalid(file, problems)),
            Err(Error::Invalid { problems: mut rules, .. }) => {
                read.adjust(&mut rules);
                problems.append(&mut rules);
                Err(invalid(file, problems))
            }
            // An unreadable parameter file: the shape problems, if any, come first.
            Err(other) if problems.is_empty() => Err(other),
            Err(_) => Err(invalid(file, problems)),
        }
    }

    /// A parameter's base-case value for tables: the number, or for a derived parameter that
    /// changes with model time, what it changes with.
    pub fn value_text(&self, index: usize) -> String {
        let p = &self.parameters[index];
        match &p.formula {
            Some(f) if !f.depends().is_constant() => format!("changes with {}", f.depends().describe()),
            _ => p.value.to_string(),
        }
    }

    /// Base-case parameter values, indexed like [`Scenario::parameters`].
    pub fn base_values(&self) -> Vec<f64> {
        self.parameters.iter().map(|p| p.value).collect()
    }

    /// How parameter `index` is drawn in a PSA, for tables: `beta(16.2700, 281.2000)`,
    /// `dirichlet(1251, 350, 116, 17)` for a member of a Dirichlet group, or `fixed`.
    pub fn distribution_text(&self, index: usize) -> String {
        if let Some(f) = &self.parameters[index].formula {
            return format!("formula: {}", f.text());
        }
        if let Some(g) = self.multivariate_normal.iter().find(|g| g.parameters.contains(&index)) {
            let k = g.parameters.iter().position(|&i| i == index).unwrap_or(0);
            let n = g.parameters.len();
            let sd = (0..=k).map(|c| g.cholesky[k * n + c].powi(2)).sum::<f64>().sqrt();
            return format!("multivariate normal (mean {:.6}, sd {:.6}, with {} others)", g.mean[k], sd, n - 1);
        }
        if let Some(g) = self.dirichlet.iter().find(|g| g.parameters.contains(&index)) {
            return format!("dirichlet({})", g.alpha.iter().map(|a| a.to_string()).collect::<Vec<_>>().join(", "));
        }
        match &self.parameters[index].distribution {
            Some(d @ Distribution::Mixture { components }) => {
                // Four significant digits, like the families' parameters.
                let n = |x: f64| {
                    if x == 0.0 || !x.is_finite() {
                        return crate::error::number(x);
                    }
                    let scale = 10f64.powi(3 - x.abs().log10().floor().clamp(-300.0, 300.0) as i32);
                    crate::error::number((x * scale).round() / scale)
                };
                let interval =
                    d.central_interval(0.95).map_or(String::new(), |(lo, hi)| format!("; 95% {} to {}", n(lo), n(hi)));
                let mean = n(mixture::mean(components));
                format!("{} (mean {mean}{interval})", mixture::text(components, family_text))
            }
            Some(d) => family_text(d),
            None => "fixed".to_string(),
        }
    }

    /// Index of a state by name.
    pub fn state_index(&self, name: &str) -> Option<usize> {
        self.states.iter().position(|s| s.name == name)
    }

    /// Index of a strategy by name.
    ///
    /// # Errors
    /// [`Error::UnknownStrategy`] listing the strategies.
    pub fn strategy_index(&self, name: &str) -> Result<usize> {
        self.strategies.iter().position(|s| s.name == name).ok_or_else(|| Error::UnknownStrategy {
            file: self.file.clone(),
            name: name.to_string(),
            known: self.strategies.iter().map(|s| s.name.as_str()).collect::<Vec<_>>().join(", "),
        })
    }

    /// The share of the cohort of each sex.
    pub fn sexes(&self) -> [(Sex, f64); 2] {
        [(Sex::Male, self.cohort.fraction_male), (Sex::Female, 1.0 - self.cohort.fraction_male)]
    }
}

/// One family's parameters in words: `beta(16.2700, 281.2000)`, `fixed`.
fn family_text(d: &Distribution) -> String {
    match *d {
        Distribution::Beta { alpha, beta } => format!("beta({alpha:.4}, {beta:.4})"),
        Distribution::Gamma { shape, scale } => format!("gamma({shape:.4}, {scale:.4})"),
        Distribution::Lognormal { meanlog, sdlog } => format!("lognormal({meanlog:.4}, {sdlog:.4})"),
        Distribution::Normal { mean, sd } => format!("normal({mean:.4}, {sd:.4})"),
        Distribution::Fixed => "fixed".to_string(),
        Distribution::Mixture { ref components } => mixture::text(components, family_text),
    }
}

/// Every problem of a file, sorted by line (problems without a line, such as a missing table, first).
fn invalid(file: &str, mut problems: Vec<Problem>) -> Error {
    problems.sort_by_key(|p| p.line);
    Error::Invalid { file: file.to_string(), problems }
}

#[cfg(test)]
mod tests;
