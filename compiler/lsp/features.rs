//! The answers about a place in a spec: definition, references, hover, completion and the
//! quick fixes of diagnostics.

use std::collections::HashMap;

use lsp_types::{
    CodeAction, CodeActionKind, CodeActionOrCommand, CodeActionParams, CompletionItem,
    CompletionItemKind, Hover, HoverContents, Location, MarkupContent, MarkupKind, TextEdit,
    WorkspaceEdit,
};

use super::Snapshot;
use super::convert::{path_to_uri, range};
use super::index::{ITEM, Index, Located, Occurrence, Symbol, resource_types, stdlib_sizes};
use super::schema;
use crate::parse::yaml::Value;
use crate::resolve::{EnvPart, ResolvedSpec, ServiceInstance, Sourced};
use crate::source::{FileId, Origin, Span};

/// Where a span is, as the protocol names it; `None` in an embedded stdlib file.
fn location(snapshot: &Snapshot, span: Span) -> Option<Location> {
    let file = snapshot.source_map.get(span.file);
    if file.origin == Origin::Stdlib {
        return None;
    }
    let uri = path_to_uri(&snapshot.source_map.root().join(&file.name))?;
    Some(Location::new(uri, range(file, span)))
}

/// `file:line` of a span, for hover text.
fn place(snapshot: &Snapshot, span: Span) -> String {
    let file = snapshot.source_map.get(span.file);
    let (line, _) = file.line_col(span.start as usize);
    format!("{}:{line}", file.name)
}

pub(super) fn definition(snapshot: &Snapshot, file: FileId, offset: usize) -> Vec<Location> {
    let Some(occurrence) = snapshot.index().at(file, offset) else {
        return Vec::new();
    };
    snapshot
        .index()
        .definitions(&occurrence.symbol)
        .filter_map(|d| location(snapshot, d.span))
        .collect()
}

pub(super) fn references(
    snapshot: &Snapshot,
    file: FileId,
    offset: usize,
    include_declaration: bool,
) -> Vec<Location> {
    let Some(occurrence) = snapshot.index().at(file, offset) else {
        return Vec::new();
    };
    snapshot
        .index()
        .all(&occurrence.symbol)
        .filter(|o| include_declaration || !o.definition)
        .filter_map(|o| location(snapshot, o.span))
        .collect()
}

pub(super) fn hover(snapshot: &Snapshot, file: FileId, offset: usize) -> Option<Hover> {
    let mut sections: Vec<String> = Vec::new();
    let occurrence = snapshot.index().at(file, offset);
    if let Some(occurrence) = occurrence {
        sections.push(about_symbol(snapshot, occurrence));
    }
    if let Some(located) = snapshot.index().locate(file, offset) {
        let in_placeholder =
            occurrence.is_some_and(|o| matches!(o.symbol, Symbol::Resource(..)) && !o.definition);
        if !in_placeholder
            && let Some(description) = schema::description(&located.doc.kind, &located.path)
        {
            sections.push(description);
        }
        if located.doc.kind == "Service"
            && let Some(resolved) = snapshot.resolved()
            && let Some(values) = effective_values(snapshot, resolved, &located)
        {
            sections.push(values);
        }
    }
    if sections.is_empty() {
        return None;
    }
    Some(Hover {
        contents: HoverContents::Markup(MarkupContent {
            kind: MarkupKind::Markdown,
            value: sections.join("\n\n---\n\n"),
        }),
        range: occurrence.map(|o| range(snapshot.source_map.get(file), o.span)),
    })
}

/// A name under the cursor: what it is and where it is defined; for a placeholder, the output it
/// resolves to in each environment and whether it is secret.
fn about_symbol(snapshot: &Snapshot, occurrence: &Occurrence) -> String {
    let mut text = format!("**{}**", occurrence.symbol.describe());
    let defined: Vec<String> = snapshot
        .index()
        .definitions(&occurrence.symbol)
        .map(|d| match snapshot.source_map.get(d.span.file).origin {
            Origin::Stdlib => format!("pave's `{}`", snapshot.source_map.get(d.span.file).name),
            _ => format!("`{}`", place(snapshot, d.span)),
        })
        .collect();
    if defined.is_empty() {
        text.push_str("\n\nnot defined in this platform");
    } else if !occurrence.definition {
        text.push_str(&format!("\n\ndefined in {}", defined.join(", ")));
    }
    if let Symbol::Resource(service, name) = &occurrence.symbol
        && !occurrence.definition
    {
        let file = snapshot.source_map.get(occurrence.span.file);
        let after = file
            .text
            .get(occurrence.span.end as usize..)
            .unwrap_or_default();
        let output = after.strip_prefix('.').map(|rest| {
            let len = rest
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '-' || c == '_'))
                .unwrap_or(rest.len());
            &rest[..len]
        });
        if let Some(output) = output {
            text.push_str(&format!(
                "\n\n{}",
                placeholder(snapshot, service, name, output)
            ));
        }
    }
    text
}

/// `${resources.NAME.OUTPUT}`: the type and class of the request in each environment, and
/// whether the output is a secret.
fn placeholder(snapshot: &Snapshot, service: &str, name: &str, output: &str) -> String {
    let (tenant, service_name) = service.split_once('/').unwrap_or_default();
    let doc = snapshot.index().service(tenant, service_name);
    let type_ = doc.and_then(|d| {
        d.root
            .get("spec")?
            .get("requires")?
            .get(name)?
            .get("type")?
            .as_str()
            .map(str::to_string)
    });
    let Some(type_) = type_ else {
        return format!("`{name}` is not in this service's `requires`");
    };
    let types = resource_types(snapshot.index());
    let outputs = types
        .iter()
        .find(|(t, _)| *t == type_)
        .map(|(_, o)| o.as_slice())
        .unwrap_or_default();
    let mut text = match outputs.iter().find(|(o, _)| o == output) {
        Some((_, true)) => format!(
            "output `{output}` of a `{type_}`: **secret**, known once the resource exists; \
             the pod reads it from AWS Secrets Manager through External Secrets, never from Git"
        ),
        Some((_, false)) => format!(
            "output `{output}` of a `{type_}`: known when compiling, written into the manifest"
        ),
        None => format!(
            "a `{type_}` has no output `{output}`; it has {}",
            outputs
                .iter()
                .map(|(o, _)| format!("`{o}`"))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    };
    if let Some(resolved) = snapshot.resolved()
        && let Some(service) = resolved
            .services
            .iter()
            .find(|s| s.tenant == tenant && s.name() == service_name)
    {
        for instance in &service.instances {
            if let Some(used) = instance.requires.iter().find(|r| r.name == name) {
                text.push_str(&format!(
                    "\n- `{}`: class `{}`",
                    instance.environment, used.class
                ));
            }
        }
    }
    text
}

/// For a field of a Service, its value in each environment and where that came from.
fn effective_values(
    snapshot: &Snapshot,
    resolved: &ResolvedSpec,
    located: &Located<'_>,
) -> Option<String> {
    if located.doc.kind != "Service" {
        return None;
    }
    let field: Vec<&str> = match located.path.iter().map(String::as_str).collect::<Vec<_>>()[..] {
        ["spec", "environments", _, ref rest @ ..] | ["spec", ref rest @ ..] => rest.to_vec(),
        _ => return None,
    };
    if field.is_empty() {
        return None;
    }
    let tenant = located.doc.tenant.as_deref()?;
    let service = resolved
        .services
        .iter()
        .find(|s| s.tenant == tenant && s.name() == located.doc.name)?;
    let mut lines = Vec::new();
    for instance in &service.instances {
        let Some((value, source)) = value_in(snapshot, located, instance, &field) else {
            continue;
        };
        lines.push(format!("- `{}`: {value} — {source}", instance.environment));
    }
    if lines.is_empty() {
        return None;
    }
    Some(format!("**in each environment**\n{}", lines.join("\n")))
}

/// The value of a service field in one environment and where it came from.
fn value_in(
    snapshot: &Snapshot,
    located: &Located<'_>,
    instance: &ServiceInstance,
    field: &[&str],
) -> Option<(String, String)> {
    let sourced = |value: String, span: Option<Span>| Some((value, source_of(snapshot, span)));
    match field {
        ["image", ..] => sourced(format!("`{}`", instance.image.value), instance.image.span),
        ["replicas", ..] => {
            let replicas = &instance.replicas;
            sourced(format!("`{:?}`", replicas.value), replicas.span)
        }
        ["size" | "resources", ..] => {
            let Sourced { value, span } = &instance.resources;
            sourced(
                format!(
                    "requests `{}`/`{}`, limits `{}`/`{}`",
                    value.requests.cpu.0,
                    value.requests.memory.0,
                    value.limits.cpu.0,
                    value.limits.memory.0
                ),
                *span,
            )
        }
        ["ingress", ..] => match &instance.ingress {
            Some(ingress) => sourced(
                format!("`{}{}`", ingress.value.host, ingress.value.path),
                ingress.span,
            ),
            None => Some(("no ingress".into(), String::new())),
        },
        ["schedule", ..] => instance
            .schedule
            .as_ref()
            .and_then(|s| sourced(format!("`{}`", s.value), s.span)),
        ["env", key, ..] => {
            let value = match (instance.env.get(*key), instance.resource_env.get(*key)) {
                (Some(value), _) => format!("`{value}`"),
                (None, Some(parts)) => format!(
                    "`{}`",
                    parts
                        .iter()
                        .map(|part| match part {
                            EnvPart::Text(text) => text.clone(),
                            EnvPart::Output { resource, output } => {
                                format!("${{resources.{resource}.{output}}}")
                            }
                        })
                        .collect::<String>()
                ),
                (None, None) => return Some(("not set".into(), String::new())),
            };
            let spec = located.doc.root.get("spec");
            let overridden = spec
                .and_then(|s| s.get("environments"))
                .and_then(|e| e.get(&instance.environment))
                .and_then(|o| o.get("env"))
                .and_then(|env| env.entry(key));
            let span = overridden
                .or_else(|| {
                    spec.and_then(|s| s.get("env"))
                        .and_then(|env| env.entry(key))
                })
                .map(|e| e.key_span);
            sourced(value, span)
        }
        ["requires", name, ..] => {
            let used = instance.requires.iter().find(|r| r.name == *name)?;
            let chosen = match used.class_chosen_at {
                crate::resolve::ClassChoice::Override(span)
                | crate::resolve::ClassChoice::Request(span) => source_of(snapshot, Some(span)),
                crate::resolve::ClassChoice::Default(_) => {
                    format!("the `{}` type's default class", used.resource_type.as_str())
                }
            };
            Some((
                format!("`{}` class `{}`", used.resource_type.as_str(), used.class),
                chosen,
            ))
        }
        _ => None,
    }
}

/// Which layer a value came from: a service's per-environment override, the service, an
/// Environment's defaults, the Platform's, or pave's stdlib.
fn source_of(snapshot: &Snapshot, span: Option<Span>) -> String {
    let Some(span) = span else {
        return "pave's built-in default".into();
    };
    let file = snapshot.source_map.get(span.file);
    if file.origin == Origin::Stdlib {
        return format!("pave's stdlib (`{}`)", file.name);
    }
    let at = place(snapshot, span);
    let Some(located) = snapshot.index().locate(span.file, span.start as usize) else {
        return format!("`{at}`");
    };
    let doc = located.doc;
    match (doc.kind.as_str(), located.path.as_slice()) {
        ("Service", [spec, environments, env, ..])
            if spec == "spec" && environments == "environments" =>
        {
            format!("the service's `{env}` override (`{at}`)")
        }
        ("Service" | "Score", _) => format!("the service (`{at}`)"),
        ("Environment", _) => format!("environment `{}`'s defaults (`{at}`)", doc.name),
        ("Platform", _) => format!("the Platform's defaults (`{at}`)"),
        _ => format!("`{at}`"),
    }
}

pub(super) fn completion(snapshot: &Snapshot, file: FileId, offset: usize) -> Vec<CompletionItem> {
    let source = snapshot.source_map.get(file);
    let text = source.text.as_str();
    let offset = offset.min(text.len());
    let line_start = text[..offset].rfind('\n').map_or(0, |i| i + 1);
    let prefix = &text[line_start..offset];
    let kind = document_kind(text, offset);
    // A line being typed often does not parse: the document is then read without it (blanked
    // with spaces, so the other lines keep their offsets).
    let line_end = text[offset..].find('\n').map_or(text.len(), |i| offset + i);
    let blanked = Index::of_text(
        file,
        &source.name,
        &format!(
            "{}{}{}",
            &text[..line_start],
            " ".repeat(line_end - line_start),
            &text[line_end..]
        ),
    );
    let doc = [snapshot.index(), &blanked]
        .into_iter()
        .find_map(|index| index.locate(file, offset))
        .map(|l| l.doc)
        .filter(|d| d.kind == kind);
    // Inside `${resources.`: the service's requests, then the outputs of the request's type.
    if let Some(open) = prefix.rfind("${resources.")
        && !prefix[open..].contains('}')
    {
        let inside = &prefix[open + "${resources.".len()..];
        let requires = doc
            .and_then(|d| d.root.get("spec"))
            .and_then(|s| s.get("requires"));
        return match inside.split_once('.') {
            None => match requires.map(|r| &r.value) {
                Some(Value::Map(entries)) => entries
                    .iter()
                    .map(|e| item(&e.key, CompletionItemKind::VARIABLE, None))
                    .collect(),
                _ => Vec::new(),
            },
            Some((name, _)) => {
                let type_ = requires
                    .and_then(|r| r.get(name))
                    .and_then(|r| r.get("type"))
                    .and_then(|t| t.as_str());
                resource_types(snapshot.index())
                    .into_iter()
                    .filter(|(t, _)| Some(t.as_str()) == type_)
                    .flat_map(|(_, outputs)| outputs)
                    .map(|(output, secret)| {
                        let detail = secret.then(|| "secret".to_string());
                        item(&output, CompletionItemKind::FIELD, detail)
                    })
                    .collect()
            }
        };
    }
    let (path, value_of) = yaml_path(text, line_start, prefix);
    match value_of {
        Some(key) => {
            let mut full = path.clone();
            full.push(key);
            names_for(snapshot, &kind, doc, &full)
                .into_iter()
                .map(|name| item(&name, CompletionItemKind::VALUE, None))
                .collect()
        }
        None => {
            // A list item (`- us|`) may be a name (`dependsOn`) or start a mapping (`ports`).
            let names = names_for(snapshot, &kind, doc, &path);
            if !names.is_empty() {
                return names
                    .into_iter()
                    .map(|name| item(&name, CompletionItemKind::VALUE, None))
                    .collect();
            }
            // Keys that are names: environments under a service's `environments` or a
            // tenant's `quotas`.
            let p: Vec<&str> = path.iter().map(String::as_str).collect();
            if matches!(
                (kind.as_str(), p.as_slice()),
                ("Service", ["spec", "environments"]) | ("Tenant", ["spec", "quotas"])
            ) {
                return snapshot
                    .index()
                    .names(|s| match s {
                        Symbol::Environment(n) => Some(n),
                        _ => None,
                    })
                    .into_iter()
                    .map(|name| item(&name, CompletionItemKind::MODULE, None))
                    .collect();
            }
            schema::keys(&kind, &path)
                .into_iter()
                .map(|(key, description)| item(&key, CompletionItemKind::PROPERTY, description))
                .collect()
        }
    }
}

fn item(label: &str, kind: CompletionItemKind, detail: Option<String>) -> CompletionItem {
    CompletionItem {
        label: label.to_string(),
        kind: Some(kind),
        documentation: detail.map(lsp_types::Documentation::String),
        ..CompletionItem::default()
    }
}

/// The kind of the YAML document around an offset (`kind: X` in it), or `Score`.
fn document_kind(text: &str, offset: usize) -> String {
    let start = text[..offset].rfind("\n---").map_or(0, |i| i + 4);
    let end = text[offset..]
        .find("\n---")
        .map_or(text.len(), |i| offset + i);
    let doc = &text[start..end];
    if doc.contains(crate::parse::SCORE_API_VERSION) {
        return "Score".into();
    }
    doc.lines()
        .find_map(|line| line.strip_prefix("kind:"))
        .map(|k| k.trim().to_string())
        .unwrap_or_default()
}

/// The data path of the mapping a cursor's line is in, read from the indentation of the lines
/// above (so it works on a half-typed buffer that does not parse), and, when the cursor is after
/// `key:` (or in a flow list after it), that key.
fn yaml_path(text: &str, line_start: usize, prefix: &str) -> (Vec<String>, Option<String>) {
    let (indent, content) = line_parts(prefix);
    let trimmed = prefix.trim_start();
    let in_item = trimmed.starts_with("- ") || trimmed == "-";
    let value_of = content
        .split_once(':')
        .map(|(key, _)| key.trim().to_string())
        .filter(|key| !key.is_empty() && !key.contains(' '));
    let mut path = Vec::new();
    let mut limit = indent;
    if in_item {
        path.push(ITEM.to_string());
        limit = prefix.len() - trimmed.len();
    }
    for line in text[..line_start].lines().rev() {
        if line.starts_with("---") {
            break;
        }
        let trimmed = line.trim_start();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        let dash = line.len() - trimmed.len();
        let (line_indent, content) = line_parts(line);
        if line_indent < limit
            && let Some(key) = key_of(content)
        {
            path.insert(0, key);
            limit = line_indent;
        }
        if trimmed.starts_with("- ") && dash < limit {
            // Inside this list item.
            path.insert(0, ITEM.to_string());
            limit = dash;
        }
        if limit == 0 {
            break;
        }
    }
    (path, value_of)
}

/// The indentation of a line's content (past a list item's `- `) and the content.
fn line_parts(line: &str) -> (usize, &str) {
    let mut content = line.trim_start();
    let mut indent = line.len() - content.len();
    while let Some(rest) = content.strip_prefix("- ") {
        let inner = rest.trim_start();
        indent += content.len() - inner.len();
        content = inner;
    }
    (indent, content)
}

/// `key` of a `key:` line.
fn key_of(content: &str) -> Option<String> {
    let (key, _) = content.split_once(':')?;
    let key = key.trim().trim_matches(['"', '\'']);
    (!key.is_empty() && !key.contains(' ')).then(|| key.to_string())
}

/// The names a value at a data path may take.
fn names_for(
    snapshot: &Snapshot,
    kind: &str,
    doc: Option<&super::index::SpecDoc>,
    path: &[String],
) -> Vec<String> {
    let index = snapshot.index();
    let p: Vec<&str> = path.iter().map(String::as_str).collect();
    let tenants = || {
        index.names(|s| match s {
            Symbol::Tenant(n) => Some(n),
            _ => None,
        })
    };
    let environments = || {
        index.names(|s| match s {
            Symbol::Environment(n) => Some(n),
            _ => None,
        })
    };
    match (kind, p.as_slice()) {
        ("Service" | "Waiver", ["metadata" | "spec", "tenant"])
        | ("Tenant", ["spec", "network", "allowFrom", ..]) => tenants(),
        ("Tenant" | "Waiver", ["spec", "environments", ..])
        | ("Environment", ["spec", "promotion", "after"]) => environments(),
        ("Service", ["spec", "dependsOn", ..]) => {
            let own = doc.and_then(|d| d.tenant.clone()).unwrap_or_default();
            // The tenant's own services by name; another tenant's as `tenant/name` when that
            // tenant lets this one call it (`network.allowFrom`).
            let allows = |tenant: &str| {
                index.docs.iter().any(|d| {
                    d.kind == "Tenant"
                        && d.name == tenant
                        && d.root
                            .get("spec")
                            .and_then(|s| s.get("network"))
                            .and_then(|n| n.get("allowFrom"))
                            .is_some_and(|a| match &a.value {
                                Value::Seq(items) => items.iter().any(|i| i.as_str() == Some(&own)),
                                _ => false,
                            })
                })
            };
            let mut names: Vec<String> = index
                .docs
                .iter()
                .filter(|d| d.kind == "Service" || d.kind == "Score")
                .filter_map(|d| {
                    let tenant = d.tenant.as_deref()?;
                    if tenant == own {
                        (Some(d.name.as_str()) != doc.map(|o| o.name.as_str()))
                            .then(|| d.name.clone())
                    } else {
                        allows(tenant).then(|| format!("{tenant}/{}", d.name))
                    }
                })
                .collect();
            names.sort();
            names
        }
        ("Service", ["spec", "size"] | ["spec", "environments", _, "size"]) => {
            let mut names = stdlib_sizes();
            names.extend(index.names(|s| match s {
                Symbol::Size(n) => Some(n),
                _ => None,
            }));
            names.sort();
            names.dedup();
            names
        }
        ("Service", ["spec", "requires", _, "type"]) => {
            resource_types(index).into_iter().map(|(t, _)| t).collect()
        }
        ("Service", ["spec", "requires", request, "class"])
        | ("Service", ["spec", "environments", _, "requires", request, "class"]) => {
            let type_ = doc
                .and_then(|d| d.root.get("spec"))
                .and_then(|s| s.get("requires"))
                .and_then(|r| r.get(request))
                .and_then(|r| r.get("type"))
                .and_then(|t| t.as_str())
                .map(str::to_string);
            index.names(|s| match s {
                Symbol::ResourceClass(t, n) if Some(t) == type_.as_ref() => Some(n),
                _ => None,
            })
        }
        ("Waiver", ["spec", "rule"]) => index.names(|s| match s {
            Symbol::Rule(n) => Some(n),
            _ => None,
        }),
        _ => Vec::new(),
    }
}

/// A quick fix for each diagnostic of the request that carries a suggestion
/// (`data.fix`, set when it was published): its span replaced by the suggested text.
#[expect(
    clippy::mutable_key_type,
    reason = "lsp-types keys `WorkspaceEdit::changes` by `Uri`, whose parsed parts are cached in cells; the key is never changed"
)]
pub(super) fn code_actions(params: &CodeActionParams) -> Vec<CodeActionOrCommand> {
    params
        .context
        .diagnostics
        .iter()
        .filter_map(|diagnostic| {
            let fix = diagnostic.data.as_ref()?.get("fix")?.as_str()?;
            let edit = TextEdit {
                range: diagnostic.range,
                new_text: fix.to_string(),
            };
            let changes = HashMap::from([(params.text_document.uri.clone(), vec![edit])]);
            Some(CodeActionOrCommand::CodeAction(CodeAction {
                title: format!("Change to `{fix}`"),
                kind: Some(CodeActionKind::QUICKFIX),
                diagnostics: Some(vec![diagnostic.clone()]),
                edit: Some(WorkspaceEdit {
                    changes: Some(changes),
                    ..WorkspaceEdit::default()
                }),
                is_preferred: Some(true),
                ..CodeAction::default()
            }))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn path_at(text: &str) -> (Vec<String>, Option<String>) {
        let offset = text.find('|').unwrap_or(text.len());
        let text = text.replace('|', "");
        let line_start = text[..offset].rfind('\n').map_or(0, |i| i + 1);
        yaml_path(&text, line_start, &text[line_start..offset])
    }

    #[test]
    fn the_path_of_a_half_typed_line_comes_from_indentation() {
        let text = "kind: Service\nspec:\n  requires:\n    db:\n      ty|\n";
        assert_eq!(path_at(text).0, ["spec", "requires", "db"]);
        assert_eq!(path_at(text).1, None);
        let text = "spec:\n  probes:\n    liveness: {path: /}\n  size: |";
        assert_eq!(
            path_at(text),
            (vec!["spec".to_string()], Some("size".to_string()))
        );
        let text = "spec:\n  ports:\n    - name: http\n      por|";
        assert_eq!(path_at(text).0, ["spec", "ports", ITEM]);
        let text = "spec:\n  ports:\n    - na|";
        assert_eq!(path_at(text).0, ["spec", "ports", ITEM]);
        let text = "spec:\n  dependsOn:\n    - us|";
        assert_eq!(
            path_at(text),
            (
                vec![
                    "spec".to_string(),
                    "dependsOn".to_string(),
                    ITEM.to_string()
                ],
                None
            )
        );
    }
}
