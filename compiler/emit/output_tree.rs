//! The generated tree, in memory: relative path to file contents.

use std::collections::{BTreeMap, BTreeSet};

use super::Provenance;
use super::json::{Json, JsonObject};

/// One generated file: one object, several (a workload's, as a multi-document YAML stream), or a
/// file that is not Kubernetes objects (Terraform JSON, a catalog).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutputFile {
    /// The full contents, header included.
    pub contents: String,
    /// The spec file it was generated from (relative to the platform root).
    pub source: String,
    /// Its objects in the file's order, one per YAML document; a file that is not a list of
    /// objects has one, for the file as a whole. Never written to disk.
    pub documents: Vec<OutputDocument>,
    /// Whether the policies already evaluated its objects, as its folder was finished (see
    /// [`super::ObjectCheck`]); the others are evaluated on the finished tree.
    pub checked: bool,
}

/// One object of a generated file: where it came from, and for the wiring check its value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutputDocument {
    /// The spec nodes the object came from, for policy and wiring diagnostics.
    pub provenance: Provenance,
    /// The object as compact JSON ([`Json`]), converted from the typed object as it was
    /// generated, for the wiring check (only of the kinds it reads, [`wiring_reads`], and without the fields it never
    /// reads, [`for_wiring`]), so that it does not parse the written YAML back. Dropped once the
    /// check has run.
    pub object: Option<std::sync::Arc<Json>>,
}

impl OutputFile {
    /// A file with one provenance for all of it (one object, or not objects at all).
    pub fn single(contents: String, source: String, provenance: Provenance, checked: bool) -> Self {
        OutputFile {
            contents,
            source,
            documents: vec![OutputDocument {
                provenance,
                object: None,
            }],
            checked,
        }
    }

    /// The provenance of the document at `index` (of the last one past the end, as for a file
    /// whose documents the emitter did not list one by one).
    pub fn provenance(&self, index: usize) -> &Provenance {
        static NONE: std::sync::LazyLock<Provenance> =
            std::sync::LazyLock::new(Provenance::default);
        self.documents
            .get(index)
            .or(self.documents.last())
            .map_or(&NONE, |document| &document.provenance)
    }
}

/// Whether the wiring check reads objects of `kind` at `path` (a file's or its folder's, relative
/// to the output root): every kind but those that refer to nothing it resolves and that nothing
/// refers to by kind (at 1,000 services, 60% of the tree's files); add-ons' ConfigMaps are read
/// (a chart's values may name one), tenants' are not.
pub fn wiring_reads(kind: &str, path: &str) -> bool {
    if kind == "ConfigMap" {
        return path.starts_with("infrastructure/");
    }
    !matches!(
        kind,
        "ConfigMap"
            | "Service"
            | "HorizontalPodAutoscaler"
            | "PodDisruptionBudget"
            | "NetworkPolicy"
            | "ResourceQuota"
            | "LimitRange"
            | "Role"
            | "CompositeResourceDefinition"
            | "ConstraintTemplate"
    )
}

/// The fields of a pod template's containers that no wiring check reads: what a container runs
/// and how it is probed, sized and mounted, not what it refers to (Secrets, ports, security
/// contexts). Left out of the objects kept for the check (see [`for_wiring`]): a workload is
/// most of the tree's objects' memory, and these are half of a Deployment's fields.
const UNREAD_CONTAINER_FIELDS: [&str; 10] = [
    "image",
    "imagePullPolicy",
    "livenessProbe",
    "readinessProbe",
    "startupProbe",
    "lifecycle",
    "resources",
    "volumeMounts",
    "terminationMessagePath",
    "terminationMessagePolicy",
];

/// `object` (of `kind`, as the policy engine's value, [`super::engine_value::to_value`]) as the
/// wiring check keeps it, as compact JSON sharing the engine value's strings ([`Json`]): without what no check reads ([`unread`]), which is never
/// built. List items are never removed, so every pointer the check reports stays that of the
/// object as written. Keys come in sorted order (the engine's), not the type's field order: no
/// check depends on the order of an object's keys.
///
/// Converting the engine's value, which the policies need anyway, rather than serialising the
/// typed object a second time halved the cost of keeping a Deployment for the check (the
/// serialisation built the whole object, then the unread half was removed).
pub(crate) fn for_wiring(kind: &str, object: &regorus::Value) -> Json {
    let mut path = Vec::new();
    to_json(kind, object, &mut path)
}

/// `value` as JSON, at `path` (the keys from the object's root) of an object of `kind`.
fn to_json<'v>(kind: &str, value: &'v regorus::Value, path: &mut Vec<&'v str>) -> Json {
    use regorus::Value;
    match value {
        Value::Null | Value::Undefined => Json::Null,
        Value::Bool(b) => Json::Bool(*b),
        // Shared with the engine's value (its keys are interned: one copy for the whole tree).
        Value::String(s) => Json::String(s.clone()),
        // An integral number as an integer (as the engine reads the written text), else a float;
        // beyond 64 bits, as the engine's own serializer writes it.
        Value::Number(n) => match (n.as_u64(), n.as_i64(), n.as_f64()) {
            (Some(n), _, _) => Json::Number(n.into()),
            (None, Some(n), _) => Json::Number(n.into()),
            (None, None, Some(f)) if !n.is_integer() => {
                serde_json::Number::from_f64(f).map_or(Json::Null, Json::Number)
            }
            _ => serde_json::to_value(value).map_or(Json::Null, Json::from),
        },
        Value::Array(items) => Json::Array(items.iter().map(|v| to_json(kind, v, path)).collect()),
        Value::Set(items) => Json::Array(items.iter().map(|v| to_json(kind, v, path)).collect()),
        Value::Object(entries) => {
            let mut map = Vec::with_capacity(entries.len());
            for (key, value) in entries.iter_sorted() {
                let Value::String(key) = key else {
                    continue;
                };
                if unread(kind, path, key) {
                    continue;
                }
                path.push(key);
                let value = to_json(kind, value, path);
                path.pop();
                map.push((key.clone(), value));
            }
            Json::Object(JsonObject::new(map))
        }
    }
}

/// Whether no wiring check reads `key` at `path` of an object of `kind`: a workload's pod
/// template's metadata and its containers' [`UNREAD_CONTAINER_FIELDS`]; every object's labels
/// but a Namespace's (Capsule's tenant and the Pod Security level), and its annotations but a
/// ServiceAccount's (IRSA's role) and a StorageClass's (the default class). A workload's and a
/// ServiceAccount's labels were a third of what the check kept.
fn unread(kind: &str, path: &[&str], key: &str) -> bool {
    if path == ["metadata"] {
        return match key {
            "labels" => kind != "Namespace",
            "annotations" => !matches!(kind, "ServiceAccount" | "StorageClass"),
            _ => false,
        };
    }
    let template: &[&str] = match kind {
        "Deployment" | "StatefulSet" | "DaemonSet" | "ReplicaSet" | "Job" => &["spec", "template"],
        "CronJob" => &["spec", "jobTemplate", "spec", "template"],
        _ => return false,
    };
    let Some(rest) = path.strip_prefix(template) else {
        return false;
    };
    match rest {
        [] => key == "metadata",
        [
            "spec",
            "initContainers" | "containers" | "ephemeralContainers",
        ] => UNREAD_CONTAINER_FIELDS.contains(&key),
        _ => false,
    }
}

/// Every generated file by `/`-separated path relative to the output root, sorted.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OutputTree {
    pub files: BTreeMap<String, OutputFile>,
    /// Each tenant-environment folder's fingerprint (see `lower::unit`); empty when the tree was
    /// generated without reuse.
    pub units: BTreeMap<String, String>,
    /// The unit folders not generated, because the tree on disk already holds them as these
    /// inputs produce them: the writer keeps their files. Their files are not in `files`.
    pub reused: BTreeSet<String>,
    /// Each reused unit folder's namespace: what the wiring check cannot see into.
    pub reused_namespaces: BTreeMap<String, String>,
    /// The unit folders a later run must generate and evaluate again whatever their
    /// fingerprint, so that it reports what this one did: the policies found something on their
    /// objects (a warning, which does not stop the write), or their tenant has waivers (whether
    /// a waiver is used is known only from every object it may cover). Their fingerprints are in
    /// `units` but are not recorded for reuse.
    pub unreusable: BTreeSet<String>,
}

impl OutputTree {
    /// Adds a file; a second file at the same path is a bug in an emitter.
    pub fn insert(&mut self, path: String, file: OutputFile) -> Result<(), String> {
        if self.files.contains_key(&path) {
            return Err(format!("two generated files at `{path}`"));
        }
        self.files.insert(path, file);
        Ok(())
    }

    /// The unit folders' fingerprints a later run may reuse them by: [`OutputTree::units`]
    /// but the [`OutputTree::unreusable`].
    pub fn reusable_units(&self) -> BTreeMap<String, String> {
        let mut units = self.units.clone();
        units.retain(|dir, _| !self.unreusable.contains(dir));
        units
    }

    pub fn len(&self) -> usize {
        self.files.len()
    }

    pub fn is_empty(&self) -> bool {
        self.files.is_empty()
    }

    /// Total bytes of all files.
    pub fn bytes(&self) -> usize {
        self.files.values().map(|f| f.contents.len()).sum()
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::{UNREAD_CONTAINER_FIELDS, for_wiring};
    use crate::emit::engine_value::to_value;

    /// `object` kept for the wiring check, through the policy engine's value as emit does.
    fn kept(kind: &str, object: &serde_json::Value) -> serde_json::Value {
        serde_json::Value::from(&for_wiring(
            kind,
            &to_value(object).unwrap_or(regorus::Value::Null),
        ))
    }

    #[test]
    fn a_workload_is_kept_for_the_wiring_check_without_what_its_containers_run() {
        let container = json!({"name": "app", "image": "x:1", "resources": {"limits": {"cpu": "1"}},
            "livenessProbe": {"tcpSocket": {"port": 80}}, "volumeMounts": [{"name": "tmp"}],
            "securityContext": {"privileged": false}, "ports": [{"hostPort": 80}],
            "env": [{"name": "A", "valueFrom": {"secretKeyRef": {"name": "s", "key": "k"}}}]});
        let pod = json!({"serviceAccountName": "app", "volumes": [{"name": "tmp", "emptyDir": {}}],
            "initContainers": [container.clone()], "containers": [container.clone(), container]});
        let deployment = json!({"kind": "Deployment",
            "metadata": {"name": "app", "labels": {"a": "b"}, "annotations": {"c": "d"}},
            "spec": {"replicas": 2, "template": {"metadata": {"labels": {"a": "b"}}, "spec": pod}}});
        let kept_deployment = kept("Deployment", &deployment);
        let read = json!({"name": "app", "securityContext": {"privileged": false},
            "ports": [{"hostPort": 80}],
            "env": [{"name": "A", "valueFrom": {"secretKeyRef": {"name": "s", "key": "k"}}}]});
        assert_eq!(
            kept_deployment,
            json!({"kind": "Deployment", "metadata": {"name": "app"},
                "spec": {"replicas": 2, "template": {"spec": {"serviceAccountName": "app",
                    "volumes": [{"name": "tmp", "emptyDir": {}}],
                    "initContainers": [read.clone()], "containers": [read.clone(), read]}}}})
        );
        // A CronJob's pod template is deeper.
        let cron = json!({"kind": "CronJob", "spec": {"jobTemplate": {"spec": {"template":
            deployment["spec"]["template"].clone()}}}});
        assert_eq!(
            kept("CronJob", &cron)["spec"]["jobTemplate"]["spec"]["template"],
            kept_deployment["spec"]["template"]
        );
    }

    #[test]
    fn labels_and_annotations_are_kept_only_where_the_wiring_check_reads_them() {
        let metadata = json!({"name": "x", "labels": {"a": "b"}, "annotations": {"c": "d"}});
        let labels = |kind: &str| kept(kind, &json!({"metadata": metadata}))["metadata"].clone();
        assert_eq!(
            labels("Namespace"),
            json!({"name": "x", "labels": {"a": "b"}})
        );
        for kind in ["ServiceAccount", "StorageClass"] {
            assert_eq!(
                labels(kind),
                json!({"name": "x", "annotations": {"c": "d"}})
            );
        }
        assert_eq!(labels("Secret"), json!({"name": "x"}));
    }

    /// Apart from what is left out, the object is its JSON: strings, numbers (integers stay
    /// integers, floats floats), nulls, lists and nested objects; and a kind that is not a
    /// workload keeps a `template` whole.
    #[test]
    fn the_rest_is_kept_as_its_json() {
        let service = json!({"kind": "Service", "metadata": {"name": "web", "namespace": "shop"},
            "spec": {"template": {"metadata": {"name": "t"}}, "ports": [{"port": 80,
            "targetPort": "http"}], "weight": 0.5, "offset": -3, "big": u64::MAX, "none": null,
            "flag": true, "empty": {}, "list": []}});
        assert_eq!(kept("Service", &service), service);
    }

    /// The wiring check's sources name none of the fields left out for it (`resources` only as
    /// a Kustomization's list, in `index.rs` and `flux.rs`), nor a pod template's metadata.
    #[test]
    fn no_wiring_check_reads_what_is_left_out_for_it() {
        let sources = [
            ("access.rs", include_str!("../wiring/access.rs")),
            ("capsule.rs", include_str!("../wiring/capsule.rs")),
            ("crossplane.rs", include_str!("../wiring/crossplane.rs")),
            ("facts.rs", include_str!("../wiring/facts.rs")),
            ("flux.rs", include_str!("../wiring/flux.rs")),
            ("identity.rs", include_str!("../wiring/identity.rs")),
            ("index.rs", include_str!("../wiring/index.rs")),
            ("mod.rs", include_str!("../wiring/mod.rs")),
            ("nodes.rs", include_str!("../wiring/nodes.rs")),
            ("pod_security.rs", include_str!("../wiring/pod_security.rs")),
            ("references.rs", include_str!("../wiring/references.rs")),
            (
                "secrets_manager.rs",
                include_str!("../wiring/secrets_manager.rs"),
            ),
            ("values.rs", include_str!("../wiring/values.rs")),
        ];
        for (file, source) in sources {
            for field in UNREAD_CONTAINER_FIELDS {
                // As a key (`"image"`) or a pointer's step (`/image`, not `/imagePullSecrets`).
                let step = format!("/{field}");
                let named = source.contains(&format!("\"{field}\""))
                    || source.match_indices(&step).any(|(at, _)| {
                        !source[at + step.len()..].starts_with(|c: char| c.is_alphanumeric())
                    });
                let allowed = field == "resources" && matches!(file, "index.rs" | "flux.rs");
                assert!(!named || allowed, "wiring/{file} reads `{field}`");
            }
            assert!(
                !source.contains("template/metadata"),
                "wiring/{file} reads a pod template's metadata"
            );
            // Labels are read of Namespaces only, annotations of ServiceAccounts (IRSA) and
            // StorageClasses (the default class): see `unread`.
            let labels = source.contains("/metadata/labels") || source.contains("\"labels\"");
            assert!(
                !labels || matches!(file, "capsule.rs" | "pod_security.rs"),
                "wiring/{file} reads labels"
            );
            let annotations =
                source.contains("/metadata/annotations") || source.contains("\"annotations\"");
            assert!(
                !annotations || matches!(file, "identity.rs" | "index.rs"),
                "wiring/{file} reads annotations"
            );
        }
    }
}
