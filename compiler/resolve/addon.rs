//! Add-ons: the catalogue (stdlib's entries, replaced and extended by the Platform's definitions)
//! and, per environment, whether each add-on runs, its chart version and its merged values.
//! Values keep their `${...}` variables; `lower` replaces them per cluster.

use std::collections::BTreeMap;

use serde_json::Value as Json;

use super::{Environment, Sourced, check_ref};
use crate::diagnostic::{Diagnostic, DiagnosticKind, RefKind};
use crate::parse::yaml::{Node, Value};
use crate::parse::{
    AddonDefinition, AddonLayer, Document, Parsed, PlatformSpec, StdlibAddon, TaintEffect,
};
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
    /// The span of the entry: its file's first key (stdlib), or its key in the Platform.
    pub entry_span: Span,
    /// Each values path at which pave writes a name it declares (`secrets[].valuesPaths`,
    /// `identities[].valuesPath`), with the span of that declaration.
    pub declared_name_spans: Vec<(String, Span)>,
    /// Each client of its `tls` that names a known add-on, with the span of that entry.
    pub tls_client_spans: BTreeMap<String, Span>,
    /// The span of `tls`, or of the entry when it has none.
    pub tls_span: Span,
    /// By environment name, for every environment.
    pub instances: BTreeMap<String, AddonInstance>,
}

impl Addon {
    /// Whether it runs on the clusters of `env` (enabled there).
    pub fn runs_in(&self, env: &str) -> bool {
        self.instances
            .get(env)
            .is_some_and(|instance| instance.enabled.value)
    }
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
    /// The spec node behind each value: a JSON pointer into `values` and the span of the node
    /// that set it, the catalogue's first, then the Platform's and the Environment's (a later
    /// entry for the same pointer wins).
    pub value_spans: Vec<(String, Span)>,
}

/// The variables add-on values and manifests may use, replaced per cluster by `lower`.
pub const VARIABLES: &[&str] = &[
    "cluster.name",
    "cluster.region",
    "cluster.environment",
    "cluster.accountId",
    "cluster.domain",
    PLATFORM_APPLIER_VARIABLE,
    "platform.name",
    "platform.domain",
    "platform.ingressClassName",
    ADDON_HOST,
    ADDON_NODE_ROLE,
    ADDON_INTERRUPTION_QUEUE,
    ADDON_TLS_SUBJECT,
];

/// The Kubernetes user Flux applies the platform's folders as
/// (`system:serviceaccount:flux-system:kustomize-controller`): what an add-on that admits
/// requests by their user (Capsule's administrators) must name.
pub const PLATFORM_APPLIER_VARIABLE: &str = "cluster.platformApplier";

/// The add-on's own `host`, in the values and manifests of an entry that declares one.
pub const ADDON_HOST: &str = "addon.host";
/// The IAM role of the nodes an entry with `nodeProvisioner` launches (its name), in its values,
/// manifests and identities.
pub const ADDON_NODE_ROLE: &str = "addon.nodeRole";
/// The interruption queue of an entry with `nodeProvisioner` (its name), in its values,
/// manifests and identities.
pub const ADDON_INTERRUPTION_QUEUE: &str = "addon.interruptionQueue";

/// The subject of an entry's `tls` certificate when its replicas are `peers` (`CN=<service>`),
/// in its values: what a chart checks its peers' certificates against.
pub const ADDON_TLS_SUBJECT: &str = "addon.tlsSubject";

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
        // it declares `nodeProvisioner`, the TLS subject only with `tls.peers`; the host itself uses the cluster's and platform's
        // variables only, the identities no host.
        let nodes = definition.node_provisioner.is_some();
        let peers = definition.tls.as_ref().is_some_and(|tls| tls.peers);
        let known = |host: bool| -> Vec<&str> {
            VARIABLES
                .iter()
                .copied()
                .filter(|v| *v != ADDON_HOST || host)
                .filter(|v| ![ADDON_NODE_ROLE, ADDON_INTERRUPTION_QUEUE].contains(v) || nodes)
                .filter(|v| *v != ADDON_TLS_SUBJECT || peers)
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
        // A server's certificate is a Secret made in the configs layer, like `secrets`.
        if definition.layer == AddonLayer::Controllers && definition.tls.is_some() {
            diagnostics.push(Diagnostic::new(
                DiagnosticKind::AddonSecretLayer {
                    addon: name.clone(),
                },
                site.span(&["tls"]),
            ));
        }
        let mut tls_client_spans = BTreeMap::new();
        for client in definition.tls.iter().flat_map(|tls| tls.clients.keys()) {
            let span = site
                .doc
                .key_span(&site.path(&["tls", "clients", client.as_str()]));
            if check_ref(RefKind::Addon, client, &definitions, span, diagnostics) {
                tls_client_spans.insert(client.clone(), span);
            }
        }
        let manifest_spans = (0..definition.manifests.len())
            .map(|i| site.span(&["manifests", &i.to_string()]))
            .collect();
        let identity_spans = (0..definition.identities.len())
            .map(|i| site.span(&["identities", &i.to_string()]))
            .collect();
        let mut declared_name_spans = Vec::new();
        for (i, identity) in definition.identities.iter().enumerate() {
            if let Some(path) = &identity.values_path {
                let span = site.span(&["identities", &i.to_string(), "valuesPath"]);
                declared_name_spans.push((path.clone(), span));
            }
        }
        for (i, secret) in definition.secrets.iter().enumerate() {
            for (j, path) in secret.values_paths.iter().enumerate() {
                let at = ["secrets", &i.to_string(), "valuesPaths", &j.to_string()];
                declared_name_spans.push((path.clone(), site.span(&at)));
            }
        }
        if let Some(tls) = &definition.tls {
            for (j, path) in tls.values_paths.iter().enumerate() {
                let at = ["tls", "valuesPaths", &j.to_string()];
                declared_name_spans.push((path.clone(), site.span(&at)));
            }
        }
        let entry_span = if site.base.is_empty() {
            site.doc.head_span()
        } else {
            site.doc.key_span(&site.base)
        };
        let instances = environments
            .iter()
            .map(|(env_name, env)| {
                let instance = instance(
                    name,
                    definition,
                    site,
                    *platform_defined,
                    platform,
                    env,
                    diagnostics,
                );
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
                entry_span,
                declared_name_spans,
                tls_client_spans,
                tls_span: site.span(&["tls"]),
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
    diagnostics: &mut Vec<Diagnostic>,
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
    let mut value_spans = site.doc.field_spans(&site.path(&["values"]));
    if platform_settings.is_some_and(|s| s.values.is_some()) {
        value_spans.extend(platform.doc.field_spans(&setting_path("values")));
    }
    if env_settings.is_some_and(|s| s.values.is_some()) {
        value_spans.extend(env.parsed.doc.field_spans(&setting_path("values")));
    }
    // The root of each layer is the `values` key itself: the release's own node stands for it.
    value_spans.retain(|(pointer, _)| !pointer.is_empty());
    if let Some(path) = &definition.replicas_per_node {
        let set_by_user = [
            platform_settings
                .is_some_and(|s| s.values.is_some())
                .then(|| {
                    platform
                        .doc
                        .node(&values_path(&setting_path("values"), path))
                })
                .flatten(),
            env_settings
                .is_some_and(|s| s.values.is_some())
                .then(|| {
                    env.parsed
                        .doc
                        .node(&values_path(&setting_path("values"), path))
                })
                .flatten(),
        ]
        .into_iter()
        .flatten()
        .last()
        .map(|node| node.span);
        replicas_per_node(name, env, path, set_by_user, &mut values, diagnostics);
    }

    AddonInstance {
        enabled,
        enabled_by_user,
        version,
        values,
        value_spans,
    }
}

/// The data path of a dot-separated values path under `base`.
fn values_path(base: &[String], path: &str) -> Vec<String> {
    let mut out = base.to_vec();
    out.extend(path.split('.').map(str::to_string));
    out
}

/// The nodes an environment's clusters have at least, for pods that need one each: the `min` of
/// every node group without a taint that keeps pods off (`NoSchedule`, `NoExecute`; the
/// catalogue's charts tolerate none).
fn schedulable_nodes(env: &Environment) -> u64 {
    env.foundation
        .node_groups
        .iter()
        .filter(|group| {
            group
                .value
                .taints
                .iter()
                .all(|taint| taint.effect == TaintEffect::PreferNoSchedule)
        })
        .map(|group| u64::from(group.value.min))
        .sum()
}

/// The replica count at `path`, whose pods each need a node: the catalogue's is lowered to the
/// environment's nodes (so an environment with fewer nodes runs fewer replicas rather than
/// leaving some Pending); one the Platform or Environment set above them is an error at that
/// value.
fn replicas_per_node(
    addon: &str,
    env: &Environment,
    path: &str,
    set_by_user: Option<Span>,
    values: &mut Json,
    diagnostics: &mut Vec<Diagnostic>,
) {
    let pointer: String = path.split('.').map(|key| format!("/{key}")).collect();
    let Some(node) = values.pointer_mut(&pointer) else {
        return;
    };
    let Some(replicas) = node.as_u64() else {
        return;
    };
    let nodes = schedulable_nodes(env);
    if replicas <= nodes || nodes == 0 {
        return;
    }
    match set_by_user {
        Some(span) => diagnostics.push(Diagnostic::new(
            DiagnosticKind::ReplicasExceedNodes {
                addon: addon.to_string(),
                environment: env.parsed.name().to_string(),
                replicas,
                nodes,
            },
            span,
        )),
        None => *node = Json::from(nodes),
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
