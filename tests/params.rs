//! `cirrhosim params`.

use crate::util::{Workdir, repo};
use predicates::str::contains;

#[test]
fn lists_values_distributions_ranges_and_sources() {
    let wd = Workdir::new();
    wd.cmd()
        .arg("params")
        .assert()
        .success()
        .stdout(contains("r_decomp_death"))
        .stdout(contains("gamma(8.8590, 0.0392)"))
        .stdout(contains("0.173 - 0.63"))
        .stdout(contains("D'Amico"));
    wd.cmd()
        .arg("params")
        .arg(repo().join("scenarios/chancellor_hiv.toml"))
        .assert()
        .success()
        .stdout(contains("dirichlet(1251, 350, 116, 17)"));
}
