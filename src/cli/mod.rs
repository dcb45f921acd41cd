//! One file per command (like xsv's `src/cmd/`): each defines its `Args` (clap derive) and a
//! `run` that reads as the pipeline, one line per stage. Arguments shared by several commands
//! live in [`args`]; progress bars in [`progress`], the only place that knows about indicatif.

pub mod args;
pub mod calibrate;
pub mod check;
pub mod default_scenario;
pub mod dsa;
pub mod evppi;
pub mod explain;
pub mod merge;
pub mod params;
pub mod paths;
pub mod progress;
pub mod psa;
pub mod report;
pub mod run;
pub mod serve;
pub mod threshold;
pub mod trace;
pub mod verify;
