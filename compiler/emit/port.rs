//! The software catalog for Port (getport.io), from the same model as the Backstage catalog
//! (`lower::catalog`): `catalog/port/blueprints.json`, the data model (a blueprint per kind of
//! entity, with its properties' JSON Schema and its relations), and `catalog/port/entities.json`,
//! every tenant, service and managed resource as an entity of its blueprint, related by
//! identifier. Port's shapes are those of its docs ("Relate blueprints": a relation is
//! `{title, target, required, many}` under the blueprint's `relations`; an entity names its
//! `blueprint`, its `properties` and its `relations` by relation identifier), as its API and its
//! Terraform and Pulumi providers take them.
//!
//! Blueprint identifiers are prefixed `pave` so that they sit beside an organisation's own
//! `service` blueprint without replacing it; entity identifiers are `<tenant>` and
//! `<tenant>.<name>` (tenant, service and resource names are DNS labels, so the dot cannot be
//! ambiguous). Each file is a JSON object whose `//` key is pave's header, as in Terraform JSON.

use std::collections::BTreeMap;
use std::sync::Arc;

use serde_json::{Value as Json, json};

use super::folder::header;
use super::{ObjectContext, OutputFile, OutputTree, Provenance};
use crate::lower::catalog::{Catalog, CatalogResource, CatalogService, CatalogTenant};
use crate::source::SourceMap;

/// The folder of the Port export, relative to the output root.
pub const PORT_DIR: &str = "catalog/port";

const TENANT: &str = "paveTenant";
const SERVICE: &str = "paveService";
const RESOURCE: &str = "paveResource";

/// Writes the blueprints and the entities.
pub(super) fn emit(
    catalog: &Catalog,
    source_map: &SourceMap,
    tree: &mut OutputTree,
) -> Result<(), String> {
    let source = source_map.get(catalog.source).name.clone();
    let write = |tree: &mut OutputTree, name: &str, key: &str, items: Vec<Json>| {
        let mut document = serde_json::Map::new();
        document.insert("//".into(), json!(header(&source).trim_start_matches("# ")));
        document.insert(key.into(), Json::Array(items));
        let text = serde_json::to_string_pretty(&Json::Object(document))
            .map_err(|e| format!("writing {PORT_DIR}/{name}: {e}"))?;
        tree.insert(
            format!("{PORT_DIR}/{name}"),
            // No cluster applies it and no policy is about catalog entities: checked.
            OutputFile::single(
                format!("{text}\n"),
                source.clone(),
                Provenance::new(None, &Arc::new(ObjectContext::default())),
                true,
            ),
        )
    };
    write(tree, "blueprints.json", "blueprints", blueprints())?;
    write(tree, "entities.json", "entities", entities(catalog))
}

/// The data model, each blueprint after the ones its relations target (Port requires a
/// relation's target to exist when the relation is defined).
pub fn blueprints() -> Vec<Json> {
    vec![
        json!({
            "identifier": TENANT,
            "title": "Tenant",
            "icon": "Team",
            "description": "A team on the platform: its namespace in each environment, its owners",
            "schema": {
                "properties": {
                    "ownerGroups": {"title": "Owner groups", "type": "array", "items": {"type": "string"}},
                    "ownerUsers": {"title": "Owner users", "type": "array", "items": {"type": "string"}},
                    "environments": {"title": "Environments", "type": "array", "items": {"type": "string"}},
                },
                "required": ["environments"],
            },
            "relations": {},
        }),
        json!({
            "identifier": RESOURCE,
            "title": "Managed resource",
            "icon": "Database",
            "description": "A cloud resource a tenant's services use, composed by Crossplane",
            "schema": {
                "properties": {
                    "resourceType": {"title": "Type", "type": "string"},
                    "environments": {"title": "Environments", "type": "array", "items": {"type": "string"}},
                    "regions": {"title": "Regions", "type": "array", "items": {"type": "string"}},
                },
                "required": ["resourceType"],
            },
            "relations": {
                "tenant": {"title": "Tenant", "target": TENANT, "required": true, "many": false},
            },
        }),
        json!({
            "identifier": SERVICE,
            "title": "Service",
            "icon": "Microservice",
            "description": "A workload of a tenant, as its spec declares it",
            "schema": {
                "properties": {
                    "type": {"title": "Type", "type": "string", "enum": ["service", "website", "job"]},
                    "workload": {"title": "Workload", "type": "string"},
                    "lifecycle": {"title": "Lifecycle", "type": "string", "enum": ["production", "experimental"]},
                    "environments": {"title": "Environments", "type": "array", "items": {"type": "string"}},
                    "urls": {"title": "URLs by environment", "type": "object"},
                    "labelSelector": {"title": "Kubernetes label selector", "type": "string"},
                },
                "required": ["type", "lifecycle"],
            },
            "relations": {
                "tenant": {"title": "Tenant", "target": TENANT, "required": true, "many": false},
                "dependsOn": {"title": "Depends on", "target": SERVICE, "required": false, "many": true},
                "resources": {"title": "Uses", "target": RESOURCE, "required": false, "many": true},
            },
        }),
    ]
}

fn identifier(tenant: &str, name: &str) -> String {
    format!("{tenant}.{name}")
}

/// Every entity, tenants first, then each tenant's resources and services.
pub fn entities(catalog: &Catalog) -> Vec<Json> {
    let mut out = Vec::new();
    for tenant in &catalog.tenants {
        out.push(tenant_entity(tenant));
        out.extend(tenant.resources.iter().map(|r| resource_entity(tenant, r)));
        out.extend(tenant.services.iter().map(service_entity));
    }
    out
}

fn tenant_entity(tenant: &CatalogTenant) -> Json {
    json!({
        "identifier": tenant.name,
        "title": tenant.name,
        "blueprint": TENANT,
        "properties": {
            "ownerGroups": tenant.owner_groups,
            "ownerUsers": tenant.owner_users,
            "environments": tenant.environments,
        },
        "relations": {},
    })
}

fn resource_entity(tenant: &CatalogTenant, resource: &CatalogResource) -> Json {
    json!({
        "identifier": identifier(&tenant.name, &resource.name),
        "title": resource.name,
        "blueprint": RESOURCE,
        "properties": {
            "resourceType": resource.resource_type,
            "environments": resource.environments,
            "regions": resource.regions,
        },
        "relations": {"tenant": tenant.name},
    })
}

fn service_entity(service: &CatalogService) -> Json {
    let urls: BTreeMap<&str, &str> = service
        .endpoints
        .iter()
        .map(|e| (e.environment.as_str(), e.url.as_str()))
        .collect();
    json!({
        "identifier": identifier(&service.tenant, &service.name),
        "title": service.name,
        "blueprint": SERVICE,
        "properties": {
            "type": service.component_type.as_str(),
            "workload": format!("{:?}", service.workload),
            "lifecycle": if service.production { "production" } else { "experimental" },
            "environments": service.environments,
            "urls": urls,
            "labelSelector": service.label_selector,
        },
        "relations": {
            "tenant": service.tenant,
            "dependsOn": service
                .depends_on
                .iter()
                .map(|(tenant, name)| identifier(tenant, name))
                .collect::<Vec<_>>(),
            "resources": service
                .resources
                .iter()
                .map(|name| identifier(&service.tenant, name))
                .collect::<Vec<_>>(),
        },
    })
}

/// Every entity is of a blueprint, its properties match the blueprint's schema (with
/// `required`), and each relation names entities of its target blueprint, one or many as
/// the relation says: what Port refuses on import.
pub fn import_problems(blueprints: &[Json], entities: &[Json]) -> Vec<String> {
    let mut problems = Vec::new();
    let blueprint_of: BTreeMap<&str, &Json> = blueprints
        .iter()
        .filter_map(|b| Some((b["identifier"].as_str()?, b)))
        .collect();
    let entity_blueprint: BTreeMap<&str, &str> = entities
        .iter()
        .filter_map(|e| Some((e["identifier"].as_str()?, e["blueprint"].as_str()?)))
        .collect();
    if entity_blueprint.len() != entities.len() {
        problems.push("two entities share an identifier".into());
    }
    for entity in entities {
        let id = entity["identifier"].as_str().unwrap_or_default();
        let Some(blueprint) = entity["blueprint"]
            .as_str()
            .and_then(|b| blueprint_of.get(b))
        else {
            problems.push(format!("{id}: no such blueprint"));
            continue;
        };
        let mut schema = blueprint["schema"].clone();
        schema["type"] = json!("object");
        schema["additionalProperties"] = json!(false);
        match jsonschema::validator_for(&schema) {
            Ok(validator) => problems.extend(
                validator
                    .iter_errors(&entity["properties"])
                    .map(|e| format!("{id}: {e}")),
            ),
            Err(e) => problems.push(format!("{id}: the blueprint's schema: {e}")),
        }
        let relations = blueprint["relations"]
            .as_object()
            .cloned()
            .unwrap_or_default();
        for (name, relation) in &relations {
            let target = relation["target"].as_str().unwrap_or_default();
            let value = &entity["relations"][name];
            let targets: Vec<&str> = match (relation["many"].as_bool(), value) {
                (_, Json::Null) => Vec::new(),
                (Some(true), Json::Array(items)) => items.iter().filter_map(Json::as_str).collect(),
                (Some(false), Json::String(one)) => vec![one.as_str()],
                _ => {
                    problems.push(format!("{id}: relation `{name}` has the wrong shape"));
                    continue;
                }
            };
            if relation["required"].as_bool() == Some(true) && targets.is_empty() {
                problems.push(format!("{id}: required relation `{name}` is empty"));
            }
            for to in targets {
                if entity_blueprint.get(to) != Some(&target) {
                    problems.push(format!("{id}: `{name}` names `{to}`, no {target} entity"));
                }
            }
        }
        for name in entity["relations"]
            .as_object()
            .into_iter()
            .flatten()
            .map(|(k, _)| k)
        {
            if !relations.contains_key(name) {
                problems.push(format!("{id}: relation `{name}` is not in its blueprint"));
            }
        }
    }
    problems
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The blueprints themselves: each relation's target is defined before it.
    #[test]
    fn relations_target_blueprints_defined_before_them() {
        let mut defined = Vec::new();
        for blueprint in blueprints() {
            for (_, relation) in blueprint["relations"].as_object().into_iter().flatten() {
                let target = relation["target"].as_str().unwrap_or_default();
                let own = blueprint["identifier"].as_str() == Some(target);
                assert!(own || defined.contains(&target.to_string()), "{target}");
            }
            defined.push(
                blueprint["identifier"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string(),
            );
        }
    }

    /// A broken relation is caught by the check the example's export passes (tests/catalog.rs).
    #[test]
    fn the_check_catches_a_relation_to_nothing() {
        let entities = vec![json!({
            "identifier": "shop.api",
            "title": "api",
            "blueprint": SERVICE,
            "properties": {"type": "service", "lifecycle": "production"},
            "relations": {"tenant": "shop", "dependsOn": ["shop.web"]},
        })];
        let found = import_problems(&blueprints(), &entities);
        assert_eq!(found.len(), 2, "{found:?}");
    }
}
