//! The parse cache: the spanned YAML tree of every spec file that parsed without a diagnostic,
//! keyed by a hash of the file's name and text (`.pave/cache/parse.bin` under the platform root;
//! the CLI reads and writes it, this module only hashes, encodes and decodes it).
//!
//! A file found in it is not read by the YAML parser again, nor checked against its kind's
//! schema: the same name, text and pave (`PAVE_BUILD_ID`, which covers the embedded schemas)
//! give the same tree and the same verdict, and only a file on which parse found nothing at all
//! is recorded, so a cached file has no diagnostic to replay. The typed model is still read from
//! the tree (`serde`, the cheap part), so later stages get exactly what a cold parse gives them.
//!
//! What is kept is lean: the YAML tree alone, each node's byte range without its file (the file
//! is the one being parsed), encoded with `postcard` (varints): about the size of the YAML text,
//! where the typed form and tree in memory are tens of times larger. The framing around the
//! entries is a header line with the format and the build, then per file its 32-byte key, the
//! length and the bytes, then a BLAKE3 hash of all that: a cache that is truncated, corrupt, of
//! another format or another build is ignored whole (a cold parse), as the check cache is.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::parse::yaml::{Entry, Node, Value};
use crate::source::{FileId, Span};

/// The cache file, relative to the platform root.
pub const PARSE_CACHE_FILE: &str = ".pave/cache/parse.bin";
/// The largest parse cache read (at 50,000 services it is about 30 MB).
pub const MAX_PARSE_CACHE_BYTES: u64 = 1024 * 1024 * 1024;

/// The layout of `parse.bin`; a different one is ignored.
const FORMAT: u32 = 1;

/// A file's key: the BLAKE3 hash of its name and text.
pub type Key = [u8; 32];

/// The encoded trees of the files that parsed cleanly, by key. `Default` is the empty cache.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ParseCache {
    files: BTreeMap<Key, Vec<u8>>,
}

impl ParseCache {
    /// The encoded tree of the file with this key, if recorded.
    pub fn get(&self, key: &Key) -> Option<&[u8]> {
        self.files.get(key).map(Vec::as_slice)
    }

    /// Records a file's encoded tree.
    pub fn insert(&mut self, key: Key, encoded: Vec<u8>) {
        self.files.insert(key, encoded);
    }

    /// How many files it holds.
    pub fn len(&self) -> usize {
        self.files.len()
    }

    pub fn is_empty(&self) -> bool {
        self.files.is_empty()
    }

    /// Reads a cache file's bytes: the empty cache when they are not this pave's cache, whole.
    pub fn read(bytes: &[u8]) -> ParseCache {
        Self::try_read(bytes).unwrap_or_default()
    }

    fn try_read(bytes: &[u8]) -> Option<ParseCache> {
        let mut rest = super::unseal(bytes, &header())?;
        let mut files = BTreeMap::new();
        while !rest.is_empty() {
            let (key, after) = rest.split_first_chunk::<32>()?;
            let (len, after) = after.split_first_chunk::<4>()?;
            let (encoded, after) = after.split_at_checked(u32::from_le_bytes(*len) as usize)?;
            files.insert(*key, encoded.to_vec());
            rest = after;
        }
        Some(ParseCache { files })
    }

    /// The cache file's bytes (deterministic: entries sorted by key).
    pub fn render(&self) -> Vec<u8> {
        let size: usize = self.files.values().map(|e| e.len() + 36).sum();
        let mut body = Vec::with_capacity(size);
        for (key, encoded) in &self.files {
            // An entry over 4 GiB cannot come from a spec file (those are capped far below).
            let Ok(len) = u32::try_from(encoded.len()) else {
                continue;
            };
            body.extend_from_slice(key);
            body.extend_from_slice(&len.to_le_bytes());
            body.extend_from_slice(encoded);
        }
        super::seal(&header(), &body)
    }
}

fn header() -> String {
    format!("pave parse cache {FORMAT} {}\n", env!("PAVE_BUILD_ID"))
}

/// A file's key: its name and text, length-prefixed so no two pairs hash alike.
pub fn key(name: &str, text: &str) -> Key {
    let mut hasher = blake3::Hasher::new();
    hasher.update(&(name.len() as u64).to_le_bytes());
    hasher.update(name.as_bytes());
    hasher.update(text.as_bytes());
    *hasher.finalize().as_bytes()
}

/// A node as stored: its byte range without the file.
#[derive(Serialize, Deserialize)]
struct LeanNode {
    start: u32,
    end: u32,
    flow: bool,
    value: LeanValue,
}

#[derive(Serialize, Deserialize)]
enum LeanValue {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    String(String),
    Seq(Vec<LeanNode>),
    Map(Vec<LeanEntry>),
}

#[derive(Serialize, Deserialize)]
struct LeanEntry {
    key: String,
    key_start: u32,
    key_end: u32,
    value: LeanNode,
}

fn lean(node: &Node) -> LeanNode {
    LeanNode {
        start: node.span.start,
        end: node.span.end,
        flow: node.flow,
        value: match &node.value {
            Value::Null => LeanValue::Null,
            Value::Bool(b) => LeanValue::Bool(*b),
            Value::Int(i) => LeanValue::Int(*i),
            Value::Float(f) => LeanValue::Float(*f),
            Value::String(s) => LeanValue::String(s.clone()),
            Value::Seq(items) => LeanValue::Seq(items.iter().map(lean).collect()),
            Value::Map(entries) => LeanValue::Map(
                entries
                    .iter()
                    .map(|entry| LeanEntry {
                        key: entry.key.clone(),
                        key_start: entry.key_span.start,
                        key_end: entry.key_span.end,
                        value: lean(&entry.value),
                    })
                    .collect(),
            ),
        },
    }
}

fn node(lean: LeanNode, file: FileId) -> Node {
    let span = |start: u32, end: u32| Span::new(file, start as usize, end as usize);
    Node {
        span: span(lean.start, lean.end),
        flow: lean.flow,
        value: match lean.value {
            LeanValue::Null => Value::Null,
            LeanValue::Bool(b) => Value::Bool(b),
            LeanValue::Int(i) => Value::Int(i),
            LeanValue::Float(f) => Value::Float(f),
            LeanValue::String(s) => Value::String(s),
            LeanValue::Seq(items) => Value::Seq(items.into_iter().map(|n| node(n, file)).collect()),
            LeanValue::Map(entries) => Value::Map(
                entries
                    .into_iter()
                    .map(|entry| Entry {
                        key: entry.key,
                        key_span: span(entry.key_start, entry.key_end),
                        value: node(entry.value, file),
                    })
                    .collect(),
            ),
        },
    }
}

/// A file's documents, encoded.
pub fn encode(documents: &[Node]) -> Vec<u8> {
    let lean: Vec<LeanNode> = documents.iter().map(lean).collect();
    postcard::to_allocvec(&lean).unwrap_or_default()
}

/// A file's documents, decoded into `file`; `None` when the bytes are not an encoding of them.
/// (Nesting is bounded: only trees the YAML reader accepted, at most 128 deep, are encoded, and
/// the whole cache is checked against its hash before any entry is decoded.)
pub fn decode(encoded: &[u8], file: FileId) -> Option<Vec<Node>> {
    let lean: Vec<LeanNode> = postcard::from_bytes(encoded).ok()?;
    Some(lean.into_iter().map(|n| node(n, file)).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEXT: &str = "a: 1\nb: [x, {c: 2.5}]\n---\n- true\n- ~\n- \"s\"\n";

    #[test]
    fn a_tree_round_trips_with_its_spans() {
        let file = FileId::new(3);
        let (nodes, errors) = crate::parse::yaml::parse_yaml(file, TEXT);
        assert!(errors.is_empty());
        assert_eq!(decode(&encode(&nodes), file), Some(nodes));
    }

    #[test]
    fn a_cache_round_trips() {
        let mut cache = ParseCache::default();
        cache.insert(key("a.yaml", TEXT), vec![1, 2, 3]);
        cache.insert(key("b.yaml", TEXT), Vec::new());
        assert_ne!(key("a.yaml", TEXT), key("b.yaml", TEXT));
        assert_eq!(ParseCache::read(&cache.render()), cache);
    }

    #[test]
    fn a_corrupt_or_foreign_cache_is_empty() {
        let mut cache = ParseCache::default();
        cache.insert(key("a.yaml", TEXT), vec![1, 2, 3]);
        let bytes = cache.render();
        for bytes in super::super::damaged(&bytes) {
            assert_eq!(ParseCache::read(&bytes), ParseCache::default());
        }
        assert_eq!(decode(&[0xff, 0xff], FileId::new(0)), None);
    }
}
