//! Validate: semantic checks across documents on the resolved platform.
//!
//! In: a [`ResolvedSpec`]. Out: a [`ValidatedSpec`], the same platform with the guarantee that
//! replica ranges are ordered, workload settings fit the workload kind, no service depends on
//! itself, promotions have no cycles, derived names fit Kubernetes' (and AWS's) limits, the output
//! path stays inside the platform root, add-ons can all become ready (no cycles, nothing missing
//! where they run, no clashing namespaces or manifests), and the cloud foundation's networks, node
//! groups and DNS zones are sound. Never reads files and never changes the spec.

mod addon;
mod foundation;
mod quota;
mod resource;

use std::collections::{BTreeMap, HashMap};

use rayon::prelude::*;

use crate::diagnostic::{Diagnostic, DiagnosticKind, StageResult, finish};
use crate::parse::{Replicas, WorkloadKind};
use crate::resolve::{ResolvedSpec, Service, StdLimitRange};
use crate::source::Span;

pub use foundation::is_arm64;

/// A platform that passed every check.
#[derive(Debug, Clone)]
pub struct ValidatedSpec(ResolvedSpec);

impl ValidatedSpec {
    pub fn spec(&self) -> &ResolvedSpec {
        &self.0
    }
}

/// Kubernetes' limit on names and labels.
pub const MAX_NAME: usize = 63;

pub fn validate(resolved: ResolvedSpec) -> StageResult<ValidatedSpec> {
    let mut diagnostics = Vec::new();
    check_output_path(&resolved, &mut diagnostics);
    check_promotions(&resolved, &mut diagnostics);
    check_namespace_names(&resolved, &mut diagnostics);
    // Each service's own checks, in parallel; findings kept in service order.
    let per_service: Vec<Vec<Diagnostic>> = resolved
        .services
        .par_iter()
        .map(|service| {
            let mut found = Vec::new();
            check_score_name(service, &mut found);
            check_workload(service, &mut found);
            check_ports_and_probes(service, &mut found);
            check_env(service, &mut found);
            check_resources(service, &resolved.stdlib.defaults.limit_range, &mut found);
            found
        })
        .collect();
    diagnostics.extend(per_service.into_iter().flatten());
    check_self_dependencies(&resolved, &mut diagnostics);
    quota::check_quotas(&resolved, &mut diagnostics);
    check_dependency_consent(&resolved, &mut diagnostics);
    check_ingress_hosts(&resolved, &mut diagnostics);
    check_reserved_names(&resolved, &mut diagnostics);
    resource::check_resources(&resolved, &mut diagnostics);
    resource::check_required_addons(&resolved, &mut diagnostics);
    addon::check_addons(&resolved, &mut diagnostics);
    check_gitops_repository(&resolved, &mut diagnostics);
    foundation::check(&resolved, &mut diagnostics);
    finish(ValidatedSpec(resolved), diagnostics)
}

/// The output folder must stay inside the platform root.
fn check_output_path(resolved: &ResolvedSpec, diagnostics: &mut Vec<Diagnostic>) {
    let path = &resolved.platform.spec.gitops.path;
    if !is_safe_relative_path(path) {
        diagnostics.push(Diagnostic::new(
            DiagnosticKind::OutputOutsideRoot { path: path.clone() },
            resolved.platform.doc.span(&["spec", "gitops", "path"]),
        ));
    }
}

/// The ServiceAccount that reconciles each tenant namespace (and that Flux's
/// `--default-service-account` names); a service of that name would take its ServiceAccount.
pub const TENANT_RECONCILER: &str = "flux";

/// A service name whose workload file (`<name>.yaml`, with the default layout) would be the
/// folder's `kustomization.yaml`.
const WORKLOAD_FILE_RESERVED: &str = "kustomization";

fn check_reserved_names(resolved: &ResolvedSpec, diagnostics: &mut Vec<Diagnostic>) {
    // pave names the cluster's GitRepository after the platform, beside bootstrap's own.
    if resolved.platform.name() == "flux-system" {
        diagnostics.push(Diagnostic::new(
            DiagnosticKind::ReservedName {
                name: "flux-system".into(),
                reason: "`flux bootstrap` names its GitRepository and Kustomization `flux-system`, and pave names each cluster's GitRepository after the platform; rename the platform",
            },
            resolved.platform.doc.span(&["metadata", "name"]),
        ));
    }
    let layout = resolved.platform.spec.gitops.layout;
    for service in &resolved.services {
        if service.name() == WORKLOAD_FILE_RESERVED && layout == crate::parse::Layout::Workload {
            diagnostics.push(Diagnostic::new(
                DiagnosticKind::ReservedName {
                    name: WORKLOAD_FILE_RESERVED.into(),
                    reason: "each workload's objects are written to `<service>.yaml` beside the folder's `kustomization.yaml`, which kustomize reads as the folder's own; rename the service, or set the Platform's `spec.gitops.layout: object`",
                },
                service.parsed.doc.span(&["metadata", "name"]),
            ));
        }
        if service.name() == TENANT_RECONCILER {
            diagnostics.push(Diagnostic::new(
                DiagnosticKind::ReservedName {
                    name: TENANT_RECONCILER.into(),
                    reason: "each tenant namespace has a ServiceAccount `flux` that Flux applies the tenant's workloads as, and every service gets a ServiceAccount named after it; rename the service",
                },
                service.parsed.doc.span(&["metadata", "name"]),
            ));
        }
    }
}

/// Without a repository there is no source for Flux: warn that only the manifests are written.
fn check_gitops_repository(resolved: &ResolvedSpec, diagnostics: &mut Vec<Diagnostic>) {
    if resolved.platform.spec.gitops.repository.is_none() {
        diagnostics.push(Diagnostic::new(
            DiagnosticKind::MissingGitopsRepository,
            resolved
                .platform
                .doc
                .span(&["spec", "gitops", "repository"]),
        ));
    }
}

/// A relative path of plain names: no root, no drive, no `..`, not empty.
pub fn is_safe_relative_path(path: &str) -> bool {
    let mut parts = path
        .split(['/', '\\'])
        .filter(|p| !p.is_empty() && *p != ".");
    !path.starts_with(['/', '\\'])
        && !path.contains(':')
        && parts.clone().next().is_some()
        && parts.all(|part| part != "..")
}

fn check_promotions(resolved: &ResolvedSpec, diagnostics: &mut Vec<Diagnostic>) {
    for (start, env) in &resolved.environments {
        // Follow `after` links; a cycle is reported once, at its alphabetically first member.
        let mut chain = vec![start.clone()];
        let mut current = env;
        while let Some(promotion) = &current.parsed.spec.promotion {
            if promotion.after == *start {
                chain.push(start.clone());
                if chain.iter().min() == Some(start) {
                    diagnostics.push(Diagnostic::new(
                        DiagnosticKind::PromotionCycle {
                            cycle: chain.clone(),
                        },
                        env.parsed.doc.span(&["spec", "promotion", "after"]),
                    ));
                }
                break;
            }
            if chain.contains(&promotion.after) {
                break; // a cycle not through `start`: reported from one of its members
            }
            let Some(next) = resolved.environments.get(&promotion.after) else {
                break;
            };
            chain.push(promotion.after.clone());
            current = next;
        }
    }
}

fn check_namespace_names(resolved: &ResolvedSpec, diagnostics: &mut Vec<Diagnostic>) {
    for tenant in resolved.tenants.values() {
        for env in tenant.quotas.keys() {
            let namespace = format!("{}-{env}", tenant.name());
            if namespace.len() > MAX_NAME {
                diagnostics.push(Diagnostic::new(
                    DiagnosticKind::NamespaceTooLong { namespace },
                    tenant.parsed.doc.span(&["metadata", "name"]),
                ));
            }
        }
    }
}

fn check_workload(service: &Service, diagnostics: &mut Vec<Diagnostic>) {
    let spec = &service.parsed.spec;
    let doc = &service.parsed.doc;
    let workload = spec.workload;
    let workload_span = || doc.span(&["spec", "workload"]);
    let has_ports = spec.port.is_some() || !spec.ports.is_empty();
    for instance in &service.instances {
        if let Replicas::Range { min, max } = instance.replicas.value
            && min > max
        {
            diagnostics.push(Diagnostic::new(
                DiagnosticKind::ReplicasOutOfOrder {
                    min: min.into(),
                    max: max.into(),
                },
                instance.replicas.span.unwrap_or_else(workload_span),
            ));
        }
        match (&instance.schedule, workload) {
            (None, WorkloadKind::CronJob) => diagnostics.push(Diagnostic::new(
                DiagnosticKind::MissingSchedule,
                workload_span(),
            )),
            (Some(schedule), kind) if kind != WorkloadKind::CronJob => {
                diagnostics.push(Diagnostic::new(
                    DiagnosticKind::UnexpectedSchedule {
                        workload: kind.as_str().into(),
                    },
                    schedule.span.unwrap_or_else(workload_span),
                ))
            }
            _ => {}
        }
        if !workload.is_long_running() {
            let unsupported = |setting: &str, span: Span| {
                Diagnostic::new(
                    DiagnosticKind::UnsupportedSetting {
                        setting: setting.into(),
                        workload: workload.as_str().into(),
                    },
                    span,
                )
            };
            if let Some(ingress) = &instance.ingress {
                diagnostics.push(unsupported(
                    "ingress",
                    ingress.span.unwrap_or_else(workload_span),
                ));
            }
            if let Some(Replicas::Range { .. }) = spec.replicas {
                diagnostics.push(unsupported("replicas", doc.span(&["spec", "replicas"])));
            }
        }
        if let Some(ingress) = &instance.ingress
            && !has_ports
            && workload.is_long_running()
        {
            diagnostics.push(Diagnostic::new(
                DiagnosticKind::MissingField {
                    field: "port".into(),
                },
                ingress.span.unwrap_or_else(workload_span),
            ));
        }
    }
    if !workload.is_long_running() && has_ports {
        let path: &[&str] = if spec.port.is_some() {
            &["spec", "port"]
        } else {
            &["spec", "ports"]
        };
        diagnostics.push(Diagnostic::new(
            DiagnosticKind::UnsupportedSetting {
                setting: path[1].into(),
                workload: workload.as_str().into(),
            },
            doc.span(path),
        ));
    }
}

/// The longest service name: pave derives longer names from it (`allow-to-<name>`,
/// `<name>-headless`). The Service schema holds native names to it; Score allows 63.
pub const MAX_SERVICE_NAME: usize = 40;

fn check_score_name(service: &Service, diagnostics: &mut Vec<Diagnostic>) {
    if service.parsed.spec.score.is_some() && service.name().len() > MAX_SERVICE_NAME {
        diagnostics.push(Diagnostic::new(
            DiagnosticKind::NameTooLong {
                name: service.name().to_string(),
                max: MAX_SERVICE_NAME,
            },
            service.parsed.doc.span(&["metadata", "name"]),
        ));
    }
}

/// A service does not name itself in `dependsOn`. Services that call each other (A → B → A) are
/// accepted: `dependsOn` only admits a caller of another tenant through the callee's NetworkPolicy
/// `allow-to-<name>` (`lower::cross_tenant_callers`) and orders nothing (no startup order, no Flux
/// `dependsOn` between services: a tenant's folder is applied as one), so a cycle breaks nothing.
fn check_self_dependencies(resolved: &ResolvedSpec, diagnostics: &mut Vec<Diagnostic>) {
    for service in &resolved.services {
        for dependency in &service.dependencies {
            if dependency.tenant == service.tenant && dependency.service == service.name() {
                diagnostics.push(Diagnostic::new(
                    DiagnosticKind::DependsOnItself {
                        service: full_name(service),
                    },
                    dependency.span,
                ));
            }
        }
    }
}

fn full_name(service: &Service) -> String {
    format!("{}/{}", service.tenant, service.name())
}

/// Two services cannot claim the same host and path in one environment.
fn check_ingress_hosts(resolved: &ResolvedSpec, diagnostics: &mut Vec<Diagnostic>) {
    let mut claimed: BTreeMap<(&str, &str, &str), (&Service, Option<Span>)> = BTreeMap::new();
    for service in &resolved.services {
        for instance in &service.instances {
            let Some(ingress) = &instance.ingress else {
                continue;
            };
            let key = (
                instance.environment.as_str(),
                ingress.value.host.as_str(),
                ingress.value.path.as_str(),
            );
            match claimed.get(&key) {
                Some((other, first)) if *first != ingress.span => {
                    let mut diagnostic = Diagnostic::new(
                        DiagnosticKind::IngressConflict {
                            host: ingress.value.host.clone(),
                            path: ingress.value.path.clone(),
                            environment: instance.environment.clone(),
                            other: full_name(other),
                        },
                        ingress
                            .span
                            .unwrap_or_else(|| service.parsed.doc.head_span()),
                    );
                    if let Some(first) = first {
                        diagnostic = diagnostic.with_related(*first, "first claimed here");
                    }
                    diagnostics.push(diagnostic);
                }
                Some(_) => {}
                None => {
                    claimed.insert(key, (service, ingress.span));
                }
            }
        }
    }
}

/// A service may call another tenant's service only with that tenant's consent
/// (`network.allowFrom`), and a dependency should run wherever its caller runs.
fn check_dependency_consent(resolved: &ResolvedSpec, diagnostics: &mut Vec<Diagnostic>) {
    let by_name: HashMap<(&str, &str), &Service> = resolved
        .services
        .iter()
        .map(|s| ((s.tenant.as_str(), s.name()), s))
        .collect();
    for service in &resolved.services {
        for dependency in &service.dependencies {
            let target = format!("{}/{}", dependency.tenant, dependency.service);
            if dependency.tenant != service.tenant {
                let consents = resolved
                    .tenants
                    .get(&dependency.tenant)
                    .is_some_and(|t| t.parsed.spec.network.allow_from.contains(&service.tenant));
                if !consents {
                    diagnostics.push(Diagnostic::new(
                        DiagnosticKind::DependencyNotAllowed {
                            caller_tenant: service.tenant.clone(),
                            target: target.clone(),
                        },
                        dependency.span,
                    ));
                }
            }
            let Some(callee) =
                by_name.get(&(dependency.tenant.as_str(), dependency.service.as_str()))
            else {
                continue;
            };
            for instance in &service.instances {
                if !callee
                    .instances
                    .iter()
                    .any(|i| i.environment == instance.environment)
                {
                    diagnostics.push(Diagnostic::new(
                        DiagnosticKind::DependencyNotDeployed {
                            target: target.clone(),
                            environment: instance.environment.clone(),
                        },
                        dependency.span,
                    ));
                }
            }
        }
    }
}

/// Port names and numbers are unique, and probes target a declared port.
fn check_ports_and_probes(service: &Service, diagnostics: &mut Vec<Diagnostic>) {
    let spec = &service.parsed.spec;
    let doc = &service.parsed.doc;
    let mut names: BTreeMap<String, usize> = BTreeMap::new();
    // The same number with another protocol (53/UDP and 53/TCP) is another port.
    let mut numbers: BTreeMap<(u16, &str), usize> = BTreeMap::new();
    for (i, port) in spec.ports.iter().enumerate() {
        let index = i.to_string();
        if let Some(name) = &port.name
            && let Some(first) = names.insert(name.clone(), i)
        {
            diagnostics.push(
                Diagnostic::new(
                    DiagnosticKind::DuplicateName {
                        kind: "port".into(),
                        name: name.clone(),
                    },
                    doc.span(&["spec", "ports", index.as_str(), "name"]),
                )
                .with_related(
                    doc.span(&[
                        "spec".to_string(),
                        "ports".into(),
                        first.to_string(),
                        "name".into(),
                    ]),
                    "first defined here",
                ),
            );
        }
        let protocol = port.protocol.as_deref().unwrap_or("TCP");
        if let Some(first) = numbers.insert((port.port, protocol), i) {
            diagnostics.push(
                Diagnostic::new(
                    DiagnosticKind::DuplicateName {
                        kind: "port".into(),
                        name: port.port.to_string(),
                    },
                    doc.span(&["spec", "ports", index.as_str(), "port"]),
                )
                .with_related(
                    doc.span(&[
                        "spec".to_string(),
                        "ports".into(),
                        first.to_string(),
                        "port".into(),
                    ]),
                    "first defined here",
                ),
            );
        }
    }
    let declared: Vec<u16> = spec
        .port
        .into_iter()
        .chain(spec.ports.iter().map(|p| p.port))
        .collect();
    // A Score probe names a container port, which Score does not list: any port is allowed.
    let probes = if spec.score.is_some() {
        [("liveness", &None), ("readiness", &None)]
    } else {
        [
            ("liveness", &spec.probes.liveness),
            ("readiness", &spec.probes.readiness),
        ]
    };
    for (which, probe) in probes {
        if let Some(port) = probe.as_ref().and_then(|p| p.port)
            && !declared.contains(&port)
        {
            diagnostics.push(Diagnostic::new(
                DiagnosticKind::ProbePortNotExposed { port },
                doc.span(&["spec", "probes", which, "port"]),
            ));
        }
    }
}

/// A variable comes either from `env` or from `secrets`, in every environment.
fn check_env(service: &Service, diagnostics: &mut Vec<Diagnostic>) {
    let doc = &service.parsed.doc;
    let spec = &service.parsed.spec;
    for instance in &service.instances {
        for name in instance
            .secrets
            .keys()
            .filter(|k| instance.env.contains_key(*k) || instance.resource_env.contains_key(*k))
        {
            let over = spec.environments.get(&instance.environment);
            let path: Vec<&str> = if over.is_some_and(|o| o.secrets.contains_key(name)) {
                vec![
                    "spec",
                    "environments",
                    instance.environment.as_str(),
                    "secrets",
                    name.as_str(),
                ]
            } else {
                vec!["spec", "secrets", name.as_str()]
            };
            diagnostics.push(Diagnostic::new(
                DiagnosticKind::EnvSecretClash { name: name.clone() },
                doc.key_span(&path),
            ));
        }
    }
}

/// Requests within limits, limits within the namespace's LimitRange.
fn check_resources(
    service: &Service,
    limit_range: &StdLimitRange,
    diagnostics: &mut Vec<Diagnostic>,
) {
    let head = service.parsed.doc.head_span();
    for instance in &service.instances {
        let main = (
            &instance.resources.value,
            instance.resources.span.unwrap_or(head),
        );
        // Every container of the pod is admitted against the LimitRange, not only the main one.
        let others = instance
            .sidecars
            .iter()
            .map(|c| (&c.resources, c.resources_span.unwrap_or(head)));
        for (resources, span) in std::iter::once(main).chain(others) {
            check_container_resources(resources, span, limit_range, diagnostics);
        }
    }
}

fn check_container_resources(
    resources: &crate::parse::Resources,
    span: Span,
    limit_range: &StdLimitRange,
    diagnostics: &mut Vec<Diagnostic>,
) {
    let pairs = [
        (
            "cpu",
            &resources.requests.cpu,
            &resources.limits.cpu,
            &limit_range.max.cpu,
        ),
        (
            "memory",
            &resources.requests.memory,
            &resources.limits.memory,
            &limit_range.max.memory,
        ),
    ];
    for (resource, request, limit, max) in pairs {
        if let (Some(r), Some(l)) = (request.value(), limit.value())
            && r > l
        {
            diagnostics.push(Diagnostic::new(
                DiagnosticKind::RequestAboveLimit {
                    resource: resource.into(),
                },
                span,
            ));
        }
        if let (Some(l), Some(m)) = (limit.value(), max.value())
            && l > m
        {
            diagnostics.push(Diagnostic::new(
                DiagnosticKind::LimitAboveMaximum {
                    resource: resource.into(),
                    value: limit.0.clone(),
                    max: max.0.clone(),
                },
                span,
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::is_safe_relative_path;

    #[test]
    fn output_paths_must_stay_inside_the_root() {
        for ok in ["gitops", "out/gitops", "./gitops"] {
            assert!(is_safe_relative_path(ok), "{ok}");
        }
        for bad in [
            "",
            ".",
            "/etc",
            "../x",
            "a/../../x",
            "C:/x",
            "\\\\server\\x",
        ] {
            assert!(!is_safe_relative_path(bad), "{bad}");
        }
    }
}
