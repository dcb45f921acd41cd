//! `cirrhosim report`: a self-contained HTML page and SVG figures.

use crate::util::{Workdir, repo};
use predicates::prelude::PredicateBooleanExt;
use predicates::str::contains;

#[test]
fn report_is_self_contained_structured_and_reproducible() {
    let wd = Workdir::new();
    for out in ["a", "b"] {
        wd.cmd().args(["report", "--patients", "5000", "--out", out]).assert().success();
    }
    let html = wd.read("a/report.html");
    assert_eq!(html, wd.read("b/report.html"), "same seed, same bytes");
    // Structure: the sections in order, keyed to CHEERS 2022 items.
    let headings = [
        "Settings (CHEERS 2022)",
        "CHEERS 2022 checklist",
        ">Model</h2>",
        "Results (CHEERS 2022 item 23)",
        "Cost-effectiveness",
        "Uncertainty (CHEERS 2022 items 20 and 24)",
        "Parameters (CHEERS 2022 item 22)",
    ];
    let mut at = 0;
    for h in headings {
        let found = html[at..].find(h).unwrap_or_else(|| panic!("missing or out of order: {h}"));
        at += found;
    }
    // Plots are inline SVG (4 figures + one occupancy plot per strategy), and nothing is loaded
    // from the network.
    assert_eq!(html.matches("<svg").count(), 7, "diagram, survival, 2 occupancy, costs, QALYs, frontier");
    assert!(html.contains("<figure id=\"model-diagram\"><svg"));
    assert!(
        !html.contains("http://")
            || html.matches("http://").count() == html.matches("xmlns=\"http://www.w3.org/2000/svg\"").count()
    );
    assert!(!html.contains("https://") && !html.contains("<script"));
    assert!(html.contains("to death_liver: annual rate 0.09785 (first 1 year in the state)"));
    assert!(html.contains("r_liver_death_first_decomp"));
    // Issue 13: the fit to the calibration targets, target by target.
    assert!(html.contains("<table id=\"calibration-table\"><caption><b>Table "));
    assert!(html.contains("The model is calibrated to 9 published targets and lies within the 95% interval of all 9."));
    // Issue 13: CHEERS item 15 states the conversion of the MSC price with its index sources.
    assert!(html.contains("15 Currency, price date, and conversion"));
    assert!(
        html.contains("c_msc_infusion: 4000 USD 2024 (USA) -&gt; 2301.53 EUR 2013 (country DEU)"),
        "conversion line"
    );
    assert!(html.contains("[1] BLS CPI-U") && html.contains("= 4000 USD 2024 x 0.575383"));
    assert!(html.contains("6 Setting and location"), "the scenario states its country");
    assert!(html.contains("D&#x27;Amico") || html.contains("D'Amico"), "sources are in the parameter table");
    for svg in
        ["model.svg", "survival.svg", "occupancy_1.svg", "occupancy_2.svg", "costs.svg", "qalys.svg", "frontier.svg"]
    {
        let text = wd.read(&format!("a/{svg}"));
        assert!(text.starts_with("<svg") && text.trim_end().ends_with("</svg>"), "{svg}");
        // Each figure also comes as a PNG for slides.
        let png = std::fs::read(wd.path().join("a").join(svg.replace(".svg", ".png"))).unwrap();
        assert!(png.starts_with(b"\x89PNG\r\n\x1a\n") && png.len() > 5000, "{svg}: {} bytes", png.len());
    }
}

#[test]
fn survival_only_scenario_has_no_cost_section() {
    let wd = Workdir::new();
    wd.cmd()
        .args(["report", "--patients", "1000", "--out", "r"])
        .arg(repo().join("scenarios/teaching.toml"))
        .assert()
        .success();
    let html = wd.read("r/report.html");
    assert!(!html.contains("Cost-effectiveness"));
    assert!(!wd.path().join("r/costs.svg").exists());
}

/// Issue 13: a target whose cohort starts in another state than the scenario's (survival after
/// transplant) is no point on the scenario's survival curve; one of the scenario's own start is.
#[test]
fn only_targets_of_the_scenarios_cohort_are_drawn_on_its_survival_plot() {
    let wd = Workdir::new();
    let header = "strategy,start,curve,years,value,lower,upper,source\n";
    for (start, drawn) in [("transplant", false), ("decompensated_first", true), ("", true)] {
        wd.write("t.csv", &format!("{header},{start},overall_survival,1,0.9,0.85,0.95,x\n"));
        wd.cmd().args(["report", "--patients", "500", "--quiet", "--out", "r", "--target", "t.csv"]).assert().success();
        assert_eq!(wd.read("r/survival.svg").contains("dots: targets"), drawn, "start {start:?}");
    }
}

#[test]
fn psa_and_dsa_results_are_drawn() {
    let wd = Workdir::new();
    wd.cmd().args(["psa", "--draws", "40", "--quiet", "--out", "p"]).assert().success();
    wd.cmd().args(["dsa", "--quiet", "--out", "d"]).assert().success();
    wd.cmd()
        .args(["report", "--patients", "2000", "--psa", "p", "--dsa", "d", "--out", "r", "--target"])
        .arg(repo().join("data/targets/decompensated_survival.csv"))
        .assert()
        .success();
    assert!(
        wd.read("r/survival.svg").contains("PSA 95% and median"),
        "PSA band and targets drawn on the survival plot"
    );
    let html = wd.read("r/report.html");
    for id in ["ce-plane-plot", "ceac-plot", "tornado-plot"] {
        assert!(html.contains(&format!("<figure id=\"{id}\"><svg")), "{id}");
    }
    assert!(html.contains("Cost-effectiveness plane vs Standard care (40 PSA draws)"));
    assert!(wd.read("r/tornado.svg").contains("c_msc_infusion"));
    for svg in ["ceac.svg", "ce_plane.svg", "tornado.svg"] {
        assert!(wd.read(&format!("r/{svg}")).starts_with("<svg"), "{svg}");
    }
    wd.cmd().args(["report", "--psa", "nowhere"]).assert().failure();
}

/// A PSA or DSA directory that is cut short, edited, unpublished or from another scenario gives
/// an error naming the folder and what is wrong, never a panic or a wrong figure (issue 10: a
/// header-only psa_draws.csv panicked `report --psa`; a PSA of another scenario was drawn). The
/// readers' own line-and-column errors are unit-tested in `io::draws` and `io::tables`.
#[test]
fn broken_psa_and_dsa_tables_are_located_errors() {
    let wd = Workdir::new();
    wd.cmd().args(["psa", "--draws", "6", "--quiet", "--out", "p"]).assert().success();
    wd.cmd().args(["dsa", "--quiet", "--out", "d"]).assert().success();
    let report = |wd: &Workdir, extra: &[&str]| {
        let mut args = vec!["report", "--patients", "200", "--quiet", "--out", "r"];
        args.extend_from_slice(extra);
        wd.cmd().args(args).assert()
    };
    report(&wd, &["--psa", "p", "--dsa", "d"]).success();
    let original = |name: &str| wd.read(&format!("p/{name}"));
    let restore = |name: &str, text: &str| wd.write(&format!("p/{name}"), text);

    // Header-only psa_draws.csv: this panicked before.
    let draws = original("psa_draws.csv");
    restore("psa_draws.csv", &format!("{}\n", draws.lines().next().unwrap()));
    report(&wd, &["--psa", "p"])
        .code(1)
        .stderr(contains("p: cannot report on it: psa_draws.csv has changed since it was written"))
        .stderr(contains("panicked").not());
    restore("psa_draws.csv", &draws);
    // A cut ceac.csv.
    let ceac = original("ceac.csv");
    restore("ceac.csv", &ceac[..ceac.len() / 2]);
    report(&wd, &["--psa", "p"]).code(1).stderr(contains("p: cannot report on it: ceac.csv has changed"));
    restore("ceac.csv", &ceac);
    report(&wd, &["--psa", "p"]).success();

    // A PSA of another scenario.
    let teaching = repo().join("scenarios/teaching.toml");
    wd.cmd()
        .args(["report", "--patients", "200", "--quiet", "--out", "r", "--psa", "p"])
        .arg(&teaching)
        .assert()
        .code(1)
        .stderr(contains(
            "p: cannot report on it: it holds the outputs of another run (scenario \"default\", not \"teaching\")",
        ));
    // A folder that is not a published output: interrupted, or not from cirrhosim.
    std::fs::remove_file(wd.path().join("d/cirrhosim-run.json")).unwrap();
    report(&wd, &["--dsa", "d"]).code(1).stderr(contains("d: cannot report on it: it has no cirrhosim-run.json"));
    report(&wd, &["--dsa", "p"])
        .code(1)
        .stderr(contains("it holds the outputs of `cirrhosim psa`, not of `cirrhosim dsa`"));
}

#[test]
fn wtp_lines_on_the_ce_plane_come_from_wtp() {
    let wd = Workdir::new();
    wd.cmd().args(["psa", "--draws", "6", "--quiet", "--out", "p"]).assert().success();
    wd.cmd()
        .args(["report", "--patients", "200", "--quiet", "--psa", "p", "--wtp", "12345", "--out", "r"])
        .assert()
        .success();
    let plane = wd.read("r/ce_plane.svg");
    assert!(plane.contains("EUR 12,345/QALY") && !plane.contains("EUR 30,000/QALY"), "only the --wtp line is drawn");
    // The PSA tables are at the same WTP.
    let html = wd.read("r/report.html");
    let wtp_table = section(&html, "<table id=\"psa-wtp-table\">", "</table>");
    assert_eq!(wtp_table.matches("<tr>").count(), 2, "header and one WTP: {wtp_table}");
    assert!(wtp_table.contains("<td class=\"n\">12,345</td>"), "{wtp_table}");
}

/// The text of `html` from `start` to the first `end` after it.
fn section<'a>(html: &'a str, start: &str, end: &str) -> &'a str {
    let from = html.find(start).unwrap_or_else(|| panic!("no {start}"));
    let to = html[from..].find(end).map_or(html.len(), |k| from + k + end.len());
    &html[from..to]
}

/// Issue 14: every figure has a number and a caption that names the run that made it, and its
/// numbers stand in a table beside it: the PSA means are those of the PSA's own summary, the
/// DSA table states the WTP and the outcome, EVPPI is tabled when `evppi` was run, the two-way
/// grid is drawn when the DSA has one (and its absence said when not), and the CHEERS 2022
/// checklist lists all 28 items.
#[test]
fn every_figure_has_a_caption_and_its_numbers() {
    let wd = Workdir::new();
    wd.cmd().args(["psa", "--draws", "60", "--quiet", "--out", "p"]).assert().success();
    wd.cmd().args(["evppi", "p", "--quiet", "--wtp", "30000,50000"]).assert().success();
    wd.cmd().args(["dsa", "--quiet", "--out", "d", "--wtp", "50000"]).assert().success();
    wd.cmd()
        .args(["dsa", "--quiet", "--out", "d2", "--two-way", "msc_meld_md_24wk,c_msc_infusion", "--steps", "4"])
        .assert()
        .success();
    wd.cmd()
        .args(["report", "--patients", "2000", "--quiet", "--psa", "p", "--dsa", "d", "--out", "r"])
        .assert()
        .success();
    let html = wd.read("r/report.html");
    let figures = html.matches("<figure id=").count();
    assert_eq!(figures, 11, "7 base figures, CE plane, CEAC, EVPI, tornado");
    // Numbered in the order they appear on the page.
    let mut at = 0;
    for k in 1..=figures {
        let caption = format!("<figcaption><b>Figure {k}.</b>");
        at += html[at..].find(&caption).unwrap_or_else(|| panic!("figure {k} missing or out of order"));
    }
    let mut at = 0;
    for k in 1..=html.matches("<caption><b>Table ").count() {
        at +=
            html[at..].find(&format!("<caption><b>Table {k}.</b>")).unwrap_or_else(|| panic!("table {k} out of order"));
    }
    for id in ["survival-table", "cea-table", "monte-carlo-table", "psa-outcome-table", "psa-incremental-table"] {
        assert!(html.contains(&format!("<table id=\"{id}\"><caption><b>Table ")), "{id}");
    }
    // Captions name the runs and their settings.
    assert!(html.contains("cirrhosim psa in folder p: draws 60, engine cohort"), "PSA run in the captions");
    assert!(html.contains("60 PSA draws"));
    // The PSA means in the table are those of psa_summary.json, formatted.
    let summary: serde_json::Value = serde_json::from_str(&wd.read("p/psa_summary.json")).unwrap();
    let outcome = section(&html, "<table id=\"psa-outcome-table\">", "</table>");
    for s in summary["strategies"].as_array().unwrap() {
        let cost = cirrhosim::report::format::grouped(s["mean_cost"].as_f64().unwrap(), 0);
        let qaly = cirrhosim::report::format::grouped(s["mean_qaly"].as_f64().unwrap(), 4);
        assert!(outcome.contains(&format!(">{cost} (")) && outcome.contains(&format!(">{qaly} (")), "{cost} {qaly}");
    }
    // Probability cost-effective and EVPI at each of the scenario's 4 WTPs.
    let wtp = section(&html, "<table id=\"psa-wtp-table\">", "</table>");
    assert_eq!(wtp.matches("<tr>").count(), 5, "{wtp}");
    assert!(wtp.contains("EVPI per person (EUR 2013)"));
    // EVPPI from evppi.csv, at its two WTPs.
    let evppi = section(&html, "<table id=\"evppi-table\">", "</table>");
    assert!(evppi.contains("<th>WTP 30,000</th><th>WTP 50,000</th>"), "{evppi}");
    // The DSA table and tornado say at which WTP, for which outcome, and the base value.
    let dsa = section(&html, "<table id=\"dsa-table\">", "</table>");
    assert!(dsa.contains("at a WTP of EUR 50,000 per QALY") && dsa.contains("incremental net monetary benefit"));
    assert!(
        wd.read("r/tornado.svg").contains("at EUR 50,000 per QALY")
            && wd.read("r/tornado.svg").contains("base case EUR")
    );
    assert!(html.contains("has no two-way grid"), "the missing heat map is said");
    assert!(!wd.path().join("r/two_way.svg").exists());
    // No internal strategy names and no `.0` ticks on the figures.
    for f in ["ce_plane.svg", "ceac.svg", "frontier.svg", "evpi.svg", "survival.svg"] {
        let svg = wd.read(&format!("r/{f}"));
        assert!(!svg.contains("uc_msc") && !svg.contains("standard_care"), "{f} shows an internal name");
        assert!(!svg.contains(".0</text>"), "{f} has a tick ending in .0");
    }
    assert!(wd.read("r/ce_plane.svg").contains("incremental cost (EUR 2013)"));
    // The CHEERS 2022 checklist: 28 items, uncertainty reported with these runs.
    let cheers = section(&html, "<table id=\"cheers-table\">", "</table>");
    assert_eq!(cheers.matches("<tr>").count(), 29, "header and 28 items");
    assert!(cheers.contains("24 Effect of uncertainty</td><td class=\"reported\">"));
    assert!(cheers.contains("8 Perspective</td><td class=\"not_reported\">"));

    // With the two-way DSA: the heat map.
    wd.cmd().args(["report", "--patients", "2000", "--quiet", "--dsa", "d2", "--out", "r2"]).assert().success();
    let html = wd.read("r2/report.html");
    assert!(html.contains("<figure id=\"two-way-plot\"><svg"));
    assert!(html.contains("4 x 4 grid of msc_meld_md_24wk (x) and c_msc_infusion (y)"));
    assert!(wd.path().join("r2/two_way.png").exists());
    // Without a PSA, items 20 and 24 are not reported as covered.
    let cheers = section(&html, "<table id=\"cheers-table\">", "</table>");
    assert!(cheers.contains("one-way DSA only"));
}

/// `--pdf` without Chromium is a clear error naming the fix, and writes nothing.
#[test]
fn pdf_without_chromium_is_a_clear_error() {
    let wd = Workdir::new();
    wd.cmd()
        .args(["report", "--patients", "200", "--quiet", "--pdf", "--out", "r"])
        .env("PATH", wd.path())
        .assert()
        .code(1)
        .stderr(contains("--pdf needs headless Chromium"))
        .stderr(contains("--chromium PATH"));
    assert!(!wd.path().join("r").exists());
    wd.cmd()
        .args(["report", "--patients", "200", "--quiet", "--pdf", "--chromium", "nowhere/chromium", "--out", "r"])
        .assert()
        .code(1)
        .stderr(contains("--chromium nowhere/chromium: no such file"));
}

/// Issue 13: the report carries the evidence section (caveats with sources, parameters resting on
/// assumptions, the threshold table) and, with a PSA, the value-of-information sentence.
#[test]
fn the_report_states_caveats_thresholds_and_the_value_of_research() {
    let wd = Workdir::new();
    wd.cmd().args(["psa", "--draws", "80", "--quiet", "--out", "p"]).assert().success();
    wd.cmd().args(["report", "--patients", "500", "--quiet", "--psa", "p", "--out", "r"]).assert().success();
    let html = wd.read("r/report.html");
    let evidence = section(&html, "<h2 id=\"evidence\">", "<h2 id=\"parameters\">");
    assert!(evidence.contains("No proven survival benefit"), "caveats");
    assert!(evidence.contains("Shi M et al. 2021 Hepatol Int"), "sources of the caveats");
    assert!(evidence.contains("<b>c_msc_infusion</b>") && evidence.contains("<b>msc_meld_md_24wk</b>"), "assumptions");
    assert!(evidence.contains("<table id=\"threshold-table\">"), "threshold table");
    assert!(evidence.contains("a course of 3 infusions"), "price of a course");
    let value = section(&html, "<p id=\"value-of-information\">", "</p>");
    assert!(value.contains("resolving all uncertainty is worth up to EUR"), "{value}");
    assert!(value.contains("together is worth up to EUR"), "{value}");
    // A teaching scenario states no caveats.
    wd.cmd()
        .args(["report", "--patients", "500", "--quiet", "--out", "t"])
        .arg(repo().join("scenarios/teaching.toml"))
        .assert()
        .success();
    assert!(!wd.read("t/report.html").contains("Caveats of the evidence"));
}

/// Issue 12 point 4: `report --by` adds the subgroup table and the forest plot of incremental
/// NMB, and CHEERS item 18 (heterogeneity) becomes reported.
#[test]
fn report_by_subgroup_has_a_table_and_a_forest_plot() {
    let wd = Workdir::new();
    let meld = repo().join("scenarios/meld_heterogeneity.toml");
    wd.cmd()
        .args(["report", "--patients", "4000", "--quiet", "--by", "etiology", "--out", "r"])
        .arg(&meld)
        .assert()
        .success();
    let html = wd.read("r/report.html");
    assert!(html.contains("Results by subgroup (CHEERS 2022 item 18)"));
    assert!(html.contains("<figure id=\"subgroup-plot\"><svg"));
    assert!(html.contains("<table id=\"subgroup-table\">"));
    assert!(
        html.contains("results by subgroup of the population&#x27;s covariates")
            || html.contains("results by subgroup of the population's covariates")
    );
    let svg = wd.read("r/subgroups.svg");
    for label in ["whole population", "etiology=alcohol (50.0%)", "etiology=hbv (30.0%)", "etiology=other (20.0%)"] {
        assert!(svg.contains(label), "{label}");
    }
    assert!(wd.path().join("r/subgroups.png").exists());
    let manifest = wd.read("r/cirrhosim-run.json");
    assert!(manifest.contains("\"by\": \"etiology\""), "{manifest}");
    // Without --by: no subgroup section, and the page says how to get one.
    wd.cmd().args(["report", "--patients", "2000", "--quiet", "--out", "plain"]).arg(&meld).assert().success();
    let plain = wd.read("plain/report.html");
    assert!(!plain.contains("subgroup-plot") && plain.contains("cirrhosim report --by COVARIATE"));
    wd.cmd()
        .args(["report", "--quiet", "--by", "sex", "--out", "bad"])
        .arg(&meld)
        .assert()
        .failure()
        .stderr(contains("--by sex: ").and(contains("(covariates: meld, etiology)")));
}

/// Issue 12: `report --psa` on a `psa --by` folder draws the whole population's curves as from
/// a PSA without --by, and adds the table of the probability cost-effective by subgroup.
#[test]
fn report_of_a_psa_by_subgroup_adds_its_table_and_keeps_the_curves() {
    let wd = Workdir::new();
    let meld = repo().join("scenarios/meld_heterogeneity.toml");
    for (out, by) in [("plain", None), ("by", Some("meld"))] {
        let mut cmd = wd.cmd();
        cmd.args(["psa", "--draws", "20", "--quiet", "--out", out]).arg(&meld);
        if let Some(by) = by {
            cmd.args(["--by", by]);
        }
        cmd.assert().success();
        wd.cmd()
            .args(["report", "--patients", "500", "--quiet", "--psa", out, "--out", &format!("r_{out}")])
            .arg(&meld)
            .assert()
            .success();
    }
    assert_eq!(wd.read("r_plain/ceac.svg"), wd.read("r_by/ceac.svg"), "the population's curves only");
    let html = wd.read("r_by/report.html");
    let table = section(&html, "<table id=\"psa-subgroup-table\">", "</table>");
    for band in ["meld=meld_below_15", "meld=meld_15_to_20", "meld=meld_20_or_more"] {
        // One row per band at each of the scenario's WTPs (30,000 and 50,000).
        assert_eq!(table.matches(&format!(">{band}<")).count(), 2, "{band}");
    }
    assert!(!wd.read("r_plain/report.html").contains("psa-subgroup-table"));
}
