//! The exact cohort trace of the default scenario (540 monthly cycles, 12 sub-cohorts by MELD
//! stratum and sex, 2 strategies, 9 states), and building the model's transition rows from the scenario.

use cirrhosim::engine::sim_cohort;
use cirrhosim::{model::Model, scenario::Scenario};
// The same allocator as the `cirrhosim` binary, so the figures are the CLI's.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use std::hint::black_box;

fn cohort(c: &mut Criterion) {
    let scenario = Scenario::default_scenario().unwrap();
    let model = Model::from_scenario(&scenario).unwrap();
    let mut group = c.benchmark_group("cohort");
    group.throughput(Throughput::Elements(model.n_cycles as u64));
    group.bench_function("default_scenario_trace_one_strategy", |b| b.iter(|| sim_cohort(black_box(&model), 1)));
    group.bench_function("default_scenario_trace_all_strategies", |b| {
        b.iter(|| (0..model.n_strategies()).map(|s| sim_cohort(black_box(&model), s)).collect::<Vec<_>>())
    });
    group.bench_function("default_scenario_build_model", |b| {
        b.iter(|| Model::from_scenario(black_box(&scenario)).unwrap())
    });
    group.finish();
}

criterion_group!(benches, cohort);
criterion_main!(benches);
