//! What pods and Ingresses refer to: the Secrets of a pod template (`secretKeyRef`,
//! `envFrom.secretRef`, `secret` and projected volumes, `imagePullSecrets`), the StorageClass of
//! a PersistentVolumeClaim or `volumeClaimTemplates` entry, an Ingress host's certificate
//! and DNS zone, and a cert-manager Certificate's issuer.

use crate::emit::Json;

use super::Report;
use super::index::{Index, Object, Scope, items};
use crate::diagnostic::Reference;

pub(super) fn check(index: &Index<'_>, report: &mut Report<'_>) {
    for scope in &index.scopes {
        for (idx, namespace) in &scope.members {
            let object = &index.objects[*idx];
            let namespace = namespace.as_deref().unwrap_or_default();
            if let Some((pod, pointer)) = pod_spec(object) {
                secrets(object, scope, namespace, pod, &pointer, report);
            }
            match object.kind.as_str() {
                "PersistentVolumeClaim" => {
                    storage_class(object, scope, object.value.get("spec"), "/spec", report);
                }
                "StatefulSet" => {
                    let templates = object.value.pointer("/spec/volumeClaimTemplates");
                    for (i, template) in templates
                        .and_then(Json::as_array)
                        .into_iter()
                        .flatten()
                        .enumerate()
                    {
                        let pointer = format!("/spec/volumeClaimTemplates/{i}/spec");
                        storage_class(object, scope, template.get("spec"), &pointer, report);
                    }
                }
                "Ingress" if object.group() == "networking.k8s.io" => {
                    ingress(index, object, scope, report);
                }
                "Certificate" if object.group() == "cert-manager.io" => {
                    issuer(object, scope, namespace, report);
                }
                _ => {}
            }
        }
    }
}

/// The pod spec of a workload object, and its JSON pointer.
pub(super) fn pod_spec<'o>(object: &'o Object<'_>) -> Option<(&'o Json, String)> {
    let pointer = match (object.group(), object.kind.as_str()) {
        ("", "Pod") => "/spec",
        ("apps", "Deployment" | "StatefulSet" | "DaemonSet" | "ReplicaSet") | ("batch", "Job") => {
            "/spec/template/spec"
        }
        ("batch", "CronJob") => "/spec/jobTemplate/spec/template/spec",
        _ => return None,
    };
    object
        .value
        .pointer(pointer)
        .map(|pod| (pod, pointer.to_string()))
}

/// The containers of a pod spec, with their pointers.
pub(super) fn containers<'p>(pod: &'p Json, pointer: &str) -> Vec<(&'p Json, String)> {
    ["initContainers", "containers", "ephemeralContainers"]
        .into_iter()
        .flat_map(|field| {
            pod.get(field)
                .and_then(Json::as_array)
                .into_iter()
                .flatten()
                .enumerate()
                .map(move |(i, container)| (container, format!("{pointer}/{field}/{i}")))
        })
        .collect()
}

fn secrets(
    object: &Object<'_>,
    scope: &Scope,
    namespace: &str,
    pod: &Json,
    pointer: &str,
    report: &mut Report<'_>,
) {
    let mut names: Vec<(String, String)> = Vec::new();
    // An `optional: true` reference does not need the Secret.
    let required =
        |reference: &Json| reference.get("optional").and_then(Json::as_bool) != Some(true);
    for (container, at) in containers(pod, pointer) {
        let env = items(container, "env");
        for (i, var) in env.enumerate() {
            if let Some(reference) = var.pointer("/valueFrom/secretKeyRef")
                && required(reference)
                && let Some(name) = reference.get("name").and_then(Json::as_str)
            {
                names.push((name.to_string(), format!("{at}/env/{i}")));
            }
        }
        let env_from = items(container, "envFrom");
        for (i, source) in env_from.enumerate() {
            if let Some(reference) = source.get("secretRef")
                && required(reference)
                && let Some(name) = reference.get("name").and_then(Json::as_str)
            {
                names.push((name.to_string(), format!("{at}/envFrom/{i}")));
            }
        }
    }
    let volumes = items(pod, "volumes");
    for (i, volume) in volumes.enumerate() {
        if let Some(secret) = volume.get("secret")
            && required(secret)
            && let Some(name) = secret.get("secretName").and_then(Json::as_str)
        {
            names.push((name.to_string(), format!("{pointer}/volumes/{i}")));
        }
        let sources = volume
            .pointer("/projected/sources")
            .and_then(Json::as_array);
        for source in sources.into_iter().flatten() {
            if let Some(secret) = source.get("secret")
                && required(secret)
                && let Some(name) = secret.get("name").and_then(Json::as_str)
            {
                names.push((name.to_string(), format!("{pointer}/volumes/{i}")));
            }
        }
    }
    let pull = items(pod, "imagePullSecrets");
    for (i, reference) in pull.enumerate() {
        if let Some(name) = reference.get("name").and_then(Json::as_str) {
            names.push((name.to_string(), format!("{pointer}/imagePullSecrets/{i}")));
        }
    }
    for (name, at) in names {
        if !scope.has_secret(namespace, &name) {
            report.unresolved(
                object,
                &at,
                Reference::Secret,
                format!("Secret `{name}` in `{namespace}`"),
            );
        }
    }
}

/// A claim's class: named, it must exist; absent, the cluster needs a default class; `""`
/// asks for no class (a pre-bound volume).
fn storage_class(
    object: &Object<'_>,
    scope: &Scope,
    spec: Option<&Json>,
    pointer: &str,
    report: &mut Report<'_>,
) {
    match spec.and_then(|spec| spec.get("storageClassName")) {
        Some(Json::String(name)) if name.is_empty() => {}
        Some(Json::String(name)) => {
            if !scope.has("StorageClass", "", name) {
                report.unresolved(
                    object,
                    &format!("{pointer}/storageClassName"),
                    Reference::StorageClass,
                    format!("StorageClass `{name}`"),
                );
            }
        }
        _ => {
            if !scope.default_storage_class {
                report.unresolved(
                    object,
                    pointer,
                    Reference::DefaultStorageClass,
                    format!("a default StorageClass on cluster `{}`", scope.name),
                );
            }
        }
    }
}

/// An Ingress host needs a certificate that covers it and a zone it is under. Both come from the
/// cluster's Terraform root module (`aws_acm_certificate`, `aws_route53_zone`) or, for the
/// certificate, a cert-manager Certificate. Without Terraform in the tree the foundation is
/// managed elsewhere: only a cert-manager Certificate can be checked, so nothing is reported.
fn ingress(index: &Index<'_>, object: &Object<'_>, scope: &Scope, report: &mut Report<'_>) {
    let Some(module) = &scope.module else { return };
    let terraform: Vec<&Json> = index
        .modules
        .get(module)
        .into_iter()
        .flatten()
        .map(|idx| index.objects[*idx].value.as_ref())
        .collect();
    let blocks = |section: &str, kind: &str| -> Vec<&Json> {
        terraform
            .iter()
            .filter_map(|value| value.pointer(&format!("/{section}/{kind}")))
            .filter_map(Json::as_object)
            .flat_map(|blocks| blocks.values())
            .collect()
    };
    let resources = |kind: &str| blocks("resource", kind);
    let certificates: Vec<String> = resources("aws_acm_certificate")
        .into_iter()
        .flat_map(|certificate| {
            let domain = certificate
                .get("domain_name")
                .and_then(Json::as_str)
                .map(str::to_string);
            domain.into_iter().chain(super::index::strings(
                certificate.get("subject_alternative_names"),
            ))
        })
        .chain(scope.members.iter().flat_map(|(idx, _)| {
            let other = &index.objects[*idx];
            if other.kind == "Certificate" && other.group() == "cert-manager.io" {
                super::index::strings(other.value.pointer("/spec/dnsNames"))
            } else {
                Vec::new()
            }
        }))
        .collect();
    // The environment's zone is created by one region's module and looked up (a `data` block)
    // by the others.
    let zones: Vec<&str> = resources("aws_route53_zone")
        .into_iter()
        .chain(blocks("data", "aws_route53_zone"))
        .filter_map(|zone| zone.get("name").and_then(Json::as_str))
        .collect();
    let rules = object.value.pointer("/spec/rules").and_then(Json::as_array);
    for (i, rule) in rules.into_iter().flatten().enumerate() {
        let Some(host) = rule.get("host").and_then(Json::as_str) else {
            continue;
        };
        let pointer = format!("/spec/rules/{i}/host");
        if !certificates.iter().any(|name| covers(name, host)) {
            report.unresolved(
                object,
                &pointer,
                Reference::Certificate,
                format!("a certificate for `{host}`"),
            );
        }
        if !zones.iter().any(|zone| under(host, zone)) {
            report.unresolved(
                object,
                &pointer,
                Reference::DnsZone,
                format!("a DNS zone for `{host}`"),
            );
        }
    }
}

/// A cert-manager Certificate's issuer: an Issuer in its namespace, or a ClusterIssuer
/// (`issuerRef.kind` defaults to Issuer; cert-manager.io/docs/usage/certificate).
fn issuer(object: &Object<'_>, scope: &Scope, namespace: &str, report: &mut Report<'_>) {
    let Some(reference) = object.value.pointer("/spec/issuerRef") else {
        return;
    };
    let group = reference.get("group").and_then(Json::as_str);
    if group.is_some_and(|group| group != "cert-manager.io") {
        return;
    }
    let name = reference
        .get("name")
        .and_then(Json::as_str)
        .unwrap_or_default();
    let kind = reference
        .get("kind")
        .and_then(Json::as_str)
        .unwrap_or("Issuer");
    let (found, target) = match kind {
        "ClusterIssuer" => (scope.has(kind, "", name), format!("ClusterIssuer `{name}`")),
        _ => (
            scope.has("Issuer", namespace, name) || scope.undecided(namespace),
            format!("Issuer `{name}` in `{namespace}`"),
        ),
    };
    if !found {
        report.unresolved(object, "/spec/issuerRef", Reference::Issuer, target);
    }
}

/// Whether a certificate name covers a host: equal, or a wildcard one label deep (RFC 6125).
fn covers(name: &str, host: &str) -> bool {
    let name = name.trim_end_matches('.');
    if let Some(parent) = name.strip_prefix("*.") {
        return host
            .split_once('.')
            .is_some_and(|(label, rest)| !label.is_empty() && rest.eq_ignore_ascii_case(parent));
    }
    name.eq_ignore_ascii_case(host)
}

/// Whether `host` is `zone` or a name under it.
fn under(host: &str, zone: &str) -> bool {
    let zone = zone.trim_end_matches('.').to_ascii_lowercase();
    let host = host.to_ascii_lowercase();
    host == zone || host.ends_with(&format!(".{zone}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_wildcard_covers_one_label() {
        assert!(covers("*.dev.example.com", "api.dev.example.com"));
        assert!(!covers("*.dev.example.com", "a.api.dev.example.com"));
        assert!(!covers("*.dev.example.com", "dev.example.com"));
        assert!(covers("api.dev.example.com", "API.dev.example.com"));
    }

    #[test]
    fn a_host_is_under_its_zone_not_a_suffix() {
        assert!(under("api.dev.example.com", "dev.example.com"));
        assert!(under("dev.example.com", "dev.example.com."));
        assert!(!under("api.xdev.example.com", "dev.example.com"));
    }
}
