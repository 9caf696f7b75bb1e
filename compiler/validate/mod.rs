//! Validate: semantic checks across documents on the resolved platform.
//!
//! In: a [`ResolvedSpec`]. Out: a [`ValidatedSpec`], the same platform with the guarantee that
//! replica ranges are ordered, workload settings fit the workload kind, dependencies and promotions
//! have no cycles, derived names fit Kubernetes' (and AWS's) limits, the output path stays inside
//! the platform root, and the cloud foundation's networks, node groups and DNS zones are sound.
//! Never reads files and never changes the spec.

mod foundation;

use std::collections::{BTreeMap, HashMap};

use crate::diagnostic::{Diagnostic, DiagnosticKind, StageResult, finish};
use crate::parse::{Replicas, WorkloadKind};
use crate::resolve::{ResolvedSpec, Service};
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
    for service in &resolved.services {
        check_workload(service, &mut diagnostics);
    }
    check_dependency_cycles(&resolved, &mut diagnostics);
    check_ingress_hosts(&resolved, &mut diagnostics);
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
                    DiagnosticKind::NameTooLong {
                        name: namespace,
                        max: MAX_NAME,
                    },
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

/// Services must not depend on each other in a circle.
fn check_dependency_cycles(resolved: &ResolvedSpec, diagnostics: &mut Vec<Diagnostic>) {
    let index: HashMap<(&str, &str), usize> = resolved
        .services
        .iter()
        .enumerate()
        .map(|(i, s)| ((s.tenant.as_str(), s.name()), i))
        .collect();
    let edges: Vec<Vec<(usize, Span)>> = resolved
        .services
        .iter()
        .map(|s| {
            s.dependencies
                .iter()
                .filter_map(|d| {
                    index
                        .get(&(d.tenant.as_str(), d.service.as_str()))
                        .map(|&t| (t, d.span))
                })
                .collect()
        })
        .collect();
    // Iterative depth-first search; 0 = unvisited, 1 = on the stack, 2 = done.
    let mut state = vec![0u8; edges.len()];
    for start in 0..edges.len() {
        if state[start] != 0 {
            continue;
        }
        let mut stack: Vec<(usize, usize)> = vec![(start, 0)];
        state[start] = 1;
        while let Some(&mut (node, ref mut next)) = stack.last_mut() {
            if let Some(&(target, span)) = edges[node].get(*next) {
                *next += 1;
                match state[target] {
                    0 => {
                        state[target] = 1;
                        stack.push((target, 0));
                    }
                    1 => {
                        let from = stack.iter().position(|(n, _)| *n == target).unwrap_or(0);
                        let mut cycle: Vec<String> = stack[from..]
                            .iter()
                            .map(|(n, _)| full_name(&resolved.services[*n]))
                            .collect();
                        cycle.push(full_name(&resolved.services[target]));
                        diagnostics.push(Diagnostic::new(
                            DiagnosticKind::DependencyCycle { cycle },
                            span,
                        ));
                    }
                    _ => {}
                }
            } else {
                state[node] = 2;
                stack.pop();
            }
        }
    }
}

fn full_name(service: &Service) -> String {
    format!("{}/{}", service.tenant, service.name())
}

/// Two services cannot claim the same host and path in one environment.
fn check_ingress_hosts(resolved: &ResolvedSpec, diagnostics: &mut Vec<Diagnostic>) {
    let mut claimed: BTreeMap<(&str, &str, &str), Option<Span>> = BTreeMap::new();
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
                Some(first) if *first != ingress.span => {
                    let mut diagnostic = Diagnostic::new(
                        DiagnosticKind::DuplicateName {
                            kind: "ingress host".into(),
                            name: format!("{}{}", ingress.value.host, ingress.value.path),
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
                    claimed.insert(key, ingress.span);
                }
            }
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
