//! Managed resources in the plan: for each tenant, environment and region, the composite
//! resources to create (shared ones once), the outputs known when compiling, and for each
//! workload the env vars that read outputs and the Secrets Manager keys its ExternalSecret pulls.

use std::collections::BTreeMap;

use serde_json::Value as Json;

use crate::parse::{ProvisionMode, ResourceType};
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
    /// A data-defined `crossplane` type's composite: its `apiVersion` and `kind` (from the XRD
    /// the type ships).
    pub composite: Option<(String, String)>,
    /// The type's `compositeSpec` filled for this resource and region: more fields of the
    /// composite's `spec`.
    pub composite_spec: serde_json::Map<String, Json>,
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
            composite,
            composite_spec,
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
        composite.hash(state);
        Json::Object(composite_spec.clone()).to_string().hash(state);
        objects.len().hash(state);
        for object in objects {
            object.to_string().hash(state);
        }
        consumers.hash(state);
        labels.hash(state);
        source.hash(state);
    }
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
    /// The environment's AWS account ID.
    pub account: &'a str,
}

/// The name of a resource in the namespace.
pub fn resource_name(service: &str, resource: &ResourceUse) -> String {
    resource.resource_name(service)
}

/// The Secrets Manager name prefix of a resource's secret outputs.
pub(super) fn secret_prefix(names: &UnitNames<'_>, resource: &str) -> String {
    format!("{}/{}/{resource}", names.platform, names.namespace)
}

/// The AWS name of a requested resource (`${resource.externalName}`, a `crossplane` type's
/// `spec.externalName`): its type's `externalName.value` (by default `<namespace>-<resource>`),
/// cut to `externalName.maxLength` (63) with a hash of the whole when longer.
pub(super) fn resource_external_name(
    names: &UnitNames<'_>,
    resource_use: &ResourceUse,
    resource: &str,
    region: &str,
) -> String {
    let rule = resource_use
        .data
        .spec
        .crossplane
        .as_ref()
        .map(|crossplane| &crossplane.external_name);
    let template = rule.and_then(|r| r.value.as_ref());
    let full = match (
        template,
        base_context(resource_use, resource, region, names),
    ) {
        (Some(template), Some(ctx)) => type_template::render_text(template, &ctx),
        _ => format!("{}-{resource}", names.namespace),
    };
    shorten(&full, rule.and_then(|r| r.max_length).unwrap_or(63))
}

/// A `crossplane` type's `compositeSpec`, filled for one resource in `region`.
pub(super) fn composite_spec(
    resource_use: &ResourceUse,
    resource: &str,
    region: &str,
    names: &UnitNames<'_>,
) -> serde_json::Map<String, Json> {
    let (Some(crossplane), Some(ctx)) = (
        resource_use.data.spec.crossplane.as_ref(),
        template_context(resource_use, resource, region, names),
    ) else {
        return serde_json::Map::new();
    };
    match type_template::render_json(&Json::Object(crossplane.composite_spec.clone()), &ctx) {
        Json::Object(fields) => fields,
        _ => serde_json::Map::new(),
    }
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
    let mut ctx = base_context(resource_use, resource, region, names)?;
    ctx.external_name = resource_external_name(names, resource_use, resource, region);
    Some(ctx)
}

/// The same without the external name (which its own template may not name).
fn base_context<'a>(
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
        account: names.account,
        partition: super::foundation::partition(region),
        external_name: String::new(),
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
    // `regional: true`: read from the outputs ConfigMap of each cluster even where every
    // region's value is the same (a bucket's name has its region in it).
    let regional = data.output(output).is_some_and(|o| o.regional);
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
    if regional {
        return DataOutput::Regional(values);
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
            && let Some(template) = resource_use
                .data
                .output(output)
                .and_then(|o| o.value.as_deref())
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
                    let xr = resource_name(service.name(), resource_use);
                    let source =
                        match data_output(&resource_use.data, resource_use, &xr, output, names) {
                            DataOutput::Text(value) => {
                                literal.push_str(&value);
                                k8s_value.push_str(&value.replace('$', "$$"));
                                continue;
                            }
                            DataOutput::Regional(_) => EnvVarSource::ConfigMap {
                                name: OUTPUTS_CONFIG_MAP.into(),
                                key: format!("{xr}.{output}"),
                            },
                            DataOutput::Secret { remote, property } => {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_aws_names_are_cut_to_their_limit_and_stay_unique() {
        assert_eq!(
            shorten("payments-prod-orders-db", 63),
            "payments-prod-orders-db"
        );
        // ElastiCache's 40 characters (stdlib's redis: `externalName.maxLength`).
        let cache = shorten("payments-prod-order-service-sessions-cache", 40);
        assert!(cache.len() <= 40, "{cache}");
        let other = shorten("payments-prod-order-service-sessionz-cache", 40);
        assert_ne!(cache, other);
    }

    #[test]
    fn helper_vars_are_valid_env_names() {
        assert_eq!(
            helper_name("partner-files", "name"),
            "PAVE_PARTNER_FILES_NAME"
        );
    }
}
