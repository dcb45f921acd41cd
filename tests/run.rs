//! `cirrhosim run`.

use crate::util::{Workdir, assert_golden, repo};
use predicates::str::contains;

#[test]
fn default_scenario_writes_survival_and_summary() {
    let wd = Workdir::new();
    wd.cmd().args(["run", "--patients", "20000", "--quiet"]).assert().success();
    let csv = wd.read("results/survival.csv");
    let mut lines = csv.lines();
    assert_eq!(lines.next(), Some("strategy,method,curve,cycle,years,estimate,lower,upper"));
    // 2 strategies x 2 methods x (2 survival curves + 9 states) x 541 cycle boundaries.
    assert_eq!(lines.count(), 2 * 2 * 11 * 541);
    for curve in
        ["overall_survival", "transplant_free_survival", "occupancy:decompensated_first", "occupancy:death_liver"]
    {
        assert!(csv.contains(&format!("uc_msc,monte_carlo,{curve},540,45,")), "{curve}");
    }
    let summary: serde_json::Value = serde_json::from_str(&wd.read("results/summary.json")).unwrap();
    assert_eq!(summary["scenario"]["name"], "default");
    assert_eq!(summary["settings"]["cycles"], 540);
    assert_eq!(summary["settings"]["patients"], 20000);
    let sc = &summary["strategies"][0]["cohort"];
    // Outpatients at a first decompensation: calibrated to 52% alive at 5 years (D'Amico 2024),
    // so the median lies a little beyond 5 years.
    let median = sc["median_os_years"].as_f64().unwrap();
    assert!((5.0..6.0).contains(&median), "median {median}");
    // Every calibration target's fit is in the summary, inside its interval.
    let fit = summary["evidence"]["calibration"].as_array().unwrap();
    assert_eq!(fit.len(), 9);
    assert!(fit.iter().all(|f| f["inside"] == true), "{fit:?}");
    assert!(summary.get("throughput").is_none(), "timings would make the file differ from run to run");
    // Monte Carlo life years bracket the exact value.
    let mc = &summary["strategies"][0]["monte_carlo"];
    let exact = sc["life_years"].as_f64().unwrap();
    assert!(mc["life_years_lower"].as_f64().unwrap() < exact && exact < mc["life_years_upper"].as_f64().unwrap());
}

#[test]
fn terminal_table_and_timing_line() {
    let wd = Workdir::new();
    wd.cmd()
        .args(["run", "--patients", "5000", "--timing", "--out", "out"])
        .assert()
        .success()
        .stdout(contains("standard_care"))
        .stdout(contains("median OS, years"))
        .stdout(contains("throughput: "))
        .stdout(contains("patient-cycles/s"));
    assert!(wd.path().join("out/survival.csv").exists());
}

fn without_throughput(json: &str) -> serde_json::Value {
    let mut v: serde_json::Value = serde_json::from_str(json).unwrap();
    v.as_object_mut().unwrap().remove("throughput");
    v
}

#[test]
fn same_seed_gives_identical_files_for_one_and_two_threads() {
    let wd = Workdir::new();
    for (threads, out) in [("1", "one"), ("2", "two")] {
        wd.cmd().args(["run", "--patients", "30000", "--quiet", "--threads", threads, "--out", out]).assert().success();
    }
    assert_eq!(wd.read("one/survival.csv"), wd.read("two/survival.csv"));
    assert_eq!(without_throughput(&wd.read("one/summary.json")), without_throughput(&wd.read("two/summary.json")));
    // And a different seed changes the Monte Carlo rows (so the comparison above can fail).
    wd.cmd().args(["run", "--patients", "30000", "--quiet", "--seed", "2", "--out", "other"]).assert().success();
    assert_ne!(wd.read("one/survival.csv"), wd.read("other/survival.csv"));
}

#[test]
fn teaching_scenario_golden_survival_csv() {
    let wd = Workdir::new();
    let scenario = repo().join("scenarios/teaching.toml");
    wd.cmd().args(["run", "--quiet", "--out", "out"]).arg(&scenario).assert().success();
    let csv = wd.read("out/survival.csv");
    // Hand values from the scenario's header: after two years 0.7225 compensated, 0.1225 dead.
    let value = |prefix: &str| -> f64 {
        let line = csv.lines().find(|l| l.starts_with(prefix)).unwrap_or_else(|| panic!("no row {prefix}"));
        line.split(',').nth(5).unwrap().parse().unwrap()
    };
    assert!((value("standard_care,cohort,occupancy:compensated,2,") - 0.7225).abs() < 1e-15);
    assert!((value("standard_care,cohort,overall_survival,2,") - 0.8775).abs() < 1e-15);
    assert!((value("msc,cohort,occupancy:death,2,") - 0.1165).abs() < 1e-15);
    assert_golden("teaching_survival.csv", &csv);
}

#[test]
fn bad_scenario_fails_without_writing_anything() {
    let wd = Workdir::new();
    let bad = repo().join("tests/data/bad/row_sum.toml");
    wd.cmd()
        .args(["run", "--quiet"])
        .arg(&bad)
        .assert()
        .failure()
        .stderr(contains("transitions out of \"sick\" sum to 1.02 at cycle 12"));
    assert!(!wd.path().join("results").exists());
}

#[test]
fn zero_patients_and_threads_are_refused() {
    let wd = Workdir::new();
    wd.cmd()
        .args(["run", "--patients", "0"])
        .assert()
        .code(2)
        .stderr(contains("error: invalid value '0' for '--patients <N>': must be at least 1"));
    wd.cmd()
        .args(["run", "--threads", "0"])
        .assert()
        .code(2)
        .stderr(contains("error: invalid value '0' for '--threads <N>': must be at least 1"));
    assert!(!wd.path().join("results").exists());
}

#[test]
fn missing_file_is_a_clear_error() {
    let wd = Workdir::new();
    wd.cmd().args(["run", "nope.toml"]).assert().failure().stderr(contains("error: nope.toml: cannot read: "));
}

#[test]
fn every_shipped_scenario_runs() {
    let wd = Workdir::new();
    for entry in std::fs::read_dir(repo().join("scenarios")).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "toml") {
            wd.cmd().args(["run", "--quiet", "--patients", "2000", "--out", "o"]).arg(&path).assert().success();
        }
    }
}

#[test]
fn chancellor_cea_and_nmb_golden() {
    let wd = Workdir::new();
    wd.cmd()
        .args(["run", "--quiet", "--patients", "2000", "--out", "out"])
        .arg(repo().join("scenarios/chancellor_hiv.toml"))
        .assert()
        .success();
    let cea = wd.read("out/cea.csv");
    assert!(
        cea.starts_with("strategy,cost,qaly,life_years,inc_cost,inc_qaly,icer,status\nmonotherapy,44663.45"),
        "{cea}"
    );
    assert_golden("chancellor_cea.csv", &cea);
    assert_golden("chancellor_nmb.csv", &wd.read("out/nmb.csv"));
    let summary: serde_json::Value = serde_json::from_str(&wd.read("out/summary.json")).unwrap();
    let econ = &summary["economics"];
    assert_eq!(econ["currency"], "GBP");
    assert_eq!(econ["within_cycle_correction"], "end_of_cycle");
    assert_eq!(econ["incremental"][1]["compared_with"], "monotherapy");
    let by_category = &econ["strategies"][1]["cohort"]["cost_by_category"];
    let total: f64 = by_category.as_object().unwrap().values().map(|v| v.as_f64().unwrap()).sum();
    assert!((total - econ["strategies"][1]["cohort"]["cost"].as_f64().unwrap()).abs() < 1e-6);
    assert!(econ["strategies"][0]["monte_carlo"]["cost"]["se"].as_f64().unwrap() > 0.0);
}

#[test]
fn survival_only_scenario_writes_no_cea() {
    let wd = Workdir::new();
    wd.cmd().args(["run", "--quiet", "--out", "out"]).arg(repo().join("scenarios/teaching.toml")).assert().success();
    assert!(!wd.path().join("out/cea.csv").exists());
    assert!(!wd.read("out/summary.json").contains("\"economics\""));
}

/// Issue 10: re-running into a folder left outputs of the earlier run beside the new ones, and
/// summary.json carried a timing, so two runs of the same scenario and seed differed.
#[test]
fn rerunning_into_a_folder_replaces_the_whole_set_and_outputs_are_reproducible() {
    let wd = Workdir::new();
    wd.cmd().args(["run", "--patients", "3000", "--quiet", "--threads", "1", "--out", "o"]).assert().success();
    assert!(wd.path().join("o/cea.csv").exists());
    let first = wd.read("o/summary.json");
    wd.cmd().args(["run", "--patients", "3000", "--quiet", "--threads", "2", "--out", "o2"]).assert().success();
    for f in ["summary.json", "survival.csv", "cea.csv", "nmb.csv", "cirrhosim-run.json"] {
        assert_eq!(wd.read(&format!("o/{f}")), wd.read(&format!("o2/{f}")), "{f}: same seed, any threads");
    }
    std::fs::write(wd.path().join("o/notes.txt"), "mine").unwrap();
    wd.cmd()
        .args(["run", "--patients", "3000", "--quiet", "--out", "o"])
        .arg(repo().join("scenarios/teaching.toml"))
        .assert()
        .success();
    let mut names: Vec<String> = std::fs::read_dir(wd.path().join("o"))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    assert_eq!(
        names,
        ["cirrhosim-run.json", "notes.txt", "summary.json", "survival.csv"],
        "no stale cea.csv or nmb.csv"
    );
    assert_ne!(wd.read("o/summary.json"), first);
}

/// Issue 15: `--set` changes a parameter's value as editing the file would.
#[test]
fn set_gives_the_files_of_an_edited_scenario() {
    let wd = Workdir::new();
    let text = std::fs::read_to_string(crate::util::repo().join("scenarios/teaching.toml")).unwrap();
    let rr = text.lines().position(|l| l == "[parameters.rr_msc]").expect("the teaching scenario has rr_msc");
    let value = text.lines().skip(rr).find(|l| l.starts_with("value = ")).unwrap();
    let edited = text.replacen(value, "value = 0.5", 1);
    assert_ne!(edited, text);
    wd.write("edited.toml", &edited);
    wd.write("teaching.toml", &text);
    wd.cmd().args(["run", "edited.toml", "--patients", "2000", "--out", "a", "--quiet"]).assert().success();
    wd.cmd()
        .args(["run", "teaching.toml", "--set", "rr_msc=0.5", "--patients", "2000", "--out", "b", "--quiet"])
        .assert()
        .success();
    wd.cmd().args(["run", "teaching.toml", "--patients", "2000", "--out", "c", "--quiet"]).assert().success();
    assert_eq!(wd.read("a/survival.csv"), wd.read("b/survival.csv"));
    assert_ne!(wd.read("b/survival.csv"), wd.read("c/survival.csv"));
}

/// Issue 13: summary.json carries the scenario's caveats with their sources, the parameters that
/// rest on assumptions, and the threshold price (per infusion and per course) and MELD effect at
/// each WTP, each with its sentence; a scenario without caveats states none.
#[test]
fn summary_states_the_evidence_caveats_assumptions_and_thresholds() {
    let wd = Workdir::new();
    wd.cmd().args(["run", "--patients", "1000", "--quiet"]).assert().success();
    let summary: serde_json::Value = serde_json::from_str(&wd.read("results/summary.json")).unwrap();
    let e = &summary["evidence"];
    let caveats = e["caveats"].as_array().unwrap();
    assert_eq!(caveats.len(), 4);
    assert!(caveats.iter().all(|c| !c["source"].as_str().unwrap().is_empty()));
    assert!(caveats[0]["text"].as_str().unwrap().starts_with("No proven survival benefit"));
    assert!(caveats[1]["text"].as_str().unwrap().contains("from month 13 to 75"));
    assert!(caveats[2]["text"].as_str().unwrap().contains("meta-analyses that disagree"));
    let assumed: Vec<&str> =
        e["assumptions"].as_array().unwrap().iter().map(|a| a["parameter"].as_str().unwrap()).collect();
    for name in ["msc_meld_md_24wk", "msc_effect_duration", "c_msc_infusion"] {
        assert!(assumed.contains(&name), "{name} in {assumed:?}");
    }
    assert_eq!((e["strategy"].as_str(), e["comparator"].as_str()), (Some("uc_msc"), Some("standard_care")));
    let rows = e["thresholds"].as_array().unwrap();
    // Price and MELD effect at each of the 4 WTPs.
    assert_eq!(rows.len(), 8);
    for r in rows {
        assert!(r["statement"].as_str().unwrap().starts_with("At EUR "), "{r}");
        if r["role"] == "price" {
            let x = r["threshold"].as_f64().unwrap();
            // Within a rounding of JSON's decimal text.
            assert!((r["per_course"].as_f64().unwrap() / (3.0 * x) - 1.0).abs() < 1e-12, "{r}");
            assert!(x < r["base_value"].as_f64().unwrap(), "the base price is above every threshold: {r}");
        }
    }
    // At EUR 20,000 no MELD effect in [-20, 20] is enough at the base price: said, not left out.
    let meld20 = rows.iter().find(|r| r["parameter"] == "msc_meld_md_24wk" && r["wtp"] == 20000.0).unwrap();
    assert!(meld20["threshold"].is_null() && meld20["cost_effective"] == "never");
    assert!(meld20["statement"].as_str().unwrap().contains("no threshold exists there"));

    wd.cmd()
        .args(["run", "--patients", "500", "--quiet", "--out", "teaching"])
        .arg(repo().join("scenarios/teaching.toml"))
        .assert()
        .success();
    let teaching: serde_json::Value = serde_json::from_str(&wd.read("teaching/summary.json")).unwrap();
    assert!(teaching.get("evidence").is_none_or(|e| e.get("caveats").is_none()), "{}", teaching["evidence"]);
}

/// A population read from a file of 100,000 patients (streamed, three passes): the run succeeds
/// in both engines and its cohort results equal those of the same patients given as weighted
/// profiles (each distinct row once, at its first appearance, with its count as weight), to
/// 1e-12: the file's joint distribution is what the model runs.
#[test]
fn a_patients_file_of_100000_rows_runs_and_equals_its_weighted_profiles() {
    let wd = crate::util::Workdir::new();
    let levels = ["hbv", "alcohol", "other"];
    let mut rows = String::from("meld,etiology\n");
    let mut order: Vec<(u64, &str)> = Vec::new();
    let mut counts = std::collections::HashMap::new();
    for i in 0..100_000u64 {
        // A deterministic spread of MELD 6-40 and etiologies, correlated through i.
        let meld = 6 + (i * 7919 % 35);
        let etiology = levels[((i * 31 + meld) % 3) as usize];
        rows.push_str(&format!("{meld},{etiology}\n"));
        let n = counts.entry((meld, etiology)).or_insert(0u64);
        if *n == 0 {
            order.push((meld, etiology));
        }
        *n += 1;
    }
    std::fs::write(wd.path().join("patients.csv"), rows).unwrap();
    let weighted: String = std::iter::once("meld,etiology,weight\n".to_string())
        .chain(order.iter().map(|k| format!("{},{},{}\n", k.0, k.1, counts[k])))
        .collect();
    std::fs::write(wd.path().join("profiles.csv"), weighted).unwrap();
    let scenario = std::fs::read_to_string(crate::util::repo().join("scenarios/meld_patients_file.toml")).unwrap();
    for (file, name) in [("patients.csv", "a.toml"), ("profiles.csv", "b.toml")] {
        std::fs::write(wd.path().join(name), scenario.replace("meld_patients.csv", file)).unwrap();
    }
    for (name, out) in [("a.toml", "a"), ("b.toml", "b")] {
        wd.cmd().args(["run", name, "--patients", "20000", "--out", out]).assert().success();
    }
    let cohort = |dir: &str| -> Vec<f64> {
        let text = std::fs::read_to_string(wd.path().join(dir).join("survival.csv")).unwrap();
        text.lines()
            .filter(|l| l.contains(",cohort,"))
            .map(|l| l.rsplit(',').nth(2).unwrap().parse().unwrap())
            .collect()
    };
    let (a, b) = (cohort("a"), cohort("b"));
    assert_eq!(a.len(), b.len());
    assert!(a.len() > 100);
    let worst = a.iter().zip(&b).map(|(x, y)| (x - y).abs()).fold(0.0f64, f64::max);
    assert!(worst < 1e-12, "cohort estimates differ by up to {worst}");
}

/// The rows of `file` whose first column is `subgroup`, without that column.
fn subgroup_rows(csv: &str, subgroup: &str) -> String {
    csv.lines()
        .filter_map(|l| l.strip_prefix(subgroup).and_then(|rest| rest.strip_prefix(',')))
        .map(|l| format!("{l}\n"))
        .collect()
}

fn run_meld(wd: &Workdir, out: &str, by: Option<&str>) {
    let mut cmd = wd.cmd();
    cmd.args(["run", "--quiet", "--patients", "6000", "--out", out])
        .arg(repo().join("scenarios/meld_heterogeneity.toml"));
    if let Some(by) = by {
        cmd.args(["--by", by]);
    }
    cmd.assert().success();
}

/// Issue 12 point 4: `--by` adds a first column `subgroup`; the `all` rows are the numbers of a
/// run without `--by`, byte for byte.
#[test]
fn by_adds_a_subgroup_column_and_keeps_the_whole_population_rows() {
    let wd = Workdir::new();
    run_meld(&wd, "plain", None);
    run_meld(&wd, "by", Some("meld,etiology"));
    for (file, header) in [
        ("survival.csv", "strategy,method,curve,cycle,years,estimate,lower,upper"),
        ("cea.csv", "strategy,cost,qaly,life_years,inc_cost,inc_qaly,icer,status"),
        ("nmb.csv", "strategy,wtp,nmb"),
    ] {
        let plain = wd.read(&format!("plain/{file}"));
        let by = wd.read(&format!("by/{file}"));
        assert!(plain.starts_with(&format!("{header}\n")), "{file}");
        assert!(by.starts_with(&format!("subgroup,{header}\nall,")), "{file}");
        assert_eq!(subgroup_rows(&by, "all"), plain.split_once('\n').unwrap().1, "{file}: all rows");
        let rows = subgroup_rows(&by, "meld=meld_20_or_more;etiology=hbv");
        assert_eq!(rows.lines().count(), plain.lines().count() - 1, "{file}: one block per subgroup");
    }
    let plain: serde_json::Value = serde_json::from_str(&wd.read("plain/summary.json")).unwrap();
    let by: serde_json::Value = serde_json::from_str(&wd.read("by/summary.json")).unwrap();
    assert_eq!(plain["strategies"], by["strategies"]);
    assert_eq!(plain["economics"], by["economics"]);
    assert_eq!(by["settings"]["by"], serde_json::json!(["meld", "etiology"]));
    let groups = by["subgroups"].as_array().unwrap();
    assert_eq!(groups.len(), 9);
    let patients: u64 = groups.iter().map(|g| g["patients"].as_u64().unwrap()).sum();
    assert_eq!(patients, 6000);
    // A single covariate: its levels.
    run_meld(&wd, "etiology", Some("etiology"));
    let csv = wd.read("etiology/cea.csv");
    let names: std::collections::BTreeSet<&str> = csv.lines().skip(1).map(|l| l.split(',').next().unwrap()).collect();
    assert_eq!(names.into_iter().collect::<Vec<_>>(), ["all", "etiology=alcohol", "etiology=hbv", "etiology=other"]);
}

/// The subgroups' cohort results weighted by their shares are the whole population's: costs,
/// QALYs, life years and every point of the survival curve, to 1e-9. Each subgroup's Monte
/// Carlo life years agree with its cohort value within z standard errors from its own patients.
#[test]
fn by_subgroups_weighted_by_share_give_the_whole_population() {
    let wd = Workdir::new();
    run_meld(&wd, "by", Some("meld,etiology"));
    let summary: serde_json::Value = serde_json::from_str(&wd.read("by/summary.json")).unwrap();
    let groups = summary["subgroups"].as_array().unwrap();
    let f = |v: &serde_json::Value| v.as_f64().unwrap();
    assert!((groups.iter().map(|g| f(&g["share"])).sum::<f64>() - 1.0).abs() < 1e-12);
    // Bonferroni over 9 subgroups x 2 strategies, two-sided, alpha 0.001: the normal quantile
    // at 1 - 0.001 / 36.
    let z = 4.0309;
    for s in 0..2 {
        let whole = &summary["economics"]["strategies"][s]["cohort"];
        for key in ["cost", "qaly", "life_years"] {
            let mixed: f64 = groups.iter().map(|g| f(&g["share"]) * f(&g["strategies"][s]["economics"][key])).sum();
            assert!((mixed - f(&whole[key])).abs() <= 1e-9 * f(&whole[key]).abs().max(1.0), "{key}");
        }
        for g in groups {
            let block = &g["strategies"][s];
            let (exact, mc, se) = (
                f(&block["cohort"]["life_years"]),
                f(&block["monte_carlo"]["life_years"]),
                f(&block["monte_carlo"]["life_years_se"]),
            );
            assert!((mc - exact).abs() <= z * se, "{}: {mc} vs {exact} (se {se})", g["name"]);
        }
    }
    let csv = wd.read("by/survival.csv");
    let curve = |subgroup: &str| -> Vec<f64> {
        subgroup_rows(&csv, subgroup)
            .lines()
            .filter(|l| l.starts_with("msc,cohort,overall_survival,"))
            .map(|l| l.split(',').nth(5).unwrap().parse().unwrap())
            .collect()
    };
    let all = curve("all");
    let mut mixed = vec![0.0; all.len()];
    for g in groups {
        for (m, x) in mixed.iter_mut().zip(curve(g["name"].as_str().unwrap())) {
            *m += f(&g["share"]) * x;
        }
    }
    for (t, (m, a)) in mixed.iter().zip(&all).enumerate() {
        assert!((m - a).abs() < 1e-9, "cycle {t}: {m} vs {a}");
    }
}

#[test]
fn by_names_that_cannot_make_subgroups_are_errors_with_the_fix() {
    let wd = Workdir::new();
    let meld = repo().join("scenarios/meld_heterogeneity.toml");
    wd.cmd()
        .args(["run", "--quiet", "--by", "meld,etiolgy"])
        .arg(&meld)
        .assert()
        .failure()
        .stderr(contains("--by etiolgy: "))
        .stderr(contains("has no covariate of that name (covariates: meld, etiology); did you mean \"etiology\"?"));
    let text = std::fs::read_to_string(&meld).unwrap();
    let bands = text.lines().find(|l| l.starts_with("bands = ")).unwrap();
    wd.write("no_bands.toml", &text.replace(bands, ""));
    wd.cmd().args(["run", "no_bands.toml", "--quiet", "--by", "meld"]).assert().failure().stderr(contains(
        "error: --by meld: no_bands.toml: \"meld\" is a numeric covariate without bands; add bands = { NAME = [low, high], ... } under [population.covariates.meld] to group its values",
    ));
    wd.cmd()
        .args(["run", "--quiet", "--by", "meld"])
        .arg(repo().join("scenarios/four_state.toml"))
        .assert()
        .failure()
        .stderr(contains("error: --by meld: "))
        .stderr(contains(
            "has no [population]; subgroups are made from the covariates declared under [population.covariates.NAME]",
        ));
    assert!(!wd.path().join("results").exists(), "nothing runs before --by is checked");
}
