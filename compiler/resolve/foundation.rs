//! The settings of an environment's cloud foundation, decided: the VPC block of each region, the
//! node groups and the DNS zone. Checks that need only one document and arithmetic (host bits,
//! overlaps, sizes) are `validate`'s.

use std::collections::BTreeMap;

use super::{Sourced, Stdlib, check_ref};
use crate::diagnostic::{Diagnostic, DiagnosticKind, RefKind};
use crate::parse::{EnvironmentSpec, Ipv4Cidr, NodeGroup, Parsed, PlatformSpec, Tier};

/// The prefix length of a region's block split from an environment's base block.
pub const REGION_PREFIX: u8 = 16;

/// An environment's foundation settings, every default applied.
#[derive(Debug, Clone)]
pub struct EnvironmentFoundation {
    /// The VPC block of each of the environment's regions, by region.
    pub vpc_cidrs: BTreeMap<String, Sourced<Ipv4Cidr>>,
    /// The node groups of each cluster: the Environment's, or the stdlib's default for its type.
    pub node_groups: Vec<Sourced<NodeGroup>>,
    /// The public hosted zone of the environment's host names.
    pub dns_zone: Sourced<String>,
}

pub(super) fn environment_foundation(
    platform: &Parsed<PlatformSpec>,
    env: &Parsed<EnvironmentSpec>,
    tier: Tier,
    stdlib: &Stdlib,
    diagnostics: &mut Vec<Diagnostic>,
) -> EnvironmentFoundation {
    let doc = &env.doc;
    let spec = &env.spec;
    let network = &spec.network;
    let platform_regions: BTreeMap<String, ()> = platform
        .spec
        .regions
        .iter()
        .map(|r| (r.clone(), ()))
        .collect();
    for region in network.cidrs.keys() {
        let span = doc.key_span(&["spec", "network", "cidrs", region.as_str()]);
        if !check_ref(
            RefKind::Region,
            region,
            &platform_regions,
            span,
            diagnostics,
        ) {
            continue;
        }
        if !spec.regions.contains(region) {
            diagnostics.push(Diagnostic::new(
                DiagnosticKind::RegionNotUsed {
                    region: region.clone(),
                    environment: env.name().to_string(),
                },
                span,
            ));
        }
    }

    let (base, base_span) = match network.cidr {
        Some(cidr) => (cidr, Some(doc.span(&["spec", "network", "cidr"]))),
        None => (stdlib.defaults.network_cidr, None),
    };
    let mut vpc_cidrs = BTreeMap::new();
    for region in &spec.regions {
        if let Some(cidr) = network.cidrs.get(region) {
            let span = doc.span(&["spec", "network", "cidrs", region.as_str()]);
            vpc_cidrs.insert(
                region.clone(),
                Sourced {
                    value: *cidr,
                    span: Some(span),
                },
            );
            continue;
        }
        // Regions unknown to the Platform were reported with the environment's regions.
        let Some(index) = platform.spec.regions.iter().position(|r| r == region) else {
            continue;
        };
        let split = u32::try_from(index)
            .ok()
            .and_then(|index| base.subnet(REGION_PREFIX, index));
        match split {
            Some(cidr) => {
                vpc_cidrs.insert(
                    region.clone(),
                    Sourced {
                        value: cidr,
                        span: base_span,
                    },
                );
            }
            None => diagnostics.push(Diagnostic::new(
                DiagnosticKind::BaseCidrTooSmall {
                    cidr: base.to_string(),
                    region: region.clone(),
                    position: u32::try_from(index + 1).unwrap_or(u32::MAX),
                },
                base_span.unwrap_or_else(|| doc.span(&["spec", "regions"])),
            )),
        }
    }

    let node_groups = if spec.cluster.node_groups.is_empty() {
        stdlib
            .defaults
            .node_groups
            .get(tier.as_str())
            .cloned()
            .map(|group| Sourced {
                value: group,
                span: None,
            })
            .into_iter()
            .collect()
    } else {
        spec.cluster
            .node_groups
            .iter()
            .enumerate()
            .map(|(i, group)| Sourced {
                value: group.clone(),
                span: Some(doc.span(&[
                    "spec".into(),
                    "cluster".into(),
                    "nodeGroups".into(),
                    i.to_string(),
                    "name".into(),
                ])),
            })
            .collect()
    };

    let dns_zone = match &spec.dns.zone {
        Some(zone) => Sourced {
            value: zone.clone(),
            span: Some(doc.span(&["spec", "dns", "zone"])),
        },
        None if tier == Tier::Production => Sourced {
            value: platform.spec.domain.clone(),
            span: None,
        },
        None => Sourced {
            value: format!("{}.{}", env.name(), platform.spec.domain),
            span: None,
        },
    };

    EnvironmentFoundation {
        vpc_cidrs,
        node_groups,
        dns_zone,
    }
}

/// The name of the EKS cluster (and the prefix of every name in its root module).
pub fn cluster_name(platform: &str, environment: &str, region: &str) -> String {
    format!("{platform}-{environment}-{region}")
}

/// The name of the IAM role of a service's workload identity in one cluster.
pub fn workload_role_name(cluster: &str, tenant: &str, service: &str) -> String {
    format!("{cluster}-{tenant}-{service}")
}

/// The name of the IAM role of an add-on's identity in one cluster: `<cluster>-addon-<suffix>`
/// (`addon-` keeps it apart from the services' `<cluster>-<tenant>-<service>`), shortened with a
/// hash of the whole when over IAM's 64 characters.
pub fn addon_role_name(cluster: &str, suffix: &str) -> String {
    let name = format!("{cluster}-addon-{suffix}");
    if name.len() <= 64 {
        return name;
    }
    let hash = blake3::hash(name.as_bytes()).to_hex();
    let keep = name.get(..55).unwrap_or(&name).trim_end_matches('-');
    format!("{keep}-{}", &hash.as_str()[..8])
}

/// The names of the IAM roles of a cluster's own components, by what they are for.
pub const CLUSTER_ROLES: [&str; 3] = ["cluster", "node", "flow-logs"];

/// The name of the IAM role GitHub Actions assumes to push images.
pub fn deploy_role_name(platform: &str) -> String {
    format!("{platform}-github-deploy")
}

/// AWS's limit on IAM role names.
pub const MAX_ROLE_NAME: usize = 64;
/// AWS's limit on EKS cluster names.
pub const MAX_CLUSTER_NAME: usize = 100;
