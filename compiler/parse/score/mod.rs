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
pub use translate::{OVERRIDES_SUFFIXES, overrides_target, translate};
pub use workload::{ScoreDocument, ScoreOverrides};

use super::{PartialCpuMemory, Probe};
use crate::source::Span;

/// The annotation naming a Score workload's tenant.
pub const TENANT_ANNOTATION: &str = "pave.dev/tenant";
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
    /// `service-port` resources: what they point at.
    pub service_ports: BTreeMap<String, ServicePortRef>,
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
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
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
    /// The `volume` resource.
    pub resource: String,
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

/// A `service-port` resource: a port of another workload, by name.
#[derive(Debug, Clone, PartialEq)]
pub struct ServicePortRef {
    /// `name` (same tenant) or `tenant/name`, as in a Service's `dependsOn`.
    pub workload: String,
    pub port: String,
    pub port_span: Span,
}
