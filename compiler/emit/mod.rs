//! Emit: a [`Plan`] to the files of the GitOps tree, in memory ([`OutputTree`]).
//!
//! One module per target; each takes the same plan (`backstage` writes the software catalog). Only `emit/` knows Kubernetes field names and
//! Terraform resource arguments. The whole tree exists before the disk is touched. Never reads or
//! writes files.

pub mod backstage;
pub(crate) mod crossplane;
pub(crate) mod engine_value;
pub(crate) mod flux;
mod folder;
mod gatekeeper;
mod json;
pub(crate) mod kubernetes;
mod output_tree;
pub mod port;
mod provenance;
mod reuse;
pub mod terraform;
pub mod yaml;

pub use json::{Json, JsonObject};
pub use output_tree::{OutputDocument, OutputFile, OutputTree, wiring_reads};
pub use provenance::{ObjectContext, Provenance};

use std::collections::BTreeMap;
use std::sync::Mutex;

use crate::diagnostic::Diagnostic;
use crate::lower::{Plan, TenantEnvironment};
use crate::source::SourceMap;

/// What evaluates generated objects folder by folder, as each is finished (the policies): from
/// the typed objects, converted straight to the policy engine's value
/// ([`engine_value::to_value`]), instead of parsing the written YAML back.
pub trait ObjectCheck: Sync {
    /// Whether the check reads objects of this kind (`apiVersion` as written).
    fn wants(&self, api_version: &str, kind: &str) -> bool;
    /// Evaluates one folder's objects that it wants: (path, file, the object's provenance, the
    /// object's value).
    fn check_folder(
        &self,
        objects: Vec<(&str, &OutputFile, &Provenance, regorus::Value)>,
    ) -> Vec<Diagnostic>;
}

/// An [`ObjectCheck`] and what it found so far, shared by the folders being generated.
pub(crate) struct Checker<'a> {
    check: &'a dyn ObjectCheck,
    /// Whether the checked folders' files get their contents.
    contents: bool,
    findings: Mutex<Vec<Diagnostic>>,
}

/// Every file of the GitOps tree for a plan.
///
/// With `reuse` (the unit fingerprints a previous compile recorded, by unit folder), the tree
/// records every unit's fingerprint, and a unit whose fingerprint is unchanged is not generated:
/// its folder is listed in [`OutputTree::reused`] for the writer to keep as it is. Without,
/// everything is generated (what `diff` and `compile --check` compare against the disk).
///
/// With `check`, the tenant folders' objects are evaluated as they are generated (and marked
/// [`OutputFile::checked`]); its findings are returned beside the tree, in no particular order.
/// Without `contents` (and with `check`), those folders' files are left empty: only their
/// evaluation is wanted.
///
/// Takes the plan: the tenant folders are built last, and each unit is freed as soon as its
/// folder is, so its memory goes to the files made after it (at ten thousand services the units
/// hold about 150 MB).
pub fn emit(
    mut plan: Plan,
    source_map: &SourceMap,
    reuse: Option<&BTreeMap<String, String>>,
    check: Option<&dyn ObjectCheck>,
    contents: bool,
) -> Result<(OutputTree, Vec<Diagnostic>), String> {
    let mut tree = OutputTree::default();
    let generate = match reuse {
        None => vec![true; plan.units.len()],
        Some(previous) => {
            let dirs: Vec<String> = plan.units.iter().map(kubernetes::unit_dir).collect();
            let fingerprints = reuse::fingerprints(&plan, source_map);
            let generate = reuse::to_generate(&dirs, &fingerprints, previous);
            for (((dir, fingerprint), generated), unit) in dirs
                .into_iter()
                .zip(fingerprints)
                .zip(&generate)
                .zip(&plan.units)
            {
                if !generated {
                    tree.reused.insert(dir.clone());
                    tree.reused_namespaces
                        .insert(dir.clone(), unit.namespace.clone());
                }
                tree.units.insert(dir, fingerprint);
            }
            generate
        }
    };
    {
        // The units whose folders this tree holds; the others are reused as they are on disk.
        let units: Vec<&TenantEnvironment> = plan
            .units
            .iter()
            .zip(&generate)
            .filter_map(|(unit, &generated)| generated.then_some(unit))
            .collect();
        crossplane::emit(&plan, &units, source_map, &mut tree)?;
        flux::emit(&plan, &units, source_map, &mut tree)?;
        terraform::emit(&plan, source_map, &mut tree)?;
        if let Some(catalog) = &plan.catalog {
            if catalog.backstage {
                backstage::emit(catalog, source_map, &mut tree)?;
            }
            if catalog.port {
                port::emit(catalog, source_map, &mut tree)?;
            }
        }
    }
    // The tenant folders last: they take the units, and free each once its folder is built.
    let units: Vec<TenantEnvironment> = std::mem::take(&mut plan.units)
        .into_iter()
        .zip(generate)
        .filter_map(|(unit, generated)| generated.then_some(unit))
        .collect();
    let checker = check.map(|check| Checker {
        check,
        contents,
        findings: Mutex::default(),
    });
    let layout = plan.layout;
    kubernetes::emit(units, layout, source_map, &mut tree, checker.as_ref())?;
    let findings = match checker.map(|checker| checker.findings.into_inner()) {
        None => Vec::new(),
        Some(Ok(findings)) => findings,
        Some(Err(poisoned)) => poisoned.into_inner(),
    };
    Ok((tree, findings))
}
