//! `cirrhosim dsa`.

use crate::util::{Workdir, repo};
use cirrhosim::{analysis, engine::sim_cohort, model::Model, scenario::Scenario};
use predicates::str::contains;

fn rows(text: &str) -> Vec<Vec<String>> {
    text.lines().skip(1).map(|l| l.split(',').map(String::from).collect()).collect()
}

#[test]
fn tornado_is_sorted_by_swing_and_its_base_is_the_base_case() {
    let wd = Workdir::new();
    wd.cmd()
        .args(["dsa", "--wtp", "50000", "--out", "d"])
        .assert()
        .success()
        .stdout(contains("uc_msc vs standard_care, wtp 50000 per QALY"))
        .stdout(contains("c_msc_infusion"));
    let csv = wd.read("d/dsa.csv");
    // Issue 13: the MSC price's range, USD 2024 1,500-9,333 per infusion, converted to EUR 2013
    // (x 0.575383, CCEMG-EPPI-Centre); it was 1500-9333 taken at par before.
    assert!(
        csv.starts_with(
            "parameter,low_value,high_value,outcome,low_result,high_result,base\nc_msc_infusion,863.0746836261393,5370.050681521839,inc_nmb,"
        ),
        "{csv}"
    );
    let nmb: Vec<Vec<String>> = rows(&csv).into_iter().filter(|r| r[3] == "inc_nmb").collect();
    let swings: Vec<f64> =
        nmb.iter().map(|r| (r[5].parse::<f64>().unwrap() - r[4].parse::<f64>().unwrap()).abs()).collect();
    assert!(swings.windows(2).all(|w| w[0] >= w[1]), "{swings:?}");
    // The base column equals the base case computed the way `run` does, to the bit.
    let s = Scenario::default_scenario().unwrap();
    let model = Model::from_scenario(&s).unwrap();
    let t: Vec<_> = (0..2).map(|i| analysis::cohort_totals(&model, &sim_cohort(&model, i)).unwrap()).collect();
    let base_nmb = 50000.0 * (t[1].qaly - t[0].qaly) - (t[1].cost - t[0].cost);
    let base_icer = (t[1].cost - t[0].cost) / (t[1].qaly - t[0].qaly);
    assert_eq!(nmb[0][6], base_nmb.to_string());
    let icer_row = rows(&csv).into_iter().find(|r| r[3] == "icer").unwrap();
    assert_eq!(icer_row[6], base_icer.to_string());
    // Every used parameter with a range (not a derived one) appears once per outcome: 29 in the
    // nine-state default (18 in the four-state model before issue 13).
    let ranged = s
        .parameters
        .iter()
        .enumerate()
        .filter(|(i, p)| s.uses_parameter(*i) && p.low.is_some() && p.high.is_some() && !p.is_derived())
        .count();
    assert_eq!((nmb.len(), ranged), (29, 29));
    let mut names: Vec<&str> = nmb.iter().map(|r| r[0].as_str()).collect();
    names.sort();
    names.dedup();
    assert_eq!(names.len(), nmb.len());
    // A higher MSC price lowers the incremental NMB.
    assert!(nmb[0][5].parse::<f64>().unwrap() < nmb[0][4].parse::<f64>().unwrap());
}

#[test]
fn two_way_grid() {
    let wd = Workdir::new();
    wd.cmd()
        .args(["dsa", "--quiet", "--two-way", "msc_meld_md_24wk,c_msc_infusion", "--steps", "4", "--out", "d"])
        .assert()
        .success();
    let grid = wd.read("d/dsa_two_way.csv");
    assert_eq!(grid.lines().count(), 1 + 16);
    // USD 1,500 (2024) in EUR 2013 (issue 13).
    assert!(grid.lines().nth(1).unwrap().starts_with("msc_meld_md_24wk,-3.35,c_msc_infusion,863.0746836261393,"));
    wd.cmd()
        .args(["dsa", "--two-way", "nope,c_msc_infusion", "--out", "e"])
        .assert()
        .failure()
        .stderr(contains("parameters.nope: \"nope\" is not a used parameter with both low and high"));
}

#[test]
fn survival_only_scenario_is_refused() {
    let wd = Workdir::new();
    wd.cmd()
        .arg("dsa")
        .arg(repo().join("scenarios/teaching.toml"))
        .assert()
        .failure()
        .stderr(contains("needs costs and QALYs"));
}

#[test]
fn default_wtp_is_the_scenarios_second_value() {
    let wd = Workdir::new();
    wd.cmd()
        .args(["dsa", "--out", "d"])
        .assert()
        .success()
        .stdout(contains("uc_msc vs standard_care, wtp 30000 per QALY"));
}

/// A scenario whose parameters have no `low`/`high` has nothing to vary: a clear error with the
/// fix, a non-zero exit and no half-written folder (a header-only dsa.csv used to be written,
/// which the report then refused as an unfinished run).
#[test]
fn nothing_to_vary_is_an_error_not_an_empty_table() {
    let wd = crate::util::Workdir::new();
    let text = std::fs::read_to_string(crate::util::repo().join("scenarios/meld_heterogeneity.toml")).unwrap();
    let without_ranges: String = text
        .lines()
        .filter(|l| !l.starts_with("low =") && !l.starts_with("high ="))
        .map(|l| format!("{l}\n"))
        .collect();
    std::fs::write(wd.path().join("s.toml"), without_ranges).unwrap();
    wd.cmd()
        .args(["dsa", "--out", "d", "s.toml"])
        .assert()
        .failure()
        .stderr(predicates::str::contains("no parameter the model uses has both low and high"));
    assert!(!wd.path().join("d/dsa.csv").exists());
}
