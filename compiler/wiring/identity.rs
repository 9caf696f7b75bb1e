//! AWS identities of pods: each EKS Pod Identity association of a cluster's Terraform root module
//! names a role of that module and a ServiceAccount the cluster has (a generated object, or one
//! the add-on's chart creates under the name pave wrote at the identity's `valuesPath`); each
//! `eks.amazonaws.com/role-arn` annotation names a role of the module whose trust policy names
//! exactly that ServiceAccount (IRSA: docs.aws.amazon.com/eks/latest/userguide/
//! associate-service-account-role.html).
//!
//! Without `spec.terraform` the tree has no root module: roles are managed elsewhere and nothing
//! is reported.

use std::collections::HashSet;

use crate::emit::Json;

use super::index::{Index, Scope};
use super::{Facts, Report};
use crate::diagnostic::Reference;

pub(super) fn check(index: &Index<'_>, facts: &Facts, report: &mut Report<'_>) {
    for scope in &index.scopes {
        let Some(module) = &scope.module else {
            continue;
        };
        let files: Vec<usize> = index.modules.get(module).cloned().unwrap_or_default();
        let roles = roles(index, &files);
        let charted = chart_service_accounts(index, scope, facts);
        for &idx in &files {
            let object = &index.objects[idx];
            let associations = object
                .value
                .pointer("/resource/aws_eks_pod_identity_association")
                .and_then(Json::as_object);
            for (key, association) in associations.into_iter().flatten() {
                let pointer = format!("/resource/aws_eks_pod_identity_association/{key}");
                let text = |field: &str| {
                    association
                        .get(field)
                        .and_then(Json::as_str)
                        .unwrap_or_default()
                };
                if let Some(role) = text("role_arn")
                    .strip_prefix("${aws_iam_role.")
                    .and_then(|rest| rest.strip_suffix(".arn}"))
                    && !roles.iter().any(|(address, ..)| address == role)
                {
                    report.unresolved(
                        object,
                        &format!("{pointer}/role_arn"),
                        Reference::IamRole,
                        format!("the role `aws_iam_role.{role}` in `{module}`"),
                    );
                }
                let (namespace, name) = (text("namespace"), text("service_account"));
                if !scope.has("ServiceAccount", namespace, name)
                    && !charted.contains(&(namespace.to_string(), name.to_string()))
                    && !scope.undecided(namespace)
                {
                    report.unresolved(
                        object,
                        &format!("{pointer}/service_account"),
                        Reference::ServiceAccount,
                        format!("ServiceAccount `{name}` in `{namespace}`"),
                    );
                }
            }
        }
        // IRSA annotations on generated ServiceAccounts.
        for (idx, namespace) in &scope.members {
            let object = &index.objects[*idx];
            if object.kind != "ServiceAccount" {
                continue;
            }
            let Some(arn) = object
                .value
                .pointer("/metadata/annotations/eks.amazonaws.com~1role-arn")
                .and_then(Json::as_str)
            else {
                continue;
            };
            let namespace = namespace.as_deref().unwrap_or_default();
            let role_name = arn.rsplit('/').next().unwrap_or_default();
            let subject = format!("system:serviceaccount:{namespace}:{}", object.name);
            let trusted = roles.iter().any(|(_, name, trust)| {
                name == role_name && trust.contains(&format!("\"{subject}\""))
            });
            if !trusted {
                report.unresolved(
                    object,
                    "/metadata/annotations",
                    Reference::IamRole,
                    format!("the role `{role_name}` trusted by `{subject}` in `{module}`"),
                );
            }
        }
    }
}

/// A module's roles: (address name, `name` argument, the trust policy as text).
fn roles(index: &Index<'_>, files: &[usize]) -> Vec<(String, String, String)> {
    files
        .iter()
        .filter_map(|idx| index.objects[*idx].value.pointer("/resource/aws_iam_role"))
        .filter_map(Json::as_object)
        .flatten()
        .map(|(address, role)| {
            let name = role.get("name").and_then(Json::as_str).unwrap_or_default();
            let trust = match role.get("assume_role_policy") {
                Some(Json::String(text)) => text.to_string(),
                Some(other) => other.to_string(),
                None => String::new(),
            };
            (address.to_string(), name.to_string(), trust)
        })
        .collect()
}

/// The ServiceAccounts the cluster's add-on charts create, as (namespace, name): each identity
/// of the add-on's catalogue entry whose name the HelmRelease's values hold at its `valuesPath`
/// (or, without one, that the chart names so itself).
pub(super) fn chart_service_accounts(
    index: &Index<'_>,
    scope: &Scope,
    facts: &Facts,
) -> HashSet<(String, String)> {
    let mut charted = HashSet::new();
    for (object, addon) in index.addon_releases(scope, facts) {
        for (namespace, name, values_path) in &addon.service_accounts {
            let created = match values_path {
                None => true,
                Some(path) => {
                    let pointer: String = path.split('.').map(|key| format!("/{key}")).collect();
                    object
                        .value
                        .pointer(&format!("/spec/values{pointer}"))
                        .and_then(Json::as_str)
                        == Some(name.as_str())
                }
            };
            if created {
                charted.insert((namespace.clone(), name.clone()));
            }
        }
    }
    charted
}
