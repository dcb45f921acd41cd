//! Probabilistic sensitivity analysis: streaming accumulators and what they add up to.
//!
//! Receives one [`DrawOutcome`] per PSA draw, in any order; keeps only integer accumulators whose
//! size depends on strategies, cycles and the WTP grid, never on the number of draws:
//! - sums of cost, QALYs and life years per strategy (fixed point, so shards and threads add up
//!   to the same bits in any order);
//! - per WTP value, how often each strategy has the highest net monetary benefit (CEAC), and the
//!   sum of the highest NMB (for EVPI);
//! - per strategy and cycle, a 200-bin histogram of overall survival across draws (for the
//!   survival band; quantiles are read off it to 0.005).
//!
//! [`PsaState::finish`] turns them into the CEAC and acceptability frontier (Fenwick, Claxton &
//! Sculpher 2001), EVPI = E(max NMB) - max E(NMB) (Briggs, Claxton & Sculpher 2006, ch. 7), and
//! the median and 95% interval of survival per cycle.

use super::subgroups::{SubgroupResults, SubgroupState};
use serde::{Deserialize, Serialize};

/// Fixed-point scales: cost, QALYs, life years, NMB.
pub(super) const SCALE: [f64; 4] = [1_048_576.0, 68_719_476_736.0, 68_719_476_736.0, 1_048_576.0];

/// Fixed-point scale of the survival range.
const RANGE_SCALE: f64 = 1_099_511_627_776.0;

/// Bins of the survival histograms.
pub const SURVIVAL_BINS: usize = 200;

/// What one draw produced, per strategy.
#[derive(Debug, Clone, PartialEq)]
pub struct DrawOutcome {
    pub draw: u64,
    /// Per strategy: discounted cost, discounted QALYs, undiscounted life years.
    pub outcomes: Vec<[f64; 3]>,
    /// Overall survival at cycle boundaries 0..=T, strategy after strategy:
    /// `[strategy * (T + 1) + t]`.
    pub survival: Vec<f64>,
    /// With `--by`, per subgroup and strategy: discounted cost, discounted QALYs, undiscounted
    /// life years in the subgroup (`[subgroup][strategy]`); empty otherwise.
    pub subgroups: Vec<Vec<[f64; 3]>>,
}

/// Accumulated PSA results; also the checkpoint and the partial result of a shard.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PsaState {
    pub n_strategies: usize,
    pub n_cycles: usize,
    pub wtp: Vec<f64>,
    pub draws_done: u64,
    /// Per strategy: sums of cost, QALYs, life years (fixed point).
    pub sum: Vec<[i128; 3]>,
    /// Per WTP, per strategy: draws in which the strategy had the highest NMB.
    pub wins: Vec<Vec<u64>>,
    /// Per WTP: sum over draws of the highest NMB (fixed point).
    pub sum_max_nmb: Vec<i128>,
    /// Per strategy and cycle, the survival histogram, stored sparsely as (bin, count).
    #[serde(with = "sparse")]
    pub survival_hist: Vec<Vec<u32>>,
    /// Per strategy and cycle: the lowest and highest survival seen (fixed point, scale 2^40), so
    /// quantiles never leave the observed range (e.g. exactly 1 at cycle 0).
    pub survival_range: Vec<[i64; 2]>,
    /// With `--by`: the accumulators of every subgroup (absent otherwise, so checkpoints and
    /// states without it read and are written as before).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub by: Option<SubgroupState>,
}

mod sparse {
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    pub fn serialize<S: Serializer>(hist: &[Vec<u32>], s: S) -> Result<S::Ok, S::Error> {
        let rows: Vec<Vec<(usize, u32)>> = hist
            .iter()
            .map(|h| h.iter().enumerate().filter(|(_, c)| **c > 0).map(|(i, c)| (i, *c)).collect())
            .collect();
        rows.serialize(s)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<Vec<u32>>, D::Error> {
        let rows: Vec<Vec<(usize, u32)>> = Vec::deserialize(d)?;
        Ok(rows
            .into_iter()
            .map(|r| {
                let mut h = vec![0; super::SURVIVAL_BINS];
                for (i, c) in r {
                    if i < h.len() {
                        h[i] = c;
                    }
                }
                h
            })
            .collect())
    }
}

/// `x` in fixed point; `None` when it is not finite or too large to be summed exactly.
pub(super) fn fixed(x: f64, q: usize) -> Option<i128> {
    let scaled = x * SCALE[q];
    // 2^100 leaves room for 2^27 draws of the largest value before an i128 sum could overflow
    // (false for NaN and infinities; numbers that large are integers, which rounding keeps).
    (scaled.abs() < 2f64.powi(100)).then(|| round_to_integer(scaled))
}

/// `x.round() as i128` (halves away from zero) for |x| < 2^100, without a call to `round`, which
/// costs more than the rest of a draw's sums: below 2^52 from the integer part and the fraction
/// (both exact), above it x is already an integer.
#[inline]
fn round_to_integer(x: f64) -> i128 {
    if x.abs() < 4_503_599_627_370_496.0 {
        let whole = x as i64; // toward zero
        let fraction = x - whole as f64;
        (whole + i64::from(fraction >= 0.5) - i64::from(fraction <= -0.5)) as i128
    } else {
        x as i128
    }
}

const WHAT: [&str; 4] = ["cost", "QALYs", "life years", "highest net monetary benefit"];

pub(super) fn overflow(draw: u64, q: usize) -> crate::Error {
    crate::Error::PsaAccumulator { draw, what: WHAT[q] }
}

/// The strategy with the highest NMB at `wtp` (the first on ties, in scenario order) and that NMB.
pub(super) fn best_nmb(outcomes: &[[f64; 3]], wtp: f64) -> (usize, f64) {
    outcomes
        .iter()
        .map(|o| wtp * o[1] - o[0])
        .enumerate()
        .fold((0, f64::NEG_INFINITY), |acc, (s, v)| if v > acc.1 { (s, v) } else { acc })
}

/// The finished analysis.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PsaResults {
    pub draws: u64,
    /// Per strategy: mean cost, QALYs, life years.
    pub mean: Vec<[f64; 3]>,
    pub ceac: Vec<CeacPoint>,
    pub evpi: Vec<EvpiPoint>,
    /// Per strategy and cycle: (median, 2.5%, 97.5%) overall survival.
    pub survival_band: Vec<Vec<[f64; 3]>>,
    /// With `--by`: each subgroup's means and CEAC, in the order of the subgroups.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub subgroups: Vec<SubgroupResults>,
}

/// Probability each strategy is cost-effective at one WTP, and which is on the frontier.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CeacPoint {
    pub wtp: f64,
    pub probability: Vec<f64>,
    /// The strategy with the highest expected NMB (the acceptability frontier).
    pub frontier: usize,
}

/// Expected value of perfect information per person at one WTP.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct EvpiPoint {
    pub wtp: f64,
    pub per_person: f64,
}

impl PsaState {
    /// Empty accumulators.
    pub fn new(n_strategies: usize, n_cycles: usize, wtp: Vec<f64>) -> Self {
        PsaState {
            n_strategies,
            n_cycles,
            draws_done: 0,
            sum: vec![[0; 3]; n_strategies],
            wins: vec![vec![0; n_strategies]; wtp.len()],
            sum_max_nmb: vec![0; wtp.len()],
            survival_hist: vec![vec![0; SURVIVAL_BINS]; n_strategies * (n_cycles + 1)],
            survival_range: vec![[i64::MAX, i64::MIN]; n_strategies * (n_cycles + 1)],
            wtp,
            by: None,
        }
    }

    /// Empty accumulators with those of the subgroups `names` (`--by`), with their `shares`, and
    /// the scenario's `economics.wtp` (`decision_wtp`) at which each subgroup's probability of
    /// being cost-effective is counted as well as on the grid.
    pub fn with_subgroups(
        n_strategies: usize,
        n_cycles: usize,
        wtp: Vec<f64>,
        names: Vec<String>,
        shares: Vec<f64>,
        decision_wtp: Vec<f64>,
    ) -> Self {
        let by = SubgroupState::new(names, shares, n_strategies, wtp.len(), decision_wtp);
        PsaState { by: Some(by), ..PsaState::new(n_strategies, n_cycles, wtp) }
    }

    /// Adds one draw. Sums are exact (fixed point, checked).
    ///
    /// # Errors
    /// [`crate::Error::PsaAccumulator`] when a value is not finite or would overflow its sum.
    pub fn add(&mut self, d: &DrawOutcome) -> crate::Result<()> {
        match &mut self.by {
            Some(by) => by.add(d, &self.wtp)?,
            None if !d.subgroups.is_empty() => {
                return Err(crate::Error::PsaSubgroups { draw: d.draw, found: d.subgroups.len(), expected: 0 });
            }
            None => {}
        }
        for (s, o) in d.outcomes.iter().enumerate() {
            for (q, &x) in o.iter().enumerate() {
                let v = fixed(x, q).ok_or_else(|| overflow(d.draw, q))?;
                self.sum[s][q] = self.sum[s][q].checked_add(v).ok_or_else(|| overflow(d.draw, q))?;
            }
        }
        for (w, &lambda) in self.wtp.iter().enumerate() {
            // Ties go to the first strategy in scenario order.
            let (best, nmb) = best_nmb(&d.outcomes, lambda);
            self.wins[w][best] += 1;
            let v = fixed(nmb, 3).ok_or_else(|| overflow(d.draw, 3))?;
            self.sum_max_nmb[w] = self.sum_max_nmb[w].checked_add(v).ok_or_else(|| overflow(d.draw, 3))?;
        }
        for (s, curve) in d.survival.chunks_exact(self.n_cycles + 1).enumerate() {
            for (t, &v) in curve.iter().enumerate() {
                let bin = ((v * SURVIVAL_BINS as f64) as usize).min(SURVIVAL_BINS - 1);
                let at = s * (self.n_cycles + 1) + t;
                self.survival_hist[at][bin] = self.survival_hist[at][bin].saturating_add(1);
                // v * 2^40 is finite (the curves are checked) and far below 2^63 (v is a share).
                let f = round_to_integer(v * RANGE_SCALE).clamp(i64::MIN.into(), i64::MAX.into()) as i64;
                self.survival_range[at] = [self.survival_range[at][0].min(f), self.survival_range[at][1].max(f)];
            }
        }
        self.draws_done += 1;
        Ok(())
    }

    /// Adds another state's draws (shards, checkpoints).
    pub fn merge(&mut self, other: &PsaState) {
        self.draws_done += other.draws_done;
        for (a, b) in self.sum.iter_mut().zip(&other.sum) {
            for q in 0..3 {
                a[q] += b[q];
            }
        }
        for (a, b) in self.wins.iter_mut().zip(&other.wins) {
            for (x, y) in a.iter_mut().zip(b) {
                *x += y;
            }
        }
        for (a, b) in self.sum_max_nmb.iter_mut().zip(&other.sum_max_nmb) {
            *a += b;
        }
        for (a, b) in self.survival_hist.iter_mut().zip(&other.survival_hist) {
            for (x, y) in a.iter_mut().zip(b) {
                *x += y;
            }
        }
        for (a, b) in self.survival_range.iter_mut().zip(&other.survival_range) {
            *a = [a[0].min(b[0]), a[1].max(b[1])];
        }
        if let (Some(a), Some(b)) = (&mut self.by, &other.by) {
            a.merge(b);
        }
    }

    /// Does `other` have the same shape (strategies, cycles, WTP grid, subgroups), and do both
    /// hold accumulators of that shape?
    pub fn compatible(&self, other: &PsaState) -> bool {
        let same_subgroups = match (&self.by, &other.by) {
            (Some(a), Some(b)) => a.same_subgroups(b),
            (None, None) => true,
            _ => false,
        };
        self.n_strategies == other.n_strategies
            && self.n_cycles == other.n_cycles
            && self.wtp == other.wtp
            && same_subgroups
            && self.well_formed()
            && other.well_formed()
    }

    /// Is this the state of a run of `n_strategies` strategies over `n_cycles` cycles with the
    /// WTP grid `wtp` and the subgroups `subgroups` (`--by`; none without it), with accumulators
    /// of that shape? A state read from a checkpoint is checked before a draw is added to it, so
    /// a damaged or foreign one is an error, not an index out of bounds.
    pub fn fits(&self, n_strategies: usize, n_cycles: usize, wtp: &[f64], subgroups: &[String]) -> bool {
        let names = self.by.as_ref().map_or(&[][..], |b| &b.names[..]);
        self.n_strategies == n_strategies
            && self.n_cycles == n_cycles
            && self.wtp == wtp
            && names == subgroups
            && self.well_formed()
    }

    /// Every accumulator has the length its declared strategies, cycles and WTP grid imply.
    fn well_formed(&self) -> bool {
        let points = self.n_strategies * (self.n_cycles + 1);
        self.sum.len() == self.n_strategies
            && self.wins.len() == self.wtp.len()
            && self.wins.iter().all(|w| w.len() == self.n_strategies)
            && self.sum_max_nmb.len() == self.wtp.len()
            && self.survival_hist.len() == points
            && self.survival_hist.iter().all(|h| h.len() == SURVIVAL_BINS)
            && self.survival_range.len() == points
            && self.by.as_ref().is_none_or(|b| b.well_formed(self.n_strategies, self.wtp.len()))
    }

    /// Means, CEAC, EVPI and survival band.
    pub fn finish(&self) -> PsaResults {
        let n = self.draws_done.max(1) as f64;
        let mean: Vec<[f64; 3]> =
            self.sum.iter().map(|s| std::array::from_fn(|q| s[q] as f64 / SCALE[q] / n)).collect();
        let mut ceac = Vec::new();
        let mut evpi = Vec::new();
        for (w, &lambda) in self.wtp.iter().enumerate() {
            let (frontier, best) = best_nmb(&mean, lambda);
            ceac.push(CeacPoint {
                wtp: lambda,
                probability: self.wins[w].iter().map(|&c| c as f64 / n).collect(),
                frontier,
            });
            let e_max = self.sum_max_nmb[w] as f64 / SCALE[3] / n;
            evpi.push(EvpiPoint { wtp: lambda, per_person: (e_max - best).max(0.0) });
        }
        let survival_band = (0..self.n_strategies)
            .map(|s| {
                (0..=self.n_cycles)
                    .map(|t| {
                        let at = s * (self.n_cycles + 1) + t;
                        let h = &self.survival_hist[at];
                        let (lo, hi) = (
                            self.survival_range[at][0] as f64 / RANGE_SCALE,
                            self.survival_range[at][1] as f64 / RANGE_SCALE,
                        );
                        [0.5, 0.025, 0.975].map(|q| quantile(h, q).clamp(lo, hi))
                    })
                    .collect()
            })
            .collect();
        let subgroups = self.by.as_ref().map_or_else(Vec::new, |b| b.finish(&self.wtp, self.draws_done));
        PsaResults { draws: self.draws_done, mean, ceac, evpi, survival_band, subgroups }
    }
}

/// Quantile `q` of a histogram over [0, 1], interpolating linearly within the bin.
pub fn quantile(hist: &[u32], q: f64) -> f64 {
    let total: u64 = hist.iter().map(|&c| c as u64).sum();
    if total == 0 {
        return f64::NAN;
    }
    let target = q * total as f64;
    let width = 1.0 / hist.len() as f64;
    let mut below = 0.0;
    for (i, &c) in hist.iter().enumerate() {
        let c = c as f64;
        if c > 0.0 && below + c >= target {
            let within = ((target - below) / c).clamp(0.0, 1.0);
            return ((i as f64 + within) * width).min(1.0);
        }
        below += c;
    }
    1.0
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Rounding without `round` gives `round`'s integers: halves, the largest number below a
    /// half, both signs, every magnitude up to 2^100, and many random numbers.
    #[test]
    fn round_to_integer_is_round() {
        let mut xs = vec![0.0, -0.0, 0.5, -0.5, 1.5, -1.5, 2.5, -2.5, 0.49999999999999994, -0.49999999999999994];
        xs.extend([4503599627370495.5, -4503599627370495.5, 4503599627370496.0, 9007199254740993.0, 2f64.powi(99)]);
        let mut z = 0x9E37_79B9_7F4A_7C15u64;
        for _ in 0..100_000 {
            z = crate::engine::rng::splitmix64(z);
            let mantissa = (z >> 11) as f64 / (1u64 << 53) as f64;
            let x = (mantissa - 0.5) * 2f64.powi((z % 100) as i32);
            xs.push(x);
            xs.push(x.round() + 0.5);
        }
        for x in xs {
            assert_eq!(round_to_integer(x), x.round() as i128, "{x:e}");
        }
    }

    fn outcome(draw: u64, a: [f64; 3], b: [f64; 3], s: f64) -> DrawOutcome {
        DrawOutcome { draw, outcomes: vec![a, b], survival: vec![1.0, s, 1.0, s + 0.1], subgroups: Vec::new() }
    }

    #[test]
    fn evpi_and_ceac_by_hand() {
        // Two draws, WTP 10: draw 1 NMB A = 10*1 - 5 = 5, B = 10*2 - 20 = 0 -> A wins;
        // draw 2 NMB A = 10*1 - 5 = 5, B = 10*3 - 20 = 10 -> B wins.
        // E[max] = 7.5; E[NMB] A = 5, B = 5 -> EVPI = 2.5.
        let mut st = PsaState::new(2, 1, vec![10.0]);
        st.add(&outcome(0, [5.0, 1.0, 1.0], [20.0, 2.0, 2.0], 0.5)).unwrap();
        st.add(&outcome(1, [5.0, 1.0, 1.0], [20.0, 3.0, 3.0], 0.7)).unwrap();
        let r = st.finish();
        assert_eq!(r.ceac[0].probability, vec![0.5, 0.5]);
        assert!((r.evpi[0].per_person - 2.5).abs() < 1e-6);
        assert_eq!(r.mean[1], [20.0, 2.5, 2.5]);
    }

    #[test]
    fn merge_in_any_split_equals_one_pass() {
        let draws: Vec<DrawOutcome> = (0..50)
            .map(|k| {
                let x = (k as f64 * 0.37).sin();
                outcome(
                    k,
                    [1000.0 + x * 100.0, 1.0 + x * 0.1, 2.0],
                    [1500.0 - x * 50.0, 1.02 + x * 0.05, 2.1],
                    0.5 + 0.4 * x,
                )
            })
            .collect();
        let mut whole = PsaState::new(2, 1, vec![0.0, 20000.0, 50000.0]);
        draws.iter().for_each(|d| whole.add(d).unwrap());
        for cut in [1, 17, 33] {
            let mut a = PsaState::new(2, 1, vec![0.0, 20000.0, 50000.0]);
            let mut b = a.clone();
            draws[..cut].iter().for_each(|d| a.add(d).unwrap());
            draws[cut..].iter().rev().for_each(|d| b.add(d).unwrap());
            a.merge(&b);
            assert_eq!(a, whole);
        }
        let json = serde_json::to_string(&whole).unwrap();
        assert_eq!(serde_json::from_str::<PsaState>(&json).unwrap(), whole);
    }

    /// Issue 10: a NaN draw became a zero in the sums; now it is an error, as is a sum that
    /// would overflow.
    #[test]
    fn non_finite_or_huge_values_are_errors_not_zeros() {
        let mut st = PsaState::new(2, 1, vec![10.0]);
        let e = st.add(&outcome(4, [f64::NAN, 1.0, 1.0], [2.0, 2.0, 2.0], 0.5)).unwrap_err().to_string();
        assert_eq!(
            e,
            "PSA draw 4: the cost is too large for the exact sums of the PSA; express costs in larger units (e.g. thousands)"
        );
        assert!(st.add(&outcome(5, [1e40, 1.0, 1.0], [2.0, 2.0, 2.0], 0.5)).is_err());
        assert_eq!(st.draws_done, 0);
    }

    #[test]
    fn histogram_quantiles() {
        let mut h = vec![0u32; 200];
        h[100] = 10; // all mass in [0.5, 0.505)
        assert!((quantile(&h, 0.5) - 0.5025).abs() < 1e-12);
        let mut u = vec![1u32; 200];
        u[0] = 1;
        assert!((quantile(&u, 0.25) - 0.25).abs() < 1e-12);
    }
}
