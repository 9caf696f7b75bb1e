//! The cloud foundation of the plan: one [`RegionalFoundation`] per environment and region (network,
//! cluster, node groups, identities, DNS) and the container [`Registry`], with every name, address
//! block and permission decided. Emitters only translate it.

use std::collections::{BTreeMap, BTreeSet};

use crate::parse::{
    AwsAccess, CapacityType, Ipv4Cidr, QueueAccess, ReadWrite, TaintEffect, TerraformSettings, Tier,
};
use crate::resolve::type_template;
use crate::resolve::{
    Environment, ResolvedSpec, addon_role_name, cluster_name, deploy_role_name, workload_role_name,
};
use crate::source::{FileId, Span};
use crate::validate::is_arm64;

/// Availability zones each VPC spans.
pub const ZONES: usize = 3;
/// Zones where EKS cannot place a cluster's control plane, by AZ id (EKS User Guide, "View
/// Amazon EKS networking requirements for VPC and subnets"): a cluster whose subnets are there
/// is refused at creation.
const EKS_UNSUPPORTED_ZONES: [&str; 3] = ["use1-az3", "usw1-az2", "cac1-az3"];

/// Everything the Terraform target generates.
#[derive(Debug, Clone)]
pub struct Foundation {
    pub state: StateBackend,
    /// Sorted by environment, then region.
    pub regions: Vec<RegionalFoundation>,
    /// The ECR registry, when the Platform's registry is one.
    pub registry: Option<Registry>,
}

/// Where Terraform keeps state.
#[derive(Debug, Clone)]
pub struct StateBackend {
    pub bucket: String,
    pub region: String,
    /// DynamoDB locking; S3 native locking when `None`.
    pub lock_table: Option<String>,
    /// The folder of every key: the platform's name.
    pub key_prefix: String,
}

impl StateBackend {
    /// The state key of the root module in `folder` (relative to the Terraform output folder).
    pub fn key(&self, folder: &str) -> String {
        format!("{}/{folder}/terraform.tfstate", self.key_prefix)
    }
}

/// The account, region and partition a root module works in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AwsLocation {
    pub account_id: String,
    pub region: String,
    /// `aws`, `aws-cn` or `aws-us-gov`, from the region.
    pub partition: &'static str,
}

impl AwsLocation {
    pub fn new(account_id: &str, region: &str) -> Self {
        AwsLocation {
            account_id: account_id.to_string(),
            region: region.to_string(),
            partition: partition(region),
        }
    }

    /// The ARN of a resource of `service` in this account and region.
    pub fn arn(&self, service: &str, resource: &str) -> String {
        format!(
            "arn:{}:{service}:{}:{}:{resource}",
            self.partition, self.region, self.account_id
        )
    }

    /// The ARN of a global (IAM) resource in this account.
    pub fn iam_arn(&self, resource: &str) -> String {
        format!("arn:{}:iam::{}:{resource}", self.partition, self.account_id)
    }

    /// The ARN of an AWS managed IAM policy.
    pub fn managed_policy(&self, name: &str) -> String {
        format!("arn:{}:iam::aws:policy/{name}", self.partition)
    }
}

pub(crate) fn partition(region: &str) -> &'static str {
    if region.starts_with("cn-") {
        "aws-cn"
    } else if region.starts_with("us-gov-") {
        "aws-us-gov"
    } else {
        "aws"
    }
}

/// One environment in one region: a root module.
#[derive(Debug, Clone)]
pub struct RegionalFoundation {
    pub environment: String,
    pub tier: Tier,
    pub location: AwsLocation,
    /// The folder of the root module, relative to the Terraform output folder.
    pub folder: String,
    pub cluster_name: String,
    pub kubernetes_version: String,
    /// Tags on every resource (the provider's default tags).
    pub tags: BTreeMap<String, String>,
    pub network: Network,
    /// Networks allowed to reach the public API endpoint; empty keeps it private.
    pub public_access_cidrs: Vec<String>,
    pub node_groups: Vec<PlannedNodeGroup>,
    /// The IAM roles given access to the cluster, by ARN (one entry per role, as EKS allows).
    pub access_entries: Vec<AccessEntry>,
    /// The services' identities (in spec order), then the add-ons' (by add-on name).
    pub identities: Vec<WorkloadIdentity>,
    /// The ports of the managed databases and caches the environment's services require (a
    /// subnet group and a security group admitting the VPC on these ports are created for
    /// them, for the cluster's EnvironmentConfig `pave-network`); empty when none.
    pub data_ports: Vec<u16>,
    pub dns: PlannedDns,
    /// Ingress hosts of the environment's services and of the cluster's add-ons (their `host`),
    /// each with a DNS-validated certificate; sorted.
    pub certificates: Vec<String>,
    /// Retention of the flow and control-plane logs.
    pub log_retention_days: u32,
    /// Days before a deleted KMS key is gone.
    pub key_deletion_window_days: u32,
    /// The Secrets Manager secrets the environment's services name under `secrets:`, created
    /// empty (a person puts their values) and encrypted with the module's key; sorted by name.
    pub application_secrets: Vec<ApplicationSecret>,
    /// The Secrets Manager secret the module writes its data network into (`data_ports` not
    /// empty), which External Secrets syncs for the cluster's EnvironmentConfig `pave-network`.
    pub network_secret: Option<String>,
    /// Days a deleted application secret can be restored.
    pub secret_recovery_window_days: u32,
    /// Whether the cluster refuses deletion (production).
    pub deletion_protection: bool,
    /// The blocks of `terraform` resource types the environment's services request, one
    /// instance per resource, sorted by tenant and resource.
    pub terraform_instances: Vec<TerraformInstance>,
    /// The shared blocks of the `terraform` resource types requested in this region, one
    /// instance per type, sorted by type.
    pub terraform_shared: Vec<SharedTerraformInstance>,
    /// The add-ons running here that launch nodes themselves (their entries' `nodeProvisioner`),
    /// by add-on name.
    pub node_provisioners: Vec<NodeProvisioner>,
    /// The Environment spec file.
    pub source: FileId,
}

/// A `terraform` resource type's blocks for one resource in one cluster's root module, filled in
/// and with their references to each other rewritten to the instance's addresses
/// ([`terraform_address`]).
#[derive(Debug, Clone)]
pub struct TerraformInstance {
    pub tenant: String,
    /// The resource's name in the namespace.
    pub resource: String,
    pub resource_type: String,
    /// Terraform JSON's `resource`: type, then block name, then arguments.
    pub resources: BTreeMap<String, BTreeMap<String, serde_json::Value>>,
    /// Terraform JSON's `data`, the same shape.
    pub data: BTreeMap<String, BTreeMap<String, serde_json::Value>>,
    /// The type's secret outputs, each a Secrets Manager secret the module writes: its name
    /// (`<secret prefix>/<output>`, the name the workload's ExternalSecret reads) and its value,
    /// a Terraform string template.
    pub secrets: Vec<(String, String)>,
    /// The request (its key in `spec.requires`) of the resource's first consumer.
    pub origin: Span,
}

/// A `terraform` resource type's shared blocks in one cluster's root module (`spec.terraform.shared`),
/// filled in once, under the addresses [`shared_block_name`] gives.
#[derive(Debug, Clone)]
pub struct SharedTerraformInstance {
    pub resource_type: String,
    /// Terraform JSON's `resource`: type, then block name, then arguments.
    pub resources: BTreeMap<String, BTreeMap<String, serde_json::Value>>,
    /// Terraform JSON's `data`, the same shape.
    pub data: BTreeMap<String, BTreeMap<String, serde_json::Value>>,
    /// The first request of the type in the cluster.
    pub origin: Span,
}

/// The name of the block `name` of a `terraform` type's shared blocks in a cluster's root module:
/// `<type>__NAME` (`-` becomes `_`). A request's instance is `<tenant>__<resource>__NAME`, three
/// parts; a shared block's name (schema) and a type's have no `__`, so it is two, and the two
/// never meet.
fn shared_block_name(resource_type: &str, name: &str) -> String {
    let identifier = resource_type.replace(|c: char| !c.is_ascii_alphanumeric(), "_");
    format!("{identifier}__{name}")
}

/// [`terraform_address`] for a template of a request of `resource_type`, whose references may
/// also name the type's shared blocks (`shared.TYPE.NAME`, `shared.data.TYPE.NAME`).
fn request_address(resource_type: &str, tenant: &str, resource: &str, address: &str) -> String {
    match address.strip_prefix(crate::parse::SHARED_PREFIX) {
        Some(shared) => shared_address(resource_type, shared),
        None => terraform_address(tenant, resource, address),
    }
}

/// The Terraform address of the shared block `address` (`TYPE.NAME`, `data.TYPE.NAME`) of
/// `resource_type`.
fn shared_address(resource_type: &str, address: &str) -> String {
    match address.rsplit_once('.') {
        Some((kind, name)) => format!("{kind}.{}", shared_block_name(resource_type, name)),
        None => address.to_string(),
    }
}

/// The name of the data network's security group (`aws_security_group.<this>`) in a cluster's
/// root module, which `${network.securityGroupId}` names.
pub const DATA_SECURITY_GROUP: &str = "data";

/// The name of the private subnet of zone `zone` (`aws_subnet.<this>`), the data subnets of
/// `${network.dataSubnetIds}`.
pub fn private_subnet_name(zone: usize) -> String {
    format!("private_{zone}")
}

/// The Terraform expressions of `${network.dataSubnetIds}` (a list) and
/// `${network.securityGroupId}`.
fn network_expressions() -> (String, String) {
    let subnets: Vec<String> = (0..ZONES)
        .map(|zone| format!("aws_subnet.{}.id", private_subnet_name(zone)))
        .collect();
    (
        format!("[{}]", subnets.join(", ")),
        format!("aws_security_group.{DATA_SECURITY_GROUP}.id"),
    )
}

/// The Terraform address of block `address` (`TYPE.NAME` or `data.TYPE.NAME`, as a `terraform`
/// resource type declares it) in the instance for resource `resource` of tenant `tenant`:
/// `TYPE.<tenant>__<resource>__NAME`. Tenant and resource names are DNS labels (no `_`), so the
/// `__` separators keep every instance's addresses apart in the cluster's root module.
fn terraform_address(tenant: &str, resource: &str, address: &str) -> String {
    match address.rsplit_once('.') {
        Some((kind, name)) => format!("{kind}.{}", instance_block_name(tenant, resource, name)),
        None => address.to_string(),
    }
}

/// The name of the type's block `name` in the instance for resource `resource` of `tenant`.
fn instance_block_name(tenant: &str, resource: &str, name: &str) -> String {
    let identifier = |text: &str| text.replace(|c: char| !c.is_ascii_alphanumeric(), "_");
    format!("{}__{}__{name}", identifier(tenant), identifier(resource))
}

/// The instances of the `terraform` resource types the services of `env_name` request, in
/// `region` (a resource shared by id is instantiated once), and the shared blocks of each type
/// requested there.
fn terraform_instances(
    spec: &ResolvedSpec,
    env_name: &str,
    region: &str,
) -> (Vec<TerraformInstance>, Vec<SharedTerraformInstance>) {
    let platform = spec.platform.name();
    let (data_subnet_ids, security_group_id) = network_expressions();
    let no_params = BTreeMap::new();
    let account = super::environment_account(spec, env_name);
    let mut out: BTreeMap<(String, String), TerraformInstance> = BTreeMap::new();
    let mut shared_out: BTreeMap<String, SharedTerraformInstance> = BTreeMap::new();
    for service in &spec.services {
        let Some(instance) = service.instances.iter().find(|i| i.environment == env_name) else {
            continue;
        };
        let namespace = crate::resolve::namespace_name(&service.tenant, env_name);
        let names = super::resource::UnitNames {
            platform,
            namespace: &namespace,
            account: &account,
        };
        for resource_use in &instance.requires {
            let data = &resource_use.data;
            let Some(terraform) = &data.spec.terraform else {
                continue;
            };
            let resource = resource_use.resource_name(service.name());
            let key = (service.tenant.clone(), resource.clone());
            if out.contains_key(&key) {
                continue;
            }
            let Some(ctx) =
                super::resource::template_context(resource_use, &resource, region, &names)
            else {
                continue;
            };
            let address = |a: &str| request_address(&data.name, &service.tenant, &resource, a);
            let references = type_template::TerraformReferences {
                address: &address,
                data_subnet_ids: &data_subnet_ids,
                security_group_id: &security_group_id,
            };
            let render = |section: &BTreeMap<String, BTreeMap<String, serde_json::Value>>,
                          ctx: &type_template::TemplateContext<'_>,
                          block_name: &dyn Fn(&str) -> String| {
                section
                    .iter()
                    .map(|(kind, named)| {
                        let named = named
                            .iter()
                            .map(|(name, body)| {
                                (
                                    block_name(name),
                                    type_template::render_terraform_json(body, ctx, &references),
                                )
                            })
                            .collect();
                        (kind.clone(), named)
                    })
                    .collect()
            };
            if let Some(shared) = &terraform.shared
                && !shared_out.contains_key(&data.name)
            {
                // Filled once per cluster: only the cluster's placeholders (resolve checked).
                let cluster_ctx = type_template::TemplateContext {
                    resource: "",
                    class: "",
                    params: &no_params,
                    tenant: "",
                    namespace: "",
                    external_name: String::new(),
                    ..ctx
                };
                let block_name = |name: &str| shared_block_name(&data.name, name);
                shared_out.insert(
                    data.name.clone(),
                    SharedTerraformInstance {
                        resource_type: data.name.clone(),
                        resources: render(&shared.resource, &cluster_ctx, &block_name),
                        data: render(&shared.data, &cluster_ctx, &block_name),
                        origin: resource_use.span,
                    },
                );
            }
            let block_name = |name: &str| instance_block_name(&service.tenant, &resource, name);
            let blocks = |section| render(section, &ctx, &block_name);
            let prefix = super::resource::secret_prefix(&names, &resource);
            let secrets = data
                .spec
                .outputs
                .iter()
                .filter(|o| o.secret)
                .filter_map(|o| {
                    let value = type_template::render_terraform_text(
                        o.value.as_deref()?,
                        &ctx,
                        &references,
                    );
                    Some((format!("{prefix}/{}", o.name), value))
                })
                .collect();
            let planned = TerraformInstance {
                tenant: service.tenant.clone(),
                resource: resource.clone(),
                resource_type: data.name.clone(),
                resources: blocks(&terraform.resource),
                data: blocks(&terraform.data),
                secrets,
                origin: resource_use.span,
            };
            out.insert(key, planned);
        }
    }
    (
        out.into_values().collect(),
        shared_out.into_values().collect(),
    )
}

/// The IAM statements the `terraform` and `crossplane` types a service requests give its role
/// (their `access`), naming the resources' own blocks in the cluster's root module or their
/// cloud resources by external name.
fn resource_type_access(
    spec: &ResolvedSpec,
    instance: &crate::resolve::ServiceInstance,
    tenant: &str,
    service: &str,
    namespace: &str,
    region: &str,
) -> Vec<Permission> {
    let account = super::environment_account(spec, &instance.environment);
    let names = super::resource::UnitNames {
        platform: spec.platform.name(),
        namespace,
        account: &account,
    };
    let mut out = Vec::new();
    for resource_use in &instance.requires {
        let data_name = &resource_use.data.name;
        let resource = resource_use.resource_name(service);
        let Some(ctx) = super::resource::template_context(resource_use, &resource, region, &names)
        else {
            continue;
        };
        // A `crossplane` type's statements name its cloud resource by its external name.
        if let Some(crossplane) = &resource_use.data.spec.crossplane {
            for statement in &crossplane.access {
                out.push(Permission {
                    actions: statement.actions.clone(),
                    resources: statement
                        .resources
                        .iter()
                        .map(|r| type_template::render_text(r, &ctx))
                        .collect(),
                    conditions: Vec::new(),
                });
            }
        }
        let Some(terraform) = &resource_use.data.spec.terraform else {
            continue;
        };
        let address = |a: &str| request_address(data_name, tenant, &resource, a);
        let (data_subnet_ids, security_group_id) = network_expressions();
        let references = type_template::TerraformReferences {
            address: &address,
            data_subnet_ids: &data_subnet_ids,
            security_group_id: &security_group_id,
        };
        for statement in &terraform.access {
            let permission = Permission {
                actions: statement.actions.clone(),
                resources: statement
                    .resources
                    .iter()
                    .map(|r| type_template::render_terraform_text(r, &ctx, &references))
                    .collect(),
                conditions: Vec::new(),
            };
            // Two requests of a type with shared blocks give the same statement on them once.
            if !out.contains(&permission) {
                out.push(permission);
            }
        }
    }
    out
}

/// What an add-on that launches nodes (Karpenter) needs from one cluster's root module: the
/// nodes' IAM role with an EKS access entry of type `EC2_LINUX`, the interruption queue and the
/// EventBridge rules that feed it, and the `karpenter.sh/discovery` tag on the private subnets
/// and the cluster security group. The add-on's values and manifests name the role and the
/// queue through `${addon.nodeRole}` and `${addon.interruptionQueue}`, computed by the same
/// functions (`resolve::addon_node_role_name`, `resolve::interruption_queue_name`).
#[derive(Debug, Clone)]
pub struct NodeProvisioner {
    pub addon: String,
    pub node_role: String,
    pub interruption_queue: String,
    /// The value of the `karpenter.sh/discovery` tag: the cluster's name.
    pub discovery: String,
    /// The entry's `nodeProvisioner`.
    pub origin: Span,
}

/// The tag by which Karpenter's EC2NodeClass selects subnets and security groups (Karpenter's
/// getting-started guide tags the cluster's private subnets and its security group with it).
pub const DISCOVERY_TAG: &str = "karpenter.sh/discovery";

impl RegionalFoundation {
    /// The name of a role of the cluster's own components (`cluster`, `node`, `flow-logs`).
    pub fn role_name(&self, purpose: &str) -> String {
        format!("{}-{purpose}", self.cluster_name)
    }
}

/// The ports of the databases and caches in the VPC that the services of `env_name` require,
/// sorted: for these the cluster's root module creates the data network and writes it into
/// Secrets Manager (`network_secret_name`), and the cluster gets the EnvironmentConfig
/// `pave-network` the Compositions read.
pub(crate) fn data_ports(spec: &ResolvedSpec, env_name: &str) -> Vec<u16> {
    spec.services
        .iter()
        .filter_map(|service| service.instances.iter().find(|i| i.environment == env_name))
        .flat_map(|instance| &instance.requires)
        // Atlas runs outside the VPC.
        .filter(|resource_use| !resource_use.uses_atlas())
        .filter_map(|resource_use| {
            let spec = &resource_use.data.spec;
            spec.crossplane
                .as_ref()
                .and_then(|c| c.network_port)
                .or_else(|| spec.terraform.as_ref()?.network_port)
        })
        .collect::<BTreeSet<u16>>()
        .into_iter()
        .collect()
}

/// Whether a service of `env_name` requires MongoDB (on Atlas, in the environment's project).
pub(crate) fn uses_atlas(spec: &ResolvedSpec, env_name: &str) -> bool {
    spec.services
        .iter()
        .filter_map(|service| service.instances.iter().find(|i| i.environment == env_name))
        .flat_map(|instance| &instance.requires)
        .any(crate::resolve::ResourceUse::uses_atlas)
}

/// An IAM role's access to a cluster: an EKS access entry (type `STANDARD`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessEntry {
    /// The role's ARN, with its path.
    pub principal: String,
    /// Whether it is a platform admin (`AmazonEKSClusterAdminPolicy` on the cluster).
    pub admin: bool,
    /// The Kubernetes groups its sessions are in, sorted: the owner groups of the tenants it
    /// owns, which their owners' RoleBindings name.
    pub kubernetes_groups: Vec<String>,
}

/// A secret a service reads, which the root module creates without a value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApplicationSecret {
    /// Its name in Secrets Manager.
    pub name: String,
    /// The services reading it, sorted.
    pub services: Vec<String>,
}

/// The alias of the KMS key that encrypts a cluster's application secrets.
pub fn secrets_key_alias(cluster: &str) -> String {
    format!("alias/{cluster}-secrets")
}

/// The secrets the root module of the cluster `eks_cluster` creates empty, by name: the
/// services' (`application_secrets`), those the add-ons enabled here read (`secretsManager`
/// keys of their `secrets`: `<platform>/<cluster>/<name>`, the name the ExternalSecret reads,
/// `addon_secret_remote`), and, with MongoDB in the environment, the Atlas provider's API key.
fn root_module_secrets(
    spec: &ResolvedSpec,
    env_name: &str,
    eks_cluster: &str,
) -> Vec<ApplicationSecret> {
    let mut secrets = application_secrets(spec, env_name);
    if uses_atlas(spec, env_name) {
        secrets.push(ApplicationSecret {
            name: super::atlas_api_key_secret_name(spec.platform.name(), eks_cluster),
            services: vec!["the MongoDB Atlas provider (Crossplane)".to_string()],
        });
    }
    let mut addon_secrets: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (name, addon) in &spec.addons {
        if !addon.runs_in(env_name) {
            continue;
        }
        let remotes = addon
            .definition
            .secrets
            .iter()
            .flat_map(|secret| secret.keys.values())
            .filter_map(|source| source.secrets_manager.as_deref());
        for remote in remotes {
            let remote = super::addon_secret_remote(spec.platform.name(), eks_cluster, remote);
            addon_secrets
                .entry(remote)
                .or_default()
                .insert(format!("the add-on {name}"));
        }
    }
    secrets.extend(
        addon_secrets
            .into_iter()
            .map(|(name, readers)| ApplicationSecret {
                name,
                services: readers.into_iter().collect(),
            }),
    );
    secrets.sort_by(|a, b| a.name.cmp(&b.name));
    secrets.dedup_by(|later, first| {
        let same = later.name == first.name;
        if same {
            first.services.append(&mut later.services);
        }
        same
    });
    secrets
}

/// Whether the root module of `eks_cluster` creates secrets (with its key `secrets_key_alias`).
fn creates_secrets(spec: &ResolvedSpec, env_name: &str, eks_cluster: &str) -> bool {
    !root_module_secrets(spec, env_name, eks_cluster).is_empty()
        || !data_ports(spec, env_name).is_empty()
}

/// The secrets the services of `env_name` name under `secrets:`, by name: those the root module
/// creates. Names under `<platform>/<tenant>-<env>/` are where the managed resources'
/// Compositions write their outputs (`lower/resource.rs`, `secret_prefix`), so they are left to
/// them.
fn application_secrets(spec: &ResolvedSpec, env_name: &str) -> Vec<ApplicationSecret> {
    let platform = spec.platform.name();
    let mut by_name: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    let instances: Vec<_> = spec
        .services
        .iter()
        .filter_map(|service| {
            let instance = service
                .instances
                .iter()
                .find(|i| i.environment == env_name)?;
            Some((service, instance))
        })
        .collect();
    let managed: BTreeSet<String> = instances
        .iter()
        .map(|(service, _)| format!("{platform}/{}-{env_name}/", service.tenant))
        .collect();
    for (service, instance) in &instances {
        for secret in instance.secrets.values() {
            let name = secret.name.as_str();
            let composed = managed
                .iter()
                .any(|prefix| name.starts_with(prefix.as_str()));
            if !composed {
                by_name.entry(name).or_default().insert(service.name());
            }
        }
    }
    by_name
        .into_iter()
        .map(|(name, services)| ApplicationSecret {
            name: name.to_string(),
            services: services.into_iter().map(str::to_string).collect(),
        })
        .collect()
}

/// The VPC and its six subnets.
#[derive(Debug, Clone)]
pub struct Network {
    /// The availability zones, by AZ id (`use1-az1`): an id is the same physical zone in every
    /// account, where a name (`us-east-1a`) is mapped per account, so only ids can avoid the
    /// zones EKS does not support. The first three of the region EKS supports.
    pub zones: Vec<String>,
    pub vpc_cidr: Ipv4Cidr,
    /// One per availability zone, for nodes and pods: the first three quarters of the VPC.
    pub private_subnets: Vec<Ipv4Cidr>,
    /// One per availability zone, for load balancers and NAT gateways: the last quarter, split.
    pub public_subnets: Vec<Ipv4Cidr>,
    /// One per zone in production (a zone failure keeps egress), one in zone 0 elsewhere.
    pub nat_gateways: usize,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlannedNodeGroup {
    pub name: String,
    pub instance_types: Vec<String>,
    /// The EKS AMI type (`AL2023_x86_64_STANDARD`, ...), from the instance types.
    pub ami_type: &'static str,
    /// `ON_DEMAND` or `SPOT`.
    pub capacity_type: &'static str,
    pub min: u32,
    pub max: u32,
    pub desired: u32,
    pub labels: BTreeMap<String, String>,
    pub taints: Vec<PlannedTaint>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlannedTaint {
    pub key: String,
    pub value: Option<String>,
    /// `NO_SCHEDULE`, `PREFER_NO_SCHEDULE` or `NO_EXECUTE`, as the EKS API spells them.
    pub effect: &'static str,
}

/// The IAM identity of one service in one cluster, bound to its Kubernetes service account.
#[derive(Debug, Clone)]
pub struct WorkloadIdentity {
    pub owner: IdentityOwner,
    pub namespace: String,
    pub service_account: String,
    pub role_name: String,
    pub permissions: Vec<Permission>,
    /// AWS managed policies attached to the role, by ARN.
    pub managed_policies: Vec<String>,
    /// The spec node that asked for the access: the environment override's `aws`, the
    /// service's `aws` or `requires`, or the Service document.
    pub origin: Span,
}

/// Whose pods a workload identity is for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IdentityOwner {
    /// A service's (declared `aws` access or managed resources).
    Service { tenant: String, service: String },
    /// An add-on's (its catalogue entry's `identities`).
    Addon { addon: String },
    /// An EKS add-on's, associated through the `aws_eks_addon` itself (`EKS_ADDONS`).
    EksAddon { addon: &'static str },
}

impl IdentityOwner {
    /// `tenant/service`, or `addon/<name>`: the key of the role in the module's outputs.
    pub fn key(&self) -> String {
        match self {
            IdentityOwner::Service { tenant, service } => format!("{tenant}/{service}"),
            IdentityOwner::Addon { addon } => format!("addon/{addon}"),
            IdentityOwner::EksAddon { addon } => format!("eks-addon/{addon}"),
        }
    }

    /// Words for the role's description.
    pub fn describe(&self) -> String {
        match self {
            IdentityOwner::Service { tenant, service } => format!("Service {tenant}/{service}"),
            IdentityOwner::Addon { addon } => format!("Add-on {addon}"),
            IdentityOwner::EksAddon { addon } => format!("EKS add-on {addon}"),
        }
    }
}

/// One allow statement of an IAM policy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Permission {
    pub actions: Vec<String>,
    pub resources: Vec<String>,
    /// `(test, key, values)`, e.g. `("StringLike", "s3:prefix", ["exports/*"])`; all must hold.
    pub conditions: Vec<(String, String, Vec<String>)>,
}

/// The environment's public hosted zone, as seen from one region.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlannedDns {
    pub zone: String,
    pub zone_source: ZoneSource,
    /// Where a zone created here is delegated from: the zone of another environment that pave
    /// creates too (production's, for the whole domain), which gets the zone's NS and DS
    /// records from this root module. `None` when the parent zone is not pave's.
    pub delegation: Option<ZoneDelegation>,
    /// The zones delegated from a zone created here by other accounts' root modules, sorted.
    pub delegates: Vec<DelegatedZone>,
    /// The role they assume to write their records into it ([`ZoneDelegation::role`]), created
    /// here; `None` without such zones.
    pub delegation_role: Option<String>,
}

/// A child zone's records in its parent zone, written by the child's root module.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ZoneDelegation {
    pub parent_zone: String,
    /// In another account: the role in the parent's account that may write exactly this zone's
    /// NS and DS records there, created by the parent's root module.
    pub role: Option<String>,
    pub parent_account: String,
}

/// A zone another account delegates from this one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DelegatedZone {
    pub zone: String,
    pub account: String,
    /// Who in that account applies its Terraform and so assumes the delegation role: the
    /// Platform's `terraform.adminRoles` there. Empty without any: then any role of the account.
    pub principals: Vec<String>,
}

/// The role a child zone's root module assumes in the parent zone's account: one per parent
/// zone, shared by the children, each allowed only its own records.
fn delegation_role_name(platform: &str) -> String {
    format!("{platform}-dns-delegation")
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ZoneSource {
    /// Created here: the environment's first region owns its zone.
    Create,
    /// Created by the root module of the environment's first region; looked up by name.
    LookUp,
    /// An existing zone, by id.
    Existing(String),
}

/// The ECR registry the Platform's images are pushed to and pulled from.
#[derive(Debug, Clone)]
pub struct Registry {
    pub location: AwsLocation,
    pub folder: String,
    pub tags: BTreeMap<String, String>,
    /// Repository names, sorted.
    pub repositories: Vec<String>,
    /// Accounts whose clusters pull, with the ARNs of their node roles.
    pub pullers: BTreeMap<String, Vec<String>>,
    pub github: Option<GitHubDeploy>,
    pub key_deletion_window_days: u32,
    /// The Platform spec file.
    pub source: FileId,
}

/// The role GitHub Actions workflows assume to push images.
#[derive(Debug, Clone)]
pub struct GitHubDeploy {
    pub role_name: String,
    /// OIDC subjects allowed: `repo:<owner>/<name>:ref:refs/heads/<branch>`, sorted.
    pub subjects: Vec<String>,
}

/// The folder of the registry's root module.
pub const REGISTRY_FOLDER: &str = "registry";
/// Log retention everywhere: a year, what audits usually ask for.
const LOG_RETENTION_DAYS: u32 = 365;

pub(super) fn foundation(spec: &ResolvedSpec) -> Option<Foundation> {
    let terraform = spec.platform.spec.terraform.as_ref()?;
    let platform = spec.platform.name();
    let state = StateBackend {
        bucket: terraform.state_bucket.clone(),
        region: terraform
            .state_region
            .clone()
            .or_else(|| spec.platform.spec.regions.first().cloned())
            .unwrap_or_default(),
        lock_table: terraform.lock_table.clone(),
        key_prefix: platform.to_string(),
    };
    let mut regions = Vec::new();
    for (env_name, env) in &spec.environments {
        let Some(account_id) = spec.platform.spec.accounts.get(&env.parsed.spec.account) else {
            continue;
        };
        let mut sorted_regions = env.parsed.spec.regions.clone();
        sorted_regions.sort();
        for region in &sorted_regions {
            if let Some(regional) = regional(spec, terraform, env_name, env, account_id, region) {
                regions.push(regional);
            }
        }
    }
    let registry = registry(spec, terraform, &regions);
    Some(Foundation {
        state,
        regions,
        registry,
    })
}

fn tags(
    platform: &str,
    environment: &str,
    terraform: &TerraformSettings,
) -> BTreeMap<String, String> {
    BTreeMap::from([
        ("platform".to_string(), platform.to_string()),
        ("environment".to_string(), environment.to_string()),
        (
            "cost-center".to_string(),
            terraform
                .cost_center
                .clone()
                .unwrap_or_else(|| "platform".into()),
        ),
        ("managed-by".to_string(), "pave".to_string()),
    ])
}

fn regional(
    spec: &ResolvedSpec,
    terraform: &TerraformSettings,
    env_name: &str,
    env: &Environment,
    account_id: &str,
    region: &str,
) -> Option<RegionalFoundation> {
    let platform = spec.platform.name();
    let location = AwsLocation::new(account_id, region);
    let production = env.tier == Tier::Production;
    let cluster = cluster_name(platform, env_name, region);
    let vpc_cidr = env.foundation.vpc_cidrs.get(region)?.value;
    let network = network(vpc_cidr, region, production)?;

    let node_groups = env
        .foundation
        .node_groups
        .iter()
        .map(|group| {
            let group = &group.value;
            PlannedNodeGroup {
                name: group.name.clone(),
                instance_types: group.instance_types.clone(),
                ami_type: ami_type(&group.instance_types),
                capacity_type: match group.capacity_type {
                    CapacityType::OnDemand => "ON_DEMAND",
                    CapacityType::Spot => "SPOT",
                },
                min: group.min,
                max: group.max,
                desired: group.desired.unwrap_or(group.min),
                labels: group.labels.clone(),
                taints: group
                    .taints
                    .iter()
                    .map(|taint| PlannedTaint {
                        key: taint.key.clone(),
                        value: taint.value.clone(),
                        effect: match taint.effect {
                            TaintEffect::NoSchedule => "NO_SCHEDULE",
                            TaintEffect::PreferNoSchedule => "PREFER_NO_SCHEDULE",
                            TaintEffect::NoExecute => "NO_EXECUTE",
                        },
                    })
                    .collect(),
            }
        })
        .collect();

    let role_arn = |role: &String| role_arn(role, &location);
    // One entry per role: EKS refuses a second entry for the same principal.
    let mut access: BTreeMap<String, (bool, BTreeSet<String>)> = BTreeMap::new();
    for role in &terraform.admin_roles {
        access.entry(role_arn(role)).or_default().0 = true;
    }
    for tenant in spec.tenants.values() {
        if !tenant.quotas.contains_key(env_name) {
            continue;
        }
        let owners = &tenant.parsed.spec.owners;
        for role in &owners.roles {
            access
                .entry(role_arn(role))
                .or_default()
                .1
                .extend(owners.kubernetes_groups(tenant.name()));
        }
    }
    let access_entries = access
        .into_iter()
        .map(|(principal, (admin, groups))| AccessEntry {
            principal,
            admin,
            kubernetes_groups: groups.into_iter().collect(),
        })
        .collect();

    let mut identities = Vec::new();
    let mut certificates = BTreeSet::new();
    for service in &spec.services {
        let Some(instance) = service.instances.iter().find(|i| i.environment == env_name) else {
            continue;
        };
        if let Some(ingress) = &instance.ingress {
            certificates.insert(ingress.value.host.clone());
        }
        let namespace = crate::resolve::namespace_name(&service.tenant, env_name);
        let aws = &instance.aws;
        let terraform_permissions = resource_type_access(
            spec,
            instance,
            &service.tenant,
            service.name(),
            &namespace,
            region,
        );
        if aws.is_empty() && terraform_permissions.is_empty() {
            continue;
        }
        let mut service_permissions = permissions(aws, &location);
        service_permissions.extend(terraform_permissions);
        identities.push(WorkloadIdentity {
            owner: IdentityOwner::Service {
                tenant: service.tenant.clone(),
                service: service.name().to_string(),
            },
            namespace,
            // The Kubernetes target names each service's ServiceAccount after the service.
            service_account: service.name().to_string(),
            role_name: workload_role_name(&cluster, &service.tenant, service.name()),
            permissions: service_permissions,
            managed_policies: Vec::new(),
            origin: [
                vec!["spec", "environments", env_name, "aws"],
                vec!["spec", "aws"],
                vec!["spec", "requires"],
            ]
            .iter()
            .find(|path| service.parsed.doc.node(path).is_some())
            .map_or_else(
                || service.parsed.doc.head_span(),
                |path| service.parsed.doc.span(path),
            ),
        });
    }

    let data_ports = data_ports(spec, env_name);

    identities.extend(addon_identities(spec, env_name, &location, &cluster));
    let node_provisioners = node_provisioners(spec, env_name, &cluster);
    certificates.extend(addon_hosts(spec, env_name, &location));
    identities.push(ebs_csi_driver_identity(
        &location,
        &cluster,
        env.parsed.doc.head_span(),
    ));

    let primary = env.parsed.spec.regions.first().map(String::as_str) == Some(region);
    let zone_source = match &env.parsed.spec.dns.zone_id {
        Some(id) => ZoneSource::Existing(id.clone()),
        None if primary => ZoneSource::Create,
        None => ZoneSource::LookUp,
    };

    let delegates = if zone_source == ZoneSource::Create {
        delegated_zones(spec, env_name, region)
    } else {
        Vec::new()
    };
    let application_secrets = root_module_secrets(spec, env_name, &cluster);
    let (terraform_instances, terraform_shared) = terraform_instances(spec, env_name, region);
    let network_secret =
        (!data_ports.is_empty()).then(|| super::network_secret_name(platform, &cluster));
    Some(RegionalFoundation {
        environment: env_name.to_string(),
        tier: env.tier,
        folder: format!("{env_name}/{region}"),
        cluster_name: cluster,
        kubernetes_version: env.parsed.spec.kubernetes_version.clone(),
        tags: tags(platform, env_name, terraform),
        network,
        public_access_cidrs: env
            .parsed
            .spec
            .cluster
            .public_access_cidrs
            .iter()
            .map(ToString::to_string)
            .collect(),
        node_groups,
        access_entries,
        identities,
        data_ports,
        dns: PlannedDns {
            zone: env.foundation.dns_zone.value.clone(),
            delegation: (zone_source == ZoneSource::Create)
                .then(|| zone_delegation(spec, env_name))
                .flatten(),
            delegates: delegates.clone(),
            delegation_role: (!delegates.is_empty()).then(|| delegation_role_name(platform)),
            zone_source,
        },
        certificates: certificates.into_iter().collect(),
        log_retention_days: LOG_RETENTION_DAYS,
        key_deletion_window_days: if production { 30 } else { 7 },
        application_secrets,
        network_secret,
        secret_recovery_window_days: if production { 30 } else { 7 },
        deletion_protection: production,
        terraform_instances,
        terraform_shared,
        node_provisioners,
        location,
        source: env.parsed.doc.file,
    })
}

/// Private subnets take the first three quarters of the VPC (pods use most addresses), public
/// subnets split the last quarter.
/// An IAM role given by name (looked up in `location`'s account) or by ARN (as is).
fn role_arn(role: &str, location: &AwsLocation) -> String {
    if role.starts_with("arn:") {
        role.to_string()
    } else {
        location.iam_arn(&format!("role/{role}"))
    }
}

/// The zone pave creates for an environment (no `spec.dns.zoneId`), with its account.
fn created_zone<'a>(spec: &'a ResolvedSpec, env_name: &str) -> Option<(&'a str, &'a str)> {
    let env = spec.environments.get(env_name)?;
    env.parsed.spec.dns.zone_id.is_none().then_some((
        env.foundation.dns_zone.value.as_str(),
        env.parsed.spec.account.as_str(),
    ))
}

/// The closest zone of another environment that pave creates and that `env_name`'s zone is
/// inside of: the parent whose NS and DS records point to this zone.
fn zone_delegation(spec: &ResolvedSpec, env_name: &str) -> Option<ZoneDelegation> {
    let (zone, account) = created_zone(spec, env_name)?;
    let platform = &spec.platform;
    spec.environments
        .keys()
        .filter(|other| other.as_str() != env_name)
        .filter_map(|other| created_zone(spec, other))
        .filter(|(parent, _)| zone.ends_with(&format!(".{parent}")))
        .max_by_key(|(parent, _)| parent.len())
        .map(|(parent, parent_account)| ZoneDelegation {
            parent_zone: parent.to_string(),
            role: (parent_account != account).then(|| delegation_role_name(platform.name())),
            parent_account: platform
                .spec
                .accounts
                .get(parent_account)
                .cloned()
                .unwrap_or_default(),
        })
}

/// The zones of other accounts' environments delegated from `env_name`'s zone, sorted.
fn delegated_zones(spec: &ResolvedSpec, env_name: &str, region: &str) -> Vec<DelegatedZone> {
    let Some((zone, account)) = created_zone(spec, env_name) else {
        return Vec::new();
    };
    let mut zones: Vec<DelegatedZone> = spec
        .environments
        .keys()
        .filter(|child| child.as_str() != env_name)
        .filter_map(|child| {
            let delegation = zone_delegation(spec, child)?;
            let (child_zone, child_account) = created_zone(spec, child)?;
            let account_id = spec
                .platform
                .spec
                .accounts
                .get(child_account)
                .cloned()
                .unwrap_or_default();
            // The child account's admin roles: a name there, or an ARN in that account.
            let location = AwsLocation::new(&account_id, region);
            let principals = spec
                .platform
                .spec
                .terraform
                .iter()
                .flat_map(|terraform| &terraform.admin_roles)
                .map(|role| role_arn(role, &location))
                .filter(|arn| arn.contains(&format!(":{account_id}:")))
                .collect();
            (delegation.parent_zone == zone && child_account != account).then(|| DelegatedZone {
                zone: child_zone.to_string(),
                account: account_id,
                principals,
            })
        })
        .collect();
    zones.sort_by(|a, b| a.zone.cmp(&b.zone));
    zones
}

fn network(vpc_cidr: Ipv4Cidr, region: &str, production: bool) -> Option<Network> {
    let vpc = Ipv4Cidr::new(vpc_cidr.network(), vpc_cidr.prefix())?;
    let quarter = vpc.prefix().checked_add(2)?;
    let sixteenth = vpc.prefix().checked_add(4)?;
    let private_subnets = (0..3)
        .map(|i| vpc.subnet(quarter, i))
        .collect::<Option<Vec<_>>>()?;
    let public_subnets = (12..15)
        .map(|i| vpc.subnet(sixteenth, i))
        .collect::<Option<Vec<_>>>()?;
    Some(Network {
        zones: zone_ids(region),
        vpc_cidr: vpc,
        private_subnets,
        public_subnets,
        nat_gateways: if production { ZONES } else { 1 },
    })
}

/// The first [`ZONES`] AZ ids of `region` where EKS can place a control plane.
fn zone_ids(region: &str) -> Vec<String> {
    let prefix = zone_id_prefix(region);
    (1..)
        .map(|n| format!("{prefix}-az{n}"))
        .filter(|id| !EKS_UNSUPPORTED_ZONES.contains(&id.as_str()))
        .take(ZONES)
        .collect()
}

/// The prefix of a region's AZ ids: the region's name with each direction abbreviated
/// (`us-east-1` → `use1`, `ap-southeast-2` → `apse2`, `us-gov-west-1` → `usgw1`).
fn zone_id_prefix(region: &str) -> String {
    let mut out = String::new();
    for (i, part) in region.split('-').enumerate() {
        let short = match part {
            _ if i == 0 || part.bytes().all(|b| b.is_ascii_digit()) => part,
            "northeast" => "ne",
            "northwest" => "nw",
            "southeast" => "se",
            "southwest" => "sw",
            other => other.get(..1).unwrap_or_default(),
        };
        out.push_str(short);
    }
    out
}

/// The AMI type for a group's instance types (validated to share one architecture).
fn ami_type(instance_types: &[String]) -> &'static str {
    let arm = instance_types.iter().any(|t| is_arm64(t));
    let family = |t: &String| -> String {
        t.split('.')
            .next()
            .unwrap_or_default()
            .chars()
            .take_while(char::is_ascii_lowercase)
            .collect()
    };
    let gpu = instance_types
        .iter()
        .any(|t| matches!(family(t).as_str(), "g" | "gr" | "p"));
    let neuron = instance_types
        .iter()
        .any(|t| matches!(family(t).as_str(), "inf" | "trn"));
    match (arm, gpu, neuron) {
        (true, true, _) => "AL2023_ARM_64_NVIDIA",
        (true, false, _) => "AL2023_ARM_64_STANDARD",
        (false, true, _) => "AL2023_x86_64_NVIDIA",
        (false, false, true) => "AL2023_x86_64_NEURON",
        (false, false, false) => "AL2023_x86_64_STANDARD",
    }
}

const S3_READ: &[&str] = &["s3:GetObject"];
const S3_WRITE: &[&str] = &["s3:AbortMultipartUpload", "s3:PutObject"];
const S3_DELETE: &[&str] = &["s3:DeleteObject"];
const SQS_CONSUME: &[&str] = &[
    "sqs:ChangeMessageVisibility",
    "sqs:DeleteMessage",
    "sqs:GetQueueAttributes",
    "sqs:GetQueueUrl",
    "sqs:ReceiveMessage",
];
const SQS_SEND: &[&str] = &[
    "sqs:GetQueueAttributes",
    "sqs:GetQueueUrl",
    "sqs:SendMessage",
];
const DYNAMODB_READ: &[&str] = &[
    "dynamodb:BatchGetItem",
    "dynamodb:ConditionCheckItem",
    "dynamodb:DescribeTable",
    "dynamodb:GetItem",
    "dynamodb:Query",
    "dynamodb:Scan",
];
const DYNAMODB_WRITE: &[&str] = &[
    "dynamodb:BatchWriteItem",
    "dynamodb:DeleteItem",
    "dynamodb:DescribeTable",
    "dynamodb:PutItem",
    "dynamodb:UpdateItem",
];
const SECRETS_READ: &[&str] = &[
    "secretsmanager:DescribeSecret",
    "secretsmanager:GetSecretValue",
];

/// The hosts of the add-ons running in `env_name` (their catalogue entries' `host`), as their
/// values name them on the cluster in `location`.
fn addon_hosts(spec: &ResolvedSpec, env_name: &str, location: &AwsLocation) -> Vec<String> {
    let variables =
        super::cluster_variables(spec, env_name, &location.account_id, &location.region);
    spec.addons
        .values()
        .filter(|addon| addon.runs_in(env_name))
        .filter_map(|addon| addon.definition.host.as_ref())
        .map(|host| crate::resolve::substitute(host, &variables))
        .collect()
}

/// The add-ons running in `env_name` that launch nodes (their entries' `nodeProvisioner`), on
/// the cluster `cluster`.
fn node_provisioners(spec: &ResolvedSpec, env_name: &str, cluster: &str) -> Vec<NodeProvisioner> {
    spec.addons
        .values()
        .filter(|addon| addon.runs_in(env_name))
        .filter(|addon| addon.definition.node_provisioner.is_some())
        .map(|addon| NodeProvisioner {
            addon: addon.name.clone(),
            node_role: crate::resolve::addon_node_role_name(cluster, &addon.name),
            interruption_queue: crate::resolve::interruption_queue_name(cluster, &addon.name),
            discovery: cluster.to_string(),
            origin: addon.node_provisioner_span,
        })
        .collect()
}

/// The identities of the add-ons running in `env_name` (their catalogue entries' `identities`),
/// with pave's variables replaced as in their values, on the cluster `cluster`.
fn addon_identities(
    spec: &ResolvedSpec,
    env_name: &str,
    location: &AwsLocation,
    cluster: &str,
) -> Vec<WorkloadIdentity> {
    let cluster_variables =
        super::cluster_variables(spec, env_name, &location.account_id, &location.region);
    let platform = spec.platform.name();
    let mut out = Vec::new();
    for addon in spec.addons.values() {
        if !addon.runs_in(env_name) {
            continue;
        }
        let definition = &addon.definition;
        let variables = super::addon_variables(&addon.name, definition, &cluster_variables);
        let several = definition.identities.len() > 1;
        for (identity, span) in definition.identities.iter().zip(&addon.identity_spans) {
            let mut permissions: Vec<Permission> = identity
                .policy
                .iter()
                .map(|statement| Permission {
                    actions: statement.actions.clone(),
                    resources: statement
                        .resources
                        .iter()
                        .map(|r| crate::resolve::substitute(r, &variables))
                        .collect(),
                    conditions: statement
                        .conditions
                        .iter()
                        .map(|c| {
                            (
                                c.test.clone(),
                                crate::resolve::substitute(&c.variable, &variables),
                                c.values
                                    .iter()
                                    .map(|v| crate::resolve::substitute(v, &variables))
                                    .collect(),
                            )
                        })
                        .collect(),
                })
                .collect();
            if identity.service_secrets {
                let mut arns: BTreeSet<String> = spec
                    .services
                    .iter()
                    .filter_map(|s| s.instances.iter().find(|i| i.environment == env_name))
                    .flat_map(|instance| instance.secrets.values())
                    .map(|secret| {
                        location.arn("secretsmanager", &format!("secret:{}-??????", secret.name))
                    })
                    .collect();
                arns.insert(location.arn("secretsmanager", &format!("secret:{platform}/*")));
                // The Git credentials the tenant namespaces' GitRepositories read.
                if let Some(credentials) = &spec.platform.spec.gitops.credentials_secret {
                    arns.insert(
                        location.arn("secretsmanager", &format!("secret:{credentials}-??????")),
                    );
                }
                permissions.push(Permission {
                    actions: actions(&[SECRETS_READ]),
                    resources: arns.into_iter().collect(),
                    conditions: Vec::new(),
                });
                // The secrets the root module creates are encrypted with its key, which Secrets
                // Manager uses on the reader's behalf: decrypt through Secrets Manager only,
                // with the key named by its alias (its ARN is known once created).
                if creates_secrets(spec, env_name, cluster) {
                    permissions.push(Permission {
                        actions: vec!["kms:Decrypt".to_string()],
                        resources: vec![location.arn("kms", "key/*")],
                        conditions: vec![
                            (
                                "StringEquals".to_string(),
                                "kms:ViaService".to_string(),
                                vec![format!("secretsmanager.{}.amazonaws.com", location.region)],
                            ),
                            (
                                "ForAnyValue:StringEquals".to_string(),
                                "kms:ResourceAliases".to_string(),
                                vec![secrets_key_alias(cluster)],
                            ),
                        ],
                    });
                }
            }
            let suffix = if several {
                format!("{}-{}", addon.name, identity.service_account)
            } else {
                addon.name.clone()
            };
            out.push(WorkloadIdentity {
                owner: IdentityOwner::Addon {
                    addon: addon.name.clone(),
                },
                namespace: identity
                    .namespace
                    .clone()
                    .unwrap_or_else(|| definition.namespace.clone()),
                service_account: identity.service_account.clone(),
                role_name: addon_role_name(cluster, &suffix),
                permissions,
                managed_policies: identity
                    .managed_policies
                    .iter()
                    .map(|name| location.managed_policy(name))
                    .collect(),
                origin: *span,
            });
        }
    }
    out
}

/// The EBS CSI driver, an EKS add-on: what every PersistentVolumeClaim on the cluster needs (the
/// default StorageClass, `super::DEFAULT_STORAGE_CLASS`, names its provisioner). Its controller
/// runs as `ebs-csi-controller-sa` in `kube-system` (EKS User Guide, "Store Kubernetes volumes
/// with Amazon EBS"), with the AWS managed policy and, because the volumes are encrypted, the KMS
/// grants the guide adds for encryption keys, limited to EBS's use of keys of this account and
/// region.
pub(super) const EBS_CSI_DRIVER: &str = "aws-ebs-csi-driver";

fn ebs_csi_driver_identity(
    location: &AwsLocation,
    cluster: &str,
    origin: Span,
) -> WorkloadIdentity {
    let keys = vec![location.arn("kms", "key/*")];
    let via_ebs = (
        "StringEquals".to_string(),
        "kms:ViaService".to_string(),
        vec![format!("ec2.{}.amazonaws.com", location.region)],
    );
    WorkloadIdentity {
        owner: IdentityOwner::EksAddon {
            addon: EBS_CSI_DRIVER,
        },
        namespace: "kube-system".to_string(),
        service_account: "ebs-csi-controller-sa".to_string(),
        role_name: addon_role_name(cluster, "ebs-csi-driver"),
        permissions: vec![
            Permission {
                actions: actions(&[&["kms:CreateGrant", "kms:ListGrants", "kms:RevokeGrant"]]),
                resources: keys.clone(),
                conditions: vec![
                    (
                        "Bool".to_string(),
                        "kms:GrantIsForAWSResource".to_string(),
                        vec!["true".to_string()],
                    ),
                    via_ebs.clone(),
                ],
            },
            Permission {
                actions: actions(&[&[
                    "kms:Decrypt",
                    "kms:DescribeKey",
                    "kms:Encrypt",
                    "kms:GenerateDataKey*",
                    "kms:ReEncrypt*",
                ]]),
                resources: keys,
                conditions: vec![via_ebs],
            },
        ],
        managed_policies: vec![location.managed_policy("service-role/AmazonEBSCSIDriverPolicy")],
        origin,
    }
}

fn actions(parts: &[&[&'static str]]) -> Vec<String> {
    let set: BTreeSet<&'static str> = parts.iter().flat_map(|p| p.iter().copied()).collect();
    set.into_iter().map(str::to_string).collect()
}

/// Least-privilege statements for what a service declared: named resources only, no wildcard
/// actions, in the cluster's account and region (S3 buckets are global).
fn permissions(aws: &AwsAccess, location: &AwsLocation) -> Vec<Permission> {
    let mut out = Vec::new();
    for s3 in &aws.s3 {
        let prefix = s3.prefix.clone().unwrap_or_default();
        let bucket = format!("arn:{}:s3:::{}", location.partition, s3.bucket);
        let (read, write, delete) = match s3.access {
            ReadWrite::Read => (true, false, false),
            ReadWrite::Write => (false, true, false),
            ReadWrite::ReadWrite => (true, true, true),
        };
        let mut object_actions: Vec<&[&'static str]> = Vec::new();
        if read {
            object_actions.push(S3_READ);
        }
        if write {
            object_actions.push(S3_WRITE);
        }
        if delete {
            object_actions.push(S3_DELETE);
        }
        out.push(Permission {
            actions: actions(&object_actions),
            resources: vec![format!("{bucket}/{prefix}*")],
            conditions: Vec::new(),
        });
        if read {
            out.push(Permission {
                actions: vec!["s3:ListBucket".into()],
                resources: vec![bucket],
                conditions: s3
                    .prefix
                    .iter()
                    .map(|p| {
                        (
                            "StringLike".into(),
                            "s3:prefix".into(),
                            vec![format!("{p}*")],
                        )
                    })
                    .collect(),
            });
        }
    }
    for sqs in &aws.sqs {
        let parts: &[&[&'static str]] = match sqs.access {
            QueueAccess::Consume => &[SQS_CONSUME],
            QueueAccess::Send => &[SQS_SEND],
            QueueAccess::ConsumeSend => &[SQS_CONSUME, SQS_SEND],
        };
        out.push(Permission {
            actions: actions(parts),
            resources: vec![location.arn("sqs", &sqs.queue)],
            conditions: Vec::new(),
        });
    }
    for table in &aws.dynamodb {
        let parts: &[&[&'static str]] = match table.access {
            ReadWrite::Read => &[DYNAMODB_READ],
            ReadWrite::Write => &[DYNAMODB_WRITE],
            ReadWrite::ReadWrite => &[DYNAMODB_READ, DYNAMODB_WRITE],
        };
        let arn = location.arn("dynamodb", &format!("table/{}", table.table));
        out.push(Permission {
            actions: actions(parts),
            resources: vec![arn.clone(), format!("{arn}/index/*")],
            conditions: Vec::new(),
        });
    }
    if !aws.secrets_manager.is_empty() {
        out.push(Permission {
            actions: actions(&[SECRETS_READ]),
            // Secrets Manager appends six random characters to every secret's ARN.
            resources: aws
                .secrets_manager
                .iter()
                .map(|name| location.arn("secretsmanager", &format!("secret:{name}-??????")))
                .collect(),
            conditions: Vec::new(),
        });
    }
    out
}

/// The registry, when the Platform's is ECR (`<account>.dkr.ecr.<region>.amazonaws.com[/path]`):
/// a repository for every image the services run from it, pullable by every cluster's nodes.
fn registry(
    spec: &ResolvedSpec,
    terraform: &TerraformSettings,
    regions: &[RegionalFoundation],
) -> Option<Registry> {
    let registry = spec.platform.spec.registry.trim_end_matches('/');
    let (host, path) = registry.split_once('/').unwrap_or((registry, ""));
    let (account_id, rest) = host.split_once(".dkr.ecr.")?;
    let region = rest
        .strip_suffix(".amazonaws.com")
        .or_else(|| rest.strip_suffix(".amazonaws.com.cn"))?;
    if account_id.len() != 12 || !account_id.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let location = AwsLocation::new(account_id, region);
    let prefix = format!("{registry}/");
    let mut repositories = BTreeSet::new();
    for service in &spec.services {
        for instance in &service.instances {
            let Some(rest) = instance.image.value.strip_prefix(&prefix) else {
                continue;
            };
            let without_digest = rest.split('@').next().unwrap_or(rest);
            let (name, last) = match without_digest.rsplit_once('/') {
                Some((dir, last)) => (format!("{dir}/"), last),
                None => (String::new(), without_digest),
            };
            let image = last.split(':').next().unwrap_or(last);
            let repository = if path.is_empty() {
                format!("{name}{image}")
            } else {
                format!("{path}/{name}{image}")
            };
            repositories.insert(repository);
        }
    }
    let mut pullers: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for regional in regions {
        let roles = pullers
            .entry(regional.location.account_id.clone())
            .or_default();
        roles.push(
            regional
                .location
                .iam_arn(&format!("role/{}", regional.role_name("node"))),
        );
        // Nodes an add-on launches pull the same images.
        for nodes in &regional.node_provisioners {
            roles.push(
                regional
                    .location
                    .iam_arn(&format!("role/{}", nodes.node_role)),
            );
        }
    }
    for roles in pullers.values_mut() {
        roles.sort();
    }
    let platform = spec.platform.name();
    let github = terraform.github.as_ref().map(|github| {
        let subjects: BTreeSet<String> = github
            .repositories
            .iter()
            .flat_map(|repository| {
                github
                    .branches
                    .iter()
                    .map(move |branch| format!("repo:{repository}:ref:refs/heads/{branch}"))
            })
            .collect();
        GitHubDeploy {
            role_name: deploy_role_name(platform),
            subjects: subjects.into_iter().collect(),
        }
    });
    Some(Registry {
        tags: tags(platform, "shared", terraform),
        folder: REGISTRY_FOLDER.to_string(),
        location,
        repositories: repositories.into_iter().collect(),
        pullers,
        github,
        key_deletion_window_days: 30,
        source: spec.platform.doc.file,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cidr(text: &str) -> Option<Ipv4Cidr> {
        text.parse().ok()
    }

    #[test]
    fn subnets_split_the_vpc_into_private_quarters_and_public_sixteenths() {
        let network = cidr("10.8.0.0/16").and_then(|c| network(c, "eu-west-1", true));
        let subnets = network.map(|n| {
            let text = |v: Vec<Ipv4Cidr>| v.iter().map(ToString::to_string).collect::<Vec<_>>();
            (
                n.zones,
                text(n.private_subnets),
                text(n.public_subnets),
                n.nat_gateways,
            )
        });
        assert_eq!(
            subnets,
            Some((
                vec!["euw1-az1".into(), "euw1-az2".into(), "euw1-az3".into()],
                vec![
                    "10.8.0.0/18".into(),
                    "10.8.64.0/18".into(),
                    "10.8.128.0/18".into()
                ],
                vec![
                    "10.8.192.0/20".into(),
                    "10.8.208.0/20".into(),
                    "10.8.224.0/20".into()
                ],
                3
            ))
        );
    }

    #[test]
    fn zones_are_az_ids_where_eks_can_place_a_control_plane() {
        assert_eq!(zone_ids("us-east-1"), ["use1-az1", "use1-az2", "use1-az4"]);
        assert_eq!(
            zone_ids("ap-southeast-2"),
            ["apse2-az1", "apse2-az2", "apse2-az3"]
        );
        assert_eq!(zone_id_prefix("us-gov-west-1"), "usgw1");
        assert_eq!(zone_id_prefix("ca-central-1"), "cac1");
        assert_eq!(
            zone_ids("ca-central-1"),
            ["cac1-az1", "cac1-az2", "cac1-az4"]
        );
    }

    #[test]
    fn ami_type_follows_the_instance_types() {
        let types = |t: &[&str]| t.iter().map(|s| (*s).to_string()).collect::<Vec<_>>();
        assert_eq!(ami_type(&types(&["m6i.large"])), "AL2023_x86_64_STANDARD");
        assert_eq!(
            ami_type(&types(&["m7g.large", "c7g.large"])),
            "AL2023_ARM_64_STANDARD"
        );
        assert_eq!(ami_type(&types(&["g5.xlarge"])), "AL2023_x86_64_NVIDIA");
        assert_eq!(ami_type(&types(&["inf2.xlarge"])), "AL2023_x86_64_NEURON");
    }

    #[test]
    fn terraform_addresses_keep_tenants_and_resources_apart() {
        assert_eq!(
            terraform_address("shop", "checkout-carts", "aws_dynamodb_table.table"),
            "aws_dynamodb_table.shop__checkout_carts__table"
        );
        assert_eq!(
            terraform_address("shop", "carts", "data.aws_partition.current"),
            "data.aws_partition.shop__carts__current"
        );
        // `-` becomes `_`, and names never hold `_`: these differ only by where the tenant ends.
        assert_ne!(
            terraform_address("a-b", "c", "aws_kms_key.key"),
            terraform_address("a", "b-c", "aws_kms_key.key")
        );
    }

    #[test]
    fn shared_blocks_are_named_after_the_type_apart_from_every_request() {
        assert_eq!(
            request_address(
                "kafka-topic",
                "shop",
                "events",
                "shared.aws_msk_serverless_cluster.kafka"
            ),
            "aws_msk_serverless_cluster.kafka_topic__kafka"
        );
        assert_eq!(
            request_address(
                "kafka-topic",
                "shop",
                "events",
                "shared.data.aws_partition.current"
            ),
            "data.aws_partition.kafka_topic__current"
        );
        assert_eq!(
            request_address("kafka-topic", "shop", "events", "aws_kms_key.key"),
            "aws_kms_key.shop__events__key"
        );
        // Two parts against three: a tenant named like the type does not meet its shared block.
        assert_ne!(
            shared_address("kafka-topic", "aws_kms_key.a_b"),
            terraform_address("kafka-topic", "a", "aws_kms_key.b")
        );
        let (subnets, group) = network_expressions();
        assert_eq!(
            subnets,
            "[aws_subnet.private_0.id, aws_subnet.private_1.id, aws_subnet.private_2.id]"
        );
        assert_eq!(group, "aws_security_group.data.id");
    }
}
