//! Add-ons: the catalogue (stdlib's entries, replaced and extended by the Platform's definitions)
//! and, per environment, whether each add-on runs, its chart version and its merged values.
//! Values keep their `${...}` variables; `lower` replaces them per cluster.

use std::collections::BTreeMap;

use serde_json::Value as Json;

use super::{Environment, Sourced, check_ref};
use crate::diagnostic::{Diagnostic, DiagnosticKind, RefKind};
use crate::parse::yaml::{Node, Value};
use crate::parse::{AddonDefinition, AddonLayer, Document, Parsed, PlatformSpec, StdlibAddon};
use crate::source::{FileId, Span};

/// One add-on of the catalogue, resolved.
#[derive(Debug, Clone)]
pub struct Addon {
    pub name: String,
    pub definition: AddonDefinition,
    /// The file that defines it: a stdlib file, or the Platform's `pave.yaml`.
    pub source: FileId,
    /// Whether the Platform defines it (rather than stdlib).
    pub platform_defined: bool,
    pub layer_span: Span,
    pub namespace_span: Span,
    pub depends_on: Vec<AddonDependency>,
    /// The span of each entry of `manifests`, in order.
    pub manifest_spans: Vec<Span>,
    /// The span of each entry of `identities`, in order.
    pub identity_spans: Vec<Span>,
    /// The span of `host`, or of the entry when it has none.
    pub host_span: Span,
    /// The span of `nodeProvisioner`, or of the entry when it has none.
    pub node_provisioner_span: Span,
    /// By environment name, for every environment.
    pub instances: BTreeMap<String, AddonInstance>,
}

/// An entry of an add-on's `dependsOn` that names a known add-on.
#[derive(Debug, Clone, PartialEq)]
pub struct AddonDependency {
    pub name: String,
    pub span: Span,
}

/// An add-on in one environment.
#[derive(Debug, Clone)]
pub struct AddonInstance {
    /// Whether it runs; the span is the `enabled` node that decided it, if any.
    pub enabled: Sourced<bool>,
    /// Whether the Platform's settings or the Environment's decided `enabled` (not the catalogue).
    pub enabled_by_user: bool,
    pub version: String,
    /// The catalogue's values with the Platform's and the Environment's merged over them.
    pub values: Json,
}

/// The variables add-on values and manifests may use, replaced per cluster by `lower`.
pub const VARIABLES: &[&str] = &[
    "cluster.name",
    "cluster.region",
    "cluster.environment",
    "cluster.accountId",
    "cluster.domain",
    "platform.name",
    "platform.domain",
    "platform.ingressClassName",
    ADDON_HOST,
    ADDON_NODE_ROLE,
    ADDON_INTERRUPTION_QUEUE,
];

/// The add-on's own `host`, in the values and manifests of an entry that declares one.
pub const ADDON_HOST: &str = "addon.host";
/// The IAM role of the nodes an entry with `nodeProvisioner` launches (its name), in its values,
/// manifests and identities.
pub const ADDON_NODE_ROLE: &str = "addon.nodeRole";
/// The interruption queue of an entry with `nodeProvisioner` (its name), in its values,
/// manifests and identities.
pub const ADDON_INTERRUPTION_QUEUE: &str = "addon.interruptionQueue";

/// The namespaces of pave's variables; `${...}` outside them (a chart's own syntax) is kept.
const VARIABLE_NAMESPACES: &[&str] = &["cluster.", "platform.", "addon."];

/// Where a definition sits: a document and the path of the entry in it.
struct Site<'a> {
    doc: &'a Document,
    base: Vec<String>,
}

impl Site<'_> {
    fn path(&self, rest: &[&str]) -> Vec<String> {
        let mut path = self.base.clone();
        path.extend(rest.iter().map(|s| (*s).to_string()));
        path
    }

    fn span(&self, rest: &[&str]) -> Span {
        self.doc.span(&self.path(rest))
    }

    fn node(&self, rest: &[&str]) -> Option<&Node> {
        self.doc.node(&self.path(rest))
    }
}

/// The catalogue and every environment's instance of each add-on.
pub(super) fn resolve_addons(
    platform: &Parsed<PlatformSpec>,
    stdlib: &[StdlibAddon],
    environments: &BTreeMap<String, Environment>,
    diagnostics: &mut Vec<Diagnostic>,
) -> BTreeMap<String, Addon> {
    // The catalogue: stdlib's files, then the Platform's definitions over them.
    let mut definitions: BTreeMap<String, (AddonDefinition, Site<'_>, bool)> = stdlib
        .iter()
        .map(|addon| {
            let site = Site {
                doc: &addon.doc,
                base: Vec::new(),
            };
            (addon.name.clone(), (addon.definition.clone(), site, false))
        })
        .collect();
    for (name, entry) in &platform.spec.addons {
        if entry.chart.is_none() {
            continue;
        }
        let site = Site {
            doc: &platform.doc,
            base: ["spec", "addons", name.as_str()]
                .map(str::to_string)
                .to_vec(),
        };
        match entry.definition() {
            Some(definition) => {
                definitions.insert(name.clone(), (definition, site, true));
            }
            None => diagnostics.push(Diagnostic::new(
                DiagnosticKind::Internal {
                    message: format!("add-on `{name}` has a chart but no layer or namespace"),
                },
                site.span(&[]),
            )),
        }
    }

    // Settings for add-ons that do not exist.
    for (name, entry) in &platform.spec.addons {
        if entry.chart.is_none() {
            let span = platform.doc.key_span(&["spec", "addons", name.as_str()]);
            check_ref(RefKind::Addon, name, &definitions, span, diagnostics);
            check_variables_at(
                &platform.doc,
                &["spec", "addons", name.as_str(), "values"],
                diagnostics,
            );
        }
    }
    for env in environments.values() {
        let doc = &env.parsed.doc;
        for name in env.parsed.spec.addons.keys() {
            let span = doc.key_span(&["spec", "addons", name.as_str()]);
            check_ref(RefKind::Addon, name, &definitions, span, diagnostics);
            check_variables_at(
                doc,
                &["spec", "addons", name.as_str(), "values"],
                diagnostics,
            );
        }
    }

    let mut addons = BTreeMap::new();
    for (name, (definition, site, platform_defined)) in &definitions {
        let mut depends_on = Vec::new();
        for (i, dependency) in definition.depends_on.iter().enumerate() {
            let span = site.span(&["dependsOn", &i.to_string()]);
            if check_ref(RefKind::Addon, dependency, &definitions, span, diagnostics) {
                depends_on.push(AddonDependency {
                    name: dependency.clone(),
                    span,
                });
            }
        }
        // `${addon.host}` only where the entry declares a host, the node variables only where
        // it declares `nodeProvisioner`; the host itself uses the cluster's and platform's
        // variables only, the identities no host.
        let nodes = definition.node_provisioner.is_some();
        let known = |host: bool| -> Vec<&str> {
            VARIABLES
                .iter()
                .copied()
                .filter(|v| *v != ADDON_HOST || host)
                .filter(|v| ![ADDON_NODE_ROLE, ADDON_INTERRUPTION_QUEUE].contains(v) || nodes)
                .collect()
        };
        let with_host = known(definition.host.is_some());
        let identities = known(false);
        let plain: Vec<&str> = VARIABLES
            .iter()
            .copied()
            .filter(|v| !v.starts_with("addon."))
            .collect();
        for (field, known) in [
            ("values", &with_host),
            ("manifests", &with_host),
            ("identities", &identities),
            ("host", &plain),
        ] {
            if let Some(node) = site.node(&[field]) {
                check_variables_known(node, known, diagnostics);
            }
        }
        if definition.layer == AddonLayer::Controllers && !definition.secrets.is_empty() {
            diagnostics.push(Diagnostic::new(
                DiagnosticKind::AddonSecretLayer {
                    addon: name.clone(),
                },
                site.span(&["secrets"]),
            ));
        }
        let manifest_spans = (0..definition.manifests.len())
            .map(|i| site.span(&["manifests", &i.to_string()]))
            .collect();
        let identity_spans = (0..definition.identities.len())
            .map(|i| site.span(&["identities", &i.to_string()]))
            .collect();
        let instances = environments
            .iter()
            .map(|(env_name, env)| {
                let instance = instance(name, definition, site, *platform_defined, platform, env);
                (env_name.clone(), instance)
            })
            .collect();
        addons.insert(
            name.clone(),
            Addon {
                name: name.clone(),
                definition: definition.clone(),
                source: site.doc.file,
                platform_defined: *platform_defined,
                layer_span: site.span(&["layer"]),
                namespace_span: site.span(&["namespace"]),
                depends_on,
                manifest_spans,
                identity_spans,
                host_span: site.span(&["host"]),
                node_provisioner_span: site.span(&["nodeProvisioner"]),
                instances,
            },
        );
    }
    addons
}

/// An add-on in one environment: the Environment's settings over the Platform's over the
/// definition's.
fn instance(
    name: &str,
    definition: &AddonDefinition,
    site: &Site<'_>,
    platform_defined: bool,
    platform: &Parsed<PlatformSpec>,
    env: &Environment,
) -> AddonInstance {
    // A Platform entry with a chart is the definition itself, not settings over it.
    let platform_settings = platform
        .spec
        .addons
        .get(name)
        .filter(|entry| entry.chart.is_none());
    let env_settings = env.parsed.spec.addons.get(name);
    let setting_path = |field: &str| ["spec", "addons", name, field].map(str::to_string);

    let (enabled, enabled_by_user) = if let Some(enabled) = env_settings.and_then(|s| s.enabled) {
        let span = env.parsed.doc.span(&setting_path("enabled"));
        (
            Sourced {
                value: enabled,
                span: Some(span),
            },
            true,
        )
    } else if let Some(enabled) = platform_settings.and_then(|s| s.enabled) {
        let span = platform.doc.span(&setting_path("enabled"));
        (
            Sourced {
                value: enabled,
                span: Some(span),
            },
            true,
        )
    } else {
        let span = site.node(&["enabled"]).map(|node| node.span);
        (
            Sourced {
                value: definition.enabled,
                span,
            },
            platform_defined && span.is_some(),
        )
    };

    let version = env_settings
        .and_then(|s| s.version.clone())
        .or_else(|| platform_settings.and_then(|s| s.version.clone()))
        .unwrap_or_else(|| definition.chart.version.clone());

    let mut values = definition.values.clone();
    for layer in [
        platform_settings.and_then(|s| s.values.as_ref()),
        env_settings.and_then(|s| s.values.as_ref()),
    ]
    .into_iter()
    .flatten()
    {
        merge_values(&mut values, layer);
    }

    AddonInstance {
        enabled,
        enabled_by_user,
        version,
        values,
    }
}

/// Merges `over` into `base` as Helm merges values files: mappings key by key, anything else
/// replaces, and `null` removes the key.
pub fn merge_values(base: &mut Json, over: &Json) {
    match (base, over) {
        (Json::Object(base), Json::Object(over)) => {
            for (key, value) in over {
                if value.is_null() {
                    base.remove(key);
                } else if let Some(existing) = base.get_mut(key) {
                    merge_values(existing, value);
                } else {
                    base.insert(key.clone(), value.clone());
                }
            }
        }
        (base, over) => *base = over.clone(),
    }
}

fn check_variables_at(doc: &Document, path: &[&str], diagnostics: &mut Vec<Diagnostic>) {
    if let Some(node) = doc.node(path) {
        check_variables(node, diagnostics);
    }
}

/// Reports every `${cluster.*}`, `${platform.*}` or `${addon.*}` that is not one of
/// [`VARIABLES`].
fn check_variables(node: &Node, diagnostics: &mut Vec<Diagnostic>) {
    check_variables_known(node, VARIABLES, diagnostics);
}

/// Reports every variable of pave's namespaces in `node` that is not one of `known`.
fn check_variables_known(node: &Node, known: &[&str], diagnostics: &mut Vec<Diagnostic>) {
    match &node.value {
        Value::String(text) => check_text(text, known, node.span, diagnostics),
        Value::Seq(items) => {
            for item in items {
                check_variables_known(item, known, diagnostics);
            }
        }
        Value::Map(entries) => {
            for entry in entries {
                check_text(&entry.key, known, entry.key_span, diagnostics);
                check_variables_known(&entry.value, known, diagnostics);
            }
        }
        Value::Null | Value::Bool(_) | Value::Int(_) | Value::Float(_) => {}
    }
}

fn check_text(text: &str, known: &[&str], span: Span, diagnostics: &mut Vec<Diagnostic>) {
    for name in variable_names(text) {
        if !known.contains(&name) {
            diagnostics.push(Diagnostic::new(
                DiagnosticKind::UnknownVariable {
                    name: name.to_string(),
                    known: known.iter().map(|v| (*v).to_string()).collect(),
                },
                span,
            ));
        }
    }
}

/// The names of pave's variables referenced in `text` (`${cluster.name}` gives `cluster.name`).
fn variable_names(text: &str) -> Vec<&str> {
    let mut names = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find("${") {
        let after = &rest[start + 2..];
        let Some(end) = after.find('}') else {
            break;
        };
        let name = &after[..end];
        if VARIABLE_NAMESPACES.iter().any(|ns| name.starts_with(ns)) {
            names.push(name);
        }
        rest = &after[end + 1..];
    }
    names
}

/// `text` with each of pave's variables replaced by its value from `lookup`; other `${...}`
/// (a chart's own syntax, such as Fluent Bit's environment variables) stay as written.
pub fn substitute(text: &str, lookup: &BTreeMap<&str, String>) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find("${") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let Some(end) = after.find('}') else {
            out.push_str(&rest[start..]);
            return out;
        };
        match lookup.get(&after[..end]) {
            Some(value) => out.push_str(value),
            None => out.push_str(&rest[start..start + 2 + end + 1]),
        }
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    out
}

/// [`substitute`] on every string of a JSON value, keys included.
pub fn substitute_json(value: &Json, lookup: &BTreeMap<&str, String>) -> Json {
    match value {
        Json::String(text) => Json::String(substitute(text, lookup)),
        Json::Array(items) => {
            Json::Array(items.iter().map(|i| substitute_json(i, lookup)).collect())
        }
        Json::Object(map) => Json::Object(
            map.iter()
                .map(|(k, v)| (substitute(k, lookup), substitute_json(v, lookup)))
                .collect(),
        ),
        Json::Null | Json::Bool(_) | Json::Number(_) => value.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_merge_as_helm_merges_them() {
        let mut base = serde_json::json!({"a": {"b": 1, "c": [1, 2]}, "d": "x", "e": true});
        let over = serde_json::json!({"a": {"c": [3], "f": 2}, "d": null, "g": "y"});
        merge_values(&mut base, &over);
        assert_eq!(
            base,
            serde_json::json!({"a": {"b": 1, "c": [3], "f": 2}, "e": true, "g": "y"})
        );
    }

    #[test]
    fn only_paves_variables_are_replaced() {
        let lookup = BTreeMap::from([("cluster.name", "prod-eu-west-1".to_string())]);
        assert_eq!(
            substitute(
                "role/${cluster.name}-dns ${HOSTNAME} ${cluster.name",
                &lookup
            ),
            "role/prod-eu-west-1-dns ${HOSTNAME} ${cluster.name"
        );
        assert_eq!(
            variable_names("${cluster.nmae} ${HOSTNAME} ${platform.domain}"),
            vec!["cluster.nmae", "platform.domain"]
        );
    }
}
