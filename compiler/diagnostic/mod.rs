//! The one [`Diagnostic`] type every stage reports, the catalogue of kinds
//! ([`DiagnosticKind`]), and the renderers (human, through miette, and JSON).

mod kind;
mod render;

pub(crate) use kind::suggest;
pub use kind::{
    CidrOverlap, CidrProblem, DiagnosticKind, DisabledDependency, PlaceholderProblem,
    PolicyViolation, RefKind, Reference, RoleArnProblem, Severity, UnresolvedReference,
};
pub use render::{
    RenderOptions, render_github, render_human, render_json, render_sarif, sarif_log,
};
pub(crate) use render::{github_data, github_property};

use crate::source::Span;

/// A problem found in the input (or, for [`DiagnosticKind::Internal`], in pave itself).
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Diagnostic {
    /// Boxed: kinds carry names, and diagnostics travel in `Result`s.
    pub kind: Box<DiagnosticKind>,
    /// Where the problem is; `None` only for problems with no place in a file (I/O, internal).
    pub span: Option<Span>,
    /// The JSON path of the node within its document, e.g. `spec.replicas.min`.
    pub path: Option<String>,
    /// Secondary labels: other places that take part ("first defined here").
    pub related: Vec<(Span, String)>,
}

impl Diagnostic {
    pub fn new(kind: DiagnosticKind, span: Span) -> Self {
        Diagnostic {
            kind: Box::new(kind),
            span: Some(span),
            path: None,
            related: Vec::new(),
        }
    }

    /// A diagnostic with no place in any file.
    pub fn unplaced(kind: DiagnosticKind) -> Self {
        Diagnostic {
            kind: Box::new(kind),
            span: None,
            path: None,
            related: Vec::new(),
        }
    }

    #[must_use]
    pub fn with_path(mut self, path: impl Into<String>) -> Self {
        self.path = Some(path.into());
        self
    }

    #[must_use]
    pub fn with_related(mut self, span: Span, label: impl Into<String>) -> Self {
        self.related.push((span, label.into()));
        self
    }

    pub fn severity(&self) -> Severity {
        self.kind.severity()
    }

    pub fn is_error(&self) -> bool {
        self.severity() == Severity::Error
    }

    fn sort_key(&self) -> (Option<Span>, &str, String) {
        (self.span, self.kind.code(), self.kind.message())
    }
}

/// Sorts diagnostics by file and offset and removes duplicates, as every stage reports them.
pub fn sort_and_dedup(diagnostics: &mut Vec<Diagnostic>) {
    diagnostics.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
    // A duplicate's secondary labels are kept (a finding in several environments may be left
    // by a waiver in each).
    diagnostics.dedup_by(|a, b| {
        if a.sort_key() != b.sort_key() {
            return false;
        }
        for related in a.related.drain(..) {
            if !b.related.contains(&related) {
                b.related.push(related);
            }
        }
        true
    });
}

/// The most diagnostics shown for one file; the rest are counted in one
/// [`DiagnosticKind::MoreDiagnostics`] (40,000 broken documents are not 40,000 things to read).
pub const MAX_PER_FILE: usize = 50;

/// The diagnostics to show: at most [`MAX_PER_FILE`] per file, in the given (sorted) order,
/// each file's rest replaced by one diagnostic counting them, at the first one left out.
/// Diagnostics with no place are all kept.
pub fn cap_per_file(diagnostics: &[Diagnostic]) -> Vec<Diagnostic> {
    let mut shown: std::collections::BTreeMap<crate::source::FileId, usize> =
        std::collections::BTreeMap::new();
    let mut rest: std::collections::BTreeMap<crate::source::FileId, (Span, usize, usize)> =
        std::collections::BTreeMap::new();
    let mut out = Vec::new();
    for diagnostic in diagnostics {
        let Some(span) = diagnostic.span else {
            out.push(diagnostic.clone());
            continue;
        };
        let count = shown.entry(span.file).or_default();
        if *count < MAX_PER_FILE {
            *count += 1;
            out.push(diagnostic.clone());
        } else {
            let entry = rest.entry(span.file).or_insert((span, 0, 0));
            if diagnostic.is_error() {
                entry.1 += 1;
            } else {
                entry.2 += 1;
            }
        }
    }
    for (span, errors, warnings) in rest.into_values() {
        out.push(Diagnostic::new(
            DiagnosticKind::MoreDiagnostics { errors, warnings },
            span,
        ));
    }
    sort_and_dedup(&mut out);
    out
}

/// The diagnostics of a stage; `Err` when any of them is an error, so the pipeline stops there.
pub type StageResult<T> = Result<(T, Vec<Diagnostic>), Vec<Diagnostic>>;

/// Ends a stage: sorts what it found, and fails if anything is an error.
pub fn finish<T>(value: T, mut diagnostics: Vec<Diagnostic>) -> StageResult<T> {
    sort_and_dedup(&mut diagnostics);
    if diagnostics.iter().any(Diagnostic::is_error) {
        Err(diagnostics)
    } else {
        Ok((value, diagnostics))
    }
}
