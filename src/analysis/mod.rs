//! What the traces mean, and the analyses that run the model many times.
//!
//! Receives cohort traces and Monte Carlo results from [`crate::engine`] and hands
//! [`crate::report`] tidy curves, per-strategy totals and the CEA table:
//! [`survival`], [`economics`] (costs, QALYs, life years, Monte Carlo uncertainty), [`cea`]
//! (incremental analysis, dominance, ICER, NMB), [`subgroups`] (all of these by subgroup, `--by`).
//!
//! Beside them sit the analyses that drive the model stage many times over: [`psa`]
//! (probabilistic sensitivity analysis, shards, merge), [`dsa`] (one- and two-way),
//! [`threshold`] (root-finding on incremental NMB), [`calibrate`] (fitting to targets),
//! [`evppi`] and [`teaching`] (the rerun behind `cirrhosim serve`); [`evidence`] gathers what a
//! run answers beside its results (the scenario's caveats, the parameters that are assumptions,
//! threshold price and effect at each WTP). They compute; they never print, and the files they
//! read back go through [`crate::io`].

pub mod calibrate;
pub mod cea;
pub mod dsa;
pub mod economics;
pub mod evidence;
pub mod evppi;
pub mod fieller;
pub mod fingerprint;
pub mod occupancy;
pub mod population;
pub mod psa;
pub mod subgroups;
pub mod survival;
pub mod teaching;
pub mod threshold;
pub mod verify;

pub use cea::{CeaRow, Outcome, Status, cea};
pub use economics::{
    Evaluation, McDifference, McEstimate, StrategyTotals, cohort_totals, evaluate, mc_differences, mc_estimates,
};
pub use occupancy::{PatientPath, StateOccupancy, occupancy, patient_paths};
pub use subgroups::{IncrementalNmb, SubgroupResult, incremental_nmb, subgroup_analysis};
pub use survival::{Curve, Method, StrategySurvival, SurvivalSummary, survival_analysis};

#[cfg(test)]
mod tests_values;
