//! Score workloads (`apiVersion: score.dev/v1b1`, score.dev): read from their documents (checked
//! against `schemas/score.schema.json`) and their companion overrides files
//! (`<name>.overrides.yaml`, `schemas/score-overrides.schema.json`), then lowered into the same
//! model as a native Service ([`ServiceSpec`](super::ServiceSpec)), so that they get the same
//! checks, defaults and emitters. What a Service cannot say (more containers, files, volumes,
//! placeholders, resources) rides along in [`ScoreParts`].
//!
//! `${metadata.*}` placeholders are replaced here; `${resources.*}` ones are checked here (the
//! resource and its output exist) and kept as [`Template`]s, which `resolve` fills in for each
//! environment. A synthetic spanned document in the shape of a Service, whose nodes keep the spans
//! of the Score file and of the overrides file, lets later stages place their diagnostics.

mod placeholder;
mod resource_type;
pub mod translate;
mod workload;

use std::collections::BTreeMap;

pub use placeholder::{Piece, path_parts, pieces};
pub use resource_type::ResourceType;
pub use translate::{OVERRIDES_SUFFIXES, file_sources, overrides_target, source_path, translate};
pub use workload::{ScoreDocument, ScoreOverrides};

use super::{PartialCpuMemory, Probe};
use crate::source::Span;

/// The annotation naming a Score workload's tenant.
pub const TENANT_ANNOTATION: &str = "pave.dev/tenant";
/// The annotation listing the environments a Score workload runs in (comma-separated), when not
/// all of its tenant's.
pub const ENVIRONMENTS_ANNOTATION: &str = "pave.dev/environments";
/// The annotation naming a Score workload's main container.
pub const MAIN_CONTAINER_ANNOTATION: &str = "pave.dev/main-container";

/// A string with `${resources.*}` placeholders left to fill in per environment.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Template(pub Vec<Segment>);

/// A piece of a [`Template`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Segment {
    Text(String),
    /// `${resources.NAME.OUTPUT}`, at `span`.
    Output {
        resource: String,
        output: String,
        span: Span,
    },
}

impl Template {
    /// The text, when the template has no placeholder left.
    pub fn as_text(&self) -> Option<String> {
        let mut out = String::new();
        for segment in &self.0 {
            match segment {
                Segment::Text(text) => out.push_str(text),
                Segment::Output { .. } => return None,
            }
        }
        Some(out)
    }
}

/// What a Score workload says that a Service cannot.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ScoreParts {
    /// The main container (the one that exposes the service ports); its image, command, args and
    /// probes are the Service's own.
    pub main: ScoreContainer,
    /// The other containers of the pod, in document order.
    pub sidecars: Vec<ScoreContainer>,
    /// The image of containers written `image: .`, for every environment and per environment.
    pub built_image: Option<(String, Span)>,
    pub built_image_by_env: BTreeMap<String, (String, Span)>,
    /// Values of `environment` resources: for every environment, and per environment.
    pub environment_values: BTreeMap<String, String>,
    pub environment_values_by_env: BTreeMap<String, BTreeMap<String, String>>,
    /// Per environment, per container: variables set or replaced, and resources.
    pub container_overrides: BTreeMap<String, BTreeMap<String, ContainerOverride>>,
    /// The workload's resources by name.
    pub resources: BTreeMap<String, ScoreResource>,
    /// The `route` resource: the Ingress.
    pub route: Option<Route>,
    /// Its host, path or class in some environments (the overrides file).
    pub route_by_env: BTreeMap<String, RouteOverride>,
    /// `service-port` resources: what they point at.
    pub service_ports: BTreeMap<String, ServicePortRef>,
    /// `service` resources: the workload each names (`name` or `tenant/name`).
    pub services: BTreeMap<String, String>,
    /// The `pave.dev/environments` annotation: the environments it runs in, and where it is.
    pub only_environments: Option<(Vec<String>, Span)>,
}

/// One container of a Score workload.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ScoreContainer {
    pub name: String,
    /// `None` for `image: .` (built from this repository).
    pub image: Option<String>,
    pub command: Vec<String>,
    pub args: Vec<String>,
    pub variables: BTreeMap<String, Template>,
    pub files: Vec<ScoreFile>,
    pub volumes: Vec<ScoreVolume>,
    pub resources: PartialResources,
    /// Where the container's `resources` are, for diagnostics.
    pub resources_span: Option<Span>,
    pub liveness: Option<Probe>,
    pub readiness: Option<Probe>,
    /// Set when another container lists it in `before`: it starts before the pod's containers.
    pub init: Option<InitKind>,
}

/// How a container named in another's `before` starts before it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum InitKind {
    /// `ready: started`: a sidecar started first (an init container that keeps running).
    Started,
    /// `ready: healthy`: a sidecar that must pass its probe first.
    Healthy,
    /// `ready: complete`: runs to completion first (an init container).
    Complete,
}

/// Requests and limits where each part may be missing (Score makes them all optional).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct PartialResources {
    pub requests: PartialCpuMemory,
    pub limits: PartialCpuMemory,
}

impl PartialResources {
    pub fn is_empty(&self) -> bool {
        self.requests.cpu.is_none()
            && self.requests.memory.is_none()
            && self.limits.cpu.is_none()
            && self.limits.memory.is_none()
    }

    /// `self` with the parts `over` gives replaced.
    #[must_use]
    pub fn with(&self, over: &PartialResources) -> PartialResources {
        let pick = |a: &Option<super::Quantity>, b: &Option<super::Quantity>| {
            b.clone().or_else(|| a.clone())
        };
        PartialResources {
            requests: PartialCpuMemory {
                cpu: pick(&self.requests.cpu, &over.requests.cpu),
                memory: pick(&self.requests.memory, &over.requests.memory),
            },
            limits: PartialCpuMemory {
                cpu: pick(&self.limits.cpu, &over.limits.cpu),
                memory: pick(&self.limits.memory, &over.limits.memory),
            },
        }
    }
}

/// A container's changes in one environment.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ContainerOverride {
    pub variables: BTreeMap<String, Template>,
    pub resources: PartialResources,
    pub resources_span: Option<Span>,
}

/// A file mounted into a container, read-only.
#[derive(Debug, Clone, PartialEq)]
pub struct ScoreFile {
    pub target: String,
    pub content: FileContent,
    /// The file mode (`0600` is 384).
    pub mode: Option<i32>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum FileContent {
    Text(Template),
    /// Decoded from Score's standard base64.
    Binary(Vec<u8>),
}

/// A volume resource mounted into a container.
#[derive(Debug, Clone, PartialEq)]
pub struct ScoreVolume {
    pub target: String,
    /// The `volume` resource, or the name of a volume the tenant provides.
    pub resource: String,
    /// For a volume named as such (`source: media`, not a placeholder), where the name is: the
    /// tenant's `spec.volumes` must have it (checked in resolve, which knows the tenant).
    pub by_name: Option<Span>,
    pub sub_path: Option<String>,
    pub read_only: bool,
}

/// A declared resource.
#[derive(Debug, Clone, PartialEq)]
pub struct ScoreResource {
    pub type_: ResourceType,
    pub class: Option<String>,
    pub id: Option<String>,
    /// Where `type` is written.
    pub span: Span,
}

/// The `route` resource: an HTTP route to one of the workload's ports.
#[derive(Debug, Clone, PartialEq)]
pub struct Route {
    pub host: Template,
    pub path: String,
    /// The service port's name.
    pub port: String,
    /// `class: public`: an internet-facing load balancer.
    pub public: bool,
    pub span: Span,
}

/// A route's changes in one environment.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct RouteOverride {
    /// The host, and the span of its value.
    pub host: Option<(Template, Span)>,
    pub path: Option<String>,
    pub public: Option<bool>,
}

/// A `service-port` resource: a port of another workload, by name.
#[derive(Debug, Clone, PartialEq)]
pub struct ServicePortRef {
    /// `name` (same tenant) or `tenant/name`, as in a Service's `dependsOn`.
    pub workload: String,
    pub port: String,
    pub port_span: Span,
}

#[cfg(test)]
mod tests {
    use crate::parse::yaml::parse_yaml;
    use crate::parse::{Document, SchemaSet, SpecKind};
    use crate::source::FileId;

    /// The schema errors of a YAML document checked as a Score workload.
    fn schema_errors(text: &str) -> Vec<String> {
        let Ok(schemas) = SchemaSet::new() else {
            return vec!["no schemas".into()];
        };
        let (nodes, errors) = parse_yaml(FileId::new(0), text);
        if !errors.is_empty() {
            return vec!["YAML error".into()];
        }
        let mut out = Vec::new();
        for root in nodes {
            let doc = Document {
                file: FileId::new(0),
                root,
                verbatim: true,
            };
            let json = doc.root.to_json();
            out.extend(
                schemas
                    .check(SpecKind::Score, &doc, &json)
                    .into_iter()
                    .map(|d| d.kind.message()),
            );
        }
        out
    }

    #[test]
    fn the_schema_accepts_every_section_of_the_specification() {
        // Every field of Score v1b1, in both forms where there are two.
        let full = r#"
apiVersion: score.dev/v1b1
metadata:
  name: example-workload-name123
  extra-key: extra-value
  annotations:
    prefix.com/Another-Key_Annotation.2: something else
service:
  ports:
    port-one: {port: 1000, protocol: TCP, targetPort: 10000}
    port-two2: {port: 8000, protocol: UDP}
containers:
  container-one1:
    image: localhost:4000/repo/my-image:tag
    command: ["/bin/sh", "-c"]
    args: ["hello", "world"]
    resources:
      requests: {cpu: 1000m, memory: 10Gi}
      limits: {cpu: "0.24", memory: 1.5Gi}
    variables: {SOME_VAR: "some ${metadata.name} here", "dotted.name": x}
    files:
      /my/file: {mode: "0600", source: file.txt}
      /my/other/file: {content: "multi\nline", noExpand: true}
      /my/binary: {binaryContent: aGVsbG8=}
    volumes:
      /mnt/something: {source: "${resources.vol}", path: /sub/path, readOnly: false}
    before:
      container-two2: {ready: complete}
    livenessProbe:
      exec: {command: [/bin/check]}
      httpGet: {port: 8080, path: /livez}
    readinessProbe:
      httpGet:
        host: 127.0.0.1
        port: 80
        scheme: HTTPS
        path: /readyz
        httpHeaders: [{name: SOME_HEADER, value: some-value-here}]
  container-two2:
    image: .
    files:
      - {target: /old/file, content: x}
    volumes:
      - {source: "${resources.vol}", target: /old/mount}
resources:
  resource-one1:
    metadata:
      annotations: {Default-Annotation: this is my annotation}
      extra-key: extra-value
    type: Resource-One
    class: default
    id: shared.type-one
    params: {extra: {data: here}}
  vol:
    type: volume
"#;
        assert_eq!(schema_errors(full), Vec::<String>::new());
    }

    #[test]
    fn the_schema_refuses_what_the_specification_refuses() {
        let base = |containers: &str| {
            format!(
                "apiVersion: score.dev/v1b1\nmetadata: {{name: web}}\ncontainers: {containers}\n"
            )
        };
        for (bad, why) in [
            (base("{}"), "no container"),
            (base("{main: {}}"), "no image"),
            (base("{main: {image: x, files: {/a: {target: /a, content: b}}}}"), "target in the map form"),
            (base("{main: {image: x, resources: {limits: {memory: 1KB}}}}"), "memory unit"),
            (base("{main: {image: x, livenessProbe: {tcpSocket: {port: 80}}}}"), "tcp probe"),
            (base("{main: {image: x, before: {db: {ready: soon}}}}"), "ready value"),
            ("apiVersion: score.dev/v1b2\nmetadata: {name: web}\ncontainers: {main: {image: x}}\n".into(), "version"),
        ] {
            assert!(!schema_errors(&bad).is_empty(), "accepted: {why}");
        }
    }
}
