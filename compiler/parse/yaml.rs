//! YAML text to a spanned tree ([`Node`]), one per document, through `saphyr-parser` events.
//!
//! Plain scalars are resolved by the YAML 1.2 core schema (so `yes` is a string, `1.0` a float).
//! Anchors and aliases work; complex keys, custom tags and duplicate keys are errors.

use std::borrow::Cow;
use std::collections::HashMap;

use saphyr_parser::{Event, Parser, ScalarStyle, ScanError, Span as YamlSpan, Tag};

use crate::diagnostic::{Diagnostic, DiagnosticKind};
use crate::source::{FileId, Span};

/// A YAML node with its place in the source.
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    pub span: Span,
    pub value: Value,
    /// A flow collection (`[a, b]`, `{k: v}`), whose span covers its brackets; block
    /// collections span from their first to their last child.
    pub flow: bool,
}

/// The value of a [`Node`].
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    String(String),
    Seq(Vec<Node>),
    Map(Vec<Entry>),
}

/// A mapping entry; keys are always strings.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    pub key: String,
    pub key_span: Span,
    pub value: Node,
}

impl Node {
    /// The entry of a mapping node by key; of a duplicate key (an error of its own), the last,
    /// as [`Node::to_json`] keeps it, so a path serde or a schema reports leads to the value read.
    pub fn entry(&self, key: &str) -> Option<&Entry> {
        match &self.value {
            Value::Map(entries) => entries.iter().rev().find(|e| e.key == key),
            _ => None,
        }
    }

    pub fn get(&self, key: &str) -> Option<&Node> {
        self.entry(key).map(|e| &e.value)
    }

    pub fn as_str(&self) -> Option<&str> {
        match &self.value {
            Value::String(s) => Some(s),
            _ => None,
        }
    }

    /// A short name of the node's type, for messages.
    pub fn type_name(&self) -> &'static str {
        self.value.type_name()
    }

    /// The node as JSON, for schema validation and typed deserialization.
    pub fn to_json(&self) -> serde_json::Value {
        match &self.value {
            Value::Null => serde_json::Value::Null,
            Value::Bool(b) => serde_json::Value::Bool(*b),
            Value::Int(i) => serde_json::Value::from(*i),
            Value::Float(f) => serde_json::Number::from_f64(*f)
                .map_or(serde_json::Value::Null, serde_json::Value::Number),
            Value::String(s) => serde_json::Value::String(s.clone()),
            Value::Seq(items) => {
                serde_json::Value::Array(items.iter().map(Node::to_json).collect())
            }
            Value::Map(entries) => serde_json::Value::Object(
                entries
                    .iter()
                    .map(|e| (e.key.clone(), e.value.to_json()))
                    .collect(),
            ),
        }
    }
}

impl Value {
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::Null => "null",
            Value::Bool(_) => "a boolean",
            Value::Int(_) => "an integer",
            Value::Float(_) => "a number",
            Value::String(_) => "a string",
            Value::Seq(_) => "a list",
            Value::Map(_) => "a mapping",
        }
    }
}

/// Nesting deeper than this is refused rather than risking the stack of later stages.
const MAX_DEPTH: usize = 128;
/// Alias expansion beyond this many nodes is refused ("billion laughs").
const MAX_ALIAS_NODES: usize = 100_000;

/// Parses every document of a file. Empty documents are skipped. On a syntax error the
/// documents before it are returned along with the error.
pub fn parse_yaml(file: FileId, text: &str) -> (Vec<Node>, Vec<Diagnostic>) {
    let mut builder = Builder {
        file,
        text,
        offsets: CharOffsets::new(text),
        stack: Vec::new(),
        anchors: Vec::new(),
        documents: Vec::new(),
        diagnostics: Vec::new(),
        alias_nodes: 0,
    };
    let mut parser = Parser::new_from_str(text);
    while let Some(event) = parser.next_event() {
        match event {
            Ok((Event::StreamEnd, _)) => break,
            Ok((event, span)) => {
                if let Err(diagnostic) = builder.event(event, span) {
                    builder.diagnostics.push(diagnostic);
                    break;
                }
            }
            Err(error) => {
                builder.diagnostics.push(builder.scan_error(&error));
                break;
            }
        }
    }
    (builder.documents, builder.diagnostics)
}

/// Converts saphyr's character indices to byte offsets.
struct CharOffsets {
    /// Byte offset of each character; empty when the text is ASCII (index == offset).
    table: Vec<u32>,
    len: usize,
}

impl CharOffsets {
    fn new(text: &str) -> Self {
        let table = if text.is_ascii() {
            Vec::new()
        } else {
            text.char_indices()
                .map(|(i, _)| u32::try_from(i).unwrap_or(u32::MAX))
                .collect()
        };
        CharOffsets {
            table,
            len: text.len(),
        }
    }

    fn byte(&self, char_index: usize) -> usize {
        if self.table.is_empty() {
            char_index.min(self.len)
        } else {
            self.table.get(char_index).map_or(self.len, |&b| b as usize)
        }
    }
}

enum Frame {
    Seq {
        start: usize,
        flow: bool,
        anchor: usize,
        items: Vec<Node>,
    },
    Map {
        start: usize,
        flow: bool,
        anchor: usize,
        entries: Vec<Entry>,
        key: Option<(String, Span)>,
        /// Each key's first span once the mapping has [`SMALL_MAP`] entries, so a duplicate is
        /// found in constant time (a mapping of 100,000 keys was quadratic); a smaller mapping's
        /// `entries` are scanned instead, which spares most mappings a table and a copy of
        /// each key. Only looked up, never iterated: output order is `entries`'.
        seen: Option<KeyIndex>,
        /// The first merge key's span (a merge key's value is dropped, so it is not in
        /// `entries`).
        merge_key: Option<Span>,
    },
}

/// The keys of a mapping seen so far.
type KeyIndex = HashMap<String, Span, foldhash::fast::FixedState>;

/// The size from which a mapping's keys are indexed rather than scanned for duplicates.
const SMALL_MAP: usize = 16;

struct Builder<'t> {
    file: FileId,
    text: &'t str,
    offsets: CharOffsets,
    stack: Vec<Frame>,
    anchors: Vec<(usize, Node)>,
    documents: Vec<Node>,
    diagnostics: Vec<Diagnostic>,
    alias_nodes: usize,
}

impl Builder<'_> {
    fn span(&self, span: YamlSpan) -> Span {
        Span::new(
            self.file,
            self.offsets.byte(span.start.index()),
            self.offsets.byte(span.end.index()),
        )
    }

    fn scan_error(&self, error: &ScanError) -> Diagnostic {
        let offset = self.offsets.byte(error.marker().index());
        let span = Span::new(self.file, offset, offset + 1);
        let info = error.info();
        let kind = if info.contains("tab") {
            // The scanner reports the place after the tab; point at the tab itself.
            let line_start = self.text[..offset.min(self.text.len())]
                .rfind('\n')
                .map_or(0, |i| i + 1);
            let line_end = self.text[line_start..]
                .find('\n')
                .map_or(self.text.len(), |i| line_start + i);
            // The scanner may stop on the line before the tab (after a plain scalar that a
            // tab-indented line continues): then the tab leads the next line.
            let next_line = self.text.get(line_end + 1..).unwrap_or_default();
            let leading_tab = next_line
                .find(|c: char| c != ' ' && c != '\t')
                .map_or(next_line, |end| &next_line[..end])
                .find('\t')
                .map(|tab| line_end + 1 + tab);
            let tab = self.text[line_start..line_end]
                .find('\t')
                .map(|tab| line_start + tab);
            if let Some(at) = tab.or(leading_tab) {
                return Diagnostic::new(
                    DiagnosticKind::TabIndentation,
                    Span::new(self.file, at, at + 1),
                );
            }
            DiagnosticKind::TabIndentation
        } else {
            DiagnosticKind::YamlSyntax {
                message: info.to_string(),
            }
        };
        Diagnostic::new(kind, span)
    }

    fn unsupported(&self, what: &str, span: Span) -> Diagnostic {
        Diagnostic::new(
            DiagnosticKind::UnsupportedYaml {
                what: what.to_string(),
            },
            span,
        )
    }

    fn event(&mut self, event: Event<'_>, yaml_span: YamlSpan) -> Result<(), Diagnostic> {
        let span = self.span(yaml_span);
        match event {
            Event::Nothing
            | Event::StreamStart
            | Event::StreamEnd
            | Event::DocumentStart(_)
            | Event::DocumentEnd => Ok(()),
            Event::Scalar(text, style, anchor, tag) => {
                let value = resolve_scalar(text, style, tag.as_deref())
                    .ok_or_else(|| self.unsupported("custom tags", span))?;
                self.finish_node(
                    Node {
                        span,
                        value,
                        flow: false,
                    },
                    anchor,
                )
            }
            Event::Alias(id) => {
                let node = self
                    .anchors
                    .iter()
                    .rev()
                    .find(|(a, _)| *a == id)
                    .map(|(_, node)| node.clone())
                    .ok_or_else(|| self.unsupported("an alias to an unknown anchor", span))?;
                self.alias_nodes += count_nodes(&node);
                if self.alias_nodes > MAX_ALIAS_NODES {
                    return Err(self.unsupported("aliases that expand to too many nodes", span));
                }
                // The alias node keeps its own place, so diagnostics point at the alias.
                self.finish_node(Node { span, ..node }, 0)
            }
            Event::SequenceStart(anchor, tag) | Event::MappingStart(anchor, tag)
                if tag.is_some() =>
            {
                let _ = anchor;
                Err(self.unsupported("custom tags", span))
            }
            Event::SequenceStart(anchor, _) => self.push(
                Frame::Seq {
                    start: span.start as usize,
                    flow: self.is_flow(span),
                    anchor,
                    items: Vec::new(),
                },
                span,
            ),
            Event::MappingStart(anchor, _) => self.push(
                Frame::Map {
                    start: span.start as usize,
                    flow: self.is_flow(span),
                    anchor,
                    entries: Vec::new(),
                    key: None,
                    seen: None,
                    merge_key: None,
                },
                span,
            ),
            Event::SequenceEnd | Event::MappingEnd => {
                let Some(frame) = self.stack.pop() else {
                    return Err(self.unsupported("unbalanced collection", span));
                };
                let (start, flow, anchor, value, last_end) = match frame {
                    Frame::Seq {
                        start,
                        flow,
                        anchor,
                        items,
                    } => {
                        let last = items.last().map(|n| n.span.end);
                        (start, flow, anchor, Value::Seq(items), last)
                    }
                    Frame::Map {
                        start,
                        flow,
                        anchor,
                        entries,
                        ..
                    } => {
                        let last = entries.last().map(|e| e.value.span.end);
                        (start, flow, anchor, Value::Map(entries), last)
                    }
                };
                let end = if flow {
                    span.end as usize
                } else {
                    last_end.map_or(start, |e| e as usize)
                };
                let node = Node {
                    span: Span::new(self.file, start, end),
                    value,
                    flow,
                };
                self.finish_node(node, anchor)
            }
        }
    }

    fn is_flow(&self, span: Span) -> bool {
        matches!(
            self.text.as_bytes().get(span.start as usize),
            Some(b'[' | b'{')
        )
    }

    fn push(&mut self, frame: Frame, span: Span) -> Result<(), Diagnostic> {
        if self.stack.len() >= MAX_DEPTH {
            return Err(self.unsupported("nesting deeper than 128 levels", span));
        }
        if let Some(Frame::Map { key: None, .. }) = self.stack.last() {
            return Err(self.unsupported("a mapping or list as a mapping key", span));
        }
        self.stack.push(frame);
        Ok(())
    }

    /// Places a complete node: into the enclosing collection, or as a document root.
    fn finish_node(&mut self, node: Node, anchor: usize) -> Result<(), Diagnostic> {
        if anchor != 0 {
            self.anchors.push((anchor, node.clone()));
        }
        match self.stack.last_mut() {
            None => {
                if node.value != Value::Null {
                    self.documents.push(node);
                }
                Ok(())
            }
            Some(Frame::Seq { items, .. }) => {
                items.push(node);
                Ok(())
            }
            Some(Frame::Map {
                entries,
                key,
                seen,
                merge_key,
                ..
            }) => match key.take() {
                None => {
                    let name = match node.value {
                        Value::String(s) => s,
                        Value::Int(i) => i.to_string(),
                        Value::Bool(b) => b.to_string(),
                        Value::Float(f) => f.to_string(),
                        Value::Null => "null".to_string(),
                        Value::Seq(_) | Value::Map(_) => {
                            return Err(
                                self.unsupported("a mapping or list as a mapping key", node.span)
                            );
                        }
                    };
                    if name == "<<" {
                        self.diagnostics.push(Diagnostic::new(
                            DiagnosticKind::UnsupportedYaml {
                                what: "merge keys (`<<`); write the keys out".into(),
                            },
                            node.span,
                        ));
                    }
                    // Not fatal: the rest of the file is still checked, and the stage fails.
                    let first_span = if name == "<<" {
                        let first = *merge_key;
                        merge_key.get_or_insert(node.span);
                        first
                    } else {
                        first_key_span(entries, seen, &name, node.span)
                    };
                    if let Some(first_span) = first_span {
                        self.diagnostics.push(
                            Diagnostic::new(
                                DiagnosticKind::DuplicateKey { key: name.clone() },
                                node.span,
                            )
                            .with_related(first_span, "first defined here"),
                        );
                    }
                    *key = Some((name, node.span));
                    Ok(())
                }
                // A merge key was reported; its value is dropped rather than read as a key.
                Some((name, _)) if name == "<<" => Ok(()),
                Some((name, key_span)) => {
                    entries.push(Entry {
                        key: name,
                        key_span,
                        value: node,
                    });
                    Ok(())
                }
            },
        }
    }
}

/// The span of the first key `name` of a mapping before this one (at `span`), and records this
/// one: `entries` are the mapping's entries so far, each key's first span indexed in `seen` once
/// there are [`SMALL_MAP`] of them.
fn first_key_span(
    entries: &[Entry],
    seen: &mut Option<KeyIndex>,
    name: &str,
    span: Span,
) -> Option<Span> {
    if seen.is_none() && entries.len() >= SMALL_MAP {
        let mut index = KeyIndex::default();
        for entry in entries {
            index.entry(entry.key.clone()).or_insert(entry.key_span);
        }
        *seen = Some(index);
    }
    match seen {
        Some(index) => {
            let first = index.get(name).copied();
            if first.is_none() {
                index.insert(name.to_string(), span);
            }
            first
        }
        None => entries.iter().find(|e| e.key == name).map(|e| e.key_span),
    }
}

/// Whether a character reorders the text around it when shown (Unicode bidirectional
/// controls: embeddings, overrides, isolates, marks): text that reads one way in review and
/// another to the machine ("Trojan Source", CVE-2021-42574).
pub fn is_bidi_control(c: char) -> bool {
    matches!(
        c,
        '\u{061C}' | '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}'
    )
}

/// YAML 1.2's `c-printable` (§5.1) plus tab, line feed and carriage return: what a value may
/// hold.
fn is_yaml_printable(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | ' '..='~' | '\u{85}' | '\u{A0}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..)
}

/// Warnings for bidirectional controls in a file: each one written in the text (in a value or
/// a comment), and each string value that holds one through an escape (`"\u202E"`); errors for
/// values that hold, through an escape, a character YAML does not allow in a file.
pub fn unsafe_characters(file: FileId, text: &str, documents: &[Node]) -> Vec<Diagnostic> {
    let mut out: Vec<Diagnostic> = text
        .char_indices()
        .filter(|&(_, c)| is_bidi_control(c))
        .map(|(offset, character)| {
            Diagnostic::new(
                DiagnosticKind::BidiControl { character },
                Span::new(file, offset, offset + character.len_utf8()),
            )
        })
        .collect();
    let mut stack: Vec<&Node> = documents.iter().collect();
    while let Some(node) = stack.pop() {
        match &node.value {
            Value::String(value) => {
                // Escapes (`"\x7F"`) can put in a value what the file may not hold: kustomize
                // (go-yaml) refuses C1 controls and DEL in a value it renders ("control
                // characters are not allowed"), so Flux could not apply the folder.
                if let Some(character) = value.chars().find(|&c| !is_yaml_printable(c)) {
                    out.push(Diagnostic::new(
                        DiagnosticKind::ControlCharacter {
                            character,
                            in_value: true,
                        },
                        node.span,
                    ));
                }
                let raw = text
                    .get(node.span.start as usize..node.span.end as usize)
                    .unwrap_or_default();
                if let Some(character) = value.chars().find(|&c| is_bidi_control(c))
                    && !raw.contains(is_bidi_control)
                {
                    out.push(Diagnostic::new(
                        DiagnosticKind::BidiControl { character },
                        node.span,
                    ));
                }
            }
            Value::Seq(items) => stack.extend(items),
            Value::Map(entries) => stack.extend(entries.iter().map(|e| &e.value)),
            _ => {}
        }
    }
    out
}

fn count_nodes(node: &Node) -> usize {
    1 + match &node.value {
        Value::Seq(items) => items.iter().map(count_nodes).sum(),
        Value::Map(entries) => entries.iter().map(|e| count_nodes(&e.value)).sum(),
        _ => 0,
    }
}

/// Resolves a scalar by the YAML 1.2 core schema; `None` for a tag pave does not know.
fn resolve_scalar(text: Cow<'_, str>, style: ScalarStyle, tag: Option<&Tag>) -> Option<Value> {
    if let Some(tag) = tag {
        if !tag.is_yaml_core_schema() {
            return None;
        }
        return match tag.suffix.as_str() {
            "str" => Some(Value::String(text.into_owned())),
            "int" => text.parse().ok().map(Value::Int),
            "float" => text.parse().ok().map(Value::Float),
            "bool" => text.parse().ok().map(Value::Bool),
            "null" => Some(Value::Null),
            _ => None,
        };
    }
    if style != ScalarStyle::Plain {
        return Some(Value::String(text.into_owned()));
    }
    Some(match text.as_ref() {
        "" | "~" | "null" | "Null" | "NULL" => Value::Null,
        "true" | "True" | "TRUE" => Value::Bool(true),
        "false" | "False" | "FALSE" => Value::Bool(false),
        ".inf" | ".Inf" | ".INF" | "+.inf" | "+.Inf" | "+.INF" => Value::Float(f64::INFINITY),
        "-.inf" | "-.Inf" | "-.INF" => Value::Float(f64::NEG_INFINITY),
        ".nan" | ".NaN" | ".NAN" => Value::Float(f64::NAN),
        s => parse_number(s).unwrap_or_else(|| Value::String(text.into_owned())),
    })
}

fn parse_number(s: &str) -> Option<Value> {
    let digits = s.strip_prefix(['-', '+']).unwrap_or(s);
    let first = digits.chars().next()?;
    if !(first.is_ascii_digit() || first == '.') {
        return None;
    }
    if let Some(hex) = s.strip_prefix("0x") {
        return i64::from_str_radix(hex, 16).ok().map(Value::Int);
    }
    if let Some(oct) = s.strip_prefix("0o") {
        return i64::from_str_radix(oct, 8).ok().map(Value::Int);
    }
    if digits.bytes().all(|b| b.is_ascii_digit()) {
        return s.parse().ok().map(Value::Int);
    }
    let is_float = digits
        .bytes()
        .all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'e' | b'E' | b'-' | b'+'));
    if is_float {
        return s.parse().ok().map(Value::Float);
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> (Vec<Node>, Vec<Diagnostic>) {
        parse_yaml(FileId::new(0), text)
    }

    #[test]
    fn resolves_core_schema_scalars() {
        let (docs, errors) = parse("a: 1\nb: yes\nc: true\nd: 1.5\ne: ~\nf: '1'\n");
        assert!(errors.is_empty());
        let json = docs[0].to_json();
        assert_eq!(
            json,
            serde_json::json!({"a": 1, "b": "yes", "c": true, "d": 1.5, "e": null, "f": "1"})
        );
    }

    #[test]
    fn spans_are_byte_offsets_after_non_ascii_text() {
        let text = "name: café\nport: 80\n";
        let (docs, _) = parse(text);
        let port = docs[0].get("port").map(|n| n.span);
        let port = port.map(|s| &text[s.start as usize..s.end as usize]);
        assert_eq!(port, Some("80"));
    }

    #[test]
    fn duplicate_key_points_at_second_key() {
        let text = "a: 1\nb: 2\na: 3\n";
        let (_, errors) = parse(text);
        let span = errors[0].span.map(|s| s.start);
        assert_eq!(
            *errors[0].kind,
            DiagnosticKind::DuplicateKey { key: "a".into() }
        );
        assert_eq!(span, Some(10));
    }

    /// Small mappings are scanned for duplicates and large ones indexed: either way each
    /// duplicate is reported at itself, with its first occurrence, and a merge key's too.
    #[test]
    fn duplicates_are_found_in_small_and_large_mappings_alike() {
        for size in [1, SMALL_MAP - 1, SMALL_MAP, SMALL_MAP + 1, 3 * SMALL_MAP] {
            let mut text: String = (0..size).map(|i| format!("k{i}: {i}\n")).collect();
            let first = text.len();
            text.push_str("x: 1\n<<: {a: 1}\n");
            let middle = text.len();
            text.push_str("x: 2\n<<: {b: 1}\nk0: 3\n");
            let (_, errors) = parse(&text);
            let found: Vec<(String, Option<u32>, Option<u32>)> = errors
                .iter()
                .filter_map(|e| match &*e.kind {
                    DiagnosticKind::DuplicateKey { key } => Some((
                        key.clone(),
                        e.span.map(|s| s.start),
                        e.related.first().map(|(s, _)| s.start),
                    )),
                    _ => None,
                })
                .collect();
            let at = |offset: usize| Some(u32::try_from(offset).unwrap_or(u32::MAX));
            assert_eq!(
                found,
                vec![
                    ("x".to_string(), at(middle), at(first)),
                    ("<<".to_string(), at(middle + 5), at(first + 5)),
                    ("k0".to_string(), at(middle + 16), at(0)),
                ],
                "{size} keys"
            );
        }
    }

    #[test]
    fn splits_documents_and_skips_empty_ones() {
        let (docs, errors) = parse("---\na: 1\n---\n---\nb: 2\n");
        assert!(errors.is_empty());
        assert_eq!(docs.len(), 2);
    }

    #[test]
    fn aliases_expand_and_bombs_are_refused() {
        let (docs, errors) = parse("a: &x {k: v}\nb: *x\n");
        assert!(errors.is_empty());
        assert_eq!(docs[0].to_json()["b"], serde_json::json!({"k": "v"}));

        let mut bomb = String::from("a: &a [x, x, x, x, x, x, x, x, x, x]\n");
        for i in 0..8 {
            let prev = if i == 0 {
                "a".to_string()
            } else {
                format!("a{}", i - 1)
            };
            bomb.push_str(&format!("a{i}: &a{i} [*{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}]\n"));
        }
        let (_, errors) = parse(&bomb);
        assert_eq!(errors.len(), 1);
    }

    #[test]
    fn deep_nesting_is_refused_without_overflow() {
        let text = "[".repeat(10_000);
        let (_, errors) = parse(&text);
        assert_eq!(errors.len(), 1);
    }
}
