//! Managed resources in the plan: for each tenant, environment and region, the composite
//! resources to create (shared ones once), the outputs known when compiling, and for each
//! workload the env vars that read outputs and the Secrets Manager keys its ExternalSecret pulls.

use std::collections::BTreeMap;

use serde_json::Value as Json;

use crate::parse::{OutputSource, ProvisionMode, ResourceType};
use crate::resolve::type_template::{self, TemplateContext};
use crate::resolve::{DataType, EnvPart, ResourceUse, SecretRef, Service, ServiceInstance};
use crate::source::{FileId, Span};

/// The ConfigMap (in each cluster, in the tenant's namespace) with the outputs that are known
/// when compiling but differ by region; keys are `<resource>.<output>`.
pub const OUTPUTS_CONFIG_MAP: &str = "pave-resource-outputs";

/// The managed resources of one tenant and environment in one region (one cluster).
#[derive(Debug, Clone, Hash)]
pub struct RegionalResources {
    pub region: String,
    /// The cluster's name, `<environment>-<region>`.
    pub cluster: String,
    /// Sorted by name.
    pub resources: Vec<PlannedResource>,
    /// The data of [`OUTPUTS_CONFIG_MAP`]: regional outputs, by `<resource>.<output>`.
    pub outputs: BTreeMap<String, String>,
}

/// One composite resource (or claim) in a tenant's namespace, in one cluster.
#[derive(Debug, Clone)]
pub struct PlannedResource {
    /// Its name in the namespace: the request's `id`, or `<service>-<request>`.
    pub name: String,
    pub resource_type: ResourceType,
    pub class: String,
    /// Every parameter of its type, decided for this region.
    pub params: BTreeMap<String, Json>,
    pub region: String,
    /// The name of the AWS resource (RDS identifier, replication group id, bucket, queue).
    pub external_name: String,
    /// Secrets Manager names of its secret outputs are `<secret_prefix>/<output>`.
    pub secret_prefix: String,
    /// Static outputs the composition needs (database name, user name, port).
    pub database: Option<DatabaseSettings>,
    /// The ARN of a queue's dead-letter queue.
    pub dead_letter_queue_arn: Option<String>,
    /// A data-defined `crossplane` type's composite: its `apiVersion` and `kind` (from the XRD
    /// the type ships).
    pub composite: Option<(String, String)>,
    /// A data-defined `kubernetes` type's objects, filled in for this resource and region.
    pub objects: Vec<Json>,
    /// The services that use it, sorted.
    pub consumers: Vec<String>,
    pub labels: BTreeMap<String, String>,
    /// The Service spec of its first consumer.
    pub source: FileId,
    /// The request in that spec (its key in `spec.requires`), and for each parameter the node
    /// that decided it (the class, a rule of it, the request), for diagnostics about the
    /// generated resource.
    pub request_span: Span,
    pub param_spans: BTreeMap<String, Span>,
}

// serde_json's `Value` has no `Hash`; for the reuse fingerprint a parameter's JSON text stands
// for it (the text emit writes). Every field is named, so a new one cannot be left out.
impl std::hash::Hash for PlannedResource {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        let PlannedResource {
            name,
            resource_type,
            class,
            params,
            region,
            external_name,
            secret_prefix,
            database,
            dead_letter_queue_arn,
            composite,
            objects,
            consumers,
            labels,
            source,
            // Where the request and its parameters were written: for diagnostics only.
            request_span: _,
            param_spans: _,
        } = self;
        name.hash(state);
        resource_type.hash(state);
        class.hash(state);
        params.len().hash(state);
        for (key, value) in params {
            key.hash(state);
            value.to_string().hash(state);
        }
        region.hash(state);
        external_name.hash(state);
        secret_prefix.hash(state);
        database.hash(state);
        dead_letter_queue_arn.hash(state);
        composite.hash(state);
        objects.len().hash(state);
        for object in objects {
            object.to_string().hash(state);
        }
        consumers.hash(state);
        labels.hash(state);
        source.hash(state);
    }
}

/// The fixed outputs of a database or cache.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct DatabaseSettings {
    pub database_name: String,
    pub username: String,
    pub port: u16,
}

/// An env var of a container's `env` list.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PlannedEnvVar {
    pub name: String,
    pub source: EnvVarSource,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum EnvVarSource {
    /// A literal, with `$(NAME)` references to earlier vars (and `$$` for a literal `$`).
    Value(String),
    /// A key of the workload's ExternalSecret target.
    Secret { secret: String, key: String },
    /// A key of [`OUTPUTS_CONFIG_MAP`].
    ConfigMap { name: String, key: String },
}

/// The ExternalSecret of a workload: each key of its target Secret, read from Secrets Manager.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PlannedExternalSecret {
    /// The ExternalSecret's name and its target Secret's.
    pub name: String,
    /// Sorted by key.
    pub data: Vec<ExternalSecretKey>,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ExternalSecretKey {
    /// The key in the target Secret.
    pub key: String,
    /// The Secrets Manager secret name.
    pub remote: String,
    pub property: Option<String>,
}

/// What a workload reads from resources and secrets.
#[derive(Debug, Clone, Default)]
pub(super) struct WorkloadWiring {
    /// Env values that turned out to be literals (static outputs only).
    pub literal_env: BTreeMap<String, String>,
    pub env: Vec<PlannedEnvVar>,
    pub external_secret: Option<PlannedExternalSecret>,
}

/// Names of the resources and the Secrets Manager prefix of one tenant and environment.
pub(super) struct UnitNames<'a> {
    pub platform: &'a str,
    pub namespace: &'a str,
}

/// The name of a resource in the namespace.
pub fn resource_name(service: &str, resource: &ResourceUse) -> String {
    resource.resource_name(service)
}

/// The Secrets Manager name prefix of a resource's secret outputs.
pub(super) fn secret_prefix(names: &UnitNames<'_>, resource: &str) -> String {
    format!("{}/{}/{resource}", names.platform, names.namespace)
}

/// The AWS name of a resource: `<namespace>-<resource>` (plus the region and platform for a
/// bucket, whose names are global), cut to `max` with a hash of the whole when longer.
pub(super) fn external_name(
    names: &UnitNames<'_>,
    resource_type: ResourceType,
    resource: &str,
    region: &str,
) -> String {
    let (full, max) = match resource_type {
        ResourceType::Postgres | ResourceType::Mysql => {
            (format!("{}-{resource}", names.namespace), 63)
        }
        ResourceType::Redis => (format!("{}-{resource}", names.namespace), 40),
        ResourceType::S3Bucket => (
            format!("{}-{}-{resource}-{region}", names.platform, names.namespace),
            63,
        ),
        ResourceType::SqsQueue => (format!("{}-{resource}", names.namespace), 80),
        // Atlas keeps 23 characters of a cluster's name in its host names.
        ResourceType::Mongodb => (format!("{}-{resource}", names.namespace), 23),
        ResourceType::Platform(_) => (format!("{}-{resource}", names.namespace), 63),
    };
    shorten(&full, max)
}

fn shorten(name: &str, max: usize) -> String {
    if name.len() <= max {
        return name.to_string();
    }
    let hash = fnv1a(name);
    let keep = max.saturating_sub(9);
    let head: String = name.chars().take(keep).collect();
    format!("{}-{hash:08x}", head.trim_end_matches('-'))
}

fn fnv1a(text: &str) -> u32 {
    let mut hash: u32 = 0x811c_9dc5;
    for byte in text.bytes() {
        hash ^= u32::from(byte);
        hash = hash.wrapping_mul(0x0100_0193);
    }
    hash
}

/// The fixed outputs of databases and caches.
pub(super) fn database_settings(
    resource_type: ResourceType,
    resource: &str,
) -> Option<DatabaseSettings> {
    let database_name = {
        let name = resource.replace('-', "_");
        if name.starts_with(|c: char| c.is_ascii_alphabetic()) {
            name
        } else {
            format!("db_{name}")
        }
    };
    let port = match resource_type {
        ResourceType::Postgres => 5432,
        ResourceType::Mysql => 3306,
        ResourceType::Redis => 6379,
        ResourceType::Mongodb => 27017,
        ResourceType::S3Bucket | ResourceType::SqsQueue | ResourceType::Platform(_) => {
            return None;
        }
    };
    Some(DatabaseSettings {
        database_name,
        username: "app".into(),
        port,
    })
}

/// The value of an output known when compiling; `None` for secret outputs.
pub(super) fn known_output(
    resource: &PlannedResource,
    output: &str,
    account_id: &str,
) -> Option<String> {
    let db = resource.database.as_ref();
    let region = &resource.region;
    let name = &resource.external_name;
    match (resource.resource_type, output) {
        (_, "port") => db.map(|d| d.port.to_string()),
        (ResourceType::Postgres | ResourceType::Mysql | ResourceType::Mongodb, "name") => {
            db.map(|d| d.database_name.clone())
        }
        (_, "username") => db.map(|d| d.username.clone()),
        (ResourceType::S3Bucket | ResourceType::SqsQueue, "name") => Some(name.clone()),
        (_, "region") => Some(region.clone()),
        (ResourceType::S3Bucket, "arn") => Some(format!("arn:aws:s3:::{name}")),
        (ResourceType::SqsQueue, "arn") => {
            Some(format!("arn:aws:sqs:{region}:{account_id}:{name}"))
        }
        (ResourceType::SqsQueue, "url") => Some(format!(
            "https://sqs.{region}.amazonaws.com/{account_id}/{name}"
        )),
        _ => None,
    }
}

/// How a data-defined type's output reaches a workload in one environment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum DataOutput {
    /// The same text in every region.
    Text(String),
    /// Different in each region: a key of [`OUTPUTS_CONFIG_MAP`], by region.
    Regional(BTreeMap<String, String>),
    /// A Secrets Manager secret (and JSON key), read through the ExternalSecret.
    Secret {
        remote: String,
        property: Option<String>,
    },
}

/// What a data-defined type's templates are filled with, for one resource in `region`.
pub(super) fn template_context<'a>(
    resource_use: &'a ResourceUse,
    resource: &'a str,
    region: &'a str,
    names: &'a UnitNames<'_>,
) -> Option<TemplateContext<'a>> {
    let decided = resource_use.regions.get(region)?;
    Some(TemplateContext {
        resource,
        class: &resource_use.class,
        params: &decided.params,
        environment: &resource_use.environment,
        environment_type: resource_use.tier.as_str(),
        region,
        tenant: &resource_use.tenant,
        namespace: names.namespace,
        platform: names.platform,
    })
}

/// The template of an output in `region`: its `value`, or (`external`) the value of the most
/// specific matching entry.
fn output_template<'d>(
    data: &'d DataType,
    resource_use: &ResourceUse,
    output: &str,
    region: &str,
) -> Option<&'d str> {
    if let Some(external) = &data.spec.external {
        let mut matching: Vec<(u32, usize, &str)> = external
            .values
            .iter()
            .enumerate()
            .filter(|(_, entry)| {
                entry.matches.holds(
                    resource_use.tier,
                    &resource_use.environment,
                    region,
                    &resource_use.tenant,
                )
            })
            .filter_map(|(i, entry)| {
                let value = entry.values.get(output)?;
                Some((entry.matches.specificity(), i, value.as_str()))
            })
            .collect();
        matching.sort();
        return matching.last().map(|(_, _, v)| *v);
    }
    data.output(output)?.value.as_deref()
}

/// A data-defined type's output for a workload of the environment.
pub(super) fn data_output(
    data: &DataType,
    resource_use: &ResourceUse,
    resource: &str,
    output: &str,
    names: &UnitNames<'_>,
) -> DataOutput {
    let secret = data.output(output).is_some_and(|o| o.secret);
    let mut values: BTreeMap<String, String> = BTreeMap::new();
    for region in resource_use.regions.keys() {
        let (Some(ctx), Some(template)) = (
            template_context(resource_use, resource, region, names),
            output_template(data, resource_use, output, region),
        ) else {
            continue;
        };
        values.insert(region.clone(), type_template::render_text(template, &ctx));
    }
    if secret {
        // Written by the Composition, or by the cluster's root module (`terraform` types).
        if matches!(
            data.mode(),
            ProvisionMode::Crossplane | ProvisionMode::Terraform
        ) {
            return DataOutput::Secret {
                remote: format!("{}/{output}", secret_prefix(names, resource)),
                property: None,
            };
        }
        // Each region's ClusterSecretStore reads the same name in its own region.
        let name = values.into_values().next().unwrap_or_default();
        let (remote, property) = match name.split_once('#') {
            Some((remote, property)) => (remote.to_string(), Some(property.to_string())),
            None => (name, None),
        };
        return DataOutput::Secret { remote, property };
    }
    let mut distinct = values.values();
    match distinct.next() {
        Some(first) if values.values().all(|v| v == first) => DataOutput::Text(first.clone()),
        Some(_) => DataOutput::Regional(values),
        None => DataOutput::Text(String::new()),
    }
}

/// Each output of a data-defined type whose value joins other outputs in (`${outputs.NAME}`),
/// as its text and those outputs, each then read as it is read alone (a secret one through the
/// ExternalSecret, the kubelet joining the pieces with `$(VAR)`). The text around them is filled
/// for the environment's first region.
fn expand_joined_outputs(
    parts: &[EnvPart],
    uses: &BTreeMap<&str, &ResourceUse>,
    service: &str,
    names: &UnitNames<'_>,
) -> Vec<EnvPart> {
    let mut out = Vec::new();
    for part in parts {
        if let EnvPart::Output { resource, output } = part
            && let Some(resource_use) = uses.get(resource.as_str())
            && let Some(data) = &resource_use.data
            && let Some(template) = data.output(output).and_then(|o| o.value.as_deref())
            && !type_template::output_references(template).is_empty()
        {
            let xr = resource_name(service, resource_use);
            let ctx = resource_use
                .regions
                .keys()
                .next()
                .and_then(|region| template_context(resource_use, &xr, region, names));
            if let Some(ctx) = ctx {
                for piece in type_template::render_with_outputs(template, &ctx) {
                    out.push(match piece {
                        type_template::Rendered::Text(text) => EnvPart::Text(text),
                        type_template::Rendered::Output(other) => EnvPart::Output {
                            resource: resource.clone(),
                            output: other,
                        },
                    });
                }
                continue;
            }
        }
        out.push(part.clone());
    }
    out
}

/// A data-defined `kubernetes` type's objects for one resource in `region`.
pub(super) fn data_objects(
    data: &DataType,
    resource_use: &ResourceUse,
    resource: &str,
    region: &str,
    names: &UnitNames<'_>,
) -> Vec<Json> {
    let (Some(kubernetes), Some(ctx)) = (
        &data.spec.kubernetes,
        template_context(resource_use, resource, region, names),
    ) else {
        return Vec::new();
    };
    kubernetes
        .objects
        .iter()
        .map(|object| type_template::render_json(object, &ctx))
        .collect()
}

/// The env list and ExternalSecret of a workload: resource outputs by source (literal when
/// static, the outputs ConfigMap when regional, the ExternalSecret when secret), and the
/// service's own secrets.
pub(super) fn wiring(
    service: &Service,
    instance: &ServiceInstance,
    names: &UnitNames<'_>,
) -> WorkloadWiring {
    let mut wiring = WorkloadWiring::default();
    let secret_name = format!("{}-secrets", service.name());
    let mut data: BTreeMap<String, ExternalSecretKey> = BTreeMap::new();
    let uses: BTreeMap<&str, &ResourceUse> = instance
        .requires
        .iter()
        .map(|u| (u.name.as_str(), u))
        .collect();
    // Helper vars hold one output each; a value mixing text and outputs refers to them with
    // `$(NAME)`, which the kubelet expands (they come first in the list).
    let mut helpers: BTreeMap<String, EnvVarSource> = BTreeMap::new();
    let mut composed: Vec<PlannedEnvVar> = Vec::new();
    for (var, parts) in &instance.resource_env {
        let parts = &expand_joined_outputs(parts, &uses, service.name(), names);
        let mut literal = String::new();
        let mut k8s_value = String::new();
        let mut sources: Vec<EnvVarSource> = Vec::new();
        for part in parts {
            match part {
                EnvPart::Text(text) => {
                    literal.push_str(text);
                    k8s_value.push_str(&text.replace('$', "$$"));
                }
                EnvPart::Output { resource, output } => {
                    let Some(resource_use) = uses.get(resource.as_str()) else {
                        continue;
                    };
                    let resource_type = resource_use.resource_type;
                    let xr = resource_name(service.name(), resource_use);
                    let data_source = resource_use
                        .data
                        .as_ref()
                        .map(|data| data_output(data, resource_use, &xr, output, names));
                    let source = match data_source {
                        Some(DataOutput::Text(value)) => {
                            literal.push_str(&value);
                            k8s_value.push_str(&value.replace('$', "$$"));
                            continue;
                        }
                        Some(DataOutput::Regional(_)) => EnvVarSource::ConfigMap {
                            name: OUTPUTS_CONFIG_MAP.into(),
                            key: format!("{xr}.{output}"),
                        },
                        Some(DataOutput::Secret { remote, property }) => {
                            let key = format!("{xr}.{output}");
                            data.insert(
                                key.clone(),
                                ExternalSecretKey {
                                    key: key.clone(),
                                    remote,
                                    property,
                                },
                            );
                            EnvVarSource::Secret {
                                secret: secret_name.clone(),
                                key,
                            }
                        }
                        None => match resource_type.output(output) {
                            Some(OutputSource::Static) => {
                                let value = static_output(resource_type, &xr, output);
                                literal.push_str(&value);
                                k8s_value.push_str(&value.replace('$', "$$"));
                                continue;
                            }
                            Some(OutputSource::Regional) => EnvVarSource::ConfigMap {
                                name: OUTPUTS_CONFIG_MAP.into(),
                                key: format!("{xr}.{output}"),
                            },
                            Some(OutputSource::Secret) | None => {
                                let key = format!("{xr}.{output}");
                                data.insert(
                                    key.clone(),
                                    ExternalSecretKey {
                                        key: key.clone(),
                                        remote: format!("{}/{output}", secret_prefix(names, &xr)),
                                        property: None,
                                    },
                                );
                                EnvVarSource::Secret {
                                    secret: secret_name.clone(),
                                    key,
                                }
                            }
                        },
                    };
                    let helper = helper_name(&resource_use.name, output);
                    k8s_value.push_str(&format!("$({helper})"));
                    literal.clear();
                    sources.push(source.clone());
                    helpers.insert(helper, source);
                }
            }
        }
        match (parts.len(), sources.len()) {
            (_, 0) => {
                wiring.literal_env.insert(var.clone(), literal);
            }
            (1, 1) => {
                if let Some(source) = sources.pop() {
                    composed.push(PlannedEnvVar {
                        name: var.clone(),
                        source,
                    });
                }
            }
            _ => composed.push(PlannedEnvVar {
                name: var.clone(),
                source: EnvVarSource::Value(k8s_value),
            }),
        }
    }
    // Helpers only where a composed value needs them.
    let needed: Vec<&String> = helpers
        .keys()
        .filter(|h| {
            composed.iter().any(|v| {
                matches!(&v.source, EnvVarSource::Value(text) if text.contains(&format!("$({h})")))
            })
        })
        .collect();
    for helper in needed {
        if let Some(source) = helpers.get(helper) {
            wiring.env.push(PlannedEnvVar {
                name: helper.clone(),
                source: source.clone(),
            });
        }
    }
    wiring.env.extend(composed);
    for (var, SecretRef { name, property }) in &instance.secrets {
        data.insert(
            var.clone(),
            ExternalSecretKey {
                key: var.clone(),
                remote: name.clone(),
                property: property.clone(),
            },
        );
        wiring.env.push(PlannedEnvVar {
            name: var.clone(),
            source: EnvVarSource::Secret {
                secret: secret_name.clone(),
                key: var.clone(),
            },
        });
    }
    wiring.env.sort_by(|a, b| {
        let helper = |v: &PlannedEnvVar| !v.name.starts_with("PAVE_");
        (helper(a), &a.name).cmp(&(helper(b), &b.name))
    });
    if !data.is_empty() {
        wiring.external_secret = Some(PlannedExternalSecret {
            name: secret_name,
            data: data.into_values().collect(),
        });
    }
    wiring
}

/// `PAVE_<REQUEST>_<OUTPUT>`: the helper var of one output.
fn helper_name(request: &str, output: &str) -> String {
    format!("PAVE_{request}_{output}")
        .to_uppercase()
        .replace('-', "_")
}

/// A static output's value (the same in every region).
fn static_output(resource_type: ResourceType, resource: &str, output: &str) -> String {
    let db = database_settings(resource_type, resource);
    match output {
        "port" => db.map(|d| d.port.to_string()).unwrap_or_default(),
        "name" => db.map(|d| d.database_name).unwrap_or_default(),
        "username" => db.map(|d| d.username).unwrap_or_default(),
        _ => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names() -> UnitNames<'static> {
        UnitNames {
            platform: "acme",
            namespace: "payments-prod",
        }
    }

    #[test]
    fn aws_names_fit_their_limits_and_stay_unique() {
        let short = external_name(&names(), ResourceType::Postgres, "orders-db", "us-east-1");
        assert_eq!(short, "payments-prod-orders-db");
        let cache = external_name(
            &names(),
            ResourceType::Redis,
            "order-service-sessions",
            "us-east-1",
        );
        assert!(cache.len() <= 40, "{cache}");
        let other = external_name(
            &names(),
            ResourceType::Redis,
            "order-service-sessionz",
            "us-east-1",
        );
        assert_ne!(cache, other);
        let bucket = external_name(&names(), ResourceType::S3Bucket, "uploads", "eu-west-1");
        assert_eq!(bucket, "acme-payments-prod-uploads-eu-west-1");
    }

    #[test]
    fn helper_vars_are_valid_env_names() {
        assert_eq!(
            helper_name("partner-files", "name"),
            "PAVE_PARTNER_FILES_NAME"
        );
    }

    #[test]
    fn database_names_start_with_a_letter() {
        let db = database_settings(ResourceType::Postgres, "2fa-db").map(|d| d.database_name);
        assert_eq!(db.as_deref(), Some("db_2fa_db"));
        assert_eq!(database_settings(ResourceType::S3Bucket, "files"), None);
    }
}
