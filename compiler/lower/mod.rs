//! Lower: the validated platform to a target-neutral [`Plan`]: for each tenant and environment,
//! the namespace with its guardrails and the workloads in it, and (when the Platform asks for
//! it) the cloud [`Foundation`] each environment and region runs on; every value final (defaults
//! applied, names, labels, address blocks and permissions derived). Emitters only translate a
//! plan into their target's objects. Never reads files.

mod foundation;

use std::collections::{BTreeMap, BTreeSet};

pub use foundation::{
    AwsLocation, Foundation, GitHubDeploy, Network, Permission, PlannedDns, PlannedNodeGroup,
    PlannedTaint, REGISTRY_FOLDER, RegionalFoundation, Registry, StateBackend, WorkloadIdentity,
    ZONES, ZoneSource,
};

use crate::parse::{Ingress, Owners, Quota, Replicas, Resources, Tier, WorkloadKind};
use crate::resolve::{ResolvedSpec, SecretRef, Service, ServiceInstance, StdLimitRange, StdProbes};
use crate::source::FileId;
use crate::validate::ValidatedSpec;

/// Everything to generate, sorted by tenant and environment.
#[derive(Debug, Clone)]
pub struct Plan {
    pub platform: String,
    pub units: Vec<TenantEnvironment>,
    /// The cloud foundation; `None` unless the Platform has a `terraform` section.
    pub foundation: Option<Foundation>,
}

/// One tenant in one environment: a namespace and its workloads.
#[derive(Debug, Clone)]
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
    /// Other tenants whose namespaces (in the same environment) may reach every workload.
    pub allow_from_tenants: Vec<String>,
    pub ingress_controller_namespace: String,
    pub ingress_source_cidrs: Vec<String>,
    pub ingress_class: String,
    pub workloads: Vec<Workload>,
    /// The Tenant spec file.
    pub source: FileId,
}

/// One service in one environment.
#[derive(Debug, Clone)]
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
    pub env: BTreeMap<String, String>,
    pub secrets: BTreeMap<String, SecretRef>,
    pub liveness: Option<PlannedProbe>,
    pub readiness: Option<PlannedProbe>,
    pub ingress: Option<Ingress>,
    pub schedule: Option<String>,
    pub automount_token: bool,
    /// Other tenants with services that call this one (same environment).
    pub called_by_tenants: Vec<String>,
    /// Labels of this workload's objects (the unit's plus `app.kubernetes.io/*`).
    pub labels: BTreeMap<String, String>,
    /// Labels that select its pods.
    pub selector: BTreeMap<String, String>,
    /// The Service spec file.
    pub source: FileId,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlannedPort {
    pub name: String,
    pub port: u16,
    pub protocol: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlannedProbe {
    /// HTTP GET path; TCP when `None`.
    pub path: Option<String>,
    pub port: u16,
    pub initial_delay_seconds: u32,
    pub period_seconds: u32,
    pub timeout_seconds: u32,
    pub failure_threshold: u32,
}

pub const MANAGED_BY: &str = "app.kubernetes.io/managed-by";
pub const TENANT_LABEL: &str = "pave.dev/tenant";
pub const ENVIRONMENT_LABEL: &str = "pave.dev/environment";
pub const COST_CENTER_LABEL: &str = "pave.dev/cost-center";

pub fn lower(validated: &ValidatedSpec) -> Plan {
    let spec = validated.spec();
    let callers = cross_tenant_callers(spec);
    let mut units = Vec::new();
    for tenant in spec.tenants.values() {
        let services: Vec<&Service> = spec
            .services
            .iter()
            .filter(|s| s.tenant == tenant.name())
            .collect();
        for (env_name, quota) in &tenant.quotas {
            let Some(env) = spec.environments.get(env_name) else {
                continue;
            };
            let mut labels = BTreeMap::new();
            labels.insert(MANAGED_BY.to_string(), "pave".to_string());
            labels.insert(TENANT_LABEL.to_string(), tenant.name().to_string());
            labels.insert(ENVIRONMENT_LABEL.to_string(), env_name.clone());
            labels.insert(
                COST_CENTER_LABEL.to_string(),
                tenant.parsed.spec.cost_center.clone(),
            );
            let workloads = services
                .iter()
                .filter_map(|service| {
                    let instance = service
                        .instances
                        .iter()
                        .find(|i| &i.environment == env_name)?;
                    let callers =
                        callers.get(&(service.tenant.as_str(), service.name(), env_name.as_str()));
                    Some(workload(
                        service,
                        instance,
                        &labels,
                        &spec.stdlib.defaults.probes,
                        callers,
                    ))
                })
                .collect();
            let mut allow_from: Vec<String> = tenant.parsed.spec.network.allow_from.clone();
            allow_from.sort();
            allow_from.dedup();
            units.push(TenantEnvironment {
                tenant: tenant.name().to_string(),
                environment: env_name.clone(),
                tier: env.tier,
                kubernetes_version: env.parsed.spec.kubernetes_version.clone(),
                namespace: format!("{}-{env_name}", tenant.name()),
                namespace_labels: tenant.parsed.spec.labels.clone(),
                labels,
                quota: quota.clone(),
                limit_range: spec.stdlib.defaults.limit_range.clone(),
                owners: tenant.parsed.spec.owners.clone(),
                owner_role: if env.tier == Tier::Production {
                    "view"
                } else {
                    "edit"
                },
                allow_from_tenants: allow_from,
                ingress_controller_namespace: spec
                    .platform
                    .spec
                    .ingress
                    .controller_namespace
                    .clone(),
                ingress_source_cidrs: spec.platform.spec.ingress.source_cidrs.clone(),
                ingress_class: spec.platform.spec.ingress.class_name.clone(),
                workloads,
                source: tenant.parsed.doc.file,
            });
        }
    }
    Plan {
        platform: spec.platform.name().to_string(),
        units,
        foundation: foundation::foundation(spec),
    }
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

fn workload(
    service: &Service,
    instance: &ServiceInstance,
    unit_labels: &BTreeMap<String, String>,
    probe_defaults: &StdProbes,
    callers: Option<&BTreeSet<String>>,
) -> Workload {
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
            protocol: p.protocol.clone().unwrap_or_else(|| "TCP".into()),
        })
        .collect();
    if let Some(port) = spec.port {
        ports.insert(
            0,
            PlannedPort {
                name: "http".into(),
                port,
                protocol: "TCP".into(),
            },
        );
    }
    let main_port = ports.iter().find(|p| p.protocol == "TCP").map(|p| p.port);
    let probe = |given: &Option<crate::parse::Probe>| -> Option<PlannedProbe> {
        if !spec.workload.is_long_running() {
            return None;
        }
        let given = given.clone().unwrap_or_default();
        let port = given.port.or(main_port)?;
        Some(PlannedProbe {
            path: given.path,
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
    };
    let name = service.name().to_string();
    let mut selector = BTreeMap::new();
    selector.insert("app.kubernetes.io/name".to_string(), name.clone());
    let mut labels = unit_labels.clone();
    labels.extend(service.parsed.metadata.labels.clone());
    labels.extend(selector.clone());
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
        env: instance.env.clone(),
        secrets: instance.secrets.clone(),
        ingress: instance.ingress.as_ref().map(|i| i.value.clone()),
        schedule: instance.schedule.as_ref().map(|s| s.value.clone()),
        automount_token: spec.service_account.automount_token,
        called_by_tenants: callers
            .map(|c| c.iter().cloned().collect())
            .unwrap_or_default(),
        labels,
        selector,
        source: service.parsed.doc.file,
    }
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
