//! Individual-patient Monte Carlo simulation.
//!
//! Receives a [`Model`], a number of patients and a seed; returns per strategy the number of
//! patients in each state at every cycle boundary and the number of moves between states per
//! cycle, and (with economics) the exact sums of each patient's cost, QALYs and life years
//! ([`super::fixed_point`]). Patients are never stored: memory depends on threads, cycles and
//! states, not on patients.
//!
//! Determinism: patients are simulated in fixed blocks of [`BLOCK_SIZE`] spread over rayon's
//! threads; every patient has its own generator seeded from (seed, patient index)
//! ([`super::rng`]); counts and fixed-point values are integers, so their sum is the same in any
//! order. The output is therefore bit-identical for any number of threads. The same patient draws
//! the same numbers in every strategy (common random numbers).
//!
//! Parallel work: blocks are handed out one at a time by rayon's work stealing, so a thread that
//! is slowed (by another process on a shared machine) leaves its share to the others; each worker
//! thread adds its blocks into one accumulator of its own, so there is no per-split allocation
//! and only one merge per thread at the end. The value tables are laid out per (boundary, slot)
//! with the three quantities side by side, so a step reads one cache line.
//!
//! Subgroups ([`sim_patients_by`]): each worker keeps one set of counts and sums per subgroup and
//! adds a patient to the set of the subgroup of the sub-cohort the patient drew; everyone's
//! numbers are the sets added together, integers again, so they are those of [`sim_patients`].
//!
//! A patient who enters an absorbing state (death) stops being simulated; the remaining cycles
//! are filled in from a per-cycle count of entries, so dead patients cost nothing.

use super::Progress;
use super::rng::{PatientRng, patient_rng, uniform};
use crate::error::{Error, Result};
use crate::model::Model;
use crate::model::valuation::{Valuation, quantity};
use rayon::prelude::*;

use super::fixed_point::{ExactSums, FIXED_LIMIT, MC_QUANTITY_NAMES, to_fixed};
pub use super::fixed_point::{FIXED_SCALE, McValueSums};
use std::sync::Mutex;

/// Patients per block: the unit of parallel work and of progress reports. Small enough that two
/// threads finish within a fraction of a block of each other; results do not depend on it.
pub const BLOCK_SIZE: u64 = 1024;

/// Counts from the Monte Carlo simulation of one strategy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct McCounts {
    pub strategy: usize,
    pub patients: u64,
    pub n_states: usize,
    pub n_cycles: usize,
    /// Patients in each state at cycle boundary t, `[(t * n_states) + state]`, t = 0..=n_cycles.
    pub occupancy: Vec<u64>,
    /// Moves from one state to another during cycle t, `[(t * n_states + from) * n_states + to]`.
    pub flows: Vec<u64>,
}

impl McCounts {
    /// Patients in `state` at cycle boundary `t`.
    pub fn at(&self, t: usize, state: usize) -> u64 {
        self.occupancy[t * self.n_states + state]
    }
}

/// What a simulated path reports to, so that the same stepping code serves counting and tracing.
trait Recorder {
    fn occupy(&mut self, t: usize, slot: usize, state: usize);
    fn moved(&mut self, t: usize, from: usize, to: usize);
    /// Entered an absorbing state at cycle boundary t (and stays there to the horizon).
    fn absorbed(&mut self, t: usize, slot: usize, state: usize);
}

/// Per-strategy counters for a block or a whole run.
struct Counts {
    n_states: usize,
    n_cycles: usize,
    /// Occupancy of non-absorbing states per cycle boundary.
    occupancy: Vec<u64>,
    /// Entries into absorbing states per cycle boundary (cumulated at the end).
    absorbed: Vec<u64>,
    flows: Vec<u64>,
}

impl Counts {
    fn new(n_states: usize, n_cycles: usize) -> Self {
        Counts {
            n_states,
            n_cycles,
            occupancy: vec![0; (n_cycles + 1) * n_states],
            absorbed: vec![0; (n_cycles + 1) * n_states],
            flows: vec![0; n_cycles * n_states * n_states],
        }
    }

    fn merge(&mut self, other: &Counts) {
        for (a, b) in self.occupancy.iter_mut().zip(&other.occupancy) {
            *a += b;
        }
        for (a, b) in self.absorbed.iter_mut().zip(&other.absorbed) {
            *a += b;
        }
        for (a, b) in self.flows.iter_mut().zip(&other.flows) {
            *a += b;
        }
    }

    /// The counts of a whole run: people stay in an absorbing state from entry to the horizon.
    fn finish(self, strategy: usize, patients: u64) -> McCounts {
        let (n_states, n_cycles) = (self.n_states, self.n_cycles);
        let mut occupancy = self.occupancy;
        for s in 0..n_states {
            let mut running = 0;
            for t in 0..=n_cycles {
                running += self.absorbed[t * n_states + s];
                occupancy[t * n_states + s] += running;
            }
        }
        McCounts { strategy, patients, n_states, n_cycles, occupancy, flows: self.flows }
    }
}

impl Recorder for Counts {
    #[inline(always)]
    fn occupy(&mut self, t: usize, _slot: usize, state: usize) {
        self.occupancy[t * self.n_states + state] += 1;
    }
    #[inline(always)]
    fn moved(&mut self, t: usize, from: usize, to: usize) {
        self.flows[(t * self.n_states + from) * self.n_states + to] += 1;
    }
    #[inline(always)]
    fn absorbed(&mut self, t: usize, _slot: usize, state: usize) {
        self.absorbed[t * self.n_states + state] += 1;
    }
}

/// A patient's start: sub-cohort, start state, and the generator positioned after those draws.
fn start_patient(model: &Model, seed: u64, index: u64) -> (usize, usize, PatientRng) {
    let mut rng = patient_rng(seed, index);
    let u_group = uniform(&mut rng);
    let u_state = uniform(&mut rng);
    let group = pick(model.groups.iter().map(|g| g.weight), u_group);
    let state = pick(model.start_of(group).iter().copied(), u_state);
    (group, state, rng)
}

/// Index of the share that `u` falls in (the last positive share if rounding leaves u above 1).
fn pick(shares: impl Iterator<Item = f64>, u: f64) -> usize {
    let mut cumulative = 0.0;
    let mut last = 0;
    for (i, w) in shares.enumerate() {
        if w <= 0.0 {
            continue;
        }
        cumulative += w;
        last = i;
        if u < cumulative {
            return i;
        }
    }
    last
}

/// Steps one patient through the horizon under one strategy.
#[inline(always)]
fn walk(model: &Model, strategy: usize, group: usize, start: usize, mut rng: PatientRng, rec: &mut impl Recorder) {
    let n_cycles = model.n_cycles;
    let rows = model.cycle_rows(strategy, group);
    let mut state = start;
    let mut slot = model.entry_slot(start);
    if model.states[state].absorbing {
        rec.absorbed(0, slot, state);
        return;
    }
    for t in 0..n_cycles {
        rec.occupy(t, slot, state);
        let row = model.row_at(rows(t) + slot);
        let u = uniform(&mut rng);
        let mut k = 0;
        while u >= row[k].cumulative {
            k += 1;
        }
        let exit = row[k];
        let to = exit.to_state as usize;
        slot = exit.to_slot as usize;
        if to != state {
            rec.moved(t, state, to);
            state = to;
            if model.states[to].absorbing {
                rec.absorbed(t + 1, slot, to);
                return;
            }
        }
    }
    rec.occupy(n_cycles, slot, state);
}

/// Quantities valued per patient: discounted cost, discounted QALYs, undiscounted life years.
pub const MC_QUANTITIES: [usize; 3] = [quantity::COST, quantity::QALY, quantity::LIFE_YEARS];

/// Results of a Monte Carlo run: counts per strategy, and per-patient value sums when the model
/// has economics.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct McRun {
    pub counts: Vec<McCounts>,
    pub values: Option<McValueSums>,
}

/// One table's values (a strategy's, or a (strategy, profile)'s when values differ by profile:
/// each patient is valued with its own profile's) laid out for the walk: `[cost, qaly,
/// life_years]` side by side, so that a step reads one cache line instead of three tables.
struct PathValues {
    n_slots: usize,
    n_states: usize,
    /// Value of being in a slot at boundary p, `[p * n_slots + slot]`.
    point: Vec<[f64; 3]>,
    /// Value of staying in a slot from boundary p to the horizon, `[p * n_slots + slot]`: what a
    /// patient accrues after entering an absorbing state, where the simulation stops.
    tail: Vec<[f64; 3]>,
    /// Move number of each (from, to), `[from * n_states + to]`; `u32::MAX` for moves without value.
    move_number: Vec<u32>,
    n_moves: usize,
    /// Value of one move during cycle t, `[t * n_moves + move]`.
    moves: Vec<[f64; 3]>,
}

impl PathValues {
    fn new(v: &Valuation) -> PathValues {
        let n_slots = v.n_slots;
        let point: Vec<[f64; 3]> = (0..=v.n_cycles)
            .flat_map(|p| (0..n_slots).map(move |slot| (p, slot)))
            .map(|(p, slot)| std::array::from_fn(|k| v.at(MC_QUANTITIES[k], p, slot)))
            .collect();
        let mut tail = vec![[0.0; 3]; (v.n_cycles + 1) * n_slots];
        for p in (0..=v.n_cycles).rev() {
            for slot in 0..n_slots {
                let later = if p < v.n_cycles { tail[(p + 1) * n_slots + slot] } else { [0.0; 3] };
                let here = point[p * n_slots + slot];
                tail[p * n_slots + slot] = std::array::from_fn(|k| later[k] + here[k]);
            }
        }
        let n_states = v.n_states;
        let move_number: Vec<u32> = (0..n_states * n_states)
            .map(|i| v.move_number(i / n_states, i % n_states).map_or(u32::MAX, |m| m as u32))
            .collect();
        let n_moves = v.n_moves();
        let moves = (0..v.n_cycles)
            .flat_map(|t| (0..n_moves).map(move |m| (t, m)))
            .map(|(t, m)| std::array::from_fn(|k| v.for_move_number(MC_QUANTITIES[k], t, m)))
            .collect();
        PathValues { n_slots, n_states, point, tail, move_number, n_moves, moves }
    }
}

/// Counts and values one patient's path.
struct Valued<'a> {
    counts: &'a mut Counts,
    values: &'a PathValues,
    totals: [f64; 3],
}

/// totals += values, quantity by quantity.
#[inline(always)]
fn add(totals: &mut [f64; 3], values: [f64; 3]) {
    for (total, value) in totals.iter_mut().zip(values) {
        *total += value;
    }
}

impl Recorder for Valued<'_> {
    #[inline(always)]
    fn occupy(&mut self, t: usize, slot: usize, state: usize) {
        self.counts.occupy(t, slot, state);
        let here = self.values.point[t * self.values.n_slots + slot];
        add(&mut self.totals, here);
    }
    #[inline(always)]
    fn moved(&mut self, t: usize, from: usize, to: usize) {
        self.counts.moved(t, from, to);
        let m = self.values.move_number[from * self.values.n_states + to];
        let value = if m == u32::MAX { [0.0; 3] } else { self.values.moves[t * self.values.n_moves + m as usize] };
        add(&mut self.totals, value);
    }
    #[inline(always)]
    fn absorbed(&mut self, t: usize, slot: usize, state: usize) {
        self.counts.absorbed(t, slot, state);
        let tail = self.values.tail[t * self.values.n_slots + slot];
        add(&mut self.totals, tail);
    }
}

/// One per-patient total that could not be put in fixed point (patient index first, so the
/// smallest can be kept whatever the order of blocks).
type BadTotal = (u64, usize, usize, f64);

/// What one worker thread sums over the patients of one subgroup (of everyone without subgroups).
struct Part {
    patients: u64,
    counts: Vec<Counts>,
    values: Option<ExactSums>,
}

impl Part {
    fn new(model: &Model) -> Self {
        let n_strategies = model.n_strategies();
        Part {
            patients: 0,
            counts: (0..n_strategies).map(|_| Counts::new(model.n_states(), model.n_cycles)).collect(),
            values: model.valuations.as_ref().map(|_| ExactSums::new(n_strategies)),
        }
    }

    fn merge(&mut self, other: &Part) {
        self.patients += other.patients;
        for (a, b) in self.counts.iter_mut().zip(&other.counts) {
            a.merge(b);
        }
        if let (Some(a), Some(b)) = (self.values.as_mut(), other.values.as_ref()) {
            a.merge(b);
        }
    }

    fn finish(self, model: &Model) -> Result<McRun> {
        let values = self.values.map(|v| v.finish(&model.strategy_names)).transpose()?;
        let patients = self.patients;
        let counts = self.counts.into_iter().enumerate().map(|(strategy, c)| c.finish(strategy, patients)).collect();
        Ok(McRun { counts, values })
    }
}

/// What one worker thread sums over the blocks it simulates: one [`Part`] per subgroup.
struct Accumulator {
    parts: Vec<Part>,
    /// The lowest-numbered patient whose total did not fit the fixed point (should not happen
    /// after the range check of [`check_fixed_point_range`]).
    bad_total: Option<BadTotal>,
}

impl Accumulator {
    fn new(model: &Model, n_parts: usize) -> Self {
        Accumulator { parts: (0..n_parts).map(|_| Part::new(model)).collect(), bad_total: None }
    }

    fn merge(&mut self, other: &Accumulator) {
        for (a, b) in self.parts.iter_mut().zip(&other.parts) {
            a.merge(b);
        }
        self.bad_total = match (self.bad_total, other.bad_total) {
            (Some(a), Some(b)) => Some(if b.0 < a.0 { b } else { a }),
            (a, b) => a.or(b),
        };
    }

    /// Simulates patients `first..last` in every strategy and adds each to the part of its
    /// sub-cohort's subgroup (`subgroup_of[group]`; the first part when the map is empty).
    fn simulate(&mut self, model: &Model, tables: &[PathValues], run: &RunSpec<'_>, first: u64, last: u64) {
        let mut fixed = vec![[0i128; 3]; model.n_strategies()];
        for index in first..last {
            let (group, start, rng) = start_patient(model, run.seed, index);
            let part = &mut self.parts[run.subgroup_of.get(group).copied().unwrap_or(0)];
            part.patients += 1;
            let Some(sums) = part.values.as_mut() else {
                for (strategy, counts) in part.counts.iter_mut().enumerate() {
                    walk(model, strategy, group, start, rng.clone(), counts);
                }
                continue;
            };
            let mut fits = true;
            for (strategy, counts) in part.counts.iter_mut().enumerate() {
                // The tables of the patient's own profile when values differ by profile.
                let values = &tables[model.valuation_index(strategy, group)];
                let mut rec = Valued { counts, values, totals: [0.0; 3] };
                walk(model, strategy, group, start, rng.clone(), &mut rec);
                for k in 0..3 {
                    match to_fixed(rec.totals[k], FIXED_SCALE[k]) {
                        Some(x) => fixed[strategy][k] = x,
                        None => {
                            fits = false;
                            let bad = (index, strategy, k, rec.totals[k]);
                            self.bad_total = Some(self.bad_total.map_or(bad, |b| if bad.0 < b.0 { bad } else { b }));
                        }
                    }
                }
            }
            if fits {
                sums.add_patient(&fixed);
            }
        }
    }
}

/// The settings of one run that every block reads.
struct RunSpec<'a> {
    seed: u64,
    /// The subgroup of each sub-cohort; empty for no subgroups.
    subgroup_of: &'a [usize],
}

/// Checks before simulating that no patient's total can leave the fixed-point range: the largest
/// path total of each strategy and quantity (see [`Valuation::largest_path_total`]) times its
/// scale is at most half of [`FIXED_LIMIT`], which leaves room for rounding along the path.
fn check_fixed_point_range(model: &Model) -> Result<()> {
    let Some(valuations) = model.valuations.as_ref() else { return Ok(()) };
    // One table per strategy, or per (strategy, profile), strategy-major.
    let per_strategy = (valuations.len() / model.n_strategies().max(1)).max(1);
    for (i, v) in valuations.iter().enumerate() {
        let strategy = i / per_strategy;
        for k in 0..3 {
            let largest = v.largest_path_total(MC_QUANTITIES[k]);
            let limit = FIXED_LIMIT / 2.0 / FIXED_SCALE[k];
            if largest.is_nan() || largest > limit {
                return Err(Error::PatientTotalRange {
                    strategy: model.strategy_names[strategy].clone(),
                    quantity: MC_QUANTITY_NAMES[k],
                    value: largest,
                    limit,
                });
            }
        }
    }
    Ok(())
}

/// The number of patient-cycles of a run, patients x strategies x cycles (the unit of
/// throughput in `cirrhosim run --timing` and the benches).
///
/// # Errors
/// [`Error::TooManyPatientCycles`] when the product does not fit a `u64`.
pub fn patient_cycles(model: &Model, patients: u64) -> Result<u64> {
    let too_many =
        || Error::TooManyPatientCycles { patients, strategies: model.n_strategies(), cycles: model.n_cycles };
    patients
        .checked_mul(model.n_strategies() as u64)
        .and_then(|x| x.checked_mul(model.n_cycles as u64))
        .ok_or_else(too_many)
}

/// Simulates `patients` patients in every strategy of the model.
///
/// Runs on the current rayon thread pool. The result depends only on the model, `patients` and
/// `seed`, never on the number of threads. When the model has economics, each patient's
/// discounted cost, QALYs and life years are valued along the path and summed exactly in fixed
/// point.
///
/// Parallel work: blocks of [`BLOCK_SIZE`] patients are handed out one at a time (rayon work
/// stealing), and each worker thread adds its blocks into one accumulator of its own, allocated
/// on its first block; the few accumulators are merged at the end. Memory therefore depends on
/// threads, states and cycles, never on the number of patients.
///
/// # Errors
/// [`Error::TooManyPatientCycles`] when patients x strategies x cycles overflows a `u64`;
/// [`Error::PatientTotalRange`] when a patient's cost, QALYs or life years could leave the
/// fixed-point range; [`Error::AccumulatorOverflow`] when a sum over patients overflows its
/// exact 128-bit accumulator. Each is the same for any number of threads.
/// [`Error::Interrupted`] when `progress` asked to stop before the last block.
pub fn sim_patients(model: &Model, patients: u64, seed: u64, progress: &dyn Progress) -> Result<McRun> {
    Ok(sim_patients_by(model, patients, seed, &[], progress)?.0)
}

/// As [`sim_patients`], with the counts and value sums of each subgroup kept apart as well:
/// `subgroup_of[group]` is the subgroup of each sub-cohort of `model.groups` (see
/// [`crate::model::subgroups::Subgroups`]); an empty map means no subgroups. Returns the run of
/// everyone (the very numbers of [`sim_patients`]: the subgroups' integer counts and sums add up
/// to them exactly) and one run per subgroup, whose `patients` are those who drew a sub-cohort of
/// the subgroup (possibly none). Each worker keeps one accumulator per subgroup, so memory grows
/// with subgroups, never with patients; results are the same for any number of threads.
///
/// # Errors
/// As [`sim_patients`].
pub fn sim_patients_by(
    model: &Model,
    patients: u64,
    seed: u64,
    subgroup_of: &[usize],
    progress: &dyn Progress,
) -> Result<(McRun, Vec<McRun>)> {
    let n_parts = subgroup_of.iter().max().map_or(1, |&k| k + 1);
    let run = RunSpec { seed, subgroup_of };
    patient_cycles(model, patients)?;
    check_fixed_point_range(model)?;
    let n_blocks = usize::try_from(patients.div_ceil(BLOCK_SIZE)).map_err(|_| Error::TooManyPatientCycles {
        patients,
        strategies: model.n_strategies(),
        cycles: model.n_cycles,
    })?;
    let n_strategies = model.n_strategies() as u64;
    progress.start(patients * n_strategies);
    let tables: Vec<PathValues> =
        model.valuations.as_deref().map(|v| v.par_iter().map(PathValues::new).collect()).unwrap_or_default();
    // One accumulator per worker thread of the current pool, indexed by the worker's index.
    let workers: Vec<Mutex<Option<Accumulator>>> =
        (0..rayon::current_num_threads()).map(|_| Mutex::new(None)).collect();
    // A stop request ends the loop: `try_for_each` hands out no more blocks after an `Err`.
    let completed = (0..n_blocks).into_par_iter().with_max_len(1).try_for_each(|block| {
        if progress.stop_requested() {
            return Err(());
        }
        let first = block as u64 * BLOCK_SIZE;
        let last = (first + BLOCK_SIZE).min(patients);
        let worker = rayon::current_thread_index().unwrap_or(0).min(workers.len() - 1);
        let mut slot = workers[worker].lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        slot.get_or_insert_with(|| Accumulator::new(model, n_parts)).simulate(model, &tables, &run, first, last);
        drop(slot);
        progress.advance((last - first) * n_strategies);
        Ok(())
    });
    if completed.is_err() {
        return Err(Error::Interrupted { what: "Monte Carlo run" });
    }
    let mut total = Accumulator::new(model, n_parts);
    for worker in workers {
        if let Some(acc) = worker.into_inner().unwrap_or_else(|poisoned| poisoned.into_inner()) {
            total.merge(&acc);
        }
    }
    if let Some((_, strategy, k, value)) = total.bad_total {
        return Err(Error::PatientTotalRange {
            strategy: model.strategy_names[strategy].clone(),
            quantity: MC_QUANTITY_NAMES[k],
            value,
            limit: FIXED_LIMIT / FIXED_SCALE[k],
        });
    }
    if subgroup_of.is_empty() {
        let all = total.parts.pop().expect("one part").finish(model)?;
        return Ok((all, Vec::new()));
    }
    // Everyone: the parts added in subgroup order (integers, so the order changes no digit).
    let mut all = Part::new(model);
    for part in &total.parts {
        all.merge(part);
    }
    let all = all.finish(model)?;
    let parts = total.parts.into_iter().map(|p| p.finish(model)).collect::<Result<Vec<_>>>()?;
    Ok((all, parts))
}

/// One simulated patient's history, for teaching (`cirrhosim paths`).
#[derive(Debug, Clone, PartialEq)]
pub struct PatientHistory {
    pub index: u64,
    pub group: usize,
    /// (cycle boundary of entry, state), starting with (0, start state).
    pub entries: Vec<(usize, usize)>,
}

struct HistoryRecorder {
    entries: Vec<(usize, usize)>,
}

impl Recorder for HistoryRecorder {
    fn occupy(&mut self, _t: usize, _slot: usize, _state: usize) {}
    fn moved(&mut self, t: usize, _from: usize, to: usize) {
        self.entries.push((t + 1, to));
    }
    fn absorbed(&mut self, _t: usize, _slot: usize, _state: usize) {}
}

/// The history of patient `index` under `strategy`: exactly the path this patient follows in
/// [`sim_patients`] with the same seed.
pub fn patient_history(model: &Model, strategy: usize, seed: u64, index: u64) -> PatientHistory {
    let (group, start, rng) = start_patient(model, seed, index);
    let mut rec = HistoryRecorder { entries: vec![(0, start)] };
    walk(model, strategy, group, start, rng, &mut rec);
    PatientHistory { index, group, entries: rec.entries }
}
