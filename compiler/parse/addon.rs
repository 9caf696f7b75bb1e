//! Platform add-ons: the shape of a catalogue entry (a file of `stdlib/addons/`, or a Platform
//! entry with a `chart`) and of the settings the Platform and Environments put on any add-on.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::Value as Json;

use super::document::Document;

/// Which Flux Kustomization of a cluster applies an add-on: controllers first, then configs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AddonLayer {
    /// Operators that bring CRDs and admission webhooks others need.
    Controllers,
    /// What needs the controllers: their custom resources, and services behind ingresses.
    Configs,
}

impl AddonLayer {
    pub fn as_str(self) -> &'static str {
        match self {
            AddonLayer::Controllers => "controllers",
            AddonLayer::Configs => "configs",
        }
    }
}

/// The Pod Security Admission level enforced in an add-on's namespace, least to most permissive.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PodSecurity {
    Restricted,
    #[default]
    Baseline,
    Privileged,
}

impl PodSecurity {
    pub fn as_str(self) -> &'static str {
        match self {
            PodSecurity::Restricted => "restricted",
            PodSecurity::Baseline => "baseline",
            PodSecurity::Privileged => "privileged",
        }
    }
}

/// A Helm chart: its name, pinned version and repository (`https://` index or `oci://` registry).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Chart {
    pub name: String,
    pub version: String,
    pub repository: String,
}

/// A complete catalogue entry.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AddonDefinition {
    #[serde(default)]
    pub description: Option<String>,
    pub layer: AddonLayer,
    pub namespace: String,
    #[serde(default = "enabled_by_default")]
    pub enabled: bool,
    #[serde(default)]
    pub pod_security: PodSecurity,
    pub chart: Chart,
    #[serde(default)]
    pub depends_on: Vec<String>,
    #[serde(default = "empty_values")]
    pub values: Json,
    #[serde(default)]
    pub manifests: Vec<Json>,
    #[serde(default)]
    pub identities: Vec<AddonIdentity>,
    /// The Secrets the chart reads, which the platform creates.
    #[serde(default)]
    pub secrets: Vec<AddonSecret>,
    /// The host name of the add-on's ingress (pave's variables allowed): its values say
    /// `${addon.host}`, and the cluster's Terraform issues its certificate.
    #[serde(default)]
    pub host: Option<String>,
    /// The add-on launches the cluster's nodes itself (Karpenter): the one declaration the
    /// cluster's Terraform (the nodes' role and access entry, the interruption queue and its
    /// rules, the `karpenter.sh/discovery` tags) and the chart's values and manifests
    /// (`${addon.nodeRole}`, `${addon.interruptionQueue}`) are derived from.
    #[serde(default)]
    pub node_provisioner: Option<NodeProvisioner>,
    /// Where else the chart's values name an object the chart reads but does not create, by
    /// kind (the paths of `secrets[].valuesPaths` name Secrets already): the wiring check
    /// resolves the name found there in the add-on's namespace.
    #[serde(default)]
    pub values_paths: BTreeMap<String, NamedKind>,
    /// The chart serves TLS with a certificate from the cluster's CA, and these clients trust
    /// it.
    #[serde(default)]
    pub tls: Option<AddonTls>,
    /// Where the chart's values take a replica count whose pods each need a node of their own
    /// (a required anti-affinity across hosts): the count follows the environment's nodes.
    #[serde(default)]
    pub replicas_per_node: Option<String>,
}

/// What an add-on that launches nodes needs from the cloud, on each cluster that runs it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NodeProvisioner {
    /// Where the chart's values take the interruption queue's name (dot-separated); pave writes
    /// the name there.
    pub interruption_queue_path: String,
}

/// An add-on that serves TLS with a certificate the cluster's CA issues (cert-manager), and the
/// add-ons that connect to it and verify it against that CA: the one declaration the server's
/// Certificate, each client's Certificate (whose Secret carries the CA, `ca.crt`, into the
/// client's namespace) and the Secret names in both charts' values are derived from.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AddonTls {
    /// The Service the clients connect to, in the add-on's namespace: the certificate names
    /// it, `<service>.<namespace>`, `<service>.<namespace>.svc` and the cluster-local name.
    pub service: String,
    /// The name of the server's Certificate and of its Secret (`tls.crt`, `tls.key` in PKCS#8,
    /// `ca.crt`).
    pub secret: String,
    /// Where the chart's values take that Secret's name.
    pub values_paths: Vec<String>,
    /// Each client add-on, with where its chart's values take the name of the Secret that
    /// holds the CA (`ca.crt`) in its namespace: `<client>-<add-on>-tls`.
    #[serde(default)]
    pub clients: BTreeMap<String, Vec<String>>,
    /// The server's own replicas connect to each other with the same certificate (mutual TLS,
    /// as OpenSearch's transport layer does): it is a client certificate too, with the subject
    /// `CN=<service>`, which the values name as `${addon.tlsSubject}`.
    #[serde(default)]
    pub peers: bool,
}

/// The kind of object a chart's values name at a declared path.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize)]
pub enum NamedKind {
    Secret,
    ConfigMap,
    StorageClass,
    ServiceAccount,
}

impl NamedKind {
    pub fn as_str(self) -> &'static str {
        match self {
            NamedKind::Secret => "Secret",
            NamedKind::ConfigMap => "ConfigMap",
            NamedKind::StorageClass => "StorageClass",
            NamedKind::ServiceAccount => "ServiceAccount",
        }
    }
}

/// Whether a declared values path (dot-separated; `*` is any list item or key) matches a
/// concrete one.
pub fn values_path_matches(pattern: &str, path: &str) -> bool {
    let mut pattern = pattern.split('.');
    let mut path = path.split('.');
    loop {
        match (pattern.next(), path.next()) {
            (None, None) => return true,
            (Some(p), Some(k)) if p == "*" || p == k => {}
            _ => return false,
        }
    }
}

/// A Secret an add-on's chart reads, created in the add-on's namespace by an ExternalSecret
/// (pave writes no Secret values to Git): the one declaration the ExternalSecret, its
/// generators and the chart's values (the Secret's name at `valuesPaths`) are derived from.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AddonSecret {
    /// The Secret's name.
    pub name: String,
    /// Where the chart's values take the Secret's name (dot-separated; a number is a list
    /// index, e.g. `extraEnvs.0.valueFrom.secretKeyRef.name`); pave writes the name there.
    #[serde(default)]
    pub values_paths: Vec<String>,
    /// The Secret's keys, each with where its value comes from.
    pub keys: BTreeMap<String, SecretKeySource>,
}

/// Where the value of one key of an add-on's Secret comes from.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SecretKeySource {
    /// Generated once on the cluster (External Secrets' `Password` generator), never stored
    /// anywhere else: `password`.
    #[serde(default)]
    pub generate: Option<GeneratedSecret>,
    /// Read from the cluster's Secrets Manager secret `<platform>/<cluster>/<name>`, at
    /// `property` of its JSON: for a value two add-ons must share.
    #[serde(default)]
    pub secrets_manager: Option<String>,
    #[serde(default)]
    pub property: Option<String>,
}

/// What a generated key holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum GeneratedSecret {
    /// 32 letters and digits (no symbols: the value may land in URLs and config files).
    Password,
}

/// The AWS identity of an add-on's pods: an IAM role, associated with one ServiceAccount through
/// EKS Pod Identity. The one declaration the cluster's Terraform (role, policy, association) and
/// the chart's values (the ServiceAccount's name) are both derived from.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AddonIdentity {
    /// The ServiceAccount the pods run as.
    pub service_account: String,
    /// Its namespace, when not the add-on's.
    #[serde(default)]
    pub namespace: Option<String>,
    /// Where the chart's values take the ServiceAccount's name (dot-separated, e.g.
    /// `serviceAccount.name`); pave writes the name there. None when a manifest or the chart's
    /// fixed name already is `serviceAccount`.
    #[serde(default)]
    pub values_path: Option<String>,
    /// What the role may do.
    #[serde(default)]
    pub policy: Vec<IamStatementSpec>,
    /// AWS managed policies attached to the role, by name (`service-role/AmazonEBSCSIDriverPolicy`).
    #[serde(default)]
    pub managed_policies: Vec<String>,
    /// Whether the role may also read the Secrets Manager secrets the environment's services
    /// name in `secrets` (and the platform's own, `<platform>/*`): External Secrets'.
    #[serde(default)]
    pub service_secrets: bool,
}

/// One allow statement of an identity's policy, as written in a catalogue entry.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct IamStatementSpec {
    pub actions: Vec<String>,
    /// ARNs (pave's `${cluster.*}` and `${platform.*}` variables allowed).
    pub resources: Vec<String>,
    /// Conditions that must all hold.
    #[serde(default)]
    pub conditions: Vec<IamConditionSpec>,
}

/// A condition of a statement: `test` (e.g. `StringEquals`), `variable`, `values`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IamConditionSpec {
    pub test: String,
    pub variable: String,
    pub values: Vec<String>,
}

fn enabled_by_default() -> bool {
    true
}

fn empty_values() -> Json {
    Json::Object(serde_json::Map::new())
}

/// An entry of the Platform's `spec.addons`: settings for a catalogue add-on, or, with a
/// `chart`, the platform's own definition (which replaces a stdlib entry of the same name).
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PlatformAddon {
    pub enabled: Option<bool>,
    pub version: Option<String>,
    pub values: Option<Json>,
    pub description: Option<String>,
    pub layer: Option<AddonLayer>,
    pub namespace: Option<String>,
    pub pod_security: Option<PodSecurity>,
    pub chart: Option<Chart>,
    #[serde(default)]
    pub depends_on: Vec<String>,
    #[serde(default)]
    pub manifests: Vec<Json>,
    #[serde(default)]
    pub identities: Vec<AddonIdentity>,
    #[serde(default)]
    pub secrets: Vec<AddonSecret>,
    #[serde(default)]
    pub host: Option<String>,
    #[serde(default)]
    pub node_provisioner: Option<NodeProvisioner>,
    #[serde(default)]
    pub values_paths: BTreeMap<String, NamedKind>,
    #[serde(default)]
    pub tls: Option<AddonTls>,
    #[serde(default)]
    pub replicas_per_node: Option<String>,
}

impl PlatformAddon {
    /// The definition, when the entry defines the add-on (it has a `chart`). The schema requires
    /// `layer` and `namespace` with `chart`; `None` also when they are missing.
    pub fn definition(&self) -> Option<AddonDefinition> {
        let mut chart = self.chart.clone()?;
        if let Some(version) = &self.version {
            chart.version.clone_from(version);
        }
        Some(AddonDefinition {
            description: self.description.clone(),
            layer: self.layer?,
            namespace: self.namespace.clone()?,
            enabled: self.enabled.unwrap_or(true),
            pod_security: self.pod_security.unwrap_or_default(),
            chart,
            depends_on: self.depends_on.clone(),
            values: self.values.clone().unwrap_or_else(empty_values),
            manifests: self.manifests.clone(),
            identities: self.identities.clone(),
            secrets: self.secrets.clone(),
            host: self.host.clone(),
            node_provisioner: self.node_provisioner.clone(),
            values_paths: self.values_paths.clone(),
            tls: self.tls.clone(),
            replicas_per_node: self.replicas_per_node.clone(),
        })
    }
}

/// An entry of an Environment's `spec.addons`: switches and values for that environment.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AddonSettings {
    pub enabled: Option<bool>,
    pub version: Option<String>,
    pub values: Option<Json>,
}

/// A file of the embedded catalogue, `stdlib/addons/<name>.yaml`.
#[derive(Debug, Clone)]
pub struct StdlibAddon {
    /// The file name without `.yaml`.
    pub name: String,
    pub doc: Document,
    pub definition: AddonDefinition,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::yaml::parse_yaml;
    use crate::source::{FileId, STDLIB, STDLIB_ADDONS, schema_source};

    /// Every catalogue file reads into a definition and is a valid Platform add-on entry, so a
    /// platform can copy one into its `spec.addons` as is.
    #[test]
    fn every_catalogue_file_is_a_valid_definition() {
        let platform: Json = schema_source("platform.schema.json")
            .and_then(|text| serde_json::from_str(text).ok())
            .unwrap_or_default();
        let schema = serde_json::json!({
            "$ref": "#/$defs/platformAddon",
            "$defs": platform.get("$defs").cloned().unwrap_or_default(),
        });
        let validator = jsonschema::draft202012::new(&schema).map_err(|e| e.to_string());
        assert!(validator.is_ok(), "{validator:?}");
        let Ok(validator) = validator else { return };
        let mut problems = Vec::new();
        for (path, text) in STDLIB.iter().filter(|(p, _)| p.starts_with(STDLIB_ADDONS)) {
            let (nodes, errors) = parse_yaml(FileId::new(0), text);
            let json = nodes.first().map(|n| n.to_json()).unwrap_or_default();
            if !errors.is_empty() {
                problems.push(format!("{path}: YAML errors"));
            }
            if let Err(error) = serde_json::from_value::<AddonDefinition>(json.clone()) {
                problems.push(format!("{path}: {error}"));
            }
            for error in validator.iter_errors(&json) {
                problems.push(format!("{path}: {error}"));
            }
        }
        assert_eq!(problems, Vec::<String>::new());
    }

    /// Every value of a catalogue entry that names an object by a key charts use for that
    /// (`existingSecret`, `secretKeyRef.name`, `storageClassName`...) is at a path the entry
    /// declares (its `valuesPaths`, a Secret's `valuesPaths`, an identity's `valuesPath`), so
    /// the wiring check resolves it.
    #[test]
    fn every_name_in_the_catalogue_values_is_at_a_declared_path() {
        const NAME_KEYS: &[&str] = &[
            "existingSecret",
            "existingConfigMap",
            "secretName",
            "envFromSecret",
            "storageClass",
            "storageClassName",
            "securityConfigSecret",
            "serviceAccountName",
        ];
        const NAME_PARENTS: &[&str] = &[
            "secretKeyRef",
            "configMapKeyRef",
            "secretRef",
            "configMapRef",
            "serviceAccount",
        ];
        fn leaves(value: &Json, path: Vec<String>, out: &mut Vec<Vec<String>>) {
            match value {
                Json::Object(map) => {
                    for (key, child) in map {
                        let mut next = path.clone();
                        next.push(key.clone());
                        leaves(child, next, out);
                    }
                }
                Json::Array(items) => {
                    for (i, child) in items.iter().enumerate() {
                        let mut next = path.clone();
                        next.push(i.to_string());
                        leaves(child, next, out);
                    }
                }
                Json::String(_) => out.push(path),
                _ => {}
            }
        }
        let mut undeclared = Vec::new();
        let mut names = 0;
        for (path, text) in STDLIB.iter().filter(|(p, _)| p.starts_with(STDLIB_ADDONS)) {
            let (nodes, _) = parse_yaml(FileId::new(0), text);
            let json = nodes.first().map(|n| n.to_json()).unwrap_or_default();
            let Ok(definition) = serde_json::from_value::<AddonDefinition>(json) else {
                continue;
            };
            let declared: Vec<&str> = definition
                .values_paths
                .keys()
                .map(String::as_str)
                .chain(
                    definition
                        .secrets
                        .iter()
                        .flat_map(|s| s.values_paths.iter().map(String::as_str)),
                )
                .chain(
                    definition
                        .identities
                        .iter()
                        .filter_map(|i| i.values_path.as_deref()),
                )
                .collect();
            // As the chart gets them: with the names pave writes at the declared paths.
            let values = crate::lower::with_declared_names(
                definition.values.clone(),
                &definition,
                &std::collections::BTreeMap::new(),
            );
            let mut found = Vec::new();
            leaves(&values, Vec::new(), &mut found);
            for keys in found {
                let last = keys.last().map_or("", String::as_str);
                let parent = keys.len().checked_sub(2).and_then(|i| keys.get(i));
                let names_object = NAME_KEYS.contains(&last)
                    || (last == "name"
                        && parent.is_some_and(|p| NAME_PARENTS.contains(&p.as_str())));
                if !names_object {
                    continue;
                }
                names += 1;
                let dotted = keys.join(".");
                if !declared.iter().any(|p| values_path_matches(p, &dotted)) {
                    undeclared.push(format!("{path}: {dotted}"));
                }
            }
        }
        assert_eq!(undeclared, Vec::<String>::new());
        // The test sees the names it is about (pave writes some today).
        assert!(names > 0);
    }

    #[test]
    fn a_values_path_pattern_matches_whole_segments() {
        assert!(values_path_matches(
            "env.*.valueFrom.secretKeyRef.name",
            "env.0.valueFrom.secretKeyRef.name"
        ));
        assert!(values_path_matches(
            "admin.existingSecret",
            "admin.existingSecret"
        ));
        assert!(!values_path_matches(
            "admin.existingSecret",
            "admin.existingSecret.x"
        ));
        assert!(!values_path_matches("env.*.name", "env.name"));
    }
}
