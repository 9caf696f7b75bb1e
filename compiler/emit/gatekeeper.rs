//! OPA Gatekeeper objects: the rules pave evaluates on Kubernetes objects, enforced again by the
//! cluster's admission control. For each cluster that runs the `gatekeeper` add-on:
//!
//! - `infrastructure/<cluster>/policy-templates/`: a `templates.gatekeeper.sh/v1`
//!   ConstraintTemplate per rule, its Rego (v1) derived from the rule's file;
//! - `infrastructure/<cluster>/policies/`: a Constraint per rule (`constraints.gatekeeper.sh/v1beta1`,
//!   kind from the template), matching the rule's kinds in tenant namespaces only (those labelled
//!   `pave.dev/tenant`: the platform's own namespaces run charts pave does not see), carrying the
//!   cluster's context and the rule's waivers as parameters, and what pave knows of an object's
//!   neighbours that Gatekeeper does not see (the services that declare a public ingress, the
//!   autoscaled workloads) for the rules that read it. The template's parameters schema
//!   declares all of it, the rule's own parameters with the schema the rule declares.
//!
//! A Constraint's kind is a CRD that Gatekeeper creates from its template, so the two folders are
//! applied by two Flux Kustomizations, one after the other (`emit/flux/cluster.rs`).

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::{Value as Json, json};

use super::folder::Folder;
use super::{ObjectContext, OutputFile, Provenance};
use crate::diagnostic::Severity;
use crate::lower::{ADDON_LABEL, Cluster, GatekeeperPlan, GatekeeperRule, TENANT_LABEL};

/// The add-on that runs Gatekeeper.
pub(super) const ADDON: &str = "gatekeeper";
/// The folders, under `infrastructure/<cluster>/`.
pub(super) const TEMPLATES: &str = "policy-templates";
pub(super) const CONSTRAINTS: &str = "policies";

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ConstraintTemplate<'a> {
    api_version: &'static str,
    kind: &'static str,
    metadata: Metadata,
    spec: TemplateSpec<'a>,
}

#[derive(Serialize)]
struct Metadata {
    name: String,
    labels: BTreeMap<String, String>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    annotations: BTreeMap<String, String>,
}

#[derive(Serialize)]
struct TemplateSpec<'a> {
    crd: Crd,
    targets: Vec<Target<'a>>,
}

#[derive(Serialize)]
struct Crd {
    spec: CrdSpec,
}

#[derive(Serialize)]
struct CrdSpec {
    names: Names,
    validation: Validation,
}

#[derive(Serialize)]
struct Names {
    kind: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Validation {
    #[serde(rename = "openAPIV3Schema")]
    open_api_v3_schema: Json,
}

#[derive(Serialize)]
struct Target<'a> {
    target: &'static str,
    code: Vec<Code<'a>>,
}

#[derive(Serialize)]
struct Code<'a> {
    engine: &'static str,
    source: Source<'a>,
}

#[derive(Serialize)]
struct Source<'a> {
    version: &'static str,
    rego: &'a str,
    #[serde(skip_serializing_if = "<[String]>::is_empty")]
    libs: &'a [String],
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Constraint {
    api_version: &'static str,
    kind: String,
    metadata: Metadata,
    spec: ConstraintSpec,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ConstraintSpec {
    enforcement_action: &'static str,
    #[serde(rename = "match")]
    matches: Json,
    parameters: Json,
}

/// The two folders of a cluster that runs Gatekeeper; nothing for the others.
pub(super) fn emit(
    cluster: &Cluster,
    plan: &GatekeeperPlan,
    source: &str,
) -> Result<Vec<(String, OutputFile)>, String> {
    if !runs_gatekeeper(cluster) {
        return Ok(Vec::new());
    }
    let dir = |folder: &str| format!("infrastructure/{}/{folder}", cluster.name);
    let mut templates = Folder::new(dir(TEMPLATES));
    let mut constraints = Folder::new(dir(CONSTRAINTS));
    let context = std::sync::Arc::new(ObjectContext {
        environment: Some(cluster.environment.clone()),
        region: Some(cluster.region.clone()),
        cluster: Some(cluster.name.clone()),
        addon: Some(ADDON.to_string()),
        ..ObjectContext::default()
    });
    templates.trace(Provenance::new(None, &context));
    constraints.trace(Provenance::new(None, &context));
    let mut labels = cluster.labels.clone();
    labels.insert(ADDON_LABEL.to_string(), ADDON.to_string());

    let mut pave = plan.context.clone();
    if let Some(object) = pave.as_object_mut() {
        object.insert("source".into(), json!("kubernetes"));
        object.insert("environment".into(), json!(cluster.environment));
        object.insert("region".into(), json!(cluster.region));
        object.insert("cluster".into(), json!(cluster.name));
        if let Some(tier) = plan.tiers.get(&cluster.environment) {
            object.insert("tier".into(), json!(tier.as_str()));
        }
    }
    // What pave knows of an object's neighbours, which Gatekeeper does not see: the services
    // that declare a public ingress and the workloads an autoscaler scales, in this cluster's
    // environment. Given only to the rules that read them.
    let public_ingress: Vec<Json> = plan
        .public_ingress
        .get(&cluster.environment)
        .into_iter()
        .flatten()
        .map(|d| json!({"namespace": d.namespace, "service": d.service}))
        .collect();
    let autoscaled: Vec<Json> = plan
        .autoscaled
        .get(&cluster.environment)
        .into_iter()
        .flatten()
        .map(|w| json!({"namespace": w.namespace, "kind": w.kind, "name": w.name}))
        .collect();

    for (rule, waived) in &plan.rules {
        let name = rule.kind.to_lowercase();
        let template = ConstraintTemplate {
            api_version: "templates.gatekeeper.sh/v1",
            kind: "ConstraintTemplate",
            metadata: Metadata {
                name: name.clone(),
                labels: labels.clone(),
                annotations: BTreeMap::from([
                    ("pave.dev/rule".to_string(), rule.id.clone()),
                    ("description".to_string(), rule.description.clone()),
                ]),
            },
            spec: TemplateSpec {
                crd: Crd {
                    spec: CrdSpec {
                        names: Names {
                            kind: rule.kind.clone(),
                        },
                        validation: Validation {
                            open_api_v3_schema: parameters_schema(rule),
                        },
                    },
                },
                targets: vec![Target {
                    target: "admission.k8s.gatekeeper.sh",
                    code: vec![Code {
                        engine: "Rego",
                        source: Source {
                            version: "v1",
                            rego: &rule.rego,
                            libs: &rule.libs,
                        },
                    }],
                }],
            },
        };
        templates.add_object(
            template.api_version,
            template.kind,
            &name,
            &template,
            source,
        )?;

        let waivers: Vec<Json> = waived
            .iter()
            .filter(|w| w.environment == cluster.environment)
            .map(|w| match &w.service {
                Some(service) => json!({"namespace": w.namespace, "service": service}),
                None => json!({"namespace": w.namespace}),
            })
            .collect();
        let mut matches = json!({
            "namespaceSelector": {
                "matchExpressions": [{"key": TENANT_LABEL, "operator": "Exists"}],
            },
        });
        if !rule.kinds.is_empty() {
            // One entry per API group, its kinds sorted.
            let mut groups: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
            for (group, kind) in &rule.kinds {
                groups
                    .entry(group.as_str())
                    .or_default()
                    .push(kind.as_str());
            }
            let kinds: Vec<Json> = groups
                .into_iter()
                .map(|(group, mut kinds)| {
                    kinds.sort_unstable();
                    json!({"apiGroups": [group], "kinds": kinds})
                })
                .collect();
            matches["kinds"] = Json::Array(kinds);
        }
        let constraint = Constraint {
            api_version: "constraints.gatekeeper.sh/v1beta1",
            kind: rule.kind.clone(),
            metadata: Metadata {
                name: rule.id.clone(),
                labels: labels.clone(),
                annotations: BTreeMap::new(),
            },
            spec: ConstraintSpec {
                enforcement_action: match rule.severity {
                    Severity::Error => plan.enforcement_action.as_str(),
                    Severity::Warning => "warn",
                },
                matches,
                parameters: json!({"pave": context_for(rule, &pave, &public_ingress, &autoscaled), "waivers": waivers}),
            },
        };
        constraints.add_object(
            constraint.api_version,
            &constraint.kind,
            &rule.id,
            &constraint,
            source,
        )?;
    }
    let mut files = templates.finish(source)?;
    files.extend(constraints.finish(source)?);
    Ok(files)
}

/// Whether a cluster runs the Gatekeeper add-on.
pub(super) fn runs_gatekeeper(cluster: &Cluster) -> bool {
    cluster.addons.iter().any(|a| a.name == ADDON)
}

/// The cluster's context as a rule's Constraint carries it: the shared part, and the lists of
/// `declared` public services and `autoscaled` workloads if the rule reads them.
fn context_for(
    rule: &GatekeeperRule,
    pave: &Json,
    public_ingress: &[Json],
    autoscaled: &[Json],
) -> Json {
    let mut pave = pave.clone();
    if let Some(object) = pave.as_object_mut() {
        if rule.reads.contains("declared") {
            object.insert("declared".into(), json!({"publicIngress": public_ingress}));
        }
        if rule.reads.contains("autoscaled") {
            object.insert("autoscaled".into(), Json::Array(autoscaled.to_vec()));
        }
    }
    pave
}

/// The schema of a pave Constraint's `parameters`: the context (free form, but for the rule's
/// own parameters, whose schema the rule declares, and the lists pave adds), and the waivers.
fn parameters_schema(rule: &GatekeeperRule) -> Json {
    let mut properties = serde_json::Map::new();
    if let Some(schema) = &rule.parameters {
        properties.insert(
            "parameters".into(),
            json!({
                "type": "object",
                "x-kubernetes-preserve-unknown-fields": true,
                "properties": {rule.id.as_str(): open_api(schema)},
            }),
        );
    }
    if rule.reads.contains("declared") {
        properties.insert(
            "declared".into(),
            json!({
                "type": "object",
                "properties": {"publicIngress": {
                    "description": "The services whose spec sets `ingress.public`.",
                    "type": "array",
                    "items": {"type": "object", "properties": {
                        "namespace": {"type": "string"},
                        "service": {"type": "string"},
                    }},
                }},
            }),
        );
    }
    if rule.reads.contains("autoscaled") {
        properties.insert(
            "autoscaled".into(),
            json!({
                "description": "The workloads an autoscaler scales.",
                "type": "array",
                "items": {"type": "object", "properties": {
                    "namespace": {"type": "string"},
                    "kind": {"type": "string"},
                    "name": {"type": "string"},
                }},
            }),
        );
    }
    let mut pave = json!({
        "description": "The cluster's context, as data.pave at compile time.",
        "type": "object",
        "x-kubernetes-preserve-unknown-fields": true,
    });
    if !properties.is_empty() {
        pave["properties"] = Json::Object(properties);
    }
    json!({
        "type": "object",
        "properties": {
            "pave": pave,
            "waivers": {
                "description": "Namespaces (and services in them) a waiver exempts.",
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {
                        "namespace": {"type": "string"},
                        "service": {"type": "string"},
                    },
                },
            },
        },
    })
}

/// A rule's parameter schema (JSON Schema) as a CRD's OpenAPI v3 schema: without pave's own
/// `x-pave-*` wording, and without `additionalProperties: false` beside `properties`, which
/// Kubernetes forbids in a structural schema (it prunes unknown fields; pave has reported them
/// at compile time).
fn open_api(schema: &Json) -> Json {
    match schema {
        Json::Object(map) => {
            let has_properties = map.contains_key("properties");
            Json::Object(
                map.iter()
                    .filter(|(key, value)| {
                        let pave_wording = key.starts_with("x-pave-");
                        let closed = has_properties
                            && key.as_str() == "additionalProperties"
                            && value.as_bool() == Some(false);
                        !(pave_wording || closed)
                    })
                    .map(|(key, value)| {
                        let value = match key.as_str() {
                            // Maps of schemas; every other keyword holds a schema or a list.
                            "properties" => Json::Object(
                                value
                                    .as_object()
                                    .into_iter()
                                    .flatten()
                                    .map(|(k, v)| (k.clone(), open_api(v)))
                                    .collect(),
                            ),
                            "enum" | "required" | "default" | "example" => value.clone(),
                            _ => open_api(value),
                        };
                        (key.clone(), value)
                    })
                    .collect(),
            )
        }
        Json::Array(items) => Json::Array(items.iter().map(open_api).collect()),
        other => other.clone(),
    }
}
