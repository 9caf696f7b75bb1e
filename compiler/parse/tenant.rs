//! The `Tenant` spec.

use std::collections::BTreeMap;

use serde::Deserialize;

use super::common::{Quantity, Quota};

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
    /// Persistent volumes provided by name to the tenant's workloads, one claim per namespace.
    #[serde(default)]
    pub volumes: BTreeMap<String, TenantVolume>,
}

/// A persistent volume the platform provides to a tenant by name.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TenantVolume {
    pub size: Quantity,
    #[serde(default = "read_write_once")]
    pub access_mode: String,
    pub storage_class: Option<String>,
}

fn read_write_once() -> String {
    "ReadWriteOnce".to_string()
}

#[derive(Debug, Clone, Default, Hash, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Owners {
    #[serde(default)]
    pub groups: Vec<String>,
    #[serde(default)]
    pub users: Vec<String>,
    /// IAM roles (names or ARNs) whose sessions are owners: each gets an EKS access entry
    /// mapping it to [`Owners::kubernetes_groups`].
    #[serde(default)]
    pub roles: Vec<String>,
}

impl Owners {
    /// The Kubernetes groups of the owners, sorted: the ones the owners' RoleBinding names and
    /// the owners' roles' access entries map to. The identity provider's `groups`, or, for
    /// owners with roles and no groups, `<tenant>-owners`.
    pub fn kubernetes_groups(&self, tenant: &str) -> Vec<String> {
        let mut groups = if self.groups.is_empty() && !self.roles.is_empty() {
            vec![format!("{tenant}-owners")]
        } else {
            self.groups.clone()
        };
        groups.sort();
        groups.dedup();
        groups
    }
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TenantNetwork {
    #[serde(default)]
    pub allow_from: Vec<String>,
}
