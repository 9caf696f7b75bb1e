//! The generated tree, in memory: relative path to file contents.

use std::collections::{BTreeMap, BTreeSet};

use super::Provenance;

/// One generated file: one object, several (a workload's, as a multi-document YAML stream), or a
/// file that is not Kubernetes objects (Terraform JSON, a catalog).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutputFile {
    /// The full contents, header included.
    pub contents: String,
    /// The spec file it was generated from (relative to the platform root).
    pub source: String,
    /// Its objects in the file's order, one per YAML document; a file that is not a list of
    /// objects has one, for the file as a whole. Never written to disk.
    pub documents: Vec<OutputDocument>,
    /// Whether the policies already evaluated its objects, as its folder was finished (see
    /// [`super::ObjectCheck`]); the others are evaluated on the finished tree.
    pub checked: bool,
}

/// One object of a generated file: where it came from, and for the wiring check its value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutputDocument {
    /// The spec nodes the object came from, for policy and wiring diagnostics.
    pub provenance: Provenance,
    /// The object as JSON, converted from the typed object as it was generated, for the wiring
    /// check (only of the kinds it reads, [`wiring_reads`]), so that it does not parse the
    /// written YAML back. Dropped once the check has run.
    pub object: Option<std::sync::Arc<serde_json::Value>>,
}

impl OutputFile {
    /// A file with one provenance for all of it (one object, or not objects at all).
    pub fn single(contents: String, source: String, provenance: Provenance, checked: bool) -> Self {
        OutputFile {
            contents,
            source,
            documents: vec![OutputDocument {
                provenance,
                object: None,
            }],
            checked,
        }
    }

    /// The provenance of the document at `index` (of the last one past the end, as for a file
    /// whose documents the emitter did not list one by one).
    pub fn provenance(&self, index: usize) -> &Provenance {
        static NONE: std::sync::LazyLock<Provenance> =
            std::sync::LazyLock::new(Provenance::default);
        self.documents
            .get(index)
            .or(self.documents.last())
            .map_or(&NONE, |document| &document.provenance)
    }
}

/// Whether the wiring check reads objects of `kind` at `path` (a file's or its folder's, relative
/// to the output root): every kind but those that refer to nothing it resolves and that nothing
/// refers to by kind (at 1,000 services, 60% of the tree's files); add-ons' ConfigMaps are read
/// (a chart's values may name one), tenants' are not.
pub fn wiring_reads(kind: &str, path: &str) -> bool {
    if kind == "ConfigMap" {
        return path.starts_with("infrastructure/");
    }
    !matches!(
        kind,
        "ConfigMap"
            | "Service"
            | "HorizontalPodAutoscaler"
            | "PodDisruptionBudget"
            | "NetworkPolicy"
            | "ResourceQuota"
            | "LimitRange"
            | "Role"
            | "CompositeResourceDefinition"
            | "ConstraintTemplate"
    )
}

/// Every generated file by `/`-separated path relative to the output root, sorted.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OutputTree {
    pub files: BTreeMap<String, OutputFile>,
    /// Each tenant-environment folder's fingerprint (see `emit::reuse`); empty when the tree was
    /// generated without reuse.
    pub units: BTreeMap<String, String>,
    /// The unit folders not generated, because the tree on disk already holds them as these
    /// inputs produce them: the writer keeps their files. Their files are not in `files`.
    pub reused: BTreeSet<String>,
    /// Each reused unit folder's namespace: what the wiring check cannot see into.
    pub reused_namespaces: BTreeMap<String, String>,
}

impl OutputTree {
    /// Adds a file; a second file at the same path is a bug in an emitter.
    pub fn insert(&mut self, path: String, file: OutputFile) -> Result<(), String> {
        if self.files.contains_key(&path) {
            return Err(format!("two generated files at `{path}`"));
        }
        self.files.insert(path, file);
        Ok(())
    }

    pub fn len(&self) -> usize {
        self.files.len()
    }

    pub fn is_empty(&self) -> bool {
        self.files.is_empty()
    }

    /// Total bytes of all files.
    pub fn bytes(&self) -> usize {
        self.files.values().map(|f| f.contents.len()).sum()
    }
}
