//! The `Platform` spec.

use std::collections::BTreeMap;

use serde::Deserialize;

use super::addon::PlatformAddon;
use super::common::{Replicas, Resources};
use super::resource::{PlatformResourceClasses, ResourceType};

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PlatformSpec {
    pub cloud: String,
    pub accounts: BTreeMap<String, String>,
    pub regions: Vec<String>,
    pub domain: String,
    pub registry: String,
    #[serde(default)]
    pub gitops: GitOps,
    #[serde(default)]
    pub ingress: IngressSettings,
    #[serde(default)]
    pub defaults: PlatformDefaults,
    #[serde(default)]
    pub sizes: BTreeMap<String, Resources>,
    /// Add-on settings and the platform's own add-on definitions, by add-on name.
    #[serde(default)]
    pub addons: BTreeMap<String, PlatformAddon>,
    /// The Terraform foundation; none generated without it.
    pub terraform: Option<TerraformSettings>,
    /// Policy switches, rule parameters and Gatekeeper.
    #[serde(default)]
    pub policies: PolicySettings,
    /// Resource classes over the stdlib catalogue's, by resource type.
    #[serde(default)]
    pub resource_classes: BTreeMap<ResourceType, PlatformResourceClasses>,
    /// How managed resources reach Crossplane.
    #[serde(default)]
    pub crossplane: CrossplaneSettings,
    /// The software catalog written with the tree.
    #[serde(default)]
    pub catalog: CatalogSettings,
}

/// The Platform's `spec.policies`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PolicySettings {
    /// Rule ids switched off.
    #[serde(default)]
    pub disabled: Vec<String>,
    /// Settings of rules by rule id, given to rules as `data.pave.parameters`.
    #[serde(default)]
    pub parameters: BTreeMap<String, serde_json::Value>,
    #[serde(default)]
    pub gatekeeper: GatekeeperSettings,
}

/// Whether the rules are also written out as Gatekeeper constraints.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct GatekeeperSettings {
    #[serde(default)]
    pub enabled: bool,
    #[serde(default)]
    pub enforcement_action: EnforcementAction,
}

/// What Gatekeeper does with a `deny` rule's violations.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum EnforcementAction {
    #[default]
    Deny,
    Dryrun,
    Warn,
}

impl EnforcementAction {
    pub fn as_str(self) -> &'static str {
        match self {
            EnforcementAction::Deny => "deny",
            EnforcementAction::Dryrun => "dryrun",
            EnforcementAction::Warn => "warn",
        }
    }
}

/// `spec.catalog`: which software catalogs pave writes beside the GitOps tree.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CatalogSettings {
    /// Write Backstage catalog entities under `catalog/` (docs/catalog.md).
    #[serde(default)]
    pub backstage: bool,
    /// Write Port blueprints and entities under `catalog/port/` (docs/catalog.md).
    #[serde(default)]
    pub port: bool,
}

/// `spec.crossplane`: the Crossplane API the clusters run.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CrossplaneSettings {
    /// Emit v1 claims (cluster-scoped XRs behind namespaced claims, cluster-scoped managed
    /// resources) for Crossplane 1.x instead of v2 namespaced composite resources.
    #[serde(default)]
    pub claims: bool,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct GitOps {
    pub repository: Option<String>,
    #[serde(default = "default_branch")]
    pub branch: String,
    #[serde(default = "default_path")]
    pub path: String,
    /// The Secret (in `flux-system` and in each tenant namespace) with the Git credentials.
    pub secret_name: Option<String>,
    /// The Secrets Manager secret the tenant namespaces' copy of `secret_name` is read from.
    pub credentials_secret: Option<String>,
    /// How the tenant folders' objects are split into files.
    #[serde(default)]
    pub layout: Layout,
}

/// `spec.gitops.layout`: how a tenant folder's objects are split into files.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Layout {
    /// One multi-document file per workload (`<workload>.yaml`: its ServiceAccount, ConfigMaps,
    /// Deployment, Services, autoscaler, disruption budget and Ingress; in `tenancy/`, its
    /// ExternalSecret and NetworkPolicy); the namespace's own objects one per file.
    #[default]
    Workload,
    /// One file per object, named as `kustomize build -o` names them.
    Object,
}

impl Default for GitOps {
    fn default() -> Self {
        GitOps {
            repository: None,
            branch: default_branch(),
            path: default_path(),
            secret_name: None,
            credentials_secret: None,
            layout: Layout::default(),
        }
    }
}

fn default_branch() -> String {
    "main".into()
}

fn default_path() -> String {
    "gitops".into()
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct IngressSettings {
    #[serde(default = "default_class")]
    pub class_name: String,
    #[serde(default = "default_controller_namespace")]
    pub controller_namespace: String,
    #[serde(default, rename = "sourceCIDRs")]
    pub source_cidrs: Vec<String>,
}

impl Default for IngressSettings {
    fn default() -> Self {
        IngressSettings {
            class_name: default_class(),
            controller_namespace: default_controller_namespace(),
            source_cidrs: Vec::new(),
        }
    }
}

fn default_class() -> String {
    "alb".into()
}

fn default_controller_namespace() -> String {
    "kube-system".into()
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PlatformDefaults {
    pub size: Option<String>,
    pub replicas: Option<Replicas>,
}

/// `spec.terraform`: where the foundation's state lives and who administers it.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TerraformSettings {
    pub state_bucket: String,
    /// Defaults to the first of the Platform's regions.
    pub state_region: Option<String>,
    /// A DynamoDB lock table; without one, S3 native locking (`use_lockfile`).
    pub lock_table: Option<String>,
    pub cost_center: Option<String>,
    /// IAM role names (in each environment's account) or role ARNs given cluster admin access.
    #[serde(default)]
    pub admin_roles: Vec<String>,
    pub github: Option<GitHubSettings>,
}

/// `spec.terraform.github`: the GitHub Actions workflows allowed to push images.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct GitHubSettings {
    pub repositories: Vec<String>,
    #[serde(default = "default_github_branches")]
    pub branches: Vec<String>,
}

fn default_github_branches() -> Vec<String> {
    vec![default_branch()]
}
