//! `cirrhosim params`.

use crate::util::{Workdir, repo};
use predicates::str::contains;

#[test]
fn lists_values_distributions_ranges_and_sources() {
    let wd = Workdir::new();
    wd.cmd()
        .arg("params")
        .assert()
        .success()
        .stdout(contains("r_aclf"))
        .stdout(contains("gamma(7.9320, 0.0093)"))
        .stdout(contains("0.045 - 0.148"))
        .stdout(contains("Tonon 2025"));
    wd.cmd()
        .arg("params")
        .arg(repo().join("scenarios/chancellor_hiv.toml"))
        .assert()
        .success()
        .stdout(contains("dirichlet(1251, 350, 116, 17)"));
}

/// Issue 13: a cost stated in USD 2024 is shown with the arithmetic of its conversion to the
/// scenario's EUR 2013 and the source of every index value.
#[test]
fn converted_costs_show_their_arithmetic_and_sources() {
    let wd = Workdir::new();
    wd.cmd()
        .arg("params")
        .assert()
        .success()
        .stdout(contains("2301.53"))
        .stdout(contains(
            "c_msc_infusion: 4000 USD 2024 (USA) -> 2301.53 EUR 2013 (country DEU) = 4000 x 0.575383: CPI USA 2013/2024 = 232.957/313.689 [1]; PPP 2013 DEU/USA = 0.774784/1 [2] (CCEMG-EPPI-Centre)",
        ))
        .stdout(contains("[1] BLS CPI-U, U.S. city average"))
        .stdout(contains("[2] World Bank WDI"))
        .stdout(contains("Stated by their sources in EUR 2013 (factor 1): c_comp_year, c_decomp_year"));
    // The market exchange rate instead: 232.957 / 313.689 x 0.752945 (EUR per US$, 2013).
    let text = std::fs::read_to_string(repo().join("scenarios/default.toml"))
        .unwrap()
        .replace("conversion = \"ccemg\"", "conversion = \"exchange_rate\"");
    wd.write("x.toml", &text);
    wd.cmd()
        .args(["params", "x.toml"])
        .assert()
        .success()
        .stdout(contains("= 4000 x 0.559165: CPI USA 2013/2024 = 232.957/313.689 [1]; exchange rate 2013 DEU/USA = 0.752945/1 [2] (market exchange rate)"));
}

/// `params` lists the population's covariates: distribution or levels, the strata the model runs,
/// bands and sources; with a patients file, where the values come from.
#[test]
fn params_list_the_population() {
    let wd = crate::util::Workdir::new();
    wd.cmd()
        .arg("params")
        .arg(crate::util::repo().join("scenarios/meld_heterogeneity.toml"))
        .assert()
        .success()
        .stdout(predicates::str::contains("Population: every combination of strata and levels is a profile"))
        .stdout(predicates::str::contains("normal(mean 15, sd 6) cut to [6, 40]"))
        .stdout(predicates::str::contains("alcohol 50.0%, hbv 30.0%, other 20.0%"));
    wd.cmd()
        .arg("params")
        .arg(crate::util::repo().join("scenarios/meld_patients_file.toml"))
        .assert()
        .success()
        .stdout(predicates::str::contains("meld_patients.csv (500 rows)"))
        .stdout(predicates::str::contains("from the patients file"));
}
