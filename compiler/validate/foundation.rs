//! Checks of the cloud foundation: CIDR blocks (network addresses, VPC sizes, no overlap between
//! an environment's regions), node groups (sizes in order, one CPU architecture), ingress hosts
//! inside the environment's DNS zone (or, with no zone pave makes or is given, the platform
//! domain), and, when the Platform generates Terraform, that derived AWS names fit AWS's limits
//! and that the roles given cluster access are IAM roles an EKS access entry can name.

use std::collections::BTreeMap;

use crate::diagnostic::{CidrOverlap, CidrProblem, Diagnostic, DiagnosticKind};
use crate::parse::{Ipv4Cidr, NodeGroup};
use crate::resolve::{
    CLUSTER_ROLES, Environment, MAX_CLUSTER_NAME, MAX_ROLE_NAME, ResolvedSpec, Sourced,
    cluster_name, deploy_role_name, role_arn_problem, workload_role_name,
};
use crate::source::Span;

/// The smallest VPC block pave can split into six subnets (each at least a /28).
const SMALLEST_VPC_PREFIX: u8 = 24;
/// AWS's largest VPC block.
const LARGEST_VPC_PREFIX: u8 = 16;

pub(super) fn check(resolved: &ResolvedSpec, diagnostics: &mut Vec<Diagnostic>) {
    for env in resolved.environments.values() {
        check_network(env, diagnostics);
        check_node_groups(env, diagnostics);
    }
    check_hosts_in_zone(resolved, diagnostics);
    if let Some(terraform) = &resolved.platform.spec.terraform {
        check_aws_names(resolved, diagnostics);
        for (i, role) in terraform.admin_roles.iter().enumerate() {
            let index = i.to_string();
            let path = ["spec", "terraform", "adminRoles", index.as_str()];
            check_role(role, resolved.platform.doc.span(&path), diagnostics);
        }
        for tenant in resolved.tenants.values() {
            for (i, role) in tenant.parsed.spec.owners.roles.iter().enumerate() {
                let index = i.to_string();
                let path = ["spec", "owners", "roles", index.as_str()];
                check_role(role, tenant.parsed.doc.span(&path), diagnostics);
            }
        }
        if terraform.admin_roles.is_empty() {
            diagnostics.push(Diagnostic::new(
                DiagnosticKind::NoClusterAdmins,
                resolved.platform.doc.key_span(&["spec", "terraform"]),
            ));
        }
    }
}

/// A role given for cluster access must be one an EKS access entry can name.
fn check_role(role: &str, span: Span, diagnostics: &mut Vec<Diagnostic>) {
    if let Some(problem) = role_arn_problem(role) {
        diagnostics.push(Diagnostic::new(
            DiagnosticKind::InvalidRoleArn {
                arn: role.to_string(),
                problem,
            },
            span,
        ));
    }
}

fn host_bits(cidr: Ipv4Cidr, span: Span, diagnostics: &mut Vec<Diagnostic>) {
    if cidr.has_host_bits() {
        let network = Ipv4Cidr::new(cidr.network(), cidr.prefix()).unwrap_or(cidr);
        diagnostics.push(Diagnostic::new(
            DiagnosticKind::InvalidCidr {
                cidr: cidr.to_string(),
                problem: CidrProblem::HostBits {
                    network: network.to_string(),
                },
            },
            span,
        ));
    }
}

fn check_network(env: &Environment, diagnostics: &mut Vec<Diagnostic>) {
    let doc = &env.parsed.doc;
    let spec = &env.parsed.spec;
    if let Some(base) = spec.network.cidr {
        host_bits(base, doc.span(&["spec", "network", "cidr"]), diagnostics);
    }
    for (i, cidr) in spec.cluster.public_access_cidrs.iter().enumerate() {
        let span = doc.span(&[
            "spec".into(),
            "cluster".into(),
            "publicAccessCIDRs".into(),
            i.to_string(),
        ]);
        if cidr.prefix() == 0 {
            diagnostics.push(Diagnostic::new(
                DiagnosticKind::InvalidCidr {
                    cidr: cidr.to_string(),
                    problem: CidrProblem::WholeInternet,
                },
                span,
            ));
        } else {
            host_bits(*cidr, span, diagnostics);
        }
    }
    for (region, cidr) in &spec.network.cidrs {
        let span = doc.span(&["spec", "network", "cidrs", region.as_str()]);
        if !(LARGEST_VPC_PREFIX..=SMALLEST_VPC_PREFIX).contains(&cidr.prefix()) {
            diagnostics.push(Diagnostic::new(
                DiagnosticKind::InvalidCidr {
                    cidr: cidr.to_string(),
                    problem: CidrProblem::VpcSize,
                },
                span,
            ));
        } else {
            host_bits(*cidr, span, diagnostics);
        }
    }

    // Overlaps, in the order of the environment's regions: the later region is reported.
    let blocks: Vec<(&String, &Sourced<Ipv4Cidr>)> = spec
        .regions
        .iter()
        .filter_map(|region| Some((region, env.foundation.vpc_cidrs.get(region)?)))
        .collect();
    for (i, (region, block)) in blocks.iter().enumerate() {
        let earlier = blocks
            .get(..i)
            .unwrap_or_default()
            .iter()
            .find(|(_, other)| other.value.overlaps(block.value));
        if let Some((other_region, other)) = earlier {
            let span = block.span.unwrap_or_else(|| doc.span(&["spec", "regions"]));
            let mut diagnostic = Diagnostic::new(
                DiagnosticKind::OverlappingCidrs(Box::new(CidrOverlap {
                    region: (*region).clone(),
                    cidr: block.value.to_string(),
                    other_region: (*other_region).clone(),
                    other_cidr: other.value.to_string(),
                })),
                span,
            );
            if let Some(other_span) = other.span.filter(|s| *s != span) {
                diagnostic = diagnostic.with_related(other_span, "overlapped block");
            }
            diagnostics.push(diagnostic);
        }
    }
}

fn check_node_groups(env: &Environment, diagnostics: &mut Vec<Diagnostic>) {
    let doc = &env.parsed.doc;
    let mut seen: BTreeMap<&str, Option<Span>> = BTreeMap::new();
    for (i, group) in env.foundation.node_groups.iter().enumerate() {
        let path = |field: &str| {
            [
                "spec".to_string(),
                "cluster".into(),
                "nodeGroups".into(),
                i.to_string(),
                field.into(),
            ]
        };
        // Node groups without a span are the stdlib's default, which is well-formed.
        let Some(name_span) = group.span else {
            continue;
        };
        let NodeGroup { name, min, max, .. } = &group.value;
        if let Some(first) = seen.get(name.as_str()) {
            let mut diagnostic = Diagnostic::new(
                DiagnosticKind::DuplicateName {
                    kind: "node group".into(),
                    name: name.clone(),
                },
                name_span,
            );
            if let Some(first) = first {
                diagnostic = diagnostic.with_related(*first, "first defined here");
            }
            diagnostics.push(diagnostic);
        } else {
            seen.insert(name, Some(name_span));
        }
        let desired = group.value.desired.unwrap_or(*min);
        if !(min <= &desired && desired <= *max) {
            let field = if group.value.desired.is_some() && min <= max {
                "desired"
            } else {
                "min"
            };
            diagnostics.push(Diagnostic::new(
                DiagnosticKind::NodeGroupSizeOutOfOrder {
                    min: *min,
                    desired,
                    max: *max,
                },
                doc.span(&path(field)),
            ));
        }
        let arm = group.value.instance_types.iter().find(|t| is_arm64(t));
        let x86 = group.value.instance_types.iter().find(|t| !is_arm64(t));
        if let (Some(arm), Some(x86)) = (arm, x86) {
            diagnostics.push(Diagnostic::new(
                DiagnosticKind::MixedArchitectures {
                    arm: arm.clone(),
                    x86: x86.clone(),
                },
                doc.span(&path("instanceTypes")),
            ));
        }
    }
}

/// Whether an EC2 instance type runs on Graviton (arm64): its family has a `g` right after the
/// generation digit (`m7g`, `c6gn`, `im4gn`), or is the first-generation `a1`.
pub fn is_arm64(instance_type: &str) -> bool {
    let family = instance_type.split('.').next().unwrap_or(instance_type);
    if family == "a1" {
        return true;
    }
    let after_letters = family.trim_start_matches(|c: char| c.is_ascii_lowercase());
    let after_digits = after_letters.trim_start_matches(|c: char| c.is_ascii_digit());
    after_digits.len() < after_letters.len() && after_digits.starts_with('g')
}

/// Every ingress host is inside the environment's DNS zone when pave makes the zone (Terraform) or
/// the Environment names it: cert-manager validates the certificate with a record there. Without
/// either, the host is under the platform domain, the only one ExternalDNS writes records for
/// (`domainFilters: [${platform.domain}]` in `stdlib/addons/external-dns.yaml`; ExternalDNS
/// ignores hosts outside its domain filter, kubernetes-sigs/external-dns docs, "domain filter").
fn check_hosts_in_zone(resolved: &ResolvedSpec, diagnostics: &mut Vec<Diagnostic>) {
    let terraform = resolved.platform.spec.terraform.is_some();
    for service in &resolved.services {
        for instance in &service.instances {
            let (Some(ingress), Some(env)) = (
                &instance.ingress,
                resolved.environments.get(&instance.environment),
            ) else {
                continue;
            };
            let zone = &env.foundation.dns_zone;
            let in_zone = terraform || zone.span.is_some();
            let allowed = if in_zone {
                &zone.value
            } else {
                &resolved.platform.spec.domain
            };
            let host = &ingress.value.host;
            if host == allowed || host.ends_with(&format!(".{allowed}")) {
                continue;
            }
            let overridden = service
                .parsed
                .spec
                .environments
                .get(&instance.environment)
                .is_some_and(|o| o.ingress.is_some());
            let path: Vec<&str> = if overridden {
                vec![
                    "spec",
                    "environments",
                    instance.environment.as_str(),
                    "ingress",
                    "host",
                ]
            } else {
                vec!["spec", "ingress", "host"]
            };
            let span = service.parsed.doc.span(&path);
            let setting = if service.parsed.spec.score.is_some() {
                "the `host` of the workload's `route` resource".to_string()
            } else {
                path.join(".")
            };
            let kind = if in_zone {
                DiagnosticKind::HostOutsideZone {
                    host: host.clone(),
                    zone: allowed.clone(),
                    setting,
                }
            } else {
                DiagnosticKind::HostOutsideDomain {
                    host: host.clone(),
                    domain: allowed.clone(),
                    setting,
                }
            };
            let mut diagnostic = Diagnostic::new(kind, span);
            if in_zone && let Some(zone_span) = zone.span {
                diagnostic = diagnostic.with_related(zone_span, "the environment's zone");
            }
            diagnostics.push(diagnostic);
        }
    }
}

fn check_aws_names(resolved: &ResolvedSpec, diagnostics: &mut Vec<Diagnostic>) {
    let platform = resolved.platform.name();
    let too_long = |what: &'static str, name: String, max: usize, span: Span| {
        (name.len() > max)
            .then(|| Diagnostic::new(DiagnosticKind::AwsNameTooLong { what, name, max }, span))
    };
    for (env_name, env) in &resolved.environments {
        let name_span = env.parsed.doc.span(&["metadata", "name"]);
        for region in &env.parsed.spec.regions {
            let cluster = cluster_name(platform, env_name, region);
            diagnostics.extend(too_long(
                "EKS cluster",
                cluster.clone(),
                MAX_CLUSTER_NAME,
                name_span,
            ));
            // The longest of the cluster's own role names stands for all of them.
            if let Some(role) = CLUSTER_ROLES.iter().max_by_key(|r| r.len()) {
                diagnostics.extend(too_long(
                    "IAM role",
                    format!("{cluster}-{role}"),
                    MAX_ROLE_NAME,
                    name_span,
                ));
            }
        }
    }
    // Role names join tenant and service with `-`, so `a-b`/`c` and `a`/`b-c` would meet.
    let mut roles: BTreeMap<String, Span> = BTreeMap::new();
    for service in &resolved.services {
        let span = service.parsed.doc.span(&["metadata", "name"]);
        for instance in service.instances.iter().filter(|i| !i.aws.is_empty()) {
            let Some(env) = resolved.environments.get(&instance.environment) else {
                continue;
            };
            for region in &env.parsed.spec.regions {
                let cluster = cluster_name(platform, &instance.environment, region);
                let role = workload_role_name(&cluster, &service.tenant, service.name());
                if let Some(first) = roles.get(&role) {
                    diagnostics.push(
                        Diagnostic::new(
                            DiagnosticKind::DuplicateName {
                                kind: "IAM role".into(),
                                name: role.clone(),
                            },
                            span,
                        )
                        .with_related(*first, "the other service with this role name"),
                    );
                } else {
                    roles.insert(role.clone(), span);
                }
                diagnostics.extend(too_long("IAM role", role, MAX_ROLE_NAME, span));
            }
        }
    }
    if let Some(terraform) = &resolved.platform.spec.terraform
        && terraform.github.is_some()
    {
        diagnostics.extend(too_long(
            "IAM role",
            deploy_role_name(platform),
            MAX_ROLE_NAME,
            resolved.platform.doc.span(&["metadata", "name"]),
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::is_arm64;

    #[test]
    fn graviton_instance_types_are_arm64() {
        for arm in [
            "m7g.large",
            "c6gn.xlarge",
            "t4g.small",
            "im4gn.large",
            "a1.medium",
            "g5g.xlarge",
        ] {
            assert!(is_arm64(arm), "{arm}");
        }
        for x86 in [
            "m6i.large",
            "m5.large",
            "g5.xlarge",
            "p4d.24xlarge",
            "m7i-flex.large",
            "inf2.xlarge",
        ] {
            assert!(!is_arm64(x86), "{x86}");
        }
    }
}
