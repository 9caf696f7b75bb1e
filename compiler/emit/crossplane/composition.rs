//! The Composition of each resource type: a pipeline of function-environment-configs (for
//! databases and caches: the cluster's network placement, from the EnvironmentConfig
//! `pave-network` of the cluster's folder, `environment.rs`) and
//! function-patch-and-transform, composing the Upbound AWS providers' managed resources from the
//! composite's spec. v2 composes
//! namespaced managed resources (`*.aws.m.upbound.io`, in the composite's namespace, with the
//! `default` ClusterProviderConfig); v1 (claims) composes cluster-scoped ones
//! (`*.aws.upbound.io`), whose generated secrets go to `crossplane-system`.
//!
//! Secure by default, whatever the class: encryption at rest (RDS, ElastiCache, S3 with SSE-KMS,
//! SQS with SSE), TLS in transit for Redis and a TLS-only bucket policy, no public access
//! (RDS `publiclyAccessible: false`, S3 public access block, no ACLs), generated passwords and
//! tokens that never leave the cluster except into Secrets Manager.

use serde_json::{Value as Json, json};

use super::environment::{CACHE_SUBNET_GROUP, DB_SUBNET_GROUP, SECURITY_GROUP_IDS};
use super::packages::{ENVIRONMENT_CONFIGS, PATCH_AND_TRANSFORM, Packages};
use super::{GROUP, TYPE_LABEL, VERSION};
use crate::parse::ResourceType;

/// The EnvironmentConfig with a cluster's network placement of databases and caches:
/// `dbSubnetGroupName`, `cacheSubnetGroupName` and `securityGroupIds` (IDs of the groups that
/// admit the cluster's pods), in each cluster's folder (`environment.rs`), filled from what the
/// cluster's Terraform created.
pub(crate) const NETWORK_ENVIRONMENT_CONFIG: &str = "pave-network";

/// The EnvironmentConfig with the Atlas project MongoDB clusters are created in: `projectId`
/// (the project's IP access list or private endpoint admits the cluster's NAT addresses), from
/// the Environment's `spec.atlas`, in each cluster's folder with the Atlas provider's config.
pub(crate) const ATLAS_ENVIRONMENT_CONFIG: &str = "pave-atlas";

/// The Composition's name.
pub(crate) fn name(resource_type: ResourceType) -> String {
    format!("{}-aws", resource_type.as_str())
}

/// Where the providers write secrets for cluster-scoped managed resources (v1).
const V1_SECRET_NAMESPACE: &str = "crossplane-system";

pub(super) fn composition(
    resource_type: ResourceType,
    claims: bool,
    xr_kind: &str,
    packages: &Packages,
) -> Result<Json, String> {
    let ctx = Ctx { claims };
    if let ResourceType::Platform(name) = resource_type {
        return Err(format!(
            "resource type `{name}` ships its own Composition; none is generated"
        ));
    }
    let resources = match resource_type {
        ResourceType::Postgres => ctx.rds("postgres"),
        ResourceType::Mysql => ctx.rds("mysql"),
        ResourceType::Redis => ctx.redis(),
        ResourceType::S3Bucket => ctx.bucket(),
        ResourceType::SqsQueue => ctx.queue(),
        ResourceType::Mongodb => ctx.mongodb(),
        ResourceType::Platform(_) => Vec::new(),
    };
    let mut pipeline = Vec::new();
    let environment_config = match resource_type {
        ResourceType::Postgres | ResourceType::Mysql | ResourceType::Redis => {
            Some(("network-placement", NETWORK_ENVIRONMENT_CONFIG))
        }
        ResourceType::Mongodb => Some(("atlas-project", ATLAS_ENVIRONMENT_CONFIG)),
        ResourceType::S3Bucket | ResourceType::SqsQueue | ResourceType::Platform(_) => None,
    };
    if let Some((step, config)) = environment_config {
        pipeline.push(json!({
            "step": step,
            "functionRef": {"name": packages.function(ENVIRONMENT_CONFIGS)?},
            "input": {
                "apiVersion": "environmentconfigs.fn.crossplane.io/v1beta1",
                "kind": "Input",
                "spec": {
                    "environmentConfigs": [{
                        "type": "Reference",
                        "ref": {"name": config},
                    }],
                },
            },
        }));
    }
    pipeline.push(json!({
        "step": "patch-and-transform",
        "functionRef": {"name": packages.function(PATCH_AND_TRANSFORM)?},
        "input": {
            "apiVersion": "pt.fn.crossplane.io/v1beta1",
            "kind": "Resources",
            "resources": resources,
        },
    }));
    Ok(json!({
        "apiVersion": "apiextensions.crossplane.io/v1",
        "kind": "Composition",
        "metadata": {
            "name": name(resource_type),
            "labels": {
                "app.kubernetes.io/managed-by": "pave",
                TYPE_LABEL: resource_type.as_str(),
                "pave.dev/provider": "aws",
            },
        },
        "spec": {
            "compositeTypeRef": {"apiVersion": format!("{GROUP}/{VERSION}"), "kind": xr_kind},
            "mode": "Pipeline",
            "pipeline": pipeline,
        },
    }))
}

struct Ctx {
    claims: bool,
}

/// A patch from a field of the composite to a field of the composed resource.
fn from(xr: &str, to: &str) -> Json {
    json!({"type": "FromCompositeFieldPath", "fromFieldPath": xr, "toFieldPath": to})
}

/// A patch from the pipeline's environment (the EnvironmentConfigs loaded) to the composed
/// resource; a missing field fails the composition rather than placing it in a default VPC.
fn from_environment(field: &str, to: &str) -> Json {
    json!({
        "type": "FromEnvironmentFieldPath",
        "fromFieldPath": field,
        "toFieldPath": to,
        "policy": {"fromFieldPath": "Required"},
    })
}

/// The same, through a Go format string (`%s`).
fn format(xr: &str, to: &str, fmt: &str) -> Json {
    json!({
        "type": "FromCompositeFieldPath",
        "fromFieldPath": xr,
        "toFieldPath": to,
        "transforms": [{"type": "string", "string": {"type": "Format", "fmt": fmt}}],
    })
}

const EXTERNAL_NAME: &str = "metadata.annotations[crossplane.io/external-name]";

impl Ctx {
    /// `rds.aws.m.upbound.io/v1beta1` (v2) or `rds.aws.upbound.io/v1beta1` (v1).
    fn api(&self, service: &str, version: &str) -> String {
        if self.claims {
            format!("{service}.aws.upbound.io/{version}")
        } else {
            format!("{service}.aws.m.upbound.io/{version}")
        }
    }

    /// A block Terraform allows once: an object in the namespaced APIs, a list of one in the
    /// cluster-scoped `v1beta1` ones.
    fn single(&self, block: Json) -> Json {
        if self.claims { json!([block]) } else { block }
    }

    fn provider_config(&self) -> Json {
        let (_, kind) = super::provider_config_kind(self.claims);
        if self.claims {
            json!({"name": super::PROVIDER_CONFIG})
        } else {
            json!({"kind": kind, "name": super::PROVIDER_CONFIG})
        }
    }

    /// A reference to a secret the provider writes, named `<composite>-<suffix>` (the patch that
    /// names it comes with it); v1's are in `crossplane-system`.
    fn secret_ref(&self, field: &str, suffix: &str, key: Option<&str>) -> (Json, Vec<Json>) {
        let mut reference = serde_json::Map::new();
        if let Some(key) = key {
            reference.insert("key".into(), json!(key));
        }
        if self.claims {
            reference.insert("namespace".into(), json!(V1_SECRET_NAMESPACE));
        }
        let patch = format(
            "metadata.name",
            &format!("{field}.name"),
            &format!("%s-{suffix}"),
        );
        (Json::Object(reference), vec![patch])
    }

    /// A composed resource: name, base (`spec.forProvider` given; region and provider config
    /// added) and patches (region added).
    fn resource(
        &self,
        name: &str,
        api: String,
        kind: &str,
        for_provider: Json,
        patches: Vec<Json>,
    ) -> Json {
        self.resource_with(name, api, kind, for_provider, patches, None)
    }

    fn resource_with(
        &self,
        name: &str,
        api: String,
        kind: &str,
        for_provider: Json,
        patches: Vec<Json>,
        extra_spec: Option<(&str, Json)>,
    ) -> Json {
        let mut spec = serde_json::Map::new();
        spec.insert("forProvider".into(), for_provider);
        if let Some((key, value)) = extra_spec {
            spec.insert(key.into(), value);
        }
        spec.insert("providerConfigRef".into(), self.provider_config());
        let mut all = vec![from("spec.region", "spec.forProvider.region")];
        all.extend(patches);
        json!({
            "name": name,
            "base": {
                "apiVersion": api,
                "kind": kind,
                "metadata": {"labels": {"pave.dev/composed": name}},
                "spec": Json::Object(spec),
            },
            "patches": all,
        })
    }

    /// The composed resources of a database, then its `host` and `password` outputs, each read
    /// from (suffix of the provider's secret, key in it).
    fn with_credentials(
        &self,
        mut composed: Vec<Json>,
        host: (&str, &str),
        password: (&str, &str),
    ) -> Vec<Json> {
        composed.extend(self.secret_output("host", host.0, host.1));
        composed.extend(self.secret_output("password", password.0, password.1));
        composed
    }

    /// For one secret output: a Secrets Manager secret named `<secretPrefix>/<output>` and its
    /// version, whose value is the key `key` of the provider's secret `<composite>-<suffix>`.
    fn secret_output(&self, output: &str, suffix: &str, key: &str) -> Vec<Json> {
        let secret_name = format!("secret-{output}");
        let secret = self.resource(
            &secret_name,
            self.api("secretsmanager", "v1beta1"),
            "Secret",
            json!({
                "description": format!("{output} of a pave managed resource"),
                "recoveryWindowInDays": 7,
            }),
            vec![format(
                "spec.secretPrefix",
                "spec.forProvider.name",
                &format!("%s/{output}"),
            )],
        );
        let (reference, patches) =
            self.secret_ref("spec.forProvider.secretStringSecretRef", suffix, Some(key));
        let version = self.resource(
            &format!("secret-{output}-version"),
            self.api("secretsmanager", "v1beta1"),
            "SecretVersion",
            json!({
                "secretIdSelector": {
                    "matchControllerRef": true,
                    "matchLabels": {"pave.dev/composed": secret_name},
                },
                "secretStringSecretRef": reference,
            }),
            patches,
        );
        vec![secret, version]
    }

    /// An RDS instance (`engine`: postgres or mysql), its generated master password, and its host
    /// and password in Secrets Manager.
    fn rds(&self, engine: &str) -> Vec<Json> {
        let (password_ref, mut patches) = self.secret_ref(
            "spec.forProvider.passwordSecretRef",
            "master",
            Some("password"),
        );
        let (connection_ref, connection_patches) =
            self.secret_ref("spec.writeConnectionSecretToRef", "connection", None);
        patches.extend(connection_patches);
        patches.extend([
            from("spec.externalName", EXTERNAL_NAME),
            from("spec.database.name", "spec.forProvider.dbName"),
            from("spec.database.username", "spec.forProvider.username"),
            from("spec.database.port", "spec.forProvider.port"),
            from(
                "spec.parameters.instanceClass",
                "spec.forProvider.instanceClass",
            ),
            from(
                "spec.parameters.storageGB",
                "spec.forProvider.allocatedStorage",
            ),
            from(
                "spec.parameters.engineVersion",
                "spec.forProvider.engineVersion",
            ),
            from("spec.parameters.multiAZ", "spec.forProvider.multiAz"),
            from(
                "spec.parameters.deletionProtection",
                "spec.forProvider.deletionProtection",
            ),
            from(
                "spec.parameters.backupRetentionDays",
                "spec.forProvider.backupRetentionPeriod",
            ),
            format(
                "spec.externalName",
                "spec.forProvider.finalSnapshotIdentifier",
                "%s-final",
            ),
            from_environment(DB_SUBNET_GROUP, "spec.forProvider.dbSubnetGroupName"),
            from_environment(SECURITY_GROUP_IDS, "spec.forProvider.vpcSecurityGroupIds"),
        ]);
        let instance = self.resource_with(
            "instance",
            self.api("rds", "v1beta1"),
            "Instance",
            json!({
                "engine": engine,
                "autoGeneratePassword": true,
                "passwordSecretRef": password_ref,
                "storageEncrypted": true,
                "storageType": "gp3",
                "publiclyAccessible": false,
                "autoMinorVersionUpgrade": true,
                "copyTagsToSnapshot": true,
                "skipFinalSnapshot": false,
                "iamDatabaseAuthenticationEnabled": true,
                "applyImmediately": false,
            }),
            patches,
            Some(("writeConnectionSecretToRef", connection_ref)),
        );
        self.with_credentials(
            vec![instance],
            ("connection", "host"),
            ("master", "password"),
        )
    }

    /// An ElastiCache replication group with TLS and an AUTH token, and its host and token in
    /// Secrets Manager.
    fn redis(&self) -> Vec<Json> {
        let (token_ref, mut patches) =
            self.secret_ref("spec.forProvider.authTokenSecretRef", "auth", Some("token"));
        let (connection_ref, connection_patches) =
            self.secret_ref("spec.writeConnectionSecretToRef", "connection", None);
        patches.extend(connection_patches);
        patches.extend([
            from("spec.externalName", EXTERNAL_NAME),
            from("spec.database.port", "spec.forProvider.port"),
            from("spec.parameters.nodeType", "spec.forProvider.nodeType"),
            from("spec.parameters.nodes", "spec.forProvider.numCacheClusters"),
            from(
                "spec.parameters.multiAZ",
                "spec.forProvider.automaticFailoverEnabled",
            ),
            from("spec.parameters.multiAZ", "spec.forProvider.multiAzEnabled"),
            from(
                "spec.parameters.engineVersion",
                "spec.forProvider.engineVersion",
            ),
            from(
                "spec.parameters.snapshotRetentionDays",
                "spec.forProvider.snapshotRetentionLimit",
            ),
            from_environment(CACHE_SUBNET_GROUP, "spec.forProvider.subnetGroupName"),
            from_environment(SECURITY_GROUP_IDS, "spec.forProvider.securityGroupIds"),
        ]);
        let group = self.resource_with(
            "replication-group",
            self.api("elasticache", "v1beta1"),
            "ReplicationGroup",
            json!({
                "description": "pave managed Redis",
                "engine": "redis",
                // A string in the provider's CRD (`elasticache.aws.m.upbound.io` and
                // `elasticache.aws.upbound.io` ReplicationGroup v1beta1), unlike its siblings.
                "atRestEncryptionEnabled": "true",
                "transitEncryptionEnabled": true,
                "autoGenerateAuthToken": true,
                "authTokenSecretRef": token_ref,
                "autoMinorVersionUpgrade": "true",
                "applyImmediately": false,
            }),
            patches,
            Some(("writeConnectionSecretToRef", connection_ref)),
        );
        self.with_credentials(
            vec![group],
            ("connection", "primary_endpoint_address"),
            ("auth", "token"),
        )
    }

    /// A bucket with public access blocked, SSE-KMS, owner-enforced ownership, versioning per
    /// class, and a policy denying requests without TLS.
    fn bucket(&self) -> Vec<Json> {
        let selector =
            json!({"matchControllerRef": true, "matchLabels": {"pave.dev/composed": "bucket"}});
        let bucket = self.resource(
            "bucket",
            self.api("s3", "v1beta1"),
            "Bucket",
            json!({"forceDestroy": false}),
            vec![from("spec.externalName", EXTERNAL_NAME)],
        );
        let public_access = self.resource(
            "public-access-block",
            self.api("s3", "v1beta1"),
            "BucketPublicAccessBlock",
            json!({
                "bucketSelector": selector,
                "blockPublicAcls": true,
                "blockPublicPolicy": true,
                "ignorePublicAcls": true,
                "restrictPublicBuckets": true,
            }),
            Vec::new(),
        );
        let encryption = self.resource(
            "encryption",
            self.api("s3", "v1beta1"),
            "BucketServerSideEncryptionConfiguration",
            json!({
                "bucketSelector": selector,
                "rule": [{
                    "applyServerSideEncryptionByDefault":
                        self.single(json!({"sseAlgorithm": "aws:kms"})),
                    "bucketKeyEnabled": true,
                }],
            }),
            Vec::new(),
        );
        let ownership = self.resource(
            "ownership",
            self.api("s3", "v1beta1"),
            "BucketOwnershipControls",
            json!({
                "bucketSelector": selector,
                "rule": self.single(json!({"objectOwnership": "BucketOwnerEnforced"})),
            }),
            Vec::new(),
        );
        let versioning = self.resource(
            "versioning",
            self.api("s3", "v1beta1"),
            "BucketVersioning",
            json!({
                "bucketSelector": selector,
                "versioningConfiguration": self.single(json!({"status": "Suspended"})),
            }),
            vec![from(
                "spec.parameters.versioning",
                if self.claims {
                    "spec.forProvider.versioningConfiguration[0].status"
                } else {
                    "spec.forProvider.versioningConfiguration.status"
                },
            )],
        );
        let policy = self.resource(
            "tls-only-policy",
            self.api("s3", "v1beta1"),
            "BucketPolicy",
            json!({"bucketSelector": selector}),
            vec![format(
                "spec.externalName",
                "spec.forProvider.policy",
                r#"{"Version":"2012-10-17","Statement":[{"Sid":"DenyInsecureTransport","Effect":"Deny","Principal":"*","Action":"s3:*","Resource":["arn:aws:s3:::%[1]s","arn:aws:s3:::%[1]s/*"],"Condition":{"Bool":{"aws:SecureTransport":"false"}}}]}"#,
            )],
        );
        vec![
            bucket,
            public_access,
            encryption,
            ownership,
            versioning,
            policy,
        ]
    }

    /// A MongoDB Atlas cluster on AWS in the composite's region, a database user with a generated
    /// password (readWrite on the service's database, scoped to this cluster), and the cluster's
    /// host and the password in Secrets Manager. Atlas encrypts storage and requires TLS
    /// whatever the tier. The host reaches Secrets Manager through the composite's status and a
    /// composed Secret, since the provider gives no connection detail for it.
    fn mongodb(&self) -> Vec<Json> {
        let atlas = |service: &str, version: &str| {
            if self.claims {
                format!("{service}mongodbatlas.crossplane.io/{version}")
            } else {
                format!("{service}mongodbatlas.m.crossplane.io/{version}")
            }
        };
        let region_config = "spec.forProvider.replicationSpecs[0].regionConfigs[0]";
        // The namespaced API is served at v1alpha3 (provider-mongodbatlas v1.0.0), where
        // `electableSpecs` is an object; the cluster-scoped one keeps v1alpha2's list.
        let (cluster_version, electable, instance_size) = if self.claims {
            (
                "v1alpha2",
                json!([{"nodeCount": 3}]),
                "electableSpecs[0].instanceSize",
            )
        } else {
            (
                "v1alpha3",
                json!({"nodeCount": 3}),
                "electableSpecs.instanceSize",
            )
        };
        let cluster = json!({
            "name": "cluster",
            "base": {
                "apiVersion": atlas("", cluster_version),
                "kind": "AdvancedCluster",
                "metadata": {"labels": {"pave.dev/composed": "cluster"}},
                "spec": {
                    "forProvider": {
                        "clusterType": "REPLICASET",
                        "replicationSpecs": [{
                            "regionConfigs": [{
                                "providerName": "AWS",
                                "priority": 7,
                                "electableSpecs": electable,
                            }],
                        }],
                    },
                    "providerConfigRef": self.provider_config(),
                },
            },
            "patches": [
                from_environment("projectId", "spec.forProvider.projectId"),
                from("spec.externalName", "spec.forProvider.name"),
                from("spec.atlasRegion", &format!("{region_config}.regionName")),
                from(
                    "spec.parameters.instanceSize",
                    &format!("{region_config}.{instance_size}"),
                ),
                from("spec.parameters.mongoVersion", "spec.forProvider.mongoDbMajorVersion"),
                from("spec.parameters.backupEnabled", "spec.forProvider.backupEnabled"),
                from(
                    "spec.parameters.terminationProtection",
                    "spec.forProvider.terminationProtectionEnabled",
                ),
                json!({
                    "type": "ToCompositeFieldPath",
                    "fromFieldPath": "status.atProvider.connectionStrings[0].standardSrv",
                    "toFieldPath": "status.host",
                }),
            ],
        });
        let (connection_ref, mut user_patches) =
            self.secret_ref("spec.writeConnectionSecretToRef", "user", None);
        user_patches.extend([
            from_environment("projectId", "spec.forProvider.projectId"),
            from("spec.database.username", "spec.forProvider.username"),
            from(
                "spec.database.name",
                "spec.forProvider.roles[0].databaseName",
            ),
            from("spec.externalName", "spec.forProvider.scopes[0].name"),
        ]);
        let user = json!({
            "name": "user",
            "base": {
                "apiVersion": atlas("database.", "v1alpha3"),
                "kind": "User",
                "metadata": {"labels": {"pave.dev/composed": "user"}},
                "spec": {
                    "forProvider": {
                        "authDatabaseName": "admin",
                        "roles": [{"roleName": "readWrite"}],
                        "scopes": [{"type": "CLUSTER"}],
                    },
                    "writeConnectionSecretToRef": connection_ref,
                    "providerConfigRef": self.provider_config(),
                },
            },
            "patches": user_patches,
        });
        // The host, once the cluster reports it, in a Secret the SecretVersion can read.
        let mut host_metadata = serde_json::Map::new();
        host_metadata.insert("labels".into(), json!({"pave.dev/composed": "host"}));
        if self.claims {
            host_metadata.insert("namespace".into(), json!(V1_SECRET_NAMESPACE));
        }
        let host = json!({
            "name": "host",
            "base": {
                "apiVersion": "v1",
                "kind": "Secret",
                "metadata": Json::Object(host_metadata),
                "type": "Opaque",
            },
            "patches": [
                format("metadata.name", "metadata.name", "%s-host"),
                {
                    "type": "FromCompositeFieldPath",
                    "fromFieldPath": "status.host",
                    "toFieldPath": "stringData.host",
                    "transforms": [{"type": "string", "string": {"type": "TrimPrefix", "trim": "mongodb+srv://"}}],
                    "policy": {"fromFieldPath": "Required"},
                },
            ],
            "readinessChecks": [{"type": "None"}],
        });
        self.with_credentials(
            vec![cluster, user, host],
            ("host", "host"),
            ("user", "password"),
        )
    }

    /// A queue with SSE and a dead-letter queue.
    fn queue(&self) -> Vec<Json> {
        let days = |to: &str| {
            json!({
                "type": "FromCompositeFieldPath",
                "fromFieldPath": "spec.parameters.retentionDays",
                "toFieldPath": to,
                "transforms": [{"type": "math", "math": {"type": "Multiply", "multiply": 86400}}],
            })
        };
        let dead_letter = self.resource(
            "dead-letter-queue",
            self.api("sqs", "v1beta1"),
            "Queue",
            json!({"sqsManagedSseEnabled": true, "messageRetentionSeconds": 1_209_600}),
            vec![format(
                "spec.externalName",
                "spec.forProvider.name",
                "%s-dlq",
            )],
        );
        let queue = self.resource(
            "queue",
            self.api("sqs", "v1beta1"),
            "Queue",
            json!({"sqsManagedSseEnabled": true}),
            vec![
                from("spec.externalName", "spec.forProvider.name"),
                from(
                    "spec.parameters.visibilityTimeoutSeconds",
                    "spec.forProvider.visibilityTimeoutSeconds",
                ),
                days("spec.forProvider.messageRetentionSeconds"),
                json!({
                    "type": "CombineFromComposite",
                    "combine": {
                        "variables": [
                            {"fromFieldPath": "spec.deadLetterQueueArn"},
                            {"fromFieldPath": "spec.parameters.maxReceiveCount"},
                        ],
                        "strategy": "string",
                        "string": {"fmt": r#"{"deadLetterTargetArn":"%s","maxReceiveCount":%d}"#},
                    },
                    "toFieldPath": "spec.forProvider.redrivePolicy",
                }),
            ],
        );
        vec![queue, dead_letter]
    }
}
