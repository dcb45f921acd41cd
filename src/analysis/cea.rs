//! Incremental cost-effectiveness analysis: dominance, extended dominance, ICERs and net
//! monetary benefit.
//!
//! Receives per-strategy costs and QALYs; returns the table health economists read. Strategies
//! are sorted by cost. A strategy is *dominated* when a strategy that costs no more gives at least
//! as many QALYs (ties in both: the later one in scenario order is dominated). Among the rest, a
//! strategy is *extendedly dominated* when its ICER against the next cheaper one exceeds the ICER
//! of the next more expensive one: a mix of its neighbours would do better (Drummond et al. 2015,
//! *Methods for the Economic Evaluation of Health Care Programmes*, 4th ed., section 4.4). The
//! check repeats until ICERs rise along the frontier, so runs of several extendedly dominated
//! strategies are removed one at a time. ICERs compare each frontier strategy with the previous
//! one on the frontier; dominated strategies get no ICER.

/// Where a strategy stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// The cheapest strategy on the frontier: the comparator of the next one.
    Reference,
    Dominated,
    ExtendedlyDominated,
    NonDominated,
}

impl Status {
    /// Name used in `cea.csv`.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Reference => "reference",
            Status::Dominated => "dominated",
            Status::ExtendedlyDominated => "extendedly_dominated",
            Status::NonDominated => "non_dominated",
        }
    }
}

/// Costs and effects of one strategy going into the analysis.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Outcome {
    pub strategy: usize,
    pub cost: f64,
    pub qaly: f64,
    pub life_years: f64,
}

/// One row of the incremental analysis.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct CeaRow {
    pub strategy: usize,
    pub cost: f64,
    pub qaly: f64,
    pub life_years: f64,
    /// Against `compared_with` (the previous frontier strategy in cost order); `None` for the reference.
    pub inc_cost: Option<f64>,
    pub inc_qaly: Option<f64>,
    /// Only for non-dominated strategies after the reference.
    pub icer: Option<f64>,
    pub status: Status,
    pub compared_with: Option<usize>,
}

/// The incremental analysis, rows sorted by cost (ties: more QALYs first, then scenario order).
///
/// # Examples
/// ```
/// use cirrhosim::analysis::cea::{Outcome, Status, cea};
/// let rows = cea(&[
///     Outcome { strategy: 0, cost: 1000.0, qaly: 5.0, life_years: 6.0 },
///     Outcome { strategy: 1, cost: 3000.0, qaly: 5.1, life_years: 6.1 },
/// ]);
/// assert_eq!(rows[1].status, Status::NonDominated);
/// assert!((rows[1].icer.unwrap() - 20_000.0).abs() < 1e-6);
/// ```
pub fn cea(outcomes: &[Outcome]) -> Vec<CeaRow> {
    let mut order: Vec<&Outcome> = outcomes.iter().collect();
    order.sort_by(|a, b| a.cost.total_cmp(&b.cost).then(b.qaly.total_cmp(&a.qaly)).then(a.strategy.cmp(&b.strategy)));
    let mut status = vec![Status::NonDominated; order.len()];
    // Strong (and weak) dominance: something no dearer gives at least as much.
    let mut best = f64::NEG_INFINITY;
    for (i, o) in order.iter().enumerate() {
        if o.qaly <= best {
            status[i] = Status::Dominated;
        } else {
            best = o.qaly;
        }
    }
    // Extended dominance, repeated until ICERs increase along the frontier.
    loop {
        let frontier: Vec<usize> = (0..order.len()).filter(|&i| status[i] == Status::NonDominated).collect();
        let icer = |a: usize, b: usize| (order[b].cost - order[a].cost) / (order[b].qaly - order[a].qaly);
        let violation = frontier.windows(3).find(|w| icer(w[0], w[1]) > icer(w[1], w[2])).map(|w| w[1]);
        match violation {
            Some(i) => status[i] = Status::ExtendedlyDominated,
            None => break,
        }
    }
    let mut previous: Option<usize> = None;
    let mut rows = Vec::with_capacity(order.len());
    for (i, o) in order.iter().enumerate() {
        let base = previous.map(|p| order[p]);
        let inc_cost = base.map(|b| o.cost - b.cost);
        let inc_qaly = base.map(|b| o.qaly - b.qaly);
        let row_status =
            if status[i] == Status::NonDominated && previous.is_none() { Status::Reference } else { status[i] };
        let icer = match row_status {
            Status::NonDominated => inc_cost.zip(inc_qaly).map(|(c, q)| c / q),
            _ => None,
        };
        rows.push(CeaRow {
            strategy: o.strategy,
            cost: o.cost,
            qaly: o.qaly,
            life_years: o.life_years,
            inc_cost,
            inc_qaly,
            icer,
            status: row_status,
            compared_with: base.map(|b| b.strategy),
        });
        if status[i] == Status::NonDominated {
            previous = Some(i);
        }
    }
    rows
}

/// Net monetary benefit at willingness to pay `wtp` per QALY: wtp x QALY - cost.
pub fn nmb(cost: f64, qaly: f64, wtp: f64) -> f64 {
    wtp * qaly - cost
}

#[cfg(test)]
mod tests {
    use super::*;

    fn outcomes(table: &[(f64, f64)]) -> Vec<Outcome> {
        table
            .iter()
            .enumerate()
            .map(|(i, &(cost, qaly))| Outcome { strategy: i, cost, qaly, life_years: qaly })
            .collect()
    }

    fn statuses(rows: &[CeaRow]) -> Vec<(usize, Status)> {
        rows.iter().map(|r| (r.strategy, r.status)).collect()
    }

    #[test]
    fn textbook_example_with_dominance_and_extended_dominance() {
        // Hand-worked: A (0, 0); B (1000, 0.5); C (1500, 0.4) dominated by B;
        // D (5000, 1.0): ICER B->D 8000 > ICER A->B 2000, fine; E (20000, 1.2): 75000.
        // F (3000, 0.6): A->B 2000, B->F 20000, F->D 5000 -> F extendedly dominated.
        let rows =
            cea(&outcomes(&[(0.0, 0.0), (1000.0, 0.5), (1500.0, 0.4), (5000.0, 1.0), (20000.0, 1.2), (3000.0, 0.6)]));
        assert_eq!(
            statuses(&rows),
            vec![
                (0, Status::Reference),
                (1, Status::NonDominated),
                (2, Status::Dominated),
                (5, Status::ExtendedlyDominated),
                (3, Status::NonDominated),
                (4, Status::NonDominated),
            ]
        );
        let icers: Vec<Option<f64>> = rows.iter().map(|r| r.icer.map(|x| (x * 1e6).round() / 1e6)).collect();
        assert_eq!(icers, vec![None, Some(2000.0), None, None, Some(8000.0), Some(75000.0)]);
        // The dominated row is compared with the frontier strategy just below it.
        assert_eq!(rows[2].compared_with, Some(1));
        assert!((rows[2].inc_qaly.unwrap() + 0.1).abs() < 1e-12);
    }

    #[test]
    fn several_extendedly_dominated_in_a_row() {
        // Frontier end points A (0, 0) and E (10000, 1). B, C, D lie below the line A-E, each with
        // an ICER from its predecessor that falls: removing B exposes C, and so on.
        // A->B 12000 > B->C 10500; then A->C 11250 > C->D 9000; then A->D 10500 > D->E 9786.
        let rows = cea(&outcomes(&[(0.0, 0.0), (1200.0, 0.1), (2250.0, 0.2), (3150.0, 0.3), (10000.0, 1.0)]));
        assert_eq!(
            statuses(&rows),
            vec![
                (0, Status::Reference),
                (1, Status::ExtendedlyDominated),
                (2, Status::ExtendedlyDominated),
                (3, Status::ExtendedlyDominated),
                (4, Status::NonDominated),
            ]
        );
        assert!((rows[4].icer.unwrap() - 10000.0).abs() < 1e-9);
        assert_eq!(rows[4].compared_with, Some(0));
    }

    #[test]
    fn identical_strategies_have_zero_increments_and_no_icer() {
        let rows = cea(&outcomes(&[(100.0, 2.0), (100.0, 2.0)]));
        assert_eq!(statuses(&rows), vec![(0, Status::Reference), (1, Status::Dominated)]);
        assert_eq!(rows[1].inc_cost, Some(0.0));
        assert_eq!(rows[1].inc_qaly, Some(0.0));
        assert_eq!(rows[1].icer, None);
    }

    #[test]
    fn swapping_strategies_keeps_the_icer_and_the_order() {
        let a = cea(&outcomes(&[(1000.0, 1.0), (4000.0, 1.3)]));
        let b = cea(&[
            Outcome { strategy: 0, cost: 4000.0, qaly: 1.3, life_years: 1.3 },
            Outcome { strategy: 1, cost: 1000.0, qaly: 1.0, life_years: 1.0 },
        ]);
        assert_eq!(a[1].icer, b[1].icer);
        assert_eq!(a[1].strategy, 1);
        assert_eq!(b[1].strategy, 0);
        assert!((a[1].icer.unwrap() - 10000.0).abs() < 1e-6);
    }

    #[test]
    fn cheaper_and_better_dominates() {
        let rows = cea(&outcomes(&[(5000.0, 1.0), (3000.0, 1.5)]));
        assert_eq!(statuses(&rows), vec![(1, Status::Reference), (0, Status::Dominated)]);
        assert_eq!(nmb(3000.0, 1.5, 20000.0), 27000.0);
    }
}
