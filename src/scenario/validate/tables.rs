//! `[tables.NAME]`: step functions that formulas read with `lookup(NAME, x)`, e.g. mortality by
//! single year of age. `from` must be finite and strictly increasing, with one finite value each;
//! a table needs a `source` like a parameter (a warning otherwise), and its name must not be a
//! parameter's.

use super::super::formula::StepTable;
use super::super::raw::RawTable;
use super::Validator;
use crate::error::ProblemKind;
use std::collections::BTreeMap;
use std::sync::Arc;
use toml::Spanned;

impl Validator<'_> {
    pub(super) fn tables(&mut self, raw: &BTreeMap<String, Spanned<RawTable>>) {
        for (name, t) in raw {
            let line = self.line(t);
            let key = format!("tables.{name}");
            let t = t.get_ref();
            if !self.named(name, "table", "mortality_by_age", format!("tables.{name:?}"), line) {
                continue;
            }
            if self.parameter_index.contains_key(name) {
                self.problem(key, line, ProblemKind::TableNameTaken { name: name.clone() });
                continue;
            }
            if t.from.is_empty() || t.from.len() != t.values.len() {
                let kind = ProblemKind::TableShape { from: t.from.len(), values: t.values.len() };
                self.problem(key, line, kind);
                continue;
            }
            if let Some(k) =
                (0..t.from.len()).find(|&k| !t.from[k].is_finite() || (k > 0 && t.from[k] <= t.from[k - 1]))
            {
                let kind = ProblemKind::OutOfRange {
                    value: t.from[k],
                    kind: "table start point",
                    rule: "must be finite and greater than the one before",
                };
                self.problem(format!("{key}.from[{k}]"), line, kind);
                continue;
            }
            if let Some(k) = t.values.iter().position(|v| !v.is_finite()) {
                let kind = ProblemKind::OutOfRange { value: t.values[k], kind: "table value", rule: "must be finite" };
                self.problem(format!("{key}.values[{k}]"), line, kind);
                continue;
            }
            if t.source.is_none() {
                let kind = ProblemKind::NoSource { what: "table", name: name.clone() };
                self.warn(key.clone(), line, kind);
            }
            let table = StepTable { name: name.clone(), from: t.from.clone(), values: t.values.clone() };
            self.tables.insert(name.clone(), Arc::new(table));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::{BASE, err, s};

    fn with_table(table: &str, rate: &str) -> String {
        BASE.replace("rate = \"r\"", &format!("rate = \"{rate}\"")) + table
    }

    #[test]
    fn a_formula_reads_a_table_by_age() {
        let text = with_table(
            "[tables.mort]\nfrom = [0, 65, 75]\nvalues = [0.01, 0.02, 0.05]\nsource = \"t\"\n",
            "lookup(mort, age)",
        );
        let scenario = s(&text).unwrap();
        assert!(scenario.reads().age);
    }

    #[test]
    fn a_bad_table_is_located() {
        let e =
            err(&with_table("[tables.mort]\nfrom = [0, 65, 65]\nvalues = [0.01, 0.02, 0.05]\n", "lookup(mort, age)"));
        assert!(e.contains("tables.mort.from[2]: 65 is not a valid table start point: must be finite and greater than the one before"), "{e}");
        let e = err(&with_table("[tables.mort]\nfrom = [0, 65]\nvalues = [0.01]\n", "lookup(mort, age)"));
        assert!(e.contains("tables.mort: a table needs one value per start point (from has 2, values 1)"), "{e}");
        let e = err(&with_table("[tables.r]\nfrom = [0]\nvalues = [0.01]\n", "r"));
        assert!(e.contains("tables.r: \"r\" is already a parameter"), "{e}");
        let e = err(&with_table("", "lookup(mort, age)"));
        assert!(e.contains("unknown name \"mort\""), "{e}");
    }
}
