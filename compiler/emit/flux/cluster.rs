//! `clusters/<cluster>/platform/`: the GitRepository of the Platform's GitOps repository and the
//! cluster's Kustomizations, ordered with `dependsOn`: infrastructure controllers, then what
//! tenants need (`infra-tenancy`), then each tenant beside the infrastructure configs.

use super::super::folder::Folder;
use super::super::gatekeeper;
use super::super::{OutputFile, Provenance};
use super::objects::{
    Dependency, GitReference, GitRepository, GitRepositorySpec, HealthCheck, Kustomization,
    KustomizationSpec, LocalReference, Patch, PatchTarget, PostBuild, SourceReference,
    SubstituteReference,
};
use super::{
    FLUX_NAMESPACE, INFRA_CONFIGS, INFRA_CONTROLLERS, INFRA_POLICIES, INFRA_POLICY_TEMPLATES,
    INFRA_TENANCY, KUSTOMIZE_CONTROLLER, addons, meta, repository_path, tenant,
};
use crate::lower::{Cluster, DnsRecordRouting, GitOpsSource, Plan};
use crate::parse::AddonLayer;
use crate::source::SourceMap;

/// The cluster Kustomization of the platform's XRDs and Compositions.
const CONTROL_PLANE: &str = "control-plane";
/// The cluster Kustomization of what the Compositions read on the cluster.
const CROSSPLANE_ENVIRONMENT: &str = "crossplane-environment";

/// The folder of a cluster's Flux objects, beside `flux-system/`.
pub(super) fn dir(cluster: &Cluster) -> String {
    format!("clusters/{}/platform", cluster.name)
}

pub(super) fn emit(
    plan: &Plan,
    gitops: &GitOpsSource,
    cluster: &Cluster,
    source_map: &SourceMap,
) -> Result<Vec<(String, OutputFile)>, String> {
    let source = &source_map.get(cluster.source).name;
    let mut folder = Folder::new(dir(cluster));
    folder.trace(Provenance::new(
        Some(cluster.document),
        &super::cluster_context(cluster, None),
    ));
    let labels = &cluster.labels;

    let repository = GitRepository::new(
        meta(&plan.platform, Some(FLUX_NAMESPACE), labels),
        GitRepositorySpec {
            interval: "1m",
            url: gitops.url.clone(),
            reference: GitReference {
                branch: gitops.branch.clone(),
            },
            secret_ref: gitops
                .secret_name
                .as_ref()
                .map(|name| LocalReference { name: name.clone() }),
            sparse_checkout: vec![gitops.path.clone()],
        },
    );
    folder.add(&repository, &plan.platform, source)?;
    let source_ref = || SourceReference {
        kind: "GitRepository",
        name: plan.platform.clone(),
    };
    let after = |name: &str| {
        vec![Dependency {
            name: name.to_string(),
            namespace: None,
        }]
    };

    let layers = [
        (
            INFRA_CONTROLLERS,
            addons::layer_dir(cluster, AddonLayer::Controllers),
            Vec::new(),
            "15m",
        ),
        (
            INFRA_TENANCY,
            addons::tenancy_dir(cluster),
            after(INFRA_CONTROLLERS),
            "5m",
        ),
        (
            INFRA_CONFIGS,
            addons::layer_dir(cluster, AddonLayer::Configs),
            after(INFRA_TENANCY),
            "10m",
        ),
    ];
    // With Gatekeeper enforcing the policies: its templates once its controller is ready, then
    // the constraints; tenants wait for both.
    let enforced = plan.gatekeeper.is_some() && gatekeeper::runs_gatekeeper(cluster);
    let policy_layers = [
        (
            INFRA_POLICY_TEMPLATES,
            format!("infrastructure/{}/{}", cluster.name, gatekeeper::TEMPLATES),
            after(INFRA_CONTROLLERS),
            "5m",
        ),
        (
            INFRA_POLICIES,
            format!(
                "infrastructure/{}/{}",
                cluster.name,
                gatekeeper::CONSTRAINTS
            ),
            after(INFRA_POLICY_TEMPLATES),
            "5m",
        ),
    ];
    let policy_layers = if enforced {
        policy_layers.to_vec()
    } else {
        Vec::new()
    };
    let runs_crossplane = cluster
        .addons
        .iter()
        .any(|a| a.name == crate::emit::crossplane::packages::ADDON);
    for (name, dir, depends_on, timeout) in layers.into_iter().chain(policy_layers) {
        // The configs layer holds Crossplane's Providers and Functions: Ready once each is
        // Healthy, so the control plane that uses them comes after.
        let health_check_exprs = if name == INFRA_CONFIGS && runs_crossplane {
            crate::emit::crossplane::package_health_checks()
        } else {
            Vec::new()
        };
        let kustomization = Kustomization::new(
            meta(name, Some(FLUX_NAMESPACE), labels),
            KustomizationSpec {
                depends_on,
                interval: "1h",
                retry_interval: "2m",
                timeout,
                source_ref: source_ref(),
                path: repository_path(gitops, &dir),
                prune: true,
                // Ready only when every HelmRelease of the layer is: configs wait for that.
                wait: true,
                health_checks: Vec::new(),
                health_check_exprs,
                target_namespace: None,
                service_account_name: KUSTOMIZE_CONTROLLER.to_string(),
                post_build: None,
                patches: Vec::new(),
            },
        );
        folder.add(&kustomization, name, source)?;
    }

    // The platform's ProviderConfigs, XRDs and Compositions, once Crossplane's packages (in the
    // configs layer) are Healthy; Ready once every XRD is Established (its CRD served), so the
    // tenants' resources that wait for it are accepted on the first apply.
    let control_plane = crate::emit::crossplane::uses_resources(plan);
    if control_plane {
        let kustomization = Kustomization::new(
            meta(CONTROL_PLANE, Some(FLUX_NAMESPACE), labels),
            KustomizationSpec {
                depends_on: after(INFRA_CONFIGS),
                interval: "1h",
                retry_interval: "2m",
                timeout: "5m",
                source_ref: source_ref(),
                path: repository_path(gitops, crate::emit::crossplane::CONTROL_PLANE_DIR),
                prune: true,
                wait: true,
                health_checks: Vec::new(),
                health_check_exprs: crate::emit::crossplane::definition_health_checks(
                    plan.crossplane.claims,
                ),
                target_namespace: None,
                service_account_name: KUSTOMIZE_CONTROLLER.to_string(),
                post_build: None,
                patches: Vec::new(),
            },
        );
        folder.add(&kustomization, CONTROL_PLANE, source)?;
    }
    // What the Compositions read on this cluster (crossplane/environment.rs), after the control
    // plane (its CRDs); the network's values substituted from the Secret the tenancy folder's
    // ExternalSecret fills. Not `wait`: the Atlas key's ExternalSecret is not Ready until a
    // person has put the key, which must not hold back the other tenants' resources.
    let environment = cluster
        .crossplane_environment
        .as_ref()
        .filter(|_| control_plane);
    if let Some(environment) = environment {
        let post_build = environment.network_secret.as_ref().map(|_| PostBuild {
            substitute_from: vec![SubstituteReference {
                kind: "Secret",
                name: crate::emit::crossplane::environment::NETWORK_SECRET.to_string(),
            }],
        });
        let kustomization = Kustomization::new(
            meta(CROSSPLANE_ENVIRONMENT, Some(FLUX_NAMESPACE), labels),
            KustomizationSpec {
                depends_on: after(CONTROL_PLANE),
                interval: "1h",
                retry_interval: "2m",
                timeout: "5m",
                source_ref: source_ref(),
                path: repository_path(gitops, &crate::emit::crossplane::environment::dir(cluster)),
                prune: true,
                wait: false,
                health_checks: Vec::new(),
                health_check_exprs: Vec::new(),
                target_namespace: None,
                service_account_name: KUSTOMIZE_CONTROLLER.to_string(),
                post_build,
                patches: Vec::new(),
            },
        );
        folder.add(&kustomization, CROSSPLANE_ENVIRONMENT, source)?;
    }

    // Every unit, lowered or reused: from its outline.
    for unit in plan
        .outlines
        .iter()
        .filter(|u| u.environment == cluster.environment && cluster.tenants.contains(&u.tenant))
    {
        // The tenant's managed resources in this cluster's region: applied by the platform (a
        // tenant cannot change how its databases are provided), after the XRDs and the
        // tenant's namespace. Not `wait`: a database takes longer than a reconcile.
        if let Some((_, region)) = unit
            .resource_clusters
            .iter()
            .find(|(name, _)| *name == cluster.name)
        {
            let name = format!("{}-resources", tenant::platform_kustomization(&unit.tenant));
            // Only data-defined `kubernetes` or `external` types: no control plane to wait for.
            let mut depends_on = if control_plane {
                after(CONTROL_PLANE)
            } else {
                Vec::new()
            };
            if environment.is_some() {
                depends_on.extend(after(CROSSPLANE_ENVIRONMENT));
            }
            depends_on.extend(after(&tenant::platform_kustomization(&unit.tenant)));
            let kustomization = Kustomization::new(
                meta(&name, Some(FLUX_NAMESPACE), labels),
                KustomizationSpec {
                    depends_on,
                    interval: "10m",
                    retry_interval: "2m",
                    timeout: "5m",
                    source_ref: source_ref(),
                    path: repository_path(
                        gitops,
                        &crate::emit::crossplane::resources_dir(
                            &unit.tenant,
                            &unit.environment,
                            region,
                        ),
                    ),
                    prune: true,
                    wait: false,
                    health_checks: Vec::new(),
                    health_check_exprs: Vec::new(),
                    target_namespace: Some(unit.namespace.clone()),
                    service_account_name: KUSTOMIZE_CONTROLLER.to_string(),
                    post_build: None,
                    patches: Vec::new(),
                },
            );
            folder.add(&kustomization, &name, source)?;
        }
        let name = tenant::platform_kustomization(&unit.tenant);
        let patches = match &cluster.dns_routing {
            Some(routing) if unit.ingress => {
                vec![record_routing(&unit.tenant, &unit.namespace, routing)?]
            }
            _ => Vec::new(),
        };
        // Not `wait`: the tenant's own Kustomization, applied here, depends on this one, so
        // waiting for it would deadlock. Ready once the tenant's source is fetched.
        let kustomization = Kustomization::new(
            meta(&name, Some(FLUX_NAMESPACE), labels),
            KustomizationSpec {
                // Only what the tenancy folder's objects need: not the configs layer, whose
                // dashboards and log shipping workloads do not use.
                depends_on: if enforced {
                    [INFRA_TENANCY, INFRA_POLICIES]
                        .into_iter()
                        .flat_map(after)
                        .collect()
                } else {
                    after(INFRA_TENANCY)
                },
                interval: "10m",
                retry_interval: "2m",
                timeout: "5m",
                source_ref: source_ref(),
                path: repository_path(gitops, &tenant::dir(&unit.tenant, &unit.environment)),
                prune: true,
                wait: false,
                health_checks: vec![HealthCheck {
                    api_version: "source.toolkit.fluxcd.io/v1",
                    kind: "GitRepository",
                    name: unit.tenant.clone(),
                    namespace: unit.namespace.clone(),
                }],
                health_check_exprs: Vec::new(),
                target_namespace: None,
                service_account_name: KUSTOMIZE_CONTROLLER.to_string(),
                post_build: None,
                patches,
            },
        );
        folder.add(&kustomization, &name, source)?;
    }
    folder.finish(source)
}

/// The tenant's Ingresses carry this cluster's routing policy for ExternalDNS. The tenant folders
/// are shared by the environment's clusters, so the per-cluster annotations cannot be written
/// into them: the platform's Kustomization (this cluster's) patches the tenant's Kustomization
/// as it applies it, and that one patches every Ingress it applies (a strategic merge patch
/// with a `target`, whose own name kustomize ignores: Flux docs, Kustomization "Patches").
fn record_routing(
    tenant: &str,
    namespace: &str,
    routing: &DnsRecordRouting,
) -> Result<Patch, String> {
    const INGRESS: (&str, &str, &str) = ("networking.k8s.io", "v1", "Ingress");
    let annotations: serde_json::Map<String, serde_json::Value> = routing
        .annotations()
        .into_iter()
        .map(|(key, value)| (key.to_string(), value.into()))
        .collect();
    let ingress_patch = serde_json::json!({
        "apiVersion": format!("{}/{}", INGRESS.0, INGRESS.1),
        "kind": INGRESS.2,
        "metadata": {"name": "not-used", "annotations": annotations},
    });
    let text = |value: &serde_json::Value| {
        crate::emit::yaml::to_string(value).map_err(|e| format!("a Flux patch: {e}"))
    };
    let tenant_patch = serde_json::json!({
        "apiVersion": "kustomize.toolkit.fluxcd.io/v1",
        "kind": "Kustomization",
        "metadata": {"name": tenant, "namespace": namespace},
        "spec": {"patches": [{
            "patch": text(&ingress_patch)?,
            "target": {"group": INGRESS.0, "version": INGRESS.1, "kind": INGRESS.2},
        }]},
    });
    Ok(Patch {
        patch: text(&tenant_patch)?,
        target: PatchTarget {
            group: "kustomize.toolkit.fluxcd.io",
            version: "v1",
            kind: "Kustomization",
            name: Some(tenant.to_string()),
            namespace: Some(namespace.to_string()),
        },
    })
}
