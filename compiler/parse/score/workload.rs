//! The Score workload (`score.dev/v1b1`) and its overrides file as written, read with serde from
//! documents the schemas accepted (`schemas/score.schema.json`,
//! `schemas/score-overrides.schema.json`).

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::Value as Json;

use crate::parse::{Autoscaling, Replicas};

/// A Score workload document.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ScoreDocument {
    /// Free-form: `name`, `annotations` and any other key (`${metadata.*}` reads them all).
    pub metadata: serde_json::Map<String, Json>,
    pub containers: BTreeMap<String, ScoreContainerSpec>,
    #[serde(default)]
    pub service: Option<ScoreService>,
    #[serde(default)]
    pub resources: BTreeMap<String, ScoreResourceSpec>,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct ScoreService {
    #[serde(default)]
    pub ports: BTreeMap<String, ScorePort>,
}

#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ScorePort {
    pub port: u16,
    pub protocol: Option<ScoreProtocol>,
    pub target_port: Option<u16>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub enum ScoreProtocol {
    #[serde(rename = "TCP")]
    Tcp,
    #[serde(rename = "UDP")]
    Udp,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ScoreResourceSpec {
    #[serde(rename = "type")]
    pub type_: String,
    pub class: Option<String>,
    pub id: Option<String>,
    #[serde(default)]
    pub params: serde_json::Map<String, Json>,
    #[serde(default)]
    pub metadata: serde_json::Map<String, Json>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ScoreContainerSpec {
    pub image: String,
    #[serde(default)]
    pub command: Vec<String>,
    #[serde(default)]
    pub args: Vec<String>,
    #[serde(default)]
    pub variables: BTreeMap<String, String>,
    /// A map of target path to file, or the deprecated list with `target` in each.
    #[serde(default)]
    pub files: Option<Json>,
    /// A map of target path to volume, or the deprecated list with `target` in each.
    #[serde(default)]
    pub volumes: Option<Json>,
    #[serde(default)]
    pub before: BTreeMap<String, ScoreBefore>,
    #[serde(default)]
    pub resources: ScoreContainerResources,
    pub liveness_probe: Option<ScoreProbe>,
    pub readiness_probe: Option<ScoreProbe>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct ScoreBefore {
    pub ready: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct ScoreContainerResources {
    pub limits: Option<ScoreCpuMemory>,
    pub requests: Option<ScoreCpuMemory>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct ScoreCpuMemory {
    pub cpu: Option<String>,
    pub memory: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct ScoreFileSpec {
    pub target: Option<String>,
    pub mode: Option<String>,
    pub source: Option<String>,
    pub content: Option<String>,
    pub binary_content: Option<String>,
    #[serde(default)]
    pub no_expand: bool,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct ScoreVolumeSpec {
    pub source: String,
    pub path: Option<String>,
    pub target: Option<String>,
    #[serde(default)]
    pub read_only: bool,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ScoreProbe {
    pub http_get: Option<ScoreHttpProbe>,
    pub exec: Option<ScoreExecProbe>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ScoreHttpProbe {
    pub host: Option<String>,
    pub scheme: Option<String>,
    pub path: String,
    pub port: u16,
    #[serde(default)]
    pub http_headers: Vec<ScoreHeader>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct ScoreHeader {
    pub name: String,
    pub value: String,
}

#[derive(Debug, Clone, Deserialize)]
pub struct ScoreExecProbe {
    pub command: Vec<String>,
}

/// The overrides file of a Score workload.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ScoreOverrides {
    #[serde(flatten)]
    pub settings: OverrideSettings,
    #[serde(default)]
    pub environments: BTreeMap<String, EnvironmentOverride>,
}

/// What the overrides file sets for every environment, or for one.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OverrideSettings {
    pub image: Option<String>,
    pub replicas: Option<Replicas>,
    pub autoscaling: Option<Autoscaling>,
    pub size: Option<String>,
    /// Values of `environment` resources.
    #[serde(default)]
    pub environment: BTreeMap<String, String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EnvironmentOverride {
    #[serde(flatten)]
    pub settings: OverrideSettings,
    #[serde(default)]
    pub containers: BTreeMap<String, ContainerOverride>,
    /// A class or parameters of the workload's managed resources in this environment.
    #[serde(default)]
    pub resources: BTreeMap<String, ResourceOverride>,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct ResourceOverride {
    pub class: Option<String>,
    #[serde(default)]
    pub params: serde_json::Map<String, Json>,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct ContainerOverride {
    #[serde(default)]
    pub variables: BTreeMap<String, String>,
    pub resources: Option<ScoreContainerResources>,
}
