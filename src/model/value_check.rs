//! Checks the value tables once, at build: every cost, QALY and life-year entry is finite, and so
//! is the largest total one patient can accrue over the horizon.
//!
//! Receives one strategy's built [`Valuation`]; hands back the first problem found, as a
//! [`ProblemKind::ValueNotFinite`] naming the strategy, the state (or move), the cycle, the
//! quantity and the cost or utility entries of the scenario that feed it, largest first.

use super::valuation::{ADVERSE_EVENT_CATEGORY, INFUSION_CATEGORY, Valuation, cost_categories, quantity};
use super::{Group, Slot, readable};
use crate::error::{Problem, ProblemKind};
use crate::scenario::{At, RewardKind, RewardTarget, Scenario, Value};

/// Where a value sits in the tables.
#[derive(Clone, Copy)]
enum Place {
    /// Being in a slot at a cycle boundary.
    Point { boundary: usize, slot: usize },
    /// One move during a cycle (0-based).
    Move { cycle: usize, from: usize, to: usize },
    /// Summed along one patient's path.
    Path,
}

/// The first value of strategy `si` (and sub-cohort `profile`, for tables per profile) that is
/// not finite, or whose path total is not, as a problem.
pub fn first_problem(
    scenario: &Scenario,
    values: &[f64],
    slots: &[Slot],
    si: usize,
    profile: Option<&Group>,
    v: &Valuation,
) -> Option<Problem> {
    let (q, place, value) = first_not_finite(v)?;
    let categories = cost_categories(scenario);
    let states = &scenario.states;
    let (place_words, when) = match place {
        Place::Point { boundary, slot } => {
            let s = slots[slot];
            let in_buckets = slots.iter().filter(|x| x.state == s.state).count() > 1;
            let bucket = if in_buckets { format!(" (after {} cycles in it)", s.bucket) } else { String::new() };
            (format!("of being in \"{}\"{bucket}", states[s.state].name), format!("cycle boundary {boundary}"))
        }
        Place::Move { cycle, from, to } => {
            (format!("of a move from \"{}\" to \"{}\"", states[from].name, states[to].name), format!("cycle {cycle}"))
        }
        Place::Path => ("along one patient's path".to_string(), "the horizon".to_string()),
    };
    // Tables per profile: say whose (the profile's formula variables at the cycle's start).
    let (place_words, at) = match profile {
        Some(g) => {
            let who = super::groups::describe_group(scenario, g, 2);
            let cycle = match place {
                Place::Point { boundary, .. } => boundary.min(scenario.n_cycles.saturating_sub(1)),
                Place::Move { cycle, .. } => cycle,
                Place::Path => 0,
            };
            let at = super::rows::row_time(scenario.cycle_length_years, g, cycle, 0);
            (format!("{place_words} for the profile \"{}\"", who.trim_start_matches(", ")), at)
        }
        None => (place_words, At::UNKNOWN),
    };
    let kind = ProblemKind::ValueNotFinite {
        strategy: scenario.strategies[si].name.clone(),
        quantity: quantity_name(q, &categories),
        place: place_words,
        when,
        value,
        entries: feeding_entries(scenario, values, &at, slots, si, q, place),
    };
    Some(Problem::new("", None, kind))
}

/// The first entry that is not finite (state values, then move values), then the first path
/// total that is not. The scans run over the flat tables, so the check costs less than the build.
fn first_not_finite(v: &Valuation) -> Option<(usize, Place, f64)> {
    // The common case in one vectorised pass: the sum of |value| over all tables bounds every
    // entry and every path total, so when it is finite there is nothing to find.
    if (sum_abs(&v.point) + sum_abs(&v.moves)).is_finite() {
        return None;
    }
    let (t_max, n_slots) = (v.n_cycles, v.n_slots);
    if let Some(i) = v.point.iter().position(|x| !x.is_finite()) {
        let (q, rest) = (i / ((t_max + 1) * n_slots), i % ((t_max + 1) * n_slots));
        return Some((q, Place::Point { boundary: rest / n_slots, slot: rest % n_slots }, v.point[i]));
    }
    if let Some(i) = v.moves.iter().position(|x| !x.is_finite()) {
        let (q, rest) = (i / (t_max * v.n_moves), i % (t_max * v.n_moves));
        let (cycle, m) = (rest / v.n_moves, rest % v.n_moves);
        let index = v.move_index.iter().position(|&x| x == Some(m as u32)).unwrap_or(0);
        let (from, to) = (index / v.n_states, index % v.n_states);
        return Some((q, Place::Move { cycle, from, to }, v.moves[i]));
    }
    (0..v.n_quantities).map(|q| (q, Place::Path, v.largest_path_total(q))).find(|(_, _, x)| !x.is_finite())
}

/// Sum of |x| (NaN if any x is NaN), in eight lanes so that it vectorises; the order of the
/// additions does not matter for a finiteness test.
fn sum_abs(values: &[f64]) -> f64 {
    let mut lanes = [0.0f64; 8];
    let chunks = values.chunks_exact(8);
    let rest: f64 = chunks.remainder().iter().map(|x| x.abs()).sum();
    for chunk in chunks {
        for (lane, x) in lanes.iter_mut().zip(chunk) {
            *lane += x.abs();
        }
    }
    lanes.iter().sum::<f64>() + rest
}

/// Words for quantity `q`.
pub fn quantity_name(q: usize, categories: &[String]) -> String {
    match q {
        quantity::COST => "discounted cost".to_string(),
        quantity::QALY => "discounted QALYs".to_string(),
        quantity::LIFE_YEARS => "life years".to_string(),
        quantity::COST_UNDISCOUNTED => "undiscounted cost".to_string(),
        quantity::QALY_UNDISCOUNTED => "undiscounted QALYs".to_string(),
        quantity::LIFE_YEARS_DISCOUNTED => "discounted life years".to_string(),
        k => format!("discounted cost of category \"{}\"", categories[k - quantity::FIXED]),
    }
}

/// The scenario's cost and utility entries that can feed quantity `q` at `place` under strategy
/// `si`, largest |value| first (at most three), in words.
fn feeding_entries(
    scenario: &Scenario,
    values: &[f64],
    at: &At,
    slots: &[Slot],
    si: usize,
    q: usize,
    place: Place,
) -> String {
    let categories = cost_categories(scenario);
    let category = q.checked_sub(quantity::FIXED).map(|k| categories[k].as_str());
    let is_cost = matches!(q, quantity::COST | quantity::COST_UNDISCOUNTED) || category.is_some();
    let is_qaly = matches!(q, quantity::QALY | quantity::QALY_UNDISCOUNTED);
    let number = |v: &Value| match v {
        Value::Parameter(i) => (values[*i], format!(" (parameter {})", scenario.parameters[*i].name)),
        Value::Literal(x) => (*x, String::new()),
        // The largest value over the horizon is what can overflow; the formula names its inputs.
        Value::Formula(f) => (v.at(values, at), format!(" (formula {})", f.text())),
    };
    let mut entries: Vec<(f64, String)> = Vec::new();
    for r in scenario.rewards.iter().filter(|r| r.strategies.as_ref().is_none_or(|s| s.contains(&si))) {
        let what = match &r.kind {
            RewardKind::Cost { category: c } if is_cost && category.is_none_or(|k| k == c) => {
                format!("the cost \"{c}\"")
            }
            RewardKind::Qaly if is_qaly => "the utility".to_string(),
            _ => continue,
        };
        let target = match (r.target, place) {
            (RewardTarget::State(s), Place::Point { slot, .. })
                if slots[slot].state == s && r.time_in_state.contains(slots[slot].bucket) =>
            {
                format!("state \"{}\"", scenario.states[s].name)
            }
            (RewardTarget::Transition { from, to }, Place::Move { from: f, to: t, .. }) if (from, to) == (f, t) => {
                format!("the move \"{}\" -> \"{}\"", scenario.states[from].name, scenario.states[to].name)
            }
            (RewardTarget::State(s), Place::Path) => format!("state \"{}\"", scenario.states[s].name),
            (RewardTarget::Transition { from, to }, Place::Path) => {
                format!("the move \"{}\" -> \"{}\"", scenario.states[from].name, scenario.states[to].name)
            }
            _ => continue,
        };
        let (x, parameter) = number(&r.value);
        entries.push((x, format!("{what} of {target} = {}{parameter}", readable(x))));
    }
    if let (Some(schedule), false) = (&scenario.strategies[si].schedule, matches!(place, Place::Move { .. })) {
        if is_cost
            && category.is_none_or(|k| k == INFUSION_CATEGORY)
            && let Some(c) = &schedule.cost_per_infusion
        {
            let (x, parameter) = number(c);
            entries.push((x, format!("the cost per infusion = {}{parameter}", readable(x))));
        }
        for a in &schedule.adverse_events {
            let (field, value) = match (is_cost && category.is_none_or(|k| k == ADVERSE_EVENT_CATEGORY), is_qaly) {
                (true, _) => ("cost", a.cost.as_ref()),
                (_, true) => ("QALY loss", a.qaly_loss.as_ref()),
                _ => continue,
            };
            if let Some(v) = value {
                let (x, parameter) = number(v);
                entries.push((x, format!("the {field} of adverse event \"{}\" = {}{parameter}", a.name, readable(x))));
            }
        }
    }
    entries.sort_by(|a, b| b.0.abs().total_cmp(&a.0.abs()));
    let words: Vec<String> = entries.into_iter().take(3).map(|e| e.1).collect();
    if words.is_empty() { "no single entry (their sum overflows)".to_string() } else { words.join("; ") }
}
