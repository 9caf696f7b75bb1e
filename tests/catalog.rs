//! The Backstage catalog, read as Backstage reads it, against the specs read on their own: every
//! `dependsOn` of a Service (and `service-port` of a Score workload) and every owner of a Tenant
//! is a relation in the catalog; every reference between the catalog's own entities names one
//! that is there; each Component's label selector matches its workload's labels in the tree.
//! Run on the example's committed tree and on each golden case of `tests/cases/catalog/`.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use libtest_mimic::{Failed, Trial};
use serde_json::Value as Json;

use crate::support::{documents, read_tree, repo};

pub(crate) fn trials() -> Vec<Trial> {
    let mut roots = vec![(
        "examples/techcorp".to_string(),
        repo().join("examples/techcorp"),
        repo().join("examples/techcorp/gitops"),
    )];
    let cases = repo().join("tests/cases/catalog");
    if let Ok(dir) = std::fs::read_dir(&cases) {
        let mut found: Vec<PathBuf> = dir.filter_map(Result::ok).map(|e| e.path()).collect();
        found.sort();
        for case in found {
            let name = case
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            roots.push((
                format!("cases/catalog/{name}"),
                case.join("input"),
                case.join("expected"),
            ));
        }
    }
    roots
        .into_iter()
        .flat_map(|(name, specs, tree)| {
            let (port_specs, port_tree) = (specs.clone(), tree.clone());
            [
                Trial::test(
                    format!("catalog::{name}_has_every_dependency_and_owner_as_a_relation"),
                    move || relations(&specs, &tree),
                ),
                Trial::test(
                    format!("catalog::{name}_port_export_imports_and_has_every_dependency"),
                    move || port(&port_specs, &port_tree),
                ),
            ]
        })
        .collect()
}

/// The Port export (when the Platform asks for it): what Port would refuse on import (an
/// entity of no blueprint, properties against the blueprint's schema, a relation to nothing or
/// of the wrong shape), and every `dependsOn` and owner of the specs in it.
fn port(specs_root: &Path, tree_root: &Path) -> Result<(), Failed> {
    let dir = tree_root.join("catalog/port");
    if !dir.is_dir() {
        return Ok(());
    }
    let read = |name: &str, key: &str| -> Result<Vec<Json>, Failed> {
        let text = std::fs::read_to_string(dir.join(name)).map_err(|e| format!("{name}: {e}"))?;
        let json: Json = serde_json::from_str(&text).map_err(|e| format!("{name}: {e}"))?;
        Ok(json[key].as_array().cloned().unwrap_or_default())
    };
    let blueprints = read("blueprints.json", "blueprints")?;
    let entities = read("entities.json", "entities")?;
    let problems = pave::emit::port::import_problems(&blueprints, &entities);
    check(
        problems.is_empty(),
        format!("Port would refuse: {problems:#?}"),
    )?;
    let by_id: BTreeMap<&str, &Json> = entities
        .iter()
        .filter_map(|e| Some((e["identifier"].as_str()?, e)))
        .collect();
    let specs = read_specs(specs_root)?;
    for (caller, callees) in &specs.calls {
        let id = caller.replacen('/', ".", 1);
        let entity = by_id.get(id.as_str()).ok_or(format!("no entity `{id}`"))?;
        let related = strings(&entity["relations"]["dependsOn"]);
        for callee in callees {
            let target = callee.replacen('/', ".", 1);
            check(
                related.contains(&target),
                format!("`{id}` does not depend on `{target}` in Port"),
            )?;
        }
    }
    for (tenant, (groups, users)) in &specs.owners {
        let entity = by_id
            .get(tenant.as_str())
            .ok_or(format!("no entity `{tenant}`"))?;
        check(
            strings(&entity["properties"]["ownerGroups"]) == *groups
                && strings(&entity["properties"]["ownerUsers"]) == *users,
            format!("`{tenant}`'s owners differ in Port"),
        )?;
    }
    Ok(())
}

fn check(condition: bool, message: impl Into<String>) -> Result<(), Failed> {
    if condition {
        Ok(())
    } else {
        Err(message.into().into())
    }
}

fn strings(value: &Json) -> Vec<String> {
    value
        .as_array()
        .map(|items| {
            items
                .iter()
                .filter_map(|v| v.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

/// How organisation providers name users and groups (Backstage's Microsoft Graph module's
/// `normalizeEntityName`): lower case, other characters than `[a-z0-9_.-]` as `_`.
fn normalized(name: &str) -> String {
    name.trim()
        .to_lowercase()
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.') {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// What the specs say: tenant -> (owner groups, owner users); `tenant/service` -> what it calls.
#[derive(Default)]
struct Specs {
    owners: BTreeMap<String, (Vec<String>, Vec<String>)>,
    calls: BTreeMap<String, Vec<String>>,
}

fn read_specs(root: &Path) -> Result<Specs, Failed> {
    let mut specs = Specs::default();
    for (path, bytes) in read_tree(root) {
        if !(path.ends_with(".yaml") || path.ends_with(".yml")) || path.starts_with("gitops/") {
            continue;
        }
        let text = String::from_utf8_lossy(&bytes);
        for doc in documents(&text)? {
            let name = doc["metadata"]["name"].as_str().unwrap_or_default();
            match (doc["apiVersion"].as_str(), doc["kind"].as_str()) {
                (Some("pave.dev/v1alpha1"), Some("Tenant")) => {
                    let owners = &doc["spec"]["owners"];
                    specs.owners.insert(
                        name.to_string(),
                        (strings(&owners["groups"]), strings(&owners["users"])),
                    );
                }
                (Some("pave.dev/v1alpha1"), Some("Service")) => {
                    let tenant = doc["metadata"]["tenant"].as_str().unwrap_or_default();
                    let calls = strings(&doc["spec"]["dependsOn"])
                        .into_iter()
                        .map(|target| {
                            if target.contains('/') {
                                target
                            } else {
                                format!("{tenant}/{target}")
                            }
                        })
                        .collect();
                    specs.calls.insert(format!("{tenant}/{name}"), calls);
                }
                (Some("score.dev/v1b1"), _) => {
                    // A Score workload's tenant is its folder's: `tenants/<tenant>/...`.
                    let tenant = path.split('/').nth(1).unwrap_or_default();
                    let calls = doc["resources"]
                        .as_object()
                        .map(|resources| {
                            resources
                                .values()
                                .filter(|r| r["type"] == "service-port")
                                .filter_map(|r| r["params"]["workload"].as_str())
                                .map(str::to_string)
                                .collect()
                        })
                        .unwrap_or_default();
                    specs.calls.insert(format!("{tenant}/{name}"), calls);
                }
                _ => {}
            }
        }
    }
    Ok(specs)
}

fn relations(specs_root: &Path, tree_root: &Path) -> Result<(), Failed> {
    // Only where the Platform asks for Backstage entities (a Port-only export has none).
    let platform = std::fs::read_to_string(specs_root.join("pave.yaml")).unwrap_or_default();
    let backstage = documents(&platform)?
        .iter()
        .any(|doc| doc["spec"]["catalog"]["backstage"] == Json::Bool(true));
    if !backstage {
        return check(
            !tree_root.join("catalog/catalog-info.yaml").exists(),
            "Backstage entities written though the Platform does not ask for them",
        );
    }
    let specs = read_specs(specs_root)?;
    check(!specs.owners.is_empty(), "no Tenant in the specs")?;
    let tree = read_tree(tree_root);
    // Every entity of the catalog, by reference (`kind:namespace/name`, kind in lower case).
    let mut entities: BTreeMap<String, Json> = BTreeMap::new();
    let location = tree
        .get("catalog/catalog-info.yaml")
        .ok_or("no catalog/catalog-info.yaml")?;
    let location = documents(&String::from_utf8_lossy(location))?;
    let targets = location
        .first()
        .map(|l| strings(&l["spec"]["targets"]))
        .unwrap_or_default();
    check(!targets.is_empty(), "the Location lists no file")?;
    for target in &targets {
        let path = format!("catalog/{}", target.trim_start_matches("./"));
        let bytes = tree
            .get(&path)
            .ok_or(format!("the Location lists `{path}`, not in the tree"))?;
        for entity in documents(&String::from_utf8_lossy(bytes))? {
            let kind = entity["kind"].as_str().unwrap_or_default().to_lowercase();
            let namespace = entity["metadata"]["namespace"]
                .as_str()
                .unwrap_or("default")
                .to_string();
            let name = entity["metadata"]["name"].as_str().unwrap_or_default();
            entities.insert(format!("{kind}:{namespace}/{name}"), entity);
        }
    }
    // The specs' owners and calls, as relations.
    for (tenant, (groups, users)) in &specs.owners {
        let group = entities
            .get(&format!("group:default/{tenant}"))
            .ok_or(format!("no Group for the tenant `{tenant}`"))?;
        let children = strings(&group["spec"]["children"]);
        let members = strings(&group["spec"]["members"]);
        for owner in groups {
            let reference = format!("group:default/{}", normalized(owner));
            check(
                children.contains(&reference),
                format!("owner group `{owner}` of `{tenant}` is not a child ({reference})"),
            )?;
        }
        for owner in users {
            let reference = format!("user:default/{}", normalized(owner));
            check(
                members.contains(&reference),
                format!("owner user `{owner}` of `{tenant}` is not a member ({reference})"),
            )?;
        }
    }
    check(!specs.calls.is_empty(), "no service in the specs")?;
    for (service, calls) in &specs.calls {
        let (tenant, name) = service.split_once('/').unwrap_or_default();
        let component = entities
            .get(&format!("component:{tenant}/{name}"))
            .ok_or(format!("no Component for `{service}`"))?;
        check(
            component["spec"]["owner"] == format!("group:default/{tenant}").as_str(),
            format!("`{service}` is not owned by its tenant's Group"),
        )?;
        let depends_on = strings(&component["spec"]["dependsOn"]);
        for call in calls {
            let reference = format!("component:{call}");
            check(
                depends_on.contains(&reference),
                format!("`{service}` calls `{call}`, not a dependsOn of its Component"),
            )?;
        }
        // Its label selector picks its workload in every environment's folder.
        let selector =
            component["metadata"]["annotations"]["backstage.io/kubernetes-label-selector"]
                .as_str()
                .ok_or(format!("`{service}` has no label selector"))?;
        // Its workload objects, in whatever file of a `workloads/` folder holds them.
        let mut workloads: Vec<(&String, Json)> = Vec::new();
        for (path, bytes) in tree.iter().filter(|(path, _)| {
            path.starts_with(&format!("tenants/{tenant}/"))
                && path.contains("/workloads/")
                && !path.ends_with("/kustomization.yaml")
        }) {
            for object in documents(&String::from_utf8_lossy(bytes))? {
                if ["Deployment", "StatefulSet", "CronJob", "Job"]
                    .iter()
                    .any(|kind| object["kind"] == *kind)
                    && object["metadata"]["name"] == name
                {
                    workloads.push((path, object));
                }
            }
        }
        check(!workloads.is_empty(), format!("no workload of `{service}`"))?;
        for (path, object) in workloads {
            let labels = &object["metadata"]["labels"];
            for pair in selector.split(',') {
                let (key, value) = pair.split_once('=').ok_or("a selector without `=`")?;
                check(
                    labels[key] == value,
                    format!("`{path}` has no label {key}={value}"),
                )?;
            }
        }
    }
    // Every reference between the catalog's own entities resolves (users and the identity
    // provider's groups come from the organisation's own provider).
    for (reference, entity) in &entities {
        let spec = &entity["spec"];
        let mut refers: Vec<String> = Vec::new();
        for field in ["owner", "system"] {
            refers.extend(spec[field].as_str().map(str::to_string));
        }
        for field in ["dependsOn", "providesApis"] {
            refers.extend(strings(&spec[field]));
        }
        for target in refers {
            check(
                entities.contains_key(&target),
                format!("`{reference}` refers to `{target}`, not in the catalog"),
            )?;
        }
    }
    let seen: BTreeSet<&str> = entities
        .keys()
        .filter_map(|r| r.split(':').next())
        .collect();
    check(
        seen.contains("component") && seen.contains("group") && seen.contains("system"),
        "the catalog lacks a kind",
    )
}
