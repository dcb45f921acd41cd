//! A PSA draw in a kept workspace gives the numbers of a draw built afresh: the model rebuilt in
//! place, the value tables from their plan (made again when a draw changes a discount rate) and
//! the cohort trace in reused memory are compared entry by entry, bit for bit.

use super::*;
use crate::engine::{CohortTrace, sim_cohort};
use crate::model::valuation::Valuation;
use std::path::Path;

fn scenario(file: &str, edit: impl Fn(String) -> String) -> Scenario {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios").join(file);
    let text = edit(std::fs::read_to_string(&path).unwrap());
    Scenario::from_toml(file, &text, path.parent().unwrap()).unwrap_or_else(|e| panic!("{e}"))
}

fn same_tables(a: &Valuation, b: &Valuation, what: &str) {
    assert_eq!(a.point.len(), b.point.len(), "{what}");
    for (i, (x, y)) in a.point.iter().zip(&b.point).enumerate() {
        assert_eq!(x.to_bits(), y.to_bits(), "{what}: point entry {i}: {x} vs {y}");
    }
    assert_eq!(a.n_moves(), b.n_moves(), "{what}");
    for q in 0..a.n_quantities {
        for t in 0..a.n_cycles {
            for m in 0..a.n_moves() {
                let (x, y) = (a.for_move_number(q, t, m), b.for_move_number(q, t, m));
                assert_eq!(x.to_bits(), y.to_bits(), "{what}: move {m} of quantity {q} in cycle {t}");
            }
        }
    }
}

/// The rows of `a` and `b`, their draw values (what the outcomes are computed from) and, unless
/// `a` is a model for outcomes only (whose rebuilds refresh no tables), their value tables.
fn same_models(a: &Model, b: &Model, outcomes_only: bool, what: &str) {
    assert_eq!(a.n_row_blocks(), b.n_row_blocks(), "{what}");
    for strategy in 0..a.n_strategies() {
        for group in 0..a.groups.len() {
            for cycle in 0..a.n_cycles {
                for slot in 0..a.slots().len() {
                    assert_eq!(
                        a.row(strategy, group, cycle, slot),
                        b.row(strategy, group, cycle, slot),
                        "{what}: strategy {strategy}, group {group}, cycle {cycle}, slot {slot}"
                    );
                }
            }
        }
    }
    for strategy in 0..a.n_strategies() {
        for group in 0..a.groups.len() {
            let ((_, ra, ia), (_, rb, ib)) =
                (a.outcome_values(strategy, group).unwrap(), b.outcome_values(strategy, group).unwrap());
            let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
            assert_eq!(bits(ra), bits(rb), "{what}: reward values of strategy {strategy}, group {group}");
            assert_eq!(ia, ib, "{what}: infusions of strategy {strategy}, group {group}");
        }
    }
    if outcomes_only {
        return;
    }
    for (s, (x, y)) in a.valuations.iter().flatten().zip(b.valuations.iter().flatten()).enumerate() {
        same_tables(x, y, &format!("{what}: strategy {s}"));
    }
}

/// Rebuilding one model through ten draws gives, at every draw, the model built afresh, for
/// models with time-in-state tunnels, sub-cohorts, effects, infusions and one-off move values
/// (default), formulas of model time and time in state in rewards and exits (Sick-Sicker with
/// tunnels), age-banded formulas (hip replacement), a drawn discount rate, and costs and
/// utilities that read the covariates, one table per (strategy, profile), with a drawn covariate
/// shift (meld_values).
#[test]
fn a_rebuilt_model_is_the_model_built_afresh() {
    let drawn_rate = |t: String| {
        t.replace(
            "[parameters.d_c]\nvalue = 0.03\nkind = \"proportion\"\ndistribution = { type = \"fixed\" }",
            "[parameters.d_c]\nvalue = 0.03\nkind = \"proportion\"\ndistribution = { type = \"beta\", alpha = 3, beta = 97 }",
        )
    };
    let scenarios = [
        ("default", Scenario::default_scenario().unwrap()),
        ("sick_sicker_timedep", scenario("sick_sicker_timedep.toml", |t| t)),
        ("thr_hesim", scenario("thr_hesim.toml", |t| t)),
        ("sick_sicker with a drawn discount rate", scenario("sick_sicker.toml", drawn_rate)),
        ("meld_values", scenario("meld_values.toml", |t| t)),
    ];
    for (name, s) in &scenarios {
        let varied = sampling::varied_parameters(s);
        if name.contains("drawn") {
            let d_c = s.parameters.iter().position(|p| p.name == "d_c").unwrap();
            assert!(varied.contains(&d_c), "the edit made the discount rate uncertain");
        }
        for (outcomes_only, build) in
            [(false, Model::build as fn(&Scenario, &[f64]) -> _), (true, Model::build_outcomes)]
        {
            let mut kept = build(s, &sampling::draw_values(s, &varied, 7, 0)).unwrap();
            let n_tables = kept.valuations.as_ref().map_or(0, Vec::len);
            let per_profile = *name == "meld_values";
            assert_eq!(kept.values_by_profile(), per_profile, "{name}");
            let expected = kept.n_strategies() * if per_profile { kept.groups.len() } else { 1 };
            assert_eq!(n_tables, expected, "{name}: one table per strategy, or per (strategy, profile)");
            for k in 1..10 {
                let values = sampling::draw_values(s, &varied, 7, k);
                kept.rebuild(s, &values).unwrap();
                same_models(&kept, &build(s, &values).unwrap(), outcomes_only, &format!("{name}, draw {k}"));
            }
        }
    }
}

/// The trace in reused memory equals a new one, and asking for some flows records exactly those.
#[test]
fn a_trace_in_reused_memory_is_the_new_trace() {
    let s = Scenario::default_scenario().unwrap();
    let varied = sampling::varied_parameters(&s);
    let model = Model::build(&s, &sampling::draw_values(&s, &varied, 3, 1)).unwrap();
    let n = model.n_states();
    let mut trace = CohortTrace::empty();
    let mut scratch = Vec::new();
    // Only the moves out of the state the cohort starts in.
    let start = model.initial.iter().position(|&x| x > 0.0).unwrap();
    let moves: Vec<bool> = (0..n * n).map(|k| k / n == start).collect();
    for strategy in [1, 0, 1] {
        let fresh = sim_cohort(&model, strategy);
        sim_cohort_into(&model, strategy, &mut trace, &mut scratch, None);
        assert_eq!((&trace.occupancy, &trace.slot_occupancy), (&fresh.occupancy, &fresh.slot_occupancy));
        assert!(trace.flows.is_empty());
        sim_cohort_into(&model, strategy, &mut trace, &mut scratch, Some(&moves));
        assert_eq!(trace.occupancy, fresh.occupancy);
        for (k, (x, y)) in trace.flows.iter().zip(&fresh.flows).enumerate() {
            let from = (k / n) % n;
            assert_eq!(*x, if from == start { *y } else { 0.0 }, "flow {k}");
        }
        assert!(fresh.flows.iter().enumerate().any(|(k, f)| (k / n) % n == start && *f > 0.0), "some flow recorded");
    }
}

/// `psa --by`: a draw's outcomes by subgroup are those `run --by` computes on the draw's model
/// ([`crate::analysis::subgroup_analysis`]), and weighted by the subgroups' shares they give the
/// whole population's outcomes of the draw to 1e-9 (relative); with one value table per
/// strategy (`meld_heterogeneity`) and with tables per profile (`meld_values`).
#[test]
fn subgroup_outcomes_are_run_by_and_mix_to_the_whole_population() {
    for file in ["meld_heterogeneity.toml", "meld_values.toml"] {
        let s = scenario(file, |t| t);
        let by = vec!["meld".to_string(), "etiology".to_string()];
        let settings = PsaSettings {
            scenario: s.name.clone(),
            draws: 4,
            seed: 7,
            engine: PsaEngine::Cohort,
            shard: Shard::ALL,
            by: by.clone(),
        };
        let varied = sampling::varied_parameters(&s);
        let mut ws = DrawWorkspace::default();
        for k in 0..4 {
            let (d, _) = draw_in(&s, &varied, &settings, k, &mut ws).unwrap();
            let model = Model::build(&s, &sampling::draw_values(&s, &varied, settings.seed, k)).unwrap();
            let subgroups = crate::model::subgroups::Subgroups::new(&s, &model.groups, &by).unwrap();
            assert_eq!(d.subgroups.len(), subgroups.len(), "{file}");
            assert_eq!(subgroups.len(), 9);
            let run_by = crate::analysis::subgroup_analysis(&model, &subgroups, None);
            for (g, r) in run_by.iter().enumerate() {
                for t in &r.evaluation.as_ref().unwrap().totals {
                    let expected = [t.cost, t.qaly, t.life_years];
                    assert_eq!(d.subgroups[g][t.strategy], expected, "{file} draw {k} {}", r.name);
                }
            }
            for s_ in 0..model.n_strategies() {
                for q in 0..3 {
                    let whole = d.outcomes[s_][q];
                    let mixed: f64 = subgroups.shares.iter().zip(&d.subgroups).map(|(w, o)| w * o[s_][q]).sum();
                    assert!((mixed - whole).abs() <= 1e-9 * whole.abs(), "{file} draw {k}: {mixed} vs {whole}");
                }
            }
        }
    }
}

/// A draw's survival, strategy after strategy in one list, is checked point by point: the first
/// point that is not finite is named by its strategy and cycle.
#[test]
fn a_survival_point_that_is_not_finite_is_named_by_strategy_and_cycle() {
    let s = scenario("sick_sicker.toml", |t| t);
    let model = Model::from_scenario(&s).unwrap();
    let points = model.n_cycles + 1;
    let outcomes = vec![[1.0, 1.0, 1.0]; model.n_strategies()];
    let mut survival = vec![0.5; model.n_strategies() * points];
    assert!(check_finite(&model, 7, &outcomes, &survival).is_ok());
    survival[points + 3] = f64::NAN;
    survival[2 * points + 1] = f64::INFINITY;
    let e = check_finite(&model, 7, &outcomes, &survival).unwrap_err().to_string();
    let want = format!("overall survival of strategy \"{}\" at cycle 3", model.strategy_names[1]);
    assert!(e.contains(&want) && e.contains("draw 7"), "{e}");
}

/// Asks to stop once `after` draws have been asked about.
struct StopAfter {
    after: u64,
    asked: std::sync::atomic::AtomicU64,
}

impl crate::engine::Progress for StopAfter {
    fn stop_requested(&self) -> bool {
        self.asked.fetch_add(1, std::sync::atomic::Ordering::SeqCst) >= self.after
    }
}

/// A run stopped before its last draw saves a checkpoint whose rows are on disk; a complete run
/// saves none after its last draw (publishing forces its rows to disk and removes the
/// checkpoint), and a process that ends before publishing resumes to the same files.
#[test]
fn only_a_run_stopped_early_saves_a_checkpoint_at_its_end() {
    use runner::{CHECKPOINT_FILE, PsaRun, ROWS_PARTIAL, ScenarioSource};
    let s = scenario("sick_sicker.toml", |t| t);
    let text = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/sick_sicker.toml"));
    let source = ScenarioSource { path: None, text: text.unwrap(), set: Vec::new() };
    let settings = PsaSettings {
        scenario: s.name.clone(),
        draws: 1200,
        seed: 3,
        engine: PsaEngine::Cohort,
        shard: Shard::ALL,
        by: Vec::new(),
    };
    let dir = tempfile::tempdir().unwrap();
    let run = |name: &str, resume: bool, progress: &dyn crate::engine::Progress| {
        runner::run(&s, &source, &settings, &dir.path().join(name), resume, progress)
    };
    let finish = |name: &str, outcome: PsaRun| {
        let PsaRun::Done { checkpoint, .. } = outcome else { panic!("{name}: not done") };
        runner::publish(&dir.path().join(name), &checkpoint, Vec::new()).unwrap();
        std::fs::read(dir.path().join(name).join(crate::io::draws::ROWS_FILE)).unwrap()
    };
    let whole = finish("whole", run("whole", false, &NoProgress).unwrap());
    // Stopped after its first chunk: the checkpoint is saved, its rows on disk.
    let stop = StopAfter { after: 700, asked: 0.into() };
    assert!(matches!(run("cut", false, &stop), Err(Error::Interrupted { .. })));
    let saved: runner::Checkpoint =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("cut").join(CHECKPOINT_FILE)).unwrap()).unwrap();
    assert!(saved.next_draw > 0 && saved.next_draw < settings.draws, "{}", saved.next_draw);
    assert!(std::fs::metadata(dir.path().join("cut").join(ROWS_PARTIAL)).unwrap().len() >= saved.rows_bytes);
    // Resumed to the end (in well under a second: no checkpoint saved on the way) and not
    // published: the stopped run's checkpoint is still the one on disk, and resuming again
    // redoes the draws after it.
    let done = run("cut", true, &NoProgress).unwrap();
    assert!(matches!(done, PsaRun::Done { .. }));
    let still: runner::Checkpoint =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("cut").join(CHECKPOINT_FILE)).unwrap()).unwrap();
    assert_eq!(still.next_draw, saved.next_draw);
    let cut = finish("cut", run("cut", true, &NoProgress).unwrap());
    assert!(cut == whole, "resumed rows differ from those of an uninterrupted run");
    assert!(!dir.path().join("cut").join(CHECKPOINT_FILE).exists());
}
