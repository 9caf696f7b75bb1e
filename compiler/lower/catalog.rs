//! The platform as a catalog: tenants with their owners, services with what they call, the
//! managed resources they use and the hosts they answer on. One model, read by the Backstage
//! emitter (`emit/backstage.rs`) and by `pave graph`, so the catalog and the picture never
//! disagree.

use std::collections::{BTreeMap, BTreeSet};

use crate::parse::{Tier, WorkloadKind};
use crate::resolve::{ResolvedSpec, Service};
use crate::source::FileId;

use super::TENANT_LABEL;

/// Every tenant of the platform, sorted by name, with its services and resources.
#[derive(Debug, Clone)]
pub struct Catalog {
    pub platform: String,
    /// Where the specs are browsed: the GitOps repository (the platform root is its root, since
    /// the tree's `spec.gitops.path` is both relative to the platform root and Flux's path in
    /// the repository) and its branch.
    pub repository: Option<(String, String)>,
    pub tenants: Vec<CatalogTenant>,
    /// The Platform spec file.
    pub source: FileId,
    /// Which exports the Platform asks for (`spec.catalog`): Backstage entities, Port's
    /// blueprints and entities.
    pub backstage: bool,
    pub port: bool,
}

#[derive(Debug, Clone)]
pub struct CatalogTenant {
    pub name: String,
    /// The identity-provider groups and users that own it, as the Tenant spec lists them.
    pub owner_groups: Vec<String>,
    pub owner_users: Vec<String>,
    pub environments: Vec<String>,
    /// The Tenant spec file.
    pub source: FileId,
    /// Sorted by name.
    pub services: Vec<CatalogService>,
    /// The managed resources its services use, by name in the tenant (`<service>-<request>`,
    /// or the shared `id`), sorted.
    pub resources: Vec<CatalogResource>,
}

/// What kind of software a service is, in catalog terms.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ComponentType {
    /// A workload that answers requests.
    Service,
    /// A workload with a public ingress in some environment.
    Website,
    /// A CronJob or Job.
    Job,
}

impl ComponentType {
    pub fn as_str(self) -> &'static str {
        match self {
            ComponentType::Service => "service",
            ComponentType::Website => "website",
            ComponentType::Job => "job",
        }
    }
}

#[derive(Debug, Clone)]
pub struct CatalogService {
    pub name: String,
    pub tenant: String,
    pub workload: WorkloadKind,
    pub component_type: ComponentType,
    /// Whether it runs in a production-tier environment.
    pub production: bool,
    /// The services it calls, `(tenant, service)`, in spec order.
    pub depends_on: Vec<(String, String)>,
    /// The names of the managed resources it uses (in its tenant), sorted.
    pub resources: Vec<String>,
    /// The environments it runs in, sorted.
    pub environments: Vec<String>,
    /// Where it answers HTTP, per environment: its ingress URL, or its in-cluster URL when it
    /// has an HTTP port but no ingress. Empty when it serves no HTTP.
    pub endpoints: Vec<Endpoint>,
    /// The labels every object of its workload carries that select it alone, as
    /// `key=value,...` (Kubernetes label-selector syntax).
    pub label_selector: String,
    /// Its spec file.
    pub source: FileId,
}

/// One URL a service answers on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    pub environment: String,
    pub url: String,
    /// Whether the URL is an ingress (else the in-cluster Service address).
    pub ingress: bool,
}

#[derive(Debug, Clone)]
pub struct CatalogResource {
    pub name: String,
    /// The managed resource type (`postgres`, `s3-bucket`, ...).
    pub resource_type: String,
    /// The services that use it, sorted.
    pub used_by: Vec<String>,
    pub environments: Vec<String>,
    pub regions: Vec<String>,
    /// The spec file of the first service that declares it.
    pub source: FileId,
}

/// The catalog of a resolved platform.
pub fn catalog(spec: &ResolvedSpec) -> Catalog {
    let platform = &spec.platform;
    let repository = platform
        .spec
        .gitops
        .repository
        .clone()
        .map(|url| (url, platform.spec.gitops.branch.clone()));
    let mut services_of: BTreeMap<&str, Vec<&Service>> = BTreeMap::new();
    for service in &spec.services {
        services_of
            .entry(service.tenant.as_str())
            .or_default()
            .push(service);
    }
    let tenants = spec
        .tenants
        .values()
        .map(|tenant| {
            let services = services_of
                .get(tenant.name())
                .map_or(&[][..], Vec::as_slice);
            let mut resources: BTreeMap<String, CatalogResource> = BTreeMap::new();
            let mut catalog_services: Vec<CatalogService> = services
                .iter()
                .map(|service| catalog_service(spec, service, &mut resources))
                .collect();
            catalog_services.sort_by(|a, b| a.name.cmp(&b.name));
            CatalogTenant {
                name: tenant.name().to_string(),
                owner_groups: tenant.parsed.spec.owners.groups.clone(),
                owner_users: tenant.parsed.spec.owners.users.clone(),
                environments: tenant.quotas.keys().cloned().collect(),
                source: tenant.parsed.doc.file,
                services: catalog_services,
                resources: resources.into_values().collect(),
            }
        })
        .collect();
    Catalog {
        platform: platform.name().to_string(),
        repository,
        tenants,
        source: platform.doc.file,
        backstage: platform.spec.catalog.backstage,
        port: platform.spec.catalog.port,
    }
}

fn catalog_service(
    spec: &ResolvedSpec,
    service: &Service,
    resources: &mut BTreeMap<String, CatalogResource>,
) -> CatalogService {
    let name = service.name().to_string();
    let service_spec = &service.parsed.spec;
    let namespace = |env: &str| format!("{}-{env}", service.tenant);
    let http_port = http_port(service);
    let mut endpoints = Vec::new();
    let mut production = false;
    let mut public = false;
    let mut own_resources = BTreeSet::new();
    for instance in &service.instances {
        let env = &instance.environment;
        if spec
            .environments
            .get(env)
            .is_some_and(|e| e.tier == Tier::Production)
        {
            production = true;
        }
        if let Some(ingress) = &instance.ingress {
            public |= ingress.value.public;
            endpoints.push(Endpoint {
                environment: env.clone(),
                url: format!("https://{}{}", ingress.value.host, ingress.value.path),
                ingress: true,
            });
        } else if let Some(port) = http_port {
            endpoints.push(Endpoint {
                environment: env.clone(),
                url: format!("http://{name}.{}.svc.cluster.local:{port}", namespace(env)),
                ingress: false,
            });
        }
        for resource_use in &instance.requires {
            let resource_name = resource_use.resource_name(&name);
            own_resources.insert(resource_name.clone());
            let entry = resources
                .entry(resource_name.clone())
                .or_insert_with(|| CatalogResource {
                    name: resource_name,
                    resource_type: resource_use.resource_type.as_str().to_string(),
                    used_by: Vec::new(),
                    environments: Vec::new(),
                    regions: Vec::new(),
                    source: service.parsed.doc.file,
                });
            insert_sorted(&mut entry.used_by, &name);
            insert_sorted(&mut entry.environments, env);
            for region in resource_use.regions.keys() {
                insert_sorted(&mut entry.regions, region);
            }
        }
    }
    let component_type = match service_spec.workload {
        WorkloadKind::CronJob | WorkloadKind::Job => ComponentType::Job,
        WorkloadKind::Deployment | WorkloadKind::StatefulSet if public => ComponentType::Website,
        WorkloadKind::Deployment | WorkloadKind::StatefulSet => ComponentType::Service,
    };
    CatalogService {
        label_selector: label_selector(&service.tenant, &name),
        tenant: service.tenant.clone(),
        workload: service_spec.workload,
        component_type,
        production,
        depends_on: service
            .dependencies
            .iter()
            .map(|d| (d.tenant.clone(), d.service.clone()))
            .collect(),
        resources: own_resources.into_iter().collect(),
        environments: service
            .instances
            .iter()
            .map(|i| i.environment.clone())
            .collect(),
        endpoints,
        source: service.parsed.doc.file,
        name,
    }
}

/// The Service port that speaks HTTP: the `port` shorthand, or a port named `http`, `https` or
/// `http-*` (the Kubernetes and Istio naming convention for a port's protocol), else the first
/// port when it has no name (lower names it `http`).
fn http_port(service: &Service) -> Option<u16> {
    let spec = &service.parsed.spec;
    if let Some(port) = spec.port {
        return Some(port);
    }
    spec.ports
        .iter()
        .enumerate()
        .find(|(i, p)| match &p.name {
            Some(name) => name == "http" || name == "https" || name.starts_with("http-"),
            None => *i == 0,
        })
        .map(|(_, p)| p.port)
}

/// The labels that select a service's objects in every cluster: its name and its tenant (two
/// tenants may have services of the same name). The same keys `lower` puts on every object.
pub fn label_selector(tenant: &str, service: &str) -> String {
    format!("{NAME_LABEL}={service},{TENANT_LABEL}={tenant}")
}

/// The label `lower` selects a workload's pods by.
pub const NAME_LABEL: &str = "app.kubernetes.io/name";

fn insert_sorted(list: &mut Vec<String>, value: &str) {
    if let Err(at) = list.binary_search_by(|v| v.as_str().cmp(value)) {
        list.insert(at, value.to_string());
    }
}
