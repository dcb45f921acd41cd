//! `cirrhosim calibrate`.

use crate::util::{Workdir, repo};
use predicates::str::contains;

const TWO_STATE: &str = r#"
[scenario]
name = "two_state"
[settings]
cycle_length = "1 month"
horizon = "10 years"
patients = 100
seed = 1
[cohort]
start_age = 60
fraction_male = 0.5
start_state = { alive = 1.0 }
[[states]]
name = "alive"
[[states]]
name = "dead"
absorbing = true
alive = false
[parameters.r]
value = 0.5
kind = "annual_rate"
source = "starting guess"
[[transitions]]
from = "alive"
to = "dead"
rate = "r"
[[strategies]]
name = "only"
"#;

/// Survival exp(-0.3 x 2) at 2 years has one exact answer: r = 0.3.
#[test]
fn recovers_a_known_rate_and_writes_a_valid_calibrated_scenario() {
    let wd = Workdir::new();
    wd.write("s.toml", TWO_STATE);
    let target = (-0.3f64 * 2.0).exp();
    wd.write(
        "t.csv",
        &format!("strategy,curve,years,value,lower,upper,source\nonly,overall_survival,2,{target},,,exact\n"),
    );
    wd.cmd().args(["calibrate", "s.toml", "--target", "t.csv", "--parameter", "r", "--out", "c"]).assert().success();
    let csv = wd.read("c/calibration.csv");
    let fitted: f64 = csv.lines().nth(1).unwrap().split(',').nth(5).unwrap().parse().unwrap();
    assert!((fitted - 0.3).abs() < 1e-6, "fitted {fitted}");
    // The calibrated scenario is valid and carries the note.
    wd.cmd().args(["check", "c/calibrated.toml"]).assert().success();
    assert!(wd.read("c/calibrated.toml").contains("Calibrated by cirrhosim to t.csv (was 0.5)."));
}

#[test]
fn default_scenario_to_published_decompensated_survival() {
    let wd = Workdir::new();
    wd.cmd()
        .args(["calibrate", "--parameter", "r_decomp_death", "--out", "c", "--target"])
        .arg(repo().join("data/targets/decompensated_survival.csv"))
        .assert()
        .success()
        .stdout(contains("parameter r_decomp_death"));
    let csv = wd.read("c/calibration.csv");
    let after: Vec<f64> = csv
        .lines()
        .filter(|l| l.starts_with("target,"))
        .map(|l| l.split(',').nth(5).unwrap().parse().unwrap())
        .collect();
    // Both fitted survival values lie inside the published 95% intervals.
    assert!((0.49..=0.67).contains(&after[0]) && (0.70..=0.82).contains(&after[1]), "{after:?}");
}

#[test]
fn bad_targets_are_named() {
    let wd = Workdir::new();
    wd.write("t.csv", "strategy,curve,years,value,lower,upper,source\nstandard_care,occupancy:nowhere,2,0.5,,,x\n");
    wd.cmd()
        .args(["calibrate", "--target", "t.csv", "--parameter", "r_decomp_death"])
        .assert()
        .failure()
        .stderr(contains("unknown target curve \"occupancy:nowhere\""));
}
