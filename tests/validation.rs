//! Validation against published models: the Chancellor HIV model in both published variants
//! (`shared/validation/chancellor_hiv.json`, copied into tests/data/validation), within the
//! tolerance stated there (relative 1e-6).

use crate::util::repo;
use cirrhosim::analysis::{self, Status};
use cirrhosim::engine::sim_cohort;
use cirrhosim::{model::Model, scenario::Scenario};

struct Published {
    mono_cost: f64,
    mono_ly: f64,
    comb_cost: f64,
    comb_ly: f64,
    icer: f64,
    relative: f64,
}

fn published(variant: &str) -> Published {
    let text = std::fs::read_to_string(repo().join("tests/data/validation/chancellor_hiv.json")).unwrap();
    let json: serde_json::Value = serde_json::from_str(&text).unwrap();
    let v = &json["variants"][variant];
    let e = &v["expected"];
    let f = |x: &serde_json::Value| x.as_f64().unwrap();
    Published {
        mono_cost: f(&e["monotherapy"]["cost_total_discounted"]),
        mono_ly: f(&e["monotherapy"]["life_years_undiscounted"]),
        comb_cost: f(&e["combination"]["cost_total_discounted"]),
        comb_ly: f(&e["combination"]["life_years_undiscounted"]),
        icer: f(&e["icer_gbp_per_life_year_gained"]),
        relative: f(&v["tolerance"]["relative"]),
    }
}

fn close(name: &str, got: f64, want: f64, relative: f64) {
    let err = (got - want).abs() / want.abs();
    assert!(err <= relative, "{name}: got {got}, published {want} (relative error {err:e} > {relative:e})");
}

fn check(scenario_file: &str, variant: &str) {
    let s = Scenario::load(&repo().join("scenarios").join(scenario_file)).unwrap();
    let model = Model::from_scenario(&s).unwrap();
    let totals: Vec<_> = (0..2).map(|i| analysis::cohort_totals(&model, &sim_cohort(&model, i)).unwrap()).collect();
    let p = published(variant);
    close("monotherapy cost", totals[0].cost, p.mono_cost, p.relative);
    close("monotherapy life years", totals[0].life_years, p.mono_ly, p.relative);
    close("combination cost", totals[1].cost, p.comb_cost, p.relative);
    close("combination life years", totals[1].life_years, p.comb_ly, p.relative);
    // Life years are the QALYs here (utility 1, effects undiscounted).
    close("combination QALYs", totals[1].qaly, totals[1].life_years, 1e-12);
    let outcomes: Vec<_> = totals
        .iter()
        .map(|t| analysis::Outcome { strategy: t.strategy, cost: t.cost, qaly: t.qaly, life_years: t.life_years })
        .collect();
    let rows = analysis::cea(&outcomes);
    assert_eq!(rows[1].status, Status::NonDominated);
    close("ICER", rows[1].icer.unwrap(), p.icer, p.relative);
    // Totals equal the sum of their components.
    for t in &totals {
        let by_category: f64 = t.cost_by_category.iter().map(|c| c.1).sum();
        let by_state: f64 =
            t.cost_by_state.iter().map(|c| c.1).sum::<f64>() + t.cost_by_move.iter().map(|c| c.1).sum::<f64>();
        assert!((by_category - t.cost).abs() < 1e-9 * t.cost);
        assert!((by_state - t.cost).abs() < 1e-9 * t.cost);
    }
}

#[test]
fn chancellor_briggs_exact_reproduces_the_book() {
    check("chancellor_hiv.toml", "briggs_exact");
}

#[test]
fn chancellor_heemod_vignette_reproduces_heemod() {
    check("chancellor_hiv_heemod.toml", "heemod_homogeneous_vignette");
}

/// The other counting conventions give the regression values an independent implementation
/// computed (`derived_not_published` in the validation file).
#[test]
fn chancellor_other_conventions_match_the_derived_values() {
    let text = std::fs::read_to_string(repo().join("tests/data/validation/chancellor_hiv.json")).unwrap();
    let json: serde_json::Value = serde_json::from_str(&text).unwrap();
    let derived = &json["derived_not_published"]["briggs_inputs_20_cycles"];
    let cases = [
        (
            "start_of_cycle",
            "start",
            "start_of_cycle_counting_first_cycle_undiscounted (heemod method='beginning', discount first=FALSE)",
        ),
        (
            "trapezoid",
            "start",
            "life_table_half_cycle_correction_first_cycle_undiscounted (method='life-table', first=FALSE)",
        ),
        ("end_of_cycle", "start", "end_of_cycle_first_cycle_undiscounted (method='end', first=FALSE)"),
    ];
    let base = std::fs::read_to_string(repo().join("scenarios/chancellor_hiv.toml")).unwrap();
    for (correction, timing, key) in cases {
        let text = base
            .replace(
                "within_cycle_correction = \"end_of_cycle\"",
                &format!("within_cycle_correction = \"{correction}\""),
            )
            .replace("discount_timing = \"end\"", &format!("discount_timing = \"{timing}\""));
        let s = Scenario::from_toml("variant.toml", &text, &repo().join("scenarios")).unwrap();
        let model = Model::from_scenario(&s).unwrap();
        let t: Vec<_> = (0..2).map(|i| analysis::cohort_totals(&model, &sim_cohort(&model, i)).unwrap()).collect();
        let want = &derived[key];
        let f = |k: &str| want[k].as_f64().unwrap();
        // The derived values are printed to 9-10 significant digits.
        close(&format!("{correction} mono cost"), t[0].cost, f("mono_cost"), 1e-8);
        close(&format!("{correction} mono ly"), t[0].life_years, f("mono_ly"), 1e-7);
        close(&format!("{correction} comb cost"), t[1].cost, f("comb_cost"), 1e-8);
        close(&format!("{correction} comb ly"), t[1].life_years, f("comb_ly"), 1e-7);
        close(&format!("{correction} icer"), (t[1].cost - t[0].cost) / (t[1].qaly - t[0].qaly), f("icer"), 1e-6);
    }
}

/// The Monte Carlo engine values paths with the same tables: its mean cost, QALYs and incremental
/// values must agree with the exact cohort within 4.5 of their estimated standard errors.
#[test]
fn chancellor_monte_carlo_agrees_with_cohort_within_standard_errors() {
    let s = Scenario::load(&repo().join("scenarios/chancellor_hiv.toml")).unwrap();
    let model = Model::from_scenario(&s).unwrap();
    let exact: Vec<_> = (0..2).map(|i| analysis::cohort_totals(&model, &sim_cohort(&model, i)).unwrap()).collect();
    let run = cirrhosim::engine::sim_patients(&model, 50_000, 11, &cirrhosim::engine::NoProgress).unwrap();
    let sums = run.values.unwrap();
    let estimates = analysis::mc_estimates(&sums);
    for (e, x) in estimates.iter().zip(&exact) {
        for (name, est, want) in
            [("cost", e.cost, x.cost), ("qaly", e.qaly, x.qaly), ("life years", e.life_years, x.life_years)]
        {
            assert!(est.se > 0.0);
            assert!((est.mean - want).abs() <= 4.5 * est.se, "{name}: {} +/- {} vs exact {want}", est.mean, est.se);
        }
    }
    let d = &analysis::mc_differences(&sums)[0];
    let (dc, dq) = (exact[1].cost - exact[0].cost, exact[1].qaly - exact[0].qaly);
    assert!((d.inc_cost.mean - dc).abs() <= 4.5 * d.inc_cost.se, "{:?} vs {dc}", d.inc_cost);
    assert!((d.inc_qaly.mean - dq).abs() <= 4.5 * d.inc_qaly.se, "{:?} vs {dq}", d.inc_qaly);
    // Common random numbers: the difference is far more precise than with independent arms,
    // whose standard error would be sqrt(se_0^2 + se_1^2).
    let independent = estimates[0].qaly.se.hypot(estimates[1].qaly.se);
    assert!(d.inc_qaly.se < 0.5 * independent, "{} vs {independent}", d.inc_qaly.se);
}

/// Cost and QALYs of every strategy, exact cohort, in strategy order, and the incremental rows.
fn totals_and_icers(scenario: &Scenario) -> (Vec<(String, f64, f64)>, Vec<analysis::CeaRow>) {
    let model = Model::from_scenario(scenario).unwrap();
    let totals: Vec<_> =
        (0..model.n_strategies()).map(|i| analysis::cohort_totals(&model, &sim_cohort(&model, i)).unwrap()).collect();
    let outcomes: Vec<_> = totals
        .iter()
        .map(|t| analysis::Outcome { strategy: t.strategy, cost: t.cost, qaly: t.qaly, life_years: t.life_years })
        .collect();
    let named = totals.iter().map(|t| (model.strategy_names[t.strategy].clone(), t.cost, t.qaly)).collect();
    (named, analysis::cea(&outcomes))
}

/// Checks every strategy's cost and QALYs (and ICER, where the file gives one) of a validation
/// variant: against the published value within the variant's stated relative tolerance, and
/// against the independent reference implementation's value (tools/reference) within 1e-8.
fn check_published(json_file: &str, variant: &str, strategies: &[&str]) {
    let text = std::fs::read_to_string(repo().join("tests/data/validation").join(json_file)).unwrap();
    let json: serde_json::Value = serde_json::from_str(&text).unwrap();
    let v = &json["variants"][variant];
    let scenario_file = v["scenario"].as_str().unwrap();
    let tolerance = v["tolerance"]["relative"].as_f64().unwrap();
    let s = Scenario::load(&repo().join(scenario_file)).unwrap();
    let (totals, rows) = totals_and_icers(&s);
    let e = &v["expected"];
    for &name in strategies {
        let (_, cost, qaly) = totals.iter().find(|t| t.0 == name).unwrap_or_else(|| panic!("strategy {name}")).clone();
        for (what, got, entry) in [("cost", cost, &e[name]["cost"]), ("QALYs", qaly, &e[name]["qalys"])] {
            let label = format!("{scenario_file} {name} {what}");
            close(&label, got, entry["published"].as_f64().unwrap(), tolerance);
            close(&format!("{label} (reference)"), got, entry["reference_value"].as_f64().unwrap(), 1e-8);
        }
        if let Some(icer) = e[name]["icer"]["published"].as_f64() {
            let i = s.strategy_index(name).unwrap();
            let row = rows.iter().find(|r| r.strategy == i).unwrap();
            close(&format!("{scenario_file} {name} ICER"), row.icer.unwrap(), icer, tolerance);
        }
    }
}

#[test]
fn darth_sick_sicker_reproduces_the_introductory_tutorial() {
    check_published("sick_sicker.json", "intro", &["soc", "a", "b", "ab"]);
}

#[test]
fn darth_sick_sicker_time_dependent_reproduces_the_second_tutorial() {
    check_published("sick_sicker.json", "timedep", &["soc", "a", "b", "ab"]);
}

#[test]
fn thr_reproduces_the_book_and_heemod() {
    check_published("thr_briggs.json", "book", &["standard", "np1"]);
    check_published("thr_briggs.json", "heemod_who_vignette", &["standard", "np1"]);
    // The book's ICER (GBP per QALY), to its ten digits.
    let s = Scenario::load(&repo().join("scenarios/thr_briggs.toml")).unwrap();
    let (_, rows) = totals_and_icers(&s);
    close("THR book ICER", rows[1].icer.unwrap(), 2198.486665, 1e-8);
}

/// Regression values from the independent reference (not published): the DARTH state-residence
/// model (Weibull by time in S1, `state_years`) and hesim's mixed population (sub-cohorts by
/// start age and sex, `male`), each within 1e-9 relative.
#[test]
fn state_residence_and_mixed_population_match_the_reference() {
    let text = std::fs::read_to_string(repo().join("tests/data/validation/sick_sicker.json")).unwrap();
    let json: serde_json::Value = serde_json::from_str(&text).unwrap();
    let reference = &json["variants"]["residence_derived_not_published"]["reference_values"];
    let s = Scenario::load(&repo().join("scenarios/sick_sicker_residence.toml")).unwrap();
    for (name, cost, qaly) in totals_and_icers(&s).0 {
        close(&format!("residence {name} cost"), cost, reference[&name]["cost"].as_f64().unwrap(), 1e-9);
        close(&format!("residence {name} QALYs"), qaly, reference[&name]["qalys"].as_f64().unwrap(), 1e-9);
    }
    let text = std::fs::read_to_string(repo().join("tests/data/validation/thr_briggs.json")).unwrap();
    let json: serde_json::Value = serde_json::from_str(&text).unwrap();
    let reference = &json["variants"]["hesim_vignette"]["deterministic_reference_not_published"]["population"];
    let s = Scenario::load(&repo().join("scenarios/thr_hesim.toml")).unwrap();
    let (totals, rows) = totals_and_icers(&s);
    for (name, cost, qaly) in totals {
        close(&format!("hesim {name} cost"), cost, reference[&name]["cost"].as_f64().unwrap(), 1e-9);
        close(&format!("hesim {name} QALYs"), qaly, reference[&name]["qalys"].as_f64().unwrap(), 1e-9);
    }
    close("hesim population ICER", rows[1].icer.unwrap(), reference["icer"].as_f64().unwrap(), 1e-9);
}

/// The named within-cycle corrections equal their boundary weights (docs/scenario-format.md) for a
/// model whose values do not change between cycles: the DARTH Sick-Sicker model, all strategies.
#[test]
fn named_corrections_equal_their_boundary_weights() {
    let base = std::fs::read_to_string(repo().join("scenarios/sick_sicker.toml")).unwrap();
    let weights_line = base.lines().find(|l| l.starts_with("within_cycle_weights")).unwrap().to_string();
    let with = |setting: &str| {
        let text = base.replace(&weights_line, setting);
        let s = Scenario::from_toml("variant.toml", &text, &repo().join("scenarios")).unwrap();
        totals_and_icers(&s).0
    };
    let cases = [
        ("within_cycle_correction = \"half_cycle\"", "within_cycle_weights = \"if(t == 0 || t == T, 0.5, 1)\""),
        (
            "within_cycle_correction = \"end_of_cycle\"\ndiscount_timing = \"end\"",
            "within_cycle_weights = \"if(t == 0, 0, 1)\"",
        ),
        (
            "within_cycle_correction = \"start_of_cycle\"\ndiscount_timing = \"start\"",
            "within_cycle_weights = \"if(t == T, 0, 1)\"",
        ),
    ];
    for (named, weights) in cases {
        for (a, b) in with(named).into_iter().zip(with(weights)) {
            close(&format!("{named}: {} cost", a.0), a.1, b.1, 1e-12);
            close(&format!("{named}: {} QALYs", a.0), a.2, b.2, 1e-12);
        }
    }
}

/// The Monte Carlo engine on models whose exits change with age (a life table read by a formula)
/// and with time in state (a Weibull of `state_years`), with strategy-specific exits and
/// boundary weights: every strategy's mean cost, QALYs and life years lie within 4.5 estimated
/// standard errors of the exact cohort (a 4.5-sigma band: a false alarm about once in 150,000
/// comparisons).
#[test]
fn monte_carlo_agrees_with_cohort_on_time_dependent_models() {
    for file in ["scenarios/sick_sicker_timedep.toml", "scenarios/sick_sicker_residence.toml"] {
        let s = Scenario::load(&repo().join(file)).unwrap();
        let model = Model::from_scenario(&s).unwrap();
        let exact: Vec<_> = (0..model.n_strategies())
            .map(|i| analysis::cohort_totals(&model, &sim_cohort(&model, i)).unwrap())
            .collect();
        let run = cirrhosim::engine::sim_patients(&model, 20_000, 5, &cirrhosim::engine::NoProgress).unwrap();
        let estimates = analysis::mc_estimates(&run.values.unwrap());
        for (e, x) in estimates.iter().zip(&exact) {
            for (name, est, want) in
                [("cost", e.cost, x.cost), ("qaly", e.qaly, x.qaly), ("life years", e.life_years, x.life_years)]
            {
                assert!(est.se > 0.0);
                let z = (est.mean - want).abs() / est.se;
                assert!(z <= 4.5, "{file} {name}: {} +/- {} vs exact {want} (z = {z})", est.mean, est.se);
            }
        }
    }
}

/// hesim's vignette prints only means of an unseeded 500-draw PSA (the 60-year-old woman: QALYs
/// 14.63 vs 14.68, costs 514 vs 612). A 1,000-draw cirrhosim PSA of the same model, with the
/// correlated regression coefficients drawn from `[[multivariate_normal]]`, must agree with each
/// within 3 standard errors of the difference of two means (500 and 1,000 draws, the spread
/// estimated from our draws) plus half a unit of the last printed digit.
#[test]
fn thr_psa_means_agree_with_hesim_within_sampling_error() {
    use cirrhosim::analysis::psa::sampling::{draw_values, varied_parameters};
    let text = std::fs::read_to_string(repo().join("scenarios/thr_hesim.toml")).unwrap();
    let start = text.find("start_age = [").unwrap();
    let end = start + text[start..].find(']').unwrap() + 1;
    let woman_60 = format!("{}start_age = 60{}", &text[..start], &text[end..])
        .replace("fraction_male = 0.35", "fraction_male = 0");
    let s = Scenario::from_toml("thr_woman_60.toml", &woman_60, &repo().join("scenarios")).unwrap();
    let varied = varied_parameters(&s);
    let n = 1000;
    let mut sums = [[0.0f64; 2]; 4];
    for k in 0..n {
        let values = draw_values(&s, &varied, 2006, k);
        let model = Model::build(&s, &values).unwrap();
        for i in 0..2 {
            let t = analysis::cohort_totals(&model, &sim_cohort(&model, i)).unwrap();
            for (j, x) in [(i, t.qaly), (2 + i, t.cost)] {
                sums[j][0] += x;
                sums[j][1] += x * x;
            }
        }
    }
    let published = [(14.63, 0.005), (14.68, 0.005), (514.0, 0.5), (612.0, 0.5)];
    for (j, (want, rounding)) in published.into_iter().enumerate() {
        let mean = sums[j][0] / n as f64;
        let sd = ((sums[j][1] - n as f64 * mean * mean) / (n as f64 - 1.0)).sqrt();
        let se = (sd * sd / 500.0 + sd * sd / n as f64).sqrt();
        assert!((mean - want).abs() <= 3.0 * se + rounding, "quantity {j}: mean {mean} (sd {sd}) vs hesim {want}");
    }
}
