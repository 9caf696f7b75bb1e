//! The Crossplane packages the Compositions rely on, looked up in the one place they are
//! declared: the `crossplane` add-on's manifests (`stdlib/addons/crossplane.yaml`), which hold
//! each `Function` and `Provider` object with its pinned package. A Composition step's
//! `functionRef` is the name of the Function object whose package is the function's repository,
//! so the two cannot drift apart. (The chart's `provider.packages`/`function.packages` values
//! would name each object `xpkg.ToDNSLabel` of the reference's repository without its registry,
//! `crossplane-contrib-function-patch-and-transform`: crossplane's
//! `internal/initializer/installer.go`, `buildPack`. pave writes the objects itself instead.)

use std::collections::BTreeMap;

use serde_json::Value as Json;

use crate::lower::Plan;

/// The add-on whose manifests install the packages.
pub(crate) const ADDON: &str = "crossplane";

/// The function that composes resources from patches.
pub(crate) const PATCH_AND_TRANSFORM: &str = "function-patch-and-transform";

/// The function that loads EnvironmentConfigs into the pipeline's context.
pub(crate) const ENVIRONMENT_CONFIGS: &str = "function-environment-configs";

/// A package reference's repository name: its last path segment without tag or digest
/// (`xpkg.crossplane.io/crossplane-contrib/function-patch-and-transform:v0.9.0` ->
/// `function-patch-and-transform`).
pub(crate) fn repository_name(package: &str) -> &str {
    let without_tag = package.split(['@', ':']).next().unwrap_or(package).trim();
    without_tag.rsplit('/').next().unwrap_or(without_tag)
}

/// The Function and Provider objects of a set of manifests, by kind and package repository
/// name, to their object names.
#[derive(Debug, Default)]
pub(crate) struct Packages {
    objects: BTreeMap<(String, String), String>,
}

impl Packages {
    /// The packages among `manifests` (objects of `pkg.crossplane.io`).
    pub(crate) fn from_manifests<'a>(manifests: impl IntoIterator<Item = &'a Json>) -> Packages {
        let mut objects = BTreeMap::new();
        for manifest in manifests {
            let text = |value: Option<&Json>| value.and_then(Json::as_str).map(str::to_string);
            let api_version = text(manifest.get("apiVersion")).unwrap_or_default();
            if !api_version.starts_with("pkg.crossplane.io/") {
                continue;
            }
            let kind = text(manifest.get("kind"));
            let name = text(manifest.pointer("/metadata/name"));
            let package = text(manifest.pointer("/spec/package"));
            if let (Some(kind), Some(name), Some(package)) = (kind, name, package) {
                objects.insert((kind, repository_name(&package).to_string()), name);
            }
        }
        Packages { objects }
    }

    /// The packages the `crossplane` add-on installs on the first cluster that runs it (every
    /// cluster gets the same manifests: they have no per-cluster variables).
    pub(crate) fn from_plan(plan: &Plan) -> Packages {
        let addon = plan
            .clusters
            .iter()
            .flat_map(|cluster| &cluster.addons)
            .find(|addon| addon.name == ADDON);
        Packages::from_manifests(addon.map(|a| a.manifests.as_slice()).unwrap_or_default())
    }

    /// The name of the Function object of the function `repository`.
    pub(crate) fn function(&self, repository: &str) -> Result<&str, String> {
        self.objects
            .get(&("Function".to_string(), repository.to_string()))
            .map(String::as_str)
            .ok_or_else(|| {
                format!(
                    "the `{ADDON}` add-on's manifests install no Function of package `{repository}`, which the Compositions use"
                )
            })
    }

    /// The name of the Provider object of the provider `repository`, if installed.
    #[cfg(test)]
    pub(crate) fn provider(&self, repository: &str) -> Option<&str> {
        self.objects
            .get(&("Provider".to_string(), repository.to_string()))
            .map(String::as_str)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repository_name_drops_registry_organisation_and_tag() {
        assert_eq!(
            repository_name(
                "xpkg.crossplane.io/crossplane-contrib/function-patch-and-transform:v0.9.0"
            ),
            PATCH_AND_TRANSFORM
        );
        assert_eq!(
            repository_name("xpkg.crossplane.io/crossplane-contrib/provider-aws-s3@sha256:00"),
            "provider-aws-s3"
        );
    }

    #[test]
    fn functions_are_found_by_package_not_by_object_name() {
        let manifests = [serde_json::json!({
            "apiVersion": "pkg.crossplane.io/v1",
            "kind": "Function",
            "metadata": {"name": "pt"},
            "spec": {"package": "example.com/fns/function-patch-and-transform:v1.0.0"},
        })];
        let packages = Packages::from_manifests(&manifests);
        assert_eq!(packages.function(PATCH_AND_TRANSFORM), Ok("pt"));
        assert!(packages.function(ENVIRONMENT_CONFIGS).is_err());
        assert_eq!(packages.provider(PATCH_AND_TRANSFORM), None);
    }
}
