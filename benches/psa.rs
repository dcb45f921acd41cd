//! Probabilistic sensitivity analysis throughput on the default scenario (draws per second),
//! with the exact cohort engine, including sampling, model building, both strategies' traces,
//! valuation and the streaming accumulators; and one Monte Carlo draw for comparison.

use cirrhosim::analysis::psa::runner::{ScenarioSource, run};
use cirrhosim::analysis::psa::{PsaEngine, PsaSettings, Shard};
use cirrhosim::engine::NoProgress;
use cirrhosim::scenario::Scenario;
// The same allocator as the `cirrhosim` binary, so the figures are the CLI's.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};

fn psa(c: &mut Criterion) {
    let scenario = Scenario::default_scenario().unwrap();
    let source = ScenarioSource::read(None).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut group = c.benchmark_group("psa");
    group.sample_size(10);
    let draws = 2000;
    group.throughput(Throughput::Elements(draws));
    group.bench_function("default_scenario_cohort_2000_draws", |b| {
        b.iter(|| {
            let settings = PsaSettings {
                scenario: scenario.name.clone(),
                draws,
                seed: 1,
                engine: PsaEngine::Cohort,
                shard: Shard::ALL,
            };
            run(&scenario, &source, &settings, dir.path(), false, &NoProgress).unwrap()
        })
    });
    let patients = 100_000;
    let draws = 16;
    group.throughput(Throughput::Elements(draws * patients * 2 * 480));
    group.bench_function("default_scenario_monte_carlo_16_draws_100000_patients", |b| {
        b.iter(|| {
            let settings = PsaSettings {
                scenario: scenario.name.clone(),
                draws,
                seed: 1,
                engine: PsaEngine::MonteCarlo { patients },
                shard: Shard::ALL,
            };
            run(&scenario, &source, &settings, dir.path(), false, &NoProgress).unwrap()
        })
    });
    group.finish();
}

criterion_group!(benches, psa);
criterion_main!(benches);
