//! The two engines that run a built [`crate::model::Model`]: the exact cohort trace and the
//! individual-patient Monte Carlo simulation.
//!
//! Both read the same rows of the same model, so any difference between them is Monte Carlo
//! error, which the tests bound. Progress goes out through the [`Progress`] trait; only the CLI
//! knows about progress bars.

pub mod cohort;
pub mod fixed_point;
pub mod monte_carlo;
pub mod rng;

pub use cohort::{CohortTrace, ProfileParts, sim_cohort, sim_cohort_groups, sim_cohort_groups_into, sim_cohort_into};
pub use monte_carlo::{McCounts, McRun, McValueSums, PatientHistory, patient_history, sim_patients, sim_patients_by};

/// Receives progress from long runs. Implementations must be cheap and thread-safe.
pub trait Progress: Sync {
    /// Called once with the amount of work (patients x strategies) before the run.
    fn start(&self, _total: u64) {}
    /// Called as work completes, with the amount just done.
    fn advance(&self, _done: u64) {}
    /// Asked before each unit of work (a block of patients, a PSA draw): `true` stops
    /// the run there with [`Error::Interrupted`](crate::Error::Interrupted) (Ctrl-C in the Python
    /// and R packages). Never asked to stop, a run is unaffected.
    fn stop_requested(&self) -> bool {
        false
    }
}

/// Progress that goes nowhere.
pub struct NoProgress;

impl Progress for NoProgress {}

#[cfg(test)]
pub(crate) mod tests;
