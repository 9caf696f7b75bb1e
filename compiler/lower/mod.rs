//! Lower: the validated platform to a target-neutral [`Plan`]: for each tenant and environment,
//! the namespace with its guardrails and the workloads in it; for each cluster (an environment in
//! one region), the add-ons that run on it and the tenants it hosts; and (when the Platform asks
//! for it) the cloud [`Foundation`] each environment and region runs on. Every value is final
//! (defaults applied, names, labels, address blocks and permissions derived, add-on variables
//! replaced by the cluster's values). Emitters only translate a plan into their target's
//! objects. Never reads files.

pub mod catalog;
mod foundation;
mod resource;
mod unit;

use std::collections::{BTreeMap, BTreeSet};

use rayon::prelude::*;

use serde_json::Value as Json;

pub use foundation::{
    AccessEntry, ApplicationSecret, AwsLocation, DATA_SECURITY_GROUP, DISCOVERY_TAG, DelegatedZone,
    Foundation, GitHubDeploy, IdentityOwner, Network, NodeProvisioner, Permission, PlannedDns,
    PlannedNodeGroup, PlannedTaint, REGISTRY_FOLDER, RegionalFoundation, Registry,
    SharedTerraformInstance, StateBackend, TerraformInstance, WorkloadIdentity, ZONES,
    ZoneDelegation, ZoneSource, private_subnet_name, secrets_key_alias,
};

pub use resource::{
    EnvVarSource, ExternalSecretKey, OUTPUTS_CONFIG_MAP, PlannedEnvVar, PlannedExternalSecret,
    PlannedResource, RegionalResources, resource_name,
};

use crate::parse::score::InitKind;
use crate::parse::{
    AddonDefinition, AddonLayer, DnsRouting, Document, EnforcementAction, Ingress, Owners,
    PodSecurity, Quota, Replicas, Resources, Tier, WorkloadKind,
};
use crate::resolve::{
    Addon, ContainerInstance, ResolvedContent, ResolvedFile, ResolvedSpec, Service,
    ServiceInstance, StdLimitRange, StdProbes, Tenant, substitute_json,
};
use crate::source::{FileId, SourceMap, Span};

use crate::validate::ValidatedSpec;
pub use unit::{SCHEME, UnitInput, UnitOutline, UnitShared};

/// Everything to generate, sorted by tenant and environment.
#[derive(Debug, Clone)]
pub struct Plan {
    pub platform: String,
    /// The software catalog, when the Platform asks for one (`spec.catalog`).
    pub catalog: Option<catalog::Catalog>,
    /// The units lowered: all of them, or (from [`lower_reusing`]) those whose folder is not
    /// reused.
    pub units: Vec<TenantEnvironment>,
    /// Every unit, lowered or not, in order: what the rest of the plan reads of it.
    pub outlines: Vec<UnitOutline>,
    /// Where Flux reads the tree from; `None` when the Platform names no repository.
    pub gitops: Option<GitOpsSource>,
    /// One per environment and region, sorted by name.
    pub clusters: Vec<Cluster>,
    /// The cloud foundation; `None` unless the Platform has a `terraform` section.
    pub foundation: Option<Foundation>,
    /// The rules Gatekeeper enforces in the clusters that run it; `None` unless the Platform
    /// switches `policies.gatekeeper` on.
    pub gatekeeper: Option<GatekeeperPlan>,
    /// How managed resources reach Crossplane, and the types in use.
    pub crossplane: CrossplanePlan,
    /// A digest of everything the policies decide (rules, switches, parameters, waivers in
    /// force), as the units' fingerprints took it (`Policies::digest`), so that a unit's objects
    /// are evaluated again whenever the policies change.
    pub policies: String,
    /// How the tenant folders' objects are split into files (`spec.gitops.layout`).
    pub layout: crate::parse::Layout,
}

/// What lowering needs of the policies, as plain data: the pipeline takes it from the compiled
/// policies (`policy::PolicySet::lowered`), so that `lower` never imports `policy` (which comes
/// after `emit`, whose objects it evaluates).
#[derive(Debug, Clone, Default)]
pub struct Policies {
    /// The enabled rules on Kubernetes objects that Gatekeeper can run, sorted by id.
    pub gatekeeper_rules: Vec<GatekeeperRule>,
    /// The waivers in force.
    pub waivers: Vec<PolicyWaiver>,
    /// The context every input shares (`data.pave`: platform, parameters, environments).
    pub context: Json,
    /// A digest of everything the policies decide (rules, switches, parameters, waivers in
    /// force): part of every unit's fingerprint (see `lower::unit`).
    pub digest: String,
}

/// A waiver in force: one rule for a tenant, or one service of it, in some environments (all
/// of the tenant's when empty).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyWaiver {
    pub rule: String,
    pub tenant: String,
    pub service: Option<String>,
    pub environments: Vec<String>,
}

/// A rule on Kubernetes objects as OPA Gatekeeper runs it (derived from the rule's file by
/// `policy::gatekeeper_rules`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GatekeeperRule {
    /// The rule id: the Constraint's name.
    pub id: String,
    /// The Constraint kind (`PaveImageTagPinned`); the template's name is its lower case.
    pub kind: String,
    pub title: String,
    pub description: String,
    /// `deny` rules follow the Platform's enforcement action; `warn` rules always warn.
    pub severity: crate::diagnostic::Severity,
    /// The template's Rego (Rego v1): the rule rewritten, and the adapter.
    pub rego: String,
    /// The libraries it imports, rewritten the same way.
    pub libs: Vec<String>,
    /// `(API group, kind)` pairs it matches (`""` for the core group); empty: every kind.
    pub kinds: Vec<(String, String)>,
    /// The JSON Schema of its parameters (`custom.parameters`), if it declares one.
    pub parameters: Option<Json>,
    /// The keys of `data.pave` the rule and its libraries read (`declared`, `autoscaled`...):
    /// a Constraint carries the per-cluster ones only to the rules that read them.
    pub reads: BTreeSet<String>,
}

/// The policy rules on Kubernetes objects, for Gatekeeper in the clusters.
#[derive(Debug, Clone)]
pub struct GatekeeperPlan {
    /// Each rule, with the namespaces (and services) its waivers exempt, sorted.
    pub rules: Vec<(GatekeeperRule, Vec<WaivedNamespace>)>,
    /// Per environment, the services that declare a public ingress (`ingress.public`), by
    /// namespace: what `data.pave.declared.publicIngress` says of each object at compile time.
    pub public_ingress: BTreeMap<String, Vec<DeclaredService>>,
    /// Per environment, the workloads an autoscaler scales (their replica count is the
    /// autoscaler's): what `data.pave.related.autoscalers` finds at compile time.
    pub autoscaled: BTreeMap<String, Vec<ScaledWorkload>>,
    /// What `deny` rules do (`warn` rules warn).
    pub enforcement_action: EnforcementAction,
    /// The context every Constraint carries (platform, parameters, environments), to which each
    /// cluster adds its environment, tier, region and name.
    pub context: Json,
    /// Each environment's tier.
    pub tiers: BTreeMap<String, Tier>,
    /// The Platform spec file.
    pub source: FileId,
}

/// A namespace a waiver exempts from a rule (one service of it, or all).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WaivedNamespace {
    pub environment: String,
    pub namespace: String,
    pub service: Option<String>,
}

/// A service of a namespace (its objects carry `app.kubernetes.io/name: <service>`).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct DeclaredService {
    pub namespace: String,
    pub service: String,
}

/// A workload whose replica count an autoscaler owns.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct ScaledWorkload {
    pub namespace: String,
    /// `Deployment` or `StatefulSet`.
    pub kind: String,
    pub name: String,
}

/// The platform's Crossplane API: v2 namespaced composite resources, or v1 claims.
#[derive(Debug, Clone)]
pub struct CrossplanePlan {
    /// Emit v1 claims and cluster-scoped managed resources (Crossplane 1.x).
    pub claims: bool,
    /// The `crossplane` types some service requests (each gets its XRD and Composition).
    pub types: Vec<PlannedResourceType>,
    /// The Platform spec file.
    pub source: FileId,
}

/// A `crossplane` type's XRD and Composition, as its spec gives them.
#[derive(Debug, Clone)]
pub struct PlannedResourceType {
    pub resource_type: crate::parse::ResourceType,
    /// The v2 XRD (with claims, `emit` derives the v1 one from it).
    pub definition: Json,
    /// The v2 Composition, or with claims the type's `claims` one.
    pub composition: Json,
    /// The `ResourceType` spec's file.
    pub file: FileId,
}

/// The Git repository that holds the generated tree.
#[derive(Debug, Clone)]
pub struct GitOpsSource {
    pub url: String,
    pub branch: String,
    /// The Secret with the Git credentials, in every namespace that has a GitRepository.
    pub secret_name: Option<String>,
    /// The Secrets Manager secret each tenant namespace's copy of `secret_name` is filled from
    /// (by an ExternalSecret beside the tenant's GitRepository); `flux-system`'s comes from
    /// `flux bootstrap`.
    pub credentials_secret: Option<String>,
    /// The output folder inside the repository (the platform root is the repository root).
    pub path: String,
    /// The Platform spec file.
    pub source: FileId,
}

/// One Kubernetes cluster: an environment in one region.
#[derive(Debug, Clone)]
pub struct Cluster {
    /// `<environment>-<region>`: the folder name, and the EKS cluster name add-ons are told.
    pub name: String,
    pub environment: String,
    pub region: String,
    pub kubernetes_version: String,
    /// Labels of the cluster's Flux objects.
    pub labels: BTreeMap<String, String>,
    /// The add-ons that run on it, sorted by name.
    pub addons: Vec<PlannedAddon>,
    /// The default StorageClass, provisioned by the EBS CSI driver the cluster's Terraform installs
    /// (`foundation::EBS_CSI_DRIVER`): what the add-ons' and workloads' claims get.
    pub storage_class: &'static str,
    /// The tenants with a namespace in its environment, sorted.
    pub tenants: Vec<String>,
    /// What the platform's Compositions read on this cluster, beside the shared control plane;
    /// `None` when none of its tenants' resources needs anything.
    pub crossplane_environment: Option<CrossplaneEnvironment>,
    /// The Environment spec file.
    pub source: FileId,
    /// The Environment document.
    pub document: Span,
    /// With the `capsule` add-on: each tenant of the environment as a Capsule Tenant.
    pub capsule_tenants: Vec<CapsuleTenant>,
    /// When an add-on has certificates and cert-manager runs: cert-manager's namespace, where
    /// the cluster's CA (a self-signed root, [`CLUSTER_CA_ISSUER`]) keeps its key.
    pub cluster_ca: Option<String>,
    /// How this cluster's records of hosts that the environment's other regions serve too are
    /// told apart; `None` in a single-region environment or without ExternalDNS.
    pub dns_routing: Option<DnsRecordRouting>,
}

/// A Route 53 routing policy for the records ExternalDNS writes for a cluster's Ingress hosts.
/// The environment's clusters all serve the same hosts; without a routing policy each writes a
/// simple record with its own TXT owner id, and only the first keeps it (ExternalDNS never takes
/// over another owner's record), so the other regions get no traffic. With a set identifier per
/// cluster each writes and owns its own record of the set (ExternalDNS docs, tutorials/aws.md
/// "Routing policies": `set-identifier` plus exactly one of `aws-region`, `aws-weight`, …).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DnsRecordRouting {
    /// The record's set identifier: the cluster's name, unique in the zone.
    pub set_identifier: String,
    pub policy: RecordPolicy,
}

/// The routing policy of one record of the set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RecordPolicy {
    /// Latency-based: the record's region.
    Latency { region: String },
    /// Weighted: every region the same weight.
    Weighted { weight: u32 },
}

impl DnsRecordRouting {
    /// The Ingress annotations ExternalDNS reads (external-dns `source/annotations` and
    /// `provider/aws`: `external-dns.alpha.kubernetes.io/set-identifier`, `…/aws-region`,
    /// `…/aws-weight`). Alias records to the load balancer keep ExternalDNS's default
    /// `--aws-evaluate-target-health`, so a region whose load balancer has no healthy target
    /// drops out of the answers.
    pub fn annotations(&self) -> [(&'static str, String); 2] {
        let policy = match &self.policy {
            RecordPolicy::Latency { region } => (
                "external-dns.alpha.kubernetes.io/aws-region",
                region.clone(),
            ),
            RecordPolicy::Weighted { weight } => (
                "external-dns.alpha.kubernetes.io/aws-weight",
                weight.to_string(),
            ),
        };
        [
            (
                "external-dns.alpha.kubernetes.io/set-identifier",
                self.set_identifier.clone(),
            ),
            policy,
        ]
    }
}

/// A pave tenant as a Capsule Tenant (capsule.clastix.io/v1beta2) on one cluster.
#[derive(Debug, Clone)]
pub struct CapsuleTenant {
    pub name: String,
    /// The tenant's owners: groups and users, as its spec lists them.
    pub groups: Vec<String>,
    pub users: Vec<String>,
    /// How many namespaces it may have on the cluster: pave's one for the environment.
    pub namespaces: u32,
    /// The ClusterRole Capsule binds the owners to in the tenant's namespaces: the one pave's own
    /// `owners` RoleBinding names, not Capsule's default (`admin` and `capsule-namespace-deleter`,
    /// which would let owners delete the namespace and rewrite its RBAC).
    pub owner_role: &'static str,
    /// The only StorageClass its claims may use (the cluster's default).
    pub storage_class: &'static str,
    /// The only IngressClass its Ingresses may use (the Platform's).
    pub ingress_class: String,
    /// The Tenant spec file and document.
    pub source: FileId,
    pub document: Span,
}

/// A cluster's own inputs to the Compositions: its EnvironmentConfigs and the Atlas provider's
/// config. Each is derived from the same plan data as the other side of its seam: the network
/// from the environment's data ports (which also make the cluster's Terraform create the data
/// network and write it into Secrets Manager), Atlas from `spec.atlas` and the mongodb requests
/// (which also make Terraform create the empty API key secret).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CrossplaneEnvironment {
    /// The Secrets Manager secret holding the cluster's data network (`dbSubnetGroupName`,
    /// `cacheSubnetGroupName`, `securityGroupId`), written by its Terraform: synced into the Flux
    /// namespace and substituted into the EnvironmentConfig `pave-network`. `None` when no
    /// service of the environment requires a database or cache in the VPC.
    pub network_secret: Option<String>,
    pub atlas: Option<PlannedAtlas>,
}

/// MongoDB Atlas on one cluster.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlannedAtlas {
    /// The project the clusters are created in (EnvironmentConfig `pave-atlas`).
    pub project_id: String,
    /// The Secrets Manager secret with the provider's API key (`public_key`, `private_key`).
    pub api_key_secret: String,
}

/// The Secrets Manager name of a cluster's data network, as its Terraform writes it.
pub fn network_secret_name(platform: &str, eks_cluster: &str) -> String {
    addon_secret_remote(platform, eks_cluster, "pave-network")
}

/// The Secrets Manager name of the Atlas provider's API key on a cluster (created empty).
pub fn atlas_api_key_secret_name(platform: &str, eks_cluster: &str) -> String {
    addon_secret_remote(platform, eks_cluster, "mongodbatlas-api-key")
}

/// The name of every cluster's default StorageClass: encrypted gp3 EBS volumes.
pub const DEFAULT_STORAGE_CLASS: &str = "gp3";

/// An add-on on one cluster.
#[derive(Debug, Clone)]
pub struct PlannedAddon {
    pub name: String,
    pub layer: AddonLayer,
    pub namespace: String,
    pub pod_security: PodSecurity,
    pub chart: PlannedChart,
    /// The add-ons it waits for (all on the same cluster), sorted.
    pub depends_on: Vec<String>,
    /// Helm values, variables replaced.
    pub values: Json,
    /// The spec node behind each value: a JSON pointer into `values` and the span of the node
    /// that set it (a later entry for the same pointer wins).
    pub value_origins: Vec<(String, Span)>,
    /// The catalogue entry (or the Platform's definition) of the add-on.
    pub entry: Span,
    /// Objects for the configs layer, variables replaced.
    pub manifests: Vec<Json>,
    /// For each manifest, the spec nodes it came from: the entry, and (for the Platform's own
    /// manifests) every field of it by JSON pointer.
    pub manifest_origins: Vec<(Span, Vec<(String, Span)>)>,
    /// The Secrets its chart reads, each filled by an ExternalSecret in its namespace.
    pub secrets: Vec<PlannedAddonSecret>,
    /// The certificates the cluster's CA issues for it (its catalogue entry's `tls`, or another
    /// entry's that names it a client), in its namespace.
    pub certificates: Vec<PlannedCertificate>,
    /// Labels of its objects.
    pub labels: BTreeMap<String, String>,
    /// The file that defines it (a stdlib file or the Platform spec).
    pub source: FileId,
}

/// A Secret an add-on's chart reads (its catalogue entry's `secrets`), on one cluster.
#[derive(Debug, Clone)]
pub struct PlannedAddonSecret {
    pub name: String,
    pub namespace: String,
    /// By key, sorted.
    pub keys: Vec<(String, PlannedSecretKey)>,
}

/// A certificate from the cluster's CA, in an add-on's namespace: a server's for its Service, or
/// a client's, whose Secret carries the CA (`ca.crt`) the client verifies the server with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlannedCertificate {
    /// The Certificate's name and its Secret's.
    pub name: String,
    pub namespace: String,
    /// A server's: the names of its Service. Empty for a client.
    pub dns_names: Vec<String>,
    /// A client's: the client add-on's name; a server whose replicas are peers: its Service.
    pub common_name: Option<String>,
    /// Also a client certificate (`client auth`): a client's, or a server's whose replicas
    /// connect to each other with it.
    pub client_auth: bool,
    /// The declaration it comes from: the server's `tls`, or its entry for this client.
    pub span: Span,
}

/// The ClusterIssuer of the cluster's own CA, which signs the add-ons' `tls` certificates.
pub const CLUSTER_CA_ISSUER: &str = "pave-cluster-ca";

/// The catalogue add-on that issues certificates on the cluster.
const CERT_MANAGER: &str = "cert-manager";

/// The catalogue add-on that publishes Ingress hosts in Route 53.
const EXTERNAL_DNS: &str = "external-dns";

/// Where the value of one key of an add-on's Secret comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PlannedSecretKey {
    /// A password generated on the cluster, once.
    Password,
    /// A property of a Secrets Manager secret, by its full name.
    SecretsManager { name: String, property: String },
}

/// The Secrets Manager name of an add-on secret's source on a cluster: under the platform's
/// prefix (which External Secrets' role may read), per cluster.
pub fn addon_secret_remote(platform: &str, cluster_name: &str, name: &str) -> String {
    format!("{platform}/{cluster_name}/{name}")
}

/// A chart at a pinned version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlannedChart {
    pub name: String,
    pub version: String,
    pub repository: ChartRepository,
}

/// Where a chart comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChartRepository {
    /// A Helm repository index (`https://`).
    Helm { url: String },
    /// An OCI artifact: the full reference of the chart, without the tag.
    Oci { url: String },
}

/// One tenant in one environment: a namespace and its workloads.
#[derive(Debug, Clone, Hash)]
pub struct TenantEnvironment {
    pub tenant: String,
    pub environment: String,
    pub tier: Tier,
    pub kubernetes_version: String,
    pub namespace: String,
    /// Labels on every object of the unit: tenant, environment, cost centre, managed-by.
    pub labels: BTreeMap<String, String>,
    /// Extra labels of the namespace (the tenant's own).
    pub namespace_labels: BTreeMap<String, String>,
    pub quota: Quota,
    pub limit_range: StdLimitRange,
    pub owners: Owners,
    /// `edit` outside production, `view` in production.
    pub owner_role: &'static str,
    pub ingress_controller_namespace: String,
    pub ingress_source_cidrs: Vec<String>,
    pub ingress_class: String,
    pub workloads: Vec<Workload>,
    /// The tenant's volumes provided by name that a workload here mounts: a claim each, with the
    /// node of its entry in `spec.volumes`.
    pub claims: BTreeMap<String, (crate::parse::TenantVolume, Origin)>,
    /// Managed resources per region of the environment (one cluster each), in the Environment's
    /// order of regions; empty when no service of the unit requires any.
    pub resources: Vec<RegionalResources>,
    /// The Tenant spec file.
    pub source: FileId,
    /// The Tenant document, and the node of its quota in this environment (the document when
    /// the quota is a default).
    pub document: Origin,
    pub quota_span: Origin,
    /// The node of the tenant's `owners`: the owners' RoleBinding's subjects.
    pub owners_span: Origin,
}

/// One service in one environment.
#[derive(Debug, Clone, Hash)]
pub struct Workload {
    pub name: String,
    pub kind: WorkloadKind,
    pub image: String,
    pub command: Vec<String>,
    pub args: Vec<String>,
    pub ports: Vec<PlannedPort>,
    pub replicas: Replicas,
    pub autoscaling_cpu: u8,
    pub resources: Resources,
    /// Plain env (a ConfigMap).
    pub env: BTreeMap<String, String>,
    /// The container's `env` list: secret and resource outputs, in order.
    pub env_vars: Vec<PlannedEnvVar>,
    /// Where its secrets come from: Secrets Manager through External Secrets.
    pub external_secret: Option<PlannedExternalSecret>,
    pub liveness: Option<PlannedProbe>,
    pub readiness: Option<PlannedProbe>,
    pub ingress: Option<Ingress>,
    pub schedule: Option<String>,
    pub automount_token: bool,
    /// Other tenants with services that call this one (same environment); validation made
    /// sure each has this tenant's consent.
    pub called_by_tenants: Vec<String>,
    /// Labels of this workload's objects (the unit's plus `app.kubernetes.io/*`).
    pub labels: BTreeMap<String, String>,
    /// Labels that select its pods.
    pub selector: BTreeMap<String, String>,
    /// Annotations of the workload and its pods (a Score workload's `metadata.annotations`).
    pub annotations: BTreeMap<String, String>,
    /// The main container's name.
    pub container_name: String,
    /// Files mounted read-only into the main container.
    pub files: Vec<PlannedFile>,
    /// Scratch volumes mounted into the main container.
    pub mounts: Vec<PlannedMount>,
    /// The pod's other containers.
    pub sidecars: Vec<PlannedContainer>,
    /// The pod's scratch volumes (`emptyDir`), by volume name, sorted.
    pub scratch_volumes: Vec<String>,
    /// The tenant's volumes it mounts by name (claims of the namespace), sorted; the pod volume
    /// of each is [`claim_volume_name`].
    pub claims: Vec<String>,
    /// The Service spec file.
    pub source: FileId,
    /// The spec nodes that decided its settings.
    pub origin: WorkloadOrigin,
}

impl Workload {
    /// Whether an autoscaler owns the replica count: a long-running workload with a range.
    pub fn autoscaled(&self) -> bool {
        autoscaled(self.kind, self.replicas)
    }
}

/// Whether an autoscaler owns a workload's replica count: a long-running one with a range.
fn autoscaled(kind: WorkloadKind, replicas: Replicas) -> bool {
    kind.is_long_running() && replicas.min() != replicas.max()
}

/// A span carried for diagnostics only (a reused unit is not evaluated by the policies, so its
/// spans are never used; `unit` fingerprints documents without their spans). It hashes to
/// nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Origin(pub Span);

impl std::hash::Hash for Origin {
    fn hash<H: std::hash::Hasher>(&self, _: &mut H) {}
}

// Spans only, for diagnostics: see `Origin`.
impl std::hash::Hash for WorkloadOrigin {
    fn hash<H: std::hash::Hasher>(&self, _: &mut H) {}
}

/// The spec nodes that decided a workload's settings (`None`: a built-in default), so that a
/// problem found on a generated object is reported where the user can change it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkloadOrigin {
    /// The Service document.
    pub document: Span,
    pub image: Option<Span>,
    pub replicas: Option<Span>,
    pub resources: Option<Span>,
    pub ingress: Option<Span>,
    pub schedule: Option<Span>,
    /// Each variable of `secrets` (the service's or this environment's entry).
    pub secrets: BTreeMap<String, Span>,
}

/// A container of a pod besides the main one.
#[derive(Debug, Clone, PartialEq, Hash)]
pub struct PlannedContainer {
    pub name: String,
    pub image: String,
    pub command: Vec<String>,
    pub args: Vec<String>,
    pub env: BTreeMap<String, String>,
    /// Variables read from Secrets and ConfigMaps (resource outputs).
    pub env_vars: Vec<PlannedEnvVar>,
    pub resources: Resources,
    pub liveness: Option<PlannedProbe>,
    pub readiness: Option<PlannedProbe>,
    pub files: Vec<PlannedFile>,
    pub mounts: Vec<PlannedMount>,
    /// Whether (and how) it starts before the pod's containers.
    pub init: Option<InitKind>,
}

/// A file of the workload's files ConfigMap, mounted at `target`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PlannedFile {
    /// Its key in the ConfigMap: unique in the workload.
    pub key: String,
    pub target: String,
    pub content: ResolvedContent,
    pub mode: Option<i32>,
}

/// A scratch volume mounted into a container.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PlannedMount {
    pub volume: String,
    pub target: String,
    pub sub_path: Option<String>,
    pub read_only: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PlannedPort {
    pub name: String,
    /// The Service's port.
    pub port: u16,
    /// The container's port (the Service's unless a Score `targetPort` says otherwise).
    pub target_port: u16,
    pub protocol: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PlannedProbe {
    /// HTTP GET path; TCP when `None` (and no `exec`).
    pub path: Option<String>,
    /// A command to run instead of a network check.
    pub exec: Option<Vec<String>>,
    /// HTTP scheme, `Host` and headers (Score probes).
    pub scheme: Option<String>,
    pub host: Option<String>,
    pub headers: Vec<(String, String)>,
    pub port: u16,
    pub initial_delay_seconds: u32,
    pub period_seconds: u32,
    pub timeout_seconds: u32,
    pub failure_threshold: u32,
}

/// The namespace of Flux's controllers and of every object pave gives them to run as admin.
pub const FLUX_NAMESPACE: &str = "flux-system";
/// The ServiceAccount (in [`FLUX_NAMESPACE`]) Flux applies the platform's folders as:
/// kustomize-controller's own, named by every cluster-level Kustomization.
pub const PLATFORM_APPLIER: &str = "kustomize-controller";

pub const MANAGED_BY: &str = "app.kubernetes.io/managed-by";
pub const TENANT_LABEL: &str = "pave.dev/tenant";
pub const ENVIRONMENT_LABEL: &str = "pave.dev/environment";
pub const COST_CENTER_LABEL: &str = "pave.dev/cost-center";
pub const CLUSTER_LABEL: &str = "pave.dev/cluster";
pub const ADDON_LABEL: &str = "pave.dev/addon";

pub fn lower(validated: &ValidatedSpec, policies: &Policies) -> Plan {
    lower_units(validated, policies, None)
}

/// [`lower`], lowering only the units whose fingerprint `reused` does not accept: `reused`
/// gets each unit's tenant, environment and fingerprint (see `lower::unit`), and says whether the
/// unit's folder as an earlier compile wrote it can be kept. Every unit has its outline and
/// fingerprint in [`Plan::outlines`]; [`Plan::units`] holds the lowered ones.
pub fn lower_reusing(
    validated: &ValidatedSpec,
    policies: &Policies,
    source_map: &SourceMap,
    reused: &(dyn Fn(&str, &str, &str) -> bool + Sync),
) -> Plan {
    lower_units(validated, policies, Some((source_map, reused)))
}

/// What [`lower_reusing`] is given.
type Reuse<'a> = (&'a SourceMap, &'a (dyn Fn(&str, &str, &str) -> bool + Sync));

fn lower_units(validated: &ValidatedSpec, policies: &Policies, reuse: Option<Reuse<'_>>) -> Plan {
    let spec = validated.spec();
    let callers = cross_tenant_callers(spec);
    let shared = unit::UnitShared {
        platform: spec.platform.name(),
        ingress: &spec.platform.spec.ingress,
        probes: &spec.stdlib.defaults.probes,
        limit_range: &spec.stdlib.defaults.limit_range,
    };
    let inputs = unit::unit_inputs(spec, &shared, &callers);
    let fingerprints: Vec<Option<String>> = match reuse {
        None => vec![None; inputs.len()],
        Some((source_map, _)) => {
            unit::fingerprints(spec, &inputs, source_map, &policies.digest, &shared)
                .into_iter()
                .map(Some)
                .collect()
        }
    };
    // Each unit on its own, in parallel.
    let lowered: Vec<(Option<TenantEnvironment>, UnitOutline)> = inputs
        .par_iter()
        .zip(fingerprints)
        .map(|(input, fingerprint)| {
            let keep = match (reuse, &fingerprint) {
                (Some((_, reused)), Some(fingerprint)) => {
                    reused(input.tenant.name(), input.environment, fingerprint)
                }
                _ => false,
            };
            if keep {
                let resources = unit::unit_resources(input);
                (None, unit::outline(input, &resources, fingerprint, false))
            } else {
                let unit = unit::lower_unit(input);
                let outline = unit::outline(input, &unit.resources, fingerprint, true);
                (Some(unit), outline)
            }
        })
        .collect();
    let (units, outlines): (Vec<Option<TenantEnvironment>>, Vec<UnitOutline>) =
        lowered.into_iter().unzip();
    let units: Vec<TenantEnvironment> = units.into_iter().flatten().collect();
    let platform = &spec.platform;
    let gitops = platform
        .spec
        .gitops
        .repository
        .as_ref()
        .map(|url| GitOpsSource {
            url: url.clone(),
            branch: platform.spec.gitops.branch.clone(),
            secret_name: platform.spec.gitops.secret_name.clone(),
            credentials_secret: platform.spec.gitops.credentials_secret.clone(),
            path: platform
                .spec
                .gitops
                .path
                .trim_start_matches("./")
                .trim_end_matches('/')
                .to_string(),
            source: platform.doc.file,
        });
    let gatekeeper = gatekeeper(spec, policies, &outlines);
    Plan {
        platform: platform.name().to_string(),
        catalog: (platform.spec.catalog.backstage || platform.spec.catalog.port)
            .then(|| catalog::catalog(spec)),
        units,
        outlines,
        gitops,
        clusters: clusters(spec),
        foundation: foundation::foundation(spec),
        gatekeeper,
        policies: policies.digest.clone(),
        layout: platform.spec.gitops.layout,
        crossplane: CrossplanePlan {
            claims: platform.spec.crossplane.claims,
            types: spec
                .resource_catalogue
                .types
                .iter()
                .filter_map(|(resource_type, entry)| {
                    let crossplane = entry.data.spec.crossplane.as_ref()?;
                    // A type's XRD and Composition only where it is used (stdlib's `mssql` is
                    // not in every control plane).
                    let used = spec.services.iter().any(|service| {
                        service.instances.iter().any(|instance| {
                            instance
                                .requires
                                .iter()
                                .any(|u| u.resource_type == *resource_type)
                        })
                    });
                    if !used {
                        return None;
                    }
                    let composition = if platform.spec.crossplane.claims {
                        &crossplane.claims.as_ref()?.composition
                    } else {
                        &crossplane.composition
                    };
                    Some(PlannedResourceType {
                        resource_type: *resource_type,
                        definition: crossplane.definition.clone(),
                        composition: composition.clone(),
                        file: entry.data.file,
                    })
                })
                .collect(),
            source: platform.doc.file,
        },
    }
}

/// The rules Gatekeeper enforces, when the Platform asks for it.
fn gatekeeper(
    spec: &ResolvedSpec,
    policies: &Policies,
    outlines: &[UnitOutline],
) -> Option<GatekeeperPlan> {
    let settings = &spec.platform.spec.policies.gatekeeper;
    if !settings.enabled {
        return None;
    }
    let rules = policies
        .gatekeeper_rules
        .iter()
        .map(|rule| {
            let mut waived = Vec::new();
            for waiver in policies.waivers.iter().filter(|w| w.rule == rule.id) {
                let Some(resolved) = spec.tenants.get(&waiver.tenant) else {
                    continue;
                };
                for environment in resolved.quotas.keys() {
                    if waiver.environments.is_empty() || waiver.environments.contains(environment) {
                        waived.push(WaivedNamespace {
                            environment: environment.clone(),
                            namespace: format!("{}-{environment}", waiver.tenant),
                            service: waiver.service.clone(),
                        });
                    }
                }
            }
            waived.sort_by(|a, b| (&a.namespace, &a.service).cmp(&(&b.namespace, &b.service)));
            waived.dedup();
            (rule.clone(), waived)
        })
        .collect();
    let mut public_ingress: BTreeMap<String, Vec<DeclaredService>> = BTreeMap::new();
    let mut autoscaled: BTreeMap<String, Vec<ScaledWorkload>> = BTreeMap::new();
    for unit in outlines {
        for service in &unit.public_ingress {
            public_ingress
                .entry(unit.environment.clone())
                .or_default()
                .push(DeclaredService {
                    namespace: unit.namespace.clone(),
                    service: service.clone(),
                });
        }
        for (kind, name) in &unit.autoscaled {
            autoscaled
                .entry(unit.environment.clone())
                .or_default()
                .push(ScaledWorkload {
                    namespace: unit.namespace.clone(),
                    kind: kind.as_str().to_string(),
                    name: name.clone(),
                });
        }
    }
    for list in public_ingress.values_mut() {
        list.sort();
    }
    for list in autoscaled.values_mut() {
        list.sort();
    }
    Some(GatekeeperPlan {
        rules,
        public_ingress,
        autoscaled,
        enforcement_action: settings.enforcement_action,
        context: policies.context.clone(),
        tiers: spec
            .environments
            .iter()
            .map(|(name, env)| (name.clone(), env.tier))
            .collect(),
        source: spec.platform.doc.file,
    })
}

/// The span of a parameter's node in a Service spec, or `fallback` when it is not written there.
fn param_span<'a>(service: &Service, path: impl Iterator<Item = &'a str>, fallback: Span) -> Span {
    let path: Vec<&str> = path.collect();
    match service.parsed.doc.node(&path) {
        Some(_) => service.parsed.doc.span(&path),
        None => fallback,
    }
}

/// The resources of one tenant's services in an environment, per region: a request with an `id`
/// is shared by every service that asks for the same one.
fn regional_resources(
    services: &[&Service],
    env_name: &str,
    regions: &[String],
    unit_labels: &BTreeMap<String, String>,
    names: &resource::UnitNames<'_>,
) -> Vec<RegionalResources> {
    let mut out = Vec::new();
    for region in regions {
        let mut resources: BTreeMap<String, PlannedResource> = BTreeMap::new();
        let mut regional_outputs: BTreeMap<String, String> = BTreeMap::new();
        for service in services {
            let Some(instance) = service.instances.iter().find(|i| i.environment == env_name)
            else {
                continue;
            };
            for resource_use in &instance.requires {
                let Some(decided) = resource_use.regions.get(region) else {
                    continue;
                };
                let name = resource_name(service.name(), resource_use);
                let data = &resource_use.data;
                // Outputs that differ by region are read from the outputs ConfigMap.
                for output in &data.spec.outputs {
                    // One that joins others in is read as its pieces (`resource::wiring`).
                    if output.value.as_deref().is_some_and(|v| {
                        !crate::resolve::type_template::output_references(v).is_empty()
                    }) {
                        continue;
                    }
                    if let resource::DataOutput::Regional(values) =
                        resource::data_output(data, resource_use, &name, &output.name, names)
                        && let Some(value) = values.get(region)
                    {
                        regional_outputs.insert(format!("{name}.{}", output.name), value.clone());
                    }
                }
                // An existing service, or (`terraform`) blocks in the cluster's root module
                // (`foundation::terraform_instances`): nothing in the cluster.
                if matches!(
                    data.mode(),
                    crate::parse::ProvisionMode::External | crate::parse::ProvisionMode::Terraform
                ) {
                    continue;
                }
                let entry = resources.entry(name.clone()).or_insert_with(|| {
                    let mut labels = unit_labels.clone();
                    labels.insert(
                        "pave.dev/resource-type".into(),
                        resource_use.resource_type.as_str().into(),
                    );
                    labels.insert("pave.dev/resource-class".into(), resource_use.class.clone());
                    let external_name =
                        resource::resource_external_name(names, resource_use, &name, region);
                    PlannedResource {
                        composite: data
                            .spec
                            .crossplane
                            .as_ref()
                            .and_then(|c| crate::resolve::composite_kind(&c.definition)),
                        composite_spec: resource::composite_spec(
                            resource_use,
                            &name,
                            region,
                            names,
                        ),
                        objects: resource::data_objects(data, resource_use, &name, region, names),
                        external_name,
                        secret_prefix: resource::secret_prefix(names, &name),
                        name: name.clone(),
                        resource_type: resource_use.resource_type,
                        class: resource_use.class.clone(),
                        params: decided.params.clone(),
                        region: region.clone(),
                        consumers: Vec::new(),
                        labels,
                        source: service.parsed.doc.file,
                        request_span: resource_use.span,
                        param_spans: decided
                            .decided_by
                            .iter()
                            .map(|(param, by)| {
                                let span = match by {
                                    crate::resolve::ParamSource::Class => {
                                        resource_use.class_defined_at
                                    }
                                    crate::resolve::ParamSource::Rule(index) => decided
                                        .matched_rules
                                        .iter()
                                        .find(|rule| rule.index == *index)
                                        .map_or(resource_use.class_defined_at, |rule| rule.span),
                                    // The request's or the override's `params` entry.
                                    crate::resolve::ParamSource::Request => {
                                        let path = ["spec", "requires", &resource_use.name]
                                            .into_iter()
                                            .chain(["params", param.as_str()]);
                                        param_span(service, path, resource_use.span)
                                    }
                                    crate::resolve::ParamSource::Override => {
                                        let path = ["spec", "environments", env_name, "requires"]
                                            .into_iter()
                                            .chain([resource_use.name.as_str(), "params"])
                                            .chain([param.as_str()]);
                                        param_span(service, path, resource_use.span)
                                    }
                                };
                                (param.clone(), span)
                            })
                            .collect(),
                    }
                });
                entry.consumers.push(service.name().to_string());
            }
        }
        if resources.is_empty() && regional_outputs.is_empty() {
            continue;
        }
        out.push(RegionalResources {
            region: region.clone(),
            cluster: format!("{env_name}-{region}"),
            resources: resources.into_values().collect(),
            outputs: regional_outputs,
        });
    }
    out
}

/// The AWS account ID of an environment (from the Platform's `accounts`).
pub(crate) fn environment_account(spec: &ResolvedSpec, env_name: &str) -> String {
    spec.environments
        .get(env_name)
        .and_then(|env| spec.platform.spec.accounts.get(&env.parsed.spec.account))
        .cloned()
        .unwrap_or_default()
}

/// One cluster per environment and region, with the add-ons enabled in that environment.
fn clusters(spec: &ResolvedSpec) -> Vec<Cluster> {
    let platform = &spec.platform;
    let mut clusters = Vec::new();
    for (env_name, env) in &spec.environments {
        let account_id = platform
            .spec
            .accounts
            .get(&env.parsed.spec.account)
            .cloned()
            .unwrap_or_default();
        let tenants: Vec<String> = spec
            .tenants
            .values()
            .filter(|t| t.quotas.contains_key(env_name))
            .map(|t| t.name().to_string())
            .collect();
        for region in &env.parsed.spec.regions {
            let name = format!("{env_name}-{region}");
            let variables = cluster_variables(spec, env_name, &account_id, region);
            let labels = BTreeMap::from([
                (MANAGED_BY.to_string(), "pave".to_string()),
                (ENVIRONMENT_LABEL.to_string(), env_name.clone()),
                (CLUSTER_LABEL.to_string(), name.clone()),
            ]);
            let mut addons: Vec<PlannedAddon> = spec
                .addons
                .values()
                .filter_map(|addon| {
                    planned_addon(addon, env_name, &variables, &labels, &platform.doc)
                })
                .collect();
            let eks_cluster = crate::resolve::cluster_name(platform.name(), env_name, region);
            let crossplane_environment = crossplane_environment(spec, env_name, &eks_cluster);
            plan_tls(spec, &mut addons);
            let cluster_ca = addons
                .iter()
                .any(|addon| !addon.certificates.is_empty())
                .then(|| addons.iter().find(|addon| addon.name == CERT_MANAGER))
                .flatten()
                .map(|cert_manager| cert_manager.namespace.clone());
            let dns_routing = (env.parsed.spec.regions.len() > 1
                && addons.iter().any(|addon| addon.name == EXTERNAL_DNS))
            .then(|| DnsRecordRouting {
                set_identifier: name.clone(),
                policy: match env.parsed.spec.dns.routing.unwrap_or_default() {
                    DnsRouting::Latency => RecordPolicy::Latency {
                        region: region.clone(),
                    },
                    DnsRouting::Weighted => RecordPolicy::Weighted { weight: 1 },
                },
            });
            clusters.push(Cluster {
                dns_routing,
                crossplane_environment,
                name,
                environment: env_name.clone(),
                region: region.clone(),
                kubernetes_version: env.parsed.spec.kubernetes_version.clone(),
                labels,
                addons,
                storage_class: DEFAULT_STORAGE_CLASS,
                capsule_tenants: capsule_tenants(spec, env_name, env.tier, &tenants),
                tenants: tenants.clone(),
                source: env.parsed.doc.file,
                document: env.parsed.doc.head_span(),
                cluster_ca,
            });
        }
    }
    clusters.sort_by(|a, b| a.name.cmp(&b.name));
    clusters
}

/// What the Compositions read on the cluster `eks_cluster` of `env_name`.
fn crossplane_environment(
    spec: &ResolvedSpec,
    env_name: &str,
    eks_cluster: &str,
) -> Option<CrossplaneEnvironment> {
    let platform = spec.platform.name();
    let network_secret = (!foundation::data_ports(spec, env_name).is_empty())
        .then(|| network_secret_name(platform, eks_cluster));
    let atlas = foundation::uses_atlas(spec, env_name)
        .then(|| spec.environments.get(env_name)?.parsed.spec.atlas.as_ref())
        .flatten()
        .map(|atlas| PlannedAtlas {
            project_id: atlas.project_id.clone(),
            api_key_secret: atlas_api_key_secret_name(platform, eks_cluster),
        });
    (network_secret.is_some() || atlas.is_some()).then_some(CrossplaneEnvironment {
        network_secret,
        atlas,
    })
}

/// The catalogue add-on that groups a tenant's namespaces into a Capsule `Tenant`.
const CAPSULE: &str = "capsule";

/// Whether the `capsule` add-on runs in `env_name`.
fn capsule_runs(spec: &ResolvedSpec, env_name: &str) -> bool {
    spec.addons
        .get(CAPSULE)
        .is_some_and(|addon| addon.runs_in(env_name))
}

/// The tenant's own namespace labels, and with Capsule on, the label that assigns the namespace
/// to its Capsule Tenant (projectcapsule.dev docs, "Namespaces": `capsule.clastix.io/tenant`).
fn capsule_label(spec: &ResolvedSpec, env_name: &str, tenant: &Tenant) -> BTreeMap<String, String> {
    let mut labels = tenant.parsed.spec.labels.clone();
    if capsule_runs(spec, env_name) {
        labels.insert(CAPSULE_TENANT_LABEL.to_string(), tenant.name().to_string());
    }
    labels
}

/// The label that names a namespace's Capsule Tenant.
pub const CAPSULE_TENANT_LABEL: &str = "capsule.clastix.io/tenant";

/// The ClusterRole a tenant's owners get in its namespace of an environment of `tier`: `edit`,
/// `view` in production (where changes go through Git alone).
fn owner_role(tier: Tier) -> &'static str {
    if tier == Tier::Production {
        "view"
    } else {
        "edit"
    }
}

/// Each tenant of the environment as a Capsule Tenant, when Capsule runs there: its owners, one
/// namespace (pave's, so owners cannot create others) and the classes pave's objects use.
fn capsule_tenants(
    spec: &ResolvedSpec,
    env_name: &str,
    env_tier: Tier,
    tenants: &[String],
) -> Vec<CapsuleTenant> {
    if !capsule_runs(spec, env_name) {
        return Vec::new();
    }
    tenants
        .iter()
        .filter_map(|name| spec.tenants.get(name))
        .map(|tenant| {
            let owners = &tenant.parsed.spec.owners;
            CapsuleTenant {
                name: tenant.name().to_string(),
                groups: owners.groups.clone(),
                users: owners.users.clone(),
                namespaces: 1,
                owner_role: owner_role(env_tier),
                storage_class: DEFAULT_STORAGE_CLASS,
                ingress_class: spec.platform.spec.ingress.class_name.clone(),
                source: tenant.parsed.doc.file,
                document: tenant.parsed.doc.head_span(),
            }
        })
        .collect()
}

/// The certificates of the add-ons that serve TLS on a cluster (their entries' `tls`) and of
/// their clients on that cluster, with each Secret's name written into the client's values at
/// the paths the server's entry declares for it.
fn plan_tls(spec: &ResolvedSpec, addons: &mut [PlannedAddon]) {
    for (server, addon) in &spec.addons {
        let Some(tls) = &addon.definition.tls else {
            continue;
        };
        let Some(namespace) = addons
            .iter()
            .find(|planned| &planned.name == server)
            .map(|planned| planned.namespace.clone())
        else {
            continue;
        };
        let service = &tls.service;
        let dns_names = vec![
            service.clone(),
            format!("{service}.{namespace}"),
            format!("{service}.{namespace}.svc"),
            format!("{service}.{namespace}.svc.cluster.local"),
        ];
        for planned in addons.iter_mut() {
            if &planned.name == server {
                planned.certificates.push(PlannedCertificate {
                    name: tls.secret.clone(),
                    namespace: namespace.clone(),
                    dns_names: dns_names.clone(),
                    common_name: tls.peers.then(|| service.clone()),
                    client_auth: tls.peers,
                    span: addon.tls_span,
                });
            } else if let Some(paths) = tls.clients.get(&planned.name) {
                let name = format!("{}-{server}-tls", planned.name);
                let span = addon
                    .tls_client_spans
                    .get(&planned.name)
                    .copied()
                    .unwrap_or(addon.tls_span);
                for path in paths {
                    set_value(&mut planned.values, path, &name);
                    planned.value_origins.push((values_pointer(path), span));
                }
                planned.certificates.push(PlannedCertificate {
                    name,
                    namespace: planned.namespace.clone(),
                    dns_names: Vec::new(),
                    common_name: Some(planned.name.clone()),
                    client_auth: true,
                    span,
                });
            }
        }
    }
}

/// The JSON pointer of a dot-separated values path.
fn values_pointer(path: &str) -> String {
    path.split('.')
        .map(|key| format!("/{}", key.replace('~', "~0").replace('/', "~1")))
        .collect()
}

/// The values of pave's variables (`resolve::VARIABLES`) on the cluster of `env_name` in
/// `region`. `cluster.name` is the EKS cluster's name, as Terraform creates it.
pub(crate) fn cluster_variables(
    spec: &ResolvedSpec,
    env_name: &str,
    account_id: &str,
    region: &str,
) -> BTreeMap<&'static str, String> {
    let platform = &spec.platform;
    BTreeMap::from([
        (
            "cluster.name",
            crate::resolve::cluster_name(platform.name(), env_name, region),
        ),
        ("cluster.region", region.to_string()),
        ("cluster.environment", env_name.to_string()),
        ("cluster.accountId", account_id.to_string()),
        (
            crate::resolve::PLATFORM_APPLIER_VARIABLE,
            format!("system:serviceaccount:{FLUX_NAMESPACE}:{PLATFORM_APPLIER}"),
        ),
        (
            "cluster.domain",
            format!("{region}.{env_name}.{}", platform.spec.domain),
        ),
        ("platform.name", platform.name().to_string()),
        ("platform.domain", platform.spec.domain.clone()),
        (
            "platform.ingressClassName",
            platform.spec.ingress.class_name.clone(),
        ),
    ])
}

/// The add-on's values with the names its catalogue entry declares written where the chart takes
/// them: its identities' ServiceAccounts (`valuesPath`), its Secrets (`valuesPaths`) and its
/// interruption queue (`nodeProvisioner.interruptionQueuePath`).
pub(crate) fn with_declared_names(
    mut values: Json,
    definition: &AddonDefinition,
    variables: &BTreeMap<&str, String>,
) -> Json {
    if let (Some(nodes), Some(queue)) = (
        &definition.node_provisioner,
        variables.get(crate::resolve::ADDON_INTERRUPTION_QUEUE),
    ) {
        set_value(&mut values, &nodes.interruption_queue_path, queue);
    }
    for identity in &definition.identities {
        if let Some(path) = &identity.values_path {
            set_value(&mut values, path, &identity.service_account);
        }
    }
    for secret in &definition.secrets {
        for path in &secret.values_paths {
            set_value(&mut values, path, &secret.name);
        }
    }
    if let Some(tls) = &definition.tls {
        for path in &tls.values_paths {
            set_value(&mut values, path, &tls.secret);
        }
    }
    values
}

/// Writes `text` at a dot-separated path of `values`, creating mappings on the way; a number
/// indexes an existing list (a missing index is created as a mapping key, which the chart's
/// schema or the wiring check reports).
fn set_value(values: &mut Json, path: &str, text: &str) {
    let keys: Vec<&str> = path.split('.').collect();
    let mut node = values;
    for (i, key) in keys.iter().enumerate() {
        let last = i + 1 == keys.len();
        if let (Json::Array(items), Ok(index)) = (&*node, key.parse::<usize>())
            && index < items.len()
        {
            let Json::Array(items) = node else { break };
            let Some(item) = items.get_mut(index) else {
                break;
            };
            if last {
                *item = Json::String(text.to_string());
                break;
            }
            node = item;
            continue;
        }
        if !node.is_object() {
            *node = Json::Object(serde_json::Map::new());
        }
        let Json::Object(map) = node else { break };
        if last {
            map.insert((*key).to_string(), Json::String(text.to_string()));
            break;
        }
        node = map
            .entry((*key).to_string())
            .or_insert_with(|| Json::Object(serde_json::Map::new()));
    }
}

/// The cluster's variables with the add-on's own: `${addon.host}` when it declares a host,
/// `${addon.nodeRole}` and `${addon.interruptionQueue}` when it declares `nodeProvisioner` (the
/// names the cluster's Terraform gives them, from the same functions).
pub(crate) fn addon_variables<'a>(
    name: &str,
    definition: &AddonDefinition,
    cluster_variables: &BTreeMap<&'a str, String>,
) -> BTreeMap<&'a str, String> {
    let mut variables = cluster_variables.clone();
    if let Some(host) = &definition.host {
        variables.insert(
            crate::resolve::ADDON_HOST,
            crate::resolve::substitute(host, cluster_variables),
        );
    }
    if let Some(tls) = definition.tls.as_ref().filter(|tls| tls.peers) {
        variables.insert(
            crate::resolve::ADDON_TLS_SUBJECT,
            format!("CN={}", tls.service),
        );
    }
    if definition.node_provisioner.is_some() {
        let cluster = cluster_variables
            .get("cluster.name")
            .map_or("", String::as_str);
        variables.insert(
            crate::resolve::ADDON_NODE_ROLE,
            crate::resolve::addon_node_role_name(cluster, name),
        );
        variables.insert(
            crate::resolve::ADDON_INTERRUPTION_QUEUE,
            crate::resolve::interruption_queue_name(cluster, name),
        );
    }
    variables
}

/// The add-on on a cluster of `env_name`, if it runs there.
fn planned_addon(
    addon: &Addon,
    env_name: &str,
    variables: &BTreeMap<&str, String>,
    cluster_labels: &BTreeMap<String, String>,
    platform_doc: &Document,
) -> Option<PlannedAddon> {
    let instance = addon.instances.get(env_name)?;
    if !instance.enabled.value {
        return None;
    }
    let definition = &addon.definition;
    let variables = addon_variables(&addon.name, definition, variables);
    let variable = |name: &str| variables.get(name).map_or("", String::as_str);
    let chart = &definition.chart;
    let repository = match chart.repository.strip_prefix("oci://") {
        Some(_) => ChartRepository::Oci {
            url: format!("{}/{}", chart.repository.trim_end_matches('/'), chart.name),
        },
        None => ChartRepository::Helm {
            url: chart.repository.clone(),
        },
    };
    let mut depends_on: Vec<String> = addon.depends_on.iter().map(|d| d.name.clone()).collect();
    depends_on.sort();
    depends_on.dedup();
    let mut labels = cluster_labels.clone();
    labels.insert(ADDON_LABEL.to_string(), addon.name.clone());
    Some(PlannedAddon {
        name: addon.name.clone(),
        layer: definition.layer,
        namespace: definition.namespace.clone(),
        pod_security: definition.pod_security,
        chart: PlannedChart {
            name: chart.name.clone(),
            version: instance.version.clone(),
            repository,
        },
        depends_on,
        values: with_declared_names(
            substitute_json(&instance.values, &variables),
            definition,
            &variables,
        ),
        value_origins: instance
            .value_spans
            .iter()
            .cloned()
            .chain(
                addon
                    .declared_name_spans
                    .iter()
                    .map(|(path, span)| (values_pointer(path), *span)),
            )
            .collect(),
        entry: addon.entry_span,
        manifests: definition
            .manifests
            .iter()
            .map(|m| with_labels(substitute_json(m, &variables), &labels))
            .collect(),
        secrets: definition
            .secrets
            .iter()
            .map(|secret| PlannedAddonSecret {
                name: secret.name.clone(),
                namespace: definition.namespace.clone(),
                keys: secret
                    .keys
                    .iter()
                    .map(|(key, source)| {
                        let planned = match (&source.secrets_manager, &source.property) {
                            (Some(remote), Some(property)) => PlannedSecretKey::SecretsManager {
                                name: addon_secret_remote(
                                    variable("platform.name"),
                                    variable("cluster.name"),
                                    remote,
                                ),
                                property: property.clone(),
                            },
                            // The schema allows `generate: password` otherwise.
                            _ => PlannedSecretKey::Password,
                        };
                        (key.clone(), planned)
                    })
                    .collect(),
            })
            .collect(),
        certificates: Vec::new(),
        manifest_origins: addon
            .manifest_spans
            .iter()
            .enumerate()
            .map(|(i, span)| {
                let fields = if addon.platform_defined {
                    let index = i.to_string();
                    platform_doc.field_spans(&["spec", "addons", &addon.name, "manifests", &index])
                } else {
                    Vec::new()
                };
                (*span, fields)
            })
            .collect(),
        labels,
        source: addon.source,
    })
}

/// For each service and environment, the other tenants whose services depend on it there.
fn cross_tenant_callers(spec: &ResolvedSpec) -> BTreeMap<(&str, &str, &str), BTreeSet<String>> {
    let mut out: BTreeMap<(&str, &str, &str), BTreeSet<String>> = BTreeMap::new();
    for caller in &spec.services {
        for dependency in caller
            .dependencies
            .iter()
            .filter(|d| d.tenant != caller.tenant)
        {
            for instance in &caller.instances {
                out.entry((
                    dependency.tenant.as_str(),
                    dependency.service.as_str(),
                    instance.environment.as_str(),
                ))
                .or_default()
                .insert(caller.tenant.clone());
            }
        }
    }
    out
}

/// The chart whose add-on is the environment's OpenTelemetry collector.
const OTLP_COLLECTOR_CHART: &str = "opentelemetry-collector";
/// The chart's OTLP/HTTP service port when its values do not set `ports.otlp-http.servicePort`.
const OTLP_HTTP_PORT: u64 = 4318;

/// Where workloads send telemetry in an environment, when an add-on installing the OpenTelemetry
/// collector chart runs there: its Service, derived from the add-on itself. The chart names the
/// Service after the release (pave's release name is the add-on's) when that contains the
/// chart's name, `<release>-opentelemetry-collector` otherwise (its `_helpers.tpl` fullname),
/// in the add-on's namespace, on the OTLP/HTTP port its values give.
fn otlp_endpoint(spec: &ResolvedSpec, env_name: &str) -> Option<String> {
    let addon = spec.addons.values().find(|addon| {
        addon.definition.chart.name == OTLP_COLLECTOR_CHART && addon.runs_in(env_name)
    })?;
    let instance = addon.instances.get(env_name)?;
    let service = if addon.name.contains(OTLP_COLLECTOR_CHART) {
        addon.name.clone()
    } else {
        format!("{}-{OTLP_COLLECTOR_CHART}", addon.name)
    };
    let port = instance
        .values
        .pointer("/ports/otlp-http/servicePort")
        .and_then(serde_json::Value::as_u64)
        .unwrap_or(OTLP_HTTP_PORT);
    Some(format!(
        "http://{service}.{}.svc.cluster.local:{port}",
        addon.definition.namespace
    ))
}

/// The OpenTelemetry SDKs' standard variables (OpenTelemetry specification, "OTLP Exporter
/// Configuration"): the collector's endpoint, over HTTP (some SDKs default to gRPC, which the
/// HTTP port does not speak), and the service's name. A variable the service sets itself wins.
fn add_otlp_env(workload: &mut Workload, endpoint: &str) {
    let variables = [
        ("OTEL_EXPORTER_OTLP_ENDPOINT", endpoint.to_string()),
        ("OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf".to_string()),
        ("OTEL_SERVICE_NAME", workload.name.clone()),
    ];
    for (name, value) in variables {
        let taken =
            workload.env.contains_key(name) || workload.env_vars.iter().any(|var| var.name == name);
        if !taken {
            workload.env.insert(name.to_string(), value);
        }
    }
}

fn workload(
    service: &Service,
    instance: &ServiceInstance,
    unit_labels: &BTreeMap<String, String>,
    probe_defaults: &StdProbes,
    callers: Option<&BTreeSet<String>>,
    names: &resource::UnitNames<'_>,
) -> Workload {
    let wiring = resource::wiring(service, instance, names);
    let mut env = instance.env.clone();
    env.extend(wiring.literal_env);
    let spec = &service.parsed.spec;
    let mut ports: Vec<PlannedPort> = spec
        .ports
        .iter()
        .enumerate()
        .map(|(i, p)| PlannedPort {
            name: p.name.clone().unwrap_or_else(|| {
                if i == 0 {
                    "http".into()
                } else {
                    format!("port-{}", p.port)
                }
            }),
            port: p.port,
            target_port: p.target_port.unwrap_or(p.port),
            protocol: p.protocol.clone().unwrap_or_else(|| "TCP".into()),
        })
        .collect();
    if let Some(port) = spec.port {
        ports.insert(
            0,
            PlannedPort {
                name: "http".into(),
                port,
                target_port: port,
                protocol: "TCP".into(),
            },
        );
    }
    let main_port = ports
        .iter()
        .find(|p| p.protocol == "TCP")
        .map(|p| p.target_port);
    let probe = |given: &Option<crate::parse::Probe>| -> Option<PlannedProbe> {
        if !spec.workload.is_long_running() {
            return None;
        }
        planned_probe(given.clone().unwrap_or_default(), main_port, probe_defaults)
    };
    let mut keys = BTreeSet::new();
    let main_files = planned_files(&instance.container_name, &instance.files, &mut keys);
    let sidecars: Vec<PlannedContainer> = instance
        .sidecars
        .iter()
        .map(|c| planned_container(c, probe_defaults, &mut keys))
        .collect();
    let all_volumes = || {
        instance
            .volumes
            .iter()
            .chain(instance.sidecars.iter().flat_map(|c| c.volumes.iter()))
    };
    let scratch_volumes: BTreeSet<String> = all_volumes()
        .filter(|v| v.by_name.is_none())
        .map(volume_name)
        .collect();
    let claims: BTreeSet<String> = all_volumes()
        .filter(|v| v.by_name.is_some())
        .map(|v| v.resource.clone())
        .collect();
    let name = service.name().to_string();
    let mut selector = BTreeMap::new();
    selector.insert(catalog::NAME_LABEL.to_string(), name.clone());
    let mut labels = unit_labels.clone();
    for (key, value) in service.parsed.metadata.labels.iter().chain(&selector) {
        labels.insert(key.clone(), value.clone());
    }
    labels.insert(
        "app.kubernetes.io/part-of".to_string(),
        service.tenant.clone(),
    );
    if let Some(version) = image_version(&instance.image.value) {
        labels.insert("app.kubernetes.io/version".to_string(), version);
    }
    Workload {
        name,
        kind: spec.workload,
        image: instance.image.value.clone(),
        command: spec.command.clone(),
        args: spec.args.clone(),
        liveness: probe(&spec.probes.liveness),
        readiness: probe(&spec.probes.readiness),
        ports,
        replicas: instance.replicas.value,
        autoscaling_cpu: instance.autoscaling_cpu,
        resources: instance.resources.value.clone(),
        env,
        env_vars: wiring.env,
        external_secret: wiring.external_secret,
        ingress: instance.ingress.as_ref().map(|i| i.value.clone()),
        schedule: instance.schedule.as_ref().map(|s| s.value.clone()),
        automount_token: spec.service_account.automount_token,
        called_by_tenants: callers
            .map(|c| c.iter().cloned().collect())
            .unwrap_or_default(),
        labels,
        selector,
        annotations: if spec.score.is_some() {
            service.parsed.metadata.annotations.clone()
        } else {
            BTreeMap::new()
        },
        container_name: instance.container_name.clone(),
        files: main_files,
        mounts: planned_mounts(&instance.volumes),
        sidecars,
        scratch_volumes: scratch_volumes.into_iter().collect(),
        claims: claims.into_iter().collect(),
        source: service.parsed.doc.file,
        origin: WorkloadOrigin {
            document: service.parsed.doc.head_span(),
            image: instance.image.span,
            replicas: instance.replicas.span,
            resources: instance.resources.span,
            ingress: instance.ingress.as_ref().and_then(|i| i.span),
            schedule: instance.schedule.as_ref().and_then(|s| s.span),
            secrets: instance
                .secrets
                .keys()
                .map(|var| {
                    let overridden = spec
                        .environments
                        .get(&instance.environment)
                        .is_some_and(|o| o.secrets.contains_key(var));
                    let path: Vec<&str> = if overridden {
                        vec![
                            "spec",
                            "environments",
                            &instance.environment,
                            "secrets",
                            var,
                        ]
                    } else {
                        vec!["spec", "secrets", var]
                    };
                    (var.clone(), service.parsed.doc.span(&path))
                })
                .collect(),
        },
    }
}

/// A probe with the stdlib's timings; without `exec` or a path it checks TCP on its port, or the
/// main port. `None` when there is nothing to check.
fn planned_probe(
    given: crate::parse::Probe,
    main_port: Option<u16>,
    probe_defaults: &StdProbes,
) -> Option<PlannedProbe> {
    let port = match &given.exec {
        Some(_) => given.port.or(main_port).unwrap_or(0),
        None => given.port.or(main_port)?,
    };
    Some(PlannedProbe {
        path: given.path,
        exec: given.exec,
        scheme: given.scheme,
        host: given.host,
        headers: given.headers,
        port,
        initial_delay_seconds: given
            .initial_delay_seconds
            .unwrap_or(probe_defaults.initial_delay_seconds),
        period_seconds: given
            .period_seconds
            .unwrap_or(probe_defaults.period_seconds),
        timeout_seconds: given
            .timeout_seconds
            .unwrap_or(probe_defaults.timeout_seconds),
        failure_threshold: given
            .failure_threshold
            .unwrap_or(probe_defaults.failure_threshold),
    })
}

fn planned_container(
    container: &ContainerInstance,
    probe_defaults: &StdProbes,
    keys: &mut BTreeSet<String>,
) -> PlannedContainer {
    let probe = |given: &Option<crate::parse::Probe>| {
        given
            .clone()
            .and_then(|p| planned_probe(p, None, probe_defaults))
    };
    PlannedContainer {
        name: container.name.clone(),
        image: container.image.clone(),
        command: container.command.clone(),
        args: container.args.clone(),
        env: container.env.clone(),
        env_vars: Vec::new(),
        resources: container.resources.clone(),
        liveness: probe(&container.liveness),
        readiness: probe(&container.readiness),
        files: planned_files(&container.name, &container.files, keys),
        mounts: planned_mounts(&container.volumes),
        init: container.init,
    }
}

/// Files with ConfigMap keys unique in the workload: `<container>-<target>` with every character
/// a key may not hold as `-`, numbered when two come out the same.
fn planned_files(
    container: &str,
    files: &[ResolvedFile],
    keys: &mut BTreeSet<String>,
) -> Vec<PlannedFile> {
    files
        .iter()
        .map(|file| {
            let cleaned: String = file
                .target
                .chars()
                .map(|c| {
                    if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') {
                        c
                    } else {
                        '-'
                    }
                })
                .collect();
            let base = format!("{container}-{}", cleaned.trim_matches('-'));
            let base: String = base.chars().take(240).collect();
            let mut key = base.clone();
            let mut n = 2;
            while !keys.insert(key.clone()) {
                key = format!("{base}-{n}");
                n += 1;
            }
            PlannedFile {
                key,
                target: file.target.clone(),
                content: file.content.clone(),
                mode: file.mode,
            }
        })
        .collect()
}

fn planned_mounts(volumes: &[crate::parse::score::ScoreVolume]) -> Vec<PlannedMount> {
    volumes
        .iter()
        .map(|v| PlannedMount {
            volume: volume_name(v),
            target: v.target.clone(),
            sub_path: v.sub_path.clone(),
            read_only: v.read_only,
        })
        .collect()
}

/// The pod volume of a Score `volume` resource: its name, unless it is one of pave's own; of a
/// volume the tenant provides by name, `pvc-<name>` (a name of at most 59 characters).
fn volume_name(volume: &crate::parse::score::ScoreVolume) -> String {
    if volume.by_name.is_some() {
        return claim_volume_name(&volume.resource);
    }
    match volume.resource.as_str() {
        "tmp" | "files" => format!("{}-volume", volume.resource),
        other => other.to_string(),
    }
}

/// The pod volume of a claim the tenant provides by name.
pub fn claim_volume_name(claim: &str) -> String {
    format!("pvc-{claim}")
}

/// A manifest with pave's labels added to `metadata.labels` (labels it sets itself win).
fn with_labels(mut manifest: Json, labels: &BTreeMap<String, String>) -> Json {
    let Some(metadata) = manifest.get_mut("metadata").and_then(Json::as_object_mut) else {
        return manifest;
    };
    let existing = metadata
        .entry("labels")
        .or_insert_with(|| Json::Object(serde_json::Map::new()));
    if let Some(existing) = existing.as_object_mut() {
        for (key, value) in labels {
            existing
                .entry(key.clone())
                .or_insert_with(|| Json::String(value.clone()));
        }
    }
    manifest
}

/// The tag of an image reference, when it is a valid label value.
fn image_version(image: &str) -> Option<String> {
    let without_digest = image.split('@').next().unwrap_or(image);
    let last = without_digest.rsplit('/').next().unwrap_or(without_digest);
    let (_, tag) = last.split_once(':')?;
    let valid = !tag.is_empty()
        && tag.len() <= 63
        && tag
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
        && tag
            .as_bytes()
            .first()
            .is_some_and(u8::is_ascii_alphanumeric)
        && tag.as_bytes().last().is_some_and(u8::is_ascii_alphanumeric);
    valid.then(|| tag.to_string())
}
