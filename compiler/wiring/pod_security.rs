//! Pod Security: a namespace's `pod-security.kubernetes.io/enforce` level against the pods pave
//! writes into it, checked control by control as the Pod Security Standards define the baseline
//! and restricted profiles (kubernetes.io/docs/concepts/security/pod-security-standards), and
//! against the level each add-on's catalogue entry says its chart's pods meet (`podSecurity`).

use crate::emit::Json;

use super::index::{Index, items};
use super::references::{containers, pod_spec};
use super::{Facts, Report};
use crate::diagnostic::DiagnosticKind;
use crate::parse::PodSecurity;

pub(super) fn check(index: &Index<'_>, facts: &Facts, report: &mut Report<'_>) {
    for scope in &index.scopes {
        let levels: std::collections::HashMap<&str, PodSecurity> = scope
            .members
            .iter()
            .map(|(idx, _)| &index.objects[*idx])
            .filter(|object| object.kind == "Namespace")
            .filter_map(|object| {
                let level = object
                    .value
                    .pointer("/metadata/labels/pod-security.kubernetes.io~1enforce")
                    .and_then(Json::as_str)?;
                Some((object.name.as_str(), parse_level(level)?))
            })
            .collect();
        for (idx, namespace) in &scope.members {
            let object = &index.objects[*idx];
            let namespace = namespace.as_deref().unwrap_or_default();
            if let Some((pod, pointer)) = pod_spec(object) {
                let Some(&level) = levels.get(namespace) else {
                    continue;
                };
                let reason = match level {
                    PodSecurity::Privileged => None,
                    PodSecurity::Baseline => baseline(pod, &pointer),
                    PodSecurity::Restricted => {
                        baseline(pod, &pointer).or_else(|| restricted(pod, &pointer))
                    }
                };
                if let Some((at, reason)) = reason {
                    let kind = DiagnosticKind::PodSecurityMismatch {
                        level: level.as_str().into(),
                        namespace: namespace.into(),
                        object: format!("{} `{}`", object.kind, object.name),
                        reason,
                    };
                    report.push(object, &at, kind);
                }
            } else if object.kind == "HelmRelease" {
                let Some(addon) = object.provenance.context.addon.as_deref() else {
                    continue;
                };
                let Some(declared) = facts.addons.get(addon).map(|addon| addon.pod_security) else {
                    continue;
                };
                let release_namespace = object
                    .value
                    .pointer("/spec/targetNamespace")
                    .and_then(Json::as_str)
                    .unwrap_or(namespace);
                let Some(&level) = levels.get(release_namespace) else {
                    continue;
                };
                if rank(declared) < rank(level) {
                    let kind = DiagnosticKind::PodSecurityMismatch {
                        level: level.as_str().into(),
                        namespace: release_namespace.into(),
                        object: format!("add-on `{addon}`"),
                        reason: format!(
                            "its catalogue entry says its pods meet `{}` only",
                            declared.as_str()
                        ),
                    };
                    report.push(object, "", kind);
                }
            }
        }
    }
}

fn parse_level(level: &str) -> Option<PodSecurity> {
    match level {
        "privileged" => Some(PodSecurity::Privileged),
        "baseline" => Some(PodSecurity::Baseline),
        "restricted" => Some(PodSecurity::Restricted),
        _ => None,
    }
}

fn rank(level: PodSecurity) -> u8 {
    match level {
        PodSecurity::Privileged => 0,
        PodSecurity::Baseline => 1,
        PodSecurity::Restricted => 2,
    }
}

/// Capabilities the baseline profile allows to add.
const BASELINE_CAPABILITIES: &[&str] = &[
    "AUDIT_WRITE",
    "CHOWN",
    "DAC_OVERRIDE",
    "FOWNER",
    "FSETID",
    "KILL",
    "MKNOD",
    "NET_BIND_SERVICE",
    "SETFCAP",
    "SETGID",
    "SETPCAP",
    "SETUID",
    "SYS_CHROOT",
];

/// Sysctls the baseline profile allows.
const SAFE_SYSCTLS: &[&str] = &[
    "kernel.shm_rmid_forced",
    "net.ipv4.ip_local_port_range",
    "net.ipv4.ip_unprivileged_port_start",
    "net.ipv4.tcp_syncookies",
    "net.ipv4.ping_group_range",
    "net.ipv4.ip_local_reserved_ports",
    "net.ipv4.tcp_keepalive_time",
    "net.ipv4.tcp_fin_timeout",
    "net.ipv4.tcp_keepalive_intvl",
    "net.ipv4.tcp_keepalive_probes",
];

/// Volume types the restricted profile allows.
const RESTRICTED_VOLUMES: &[&str] = &[
    "configMap",
    "csi",
    "downwardAPI",
    "emptyDir",
    "ephemeral",
    "persistentVolumeClaim",
    "projected",
    "secret",
];

fn flag(value: Option<&Json>) -> bool {
    value.and_then(Json::as_bool) == Some(true)
}

/// The first baseline control the pod breaks: where, and which.
fn baseline(pod: &Json, pointer: &str) -> Option<(String, String)> {
    for field in ["hostNetwork", "hostPID", "hostIPC"] {
        if flag(pod.get(field)) {
            return Some((
                format!("{pointer}/{field}"),
                format!("`{field}: true` (host namespaces)"),
            ));
        }
    }
    let volumes = items(pod, "volumes");
    for (i, volume) in volumes.enumerate() {
        if volume.get("hostPath").is_some() {
            return Some((
                format!("{pointer}/volumes/{i}"),
                "a `hostPath` volume".into(),
            ));
        }
    }
    if let Some(reason) = security_context(
        pod.get("securityContext"),
        &format!("{pointer}/securityContext"),
    ) {
        return Some(reason);
    }
    let sysctls = pod
        .pointer("/securityContext/sysctls")
        .and_then(Json::as_array);
    for sysctl in sysctls.into_iter().flatten() {
        let name = sysctl
            .get("name")
            .and_then(Json::as_str)
            .unwrap_or_default();
        if !SAFE_SYSCTLS.contains(&name) {
            return Some((
                format!("{pointer}/securityContext"),
                format!("the unsafe sysctl `{name}`"),
            ));
        }
    }
    for (container, at) in containers(pod, pointer) {
        let context = container.get("securityContext");
        let context_at = format!("{at}/securityContext");
        if context.is_some_and(|context| flag(context.get("privileged"))) {
            return Some((context_at, "a privileged container".into()));
        }
        let added = context
            .and_then(|c| c.pointer("/capabilities/add"))
            .and_then(Json::as_array);
        for capability in added.into_iter().flatten().filter_map(Json::as_str) {
            if !BASELINE_CAPABILITIES.contains(&capability) {
                return Some((context_at, format!("the capability `{capability}` added")));
            }
        }
        if let Some(reason) = security_context(context, &context_at) {
            return Some(reason);
        }
        if context
            .and_then(|c| c.get("procMount"))
            .and_then(Json::as_str)
            .is_some_and(|m| m != "Default")
        {
            return Some((context_at, "a `procMount` other than `Default`".into()));
        }
        let ports = items(container, "ports");
        for port in ports {
            if port
                .get("hostPort")
                .and_then(Json::as_u64)
                .is_some_and(|p| p != 0)
            {
                return Some((format!("{at}/ports"), "a `hostPort`".into()));
            }
        }
    }
    None
}

/// The controls shared by pod and container security contexts: seccomp not `Unconfined`,
/// AppArmor not `Unconfined`, SELinux type among the allowed ones with no user or role, no
/// Windows host process.
fn security_context(context: Option<&Json>, at: &str) -> Option<(String, String)> {
    let context = context?;
    let kind = |pointer: &str| context.pointer(pointer).and_then(Json::as_str);
    if kind("/seccompProfile/type") == Some("Unconfined") {
        return Some((at.into(), "seccomp profile `Unconfined`".into()));
    }
    if kind("/appArmorProfile/type") == Some("Unconfined") {
        return Some((at.into(), "AppArmor profile `Unconfined`".into()));
    }
    if let Some(options) = context.get("seLinuxOptions") {
        let allowed = [
            "",
            "container_t",
            "container_init_t",
            "container_kvm_t",
            "container_engine_t",
        ];
        let kind = options
            .get("type")
            .and_then(Json::as_str)
            .unwrap_or_default();
        if !allowed.contains(&kind)
            || options.get("user").is_some()
            || options.get("role").is_some()
        {
            return Some((at.into(), "SELinux options the profile forbids".into()));
        }
    }
    if flag(context.pointer("/windowsOptions/hostProcess")) {
        return Some((at.into(), "a Windows host process".into()));
    }
    None
}

/// The first restricted control (beyond baseline) the pod breaks.
fn restricted(pod: &Json, pointer: &str) -> Option<(String, String)> {
    let volumes = items(pod, "volumes");
    for (i, volume) in volumes.enumerate() {
        let allowed = volume.as_object().is_some_and(|map| {
            map.keys()
                .all(|key| key == "name" || RESTRICTED_VOLUMES.contains(&key))
        });
        if !allowed {
            return Some((
                format!("{pointer}/volumes/{i}"),
                "a volume type the profile forbids".into(),
            ));
        }
    }
    let pod_context = pod.get("securityContext");
    let pod_value = |field: &str| pod_context.and_then(|c| c.pointer(field));
    if pod_value("/runAsUser").and_then(Json::as_u64) == Some(0) {
        return Some((
            format!("{pointer}/securityContext"),
            "`runAsUser: 0`".into(),
        ));
    }
    let pod_non_root = flag(pod_value("/runAsNonRoot"));
    let pod_seccomp = pod_value("/seccompProfile/type").and_then(Json::as_str);
    for (container, at) in containers(pod, pointer) {
        let context = container.get("securityContext");
        let value = |field: &str| context.and_then(|c| c.pointer(field));
        let context_at = format!("{at}/securityContext");
        if value("/allowPrivilegeEscalation").and_then(Json::as_bool) != Some(false) {
            return Some((context_at, "`allowPrivilegeEscalation` not `false`".into()));
        }
        let non_root = match value("/runAsNonRoot").and_then(Json::as_bool) {
            Some(set) => set,
            None => pod_non_root,
        };
        if !non_root {
            return Some((context_at, "`runAsNonRoot` not `true`".into()));
        }
        if value("/runAsUser").and_then(Json::as_u64) == Some(0) {
            return Some((context_at, "`runAsUser: 0`".into()));
        }
        let seccomp = value("/seccompProfile/type")
            .and_then(Json::as_str)
            .or(pod_seccomp);
        if !matches!(seccomp, Some("RuntimeDefault" | "Localhost")) {
            return Some((
                context_at,
                "no seccomp profile `RuntimeDefault` or `Localhost`".into(),
            ));
        }
        let dropped = value("/capabilities/drop").and_then(Json::as_array);
        if !dropped
            .into_iter()
            .flatten()
            .any(|c| c.as_str() == Some("ALL"))
        {
            return Some((context_at, "capabilities not dropping `ALL`".into()));
        }
        let added = value("/capabilities/add").and_then(Json::as_array);
        if let Some(capability) = added
            .into_iter()
            .flatten()
            .filter_map(Json::as_str)
            .find(|c| *c != "NET_BIND_SERVICE")
        {
            return Some((context_at, format!("the capability `{capability}` added")));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn secure() -> serde_json::Value {
        json!({
            "securityContext": {"runAsNonRoot": true, "seccompProfile": {"type": "RuntimeDefault"}},
            "containers": [{"name": "app", "securityContext": {
                "allowPrivilegeEscalation": false, "capabilities": {"drop": ["ALL"]}}}],
            "volumes": [{"name": "tmp", "emptyDir": {}}]
        })
    }

    #[test]
    fn a_locked_down_pod_meets_restricted() {
        assert_eq!(baseline(&Json::from(secure()), "/spec"), None);
        assert_eq!(restricted(&Json::from(secure()), "/spec"), None);
    }

    #[test]
    fn restricted_controls_are_reported_where_they_fail() {
        let mut pod = secure();
        pod["containers"][0]["securityContext"]["capabilities"]["add"] = json!(["NET_ADMIN"]);
        assert_eq!(
            baseline(&Json::from(&pod), "/spec").map(|(_, r)| r),
            Some("the capability `NET_ADMIN` added".into())
        );
        let mut pod = secure();
        pod["containers"][0]["securityContext"]["capabilities"]["add"] = json!(["CHOWN"]);
        assert_eq!(baseline(&Json::from(&pod), "/spec"), None);
        assert_eq!(
            restricted(&Json::from(&pod), "/spec"),
            Some((
                "/spec/containers/0/securityContext".into(),
                "the capability `CHOWN` added".into()
            ))
        );
        let mut pod = secure();
        pod["securityContext"]["runAsNonRoot"] = json!(false);
        assert!(restricted(&Json::from(&pod), "/spec").is_some());
        let mut pod = secure();
        pod["volumes"][0] = json!({"name": "host", "hostPath": {"path": "/"}});
        assert_eq!(
            baseline(&Json::from(&pod), "/spec").map(|(at, _)| at),
            Some("/spec/volumes/0".into())
        );
    }
}
