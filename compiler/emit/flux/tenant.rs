//! `tenants/<tenant>/<env>/flux/`: what the platform applies for a tenant (its tenancy folder)
//! plus the tenant's Flux wiring, all in the tenant's namespace: the ServiceAccount Flux
//! impersonates, its RoleBinding to the tenant ClusterRole, a GitRepository that checks out only
//! the tenant's workloads folder, and the Kustomization that applies it as that ServiceAccount;
//! with `spec.gitops.credentialsSecret`, the ExternalSecret that fills the GitRepository's Secret.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::ServiceAccount;
use k8s_openapi::api::rbac::v1::{RoleBinding, RoleRef, Subject};

use super::super::folder::Folder;
use super::super::kubernetes::{TENANCY, WORKLOADS, unit_dir};
use super::super::{OutputFile, Provenance};
use super::objects::{
    Dependency, GitReference, GitRepository, GitRepositorySpec, Kustomization, KustomizationSpec,
    LocalReference, SourceReference,
};
use super::{FLUX_NAMESPACE, FLUX_TENANT_LABEL, TENANT_ROLE, meta, repository_path};
use crate::lower::{GitOpsSource, TenantEnvironment};
use crate::source::SourceMap;
use crate::validate::TENANT_RECONCILER;

/// The folder the platform's `tenant-<name>` Kustomization applies.
pub(super) fn dir(tenant: &str, environment: &str) -> String {
    format!("{}/flux", crate::emit::unit_dir(tenant, environment))
}

/// The name of the platform's Kustomization for a tenant, in `flux-system`.
pub(super) fn platform_kustomization(tenant: &str) -> String {
    format!("tenant-{tenant}")
}

pub(super) fn emit(
    gitops: &GitOpsSource,
    unit: &TenantEnvironment,
    source_map: &SourceMap,
) -> Result<Vec<(String, OutputFile)>, String> {
    let source = &source_map.get(unit.source).name;
    let namespace = unit.namespace.as_str();
    let mut labels: BTreeMap<String, String> = unit.labels.clone();
    labels.insert(FLUX_TENANT_LABEL.to_string(), unit.tenant.clone());
    let mut folder = Folder::new(dir(&unit.tenant, &unit.environment));
    folder.trace(Provenance::new(
        Some(unit.document.0),
        &super::super::kubernetes::unit_context(unit, None),
    ));
    folder.add_folder(&format!("../{TENANCY}"));

    // Flux impersonates the ServiceAccount; nothing runs with its token.
    let service_account = ServiceAccount {
        metadata: meta(TENANT_RECONCILER, Some(namespace), &labels),
        automount_service_account_token: Some(false),
        ..ServiceAccount::default()
    };
    folder.add(&service_account, TENANT_RECONCILER, source)?;
    let role_binding = RoleBinding {
        metadata: meta(TENANT_RECONCILER, Some(namespace), &labels),
        role_ref: RoleRef {
            api_group: "rbac.authorization.k8s.io".into(),
            kind: "ClusterRole".into(),
            name: TENANT_ROLE.into(),
        },
        subjects: Some(vec![Subject {
            api_group: None,
            kind: "ServiceAccount".into(),
            name: TENANT_RECONCILER.into(),
            namespace: Some(namespace.to_string()),
        }]),
    };
    folder.add(&role_binding, TENANT_RECONCILER, source)?;

    let workloads_dir = format!("{}/{WORKLOADS}", unit_dir(unit));
    let repository = GitRepository::new(
        meta(&unit.tenant, Some(namespace), &labels),
        GitRepositorySpec {
            interval: "1m",
            url: gitops.url.clone(),
            reference: GitReference {
                branch: gitops.branch.clone(),
            },
            secret_ref: gitops
                .secret_name
                .as_ref()
                .map(|name| LocalReference { name: name.clone() }),
            sparse_checkout: vec![format!("{}/{workloads_dir}", gitops.path)],
        },
    );
    folder.add(&repository, &unit.tenant, source)?;
    if let (Some(secret_name), Some(credentials)) =
        (&gitops.secret_name, &gitops.credentials_secret)
    {
        git_credentials(
            secret_name,
            credentials,
            namespace,
            &labels,
            source,
            &mut folder,
        )?;
    }
    let kustomization = Kustomization::new(
        meta(&unit.tenant, Some(namespace), &labels),
        KustomizationSpec {
            depends_on: vec![Dependency {
                name: platform_kustomization(&unit.tenant),
                namespace: Some(FLUX_NAMESPACE.to_string()),
            }],
            interval: "10m",
            retry_interval: "2m",
            timeout: "5m",
            source_ref: SourceReference {
                kind: "GitRepository",
                name: unit.tenant.clone(),
            },
            path: repository_path(gitops, &workloads_dir),
            prune: true,
            wait: true,
            health_checks: Vec::new(),
            health_check_exprs: Vec::new(),
            target_namespace: Some(namespace.to_string()),
            service_account_name: TENANT_RECONCILER.to_string(),
            post_build: None,
            patches: Vec::new(),
        },
    );
    folder.add(&kustomization, &unit.tenant, source)?;
    folder.finish(source)
}

/// The tenant namespace's Git credentials: the namespace is created in the same apply as its
/// GitRepository, so nobody could put the Secret there by hand first. External Secrets copies
/// every key of the Secrets Manager secret (`dataFrom.extract`) into the Secret the
/// GitRepository's `secretRef` names, through the cluster's ClusterSecretStore; Flux reads
/// `username`/`password` or `identity`/`known_hosts` from it (Flux docs, GitRepository "Secret
/// reference").
fn git_credentials(
    secret_name: &str,
    credentials: &str,
    namespace: &str,
    labels: &BTreeMap<String, String>,
    source: &str,
    folder: &mut Folder,
) -> Result<(), String> {
    const API: &str = "external-secrets.io/v1";
    let external_secret = serde_json::json!({
        "apiVersion": API,
        "kind": "ExternalSecret",
        "metadata": meta(secret_name, Some(namespace), labels),
        "spec": {
            "refreshInterval": "1h",
            "secretStoreRef": {"kind": "ClusterSecretStore", "name": "aws-secrets-manager"},
            "target": {"name": secret_name, "creationPolicy": "Owner", "deletionPolicy": "Retain"},
            "dataFrom": [{"extract": {"key": credentials}}],
        },
    });
    folder.add_object(API, "ExternalSecret", secret_name, &external_secret, source)
}
