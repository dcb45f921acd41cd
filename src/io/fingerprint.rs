//! Run fingerprints: what made a folder of outputs, so that runs are never blended.
//!
//! A [`Fingerprint`] names the command, the cirrhosim version, the scenario (its name and the
//! SHA-256 of the resolved scenario: the file, its parameter files and life table, as read) and
//! the settings that change the numbers (seed, draws, shard, engine, patients, ...). It is stored
//! in every PSA checkpoint and in the manifest of every output folder
//! ([`crate::io::publish::MANIFEST`]). Resuming, merging and reporting compare fingerprints and
//! refuse a mismatch with a message that lists what differs.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;

/// What made a run: compared before a run is resumed, merged or reported.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fingerprint {
    /// The command that made the outputs (`psa`, `run`, `dsa`, ...).
    pub command: String,
    /// cirrhosim's version (`CARGO_PKG_VERSION`).
    pub cirrhosim_version: String,
    /// The scenario's `[scenario] name`, for messages.
    pub scenario: String,
    /// SHA-256 (hex) of the resolved scenario.
    pub scenario_sha256: String,
    /// The settings that change the numbers, by name, as text (`seed`, `draws`, `shard`, ...).
    pub settings: BTreeMap<String, String>,
}

impl Fingerprint {
    /// A fingerprint of this version of cirrhosim.
    pub fn new(command: &str, scenario: &str, scenario_sha256: &str, settings: &[(&str, String)]) -> Self {
        Fingerprint {
            command: command.to_string(),
            cirrhosim_version: env!("CARGO_PKG_VERSION").to_string(),
            scenario: scenario.to_string(),
            scenario_sha256: scenario_sha256.to_string(),
            settings: settings.iter().map(|(k, v)| (k.to_string(), v.clone())).collect(),
        }
    }

    /// The same fingerprint with one setting replaced (e.g. the shard of a merged run).
    pub fn with_setting(mut self, name: &str, value: String) -> Self {
        self.settings.insert(name.to_string(), value);
        self
    }

    /// What differs between `self` (found) and `wanted`, in words; empty when they are equal.
    /// Settings named in `ignore` are not compared.
    ///
    /// # Examples
    /// ```
    /// use cirrhosim::io::fingerprint::Fingerprint;
    /// let a = Fingerprint::new("psa", "default", "ab12", &[("seed", "1".into())]);
    /// let b = Fingerprint::new("psa", "default", "ab12", &[("seed", "2".into())]);
    /// assert_eq!(a.differences(&b, &[]), vec!["seed 1, not 2".to_string()]);
    /// ```
    pub fn differences(&self, wanted: &Fingerprint, ignore: &[&str]) -> Vec<String> {
        let mut out = Vec::new();
        if self.command != wanted.command {
            out.push(format!("made by `cirrhosim {}`, not `cirrhosim {}`", self.command, wanted.command));
        }
        if self.cirrhosim_version != wanted.cirrhosim_version {
            out.push(format!("cirrhosim version {}, not {}", self.cirrhosim_version, wanted.cirrhosim_version));
        }
        if self.scenario != wanted.scenario {
            out.push(format!("scenario \"{}\", not \"{}\"", self.scenario, wanted.scenario));
        } else if self.scenario_sha256 != wanted.scenario_sha256 {
            out.push(format!(
                "scenario \"{}\" has changed since (its resolved content hashes to {}, now {})",
                self.scenario,
                short(&self.scenario_sha256),
                short(&wanted.scenario_sha256)
            ));
        }
        let names: std::collections::BTreeSet<&String> = self.settings.keys().chain(wanted.settings.keys()).collect();
        for name in names {
            if ignore.contains(&name.as_str()) {
                continue;
            }
            let none = "(none)".to_string();
            let (a, b) = (self.settings.get(name).unwrap_or(&none), wanted.settings.get(name).unwrap_or(&none));
            if a != b {
                out.push(format!("{name} {a}, not {b}"));
            }
        }
        out
    }
}

/// The first 12 hex digits of a hash, for messages.
pub fn short(hex: &str) -> &str {
    &hex[..hex.len().min(12)]
}

/// SHA-256 of `bytes`, as lowercase hex.
///
/// # Examples
/// ```
/// assert_eq!(
///     cirrhosim::io::fingerprint::sha256_hex(b"abc"),
///     "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
/// );
/// ```
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

/// A streaming SHA-256, for files read in pieces.
#[derive(Default, Clone)]
pub struct Hasher(Sha256);

impl Hasher {
    /// Feeds bytes.
    pub fn update(&mut self, bytes: &[u8]) {
        self.0.update(bytes);
    }

    /// The hash as lowercase hex.
    pub fn finish(self) -> String {
        hex(&self.0.finalize())
    }
}

fn hex(digest: &[u8]) -> String {
    use std::fmt::Write;
    digest.iter().fold(String::with_capacity(64), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn differences_name_every_changed_item() {
        let a = Fingerprint::new("psa", "default", "aaaa", &[("seed", "1".into()), ("shard", "0/2".into())]);
        assert!(a.differences(&a, &[]).is_empty());
        let mut b = Fingerprint::new("psa", "default", "bbbb", &[("seed", "1".into()), ("shard", "1/2".into())]);
        let d = a.differences(&b, &[]);
        assert_eq!(d.len(), 2, "{d:?}");
        assert!(d[0].contains("has changed since"), "{d:?}");
        assert_eq!(d[1], "shard 0/2, not 1/2");
        assert_eq!(a.differences(&b, &["shard"]).len(), 1);
        b.scenario = "other".into();
        b.cirrhosim_version = "0.0.0".into();
        let d = a.differences(&b, &["shard"]);
        assert!(d.iter().any(|x| x.contains("version")) && d.iter().any(|x| x.contains("\"other\"")), "{d:?}");
    }

    #[test]
    fn streaming_hash_equals_one_shot() {
        let mut h = Hasher::default();
        h.update(b"ab");
        h.update(b"c");
        assert_eq!(h.finish(), sha256_hex(b"abc"));
    }
}
