//! PSA by subgroup (`psa --by`): streaming accumulators of each subgroup's outcomes and of how
//! often each strategy is cost-effective in it, and the CEAC they add up to.
//!
//! Receives, per draw, each subgroup's discounted cost, discounted QALYs and life years per
//! strategy ([`DrawOutcome::subgroups`], computed as `run --by` computes a subgroup's: the exact
//! cohort of its sub-cohorts); keeps per subgroup the fixed-point sums per strategy and the wins
//! per strategy at each WTP of the PSA's grid and then at each of the scenario's `economics.wtp`
//! (the decision values the summary states exactly, whether or not they are on the grid). Nothing
//! grows with the number of draws. A draw is added whole or not at all.
//!
//! The whole population's numbers stay those of [`PsaState`] (the PSA without `--by`, to the
//! bit); a subgroup's CEAC is the share of draws in which a strategy has the highest NMB *in that
//! subgroup*, so the subgroups' probabilities need not average to the population's (a decision
//! for everyone is not the set of decisions by subgroup), while their mean outcomes weighted by
//! the shares do give the population's.

use super::accumulators::{CeacPoint, DrawOutcome, best_nmb, fixed, overflow};
use serde::{Deserialize, Serialize};

/// The accumulators of every subgroup of a `--by` PSA; also stored in checkpoints and states.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SubgroupState {
    /// `covariate=category;...` per subgroup ([`crate::model::subgroups::Subgroups::names`]).
    pub names: Vec<String>,
    /// Share of the population in each subgroup.
    pub shares: Vec<f64>,
    /// The scenario's `economics.wtp`: wins are counted at these after the grid's.
    pub decision_wtp: Vec<f64>,
    /// `[subgroup][strategy]`: sums of cost, QALYs, life years (fixed point).
    pub sum: Vec<Vec<[i128; 3]>>,
    /// `[subgroup][w][strategy]`, w over the PSA's WTP grid then `decision_wtp`: draws in which
    /// the strategy had the highest NMB in the subgroup.
    pub wins: Vec<Vec<Vec<u64>>>,
}

/// The finished analysis of one subgroup.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SubgroupResults {
    pub name: String,
    pub share: f64,
    /// Per strategy: mean cost, QALYs, life years in the subgroup.
    pub mean: Vec<[f64; 3]>,
    /// The subgroup's CEAC on the PSA's WTP grid, with its acceptability frontier.
    pub ceac: Vec<CeacPoint>,
    /// The same at each of the scenario's `economics.wtp`.
    pub at_wtp: Vec<CeacPoint>,
}

impl SubgroupState {
    /// Empty accumulators for the subgroups `names` (with their `shares`) of a run of
    /// `n_strategies` strategies over a WTP grid of `n_grid` points.
    pub fn new(
        names: Vec<String>,
        shares: Vec<f64>,
        n_strategies: usize,
        n_grid: usize,
        decision_wtp: Vec<f64>,
    ) -> SubgroupState {
        let n_wtp = n_grid + decision_wtp.len();
        SubgroupState {
            sum: vec![vec![[0; 3]; n_strategies]; names.len()],
            wins: vec![vec![vec![0; n_strategies]; n_wtp]; names.len()],
            names,
            shares,
            decision_wtp,
        }
    }

    /// Adds one draw's subgroup outcomes (`grid`: the PSA's WTP grid), all or nothing.
    ///
    /// # Errors
    /// [`crate::Error::PsaAccumulator`] when a value is not finite or would overflow its sum;
    /// [`crate::Error::PsaSubgroups`] when the draw has another number of subgroups or strategies
    /// than the accumulators.
    pub fn add(&mut self, d: &DrawOutcome, grid: &[f64]) -> crate::Result<()> {
        let shape =
            d.subgroups.len() == self.names.len() && d.subgroups.iter().zip(&self.sum).all(|(o, s)| o.len() == s.len());
        if !shape {
            return Err(crate::Error::PsaSubgroups {
                draw: d.draw,
                found: d.subgroups.len(),
                expected: self.names.len(),
            });
        }
        let mut sum = self.sum.clone();
        for (acc, outcomes) in sum.iter_mut().zip(&d.subgroups) {
            for (a, o) in acc.iter_mut().zip(outcomes) {
                for q in 0..3 {
                    let v = fixed(o[q], q).ok_or_else(|| overflow(d.draw, q))?;
                    a[q] = a[q].checked_add(v).ok_or_else(|| overflow(d.draw, q))?;
                }
            }
        }
        self.sum = sum;
        for (wins, outcomes) in self.wins.iter_mut().zip(&d.subgroups) {
            for (w, &lambda) in grid.iter().chain(&self.decision_wtp).enumerate() {
                wins[w][best_nmb(outcomes, lambda).0] += 1;
            }
        }
        Ok(())
    }

    /// Adds another state's subgroup accumulators (shards, checkpoints); see [`Self::same_subgroups`].
    pub fn merge(&mut self, other: &SubgroupState) {
        for (a, b) in self.sum.iter_mut().zip(&other.sum) {
            for (x, y) in a.iter_mut().zip(b) {
                for q in 0..3 {
                    x[q] += y[q];
                }
            }
        }
        for (a, b) in self.wins.iter_mut().zip(&other.wins) {
            for (x, y) in a.iter_mut().zip(b) {
                for (u, v) in x.iter_mut().zip(y) {
                    *u += v;
                }
            }
        }
    }

    /// The same subgroups (names, shares) and decision WTPs.
    pub fn same_subgroups(&self, other: &SubgroupState) -> bool {
        self.names == other.names && self.shares == other.shares && self.decision_wtp == other.decision_wtp
    }

    /// Every accumulator has the length its subgroups, `n_strategies` and `n_grid` WTP points
    /// (then the decision WTPs) imply.
    pub fn well_formed(&self, n_strategies: usize, n_grid: usize) -> bool {
        let n = self.names.len();
        let n_wtp = n_grid + self.decision_wtp.len();
        self.shares.len() == n
            && self.sum.len() == n
            && self.sum.iter().all(|s| s.len() == n_strategies)
            && self.wins.len() == n
            && self.wins.iter().all(|w| w.len() == n_wtp && w.iter().all(|x| x.len() == n_strategies))
    }

    /// Means and CEAC of each subgroup after `draws` draws over the WTP grid `grid`.
    pub fn finish(&self, grid: &[f64], draws: u64) -> Vec<SubgroupResults> {
        let n = draws.max(1) as f64;
        (0..self.names.len())
            .map(|g| {
                let mean: Vec<[f64; 3]> = self.sum[g]
                    .iter()
                    .map(|s| std::array::from_fn(|q| s[q] as f64 / super::accumulators::SCALE[q] / n))
                    .collect();
                let point = |w: usize, lambda: f64| CeacPoint {
                    wtp: lambda,
                    probability: self.wins[g][w].iter().map(|&c| c as f64 / n).collect(),
                    frontier: best_nmb(&mean, lambda).0,
                };
                SubgroupResults {
                    name: self.names[g].clone(),
                    share: self.shares[g],
                    ceac: grid.iter().enumerate().map(|(w, &lambda)| point(w, lambda)).collect(),
                    at_wtp: self
                        .decision_wtp
                        .iter()
                        .enumerate()
                        .map(|(w, &lambda)| point(grid.len() + w, lambda))
                        .collect(),
                    mean,
                }
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::super::PsaState;
    use super::*;

    /// Two strategies, one cycle, two subgroups; `x` moves the numbers draw by draw.
    fn draw(k: u64) -> DrawOutcome {
        let x = (k as f64 * 0.61).sin();
        let (a, b) = ([1000.0 + 90.0 * x, 1.0 + 0.1 * x, 2.0], [1400.0 - 40.0 * x, 1.03 + 0.04 * x, 2.1]);
        DrawOutcome {
            draw: k,
            outcomes: vec![a, b],
            survival: vec![1.0, 0.5, 1.0, 0.6],
            subgroups: vec![vec![a, [b[0], b[1] + 0.02, b[2]]], vec![[a[0] * 2.0, a[1], a[2]], b]],
        }
    }

    fn state() -> PsaState {
        let names = vec!["x=a".to_string(), "x=b".to_string()];
        PsaState::with_subgroups(2, 1, vec![0.0, 10_000.0, 20_000.0], names, vec![0.4, 0.6], vec![15_000.0])
    }

    /// By hand: at WTP 10,000, subgroup x=a's NMB of b minus a is 10,000 (0.05 - 0.06 x) -
    /// (400 - 130 x) = 100 - 470 x, so b wins exactly when x < 100 / 470; the counts and means
    /// follow.
    #[test]
    fn wins_and_means_by_hand_and_merge_in_any_split() {
        let draws: Vec<DrawOutcome> = (0..40).map(draw).collect();
        let mut whole = state();
        draws.iter().for_each(|d| whole.add(d).unwrap());
        let r = whole.finish();
        let xs: Vec<f64> = (0..40).map(|k| (k as f64 * 0.61).sin()).collect();
        let b_wins = xs.iter().filter(|&&x| 100.0 - 470.0 * x > 0.0).count();
        let a = &r.subgroups[0];
        assert_eq!(a.ceac[1].probability, vec![(40 - b_wins) as f64 / 40.0, b_wins as f64 / 40.0]);
        assert!(b_wins > 0 && b_wins < 40, "both strategies win some draws");
        // At WTP 0 the cheaper strategy always wins; the decision WTP comes after the grid.
        assert_eq!(a.ceac[0].probability, vec![1.0, 0.0]);
        assert_eq!((a.at_wtp.len(), a.at_wtp[0].wtp), (1, 15_000.0));
        let mean_cost_a = xs.iter().map(|x| 1000.0 + 90.0 * x).sum::<f64>() / 40.0;
        assert!((a.mean[0][0] - mean_cost_a).abs() < 1e-5);
        assert_eq!((r.subgroups[1].name.as_str(), r.subgroups[1].share), ("x=b", 0.6));
        for cut in [1, 13, 39] {
            let (mut first, mut second) = (state(), state());
            draws[..cut].iter().for_each(|d| first.add(d).unwrap());
            draws[cut..].iter().rev().for_each(|d| second.add(d).unwrap());
            first.merge(&second);
            assert_eq!(first, whole);
        }
        let json = serde_json::to_string(&whole).unwrap();
        assert_eq!(serde_json::from_str::<PsaState>(&json).unwrap(), whole);
    }

    /// A state without subgroups is written and read as before (no `by` key); states of other
    /// subgroups, or with damaged subgroup accumulators, do not fit; a draw of the wrong shape
    /// or with a NaN adds nothing.
    #[test]
    fn shapes_are_checked_and_old_states_read() {
        let plain = PsaState::new(2, 1, vec![0.0, 10_000.0, 20_000.0]);
        let json = serde_json::to_string(&plain).unwrap();
        assert!(!json.contains("\"by\""));
        assert_eq!(serde_json::from_str::<PsaState>(&json).unwrap(), plain);
        let grid = [0.0, 10_000.0, 20_000.0];
        let names = ["x=a".to_string(), "x=b".to_string()];
        let st = state();
        assert!(st.fits(2, 1, &grid, &names) && !st.fits(2, 1, &grid, &[]) && !plain.fits(2, 1, &grid, &names));
        assert!(!st.compatible(&plain) && st.compatible(&state()));
        let mut other = state();
        other.by.as_mut().unwrap().shares = vec![0.5, 0.5];
        assert!(!st.compatible(&other));
        let mut damaged = state();
        damaged.by.as_mut().unwrap().wins[1].pop();
        assert!(!damaged.fits(2, 1, &grid, &names));
        let mut st = state();
        let mut d = draw(3);
        d.subgroups.pop();
        assert_eq!(
            st.add(&d).unwrap_err().to_string(),
            "PSA draw 3: outcomes of 1 subgroups, but the run's accumulators hold 2; start the run again without --resume"
        );
        let mut d = draw(4);
        d.subgroups[1][1][1] = f64::NAN;
        assert!(st.add(&d).is_err());
        assert_eq!(st, state(), "nothing added");
        let mut plain = plain;
        assert!(plain.add(&draw(5)).is_err(), "subgroup outcomes without subgroup accumulators");
    }
}
