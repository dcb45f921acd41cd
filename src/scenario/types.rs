//! The checked scenario types: what validation hands on and what the model may trust.
//!
//! Every name is resolved to an index, every duration to years or whole cycles, every number to a
//! [`Value`] (a literal or a parameter index) that passed its kind's range check. The types are
//! re-exported from [`crate::scenario`], so `crate::scenario::Transition` and friends keep working.
//! Built only by [`super::validate`]; read by `model`, the engines and the reports.

use super::duration::describe_years;
pub use super::formula::{At, Depends, Formula};
use super::life_table::LifeTable;
use super::parameters::Parameter;
use crate::error::Problem;
use std::sync::Arc;

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

/// A number used by a transition, effect, reward or setting: a literal, a named parameter with
/// one value per draw, or a formula (written inline, or a derived parameter that changes with
/// model time).
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// Index into [`Scenario::parameters`].
    Parameter(usize),
    Literal(f64),
    Formula(Arc<Formula>),
}

impl Value {
    /// The number, taking parameters from `values` (indexed like [`Scenario::parameters`]), for
    /// a value that does not change with model time. A formula that reads a model-time variable
    /// gives NaN here (use [`Value::at`]).
    pub fn get(&self, values: &[f64]) -> f64 {
        self.at(values, &At::UNKNOWN)
    }

    /// The number at a point of model time.
    pub fn at(&self, values: &[f64], at: &At) -> f64 {
        match self {
            Value::Parameter(i) => values[*i],
            Value::Literal(v) => *v,
            Value::Formula(f) => f.eval(values, at),
        }
    }

    /// The model-time variables it reads (none for literals and parameters).
    pub fn depends(&self) -> Depends {
        match self {
            Value::Formula(f) => f.depends(),
            _ => Depends::default(),
        }
    }

    /// The formula's text, for messages.
    pub fn formula_text(&self) -> Option<&str> {
        match self {
            Value::Formula(f) => Some(f.text()),
            _ => None,
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
#[derive(Debug, Clone, PartialEq)]
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
    /// The number it holds (`None` for the complement).
    pub fn value(&self) -> Option<&Value> {
        match self {
            ExitSpec::Rate(v) | ExitSpec::AnnualProbability(v) | ExitSpec::CycleProbability(v) => Some(v),
            ExitSpec::ProbabilityOver { value, .. } => Some(value),
            ExitSpec::Complement => None,
        }
    }

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

    pub(crate) fn overlaps(&self, other: &Window) -> bool {
        let a_end = self.until_cycle.unwrap_or(usize::MAX);
        let b_end = other.until_cycle.unwrap_or(usize::MAX);
        self.from_cycle < b_end && other.from_cycle < a_end
    }

    pub(crate) fn describe(&self, cycle_years: f64) -> String {
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
    /// Strategy indices it applies in; `None` = every strategy.
    pub strategies: Option<Vec<usize>>,
    /// A natural-history modifier of the exit: hazard ratio, relative risk or odds ratio.
    pub modifier: Option<(Modifier, Value)>,
}

/// How a natural-history modifier acts on its exit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Modifier {
    /// Multiplies the rate (hazard); on a per-cycle probability p gives 1 - (1 - p)^HR.
    HazardRatio,
    /// Multiplies the per-cycle probability.
    RelativeRisk,
    /// Multiplies the odds of the per-cycle probability: p' = OR p / (1 - p + OR p).
    OddsRatio,
}

impl Modifier {
    /// The key it is written under.
    pub fn key(self) -> &'static str {
        match self {
            Modifier::HazardRatio => "hazard_ratio",
            Modifier::RelativeRisk => "relative_risk",
            Modifier::OddsRatio => "odds_ratio",
        }
    }
}

impl Transition {
    /// The numbers it holds: the exit's own (none for the complement) and its modifier's.
    pub fn values(&self) -> impl Iterator<Item = &Value> {
        self.spec.value().into_iter().chain(self.modifier.as_ref().map(|(_, v)| v))
    }

    /// Does this exit apply under strategy `s`?
    pub fn applies_in(&self, s: usize) -> bool {
        self.strategies.as_ref().is_none_or(|list| list.contains(&s))
    }

    /// Can both exits apply under one strategy?
    pub fn shares_a_strategy_with(&self, other: &Transition) -> bool {
        match (&self.strategies, &other.strategies) {
            (Some(a), Some(b)) => a.iter().any(|s| b.contains(s)),
            _ => true,
        }
    }
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
    /// Position of the `[[strategies.effects]]` entry it comes from, within its strategy (an
    /// entry without `to` gives one effect per exit of `from`, all with the same position).
    pub entry: usize,
}

impl Effect {
    /// The multiplier at full strength: the value, or hr_per_meld_point ^ meld_shift.
    pub fn multiplier(&self, values: &[f64]) -> f64 {
        self.multiplier_at(values, &At::UNKNOWN)
    }

    /// The multiplier at full strength at a point of model time (for an effect whose size is a
    /// formula of `cycle` or `model_years`).
    pub fn multiplier_at(&self, values: &[f64], at: &At) -> f64 {
        match &self.hr_per_meld_point {
            Some(per_point) => per_point.at(values, at).powf(self.value.at(values, at)),
            None => self.value.at(values, at),
        }
    }

    /// Does its size change with model time?
    pub fn is_timed(&self) -> bool {
        let per_point = self.hr_per_meld_point.as_ref().map(|v| v.depends()).unwrap_or_default();
        !self.value.depends().union(per_point).is_constant()
    }
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
    /// The scenario's own weights of the cycle boundaries 0..T ([`Economics::weights`]), each
    /// boundary discounted at its own time.
    Weights,
}

impl Correction {
    /// Parses the name used in scenario files.
    pub fn parse(name: &str) -> Option<Correction> {
        Some(match name {
            "end_of_cycle" => Correction::None,
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
            Correction::None => "end_of_cycle",
            Correction::StartOfCycle => "start_of_cycle",
            Correction::HalfCycle => "half_cycle",
            Correction::Trapezoid => "trapezoid",
            Correction::Simpson => "simpson",
            Correction::Weights => "within_cycle_weights",
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
    /// With [`Correction::Weights`]: the weight of each cycle boundary 0..T (empty otherwise).
    pub weights: Vec<f64>,
    pub discount_timing: DiscountTiming,
    /// Willingness-to-pay values per QALY for net monetary benefit.
    pub wtp: Vec<f64>,
    /// How costs stated in other currencies or price years were converted (`conversion`).
    pub conversion: super::prices::ConversionMethod,
    /// The country of the analysis (`country`, ISO 3166 alpha-3) as given; conversions use the
    /// currency's default country when it is not (see `prices::CURRENCIES`).
    pub country: Option<String>,
}

impl Economics {
    /// The counting rule in words, naming a rule that leaves out the starting cohort.
    pub fn counting_in_words(&self) -> String {
        let rule = match self.correction {
            Correction::None => {
                "end_of_cycle: each cycle is valued at the cohort at its end, so the starting cohort (boundary 0) is not counted"
            }
            Correction::StartOfCycle => {
                "start_of_cycle: each cycle is valued at the cohort at its start (the last boundary is not counted)"
            }
            Correction::HalfCycle => {
                "half_cycle: half of each boundary's value on either side, discounted at each boundary"
            }
            Correction::Trapezoid => {
                "trapezoid (life-table method): the mean of the cohort at the start and the end of each cycle"
            }
            Correction::Simpson => {
                "simpson: Simpson's 1/3 rule over the boundaries (3/8 on the last three cycles when their number is odd)"
            }
            Correction::Weights => {
                "within_cycle_weights: the scenario's own weight for each boundary, each discounted at its own time"
            }
        };
        match self.correction {
            Correction::Weights => {
                let w = &self.weights;
                let shown: Vec<String> = w.iter().take(4).map(|x| format!("{x:.4}")).collect();
                let dropped =
                    if w.first() == Some(&0.0) { "; boundary 0 (the starting cohort) has weight 0" } else { "" };
                format!(
                    "{rule} ({}, ... {:.4}; they sum to {:.4}{dropped})",
                    shown.join(", "),
                    w.last().copied().unwrap_or(0.0),
                    w.iter().sum::<f64>()
                )
            }
            _ => rule.to_string(),
        }
    }
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
    /// Shifts of numeric covariates (e.g. MELD lowered by MSC), read by every formula that reads
    /// the covariate while the effect lasts.
    pub covariate_effects: Vec<CovariateEffect>,
}

/// A strategy's shift of a numeric covariate over time: formulas reading the covariate see the
/// profile's value plus `shift` times the effect's strength (onset, duration, waning as for a
/// transition effect), averaged over each cycle.
#[derive(Debug, Clone)]
pub struct CovariateEffect {
    pub covariate: String,
    /// The covariate's variable slot (see [`super::formula::TimeVar::Covariate`]).
    pub slot: u8,
    pub shift: Value,
    pub onset: TimeValue,
    pub duration: Option<TimeValue>,
    pub waning: Waning,
    /// Position of the `[[strategies.effects]]` entry, within its strategy.
    pub entry: usize,
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
    /// One group of age 0 and weight 1 when `start_age` is not given (see `age_given`).
    pub age_groups: Vec<AgeGroup>,
    /// False when `start_age` is not given, which is allowed only when nothing reads age: then
    /// the one age group's age is a placeholder that no number depends on and no report shows.
    pub age_given: bool,
    /// 0.5 when `fraction_male` is not given (allowed only when nothing reads sex).
    pub fraction_male: f64,
    /// Share of the cohort starting in each state (indexed like [`Scenario::states`]), at the
    /// parameters' base values; NaN for a share that differs by profile.
    pub start: Vec<f64>,
    /// Per state, the share as a value, when some share of `start_state` is a parameter or a
    /// formula (which may read the profile's covariates, start age and sex, never model time):
    /// each sub-cohort then starts with its own mix, evaluated per draw. Empty when every share
    /// is a number.
    pub start_values: Vec<Value>,
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
    /// What the evidence does not show (`[[scenario.caveats]]`), in file order.
    pub caveats: Vec<Caveat>,
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
    /// Covariates that make patients differ (none without `[population]`).
    pub population: super::population::Population,
    pub background: Option<BackgroundMortality>,
    /// Currency, discounting and correction; `None` for a survival-only scenario.
    pub economics: Option<Economics>,
    pub rewards: Vec<Reward>,
    /// Probabilistic sensitivity analysis settings (defaults when the file has no `[psa]`).
    pub psa: PsaDefaults,
    /// Groups of probabilities drawn jointly from Dirichlet distributions in a PSA.
    pub dirichlet: Vec<DirichletGroup>,
    /// Groups of coefficients drawn jointly from multivariate normal distributions in a PSA.
    pub multivariate_normal: Vec<MultivariateNormal>,
    /// `[calibration]`: what `cirrhosim calibrate` fits by default and the published targets
    /// whose fit `run` and `report` show; `None` without the table.
    pub calibration: Option<CalibrationSpec>,
    /// Derived parameters with one value per draw, in the order their formulas must be evaluated
    /// (see [`Scenario::complete_values`]).
    pub derived_order: Vec<usize>,
    /// The step-function tables formulas read with `lookup`, by name.
    pub tables: Vec<Arc<super::formula::StepTable>>,
    /// Things worth fixing that do not stop a run (e.g. a parameter without a source).
    pub warnings: Vec<Problem>,
}

impl Scenario {
    /// Fills in the values of the derived parameters from the others (a base case, a PSA draw, a
    /// sensitivity-analysis point), in dependency order. Derived parameters that read model time
    /// have no single value and are left as they are (their formulas are inlined where used).
    pub fn complete_values(&self, values: &mut [f64]) {
        for &i in &self.derived_order {
            if let Some(f) = &self.parameters[i].formula {
                values[i] = f.eval(values, &At::default());
            }
        }
    }

    /// The model-time variables read by any transition, reward or start share.
    pub fn reads(&self) -> Depends {
        let transitions = self.transitions.iter().flat_map(|t| t.values());
        let rewards = self.rewards.iter().map(|r| &r.value);
        transitions
            .chain(rewards)
            .chain(&self.cohort.start_values)
            .fold(Depends::default(), |d, v| d.union(v.depends()))
    }
}

/// Coefficients drawn jointly from a multivariate normal: x = mean + L z, z standard normal,
/// L the lower Cholesky factor of the covariance.
#[derive(Debug, Clone, PartialEq)]
pub struct MultivariateNormal {
    /// Parameter indices.
    pub parameters: Vec<usize>,
    pub mean: Vec<f64>,
    /// Lower Cholesky factor, row by row (n x n).
    pub cholesky: Vec<f64>,
    pub source: Option<String>,
}

/// Probabilities that sum to 1, drawn jointly: x_i = g_i / sum g, g_i ~ Gamma(alpha_i, 1).
#[derive(Debug, Clone, PartialEq)]
pub struct DirichletGroup {
    /// Parameter indices.
    pub parameters: Vec<usize>,
    pub alpha: Vec<f64>,
    pub source: Option<String>,
}

/// The `[psa]` table: defaults for `cirrhosim psa` (the run's own settings are `psa::PsaSettings`).
#[derive(Debug, Clone, PartialEq)]
pub struct PsaDefaults {
    /// Number of draws (`--draws` overrides).
    pub draws: u64,
    /// Willingness-to-pay values of the CEAC grid.
    pub wtp_grid: Vec<f64>,
    /// People affected by the decision, for population EVPI; `None` reports per person only.
    pub population: Option<f64>,
    /// Groups of parameter names whose EVPPI `psa_summary.json` and the report state (each
    /// group valued together); checked to be parameters of the scenario.
    pub evppi_groups: Vec<Vec<String>>,
}

impl Default for PsaDefaults {
    fn default() -> Self {
        PsaDefaults {
            draws: 1000,
            wtp_grid: (0..=100).map(|i| i as f64 * 2000.0).collect(),
            population: None,
            evppi_groups: Vec::new(),
        }
    }
}

/// The `[calibration]` table, checked: parameter names the model uses and may fit, and targets
/// that keep the rules of a targets CSV and name known states, strategies and curves within the
/// horizon.
#[derive(Debug, Clone, PartialEq)]
pub struct CalibrationSpec {
    /// Parameters `cirrhosim calibrate` fits when given no `--parameter`.
    pub parameters: Vec<String>,
    /// Iterations of the simplex (default 1,000).
    pub max_iterations: u64,
    /// The targets, located at their lines of the scenario file.
    pub targets: super::targets::Targets,
}

impl CalibrationSpec {
    /// Iterations of the simplex when `max_iterations` is not given.
    pub const DEFAULT_MAX_ITERATIONS: u64 = 1000;
}

/// A caveat of the evidence behind a scenario (`[[scenario.caveats]]`), carried into
/// `summary.json` and the report as data, so a scenario states its own (a teaching one none).
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Caveat {
    pub text: String,
    pub source: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_window_holds_from_inclusive_until_exclusive() {
        let w = Window { from_cycle: 12, until_cycle: Some(24) };
        assert!(!w.contains(11) && w.contains(12) && w.contains(23) && !w.contains(24));
        let open = Window { from_cycle: 24, until_cycle: None };
        assert!(open.contains(10_000));
        assert!(!w.overlaps(&open) && w.overlaps(&Window { from_cycle: 0, until_cycle: Some(13) }));
        assert_eq!(w.describe(1.0 / 12.0), "[1 year, 2 years)");
        assert_eq!(Window { from_cycle: 0, until_cycle: None }.describe(1.0 / 12.0), "always");
    }

    #[test]
    fn values_and_durations_read_parameters_or_literals() {
        let values = [0.5, 6.0];
        assert_eq!(Value::Parameter(0).get(&values), 0.5);
        assert_eq!(Value::Literal(2.0).get(&values), 2.0);
        assert_eq!(TimeValue::Parameter(1, 1.0 / 12.0).years(&values), 0.5);
        assert_eq!(TimeValue::Years(3.0).years(&values), 3.0);
    }

    #[test]
    fn courses_repeat_the_infusions() {
        let s = Schedule {
            infusions: 2,
            interval_years: 0.1,
            courses: 2,
            course_interval_years: 1.0,
            cost_per_infusion: None,
            adverse_events: Vec::new(),
        };
        assert_eq!(s.infusion_times(), vec![0.0, 0.1, 1.0, 1.1]);
        assert_eq!(PsaDefaults::default().wtp_grid.len(), 101);
    }
}
