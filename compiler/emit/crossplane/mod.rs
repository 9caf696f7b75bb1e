//! The Crossplane target.
//!
//! - `control-plane/crossplane/`: the AWS providers' config (credentials from EKS Pod Identity)
//!   and, for each resource type, the platform's CompositeResourceDefinition and its Composition
//!   (pipeline mode, function-patch-and-transform, composing the AWS providers' managed
//!   resources). Every cluster's Flux applies it once the `crossplane` add-on's packages
//!   (Providers and Functions, its manifests, in the configs layer) are Healthy, and its tenants'
//!   resources once every XRD is Established.
//! - `control-plane/clusters/<cluster>/`: what the Compositions read on one cluster
//!   (`environment.rs`): its EnvironmentConfigs and the Atlas provider's config.
//! - `tenants/<tenant>/<env>/resources/<region>/`: the composite resources (v2, namespaced) or
//!   claims (v1) of a tenant in one cluster, and the ConfigMap of the outputs known when
//!   compiling that differ by region.
//!
//! Secret outputs never pass through Git: each Composition writes them to AWS Secrets Manager
//! (a `secretsmanager` Secret per output, named `<secretPrefix>/<output>`, whose SecretVersion
//! reads the provider's generated password or connection secret on the cluster), and
//! workloads read them back through External Secrets.

#[cfg(test)]
mod composed_schemas;
mod composition;
pub(crate) mod environment;
pub(crate) mod packages;
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
        // Its kind is its XRD's (`PlannedResource::composite`).
        ResourceType::Platform(_) => ("", ""),
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
        // Only data-defined `kubernetes` or `external` types: their folders, no control plane.
        for unit in units {
            for regional in &unit.resources {
                for (path, file) in resources_folder(plan, unit, regional, source_map)? {
                    tree.insert(path, file)?;
                }
            }
        }
        return Ok(());
    }
    let source = &source_map.get(plan.crossplane.source).name;
    let mut folder = Folder::new(CONTROL_PLANE_DIR.to_string());
    let packages = packages::Packages::from_plan(plan);
    for planned_type in &plan.crossplane.types {
        if let Some((definition, composition, file)) = &planned_type.shipped {
            // A data-defined type's own XRD and Composition, as its spec gives them.
            let source = &source_map.get(*file).name;
            for object in [definition, composition] {
                let text = |key: &str| object.get(key).and_then(Json::as_str).unwrap_or_default();
                let name = object
                    .pointer("/metadata/name")
                    .and_then(Json::as_str)
                    .unwrap_or_default();
                folder.add_object(text("apiVersion"), text("kind"), name, object, source)?;
            }
            continue;
        }
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
        let composition = composition::composition(
            planned_type.resource_type,
            plan.crossplane.claims,
            &xr_kind,
            &packages,
        )?;
        let name = composition::name(planned_type.resource_type);
        folder.add_object(
            "apiextensions.crossplane.io/v1",
            "Composition",
            &name,
            &composition,
            source,
        )?;
    }
    let (api_version, kind) = provider_config_kind(plan.crossplane.claims);
    folder.add_object(
        api_version,
        kind,
        PROVIDER_CONFIG,
        &aws_provider_config(plan.crossplane.claims),
        source,
    )?;
    for (path, file) in folder.finish(source)? {
        tree.insert(path, file)?;
    }
    for cluster in &plan.clusters {
        if let Some(environment) = &cluster.crossplane_environment {
            for (path, file) in
                environment::emit(cluster, environment, plan.crossplane.claims, source_map)?
            {
                tree.insert(path, file)?;
            }
        }
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

/// The name of the AWS providers' config every composed resource names.
pub(crate) const PROVIDER_CONFIG: &str = "default";

/// The API version and kind of the AWS providers' config: the cluster-scoped
/// `ClusterProviderConfig` of the namespaced managed resources (v2), or the `ProviderConfig` of
/// the cluster-scoped ones (v1, claims), which is cluster-scoped itself.
pub(crate) fn provider_config_kind(claims: bool) -> (&'static str, &'static str) {
    if claims {
        ("aws.upbound.io/v1beta1", "ProviderConfig")
    } else {
        ("aws.m.upbound.io/v1beta1", "ClusterProviderConfig")
    }
}

/// The AWS providers' config: credentials from EKS Pod Identity (`PodIdentity` in the
/// `credentials.source` enum of the `aws.m.upbound.io` ClusterProviderConfig v1beta1 CRD; no role
/// in the config: the AWS SDK's default chain finds the association's credentials), so each
/// provider acts as the role its ServiceAccount is associated with in the cluster's Terraform
/// (the `crossplane` add-on's `identities`).
fn aws_provider_config(claims: bool) -> Json {
    let (api_version, kind) = provider_config_kind(claims);
    json!({
        "apiVersion": api_version,
        "kind": kind,
        "metadata": {
            "name": PROVIDER_CONFIG,
            "labels": {"app.kubernetes.io/managed-by": "pave"},
        },
        "spec": {"credentials": {"source": "PodIdentity"}},
    })
}

/// A Flux `healthCheckExprs` entry: when an object of `kind` is healthy (CEL over the object).
#[derive(Debug, Clone, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct HealthCheckExpr {
    pub api_version: &'static str,
    pub kind: &'static str,
    pub current: &'static str,
}

/// A CEL expression true when the object's condition `type` is `True` (a missing `status` is
/// not yet healthy: Flux's CEL cheatsheet, "Using the has(...) macro", optional field access).
macro_rules! condition_true {
    ($type:literal) => {
        concat!(
            "status.?conditions.orValue([]).exists(c, c.type == '",
            $type,
            "' && c.status == 'True')"
        )
    };
}

/// Crossplane packages have no `Ready` condition: a Provider or Function is usable once
/// `Healthy` (its revision's runtime is up and, for a Provider, its CRDs are installed).
pub(crate) fn package_health_checks() -> Vec<HealthCheckExpr> {
    ["Provider", "Function"]
        .into_iter()
        .map(|kind| HealthCheckExpr {
            api_version: "pkg.crossplane.io/v1",
            kind,
            current: condition_true!("Healthy"),
        })
        .collect()
}

/// An XRD has no `Ready` condition: its composite resources are accepted once it is
/// `Established` (the XR's CRD is served); with claims, once it is also `Offered`.
pub(crate) fn definition_health_checks(claims: bool) -> Vec<HealthCheckExpr> {
    vec![HealthCheckExpr {
        api_version: xrd_api_version(claims),
        kind: "CompositeResourceDefinition",
        current: if claims {
            concat!(
                condition_true!("Established"),
                " && ",
                condition_true!("Offered")
            )
        } else {
            condition_true!("Established")
        },
    }]
}

/// v2 XRDs define namespaced composite resources; claims need the v1 API.
fn xrd_api_version(claims: bool) -> &'static str {
    if claims {
        "apiextensions.crossplane.io/v1"
    } else {
        "apiextensions.crossplane.io/v2"
    }
}

/// Whether any tenant requires a resource Crossplane provides (a built-in type or a data-defined
/// `crossplane` one): then the control plane is written.
pub(crate) fn uses_resources(plan: &Plan) -> bool {
    plan.units.iter().any(|u| {
        u.resources.iter().any(|r| {
            r.resources
                .iter()
                .any(|resource| resource.objects.is_empty())
        })
    })
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
        if !resource.objects.is_empty() {
            // A data-defined `kubernetes` type: its objects in the tenant's namespace.
            for object in &resource.objects {
                let mut object = object.clone();
                let text = |key: &str| {
                    object
                        .get(key)
                        .and_then(Json::as_str)
                        .unwrap_or_default()
                        .to_string()
                };
                let (api_version, kind) = (text("apiVersion"), text("kind"));
                let name = object
                    .pointer("/metadata/name")
                    .and_then(Json::as_str)
                    .unwrap_or_default()
                    .to_string();
                if let Some(metadata) = object.get_mut("metadata").and_then(Json::as_object_mut) {
                    metadata.insert("namespace".into(), json!(unit.namespace));
                    let labels = metadata.entry("labels").or_insert_with(|| json!({}));
                    if let Some(labels) = labels.as_object_mut() {
                        for (k, v) in &resource.labels {
                            labels.insert(k.clone(), json!(v));
                        }
                    }
                }
                folder.add_object(&api_version, &kind, &name, &object, source)?;
            }
            continue;
        }
        let object = composite(resource, unit, plan.crossplane.claims);
        let (api_version, kind) = match &resource.composite {
            Some((api_version, kind)) => (api_version.clone(), kind.clone()),
            None => (
                format!("{GROUP}/{VERSION}"),
                kind(resource.resource_type).0.to_string(),
            ),
        };
        folder.add_object(&api_version, &kind, &resource.name, &object, source)?;
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

/// The composite resource of a data-defined `crossplane` type: the XRD's kind, with the decided
/// parameters, the region and the Secrets Manager prefix its Composition writes secret outputs
/// under; the XRD's default Composition composes it.
fn data_composite(
    resource: &PlannedResource,
    unit: &TenantEnvironment,
    api_version: &str,
    kind: &str,
) -> Json {
    json!({
        "apiVersion": api_version,
        "kind": kind,
        "metadata": {
            "name": resource.name,
            "namespace": unit.namespace,
            "labels": resource.labels,
            "annotations": {"pave.dev/consumers": resource.consumers.join(", ")},
        },
        "spec": {
            "parameters": resource.params,
            "region": resource.region,
            "externalName": resource.external_name,
            "secretPrefix": resource.secret_prefix,
        },
    })
}

/// The composite resource (v2) or claim (v1) of one planned resource.
fn composite(resource: &PlannedResource, unit: &TenantEnvironment, claims: bool) -> Json {
    if let Some((api_version, kind)) = &resource.composite {
        return data_composite(resource, unit, api_version, kind);
    }
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

#[cfg(test)]
mod tests {
    use super::packages::{Packages, repository_name};
    use super::*;
    use crate::parse::AddonDefinition;
    use crate::parse::yaml::parse_yaml;
    use crate::source::{FileId, stdlib_file};

    /// The `crossplane` catalogue entry, as read.
    pub(super) fn crossplane_addon() -> AddonDefinition {
        let text = stdlib_file("stdlib/addons/crossplane.yaml").unwrap_or_default();
        let (nodes, _) = parse_yaml(FileId::new(0), text);
        let json = nodes.first().map(|n| n.to_json()).unwrap_or_default();
        let definition = serde_json::from_value(json);
        assert!(definition.is_ok(), "{definition:?}");
        definition.unwrap_or_else(|_| unreachable!())
    }

    /// Whether the catalogue entry installs the Function a Composition step names.
    fn function_installed(addon: &AddonDefinition, function: &str) -> bool {
        addon
            .manifests
            .iter()
            .any(|m| m["kind"] == "Function" && m["metadata"]["name"] == function)
    }

    /// The objects of the composed resources' API groups, by the provider that serves each.
    fn provider_of(api_version: &str) -> Option<String> {
        let group = api_version.split('/').next()?;
        let service = group.split('.').next()?;
        if group.contains("mongodbatlas") {
            Some("provider-mongodbatlas".into())
        } else if group.ends_with("upbound.io") {
            Some(format!("provider-aws-{service}"))
        } else {
            None
        }
    }

    /// What a cluster resolves when it composes: every step's Function, every composed
    /// resource's Provider, installed by the catalogue entry, in both API modes.
    #[test]
    fn every_composition_uses_installed_functions_and_providers() {
        let addon = crossplane_addon();
        let packages = Packages::from_manifests(&addon.manifests);
        let mut problems = Vec::new();
        for claims in [false, true] {
            for resource_type in crate::parse::ResourceType::ALL {
                let composition = composition::composition(resource_type, claims, "X", &packages);
                let Ok(composition) = composition else {
                    problems.push(format!("{resource_type:?}: {composition:?}"));
                    continue;
                };
                let pipeline = composition["spec"]["pipeline"].as_array().cloned();
                for step in pipeline.unwrap_or_default() {
                    let function = step["functionRef"]["name"].as_str().unwrap_or_default();
                    if !function_installed(&addon, function) {
                        problems.push(format!("{resource_type:?}: no Function `{function}`"));
                    }
                    let resources = step["input"]["resources"].as_array().cloned();
                    for resource in resources.unwrap_or_default() {
                        let api = resource["base"]["apiVersion"].as_str().unwrap_or_default();
                        if let Some(provider) = provider_of(api)
                            && packages.provider(&provider).is_none()
                        {
                            problems.push(format!("{resource_type:?}: no Provider for {api}"));
                        }
                    }
                }
            }
        }
        assert_eq!(problems, Vec::<String>::new());
    }

    /// What a cluster resolves when it composes one of stdlib's data-defined types (`mssql`,
    /// `amqp`, ...): every step's Function and every composed managed resource's Provider are
    /// installed by the catalogue entry, and any other composed kind but a core Secret is
    /// granted to Crossplane by a ClusterRole aggregated to its own (Crossplane composes other
    /// kinds only then).
    #[test]
    fn stdlib_compositions_use_installed_functions_providers_and_granted_kinds() {
        let addon = crossplane_addon();
        let packages = Packages::from_manifests(&addon.manifests);
        let granted = |group: &str, plural: &str| {
            addon.manifests.iter().any(|m| {
                m["kind"] == "ClusterRole"
                    && m["metadata"]["labels"]["rbac.crossplane.io/aggregate-to-crossplane"]
                        == "true"
                    && m["rules"].as_array().into_iter().flatten().any(|rule| {
                        rule["apiGroups"]
                            .as_array()
                            .is_some_and(|g| g.contains(&json!(group)))
                            && rule["resources"]
                                .as_array()
                                .is_some_and(|r| r.contains(&json!(plural)))
                            && rule["verbs"]
                                .as_array()
                                .is_some_and(|v| v.contains(&json!("create")))
                    })
            })
        };
        let mut problems = Vec::new();
        let mut composed = 0;
        let files = crate::source::STDLIB
            .iter()
            .filter(|(path, _)| path.starts_with(crate::source::STDLIB_RESOURCES));
        for (path, text) in files {
            let (nodes, _) = parse_yaml(FileId::new(0), text);
            let json = nodes.first().map(|n| n.to_json()).unwrap_or_default();
            let composition = &json["spec"]["crossplane"]["composition"];
            for step in composition["spec"]["pipeline"]
                .as_array()
                .into_iter()
                .flatten()
            {
                let function = step["functionRef"]["name"].as_str().unwrap_or_default();
                if !function_installed(&addon, function) {
                    problems.push(format!("{path}: no Function `{function}`"));
                }
                for resource in step["input"]["resources"].as_array().into_iter().flatten() {
                    composed += 1;
                    let api = resource["base"]["apiVersion"].as_str().unwrap_or_default();
                    let kind = resource["base"]["kind"].as_str().unwrap_or_default();
                    let group = api.rsplit_once('/').map_or("", |(group, _)| group);
                    match provider_of(api) {
                        Some(provider) if packages.provider(&provider).is_none() => {
                            problems.push(format!("{path}: no Provider for {api}"));
                        }
                        Some(_) => {}
                        None if group.is_empty() && kind == "Secret" => {}
                        None => {
                            let plural = format!("{}s", kind.to_lowercase());
                            if !granted(group, &plural) {
                                problems.push(format!("{path}: {api} {kind} not granted"));
                            }
                        }
                    }
                }
            }
        }
        assert_eq!(problems, Vec::<String>::new());
        assert!(composed > 0, "stdlib ships Compositions");
    }

    /// Each Provider runs with a DeploymentRuntimeConfig of the entry, whose ServiceAccount has
    /// an identity (an EKS Pod Identity role) when it is an AWS provider; every runtime config
    /// meets Pod Security `restricted`.
    #[test]
    fn every_provider_runs_as_an_identity_with_a_restricted_runtime() {
        let addon = crossplane_addon();
        let of_kind = |kind: &str| -> Vec<&Json> {
            addon
                .manifests
                .iter()
                .filter(|m| m["kind"] == kind)
                .collect()
        };
        let mut problems = Vec::new();
        for provider in of_kind("Provider") {
            let name = provider["metadata"]["name"].as_str().unwrap_or_default();
            let package = provider["spec"]["package"].as_str().unwrap_or_default();
            if !package.starts_with("xpkg.crossplane.io/crossplane-contrib/") {
                problems.push(format!("{name}: package {package}"));
            }
            let runtime = &provider["spec"]["runtimeConfigRef"]["name"];
            let Some(config) = of_kind("DeploymentRuntimeConfig")
                .into_iter()
                .find(|c| &c["metadata"]["name"] == runtime)
            else {
                problems.push(format!("{name}: no DeploymentRuntimeConfig {runtime}"));
                continue;
            };
            let account = &config["spec"]["serviceAccountTemplate"]["metadata"]["name"];
            let has_identity = addon
                .identities
                .iter()
                .any(|i| Some(i.service_account.as_str()) == account.as_str());
            if repository_name(package).starts_with("provider-aws-") && !has_identity {
                problems.push(format!("{name}: ServiceAccount {account} has no identity"));
            }
        }
        for config in of_kind("DeploymentRuntimeConfig") {
            let pod = &config["spec"]["deploymentTemplate"]["spec"]["template"]["spec"];
            let container = &pod["containers"][0]["securityContext"];
            let restricted = pod["securityContext"]["runAsNonRoot"] == true
                && pod["securityContext"]["seccompProfile"]["type"] == "RuntimeDefault"
                && container["allowPrivilegeEscalation"] == false
                && container["capabilities"]["drop"] == json!(["ALL"])
                && pod["containers"][0]["name"] == "package-runtime";
            if !restricted {
                problems.push(format!("{}: not restricted", config["metadata"]["name"]));
            }
        }
        assert_eq!(problems, Vec::<String>::new());
    }
}
