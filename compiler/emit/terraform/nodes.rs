//! The nodes an add-on launches itself (an entry with `nodeProvisioner`: Karpenter), in one
//! cluster's root module, after Karpenter's getting-started CloudFormation template
//! (karpenter-provider-aws `website/content/en/preview/getting-started/
//! getting-started-with-karpenter/cloudformation.yaml`): the nodes' IAM role with the policies of
//! the managed node groups' role and an EKS access entry of type `EC2_LINUX` (so their kubelets
//! may join: authentication mode `API` has no aws-auth ConfigMap); the interruption queue,
//! encrypted, kept five minutes, fed by the EventBridge rules for AWS Health events, Spot
//! interruption warnings, rebalance recommendations and instance state changes; and the
//! `karpenter.sh/discovery` tag on the cluster security group (the private subnets carry it from
//! `network.rs`). The controller's own role is the add-on's identity (`iam.rs`).

use std::collections::BTreeMap;

use serde_json::json;

use super::aws::{
    CloudwatchEventRule, CloudwatchEventTarget, Ec2Tag, EksAccessEntry, EksCluster,
    SecurityGroupLookup, SqsQueue, SqsQueuePolicy, Vpc, name_tag,
};
use super::iam::node_role;
use super::model::{Address, Config, block_name, compact};
use super::policy::{PolicyDocument, Statement};
use crate::lower::{DISCOVERY_TAG, NodeProvisioner, RegionalFoundation};

/// How long an interruption event waits in the queue: after five minutes it is stale (a Spot
/// warning gives two), as Karpenter's template keeps it.
const QUEUE_RETENTION_SECONDS: u32 = 300;

/// The events Karpenter handles: (rule suffix, source, detail type).
const INTERRUPTION_EVENTS: [(&str, &str, &str); 4] = [
    ("health", "aws.health", "AWS Health Event"),
    ("spot", "aws.ec2", "EC2 Spot Instance Interruption Warning"),
    (
        "rebalance",
        "aws.ec2",
        "EC2 Instance Rebalance Recommendation",
    ),
    ("state", "aws.ec2", "EC2 Instance State-change Notification"),
];

/// EventBridge's limit on rule names.
const MAX_RULE_NAME: usize = 64;

pub(super) fn emit(config: &mut Config, regional: &RegionalFoundation) -> Result<(), String> {
    for nodes in &regional.node_provisioners {
        provisioner(config, regional, nodes)?;
    }
    Ok(())
}

fn provisioner(
    config: &mut Config,
    regional: &RegionalFoundation,
    nodes: &NodeProvisioner,
) -> Result<(), String> {
    let location = &regional.location;
    let block = block_name(&nodes.addon);
    let cluster = Address::of::<EksCluster>("main");

    let (role, attachments) = node_role(
        config,
        regional,
        &format!("{block}_nodes"),
        &block,
        nodes.node_role.clone(),
        format!(
            "Nodes the add-on {} launches in {}",
            nodes.addon, regional.cluster_name
        ),
    )?;
    // A node's kubelet authenticates as this role; EKS maps it to `system:node:<name>` in the
    // `system:nodes` group for an entry of type EC2_LINUX (EKS User Guide, "Create access
    // entries"). Managed node groups get theirs from EKS; Karpenter's nodes need this one.
    let waits_for: Vec<&Address> = attachments.iter().collect();
    config.resource_after(
        &format!("{block}_nodes"),
        &EksAccessEntry {
            cluster_name: cluster.attr("name"),
            principal_arn: role.attr("arn"),
            kind: "EC2_LINUX",
            kubernetes_groups: None,
        },
        &waits_for,
    )?;

    let queue_arn = location.arn("sqs", &nodes.interruption_queue);
    let queue = config.resource(
        &format!("{block}_interruptions"),
        &SqsQueue {
            name: nodes.interruption_queue.clone(),
            message_retention_seconds: QUEUE_RETENTION_SECONDS,
            sqs_managed_sse_enabled: true,
            tags: name_tag(&nodes.interruption_queue),
        },
    )?;
    let rule_names: Vec<(&str, &str, &str, String)> = INTERRUPTION_EVENTS
        .iter()
        .map(|(suffix, source, detail_type)| {
            let name = rule_name(&nodes.interruption_queue, suffix);
            (*suffix, *source, *detail_type, name)
        })
        .collect();
    // Only this module's rules may send, over TLS only (EventBridge User Guide, "Amazon SQS
    // permissions": the queue policy names `events.amazonaws.com` and the rules' ARNs).
    let rule_arns: Vec<String> = rule_names
        .iter()
        .map(|(.., name)| location.arn("events", &format!("rule/{name}")))
        .collect();
    config.resource(
        &format!("{block}_interruptions"),
        &SqsQueuePolicy {
            queue_url: queue.attr("url"),
            policy: PolicyDocument::new(vec![
                Statement::trust(
                    "Service",
                    vec!["events.amazonaws.com".into()],
                    &["sqs:SendMessage"],
                )
                .on(vec![queue_arn.clone()])
                .condition("ArnEquals", "aws:SourceArn", rule_arns),
                Statement::deny_all(&["sqs:*"], vec![queue_arn]).condition(
                    "Bool",
                    "aws:SecureTransport",
                    vec!["false".into()],
                ),
            ])
            .render()?,
        },
    )?;
    for (suffix, source, detail_type, name) in &rule_names {
        let rule = config.resource(
            &format!("{block}_{suffix}"),
            &CloudwatchEventRule {
                name: name.clone(),
                description: format!(
                    "{detail_type}s to the interruption queue of {}",
                    nodes.addon
                ),
                event_pattern: compact(&json!({
                    "detail-type": [detail_type],
                    "source": [source],
                }))?,
                tags: name_tag(name),
            },
        )?;
        config.resource(
            &format!("{block}_{suffix}"),
            &CloudwatchEventTarget {
                rule: rule.attr("name"),
                target_id: "interruption-queue".into(),
                arn: queue.attr("arn"),
            },
        )?;
    }

    // The security group EKS creates for the cluster, which managed node groups use too, found
    // by the tag EKS gives it (EKS User Guide, "View Amazon EKS security group requirements for
    // clusters"): naming the cluster's `name` attribute defers the lookup until the cluster
    // exists. (The cluster's `vpc_config[0].cluster_security_group_id` would say the same, but
    // is a computed attribute of a nested block, which the offline validation's schema lacks.)
    let group = config.data(
        &format!("{block}_cluster"),
        &SecurityGroupLookup {
            vpc_id: Address::of::<Vpc>("main").attr("id"),
            tags: BTreeMap::from([("aws:eks:cluster-name".to_string(), cluster.attr("name"))]),
        },
    )?;
    config.resource(
        &format!("{block}_discovery"),
        &Ec2Tag {
            resource_id: group.attr("id"),
            key: DISCOVERY_TAG.to_string(),
            value: nodes.discovery.clone(),
        },
    )?;
    Ok(())
}

/// `<queue>-<suffix>`, shortened with a hash of the whole when over EventBridge's limit.
fn rule_name(queue: &str, suffix: &str) -> String {
    let name = format!("{queue}-{suffix}");
    if name.len() <= MAX_RULE_NAME {
        return name;
    }
    let hash = blake3::hash(name.as_bytes()).to_hex();
    let keep = MAX_RULE_NAME - 9 - suffix.len() - 1;
    let prefix = queue.get(..keep).unwrap_or(queue).trim_end_matches('-');
    format!("{prefix}-{}-{suffix}", &hash.as_str()[..8])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rule_names_fit_eventbridge_limit_and_keep_their_kind() {
        assert_eq!(
            rule_name("p-prod-us-east-1-karpenter", "spot"),
            "p-prod-us-east-1-karpenter-spot"
        );
        let long = "a".repeat(80);
        let name = rule_name(&long, "rebalance");
        assert!(name.len() <= MAX_RULE_NAME, "{name}");
        assert!(name.ends_with("-rebalance"), "{name}");
        assert_ne!(rule_name(&long, "spot"), rule_name(&"a".repeat(79), "spot"));
    }
}
