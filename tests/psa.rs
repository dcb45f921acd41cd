//! `cirrhosim psa` and `cirrhosim merge`.

use crate::util::{Workdir, repo};
use predicates::str::contains;

const FILES: [&str; 7] = [
    "psa_draws.csv",
    "ceac.csv",
    "evpi.csv",
    "survival_psa.csv",
    "psa_summary.json",
    "psa_state.json",
    "cirrhosim-run.json",
];

/// Every file of a folder with its bytes, for "nothing changed" checks.
fn snapshot(wd: &Workdir, dir: &str) -> Vec<(String, Vec<u8>, std::time::SystemTime)> {
    let mut v: Vec<_> = std::fs::read_dir(wd.path().join(dir))
        .unwrap()
        .map(|e| {
            let e = e.unwrap();
            let modified = e.metadata().unwrap().modified().unwrap();
            (e.file_name().to_string_lossy().into_owned(), std::fs::read(e.path()).unwrap(), modified)
        })
        .collect();
    v.sort();
    v
}

/// 60 draws of the four-state model (the default until issue 13; its PSA is about 30 times
/// faster than the nine-state default's, and these tests are about the PSA's mechanics).
fn psa(wd: &Workdir, extra: &[&str]) {
    let mut args = vec!["psa", "--draws", "60", "--quiet"];
    args.extend_from_slice(extra);
    wd.cmd().args(&args).arg(repo().join("scenarios/four_state.toml")).assert().success();
}

#[test]
fn writes_tidy_outputs() {
    let wd = Workdir::new();
    psa(&wd, &["--out", "p"]);
    let draws = wd.read("p/psa_draws.csv");
    let header = draws.lines().next().unwrap();
    assert!(header.starts_with("draw,strategy,cost,qaly,life_years,"), "{header}");
    assert!(
        header.contains(",msc_meld_md_24wk,")
            && header.contains(",hr_per_meld_point,")
            && header.contains(",r_decomp_death,")
    );
    // Issue 13: the effect's duration is uncertain; a parameter without a distribution is not varied.
    assert!(header.contains(",msc_effect_duration"), "{header}");
    assert!(!header.contains("q_transplant_toll"), "parameters without a distribution are not varied");
    assert_eq!(draws.lines().count(), 1 + 60 * 2);
    let ceac = wd.read("p/ceac.csv");
    assert!(ceac.starts_with(
        "wtp,strategy,probability_cost_effective,on_frontier\n0,standard_care,1,true\n0,uc_msc,0,false\n"
    ));
    // Probabilities at each WTP sum to 1 and exactly one strategy is on the frontier.
    let rows: Vec<Vec<String>> = ceac.lines().skip(1).map(|l| l.split(',').map(String::from).collect()).collect();
    for pair in rows.chunks(2) {
        let total: f64 = pair.iter().map(|r| r[2].parse::<f64>().unwrap()).sum();
        assert!((total - 1.0).abs() < 1e-12);
        assert_eq!(pair.iter().filter(|r| r[3] == "true").count(), 1);
    }
    // The default states a population ([psa] population = 10000).
    assert!(wd.read("p/evpi.csv").starts_with("wtp,evpi_per_person,evpi_population\n0,0,0\n"));
    assert!(
        wd.read("p/survival_psa.csv").starts_with("strategy,cycle,years,median,lower,upper\nstandard_care,0,0,1,1,1\n")
    );
    assert!(!wd.path().join("p/psa_draws.csv.partial").exists());
}

#[test]
fn shards_merge_into_the_single_run_byte_for_byte() {
    let wd = Workdir::new();
    psa(&wd, &["--out", "single"]);
    for n in [1u32, 2, 3, 7] {
        let mut dirs = Vec::new();
        for k in 0..n {
            let dir = format!("s{n}_{k}");
            psa(&wd, &["--shard", &format!("{k}/{n}"), "--out", &dir, "--threads", if k % 2 == 0 { "1" } else { "2" }]);
            dirs.push(dir);
        }
        dirs.reverse(); // any order
        let out = format!("merged{n}");
        wd.cmd()
            .arg("merge")
            .args(&dirs)
            .arg("--scenario")
            .arg(repo().join("scenarios/four_state.toml"))
            .args(["--out", &out])
            .assert()
            .success();
        for f in FILES {
            assert_eq!(wd.read(&format!("single/{f}")), wd.read(&format!("{out}/{f}")), "n = {n}: {f}");
        }
    }
}

#[test]
fn merge_refuses_missing_or_foreign_shards() {
    let wd = Workdir::new();
    psa(&wd, &["--shard", "0/2", "--out", "a"]);
    wd.cmd().args(["merge", "a"]).assert().failure().stderr(contains("cannot merge: shards 1/2 of 2 are missing"));
    wd.cmd()
        .args(["psa", "--draws", "61", "--quiet", "--shard", "1/2", "--out", "b"])
        .arg(repo().join("scenarios/four_state.toml"))
        .assert()
        .success();
    wd.cmd()
        .args(["merge", "a", "b"])
        .assert()
        .failure()
        .stderr(contains("b is not a shard of the same run as a (draws 61, not 60)"));
    wd.cmd().args(["merge", "a", "./a"]).assert().failure().stderr(contains("./a is given twice"));
    std::fs::remove_dir_all(wd.path().join("b")).unwrap();
    psa(&wd, &["--shard", "0/2", "--out", "b"]);
    wd.cmd().args(["merge", "a", "b"]).assert().failure().stderr(contains("a and b both hold shard 0/2"));
}

#[test]
fn merge_reads_the_scenario_from_the_shards_and_checks_it() {
    let wd = Workdir::new();
    psa(&wd, &["--out", "single"]);
    psa(&wd, &["--shard", "0/2", "--out", "s0"]);
    psa(&wd, &["--shard", "1/2", "--out", "s1"]);
    wd.cmd().args(["merge", "s1", "s0", "--out", "m"]).assert().success().stdout(contains("merged 2 shards: 60 draws"));
    for f in FILES {
        assert_eq!(wd.read(&format!("single/{f}")), wd.read(&format!("m/{f}")), "{f}");
    }
    wd.cmd()
        .args(["merge", "s0", "s1", "--out", "m2", "--scenario"])
        .arg(repo().join("scenarios/compensated.toml"))
        .assert()
        .failure()
        .stderr(contains(
            "s0: cannot merge it: it holds the outputs of another run (scenario \"four_state\", not \"compensated\")",
        ));
    assert!(!wd.path().join("m2/cirrhosim-run.json").exists());
}

#[test]
fn merge_refuses_damaged_or_unfinished_shards() {
    let wd = Workdir::new();
    psa(&wd, &["--shard", "0/2", "--out", "s0"]);
    psa(&wd, &["--shard", "1/2", "--out", "s1"]);
    // Rows lost from a shard (the bug of issue 10: merge dropped them silently).
    let rows = wd.read("s1/psa_draws.csv");
    let kept: String = rows.lines().take(5).map(|l| format!("{l}\n")).collect();
    wd.write("s1/psa_draws.csv", &kept);
    wd.cmd()
        .args(["merge", "s0", "s1", "--out", "m"])
        .assert()
        .failure()
        .stderr(contains("s1: cannot merge it: psa_draws.csv has changed since it was written"));
    // A shard that never published (interrupted): no manifest.
    std::fs::remove_file(wd.path().join("s1/cirrhosim-run.json")).unwrap();
    wd.cmd()
        .args(["merge", "s0", "s1", "--out", "m"])
        .assert()
        .failure()
        .stderr(contains("s1: cannot merge it: it has no cirrhosim-run.json"));
    assert!(!wd.path().join("m/cirrhosim-run.json").exists());
}

#[test]
fn resume_after_an_interruption_is_bit_identical() {
    let wd = Workdir::new();
    psa(&wd, &["--out", "whole"]);
    // Simulate a crash during the first chunk: the checkpoint says "no draw done" while the rows
    // file already holds rows of the chunk in flight and no final outputs exist. Resuming must
    // drop those rows, redo the chunk and end with exactly the files of an uninterrupted run.
    psa(&wd, &["--out", "cut"]);
    let mut state: serde_json::Value = serde_json::from_str(&wd.read("cut/psa_state.json")).unwrap();
    let header_len = wd.read("cut/psa_draws.csv").lines().next().unwrap().len() + 1;
    state["next_draw"] = 0.into();
    state["rows_bytes"] = header_len.into();
    let cycles = state["state"]["n_cycles"].as_u64().unwrap() as usize;
    let wtp: Vec<f64> = serde_json::from_value(state["state"]["wtp"].clone()).unwrap();
    let fresh = |cycles| serde_json::to_value(cirrhosim::analysis::psa::PsaState::new(2, cycles, wtp.clone())).unwrap();
    // A checkpoint whose accumulators are not this model's (480 cycles, as the four-state
    // default had) is refused, not indexed out of bounds.
    state["state"] = fresh(cycles - 60);
    wd.write("cut/psa_checkpoint.json", &serde_json::to_string(&state).unwrap());
    std::fs::rename(wd.path().join("cut/psa_draws.csv"), wd.path().join("cut/psa_draws.csv.partial")).unwrap();
    for f in ["ceac.csv", "evpi.csv", "survival_psa.csv", "psa_summary.json", "psa_state.json", "cirrhosim-run.json"] {
        std::fs::remove_file(wd.path().join("cut").join(f)).unwrap();
    }
    wd.cmd()
        .args(["psa", "--draws", "60", "--quiet", "--out", "cut", "--resume"])
        .arg(repo().join("scenarios/four_state.toml"))
        .assert()
        .failure()
        .stderr(contains("its accumulators are not those of this model (2 strategies"));
    state["state"] = fresh(cycles);
    wd.write("cut/psa_checkpoint.json", &serde_json::to_string(&state).unwrap());
    psa(&wd, &["--out", "cut", "--resume"]);
    for f in FILES {
        assert_eq!(wd.read(&format!("whole/{f}")), wd.read(&format!("cut/{f}")), "{f}");
    }
    assert!(!wd.path().join("cut/psa_checkpoint.json").exists());
    assert!(!wd.path().join("cut/psa_draws.csv.partial").exists());
}

/// Issue 10: `--resume` of a finished run (or shard) zero-filled psa_draws.csv and exited 0.
#[test]
fn resume_of_a_finished_run_or_shard_changes_nothing() {
    let wd = Workdir::new();
    psa(&wd, &["--out", "p"]);
    psa(&wd, &["--shard", "1/3", "--out", "s"]);
    for (dir, extra) in [("p", vec![]), ("s", vec!["--shard", "1/3"])] {
        let before = snapshot(&wd, dir);
        let mut args = vec!["psa", "--draws", "60", "--resume", "--out", dir];
        args.extend(extra);
        wd.cmd()
            .args(&args)
            .arg(repo().join("scenarios/four_state.toml"))
            .assert()
            .success()
            .stdout(contains("already complete"));
        assert_eq!(snapshot(&wd, dir), before, "{dir}: every file byte-identical and untouched");
    }
}

#[test]
fn resume_with_other_settings_or_an_edited_scenario_is_refused() {
    let wd = Workdir::new();
    psa(&wd, &["--out", "p"]);
    wd.cmd()
        .args(["psa", "--draws", "61", "--quiet", "--resume", "--out", "p"])
        .arg(repo().join("scenarios/four_state.toml"))
        .assert()
        .failure()
        .stderr(contains("p: cannot resume: it holds the outputs of another run (draws 60, not 61)"))
        .stderr(contains("run without --resume"));
    // An edited scenario with the same name.
    let text = std::fs::read_to_string(repo().join("scenarios/four_state.toml")).unwrap();
    wd.write("edited.toml", &text.replacen("value = 4000", "value = 4001", 1));
    wd.cmd()
        .args(["psa", "--draws", "60", "--quiet", "--resume", "--out", "p", "edited.toml"])
        .assert()
        .failure()
        .stderr(contains("scenario \"four_state\" has changed since"));
}

/// Issue 10: a checkpoint without its rows file gave a NUL-prefixed psa_draws.csv.
#[test]
fn a_checkpoint_without_its_rows_is_refused() {
    let wd = Workdir::new();
    psa(&wd, &["--out", "p"]);
    let state = wd.read("p/psa_state.json");
    for f in FILES {
        std::fs::remove_file(wd.path().join("p").join(f)).unwrap();
    }
    wd.write("p/psa_checkpoint.json", &state);
    psa_fails(&wd, &["--out", "p", "--resume"], "psa_draws.csv.partial holds 0 bytes but the checkpoint counts");
    assert!(!wd.path().join("p/psa_draws.csv").exists());
}

fn psa_fails(wd: &Workdir, extra: &[&str], message: &str) {
    let mut args = vec!["psa", "--draws", "60", "--quiet"];
    args.extend_from_slice(extra);
    wd.cmd().args(&args).arg(repo().join("scenarios/four_state.toml")).assert().failure().stderr(contains(message));
}

/// Issue 10: psa_draws.csv was written without CSV quoting.
#[test]
fn strategy_names_with_commas_are_quoted() {
    let wd = Workdir::new();
    let text = std::fs::read_to_string(repo().join("scenarios/four_state.toml")).unwrap();
    assert!(text.contains("name = \"standard_care\""));
    wd.write("comma.toml", &text.replace("name = \"standard_care\"", "name = \"standard care, alone\""));
    wd.cmd().args(["psa", "--draws", "20", "--quiet", "--out", "p", "comma.toml"]).assert().success();
    assert!(wd.read("p/psa_draws.csv").lines().nth(1).unwrap().starts_with("0,\"standard care, alone\","));
    wd.cmd().args(["evppi", "p", "--wtp", "50000"]).assert().success();
}

#[test]
fn survival_only_scenario_is_refused_with_the_fix() {
    let wd = Workdir::new();
    wd.cmd()
        .args(["psa", "--draws", "5"])
        .arg(repo().join("scenarios/teaching.toml"))
        .assert()
        .failure()
        .stderr(contains("economics: this analysis needs costs and QALYs"));
}

#[test]
fn monte_carlo_engine_runs_and_is_thread_independent() {
    let wd = Workdir::new();
    for (t, out) in [("1", "a"), ("2", "b")] {
        wd.cmd()
            .args([
                "psa",
                "--draws",
                "6",
                "--engine",
                "monte-carlo",
                "--patients",
                "3000",
                "--quiet",
                "--threads",
                t,
                "--out",
                out,
            ])
            .assert()
            .success();
    }
    assert_eq!(wd.read("a/psa_draws.csv"), wd.read("b/psa_draws.csv"));
    assert_eq!(wd.read("a/ceac.csv"), wd.read("b/ceac.csv"));
}

#[test]
fn evppi_ranks_the_msc_price_first() {
    let wd = Workdir::new();
    // The four-state model (the default until issue 13): 400 draws of the nine-state default
    // would take most of a minute in a debug build.
    wd.cmd()
        .args(["psa", "--draws", "400", "--quiet", "--out", "p"])
        .arg(repo().join("scenarios/four_state.toml"))
        .assert()
        .success();
    wd.cmd().args(["evppi", "p", "--wtp", "100000"]).assert().success().stdout(contains("c_msc_infusion"));
    let csv = wd.read("p/evppi.csv");
    assert!(csv.starts_with("parameters,wtp,evppi_per_person,evpi_per_person,terms\n"));
    let rows: Vec<Vec<String>> = csv.lines().skip(1).map(|l| l.split(',').map(String::from).collect()).collect();
    // One row per varied parameter (17 since the effect's duration is drawn too, issue 13).
    assert_eq!(rows.len(), 17);
    let evppi = |name: &str| rows.iter().find(|r| r[0] == name).unwrap()[2].parse::<f64>().unwrap();
    let evpi: f64 = rows[0][3].parse().unwrap();
    let best =
        rows.iter().max_by(|a, b| a[2].parse::<f64>().unwrap().total_cmp(&b[2].parse::<f64>().unwrap())).unwrap();
    assert_eq!(best[0], "c_msc_infusion", "{csv}");
    assert!(evppi("c_msc_infusion") <= 1.1 * evpi);
    wd.cmd()
        .args(["evppi", "p", "--group", "c_msc_infusion,nope"])
        .assert()
        .failure()
        .stderr(contains("--group nope: is not a column of psa_draws.csv"));
}

#[test]
fn dirichlet_rows_of_the_chancellor_counts() {
    let wd = Workdir::new();
    wd.cmd()
        .args(["psa", "--draws", "200", "--quiet", "--out", "p"])
        .arg(repo().join("scenarios/chancellor_hiv.toml"))
        .assert()
        .success();
    let csv = wd.read("p/psa_draws.csv");
    let header: Vec<&str> = csv.lines().next().unwrap().split(',').collect();
    let col = |name: &str| header.iter().position(|h| *h == name).unwrap();
    let (ab, ac, ad) = (col("p_ab"), col("p_ac"), col("p_ad"));
    let rows: Vec<Vec<f64>> =
        csv.lines().skip(1).step_by(2).map(|l| l.split(',').skip(2).map(|v| v.parse().unwrap()).collect()).collect();
    let mut mean = 0.0;
    for r in &rows {
        let exits = r[ab - 2] + r[ac - 2] + r[ad - 2];
        assert!(exits > 0.0 && exits < 1.0);
        mean += r[ab - 2] / rows.len() as f64;
    }
    // Dirichlet(1251, 350, 116, 17): E[p_ab] = 350/1734, sd = sqrt(p (1 - p) / 1735).
    let p = 350.0 / 1734.0;
    let se = (p * (1.0f64 - p) / 1735.0).sqrt() / (rows.len() as f64).sqrt();
    assert!((mean - p).abs() < 5.0 * se, "{mean} vs {p}");
}

/// Issue 15: `--set` is part of the run: stored with the shards, so `merge` rebuilds the same
/// scenario and gives the files of the single run with `--set`.
#[test]
fn shards_with_set_values_merge_into_the_single_run() {
    let wd = Workdir::new();
    let set = ["--set", "c_msc_infusion=2500"];
    psa(&wd, &[&set[..], &["--out", "single"]].concat());
    psa(&wd, &[&set[..], &["--shard", "0/2", "--out", "a"]].concat());
    psa(&wd, &[&set[..], &["--shard", "1/2", "--out", "b"]].concat());
    wd.cmd().args(["merge", "a", "b", "--out", "merged"]).assert().success();
    for f in FILES {
        assert_eq!(wd.read(&format!("single/{f}")), wd.read(&format!("merged/{f}")), "{f}");
    }
    psa(&wd, &["--out", "unset"]);
    assert_ne!(wd.read("single/psa_draws.csv"), wd.read("unset/psa_draws.csv"));
}

/// Issue 13: a converted cost's PSA draws are the draws in its own currency times the factor, so
/// their mean is the factor times the source distribution's mean, within 5 standard errors
/// (SE = factor x sd / sqrt(n)) for gamma(4.007, 998.3): mean 4000.1881 USD, sd sqrt(4.007) x 998.3.
#[test]
fn a_converted_cost_is_drawn_in_the_scenarios_currency() {
    use cirrhosim::analysis::psa::sampling::{draw_values, varied_parameters};
    use cirrhosim::scenario::Scenario;
    let converted = Scenario::default_scenario().unwrap();
    let text = cirrhosim::scenario::DEFAULT_SCENARIO.replace("currency = \"USD\"\nprice_year = 2024\n", "");
    let at_par = Scenario::from_toml("at_par.toml", &text, std::path::Path::new(".")).unwrap();
    let i = converted.parameters.iter().position(|p| p.name == "c_msc_infusion").unwrap();
    let factor = converted.parameters[i].conversion.as_ref().unwrap().factor;
    assert!(at_par.parameters[i].conversion.is_none() && at_par.parameters[i].value == 4000.0);
    let (varied, n) = (varied_parameters(&converted), 20_000u64);
    assert_eq!(varied, varied_parameters(&at_par));
    let mut sum = 0.0;
    for draw in 0..n {
        let (x, usd) = (draw_values(&converted, &varied, 7, draw)[i], draw_values(&at_par, &varied, 7, draw)[i]);
        assert!((x - factor * usd).abs() <= 1e-12 * x, "draw {draw}: {x} vs {factor} x {usd}");
        sum += x;
    }
    let (mean, sd) = (4.007 * 998.3, 4.007f64.sqrt() * 998.3);
    let bound = 5.0 * factor * sd / (n as f64).sqrt();
    assert!((sum / n as f64 - factor * mean).abs() < bound, "{} vs {}", sum / n as f64, factor * mean);
}

/// Issue 13: psa_summary.json states, at each WTP of the scenario, the EVPI per patient and for
/// the stated population and the EVPPI of the scenario's group (MELD effect size and duration
/// together) in one sentence; the group is worth at least each member alone (from `cirrhosim
/// evppi`) and at most the EVPI, each up to the metamodel's noise bound
/// phi(0) sd(dNMB) sqrt(terms / draws).
#[test]
fn the_summary_states_evpi_and_the_evppi_of_the_effect() {
    let wd = Workdir::new();
    let draws = 600;
    // The four-state model: the same effect mixture, duration and [psa] as the default, at a
    // thirtieth of the cost per draw.
    wd.cmd()
        .args(["psa", "--draws", &draws.to_string(), "--quiet", "--out", "p"])
        .arg(repo().join("scenarios/four_state.toml"))
        .assert()
        .success();
    let summary: serde_json::Value = serde_json::from_str(&wd.read("p/psa_summary.json")).unwrap();
    let v = &summary["value_of_information"];
    assert_eq!(v["population"], 10000.0);
    assert_eq!(v["evppi_groups"][0][0], "msc_meld_md_24wk");
    let at = v["at_wtp"].as_array().unwrap();
    assert_eq!(at.len(), 4);
    wd.cmd()
        .args([
            "evppi",
            "p",
            "--wtp",
            "20000,30000,50000,100000",
            "--quiet",
            "--group",
            "msc_meld_md_24wk",
            "--group",
            "msc_effect_duration",
        ])
        .assert()
        .success();
    let evppi = wd.read("p/evppi.csv");
    let table = cirrhosim::io::draws::read(&wd.path().join("p/psa_draws.csv")).unwrap();
    for row in at {
        let wtp = row["wtp"].as_f64().unwrap();
        let statement = row["statement"].as_str().unwrap();
        assert!(
            statement.contains("resolving all uncertainty is worth up to EUR")
                && statement.contains("for the stated population of 10,000"),
            "{statement}"
        );
        assert!(
            statement.contains("research on msc_meld_md_24wk and msc_effect_duration together is worth up to EUR"),
            "{statement}"
        );
        let (evpi, group) = (row["evpi_per_person"].as_f64().unwrap(), &row["evppi"][0]);
        let group_value = group["evppi_per_person"].as_f64().unwrap();
        let terms = group["terms"].as_f64().unwrap();
        assert_eq!(row["evpi_population"].as_f64().unwrap(), 10000.0 * evpi);
        // sd of the incremental NMB across draws at this WTP.
        let d: Vec<f64> =
            table.outcomes.iter().map(|o| (wtp * o[1][1] - o[1][0]) - (wtp * o[0][1] - o[0][0])).collect();
        let mean = d.iter().sum::<f64>() / d.len() as f64;
        let sd = (d.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / d.len() as f64).sqrt();
        let bound = 0.3989 * sd * (terms / draws as f64).sqrt();
        assert!(group_value <= evpi + bound, "WTP {wtp}: EVPPI {group_value} vs EVPI {evpi} (+{bound})");
        for name in ["msc_meld_md_24wk", "msc_effect_duration"] {
            let line = evppi
                .lines()
                .find(|l| l.starts_with(&format!("{name},{wtp},")))
                .unwrap_or_else(|| panic!("{name} {wtp}: {evppi}"));
            let member: f64 = line.split(',').nth(2).unwrap().parse().unwrap();
            let member_terms: f64 = line.split(',').nth(4).unwrap().parse().unwrap();
            let bound = 0.3989 * sd * (member_terms / draws as f64).sqrt();
            assert!(group_value >= member - bound, "WTP {wtp}: group {group_value} vs {name} {member} (-{bound})");
        }
    }
    // At EUR 100,000 per QALY the decision is uncertain and the effect drives it.
    let top = &at[3];
    assert!(
        top["evpi_per_person"].as_f64().unwrap() > 0.0 && top["evppi"][0]["evppi_per_person"].as_f64().unwrap() > 0.0
    );
}

/// `psa --by` on the heterogeneous-patients scenario, 30 draws.
fn psa_by(wd: &Workdir, extra: &[&str]) -> assert_cmd::assert::Assert {
    let mut args = vec!["psa", "--draws", "30", "--quiet"];
    args.extend_from_slice(extra);
    wd.cmd().args(&args).arg(repo().join("scenarios/meld_heterogeneity.toml")).assert()
}

/// Rows of a ceac.csv with a `subgroup` column: (subgroup, wtp, strategy, probability, frontier).
fn ceac_rows(text: &str) -> Vec<(String, String, String, f64, bool)> {
    text.lines()
        .skip(1)
        .map(|l| {
            let c: Vec<&str> = l.split(',').collect();
            (c[0].into(), c[1].into(), c[2].into(), c[3].parse().unwrap(), c[4].parse().unwrap())
        })
        .collect()
}

/// Issue 12: "PSA can report CEACs by subgroup". The whole population's rows are the PSA's
/// without --by, number for number; each band has its own curve, a probability per strategy
/// summing to 1 at each WTP with one strategy on its frontier.
#[test]
fn by_subgroup_ceac_keeps_the_whole_population_and_adds_each_band() {
    let wd = Workdir::new();
    psa_by(&wd, &["--out", "plain"]).success();
    psa_by(&wd, &["--out", "by", "--by", "meld", "--threads", "1"]).success();
    psa_by(&wd, &["--out", "by2", "--by", "meld", "--threads", "2"]).success();
    let (plain, by) = (wd.read("plain/ceac.csv"), wd.read("by/ceac.csv"));
    assert!(by.starts_with("subgroup,wtp,strategy,probability_cost_effective,on_frontier\n"));
    let rows = ceac_rows(&by);
    let all: Vec<String> =
        rows.iter().filter(|r| r.0 == "all").map(|r| format!("{},{},{},{}", r.1, r.2, r.3, r.4)).collect();
    assert_eq!(all, plain.lines().skip(1).collect::<Vec<_>>(), "the `all` rows are the run without --by");
    let subgroups: Vec<&str> = {
        let mut v: Vec<&str> = rows.iter().map(|r| r.0.as_str()).collect();
        v.dedup();
        v
    };
    assert_eq!(subgroups, ["all", "meld=meld_below_15", "meld=meld_15_to_20", "meld=meld_20_or_more"]);
    let wtps = rows.iter().filter(|r| r.0 == "all").count() / 2;
    assert_eq!(rows.len(), 4 * wtps * 2);
    for pair in rows.chunks(2) {
        assert_eq!((pair[0].0.as_str(), pair[0].1.as_str()), (pair[1].0.as_str(), pair[1].1.as_str()));
        assert!(pair.iter().all(|r| (0.0..=1.0).contains(&r.3)));
        assert!((pair[0].3 + pair[1].3 - 1.0).abs() < 1e-12, "{pair:?}");
        assert_eq!(pair.iter().filter(|r| r.4).count(), 1);
    }
    // The bands differ: the sickest band gains more from MSC at a high WTP than the healthiest.
    let msc_at = |g: &str, w: &str| rows.iter().find(|r| r.0 == g && r.1 == w && r.2 == "msc").unwrap().3;
    assert!(msc_at("meld=meld_20_or_more", "200000") >= msc_at("meld=meld_below_15", "200000"));
    for f in FILES {
        assert_eq!(wd.read(&format!("by/{f}")), wd.read(&format!("by2/{f}")), "1 vs 2 threads: {f}");
    }
    // Everything else is the run without --by, but the summary's settings and subgroups block.
    for f in ["psa_draws.csv", "evpi.csv", "survival_psa.csv"] {
        assert_eq!(wd.read(&format!("plain/{f}")), wd.read(&format!("by/{f}")), "{f}");
    }
    let summary: serde_json::Value = serde_json::from_str(&wd.read("by/psa_summary.json")).unwrap();
    let plain_summary: serde_json::Value = serde_json::from_str(&wd.read("plain/psa_summary.json")).unwrap();
    assert_eq!(summary["strategies"], plain_summary["strategies"]);
    assert!(plain_summary.get("subgroups").is_none() && plain_summary["settings"].get("by").is_none());
    assert_eq!(summary["settings"]["by"], serde_json::json!(["meld"]));
    let groups = summary["subgroups"]["groups"].as_array().unwrap();
    assert_eq!(groups.len(), 3);
    let share: f64 = groups.iter().map(|g| g["share"].as_f64().unwrap()).sum();
    assert!((share - 1.0).abs() < 1e-12);
    for g in groups {
        // At each of the scenario's economics.wtp (30,000 and 50,000).
        let at: Vec<f64> = g["at_wtp"].as_array().unwrap().iter().map(|a| a["wtp"].as_f64().unwrap()).collect();
        assert_eq!(at, [30_000.0, 50_000.0]);
        let (a, b) = (&g["strategies"][0], &g["strategies"][1]);
        let increment = b["mean_cost"].as_f64().unwrap() - a["mean_cost"].as_f64().unwrap();
        assert_eq!(b["incremental_cost"].as_f64().unwrap(), increment);
    }
    // Share-weighted subgroup means give the population's (1e-9 relative).
    for (s, strategy) in summary["strategies"].as_array().unwrap().iter().enumerate() {
        for key in ["mean_cost", "mean_qaly", "mean_life_years"] {
            let whole = strategy[key].as_f64().unwrap();
            let mixed: f64 =
                groups.iter().map(|g| g["share"].as_f64().unwrap() * g["strategies"][s][key].as_f64().unwrap()).sum();
            assert!((mixed - whole).abs() <= 1e-9 * whole.abs(), "{key}: {mixed} vs {whole}");
        }
    }
}

#[test]
fn by_subgroup_shards_merge_into_the_single_run() {
    let wd = Workdir::new();
    psa_by(&wd, &["--out", "single", "--by", "meld,etiology"]).success();
    psa_by(&wd, &["--out", "s0", "--by", "meld,etiology", "--shard", "0/2"]).success();
    psa_by(&wd, &["--out", "s1", "--by", "meld,etiology", "--shard", "1/2", "--threads", "1"]).success();
    psa_by(&wd, &["--out", "other", "--shard", "1/2"]).success();
    wd.cmd().args(["merge", "s1", "s0", "--out", "merged"]).assert().success();
    for f in FILES {
        assert_eq!(wd.read(&format!("single/{f}")), wd.read(&format!("merged/{f}")), "{f}");
    }
    assert_eq!(
        ceac_rows(&wd.read("merged/ceac.csv")).iter().filter(|r| r.0 == "meld=meld_15_to_20;etiology=hbv").count(),
        2 * 101
    );
    // A shard without --by is another run.
    wd.cmd()
        .args(["merge", "s0", "other", "--out", "mixed"])
        .assert()
        .failure()
        .stderr(contains("by (none), not meld,etiology"));
}

#[test]
fn by_a_name_that_is_not_a_covariate_fails_and_writes_nothing() {
    let wd = Workdir::new();
    psa_by(&wd, &["--out", "p", "--by", "nope"])
        .failure()
        .stderr(contains("--by nope: "))
        .stderr(contains("has no covariate of that name (covariates: meld, etiology)"));
    assert!(!wd.path().join("p").exists());
    psa_by(&wd, &["--out", "mc", "--by", "meld", "--engine", "monte-carlo", "--patients", "100"])
        .failure()
        .stderr(contains("--by meld: needs the cohort engine"))
        .stderr(contains("drop --engine monte-carlo"));
    assert!(!wd.path().join("mc").exists());
}

#[test]
fn resume_with_another_by_is_refused() {
    let wd = Workdir::new();
    psa_by(&wd, &["--out", "p", "--by", "meld"]).success();
    let before = snapshot(&wd, "p");
    psa_by(&wd, &["--out", "p", "--by", "etiology", "--resume"])
        .failure()
        .stderr(contains("p: cannot resume: it holds the outputs of another run (by meld, not etiology)"));
    // An interrupted run's checkpoint, resumed without --by.
    let state = wd.read("p/psa_state.json");
    wd.write("p/psa_checkpoint.json", &state);
    psa_by(&wd, &["--out", "p", "--resume"]).failure().stderr(contains("by meld, not (none)"));
    std::fs::remove_file(wd.path().join("p/psa_checkpoint.json")).unwrap();
    assert_eq!(snapshot(&wd, "p"), before, "nothing changed");
}

/// `--timing` gives the draws' throughput and the whole command's time, outputs published.
#[test]
fn timing_line_gives_the_draws_and_the_published_run() {
    let wd = Workdir::new();
    let out = wd
        .cmd()
        .args(["psa", "--draws", "60", "--quiet", "--timing", "--out", "p"])
        .arg(repo().join("scenarios/four_state.toml"))
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let line = String::from_utf8(out).unwrap();
    let rest = line.trim().strip_prefix("throughput: ").unwrap_or_else(|| panic!("{line}"));
    let (rate, rest) = rest.split_once(" draws/s (60 draws in ").unwrap_or_else(|| panic!("{line}"));
    let (draws_s, rest) = rest.split_once(" s; ").unwrap_or_else(|| panic!("{line}"));
    let total_s = rest.strip_suffix(" s with the outputs published)").unwrap_or_else(|| panic!("{line}"));
    let (rate, draws_s, total_s): (f64, f64, f64) =
        (rate.parse().unwrap(), draws_s.parse().unwrap(), total_s.parse().unwrap());
    assert!(rate > 0.0 && draws_s <= total_s, "{line}");
}
