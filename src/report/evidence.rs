//! What a run answers, in sentences a reader can quote: the evidence block of `summary.json` and
//! the report (caveats, assumptions, threshold price and effect at each WTP), and the value of
//! information of `psa_summary.json` and the report's PSA section ("resolving all uncertainty is
//! worth up to X per patient ...").
//!
//! Receives [`crate::analysis::evidence::Evidence`] and
//! [`crate::analysis::psa::summary::ValueOfInformation`]; hands back serialisable blocks, the
//! sentences, and the report's threshold table. Reads nothing.

use crate::analysis::evidence::{Assumption, Evidence, TargetFit, ThresholdAnswer, ThresholdRole};
use crate::analysis::psa::summary::ValueOfInformation;
use crate::report::format::{Money, grouped};
use crate::report::tables::{Table, num, text};
use crate::scenario::{Caveat, Scenario};
use serde::Serialize;

/// The currency of a scenario's amounts (`Money` with an empty currency without economics).
fn money(scenario: &Scenario) -> Money {
    scenario.economics.as_ref().map_or(Money { currency: String::new(), price_year: 0 }, |e| Money {
        currency: e.currency.clone(),
        price_year: e.price_year,
    })
}

/// The label of a strategy by name (the name when there is none so called).
fn label<'a>(scenario: &'a Scenario, name: &'a str) -> &'a str {
    scenario.strategies.iter().find(|s| s.name == name).map_or(name, |s| s.label.as_str())
}

/// A value of a parameter in words: money for a price, two decimals otherwise.
fn value_words(role: ThresholdRole, x: f64, money: &Money) -> String {
    match role {
        ThresholdRole::Price => money.amount(x),
        ThresholdRole::EffectSize => grouped(x, 2),
    }
}

/// One threshold in a sentence, e.g. "At EUR 30,000 per QALY, Standard care + UC-MSC is
/// cost-effective against Standard care only if c_msc_infusion is below EUR 250 (EUR 749 a course
/// of 3 infusions; base case EUR 2,302)."; without a threshold in the search range, that the
/// strategy is cost-effective for every value in it, or for none.
pub fn threshold_statement(scenario: &Scenario, evidence: &Evidence, t: &ThresholdAnswer) -> String {
    let money = money(scenario);
    let th = &t.threshold;
    let strategy = label(scenario, evidence.strategy.as_deref().unwrap_or(""));
    let comparator = label(scenario, evidence.comparator.as_deref().unwrap_or(""));
    let words = |x: f64| value_words(t.role, x, &money);
    let base = format!("base case {}", words(th.base_value));
    let range = format!("from {} to {}", words(th.search_from), words(th.search_to));
    let head = format!("At {}, {strategy}", money.per_qaly(th.wtp));
    match (th.threshold, th.cost_effective) {
        (Some(x), side) => {
            let course = match (t.per_course, t.infusions_per_course) {
                (Some(c), Some(n)) if n > 1 => format!("{} a course of {n} infusions; ", money.amount(c)),
                _ => String::new(),
            };
            format!(
                "{head} is cost-effective against {comparator} only if {} is {side} {} ({course}{base}).",
                th.parameter,
                words(x)
            )
        }
        (None, "always") => {
            format!(
                "{head} is cost-effective against {comparator} for every {} {range} (the search range; {base}).",
                th.parameter
            )
        }
        (None, _) => format!(
            "{head} is not cost-effective against {comparator} for any {} {range} (the search range; {base}): no threshold exists there.",
            th.parameter
        ),
    }
}

/// A threshold with its sentence, for `summary.json`.
#[derive(Serialize)]
struct ThresholdOut<'a> {
    #[serde(flatten)]
    answer: &'a ThresholdAnswer,
    statement: String,
}

/// The `evidence` block of `summary.json`.
#[derive(Serialize)]
pub struct EvidenceBlock<'a> {
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    caveats: &'a [Caveat],
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    assumptions: &'a [Assumption],
    #[serde(skip_serializing_if = "Option::is_none")]
    strategy: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    comparator: Option<&'a str>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    thresholds: Vec<ThresholdOut<'a>>,
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    threshold_errors: &'a [String],
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    calibration: &'a [TargetFit],
    #[serde(skip_serializing_if = "Option::is_none")]
    calibration_error: Option<&'a str>,
}

impl<'a> EvidenceBlock<'a> {
    /// The block of `evidence`; `None` when it has nothing to say.
    pub fn new(scenario: &Scenario, evidence: &'a Evidence) -> Option<EvidenceBlock<'a>> {
        (!evidence.is_empty()).then(|| EvidenceBlock {
            caveats: &evidence.caveats,
            assumptions: &evidence.assumptions,
            strategy: evidence.strategy.as_deref(),
            comparator: evidence.comparator.as_deref(),
            thresholds: evidence
                .thresholds
                .iter()
                .map(|t| ThresholdOut { answer: t, statement: threshold_statement(scenario, evidence, t) })
                .collect(),
            threshold_errors: &evidence.threshold_errors,
            calibration: &evidence.calibration,
            calibration_error: evidence.calibration_error.as_deref(),
        })
    }
}

/// The report's threshold table: one row per parameter and WTP, with the sentence.
pub fn threshold_table(scenario: &Scenario, evidence: &Evidence) -> Option<Table> {
    if evidence.thresholds.is_empty() {
        return None;
    }
    let money = money(scenario);
    let mut t = Table::new(
        "threshold-table",
        format!(
            "Threshold price and effect size of {} against {} at each of the scenario's willingness-to-pay values: \
             where the incremental net monetary benefit of the base case crosses zero, all other parameters at base \
             (Brent's method, as `cirrhosim threshold`); amounts in {}.",
            label(scenario, evidence.strategy.as_deref().unwrap_or("")),
            label(scenario, evidence.comparator.as_deref().unwrap_or("")),
            money.unit()
        ),
        &["parameter", "WTP per QALY", "threshold", "a course", "base case", "in words"],
    );
    for a in &evidence.thresholds {
        let th = &a.threshold;
        let words = |x: f64| value_words(a.role, x, &money);
        t.rows.push(vec![
            text(th.parameter.clone()),
            num(grouped(th.wtp, 0)),
            num(th
                .threshold
                .map_or(format!("none ({})", th.cost_effective), |x| format!("{} ({})", words(x), th.cost_effective))),
            num(a.per_course.map_or(String::new(), |c| money.amount(c))),
            num(words(th.base_value)),
            text(threshold_statement(scenario, evidence, a)),
        ]);
    }
    Some(t)
}

/// One sentence on the calibration: "The model is calibrated to 9 published targets and lies
/// within the 95% interval of all 9." (or "of 7 of the 9 with an interval (outside: ...)").
pub fn calibration_statement(fit: &[TargetFit]) -> String {
    let with_interval = fit.iter().filter(|f| f.inside.is_some()).count();
    let inside = fit.iter().filter(|f| f.inside == Some(true)).count();
    let outside: Vec<String> = fit.iter().filter(|f| f.inside == Some(false)).map(target_words).collect();
    let n = fit.len();
    let mut out = format!("The model is calibrated to {n} published target{}", if n == 1 { "" } else { "s" });
    if with_interval == 0 {
        out.push_str(" (none with an interval)");
    } else if inside == with_interval && with_interval == n {
        out.push_str(&format!(" and lies within the 95% interval of all {n}"));
    } else {
        out.push_str(&format!(" and lies within the 95% interval of {inside} of the {with_interval} with an interval"));
    }
    if !outside.is_empty() {
        out.push_str(&format!(" (outside: {})", outside.join("; ")));
    }
    out.push('.');
    out
}

/// A target in words: "overall_survival at 5 years from decompensated_first".
pub fn target_words(f: &TargetFit) -> String {
    let from = if f.start.is_empty() { String::new() } else { format!(" from {}", f.start) };
    format!("{} at {} years{from}", f.curve, grouped(f.years, 2).trim_end_matches(".00"))
}

/// The report's calibration table: the model against each published target.
pub fn calibration_table(evidence: &Evidence) -> Option<Table> {
    if evidence.calibration.is_empty() {
        return None;
    }
    let mut t = Table::new(
        "calibration-table",
        format!(
            "Calibration: the model (base case, exact cohort of the first strategy, each target's cohort starting in \
             its state) against the published targets of the scenario's [calibration]. {}",
            calibration_statement(&evidence.calibration)
        ),
        &["start", "curve", "years", "published (95% interval)", "model", "inside", "source"],
    );
    for f in &evidence.calibration {
        let interval = f.lower.zip(f.upper).map_or(String::new(), |(lo, hi)| format!(" ({lo:.3}-{hi:.3})"));
        t.rows.push(vec![
            text(if f.start.is_empty() { "(scenario start)".to_string() } else { f.start.clone() }),
            text(f.curve.clone()),
            num(grouped(f.years, 2)),
            num(format!("{:.3}{interval}", f.target)),
            num(format!("{:.4}", f.model)),
            text(match f.inside {
                Some(true) => "yes",
                Some(false) => "NO",
                None => "",
            }),
            text(f.source.clone()),
        ]);
    }
    Some(t)
}

/// The value of information at one WTP in a sentence: "At EUR 30,000 per QALY, resolving all
/// uncertainty is worth up to EUR 1,234 per patient and EUR 12,340,000 for the stated population
/// of 10,000 (EVPI); research on a and b together is worth up to EUR 567 per patient (EVPPI) and
/// EUR 5,670,000 for the population."
pub fn value_statement(money: &Money, population: Option<f64>, v: &ValueOfInformation) -> String {
    let for_population = |x: f64| match population {
        Some(p) => format!(" and {} for the stated population of {}", money.amount(x * p), grouped(p, 0)),
        None => " (no population is stated: give [psa] population for the population value)".to_string(),
    };
    let mut out = format!(
        "At {}, resolving all uncertainty is worth up to {} per patient{} (EVPI)",
        money.per_qaly(v.wtp),
        money.amount(v.evpi_per_person),
        for_population(v.evpi_per_person)
    );
    for g in &v.groups {
        let names = match g.parameters.len() {
            1 => g.parameters[0].clone(),
            n => format!("{} and {} together", g.parameters[..n - 1].join(", "), g.parameters[n - 1]),
        };
        if g.varied.is_empty() {
            out.push_str(&format!("; {names} was held fixed in this PSA, so research on it shows no value here"));
        } else {
            let population = population
                .map_or(String::new(), |p| format!(" and {} for the population", money.amount(g.evppi_per_person * p)));
            out.push_str(&format!(
                "; research on {names} is worth up to {} per patient (EVPPI){population}",
                money.amount(g.evppi_per_person)
            ));
        }
    }
    out.push('.');
    out
}

/// One group's EVPPI at one WTP, for `psa_summary.json`.
#[derive(Serialize)]
struct GroupOut<'a> {
    parameters: &'a [String],
    varied: &'a [String],
    evppi_per_person: f64,
    evppi_population: Option<f64>,
    terms: usize,
}

/// The value of information at one WTP, for `psa_summary.json`.
#[derive(Serialize)]
pub struct ValueOut<'a> {
    wtp: f64,
    evpi_per_person: f64,
    evpi_population: Option<f64>,
    evppi: Vec<GroupOut<'a>>,
    statement: String,
}

/// The `value_of_information` rows of `psa_summary.json`, one per WTP.
pub fn value_rows<'a>(scenario: &Scenario, values: &'a [ValueOfInformation]) -> Vec<ValueOut<'a>> {
    let (money, population) = (money(scenario), scenario.psa.population);
    values
        .iter()
        .map(|v| ValueOut {
            wtp: v.wtp,
            evpi_per_person: v.evpi_per_person,
            evpi_population: population.map(|p| p * v.evpi_per_person),
            evppi: v
                .groups
                .iter()
                .map(|g| GroupOut {
                    parameters: &g.parameters,
                    varied: &g.varied,
                    evppi_per_person: g.evppi_per_person,
                    evppi_population: population.map(|p| p * g.evppi_per_person),
                    terms: g.terms,
                })
                .collect(),
            statement: value_statement(&money, population, v),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::psa::summary::GroupValue;

    #[test]
    fn the_value_of_information_reads_as_one_sentence() {
        let eur = Money { currency: "EUR".into(), price_year: 2013 };
        let v = ValueOfInformation {
            wtp: 30_000.0,
            evpi_per_person: 1234.4,
            groups: vec![GroupValue {
                parameters: vec!["a".into(), "b".into()],
                varied: vec!["a".into(), "b".into()],
                evppi_per_person: 567.0,
                terms: 20,
            }],
        };
        assert_eq!(
            value_statement(&eur, Some(10_000.0), &v),
            "At EUR 30,000 per QALY, resolving all uncertainty is worth up to EUR 1,234 per patient and EUR \
             12,344,000 for the stated population of 10,000 (EVPI); research on a and b together is worth up to EUR \
             567 per patient (EVPPI) and EUR 5,670,000 for the population."
        );
        assert!(value_statement(&eur, None, &v).contains("(no population is stated: give [psa] population"));
    }

    fn fit(model: f64, interval: Option<(f64, f64)>) -> TargetFit {
        TargetFit {
            start: "transplant".into(),
            curve: "overall_survival".into(),
            years: 5.0,
            target: 0.77,
            lower: interval.map(|i| i.0),
            upper: interval.map(|i| i.1),
            model,
            inside: interval.map(|(lo, hi)| lo <= model && model <= hi),
            source: String::new(),
        }
    }

    #[test]
    fn the_sentence_names_the_targets_outside_their_interval() {
        let all = [fit(0.77, Some((0.75, 0.79))), fit(0.76, Some((0.75, 0.79)))];
        assert_eq!(
            calibration_statement(&all),
            "The model is calibrated to 2 published targets and lies within the 95% interval of all 2."
        );
        let some = [fit(0.77, Some((0.75, 0.79))), fit(0.70, Some((0.75, 0.79))), fit(0.5, None)];
        assert_eq!(
            calibration_statement(&some),
            "The model is calibrated to 3 published targets and lies within the 95% interval of 1 of the 2 with an \
             interval (outside: overall_survival at 5 years from transplant)."
        );
    }
}
