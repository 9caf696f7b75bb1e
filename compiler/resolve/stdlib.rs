//! The embedded standard library, read into typed form: size classes and built-in defaults.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde::de::DeserializeOwned;

use crate::diagnostic::{Diagnostic, DiagnosticKind};
use crate::parse::yaml::parse_yaml;
use crate::parse::{CpuMemory, Ipv4Cidr, NodeGroup, Quota, Replicas, Resources};
use crate::source::{FileId, stdlib_file};

/// Built-in defaults (`stdlib/defaults.yaml`).
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct StdDefaults {
    pub size: String,
    pub replicas: Replicas,
    pub autoscaling: StdAutoscaling,
    pub quota: BTreeMap<String, Quota>,
    pub limit_range: StdLimitRange,
    pub probes: StdProbes,
    /// The base of an environment's VPC blocks when it sets none.
    pub network_cidr: Ipv4Cidr,
    /// The node group of a cluster whose Environment declares none, by environment type.
    pub node_groups: BTreeMap<String, NodeGroup>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StdAutoscaling {
    pub cpu: u8,
}

#[derive(Debug, Clone, Hash, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct StdLimitRange {
    pub default_request: CpuMemory,
    pub default: CpuMemory,
    pub max: CpuMemory,
}

#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct StdProbes {
    pub initial_delay_seconds: u32,
    pub period_seconds: u32,
    pub timeout_seconds: u32,
    pub failure_threshold: u32,
}

/// Everything pave reads from `stdlib/`.
#[derive(Debug, Clone)]
pub struct Stdlib {
    pub defaults: StdDefaults,
    pub sizes: BTreeMap<String, Resources>,
}

impl Stdlib {
    pub fn load() -> Result<Stdlib, Diagnostic> {
        Ok(Stdlib {
            defaults: load_file("stdlib/defaults.yaml")?,
            sizes: load_file("stdlib/sizes.yaml")?,
        })
    }
}

fn load_file<T: DeserializeOwned>(path: &str) -> Result<T, Diagnostic> {
    let internal = |message: String| {
        Diagnostic::unplaced(DiagnosticKind::Internal {
            message: format!("stdlib file `{path}`: {message}"),
        })
    };
    let text = stdlib_file(path).ok_or_else(|| internal("not embedded".into()))?;
    let (nodes, errors) = parse_yaml(FileId::new(0), text);
    if let Some(error) = errors.first() {
        return Err(internal(error.kind.message()));
    }
    let node = nodes.first().ok_or_else(|| internal("empty".into()))?;
    serde_json::from_value(node.to_json()).map_err(|e| internal(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_stdlib_loads() {
        let stdlib = Stdlib::load().map_err(|d| d.kind.message());
        let stdlib = stdlib
            .as_ref()
            .map(|s| s.sizes.keys().cloned().collect::<Vec<_>>());
        assert_eq!(
            stdlib,
            Ok(vec![
                "large".into(),
                "medium".into(),
                "small".into(),
                "xlarge".into()
            ])
        );
    }
}
