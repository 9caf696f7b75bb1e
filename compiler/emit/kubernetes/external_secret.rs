//! External Secrets Operator objects: the ExternalSecret of a workload, which fills a Secret in
//! the tenant's namespace from AWS Secrets Manager through the cluster's ClusterSecretStore.
//! pave never writes a Secret with data: the operator creates it on the cluster.

use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use serde::Serialize;

use crate::lower::PlannedExternalSecret;

pub(crate) const API_VERSION: &str = "external-secrets.io/v1";
pub(crate) const KIND: &str = "ExternalSecret";
/// The ClusterSecretStore of every cluster (the `external-secrets` add-on's manifest).
pub(crate) const CLUSTER_SECRET_STORE: &str = "aws-secrets-manager";

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ExternalSecret {
    api_version: &'static str,
    kind: &'static str,
    metadata: ObjectMeta,
    spec: ExternalSecretSpec,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ExternalSecretSpec {
    refresh_interval: &'static str,
    secret_store_ref: SecretStoreRef,
    target: Target,
    data: Vec<Data>,
}

#[derive(Serialize)]
struct SecretStoreRef {
    kind: &'static str,
    name: &'static str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Target {
    name: String,
    creation_policy: &'static str,
    deletion_policy: &'static str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Data {
    secret_key: String,
    remote_ref: RemoteRef,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct RemoteRef {
    key: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    property: Option<String>,
}

impl ExternalSecret {
    pub(crate) fn new(metadata: ObjectMeta, planned: &PlannedExternalSecret) -> Self {
        ExternalSecret {
            api_version: API_VERSION,
            kind: KIND,
            metadata,
            spec: ExternalSecretSpec {
                refresh_interval: "1h",
                secret_store_ref: SecretStoreRef {
                    kind: "ClusterSecretStore",
                    name: CLUSTER_SECRET_STORE,
                },
                target: Target {
                    name: planned.name.clone(),
                    creation_policy: "Owner",
                    deletion_policy: "Delete",
                },
                data: planned
                    .data
                    .iter()
                    .map(|d| Data {
                        secret_key: d.key.clone(),
                        remote_ref: RemoteRef {
                            key: d.remote.clone(),
                            property: d.property.clone(),
                        },
                    })
                    .collect(),
            },
        }
    }
}
