//! Individual-patient Monte Carlo simulation.
//!
//! Receives a [`Model`], a number of patients and a seed; returns per strategy the number of
//! patients in each state at every cycle boundary and the number of moves between states per
//! cycle. Patients are never stored: memory depends on cycles and states, not on patients.
//!
//! Determinism: patients are simulated in fixed blocks of [`BLOCK_SIZE`] spread over rayon's
//! threads; every patient has its own generator seeded from (seed, patient index)
//! ([`super::rng`]); the counts are integers, so their sum is the same in any order. The output is
//! therefore bit-identical for any number of threads. The same patient draws the same numbers in
//! every strategy (common random numbers).
//!
//! A patient who enters an absorbing state (death) stops being simulated; the remaining cycles
//! are filled in from a per-cycle count of entries, so dead patients cost nothing.

use super::Progress;
use super::rng::{PatientRng, patient_rng, uniform};
use crate::model::Model;
use crate::model::valuation::{Valuation, quantity};
use rayon::prelude::*;

/// Patients per block (the unit of parallel work and of progress reports).
pub const BLOCK_SIZE: u64 = 4096;

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
            occupancy: vec![0; (n_cycles + 1) * n_states],
            absorbed: vec![0; (n_cycles + 1) * n_states],
            flows: vec![0; n_cycles * n_states * n_states],
        }
    }

    fn merge(mut self, other: Counts) -> Counts {
        for (a, b) in self.occupancy.iter_mut().zip(&other.occupancy) {
            *a += b;
        }
        for (a, b) in self.absorbed.iter_mut().zip(&other.absorbed) {
            *a += b;
        }
        for (a, b) in self.flows.iter_mut().zip(&other.flows) {
            *a += b;
        }
        self
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
    let state = pick(model.initial.iter().copied(), u_state);
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

/// Fixed-point scales for per-patient values (cost, QALYs, life years). Summing integers makes the
/// totals independent of the order in which blocks finish; the rounding is below 1e-6 of a
/// currency unit and 2e-11 QALY per patient.
pub const FIXED_SCALE: [f64; 3] = [1_048_576.0, 68_719_476_736.0, 68_719_476_736.0];

/// Sums over simulated patients of per-patient costs, QALYs and life years, in fixed point.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct McValueSums {
    pub patients: u64,
    /// Per strategy and quantity: sum of x and of x^2.
    pub sum: Vec<[i128; 3]>,
    pub sum_sq: Vec<[i128; 3]>,
    /// Per pair (i, j), i < j, in the order (0,1), (0,2), ..., (1,2), ...: sums of the per-patient
    /// difference d = x_j - x_i, of d^2, and of d_cost * d_qaly.
    pub pair_sum: Vec<[i128; 3]>,
    pub pair_sum_sq: Vec<[i128; 3]>,
    pub pair_cross: Vec<i128>,
}

impl McValueSums {
    fn new(n_strategies: usize) -> Self {
        let pairs = n_strategies * n_strategies.saturating_sub(1) / 2;
        McValueSums {
            patients: 0,
            sum: vec![[0; 3]; n_strategies],
            sum_sq: vec![[0; 3]; n_strategies],
            pair_sum: vec![[0; 3]; pairs],
            pair_sum_sq: vec![[0; 3]; pairs],
            pair_cross: vec![0; pairs],
        }
    }

    fn add_patient(&mut self, values: &[[i128; 3]]) {
        self.patients += 1;
        for (s, v) in values.iter().enumerate() {
            for q in 0..3 {
                self.sum[s][q] += v[q];
                self.sum_sq[s][q] += v[q] * v[q];
            }
        }
        let mut k = 0;
        for i in 0..values.len() {
            for j in i + 1..values.len() {
                let d: [i128; 3] = std::array::from_fn(|q| values[j][q] - values[i][q]);
                for q in 0..3 {
                    self.pair_sum[k][q] += d[q];
                    self.pair_sum_sq[k][q] += d[q] * d[q];
                }
                self.pair_cross[k] += d[0] * d[1];
                k += 1;
            }
        }
    }

    fn merge(mut self, other: McValueSums) -> McValueSums {
        self.patients += other.patients;
        let add = |a: &mut Vec<[i128; 3]>, b: &Vec<[i128; 3]>| {
            for (x, y) in a.iter_mut().zip(b) {
                for q in 0..3 {
                    x[q] += y[q];
                }
            }
        };
        add(&mut self.sum, &other.sum);
        add(&mut self.sum_sq, &other.sum_sq);
        add(&mut self.pair_sum, &other.pair_sum);
        add(&mut self.pair_sum_sq, &other.pair_sum_sq);
        for (x, y) in self.pair_cross.iter_mut().zip(&other.pair_cross) {
            *x += y;
        }
        self
    }
}

/// Results of a Monte Carlo run: counts per strategy, and per-patient value sums when the model
/// has economics.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct McRun {
    pub counts: Vec<McCounts>,
    pub values: Option<McValueSums>,
}

/// Counts and values one patient's path.
struct Valued<'a> {
    counts: &'a mut Counts,
    valuation: &'a Valuation,
    /// Value of staying in each slot from boundary p to the horizon, `[p * n_slots + slot]`.
    tail: &'a [[f64; 3]],
    totals: [f64; 3],
}

/// For each boundary p and slot, the values of staying there from p to the horizon: what a
/// patient accrues after entering an absorbing state, where the simulation stops.
fn tails(v: &Valuation) -> Vec<[f64; 3]> {
    let mut tail = vec![[0.0; 3]; (v.n_cycles + 1) * v.n_slots];
    for p in (0..=v.n_cycles).rev() {
        for slot in 0..v.n_slots {
            let later = if p < v.n_cycles { tail[(p + 1) * v.n_slots + slot] } else { [0.0; 3] };
            tail[p * v.n_slots + slot] = std::array::from_fn(|k| later[k] + v.at(MC_QUANTITIES[k], p, slot));
        }
    }
    tail
}

impl Recorder for Valued<'_> {
    #[inline(always)]
    fn occupy(&mut self, t: usize, slot: usize, state: usize) {
        self.counts.occupy(t, slot, state);
        for (k, &q) in MC_QUANTITIES.iter().enumerate() {
            self.totals[k] += self.valuation.at(q, t, slot);
        }
    }
    #[inline(always)]
    fn moved(&mut self, t: usize, from: usize, to: usize) {
        self.counts.moved(t, from, to);
        for (k, &q) in MC_QUANTITIES.iter().enumerate() {
            self.totals[k] += self.valuation.for_move(q, t, from, to);
        }
    }
    #[inline(always)]
    fn absorbed(&mut self, t: usize, slot: usize, state: usize) {
        self.counts.absorbed(t, slot, state);
        let tail = self.tail[t * self.valuation.n_slots + slot];
        for k in 0..3 {
            self.totals[k] += tail[k];
        }
    }
}

struct Accumulator {
    counts: Vec<Counts>,
    values: Option<McValueSums>,
}

/// Simulates `patients` patients in every strategy of the model.
///
/// Runs on the current rayon thread pool. The result depends only on the model, `patients` and
/// `seed`, never on the number of threads. When the model has economics, each patient's
/// discounted cost, QALYs and life years are valued along the path and summed.
pub fn sim_patients(model: &Model, patients: u64, seed: u64, progress: &dyn Progress) -> McRun {
    let n_states = model.n_states();
    let n_cycles = model.n_cycles;
    let n_strategies = model.n_strategies();
    let n_blocks = patients.div_ceil(BLOCK_SIZE);
    progress.start(patients * n_strategies as u64);
    let valuations = model.valuations.as_deref();
    let tail_tables: Vec<Vec<[f64; 3]>> = valuations.map(|v| v.iter().map(tails).collect()).unwrap_or_default();
    let empty = || Accumulator {
        counts: (0..n_strategies).map(|_| Counts::new(n_states, n_cycles)).collect(),
        values: valuations.map(|_| McValueSums::new(n_strategies)),
    };
    let totals = (0..n_blocks)
        .into_par_iter()
        .fold(empty, |mut acc, block| {
            let first = block * BLOCK_SIZE;
            let last = (first + BLOCK_SIZE).min(patients);
            let mut fixed = vec![[0i128; 3]; n_strategies];
            for index in first..last {
                let (group, start, rng) = start_patient(model, seed, index);
                match (valuations, acc.values.as_mut()) {
                    (Some(vals), Some(sums)) => {
                        for (strategy, counts) in acc.counts.iter_mut().enumerate() {
                            let mut rec = Valued {
                                counts,
                                valuation: &vals[strategy],
                                tail: &tail_tables[strategy],
                                totals: [0.0; 3],
                            };
                            walk(model, strategy, group, start, rng.clone(), &mut rec);
                            fixed[strategy] = std::array::from_fn(|k| (rec.totals[k] * FIXED_SCALE[k]).round() as i128);
                        }
                        sums.add_patient(&fixed);
                    }
                    _ => {
                        for (strategy, counts) in acc.counts.iter_mut().enumerate() {
                            walk(model, strategy, group, start, rng.clone(), counts);
                        }
                    }
                }
            }
            progress.advance((last - first) * n_strategies as u64);
            acc
        })
        .reduce(empty, |a, b| Accumulator {
            counts: a.counts.into_iter().zip(b.counts).map(|(x, y)| x.merge(y)).collect(),
            values: match (a.values, b.values) {
                (Some(x), Some(y)) => Some(x.merge(y)),
                (x, y) => x.or(y),
            },
        });
    let counts = totals
        .counts
        .into_iter()
        .enumerate()
        .map(|(strategy, c)| {
            let mut occupancy = c.occupancy;
            // People stay in an absorbing state from entry to the horizon.
            for s in 0..n_states {
                let mut running = 0;
                for t in 0..=n_cycles {
                    running += c.absorbed[t * n_states + s];
                    occupancy[t * n_states + s] += running;
                }
            }
            McCounts { strategy, patients, n_states, n_cycles, occupancy, flows: c.flows }
        })
        .collect();
    McRun { counts, values: totals.values }
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
