//! `pave explain TENANT/SERVICE/RESOURCE --env ENV`: how a managed resource is provided in an
//! environment: its class and what chose it, and per region the rules of the class that matched
//! (least specific first; the last one wins) and which layer set each parameter.

use std::fmt::Write as _;
use std::io::Write as _;

use clap::Args;

use super::{EXIT_INVALID, EXIT_OK, RootArgs, Ui, failure_status, load, report_discover_error};
use crate::diagnostic::{Diagnostic, DiagnosticKind, RefKind};
use crate::pipeline::{Timings, check};
use crate::resolve::{ClassChoice, ParamSource, ResolvedSpec, ResourceUse};
use crate::source::{SourceMap, Span};

/// Show which class and rules decide a managed resource's parameters in an environment.
#[derive(Debug, Args)]
#[command(
    after_help = "Examples:\n  pave explain backend/order-service/db --env prod\n  pave explain data/etl-worker/events --env dev examples/techcorp"
)]
pub(super) struct ExplainArgs {
    /// The resource: `TENANT/SERVICE/RESOURCE` (the name in the service's `spec.requires`).
    #[arg(value_name = "TENANT/SERVICE/RESOURCE")]
    target: String,

    /// The environment.
    #[arg(long, value_name = "ENV")]
    env: String,

    #[command(flatten)]
    root: RootArgs,
}

pub(super) fn run(args: &ExplainArgs, ui: &Ui) -> i32 {
    let format = args.root.output;
    let source_map = match load(&args.root) {
        Ok(source_map) => source_map,
        Err(error) => return report_discover_error(&error, format, ui),
    };
    let mut timings = Timings::default();
    let validated = match check(&source_map, &mut timings) {
        Ok((validated, _)) => validated,
        Err(diagnostics) => {
            ui.report(format, &diagnostics, &source_map);
            return failure_status(&diagnostics);
        }
    };
    match explain(validated.spec(), &args.target, &args.env, &source_map) {
        Ok(text) => {
            let _ = std::io::stdout().write_all(text.as_bytes());
            EXIT_OK
        }
        Err(diagnostic) => {
            ui.report(format, &[*diagnostic], &source_map);
            EXIT_INVALID
        }
    }
}

fn unknown(kind: RefKind, name: &str, known: Vec<String>) -> Box<Diagnostic> {
    Box::new(Diagnostic::unplaced(DiagnosticKind::UnknownReference {
        kind,
        name: name.to_string(),
        known,
    }))
}

/// The explanation, or the part of the target that names nothing.
fn explain(
    spec: &ResolvedSpec,
    target: &str,
    env: &str,
    source_map: &SourceMap,
) -> Result<String, Box<Diagnostic>> {
    let parts: Vec<&str> = target.split('/').collect();
    let [tenant, service_name, resource] = parts.as_slice() else {
        return Err(Box::new(Diagnostic::unplaced(
            DiagnosticKind::InvalidValue {
                message: format!("`{target}` is not `TENANT/SERVICE/RESOURCE`"),
                help: Some("e.g. `pave explain backend/order-service/db --env prod`".into()),
            },
        )));
    };
    let service = spec
        .services
        .iter()
        .find(|s| s.tenant == *tenant && s.name() == *service_name)
        .ok_or_else(|| {
            unknown(
                RefKind::Service,
                &format!("{tenant}/{service_name}"),
                spec.services
                    .iter()
                    .map(|s| format!("{}/{}", s.tenant, s.name()))
                    .collect(),
            )
        })?;
    let instance = service
        .instances
        .iter()
        .find(|i| i.environment == env)
        .ok_or_else(|| {
            unknown(
                RefKind::Environment,
                env,
                service
                    .instances
                    .iter()
                    .map(|i| i.environment.clone())
                    .collect(),
            )
        })?;
    let resource_use = instance
        .requires
        .iter()
        .find(|u| u.name == *resource)
        .ok_or_else(|| {
            unknown(
                RefKind::Resource,
                resource,
                instance.requires.iter().map(|u| u.name.clone()).collect(),
            )
        })?;
    Ok(render(
        spec,
        service.name(),
        tenant,
        env,
        resource_use,
        source_map,
    ))
}

fn at(source_map: &SourceMap, span: Span) -> String {
    let file = source_map.get(span.file);
    let (line, column) = file.line_col(span.start as usize);
    format!("{}:{line}:{column}", file.name)
}

fn render(
    spec: &ResolvedSpec,
    service: &str,
    tenant: &str,
    env: &str,
    resource_use: &ResourceUse,
    source_map: &SourceMap,
) -> String {
    let mut out = String::new();
    let name = resource_use.resource_name(service);
    let type_name = resource_use.resource_type.as_str();
    let _ = writeln!(
        out,
        "{tenant}/{service}/{} in {env}: {type_name}, resource `{name}` in namespace `{tenant}-{env}`{}",
        resource_use.name,
        if resource_use.id.is_some() {
            " (shared by id)"
        } else {
            ""
        },
    );
    let chosen = match resource_use.class_chosen_at {
        ClassChoice::Override(span) => format!("the `{env}` override, {}", at(source_map, span)),
        ClassChoice::Request(span) => format!("the request, {}", at(source_map, span)),
        ClassChoice::Default(span) => format!(
            "the default class of `{type_name}` (request at {})",
            at(source_map, span)
        ),
    };
    let _ = writeln!(
        out,
        "class `{}`, chosen by {chosen}; defined at {}",
        resource_use.class,
        at(source_map, resource_use.class_defined_at)
    );
    let tier = spec.environments.get(env).map_or("", |e| e.tier.as_str());
    for (region, decided) in &resource_use.regions {
        let _ = writeln!(
            out,
            "\nregion {region} (cluster {env}-{region}, environment type {tier}):"
        );
        if decided.matched_rules.is_empty() {
            let _ = writeln!(
                out,
                "  no rule of the class matches: its own parameters apply"
            );
        } else {
            let _ = writeln!(
                out,
                "  rules that match, least specific first (the last one wins):"
            );
            let last = decided.matched_rules.len().saturating_sub(1);
            for (i, rule) in decided.matched_rules.iter().enumerate() {
                let _ = writeln!(
                    out,
                    "    rule {} [{}] at {}{}",
                    rule.index + 1,
                    rule.description,
                    at(source_map, rule.span),
                    if i == last { "  <- wins" } else { "" },
                );
            }
        }
        let _ = writeln!(out, "  parameters:");
        let width = decided.params.keys().map(String::len).max().unwrap_or(0);
        for (param, value) in &decided.params {
            let source = match decided.decided_by.get(param) {
                Some(ParamSource::Class) | None => "the class".to_string(),
                Some(ParamSource::Rule(i)) => format!("rule {}", i + 1),
                Some(ParamSource::Request) => "the request's params".to_string(),
                Some(ParamSource::Override) => format!("the `{env}` override's params"),
            };
            let value = value.to_string();
            let _ = writeln!(out, "    {param:<width$}  {value:<16}  from {source}");
        }
    }
    out
}
