//! The Flux target: what Flux reconciles, in the layout of fluxcd/flux2-kustomize-helm-example and
//! fluxcd/flux2-multi-tenancy.
//!
//! - `clusters/<cluster>/platform/`: the cluster's GitRepository and its Kustomizations, run as
//!   `kustomize-controller`: `infra-controllers`, then `infra-configs`, then one `tenant-<name>`
//!   per tenant. `flux bootstrap --path clusters/<cluster>` adds `flux-system/` beside it; pave
//!   never writes that folder.
//! - `infrastructure/<cluster>/{controllers,configs}/`: each layer's add-ons as HelmReleases with
//!   their HelmRepository or OCIRepository, their namespaces, and (configs) the add-ons' manifests
//!   and the ClusterRole tenants are reconciled with.
//! - `tenants/<tenant>/<env>/flux/`: the tenancy folder plus the tenant's Flux ServiceAccount,
//!   RoleBinding, GitRepository and Kustomization; that Kustomization applies the workloads folder
//!   as the tenant's ServiceAccount, so it cannot reach another namespace.
//!
//! Nothing is written when the Platform names no Git repository.

mod addons;
mod cluster;
mod objects;
mod tenant;

use std::collections::BTreeMap;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use rayon::prelude::*;

use std::sync::Arc;

use super::{ObjectContext, OutputFile, OutputTree};
use crate::lower::{Cluster, GitOpsSource, Plan, TenantEnvironment};
use crate::source::SourceMap;

/// What a cluster's objects (and one add-on's) belong to.
pub(crate) fn cluster_context(cluster: &Cluster, addon: Option<&str>) -> Arc<ObjectContext> {
    Arc::new(ObjectContext {
        environment: Some(cluster.environment.clone()),
        region: Some(cluster.region.clone()),
        cluster: Some(cluster.name.clone()),
        addon: addon.map(str::to_string),
        ..ObjectContext::default()
    })
}

pub(crate) use crate::lower::FLUX_NAMESPACE;
/// The ServiceAccounts the cluster-level objects run as: Flux's own, which are cluster admins.
/// Naming them keeps the platform's objects working when `--default-service-account` is set.
const KUSTOMIZE_CONTROLLER: &str = crate::lower::PLATFORM_APPLIER;
const HELM_CONTROLLER: &str = "helm-controller";
/// The cluster Kustomizations of the two add-on layers.
const INFRA_CONTROLLERS: &str = "infra-controllers";
const INFRA_CONFIGS: &str = "infra-configs";
/// The cluster Kustomization of what tenants need (after the controllers, before the configs).
const INFRA_TENANCY: &str = "infra-tenancy";
/// The cluster Kustomizations of Gatekeeper's templates and constraints (when it enforces the
/// policies), one after the other: a Constraint's kind exists once its template is processed.
const INFRA_POLICY_TEMPLATES: &str = "infra-policy-templates";
const INFRA_POLICIES: &str = "infra-policies";
/// The ClusterRole each tenant's ServiceAccount is bound to in its namespace.
const TENANT_ROLE: &str = "pave-tenant-reconciler";
/// Flux's label for a tenant's objects.
const FLUX_TENANT_LABEL: &str = "toolkit.fluxcd.io/tenant";

/// Adds the Flux tree of the plan, with the tenant folders of `units`; nothing without a Git
/// repository.
pub(super) fn emit(
    plan: &Plan,
    units: &[&TenantEnvironment],
    source_map: &SourceMap,
    tree: &mut OutputTree,
) -> Result<(), String> {
    let Some(gitops) = &plan.gitops else {
        return Ok(());
    };
    let per_cluster: Vec<Result<Vec<(String, OutputFile)>, String>> = plan
        .clusters
        .par_iter()
        .map(|cluster| {
            let mut files = cluster::emit(plan, gitops, cluster, source_map)?;
            files.extend(addons::emit(cluster, source_map)?);
            if let Some(gatekeeper) = &plan.gatekeeper {
                let source = &source_map.get(gatekeeper.source).name;
                files.extend(super::gatekeeper::emit(cluster, gatekeeper, source)?);
            }
            Ok(files)
        })
        .collect();
    let per_tenant: Vec<Result<Vec<(String, OutputFile)>, String>> = units
        .par_iter()
        .map(|unit| tenant::emit(gitops, unit, source_map))
        .collect();
    for files in per_cluster.into_iter().chain(per_tenant) {
        for (path, file) in files? {
            tree.insert(path, file)?;
        }
    }
    Ok(())
}

/// The path Flux reads a folder of the tree at, relative to the repository root.
fn repository_path(gitops: &GitOpsSource, dir: &str) -> String {
    format!("./{}/{dir}", gitops.path)
}

fn meta(name: &str, namespace: Option<&str>, labels: &BTreeMap<String, String>) -> ObjectMeta {
    ObjectMeta {
        name: Some(name.to_string()),
        namespace: namespace.map(str::to_string),
        labels: Some(labels.clone()),
        ..ObjectMeta::default()
    }
}
