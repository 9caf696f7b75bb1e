//! Resolve: names looked up, defaults and per-environment overrides merged.
//!
//! In: [`ParsedSpecs`]. Out: a [`ResolvedSpec`] where every reference (tenant, environment,
//! account, region, size class, dependency) points at something that exists, and every service
//! has one [`ServiceInstance`] per environment its tenant uses, with every setting decided; every
//! add-on of the catalogue has one [`AddonInstance`] per environment.
//! Each decided value keeps the span of the spec node it came from. Never reads files.

mod addon;
mod dependency;
mod foundation;
mod resource;
mod score;
mod stdlib;
pub mod type_template;

use rayon::prelude::*;
use std::collections::{BTreeMap, BTreeSet, HashMap};

pub use addon::{
    ADDON_HOST, ADDON_INTERRUPTION_QUEUE, ADDON_NODE_ROLE, ADDON_TLS_SUBJECT, Addon,
    AddonDependency, AddonInstance, PLATFORM_APPLIER_VARIABLE, VARIABLES, merge_values, substitute,
    substitute_json,
};
pub use dependency::{SERVICE_OUTPUTS, namespace_name};
pub use foundation::{
    CLUSTER_ROLES, EnvironmentFoundation, MAX_CLUSTER_NAME, MAX_ROLE_NAME, REGION_PREFIX,
    addon_node_role_name, addon_role_name, cluster_name, deploy_role_name, interruption_queue_name,
    role_arn_problem, workload_role_name,
};
pub use resource::{
    ATLAS_ENVIRONMENT_CONFIG, CatalogueClass, CatalogueType, ClassChoice, DataType, DecidedParams,
    EnvPart, MatchedRule, NETWORK_ENVIRONMENT_CONFIG, ParamSource, ResourceCatalogue, ResourceUse,
    composite_kind,
};
pub use score::{ContainerInstance, ResolvedContent, ResolvedFile};
pub use stdlib::{StdDefaults, StdLimitRange, StdProbes, Stdlib};

use crate::diagnostic::{Diagnostic, DiagnosticKind, RefKind, StageResult, finish};
use crate::parse::{
    AwsAccess, Document, EnvValue, EnvironmentSpec, Ingress, Parsed, ParsedSpecs, PlatformSpec,
    Quota, Replicas, Resources, ServiceOverride, ServiceSpec, TenantSpec, Tier, WaiverSpec,
};
use crate::source::Span;

/// A value with the span of the spec node that decided it.
#[derive(Debug, Clone, PartialEq)]
pub struct Sourced<T> {
    pub value: T,
    /// `None` when a built-in default decided it.
    pub span: Option<Span>,
}

/// The whole platform, resolved.
#[derive(Debug, Clone)]
pub struct ResolvedSpec {
    pub platform: Parsed<PlatformSpec>,
    pub stdlib: Stdlib,
    /// Size classes: stdlib's, overridden and extended by the Platform's.
    pub sizes: BTreeMap<String, Resources>,
    pub environments: BTreeMap<String, Environment>,
    pub tenants: BTreeMap<String, Tenant>,
    /// Sorted by tenant, then name.
    pub services: Vec<Service>,
    /// The add-on catalogue: stdlib's, replaced and extended by the Platform's, by name.
    pub addons: BTreeMap<String, Addon>,
    /// Exceptions to policy rules, by name; their tenant, service and environments exist.
    pub waivers: BTreeMap<String, Parsed<WaiverSpec>>,
    /// The resource catalogue: stdlib's types and classes, the Platform's classes over them.
    pub resource_catalogue: ResourceCatalogue,
}

#[derive(Debug, Clone)]
pub struct Environment {
    pub parsed: Parsed<EnvironmentSpec>,
    pub tier: Tier,
    /// Network, cluster and DNS settings of its cloud foundation.
    pub foundation: EnvironmentFoundation,
}

#[derive(Debug, Clone)]
pub struct Tenant {
    pub parsed: Parsed<TenantSpec>,
    /// Quota per environment the tenant uses, defaults merged.
    pub quotas: BTreeMap<String, Quota>,
}

impl Tenant {
    pub fn name(&self) -> &str {
        self.parsed.name()
    }
}

/// A reference from one service to another.
#[derive(Debug, Clone, PartialEq)]
pub struct Dependency {
    pub tenant: String,
    pub service: String,
    pub span: Span,
}

#[derive(Debug, Clone)]
pub struct Service {
    pub parsed: Parsed<ServiceSpec>,
    pub tenant: String,
    /// The services it calls, resolved.
    pub dependencies: Vec<Dependency>,
    /// One per environment of the tenant, sorted by environment name.
    pub instances: Vec<ServiceInstance>,
}

impl Service {
    pub fn name(&self) -> &str {
        self.parsed.name()
    }
}

/// A secret of AWS Secrets Manager a service reads into an env var.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SecretRef {
    /// The secret's name (in the environment's account and the cluster's region).
    pub name: String,
    /// One key of a JSON secret; the whole secret string when `None`.
    pub property: Option<String>,
}

/// A service as it runs in one environment.
#[derive(Debug, Clone)]
pub struct ServiceInstance {
    pub environment: String,
    pub image: Sourced<String>,
    pub replicas: Sourced<Replicas>,
    pub autoscaling_cpu: u8,
    pub resources: Sourced<Resources>,
    /// Env values without resource outputs (`${metadata.name}` and `$$` replaced).
    pub env: BTreeMap<String, String>,
    /// Env values that use resource outputs, split into parts.
    pub resource_env: BTreeMap<String, Vec<EnvPart>>,
    pub secrets: BTreeMap<String, SecretRef>,
    /// The managed resources it uses here, sorted by request name.
    pub requires: Vec<ResourceUse>,
    pub ingress: Option<Sourced<Ingress>>,
    pub schedule: Option<Sourced<String>>,
    /// AWS resources it may use here (per-environment parts replace the service's).
    pub aws: AwsAccess,
    /// The main container's name: the service's, or a Score workload's container name.
    pub container_name: String,
    /// Files mounted read-only into the main container (Score `files`).
    pub files: Vec<ResolvedFile>,
    /// Volume resources mounted into the main container (Score `volumes`).
    pub volumes: Vec<crate::parse::score::ScoreVolume>,
    /// The pod's other containers (a Score workload's), in document order.
    pub sidecars: Vec<ContainerInstance>,
}

/// Resolves every reference and merges defaults and overrides.
pub fn resolve(specs: ParsedSpecs) -> StageResult<ResolvedSpec> {
    let mut diagnostics = Vec::new();
    let stdlib = match Stdlib::load() {
        Ok(stdlib) => stdlib,
        Err(diagnostic) => return Err(vec![diagnostic]),
    };
    let platform = specs.platform;
    let mut sizes = stdlib.sizes.clone();
    sizes.extend(platform.spec.sizes.clone());

    let environments = index_unique(specs.environments, "environment", &mut diagnostics);
    let environments: BTreeMap<String, Environment> = environments
        .into_iter()
        .map(|(name, parsed)| {
            let tier = parsed.spec.tier;
            let foundation = foundation::environment_foundation(
                &platform,
                &parsed,
                tier,
                &stdlib,
                &mut diagnostics,
            );
            (
                name,
                Environment {
                    parsed,
                    tier,
                    foundation,
                },
            )
        })
        .collect();
    for env in environments.values() {
        check_environment(&platform, env, &environments, &sizes, &mut diagnostics);
    }
    let platform_doc = &platform.doc;
    if let Some(size) = &platform.spec.defaults.size {
        check_ref(
            RefKind::Size,
            size,
            &sizes,
            platform_doc.span(&["spec", "defaults", "size"]),
            &mut diagnostics,
        );
    }

    let addons = addon::resolve_addons(
        &platform,
        &specs.stdlib_addons,
        &environments,
        &mut diagnostics,
    );

    let environment_names: Vec<String> = environments.keys().cloned().collect();
    let resource_catalogue = resource::resource_catalogue(
        &platform,
        &specs.resource_types,
        &environment_names,
        &mut diagnostics,
    );
    let mut catalogue_docs: BTreeMap<crate::source::FileId, &Document> = specs
        .resource_types
        .iter()
        .map(|r| (r.doc.file, &r.doc))
        .collect();
    catalogue_docs.insert(platform.doc.file, &platform.doc);

    let tenants = index_unique(specs.tenants, "tenant", &mut diagnostics);
    let tenants: BTreeMap<String, Tenant> = tenants
        .into_iter()
        .map(|(name, parsed)| {
            let quotas = tenant_quotas(&parsed, &environments, &stdlib, &mut diagnostics);
            (name, Tenant { parsed, quotas })
        })
        .collect();
    for tenant in tenants.values() {
        for (i, other) in tenant.parsed.spec.network.allow_from.iter().enumerate() {
            let span = tenant.parsed.doc.span(&[
                "spec".into(),
                "network".into(),
                "allowFrom".into(),
                i.to_string(),
            ]);
            check_ref(RefKind::Tenant, other, &tenants, span, &mut diagnostics);
        }
    }

    let ports = port_table(&specs.services);
    // Services are unique per tenant; the key is `tenant/name`, the value the first one's index
    // in `unique` (spans are looked up only for a diagnostic).
    let mut seen: HashMap<(String, String), usize> = HashMap::with_capacity(specs.services.len());
    let mut unique: Vec<(Parsed<ServiceSpec>, &Tenant, String)> =
        Vec::with_capacity(specs.services.len());
    // Services dropped for an unknown tenant: that one error is enough, references to them by
    // name are not reported again as unknown services.
    let mut orphans: BTreeSet<String> = BTreeSet::new();
    for parsed in specs.services {
        let tenant_name = parsed.metadata.tenant.clone().unwrap_or_default();
        let Some(tenant) = tenants.get(&tenant_name) else {
            orphans.insert(parsed.name().to_string());
            check_ref(
                RefKind::Tenant,
                &tenant_name,
                &tenants,
                parsed.doc.span(&["metadata", "tenant"]),
                &mut diagnostics,
            );
            continue;
        };
        let key = (tenant_name.clone(), parsed.name().to_string());
        if let Some(&first) = seen.get(&key) {
            let name_span = parsed.doc.span(&["metadata", "name"]);
            let first_span = unique.get(first).map_or(name_span, |(first, _, _)| {
                first.doc.span(&["metadata", "name"])
            });
            diagnostics.push(
                Diagnostic::new(
                    DiagnosticKind::DuplicateName {
                        kind: "service".into(),
                        name: format!("{}/{}", key.0, key.1),
                    },
                    name_span,
                )
                .with_related(first_span, "first defined here"),
            );
            continue;
        }
        seen.insert(key, unique.len());
        unique.push((parsed, tenant, tenant_name));
    }
    // Each service's instances on their own, in parallel; diagnostics kept in service order.
    let (mut services, found): (Vec<Service>, Vec<Vec<Diagnostic>>) = unique
        .into_par_iter()
        .map(|(parsed, tenant, tenant_name)| {
            let mut found = Vec::new();
            let instances = service_instances(
                &parsed,
                tenant,
                &platform,
                &environments,
                &sizes,
                &stdlib,
                &ports,
                (&resource_catalogue, &catalogue_docs),
                &mut found,
            );
            let service = Service {
                tenant: tenant_name,
                dependencies: Vec::new(),
                instances,
                parsed,
            };
            (service, found)
        })
        .unzip();
    diagnostics.extend(found.into_iter().flatten());
    services.sort_by(|a, b| (&a.tenant, a.name()).cmp(&(&b.tenant, b.name())));

    // Dependencies, once every service is known.
    let known: BTreeMap<String, ()> = services
        .iter()
        .map(|s| (format!("{}/{}", s.tenant, s.name()), ()))
        .collect();
    for service in &mut services {
        let own = format!("{}/{}", service.tenant, service.name());
        for (i, target) in service.parsed.spec.depends_on.iter().enumerate() {
            let span = service
                .parsed
                .doc
                .span(&["spec".into(), "dependsOn".into(), i.to_string()]);
            let (tenant, name) = match target.split_once('/') {
                Some((tenant, name)) => (tenant.to_string(), name.to_string()),
                None => (service.tenant.clone(), target.clone()),
            };
            let full = format!("{tenant}/{name}");
            if orphans.contains(&name) && !known.contains_key(&full) {
                continue;
            }
            if known.contains_key(&full) {
                service.dependencies.push(Dependency {
                    tenant,
                    service: name,
                    span,
                });
            } else {
                let others: BTreeMap<String, ()> = known
                    .iter()
                    .filter(|(k, _)| **k != own)
                    .map(|(k, v)| (k.clone(), *v))
                    .collect();
                check_ref(RefKind::Service, &full, &others, span, &mut diagnostics);
            }
        }
    }

    let waivers = index_unique(specs.waivers, "waiver", &mut diagnostics);
    check_waivers(
        &waivers,
        &tenants,
        &environments,
        (&services, &orphans),
        &mut diagnostics,
    );

    finish(
        ResolvedSpec {
            platform,
            stdlib,
            sizes,
            environments,
            tenants,
            services,
            addons,
            waivers,
            resource_catalogue,
        },
        diagnostics,
    )
}

/// Indexes documents by name; a second document of the same name is an error.
/// A waiver names a tenant, and maybe a service of it and environments, that exist. Whether its
/// rule exists is the policy stage's to say: only it knows the rules.
fn check_waivers(
    waivers: &BTreeMap<String, Parsed<WaiverSpec>>,
    tenants: &BTreeMap<String, Tenant>,
    environments: &BTreeMap<String, Environment>,
    (services, orphans): (&[Service], &BTreeSet<String>),
    diagnostics: &mut Vec<Diagnostic>,
) {
    for waiver in waivers.values() {
        let spec = &waiver.spec;
        let tenant_span = waiver.doc.span(&["spec", "tenant"]);
        if !check_ref(
            RefKind::Tenant,
            &spec.tenant,
            tenants,
            tenant_span,
            diagnostics,
        ) {
            continue;
        }
        if let Some(service) = spec.service.as_ref().filter(|s| !orphans.contains(*s)) {
            let known: BTreeMap<String, ()> = services
                .iter()
                .filter(|s| s.tenant == spec.tenant)
                .map(|s| (s.name().to_string(), ()))
                .collect();
            let span = waiver.doc.span(&["spec", "service"]);
            check_ref(RefKind::Service, service, &known, span, diagnostics);
        }
        for (i, env) in spec.environments.iter().enumerate() {
            let span = waiver
                .doc
                .span(&["spec".into(), "environments".into(), i.to_string()]);
            check_ref(RefKind::Environment, env, environments, span, diagnostics);
        }
    }
}

fn index_unique<T>(
    items: Vec<Parsed<T>>,
    kind: &str,
    diagnostics: &mut Vec<Diagnostic>,
) -> BTreeMap<String, Parsed<T>> {
    let mut out: BTreeMap<String, Parsed<T>> = BTreeMap::new();
    for item in items {
        if let Some(first) = out.get(item.name()) {
            diagnostics.push(
                Diagnostic::new(
                    DiagnosticKind::DuplicateName {
                        kind: kind.into(),
                        name: item.name().into(),
                    },
                    item.doc.span(&["metadata", "name"]),
                )
                .with_related(first.doc.span(&["metadata", "name"]), "first defined here"),
            );
            continue;
        }
        out.insert(item.name().to_string(), item);
    }
    out
}

/// Reports `name` unless `known` has it; returns whether it is known.
fn check_ref<V>(
    kind: RefKind,
    name: &str,
    known: &BTreeMap<String, V>,
    span: Span,
    diagnostics: &mut Vec<Diagnostic>,
) -> bool {
    if known.contains_key(name) {
        return true;
    }
    diagnostics.push(Diagnostic::new(
        DiagnosticKind::UnknownReference {
            kind,
            name: name.into(),
            known: known.keys().cloned().collect(),
        },
        span,
    ));
    false
}

fn check_environment(
    platform: &Parsed<PlatformSpec>,
    env: &Environment,
    environments: &BTreeMap<String, Environment>,
    sizes: &BTreeMap<String, Resources>,
    diagnostics: &mut Vec<Diagnostic>,
) {
    let doc = &env.parsed.doc;
    let spec = &env.parsed.spec;
    check_ref(
        RefKind::Account,
        &spec.account,
        &platform.spec.accounts,
        doc.span(&["spec", "account"]),
        diagnostics,
    );
    let regions: BTreeMap<String, ()> = platform
        .spec
        .regions
        .iter()
        .map(|r| (r.clone(), ()))
        .collect();
    for (i, region) in spec.regions.iter().enumerate() {
        let span = doc.span(&["spec".into(), "regions".into(), i.to_string()]);
        check_ref(RefKind::Region, region, &regions, span, diagnostics);
    }
    if let Some(promotion) = &spec.promotion {
        let span = doc.span(&["spec", "promotion", "after"]);
        check_ref(
            RefKind::Environment,
            &promotion.after,
            environments,
            span,
            diagnostics,
        );
    }
    if let Some(size) = &spec.defaults.size {
        check_ref(
            RefKind::Size,
            size,
            sizes,
            doc.span(&["spec", "defaults", "size"]),
            diagnostics,
        );
    }
}

fn tenant_quotas(
    tenant: &Parsed<TenantSpec>,
    environments: &BTreeMap<String, Environment>,
    stdlib: &Stdlib,
    diagnostics: &mut Vec<Diagnostic>,
) -> BTreeMap<String, Quota> {
    let doc = &tenant.doc;
    let mut quotas = BTreeMap::new();
    for (i, env_name) in tenant.spec.environments.iter().enumerate() {
        let span = doc.span(&["spec".into(), "environments".into(), i.to_string()]);
        if !check_ref(
            RefKind::Environment,
            env_name,
            environments,
            span,
            diagnostics,
        ) {
            continue;
        }
        let Some(env) = environments.get(env_name) else {
            continue;
        };
        let builtin = stdlib
            .defaults
            .quota
            .get(env.tier.as_str())
            .cloned()
            .unwrap_or_default();
        let env_default = env
            .parsed
            .spec
            .defaults
            .quota
            .clone()
            .unwrap_or_default()
            .or(&builtin);
        let quota = tenant
            .spec
            .quotas
            .get(env_name)
            .map_or(env_default.clone(), |q| q.or(&env_default));
        quotas.insert(env_name.clone(), quota);
    }
    for env_name in tenant.spec.quotas.keys() {
        if !tenant.spec.environments.contains(env_name) {
            let span = doc.key_span(&["spec", "quotas", env_name.as_str()]);
            diagnostics.push(environment_not_used(
                env_name,
                tenant.name(),
                environments,
                span,
            ));
        }
    }
    quotas
}

fn environment_not_used(
    env: &str,
    tenant: &str,
    environments: &BTreeMap<String, Environment>,
    span: Span,
) -> Diagnostic {
    if environments.contains_key(env) {
        Diagnostic::new(
            DiagnosticKind::EnvironmentNotUsed {
                environment: env.into(),
                tenant: tenant.into(),
            },
            span,
        )
    } else {
        Diagnostic::new(
            DiagnosticKind::UnknownReference {
                kind: RefKind::Environment,
                name: env.into(),
                known: environments.keys().cloned().collect(),
            },
            span,
        )
    }
}

/// One instance per environment the tenant uses, with every setting decided.
#[allow(clippy::too_many_arguments)]
fn service_instances(
    service: &Parsed<ServiceSpec>,
    tenant: &Tenant,
    platform: &Parsed<PlatformSpec>,
    environments: &BTreeMap<String, Environment>,
    sizes: &BTreeMap<String, Resources>,
    stdlib: &Stdlib,
    ports: &score::PortTable,
    (catalogue, catalogue_docs): (
        &ResourceCatalogue,
        &BTreeMap<crate::source::FileId, &Document>,
    ),
    diagnostics: &mut Vec<Diagnostic>,
) -> Vec<ServiceInstance> {
    let doc = &service.doc;
    let spec = &service.spec;
    for env_name in spec.environments.keys() {
        if !tenant.parsed.spec.environments.contains(env_name) {
            let span = doc.key_span(&["spec", "environments", env_name.as_str()]);
            diagnostics.push(environment_not_used(
                env_name,
                tenant.name(),
                environments,
                span,
            ));
        }
    }
    let no_override = ServiceOverride::default();
    let mut env_names: Vec<&String> = tenant.parsed.spec.environments.iter().collect();
    env_names.sort();
    env_names.dedup();
    // A Score workload may run in some of its tenant's environments only.
    if let Some((only, span)) = spec
        .score
        .as_ref()
        .and_then(|p| p.only_environments.as_ref())
    {
        for name in only {
            if !env_names.contains(&name) {
                diagnostics.push(environment_not_used(
                    name,
                    tenant.name(),
                    environments,
                    *span,
                ));
            }
        }
        env_names.retain(|name| only.contains(name));
    }
    let mut instances = Vec::with_capacity(env_names.len());
    for env_name in env_names {
        let Some(env) = environments.get(env_name) else {
            continue;
        };
        let over = spec.environments.get(env_name).unwrap_or(&no_override);
        let over_path = |field| ["spec", "environments", env_name.as_str(), field];
        let env_doc = &env.parsed.doc;

        let image = match &over.image {
            Some(image) => Sourced {
                value: image.clone(),
                span: Some(doc.span(&over_path("image"))),
            },
            None => Sourced {
                value: spec.image.clone(),
                span: Some(doc.span(&["spec", "image"])),
            },
        };
        let image = Sourced {
            value: qualify_image(&image.value, &platform.spec.registry),
            span: image.span,
        };

        // The most specific layer that sets it; only its span is looked up.
        let sourced = |value, span| Sourced {
            value,
            span: Some(span),
        };
        let replicas = over
            .replicas
            .map(|r| sourced(r, doc.span(&over_path("replicas"))))
            .or_else(|| {
                spec.replicas
                    .map(|r| sourced(r, doc.span(&["spec", "replicas"])))
            })
            .or_else(|| {
                env.parsed
                    .spec
                    .defaults
                    .replicas
                    .map(|r| sourced(r, env_doc.span(&["spec", "defaults", "replicas"])))
            })
            .or_else(|| {
                platform
                    .spec
                    .defaults
                    .replicas
                    .map(|r| sourced(r, platform.doc.span(&["spec", "defaults", "replicas"])))
            })
            .unwrap_or(Sourced {
                value: stdlib.defaults.replicas,
                span: None,
            });

        let resources = decide_resources(
            service,
            over,
            env_name,
            env,
            platform,
            sizes,
            stdlib,
            diagnostics,
        );

        let autoscaling_cpu = over
            .autoscaling
            .and_then(|a| a.cpu)
            .or(spec.autoscaling.and_then(|a| a.cpu))
            .unwrap_or(stdlib.defaults.autoscaling.cpu);

        let mut env_vars: BTreeMap<String, String> = BTreeMap::new();
        let mut resource_env: BTreeMap<String, Vec<EnvPart>> = BTreeMap::new();
        // Each variable's value and whether the environment's override sets it; the path to
        // its node is built only for a value with references, which needs its span.
        let mut values: BTreeMap<&String, (&EnvValue, bool)> = BTreeMap::new();
        for (k, v) in &spec.env {
            values.insert(k, (v, false));
        }
        for (k, v) in &over.env {
            values.insert(k, (v, true));
        }
        for (k, (v, overridden)) in values {
            let EnvValue::Text(text) = v else {
                env_vars.insert(k.clone(), v.to_text());
                continue;
            };
            if !text.contains('$') {
                env_vars.insert(k.clone(), text.clone());
                continue;
            }
            let span = if overridden {
                doc.span(&["spec", "environments", env_name.as_str(), "env", k.as_str()])
            } else {
                doc.span(&["spec", "env", k.as_str()])
            };
            // The offset of the text inside the node: plain scalars and quoted ones without
            // escapes; otherwise diagnostics underline the whole value.
            let offset = match (span.end - span.start)
                .checked_sub(u32::try_from(text.len()).unwrap_or(u32::MAX))
            {
                Some(0) => Some(0),
                Some(2) => Some(1),
                _ => None,
            };
            let ctx = resource::EnvContext {
                service_name: service.name(),
                requests: &spec.requires,
                catalogue,
                depends_on: &spec.depends_on,
                tenant: tenant.name(),
                environment: env_name,
                ports,
            };
            let Some(parts) = resource::parse_env_value(text, &ctx, span, offset, diagnostics)
            else {
                continue;
            };
            match parts.as_slice() {
                [] => {
                    env_vars.insert(k.clone(), String::new());
                }
                [EnvPart::Text(t)] => {
                    env_vars.insert(k.clone(), t.clone());
                }
                _ => {
                    resource_env.insert(k.clone(), parts);
                }
            }
        }

        let mut secrets: BTreeMap<String, SecretRef> = BTreeMap::new();
        for (name, reference) in spec.secrets.iter().chain(&over.secrets) {
            let (secret, property) = match reference.split_once('#') {
                Some((secret, property)) => (secret, Some(property.to_string())),
                None => (reference.as_str(), None),
            };
            secrets.insert(
                name.clone(),
                SecretRef {
                    name: secret.into(),
                    property,
                },
            );
        }

        let requires = resource::resource_uses(
            catalogue,
            catalogue_docs,
            doc,
            &spec.requires,
            &over.requires,
            &resource::UseContext {
                environment: env_name,
                tier: env.tier,
                regions: &env.parsed.spec.regions,
                tenant: tenant.name(),
            },
            diagnostics,
        );

        let ingress = match &over.ingress {
            Some(ingress) => Some(Sourced {
                value: ingress.clone(),
                span: Some(doc.span(&[
                    "spec",
                    "environments",
                    env_name.as_str(),
                    "ingress",
                    "host",
                ])),
            }),
            None => spec.ingress.clone().map(|ingress| Sourced {
                value: ingress,
                span: Some(doc.span(&["spec", "ingress", "host"])),
            }),
        };
        let schedule = match &over.schedule {
            Some(s) => Some(Sourced {
                value: s.clone(),
                span: Some(doc.span(&over_path("schedule"))),
            }),
            None => spec.schedule.clone().map(|s| Sourced {
                value: s,
                span: Some(doc.span(&["spec", "schedule"])),
            }),
        };

        let mut instance = ServiceInstance {
            environment: env_name.clone(),
            image,
            replicas,
            autoscaling_cpu,
            resources,
            env: env_vars,
            resource_env,
            secrets,
            requires,
            ingress,
            schedule,
            aws: spec.aws.with(&over.aws),
            container_name: service.name().to_string(),
            files: Vec::new(),
            volumes: Vec::new(),
            sidecars: Vec::new(),
        };
        if let Some(parts) = &spec.score {
            let ctx = score::Context {
                environment: env_name,
                tenant: tenant.name(),
                workload: service.name(),
                zone: &env.foundation.dns_zone.value,
                registry: &platform.spec.registry,
                ports,
                volumes: &tenant.parsed.spec.volumes,
            };
            score::complete(parts, &ctx, &mut instance, diagnostics);
        }
        instances.push(instance);
    }
    instances
}

/// The ports of every service, by tenant and name, under the names other workloads may call them
/// (as `lower` names them, and a Score port's own name). The only thing a service's resolution
/// reads of other services (`lower::unit` fingerprints it whole).
pub(crate) fn port_table<'a>(
    services: impl IntoIterator<Item = &'a Parsed<ServiceSpec>>,
) -> score::PortTable {
    let mut table = score::PortTable::new();
    for service in services {
        let tenant = service.metadata.tenant.clone().unwrap_or_default();
        let spec = &service.spec;
        let mut ports: Vec<(Vec<String>, u16)> = Vec::new();
        if let Some(port) = spec.port {
            ports.push((vec!["http".into()], port));
        }
        for (i, port) in spec.ports.iter().enumerate() {
            let name = port.name.clone().unwrap_or_else(|| {
                if i == 0 && spec.port.is_none() {
                    "http".into()
                } else {
                    format!("port-{}", port.port)
                }
            });
            let mut names = vec![name];
            names.extend(port.score_name.clone());
            ports.push((names, port.port));
        }
        table.insert((tenant, service.name().to_string()), ports);
    }
    table
}

/// CPU and memory: the most specific layer wins (environment override, service, environment
/// default, platform default, stdlib); within a layer explicit `resources` beat `size`.
#[allow(clippy::too_many_arguments)]
fn decide_resources(
    service: &Parsed<ServiceSpec>,
    over: &ServiceOverride,
    env_name: &str,
    env: &Environment,
    platform: &Parsed<PlatformSpec>,
    sizes: &BTreeMap<String, Resources>,
    stdlib: &Stdlib,
    diagnostics: &mut Vec<Diagnostic>,
) -> Sourced<Resources> {
    let doc = &service.doc;
    let spec = &service.spec;
    let over_path = |field| ["spec", "environments", env_name, field];
    if let Some(resources) = &over.resources {
        return Sourced {
            value: resources.clone(),
            span: Some(doc.span(&over_path("resources"))),
        };
    }
    let size = if let Some(size) = &over.size {
        Some((size, doc, doc.span(&over_path("size"))))
    } else if let Some(resources) = &spec.resources {
        return Sourced {
            value: resources.clone(),
            span: Some(doc.span(&["spec", "resources"])),
        };
    } else if let Some(size) = &spec.size {
        Some((size, doc, doc.span(&["spec", "size"])))
    } else if let Some(size) = &env.parsed.spec.defaults.size {
        Some((
            size,
            &env.parsed.doc,
            env.parsed.doc.span(&["spec", "defaults", "size"]),
        ))
    } else {
        platform.spec.defaults.size.as_ref().map(|size| {
            (
                size,
                &platform.doc,
                platform.doc.span(&["spec", "defaults", "size"]),
            )
        })
    };
    let (name, span) = match size {
        Some((name, source_doc, span)) => {
            // Sizes named by the service itself are checked here; defaults were checked once.
            if std::ptr::eq::<Document>(source_doc, doc) && !sizes.contains_key(name) {
                check_ref(RefKind::Size, name, sizes, span, diagnostics);
            }
            (name.clone(), Some(span))
        }
        None => (stdlib.defaults.size.clone(), None),
    };
    let value = sizes
        .get(&name)
        .or_else(|| sizes.get(&stdlib.defaults.size))
        .cloned();
    match value {
        Some(value) => Sourced { value, span },
        // Unknown size, already reported: any value will do, the stage fails.
        None => Sourced {
            value: stdlib
                .sizes
                .values()
                .next()
                .cloned()
                .unwrap_or_else(empty_resources),
            span,
        },
    }
}

fn empty_resources() -> Resources {
    use crate::parse::{CpuMemory, Quantity};
    let zero = || CpuMemory {
        cpu: Quantity("0".into()),
        memory: Quantity("0".into()),
    };
    Resources {
        requests: zero(),
        limits: zero(),
    }
}

/// `orders:1.2` becomes `<registry>/orders:1.2`; a reference with a registry host stays.
pub(crate) fn qualify_image(image: &str, registry: &str) -> String {
    let first = image.split('/').next().unwrap_or(image);
    let has_host =
        image.contains('/') && (first.contains('.') || first.contains(':') || first == "localhost");
    if has_host {
        image.to_string()
    } else {
        format!("{}/{image}", registry.trim_end_matches('/'))
    }
}

#[cfg(test)]
mod tests {
    use super::qualify_image;

    #[test]
    fn images_without_a_registry_host_get_the_platform_registry() {
        assert_eq!(
            qualify_image("orders:1.2", "r.example.com"),
            "r.example.com/orders:1.2"
        );
        assert_eq!(
            qualify_image("team/orders:1.2", "r.example.com/"),
            "r.example.com/team/orders:1.2"
        );
        assert_eq!(
            qualify_image("ghcr.io/x/y:1", "r.example.com"),
            "ghcr.io/x/y:1"
        );
        assert_eq!(
            qualify_image("localhost:5000/y:1", "r"),
            "localhost:5000/y:1"
        );
    }
}
