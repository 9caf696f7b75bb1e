//! The EKS cluster of one environment in one region: the Environment's Kubernetes version, a
//! private API endpoint (public only for the networks the Environment lists), secrets encrypted
//! with a KMS key, every control-plane log type on; managed node groups in the private subnets;
//! the core add-ons (the VPC CNI with its network policy agent on) and the EBS CSI driver (with its Pod Identity role); admin access entries; and the Pod Identity association of each workload
//! identity. Node volumes are encrypted through the region's EBS encryption by default.

use super::aws::{
    CloudwatchLogGroup, EbsEncryptionByDefault, EksAccessConfig, EksAccessEntry,
    EksAccessPolicyAssociation, EksAccessScope, EksAddon, EksAddonPodIdentity, EksCluster,
    EksEncryptionConfig, EksEncryptionProvider, EksNodeGroup, EksPodIdentityAssociation,
    EksScalingConfig, EksTaint, EksUpdateConfig, EksVpcConfig, KmsAlias, KmsKey, name_tag,
};
use super::iam::{ClusterRoles, identity_blocks};
use super::model::{Address, Config, Meta, block_name, block_names};
use super::network::NetworkRefs;
use super::policy::account_key_policy;
use crate::lower::{IdentityOwner, RegionalFoundation};

const LOG_TYPES: [&str; 5] = [
    "api",
    "audit",
    "authenticator",
    "controllerManager",
    "scheduler",
];

/// Add-ons without which a cluster does not work, in their default version for the cluster's
/// Kubernetes version. CoreDNS waits for nodes to run on.
const NODE_ADDONS: [&str; 3] = ["eks-pod-identity-agent", "kube-proxy", "vpc-cni"];

/// The VPC CNI's network policy agent, off unless asked for: without it every NetworkPolicy pave
/// writes (the tenants' default deny included) is accepted and silently not enforced. EKS user
/// guide, "Restrict Pod network traffic with Kubernetes network policies": the add-on's
/// configuration value `enableNetworkPolicy: "true"` (a string).
const VPC_CNI_CONFIGURATION: &str = r#"{"enableNetworkPolicy":"true"}"#;

pub(super) fn emit(
    config: &mut Config,
    regional: &RegionalFoundation,
    network: &NetworkRefs,
    roles: &ClusterRoles,
) -> Result<(), String> {
    let name = &regional.cluster_name;
    let location = &regional.location;
    let key = config.resource(
        "eks",
        &KmsKey::symmetric(
            format!("Kubernetes secrets of {name}"),
            regional.key_deletion_window_days,
            account_key_policy(location)?,
        ),
    )?;
    config.resource(
        "eks",
        &KmsAlias {
            region: None,
            name: format!("alias/{name}-secrets"),
            target_key_id: key.attr("key_id"),
        },
    )?;
    // EKS writes to this group; creating it first gives it a retention and the logs key.
    let logs = config.resource(
        "eks",
        &CloudwatchLogGroup {
            region: None,
            name: format!("/aws/eks/{name}/cluster"),
            retention_in_days: regional.log_retention_days,
            kms_key_id: network.logs_key.attr("arn"),
        },
    )?;
    config.resource("default", &EbsEncryptionByDefault { enabled: true })?;

    let public = !regional.public_access_cidrs.is_empty();
    let mut cluster_waits_for: Vec<&Address> = roles.cluster_policies.iter().collect();
    cluster_waits_for.push(&logs);
    let cluster = config.resource_after(
        "main",
        &EksCluster {
            name: name.clone(),
            version: regional.kubernetes_version.clone(),
            role_arn: roles.cluster.attr("arn"),
            enabled_cluster_log_types: LOG_TYPES.to_vec(),
            deletion_protection: regional.deletion_protection,
            vpc_config: EksVpcConfig {
                subnet_ids: network.private_subnet_ids.clone(),
                endpoint_private_access: true,
                endpoint_public_access: public,
                public_access_cidrs: public.then(|| regional.public_access_cidrs.clone()),
            },
            encryption_config: EksEncryptionConfig {
                resources: vec!["secrets"],
                provider: EksEncryptionProvider {
                    key_arn: key.attr("arn"),
                },
            },
            // Access entries only (no aws-auth ConfigMap); whoever runs Terraform gets no
            // implicit admin access, the admin roles do.
            access_config: EksAccessConfig {
                authentication_mode: "API",
                bootstrap_cluster_creator_admin_permissions: false,
            },
        },
        &cluster_waits_for,
    )?;
    let cluster_name = cluster.attr("name");

    let mut node_groups = Vec::new();
    let node_waits_for: Vec<&Address> = roles.node_policies.iter().collect();
    // The cluster autoscaler moves the desired size between min and max; Terraform leaves it be.
    let node_group_meta = Meta {
        depends_on: &node_waits_for,
        ignore_changes: &["scaling_config[0].desired_size"],
        ..Meta::default()
    };
    for group in &regional.node_groups {
        node_groups.push(
            config.resource_with(
                &block_name(&group.name),
                &EksNodeGroup {
                    cluster_name: cluster_name.clone(),
                    node_group_name: group.name.clone(),
                    node_role_arn: roles.node.attr("arn"),
                    subnet_ids: network.private_subnet_ids.clone(),
                    instance_types: group.instance_types.clone(),
                    ami_type: group.ami_type,
                    capacity_type: group.capacity_type,
                    scaling_config: EksScalingConfig {
                        min_size: group.min,
                        max_size: group.max,
                        desired_size: group.desired,
                    },
                    update_config: EksUpdateConfig { max_unavailable: 1 },
                    labels: (!group.labels.is_empty()).then(|| group.labels.clone()),
                    taint: group
                        .taints
                        .iter()
                        .map(|taint| EksTaint {
                            key: taint.key.clone(),
                            value: taint.value.clone(),
                            effect: taint.effect,
                        })
                        .collect(),
                    tags: name_tag(&format!("{name}-{}", group.name)),
                },
                &node_group_meta,
            )?,
        );
    }

    let addon = |addon_name: &'static str| EksAddon {
        cluster_name: cluster_name.clone(),
        addon_name,
        configuration_values: (addon_name == "vpc-cni").then_some(VPC_CNI_CONFIGURATION),
        // EKS installs self-managed versions of some add-ons; the managed add-on takes them over.
        resolve_conflicts_on_create: "OVERWRITE",
        resolve_conflicts_on_update: "OVERWRITE",
        pod_identity_association: None,
    };
    for addon_name in NODE_ADDONS {
        config.resource(&block_name(addon_name), &addon(addon_name))?;
    }
    let node_group_refs: Vec<&Address> = node_groups.iter().collect();
    config.resource_after("coredns", &addon("coredns"), &node_group_refs)?;
    // EKS add-ons with an identity (the EBS CSI driver): the add-on associates its ServiceAccount
    // with the role itself (`pod_identity_association`). Their controllers run on the nodes.
    let identities = regional.identities.iter().zip(&roles.workloads);
    for (identity, role) in identities {
        let IdentityOwner::EksAddon { addon: addon_name } = identity.owner else {
            continue;
        };
        config.resource_after(
            &block_name(addon_name),
            &EksAddon {
                pod_identity_association: Some(EksAddonPodIdentity {
                    role_arn: role.attr("arn"),
                    service_account: identity.service_account.clone(),
                }),
                ..addon(addon_name)
            },
            &node_group_refs,
        )?;
    }

    // Admins get the cluster admin access policy; tenant owners' roles get the owner groups
    // their tenants' RoleBindings name (`kubernetes_groups`: Kubernetes RBAC authorizes them).
    let entry_texts: Vec<String> = regional
        .access_entries
        .iter()
        .map(|entry| entry_text(&entry.principal, entry.admin))
        .collect();
    let entry_blocks = block_names(entry_texts.iter().map(String::as_str));
    for (access, block) in regional.access_entries.iter().zip(entry_blocks) {
        let entry = config.resource(
            &block,
            &EksAccessEntry {
                cluster_name: cluster_name.clone(),
                principal_arn: access.principal.clone(),
                kind: "STANDARD",
                kubernetes_groups: (!access.kubernetes_groups.is_empty())
                    .then(|| access.kubernetes_groups.clone()),
            },
        )?;
        if !access.admin {
            continue;
        }
        config.resource(
            &block,
            &EksAccessPolicyAssociation {
                cluster_name: cluster_name.clone(),
                principal_arn: entry.attr("principal_arn"),
                policy_arn: format!(
                    "arn:{}:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy",
                    location.partition
                ),
                access_scope: EksAccessScope { kind: "cluster" },
            },
        )?;
    }

    let identities = regional.identities.iter().zip(&roles.workloads);
    for ((identity, role), block) in identities.zip(identity_blocks(&regional.identities)) {
        if matches!(identity.owner, IdentityOwner::EksAddon { .. }) {
            continue;
        }
        config.resource(
            &block,
            &EksPodIdentityAssociation {
                cluster_name: cluster_name.clone(),
                namespace: identity.namespace.clone(),
                service_account: identity.service_account.clone(),
                role_arn: role.attr("arn"),
            },
        )?;
    }

    config.output("cluster_name", "The EKS cluster's name.", cluster_name)?;
    config.output(
        "cluster_endpoint",
        "The Kubernetes API endpoint (private unless public access CIDRs are listed).",
        cluster.attr("endpoint"),
    )?;
    config.output(
        "cluster_certificate_authority",
        "The cluster's CA certificate, base64-encoded.",
        cluster.attr("certificate_authority[0].data"),
    )?;
    config.output(
        "cluster_oidc_issuer_url",
        "The cluster's OIDC issuer, for IRSA if a tool needs it.",
        cluster.attr("identity[0].oidc[0].issuer"),
    )?;
    Ok(())
}

/// What names a role's access entry: `admin_` (or `owners_` for a tenant owners' role only),
/// the role's account and its name.
fn entry_text(principal: &str, admin: bool) -> String {
    let mut parts = principal.splitn(6, ':');
    let account = parts.nth(4).unwrap_or_default();
    let role = principal.rsplit('/').next().unwrap_or(principal);
    let kind = if admin { "admin" } else { "owners" };
    format!("{kind}_{account}_{role}")
}
