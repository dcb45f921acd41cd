//! Rules every command follows: each number on the command line is checked by clap before any
//! work, with the flag and the rule named (exit status 2); `--quiet` prints nothing; nothing is
//! written outside `--out`.

use crate::util::{Workdir, repo};
use predicates::prelude::PredicateBooleanExt;
use predicates::str::contains;

/// Runs `args` and checks that clap refused `value` for `--flag` with `rule` in the message.
fn refused(args: &[&str], flag: &str, value: &str, rule: &str) {
    let wd = Workdir::new();
    wd.cmd()
        .args(args)
        .assert()
        .code(2)
        .stderr(contains(format!("error: invalid value '{value}' for '--{flag} ")))
        .stderr(contains(rule))
        .stderr(contains("unexpected argument").not());
    let left: Vec<_> = std::fs::read_dir(wd.path()).unwrap().collect();
    assert!(left.is_empty(), "{args:?} wrote {left:?}");
}

#[test]
fn patients_at_least_one() {
    for command in ["run", "report", "psa", "verify"] {
        refused(&[command, "--patients", "0"], "patients", "0", "must be at least 1");
    }
    refused(&["run", "--patients", "abc"], "patients", "abc", "must be a whole number from 1 to 1000000000000");
}

#[test]
fn negative_numbers_reach_the_rule() {
    refused(&["run", "--patients", "-5"], "patients", "-5", "must be at least 1");
    refused(&["psa", "--draws", "-3"], "draws", "-3", "must be at least 1");
    refused(&["run", "--seed", "-1"], "seed", "-1", "must not be negative");
    refused(&["run", "--threads", "-2"], "threads", "-2", "must be at least 1");
    refused(&["trace", "--cycles", "-1"], "cycles", "-1", "must be at least 1");
    refused(&["dsa", "--steps", "-4"], "steps", "-4", "must be at least 2");
    refused(&["serve", "--port", "-1"], "port", "-1", "must not be negative");
    refused(&["dsa", "--wtp", "-50000"], "wtp", "-50000", "must be >= 0");
}

#[test]
fn paths_patients_at_most_ten_thousand() {
    refused(&["paths", "--patients", "100000000"], "patients", "100000000", "must be at most 10000");
    refused(&["paths", "--patients", "0"], "patients", "0", "must be at least 1");
    Workdir::new().cmd().args(["paths", "--patients", "10000", "--strategy", "standard_care"]).assert().success();
}

#[test]
fn draws_at_least_one() {
    refused(&["psa", "--draws", "0"], "draws", "0", "must be at least 1");
}

#[test]
fn threads_from_one_to_1024() {
    for command in ["run", "psa", "report", "dsa", "verify"] {
        refused(&[command, "--threads", "0"], "threads", "0", "must be at least 1");
    }
    refused(&["run", "--threads", "100000"], "threads", "100000", "must be at most 1024");
}

#[test]
fn steps_from_two_to_1001() {
    refused(&["dsa", "--steps", "1"], "steps", "1", "must be at least 2");
    refused(&["dsa", "--steps", "1002"], "steps", "1002", "must be at most 1001");
}

#[test]
fn cycles_at_least_one() {
    refused(&["trace", "--cycles", "0"], "cycles", "0", "must be at least 1");
    refused(&["explain", "--cycles", "0"], "cycles", "0", "must be at least 1");
}

#[test]
fn port_at_most_65535() {
    refused(&["serve", "--port", "70000"], "port", "70000", "must be at most 65535");
}

#[test]
fn wtp_finite_and_not_negative() {
    let psa = repo().join("tests/data/none");
    let psa = psa.to_str().unwrap();
    for (command, extra) in [("dsa", None), ("threshold", None), ("report", None), ("evppi", Some(psa))] {
        for (value, rule) in [
            ("NaN", "must be a finite number >= 0, not NaN"),
            ("inf", "must be a finite number >= 0"),
            ("-1", "must be >= 0"),
            ("abc", "is not a number"),
        ] {
            let mut args = vec![command];
            args.extend(extra);
            args.extend(["--wtp", value]);
            refused(&args, "wtp", value, rule);
        }
    }
    // Each value of a list is checked.
    refused(&["threshold", "--wtp", "20000,NaN"], "wtp", "NaN", "not NaN");
}

#[test]
fn between_two_finite_numbers_low_below_high() {
    for value in ["5,1", "1,1", "1", "NaN,2", "0,inf", "-5,x"] {
        refused(
            &["threshold", "--between", value],
            "between",
            value,
            "must be two finite numbers low,high with low < high",
        );
    }
}

#[test]
fn two_way_two_different_names() {
    for value in ["a", "a,b,c", "a,a"] {
        refused(&["dsa", "--two-way", value], "two-way", value, "needs exactly two different parameter names");
    }
}

#[test]
fn strategy_and_comparator_must_differ() {
    let wd = Workdir::new();
    for command in ["dsa", "threshold"] {
        wd.cmd()
            .args([command, "--strategy", "standard_care"])
            .assert()
            .code(1)
            .stderr(contains("error: --comparator standard_care: is the strategy itself"));
        wd.cmd()
            .args([command, "--comparator", "nope"])
            .assert()
            .code(1)
            .stderr(contains("no strategy named \"nope\" (strategies: standard_care, uc_msc)"));
    }
    assert!(std::fs::read_dir(wd.path()).unwrap().next().is_none());
}

/// Every command that writes files writes them under `--out` and nowhere else, and prints
/// nothing with `--quiet`.
#[test]
fn quiet_commands_write_only_under_out() {
    let wd = Workdir::new();
    let targets = repo().join("data/targets/decompensated_survival.csv");
    let targets = targets.to_str().unwrap();
    let runs: [&[&str]; 10] = [
        &["run", "--patients", "500", "--out", "out/run"],
        &["psa", "--draws", "8", "--out", "out/psa"],
        &["psa", "--draws", "8", "--shard", "0/2", "--out", "out/s0"],
        &["psa", "--draws", "8", "--shard", "1/2", "--out", "out/s1"],
        &["merge", "out/s0", "out/s1", "--out", "out/merged"],
        &["evppi", "out/psa", "--wtp", "30000", "--out", "out/evppi"],
        &["dsa", "--out", "out/dsa"],
        &["threshold", "--wtp", "30000", "--parameter", "c_msc_infusion", "--out", "out/threshold"],
        &["calibrate", "--target", targets, "--parameter", "r_liver_death_first_decomp", "--out", "out/calibration"],
        &["report", "--patients", "500", "--psa", "out/psa", "--dsa", "out/dsa", "--out", "out/report"],
    ];
    for args in runs {
        wd.cmd().args(args).arg("--quiet").assert().success().stdout("").stderr("");
    }
    let top: Vec<_> = std::fs::read_dir(wd.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert_eq!(top, ["out"], "only --out directories are written");
    let mut evppi: Vec<_> =
        std::fs::read_dir(wd.path().join("out/evppi")).unwrap().map(|e| e.unwrap().file_name()).collect();
    evppi.sort();
    assert_eq!(evppi, ["cirrhosim-run.json", "evppi.csv"]);
    assert!(!wd.path().join("out/psa/evppi.csv").exists(), "--out moves evppi.csv out of the PSA directory");
    // Check and verify answer with their exit status alone under --quiet.
    for args in [&["check", "--quiet"][..], &["verify", "--patients", "2000", "--quiet"]] {
        wd.cmd().args(args).assert().success().stdout("").stderr("");
    }
    // The commands whose output is the terminal write no file.
    for args in [&["check"][..], &["trace"], &["explain"], &["paths"], &["params"], &["default-scenario"]] {
        wd.cmd().args(args).assert().success();
    }
    assert_eq!(std::fs::read_dir(wd.path()).unwrap().count(), 1);
}

/// Without a terminal, a short run prints no progress (lines come every 5 seconds) and leaves
/// no bar residue on stderr.
#[test]
fn no_progress_noise_off_a_terminal() {
    let wd = Workdir::new();
    wd.cmd().args(["run", "--patients", "500", "--out", "o"]).assert().success().stderr("");
    wd.cmd().args(["psa", "--draws", "5", "--out", "p"]).assert().success().stderr("");
}

#[test]
fn evppi_refuses_a_psa_without_draws() {
    let wd = Workdir::new();
    std::fs::create_dir(wd.path().join("p")).unwrap();
    wd.write("p/psa_draws.csv", "draw,strategy,cost,qaly,life_years,c_msc_infusion\n");
    wd.cmd()
        .args(["evppi", "p"])
        .assert()
        .code(1)
        .stderr(contains("p: cannot read it back: it has no cirrhosim-run.json"));
    assert!(!wd.path().join("p/evppi.csv").exists());
}
