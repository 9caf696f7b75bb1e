//! Reads the typed model straight from a spanned YAML tree, as `serde_json` reads it from the
//! [`Node::to_json`] of that tree, without building the JSON first (at 10,000 services, building
//! it and reading it back was most of a parse from the parse cache).
//!
//! It gives a visitor what `serde_json::Value`'s deserializer gives for the same tree, node kind
//! by node kind: null is a unit (or `None`), an integer is unsigned when it is not negative, a
//! float that is not finite is null (`Number::from_f64`), a string is an enum's unit variant and
//! a mapping of one entry its variant with contents; errors name the same unexpected kinds. Only
//! trees without duplicate keys are read this way (`to_json` keeps a duplicate key's last value
//! at the first one's place): the caller reads a file whose YAML had any diagnostic through
//! `to_json` instead.

use std::fmt;

use serde::de::{self, DeserializeSeed, IntoDeserializer, MapAccess, SeqAccess, Visitor};

use super::yaml::{Entry, Node, Value};

/// What went wrong, as `serde_json` words it.
#[derive(Debug)]
pub(crate) struct Error(String);

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Error {}

impl de::Error for Error {
    fn custom<T: fmt::Display>(message: T) -> Self {
        Error(message.to_string())
    }
}

/// A node, read as `serde_json` reads its JSON; `missing_spec` makes a mapping without a `spec`
/// key read as if it had `spec: {}` last (what `typed` asks of a document's root).
#[derive(Clone, Copy)]
pub(crate) struct NodeDeserializer<'a> {
    node: &'a Node,
    missing_spec: bool,
}

impl<'a> NodeDeserializer<'a> {
    pub(crate) fn new(node: &'a Node) -> Self {
        NodeDeserializer {
            node,
            missing_spec: false,
        }
    }

    /// A document's root: a missing `spec` reads as an empty mapping.
    pub(crate) fn root(node: &'a Node) -> Self {
        NodeDeserializer {
            node,
            missing_spec: node.get("spec").is_none(),
        }
    }

    fn unexpected(&self) -> de::Unexpected<'a> {
        unexpected(&self.node.value)
    }
}

fn unexpected(value: &Value) -> de::Unexpected<'_> {
    match value {
        Value::Null => de::Unexpected::Unit,
        Value::Bool(b) => de::Unexpected::Bool(*b),
        Value::Int(i) => match u64::try_from(*i) {
            Ok(u) => de::Unexpected::Unsigned(u),
            Err(_) => de::Unexpected::Signed(*i),
        },
        Value::Float(f) if f.is_finite() => de::Unexpected::Float(*f),
        Value::Float(_) => de::Unexpected::Unit,
        Value::String(s) => de::Unexpected::Str(s),
        Value::Seq(_) => de::Unexpected::Seq,
        Value::Map(_) => de::Unexpected::Map,
    }
}

impl<'de> de::Deserializer<'de> for NodeDeserializer<'_> {
    type Error = Error;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match &self.node.value {
            Value::Null => visitor.visit_unit(),
            Value::Bool(b) => visitor.visit_bool(*b),
            Value::Int(i) => match u64::try_from(*i) {
                Ok(u) => visitor.visit_u64(u),
                Err(_) => visitor.visit_i64(*i),
            },
            Value::Float(f) if f.is_finite() => visitor.visit_f64(*f),
            Value::Float(_) => visitor.visit_unit(),
            Value::String(s) => visitor.visit_str(s),
            Value::Seq(items) => {
                let mut seq = Items {
                    items: items.iter(),
                };
                let value = visitor.visit_seq(&mut seq)?;
                match seq.items.len() {
                    0 => Ok(value),
                    _ => Err(de::Error::invalid_length(
                        items.len(),
                        &"fewer elements in array",
                    )),
                }
            }
            Value::Map(entries) => {
                let mut map = Entries {
                    entries: entries.iter(),
                    value: None,
                    missing_spec: self.missing_spec,
                };
                let value = visitor.visit_map(&mut map)?;
                match map.entries.len() {
                    0 => Ok(value),
                    _ => Err(de::Error::invalid_length(
                        entries.len(),
                        &"fewer elements in map",
                    )),
                }
            }
        }
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match &self.node.value {
            Value::Null => visitor.visit_none(),
            Value::Float(f) if !f.is_finite() => visitor.visit_none(),
            _ => visitor.visit_some(self),
        }
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, Error> {
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        match &self.node.value {
            Value::String(variant) => visitor.visit_enum(variant.as_str().into_deserializer()),
            Value::Map(entries) => match entries.as_slice() {
                [entry] => visitor.visit_enum(Variant { entry }),
                _ => Err(de::Error::invalid_value(
                    de::Unexpected::Map,
                    &"map with a single key",
                )),
            },
            _ => Err(de::Error::invalid_type(self.unexpected(), &"string or map")),
        }
    }

    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        visitor.visit_unit()
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf unit
        unit_struct seq tuple tuple_struct map struct identifier
    }
}

/// A sequence's items.
struct Items<'a> {
    items: std::slice::Iter<'a, Node>,
}

impl<'de> SeqAccess<'de> for Items<'_> {
    type Error = Error;

    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, Error> {
        self.items
            .next()
            .map(|node| seed.deserialize(NodeDeserializer::new(node)))
            .transpose()
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.items.len())
    }
}

/// A mapping's entries, then `spec: {}` when asked for.
struct Entries<'a> {
    entries: std::slice::Iter<'a, Entry>,
    value: Option<&'a Node>,
    missing_spec: bool,
}

/// The value of the `spec: {}` a root without one reads as.
struct EmptyMap;

impl<'de> de::Deserializer<'de> for EmptyMap {
    type Error = Error;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        visitor.visit_map(Entries {
            entries: [].iter(),
            value: None,
            missing_spec: false,
        })
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        visitor.visit_some(self)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        _visitor: V,
    ) -> Result<V::Value, Error> {
        Err(de::Error::invalid_value(
            de::Unexpected::Map,
            &"map with a single key",
        ))
    }

    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        visitor.visit_unit()
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf unit
        unit_struct newtype_struct seq tuple tuple_struct map struct identifier
    }
}

impl<'de> MapAccess<'de> for Entries<'_> {
    type Error = Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, Error> {
        match self.entries.next() {
            Some(entry) => {
                self.value = Some(&entry.value);
                seed.deserialize(entry.key.as_str().into_deserializer())
                    .map(Some)
            }
            None if self.missing_spec => seed.deserialize("spec".into_deserializer()).map(Some),
            None => Ok(None),
        }
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, Error> {
        match self.value.take() {
            Some(node) => seed.deserialize(NodeDeserializer::new(node)),
            None if self.missing_spec => {
                self.missing_spec = false;
                seed.deserialize(EmptyMap)
            }
            None => Err(de::Error::custom("value is missing")),
        }
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.entries.len() + usize::from(self.missing_spec))
    }
}

/// An enum's variant written as a mapping of one entry.
struct Variant<'a> {
    entry: &'a Entry,
}

impl<'de, 'a> de::EnumAccess<'de> for Variant<'a> {
    type Error = Error;
    type Variant = NodeDeserializer<'a>;

    fn variant_seed<V: DeserializeSeed<'de>>(
        self,
        seed: V,
    ) -> Result<(V::Value, NodeDeserializer<'a>), Error> {
        let variant = seed.deserialize(self.entry.key.as_str().into_deserializer())?;
        Ok((variant, NodeDeserializer::new(&self.entry.value)))
    }
}

impl<'de> de::VariantAccess<'de> for NodeDeserializer<'_> {
    type Error = Error;

    fn unit_variant(self) -> Result<(), Error> {
        <() as serde::Deserialize>::deserialize(self)
    }

    fn newtype_variant_seed<T: DeserializeSeed<'de>>(self, seed: T) -> Result<T::Value, Error> {
        seed.deserialize(self)
    }

    fn tuple_variant<V: Visitor<'de>>(self, _len: usize, visitor: V) -> Result<V::Value, Error> {
        match &self.node.value {
            Value::Seq(items) if items.is_empty() => visitor.visit_unit(),
            Value::Seq(_) => de::Deserializer::deserialize_any(self, visitor),
            _ => Err(de::Error::invalid_type(self.unexpected(), &"tuple variant")),
        }
    }

    fn struct_variant<V: Visitor<'de>>(
        self,
        _fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        match &self.node.value {
            Value::Map(_) => de::Deserializer::deserialize_any(self, visitor),
            _ => Err(de::Error::invalid_type(
                self.unexpected(),
                &"struct variant",
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use serde::Deserialize;

    use super::*;
    use crate::source::FileId;

    #[derive(Debug, PartialEq, Deserialize)]
    #[serde(rename_all = "camelCase")]
    enum Mode {
        Plain,
        Tuned { level: u8 },
    }

    #[derive(Debug, PartialEq, Deserialize)]
    #[serde(untagged)]
    enum Either {
        Number(f64),
        Text(String),
    }

    #[derive(Debug, PartialEq, Deserialize)]
    #[serde(deny_unknown_fields, rename_all = "camelCase")]
    struct Sample {
        name: String,
        count: Option<i32>,
        ratio: f64,
        flags: Vec<bool>,
        modes: Vec<Mode>,
        either: Vec<Either>,
        labels: BTreeMap<String, String>,
        #[serde(default)]
        missing: Option<u16>,
        nothing: Option<String>,
    }

    /// What `serde_json` reads from the tree's JSON, and what this reads from the tree.
    fn both<T: serde::de::DeserializeOwned>(text: &str) -> (Result<T, String>, Result<T, String>) {
        let (nodes, errors) = crate::parse::yaml::parse_yaml(FileId::new(0), text);
        assert!(errors.is_empty(), "{errors:?}");
        let node = &nodes[0];
        let json = serde_json::from_value::<T>(node.to_json()).map_err(|e| e.to_string());
        let direct = T::deserialize(NodeDeserializer::new(node)).map_err(|e| e.to_string());
        (json, direct)
    }

    #[test]
    fn reads_what_serde_json_reads_from_the_json() {
        let text = "name: a\ncount: -3\nratio: 2\nflags: [true, false]\nmodes: [plain, {tuned: {level: 3}}]\neither: [1.5, x, 7]\nlabels: {b: c, a: d}\nnothing: ~\n";
        let (json, direct) = both::<Sample>(text);
        assert!(json.is_ok(), "{json:?}");
        assert_eq!(direct, json);
    }

    #[test]
    fn fails_where_serde_json_fails_and_says_the_same() {
        for text in [
            "name: [a]\ncount: 1\nratio: 1\nflags: []\nmodes: []\neither: []\nlabels: {}\nnothing: ~\n",
            "name: a\ncount: 1.5\nratio: 1\nflags: []\nmodes: []\neither: []\nlabels: {}\nnothing: ~\n",
            "name: a\ncount: 99999999999\nratio: 1\nflags: []\nmodes: []\neither: []\nlabels: {}\nnothing: ~\n",
            "name: a\nratio: x\nflags: []\nmodes: []\neither: []\nlabels: {}\nnothing: ~\n",
            "name: a\nratio: 1\nflags: []\nmodes: [other]\neither: []\nlabels: {}\nnothing: ~\n",
            "name: a\nratio: 1\nflags: []\nmodes: [{tuned: 1, plain: ~}]\neither: []\nlabels: {}\nnothing: ~\n",
            "name: a\nratio: 1\nflags: []\nmodes: []\neither: [[]]\nlabels: {}\nnothing: ~\n",
            "name: a\nratio: 1\nflags: []\nmodes: []\neither: []\nlabels: {}\nnothing: ~\nextra: 1\n",
            "name: a\nratio: 1\nflags: [1]\nmodes: []\neither: []\nlabels: {}\n",
            "- 1\n",
        ] {
            let (json, direct) = both::<Sample>(text);
            assert!(json.is_err(), "{text}");
            assert_eq!(direct, json, "{text}");
        }
    }

    #[test]
    fn a_root_without_spec_reads_an_empty_one() {
        #[derive(Debug, PartialEq, Deserialize)]
        struct Root {
            spec: BTreeMap<String, String>,
        }
        let (nodes, _) = crate::parse::yaml::parse_yaml(FileId::new(0), "kind: A\n");
        let root = Root::deserialize(NodeDeserializer::root(&nodes[0]));
        assert_eq!(
            root.ok(),
            Some(Root {
                spec: BTreeMap::new()
            })
        );
        let (nodes, _) = crate::parse::yaml::parse_yaml(FileId::new(0), "spec: {a: b}\n");
        let root = Root::deserialize(NodeDeserializer::root(&nodes[0])).ok();
        assert_eq!(root.map(|r| r.spec.len()), Some(1));
    }
}
