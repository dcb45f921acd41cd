//! Every file the tool reads back, and the safe writing of every file it writes.
//!
//! Each reader has typed rows and returns located errors: the file, the line and the column by
//! its header name ([`crate::error::Location`]). [`publish`] writes a command's outputs together
//! with a manifest holding the run's [`fingerprint::Fingerprint`], so that resuming, merging and
//! reporting never blend two runs. This module depends only on [`crate::error`]: the stages hand
//! it plain rows and bytes.

pub mod draws;
pub mod fingerprint;
pub mod publish;
pub mod tables;

pub use fingerprint::Fingerprint;
pub use publish::{
    OutputFile, StagedFile, add_to_folder, check_folder, check_folder_of_scenario, publish, write_all, write_atomic,
    write_atomic_with,
};
