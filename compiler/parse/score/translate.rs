//! A Score workload and its overrides file to a [`Parsed<ServiceSpec>`]: the main container's
//! image, command, args and probes, the service ports, replicas, size and per-environment
//! settings become the Service's; everything else goes into [`ScoreParts`].

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value as Json;

use super::placeholder::{Piece, path_parts, pieces, span_within};
use super::resource_type::ResourceType;
use super::workload::{
    ScoreContainerResources, ScoreContainerSpec, ScoreDocument, ScoreFileSpec, ScoreOverrides,
    ScoreProbe, ScoreProtocol, ScoreVolumeSpec,
};
use super::{
    ContainerOverride, ENVIRONMENTS_ANNOTATION, FileContent, InitKind, MAIN_CONTAINER_ANNOTATION,
    PartialResources, Route, RouteOverride, ScoreContainer, ScoreFile, ScoreParts, ScoreResource,
    ScoreVolume, Segment, ServicePortRef, TENANT_ANNOTATION, Template,
};
use crate::diagnostic::{Diagnostic, DiagnosticKind, PlaceholderProblem};
use crate::parse::yaml::{Entry, Node, Value};
use crate::parse::{
    AwsAccess, Document, Metadata, Parsed, PartialCpuMemory, Port, Probe, Probes, Quantity,
    ResourceRequest, ResourceRequestOverride, ServiceAccountSettings, ServiceOverride, ServiceSpec,
    WorkloadKind,
};
use crate::source::{FileId, Span};

/// The longest name of a managed resource (pave derives cloud names from it).
const MAX_MANAGED_NAME: usize = 30;

/// How an overrides file is named: `<name>.overrides.yaml` beside `<name>.yaml`.
pub const OVERRIDES_SUFFIXES: [&str; 2] = [".overrides.yaml", ".overrides.yml"];

/// The Score files an overrides file may belong to (`a/b.overrides.yaml` -> `a/b.yaml`,
/// `a/b.yml`), or `None` when the name is not an overrides file's.
pub fn overrides_target(name: &str) -> Option<[String; 2]> {
    OVERRIDES_SUFFIXES.iter().find_map(|suffix| {
        name.strip_suffix(suffix)
            .map(|stem| [format!("{stem}.yaml"), format!("{stem}.yml")])
    })
}

/// The name in the source map of the file a Score file (`score_name`) names in a `source`:
/// relative to its folder, never above it; `None` for an absolute path or one that leaves it.
pub fn source_path(score_name: &str, source: &str) -> Option<String> {
    let folder = score_name.rsplit_once('/').map_or("", |(dir, _)| dir);
    let mut parts: Vec<&str> = if folder.is_empty() {
        Vec::new()
    } else {
        folder.split('/').collect()
    };
    let depth = parts.len();
    if source.starts_with('/') {
        return None;
    }
    for part in source.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                if parts.len() <= depth {
                    return None;
                }
                parts.pop();
            }
            part => parts.push(part),
        }
    }
    Some(parts.join("/"))
}

/// The `source` of every file of a Score workload's containers, as written (both forms of
/// `files`), read from the document before any check: the files they name are data, not specs.
pub fn file_sources(workload: &Json) -> Vec<String> {
    let mut out = Vec::new();
    let Some(containers) = workload.get("containers").and_then(Json::as_object) else {
        return out;
    };
    for container in containers.values() {
        let files: Vec<&Json> = match container.get("files") {
            Some(Json::Object(map)) => map.values().collect(),
            Some(Json::Array(items)) => items.iter().collect(),
            _ => Vec::new(),
        };
        out.extend(
            files
                .into_iter()
                .filter_map(|f| f.get("source").and_then(Json::as_str))
                .map(str::to_string),
        );
    }
    out
}

/// What translating needs from the source map: the text of each file (for spans inside strings)
/// and the files beside Score workloads that `files[].source` may name.
pub struct Sources<'a> {
    pub text: &'a dyn Fn(FileId) -> &'a str,
    pub assets: &'a BTreeMap<String, FileId>,
    /// The data-defined resource types (the platform's `ResourceType` specs and stdlib's), by
    /// name, with their outputs.
    pub resource_types: &'a BTreeMap<String, Vec<String>>,
}

/// Reads a schema-valid document into its serde model. A whole-number float where an integer
/// goes (`port: 8080.0`) is the user's mistake, at the value; anything else the schema let
/// through is pave's.
fn read_model<T: serde::de::DeserializeOwned>(
    doc: &Document,
    internal: &dyn Fn(String) -> Vec<Diagnostic>,
) -> Result<T, Vec<Diagnostic>> {
    serde_path_to_error::deserialize(doc.root.to_json()).map_err(|e| {
        let path = crate::parse::error_path(e.path());
        match crate::parse::not_an_integer(doc, &path) {
            Some(diagnostic) => vec![diagnostic],
            None => internal(e.inner().to_string()),
        }
    })
}

/// Lowers a Score workload (and its overrides file) into a Service.
pub fn translate<'a>(
    score: &'a Document,
    score_name: &'a str,
    overrides: Option<(&'a Document, &'a str)>,
    sources: &'a Sources<'a>,
) -> Result<Parsed<ServiceSpec>, Vec<Diagnostic>> {
    let internal = |message: String| {
        vec![Diagnostic::new(
            DiagnosticKind::Internal {
                message: format!(
                    "the Score schema accepted a document pave cannot read: {message}"
                ),
            },
            score.head_span(),
        )]
    };
    let workload: ScoreDocument = read_model(score, &internal)?;
    let settings: ScoreOverrides = match overrides {
        Some((doc, _)) => read_model(doc, &internal)?,
        None => ScoreOverrides::default(),
    };
    let mut t = Translator {
        score,
        score_name,
        overrides: overrides.map(|(doc, _)| doc),
        overrides_name: overrides.map_or_else(
            || default_overrides_name(score_name),
            |(_, name)| name.to_string(),
        ),
        sources,
        metadata: Json::Object(workload.metadata.clone()),
        resources: BTreeMap::new(),
        untyped: BTreeSet::new(),
        requires: BTreeMap::new(),
        managed_allowed: false,
        targets: Vec::new(),
        diagnostics: Vec::new(),
    };
    let spec = t.service(&workload, &settings);
    let name = workload
        .metadata
        .get("name")
        .and_then(Json::as_str)
        .unwrap_or_default()
        .to_string();
    let (tenant, tenant_node) = t.tenant(&workload, &name);
    if !t.diagnostics.is_empty() {
        return Err(t.diagnostics);
    }
    let root = t.synthetic_root(&spec, tenant_node);
    Ok(Parsed {
        doc: Document {
            file: score.file,
            root,
            verbatim: false,
        },
        metadata: Metadata {
            name,
            tenant: Some(tenant),
            labels: BTreeMap::new(),
            // The workload's own annotations go onto its objects; pave's are read here.
            annotations: workload
                .metadata
                .get("annotations")
                .and_then(Json::as_object)
                .map(|map| {
                    map.iter()
                        .filter(|(k, _)| !k.starts_with("pave.dev/"))
                        .filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_string())))
                        .collect()
                })
                .unwrap_or_default(),
        },
        spec,
    })
}

fn default_overrides_name(score_name: &str) -> String {
    let stem = score_name
        .strip_suffix(".yaml")
        .or_else(|| score_name.strip_suffix(".yml"))
        .unwrap_or(score_name);
    format!("{stem}{}", OVERRIDES_SUFFIXES[0])
}

struct Translator<'a> {
    score: &'a Document,
    score_name: &'a str,
    overrides: Option<&'a Document>,
    overrides_name: String,
    sources: &'a Sources<'a>,
    metadata: Json,
    resources: BTreeMap<String, ScoreResource>,
    /// Resources of a type pave does not provide (reported once, on the type).
    untyped: BTreeSet<String>,
    /// Managed resources, as a Service's `spec.requires`.
    requires: BTreeMap<String, ResourceRequest>,
    /// Whether outputs of managed resources may stand in the string being read: only the main
    /// container's variables, which the ExternalSecret and its ConfigMap feed.
    managed_allowed: bool,
    /// Where the current container's files and volumes are mounted, to check them.
    targets: Vec<(String, Span)>,
    diagnostics: Vec<Diagnostic>,
}

/// Where a string comes from, to place diagnostics inside it.
#[derive(Clone, Copy)]
enum At<'n> {
    /// A string scalar node of a document.
    Node(&'n Node),
    /// A whole file (a `source` file's content).
    File(FileId),
}

impl<'a> Translator<'a> {
    fn path_span(&self, path: &[&str]) -> Span {
        self.score.span(path)
    }

    fn key_span(&self, path: &[&str]) -> Span {
        self.score.key_span(path)
    }

    fn invalid(&mut self, span: Span, message: String, help: &str) {
        self.diagnostics.push(Diagnostic::new(
            DiagnosticKind::InvalidValue {
                message,
                help: Some(help.to_string()),
            },
            span,
        ));
    }

    fn service(&mut self, workload: &ScoreDocument, settings: &ScoreOverrides) -> ServiceSpec {
        self.read_resources(workload);
        let order: Vec<String> = match self.score.root.get("containers").map(|n| &n.value) {
            Some(Value::Map(entries)) => entries.iter().map(|e| e.key.clone()).collect(),
            _ => workload.containers.keys().cloned().collect(),
        };
        let ports = self.ports(workload);
        let main_name = self.main_container(workload, &order, &ports);
        let mut containers = Vec::new();
        for name in &order {
            if let Some(container) = workload.containers.get(name) {
                self.managed_allowed = *name == main_name;
                containers.push(self.container(name, container));
                self.managed_allowed = false;
            }
        }
        self.before(workload, &order, &main_name, &mut containers);
        let position = containers
            .iter()
            .position(|c| c.name == main_name)
            .unwrap_or(0);
        let main = if containers.is_empty() {
            ScoreContainer::default()
        } else {
            containers.remove(position)
        };
        let sidecars = containers;

        let mut parts = ScoreParts {
            environment_values: settings.settings.environment.clone(),
            resources: self.resources.clone(),
            only_environments: self
                .metadata
                .get("annotations")
                .and_then(|a| a.get(ENVIRONMENTS_ANNOTATION))
                .and_then(Json::as_str)
                .map(|list| {
                    let names = list
                        .split(',')
                        .map(str::trim)
                        .filter(|n| !n.is_empty())
                        .map(str::to_string)
                        .collect();
                    let span =
                        self.path_span(&["metadata", "annotations", ENVIRONMENTS_ANNOTATION]);
                    (names, span)
                }),
            ..ScoreParts::default()
        };
        let built = main.image.is_none() || sidecars.iter().any(|c| c.image.is_none());
        parts.built_image = settings
            .settings
            .image
            .clone()
            .map(|image| (image, self.overrides_span(&["image"])));
        if built && parts.built_image.is_none() {
            let container = if main.image.is_none() {
                main.name.clone()
            } else {
                sidecars
                    .iter()
                    .find(|c| c.image.is_none())
                    .map(|c| c.name.clone())
                    .unwrap_or_default()
            };
            self.diagnostics.push(Diagnostic::new(
                DiagnosticKind::MissingImage {
                    container: container.clone(),
                    overrides: self.overrides_name.clone(),
                },
                self.path_span(&["containers", container.as_str(), "image"]),
            ));
        }
        let mut environments = BTreeMap::new();
        let mut route_overrides = BTreeMap::new();
        for (env, over) in &settings.environments {
            if let Some(image) = &over.settings.image {
                parts.built_image_by_env.insert(
                    env.clone(),
                    (
                        image.clone(),
                        self.overrides_span(&["environments", env, "image"]),
                    ),
                );
            }
            if !over.settings.environment.is_empty() {
                parts
                    .environment_values_by_env
                    .insert(env.clone(), over.settings.environment.clone());
            }
            let mut by_container = BTreeMap::new();
            for (container, change) in &over.containers {
                let known = std::iter::once(&main)
                    .chain(&sidecars)
                    .any(|c| &c.name == container);
                if !known {
                    let span =
                        self.overrides_key_span(&["environments", env, "containers", container]);
                    let names: Vec<String> = order.clone();
                    self.invalid(
                        span,
                        format!("the workload has no container `{container}`"),
                        &format!("its containers are {}", backticked(&names)),
                    );
                    continue;
                }
                let mut variables = BTreeMap::new();
                self.managed_allowed = *container == main.name;
                for (key, value) in &change.variables {
                    let path = [
                        "environments",
                        env.as_str(),
                        "containers",
                        container.as_str(),
                        "variables",
                        key.as_str(),
                    ];
                    let node = self.overrides.and_then(|d| d.node(&path));
                    let template = match node {
                        Some(node) => self.template(value, At::Node(node)),
                        None => Template(vec![Segment::Text(value.clone())]),
                    };
                    variables.insert(key.clone(), template);
                }
                self.managed_allowed = false;
                by_container.insert(
                    container.clone(),
                    ContainerOverride {
                        variables,
                        resources: change
                            .resources
                            .as_ref()
                            .map(partial_resources)
                            .unwrap_or_default(),
                        resources_span: change.resources.as_ref().map(|_| {
                            self.overrides_key_span(&[
                                "environments",
                                env,
                                "containers",
                                container,
                                "resources",
                            ])
                        }),
                    },
                );
            }
            if !by_container.is_empty() {
                parts.container_overrides.insert(env.clone(), by_container);
            }
            let mut requires = BTreeMap::new();
            for (resource, change) in &over.resources {
                let key_span =
                    self.overrides_key_span(&["environments", env, "resources", resource]);
                match self.resources.get(resource).map(|r| r.type_) {
                    Some(ResourceType::Managed(_)) => {
                        let mut params = BTreeMap::new();
                        for (key, value) in &change.params {
                            let path = ["environments", env.as_str(), "resources", resource.as_str(), "params", key.as_str()];
                            let value = match (value, self.overrides.and_then(|d| d.node(&path))) {
                                (Json::String(text), Some(node)) => {
                                    let template = self.template(text, At::Node(node));
                                    Json::String(template.as_text().unwrap_or_default())
                                }
                                _ => value.clone(),
                            };
                            params.insert(key.clone(), value);
                        }
                        requires.insert(
                            resource.clone(),
                            ResourceRequestOverride {
                                class: change.class.clone(),
                                params,
                            },
                        );
                    }
                    Some(ResourceType::Route) => {
                        let host_path = ["environments", env.as_str(), "resources", resource.as_str(), "params", "host"];
                        let host = match (
                            change.params.get("host").and_then(Json::as_str),
                            self.overrides.and_then(|d| d.node(&host_path)),
                        ) {
                            (Some(text), Some(node)) => Some((self.template(text, At::Node(node)), node.span)),
                            _ => None,
                        };
                        route_overrides.insert(
                            env.clone(),
                            RouteOverride {
                                host,
                                path: change
                                    .params
                                    .get("path")
                                    .and_then(Json::as_str)
                                    .map(str::to_string),
                                public: change.class.as_ref().map(|c| c == "public"),
                            },
                        );
                    }
                    Some(other) => self.invalid(
                        key_span,
                        format!("a `{}` resource does not change per environment", other.name()),
                        "per environment, the overrides file changes databases, caches, buckets and queues (class, params) and routes (class, params host and path)",
                    ),
                    None if self.untyped.contains(resource) => {}
                    None => {
                        let known: Vec<String> = self.resources.keys().cloned().collect();
                        self.invalid(
                            key_span,
                            format!("the workload has no resource `{resource}`"),
                            &format!("its resources are {}", backticked(&known)),
                        );
                    }
                }
            }
            environments.insert(
                env.clone(),
                ServiceOverride {
                    requires,
                    image: if main.image.is_none() {
                        over.settings.image.clone()
                    } else {
                        None
                    },
                    replicas: over.settings.replicas,
                    autoscaling: over.settings.autoscaling,
                    size: over.settings.size.clone(),
                    ..ServiceOverride::default()
                },
            );
        }

        let depends_on = self.routes_and_service_ports(workload, &ports, &mut parts);
        if parts.route.is_some() {
            parts.route_by_env = route_overrides;
        }
        let image = main.image.clone().unwrap_or_else(|| {
            parts
                .built_image
                .as_ref()
                .map(|(image, _)| image.clone())
                .unwrap_or_default()
        });
        let probes = Probes {
            liveness: main.liveness.clone(),
            readiness: main.readiness.clone(),
        };
        let spec = ServiceSpec {
            image,
            workload: WorkloadKind::Deployment,
            schedule: None,
            command: main.command.clone(),
            args: main.args.clone(),
            port: None,
            ports,
            replicas: settings.settings.replicas,
            autoscaling: settings.settings.autoscaling,
            size: settings.settings.size.clone(),
            resources: None,
            env: BTreeMap::new(),
            secrets: BTreeMap::new(),
            probes,
            depends_on,
            ingress: None,
            service_account: ServiceAccountSettings::default(),
            aws: AwsAccess::default(),
            environments,
            requires: std::mem::take(&mut self.requires),
            score: None,
        };
        parts.main = main;
        parts.sidecars = sidecars;
        ServiceSpec {
            score: Some(Box::new(parts)),
            ..spec
        }
    }

    fn overrides_span(&self, path: &[&str]) -> Span {
        match self.overrides {
            Some(doc) => doc.span(path),
            None => self.score.head_span(),
        }
    }

    fn overrides_key_span(&self, path: &[&str]) -> Span {
        match self.overrides {
            Some(doc) => doc.key_span(path),
            None => self.score.head_span(),
        }
    }

    fn read_resources(&mut self, workload: &ScoreDocument) {
        for (name, resource) in &workload.resources {
            let span = self.path_span(&["resources", name, "type"]);
            let type_ = ResourceType::from_name(&resource.type_).or_else(|| {
                self.sources
                    .resource_types
                    .contains_key(&resource.type_)
                    .then(|| {
                        ResourceType::Managed(crate::parse::ResourceType::named(&resource.type_))
                    })
            });
            match type_ {
                Some(type_) => {
                    if let ResourceType::Managed(resource_type) = type_ {
                        if name.len() > MAX_MANAGED_NAME {
                            let span = self.key_span(&["resources", name]);
                            self.invalid(
                                span,
                                format!("resource name `{name}` is longer than {MAX_MANAGED_NAME} characters"),
                                "pave derives the names of the cloud resource and its secrets from it; shorten it",
                            );
                        }
                        self.requires.insert(
                            name.clone(),
                            ResourceRequest {
                                resource_type,
                                class: resource.class.clone(),
                                id: resource.id.clone(),
                                params: resource
                                    .params
                                    .iter()
                                    .map(|(k, v)| (k.clone(), v.clone()))
                                    .collect(),
                            },
                        );
                    }
                    self.resources.insert(
                        name.clone(),
                        ScoreResource {
                            type_,
                            class: resource.class.clone(),
                            id: resource.id.clone(),
                            span,
                        },
                    );
                }
                None => {
                    self.untyped.insert(name.clone());
                    self.diagnostics.push(Diagnostic::new(
                        DiagnosticKind::UnknownResourceType {
                            type_: resource.type_.clone(),
                            known: {
                                let mut known = ResourceType::known();
                                known.extend(self.sources.resource_types.keys().cloned());
                                known.sort();
                                // stdlib's `postgres`, ... are Score names and catalogue types.
                                known.dedup();
                                known
                            },
                        },
                        span,
                    ));
                }
            }
        }
        // Parameters decided when compiling: `${metadata.*}` replaced, once every resource is
        // known (so a placeholder naming another resource is reported as such).
        let names: Vec<String> = self.requires.keys().cloned().collect();
        for name in names {
            let Some(params) = self.requires.get(&name).map(|r| r.params.clone()) else {
                continue;
            };
            let mut filled = BTreeMap::new();
            for (key, value) in params {
                let path = vec![
                    "resources".to_string(),
                    name.clone(),
                    "params".into(),
                    key.clone(),
                ];
                filled.insert(key, self.static_json(&value, path));
            }
            if let Some(request) = self.requires.get_mut(&name) {
                request.params = filled;
            }
        }
    }

    /// A parameter value with its `${metadata.*}` placeholders replaced; an output of a resource
    /// is known only once the resource exists, too late for parameters.
    fn static_json(&mut self, value: &Json, path: Vec<String>) -> Json {
        match value {
            Json::String(text) => {
                let refs: Vec<&str> = path.iter().map(String::as_str).collect();
                let Some(node) = self.score.node(&refs) else {
                    return value.clone();
                };
                let template = self.template(text, At::Node(node));
                let mut out = String::new();
                for segment in template.0 {
                    match segment {
                        Segment::Text(t) => out.push_str(&t),
                        Segment::Output {
                            resource,
                            output,
                            span,
                        } => self.diagnostics.push(Diagnostic::new(
                            DiagnosticKind::InvalidPlaceholder {
                                placeholder: format!("${{resources.{resource}.{output}}}"),
                                problem: PlaceholderProblem::NotHere {
                                    resource,
                                    reason: "the parameters of a database, cache, bucket or queue are decided when compiling: only `${metadata.*}` placeholders can stand in them".into(),
                                },
                            },
                            span,
                        )),
                    }
                }
                Json::String(out)
            }
            Json::Array(items) => Json::Array(
                items
                    .iter()
                    .enumerate()
                    .map(|(i, item)| {
                        let mut p = path.clone();
                        p.push(i.to_string());
                        self.static_json(item, p)
                    })
                    .collect(),
            ),
            Json::Object(map) => Json::Object(
                map.iter()
                    .map(|(k, item)| {
                        let mut p = path.clone();
                        p.push(k.clone());
                        (k.clone(), self.static_json(item, p))
                    })
                    .collect(),
            ),
            other => other.clone(),
        }
    }

    /// The service ports, in document order, with Kubernetes port names.
    fn ports(&mut self, workload: &ScoreDocument) -> Vec<Port> {
        let Some(service) = &workload.service else {
            return Vec::new();
        };
        let order: Vec<String> = match self.score.node(&["service", "ports"]).map(|n| &n.value) {
            Some(Value::Map(entries)) => entries.iter().map(|e| e.key.clone()).collect(),
            _ => service.ports.keys().cloned().collect(),
        };
        order
            .iter()
            .filter_map(|name| {
                let port = service.ports.get(name)?;
                Some(Port {
                    name: Some(port_name(name, port.port)),
                    port: port.port,
                    protocol: Some(
                        match port.protocol {
                            Some(ScoreProtocol::Udp) => "UDP",
                            _ => "TCP",
                        }
                        .to_string(),
                    ),
                    target_port: port.target_port,
                    score_name: Some(name.clone()),
                })
            })
            .collect()
    }

    /// The container that exposes the service ports: the one the annotation names, the only one,
    /// the only one whose probes target a service port, or the first.
    fn main_container(
        &mut self,
        workload: &ScoreDocument,
        order: &[String],
        ports: &[Port],
    ) -> String {
        let annotation = self
            .metadata
            .get("annotations")
            .and_then(|a| a.get(MAIN_CONTAINER_ANNOTATION))
            .and_then(Json::as_str)
            .map(str::to_string);
        if let Some(name) = annotation {
            if workload.containers.contains_key(&name) {
                return name;
            }
            let span = self.path_span(&["metadata", "annotations", MAIN_CONTAINER_ANNOTATION]);
            self.invalid(
                span,
                format!("the workload has no container `{name}`"),
                &format!("its containers are {}", backticked(order)),
            );
        }
        if order.len() <= 1 {
            return order.first().cloned().unwrap_or_default();
        }
        let targets: BTreeSet<u16> = ports
            .iter()
            .map(|p| p.target_port.unwrap_or(p.port))
            .collect();
        let probing: Vec<&String> = order
            .iter()
            .filter(|name| {
                workload.containers.get(*name).is_some_and(|c| {
                    [&c.liveness_probe, &c.readiness_probe]
                        .into_iter()
                        .flatten()
                        .filter_map(|p| p.http_get.as_ref())
                        .any(|h| targets.contains(&h.port))
                })
            })
            .collect();
        match probing.as_slice() {
            [only] => (*only).clone(),
            _ => order.first().cloned().unwrap_or_default(),
        }
    }

    /// Containers that others list in `before` start first: `complete` as init containers,
    /// `started` and `healthy` as sidecars started first. The strictest wish wins.
    fn before(
        &mut self,
        workload: &ScoreDocument,
        order: &[String],
        main_name: &str,
        containers: &mut [ScoreContainer],
    ) {
        for name in order {
            let Some(spec) = workload.containers.get(name) else {
                continue;
            };
            for (target, before) in &spec.before {
                let span = self.key_span(&["containers", name, "before", target]);
                if target == main_name {
                    self.invalid(
                        span,
                        format!("`{target}` is the main container and cannot start before `{name}`"),
                        "the main container exposes the service; list the containers that start before it in its own `before`",
                    );
                    continue;
                }
                let kind = match before.ready.as_str() {
                    "complete" => InitKind::Complete,
                    "healthy" => InitKind::Healthy,
                    _ => InitKind::Started,
                };
                match containers.iter_mut().find(|c| &c.name == target) {
                    Some(container) => {
                        container.init = Some(container.init.map_or(kind, |k| k.max(kind)));
                    }
                    None => self.invalid(
                        span,
                        format!("the workload has no container `{target}`"),
                        &format!("its containers are {}", backticked(order)),
                    ),
                }
            }
        }
    }

    fn container(&mut self, name: &str, spec: &ScoreContainerSpec) -> ScoreContainer {
        let mut variables = BTreeMap::new();
        for (key, value) in &spec.variables {
            let node = self
                .score
                .node(&["containers", name, "variables", key.as_str()]);
            let template = match node {
                Some(node) => self.template(value, At::Node(node)),
                None => Template(vec![Segment::Text(value.clone())]),
            };
            variables.insert(key.clone(), template);
        }
        for key in spec.variables.keys() {
            let valid = key
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'));
            if !valid {
                let span = self.key_span(&["containers", name, "variables", key.as_str()]);
                self.invalid(
                    span,
                    format!("`{key}` cannot be an environment variable in Kubernetes"),
                    "Kubernetes takes variable names (and pave's ConfigMap keys) of letters, digits, `_`, `-` and `.`",
                );
            }
        }
        let variables_allowed = self.managed_allowed;
        self.managed_allowed = false;
        self.targets.clear();
        let files = self.files(name, spec.files.as_ref());
        self.managed_allowed = variables_allowed;
        let volumes = self.volumes(name, spec.volumes.as_ref());
        self.check_targets();
        let resources_span = self
            .score
            .node(&["containers", name, "resources"])
            .map(|_| self.key_span(&["containers", name, "resources"]));
        ScoreContainer {
            name: name.to_string(),
            image: (spec.image != ".").then(|| spec.image.clone()),
            command: spec.command.clone(),
            args: spec.args.clone(),
            variables,
            files,
            volumes,
            resources: partial_resources(&spec.resources),
            resources_span,
            liveness: spec.liveness_probe.as_ref().map(probe),
            readiness: spec.readiness_probe.as_ref().map(probe),
            init: None,
        }
    }

    /// Mount targets are absolute, not pave's `/tmp`, and each used once in a container.
    fn check_targets(&mut self) {
        let mut seen: BTreeMap<String, Span> = BTreeMap::new();
        for (target, span) in std::mem::take(&mut self.targets) {
            let normal = target.trim_end_matches('/').to_string();
            if !target.starts_with('/') {
                self.invalid(
                    span,
                    format!("mount target `{target}` is not an absolute path"),
                    "files and volumes are mounted at absolute paths in the container, such as `/etc/app/config.yaml`",
                );
            } else if normal == "/tmp" {
                self.invalid(
                    span,
                    "`/tmp` is pave's scratch space in every container".into(),
                    "mount it below `/tmp` or elsewhere",
                );
            } else if let Some(first) = seen.get(&normal) {
                self.diagnostics.push(
                    Diagnostic::new(
                        DiagnosticKind::DuplicateName {
                            kind: "mount target".into(),
                            name: target.clone(),
                        },
                        span,
                    )
                    .with_related(*first, "first mounted here"),
                );
            } else {
                seen.insert(normal, span);
            }
        }
    }

    /// `(path segment, target, file)` for both forms of `files` (map by target, or list).
    fn entries_of<T: serde::de::DeserializeOwned>(
        value: Option<&Json>,
        target: impl Fn(&T) -> Option<String>,
    ) -> Vec<(String, String, T)> {
        let mut out = Vec::new();
        match value {
            Some(Json::Object(map)) => {
                for (key, item) in map {
                    if let Ok(parsed) = serde_json::from_value::<T>(item.clone()) {
                        out.push((key.clone(), key.clone(), parsed));
                    }
                }
            }
            Some(Json::Array(items)) => {
                for (i, item) in items.iter().enumerate() {
                    if let Ok(parsed) = serde_json::from_value::<T>(item.clone()) {
                        let target = target(&parsed).unwrap_or_default();
                        out.push((i.to_string(), target, parsed));
                    }
                }
            }
            _ => {}
        }
        out
    }

    fn files(&mut self, container: &str, value: Option<&Json>) -> Vec<ScoreFile> {
        let mut out = Vec::new();
        let entries = Self::entries_of::<ScoreFileSpec>(value, |f| f.target.clone());
        for (segment, target, file) in entries {
            let base = ["containers", container, "files", segment.as_str()];
            let mode = file
                .mode
                .as_deref()
                .and_then(|m| i32::from_str_radix(m, 8).ok());
            let content = if let Some(binary) = &file.binary_content {
                use base64::Engine as _;
                match base64::engine::general_purpose::STANDARD.decode(binary) {
                    Ok(bytes) => FileContent::Binary(bytes),
                    Err(error) => {
                        let path = [base[0], base[1], base[2], base[3], "binaryContent"];
                        let span = self.path_span(&path);
                        self.invalid(
                            span,
                            format!("`binaryContent` is not standard base64: {error}"),
                            "encode the file with `base64 -w0 FILE` (standard alphabet, with padding)",
                        );
                        continue;
                    }
                }
            } else if let Some(content) = &file.content {
                if file.no_expand {
                    FileContent::Text(Template(vec![Segment::Text(content.clone())]))
                } else {
                    let path = [base[0], base[1], base[2], base[3], "content"];
                    match self.score.node(&path) {
                        Some(node) => FileContent::Text(self.template(content, At::Node(node))),
                        None => FileContent::Text(Template(vec![Segment::Text(content.clone())])),
                    }
                }
            } else if let Some(source) = &file.source {
                let path = [base[0], base[1], base[2], base[3], "source"];
                let span = self.path_span(&path);
                let Some((asset, text)) = self.asset(source) else {
                    self.diagnostics.push(Diagnostic::new(
                        DiagnosticKind::FileNotFound {
                            path: source.clone(),
                        },
                        span,
                    ));
                    continue;
                };
                if file.no_expand {
                    FileContent::Text(Template(vec![Segment::Text(text)]))
                } else {
                    FileContent::Text(self.template(&text, At::File(asset)))
                }
            } else {
                continue;
            };
            let target_span = if segment == target {
                self.key_span(&base)
            } else {
                self.path_span(&[base[0], base[1], base[2], base[3], "target"])
            };
            self.targets.push((target.clone(), target_span));
            out.push(ScoreFile {
                target,
                content,
                mode,
            });
        }
        out
    }

    /// A file beside the workload, by a path relative to the Score file's folder.
    fn asset(&self, source: &str) -> Option<(FileId, String)> {
        let name = source_path(self.score_name, source)?;
        let file = *self.sources.assets.get(&name)?;
        Some((file, (self.sources.text)(file).to_string()))
    }

    fn volumes(&mut self, container: &str, value: Option<&Json>) -> Vec<ScoreVolume> {
        let mut out = Vec::new();
        let entries = Self::entries_of::<ScoreVolumeSpec>(value, |v| v.target.clone());
        for (segment, target, volume) in entries {
            let path = [
                "containers",
                container,
                "volumes",
                segment.as_str(),
                "source",
            ];
            let span = self.path_span(&path);
            let found = pieces(&volume.source);
            // A name without placeholders: a volume the platform provides to the tenant by name
            // (Score's `source` is "the external volume reference"; score-k8s resolves it to one
            // of its resources, internal/convert/container_volumes.go).
            if let [Piece::Text(name)] = found.as_slice()
                && is_dns_label(name)
            {
                let base = ["containers", container, "volumes", segment.as_str()];
                let target_span = if segment == target {
                    self.key_span(&base)
                } else {
                    self.path_span(&[base[0], base[1], base[2], base[3], "target"])
                };
                self.targets.push((target.clone(), target_span));
                out.push(ScoreVolume {
                    target,
                    resource: name.clone(),
                    by_name: Some(span),
                    sub_path: volume.path.clone(),
                    read_only: volume.read_only,
                });
                continue;
            }
            let resource = match found.as_slice() {
                [Piece::Placeholder { inner, .. }] => {
                    let parts = path_parts(inner);
                    match parts.as_slice() {
                        [root, name] if root == "resources" => Some(name.clone()),
                        _ => None,
                    }
                }
                _ => None,
            };
            let Some(resource) = resource else {
                self.diagnostics.push(Diagnostic::new(
                    DiagnosticKind::InvalidPlaceholder {
                        placeholder: volume.source.clone(),
                        problem: PlaceholderProblem::NotAVolume,
                    },
                    span,
                ));
                continue;
            };
            if self.untyped.contains(&resource) {
                continue;
            }
            match self.resources.get(&resource) {
                Some(r) if r.type_ == ResourceType::Volume => {
                    let base = ["containers", container, "volumes", segment.as_str()];
                    let target_span = if segment == target {
                        self.key_span(&base)
                    } else {
                        self.path_span(&[base[0], base[1], base[2], base[3], "target"])
                    };
                    self.targets.push((target.clone(), target_span));
                    out.push(ScoreVolume {
                        target,
                        resource,
                        by_name: None,
                        sub_path: volume.path.clone(),
                        read_only: volume.read_only,
                    });
                }
                Some(_) => self.diagnostics.push(Diagnostic::new(
                    DiagnosticKind::InvalidPlaceholder {
                        placeholder: volume.source.clone(),
                        problem: PlaceholderProblem::NotAVolume,
                    },
                    span,
                )),
                None => self.diagnostics.push(Diagnostic::new(
                    DiagnosticKind::InvalidPlaceholder {
                        placeholder: volume.source.clone(),
                        problem: PlaceholderProblem::UnknownResource {
                            name: resource.clone(),
                            known: self.resources.keys().cloned().collect(),
                        },
                    },
                    span,
                )),
            }
        }
        out
    }

    /// A string's placeholders: `${metadata.*}` replaced, `${resources.*}` checked and kept.
    fn template(&mut self, value: &str, at: At<'_>) -> Template {
        let mut segments = Vec::new();
        for piece in pieces(value) {
            match piece {
                Piece::Text(text) => segments.push(Segment::Text(text)),
                Piece::Placeholder { inner, range } => {
                    let span = match at {
                        At::Node(node) => {
                            let text = (self.sources.text)(node.span.file);
                            span_within(text, node.span, value, range)
                        }
                        At::File(file) => Span::new(file, range.start, range.end),
                    };
                    let written = format!("${{{inner}}}");
                    match self.placeholder(&inner, span) {
                        Ok(segment) => segments.push(segment),
                        Err(problem) => self.diagnostics.push(Diagnostic::new(
                            DiagnosticKind::InvalidPlaceholder {
                                placeholder: written,
                                problem,
                            },
                            span,
                        )),
                    }
                }
            }
        }
        // Adjacent text pieces read as one.
        let mut merged: Vec<Segment> = Vec::new();
        for segment in segments {
            match (merged.last_mut(), segment) {
                (Some(Segment::Text(last)), Segment::Text(text)) => last.push_str(&text),
                (_, segment) => merged.push(segment),
            }
        }
        Template(merged)
    }

    fn placeholder(&self, inner: &str, span: Span) -> Result<Segment, PlaceholderProblem> {
        let parts = path_parts(inner);
        let root = parts.first().cloned().unwrap_or_default();
        match root.as_str() {
            "metadata" => {
                if parts.len() < 2 {
                    return Err(PlaceholderProblem::MissingKey { root: "metadata" });
                }
                let mut current = &self.metadata;
                let mut walked = String::from("metadata");
                for key in &parts[1..] {
                    let Json::Object(map) = current else {
                        return Err(PlaceholderProblem::NotAMapping {
                            key: key.clone(),
                            parent: walked,
                        });
                    };
                    let Some(next) = map.get(key) else {
                        return Err(PlaceholderProblem::UnknownMetadataKey {
                            key: key.clone(),
                            known: map.keys().cloned().collect(),
                        });
                    };
                    walked.push('.');
                    walked.push_str(key);
                    current = next;
                }
                Ok(Segment::Text(match current {
                    Json::String(s) => s.clone(),
                    other => other.to_string(),
                }))
            }
            "resources" => {
                let Some(name) = parts.get(1) else {
                    return Err(PlaceholderProblem::MissingKey { root: "resources" });
                };
                if self.untyped.contains(name) {
                    return Ok(Segment::Text(String::new()));
                }
                let Some(resource) = self.resources.get(name) else {
                    return Err(PlaceholderProblem::UnknownResource {
                        name: name.clone(),
                        known: self.resources.keys().cloned().collect(),
                    });
                };
                let platform_outputs = match resource.type_ {
                    ResourceType::Managed(crate::parse::ResourceType::Platform(type_name)) => {
                        self.sources.resource_types.get(type_name)
                    }
                    _ => None,
                };
                let known: Vec<String> = match platform_outputs {
                    Some(outputs) => outputs.clone(),
                    None => resource
                        .type_
                        .outputs()
                        .unwrap_or_default()
                        .iter()
                        .map(|s| (*s).to_string())
                        .collect(),
                };
                if parts.len() < 3 {
                    return Err(PlaceholderProblem::MissingOutput {
                        resource: name.clone(),
                        type_: resource.type_.name().to_string(),
                        known,
                    });
                }
                let output = parts[2..].join(".");
                if let ResourceType::Managed(managed) = resource.type_ {
                    if managed == crate::parse::ResourceType::S3Bucket
                        && super::resource_type::S3_KEY_OUTPUTS.contains(&output.as_str())
                    {
                        return Err(PlaceholderProblem::NotHere {
                            resource: name.clone(),
                            reason: "pave gives the workload an IAM role (EKS Pod Identity) for its bucket, not keys: AWS SDKs find the credentials themselves; use `bucket` and `region`".into(),
                        });
                    }
                    if !self.managed_allowed {
                        return Err(PlaceholderProblem::NotHere {
                            resource: name.clone(),
                            reason: "outputs of databases, caches, buckets and queues reach the main container's `variables` only (read through an ExternalSecret); pass them to other containers or files from there".into(),
                        });
                    }
                }
                let valid = match (platform_outputs, resource.type_.outputs()) {
                    (Some(outputs), _) => parts.len() == 3 && outputs.contains(&output),
                    (None, None) => parts.len() == 3,
                    (None, Some(outputs)) => outputs.contains(&output.as_str()),
                };
                if !valid {
                    return Err(PlaceholderProblem::UnknownOutput {
                        resource: name.clone(),
                        type_: resource.type_.name().to_string(),
                        output,
                        known,
                    });
                }
                Ok(Segment::Output {
                    resource: name.clone(),
                    output,
                    span,
                })
            }
            _ => Err(PlaceholderProblem::UnknownRoot { root }),
        }
    }

    /// Routes become the Ingress, `service-port`s dependencies; returns the `dependsOn` list.
    fn routes_and_service_ports(
        &mut self,
        workload: &ScoreDocument,
        ports: &[Port],
        parts: &mut ScoreParts,
    ) -> Vec<String> {
        let mut depends_on = Vec::new();
        for (name, spec) in &workload.resources {
            let Some(resource) = self.resources.get(name).cloned() else {
                continue;
            };
            let params_path = |key: &str| {
                [
                    "resources".to_string(),
                    name.clone(),
                    "params".into(),
                    key.to_string(),
                ]
            };
            let param_span = |t: &Self, key: &str| {
                let path = params_path(key);
                let refs: Vec<&str> = path.iter().map(String::as_str).collect();
                t.path_span(&refs)
            };
            let mut params = spec.params.clone();
            if !matches!(
                resource.type_,
                ResourceType::Route | ResourceType::Managed(_)
            ) {
                for (key, value) in params.iter_mut() {
                    let path = vec![
                        "resources".to_string(),
                        name.clone(),
                        "params".into(),
                        key.clone(),
                    ];
                    *value = self.static_json(value, path);
                }
            }
            let string_param = |key: &str| params.get(key).and_then(Json::as_str);
            match resource.type_ {
                ResourceType::Route => {
                    if parts.route.is_some() {
                        self.invalid(
                            resource.span,
                            format!("resource `{name}` is a second `route`"),
                            "pave gives a workload one route (one Ingress host and path); remove one",
                        );
                        continue;
                    }
                    let Some(host) = string_param("host") else {
                        let span = self.key_span(&["resources", name, "type"]);
                        self.invalid(
                            span,
                            format!("route `{name}` has no `params.host`"),
                            "give the host: `params: {host: shop.example.com}` or `host: ${resources.dns.host}`",
                        );
                        continue;
                    };
                    let host_node = self
                        .score
                        .node(&["resources", name, "params", "host"])
                        .cloned();
                    let host = match &host_node {
                        Some(node) => self.template(host, At::Node(node)),
                        None => Template(vec![Segment::Text(host.to_string())]),
                    };
                    let path = string_param("path").unwrap_or("/").to_string();
                    if !path.starts_with('/') {
                        let span = param_span(self, "path");
                        self.invalid(
                            span,
                            format!("route path `{path}` does not start with `/`"),
                            "write an absolute path prefix, such as `/` or `/api`",
                        );
                    }
                    let port = match spec.params.get("port") {
                        None => match ports {
                            [only] => only.name.clone(),
                            _ => None,
                        },
                        Some(Json::String(by_name)) => ports
                            .iter()
                            .find(|p| p.score_name.as_deref() == Some(by_name.as_str()))
                            .and_then(|p| p.name.clone()),
                        Some(Json::Number(number)) => ports
                            .iter()
                            .find(|p| number.as_u64() == Some(u64::from(p.port)))
                            .and_then(|p| p.name.clone()),
                        Some(_) => None,
                    };
                    let Some(port) = port else {
                        let span = if spec.params.contains_key("port") {
                            param_span(self, "port")
                        } else {
                            self.key_span(&["resources", name, "type"])
                        };
                        let names: Vec<String> =
                            ports.iter().filter_map(|p| p.score_name.clone()).collect();
                        self.invalid(
                            span,
                            format!("route `{name}` names no port of the workload's service"),
                            &if names.is_empty() {
                                "a route sends traffic to a service port: add `service.ports`"
                                    .to_string()
                            } else {
                                format!("set `params.port` to one of {}", backticked(&names))
                            },
                        );
                        continue;
                    };
                    parts.route = Some(Route {
                        host,
                        path,
                        port,
                        public: resource.class.as_deref() == Some("public"),
                        span: host_node.map_or(resource.span, |n| n.span),
                    });
                }
                ResourceType::ServicePort => {
                    let workload_name = string_param("workload");
                    let port = string_param("port");
                    let (Some(workload_name), Some(port)) = (workload_name, port) else {
                        let span = self.key_span(&["resources", name, "type"]);
                        self.invalid(
                            span,
                            format!("service-port `{name}` needs `params.workload` and `params.port`"),
                            "name the workload (`name`, or `tenant/name` for another tenant's) and its port: `params: {workload: users, port: web}`",
                        );
                        continue;
                    };
                    if !depends_on.iter().any(|d: &String| d == workload_name) {
                        depends_on.push(workload_name.to_string());
                    }
                    parts.service_ports.insert(
                        name.clone(),
                        ServicePortRef {
                            workload: workload_name.to_string(),
                            port: port.to_string(),
                            port_span: param_span(self, "port"),
                        },
                    );
                }
                ResourceType::Service => {
                    // The workload is the resource's name, as Score's Humanitec implementation
                    // reads it (`backend: {type: service}`), or `params.workload`.
                    let workload_name = match params.get("workload") {
                        None => name.as_str(),
                        Some(Json::String(workload_name)) => workload_name.as_str(),
                        Some(_) => {
                            let span = param_span(self, "workload");
                            self.invalid(
                                span,
                                format!("service `{name}` names its workload with a string"),
                                "write the workload's name (`name`, or `tenant/name` for another tenant's), or leave `params` out to depend on the workload named like the resource",
                            );
                            continue;
                        }
                    };
                    if !depends_on.iter().any(|d: &String| d == workload_name) {
                        depends_on.push(workload_name.to_string());
                    }
                    parts
                        .services
                        .insert(name.clone(), workload_name.to_string());
                }
                ResourceType::Environment
                | ResourceType::Dns
                | ResourceType::Volume
                | ResourceType::Managed(_) => {}
            }
        }
        depends_on
    }

    /// The owning tenant: the `pave.dev/tenant` annotation, or the folder `tenants/<tenant>/`.
    fn tenant(&mut self, workload: &ScoreDocument, name: &str) -> (String, Node) {
        let annotation = workload
            .metadata
            .get("annotations")
            .and_then(|a| a.get(TENANT_ANNOTATION))
            .and_then(Json::as_str);
        if let Some(tenant) = annotation {
            let node = self
                .score
                .node(&["metadata", "annotations", TENANT_ANNOTATION])
                .cloned()
                .unwrap_or_else(|| text_node(tenant, self.score.head_span()));
            return (tenant.to_string(), node);
        }
        let segments: Vec<&str> = self.score_name.split('/').collect();
        if let ["tenants", tenant, _, ..] = segments.as_slice() {
            let span = self.path_span(&["metadata", "name"]);
            return ((*tenant).to_string(), text_node(tenant, span));
        }
        let span = self.path_span(&["metadata", "name"]);
        self.diagnostics.push(Diagnostic::new(
            DiagnosticKind::ScoreWithoutTenant {
                workload: name.to_string(),
            },
            span,
        ));
        (String::new(), text_node("", span))
    }

    /// A spanned document in the shape of a Service whose nodes are the Score file's and the
    /// overrides file's, so the later stages' paths (`spec.replicas`, `spec.ports[0].port`, ...)
    /// find the node that decided each value.
    fn synthetic_root(&self, spec: &ServiceSpec, tenant: Node) -> Node {
        let head = self.score.head_span();
        let score = self.score;
        let mut metadata = Vec::new();
        if let Some(name) = score.node(&["metadata", "name"]) {
            metadata.push(entry(
                "name",
                score.key_span(&["metadata", "name"]),
                name.clone(),
            ));
        }
        metadata.push(entry("tenant", tenant.span, tenant));

        let mut spec_entries = Vec::new();
        if let Some(parts) = &spec.score {
            let main = &parts.main;
            let image_path = ["containers", main.name.as_str(), "image"];
            match (&main.image, &parts.built_image) {
                (None, Some((_, span))) => {
                    spec_entries.push(entry("image", *span, text_node(&spec.image, *span)))
                }
                _ => {
                    if let Some(node) = score.node(&image_path) {
                        spec_entries.push(entry(
                            "image",
                            score.key_span(&image_path),
                            node.clone(),
                        ));
                    }
                }
            }
            if let Some(span) = main.resources_span {
                spec_entries.push(entry("resources", span, text_node("", span)));
            }
        }
        let mut port_items = Vec::new();
        for port in &spec.ports {
            let Some(score_name) = &port.score_name else {
                continue;
            };
            let key_path = ["service", "ports", score_name.as_str()];
            let key_span = score.key_span(&key_path);
            let mut item = vec![entry(
                "name",
                key_span,
                text_node(port.name.as_deref().unwrap_or_default(), key_span),
            )];
            let port_path = ["service", "ports", score_name.as_str(), "port"];
            if let Some(node) = score.node(&port_path) {
                item.push(entry("port", score.key_span(&port_path), node.clone()));
            }
            port_items.push(map_node(key_span, item));
        }
        if !port_items.is_empty() {
            let span = score.key_span(&["service", "ports"]);
            spec_entries.push(entry("ports", span, seq_node(span, port_items)));
        }
        if let Some(parts) = &spec.score {
            let mut dependencies = Vec::new();
            for target in &spec.depends_on {
                let reference = parts
                    .service_ports
                    .iter()
                    .find(|(_, r)| &r.workload == target)
                    .map(|(resource, _)| resource)
                    .or_else(|| {
                        parts
                            .services
                            .iter()
                            .find(|(_, workload)| *workload == target)
                            .map(|(resource, _)| resource)
                    });
                if let Some(resource) = reference {
                    let path = ["resources", resource.as_str(), "params", "workload"];
                    // A `service` named by its key: the key is the reference.
                    let at = score.key_span(&["resources", resource.as_str()]);
                    let node = score
                        .node(&path)
                        .cloned()
                        .unwrap_or_else(|| text_node(target, at));
                    dependencies.push(node);
                }
            }
            if !dependencies.is_empty() {
                spec_entries.push(entry("dependsOn", head, seq_node(head, dependencies)));
            }
            if let Some(route) = &parts.route {
                let host = text_node("", route.span);
                spec_entries.push(entry(
                    "ingress",
                    route.span,
                    map_node(route.span, vec![entry("host", route.span, host)]),
                ));
            }
        }
        if !spec.requires.is_empty() {
            let mut requires = Vec::new();
            for name in spec.requires.keys() {
                if let Some(node) = score.node(&["resources", name.as_str()]) {
                    requires.push(entry(
                        name,
                        score.key_span(&["resources", name.as_str()]),
                        node.clone(),
                    ));
                }
            }
            let span = score.key_span(&["resources"]);
            spec_entries.push(entry("requires", span, map_node(span, requires)));
        }
        if let Some(overrides) = self.overrides {
            for key in ["replicas", "size", "autoscaling"] {
                if let Some(node) = overrides.node(&[key]) {
                    spec_entries.push(entry(key, overrides.key_span(&[key]), node.clone()));
                }
            }
            if let Some(node) = overrides.node(&["environments"]) {
                // A Service's per-environment `requires` is the overrides file's `resources`.
                let renamed = match &node.value {
                    Value::Map(envs) => Node {
                        value: Value::Map(
                            envs.iter()
                                .map(|env| Entry {
                                    value: rename_key(&env.value, "resources", "requires"),
                                    ..env.clone()
                                })
                                .collect(),
                        ),
                        ..node.clone()
                    },
                    _ => node.clone(),
                };
                spec_entries.push(entry(
                    "environments",
                    overrides.key_span(&["environments"]),
                    renamed,
                ));
            }
        }
        // The containers as written, for the rules on Services that read their variables and
        // files (`literal-secret`), at the Score file's nodes.
        if let Some(node) = score.node(&["containers"]) {
            spec_entries.push(entry(
                "containers",
                score.key_span(&["containers"]),
                node.clone(),
            ));
        }
        let mut root = Vec::new();
        if let Some(api) = score.node(&["apiVersion"]) {
            root.push(entry(
                "apiVersion",
                score.key_span(&["apiVersion"]),
                api.clone(),
            ));
            root.push(entry("kind", api.span, text_node("Service", api.span)));
        }
        root.push(entry(
            "metadata",
            score.key_span(&["metadata"]),
            map_node(head, metadata),
        ));
        root.push(entry("spec", head, map_node(head, spec_entries)));
        map_node(score.root.span, root)
    }
}

/// A mapping node with one key renamed.
fn rename_key(node: &Node, from: &str, to: &str) -> Node {
    match &node.value {
        Value::Map(entries) => Node {
            value: Value::Map(
                entries
                    .iter()
                    .map(|e| Entry {
                        key: if e.key == from {
                            to.to_string()
                        } else {
                            e.key.clone()
                        },
                        ..e.clone()
                    })
                    .collect(),
            ),
            ..node.clone()
        },
        _ => node.clone(),
    }
}

fn entry(key: &str, key_span: Span, value: Node) -> Entry {
    Entry {
        key: key.to_string(),
        key_span,
        value,
    }
}

fn text_node(text: &str, span: Span) -> Node {
    Node {
        span,
        value: Value::String(text.to_string()),
        flow: false,
    }
}

fn map_node(span: Span, entries: Vec<Entry>) -> Node {
    Node {
        span,
        value: Value::Map(entries),
        flow: false,
    }
}

fn seq_node(span: Span, items: Vec<Node>) -> Node {
    Node {
        span,
        value: Value::Seq(items),
        flow: false,
    }
}

/// A DNS-1123 label (a Kubernetes object name such as a claim's): at most 63 lower-case letters,
/// digits and `-`, starting and ending with a letter or digit.
fn is_dns_label(name: &str) -> bool {
    let bytes = name.as_bytes();
    !bytes.is_empty()
        && bytes.len() <= 63
        && bytes
            .iter()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || *b == b'-')
        && bytes.first().is_some_and(u8::is_ascii_alphanumeric)
        && bytes.last().is_some_and(u8::is_ascii_alphanumeric)
}

fn backticked(names: &[String]) -> String {
    names
        .iter()
        .map(|n| format!("`{n}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// A Kubernetes port name (an IANA service name: at most 15 of `a-z0-9-`, a letter, no `--`)
/// for a Score port: its own name when it is one, otherwise `port-<number>`.
fn port_name(name: &str, port: u16) -> String {
    let valid = !name.is_empty()
        && name.len() <= 15
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && name.bytes().any(|b| b.is_ascii_lowercase())
        && !name.starts_with('-')
        && !name.ends_with('-')
        && !name.contains("--");
    if valid {
        name.to_string()
    } else {
        format!("port-{port}")
    }
}

/// Score quantities as Kubernetes quantities: Score writes kilobytes `K`, Kubernetes `k`.
fn quantity(text: &str) -> Quantity {
    match text.strip_suffix('K') {
        Some(number) => Quantity(format!("{number}k")),
        None => Quantity(text.to_string()),
    }
}

fn partial_resources(resources: &ScoreContainerResources) -> PartialResources {
    let part = |given: &Option<super::workload::ScoreCpuMemory>| PartialCpuMemory {
        cpu: given.as_ref().and_then(|g| g.cpu.as_deref()).map(quantity),
        memory: given
            .as_ref()
            .and_then(|g| g.memory.as_deref())
            .map(quantity),
    };
    PartialResources {
        requests: part(&resources.requests),
        limits: part(&resources.limits),
    }
}

/// A Score probe: `exec` when given (the specification prefers it), otherwise `httpGet`.
fn probe(score: &ScoreProbe) -> Probe {
    if let Some(exec) = score.exec.as_ref().filter(|e| !e.command.is_empty()) {
        return Probe {
            exec: Some(exec.command.clone()),
            ..Probe::default()
        };
    }
    match &score.http_get {
        Some(http) => Probe {
            path: Some(http.path.clone()),
            port: Some(http.port),
            scheme: http.scheme.clone(),
            host: http.host.clone(),
            headers: http
                .http_headers
                .iter()
                .map(|h| (h.name.clone(), h.value.clone()))
                .collect(),
            ..Probe::default()
        },
        None => Probe::default(),
    }
}

#[cfg(test)]
mod tests {
    use super::{overrides_target, port_name, quantity};

    #[test]
    fn overrides_files_name_their_workload() {
        assert_eq!(
            overrides_target("tenants/web/score.overrides.yaml"),
            Some([
                "tenants/web/score.yaml".into(),
                "tenants/web/score.yml".into()
            ])
        );
        assert_eq!(overrides_target("tenants/web/score.yaml"), None);
    }

    #[test]
    fn port_names_are_kubernetes_port_names() {
        assert_eq!(port_name("web", 80), "web");
        assert_eq!(port_name("a-very-long-port-name", 8080), "port-8080");
        assert_eq!(port_name("8080", 8080), "port-8080");
    }

    #[test]
    fn score_kilobytes_become_kubernetes_kilobytes() {
        assert_eq!(quantity("125K").0, "125k");
        assert_eq!(quantity("1Gi").0, "1Gi");
    }
}
