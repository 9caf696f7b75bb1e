//! [`Json`]: a JSON value as the wiring check keeps each generated object until the whole tree
//! is built: immutable and compact, read through the part of `serde_json::Value`'s interface the
//! check uses (`get`, `pointer`, `as_str`, `as_array`, ...).
//!
//! Measured at 10,000 services (63,000 objects kept): as `serde_json::Value`s they held about
//! 340 MB, most of `pave check`'s peak (every map is an `IndexMap` with its own hash table, and
//! every key its own allocation). Here a map is one exact-size slice of entries, in order, and
//! strings are shared with the policy engine's value they are made from (its keys are interned,
//! so each key is stored once for the whole tree).

use std::sync::Arc;

/// A JSON value (see the module's notes).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Json {
    Null,
    Bool(bool),
    Number(serde_json::Number),
    String(Arc<str>),
    Array(Box<[Json]>),
    Object(JsonObject),
}

/// A JSON object: its entries in order (a parsed file's, or the policy engine's, sorted), and
/// for a large one, their positions sorted by key.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct JsonObject {
    entries: Box<[(Arc<str>, Json)]>,
    /// The entries' positions by key, when there are more than [`SCAN`] and they are not
    /// already sorted (a Terraform file's resources of one type, one per service).
    sorted: Option<Box<[u32]>>,
}

/// Up to how many entries a key is looked up by scanning them.
const SCAN: usize = 16;

impl JsonObject {
    /// An object of `entries`, whose keys are distinct (those of a map), kept in this order.
    pub fn new(entries: Vec<(Arc<str>, Json)>) -> Self {
        let sorted = (entries.len() > SCAN && !entries.is_sorted_by(|a, b| a.0 < b.0)).then(|| {
            let mut positions: Vec<u32> = (0..entries.len())
                .map(|at| u32::try_from(at).unwrap_or(u32::MAX))
                .collect();
            positions.sort_by(|&a, &b| {
                let key = |at: u32| entries.get(at as usize).map(|(key, _)| key);
                key(a).cmp(&key(b))
            });
            positions.into_boxed_slice()
        });
        JsonObject {
            entries: entries.into_boxed_slice(),
            sorted,
        }
    }

    pub fn get(&self, key: &str) -> Option<&Json> {
        let key_at = |at: usize| self.entries.get(at).map(|(key, _)| &**key);
        let at = match &self.sorted {
            Some(sorted) => sorted
                .binary_search_by(|&at| key_at(at as usize).cmp(&Some(key)))
                .ok()
                .and_then(|found| sorted.get(found))
                .map(|&at| at as usize),
            None if self.entries.len() > SCAN => {
                self.entries.binary_search_by(|(k, _)| (**k).cmp(key)).ok()
            }
            None => self.entries.iter().position(|(k, _)| **k == *key),
        };
        self.entries.get(at?).map(|(_, value)| value)
    }

    pub fn contains_key(&self, key: &str) -> bool {
        self.get(key).is_some()
    }

    /// The entries, in order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &Json)> {
        self.entries.iter().map(|(key, value)| (&**key, value))
    }

    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.entries.iter().map(|(key, _)| &**key)
    }

    pub fn values(&self) -> impl Iterator<Item = &Json> {
        self.entries.iter().map(|(_, value)| value)
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

impl<'a> IntoIterator for &'a JsonObject {
    type Item = (&'a str, &'a Json);
    type IntoIter = std::iter::Map<
        std::slice::Iter<'a, (Arc<str>, Json)>,
        fn(&'a (Arc<str>, Json)) -> (&'a str, &'a Json),
    >;

    fn into_iter(self) -> Self::IntoIter {
        self.entries.iter().map(|(key, value)| (&**key, value))
    }
}

impl Json {
    /// The value at `key` of an object (`None` for anything else).
    pub fn get(&self, key: &str) -> Option<&Json> {
        self.as_object()?.get(key)
    }

    /// The value at a JSON Pointer (RFC 6901), as `serde_json::Value::pointer` reads one.
    pub fn pointer(&self, pointer: &str) -> Option<&Json> {
        if pointer.is_empty() {
            return Some(self);
        }
        let rest = pointer.strip_prefix('/')?;
        rest.split('/').try_fold(self, |value, token| {
            let token = token.replace("~1", "/").replace("~0", "~");
            match value {
                Json::Object(map) => map.get(&token),
                Json::Array(items) => array_index(&token).and_then(|at| items.get(at)),
                _ => None,
            }
        })
    }

    pub fn as_str(&self) -> Option<&str> {
        match self {
            Json::String(text) => Some(text),
            _ => None,
        }
    }

    pub fn as_array(&self) -> Option<&[Json]> {
        match self {
            Json::Array(items) => Some(items),
            _ => None,
        }
    }

    pub fn as_object(&self) -> Option<&JsonObject> {
        match self {
            Json::Object(map) => Some(map),
            _ => None,
        }
    }

    pub fn as_bool(&self) -> Option<bool> {
        match self {
            Json::Bool(b) => Some(*b),
            _ => None,
        }
    }

    pub fn as_u64(&self) -> Option<u64> {
        match self {
            Json::Number(n) => n.as_u64(),
            _ => None,
        }
    }

    pub fn as_i64(&self) -> Option<i64> {
        match self {
            Json::Number(n) => n.as_i64(),
            _ => None,
        }
    }

    pub fn is_object(&self) -> bool {
        matches!(self, Json::Object(_))
    }

    pub fn is_null(&self) -> bool {
        matches!(self, Json::Null)
    }
}

/// An array index in a JSON Pointer: digits, without a leading zero (as serde_json reads one).
fn array_index(token: &str) -> Option<usize> {
    if token.starts_with('+') || (token.starts_with('0') && token.len() != 1) {
        return None;
    }
    token.parse().ok()
}

impl From<&serde_json::Value> for Json {
    fn from(value: &serde_json::Value) -> Self {
        use serde_json::Value;
        match value {
            Value::Null => Json::Null,
            Value::Bool(b) => Json::Bool(*b),
            Value::Number(n) => Json::Number(n.clone()),
            Value::String(s) => Json::String(Arc::from(s.as_str())),
            Value::Array(items) => Json::Array(items.iter().map(Json::from).collect()),
            Value::Object(map) => Json::Object(JsonObject::new(
                map.iter()
                    .map(|(key, value)| (Arc::from(key.as_str()), Json::from(value)))
                    .collect(),
            )),
        }
    }
}

impl From<serde_json::Value> for Json {
    fn from(value: serde_json::Value) -> Self {
        Json::from(&value)
    }
}

impl From<&Json> for serde_json::Value {
    fn from(value: &Json) -> Self {
        use serde_json::Value;
        match value {
            Json::Null => Value::Null,
            Json::Bool(b) => Value::Bool(*b),
            Json::Number(n) => Value::Number(n.clone()),
            Json::String(s) => Value::String(s.to_string()),
            Json::Array(items) => Value::Array(items.iter().map(Value::from).collect()),
            Json::Object(map) => Value::Object(
                map.iter()
                    .map(|(key, value)| (key.to_string(), Value::from(value)))
                    .collect(),
            ),
        }
    }
}

/// As `serde_json::Value` prints: compact JSON text.
impl std::fmt::Display for Json {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        serde_json::Value::from(self).fmt(f)
    }
}

impl std::ops::Index<&str> for Json {
    type Output = Json;

    /// The value at `key`, or null, as `serde_json::Value` indexes.
    fn index(&self, key: &str) -> &Json {
        static NULL: Json = Json::Null;
        self.get(key).unwrap_or(&NULL)
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::Json;

    /// Every read gives what `serde_json::Value` gives on the same value.
    #[test]
    fn reads_as_serde_json_does() {
        let value = json!({"b": [1, -2, 0.5, "x", null, true], "a": {"c/d": {"e~f": "g"}},
            "big": u64::MAX, "": "empty"});
        let compact = Json::from(&value);
        for pointer in [
            "",
            "/b",
            "/b/0",
            "/b/1",
            "/b/2",
            "/b/3",
            "/b/4",
            "/b/5",
            "/b/6",
            "/b/01",
            "/b/+1",
            "/a/c~1d/e~0f",
            "/a/c/d",
            "/big",
            "/",
            "b",
            "/a/c~1d/e~0f/x",
            "/nothing",
        ] {
            let expected = value.pointer(pointer);
            let got = compact.pointer(pointer);
            assert_eq!(
                got.map(|v| v.as_str()),
                expected.map(|v| v.as_str()),
                "{pointer}"
            );
            assert_eq!(
                got.map(Json::as_u64),
                expected.map(|v| v.as_u64()),
                "{pointer}"
            );
            assert_eq!(
                got.map(Json::as_i64),
                expected.map(|v| v.as_i64()),
                "{pointer}"
            );
            assert_eq!(
                got.map(Json::as_bool),
                expected.map(|v| v.as_bool()),
                "{pointer}"
            );
            assert_eq!(
                got.map(Json::is_null),
                expected.map(|v| v.is_null()),
                "{pointer}"
            );
            assert_eq!(
                got.and_then(Json::as_array).map(<[Json]>::len),
                expected.and_then(|v| v.as_array()).map(Vec::len),
                "{pointer}"
            );
            assert_eq!(
                got.and_then(Json::as_object)
                    .map(|map| map.keys().map(str::to_string).collect::<Vec<_>>()),
                expected
                    .and_then(|v| v.as_object())
                    .map(|map| map.keys().cloned().collect::<Vec<_>>()),
                "{pointer}"
            );
        }
        assert_eq!(compact["a"]["c/d"]["e~f"].as_str(), Some("g"));
        assert!(compact["nothing"]["deeper"].is_null());
    }

    /// Keys are found in objects of any size, in order or not; entries keep their order.
    #[test]
    fn an_object_keeps_its_order_and_finds_every_key() {
        for n in [3, 40] {
            let keys: Vec<String> = (0..n).rev().map(|i| format!("k{i:02}")).collect();
            for keys in [keys.clone(), keys.into_iter().rev().collect()] {
                let object = super::JsonObject::new(
                    keys.iter()
                        .enumerate()
                        .map(|(i, key)| (key.as_str().into(), Json::Number(i.into())))
                        .collect(),
                );
                assert!(object.keys().eq(keys.iter().map(String::as_str)));
                for (i, key) in keys.iter().enumerate() {
                    assert_eq!(object.get(key).and_then(Json::as_u64), Some(i as u64));
                }
                assert_eq!(object.get("k"), None);
                assert_eq!(object.get("zz"), None);
            }
        }
    }
}
