//! Snapshots of the files the commands write, with insta: any change to a number, a column or
//! a row of these outputs fails the test until someone looks at it and accepts it.
//!
//! Each snapshot is named after the command, scenario and file it pins
//! (`psa_default_ceac_csv`) and lives in `tests/snapshots/` as a `.snap` file, committed.
//! The numbers come from f64 arithmetic that is deterministic on one platform; a different
//! platform or libm may move the last digits, and then the snapshots say so.
//!
//! Reviewing and accepting a change: a local `cargo test --test cli snapshots` that finds a
//! difference fails and leaves the new value beside the old as `tests/snapshots/*.snap.new`.
//! - with cargo-insta (`cargo install cargo-insta`), `cargo insta review` then shows each
//!   difference and accepts or rejects it (rejecting deletes the `.snap.new` file);
//! - without it, `INSTA_UPDATE=always cargo test --test cli snapshots` rewrites the `.snap`
//!   files in place, and `git diff tests/snapshots` is the review; commit what is intended and
//!   delete any `.snap.new` left over.
//!
//! CI never writes:
//! `.ci/run` runs with `CI=true`, under which insta's default (`INSTA_UPDATE=auto`) behaves as
//! `INSTA_UPDATE=no`: a changed or missing snapshot fails the run and nothing is written.
//!
//! The commands run from the repository root with a relative scenario path, so that the path
//! `summary.json` records (`scenarios/default.toml`) is the same in every clone; their outputs
//! go to a temporary directory.

use crate::util::{Workdir, repo};

/// Runs `cirrhosim args... --out <workdir>/<out>` from the repository root.
fn cirrhosim(wd: &Workdir, args: &[&str], out: &str) {
    wd.cmd().current_dir(repo()).args(args).arg("--out").arg(wd.path().join(out)).assert().success();
}

/// `summary.json` without its `throughput` block (patient-cycles per second and seconds: the
/// one part that changes from run to run), pretty-printed.
fn summary_without_throughput(text: &str) -> String {
    let mut summary: serde_json::Value = serde_json::from_str(text).expect("summary.json is JSON");
    summary.as_object_mut().expect("summary.json is an object").remove("throughput");
    serde_json::to_string_pretty(&summary).expect("JSON")
}

/// The first `n` lines of `text`, each with its newline.
fn head(text: &str, n: usize) -> String {
    text.lines().take(n).map(|l| format!("{l}\n")).collect()
}

#[test]
fn run_summaries() {
    let wd = Workdir::new();
    cirrhosim(&wd, &["run", "scenarios/teaching.toml", "--patients", "2000", "--quiet"], "teaching");
    insta::assert_snapshot!("run_teaching_summary_json", summary_without_throughput(&wd.read("teaching/summary.json")));
    cirrhosim(&wd, &["run", "scenarios/default.toml", "--patients", "2000"], "default");
    insta::assert_snapshot!("run_default_summary_json", summary_without_throughput(&wd.read("default/summary.json")));
}

/// Issue 12 point 4: `run --by meld,etiology` on the MELD teaching scenario: the summary's
/// subgroup blocks, the head of each CSV and the terminal's subgroup table.
#[test]
fn run_by_subgroup() {
    let wd = Workdir::new();
    let output = wd
        .cmd()
        .current_dir(repo())
        .args(["run", "scenarios/meld_heterogeneity.toml", "--patients", "3000", "--by", "meld,etiology", "--out"])
        .arg(wd.path().join("by"))
        .output()
        .expect("runs");
    assert!(output.status.success());
    let stdout = String::from_utf8(output.stdout).unwrap();
    let table = stdout.split("By subgroup").nth(1).expect("a subgroup table").split("wrote ").next().unwrap();
    insta::assert_snapshot!("run_by_terminal_table", format!("By subgroup{table}"));
    // Every subgroup's name, share and patients, and the first subgroup's block in full.
    let summary: serde_json::Value = serde_json::from_str(&wd.read("by/summary.json")).unwrap();
    let groups = summary["subgroups"].as_array().unwrap();
    let listed: Vec<_> = groups
        .iter()
        .map(|g| serde_json::json!({ "name": g["name"], "share": g["share"], "patients": g["patients"] }))
        .collect();
    insta::assert_snapshot!("run_by_summary_subgroups", serde_json::to_string_pretty(&listed).unwrap());
    insta::assert_snapshot!("run_by_summary_first_subgroup_json", serde_json::to_string_pretty(&groups[0]).unwrap());
    let cea = wd.read("by/cea.csv");
    insta::assert_snapshot!("run_by_cea_csv", cea);
    insta::assert_snapshot!("run_by_nmb_csv", wd.read("by/nmb.csv"));
    insta::assert_snapshot!("run_by_survival_csv_head", head(&wd.read("by/survival.csv"), 4));
}

#[test]
fn psa_outputs() {
    let wd = Workdir::new();
    cirrhosim(&wd, &["psa", "scenarios/default.toml", "--draws", "40", "--quiet"], "psa");
    insta::assert_snapshot!("psa_default_ceac_csv", wd.read("psa/ceac.csv"));
    insta::assert_snapshot!("psa_default_evpi_csv", wd.read("psa/evpi.csv"));
    insta::assert_snapshot!("psa_default_psa_summary_json", wd.read("psa/psa_summary.json"));
    insta::assert_snapshot!("psa_default_psa_draws_csv_first_5_lines", head(&wd.read("psa/psa_draws.csv"), 5));
}

/// Issue 12: `psa --by` (CEACs by subgroup), 20 draws: the whole population's rows (`all`)
/// then each MELD band's, and the summary's subgroups block.
#[test]
fn psa_by_outputs() {
    let wd = Workdir::new();
    let args = ["psa", "scenarios/meld_heterogeneity.toml", "--draws", "20", "--by", "meld", "--quiet"];
    cirrhosim(&wd, &args, "by");
    insta::assert_snapshot!("psa_by_meld_ceac_csv", wd.read("by/ceac.csv"));
    let summary: serde_json::Value = serde_json::from_str(&wd.read("by/psa_summary.json")).unwrap();
    insta::assert_snapshot!(
        "psa_by_meld_summary_subgroups",
        serde_json::to_string_pretty(&summary["subgroups"]).unwrap()
    );
}

#[test]
fn dsa_tornado() {
    let wd = Workdir::new();
    cirrhosim(&wd, &["dsa", "scenarios/default.toml", "--quiet"], "dsa");
    insta::assert_snapshot!("dsa_default_dsa_csv", wd.read("dsa/dsa.csv"));
}

#[test]
fn threshold_defaults() {
    let wd = Workdir::new();
    cirrhosim(&wd, &["threshold", "scenarios/default.toml"], "threshold");
    insta::assert_snapshot!("threshold_default_threshold_csv", wd.read("threshold/threshold.csv"));
}

/// The parameter table's `used as` column: where `Scenario::parameter_uses` finds each parameter.
#[test]
fn params_table() {
    let wd = Workdir::new();
    let output = wd.cmd().current_dir(repo()).args(["params", "scenarios/teaching.toml"]).output().expect("runs");
    assert!(output.status.success());
    insta::assert_snapshot!("params_teaching_table", String::from_utf8(output.stdout).expect("UTF-8"));
}

/// The numbered tables of `report.html` with a PSA and a DSA (issue 14), as text: one row a
/// line, cells separated by ` | `. The temporary folder's path is written `<dir>`.
#[test]
fn report_tables() {
    let wd = Workdir::new();
    cirrhosim(&wd, &["psa", "scenarios/default.toml", "--draws", "40", "--quiet"], "psa");
    cirrhosim(&wd, &["dsa", "scenarios/default.toml", "--quiet"], "dsa");
    let (psa, dsa) = (wd.path().join("psa"), wd.path().join("dsa"));
    let args = ["report", "scenarios/default.toml", "--patients", "2000", "--quiet", "--psa"];
    wd.cmd()
        .current_dir(repo())
        .args(args)
        .arg(&psa)
        .arg("--dsa")
        .arg(&dsa)
        .arg("--out")
        .arg(wd.path().join("report"))
        .assert()
        .success();
    let html = wd.read("report/report.html");
    let mut text = String::new();
    let mut rest = html.as_str();
    while let Some(start) = rest.find("<table id=\"") {
        let end = rest[start..].find("</table>").map_or(rest.len(), |k| start + k);
        let table = &rest[start..end];
        if table.contains("<caption>") {
            // Each cell: `<td ...>text</td>` or `<th>text</th>`.
            let rows = table.split("<tr>").skip(1).map(|row| {
                let cells: Vec<&str> = row
                    .split("<t")
                    .skip(1)
                    .filter_map(|c| c.split_once('>').and_then(|(_, v)| v.split("</").next()))
                    .collect();
                cells.join(" | ")
            });
            let caption = table.split("<caption>").nth(1).and_then(|c| c.split("</caption>").next()).unwrap_or("");
            text.push_str(&format!("{caption}\n"));
            for r in rows {
                text.push_str(&format!("{r}\n"));
            }
            text.push('\n');
        }
        rest = &rest[end..];
    }
    // The page escapes `/` as `&#x2f;`.
    let text = text.replace("&#x2f;", "/").replace(&wd.path().display().to_string(), "<dir>");
    insta::assert_snapshot!("report_default_tables", text);
}
