//! Field-level differences between two versions of an object, as dyff shows them.

use serde::Serialize;
use serde_json::Value as Json;

/// One changed field: `path: old → new`. A missing side means the field was added or removed.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FieldChange {
    pub path: String,
    pub old: Option<Json>,
    pub new: Option<Json>,
}

/// What replaces a value that must not be shown.
pub(super) const MASK: &str = "(sensitive value hidden)";

/// Every changed leaf or subtree between `old` and `new`. With `masked`, values under `data`
/// and `stringData` are hidden; secret-looking values (`secret.rs`) always are.
pub(super) fn diff_fields(old: &Json, new: &Json, masked: bool) -> Vec<FieldChange> {
    let mut out = Vec::new();
    walk(String::new(), Some(old), Some(new), &mut out);
    for change in &mut out {
        let secret_data =
            masked && (change.path.starts_with("data") || change.path.starts_with("stringData"));
        // Secret-looking values of any object (a ConfigMap's data, a container's env).
        let secret_looking = super::secret::variable_of(&change.path)
            .is_some_and(super::secret::is_secret_name)
            || [&change.old, &change.new]
                .into_iter()
                .flatten()
                .any(holds_token);
        if secret_data || secret_looking {
            change.old = change.old.as_ref().map(|_| Json::String(MASK.into()));
            change.new = change.new.as_ref().map(|_| Json::String(MASK.into()));
        }
    }
    out
}

/// Whether a value or any string in it holds a known token format.
fn holds_token(value: &Json) -> bool {
    match value {
        Json::String(s) => super::secret::has_token(s),
        Json::Array(items) => items.iter().any(holds_token),
        Json::Object(map) => map.values().any(holds_token),
        _ => false,
    }
}

fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_string()
    } else {
        format!("{path}.{key}")
    }
}

fn walk(path: String, old: Option<&Json>, new: Option<&Json>, out: &mut Vec<FieldChange>) {
    match (old, new) {
        (Some(Json::Object(a)), Some(Json::Object(b))) => {
            let mut keys: Vec<&String> = a.keys().chain(b.keys()).collect();
            keys.sort();
            keys.dedup();
            for key in keys {
                walk(join(&path, key), a.get(key), b.get(key), out);
            }
        }
        (Some(Json::Array(a)), Some(Json::Array(b))) => {
            if let (Some(a_names), Some(b_names)) = (names(a), names(b)) {
                // Matched by `name`, as Kubernetes merges containers, ports, env, volumes.
                let mut all: Vec<&str> = a_names.iter().chain(&b_names).map(|(n, _)| *n).collect();
                all.sort_unstable();
                all.dedup();
                for name in all {
                    walk(
                        format!("{path}[name={name}]"),
                        find_named(&a_names, name),
                        find_named(&b_names, name),
                        out,
                    );
                }
            } else {
                for i in 0..a.len().max(b.len()) {
                    walk(format!("{path}[{i}]"), a.get(i), b.get(i), out);
                }
            }
        }
        (a, b) if a == b => {}
        (a, b) => out.push(FieldChange {
            path,
            old: a.cloned(),
            new: b.cloned(),
        }),
    }
}

fn find_named<'a>(list: &[(&str, &'a Json)], name: &str) -> Option<&'a Json> {
    list.iter().find(|(n, _)| *n == name).map(|(_, v)| *v)
}

/// The items' `name`s, when every item is a mapping with a unique string `name`.
fn names(items: &[Json]) -> Option<Vec<(&str, &Json)>> {
    let named: Option<Vec<(&str, &Json)>> = items
        .iter()
        .map(|item| item.get("name").and_then(Json::as_str).map(|n| (n, item)))
        .collect();
    let named = named?;
    let mut seen: Vec<&str> = named.iter().map(|(n, _)| *n).collect();
    seen.sort_unstable();
    seen.dedup();
    (seen.len() == named.len() && !named.is_empty()).then_some(named)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn paths(old: Json, new: Json) -> Vec<String> {
        diff_fields(&old, &new, false)
            .into_iter()
            .map(|c| format!("{}: {:?} → {:?}", c.path, c.old, c.new))
            .collect()
    }

    #[test]
    fn scalars_show_old_and_new() {
        let changes = paths(
            json!({"spec": {"replicas": 2}}),
            json!({"spec": {"replicas": 3}}),
        );
        assert_eq!(
            changes,
            vec!["spec.replicas: Some(Number(2)) → Some(Number(3))"]
        );
    }

    #[test]
    fn named_list_items_are_matched_by_name() {
        let old =
            json!({"containers": [{"name": "a", "image": "x:1"}, {"name": "b", "image": "y:1"}]});
        let new =
            json!({"containers": [{"name": "b", "image": "y:2"}, {"name": "a", "image": "x:1"}]});
        assert_eq!(
            paths(old, new),
            vec![r#"containers[name=b].image: Some(String("y:1")) → Some(String("y:2"))"#]
        );
    }

    #[test]
    fn secret_data_is_masked() {
        let changes = diff_fields(
            &json!({"data": {"k": "old"}}),
            &json!({"data": {"k": "new"}}),
            true,
        );
        assert_eq!(changes[0].new, Some(Json::String(MASK.into())));
    }
}
