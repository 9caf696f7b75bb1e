//! The `Environment` spec.

use std::collections::BTreeMap;

use serde::Deserialize;

use super::addon::AddonSettings;

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
}

/// The environment type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Deserialize)]
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
