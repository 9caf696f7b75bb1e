//! The rules on Kubernetes objects, adapted for OPA Gatekeeper (filled in below).

use super::{PolicySet, Rule};

/// A rule as Gatekeeper runs it.
#[derive(Debug, Clone)]
pub struct GatekeeperRule {
    pub id: String,
}

/// The enabled rules on Kubernetes objects, for Gatekeeper.
pub fn gatekeeper_rules(policies: &PolicySet) -> Vec<GatekeeperRule> {
    policies
        .kubernetes_rules()
        .map(|(rule, _): (&Rule, &str)| GatekeeperRule {
            id: rule.id.clone(),
        })
        .collect()
}
