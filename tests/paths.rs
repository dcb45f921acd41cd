//! `cirrhosim paths`.

use crate::util::{Workdir, repo};
use predicates::str::contains;

#[test]
fn paths_show_patients_and_are_reproducible() {
    let wd = Workdir::new();
    let scenario = repo().join("scenarios/teaching.toml");
    let first = wd.cmd().args(["paths", "--patients", "5", "--seed", "3"]).arg(&scenario).output().unwrap();
    let second = wd.cmd().args(["paths", "--patients", "5", "--seed", "3"]).arg(&scenario).output().unwrap();
    assert!(first.status.success());
    assert_eq!(first.stdout, second.stdout);
    let text = String::from_utf8(first.stdout).unwrap();
    assert!(text.contains("compensated 0.00"), "{text}");
    assert_eq!(text.matches("compensated 0.00").count(), 10, "5 patients x 2 strategies");
}

#[test]
fn default_paths_name_sex_and_age() {
    let wd = Workdir::new();
    wd.cmd()
        .args(["paths", "--patients", "3"])
        .assert()
        .success()
        .stdout(contains("male 55, meld "))
        .stdout(contains("decompensated_first 0.00"));
}

/// With a population, each patient's row shows its covariates (the profile it drew).
#[test]
fn paths_show_each_patients_covariates() {
    let wd = Workdir::new();
    wd.cmd()
        .args(["paths", "--patients", "4", "--strategy", "msc"])
        .arg(repo().join("scenarios/meld_heterogeneity.toml"))
        .assert()
        .success()
        .stdout(predicates::str::contains("meld 24.4 (stratum 8 of 8), etiology alcohol"))
        .stdout(predicates::str::contains("meld 12.8 (stratum 3 of 8), etiology hbv"));
}
