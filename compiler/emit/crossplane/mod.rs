//! The Crossplane target.
//!
//! - `control-plane/crossplane/`: for each resource type, the platform's
//!   CompositeResourceDefinition and its Composition (pipeline mode, function-patch-and-transform,
//!   composing the Upbound AWS providers' managed resources). Every cluster's Flux applies it
//!   after its controllers (Crossplane is one) and before its tenants' resources.
//! - `tenants/<tenant>/<env>/resources/<region>/`: the composite resources (v2, namespaced) or
//!   claims (v1) of a tenant in one cluster, and the ConfigMap of the outputs known when
//!   compiling that differ by region.
//!
//! Secret outputs never pass through Git: each Composition writes them to AWS Secrets Manager
//! (a `secretsmanager` Secret per output, named `<secretPrefix>/<output>`, whose SecretVersion
//! reads the provider's generated password or connection secret on the cluster), and
//! workloads read them back through External Secrets.

mod composition;
mod schema;

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::ConfigMap;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use serde_json::{Value as Json, json};

use super::folder::Folder;
use super::{ObjectContext, OutputFile, OutputTree, Provenance};
use crate::lower::{
    Plan, PlannedResource, PlannedResourceType, RegionalResources, TenantEnvironment,
};
use crate::parse::ResourceType;
use crate::source::SourceMap;

/// The API group of the platform's composite resources.
pub(crate) const GROUP: &str = "platform.pave.dev";
pub(crate) const VERSION: &str = "v1alpha1";
/// The folder of the XRDs and Compositions, relative to the output root.
pub(crate) const CONTROL_PLANE_DIR: &str = "control-plane/crossplane";
/// The label compositions are selected by.
pub(crate) const TYPE_LABEL: &str = "pave.dev/resource-type";

/// The folder of a tenant's resources in one region.
pub(crate) fn resources_dir(unit: &TenantEnvironment, region: &str) -> String {
    format!(
        "tenants/{}/{}/resources/{region}",
        unit.tenant, unit.environment
    )
}

/// The kind of a type's composite resource (v2) or claim (v1), and its plural.
pub(crate) fn kind(resource_type: ResourceType) -> (&'static str, &'static str) {
    match resource_type {
        ResourceType::Postgres => ("PostgreSQLInstance", "postgresqlinstances"),
        ResourceType::Mysql => ("MySQLInstance", "mysqlinstances"),
        ResourceType::Redis => ("RedisCache", "rediscaches"),
        ResourceType::S3Bucket => ("S3Bucket", "s3buckets"),
        ResourceType::SqsQueue => ("SQSQueue", "sqsqueues"),
        ResourceType::Mongodb => ("MongoDBDatabase", "mongodbdatabases"),
    }
}

/// Adds the control-plane folder (when any type is in use, or always with resources) and every
/// resource folders of the tenants in `units`.
pub(super) fn emit(
    plan: &Plan,
    units: &[&TenantEnvironment],
    source_map: &SourceMap,
    tree: &mut OutputTree,
) -> Result<(), String> {
    if !uses_resources(plan) {
        return Ok(());
    }
    let source = &source_map.get(plan.crossplane.source).name;
    let mut folder = Folder::new(CONTROL_PLANE_DIR.to_string());
    for planned_type in &plan.crossplane.types {
        let (kind, plural) = kind(planned_type.resource_type);
        let (xr_kind, xr_plural) = if plan.crossplane.claims {
            (format!("X{kind}"), format!("x{plural}"))
        } else {
            (kind.to_string(), plural.to_string())
        };
        let xrd = xrd(
            planned_type,
            plan.crossplane.claims,
            &xr_kind,
            &xr_plural,
            kind,
            plural,
        );
        folder.add_object(
            xrd_api_version(plan.crossplane.claims),
            "CompositeResourceDefinition",
            &format!("{xr_plural}.{GROUP}"),
            &xrd,
            source,
        )?;
        let composition =
            composition::composition(planned_type.resource_type, plan.crossplane.claims, &xr_kind);
        let name = composition::name(planned_type.resource_type);
        folder.add_object(
            "apiextensions.crossplane.io/v1",
            "Composition",
            &name,
            &composition,
            source,
        )?;
    }
    for (path, file) in folder.finish(source)? {
        tree.insert(path, file)?;
    }
    for unit in units {
        for regional in &unit.resources {
            for (path, file) in resources_folder(plan, unit, regional, source_map)? {
                tree.insert(path, file)?;
            }
        }
    }
    Ok(())
}

/// v2 XRDs define namespaced composite resources; claims need the v1 API.
fn xrd_api_version(claims: bool) -> &'static str {
    if claims {
        "apiextensions.crossplane.io/v1"
    } else {
        "apiextensions.crossplane.io/v2"
    }
}

/// Whether any tenant requires a managed resource.
pub(crate) fn uses_resources(plan: &Plan) -> bool {
    plan.units.iter().any(|u| !u.resources.is_empty())
}

/// The XRD of a type. v2: a namespaced XR of kind `kind`; v1: a cluster-scoped `X<kind>` with
/// a namespaced claim of kind `kind` (`apiextensions.crossplane.io/v1`).
fn xrd(
    planned_type: &PlannedResourceType,
    claims: bool,
    xr_kind: &str,
    xr_plural: &str,
    claim_kind: &str,
    claim_plural: &str,
) -> Json {
    let version = json!({
        "name": VERSION,
        "served": true,
        "referenceable": true,
        "schema": {"openAPIV3Schema": schema::open_api_schema(planned_type)},
    });
    let mut spec = json!({
        "group": GROUP,
        "names": {"kind": xr_kind, "plural": xr_plural},
    });
    if claims {
        spec["claimNames"] = json!({"kind": claim_kind, "plural": claim_plural});
    } else {
        spec["scope"] = json!("Namespaced");
    }
    spec["versions"] = json!([version]);
    json!({
        "apiVersion": xrd_api_version(claims),
        "kind": "CompositeResourceDefinition",
        "metadata": {
            "name": format!("{xr_plural}.{GROUP}"),
            "labels": {"app.kubernetes.io/managed-by": "pave", TYPE_LABEL: planned_type.resource_type.as_str()},
        },
        "spec": spec,
    })
}

/// A tenant's composite resources (or claims) in one cluster, and its outputs ConfigMap.
fn resources_folder(
    plan: &Plan,
    unit: &TenantEnvironment,
    regional: &RegionalResources,
    source_map: &SourceMap,
) -> Result<Vec<(String, OutputFile)>, String> {
    let tenant_source = &source_map.get(unit.source).name;
    let mut folder = Folder::new(resources_dir(unit, &regional.region));
    for resource in &regional.resources {
        let source = &source_map.get(resource.source).name;
        // Where each parameter was decided: the class, one of its rules, or the request.
        let context = std::sync::Arc::new(ObjectContext {
            tenant: Some(unit.tenant.clone()),
            environment: Some(unit.environment.clone()),
            region: Some(regional.region.clone()),
            cluster: Some(regional.cluster.clone()),
            service: match resource.consumers.as_slice() {
                [only] => Some(only.clone()),
                _ => None,
            },
            ..ObjectContext::default()
        });
        let mut provenance = Provenance::new(Some(resource.request_span), &context);
        for (param, span) in &resource.param_spans {
            let param = param.replace('~', "~0").replace('/', "~1");
            provenance = provenance.field(format!("/spec/parameters/{param}"), Some(*span));
        }
        folder.trace(provenance);
        let object = composite(resource, unit, plan.crossplane.claims);
        let (kind, _) = kind(resource.resource_type);
        let kind = kind.to_string();
        folder.add_object(
            &format!("{GROUP}/{VERSION}"),
            &kind,
            &resource.name,
            &object,
            source,
        )?;
    }
    if !regional.outputs.is_empty() {
        let config_map = ConfigMap {
            metadata: ObjectMeta {
                name: Some(crate::lower::OUTPUTS_CONFIG_MAP.to_string()),
                namespace: Some(unit.namespace.clone()),
                labels: Some(unit.labels.clone()),
                ..ObjectMeta::default()
            },
            data: Some(regional.outputs.clone()),
            ..ConfigMap::default()
        };
        folder.add(&config_map, crate::lower::OUTPUTS_CONFIG_MAP, tenant_source)?;
    }
    folder.finish(tenant_source)
}

/// The composite resource (v2) or claim (v1) of one planned resource.
fn composite(resource: &PlannedResource, unit: &TenantEnvironment, claims: bool) -> Json {
    let (kind, _) = kind(resource.resource_type);
    let selector = json!({"matchLabels": {TYPE_LABEL: resource.resource_type.as_str()}});
    let mut spec = serde_json::Map::new();
    if claims {
        spec.insert("compositionSelector".into(), selector);
    } else {
        spec.insert(
            "crossplane".into(),
            json!({"compositionSelector": selector}),
        );
    }
    spec.insert("region".into(), json!(resource.region));
    spec.insert("externalName".into(), json!(resource.external_name));
    spec.insert("secretPrefix".into(), json!(resource.secret_prefix));
    if let Some(db) = &resource.database {
        spec.insert(
            "database".into(),
            json!({"name": db.database_name, "username": db.username, "port": db.port}),
        );
    }
    if resource.resource_type == ResourceType::Mongodb {
        // Atlas names regions after AWS's, upper case with underscores.
        spec.insert(
            "atlasRegion".into(),
            json!(resource.region.to_uppercase().replace('-', "_")),
        );
    }
    if let Some(arn) = &resource.dead_letter_queue_arn {
        spec.insert("deadLetterQueueArn".into(), json!(arn));
    }
    spec.insert("class".into(), json!(resource.class));
    let params: serde_json::Map<String, Json> = resource
        .params
        .iter()
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    spec.insert("parameters".into(), Json::Object(params));
    let labels: &BTreeMap<String, String> = &resource.labels;
    json!({
        "apiVersion": format!("{GROUP}/{VERSION}"),
        "kind": kind,
        "metadata": {
            "name": resource.name,
            "namespace": unit.namespace,
            "labels": labels,
            "annotations": {"pave.dev/consumers": resource.consumers.join(", ")},
        },
        "spec": spec,
    })
}
