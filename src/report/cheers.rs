//! The CHEERS 2022 checklist of a report: which of its 28 items the page reports, in part or in
//! full, and which it does not (and why), so a reviewer sees at once what the authors must add.
//!
//! The items are those of the Consolidated Health Economic Evaluation Reporting Standards 2022
//! (Husereau et al. 2022, Value Health 25:3-9; BMJ 376:e067975). Receives what the report holds
//! (economics, PSA, DSA, EVPPI); hands back one [`CheersItem`] per item, in item order.

use serde::Serialize;

/// How far the report covers an item.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Coverage {
    Reported,
    Partly,
    NotReported,
}

/// One CHEERS 2022 item and where the report answers it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CheersItem {
    pub number: u8,
    pub item: &'static str,
    pub coverage: Coverage,
    /// Where on the page, or what is missing and why.
    pub note: String,
    /// The id of the section that answers it, if any.
    pub anchor: Option<&'static str>,
}

/// What the report holds, which decides the coverage of items 11, 13-15, 20 and 24.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Contents {
    pub economics: bool,
    pub description: bool,
    pub psa: bool,
    pub dsa: bool,
    pub evppi: bool,
    /// Some cost states its own currency and price year (and is converted, or shown as stated).
    pub conversions: bool,
    /// The scenario names the country of its prices (`[economics] country`, or its currency's).
    pub country: bool,
    /// Results by subgroup (`report --by`).
    pub subgroups: bool,
}

/// The 28 item titles of CHEERS 2022, in order.
const ITEMS: [&str; 28] = [
    "Title",
    "Abstract",
    "Background and objectives",
    "Health economic analysis plan",
    "Study population",
    "Setting and location",
    "Comparators",
    "Perspective",
    "Time horizon",
    "Discount rate",
    "Selection of outcomes",
    "Measurement of outcomes",
    "Valuation of outcomes",
    "Measurement and valuation of resources and costs",
    "Currency, price date, and conversion",
    "Rationale and description of model",
    "Analytics and assumptions",
    "Characterizing heterogeneity",
    "Characterizing distributional effects",
    "Characterizing uncertainty",
    "Approach to engagement with patients and others affected by the study",
    "Study parameters",
    "Summary of main results",
    "Effect of uncertainty",
    "Effect of engagement with patients and others affected by the study",
    "Study findings, limitations, generalizability, and current knowledge",
    "Source of funding",
    "Conflicts of interest",
];

/// What the authors must write: a model run cannot know it.
const AUTHOR: &str = "not reported: for the authors to write (a model run cannot know it)";

/// The 28 items, each with its coverage by a report with `c`.
pub fn checklist(c: Contents) -> Vec<CheersItem> {
    ITEMS
        .iter()
        .zip(1u8..)
        .map(|(item, number)| {
            let (coverage, note, anchor) = coverage(number, c);
            CheersItem { number, item, coverage, note, anchor }
        })
        .collect()
}

/// The coverage of item `number`, where the page answers it (or why it does not), and the id of
/// that section.
fn coverage(number: u8, c: Contents) -> (Coverage, String, Option<&'static str>) {
    use Coverage::*;
    let say = |coverage: Coverage, note: &str, anchor: Option<&'static str>| (coverage, note.to_string(), anchor);
    let costed = |note: &str, anchor: &'static str, coverage: Coverage| {
        if c.economics {
            say(coverage, note, Some(anchor))
        } else {
            say(NotReported, "not applicable: no [economics]", None)
        }
    };
    let runs = match (c.psa, c.dsa) {
        (true, true) => "PSA and one-way DSA",
        (true, false) => "PSA only (no DSA given: run `cirrhosim dsa` and pass --dsa)",
        (false, true) => "one-way DSA only (no PSA given: run `cirrhosim psa` and pass --psa)",
        (false, false) => "",
    };
    match number {
        1 => say(
            Partly,
            "the scenario's title; the study title (an economic evaluation, of what) is for the authors",
            Some("top"),
        ),
        3 if c.description => say(
            Partly,
            "the scenario's description; the decision problem and objectives are for the authors",
            Some("top"),
        ),
        5 => say(Reported, "settings table: start age, sex mix and starting state of the cohort", Some("settings")),
        6 if c.economics && c.country => say(
            Partly,
            "settings table: the country whose prices the costs are in; the setting of care is for the authors",
            Some("settings"),
        ),
        6 => say(NotReported, "not reported beyond the life table named in the settings; for the authors", None),
        7 => say(Reported, "settings table: each strategy with its description", Some("settings")),
        8 => say(NotReported, "not reported: the scenario format has no perspective; for the authors", None),
        9 => say(Reported, "settings table", Some("settings")),
        10 => costed("settings table: costs and effects", "settings", Reported),
        11 if c.economics => {
            say(Reported, "QALYs, life years, costs and net monetary benefit (results)", Some("results"))
        }
        11 => say(Partly, "life years and survival only (no [economics])", Some("results")),
        12 => say(
            Partly,
            "the source of every effect and transition is in the parameter table; how they were measured is for the authors",
            Some("parameters"),
        ),
        13 => costed("utility values with their sources in the parameter table", "parameters", Partly),
        14 => costed("cost parameters with their units and sources in the parameter table", "parameters", Partly),
        15 if c.conversions => costed(
            "settings table: currency and price year, the conversion method, and each converted cost with its index values and their sources; on every money axis and column",
            "settings",
            Reported,
        ),
        15 => costed("settings table, and on every money axis and column; no conversion is made", "settings", Reported),
        16 => say(
            Partly,
            "model diagram and each state's exits; the rationale for the structure is for the authors",
            Some("model"),
        ),
        17 => say(
            Reported,
            "settings table: cycle, within-cycle correction, background mortality, cohort and Monte Carlo methods",
            Some("settings"),
        ),
        18 if c.subgroups => say(
            Reported,
            "results by subgroup of the population's covariates: table and forest plot of incremental NMB",
            Some("subgroups"),
        ),
        18 => say(NotReported, "not reported: no subgroup analysis in this report (see `cirrhosim report --by`)", None),
        19 => say(NotReported, "not reported: no distributional analysis", None),
        20 if c.psa || c.dsa => {
            say(Reported, &format!("{runs}; distributions and ranges in the parameter table"), Some("uncertainty"))
        }
        20 => say(
            Partly,
            "only the Monte Carlo error of the simulation; no PSA or DSA given (run `cirrhosim psa` and `cirrhosim dsa`, then pass --psa and --dsa)",
            Some("results"),
        ),
        22 => say(Reported, "parameter table: values, distributions, ranges and sources", Some("parameters")),
        23 => say(Reported, "results: survival and, with economics, the incremental analysis", Some("results")),
        24 if c.psa || c.dsa => {
            let evppi = if c.evppi { ", with EVPPI" } else { "" };
            say(Reported, &format!("{runs}{evppi}: tables and figures"), Some("uncertainty"))
        }
        24 => say(NotReported, "not reported: no PSA or DSA given", None),
        _ => say(NotReported, AUTHOR, None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_item_once_in_order_and_uncertainty_follows_the_runs() {
        let without = checklist(Contents { economics: true, description: true, ..Contents::default() });
        assert_eq!(without.iter().map(|i| i.number).collect::<Vec<_>>(), (1..=28).collect::<Vec<_>>());
        assert_eq!(without[23].coverage, Coverage::NotReported);
        let with = checklist(Contents {
            economics: true,
            description: true,
            psa: true,
            dsa: true,
            evppi: true,
            ..Contents::default()
        });
        assert_eq!(with[19].coverage, Coverage::Reported);
        assert!(with[23].note.contains("PSA and one-way DSA, with EVPPI"));
        let survival_only = checklist(Contents::default());
        assert_eq!(survival_only[14].coverage, Coverage::NotReported, "no currency without economics");
        // Issue 13: converted costs are reported under item 15; a stated country under item 6.
        assert!(without[14].note.contains("no conversion is made"));
        let priced = checklist(Contents { economics: true, conversions: true, country: true, ..Contents::default() });
        assert!(priced[14].note.contains("each converted cost with its index values and their sources"));
        assert_eq!((priced[5].coverage, without[5].coverage), (Coverage::Partly, Coverage::NotReported));
        assert_eq!(survival_only[2].coverage, Coverage::NotReported, "no description");
    }
}
