//! The embedded JSON Schemas (`schemas/`), walked along a data path: the description of the node
//! at a path (hover) and the keys a mapping at a path may hold (completion).

use std::collections::BTreeMap;
use std::sync::OnceLock;

use serde_json::Value as Json;

use crate::source::schema_source;

/// The schema of a document kind (`Service`, `Score`), parsed once.
fn schema_of(kind: &str) -> Option<&'static Json> {
    static SCHEMAS: OnceLock<BTreeMap<&'static str, Json>> = OnceLock::new();
    let schemas = SCHEMAS.get_or_init(|| {
        [
            ("Platform", "platform.schema.json"),
            ("Environment", "environment.schema.json"),
            ("Tenant", "tenant.schema.json"),
            ("Service", "service.schema.json"),
            ("Waiver", "waiver.schema.json"),
            ("Score", "score.schema.json"),
        ]
        .into_iter()
        .filter_map(|(kind, file)| {
            let text = schema_source(file)?;
            Some((kind, serde_json::from_str(text).ok()?))
        })
        .collect()
    });
    schemas.get(kind)
}

/// A local `$ref` (`#/$defs/name`) followed, up to a few times.
fn follow<'a>(root: &'a Json, mut schema: &'a Json) -> &'a Json {
    for _ in 0..8 {
        let Some(reference) = schema.get("$ref").and_then(Json::as_str) else {
            break;
        };
        let Some(pointer) = reference.strip_prefix('#') else {
            break;
        };
        match root.pointer(pointer) {
            Some(target) => schema = target,
            None => break,
        }
    }
    schema
}

/// The schema and its alternatives (`allOf`, `anyOf`, `oneOf`, `then`, `else`), each followed.
fn alternatives<'a>(root: &'a Json, schema: &'a Json) -> Vec<&'a Json> {
    let mut out = vec![follow(root, schema)];
    let mut i = 0;
    while i < out.len() && out.len() < 64 {
        let current = out[i];
        for key in ["allOf", "anyOf", "oneOf"] {
            if let Some(Json::Array(items)) = current.get(key) {
                out.extend(items.iter().map(|s| follow(root, s)));
            }
        }
        for key in ["then", "else"] {
            if let Some(s) = current.get(key) {
                out.push(follow(root, s));
            }
        }
        i += 1;
    }
    out
}

/// The schema of the child `segment` (a key, or `[]` for a list item), unfollowed.
fn child<'a>(root: &'a Json, schema: &'a Json, segment: &str) -> Option<&'a Json> {
    let candidates = alternatives(root, schema);
    if segment == super::index::ITEM {
        return candidates.iter().find_map(|s| s.get("items"));
    }
    if let Some(found) = candidates
        .iter()
        .find_map(|s| s.get("properties").and_then(|p| p.get(segment)))
    {
        return Some(found);
    }
    for s in &candidates {
        if let Some(Json::Object(patterns)) = s.get("patternProperties") {
            for (pattern, sub) in patterns {
                if regex::Regex::new(pattern).is_ok_and(|r| r.is_match(segment)) {
                    return Some(sub);
                }
            }
        }
    }
    candidates
        .iter()
        .find_map(|s| s.get("additionalProperties").filter(|a| a.is_object()))
}

/// The schema at a data path of a document of `kind`.
fn at<'a>(kind: &str, path: &[String]) -> Option<(&'a Json, &'a Json)> {
    let root = schema_of(kind)?;
    let mut schema = root;
    for segment in path {
        schema = child(root, schema, segment)?;
    }
    Some((root, schema))
}

/// The description of the node at a data path: its own, else that of what it refers to.
pub(super) fn description(kind: &str, path: &[String]) -> Option<String> {
    let (root, schema) = at(kind, path)?;
    schema
        .get("description")
        .or_else(|| follow(root, schema).get("description"))
        .and_then(Json::as_str)
        .map(str::to_string)
}

/// The keys a mapping at a data path may hold, each with its description, in schema order.
pub(super) fn keys(kind: &str, path: &[String]) -> Vec<(String, Option<String>)> {
    let Some((root, schema)) = at(kind, path) else {
        return Vec::new();
    };
    let mut out: Vec<(String, Option<String>)> = Vec::new();
    for s in alternatives(root, schema) {
        if let Some(Json::Object(properties)) = s.get("properties") {
            for (key, sub) in properties {
                if out.iter().all(|(k, _)| k != key) {
                    let description = sub
                        .get("description")
                        .or_else(|| follow(root, sub).get("description"))
                        .and_then(Json::as_str)
                        .map(str::to_string);
                    out.push((key.clone(), description));
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn path(p: &[&str]) -> Vec<String> {
        p.iter().map(|s| (*s).to_string()).collect()
    }

    #[test]
    fn descriptions_follow_refs_and_per_environment_overrides() {
        let tenant = description("Waiver", &path(&["spec", "tenant"]));
        assert_eq!(tenant.as_deref(), Some("The tenant the waiver is for."));
        // `spec.environments.<env>` is an override: its `size` is described there.
        assert!(description("Service", &path(&["spec", "environments", "prod", "size"])).is_some());
        assert_eq!(description("Service", &path(&["spec", "nonsense"])), None);
    }

    #[test]
    fn keys_of_a_mapping_in_schema_order() {
        let keys: Vec<String> = keys("Waiver", &path(&["spec"]))
            .into_iter()
            .map(|(k, _)| k)
            .collect();
        assert_eq!(
            keys,
            [
                "rule",
                "tenant",
                "service",
                "environments",
                "reason",
                "expires"
            ]
        );
    }
}
