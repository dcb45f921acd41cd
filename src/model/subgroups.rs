//! Subgroups of the population for `--by`: which sub-cohort (profile) belongs to which subgroup.
//!
//! Receives a checked [`Scenario`], the model's sub-cohorts ([`Group`]s) and the covariates
//! named on the command line (`--by meld,etiology`); hands the engines a map from sub-cohort to
//! subgroup, with each subgroup's name and share of the population.
//!
//! A categorical covariate groups by its levels. A numeric covariate groups by its bands
//! (`bands = { meld_below_15 = [6, 15], ... }`, each `[low, high)`): a stratum belongs to the band
//! its *node value* falls in (the quantile at the stratum's midpoint, the value every formula of
//! the stratum reads), so a stratum is never split between bands. A subgroup's share is therefore
//! the summed weight of its strata, which can differ from the distribution's probability of the
//! band by up to one stratum's weight (1 / nodes); more nodes make the two agree. Several names
//! make the cross-classification (`meld=meld_20_or_more;etiology=hbv`), the first name varying
//! slowest; subgroups that no profile falls in are left out.

use super::Group;
use crate::error::{ByProblem, Error, Result, number};
use crate::scenario::Scenario;
use crate::scenario::formula::closest;
use crate::scenario::population::CovariateKind;

/// The subgroups of one `--by`, and the subgroup of every sub-cohort.
#[derive(Debug, Clone, PartialEq)]
pub struct Subgroups {
    /// The covariates named, in the order given.
    pub by: Vec<String>,
    /// `covariate=category` joined by `;` for each subgroup, e.g. `meld=meld_20_or_more;etiology=hbv`.
    pub names: Vec<String>,
    /// Share of the population in each subgroup: the summed weight of its sub-cohorts (they sum
    /// to the total weight of the sub-cohorts, 1 within rounding).
    pub shares: Vec<f64>,
    /// The subgroup of each sub-cohort, `[group]`, indexed like `Model::groups`.
    pub of_group: Vec<usize>,
}

impl Subgroups {
    /// Classifies every sub-cohort by the covariates `by` (see the module documentation).
    ///
    /// # Errors
    /// [`Error::By`] when the scenario has no `[population]`, a name is not a covariate (with the
    /// closest one), a numeric covariate has no bands, a stratum's value falls in no band, or a
    /// name is given twice.
    pub fn new(scenario: &Scenario, groups: &[Group], by: &[String]) -> Result<Subgroups> {
        let population = &scenario.population;
        let file = || scenario.file.clone();
        let err = |name: &str, problem: ByProblem| Error::By { name: name.to_string(), problem: Box::new(problem) };
        let variables = population.variables();
        // Per name: its categories and the category of each sub-cohort.
        let mut classes: Vec<(Vec<String>, Vec<usize>)> = Vec::new();
        for (i, name) in by.iter().enumerate() {
            if population.covariates.is_empty() {
                return Err(err(name, ByProblem::NoPopulation { file: file() }));
            }
            if by[..i].contains(name) {
                return Err(err(name, ByProblem::Repeated { covariate: name.clone() }));
            }
            let Some(c) = population.covariates.iter().position(|c| &c.name == name) else {
                let names: Vec<&str> = population.covariates.iter().map(|c| c.name.as_str()).collect();
                let suggestion = closest(name, names.iter().copied()).map(str::to_string);
                return Err(err(name, ByProblem::Unknown { file: file(), known: names.join(", "), suggestion }));
            };
            let covariate = &population.covariates[c];
            classes.push(match &covariate.kind {
                CovariateKind::Categorical(levels) => {
                    let of: Vec<usize> = groups.iter().map(|g| g.cells[c] as usize).collect();
                    (levels.iter().map(|(level, _)| level.clone()).collect(), of)
                }
                CovariateKind::Numeric(_) if covariate.bands.is_empty() => {
                    return Err(err(name, ByProblem::NoBands { file: file(), covariate: name.clone() }));
                }
                CovariateKind::Numeric(_) => {
                    // The covariate's slot among the formula variables: a numeric one has one.
                    let slot = variables.iter().position(|v| v == name).expect("a numeric covariate is a variable");
                    let bands: Vec<String> = covariate.bands.iter().map(|(b, _, _)| b.clone()).collect();
                    let mut of = Vec::with_capacity(groups.len());
                    for g in groups {
                        let value = g.covariates[slot];
                        let band = covariate.band_of(value).and_then(|b| bands.iter().position(|x| x == b));
                        of.push(band.ok_or_else(|| {
                            let stratum = format!("stratum {} of {}", g.cells[c] + 1, population.nodes);
                            let value = number(value);
                            err(name, ByProblem::OutsideBands { file: file(), covariate: name.clone(), stratum, value })
                        })?);
                    }
                    (bands, of)
                }
            });
        }
        // Mixed-radix key of each sub-cohort, first name slowest; then only the keys that occur.
        let key = |g: usize| classes.iter().fold(0, |k, (categories, of)| k * categories.len() + of[g]);
        let mut keys: Vec<usize> = (0..groups.len()).map(key).collect();
        keys.sort_unstable();
        keys.dedup();
        let name_of = |mut k: usize| {
            let mut parts = Vec::new();
            for (name, (categories, _)) in by.iter().zip(&classes).rev() {
                parts.push(format!("{name}={}", categories[k % categories.len()]));
                k /= categories.len();
            }
            parts.reverse();
            parts.join(";")
        };
        let of_group: Vec<usize> = (0..groups.len()).map(|g| keys.binary_search(&key(g)).expect("listed")).collect();
        let mut shares = vec![0.0; keys.len()];
        for (g, &k) in of_group.iter().enumerate() {
            shares[k] += groups[g].weight;
        }
        Ok(Subgroups { by: by.to_vec(), names: keys.into_iter().map(name_of).collect(), shares, of_group })
    }

    /// The number of subgroups.
    pub fn len(&self) -> usize {
        self.names.len()
    }

    /// True when there is no subgroup (no sub-cohort at all).
    pub fn is_empty(&self) -> bool {
        self.names.is_empty()
    }

    /// The sub-cohorts of subgroup `k`, in the model's order.
    pub fn groups_of(&self, k: usize) -> Vec<usize> {
        self.of_group.iter().enumerate().filter(|(_, s)| **s == k).map(|(g, _)| g).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::groups::sub_cohorts;
    use std::path::Path;

    /// MELD in 4 strata of a uniform-like empirical distribution 0..40 (nodes 5, 15, 25, 35) and
    /// etiology with three levels.
    fn scenario(bands: &str) -> Scenario {
        let text = format!(
            r#"
[scenario]
name = "t"
[settings]
cycle_length = "1 year"
horizon = "2 years"
patients = 100
seed = 1
[cohort]
start_state = {{ sick = 1.0 }}
[population]
nodes = 4
[population.covariates.meld]
distribution = {{ type = "quantiles", values = [0, 40] }}
{bands}
[population.covariates.etiology]
levels = {{ hbv = 0.3, alcohol = 0.5, other = 0.2 }}
[population.covariates.albumin]
distribution = {{ type = "normal", mean = 3.5, sd = 0.5 }}
[[states]]
name = "sick"
[[states]]
name = "dead"
absorbing = true
alive = false
[[transitions]]
from = "sick"
to = "dead"
rate = "0.1 * exp(0.1 * (meld - 15)) * (1 + etiology_hbv) * albumin / 3.5"
[[strategies]]
name = "a"
"#
        );
        Scenario::from_toml("t.toml", &text, Path::new(".")).unwrap()
    }

    fn by(names: &[&str]) -> Vec<String> {
        names.iter().map(|s| s.to_string()).collect()
    }

    fn classify(s: &Scenario, names: &[&str]) -> Result<Subgroups> {
        Subgroups::new(s, &sub_cohorts(s), &by(names))
    }

    const BANDS: &str = "bands = { low = [0, 10], middle = [10, 30], high = [30, 40] }";

    #[test]
    fn bands_classify_strata_by_their_node_value() {
        let s = scenario(BANDS);
        let g = classify(&s, &["meld"]).unwrap();
        assert_eq!(g.names, ["meld=low", "meld=middle", "meld=high"]);
        // Nodes 5 | 15, 25 | 35: a quarter, a half, a quarter.
        for (share, expected) in g.shares.iter().zip([0.25, 0.5, 0.25]) {
            assert!((share - expected).abs() < 1e-12, "{:?}", g.shares);
        }
        // Covariates come in the file's order (meld, etiology, albumin), levels alphabetically.
        let slot = s.population.variables().iter().position(|v| v == "meld").unwrap();
        let meld_covariate = s.population.covariates.iter().position(|c| c.name == "meld").unwrap();
        let groups = sub_cohorts(&s);
        for (group, &k) in groups.iter().zip(&g.of_group) {
            let meld = group.covariates[slot];
            assert_eq!(g.names[k], format!("meld={}", s.population.covariates[meld_covariate].band_of(meld).unwrap()));
        }
    }

    #[test]
    fn levels_and_cross_classification_with_shares_summing_to_one() {
        let s = scenario(BANDS);
        let e = classify(&s, &["etiology"]).unwrap();
        assert_eq!(e.names, ["etiology=alcohol", "etiology=hbv", "etiology=other"]);
        for (share, expected) in e.shares.iter().zip([0.5, 0.3, 0.2]) {
            assert!((share - expected).abs() < 1e-12);
        }
        let x = classify(&s, &["meld", "etiology"]).unwrap();
        assert_eq!(x.len(), 9);
        assert_eq!(x.names[0], "meld=low;etiology=alcohol");
        assert_eq!(x.names[1], "meld=low;etiology=hbv");
        assert_eq!(x.names[8], "meld=high;etiology=other");
        assert_eq!(x.names[3], "meld=middle;etiology=alcohol");
        assert!((x.shares[3] - 0.5 * 0.5).abs() < 1e-12);
        assert!((x.shares.iter().sum::<f64>() - 1.0).abs() < 1e-12);
        // Every sub-cohort is in exactly one subgroup, and groups_of lists them.
        let all: usize = (0..x.len()).map(|k| x.groups_of(k).len()).sum();
        assert_eq!(all, sub_cohorts(&s).len());
        // The other order varies etiology slowest.
        let y = classify(&s, &["etiology", "meld"]).unwrap();
        assert_eq!(&y.names[..2], ["etiology=alcohol;meld=low", "etiology=alcohol;meld=middle"]);
    }

    #[test]
    fn bands_no_stratum_falls_in_are_left_out() {
        // Nodes 5, 15, 25, 35: no node in [10, 12).
        let s = scenario("bands = { a = [0, 10], empty = [10, 12], b = [12, 40] }");
        assert_eq!(classify(&s, &["meld"]).unwrap().names, ["meld=a", "meld=b"]);
    }

    #[test]
    fn bad_names_are_errors_with_the_fix() {
        let s = scenario(BANDS);
        let e = classify(&s, &["meldd"]).unwrap_err().to_string();
        assert_eq!(
            e,
            "--by meldd: t.toml has no covariate of that name (covariates: meld, etiology, albumin); did you mean \"meld\"?"
        );
        let e = classify(&s, &["albumin"]).unwrap_err().to_string();
        assert!(
            e.starts_with("--by albumin: t.toml: \"albumin\" is a numeric covariate without bands; add bands = {"),
            "{e}"
        );
        assert!(e.ends_with("under [population.covariates.albumin] to group its values"), "{e}");
        let e = classify(&s, &["meld", "meld"]).unwrap_err().to_string();
        assert_eq!(e, "--by meld: \"meld\" is named twice; name each covariate once");
        let gap = scenario("bands = { a = [0, 10], b = [20, 40] }");
        let e = classify(&gap, &["meld"]).unwrap_err().to_string();
        assert_eq!(
            e,
            "--by meld: t.toml: stratum 2 of 4 of \"meld\" has the value 15, which falls in none of its bands; widen the bands so that every value from the distribution falls in one"
        );
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/scenarios/four_state.toml");
        let none = Scenario::load(std::path::Path::new(path)).unwrap();
        let e = classify(&none, &["meld"]).unwrap_err().to_string();
        assert!(e.starts_with("--by meld: ") && e.contains("has no [population]"), "{e}");
    }
}
