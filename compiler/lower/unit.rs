//! Units: one tenant in one environment, lowered from one explicit input, [`UnitInput`], and
//! fingerprinted from that input before lowering, so that a compile (or a check) reusing an
//! earlier one lowers and emits only the units whose fingerprint changed.
//!
//! A unit's folder (`tenants/<tenant>/<env>/`) is a function of its [`TenantEnvironment`], the
//! Platform's GitOps source and layout, the names of the spec files (headers name them,
//! `FileId`s index them), the policies that evaluate its objects, and pave itself. The
//! `TenantEnvironment` is [`lower_unit`] of a [`UnitInput`], which reads nothing else, so the
//! [fingerprint](fingerprints) covers the folder when it covers each field of the input; it does,
//! field by field (the destructuring in [`unit_fingerprint`] names every one):
//!
//! - the resolved tenant and services are functions of their documents (the typed spec is read
//!   from the document's tree; spans only place diagnostics), of the platform-wide files
//!   (Platform, Environments, ResourceTypes, waivers, policies, Score overrides, the files a
//!   Score workload reads, anything else: every file that holds no Tenant or Service document,
//!   or holds another kind of document too) and of the other services' ports (`${services.*}`,
//!   Score `service-port`): the unit hashes its tenant's and services' documents, values without
//!   spans (a Score workload, whose other parts ride beside its document: its file's text) and
//!   the file each is in; the global part hashes every platform-wide file and the whole port
//!   table;
//! - the other tenants calling its services are hashed as they are (tenant names);
//! - the values taken from the platform (account, telemetry endpoint, namespace labels, ingress,
//!   stdlib defaults) are hashed as they are, besides their files being in the global part.
//!
//! The global part also holds pave's build (`PAVE_BUILD_ID`), every file's name in order, the
//! policies' digest (`Policies::digest`: rules, switches, parameters, waivers in force) and
//! [`SCHEME`]. So an edit of one service's document changes its tenant's units (a comment
//! nothing); an edit of a Tenant its units; a new dependency across tenants the callee's units too (its `called_by_tenants`);
//! a port the whole platform's; anything else (a platform file, a file added or renamed, a new
//! pave) every unit. Never reads files: the texts come from the `SourceMap`.

use std::collections::{BTreeMap, BTreeSet};

use rayon::prelude::*;

use super::{
    COST_CENTER_LABEL, ENVIRONMENT_LABEL, MANAGED_BY, Origin, RegionalResources, TENANT_LABEL,
    TenantEnvironment, Workload, add_otlp_env, capsule_label, environment_account, otlp_endpoint,
    owner_role, regional_resources, resource, workload,
};
use crate::parse::yaml::{Entry, Node, Value};
use crate::parse::{Document, IngressSettings, Quota, WorkloadKind};
use crate::resolve::{
    Environment, ResolvedSpec, Service, ServiceInstance, StdLimitRange, StdProbes, Tenant,
};
use crate::source::{FileId, SourceMap};

/// The fingerprints' scheme: changed whenever what they mean changes, so that fingerprints
/// recorded by a pave with another scheme never match (the build id changes too; this says so
/// where the scheme is).
pub const SCHEME: &str = "pave unit fingerprint 2: the unit's input, before lower";

/// What every unit reads of the platform: the same for all.
#[derive(Debug)]
pub struct UnitShared<'a> {
    pub platform: &'a str,
    pub ingress: &'a IngressSettings,
    pub probes: &'a StdProbes,
    pub limit_range: &'a StdLimitRange,
}

/// Everything lowering one unit reads: [`lower_unit`] takes this and nothing else.
#[derive(Debug)]
pub struct UnitInput<'a> {
    pub tenant: &'a Tenant,
    pub environment: &'a str,
    pub env: &'a Environment,
    /// The tenant's quota in the environment (its own, or the defaults').
    pub quota: &'a Quota,
    /// The tenant's services, in spec order (those without an instance here included).
    pub services: Vec<&'a Service>,
    /// For each of `services`, the other tenants with services that call it here.
    pub callers: Vec<Option<&'a BTreeSet<String>>>,
    /// The environment's AWS account ID.
    pub account: String,
    /// Where the environment's workloads send telemetry.
    pub otlp: Option<String>,
    /// The namespace's own labels (the tenant's, and Capsule's).
    pub namespace_labels: BTreeMap<String, String>,
    pub shared: &'a UnitShared<'a>,
}

impl UnitInput<'_> {
    /// The unit's namespace.
    pub fn namespace(&self) -> String {
        crate::resolve::namespace_name(self.tenant.name(), self.environment)
    }

    /// The services that run here, with their instance and callers.
    fn instances(
        &self,
    ) -> impl Iterator<Item = (&Service, &ServiceInstance, Option<&BTreeSet<String>>)> {
        self.services
            .iter()
            .zip(&self.callers)
            .filter_map(|(service, callers)| {
                let instance = service
                    .instances
                    .iter()
                    .find(|i| i.environment == self.environment)?;
                Some((*service, instance, *callers))
            })
    }
}

/// What the rest of the plan reads of a unit, lowered or not (cluster Kustomizations, the
/// Crossplane control plane, Gatekeeper's context): taken from its input, so a unit that is not
/// lowered still has it.
#[derive(Debug, Clone)]
pub struct UnitOutline {
    pub tenant: String,
    pub environment: String,
    pub namespace: String,
    /// The clusters (and their regions) where it has managed resources, in the Environment's
    /// order of regions.
    pub resource_clusters: Vec<(String, String)>,
    /// Whether one of its resources is provided by Crossplane (a composite).
    pub crossplane_resources: bool,
    /// Whether one of its workloads has an ingress.
    pub ingress: bool,
    /// Its services with a public ingress.
    pub public_ingress: Vec<String>,
    /// Its workloads an autoscaler scales: kind and name.
    pub autoscaled: Vec<(WorkloadKind, String)>,
    /// Its reuse fingerprint, when the plan was made reusing an earlier one's units.
    pub fingerprint: Option<String>,
    /// Whether it is lowered (in `Plan::units`); when not, its folder is reused as it is.
    pub lowered: bool,
}

/// The units' inputs, in order (by tenant, then environment).
pub(super) fn unit_inputs<'a>(
    spec: &'a ResolvedSpec,
    shared: &'a UnitShared<'a>,
    callers: &'a BTreeMap<(&'a str, &'a str, &'a str), BTreeSet<String>>,
) -> Vec<UnitInput<'a>> {
    // Each tenant's services, indexed once (in spec order): a scan of every service per tenant
    // is 2 million comparisons at 10,000 services.
    let mut services_of: BTreeMap<&str, Vec<&Service>> = BTreeMap::new();
    for service in &spec.services {
        services_of
            .entry(service.tenant.as_str())
            .or_default()
            .push(service);
    }
    spec.tenants
        .values()
        .flat_map(|tenant| {
            let services = services_of.get(tenant.name()).cloned().unwrap_or_default();
            tenant
                .quotas
                .iter()
                .filter_map(move |(env_name, quota)| {
                    let env = spec.environments.get(env_name)?;
                    let callers = services
                        .iter()
                        .map(|service| {
                            callers.get(&(
                                service.tenant.as_str(),
                                service.name(),
                                env_name.as_str(),
                            ))
                        })
                        .collect();
                    Some(UnitInput {
                        tenant,
                        environment: env_name,
                        env,
                        quota,
                        services: services.clone(),
                        callers,
                        account: environment_account(spec, env_name),
                        otlp: otlp_endpoint(spec, env_name),
                        namespace_labels: capsule_label(spec, env_name, tenant),
                        shared,
                    })
                })
                .collect::<Vec<_>>()
        })
        .collect()
}

/// Lowers one unit from its input alone.
pub(super) fn lower_unit(input: &UnitInput<'_>) -> TenantEnvironment {
    let tenant = input.tenant;
    let env_name = input.environment;
    let mut labels = BTreeMap::new();
    labels.insert(MANAGED_BY.to_string(), "pave".to_string());
    labels.insert(TENANT_LABEL.to_string(), tenant.name().to_string());
    labels.insert(ENVIRONMENT_LABEL.to_string(), env_name.to_string());
    labels.insert(
        COST_CENTER_LABEL.to_string(),
        tenant.parsed.spec.cost_center.clone(),
    );
    let namespace = input.namespace();
    let names = resource::UnitNames {
        platform: input.shared.platform,
        namespace: &namespace,
        account: &input.account,
    };
    let workloads: Vec<Workload> = input
        .instances()
        .map(|(service, instance, callers)| {
            let mut workload = workload(
                service,
                instance,
                &labels,
                input.shared.probes,
                callers,
                &names,
            );
            if let Some(otlp) = &input.otlp {
                add_otlp_env(&mut workload, otlp);
            }
            workload
        })
        .collect();
    let resources = regional_resources(
        &input.services,
        env_name,
        &input.env.parsed.spec.regions,
        &labels,
        &names,
    );
    let ingress = input.shared.ingress;
    TenantEnvironment {
        tenant: tenant.name().to_string(),
        environment: env_name.to_string(),
        tier: input.env.tier,
        kubernetes_version: input.env.parsed.spec.kubernetes_version.clone(),
        namespace,
        namespace_labels: input.namespace_labels.clone(),
        labels,
        quota: input.quota.clone(),
        limit_range: input.shared.limit_range.clone(),
        owners: tenant.parsed.spec.owners.clone(),
        owner_role: owner_role(input.env.tier),
        ingress_controller_namespace: ingress.controller_namespace.clone(),
        ingress_source_cidrs: ingress.source_cidrs.clone(),
        ingress_class: ingress.class_name.clone(),
        claims: workloads
            .iter()
            .flat_map(|w| &w.claims)
            .filter_map(|name| {
                let volume = tenant.parsed.spec.volumes.get(name)?;
                let at = tenant.parsed.doc.span(&["spec", "volumes", name]);
                Some((name.clone(), (volume.clone(), Origin(at))))
            })
            .collect(),
        workloads,
        resources,
        source: tenant.parsed.doc.file,
        document: Origin(tenant.parsed.doc.head_span()),
        quota_span: Origin(
            match tenant.parsed.doc.node(&["spec", "quotas", env_name]) {
                Some(_) => tenant.parsed.doc.span(&["spec", "quotas", env_name]),
                None => tenant.parsed.doc.head_span(),
            },
        ),
        owners_span: Origin(tenant.parsed.doc.span(&["spec", "owners"])),
    }
}

/// A unit's outline from its input and its resources (the lowered unit's, or
/// [`unit_resources`] for one that is not lowered).
pub(super) fn outline(
    input: &UnitInput<'_>,
    resources: &[RegionalResources],
    fingerprint: Option<String>,
    lowered: bool,
) -> UnitOutline {
    let mut public_ingress = Vec::new();
    let mut autoscaled = Vec::new();
    let mut ingress = false;
    // As `workload` copies them: the ingress, the kind, the replicas.
    for (service, instance, _) in input.instances() {
        if let Some(found) = &instance.ingress {
            ingress = true;
            if found.value.public {
                public_ingress.push(service.name().to_string());
            }
        }
        let kind = service.parsed.spec.workload;
        if super::autoscaled(kind, instance.replicas.value) {
            autoscaled.push((kind, service.name().to_string()));
        }
    }
    UnitOutline {
        tenant: input.tenant.name().to_string(),
        environment: input.environment.to_string(),
        namespace: input.namespace(),
        resource_clusters: resources
            .iter()
            .map(|r| (r.cluster.clone(), r.region.clone()))
            .collect(),
        crossplane_resources: resources.iter().any(|r| {
            r.resources
                .iter()
                .any(|resource| resource.objects.is_empty())
        }),
        ingress,
        public_ingress,
        autoscaled,
        fingerprint,
        lowered,
    }
}

/// The managed resources of a unit that is not lowered, for its outline: as [`lower_unit`]
/// plans them.
pub(super) fn unit_resources(input: &UnitInput<'_>) -> Vec<RegionalResources> {
    let namespace = input.namespace();
    let names = resource::UnitNames {
        platform: input.shared.platform,
        namespace: &namespace,
        account: &input.account,
    };
    // The labels do not reach the outline; the regions and kinds of resources do.
    regional_resources(
        &input.services,
        input.environment,
        &input.env.parsed.spec.regions,
        &BTreeMap::new(),
        &names,
    )
}

/// Length-prefixed fields into one BLAKE3 hash, so no two sequences of fields hash alike.
struct Fields(blake3::Hasher);

impl Fields {
    fn new() -> Fields {
        Fields(blake3::Hasher::new())
    }

    fn field(&mut self, bytes: &[u8]) {
        self.0.update(&(bytes.len() as u64).to_le_bytes());
        self.0.update(bytes);
    }

    /// A value by its `Debug` form: complete and ordered for these types (sorted maps, lists
    /// in order).
    fn debug(&mut self, value: &impl std::fmt::Debug) {
        self.field(format!("{value:?}").as_bytes());
    }
}

/// The files whose every document is a Tenant or a Service (or a Score workload): what they say
/// reaches only the units of those tenants and services (and the other services through the
/// port table, hashed whole). Every other file is platform-wide.
fn unit_files(spec: &ResolvedSpec) -> BTreeSet<FileId> {
    let mut files: BTreeSet<FileId> = spec.tenants.values().map(|t| t.parsed.doc.file).collect();
    files.extend(spec.services.iter().map(|s| s.parsed.doc.file));
    // A file that holds another kind of document too is platform-wide. (Score overrides and the
    // files a Score workload reads are never a Tenant's or Service's file, so they are too.)
    let mut others = vec![spec.platform.doc.file];
    others.extend(spec.environments.values().map(|e| e.parsed.doc.file));
    others.extend(spec.waivers.values().map(|w| w.doc.file));
    others.extend(spec.resource_catalogue.types.values().map(|t| t.data.file));
    for file in others {
        files.remove(&file);
    }
    files
}

/// The fingerprint of each unit's input, in order (hex BLAKE3): see the module doc.
pub(super) fn fingerprints(
    spec: &ResolvedSpec,
    inputs: &[UnitInput<'_>],
    source_map: &SourceMap,
    policies_digest: &str,
    shared: &UnitShared<'_>,
) -> Vec<String> {
    let unit_files = unit_files(spec);
    let mut global = Fields::new();
    global.field(SCHEME.as_bytes());
    global.field(env!("PAVE_BUILD_ID").as_bytes());
    global.field(policies_digest.as_bytes());
    global.debug(shared);
    global.debug(&crate::resolve::port_table(
        spec.services.iter().map(|s| &s.parsed),
    ));
    for (id, file) in source_map.files() {
        global.field(file.name.as_bytes());
        if !unit_files.contains(&id) {
            global.debug(&(file.origin, &file.problem));
            global.field(file.text.as_bytes());
        }
    }
    let global = global.0.finalize();
    // Each Tenant's and Service's document hashed once (a tenant's services are read by each of
    // its environments).
    let tenants: BTreeMap<&str, blake3::Hash> = spec
        .tenants
        .par_iter()
        .map(|(name, tenant)| (name.as_str(), document_hash(&tenant.parsed.doc)))
        .collect();
    let services: BTreeMap<(&str, &str), blake3::Hash> = spec
        .services
        .par_iter()
        .map(|service| {
            let hash = if service.parsed.spec.score.is_some() {
                // A Score workload's parts beyond its Service-shaped document (other
                // containers, files, volumes) are read from the file itself: its whole text.
                blake3::hash(source_map.get(service.parsed.doc.file).text.as_bytes())
            } else {
                document_hash(&service.parsed.doc)
            };
            ((service.tenant.as_str(), service.name()), hash)
        })
        .collect();
    inputs
        .par_iter()
        .map(|input| unit_fingerprint(input, global.as_bytes(), &tenants, &services))
        .collect()
}

/// A document's hash: every node's value, without the spans (where a value is written reaches
/// diagnostics only, and a reused unit has none: a comment atop a file changes nothing).
fn document_hash(document: &Document) -> blake3::Hash {
    fn walk(out: &mut Vec<u8>, node: &Node) {
        // Every field by name: a new one must be decided here.
        let Node {
            span: _,
            value,
            flow: _,
        } = node;
        let bytes = |out: &mut Vec<u8>, tag: u8, bytes: &[u8]| {
            out.push(tag);
            out.extend_from_slice(&(bytes.len() as u64).to_le_bytes());
            out.extend_from_slice(bytes);
        };
        match value {
            Value::Null => out.push(0),
            Value::Bool(b) => bytes(out, 1, &[u8::from(*b)]),
            Value::Int(i) => bytes(out, 2, &i.to_le_bytes()),
            Value::Float(f) => bytes(out, 3, &f.to_bits().to_le_bytes()),
            Value::String(text) => bytes(out, 4, text.as_bytes()),
            Value::Seq(items) => {
                bytes(out, 5, &(items.len() as u64).to_le_bytes());
                for item in items {
                    walk(out, item);
                }
            }
            Value::Map(entries) => {
                bytes(out, 6, &(entries.len() as u64).to_le_bytes());
                for Entry {
                    key,
                    key_span: _,
                    value,
                } in entries
                {
                    bytes(out, 7, key.as_bytes());
                    walk(out, value);
                }
            }
        }
    }
    let mut out = Vec::with_capacity(4096);
    walk(&mut out, &document.root);
    blake3::hash(&out)
}

/// One unit's fingerprint: every field of its input, each by what decides it.
fn unit_fingerprint(
    input: &UnitInput<'_>,
    global: &[u8; 32],
    tenants: &BTreeMap<&str, blake3::Hash>,
    services: &BTreeMap<(&str, &str), blake3::Hash>,
) -> String {
    let UnitInput {
        tenant,
        environment,
        // Its file is platform-wide.
        env: _,
        quota,
        services: unit_services,
        callers,
        account,
        otlp,
        namespace_labels,
        // In the global part.
        shared: _,
    } = input;
    let hash = |hash: Option<&blake3::Hash>| hash.map_or([0; 32], |hash| *hash.as_bytes());
    let mut fields = Fields::new();
    fields.field(global);
    fields.field(environment.as_bytes());
    fields.field(tenant.name().as_bytes());
    fields.field(&hash(tenants.get(tenant.name())));
    fields.field(&tenant.parsed.doc.file.index().to_le_bytes());
    fields.debug(quota);
    for (service, callers) in unit_services.iter().zip(callers) {
        fields.field(service.tenant.as_bytes());
        fields.field(service.name().as_bytes());
        fields.field(&hash(
            services.get(&(service.tenant.as_str(), service.name())),
        ));
        // The file it is in (the headers name it).
        fields.field(&service.parsed.doc.file.index().to_le_bytes());
        fields.debug(callers);
    }
    fields.debug(&(account, otlp, namespace_labels));
    fields.0.finalize().to_hex().to_string()
}
