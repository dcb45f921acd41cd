//! Reading a scenario file: TOML text -> a tree with positions -> the shape check -> serde's
//! [`RawScenario`].
//!
//! The text is parsed once into toml's spanned tree ([`DeTable`]). Only text that is not TOML at
//! all stops here ([`Error::Syntax`], with line and column). The tree is then walked against
//! [`super::schema::SCENARIO`], and every unknown key (with the closest known key of its table)
//! and every value of the wrong form ("expected a number, found the text \"abc\"") becomes a
//! located [`Problem`]; none stops the walk. Unknown keys are then removed from the tree, and so
//! are entries of the wrong form (see [`schema::IfMalformed`]), so that the rules can still check
//! the well-formed rest: `cirrhosim check` lists the shape problems and the rule problems together.
//! - An entry nothing refers to (`[[transitions]]`, `[[costs]]`, `[[utilities]]`,
//!   `[[strategies.effects]]`, ...) or a malformed `[economics]` or `[psa]` is simply left out.
//! - A state, strategy, parameter or table is left out and *forgotten*: the rules' problems that
//!   name it in quotes (`unknown state "sick"`) are consequences of leaving it out, not news.
//! - Anything else of the wrong form (`[settings]`, `[cohort]`, a state whose name cannot be read)
//!   leaves only the shape problems.
//!
//! Leaving an entry out shifts the positions of the entries after it; [`Read::adjust`] puts the
//! file's own indices back into the rules' key paths (`transitions[2]` stays `transitions[2]`).

use super::formula::closest;
use super::raw::RawScenario;
use super::schema::{self, Field, IfMalformed, Shape};
use super::validate::line_col;
use crate::error::{Error, Problem, ProblemKind, Result};
use serde::Deserialize;
use std::ops::Range;
use toml::Spanned;
use toml::de::{DeArray, DeTable, DeValue};

/// What reading gives: the raw scenario when the rules can check it, and the shape problems.
pub(super) struct Read {
    /// `None` when a shape problem leaves nothing the rules can check reliably.
    pub raw: Option<RawScenario>,
    /// Unknown keys and values of the wrong form, in file order.
    pub problems: Vec<Problem>,
    /// For each list whose malformed entries were left out: its key path and, for each entry
    /// kept, its index in the file.
    kept: Vec<(String, Vec<usize>)>,
    /// Tables left out because of a shape problem (see [`schema::DROPPABLE_TABLES`]).
    dropped: Vec<&'static str>,
    /// Names of states, strategies, parameters and tables left out ([`IfMalformed::Forget`]).
    forgotten: Vec<String>,
    /// Lists that lost an entry with a name: "no states defined" may be only a consequence.
    emptied: Vec<String>,
}

/// Parses `text` and checks its shape; see the module comment.
///
/// # Errors
/// [`Error::Syntax`] if the text is not TOML.
pub(super) fn read(file: &str, text: &str) -> Result<Read> {
    let mut root = DeTable::parse(text).map_err(|e| {
        let (line, column) = line_col(text, e.span().map_or(0, |s| s.start));
        Error::Syntax { file: file.to_string(), line, column, message: e.message().trim().to_string() }
    })?;
    let mut walk = Walk {
        text,
        problems: Vec::new(),
        kept: Vec::new(),
        dropped: Vec::new(),
        forgotten: Vec::new(),
        emptied: Vec::new(),
    };
    let span = root.span();
    let ok = walk.table("", span, root.get_mut(), schema::SCENARIO);
    let Walk { mut problems, kept, dropped, forgotten, emptied, .. } = walk;
    problems.sort_by_key(|p| p.line);
    // Not ok: a shape problem the rules cannot work around (see the module comment).
    let raw = if ok {
        match RawScenario::deserialize(toml::de::Deserializer::from(root)) {
            Ok(raw) => Some(raw),
            Err(e) => {
                // The walk accepts only what serde reads; this is a safety net, not a path.
                let offset = e.span().map_or(0, |s| s.start);
                let key = super::key_path::key_at(text, offset).unwrap_or_default();
                let line = Some(line_col(text, offset).0);
                problems.push(Problem::new(key, line, ProblemKind::Unreadable { message: e.message().to_string() }));
                None
            }
        }
    } else {
        None
    };
    Ok(Read { raw, problems, kept, dropped, forgotten, emptied })
}

impl Read {
    /// Adjusts the rules' problems (and warnings) to what was left out: removes those about a
    /// table left out (e.g. "costs are given but there is no [economics] table" after a malformed
    /// `[economics]`) or naming, in quotes, a state, strategy, parameter or table left out (e.g.
    /// `unknown state "sick"` after a malformed `[[states]]` entry named "sick"); and rewrites key
    /// paths to the file's indices, undoing the shift from entries left out.
    pub(super) fn adjust(&self, problems: &mut Vec<Problem>) {
        let quoted: Vec<String> = self.forgotten.iter().map(|name| format!("\"{name}\"")).collect();
        problems.retain(|p| {
            let under = |t: &str| p.key == t || p.key.strip_prefix(t).is_some_and(|r| r.starts_with('.'));
            if self.dropped.iter().any(|t| under(t)) || self.emptied.contains(&p.key) {
                return false;
            }
            let message = p.kind.to_string();
            !quoted.iter().any(|q| message.contains(q.as_str()))
        });
        // Outer lists were recorded after the lists inside their entries: renumber them first.
        for p in problems {
            for (list, kept) in self.kept.iter().rev() {
                p.key = renumber_key(&p.key, list, kept);
            }
        }
    }
}

/// `list[k]...` -> `list[kept[k]]...`; other keys unchanged.
fn renumber_key(key: &str, list: &str, kept: &[usize]) -> String {
    let Some(rest) = key.strip_prefix(list).and_then(|r| r.strip_prefix('[')) else {
        return key.to_string();
    };
    let Some((digits, after)) = rest.split_once(']') else {
        return key.to_string();
    };
    match digits.parse::<usize>().ok().and_then(|k| kept.get(k)) {
        Some(original) => format!("{list}[{original}]{after}"),
        None => key.to_string(),
    }
}

struct Walk<'t> {
    text: &'t str,
    problems: Vec<Problem>,
    kept: Vec<(String, Vec<usize>)>,
    dropped: Vec<&'static str>,
    forgotten: Vec<String>,
    emptied: Vec<String>,
}

fn join(path: &str, key: &str) -> String {
    if path.is_empty() { key.to_string() } else { format!("{path}.{key}") }
}

impl Walk<'_> {
    fn line(&self, span: &Range<usize>) -> Option<usize> {
        Some(line_col(self.text, span.start).0)
    }

    fn problem(&mut self, key: String, span: &Range<usize>, kind: ProblemKind) {
        let line = self.line(span);
        self.problems.push(Problem::new(key, line, kind));
    }

    /// Checks a table's keys and values; false if a value has the wrong form or a required key is
    /// missing. Unknown keys are reported and removed, and do not make the table malformed.
    fn table(&mut self, path: &str, span: Range<usize>, table: &mut DeTable<'_>, fields: &[Field]) -> bool {
        let known: Vec<&str> = fields.iter().map(|f| f.key).collect();
        let mut unknown = Vec::new();
        for (key, _) in table.iter() {
            if !known.contains(&key.get_ref().as_ref()) {
                unknown.push((key.get_ref().to_string(), key.span()));
            }
        }
        for (key, key_span) in unknown {
            let suggestion = closest(&key, known.iter().copied()).map(str::to_string);
            let kind = ProblemKind::UnknownKey { suggestion, known: known.join(", ") };
            self.problem(join(path, &key), &key_span, kind);
            table.remove(key.as_str());
        }
        let mut ok = true;
        for field in fields {
            match table.get_mut(field.key) {
                Some(value) => {
                    let well_formed = self.value(&join(path, field.key), value, &field.shape);
                    if !well_formed && path.is_empty() && schema::DROPPABLE_TABLES.contains(&field.key) {
                        table.remove(field.key);
                        self.dropped.push(field.key);
                    } else {
                        ok &= well_formed;
                    }
                }
                None if field.required => {
                    let line = if path.is_empty() { None } else { self.line(&span) };
                    let kind = ProblemKind::MissingKey { expected: schema::expected(&field.shape) };
                    self.problems.push(Problem::new(join(path, field.key), line, kind));
                    ok = false;
                }
                None => {}
            }
        }
        ok
    }

    /// Checks one value against its shape; false if it (or something inside it) has the wrong form.
    fn value(&mut self, path: &str, value: &mut Spanned<DeValue<'_>>, shape: &Shape) -> bool {
        let span = value.span();
        match (shape, value.get_mut()) {
            (Shape::Number | Shape::Whole, DeValue::Integer(i)) => {
                if i64::from_str_radix(i.as_str(), i.radix()).is_ok() {
                    return true;
                }
                let found = format!("{}, which is too large for a whole number", raw_text(self.text, &span));
                self.wrong(path, &span, schema::expected(shape), found);
                false
            }
            (Shape::Number, DeValue::Float(f)) => {
                // As the reader does: a finite literal too large for a float is not read as infinity.
                let finite_or_inf =
                    f.as_str().parse::<f64>().is_ok_and(|x| !x.is_infinite() || f.as_str().contains("inf"));
                if !finite_or_inf {
                    let found =
                        format!("{}, which is too large (numbers go up to about 1.8e308)", raw_text(self.text, &span));
                    self.wrong(path, &span, schema::expected(shape), found);
                }
                finite_or_inf
            }
            (Shape::Text, DeValue::String(_)) | (Shape::Bool, DeValue::Boolean(_)) => true,
            (Shape::List { item, len, expected }, DeValue::Array(items)) => {
                if let Some(n) = *len
                    && items.len() != n
                {
                    let found = format!("a list of {} item{}", items.len(), if items.len() == 1 { "" } else { "s" });
                    self.wrong(path, &span, expected, found);
                    return false;
                }
                let mut ok = true;
                for (i, x) in items.iter_mut().enumerate() {
                    ok &= self.value(&format!("{path}[{i}]"), x, item);
                }
                ok
            }
            (Shape::Table(fields), DeValue::Table(table)) => self.table(path, span, table, fields),
            (Shape::Named { item, if_malformed, .. }, DeValue::Table(table)) => {
                let mut malformed = Vec::new();
                for (key, x) in table.iter_mut() {
                    if !self.value(&join(path, key.get_ref()), x, item) {
                        malformed.push(key.get_ref().to_string());
                    }
                }
                match if_malformed {
                    _ if malformed.is_empty() => true,
                    IfMalformed::Stop => false,
                    IfMalformed::Drop | IfMalformed::Forget => {
                        for name in malformed {
                            table.remove(name.as_str());
                            if *if_malformed == IfMalformed::Forget {
                                self.forgotten.push(name);
                            }
                        }
                        true
                    }
                }
            }
            (Shape::Entries { fields, if_malformed, .. }, DeValue::Array(items)) => {
                let good: Vec<bool> =
                    items.iter_mut().enumerate().map(|(i, x)| self.entry(path, i, x, fields)).collect();
                if good.iter().all(|g| *g) {
                    return true;
                }
                match if_malformed {
                    IfMalformed::Stop => return false,
                    IfMalformed::Drop => {}
                    IfMalformed::Forget => {
                        for (x, _) in items.iter().zip(&good).filter(|(_, g)| !**g) {
                            let name = match x.get_ref() {
                                DeValue::Table(t) => t.get("name").and_then(|n| n.get_ref().as_str()),
                                _ => None,
                            };
                            match name {
                                Some(name) => self.forgotten.push(name.to_string()),
                                // Others may refer to it by a name that cannot be read.
                                None => return false,
                            }
                        }
                        self.emptied.push(path.to_string());
                    }
                }
                let all = std::mem::replace(items, DeArray::new());
                *items = all.into_iter().zip(&good).filter(|(_, g)| **g).map(|(x, _)| x).collect();
                let kept = good.iter().enumerate().filter(|(_, g)| **g).map(|(i, _)| i).collect();
                self.kept.push((path.to_string(), kept));
                true
            }
            (Shape::Either { options, expected }, found) => match options.iter().find(|o| same_kind(o, found)) {
                Some(option) => self.value(path, value, option),
                None => {
                    let hint = match found {
                        DeValue::Table(_) if options.iter().any(|o| matches!(o, Shape::List { .. })) => {
                            " (put it in a list: [{ ... }])"
                        }
                        _ => "",
                    };
                    let found = format!("{}{hint}", describe(self.text, &span, found));
                    self.wrong(path, &span, expected, found);
                    false
                }
            },
            (shape, found) => {
                let mut found_text = describe(self.text, &span, found);
                if matches!(shape, Shape::Entries { .. }) && matches!(found, DeValue::Table(_)) {
                    let name = path.rsplit('.').next().unwrap_or(path);
                    found_text.push_str(&format!(" (write [[{name}]], with double brackets, once per entry)"));
                }
                self.wrong(path, &span, schema::expected(shape), found_text);
                false
            }
        }
    }

    /// One entry of an array of tables.
    fn entry(&mut self, path: &str, i: usize, x: &mut Spanned<DeValue<'_>>, fields: &[Field]) -> bool {
        let key = format!("{path}[{i}]");
        let span = x.span();
        match x.get_mut() {
            DeValue::Table(table) => self.table(&key, span, table, fields),
            found => {
                let found = describe(self.text, &span, found);
                self.wrong(&key, &span, "expected a table", found);
                false
            }
        }
    }

    fn wrong(&mut self, path: &str, span: &Range<usize>, expected: &'static str, found: String) {
        self.problem(path.to_string(), span, ProblemKind::WrongType { expected, found });
    }
}

/// Whether a value is of the kind (number, text, true/false, list, table) a shape starts with,
/// for choosing among the options of [`Shape::Either`].
fn same_kind(shape: &Shape, value: &DeValue<'_>) -> bool {
    matches!(
        (shape, value),
        (Shape::Number, DeValue::Integer(_) | DeValue::Float(_))
            | (Shape::Whole, DeValue::Integer(_))
            | (Shape::Text, DeValue::String(_))
            | (Shape::Bool, DeValue::Boolean(_))
            | (Shape::List { .. } | Shape::Entries { .. }, DeValue::Array(_))
            | (Shape::Table(_) | Shape::Named { .. }, DeValue::Table(_))
    )
}

/// A value as it was written, for "found ...": `the text "abc"`, `1.5`, `true`, `a list`, `a table`.
fn describe(text: &str, span: &Range<usize>, value: &DeValue<'_>) -> String {
    match value {
        DeValue::String(s) => {
            let shown: String = s.chars().take(60).collect();
            let more = if shown.len() < s.len() { "..." } else { "" };
            // Escaped, so a quote or a line break inside cannot break the one-line message.
            format!("the text \"{}{more}\"", shown.escape_debug())
        }
        DeValue::Integer(_) | DeValue::Float(_) => raw_text(text, span),
        DeValue::Boolean(b) => b.to_string(),
        DeValue::Datetime(d) => format!("the date {d}"),
        DeValue::Array(items) if items.is_empty() => "an empty list".to_string(),
        DeValue::Array(_) => "a list".to_string(),
        DeValue::Table(_) => "a table".to_string(),
    }
}

/// The source text of a span (a number as written), at most 40 characters.
fn raw_text(text: &str, span: &Range<usize>) -> String {
    let written = text.get(span.clone()).unwrap_or("").trim();
    if written.chars().count() > 40 {
        format!("{}...", written.chars().take(40).collect::<String>())
    } else {
        written.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn problems(text: &str) -> Vec<String> {
        read("t.toml", text).unwrap_or_else(|e| panic!("{e}")).problems.iter().map(|p| p.to_string()).collect()
    }

    const MINIMAL: &str = "[scenario]\nname = \"t\"\n[settings]\ncycle_length = \"1 month\"\nhorizon = \"1 year\"\npatients = 1\nseed = 1\n[cohort]\nstart_state = { a = 1 }\n";

    #[test]
    fn a_well_formed_file_has_no_shape_problems() {
        let r = read("t.toml", MINIMAL).unwrap();
        assert!(r.problems.is_empty());
        assert!(r.raw.is_some());
    }

    #[test]
    fn unknown_keys_name_the_closest_known_key() {
        let p = problems(&MINIMAL.replace("seed = 1", "seed = 1\npatiens = 3"));
        assert_eq!(p, ["line 8: settings.patiens: unknown key; did you mean \"patients\"?"]);
        let p = problems(&MINIMAL.replace("seed = 1", "seed = 1\nzzz = 3"));
        assert_eq!(p, ["line 8: settings.zzz: unknown key; the keys here are: cycle_length, horizon, patients, seed"]);
        let p = problems(&format!("{MINIMAL}[setings]\n"));
        assert!(p[0].starts_with("line 10: setings: unknown key; did you mean \"settings\"?"), "{p:?}");
    }

    #[test]
    fn wrong_forms_are_described_in_words() {
        let p = problems(&MINIMAL.replace("patients = 1", "patients = 1.5").replace("name = \"t\"", "name = 3"));
        assert_eq!(
            p,
            [
                "line 2: scenario.name: expected text (in quotes), found 3",
                "line 6: settings.patients: expected a whole number, found 1.5"
            ]
        );
        let p = problems(&format!("{MINIMAL}[psa]\nwtp_grid = [1, 2]\n[tables.m]\nfrom = [1, \"x\"]\nvalues = true\n"));
        assert_eq!(
            p,
            [
                "line 11: psa.wtp_grid: expected a list of three numbers [from, to, step], found a list of 2 items",
                "line 13: tables.m.from[1]: expected a number, found the text \"x\"",
                "line 14: tables.m.values: expected a list of numbers, found true"
            ]
        );
    }

    #[test]
    fn missing_required_keys_and_tables_are_named() {
        let p = problems(&MINIMAL.replace("seed = 1\n", "").replace("[scenario]\nname = \"t\"\n", ""));
        assert_eq!(
            p,
            [
                "scenario: required but missing; expected a table",
                "line 1: settings.seed: required but missing; expected a whole number"
            ]
        );
        let p = problems(
            &MINIMAL.replace("patients = 1", "patients = 99999999999999999999").replace("seed = 1", "seed = 1e400"),
        );
        assert_eq!(
            p,
            [
                "line 6: settings.patients: expected a whole number, found 99999999999999999999, which is too large for a whole number",
                "line 7: settings.seed: expected a whole number, found 1e400"
            ]
        );
        let p = problems(&MINIMAL.replace("[cohort]", "[cohort]\nfraction_male = -1e400"));
        assert_eq!(
            p,
            [
                "line 9: cohort.fraction_male: expected a number, found -1e400, which is too large (numbers go up to about 1.8e308)"
            ]
        );
        assert!(problems(&MINIMAL.replace("[cohort]", "[cohort]\nfraction_male = -inf")).is_empty());
        assert!(problems(&MINIMAL.replace("[cohort]", "[cohort]\nfraction_male = nan")).is_empty());
        let p = problems(&MINIMAL.replace("patients = 1", "patients = \"\"\"a\"\nb\"\"\""));
        assert_eq!(p, ["line 6: settings.patients: expected a whole number, found the text \"a\\\"\\nb\""]);
    }

    #[test]
    fn malformed_transitions_are_left_out_and_the_rest_renumbered() {
        let text = format!(
            "{MINIMAL}[[transitions]]\nfrom = \"a\"\nto = 3\n[[transitions]]\nfrom = \"a\"\nto = \"b\"\n[[transitions]]\nfrom = 1\n"
        );
        let r = read("t.toml", &text).unwrap();
        assert_eq!(r.raw.as_ref().map(|raw| raw.transitions.len()), Some(1));
        assert_eq!(r.problems.len(), 3, "{:?}", r.problems);
        let mut later = vec![Problem::new("transitions[0].to", None, ProblemKind::EconomicsMissing)];
        r.adjust(&mut later);
        assert_eq!(later[0].key, "transitions[1].to");
        assert_eq!(renumber_key("transitionsx[0]", "transitions", &[4]), "transitionsx[0]");
        assert_eq!(renumber_key("transitions[9]", "transitions", &[4]), "transitions[9]");
    }

    #[test]
    fn a_malformed_state_leaves_only_the_shape_problems() {
        let r = read("t.toml", &format!("{MINIMAL}[[states]]\nname = 1\n")).unwrap();
        assert!(r.raw.is_none());
        assert_eq!(r.problems.len(), 1);
    }

    #[test]
    fn lists_of_entries_written_as_one_table_get_a_hint() {
        let p = problems(&format!("{MINIMAL}[transitions]\nfrom = \"a\"\n"));
        assert_eq!(
            p,
            [
                "line 10: transitions: expected [[transitions]] tables, found a table (write [[transitions]], with double brackets, once per entry)"
            ]
        );
    }

    #[test]
    fn a_syntax_error_is_one_error_with_line_and_column() {
        let e = read("t.toml", "[scenario]\nname = \"t\n").err().map(|e| e.to_string());
        assert_eq!(e.as_deref(), Some("t.toml:2:10: invalid basic string, expected `\"`"));
    }

    #[test]
    fn forgotten_names_hide_only_their_consequences() {
        let text = format!(
            "{MINIMAL}[[states]]\nname = \"a\"\n[[states]]\nname = \"b\"\nalive = 1\n[[states]]\nname = \"c\"\n\
             [parameters.r]\nvalue = \"x\"\nkind = \"annual_rate\"\n"
        );
        let r = read("t.toml", &text).unwrap();
        assert_eq!(r.raw.as_ref().map(|raw| raw.states.len()), Some(2));
        assert_eq!(r.raw.as_ref().map(|raw| raw.parameters.len()), Some(0));
        let unknown = |name: &str, key: &str| {
            Problem::new(key, None, ProblemKind::UnknownState { name: name.into(), known: "a, c".into() })
        };
        let mut rules = vec![
            unknown("b", "transitions[0].to"),
            unknown("d", "transitions[1].to"),
            Problem::new("states[1].name", None, ProblemKind::DuplicateState { name: "c".into() }),
            Problem::new("states", None, ProblemKind::Empty { what: "states" }),
            Problem::new("x", None, ProblemKind::UnknownParameter { name: "r".into(), hint: String::new() }),
        ];
        r.adjust(&mut rules);
        let keys: Vec<&str> = rules.iter().map(|p| p.key.as_str()).collect();
        assert_eq!(keys, ["transitions[1].to", "states[2].name"], "{rules:?}");
    }

    #[test]
    fn nested_lists_are_renumbered_outer_first() {
        let text = format!(
            "{MINIMAL}[[strategies]]\nname = 1\n[[strategies]]\nname = \"s\"\n[[strategies.effects]]\nfrom = 1\n\
             [[strategies.effects]]\nfrom = \"a\"\n"
        );
        let r = read("t.toml", &text).unwrap();
        assert!(r.raw.is_none(), "a strategy whose name cannot be read stops the rules");
        let text = text.replace("name = 1", "name = \"z\"\nlabel = 2");
        let r = read("t.toml", &text).unwrap();
        assert_eq!(r.problems.len(), 2, "{:?}", r.problems);
        let mut rules = vec![Problem::new("strategies[0].effects[0].to", None, ProblemKind::EconomicsMissing)];
        r.adjust(&mut rules);
        assert_eq!(rules[0].key, "strategies[1].effects[1].to");
    }
}
