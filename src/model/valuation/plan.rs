//! The plan of the value tables: every addition the tables of a strategy receive, decided once
//! per scenario from what does not change between parameter values (which rewards apply in which
//! cycle and slot, their weights and discount factors), so that building the tables for a PSA
//! draw is only the additions made with that draw's reward values.
//!
//! Receives the scenario and the slots; hands [`super::build_with`] and [`super::rebuild`] a
//! [`Plan`] whose tables are number for number those of the rules in [`super`]'s documentation.
//! The same additions, joined where they meet the same occupancy with the same factor, give a
//! trace's discounted cost and QALYs without any table ([`Plan::outcomes`]): what `run`, PSA, DSA
//! and threshold report.

use super::{
    ADVERSE_EVENT_CATEGORY, Discounting, INFUSION_CATEGORY, Profile, Valuation, cost_categories, quantity,
    reads_profile, reward_time, simpson_weights, spread,
};
use crate::model::{Group, Slot};
use crate::scenario::{
    At, Correction, DiscountTiming, Economics, Reward, RewardKind, RewardTarget, Scenario, Schedule,
};

/// One addition to the value tables, decided once per scenario: the tables of a draw are these
/// additions made in order with the draw's reward values, so a draw does only arithmetic.
#[derive(Debug, Clone, Copy)]
enum Term {
    /// A fixed amount (life years): `table[index] += amount`.
    Fixed { index: u32, amount: f64 },
    /// A state reward at a boundary: `amount = value * weight * dt` goes to the undiscounted
    /// index, `amount * discount` to the discounted one and to the category's, for `slots`
    /// neighbouring slots from the targets on (the slots of one state a reward applies to).
    State { value: u32, weight: f64, discount: f64, targets: Targets, slots: u32 },
    /// A [`Term::State`] whose only kept target is the discounted one (a PSA draw's tables):
    /// `value * weight * dt * discount` added to `slots` entries from `first` on.
    Discounted { value: u32, weight: f64, discount: f64, first: u32, slots: u32 },
    /// A move's one-off value: `value * discount` to the discounted and category indices,
    /// `value * weight` to the undiscounted one.
    Move { value: u32, discount: f64, weight: f64, targets: Targets },
}

/// Flat table indices of one term's discounted, undiscounted and category quantities
/// ([`NONE`] where the tables do not keep it).
#[derive(Debug, Clone, Copy)]
struct Targets {
    discounted: u32,
    undiscounted: u32,
    category: u32,
}

/// A table index that is not kept.
const NONE: u32 = u32::MAX;

/// One addition to a discounted cost or QALY total made straight from a trace, without tables
/// ([`Plan::outcomes`]): the sum of a set of reward values (`set`, see [`DirectPlan`]) times
/// `factor`, times the occupancy of `slots` neighbouring entries from `at` (`[boundary *
/// n_slots + slot]`), or for a move, times the flow of entry `at` (`[cycle * n_moves + move]`).
/// The terms that meet the same occupancy with the same factor are one addition, their values
/// summed.
#[derive(Debug, Clone, Copy)]
struct DirectTerm {
    set: u32,
    is_move: bool,
    at: u32,
    slots: u32,
    factor: f64,
}

/// One strategy's additions to its discounted cost and QALY totals: each addition reads the sum
/// of a set of reward values, and a draw sums each set once ([`Plan::values_into`]), however
/// many boundaries use it (the rewards of a state are the same set at every boundary).
#[derive(Debug, Clone, Default)]
struct DirectPlan {
    /// The reward values (indices into [`Plan::reward_values`]'s) of each set.
    sets: Vec<Vec<u32>>,
    /// The additions to the discounted cost, then those to the discounted QALYs, each list
    /// ordered by set (and in each set, in the order the tables add them).
    terms: [Vec<DirectTerm>; 2],
    /// The runs of `terms` that read the same set, and occupancy or flows.
    runs: [Vec<Run>; 2],
}

/// A run of terms that read the same set: `terms[start..end]`, and what each term reaches.
#[derive(Debug, Clone, Copy)]
struct Run {
    start: u32,
    end: u32,
    reach: Reach,
}

/// What every term of a run multiplies its factor by.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Reach {
    /// A flow of moves.
    Moves,
    /// The occupancy of one slot (the most common: a state's reward at a boundary).
    Slot,
    /// The occupancy of neighbouring slots, summed.
    Slots,
}

/// The sum of `factor x reach(term)` over `terms`, in four partial sums (terms 0, 4, 8, ...; 1,
/// 5, 9, ...; ...) added pairwise at the end, so that the additions do not wait on one another.
#[inline(always)]
fn partial_sums(terms: &[DirectTerm], reach: impl Fn(&DirectTerm) -> f64) -> f64 {
    let mut part = [0.0f64; 4];
    let mut quads = terms.chunks_exact(4);
    for quad in &mut quads {
        for (p, term) in part.iter_mut().zip(quad) {
            *p += term.factor * reach(term);
        }
    }
    for (p, term) in part.iter_mut().zip(quads.remainder()) {
        *p += term.factor * reach(term);
    }
    (part[0] + part[1]) + (part[2] + part[3])
}

/// An infusion as a total receives it: at boundary `boundary`, every alive slot's occupancy
/// times the discounted cost `cost` and the discounted QALY change `qaly`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Infusion {
    pub boundary: usize,
    pub cost: f64,
    pub qaly: f64,
}

/// The plan of every strategy's value tables: the additions (terms) in the order the tables
/// receive them, the reward values a draw evaluates, and the discount rates the factors were
/// computed with. Made once per scenario (again only if a draw changes a discount rate); each
/// draw then fills its tables by [`Plan::tables_into`] without allocating.
#[derive(Debug, Clone)]
pub struct Plan {
    n_quantities: usize,
    n_slots: usize,
    n_states: usize,
    n_cycles: usize,
    dt: f64,
    move_index: Vec<Option<u32>>,
    n_moves: usize,
    /// The discount rates (costs, effects) of the factors, as bits.
    rates: (u64, u64),
    discounting: Discounting,
    categories: Vec<String>,
    /// Per strategy, the additions in order, after the fixed ones.
    terms: Vec<Vec<Term>>,
    /// Per strategy, the additions to the discounted cost and QALY totals ([`Plan::outcomes`]).
    direct: Vec<DirectPlan>,
    /// The (from, to) states of each move that has a value, by its number.
    move_pairs: Vec<(usize, usize)>,
    /// The slots of alive states that are not absorbing (where infusions are valued).
    infused_slots: Vec<usize>,
    /// Per strategy, the point table with the fixed additions (life years) made: what a draw's
    /// table starts from. Fixed amounts go to the life-year quantities only, which no other
    /// addition touches, so each entry receives its additions in the planned order.
    base: Vec<Vec<f64>>,
    /// Reward values of a draw: `values[r]` is reward r's value for the rewards that do not
    /// change with model time; then one value per (reward, cycle, time-in-state bucket) of those
    /// that do (or read the profile), in this order.
    timed: Vec<(usize, At)>,
    /// The sub-cohorts, when some reward reads the profile ([`super::reads_profile`]): then
    /// there are tables per (strategy, profile), each with its profile's reward values; empty
    /// otherwise (tables per strategy).
    profiles: Vec<Group>,
}

/// The discount rates of costs and effects with these parameter values.
fn discount_rates(economics: &Economics, values: &[f64]) -> (f64, f64) {
    (economics.discount_rate_costs.get(values), economics.discount_rate_effects.get(values))
}

impl Plan {
    /// The plan of a scenario's value tables (`None` without `[economics]`), keeping the first
    /// `kept` quantities (all when `None`), with the discount rates `values` give; per profile
    /// of `groups` (the model's sub-cohorts) when some cost or utility reads the profile.
    pub fn new(
        scenario: &Scenario,
        values: &[f64],
        slots: &[Slot],
        kept: Option<usize>,
        groups: &[Group],
    ) -> Option<Plan> {
        let economics = scenario.economics.as_ref()?;
        let categories = cost_categories(scenario);
        let n_states = scenario.states.len();
        let mut move_index = vec![None; n_states * n_states];
        let mut n_moves = 0;
        for r in &scenario.rewards {
            if let RewardTarget::Transition { from, to } = r.target
                && move_index[from * n_states + to].is_none()
            {
                move_index[from * n_states + to] = Some(n_moves as u32);
                n_moves += 1;
            }
        }
        let (rate_costs, rate_effects) = discount_rates(economics, values);
        let all = quantity::FIXED + categories.len();
        let mut plan = Plan {
            n_quantities: kept.map_or(all, |k| all.min(k)),
            n_slots: slots.len(),
            n_states,
            n_cycles: scenario.n_cycles,
            dt: scenario.cycle_length_years,
            move_index,
            n_moves,
            rates: (rate_costs.to_bits(), rate_effects.to_bits()),
            discounting: Discounting::new(rate_costs, rate_effects, scenario.cycle_length_years, scenario.n_cycles),
            categories,
            terms: Vec::new(),
            direct: Vec::new(),
            move_pairs: Vec::new(),
            infused_slots: (0..slots.len())
                .filter(|&i| scenario.states[slots[i].state].alive && !scenario.states[slots[i].state].absorbing)
                .collect(),
            base: Vec::new(),
            timed: Vec::new(),
            profiles: if reads_profile(scenario) { groups.to_vec() } else { Vec::new() },
        };
        let planner = Planner::new(scenario, economics, slots, &plan.categories);
        let (mut timed_index, mut timed) = (std::collections::HashMap::new(), Vec::new());
        let terms: Vec<Vec<Term>> = (0..scenario.strategies.len())
            .map(|si| {
                let mut terms = Vec::new();
                for t in 1..=scenario.n_cycles {
                    planner.add_cycle(&plan, &mut terms, (&mut timed_index, &mut timed), si, t);
                }
                terms
            })
            .collect();
        plan.timed = timed;
        let empty = plan.empty_tables();
        (plan.base, plan.terms) = terms
            .into_iter()
            .map(|terms: Vec<Term>| {
                let mut base = empty.point.clone();
                let rest = terms
                    .into_iter()
                    .filter_map(|term| match term {
                        Term::Fixed { index, amount } => {
                            base[index as usize] += amount;
                            None
                        }
                        Term::State { value, weight, discount, targets, slots }
                            if targets.undiscounted == NONE && targets.category == NONE =>
                        {
                            Some(Term::Discounted { value, weight, discount, first: targets.discounted, slots })
                        }
                        _ => Some(term),
                    })
                    .collect();
                (base, rest)
            })
            .unzip();
        plan.direct = plan.terms.iter().map(|terms| plan.direct_terms(terms)).collect();
        plan.move_pairs = vec![(0, 0); plan.n_moves];
        for (k, m) in plan.move_index.iter().enumerate() {
            if let Some(m) = m {
                plan.move_pairs[*m as usize] = (k / n_states, k % n_states);
            }
        }
        Some(plan)
    }

    /// The additions of `terms` (one strategy's) to the discounted cost and QALY totals: the
    /// terms that meet the same occupancy (or flow) with the same factor become one addition of
    /// their set of values, kept in the order of its first term.
    fn direct_terms(&self, terms: &[Term]) -> DirectPlan {
        let point_block = (self.n_cycles + 1) * self.n_slots;
        let move_block = self.n_cycles * self.n_moves;
        // (value, total, is_move, at, slots, factor) of each addition to a total.
        let point = |first: u32, value: u32, slots: u32, factor: f64| {
            let q = first as usize / point_block;
            (q <= quantity::QALY).then_some((
                value,
                q as u8,
                false,
                (first as usize % point_block) as u32,
                slots,
                factor,
            ))
        };
        let additions = terms.iter().filter_map(|term| match *term {
            Term::Fixed { .. } => None,
            Term::Discounted { value, weight, discount, first, slots } => {
                point(first, value, slots, weight * self.dt * discount)
            }
            Term::State { value, weight, discount, targets, slots } if targets.discounted != NONE => {
                point(targets.discounted, value, slots, weight * self.dt * discount)
            }
            Term::Move { value, discount, targets, .. } if targets.discounted != NONE => {
                let q = targets.discounted as usize / move_block;
                let at = (targets.discounted as usize % move_block) as u32;
                (q <= quantity::QALY).then_some((value, q as u8, true, at, 1, discount))
            }
            _ => None,
        });
        // (total, is_move, at, slots, factor bits): what makes additions one.
        type Key = (u8, bool, u32, u32, u64);
        let mut grouped: Vec<(Key, Vec<u32>)> = Vec::new();
        let mut index: std::collections::HashMap<Key, usize> = std::collections::HashMap::new();
        for (value, total, is_move, at, slots, factor) in additions {
            let key = (total, is_move, at, slots, factor.to_bits());
            let k = *index.entry(key).or_insert_with(|| {
                grouped.push((key, Vec::new()));
                grouped.len() - 1
            });
            grouped[k].1.push(value);
        }
        let mut plan = DirectPlan::default();
        let mut set_index: std::collections::HashMap<Vec<u32>, u32> = std::collections::HashMap::new();
        for ((total, is_move, at, slots, factor), values) in grouped {
            let set = *set_index.entry(values.clone()).or_insert_with(|| {
                plan.sets.push(values);
                (plan.sets.len() - 1) as u32
            });
            plan.terms[total as usize].push(DirectTerm { set, is_move, at, slots, factor: f64::from_bits(factor) });
        }
        for (terms, runs) in plan.terms.iter_mut().zip(&mut plan.runs) {
            terms.sort_by_key(|t| (t.set, t.is_move));
            let mut start = 0;
            for run in terms.chunk_by(|a, b| (a.set, a.is_move) == (b.set, b.is_move)) {
                let reach = match run[0].is_move {
                    true => Reach::Moves,
                    false if run.iter().all(|t| t.slots == 1) => Reach::Slot,
                    false => Reach::Slots,
                };
                runs.push(Run { start: start as u32, end: (start + run.len()) as u32, reach });
                start += run.len();
            }
        }
        plan
    }

    /// The sums of the reward value sets of strategy `si`'s additions to its totals (see
    /// [`DirectPlan`]) for a draw's `values`, into `out`, from `raw`, the draw's reward values
    /// ([`Plan::reward_values`], for the table's profile when tables are per profile); with the
    /// infusions of the strategy into `infusions`.
    pub(super) fn values_into(
        &self,
        scenario: &Scenario,
        values: &[f64],
        si: usize,
        raw: &[f64],
        (out, infusions): (&mut Vec<f64>, &mut Vec<Infusion>),
    ) {
        out.clear();
        out.extend(self.direct[si].sets.iter().map(|set| set.iter().map(|&v| raw[v as usize]).sum::<f64>()));
        infusions.clear();
        let Some(schedule) = &scenario.strategies[si].schedule else { return };
        let d = &self.discounting;
        let a = infusion_amounts(values, schedule);
        infusions.extend(self.infusions_in_horizon(schedule).map(|(p, tau)| Infusion {
            boundary: p,
            cost: a.cost() * d.costs(tau),
            qaly: -(a.qaly_loss * d.effects(tau)),
        }));
    }

    /// Each infusion of `schedule` that falls within the horizon: the boundary it is valued at
    /// (the start of the cycle it falls in) and its time in years.
    fn infusions_in_horizon<'a>(&'a self, schedule: &'a Schedule) -> impl Iterator<Item = (usize, f64)> + 'a {
        schedule.infusion_times().into_iter().filter_map(|tau| {
            let p = (tau / self.dt + 1e-9).floor() as usize;
            (p < self.n_cycles).then_some((p, tau))
        })
    }

    /// Discounted cost and QALYs of strategy `si` straight from a trace, without value tables:
    /// `sums` are the value sets' sums of [`Plan::values_into`], `occupancy` the slot occupancy
    /// at every boundary (`[boundary * n_slots + slot]`), `flow(cycle, from, to, move)` the expected
    /// moves. The numbers of the tables (cost: `sum x V + sum flow M`) up to rounding: each
    /// addition a table entry would receive is made to the total, times the occupancy it meets.
    pub fn outcomes(
        &self,
        si: usize,
        sums: &[f64],
        infusions: &[Infusion],
        occupancy: &[f64],
        flow: &dyn Fn(usize, usize, usize, usize) -> f64,
    ) -> [f64; 2] {
        let reach_move = |term: &DirectTerm| {
            let at = term.at as usize;
            let (t, m) = (at / self.n_moves, at % self.n_moves);
            let (from, to) = self.move_pairs[m];
            flow(t, from, to, m)
        };
        let reach_slot = |term: &DirectTerm| occupancy[term.at as usize];
        let reach_slots = |term: &DirectTerm| {
            let at = term.at as usize;
            if term.slots == 1 { occupancy[at] } else { occupancy[at..at + term.slots as usize].iter().sum() }
        };
        let mut total = [0.0; 2];
        let direct = &self.direct[si];
        for (sum, (terms, runs)) in total.iter_mut().zip(direct.terms.iter().zip(&direct.runs)) {
            let mut acc = 0.0;
            for r in runs {
                let run = &terms[r.start as usize..r.end as usize];
                // The run's factor x occupancy (or flow), then times the set's sum of values.
                let reached = match r.reach {
                    Reach::Slot => partial_sums(run, reach_slot),
                    Reach::Slots => partial_sums(run, reach_slots),
                    Reach::Moves => partial_sums(run, reach_move),
                };
                acc += sums[run[0].set as usize] * reached;
            }
            *sum = acc;
        }
        for infusion in infusions {
            let x = &occupancy[infusion.boundary * self.n_slots..(infusion.boundary + 1) * self.n_slots];
            let alive: f64 = self.infused_slots.iter().map(|&slot| x[slot]).sum();
            total[0] += infusion.cost * alive;
            total[1] += infusion.qaly * alive;
        }
        total
    }

    /// Life years of strategy `si` from a trace's slot occupancy (`[boundary * n_slots + slot]`):
    /// boundary by boundary, the occupancy times the life-year table, as the tables give them.
    pub fn life_years(&self, si: usize, occupancy: &[f64]) -> f64 {
        let block = (self.n_cycles + 1) * self.n_slots;
        let values = &self.base[si][quantity::LIFE_YEARS * block..(quantity::LIFE_YEARS + 1) * block];
        let mut total = 0.0;
        for (x, value) in occupancy.chunks_exact(self.n_slots).zip(values.chunks_exact(self.n_slots)) {
            total += x.iter().zip(value).map(|(m, value)| m * value).sum::<f64>();
        }
        total
    }

    /// The number of quantities the tables keep.
    pub fn n_quantities(&self) -> usize {
        self.n_quantities
    }

    /// Are there tables per (strategy, profile), rather than per strategy?
    pub fn by_profile(&self) -> bool {
        !self.profiles.is_empty()
    }

    /// The number of tables per strategy: one per profile, or 1.
    pub fn n_profiles(&self) -> usize {
        self.profiles.len().max(1)
    }

    /// The covariate shifts of each strategy with these values, for tables per profile of a
    /// scenario whose strategies shift covariates (empty otherwise: no allocation).
    pub(super) fn covariate_shifts(&self, scenario: &Scenario, values: &[f64]) -> Vec<Vec<f64>> {
        let shifting = scenario.strategies.iter().any(|s| !s.covariate_effects.is_empty());
        if !self.by_profile() || !shifting {
            return Vec::new();
        }
        (0..scenario.strategies.len())
            .map(|si| crate::model::effect::covariate_shift_table(scenario, si, values))
            .collect()
    }

    /// The profile of table `k` of strategy `si` (`None` for tables per strategy), with the
    /// strategy's shifts from [`Plan::covariate_shifts`].
    pub(super) fn profile<'a>(&'a self, si: usize, k: usize, shifts: &'a [Vec<f64>]) -> Option<Profile<'a>> {
        let group = self.profiles.get(k)?;
        Some(Profile { group, shifts: shifts.get(si).map_or(&[], Vec::as_slice) })
    }

    /// Were the factors computed with the discount rates these values give?
    pub fn fits(&self, scenario: &Scenario, values: &[f64]) -> bool {
        scenario.economics.as_ref().is_some_and(|e| {
            let (c, q) = discount_rates(e, values);
            (c.to_bits(), q.to_bits()) == self.rates
        })
    }

    /// Empty tables of the plan's shape.
    pub(super) fn empty_tables(&self) -> Valuation {
        Valuation {
            n_quantities: self.n_quantities,
            n_slots: self.n_slots,
            n_states: self.n_states,
            n_cycles: self.n_cycles,
            point: vec![0.0; self.n_quantities * (self.n_cycles + 1) * self.n_slots],
            move_index: self.move_index.clone(),
            n_moves: self.n_moves,
            moves: vec![0.0; self.n_quantities * self.n_cycles * self.n_moves],
        }
    }

    /// The reward values of a draw into `out` (see [`Plan::timed`]), for `profile` when the
    /// tables are per profile.
    pub(super) fn reward_values(
        &self,
        scenario: &Scenario,
        values: &[f64],
        profile: Option<Profile>,
        out: &mut Vec<f64>,
    ) {
        out.clear();
        out.extend(scenario.rewards.iter().map(|r| r.value.get(values)));
        match profile {
            None => out.extend(self.timed.iter().map(|(r, at)| scenario.rewards[*r].value.at(values, at))),
            Some(profile) => out.extend(
                self.timed.iter().map(|(r, at)| scenario.rewards[*r].value.at(values, &profile.at(self.dt, at))),
            ),
        }
    }

    /// Fills `v` (tables of this plan's shape, e.g. from an earlier draw) with strategy `si`'s
    /// values (for `profile` when the tables are per profile): the planned additions, then the
    /// infusions. `scratch` holds the reward values.
    pub(super) fn tables_into(
        &self,
        scenario: &Scenario,
        values: &[f64],
        si: usize,
        profile: Option<Profile>,
        v: &mut Valuation,
        scratch: &mut Vec<f64>,
    ) {
        v.point.copy_from_slice(&self.base[si]);
        v.moves.fill(0.0);
        self.reward_values(scenario, values, profile, scratch);
        let dt = self.dt;
        let add = |table: &mut [f64], i: u32, x: f64| {
            if i != NONE {
                table[i as usize] += x;
            }
        };
        for term in &self.terms[si] {
            match *term {
                // Planning moved every fixed addition into the base table; kept for completeness.
                Term::Fixed { index, amount } => v.point[index as usize] += amount,
                Term::Discounted { value, weight, discount, first, slots } => {
                    let discounted = scratch[value as usize] * weight * dt * discount;
                    let first = first as usize;
                    v.point[first..first + slots as usize].iter_mut().for_each(|entry| *entry += discounted);
                }
                Term::State { value, weight, discount, targets, slots } => {
                    let amount = scratch[value as usize] * weight * dt;
                    let discounted = amount * discount;
                    // Each target is its own run of entries (another quantity), so run by run.
                    for (first, x) in [
                        (targets.discounted, discounted),
                        (targets.undiscounted, amount),
                        (targets.category, discounted),
                    ] {
                        if first != NONE {
                            let first = first as usize;
                            v.point[first..first + slots as usize].iter_mut().for_each(|entry| *entry += x);
                        }
                    }
                }
                Term::Move { value, discount, weight, targets } => {
                    let value = scratch[value as usize];
                    let discounted = value * discount;
                    add(&mut v.moves, targets.discounted, discounted);
                    add(&mut v.moves, targets.undiscounted, value * weight);
                    add(&mut v.moves, targets.category, discounted);
                }
            }
        }
        if let Some(schedule) = &scenario.strategies[si].schedule {
            self.add_infusions(values, v, schedule);
        }
    }

    /// Adds the infusions and their adverse events, for people alive when they fall due.
    fn add_infusions(&self, values: &[f64], v: &mut Valuation, schedule: &Schedule) {
        let d = &self.discounting;
        let infusion_k = self.categories.iter().position(|c| c == INFUSION_CATEGORY);
        let ae_k = self.categories.iter().position(|c| c == ADVERSE_EVENT_CATEGORY);
        let a = infusion_amounts(values, schedule);
        let cost = a.cost();
        for (p, tau) in self.infusions_in_horizon(schedule) {
            for &slot_index in &self.infused_slots {
                if let Some(c) = infusion_k {
                    v.add_point(quantity::FIXED + c, p, slot_index, a.infusion * d.costs(tau));
                }
                if let Some(c) = ae_k {
                    v.add_point(quantity::FIXED + c, p, slot_index, a.adverse_events * d.costs(tau));
                }
                v.add_point(quantity::COST, p, slot_index, cost * d.costs(tau));
                v.add_point(quantity::COST_UNDISCOUNTED, p, slot_index, cost);
                v.add_point(quantity::QALY, p, slot_index, -(a.qaly_loss * d.effects(tau)));
                v.add_point(quantity::QALY_UNDISCOUNTED, p, slot_index, -a.qaly_loss);
            }
        }
    }

    /// Index of quantity `q` at boundary `p` in `slot` of the point table, or [`NONE`] when not kept.
    fn point_index(&self, q: usize, p: usize, slot: usize) -> u32 {
        if q < self.n_quantities { ((q * (self.n_cycles + 1) + p) * self.n_slots + slot) as u32 } else { NONE }
    }

    /// Index of quantity `q` for move `m` in cycle `t` of the move table, or [`NONE`].
    fn move_table_index(&self, q: usize, t: usize, m: usize) -> u32 {
        if q < self.n_quantities { ((q * self.n_cycles + t) * self.n_moves + m) as u32 } else { NONE }
    }
}

/// What one infusion costs and takes away: its own cost, its adverse events' expected cost
/// and their expected QALY loss.
struct InfusionAmounts {
    infusion: f64,
    adverse_events: f64,
    qaly_loss: f64,
}

impl InfusionAmounts {
    /// The whole cost of one infusion: its own and its adverse events'.
    fn cost(&self) -> f64 {
        self.infusion + self.adverse_events
    }
}

fn infusion_amounts(values: &[f64], schedule: &Schedule) -> InfusionAmounts {
    let expected = |x: fn(&crate::scenario::AdverseEvent) -> Option<&crate::scenario::Value>| -> f64 {
        schedule.adverse_events.iter().map(|a| a.probability.get(values) * x(a).map_or(0.0, |v| v.get(values))).sum()
    };
    InfusionAmounts {
        infusion: schedule.cost_per_infusion.as_ref().map_or(0.0, |c| c.get(values)),
        adverse_events: expected(|a| a.cost.as_ref()),
        qaly_loss: expected(|a| a.qaly_loss.as_ref()),
    }
}

/// Adds a state term, joined to the one before when it adds the same amount to the next slot of
/// the same entries: each entry still receives its additions in the same order.
fn push_state(terms: &mut Vec<Term>, term: Term) {
    if let (
        Some(Term::State { value, weight, discount, targets, slots }),
        Term::State { value: v, weight: w, discount: d, targets: t, .. },
    ) = (terms.last_mut(), term)
    {
        let next = |a: u32, b: u32| (a == NONE && b == NONE) || (a != NONE && b != NONE && a + *slots == b);
        if *value == v
            && weight.to_bits() == w.to_bits()
            && discount.to_bits() == d.to_bits()
            && next(targets.discounted, t.discounted)
            && next(targets.undiscounted, t.undiscounted)
            && next(targets.category, t.category)
        {
            *slots += 1;
            return;
        }
    }
    terms.push(term);
}

/// The reward value of each (reward, cycle, time-in-state bucket) already planned, by its index.
type TimedIndex = std::collections::HashMap<(usize, usize, usize), u32>;

/// What the plan's additions are made from: the parts of the scenario that do not change with
/// the parameter values.
struct Planner<'a> {
    scenario: &'a Scenario,
    slots: &'a [Slot],
    /// Per reward: its cost category (`None` for QALYs) and the slots a state reward applies to.
    reward_slots: Vec<(Option<usize>, Vec<usize>)>,
    alive_slots: Vec<usize>,
    weights: Vec<f64>,
    correction: Correction,
    timing: DiscountTiming,
}

impl<'a> Planner<'a> {
    fn new(scenario: &'a Scenario, economics: &Economics, slots: &'a [Slot], categories: &[String]) -> Self {
        let reward_slots = scenario
            .rewards
            .iter()
            .map(|r| {
                let category = match &r.kind {
                    RewardKind::Cost { category } => categories.iter().position(|c| c == category),
                    RewardKind::Qaly => None,
                };
                let applies_to = match r.target {
                    RewardTarget::State(state) => (0..slots.len())
                        .filter(|&i| slots[i].state == state && r.time_in_state.contains(slots[i].bucket))
                        .collect(),
                    RewardTarget::Transition { .. } => Vec::new(),
                };
                (category, applies_to)
            })
            .collect();
        Planner {
            scenario,
            slots,
            reward_slots,
            alive_slots: (0..slots.len()).filter(|&i| scenario.states[slots[i].state].alive).collect(),
            weights: match economics.correction {
                Correction::Weights => economics.weights.clone(),
                _ => simpson_weights(scenario.n_cycles),
            },
            correction: economics.correction,
            timing: economics.discount_timing,
        }
    }

    /// Plans the life years and the rewards of cycle t (1-based) of strategy `si`, in the order
    /// the tables receive them.
    fn add_cycle(
        &self,
        plan: &Plan,
        terms: &mut Vec<Term>,
        (timed_index, timed_values): (&mut TimedIndex, &mut Vec<(usize, At)>),
        si: usize,
        t: usize,
    ) {
        let dt = self.scenario.cycle_length_years;
        let cycle_start = (t - 1) as f64 * dt;
        let applies = |r: &Reward| {
            r.strategies.as_ref().is_none_or(|s| s.contains(&si))
                && cycle_start >= r.during_from_years - 1e-9
                && r.during_until_years.is_none_or(|u| cycle_start < u - 1e-9)
        };
        let d = &plan.discounting;
        let mut parts = Vec::with_capacity(3);
        spread(self.correction, self.timing, t, dt, &self.weights, &mut parts);
        // Boundary, weight and the two discount factors of each part of the cycle.
        let factors: Vec<(usize, f64, f64, f64)> =
            parts.iter().map(|&(p, w, tau)| (p, w, d.costs(tau), d.effects(tau))).collect();
        // A move during cycle t is valued at the cycle's midpoint; with the scenario's own boundary
        // weights, at the boundary that ends the cycle, with its weight (as DARTH's tutorials do).
        let move_weight = if self.correction == Correction::Weights { self.weights[t] } else { 1.0 };
        let move_factors = match self.correction {
            Correction::Weights => (move_weight * d.costs(t as f64 * dt), move_weight * d.effects(t as f64 * dt)),
            _ => (d.costs((t as f64 - 0.5) * dt), d.effects((t as f64 - 0.5) * dt)),
        };
        // Life years in every alive state.
        for &slot_index in &self.alive_slots {
            for &(p, w, _, de) in &factors {
                for (q, amount) in [(quantity::LIFE_YEARS, w * dt), (quantity::LIFE_YEARS_DISCOUNTED, w * dt * de)] {
                    let index = plan.point_index(q, p, slot_index);
                    if index != NONE {
                        terms.push(Term::Fixed { index, amount });
                    }
                }
            }
        }
        let n_rewards = self.scenario.rewards.len();
        for (ri, r) in self.scenario.rewards.iter().enumerate().filter(|(_, r)| applies(r)) {
            let (category, applies_to) = &self.reward_slots[ri];
            // Which fixed quantities the reward feeds: discounted, undiscounted, category.
            let (discounted, undiscounted, category) = match category {
                Some(k) => (quantity::COST, quantity::COST_UNDISCOUNTED, Some(quantity::FIXED + k)),
                None => (quantity::QALY, quantity::QALY_UNDISCOUNTED, None),
            };
            let is_cost = category.is_some();
            // A formula of model time is evaluated for this cycle (and each slot's time in state).
            let timed = !r.value.depends().is_constant();
            let mut value_at = |bucket: usize| -> u32 {
                if !timed {
                    return ri as u32;
                }
                *timed_index.entry((ri, t - 1, bucket)).or_insert_with(|| {
                    timed_values.push((ri, reward_time(dt, t - 1, bucket)));
                    (n_rewards + timed_values.len() - 1) as u32
                })
            };
            match r.target {
                RewardTarget::State(_) => {
                    for &(p, w, dc, de) in &factors {
                        for &slot_index in applies_to {
                            let targets = Targets {
                                discounted: plan.point_index(discounted, p, slot_index),
                                undiscounted: plan.point_index(undiscounted, p, slot_index),
                                category: category.map_or(NONE, |c| plan.point_index(c, p, slot_index)),
                            };
                            let value = value_at(self.slots[slot_index].bucket);
                            let discount = if is_cost { dc } else { de };
                            push_state(terms, Term::State { value, weight: w, discount, targets, slots: 1 });
                        }
                    }
                }
                RewardTarget::Transition { from, to } => {
                    let t0 = t - 1;
                    let value = value_at(0);
                    let discount = if is_cost { move_factors.0 } else { move_factors.1 };
                    let Some(m) = plan.move_index[from * plan.n_states + to] else { continue };
                    let m = m as usize;
                    let targets = Targets {
                        discounted: plan.move_table_index(discounted, t0, m),
                        undiscounted: plan.move_table_index(undiscounted, t0, m),
                        category: category.map_or(NONE, |c| plan.move_table_index(c, t0, m)),
                    };
                    terms.push(Term::Move { value, discount, weight: move_weight, targets });
                }
            }
        }
    }
}
