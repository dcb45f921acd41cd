//! Monte Carlo throughput in patient-cycles per second (patients x strategies x cycles of the
//! horizon, the same count as `cirrhosim run --timing`), on the default scenario (540 monthly
//! cycles, 12 MELD x sex profiles, half of the patients dead within 5 years) and `scenarios/compensated.toml` (a lifetime
//! horizon of compensated patients who live for decades), each in a 1-thread and a 2-thread rayon
//! pool: the ratio of the two throughputs is the parallel speed-up. Results are bit-identical in
//! both pools. One survival-only run (no per-patient valuation) for comparison.
//!
//! The machine may be shared: compare the 1- and 2-thread figures from the same run, and repeat
//! when another process was busy (criterion's spread shows it).

use cirrhosim::engine::monte_carlo::patient_cycles;
use cirrhosim::engine::{NoProgress, sim_patients};
use cirrhosim::{model::Model, scenario::Scenario};
// The same allocator as the `cirrhosim` binary, so the figures are the CLI's.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use std::hint::black_box;
use std::path::Path;

const PATIENTS: u64 = 100_000;
const SEED: u64 = 20261123;

fn scenarios() -> Vec<(&'static str, Scenario)> {
    let compensated = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/scenarios/compensated.toml"));
    vec![("default", Scenario::default_scenario().unwrap()), ("compensated", Scenario::load(compensated).unwrap())]
}

fn threads(c: &mut Criterion) {
    let mut group = c.benchmark_group("monte_carlo");
    group.sample_size(10);
    for (name, scenario) in scenarios() {
        let model = Model::from_scenario(&scenario).unwrap();
        group.throughput(Throughput::Elements(patient_cycles(&model, PATIENTS).unwrap()));
        let mut first = None;
        for n_threads in [1, 2] {
            let pool = rayon::ThreadPoolBuilder::new().num_threads(n_threads).build().unwrap();
            let run = || pool.install(|| sim_patients(black_box(&model), PATIENTS, SEED, &NoProgress).unwrap());
            // Same numbers in both pools, or the speed-up means nothing.
            let result = run();
            assert_eq!(*first.get_or_insert_with(|| result.clone()), result, "{name}: results differ by threads");
            group.bench_function(format!("{name}_{PATIENTS}_patients_{n_threads}_thread"), |b| b.iter(run));
        }
    }
    group.finish();
}

fn survival_only(c: &mut Criterion) {
    // The default model without costs and utilities: survival only, no per-patient valuation.
    let mut scenario = Scenario::default_scenario().unwrap();
    scenario.economics = None;
    scenario.rewards.clear();
    let bare = Model::from_scenario(&scenario).unwrap();
    let pool = rayon::ThreadPoolBuilder::new().num_threads(1).build().unwrap();
    let mut group = c.benchmark_group("monte_carlo");
    group.sample_size(10);
    group.throughput(Throughput::Elements(patient_cycles(&bare, PATIENTS).unwrap()));
    group.bench_function(format!("default_survival_only_{PATIENTS}_patients_1_thread"), |b| {
        b.iter(|| pool.install(|| sim_patients(black_box(&bare), PATIENTS, SEED, &NoProgress).unwrap()))
    });
    group.finish();
}

/// The default scenario with three covariates (issue "Patients, not only a cohort"): baseline
/// The four-state model with MELD (8 quantile strata) in the death hazard, etiology (3 levels) and abstinence (2 levels) in
/// it too; 96 profiles (x 2 sexes) instead of 2. Against the same model without covariates, on
/// one thread: the patient loop should stay table lookups (target: at least 60% of the speed).
fn covariates(c: &mut Criterion) {
    // The four-state model (the default until issue 13, which has no [population] of its own).
    let four_state = concat!(env!("CARGO_MANIFEST_DIR"), "/scenarios/four_state.toml");
    let text = std::fs::read_to_string(four_state)
        .unwrap()
        .replace(
            "rate = \"r_decomp_death\"",
            "rate = \"r_decomp_death * 1.105 ^ (meld - 15) * (1 + 0.2 * etiology_alcohol) * (1 - 0.3 * abstinent_yes)\"",
        )
        .replace(
            "[background_mortality]",
            "[population]\nnodes = 8\n[population.covariates.meld]\ndistribution = { type = \"normal\", mean = 15, sd = 6, low = 6, high = 40 }\n[population.covariates.etiology]\nlevels = { hbv = 0.3, alcohol = 0.5, other = 0.2 }\n[population.covariates.abstinent]\nlevels = { yes = 0.4, no = 0.6 }\n\n[background_mortality]",
        );
    let with = Scenario::from_toml("covariates.toml", &text, Path::new(".")).unwrap();
    let without = Scenario::load(Path::new(four_state)).unwrap();
    let pool = rayon::ThreadPoolBuilder::new().num_threads(1).build().unwrap();
    let mut group = c.benchmark_group("monte_carlo");
    group.sample_size(10);
    for (name, scenario) in
        [("four_state_without_covariates", &without), ("four_state_with_3_covariates_96_profiles", &with)]
    {
        let model = Model::from_scenario(scenario).unwrap();
        group.throughput(Throughput::Elements(patient_cycles(&model, PATIENTS).unwrap()));
        group.bench_function(format!("{name}_{PATIENTS}_patients_1_thread"), |b| {
            b.iter(|| pool.install(|| sim_patients(black_box(&model), PATIENTS, SEED, &NoProgress).unwrap()))
        });
    }
    group.finish();
}

criterion_group!(benches, threads, survival_only, covariates);
criterion_main!(benches);
