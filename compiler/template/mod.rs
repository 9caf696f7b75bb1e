//! Templates: the golden paths `pave new` writes specs from.
//!
//! In: a template file (`kind: Template`: what it creates, the path of the spec it writes, its
//! parameters as a JSON Schema with defaults, and the spec's text as a Jinja template rendered by
//! minijinja), the parameters as a YAML document (the command line's `--set`s, so a bad value is
//! placed on what the user typed), and what the platform provides (tenant, registry, domain,
//! environments). Out: the path and text of the new spec, or diagnostics placed in the template
//! or in the parameters. Never reads or writes files.

use serde_json::{Map, Value as Json};

use crate::diagnostic::{Diagnostic, DiagnosticKind};
use crate::parse::{Document, check_against_schema};
use crate::source::{FileId, SourceMap, Span};

/// What a template creates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Creates {
    Service,
    Tenant,
}

impl Creates {
    pub fn as_str(self) -> &'static str {
        match self {
            Creates::Service => "Service",
            Creates::Tenant => "Tenant",
        }
    }
}

/// A template file, read.
#[derive(Debug, Clone)]
pub struct Template {
    pub name: String,
    pub description: String,
    pub creates: Creates,
    /// The new spec's path under the platform root, a template itself.
    pub path: String,
    /// The parameters' JSON Schema (draft 2020-12), with `default`s.
    pub parameters: Json,
    /// The new spec's text, a template.
    pub content: String,
    pub doc: Document,
}

/// A spec a template rendered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    pub path: String,
    pub text: String,
}

fn invalid(message: String, help: Option<String>, span: Option<Span>) -> Diagnostic {
    let kind = DiagnosticKind::InvalidValue { message, help };
    match span {
        Some(span) => Diagnostic::new(kind, span),
        None => Diagnostic::unplaced(kind),
    }
}

/// Reads the template in `file` of `source_map`.
pub fn load(source_map: &SourceMap, file: FileId) -> Result<Template, Vec<Diagnostic>> {
    let source = source_map.get(file);
    if source.problem.is_some() {
        return Err(vec![invalid(
            format!("template `{}` cannot be read as UTF-8 YAML", source.name),
            None,
            Some(Span::new(file, 0, 0)),
        )]);
    }
    let (nodes, diagnostics) = crate::parse::yaml::parse_yaml(file, &source.text);
    if diagnostics.iter().any(Diagnostic::is_error) {
        return Err(diagnostics);
    }
    let Some(root) = nodes.into_iter().next() else {
        return Err(vec![invalid(
            format!("template `{}` is empty", source.name),
            None,
            Some(Span::new(file, 0, 0)),
        )]);
    };
    let doc = Document {
        file,
        root,
        verbatim: true,
    };
    let json = doc.root.to_json();
    let mut problems = Vec::new();
    let mut text = |path: &[&str]| -> String {
        let mut value = &json;
        for key in path {
            value = &value[*key];
        }
        match value.as_str() {
            Some(text) => text.to_string(),
            None => {
                problems.push(invalid(
                    format!("a template needs a string at `{}`", path.join(".")),
                    Some("see docs/templates.md for the template format".into()),
                    Some(doc.span(path)),
                ));
                String::new()
            }
        }
    };
    if json["kind"] != "Template" {
        return Err(vec![invalid(
            format!("`{}` is not a template (`kind: Template`)", source.name),
            None,
            Some(doc.head_span()),
        )]);
    }
    let name = text(&["metadata", "name"]);
    let creates = text(&["spec", "creates"]);
    let path = text(&["spec", "path"]);
    let content = text(&["spec", "content"]);
    let description = json["metadata"]["description"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let creates = match creates.as_str() {
        "Service" => Some(Creates::Service),
        "Tenant" => Some(Creates::Tenant),
        _ => {
            problems.push(invalid(
                format!("a template creates a `Service` or a `Tenant`, not `{creates}`"),
                None,
                Some(doc.span(&["spec", "creates"])),
            ));
            None
        }
    };
    let parameters = json["spec"]["parameters"].clone();
    if !parameters.is_object() || jsonschema::draft202012::new(&parameters).is_err() {
        problems.push(invalid(
            "a template's `spec.parameters` is a JSON Schema (draft 2020-12) of an object".into(),
            None,
            Some(doc.span(&["spec", "parameters"])),
        ));
    }
    match creates {
        Some(creates) if problems.is_empty() => Ok(Template {
            name,
            description,
            creates,
            path,
            parameters,
            content,
            doc,
        }),
        _ => Err(problems),
    }
}

/// The parameters document for `pairs` of a key and a YAML scalar or flow value, one
/// `KEY: VALUE` line each, in order (the caller rejects values with line breaks).
pub fn parameters_text(pairs: &[(String, String)]) -> String {
    pairs
        .iter()
        .map(|(key, value)| format!("{key}: {value}\n"))
        .collect()
}

/// Renders `template` with the parameters in `parameters` (a YAML mapping document) and what the
/// platform provides (`context`, a JSON object; a parameter of the same name wins).
pub fn render(
    template: &Template,
    parameters: &Document,
    context: &Map<String, Json>,
) -> Result<Rendered, Vec<Diagnostic>> {
    let given = match parameters.root.to_json() {
        Json::Null => Json::Object(Map::new()),
        other => other,
    };
    let errors = check_against_schema(&template.parameters, parameters, &given);
    if !errors.is_empty() {
        return Err(errors
            .into_iter()
            .map(|d| {
                d.with_related(
                    template.doc.span(&["spec", "parameters"]),
                    format!("the parameters of template `{}`", template.name),
                )
            })
            .collect());
    }
    let mut values: Map<String, Json> = context.clone();
    if let Json::Object(given) = given {
        values.extend(given);
    }
    // Defaults, in the schema's order: a string default is a template over what is known so far
    // (`{{ tenant }}/{{ name }}:0.1.0`).
    if let Some(properties) = template.parameters["properties"].as_object() {
        for (key, property) in properties {
            if values.contains_key(key) {
                continue;
            }
            let value = match &property["default"] {
                Json::String(text) => Json::String(jinja(
                    template,
                    text,
                    &values,
                    &["spec", "parameters", "properties", key, "default"],
                )?),
                other => other.clone(),
            };
            values.insert(key.clone(), value);
        }
    }
    let path = jinja(template, &template.path, &values, &["spec", "path"])?;
    let text = jinja(template, &template.content, &values, &["spec", "content"])?;
    let safe = !path.starts_with('/')
        && path.ends_with(".yaml")
        && path
            .split('/')
            .all(|part| !part.is_empty() && part != "." && part != ".." && !part.starts_with('.'));
    if !safe {
        return Err(vec![invalid(
            format!("template `{}` names the path `{path}`", template.name),
            Some("a template writes a `.yaml` file inside the platform root".into()),
            Some(template.doc.span(&["spec", "path"])),
        )]);
    }
    Ok(Rendered { path, text })
}

/// One Jinja text rendered: undefined names are errors, and the work is bounded (a platform's
/// template cannot loop forever).
fn jinja(
    template: &Template,
    text: &str,
    values: &Map<String, Json>,
    at: &[&str],
) -> Result<String, Vec<Diagnostic>> {
    let mut env = minijinja::Environment::new();
    env.set_undefined_behavior(minijinja::UndefinedBehavior::Strict);
    env.set_fuel(Some(1_000_000));
    // A spec ends with its newline, as the template's block scalar does.
    if let Ok(syntax) = minijinja::syntax::SyntaxConfig::builder()
        .keep_trailing_newline(true)
        .build()
    {
        env.set_syntax(syntax);
    }
    env.render_str(
        text,
        minijinja::Value::from(minijinja::value::Serde(values)),
    )
    .map_err(|error| {
        let line = error
            .line()
            .map(|line| format!(" (line {line} of the text)"))
            .unwrap_or_default();
        vec![invalid(
            format!(
                "template `{}` does not render{line}: {}",
                template.name,
                error.detail().unwrap_or(&error.kind().to_string())
            ),
            Some("fix the template, or give the parameter it names with --set".into()),
            Some(template.doc.span(at)),
        )]
    })
}
