//! Where a generated object came from: the spec node that produced it, the spec nodes that
//! decided some of its fields, and what it belongs to (tenant, environment, cluster, service,
//! add-on). Emitters record it beside each file so that a policy violation found on a generated
//! object is reported at the spec position that caused it.

use std::sync::Arc;

use crate::source::Span;

/// The origin of one generated file's object.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Provenance {
    /// The spec node the object as a whole came from (a document's `kind`, an add-on's manifest
    /// entry); `None` when only the spec file is known.
    pub object: Option<Span>,
    /// Finer sources: a JSON pointer into the object (`/spec/replicas`) and the span of the spec
    /// node that decided the value there. A field under a pointer takes that pointer's span;
    /// the longest matching pointer wins. Shared: every object of a service has the same.
    pub fields: Arc<Vec<(String, Span)>>,
    /// What the object belongs to, shared by the objects of one folder.
    pub context: Arc<ObjectContext>,
    /// The object's `apiVersion` and `kind` (empty for a file that is not one object).
    pub api_version: String,
    pub kind: String,
}

/// What a generated object belongs to; each is `None` where it does not apply.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ObjectContext {
    pub tenant: Option<String>,
    pub environment: Option<String>,
    /// The region of a cluster's or a regional Terraform module's objects.
    pub region: Option<String>,
    pub cluster: Option<String>,
    pub service: Option<String>,
    pub addon: Option<String>,
    /// Whether the service's spec declares a public ingress.
    pub public_ingress: bool,
}

impl Provenance {
    /// An object produced by the spec node at `object`, in `context`.
    pub fn new(object: Option<Span>, context: &Arc<ObjectContext>) -> Self {
        Provenance {
            object,
            fields: Arc::default(),
            context: Arc::clone(context),
            api_version: String::new(),
            kind: String::new(),
        }
    }

    /// Records that `span` decided the value at `pointer` (and everything under it).
    #[must_use]
    pub fn field(mut self, pointer: impl Into<String>, span: Option<Span>) -> Self {
        if let Some(span) = span {
            Arc::make_mut(&mut self.fields).push((pointer.into(), span));
        }
        self
    }

    /// The span that decided the value at `pointer`: the longest recorded pointer that is
    /// `pointer` or a parent of it, else the object's.
    pub fn span_of(&self, pointer: &str) -> Option<Span> {
        self.fields
            .iter()
            .filter(|(prefix, _)| is_prefix(prefix, pointer))
            .max_by_key(|(prefix, _)| prefix.len())
            .map(|(_, span)| *span)
            .or(self.object)
    }
}

/// Whether JSON pointer `prefix` is `pointer` or one of its parents.
fn is_prefix(prefix: &str, pointer: &str) -> bool {
    pointer == prefix
        || prefix.is_empty()
        || (pointer.starts_with(prefix) && pointer.as_bytes().get(prefix.len()) == Some(&b'/'))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::FileId;

    fn span(start: usize) -> Span {
        Span::new(FileId::new(0), start, start + 1)
    }

    #[test]
    fn the_longest_recorded_parent_decides_a_field() {
        let provenance = Provenance::new(Some(span(0)), &Arc::default())
            .field("/spec", Some(span(1)))
            .field("/spec/template/spec/containers/0/image", Some(span(2)));
        assert_eq!(
            provenance.span_of("/spec/template/spec/containers/0/image"),
            Some(span(2))
        );
        assert_eq!(provenance.span_of("/spec/replicas"), Some(span(1)));
        assert_eq!(provenance.span_of("/specs"), Some(span(0)));
        assert_eq!(provenance.span_of("/metadata/name"), Some(span(0)));
    }
}
