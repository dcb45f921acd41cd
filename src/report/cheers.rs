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
}

/// The 28 items, each with its coverage by a report with `c`.
pub fn checklist(c: Contents) -> Vec<CheersItem> {
    use Coverage::*;
    let author = "not reported: for the authors to write (a model run cannot know it)";
    let uncertainty_runs = match (c.psa, c.dsa) {
        (true, true) => "PSA and one-way DSA",
        (true, false) => "PSA only (no DSA given: run `cirrhosim dsa` and pass --dsa)",
        (false, true) => "one-way DSA only (no PSA given: run `cirrhosim psa` and pass --psa)",
        (false, false) => "",
    };
    let item = |number: u8, item: &'static str, coverage: Coverage, note: &str, anchor: Option<&'static str>| {
        CheersItem { number, item, coverage, note: note.to_string(), anchor }
    };
    let economics = |yes: (&'static str, Option<&'static str>)| {
        if c.economics {
            (Reported, yes.0, yes.1)
        } else {
            (NotReported, "not applicable: the scenario has no [economics]", None)
        }
    };
    let mut items = vec![
        item(
            1,
            "Title",
            Partly,
            "the scenario's title; the study title (economic evaluation, interventions compared) is for the authors",
            Some("top"),
        ),
        item(2, "Abstract", NotReported, author, None),
        if c.description {
            item(
                3,
                "Background and objectives",
                Partly,
                "the scenario's description; the decision problem and objectives are for the authors",
                Some("top"),
            )
        } else {
            item(3, "Background and objectives", NotReported, author, None)
        },
        item(4, "Health economic analysis plan", NotReported, author, None),
        item(
            5,
            "Study population",
            Reported,
            "settings table: start age, sex mix and starting state of the cohort",
            Some("settings"),
        ),
        item(
            6,
            "Setting and location",
            NotReported,
            "not reported beyond the life table named in the settings; for the authors",
            None,
        ),
        item(7, "Comparators", Reported, "settings table: each strategy with its description", Some("settings")),
        item(
            8,
            "Perspective",
            NotReported,
            "not reported: the scenario format has no perspective field; for the authors",
            None,
        ),
        item(9, "Time horizon", Reported, "settings table", Some("settings")),
    ];
    let (cov, note, anchor) = economics(("settings table: costs and effects", Some("settings")));
    items.push(item(10, "Discount rate", cov, note, anchor));
    items.push(if c.economics {
        item(
            11,
            "Selection of outcomes",
            Reported,
            "QALYs, life years, costs and net monetary benefit (results)",
            Some("results"),
        )
    } else {
        item(11, "Selection of outcomes", Partly, "life years and survival only (no [economics])", Some("results"))
    });
    items.push(item(12, "Measurement of outcomes", Partly, "the source of every effect and transition is in the parameter table; how they were measured is for the authors", Some("parameters")));
    let (cov, note, anchor) =
        economics(("utility values with their sources in the parameter table", Some("parameters")));
    items.push(item(13, "Valuation of outcomes", if cov == Reported { Partly } else { cov }, note, anchor));
    let (cov, note, anchor) =
        economics(("cost parameters with their units and sources in the parameter table", Some("parameters")));
    items.push(item(
        14,
        "Measurement and valuation of resources and costs",
        if cov == Reported { Partly } else { cov },
        note,
        anchor,
    ));
    let (cov, note, anchor) = economics((
        "settings table (currency and price year on every money axis and column); no conversion is made",
        Some("settings"),
    ));
    items.push(item(15, "Currency, price date, and conversion", cov, note, anchor));
    items.push(item(
        16,
        "Rationale and description of model",
        Partly,
        "model diagram and each state's exits; the rationale for the structure is for the authors",
        Some("model"),
    ));
    items.push(item(
        17,
        "Analytics and assumptions",
        Reported,
        "settings table: cycle, within-cycle correction, background mortality, cohort and Monte Carlo methods",
        Some("settings"),
    ));
    items.push(item(
        18,
        "Characterizing heterogeneity",
        NotReported,
        "not reported: no subgroup analysis in this report",
        None,
    ));
    items.push(item(
        19,
        "Characterizing distributional effects",
        NotReported,
        "not reported: no distributional analysis",
        None,
    ));
    items.push(if c.psa || c.dsa {
        item(20, "Characterizing uncertainty", Reported, &format!("{uncertainty_runs}; distributions and ranges in the parameter table"), Some("uncertainty"))
    } else {
        item(20, "Characterizing uncertainty", Partly, "only the Monte Carlo error of the simulation; no PSA or DSA given (run `cirrhosim psa` and `cirrhosim dsa`, then pass --psa and --dsa)", Some("results"))
    });
    items.push(item(
        21,
        "Approach to engagement with patients and others affected by the study",
        NotReported,
        author,
        None,
    ));
    items.push(item(
        22,
        "Study parameters",
        Reported,
        "parameter table: values, distributions, ranges and sources",
        Some("parameters"),
    ));
    items.push(item(
        23,
        "Summary of main results",
        Reported,
        "results: survival and, with economics, the incremental analysis",
        Some("results"),
    ));
    items.push(if c.psa || c.dsa {
        let evppi = if c.evppi { ", with EVPPI" } else { "" };
        item(
            24,
            "Effect of uncertainty",
            Reported,
            &format!("{uncertainty_runs}{evppi}: tables and figures"),
            Some("uncertainty"),
        )
    } else {
        item(24, "Effect of uncertainty", NotReported, "not reported: no PSA or DSA given", None)
    });
    items.push(item(
        25,
        "Effect of engagement with patients and others affected by the study",
        NotReported,
        author,
        None,
    ));
    items.push(item(
        26,
        "Study findings, limitations, generalizability, and current knowledge",
        NotReported,
        author,
        None,
    ));
    items.push(item(27, "Source of funding", NotReported, author, None));
    items.push(item(28, "Conflicts of interest", NotReported, author, None));
    items
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_item_once_in_order_and_uncertainty_follows_the_runs() {
        let without = checklist(Contents { economics: true, description: true, ..Contents::default() });
        assert_eq!(without.iter().map(|i| i.number).collect::<Vec<_>>(), (1..=28).collect::<Vec<_>>());
        assert_eq!(without[23].coverage, Coverage::NotReported);
        let with = checklist(Contents { economics: true, description: true, psa: true, dsa: true, evppi: true });
        assert_eq!(with[19].coverage, Coverage::Reported);
        assert!(with[23].note.contains("PSA and one-way DSA, with EVPPI"));
        let survival_only = checklist(Contents::default());
        assert_eq!(survival_only[14].coverage, Coverage::NotReported, "no currency without economics");
        assert_eq!(survival_only[2].coverage, Coverage::NotReported, "no description");
    }
}
