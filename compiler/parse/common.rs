//! Shapes shared by several spec kinds.

use std::collections::BTreeMap;

use serde::Deserialize;

/// `metadata` of every spec document.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Metadata {
    pub name: String,
    /// The owning tenant; Service documents only.
    #[serde(default)]
    pub tenant: Option<String>,
    #[serde(default)]
    pub labels: BTreeMap<String, String>,
    #[serde(default)]
    pub annotations: BTreeMap<String, String>,
}

/// A Kubernetes quantity as written (`"500m"`, `2`, `"1Gi"`), kept as text.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Quantity(pub String);

impl<'de> Deserialize<'de> for Quantity {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            Text(String),
            Int(i64),
            Float(f64),
        }
        Ok(Quantity(match Raw::deserialize(deserializer)? {
            Raw::Text(s) => s,
            Raw::Int(i) => i.to_string(),
            Raw::Float(f) => f.to_string(),
        }))
    }
}

/// CPU and memory.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CpuMemory {
    pub cpu: Quantity,
    pub memory: Quantity,
}

/// Requests and limits of a container.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Resources {
    pub requests: CpuMemory,
    pub limits: CpuMemory,
}

/// CPU and memory where each part is optional (quotas).
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PartialCpuMemory {
    pub cpu: Option<Quantity>,
    pub memory: Option<Quantity>,
}

/// A namespace quota.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Quota {
    #[serde(default)]
    pub requests: PartialCpuMemory,
    #[serde(default)]
    pub limits: PartialCpuMemory,
    pub pods: Option<u32>,
}

impl Quota {
    /// `self` with unset parts taken from `base`.
    #[must_use]
    pub fn or(&self, base: &Quota) -> Quota {
        Quota {
            requests: PartialCpuMemory {
                cpu: self
                    .requests
                    .cpu
                    .clone()
                    .or_else(|| base.requests.cpu.clone()),
                memory: self
                    .requests
                    .memory
                    .clone()
                    .or_else(|| base.requests.memory.clone()),
            },
            limits: PartialCpuMemory {
                cpu: self.limits.cpu.clone().or_else(|| base.limits.cpu.clone()),
                memory: self
                    .limits
                    .memory
                    .clone()
                    .or_else(|| base.limits.memory.clone()),
            },
            pods: self.pods.or(base.pods),
        }
    }
}

/// A fixed replica count, or a range for autoscaling.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(untagged)]
pub enum Replicas {
    Fixed(u32),
    Range { min: u32, max: u32 },
}

impl Replicas {
    pub fn min(self) -> u32 {
        match self {
            Replicas::Fixed(n) => n,
            Replicas::Range { min, .. } => min,
        }
    }

    pub fn max(self) -> u32 {
        match self {
            Replicas::Fixed(n) => n,
            Replicas::Range { max, .. } => max,
        }
    }
}
