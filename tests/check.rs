//! `cirrhosim check`: every fixture in tests/data/bad fails with exactly the message in its
//! `.expected` file, and the shipped scenarios pass.

use crate::util::{Workdir, repo};
use predicates::str::starts_with;

#[test]
fn every_bad_fixture_gives_its_exact_message() {
    let dir = repo().join("tests/data/bad");
    let mut checked = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|e| e != "toml") {
            continue;
        }
        let name = path.file_name().unwrap().to_str().unwrap().to_string();
        let expected = std::fs::read_to_string(path.with_extension("expected"))
            .unwrap_or_else(|_| panic!("{name} has no .expected file"));
        let out = assert_cmd::Command::cargo_bin("cirrhosim")
            .unwrap()
            .current_dir(&dir)
            .args(["check", &name])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(1), "{name}: exit code");
        assert_eq!(String::from_utf8_lossy(&out.stderr), expected, "{name}: message");
        assert!(out.stdout.is_empty(), "{name}: printed to stdout");
        checked += 1;
    }
    assert!(checked >= 20, "only {checked} fixtures");
}

#[test]
fn shipped_scenarios_are_valid() {
    let wd = Workdir::new();
    wd.cmd().arg("check").arg(repo().join("scenarios/teaching.toml")).assert().success();
    wd.cmd().arg("check").assert().success().stdout(starts_with("scenarios/default.toml (embedded): ok (4 states"));
}

#[test]
fn default_scenario_printed_is_the_shipped_file() {
    let wd = Workdir::new();
    let out = wd.cmd().arg("default-scenario").output().unwrap();
    assert_eq!(
        String::from_utf8(out.stdout).unwrap(),
        std::fs::read_to_string(repo().join("scenarios/default.toml")).unwrap()
    );
}
