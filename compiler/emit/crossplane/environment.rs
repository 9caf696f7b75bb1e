//! What the Compositions read on one cluster, beside the shared control plane:
//! `control-plane/clusters/<cluster>/`, applied by the cluster's Kustomization `crossplane-environment`
//! after the control plane, before the tenants' resources.
//!
//! - The EnvironmentConfig `pave-network` (databases' and caches' placement). Its values exist
//!   only once the cluster's Terraform has applied (subnet group names, the data subnets' ids, a
//!   security group id), so
//!   Terraform writes them into Secrets Manager (`emit/terraform/secrets.rs`), an ExternalSecret
//!   in the cluster's tenancy folder syncs them into the Secret `pave-network` of `flux-system`,
//!   and Flux substitutes them into this EnvironmentConfig (`postBuild.substituteFrom`, Flux
//!   Kustomization v1 "Post build variable substitution"). Chosen over a ConfigMap written by a
//!   Terraform Kubernetes provider (the cluster's module would need cluster credentials at plan
//!   time) and over Crossplane selectors (the provider's `vpcSecurityGroupIdSelector` matches only
//!   Crossplane-managed groups): no hand step, and nothing but AWS in the Terraform. The data
//!   subnets (the private subnets, one per zone, which the subnet groups span) are listed for
//!   services placed by subnet rather than by subnet group (Amazon MQ, OpenSearch Service), whose
//!   provider fields `subnetIdSelector`/`subnetIdRefs` would match only Crossplane-managed
//!   `Subnet` objects (mq.aws.m.upbound.io Broker and opensearch.aws.m.upbound.io Domain CRDs).
//! - The EnvironmentConfigs `pave-network-single-zone` and `pave-network-multi-zone`: the data
//!   subnets a service spans, `zoneSubnetIds` (the first zone's, or all), labelled
//!   `pave.dev/network-zones`. Amazon MQ's single-instance broker and an OpenSearch domain without
//!   zone awareness take exactly one subnet, a cluster or zone-aware domain one per zone, and
//!   function-patch-and-transform has no conditionals: a Composition selects one of the two by a
//!   string parameter (function-environment-configs `Selector`, `matchLabels` of type
//!   `FromCompositeFieldPath`, read with `GetString`: crossplane-contrib/function-environment-configs
//!   `fn.go`, `buildMatchLabels`).
//! - The EnvironmentConfig `pave-atlas` (the environment's `spec.atlas.projectId`) and the MongoDB
//!   Atlas provider's config: its API key read from Secrets Manager (created empty by the
//!   cluster's Terraform; a person puts the key) into a Secret of `crossplane-system`, as the
//!   provider reads it (`credentials.source: Secret`, a JSON object with `public_key` and
//!   `private_key`: provider-mongodbatlas `internal/clients/mongodbatlas.go`).

use std::collections::BTreeMap;

use serde_json::{Value as Json, json};

use super::PROVIDER_CONFIG;
use crate::emit::folder::Folder;
use crate::emit::kubernetes::CLUSTER_SECRET_STORE;
use crate::emit::{OutputFile, Provenance};
use crate::lower::{Cluster, CrossplaneEnvironment, ZONES};
use crate::resolve::{ATLAS_ENVIRONMENT_CONFIG, NETWORK_ENVIRONMENT_CONFIG};
use crate::source::SourceMap;

type Labels = BTreeMap<String, String>;

/// The fields of the EnvironmentConfig `pave-network` the Compositions read.
pub(crate) const DB_SUBNET_GROUP: &str = "dbSubnetGroupName";
/// The field of `pave-atlas`: the Atlas project's id.
pub(crate) const ATLAS_PROJECT_ID: &str = "projectId";
pub(crate) const CACHE_SUBNET_GROUP: &str = "cacheSubnetGroupName";
pub(crate) const SECURITY_GROUP_IDS: &str = "securityGroupIds";
/// The one security group id in Secrets Manager (and Flux's variable), listed as
/// `SECURITY_GROUP_IDS` in the EnvironmentConfig.
pub(crate) const SECURITY_GROUP: &str = "securityGroupId";
/// The data subnets' ids, one per zone, in zone order.
pub(crate) const DATA_SUBNET_IDS: &str = "dataSubnetIds";
/// Each data subnet's id in Secrets Manager (and Flux's variable), by zone, listed as
/// `DATA_SUBNET_IDS` in the EnvironmentConfig.
pub(crate) const DATA_SUBNET: [&str; ZONES] = ["dataSubnetId0", "dataSubnetId1", "dataSubnetId2"];
/// The subnets a service spans, in the zone-selected EnvironmentConfigs.
pub(crate) const ZONE_SUBNET_IDS: &str = "zoneSubnetIds";
/// The label a Composition selects a zone-selected EnvironmentConfig by, and its values.
pub(crate) const NETWORK_ZONES_LABEL: &str = "pave.dev/network-zones";
pub(crate) const SINGLE_ZONE: &str = "single-zone";
pub(crate) const MULTI_ZONE: &str = "multi-zone";

/// The Secret in Flux's namespace that Flux substitutes `pave-network` from, and the
/// ExternalSecret that fills it.
pub(crate) const NETWORK_SECRET: &str = "pave-network";

/// Where Crossplane runs its providers (the Atlas provider reads its credentials there).
const CROSSPLANE_NAMESPACE: &str = "crossplane-system";
/// The Secret with the Atlas provider's API key, and its key.
const ATLAS_CREDENTIALS: &str = "mongodbatlas-api-key";
const ATLAS_CREDENTIALS_KEY: &str = "credentials";

/// The API of EnvironmentConfigs (Crossplane 2: `apiextensions.crossplane.io/v1beta1`).
const ENVIRONMENT_CONFIG_API: &str = "apiextensions.crossplane.io/v1beta1";

/// The folder of a cluster's Crossplane environment, relative to the output root.
pub(crate) fn dir(cluster: &Cluster) -> String {
    format!("control-plane/clusters/{}", cluster.name)
}

/// The cluster's folder of EnvironmentConfigs and the Atlas provider's config.
pub(crate) fn emit(
    cluster: &Cluster,
    environment: &CrossplaneEnvironment,
    claims: bool,
    source_map: &SourceMap,
) -> Result<Vec<(String, OutputFile)>, String> {
    let source = &source_map.get(cluster.source).name;
    let mut folder = Folder::new(dir(cluster));
    folder.trace(Provenance::new(
        Some(cluster.document),
        &crate::emit::flux::cluster_context(cluster, None),
    ));
    if environment.network_secret.is_some() {
        let variable = |name: &str| format!("${{{name}}}");
        let subnets: Vec<String> = DATA_SUBNET.iter().map(|s| variable(s)).collect();
        let data = json!({
            DB_SUBNET_GROUP: variable(DB_SUBNET_GROUP),
            CACHE_SUBNET_GROUP: variable(CACHE_SUBNET_GROUP),
            SECURITY_GROUP_IDS: [variable(SECURITY_GROUP)],
            DATA_SUBNET_IDS: subnets,
        });
        folder.add_object(
            ENVIRONMENT_CONFIG_API,
            "EnvironmentConfig",
            NETWORK_ENVIRONMENT_CONFIG,
            &environment_config(&cluster.labels, NETWORK_ENVIRONMENT_CONFIG, data),
            source,
        )?;
        for (zones, zone_subnets) in [(SINGLE_ZONE, &subnets[..1]), (MULTI_ZONE, &subnets[..])] {
            let name = format!("{NETWORK_ENVIRONMENT_CONFIG}-{zones}");
            let mut labels = cluster.labels.clone();
            labels.insert(NETWORK_ZONES_LABEL.to_string(), zones.to_string());
            folder.add_object(
                ENVIRONMENT_CONFIG_API,
                "EnvironmentConfig",
                &name,
                &environment_config(&labels, &name, json!({ZONE_SUBNET_IDS: zone_subnets})),
                source,
            )?;
        }
    }
    if let Some(atlas) = &environment.atlas {
        folder.add_object(
            ENVIRONMENT_CONFIG_API,
            "EnvironmentConfig",
            ATLAS_ENVIRONMENT_CONFIG,
            &environment_config(
                &cluster.labels,
                ATLAS_ENVIRONMENT_CONFIG,
                json!({ATLAS_PROJECT_ID: atlas.project_id}),
            ),
            source,
        )?;
        let external_secret = json!({
            "apiVersion": "external-secrets.io/v1",
            "kind": "ExternalSecret",
            "metadata": metadata(&cluster.labels, ATLAS_CREDENTIALS, Some(CROSSPLANE_NAMESPACE)),
            "spec": {
                "refreshInterval": "1h",
                "secretStoreRef": {"kind": "ClusterSecretStore", "name": CLUSTER_SECRET_STORE},
                "target": {"name": ATLAS_CREDENTIALS, "creationPolicy": "Owner"},
                "data": [{
                    "secretKey": ATLAS_CREDENTIALS_KEY,
                    "remoteRef": {"key": atlas.api_key_secret},
                }],
            },
        });
        folder.add_object(
            "external-secrets.io/v1",
            "ExternalSecret",
            &format!("{CROSSPLANE_NAMESPACE}_{ATLAS_CREDENTIALS}"),
            &external_secret,
            source,
        )?;
        let (api_version, kind) = atlas_provider_config_kind(claims);
        folder.add_object(
            api_version,
            kind,
            PROVIDER_CONFIG,
            &atlas_provider_config(&cluster.labels, claims),
            source,
        )?;
    }
    folder.finish(source)
}

/// The ExternalSecret (for the cluster's tenancy folder, applied before the control plane) that
/// fills Flux's Secret `pave-network` from the Secrets Manager secret the cluster's Terraform
/// writes, key by key (`dataFrom.extract`: the JSON object's properties).
pub(crate) fn network_external_secret(cluster: &Cluster, remote: &str) -> Json {
    json!({
        "apiVersion": "external-secrets.io/v1",
        "kind": "ExternalSecret",
        "metadata": metadata(
            &cluster.labels,
            NETWORK_SECRET,
            Some(crate::emit::flux::FLUX_NAMESPACE),
        ),
        "spec": {
            "refreshInterval": "1h",
            "secretStoreRef": {"kind": "ClusterSecretStore", "name": CLUSTER_SECRET_STORE},
            "target": {"name": NETWORK_SECRET, "creationPolicy": "Owner"},
            "dataFrom": [{"extract": {"key": remote}}],
        },
    })
}

fn metadata(labels: &Labels, name: &str, namespace: Option<&str>) -> Json {
    let mut metadata = json!({"name": name, "labels": labels});
    if let Some(namespace) = namespace {
        metadata["namespace"] = json!(namespace);
    }
    metadata
}

fn environment_config(labels: &Labels, name: &str, data: Json) -> Json {
    json!({
        "apiVersion": ENVIRONMENT_CONFIG_API,
        "kind": "EnvironmentConfig",
        "metadata": metadata(labels, name, None),
        "data": data,
    })
}

/// The Atlas provider's config kind: cluster-scoped `ClusterProviderConfig` for the namespaced
/// managed resources (v2), `ProviderConfig` for the cluster-scoped ones (v1 claims).
fn atlas_provider_config_kind(claims: bool) -> (&'static str, &'static str) {
    if claims {
        ("mongodbatlas.crossplane.io/v1beta1", "ProviderConfig")
    } else {
        (
            "mongodbatlas.m.crossplane.io/v1beta1",
            "ClusterProviderConfig",
        )
    }
}

/// The CRD `clusterproviderconfigs.mongodbatlas.m.crossplane.io` v1beta1: `credentials.source`
/// `Secret` with a `secretRef` (name, namespace, key), all required.
fn atlas_provider_config(labels: &Labels, claims: bool) -> Json {
    let (api_version, kind) = atlas_provider_config_kind(claims);
    json!({
        "apiVersion": api_version,
        "kind": kind,
        "metadata": metadata(labels, PROVIDER_CONFIG, None),
        "spec": {
            "credentials": {
                "source": "Secret",
                "secretRef": {
                    "namespace": CROSSPLANE_NAMESPACE,
                    "name": ATLAS_CREDENTIALS,
                    "key": ATLAS_CREDENTIALS_KEY,
                },
            },
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A schema vendored beside the provider CRDs.
    fn schema(path: &str) -> Result<Json, String> {
        let root = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"));
        let text = std::fs::read_to_string(root.join(path)).map_err(|e| format!("{path}: {e}"))?;
        serde_json::from_str(&text).map_err(|e| format!("{path}: {e}"))
    }

    fn problems(schema: &Json, object: &Json) -> Result<Vec<String>, String> {
        let validator = jsonschema::draft4::new(schema).map_err(|e| e.to_string())?;
        Ok(validator
            .iter_errors(object)
            .map(|e| format!("{e} at {}", e.instance_path()))
            .collect())
    }

    /// The Atlas provider's config as the provider's CRD (`tests/crds/SOURCES.md`) declares it:
    /// a misspelt or renamed field fails here rather than on a cluster.
    #[test]
    fn atlas_provider_config_matches_the_provider_crd() -> Result<(), String> {
        let crd =
            schema("tests/crds/mongodbatlas.m.crossplane.io/clusterproviderconfig_v1beta1.json")?;
        let config = atlas_provider_config(&Labels::new(), false);
        assert_eq!(problems(&crd, &config)?, Vec::<String>::new());
        let mut wrong = config.clone();
        wrong["spec"]["credentials"]["source"] = json!("PodIdentity");
        assert_eq!(
            problems(&crd, &wrong)?.len(),
            1,
            "the CRD's enum must refuse a wrong source"
        );
        Ok(())
    }

    /// stdlib's types read only fields the network EnvironmentConfigs (and `pave-atlas`) carry, and
    /// those that select a zone config do so by the label pave writes, from a parameter whose
    /// values are exactly the label's values (a drift would select nothing on a cluster).
    #[test]
    fn stdlib_compositions_read_the_network_pave_writes() -> Result<(), String> {
        use crate::parse::yaml::parse_yaml;
        use crate::source::{FileId, STDLIB, STDLIB_RESOURCES};
        let carried = [
            DB_SUBNET_GROUP,
            CACHE_SUBNET_GROUP,
            SECURITY_GROUP_IDS,
            DATA_SUBNET_IDS,
            ZONE_SUBNET_IDS,
            ATLAS_PROJECT_ID,
        ];
        let mut selecting = 0;
        let mut problems = Vec::new();
        for (path, text) in STDLIB
            .iter()
            .filter(|(p, _)| p.starts_with(STDLIB_RESOURCES))
        {
            let (nodes, _) = parse_yaml(FileId::new(0), text);
            let json = nodes.first().map(|n| n.to_json()).unwrap_or_default();
            let Some(crossplane) = json.pointer("/spec/crossplane") else {
                continue;
            };
            let text = crossplane["composition"].to_string();
            for field in text.split("\"FromEnvironmentFieldPath\"").skip(1) {
                let read = field
                    .split("\"fromFieldPath\":\"")
                    .nth(1)
                    .and_then(|rest| rest.split('"').next())
                    .unwrap_or_default();
                if !carried.contains(&read) {
                    problems.push(format!("{path} reads `{read}`"));
                }
            }
            let steps = crossplane.pointer("/composition/spec/pipeline");
            for step in steps.and_then(Json::as_array).into_iter().flatten() {
                let sources = step.pointer("/input/spec/environmentConfigs");
                for source in sources.and_then(Json::as_array).into_iter().flatten() {
                    let Some(labels) = source.pointer("/selector/matchLabels") else {
                        continue;
                    };
                    selecting += 1;
                    let label = &labels[0];
                    if label["key"] != NETWORK_ZONES_LABEL {
                        problems.push(format!("{path} selects by {}", label["key"]));
                    }
                    let parameter = label["valueFromFieldPath"]
                        .as_str()
                        .and_then(|p| p.strip_prefix("spec.parameters."))
                        .unwrap_or_default();
                    let values = &json["spec"]["params"]["properties"][parameter]["enum"];
                    if *values != json!([SINGLE_ZONE, MULTI_ZONE]) {
                        problems.push(format!("{path}: `{parameter}` takes {values}"));
                    }
                }
            }
        }
        assert_eq!(problems, Vec::<String>::new());
        assert!(selecting > 0, "stdlib selects zone configs");
        Ok(())
    }

    /// The network's fields are the ones the Compositions read.
    #[test]
    fn network_fields_are_the_ones_the_compositions_read() -> Result<(), String> {
        let compositions = super::super::tests::stdlib_compositions();
        for (file, fields) in [
            ("postgres", [DB_SUBNET_GROUP, SECURITY_GROUP_IDS]),
            ("mysql", [DB_SUBNET_GROUP, SECURITY_GROUP_IDS]),
            ("redis", [CACHE_SUBNET_GROUP, SECURITY_GROUP_IDS]),
        ] {
            let path = format!("{}{file}.yaml", crate::source::STDLIB_RESOURCES);
            let found: Vec<&Json> = compositions
                .iter()
                .filter(|(p, _, _)| *p == path)
                .map(|(_, _, c)| c)
                .collect();
            assert_eq!(found.len(), 2, "{path} ships a v2 and a claims Composition");
            for composition in found {
                let text = composition.to_string();
                for field in fields {
                    assert!(
                        text.contains(&format!("\"fromFieldPath\":\"{field}\"")),
                        "the {file} Composition reads `{field}`"
                    );
                }
            }
        }
        Ok(())
    }
}
