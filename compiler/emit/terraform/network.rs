//! The VPC of one environment in one region: three availability zones (by AZ id), public subnets (load
//! balancers, NAT gateways) and private subnets (nodes, pods) tagged for the AWS Load Balancer
//! Controller (and `karpenter.sh/discovery` when an add-on launches nodes), an internet gateway, NAT gateways (one per zone in production, one elsewhere),
//! route tables, flow logs to an encrypted log group, and the default security group closed.

use super::aws::{
    CloudwatchLogGroup, DbSubnetGroup, DefaultSecurityGroup, Eip, ElasticacheSubnetGroup, FlowLog,
    IamRole, IamRolePolicy, InternetGateway, KmsAlias, KmsKey, NatGateway, Route, RouteTable,
    RouteTableAssociation, SecurityGroup, Subnet, Tags, Vpc, VpcSecurityGroupIngressRule, name_tag,
};
use super::model::{Address, Config};
use super::policy::{PolicyDocument, Statement, logs_key_policy};
use crate::emit::crossplane::environment;
use crate::lower::{
    DATA_SECURITY_GROUP, DISCOVERY_TAG, RegionalFoundation, ZONES, private_subnet_name,
};

/// What the cluster needs from the network.
pub(super) struct NetworkRefs {
    pub private_subnet_ids: Vec<String>,
    /// The key encrypting the module's log groups.
    pub logs_key: Address,
    /// The data network (when the environment's services require databases or caches): the
    /// fields of the cluster's EnvironmentConfig `pave-network`, as Terraform expressions.
    pub data: Option<DataNetwork>,
}

/// Where the Compositions place databases and caches: each field of the EnvironmentConfig
/// `pave-network` (function-patch-and-transform reads them by these names) with its Terraform
/// expression, named by the constants of `emit/crossplane/environment.rs`, which the
/// EnvironmentConfig that Flux fills from the module's secret uses too.
pub(super) struct DataNetwork {
    pub fields: Vec<(&'static str, String)>,
}

pub(super) fn emit(
    config: &mut Config,
    regional: &RegionalFoundation,
) -> Result<NetworkRefs, String> {
    let cluster = &regional.cluster_name;
    let network = &regional.network;
    // The zones are chosen by AZ id (`lower::Network::zones`): the same physical zones in
    // every account, none where EKS cannot place a control plane; a subnet in an id the
    // account's region lacks fails at apply.
    let logs_key = logs_key(config, regional)?;

    let vpc = config.resource(
        "main",
        &Vpc {
            cidr_block: network.vpc_cidr.to_string(),
            enable_dns_hostnames: true,
            enable_dns_support: true,
            tags: name_tag(cluster),
        },
    )?;
    config.resource(
        "default",
        &DefaultSecurityGroup {
            vpc_id: vpc.attr("id"),
            tags: name_tag(&format!("{cluster}-default-closed")),
        },
    )?;
    let gateway = config.resource(
        "main",
        &InternetGateway {
            vpc_id: vpc.attr("id"),
            tags: name_tag(cluster),
        },
    )?;

    let subnet_tags = |kind: &str, zone: usize, role: &str| -> Option<Tags> {
        let mut tags = name_tag(&format!("{cluster}-{kind}-{zone}"))?;
        tags.insert(format!("kubernetes.io/role/{role}"), "1".into());
        tags.insert(format!("kubernetes.io/cluster/{cluster}"), "shared".into());
        // Nodes an add-on launches (Karpenter) go in the private subnets, found by this tag.
        if kind == "private" {
            for nodes in &regional.node_provisioners {
                tags.insert(DISCOVERY_TAG.to_string(), nodes.discovery.clone());
            }
        }
        Some(tags)
    };
    let mut public_subnets = Vec::new();
    let mut private_subnets = Vec::new();
    for zone in 0..ZONES {
        let (Some(public), Some(private)) = (
            network.public_subnets.get(zone),
            network.private_subnets.get(zone),
        ) else {
            return Err(format!(
                "the network of `{cluster}` has fewer than {ZONES} subnets"
            ));
        };
        let Some(availability_zone_id) = network.zones.get(zone).cloned() else {
            return Err(format!(
                "the network of `{cluster}` has fewer than {ZONES} zones"
            ));
        };
        public_subnets.push(config.resource(
            &format!("public_{zone}"),
            &Subnet {
                vpc_id: vpc.attr("id"),
                cidr_block: public.to_string(),
                availability_zone_id: availability_zone_id.clone(),
                map_public_ip_on_launch: false,
                tags: subnet_tags("public", zone, "elb"),
            },
        )?);
        // `${network.dataSubnetIds}` of a `terraform` resource type names these.
        private_subnets.push(config.resource(
            &private_subnet_name(zone),
            &Subnet {
                vpc_id: vpc.attr("id"),
                cidr_block: private.to_string(),
                availability_zone_id,
                map_public_ip_on_launch: false,
                tags: subnet_tags("private", zone, "internal-elb"),
            },
        )?);
    }

    // Public subnets route to the internet gateway.
    let public_table = config.resource(
        "public",
        &RouteTable {
            vpc_id: vpc.attr("id"),
            tags: name_tag(&format!("{cluster}-public")),
        },
    )?;
    config.resource(
        "public_internet",
        &Route {
            route_table_id: public_table.attr("id"),
            destination_cidr_block: "0.0.0.0/0",
            gateway_id: Some(gateway.attr("id")),
            nat_gateway_id: None,
        },
    )?;
    for (zone, subnet) in public_subnets.iter().enumerate() {
        config.resource(
            &format!("public_{zone}"),
            &RouteTableAssociation {
                route_table_id: public_table.attr("id"),
                subnet_id: subnet.attr("id"),
            },
        )?;
    }

    // NAT gateways in the first zones' public subnets; each private subnet has its own table so
    // that going from one NAT gateway to three changes routes only.
    let mut nat_gateways = Vec::new();
    for (zone, subnet) in public_subnets.iter().enumerate().take(network.nat_gateways) {
        let ip = config.resource(
            &format!("nat_{zone}"),
            &Eip {
                domain: "vpc",
                tags: name_tag(&format!("{cluster}-nat-{zone}")),
            },
        )?;
        nat_gateways.push(config.resource_after(
            &format!("zone_{zone}"),
            &NatGateway {
                allocation_id: ip.attr("id"),
                subnet_id: subnet.attr("id"),
                tags: name_tag(&format!("{cluster}-{zone}")),
            },
            &[&gateway],
        )?);
    }
    for (zone, subnet) in private_subnets.iter().enumerate() {
        let table = config.resource(
            &format!("private_{zone}"),
            &RouteTable {
                vpc_id: vpc.attr("id"),
                tags: name_tag(&format!("{cluster}-private-{zone}")),
            },
        )?;
        let nat = nat_gateways
            .get(zone)
            .or_else(|| nat_gateways.first())
            .ok_or_else(|| format!("the network of `{cluster}` has no NAT gateway"))?;
        config.resource(
            &format!("private_{zone}_nat"),
            &Route {
                route_table_id: table.attr("id"),
                destination_cidr_block: "0.0.0.0/0",
                gateway_id: None,
                nat_gateway_id: Some(nat.attr("id")),
            },
        )?;
        config.resource(
            &format!("private_{zone}"),
            &RouteTableAssociation {
                route_table_id: table.attr("id"),
                subnet_id: subnet.attr("id"),
            },
        )?;
    }

    flow_logs(config, regional, &vpc, &logs_key)?;

    let ids =
        |subnets: &[Address]| -> Vec<String> { subnets.iter().map(|s| s.attr("id")).collect() };
    config.output("vpc_id", "The VPC's id.", vpc.attr("id"))?;
    config.output(
        "private_subnet_ids",
        "Subnets of the nodes and pods, one per availability zone.",
        ids(&private_subnets),
    )?;
    config.output(
        "public_subnet_ids",
        "Subnets of internet-facing load balancers, one per availability zone.",
        ids(&public_subnets),
    )?;
    let data = if regional.data_ports.is_empty() {
        None
    } else {
        Some(data_network(config, regional, &vpc, ids(&private_subnets))?)
    };
    Ok(NetworkRefs {
        private_subnet_ids: ids(&private_subnets),
        logs_key,
        data,
    })
}

/// Where the managed databases and caches of the cluster's tenants go: subnet groups over the
/// private subnets (whose ids are given too, for services placed by subnet), and a security group admitting the VPC on their ports only (no egress). The
/// `pave_network` output is the data of the cluster's EnvironmentConfig `pave-network`, which
/// the module also writes into Secrets Manager (`secrets.rs`) for the cluster to read.
fn data_network(
    config: &mut Config,
    regional: &RegionalFoundation,
    vpc: &Address,
    private_subnet_ids: Vec<String>,
) -> Result<DataNetwork, String> {
    let name = format!("{}-data", regional.cluster_name);
    let db = config.resource(
        "data",
        &DbSubnetGroup {
            name: name.clone(),
            description: "Managed databases of the cluster's tenants".into(),
            subnet_ids: private_subnet_ids.clone(),
            tags: name_tag(&name),
        },
    )?;
    let cache = config.resource(
        "data",
        &ElasticacheSubnetGroup {
            name: name.clone(),
            description: "Managed caches of the cluster's tenants".into(),
            subnet_ids: private_subnet_ids.clone(),
            tags: name_tag(&name),
        },
    )?;
    // `${network.securityGroupId}` of a `terraform` resource type names it.
    let group = config.resource(
        DATA_SECURITY_GROUP,
        &SecurityGroup {
            name: name.clone(),
            description: "Managed databases and caches: reachable from the VPC on their ports"
                .into(),
            vpc_id: vpc.attr("id"),
            tags: name_tag(&name),
        },
    )?;
    for port in &regional.data_ports {
        config.resource(
            &format!("data_{port}"),
            &VpcSecurityGroupIngressRule {
                security_group_id: group.attr("id"),
                description: format!("TCP {port} from the VPC"),
                ip_protocol: "tcp",
                from_port: *port,
                to_port: *port,
                cidr_ipv4: regional.network.vpc_cidr.to_string(),
            },
        )?;
    }
    let mut fields = vec![
        (environment::DB_SUBNET_GROUP, db.attr("name")),
        (environment::CACHE_SUBNET_GROUP, cache.attr("name")),
        (environment::SECURITY_GROUP, group.attr("id")),
    ];
    // The subnets the groups span, by zone, for services placed by subnet (Amazon MQ,
    // OpenSearch Service).
    if private_subnet_ids.len() != environment::DATA_SUBNET.len() {
        return Err(format!(
            "the network of `{}` has {} private subnets, not one per zone",
            regional.cluster_name,
            private_subnet_ids.len()
        ));
    }
    fields.extend(environment::DATA_SUBNET.into_iter().zip(private_subnet_ids));
    let data = DataNetwork { fields };
    config.output(
        "pave_network",
        "The data of the cluster's EnvironmentConfig `pave-network`, where the Compositions place databases and caches (also in Secrets Manager, which the cluster reads).",
        serde_json::Value::Object(
            data.fields
                .iter()
                .map(|(name, value)| (name.to_string(), serde_json::json!(value)))
                .collect(),
        ),
    )?;
    Ok(data)
}

/// The key of the module's log groups.
fn logs_key(config: &mut Config, regional: &RegionalFoundation) -> Result<Address, String> {
    let location = &regional.location;
    let key = config.resource(
        "logs",
        &KmsKey::symmetric(
            format!("Log groups of {}", regional.cluster_name),
            regional.key_deletion_window_days,
            logs_key_policy(location, &location.region)?,
        ),
    )?;
    config.resource(
        "logs",
        &KmsAlias {
            region: None,
            name: format!("alias/{}-logs", regional.cluster_name),
            target_key_id: key.attr("key_id"),
        },
    )?;
    Ok(key)
}

/// Every accepted and rejected flow of the VPC, to a log group kept for the retention period.
fn flow_logs(
    config: &mut Config,
    regional: &RegionalFoundation,
    vpc: &Address,
    logs_key: &Address,
) -> Result<(), String> {
    let location = &regional.location;
    let group_name = format!("/aws/vpc-flow-logs/{}", regional.cluster_name);
    let group = config.resource(
        "flow_logs",
        &CloudwatchLogGroup {
            region: None,
            name: group_name.clone(),
            retention_in_days: regional.log_retention_days,
            kms_key_id: logs_key.attr("arn"),
        },
    )?;
    let group_arn = location.arn("logs", &format!("log-group:{group_name}"));
    let trust = PolicyDocument::new(vec![
        Statement::trust(
            "Service",
            vec!["vpc-flow-logs.amazonaws.com".into()],
            &["sts:AssumeRole"],
        )
        .condition(
            "StringEquals",
            "aws:SourceAccount",
            vec![location.account_id.clone()],
        )
        .condition(
            "ArnLike",
            "aws:SourceArn",
            vec![location.arn("ec2", "vpc-flow-log/*")],
        ),
    ])
    .render()?;
    let role = config.resource(
        "flow_logs",
        &IamRole {
            name: regional.role_name("flow-logs"),
            description: format!("VPC flow logs of {}", regional.cluster_name),
            assume_role_policy: trust,
        },
    )?;
    let policy = PolicyDocument::new(vec![
        Statement::allow(
            &[
                "logs:CreateLogStream",
                "logs:DescribeLogStreams",
                "logs:PutLogEvents",
            ],
            vec![group_arn.clone(), format!("{group_arn}:*")],
        ),
        // A list call: IAM checks it against every log group of the account and region.
        Statement::allow(
            &["logs:DescribeLogGroups"],
            vec![location.arn("logs", "log-group:*")],
        ),
    ])
    .render()?;
    let policy = config.resource(
        "flow_logs",
        &IamRolePolicy {
            name: "write-flow-logs".into(),
            role: role.attr("id"),
            policy,
        },
    )?;
    config.resource_after(
        "main",
        &FlowLog {
            vpc_id: vpc.attr("id"),
            traffic_type: "ALL",
            log_destination_type: "cloud-watch-logs",
            log_destination: group.attr("arn"),
            iam_role_arn: role.attr("arn"),
            max_aggregation_interval: 60,
            tags: name_tag(&regional.cluster_name),
        },
        &[&policy],
    )?;
    Ok(())
}
