//! `cirrhosim check`: every fixture in tests/data/bad gives exactly the message in its
//! `.expected` file, and the shipped scenarios pass.
//!
//! A fixture whose `.expected` has an `error:` line must fail (exit code 1, nothing on stdout);
//! one with only `warning:` lines must pass (exit code 0, the `ok` line on stdout) and print
//! exactly those warnings.

use crate::util::{Workdir, repo};
use predicates::str::starts_with;

#[test]
fn every_bad_fixture_gives_its_exact_message() {
    let dir = repo().join("tests/data/bad");
    let (mut errors, mut warnings) = (0, 0);
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
        assert_eq!(String::from_utf8_lossy(&out.stderr), expected, "{name}: message");
        let stdout = String::from_utf8_lossy(&out.stdout);
        if expected.lines().any(|l| l.starts_with("error:")) {
            assert_eq!(out.status.code(), Some(1), "{name}: exit code");
            assert!(stdout.is_empty(), "{name}: printed to stdout");
            errors += 1;
        } else {
            assert!(
                expected.lines().all(|l| l.starts_with("warning: ")),
                "{name}: .expected is neither errors nor warnings"
            );
            assert_eq!(out.status.code(), Some(0), "{name}: exit code (warnings only)");
            assert!(stdout.starts_with(&format!("{name}: ok (")), "{name}: {stdout}");
            warnings += 1;
        }
    }
    assert!(errors >= 40, "only {errors} error fixtures");
    assert!(warnings >= 4, "only {warnings} warning fixtures");
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

/// Issue 10: inputs the fuzzer (and hand-written edge cases run through its target) made abort,
/// hang or run out of memory. Each must now end with exit 0 (a model) or 1 (a located error).
#[test]
fn fuzz_findings_are_errors_or_models_never_crashes() {
    let dir = crate::util::repo().join("fuzz/artifacts-found");
    let mut n = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|e| e != "toml") {
            continue;
        }
        n += 1;
        let out = crate::util::Workdir::new().cmd().arg("check").arg(&path).output().unwrap();
        let code = out.status.code();
        assert!(
            matches!(code, Some(0) | Some(1)),
            "{}: exit {code:?}\n{}",
            path.display(),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    assert!(n >= 5, "the fuzz findings are replayed ({n} found)");
}

/// Issue 15: `--json` lists the problems as records for the R package; `--set` values are
/// checked like the file's, keyed `set.NAME`.
#[test]
fn json_problems_and_set_values() {
    let wd = crate::util::Workdir::new();
    let out = wd.cmd().args(["check", "--json"]).output().unwrap();
    assert_eq!((out.status.code(), String::from_utf8_lossy(&out.stdout).trim()), (Some(0), "[]"));
    let out = wd.cmd().args(["check", "--json", "--set", "u_comp=1.5", "--set", "nope=1"]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let problems: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let keys: Vec<&str> = problems.as_array().unwrap().iter().map(|p| p["key"].as_str().unwrap()).collect();
    assert_eq!(keys, ["set.nope", "set.u_comp.value"]);
    assert_eq!(
        problems[0]["message"],
        "unknown parameter \"nope\" (define it under [parameters.nope] or in a parameter_files CSV)"
    );
    assert!(problems[0]["line"].is_null() && problems[1]["line"].is_null());
    let out = wd.cmd().args(["check", "--set", "c_msc_infusion=NaN"]).output().unwrap();
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        "error: scenarios/default.toml (embedded): set.c_msc_infusion.value: NaN is not a valid cost: must be a finite number\n"
    );
    wd.cmd().args(["check", "--set", "c_msc_infusion"]).assert().code(2).stderr(predicates::str::contains(
        "invalid value 'c_msc_infusion' for '--set <NAME=VALUE>': must be NAME=VALUE",
    ));
}
