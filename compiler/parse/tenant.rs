//! The `Tenant` spec.

use std::collections::BTreeMap;

use serde::Deserialize;

use super::common::Quota;

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TenantSpec {
    pub owners: Owners,
    pub cost_center: String,
    pub environments: Vec<String>,
    #[serde(default)]
    pub quotas: BTreeMap<String, Quota>,
    #[serde(default)]
    pub network: TenantNetwork,
    #[serde(default)]
    pub labels: BTreeMap<String, String>,
}

#[derive(Debug, Clone, Default, Hash, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Owners {
    #[serde(default)]
    pub groups: Vec<String>,
    #[serde(default)]
    pub users: Vec<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TenantNetwork {
    #[serde(default)]
    pub allow_from: Vec<String>,
}
