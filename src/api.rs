//! Whole analyses in memory, for the commands and for programs that call cirrhosim as a library
//! (the Python package in `python/`).
//!
//! Each function takes a checked [`Scenario`] and returns the very files its command writes
//! (`cirrhosim run`, `psa`, `dsa`, `threshold`) as [`OutputFile`]s, with the analysis types they
//! were rendered from, and writes nothing. The commands in `src/cli/` call these functions and
//! publish what they return, so a binding's results and the command's files cannot drift apart.
//! [`load`] reads a scenario from a file, from TOML text or the embedded default, with parameter
//! values set by the caller; [`check`] lists a scenario's problems as records.

use crate::analysis::dsa::{self, Tornado};
use crate::analysis::psa::runner::{self, run_chunk};
use crate::analysis::psa::{PsaEngine, PsaResults, PsaSettings, Shard, Workspaces, sampling};
use crate::analysis::threshold::{self, Threshold};
use crate::analysis::{self, Evaluation, StrategySurvival, SubgroupResult, fingerprint};
use crate::engine::{self, Progress};
use crate::error::{Error, ProblemKind, Result};
use crate::io::{Fingerprint, OutputFile, draws};
use crate::model::Model;
use crate::model::subgroups::Subgroups;
use crate::report;
use crate::scenario::{Scenario, limits};
use serde::Serialize;
use std::path::PathBuf;
use std::time::Instant;

/// Where a scenario comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ScenarioInput {
    /// The embedded default scenario (`scenarios/default.toml`).
    Default,
    /// A scenario file; relative paths inside it resolve against its folder.
    File(PathBuf),
    /// Scenario text; `file` names it in messages, relative paths resolve against `base_dir`.
    Text { file: String, text: String, base_dir: PathBuf },
}

/// Reads and checks a scenario, with parameter values `set` by the caller (checked like the
/// file's: see [`Scenario::from_toml_with`]).
///
/// # Errors
/// [`Error::Read`], [`Error::Syntax`] or [`Error::Invalid`] (every problem, each with file, line
/// and key).
pub fn load(input: &ScenarioInput, set: &[(String, f64)]) -> Result<Scenario> {
    match input {
        ScenarioInput::Default => Scenario::default_scenario_with(set),
        ScenarioInput::File(path) => Scenario::load_with(path, set),
        ScenarioInput::Text { file, text, base_dir } => Scenario::from_toml_with(file, text, base_dir, set),
    }
}

/// One problem of a scenario, as a record for other languages (and `cirrhosim check --json`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ScenarioProblem {
    /// The scenario file (or the name given to scenario text).
    pub file: String,
    /// 1-based line, when the problem is on one line of the file.
    pub line: Option<usize>,
    /// Dotted key path (`transitions[2].to`, `set.c_msc_infusion.value`), when there is one.
    pub key: Option<String>,
    /// What is wrong, with the rule (and the fix when there is one).
    pub message: String,
}

/// The problems an error reports about a scenario: every problem of [`Error::Invalid`], the one
/// of [`Error::Syntax`]; `None` for other errors.
pub fn problems(error: &Error) -> Option<Vec<ScenarioProblem>> {
    match error {
        Error::Invalid { file, problems } => Some(
            problems
                .iter()
                .map(|p| ScenarioProblem {
                    file: file.clone(),
                    line: p.line,
                    key: Some(p.key.clone()),
                    message: p.kind.to_string(),
                })
                .collect(),
        ),
        Error::Syntax { file, line, message, .. } => {
            Some(vec![ScenarioProblem { file: file.clone(), line: Some(*line), key: None, message: message.clone() }])
        }
        _ => None,
    }
}

/// What `cirrhosim check` does, as records: reads and checks the scenario and builds its model.
/// Returns no problem for a scenario that runs; the problems of an invalid scenario or of a
/// model that cannot be built (a transition row that does not sum to 1, say) otherwise.
///
/// # Errors
/// Errors that are not about the scenario's content, such as [`Error::Read`] for a missing file.
pub fn check(input: &ScenarioInput, set: &[(String, f64)]) -> Result<Vec<ScenarioProblem>> {
    let scenario = match load(input, set) {
        Ok(s) => s,
        Err(e) => return problems(&e).ok_or(e),
    };
    Ok(match Model::from_scenario(&scenario) {
        Ok(_) => Vec::new(),
        Err(e) => vec![ScenarioProblem { file: scenario.file.clone(), line: None, key: None, message: e.to_string() }],
    })
}

/// The outputs of `cirrhosim run`.
#[derive(Debug)]
pub struct RunOutput {
    pub model: Model,
    pub results: Vec<StrategySurvival>,
    pub evaluation: Option<Evaluation>,
    /// The scenario's caveats, its assumed parameters and the threshold price and effect at each
    /// WTP (the `evidence` block of `summary.json`).
    pub evidence: analysis::evidence::Evidence,
    /// Results by subgroup, in the order of their names (empty without `by`).
    pub subgroups: Vec<SubgroupResult>,
    pub patients: u64,
    pub seed: u64,
    /// Wall-clock seconds of the Monte Carlo simulation alone (for `--timing`; in no file).
    pub simulation_seconds: f64,
    /// `survival.csv`, `summary.json` and, with economics, `cea.csv` and `nmb.csv`.
    pub files: Vec<OutputFile>,
}

/// Checks a number of patients given by the caller: 1 to [`limits::MAX_PATIENTS`].
///
/// # Errors
/// [`Error::Setting`] naming `patients`.
pub fn check_patients(patients: u64) -> Result<u64> {
    if (1..=limits::MAX_PATIENTS).contains(&patients) {
        Ok(patients)
    } else {
        Err(Error::Setting { flag: "patients", value: patients.to_string(), rule: "must be from 1 to 10^12" })
    }
}

/// `cirrhosim run`: the exact cohort and the Monte Carlo simulation of every strategy, on the
/// current rayon pool. `patients` and `seed` default to the scenario's.
///
/// # Errors
/// [`Error::Setting`] for 0 patients or more than the limit; model build and Monte Carlo errors;
/// [`Error::Interrupted`] when `progress` asks to stop.
///
/// # Examples
/// ```
/// use cirrhosim::{api, engine::NoProgress, scenario::Scenario};
/// let s = Scenario::default_scenario()?;
/// let out = api::run(&s, Some(500), Some(1), &NoProgress)?;
/// let names: Vec<_> = out.files.iter().map(|f| f.name.as_str()).collect();
/// assert_eq!(names, ["survival.csv", "summary.json", "cea.csv", "nmb.csv"]);
/// # Ok::<(), cirrhosim::Error>(())
/// ```
pub fn run(
    scenario: &Scenario,
    patients: Option<u64>,
    seed: Option<u64>,
    progress: &dyn Progress,
) -> Result<RunOutput> {
    run_by(scenario, patients, seed, &[], progress)
}

/// [`run`] with results by subgroup (`cirrhosim run --by`): `by` names covariates of the
/// scenario's `[population]` (a categorical one groups by its levels, a numeric one by its
/// bands; several make the cross-classification, see [`Subgroups`]). The files then have a
/// first column `subgroup` (`all` for the whole population, whose numbers are those of [`run`],
/// then each subgroup) and `summary.json` a block per subgroup. An empty `by` is [`run`].
///
/// # Errors
/// As [`run`]; [`Error::By`] for a name that cannot make subgroups (checked before anything runs).
///
/// # Examples
/// ```
/// use cirrhosim::{api, engine::NoProgress, scenario::Scenario};
/// let s = Scenario::load(std::path::Path::new("scenarios/meld_heterogeneity.toml"))?;
/// let out = api::run_by(&s, Some(2000), Some(1), &["etiology".to_string()], &NoProgress)?;
/// let names: Vec<_> = out.subgroups.iter().map(|g| g.name.as_str()).collect();
/// assert_eq!(names, ["etiology=alcohol", "etiology=hbv", "etiology=other"]);
/// let cea = String::from_utf8(out.files[2].bytes.clone()).unwrap();
/// assert!(cea.starts_with("subgroup,strategy,cost,"));
/// # Ok::<(), cirrhosim::Error>(())
/// ```
pub fn run_by(
    scenario: &Scenario,
    patients: Option<u64>,
    seed: Option<u64>,
    by: &[String],
    progress: &dyn Progress,
) -> Result<RunOutput> {
    let model = Model::from_scenario(scenario)?;
    let patients = check_patients(patients.unwrap_or(scenario.patients))?;
    let seed = seed.unwrap_or(scenario.seed);
    let subgroups = if by.is_empty() { None } else { Some(Subgroups::new(scenario, &model.groups, by)?) };
    let traces: Vec<_> = (0..model.n_strategies()).map(|s| engine::sim_cohort(&model, s)).collect();
    let started = Instant::now();
    let of_group = subgroups.as_ref().map_or(&[][..], |g| &g.of_group);
    let (mc, by_subgroup) = engine::sim_patients_by(&model, patients, seed, of_group, progress)?;
    let simulation_seconds = started.elapsed().as_secs_f64();
    let results = analysis::survival_analysis(&model, &traces, Some(&mc.counts));
    let evaluation = analysis::evaluate(&model, &traces, mc.values.as_ref());
    let evidence = analysis::evidence::evidence(scenario);
    let subgroups = subgroups.map(|g| analysis::subgroup_analysis(&model, &g, Some(&by_subgroup))).unwrap_or_default();
    let summary = report::json::summary_json(
        scenario,
        &model,
        patients,
        seed,
        &results,
        evaluation.as_ref(),
        &evidence,
        (by, &subgroups),
    );
    let survival = if by.is_empty() {
        report::csv::survival_csv(&model, &results)
    } else {
        report::csv::survival_csv_by(&model, &results, &subgroups)
    };
    let mut files = vec![OutputFile::new("survival.csv", survival), OutputFile::new("summary.json", summary)];
    if let (Some(ev), Some(econ)) = (&evaluation, &scenario.economics) {
        let (cea, nmb) = if by.is_empty() {
            (report::csv::cea_csv(&model, ev), report::csv::nmb_csv(&model, ev, &econ.wtp))
        } else {
            (
                report::csv::cea_csv_by(&model, ev, &subgroups),
                report::csv::nmb_csv_by(&model, ev, &econ.wtp, &subgroups),
            )
        };
        files.push(OutputFile::new("cea.csv", cea));
        files.push(OutputFile::new("nmb.csv", nmb));
    }
    Ok(RunOutput { model, results, evaluation, evidence, subgroups, patients, seed, simulation_seconds, files })
}

/// The fingerprint of a `run` with results by the covariates `by` (none: that of [`run`]).
pub fn run_fingerprint_by(scenario: &Scenario, patients: u64, seed: u64, by: &[String]) -> Fingerprint {
    let mut settings = vec![("patients", patients.to_string()), ("seed", seed.to_string())];
    if !by.is_empty() {
        settings.push(("by", by.join(",")));
    }
    fingerprint::of("run", scenario, &settings)
}

/// The fingerprint of a `run` (what its output folder's manifest records).
pub fn run_fingerprint(scenario: &Scenario, patients: u64, seed: u64) -> Fingerprint {
    run_fingerprint_by(scenario, patients, seed, &[])
}

/// The outputs of a whole PSA run, in memory.
#[derive(Debug)]
pub struct PsaOutput {
    pub settings: PsaSettings,
    /// Names of the varied parameters (the extra columns of `psa_draws.csv`).
    pub parameters: Vec<String>,
    pub results: PsaResults,
    /// `psa_draws.csv`, `ceac.csv`, `evpi.csv`, `survival_psa.csv` and `psa_summary.json`,
    /// byte for byte those of `cirrhosim psa` with the same settings.
    pub files: Vec<OutputFile>,
}

/// `cirrhosim psa` without a folder: no checkpoint, no shard, nothing written. Draws run in the
/// same chunks, in the same order, as [`runner::run`], on the current rayon pool; `draws`,
/// `seed` and the patients of the Monte Carlo engine default to the scenario's.
///
/// # Errors
/// [`Error::Invalid`] without `[economics]`; [`Error::Setting`] for 0 draws; the errors of a
/// draw ([`Error::Draw`], [`Error::NotFinite`]); [`Error::Interrupted`] when `progress` asks to
/// stop (checked between chunks).
pub fn psa(
    scenario: &Scenario,
    draws: Option<u64>,
    seed: Option<u64>,
    engine: PsaEngine,
    progress: &dyn Progress,
) -> Result<PsaOutput> {
    psa_by(scenario, draws, seed, engine, &[], progress)
}

/// [`psa`] by the subgroups of the covariates `by` as well (`cirrhosim psa --by`): `ceac.csv`
/// gets a first column `subgroup` and `psa_summary.json` a `subgroups` block; without `by`,
/// exactly [`psa`].
///
/// # Errors
/// As [`psa`], and [`Error::By`] when `by` cannot make subgroups of the scenario's population,
/// [`Error::Setting`] for `by` with the Monte Carlo engine.
pub fn psa_by(
    scenario: &Scenario,
    draws: Option<u64>,
    seed: Option<u64>,
    engine: PsaEngine,
    by: &[String],
    progress: &dyn Progress,
) -> Result<PsaOutput> {
    if scenario.economics.is_none() {
        return Err(Error::Invalid {
            file: scenario.file.clone(),
            problems: vec![crate::error::Problem::new("economics", None, ProblemKind::EconomicsNeeded)],
        });
    }
    let draws = draws.unwrap_or(scenario.psa.draws);
    if draws == 0 {
        return Err(Error::Setting { flag: "draws", value: "0".into(), rule: "must be at least 1" });
    }
    if let PsaEngine::MonteCarlo { patients } = engine {
        check_patients(patients)?;
    }
    let settings = PsaSettings {
        scenario: scenario.name.clone(),
        draws,
        seed: seed.unwrap_or(scenario.seed),
        engine,
        shard: Shard::ALL,
        by: by.to_vec(),
    };
    let varied = sampling::varied_parameters(scenario);
    let parameters: Vec<String> = varied.iter().map(|&i| scenario.parameters[i].name.clone()).collect();
    let model = Model::from_scenario(scenario)?;
    let mut state = runner::new_state(scenario, &model, &settings)?;
    let mut rows = draws::header(&parameters);
    let chunk = runner::chunk_size(engine, &model);
    // Threads start from copies of the model the draws' engine builds, as in `runner::run`: for
    // Monte Carlo that is `model` itself.
    let workspaces = match engine {
        PsaEngine::Cohort => Workspaces::seeded(&runner::base_model(scenario, engine)?),
        PsaEngine::MonteCarlo { .. } => Workspaces::seeded(&model),
    };
    progress.start(draws);
    let mut next = 0;
    while next < draws {
        if progress.stop_requested() {
            return Err(Error::Interrupted { what: "PSA" });
        }
        let end = (next + chunk).min(draws);
        rows.extend(run_chunk(scenario, &varied, &settings, next..end, &mut state, &workspaces, progress)?);
        progress.advance(end - next);
        next = end;
    }
    let results = state.finish();
    let table = draws::parse(std::path::Path::new(draws::ROWS_FILE), &rows)?;
    let values = report::psa::values(scenario, &table);
    let mut files = vec![OutputFile::new(draws::ROWS_FILE, rows)];
    files.extend([
        OutputFile::new("ceac.csv", report::psa::ceac_csv(&model, &results)),
        OutputFile::new("evpi.csv", report::psa::evpi_csv(&results, scenario.psa.population)),
        OutputFile::new("survival_psa.csv", report::psa::survival_psa_csv(&model, &results)),
        OutputFile::new(
            "psa_summary.json",
            report::psa::summary_json(scenario, &model, &settings, &parameters, &results, &values),
        ),
    ]);
    Ok(PsaOutput { settings, parameters, results, files })
}

/// The strategy (default: the last) and the comparator (default: the first) of `dsa` and
/// `threshold`, checked against the scenario: both must exist and differ.
///
/// # Errors
/// [`Error::UnknownStrategy`] listing the strategies; [`Error::Setting`] when both are one.
pub fn compared(scenario: &Scenario, strategy: Option<&str>, comparator: Option<&str>) -> Result<(usize, usize)> {
    let strategy = match strategy {
        Some(name) => scenario.strategy_index(name)?,
        None => scenario.strategies.len() - 1,
    };
    let comparator = match comparator {
        Some(name) => scenario.strategy_index(name)?,
        None => 0,
    };
    if strategy == comparator {
        return Err(Error::Setting {
            flag: "comparator",
            value: scenario.strategies[comparator].name.clone(),
            rule: "is the strategy itself; compare two different strategies (defaults: --strategy the last, --comparator the first)",
        });
    }
    Ok((strategy, comparator))
}

/// Checks a willingness to pay given by the caller: finite and >= 0.
///
/// # Errors
/// [`Error::Setting`] naming `wtp`.
pub fn check_wtp(wtp: f64) -> Result<f64> {
    if wtp.is_finite() && wtp >= 0.0 {
        Ok(wtp)
    } else {
        Err(Error::Setting { flag: "wtp", value: wtp.to_string(), rule: "must be a finite number >= 0 (per QALY)" })
    }
}

/// The outputs of `cirrhosim dsa`.
#[derive(Debug)]
pub struct DsaOutput {
    pub tornado: Tornado,
    /// The willingness to pay used (the caller's, else [`dsa::default_wtp`]).
    pub wtp: f64,
    /// `dsa.csv` and, with a two-way grid, `dsa_two_way.csv`.
    pub files: Vec<OutputFile>,
}

/// `cirrhosim dsa`: the one-way (tornado) analysis of every parameter with a range and, for
/// `two_way`, a `steps` x `steps` grid (2 to 1001), on the current rayon pool.
///
/// # Errors
/// As [`dsa::one_way`] and [`dsa::two_way`]; [`Error::Setting`] for a bad `wtp` or `steps`.
pub fn dsa(
    scenario: &Scenario,
    (strategy, comparator): (usize, usize),
    wtp: Option<f64>,
    two_way: Option<[&str; 2]>,
    steps: usize,
) -> Result<DsaOutput> {
    let wtp = check_wtp(wtp.unwrap_or_else(|| dsa::default_wtp(scenario)))?;
    if !(2..=1001).contains(&steps) {
        return Err(Error::Setting { flag: "steps", value: steps.to_string(), rule: "must be from 2 to 1001" });
    }
    let tornado = dsa::one_way(scenario, strategy, comparator, wtp)?;
    let mut files = vec![OutputFile::new("dsa.csv", report::csv::dsa_csv(&tornado))];
    if let Some(names) = two_way {
        let grid = dsa::two_way(scenario, names, steps, strategy, comparator, wtp)?;
        files.push(OutputFile::new("dsa_two_way.csv", report::csv::two_way_csv(names, &grid)));
    }
    Ok(DsaOutput { tornado, wtp, files })
}

/// The outputs of `cirrhosim threshold`.
#[derive(Debug)]
pub struct ThresholdOutput {
    pub rows: Vec<Threshold>,
    /// The parameters solved for (the caller's, else [`threshold::default_parameters`]).
    pub parameters: Vec<String>,
    /// The willingness-to-pay values (the caller's, else [`threshold::default_wtp`]).
    pub wtp: Vec<f64>,
    /// `threshold.csv`.
    pub files: Vec<OutputFile>,
}

/// `cirrhosim threshold`: the value of each parameter at which the strategy's incremental NMB
/// against the comparator is zero, at each willingness to pay.
///
/// # Errors
/// As [`threshold::thresholds`]; [`Error::Setting`] for a bad `wtp` or `between`.
pub fn threshold(
    scenario: &Scenario,
    (strategy, comparator): (usize, usize),
    parameters: &[String],
    wtp: &[f64],
    between: Option<(f64, f64)>,
) -> Result<ThresholdOutput> {
    let wtp = if wtp.is_empty() { threshold::default_wtp(scenario) } else { wtp.to_vec() };
    for &w in &wtp {
        check_wtp(w)?;
    }
    if let Some((low, high)) = between
        && !(low.is_finite() && high.is_finite() && low < high)
    {
        return Err(Error::Setting {
            flag: "between",
            value: format!("{low},{high}"),
            rule: "must be two finite numbers low,high with low < high, e.g. 0,20000",
        });
    }
    let parameters =
        if parameters.is_empty() { threshold::default_parameters(scenario, strategy) } else { parameters.to_vec() };
    let mut rows = Vec::new();
    for name in &parameters {
        rows.extend(threshold::thresholds(scenario, name, &wtp, strategy, comparator, between)?);
    }
    let files = vec![OutputFile::new("threshold.csv", report::csv::threshold_csv(&rows))];
    Ok(ThresholdOutput { rows, parameters, wtp, files })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::psa::runner::{PsaRun, ScenarioSource};
    use crate::engine::NoProgress;

    /// A progress that asks to stop after `after` calls to `advance`.
    struct StopAfter {
        after: u64,
        calls: std::sync::atomic::AtomicU64,
    }

    impl Progress for StopAfter {
        fn advance(&self, _done: u64) {
            self.calls.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        }
        fn stop_requested(&self) -> bool {
            self.calls.load(std::sync::atomic::Ordering::Relaxed) >= self.after
        }
    }

    #[test]
    fn the_in_memory_psa_gives_the_files_of_the_folder_run() {
        let s = Scenario::default_scenario().unwrap();
        let memory = psa(&s, Some(300), Some(11), PsaEngine::Cohort, &NoProgress).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let source = ScenarioSource::read(None).unwrap();
        let PsaRun::Done { checkpoint, results } =
            runner::run(&s, &source, &memory.settings, dir.path(), false, &NoProgress).unwrap()
        else {
            panic!("a fresh run is done")
        };
        let results = results.unwrap();
        let values = report::psa::values_from(&s, &dir.path().join(runner::ROWS_PARTIAL)).unwrap();
        let outputs = report::psa::outputs(&s, &Model::from_scenario(&s).unwrap(), &checkpoint, &results, &values);
        runner::publish(dir.path(), &checkpoint, outputs).unwrap();
        for f in &memory.files {
            let on_disk = std::fs::read(dir.path().join(&f.name)).unwrap();
            assert!(on_disk == f.bytes, "{} differs", f.name);
        }
        assert_eq!(memory.parameters, checkpoint.parameters);
    }

    #[test]
    fn a_stop_request_ends_runs_with_interrupted() {
        let s = Scenario::default_scenario().unwrap();
        let stop = StopAfter { after: 1, calls: Default::default() };
        let e = psa(&s, Some(1000), None, PsaEngine::Cohort, &stop).unwrap_err();
        assert!(matches!(e, Error::Interrupted { what: "PSA" }), "{e}");
        // 3 blocks of patients; the first one done asks to stop.
        let stop = StopAfter { after: 1, calls: Default::default() };
        let pool = rayon::ThreadPoolBuilder::new().num_threads(1).build().unwrap();
        let e = pool.install(|| run(&s, Some(3 * 1024), None, &stop)).unwrap_err();
        assert_eq!(
            e.to_string(),
            "Monte Carlo run: stopped before the end at the caller's request (interrupt); no results"
        );
    }

    /// Asks to stop from its second question on, and counts the work reported done.
    #[derive(Default)]
    struct StopOnSecondAsk {
        asked: std::sync::atomic::AtomicU64,
        advanced: std::sync::atomic::AtomicU64,
    }

    impl Progress for StopOnSecondAsk {
        fn advance(&self, done: u64) {
            self.advanced.fetch_add(done, std::sync::atomic::Ordering::Relaxed);
        }
        fn stop_requested(&self) -> bool {
            self.asked.fetch_add(1, std::sync::atomic::Ordering::Relaxed) >= 1
        }
    }

    #[test]
    fn a_stop_request_ends_a_psa_within_its_chunk() {
        // Asked only between chunks, the first chunk (256 draws) would finish before the stop.
        let s = Scenario::load(std::path::Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/scenarios/four_state.toml")))
            .unwrap();
        let stop = StopOnSecondAsk::default();
        let pool = rayon::ThreadPoolBuilder::new().num_threads(1).build().unwrap();
        let e = pool.install(|| psa(&s, Some(1000), None, PsaEngine::Cohort, &stop)).unwrap_err();
        assert!(matches!(e, Error::Interrupted { what: "PSA" }), "{e}");
        assert_eq!(stop.advanced.load(std::sync::atomic::Ordering::Relaxed), 0);
    }

    #[test]
    fn check_lists_problems_and_set_values_are_checked_like_the_file() {
        assert_eq!(check(&ScenarioInput::Default, &[]).unwrap(), []);
        let set = [("c_msc_infusion".to_string(), -1.0), ("no_such".to_string(), 1.0)];
        let problems = check(&ScenarioInput::Default, &set).unwrap();
        let keys: Vec<_> = problems.iter().map(|p| p.key.as_deref().unwrap()).collect();
        assert!(keys.contains(&"set.no_such"), "{problems:?}");
        assert!(problems.iter().all(|p| p.file == crate::scenario::DEFAULT_SCENARIO_NAME && p.line.is_none()));
        let text = ScenarioInput::Text { file: "t.toml".into(), text: "[scenario\n".into(), base_dir: ".".into() };
        let problems = check(&text, &[]).unwrap();
        assert_eq!((problems[0].file.as_str(), problems[0].line, problems[0].key.as_ref()), ("t.toml", Some(1), None));
        let missing = ScenarioInput::File("no/such/file.toml".into());
        assert!(matches!(check(&missing, &[]), Err(Error::Read { .. })));
    }

    #[test]
    fn compared_and_settings_name_the_rule() {
        let s = Scenario::default_scenario().unwrap();
        assert_eq!(compared(&s, None, None).unwrap(), (1, 0));
        assert!(
            compared(&s, Some("uc_msc"), Some("uc_msc")).unwrap_err().to_string().contains("is the strategy itself")
        );
        assert!(matches!(compared(&s, Some("nope"), None), Err(Error::UnknownStrategy { .. })));
        assert!(check_wtp(f64::NAN).is_err() && check_wtp(-1.0).is_err() && check_wtp(0.0).is_ok());
        assert!(dsa(&s, (1, 0), None, None, 1).unwrap_err().to_string().contains("--steps 1: must be from 2 to 1001"));
        assert!(threshold(&s, (1, 0), &[], &[], Some((2.0, 1.0))).is_err());
        assert!(check_patients(0).is_err());
    }
}
