//! `cirrhosim trace`.

use crate::util::{Workdir, repo};
use predicates::str::contains;

#[test]
fn teaching_trace_shows_hand_values() {
    let wd = Workdir::new();
    wd.cmd()
        .args(["trace", "--cycles", "2", "--strategy", "standard_care"])
        .arg(repo().join("scenarios/teaching.toml"))
        .assert()
        .success()
        .stdout(contains("72.2500%"))
        .stdout(contains("15.5000%"))
        .stdout(contains("12.2500%"))
        .stdout(contains("msc (").not());
}

#[test]
fn unknown_strategy_is_named() {
    let wd = Workdir::new();
    wd.cmd().args(["trace", "--strategy", "nope"]).assert().failure().stderr(
        "error: scenarios/default.toml (embedded): no strategy named \"nope\" (strategies: standard_care, uc_msc)\n",
    );
}

use predicates::prelude::PredicateBooleanExt;
