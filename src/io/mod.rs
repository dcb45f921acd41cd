//! Every file the tool reads back, and the safe writing of every file it writes.
//!
//! Each reader has typed rows (serde) and returns located errors: the file, the line and the
//! column by its header name. The writers in [`publish`] never leave a half-written output.
//! This module depends only on [`crate::error`]: the stages hand it plain rows and bytes.

pub mod draws;
pub mod publish;
pub mod tables;
pub mod targets;

pub use publish::{OutputFile, write_all, write_atomic, write_atomic_with};
