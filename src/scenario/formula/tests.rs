//! Unit tests of formula reading, compiling and evaluation.

use super::*;

fn names(name: &str) -> Result<Resolved<'static>, FormulaError> {
    match name {
        "a" => Ok(Resolved::Parameter(0)),
        "b" => Ok(Resolved::Parameter(1)),
        "rate" => Ok(Resolved::Parameter(2)),
        _ => match TimeVar::from_name(name) {
            Some(v) => Ok(Resolved::Var(v)),
            None => Err(FormulaError::UnknownName {
                name: name.to_string(),
                hint: closest(name, ["a", "b", "rate"]).map(|c| format!("; did you mean {c}?")).unwrap_or_default(),
            }),
        },
    }
}

fn value(text: &str) -> f64 {
    let at = At { cycle: 3.0, cycle_years: 0.5, model_years: 1.5, age: 61.5, state_years: 1.0, ..At::default() };
    read(text, &mut names).unwrap_or_else(|e| panic!("{text}: {e}")).eval(&[2.0, 3.0, 0.1], &at)
}

fn error(text: &str) -> String {
    read(text, &mut names).unwrap_err().to_string()
}

#[test]
fn arithmetic_follows_the_usual_precedence() {
    assert_eq!(value("1 + 2 * 3"), 7.0);
    assert_eq!(value("(1 + 2) * 3"), 9.0);
    assert_eq!(value("a - b - 1"), -2.0);
    assert_eq!(value("12 / a / 3"), 2.0);
    assert_eq!(value("-a^2"), -4.0);
    assert_eq!(value("a^-1"), 0.5);
    assert_eq!(value("2 * -a"), -4.0);
    assert_eq!(value(" 1e-3 + 2.5E+2 + .5 "), 250.501);
    assert_eq!(value("1/2"), 0.5, "no integer division");
}

#[test]
fn comparisons_logic_and_if() {
    assert_eq!(value("a < b"), 1.0);
    assert_eq!(value("a >= b"), 0.0);
    assert_eq!(value("a == 2 && b != 2"), 1.0);
    assert_eq!(value("!(a < b) || 0"), 0.0);
    assert_eq!(value("if(age < 65, 0.0067, 0.01)"), 0.0067);
    assert_eq!(value("if(age >= 65, 0.0067, if(age >= 60, 0.02, 0.01))"), 0.02);
    assert!(value("if(0/0, 1, 2)").is_nan(), "a NaN condition is not silently false");
    assert!(value("min(1, 0/0)").is_nan());
}

#[test]
fn functions_and_time_variables() {
    let p = value("1 - exp(-rate * cycle_years)");
    assert!((p - (1.0 - (-0.05f64).exp())).abs() < 1e-15);
    assert!((value("rate_to_prob(rate, cycle_years)") - p).abs() < 1e-16);
    assert!((value("prob_to_rate(rate_to_prob(rate, 2), 2)") - 0.1).abs() < 1e-15);
    assert!((value("expit(logit(0.3))") - 0.3).abs() < 1e-15);
    assert_eq!(value("min(3, a, b) + max(1, 2, 0)"), 4.0);
    assert_eq!(value("pow(a, 3) + sqrt(16) + abs(-1) + floor(2.7) + ceil(2.2)"), 8.0 + 4.0 + 1.0 + 2.0 + 3.0);
    assert_eq!(value("cycle + model_years + state_years"), 5.5);
    assert!((value("ln(exp(2)) + log10(1000)") - 5.0).abs() < 1e-15);
    // A Weibull cumulative-hazard difference by cycle (Briggs et al. 2006, section 3.4).
    let w = value("1 - exp(0.0014 * (cycle^1.4 - (cycle + 1)^1.4))");
    assert!((w - (1.0 - (0.0014 * (3f64.powf(1.4) - 4f64.powf(1.4))).exp())).abs() < 1e-15);
}

#[test]
fn dependence_is_tracked() {
    let f = read("a * if(age < 65, 1, b) + state_years", &mut names).unwrap();
    assert_eq!(f.parameters(), &[0, 1]);
    assert!(f.depends().age && f.depends().state_years && !f.depends().model_time);
    assert!(read("a * b", &mut names).unwrap().depends().is_constant());
    assert!(read("cycle_years * a", &mut names).unwrap().depends().is_constant());
}

#[test]
fn inlined_formulas_bring_their_dependence() {
    let inner = read("a * age", &mut names).unwrap();
    let mut with_inner = |name: &str| if name == "d" { Ok(Resolved::Inline(9, &inner)) } else { names(name) };
    let f = read("d + 1", &mut with_inner).unwrap();
    assert!(f.depends().age);
    assert_eq!(f.eval(&[2.0], &At { age: 10.0, ..At::default() }), 21.0);
}

#[test]
fn errors_say_where_and_what() {
    assert_eq!(error("1 +"), "cannot read it as a formula: it ends too early at character 4");
    assert_eq!(
        error("a ^ b ^ 2"),
        "cannot read it as a formula: a second \"^\" (write (a^b)^c or a^(b^c)) at character 7"
    );
    assert_eq!(
        error("a < b < 2"),
        "cannot read it as a formula: a second comparison (write (a < b) && (b < c)) at character 7"
    );
    assert_eq!(error("2 # 3"), "cannot read it as a formula: unexpected \"#\" at character 3");
    assert_eq!(error("inf"), "unknown name \"inf\"");
    assert_eq!(error("raet * 2"), "unknown name \"raet\"; did you mean rate?");
    assert!(error("epx(1)").starts_with("unknown function \"epx\"; did you mean exp()? (functions: exp(x), "));
    assert!(error("if(a, 1)").starts_with("if() takes 3 arguments, not 2"));
    assert!(error("min(a)").starts_with("min() takes two or more arguments, not 1"));
    assert!(error(&"(".repeat(50)).contains("nest deeper than 24"));
    assert!(error(&"1+".repeat(1500)).contains("at most 2000 characters"));
    assert!(error(&"1+".repeat(151)).contains("at most 150 operators"));
}

#[test]
fn deep_prefix_chains_and_long_sums_stay_within_limits() {
    assert_eq!(value("-+-!0"), 1.0);
    assert!(error(&format!("{}1", "-".repeat(1000))).contains("more than 4 signs"));
    // The deepest formula the limits allow parses on a test thread's small stack.
    // The largest formulas the limits allow compile on a small (1 MiB) stack in a debug build.
    for text in [format!("{}1", "1+".repeat(150)), format!("{}1{}", "(----".repeat(24), ")".repeat(24))] {
        let small_stack = std::thread::Builder::new().stack_size(1 << 20);
        let ok = small_stack.spawn(move || read(&text, &mut names).is_ok()).unwrap().join().unwrap();
        assert!(ok);
    }
    // Right-nested sums need one stack slot per level.
    let nested = format!("{}1{}", "1+(".repeat(23), ")".repeat(23));
    assert_eq!(value(&nested), 24.0);
}
