//! Typed Flux objects: the fields pave writes of Flux's CRDs (no crate has Flux types), each a
//! `k8s_openapi::Resource` so it is named and serialized like the Kubernetes objects.
//!
//! API versions: `source.toolkit.fluxcd.io/v1` (GitRepository, HelmRepository, OCIRepository),
//! `kustomize.toolkit.fluxcd.io/v1` (Kustomization), `helm.toolkit.fluxcd.io/v2` (HelmRelease).

use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use serde::Serialize;
use serde_json::Value as Json;

/// A Flux object: `apiVersion`, `kind`, `metadata`, `spec`.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct Object<S> {
    api_version: &'static str,
    kind: &'static str,
    metadata: ObjectMeta,
    spec: S,
}

impl<S> Object<S>
where
    Object<S>: k8s_openapi::Resource,
{
    pub(super) fn new(metadata: ObjectMeta, spec: S) -> Self {
        Object {
            api_version: <Self as k8s_openapi::Resource>::API_VERSION,
            kind: <Self as k8s_openapi::Resource>::KIND,
            metadata,
            spec,
        }
    }
}

macro_rules! flux_resource {
    ($spec:ty, $group:literal, $version:literal, $kind:literal, $plural:literal) => {
        impl k8s_openapi::Resource for Object<$spec> {
            const API_VERSION: &'static str = concat!($group, "/", $version);
            const GROUP: &'static str = $group;
            const KIND: &'static str = $kind;
            const VERSION: &'static str = $version;
            const URL_PATH_SEGMENT: &'static str = $plural;
            type Scope = k8s_openapi::NamespaceResourceScope;
        }
    };
}

pub(super) type GitRepository = Object<GitRepositorySpec>;
pub(super) type HelmRepository = Object<HelmRepositorySpec>;
pub(super) type OciRepository = Object<OciRepositorySpec>;
pub(super) type Kustomization = Object<KustomizationSpec>;
pub(super) type HelmRelease = Object<HelmReleaseSpec>;

flux_resource!(
    GitRepositorySpec,
    "source.toolkit.fluxcd.io",
    "v1",
    "GitRepository",
    "gitrepositories"
);
flux_resource!(
    HelmRepositorySpec,
    "source.toolkit.fluxcd.io",
    "v1",
    "HelmRepository",
    "helmrepositories"
);
flux_resource!(
    OciRepositorySpec,
    "source.toolkit.fluxcd.io",
    "v1",
    "OCIRepository",
    "ocirepositories"
);
flux_resource!(
    KustomizationSpec,
    "kustomize.toolkit.fluxcd.io",
    "v1",
    "Kustomization",
    "kustomizations"
);
flux_resource!(
    HelmReleaseSpec,
    "helm.toolkit.fluxcd.io",
    "v2",
    "HelmRelease",
    "helmreleases"
);

/// A reference to an object in the same namespace, by name.
#[derive(Debug, Clone, Serialize)]
pub(super) struct LocalReference {
    pub(super) name: String,
}

/// A reference to a source or chart object.
#[derive(Debug, Clone, Serialize)]
pub(super) struct SourceReference {
    pub(super) kind: &'static str,
    pub(super) name: String,
}

/// A Kustomization or HelmRelease to wait for.
#[derive(Debug, Clone, Serialize)]
pub(super) struct Dependency {
    pub(super) name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) namespace: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct GitRepositorySpec {
    pub(super) interval: &'static str,
    pub(super) url: String,
    #[serde(rename = "ref")]
    pub(super) reference: GitReference,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) secret_ref: Option<LocalReference>,
    /// Only these folders are checked out, so a source holds no more than its reader needs.
    pub(super) sparse_checkout: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub(super) struct GitReference {
    pub(super) branch: String,
}

#[derive(Debug, Clone, Serialize)]
pub(super) struct HelmRepositorySpec {
    pub(super) interval: &'static str,
    pub(super) url: String,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct OciRepositorySpec {
    pub(super) interval: &'static str,
    pub(super) url: String,
    #[serde(rename = "ref")]
    pub(super) reference: OciReference,
    pub(super) layer_selector: LayerSelector,
}

#[derive(Debug, Clone, Serialize)]
pub(super) struct OciReference {
    pub(super) tag: String,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct LayerSelector {
    pub(super) media_type: &'static str,
    pub(super) operation: &'static str,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct KustomizationSpec {
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub(super) depends_on: Vec<Dependency>,
    pub(super) interval: &'static str,
    pub(super) retry_interval: &'static str,
    pub(super) timeout: &'static str,
    pub(super) source_ref: SourceReference,
    pub(super) path: String,
    pub(super) prune: bool,
    pub(super) wait: bool,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub(super) health_checks: Vec<HealthCheck>,
    /// How to tell that custom resources without a `Ready` condition are healthy (Flux
    /// Kustomization v1 `healthCheckExprs`, CEL; used with `wait`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub(super) health_check_exprs: Vec<crate::emit::crossplane::HealthCheckExpr>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) target_namespace: Option<String>,
    pub(super) service_account_name: String,
    /// Variables substituted into the built manifests (`${name}`), from Secrets or ConfigMaps in
    /// the Kustomization's namespace (Flux Kustomization v1 `postBuild.substituteFrom`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) post_build: Option<PostBuild>,
    /// Patches applied to the built manifests (Flux Kustomization v1 `patches`: a strategic
    /// merge or JSON 6902 patch as text, and the objects it applies to).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub(super) patches: Vec<Patch>,
}

#[derive(Debug, Clone, Serialize)]
pub(super) struct Patch {
    pub(super) patch: String,
    pub(super) target: PatchTarget,
}

/// The objects a patch applies to (kustomize's selector); unset fields match anything.
#[derive(Debug, Clone, Serialize)]
pub(super) struct PatchTarget {
    pub(super) group: &'static str,
    pub(super) version: &'static str,
    pub(super) kind: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) namespace: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct PostBuild {
    pub(super) substitute_from: Vec<SubstituteReference>,
}

#[derive(Debug, Clone, Serialize)]
pub(super) struct SubstituteReference {
    pub(super) kind: &'static str,
    pub(super) name: String,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct HealthCheck {
    pub(super) api_version: &'static str,
    pub(super) kind: &'static str,
    pub(super) name: String,
    pub(super) namespace: String,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct HelmReleaseSpec {
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub(super) depends_on: Vec<Dependency>,
    pub(super) interval: &'static str,
    pub(super) timeout: &'static str,
    pub(super) release_name: String,
    pub(super) target_namespace: String,
    pub(super) storage_namespace: String,
    pub(super) service_account_name: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) chart: Option<HelmChartTemplate>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) chart_ref: Option<SourceReference>,
    pub(super) install: Install,
    pub(super) upgrade: Upgrade,
    pub(super) drift_detection: DriftDetection,
    pub(super) values: Json,
}

#[derive(Debug, Clone, Serialize)]
pub(super) struct HelmChartTemplate {
    pub(super) spec: HelmChartTemplateSpec,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct HelmChartTemplateSpec {
    pub(super) chart: String,
    pub(super) version: String,
    pub(super) source_ref: SourceReference,
    pub(super) interval: &'static str,
}

#[derive(Debug, Clone, Serialize)]
pub(super) struct Install {
    pub(super) crds: &'static str,
    pub(super) remediation: InstallRemediation,
}

#[derive(Debug, Clone, Serialize)]
pub(super) struct InstallRemediation {
    pub(super) retries: u32,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct Upgrade {
    pub(super) crds: &'static str,
    pub(super) cleanup_on_fail: bool,
    pub(super) remediation: UpgradeRemediation,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct UpgradeRemediation {
    pub(super) retries: u32,
    pub(super) remediate_last_failure: bool,
}

#[derive(Debug, Clone, Serialize)]
pub(super) struct DriftDetection {
    pub(super) mode: &'static str,
}
