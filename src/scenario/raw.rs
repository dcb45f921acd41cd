//! What serde reads from a scenario TOML file, before any rule is checked.
//!
//! These types mirror the file one to one (`deny_unknown_fields` everywhere, so a misspelt key is
//! an error, not a silent default). They are filled from the tree that `super::read` has already
//! checked against `super::schema` (which lists the same keys, with the expected form of each
//! value in words), so serde's own messages are not what users see. Tables that can fail a semantic rule are wrapped in
//! [`toml::Spanned`] so that validation ([`super::Scenario::from_toml`]) can name the line. Nothing here is
//! trusted by the engine: see `super` for the checked [`super::Scenario`].

use serde::Deserialize;
use std::collections::BTreeMap;
use toml::Spanned;

/// The whole scenario file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawScenario {
    pub scenario: RawMeta,
    pub settings: RawSettings,
    /// Optional only when a patients file gives each patient's start state and nothing reads
    /// age or sex.
    #[serde(default)]
    pub cohort: RawCohort,
    #[serde(default)]
    pub population: Option<Spanned<RawPopulation>>,
    #[serde(default)]
    pub background_mortality: Option<Spanned<RawBackground>>,
    #[serde(default)]
    pub states: Vec<Spanned<RawState>>,
    /// CSV files of parameters (columns of `shared/evidence/parameters.csv`), relative to the scenario.
    #[serde(default)]
    pub parameter_files: Vec<String>,
    #[serde(default)]
    pub parameters: BTreeMap<String, Spanned<RawParameter>>,
    /// Step functions read by formulas with `lookup(NAME, x)`.
    #[serde(default)]
    pub tables: BTreeMap<String, Spanned<RawTable>>,
    #[serde(default)]
    pub transitions: Vec<Spanned<RawTransition>>,
    #[serde(default)]
    pub strategies: Vec<Spanned<RawStrategy>>,
    #[serde(default)]
    pub economics: Option<Spanned<RawEconomics>>,
    #[serde(default)]
    pub costs: Vec<Spanned<RawReward>>,
    #[serde(default)]
    pub utilities: Vec<Spanned<RawReward>>,
    #[serde(default)]
    pub psa: Option<Spanned<RawPsa>>,
    #[serde(default)]
    pub dirichlet: Vec<Spanned<RawDirichlet>>,
    #[serde(default)]
    pub multivariate_normal: Vec<Spanned<RawMultivariateNormal>>,
    #[serde(default)]
    pub calibration: Option<Spanned<RawCalibration>>,
}

/// `[calibration]`: the parameters `cirrhosim calibrate` fits and the published targets.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawCalibration {
    #[serde(default)]
    pub parameters: Vec<String>,
    #[serde(default)]
    pub max_iterations: Option<i64>,
    /// `[[calibration.targets]]`: one published value each, with the fields of a targets CSV row.
    #[serde(default)]
    pub targets: Vec<Spanned<super::targets::Target>>,
}

/// `[[multivariate_normal]]`: coefficients drawn jointly from a multivariate normal in a PSA.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawMultivariateNormal {
    pub parameters: Vec<String>,
    /// Means; default: the parameters' values.
    #[serde(default)]
    pub mean: Option<Vec<f64>>,
    /// The covariance matrix, row by row (or give `correlation` and `sd`).
    #[serde(default)]
    pub covariance: Option<Vec<Vec<f64>>>,
    #[serde(default)]
    pub correlation: Option<Vec<Vec<f64>>>,
    #[serde(default)]
    pub sd: Option<Vec<f64>>,
    #[serde(default)]
    pub source: Option<String>,
}

/// `[tables.NAME]`: a step function, `values[k]` from `from[k]` on.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawTable {
    /// Where each value starts (e.g. ages), strictly increasing.
    pub from: Vec<f64>,
    pub values: Vec<f64>,
    #[serde(default)]
    pub unit: Option<String>,
    #[serde(default)]
    pub source: Option<String>,
    #[serde(default)]
    pub note: Option<String>,
}

/// `[[dirichlet]]`: probabilities that must sum to 1, drawn jointly in a PSA.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawDirichlet {
    pub parameters: Vec<String>,
    /// Concentration parameters (e.g. observed counts), one per parameter.
    pub alpha: Vec<f64>,
    #[serde(default)]
    pub source: Option<String>,
}

/// `[psa]`: probabilistic sensitivity analysis settings.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawPsa {
    #[serde(default)]
    pub draws: Option<i64>,
    /// Willingness-to-pay grid for the CEAC: `[from, to, step]`.
    #[serde(default)]
    pub wtp_grid: Option<[f64; 3]>,
    /// People who would be treated, for population EVPI.
    #[serde(default)]
    pub population: Option<f64>,
    /// Groups of parameters whose EVPPI `psa_summary.json` states (each valued together).
    #[serde(default)]
    pub evppi_groups: Option<Vec<Vec<String>>>,
}

/// `[scenario]`: name and description.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawMeta {
    pub name: String,
    #[serde(default)]
    pub title: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
    /// What the evidence does not show, for summary.json and the report (`[[scenario.caveats]]`).
    #[serde(default)]
    pub caveats: Vec<RawCaveat>,
}

/// `[[scenario.caveats]]`: one caveat of the evidence, with its source.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawCaveat {
    pub text: String,
    #[serde(default)]
    pub source: Option<String>,
}

/// `[settings]`: time structure and simulation size.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawSettings {
    pub cycle_length: Spanned<String>,
    pub horizon: Spanned<String>,
    pub patients: Spanned<i64>,
    pub seed: Spanned<i64>,
}

/// `[cohort]`: who enters the model. `start_age` and `fraction_male` are needed only when the
/// model uses age or sex (background mortality, or a formula that reads `age` or `male`).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawCohort {
    #[serde(default)]
    pub start_age: Option<Spanned<RawStartAge>>,
    #[serde(default)]
    pub fraction_male: Option<Spanned<f64>>,
    /// Required unless `[population] patients_file` has a `start_state` column.
    #[serde(default)]
    pub start_state: Option<Spanned<BTreeMap<String, RawValue>>>,
}

/// One start age, or a discrete distribution of start ages.
///
/// Read by hand rather than as an untagged enum, so that a wrong shape gets a plain message
/// ([`START_AGE_EXPECTED`]) instead of serde's "data did not match any variant".
#[derive(Debug)]
pub enum RawStartAge {
    Single(f64),
    Groups(Vec<RawAgeGroup>),
}

/// What `cohort.start_age` accepts, for the message when it is something else.
pub const START_AGE_EXPECTED: &str = "expected a number (e.g. 55) or a list of { age = ..., weight = ... } tables";

impl<'de> Deserialize<'de> for RawStartAge {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl<'de> serde::de::Visitor<'de> for Visitor {
            type Value = RawStartAge;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str(START_AGE_EXPECTED)
            }
            fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<RawStartAge, E> {
                Ok(RawStartAge::Single(v))
            }
            fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<RawStartAge, E> {
                Ok(RawStartAge::Single(v as f64))
            }
            fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<RawStartAge, E> {
                Ok(RawStartAge::Single(v as f64))
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<RawStartAge, A::Error> {
                let mut groups = Vec::new();
                while let Some(g) = seq.next_element::<RawAgeGroup>()? {
                    groups.push(g);
                }
                Ok(RawStartAge::Groups(groups))
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<RawStartAge, E> {
                Err(E::custom(format!("{START_AGE_EXPECTED}, found the text \"{v}\"")))
            }
            fn visit_bool<E: serde::de::Error>(self, v: bool) -> Result<RawStartAge, E> {
                Err(E::custom(format!("{START_AGE_EXPECTED}, found {v}")))
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(self, _: A) -> Result<RawStartAge, A::Error> {
                Err(serde::de::Error::custom(format!(
                    "{START_AGE_EXPECTED}, found a table (put it in a list: [{{ ... }}])"
                )))
            }
        }
        deserializer.deserialize_any(Visitor)
    }
}

/// One start age and the share of the cohort that has it.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawAgeGroup {
    pub age: f64,
    pub weight: f64,
}

/// `[background_mortality]`: general-population mortality from a life table.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawBackground {
    /// `"us_2021"` (embedded) or a CSV path with columns `age,sex,qx`, relative to the scenario.
    pub life_table: String,
    /// The state background deaths go to.
    pub to: String,
}

/// `[[states]]`: one Markov state.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawState {
    pub name: String,
    #[serde(default)]
    pub label: Option<String>,
    #[serde(default)]
    pub absorbing: bool,
    #[serde(default = "yes")]
    pub alive: bool,
    #[serde(default)]
    pub transplant: bool,
    #[serde(default)]
    pub description: Option<String>,
}

fn yes() -> bool {
    true
}

/// `[parameters.NAME]`: a named number with its source.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawParameter {
    #[serde(default)]
    pub value: Option<f64>,
    /// A derived parameter's formula (then no `value`, `distribution`, `low` or `high`).
    #[serde(default)]
    pub formula: Option<String>,
    pub kind: String,
    #[serde(default)]
    pub unit: Option<String>,
    #[serde(default)]
    pub source: Option<String>,
    #[serde(default)]
    pub note: Option<String>,
    #[serde(default)]
    pub distribution: Option<super::parameters::RawDistribution>,
    #[serde(default)]
    pub low: Option<f64>,
    #[serde(default)]
    pub high: Option<f64>,
    /// A cost's currency (ISO 4217), when it is not the scenario's; with `price_year`.
    #[serde(default)]
    pub currency: Option<String>,
    /// The year of a cost's prices, when it is not the scenario's; with `currency`.
    #[serde(default)]
    pub price_year: Option<i64>,
    /// The country (ISO 3166 alpha-3) whose price indices convert the cost; default: the
    /// currency's (see `scenario::prices::CURRENCIES`).
    #[serde(default)]
    pub country: Option<String>,
}

/// A number given inline or the name of a parameter.
///
/// Read by hand rather than as an untagged enum, so that a wrong shape gets a plain message
/// ([`VALUE_EXPECTED`]) instead of serde's "data did not match any variant".
#[derive(Debug, Clone)]
pub enum RawValue {
    Number(f64),
    Name(String),
}

/// What a number-or-parameter key accepts, for the message when it is something else.
pub const VALUE_EXPECTED: &str = "expected a number (e.g. 0.1), the name of a parameter (e.g. \"r_comp_decomp\") or a formula (e.g. \"1 - exp(-r_comp_decomp * cycle_years)\")";

impl<'de> Deserialize<'de> for RawValue {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl<'de> serde::de::Visitor<'de> for Visitor {
            type Value = RawValue;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str(VALUE_EXPECTED)
            }
            fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<RawValue, E> {
                Ok(RawValue::Number(v))
            }
            fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<RawValue, E> {
                Ok(RawValue::Number(v as f64))
            }
            fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<RawValue, E> {
                Ok(RawValue::Number(v as f64))
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<RawValue, E> {
                Ok(RawValue::Name(v.to_string()))
            }
            fn visit_bool<E: serde::de::Error>(self, v: bool) -> Result<RawValue, E> {
                Err(E::custom(format!("{VALUE_EXPECTED}, found {v}")))
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(self, _: A) -> Result<RawValue, A::Error> {
                Err(serde::de::Error::custom(format!("{VALUE_EXPECTED}, found a list")))
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(self, _: A) -> Result<RawValue, A::Error> {
                Err(serde::de::Error::custom(format!("{VALUE_EXPECTED}, found a table")))
            }
        }
        deserializer.deserialize_any(Visitor)
    }
}

/// `[[transitions]]`: one exit of a state.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawTransition {
    pub from: String,
    pub to: String,
    #[serde(default)]
    pub rate: Option<RawValue>,
    #[serde(default)]
    pub annual_probability: Option<RawValue>,
    #[serde(default)]
    pub probability: Option<RawValue>,
    /// The period a `probability` refers to, e.g. "5 years".
    #[serde(default)]
    pub over: Option<String>,
    #[serde(default)]
    pub cycle_probability: Option<RawValue>,
    #[serde(default)]
    pub complement: Option<bool>,
    #[serde(default)]
    pub time_in_state: Option<RawWindow>,
    /// The strategies this exit applies in (default: all).
    #[serde(default)]
    pub strategies: Option<Vec<String>>,
    /// A natural-history hazard ratio on this exit (e.g. death in S1 vs healthy).
    #[serde(default)]
    pub hazard_ratio: Option<RawValue>,
    /// A natural-history relative risk on this exit's per-cycle probability.
    #[serde(default)]
    pub relative_risk: Option<RawValue>,
    /// A natural-history odds ratio on this exit's per-cycle probability.
    #[serde(default)]
    pub odds_ratio: Option<RawValue>,
    #[serde(default)]
    pub note: Option<String>,
}

/// A window of time in state: `from` inclusive, `until` exclusive.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawWindow {
    #[serde(default)]
    pub from: Option<String>,
    #[serde(default)]
    pub until: Option<String>,
}

/// `[[strategies]]`: one arm.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawStrategy {
    pub name: String,
    #[serde(default)]
    pub label: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub schedule: Option<RawSchedule>,
    #[serde(default)]
    pub effects: Vec<Spanned<RawEffect>>,
}

/// An infusion schedule: count and interval, the first infusion at time 0.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawSchedule {
    pub infusions: i64,
    pub interval: String,
    /// Repeated courses of `infusions` infusions (default 1).
    #[serde(default)]
    pub courses: Option<i64>,
    /// Time from the start of one course to the start of the next.
    #[serde(default)]
    pub course_interval: Option<String>,
    #[serde(default)]
    pub cost_per_infusion: Option<RawValue>,
    #[serde(default)]
    pub adverse_events: Vec<RawAdverseEvent>,
}

/// An adverse event that may follow each infusion.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawAdverseEvent {
    pub name: String,
    pub probability: RawValue,
    #[serde(default)]
    pub cost: Option<RawValue>,
    #[serde(default)]
    pub qaly_loss: Option<RawValue>,
}

/// `[[strategies.effects]]`: a treatment effect on one transition (or every exit of a state).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawEffect {
    /// The state whose exits the effect changes (a transition effect).
    #[serde(default)]
    pub from: Option<String>,
    /// A numeric covariate of `[population]` the effect shifts (a covariate effect), by `shift`.
    #[serde(default)]
    pub covariate: Option<String>,
    #[serde(default)]
    pub shift: Option<RawValue>,
    #[serde(default)]
    pub to: Option<String>,
    #[serde(default)]
    pub hazard_ratio: Option<RawValue>,
    #[serde(default)]
    pub relative_risk: Option<RawValue>,
    /// Shift in MELD points (negative = better); with `hr_per_meld_point`.
    #[serde(default)]
    pub meld_shift: Option<RawValue>,
    #[serde(default)]
    pub hr_per_meld_point: Option<RawValue>,
    #[serde(default)]
    pub onset: Option<String>,
    #[serde(default)]
    pub duration: Option<String>,
    #[serde(default)]
    pub waning: Option<RawWaning>,
    #[serde(default)]
    pub note: Option<String>,
}

/// How an effect fades after its full-strength period.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawWaning {
    pub shape: String,
    #[serde(default)]
    pub over: Option<String>,
}

/// `[economics]`: currency, discounting and the within-cycle correction.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawEconomics {
    pub currency: String,
    pub price_year: i64,
    pub discount_rate_costs: RawValue,
    pub discount_rate_effects: RawValue,
    #[serde(default)]
    pub within_cycle_correction: Option<String>,
    /// Weights of the cycle boundaries 0..T: a list of T + 1 numbers or a formula in `t` and `T`.
    #[serde(default)]
    pub within_cycle_weights: Option<Spanned<RawWeights>>,
    #[serde(default)]
    pub discount_timing: Option<String>,
    #[serde(default)]
    pub wtp: Option<Vec<f64>>,
    /// How costs in other currencies and years are converted: `ccemg` (default),
    /// `exchange_rate` or `gdp_deflator`.
    #[serde(default)]
    pub conversion: Option<String>,
    /// The country of the analysis (ISO 3166 alpha-3); default: the currency's.
    #[serde(default)]
    pub country: Option<String>,
}

/// `within_cycle_weights`: one number per cycle boundary, or a formula in `t` and `T`.
#[derive(Debug, Clone, Deserialize)]
#[serde(
    untagged,
    expecting = "expected a list of numbers (one per cycle boundary 0..T) or a formula in t and T, e.g. \"if(t == 0, 0, 1)\""
)]
pub enum RawWeights {
    List(Vec<f64>),
    Formula(String),
}

/// A state or transition named by a cost or utility.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawTransitionRef {
    pub from: String,
    pub to: String,
}

/// `[[costs]]` or `[[utilities]]`: a value per year in a state, or once per transition.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawReward {
    /// Cost category (costs only), e.g. "state", "drug", "transplant".
    #[serde(default)]
    pub category: Option<String>,
    #[serde(default)]
    pub state: Option<String>,
    #[serde(default)]
    pub transition: Option<RawTransitionRef>,
    /// Per year spent in the state (scaled to the cycle length).
    #[serde(default)]
    pub annual: Option<RawValue>,
    /// Once per transition.
    #[serde(default)]
    pub one_off: Option<RawValue>,
    #[serde(default)]
    pub time_in_state: Option<RawWindow>,
    /// Model-time window: counted in the cycles that start inside it.
    #[serde(default)]
    pub during: Option<RawWindow>,
    /// Only in these strategies (default: all).
    #[serde(default)]
    pub strategies: Option<Vec<String>>,
    #[serde(default)]
    pub note: Option<String>,
}

/// `[population]`: covariates that make patients differ (see [`super::population`]).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawPopulation {
    /// Quantile strata per numeric covariate.
    #[serde(default)]
    pub nodes: Option<Spanned<i64>>,
    #[serde(default)]
    pub source: Option<String>,
    /// A CSV of patients (one column per covariate, optional `weight`), relative to the scenario.
    #[serde(default)]
    pub patients_file: Option<Spanned<String>>,
    #[serde(default)]
    pub covariates: BTreeMap<String, Spanned<RawCovariate>>,
    /// `[[population.correlations]]`: correlations of numeric covariates (a Gaussian copula).
    #[serde(default)]
    pub correlations: Vec<Spanned<RawCorrelation>>,
}

/// `[[population.correlations]]`: the correlation of two numeric covariates' normal scores.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawCorrelation {
    /// The two covariates, by name.
    pub covariates: Vec<String>,
    pub rho: f64,
    #[serde(default)]
    pub source: Option<String>,
}

/// `[population.covariates.NAME]`: a numeric covariate (`distribution`) or a categorical one
/// (`levels`).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawCovariate {
    #[serde(default)]
    pub distribution: Option<RawCovariateDistribution>,
    /// Level = share.
    #[serde(default)]
    pub levels: Option<BTreeMap<String, f64>>,
    #[serde(default)]
    pub unit: Option<String>,
    #[serde(default)]
    pub source: Option<String>,
    /// Band = [low, high), for subgroup results.
    #[serde(default)]
    pub bands: BTreeMap<String, [f64; 2]>,
}

/// The distribution of a numeric covariate: `normal` (mean, sd, optional low/high truncation),
/// `lognormal` (mean, sd on the natural scale) or `quantiles` (values at equally spaced
/// probabilities from 0 to 1).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawCovariateDistribution {
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default)]
    pub mean: Option<f64>,
    #[serde(default)]
    pub sd: Option<f64>,
    #[serde(default)]
    pub low: Option<f64>,
    #[serde(default)]
    pub high: Option<f64>,
    #[serde(default)]
    pub values: Option<Vec<f64>>,
}
