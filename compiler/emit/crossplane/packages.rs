//! The Crossplane packages the Compositions rely on, looked up in the one place they are
//! declared: the `crossplane` add-on's manifests (`stdlib/addons/crossplane.yaml`), which hold
//! each `Function` and `Provider` object with its pinned package. A Composition step's
//! `functionRef` (in stdlib's types) is the name of the Function object whose package is the
//! function's repository; the tests of `super` check every stdlib Composition against the entry,
//! so the two cannot drift apart. (The chart's `provider.packages`/`function.packages` values
//! would name each object `xpkg.ToDNSLabel` of the reference's repository without its registry,
//! `crossplane-contrib-function-patch-and-transform`: crossplane's
//! `internal/initializer/installer.go`, `buildPack`. pave writes the objects itself instead.)

#[cfg(test)]
use std::collections::BTreeMap;

#[cfg(test)]
use serde_json::Value as Json;

/// The add-on whose manifests install the packages.
pub(crate) const ADDON: &str = "crossplane";

/// The function that composes resources from patches.
#[cfg(test)]
pub(crate) const PATCH_AND_TRANSFORM: &str = "function-patch-and-transform";

/// The function that loads EnvironmentConfigs into the pipeline's context.
#[cfg(test)]
pub(crate) const ENVIRONMENT_CONFIGS: &str = "function-environment-configs";

/// A package reference's repository name: its last path segment without tag or digest
/// (`xpkg.crossplane.io/crossplane-contrib/function-patch-and-transform:v0.9.0` ->
/// `function-patch-and-transform`).
#[cfg(test)]
pub(crate) fn repository_name(package: &str) -> &str {
    let without_tag = package.split(['@', ':']).next().unwrap_or(package).trim();
    without_tag.rsplit('/').next().unwrap_or(without_tag)
}

/// The Function and Provider objects of a set of manifests, by kind and package repository
/// name, to their object names.
#[cfg(test)]
#[derive(Debug, Default)]
pub(crate) struct Packages {
    objects: BTreeMap<(String, String), String>,
}

#[cfg(test)]
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

    /// The name of the Function object of the function `repository`, if installed.
    pub(crate) fn function(&self, repository: &str) -> Option<&str> {
        self.objects
            .get(&("Function".to_string(), repository.to_string()))
            .map(String::as_str)
    }

    /// The name of the Provider object of the provider `repository`, if installed.
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
        assert_eq!(packages.function(PATCH_AND_TRANSFORM), Some("pt"));
        assert!(packages.function(ENVIRONMENT_CONFIGS).is_none());
        assert_eq!(packages.provider(PATCH_AND_TRANSFORM), None);
    }
}
