//! A policy file's rule: its id, severity, what it looks at and its documentation, read from the
//! OPA `# METADATA` block at the top of the file.

use crate::diagnostic::{Diagnostic, DiagnosticKind, Severity};
use crate::parse::yaml::{Node, Value, parse_yaml};
use crate::source::{FileId, Span};

/// What a rule evaluates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Target {
    /// Each spec document (Platform, Environment, Tenant, Service).
    Spec,
    /// Each generated Kubernetes object (also the rules Gatekeeper can enforce).
    Kubernetes,
    /// Each generated Terraform JSON file.
    Terraform,
}

impl Target {
    pub const ALL: [Target; 3] = [Target::Spec, Target::Kubernetes, Target::Terraform];

    pub fn as_str(self) -> &'static str {
        match self {
            Target::Spec => "spec",
            Target::Kubernetes => "kubernetes",
            Target::Terraform => "terraform",
        }
    }

    fn from_name(name: &str) -> Option<Target> {
        Target::ALL.into_iter().find(|t| t.as_str() == name)
    }
}

/// One rule: a Rego package with a `# METADATA` block.
#[derive(Debug, Clone)]
pub struct Rule {
    /// `custom.id`: kebab-case, unique; the code of its diagnostics.
    pub id: String,
    /// `custom.severity`: `deny` (an error) or `warn` (a warning).
    pub severity: Severity,
    /// `title`: the label under the spec node.
    pub title: String,
    /// `description`: the help line.
    pub description: String,
    /// `custom.input`: what it evaluates.
    pub target: Target,
    /// `custom.kinds`: the kinds it is about, Kubernetes (`apps/Deployment`, `Pod`; also
    /// Gatekeeper's match) or spec (`Tenant`); it is evaluated on nothing else. Empty means
    /// every kind.
    pub kinds: Vec<String>,
    /// `custom.gatekeeper` (default true): whether Gatekeeper can enforce it in the cluster
    /// (false for rules that need more than one object, such as `data.pave.related`).
    pub gatekeeper: bool,
    /// `custom.parameters`: the JSON Schema of its settings in the Platform's
    /// `spec.policies.parameters.<id>`, which pave checks them against (and which a Gatekeeper
    /// Constraint's parameters follow). Without it, the settings are not checked.
    pub parameters: Option<RuleParameters>,
    /// The package, without `data.` (`guardrails.image_tag`).
    pub package: String,
    pub file: FileId,
    /// The file's name in the source map (regorus names it in its errors).
    pub file_name: String,
    /// The `custom.id` node, where problems with the rule itself are reported.
    pub span: Span,
}

/// The schema a rule declares for its parameters.
#[derive(Debug, Clone)]
pub struct RuleParameters {
    /// A JSON Schema (draft 2020-12) in the subset Kubernetes' OpenAPI v3 schemas share (see
    /// `docs/policies.md`).
    pub schema: serde_json::Value,
    /// The `custom.parameters` node.
    pub span: Span,
}

/// What a policy file declares.
pub(super) enum Declared {
    Rule(Box<Rule>),
    /// No METADATA and no `deny`, `warn` or `violation` rule: a library other policies import.
    Library,
}

/// Reads the METADATA block of a policy file whose package regorus returned.
pub(super) fn read(file: FileId, text: &str, package: &str) -> Result<Declared, Diagnostic> {
    let package = package.strip_prefix("data.").unwrap_or(package).to_string();
    let problem = |problem: String, span: Span| {
        Diagnostic::new(DiagnosticKind::PolicyMetadata { problem }, span)
    };
    let file_start = Span::new(file, 0, 0);
    let Some(masked) = metadata_text(text) else {
        if declares_results(text) {
            return Err(problem(
                "no `# METADATA` block before `package`".into(),
                package_span(file, text).unwrap_or(file_start),
            ));
        }
        return Ok(Declared::Library);
    };
    let (nodes, errors) = parse_yaml(file, &masked);
    if let Some(error) = errors.into_iter().next() {
        return Err(error);
    }
    let Some(root) = nodes.into_iter().next() else {
        return Err(problem("the METADATA block is empty".into(), file_start));
    };
    let text_of = |node: Option<&Node>| node.and_then(Node::as_str).map(str::to_string);
    let custom = root.get("custom");
    let field = |name: &str| custom.and_then(|c| c.get(name));
    let id_node = field("id");
    let Some(id) = text_of(id_node) else {
        return Err(problem("`custom.id` is missing".into(), root.span));
    };
    let span = id_node.map_or(root.span, |n| n.span);
    if !is_kebab(&id) {
        return Err(problem(
            format!("the rule id `{id}` is not kebab-case (`image-tag-pinned`)"),
            span,
        ));
    }
    let severity = match text_of(field("severity")).as_deref() {
        Some("deny") => Severity::Error,
        Some("warn") => Severity::Warning,
        _ => {
            return Err(problem(
                format!("`custom.severity` of `{id}` must be `deny` or `warn`"),
                field("severity").map_or(root.span, |n| n.span),
            ));
        }
    };
    let target = match text_of(field("input")) {
        Some(name) => Target::from_name(&name).ok_or_else(|| {
            problem(
                format!("`custom.input` of `{id}` must be `spec`, `kubernetes` or `terraform`"),
                field("input").map_or(root.span, |n| n.span),
            )
        })?,
        None => {
            return Err(problem(
                format!(
                    "`custom.input` of `{id}` is missing (`spec`, `kubernetes` or `terraform`)"
                ),
                root.span,
            ));
        }
    };
    let Some(title) = text_of(root.get("title")) else {
        return Err(problem(format!("`title` of `{id}` is missing"), root.span));
    };
    let Some(description) = text_of(root.get("description")) else {
        return Err(problem(
            format!("`description` of `{id}` is missing"),
            root.span,
        ));
    };
    let kinds = match field("kinds").map(|n| &n.value) {
        Some(Value::Seq(items)) => items
            .iter()
            .filter_map(|n| n.as_str().map(str::to_string))
            .collect(),
        _ => Vec::new(),
    };
    let parameters = match field("parameters") {
        None => None,
        Some(node) => {
            let schema = node.to_json();
            if !schema.is_object() {
                return Err(problem(
                    format!("`custom.parameters` of `{id}` must be a JSON Schema (a mapping)"),
                    node.span,
                ));
            }
            if let Err(error) = jsonschema::draft202012::new(&schema) {
                return Err(problem(
                    format!("`custom.parameters` of `{id}` is not a valid JSON Schema: {error}"),
                    node.span,
                ));
            }
            Some(RuleParameters {
                schema,
                span: node.span,
            })
        }
    };
    Ok(Declared::Rule(Box::new(Rule {
        id,
        severity,
        title,
        description: description.trim().to_string(),
        target,
        kinds,
        gatekeeper: !matches!(
            field("gatekeeper").map(|n| &n.value),
            Some(Value::Bool(false))
        ),
        parameters,
        package,
        file,
        file_name: String::new(),
        span,
    })))
}

/// The file with everything but its first METADATA block blanked out, and that block's `# `
/// prefixes replaced by spaces, so YAML parsed from it keeps the file's byte offsets.
fn metadata_text(text: &str) -> Option<String> {
    let mut out = String::with_capacity(text.len());
    let mut state = 0; // 0: before the block, 1: in it, 2: after it
    for line in text.split_inclusive('\n') {
        let trimmed = line.trim_end_matches(['\n', '\r']);
        let is_comment = trimmed.starts_with('#');
        if state == 0 && trimmed.trim_end() == "# METADATA" {
            state = 1;
            out.push_str(&blank(line));
            continue;
        }
        if state == 1 && is_comment {
            // `#` is one byte: a space in its place keeps every offset.
            out.push(' ');
            out.push_str(&line[1..]);
            continue;
        }
        if state == 1 {
            state = 2;
        }
        out.push_str(&blank(line));
    }
    (state != 0).then_some(out)
}

/// A line with every byte but the line break replaced by a space (same length in bytes).
fn blank(line: &str) -> String {
    line.bytes()
        .map(|b| {
            if b == b'\n' || b == b'\r' {
                b as char
            } else {
                ' '
            }
        })
        .collect()
}

/// Whether a file defines a result set pave reads: `deny`, `warn` or `violation`.
fn declares_results(text: &str) -> bool {
    text.lines().any(|line| {
        ["deny", "warn", "violation"].iter().any(|name| {
            line.strip_prefix(name)
                .is_some_and(|rest| rest.starts_with([' ', '[', '{', ':', '=']))
        })
    })
}

fn package_span(file: FileId, text: &str) -> Option<Span> {
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        if line.starts_with("package ") {
            return Some(Span::new(file, offset, offset + line.trim_end().len()));
        }
        offset += line.len();
    }
    None
}

fn is_kebab(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 63
        && id.split('-').all(|part| {
            !part.is_empty()
                && part
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    const POLICY: &str = "# METADATA\n# title: Images are pinned\n# description: A tag or digest.\n# custom:\n#   id: image-tag-pinned\n#   severity: deny\n#   input: kubernetes\n#   kinds: [apps/Deployment]\npackage guardrails.image_tag\n\nimport rego.v1\n\ndeny contains \"x\" if { false }\n";

    #[test]
    fn metadata_gives_id_severity_target_and_docs() -> Result<(), String> {
        let file = FileId::new(0);
        let rule = match read(file, POLICY, "data.guardrails.image_tag") {
            Ok(Declared::Rule(rule)) => rule,
            Ok(Declared::Library) => return Err("read as a library".into()),
            Err(diagnostic) => return Err(diagnostic.kind.message()),
        };
        assert_eq!(rule.id, "image-tag-pinned");
        assert_eq!(rule.severity, Severity::Error);
        assert_eq!(rule.target, Target::Kubernetes);
        assert_eq!(rule.title, "Images are pinned");
        assert_eq!(rule.kinds, vec!["apps/Deployment".to_string()]);
        assert_eq!(rule.package, "guardrails.image_tag");
        // The span is the id's, in the file itself.
        assert_eq!(
            POLICY.get(rule.span.start as usize..rule.span.end as usize),
            Some("image-tag-pinned")
        );
        Ok(())
    }

    #[test]
    fn parameters_are_a_json_schema_or_a_metadata_error() -> Result<(), String> {
        let with = |schema: &str| {
            POLICY.replace(
                "#   kinds: [apps/Deployment]\n",
                &format!("#   kinds: [apps/Deployment]\n#   parameters: {schema}\n"),
            )
        };
        let text = with("{type: object, properties: {registries: {type: array}}}");
        let Ok(Declared::Rule(rule)) = read(FileId::new(0), &text, "data.guardrails.image_tag")
        else {
            return Err("not read as a rule".into());
        };
        assert_eq!(
            rule.parameters.map(|p| p.schema),
            Some(
                serde_json::json!({"type": "object", "properties": {"registries": {"type": "array"}}})
            )
        );
        for bad in ["{type: 12}", "[object]"] {
            let text = with(bad);
            let Err(diagnostic) = read(FileId::new(0), &text, "data.guardrails.image_tag") else {
                return Err(format!("`{bad}` accepted"));
            };
            assert!(diagnostic.kind.message().contains("custom.parameters"));
        }
        Ok(())
    }

    #[test]
    fn a_file_without_metadata_or_results_is_a_library() {
        let text = "package lib.k8s\n\nimport rego.v1\n\ncontainers(obj) := obj.spec.containers\n";
        assert!(matches!(
            read(FileId::new(0), text, "data.lib.k8s"),
            Ok(Declared::Library)
        ));
        let text = "package main\n\nimport rego.v1\n\ndeny contains \"x\" if { true }\n";
        assert!(read(FileId::new(0), text, "data.main").is_err());
    }
}
