//! Checks `[population]`: each covariate has a distribution or levels (not both), its numbers
//! make a distribution, its names can be read by formulas and clash with nothing else, and the
//! profiles stay few enough to build.

use super::Validator;
use crate::error::ProblemKind;
use crate::scenario::formula::{MAX_COVARIATE_VARIABLES, TimeVar};
use crate::scenario::population::{Covariate, CovariateDistribution, CovariateKind, Population};
use crate::scenario::raw::{RawCovariate, RawCovariateDistribution, RawPopulation};
use toml::Spanned;

/// Quantile strata per numeric covariate when `nodes` is not given.
pub const DEFAULT_NODES: usize = 8;
/// Most strata per numeric covariate.
pub const MAX_NODES: usize = 64;
/// Most profiles (covariate cells x start ages x sexes): each has its own rows.
pub const MAX_PROFILES: usize = 4096;

/// The rule a covariate's name breaks when formulas cannot read it.
const NAME_RULE: &str = "a covariate's name must be letters, digits and _ (it is read by formulas)";

/// Can a formula read this name (letters, digits and `_`, not starting with a digit)?
fn is_identifier(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

impl Validator<'_> {
    /// The population (empty without `[population]`); records the names formulas may read.
    ///
    /// # Errors
    /// [`crate::Error::Read`] or [`crate::Error::FileFormat`] for a patients file that cannot be
    /// read (see [`crate::scenario::patients_file::read`]).
    pub(super) fn population(&mut self, raw: Option<&Spanned<RawPopulation>>) -> crate::Result<Population> {
        let Some(raw) = raw else {
            return Ok(Population { nodes: DEFAULT_NODES, ..Population::default() });
        };
        let line = self.line(raw);
        let raw = raw.get_ref();
        let nodes = match &raw.nodes {
            None => DEFAULT_NODES,
            Some(n) => match usize::try_from(*n.get_ref()) {
                Ok(n) if (1..=MAX_NODES).contains(&n) => n,
                _ => {
                    let rule = format!("nodes = {} must be a whole number from 1 to {MAX_NODES}", n.get_ref());
                    self.problem("population.nodes", self.line(n), ProblemKind::Population { rule });
                    DEFAULT_NODES
                }
            },
        };
        let mut covariates = Vec::new();
        // In the file's order (the map is sorted by name).
        let mut in_file_order: Vec<_> = raw.covariates.iter().collect();
        in_file_order.sort_by_key(|(_, c)| c.span().start);
        if let Some(file) = &raw.patients_file {
            if let Some(c) = raw.correlations.first() {
                self.problem("population.correlations[0]", self.line(c), ProblemKind::CorrelationWithPatientsFile);
            }
            return self.population_from_file(raw, file, &in_file_order, nodes);
        }
        for (name, c) in in_file_order {
            match self.covariate(name, c) {
                Some(c) => covariates.push(c),
                None => {
                    self.broken_covariates.push(name.clone());
                    let levels = c.get_ref().levels.iter().flatten();
                    self.broken_covariates.extend(levels.map(|(l, _)| format!("{name}_{l}")));
                }
            }
        }
        let copula = self.correlations(raw, &covariates);
        let population = Population { covariates, nodes, source: raw.source.clone(), file: None, copula };
        Ok(self.register(population, line))
    }

    /// Checks the population's formula names and records them (and which are numeric).
    fn register(&mut self, population: Population, line: Option<usize>) -> Population {
        let variables = population.variables();
        if variables.len() > MAX_COVARIATE_VARIABLES {
            let rule = format!(
                "the population has {} covariate variables (numeric covariates plus levels); at most {MAX_COVARIATE_VARIABLES}",
                variables.len()
            );
            self.problem("population.covariates", line, ProblemKind::Population { rule });
        }
        for (i, v) in variables.iter().enumerate() {
            if TimeVar::from_name(v).is_some() || v == "cycle_years" {
                let rule = format!("its formula name \"{v}\" is a model variable: rename the covariate or level");
                self.problem("population.covariates", line, ProblemKind::Covariate { name: v.clone(), rule });
            } else if variables[..i].contains(v) {
                let rule = format!("the formula name \"{v}\" is used twice: rename a covariate or a level");
                self.problem("population.covariates", line, ProblemKind::Covariate { name: v.clone(), rule });
            }
        }
        self.covariate_numeric = population
            .covariates
            .iter()
            .flat_map(|c| match &c.kind {
                CovariateKind::Numeric(_) => vec![true],
                CovariateKind::Categorical(levels) => vec![false; levels.len()],
            })
            .collect();
        self.covariate_variables = variables;
        population
    }

    /// A population read from a patients file: the declarations give names, units, sources and
    /// bands; the file gives each covariate's kind, values, levels and the joint shares.
    fn population_from_file(
        &mut self,
        raw: &RawPopulation,
        file: &Spanned<String>,
        declared: &[(&String, &Spanned<RawCovariate>)],
        nodes: usize,
    ) -> crate::Result<Population> {
        let line = self.line(file);
        let path = self.base_dir.join(file.get_ref());
        let names: Vec<String> = declared.iter().map(|(n, _)| (*n).clone()).collect();
        for (name, c) in declared {
            let c = c.get_ref();
            if c.distribution.is_some() || c.levels.is_some() {
                let rule = "with patients_file the file gives the values and shares: remove distribution and levels"
                    .to_string();
                let key = format!("population.covariates.{name}");
                self.problem(key, line, ProblemKind::Covariate { name: (*name).clone(), rule });
            }
        }
        if names.is_empty() {
            let rule = "patients_file needs the covariates to read from it: declare each column as [population.covariates.NAME]".to_string();
            self.problem("population.patients_file", line, ProblemKind::Population { rule });
        }
        let states = crate::scenario::patients_file::StartState::of(&self.states);
        let read = crate::scenario::patients_file::read(&path, &names, nodes, &states)?;
        let mut covariates = Vec::new();
        for (((name, c), cells), &numeric) in declared.iter().zip(&read.cells).zip(&read.numeric) {
            let key = format!("population.covariates.{name}");
            let c = c.get_ref();
            if !is_identifier(name) {
                let rule = NAME_RULE.to_string();
                self.problem(key.clone(), line, ProblemKind::Covariate { name: (*name).clone(), rule });
            }
            let kind = if numeric {
                CovariateKind::Numeric(CovariateDistribution::File)
            } else {
                if let Some(bad) = cells.iter().find(|cell| !is_identifier(&cell.label)) {
                    let rule = format!(
                        "level \"{}\" in {} must be letters, digits and _ (formulas read {name}_LEVEL)",
                        bad.label,
                        file.get_ref()
                    );
                    self.problem(key.clone(), line, ProblemKind::Covariate { name: (*name).clone(), rule });
                }
                CovariateKind::Categorical(cells.iter().map(|cell| (cell.label.clone(), cell.weight)).collect())
            };
            let bands = self.bands(&key, line, name, c, &kind);
            covariates.push(Covariate {
                name: (*name).clone(),
                kind,
                unit: c.unit.clone(),
                source: c.source.clone(),
                bands,
            });
        }
        let population =
            Population { covariates, nodes, source: raw.source.clone(), file: Some((path, read)), copula: None };
        Ok(self.register(population, line))
    }

    /// A covariate's formula name that is also a parameter's is refused (checked once the
    /// parameters are read).
    pub(super) fn covariate_clashes(&mut self) {
        let clashes: Vec<String> =
            self.covariate_variables.iter().filter(|v| self.parameter_index.contains_key(*v)).cloned().collect();
        for v in clashes {
            let rule = format!("its formula name \"{v}\" is also a parameter's: rename one");
            self.problem("population.covariates", None, ProblemKind::Covariate { name: v, rule });
        }
    }

    /// The number of profiles (covariate cells x start ages x sexes) must stay buildable.
    pub(super) fn profile_count(&mut self, population: &Population, sub_cohorts: usize) {
        let cells: usize = population.cells().iter().map(Vec::len).product();
        if cells.saturating_mul(sub_cohorts) > MAX_PROFILES {
            let rule = format!(
                "{cells} covariate cells x {sub_cohorts} start ages and sexes make more than {MAX_PROFILES} profiles, each with its own rows: use fewer nodes or levels"
            );
            self.problem("population", None, ProblemKind::Population { rule });
        }
    }

    fn covariate(&mut self, name: &str, raw: &Spanned<RawCovariate>) -> Option<Covariate> {
        let key = format!("population.covariates.{name}");
        let line = self.line(raw);
        let raw = raw.get_ref();
        let bad = |v: &mut Self, rule: String| {
            v.problem(key.clone(), line, ProblemKind::Covariate { name: name.to_string(), rule });
        };
        if !is_identifier(name) {
            bad(self, NAME_RULE.to_string());
            return None;
        }
        let kind = match (&raw.distribution, &raw.levels) {
            (Some(d), None) => match distribution(d) {
                Ok(d) => CovariateKind::Numeric(d),
                Err(rule) => {
                    bad(self, rule);
                    return None;
                }
            },
            (None, Some(levels)) => {
                if levels.is_empty() {
                    bad(self, "levels must name at least one level with its share".into());
                    return None;
                }
                if let Some((l, _)) = levels.iter().find(|(l, _)| !is_identifier(l)) {
                    bad(self, format!("level \"{l}\" must be letters, digits and _ (formulas read {name}_{l})"));
                    return None;
                }
                if let Some((l, s)) = levels.iter().find(|(_, s)| !(s.is_finite() && **s >= 0.0)) {
                    bad(self, format!("the share of level \"{l}\" is {s}; a share is a number from 0 to 1"));
                    return None;
                }
                let sum: f64 = levels.values().sum();
                if (sum - 1.0).abs() > 1e-9 {
                    bad(self, format!("the levels' shares sum to {sum}; they must sum to 1"));
                    return None;
                }
                CovariateKind::Categorical(levels.iter().map(|(l, s)| (l.clone(), *s)).collect())
            }
            (Some(_), Some(_)) => {
                bad(
                    self,
                    "give either a distribution (a numeric covariate) or levels (a categorical one), not both".into(),
                );
                return None;
            }
            (None, None) => {
                bad(self, "give a distribution (a numeric covariate) or levels (a categorical one)".into());
                return None;
            }
        };
        let bands = self.bands(&key, line, name, raw, &kind);
        Some(Covariate { name: name.to_string(), kind, unit: raw.unit.clone(), source: raw.source.clone(), bands })
    }

    /// A covariate's bands, sorted by their low end: only for a numeric covariate, each with
    /// low < high, none overlapping (each broken rule reported at the covariate's key).
    fn bands(
        &mut self,
        key: &str,
        line: Option<usize>,
        name: &str,
        raw: &RawCovariate,
        kind: &CovariateKind,
    ) -> Vec<(String, f64, f64)> {
        let bad = |v: &mut Self, rule: String| {
            v.problem(key.to_string(), line, ProblemKind::Covariate { name: name.to_string(), rule });
        };
        if !raw.bands.is_empty() && matches!(kind, CovariateKind::Categorical(_)) {
            bad(
                self,
                "bands group a numeric covariate's values; a categorical covariate's levels are its groups".into(),
            );
        }
        let mut bands: Vec<(String, f64, f64)> = raw.bands.iter().map(|(n, [lo, hi])| (n.clone(), *lo, *hi)).collect();
        bands.sort_by(|a, b| a.1.total_cmp(&b.1));
        if let Some((n, lo, hi)) = bands.iter().find(|(_, lo, hi)| lo.partial_cmp(hi) != Some(std::cmp::Ordering::Less))
        {
            bad(self, format!("band \"{n}\" = [{lo}, {hi}] must have low < high"));
        }
        if let Some(w) = bands.windows(2).find(|w| w[1].1 < w[0].2) {
            bad(
                self,
                format!("bands \"{}\" and \"{}\" overlap; each value must fall in one band at most", w[0].0, w[1].0),
            );
        }
        bands
    }
}

/// The checked distribution, or the rule it breaks.
fn distribution(d: &RawCovariateDistribution) -> Result<CovariateDistribution, String> {
    let need = |x: Option<f64>, what: &str| x.ok_or_else(|| format!("a {} distribution needs {what}", d.kind));
    let finite = |x: f64, what: &str| if x.is_finite() { Ok(x) } else { Err(format!("{what} = {x} must be finite")) };
    match d.kind.as_str() {
        "normal" => {
            let mean = finite(need(d.mean, "mean")?, "mean")?;
            let sd = finite(need(d.sd, "sd")?, "sd")?;
            if sd <= 0.0 {
                return Err(format!("sd = {sd} must be above 0"));
            }
            let (low, high) = (d.low, d.high);
            if let (Some(l), Some(h)) = (low, high)
                && l.partial_cmp(&h) != Some(std::cmp::Ordering::Less)
            {
                return Err(format!("low = {l} must be below high = {h}"));
            }
            let out = CovariateDistribution::Normal { mean, sd, low, high };
            // The truncation interval must hold some probability: every stratum then lies in it.
            let (a, b) = (out.quantile(1e-9), out.quantile(1.0 - 1e-9));
            if !(a.is_finite() && b.is_finite()) {
                return Err(format!(
                    "[{}, {}] holds almost none of normal({mean}, {sd}): widen the bounds or move the mean",
                    low.unwrap_or(f64::NEG_INFINITY),
                    high.unwrap_or(f64::INFINITY)
                ));
            }
            Ok(out)
        }
        "lognormal" => {
            let mean = finite(need(d.mean, "mean")?, "mean")?;
            let sd = finite(need(d.sd, "sd")?, "sd")?;
            if mean <= 0.0 || sd <= 0.0 {
                return Err(format!("a lognormal needs mean > 0 and sd > 0 (got mean = {mean}, sd = {sd})"));
            }
            Ok(CovariateDistribution::LogNormal { mean, sd })
        }
        "quantiles" => {
            let values = d.values.clone().ok_or("a quantiles distribution needs values = [min, ..., max]")?;
            if values.len() < 2 || values.iter().any(|x| !x.is_finite()) || values.windows(2).any(|w| w[1] <= w[0]) {
                return Err(
                    "values must be at least two finite numbers in increasing order (the quantiles at 0, 1/n, ..., 1)"
                        .into(),
                );
            }
            Ok(CovariateDistribution::Quantiles(values))
        }
        other => Err(format!("unknown distribution type \"{other}\" (normal, lognormal, quantiles)")),
    }
}
