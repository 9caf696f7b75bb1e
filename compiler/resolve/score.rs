//! A Score workload in one environment: its placeholders filled in with the environment's values
//! (`environment` values, `dns` hosts in the environment's zone, other workloads' ports), its
//! containers' resources completed from the decided size, its route as the Ingress.

use std::collections::BTreeMap;

use super::dependency::Target;
use super::{EnvPart, SecretRef, ServiceInstance, Sourced, qualify_image};
use crate::diagnostic::{Diagnostic, DiagnosticKind, RefKind};
use crate::parse::score::{
    FileContent, InitKind, PartialResources, ResourceType, ScoreContainer, ScoreParts, ScoreVolume,
    Segment, Template,
};
use crate::parse::{
    CpuMemory, Ingress, Probe, Quantity, ResourceType as ManagedType, Resources, TenantVolume,
};
use crate::source::Span;

/// A container of the pod besides the main one, in one environment.
#[derive(Debug, Clone, PartialEq)]
pub struct ContainerInstance {
    pub name: String,
    pub image: String,
    pub command: Vec<String>,
    pub args: Vec<String>,
    pub env: BTreeMap<String, String>,
    pub secrets: BTreeMap<String, SecretRef>,
    pub files: Vec<ResolvedFile>,
    pub volumes: Vec<ScoreVolume>,
    pub resources: Resources,
    /// Where its requests and limits are given, when they are.
    pub resources_span: Option<Span>,
    pub liveness: Option<Probe>,
    pub readiness: Option<Probe>,
    /// Whether (and how) it starts before the pod's containers.
    pub init: Option<InitKind>,
}

/// A file mounted read-only into a container, its content final.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResolvedFile {
    pub target: String,
    pub content: ResolvedContent,
    pub mode: Option<i32>,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum ResolvedContent {
    Text(String),
    Binary(Vec<u8>),
}

/// The ports of every workload, by `(tenant, name)`: each port's names (its Kubernetes name and,
/// for Score workloads, its Score name) and number.
pub(crate) type PortTable = BTreeMap<(String, String), Vec<(Vec<String>, u16)>>;

/// What filling in a workload's placeholders in one environment needs.
pub(super) struct Context<'a> {
    pub environment: &'a str,
    pub tenant: &'a str,
    pub workload: &'a str,
    pub zone: &'a str,
    pub registry: &'a str,
    pub ports: &'a PortTable,
    /// The volumes the tenant provides by name.
    pub volumes: &'a BTreeMap<String, TenantVolume>,
}

/// Completes `instance` (built by the Service rules) with the Score workload's parts.
pub(super) fn complete(
    parts: &ScoreParts,
    ctx: &Context<'_>,
    instance: &mut ServiceInstance,
    diagnostics: &mut Vec<Diagnostic>,
) {
    let overrides = parts.container_overrides.get(ctx.environment);
    let size = instance.resources.clone();
    let container_override = |name: &str| overrides.and_then(|o| o.get(name));

    let main = &parts.main;
    instance.container_name = main.name.clone();
    let (env, resource_env) = main_variables(
        parts,
        main,
        container_override(&main.name),
        ctx,
        diagnostics,
    );
    instance.env = env;
    instance.resource_env = resource_env;
    instance.files = files(parts, main, ctx, diagnostics);
    instance.volumes = main.volumes.clone();
    check_named_volumes(parts, ctx, diagnostics);
    let (resources, span) = container_resources(main, container_override(&main.name), &size);
    instance.resources = Sourced {
        value: resources,
        span: span.or(size.span),
    };
    let built = parts
        .built_image_by_env
        .get(ctx.environment)
        .or(parts.built_image.as_ref())
        .map(|(image, _)| image.clone())
        .unwrap_or_default();
    instance.sidecars = parts
        .sidecars
        .iter()
        .map(|container| {
            let (resources, resources_span) =
                container_resources(container, container_override(&container.name), &size);
            ContainerInstance {
                name: container.name.clone(),
                image: qualify_image(container.image.as_deref().unwrap_or(&built), ctx.registry),
                command: container.command.clone(),
                args: container.args.clone(),
                env: variables(
                    parts,
                    container,
                    container_override(&container.name),
                    ctx,
                    diagnostics,
                ),
                secrets: BTreeMap::new(),
                files: files(parts, container, ctx, diagnostics),
                volumes: container.volumes.clone(),
                resources,
                resources_span,
                liveness: container.liveness.clone(),
                readiness: container.readiness.clone(),
                init: container.init,
            }
        })
        .collect();
    if let Some(route) = &parts.route {
        let over = parts.route_by_env.get(ctx.environment);
        let (host, span) = match over.and_then(|o| o.host.as_ref()) {
            Some((host, span)) => (host, *span),
            None => (&route.host, route.span),
        };
        instance.ingress = Some(Sourced {
            value: Ingress {
                host: fill(parts, host, ctx, diagnostics),
                path: over
                    .and_then(|o| o.path.clone())
                    .unwrap_or_else(|| route.path.clone()),
                public: over.and_then(|o| o.public).unwrap_or(route.public),
                port: Some(route.port.clone()),
            },
            span: Some(span),
        });
    }
    check_service_ports(parts, ctx, diagnostics);
}

fn variables(
    parts: &ScoreParts,
    container: &ScoreContainer,
    over: Option<&crate::parse::score::ContainerOverride>,
    ctx: &Context<'_>,
    diagnostics: &mut Vec<Diagnostic>,
) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    let chosen = container
        .variables
        .iter()
        .chain(over.into_iter().flat_map(|o| o.variables.iter()));
    for (name, template) in chosen {
        out.insert(name.clone(), fill(parts, template, ctx, diagnostics));
    }
    out
}

fn files(
    parts: &ScoreParts,
    container: &ScoreContainer,
    ctx: &Context<'_>,
    diagnostics: &mut Vec<Diagnostic>,
) -> Vec<ResolvedFile> {
    container
        .files
        .iter()
        .map(|file| ResolvedFile {
            target: file.target.clone(),
            content: match &file.content {
                FileContent::Text(template) => {
                    ResolvedContent::Text(fill(parts, template, ctx, diagnostics))
                }
                FileContent::Binary(data) => ResolvedContent::Binary(data.clone()),
            },
            mode: file.mode,
        })
        .collect()
}

/// The main container's variables: plain text, or (with outputs of managed resources) the parts
/// that `lower` wires to the ExternalSecret and the outputs ConfigMap.
fn main_variables(
    parts: &ScoreParts,
    container: &ScoreContainer,
    over: Option<&crate::parse::score::ContainerOverride>,
    ctx: &Context<'_>,
    diagnostics: &mut Vec<Diagnostic>,
) -> (BTreeMap<String, String>, BTreeMap<String, Vec<EnvPart>>) {
    let mut env = BTreeMap::new();
    let mut resource_env = BTreeMap::new();
    let chosen: BTreeMap<&String, &Template> = container
        .variables
        .iter()
        .chain(over.into_iter().flat_map(|o| o.variables.iter()))
        .collect();
    for (name, template) in chosen {
        let mut pieces: Vec<EnvPart> = Vec::new();
        let push_text = |pieces: &mut Vec<EnvPart>, text: &str| match pieces.last_mut() {
            Some(EnvPart::Text(last)) => last.push_str(text),
            _ => pieces.push(EnvPart::Text(text.to_string())),
        };
        for segment in &template.0 {
            match segment {
                Segment::Text(text) => push_text(&mut pieces, text),
                Segment::Output {
                    resource,
                    output,
                    span,
                } => match parts.resources.get(resource).map(|r| r.type_) {
                    Some(ResourceType::Managed(managed)) => {
                        for piece in managed_output(managed, resource, output) {
                            match piece {
                                EnvPart::Text(text) => push_text(&mut pieces, &text),
                                other => pieces.push(other),
                            }
                        }
                    }
                    _ => {
                        let value = output_value(parts, resource, output, *span, ctx, diagnostics);
                        push_text(&mut pieces, &value);
                    }
                },
            }
        }
        match pieces.as_slice() {
            [] => {
                env.insert(name.clone(), String::new());
            }
            [EnvPart::Text(text)] => {
                env.insert(name.clone(), text.clone());
            }
            _ => {
                resource_env.insert(name.clone(), pieces);
            }
        }
    }
    (env, resource_env)
}

/// A Score output of a managed resource as pave's outputs: Score's reference provisioners name
/// the database `database` as well as `name`, give Redis a `username` (`default`, the user of an
/// ElastiCache AUTH token), S3 a `bucket` and an `endpoint`, MongoDB a `port` and a
/// `connection` string.
fn managed_output(managed: ManagedType, resource: &str, output: &str) -> Vec<EnvPart> {
    let out = |name: &str| EnvPart::Output {
        resource: resource.to_string(),
        output: name.to_string(),
    };
    match (managed, output) {
        (ManagedType::Postgres | ManagedType::Mysql | ManagedType::Mongodb, "database") => {
            vec![out("name")]
        }
        (ManagedType::Mongodb, "port") => vec![EnvPart::Text("27017".into())],
        // Atlas clusters are reached through their SRV record.
        (ManagedType::Mongodb, "connection") => vec![
            EnvPart::Text("mongodb+srv://".into()),
            out("username"),
            EnvPart::Text(":".into()),
            out("password"),
            EnvPart::Text("@".into()),
            out("host"),
            EnvPart::Text("/".into()),
            out("name"),
        ],
        (ManagedType::Redis, "username") => vec![EnvPart::Text("default".into())],
        (ManagedType::S3Bucket, "bucket") => vec![out("name")],
        (ManagedType::S3Bucket, "endpoint") => vec![
            EnvPart::Text("https://s3.".into()),
            out("region"),
            EnvPart::Text(".amazonaws.com".into()),
        ],
        (_, other) => vec![out(other)],
    }
}

/// A template's text in this environment.
fn fill(
    parts: &ScoreParts,
    template: &Template,
    ctx: &Context<'_>,
    diagnostics: &mut Vec<Diagnostic>,
) -> String {
    let mut out = String::new();
    for segment in &template.0 {
        match segment {
            Segment::Text(text) => out.push_str(text),
            Segment::Output {
                resource,
                output,
                span,
            } => out.push_str(&output_value(
                parts,
                resource,
                output,
                *span,
                ctx,
                diagnostics,
            )),
        }
    }
    out
}

fn output_value(
    parts: &ScoreParts,
    name: &str,
    output: &str,
    span: Span,
    ctx: &Context<'_>,
    diagnostics: &mut Vec<Diagnostic>,
) -> String {
    let Some(resource) = parts.resources.get(name) else {
        return String::new();
    };
    match resource.type_ {
        ResourceType::Environment => {
            let value = parts
                .environment_values_by_env
                .get(ctx.environment)
                .and_then(|values| values.get(output))
                .or_else(|| parts.environment_values.get(output));
            match value {
                Some(value) => value.clone(),
                None => {
                    diagnostics.push(Diagnostic::new(
                        DiagnosticKind::MissingEnvironmentValue {
                            key: output.to_string(),
                            environment: ctx.environment.to_string(),
                        },
                        span,
                    ));
                    String::new()
                }
            }
        }
        ResourceType::Dns => {
            let label = resource.id.as_deref().unwrap_or(ctx.workload);
            format!("{label}.{}.{}", ctx.tenant, ctx.zone)
        }
        ResourceType::ServicePort => {
            let Some(reference) = parts.service_ports.get(name) else {
                return String::new();
            };
            let target = Target::parse(&reference.workload, ctx.tenant);
            match output {
                "hostname" => target.host(ctx.environment),
                _ => target
                    .port_named(ctx.ports, &reference.port)
                    .map(|p| p.to_string())
                    .unwrap_or_default(),
            }
        }
        ResourceType::Service => {
            let Some(reference) = parts.services.get(name) else {
                return String::new();
            };
            let target = Target::parse(reference, ctx.tenant);
            let output = if output == "name" { "host" } else { output };
            match target.output(output, ctx.environment, ctx.ports) {
                Ok(value) => value,
                Err(_) => {
                    // `port` and `url` of a workload without ports (an unknown workload is
                    // reported as an unknown dependency).
                    if target.ports(ctx.ports).is_some() {
                        diagnostics.push(Diagnostic::new(
                            DiagnosticKind::InvalidValue {
                                message: format!("`{target}` exposes no port"),
                                help: Some(format!(
                                    "give `{target}` a service port, or use `${{resources.{name}.host}}`"
                                )),
                            },
                            span,
                        ));
                    }
                    String::new()
                }
            }
        }
        // Managed outputs reach only the main container's variables (checked when parsing).
        ResourceType::Route | ResourceType::Volume | ResourceType::Managed(_) => String::new(),
    }
}

/// A volume mounted by name is one the tenant provides.
fn check_named_volumes(parts: &ScoreParts, ctx: &Context<'_>, diagnostics: &mut Vec<Diagnostic>) {
    let containers = std::iter::once(&parts.main).chain(&parts.sidecars);
    for volume in containers.flat_map(|c| &c.volumes) {
        if let Some(span) = volume.by_name
            && !ctx.volumes.contains_key(&volume.resource)
        {
            diagnostics.push(Diagnostic::new(
                DiagnosticKind::UnknownReference {
                    kind: RefKind::Volume,
                    name: volume.resource.clone(),
                    known: ctx.volumes.keys().cloned().collect(),
                },
                span,
            ));
        }
    }
}

/// Each `service-port` names a port its workload has (an unknown workload is reported as an
/// unknown dependency).
fn check_service_ports(parts: &ScoreParts, ctx: &Context<'_>, diagnostics: &mut Vec<Diagnostic>) {
    for reference in parts.service_ports.values() {
        let target = Target::parse(&reference.workload, ctx.tenant);
        let Some(ports) = target.ports(ctx.ports) else {
            continue;
        };
        if target.port_named(ctx.ports, &reference.port).is_none() {
            let names: Vec<String> = ports
                .iter()
                .filter_map(|(names, _)| names.last().cloned())
                .map(|n| format!("`{n}`"))
                .collect();
            diagnostics.push(Diagnostic::new(
                DiagnosticKind::InvalidValue {
                    message: format!("`{target}` has no port `{}`", reference.port),
                    help: Some(if names.is_empty() {
                        "that workload exposes no port".to_string()
                    } else {
                        format!("its ports are {}", names.join(", "))
                    }),
                },
                reference.port_span,
            ));
        }
    }
}

/// A container's requests and limits: what it gives (the environment's override over the
/// workload's), completed as Kubernetes does (a request defaults to its limit) and otherwise from
/// the decided size class (a limit never below its request).
fn container_resources(
    container: &ScoreContainer,
    over: Option<&crate::parse::score::ContainerOverride>,
    size: &Sourced<Resources>,
) -> (Resources, Option<Span>) {
    let given: PartialResources = match over {
        Some(o) => container.resources.with(&o.resources),
        None => container.resources.clone(),
    };
    let span = over
        .and_then(|o| o.resources_span)
        .filter(|_| over.is_some_and(|o| !o.resources.is_empty()))
        .or(container.resources_span);
    let base = &size.value;
    let pick = |request: &Option<Quantity>,
                limit: &Option<Quantity>,
                base_request: &Quantity,
                base_limit: &Quantity| {
        let limit_value = limit.clone();
        let request = request
            .clone()
            .or_else(|| limit_value.clone())
            .unwrap_or_else(|| base_request.clone());
        let limit = limit_value.unwrap_or_else(|| match (request.value(), base_limit.value()) {
            (Some(r), Some(l)) if r > l => request.clone(),
            _ => base_limit.clone(),
        });
        (request, limit)
    };
    let (cpu_request, cpu_limit) = pick(
        &given.requests.cpu,
        &given.limits.cpu,
        &base.requests.cpu,
        &base.limits.cpu,
    );
    let (memory_request, memory_limit) = pick(
        &given.requests.memory,
        &given.limits.memory,
        &base.requests.memory,
        &base.limits.memory,
    );
    (
        Resources {
            requests: CpuMemory {
                cpu: cpu_request,
                memory: memory_request,
            },
            limits: CpuMemory {
                cpu: cpu_limit,
                memory: memory_limit,
            },
        },
        if given.is_empty() { None } else { span },
    )
}
