//! Nodes an add-on launches (Karpenter), resolved as Karpenter and EKS resolve them: each
//! EC2NodeClass's `role` is a role of the cluster's Terraform root module with an EKS access entry
//! of type `EC2_LINUX` (without one, the kubelet of a launched node is refused and the node never
//! joins); each tag its `subnetSelectorTerms` and `securityGroupSelectorTerms` select by is on a
//! subnet or security group of that module; each NodePool's `nodeClassRef` names an EC2NodeClass
//! of the cluster; and the interruption queue a provisioner's chart values name (at its entry's
//! `interruptionQueuePath`) is a queue of the module (karpenter.sh "NodeClasses", "NodePools";
//! EKS User Guide, "Create access entries").
//!
//! Without `spec.terraform` the tree has no root module: the cloud side is managed elsewhere and
//! nothing is reported.

use std::collections::{BTreeMap, BTreeSet};

use crate::emit::Json;

use super::index::{Index, items};
use super::{Facts, Report};
use crate::diagnostic::Reference;

pub(super) fn check(index: &Index<'_>, facts: &Facts, report: &mut Report<'_>) {
    for scope in &index.scopes {
        let Some(module) = &scope.module else {
            continue;
        };
        let files: Vec<usize> = index.modules.get(module).cloned().unwrap_or_default();
        let cloud = Cloud::new(index, &files);
        for (idx, _) in &scope.members {
            let object = &index.objects[*idx];
            match (object.group(), object.kind.as_str()) {
                ("karpenter.k8s.aws", "EC2NodeClass") => {
                    if let Some(role) = object.value.pointer("/spec/role").and_then(Json::as_str)
                        && !cloud.node_roles.contains(role)
                    {
                        report.unresolved(
                            object,
                            "/spec/role",
                            Reference::NodeRole,
                            format!(
                                "the role `{role}` with an EC2_LINUX access entry in `{module}`"
                            ),
                        );
                    }
                    for (field, tagged) in [
                        ("subnetSelectorTerms", &cloud.subnet_tags),
                        ("securityGroupSelectorTerms", &cloud.security_group_tags),
                    ] {
                        let Some(spec) = object.value.get("spec") else {
                            continue;
                        };
                        for (i, term) in items(spec, field).enumerate() {
                            let Some(tags) = term.get("tags").and_then(Json::as_object) else {
                                continue;
                            };
                            let selected = tagged.iter().any(|have| {
                                tags.iter().all(|(key, value)| {
                                    have.get(key).is_some_and(|v| {
                                        value.as_str() == Some("*") || value.as_str() == Some(v)
                                    })
                                })
                            });
                            if !selected {
                                let wanted: Vec<String> = tags
                                    .iter()
                                    .map(|(k, v)| format!("{k}: {}", v.as_str().unwrap_or("")))
                                    .collect();
                                let what = if field == "subnetSelectorTerms" {
                                    "a subnet"
                                } else {
                                    "a security group"
                                };
                                report.unresolved(
                                    object,
                                    &format!("/spec/{field}/{i}/tags"),
                                    Reference::NodeDiscovery,
                                    format!("{what} tagged `{}` in `{module}`", wanted.join(", ")),
                                );
                            }
                        }
                    }
                }
                ("karpenter.sh", "NodePool") => {
                    let class = object
                        .value
                        .pointer("/spec/template/spec/nodeClassRef/name")
                        .and_then(Json::as_str);
                    if let Some(class) = class
                        && !scope.has("EC2NodeClass", "", class)
                    {
                        report.unresolved(
                            object,
                            "/spec/template/spec/nodeClassRef",
                            Reference::NodeClass,
                            format!("EC2NodeClass `{class}`"),
                        );
                    }
                }
                ("helm.toolkit.fluxcd.io", "HelmRelease") => {
                    let addon = object
                        .provenance
                        .context
                        .addon
                        .as_deref()
                        .unwrap_or(&object.name);
                    let Some(path) = facts
                        .addons
                        .get(addon)
                        .and_then(|addon| addon.interruption_queue_path.as_deref())
                    else {
                        continue;
                    };
                    let pointer: String = path.split('.').map(|key| format!("/{key}")).collect();
                    let pointer = format!("/spec/values{pointer}");
                    let queue = object.value.pointer(&pointer).and_then(Json::as_str);
                    if !queue.is_some_and(|queue| cloud.queues.contains(queue)) {
                        report.unresolved(
                            object,
                            &pointer,
                            Reference::InterruptionQueue,
                            format!("the queue `{}` in `{module}`", queue.unwrap_or_default()),
                        );
                    }
                }
                _ => {}
            }
        }
    }
}

/// What a root module creates that nodes need.
struct Cloud {
    /// Names of the roles with an access entry of type `EC2_LINUX` (or a managed node group's).
    node_roles: BTreeSet<String>,
    /// The tags of each subnet.
    subnet_tags: Vec<BTreeMap<String, String>>,
    /// The tags of each security group: its own, and those `aws_ec2_tag` adds to a group the
    /// module looks up, by the group's address.
    security_group_tags: Vec<BTreeMap<String, String>>,
    /// Queue names.
    queues: BTreeSet<String>,
}

impl Cloud {
    fn new(index: &Index<'_>, files: &[usize]) -> Self {
        let blocks = |kind: &str| -> Vec<(String, Json)> {
            files
                .iter()
                .filter_map(|idx| {
                    index.objects[*idx]
                        .value
                        .pointer(&format!("/resource/{kind}"))
                })
                .filter_map(Json::as_object)
                .flatten()
                .map(|(name, block)| (name.to_string(), block.clone()))
                .collect()
        };
        let text = |block: &Json, field: &str| -> String {
            block
                .get(field)
                .and_then(Json::as_str)
                .unwrap_or_default()
                .to_string()
        };
        let tags = |block: &Json| -> BTreeMap<String, String> {
            block
                .get("tags")
                .and_then(Json::as_object)
                .into_iter()
                .flatten()
                .filter_map(|(k, v)| Some((k.to_string(), v.as_str()?.to_string())))
                .collect()
        };
        let roles: BTreeMap<String, String> = blocks("aws_iam_role")
            .into_iter()
            .map(|(address, role)| (address, text(&role, "name")))
            .collect();
        let role_of = |arn: String| -> Option<String> {
            let address = arn.strip_prefix("${aws_iam_role.")?.strip_suffix(".arn}")?;
            roles.get(address).cloned()
        };
        // EKS creates the access entry of a managed node group's role itself.
        let node_roles = blocks("aws_eks_access_entry")
            .iter()
            .filter(|(_, entry)| text(entry, "type") == "EC2_LINUX")
            .map(|(_, entry)| text(entry, "principal_arn"))
            .chain(
                blocks("aws_eks_node_group")
                    .iter()
                    .map(|(_, group)| text(group, "node_role_arn")),
            )
            .filter_map(role_of)
            .collect();
        let subnet_tags = blocks("aws_subnet").iter().map(|(_, s)| tags(s)).collect();
        let mut groups: BTreeMap<String, BTreeMap<String, String>> = blocks("aws_security_group")
            .iter()
            .map(|(name, group)| (format!("aws_security_group.{name}"), tags(group)))
            .collect();
        for (_, tag) in blocks("aws_ec2_tag") {
            let resource = text(&tag, "resource_id");
            let Some(group) = resource
                .strip_prefix("${")
                .and_then(|rest| rest.strip_suffix(".id}"))
                .filter(|group| {
                    group.starts_with("aws_security_group.")
                        || group.starts_with("data.aws_security_group.")
                })
            else {
                continue;
            };
            groups
                .entry(group.to_string())
                .or_default()
                .insert(text(&tag, "key"), text(&tag, "value"));
        }
        let queues = blocks("aws_sqs_queue")
            .iter()
            .map(|(_, queue)| text(queue, "name"))
            .collect();
        Cloud {
            node_roles,
            subnet_tags,
            security_group_tags: groups.into_values().collect(),
            queues,
        }
    }
}
