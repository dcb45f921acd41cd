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
        "<h2>Model</h2>",
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
    // Plots are inline SVG (3 figures + one occupancy plot per strategy), and nothing is loaded
    // from the network.
    assert_eq!(html.matches("<svg").count(), 6, "diagram, survival, 2 occupancy, costs, QALYs");
    assert!(html.contains("<figure id=\"model-diagram\"><svg"));
    assert!(
        !html.contains("http://")
            || html.matches("http://").count() == html.matches("xmlns=\"http://www.w3.org/2000/svg\"").count()
    );
    assert!(!html.contains("https://") && !html.contains("<script"));
    assert!(html.contains("to death: annual probability 0.09 (first 1 year in the state)"));
    assert!(html.contains("r_decomp_death"));
    assert!(html.contains("D&#x27;Amico") || html.contains("D'Amico"), "sources are in the parameter table");
    for svg in ["model.svg", "survival.svg", "occupancy_1.svg", "occupancy_2.svg", "costs.svg", "qalys.svg"] {
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
    assert!(html.contains("Cost-effectiveness plane: uc_msc vs standard_care (40 draws)"));
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
    assert!(plane.contains("WTP 12345") && !plane.contains("WTP 30000"), "only the --wtp line is drawn");
}
