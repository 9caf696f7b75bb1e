//! Managed resources: requests that share a resource (same name in a tenant's namespace) agree on
//! its type, class and parameters, and resource names fit Kubernetes' limit.

use std::collections::{BTreeMap, BTreeSet};

use crate::diagnostic::{Diagnostic, DiagnosticKind};
use crate::resolve::{ResolvedSpec, ResourceUse};

use super::MAX_NAME;

/// Resources need Crossplane where they are requested; secrets and secret outputs need External
/// Secrets.
pub(super) fn check_required_addons(resolved: &ResolvedSpec, diagnostics: &mut Vec<Diagnostic>) {
    let enabled =
        |addon: &str, env: &str| resolved.addons.get(addon).is_some_and(|a| a.runs_in(env));
    let claims = resolved.platform.spec.crossplane.claims;
    for service in &resolved.services {
        let doc = &service.parsed.doc;
        for instance in &service.instances {
            let env = instance.environment.as_str();
            // A `crossplane` type ships a v2 XRD: with claims it needs its v1 Composition too.
            if claims
                && let Some(resource_use) = instance.requires.iter().find(|u| {
                    u.data
                        .spec
                        .crossplane
                        .as_ref()
                        .is_some_and(|c| c.claims.is_none())
                })
            {
                diagnostics.push(Diagnostic::new(
                    DiagnosticKind::InvalidValue {
                        message: format!(
                            "`{}` needs Crossplane v2, and the Platform asks for v1 claims",
                            resource_use.resource_type.as_str()
                        ),
                        help: Some(
                            "this `crossplane` resource type ships no `claims` Composition (for cluster-scoped managed resources); give it one, or leave `spec.crossplane.claims` off to use it"
                                .into(),
                        ),
                    },
                    resource_use.span,
                ));
            }
            // A `terraform` type's blocks go into the cluster's root module.
            if resolved.platform.spec.terraform.is_none()
                && let Some(resource_use) = instance
                    .requires
                    .iter()
                    .find(|u| u.data.mode() == crate::parse::ProvisionMode::Terraform)
            {
                diagnostics.push(Diagnostic::new(
                    DiagnosticKind::InvalidValue {
                        message: format!(
                            "`{}` is provided by Terraform, and the Platform generates no Terraform",
                            resource_use.resource_type.as_str()
                        ),
                        help: Some(
                            "a `terraform` resource type's blocks are written into each cluster's root module: give the Platform `spec.terraform`"
                                .into(),
                        ),
                    },
                    resource_use.span,
                ));
            }
            if let Some(first) = instance.requires.iter().find(|u| u.uses_crossplane())
                && !enabled("crossplane", env)
            {
                diagnostics.push(Diagnostic::new(
                    DiagnosticKind::RequiredAddonDisabled {
                        addon: "crossplane".into(),
                        environment: env.into(),
                        what: "managed resources",
                    },
                    first.span,
                ));
            }
            // Atlas clusters are created in the environment's project (`spec.atlas`).
            let atlas = resolved
                .environments
                .get(env)
                .is_some_and(|e| e.parsed.spec.atlas.is_some());
            if let Some(mongodb) = instance.requires.iter().find(|u| u.uses_atlas())
                && !atlas
            {
                diagnostics.push(Diagnostic::new(
                    DiagnosticKind::AtlasProjectMissing {
                        environment: env.into(),
                    },
                    mongodb.span,
                ));
            }
            let reads_secret_output = instance.resource_env.values().flatten().any(|part| {
                let crate::resolve::EnvPart::Output { resource, output } = part else {
                    return false;
                };
                instance.requires.iter().any(|u| {
                    &u.name == resource
                        && u.output_source(output) == Some(crate::parse::OutputSource::Secret)
                })
            });
            let needs_secrets = !instance.secrets.is_empty() || reads_secret_output;
            if needs_secrets && !enabled("external-secrets", env) {
                let span = if instance.secrets.is_empty() {
                    instance.requires.first().map(|u| u.span)
                } else {
                    Some(doc.key_span(&["spec", "secrets"]))
                };
                if let Some(span) = span {
                    diagnostics.push(Diagnostic::new(
                        DiagnosticKind::RequiredAddonDisabled {
                            addon: "external-secrets".into(),
                            environment: env.into(),
                            what: "secrets and secret outputs",
                        },
                        span,
                    ));
                }
            }
        }
    }
}

pub(super) fn check_resources(resolved: &ResolvedSpec, diagnostics: &mut Vec<Diagnostic>) {
    // (tenant, environment, resource name) -> the first request that names it.
    let mut first: BTreeMap<(&str, &str, String), &ResourceUse> = BTreeMap::new();
    let mut too_long = BTreeSet::new();
    for service in &resolved.services {
        for instance in &service.instances {
            for resource_use in &instance.requires {
                let name = resource_use.resource_name(service.name());
                if name.len() > MAX_NAME {
                    if !too_long.insert(resource_use.span) {
                        continue;
                    }
                    diagnostics.push(Diagnostic::new(
                        DiagnosticKind::NameTooLong {
                            name: name.clone(),
                            max: MAX_NAME,
                        },
                        resource_use.span,
                    ));
                    continue;
                }
                let key = (
                    service.tenant.as_str(),
                    instance.environment.as_str(),
                    name.clone(),
                );
                let Some(earlier) = first.get(&key) else {
                    first.insert(key, resource_use);
                    continue;
                };
                let conflict = if earlier.resource_type != resource_use.resource_type {
                    Some("type".to_string())
                } else if earlier.class != resource_use.class {
                    Some("class".to_string())
                } else {
                    earlier.regions.iter().find_map(|(region, decided)| {
                        let other = resource_use.regions.get(region)?;
                        decided
                            .params
                            .iter()
                            .find(|(k, v)| other.params.get(*k) != Some(*v))
                            .map(|(k, _)| k.clone())
                    })
                };
                if let Some(param) = conflict {
                    diagnostics.push(
                        Diagnostic::new(
                            DiagnosticKind::SharedResourceConflict { id: name, param },
                            resource_use.span,
                        )
                        .with_related(earlier.span, "first requested here"),
                    );
                }
            }
        }
    }
}
