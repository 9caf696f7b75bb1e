//! Flux and kustomize references: a Kustomization's `path`, `sourceRef` and `dependsOn`, a
//! HelmRelease's chart source (`chart.spec.sourceRef`, `chartRef`) and `dependsOn`, a source's
//! `secretRef`, a Kustomization's `postBuild.substituteFrom`, and each `kustomization.yaml`'s
//! `resources`.
//!
//! Resolved as Flux resolves them (fluxcd.io/flux/components/kustomize/kustomizations and
//! /helm/helmreleases): a reference's `namespace` defaults to the referring object's; `path` is
//! relative to the source's root (here the repository, whose `spec.gitops.path` holds the tree).

use crate::emit::Json;

use super::index::{Index, join};
use super::{Facts, Report};
use crate::diagnostic::Reference;

/// The Git credentials `flux bootstrap` creates beside its own GitRepository.
const BOOTSTRAP_NAMESPACE: &str = "flux-system";

pub(super) fn check(index: &Index<'_>, facts: &Facts, report: &mut Report<'_>) {
    for (dir, (idx, resources)) in &index.folders {
        let object = &index.objects[*idx];
        for (i, resource) in resources.iter().enumerate() {
            let path = join(dir, resource);
            if !index.files.contains(path.as_str())
                && !index.is_kustomize_folder(&path)
                && !index.is_reused(&path)
            {
                report.unresolved(
                    object,
                    &format!("/resources/{i}"),
                    Reference::KustomizeResource,
                    format!("`{resource}` in `{dir}`"),
                );
            }
        }
    }
    for scope in &index.scopes {
        for (idx, namespace) in &scope.members {
            let object = &index.objects[*idx];
            let group = object.group();
            if !group.ends_with("toolkit.fluxcd.io") {
                continue;
            }
            let namespace = namespace.as_deref().unwrap_or_default();
            let spec = object.value.get("spec");
            let reference = |pointer: &str| spec.and_then(|spec| spec.pointer(pointer));
            match (group, object.kind.as_str()) {
                ("kustomize.toolkit.fluxcd.io", "Kustomization") => {
                    if let Some(path) = reference("/path").and_then(Json::as_str) {
                        let dir = Index::flux_dir(path, &facts.gitops_path);
                        if !dir
                            .as_deref()
                            .is_some_and(|dir| index.is_kustomize_folder(dir))
                        {
                            report.unresolved(
                                object,
                                "/spec/path",
                                Reference::FluxPath,
                                format!("the folder `{path}`"),
                            );
                        }
                    }
                    source(
                        object,
                        scope,
                        namespace,
                        reference("/sourceRef"),
                        "/spec/sourceRef",
                        report,
                    );
                    depends_on(
                        object,
                        scope,
                        namespace,
                        reference("/dependsOn"),
                        "Kustomization",
                        report,
                    );
                    // Variables substituted after the build come from Secrets and ConfigMaps in
                    // the Kustomization's namespace; a missing one that is not `optional` stops
                    // the apply.
                    let substitute_from =
                        reference("/postBuild/substituteFrom").and_then(Json::as_array);
                    for (i, from) in substitute_from.into_iter().flatten().enumerate() {
                        let optional = from.get("optional").and_then(Json::as_bool) == Some(true);
                        let kind = from.get("kind").and_then(Json::as_str).unwrap_or_default();
                        let Some(name) = from.get("name").and_then(Json::as_str) else {
                            continue;
                        };
                        let found = match kind {
                            "Secret" => scope.has_secret(namespace, name),
                            _ => scope.has(kind, namespace, name),
                        };
                        if !found && !optional {
                            report.unresolved(
                                object,
                                &format!("/spec/postBuild/substituteFrom/{i}"),
                                Reference::Secret,
                                format!("{kind} `{name}` in namespace `{namespace}`"),
                            );
                        }
                    }
                }
                ("helm.toolkit.fluxcd.io", "HelmRelease") => {
                    source(
                        object,
                        scope,
                        namespace,
                        reference("/chart/spec/sourceRef"),
                        "/spec/chart/spec/sourceRef",
                        report,
                    );
                    source(
                        object,
                        scope,
                        namespace,
                        reference("/chartRef"),
                        "/spec/chartRef",
                        report,
                    );
                    depends_on(
                        object,
                        scope,
                        namespace,
                        reference("/dependsOn"),
                        "HelmRelease",
                        report,
                    );
                }
                ("source.toolkit.fluxcd.io", _) => {
                    for field in ["secretRef", "certSecretRef", "proxySecretRef"] {
                        let Some(name) =
                            reference(&format!("/{field}/name")).and_then(Json::as_str)
                        else {
                            continue;
                        };
                        if !scope.has_secret(namespace, name) {
                            report.unresolved(
                                object,
                                &format!("/spec/{field}"),
                                Reference::Secret,
                                format!("Secret `{name}` in `{namespace}`"),
                            );
                        }
                    }
                }
                _ => {}
            }
        }
    }
}

/// A `sourceRef` or `chartRef`: `kind`, `name`, optional `namespace`.
fn source(
    object: &super::index::Object<'_>,
    scope: &super::index::Scope,
    namespace: &str,
    reference: Option<&Json>,
    pointer: &str,
    report: &mut Report<'_>,
) {
    let Some(reference) = reference else { return };
    let text = |key: &str| reference.get(key).and_then(Json::as_str);
    let (Some(kind), Some(name)) = (text("kind"), text("name")) else {
        return;
    };
    let namespace = text("namespace").unwrap_or(namespace);
    // `flux bootstrap` creates the GitRepository `flux-system` it reconciles from.
    let bootstrap =
        kind == "GitRepository" && name == BOOTSTRAP_NAMESPACE && namespace == BOOTSTRAP_NAMESPACE;
    if bootstrap || scope.has(kind, namespace, name) || scope.undecided(namespace) {
        return;
    }
    report.unresolved(
        object,
        pointer,
        Reference::FluxSource,
        format!("{kind} `{name}` in `{namespace}`"),
    );
}

/// `dependsOn`: a list of `{name, namespace}` of the same kind.
fn depends_on(
    object: &super::index::Object<'_>,
    scope: &super::index::Scope,
    namespace: &str,
    dependencies: Option<&Json>,
    kind: &str,
    report: &mut Report<'_>,
) {
    let Some(dependencies) = dependencies.and_then(Json::as_array) else {
        return;
    };
    for (i, dependency) in dependencies.iter().enumerate() {
        let Some(name) = dependency.get("name").and_then(Json::as_str) else {
            continue;
        };
        let namespace = dependency
            .get("namespace")
            .and_then(Json::as_str)
            .unwrap_or(namespace);
        if !scope.has(kind, namespace, name) && !scope.undecided(namespace) {
            report.unresolved(
                object,
                &format!("/spec/dependsOn/{i}"),
                Reference::FluxDependency,
                format!("{kind} `{name}` in `{namespace}`"),
            );
        }
    }
}
