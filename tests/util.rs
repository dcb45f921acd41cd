//! A temporary working directory and a way to run the binary in it.

use assert_cmd::Command;
use std::path::{Path, PathBuf};

/// Root of the repository (for scenarios and fixtures).
pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A scratch directory that disappears after the test.
pub struct Workdir {
    dir: tempfile::TempDir,
}

impl Workdir {
    pub fn new() -> Self {
        Workdir { dir: tempfile::tempdir().expect("temp dir") }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// The binary, run inside this directory.
    pub fn cmd(&self) -> Command {
        let mut c = Command::cargo_bin("cirrhosim").expect("binary");
        c.current_dir(self.path());
        c
    }

    pub fn read(&self, name: &str) -> String {
        std::fs::read_to_string(self.path().join(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
    }

    pub fn write(&self, name: &str, text: &str) {
        std::fs::write(self.path().join(name), text).unwrap();
    }
}

/// Compares `actual` with a golden file in tests/golden; `CIRRHOSIM_BLESS=1` rewrites it.
pub fn assert_golden(name: &str, actual: &str) {
    let path = repo().join("tests/golden").join(name);
    if std::env::var_os("CIRRHOSIM_BLESS").is_some() {
        std::fs::write(&path, actual).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    if expected != actual {
        let line = expected.lines().zip(actual.lines()).position(|(a, b)| a != b);
        panic!(
            "{} differs from the output (first differing line {:?}); rerun with CIRRHOSIM_BLESS=1 if the change is intended",
            path.display(),
            line.map(|l| l + 1)
        );
    }
}
