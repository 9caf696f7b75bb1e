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
pub mod terraform;
pub mod yaml;

pub use engine_value::Mask;
pub use json::{Json, JsonObject};
pub use output_tree::{OutputDocument, OutputFile, OutputTree, wiring_reads};
pub use provenance::{ObjectContext, Provenance};

/// The folder of a tenant's unit in an environment (`tenants/<tenant>/<env>`): what the reuse
/// cache's and the check cache's units are keyed by.
pub fn unit_dir(tenant: &str, environment: &str) -> String {
    format!("tenants/{tenant}/{environment}")
}

use std::collections::BTreeSet;
use std::sync::{Mutex, PoisonError};

use crate::diagnostic::Diagnostic;
use crate::lower::{Plan, TenantEnvironment};
use crate::source::SourceMap;

/// What evaluates generated objects folder by folder, as each is finished (the policies): from
/// the typed objects, converted straight to the policy engine's value
/// ([`engine_value::to_value`]), instead of parsing the written YAML back.
pub trait ObjectCheck: Sync {
    /// Whether the check reads objects of this kind (`apiVersion` as written).
    fn wants(&self, api_version: &str, kind: &str) -> bool;
    /// What of an object of this kind decides whether the check can tell at once that it
    /// finds nothing on it ([`ObjectCheck::answered`]), if it can tell from part of it.
    fn mask(&self, api_version: &str, kind: &str) -> Option<&Mask>;
    /// Whether the check is known to find nothing on the object at `path`, from `masked`, the
    /// object converted through [`ObjectCheck::mask`]: if so, it is not converted whole nor
    /// given to [`ObjectCheck::check_folder`].
    fn answered(&self, path: &str, provenance: &Provenance, masked: &regorus::Value) -> bool;
    /// Evaluates one folder's objects that it wants: (path, file, the object's provenance, the
    /// object's value).
    fn check_folder(
        &self,
        objects: Vec<(&str, &OutputFile, &Provenance, regorus::Value)>,
    ) -> Vec<Diagnostic>;
    /// Whether `tenant`'s folders must be evaluated on every run, whatever their fingerprint:
    /// what the check reports about them depends on more than their objects (a waiver of the
    /// tenant's is reported unused unless some object of theirs used it).
    fn evaluates_every_time(&self, tenant: &str) -> bool;
}

/// An [`ObjectCheck`] and what it found so far, shared by the folders being generated.
pub(crate) struct Checker<'a> {
    check: &'a dyn ObjectCheck,
    /// Whether the checked folders' files get their contents.
    contents: bool,
    findings: Mutex<Vec<Diagnostic>>,
    /// The folders (relative to the output root) on whose objects something was found.
    flagged: Mutex<BTreeSet<String>>,
}

/// Every file of the GitOps tree for a plan.
///
/// A plan made reusing an earlier compile's units (`lower::lower_reusing`) gives every unit's
/// fingerprint, recorded in [`OutputTree::units`], and leaves out the units whose fingerprint is
/// unchanged: their folders are listed in [`OutputTree::reused`] for the writer to keep as they
/// are. Otherwise everything is generated (what `diff` and `compile --check` compare against the
/// disk).
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
    check: Option<&dyn ObjectCheck>,
    contents: bool,
) -> Result<(OutputTree, Vec<Diagnostic>), String> {
    let mut tree = OutputTree::default();
    for outline in &plan.outlines {
        let dir = unit_dir(&outline.tenant, &outline.environment);
        if !outline.lowered {
            tree.reused.insert(dir.clone());
            tree.reused_namespaces
                .insert(dir.clone(), outline.namespace.clone());
        }
        if check.is_some_and(|check| check.evaluates_every_time(&outline.tenant)) {
            tree.unreusable.insert(dir.clone());
        }
        if let Some(fingerprint) = &outline.fingerprint {
            tree.units.insert(dir, fingerprint.clone());
        }
    }
    {
        // The units whose folders this tree holds; the others are reused as they are on disk.
        let units: Vec<&TenantEnvironment> = plan.units.iter().collect();
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
    let units: Vec<TenantEnvironment> = std::mem::take(&mut plan.units);
    let checker = check.map(|check| Checker {
        check,
        contents,
        findings: Mutex::default(),
        flagged: Mutex::default(),
    });
    let layout = plan.layout;
    kubernetes::emit(units, layout, source_map, &mut tree, checker.as_ref())?;
    let Some(checker) = checker else {
        return Ok((tree, Vec::new()));
    };
    let flagged = checker
        .flagged
        .into_inner()
        .unwrap_or_else(PoisonError::into_inner);
    // A folder's parent is its unit's folder (`<unit>/tenancy`, `<unit>/workloads`).
    tree.unreusable.extend(
        flagged
            .iter()
            .filter_map(|folder| Some(folder.rsplit_once('/')?.0.to_string())),
    );
    let findings = checker
        .findings
        .into_inner()
        .unwrap_or_else(PoisonError::into_inner);
    Ok((tree, findings))
}
