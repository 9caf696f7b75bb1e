//! `pave new service|tenant NAME`: writes a spec from a golden-path template (stdlib's
//! `stdlib/templates/` or the platform's `.pave/templates/`), checks the platform with it as
//! `pave check` does, and writes it only then, never over an existing file.

use std::io::Write as _;
use std::path::PathBuf;

use clap::{Args, Subcommand};
use serde_json::{Map, Value as Json};

use super::{
    EXIT_FAILURE, EXIT_INVALID, EXIT_OK, OutputFormat, RootArgs, Ui, display, failure_status, load,
    report_discover_error,
};
use crate::diagnostic::{Diagnostic, DiagnosticKind, RefKind};
use crate::parse::Document;
use crate::pipeline::{Timings, check, compile};
use crate::source::{Origin, SourceFile, SourceMap, overlay, read_templates};
use crate::template::{Creates, load as load_template, parameters_text, render};

/// Write a new spec from a template: a service of a tenant, or a tenant.
#[derive(Debug, Args)]
#[command(after_help = "\
Templates: java-service, python-service, web, worker (services) and tenant, from stdlib; a
platform adds or replaces its own in .pave/templates/<name>.yaml. `--set KEY=VALUE` gives a
parameter (VALUE is YAML: 8080, true, [dev, prod]); `pave new list` shows each template's
parameters.

Examples:
  pave new service invoices --tenant backend --template java-service
  pave new service search --tenant web --template python-service --set port=8001
  pave new tenant payments --set cost_center=cc-5100
  pave new list")]
pub(super) struct NewArgs {
    #[command(subcommand)]
    what: NewCommand,
}

#[derive(Debug, Subcommand)]
enum NewCommand {
    /// A Service of a tenant.
    Service(ServiceArgs),
    /// A Tenant.
    Tenant(TenantArgs),
    /// List the templates and their parameters.
    List(ListArgs),
}

#[derive(Debug, Args)]
struct ListArgs {
    /// The platform root; by default found from the current folder upwards (without one,
    /// stdlib's templates).
    #[arg(value_name = "ROOT")]
    root: Option<PathBuf>,
}

#[derive(Debug, Args)]
struct ServiceArgs {
    /// The service's name.
    name: String,

    /// The tenant that owns it.
    #[arg(long, value_name = "TENANT")]
    tenant: String,

    /// The template.
    #[arg(long, value_name = "NAME", default_value = "java-service")]
    template: String,

    /// A template parameter, `KEY=VALUE` (VALUE is YAML); repeatable.
    #[arg(long = "set", value_name = "KEY=VALUE")]
    set: Vec<String>,

    #[command(flatten)]
    root: RootArgs,
}

#[derive(Debug, Args)]
struct TenantArgs {
    /// The tenant's name.
    name: String,

    /// The template.
    #[arg(long, value_name = "NAME", default_value = "tenant")]
    template: String,

    /// A template parameter, `KEY=VALUE` (VALUE is YAML); repeatable.
    #[arg(long = "set", value_name = "KEY=VALUE")]
    set: Vec<String>,

    #[command(flatten)]
    root: RootArgs,
}

/// The name shown for the parameters given on the command line.
const COMMAND_LINE: &str = "<command line>";

pub(super) fn run(args: &NewArgs, ui: &Ui) -> i32 {
    match &args.what {
        NewCommand::Service(service) => new(
            Creates::Service,
            &service.name,
            Some(&service.tenant),
            &service.template,
            &service.set,
            &service.root,
            ui,
        ),
        NewCommand::Tenant(tenant) => new(
            Creates::Tenant,
            &tenant.name,
            None,
            &tenant.template,
            &tenant.set,
            &tenant.root,
            ui,
        ),
        NewCommand::List(list_args) => list(list_args.root.clone(), ui),
    }
}

/// `pave new list`: every template with its parameters.
fn list(root: Option<PathBuf>, ui: &Ui) -> i32 {
    let root_args = RootArgs {
        root,
        output: OutputFormat::Human,
    };
    let root = match load(&root_args) {
        Ok(source_map) => source_map.root().to_path_buf(),
        // Outside a platform: stdlib's templates.
        Err(_) => PathBuf::from("."),
    };
    let files = match read_templates(&root) {
        Ok(files) => files,
        Err(error) => return report_discover_error(&error, OutputFormat::Human, ui),
    };
    let mut out = String::new();
    for (name, file) in files {
        let mut source_map = SourceMap::new(&root);
        let id = source_map.add(file);
        match load_template(&source_map, id) {
            Ok(template) => {
                out.push_str(&format!(
                    "{name} ({}, {}): {}\n",
                    template.creates.as_str(),
                    source_map.get(id).name,
                    template.description
                ));
                let required: Vec<&str> = template.parameters["required"]
                    .as_array()
                    .map(|r| r.iter().filter_map(Json::as_str).collect())
                    .unwrap_or_default();
                if let Some(properties) = template.parameters["properties"].as_object() {
                    for (key, property) in properties {
                        let default = match &property["default"] {
                            Json::Null if required.contains(&key.as_str()) => {
                                " (required)".to_string()
                            }
                            Json::Null => String::new(),
                            value => format!(" (default {value})"),
                        };
                        out.push_str(&format!(
                            "  {key}{default}: {}\n",
                            property["description"].as_str().unwrap_or_default()
                        ));
                    }
                }
            }
            Err(diagnostics) => {
                ui.report(OutputFormat::Human, &diagnostics, &source_map);
                return EXIT_INVALID;
            }
        }
    }
    let _ = std::io::stdout().write_all(out.as_bytes());
    EXIT_OK
}

fn new(
    creates: Creates,
    name: &str,
    tenant: Option<&str>,
    template_name: &str,
    set: &[String],
    root_args: &RootArgs,
    ui: &Ui,
) -> i32 {
    let format = root_args.output;
    let source_map = match load(root_args) {
        Ok(source_map) => source_map,
        Err(error) => return report_discover_error(&error, format, ui),
    };
    let unplaced = |message: String, help: Option<String>| {
        ui.report(
            format,
            &[Diagnostic::unplaced(DiagnosticKind::InvalidValue {
                message,
                help,
            })],
            &source_map,
        );
        EXIT_INVALID
    };
    // The platform as it is: its tenants, environments and registry fill the template.
    let validated = match check(&source_map, &ui.options, &mut Timings::default()) {
        Ok((validated, _, _)) => validated,
        Err(diagnostics) => {
            eprintln!("error: the platform has errors; fix them before adding to it");
            ui.report(format, &diagnostics, &source_map);
            return failure_status(&diagnostics);
        }
    };
    let spec = validated.spec();
    let mut context = Map::new();
    context.insert("platform".into(), spec.platform.name().into());
    context.insert(
        "registry".into(),
        spec.platform.spec.registry.clone().into(),
    );
    context.insert("domain".into(), spec.platform.spec.domain.clone().into());
    context.insert(
        "platform_environments".into(),
        spec.environments.keys().cloned().collect::<Vec<_>>().into(),
    );
    let mut pairs = vec![("name".to_string(), quoted(name))];
    if let Some(tenant) = tenant {
        let Some(found) = spec.tenants.get(tenant) else {
            ui.report(
                format,
                &[Diagnostic::unplaced(DiagnosticKind::UnknownReference {
                    kind: RefKind::Tenant,
                    name: tenant.to_string(),
                    known: spec.tenants.keys().cloned().collect(),
                })],
                &source_map,
            );
            return EXIT_INVALID;
        };
        // The tenant's environments in the order its spec lists them, with their tiers.
        let environments: Vec<Json> = found
            .parsed
            .spec
            .environments
            .iter()
            .filter_map(|env| {
                let tier = spec.environments.get(env)?.tier.as_str();
                Some(serde_json::json!({"name": env, "tier": tier}))
            })
            .collect();
        context.insert("environments".into(), environments.into());
        pairs.push(("tenant".into(), quoted(tenant)));
    }
    for item in set {
        let Some((key, value)) = item.split_once('=') else {
            return unplaced(
                format!("`--set {item}` is not `KEY=VALUE`"),
                Some("for example `--set port=8080`".into()),
            );
        };
        let key = key.trim();
        if value.contains(['\n', '\r']) || key.is_empty() || key.contains([':', '#', ' ']) {
            return unplaced(
                format!("`--set {item}`: a key is a plain name and a value one line"),
                None,
            );
        }
        pairs.push((key.to_string(), value.to_string()));
    }
    let templates = match read_templates(source_map.root()) {
        Ok(templates) => templates,
        Err(error) => return report_discover_error(&error, format, ui),
    };
    let known: Vec<String> = templates.iter().map(|(n, _)| n.clone()).collect();
    let Some((_, file)) = templates.into_iter().find(|(n, _)| n == template_name) else {
        return unplaced(
            format!("no template `{template_name}`"),
            Some(format!("the templates: {}", known.join(", "))),
        );
    };
    // The template and the parameters, in a map of their own for the diagnostics.
    let mut template_map = SourceMap::new(source_map.root());
    let template_file = template_map.add(file);
    let text = parameters_text(&pairs);
    let parameters_file = template_map.add(SourceFile::new(
        COMMAND_LINE.into(),
        text.clone(),
        Origin::User,
    ));
    let template = match load_template(&template_map, template_file) {
        Ok(template) => template,
        Err(diagnostics) => {
            ui.report(format, &diagnostics, &template_map);
            return EXIT_INVALID;
        }
    };
    if template.creates != creates {
        return unplaced(
            format!(
                "template `{template_name}` creates a {}, not a {}",
                template.creates.as_str(),
                creates.as_str()
            ),
            None,
        );
    }
    let (nodes, diagnostics) = crate::parse::yaml::parse_yaml(parameters_file, &text);
    if diagnostics.iter().any(Diagnostic::is_error) {
        ui.report(format, &diagnostics, &template_map);
        return EXIT_INVALID;
    }
    let Some(root) = nodes.into_iter().next() else {
        return unplaced("no parameters".into(), None);
    };
    let parameters = Document {
        file: parameters_file,
        root,
        verbatim: true,
    };
    let rendered = match render(&template, &parameters, &context) {
        Ok(rendered) => rendered,
        Err(diagnostics) => {
            ui.report(format, &diagnostics, &template_map);
            return EXIT_INVALID;
        }
    };
    let target = source_map.root().join(&rendered.path);
    if target.symlink_metadata().is_ok() {
        return unplaced(
            format!("`{}` already exists", display(&target)),
            Some("pave new never overwrites a file: choose another name".into()),
        );
    }
    // The platform with the new spec, checked as `pave check` checks it.
    let with_new = overlay(
        &source_map,
        &[(rendered.path.clone(), rendered.text.clone())],
    );
    match compile(&with_new, &ui.options, &mut Timings::default()) {
        Ok(compilation) => {
            // The platform's own warnings are `pave check`'s to report; the new spec's are news.
            let new_file = with_new
                .files()
                .find(|(_, f)| f.name == rendered.path)
                .map(|(id, _)| id);
            let about_new: Vec<Diagnostic> = compilation
                .warnings
                .into_iter()
                .filter(|d| d.span.is_some_and(|s| Some(s.file) == new_file))
                .collect();
            ui.report(format, &about_new, &with_new);
        }
        Err(diagnostics) => {
            eprintln!(
                "error: `{}` from template `{template_name}` does not pass `pave check`; nothing was written",
                rendered.path
            );
            ui.report(format, &diagnostics, &with_new);
            return failure_status(&diagnostics);
        }
    }
    if let Err(error) = write_new(&target, &rendered.text) {
        ui.report(
            format,
            &[Diagnostic::unplaced(DiagnosticKind::Io {
                path: display(&target),
                message: error.to_string(),
            })],
            &source_map,
        );
        return if error.kind() == std::io::ErrorKind::AlreadyExists {
            EXIT_INVALID
        } else {
            EXIT_FAILURE
        };
    }
    eprintln!(
        "created {} from template `{template_name}`",
        display(&target)
    );
    EXIT_OK
}

/// A YAML double-quoted string (JSON's syntax is YAML's).
fn quoted(text: &str) -> String {
    Json::String(text.to_string()).to_string()
}

/// Creates `path` with `text`, failing if anything is there (a file created since the check).
fn write_new(path: &std::path::Path, text: &str) -> std::io::Result<()> {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)?;
    }
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)?;
    file.write_all(text.as_bytes())?;
    file.sync_all()
}
