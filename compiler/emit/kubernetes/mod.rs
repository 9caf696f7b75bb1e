//! The Kubernetes target: for each tenant and environment, `tenants/<tenant>/<env>/` with two
//! folders of manifests built from k8s-openapi types: `tenancy/` (the namespace and its
//! guardrails, which only the platform may change) and `workloads/` (the tenant's services), and
//! a `kustomization.yaml` over both, so `kubectl apply -k` applies the lot. With the default
//! layout ([`Layout::Workload`]) each workload's objects are one file in each folder,
//! `<workload>.yaml`; the namespace's own objects are a file each.

mod external_secret;

pub(crate) use external_secret::CLUSTER_SECRET_STORE;
mod tenancy;
mod workload;

use rayon::prelude::*;

use std::sync::Arc;

use super::folder::Folder;
use super::{Checker, ObjectContext, OutputFile, OutputTree, Provenance};
use crate::lower::{TenantEnvironment, Workload};
use crate::parse::Layout;
use crate::source::SourceMap;

/// The folder of a tenant in an environment, relative to the output root.
pub(super) fn unit_dir(unit: &TenantEnvironment) -> String {
    super::unit_dir(&unit.tenant, &unit.environment)
}

/// What the objects of a unit (and of one of its services) belong to.
pub(super) fn unit_context(
    unit: &TenantEnvironment,
    workload: Option<&Workload>,
) -> Arc<ObjectContext> {
    Arc::new(ObjectContext {
        tenant: Some(unit.tenant.clone()),
        environment: Some(unit.environment.clone()),
        service: workload.map(|w| w.name.clone()),
        public_ingress: workload
            .and_then(|w| w.ingress.as_ref())
            .is_some_and(|i| i.public),
        ..ObjectContext::default()
    })
}

/// The sub-folder of a unit's folder with its guardrails.
pub(super) const TENANCY: &str = "tenancy";
/// The sub-folder of a unit's folder with its workloads.
pub(super) const WORKLOADS: &str = "workloads";

/// Adds the tenant folders of `units` to the tree. Each unit is dropped as soon as its folder
/// is built, so the memory of the plan goes to the files as they are made.
pub(super) fn emit(
    units: Vec<TenantEnvironment>,
    layout: Layout,
    source_map: &SourceMap,
    tree: &mut OutputTree,
    checker: Option<&Checker<'_>>,
) -> Result<(), String> {
    let folders: Vec<Result<Vec<(String, OutputFile)>, String>> = units
        .into_par_iter()
        .map(|unit| {
            let unit = &unit;
            let dir = unit_dir(unit);
            let mut tenancy_folder = Folder::checked(format!("{dir}/{TENANCY}"), checker);
            let mut workloads = Folder::checked(format!("{dir}/{WORKLOADS}"), checker);
            let tenant_source = &source_map.get(unit.source).name;
            let context = unit_context(unit, None);
            // Only the ResourceQuota has `spec.hard`: the tenant's quota decided it; only the
            // owners' RoleBinding has `subjects`: the tenant's owners decided them.
            tenancy_folder.trace(
                Provenance::new(Some(unit.document.0), &context)
                    .field("/spec/hard", Some(unit.quota_span.0))
                    .field("/subjects", Some(unit.owners_span.0)),
            );
            tenancy::emit(unit, tenant_source, &mut tenancy_folder)?;
            // Each claim comes from its entry in the Tenant's `spec.volumes`.
            for (name, (volume, origin)) in &unit.claims {
                tenancy_folder.trace(Provenance::new(Some(origin.0), &context));
                let claim = tenancy::claim(unit, name, volume);
                tenancy_folder.add(&claim, name, tenant_source)?;
            }
            for workload in &unit.workloads {
                let source = &source_map.get(workload.source).name;
                let provenance =
                    workload::provenance(workload, &unit_context(unit, Some(workload)));
                workloads.trace(provenance.clone());
                tenancy_folder.trace(provenance);
                if layout == Layout::Workload {
                    workloads.group(Some(&workload.name));
                    tenancy_folder.group(Some(&workload.name));
                }
                workload::emit(unit, workload, source, &mut workloads, &mut tenancy_folder)?;
            }
            let mut both = Folder::new(dir);
            both.add_folder(TENANCY);
            both.add_folder(WORKLOADS);
            let mut files = tenancy_folder.finish(tenant_source)?;
            files.extend(workloads.finish(tenant_source)?);
            files.extend(both.finish(tenant_source)?);
            Ok(files)
        })
        .collect();
    for files in folders {
        for (path, file) in files? {
            tree.insert(path, file)?;
        }
    }
    Ok(())
}
