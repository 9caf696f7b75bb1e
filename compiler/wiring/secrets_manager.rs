//! The Secrets Manager secrets ExternalSecrets read: every `remoteRef.key` (and `dataFrom`
//! `extract.key`) of an ExternalSecret applied on a cluster names a secret that exists in the
//! cluster's account and region, or External Secrets reports `SecretSyncedError` and the Secret is
//! never made (External Secrets docs, AWS Secrets Manager provider: the key is the secret's name
//! or ARN). A name exists when
//! - the cluster's Terraform root module creates it (`aws_secretsmanager_secret`: a Service's
//!   `secrets`, an add-on's `secretsManager` keys, the data network, the Atlas key), or
//! - a Composition applied on the cluster writes it: a composed `secretsmanager` `Secret` whose
//!   name is patched from the composite's `spec.secretPrefix` with a format (`%s/password`), for
//!   each composite of that kind on the cluster, or
//! - the Platform declares it as made outside pave (`spec.gitops.credentialsSecret`).
//!
//! Without `spec.terraform` the tree has no root module: secrets are managed elsewhere and nothing
//! is reported.

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
        let mut produced: BTreeSet<String> = files
            .iter()
            .filter_map(|idx| {
                index.objects[*idx]
                    .value
                    .pointer("/resource/aws_secretsmanager_secret")
            })
            .filter_map(Json::as_object)
            .flat_map(|secrets| secrets.values())
            .filter_map(|secret| secret.get("name").and_then(Json::as_str))
            .map(str::to_string)
            .collect();
        produced.extend(facts.external_secrets.iter().cloned());
        // Composite kind to the name formats its Composition writes.
        let mut formats: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for (idx, _) in &scope.members {
            let object = &index.objects[*idx];
            if object.kind == "Composition" && object.group() == "apiextensions.crossplane.io" {
                let Some(kind) = object
                    .value
                    .pointer("/spec/compositeTypeRef/kind")
                    .and_then(Json::as_str)
                else {
                    continue;
                };
                let mut found = Vec::new();
                secret_name_formats(&object.value, &mut found);
                formats.entry(kind.to_string()).or_default().extend(found);
            }
        }
        for (idx, _) in &scope.members {
            let object = &index.objects[*idx];
            let Some(prefix) = object
                .value
                .pointer("/spec/secretPrefix")
                .and_then(Json::as_str)
            else {
                continue;
            };
            // A v1 claim's kind is its composite's without the leading `X`.
            let written = formats
                .get(&object.kind)
                .or_else(|| formats.get(&format!("X{}", object.kind)));
            for format in written.into_iter().flatten() {
                produced.insert(format.replace("%s", prefix));
            }
        }
        for (idx, _) in &scope.members {
            let object = &index.objects[*idx];
            if object.kind != "ExternalSecret" || object.group() != "external-secrets.io" {
                continue;
            }
            let keys =
                items(&object.value["spec"], "data")
                    .enumerate()
                    .map(|(i, item)| {
                        (
                            format!("/spec/data/{i}/remoteRef/key"),
                            item.pointer("/remoteRef/key"),
                        )
                    })
                    .chain(items(&object.value["spec"], "dataFrom").enumerate().map(
                        |(i, item)| {
                            (
                                format!("/spec/dataFrom/{i}/extract/key"),
                                item.pointer("/extract/key"),
                            )
                        },
                    ));
            for (pointer, key) in keys {
                let Some(key) = key.and_then(Json::as_str) else {
                    continue;
                };
                if !produced.contains(key) {
                    report.unresolved(
                        object,
                        &pointer,
                        Reference::SecretsManagerSecret,
                        format!("the Secrets Manager secret `{key}` (in `{module}`)"),
                    );
                }
            }
        }
    }
}

/// The `fmt` of each patch that names a composed Secrets Manager `Secret` from the composite's
/// `spec.secretPrefix`, anywhere in a Composition (its pipeline's patch-and-transform inputs).
fn secret_name_formats(value: &Json, found: &mut Vec<String>) {
    match value {
        Json::Object(map) => {
            let base = map.get("base");
            let is_secret = base.is_some_and(|base| {
                base.get("kind").and_then(Json::as_str) == Some("Secret")
                    && base
                        .get("apiVersion")
                        .and_then(Json::as_str)
                        .is_some_and(|api| api.starts_with("secretsmanager."))
            });
            if is_secret {
                for patch in items(value, "patches") {
                    let from = patch.get("fromFieldPath").and_then(Json::as_str);
                    let to = patch.get("toFieldPath").and_then(Json::as_str);
                    if from != Some("spec.secretPrefix") || to != Some("spec.forProvider.name") {
                        continue;
                    }
                    let formats = items(patch, "transforms")
                        .filter_map(|t| t.pointer("/string/fmt").and_then(Json::as_str));
                    found.extend(formats.map(str::to_string));
                }
            }
            for child in map.values() {
                secret_name_formats(child, found);
            }
        }
        Json::Array(list) => {
            for child in list {
                secret_name_formats(child, found);
            }
        }
        _ => {}
    }
}
