//! Probabilistic sensitivity analysis (PSA): one module for the whole of it.
//!
//! - [`sampling`]: parameter values of draw k, from (seed, k, parameter name) alone;
//! - [`run_draw`]: one draw evaluated (sample, build the model, run the cohort or the Monte Carlo
//!   engine, value it);
//! - [`accumulators`]: streaming sums whose size never depends on the number of draws, and what
//!   they add up to (CEAC, acceptability frontier, EVPI, survival band);
//! - [`runner`]: the checkpointed outer loop, shards and merge;
//! - [`subgroups`]: the same accumulators per subgroup of `--by` (means and CEAC by subgroup);
//! - [`summary`]: the report's numbers from a finished PSA's draws (means, intervals, ICERs,
//!   probability cost-effective and EVPI at chosen WTPs).
//!
//! [`PsaSettings`] is the one description of a PSA run (draws, seed, engine, shard).

pub mod accumulators;
pub mod runner;
pub mod sampling;
pub mod subgroups;
pub mod summary;

pub use accumulators::{CeacPoint, DrawOutcome, EvpiPoint, PsaResults, PsaState};
pub use subgroups::{SubgroupResults, SubgroupState};

use crate::analysis::{self, survival};
use crate::engine::{self, NoProgress, sim_cohort_into};
use crate::error::{Error, Result};
use crate::model::Model;
use crate::scenario::Scenario;
use serde::{Deserialize, Serialize};

/// Which engine evaluates each draw.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PsaEngine {
    /// Exact cohort trace (expected values): the default.
    Cohort,
    /// Monte Carlo patients, `patients` per draw.
    MonteCarlo { patients: u64 },
}

/// Part k (0-based) of n of the draws.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Shard {
    pub index: u64,
    pub count: u64,
}

impl Shard {
    /// The whole run.
    pub const ALL: Shard = Shard { index: 0, count: 1 };

    /// Parses `k/n` (k from 0 to n - 1).
    ///
    /// # Errors
    /// [`Error::Setting`] naming `--shard`.
    pub fn parse(text: &str) -> Result<Shard> {
        let bad =
            || Error::Setting { flag: "shard", value: text.to_string(), rule: "must be k/n with 0 <= k < n, e.g. 0/4" };
        let (k, n) = text.split_once('/').ok_or_else(bad)?;
        let (index, count): (u64, u64) = (k.trim().parse().map_err(|_| bad())?, n.trim().parse().map_err(|_| bad())?);
        if count == 0 || index >= count {
            return Err(bad());
        }
        Ok(Shard { index, count })
    }

    /// Draws [first, last) of this shard out of `draws`.
    pub fn range(&self, draws: u64) -> (u64, u64) {
        let at = |k: u64| ((draws as u128 * k as u128) / self.count as u128) as u64;
        (at(self.index), at(self.index + 1))
    }
}

/// Settings of one PSA run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PsaSettings {
    pub scenario: String,
    pub draws: u64,
    pub seed: u64,
    pub engine: PsaEngine,
    pub shard: Shard,
    /// Covariates of `--by`: CEACs and means by subgroup as well (none: the whole population
    /// only). Absent from the files of a run without it, so they read and compare as before.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub by: Vec<String>,
}

/// What one thread keeps between the draws it evaluates: the model, rebuilt in place for each
/// draw ([`Model::rebuild`]), and the cohort trace's memory. A draw gives the same numbers with a
/// kept workspace as with a new one; only the allocations are saved.
#[derive(Debug, Default)]
pub struct DrawWorkspace {
    /// Boxed: a draw moves it in and out of the workspace.
    model: Option<Box<Model>>,
    trace: Option<crate::engine::CohortTrace>,
    scratch: Vec<f64>,
    /// The moves whose flows a draw records (`None` inside: none carries a value), found at the
    /// thread's first draw: they depend on the model's structure only.
    valued: Option<Option<Vec<bool>>>,
    /// The subgroups of `--by`, classified at the thread's first draw: the sub-cohorts they
    /// classify are the scenario's, the same in every draw.
    subgroups: Option<crate::model::subgroups::Subgroups>,
    /// The run's sampler, made at the thread's first draw (the workspaces serve one run).
    sampler: Option<sampling::Sampler>,
}

/// One [`DrawWorkspace`] per thread of the pool a PSA runs on, kept for the whole run. Make it
/// inside that pool (`rayon::ThreadPool::install`), where the draws run.
#[derive(Debug)]
pub struct Workspaces(Vec<std::sync::Mutex<Option<Box<DrawWorkspace>>>>);

impl Workspaces {
    /// A workspace for each thread of the current pool, each holding a copy of `model` to rebuild
    /// for its draws instead of building one at its first draw: a copy costs a fraction of a
    /// build (the value tables' plan is the slow part). `model` must be the one the draws' engine
    /// builds from the same scenario: [`Model::build_outcomes`] for the cohort,
    /// [`Model::build`] for Monte Carlo; a rebuilt model is then the one built, number for number.
    pub fn seeded(model: &Model) -> Workspaces {
        Workspaces(
            (0..rayon::current_num_threads())
                .map(|_| {
                    let model = Some(Box::new(model.clone()));
                    std::sync::Mutex::new(Some(Box::new(DrawWorkspace { model, ..DrawWorkspace::default() })))
                })
                .collect(),
        )
    }

    /// Takes the calling thread's workspace (a new one off the pool), leaving an empty one: a
    /// draw that waits on nested parallel work, and so runs another draw on the same thread,
    /// finds it empty and builds afresh.
    fn take(&self) -> Box<DrawWorkspace> {
        self.own().and_then(|m| m.lock().unwrap_or_else(std::sync::PoisonError::into_inner).take()).unwrap_or_default()
    }

    /// Gives the workspace back to the calling thread.
    fn put(&self, workspace: Box<DrawWorkspace>) {
        if let Some(m) = self.own() {
            *m.lock().unwrap_or_else(std::sync::PoisonError::into_inner) = Some(workspace);
        }
    }

    fn own(&self) -> Option<&std::sync::Mutex<Option<Box<DrawWorkspace>>>> {
        rayon::current_thread_index().and_then(|i| self.0.get(i))
    }

    /// The calling thread's workspace, for a run of draws on this thread (a rayon `map_init`
    /// piece: one lock to take it and one to give it back, not two per draw).
    pub fn lease(&self) -> Lease<'_> {
        Lease { workspace: Some(self.take()), home: self }
    }
}

/// A thread's workspace taken from its [`Workspaces`], given back when the lease is dropped (on
/// the thread that took it: a rayon `map_init` state stays on its thread).
#[derive(Debug)]
pub struct Lease<'a> {
    workspace: Option<Box<DrawWorkspace>>,
    home: &'a Workspaces,
}

impl Drop for Lease<'_> {
    fn drop(&mut self) {
        if let Some(workspace) = self.workspace.take() {
            self.home.put(workspace);
        }
    }
}

/// Evaluates draw `k`: sample, build, run, value, in the leased workspace. Returns the outcomes
/// and the values of the `varied` parameters.
///
/// # Errors
/// [`Error::Draw`] when the drawn values give a model that cannot be built.
pub fn run_draw(
    scenario: &Scenario,
    varied: &[usize],
    settings: &PsaSettings,
    k: u64,
    lease: &mut Lease<'_>,
) -> Result<(DrawOutcome, Vec<f64>)> {
    let workspace = lease.workspace.get_or_insert_with(Box::default);
    draw_in(scenario, varied, settings, k, workspace)
}

fn draw_in(
    scenario: &Scenario,
    varied: &[usize],
    settings: &PsaSettings,
    k: u64,
    ws: &mut DrawWorkspace,
) -> Result<(DrawOutcome, Vec<f64>)> {
    let sampler = (ws.sampler.take().filter(|s| s.is_for(varied, settings.seed)))
        .unwrap_or_else(|| sampling::Sampler::new(scenario, varied, settings.seed));
    let values = sampler.draw(k);
    ws.sampler = Some(sampler);
    let draw_error = |e| Error::Draw { draw: k, cause: Box::new(e) };
    // A cohort draw needs only cost, QALYs and life years from the value tables. A model that
    // failed to rebuild is dropped (it is incomplete).
    let model = match ws.model.take() {
        Some(mut model) => {
            model.rebuild(scenario, &values).map_err(draw_error)?;
            model
        }
        None => Box::new(
            match settings.engine {
                PsaEngine::Cohort => Model::build_outcomes(scenario, &values),
                PsaEngine::MonteCarlo { .. } => Model::build(scenario, &values),
            }
            .map_err(draw_error)?,
        ),
    };
    let n = model.n_strategies();
    // Flows only of the moves that carry a value (the same in every strategy's tables).
    let n_states = model.n_states();
    // Which moves those are depends on the model's structure only: found at the first draw.
    let valued_moves = ws.valued.take().unwrap_or_else(|| {
        model.valuations.as_ref().and_then(|v| v.first()).and_then(|v| {
            let moves: Vec<bool> =
                (0..n_states * n_states).map(|k| v.move_number(k / n_states, k % n_states).is_some()).collect();
            moves.contains(&true).then_some(moves)
        })
    });
    let valued = valued_moves.as_deref();
    let (outcomes, survival): (Vec<[f64; 3]>, Vec<f64>) = match settings.engine {
        PsaEngine::Cohort => {
            let trace = ws.trace.get_or_insert_with(crate::engine::CohortTrace::empty);
            let mut outcomes = Vec::with_capacity(n);
            let mut survival = Vec::with_capacity(n * (model.n_cycles + 1));
            for s in 0..n {
                sim_cohort_into(&model, s, trace, &mut ws.scratch, valued);
                outcomes.push(analysis::economics::cohort_outcomes(&model, trace).expect("PSA needs [economics]"));
                survival::trace_survival_into(&model, trace, &mut survival);
            }
            (outcomes, survival)
        }
        PsaEngine::MonteCarlo { patients } => {
            // Patients' streams depend on (seed, draw), so draws are independent and reproducible.
            let run = engine::sim_patients(
                &model,
                patients,
                engine::rng::splitmix64(settings.seed ^ k.rotate_left(32)),
                &NoProgress,
            )
            .map_err(|e| Error::Draw { draw: k, cause: Box::new(e) })?;
            let est = analysis::mc_estimates(run.values.as_ref().expect("PSA needs [economics]"));
            let mut survival = Vec::with_capacity(n * (model.n_cycles + 1));
            let outcomes = (est.iter().zip(&run.counts))
                .map(|(e, c)| {
                    let n = c.patients as f64;
                    // Counts are summed exactly in f64 (far below 2^53) before dividing.
                    let os = survival::overall_survival(&model, |t, s| c.at(t, s) as f64);
                    survival.extend(os.iter().map(|x| x / n));
                    [e.cost.mean, e.qaly.mean, e.life_years.mean]
                })
                .collect();
            (outcomes, survival)
        }
    };
    check_finite(&model, k, &outcomes, &survival)?;
    let subgroups = if settings.by.is_empty() {
        Vec::new()
    } else {
        by_subgroup(scenario, &model, &settings.by, ws, valued).map_err(draw_error)?
    };
    check_finite_by(&model, k, &settings.by, &subgroups)?;
    ws.model = Some(model);
    ws.valued = Some(valued_moves);
    Ok((DrawOutcome { draw: k, outcomes, survival, subgroups }, varied.iter().map(|&i| values[i]).collect()))
}

/// Discounted cost, discounted QALYs and life years of each strategy in each subgroup of `by`,
/// `[subgroup][strategy]`, as `run --by` computes them: the exact cohort of the subgroup's
/// sub-cohorts alone (weights renormalised to its share, [`engine::sim_cohort_groups_into`])
/// valued by [`analysis::economics::cohort_outcomes`]. The subgroups are classified as
/// [`crate::model::subgroups::Subgroups::new`] does for `run --by`, once per workspace.
fn by_subgroup(
    scenario: &Scenario,
    model: &Model,
    by: &[String],
    ws: &mut DrawWorkspace,
    valued: Option<&[bool]>,
) -> Result<Vec<Vec<[f64; 3]>>> {
    let subgroups = match ws.subgroups.take() {
        Some(subgroups) => subgroups,
        None => crate::model::subgroups::Subgroups::new(scenario, &model.groups, by)?,
    };
    let trace = ws.trace.get_or_insert_with(crate::engine::CohortTrace::empty);
    let outcomes = (0..subgroups.len())
        .map(|g| {
            let groups = subgroups.groups_of(g);
            (0..model.n_strategies())
                .map(|s| {
                    engine::sim_cohort_groups_into(model, s, &groups, trace, &mut ws.scratch, valued);
                    analysis::economics::cohort_outcomes(model, trace).expect("PSA needs [economics]")
                })
                .collect()
        })
        .collect();
    ws.subgroups = Some(subgroups);
    Ok(outcomes)
}

/// Every subgroup's outcomes must be finite, as the whole population's ([`check_finite`]).
fn check_finite_by(model: &Model, k: u64, by: &[String], subgroups: &[Vec<[f64; 3]>]) -> Result<()> {
    for (g, outcomes) in subgroups.iter().enumerate() {
        for (s, o) in outcomes.iter().enumerate() {
            check_outcome(model, k, s, o, &format!(" in subgroup {} of --by {}", g + 1, by.join(",")))?;
        }
    }
    Ok(())
}

/// Strategy `s`'s discounted cost, discounted QALYs and life years in draw `k` must be finite;
/// `place` ends the error's description (a subgroup), or is empty.
fn check_outcome(model: &Model, k: u64, s: usize, o: &[f64; 3], place: &str) -> Result<()> {
    const WHAT: [&str; 3] = ["discounted cost", "discounted QALYs", "life years"];
    match (0..3).find(|&q| !o[q].is_finite()) {
        Some(q) => Err(Error::NotFinite {
            location: crate::error::Location::Draw(k),
            what: format!("the {} of strategy \"{}\"{place}", WHAT[q], model.strategy_names[s]),
            value: o[q],
            hint: Some("check the distributions of the parameters drawn"),
        }),
        None => Ok(()),
    }
}

/// A draw's every number must be finite: a NaN would otherwise count as a loss in the CEAC and
/// vanish from the means.
fn check_finite(model: &Model, k: u64, outcomes: &[[f64; 3]], survival: &[f64]) -> Result<()> {
    for (s, o) in outcomes.iter().enumerate() {
        check_outcome(model, k, s, o, "")?;
    }
    // Every point finite, as nearly always: one pass with no early exit, several at a time.
    if !survival.iter().fold(false, |bad, x| bad | !x.is_finite()) {
        return Ok(());
    }
    let points = model.n_cycles + 1;
    match survival.iter().position(|x| !x.is_finite()) {
        Some(i) => Err(Error::NotFinite {
            location: crate::error::Location::Draw(k),
            what: format!(
                "overall survival of strategy \"{}\" at cycle {}",
                model.strategy_names[i / points],
                i % points
            ),
            value: survival[i],
            hint: None,
        }),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests;
