//! The settings of an environment's cloud foundation, decided: the VPC block of each region, the
//! node groups and the DNS zone. Checks that need only one document and arithmetic (host bits,
//! overlaps, sizes) are `validate`'s.

use std::collections::BTreeMap;

use super::{Sourced, Stdlib, check_ref};
use crate::diagnostic::{Diagnostic, DiagnosticKind, RefKind, RoleArnProblem};
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

/// The name of the IAM role of the nodes an add-on launches (its entry's `nodeProvisioner`), in
/// one cluster: `<cluster>-addon-<addon>-nodes`, shortened as [`addon_role_name`] does.
pub fn addon_node_role_name(cluster: &str, addon: &str) -> String {
    addon_role_name(cluster, &format!("{addon}-nodes"))
}

/// The name of the SQS queue that brings EC2's interruption events to an add-on that launches
/// nodes, in one cluster: `<cluster>-<addon>`, shortened with a hash of the whole when over SQS's
/// 80 characters.
pub fn interruption_queue_name(cluster: &str, addon: &str) -> String {
    let name = format!("{cluster}-{addon}");
    if name.len() <= MAX_QUEUE_NAME {
        return name;
    }
    let hash = blake3::hash(name.as_bytes()).to_hex();
    let keep = name.get(..71).unwrap_or(&name).trim_end_matches('-');
    format!("{keep}-{}", &hash.as_str()[..8])
}

/// SQS's limit on queue names.
const MAX_QUEUE_NAME: usize = 80;

/// What is wrong with a role given for cluster access (an ARN, or a name with an optional path
/// in the environment's account), if anything: EKS access entries take IAM role ARNs, with
/// their path (EKS User Guide, "Create access entries": "If the ARN is for an IAM role, it can
/// include a path"; `aws-auth` could not), never an STS session.
pub fn role_arn_problem(role: &str) -> Option<RoleArnProblem> {
    let path_and_name = match role.strip_prefix("arn:") {
        Some(rest) => {
            let parts: Vec<&str> = rest.splitn(5, ':').collect();
            let [partition, service, region, account, resource] = parts.as_slice() else {
                return Some(RoleArnProblem::Malformed);
            };
            if *service == "sts" && resource.starts_with("assumed-role/") {
                return Some(RoleArnProblem::Session);
            }
            let account_ok = account.len() == 12 && account.bytes().all(|b| b.is_ascii_digit());
            let partition_ok = matches!(*partition, "aws" | "aws-cn" | "aws-us-gov");
            if !partition_ok || *service != "iam" || !region.is_empty() || !account_ok {
                return Some(RoleArnProblem::Malformed);
            }
            let Some(path_and_name) = resource.strip_prefix("role/") else {
                return Some(RoleArnProblem::Malformed);
            };
            path_and_name
        }
        None => role,
    };
    let segments: Vec<&str> = path_and_name.split('/').collect();
    let valid = |segment: &&str| {
        !segment.is_empty()
            && segment
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "+=,.@_-".contains(c))
    };
    let name = segments.last().copied().unwrap_or_default();
    if !segments.iter().all(valid) || name.len() > MAX_ROLE_NAME {
        return Some(RoleArnProblem::Malformed);
    }
    if name.starts_with("AWSReservedSSO_") && !path_and_name.starts_with(SSO_ROLE_PATH) {
        return Some(RoleArnProblem::SsoWithoutPath);
    }
    None
}

/// The path IAM Identity Center gives the roles of its permission sets (IAM Identity Center
/// User Guide, "Referencing permission sets in resource policies, Amazon EKS cluster config
/// maps, and AWS KMS key policies"), followed by the Identity Center region unless us-east-1.
const SSO_ROLE_PATH: &str = "aws-reserved/sso.amazonaws.com/";

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_for_access_entries_are_role_arns_or_names_with_identity_center_paths() {
        let sso = "arn:aws:iam::111111111111:role/aws-reserved/sso.amazonaws.com/eu-west-2/AWSReservedSSO_Admin_0123456789abcdef";
        let cases = [
            ("PlatformAdmin", None),
            ("teams/PlatformAdmin", None),
            ("arn:aws:iam::111111111111:role/PlatformAdmin", None),
            (
                "arn:aws-us-gov:iam::111111111111:role/ops/PlatformAdmin",
                None,
            ),
            (sso, None),
            (
                "arn:aws:iam::111111111111:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_Admin_0123456789abcdef",
                None,
            ),
            (
                "arn:aws:sts::111111111111:assumed-role/PlatformAdmin/alice",
                Some(RoleArnProblem::Session),
            ),
            (
                "arn:aws:iam::111111111111:role/AWSReservedSSO_Admin_0123456789abcdef",
                Some(RoleArnProblem::SsoWithoutPath),
            ),
            (
                "AWSReservedSSO_Admin_0123456789abcdef",
                Some(RoleArnProblem::SsoWithoutPath),
            ),
            (
                "arn:aws:iam::111111111111:user/alice",
                Some(RoleArnProblem::Malformed),
            ),
            (
                "arn:aws:iam::1111:role/PlatformAdmin",
                Some(RoleArnProblem::Malformed),
            ),
            (
                "arn:aws:iam:eu-west-1:111111111111:role/x",
                Some(RoleArnProblem::Malformed),
            ),
            (
                "arn:aws:iam::111111111111:role/",
                Some(RoleArnProblem::Malformed),
            ),
            ("Platform Admin", Some(RoleArnProblem::Malformed)),
            ("arn:aws:iam::111111111111", Some(RoleArnProblem::Malformed)),
        ];
        for (role, expected) in cases {
            assert_eq!(role_arn_problem(role), expected, "{role}");
        }
    }
}
