//! What the tool answers beside its results: the evidence block of `summary.json` and the report.
//!
//! Receives a checked scenario; hands [`crate::report`] three things a reader needs before quoting
//! a result:
//! - the scenario's caveats (`[[scenario.caveats]]`, with sources): data, not code, so a teaching
//!   scenario states none and the default states what its evidence does not show;
//! - which results rest on assumptions: every parameter the model uses whose `note` says
//!   `ASSUMPTION` (in any case) or that has no `source`;
//! - at each of the scenario's willingness-to-pay values (`economics.wtp`), the threshold price and
//!   effect size of the last strategy against the first (as `cirrhosim threshold` finds them, on
//!   the base case, all other parameters at their base values): the parameters the strategy uses
//!   as its infusion price (with the price of a course, threshold x infusions per course) and as
//!   its effect sizes (hazard ratio, relative risk, MELD shift). A threshold that does not exist
//!   in the search range is a row without one (`cost_effective` = `always` or `never`).
//!
//! Effect durations, onsets and other parameters are left to `cirrhosim threshold --parameter`,
//! which answers for any of them.

use crate::analysis::threshold::{self, Threshold};
use crate::scenario::{Caveat, ParameterRole, Scenario};
use serde::Serialize;

/// A parameter whose value is an assumption rather than a sourced estimate.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Assumption {
    pub parameter: String,
    /// `note marks it as an assumption` or `no source`.
    pub reason: &'static str,
    pub note: Option<String>,
}

/// What a threshold answers for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ThresholdRole {
    /// The price of one infusion (`schedule.cost_per_infusion`).
    Price,
    /// An effect size (hazard ratio, relative risk or MELD shift).
    EffectSize,
}

/// One threshold at one willingness to pay.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ThresholdAnswer {
    pub role: ThresholdRole,
    #[serde(flatten)]
    pub threshold: Threshold,
    /// For a price: infusions per course of the strategy's schedule.
    pub infusions_per_course: Option<u32>,
    /// For a price with a threshold: the threshold price of one course.
    pub per_course: Option<f64>,
}

/// The evidence block.
#[derive(Debug, Clone, PartialEq, Serialize, Default)]
pub struct Evidence {
    pub caveats: Vec<Caveat>,
    pub assumptions: Vec<Assumption>,
    /// The strategy and comparator of the thresholds (names), when there are thresholds.
    pub strategy: Option<String>,
    pub comparator: Option<String>,
    /// Parameter by parameter, WTP within parameter.
    pub thresholds: Vec<ThresholdAnswer>,
    /// Thresholds that could not be computed (a model error inside the search range), in words.
    pub threshold_errors: Vec<String>,
    /// The fit of the model to the targets of `[calibration]`, target by target.
    pub calibration: Vec<TargetFit>,
    /// Why the fit could not be computed, in words.
    pub calibration_error: Option<String>,
}

/// The model against one published target of `[calibration]`, at the base-case values.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TargetFit {
    /// The state the target's cohort starts in (empty: the scenario's start).
    pub start: String,
    pub curve: String,
    pub years: f64,
    /// The published value and its 95% interval.
    pub target: f64,
    pub lower: Option<f64>,
    pub upper: Option<f64>,
    /// The model's value.
    pub model: f64,
    /// Whether the model's value lies within the interval (`None` without one).
    pub inside: Option<bool>,
    pub source: String,
}

/// The model's fit to the scenario's `[calibration]` targets (empty without them).
///
/// # Errors
/// As [`crate::analysis::calibrate::fit`].
pub fn calibration_fit(scenario: &Scenario) -> crate::error::Result<Vec<TargetFit>> {
    let Some(spec) = scenario.calibration.as_ref().filter(|c| !c.targets.rows.is_empty()) else {
        return Ok(Vec::new());
    };
    let values = crate::analysis::calibrate::fit(scenario, &spec.targets)?;
    Ok(spec
        .targets
        .rows
        .iter()
        .zip(values)
        .map(|(t, model)| TargetFit {
            start: t.start.clone(),
            curve: t.curve.clone(),
            years: t.years,
            target: t.value,
            lower: t.lower,
            upper: t.upper,
            model,
            inside: t.lower.zip(t.upper).map(|(lo, hi)| lo <= model && model <= hi),
            source: t.source.clone(),
        })
        .collect())
}

impl Evidence {
    /// Nothing to say (no caveats, assumptions or thresholds).
    pub fn is_empty(&self) -> bool {
        self.caveats.is_empty()
            && self.assumptions.is_empty()
            && self.thresholds.is_empty()
            && self.threshold_errors.is_empty()
            && self.calibration.is_empty()
            && self.calibration_error.is_none()
    }
}

/// The evidence block of `scenario` (see the module documentation). Thresholds need
/// `[economics]` and at least two strategies; each evaluation runs the exact cohort.
///
/// # Examples
/// ```
/// use cirrhosim::analysis::evidence::{ThresholdRole, evidence};
/// let s = cirrhosim::scenario::Scenario::default_scenario()?;
/// let e = evidence(&s);
/// assert!(e.assumptions.iter().any(|a| a.parameter == "c_msc_infusion"));
/// let prices = e.thresholds.iter().filter(|t| t.role == ThresholdRole::Price);
/// assert_eq!(prices.count(), s.economics.as_ref().unwrap().wtp.len());
/// # Ok::<(), cirrhosim::Error>(())
/// ```
pub fn evidence(scenario: &Scenario) -> Evidence {
    let mut out =
        Evidence { caveats: scenario.caveats.clone(), assumptions: assumptions(scenario), ..Evidence::default() };
    match calibration_fit(scenario) {
        Ok(fit) => out.calibration = fit,
        Err(e) => out.calibration_error = Some(e.to_string()),
    }
    let (Some(_), n) = (&scenario.economics, scenario.strategies.len()) else { return out };
    if n < 2 {
        return out;
    }
    let (strategy, comparator) = (n - 1, 0);
    let wtp = threshold::default_wtp(scenario);
    let infusions = scenario.strategies[strategy].schedule.as_ref().map(|s| s.infusions);
    for (name, role) in threshold_parameters(scenario, strategy) {
        match threshold::thresholds(scenario, &name, &wtp, strategy, comparator, None) {
            Ok(rows) => out.thresholds.extend(rows.into_iter().map(|threshold| {
                let price = role == ThresholdRole::Price;
                ThresholdAnswer {
                    role,
                    per_course: infusions.filter(|_| price).zip(threshold.threshold).map(|(n, x)| f64::from(n) * x),
                    infusions_per_course: infusions.filter(|_| price),
                    threshold,
                }
            })),
            Err(e) => out.threshold_errors.push(format!("{name}: {e}")),
        }
    }
    if !out.thresholds.is_empty() || !out.threshold_errors.is_empty() {
        out.strategy = Some(scenario.strategies[strategy].name.clone());
        out.comparator = Some(scenario.strategies[comparator].name.clone());
    }
    out
}

/// The used parameters whose note marks them as an assumption, or without a source, in file order.
pub fn assumptions(scenario: &Scenario) -> Vec<Assumption> {
    scenario
        .parameters
        .iter()
        .enumerate()
        .filter(|(i, _)| scenario.uses_parameter(*i))
        .filter_map(|(_, p)| {
            let marked = p.note.as_ref().is_some_and(|n| n.to_lowercase().contains("assumption"));
            let reason = if marked {
                "note marks it as an assumption"
            } else if p.source.is_none() {
                "no source"
            } else {
                return None;
            };
            Some(Assumption { parameter: p.name.clone(), reason, note: p.note.clone() })
        })
        .collect()
}

/// The strategy's infusion price, then its effect sizes, each name once (a subset of
/// [`threshold::default_parameters`]).
fn threshold_parameters(scenario: &Scenario, strategy: usize) -> Vec<(String, ThresholdRole)> {
    let mut out: Vec<(String, ThresholdRole)> = Vec::new();
    let uses: Vec<_> = scenario.parameter_uses().into_iter().filter(|u| u.strategy == Some(strategy)).collect();
    let price = uses.iter().filter(|u| u.role == ParameterRole::InfusionCost).map(|u| (u, ThresholdRole::Price));
    let effects = uses
        .iter()
        .filter(|u| {
            matches!(
                u.role,
                ParameterRole::HazardRatio
                    | ParameterRole::RelativeRisk
                    | ParameterRole::MeldShift
                    | ParameterRole::CovariateShift
            )
        })
        .map(|u| (u, ThresholdRole::EffectSize));
    for (u, role) in price.chain(effects) {
        let name = &scenario.parameters[u.parameter].name;
        if !scenario.parameters[u.parameter].is_derived() && !out.iter().any(|(n, _)| n == name) {
            out.push((name.clone(), role));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The default scenario: caveats come from the file, the MSC price is marked as an assumption,
    /// and each threshold is where INB crosses zero (checked by evaluating just below and above).
    #[test]
    fn the_default_scenario_answers_price_and_effect_thresholds() {
        let s = Scenario::default_scenario().unwrap();
        let e = evidence(&s);
        assert_eq!(e.caveats, s.caveats);
        assert_eq!((e.strategy.as_deref(), e.comparator.as_deref()), (Some("uc_msc"), Some("standard_care")));
        let names: Vec<&str> = e.thresholds.iter().map(|t| t.threshold.parameter.as_str()).collect();
        assert!(names.contains(&"c_msc_infusion") && names.contains(&"msc_meld_md_24wk"), "{names:?}");
        assert!(e.threshold_errors.is_empty(), "{:?}", e.threshold_errors);
        for t in e.thresholds.iter().filter(|t| t.role == ThresholdRole::Price) {
            let x = t.threshold.threshold.expect("a price threshold exists in [0, 20 x price]");
            assert_eq!(t.per_course, Some(3.0 * x));
            let index = s.parameters.iter().position(|p| p.name == "c_msc_infusion").unwrap();
            let inb = |v: f64| {
                let mut values = s.base_values();
                values[index] = v;
                crate::analysis::dsa::compare(&s, &values, 1, 0, t.threshold.wtp).unwrap().inc_nmb
            };
            assert!(inb(x * 0.99) > 0.0 && inb(x * 1.01) < 0.0, "{x}");
        }
    }

    /// A scenario without caveats, economics or assumptions has an empty block.
    #[test]
    fn a_teaching_scenario_states_no_caveats() {
        let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/scenarios/teaching.toml")).unwrap();
        let s = Scenario::from_toml("teaching.toml", &text, std::path::Path::new(".")).unwrap();
        let e = evidence(&s);
        assert!(e.caveats.is_empty());
    }
}
