//! The key path at a position of a scenario file, for messages serde gives without one.
//!
//! Used only as a safety net by `super::read`, for a value its shape check accepted but serde
//! could not read (the shape check mirrors serde, so this is not expected to happen). toml
//! reports where a value that failed to deserialize starts, not which key it belongs to.
//! [`key_at`] parses the text again into toml's spanned tree and walks down to the innermost
//! value that contains the position, naming it as validation does: `cohort.start_age`,
//! `transitions[2].rate`, `strategies[1].effects[0].hazard_ratio`.

use toml::Spanned;
use toml::de::{DeTable, DeValue};

/// The key path of the innermost value containing byte `offset`; `None` if the text does not
/// parse or no value contains the offset.
pub fn key_at(text: &str, offset: usize) -> Option<String> {
    let root = DeTable::parse(text).ok()?;
    let mut path = String::new();
    in_table(root.get_ref(), offset, &mut path).then_some(path)
}

fn in_table(table: &DeTable<'_>, offset: usize, path: &mut String) -> bool {
    for (key, value) in table.iter() {
        let len = path.len();
        if !path.is_empty() {
            path.push('.');
        }
        path.push_str(key.get_ref());
        if in_value(value, offset, path) {
            return true;
        }
        path.truncate(len);
    }
    false
}

fn in_value(value: &Spanned<DeValue<'_>>, offset: usize, path: &mut String) -> bool {
    let found_inside = match value.get_ref() {
        DeValue::Table(table) => in_table(table, offset, path),
        DeValue::Array(items) => items.iter().enumerate().any(|(i, item)| {
            let len = path.len();
            path.push_str(&format!("[{i}]"));
            let found = in_value(item, offset, path);
            if !found {
                path.truncate(len);
            }
            found
        }),
        _ => false,
    };
    found_inside || value.span().contains(&offset)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nested_keys_and_array_indices_are_named() {
        let text = "[cohort]\nstart_age = true\n[[transitions]]\nrate = 1\n[[transitions]]\nrate = [1]\n";
        let at = |needle: &str| key_at(text, text.find(needle).unwrap());
        assert_eq!(at("true").as_deref(), Some("cohort.start_age"));
        assert_eq!(at("[1]").as_deref(), Some("transitions[1].rate"));
        assert_eq!(key_at("not toml = = =", 3), None);
    }
}
