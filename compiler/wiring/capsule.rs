//! Capsule: a namespace labelled `capsule.clastix.io/tenant: <tenant>` belongs to that Capsule
//! Tenant only if the Tenant exists on the cluster and Capsule's mutating webhook sets the
//! namespace's owner reference when it is created, which it does for a request by an owner of
//! the Tenant or by one of Capsule's administrators (capsule
//! `pkg/webhook/namespace/mutation/ownerreference.go`; projectcapsule.dev docs, "Namespaces",
//! Administration). Flux creates a namespace as the ServiceAccount its Kustomization names
//! (`spec.serviceAccountName`, in the Kustomization's namespace; kustomize-controller's own when
//! unset), so that user must be an administrator in the values of the cluster's Capsule release
//! (`manager.options.administrators`, the chart's CapsuleConfiguration) or an owner of the
//! Tenant. Otherwise the label assigns nothing: the Tenant counts no namespace and enforces
//! nothing in it.

use std::collections::{BTreeMap, HashSet};

use crate::emit::Json;

use super::Report;
use super::index::{Index, Scope, join};
use crate::diagnostic::Reference;
use crate::lower::CAPSULE_TENANT_LABEL;

/// Kustomize-controller's own identity, which a Kustomization without `serviceAccountName`
/// applies as.
fn default_applier() -> String {
    format!(
        "system:serviceaccount:{}:{}",
        crate::lower::FLUX_NAMESPACE,
        crate::lower::PLATFORM_APPLIER
    )
}

pub(super) fn check(index: &Index<'_>, gitops_path: &str, report: &mut Report<'_>) {
    for scope in &index.scopes {
        let labelled: Vec<usize> = scope
            .members
            .iter()
            .map(|(idx, _)| *idx)
            .filter(|idx| {
                let object = &index.objects[*idx];
                object.kind == "Namespace" && tenant_label(&object.value).is_some()
            })
            .collect();
        if labelled.is_empty() {
            continue;
        }
        let mut tenants: BTreeMap<&str, HashSet<(String, String)>> = BTreeMap::new();
        let mut administrators: HashSet<(String, String)> = HashSet::new();
        for (idx, _) in &scope.members {
            let object = &index.objects[*idx];
            if object.group() == "capsule.clastix.io" && object.kind == "Tenant" {
                tenants.insert(
                    object.name.as_str(),
                    subjects(object.value.pointer("/spec/owners")),
                );
            } else if object.group() == "helm.toolkit.fluxcd.io" && object.kind == "HelmRelease" {
                administrators.extend(subjects(
                    object
                        .value
                        .pointer("/spec/values/manager/options/administrators"),
                ));
            }
        }
        let appliers = appliers(index, scope, gitops_path);
        for idx in labelled {
            let namespace = &index.objects[idx];
            let Some(tenant) = tenant_label(&namespace.value) else {
                continue;
            };
            let pointer = "/metadata/labels/capsule.clastix.io~1tenant";
            let Some(owners) = tenants.get(tenant) else {
                report.unresolved(
                    namespace,
                    pointer,
                    Reference::CapsuleTenant,
                    format!("the Capsule Tenant `{tenant}` on cluster `{}`", scope.name),
                );
                continue;
            };
            let applier = appliers
                .get(namespace.path)
                .cloned()
                .unwrap_or_else(default_applier);
            let subject = ("ServiceAccount".to_string(), applier.clone());
            let user = ("User".to_string(), applier.clone());
            let admitted = [&subject, &user]
                .iter()
                .any(|s| administrators.contains(*s) || owners.contains(*s));
            if !admitted {
                report.unresolved(
                    namespace,
                    pointer,
                    Reference::CapsuleAssignment,
                    format!(
                        "`{applier}` (which Flux creates the namespace as) among the Capsule \
                         administrators or the owners of Tenant `{tenant}` on cluster `{}`",
                        scope.name
                    ),
                );
            }
        }
    }
}

/// The tenant a Namespace's Capsule label names.
fn tenant_label(value: &Json) -> Option<&str> {
    value
        .pointer("/metadata/labels")
        .and_then(|labels| labels.get(CAPSULE_TENANT_LABEL))
        .and_then(Json::as_str)
}

/// (kind, name) of every entry of a list of Capsule subjects (owners, administrators).
fn subjects(list: Option<&Json>) -> HashSet<(String, String)> {
    list.and_then(Json::as_array)
        .into_iter()
        .flatten()
        .filter_map(|subject| {
            let kind = subject.get("kind").and_then(Json::as_str)?;
            let name = subject.get("name").and_then(Json::as_str)?;
            Some((kind.to_string(), name.to_string()))
        })
        .collect()
}

/// Each file a Flux Kustomization of `scope` applies, with the Kubernetes user it applies as:
/// its `serviceAccountName` in its own namespace (Flux impersonates that ServiceAccount), or
/// kustomize-controller's own identity. Folders are followed through their kustomization.yaml's
/// `resources`, as kustomize builds them.
fn appliers(index: &Index<'_>, scope: &Scope, gitops_path: &str) -> BTreeMap<String, String> {
    let mut appliers = BTreeMap::new();
    for (idx, _) in &scope.members {
        let object = &index.objects[*idx];
        if object.kind != "Kustomization" || object.group() != "kustomize.toolkit.fluxcd.io" {
            continue;
        }
        let Some(dir) = object
            .value
            .pointer("/spec/path")
            .and_then(Json::as_str)
            .and_then(|path| Index::flux_dir(path, gitops_path))
        else {
            continue;
        };
        let applier = match (
            object
                .value
                .pointer("/spec/serviceAccountName")
                .and_then(Json::as_str),
            object.namespace.as_deref(),
        ) {
            (Some(account), Some(namespace)) => {
                format!("system:serviceaccount:{namespace}:{account}")
            }
            _ => default_applier(),
        };
        let mut queue = vec![dir];
        let mut seen = HashSet::new();
        while let Some(dir) = queue.pop() {
            if !seen.insert(dir.clone()) {
                continue;
            }
            let Some((_, resources)) = index.folders.get(&dir) else {
                continue;
            };
            for resource in resources {
                let path = join(&dir, resource);
                if index.folders.contains_key(&path) {
                    queue.push(path);
                } else {
                    appliers.insert(path, applier.clone());
                }
            }
        }
    }
    appliers
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn owners_and_administrators_are_read_as_kind_and_name() {
        let list = serde_json::json!([
            {"kind": "ServiceAccount", "name": "system:serviceaccount:flux-system:kustomize-controller"},
            {"kind": "Group", "name": "shop-engineers", "clusterRoles": ["edit"]},
            {"name": "no-kind"},
        ]);
        let subjects = subjects(Some(&Json::from(list)));
        assert_eq!(subjects.len(), 2);
        assert!(subjects.contains(&(
            "ServiceAccount".to_string(),
            "system:serviceaccount:flux-system:kustomize-controller".to_string()
        )));
    }
}
