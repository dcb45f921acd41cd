//! Scenario validation: from the raw TOML tables ([`super::raw`]) to a checked [`Scenario`].
//!
//! This file is the driver: the [`Validator`] that collects every problem and warning, the
//! helpers every table uses (name lookups, numbers, durations, whole cycles) and
//! [`Validator::validate`], which checks the tables in file order, one file each:
//! `settings.rs`, `states.rs`, `prices.rs` (the scenario's currency), `parameters.rs` (with
//! each cost's conversion), `cohort.rs`, `background.rs`, `transitions.rs`,
//! `strategies.rs`, `economics.rs`, `psa.rs`, `dirichlet.rs`; then `size.rs` checks the limits
//! across tables (`super::limits`). Problems are collected, never thrown, so `cirrhosim check`
//! lists them all; only an unreadable parameter file stops validation early.

mod background;
mod calibration;
mod cohort;
mod correlations;
mod dirichlet;
mod economics;
mod formulas;
mod mvn;
mod parameters;
mod population;
mod prices;
mod psa;
mod settings;
mod size;
mod states;
mod strategies;
mod tables;
mod transitions;

use super::duration::{describe_years, parse_years};
use super::parameters::{Parameter, ParameterKind};
use super::raw::{RawScenario, RawValue};
use super::types::*;
use crate::error::{Error, Problem, ProblemKind, Result};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use toml::Spanned;

/// Which use a number is put to, for kind and range checks.
#[derive(Clone, Copy, PartialEq)]
enum Usage {
    Rate,
    AnnualProbability,
    Probability,
    CycleProbability,
    HazardRatio,
    RelativeRisk,
    Cost,
    Utility,
    QalyLoss,
    DiscountRate,
    MeanDifference,
}

impl Usage {
    fn name(self) -> &'static str {
        match self {
            Usage::Rate => "an annual rate",
            Usage::AnnualProbability => "an annual probability",
            Usage::Probability => "a probability",
            Usage::CycleProbability => "a per-cycle probability",
            Usage::HazardRatio => "a hazard ratio",
            Usage::RelativeRisk => "a relative risk",
            Usage::Cost => "a cost",
            Usage::Utility => "a utility",
            Usage::QalyLoss => "a QALY loss",
            Usage::DiscountRate => "a discount rate",
            Usage::MeanDifference => "a mean difference (MELD points)",
        }
    }

    /// The kind whose range a literal must lie in.
    fn kind(self) -> ParameterKind {
        match self {
            Usage::Rate => ParameterKind::AnnualRate,
            Usage::AnnualProbability => ParameterKind::AnnualProbability,
            Usage::Probability | Usage::CycleProbability => ParameterKind::Probability,
            Usage::HazardRatio => ParameterKind::HazardRatio,
            Usage::RelativeRisk => ParameterKind::RelativeRisk,
            Usage::Cost => ParameterKind::Cost,
            Usage::Utility => ParameterKind::Utility,
            Usage::QalyLoss => ParameterKind::Utility,
            Usage::DiscountRate => ParameterKind::Proportion,
            Usage::MeanDifference => ParameterKind::MeanDifference,
        }
    }

    /// Parameter kinds that may be used this way.
    fn accepts(self, kind: ParameterKind) -> bool {
        use ParameterKind as K;
        match self {
            Usage::Rate => kind == K::AnnualRate,
            Usage::AnnualProbability => kind == K::AnnualProbability,
            Usage::Probability => matches!(kind, K::Probability | K::AnnualProbability),
            Usage::CycleProbability => matches!(kind, K::Probability),
            Usage::HazardRatio | Usage::RelativeRisk => {
                matches!(kind, K::HazardRatio | K::RelativeRisk | K::OddsRatio)
            }
            Usage::Cost => kind == K::Cost,
            Usage::Utility | Usage::QalyLoss => kind == K::Utility,
            Usage::DiscountRate => matches!(kind, K::Proportion),
            Usage::MeanDifference => kind == K::MeanDifference,
        }
    }
}

/// Collects the problems and warnings of one scenario file while its tables are checked.
pub(super) struct Validator<'a> {
    file: &'a str,
    text: &'a str,
    base_dir: &'a Path,
    problems: Vec<Problem>,
    warnings: Vec<Problem>,
    states: Vec<State>,
    state_index: HashMap<String, usize>,
    parameters: Vec<Parameter>,
    parameter_index: HashMap<String, usize>,
    /// Inline parameters are always checked; CSV ones only once used.
    checked: Vec<bool>,
    /// Line of each parameter's `[parameters.NAME]` table; `None` for CSV rows.
    parameter_lines: Vec<Option<usize>>,
    /// Parameter values set by the caller (`--set NAME=VALUE`, `set=` in Python and R), applied
    /// over the file's and checked by the same rules.
    set: &'a [(String, f64)],
    /// Which parameters have a value from `set` (their problems are keyed `set.NAME`).
    set_by_caller: Vec<bool>,
    cycle_years: f64,
    /// Derived parameters read so far, to compile once every name is known: (name, formula, line).
    pending_formulas: Vec<(String, String, Option<usize>)>,
    /// Derived parameters with one value per draw, in the order to evaluate them.
    derived_order: Vec<usize>,
    /// Model-time variables the values being read may use (set by the table being checked).
    time_allowed: Depends,
    /// Indices of the derived parameters (those with a formula).
    derived: std::collections::HashSet<usize>,
    /// Strategy names in file order, known before the transitions are read.
    strategy_names: Vec<String>,
    /// The `[tables.NAME]` step functions, by name.
    tables: std::collections::BTreeMap<String, std::sync::Arc<super::formula::StepTable>>,
    /// The scenario's currency, price year, country and conversion method, read before the
    /// parameters so that costs can be converted as they are read (`prices.rs`).
    price_target: Option<prices::PriceTarget>,
    /// The names formulas read for the population's covariates, by slot (see
    /// [`super::population`]), known before any formula is compiled.
    covariate_variables: Vec<String>,
    /// Per covariate variable: is it a numeric covariate (not a level's indicator)?
    covariate_numeric: Vec<bool>,
    /// Names of covariates (and their levels' variables) whose declaration has a problem, so
    /// that the formulas and effects that read them do not repeat it.
    broken_covariates: Vec<String>,
}

impl<'a> Validator<'a> {
    pub(super) fn new(file: &'a str, text: &'a str, base_dir: &'a Path, set: &'a [(String, f64)]) -> Self {
        Validator {
            file,
            text,
            base_dir,
            problems: Vec::new(),
            warnings: Vec::new(),
            states: Vec::new(),
            state_index: HashMap::new(),
            parameters: Vec::new(),
            parameter_index: HashMap::new(),
            checked: Vec::new(),
            parameter_lines: Vec::new(),
            set,
            set_by_caller: Vec::new(),
            cycle_years: 1.0,
            pending_formulas: Vec::new(),
            derived_order: Vec::new(),
            time_allowed: Depends::default(),
            derived: std::collections::HashSet::new(),
            strategy_names: Vec::new(),
            tables: std::collections::BTreeMap::new(),
            price_target: None,
            covariate_variables: Vec::new(),
            covariate_numeric: Vec::new(),
            broken_covariates: Vec::new(),
        }
    }

    /// Checks every table in file order and returns the scenario, or every problem found.
    ///
    /// # Errors
    /// [`Error::Invalid`] with every problem; [`Error::Read`] or [`Error::FileFormat`] when a parameter
    /// file cannot be read.
    pub(super) fn validate(mut self, raw: RawScenario) -> Result<Scenario> {
        let settings = self.settings(&raw.settings);
        self.states(&raw.states);
        self.price_target = self.price_target(raw.economics.as_ref());
        let population = self.population(raw.population.as_ref())?;
        self.parameters(&raw.parameter_files, &raw.parameters, &raw.tables)?;
        self.covariate_clashes();
        let cohort = self.cohort(&raw.cohort, &population);
        self.profile_count(&population, cohort.age_groups.len() * 2);
        let background = raw.background_mortality.as_ref().and_then(|b| self.background(b, &cohort));
        if raw.background_mortality.is_none() {
            self.start_ages_without_background(&raw.cohort, &cohort);
        }
        let n_cycles = self.n_cycles(&settings, &cohort, background.as_ref(), raw.background_mortality.is_some());
        self.strategy_names = raw.strategies.iter().map(|s| s.get_ref().name.clone()).collect();
        let transitions = self.transitions(&raw.transitions);
        let strategies = self.strategies(&raw.strategies, &transitions);
        let economics = raw.economics.as_ref().and_then(|e| self.economics(e, n_cycles));
        let rewards = self.rewards(&raw.costs, &raw.utilities, &strategies, &transitions);
        if economics.is_none() && raw.economics.is_none() && !rewards.is_empty() {
            self.problem("economics", None, ProblemKind::EconomicsMissing);
        }
        let psa = self.psa(raw.psa.as_ref());
        let dirichlet = self.dirichlet(&raw.dirichlet);
        let multivariate_normal = self.multivariate_normal(&raw.multivariate_normal, &dirichlet);
        let calibration = raw.calibration.as_ref().map(|c| self.calibration(c, n_cycles as f64 * settings.cycle_years));
        self.warn_missing_sources();

        let mut scenario = Scenario {
            file: self.file.to_string(),
            name: raw.scenario.name.clone(),
            title: raw.scenario.title.clone().unwrap_or_else(|| raw.scenario.name.clone()),
            description: raw.scenario.description.clone(),
            caveats: raw
                .scenario
                .caveats
                .iter()
                .map(|c| super::types::Caveat { text: c.text.clone(), source: c.source.clone() })
                .collect(),
            cycle_length_years: settings.cycle_years,
            horizon: settings.horizon.unwrap_or(Horizon::Years(settings.cycle_years)),
            n_cycles,
            patients: settings.patients,
            seed: settings.seed,
            states: std::mem::take(&mut self.states),
            parameters: std::mem::take(&mut self.parameters),
            transitions,
            strategies,
            cohort,
            population,
            background,
            economics,
            rewards,
            psa,
            dirichlet,
            multivariate_normal,
            calibration,
            derived_order: std::mem::take(&mut self.derived_order),
            tables: std::mem::take(&mut self.tables).into_values().collect(),
            warnings: Vec::new(),
        };
        self.cohort_keys_needed(&raw.cohort, raw.background_mortality.is_some(), &scenario);
        self.check_size(&mut scenario, &settings);
        if !self.problems.is_empty() {
            return Err(Error::Invalid { file: self.file.to_string(), problems: self.problems });
        }
        scenario.warnings = self.warnings;
        Ok(scenario)
    }

    /// The parameters' base-case values so far (NaN for a derived parameter that reads model time).
    fn base_values(&self) -> Vec<f64> {
        self.parameters.iter().map(|p| p.value).collect()
    }

    fn line<T>(&self, s: &Spanned<T>) -> Option<usize> {
        Some(line_col(self.text, s.span().start).0)
    }

    fn problem(&mut self, key: impl Into<String>, line: Option<usize>, kind: ProblemKind) {
        self.problems.push(Problem::new(key, line, kind));
    }

    fn warn(&mut self, key: impl Into<String>, line: Option<usize>, kind: ProblemKind) {
        self.warnings.push(Problem::new(key, line, kind));
    }

    /// An error if `name` is empty or only spaces; true if the name is usable.
    fn named(
        &mut self,
        name: &str,
        what: &'static str,
        example: &'static str,
        key: String,
        line: Option<usize>,
    ) -> bool {
        if name.trim().is_empty() {
            self.problem(key, line, ProblemKind::EmptyName { what, example });
            return false;
        }
        true
    }

    fn known_states(&self) -> String {
        self.states.iter().map(|s| s.name.as_str()).collect::<Vec<_>>().join(", ")
    }

    /// The index of a state, or a problem naming the known states.
    fn state(&mut self, name: &str, key: &str, line: Option<usize>) -> Option<usize> {
        let found = self.state_index.get(name).copied();
        if found.is_none() {
            let known = self.known_states();
            self.problem(key, line, ProblemKind::UnknownState { name: name.to_string(), known });
        }
        found
    }

    /// Reports `name` as an unknown parameter at `key`, with the closest defined name.
    fn unknown_parameter(&mut self, key: impl Into<String>, line: Option<usize>, name: &str) {
        let names = self.parameters.iter().map(|p| p.name.as_str());
        let hint = super::formula::closest(name, names).map(|c| format!("; did you mean \"{c}\"?")).unwrap_or_default();
        self.problem(key, line, ProblemKind::UnknownParameter { name: name.to_string(), hint });
    }

    /// Strategy indices for a `strategies = [...]` list; `None` (after reporting) if a name is unknown.
    fn strategy_list(&mut self, names: &[String], key: &str, line: Option<usize>) -> Option<Vec<usize>> {
        let mut out = Vec::new();
        for name in names {
            match self.strategy_names.iter().position(|s| s == name) {
                Some(i) => out.push(i),
                None => {
                    let known = self.strategy_names.join(", ");
                    self.problem(key, line, ProblemKind::UnknownStrategy { name: name.clone(), known });
                }
            }
        }
        (out.len() == names.len()).then_some(out)
    }

    fn path(&self, relative: &str) -> PathBuf {
        self.base_dir.join(relative)
    }

    /// A number or parameter name, checked for `usage`: a literal against the range of the
    /// usage's kind, a parameter against the kinds the usage accepts (and its own range, once).
    fn value(&mut self, raw: &RawValue, usage: Usage, key: &str, line: Option<usize>) -> Option<Value> {
        let value = match raw {
            RawValue::Number(v) => match usage.kind().check(*v) {
                Ok(()) => {
                    if usage == Usage::Rate {
                        self.warn_percentage(*v, key, line);
                    }
                    Value::Literal(*v)
                }
                Err(kind) => {
                    self.problem(key, line, kind);
                    return None;
                }
            },
            RawValue::Name(name) => {
                let Some(&i) = self.parameter_index.get(name) else {
                    return self.expression(name, usage, key, line);
                };
                let kind = self.parameters[i].kind;
                if !usage.accepts(kind) {
                    self.problem(
                        key,
                        line,
                        ProblemKind::KindMismatch { name: name.clone(), kind: kind.name(), used_as: usage.name() },
                    );
                    return None;
                }
                self.mark_used(i);
                match self.parameters[i].formula.clone() {
                    Some(f) if !f.depends().is_constant() => {
                        if !self.time_allowed.covers(f.depends()) {
                            let why = format!(
                                "its formula changes with {}, which a value here cannot (it is {})",
                                f.depends().describe(),
                                self.time_allowed.in_words()
                            );
                            let message = format!("parameter \"{name}\" cannot be used here: {why}");
                            let kind = ProblemKind::Formula { formula: f.text().to_string(), message };
                            self.problem(key, line, kind);
                            return None;
                        }
                        self.inline_parameter(name)?
                    }
                    _ => Value::Parameter(i),
                }
            }
        };
        let base = value.get(&self.base_values());
        if matches!(usage, Usage::HazardRatio | Usage::RelativeRisk) && base == 0.0 {
            let measure = if usage == Usage::HazardRatio { "a hazard ratio" } else { "a relative risk" };
            self.warn(key, line, ProblemKind::ZeroEffect { measure });
        }
        Some(value)
    }

    /// Warns when an annual rate is a whole number of 2 or more: most likely a percentage.
    fn warn_percentage(&mut self, rate: f64, key: &str, line: Option<usize>) {
        if rate >= 2.0 && rate.fract() == 0.0 {
            self.warn(key, line, ProblemKind::LooksLikePercentage { value: rate });
        }
    }

    /// Checks a CSV parameter the first time the model uses it; for a derived parameter, marks
    /// the parameters its formula reads.
    fn mark_used(&mut self, i: usize) {
        if !self.checked[i] {
            self.checked[i] = true;
            if !self.derived.contains(&i) {
                self.check_parameter(i);
            }
        }
        if let Some(f) = self.parameters[i].formula.clone() {
            for &j in f.parameters() {
                if j != i {
                    self.mark_used(j);
                }
            }
        }
    }

    /// A literal duration in years: not a duration, negative, or (when `positive`) zero are
    /// problems at `key`.
    fn duration(&mut self, text: &str, key: &str, line: Option<usize>, positive: bool) -> Option<f64> {
        match parse_years(text) {
            None => {
                self.problem(key, line, ProblemKind::BadDuration { value: text.to_string(), extra: "" });
                None
            }
            Some(y) if positive && y <= 0.0 => {
                self.problem(key, line, ProblemKind::NotPositive { value: text.to_string() });
                None
            }
            Some(y) if y < 0.0 => {
                self.problem(key, line, ProblemKind::NegativeDuration { value: text.to_string() });
                None
            }
            Some(y) => Some(y),
        }
    }

    /// A duration given literally or as a parameter of kind months or years; never negative.
    fn time_value(&mut self, text: &str, key: &str, line: Option<usize>) -> Option<TimeValue> {
        if parse_years(text).is_some() {
            return self.duration(text, key, line, false).map(TimeValue::Years);
        }
        let Some(i) = self.parameter_index.get(text).copied() else {
            self.problem(
                key,
                line,
                ProblemKind::BadDuration {
                    value: text.to_string(),
                    extra: ", or the name of a parameter of kind months or years",
                },
            );
            return None;
        };
        let per_unit = match self.parameters[i].kind {
            ParameterKind::Months => 1.0 / 12.0,
            ParameterKind::Years => 1.0,
            other => {
                self.problem(
                    key,
                    line,
                    ProblemKind::KindMismatch {
                        name: text.to_string(),
                        kind: other.name(),
                        used_as: "a duration (kind months or years)",
                    },
                );
                return None;
            }
        };
        self.mark_used(i);
        Some(TimeValue::Parameter(i, per_unit))
    }

    /// A duration that must be a whole, non-negative number of cycles.
    fn whole_cycles(&mut self, text: &str, key: &str, line: Option<usize>) -> Option<usize> {
        let years = self.duration(text, key, line, false)?;
        let cycles = years / self.cycle_years;
        if (cycles - cycles.round()).abs() > 1e-6 {
            self.problem(
                key,
                line,
                ProblemKind::NotWholeCycles { value: text.to_string(), cycle: describe_years(self.cycle_years) },
            );
            return None;
        }
        // A bound beyond any horizon saturates; `size.rs` caps windows at the horizon.
        Some(cycles.round() as usize)
    }

    /// A `time_in_state = { from, until }` window in whole cycles; `until` must be after `from`.
    fn window(&mut self, raw: Option<&super::raw::RawWindow>, key: &str, line: Option<usize>) -> Option<Window> {
        let Some(w) = raw else {
            return Some(Window { from_cycle: 0, until_cycle: None });
        };
        let from_cycle = match &w.from {
            Some(text) => self.whole_cycles(text, &format!("{key}.from"), line),
            None => Some(0),
        };
        let until_cycle = match &w.until {
            Some(text) => self.whole_cycles(text, &format!("{key}.until"), line).map(Some),
            None => Some(None),
        };
        match (from_cycle, until_cycle) {
            (Some(f), Some(Some(u))) if u <= f => {
                self.problem(
                    key,
                    line,
                    ProblemKind::EmptyWindow {
                        from: w.from.clone().unwrap_or_default(),
                        until: w.until.clone().unwrap_or_default(),
                    },
                );
                None
            }
            (Some(f), Some(u)) => Some(Window { from_cycle: f, until_cycle: u }),
            _ => None,
        }
    }
}

/// 1-based line and column of a byte offset.
pub(super) fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let column = before.len() - before.rfind('\n').map(|i| i + 1).unwrap_or(0) + 1;
    (line, column)
}

#[cfg(test)]
mod tests {
    use super::super::Scenario;
    use std::path::Path;

    /// A small valid scenario the table tests edit; `s(BASE)` passes.
    pub(super) const BASE: &str = r#"
[scenario]
name = "t"
[settings]
cycle_length = "1 month"
horizon = "2 years"
patients = 10
seed = 3
[cohort]
start_age = 60
fraction_male = 0.5
start_state = { a = 1.0 }
[[states]]
name = "a"
[[states]]
name = "dead"
absorbing = true
alive = false
[parameters.r]
value = 0.2
kind = "annual_rate"
source = "test"
[[transitions]]
from = "a"
to = "dead"
rate = "r"
[[strategies]]
name = "x"
"#;

    /// Validates scenario text; the error as its message.
    pub(super) fn s(text: &str) -> Result<Scenario, String> {
        Scenario::from_toml("t.toml", text, Path::new(".")).map_err(|e| e.to_string())
    }

    /// The message of a scenario that must fail.
    pub(super) fn err(text: &str) -> String {
        s(text).expect_err("expected a problem")
    }

    /// The warnings of a scenario that must pass, one message per warning.
    pub(super) fn warnings(text: &str) -> Vec<String> {
        s(text).unwrap_or_else(|e| panic!("{e}")).warnings.iter().map(|w| w.to_string()).collect()
    }

    #[test]
    fn the_base_passes_without_warnings() {
        assert!(warnings(BASE).is_empty());
    }

    #[test]
    fn a_literal_rate_that_looks_like_a_percentage_is_a_warning() {
        let w = warnings(&BASE.replace("rate = \"r\"", "rate = 5"));
        assert_eq!(w, ["line 23: transitions[0].rate: an annual rate of 5 looks like a percentage: write 0.05 for 5%"]);
        assert!(warnings(&BASE.replace("rate = \"r\"", "rate = 1.5")).is_empty());
        assert!(warnings(&BASE.replace("rate = \"r\"", "rate = 1")).is_empty());
    }

    #[test]
    fn negative_durations_name_the_key() {
        let text = BASE.replace(
            "name = \"x\"",
            "name = \"x\"\n[[strategies.effects]]\nfrom = \"a\"\nhazard_ratio = 0.5\nonset = \"-1 month\"",
        );
        let e = err(&text);
        assert!(e.contains("strategies[0].effects[0].onset: \"-1 month\" is negative; a duration must be >= 0"), "{e}");
    }
}
