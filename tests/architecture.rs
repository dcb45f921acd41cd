//! The rules of `docs/architecture.md`, checked on the source itself: which module may use
//! which, no printing in the library, file and function sizes. A rule broken here names the
//! file and line, so the fix is to move the code, not to edit the rule.

use crate::util::repo;
use std::path::{Path, PathBuf};

/// The library's modules, bottom to top, with the modules each may use.
const ALLOWED: [(&str, &[&str]); 8] = [
    ("error", &[]),
    ("io", &["error"]),
    ("scenario", &["error"]),
    ("model", &["error", "scenario"]),
    ("engine", &["error", "model"]),
    ("analysis", &["error", "io", "scenario", "model", "engine"]),
    ("report", &["error", "io", "scenario", "model", "analysis"]),
    ("api", &["error", "io", "scenario", "model", "engine", "analysis", "report"]),
];

/// A source file with its test code cut off: everything from a top-level `#[cfg(test)]` on,
/// and whole `tests.rs` files.
struct Source {
    path: PathBuf,
    lines: Vec<String>,
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

fn library_sources() -> Vec<Source> {
    let mut files = Vec::new();
    rust_files(&repo().join("src"), &mut files);
    files.sort();
    files
        .into_iter()
        .filter(|p| p.file_name().is_some_and(|n| n != "tests.rs"))
        .map(|path| {
            let text = std::fs::read_to_string(&path).unwrap();
            let lines = text.lines().take_while(|l| *l != "#[cfg(test)]").map(String::from).collect();
            Source { path, lines }
        })
        .collect()
}

/// The top-level module a file belongs to (`src/analysis/psa/runner.rs` -> `analysis`); `None`
/// for the binary side and `lib.rs`.
fn module_of(path: &Path) -> Option<String> {
    let relative = path.strip_prefix(repo().join("src")).unwrap();
    let first = relative.components().next()?.as_os_str().to_string_lossy().into_owned();
    let name = first.trim_end_matches(".rs").to_string();
    (!["main", "lib", "cli"].contains(&name.as_str())).then_some(name)
}

fn is_code(line: &str) -> bool {
    let t = line.trim_start();
    !(t.starts_with("//") || t.starts_with("/*") || t.starts_with('*'))
}

fn location(s: &Source, i: usize) -> String {
    format!("{}:{}", s.path.strip_prefix(repo()).unwrap().display(), i + 1)
}

#[test]
fn no_module_uses_a_module_above_it() {
    let mut broken = Vec::new();
    for s in library_sources() {
        let Some(module) = module_of(&s.path) else { continue };
        let allowed = ALLOWED.iter().find(|(m, _)| *m == module).map(|(_, a)| *a);
        let Some(allowed) = allowed else {
            broken.push(format!("{}: module `{module}` is not in the architecture", s.path.display()));
            continue;
        };
        for (i, line) in s.lines.iter().enumerate().filter(|(_, l)| is_code(l)) {
            for (at, _) in line.match_indices("crate::") {
                let used: String = line[at + "crate::".len()..]
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                    .collect();
                let known = ALLOWED.iter().any(|(m, _)| *m == used);
                if known && used != module && !allowed.contains(&used.as_str()) {
                    broken.push(format!("{}: `{module}` uses `{used}`", location(&s, i)));
                }
            }
        }
    }
    assert!(broken.is_empty(), "arrows that run back up (see docs/architecture.md):\n{}", broken.join("\n"));
}

#[test]
fn the_library_never_prints_nor_serves() {
    let mut broken = Vec::new();
    for s in library_sources() {
        if module_of(&s.path).is_none() {
            continue;
        }
        for (i, line) in s.lines.iter().enumerate().filter(|(_, l)| is_code(l)) {
            for word in ["println!", "eprintln!", "print!(", "eprint!(", "tiny_http::", "std::process::exit"] {
                if line.contains(word) {
                    broken.push(format!("{}: {word}", location(&s, i)));
                }
            }
        }
    }
    assert!(broken.is_empty(), "printing or serving belongs to src/cli:\n{}", broken.join("\n"));
}

/// No source file over 800 lines, no function over 120 lines (tests aside).
#[test]
fn files_and_functions_stay_small() {
    let mut all = Vec::new();
    rust_files(&repo().join("src"), &mut all);
    let mut broken = Vec::new();
    for path in &all {
        let n = std::fs::read_to_string(path).unwrap().lines().count();
        if n > 800 {
            broken.push(format!("{}: {n} lines (at most 800)", path.display()));
        }
    }
    for s in library_sources().into_iter().chain(binary_sources()) {
        let mut i = 0;
        while i < s.lines.len() {
            let line = &s.lines[i];
            let indent = line.len() - line.trim_start().len();
            let t = line.trim_start();
            let is_fn = ["fn ", "pub fn ", "pub(crate) fn ", "pub(super) fn ", "const fn ", "pub const fn "]
                .iter()
                .any(|p| t.starts_with(p));
            if is_fn && !t.ends_with(';') {
                let close = format!("{}}}", " ".repeat(indent));
                if let Some(end) = (i + 1..s.lines.len()).find(|&j| s.lines[j] == close) {
                    let length = end - i + 1;
                    if length > 120 {
                        broken.push(format!("{}: a function of {length} lines (at most 120)", location(&s, i)));
                    }
                }
            }
            i += 1;
        }
    }
    assert!(broken.is_empty(), "split these up:\n{}", broken.join("\n"));
}

fn binary_sources() -> Vec<Source> {
    let mut files = vec![repo().join("src/main.rs")];
    rust_files(&repo().join("src/cli"), &mut files);
    files
        .into_iter()
        .map(|path| {
            let text = std::fs::read_to_string(&path).unwrap();
            let lines = text.lines().take_while(|l| *l != "#[cfg(test)]").map(String::from).collect();
            Source { path, lines }
        })
        .collect()
}

/// `main.rs` is a table of contents: it parses and dispatches.
#[test]
fn main_is_a_dispatcher() {
    let n = std::fs::read_to_string(repo().join("src/main.rs")).unwrap().lines().count();
    assert!(n <= 100, "src/main.rs has {n} lines; commands belong in src/cli/");
}
