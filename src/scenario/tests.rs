//! Scenario parsing and validation: what is accepted, and how it is resolved.

use super::*;
use crate::model::Model;

const BASE: &str = r#"
[scenario]
name = "t"
[settings]
cycle_length = "1 month"
horizon = "2 years"
patients = 10
seed = 3
[cohort]
start_age = [{ age = 60, weight = 0.25 }, { age = 70.5, weight = 0.75 }]
fraction_male = 1.0
start_state = { a = 1.0 }
[background_mortality]
life_table = "us_2021"
to = "dead"
[[states]]
name = "a"
[[states]]
name = "b"
[[states]]
name = "dead"
absorbing = true
alive = false
[parameters.dur]
value = 3
kind = "months"
source = "test"
[[transitions]]
from = "a"
to = "b"
probability = 0.5
over = "5 years"
[[transitions]]
from = "a"
to = "dead"
rate = 0.2
[[strategies]]
name = "x"
[[strategies.effects]]
from = "a"
hazard_ratio = 0.5
duration = "dur"
waning = { shape = "exponential", over = "1 month" }
"#;

fn parse(text: &str) -> Result<Scenario> {
    Scenario::from_toml("t.toml", text, Path::new("."))
}

#[test]
fn everything_resolves() {
    let s = parse(BASE).unwrap();
    assert_eq!(s.n_cycles, 24);
    assert_eq!(s.cohort.age_groups.len(), 2);
    assert_eq!(s.transitions[0].spec, ExitSpec::ProbabilityOver { value: Value::Literal(0.5), years: 5.0 });
    // An effect without `to` applies to every non-complement exit of `from`.
    let targets: Vec<usize> = s.strategies[0].effects.iter().map(|e| e.to).collect();
    assert_eq!(targets, vec![1, 2]);
    assert_eq!(s.strategies[0].effects[0].duration.unwrap().years(&s.base_values()), 0.25);
    assert!(s.warnings.is_empty());
    // Only men: two groups (two start ages), weights carried over.
    let m = Model::from_scenario(&s).unwrap();
    assert_eq!(m.groups.len(), 2);
    assert_eq!(m.groups[1].weight, 0.75);
}

#[test]
fn lifetime_horizon_runs_to_age_120_from_the_youngest() {
    let s = parse(&BASE.replace("horizon = \"2 years\"", "horizon = \"lifetime\"")).unwrap();
    assert_eq!(s.horizon, Horizon::Lifetime);
    assert_eq!(s.n_cycles, (120 - 60) * 12);
}

#[test]
fn parameter_csv_library_is_loaded_and_only_used_rows_are_checked() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("p.csv"),
        "name,value,unit,kind,dist,dist_a,dist_b,low,high,source,note\n\
         r_ab,0.3,per year,annual_rate,gamma,9,0.0333,0.1,0.5,Some study 2020,\n\
         n_infusions,3,infusions,proportion,fixed,3,,1,4,A count filed as a proportion,\n\
         r_bad,-1,per year,annual_rate,,,,,,,\n",
    )
    .unwrap();
    let text = format!("parameter_files = [\"p.csv\"]\n{}", BASE.replace("rate = 0.2", "rate = \"r_ab\""));
    let s = Scenario::from_toml("t.toml", &text, dir.path()).unwrap();
    let p = &s.parameters[s.parameters.iter().position(|p| p.name == "r_ab").unwrap()];
    assert_eq!(p.value, 0.3);
    assert_eq!(p.source.as_deref(), Some("Some study 2020"));
    assert!(p.origin.ends_with("p.csv line 2"), "{}", p.origin);
    // Using the bad row is an error that names the CSV.
    let text = format!("parameter_files = [\"p.csv\"]\n{}", BASE.replace("rate = 0.2", "rate = \"r_bad\""));
    let e = Scenario::from_toml("t.toml", &text, dir.path()).unwrap_err().to_string();
    assert!(e.contains("parameters.r_bad (") && e.contains("p.csv line 4)") && e.contains("must be >= 0"), "{e}");
    // An inline table overrides the CSV row.
    let text = format!(
        "parameter_files = [\"p.csv\"]\n{}\n[parameters.r_ab]\nvalue = 0.4\nkind = \"annual_rate\"\nsource = \"override\"\n",
        BASE.replace("rate = 0.2", "rate = \"r_ab\"")
    );
    let s = Scenario::from_toml("t.toml", &text, dir.path()).unwrap();
    assert_eq!(s.parameters.iter().find(|p| p.name == "r_ab").unwrap().value, 0.4);
}

#[test]
fn used_parameter_without_source_is_a_warning_not_an_error() {
    let text = BASE.replace("rate = 0.2", "rate = \"r\"") + "[parameters.r]\nvalue = 0.2\nkind = \"annual_rate\"\n";
    let s = parse(&text).unwrap();
    assert_eq!(s.warnings.len(), 1);
    assert_eq!(
        s.warnings[0].to_string(),
        "parameters.r: parameter \"r\" has no source; every number should say where it comes from"
    );
}

#[test]
fn effect_duration_must_be_a_time_parameter() {
    let text = BASE.replace("kind = \"months\"", "kind = \"cost\"");
    let e = parse(&text).unwrap_err().to_string();
    assert!(e.contains("parameter \"dur\" is a cost but is used as a duration (kind months or years)"), "{e}");
}

#[test]
fn probability_without_period_and_period_without_probability() {
    let e = parse(&BASE.replace("over = \"5 years\"\n", "")).unwrap_err().to_string();
    assert!(e.contains("transitions[0].over: give exactly one of over"), "{e}");
    let e = parse(&BASE.replace("rate = 0.2", "rate = 0.2\nover = \"1 year\"")).unwrap_err().to_string();
    assert!(e.contains("transitions[1].over"), "{e}");
}

#[test]
fn two_exits_given_for_one_transition_is_an_error() {
    let e = parse(&BASE.replace("rate = 0.2", "rate = 0.2\nannual_probability = 0.1")).unwrap_err().to_string();
    assert!(e.contains("transitions[1]: give exactly one of rate, annual_probability"), "{e}");
}

#[test]
fn non_finite_numbers_are_rejected() {
    let e = parse(&BASE.replace("rate = 0.2", "rate = nan")).unwrap_err().to_string();
    assert!(e.contains("NaN is not a valid annual_rate: must be a finite number"), "{e}");
}

#[test]
fn repeated_courses_give_every_infusion_time() {
    let text = BASE.replace(
        "[[strategies]]\nname = \"x\"",
        "[[strategies]]\nname = \"x\"\nschedule = { infusions = 3, interval = \"4 weeks\", courses = 2, course_interval = \"6 months\" }",
    );
    let s = parse(&text).unwrap();
    let times = s.strategies[0].schedule.as_ref().unwrap().infusion_times();
    let w = 28.0 / 365.25;
    let want = [0.0, w, 2.0 * w, 0.5, 0.5 + w, 0.5 + 2.0 * w];
    assert_eq!(times.len(), 6);
    for (a, b) in times.iter().zip(want) {
        assert!((a - b).abs() < 1e-12, "{times:?}");
    }
    let e = parse(&text.replace(", course_interval = \"6 months\"", "")).unwrap_err().to_string();
    assert!(e.contains("schedule.course_interval: give exactly one of course_interval with courses > 1"), "{e}");
}
