//! Checking documents against the embedded JSON Schemas, and turning schema errors into
//! diagnostics placed on the exact node (an unknown key on that key, a bad value on that value).

use jsonschema::error::{TypeKind, ValidationErrorKind};
use jsonschema::{ValidationError, Validator};
use serde_json::Value as Json;

use super::document::{Document, display_path};
use super::yaml::Value;
use super::{API_VERSION, SCORE_API_VERSION};
use crate::diagnostic::{Diagnostic, DiagnosticKind};
use crate::source::schema_source;

/// The kinds of spec document.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum SpecKind {
    Platform,
    Environment,
    Tenant,
    Service,
    Waiver,
    /// A resource type the platform defines.
    ResourceType,
    /// A Score workload (`apiVersion: score.dev/v1b1`, no `kind`).
    Score,
    /// The companion overrides file of a Score workload (`<name>.overrides.yaml`).
    ScoreOverrides,
}

impl SpecKind {
    pub const ALL: [SpecKind; 8] = [
        SpecKind::Platform,
        SpecKind::Environment,
        SpecKind::Tenant,
        SpecKind::Service,
        SpecKind::Waiver,
        SpecKind::ResourceType,
        SpecKind::Score,
        SpecKind::ScoreOverrides,
    ];

    /// The kinds written `kind: X` with pave's `apiVersion`.
    const PAVE: [SpecKind; 6] = [
        SpecKind::Platform,
        SpecKind::Environment,
        SpecKind::Tenant,
        SpecKind::Service,
        SpecKind::Waiver,
        SpecKind::ResourceType,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            SpecKind::Platform => "Platform",
            SpecKind::Environment => "Environment",
            SpecKind::Tenant => "Tenant",
            SpecKind::Service => "Service",
            SpecKind::Waiver => "Waiver",
            SpecKind::ResourceType => "ResourceType",
            SpecKind::Score => "Score workload",
            SpecKind::ScoreOverrides => "Score overrides",
        }
    }

    pub fn schema_file(self) -> &'static str {
        match self {
            SpecKind::Platform => "platform.schema.json",
            SpecKind::Environment => "environment.schema.json",
            SpecKind::Tenant => "tenant.schema.json",
            SpecKind::Service => "service.schema.json",
            SpecKind::Waiver => "waiver.schema.json",
            SpecKind::ResourceType => "resource-type.schema.json",
            SpecKind::Score => "score.schema.json",
            SpecKind::ScoreOverrides => "score-overrides.schema.json",
        }
    }

    fn from_name(name: &str) -> Option<SpecKind> {
        SpecKind::PAVE.into_iter().find(|k| k.as_str() == name)
    }
}

/// The compiled schema of every kind.
pub struct SchemaSet {
    kinds: Vec<(SpecKind, Json, Validator)>,
}

/// The embedded schemas, compiled once per process: a long-running `pave lsp` or a fuzzer checks
/// many times, and compiling them is most of checking one small file.
static SCHEMAS: std::sync::LazyLock<Result<SchemaSet, String>> =
    std::sync::LazyLock::new(SchemaSet::new);

impl SchemaSet {
    /// The embedded schemas, compiled on first use.
    pub fn shared() -> Result<&'static SchemaSet, String> {
        SCHEMAS.as_ref().map_err(Clone::clone)
    }

    pub fn new() -> Result<Self, String> {
        let mut kinds = Vec::new();
        for kind in SpecKind::ALL {
            let text = schema_source(kind.schema_file())
                .ok_or_else(|| format!("no embedded schema `{}`", kind.schema_file()))?;
            let schema: Json = serde_json::from_str(text)
                .map_err(|e| format!("embedded schema `{}`: {e}", kind.schema_file()))?;
            let validator = jsonschema::draft202012::new(&schema)
                .map_err(|e| format!("embedded schema `{}`: {e}", kind.schema_file()))?;
            kinds.push((kind, schema, validator));
        }
        Ok(SchemaSet { kinds })
    }

    /// The kind of a document, from its `apiVersion` and `kind`.
    pub fn kind_of(&self, doc: &Document) -> Result<SpecKind, Diagnostic> {
        if !matches!(doc.root.value, Value::Map(_)) {
            return Err(Diagnostic::new(DiagnosticKind::NotAMapping, doc.root.span));
        }
        match doc.root.get("apiVersion") {
            Some(node) if node.as_str() == Some(API_VERSION) => {}
            // Score workloads have no `kind`; the Score schema checks the rest.
            Some(node) if node.as_str() == Some(SCORE_API_VERSION) => return Ok(SpecKind::Score),
            Some(node) => {
                return Err(Diagnostic::new(
                    DiagnosticKind::UnknownApiVersion {
                        found: json_text(&node.to_json()),
                    },
                    node.span,
                )
                .with_path("apiVersion"));
            }
            None => {
                return Err(Diagnostic::new(
                    DiagnosticKind::MissingField {
                        field: "apiVersion".into(),
                    },
                    doc.head_span(),
                ));
            }
        }
        let Some(node) = doc.root.get("kind") else {
            return Err(Diagnostic::new(
                DiagnosticKind::MissingKind,
                doc.head_span(),
            ));
        };
        node.as_str().and_then(SpecKind::from_name).ok_or_else(|| {
            Diagnostic::new(
                DiagnosticKind::UnknownKind {
                    found: json_text(&node.to_json()),
                },
                node.span,
            )
            .with_path("kind")
        })
    }

    /// Every schema violation of a document, placed on its node.
    pub fn check(&self, kind: SpecKind, doc: &Document, json: &Json) -> Vec<Diagnostic> {
        let Some((_, schema, validator)) = self.kinds.iter().find(|(k, ..)| *k == kind) else {
            return Vec::new();
        };
        // Nearly every document is valid: `is_valid` answers without building the errors (the
        // validator's fast path, jsonschema's docs: "if you only need to know whether the
        // instance is valid, use `is_valid`"), which took most of the schema check's time.
        if validator.is_valid(json) {
            return Vec::new();
        }
        let mut out = Vec::new();
        for error in validator.iter_errors(json) {
            report(schema, doc, &error, &mut out);
        }
        out
    }
}

/// Every violation of `schema` (draft 2020-12) by a document, placed on its node as the spec
/// schemas' are: for schemas that come with the input (a policy rule's parameters). A schema
/// that does not compile yields nothing (its author is told where it is declared).
pub fn check_against_schema(schema: &Json, doc: &Document, json: &Json) -> Vec<Diagnostic> {
    let Ok(validator) = jsonschema::draft202012::new(schema) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for error in validator.iter_errors(json) {
        report(schema, doc, &error, &mut out);
    }
    out
}

fn json_text(value: &Json) -> String {
    match value {
        Json::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// A JSON pointer (`/spec/ports/0`) as path segments.
fn segments(pointer: &str) -> Vec<String> {
    pointer
        .split('/')
        .skip(1)
        .map(|s| s.replace("~1", "/").replace("~0", "~"))
        .collect()
}

fn report(schema: &Json, doc: &Document, error: &ValidationError<'_>, out: &mut Vec<Diagnostic>) {
    let path = segments(error.instance_path().as_str());
    let schema_path = segments(error.schema_path().as_str());
    let shown = display_path(&path);
    let value_text = || {
        doc.node(&path)
            .map(|n| json_text(&n.to_json()))
            .unwrap_or_default()
    };
    // A schema may word its own message (`x-pave-message`, `x-pave-help`) for a rule whose
    // generic message would read poorly; `{value}` stands for the offending value.
    // Structural keywords (required, unknown keys, types, lengths) keep their precise messages.
    let structural = matches!(
        error.kind(),
        ValidationErrorKind::PropertyNames { .. }
            | ValidationErrorKind::Required { .. }
            | ValidationErrorKind::AdditionalProperties { .. }
            | ValidationErrorKind::UnevaluatedProperties { .. }
            | ValidationErrorKind::Type { .. }
            | ValidationErrorKind::MaxLength { .. }
    );
    if !structural && let Some((message, help)) = curated(schema, &schema_path) {
        let span = match error.kind() {
            ValidationErrorKind::Not { schema: not } => not_required_span(doc, &path, not),
            _ => doc.span(&path),
        };
        let message = message.replace("{value}", &value_text());
        out.push(
            Diagnostic::new(DiagnosticKind::InvalidValue { message, help }, span).with_path(shown),
        );
        return;
    }
    match error.kind() {
        ValidationErrorKind::PropertyNames { error: inner } => {
            let key = json_text(inner.instance());
            let mut key_path = path.clone();
            key_path.push(key.clone());
            // The keyword location is absolute (`$defs/env/propertyNames/pattern`).
            let (message, help) = curated(schema, &schema_path).unwrap_or_else(|| {
                (
                    format!("`{key}` is not a valid key in `{shown}`"),
                    description(schema, &schema_path),
                )
            });
            out.push(
                Diagnostic::new(
                    DiagnosticKind::InvalidValue {
                        message: message.replace("{value}", &key),
                        help,
                    },
                    doc.key_span(&key_path),
                )
                .with_path(display_path(&key_path)),
            );
        }
        ValidationErrorKind::AdditionalProperties { unexpected }
        | ValidationErrorKind::UnevaluatedProperties { unexpected } => {
            let known = known_properties(schema, &schema_path);
            for field in unexpected {
                let mut field_path = path.clone();
                field_path.push(field.clone());
                out.push(
                    Diagnostic::new(
                        DiagnosticKind::UnknownField {
                            field: field.clone(),
                            known: known.clone(),
                        },
                        doc.key_span(&field_path),
                    )
                    .with_path(display_path(&field_path)),
                );
            }
        }
        ValidationErrorKind::Required { property } => {
            let field = json_text(property);
            out.push(
                Diagnostic::new(DiagnosticKind::MissingField { field }, doc.span(&path))
                    .with_path(shown),
            );
        }
        ValidationErrorKind::Type { kind } => {
            let found = doc.node(&path).map_or("nothing", |n| n.type_name());
            out.push(
                Diagnostic::new(
                    DiagnosticKind::WrongType {
                        expected: type_names(kind),
                        found: found.to_string(),
                    },
                    doc.span(&path),
                )
                .with_path(shown),
            );
        }
        ValidationErrorKind::OneOfNotValid { context } | ValidationErrorKind::AnyOf { context } => {
            // Report the branch that matched the value's type; if none did, a type error.
            let branch = context.iter().find(|errors| {
                !errors.iter().any(|e| {
                    matches!(e.kind(), ValidationErrorKind::Type { .. })
                        && e.instance_path().as_str() == error.instance_path().as_str()
                })
            });
            match branch {
                Some(errors) => {
                    for inner in errors {
                        report(schema, doc, inner, out);
                    }
                }
                None => {
                    let expected: Vec<String> = context
                        .iter()
                        .flatten()
                        .filter_map(|e| match e.kind() {
                            ValidationErrorKind::Type { kind } => Some(type_names(kind)),
                            _ => None,
                        })
                        .collect();
                    let found = doc.node(&path).map_or("nothing", |n| n.type_name());
                    out.push(
                        Diagnostic::new(
                            DiagnosticKind::WrongType {
                                expected: expected.join(" or "),
                                found: found.to_string(),
                            },
                            doc.span(&path),
                        )
                        .with_path(shown),
                    );
                }
            }
        }
        ValidationErrorKind::Enum { options } => {
            let value = value_text();
            let choices: Vec<String> = options
                .as_array()
                .map(|items| items.iter().map(json_text).collect())
                .unwrap_or_default();
            let choice_refs: Vec<&str> = choices.iter().map(String::as_str).collect();
            let help = match crate::diagnostic::suggest(&value, &choice_refs) {
                Some(best) => format!("did you mean `{best}`?"),
                None => format!("choose one of {}", options_text(options)),
            };
            out.push(
                Diagnostic::new(
                    DiagnosticKind::InvalidValue {
                        message: format!("`{value}` is not one of {}", options_text(options)),
                        help: Some(help),
                    },
                    doc.span(&path),
                )
                .with_path(shown),
            );
        }
        kind => {
            let value = value_text();
            let message = match kind {
                ValidationErrorKind::Constant { expected_value } => {
                    format!("`{value}` must be `{}`", json_text(expected_value))
                }
                ValidationErrorKind::Pattern { .. } | ValidationErrorKind::Format { .. } => {
                    format!("`{value}` is not a valid {}", noun_of(&path))
                }
                ValidationErrorKind::MaxLength { limit } => {
                    format!("`{value}` is longer than {limit} characters")
                }
                ValidationErrorKind::MinLength { limit } => {
                    format!("`{}` must be at least {limit} characters", noun_of(&path))
                }
                ValidationErrorKind::Minimum { limit }
                | ValidationErrorKind::ExclusiveMinimum { limit } => {
                    format!("{value} is below the minimum {limit}")
                }
                ValidationErrorKind::Maximum { limit }
                | ValidationErrorKind::ExclusiveMaximum { limit } => {
                    format!("{value} is above the maximum {limit}")
                }
                ValidationErrorKind::MinItems { limit } => {
                    format!("`{}` needs at least {limit} item(s)", noun_of(&path))
                }
                ValidationErrorKind::UniqueItems => {
                    format!("`{}` lists an item twice", noun_of(&path))
                }
                ValidationErrorKind::MinProperties { limit } => {
                    format!("`{}` needs at least {limit} entry(ies)", noun_of(&path))
                }
                ValidationErrorKind::Not { .. } => {
                    format!("this combination is not allowed in `{shown}`")
                }
                _ => error.to_string(),
            };
            // The schema's own description of the value when it has one (a platform's resource
            // type may leave its parameters undescribed), else what the rule asks for.
            let help = description(schema, &schema_path).or_else(|| match kind {
                ValidationErrorKind::Maximum { limit } => Some(format!("use {limit} or less")),
                ValidationErrorKind::ExclusiveMaximum { limit } => {
                    Some(format!("use less than {limit}"))
                }
                ValidationErrorKind::Minimum { limit } => Some(format!("use {limit} or more")),
                ValidationErrorKind::ExclusiveMinimum { limit } => {
                    Some(format!("use more than {limit}"))
                }
                _ => Some(format!("change `{shown}` to a value its schema allows")),
            });
            out.push(
                Diagnostic::new(
                    DiagnosticKind::InvalidValue { message, help },
                    doc.span(&path),
                )
                .with_path(shown),
            );
        }
    }
}

fn options_text(options: &Json) -> String {
    match options {
        Json::Array(items) => items
            .iter()
            .map(|i| format!("`{}`", json_text(i)))
            .collect::<Vec<_>>()
            .join(", "),
        other => json_text(other),
    }
}

/// The last key of a path, for messages (`spec.ports[0].name` -> `name`).
fn noun_of(path: &[String]) -> String {
    path.iter()
        .rev()
        .find(|s| !s.bytes().all(|b| b.is_ascii_digit()))
        .cloned()
        .unwrap_or_else(|| "value".into())
}

fn type_names(kind: &TypeKind) -> String {
    let name = |t: &jsonschema::JsonType| match t.to_string().as_str() {
        "object" => "a mapping".to_string(),
        "array" => "a list".to_string(),
        "integer" => "an integer".to_string(),
        other => format!("a {other}"),
    };
    match kind {
        TypeKind::Single(t) => name(t),
        TypeKind::Multiple(set) => set
            .iter()
            .map(|t| name(&t))
            .collect::<Vec<_>>()
            .join(" or "),
    }
}

/// The schema object at a keyword location, following local `$ref`s.
fn schema_at<'a>(root: &'a Json, path: &[String]) -> Option<&'a Json> {
    let mut node = root;
    for segment in path {
        node = resolve_ref(root, node);
        if segment == "$ref" {
            continue;
        }
        node = match node {
            Json::Object(map) => map.get(segment.as_str())?,
            Json::Array(items) => items.get(segment.parse::<usize>().ok()?)?,
            _ => return None,
        };
    }
    Some(resolve_ref(root, node))
}

fn resolve_ref<'a>(root: &'a Json, node: &'a Json) -> &'a Json {
    let mut node = node;
    for _ in 0..8 {
        let Some(reference) = node.get("$ref").and_then(Json::as_str) else {
            break;
        };
        let Some(pointer) = reference.strip_prefix('#') else {
            break;
        };
        match root.pointer(pointer) {
            Some(target) => node = target,
            None => break,
        }
    }
    node
}

/// The property names the object schema around a keyword allows.
fn known_properties(schema: &Json, schema_path: &[String]) -> Vec<String> {
    let parent = schema_path.split_last().map_or(&[][..], |(_, p)| p);
    schema_at(schema, parent)
        .and_then(|s| s.get("properties"))
        .and_then(Json::as_object)
        .map(|props| props.keys().cloned().collect())
        .unwrap_or_default()
}

/// The `description` of the schema that holds a failing keyword, as help.
fn description(schema: &Json, schema_path: &[String]) -> Option<String> {
    let parent = schema_path.split_last().map_or(&[][..], |(_, p)| p);
    schema_at(schema, parent)
        .and_then(|s| s.get("description"))
        .and_then(Json::as_str)
        .map(str::to_string)
}

/// A curated message on the schema around a failing keyword: the keyword's own schema object
/// or one of its two nearest enclosing schema objects.
fn curated(schema: &Json, schema_path: &[String]) -> Option<(String, Option<String>)> {
    let parent = schema_path.split_last().map_or(&[][..], |(_, p)| p);
    let mut candidate = parent;
    for _ in 0..3 {
        if let Some(found) = curated_at(schema, candidate) {
            return Some(found);
        }
        // Step out of a combinator branch (`oneOf/0`) or a `$ref` to the schema holding it.
        let (last, rest) = candidate.split_last()?;
        candidate = if last.bytes().all(|b| b.is_ascii_digit()) {
            rest.split_last().map_or(rest, |(_, r)| r)
        } else {
            rest
        };
        if candidate.last().is_some_and(|s| s == "properties") {
            return None;
        }
    }
    None
}

fn curated_at(schema: &Json, location: &[String]) -> Option<(String, Option<String>)> {
    let node = schema_at(schema, location)?;
    let message = node.get("x-pave-message")?.as_str()?.to_string();
    let help = node
        .get("x-pave-help")
        .and_then(Json::as_str)
        .map(str::to_string);
    Some((message, help))
}

/// For `not: {required: [a, b]}`, the key of the second property, which is the one in excess.
fn not_required_span(doc: &Document, path: &[String], not: &Json) -> crate::source::Span {
    let names = not
        .get("required")
        .and_then(Json::as_array)
        .map(|a| a.iter().filter_map(Json::as_str).collect::<Vec<_>>())
        .unwrap_or_default();
    match names.last() {
        Some(last) => {
            let mut key_path = path.to_vec();
            key_path.push((*last).to_string());
            doc.key_span(&key_path)
        }
        None => doc.span(path),
    }
}
