//! The population a scenario models: covariates that make patients differ (`[population]`).
//!
//! Owns the checked form of `[population.covariates.NAME]` and how a covariate becomes the
//! profiles both engines run: a categorical covariate (etiology) has levels with shares; a numeric
//! one (MELD, albumin) has a distribution, represented by `nodes` quantile strata of equal weight
//! whose values are the distribution's quantiles at the strata's midpoints ((i + 1/2) / nodes).
//! The cohort engine runs every profile (the product of the covariates' levels and strata, times
//! the start ages and sexes of `[cohort]`) exactly, weighted; a Monte Carlo patient draws its
//! profile from its own random stream with the same weights. Both engines therefore run the same
//! model, and the error of representing a continuous covariate by strata is measured by running
//! it with more nodes (`cirrhosim check` reports it).
//!
//! In formulas a numeric covariate is read by its name (`meld`) and each level of a categorical
//! one by `NAME_LEVEL`, 1 in profiles of that level and 0 otherwise (`etiology_hbv`).

use super::formula::MAX_COVARIATE_VARIABLES;
use statrs::distribution::{ContinuousCDF, Normal};

/// The covariates of a scenario's population (none when the file has no `[population]`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Population {
    pub covariates: Vec<Covariate>,
    /// Quantile strata per numeric covariate.
    pub nodes: usize,
    pub source: Option<String>,
    /// The patients file the covariates come from, and what it gave with `nodes` strata
    /// (see [`super::patients_file`]); `None` when the covariates have distributions and levels.
    pub file: Option<(std::path::PathBuf, super::patients_file::FilePopulation)>,
    /// Two or three numeric covariates whose normal scores are correlated
    /// (`[[population.correlations]]`); `None` when every covariate is independent of the others.
    pub copula: Option<Copula>,
}

/// The Gaussian copula of two or three numeric covariates: their normal scores `Phi^-1(F(x))`
/// are multivariate normal with the given correlations, so each keeps its own distribution (see
/// [`super::copula`]). At most [`super::limits::MAX_CORRELATED_COVARIATES`] covariates.
#[derive(Debug, Clone, PartialEq)]
pub struct Copula {
    /// The covariates, as indices into [`Population::covariates`], in the covariates' order.
    pub covariates: Vec<usize>,
    /// The correlation of each pair of them, `(i, j, rho)` with `i < j` positions in
    /// `covariates`; a pair not listed has correlation 0. Together positive definite.
    pub pairs: Vec<(usize, usize, f64)>,
    /// The sources of the entries, in their order.
    pub sources: Vec<String>,
}

impl Copula {
    /// The correlation of the covariates at positions `i` and `j` of [`Copula::covariates`].
    pub fn rho(&self, i: usize, j: usize) -> f64 {
        let (i, j) = (i.min(j), i.max(j));
        self.pairs.iter().find(|(a, b, _)| (*a, *b) == (i, j)).map_or(0.0, |p| p.2)
    }

    /// The joint shares of the strata of the correlated covariates (`n[k]` strata for the
    /// covariate at position k), row-major in the covariates' order, normalised to sum to 1.
    pub fn joint_shares(&self, n: &[usize]) -> Vec<f64> {
        let mut w = match n {
            [n1, n2] => super::copula::bivariate_strata(*n1, *n2, self.rho(0, 1)),
            [n1, n2, n3] => {
                super::copula::trivariate_strata([*n1, *n2, *n3], [self.rho(0, 1), self.rho(0, 2), self.rho(1, 2)])
            }
            _ => unreachable!("a copula joins two or three covariates (checked when the scenario is read)"),
        };
        let total: f64 = w.iter().sum();
        w.iter_mut().for_each(|x| *x /= total);
        w
    }
}

/// One covariate.
#[derive(Debug, Clone, PartialEq)]
pub struct Covariate {
    pub name: String,
    pub kind: CovariateKind,
    pub unit: Option<String>,
    pub source: Option<String>,
    /// Named bands of a numeric covariate, `[low, high)`, for subgroup results.
    pub bands: Vec<(String, f64, f64)>,
}

/// What values a covariate takes.
#[derive(Debug, Clone, PartialEq)]
pub enum CovariateKind {
    Numeric(CovariateDistribution),
    /// Levels with their shares (summing to 1), in the file's order.
    Categorical(Vec<(String, f64)>),
}

/// The distribution of a numeric covariate in the population.
#[derive(Debug, Clone, PartialEq)]
pub enum CovariateDistribution {
    /// Normal, truncated to `[low, high]` when either is given.
    Normal { mean: f64, sd: f64, low: Option<f64>, high: Option<f64> },
    /// Lognormal with this mean and standard deviation on the natural scale.
    LogNormal { mean: f64, sd: f64 },
    /// Empirical: the quantiles at equally spaced probabilities 0, 1/n, ..., 1 (increasing),
    /// linear in between.
    Quantiles(Vec<f64>),
    /// The values of a patients file (its strata are the file's; no quantile function).
    File,
}

impl CovariateDistribution {
    /// The quantile at probability `u` in (0, 1).
    pub fn quantile(&self, u: f64) -> f64 {
        let z = |p: f64| Normal::standard().inverse_cdf(p);
        match self {
            CovariateDistribution::Normal { mean, sd, low, high } => {
                let phi = |x: Option<f64>, default: f64| x.map_or(default, |x| Normal::standard().cdf((x - mean) / sd));
                let (a, b) = (phi(*low, 0.0), phi(*high, 1.0));
                mean + sd * z(a + u * (b - a))
            }
            CovariateDistribution::LogNormal { mean, sd } => {
                let sdlog = (1.0 + (sd / mean).powi(2)).ln().sqrt();
                let meanlog = mean.ln() - sdlog * sdlog / 2.0;
                (meanlog + sdlog * z(u)).exp()
            }
            CovariateDistribution::Quantiles(q) => {
                let x = u * (q.len() - 1) as f64;
                let i = (x.floor() as usize).min(q.len() - 2);
                q[i] + (q[i + 1] - q[i]) * (x - i as f64)
            }
            CovariateDistribution::File => f64::NAN,
        }
    }
}

/// One value a covariate takes in the profiles: its value (the stratum's quantile, or the level's
/// index), its share of the population, and its name for tables ("hbv", "stratum 3 of 8").
#[derive(Debug, Clone, PartialEq)]
pub struct Cell {
    pub value: f64,
    pub weight: f64,
    pub label: String,
}

impl Covariate {
    /// The cells of this covariate with `nodes` strata for a numeric one.
    pub fn cells(&self, nodes: usize) -> Vec<Cell> {
        match &self.kind {
            CovariateKind::Numeric(d) => (0..nodes)
                .map(|i| Cell {
                    value: d.quantile((i as f64 + 0.5) / nodes as f64),
                    weight: 1.0 / nodes as f64,
                    label: format!("stratum {} of {nodes}", i + 1),
                })
                .collect(),
            CovariateKind::Categorical(levels) => levels
                .iter()
                .enumerate()
                .map(|(i, (name, share))| Cell { value: i as f64, weight: *share, label: name.clone() })
                .collect(),
        }
    }

    /// The names formulas read for this covariate: its own for a numeric one, `NAME_LEVEL` for
    /// each level of a categorical one.
    pub fn variable_names(&self) -> Vec<String> {
        match &self.kind {
            CovariateKind::Numeric(_) => vec![self.name.clone()],
            CovariateKind::Categorical(levels) => levels.iter().map(|(l, _)| format!("{}_{l}", self.name)).collect(),
        }
    }

    /// The band a value falls in, if the covariate has bands.
    pub fn band_of(&self, value: f64) -> Option<&str> {
        self.bands.iter().find(|(_, lo, hi)| value >= *lo && value < *hi).map(|(n, _, _)| n.as_str())
    }
}

impl Population {
    /// Every variable formulas may read, with its slot in `At::covariates`, in order.
    pub fn variables(&self) -> Vec<String> {
        self.covariates.iter().flat_map(Covariate::variable_names).collect()
    }

    /// The cells of every covariate, in order (a patients file's when there is one).
    pub fn cells(&self) -> Vec<Vec<Cell>> {
        match &self.file {
            Some((_, f)) => f.cells.clone(),
            None => self.covariates.iter().map(|c| c.cells(self.nodes)).collect(),
        }
    }

    /// Every profile (one cell index per covariate) with its share: those of a patients file,
    /// or every combination of `cells` (from [`Population::cells`]) weighted by the product of
    /// their shares (the first covariate varying slowest). With a [`Copula`], the correlated
    /// covariates' strata share instead the probability of their rectangle (or box) under the
    /// multivariate normal of their scores ([`Copula::joint_shares`]), times the other
    /// covariates' shares.
    pub fn profiles(&self, cells: &[Vec<Cell>]) -> Vec<(Vec<u16>, f64)> {
        if let Some((_, f)) = &self.file {
            return f.profiles.clone();
        }
        // The correlated covariates' joint shares, indexed by their strata (row-major).
        let joint = self.copula.as_ref().and_then(|c| {
            let n: Vec<usize> = c.covariates.iter().map(|&j| cells.get(j).map(Vec::len)).collect::<Option<_>>()?;
            Some((c, c.joint_shares(&n), n))
        });
        let correlated = |j: usize| joint.as_ref().is_some_and(|(c, ..)| c.covariates.contains(&j));
        let mut profiles: Vec<(Vec<u16>, f64)> = vec![(Vec::new(), 1.0)];
        for (j, c) in cells.iter().enumerate() {
            let own_share = !correlated(j);
            profiles = profiles
                .into_iter()
                .flat_map(|(path, w)| {
                    c.iter().enumerate().map(move |(k, cell)| {
                        let mut path = path.clone();
                        path.push(k as u16);
                        (path, if own_share { w * cell.weight } else { w })
                    })
                })
                .collect();
        }
        if let Some((c, w, n)) = &joint {
            for (path, share) in &mut profiles {
                let index = c.covariates.iter().zip(n).fold(0, |index, (&j, &n)| index * n + path[j] as usize);
                *share *= w[index];
            }
        }
        profiles
    }

    /// A profile in words, "meld 8.1 (stratum 1 of 8), etiology hbv", from its cells (one index
    /// per covariate); empty without covariates.
    pub fn describe(&self, cell_of: &[u16]) -> String {
        let cells = self.cells();
        self.covariates
            .iter()
            .zip(&cells)
            .zip(cell_of)
            .map(|((c, cells), &k)| {
                let cell = &cells[k as usize];
                match c.kind {
                    CovariateKind::Numeric(_) => format!("{} {:.1} ({})", c.name, cell.value, cell.label),
                    CovariateKind::Categorical(_) => format!("{} {}", c.name, cell.label),
                }
            })
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// The covariate variables of the profile whose cells are `cell_of` (one index per covariate).
    pub fn values(&self, cells: &[Vec<Cell>], cell_of: &[u16]) -> [f64; MAX_COVARIATE_VARIABLES] {
        let mut out = [f64::NAN; MAX_COVARIATE_VARIABLES];
        let mut slot = 0;
        for ((c, cells), &k) in self.covariates.iter().zip(cells).zip(cell_of) {
            match &c.kind {
                CovariateKind::Numeric(_) => {
                    out[slot] = cells[k as usize].value;
                    slot += 1;
                }
                CovariateKind::Categorical(levels) => {
                    for level in 0..levels.len() {
                        out[slot] = if level == k as usize { 1.0 } else { 0.0 };
                        slot += 1;
                    }
                }
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normal_strata_are_symmetric_quantiles() {
        let c = Covariate {
            name: "meld".into(),
            kind: CovariateKind::Numeric(CovariateDistribution::Normal { mean: 15.0, sd: 4.0, low: None, high: None }),
            unit: None,
            source: None,
            bands: Vec::new(),
        };
        let cells = c.cells(4);
        assert_eq!(cells.len(), 4);
        assert!((cells[0].value + cells[3].value - 30.0).abs() < 1e-9);
        // Quantile at 1/8 of N(15, 4): 15 - 4 x 1.1503493803760079.
        assert!((cells[0].value - (15.0 - 4.0 * 1.150_349_380_376_007_9)).abs() < 1e-9, "{}", cells[0].value);
        assert!((cells.iter().map(|c| c.weight).sum::<f64>() - 1.0).abs() < 1e-15);
    }

    #[test]
    fn truncation_keeps_the_strata_inside_the_bounds() {
        let d = CovariateDistribution::Normal { mean: 15.0, sd: 10.0, low: Some(6.0), high: Some(40.0) };
        for i in 0..16 {
            let x = d.quantile((i as f64 + 0.5) / 16.0);
            assert!((6.0..=40.0).contains(&x), "{x}");
        }
        // The median of the truncated distribution lies above the untruncated mean (more is cut below).
        assert!(d.quantile(0.5) > 15.0);
    }

    #[test]
    fn lognormal_strata_have_the_stated_median_and_empirical_ones_interpolate() {
        let d = CovariateDistribution::LogNormal { mean: 3.0, sd: 1.0 };
        let sdlog2 = (1.0f64 + 1.0 / 9.0).ln();
        assert!((d.quantile(0.5) - (3.0f64.ln() - sdlog2 / 2.0).exp()).abs() < 1e-12);
        let q = CovariateDistribution::Quantiles(vec![6.0, 10.0, 20.0]);
        assert_eq!(q.quantile(0.25), 8.0);
        assert_eq!(q.quantile(0.75), 15.0);
    }

    #[test]
    fn categorical_levels_become_indicator_variables() {
        let p = Population {
            covariates: vec![
                Covariate {
                    name: "meld".into(),
                    kind: CovariateKind::Numeric(CovariateDistribution::Quantiles(vec![6.0, 30.0])),
                    unit: None,
                    source: None,
                    bands: vec![("low".into(), 0.0, 15.0), ("high".into(), 15.0, 100.0)],
                },
                Covariate {
                    name: "etiology".into(),
                    kind: CovariateKind::Categorical(vec![("hbv".into(), 0.4), ("alcohol".into(), 0.6)]),
                    unit: None,
                    source: None,
                    bands: Vec::new(),
                },
            ],
            nodes: 2,
            source: None,
            file: None,
            copula: None,
        };
        assert_eq!(p.variables(), vec!["meld", "etiology_hbv", "etiology_alcohol"]);
        let cells = p.cells();
        let v = p.values(&cells, &[1, 1]);
        assert_eq!(&v[..3], &[24.0, 0.0, 1.0]);
        assert_eq!(p.covariates[0].band_of(v[0]), Some("high"));
        assert_eq!(cells[1][0].label, "hbv");
    }

    /// With a copula of rho = 0 the profiles have the independent product shares; with rho != 0
    /// each covariate keeps 1/n per stratum and the categorical shares stay as they are.
    #[test]
    fn a_copula_keeps_the_marginals_and_rho_zero_is_independence() {
        let numeric = |name: &str, mean: f64| Covariate {
            name: name.into(),
            kind: CovariateKind::Numeric(CovariateDistribution::Normal { mean, sd: 1.0, low: None, high: None }),
            unit: None,
            source: None,
            bands: Vec::new(),
        };
        let etiology = Covariate {
            name: "etiology".into(),
            kind: CovariateKind::Categorical(vec![("hbv".into(), 0.3), ("other".into(), 0.7)]),
            unit: None,
            source: None,
            bands: Vec::new(),
        };
        let mut p = Population {
            covariates: vec![numeric("meld", 15.0), etiology, numeric("albumin", 3.0)],
            nodes: 4,
            ..Population::default()
        };
        let cells = p.cells();
        let independent = p.profiles(&cells);
        p.copula = Some(Copula { covariates: vec![0, 2], pairs: vec![(0, 1, 0.0)], sources: Vec::new() });
        let zero = p.profiles(&cells);
        assert_eq!(zero.len(), 32);
        for (a, b) in independent.iter().zip(&zero) {
            assert_eq!(a.0, b.0);
            assert!((a.1 - b.1).abs() < 1e-12, "{a:?} {b:?}");
        }
        p.copula = Some(Copula { covariates: vec![0, 2], pairs: vec![(0, 1, -0.45)], sources: Vec::new() });
        let joint = p.profiles(&cells);
        for (covariate, cell, share) in [(0, 0, 0.25), (0, 3, 0.25), (1, 0, 0.3), (2, 1, 0.25), (2, 3, 0.25)] {
            let sum: f64 = joint.iter().filter(|(path, _)| path[covariate] == cell).map(|(_, w)| w).sum();
            assert!((sum - share).abs() < 1e-10, "covariate {covariate} cell {cell}: {sum}");
        }
        // Low MELD goes with high albumin more often than under independence.
        let low_high: f64 = joint.iter().filter(|(path, _)| path[0] == 0 && path[2] == 3).map(|(_, w)| w).sum();
        assert!(low_high > 1.5 / 16.0, "{low_high}");
    }
}
