//! Crossplane references, resolved as Crossplane resolves them (docs.crossplane.io, Composition
//! functions, Managed resources, Providers): a Composition step's `functionRef` names an
//! installed `Function`; a composed resource's `providerConfigRef` a ProviderConfig or
//! ClusterProviderConfig; function-environment-configs' `ref.name` an EnvironmentConfig; a
//! Provider's `runtimeConfigRef` a DeploymentRuntimeConfig; and an AWS provider's pods a
//! ServiceAccount (named by that runtime config) with a Pod Identity association in the
//! cluster's Terraform.

use crate::emit::Json;

use super::Report;
use super::index::{Index, Object, Scope};
use crate::diagnostic::Reference;

/// Where Crossplane's chart installs it and runs its providers' pods.
const CROSSPLANE_NAMESPACE: &str = "crossplane-system";

pub(super) fn check(index: &Index<'_>, report: &mut Report<'_>) {
    for scope in &index.scopes {
        for (idx, _) in &scope.members {
            let object = &index.objects[*idx];
            match (object.group(), object.kind.as_str()) {
                ("apiextensions.crossplane.io", "Composition") => {
                    composition(object, scope, report)
                }
                ("pkg.crossplane.io", "Provider") => provider(index, object, scope, report),
                _ => {}
            }
        }
    }
}

fn composition(object: &Object<'_>, scope: &Scope, report: &mut Report<'_>) {
    // EnvironmentConfigs and provider configs are read when a composite is composed: only
    // clusters with composites of this Composition's type need them (the control plane is the
    // same on every cluster).
    let composite = object.value.pointer("/spec/compositeTypeRef");
    let text = |pointer: &str| {
        composite
            .and_then(|c| c.pointer(pointer))
            .and_then(Json::as_str)
    };
    let composes_here = match (text("/apiVersion"), text("/kind")) {
        (Some(api_version), Some(kind)) => {
            let group = api_version.rsplit_once('/').map_or("", |(group, _)| group);
            scope.has_kind(group, kind)
        }
        _ => true,
    };
    let steps = object
        .value
        .pointer("/spec/pipeline")
        .and_then(Json::as_array);
    for (i, step) in steps.into_iter().flatten().enumerate() {
        let pointer = format!("/spec/pipeline/{i}");
        if let Some(name) = step.pointer("/functionRef/name").and_then(Json::as_str)
            && !scope.has("Function", "", name)
        {
            report.unresolved(
                object,
                &format!("{pointer}/functionRef"),
                Reference::Function,
                format!("Function `{name}`"),
            );
        }
        let Some(input) = step.get("input") else {
            continue;
        };
        let configs = input
            .pointer("/spec/environmentConfigs")
            .and_then(Json::as_array);
        for (j, config) in configs.into_iter().flatten().enumerate() {
            let by_reference = config
                .get("type")
                .and_then(Json::as_str)
                .is_none_or(|kind| kind == "Reference");
            if let Some(name) = config.pointer("/ref/name").and_then(Json::as_str)
                && by_reference
                && composes_here
                && !scope.has("EnvironmentConfig", "", name)
            {
                report.unresolved(
                    object,
                    &format!("{pointer}/input/spec/environmentConfigs/{j}"),
                    Reference::EnvironmentConfig,
                    format!("EnvironmentConfig `{name}`"),
                );
            }
        }
        let mut references = Vec::new();
        provider_config_refs(input, &format!("{pointer}/input"), "", &mut references);
        for (at, group, kind, name) in references {
            if composes_here && !scope.has_provider_config(&group, kind.as_deref(), &name) {
                let kind = kind.unwrap_or_else(|| "ProviderConfig".into());
                report.unresolved(
                    object,
                    &at,
                    Reference::ProviderConfig,
                    format!("{kind} `{name}` of the provider of `{group}`"),
                );
            }
        }
    }
}

/// Every `providerConfigRef` under `value`: (pointer, API group of the object it is in, kind if
/// given, name).
fn provider_config_refs(
    value: &Json,
    pointer: &str,
    group: &str,
    found: &mut Vec<(String, String, Option<String>, String)>,
) {
    match value {
        Json::Object(map) => {
            let group = map
                .get("apiVersion")
                .and_then(Json::as_str)
                .map_or(group, |api_version| {
                    api_version.rsplit_once('/').map_or("", |(group, _)| group)
                });
            for (key, child) in map {
                let at = format!("{pointer}/{}", key.replace('~', "~0").replace('/', "~1"));
                if key == "providerConfigRef"
                    && let Some(name) = child.get("name").and_then(Json::as_str)
                {
                    let kind = child.get("kind").and_then(Json::as_str).map(str::to_string);
                    found.push((at, group.to_string(), kind, name.to_string()));
                } else {
                    provider_config_refs(child, &at, group, found);
                }
            }
        }
        Json::Array(items) => {
            for (i, child) in items.iter().enumerate() {
                provider_config_refs(child, &format!("{pointer}/{i}"), group, found);
            }
        }
        _ => {}
    }
}

fn provider(index: &Index<'_>, object: &Object<'_>, scope: &Scope, report: &mut Report<'_>) {
    let runtime_config = object
        .value
        .pointer("/spec/runtimeConfigRef/name")
        .and_then(Json::as_str);
    let config = runtime_config.and_then(|name| {
        scope
            .members
            .iter()
            .map(|(idx, _)| &index.objects[*idx])
            .find(|other| other.kind == "DeploymentRuntimeConfig" && other.name == name)
    });
    if let Some(name) = runtime_config
        && config.is_none()
    {
        report.unresolved(
            object,
            "/spec/runtimeConfigRef",
            Reference::RuntimeConfig,
            format!("DeploymentRuntimeConfig `{name}`"),
        );
        return;
    }
    let package = object
        .value
        .pointer("/spec/package")
        .and_then(Json::as_str)
        .unwrap_or_default();
    let Some(module) = &scope.module else { return };
    if !package.contains("provider-aws") && !package.contains("provider-family-aws") {
        return;
    }
    // Without a runtime config naming it, the ServiceAccount is named after the package
    // revision, which no association can name in advance.
    let service_account = config.and_then(|config| {
        config
            .value
            .pointer("/spec/serviceAccountTemplate/metadata/name")
            .and_then(Json::as_str)
    });
    let associated = service_account.is_some_and(|name| {
        index.modules.get(module).into_iter().flatten().any(|idx| {
            let associations = index.objects[*idx]
                .value
                .pointer("/resource/aws_eks_pod_identity_association")
                .and_then(Json::as_object);
            associations.into_iter().flatten().any(|(_, association)| {
                association.get("namespace").and_then(Json::as_str) == Some(CROSSPLANE_NAMESPACE)
                    && association.get("service_account").and_then(Json::as_str) == Some(name)
            })
        })
    });
    if !associated {
        let name = service_account.unwrap_or("(named after the package revision)");
        report.unresolved(
            object,
            "/spec",
            Reference::ProviderIdentity,
            format!("a Pod Identity association for ServiceAccount `{name}` in `{CROSSPLANE_NAMESPACE}` in `{module}`"),
        );
    }
}
