//! # cirrhosim
//!
//! A simulator of liver cirrhosis progression under adjunct mesenchymal stem cell (MSC)
//! therapy. Patients move between Markov states (compensated and decompensated cirrhosis, liver
//! transplant, death, and any states a scenario adds) cycle by cycle. The same built model runs as
//! an exact cohort trace and as an individual-patient Monte Carlo simulation, and both give
//! survival curves, costs, QALYs and the incremental cost-effectiveness analysis.
//!
//! The pipeline follows the data, one module per stage:
//!
//! ```text
//! scenario (TOML) -> Scenario -> Model -> CohortTrace / McRun -> StrategySurvival, Evaluation -> files
//!   scenario::         model::    engine::                      analysis::                     report::
//! ```
//!
//! Beside the pipeline sit the analyses that drive every stage many times: [`psa`]
//! (probabilistic sensitivity analysis, shards and merge), [`dsa`] (one- and two-way),
//! [`threshold`] (root-finding on incremental NMB), [`calibrate`] (fitting to survival
//! targets), [`verify`] (TECH-VER black-box checks) and [`teaching`](analysis::teaching) (the
//! model behind the teaching page of `cirrhosim serve`).
//!
//! ```
//! use cirrhosim::{analysis, engine, model::Model, scenario::Scenario};
//!
//! let scenario = Scenario::default_scenario()?;           // parse + validate
//! let model = Model::from_scenario(&scenario)?;            // per-cycle transition rows
//! let traces: Vec<_> = (0..model.n_strategies()).map(|s| engine::sim_cohort(&model, s)).collect();
//! let mc = engine::sim_patients(&model, 2_000, scenario.seed, &engine::NoProgress)?;
//! let results = analysis::survival_analysis(&model, &traces, Some(&mc.counts));
//! let standard_care = &results[0].summary;
//! assert!(standard_care.median_os_years.unwrap() > 1.0);
//! # Ok::<(), cirrhosim::Error>(())
//! ```

// Validation returns `ProblemKind`s that carry a problem's whole location (state, strategy,
// cycle, sub-cohort, value); they are made only on the cold path of a rejected input, so their
// size costs nothing measurable, and boxing them would only make every rule harder to read.
#![allow(clippy::result_large_err)]

pub mod analysis;
pub mod api;
pub mod engine;
pub mod error;
pub mod io;
pub mod model;
pub mod report;
pub mod scenario;

pub use error::{Error, Problem, ProblemKind, Result};
