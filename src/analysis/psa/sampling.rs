//! Drawing parameter values for probabilistic sensitivity analysis.
//!
//! Receives a scenario, a master seed and a draw number; returns one value per parameter (the
//! base value for parameters without a distribution, with `fixed`, or unused by the model).
//! Each parameter of each draw has its own generator, seeded from (seed, draw, parameter name),
//! so a draw is the same whatever the thread, the shard, or the other parameters in the file:
//! adding a parameter to a scenario does not change the values drawn for the others.
//! Distributions come from `rand_distr`.

use crate::engine::rng::{PatientRng, splitmix64, uniform};
use crate::scenario::{Distribution, Scenario};
use rand::SeedableRng;
use rand_distr::Distribution as _;

/// Domain separator so PSA streams never coincide with patient streams.
const PSA_STREAM: u64 = 0x5053_415F_4452_4157; // "PSA_DRAW"

/// FNV-1a 64-bit hash of a parameter name (stable across platforms and Rust versions).
fn name_hash(name: &str) -> u64 {
    name.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| (h ^ b as u64).wrapping_mul(0x0000_0100_0000_01b3))
}

/// The generator for one parameter in one draw.
#[cfg(test)]
fn stream(seed: u64, draw: u64, name: &str) -> PatientRng {
    keyed_stream(splitmix64(seed ^ PSA_STREAM), draw, name_key(name))
}

/// One value from a distribution (the checked parameters make every constructor succeed). A
/// mixture takes one uniform from `rng` to choose its component, then that component's draw from
/// the same `rng`; a fixed component gives its value. (A PSA keeps the distribution made, in its
/// [`Sampler`]; this makes it for one value.)
pub fn sample(distribution: &Distribution, base: f64, rng: &mut PatientRng) -> f64 {
    Ready::new(distribution, base).sample(rng)
}

/// Indices of the parameters a PSA varies, in file order: used by the model (listed by
/// [`Scenario::parameter_uses`]), with a non-fixed distribution or in a Dirichlet group.
pub fn varied_parameters(scenario: &Scenario) -> Vec<usize> {
    let mut used = vec![false; scenario.parameters.len()];
    for u in scenario.parameter_uses() {
        used[u.parameter] = true;
    }
    (0..scenario.parameters.len())
        .filter(|&i| {
            let in_group = scenario.dirichlet.iter().any(|g| g.parameters.contains(&i))
                || scenario.multivariate_normal.iter().any(|g| g.parameters.contains(&i));
            used[i]
                && (in_group || scenario.parameters[i].distribution.as_ref().is_some_and(|d| *d != Distribution::Fixed))
        })
        .collect()
}

/// One draw from a Dirichlet(alpha): independent Gamma(alpha_i, 1) draws, normalised.
pub fn sample_dirichlet(alpha: &[f64], rng: &mut PatientRng) -> Vec<f64> {
    let g: Vec<f64> = alpha.iter().map(|&a| rand_distr::Gamma::new(a, 1.0).map_or(0.0, |d| d.sample(rng))).collect();
    let total: f64 = g.iter().sum();
    g.iter().map(|x| x / total).collect()
}

/// Parameter values of draw `draw` (indexed like `scenario.parameters`): as
/// [`Sampler::draw`] of a sampler made for this one draw.
pub fn draw_values(scenario: &Scenario, varied: &[usize], seed: u64, draw: u64) -> Vec<f64> {
    Sampler::new(scenario, varied, seed).draw(draw)
}

/// A distribution made ready to sample: `rand_distr`'s objects built once per run rather than
/// once per draw (a draw from a made object is the draw from one made afresh).
#[derive(Debug, Clone)]
enum Ready {
    Beta(rand_distr::Beta<f64>),
    Gamma(rand_distr::Gamma<f64>),
    Lognormal(rand_distr::LogNormal<f64>),
    Normal(rand_distr::Normal<f64>),
    /// `fixed`, or a distribution `rand_distr` refuses (the checked scenario has none): the base.
    Value(f64),
    /// Components with their weights, as [`sample`] draws them, and the base value (an empty
    /// mixture's value).
    Mixture(Vec<(f64, Ready)>, f64),
}

impl Ready {
    fn new(distribution: &Distribution, base: f64) -> Ready {
        match *distribution {
            Distribution::Beta { alpha, beta } => {
                rand_distr::Beta::new(alpha, beta).map_or(Ready::Value(base), Ready::Beta)
            }
            Distribution::Gamma { shape, scale } => {
                rand_distr::Gamma::new(shape, scale).map_or(Ready::Value(base), Ready::Gamma)
            }
            Distribution::Lognormal { meanlog, sdlog } => {
                rand_distr::LogNormal::new(meanlog, sdlog).map_or(Ready::Value(base), Ready::Lognormal)
            }
            Distribution::Normal { mean, sd } => {
                rand_distr::Normal::new(mean, sd).map_or(Ready::Value(base), Ready::Normal)
            }
            Distribution::Fixed => Ready::Value(base),
            Distribution::Mixture { ref components } => Ready::Mixture(
                components.iter().map(|c| (c.weight, Ready::new(&c.distribution, c.value.unwrap_or(base)))).collect(),
                base,
            ),
        }
    }

    /// One value from `rng` (see [`sample`]).
    fn sample(&self, rng: &mut PatientRng) -> f64 {
        match self {
            Ready::Beta(d) => d.sample(rng),
            Ready::Gamma(d) => d.sample(rng),
            Ready::Lognormal(d) => d.sample(rng),
            Ready::Normal(d) => d.sample(rng),
            Ready::Value(x) => *x,
            Ready::Mixture(components, base) => {
                // One uniform from the parameter's own stream picks the component (the first
                // whose cumulative weight exceeds it; the last if rounding leaves the sum just
                // below 1), then the same stream draws the component's value.
                let u = uniform(rng);
                let mut cumulative = 0.0;
                let k = components
                    .iter()
                    .position(|(weight, _)| {
                        cumulative += weight;
                        u < cumulative
                    })
                    .unwrap_or(components.len().saturating_sub(1));
                components.get(k).map_or(*base, |(_, c)| c.sample(rng))
            }
        }
    }
}

/// The stream key of a name: the part of [`stream`]'s seed that does not change with the draw.
fn name_key(name: &str) -> u64 {
    splitmix64(name_hash(name))
}

/// The generator of the stream keyed `key` in draw `draw` of a run keyed `run`: [`stream`] with
/// its fixed parts computed once.
fn keyed_stream(run: u64, draw: u64, key: u64) -> PatientRng {
    PatientRng::seed_from_u64(run ^ splitmix64(draw ^ key))
}

/// A group of parameters drawn jointly from one stream (keyed by its members' names), whose
/// draw overrides the members' own distributions.
#[derive(Debug, Clone)]
struct Group {
    key: u64,
    members: Vec<usize>,
    joint: Joint,
}

#[derive(Debug, Clone)]
enum Joint {
    Dirichlet {
        alpha: Vec<f64>,
    },
    /// Mean and lower Cholesky factor, row by row.
    Normal {
        mean: Vec<f64>,
        cholesky: Vec<f64>,
    },
}

/// Everything about a PSA's draws that does not change from draw to draw: the base values, each
/// varied parameter's stream key and ready distribution, and the Dirichlet and multivariate
/// normal groups. Made once per run (or per thread); [`Sampler::draw`] then gives exactly
/// [`draw_values`]'s numbers.
#[derive(Debug, Clone)]
pub struct Sampler {
    seed: u64,
    varied: Vec<usize>,
    run: u64,
    base: Vec<f64>,
    parameters: Vec<(usize, u64, Ready)>,
    /// The Dirichlet groups, then the multivariate normal ones.
    groups: Vec<Group>,
}

impl Sampler {
    /// The sampler of `scenario`'s draws under `seed` (`varied`: [`varied_parameters`]).
    pub fn new(scenario: &Scenario, varied: &[usize], seed: u64) -> Sampler {
        let group = |prefix: &str, members: &[usize], joint: Joint| {
            let names: Vec<&str> = members.iter().map(|&i| scenario.parameters[i].name.as_str()).collect();
            Group { key: name_key(&format!("{prefix}:{}", names.join("+"))), members: members.to_vec(), joint }
        };
        let dirichlet = scenario
            .dirichlet
            .iter()
            .map(|g| group("dirichlet", &g.parameters, Joint::Dirichlet { alpha: g.alpha.clone() }));
        let normal = scenario
            .multivariate_normal
            .iter()
            .map(|g| group("mvn", &g.parameters, Joint::Normal { mean: g.mean.clone(), cholesky: g.cholesky.clone() }));
        Sampler {
            seed,
            varied: varied.to_vec(),
            run: splitmix64(seed ^ PSA_STREAM),
            base: scenario.base_values(),
            parameters: varied
                .iter()
                .filter_map(|&i| {
                    let p = &scenario.parameters[i];
                    p.distribution.as_ref().map(|d| (i, name_key(&p.name), Ready::new(d, p.value)))
                })
                .collect(),
            groups: dirichlet.chain(normal).collect(),
        }
    }

    /// Was it made with these varied parameters and seed? (A workspace kept by a caller for
    /// several runs makes a new one when not.)
    pub fn is_for(&self, varied: &[usize], seed: u64) -> bool {
        self.seed == seed && self.varied == varied
    }

    /// Parameter values of draw `draw` (indexed like the scenario's parameters).
    pub fn draw(&self, draw: u64) -> Vec<f64> {
        let mut values = self.base.clone();
        for (i, key, ready) in &self.parameters {
            values[*i] = ready.sample(&mut keyed_stream(self.run, draw, *key));
        }
        for g in &self.groups {
            let rng = &mut keyed_stream(self.run, draw, g.key);
            let x = match &g.joint {
                Joint::Dirichlet { alpha } => sample_dirichlet(alpha, rng),
                Joint::Normal { mean, cholesky } => sample_multivariate_normal(mean, cholesky, rng),
            };
            for (&i, v) in g.members.iter().zip(x) {
                values[i] = v;
            }
        }
        values
    }
}

/// One draw from a multivariate normal with the given mean and lower Cholesky factor L (row by
/// row): mean + L z with z independent standard normal draws.
pub fn sample_multivariate_normal(mean: &[f64], cholesky: &[f64], rng: &mut PatientRng) -> Vec<f64> {
    let n = mean.len();
    let z: Vec<f64> = (0..n).map(|_| rand_distr::StandardNormal.sample(rng)).collect();
    (0..n).map(|r| mean[r] + (0..=r).map(|c| cholesky[r * n + c] * z[c]).sum::<f64>()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn moments(d: &Distribution, n: u64) -> (f64, f64) {
        let xs: Vec<f64> = (0..n).map(|k| sample(d, 0.0, &mut stream(42, k, "x"))).collect();
        let mean = xs.iter().sum::<f64>() / n as f64;
        let var = xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1) as f64;
        (mean, var.sqrt())
    }

    /// Sampled means and standard deviations match the distributions' own, within 5 standard
    /// errors of the sample mean (SE = sd / sqrt(n)) and 5% for the spread.
    #[test]
    fn sampled_means_and_spreads_match_the_stated_ones() {
        let n = 40_000;
        let cases = [
            // (distribution, mean, sd) from the closed forms.
            (Distribution::Beta { alpha: 16.27, beta: 281.2 }, 16.27 / 297.47, {
                let (a, b) = (16.27f64, 281.2f64);
                (a * b / ((a + b).powi(2) * (a + b + 1.0))).sqrt()
            }),
            (Distribution::Gamma { shape: 8.859, scale: 0.03917 }, 8.859 * 0.03917, 8.859f64.sqrt() * 0.03917),
            (
                Distribution::Lognormal { meanlog: -0.2009, sdlog: 0.0682 },
                (-0.2009f64 + 0.0682f64.powi(2) / 2.0).exp(),
                ((0.0682f64.powi(2)).exp_m1() * (2.0 * -0.2009 + 0.0682f64.powi(2)).exp()).sqrt(),
            ),
            (Distribution::Normal { mean: -2.01, sd: 0.6811 }, -2.01, 0.6811),
        ];
        for (d, mean, sd) in cases {
            let (m, s) = moments(&d, n);
            assert!((m - mean).abs() < 5.0 * sd / (n as f64).sqrt(), "{d:?}: mean {m} vs {mean}");
            assert!((s / sd - 1.0).abs() < 0.05, "{d:?}: sd {s} vs {sd}");
        }
        assert_eq!(sample(&Distribution::Fixed, 3.5, &mut stream(1, 1, "x")), 3.5);
    }

    /// Dirichlet(20, 30, 50): means 0.2, 0.3, 0.5; sd of the first sqrt(0.2 x 0.8 / 101).
    #[test]
    fn dirichlet_draws_sum_to_one_with_the_right_means() {
        let alpha = [20.0, 30.0, 50.0];
        let n = 20_000;
        let draws: Vec<Vec<f64>> = (0..n).map(|k| sample_dirichlet(&alpha, &mut stream(5, k, "d"))).collect();
        for d in &draws {
            assert!((d.iter().sum::<f64>() - 1.0).abs() < 1e-12);
        }
        for (i, want) in [0.2, 0.3, 0.5].iter().enumerate() {
            let mean = draws.iter().map(|d| d[i]).sum::<f64>() / n as f64;
            let sd = (want * (1.0 - want) / 101.0f64).sqrt();
            assert!((mean - want).abs() < 5.0 * sd / (n as f64).sqrt(), "{i}: {mean}");
        }
        let first: Vec<f64> = draws.iter().map(|d| d[0]).collect();
        let m = first.iter().sum::<f64>() / n as f64;
        let s = (first.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (n - 1) as f64).sqrt();
        assert!((s / (0.2f64 * 0.8 / 101.0).sqrt() - 1.0).abs() < 0.05, "{s}");
    }

    /// Covariance [[4, 1], [1, 1]] (L = [[2, 0], [0.5, sqrt 0.75]]): sample means, variances and
    /// covariance within 5 standard errors of the stated ones.
    #[test]
    fn multivariate_normal_draws_have_the_stated_covariance() {
        let (mean, l) = ([1.0, -2.0], [2.0, 0.0, 0.5, 0.75f64.sqrt()]);
        let n = 40_000;
        let xs: Vec<Vec<f64>> = (0..n).map(|k| sample_multivariate_normal(&mean, &l, &mut stream(9, k, "m"))).collect();
        let m: Vec<f64> = (0..2).map(|i| xs.iter().map(|x| x[i]).sum::<f64>() / n as f64).collect();
        let cov = |i: usize, j: usize| xs.iter().map(|x| (x[i] - m[i]) * (x[j] - m[j])).sum::<f64>() / (n - 1) as f64;
        for (i, sd) in [(0, 2.0), (1, 1.0)] {
            assert!((m[i] - mean[i]).abs() < 5.0 * sd / (n as f64).sqrt(), "mean {i}: {}", m[i]);
        }
        // SE of a sample variance s^2 is about s^2 sqrt(2 / n); of a covariance about
        // sqrt((s11 s22 + s12^2) / n).
        assert!((cov(0, 0) - 4.0).abs() < 5.0 * 4.0 * (2.0 / n as f64).sqrt(), "{}", cov(0, 0));
        assert!((cov(1, 1) - 1.0).abs() < 5.0 * (2.0 / n as f64).sqrt(), "{}", cov(1, 1));
        assert!((cov(0, 1) - 1.0).abs() < 5.0 * (5.0 / n as f64).sqrt(), "{}", cov(0, 1));
    }

    fn no_effect_or_pan(weight_null: f64) -> Distribution {
        Distribution::Mixture { components: crate::scenario::mixture::no_effect_or_pan(weight_null) }
    }

    /// Issue 13: each component is drawn with its weight. The share of draws from the "no effect"
    /// component is binomial(n, 0.36): within 5 of its standard deviations sqrt(0.36 x 0.64 / n).
    /// Its draws are exactly 0 (a normal draw is never exactly 0); the others have the normal's
    /// mean within 5 standard errors, and the whole sample the mixture's mean, 0.64 x -2.01.
    #[test]
    fn a_mixture_draws_each_component_with_its_weight() {
        let d = no_effect_or_pan(0.36);
        let n = 40_000u64;
        let xs: Vec<f64> = (0..n).map(|k| sample(&d, -2.01, &mut stream(11, k, "msc_meld_md_24wk"))).collect();
        let zeros = xs.iter().filter(|x| x.to_bits() == 0.0f64.to_bits()).count() as f64;
        let share = zeros / n as f64;
        assert!((share - 0.36).abs() < 5.0 * (0.36 * 0.64 / n as f64).sqrt(), "share {share}");
        let effect: Vec<f64> = xs.iter().copied().filter(|&x| x != 0.0).collect();
        let mean = effect.iter().sum::<f64>() / effect.len() as f64;
        assert!((mean + 2.01).abs() < 5.0 * 0.6811 / (effect.len() as f64).sqrt(), "{mean}");
        let all = xs.iter().sum::<f64>() / n as f64;
        let sd = (0.64 * (0.6811f64.powi(2) + 2.01f64.powi(2)) - (0.64f64 * 2.01).powi(2)).sqrt();
        assert!((all - d.mean().unwrap()).abs() < 5.0 * sd / (n as f64).sqrt(), "{all} vs {:?}", d.mean());
        // Same seed, draw and name: the same value, bit for bit.
        for k in 0..100 {
            let again = sample(&d, -2.01, &mut stream(11, k, "msc_meld_md_24wk"));
            assert_eq!(again.to_bits(), xs[k as usize].to_bits());
        }
    }

    /// Issue 13: adding a parameter (used by the model, with a distribution of its own) changes
    /// no other parameter's draws, and the mixture's draws come from its own stream.
    #[test]
    fn adding_a_parameter_leaves_the_mixture_draws_unchanged() {
        // The default scenario draws the MELD effect from a mixture of "none" and Pan 2014.
        let text = crate::scenario::DEFAULT_SCENARIO;
        let extra = format!(
            "{text}\n[parameters.c_extra]\nvalue = 10\nkind = \"cost\"\nsource = \"test\"\ndistribution = {{ type = \"gamma\", shape = 4, scale = 2.5 }}\n\n[[costs]]\nstate = \"compensated\"\nannual = \"c_extra\"\n"
        );
        let here = std::path::Path::new(".");
        let a = Scenario::from_toml("a.toml", text, here).unwrap();
        let b = Scenario::from_toml("b.toml", &extra, here).unwrap();
        let msc = &a.parameters[index_of(&a, "msc_meld_md_24wk")];
        assert!(matches!(msc.distribution, Some(Distribution::Mixture { .. })), "{msc:?}");
        let (va, vb) = (varied_parameters(&a), varied_parameters(&b));
        assert_eq!(vb.len(), va.len() + 1);
        let index = |s: &Scenario| s.parameters.iter().position(|p| p.name == "msc_meld_md_24wk").unwrap();
        let mut zeros = 0;
        for k in 0..200 {
            let (x, y) = (draw_values(&a, &va, 5, k), draw_values(&b, &vb, 5, k));
            for p in &a.parameters {
                let (i, j) = (index_of(&a, &p.name), index_of(&b, &p.name));
                assert_eq!(x[i].to_bits(), y[j].to_bits(), "{} in draw {k}", p.name);
            }
            zeros += usize::from(x[index(&a)] == 0.0);
        }
        assert!(zeros > 0 && zeros < 200, "{zeros} of 200 draws without an effect");
    }

    fn index_of(s: &Scenario, name: &str) -> usize {
        s.parameters.iter().position(|p| p.name == name).unwrap()
    }

    #[test]
    fn a_draw_depends_only_on_seed_draw_and_name() {
        let d = Distribution::Gamma { shape: 2.0, scale: 1.0 };
        let a = sample(&d, 0.0, &mut stream(7, 3, "r_decomp_death"));
        assert_eq!(a, sample(&d, 0.0, &mut stream(7, 3, "r_decomp_death")));
        assert_ne!(a, sample(&d, 0.0, &mut stream(7, 4, "r_decomp_death")));
        assert_ne!(a, sample(&d, 0.0, &mut stream(7, 3, "p_comp_death")));
        assert_ne!(a, sample(&d, 0.0, &mut stream(8, 3, "r_decomp_death")));
    }
}
