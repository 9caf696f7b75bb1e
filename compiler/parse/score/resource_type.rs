//! The Score resource types pave provides, and the outputs each has, named as Score's reference
//! provisioners (score-compose, score-k8s) name them, so a workload written for them reads the
//! same outputs here. Databases, caches, buckets and queues are pave's managed resources
//! (`spec.requires` of a Service, provisioned through Crossplane); the others need no cloud.

use crate::parse::ResourceType as ManagedType;

/// A Score resource type pave can provide.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum ResourceType {
    /// Values per environment, from the overrides file: any output name.
    Environment,
    /// Another workload's (or Service's) port: `hostname`, `port`; a dependency.
    ServicePort,
    /// Another workload (or Service), by name: `name`, `host`, `port`, `url`; a dependency. Score's
    /// Humanitec implementation's type (`${resources.backend.name}`); pave adds its URL.
    Service,
    /// A host name in the environment's DNS zone.
    Dns,
    /// An HTTP route to this workload: an Ingress.
    Route,
    /// A scratch volume (`emptyDir`), mounted through `volumes`.
    Volume,
    /// A managed resource (Crossplane), as a Service's `spec.requires` entry.
    Managed(ManagedType),
}

/// The S3 outputs of Score's reference provisioner that are static keys: pave gives the
/// workload an IAM role instead.
pub(super) const S3_KEY_OUTPUTS: [&str; 4] = [
    "access_key_id",
    "secret_key",
    "aws_access_key_id",
    "aws_secret_key",
];

impl ResourceType {
    /// Every type by the names Score workloads use (`s3` and pave's `s3-bucket` alike).
    const NAMES: [(&'static str, ResourceType); 13] = [
        ("environment", ResourceType::Environment),
        ("service-port", ResourceType::ServicePort),
        ("service", ResourceType::Service),
        ("dns", ResourceType::Dns),
        ("route", ResourceType::Route),
        ("volume", ResourceType::Volume),
        ("postgres", ResourceType::Managed(ManagedType::Postgres)),
        ("mysql", ResourceType::Managed(ManagedType::Mysql)),
        ("redis", ResourceType::Managed(ManagedType::Redis)),
        ("s3", ResourceType::Managed(ManagedType::S3Bucket)),
        ("s3-bucket", ResourceType::Managed(ManagedType::S3Bucket)),
        ("sqs-queue", ResourceType::Managed(ManagedType::SqsQueue)),
        ("mongodb", ResourceType::Managed(ManagedType::Mongodb)),
    ];

    pub fn name(self) -> &'static str {
        match self {
            ResourceType::Managed(ManagedType::S3Bucket) => "s3",
            ResourceType::Managed(ManagedType::Platform(name)) => name,
            other => Self::NAMES
                .iter()
                .find(|(_, t)| *t == other)
                .map_or("", |(n, _)| n),
        }
    }

    pub fn from_name(name: &str) -> Option<ResourceType> {
        Self::NAMES
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, t)| *t)
    }

    /// The outputs `${resources.NAME.OUTPUT}` may name; `None` when any name is an output.
    pub fn outputs(self) -> Option<&'static [&'static str]> {
        match self {
            ResourceType::Environment => None,
            ResourceType::ServicePort => Some(&["hostname", "port"]),
            ResourceType::Service => Some(&["host", "name", "port", "url"]),
            ResourceType::Dns => Some(&["host"]),
            ResourceType::Route | ResourceType::Volume => Some(&[]),
            ResourceType::Managed(ManagedType::Postgres | ManagedType::Mysql) => {
                Some(&["host", "port", "name", "database", "username", "password"])
            }
            ResourceType::Managed(ManagedType::Redis) => {
                Some(&["host", "port", "username", "password"])
            }
            ResourceType::Managed(ManagedType::S3Bucket) => {
                Some(&["bucket", "name", "region", "endpoint", "arn"])
            }
            ResourceType::Managed(ManagedType::SqsQueue) => Some(&["name", "url", "arn", "region"]),
            ResourceType::Managed(ManagedType::Mongodb) => Some(&[
                "host",
                "port",
                "username",
                "password",
                "connection",
                "name",
                "database",
            ]),
            // The catalogue's (`Sources::resource_types`), checked by the translator.
            ResourceType::Managed(ManagedType::Platform(_)) => None,
        }
    }

    /// The names of every type, sorted, for diagnostics.
    pub fn known() -> Vec<String> {
        let mut names: Vec<String> = Self::NAMES.iter().map(|(n, _)| (*n).to_string()).collect();
        names.sort();
        names
    }
}
