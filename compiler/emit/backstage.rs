//! The Backstage software catalog (`backstage.io/v1alpha1`) from the plan's [`Catalog`]: one file
//! per entity under `catalog/tenants/<tenant>/` (`component_<name>.yaml`: one object a file, as in
//! the rest of the tree, so `pave diff` shows each entity's changes) and one `Location` at
//! `catalog/catalog-info.yaml` that lists them, so Backstage needs one registration. Each entity
//! carries pave's `pave.dev/tenant` label (and a service's its `app.kubernetes.io/name`), which
//! `pave diff` groups changes by.
//!
//! Per tenant: a `Group` (`default` namespace; its owner users as `members`, its owner groups as
//! `children`), a `System`, a `Component` per service, an `API` per service that answers HTTP
//! and a `Resource` per managed resource, the last four in a namespace named after the tenant
//! (service names are unique per tenant only): `component:backend/order-service`.
//! Field names and relation semantics as Backstage's descriptor format defines them
//! (backstage.io/docs/features/software-catalog/descriptor-format; the schemas of
//! `@backstage/catalog-model`, which `validate-output` runs on the tree): `spec.dependsOn` takes
//! components and resources, `spec.providesApis` APIs, a Group's `members` users and its
//! `children` groups.
//!
//! Users and the identity provider's groups are not written: an organisation provider (LDAP,
//! Microsoft Graph, GitHub, Okta) ingests them, and two locations claiming one entity is a
//! conflict in Backstage. Their names follow those providers' default normalisation (the
//! Microsoft Graph module's `normalizeEntityName`: lower case, every character outside
//! `[a-z0-9_.-]` replaced by `_`), so `maria.garcia@techcorp.example` is
//! `user:default/maria.garcia_techcorp.example`.

use std::collections::BTreeMap;
use std::sync::Arc;

use serde::Serialize;

use super::folder::{header, to_yaml};
use super::{ObjectContext, OutputFile, OutputTree, Provenance};
use crate::lower::TENANT_LABEL;
use crate::lower::catalog::{Catalog, CatalogResource, CatalogService, CatalogTenant, NAME_LABEL};
use crate::source::{FileId, SourceMap};

/// The catalog's folder in the output tree.
pub const CATALOG_DIR: &str = "catalog";

const API_VERSION: &str = "backstage.io/v1alpha1";

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Entity<S: Serialize> {
    api_version: &'static str,
    kind: &'static str,
    metadata: Metadata,
    spec: S,
}

#[derive(Serialize, Default)]
struct Metadata {
    name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    namespace: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    title: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    description: Option<String>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    labels: BTreeMap<String, String>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    annotations: BTreeMap<String, String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    tags: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    links: Vec<Link>,
}

#[derive(Serialize)]
struct Link {
    url: String,
    title: String,
}

#[derive(Serialize)]
struct GroupSpec {
    #[serde(rename = "type")]
    group_type: &'static str,
    children: Vec<String>,
    members: Vec<String>,
}

#[derive(Serialize)]
struct SystemSpec {
    owner: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ComponentSpec {
    #[serde(rename = "type")]
    component_type: &'static str,
    lifecycle: &'static str,
    owner: String,
    system: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    provides_apis: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    depends_on: Vec<String>,
}

#[derive(Serialize)]
struct ApiSpec {
    #[serde(rename = "type")]
    api_type: &'static str,
    lifecycle: &'static str,
    owner: String,
    system: String,
    definition: String,
}

#[derive(Serialize)]
struct ResourceSpec {
    #[serde(rename = "type")]
    resource_type: String,
    owner: String,
    system: String,
}

#[derive(Serialize)]
struct LocationSpec {
    #[serde(rename = "type")]
    location_type: &'static str,
    targets: Vec<String>,
}

/// The reference to a tenant's Group.
pub fn group_ref(tenant: &str) -> String {
    format!("group:default/{tenant}")
}

/// The reference to a service's Component.
pub fn component_ref(tenant: &str, service: &str) -> String {
    format!("component:{tenant}/{service}")
}

/// The reference to a managed resource's Resource.
pub fn resource_ref(tenant: &str, resource: &str) -> String {
    format!("resource:{tenant}/{resource}")
}

/// The reference to an identity-provider user or group, named as organisation providers name
/// them (see the module's doc).
pub fn principal_ref(kind: &str, name: &str) -> String {
    let normalized: String = name
        .trim()
        .to_lowercase()
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.') {
                c
            } else {
                '_'
            }
        })
        .collect();
    format!("{kind}:default/{normalized}")
}

/// Writes the catalog's files.
pub(super) fn emit(
    catalog: &Catalog,
    source_map: &SourceMap,
    tree: &mut OutputTree,
) -> Result<(), String> {
    let name_of = |file: FileId| source_map.get(file).name.clone();
    let mut targets = Vec::new();
    for tenant in &catalog.tenants {
        for (file_name, document, source) in tenant_entities(catalog, tenant, &name_of)? {
            let relative = format!("tenants/{}/{file_name}", tenant.name);
            insert(
                tree,
                format!("{CATALOG_DIR}/{relative}"),
                &document,
                &source,
                &tenant.name,
            )?;
            targets.push(format!("./{relative}"));
        }
    }
    targets.sort();
    let location = Entity {
        api_version: API_VERSION,
        kind: "Location",
        metadata: Metadata {
            name: format!("{}-platform", catalog.platform),
            description: Some(format!(
                "Every entity pave generates for the platform `{}`",
                catalog.platform
            )),
            ..Metadata::default()
        },
        spec: LocationSpec {
            location_type: "url",
            targets,
        },
    };
    insert(
        tree,
        format!("{CATALOG_DIR}/catalog-info.yaml"),
        &to_yaml(&location)?,
        &name_of(catalog.source),
        "",
    )
}

fn insert(
    tree: &mut OutputTree,
    path: String,
    document: &str,
    source: &str,
    tenant: &str,
) -> Result<(), String> {
    let context = Arc::new(ObjectContext {
        tenant: (!tenant.is_empty()).then(|| tenant.to_string()),
        ..ObjectContext::default()
    });
    let contents = format!("{}\n{document}", header(source));
    tree.insert(
        path,
        // No cluster applies the catalog and no policy is about Backstage entities: nothing is
        // left for the policies to evaluate (checked).
        OutputFile::single(
            contents,
            source.to_string(),
            Provenance::new(None, &context),
            true,
        ),
    )
}

fn tenant_entities(
    catalog: &Catalog,
    tenant: &CatalogTenant,
    name_of: &dyn Fn(FileId) -> String,
) -> Result<Vec<(String, String, String)>, String> {
    let owner = group_ref(&tenant.name);
    let system = format!("system:{0}/{0}", tenant.name);
    let tenant_source = name_of(tenant.source);
    let labels = |service: Option<&str>| {
        let mut labels = BTreeMap::new();
        labels.insert(TENANT_LABEL.to_string(), tenant.name.clone());
        if let Some(service) = service {
            labels.insert(NAME_LABEL.to_string(), service.to_string());
        }
        labels
    };
    // (file name, entity, spec file) of each entity.
    let mut documents = Vec::new();
    let group = to_yaml(&Entity {
        api_version: API_VERSION,
        kind: "Group",
        metadata: Metadata {
            name: tenant.name.clone(),
            description: Some(format!("The tenant `{}`", tenant.name)),
            labels: labels(None),
            annotations: source_annotations(catalog, &name_of(tenant.source)),
            ..Metadata::default()
        },
        spec: GroupSpec {
            group_type: "team",
            children: tenant
                .owner_groups
                .iter()
                .map(|g| principal_ref("group", g))
                .collect(),
            members: tenant
                .owner_users
                .iter()
                .map(|u| principal_ref("user", u))
                .collect(),
        },
    })?;
    documents.push((
        format!("group_{}.yaml", tenant.name),
        group,
        tenant_source.clone(),
    ));
    let system_entity = to_yaml(&Entity {
        api_version: API_VERSION,
        kind: "System",
        metadata: Metadata {
            name: tenant.name.clone(),
            namespace: Some(tenant.name.clone()),
            description: Some(format!(
                "The services of the tenant `{}` and the resources they use",
                tenant.name
            )),
            labels: labels(None),
            annotations: source_annotations(catalog, &name_of(tenant.source)),
            ..Metadata::default()
        },
        spec: SystemSpec {
            owner: owner.clone(),
        },
    })?;
    documents.push((
        format!("system_{}.yaml", tenant.name),
        system_entity,
        tenant_source.clone(),
    ));
    for service in &tenant.services {
        let source = name_of(service.source);
        let lifecycle = if service.production {
            "production"
        } else {
            "experimental"
        };
        let provides_apis = if service.endpoints.is_empty() {
            Vec::new()
        } else {
            vec![format!("api:{}/{}", tenant.name, service.name)]
        };
        let mut annotations = source_annotations(catalog, &source);
        annotations.insert(
            "backstage.io/kubernetes-label-selector".into(),
            service.label_selector.clone(),
        );
        let component = to_yaml(&Entity {
            api_version: API_VERSION,
            kind: "Component",
            metadata: Metadata {
                name: service.name.clone(),
                namespace: Some(tenant.name.clone()),
                description: Some(format!(
                    "A {} of the tenant `{}`",
                    service.workload.as_str(),
                    tenant.name
                )),
                labels: labels(Some(&service.name)),
                annotations,
                tags: vec![service.workload.as_str().to_lowercase()],
                links: links(service),
                ..Metadata::default()
            },
            spec: ComponentSpec {
                component_type: service.component_type.as_str(),
                lifecycle,
                owner: owner.clone(),
                system: system.clone(),
                provides_apis,
                depends_on: service
                    .depends_on
                    .iter()
                    .map(|(t, s)| component_ref(t, s))
                    .chain(
                        service
                            .resources
                            .iter()
                            .map(|r| resource_ref(&tenant.name, r)),
                    )
                    .collect(),
            },
        })?;
        documents.push((
            format!("component_{}.yaml", service.name),
            component,
            source.clone(),
        ));
        if !service.endpoints.is_empty() {
            let api = to_yaml(&Entity {
                api_version: API_VERSION,
                kind: "API",
                metadata: Metadata {
                    name: service.name.clone(),
                    namespace: Some(tenant.name.clone()),
                    description: Some(format!(
                        "The HTTP endpoints of `{}/{}`",
                        tenant.name, service.name
                    )),
                    labels: labels(Some(&service.name)),
                    annotations: source_annotations(catalog, &source),
                    links: links(service),
                    ..Metadata::default()
                },
                spec: ApiSpec {
                    api_type: "openapi",
                    lifecycle,
                    owner: owner.clone(),
                    system: system.clone(),
                    definition: api_definition(tenant, service)?,
                },
            })?;
            documents.push((format!("api_{}.yaml", service.name), api, source.clone()));
        }
    }
    for resource in &tenant.resources {
        documents.push((
            format!("resource_{}.yaml", resource.name),
            resource_entity(catalog, tenant, resource, &owner, &system, name_of)?,
            name_of(resource.source),
        ));
    }
    Ok(documents)
}

fn resource_entity(
    catalog: &Catalog,
    tenant: &CatalogTenant,
    resource: &CatalogResource,
    owner: &str,
    system: &str,
    name_of: &dyn Fn(FileId) -> String,
) -> Result<String, String> {
    let mut labels = BTreeMap::new();
    labels.insert(
        "pave.dev/resource-type".into(),
        resource.resource_type.clone(),
    );
    to_yaml(&Entity {
        api_version: API_VERSION,
        kind: "Resource",
        metadata: Metadata {
            name: resource.name.clone(),
            namespace: Some(tenant.name.clone()),
            description: Some(format!(
                "A managed {} used by {}, in {} ({})",
                resource.resource_type,
                resource
                    .used_by
                    .iter()
                    .map(|s| format!("`{s}`"))
                    .collect::<Vec<_>>()
                    .join(", "),
                resource.environments.join(", "),
                resource.regions.join(", "),
            )),
            labels,
            annotations: source_annotations(catalog, &name_of(resource.source)),
            tags: resource
                .environments
                .iter()
                .chain(&resource.regions)
                .cloned()
                .collect(),
            ..Metadata::default()
        },
        spec: ResourceSpec {
            resource_type: resource.resource_type.clone(),
            owner: owner.to_string(),
            system: system.to_string(),
        },
    })
}

/// One link per environment the service answers in.
fn links(service: &CatalogService) -> Vec<Link> {
    service
        .endpoints
        .iter()
        .filter(|e| e.ingress)
        .map(|e| Link {
            url: e.url.clone(),
            title: e.environment.clone(),
        })
        .collect()
}

/// A minimal OpenAPI document: what pave knows of the API (where it answers in each
/// environment), and no paths: the service's own repository holds its full definition.
fn api_definition(tenant: &CatalogTenant, service: &CatalogService) -> Result<String, String> {
    #[derive(Serialize)]
    struct Info<'a> {
        title: String,
        version: &'a str,
    }
    #[derive(Serialize)]
    struct Server<'a> {
        url: &'a str,
        description: &'a str,
    }
    #[derive(Serialize)]
    struct OpenApi<'a> {
        openapi: &'static str,
        info: Info<'a>,
        servers: Vec<Server<'a>>,
        paths: BTreeMap<String, ()>,
    }
    let document = OpenApi {
        openapi: "3.0.3",
        info: Info {
            title: format!("{}/{}", tenant.name, service.name),
            version: "unversioned",
        },
        servers: service
            .endpoints
            .iter()
            .map(|e| Server {
                url: &e.url,
                description: &e.environment,
            })
            .collect(),
        paths: BTreeMap::new(),
    };
    // A JSON document is YAML too, and keeps the definition one string field.
    serde_json::to_string_pretty(&document)
        .map_err(|e| format!("serializing an API definition: {e}"))
}

/// `backstage.io/source-location` (the spec's folder) and `backstage.io/view-url` (the spec file)
/// in the GitOps repository, when the Platform names one over HTTPS.
fn source_annotations(catalog: &Catalog, source: &str) -> BTreeMap<String, String> {
    let mut annotations = BTreeMap::new();
    let Some((repository, branch)) = &catalog.repository else {
        return annotations;
    };
    if !repository.starts_with("https://") {
        return annotations;
    }
    let base = repository.trim_end_matches('/').trim_end_matches(".git");
    let folder = source.rsplit_once('/').map_or("", |(dir, _)| dir);
    annotations.insert(
        "backstage.io/source-location".into(),
        format!("url:{base}/tree/{branch}/{folder}/")
            .replace(&format!("/tree/{branch}//"), &format!("/tree/{branch}/")),
    );
    annotations.insert(
        "backstage.io/view-url".into(),
        format!("{base}/blob/{branch}/{source}"),
    );
    annotations
}

#[cfg(test)]
mod tests {
    use super::principal_ref;

    #[test]
    fn principals_are_named_as_organisation_providers_name_them() {
        assert_eq!(
            principal_ref("user", "Maria.Garcia@techcorp.example"),
            "user:default/maria.garcia_techcorp.example"
        );
        assert_eq!(
            principal_ref("group", "backend engineers"),
            "group:default/backend_engineers"
        );
        assert_eq!(
            principal_ref("group", "data-engineers"),
            "group:default/data-engineers"
        );
    }
}
