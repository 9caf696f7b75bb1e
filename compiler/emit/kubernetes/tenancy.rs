//! Namespace-as-a-service: the namespace of a tenant in an environment and its guardrails
//! (Pod Security Admission, quota, limit range, default-deny network policy, owner access).

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{
    LimitRange, LimitRangeItem, LimitRangeSpec, Namespace, PersistentVolumeClaim,
    PersistentVolumeClaimSpec, ResourceQuota, ResourceQuotaSpec, VolumeResourceRequirements,
};
use k8s_openapi::api::networking::v1::{
    NetworkPolicy, NetworkPolicyIngressRule, NetworkPolicyPeer, NetworkPolicySpec,
};
use k8s_openapi::api::rbac::v1::{RoleBinding, RoleRef, Subject};
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, ObjectMeta};

use super::Folder;
use crate::lower::{ENVIRONMENT_LABEL, TENANT_LABEL, TenantEnvironment};
use crate::parse::{CpuMemory, TenantVolume};

pub(super) fn emit(
    unit: &TenantEnvironment,
    source: &str,
    folder: &mut Folder,
) -> Result<(), String> {
    folder.add(&namespace(unit), &unit.namespace, source)?;
    folder.add(&resource_quota(unit), "quota", source)?;
    folder.add(&limit_range(unit), "limits", source)?;
    folder.add(&default_deny(unit), "default-deny", source)?;
    folder.add(&allow_same_namespace(unit), "allow-same-namespace", source)?;
    folder.add(&owners(unit), "owners", source)?;
    Ok(())
}

/// A volume the tenant provides by name, as the claim its workloads mount.
pub(super) fn claim(
    unit: &TenantEnvironment,
    name: &str,
    volume: &TenantVolume,
) -> PersistentVolumeClaim {
    PersistentVolumeClaim {
        metadata: meta(unit, name, &unit.labels),
        spec: Some(PersistentVolumeClaimSpec {
            access_modes: Some(vec![volume.access_mode.clone()]),
            resources: Some(VolumeResourceRequirements {
                requests: Some(BTreeMap::from([(
                    "storage".to_string(),
                    Quantity(volume.size.0.clone()),
                )])),
                ..VolumeResourceRequirements::default()
            }),
            storage_class_name: volume.storage_class.clone(),
            ..PersistentVolumeClaimSpec::default()
        }),
        ..PersistentVolumeClaim::default()
    }
}

pub(super) fn meta(
    unit: &TenantEnvironment,
    name: &str,
    labels: &BTreeMap<String, String>,
) -> ObjectMeta {
    ObjectMeta {
        name: Some(name.to_string()),
        namespace: Some(unit.namespace.clone()),
        labels: Some(labels.clone()),
        ..ObjectMeta::default()
    }
}

fn namespace(unit: &TenantEnvironment) -> Namespace {
    let mut labels = unit.namespace_labels.clone();
    labels.extend(unit.labels.clone());
    let version = format!("v{}", unit.kubernetes_version);
    for mode in ["enforce", "audit", "warn"] {
        labels.insert(
            format!("pod-security.kubernetes.io/{mode}"),
            "restricted".into(),
        );
        labels.insert(
            format!("pod-security.kubernetes.io/{mode}-version"),
            version.clone(),
        );
    }
    Namespace {
        metadata: ObjectMeta {
            name: Some(unit.namespace.clone()),
            labels: Some(labels),
            ..ObjectMeta::default()
        },
        ..Namespace::default()
    }
}

fn resource_quota(unit: &TenantEnvironment) -> ResourceQuota {
    let quota = &unit.quota;
    let mut hard = BTreeMap::new();
    let mut set = |key: &str, value: Option<String>| {
        if let Some(value) = value {
            hard.insert(key.to_string(), Quantity(value));
        }
    };
    set(
        "requests.cpu",
        quota.requests.cpu.as_ref().map(|q| q.0.clone()),
    );
    set(
        "requests.memory",
        quota.requests.memory.as_ref().map(|q| q.0.clone()),
    );
    set("limits.cpu", quota.limits.cpu.as_ref().map(|q| q.0.clone()));
    set(
        "limits.memory",
        quota.limits.memory.as_ref().map(|q| q.0.clone()),
    );
    set("pods", quota.pods.map(|p| p.to_string()));
    ResourceQuota {
        metadata: meta(unit, "quota", &unit.labels),
        spec: Some(ResourceQuotaSpec {
            hard: Some(hard),
            ..ResourceQuotaSpec::default()
        }),
        ..ResourceQuota::default()
    }
}

pub(super) fn cpu_memory(value: &CpuMemory) -> BTreeMap<String, Quantity> {
    BTreeMap::from([
        ("cpu".to_string(), Quantity(value.cpu.0.clone())),
        ("memory".to_string(), Quantity(value.memory.0.clone())),
    ])
}

fn limit_range(unit: &TenantEnvironment) -> LimitRange {
    let limits = &unit.limit_range;
    LimitRange {
        metadata: meta(unit, "limits", &unit.labels),
        spec: Some(LimitRangeSpec {
            limits: vec![LimitRangeItem {
                type_: "Container".into(),
                default: Some(cpu_memory(&limits.default)),
                default_request: Some(cpu_memory(&limits.default_request)),
                max: Some(cpu_memory(&limits.max)),
                ..LimitRangeItem::default()
            }],
        }),
    }
}

fn all_pods() -> LabelSelector {
    LabelSelector::default()
}

fn default_deny(unit: &TenantEnvironment) -> NetworkPolicy {
    NetworkPolicy {
        metadata: meta(unit, "default-deny", &unit.labels),
        spec: Some(NetworkPolicySpec {
            pod_selector: Some(all_pods()),
            policy_types: Some(vec!["Ingress".into()]),
            ..NetworkPolicySpec::default()
        }),
    }
}

fn allow_same_namespace(unit: &TenantEnvironment) -> NetworkPolicy {
    NetworkPolicy {
        metadata: meta(unit, "allow-same-namespace", &unit.labels),
        spec: Some(NetworkPolicySpec {
            pod_selector: Some(all_pods()),
            policy_types: Some(vec!["Ingress".into()]),
            ingress: Some(vec![NetworkPolicyIngressRule {
                from: Some(vec![NetworkPolicyPeer {
                    pod_selector: Some(all_pods()),
                    ..NetworkPolicyPeer::default()
                }]),
                ..NetworkPolicyIngressRule::default()
            }]),
            ..NetworkPolicySpec::default()
        }),
    }
}

/// Selects the namespace of `tenant` in the unit's environment.
pub(super) fn tenant_namespace_peer(unit: &TenantEnvironment, tenant: &str) -> NetworkPolicyPeer {
    NetworkPolicyPeer {
        namespace_selector: Some(LabelSelector {
            match_labels: Some(BTreeMap::from([
                (TENANT_LABEL.to_string(), tenant.to_string()),
                (ENVIRONMENT_LABEL.to_string(), unit.environment.clone()),
            ])),
            ..LabelSelector::default()
        }),
        ..NetworkPolicyPeer::default()
    }
}

fn owners(unit: &TenantEnvironment) -> RoleBinding {
    let subject = |kind: &str, name: &String| Subject {
        api_group: Some("rbac.authorization.k8s.io".into()),
        kind: kind.into(),
        name: name.clone(),
        namespace: None,
    };
    let groups = unit.owners.kubernetes_groups(&unit.tenant);
    let mut users = unit.owners.users.clone();
    users.sort();
    users.dedup();
    let subjects = groups
        .iter()
        .map(|g| subject("Group", g))
        .chain(users.iter().map(|u| subject("User", u)))
        .collect();
    RoleBinding {
        metadata: meta(unit, "owners", &unit.labels),
        role_ref: RoleRef {
            api_group: "rbac.authorization.k8s.io".into(),
            kind: "ClusterRole".into(),
            name: unit.owner_role.into(),
        },
        subjects: Some(subjects),
    }
}
