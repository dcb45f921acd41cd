//! `cirrhosim threshold`: the value of a parameter at which a strategy becomes cost-effective.
//!
//! Receives a scenario, a strategy and comparator, a parameter and willingness-to-pay values;
//! finds where the incremental net monetary benefit INB(x) = wtp x dQALY(x) - dCost(x) crosses
//! zero by Brent's method (argmin's `BrentRoot`), all other parameters at base. For the MSC price
//! this is the price at which the ICER equals the WTP; for an effect parameter (MELD shift, hazard
//! ratio, duration) it is the smallest effect that would make MSC worthwhile at the scenario's
//! price. Each evaluation rebuilds the model and runs the exact cohort, like `dsa`.

use crate::analysis::dsa::compare;
use crate::error::{Error, Problem, ProblemKind, Result};
use crate::scenario::{ParameterKind, Scenario};
use argmin::core::{CostFunction, Executor, State};
use argmin::solver::brent::BrentRoot;

/// The answer for one parameter at one WTP.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Threshold {
    pub parameter: String,
    pub wtp: f64,
    pub base_value: f64,
    /// Where INB = 0; `None` if INB keeps one sign over the search range.
    pub threshold: Option<f64>,
    /// `below` if the strategy is cost-effective for values below the threshold, `above` otherwise;
    /// without a threshold: `always` or `never` (over the search range).
    pub cost_effective: &'static str,
    pub search_from: f64,
    pub search_to: f64,
}

struct Inb<'a> {
    scenario: &'a Scenario,
    index: usize,
    strategy: usize,
    comparator: usize,
    wtp: f64,
}

impl Inb<'_> {
    fn at(&self, x: f64) -> Result<f64> {
        let mut values = self.scenario.base_values();
        values[self.index] = x;
        Ok(compare(self.scenario, &values, self.strategy, self.comparator, self.wtp)?.inc_nmb)
    }
}

impl CostFunction for Inb<'_> {
    type Param = f64;
    type Output = f64;
    fn cost(&self, x: &f64) -> std::result::Result<f64, argmin::core::Error> {
        self.at(*x).map_err(|e| argmin::core::Error::msg(e.to_string()))
    }
}

/// The default search range for a parameter: by kind, or `between` when given.
pub fn search_range(scenario: &Scenario, index: usize) -> (f64, f64) {
    let p = &scenario.parameters[index];
    match p.kind {
        ParameterKind::Cost => (0.0, (20.0 * p.value.abs()).max(p.high.unwrap_or(0.0) * 5.0).max(1.0)),
        ParameterKind::HazardRatio | ParameterKind::RelativeRisk | ParameterKind::OddsRatio => (0.01, 1.0),
        ParameterKind::MeanDifference => (-20.0, 20.0),
        ParameterKind::Months => (0.0, 120.0),
        ParameterKind::Years => (0.0, 10.0),
        ParameterKind::AnnualProbability | ParameterKind::Probability | ParameterKind::Proportion => (0.0, 0.999),
        _ => (p.low.unwrap_or(p.value / 10.0), p.high.unwrap_or(p.value * 10.0)),
    }
}

/// Finds the threshold of parameter `name` at each WTP.
///
/// # Errors
/// [`Error::Invalid`] without `[economics]` or for an unknown/unused parameter; model errors at a
/// value inside the search range, naming the parameter and value.
pub fn thresholds(
    scenario: &Scenario,
    name: &str,
    wtp: &[f64],
    strategy: usize,
    comparator: usize,
    between: Option<(f64, f64)>,
) -> Result<Vec<Threshold>> {
    let invalid = |kind: ProblemKind| Error::Invalid {
        file: scenario.file.clone(),
        problems: vec![Problem::new(format!("parameters.{name}"), None, kind)],
    };
    if scenario.economics.is_none() {
        return Err(invalid(ProblemKind::EconomicsNeeded));
    }
    let index = scenario
        .parameters
        .iter()
        .position(|p| p.name == name)
        .filter(|&i| scenario.uses_parameter(i))
        .ok_or_else(|| invalid(ProblemKind::UnusedParameter { name: name.to_string() }))?;
    if scenario.parameters[index].is_derived() {
        return Err(invalid(ProblemKind::DerivedNotVaried { name: name.to_string() }));
    }
    let (lo, hi) = between.unwrap_or_else(|| search_range(scenario, index));
    let base_value = scenario.parameters[index].value;
    let mut out = Vec::new();
    for &lambda in wtp {
        let inb = Inb { scenario, index, strategy, comparator, wtp: lambda };
        let wrap = |x: f64, e: Error| Error::Parameter { name: name.to_string(), value: x, cause: Box::new(e) };
        let f_lo = inb.at(lo).map_err(|e| wrap(lo, e))?;
        let f_hi = inb.at(hi).map_err(|e| wrap(hi, e))?;
        let (threshold, cost_effective) = if f_lo == 0.0 {
            (Some(lo), if f_hi > 0.0 { "above" } else { "below" })
        } else if f_hi == 0.0 {
            (Some(hi), if f_lo > 0.0 { "below" } else { "above" })
        } else if (f_lo > 0.0) == (f_hi > 0.0) {
            (None, if f_lo > 0.0 { "always" } else { "never" })
        } else {
            let solver = BrentRoot::new(lo, hi, 1e-12);
            let result = Executor::new(inb, solver)
                .configure(|state| state.param((lo + hi) / 2.0).max_iters(200))
                .run()
                .map_err(|e| Error::Parameter {
                    name: name.to_string(),
                    value: f64::NAN,
                    cause: Box::new(Error::Optimiser { message: e.to_string() }),
                })?;
            let x = result.state().get_best_param().copied().unwrap_or(f64::NAN);
            (Some(x), if f_lo > 0.0 { "below" } else { "above" })
        };
        out.push(Threshold {
            parameter: name.to_string(),
            wtp: lambda,
            base_value,
            threshold,
            cost_effective,
            search_from: lo,
            search_to: hi,
        });
    }
    Ok(out)
}

/// The willingness-to-pay values per QALY a threshold analysis uses when none are given: the
/// scenario's `economics.wtp` list (empty without economics, which [`thresholds`] refuses).
///
/// # Examples
/// ```
/// use cirrhosim::{analysis::threshold::default_wtp, scenario::Scenario};
/// let s = Scenario::default_scenario()?;
/// assert_eq!(default_wtp(&s), [20000.0, 30000.0, 50000.0, 100000.0]);
/// # Ok::<(), cirrhosim::Error>(())
/// ```
pub fn default_wtp(scenario: &Scenario) -> Vec<f64> {
    scenario.economics.as_ref().map(|e| e.wtp.clone()).unwrap_or_default()
}

/// The parameters worth asking about for `strategy`: the ones it uses (per
/// [`Scenario::parameter_uses`]) as its infusion price, then as its effect sizes (hazard ratio,
/// relative risk, MELD shift) and effect durations, each name once. The hazard ratio per MELD
/// point, onsets, waning periods and adverse events are left to `--parameter`.
///
/// # Examples
/// ```
/// use cirrhosim::analysis::threshold::default_parameters;
/// let s = cirrhosim::scenario::Scenario::default_scenario().unwrap();
/// let msc = s.strategies.iter().position(|st| st.schedule.is_some()).unwrap();
/// // Not hr_per_meld_point (a MELD-to-hazard conversion, not the size of MSC's effect).
/// assert_eq!(default_parameters(&s, msc), ["c_msc_infusion", "msc_meld_md_24wk", "msc_effect_duration"]);
/// assert!(default_parameters(&s, 0).is_empty());
/// ```
pub fn default_parameters(scenario: &Scenario, strategy: usize) -> Vec<String> {
    use crate::scenario::ParameterRole::{
        CovariateShift, Duration, HazardRatio, InfusionCost, MeldShift, RelativeRisk,
    };
    let uses: Vec<_> = scenario.parameter_uses().into_iter().filter(|u| u.strategy == Some(strategy)).collect();
    // The price first, then effects in file order.
    let price = uses.iter().filter(|u| u.role == InfusionCost);
    let effects =
        uses.iter().filter(|u| matches!(u.role, HazardRatio | RelativeRisk | MeldShift | CovariateShift | Duration));
    let mut names: Vec<String> = Vec::new();
    for u in price.chain(effects) {
        let name = &scenario.parameters[u.parameter].name;
        if !names.contains(name) {
            names.push(name.clone());
        }
    }
    names
}
