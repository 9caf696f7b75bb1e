//! The `Waiver` spec: a reviewed exception to one policy rule.

use serde::Deserialize;

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct WaiverSpec {
    /// The rule id waived.
    pub rule: String,
    pub tenant: String,
    /// Only this service of the tenant; `None` waives the whole tenant.
    pub service: Option<String>,
    /// Only these environments; empty means all of them.
    #[serde(default)]
    pub environments: Vec<String>,
    pub reason: String,
    /// The last day the waiver holds, `YYYY-MM-DD` (UTC).
    pub expires: String,
}
