//! What a PSA's draws say, in the numbers a reviewer reads beside its figures.
//!
//! Receives the per-draw outcomes of a finished PSA (`psa_draws.csv`, read by
//! [`crate::io::draws`]) and willingness-to-pay values; hands [`crate::report`] per strategy the
//! mean cost, QALYs and life years with their 95% intervals across draws, the incremental
//! analysis on the means (dominance, extended dominance and ICERs, [`crate::analysis::cea`]) with
//! 95% intervals of each increment, and, at each WTP, the probability that each strategy is
//! cost-effective and the EVPI per person.
//!
//! Conventions (Briggs, Claxton & Sculpher 2006, *Decision Modelling for Health Economic
//! Evaluation*, ch. 4 and 7): an interval is the 2.5th and 97.5th percentile of the draws
//! (linear interpolation between order statistics, R's type 7); the ICER is the ratio of mean
//! increments, never a mean of ratios; a strategy is cost-effective in a draw when its net
//! monetary benefit (NMB = wtp x QALYs - cost) is the highest (ties to the first strategy in
//! scenario order, as in the PSA's own CEAC); EVPI = E[max NMB] - max E[NMB].

use crate::analysis::cea::{self, CeaRow, Outcome};
use crate::analysis::evppi;
use crate::io::draws::DrawTable;

/// A mean with the 2.5th and 97.5th percentiles of the draws.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Spread {
    pub mean: f64,
    pub lower: f64,
    pub upper: f64,
}

/// One strategy's outcomes across draws.
#[derive(Debug, Clone, PartialEq)]
pub struct StrategySpread {
    pub strategy: usize,
    /// Discounted cost, discounted QALYs, undiscounted life years.
    pub cost: Spread,
    pub qaly: Spread,
    pub life_years: Spread,
}

/// One row of the incremental analysis on the PSA means, with the spread of each increment
/// across draws (the increment is taken draw by draw, against `row.compared_with`).
#[derive(Debug, Clone, PartialEq)]
pub struct IncrementalSpread {
    pub row: CeaRow,
    /// `None` for the reference strategy.
    pub inc_cost: Option<Spread>,
    pub inc_qaly: Option<Spread>,
    pub inc_life_years: Option<Spread>,
}

/// Decision numbers at one willingness to pay.
#[derive(Debug, Clone, PartialEq)]
pub struct AtWtp {
    pub wtp: f64,
    /// Per strategy: share of draws in which it has the highest NMB.
    pub probability_cost_effective: Vec<f64>,
    /// Per strategy: mean NMB.
    pub expected_nmb: Vec<f64>,
    /// The strategy with the highest mean NMB (the acceptability frontier).
    pub optimal: usize,
    /// Expected value of perfect information per person.
    pub evpi_per_person: f64,
}

/// Everything [`summarise`] computes.
#[derive(Debug, Clone, PartialEq)]
pub struct PsaSummary {
    pub draws: usize,
    /// In scenario order.
    pub strategies: Vec<StrategySpread>,
    /// Sorted by mean cost, as [`cea::cea`] returns them.
    pub incremental: Vec<IncrementalSpread>,
    /// One per WTP asked for, in the order given.
    pub at_wtp: Vec<AtWtp>,
}

/// The p-th quantile (0 <= p <= 1) of sorted values, interpolating linearly between order
/// statistics (Hyndman & Fan 1996, definition 7); NaN for no values.
///
/// # Examples
/// ```
/// use cirrhosim::analysis::psa::summary::quantile_sorted;
/// assert_eq!(quantile_sorted(&[1.0, 2.0, 3.0, 4.0], 0.5), 2.5);
/// assert_eq!(quantile_sorted(&[1.0, 2.0, 3.0, 4.0], 0.025), 1.075);
/// assert!(quantile_sorted(&[], 0.5).is_nan());
/// ```
pub fn quantile_sorted(sorted: &[f64], p: f64) -> f64 {
    match sorted.len() {
        0 => f64::NAN,
        n => {
            let h = (n - 1) as f64 * p.clamp(0.0, 1.0);
            let (k, frac) = (h.floor() as usize, h - h.floor());
            let next = sorted[(k + 1).min(n - 1)];
            sorted[k] + frac * (next - sorted[k])
        }
    }
}

/// The mean and 95% interval of `values`.
pub fn spread(values: &[f64]) -> Spread {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let mean = if values.is_empty() { f64::NAN } else { values.iter().sum::<f64>() / values.len() as f64 };
    Spread { mean, lower: quantile_sorted(&sorted, 0.025), upper: quantile_sorted(&sorted, 0.975) }
}

/// Summarises a PSA's draws at the willingness-to-pay values `wtp` (per QALY).
///
/// The draw table is complete and every value finite ([`crate::io::draws::read`] refuses
/// anything else), so every number here is finite when there is at least one draw.
///
/// # Examples
/// ```
/// use cirrhosim::analysis::psa::summary::summarise;
/// use cirrhosim::io::draws::DrawTable;
/// // Two draws; B costs 1000 more and gains 0.1 QALYs in each.
/// let table = DrawTable {
///     strategies: vec!["a".into(), "b".into()],
///     parameters: vec![],
///     draws: vec![0, 1],
///     outcomes: vec![vec![[1000.0, 1.0, 2.0], [2000.0, 1.1, 2.1]], vec![[3000.0, 2.0, 3.0], [4000.0, 2.1, 3.1]]],
///     values: vec![vec![], vec![]],
/// };
/// let s = summarise(&table, &[5_000.0, 20_000.0]);
/// assert_eq!(s.strategies[1].cost.mean, 3000.0);
/// assert!((s.incremental[1].row.icer.unwrap() - 10_000.0).abs() < 1e-6);
/// assert_eq!(s.at_wtp[0].probability_cost_effective, vec![1.0, 0.0]);
/// assert_eq!(s.at_wtp[1].optimal, 1);
/// assert_eq!(s.at_wtp[1].evpi_per_person, 0.0);
/// ```
pub fn summarise(table: &DrawTable, wtp: &[f64]) -> PsaSummary {
    let n_strategies = table.strategies.len();
    let column = |s: usize, q: usize| -> Vec<f64> { table.outcomes.iter().map(|o| o[s][q]).collect() };
    let strategies: Vec<StrategySpread> = (0..n_strategies)
        .map(|s| StrategySpread {
            strategy: s,
            cost: spread(&column(s, 0)),
            qaly: spread(&column(s, 1)),
            life_years: spread(&column(s, 2)),
        })
        .collect();
    let means: Vec<Outcome> = strategies
        .iter()
        .map(|s| Outcome { strategy: s.strategy, cost: s.cost.mean, qaly: s.qaly.mean, life_years: s.life_years.mean })
        .collect();
    let increment = |s: usize, c: usize, q: usize| -> Spread {
        spread(&table.outcomes.iter().map(|o| o[s][q] - o[c][q]).collect::<Vec<_>>())
    };
    let incremental = cea::cea(&means)
        .into_iter()
        .map(|row| {
            let on = |q: usize| row.compared_with.map(|c| increment(row.strategy, c, q));
            IncrementalSpread { inc_cost: on(0), inc_qaly: on(1), inc_life_years: on(2), row }
        })
        .collect();
    let at_wtp = wtp.iter().map(|&lambda| at(table, lambda)).collect();
    PsaSummary { draws: table.outcomes.len(), strategies, incremental, at_wtp }
}

/// The probability each strategy is cost-effective, the mean NMBs and the EVPI at `wtp`.
pub fn at(table: &DrawTable, wtp: f64) -> AtWtp {
    let n_strategies = table.strategies.len();
    let nmb: Vec<Vec<f64>> =
        table.outcomes.iter().map(|o| o.iter().map(|x| cea::nmb(x[0], x[1], wtp)).collect()).collect();
    let n = nmb.len().max(1) as f64;
    let mut wins = vec![0u64; n_strategies];
    for row in &nmb {
        wins[first_max(row)] += 1;
    }
    let expected_nmb: Vec<f64> = (0..n_strategies).map(|s| nmb.iter().map(|r| r[s]).sum::<f64>() / n).collect();
    AtWtp {
        wtp,
        probability_cost_effective: wins.iter().map(|&w| w as f64 / n).collect(),
        optimal: first_max(&expected_nmb),
        expected_nmb,
        evpi_per_person: evppi::evpi(&nmb).max(0.0),
    }
}

/// The EVPPI of one group of parameters at one willingness to pay.
#[derive(Debug, Clone, PartialEq)]
pub struct GroupValue {
    /// The group as the scenario names it (`[psa] evppi_groups`).
    pub parameters: Vec<String>,
    /// Its members the PSA varied (a parameter held fixed is known: it adds nothing).
    pub varied: Vec<String>,
    pub evppi_per_person: f64,
    /// Terms of the regression metamodel ([`evppi::evppi`]); 0 when no member was varied.
    pub terms: usize,
}

/// EVPI and the EVPPI of each group at one willingness to pay, per person.
#[derive(Debug, Clone, PartialEq)]
pub struct ValueOfInformation {
    pub wtp: f64,
    pub evpi_per_person: f64,
    pub groups: Vec<GroupValue>,
}

/// What resolving uncertainty is worth at each `wtp`: the EVPI per person from the draws
/// (E[max NMB] - max E[NMB]) and, for each group of parameter names, the EVPPI by the regression
/// metamodel of [`evppi::evppi`] (Strong, Oakley & Brennan 2014) on the group's varied members.
/// A group none of whose members was varied is worth 0 (its values are known). The EVPPI is at
/// most the EVPI up to the metamodel's noise (see [`crate::analysis::evppi`]); it is not clamped.
///
/// # Examples
/// ```
/// use cirrhosim::analysis::psa::summary::value_of_information;
/// use cirrhosim::io::draws::DrawTable;
/// // b's QALYs are theta, so knowing theta is worth all there is to know.
/// let theta: Vec<f64> = (0..400).map(|i| (i as f64 - 199.5) / 100.0).collect();
/// let table = DrawTable {
///     strategies: vec!["a".into(), "b".into()],
///     parameters: vec!["theta".into()],
///     draws: (0..400).collect(),
///     outcomes: theta.iter().map(|&t| vec![[0.0, 0.0, 0.0], [0.0, t, 0.0]]).collect(),
///     values: theta.iter().map(|&t| vec![t]).collect(),
/// };
/// let groups = [vec!["theta".to_string()], vec!["held_fixed".to_string()]];
/// let v = value_of_information(&table, &groups, &[1.0]);
/// assert!((v[0].groups[0].evppi_per_person - v[0].evpi_per_person).abs() < 0.01);
/// assert_eq!((v[0].groups[1].evppi_per_person, v[0].groups[1].terms), (0.0, 0));
/// ```
pub fn value_of_information(table: &DrawTable, groups: &[Vec<String>], wtp: &[f64]) -> Vec<ValueOfInformation> {
    let thetas: Vec<(Vec<String>, Vec<Vec<f64>>)> = groups
        .iter()
        .map(|group| {
            let columns: Vec<usize> =
                group.iter().filter_map(|name| table.parameters.iter().position(|p| p == name)).collect();
            let varied = columns.iter().map(|&c| table.parameters[c].clone()).collect();
            (varied, table.values.iter().map(|v| columns.iter().map(|&c| v[c]).collect()).collect())
        })
        .collect();
    wtp.iter()
        .map(|&lambda| {
            let nmb: Vec<Vec<f64>> =
                table.outcomes.iter().map(|o| o.iter().map(|x| cea::nmb(x[0], x[1], lambda)).collect()).collect();
            let groups = groups
                .iter()
                .zip(&thetas)
                .map(|(group, (varied, theta))| {
                    let (evppi_per_person, terms) =
                        if varied.is_empty() { (0.0, 0) } else { evppi::evppi(theta, &nmb) };
                    GroupValue { parameters: group.clone(), varied: varied.clone(), evppi_per_person, terms }
                })
                .collect();
            ValueOfInformation { wtp: lambda, evpi_per_person: evppi::evpi(&nmb).max(0.0), groups }
        })
        .collect()
}

/// As [`value_of_information`], from a run's `psa_draws.csv` read as a stream: without groups
/// nothing is held per draw (the EVPI's sums, [`evppi::EvpiSums`], are kept as the file is read);
/// with groups only the groups' columns and the outcomes are held, which the regression needs.
/// The numbers are [`value_of_information`]'s on the whole file, bit for bit.
///
/// # Errors
/// As [`crate::io::draws::read`].
pub fn value_of_information_from(
    path: &std::path::Path,
    groups: &[Vec<String>],
    wtp: &[f64],
) -> crate::error::Result<Vec<ValueOfInformation>> {
    if !groups.is_empty() {
        let keep: Vec<String> = groups.iter().flatten().cloned().collect();
        let table = crate::io::draws::read_keeping(path, Some(&keep))?;
        return Ok(value_of_information(&table, groups, wtp));
    }
    let mut sums = vec![evppi::EvpiSums::default(); wtp.len()];
    let mut nmb = Vec::new();
    crate::io::draws::stream(path, Some(&[]), |d| {
        for (sum, &lambda) in sums.iter_mut().zip(wtp) {
            nmb.clear();
            nmb.extend(d.outcomes.iter().map(|x| cea::nmb(x[0], x[1], lambda)));
            sum.add(&nmb);
        }
    })?;
    Ok(wtp
        .iter()
        .zip(&sums)
        .map(|(&lambda, sum)| ValueOfInformation {
            wtp: lambda,
            evpi_per_person: sum.evpi().max(0.0),
            groups: Vec::new(),
        })
        .collect())
}

/// The index of the largest value, the first on ties.
fn first_max(values: &[f64]) -> usize {
    values.iter().enumerate().fold((0, f64::NEG_INFINITY), |best, (i, &v)| if v > best.1 { (i, v) } else { best }).0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(outcomes: Vec<Vec<[f64; 3]>>) -> DrawTable {
        let n = outcomes.len();
        DrawTable {
            strategies: (0..outcomes[0].len()).map(|s| format!("s{s}")).collect(),
            parameters: vec![],
            draws: (0..n as u64).collect(),
            values: vec![vec![]; n],
            outcomes,
        }
    }

    /// Hand-computed: draws of (cost, QALYs) for A and B; at WTP 10 the NMBs are
    /// A: 5, 5, 5, 5 and B: 0, 10, 10, -10, so B wins draws 2 and 3 (probability 0.5), the mean
    /// NMBs are 5 and 2.5 (A optimal), and EVPI = mean(5, 10, 10, 5) - 5 = 2.5.
    #[test]
    fn by_hand() {
        let t = table(vec![
            vec![[5.0, 1.0, 1.0], [20.0, 2.0, 2.0]],
            vec![[5.0, 1.0, 1.0], [20.0, 3.0, 2.0]],
            vec![[5.0, 1.0, 1.0], [10.0, 2.0, 2.0]],
            vec![[5.0, 1.0, 1.0], [30.0, 2.0, 2.0]],
        ]);
        let s = summarise(&t, &[10.0]);
        let w = &s.at_wtp[0];
        assert_eq!(w.probability_cost_effective, vec![0.5, 0.5]);
        assert_eq!(w.expected_nmb, vec![5.0, 2.5]);
        assert_eq!(w.optimal, 0);
        assert!((w.evpi_per_person - 2.5).abs() < 1e-12);
        // B: mean cost 20, QALYs 2.25; increments 15 and 1.25, ICER 12.
        let b = s.incremental.iter().find(|r| r.row.strategy == 1).unwrap();
        assert!((b.row.icer.unwrap() - 12.0).abs() < 1e-12);
        let inc_cost = b.inc_cost.unwrap();
        assert_eq!(inc_cost.mean, 15.0);
        // Sorted increments 5, 15, 15, 25: 2.5% at h = 0.075 -> 5 + 0.075 * 10 = 5.75.
        assert!((inc_cost.lower - 5.75).abs() < 1e-12 && (inc_cost.upper - 24.25).abs() < 1e-12);
        let a = s.incremental.iter().find(|r| r.row.strategy == 0).unwrap();
        assert!(a.inc_cost.is_none() && a.row.icer.is_none());
    }

    /// A strategy that costs more for fewer QALYs is dominated and gets no ICER.
    #[test]
    fn dominated_strategy_has_no_icer() {
        let t = table(vec![vec![[5.0, 2.0, 1.0], [20.0, 1.0, 1.0]], vec![[5.0, 2.0, 1.0], [22.0, 1.5, 1.0]]]);
        let s = summarise(&t, &[]);
        let b = s.incremental.iter().find(|r| r.row.strategy == 1).unwrap();
        assert_eq!(b.row.status, cea::Status::Dominated);
        assert!(b.row.icer.is_none());
        assert!(s.at_wtp.is_empty());
    }

    /// A `psa_draws.csv` of three strategies and two parameters, whose NMBs cross at some WTPs.
    fn draws_file(dir: &std::path::Path) -> std::path::PathBuf {
        use crate::io::draws;
        let names = vec!["theta".to_string(), "other".to_string()];
        let mut bytes = draws::header(&names);
        let values: Vec<[f64; 2]> = (0..300).map(|k| [((k * 37) % 101) as f64 / 50.0 - 1.0, (k % 7) as f64]).collect();
        let rows: Vec<draws::DrawRows> = values
            .iter()
            .enumerate()
            .map(|(k, v)| draws::DrawRows {
                draw: k as u64,
                outcomes: vec![
                    ("a", [1000.0, 1.0, 2.0]),
                    ("b", [1500.0 + 100.0 * v[1], 1.02 + 0.02 * v[0], 2.0]),
                    ("c", [2500.0, 1.03 + 0.01 * v[0] * v[0], 2.0]),
                ],
                values: v,
            })
            .collect();
        bytes.extend(draws::rows(&rows));
        let path = dir.join(draws::ROWS_FILE);
        std::fs::write(&path, bytes).unwrap();
        path
    }

    #[test]
    fn value_of_information_from_the_file_streamed_is_that_of_the_whole_table() {
        use crate::io::draws;
        let dir = tempfile::tempdir().unwrap();
        let path = draws_file(dir.path());
        let table = draws::read(&path).unwrap();
        let wtp = [10_000.0, 25_000.0, 50_000.0, 100_000.0];
        for groups in
            [Vec::new(), vec![vec!["theta".to_string()]], vec![vec!["other".to_string(), "theta".to_string()]]]
        {
            let whole = value_of_information(&table, &groups, &wtp);
            let streamed = value_of_information_from(&path, &groups, &wtp).unwrap();
            assert_eq!(whole.len(), streamed.len());
            for (a, b) in whole.iter().zip(&streamed) {
                assert_eq!(a.evpi_per_person.to_bits(), b.evpi_per_person.to_bits(), "EVPI at {}", a.wtp);
                assert_eq!(a.groups, b.groups, "groups {groups:?} at {}", a.wtp);
            }
            // The EVPI is not 0 at every WTP: the comparison would hold for an empty answer.
            assert!(whole.iter().any(|v| v.evpi_per_person > 0.0), "{whole:?}");
        }
        // Keeping some columns keeps those, in file order, and reads every draw.
        let kept = draws::read_keeping(&path, Some(&["theta".to_string()])).unwrap();
        assert_eq!(kept.parameters, vec!["theta"]);
        assert_eq!(kept.outcomes, table.outcomes);
        assert!(kept.values.iter().zip(&table.values).all(|(k, all)| k == &vec![all[0]]));
    }
}
