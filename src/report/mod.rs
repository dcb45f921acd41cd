//! Output files and terminal tables.
//!
//! Receives the analysis results; writes tidy CSV, JSON and terminal text. Every file is written
//! to a temporary file in the output directory and renamed into place, so a crash or an error
//! never leaves a half-written result, and all outputs are computed before the first is written.

pub mod csv;
pub mod explain;
pub mod html;
pub mod json;
pub mod plots;
#[cfg(feature = "png")]
pub mod png;
pub mod psa;
pub mod terminal;

use crate::error::{Error, Result};
use std::io::Write;
use std::path::{Path, PathBuf};

/// A file to write: name inside the output directory and its bytes.
pub struct OutputFile {
    pub name: &'static str,
    pub bytes: Vec<u8>,
}

/// Writes `bytes` to `path` atomically: temp file in the same directory, flush, rename.
///
/// # Errors
/// [`Error::Write`] naming the path.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    write_atomic_with(path, bytes, true)
}

/// As [`write_atomic`]; with `durable = false` the data is not forced to disk before the rename,
/// which still survives a crash or Ctrl-C of the process (not a power cut). For checkpoints.
///
/// # Errors
/// [`Error::Write`] naming the path.
pub fn write_atomic_with(path: &Path, bytes: &[u8], durable: bool) -> Result<()> {
    let dir = path.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let tmp: PathBuf = dir.join(format!(".{name}.{}.tmp", std::process::id()));
    let werr = |source| Error::Write { path: path.to_path_buf(), source };
    let result = (|| {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(bytes)?;
        if durable {
            f.sync_all()?;
        }
        std::fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result.map_err(werr)
}

/// Creates `dir` if needed and writes every file into it atomically.
///
/// # Errors
/// [`Error::Write`] for the directory or the first file that fails.
pub fn write_all(dir: &Path, files: &[OutputFile]) -> Result<Vec<PathBuf>> {
    std::fs::create_dir_all(dir).map_err(|source| Error::Write { path: dir.to_path_buf(), source })?;
    let mut written = Vec::new();
    for f in files {
        let path = dir.join(f.name);
        write_atomic(&path, &f.bytes)?;
        written.push(path);
    }
    Ok(written)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn atomic_write_replaces_and_leaves_no_temp_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.csv");
        write_atomic(&path, b"one").unwrap();
        write_atomic(&path, b"two").unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"two");
        let names: Vec<_> = std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
        assert_eq!(names, vec![std::ffi::OsString::from("a.csv")]);
    }

    #[test]
    fn write_into_a_file_path_fails_with_the_path() {
        let dir = tempfile::tempdir().unwrap();
        let blocker = dir.path().join("file");
        std::fs::write(&blocker, b"x").unwrap();
        let e = write_all(&blocker.join("sub"), &[OutputFile { name: "a.csv", bytes: vec![] }]).unwrap_err();
        assert!(e.to_string().contains("cannot write"), "{e}");
    }
}
