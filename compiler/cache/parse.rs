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

use serde::Serialize;
use serde::de::{
    self, DeserializeSeed, Deserializer, EnumAccess, SeqAccess, VariantAccess, Visitor,
};

use crate::parse::yaml::{Entry, Node, Value};
use crate::source::{FileId, Span};

/// The cache file, relative to the platform root.
pub const PARSE_CACHE_FILE: &str = ".pave/cache/parse.bin";
/// The largest parse cache read (at 50,000 services it is about 30 MB).
pub const MAX_PARSE_CACHE_BYTES: u64 = 1024 * 1024 * 1024;

/// The layout of `parse.bin`; a different one is ignored.
const FORMAT: u32 = 1;

/// A file's key: the BLAKE3 hash of its name and text ([`crate::source::SourceFile::hash`]).
pub type Key = crate::source::FileHash;

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

// A node as stored: its byte range without the file, then whether it is a flow collection, then
// its value, tagged: 0 null, 1 bool, 2 int, 3 float, 4 string, 5 list of nodes, 6 mapping (a list
// of entries, each its key, the key's range and its node); postcard writes a struct as its
// fields in order and an enum as its variant's index then its content. Written from the tree and
// read straight into it (no intermediate form, which cost a copy of every tree on each warm
// check).

/// Writes a [`Node`] without its file.
struct Lean<'a>(&'a Node);

impl Serialize for Lean<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeTuple;
        let node = self.0;
        let mut tuple = serializer.serialize_tuple(4)?;
        tuple.serialize_element(&node.span.start)?;
        tuple.serialize_element(&node.span.end)?;
        tuple.serialize_element(&node.flow)?;
        tuple.serialize_element(&LeanValue(&node.value))?;
        tuple.end()
    }
}

struct LeanValue<'a>(&'a Value);

impl Serialize for LeanValue<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        const NAME: &str = "Value";
        match self.0 {
            Value::Null => serializer.serialize_unit_variant(NAME, 0, "Null"),
            Value::Bool(b) => serializer.serialize_newtype_variant(NAME, 1, "Bool", b),
            Value::Int(i) => serializer.serialize_newtype_variant(NAME, 2, "Int", i),
            Value::Float(f) => serializer.serialize_newtype_variant(NAME, 3, "Float", f),
            Value::String(s) => serializer.serialize_newtype_variant(NAME, 4, "String", s),
            Value::Seq(items) => {
                serializer.serialize_newtype_variant(NAME, 5, "Seq", &LeanSeq(items))
            }
            Value::Map(entries) => {
                serializer.serialize_newtype_variant(NAME, 6, "Map", &LeanMap(entries))
            }
        }
    }
}

struct LeanSeq<'a>(&'a [Node]);

impl Serialize for LeanSeq<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.0.iter().map(Lean))
    }
}

struct LeanMap<'a>(&'a [Entry]);

impl Serialize for LeanMap<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.0.iter().map(|entry| {
            (
                &entry.key,
                entry.key_span.start,
                entry.key_span.end,
                Lean(&entry.value),
            )
        }))
    }
}

/// Reads a [`Node`] written by [`Lean`] into `file`.
#[derive(Clone, Copy)]
struct NodeSeed {
    file: FileId,
}

impl NodeSeed {
    fn span(self, start: u32, end: u32) -> Span {
        Span::new(self.file, start as usize, end as usize)
    }
}

fn missing<E: de::Error>() -> E {
    E::custom("a truncated node")
}

impl<'de> DeserializeSeed<'de> for NodeSeed {
    type Value = Node;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Node, D::Error> {
        deserializer.deserialize_tuple(4, self)
    }
}

impl<'de> Visitor<'de> for NodeSeed {
    type Value = Node;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a node")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Node, A::Error> {
        let start: u32 = seq.next_element()?.ok_or_else(missing)?;
        let end: u32 = seq.next_element()?.ok_or_else(missing)?;
        let flow: bool = seq.next_element()?.ok_or_else(missing)?;
        let value = seq
            .next_element_seed(ValueSeed(self))?
            .ok_or_else(missing)?;
        Ok(Node {
            span: self.span(start, end),
            value,
            flow,
        })
    }
}

struct ValueSeed(NodeSeed);

impl<'de> DeserializeSeed<'de> for ValueSeed {
    type Value = Value;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Value, D::Error> {
        const VARIANTS: &[&str] = &["Null", "Bool", "Int", "Float", "String", "Seq", "Map"];
        deserializer.deserialize_enum("Value", VARIANTS, self)
    }
}

impl<'de> Visitor<'de> for ValueSeed {
    type Value = Value;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a value")
    }

    fn visit_enum<A: EnumAccess<'de>>(self, data: A) -> Result<Value, A::Error> {
        let (tag, variant): (u32, _) = data.variant()?;
        Ok(match tag {
            0 => {
                variant.unit_variant()?;
                Value::Null
            }
            1 => Value::Bool(variant.newtype_variant()?),
            2 => Value::Int(variant.newtype_variant()?),
            3 => Value::Float(variant.newtype_variant()?),
            4 => Value::String(variant.newtype_variant()?),
            5 => Value::Seq(variant.newtype_variant_seed(SeqSeed(self.0))?),
            6 => Value::Map(variant.newtype_variant_seed(MapSeed(self.0))?),
            _ => return Err(de::Error::custom("an unknown value tag")),
        })
    }
}

struct SeqSeed(NodeSeed);

impl<'de> DeserializeSeed<'de> for SeqSeed {
    type Value = Vec<Node>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Vec<Node>, D::Error> {
        deserializer.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for SeqSeed {
    type Value = Vec<Node>;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a list of nodes")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Vec<Node>, A::Error> {
        // The length is the encoder's; it is bounded by the bytes left, not trusted beyond them.
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(1024));
        while let Some(node) = seq.next_element_seed(self.0)? {
            items.push(node);
        }
        Ok(items)
    }
}

struct MapSeed(NodeSeed);

impl<'de> DeserializeSeed<'de> for MapSeed {
    type Value = Vec<Entry>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Vec<Entry>, D::Error> {
        deserializer.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for MapSeed {
    type Value = Vec<Entry>;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a list of entries")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Vec<Entry>, A::Error> {
        let mut entries = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(1024));
        while let Some(entry) = seq.next_element_seed(EntrySeed(self.0))? {
            entries.push(entry);
        }
        Ok(entries)
    }
}

struct EntrySeed(NodeSeed);

impl<'de> DeserializeSeed<'de> for EntrySeed {
    type Value = Entry;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Entry, D::Error> {
        deserializer.deserialize_tuple(4, self)
    }
}

impl<'de> Visitor<'de> for EntrySeed {
    type Value = Entry;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("an entry")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Entry, A::Error> {
        let key: String = seq.next_element()?.ok_or_else(missing)?;
        let start: u32 = seq.next_element()?.ok_or_else(missing)?;
        let end: u32 = seq.next_element()?.ok_or_else(missing)?;
        let value = seq.next_element_seed(self.0)?.ok_or_else(missing)?;
        Ok(Entry {
            key,
            key_span: self.0.span(start, end),
            value,
        })
    }
}

/// A file's documents, encoded.
pub fn encode(documents: &[Node]) -> Vec<u8> {
    postcard::to_allocvec(&LeanSeq(documents)).unwrap_or_default()
}

/// A file's documents, decoded into `file`; `None` when the bytes are not an encoding of them.
/// (Nesting is bounded: only trees the YAML reader accepted, at most 128 deep, are encoded, and
/// the whole cache is checked against its hash before any entry is decoded.)
pub fn decode(encoded: &[u8], file: FileId) -> Option<Vec<Node>> {
    let mut deserializer = postcard::Deserializer::from_bytes(encoded);
    let nodes = SeqSeed(NodeSeed { file })
        .deserialize(&mut deserializer)
        .ok()?;
    // Trailing bytes are not an encoding of the documents.
    deserializer.finalize().ok()?.is_empty().then_some(nodes)
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEXT: &str = "a: 1\nb: [x, {c: 2.5}]\n---\n- true\n- ~\n- \"s\"\n";

    fn key(name: &str, text: &str) -> Key {
        use crate::source::{Origin, SourceFile};
        *SourceFile::new(name.into(), text.into(), Origin::User).hash()
    }

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
