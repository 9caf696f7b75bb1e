//! What add-on charts read by name: each HelmRelease's values, at the paths its catalogue entry
//! declares (`valuesPaths`, and its Secrets' `valuesPaths`), name a Secret, ConfigMap,
//! StorageClass or ServiceAccount that the chart does not create. Each name found there must be
//! produced in the release's target namespace (or, for a StorageClass, on the cluster), as the
//! chart's pods would resolve it: a chart's `existingSecret` left pointing at nothing is a pod
//! stuck in `CreateContainerConfigError`, and with `wait: true` the whole layer with it.

use crate::emit::Json;

use super::index::{Index, Object};
use super::{Facts, Report};
use crate::diagnostic::Reference;
use crate::parse::NamedKind;

pub(super) fn check(index: &Index<'_>, facts: &Facts, report: &mut Report<'_>) {
    for scope in &index.scopes {
        let charted = super::identity::chart_service_accounts(index, scope, facts);
        for (object, addon) in index.addon_releases(scope, facts) {
            let Some(values) = object.value.pointer("/spec/values") else {
                continue;
            };
            let namespace = object
                .value
                .pointer("/spec/targetNamespace")
                .and_then(Json::as_str)
                .unwrap_or(&addon.namespace);
            // A path two declarations match (a Secret's and a wildcard) is checked once.
            let mut seen = std::collections::HashSet::new();
            for (pattern, kind) in &addon.named_objects {
                let segments: Vec<&str> = pattern.split('.').collect();
                let mut found = Vec::new();
                names_at(values, &segments, String::new(), &mut found);
                for (pointer, name) in found {
                    if !seen.insert(pointer.clone()) {
                        continue;
                    }
                    let produced = match kind {
                        NamedKind::Secret => scope.has_secret(namespace, name),
                        NamedKind::ConfigMap => {
                            scope.has("ConfigMap", namespace, name) || scope.undecided(namespace)
                        }
                        // `-` asks the chart for `storageClassName: ""` (no class).
                        NamedKind::StorageClass => {
                            name == "-" || scope.has("StorageClass", "", name)
                        }
                        NamedKind::ServiceAccount => {
                            scope.has("ServiceAccount", namespace, name)
                                || charted.contains(&(namespace.to_string(), name.to_string()))
                                || scope.undecided(namespace)
                        }
                    };
                    if !produced {
                        unresolved(object, &pointer, *kind, name, namespace, report);
                    }
                }
            }
        }
    }
}

fn unresolved(
    object: &Object<'_>,
    pointer: &str,
    kind: NamedKind,
    name: &str,
    namespace: &str,
    report: &mut Report<'_>,
) {
    let target = match kind {
        NamedKind::StorageClass => format!("StorageClass `{name}`"),
        _ => format!("{} `{name}` in `{namespace}`", kind.as_str()),
    };
    report.unresolved(
        object,
        &format!("/spec/values{pointer}"),
        Reference::ChartValue,
        target,
    );
}

/// Every string at `segments` under `value` (`*` is any list item or key), with its JSON
/// pointer. An empty name, or one a chart's template fills (`{{ ... }}`), names nothing pave can
/// resolve.
fn names_at<'v>(
    value: &'v Json,
    segments: &[&str],
    pointer: String,
    found: &mut Vec<(String, &'v str)>,
) {
    let Some((first, rest)) = segments.split_first() else {
        if let Some(name) = value.as_str()
            && !name.is_empty()
            && !name.contains("{{")
        {
            found.push((pointer, name));
        }
        return;
    };
    let escape = |key: &str| key.replace('~', "~0").replace('/', "~1");
    match value {
        Json::Object(map) if *first == "*" => {
            for (key, child) in map {
                names_at(child, rest, format!("{pointer}/{}", escape(key)), found);
            }
        }
        Json::Object(map) => {
            if let Some(child) = map.get(first) {
                names_at(child, rest, format!("{pointer}/{}", escape(first)), found);
            }
        }
        Json::Array(items) => {
            for (i, child) in items.iter().enumerate() {
                if *first == "*" || first.parse() == Ok(i) {
                    names_at(child, rest, format!("{pointer}/{i}"), found);
                }
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(values: &serde_json::Value, pattern: &str) -> Vec<(String, String)> {
        let segments: Vec<&str> = pattern.split('.').collect();
        let mut found = Vec::new();
        let values = Json::from(values);
        names_at(&values, &segments, String::new(), &mut found);
        found
            .into_iter()
            .map(|(pointer, name)| (pointer, name.to_string()))
            .collect()
    }

    #[test]
    fn a_star_matches_every_list_item_and_a_number_one() {
        let values = serde_json::json!({"extraEnvFrom": [
            {"secretRef": {"name": "a"}},
            {"configMapRef": {"name": "b"}},
            {"secretRef": {"name": "{{ .Release.Name }}-c"}},
            {"secretRef": {"name": ""}},
        ]});
        assert_eq!(
            names(&values, "extraEnvFrom.*.secretRef.name"),
            vec![(
                "/extraEnvFrom/0/secretRef/name".to_string(),
                "a".to_string()
            )]
        );
        assert_eq!(
            names(&values, "extraEnvFrom.1.configMapRef.name"),
            vec![(
                "/extraEnvFrom/1/configMapRef/name".to_string(),
                "b".to_string()
            )]
        );
        assert!(names(&values, "extraEnvFrom.2.secretRef.name").is_empty());
    }

    #[test]
    fn a_star_matches_every_key() {
        let values = serde_json::json!({"secrets": {"x/y": {"name": "s"}}});
        assert_eq!(
            names(&values, "secrets.*.name"),
            vec![("/secrets/x~1y/name".to_string(), "s".to_string())]
        );
    }
}
