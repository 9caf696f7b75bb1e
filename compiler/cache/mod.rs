//! The check cache: what an earlier `pave check` of the same platform proved, so that the next one
//! redoes only what changed (`.pave/cache/check.json` under the platform root; the CLI reads and
//! writes it, this module only hashes, parses and prints it).
//!
//! - `inputs` and `reported`: a BLAKE3 hash of everything a check reads: pave itself
//!   (`PAVE_BUILD_ID`), the options (today's date, against which waivers expire) and every file of
//!   the [`SourceMap`] (origin, read problem, and the hash of its name and text,
//!   [`crate::source::SourceFile::hash`]) and every skipped link; and what the last
//!   check with those inputs reported, its diagnostics as they were, sorted, with their paths.
//!   The same hash next time means the same check: nothing is parsed, and the diagnostics are
//!   replayed (their spans are byte ranges in files numbered as the same inputs number them).
//!   Recorded by every check that ran with its policies, whatever it found, unless it found a bug
//!   in pave (an `internal` diagnostic, which is not replayed: it may not happen again).
//! - `units`: each tenant-environment folder's fingerprint (`lower::unit`, computed from the
//!   unit's input before lowering: its tenant's and services' files, the tenants calling it, the
//!   platform-wide files, the port table, the policies' digest, the spec files' names and pave's
//!   build; the same fingerprints `pave compile` records in `.pave/units.json`), recorded only by a check whose generated tree had nothing to
//!   report (no finding of the policies on generated objects, of the wiring check, no unused
//!   waiver), so that reusing a unit only ever stands for "nothing to report there". A unit whose
//!   fingerprint is recorded is not generated, nor are its objects evaluated or wired again: the
//!   same fingerprint generates the same objects beside the same shared objects, in which nothing
//!   was found. A platform with waivers in force reuses no unit: whether a waiver is used needs
//!   every object.
//! - `specs`: the keys of the spec documents on which the rules on specs found nothing
//!   (`PolicySet::check_specs_reusing`: a hash of the document (for one read verbatim from its
//!   file, that file's hash and the document's place in it), its own context, the rules run on
//!   it, the policies' digest and pave's build); those are not evaluated again. Recorded by every
//!   check that gets to the rules, whatever else it found: a key stands for one evaluation.
//!
//! A cache that does not parse, has another format or another build's id is ignored (a cold
//! check); nothing in it is used but equality with hashes computed afresh, and the diagnostics
//! recorded beside the hash of exactly these inputs.

pub mod parse;
pub mod policy;

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use crate::diagnostic::Diagnostic;
use crate::pipeline::Options;
use crate::source::SourceMap;

/// The cache file, relative to the platform root.
pub const CACHE_FILE: &str = ".pave/cache/check.json";
/// The cache folder, relative to the platform root; it holds a `.gitignore` of `*`, so it is
/// never committed (as ruff's and pytest's caches do).
pub const CACHE_DIR: &str = ".pave/cache";
/// The largest cache file read (at 50,000 services it is about 100 KB).
pub const MAX_CACHE_BYTES: u64 = 64 * 1024 * 1024;

/// The layout of `check.json`; a different one is ignored.
const FORMAT: u32 = 2;

/// What an earlier clean check proved (see the module doc). `Default` is the empty cache.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CheckCache {
    /// The hash of the inputs of the last check.
    pub inputs: Option<String>,
    /// What that check reported (sorted, with paths), replayed by a check with the same inputs.
    pub reported: Vec<Diagnostic>,
    /// Unit folder to the fingerprint it had when a check or compile generated it (or reused
    /// it) and the policies found nothing on its objects (`OutputTree::reusable_units`).
    pub units: BTreeMap<String, String>,
    /// The keys of the spec documents on which the rules on specs found nothing
    /// (`PolicySet::check_specs_reusing`), as of the last check that got that far.
    pub specs: BTreeSet<String>,
}

/// The file's form: the format and build first, so a foreign cache is recognised as such.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct CacheFile {
    format: u32,
    build: String,
    inputs: Option<String>,
    reported: Vec<Diagnostic>,
    units: BTreeMap<String, String>,
    specs: BTreeSet<String>,
}

impl CheckCache {
    /// Reads a cache file's text: the empty cache when it is not this pave's cache.
    pub fn parse(text: &str) -> CheckCache {
        match serde_json::from_str::<CacheFile>(text) {
            Ok(file) if file.format == FORMAT && file.build == env!("PAVE_BUILD_ID") => {
                CheckCache {
                    inputs: file.inputs,
                    reported: file.reported,
                    units: file.units,
                    specs: file.specs,
                }
            }
            _ => CheckCache::default(),
        }
    }

    /// The cache file's text (deterministic: sorted, one unit a line).
    pub fn render(&self) -> String {
        let file = CacheFile {
            format: FORMAT,
            build: env!("PAVE_BUILD_ID").to_string(),
            inputs: self.inputs.clone(),
            reported: self.reported.clone(),
            units: self.units.clone(),
            specs: self.specs.clone(),
        };
        let mut text = serde_json::to_string_pretty(&file).unwrap_or_default();
        text.push('\n');
        text
    }
}

/// The hash of everything a check reads (hex BLAKE3): see the module doc.
pub fn inputs(source_map: &SourceMap, options: &Options) -> String {
    let mut hasher = blake3::Hasher::new();
    let mut field = |bytes: &[u8]| {
        // Length-prefixed, so no two sequences of fields hash alike.
        hasher.update(&(bytes.len() as u64).to_le_bytes());
        hasher.update(bytes);
    };
    field(env!("PAVE_BUILD_ID").as_bytes());
    field(format!("{:?} {}", options.today, options.evaluate_policies).as_bytes());
    for skipped in source_map.skipped() {
        field(format!("{skipped:?}").as_bytes());
    }
    // Each file by its hash (its name and text), computed in parallel and kept for parse and the
    // rules on specs, which key on it too.
    source_map.hash_files();
    for (_, file) in source_map.files() {
        field(format!("{:?} {:?}", file.origin, file.problem).as_bytes());
        field(file.hash());
    }
    hasher.finalize().to_hex().to_string()
}

/// The framing of the binary caches (`parse.bin`, `policy.bin`): `header` (a line naming the
/// cache, its format and pave's build), the body, then a BLAKE3 hash of both.
fn seal(header: &str, body: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(header.len() + body.len() + 32);
    out.extend_from_slice(header.as_bytes());
    out.extend_from_slice(body);
    let sum = blake3::hash(&out);
    out.extend_from_slice(sum.as_bytes());
    out
}

/// The body of a cache [`seal`]ed with `header`; `None` when the bytes are truncated, corrupt,
/// or another cache's, format's or build's.
fn unseal<'a>(bytes: &'a [u8], header: &str) -> Option<&'a [u8]> {
    let (framed, sum) = bytes.split_at_checked(bytes.len().checked_sub(32)?)?;
    if blake3::hash(framed).as_bytes() != sum {
        return None;
    }
    framed.strip_prefix(header.as_bytes())
}

/// A sealed cache's bytes spoilt every way the readers must refuse: empty, not a cache,
/// truncated at either end, a bit flipped, another build's.
#[cfg(test)]
fn damaged(bytes: &[u8]) -> Vec<Vec<u8>> {
    let mut flipped = bytes.to_vec();
    flipped[bytes.len() / 2] ^= 1;
    let foreign = String::from_utf8_lossy(bytes)
        .replace(env!("PAVE_BUILD_ID"), "another-build")
        .into_bytes();
    vec![
        Vec::new(),
        b"pave".to_vec(),
        bytes[..bytes.len() - 1].to_vec(),
        bytes[1..].to_vec(),
        flipped,
        foreign,
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cache_round_trips() {
        use crate::diagnostic::{DiagnosticKind, PolicyViolation, Severity};
        use crate::source::{FileId, Span};
        let span = |start| Span::new(FileId::new(2), start, start + 3);
        let reported = vec![
            Diagnostic::new(
                DiagnosticKind::ReservedName {
                    name: "flux".into(),
                    reason: "a reason kept as a `&'static str`",
                },
                span(4),
            )
            .with_path("metadata.name")
            .with_related(span(10), "and here"),
            Diagnostic::new(
                DiagnosticKind::PolicyViolation(Box::new(PolicyViolation {
                    rule: "pinned-image".into(),
                    severity: Severity::Warning,
                    message: "\"quoted\" é".into(),
                    title: "t".into(),
                    label: "l".into(),
                    help: None,
                })),
                span(20),
            ),
            Diagnostic::unplaced(DiagnosticKind::NoPlatform),
        ];
        let cache = CheckCache {
            inputs: Some("ab".into()),
            reported,
            units: [("tenants/a/dev".to_string(), "cd".to_string())].into(),
            specs: ["ef".to_string()].into(),
        };
        assert_eq!(CheckCache::parse(&cache.render()), cache);
    }

    #[test]
    fn a_corrupt_or_foreign_cache_is_empty() {
        let cache = CheckCache {
            inputs: Some("ab".into()),
            reported: Vec::new(),
            units: BTreeMap::new(),
            specs: BTreeSet::new(),
        };
        let text = cache.render();
        for text in [
            String::new(),
            "{".to_string(),
            "[]".to_string(),
            text.replace(env!("PAVE_BUILD_ID"), "another-build"),
            text.replace("\"format\": 2", "\"format\": 1"),
            text.replace("\"inputs\"", "\"extra\": 1, \"inputs\""),
            text[..text.len() / 2].to_string(),
        ] {
            assert_eq!(CheckCache::parse(&text), CheckCache::default(), "{text}");
        }
    }
}
