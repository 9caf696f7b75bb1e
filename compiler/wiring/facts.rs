//! What the wiring check needs to know that the tree does not say: the add-on catalogue's
//! declarations (which ServiceAccounts a chart creates, which values name objects it reads, the
//! Pod Security level it runs at).

use std::collections::{BTreeMap, BTreeSet};

use crate::parse::{NamedKind, PodSecurity};
use crate::resolve::ResolvedSpec;

/// Taken from the resolved spec before it is freed.
#[derive(Debug, Clone, Default)]
pub struct Facts {
    /// The output folder inside the Git repository (Flux paths are `./<path>/<dir>`).
    pub gitops_path: String,
    /// Each add-on of the catalogue by name.
    pub addons: BTreeMap<String, AddonFacts>,
    /// Secrets Manager names the Platform declares as made outside pave.
    pub external_secrets: BTreeSet<String>,
}

/// One add-on's declarations.
#[derive(Debug, Clone)]
pub struct AddonFacts {
    pub namespace: String,
    /// The Pod Security level the catalogue entry says its chart's pods meet.
    pub pod_security: PodSecurity,
    /// Its identities' ServiceAccounts: (namespace, name, where the chart's values take the
    /// name). Without a values path, the chart (or a manifest) creates that name itself.
    pub service_accounts: Vec<(String, String, Option<String>)>,
    /// Where its chart's values name the interruption queue of the nodes it launches (its
    /// `nodeProvisioner`), if it launches any.
    pub interruption_queue_path: Option<String>,
    /// The values paths at which its chart reads the name of an object it does not create, with
    /// that object's kind: its entry's `valuesPaths` and its Secrets' `valuesPaths`.
    pub named_objects: Vec<(String, NamedKind)>,
}

impl Facts {
    pub fn new(spec: &ResolvedSpec) -> Self {
        let addons = spec
            .addons
            .iter()
            .map(|(name, addon)| {
                let definition = &addon.definition;
                let service_accounts = definition
                    .identities
                    .iter()
                    .map(|identity| {
                        (
                            identity
                                .namespace
                                .clone()
                                .unwrap_or_else(|| definition.namespace.clone()),
                            identity.service_account.clone(),
                            identity.values_path.clone(),
                        )
                    })
                    .collect();
                let named_objects = definition
                    .values_paths
                    .iter()
                    .map(|(path, kind)| (path.clone(), *kind))
                    .chain(definition.secrets.iter().flat_map(|secret| {
                        let paths = secret.values_paths.iter();
                        paths.map(|path| (path.clone(), NamedKind::Secret))
                    }))
                    .collect();
                let facts = AddonFacts {
                    namespace: definition.namespace.clone(),
                    pod_security: definition.pod_security,
                    service_accounts,
                    interruption_queue_path: definition
                        .node_provisioner
                        .as_ref()
                        .map(|nodes| nodes.interruption_queue_path.clone()),
                    named_objects,
                };
                (name.clone(), facts)
            })
            .collect();
        Facts {
            gitops_path: spec.platform.spec.gitops.path.clone(),
            addons,
            external_secrets: spec
                .platform
                .spec
                .gitops
                .credentials_secret
                .iter()
                .cloned()
                .collect(),
        }
    }
}
