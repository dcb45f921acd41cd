//! `cirrhosim explain`.

use crate::util::{Workdir, repo};
use predicates::str::contains;

#[test]
fn teaching_scenario_shows_the_hand_arithmetic() {
    let wd = Workdir::new();
    wd.cmd()
        .args(["explain", "--strategy", "standard_care"])
        .arg(repo().join("scenarios/teaching.toml"))
        .assert()
        .success()
        .stdout(contains(
            "-> decompensated, with a probability per cycle of 0.1 (p_decompensate; source: Teaching value",
        ))
        .stdout(contains("cycle 2: death = 0.850000 x 0.050000 + 0.100000 x 0.300000 + 0.050000 x 1.000000 = 0.122500"))
        .stdout(contains("72.2500%"));
}

#[test]
fn default_scenario_explains_effects_and_values() {
    let wd = Workdir::new();
    wd.cmd()
        .arg("explain")
        .assert()
        .success()
        .stdout(contains("the rate (hazard) is multiplied by 0.8182"))
        .stdout(contains("a man aged 55"))
        .stdout(contains("3. Costs and QALYs"))
        .stdout(contains("boundary 0: decompensated 1.0000 x ("));
}
