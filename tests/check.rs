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
    let mut n = 0;
    for entry in std::fs::read_dir(repo().join("scenarios")).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "toml") {
            wd.cmd().arg("check").arg(&path).assert().success();
            n += 1;
        }
    }
    assert!(n >= 10, "{n} scenarios");
    wd.cmd().arg("check").assert().success().stdout(starts_with("scenarios/default.toml (embedded): ok (9 states"));
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

/// Issue 11: `start_age` and `fraction_male` may be left out when nothing reads age or sex; the
/// scenario then runs, and `explain` and `paths` show no age, since none was given.
#[test]
fn a_cohort_without_age_or_sex_runs_and_shows_no_made_up_age() {
    let wd = Workdir::new();
    let text = std::fs::read_to_string(repo().join("scenarios/teaching.toml")).unwrap();
    let without = text
        .lines()
        .filter(|l| !l.starts_with("start_age") && !l.starts_with("fraction_male"))
        .collect::<Vec<_>>()
        .join("\n");
    assert!(without.len() < text.len(), "teaching.toml has the two keys to leave out");
    wd.write("no_age.toml", &without);
    wd.cmd().args(["check", "no_age.toml"]).assert().success().stdout(starts_with("no_age.toml: ok ("));
    let out = wd.cmd().args(["explain", "--strategy", "standard_care", "no_age.toml"]).output().unwrap();
    let explained = String::from_utf8(out.stdout).unwrap();
    assert!(out.status.success() && explained.contains("for every patient"), "{explained}");
    assert!(!explained.contains("aged"), "{explained}");
    let out = wd.cmd().args(["paths", "--patients", "2", "no_age.toml"]).output().unwrap();
    let paths = String::from_utf8(out.stdout).unwrap();
    assert!(out.status.success() && !paths.contains("age "), "{paths}");
}

/// The example of several problems at once in docs/scenario-format.md is the fixture's real output.
#[test]
fn the_documented_example_is_the_fixture_output() {
    let docs = std::fs::read_to_string(repo().join("docs/scenario-format.md")).unwrap();
    let expected = std::fs::read_to_string(repo().join("tests/data/bad/several_problems.expected")).unwrap();
    let after =
        docs.split("For example (`tests/data/bad/several_problems.toml`):\n\n```\n").nth(1).expect("the example");
    let block = after.split("```").next().unwrap();
    assert_eq!(block, expected);
}

/// Issue 11: a formula that reads `male` needs `fraction_male` but not `start_age`; `explain` then
/// names the sub-cohort by sex only.
#[test]
fn a_cohort_split_by_sex_without_age_shows_no_age() {
    let wd = Workdir::new();
    let text = std::fs::read_to_string(repo().join("scenarios/teaching.toml")).unwrap();
    let without = text.lines().filter(|l| !l.starts_with("start_age")).collect::<Vec<_>>().join("\n");
    let reads_sex = without.replacen("\"p_die_compensated\"", "\"p_die_compensated * if(male == 1, 1.1, 0.9)\"", 1);
    assert_ne!(reads_sex, without, "teaching.toml uses p_die_compensated as an exit");
    wd.write("by_sex.toml", &reads_sex);
    let out = wd.cmd().args(["explain", "--strategy", "standard_care", "by_sex.toml"]).output().unwrap();
    let explained = String::from_utf8(out.stdout).unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(explained.contains("for a man, the probabilities") && !explained.contains("aged"), "{explained}");
    let out = wd.cmd().args(["paths", "--patients", "3", "by_sex.toml"]).output().unwrap();
    let paths = String::from_utf8(out.stdout).unwrap();
    assert!(out.status.success() && paths.contains("male") && !paths.contains("male 0"), "{paths}");
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

/// `check` states the two conventions published models are most often mis-stated in: how a
/// state's exits combine, and a counting rule that leaves out the starting cohort.
#[test]
fn check_states_the_conventions_that_change_results() {
    let wd = Workdir::new();
    let out = wd.cmd().arg("check").output().unwrap();
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(stdout.contains("are competing risks on the rate scale"), "{stdout}");
    assert!(stdout.contains("writes cycle_probability = \"(1 - p_die) * p_move\" instead"), "{stdout}");
    let out = wd.cmd().arg("check").arg(repo().join("scenarios/chancellor_hiv.toml")).output().unwrap();
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(stdout.contains("exits of A, B, C are per-cycle probabilities, used as given"), "{stdout}");
    assert!(
        stdout.contains(
            "counting within a cycle: end_of_cycle: each cycle is valued at the cohort at its end, so the starting cohort (boundary 0) is not counted"
        ),
        "{stdout}"
    );
}

/// `check` measures the stratification error of a population's numeric covariates by running
/// the cohort with twice the strata.
#[test]
fn check_reports_the_stratification_error() {
    let wd = crate::util::Workdir::new();
    wd.cmd()
        .arg("check")
        .arg(repo().join("scenarios/meld_heterogeneity.toml"))
        .assert()
        .success()
        .stdout(predicates::str::contains(
            "population: 24 profiles; numeric covariates in 8 quantile strata. With 16 strata overall survival moves by at most 0.001806",
        ));
    // Issue 12: with correlated covariates (a Gaussian copula) the finer run has the copula's
    // shares of the finer strata.
    wd.cmd()
        .arg("check")
        .arg(repo().join("scenarios/meld_albumin_copula.toml"))
        .assert()
        .success()
        .stdout(predicates::str::contains(
            "population: 108 profiles; numeric covariates in 6 quantile strata. With 12 strata overall survival moves by at most 0.003328",
        ));
}

/// A population from a patients file is held to the same declaration rules as one with
/// distributions: overlapping bands and a name formulas cannot read are reported.
#[test]
fn patients_file_declarations_follow_the_same_rules() {
    let wd = crate::util::Workdir::new();
    let scenario = std::fs::read_to_string(repo().join("scenarios/meld_patients_file.toml")).unwrap();
    std::fs::copy(repo().join("scenarios/meld_patients.csv"), wd.path().join("meld_patients.csv")).unwrap();
    let bad = scenario
        .replace("meld_15_to_20 = [15, 20]", "meld_15_to_20 = [14, 20]")
        .replace("[population.covariates.etiology]", "[population.covariates.\"etio-logy\"]")
        .replace("meld,etiology", "meld,etio-logy");
    std::fs::write(wd.path().join("s.toml"), bad).unwrap();
    let mut csv = std::fs::read_to_string(repo().join("scenarios/meld_patients.csv")).unwrap();
    csv = csv.replacen("patient,meld,etiology,weight", "patient,meld,etio-logy,weight", 1);
    std::fs::write(wd.path().join("meld_patients.csv"), csv).unwrap();
    wd.cmd()
        .args(["check", "s.toml"])
        .assert()
        .failure()
        .stderr(predicates::str::contains("bands \"meld_below_15\" and \"meld_15_to_20\" overlap"))
        .stderr(predicates::str::contains("covariate \"etio-logy\": a covariate's name must be letters, digits and _"));
}
