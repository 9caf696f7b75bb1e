//! Platform add-ons: the shape of a catalogue entry (a file of `stdlib/addons/`, or a Platform
//! entry with a `chart`) and of the settings the Platform and Environments put on any add-on.

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
}

/// What an add-on that launches nodes needs from the cloud, on each cluster that runs it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NodeProvisioner {
    /// Where the chart's values take the interruption queue's name (dot-separated); pave writes
    /// the name there.
    pub interruption_queue_path: String,
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
    pub keys: std::collections::BTreeMap<String, SecretKeySource>,
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
}
