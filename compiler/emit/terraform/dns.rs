//! The environment's public hosted zone and a DNS-validated ACM certificate for each of its
//! ingress hosts (the services' and the add-ons' `host`). The zone is created by the root module of the environment's first region (or
//! is an existing one); the other regions look it up. A zone pave creates is signed with DNSSEC
//! and logs its queries. Certificates are regional, so each region has its own, validated by the
//! same record (written by whichever region comes first).

use serde_json::Value;

use super::aws::{
    AcmCertificate, AcmCertificateValidation, AcmOptions, CloudwatchLogGroup,
    CloudwatchLogResourcePolicy, IamRole, IamRolePolicy, KmsAlias, KmsKey, Route53HostedZoneDnssec,
    Route53KeySigningKey, Route53QueryLog, Route53Record, Route53RecordOf, Route53Zone,
    Route53ZoneLookup, name_tag,
};
use super::backend::{AssumeRole, AwsProvider, DefaultTags};
use super::model::{Address, Config, Meta, block_name, block_names};
use super::policy::{PolicyDocument, Statement, logs_key_policy};
use crate::lower::{RegionalFoundation, ZoneDelegation, ZoneSource};

/// Route 53 is global, but its DNSSEC signing keys and query log groups live in us-east-1.
const ROUTE53_REGION: &str = "us-east-1";

pub(super) fn emit(
    config: &mut Config,
    regional: &RegionalFoundation,
    logs_key: &Address,
) -> Result<(), String> {
    let zone_name = &regional.dns.zone;
    let zone: Option<Address> = match &regional.dns.zone_source {
        ZoneSource::Create => {
            let zone = config.resource(
                "main",
                &Route53Zone {
                    name: zone_name.clone(),
                    comment: format!("Host names of environment {}", regional.environment),
                },
            )?;
            config.output(
                "dns_name_servers",
                "Name servers of the zone, to delegate it from its parent.",
                zone.attr("name_servers"),
            )?;
            let signed = dnssec(config, regional, &zone)?;
            query_logs(config, regional, &zone, logs_key)?;
            if let Some(delegation) = &regional.dns.delegation {
                delegate(config, regional, delegation, &zone, &signed)?;
            }
            if let Some(role) = &regional.dns.delegation_role {
                delegation_role(config, regional, role, &zone)?;
            }
            Some(zone)
        }
        ZoneSource::Existing(id) => Some(config.data(
            "main",
            &Route53ZoneLookup {
                name: None,
                zone_id: Some(id.clone()),
                private_zone: false,
            },
        )?),
        ZoneSource::LookUp if regional.certificates.is_empty() => None,
        ZoneSource::LookUp => Some(config.data(
            "main",
            &Route53ZoneLookup {
                name: Some(zone_name.clone()),
                zone_id: None,
                private_zone: false,
            },
        )?),
    };
    let Some(zone) = zone else {
        return Ok(());
    };
    config.output(
        "dns_zone_id",
        "The environment's hosted zone.",
        zone.attr("zone_id"),
    )?;

    let mut arns = serde_json::Map::new();
    let blocks = block_names(regional.certificates.iter().map(String::as_str));
    for (host, block) in regional.certificates.iter().zip(blocks) {
        // A certificate in use by a load balancer cannot be deleted before its replacement exists.
        let certificate = config.resource_with(
            &block,
            &AcmCertificate {
                domain_name: host.clone(),
                validation_method: "DNS",
                key_algorithm: "EC_prime256v1",
                options: AcmOptions {
                    certificate_transparency_logging_preference: "ENABLED",
                },
                tags: name_tag(host),
            },
            &Meta {
                create_before_destroy: true,
                ..Meta::default()
            },
        )?;
        let option = |field: &str| {
            certificate.expr(
                "tolist(",
                "domain_validation_options",
                &format!(")[0].{field}"),
            )
        };
        let record = config.resource(
            &block,
            &Route53Record {
                zone_id: zone.attr("zone_id"),
                name: option("resource_record_name"),
                kind: option("resource_record_type"),
                ttl: 300,
                records: vec![option("resource_record_value")],
                // Every region validates its certificate for the host with the same record.
                allow_overwrite: true,
            },
        )?;
        let validated = config.resource(
            &block,
            &AcmCertificateValidation {
                certificate_arn: certificate.attr("arn"),
                validation_record_fqdns: vec![record.attr("fqdn")],
            },
        )?;
        arns.insert(host.clone(), Value::from(validated.attr("certificate_arn")));
    }
    if !arns.is_empty() {
        config.output(
            "certificate_arns",
            "The validated certificate of each ingress host.",
            Value::Object(arns),
        )?;
    }
    Ok(())
}

/// Signs the zone: a key-signing key backed by an asymmetric KMS key in us-east-1. Validating
/// resolvers check the signatures once the parent zone holds the DS record (an output).
fn dnssec(
    config: &mut Config,
    regional: &RegionalFoundation,
    zone: &Address,
) -> Result<Signed, String> {
    let location = &regional.location;
    let service = "dnssec-route53.amazonaws.com".to_string();
    let policy = PolicyDocument::new(vec![
        Statement::trust("AWS", vec![location.iam_arn("root")], &["kms:*"])
            .sid("AccountAdministersTheKey")
            .resource_all(),
        Statement::trust(
            "Service",
            vec![service.clone()],
            &["kms:DescribeKey", "kms:GetPublicKey", "kms:Sign"],
        )
        .sid("Route53SignsThisAccountsZones")
        .resource_all()
        .condition(
            "StringEquals",
            "aws:SourceAccount",
            vec![location.account_id.clone()],
        )
        .condition(
            "ArnLike",
            "aws:SourceArn",
            vec![format!("arn:{}:route53:::hostedzone/*", location.partition)],
        ),
        Statement::trust("Service", vec![service], &["kms:CreateGrant"])
            .sid("Route53GrantsItselfTheKey")
            .resource_all()
            .condition("Bool", "kms:GrantIsForAWSResource", vec!["true".into()]),
    ])
    .render()?;
    let region = (location.region != ROUTE53_REGION).then(|| ROUTE53_REGION.to_string());
    let key = config.resource(
        "dnssec",
        &KmsKey {
            region: region.clone(),
            description: format!("DNSSEC signing of {}", regional.dns.zone),
            customer_master_key_spec: Some("ECC_NIST_P256"),
            key_usage: Some("SIGN_VERIFY"),
            enable_key_rotation: None,
            deletion_window_in_days: regional.key_deletion_window_days,
            policy,
        },
    )?;
    config.resource(
        "dnssec",
        &KmsAlias {
            region,
            name: format!(
                "alias/{}-dnssec",
                block_name(&regional.dns.zone).replace('_', "-")
            ),
            target_key_id: key.attr("key_id"),
        },
    )?;
    let signing_key = config.resource(
        "main",
        &Route53KeySigningKey {
            hosted_zone_id: zone.attr("id"),
            key_management_service_arn: key.attr("arn"),
            name: block_name(&regional.dns.zone),
        },
    )?;
    let signing = config.resource(
        "main",
        &Route53HostedZoneDnssec {
            hosted_zone_id: signing_key.attr("hosted_zone_id"),
        },
    )?;
    config.output(
        "dns_ds_record",
        "The DS record to add to the parent zone to complete the DNSSEC chain of trust.",
        signing_key.attr("ds_record"),
    )?;
    Ok(Signed {
        key: signing_key,
        signing,
    })
}

/// A zone's DNSSEC: its key-signing key (whose `ds_record` the parent zone publishes) and the
/// signing itself (on before the parent points resolvers at the key).
struct Signed {
    key: Address,
    signing: Address,
}

/// The provider configuration that writes into the parent zone's account.
const PARENT_PROVIDER: &str = "dns_parent";

/// The zone's NS and DS records in its parent zone, so that resolvers find it and validate its
/// signatures: written from here, as the name servers and the DS record exist only once this
/// module has created the zone. In another account, through the role the parent's root module
/// creates for exactly these records ([`delegation_role`]); the parent's module is applied first.
fn delegate(
    config: &mut Config,
    regional: &RegionalFoundation,
    delegation: &ZoneDelegation,
    zone: &Address,
    signed: &Signed,
) -> Result<(), String> {
    let location = &regional.location;
    let provider = match &delegation.role {
        Some(role) => {
            config.provider(
                "aws",
                &AwsProvider {
                    alias: Some(PARENT_PROVIDER),
                    region: location.region.clone(),
                    allowed_account_ids: vec![delegation.parent_account.clone()],
                    assume_role: Some(AssumeRole {
                        role_arn: format!(
                            "arn:{}:iam::{}:role/{role}",
                            location.partition, delegation.parent_account
                        ),
                    }),
                    default_tags: DefaultTags {
                        tags: regional.tags.clone(),
                    },
                },
            )?;
            Some(format!("aws.{PARENT_PROVIDER}"))
        }
        None => None,
    };
    let provider = provider.as_deref();
    let parent = config.data_from(
        "parent",
        &Route53ZoneLookup {
            name: Some(delegation.parent_zone.clone()),
            zone_id: None,
            private_zone: false,
        },
        provider,
    )?;
    // Two days, as Route 53 gives a zone's own NS record.
    const DELEGATION_TTL: u32 = 172_800;
    config.resource_with(
        "delegation_ns",
        &Route53RecordOf {
            zone_id: parent.attr("zone_id"),
            name: regional.dns.zone.clone(),
            kind: "NS",
            ttl: DELEGATION_TTL,
            records: zone.attr("name_servers"),
        },
        &Meta {
            provider,
            ..Meta::default()
        },
    )?;
    config.resource_with(
        "delegation_ds",
        &Route53Record {
            zone_id: parent.attr("zone_id"),
            name: regional.dns.zone.clone(),
            kind: "DS".into(),
            ttl: 3600,
            records: vec![signed.key.attr("ds_record")],
            allow_overwrite: false,
        },
        &Meta {
            provider,
            depends_on: &[&signed.signing],
            ..Meta::default()
        },
    )?;
    Ok(())
}

/// The role other accounts' root modules assume to delegate their zones from this one: each
/// child account may change only its own zone's NS and DS records here (Route 53's
/// `ChangeResourceRecordSetsNormalizedRecordNames` and `…RecordTypes` condition keys), and read
/// the zone to find it.
fn delegation_role(
    config: &mut Config,
    regional: &RegionalFoundation,
    name: &str,
    zone: &Address,
) -> Result<(), String> {
    let location = &regional.location;
    let children = &regional.dns.delegates;
    // The roles that apply the child accounts' Terraform (the Platform's admin roles there);
    // without any named, each child account decides which of its roles may (its own IAM
    // policies), never its users or root user.
    let mut named: Vec<String> = children
        .iter()
        .flat_map(|child| child.principals.iter().cloned())
        .collect();
    named.sort();
    named.dedup();
    let statement = if named.is_empty() {
        let mut accounts: Vec<String> = children
            .iter()
            .map(|child| format!("arn:{}:iam::{}:root", location.partition, child.account))
            .collect();
        accounts.sort();
        accounts.dedup();
        let roles = accounts
            .iter()
            .map(|root| root.replace(":root", ":role/*"))
            .collect();
        Statement::trust("AWS", accounts, &["sts:AssumeRole"]).condition(
            "ArnLike",
            "aws:PrincipalArn",
            roles,
        )
    } else {
        Statement::trust("AWS", named, &["sts:AssumeRole"])
    };
    let trust = PolicyDocument::new(vec![statement.sid("ChildZonesDeployers")]).render()?;
    let role = config.resource(
        "dns_delegation",
        &IamRole {
            name: name.to_string(),
            description: format!(
                "Writes the NS and DS records of the zones delegated from {}",
                regional.dns.zone
            ),
            assume_role_policy: trust,
        },
    )?;
    let zone_arn = format!(
        "arn:{}:route53:::hostedzone/{}",
        location.partition,
        zone.attr("zone_id")
    );
    let mut names: Vec<String> = children.iter().map(|child| child.zone.clone()).collect();
    names.sort();
    let policy = PolicyDocument::new(vec![
        Statement::allow(
            &["route53:ChangeResourceRecordSets"],
            vec![zone_arn.clone()],
        )
        .sid("OnlyTheDelegationRecords")
        .condition(
            "ForAllValues:StringEquals",
            "route53:ChangeResourceRecordSetsNormalizedRecordNames",
            names,
        )
        .condition(
            "ForAllValues:StringEquals",
            "route53:ChangeResourceRecordSetsRecordTypes",
            vec!["NS".into(), "DS".into()],
        ),
        Statement::allow(
            &["route53:GetHostedZone", "route53:ListResourceRecordSets"],
            vec![zone_arn],
        )
        .sid("ReadTheZone"),
        Statement::allow(
            &["route53:GetChange"],
            vec![format!("arn:{}:route53:::change/*", location.partition)],
        )
        .sid("WaitForChanges"),
        Statement::allow(
            &["route53:ListHostedZones", "route53:ListHostedZonesByName"],
            vec![],
        )
        .sid("FindTheZone")
        .resource_all(),
    ])
    .render()?;
    config.resource(
        "dns_delegation",
        &IamRolePolicy {
            name: name.to_string(),
            role: role.attr("id"),
            policy,
        },
    )?;
    Ok(())
}

/// Logs every query the zone answers to a log group in us-east-1, where Route 53 writes them.
fn query_logs(
    config: &mut Config,
    regional: &RegionalFoundation,
    zone: &Address,
    logs_key: &Address,
) -> Result<(), String> {
    let location = &regional.location;
    let in_route53_region = location.region == ROUTE53_REGION;
    let region = (!in_route53_region).then(|| ROUTE53_REGION.to_string());
    // The module's logs key serves when the module is in us-east-1; otherwise a key there.
    let key = if in_route53_region {
        logs_key.clone()
    } else {
        let key = config.resource(
            "dns_query_logs",
            &KmsKey {
                region: region.clone(),
                ..KmsKey::symmetric(
                    format!("Query logs of {}", regional.dns.zone),
                    regional.key_deletion_window_days,
                    logs_key_policy(location, ROUTE53_REGION)?,
                )
            },
        )?;
        config.resource(
            "dns_query_logs",
            &KmsAlias {
                region: region.clone(),
                name: format!("alias/{}-dns-query-logs", regional.cluster_name),
                target_key_id: key.attr("key_id"),
            },
        )?;
        key
    };
    let group_name = format!("/aws/route53/{}", regional.dns.zone);
    let group = config.resource(
        "dns_queries",
        &CloudwatchLogGroup {
            region: region.clone(),
            name: group_name.clone(),
            retention_in_days: regional.log_retention_days,
            kms_key_id: key.attr("arn"),
        },
    )?;
    let group_arn = format!(
        "arn:{}:logs:{ROUTE53_REGION}:{}:log-group:{group_name}",
        location.partition, location.account_id
    );
    let policy = config.resource(
        "dns_queries",
        &CloudwatchLogResourcePolicy {
            region,
            policy_name: format!("route53-query-logs-{}", regional.dns.zone),
            policy_document: PolicyDocument::new(vec![
                Statement::trust(
                    "Service",
                    vec!["route53.amazonaws.com".into()],
                    &["logs:CreateLogStream", "logs:PutLogEvents"],
                )
                .on(vec![format!("{group_arn}:*")])
                .condition(
                    "StringEquals",
                    "aws:SourceAccount",
                    vec![location.account_id.clone()],
                )
                .condition(
                    "ArnLike",
                    "aws:SourceArn",
                    vec![format!("arn:{}:route53:::hostedzone/*", location.partition)],
                ),
            ])
            .render()?,
        },
    )?;
    config.resource_after(
        "main",
        &Route53QueryLog {
            zone_id: zone.attr("zone_id"),
            cloudwatch_log_group_arn: group.attr("arn"),
        },
        &[&policy],
    )?;
    Ok(())
}
