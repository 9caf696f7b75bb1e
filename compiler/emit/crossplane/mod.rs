//! The Crossplane target.
//!
//! - `control-plane/crossplane/`: the AWS providers' config (credentials from EKS Pod Identity)
//!   and, for each `crossplane` resource type some service requests, the
//!   CompositeResourceDefinition and Composition its `ResourceType` spec ships (stdlib's in
//!   `stdlib/resources/`; pave generates none: with claims it derives the v1 XRD from the v2
//!   one). Every cluster's Flux applies it once the `crossplane` add-on's packages
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
pub(crate) mod environment;
pub(crate) mod packages;

use k8s_openapi::api::core::v1::ConfigMap;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use serde_json::{Value as Json, json};

use super::folder::Folder;
use super::{ObjectContext, OutputFile, OutputTree, Provenance};
use crate::lower::{Plan, PlannedResource, RegionalResources, TenantEnvironment};
use crate::source::SourceMap;

/// The folder of the XRDs and Compositions, relative to the output root.
pub(crate) const CONTROL_PLANE_DIR: &str = "control-plane/crossplane";

/// The folder of a tenant's resources in one region.
pub(crate) fn resources_dir(tenant: &str, environment: &str, region: &str) -> String {
    format!(
        "{}/resources/{region}",
        super::unit_dir(tenant, environment)
    )
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
                for (path, file) in resources_folder(unit, regional, source_map)? {
                    tree.insert(path, file)?;
                }
            }
        }
        return Ok(());
    }
    let source = &source_map.get(plan.crossplane.source).name;
    let mut folder = Folder::new(CONTROL_PLANE_DIR.to_string());
    for planned_type in &plan.crossplane.types {
        // The type's own XRD and Composition, as its spec gives them; with claims, its v1
        // Composition and the v1 XRD derived from its v2 one.
        let source = &source_map.get(planned_type.file).name;
        let definition = if plan.crossplane.claims {
            claims_definition(&planned_type.definition, &planned_type.composition)
        } else {
            planned_type.definition.clone()
        };
        for object in [&definition, &planned_type.composition] {
            let text = |key: &str| object.get(key).and_then(Json::as_str).unwrap_or_default();
            let name = object
                .pointer("/metadata/name")
                .and_then(Json::as_str)
                .unwrap_or_default();
            folder.add_object(text("apiVersion"), text("kind"), name, object, source)?;
        }
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
            for (path, file) in resources_folder(unit, regional, source_map)? {
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

/// Whether any tenant requires a resource Crossplane provides (of a `crossplane` type): then the
/// control plane is written.
pub(crate) fn uses_resources(plan: &Plan) -> bool {
    plan.outlines.iter().any(|u| u.crossplane_resources)
}

/// The v1 XRD (Crossplane 1.x, claims) of a type that ships a v2 one: the cluster-scoped
/// composite is `X<kind>` (plural `x<plural>`), its claim is named as the v2 composite (so the
/// objects in tenants' namespaces keep their kind), and the type's v1 Composition is the default
/// one. Everything else (versions, schemas, labels) is the v2 XRD's; `scope` is v2's only.
/// (Crossplane's "Composite Resource Definitions" docs for v1: `claimNames`, and
/// `defaultCompositionRef` selecting the Composition of a claim that names none.)
fn claims_definition(definition: &Json, composition: &Json) -> Json {
    let mut xrd = definition.clone();
    let text = |pointer: &str| {
        definition
            .pointer(pointer)
            .and_then(Json::as_str)
            .unwrap_or_default()
            .to_string()
    };
    let (kind, plural, group) = (
        text("/spec/names/kind"),
        text("/spec/names/plural"),
        text("/spec/group"),
    );
    xrd["apiVersion"] = json!(xrd_api_version(true));
    xrd["metadata"]["name"] = json!(format!("x{plural}.{group}"));
    let composition_name = composition
        .pointer("/metadata/name")
        .cloned()
        .unwrap_or_default();
    if let Some(spec) = xrd.get_mut("spec").and_then(Json::as_object_mut) {
        let mut v1 = serde_json::Map::new();
        for (key, value) in std::mem::take(spec) {
            match key.as_str() {
                "scope" | "claimNames" | "defaultCompositionRef" => {}
                "names" => {
                    v1.insert(
                        key,
                        json!({"kind": format!("X{kind}"), "plural": format!("x{plural}")}),
                    );
                    v1.insert("claimNames".into(), json!({"kind": kind, "plural": plural}));
                    v1.insert(
                        "defaultCompositionRef".into(),
                        json!({"name": composition_name}),
                    );
                }
                _ => {
                    v1.insert(key, value);
                }
            }
        }
        *spec = v1;
    }
    xrd
}

/// A tenant's composite resources (or claims) in one cluster, and its outputs ConfigMap.
fn resources_folder(
    unit: &TenantEnvironment,
    regional: &RegionalResources,
    source_map: &SourceMap,
) -> Result<Vec<(String, OutputFile)>, String> {
    let tenant_source = &source_map.get(unit.source).name;
    let mut folder = Folder::new(resources_dir(
        &unit.tenant,
        &unit.environment,
        &regional.region,
    ));
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
        let Some((api_version, kind)) = &resource.composite else {
            return Err(format!(
                "resource `{}` of type `{}` has no composite kind",
                resource.name,
                resource.resource_type.as_str()
            ));
        };
        let object = composite(resource, unit, api_version, kind);
        folder.add_object(api_version, kind, &resource.name, &object, source)?;
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

/// The composite resource (v2) or claim (v1, of the same kind) of a `crossplane` type: the
/// XRD's kind, with the decided parameters, the region, the cloud resource's name, the Secrets
/// Manager prefix its Composition writes secret outputs under and the type's `compositeSpec`;
/// the XRD's default Composition composes it.
fn composite(
    resource: &PlannedResource,
    unit: &TenantEnvironment,
    api_version: &str,
    kind: &str,
) -> Json {
    let mut spec = serde_json::Map::new();
    spec.insert("parameters".into(), json!(resource.params));
    spec.insert("region".into(), json!(resource.region));
    spec.insert("externalName".into(), json!(resource.external_name));
    spec.insert("secretPrefix".into(), json!(resource.secret_prefix));
    // The type's own fields (`compositeSpec`); its schema keeps them off pave's.
    for (key, value) in &resource.composite_spec {
        spec.entry(key.clone()).or_insert_with(|| value.clone());
    }
    json!({
        "apiVersion": api_version,
        "kind": kind,
        "metadata": {
            "name": resource.name,
            "namespace": unit.namespace,
            "labels": resource.labels,
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

    /// The Compositions stdlib's `crossplane` types ship, with their file and which one it is
    /// (`composition`, v2, or `claims`, v1).
    pub(super) fn stdlib_compositions() -> Vec<(String, &'static str, Json)> {
        let mut out = Vec::new();
        let files = crate::source::STDLIB
            .iter()
            .filter(|(path, _)| path.starts_with(crate::source::STDLIB_RESOURCES));
        for (path, text) in files {
            let (nodes, _) = parse_yaml(FileId::new(0), text);
            let json = nodes.first().map(|n| n.to_json()).unwrap_or_default();
            let crossplane = &json["spec"]["crossplane"];
            for (which, composition) in [
                ("composition", &crossplane["composition"]),
                ("claims", &crossplane["claims"]["composition"]),
            ] {
                if composition.is_object() {
                    out.push(((*path).to_string(), which, composition.clone()));
                }
            }
        }
        out
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

    /// What a cluster resolves when it composes one of stdlib's types (v2 or claims): every
    /// step's Function and every composed managed resource's Provider are installed by the
    /// catalogue entry, and any other composed kind but a core Secret is granted to Crossplane
    /// by a ClusterRole aggregated to its own (Crossplane composes other kinds only then).
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
        for (path, _, composition) in stdlib_compositions() {
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
