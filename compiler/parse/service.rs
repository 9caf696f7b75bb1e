//! The `Service` spec.

use std::collections::BTreeMap;

use serde::Deserialize;

use super::common::{Replicas, Resources};
use super::resource::{ResourceRequest, ResourceRequestOverride};
use super::score::ScoreParts;

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
    /// The AWS resources the service may use (a workload identity with a scoped policy).
    #[serde(default)]
    pub aws: AwsAccess,
    /// Managed resources it uses (databases, caches, buckets, queues), by name.
    #[serde(default)]
    pub requires: BTreeMap<String, ResourceRequest>,
    #[serde(default)]
    pub environments: BTreeMap<String, ServiceOverride>,
    /// For a workload written in Score: what a Service cannot say (never in a Service document).
    #[serde(skip)]
    pub score: Option<Box<ScoreParts>>,
}

/// What runs the service's pods.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Deserialize)]
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
    /// The container's port when it differs from the Service's (Score's `targetPort`).
    #[serde(skip)]
    pub target_port: Option<u16>,
    /// The port's name in a Score workload, which may not be a Kubernetes port name.
    #[serde(skip)]
    pub score_name: Option<String>,
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
    /// A command run in the container (Score's `exec` probe) instead of an HTTP or TCP check.
    #[serde(skip)]
    pub exec: Option<Vec<String>>,
    /// HTTP probes from Score: scheme, `Host` and headers.
    #[serde(skip)]
    pub scheme: Option<String>,
    #[serde(skip)]
    pub host: Option<String>,
    #[serde(skip)]
    pub headers: Vec<(String, String)>,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Ingress {
    pub host: String,
    #[serde(default = "default_path")]
    pub path: String,
    #[serde(default)]
    pub public: bool,
    /// The port name traffic goes to (a Score route's); the first port when `None`.
    #[serde(skip)]
    pub port: Option<String>,
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
    /// Each part given replaces the service's.
    #[serde(default)]
    pub aws: PartialAwsAccess,
    /// A class or parameters of a resource of `requires` in this environment.
    #[serde(default)]
    pub requires: BTreeMap<String, ResourceRequestOverride>,
}

/// `spec.aws`: AWS resources a service reads or writes, each named exactly (no wildcards).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AwsAccess {
    #[serde(default)]
    pub s3: Vec<S3Access>,
    #[serde(default)]
    pub sqs: Vec<SqsAccess>,
    #[serde(default)]
    pub dynamodb: Vec<DynamoDbAccess>,
    /// Secrets Manager secret names (in the environment's account and the cluster's region).
    #[serde(default)]
    pub secrets_manager: Vec<String>,
}

impl AwsAccess {
    pub fn is_empty(&self) -> bool {
        self.s3.is_empty()
            && self.sqs.is_empty()
            && self.dynamodb.is_empty()
            && self.secrets_manager.is_empty()
    }

    /// `self` with the parts `over` gives replaced.
    #[must_use]
    pub fn with(&self, over: &PartialAwsAccess) -> AwsAccess {
        AwsAccess {
            s3: over.s3.clone().unwrap_or_else(|| self.s3.clone()),
            sqs: over.sqs.clone().unwrap_or_else(|| self.sqs.clone()),
            dynamodb: over
                .dynamodb
                .clone()
                .unwrap_or_else(|| self.dynamodb.clone()),
            secrets_manager: over
                .secrets_manager
                .clone()
                .unwrap_or_else(|| self.secrets_manager.clone()),
        }
    }
}

/// `aws` in a per-environment override: each part given replaces the service's.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PartialAwsAccess {
    pub s3: Option<Vec<S3Access>>,
    pub sqs: Option<Vec<SqsAccess>>,
    pub dynamodb: Option<Vec<DynamoDbAccess>>,
    pub secrets_manager: Option<Vec<String>>,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct S3Access {
    pub bucket: String,
    /// Only keys under this prefix.
    pub prefix: Option<String>,
    pub access: ReadWrite,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SqsAccess {
    pub queue: String,
    pub access: QueueAccess,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DynamoDbAccess {
    pub table: String,
    pub access: ReadWrite,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ReadWrite {
    Read,
    Write,
    ReadWrite,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum QueueAccess {
    Consume,
    Send,
    ConsumeSend,
}
