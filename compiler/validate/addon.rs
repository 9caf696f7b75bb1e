//! Checks across add-ons: no dependency cycles, no dependency on a later layer, every
//! dependency running wherever its dependent runs, and no clash between an add-on's namespace or
//! manifests and another's, or a tenant's namespace.

use std::collections::{BTreeMap, BTreeSet};

use crate::diagnostic::{Diagnostic, DiagnosticKind, DisabledDependency};
use crate::parse::AddonLayer;
use crate::resolve::{Addon, ResolvedSpec};
use crate::source::Span;

pub(super) fn check_addons(resolved: &ResolvedSpec, diagnostics: &mut Vec<Diagnostic>) {
    check_cycles(&resolved.addons, diagnostics);
    check_layers(&resolved.addons, diagnostics);
    check_dependencies_enabled(&resolved.addons, diagnostics);
    check_namespaces(resolved, diagnostics);
    check_manifests(&resolved.addons, diagnostics);
}

/// Add-ons must not depend on each other in a circle; each cycle is reported once, at the
/// dependency that closes it when the search starts from its alphabetically first member.
fn check_cycles(addons: &BTreeMap<String, Addon>, diagnostics: &mut Vec<Diagnostic>) {
    // 0 = unvisited, 1 = on the stack, 2 = done.
    let mut state: BTreeMap<&str, u8> = BTreeMap::new();
    for start in addons.keys() {
        if state.contains_key(start.as_str()) {
            continue;
        }
        let mut stack: Vec<(&str, usize)> = vec![(start, 0)];
        state.insert(start, 1);
        while let Some(&mut (name, ref mut next)) = stack.last_mut() {
            let dependency = addons
                .get(name)
                .and_then(|addon| addon.depends_on.get(*next));
            let Some(dependency) = dependency else {
                state.insert(name, 2);
                stack.pop();
                continue;
            };
            *next += 1;
            let target = dependency.name.as_str();
            match state.get(target) {
                None => {
                    state.insert(target, 1);
                    stack.push((target, 0));
                }
                Some(1) => {
                    let from = stack.iter().position(|(n, _)| *n == target).unwrap_or(0);
                    let mut cycle: Vec<String> = stack[from..]
                        .iter()
                        .map(|(n, _)| (*n).to_string())
                        .collect();
                    cycle.push(target.to_string());
                    diagnostics.push(Diagnostic::new(
                        DiagnosticKind::AddonDependencyCycle { cycle },
                        dependency.span,
                    ));
                }
                Some(_) => {}
            }
        }
    }
}

/// Flux applies the controllers layer, waits for it, then applies configs: a controllers add-on
/// that waits for a configs add-on never becomes ready.
fn check_layers(addons: &BTreeMap<String, Addon>, diagnostics: &mut Vec<Diagnostic>) {
    for addon in addons.values() {
        if addon.definition.layer != AddonLayer::Controllers {
            continue;
        }
        for dependency in &addon.depends_on {
            let Some(target) = addons.get(&dependency.name) else {
                continue;
            };
            if target.definition.layer == AddonLayer::Configs {
                diagnostics.push(
                    Diagnostic::new(
                        DiagnosticKind::AddonDependencyLayer {
                            addon: addon.name.clone(),
                            dependency: target.name.clone(),
                        },
                        dependency.span,
                    )
                    .with_related(target.layer_span, "configs layer set here"),
                );
            }
        }
    }
}

/// In every environment where an add-on runs, the add-ons it depends on run too. One diagnostic
/// per dependency, at the `dependsOn` entry, naming every environment and showing the settings
/// that switched either side.
fn check_dependencies_enabled(addons: &BTreeMap<String, Addon>, diagnostics: &mut Vec<Diagnostic>) {
    for addon in addons.values() {
        for dependency in &addon.depends_on {
            let Some(target) = addons.get(&dependency.name) else {
                continue;
            };
            let mut environments = Vec::new();
            let mut related: BTreeSet<(Span, String)> = BTreeSet::new();
            for (env, instance) in &addon.instances {
                let Some(target_instance) = target.instances.get(env) else {
                    continue;
                };
                if !instance.enabled.value || target_instance.enabled.value {
                    continue;
                }
                environments.push(env.clone());
                if let Some(span) = target_instance.enabled.span {
                    related.insert((span, format!("`{}` disabled here", target.name)));
                }
                if let (Some(span), true) = (instance.enabled.span, instance.enabled_by_user) {
                    related.insert((span, format!("`{}` enabled here", addon.name)));
                }
            }
            if environments.is_empty() {
                continue;
            }
            let mut diagnostic = Diagnostic::new(
                DiagnosticKind::AddonDependencyDisabled(Box::new(DisabledDependency {
                    addon: addon.name.clone(),
                    dependency: target.name.clone(),
                    environments,
                })),
                dependency.span,
            );
            for (span, label) in related {
                diagnostic = diagnostic.with_related(span, label);
            }
            diagnostics.push(diagnostic);
        }
    }
}

/// An add-on's namespace must not be a tenant's namespace in an environment where both exist.
fn check_namespaces(resolved: &ResolvedSpec, diagnostics: &mut Vec<Diagnostic>) {
    for tenant in resolved.tenants.values() {
        for env in tenant.quotas.keys() {
            let namespace = format!("{}-{env}", tenant.name());
            for addon in resolved.addons.values() {
                if addon.runs_in(env) && addon.definition.namespace == namespace {
                    diagnostics.push(
                        Diagnostic::new(
                            DiagnosticKind::DuplicateName {
                                kind: "namespace".into(),
                                name: namespace.clone(),
                            },
                            addon.namespace_span,
                        )
                        .with_related(
                            tenant.parsed.doc.span(&["metadata", "name"]),
                            format!("tenant `{}`'s namespace in `{env}`", tenant.name()),
                        ),
                    );
                }
            }
        }
    }
}

/// Two manifests of add-ons that run in the same environment must not be the same object.
fn check_manifests(addons: &BTreeMap<String, Addon>, diagnostics: &mut Vec<Diagnostic>) {
    let environments: BTreeSet<&String> = addons
        .values()
        .flat_map(|addon| addon.instances.keys())
        .collect();
    for env in environments {
        let mut seen: BTreeMap<String, Span> = BTreeMap::new();
        for addon in addons.values() {
            if !addon.runs_in(env) {
                continue;
            }
            for (manifest, span) in addon.definition.manifests.iter().zip(&addon.manifest_spans) {
                let text = |key: &str| manifest.get(key).and_then(|v| v.as_str()).unwrap_or("");
                let metadata = |key: &str| {
                    manifest
                        .get("metadata")
                        .and_then(|m| m.get(key))
                        .and_then(|v| v.as_str())
                        .unwrap_or("")
                };
                let group = text("apiVersion").rsplit_once('/').map_or("", |(g, _)| g);
                let namespace = metadata("namespace");
                let name = if namespace.is_empty() {
                    format!("{}/{}", text("kind"), metadata("name"))
                } else {
                    format!("{}/{namespace}/{}", text("kind"), metadata("name"))
                };
                let key = format!("{group} {name}");
                match seen.get(&key) {
                    Some(first) if first != span => diagnostics.push(
                        Diagnostic::new(
                            DiagnosticKind::DuplicateName {
                                kind: "manifest".into(),
                                name,
                            },
                            *span,
                        )
                        .with_related(*first, "first defined here"),
                    ),
                    Some(_) => {}
                    None => {
                        seen.insert(key, *span);
                    }
                }
            }
        }
    }
}
