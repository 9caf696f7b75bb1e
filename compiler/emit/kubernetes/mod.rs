//! The Kubernetes target: for each tenant and environment, `tenants/<tenant>/<env>/` with two
//! folders of manifests built from k8s-openapi types: `tenancy/` (the namespace and its
//! guardrails, which only the platform may change) and `workloads/` (the tenant's services), and
//! a `kustomization.yaml` over both, so `kubectl apply -k` applies the lot.

mod external_secret;
mod tenancy;
mod workload;

use rayon::prelude::*;

use super::folder::Folder;
use super::{OutputFile, OutputTree};
use crate::lower::{Plan, TenantEnvironment};
use crate::source::SourceMap;

/// The folder of a tenant in an environment, relative to the output root.
pub(super) fn unit_dir(unit: &TenantEnvironment) -> String {
    format!("tenants/{}/{}", unit.tenant, unit.environment)
}

/// The sub-folder of a unit's folder with its guardrails.
pub(super) const TENANCY: &str = "tenancy";
/// The sub-folder of a unit's folder with its workloads.
pub(super) const WORKLOADS: &str = "workloads";

/// Adds the tenant folders of the plan's units to the tree, those `generate` says (by unit).
pub(super) fn emit(
    plan: &Plan,
    generate: &[bool],
    source_map: &SourceMap,
    tree: &mut OutputTree,
) -> Result<(), String> {
    let folders: Vec<Result<Vec<(String, OutputFile)>, String>> = plan
        .units
        .par_iter()
        .zip(generate)
        .filter(|(_, generate)| **generate)
        .map(|(unit, _)| {
            let dir = unit_dir(unit);
            let mut tenancy_folder = Folder::new(format!("{dir}/{TENANCY}"));
            let mut workloads = Folder::new(format!("{dir}/{WORKLOADS}"));
            let tenant_source = &source_map.get(unit.source).name;
            tenancy::emit(unit, tenant_source, &mut tenancy_folder)?;
            for workload in &unit.workloads {
                let source = &source_map.get(workload.source).name;
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
