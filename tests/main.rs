//! Integration tests, driven through the `cirrhosim` binary like a user would, one module per
//! command.

mod check; // `cirrhosim check`: every bad-input fixture with its exact message
mod paths;
mod run; // `cirrhosim run`: outputs, atomic writes, determinism, golden files
mod trace; // `cirrhosim trace`: the teaching table of the cohort trace
mod util; // Workdir: a temporary directory and a helper to run the binary in it // `cirrhosim paths`: individual patient histories
