//! Managed resources a service asks for (`spec.requires`), and the classes of the resource
//! catalogue with their per-environment rules (in a `ResourceType` spec, or a Platform
//! `spec.resourceClasses` entry).

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::Value as Json;

use super::environment::Tier;

/// What kind of managed resource, by name. Every type is a `ResourceType` spec (stdlib's in
/// `stdlib/resources/`, or the platform's); the named variants are stdlib's six original types,
/// which Score workloads also name: for them Rust keeps only Score's output aliases
/// (`resolve::score::managed_output`, `parse::score::resource_type`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ResourceType {
    Postgres,
    Mysql,
    Redis,
    S3Bucket,
    SqsQueue,
    /// MongoDB Atlas, through the Atlas provider.
    Mongodb,
    /// A type of the catalogue's data (a `ResourceType` spec of the platform or of
    /// `stdlib/resources/`), by its interned name. Whether it exists is for `resolve` to say.
    Platform(&'static str),
}

impl<'de> Deserialize<'de> for ResourceType {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let name = String::deserialize(deserializer)?;
        Ok(ResourceType::named(&name))
    }
}

/// The names of the data-defined types this process has seen, each allocated once: a type is
/// `Copy` like the built-in ones, and a process sees few distinct names (a long-running
/// `pave lsp` adds one per name ever typed, a few bytes each).
static TYPE_NAMES: std::sync::LazyLock<std::sync::Mutex<std::collections::BTreeSet<&'static str>>> =
    std::sync::LazyLock::new(Default::default);

fn intern(name: &str) -> &'static str {
    let mut names = TYPE_NAMES
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    if let Some(found) = names.get(name) {
        return found;
    }
    let leaked: &'static str = Box::leak(name.to_string().into_boxed_str());
    names.insert(leaked);
    leaked
}

/// One output of a resource type, and how a workload gets it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutputSource {
    /// Known when compiling, the same in every cluster of the environment.
    Static,
    /// Known when compiling, different in each region (a bucket name).
    Regional,
    /// Known only once the resource exists (a host, a generated password): read from AWS Secrets
    /// Manager through External Secrets.
    Secret,
}

impl ResourceType {
    pub const ALL: [ResourceType; 6] = [
        ResourceType::Postgres,
        ResourceType::Mysql,
        ResourceType::Redis,
        ResourceType::S3Bucket,
        ResourceType::SqsQueue,
        ResourceType::Mongodb,
    ];

    /// The name used in specs and in `stdlib/resources/<name>.yaml`.
    pub fn as_str(self) -> &'static str {
        match self {
            ResourceType::Postgres => "postgres",
            ResourceType::Mysql => "mysql",
            ResourceType::Redis => "redis",
            ResourceType::S3Bucket => "s3-bucket",
            ResourceType::SqsQueue => "sqs-queue",
            ResourceType::Mongodb => "mongodb",
            ResourceType::Platform(name) => name,
        }
    }

    /// One of stdlib's six original types by name.
    pub fn from_name(name: &str) -> Option<ResourceType> {
        ResourceType::ALL.into_iter().find(|t| t.as_str() == name)
    }

    /// The type a spec names.
    pub fn named(name: &str) -> ResourceType {
        ResourceType::from_name(name).unwrap_or_else(|| ResourceType::Platform(intern(name)))
    }
}

/// One entry of `spec.requires`: a resource the service uses, by the name placeholders use.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ResourceRequest {
    #[serde(rename = "type")]
    pub resource_type: ResourceType,
    /// Default: the type's `defaultClass`.
    pub class: Option<String>,
    /// Requests of the same type, class and id in a tenant's environment share one resource.
    pub id: Option<String>,
    /// Parameters over the class's, each one the type accepts.
    #[serde(default)]
    pub params: BTreeMap<String, Json>,
}

/// `requires.<name>` in a per-environment override: a class or parameters for that environment.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ResourceRequestOverride {
    pub class: Option<String>,
    #[serde(default)]
    pub params: BTreeMap<String, Json>,
}

/// A class of a type: its parameters, and rules that change them where they match.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ResourceClass {
    #[serde(default)]
    pub description: Option<String>,
    /// Every parameter of the type.
    pub params: BTreeMap<String, Json>,
    #[serde(default)]
    pub rules: Vec<ClassRule>,
}

/// Where a rule applies and what it changes. A rule with `available: false` says the class has
/// no provisioner where it matches.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ClassRule {
    #[serde(rename = "match")]
    pub matches: RuleMatch,
    #[serde(default)]
    pub params: BTreeMap<String, Json>,
    pub available: Option<bool>,
}

/// The conditions of a rule; every one given must hold.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RuleMatch {
    pub environment_type: Option<Tier>,
    pub environment: Option<String>,
    pub region: Option<String>,
    pub tenant: Option<String>,
}

impl RuleMatch {
    /// How specific the rule is: a tenant beats an environment, which beats a region, which
    /// beats an environment type; more conditions beat fewer of the same weight.
    pub fn specificity(&self) -> u32 {
        u32::from(self.tenant.is_some()) * 8
            + u32::from(self.environment.is_some()) * 4
            + u32::from(self.region.is_some()) * 2
            + u32::from(self.environment_type.is_some())
    }

    pub fn holds(&self, tier: Tier, environment: &str, region: &str, tenant: &str) -> bool {
        self.environment_type.is_none_or(|t| t == tier)
            && self.environment.as_deref().is_none_or(|e| e == environment)
            && self.region.as_deref().is_none_or(|r| r == region)
            && self.tenant.as_deref().is_none_or(|t| t == tenant)
    }

    /// `environmentType=production, region=us-east-1`, for explanations.
    pub fn describe(&self) -> String {
        let mut parts = Vec::new();
        if let Some(t) = &self.tenant {
            parts.push(format!("tenant={t}"));
        }
        if let Some(e) = &self.environment {
            parts.push(format!("environment={e}"));
        }
        if let Some(r) = &self.region {
            parts.push(format!("region={r}"));
        }
        if let Some(t) = self.environment_type {
            parts.push(format!("environmentType={}", t.as_str()));
        }
        if parts.is_empty() {
            "everywhere".into()
        } else {
            parts.join(", ")
        }
    }
}

/// A Platform `spec.resourceClasses.<type>` entry: classes that replace or add to stdlib's.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PlatformResourceClasses {
    pub default_class: Option<String>,
    #[serde(default)]
    pub classes: BTreeMap<String, ResourceClass>,
}
