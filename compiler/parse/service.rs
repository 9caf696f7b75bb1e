//! The `Service` spec.

use std::collections::BTreeMap;

use serde::Deserialize;

use super::common::{Replicas, Resources};

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ServiceSpec {
    pub image: String,
    #[serde(default)]
    pub workload: WorkloadKind,
    pub schedule: Option<String>,
    #[serde(default)]
    pub command: Vec<String>,
    #[serde(default)]
    pub args: Vec<String>,
    pub port: Option<u16>,
    #[serde(default)]
    pub ports: Vec<Port>,
    pub replicas: Option<Replicas>,
    pub autoscaling: Option<Autoscaling>,
    pub size: Option<String>,
    pub resources: Option<Resources>,
    #[serde(default)]
    pub env: BTreeMap<String, EnvValue>,
    #[serde(default)]
    pub secrets: BTreeMap<String, String>,
    #[serde(default)]
    pub probes: Probes,
    #[serde(default)]
    pub depends_on: Vec<String>,
    pub ingress: Option<Ingress>,
    #[serde(default)]
    pub service_account: ServiceAccountSettings,
    #[serde(default)]
    pub environments: BTreeMap<String, ServiceOverride>,
}

/// What runs the service's pods.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
pub enum WorkloadKind {
    #[default]
    Deployment,
    StatefulSet,
    CronJob,
    Job,
}

impl WorkloadKind {
    pub fn as_str(self) -> &'static str {
        match self {
            WorkloadKind::Deployment => "Deployment",
            WorkloadKind::StatefulSet => "StatefulSet",
            WorkloadKind::CronJob => "CronJob",
            WorkloadKind::Job => "Job",
        }
    }

    /// Long-running workloads serve traffic and scale; batch ones run to completion.
    pub fn is_long_running(self) -> bool {
        matches!(self, WorkloadKind::Deployment | WorkloadKind::StatefulSet)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Port {
    pub name: Option<String>,
    pub port: u16,
    pub protocol: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Autoscaling {
    pub cpu: Option<u8>,
}

/// An env var value as written: string, number or boolean.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(untagged)]
pub enum EnvValue {
    Text(String),
    Int(i64),
    Float(f64),
    Bool(bool),
}

impl EnvValue {
    pub fn to_text(&self) -> String {
        match self {
            EnvValue::Text(s) => s.clone(),
            EnvValue::Int(i) => i.to_string(),
            EnvValue::Float(f) => f.to_string(),
            EnvValue::Bool(b) => b.to_string(),
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Probes {
    pub liveness: Option<Probe>,
    pub readiness: Option<Probe>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Probe {
    pub path: Option<String>,
    pub port: Option<u16>,
    pub initial_delay_seconds: Option<u32>,
    pub period_seconds: Option<u32>,
    pub timeout_seconds: Option<u32>,
    pub failure_threshold: Option<u32>,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Ingress {
    pub host: String,
    #[serde(default = "default_path")]
    pub path: String,
    #[serde(default)]
    pub public: bool,
}

fn default_path() -> String {
    "/".into()
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ServiceAccountSettings {
    #[serde(default)]
    pub automount_token: bool,
}

/// The settings a Service may change per environment.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ServiceOverride {
    pub image: Option<String>,
    pub replicas: Option<Replicas>,
    pub autoscaling: Option<Autoscaling>,
    pub size: Option<String>,
    pub resources: Option<Resources>,
    #[serde(default)]
    pub env: BTreeMap<String, EnvValue>,
    #[serde(default)]
    pub secrets: BTreeMap<String, String>,
    pub ingress: Option<Ingress>,
    pub schedule: Option<String>,
}
