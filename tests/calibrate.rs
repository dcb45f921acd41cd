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
    let fitted = column(&wd.read("c/calibration.csv"), "parameter", "after")[0];
    assert!((fitted - 0.3).abs() < 1e-6, "fitted {fitted}");
    // The calibrated scenario is valid and carries the note.
    wd.cmd().args(["check", "c/calibrated.toml"]).assert().success();
    assert!(wd.read("c/calibrated.toml").contains("Calibrated by cirrhosim to t.csv (was 0.5)."));
}

/// The values of `column` in the rows of `calibration.csv` of `kind` (parameter or target).
fn column(csv: &str, kind: &str, column: &str) -> Vec<f64> {
    let mut reader = csv::Reader::from_reader(csv.as_bytes());
    let at = reader.headers().unwrap().iter().position(|h| h == column).unwrap();
    reader.records().map(|r| r.unwrap()).filter(|r| &r[0] == kind).map(|r| r[at].parse().unwrap()).collect()
}

/// The four-state model (the default until issue 13) fitted to the 1- and 2-year survival of
/// decompensated cirrhosis (Clin Transl Gastroenterol 2017).
#[test]
fn four_state_scenario_to_published_decompensated_survival() {
    let wd = Workdir::new();
    wd.cmd()
        .args(["calibrate", "--parameter", "r_decomp_death", "--out", "c", "--target"])
        .arg(repo().join("data/targets/decompensated_survival.csv"))
        .arg(repo().join("scenarios/four_state.toml"))
        .assert()
        .success()
        .stdout(contains("parameter r_decomp_death"));
    let after = column(&wd.read("c/calibration.csv"), "target", "after");
    // Both fitted survival values lie inside the published 95% intervals.
    assert!((0.49..=0.67).contains(&after[0]) && (0.70..=0.82).contains(&after[1]), "{after:?}");
}

/// Without --target and --parameter, calibrate uses the scenario's [calibration]; a scenario
/// without one is told which flag to give.
#[test]
fn the_scenarios_calibration_table_is_the_default() {
    let wd = Workdir::new();
    let targets = "\n[calibration]\nparameters = [\"r\"]\n[[calibration.targets]]\nstart = \"alive\"\ncurve = \"overall_survival\"\nyears = 2\nvalue = 0.5488116360940264\nsource = \"exact\"\n";
    wd.write("s.toml", &format!("{TWO_STATE}{targets}"));
    wd.cmd().args(["calibrate", "s.toml", "--out", "c"]).assert().success().stdout(contains("from alive"));
    let fitted = column(&wd.read("c/calibration.csv"), "parameter", "after")[0];
    assert!((fitted - 0.3).abs() < 1e-6, "fitted {fitted}");
    wd.write("plain.toml", TWO_STATE);
    wd.cmd()
        .args(["calibrate", "plain.toml", "--parameter", "r"])
        .assert()
        .failure()
        .stderr(contains("--target (not given): is needed: the scenario has no [[calibration.targets]]"));
}

#[test]
fn bad_targets_are_named() {
    let wd = Workdir::new();
    wd.write("t.csv", "strategy,curve,years,value,lower,upper,source\nstandard_care,occupancy:nowhere,2,0.5,,,x\n");
    wd.cmd()
        .args(["calibrate", "--target", "t.csv", "--parameter", "r_decomp_death"])
        .arg(repo().join("scenarios/four_state.toml"))
        .assert()
        .failure()
        .stderr(contains("t.csv:2: column \"curve\": \"occupancy:nowhere\" is not one of: overall_survival"));
    // Issue 10: targets in percent were accepted, and target errors were blamed on the scenario.
    wd.write("p.csv", "strategy,curve,years,value,lower,upper,source\nstandard_care,overall_survival,2,52,49,67,x\n");
    wd.cmd()
        .args(["calibrate", "--target", "p.csv", "--parameter", "r_decomp_death"])
        .arg(repo().join("scenarios/four_state.toml"))
        .assert()
        .failure()
        .stderr(contains("p.csv:2: column \"value\": 52 is not a share in [0, 1]"));
    wd.write("e.csv", "strategy,curve,years,value,lower,upper,source\n");
    wd.cmd()
        .args(["calibrate", "--target", "e.csv", "--parameter", "r_decomp_death"])
        .arg(repo().join("scenarios/four_state.toml"))
        .assert()
        .failure()
        .stderr(contains("e.csv:1: has no targets"));
    wd.write("h.csv", "strategy,curve,years,value,lower,upper,source\nstandard_care,overall_survival,200,0.1,,,x\n");
    wd.cmd()
        .args(["calibrate", "--target", "h.csv", "--parameter", "r_decomp_death"])
        .arg(repo().join("scenarios/four_state.toml"))
        .assert()
        .failure()
        .stderr(contains("h.csv:2: column \"years\": 200 lies beyond the model's horizon"));
}

/// Issue 10: calibrating a parameter that lives in a parameter CSV printed "wrote" and wrote an
/// unchanged scenario; the PSA distribution stayed centred on the old value; relative paths did
/// not load from the output folder.
#[test]
fn a_csv_parameter_is_written_inline_recentred_and_the_result_loads() {
    let wd = Workdir::new();
    std::fs::create_dir(wd.path().join("model")).unwrap();
    let scenario =
        TWO_STATE.replace("[parameters.r]\nvalue = 0.5\nkind = \"annual_rate\"\nsource = \"starting guess\"\n", "");
    let scenario = format!("parameter_files = [\"p.csv\"]\n{scenario}");
    assert!(scenario.contains("parameter_files"));
    wd.write("model/s.toml", &scenario);
    wd.write(
        "model/p.csv",
        "name,value,unit,kind,dist,dist_a,dist_b,low,high,source,note\nr,0.5,per year,annual_rate,gamma,16,0.03125,0.25,1,guess,\n",
    );
    let target = (-0.3f64 * 2.0).exp();
    wd.write(
        "t.csv",
        &format!("strategy,curve,years,value,lower,upper,source\nonly,overall_survival,2,{target},,,exact\n"),
    );
    wd.cmd()
        .args(["calibrate", "model/s.toml", "--target", "t.csv", "--parameter", "r", "--out", "c"])
        .assert()
        .success()
        .stdout(contains("r: 0.5 -> 0.3"))
        .stdout(contains("from a parameter CSV; now defined inline"))
        .stdout(contains("re-centred to gamma(16.0000, 0.018750)"));
    let text = wd.read("c/calibrated.toml");
    assert!(text.contains("[parameters.r]"), "{text}");
    // Loads from the output folder's point of view and from elsewhere, and has the fitted value.
    wd.cmd().args(["check", "c/calibrated.toml"]).assert().success();
    let params = wd.cmd().args(["params", "c/calibrated.toml"]).assert().success();
    let out = String::from_utf8(params.get_output().stdout.clone()).unwrap();
    let row = out.lines().find(|l| l.contains(" r ") || l.starts_with("│ r ")).unwrap_or_default().to_string();
    assert!(row.contains("0.3") && row.contains("gamma(16.0000, 0.0188)"), "{out}");
}

/// Issue 15: calibrate rewrites the scenario file's text, so it refuses values set outside it.
#[test]
fn calibrate_refuses_set_values() {
    crate::util::Workdir::new()
        .cmd()
        .args(["calibrate", "--set", "c_msc_infusion=1", "--target", "t.csv", "--parameter", "r_decomp_death"])
        .arg(repo().join("scenarios/four_state.toml"))
        .assert()
        .failure()
        .stderr(predicates::str::contains("--set c_msc_infusion=1: is not taken by calibrate"));
}
