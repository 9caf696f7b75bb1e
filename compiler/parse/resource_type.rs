//! The `ResourceType` spec: a resource type the platform defines as data (its parameters' JSON
//! Schema, outputs, classes and how it is provided), so a new kind of dependency needs no change
//! to pave. stdlib's types (`stdlib/resources/`) are written the same way; `resolve` adds
//! both to the resource catalogue.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::Value as Json;

use super::resource::{ResourceClass, RuleMatch};

/// A `kind: ResourceType` document's `spec`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ResourceTypeSpec {
    pub description: String,
    /// A JSON Schema of an object: every class, rule and request's parameters are checked
    /// against it.
    #[serde(default)]
    pub params: Option<Json>,
    pub outputs: Vec<OutputDefinition>,
    pub default_class: String,
    pub classes: BTreeMap<String, ResourceClass>,
    /// Exactly one of these is set (the schema's `oneOf`).
    pub crossplane: Option<CrossplaneProvision>,
    pub kubernetes: Option<KubernetesProvision>,
    pub external: Option<ExternalProvision>,
    pub terraform: Option<TerraformProvision>,
}

/// How a data-defined type is provided.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProvisionMode {
    Crossplane,
    Kubernetes,
    External,
    Terraform,
}

impl ProvisionMode {
    pub fn as_str(self) -> &'static str {
        match self {
            ProvisionMode::Crossplane => "crossplane",
            ProvisionMode::Kubernetes => "kubernetes",
            ProvisionMode::External => "external",
            ProvisionMode::Terraform => "terraform",
        }
    }
}

impl ResourceTypeSpec {
    /// The provisioning mode (the schema requires exactly one).
    pub fn mode(&self) -> ProvisionMode {
        if self.crossplane.is_some() {
            ProvisionMode::Crossplane
        } else if self.kubernetes.is_some() {
            ProvisionMode::Kubernetes
        } else if self.terraform.is_some() {
            ProvisionMode::Terraform
        } else {
            ProvisionMode::External
        }
    }
}

/// One output of a data-defined type.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct OutputDefinition {
    pub name: String,
    #[serde(default)]
    pub description: Option<String>,
    /// Read from AWS Secrets Manager through an ExternalSecret.
    #[serde(default)]
    pub secret: bool,
    /// Read from each cluster's outputs ConfigMap even where every region's value is the same.
    #[serde(default)]
    pub regional: bool,
    /// A template known when compiling.
    #[serde(default)]
    pub value: Option<String>,
}

/// `spec.crossplane`: the XRD and Composition the type ships, as written.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CrossplaneProvision {
    /// The port the composed resource listens on in the environment's data network: the
    /// foundation admits it and the cluster gets the EnvironmentConfig `pave-network`.
    pub network_port: Option<u16>,
    /// How the cloud resource's name (`spec.externalName`) is cut.
    #[serde(default)]
    pub external_name: ExternalNameRule,
    /// More fields of each composite's `spec`: templates, filled as output values are.
    #[serde(default)]
    pub composite_spec: serde_json::Map<String, Json>,
    /// IAM statements given to the identity of every workload that requests the type, on its
    /// own cloud resource (`${resource.externalName}`).
    #[serde(default)]
    pub access: Vec<AccessStatement>,
    pub definition: Json,
    pub composition: Json,
    /// Crossplane v1 (claims): the Composition of the cluster-scoped `X<kind>`; the v1 XRD is
    /// derived from `definition`.
    #[serde(default)]
    pub claims: Option<CrossplaneClaims>,
}

/// `spec.crossplane.externalName`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ExternalNameRule {
    /// A template of the name (`<namespace>-<resource>` when not given).
    pub value: Option<String>,
    /// The longest name the cloud service accepts (63 when not given).
    pub max_length: Option<usize>,
}

/// `spec.crossplane.claims`: what a type needs to be used with Crossplane v1 claims.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CrossplaneClaims {
    pub composition: Json,
}

/// `spec.kubernetes`: object templates, one set per request and cluster.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct KubernetesProvision {
    pub objects: Vec<Json>,
}

/// `spec.external`: output values where they match.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ExternalProvision {
    pub values: Vec<ExternalValues>,
}

/// Output values where a match holds.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ExternalValues {
    #[serde(rename = "match")]
    pub matches: RuleMatch,
    pub values: BTreeMap<String, String>,
}

/// `spec.terraform`: Terraform JSON blocks, instantiated once per request and cluster into the
/// cluster's root module under addresses pave derives, so the module holds plain resources that
/// offline validation checks (no module call to install).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TerraformProvision {
    /// The port the type's resources listen on in the environment's data network: the root
    /// module admits it in the data security group, and the blocks may place them with
    /// `${network.dataSubnetIds}` and `${network.securityGroupId}`.
    #[serde(default)]
    pub network_port: Option<u16>,
    /// Blocks instantiated once in a cluster's root module where at least one request of the
    /// type is placed (a cluster every request shares, such as an MSK Serverless cluster).
    #[serde(default)]
    pub shared: Option<SharedBlocks>,
    /// Terraform JSON's `resource`: resource type, then the type's own name for the block, then
    /// its arguments.
    #[serde(default)]
    pub resource: BTreeMap<String, BTreeMap<String, Json>>,
    /// Terraform JSON's `data`, the same shape.
    #[serde(default)]
    pub data: BTreeMap<String, BTreeMap<String, Json>>,
    /// IAM statements given to the identity of every workload that requests the type.
    #[serde(default)]
    pub access: Vec<AccessStatement>,
}

/// `spec.terraform.shared`: a `terraform` type's blocks shared by every request in a cluster.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SharedBlocks {
    /// Terraform JSON's `resource`, as in [`TerraformProvision::resource`].
    #[serde(default)]
    pub resource: BTreeMap<String, BTreeMap<String, Json>>,
    /// Terraform JSON's `data`.
    #[serde(default)]
    pub data: BTreeMap<String, BTreeMap<String, Json>>,
}

/// The prefix of a shared block's address in a template (`shared.TYPE.NAME`).
pub const SHARED_PREFIX: &str = "shared.";

/// One allow statement of a `terraform` or `crossplane` type's `access`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AccessStatement {
    pub actions: Vec<String>,
    /// Templates, each naming one of the type's own resources (`${terraform.TYPE.NAME.arn}`).
    pub resources: Vec<String>,
}

type Blocks = BTreeMap<String, BTreeMap<String, Json>>;

/// The addresses of `resource` and `data` blocks, `TYPE.NAME` and `data.TYPE.NAME`, each after
/// `prefix`.
fn block_addresses(prefix: &str, resource: &Blocks, data: &Blocks) -> Vec<String> {
    let resources = resource.iter().flat_map(|(kind, blocks)| {
        blocks
            .keys()
            .map(move |name| format!("{prefix}{kind}.{name}"))
    });
    let data = data.iter().flat_map(|(kind, blocks)| {
        blocks
            .keys()
            .map(move |name| format!("{prefix}data.{kind}.{name}"))
    });
    resources.chain(data).collect()
}

impl TerraformProvision {
    /// The addresses a request's template may refer to, sorted: its own blocks (`TYPE.NAME`,
    /// `data.TYPE.NAME`) and the shared ones (`shared.TYPE.NAME`, `shared.data.TYPE.NAME`).
    pub fn addresses(&self) -> Vec<String> {
        let mut out = block_addresses("", &self.resource, &self.data);
        out.extend(self.shared_addresses());
        out.sort();
        out
    }

    /// The addresses of the shared blocks (`shared.TYPE.NAME`, `shared.data.TYPE.NAME`), the
    /// only ones a shared block may refer to, sorted.
    pub fn shared_addresses(&self) -> Vec<String> {
        let mut out = self
            .shared
            .as_ref()
            .map(|shared| block_addresses(SHARED_PREFIX, &shared.resource, &shared.data))
            .unwrap_or_default();
        out.sort();
        out
    }
}
