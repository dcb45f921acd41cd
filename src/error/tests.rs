//! Messages of the error types: file, line, key and rule in the words users see.

use super::*;

#[test]
fn one_problem_names_file_line_key_and_rule() {
    let e = Error::Invalid {
        file: "scenarios/x.toml".into(),
        problems: vec![Problem::new(
            "transitions[1].to",
            Some(12),
            ProblemKind::UnknownState { name: "decomp".into(), known: "compensated, death".into() },
        )],
    };
    assert_eq!(
        e.to_string(),
        "scenarios/x.toml:12: transitions[1].to: unknown state \"decomp\" (states: compensated, death)"
    );
}

/// Issue 10: `No such file or directory (os error 2): No such file or directory`.
#[test]
fn the_os_cause_is_printed_once() {
    let e = Error::Read { path: "x.toml".into(), cause: std::io::Error::from(std::io::ErrorKind::NotFound) };
    let chain = format!("{:#}", anyhow::Error::from(e));
    assert_eq!(chain.matches("entity not found").count(), 1, "{chain}");
    let e = Error::Draw { draw: 3, cause: Box::new(Error::Optimiser { message: "m".into() }) };
    assert_eq!(format!("{:#}", anyhow::Error::from(e)), "PSA draw 3: the optimiser failed: m");
}

#[test]
fn several_problems_are_all_listed() {
    let e = Error::Invalid {
        file: "f.toml".into(),
        problems: vec![
            Problem::new("a", None, ProblemKind::Empty { what: "states" }),
            Problem::new("b", Some(3), ProblemKind::LifetimeWithoutLifeTable),
        ],
    };
    let text = e.to_string();
    assert!(text.starts_with("f.toml: 2 problems\n  f.toml: a: no states defined"));
    assert!(text.contains("\n  f.toml:3: b: horizon = \"lifetime\""));
}
