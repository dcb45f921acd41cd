//! The exact cohort trace: expected state occupancy per cycle, x_{t+1} = x_t P_t.
//!
//! Receives a [`Model`] and a strategy; returns the share of the cohort in each state at every
//! cycle boundary t = 0..T (the trace) and the expected number of moves between states in each
//! cycle (the flows, used for transition costs). Each sub-cohort (start age x sex) is stepped on
//! its own slots, then mixed by its weight, in a fixed order, so results are bit-reproducible.
//! [`sim_cohort_groups`] runs the sub-cohorts of one subgroup only, weights renormalised to the
//! subgroup's share: the exact trace of that part of the population.

use crate::model::Model;

/// The cohort trace of one strategy.
#[derive(Debug, Clone, PartialEq)]
pub struct CohortTrace {
    pub strategy: usize,
    pub n_states: usize,
    pub n_cycles: usize,
    /// Share in each state at cycle boundary t, `[(t * n_states) + state]`, t = 0..=n_cycles.
    pub occupancy: Vec<f64>,
    /// Share in each slot (state x time-in-state bucket) at cycle boundary t,
    /// `[(t * n_slots) + slot]`, for valuing time-in-state dependent costs.
    pub slot_occupancy: Vec<f64>,
    pub n_slots: usize,
    /// Expected share moving from one state to another during cycle t,
    /// `[(t * n_states + from) * n_states + to]`, t = 0..n_cycles; zero on the diagonal.
    pub flows: Vec<f64>,
    /// Each sub-cohort's own part, kept only when the model values profiles with their own
    /// tables ([`Model::values_by_profile`]); empty otherwise.
    pub parts: ProfileParts,
    /// What a run decides before stepping, in memory kept from run to run.
    work: FillWork,
}

/// The lists [`fill`] makes before stepping, kept in the trace so that a PSA draw's run makes
/// them without allocating. Not part of the trace's value: any two are equal.
#[derive(Debug, Clone, Default)]
struct FillWork {
    /// The sub-cohorts stepped and their weights, `(group, weight)`.
    weights: Vec<(usize, f64)>,
    slot_state: Vec<usize>,
    /// Per slot: its moves are recorded.
    slot_records: Vec<bool>,
    /// Per (from, to): the move is recorded.
    record_move: Vec<bool>,
    /// The slots whose moves are recorded, in slot order.
    recorded_slots: Vec<usize>,
    n_states: usize,
    /// Steps every model through its rows, never a dense block (to test that both agree).
    rows_only: bool,
}

impl FillWork {
    /// The moves recorded (a move to the same state is never one), and per slot whether some
    /// move out of it is: decided once, not in the inner loop.
    fn prepare(&mut self, model: &Model, moves: Option<&[bool]>) {
        let n_states = model.n_states();
        self.n_states = n_states;
        self.record_move.clear();
        match moves {
            Some(m) => self.record_move.extend(m.iter().enumerate().map(|(i, &r)| r && i % (n_states + 1) != 0)),
            None => self.record_move.resize(n_states * n_states, false),
        }
        self.slot_state.clear();
        self.slot_state.extend(model.slots().iter().map(|s| s.state));
        let record_move = &self.record_move;
        self.slot_records.clear();
        self.slot_records
            .extend(self.slot_state.iter().map(|&s| record_move[s * n_states..(s + 1) * n_states].contains(&true)));
        self.recorded_slots.clear();
        self.recorded_slots.extend(self.slot_records.iter().enumerate().filter(|(_, r)| **r).map(|(slot, _)| slot));
    }

    /// Adds the recorded moves of the share `m` leaving `slot` by the exits `row` to one cycle's
    /// flows `flows_t` (`[from * n_states + to]`), in the row's order.
    #[inline]
    fn record(&self, slot: usize, m: f64, row: &[crate::model::Exit], flows_t: &mut [f64]) {
        let from = self.slot_state[slot];
        for e in row {
            let i = from * self.n_states + e.to_state as usize;
            if self.record_move[i] {
                flows_t[i] += m * e.probability;
            }
        }
    }

    /// Adds the recorded moves of cycle `t` out of the occupancy `x` by the rows of a block
    /// (`exits`, `lens`) to the flows (`[(t * n_states + from) * n_states + to]`), slot by slot
    /// in slot order, as the rows' step does.
    fn record_flows(&self, flows: &mut [f64], t: usize, (exits, lens): (&[crate::model::Exit], &[u32]), x: &[f64]) {
        let n_states = self.n_states;
        let flows_t = &mut flows[t * n_states * n_states..(t + 1) * n_states * n_states];
        for &slot in &self.recorded_slots {
            let m = x[slot];
            if m == 0.0 {
                continue;
            }
            self.record(slot, m, &exits[slot * n_states..slot * n_states + lens[slot] as usize], flows_t);
        }
    }
}

impl PartialEq for FillWork {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

/// The sub-cohorts' parts of a trace, for valuing each with its own tables: the whole trace's
/// slot occupancy is the sum of the parts' (up to rounding), and so are the flows of valued moves.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ProfileParts {
    /// The sub-cohort of each part (index into `model.groups`), in the order they were stepped;
    /// empty when no parts are kept.
    pub groups: Vec<usize>,
    /// Part k's share in each slot at boundary t, its weight included,
    /// `[(k * (n_cycles + 1) + t) * n_slots + slot]`.
    pub slot_occupancy: Vec<f64>,
    /// Part k's expected moves during cycle t of each move that has a value, by its number in
    /// the value tables ([`crate::model::valuation::Valuation::move_number`]),
    /// `[(k * n_cycles + t) * n_moves + move]`.
    pub move_flows: Vec<f64>,
    pub n_moves: usize,
}

impl CohortTrace {
    /// Occupancy of `state` at cycle boundary `t`.
    pub fn at(&self, t: usize, state: usize) -> f64 {
        self.occupancy[t * self.n_states + state]
    }

    /// The row of occupancies at cycle boundary `t`.
    pub fn row(&self, t: usize) -> &[f64] {
        &self.occupancy[t * self.n_states..(t + 1) * self.n_states]
    }
}

/// Runs the exact cohort model for one strategy.
///
/// # Examples
/// ```
/// use cirrhosim::{scenario::Scenario, model::Model, engine::sim_cohort};
/// let scenario = Scenario::default_scenario().unwrap();
/// let model = Model::from_scenario(&scenario).unwrap();
/// let trace = sim_cohort(&model, 0);
/// let total: f64 = trace.row(12).iter().sum();
/// assert!((total - 1.0).abs() < 1e-12);
/// ```
pub fn sim_cohort(model: &Model, strategy: usize) -> CohortTrace {
    let mut trace = CohortTrace::empty();
    let every_move = vec![true; model.n_states() * model.n_states()];
    sim_cohort_into(model, strategy, &mut trace, &mut Vec::new(), Some(&every_move));
    trace
}

impl CohortTrace {
    /// A trace with nothing in it, to be filled by [`sim_cohort_into`].
    pub fn empty() -> CohortTrace {
        CohortTrace {
            strategy: 0,
            n_states: 0,
            n_cycles: 0,
            occupancy: Vec::new(),
            slot_occupancy: Vec::new(),
            n_slots: 0,
            flows: Vec::new(),
            parts: ProfileParts::default(),
            work: FillWork::default(),
        }
    }
}

/// Runs the exact cohort model for one strategy over the sub-cohorts `groups` only (indices into
/// `model.groups`, e.g. one subgroup's of [`crate::model::subgroups::Subgroups::groups_of`]), with
/// their weights renormalised to sum to 1: the trace of that part of the population on its own.
/// Over every group it gives the numbers of [`sim_cohort`] up to rounding; [`sim_cohort`] itself
/// is the one to use for the whole population (it mixes by the weights as they are, bit for bit).
///
/// # Examples
/// ```
/// use cirrhosim::{scenario::Scenario, model::Model, engine::sim_cohort_groups};
/// let scenario = Scenario::default_scenario().unwrap();
/// let model = Model::from_scenario(&scenario).unwrap();
/// let trace = sim_cohort_groups(&model, 0, &[0]);
/// let total: f64 = trace.row(12).iter().sum();
/// assert!((total - 1.0).abs() < 1e-12);
/// ```
pub fn sim_cohort_groups(model: &Model, strategy: usize, groups: &[usize]) -> CohortTrace {
    let mut trace = CohortTrace::empty();
    let every_move = vec![true; model.n_states() * model.n_states()];
    sim_cohort_groups_into(model, strategy, groups, &mut trace, &mut Vec::new(), Some(&every_move));
    trace
}

/// As [`sim_cohort_groups`], into a trace from an earlier run whose memory is reused (a PSA
/// draw's by subgroup), recording the flows `moves` asks for as [`sim_cohort_into`] does: the
/// same numbers as [`sim_cohort_groups`] for those flows.
pub fn sim_cohort_groups_into(
    model: &Model,
    strategy: usize,
    groups: &[usize],
    trace: &mut CohortTrace,
    scratch: &mut Vec<f64>,
    moves: Option<&[bool]>,
) {
    let share: f64 = groups.iter().map(|&g| model.groups[g].weight).sum();
    let mut work = std::mem::take(&mut trace.work);
    work.weights.clear();
    work.weights.extend(groups.iter().map(|&g| (g, model.groups[g].weight / share)));
    fill(model, strategy, trace, scratch, moves, &mut work);
    trace.work = work;
}

/// As [`sim_cohort`], into a trace from an earlier run (a PSA draw's), whose memory is reused;
/// `scratch` holds the occupancy of the slots between cycles. The same numbers as [`sim_cohort`]
/// for the flows `moves` asks for (`[from * n_states + to]`, true to record; others stay 0);
/// without `moves` the trace's flows are left empty (for a model whose moves carry no value).
pub fn sim_cohort_into(
    model: &Model,
    strategy: usize,
    trace: &mut CohortTrace,
    scratch: &mut Vec<f64>,
    moves: Option<&[bool]>,
) {
    let mut work = std::mem::take(&mut trace.work);
    work.weights.clear();
    work.weights.extend(model.groups.iter().map(|g| g.weight).enumerate());
    fill(model, strategy, trace, scratch, moves, &mut work);
    trace.work = work;
}

/// Steps the sub-cohorts `work.weights` lists, `(group, weight)`, each from its start, and adds
/// them to the trace with their weights, in the order listed (keeping each one's part when the
/// model values profiles apart).
fn fill(
    model: &Model,
    strategy: usize,
    trace: &mut CohortTrace,
    scratch: &mut Vec<f64>,
    moves: Option<&[bool]>,
    work: &mut FillWork,
) {
    let n_states = model.n_states();
    let n_cycles = model.n_cycles;
    let n_slots = model.slots().len();
    let reset = |v: &mut Vec<f64>, n: usize| {
        v.clear();
        v.resize(n, 0.0);
    };
    trace.strategy = strategy;
    trace.n_states = n_states;
    trace.n_cycles = n_cycles;
    trace.n_slots = n_slots;
    // The slot occupancy, the trace's largest array, is not cleared: the first sub-cohort
    // writes it (0 + m is m, bit for bit) and the others add to it.
    if work.weights.is_empty() {
        reset(&mut trace.slot_occupancy, (n_cycles + 1) * n_slots);
    } else {
        trace.slot_occupancy.resize((n_cycles + 1) * n_slots, 0.0);
    }
    reset(&mut trace.flows, if moves.is_some() { n_cycles * n_states * n_states } else { 0 });
    work.prepare(model, moves);
    let weights = &work.weights;
    let mut parts = Parts::new(model, &mut trace.parts, weights);
    let (slot_state, slot_records) = (&work.slot_state, &work.slot_records);
    reset(scratch, 2 * n_slots);
    let keeps_moves = parts.keeps_moves;
    // A small model steps through each block as a dense matrix (unless it keeps its
    // sub-cohorts' moves apart), in the narrowest width that holds its slots.
    let dense = !work.rows_only && n_slots <= DENSE_SLOTS && !keeps_moves;
    let (x, y) = scratch.split_at_mut(n_slots);
    let (mut x, mut y) = (x, y);
    let occupancy = &mut trace.occupancy;
    let slot_occupancy = &mut trace.slot_occupancy;
    let flows = &mut trace.flows;
    for (k, &(g, weight)) in weights.iter().enumerate() {
        x.fill(0.0);
        for (s, share) in model.start_of(g).iter().enumerate() {
            x[model.entry_slot(s)] += share * weight;
        }
        let first = k == 0;
        for (slot, m) in x.iter().enumerate() {
            slot_occupancy[slot] = if first { *m } else { slot_occupancy[slot] + m };
        }
        parts.occupy(k, 0, x);
        if dense {
            let out = DenseOut { slot_occupancy, first, n_states, flows, work };
            run_dense(model, strategy, g, x, out, |t, y| parts.occupy(k, t, y));
            continue;
        }
        // `y` is all zeros at each cycle's start: at first from the reset, then because each
        // cycle empties `x` as it reads it (cheaper than clearing a few numbers by a call).
        for t in 0..n_cycles {
            let (exits, lens) = model.cycle_block(strategy, g, t);
            let flows_t = if flows.is_empty() {
                &mut []
            } else {
                &mut flows[t * n_states * n_states..(t + 1) * n_states * n_states]
            };
            let rows = exits.chunks_exact(n_states).zip(lens);
            for (slot, (m, (row, &len))) in x.iter_mut().zip(rows).enumerate() {
                let m = std::mem::take(m);
                if m == 0.0 {
                    continue;
                }
                if len == 0 {
                    y[slot] += m; // absorbing
                    continue;
                }
                let row = &row[..len as usize];
                for e in row {
                    y[e.to_slot as usize] += m * e.probability;
                }
                if slot_records[slot] {
                    work.record(slot, m, row, flows_t);
                }
                if keeps_moves {
                    parts.moved(k, t, slot_state[slot], m, row);
                }
            }
            let slot_next = &mut slot_occupancy[(t + 1) * n_slots..(t + 2) * n_slots];
            if first {
                slot_next.copy_from_slice(y);
            } else {
                for (acc, m) in slot_next.iter_mut().zip(y.iter()) {
                    *acc += m;
                }
            }
            parts.occupy(k, t + 1, y);
            std::mem::swap(&mut x, &mut y);
        }
    }
    // The occupancy of each state, once from the whole cohort's slots (not sub-cohort by
    // sub-cohort): the same numbers but for the order in which a state's several slots and
    // several sub-cohorts are added.
    if slot_state.iter().enumerate().all(|(slot, &state)| slot == state) && n_slots == n_states {
        // One slot per state, in state order: the same numbers (0 + m is m).
        occupancy.clear();
        occupancy.extend_from_slice(slot_occupancy);
        return;
    }
    reset(occupancy, (n_cycles + 1) * n_states);
    for (states, slots) in occupancy.chunks_exact_mut(n_states).zip(slot_occupancy.chunks_exact(n_slots)) {
        for (&state, m) in slot_state.iter().zip(slots) {
            states[state] += m;
        }
    }
}

/// The most slots a model may have to be stepped through dense matrices: a 16 x 16 block costs
/// fewer instructions than the rows' exits looked up one by one (the four-state model's 16 slots,
/// with its transplant tunnel, are stepped about three times faster).
const DENSE_SLOTS: usize = 16;

/// Where a dense run writes: the trace's occupancy by slot (written by the first sub-cohort,
/// added to by the others) and the flows of the recorded moves, as [`fill`] does.
struct DenseOut<'a> {
    slot_occupancy: &'a mut [f64],
    first: bool,
    n_states: usize,
    /// The trace's flows, `[(t * n_states + from) * n_states + to]` (empty: none recorded).
    flows: &'a mut [f64],
    /// The moves recorded and the slots they leave from.
    work: &'a FillWork,
}

/// Steps sub-cohort `g` of `strategy` from the occupancy `start` through dense blocks in the
/// narrowest width that holds the model's slots (see [`DenseBlock::run`]).
fn run_dense(
    model: &Model,
    strategy: usize,
    g: usize,
    start: &[f64],
    out: DenseOut<'_>,
    occupy: impl FnMut(usize, &[f64]),
) {
    let job = DenseJob { model, strategy, g, start, out, occupy };
    match start.len() {
        0..=4 => DenseBlock::<4>::new().run(job),
        5..=8 => DenseBlock::<8>::new().run(job),
        _ => DenseBlock::<16>::new().run(job),
    }
}

/// What [`DenseBlock::run`] steps: sub-cohort `g` of `strategy` from the occupancy `start`,
/// writing to `out` and handing each boundary's occupancy to `occupy(boundary, slots)`.
struct DenseJob<'a, F: FnMut(usize, &[f64])> {
    model: &'a Model,
    strategy: usize,
    g: usize,
    start: &'a [f64],
    out: DenseOut<'a>,
    /// Generic, not `dyn`: the call is inlined into the step.
    occupy: F,
}

/// A block of rows as a dense matrix of slot-to-slot probabilities, `N` slots wide, for small
/// models: a step makes the additions the rows make, in the same order (from slot by from slot),
/// plus additions of `m x 0`, which leave a sum of non-negative numbers as it is; so the trace is
/// the rows', bit for bit, with no exit to look up. (A row sends each exit to its own slot, one
/// per target state: `RowStore::store`; were two to meet, the cell would hold their sum.) The
/// occupancy lives in fixed-size arrays, so the compiler keeps it in registers.
struct DenseBlock<const N: usize> {
    /// `[from][to]`, zero beyond the model's slots.
    p: [[f64; N]; N],
}

impl<const N: usize> DenseBlock<N> {
    fn new() -> Self {
        DenseBlock { p: [[0.0; N]; N] }
    }

    /// The matrix of the block `exits`, `lens` (an absorbing slot keeps its share: 1 on the diagonal).
    fn fill(&mut self, exits: &[crate::model::Exit], lens: &[u32], n_states: usize) {
        self.p = [[0.0; N]; N];
        for (from, (row, &len)) in exits.chunks_exact(n_states).zip(lens).enumerate() {
            if len == 0 {
                self.p[from][from] = 1.0;
            }
            for e in &row[..len as usize] {
                self.p[from][e.to_slot as usize] += e.probability;
            }
        }
    }

    /// Steps sub-cohort `g` of `strategy` from the occupancy `start` through every cycle, writing
    /// each boundary's occupancy and each cycle's recorded flows to `out` and handing each
    /// boundary's occupancy to `occupy(boundary, slots)`. On a processor with AVX the same
    /// additions and multiplications run four numbers at a time (each still rounded on its own,
    /// no fused multiply-add, so the numbers are those without AVX, bit for bit).
    fn run(&mut self, job: DenseJob<'_, impl FnMut(usize, &[f64])>) {
        #[cfg(target_arch = "x86_64")]
        if std::arch::is_x86_feature_detected!("avx") {
            // SAFETY: the processor running this has AVX, checked just above.
            unsafe { self.run_avx(job) };
            return;
        }
        self.run_portable(job);
    }

    /// [`DenseBlock::run`] compiled for AVX.
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx")]
    fn run_avx(&mut self, job: DenseJob<'_, impl FnMut(usize, &[f64])>) {
        self.run_portable(job);
    }

    /// The body of [`DenseBlock::run`], for any processor.
    #[inline(always)]
    fn run_portable(&mut self, job: DenseJob<'_, impl FnMut(usize, &[f64])>) {
        let DenseJob { model, strategy, g, start, out, mut occupy } = job;
        let n_slots = start.len();
        let n_states = out.n_states;
        let mut x = [0.0; N];
        x[..n_slots].copy_from_slice(start);
        // The block the matrix holds: the rows are looked up only when a cycle uses another.
        let mut held = None;
        let boundaries = out.slot_occupancy[n_slots..].chunks_exact_mut(n_slots);
        for (t, (&block, slot_next)) in model.cycle_blocks(strategy, g).iter().zip(boundaries).enumerate() {
            if held != Some(block) {
                let (exits, lens) = model.block(block);
                self.fill(exits, lens, n_states);
                held = Some(block);
            }
            if !out.flows.is_empty() {
                let (exits, lens) = model.block(block);
                out.work.record_flows(out.flows, t, (exits, lens), &x);
            }
            // In place: the next step reads the shares where this one wrote them (no copy
            // between two arrays on the way, which each step would wait on).
            x = self.step(&x);
            // 0 + m is m (no share is -0), and an addition is never turned into a call to copy
            // memory, which costs more than the step itself in a small model. A model as wide
            // as the block writes whole vectors (a masked store is slow on some processors).
            match <&mut [f64; N]>::try_from(&mut *slot_next) {
                Ok(whole) => write_boundary(whole, &x, out.first),
                Err(_) => write_boundary(slot_next, &x, out.first),
            }
            occupy(t + 1, &x[..n_slots]);
        }
    }

    /// The occupancy after one cycle from `x`: from slot by from slot, each share times its row
    /// added to the sum. An empty slot adds m x p = 0 (p is finite), which leaves the sum as it
    /// is: a wide block skips it, a narrow one keeps x in registers rather than test each share.
    /// A narrow block starts the sum from the first slot's products rather than from 0 + those
    /// products: the same numbers (no product is -0: shares and probabilities are +0 or more),
    /// one addition less in the chain each step waits on.
    #[inline(always)]
    fn step(&self, x: &[f64; N]) -> [f64; N] {
        let mut y = [0.0; N];
        if N > 8 {
            for (from, &m) in x.iter().enumerate() {
                if m == 0.0 {
                    continue;
                }
                for (acc, p) in y.iter_mut().zip(&self.p[from]) {
                    *acc += m * p;
                }
            }
            return y;
        }
        for (acc, p) in y.iter_mut().zip(&self.p[0]) {
            *acc = x[0] * p;
        }
        for (from, &m) in x.iter().enumerate().skip(1) {
            for (acc, p) in y.iter_mut().zip(&self.p[from]) {
                *acc += m * p;
            }
        }
        y
    }
}

/// Writes (the first sub-cohort) or adds (the others) a boundary's occupancy `y` to `out`; called
/// with a fixed-size `out` where the model is as wide as the block, so that it compiles to whole
/// vectors.
#[inline(always)]
fn write_boundary(out: &mut [f64], y: &[f64], first: bool) {
    for (acc, &m) in out.iter_mut().zip(y) {
        *acc = if first { 0.0 } else { *acc } + m;
    }
}

/// Where [`fill`] writes each sub-cohort's part, when it keeps them.
struct Parts<'a> {
    parts: &'a mut ProfileParts,
    keep: bool,
    /// Keeps the parts' valued moves (parts kept and some move has a value).
    keeps_moves: bool,
    n_states: usize,
    n_cycles: usize,
    n_slots: usize,
    /// The number of each (from, to) move that has a value, `[from * n_states + to]`.
    move_number: Vec<Option<usize>>,
}

impl<'a> Parts<'a> {
    /// Resets `parts` for the sub-cohorts `weights` lists when the model values profiles apart,
    /// to nothing otherwise.
    fn new(model: &Model, parts: &'a mut ProfileParts, weights: &[(usize, f64)]) -> Parts<'a> {
        let (n_states, n_cycles, n_slots) = (model.n_states(), model.n_cycles, model.slots().len());
        let tables = model.valuation(0, 0).filter(|_| model.values_by_profile());
        let keep = tables.is_some();
        let move_number: Vec<Option<usize>> = match tables {
            Some(v) => (0..n_states * n_states).map(|i| v.move_number(i / n_states, i % n_states)).collect(),
            None => Vec::new(),
        };
        let n_parts = if keep { weights.len() } else { 0 };
        parts.groups.clear();
        parts.groups.extend(weights.iter().take(n_parts).map(|&(g, _)| g));
        parts.n_moves = tables.map_or(0, |v| v.n_moves());
        parts.slot_occupancy.clear();
        parts.slot_occupancy.resize(n_parts * (n_cycles + 1) * n_slots, 0.0);
        parts.move_flows.clear();
        parts.move_flows.resize(n_parts * n_cycles * parts.n_moves, 0.0);
        let keeps_moves = keep && parts.n_moves > 0;
        Parts { parts, keep, keeps_moves, n_states, n_cycles, n_slots, move_number }
    }

    /// Part k's slot occupancy at boundary t.
    #[inline]
    fn occupy(&mut self, k: usize, t: usize, x: &[f64]) {
        if self.keep {
            let start = (k * (self.n_cycles + 1) + t) * self.n_slots;
            self.parts.slot_occupancy[start..start + self.n_slots].copy_from_slice(x);
        }
    }

    /// Part k's valued moves out of `from` during cycle t, by a share `m` taking `row`'s exits.
    #[inline]
    fn moved(&mut self, k: usize, t: usize, from: usize, m: f64, row: &[crate::model::Exit]) {
        for e in row {
            let to = e.to_state as usize;
            if let (true, Some(number)) = (to != from, self.move_number[from * self.n_states + to]) {
                self.parts.move_flows[(k * self.n_cycles + t) * self.parts.n_moves + number] += m * e.probability;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::Scenario;

    /// A small model stepped through dense blocks gives the trace of the rows, bit for bit, in
    /// every strategy: occupancy, slot occupancy and the recorded flows, with every move recorded
    /// and with none; a model with more slots than the dense limit is not affected.
    #[test]
    fn dense_blocks_give_the_rows_trace_bit_for_bit() {
        let files =
            ["sick_sicker.toml", "teaching.toml", "sick_sicker_timedep.toml", "four_state.toml", "default.toml"];
        for file in files {
            let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios").join(file);
            let text = std::fs::read_to_string(&path).unwrap();
            let scenario = Scenario::from_toml(file, &text, path.parent().unwrap()).unwrap();
            let model = Model::from_scenario(&scenario).unwrap();
            let every_move = vec![true; model.n_states() * model.n_states()];
            for strategy in 0..model.n_strategies() {
                for moves in [Some(every_move.as_slice()), None] {
                    let mut rows = CohortTrace::empty();
                    rows.work.rows_only = true;
                    sim_cohort_into(&model, strategy, &mut rows, &mut Vec::new(), moves);
                    let mut dense = CohortTrace::empty();
                    sim_cohort_into(&model, strategy, &mut dense, &mut Vec::new(), moves);
                    let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
                    let at = format!("{file}, strategy {strategy}, moves recorded: {}", moves.is_some());
                    assert_eq!(bits(&dense.occupancy), bits(&rows.occupancy), "{at}");
                    assert_eq!(bits(&dense.slot_occupancy), bits(&rows.slot_occupancy), "{at}");
                    assert_eq!(bits(&dense.flows), bits(&rows.flows), "{at}");
                    // Not a trace that stands still: people move in every one of these models.
                    assert!(rows.at(model.n_cycles, 0) < rows.at(0, 0) || rows.at(0, 0) == 0.0, "{at}");
                    if moves.is_some() {
                        assert!(rows.flows.iter().any(|&f| f > 0.0), "{at}");
                    }
                }
            }
        }
    }
}
