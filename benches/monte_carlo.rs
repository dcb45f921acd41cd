//! Monte Carlo throughput on the default scenario, in patient-cycles per second
//! (patients x strategies x cycles of the horizon, the same count as `cirrhosim run --timing`),
//! with per-patient costs and QALYs and, for comparison, survival only.

use cirrhosim::engine::{NoProgress, sim_patients};
use cirrhosim::{model::Model, scenario::Scenario};
// The same allocator as the `cirrhosim` binary, so the figures are the CLI's.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use std::hint::black_box;

fn monte_carlo(c: &mut Criterion) {
    let scenario = Scenario::default_scenario().unwrap();
    let model = Model::from_scenario(&scenario).unwrap();
    let mut group = c.benchmark_group("monte_carlo");
    for patients in [100_000u64, 1_000_000] {
        let patient_cycles = patients * model.n_strategies() as u64 * model.n_cycles as u64;
        group.throughput(Throughput::Elements(patient_cycles));
        group.sample_size(10);
        group.bench_function(format!("default_scenario_{patients}_patients"), |b| {
            b.iter(|| sim_patients(black_box(&model), patients, 20261123, &NoProgress))
        });
    }
    // The same model without costs and utilities: survival only, no per-patient valuation.
    let mut survival_only = scenario.clone();
    survival_only.economics = None;
    survival_only.rewards.clear();
    let bare = Model::from_scenario(&survival_only).unwrap();
    let patients = 1_000_000u64;
    group.throughput(Throughput::Elements(patients * bare.n_strategies() as u64 * bare.n_cycles as u64));
    group.bench_function("default_scenario_survival_only_1000000_patients", |b| {
        b.iter(|| sim_patients(black_box(&bare), patients, 20261123, &NoProgress))
    });
    group.finish();
}

criterion_group!(benches, monte_carlo);
criterion_main!(benches);
