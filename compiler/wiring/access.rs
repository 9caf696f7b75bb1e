//! Who may use a cluster: every group a RoleBinding or ClusterRoleBinding names is one EKS puts
//! someone in, through the `kubernetes_groups` of an access entry of the cluster's Terraform root
//! module (EKS User Guide, "Create access entries": the cluster's authentication mode is `API`,
//! so access entries are the only mapping from IAM to Kubernetes). A group no entry maps binds
//! nobody: the tenant's owners could not log in. Groups of the `system:` prefix are Kubernetes'
//! own. Users are not checked: a role's session is named after its session name, which only the
//! person assuming the role chooses.
//!
//! Without `spec.terraform` the tree has no root module: access is managed elsewhere and nothing
//! is reported.

use std::collections::BTreeSet;

use crate::emit::Json;

use super::Report;
use super::index::{Index, items};
use crate::diagnostic::Reference;

pub(super) fn check(index: &Index<'_>, report: &mut Report<'_>) {
    for scope in &index.scopes {
        let Some(module) = &scope.module else {
            continue;
        };
        let files: Vec<usize> = index.modules.get(module).cloned().unwrap_or_default();
        let mapped: BTreeSet<&str> = files
            .iter()
            .filter_map(|idx| {
                index.objects[*idx]
                    .value
                    .pointer("/resource/aws_eks_access_entry")
            })
            .filter_map(Json::as_object)
            .flat_map(|entries| entries.values())
            .flat_map(|entry| items(entry, "kubernetes_groups"))
            .filter_map(Json::as_str)
            .collect();
        for (idx, _) in &scope.members {
            let object = &index.objects[*idx];
            if object.group() != "rbac.authorization.k8s.io"
                || !matches!(object.kind.as_str(), "RoleBinding" | "ClusterRoleBinding")
            {
                continue;
            }
            for (i, subject) in items(&object.value, "subjects").enumerate() {
                let kind = subject.get("kind").and_then(Json::as_str);
                let Some(name) = subject.get("name").and_then(Json::as_str) else {
                    continue;
                };
                if kind == Some("Group") && !name.starts_with("system:") && !mapped.contains(name) {
                    report.unresolved(
                        object,
                        &format!("/subjects/{i}"),
                        Reference::KubernetesGroup,
                        format!("an access entry with the group `{name}` in `{module}`"),
                    );
                }
            }
        }
    }
}
