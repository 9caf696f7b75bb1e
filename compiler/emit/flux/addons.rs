//! `infrastructure/<cluster>/{controllers,configs}/`: a cluster's add-ons. Each add-on is a
//! HelmRelease in `flux-system` (run as `helm-controller`) installing into its own namespace, with
//! a HelmRepository or OCIRepository beside it (same namespace: no cross-namespace reference),
//! its chart version pinned and its values final. The controllers layer holds the cluster's
//! default StorageClass; the tenancy folder the controllers' manifests and the ClusterRole
//! tenants' workloads are applied with; the configs layer the manifests of configs add-ons and
//! the ExternalSecrets (and Password generators) of the Secrets the add-ons' charts read.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::Namespace;
use k8s_openapi::api::rbac::v1::{ClusterRole, PolicyRule};
use k8s_openapi::api::storage::v1::StorageClass;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;

use super::super::folder::Folder;
use super::super::{OutputFile, Provenance};
use super::objects::{
    Dependency, DriftDetection, HelmChartTemplate, HelmChartTemplateSpec, HelmRelease,
    HelmReleaseSpec, HelmRepository, HelmRepositorySpec, Install, InstallRemediation,
    LayerSelector, OciReference, OciRepository, OciRepositorySpec, SourceReference, Upgrade,
    UpgradeRemediation,
};
use super::{FLUX_NAMESPACE, HELM_CONTROLLER, TENANT_ROLE, meta};
use crate::lower::{
    CLUSTER_CA_ISSUER, CapsuleTenant, ChartRepository, Cluster, PlannedAddon, PlannedAddonSecret,
    PlannedCertificate, PlannedSecretKey,
};
use crate::parse::{AddonLayer, PodSecurity};
use crate::source::SourceMap;

/// Namespaces that exist on every cluster (or belong to Flux): pave never creates or owns them.
const SYSTEM_NAMESPACES: &[&str] = &[
    "default",
    "kube-system",
    "kube-public",
    "kube-node-lease",
    FLUX_NAMESPACE,
];

/// The media type of a Helm chart's layer in an OCI artifact.
const HELM_CHART_LAYER: &str = "application/vnd.cncf.helm.chart.content.v1.tar+gzip";

/// The folder of one layer of a cluster's add-ons.
pub(super) fn layer_dir(cluster: &Cluster, layer: AddonLayer) -> String {
    format!("infrastructure/{}/{}", cluster.name, layer.as_str())
}

/// The folder of what tenants need from the platform and nothing more: the tenant ClusterRole
/// and the manifests of the controllers-layer add-ons (such as External Secrets'
/// ClusterSecretStore). Tenants wait for it, not for the configs layer, so a configs add-on that
/// fails (a dashboard, log shipping) does not hold back application workloads.
pub(super) fn tenancy_dir(cluster: &Cluster) -> String {
    format!("infrastructure/{}/tenancy", cluster.name)
}

pub(super) fn emit(
    cluster: &Cluster,
    source_map: &SourceMap,
) -> Result<Vec<(String, OutputFile)>, String> {
    let env_source = &source_map.get(cluster.source).name;
    let mut controllers = Folder::new(layer_dir(cluster, AddonLayer::Controllers));
    let mut configs = Folder::new(layer_dir(cluster, AddonLayer::Configs));
    let mut tenancy = Folder::new(tenancy_dir(cluster));
    let cluster_provenance = Provenance::new(
        Some(cluster.document),
        &super::cluster_context(cluster, None),
    );
    controllers.trace(cluster_provenance.clone());
    configs.trace(cluster_provenance.clone());
    tenancy.trace(cluster_provenance.clone());

    // Each namespace goes in the earliest layer that uses it, with the most permissive level any
    // of its add-ons asks for.
    let mut namespaces: BTreeMap<&str, (AddonLayer, PodSecurity)> = BTreeMap::new();
    for addon in &cluster.addons {
        let entry = namespaces
            .entry(addon.namespace.as_str())
            .or_insert((addon.layer, addon.pod_security));
        entry.0 = entry.0.min(addon.layer);
        entry.1 = entry.1.max(addon.pod_security);
    }
    for (name, (layer, level)) in namespaces {
        if SYSTEM_NAMESPACES.contains(&name) {
            continue;
        }
        let folder = match layer {
            AddonLayer::Controllers => &mut controllers,
            AddonLayer::Configs => &mut configs,
        };
        folder.add(&namespace(cluster, name, level), name, env_source)?;
    }

    controllers.add(&storage_class(cluster), cluster.storage_class, env_source)?;

    for addon in &cluster.addons {
        let source = &source_map.get(addon.source).name;
        let folder = match addon.layer {
            AddonLayer::Controllers => &mut controllers,
            AddonLayer::Configs => &mut configs,
        };
        let context = super::cluster_context(cluster, Some(&addon.name));
        let mut release = Provenance::new(Some(addon.entry), &context);
        release.fields = std::sync::Arc::new(
            std::iter::once(("/spec/values".to_string(), addon.entry))
                .chain(
                    addon
                        .value_origins
                        .iter()
                        .map(|(pointer, span)| (format!("/spec/values{pointer}"), *span)),
                )
                .collect(),
        );
        folder.trace(release);
        add_release(addon, source, folder)?;
        folder.trace(Provenance::new(None, &context));
        // External Secrets' CRDs come with the controllers layer: an add-on's Secrets are
        // created with the configs layer (resolve refuses them on a controllers add-on).
        configs.trace(Provenance::new(None, &context));
        for secret in &addon.secrets {
            add_secret(secret, &addon.labels, source, &mut configs)?;
        }
        for certificate in &addon.certificates {
            configs.trace(Provenance::new(Some(certificate.span), &context));
            add_certificate(certificate, &addon.labels, source, &mut configs)?;
        }
        // A manifest's kind comes from its own chart: a controller's, once the controllers layer
        // is ready; a configs add-on's, in the same layer as the chart.
        let manifests = match addon.layer {
            AddonLayer::Controllers => &mut tenancy,
            AddonLayer::Configs => &mut configs,
        };
        for (i, manifest) in addon.manifests.iter().enumerate() {
            let (entry, fields) = addon.manifest_origins.get(i).cloned().unzip();
            let mut provenance = Provenance::new(entry, &context);
            provenance.fields = std::sync::Arc::new(fields.unwrap_or_default());
            manifests.trace(provenance);
            add_manifest(manifest, source, manifests)?;
        }
        controllers.trace(cluster_provenance.clone());
        configs.trace(cluster_provenance.clone());
        tenancy.trace(cluster_provenance.clone());
    }

    if let Some(namespace) = &cluster.cluster_ca {
        configs.trace(cluster_provenance.clone());
        add_cluster_ca(cluster, namespace, env_source, &mut configs)?;
    }

    if !cluster.tenants.is_empty() {
        tenancy.add(&tenant_role(cluster), TENANT_ROLE, env_source)?;
    }
    // The data network the cluster's Terraform wrote, for Flux to substitute into the
    // EnvironmentConfig `pave-network` (crossplane/environment.rs) once the control plane is up.
    if let Some(remote) = cluster
        .crossplane_environment
        .as_ref()
        .and_then(|e| e.network_secret.as_ref())
    {
        use crate::emit::crossplane::environment;
        tenancy.add_object(
            "external-secrets.io/v1",
            "ExternalSecret",
            &format!("{}_{}", super::FLUX_NAMESPACE, environment::NETWORK_SECRET),
            &environment::network_external_secret(cluster, remote),
            env_source,
        )?;
    }
    // In the tenancy folder: after Capsule's CRDs (controllers), before the tenants' namespaces.
    for tenant in &cluster.capsule_tenants {
        let source = &source_map.get(tenant.source).name;
        tenancy.trace(Provenance::new(
            Some(tenant.document),
            &super::cluster_context(cluster, Some("capsule")),
        ));
        add_capsule_tenant(cluster, tenant, source, &mut tenancy)?;
    }
    tenancy.trace(cluster_provenance.clone());

    let mut files = controllers.finish(env_source)?;
    files.extend(tenancy.finish(env_source)?);
    files.extend(configs.finish(env_source)?);
    Ok(files)
}

fn namespace(cluster: &Cluster, name: &str, level: PodSecurity) -> Namespace {
    let mut labels = cluster.labels.clone();
    let version = format!("v{}", cluster.kubernetes_version);
    for mode in ["enforce", "audit", "warn"] {
        labels.insert(
            format!("pod-security.kubernetes.io/{mode}"),
            level.as_str().to_string(),
        );
        labels.insert(
            format!("pod-security.kubernetes.io/{mode}-version"),
            version.clone(),
        );
    }
    Namespace {
        metadata: ObjectMeta {
            name: Some(name.to_string()),
            labels: Some(labels),
            ..ObjectMeta::default()
        },
        ..Namespace::default()
    }
}

/// The cluster's default StorageClass: encrypted gp3 volumes from the EBS CSI driver (the EKS
/// add-on in the cluster's Terraform), created in the zone of the pod that first uses them (a
/// volume lives in one zone; `WaitForFirstConsumer` lets the scheduler pick the node first). EKS
/// marks no class as the default, so without it every claim that names none stays Pending (EKS
/// User Guide, "Store Kubernetes volumes with Amazon EBS"; the driver's parameters: aws-ebs-csi-driver
/// docs/parameters.md).
fn storage_class(cluster: &Cluster) -> StorageClass {
    let mut metadata = meta(cluster.storage_class, None, &cluster.labels);
    metadata.annotations = Some(BTreeMap::from([(
        "storageclass.kubernetes.io/is-default-class".to_string(),
        "true".to_string(),
    )]));
    StorageClass {
        metadata,
        provisioner: "ebs.csi.aws.com".to_string(),
        parameters: Some(BTreeMap::from([
            ("type".to_string(), "gp3".to_string()),
            ("encrypted".to_string(), "true".to_string()),
            ("csi.storage.k8s.io/fstype".to_string(), "ext4".to_string()),
        ])),
        reclaim_policy: Some("Delete".to_string()),
        volume_binding_mode: Some("WaitForFirstConsumer".to_string()),
        allow_volume_expansion: Some(true),
        ..StorageClass::default()
    }
}

/// The chart's source and the HelmRelease.
fn add_release(addon: &PlannedAddon, source: &str, folder: &mut Folder) -> Result<(), String> {
    let name = addon.name.as_str();
    let metadata = || meta(name, Some(FLUX_NAMESPACE), &addon.labels);
    let (chart, chart_ref) = match &addon.chart.repository {
        ChartRepository::Helm { url } => {
            let repository = HelmRepository::new(
                metadata(),
                HelmRepositorySpec {
                    interval: "12h",
                    url: url.clone(),
                },
            );
            folder.add(&repository, name, source)?;
            let chart = HelmChartTemplate {
                spec: HelmChartTemplateSpec {
                    chart: addon.chart.name.clone(),
                    version: addon.chart.version.clone(),
                    source_ref: SourceReference {
                        kind: "HelmRepository",
                        name: name.to_string(),
                    },
                    interval: "12h",
                },
            };
            (Some(chart), None)
        }
        ChartRepository::Oci { url } => {
            let repository = OciRepository::new(
                metadata(),
                OciRepositorySpec {
                    interval: "12h",
                    url: url.clone(),
                    reference: OciReference {
                        tag: addon.chart.version.clone(),
                    },
                    layer_selector: LayerSelector {
                        media_type: HELM_CHART_LAYER,
                        operation: "copy",
                    },
                },
            );
            folder.add(&repository, name, source)?;
            let chart_ref = SourceReference {
                kind: "OCIRepository",
                name: name.to_string(),
            };
            (None, Some(chart_ref))
        }
    };
    let release = HelmRelease::new(
        metadata(),
        HelmReleaseSpec {
            depends_on: addon
                .depends_on
                .iter()
                .map(|d| Dependency {
                    name: d.clone(),
                    namespace: None,
                })
                .collect(),
            interval: "30m",
            timeout: "10m",
            release_name: name.to_string(),
            target_namespace: addon.namespace.clone(),
            storage_namespace: addon.namespace.clone(),
            service_account_name: HELM_CONTROLLER,
            chart,
            chart_ref,
            install: Install {
                crds: "CreateReplace",
                remediation: InstallRemediation { retries: 3 },
            },
            upgrade: Upgrade {
                crds: "CreateReplace",
                cleanup_on_fail: true,
                remediation: UpgradeRemediation {
                    retries: 3,
                    remediate_last_failure: true,
                },
            },
            drift_detection: DriftDetection { mode: "enabled" },
            values: addon.values.clone(),
        },
    );
    folder.add(&release, name, source)
}

/// The API of External Secrets' generators (`generators.external-secrets.io/v1alpha1`).
const GENERATORS_API: &str = "generators.external-secrets.io/v1alpha1";

/// The ExternalSecret that fills an add-on's Secret, and the Password generator its generated
/// keys come from. A generated key is made once (`refreshPolicy: CreatedOnce`) and the Secret is
/// not owned by the ExternalSecret (`creationPolicy: Orphan`): recreating the ExternalSecret
/// keeps the value a database or a volume already holds. Each `dataFrom` entry runs the
/// generator once and renames its `password` to the key (External Secrets docs, "Password
/// generator" and "Rewriting keys"). Keys from Secrets Manager go through the cluster's
/// ClusterSecretStore and follow it hourly when nothing in the Secret is generated.
fn add_secret(
    secret: &PlannedAddonSecret,
    labels: &BTreeMap<String, String>,
    source: &str,
    folder: &mut Folder,
) -> Result<(), String> {
    use serde_json::{Value, json};
    let generated: Vec<&str> = secret
        .keys
        .iter()
        .filter(|(_, key)| *key == PlannedSecretKey::Password)
        .map(|(name, _)| name.as_str())
        .collect();
    let remote: Vec<Value> = secret
        .keys
        .iter()
        .filter_map(|(name, key)| match key {
            PlannedSecretKey::SecretsManager {
                name: remote,
                property,
            } => Some(json!({
                "secretKey": name,
                "remoteRef": {"key": remote, "property": property},
            })),
            PlannedSecretKey::Password => None,
        })
        .collect();
    let metadata = json!(meta(&secret.name, Some(&secret.namespace), labels));
    let file_name = format!("{}_{}", secret.namespace, secret.name);
    if !generated.is_empty() {
        let generator = json!({
            "apiVersion": GENERATORS_API,
            "kind": "Password",
            "metadata": metadata,
            "spec": {"length": 32, "digits": 8, "symbols": 0, "noUpper": false, "allowRepeat": true},
        });
        folder.add_object(GENERATORS_API, "Password", &file_name, &generator, source)?;
    }
    let mut spec = serde_json::Map::new();
    if generated.is_empty() {
        spec.insert("refreshInterval".into(), json!("1h"));
    } else {
        spec.insert("refreshPolicy".into(), json!("CreatedOnce"));
    }
    if !remote.is_empty() {
        spec.insert(
            "secretStoreRef".into(),
            json!({"kind": "ClusterSecretStore", "name": CLUSTER_SECRET_STORE}),
        );
    }
    spec.insert(
        "target".into(),
        if generated.is_empty() {
            json!({"name": secret.name, "creationPolicy": "Owner", "deletionPolicy": "Retain"})
        } else {
            json!({"name": secret.name, "creationPolicy": "Orphan", "deletionPolicy": "Retain"})
        },
    );
    if !remote.is_empty() {
        spec.insert("data".into(), Value::Array(remote));
    }
    if !generated.is_empty() {
        let data_from: Vec<Value> = generated
            .iter()
            .map(|key| {
                json!({
                    "sourceRef": {"generatorRef": {
                        "apiVersion": GENERATORS_API,
                        "kind": "Password",
                        "name": secret.name,
                    }},
                    "rewrite": [{"regexp": {"source": "^password$", "target": key}}],
                })
            })
            .collect();
        spec.insert("dataFrom".into(), Value::Array(data_from));
    }
    let external_secret = json!({
        "apiVersion": EXTERNAL_SECRETS_API,
        "kind": "ExternalSecret",
        "metadata": metadata,
        "spec": spec,
    });
    folder.add_object(
        EXTERNAL_SECRETS_API,
        "ExternalSecret",
        &file_name,
        &external_secret,
        source,
    )
}

/// The API of Capsule's Tenant.
const CAPSULE_API: &str = "capsule.clastix.io/v1beta2";

/// A pave tenant as a Capsule Tenant: its owners (groups, then users, as the spec lists them;
/// each bound by Capsule to the role pave's `owners` RoleBinding names, instead of Capsule's
/// default `admin` and `capsule-namespace-deleter`), a namespace quota of
/// what pave gives it, and the classes its objects may use: the cluster's StorageClass, the
/// Platform's IngressClass, and no PriorityClass (an empty allowed list: a pod may not raise its
/// own priority). Fields as in Capsule's v1beta2 Tenant CRD (projectcapsule.dev docs, "Tenants").
fn add_capsule_tenant(
    cluster: &Cluster,
    tenant: &CapsuleTenant,
    source: &str,
    folder: &mut Folder,
) -> Result<(), String> {
    use serde_json::json;
    let owners: Vec<serde_json::Value> =
        tenant
            .groups
            .iter()
            .map(|name| json!({"kind": "Group", "name": name, "clusterRoles": [tenant.owner_role]}))
            .chain(tenant.users.iter().map(
                |name| json!({"kind": "User", "name": name, "clusterRoles": [tenant.owner_role]}),
            ))
            .collect();
    let mut labels = cluster.labels.clone();
    labels.insert(crate::lower::TENANT_LABEL.to_string(), tenant.name.clone());
    let object = json!({
        "apiVersion": CAPSULE_API,
        "kind": "Tenant",
        "metadata": meta(&tenant.name, None, &labels),
        "spec": {
            "owners": owners,
            "namespaceOptions": {"quota": tenant.namespaces},
            "storageClasses": {"allowed": [tenant.storage_class], "default": tenant.storage_class},
            "ingressOptions": {
                "allowedClasses": {"allowed": [tenant.ingress_class], "default": tenant.ingress_class},
            },
            "priorityClasses": {"allowed": []},
        },
    });
    folder.add_object(CAPSULE_API, "Tenant", &tenant.name, &object, source)
}

/// The API of cert-manager's Certificate and ClusterIssuer.
const CERT_MANAGER_API: &str = "cert-manager.io/v1";
/// The self-signed ClusterIssuer that signs the cluster's CA, and nothing else.
const SELF_SIGNED_ISSUER: &str = "pave-selfsigned";

/// The issuer of every add-on certificate: the cluster's CA.
fn cluster_ca_issuer() -> serde_json::Value {
    serde_json::json!({"group": "cert-manager.io", "kind": "ClusterIssuer", "name": CLUSTER_CA_ISSUER})
}

/// The cluster's own CA, as cert-manager's docs bootstrap one ("SelfSigned", Bootstrapping CA
/// Issuers): a self-signed ClusterIssuer signs a CA Certificate whose Secret, in
/// cert-manager's namespace (a ClusterIssuer's Secrets live in its cluster resource namespace),
/// backs the CA ClusterIssuer that signs the add-ons' certificates. The key never leaves the
/// cluster; nothing outside it needs to trust this CA.
fn add_cluster_ca(
    cluster: &Cluster,
    namespace: &str,
    source: &str,
    folder: &mut Folder,
) -> Result<(), String> {
    use serde_json::json;
    let self_signed = json!({
        "apiVersion": CERT_MANAGER_API,
        "kind": "ClusterIssuer",
        "metadata": meta(SELF_SIGNED_ISSUER, None, &cluster.labels),
        "spec": {"selfSigned": {}},
    });
    folder.add_object(
        CERT_MANAGER_API,
        "ClusterIssuer",
        SELF_SIGNED_ISSUER,
        &self_signed,
        source,
    )?;
    let root = json!({
        "apiVersion": CERT_MANAGER_API,
        "kind": "Certificate",
        "metadata": meta(CLUSTER_CA_ISSUER, Some(namespace), &cluster.labels),
        "spec": {
            "isCA": true,
            "commonName": format!("pave {} CA", cluster.name),
            "secretName": CLUSTER_CA_ISSUER,
            "duration": "87600h",
            "privateKey": {"algorithm": "ECDSA", "size": 256},
            "issuerRef": {"group": "cert-manager.io", "kind": "ClusterIssuer", "name": SELF_SIGNED_ISSUER},
        },
    });
    folder.add_object(
        CERT_MANAGER_API,
        "Certificate",
        &format!("{namespace}_{CLUSTER_CA_ISSUER}"),
        &root,
        source,
    )?;
    let issuer = json!({
        "apiVersion": CERT_MANAGER_API,
        "kind": "ClusterIssuer",
        "metadata": meta(CLUSTER_CA_ISSUER, None, &cluster.labels),
        "spec": {"ca": {"secretName": CLUSTER_CA_ISSUER}},
    });
    folder.add_object(
        CERT_MANAGER_API,
        "ClusterIssuer",
        CLUSTER_CA_ISSUER,
        &issuer,
        source,
    )
}

/// A certificate from the cluster's CA. A server's names its Service and serves TLS (and, for
/// replicas that are peers, also authenticates each to the others); a client's is there for its
/// `ca.crt`, the CA it verifies the server with (and a client certificate, for a server that
/// asks for one). Keys are PKCS#8, which OpenSearch's security plugin requires of
/// PEM keys; a key is new at each renewal.
fn add_certificate(
    certificate: &PlannedCertificate,
    labels: &BTreeMap<String, String>,
    source: &str,
    folder: &mut Folder,
) -> Result<(), String> {
    use serde_json::{Value, json};
    let mut spec = serde_json::Map::new();
    spec.insert("secretName".into(), json!(certificate.name));
    if let Some(common_name) = &certificate.common_name {
        spec.insert("commonName".into(), json!(common_name));
    }
    if !certificate.dns_names.is_empty() {
        spec.insert("dnsNames".into(), json!(certificate.dns_names));
    }
    let mut usages = vec!["digital signature", "key encipherment"];
    if !certificate.dns_names.is_empty() {
        usages.push("server auth");
    }
    if certificate.client_auth {
        usages.push("client auth");
    }
    spec.insert("usages".into(), json!(usages));
    spec.insert("duration".into(), json!("8760h"));
    spec.insert("renewBefore".into(), json!("720h"));
    spec.insert(
        "privateKey".into(),
        json!({"algorithm": "RSA", "size": 2048, "encoding": "PKCS8", "rotationPolicy": "Always"}),
    );
    spec.insert("issuerRef".into(), cluster_ca_issuer());
    let object = json!({
        "apiVersion": CERT_MANAGER_API,
        "kind": "Certificate",
        "metadata": meta(&certificate.name, Some(&certificate.namespace), labels),
        "spec": Value::Object(spec),
    });
    folder.add_object(
        CERT_MANAGER_API,
        "Certificate",
        &format!("{}_{}", certificate.namespace, certificate.name),
        &object,
        source,
    )
}

/// The API of External Secrets' ExternalSecret and ClusterSecretStore.
const EXTERNAL_SECRETS_API: &str = "external-secrets.io/v1";
/// The ClusterSecretStore of every cluster (the `external-secrets` add-on's manifest).
const CLUSTER_SECRET_STORE: &str = "aws-secrets-manager";

/// An add-on's manifest, as written (variables already replaced).
fn add_manifest(
    manifest: &serde_json::Value,
    source: &str,
    folder: &mut Folder,
) -> Result<(), String> {
    let text = |value: Option<&serde_json::Value>| {
        value
            .and_then(serde_json::Value::as_str)
            .unwrap_or_default()
            .to_string()
    };
    let api_version = text(manifest.get("apiVersion"));
    let kind = text(manifest.get("kind"));
    let metadata = manifest.get("metadata");
    let name = text(metadata.and_then(|m| m.get("name")));
    // `_` is not allowed in names, so the namespace cannot make two file names equal.
    let file_name = match metadata.and_then(|m| m.get("namespace")) {
        Some(namespace) => format!("{}_{name}", text(Some(namespace))),
        None => name,
    };
    folder.add_object(&api_version, &kind, &file_name, manifest, source)
}

/// What a tenant's Flux ServiceAccount may do in its namespace: manage exactly the kinds of a
/// workloads folder. Not NetworkPolicies, quotas, limit ranges or RBAC (the tenancy folder's),
/// and nothing outside the namespace it is bound in.
fn tenant_role(cluster: &Cluster) -> ClusterRole {
    let verbs: Vec<String> = [
        "get", "list", "watch", "create", "update", "patch", "delete",
    ]
    .map(str::to_string)
    .to_vec();
    let read: Vec<String> = ["get", "list", "watch"].map(str::to_string).to_vec();
    let rule = |group: &str, resources: &[&str], verbs: &Vec<String>| PolicyRule {
        api_groups: Some(vec![group.to_string()]),
        resources: Some(resources.iter().map(|r| (*r).to_string()).collect()),
        verbs: verbs.clone(),
        ..PolicyRule::default()
    };
    ClusterRole {
        metadata: meta(TENANT_ROLE, None, &cluster.labels),
        rules: Some(vec![
            rule("", &["configmaps", "serviceaccounts", "services"], &verbs),
            rule("apps", &["deployments", "statefulsets"], &verbs),
            rule("autoscaling", &["horizontalpodautoscalers"], &verbs),
            rule("batch", &["cronjobs", "jobs"], &verbs),
            rule("networking.k8s.io", &["ingresses"], &verbs),
            rule("policy", &["poddisruptionbudgets"], &verbs),
            // Flux's health checks (`wait`) read the pods and ReplicaSets of what it applied.
            rule("", &["pods"], &read),
            rule("apps", &["replicasets"], &read),
        ]),
        ..ClusterRole::default()
    }
}
