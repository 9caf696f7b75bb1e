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
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
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

impl Quantity {
    /// The value in base units (cores, bytes), for comparisons; `None` if it does not parse.
    pub fn value(&self) -> Option<f64> {
        let text = self.0.trim();
        let split = text
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(text.len());
        let (number, suffix) = text.split_at(split);
        let number: f64 = number.parse().ok()?;
        let factor = match suffix {
            "" => 1.0,
            "m" => 1e-3,
            "k" => 1e3,
            "M" => 1e6,
            "G" => 1e9,
            "T" => 1e12,
            "P" => 1e15,
            "E" => 1e18,
            "Ki" => 1024.0,
            "Mi" => 1024.0 * 1024.0,
            "Gi" => 1024.0 * 1024.0 * 1024.0,
            "Ti" => 1024.0_f64.powi(4),
            "Pi" => 1024.0_f64.powi(5),
            "Ei" => 1024.0_f64.powi(6),
            _ => return None,
        };
        Some(number * factor)
    }
}

/// CPU and memory.
#[derive(Debug, Clone, PartialEq, Hash, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CpuMemory {
    pub cpu: Quantity,
    pub memory: Quantity,
}

/// Requests and limits of a container.
#[derive(Debug, Clone, PartialEq, Hash, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Resources {
    pub requests: CpuMemory,
    pub limits: CpuMemory,
}

/// CPU and memory where each part is optional (quotas).
#[derive(Debug, Clone, Default, PartialEq, Hash, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PartialCpuMemory {
    pub cpu: Option<Quantity>,
    pub memory: Option<Quantity>,
}

/// A namespace quota.
#[derive(Debug, Clone, Default, PartialEq, Hash, Deserialize)]
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
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize)]
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

#[cfg(test)]
mod tests {
    use super::Quantity;

    #[test]
    fn quantities_compare_in_base_units() {
        let q = |s: &str| Quantity(s.into()).value();
        assert_eq!(q("500m"), Some(0.5));
        assert_eq!(q("2"), Some(2.0));
        assert_eq!(q("1Gi"), Some(1073741824.0));
        assert!(q("1Gi") > q("1G"));
        assert_eq!(q("12XB"), None);
    }
}
