//! Typed arguments of the hashicorp/aws (6.x) resources and data sources pave generates. Field
//! names are the provider's argument names; `None` leaves an argument unset. A nested block with
//! at most one instance is a struct (written as a JSON object), a repeatable one a `Vec`.

use std::collections::BTreeMap;

use serde::Serialize;

use super::model::{DataSource, Resource};

/// Tags of one resource (the provider adds its default tags).
pub(super) type Tags = BTreeMap<String, String>;

/// A `Name` tag, which the AWS console shows as the resource's name.
pub(super) fn name_tag(name: &str) -> Option<Tags> {
    Some(BTreeMap::from([("Name".to_string(), name.to_string())]))
}

macro_rules! resource {
    ($type:literal, $name:ident) => {
        impl Resource for $name {
            const TYPE: &'static str = $type;
        }
    };
}

macro_rules! data_source {
    ($type:literal, $name:ident) => {
        impl DataSource for $name {
            const TYPE: &'static str = $type;
        }
    };
}

// Network.

#[derive(Debug, Serialize)]
pub(super) struct Vpc {
    pub cidr_block: String,
    pub enable_dns_hostnames: bool,
    pub enable_dns_support: bool,
    pub tags: Option<Tags>,
}
resource!("aws_vpc", Vpc);

/// Adopts the VPC's default security group; with no rules given, Terraform removes them all.
#[derive(Debug, Serialize)]
pub(super) struct DefaultSecurityGroup {
    pub vpc_id: String,
    pub tags: Option<Tags>,
}
resource!("aws_default_security_group", DefaultSecurityGroup);

/// A security group; without `egress` blocks Terraform removes the default allow-all egress.
#[derive(Debug, Serialize)]
pub(super) struct SecurityGroup {
    pub name: String,
    pub description: String,
    pub vpc_id: String,
    pub tags: Option<Tags>,
}
resource!("aws_security_group", SecurityGroup);

#[derive(Debug, Serialize)]
pub(super) struct VpcSecurityGroupIngressRule {
    pub security_group_id: String,
    pub description: String,
    pub ip_protocol: &'static str,
    pub from_port: u16,
    pub to_port: u16,
    pub cidr_ipv4: String,
}
resource!(
    "aws_vpc_security_group_ingress_rule",
    VpcSecurityGroupIngressRule
);

#[derive(Debug, Serialize)]
pub(super) struct DbSubnetGroup {
    pub name: String,
    pub description: String,
    pub subnet_ids: Vec<String>,
    pub tags: Option<Tags>,
}
resource!("aws_db_subnet_group", DbSubnetGroup);

#[derive(Debug, Serialize)]
pub(super) struct ElasticacheSubnetGroup {
    pub name: String,
    pub description: String,
    pub subnet_ids: Vec<String>,
    pub tags: Option<Tags>,
}
resource!("aws_elasticache_subnet_group", ElasticacheSubnetGroup);

#[derive(Debug, Serialize)]
pub(super) struct Subnet {
    pub vpc_id: String,
    pub cidr_block: String,
    pub availability_zone_id: String,
    pub map_public_ip_on_launch: bool,
    pub tags: Option<Tags>,
}
resource!("aws_subnet", Subnet);

#[derive(Debug, Serialize)]
pub(super) struct InternetGateway {
    pub vpc_id: String,
    pub tags: Option<Tags>,
}
resource!("aws_internet_gateway", InternetGateway);

#[derive(Debug, Serialize)]
pub(super) struct Eip {
    pub domain: &'static str,
    pub tags: Option<Tags>,
}
resource!("aws_eip", Eip);

#[derive(Debug, Serialize)]
pub(super) struct NatGateway {
    pub allocation_id: String,
    pub subnet_id: String,
    pub tags: Option<Tags>,
}
resource!("aws_nat_gateway", NatGateway);

#[derive(Debug, Serialize)]
pub(super) struct RouteTable {
    pub vpc_id: String,
    pub tags: Option<Tags>,
}
resource!("aws_route_table", RouteTable);

#[derive(Debug, Serialize)]
pub(super) struct Route {
    pub route_table_id: String,
    pub destination_cidr_block: &'static str,
    pub gateway_id: Option<String>,
    pub nat_gateway_id: Option<String>,
}
resource!("aws_route", Route);

#[derive(Debug, Serialize)]
pub(super) struct RouteTableAssociation {
    pub route_table_id: String,
    pub subnet_id: String,
}
resource!("aws_route_table_association", RouteTableAssociation);

#[derive(Debug, Serialize)]
pub(super) struct FlowLog {
    pub vpc_id: String,
    pub traffic_type: &'static str,
    pub log_destination_type: &'static str,
    pub log_destination: String,
    pub iam_role_arn: String,
    pub max_aggregation_interval: u32,
    pub tags: Option<Tags>,
}
resource!("aws_flow_log", FlowLog);

#[derive(Debug, Serialize)]
pub(super) struct CloudwatchLogGroup {
    /// Another region than the provider's (Route 53 query logs live in us-east-1).
    pub region: Option<String>,
    pub name: String,
    pub retention_in_days: u32,
    pub kms_key_id: String,
}
resource!("aws_cloudwatch_log_group", CloudwatchLogGroup);

#[derive(Debug, Serialize)]
pub(super) struct CloudwatchLogResourcePolicy {
    pub region: Option<String>,
    pub policy_name: String,
    pub policy_document: String,
}
resource!(
    "aws_cloudwatch_log_resource_policy",
    CloudwatchLogResourcePolicy
);

#[derive(Debug, Serialize)]
pub(super) struct EbsEncryptionByDefault {
    pub enabled: bool,
}
resource!("aws_ebs_encryption_by_default", EbsEncryptionByDefault);

// Encryption keys.

#[derive(Debug, Serialize)]
pub(super) struct KmsKey {
    /// Another region than the provider's.
    pub region: Option<String>,
    pub description: String,
    /// `None` for symmetric encryption keys; asymmetric signing keys set both.
    pub customer_master_key_spec: Option<&'static str>,
    pub key_usage: Option<&'static str>,
    /// Only symmetric keys rotate.
    pub enable_key_rotation: Option<bool>,
    pub deletion_window_in_days: u32,
    pub policy: String,
}
resource!("aws_kms_key", KmsKey);

impl KmsKey {
    /// A symmetric encryption key, rotated yearly.
    pub(super) fn symmetric(
        description: String,
        deletion_window_in_days: u32,
        policy: String,
    ) -> Self {
        KmsKey {
            region: None,
            description,
            customer_master_key_spec: None,
            key_usage: None,
            enable_key_rotation: Some(true),
            deletion_window_in_days,
            policy,
        }
    }
}

#[derive(Debug, Serialize)]
pub(super) struct KmsAlias {
    /// Another region than the provider's (the key's).
    pub region: Option<String>,
    pub name: String,
    pub target_key_id: String,
}
resource!("aws_kms_alias", KmsAlias);

// Secrets.

/// A secret without a value: the value is a `aws_secretsmanager_secret_version`, which pave
/// never generates.
#[derive(Debug, Serialize)]
pub(super) struct SecretsmanagerSecret {
    pub name: String,
    pub description: String,
    pub kms_key_id: String,
    pub recovery_window_in_days: u32,
    pub tags: Option<Tags>,
}
resource!("aws_secretsmanager_secret", SecretsmanagerSecret);

/// The value of a secret: only for values Terraform itself knows (attributes of what it
/// created), never for a credential a person owns.
#[derive(Debug, Serialize)]
pub(super) struct SecretsmanagerSecretVersion {
    pub secret_id: String,
    pub secret_string: String,
}
resource!(
    "aws_secretsmanager_secret_version",
    SecretsmanagerSecretVersion
);

// IAM.

#[derive(Debug, Serialize)]
pub(super) struct IamRole {
    pub name: String,
    pub description: String,
    pub assume_role_policy: String,
}
resource!("aws_iam_role", IamRole);

#[derive(Debug, Serialize)]
pub(super) struct IamRolePolicy {
    pub name: String,
    pub role: String,
    pub policy: String,
}
resource!("aws_iam_role_policy", IamRolePolicy);

#[derive(Debug, Serialize)]
pub(super) struct IamRolePolicyAttachment {
    pub role: String,
    pub policy_arn: String,
}
resource!("aws_iam_role_policy_attachment", IamRolePolicyAttachment);

#[derive(Debug, Serialize)]
pub(super) struct IamOpenidConnectProvider {
    pub url: String,
    pub client_id_list: Vec<&'static str>,
}
resource!("aws_iam_openid_connect_provider", IamOpenidConnectProvider);

// EKS.

#[derive(Debug, Serialize)]
pub(super) struct EksCluster {
    pub name: String,
    pub version: String,
    pub role_arn: String,
    pub enabled_cluster_log_types: Vec<&'static str>,
    pub deletion_protection: bool,
    pub vpc_config: EksVpcConfig,
    pub encryption_config: EksEncryptionConfig,
    pub access_config: EksAccessConfig,
}
resource!("aws_eks_cluster", EksCluster);

#[derive(Debug, Serialize)]
pub(super) struct EksVpcConfig {
    pub subnet_ids: Vec<String>,
    pub endpoint_private_access: bool,
    pub endpoint_public_access: bool,
    pub public_access_cidrs: Option<Vec<String>>,
}

#[derive(Debug, Serialize)]
pub(super) struct EksEncryptionConfig {
    pub resources: Vec<&'static str>,
    pub provider: EksEncryptionProvider,
}

#[derive(Debug, Serialize)]
pub(super) struct EksEncryptionProvider {
    pub key_arn: String,
}

#[derive(Debug, Serialize)]
pub(super) struct EksAccessConfig {
    pub authentication_mode: &'static str,
    pub bootstrap_cluster_creator_admin_permissions: bool,
}

#[derive(Debug, Serialize)]
pub(super) struct EksNodeGroup {
    pub cluster_name: String,
    pub node_group_name: String,
    pub node_role_arn: String,
    pub subnet_ids: Vec<String>,
    pub instance_types: Vec<String>,
    pub ami_type: &'static str,
    pub capacity_type: &'static str,
    pub scaling_config: EksScalingConfig,
    pub update_config: EksUpdateConfig,
    pub labels: Option<BTreeMap<String, String>>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub taint: Vec<EksTaint>,
    pub tags: Option<Tags>,
}
resource!("aws_eks_node_group", EksNodeGroup);

#[derive(Debug, Serialize)]
pub(super) struct EksScalingConfig {
    pub min_size: u32,
    pub max_size: u32,
    pub desired_size: u32,
}

#[derive(Debug, Serialize)]
pub(super) struct EksUpdateConfig {
    pub max_unavailable: u32,
}

#[derive(Debug, Serialize)]
pub(super) struct EksTaint {
    pub key: String,
    pub value: Option<String>,
    pub effect: &'static str,
}

#[derive(Debug, Serialize)]
pub(super) struct EksAddon {
    pub cluster_name: String,
    pub addon_name: &'static str,
    /// The add-on's advanced configuration, a JSON document in a string.
    pub configuration_values: Option<&'static str>,
    pub resolve_conflicts_on_create: &'static str,
    pub resolve_conflicts_on_update: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pod_identity_association: Option<EksAddonPodIdentity>,
}
resource!("aws_eks_addon", EksAddon);

/// The Pod Identity association an EKS add-on creates for its ServiceAccount.
#[derive(Debug, Serialize)]
pub(super) struct EksAddonPodIdentity {
    pub role_arn: String,
    pub service_account: String,
}

#[derive(Debug, Serialize)]
pub(super) struct EksAccessEntry {
    pub cluster_name: String,
    pub principal_arn: String,
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub kubernetes_groups: Option<Vec<String>>,
}
resource!("aws_eks_access_entry", EksAccessEntry);

#[derive(Debug, Serialize)]
pub(super) struct EksAccessPolicyAssociation {
    pub cluster_name: String,
    pub principal_arn: String,
    pub policy_arn: String,
    pub access_scope: EksAccessScope,
}
resource!(
    "aws_eks_access_policy_association",
    EksAccessPolicyAssociation
);

#[derive(Debug, Serialize)]
pub(super) struct EksAccessScope {
    #[serde(rename = "type")]
    pub kind: &'static str,
}

#[derive(Debug, Serialize)]
pub(super) struct EksPodIdentityAssociation {
    pub cluster_name: String,
    pub namespace: String,
    pub service_account: String,
    pub role_arn: String,
}
resource!(
    "aws_eks_pod_identity_association",
    EksPodIdentityAssociation
);

// Registry.

#[derive(Debug, Serialize)]
pub(super) struct EcrRepository {
    pub name: String,
    pub image_tag_mutability: &'static str,
    pub image_scanning_configuration: EcrScanning,
    pub encryption_configuration: EcrEncryption,
}
resource!("aws_ecr_repository", EcrRepository);

#[derive(Debug, Serialize)]
pub(super) struct EcrScanning {
    pub scan_on_push: bool,
}

#[derive(Debug, Serialize)]
pub(super) struct EcrEncryption {
    pub encryption_type: &'static str,
    pub kms_key: String,
}

#[derive(Debug, Serialize)]
pub(super) struct EcrLifecyclePolicy {
    pub repository: String,
    pub policy: String,
}
resource!("aws_ecr_lifecycle_policy", EcrLifecyclePolicy);

#[derive(Debug, Serialize)]
pub(super) struct EcrRepositoryPolicy {
    pub repository: String,
    pub policy: String,
}
resource!("aws_ecr_repository_policy", EcrRepositoryPolicy);

// DNS and certificates.

#[derive(Debug, Serialize)]
pub(super) struct Route53Zone {
    pub name: String,
    pub comment: String,
}
resource!("aws_route53_zone", Route53Zone);

#[derive(Debug, Serialize)]
pub(super) struct Route53KeySigningKey {
    pub hosted_zone_id: String,
    pub key_management_service_arn: String,
    pub name: String,
}
resource!("aws_route53_key_signing_key", Route53KeySigningKey);

#[derive(Debug, Serialize)]
pub(super) struct Route53HostedZoneDnssec {
    pub hosted_zone_id: String,
}
resource!("aws_route53_hosted_zone_dnssec", Route53HostedZoneDnssec);

#[derive(Debug, Serialize)]
pub(super) struct Route53QueryLog {
    pub zone_id: String,
    pub cloudwatch_log_group_arn: String,
}
resource!("aws_route53_query_log", Route53QueryLog);

#[derive(Debug, Serialize)]
pub(super) struct Route53ZoneLookup {
    pub name: Option<String>,
    pub zone_id: Option<String>,
    pub private_zone: bool,
}
data_source!("aws_route53_zone", Route53ZoneLookup);

#[derive(Debug, Serialize)]
pub(super) struct Route53Record {
    pub zone_id: String,
    pub name: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub ttl: u32,
    pub records: Vec<String>,
    pub allow_overwrite: bool,
}
resource!("aws_route53_record", Route53Record);

/// A record whose values are one expression (a list attribute of another block).
#[derive(Debug, Serialize)]
pub(super) struct Route53RecordOf {
    pub zone_id: String,
    pub name: String,
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub ttl: u32,
    pub records: String,
}
resource!("aws_route53_record", Route53RecordOf);

#[derive(Debug, Serialize)]
pub(super) struct AcmCertificate {
    pub domain_name: String,
    pub validation_method: &'static str,
    pub key_algorithm: &'static str,
    pub options: AcmOptions,
    pub tags: Option<Tags>,
}
resource!("aws_acm_certificate", AcmCertificate);

#[derive(Debug, Serialize)]
pub(super) struct AcmOptions {
    pub certificate_transparency_logging_preference: &'static str,
}

#[derive(Debug, Serialize)]
pub(super) struct AcmCertificateValidation {
    pub certificate_arn: String,
    pub validation_record_fqdns: Vec<String>,
}
resource!("aws_acm_certificate_validation", AcmCertificateValidation);

// Node provisioning (Karpenter).

/// A standard queue; `sqs_managed_sse_enabled` encrypts it with SQS-owned keys, which
/// EventBridge can send to without a key policy (a customer managed key would need one granting
/// `events.amazonaws.com`).
#[derive(Debug, Serialize)]
pub(super) struct SqsQueue {
    pub name: String,
    pub message_retention_seconds: u32,
    pub sqs_managed_sse_enabled: bool,
    pub tags: Option<Tags>,
}
resource!("aws_sqs_queue", SqsQueue);

#[derive(Debug, Serialize)]
pub(super) struct SqsQueuePolicy {
    pub queue_url: String,
    pub policy: String,
}
resource!("aws_sqs_queue_policy", SqsQueuePolicy);

#[derive(Debug, Serialize)]
pub(super) struct CloudwatchEventRule {
    pub name: String,
    pub description: String,
    pub event_pattern: String,
    pub tags: Option<Tags>,
}
resource!("aws_cloudwatch_event_rule", CloudwatchEventRule);

#[derive(Debug, Serialize)]
pub(super) struct CloudwatchEventTarget {
    pub rule: String,
    pub target_id: String,
    pub arn: String,
}
resource!("aws_cloudwatch_event_target", CloudwatchEventTarget);

/// One tag on a resource another resource created (the cluster security group EKS makes).
#[derive(Debug, Serialize)]
pub(super) struct Ec2Tag {
    pub resource_id: String,
    pub key: String,
    pub value: String,
}
resource!("aws_ec2_tag", Ec2Tag);

/// A security group found by its tags.
#[derive(Debug, Serialize)]
pub(super) struct SecurityGroupLookup {
    pub vpc_id: String,
    pub tags: Tags,
}
data_source!("aws_security_group", SecurityGroupLookup);
