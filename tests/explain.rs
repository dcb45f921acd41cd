//! `cirrhosim explain`.

use crate::util::{Workdir, repo};
use predicates::str::contains;

#[test]
fn teaching_scenario_shows_the_hand_arithmetic() {
    let wd = Workdir::new();
    wd.cmd()
        .args(["explain", "--strategy", "standard_care"])
        .arg(repo().join("scenarios/teaching.toml"))
        .assert()
        .success()
        .stdout(contains(
            "-> decompensated, with a probability per cycle of 0.1 (p_decompensate; source: Teaching value",
        ))
        .stdout(contains("cycle 2: death = 0.850000 x 0.050000 + 0.100000 x 0.300000 + 0.050000 x 1.000000 = 0.122500"))
        .stdout(contains("72.2500%"));
}

#[test]
fn default_scenario_explains_effects_and_values() {
    let wd = Workdir::new();
    wd.cmd()
        .arg("explain")
        .assert()
        .success()
        .stdout(contains("shifts each patient's meld by -2.01 (msc_meld_md_24wk"))
        .stdout(contains("every formula that reads meld sees the shifted value"))
        .stdout(contains("a man aged 55 with meld 8.6 (stratum 1 of 6)"))
        .stdout(contains("3. Costs and QALYs"))
        .stdout(contains("boundary 0: decompensated_first 1.0000 x ("))
        .stdout(contains(
            "r_liver_death_further_decomp = r_liver_death_first_decomp * hr_further_decomp  (= 0.0718174)",
        ));
}

/// The teaching example of the model language: `explain` shows each formula with its value, the
/// strategy-specific exits, and the first cycle's matrix that can be checked by hand.
#[test]
fn teaching_formulas_scenario_shows_formulas_and_the_hand_arithmetic() {
    let wd = Workdir::new();
    wd.cmd()
        .args(["explain", "--strategy", "msc"])
        .arg(repo().join("scenarios/teaching_formulas.toml"))
        .assert()
        .success()
        .stdout(contains("p_die_compensated = lookup(death_by_age, age)  (changes with age; 0.03 in the first cycle)"))
        .stdout(contains("(1 - p_die_compensated) * p_decompensate (changes with age)"))
        .stdout(contains("[only in msc]"))
        .stdout(contains("what differs is in its own exits"))
        // compensated: stays 0.873, decompensates (1 - 0.03) x 0.10 = 0.097, dies 0.03.
        .stdout(contains("87.3000%       9.7000%       3.0000%"))
        // decompensated under MSC in the first two years: 1 - exp(-0.36 x 0.8) = 0.250238.
        .stdout(contains("25.0238%"));
}

/// Issue 13: the costs part states the currency and price year and shows each conversion.
#[test]
fn default_scenario_explains_its_price_conversion() {
    let wd = Workdir::new();
    wd.cmd()
        .arg("explain")
        .assert()
        .success()
        .stdout(contains("Currency and price year. Costs are in EUR at 2013 prices (country DEU). 1 cost stated in another currency or price year is converted by the CCEMG-EPPI-Centre method"))
        .stdout(contains("c_msc_infusion: 4000 USD 2024 (USA) -> 2301.53 EUR 2013 (country DEU)"))
        .stdout(contains("Index sources:"));
}

/// Heterogeneous patients: `explain` lists the covariates' strata and levels, how a covariate
/// enters each hazard (the lowest and highest per-cycle probability across profiles and whose
/// they are), and the covariate effect of the MSC strategy.
#[test]
fn heterogeneous_scenario_shows_how_covariates_enter_the_hazards() {
    let wd = Workdir::new();
    wd.cmd()
        .args(["explain", "--strategy", "msc"])
        .arg(repo().join("scenarios/meld_heterogeneity.toml"))
        .assert()
        .success()
        .stdout(contains("The population: 24 profiles"))
        .stdout(contains("meld: 8 quantile strata of equal share, at 8.1, 10.8, 12.8, 14.6, 16.4, 18.3, 20.6, 24.4."))
        .stdout(contains("etiology: levels alcohol 50.0%, hbv 30.0%, other 20.0%."))
        .stdout(contains("decompensated -> death reads the covariates: its probability in the first cycle goes from 0.0117 (meld 8.1 (stratum 1 of 8), etiology hbv) to 0.0588 (meld 24.4 (stratum 8 of 8), etiology alcohol)."))
        .stdout(contains("shifts each patient's meld by -2.01 (msc_meld_shift"));
}

/// Issue 12: start states by patient from a patients file are stated with their range.
#[test]
fn start_states_by_profile_are_explained() {
    let wd = Workdir::new();
    wd.cmd()
        .arg("explain")
        .arg(repo().join("scenarios/meld_patients_start.toml"))
        .assert()
        .success()
        .stdout(contains(
            "Start states come from the patients file's start_state column: each profile starts as its patients did (16.6% compensated, 83.4% decompensated overall).",
        ))
        .stdout(contains("The share starting in compensated goes from 0.0% (meld 14.6 (stratum 4 of 8), etiology other) to 100.0% (meld 6.8 (stratum 1 of 8), etiology hbv)."));
}

/// Issue 12: correlated covariates are named with their rho.
#[test]
fn correlated_covariates_are_explained() {
    let wd = Workdir::new();
    wd.cmd()
        .args(["explain", "--strategy", "msc"])
        .arg(repo().join("scenarios/meld_albumin_copula.toml"))
        .assert()
        .success()
        .stdout(contains("The population: 108 profiles"))
        .stdout(contains(
            "  meld and albumin: correlated by a Gaussian copula, rho = -0.45 between their normal scores",
        ));
}

/// Costs and utilities that read the covariates: `explain` says so and shows their range over the
/// profiles (the utility by hand: u_decomp 0.56 for other etiologies, 0.56 + 0.03 for HBV).
#[test]
fn values_by_profile_are_explained() {
    let wd = Workdir::new();
    wd.cmd()
        .args(["explain", "--strategy", "standard_care"])
        .arg(repo().join("scenarios/meld_values.toml"))
        .assert()
        .success()
        .stdout(contains("Some costs or utilities differ by profile"))
        .stdout(contains(
            "the cost \"other\" of decompensated per year (c_decomp_year * max(0, 1 + c_per_meld_point * (meld - 15))) depends on the profile",
        ))
        .stdout(contains(
            "the utility of decompensated (u_decomp + u_hbv_gain * etiology_hbv) depends on the profile: in the first cycle it goes from 0.5600",
        ))
        .stdout(contains("to 0.5900 (meld"));
}
