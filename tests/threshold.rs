//! `cirrhosim threshold`.

use crate::util::Workdir;
use cirrhosim::analysis::dsa::compare;
use cirrhosim::scenario::Scenario;
use predicates::str::contains;

/// INB is linear in the price per infusion, so the threshold price has a closed form:
/// p* = p0 + INB(p0) / (INB(p0) - INB(p0 + 1)). Brent's method must land on it.
#[test]
fn price_threshold_matches_the_closed_form() {
    let s = Scenario::default_scenario().unwrap();
    let i = s.parameters.iter().position(|p| p.name == "c_msc_infusion").unwrap();
    for wtp in [20000.0, 100000.0] {
        let inb = |price: f64| {
            let mut v = s.base_values();
            v[i] = price;
            compare(&s, &v, 1, 0, wtp).unwrap().inc_nmb
        };
        let slope = inb(4000.0) - inb(4001.0);
        let closed_form = 4000.0 + inb(4000.0) / slope;
        let found = cirrhosim::analysis::threshold::thresholds(&s, "c_msc_infusion", &[wtp], 1, 0, None).unwrap();
        let t = found[0].threshold.unwrap();
        assert!((t - closed_form).abs() < 1e-6 * closed_form.abs().max(1.0), "wtp {wtp}: {t} vs {closed_form}");
        assert!(inb(t).abs() < 1e-6, "INB at the threshold {}", inb(t));
        assert_eq!(found[0].cost_effective, "below");
    }
}

#[test]
fn writes_threshold_csv_for_price_and_effect() {
    let wd = Workdir::new();
    wd.cmd()
        .args(["threshold", "--wtp", "100000", "--out", "t"])
        .assert()
        .success()
        .stdout(contains("c_msc_infusion"))
        .stdout(contains("msc_meld_md_24wk"));
    let csv = wd.read("t/threshold.csv");
    assert!(csv.starts_with(
        "parameter,wtp,threshold,cost_effective,base_value,search_from,search_to\nc_msc_infusion,100000,"
    ));
    // A longer effect helps: the duration threshold is an "above" threshold.
    assert!(csv.lines().any(|l| l.starts_with("msc_effect_duration,100000,") && l.contains(",above,")), "{csv}");
    wd.cmd()
        .args(["threshold", "--parameter", "c_comp_year_typo"])
        .assert()
        .failure()
        .stderr(contains("\"c_comp_year_typo\" is not a parameter the model uses"));
}

#[test]
fn between_sets_the_search_range_for_each_default_wtp() {
    let wd = Workdir::new();
    wd.cmd()
        .args(["threshold", "--parameter", "c_msc_infusion", "--between", "100,50000", "--quiet", "--out", "t"])
        .assert()
        .success()
        .stdout("");
    let csv = wd.read("t/threshold.csv");
    let wtp: Vec<&str> = csv.lines().skip(1).map(|l| l.split(',').nth(1).unwrap()).collect();
    assert_eq!(wtp, ["20000", "30000", "50000", "100000"], "the scenario's wtp list");
    assert!(csv.lines().skip(1).all(|l| l.ends_with(",100,50000")), "{csv}");
}
