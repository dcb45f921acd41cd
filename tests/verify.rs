//! `cirrhosim verify`.

use crate::util::{Workdir, repo};
use predicates::str::contains;

#[test]
fn shipped_economic_scenarios_pass_every_check() {
    let wd = Workdir::new();
    // meld_values: costs and utilities that read the covariates (the non-negative-values check
    // once turned their formulas into NaN).
    for file in ["scenarios/chancellor_hiv.toml", "scenarios/optimistic.toml", "scenarios/meld_values.toml"] {
        let out = wd.cmd().args(["verify", "--patients", "20000"]).arg(repo().join(file)).output().unwrap();
        let text = String::from_utf8(out.stdout).unwrap();
        assert!(out.status.success(), "{file}:\n{text}");
        assert_eq!(text.matches("┆ pass ").count(), 13, "{file}:\n{text}");
        assert!(!text.contains("FAIL"));
    }
}

#[test]
fn default_scenario_verifies_and_names_the_figures() {
    let wd = Workdir::new();
    wd.cmd()
        .args(["verify", "--patients", "20000"])
        .assert()
        .success()
        .stdout(contains("utilities 1 and no discounting: QALYs = life years"))
        .stdout(contains("half_cycle weights: 45.000000000000 years vs horizon 45 years"))
        // EUR 190,982 per QALY in the nine-state default of issue 13 (141,577 in the four-state
        // model with the converted MSC price, 233,931 at par before).
        .stdout(contains("Monte Carlo occupancy within its bound of the cohort"))
        .stdout(contains("ICER 190982."));
}

#[test]
fn survival_only_scenario_skips_economic_checks() {
    let wd = Workdir::new();
    let out =
        wd.cmd().args(["verify", "--patients", "5000"]).arg(repo().join("scenarios/teaching.toml")).output().unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    assert_eq!(text.matches("┆ pass ").count(), 4, "{text}");
    assert_eq!(text.matches("┆ skip ").count(), 9, "{text}");
}
