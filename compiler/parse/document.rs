//! A spec document: its file, its spanned YAML tree, and the lookup from a data path to the
//! span of that node, used by every later stage to place its diagnostics.

use super::yaml::{Node, Value};
use crate::source::{FileId, Span};

/// One YAML document of a spec file.
#[derive(Debug, Clone)]
pub struct Document {
    pub file: FileId,
    pub root: Node,
    /// Whether `root` is the file's own tree as the YAML reader built it (not one pave built, as
    /// a Score workload's Service is): then the file's name and text (its
    /// [`crate::source::SourceFile::hash`]) and the root's place determine the tree.
    pub verbatim: bool,
}

impl Document {
    /// The node at `path` (keys and list indices), if it exists.
    pub fn node<S: AsRef<str>>(&self, path: &[S]) -> Option<&Node> {
        let mut node = &self.root;
        for segment in path {
            node = child(node, segment.as_ref())?;
        }
        Some(node)
    }

    /// The span of the value at `path`. Where the path runs out (a missing key), the deepest
    /// node that exists; a mapping or list is represented by its key, so a label sits on one
    /// line rather than under a whole block.
    pub fn span<S: AsRef<str>>(&self, path: &[S]) -> Span {
        let (node, key_span) = self.deepest(path);
        match node.value {
            Value::Map(_) | Value::Seq(_) if !node.flow => {
                key_span.unwrap_or_else(|| self.head_span())
            }
            _ => node.span,
        }
    }

    /// The span of the key at the end of `path` (for "unknown field"), or of the value when the
    /// last segment is a list index.
    pub fn key_span<S: AsRef<str>>(&self, path: &[S]) -> Span {
        let Some((last, parent)) = path.split_last() else {
            return self.head_span();
        };
        match self.node(parent).and_then(|p| p.entry(last.as_ref())) {
            Some(entry) => entry.key_span,
            None => self.span(path),
        }
    }

    /// Every node under the one at `path`, as a JSON pointer relative to it (`/spec/replicas`)
    /// and the span a diagnostic about it would use (a scalar's value, a collection's key), in
    /// document order; empty when `path` does not exist.
    pub fn field_spans<S: AsRef<str>>(&self, path: &[S]) -> Vec<(String, Span)> {
        let mut out = Vec::new();
        if let Some(node) = self.node(path) {
            collect_field_spans(node, String::new(), None, &mut out);
        }
        out
    }

    /// The document's `kind: X` value, or its first line: where a whole-document problem shows.
    pub fn head_span(&self) -> Span {
        if let Some(kind) = self.root.get("kind") {
            return kind.span;
        }
        match &self.root.value {
            Value::Map(entries) => entries.first().map_or(self.root.span, |e| e.key_span),
            _ => self.root.span,
        }
    }

    /// The deepest existing node along `path`, with the span of the key that holds it.
    fn deepest<S: AsRef<str>>(&self, path: &[S]) -> (&Node, Option<Span>) {
        let mut node = &self.root;
        let mut key_span = None;
        for segment in path {
            let segment = segment.as_ref();
            if let Some(entry) = node.entry(segment) {
                key_span = Some(entry.key_span);
                node = &entry.value;
            } else if let Some(item) = child(node, segment) {
                // A block mapping in a list is represented by its first key.
                key_span = Some(match &item.value {
                    Value::Map(entries) if !item.flow => {
                        entries.first().map_or(item.span, |e| e.key_span)
                    }
                    _ => item.span,
                });
                node = item;
            } else {
                break;
            }
        }
        (node, key_span)
    }
}

fn collect_field_spans(
    node: &Node,
    pointer: String,
    key_span: Option<Span>,
    out: &mut Vec<(String, Span)>,
) {
    match &node.value {
        Value::Map(entries) => {
            out.push((pointer.clone(), key_span.unwrap_or(node.span)));
            for entry in entries {
                let key = entry.key.replace('~', "~0").replace('/', "~1");
                let child = format!("{pointer}/{key}");
                let span = match entry.value.value {
                    Value::Map(_) | Value::Seq(_) if !entry.value.flow => entry.key_span,
                    _ => entry.value.span,
                };
                collect_field_spans(&entry.value, child, Some(span), out);
            }
        }
        Value::Seq(items) => {
            out.push((pointer.clone(), key_span.unwrap_or(node.span)));
            for (i, item) in items.iter().enumerate() {
                let span = match &item.value {
                    Value::Map(entries) if !item.flow => {
                        entries.first().map_or(item.span, |e| e.key_span)
                    }
                    _ => item.span,
                };
                collect_field_spans(item, format!("{pointer}/{i}"), Some(span), out);
            }
        }
        _ => out.push((pointer, key_span.unwrap_or(node.span))),
    }
}

fn child<'a>(node: &'a Node, segment: &str) -> Option<&'a Node> {
    match &node.value {
        Value::Map(_) => node.get(segment),
        Value::Seq(items) => segment.parse::<usize>().ok().and_then(|i| items.get(i)),
        _ => None,
    }
}

/// A data path as users read it: `spec.ports[0].port`.
pub fn display_path<S: AsRef<str>>(path: &[S]) -> String {
    let mut out = String::new();
    for segment in path {
        let segment = segment.as_ref();
        if !segment.is_empty() && segment.bytes().all(|b| b.is_ascii_digit()) {
            out.push('[');
            out.push_str(segment);
            out.push(']');
        } else {
            if !out.is_empty() {
                out.push('.');
            }
            out.push_str(segment);
        }
    }
    out
}
