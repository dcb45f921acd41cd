//! Scenario files: read the TOML, check every rule, hand on a [`Scenario`] the model can trust.
//!
//! Receives a path (or the embedded default text); returns either a [`Scenario`] with states,
//! parameters, transitions, strategies and cohort resolved to indices and years, or
//! [`Error::Invalid`] listing *every* problem found, each with key path, line, value and rule.
//! The file format is documented in `docs/scenario-format.md`.

pub mod duration;
pub mod life_table;
pub mod parameters;
pub mod raw;

use crate::error::{Error, Problem, ProblemKind, Result};
use duration::{describe_years, parse_years};
use life_table::{LifeTable, Sex};
pub use parameters::{Distribution, Parameter, ParameterKind};
use raw::*;
use std::collections::HashMap;
use std::ops::Not;
use std::path::{Path, PathBuf};
use toml::Spanned;

/// The default scenario, compiled into the binary (`cirrhosim run` with no file).
pub const DEFAULT_SCENARIO: &str = include_str!("../../scenarios/default.toml");

/// Name shown for the embedded default scenario in messages and reports.
pub const DEFAULT_SCENARIO_NAME: &str = "scenarios/default.toml (embedded)";

/// A Markov state.
#[derive(Debug, Clone, serde::Serialize)]
pub struct State {
    pub name: String,
    pub label: String,
    /// No exits: once entered, never left.
    pub absorbing: bool,
    /// Counts towards overall survival.
    pub alive: bool,
    /// Counts as "has had a transplant" for transplant-free survival.
    pub transplant: bool,
    pub description: Option<String>,
}

/// A number used by a transition or effect: a named parameter or a literal.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Value {
    /// Index into [`Scenario::parameters`].
    Parameter(usize),
    Literal(f64),
}

impl Value {
    /// The number, taking parameters from `values` (indexed like [`Scenario::parameters`]).
    pub fn get(self, values: &[f64]) -> f64 {
        match self {
            Value::Parameter(i) => values[i],
            Value::Literal(v) => v,
        }
    }
}

/// A duration given literally or by a parameter of kind `months` or `years`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum TimeValue {
    Years(f64),
    /// Parameter index and years per unit (1/12 for months).
    Parameter(usize, f64),
}

impl TimeValue {
    /// The duration in years.
    pub fn years(self, values: &[f64]) -> f64 {
        match self {
            TimeValue::Years(y) => y,
            TimeValue::Parameter(i, per_unit) => values[i] * per_unit,
        }
    }
}

/// How an exit's number is to be read.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ExitSpec {
    /// Annual rate r; cycle probability via competing risks on the rate scale.
    Rate(Value),
    /// Annual probability p, converted to the rate -ln(1 - p).
    AnnualProbability(Value),
    /// Probability p over a period of `years`, converted to the rate -ln(1 - p) / years.
    ProbabilityOver { value: Value, years: f64 },
    /// Per-cycle probability, used as it is.
    CycleProbability(Value),
    /// 1 minus the other per-cycle probabilities of the state.
    Complement,
}

impl ExitSpec {
    /// True for specifications on the per-cycle probability scale.
    pub fn is_cycle_scale(&self) -> bool {
        matches!(self, ExitSpec::CycleProbability(_) | ExitSpec::Complement)
    }
}

/// A window of time since entering a state, in whole cycles: `from <= k < until`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    pub from_cycle: usize,
    pub until_cycle: Option<usize>,
}

impl Window {
    /// Does time in state `k` (full cycles already spent) fall in the window?
    pub fn contains(&self, k: usize) -> bool {
        k >= self.from_cycle && self.until_cycle.is_none_or(|u| k < u)
    }

    fn overlaps(&self, other: &Window) -> bool {
        let a_end = self.until_cycle.unwrap_or(usize::MAX);
        let b_end = other.until_cycle.unwrap_or(usize::MAX);
        self.from_cycle < b_end && other.from_cycle < a_end
    }

    fn describe(&self, cycle_years: f64) -> String {
        let at = |c: usize| describe_years(c as f64 * cycle_years);
        match self.until_cycle {
            None if self.from_cycle == 0 => "always".to_string(),
            None => format!("from {}", at(self.from_cycle)),
            Some(u) => format!("[{}, {})", at(self.from_cycle), at(u)),
        }
    }
}

/// One exit of a state.
#[derive(Debug, Clone)]
pub struct Transition {
    pub from: usize,
    pub to: usize,
    pub spec: ExitSpec,
    pub window: Window,
    pub note: Option<String>,
}

/// How a treatment effect is applied.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum EffectMeasure {
    /// Multiplies the transition rate (hazard).
    HazardRatio,
    /// Multiplies the per-cycle transition probability; staying put absorbs the change.
    RelativeRisk,
}

/// How an effect fades once its full-strength period ends.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Waning {
    /// Stops at once.
    None,
    /// The multiplier returns linearly to 1 over the period.
    Linear(TimeValue),
    /// The distance of the multiplier from 1 halves every half-life.
    Exponential(TimeValue),
}

impl Schedule {
    /// Times of all infusions in years after the first: course c, infusion k at
    /// c x course_interval + k x interval.
    pub fn infusion_times(&self) -> Vec<f64> {
        (0..self.courses)
            .flat_map(|c| {
                (0..self.infusions).map(move |k| c as f64 * self.course_interval_years + k as f64 * self.interval_years)
            })
            .collect()
    }
}

impl Effect {
    /// The multiplier at full strength: the value, or hr_per_meld_point ^ meld_shift.
    pub fn multiplier(&self, values: &[f64]) -> f64 {
        match self.hr_per_meld_point {
            Some(per_point) => per_point.get(values).powf(self.value.get(values)),
            None => self.value.get(values),
        }
    }
}

/// A treatment effect on one transition.
#[derive(Debug, Clone)]
pub struct Effect {
    pub from: usize,
    pub to: usize,
    pub measure: EffectMeasure,
    /// The hazard ratio or relative risk; for a MELD effect, the MELD shift.
    pub value: Value,
    /// For an effect through MELD: the hazard ratio per MELD point, so that the effect is
    /// HR = hr_per_point ^ shift = exp(beta x shift), beta = ln(hr_per_point).
    pub hr_per_meld_point: Option<Value>,
    /// Time after the first infusion (model time 0) at which the effect starts.
    pub onset: TimeValue,
    /// Full-strength duration; `None` lasts to the horizon.
    pub duration: Option<TimeValue>,
    pub waning: Waning,
}

/// An infusion schedule: the first infusion at model time 0.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Schedule {
    /// Infusions per course.
    pub infusions: u32,
    pub interval_years: f64,
    /// Number of courses (1 = a single course).
    pub courses: u32,
    /// From the start of one course to the start of the next, years.
    pub course_interval_years: f64,
    /// Cost of each infusion, charged to patients alive at its time.
    #[serde(skip)]
    pub cost_per_infusion: Option<Value>,
    #[serde(skip)]
    pub adverse_events: Vec<AdverseEvent>,
}

/// An adverse event that may follow each infusion, valued at its expected cost and QALY loss.
#[derive(Debug, Clone)]
pub struct AdverseEvent {
    pub name: String,
    pub probability: Value,
    pub cost: Option<Value>,
    pub qaly_loss: Option<Value>,
}

/// How state membership within a cycle is counted (see `model::valuation`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Correction {
    /// End-of-cycle counting: cycle t is valued at x_t (Briggs et al. 2006, exercise 2.5).
    None,
    /// Start-of-cycle counting: cycle t is valued at x_{t-1}.
    StartOfCycle,
    /// Trapezoid on the discounted integrand: half of the values at each cycle boundary.
    HalfCycle,
    /// Life-table method: cycle t is valued at (x_{t-1} + x_t) / 2 (heemod's default).
    Trapezoid,
    /// Simpson's 1/3 rule on the discounted integrand, with a 3/8 tail for an odd cycle count.
    Simpson,
}

impl Correction {
    /// Parses the name used in scenario files.
    pub fn parse(name: &str) -> Option<Correction> {
        Some(match name {
            "none" => Correction::None,
            "start_of_cycle" => Correction::StartOfCycle,
            "half_cycle" => Correction::HalfCycle,
            "trapezoid" => Correction::Trapezoid,
            "simpson" => Correction::Simpson,
            _ => return None,
        })
    }

    /// The name used in scenario files.
    pub fn name(self) -> &'static str {
        match self {
            Correction::None => "none",
            Correction::StartOfCycle => "start_of_cycle",
            Correction::HalfCycle => "half_cycle",
            Correction::Trapezoid => "trapezoid",
            Correction::Simpson => "simpson",
        }
    }
}

/// When in a cycle its values are discounted (for the cycle-based corrections).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DiscountTiming {
    /// At the start: the first cycle is not discounted.
    Start,
    Midpoint,
    /// At the end: the first cycle is discounted by one cycle.
    End,
}

/// Currency, discounting and correction settings.
#[derive(Debug, Clone)]
pub struct Economics {
    pub currency: String,
    pub price_year: i64,
    pub discount_rate_costs: Value,
    pub discount_rate_effects: Value,
    pub correction: Correction,
    pub discount_timing: DiscountTiming,
    /// Willingness-to-pay values per QALY for net monetary benefit.
    pub wtp: Vec<f64>,
}

/// What a reward is attached to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RewardTarget {
    /// Per year spent in the state.
    State(usize),
    /// Once per move from one state to another.
    Transition { from: usize, to: usize },
}

/// Costs and QALYs, the two kinds of reward.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RewardKind {
    Cost { category: String },
    Qaly,
}

/// A cost or utility attached to a state or a transition.
#[derive(Debug, Clone)]
pub struct Reward {
    pub kind: RewardKind,
    pub target: RewardTarget,
    /// Per year (states) or per event (transitions).
    pub value: Value,
    pub time_in_state: Window,
    /// Model-time window in years; a cycle counts if it starts inside it.
    pub during_from_years: f64,
    pub during_until_years: Option<f64>,
    /// Strategy indices it applies to; `None` = all.
    pub strategies: Option<Vec<usize>>,
}

/// A strategy (arm) of the model.
#[derive(Debug, Clone)]
pub struct Strategy {
    pub name: String,
    pub label: String,
    pub description: Option<String>,
    pub schedule: Option<Schedule>,
    pub effects: Vec<Effect>,
}

/// A start age and its share of the cohort.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct AgeGroup {
    pub age: f64,
    pub weight: f64,
}

/// Who enters the model at time 0.
#[derive(Debug, Clone)]
pub struct Cohort {
    pub age_groups: Vec<AgeGroup>,
    pub fraction_male: f64,
    /// Share of the cohort starting in each state (indexed like [`Scenario::states`]).
    pub start: Vec<f64>,
}

/// General-population mortality, a competing risk in every alive state.
#[derive(Debug, Clone)]
pub struct BackgroundMortality {
    pub table: LifeTable,
    /// The state background deaths go to.
    pub to: usize,
}

/// The model horizon.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Horizon {
    Years(f64),
    /// Until the youngest start age reaches the end of the life table.
    Lifetime,
}

/// A checked scenario: every name resolved, every number in range, every duration in cycles.
#[derive(Debug, Clone)]
pub struct Scenario {
    /// File name for messages (`scenarios/x.toml`).
    pub file: String,
    pub name: String,
    pub title: String,
    pub description: Option<String>,
    pub cycle_length_years: f64,
    pub horizon: Horizon,
    pub n_cycles: usize,
    pub patients: u64,
    pub seed: u64,
    pub states: Vec<State>,
    pub parameters: Vec<Parameter>,
    pub transitions: Vec<Transition>,
    pub strategies: Vec<Strategy>,
    pub cohort: Cohort,
    pub background: Option<BackgroundMortality>,
    /// Currency, discounting and correction; `None` for a survival-only scenario.
    pub economics: Option<Economics>,
    pub rewards: Vec<Reward>,
    /// Probabilistic sensitivity analysis settings (defaults when the file has no `[psa]`).
    pub psa: PsaSettings,
    /// Groups of probabilities drawn jointly from Dirichlet distributions in a PSA.
    pub dirichlet: Vec<DirichletGroup>,
    /// Things worth fixing that do not stop a run (e.g. a parameter without a source).
    pub warnings: Vec<Problem>,
}

/// Probabilities that sum to 1, drawn jointly: x_i = g_i / sum g, g_i ~ Gamma(alpha_i, 1).
#[derive(Debug, Clone, PartialEq)]
pub struct DirichletGroup {
    /// Parameter indices.
    pub parameters: Vec<usize>,
    pub alpha: Vec<f64>,
    pub source: Option<String>,
}

/// `[psa]` settings.
#[derive(Debug, Clone, PartialEq)]
pub struct PsaSettings {
    /// Number of draws (`--draws` overrides).
    pub draws: u64,
    /// Willingness-to-pay values of the CEAC grid.
    pub wtp_grid: Vec<f64>,
    /// People affected by the decision, for population EVPI; `None` reports per person only.
    pub population: Option<f64>,
}

impl Default for PsaSettings {
    fn default() -> Self {
        PsaSettings { draws: 1000, wtp_grid: (0..=100).map(|i| i as f64 * 2000.0).collect(), population: None }
    }
}

impl Scenario {
    /// Reads and checks a scenario file.
    ///
    /// # Errors
    /// [`Error::Read`] if the file cannot be read, [`Error::Syntax`] for TOML errors,
    /// [`Error::Invalid`] listing every rule broken.
    pub fn load(path: &Path) -> Result<Scenario> {
        let text = std::fs::read_to_string(path).map_err(|source| Error::Read { path: path.to_path_buf(), source })?;
        let base = path.parent().map(Path::to_path_buf).unwrap_or_default();
        Scenario::from_toml(&path.display().to_string(), &text, &base)
    }

    /// The embedded default scenario.
    pub fn default_scenario() -> Result<Scenario> {
        Scenario::from_toml(DEFAULT_SCENARIO_NAME, DEFAULT_SCENARIO, Path::new("."))
    }

    /// Parses and checks scenario text; relative paths inside resolve against `base_dir`.
    ///
    /// # Errors
    /// As [`Scenario::load`].
    pub fn from_toml(file: &str, text: &str, base_dir: &Path) -> Result<Scenario> {
        let raw: RawScenario = toml::from_str(text).map_err(|e| {
            let (line, column) = e.span().map(|s| line_col(text, s.start)).unwrap_or((1, 1));
            Error::Syntax { file: file.to_string(), line, column, message: e.message().trim().to_string() }
        })?;
        Validator::new(file, text, base_dir).validate(raw)
    }

    /// Base-case parameter values, indexed like [`Scenario::parameters`].
    pub fn base_values(&self) -> Vec<f64> {
        self.parameters.iter().map(|p| p.value).collect()
    }

    /// Does the model use parameter `index` (in a transition, effect, reward, discount rate or
    /// schedule)? Unused parameters are a library and are neither checked nor sampled.
    pub fn uses_parameter(&self, index: usize) -> bool {
        let scenario = self;
        use Value as V;
        let is = |v: V| v == V::Parameter(index);
        let time = |t: TimeValue| matches!(t, TimeValue::Parameter(i, _) if i == index);
        scenario.transitions.iter().any(|t| match t.spec {
            ExitSpec::Rate(v) | ExitSpec::AnnualProbability(v) | ExitSpec::CycleProbability(v) => is(v),
            ExitSpec::ProbabilityOver { value, .. } => is(value),
            ExitSpec::Complement => false,
        }) || scenario.strategies.iter().flat_map(|s| &s.effects).any(|e| {
            is(e.value)
                || e.hr_per_meld_point.is_some_and(is)
                || time(e.onset)
                || e.duration.is_some_and(time)
                || matches!(e.waning, Waning::Linear(t) | Waning::Exponential(t) if time(t))
        }) || scenario.rewards.iter().any(|r| is(r.value))
            || scenario.economics.as_ref().is_some_and(|e| is(e.discount_rate_costs) || is(e.discount_rate_effects))
            || scenario.strategies.iter().filter_map(|s| s.schedule.as_ref()).any(|s| {
                s.cost_per_infusion.is_some_and(is)
                    || s.adverse_events
                        .iter()
                        .any(|a| is(a.probability) || a.cost.is_some_and(is) || a.qaly_loss.is_some_and(is))
            })
    }

    /// How parameter `index` is drawn in a PSA, for tables: `beta(16.2700, 281.2000)`,
    /// `dirichlet(1251, 350, 116, 17)` for a member of a Dirichlet group, or `fixed`.
    pub fn distribution_text(&self, index: usize) -> String {
        if let Some(g) = self.dirichlet.iter().find(|g| g.parameters.contains(&index)) {
            return format!("dirichlet({})", g.alpha.iter().map(|a| a.to_string()).collect::<Vec<_>>().join(", "));
        }
        match self.parameters[index].distribution {
            Some(Distribution::Beta { alpha, beta }) => format!("beta({alpha:.4}, {beta:.4})"),
            Some(Distribution::Gamma { shape, scale }) => format!("gamma({shape:.4}, {scale:.4})"),
            Some(Distribution::Lognormal { meanlog, sdlog }) => format!("lognormal({meanlog:.4}, {sdlog:.4})"),
            Some(Distribution::Normal { mean, sd }) => format!("normal({mean:.4}, {sd:.4})"),
            Some(Distribution::Fixed) | None => "fixed".to_string(),
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

fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let column = before.len() - before.rfind('\n').map(|i| i + 1).unwrap_or(0) + 1;
    (line, column)
}

/// Which use a number is put to, for kind and range checks.
#[derive(Clone, Copy)]
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

struct Validator<'a> {
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
    cycle_years: f64,
}

impl<'a> Validator<'a> {
    fn new(file: &'a str, text: &'a str, base_dir: &'a Path) -> Self {
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
            cycle_years: 1.0,
        }
    }

    fn line<T>(&self, s: &Spanned<T>) -> Option<usize> {
        Some(line_col(self.text, s.span().start).0)
    }

    fn problem(&mut self, key: impl Into<String>, line: Option<usize>, kind: ProblemKind) {
        self.problems.push(Problem::new(key, line, kind));
    }

    fn known_states(&self) -> String {
        self.states.iter().map(|s| s.name.as_str()).collect::<Vec<_>>().join(", ")
    }

    fn state(&mut self, name: &str, key: &str, line: Option<usize>) -> Option<usize> {
        let found = self.state_index.get(name).copied();
        if found.is_none() {
            let known = self.known_states();
            self.problem(key, line, ProblemKind::UnknownState { name: name.to_string(), known });
        }
        found
    }

    fn path(&self, relative: &str) -> PathBuf {
        self.base_dir.join(relative)
    }

    fn validate(mut self, raw: RawScenario) -> Result<Scenario> {
        // Settings.
        let cycle_line = self.line(&raw.settings.cycle_length);
        let cycle_years = match parse_years(raw.settings.cycle_length.get_ref()) {
            Some(y) if y > 0.0 => y,
            Some(_) => {
                self.problem(
                    "settings.cycle_length",
                    cycle_line,
                    ProblemKind::NotPositive { value: raw.settings.cycle_length.get_ref().clone() },
                );
                1.0
            }
            None => {
                self.problem(
                    "settings.cycle_length",
                    cycle_line,
                    ProblemKind::BadDuration { value: raw.settings.cycle_length.get_ref().clone(), extra: "" },
                );
                1.0
            }
        };
        self.cycle_years = cycle_years;
        let horizon_line = self.line(&raw.settings.horizon);
        let horizon_text = raw.settings.horizon.get_ref().trim();
        let horizon = if horizon_text == "lifetime" {
            Some(Horizon::Lifetime)
        } else {
            match parse_years(horizon_text) {
                Some(y) if y > 0.0 => Some(Horizon::Years(y)),
                Some(_) => {
                    self.problem(
                        "settings.horizon",
                        horizon_line,
                        ProblemKind::NotPositive { value: horizon_text.to_string() },
                    );
                    None
                }
                None => {
                    self.problem(
                        "settings.horizon",
                        horizon_line,
                        ProblemKind::BadDuration { value: horizon_text.to_string(), extra: ", or \"lifetime\"" },
                    );
                    None
                }
            }
        };
        let patients = *raw.settings.patients.get_ref();
        if patients <= 0 {
            let line = self.line(&raw.settings.patients);
            self.problem("settings.patients", line, ProblemKind::NotPositive { value: patients.to_string() });
        }
        let seed = *raw.settings.seed.get_ref();
        if seed < 0 {
            let line = self.line(&raw.settings.seed);
            self.problem(
                "settings.seed",
                line,
                ProblemKind::OutOfRange { value: seed as f64, kind: "seed", rule: "must be >= 0" },
            );
        }

        // States.
        if raw.states.is_empty() {
            self.problem("states", None, ProblemKind::Empty { what: "states" });
        }
        for (i, s) in raw.states.iter().enumerate() {
            let line = self.line(s);
            let s = s.get_ref();
            if self.state_index.contains_key(&s.name) {
                self.problem(format!("states[{i}].name"), line, ProblemKind::DuplicateState { name: s.name.clone() });
                continue;
            }
            if !s.alive && !s.absorbing {
                self.problem(
                    format!("states[{i}].absorbing"),
                    line,
                    ProblemKind::DeadNotAbsorbing { name: s.name.clone() },
                );
            }
            self.state_index.insert(s.name.clone(), self.states.len());
            self.states.push(State {
                name: s.name.clone(),
                label: s.label.clone().unwrap_or_else(|| s.name.clone()),
                absorbing: s.absorbing,
                alive: s.alive,
                transplant: s.transplant,
                description: s.description.clone(),
            });
        }

        // Parameters: CSV libraries first, then inline tables (which override by name).
        for file in &raw.parameter_files {
            let path = self.path(file);
            let text = std::fs::read_to_string(&path).map_err(|source| Error::Read { path: path.clone(), source })?;
            for p in parameters::read_csv(&path.display().to_string(), &text)? {
                self.add_parameter(p, false);
            }
        }
        for (name, p) in &raw.parameters {
            let line = self.line(p);
            let key = format!("parameters.{name}");
            let p = p.get_ref();
            let Some(kind) = ParameterKind::parse(&p.kind) else {
                self.problem(
                    format!("{key}.kind"),
                    line,
                    ProblemKind::UnknownKind { value: p.kind.clone(), known: parameters::KIND_NAMES },
                );
                continue;
            };
            let distribution = match p.distribution.as_ref().map(|d| d.fit(p.value)) {
                None => None,
                Some(Ok(d)) => Some(d),
                Some(Err(kind)) => {
                    self.problem(format!("{key}.distribution"), line, kind);
                    None
                }
            };
            self.add_parameter(
                Parameter {
                    name: name.clone(),
                    value: p.value,
                    kind,
                    unit: p.unit.clone(),
                    source: p.source.clone(),
                    note: p.note.clone(),
                    distribution,
                    low: p.low,
                    high: p.high,
                    origin: format!("{} line {}", self.file, line.unwrap_or(0)),
                },
                true,
            );
        }
        for i in 0..self.parameters.len() {
            if self.checked[i] {
                self.check_parameter(i);
            }
        }

        // Cohort.
        let cohort = self.cohort(&raw.cohort);

        // Background mortality.
        let background = raw.background_mortality.as_ref().and_then(|b| self.background(b, &cohort));

        // Horizon in cycles.
        let n_cycles = match horizon {
            Some(Horizon::Years(y)) => cycles_ceil(y / cycle_years),
            Some(Horizon::Lifetime) => match &background {
                Some(bg) => {
                    let youngest = cohort.age_groups.iter().map(|g| g.age).fold(f64::INFINITY, f64::min);
                    let end = (bg.table.last_age(Sex::Male).max(bg.table.last_age(Sex::Female)) + 1) as f64;
                    cycles_ceil(((end - youngest).max(cycle_years)) / cycle_years)
                }
                None => {
                    if raw.background_mortality.is_none() {
                        self.problem("settings.horizon", horizon_line, ProblemKind::LifetimeWithoutLifeTable);
                    }
                    1
                }
            },
            None => 1,
        };

        // Transitions.
        let transitions = self.transitions(&raw.transitions);

        // Strategies.
        if raw.strategies.is_empty() {
            self.problem("strategies", None, ProblemKind::Empty { what: "strategies" });
        }
        let mut strategies: Vec<Strategy> = Vec::new();
        for (i, s) in raw.strategies.iter().enumerate() {
            let line = self.line(s);
            let key = format!("strategies[{i}]");
            let s = s.get_ref();
            if strategies.iter().any(|o| o.name == s.name) {
                self.problem(format!("{key}.name"), line, ProblemKind::DuplicateStrategy { name: s.name.clone() });
            }
            let schedule = s.schedule.as_ref().and_then(|sc| {
                if sc.infusions < 1 {
                    self.problem(
                        format!("{key}.schedule.infusions"),
                        line,
                        ProblemKind::NotPositive { value: sc.infusions.to_string() },
                    );
                    return None;
                }
                let cost_per_infusion = sc
                    .cost_per_infusion
                    .as_ref()
                    .and_then(|v| self.value(v, Usage::Cost, &format!("{key}.schedule.cost_per_infusion"), line));
                let mut adverse_events = Vec::new();
                for (j, ae) in sc.adverse_events.iter().enumerate() {
                    let k = format!("{key}.schedule.adverse_events[{j}]");
                    let probability =
                        self.value(&ae.probability, Usage::Probability, &format!("{k}.probability"), line);
                    let cost = ae.cost.as_ref().map(|v| self.value(v, Usage::Cost, &format!("{k}.cost"), line));
                    let qaly_loss =
                        ae.qaly_loss.as_ref().map(|v| self.value(v, Usage::QalyLoss, &format!("{k}.qaly_loss"), line));
                    if let (Some(probability), Some(cost), Some(qaly_loss)) = (
                        probability,
                        cost.map_or(Some(None), |c| c.map(Some)),
                        qaly_loss.map_or(Some(None), |q| q.map(Some)),
                    ) {
                        adverse_events.push(AdverseEvent { name: ae.name.clone(), probability, cost, qaly_loss });
                    }
                }
                let courses = match sc.courses {
                    None => 1,
                    Some(c) if c >= 1 => c as u32,
                    Some(c) => {
                        self.problem(
                            format!("{key}.schedule.courses"),
                            line,
                            ProblemKind::NotPositive { value: c.to_string() },
                        );
                        1
                    }
                };
                let course_interval_years = match &sc.course_interval {
                    None if courses > 1 => {
                        self.problem(
                            format!("{key}.schedule.course_interval"),
                            line,
                            ProblemKind::ExactlyOne { options: "course_interval with courses > 1", found: 0 },
                        );
                        0.0
                    }
                    None => 0.0,
                    Some(text) => match parse_years(text) {
                        Some(y) if y > 0.0 => y,
                        _ => {
                            self.problem(
                                format!("{key}.schedule.course_interval"),
                                line,
                                ProblemKind::BadDuration { value: text.clone(), extra: "" },
                            );
                            0.0
                        }
                    },
                };
                match parse_years(&sc.interval) {
                    Some(y) if y >= 0.0 => Some(Schedule {
                        infusions: sc.infusions as u32,
                        interval_years: y,
                        courses,
                        course_interval_years,
                        cost_per_infusion,
                        adverse_events,
                    }),
                    _ => {
                        self.problem(
                            format!("{key}.schedule.interval"),
                            line,
                            ProblemKind::BadDuration { value: sc.interval.clone(), extra: "" },
                        );
                        None
                    }
                }
            });
            let mut effects = Vec::new();
            for (j, e) in s.effects.iter().enumerate() {
                let eline = self.line(e);
                effects.extend(self.effect(&format!("{key}.effects[{j}]"), eline, e.get_ref(), &transitions));
            }
            strategies.push(Strategy {
                name: s.name.clone(),
                label: s.label.clone().unwrap_or_else(|| s.name.clone()),
                description: s.description.clone(),
                schedule,
                effects,
            });
        }

        // Economics: settings, costs and utilities.
        let economics = raw.economics.as_ref().and_then(|e| self.economics(e));
        let mut rewards = Vec::new();
        for (list, name, kind_is_cost) in [(&raw.costs, "costs", true), (&raw.utilities, "utilities", false)] {
            for (i, r) in list.iter().enumerate() {
                let line = self.line(r);
                if let Some(reward) =
                    self.reward(&format!("{name}[{i}]"), line, r.get_ref(), kind_is_cost, &strategies, &transitions)
                {
                    rewards.push(reward);
                }
            }
        }
        if economics.is_none() && raw.economics.is_none() && !rewards.is_empty() {
            self.problem("economics", None, ProblemKind::EconomicsMissing);
        }

        // Probabilistic sensitivity analysis settings.
        let mut psa = PsaSettings::default();
        if let Some(raw_psa) = &raw.psa {
            let line = self.line(raw_psa);
            let p = raw_psa.get_ref();
            if let Some(d) = p.draws {
                if d < 1 {
                    self.problem("psa.draws", line, ProblemKind::NotPositive { value: d.to_string() });
                } else {
                    psa.draws = d as u64;
                }
            }
            if let Some([from, to, step]) = p.wtp_grid {
                if !(from.is_finite() && to.is_finite() && step.is_finite() && from >= 0.0 && to >= from && step > 0.0)
                {
                    self.problem(
                        "psa.wtp_grid",
                        line,
                        ProblemKind::OutOfRange {
                            value: step,
                            kind: "grid [from, to, step]",
                            rule: "needs 0 <= from <= to and step > 0",
                        },
                    );
                } else {
                    let n = ((to - from) / step + 1e-9).floor() as usize;
                    psa.wtp_grid = (0..=n).map(|i| from + i as f64 * step).collect();
                }
            }
            if let Some(pop) = p.population {
                if !(pop.is_finite() && pop > 0.0) {
                    self.problem("psa.population", line, ProblemKind::NotPositive { value: pop.to_string() });
                } else {
                    psa.population = Some(pop);
                }
            }
        }

        // Dirichlet groups.
        let mut dirichlet: Vec<DirichletGroup> = Vec::new();
        for (g, d) in raw.dirichlet.iter().enumerate() {
            let line = self.line(d);
            let key = format!("dirichlet[{g}]");
            let d = d.get_ref();
            if d.parameters.len() < 2 || d.parameters.len() != d.alpha.len() {
                self.problem(
                    &key,
                    line,
                    ProblemKind::DirichletShape { parameters: d.parameters.len(), alpha: d.alpha.len() },
                );
                continue;
            }
            let mut indices = Vec::new();
            for name in &d.parameters {
                match self.parameter_index.get(name).copied() {
                    None => self.problem(
                        format!("{key}.parameters"),
                        line,
                        ProblemKind::UnknownParameter { name: name.clone() },
                    ),
                    Some(i)
                        if !matches!(
                            self.parameters[i].kind,
                            ParameterKind::Probability | ParameterKind::AnnualProbability | ParameterKind::Proportion
                        ) =>
                    {
                        let kind = self.parameters[i].kind.name();
                        self.problem(
                            format!("{key}.parameters"),
                            line,
                            ProblemKind::KindMismatch {
                                name: name.clone(),
                                kind,
                                used_as: "a probability in a Dirichlet group",
                            },
                        );
                    }
                    Some(i) if dirichlet.iter().any(|o| o.parameters.contains(&i)) || indices.contains(&i) => {
                        self.problem(
                            format!("{key}.parameters"),
                            line,
                            ProblemKind::DirichletTwice { name: name.clone() },
                        );
                    }
                    Some(i) => indices.push(i),
                }
            }
            for a in &d.alpha {
                if !(a.is_finite() && *a > 0.0) {
                    self.problem(
                        format!("{key}.alpha"),
                        line,
                        ProblemKind::OutOfRange { value: *a, kind: "Dirichlet alpha", rule: "must be > 0" },
                    );
                }
            }
            let sum: f64 = indices.iter().map(|&i| self.parameters[i].value).sum();
            if indices.len() == d.parameters.len() && (sum - 1.0).abs() > 1e-6 {
                self.problem(format!("{key}.parameters"), line, ProblemKind::SharesSum { sum });
            }
            if indices.len() == d.parameters.len() {
                dirichlet.push(DirichletGroup {
                    parameters: indices,
                    alpha: d.alpha.clone(),
                    source: d.source.clone(),
                });
            }
        }

        // Warnings: used parameters without a source.
        for i in 0..self.parameters.len() {
            if self.checked[i] && self.parameters[i].source.is_none() {
                let name = self.parameters[i].name.clone();
                self.warnings.push(Problem::new(
                    format!("parameters.{name}"),
                    None,
                    ProblemKind::NoSource { what: "parameter", name },
                ));
            }
        }

        if !self.problems.is_empty() {
            return Err(Error::Invalid { file: self.file.to_string(), problems: self.problems });
        }
        Ok(Scenario {
            file: self.file.to_string(),
            name: raw.scenario.name.clone(),
            title: raw.scenario.title.clone().unwrap_or_else(|| raw.scenario.name.clone()),
            description: raw.scenario.description.clone(),
            cycle_length_years: cycle_years,
            horizon: horizon.unwrap_or(Horizon::Years(cycle_years)),
            n_cycles,
            patients: patients as u64,
            seed: seed as u64,
            states: self.states,
            parameters: self.parameters,
            transitions,
            strategies,
            cohort,
            background,
            economics,
            rewards,
            psa,
            dirichlet,
            warnings: self.warnings,
        })
    }

    fn economics(&mut self, raw: &Spanned<RawEconomics>) -> Option<Economics> {
        let line = self.line(raw);
        let e = raw.get_ref();
        let costs = self.value(&e.discount_rate_costs, Usage::DiscountRate, "economics.discount_rate_costs", line);
        let effects =
            self.value(&e.discount_rate_effects, Usage::DiscountRate, "economics.discount_rate_effects", line);
        let correction = match e.within_cycle_correction.as_deref() {
            None => Some(Correction::HalfCycle),
            Some(name) => Correction::parse(name).or_else(|| {
                self.problem(
                    "economics.within_cycle_correction",
                    line,
                    ProblemKind::UnknownChoice {
                        value: name.to_string(),
                        choices: "none, start_of_cycle, half_cycle, trapezoid, simpson",
                    },
                );
                None
            }),
        };
        let discount_timing = match e.discount_timing.as_deref() {
            None | Some("start") => Some(DiscountTiming::Start),
            Some("midpoint") => Some(DiscountTiming::Midpoint),
            Some("end") => Some(DiscountTiming::End),
            Some(other) => {
                self.problem(
                    "economics.discount_timing",
                    line,
                    ProblemKind::UnknownChoice { value: other.to_string(), choices: "start, midpoint, end" },
                );
                None
            }
        };
        let wtp = e.wtp.clone().unwrap_or_else(|| vec![20_000.0, 30_000.0, 50_000.0, 100_000.0]);
        for w in &wtp {
            if !(w.is_finite() && *w >= 0.0) {
                self.problem(
                    "economics.wtp",
                    line,
                    ProblemKind::OutOfRange { value: *w, kind: "willingness to pay", rule: "must be >= 0" },
                );
            }
        }
        Some(Economics {
            currency: e.currency.clone(),
            price_year: e.price_year,
            discount_rate_costs: costs?,
            discount_rate_effects: effects?,
            correction: correction?,
            discount_timing: discount_timing?,
            wtp,
        })
    }

    #[allow(clippy::too_many_arguments)]
    fn reward(
        &mut self,
        key: &str,
        line: Option<usize>,
        raw: &RawReward,
        is_cost: bool,
        strategies: &[Strategy],
        transitions: &[Transition],
    ) -> Option<Reward> {
        let kind = if is_cost {
            RewardKind::Cost { category: raw.category.clone().unwrap_or_else(|| "other".to_string()) }
        } else {
            if raw.category.is_some() {
                self.problem(
                    format!("{key}.category"),
                    line,
                    ProblemKind::ExactlyOne { options: "no category on utilities", found: 1 },
                );
            }
            RewardKind::Qaly
        };
        let target = match (&raw.state, &raw.transition) {
            (Some(state), None) => self.state(state, &format!("{key}.state"), line).map(RewardTarget::State),
            (None, Some(t)) => {
                let from = self.state(&t.from, &format!("{key}.transition.from"), line);
                let to = self.state(&t.to, &format!("{key}.transition.to"), line);
                match (from, to) {
                    (Some(from), Some(to)) => {
                        let exists = transitions.iter().any(|x| x.from == from && x.to == to && from != to)
                            || (self.states[to].alive.not() && !self.states[from].absorbing);
                        if !exists {
                            self.problem(
                                format!("{key}.transition"),
                                line,
                                ProblemKind::NoSuchTransition { from: t.from.clone(), to: t.to.clone() },
                            );
                            None
                        } else {
                            Some(RewardTarget::Transition { from, to })
                        }
                    }
                    _ => None,
                }
            }
            (a, b) => {
                let found = a.is_some() as usize + b.is_some() as usize;
                self.problem(key, line, ProblemKind::ExactlyOne { options: "state, transition", found });
                None
            }
        };
        let per_year = matches!(target, Some(RewardTarget::State(_)));
        let usage = match (is_cost, per_year) {
            (true, _) => Usage::Cost,
            (false, true) => Usage::Utility,
            (false, false) => Usage::QalyLoss,
        };
        let value = match (&raw.annual, &raw.one_off, per_year) {
            (Some(v), None, true) => self.value(v, usage, &format!("{key}.annual"), line),
            (None, Some(v), false) => self.value(v, usage, &format!("{key}.one_off"), line),
            _ => {
                self.problem(
                    key,
                    line,
                    ProblemKind::ExactlyOne {
                        options: "annual (with state) or one_off (with transition)",
                        found: raw.annual.is_some() as usize + raw.one_off.is_some() as usize,
                    },
                );
                None
            }
        };
        let time_in_state = match &raw.time_in_state {
            None => Some(Window { from_cycle: 0, until_cycle: None }),
            Some(w) => {
                let from = w
                    .from
                    .as_ref()
                    .map_or(Some(0), |t| self.whole_cycles(t, &format!("{key}.time_in_state.from"), line));
                let until = match &w.until {
                    Some(t) => self.whole_cycles(t, &format!("{key}.time_in_state.until"), line).map(Some),
                    None => Some(None),
                };
                from.zip(until).map(|(from_cycle, until_cycle)| Window { from_cycle, until_cycle })
            }
        };
        let (during_from_years, during_until_years) = match &raw.during {
            None => (Some(0.0), Some(None)),
            Some(w) => {
                let mut years = |text: &Option<String>, field: &str| match text {
                    None => Some(None),
                    Some(t) => match parse_years(t) {
                        Some(y) if y >= 0.0 => Some(Some(y)),
                        _ => {
                            self.problem(
                                format!("{key}.during.{field}"),
                                line,
                                ProblemKind::BadDuration { value: t.clone(), extra: "" },
                            );
                            None
                        }
                    },
                };
                (years(&w.from, "from").map(|f| f.unwrap_or(0.0)), years(&w.until, "until"))
            }
        };
        let applies_to = match &raw.strategies {
            None => Some(None),
            Some(names) => {
                let mut out = Vec::new();
                for name in names {
                    match strategies.iter().position(|s| &s.name == name) {
                        Some(i) => out.push(i),
                        None => {
                            let known = strategies.iter().map(|s| s.name.as_str()).collect::<Vec<_>>().join(", ");
                            self.problem(
                                format!("{key}.strategies"),
                                line,
                                ProblemKind::UnknownStrategy { name: name.clone(), known },
                            );
                        }
                    }
                }
                (out.len() == names.len()).then_some(Some(out))
            }
        };
        Some(Reward {
            kind,
            target: target?,
            value: value?,
            time_in_state: time_in_state?,
            during_from_years: during_from_years?,
            during_until_years: during_until_years?,
            strategies: applies_to?,
        })
    }

    fn add_parameter(&mut self, p: Parameter, inline: bool) {
        match self.parameter_index.get(&p.name) {
            Some(&i) => {
                self.parameters[i] = p;
                self.checked[i] = inline;
            }
            None => {
                self.parameter_index.insert(p.name.clone(), self.parameters.len());
                self.parameters.push(p);
                self.checked.push(inline);
            }
        }
    }

    fn check_parameter(&mut self, i: usize) {
        let p = self.parameters[i].clone();
        let key = format!("parameters.{}", p.name);
        let line = p.origin.rsplit_once(" line ").and_then(|(f, l)| if f == self.file { l.parse().ok() } else { None });
        let key = if line.is_none() { format!("{key} ({})", p.origin) } else { key };
        if let Err(kind) = p.kind.check(p.value) {
            self.problem(format!("{key}.value"), line, kind);
        }
        if let Some(d) = &p.distribution
            && let Err(kind) = d.check()
        {
            self.problem(format!("{key}.distribution"), line, kind);
        }
        for (field, bound) in [("low", p.low), ("high", p.high)] {
            if let Some(b) = bound
                && let Err(kind) = p.kind.check(b)
            {
                self.problem(format!("{key}.{field}"), line, kind);
            }
        }
        if let (Some(lo), Some(hi)) = (p.low, p.high)
            && !(lo <= p.value && p.value <= hi)
        {
            self.problem(
                format!("{key}.low"),
                line,
                ProblemKind::OutOfRange {
                    value: p.value,
                    kind: "parameter value",
                    rule: "must lie within [low, high]",
                },
            );
        }
    }

    fn value(&mut self, raw: &RawValue, usage: Usage, key: &str, line: Option<usize>) -> Option<Value> {
        match raw {
            RawValue::Number(v) => match usage.kind().check(*v) {
                Ok(()) => Some(Value::Literal(*v)),
                Err(kind) => {
                    self.problem(key, line, kind);
                    None
                }
            },
            RawValue::Name(name) => {
                let Some(&i) = self.parameter_index.get(name) else {
                    self.problem(key, line, ProblemKind::UnknownParameter { name: name.clone() });
                    return None;
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
                if !self.checked[i] {
                    self.checked[i] = true;
                    self.check_parameter(i);
                }
                Some(Value::Parameter(i))
            }
        }
    }

    fn time_value(&mut self, text: &str, key: &str, line: Option<usize>) -> Option<TimeValue> {
        if let Some(y) = parse_years(text) {
            if y < 0.0 {
                self.problem(key, line, ProblemKind::OutOfRange { value: y, kind: "duration", rule: "must be >= 0" });
                return None;
            }
            return Some(TimeValue::Years(y));
        }
        match self.parameter_index.get(text).copied() {
            Some(i) => {
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
                if !self.checked[i] {
                    self.checked[i] = true;
                    self.check_parameter(i);
                }
                Some(TimeValue::Parameter(i, per_unit))
            }
            None => {
                self.problem(
                    key,
                    line,
                    ProblemKind::BadDuration {
                        value: text.to_string(),
                        extra: ", or the name of a parameter of kind months or years",
                    },
                );
                None
            }
        }
    }

    fn whole_cycles(&mut self, text: &str, key: &str, line: Option<usize>) -> Option<usize> {
        let Some(years) = parse_years(text) else {
            self.problem(key, line, ProblemKind::BadDuration { value: text.to_string(), extra: "" });
            return None;
        };
        let cycles = years / self.cycle_years;
        if years < 0.0 || (cycles - cycles.round()).abs() > 1e-6 {
            self.problem(
                key,
                line,
                ProblemKind::NotWholeCycles { value: text.to_string(), cycle: describe_years(self.cycle_years) },
            );
            return None;
        }
        Some(cycles.round() as usize)
    }

    fn cohort(&mut self, raw: &RawCohort) -> Cohort {
        let line = self.line(&raw.start_age);
        let age_groups = match raw.start_age.get_ref() {
            RawStartAge::Single(age) => vec![AgeGroup { age: *age, weight: 1.0 }],
            RawStartAge::Groups(groups) => groups.iter().map(|g| AgeGroup { age: g.age, weight: g.weight }).collect(),
        };
        if age_groups.is_empty() {
            self.problem("cohort.start_age", line, ProblemKind::Empty { what: "start ages" });
        }
        for g in &age_groups {
            if !(g.age.is_finite() && g.age >= 0.0 && g.age < 150.0) {
                self.problem(
                    "cohort.start_age",
                    line,
                    ProblemKind::OutOfRange { value: g.age, kind: "age", rule: "must be in [0, 150) years" },
                );
            }
            if !(g.weight.is_finite() && g.weight >= 0.0) {
                self.problem(
                    "cohort.start_age",
                    line,
                    ProblemKind::OutOfRange { value: g.weight, kind: "weight", rule: "must be >= 0" },
                );
            }
        }
        let weight_sum: f64 = age_groups.iter().map(|g| g.weight).sum();
        if !age_groups.is_empty() && (weight_sum - 1.0).abs() > 1e-9 {
            self.problem("cohort.start_age", line, ProblemKind::SharesSum { sum: weight_sum });
        }
        let fraction_male = *raw.fraction_male.get_ref();
        let fraction_line = self.line(&raw.fraction_male);
        if !(0.0..=1.0).contains(&fraction_male) {
            self.problem(
                "cohort.fraction_male",
                fraction_line,
                ProblemKind::OutOfRange { value: fraction_male, kind: "fraction", rule: "must be in [0, 1]" },
            );
        }
        let mut start = vec![0.0; self.states.len()];
        let mut sum = 0.0;
        let line = self.line(&raw.start_state);
        for (name, share) in raw.start_state.get_ref() {
            let key = format!("cohort.start_state.{name}");
            if !(share.is_finite() && *share >= 0.0) {
                self.problem(
                    &key,
                    line,
                    ProblemKind::OutOfRange { value: *share, kind: "share", rule: "must be >= 0" },
                );
                continue;
            }
            sum += share;
            if let Some(i) = self.state(name, &key, line) {
                if !self.states[i].alive && *share > 0.0 {
                    self.problem(&key, line, ProblemKind::StartDead { name: name.clone() });
                }
                start[i] = *share;
            }
        }
        if (sum - 1.0).abs() > 1e-9 {
            self.problem("cohort.start_state", line, ProblemKind::SharesSum { sum });
        }
        Cohort { age_groups, fraction_male, start }
    }

    fn background(&mut self, raw: &Spanned<RawBackground>, cohort: &Cohort) -> Option<BackgroundMortality> {
        let line = self.line(raw);
        let raw = raw.get_ref();
        let to = self.state(&raw.to, "background_mortality.to", line);
        if let Some(t) = to
            && self.states[t].alive
        {
            self.problem("background_mortality.to", line, ProblemKind::BackgroundToAlive { name: raw.to.clone() });
        }
        let table = if raw.life_table == life_table::US_2021 {
            LifeTable::us_2021()
        } else {
            let path = self.path(&raw.life_table);
            let text = match std::fs::read_to_string(&path) {
                Ok(t) => t,
                Err(e) => {
                    let path = path.display().to_string();
                    self.problem(
                        "background_mortality.life_table",
                        line,
                        ProblemKind::LifeTable {
                            message: format!("cannot read {path}: {e} (or use the embedded \"us_2021\")"),
                        },
                    );
                    return None;
                }
            };
            match LifeTable::from_csv(&path.display().to_string(), &text) {
                Ok(t) => t,
                Err(e) => {
                    self.problem(
                        "background_mortality.life_table",
                        line,
                        ProblemKind::LifeTable { message: e.to_string() },
                    );
                    return None;
                }
            }
        };
        for g in &cohort.age_groups {
            for (sex, share) in [(Sex::Male, cohort.fraction_male), (Sex::Female, 1.0 - cohort.fraction_male)] {
                if share <= 0.0 || g.weight <= 0.0 {
                    continue;
                }
                let age = g.age.floor().max(0.0) as u32;
                if table.qx(sex, age).is_none() {
                    self.problem(
                        "background_mortality.life_table",
                        line,
                        ProblemKind::MissingLifeTableAge {
                            sex: sex.as_str(),
                            age,
                            start_age: g.age,
                            first: table.first_age(sex),
                            last: table.last_age(sex),
                        },
                    );
                }
            }
        }
        to.map(|to| BackgroundMortality { table, to })
    }

    fn transitions(&mut self, raw: &[Spanned<RawTransition>]) -> Vec<Transition> {
        let mut out: Vec<(Transition, Option<usize>)> = Vec::new();
        for (i, t) in raw.iter().enumerate() {
            let line = self.line(t);
            let key = format!("transitions[{i}]");
            let t = t.get_ref();
            let from = self.state(&t.from, &format!("{key}.from"), line);
            let to = self.state(&t.to, &format!("{key}.to"), line);
            let given = [
                t.rate.is_some(),
                t.annual_probability.is_some(),
                t.probability.is_some(),
                t.cycle_probability.is_some(),
                t.complement == Some(true),
            ];
            let found = given.iter().filter(|g| **g).count();
            if found != 1 {
                self.problem(&key, line, ProblemKind::ExactlyOne { options: "rate, annual_probability, probability (with over), cycle_probability, complement = true", found });
                continue;
            }
            let spec = if let Some(v) = &t.rate {
                self.value(v, Usage::Rate, &format!("{key}.rate"), line).map(ExitSpec::Rate)
            } else if let Some(v) = &t.annual_probability {
                let value = self.value(v, Usage::AnnualProbability, &format!("{key}.annual_probability"), line);
                value.map(ExitSpec::AnnualProbability)
            } else if let Some(v) = &t.probability {
                let value = self.value(v, Usage::Probability, &format!("{key}.probability"), line);
                let years = match &t.over {
                    Some(text) => match parse_years(text) {
                        Some(y) if y > 0.0 => Some(y),
                        _ => {
                            self.problem(
                                format!("{key}.over"),
                                line,
                                ProblemKind::BadDuration { value: text.clone(), extra: "" },
                            );
                            None
                        }
                    },
                    None => {
                        self.problem(
                            format!("{key}.over"),
                            line,
                            ProblemKind::ExactlyOne {
                                options: "over (the period the probability refers to, e.g. \"5 years\")",
                                found: 0,
                            },
                        );
                        None
                    }
                };
                value.zip(years).map(|(value, years)| ExitSpec::ProbabilityOver { value, years })
            } else if let Some(v) = &t.cycle_probability {
                self.value(v, Usage::CycleProbability, &format!("{key}.cycle_probability"), line)
                    .map(ExitSpec::CycleProbability)
            } else {
                Some(ExitSpec::Complement)
            };
            if t.over.is_some() && t.probability.is_none() {
                self.problem(
                    format!("{key}.over"),
                    line,
                    ProblemKind::ExactlyOne { options: "probability together with over", found: 0 },
                );
            }
            let window = match &t.time_in_state {
                None => Some(Window { from_cycle: 0, until_cycle: None }),
                Some(w) => {
                    let from_cycle = match &w.from {
                        Some(text) => self.whole_cycles(text, &format!("{key}.time_in_state.from"), line),
                        None => Some(0),
                    };
                    let until_cycle = match &w.until {
                        Some(text) => self.whole_cycles(text, &format!("{key}.time_in_state.until"), line).map(Some),
                        None => Some(None),
                    };
                    match (from_cycle, until_cycle) {
                        (Some(f), Some(Some(u))) if u <= f => {
                            self.problem(
                                format!("{key}.time_in_state"),
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
            };
            let (Some(from), Some(to), Some(spec), Some(window)) = (from, to, spec, window) else {
                continue;
            };
            if self.states[from].absorbing {
                self.problem(&key, line, ProblemKind::ExitFromAbsorbing { name: t.from.clone() });
                continue;
            }
            if from == to && spec != ExitSpec::Complement {
                self.problem(&key, line, ProblemKind::SelfLoop { name: t.from.clone() });
                continue;
            }
            if self.states[from].transplant && self.states[to].alive && !self.states[to].transplant {
                self.problem(&key, line, ProblemKind::TransplantExit { name: t.from.clone(), to: t.to.clone() });
            }
            out.push((Transition { from, to, spec, window, note: t.note.clone() }, line));
        }
        // Rules across the exits of one state.
        for s in 0..self.states.len() {
            let exits: Vec<&(Transition, Option<usize>)> = out.iter().filter(|(t, _)| t.from == s).collect();
            if exits.is_empty() {
                continue;
            }
            let cycle_scale = exits.iter().filter(|(t, _)| t.spec.is_cycle_scale()).count();
            if cycle_scale != 0 && cycle_scale != exits.len() {
                let line = exits[0].1;
                self.problems.push(Problem::new(
                    "transitions",
                    line,
                    ProblemKind::MixedScales { name: self.states[s].name.clone() },
                ));
            }
            for (a_i, (a, a_line)) in exits.iter().enumerate() {
                for (b, _) in exits.iter().skip(a_i + 1) {
                    if !a.window.overlaps(&b.window) {
                        continue;
                    }
                    if a.to == b.to {
                        self.problems.push(Problem::new(
                            "transitions",
                            *a_line,
                            ProblemKind::OverlappingWindows {
                                from: self.states[s].name.clone(),
                                to: self.states[a.to].name.clone(),
                                a: a.window.describe(self.cycle_years),
                                b: b.window.describe(self.cycle_years),
                            },
                        ));
                    } else if a.spec == ExitSpec::Complement && b.spec == ExitSpec::Complement {
                        self.problems.push(Problem::new(
                            "transitions",
                            *a_line,
                            ProblemKind::TwoComplements {
                                name: self.states[s].name.clone(),
                                count: 2,
                                window: a.window.describe(self.cycle_years),
                            },
                        ));
                    }
                }
            }
        }
        out.into_iter().map(|(t, _)| t).collect()
    }

    fn effect(&mut self, key: &str, line: Option<usize>, raw: &RawEffect, transitions: &[Transition]) -> Vec<Effect> {
        let from = self.state(&raw.from, &format!("{key}.from"), line);
        let to = match &raw.to {
            Some(name) => self.state(name, &format!("{key}.to"), line).map(Some),
            None => Some(None),
        };
        let mut per_point: Option<Value> = None;
        let (measure, value) = match (&raw.hazard_ratio, &raw.relative_risk, &raw.meld_shift) {
            (Some(v), None, None) => {
                (EffectMeasure::HazardRatio, self.value(v, Usage::HazardRatio, &format!("{key}.hazard_ratio"), line))
            }
            (None, Some(v), None) => {
                (EffectMeasure::RelativeRisk, self.value(v, Usage::RelativeRisk, &format!("{key}.relative_risk"), line))
            }
            (None, None, Some(v)) => {
                let shift = self.value(v, Usage::MeanDifference, &format!("{key}.meld_shift"), line);
                match &raw.hr_per_meld_point {
                    Some(p) => per_point = self.value(p, Usage::HazardRatio, &format!("{key}.hr_per_meld_point"), line),
                    None => self.problem(
                        format!("{key}.hr_per_meld_point"),
                        line,
                        ProblemKind::ExactlyOne {
                            options: "hr_per_meld_point with meld_shift (e.g. 1.105 = exp(0.1))",
                            found: 0,
                        },
                    ),
                }
                (EffectMeasure::HazardRatio, shift.filter(|_| per_point.is_some()))
            }
            (a, b, c) => {
                let found = a.is_some() as usize + b.is_some() as usize + c.is_some() as usize;
                self.problem(
                    key,
                    line,
                    ProblemKind::ExactlyOne { options: "hazard_ratio, relative_risk, meld_shift", found },
                );
                (EffectMeasure::HazardRatio, None)
            }
        };
        if raw.hr_per_meld_point.is_some() && raw.meld_shift.is_none() {
            self.problem(
                format!("{key}.hr_per_meld_point"),
                line,
                ProblemKind::ExactlyOne { options: "meld_shift together with hr_per_meld_point", found: 0 },
            );
        }
        let onset = match &raw.onset {
            Some(text) => self.time_value(text, &format!("{key}.onset"), line),
            None => Some(TimeValue::Years(0.0)),
        };
        let duration = match &raw.duration {
            Some(text) => self.time_value(text, &format!("{key}.duration"), line).map(Some),
            None => Some(None),
        };
        let waning = match &raw.waning {
            None => Some(Waning::None),
            Some(w) => match w.shape.as_str() {
                "none" => Some(Waning::None),
                "linear" | "exponential" => match &w.over {
                    Some(text) => self
                        .time_value(text, &format!("{key}.waning.over"), line)
                        .map(|t| if w.shape == "linear" { Waning::Linear(t) } else { Waning::Exponential(t) }),
                    None => {
                        self.problem(
                            format!("{key}.waning"),
                            line,
                            ProblemKind::WaningNeedsPeriod { shape: w.shape.clone() },
                        );
                        None
                    }
                },
                other => {
                    self.problem(
                        format!("{key}.waning.shape"),
                        line,
                        ProblemKind::UnknownWaning { value: other.to_string() },
                    );
                    None
                }
            },
        };
        let (Some(from), Some(to), Some(value), Some(onset), Some(duration), Some(waning)) =
            (from, to, value, onset, duration, waning)
        else {
            return Vec::new();
        };
        let targets: Vec<usize> = match to {
            Some(to) => {
                let exits: Vec<&Transition> = transitions.iter().filter(|t| t.from == from && t.to == to).collect();
                if exits.is_empty() {
                    self.problem(
                        format!("{key}.to"),
                        line,
                        ProblemKind::NoSuchTransition { from: raw.from.clone(), to: self.states[to].name.clone() },
                    );
                    return Vec::new();
                }
                if exits.iter().any(|t| t.spec == ExitSpec::Complement) {
                    self.problem(
                        format!("{key}.to"),
                        line,
                        ProblemKind::EffectOnComplement { from: raw.from.clone(), to: self.states[to].name.clone() },
                    );
                    return Vec::new();
                }
                vec![to]
            }
            None => {
                let mut tos: Vec<usize> = transitions
                    .iter()
                    .filter(|t| t.from == from && t.spec != ExitSpec::Complement)
                    .map(|t| t.to)
                    .collect();
                tos.sort_unstable();
                tos.dedup();
                if tos.is_empty() {
                    self.problem(
                        format!("{key}.from"),
                        line,
                        ProblemKind::NoSuchTransition { from: raw.from.clone(), to: "any state".into() },
                    );
                }
                tos
            }
        };
        targets
            .into_iter()
            .map(|to| Effect { from, to, measure, value, hr_per_meld_point: per_point, onset, duration, waning })
            .collect()
    }
}

fn cycles_ceil(x: f64) -> usize {
    let r = x.round();
    if (x - r).abs() < 1e-9 { r.max(1.0) as usize } else { x.ceil().max(1.0) as usize }
}

#[cfg(test)]
mod tests;
