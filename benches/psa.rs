//! Probabilistic sensitivity analysis throughput (draws per second) with the exact cohort engine,
//! including sampling, formulas, model building, the strategies' traces, valuation and the
//! streaming accumulators: on the default scenario (the nine-state calibrated model of issue 13,
//! 12 MELD x sex profiles), on the four-state model that was the default until then (the series
//! the model-language issue's 10,000 draws/s target was set on), and on a textbook model (the DARTH
//! Sick-Sicker model cut to 30 yearly cycles and 2 strategies, 16 uncertain parameters, derived
//! probabilities by formula), run on one thread as the model-language issue states its target;
//! and one Monte Carlo draw for comparison. Each iteration is `runner::run`: the model built, the
//! draws, their sums and their rows written to `psa_draws.csv.partial` by the writer thread (the
//! CLI's throughput line); not the publication after it (`runner::publish`: the value of
//! information, the reports, every file forced to disk), which `psa --timing` adds up separately.

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
    let four_state_path = std::path::PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/scenarios/four_state.toml"));
    let four_state = Scenario::load(&four_state_path).unwrap();
    let four_state_source = ScenarioSource::read(Some(&four_state_path)).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut group = c.benchmark_group("psa");
    group.sample_size(10);
    let cohort = |s: &Scenario, draws| PsaSettings {
        scenario: s.name.clone(),
        draws,
        seed: 1,
        engine: PsaEngine::Cohort,
        shard: Shard::ALL,
        by: Vec::new(),
    };
    let draws = 2000;
    group.throughput(Throughput::Elements(draws));
    group.bench_function("four_state_scenario_cohort_2000_draws", |b| {
        b.iter(|| {
            run(&four_state, &four_state_source, &cohort(&four_state, draws), dir.path(), false, &NoProgress).unwrap()
        })
    });
    let draws = 200;
    group.throughput(Throughput::Elements(draws));
    group.bench_function("default_scenario_cohort_200_draws", |b| {
        b.iter(|| run(&scenario, &source, &cohort(&scenario, draws), dir.path(), false, &NoProgress).unwrap())
    });
    // The textbook model: Sick-Sicker, 30 cycles (31 boundaries), standard care vs A + B.
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/scenarios/sick_sicker.toml"))
        .unwrap()
        .replace("horizon = \"75 years\"", "horizon = \"30 years\"")
        .replace("[[strategies]]\nname = \"a\"", "[[unused_a]]\nname = \"a\"")
        .replace("[[strategies]]\nname = \"b\"", "[[unused_b]]\nname = \"b\"")
        .replace("[\"soc\", \"a\"]", "[\"soc\"]")
        .replace("[\"soc\", \"b\"]", "[\"soc\"]")
        .replace("[\"b\", \"ab\"]", "[\"ab\"]")
        .replace("[\"a\", \"ab\"]", "[\"ab\"]");
    let text: String = strip_tables(&text, &["[[unused_a]]", "[[unused_b]]"]);
    let textbook = Scenario::from_toml("textbook.toml", &text, std::path::Path::new(".")).unwrap();
    let textbook_source = ScenarioSource { path: None, text, set: Vec::new() };
    let one_thread = rayon::ThreadPoolBuilder::new().num_threads(1).build().unwrap();
    let draws = 20_000;
    group.throughput(Throughput::Elements(draws));
    group.bench_function("textbook_sick_sicker_30_cycles_2_strategies_one_thread_20000_draws", |b| {
        b.iter(|| {
            let settings = PsaSettings {
                scenario: textbook.name.clone(),
                draws,
                seed: 1,
                engine: PsaEngine::Cohort,
                shard: Shard::ALL,
                by: Vec::new(),
            };
            one_thread.install(|| run(&textbook, &textbook_source, &settings, dir.path(), false, &NoProgress).unwrap())
        })
    });
    let patients = 100_000;
    let draws = 16;
    group.throughput(Throughput::Elements(draws * patients * 2 * scenario.n_cycles as u64));
    group.bench_function("default_scenario_monte_carlo_16_draws_100000_patients", |b| {
        b.iter(|| {
            let settings = PsaSettings {
                scenario: scenario.name.clone(),
                draws,
                seed: 1,
                engine: PsaEngine::MonteCarlo { patients },
                shard: Shard::ALL,
                by: Vec::new(),
            };
            run(&scenario, &source, &settings, dir.path(), false, &NoProgress).unwrap()
        })
    });
    group.finish();
}

/// The text without the tables that start with any of `headers` (up to the next table).
fn strip_tables(text: &str, headers: &[&str]) -> String {
    let mut keep = true;
    let mut out = String::new();
    for line in text.lines() {
        if line.starts_with('[') {
            keep = !headers.contains(&line.trim());
        }
        if keep {
            out.push_str(line);
            out.push('\n');
        }
    }
    out
}

criterion_group!(benches, psa);
criterion_main!(benches);
