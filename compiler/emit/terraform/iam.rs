//! IAM roles of one cluster: the cluster's and the nodes' (with the AWS managed policies EKS
//! needs), and a workload identity per service that declares AWS access: an EKS Pod Identity
//! role whose trust is limited to the service's own service account, namespace and cluster, and
//! whose policy allows exactly what the service declared.

use std::collections::BTreeMap;

use serde_json::Value;

use super::aws::{
    EksCluster, IamOpenidConnectProvider, IamPolicyCondition, IamPolicyDocument,
    IamPolicyPrincipals, IamPolicyStatement, IamRole, IamRolePolicy, IamRolePolicyAttachment,
    KmsKey,
};
use super::model::{Address, Config, block_names};
use super::policy::{PolicyDocument, Statement};
use crate::lower::{RegionalFoundation, SecretsReaderRole, WorkloadIdentity};

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

    let node = config.resource(
        "node",
        &IamRole {
            name: regional.role_name("node"),
            description: format!("The nodes of {cluster_name}"),
            assume_role_policy: PolicyDocument::new(vec![Statement::trust(
                "Service",
                vec!["ec2.amazonaws.com".into()],
                &["sts:AssumeRole"],
            )])
            .render()?,
        },
    )?;
    let mut node_policies = Vec::new();
    for (name, policy) in [
        ("node_worker", "AmazonEKSWorkerNodePolicy"),
        ("node_cni", "AmazonEKS_CNI_Policy"),
        ("node_registry", "AmazonEC2ContainerRegistryPullOnly"),
    ] {
        node_policies.push(config.resource(
            name,
            &IamRolePolicyAttachment {
                role: node.attr("name"),
                policy_arn: location.managed_policy(policy),
            },
        )?);
    }

    let mut workloads = Vec::new();
    let mut arns = BTreeMap::new();
    let blocks = identity_blocks(&regional.identities);
    for (identity, block) in regional.identities.iter().zip(&blocks) {
        let role = workload_role(config, regional, identity, block)?;
        arns.insert(
            format!("{}/{}", identity.tenant, identity.service),
            Value::from(role.attr("arn")),
        );
        workloads.push(role);
    }

    if let Some(reader) = &regional.external_secrets {
        let role = secrets_reader_role(config, regional, reader)?;
        config.output(
            "external_secrets_role_arn",
            "The role External Secrets reads Secrets Manager with (IRSA).",
            role.attr("arn"),
        )?;
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
            "The role of each service with AWS access, by tenant/service.",
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

/// The IRSA role of External Secrets: the cluster's OIDC issuer as an identity provider, a trust
/// limited to the controller's ServiceAccount, and read access to exactly the platform's
/// secrets.
fn secrets_reader_role(
    config: &mut Config,
    regional: &RegionalFoundation,
    reader: &SecretsReaderRole,
) -> Result<Address, String> {
    let cluster = Address::of::<EksCluster>("main");
    let provider = config.resource(
        "eks",
        &IamOpenidConnectProvider {
            url: cluster.attr("identity[0].oidc[0].issuer"),
            client_id_list: vec!["sts.amazonaws.com"],
        },
    )?;
    // The issuer without its scheme is the prefix of the token's claims as IAM sees them.
    let issuer = cluster.expr(
        "replace(",
        "identity[0].oidc[0].issuer",
        ", \"https://\", \"\")",
    );
    let claim = |name: &str| format!("{issuer}:{name}");
    let trust = config.data(
        "external_secrets_trust",
        &IamPolicyDocument {
            statement: vec![IamPolicyStatement {
                effect: "Allow",
                actions: vec!["sts:AssumeRoleWithWebIdentity"],
                principals: vec![IamPolicyPrincipals {
                    kind: "Federated",
                    identifiers: vec![provider.attr("arn")],
                }],
                condition: vec![
                    IamPolicyCondition {
                        test: "StringEquals",
                        variable: claim("sub"),
                        values: vec![format!(
                            "system:serviceaccount:{}:{}",
                            reader.namespace, reader.service_account
                        )],
                    },
                    IamPolicyCondition {
                        test: "StringEquals",
                        variable: claim("aud"),
                        values: vec!["sts.amazonaws.com".into()],
                    },
                ],
            }],
        },
    )?;
    let role = config.resource(
        "external_secrets",
        &IamRole {
            name: reader.role_name.clone(),
            description: format!("External Secrets in {}", regional.cluster_name),
            assume_role_policy: trust.attr("json"),
        },
    )?;
    config.resource(
        "external_secrets",
        &IamRolePolicy {
            name: "read-platform-secrets".into(),
            role: role.attr("id"),
            policy: PolicyDocument::new(vec![Statement::allow(
                &[
                    "secretsmanager:DescribeSecret",
                    "secretsmanager:GetSecretValue",
                ],
                reader.secret_arns.clone(),
            )])
            .render()?,
        },
    )?;
    Ok(role)
}

/// The block names of the services' identity resources, in the order of `identities`.
pub(super) fn identity_blocks(identities: &[WorkloadIdentity]) -> Vec<String> {
    let texts: Vec<String> = identities
        .iter()
        .map(|identity| format!("{}_{}", identity.tenant, identity.service))
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
            description: format!(
                "Service {}/{} in {}",
                identity.tenant, identity.service, regional.cluster_name
            ),
            assume_role_policy: PolicyDocument::new(vec![trust]).render()?,
        },
    )?;
    let statements = identity
        .permissions
        .iter()
        .map(|permission| {
            let mut statement = Statement::allow(&permission.actions, permission.resources.clone());
            if let Some((test, key, values)) = &permission.condition {
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
