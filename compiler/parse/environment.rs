//! The `Environment` spec.

use std::collections::BTreeMap;

use serde::Deserialize;

use super::addon::AddonSettings;

use super::cidr::Ipv4Cidr;
use super::common::{Quota, Replicas};

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct EnvironmentSpec {
    #[serde(rename = "type")]
    pub tier: Tier,
    pub account: String,
    pub regions: Vec<String>,
    pub kubernetes_version: String,
    pub promotion: Option<Promotion>,
    #[serde(default)]
    pub defaults: EnvironmentDefaults,
    /// Add-on switches and values for this environment, by add-on name.
    #[serde(default)]
    pub addons: BTreeMap<String, AddonSettings>,
    #[serde(default)]
    pub network: NetworkSettings,
    #[serde(default)]
    pub cluster: ClusterSettings,
    #[serde(default)]
    pub dns: DnsSettings,
    /// `spec.atlas`: where the environment's MongoDB Atlas clusters are created.
    pub atlas: Option<AtlasSettings>,
}

/// The environment type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Tier {
    Development,
    Staging,
    Production,
}

impl Tier {
    pub fn as_str(self) -> &'static str {
        match self {
            Tier::Development => "development",
            Tier::Staging => "staging",
            Tier::Production => "production",
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Promotion {
    pub after: String,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct EnvironmentDefaults {
    pub size: Option<String>,
    pub replicas: Option<Replicas>,
    pub quota: Option<Quota>,
}

/// `spec.network`: the address ranges of the environment's VPCs.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NetworkSettings {
    /// A base block: the region at index `i` of the Platform's regions gets its `i`-th `/16`.
    pub cidr: Option<Ipv4Cidr>,
    /// The VPC block of a region, overriding the split of `cidr`.
    #[serde(default)]
    pub cidrs: BTreeMap<String, Ipv4Cidr>,
}

/// `spec.cluster`: the Kubernetes cluster in each region.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ClusterSettings {
    /// CIDRs allowed to reach the public API endpoint; none keeps the endpoint private.
    #[serde(default, rename = "publicAccessCIDRs")]
    pub public_access_cidrs: Vec<Ipv4Cidr>,
    /// Managed node groups; the stdlib's default for the environment type when empty.
    #[serde(default)]
    pub node_groups: Vec<NodeGroup>,
}

/// A managed node group.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NodeGroup {
    pub name: String,
    pub instance_types: Vec<String>,
    pub min: u32,
    pub max: u32,
    /// Defaults to `min`.
    pub desired: Option<u32>,
    #[serde(default)]
    pub capacity_type: CapacityType,
    #[serde(default)]
    pub labels: BTreeMap<String, String>,
    #[serde(default)]
    pub taints: Vec<Taint>,
}

/// How a node group buys its instances.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum CapacityType {
    #[default]
    OnDemand,
    Spot,
}

/// A Kubernetes taint on every node of a group.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Taint {
    pub key: String,
    pub value: Option<String>,
    pub effect: TaintEffect,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub enum TaintEffect {
    NoSchedule,
    PreferNoSchedule,
    NoExecute,
}

/// `spec.atlas`: the MongoDB Atlas project of the environment's `mongodb` resources.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AtlasSettings {
    pub project_id: String,
}

/// `spec.dns`: the public hosted zone of the environment's host names.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DnsSettings {
    /// Defaults to the Platform's domain in production and `<environment>.<domain>` elsewhere.
    pub zone: Option<String>,
    /// An existing hosted zone to use instead of creating one.
    pub zone_id: Option<String>,
    /// How a host served by the clusters of several regions is answered (Route 53 routing
    /// policy of the records ExternalDNS writes); latency when unset.
    pub routing: Option<DnsRouting>,
}

/// `spec.dns.routing`: the Route 53 routing policy of a host that every region serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum DnsRouting {
    /// Each client to the region with the lowest latency from it.
    #[default]
    Latency,
    /// Requests spread evenly over the regions.
    Weighted,
}
