//! Wiring: the generated tree checked as a whole, after emit. The external validators check each
//! object's form; this stage checks that every reference an object makes is produced by
//! something in the tree (or by something documented to exist on the cluster), resolved the way
//! its consumer resolves it: Flux paths, sources and dependencies; Secrets; StorageClasses; the
//! certificates and zones of Ingress hosts; the objects add-on charts read by name from their
//! values; the IAM roles and ServiceAccounts of EKS Pod
//! Identity; Crossplane functions, provider configs, environment configs and runtime configs;
//! the role, subnets, security groups and interruption queue of the nodes Karpenter launches;
//! the EKS access entries that put people in the groups RoleBindings name; the Secrets Manager
//! secrets ExternalSecrets read; the Capsule Tenant a namespace's label assigns it to, and whether
//! Capsule admits the user Flux creates it as;
//! and each namespace's Pod Security level against the pods pave writes into it.
//!
//! In: the [`OutputTree`] (each object of a kind the check reads, as emit converted it from the
//! policies' engine value to a compact `emit::Json`, without what no check here reads: a workload's pod template metadata
//! and what its containers run, labels but a Namespace's, annotations but a ServiceAccount's and
//! a StorageClass's; `emit::output_tree::for_wiring`;
//! Terraform JSON parsed) and the [`Facts`] of the
//! add-on catalogue. Out: diagnostics, placed through each file's `Provenance` (the spec node or
//! catalogue entry behind the object). Objects are grouped per cluster as Flux applies them:
//! from `clusters/<cluster>/` through every Kustomization's `path`, with its
//! `targetNamespace`. Never reads or writes files.

mod access;
mod capsule;
mod crossplane;
mod facts;
mod flux;
mod identity;
mod index;
mod nodes;
mod pod_security;
mod references;
mod secrets_manager;
mod values;

pub use facts::Facts;

use std::collections::HashMap;

use crate::diagnostic::{Diagnostic, DiagnosticKind, Reference, UnresolvedReference};
use crate::emit::OutputTree;
use crate::source::{FileId, SourceMap, Span};

use index::{Index, Object};

/// Every broken reference of the tree, unsorted.
pub fn check(tree: &OutputTree, facts: &Facts, source_map: &SourceMap) -> Vec<Diagnostic> {
    let index = Index::new(tree, &facts.gitops_path);
    let mut report = Report::new(source_map);
    flux::check(&index, facts, &mut report);
    references::check(&index, &mut report);
    identity::check(&index, facts, &mut report);
    crossplane::check(&index, &mut report);
    nodes::check(&index, facts, &mut report);
    access::check(&index, &mut report);
    secrets_manager::check(&index, facts, &mut report);
    values::check(&index, facts, &mut report);
    pod_security::check(&index, facts, &mut report);
    capsule::check(&index, &facts.gitops_path, &mut report);
    report.diagnostics
}

/// Collects diagnostics, placing each through the referring object's provenance.
struct Report<'a> {
    /// Spec file name to its id, for objects with no finer place.
    files: HashMap<&'a str, FileId>,
    source_map: &'a SourceMap,
    diagnostics: Vec<Diagnostic>,
}

impl<'a> Report<'a> {
    fn new(source_map: &'a SourceMap) -> Self {
        let files = source_map
            .files()
            .map(|(id, file)| (file.name.as_str(), id))
            .collect();
        Report {
            files,
            source_map,
            diagnostics: Vec::new(),
        }
    }

    /// The spec node behind the value at `pointer` of `object`: the longest recorded pointer,
    /// the object's node, else its spec file's first line.
    fn span(&self, object: &Object<'_>, pointer: &str) -> Option<Span> {
        object.provenance.span_of(pointer).or_else(|| {
            let id = *self.files.get(object.file.source.as_str())?;
            let text = &self.source_map.get(id).text;
            let start = text
                .lines()
                .position(|line| !line.trim().is_empty() && !line.starts_with('#'))
                .map_or(0, |n| text.lines().take(n).map(|l| l.len() + 1).sum());
            let end = text[start..].find('\n').map_or(text.len(), |n| start + n);
            Some(Span::new(id, start, end))
        })
    }

    fn push(&mut self, object: &Object<'_>, pointer: &str, kind: DiagnosticKind) {
        let diagnostic = match self.span(object, pointer) {
            Some(span) => Diagnostic::new(kind, span),
            None => Diagnostic::unplaced(kind),
        };
        self.diagnostics.push(diagnostic);
    }

    /// `object` refers, at `pointer`, to `target`, which nothing produces.
    fn unresolved(
        &mut self,
        object: &Object<'_>,
        pointer: &str,
        reference: Reference,
        target: String,
    ) {
        let kind = DiagnosticKind::UnresolvedReference(Box::new(UnresolvedReference {
            reference,
            target,
            referrer: object.describe(),
        }));
        self.push(object, pointer, kind);
    }
}
