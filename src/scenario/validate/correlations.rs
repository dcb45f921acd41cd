//! Checks `[[population.correlations]]`: each entry names two different numeric covariates of
//! `[population.covariates]` once, with a correlation in (-1, 1); together the entries make a
//! positive definite correlation matrix among the covariates they name (unnamed pairs 0), and they
//! name at most [`MAX_CORRELATED_COVARIATES`] covariates. Hands on the checked [`Copula`].

use super::Validator;
use crate::error::ProblemKind;
use crate::scenario::formula::closest;
use crate::scenario::limits::MAX_CORRELATED_COVARIATES;
use crate::scenario::population::{Copula, Covariate, CovariateKind};
use crate::scenario::raw::RawPopulation;

/// One checked entry: the two covariates (indices, in the covariates' order), rho, its source,
/// the entry's line and its index in the list.
type Pair = ([usize; 2], f64, Option<String>, Option<usize>, usize);

impl Validator<'_> {
    /// The copula of the population's correlations (`None` without correlations or when an
    /// entry breaks a rule, each broken rule reported at its entry).
    pub(super) fn correlations(&mut self, raw: &RawPopulation, covariates: &[Covariate]) -> Option<Copula> {
        let mut pairs: Vec<Pair> = Vec::new();
        let mut all_good = true;
        for (e, entry) in raw.correlations.iter().enumerate() {
            match self.correlation(e, entry, covariates, &pairs) {
                Some(pair) => pairs.push(pair),
                None => all_good = false,
            }
        }
        if !all_good || pairs.is_empty() {
            return None;
        }
        let mut named: Vec<usize> = pairs.iter().flat_map(|(p, ..)| *p).collect();
        named.sort_unstable();
        named.dedup();
        let names = named.iter().map(|&i| format!("\"{}\"", covariates[i].name)).collect::<Vec<_>>().join(", ");
        let line = pairs[0].3;
        let k = named.len();
        let mut matrix = nalgebra::DMatrix::<f64>::identity(k, k);
        for ([a, b], rho, ..) in &pairs {
            let (r, c) = (named.iter().position(|i| i == a), named.iter().position(|i| i == b));
            if let (Some(r), Some(c)) = (r, c) {
                matrix[(r, c)] = *rho;
                matrix[(c, r)] = *rho;
            }
        }
        if matrix.cholesky().is_none() {
            let kind = ProblemKind::CorrelationNotPositiveDefinite { covariates: names };
            self.problem("population.correlations", line, kind);
            return None;
        }
        if k > MAX_CORRELATED_COVARIATES {
            let kind = ProblemKind::CorrelationTooMany { count: k, covariates: names, max: MAX_CORRELATED_COVARIATES };
            self.problem("population.correlations", line, kind);
            return None;
        }
        let position = |i: &usize| named.iter().position(|n| n == i).unwrap_or(0);
        let entries = pairs.iter().map(|([a, b], rho, ..)| (position(a), position(b), *rho)).collect();
        let sources = pairs.iter().filter_map(|(_, _, source, ..)| source.clone()).collect();
        Some(Copula { covariates: named, pairs: entries, sources })
    }

    /// One entry, checked against the covariates and the entries before it.
    fn correlation(
        &mut self,
        e: usize,
        entry: &toml::Spanned<crate::scenario::raw::RawCorrelation>,
        covariates: &[Covariate],
        earlier: &[Pair],
    ) -> Option<Pair> {
        let line = self.line(entry);
        let key = format!("population.correlations[{e}]");
        let c = entry.get_ref();
        let mut good = true;
        if !(c.rho.is_finite() && c.rho > -1.0 && c.rho < 1.0) {
            self.problem(format!("{key}.rho"), line, ProblemKind::CorrelationOutOfRange { value: c.rho });
            good = false;
        }
        if c.covariates.len() != 2 {
            let kind = ProblemKind::CorrelationNotAPair { found: c.covariates.len() };
            self.problem(format!("{key}.covariates"), line, kind);
            return None;
        }
        let mut indices = Vec::new();
        for name in &c.covariates {
            // A covariate that broke its own rules was reported there.
            if self.broken_covariates.contains(name) {
                good = false;
                continue;
            }
            let Some(i) = covariates.iter().position(|cv| cv.name == *name) else {
                let known = covariates.iter().map(|cv| cv.name.as_str());
                let hint = closest(name, known.clone()).map(|c| format!("; did you mean \"{c}\"?")).unwrap_or_default();
                let known = known.collect::<Vec<_>>().join(", ");
                let kind = ProblemKind::CorrelationUnknownCovariate { name: name.clone(), hint, known };
                self.problem(format!("{key}.covariates"), line, kind);
                good = false;
                continue;
            };
            if matches!(covariates[i].kind, CovariateKind::Categorical(_)) {
                let kind = ProblemKind::CorrelationCategorical { name: name.clone() };
                self.problem(format!("{key}.covariates"), line, kind);
                good = false;
                continue;
            }
            indices.push(i);
        }
        if let [a, b] = indices[..]
            && a == b
        {
            let kind = ProblemKind::CorrelationWithItself { name: covariates[a].name.clone() };
            self.problem(format!("{key}.covariates"), line, kind);
            return None;
        }
        let [a, b] = indices[..] else { return None };
        let pair = [a.min(b), a.max(b)];
        if let Some(&(.., before)) = earlier.iter().find(|(p, ..)| *p == pair) {
            let (first, second) = (covariates[pair[0]].name.clone(), covariates[pair[1]].name.clone());
            let kind = ProblemKind::CorrelationTwice { first, second, earlier: before };
            self.problem(format!("{key}.covariates"), line, kind);
            return None;
        }
        good.then(|| (pair, c.rho, c.source.clone(), line, e))
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::{BASE, err, s};

    /// The base scenario with numeric covariates a, b, c and a categorical one, and `extra`.
    fn with(extra: &str) -> String {
        let covariates = [
            "[population]\nnodes = 4",
            "[population.covariates.meld]\ndistribution = { type = \"normal\", mean = 15, sd = 6 }",
            "[population.covariates.albumin]\ndistribution = { type = \"normal\", mean = 3.2, sd = 0.6 }",
            "[population.covariates.bilirubin]\ndistribution = { type = \"lognormal\", mean = 3, sd = 2 }",
            "[population.covariates.etiology]\nlevels = { hbv = 0.5, alcohol = 0.5 }",
        ];
        format!("{BASE}{}\n{extra}", covariates.join("\n"))
    }

    fn pair(a: &str, b: &str, rho: &str) -> String {
        format!("[[population.correlations]]\ncovariates = [\"{a}\", \"{b}\"]\nrho = {rho}\nsource = \"t\"\n")
    }

    #[test]
    fn a_pair_becomes_the_copula_with_its_joint_shares() {
        let scenario = s(&with(&pair("albumin", "meld", "-0.45"))).unwrap();
        let copula = scenario.population.copula.as_ref().unwrap();
        assert_eq!((copula.covariates.as_slice(), copula.rho(0, 1)), ([0, 1].as_slice(), -0.45));
        let cells = scenario.population.cells();
        let profiles = scenario.population.profiles(&cells);
        assert_eq!(profiles.len(), 4 * 4 * 4 * 2);
        assert!((profiles.iter().map(|p| p.1).sum::<f64>() - 1.0).abs() < 1e-14);
    }

    #[test]
    fn each_rule_is_located_and_explained() {
        let e = err(&with(&pair("meld", "albumen", "0.3")));
        assert!(
            e.contains("population.correlations[0].covariates: unknown covariate \"albumen\"; did you mean \"albumin\"? (covariates: meld, albumin, bilirubin, etiology)"),
            "{e}"
        );
        let e = err(&with(&pair("meld", "etiology", "0.3")));
        assert!(e.contains("covariate \"etiology\" is categorical; only numeric covariates"), "{e}");
        let e = err(&with(&pair("meld", "meld", "0.3")));
        assert!(
            e.contains("a covariate is not correlated with itself: name two different covariates (not \"meld\" twice)"),
            "{e}"
        );
        let e = err(&with(&format!("{}{}", pair("meld", "albumin", "0.3"), pair("albumin", "meld", "0.2"))));
        assert!(
            e.contains("correlations[1].covariates: the correlation of \"meld\" and \"albumin\" is given twice (also in correlations[0])"),
            "{e}"
        );
        for rho in ["1.0", "-1.5", "nan", "inf"] {
            let e = err(&with(&pair("meld", "albumin", rho)));
            assert!(
                e.contains("population.correlations[0].rho: rho = ")
                    && e.contains("must be a finite number above -1 and below 1"),
                "{e}"
            );
        }
        let e = err(&with("[[population.correlations]]\ncovariates = [\"meld\"]\nrho = 0.2\n"));
        assert!(e.contains("covariates must name two covariates, e.g. [\"meld\", \"albumin\"] (found 1)"), "{e}");
        // 0.9, 0.9 and -0.9: no correlation matrix has them.
        let three = format!(
            "{}{}{}",
            pair("meld", "albumin", "0.9"),
            pair("meld", "bilirubin", "0.9"),
            pair("albumin", "bilirubin", "-0.9")
        );
        let e = err(&with(&three));
        assert!(
            e.contains("population.correlations: the correlations among \"meld\", \"albumin\", \"bilirubin\" do not make a positive definite matrix"),
            "{e}"
        );
        let sodium = "[population.covariates.sodium]\ndistribution = { type = \"normal\", mean = 137, sd = 4 }\n";
        let four = format!(
            "{sodium}{}{}{}",
            pair("meld", "albumin", "0.3"),
            pair("meld", "bilirubin", "0.3"),
            pair("meld", "sodium", "-0.2")
        );
        let e = err(&with(&four));
        assert!(
            e.contains(
                "4 covariates are correlated (\"meld\", \"albumin\", \"bilirubin\", \"sodium\"); at most 3 can be"
            ),
            "{e}"
        );
    }

    /// Three covariates: one copula whose profiles keep every marginal, and whose shares summed
    /// over the third covariate are the pair's bivariate shares.
    #[test]
    fn three_covariates_make_one_copula() {
        let three = format!("{}{}", pair("albumin", "meld", "-0.45"), pair("meld", "bilirubin", "0.3"));
        let scenario = s(&with(&three)).unwrap();
        let copula = scenario.population.copula.as_ref().unwrap();
        assert_eq!(copula.covariates, vec![0, 1, 2]);
        assert_eq!((copula.rho(0, 1), copula.rho(0, 2), copula.rho(1, 2)), (-0.45, 0.3, 0.0));
        let cells = scenario.population.cells();
        let profiles = scenario.population.profiles(&cells);
        assert_eq!(profiles.len(), 4 * 4 * 4 * 2);
        assert!((profiles.iter().map(|p| p.1).sum::<f64>() - 1.0).abs() < 1e-12);
        for covariate in 0..3 {
            for stratum in 0..4 {
                let share: f64 = profiles.iter().filter(|(path, _)| path[covariate] == stratum).map(|p| p.1).sum();
                assert!((share - 0.25).abs() < 1e-10, "{covariate} {stratum}: {share}");
            }
        }
        let pair_shares = crate::scenario::copula::bivariate_strata(4, 4, -0.45);
        for (a, b) in (0..4).flat_map(|a| (0..4).map(move |b| (a, b))) {
            let share: f64 = profiles.iter().filter(|(path, _)| path[0] == a && path[1] == b).map(|p| p.1).sum();
            assert!((share - pair_shares[(a * 4 + b) as usize]).abs() < 1e-10, "({a}, {b})");
        }
    }

    #[test]
    fn correlations_are_refused_with_a_patients_file() {
        let dir = std::path::Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/scenarios"));
        let text = std::fs::read_to_string(dir.join("meld_patients_file.toml")).unwrap();
        let text = text.replacen(
            "[population.covariates.etiology]\n",
            &format!("[population.covariates.etiology]\n{}", pair("meld", "etiology", "0.3")),
            1,
        );
        let e = crate::scenario::Scenario::from_toml("t.toml", &text, dir).map(|_| ()).unwrap_err().to_string();
        assert!(
            e.contains("population.correlations[0]: correlations cannot be given with patients_file: the file's patients already carry"),
            "{e}"
        );
    }
}
