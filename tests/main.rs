//! Integration tests, one module per user-visible command, driven through the `cirrhosim`
//! binary like a user would; plus the validation against published models.

/// The rules of docs/architecture.md checked on the source: module layers, no printing in the
/// library, file and function sizes.
mod architecture;
/// `cirrhosim calibrate`: fitting parameters to survival targets.
mod calibrate;
/// `cirrhosim check`: every bad-input fixture with its exact message.
mod check;
/// Rules of every command: numbers checked by clap with the flag named, `--quiet`, `--out`.
mod cli;
/// `cirrhosim dsa`: tornado and two-way grid.
mod dsa;
/// `cirrhosim explain`: the model in words with the first cycles' arithmetic.
mod explain;
/// `cirrhosim params`: the parameter table.
mod params;
/// `cirrhosim paths`: individual patient histories.
mod paths;
/// `cirrhosim psa` and `cirrhosim merge`: outputs, shards, resume.
mod psa;
/// `cirrhosim report`: the HTML page and its figures.
mod report;
/// `cirrhosim run`: outputs, atomic writes, determinism, golden files.
mod run;
/// `cirrhosim serve`: the teaching page's HTTP API on loopback.
mod serve;
/// insta snapshots of run, psa, dsa, threshold and params outputs (how to review: see the file).
mod snapshots;
/// `cirrhosim threshold`: prices and effect sizes at which MSC becomes cost-effective.
mod threshold;
/// `cirrhosim trace`: the teaching table of the cohort trace.
mod trace;
/// Workdir: a temporary directory and a helper to run the binary in it.
mod util;
/// Published models reproduced to their stated tolerance (library level).
mod validation;
/// `cirrhosim verify`: black-box checks on shipped scenarios.
mod verify;
