//! IAM roles of one cluster: the cluster's and the nodes' (with the AWS managed policies EKS
//! needs), and a workload identity per service that declares AWS access: an EKS Pod Identity
//! role whose trust is limited to the service's own service account, namespace and cluster, and
//! whose policy allows exactly what the service declared.

use std::collections::BTreeMap;

use serde_json::Value;

use super::aws::{IamRole, IamRolePolicy, IamRolePolicyAttachment, KmsKey};
use super::model::{Address, Config, block_names};
use super::policy::{PolicyDocument, Statement};
use crate::lower::{IdentityOwner, RegionalFoundation, WorkloadIdentity};

/// The AWS managed policies of every node's role, by block suffix: joining the cluster, the
/// VPC CNI's calls, pulling images (pull only, no push). Karpenter's template adds
/// `AmazonSSMManagedInstanceCore`; pave's nodes get no shell access through SSM.
const NODE_POLICIES: [(&str, &str); 3] = [
    ("worker", "AmazonEKSWorkerNodePolicy"),
    ("cni", "AmazonEKS_CNI_Policy"),
    ("registry", "AmazonEC2ContainerRegistryPullOnly"),
];

/// A role EC2 instances assume to be EKS nodes, with `NODE_POLICIES` attached: the managed node
/// groups' and a node provisioner's (`nodes.rs`). Returns the role and its attachments (what
/// must exist before a node joins). Blocks: `block` for the role, `<prefix>_<policy>` for each
/// attachment.
pub(super) fn node_role(
    config: &mut Config,
    regional: &RegionalFoundation,
    block: &str,
    prefix: &str,
    name: String,
    description: String,
) -> Result<(Address, Vec<Address>), String> {
    let role = config.resource(
        block,
        &IamRole {
            name,
            description,
            assume_role_policy: PolicyDocument::new(vec![Statement::trust(
                "Service",
                vec!["ec2.amazonaws.com".into()],
                &["sts:AssumeRole"],
            )])
            .render()?,
        },
    )?;
    let mut attachments = Vec::new();
    for (suffix, policy) in NODE_POLICIES {
        attachments.push(config.resource(
            &format!("{prefix}_{suffix}"),
            &IamRolePolicyAttachment {
                role: role.attr("name"),
                policy_arn: regional.location.managed_policy(policy),
            },
        )?);
    }
    Ok((role, attachments))
}

/// What the cluster and node groups need from IAM.
pub(super) struct ClusterRoles {
    pub cluster: Address,
    pub node: Address,
    /// Policy attachments the cluster must wait for.
    pub cluster_policies: Vec<Address>,
    /// Policy attachments the node groups must wait for.
    pub node_policies: Vec<Address>,
    /// Workload identity roles, by identity (in the order of `regional.identities`).
    pub workloads: Vec<Address>,
}

pub(super) fn emit(
    config: &mut Config,
    regional: &RegionalFoundation,
) -> Result<ClusterRoles, String> {
    let location = &regional.location;
    let cluster_name = &regional.cluster_name;

    let cluster = config.resource(
        "cluster",
        &IamRole {
            name: regional.role_name("cluster"),
            description: format!("The EKS control plane of {cluster_name}"),
            assume_role_policy: PolicyDocument::new(vec![Statement::trust(
                "Service",
                vec!["eks.amazonaws.com".into()],
                &["sts:AssumeRole", "sts:TagSession"],
            )])
            .render()?,
        },
    )?;
    let mut cluster_policies = vec![config.resource(
        "cluster_eks",
        &IamRolePolicyAttachment {
            role: cluster.attr("name"),
            policy_arn: location.managed_policy("AmazonEKSClusterPolicy"),
        },
    )?];
    // Envelope encryption of Kubernetes secrets with the cluster's key.
    let eks_key = Address::of::<KmsKey>("eks");
    cluster_policies.push(
        config.resource(
            "cluster_secrets_key",
            &IamRolePolicy {
                name: "encrypt-secrets".into(),
                role: cluster.attr("id"),
                policy: PolicyDocument::new(vec![Statement::allow(
                    &[
                        "kms:Decrypt",
                        "kms:DescribeKey",
                        "kms:Encrypt",
                        "kms:ListGrants",
                    ],
                    vec![eks_key.attr("arn")],
                )])
                .render()?,
            },
        )?,
    );

    let (node, node_policies) = node_role(
        config,
        regional,
        "node",
        "node",
        regional.role_name("node"),
        format!("The nodes of {cluster_name}"),
    )?;

    let mut workloads = Vec::new();
    let mut arns = BTreeMap::new();
    let blocks = identity_blocks(&regional.identities);
    for (identity, block) in regional.identities.iter().zip(&blocks) {
        let role = workload_role(config, regional, identity, block)?;
        arns.insert(output_key(identity), Value::from(role.attr("arn")));
        workloads.push(role);
    }

    config.output(
        "cluster_role_arn",
        "The EKS control plane's role.",
        cluster.attr("arn"),
    )?;
    config.output("node_role_arn", "The nodes' role.", node.attr("arn"))?;
    if !arns.is_empty() {
        config.output(
            "workload_role_arns",
            "The role of each service with AWS access (by tenant/service) and of each add-on's identity (by addon/<add-on>/<service account>).",
            Value::Object(arns.into_iter().collect()),
        )?;
    }
    Ok(ClusterRoles {
        cluster,
        node,
        cluster_policies,
        node_policies,
        workloads,
    })
}

/// The key of an identity's role in the `workload_role_arns` output.
fn output_key(identity: &WorkloadIdentity) -> String {
    match &identity.owner {
        IdentityOwner::Service { .. } | IdentityOwner::EksAddon { .. } => identity.owner.key(),
        IdentityOwner::Addon { .. } => {
            format!("{}/{}", identity.owner.key(), identity.service_account)
        }
    }
}

/// The block names of the identity resources, in the order of `identities`.
pub(super) fn identity_blocks(identities: &[WorkloadIdentity]) -> Vec<String> {
    let texts: Vec<String> = identities
        .iter()
        .map(|identity| match &identity.owner {
            IdentityOwner::Service { tenant, service } => format!("{tenant}_{service}"),
            IdentityOwner::Addon { addon } if *addon == identity.service_account => {
                format!("addon_{addon}")
            }
            IdentityOwner::Addon { addon } => {
                format!("addon_{addon}_{}", identity.service_account)
            }
            IdentityOwner::EksAddon { addon } => format!("eks_addon_{addon}"),
        })
        .collect();
    block_names(texts.iter().map(String::as_str))
}

fn workload_role(
    config: &mut Config,
    regional: &RegionalFoundation,
    identity: &WorkloadIdentity,
    name: &str,
) -> Result<Address, String> {
    // Pod Identity tags the session with the cluster, namespace and service account; only this
    // service's pods in this cluster match.
    let trust = Statement::trust(
        "Service",
        vec!["pods.eks.amazonaws.com".into()],
        &["sts:AssumeRole", "sts:TagSession"],
    )
    .condition(
        "StringEquals",
        "aws:RequestTag/eks-cluster-name",
        vec![regional.cluster_name.clone()],
    )
    .condition(
        "StringEquals",
        "aws:RequestTag/kubernetes-namespace",
        vec![identity.namespace.clone()],
    )
    .condition(
        "StringEquals",
        "aws:RequestTag/kubernetes-service-account",
        vec![identity.service_account.clone()],
    );
    let role = config.resource(
        name,
        &IamRole {
            name: identity.role_name.clone(),
            description: format!("{} in {}", identity.owner.describe(), regional.cluster_name),
            assume_role_policy: PolicyDocument::new(vec![trust]).render()?,
        },
    )?;
    for (i, policy_arn) in identity.managed_policies.iter().enumerate() {
        config.resource(
            &format!("{name}_{i}"),
            &IamRolePolicyAttachment {
                role: role.attr("name"),
                policy_arn: policy_arn.clone(),
            },
        )?;
    }
    if identity.permissions.is_empty() {
        return Ok(role);
    }
    let statements = identity
        .permissions
        .iter()
        .map(|permission| {
            let actions: Vec<&str> = permission.actions.iter().map(String::as_str).collect();
            let mut statement = Statement::allow(&actions, permission.resources.clone());
            for (test, key, values) in &permission.conditions {
                statement = statement.condition(test, key, values.clone());
            }
            statement
        })
        .collect();
    config.resource(
        name,
        &IamRolePolicy {
            name: "declared-aws-access".into(),
            role: role.attr("id"),
            policy: PolicyDocument::new(statements).render()?,
        },
    )?;
    Ok(role)
}
