//! A host that every region of an environment serves is published by each region's ExternalDNS
//! as its own record of a routing set: applied as Flux applies it, every cluster's Ingress for a
//! shared host carries a set identifier no other cluster uses and its own region.
//!
//! The tenant folders are shared by an environment's clusters, so the per-cluster annotations
//! come from Flux patches (the cluster's Kustomization patches the tenant's, which patches the
//! Ingresses). The test builds both levels with kustomize (`kubectl kustomize`, what Flux's
//! kustomize-controller runs) rather than reading pave's intent. `kubectl` is required under CI
//! (`validate-output` needs it too); elsewhere the test says it skipped.

use std::collections::BTreeMap;
use std::path::{Component, Path};
use std::process::Command;

use libtest_mimic::{Failed, Trial};
use serde_json::{Value as Json, json};

use crate::support::{documents, repo};

pub(crate) fn trials() -> Vec<Trial> {
    vec![
        Trial::test(
            "dns_routing::example_every_region_owns_its_record_of_a_shared_host",
            || shared_hosts(&repo().join("examples/techcorp/gitops")),
        ),
        Trial::test(
            "dns_routing::weighted_routing_gives_every_region_a_weighted_record",
            || {
                shared_hosts(
                    &repo()
                        .join("tests/cases/compile/dns-weighted-routing-in-two-regions/expected"),
                )
            },
        ),
    ]
}

const FLUX_KUSTOMIZATION: &str = "kustomize.toolkit.fluxcd.io/v1";
const SET_IDENTIFIER: &str = "external-dns.alpha.kubernetes.io/set-identifier";
const AWS_REGION: &str = "external-dns.alpha.kubernetes.io/aws-region";
const AWS_WEIGHT: &str = "external-dns.alpha.kubernetes.io/aws-weight";
/// Where the generated Kustomizations' paths start: the tree is `spec.gitops.path` (`gitops`).
const TREE: &str = "./gitops/";

/// One Ingress host as a cluster publishes it.
struct Record {
    cluster: String,
    set_identifier: Option<String>,
    region: Option<String>,
    weight: Option<String>,
}

/// `tree`: a compiled tree, whose Flux paths start with [`TREE`].
fn shared_hosts(tree: &Path) -> Result<(), Failed> {
    if Command::new("kubectl")
        .arg("version")
        .arg("--client")
        .output()
        .is_err()
    {
        if std::env::var_os("CI").is_some_and(|v| !v.is_empty() && v != "false") {
            return Err("kubectl is not installed".into());
        }
        eprintln!("skipped: kubectl is not installed");
        return Ok(());
    }
    // (environment, host) -> every cluster's record of it.
    let mut hosts: BTreeMap<(String, String), Vec<Record>> = BTreeMap::new();
    for cluster in read_dir(&tree.join("clusters"))? {
        let cluster_name = file_name(&cluster);
        for file in read_dir(&cluster.join("platform"))? {
            let text = std::fs::read_to_string(&file).map_err(|e| e.to_string())?;
            for platform_kustomization in documents(&text)? {
                let Some(path) = flux_path(&platform_kustomization, "tenants/") else {
                    continue;
                };
                let environment = platform_kustomization
                    .pointer("/metadata/labels/pave.dev~1environment")
                    .and_then(Json::as_str)
                    .unwrap_or_default()
                    .to_string();
                let applied = build(&tree.join(path), patches(&platform_kustomization))?;
                for tenant_kustomization in &applied {
                    let Some(path) = flux_path(tenant_kustomization, "") else {
                        continue;
                    };
                    let workloads = build(&tree.join(path), patches(tenant_kustomization))?;
                    for ingress in workloads.iter().filter(|o| o["kind"] == "Ingress") {
                        let annotation = |key: &str| {
                            ingress["metadata"]["annotations"][key]
                                .as_str()
                                .map(str::to_string)
                        };
                        let rules = ingress["spec"]["rules"].as_array().cloned();
                        for rule in rules.unwrap_or_default() {
                            let Some(host) = rule["host"].as_str() else {
                                continue;
                            };
                            hosts
                                .entry((environment.clone(), host.to_string()))
                                .or_default()
                                .push(Record {
                                    cluster: cluster_name.clone(),
                                    set_identifier: annotation(SET_IDENTIFIER),
                                    region: annotation(AWS_REGION),
                                    weight: annotation(AWS_WEIGHT),
                                });
                        }
                    }
                }
            }
        }
    }
    let shared: Vec<_> = hosts
        .iter()
        .filter(|(_, records)| records.len() > 1)
        .collect();
    if shared.is_empty() {
        return Err("no host is served by more than one cluster: nothing was checked".into());
    }
    for ((environment, host), records) in shared {
        let mut identifiers = std::collections::BTreeSet::new();
        for record in records {
            let Some(identifier) = &record.set_identifier else {
                return Err(format!(
                    "{environment}: `{host}` in {} has no set identifier, so only one region \
                     keeps the record",
                    record.cluster
                )
                .into());
            };
            if !identifiers.insert(identifier) {
                return Err(format!(
                    "{environment}: `{host}` has the set identifier {identifier} twice"
                )
                .into());
            }
            // Exactly one policy: latency to the cluster's own region, or a weight.
            let region = record.cluster.strip_prefix(&format!("{environment}-"));
            let policy_holds = match (&record.region, &record.weight) {
                (Some(latency), None) => Some(latency.as_str()) == region,
                (None, Some(weight)) => weight.parse::<u32>().is_ok(),
                _ => false,
            };
            if !policy_holds {
                return Err(format!(
                    "{environment}: `{host}` in {} has no single routing policy of its region \
                     (aws-region {:?}, aws-weight {:?})",
                    record.cluster, record.region, record.weight
                )
                .into());
            }
        }
    }
    Ok(())
}

/// A Flux Kustomization's `spec.path` inside the tree, when it starts with `prefix` there.
fn flux_path<'a>(object: &'a Json, prefix: &str) -> Option<&'a str> {
    if object["apiVersion"] != FLUX_KUSTOMIZATION || object["kind"] != "Kustomization" {
        return None;
    }
    object["spec"]["path"]
        .as_str()
        .and_then(|path| path.strip_prefix(TREE))
        .filter(|path| path.starts_with(prefix))
}

fn patches(kustomization: &Json) -> Json {
    kustomization["spec"]["patches"].clone()
}

/// The objects kustomize builds from `dir` with Flux's `patches` applied, as kustomize-controller
/// builds a Kustomization's path (a generated kustomization.yaml naming the folder).
fn build(dir: &Path, patches: Json) -> Result<Vec<Json>, Failed> {
    let overlay = tempfile::tempdir().map_err(|e| e.to_string())?;
    let mut kustomization = json!({
        "apiVersion": "kustomize.config.k8s.io/v1beta1",
        "kind": "Kustomization",
        "resources": [relative(overlay.path(), dir)?],
    });
    if !patches.is_null() {
        kustomization["patches"] = patches;
    }
    std::fs::write(
        overlay.path().join("kustomization.yaml"),
        kustomization.to_string(),
    )
    .map_err(|e| e.to_string())?;
    let output = Command::new("kubectl")
        .args(["kustomize", "--load-restrictor", "LoadRestrictionsNone"])
        .arg(overlay.path())
        .output()
        .map_err(|e| format!("kubectl: {e}"))?;
    if !output.status.success() {
        return Err(format!(
            "kubectl kustomize {}: {}",
            dir.display(),
            String::from_utf8_lossy(&output.stderr)
        )
        .into());
    }
    documents(&String::from_utf8_lossy(&output.stdout))
}

/// `to` relative to `from` (kustomize refuses absolute resource paths).
fn relative(from: &Path, to: &Path) -> Result<String, Failed> {
    let absolute =
        |path: &Path| std::path::absolute(path).map_err(|e| format!("{}: {e}", path.display()));
    let (from, to) = (absolute(from)?, absolute(to)?);
    let parts = |path: &Path| -> Vec<String> {
        path.components()
            .filter_map(|c| match c {
                Component::Normal(part) => Some(part.to_string_lossy().into_owned()),
                _ => None,
            })
            .collect()
    };
    let (from, to) = (parts(&from), parts(&to));
    let common = from.iter().zip(&to).take_while(|(a, b)| a == b).count();
    let mut path: Vec<String> = vec!["..".to_string(); from.len() - common];
    path.extend(to[common..].iter().cloned());
    Ok(path.join("/"))
}

fn read_dir(dir: &Path) -> Result<Vec<std::path::PathBuf>, Failed> {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .map_err(|e| format!("{}: {e}", dir.display()))?
        .filter_map(|entry| entry.ok().map(|entry| entry.path()))
        .collect();
    entries.sort();
    Ok(entries)
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|name| name.to_string_lossy().into_owned())
        .unwrap_or_default()
}
