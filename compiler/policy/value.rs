//! Reading and building the policy engine's values by hand: each input's `data.pave` and the
//! guard index. Typed objects are converted by `emit::engine_value`.

use regorus::Value;

use crate::emit::engine_value::object;
pub(super) use crate::emit::engine_value::{key, string};

/// The value of `key` in an object, if it is one and has it (a scan: objects here are small, and
/// it needs no key value built).
pub(super) fn field<'a>(value: &'a Value, key: &str) -> Option<&'a Value> {
    let map = value.as_object().ok()?;
    map.iter()
        .find(|(k, _)| k.as_string().is_ok_and(|k| k.as_ref() == key))
        .map(|(_, v)| v)
}

/// The value at `path` in an object (`Undefined` when absent).
pub(super) fn at<'a>(value: &'a Value, path: &[&str]) -> &'a Value {
    static UNDEFINED: Value = Value::Undefined;
    path.iter()
        .fold(value, |value, key| field(value, key).unwrap_or(&UNDEFINED))
}

/// An object of `entries` (static keys), as the engine's value.
pub(super) fn record<const N: usize>(entries: [(&'static str, Value); N]) -> Value {
    object(
        entries
            .into_iter()
            .map(|(name, value)| (key(name), value))
            .collect(),
    )
}

/// The string at `path` in an object, if it is one.
pub(super) fn text<'a>(value: &'a Value, path: &[&str]) -> Option<&'a str> {
    at(value, path).as_string().ok().map(AsRef::as_ref)
}

/// The string-valued entries of an object (a label map), in key order.
pub(super) fn strings(value: &Value) -> Vec<(String, String)> {
    value
        .as_object()
        .map(|map| {
            map.iter()
                .filter_map(|(k, v)| {
                    Some((
                        k.as_string().ok()?.to_string(),
                        v.as_string().ok()?.to_string(),
                    ))
                })
                .collect()
        })
        .unwrap_or_default()
}
