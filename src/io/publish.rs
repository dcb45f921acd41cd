//! Writing the outputs of a command so that they are published together or not at all.
//!
//! [`publish`] writes every file of a command to a temporary file in the output folder (forced
//! to disk), and only when all of them are written does it move them into place, remove the
//! outputs of an earlier run in the same folder that this run does not replace, and write the
//! folder's manifest, [`MANIFEST`], last. The manifest records the run's [`Fingerprint`] and the
//! size and SHA-256 of every file, so a reader ([`check_folder`]) can tell a complete, intact
//! set of outputs from an interrupted publication, a file edited since, or a folder of another
//! run. A failure before the moves leaves the folder as it was; the manifest is removed before
//! the first move, so a failure during the moves leaves a folder that readers refuse.

use super::fingerprint::{Fingerprint, Hasher, sha256_hex};
use crate::error::{Error, Result, RunAction, RunProblem};
use serde::{Deserialize, Serialize};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

/// The manifest of an output folder.
pub const MANIFEST: &str = "cirrhosim-run.json";

/// A file to write: name inside the output directory and its bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutputFile {
    pub name: String,
    pub bytes: Vec<u8>,
}

impl OutputFile {
    /// A file named `name` with `bytes`.
    pub fn new(name: impl Into<String>, bytes: Vec<u8>) -> Self {
        OutputFile { name: name.into(), bytes }
    }
}

/// A file already written in the output folder under another name (e.g. the rows a PSA streams
/// to `psa_draws.csv.partial`), to be published under `name`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StagedFile {
    pub name: String,
    pub path: PathBuf,
}

/// One file of a published set.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ManifestFile {
    pub name: String,
    pub bytes: u64,
    pub sha256: String,
}

/// What a folder of outputs holds and what made it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    pub fingerprint: Fingerprint,
    pub files: Vec<ManifestFile>,
}

impl Manifest {
    /// The recorded entry of `name`, if the folder has that file.
    pub fn file(&self, name: &str) -> Option<&ManifestFile> {
        self.files.iter().find(|f| f.name == name)
    }
}

fn write_error(path: &Path) -> impl Fn(std::io::Error) -> Error + '_ {
    move |source| Error::Write { path: path.to_path_buf(), cause: source }
}

/// Writes `bytes` to `path` atomically: a temporary file in the same folder, forced to disk,
/// then renamed over `path`.
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
    let mut tmp =
        tempfile::Builder::new().prefix(".cirrhosim-").suffix(".tmp").tempfile_in(dir).map_err(write_error(path))?;
    tmp.write_all(bytes).map_err(write_error(path))?;
    if durable {
        tmp.as_file().sync_all().map_err(write_error(path))?;
    }
    tmp.persist(path).map_err(|e| Error::Write { path: path.to_path_buf(), cause: e.error })?;
    Ok(())
}

/// Publishes a set of outputs into `dir` with its manifest (see the module documentation).
/// Returns the paths of the published files, in the order given (bytes files, then staged).
///
/// # Errors
/// [`Error::Write`] naming the file or folder that could not be written; nothing of the new set
/// is visible then unless the failure happened while moving files into place, in which case the
/// folder has no manifest and readers refuse it.
pub fn publish(
    dir: &Path,
    fingerprint: &Fingerprint,
    files: &[OutputFile],
    staged: &[StagedFile],
) -> Result<Vec<PathBuf>> {
    std::fs::create_dir_all(dir).map_err(write_error(dir))?;
    // 1. Everything to temporary files, forced to disk; hash as we go.
    let mut temps = Vec::with_capacity(files.len());
    let mut entries = Vec::with_capacity(files.len() + staged.len());
    for f in files {
        let target = dir.join(&f.name);
        let mut tmp = tempfile::Builder::new()
            .prefix(".cirrhosim-")
            .suffix(".tmp")
            .tempfile_in(dir)
            .map_err(write_error(&target))?;
        tmp.write_all(&f.bytes).map_err(write_error(&target))?;
        tmp.as_file().sync_all().map_err(write_error(&target))?;
        entries.push(ManifestFile { name: f.name.clone(), bytes: f.bytes.len() as u64, sha256: sha256_hex(&f.bytes) });
        temps.push((tmp, target));
    }
    for s in staged {
        let (bytes, sha256) = hash_file(&s.path)?;
        std::fs::File::open(&s.path).and_then(|f| f.sync_all()).map_err(write_error(&s.path))?;
        entries.push(ManifestFile { name: s.name.clone(), bytes, sha256 });
    }
    let manifest = Manifest { fingerprint: fingerprint.clone(), files: entries };
    let manifest_bytes = manifest_json(&manifest, dir)?;
    // 2. The old manifest goes first: from here until the new one is written, readers refuse.
    let previous = read_manifest(dir).ok().flatten();
    let manifest_path = dir.join(MANIFEST);
    match std::fs::remove_file(&manifest_path) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(Error::Write { path: manifest_path, cause: e }),
    }
    // 3. Move into place.
    let mut written = Vec::new();
    for (tmp, target) in temps {
        tmp.persist(&target).map_err(|e| Error::Write { path: target.clone(), cause: e.error })?;
        written.push(target);
    }
    for s in staged {
        let target = dir.join(&s.name);
        if s.path != target {
            std::fs::rename(&s.path, &target).map_err(write_error(&target))?;
        }
        written.push(target);
    }
    // 4. Outputs of the earlier run that this one does not replace are stale.
    if let Some(previous) = previous {
        for old in &previous.files {
            if !manifest.files.iter().any(|f| f.name == old.name) && is_plain_name(&old.name) {
                let _ = std::fs::remove_file(dir.join(&old.name));
            }
        }
    }
    // 5. The manifest, last.
    write_atomic(&manifest_path, &manifest_bytes)?;
    Ok(written)
}

/// Only names of files directly inside the folder are ever removed.
fn is_plain_name(name: &str) -> bool {
    !name.is_empty() && !name.contains(['/', '\\']) && name != "." && name != ".."
}

fn manifest_json(manifest: &Manifest, dir: &Path) -> Result<Vec<u8>> {
    let mut bytes = serde_json::to_vec_pretty(manifest)
        .map_err(|e| Error::Serialise { path: dir.join(MANIFEST), message: e.to_string() })?;
    bytes.push(b'\n');
    Ok(bytes)
}

/// Size and SHA-256 of a file, read in pieces.
///
/// # Errors
/// [`Error::Read`] naming the file.
pub fn hash_file(path: &Path) -> Result<(u64, String)> {
    let read_error = |source| Error::Read { path: path.to_path_buf(), cause: source };
    let mut file = std::fs::File::open(path).map_err(read_error)?;
    let mut hasher = Hasher::default();
    let mut buffer = vec![0u8; 1 << 16];
    let mut total = 0u64;
    loop {
        let n = file.read(&mut buffer).map_err(read_error)?;
        if n == 0 {
            break;
        }
        hasher.update(&buffer[..n]);
        total += n as u64;
    }
    Ok((total, hasher.finish()))
}

/// The manifest of `dir`, `None` when it has none.
///
/// # Errors
/// [`Error::Read`] if it exists but cannot be read; [`Error::RunFolder`] if it is not a manifest.
pub fn read_manifest(dir: &Path) -> Result<Option<Manifest>> {
    let path = dir.join(MANIFEST);
    let text = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(source) => return Err(Error::Read { path, cause: source }),
    };
    serde_json::from_str(&text).map(Some).map_err(|e| Error::RunFolder {
        folder: dir.to_path_buf(),
        action: RunAction::ReadBack,
        problem: RunProblem::Unreadable { file: MANIFEST.to_string(), what: "manifest", message: e.to_string() },
    })
}

/// Checks that `dir` is a complete, intact set of outputs of `command` and returns its manifest:
/// the manifest exists, was written by that command, and every file it lists is present with the
/// recorded size and SHA-256. When `wanted` is given, its fingerprint must match too (settings
/// named in `ignore` aside).
///
/// # Errors
/// [`Error::RunFolder`] with the problem: no manifest, another command, a missing or changed
/// file, another run (listing what differs).
pub fn check_folder(
    dir: &Path,
    action: RunAction,
    command: &'static str,
    wanted: Option<&Fingerprint>,
    ignore: &[&str],
) -> Result<Manifest> {
    let fail = |problem| Error::RunFolder { folder: dir.to_path_buf(), action, problem };
    let manifest = match read_manifest(dir) {
        Ok(Some(m)) => m,
        Ok(None) => return Err(fail(RunProblem::NoManifest { manifest: MANIFEST })),
        Err(Error::RunFolder { problem, .. }) => return Err(fail(problem)),
        Err(e) => return Err(e),
    };
    if manifest.fingerprint.command != command {
        return Err(fail(RunProblem::WrongCommand { found: manifest.fingerprint.command.clone(), wanted: command }));
    }
    if let Some(wanted) = wanted {
        let differences = manifest.fingerprint.differences(wanted, ignore);
        if !differences.is_empty() {
            return Err(fail(RunProblem::Mismatch { differences }));
        }
    }
    for f in &manifest.files {
        let path = dir.join(&f.name);
        if !path.exists() {
            return Err(fail(RunProblem::Missing { file: f.name.clone() }));
        }
        let (bytes, sha256) = hash_file(&path)?;
        if bytes != f.bytes || sha256 != f.sha256 {
            return Err(fail(RunProblem::Changed { file: f.name.clone() }));
        }
    }
    Ok(manifest)
}

/// As [`check_folder`], comparing only what made the folder's scenario (command, version,
/// scenario name and hash), not its settings: for a report drawn from a PSA or DSA folder, whose
/// seed or draws may be any.
///
/// # Errors
/// As [`check_folder`].
pub fn check_folder_of_scenario(
    dir: &Path,
    action: RunAction,
    command: &'static str,
    scenario: &Fingerprint,
) -> Result<Manifest> {
    let manifest = check_folder(dir, action, command, None, &[])?;
    let wanted = Fingerprint { settings: manifest.fingerprint.settings.clone(), ..scenario.clone() };
    let differences = manifest.fingerprint.differences(&Fingerprint { command: command.to_string(), ..wanted }, &[]);
    if !differences.is_empty() {
        return Err(Error::RunFolder {
            folder: dir.to_path_buf(),
            action,
            problem: RunProblem::Mismatch { differences },
        });
    }
    Ok(manifest)
}

/// Adds `files` to a complete folder of `command`'s outputs (e.g. `evppi.csv` into a PSA
/// folder): the folder is checked first, and the new manifest lists the new files with the old
/// ones, so a later run into the folder removes them with the rest.
///
/// # Errors
/// As [`check_folder`] and [`publish`].
pub fn add_to_folder(
    dir: &Path,
    action: RunAction,
    command: &'static str,
    files: &[OutputFile],
) -> Result<Vec<PathBuf>> {
    let manifest = check_folder(dir, action, command, None, &[])?;
    let kept: Vec<StagedFile> = manifest
        .files
        .iter()
        .filter(|f| !files.iter().any(|n| n.name == f.name))
        .map(|f| StagedFile { name: f.name.clone(), path: dir.join(&f.name) })
        .collect();
    let written = publish(dir, &manifest.fingerprint, files, &kept)?;
    Ok(written[..files.len()].to_vec())
}

/// Creates `dir` if needed and writes every file into it atomically, without a manifest. For
/// files that are not a run's outputs.
///
/// # Errors
/// [`Error::Write`] for the directory or the first file that fails.
pub fn write_all(dir: &Path, files: &[OutputFile]) -> Result<Vec<PathBuf>> {
    std::fs::create_dir_all(dir).map_err(write_error(dir))?;
    let mut written = Vec::new();
    for f in files {
        let path = dir.join(&f.name);
        write_atomic(&path, &f.bytes)?;
        written.push(path);
    }
    Ok(written)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fp(seed: u64) -> Fingerprint {
        Fingerprint::new("run", "s", "abc", &[("seed", seed.to_string())])
    }

    fn names(dir: &Path) -> Vec<String> {
        let mut v: Vec<String> =
            std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
        v.sort();
        v
    }

    #[test]
    fn atomic_write_replaces_and_leaves_no_temp_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.csv");
        write_atomic(&path, b"one").unwrap();
        write_atomic(&path, b"two").unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"two");
        assert_eq!(names(dir.path()), vec!["a.csv"]);
    }

    #[test]
    fn write_into_a_file_path_fails_with_the_path() {
        let dir = tempfile::tempdir().unwrap();
        let blocker = dir.path().join("file");
        std::fs::write(&blocker, b"x").unwrap();
        let e = write_all(&blocker.join("sub"), &[OutputFile::new("a.csv", vec![])]).unwrap_err();
        assert!(e.to_string().contains("cannot write"), "{e}");
        let e = publish(&blocker.join("sub"), &fp(1), &[OutputFile::new("a.csv", vec![])], &[]).unwrap_err();
        assert!(e.to_string().contains("cannot write"), "{e}");
    }

    #[test]
    fn publication_replaces_the_earlier_run_and_removes_its_stale_files() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        std::fs::write(d.join("mine.txt"), b"user file").unwrap();
        publish(d, &fp(1), &[OutputFile::new("a.csv", b"1".to_vec()), OutputFile::new("b.csv", b"1".to_vec())], &[])
            .unwrap();
        check_folder(d, RunAction::Report, "run", Some(&fp(1)), &[]).unwrap();
        publish(d, &fp(2), &[OutputFile::new("a.csv", b"2".to_vec())], &[]).unwrap();
        assert_eq!(names(d), vec!["a.csv", MANIFEST, "mine.txt"], "b.csv was stale; mine.txt is not ours");
        let m = check_folder(d, RunAction::Report, "run", Some(&fp(2)), &[]).unwrap();
        assert_eq!(m.files.len(), 1);
        let e = check_folder(d, RunAction::Report, "run", Some(&fp(1)), &[]).unwrap_err().to_string();
        assert!(e.contains("another run (seed 2, not 1)"), "{e}");
        let e = check_folder(d, RunAction::Report, "psa", None, &[]).unwrap_err().to_string();
        assert!(e.contains("`cirrhosim run`, not of `cirrhosim psa`"), "{e}");
    }

    #[test]
    fn files_added_to_a_folder_join_its_manifest() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        publish(d, &fp(1), &[OutputFile::new("a.csv", b"1".to_vec())], &[]).unwrap();
        add_to_folder(d, RunAction::ReadBack, "run", &[OutputFile::new("e.csv", b"e".to_vec())]).unwrap();
        let m = check_folder(d, RunAction::Report, "run", Some(&fp(1)), &[]).unwrap();
        assert_eq!(m.files.iter().map(|f| f.name.as_str()).collect::<Vec<_>>(), vec!["e.csv", "a.csv"]);
        publish(d, &fp(2), &[OutputFile::new("a.csv", b"2".to_vec())], &[]).unwrap();
        assert!(!d.join("e.csv").exists(), "a later run removes what was added to the earlier one");
        let other = Fingerprint::new("run", "s", "zzz", &[]);
        let e = check_folder_of_scenario(d, RunAction::Report, "run", &other).unwrap_err().to_string();
        assert!(e.contains("has changed since"), "{e}");
        check_folder_of_scenario(d, RunAction::Report, "run", &Fingerprint::new("x", "s", "abc", &[])).unwrap();
    }

    #[test]
    fn readers_refuse_changed_missing_and_unpublished_folders() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        let e = check_folder(d, RunAction::Merge, "run", None, &[]).unwrap_err().to_string();
        assert!(e.contains("has no cirrhosim-run.json"), "{e}");
        let staged = d.join("rows.partial");
        std::fs::write(&staged, b"rows").unwrap();
        publish(
            d,
            &fp(1),
            &[OutputFile::new("a.csv", b"1".to_vec())],
            &[StagedFile { name: "rows.csv".into(), path: staged.clone() }],
        )
        .unwrap();
        assert!(!staged.exists());
        assert_eq!(std::fs::read(d.join("rows.csv")).unwrap(), b"rows");
        check_folder(d, RunAction::Merge, "run", None, &[]).unwrap();
        std::fs::write(d.join("rows.csv"), b"rowz").unwrap();
        let e = check_folder(d, RunAction::Merge, "run", None, &[]).unwrap_err().to_string();
        assert!(e.contains("rows.csv has changed since it was written"), "{e}");
        std::fs::remove_file(d.join("rows.csv")).unwrap();
        let e = check_folder(d, RunAction::Merge, "run", None, &[]).unwrap_err().to_string();
        assert!(e.contains("rows.csv is missing"), "{e}");
        std::fs::write(d.join(MANIFEST), b"{").unwrap();
        let e = check_folder(d, RunAction::Merge, "run", None, &[]).unwrap_err().to_string();
        assert!(e.contains("is not a valid manifest"), "{e}");
    }
}
