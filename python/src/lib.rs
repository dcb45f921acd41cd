//! `cirrhosim._native`: the library's in-memory analyses ([`cirrhosim::api`]) for Python.
//!
//! Each function takes the scenario as a tuple (`("default",)`, `("file", path)` or
//! `("text", toml, base_dir)`) and parameter values to set, runs with the GIL released on a
//! worker thread while the calling thread watches for Ctrl-C, and returns the command's files as
//! `{name: text}` with the scenario's warnings. The pure-Python package `cirrhosim` turns them
//! into pandas DataFrames. Errors are raised as `NativeError(kind, message, problems)`, which the
//! package maps to `ScenarioError`, `ValueError`, `OSError` or `KeyboardInterrupt`.

use cirrhosim::analysis::psa::PsaEngine;
use cirrhosim::api::{self, ScenarioInput};
use cirrhosim::engine::Progress;
use cirrhosim::io::OutputFile;
use cirrhosim::scenario::Scenario;
use pyo3::exceptions::{PyException, PyRuntimeError};
use pyo3::prelude::*;
use pyo3::types::PyDict;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

pyo3::create_exception!(
    _native,
    NativeError,
    PyException,
    "An error of the cirrhosim library: (kind, message, problems)."
);

/// How often the calling thread looks for a pending Ctrl-C while a run goes on.
const SIGNAL_POLL: Duration = Duration::from_millis(50);

/// Set when the caller pressed Ctrl-C; the library's runs ask it between blocks of work.
#[derive(Default)]
struct Stop(AtomicBool);

impl Progress for Stop {
    fn stop_requested(&self) -> bool {
        self.0.load(Ordering::Relaxed)
    }
}

/// A library error as `NativeError(kind, message, problems)`: `kind` is `scenario` (with every
/// problem as a dict of file, line, key, message), `read`, `setting`, `interrupted` or `run`.
fn to_py(py: Python<'_>, e: cirrhosim::Error) -> PyErr {
    use cirrhosim::Error as E;
    let kind = match &e {
        E::Invalid { .. } | E::Syntax { .. } => "scenario",
        E::Read { .. } => "read",
        E::Setting { .. } | E::UnknownStrategy { .. } => "setting",
        E::Interrupted { .. } => "interrupted",
        _ => "run",
    };
    let problems: Vec<Py<PyAny>> = api::problems(&e)
        .unwrap_or_default()
        .into_iter()
        .filter_map(|p| {
            let d = PyDict::new(py);
            d.set_item("file", p.file).ok()?;
            d.set_item("line", p.line).ok()?;
            d.set_item("key", p.key).ok()?;
            d.set_item("message", p.message).ok()?;
            Some(d.into_any().unbind())
        })
        .collect();
    NativeError::new_err((kind, e.to_string(), problems))
}

/// The scenario input from its Python tuple form.
fn input(source: (String, Option<String>, Option<String>)) -> PyResult<ScenarioInput> {
    match source {
        (kind, None, None) if kind == "default" => Ok(ScenarioInput::Default),
        (kind, Some(path), None) if kind == "file" => Ok(ScenarioInput::File(PathBuf::from(path))),
        (kind, Some(text), Some(base_dir)) if kind == "text" => {
            Ok(ScenarioInput::Text { file: "<scenario text>".into(), text, base_dir: PathBuf::from(base_dir) })
        }
        _ => Err(PyRuntimeError::new_err(
            "internal: scenario must be (\"default\",), (\"file\", path) or (\"text\", toml, base_dir)",
        )),
    }
}

type Source = (String, Option<String>, Option<String>);

/// Runs `work` on a worker thread (in a pool of `threads` threads when given) with the GIL
/// released; meanwhile the calling thread checks for signals every [`SIGNAL_POLL`]. On Ctrl-C
/// it asks the run to stop (the library stops at its next block of patients or chunk of draws),
/// waits for the worker, and raises `KeyboardInterrupt`.
fn interruptible<T: Send>(
    py: Python<'_>,
    threads: Option<usize>,
    work: impl FnOnce(&Stop) -> cirrhosim::Result<T> + Send,
) -> PyResult<T> {
    let stop = Stop::default();
    let pool = match threads {
        Some(n) => Some(
            rayon::ThreadPoolBuilder::new()
                .num_threads(n)
                .build()
                .map_err(|e| PyRuntimeError::new_err(format!("cannot start {n} worker threads: {e}")))?,
        ),
        None => None,
    };
    let (outcome, interrupt) = py.detach(|| {
        std::thread::scope(|scope| {
            let (done, finished) = std::sync::mpsc::channel::<()>();
            let stop = &stop;
            let worker = scope.spawn(move || {
                let result = match &pool {
                    Some(pool) => pool.install(|| work(stop)),
                    None => work(stop),
                };
                let _ = done.send(());
                result
            });
            let mut interrupt = None;
            while let Err(std::sync::mpsc::RecvTimeoutError::Timeout) = finished.recv_timeout(SIGNAL_POLL) {
                if interrupt.is_none()
                    && let Err(e) = Python::attach(|py| py.check_signals())
                {
                    stop.0.store(true, Ordering::Relaxed);
                    interrupt = Some(e);
                }
            }
            (worker.join(), interrupt)
        })
    });
    if let Some(e) = interrupt {
        return Err(e);
    }
    match outcome {
        Ok(result) => result.map_err(|e| to_py(py, e)),
        Err(_) => Err(PyRuntimeError::new_err("internal error: the run panicked (please report it)")),
    }
}

/// `{name: text}` of the files, with the scenario's warnings (as `cirrhosim` prints them).
fn files_and_warnings(py: Python<'_>, scenario: &Scenario, files: &[OutputFile]) -> PyResult<Py<PyDict>> {
    let out = PyDict::new(py);
    let texts = PyDict::new(py);
    for f in files {
        let text = std::str::from_utf8(&f.bytes)
            .map_err(|e| PyRuntimeError::new_err(format!("internal: {} is not UTF-8: {e}", f.name)))?;
        texts.set_item(&f.name, text)?;
    }
    out.set_item("files", texts)?;
    let warnings: Vec<String> = scenario.warnings.iter().map(|w| format!("{}: {w}", scenario.file)).collect();
    out.set_item("warnings", warnings)?;
    Ok(out.unbind())
}

fn load(py: Python<'_>, source: Source, set: &[(String, f64)]) -> PyResult<Scenario> {
    let input = input(source)?;
    api::load(&input, set).map_err(|e| to_py(py, e))
}

/// The problems of a scenario, as dicts of file, line, key and message (`[]` when it runs).
#[pyfunction]
fn check(py: Python<'_>, source: Source, set: Vec<(String, f64)>) -> PyResult<Vec<Py<PyAny>>> {
    let input = input(source)?;
    let problems = api::check(&input, &set).map_err(|e| to_py(py, e))?;
    problems
        .into_iter()
        .map(|p| {
            let d = PyDict::new(py);
            d.set_item("file", p.file)?;
            d.set_item("line", p.line)?;
            d.set_item("key", p.key)?;
            d.set_item("message", p.message)?;
            Ok(d.into_any().unbind())
        })
        .collect()
}

/// `cirrhosim run` in memory: `{files, warnings}`; `by` names covariates for results by subgroup
/// (`cirrhosim run --by`).
#[pyfunction]
#[pyo3(signature = (source, set, patients, seed, threads, by=Vec::new()))]
fn run(
    py: Python<'_>,
    source: Source,
    set: Vec<(String, f64)>,
    patients: Option<u64>,
    seed: Option<u64>,
    threads: Option<usize>,
    by: Vec<String>,
) -> PyResult<Py<PyDict>> {
    let scenario = load(py, source, &set)?;
    let out = interruptible(py, threads, |stop| api::run_by(&scenario, patients, seed, &by, stop))?;
    files_and_warnings(py, &scenario, &out.files)
}

/// `cirrhosim psa` in memory: `{files, warnings}`; `patients` selects the Monte Carlo engine;
/// `by` adds the results by subgroup (`cirrhosim psa --by`).
#[pyfunction]
#[pyo3(signature = (source, set, draws, seed, patients, threads, by=Vec::new()))]
#[allow(clippy::too_many_arguments)]
fn psa(
    py: Python<'_>,
    source: Source,
    set: Vec<(String, f64)>,
    draws: Option<u64>,
    seed: Option<u64>,
    patients: Option<u64>,
    threads: Option<usize>,
    by: Vec<String>,
) -> PyResult<Py<PyDict>> {
    let scenario = load(py, source, &set)?;
    let engine = patients.map_or(PsaEngine::Cohort, |patients| PsaEngine::MonteCarlo { patients });
    let out = interruptible(py, threads, |stop| api::psa_by(&scenario, draws, seed, engine, &by, stop))?;
    files_and_warnings(py, &scenario, &out.files)
}

/// `cirrhosim dsa` in memory: `{files, warnings, wtp}`.
#[pyfunction]
#[pyo3(signature = (source, set, strategy, comparator, wtp, two_way, steps, threads))]
#[allow(clippy::too_many_arguments)]
fn dsa(
    py: Python<'_>,
    source: Source,
    set: Vec<(String, f64)>,
    strategy: Option<String>,
    comparator: Option<String>,
    wtp: Option<f64>,
    two_way: Option<(String, String)>,
    steps: usize,
    threads: Option<usize>,
) -> PyResult<Py<PyDict>> {
    let scenario = load(py, source, &set)?;
    let pair = api::compared(&scenario, strategy.as_deref(), comparator.as_deref()).map_err(|e| to_py(py, e))?;
    let names = two_way.as_ref().map(|(a, b)| [a.as_str(), b.as_str()]);
    let out = interruptible(py, threads, |_| api::dsa(&scenario, pair, wtp, names, steps))?;
    let d = files_and_warnings(py, &scenario, &out.files)?;
    d.bind(py).set_item("wtp", out.wtp)?;
    Ok(d)
}

/// `cirrhosim threshold` in memory: `{files, warnings, parameters, wtp}`.
#[pyfunction]
#[pyo3(signature = (source, set, parameters, wtp, strategy, comparator, between))]
#[allow(clippy::too_many_arguments)]
fn threshold(
    py: Python<'_>,
    source: Source,
    set: Vec<(String, f64)>,
    parameters: Vec<String>,
    wtp: Vec<f64>,
    strategy: Option<String>,
    comparator: Option<String>,
    between: Option<(f64, f64)>,
) -> PyResult<Py<PyDict>> {
    let scenario = load(py, source, &set)?;
    let pair = api::compared(&scenario, strategy.as_deref(), comparator.as_deref()).map_err(|e| to_py(py, e))?;
    let out = interruptible(py, None, |_| api::threshold(&scenario, pair, &parameters, &wtp, between))?;
    let d = files_and_warnings(py, &scenario, &out.files)?;
    d.bind(py).set_item("parameters", out.parameters)?;
    d.bind(py).set_item("wtp", out.wtp)?;
    Ok(d)
}

/// The embedded default scenario's TOML text.
#[pyfunction]
fn default_scenario() -> &'static str {
    cirrhosim::scenario::DEFAULT_SCENARIO
}

#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("NativeError", m.py().get_type::<NativeError>())?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add_function(wrap_pyfunction!(check, m)?)?;
    m.add_function(wrap_pyfunction!(run, m)?)?;
    m.add_function(wrap_pyfunction!(psa, m)?)?;
    m.add_function(wrap_pyfunction!(dsa, m)?)?;
    m.add_function(wrap_pyfunction!(threshold, m)?)?;
    m.add_function(wrap_pyfunction!(default_scenario, m)?)?;
    Ok(())
}
