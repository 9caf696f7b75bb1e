//! Managed resources: the catalogue (stdlib's types and classes, the Platform's classes over
//! them), each request's class and parameters per environment and region (the matching rules of
//! its class, most specific last), and env placeholders (`${resources.NAME.OUTPUT}`,
//! `${metadata.name}`, `$$`).

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value as Json;

use super::type_template::{self, Known};
use crate::diagnostic::{Diagnostic, DiagnosticKind, RefKind};
use crate::parse::{
    Document, OutputDefinition, OutputSource, Parsed, PlatformSpec, ProvisionMode, ResourceClass,
    ResourceRequest, ResourceRequestOverride, ResourceType, ResourceTypeSpec, Tier,
};
use crate::source::{FileId, Span};

use super::dependency::{OutputProblem, SERVICE_OUTPUTS, Target};
use super::score::PortTable;

/// The resource catalogue, by type.
#[derive(Debug, Clone, Default)]
pub struct ResourceCatalogue {
    pub types: BTreeMap<ResourceType, CatalogueType>,
    /// Types whose definition was rejected (reported there): a request naming one is not
    /// reported again as an unknown type.
    pub rejected: BTreeSet<ResourceType>,
}

/// One type of the catalogue.
#[derive(Debug, Clone)]
pub struct CatalogueType {
    pub description: String,
    pub default_class: String,
    pub classes: BTreeMap<String, CatalogueClass>,
    /// Its `ResourceType` spec.
    pub data: std::sync::Arc<DataType>,
}

/// A type defined by a `ResourceType` spec (the platform's or stdlib's).
#[derive(Debug, Clone)]
pub struct DataType {
    pub name: String,
    pub spec: ResourceTypeSpec,
    /// The file of the spec.
    pub file: FileId,
    /// The span of `metadata.name`.
    pub span: Span,
}

/// The EnvironmentConfig with a cluster's network placement of databases and caches:
/// `dbSubnetGroupName`, `cacheSubnetGroupName`, `securityGroupIds`, `dataSubnetIds`, in each
/// cluster's folder (`emit::crossplane::environment`), filled from what the cluster's Terraform
/// created; a `crossplane` type with `networkPort` reads it.
pub const NETWORK_ENVIRONMENT_CONFIG: &str = "pave-network";

/// The EnvironmentConfig with the Atlas project MongoDB clusters are created in: `projectId`,
/// from the Environment's `spec.atlas`, in each cluster's folder with the Atlas provider's
/// config. A `crossplane` type whose Composition reads it needs the Environment's `spec.atlas`.
pub const ATLAS_ENVIRONMENT_CONFIG: &str = "pave-atlas";

impl DataType {
    pub fn mode(&self) -> ProvisionMode {
        self.spec.mode()
    }

    /// Whether its Compositions (v2 or claims) load the EnvironmentConfig `name`
    /// (function-environment-configs' `Reference` by name).
    pub fn reads_environment_config(&self, name: &str) -> bool {
        let Some(crossplane) = &self.spec.crossplane else {
            return false;
        };
        let claims = crossplane.claims.as_ref().map(|c| &c.composition);
        [Some(&crossplane.composition), claims]
            .into_iter()
            .flatten()
            .filter_map(|c| c.pointer("/spec/pipeline").and_then(Json::as_array))
            .flatten()
            .filter_map(|step| {
                step.pointer("/input/spec/environmentConfigs")
                    .and_then(Json::as_array)
            })
            .flatten()
            .any(|config| config.pointer("/ref/name").and_then(Json::as_str) == Some(name))
    }

    /// The parameters the schema names (`properties`), sorted.
    pub fn param_names(&self) -> Vec<String> {
        self.spec
            .params
            .as_ref()
            .and_then(|s| s.get("properties"))
            .and_then(Json::as_object)
            .map(|p| p.keys().cloned().collect())
            .unwrap_or_default()
    }

    pub fn output(&self, name: &str) -> Option<&OutputDefinition> {
        self.spec.outputs.iter().find(|o| o.name == name)
    }

    /// How an output reaches a workload; `None` when the type has no such output.
    pub fn output_source(&self, name: &str) -> Option<OutputSource> {
        self.output(name).map(|o| match (o.secret, o.regional) {
            (true, _) => OutputSource::Secret,
            (false, true) => OutputSource::Regional,
            (false, false) => OutputSource::Static,
        })
    }

    /// The schema of the parameters (an open object when the type declares none).
    pub fn schema(&self) -> Json {
        self.spec
            .params
            .clone()
            .unwrap_or_else(|| serde_json::json!({"type": "object"}))
    }
}

impl ResourceCatalogue {
    /// The outputs a type has, in declaration order.
    pub fn output_names(&self, resource_type: ResourceType) -> Vec<String> {
        self.types
            .get(&resource_type)
            .map(|t| t.data.spec.outputs.iter().map(|o| o.name.clone()).collect())
            .unwrap_or_default()
    }

    /// How an output reaches a workload; `None` when the type has no such output.
    pub fn output_source(&self, resource_type: ResourceType, output: &str) -> Option<OutputSource> {
        self.types
            .get(&resource_type)
            .and_then(|t| t.data.output_source(output))
    }
}

/// A class and where it is defined.
#[derive(Debug, Clone)]
pub struct CatalogueClass {
    pub class: ResourceClass,
    /// The file that defines it (a stdlib file or the Platform spec).
    pub file: FileId,
    /// The data path of the class in that file.
    pub path: Vec<String>,
}

/// A resource a service uses in one environment.
#[derive(Debug, Clone)]
pub struct ResourceUse {
    /// The request's name in `spec.requires`.
    pub name: String,
    pub resource_type: ResourceType,
    pub class: String,
    pub id: Option<String>,
    /// Parameters per region of the environment.
    pub regions: BTreeMap<String, DecidedParams>,
    /// The request's key in the Service spec.
    pub span: Span,
    /// What chose the class: the override's or the request's `class`, or (the type's default)
    /// the request's `type`.
    pub class_chosen_at: ClassChoice,
    /// The class's definition (in a stdlib file or the Platform spec).
    pub class_defined_at: Span,
    /// Its type's spec; the fields below say where it is used (what its templates are filled
    /// with).
    pub data: std::sync::Arc<DataType>,
    pub tenant: String,
    pub environment: String,
    pub tier: Tier,
}

/// Where a resource's class came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClassChoice {
    Override(Span),
    Request(Span),
    /// The type's `defaultClass`; the span is the request's `type`.
    Default(Span),
}

impl ResourceUse {
    /// How an output reaches a workload.
    pub fn output_source(&self, output: &str) -> Option<OutputSource> {
        self.data.output_source(output)
    }

    /// Whether it is created in the environment's Atlas project (its type's Composition reads
    /// the EnvironmentConfig `pave-atlas`, as stdlib's `mongodb` does).
    pub fn uses_atlas(&self) -> bool {
        self.data.reads_environment_config(ATLAS_ENVIRONMENT_CONFIG)
    }

    /// Whether Crossplane provides it (a `crossplane` type).
    pub fn uses_crossplane(&self) -> bool {
        self.data.mode() == ProvisionMode::Crossplane
    }

    /// Its name in the tenant's namespace: the `id`, or `<service>-<request>`.
    pub fn resource_name(&self, service: &str) -> String {
        match &self.id {
            Some(id) => id.clone(),
            None => format!("{service}-{}", self.name),
        }
    }
}

/// The parameters of a resource in one region, and what decided them.
#[derive(Debug, Clone, PartialEq)]
pub struct DecidedParams {
    pub params: BTreeMap<String, Json>,
    /// Which layer set each parameter last.
    pub decided_by: BTreeMap<String, ParamSource>,
    /// The rules of the class that matched, least specific first (the last one won).
    pub matched_rules: Vec<MatchedRule>,
}

/// A rule of a class that matched.
#[derive(Debug, Clone, PartialEq)]
pub struct MatchedRule {
    pub index: usize,
    pub description: String,
    pub specificity: u32,
    pub span: Span,
}

/// Where a parameter's value came from.
#[derive(Debug, Clone, PartialEq)]
pub enum ParamSource {
    Class,
    Rule(usize),
    Request,
    Override,
}

/// A piece of an env value with placeholders.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EnvPart {
    Text(String),
    /// `${resources.NAME.OUTPUT}`.
    Output {
        resource: String,
        output: String,
    },
}

/// A type's classes as the catalogue keeps them: each with where it is written (`spec.classes`
/// of a `ResourceType` document in `file`).
fn catalogue_classes(
    classes: &BTreeMap<String, ResourceClass>,
    file: FileId,
) -> BTreeMap<String, CatalogueClass> {
    classes
        .iter()
        .map(|(name, class)| {
            (
                name.clone(),
                CatalogueClass {
                    class: class.clone(),
                    file,
                    path: vec!["spec".into(), "classes".into(), name.clone()],
                },
            )
        })
        .collect()
}

/// Builds the catalogue from the `ResourceType` specs (stdlib's first, then the platform's) and
/// the Platform's `resourceClasses`.
pub(super) fn resource_catalogue(
    platform: &Parsed<PlatformSpec>,
    data_types: &[Parsed<ResourceTypeSpec>],
    environments: &[String],
    diagnostics: &mut Vec<Diagnostic>,
) -> ResourceCatalogue {
    let mut catalogue = ResourceCatalogue::default();
    let mut defined_at: BTreeMap<ResourceType, Span> = BTreeMap::new();
    for parsed in data_types {
        let resource_type = ResourceType::named(parsed.name());
        let name_span = parsed.doc.span(&["metadata", "name"]);
        if let Some(first) = defined_at.get(&resource_type) {
            diagnostics.push(
                Diagnostic::new(
                    DiagnosticKind::DuplicateName {
                        kind: "resource type".into(),
                        name: parsed.name().into(),
                    },
                    name_span,
                )
                .with_related(*first, "first defined here"),
            );
            continue;
        }
        defined_at.insert(resource_type, name_span);
        let data = DataType {
            name: parsed.name().to_string(),
            spec: parsed.spec.clone(),
            file: parsed.doc.file,
            span: name_span,
        };
        check_data_type(&data, &parsed.doc, environments, diagnostics);
        let classes = catalogue_classes(&data.spec.classes, parsed.doc.file);
        catalogue.types.insert(
            resource_type,
            CatalogueType {
                description: data.spec.description.clone(),
                default_class: data.spec.default_class.clone(),
                classes,
                data: std::sync::Arc::new(data),
            },
        );
    }
    let doc = &platform.doc;
    for (resource_type, over) in &platform.spec.resource_classes {
        let Some(entry) = catalogue.types.get_mut(resource_type) else {
            continue;
        };
        let type_path = ["spec", "resourceClasses", resource_type.as_str()].map(str::to_string);
        for (name, class) in &over.classes {
            let mut path: Vec<String> = type_path.to_vec();
            path.extend(["classes".to_string(), name.clone()]);
            check_data_class(&entry.data, class, doc, &path, environments, diagnostics);
            entry.classes.insert(
                name.clone(),
                CatalogueClass {
                    class: class.clone(),
                    file: doc.file,
                    path: {
                        let mut p = vec!["spec".to_string(), "resourceClasses".into()];
                        p.push(resource_type.as_str().into());
                        p.extend(["classes".to_string(), name.clone()]);
                        p
                    },
                },
            );
        }
        if let Some(default_class) = &over.default_class {
            entry.default_class = default_class.clone();
        }
    }
    for (resource_type, over) in &platform.spec.resource_classes {
        let Some(entry) = catalogue.types.get(resource_type) else {
            continue;
        };
        if let Some(default_class) = &over.default_class
            && !entry.classes.contains_key(default_class)
        {
            diagnostics.push(unknown_class(
                *resource_type,
                default_class,
                entry,
                doc.span(&[
                    "spec",
                    "resourceClasses",
                    resource_type.as_str(),
                    "defaultClass",
                ]),
            ));
        }
    }
    catalogue
}

/// The checks of a data-defined type that its schema cannot make: classes and rules against
/// the parameters' schema, rules' environments, outputs against the provisioning mode, and
/// every template's placeholders.
fn check_data_type(
    data: &DataType,
    doc: &Document,
    environments: &[String],
    diagnostics: &mut Vec<Diagnostic>,
) {
    let spec = &data.spec;
    let schema = data.schema();
    if let Err(error) = jsonschema::draft202012::new(&schema) {
        diagnostics.push(Diagnostic::new(
            DiagnosticKind::InvalidValue {
                message: format!("the parameters' schema does not compile: {error}"),
                help: Some("`params` is a JSON Schema (draft 2020-12) of an object".into()),
            },
            doc.span(&["spec", "params"]),
        ));
        return;
    }
    if !spec.classes.contains_key(&spec.default_class) {
        diagnostics.push(Diagnostic::new(
            DiagnosticKind::UnknownReference {
                kind: RefKind::ResourceClass,
                name: format!("{}/{}", data.name, spec.default_class),
                known: spec
                    .classes
                    .keys()
                    .map(|c| format!("{}/{c}", data.name))
                    .collect(),
            },
            doc.span(&["spec", "defaultClass"]),
        ));
    }
    for (name, class) in &spec.classes {
        let path = ["spec".to_string(), "classes".into(), name.clone()];
        check_data_class(data, class, doc, &path, environments, diagnostics);
    }
    let params = data.param_names();
    let addresses = spec
        .terraform
        .as_ref()
        .map(crate::parse::TerraformProvision::addresses)
        .unwrap_or_default();
    let mut seen: BTreeMap<&str, usize> = BTreeMap::new();
    let mode = spec.mode();
    for (i, output) in spec.outputs.iter().enumerate() {
        let index = i.to_string();
        let at = |field: &str| doc.span(&["spec", "outputs", index.as_str(), field]);
        if seen.insert(&output.name, i).is_some() {
            diagnostics.push(Diagnostic::new(
                DiagnosticKind::DuplicateName {
                    kind: "output".into(),
                    name: output.name.clone(),
                },
                at("name"),
            ));
        }
        let problem = match (mode, output.secret, &output.value) {
            (ProvisionMode::Terraform, true, None) => Some((
                "secret",
                "this secret output has no value",
                "give it a `value`, the Terraform expression the root module writes to Secrets Manager (for example `${terraform.aws_dynamodb_table.table.name}`)",
            )),
            (ProvisionMode::Terraform, false, None) => Some((
                "name",
                "this output has no value",
                "give it a `value` known when compiling, or make it `secret: true` with a value that names the type's Terraform attributes",
            )),
            (ProvisionMode::Terraform, true, Some(_)) => None,
            (_, true, Some(_)) => Some((
                "value",
                "a secret output has no value in the spec",
                "a secret output is read from AWS Secrets Manager; remove `value` or `secret`",
            )),
            (ProvisionMode::Crossplane, false, None) => Some((
                "name",
                "this output has no value",
                "give it a `value` template, or make it `secret: true` for the Composition to write to Secrets Manager at `<spec.secretPrefix>/<output>`",
            )),
            (ProvisionMode::Kubernetes, false, None) => Some((
                "name",
                "this output has no value",
                "give it a `value` template (for example `${resource.name}.${tenant.namespace}.svc`)",
            )),
            (ProvisionMode::Kubernetes, true, None) => Some((
                "secret",
                "a `kubernetes` type has no secret outputs",
                "nothing writes them to Secrets Manager: provide the type with `crossplane`, or with `external` naming the secret",
            )),
            (ProvisionMode::External, _, Some(_)) => Some((
                "value",
                "an `external` type's outputs take their values from `external.values`",
                "move the value to an entry of `external.values`",
            )),
            _ => None,
        };
        if let Some((field, message, help)) = problem {
            diagnostics.push(Diagnostic::new(
                DiagnosticKind::InvalidValue {
                    message: message.into(),
                    help: Some(help.into()),
                },
                at(field),
            ));
        }
        if let Some(value) = &output.value {
            let path = ["spec", "outputs", index.as_str(), "value"].map(str::to_string);
            // Other outputs it may join in: those whose own value joins none (no cycles).
            let joinable: Vec<String> = spec
                .outputs
                .iter()
                .filter(|o| o.name != output.name)
                .filter(|o| {
                    o.value
                        .as_deref()
                        .is_none_or(|v| type_template::output_references(v).is_empty())
                })
                .map(|o| o.name.clone())
                .collect();
            // A `terraform` type's secret output is a Terraform expression: it may name the
            // type's blocks (known once applied) but join no other output. Any other value is
            // known when compiling.
            let terraform_secret = mode == ProvisionMode::Terraform && output.secret;
            if mode == ProvisionMode::Terraform
                && !output.secret
                && type_template::has_terraform_reference(value)
            {
                diagnostics.push(Diagnostic::new(
                    DiagnosticKind::InvalidValue {
                        message: "this output is known only once Terraform has applied".into(),
                        help: Some(
                            "make it `secret: true`: the root module writes it to Secrets Manager and the workload reads it through its ExternalSecret; a value that is not secret is written into Git when compiling"
                                .into(),
                        ),
                    },
                    at("value"),
                ));
                continue;
            }
            let known = Known {
                params: &params,
                outputs: if terraform_secret { &[] } else { &joinable },
                terraform: if terraform_secret { &addresses } else { &[] },
                ..Known::default()
            };
            check_placeholders(doc, &path, value, &known, diagnostics);
        }
    }
    let mut strings = Vec::new();
    if let Some(kubernetes) = &spec.kubernetes {
        for (i, object) in kubernetes.objects.iter().enumerate() {
            let path = ["spec", "kubernetes", "objects"]
                .map(str::to_string)
                .into_iter()
                .chain([i.to_string()])
                .collect::<Vec<_>>();
            type_template::strings(object, &path, &mut strings);
        }
    }
    if let Some(external) = &spec.external {
        for (i, entry) in external.values.iter().enumerate() {
            let index = i.to_string();
            if let Some(environment) = &entry.matches.environment
                && !environments.contains(environment)
            {
                diagnostics.push(unknown_environment(
                    environment,
                    environments,
                    doc.span(&[
                        "spec",
                        "external",
                        "values",
                        index.as_str(),
                        "match",
                        "environment",
                    ]),
                ));
            }
            for (output, value) in &entry.values {
                let path = [
                    "spec",
                    "external",
                    "values",
                    index.as_str(),
                    "values",
                    output.as_str(),
                ]
                .map(str::to_string);
                if data.output(output).is_none() {
                    diagnostics.push(Diagnostic::new(
                        DiagnosticKind::UnknownResourceOutput {
                            resource: data.name.clone(),
                            resource_type: data.name.clone(),
                            output: output.clone(),
                            known: spec.outputs.iter().map(|o| o.name.clone()).collect(),
                        },
                        doc.key_span(&path),
                    ));
                }
                strings.push((path.to_vec(), value.as_str()));
            }
        }
    }
    if let Some(crossplane) = &spec.crossplane {
        check_crossplane(crossplane, doc, diagnostics);
        if let Some(value) = &crossplane.external_name.value {
            let path = ["spec", "crossplane", "externalName", "value"].map(str::to_string);
            if value.contains("${resource.externalName}") {
                diagnostics.push(Diagnostic::new(
                    DiagnosticKind::InvalidValue {
                        message: "the external name cannot name itself".into(),
                        help: Some(
                            "build it from `${resource.name}`, `${tenant.namespace}`, `${region}`, ..."
                                .into(),
                        ),
                    },
                    doc.span(&path),
                ));
            }
            strings.push((path.to_vec(), value.as_str()));
        }
        check_access(
            ("crossplane", &crossplane.access),
            |resource| resource.contains("${resource.externalName}"),
            (
                "this resource does not name the type's own cloud resource",
                "build the ARN from `${resource.externalName}` (for a bucket `arn:aws:s3:::${resource.externalName}/*`): a workload's role gets access to what its request creates, nothing else",
            ),
            doc,
            diagnostics,
            &mut strings,
        );
        for (field, value) in &crossplane.composite_spec {
            let path = ["spec", "crossplane", "compositeSpec", field.as_str()].map(str::to_string);
            type_template::strings(value, &path, &mut strings);
        }
    }
    let plain = Known {
        params: &params,
        ..Known::default()
    };
    for (path, text) in strings {
        check_placeholders(doc, &path, text, &plain, diagnostics);
    }
    if let Some(terraform) = &spec.terraform {
        check_terraform(terraform, doc, &params, diagnostics);
    }
}

/// A `terraform` type's blocks and access statements: their placeholders (references to the
/// type's own blocks included; a shared block's only to shared blocks and the cluster's
/// placeholders), and each statement's resources naming one of those blocks, so a workload's
/// role is never given a resource the type does not create.
/// Checks that each resource of a type's `access` statements (`spec.<mode>.access`) names what
/// the type itself creates (`names_own`), and collects them for the placeholder checks: a
/// workload's role gets access to what its request creates and nothing else.
fn check_access<'a>(
    (mode, access): (&str, &'a [crate::parse::AccessStatement]),
    names_own: impl Fn(&str) -> bool,
    (message, help): (&str, &str),
    doc: &Document,
    diagnostics: &mut Vec<Diagnostic>,
    strings: &mut Vec<(Vec<String>, &'a str)>,
) {
    for (i, statement) in access.iter().enumerate() {
        for (j, resource) in statement.resources.iter().enumerate() {
            let path = [
                "spec",
                mode,
                "access",
                &i.to_string(),
                "resources",
                &j.to_string(),
            ]
            .map(str::to_string)
            .to_vec();
            if !names_own(resource) {
                diagnostics.push(Diagnostic::new(
                    DiagnosticKind::InvalidValue {
                        message: message.into(),
                        help: Some(help.into()),
                    },
                    doc.span(&path),
                ));
            }
            strings.push((path, resource.as_str()));
        }
    }
}

fn check_terraform(
    terraform: &crate::parse::TerraformProvision,
    doc: &Document,
    params: &[String],
    diagnostics: &mut Vec<Diagnostic>,
) {
    let addresses = terraform.addresses();
    let shared_addresses = terraform.shared_addresses();
    // Without `networkPort` the network placeholders are reported once, below, for what they
    // need, and not as unknown.
    let network = terraform.network_port.is_some();
    let reported = |placeholder: &str| {
        network
            || ![
                type_template::NETWORK_SUBNETS,
                type_template::NETWORK_SECURITY_GROUP,
            ]
            .iter()
            .any(|n| placeholder == format!("${{{n}}}"))
    };
    let known = Known {
        params,
        terraform: &addresses,
        network,
        ..Known::default()
    };
    let mut strings = Vec::new();
    for (section, blocks) in [("resource", &terraform.resource), ("data", &terraform.data)] {
        for (kind, named) in blocks {
            for (name, body) in named {
                let path = ["spec", "terraform", section, kind.as_str(), name.as_str()]
                    .map(str::to_string);
                type_template::strings(body, &path, &mut strings);
            }
        }
    }
    let mut shared_strings = Vec::new();
    if let Some(shared) = &terraform.shared {
        for (section, blocks) in [("resource", &shared.resource), ("data", &shared.data)] {
            for (kind, named) in blocks {
                for (name, body) in named {
                    let path = [
                        "spec",
                        "terraform",
                        "shared",
                        section,
                        kind.as_str(),
                        name.as_str(),
                    ]
                    .map(str::to_string);
                    type_template::strings(body, &path, &mut shared_strings);
                }
            }
        }
    }
    let shared_known = Known {
        terraform: &shared_addresses,
        cluster_only: true,
        network,
        ..Known::default()
    };
    for (path, text) in &shared_strings {
        for (placeholder, start, end) in type_template::unknown_placeholders(text, &shared_known) {
            if !reported(&placeholder) {
                continue;
            }
            let at = placeholder_span(doc, path, text, start, end);
            // A placeholder a request's blocks may use: say why it cannot be used here.
            if type_template::unknown_placeholders(&placeholder, &known).is_empty() {
                diagnostics.push(Diagnostic::new(
                    DiagnosticKind::InvalidValue {
                        message: format!("a shared block cannot use `{placeholder}`"),
                        help: Some(format!(
                            "a shared block is one per cluster, for every request of the type there: it may use {}; a request's own values belong in the type's `resource`, `data`, `access` or outputs",
                            type_template::known_placeholders(&shared_known)
                                .iter()
                                .map(|k| format!("`{k}`"))
                                .collect::<Vec<_>>()
                                .join(", ")
                        )),
                    },
                    at,
                ));
            } else {
                diagnostics.push(Diagnostic::new(
                    DiagnosticKind::UnknownTypePlaceholder {
                        placeholder,
                        known: type_template::known_placeholders(&shared_known),
                    },
                    at,
                ));
            }
        }
    }
    check_access(
        ("terraform", &terraform.access),
        type_template::has_terraform_reference,
        (
            "this resource names none of the type's own blocks",
            "name the ARN of a block the type creates, for example `${terraform.aws_dynamodb_table.table.arn}`: a workload's role gets access to what its request creates, nothing else",
        ),
        doc,
        diagnostics,
        &mut strings,
    );
    // Access statements included: no network placeholder without the network.
    for (path, text) in strings.iter().chain(&shared_strings) {
        if terraform.network_port.is_none() {
            for (start, end) in type_template::network_placeholders(text) {
                diagnostics.push(Diagnostic::new(
                    DiagnosticKind::InvalidValue {
                        message: format!(
                            "`{}` needs the type's `networkPort`",
                            text.get(start..end).unwrap_or_default()
                        ),
                        help: Some(
                            "set `terraform.networkPort` to the port the type's resources listen on: the cluster's Terraform then creates the data network (private subnets, a security group) and admits that port from the VPC"
                                .into(),
                        ),
                    },
                    placeholder_span(doc, path, text, start, end),
                ));
            }
        }
        if let Some((start, end)) = type_template::list_placeholder_in_text(text) {
            diagnostics.push(Diagnostic::new(
                DiagnosticKind::InvalidValue {
                    message: format!(
                        "`${{{}}}` is a list, not text",
                        type_template::NETWORK_SUBNETS
                    ),
                    help: Some(
                        "write it as the whole string of an argument that takes a list of subnet ids (`subnet_ids: ${network.dataSubnetIds}`)"
                            .into(),
                    ),
                },
                placeholder_span(doc, path, text, start, end),
            ));
        }
    }
    for (path, text) in strings {
        for (placeholder, start, end) in type_template::unknown_placeholders(text, &known) {
            if reported(&placeholder) {
                diagnostics.push(Diagnostic::new(
                    DiagnosticKind::UnknownTypePlaceholder {
                        placeholder,
                        known: type_template::known_placeholders(&known),
                    },
                    placeholder_span(doc, &path, text, start, end),
                ));
            }
        }
    }
}

/// The XRD names a kind, group and version, and the Composition composes that kind.
fn check_crossplane(
    crossplane: &crate::parse::CrossplaneProvision,
    doc: &Document,
    diagnostics: &mut Vec<Diagnostic>,
) {
    let Some((api_version, kind)) = composite_kind(&crossplane.definition) else {
        diagnostics.push(Diagnostic::new(
            DiagnosticKind::InvalidValue {
                message: "the XRD names no composite kind".into(),
                help: Some(
                    "give `spec.group`, `spec.names.kind` and a `spec.versions` entry with `served: true`"
                        .into(),
                ),
            },
            doc.span(&["spec", "crossplane", "definition"]),
        ));
        return;
    };
    // The v2 Composition composes the XRD's kind; the v1 one (claims) the derived `X<kind>`.
    let claims_kind = format!("X{kind}");
    let compositions = [
        (Some(&crossplane.composition), kind.as_str(), "composition"),
        (
            crossplane.claims.as_ref().map(|c| &c.composition),
            claims_kind.as_str(),
            "claims",
        ),
    ];
    for (composition, kind, field) in compositions {
        let Some(composition) = composition else {
            continue;
        };
        let type_ref = composition.pointer("/spec/compositeTypeRef");
        let matches = type_ref.is_some_and(|r| {
            r.get("apiVersion").and_then(Json::as_str) == Some(api_version.as_str())
                && r.get("kind").and_then(Json::as_str) == Some(kind)
        });
        if !matches {
            let mut path = vec!["spec", "crossplane", field];
            if field == "claims" {
                path.push("composition");
            }
            path.extend(["spec", "compositeTypeRef"]);
            diagnostics.push(Diagnostic::new(
                DiagnosticKind::InvalidValue {
                    message: format!("the Composition does not compose the XRD's `{kind}`"),
                    help: Some(format!(
                        "set `spec.compositeTypeRef` to `apiVersion: {api_version}`, `kind: {kind}`"
                    )),
                },
                doc.span(&path),
            ));
        }
    }
}

/// The `apiVersion` and `kind` of an XRD's composite resources (its first served version).
pub fn composite_kind(definition: &Json) -> Option<(String, String)> {
    let spec = definition.get("spec")?;
    let group = spec.get("group")?.as_str()?;
    let kind = spec.pointer("/names/kind")?.as_str()?;
    let version = spec
        .get("versions")?
        .as_array()?
        .iter()
        .find(|v| v.get("served").and_then(Json::as_bool) == Some(true))?
        .get("name")?
        .as_str()?;
    Some((format!("{group}/{version}"), kind.to_string()))
}

fn unknown_environment(name: &str, environments: &[String], span: Span) -> Diagnostic {
    Diagnostic::new(
        DiagnosticKind::UnknownReference {
            kind: RefKind::Environment,
            name: name.to_string(),
            known: environments.to_vec(),
        },
        span,
    )
}

/// Reports each placeholder of `text` (the string at `path`) a template may not use, at its
/// position inside the string when the node is a plain or simply quoted scalar.
fn check_placeholders(
    doc: &Document,
    path: &[String],
    text: &str,
    known: &Known<'_>,
    diagnostics: &mut Vec<Diagnostic>,
) {
    for (placeholder, start, end) in type_template::unknown_placeholders(text, known) {
        diagnostics.push(Diagnostic::new(
            DiagnosticKind::UnknownTypePlaceholder {
                placeholder,
                known: type_template::known_placeholders(known),
            },
            placeholder_span(doc, path, text, start, end),
        ));
    }
}

/// The span of bytes `start..end` of `text`, the string at `path`, when the node is a plain or
/// simply quoted scalar; the node's otherwise.
fn placeholder_span(doc: &Document, path: &[String], text: &str, start: usize, end: usize) -> Span {
    let span = doc.span(path);
    let offset =
        match (span.end - span.start).checked_sub(u32::try_from(text.len()).unwrap_or(u32::MAX)) {
            Some(0) => Some(0),
            Some(2) => Some(1),
            _ => None,
        };
    match offset {
        Some(offset) => {
            let base = usize::try_from(span.start + offset).unwrap_or(0);
            Span::new(span.file, base + start, base + end)
        }
        None => span,
    }
}

/// A class of a data-defined type: its parameters against the whole schema, each rule's
/// against the schema without `required`, and each rule's environment.
fn check_data_class(
    data: &DataType,
    class: &ResourceClass,
    doc: &Document,
    path: &[String],
    environments: &[String],
    diagnostics: &mut Vec<Diagnostic>,
) {
    let schema = data.schema();
    let mut params_path = path.to_vec();
    params_path.push("params".into());
    diagnostics.extend(check_params_schema(
        &schema,
        &class.params,
        doc,
        &params_path,
        true,
    ));
    for (i, rule) in class.rules.iter().enumerate() {
        let mut rule_path = path.to_vec();
        rule_path.extend(["rules".to_string(), i.to_string()]);
        if let Some(environment) = &rule.matches.environment
            && !environments.contains(environment)
        {
            let mut at = rule_path.clone();
            at.extend(["match".to_string(), "environment".into()]);
            diagnostics.push(unknown_environment(
                environment,
                environments,
                doc.span(&at),
            ));
        }
        rule_path.push("params".into());
        diagnostics.extend(check_params_schema(
            &schema,
            &rule.params,
            doc,
            &rule_path,
            false,
        ));
    }
}

/// `params` (the mapping at `path` of `doc`) against a type's schema, each error placed on its
/// node; `complete: false` drops the schema's top-level `required` (a rule or a request sets
/// some parameters over its class's).
pub(super) fn check_params_schema(
    schema: &Json,
    params: &BTreeMap<String, Json>,
    doc: &Document,
    path: &[String],
    complete: bool,
) -> Vec<Diagnostic> {
    let mut schema = schema.clone();
    if !complete && let Some(object) = schema.as_object_mut() {
        object.remove("required");
    }
    // The document's shape around the parameters, so each error's path is the node's.
    let mut value = Json::Object(params.iter().map(|(k, v)| (k.clone(), v.clone())).collect());
    for segment in path.iter().rev() {
        schema = serde_json::json!({"type": "object", "properties": {segment.as_str(): schema}});
        value = Json::Object([(segment.clone(), value)].into_iter().collect());
    }
    crate::parse::check_against_schema(&schema, doc, &value)
}

fn unknown_class(
    resource_type: ResourceType,
    name: &str,
    entry: &CatalogueType,
    span: Span,
) -> Diagnostic {
    Diagnostic::new(
        DiagnosticKind::UnknownReference {
            kind: RefKind::ResourceClass,
            name: format!("{}/{name}", resource_type.as_str()),
            known: entry
                .classes
                .keys()
                .map(|c| format!("{}/{c}", resource_type.as_str()))
                .collect(),
        },
        span,
    )
}

/// Where a resource is used: the environment, its type and regions, and the tenant.
pub(super) struct UseContext<'a> {
    pub environment: &'a str,
    pub tier: Tier,
    pub regions: &'a [String],
    pub tenant: &'a str,
}

/// Decides the class and parameters of each request of a service in one environment.
pub(super) fn resource_uses(
    catalogue: &ResourceCatalogue,
    source_files: &BTreeMap<FileId, &Document>,
    service_doc: &Document,
    requests: &BTreeMap<String, ResourceRequest>,
    overrides: &BTreeMap<String, ResourceRequestOverride>,
    ctx: &UseContext<'_>,
    diagnostics: &mut Vec<Diagnostic>,
) -> Vec<ResourceUse> {
    let env = ctx.environment;
    for name in overrides.keys() {
        if !requests.contains_key(name) {
            diagnostics.push(Diagnostic::new(
                DiagnosticKind::UnknownReference {
                    kind: RefKind::Resource,
                    name: name.clone(),
                    known: requests.keys().cloned().collect(),
                },
                service_doc.key_span(&["spec", "environments", env, "requires", name.as_str()]),
            ));
        }
    }
    let mut uses = Vec::new();
    for (name, request) in requests {
        let Some(entry) = catalogue.types.get(&request.resource_type) else {
            if catalogue.rejected.contains(&request.resource_type) {
                continue;
            }
            diagnostics.push(Diagnostic::new(
                DiagnosticKind::UnknownResourceType {
                    type_: request.resource_type.as_str().into(),
                    known: catalogue
                        .types
                        .keys()
                        .map(|t| t.as_str().to_string())
                        .collect(),
                },
                service_doc.span(&["spec", "requires", name.as_str(), "type"]),
            ));
            continue;
        };
        let request_path = ["spec", "requires", name.as_str()];
        let over = overrides.get(name);
        let over_path = ["spec", "environments", env, "requires", name.as_str()];
        let (class_name, class_chosen_at) =
            match (over.and_then(|o| o.class.as_ref()), &request.class) {
                (Some(class), _) => (
                    class.clone(),
                    ClassChoice::Override(service_doc.span(&[&over_path[..], &["class"]].concat())),
                ),
                (None, Some(class)) => (
                    class.clone(),
                    ClassChoice::Request(
                        service_doc.span(&[&request_path[..], &["class"]].concat()),
                    ),
                ),
                (None, None) => (
                    entry.default_class.clone(),
                    ClassChoice::Default(
                        service_doc.span(&[&request_path[..], &["type"]].concat()),
                    ),
                ),
            };
        let class_span = match class_chosen_at {
            ClassChoice::Override(span)
            | ClassChoice::Request(span)
            | ClassChoice::Default(span) => span,
        };
        let Some(class) = entry.classes.get(&class_name) else {
            diagnostics.push(unknown_class(
                request.resource_type,
                &class_name,
                entry,
                class_span,
            ));
            continue;
        };
        let path_of = |p: &[&str]| p.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        let schema = entry.data.schema();
        let mut check = |params: &BTreeMap<String, Json>, path: &[&str]| {
            let path = path_of(&[path, &["params"]].concat());
            let found = check_params_schema(&schema, params, service_doc, &path, false);
            let ok = found.is_empty();
            diagnostics.extend(found);
            ok
        };
        let request_ok = check(&request.params, &request_path);
        let over_ok = over.is_none_or(|o| check(&o.params, &over_path));
        if !request_ok || !over_ok {
            continue;
        }
        let class_doc = source_files.get(&class.file);
        let mut regions = BTreeMap::new();
        let mut unavailable = false;
        for region in ctx.regions {
            let mut matched: Vec<(usize, &crate::parse::ClassRule)> = class
                .class
                .rules
                .iter()
                .enumerate()
                .filter(|(_, rule)| rule.matches.holds(ctx.tier, env, region, ctx.tenant))
                .collect();
            // Least specific first, so the most specific rule is applied last and wins; among
            // rules as specific, the later one in the file wins.
            matched.sort_by_key(|(i, rule)| (rule.matches.specificity(), *i));
            let mut params = class.class.params.clone();
            let mut decided_by: BTreeMap<String, ParamSource> = params
                .keys()
                .map(|k| (k.clone(), ParamSource::Class))
                .collect();
            let mut matched_rules = Vec::new();
            let mut available = true;
            for (i, rule) in &matched {
                for (k, v) in &rule.params {
                    params.insert(k.clone(), v.clone());
                    decided_by.insert(k.clone(), ParamSource::Rule(*i));
                }
                if let Some(a) = rule.available {
                    available = a;
                }
                let mut rule_path = class.path.clone();
                rule_path.extend(["rules".to_string(), i.to_string()]);
                matched_rules.push(MatchedRule {
                    index: *i,
                    description: rule.matches.describe(),
                    specificity: rule.matches.specificity(),
                    span: class_doc.map_or(Span::new(class.file, 0, 0), |d| d.span(&rule_path)),
                });
            }
            if !available {
                unavailable = true;
                diagnostics.push(Diagnostic::new(
                    DiagnosticKind::NoProvisioner {
                        resource_type: request.resource_type.as_str().into(),
                        class: class_name.clone(),
                        environment: env.into(),
                        region: region.clone(),
                    },
                    service_doc.span(&[&request_path[..], &["type"]].concat()),
                ));
                break;
            }
            for (k, v) in &request.params {
                params.insert(k.clone(), v.clone());
                decided_by.insert(k.clone(), ParamSource::Request);
            }
            if let Some(o) = over {
                for (k, v) in &o.params {
                    params.insert(k.clone(), v.clone());
                    decided_by.insert(k.clone(), ParamSource::Override);
                }
            }
            regions.insert(
                region.clone(),
                DecidedParams {
                    params,
                    decided_by,
                    matched_rules,
                },
            );
        }
        if unavailable {
            continue;
        }
        let data = &entry.data;
        if let Some(external) = &data.spec.external {
            for region in regions.keys() {
                for output in &data.spec.outputs {
                    let given = external.values.iter().any(|entry| {
                        entry.values.contains_key(&output.name)
                            && entry.matches.holds(ctx.tier, env, region, ctx.tenant)
                    });
                    if !given {
                        diagnostics.push(Diagnostic::new(
                            DiagnosticKind::MissingOutputValue {
                                resource_type: data.name.clone(),
                                output: output.name.clone(),
                                environment: env.into(),
                                region: region.clone(),
                            },
                            service_doc.span(&[&request_path[..], &["type"]].concat()),
                        ));
                    }
                }
            }
        }
        uses.push(ResourceUse {
            name: name.clone(),
            resource_type: request.resource_type,
            class: class_name,
            id: request.id.clone(),
            regions,
            span: service_doc.key_span(&request_path),
            class_chosen_at,
            class_defined_at: class_doc
                .map_or(Span::new(class.file, 0, 0), |d| d.key_span(&class.path)),
            data: entry.data.clone(),
            tenant: ctx.tenant.to_string(),
            environment: env.to_string(),
            tier: ctx.tier,
        });
    }
    uses
}

/// What the placeholders of a Service's env values in one environment may name.
pub(super) struct EnvContext<'a> {
    /// `${metadata.name}`.
    pub service_name: &'a str,
    /// `${resources.NAME.OUTPUT}`: the service's `requires`.
    pub requests: &'a BTreeMap<String, ResourceRequest>,
    /// The types those requests name, with their outputs.
    pub catalogue: &'a ResourceCatalogue,
    /// `${services.NAME.OUTPUT}`: its `dependsOn`, as written, with its tenant's name.
    pub depends_on: &'a [String],
    pub tenant: &'a str,
    pub environment: &'a str,
    /// Every workload's ports, to know the services and their ports.
    pub ports: &'a PortTable,
}

/// Splits an env value into text and `${resources.NAME.OUTPUT}` parts, replacing
/// `${metadata.name}`, `${services.NAME.OUTPUT}` (a dependency's address in this environment) and
/// `$$`; reports unknown placeholders, resources, services and outputs at their exact position.
/// `None` when something was reported.
pub(super) fn parse_env_value(
    value: &str,
    ctx: &EnvContext<'_>,
    value_span: Span,
    value_offset: Option<u32>,
    diagnostics: &mut Vec<Diagnostic>,
) -> Option<Vec<EnvPart>> {
    let requests = ctx.requests;
    let catalogue = ctx.catalogue;
    let mut parts: Vec<EnvPart> = Vec::new();
    let mut text = String::new();
    let mut ok = true;
    let bytes = value.as_bytes();
    let mut i = 0;
    let span_of = |start: usize, end: usize| match value_offset {
        Some(offset) => {
            let at = |i: usize| usize::try_from(value_span.start + offset).unwrap_or(0) + i;
            Span::new(value_span.file, at(start), at(end))
        }
        None => value_span,
    };
    while i < bytes.len() {
        if value[i..].starts_with("$$") {
            text.push('$');
            i += 2;
            continue;
        }
        if value[i..].starts_with("${") {
            let Some(close) = value[i..].find('}') else {
                ok = false;
                diagnostics.push(Diagnostic::new(
                    DiagnosticKind::UnknownPlaceholder {
                        placeholder: value[i..].to_string(),
                    },
                    span_of(i, value.len()),
                ));
                break;
            };
            let inner = &value[i + 2..i + close];
            let span = span_of(i, i + close + 1);
            let segments: Vec<&str> = inner.split('.').collect();
            match segments.as_slice() {
                ["metadata", "name"] => text.push_str(ctx.service_name),
                ["services", service, output] => match dependency_output(ctx, service, output) {
                    Ok(value) => text.push_str(&value),
                    Err(kind) => {
                        ok = false;
                        diagnostics.push(Diagnostic::new(*kind, span));
                    }
                },
                ["resources", resource, output] => match requests.get(*resource) {
                    None => {
                        ok = false;
                        diagnostics.push(Diagnostic::new(
                            DiagnosticKind::UnknownReference {
                                kind: RefKind::Resource,
                                name: (*resource).to_string(),
                                known: requests.keys().cloned().collect(),
                            },
                            span,
                        ));
                    }
                    // An unknown type was reported where it is requested.
                    Some(request) if !catalogue.types.contains_key(&request.resource_type) => {
                        ok = false;
                    }
                    Some(request)
                        if catalogue
                            .output_source(request.resource_type, output)
                            .is_none() =>
                    {
                        ok = false;
                        diagnostics.push(Diagnostic::new(
                            DiagnosticKind::UnknownResourceOutput {
                                resource: (*resource).to_string(),
                                resource_type: request.resource_type.as_str().into(),
                                output: (*output).to_string(),
                                known: catalogue.output_names(request.resource_type),
                            },
                            span,
                        ));
                    }
                    Some(_) => {
                        if !text.is_empty() {
                            parts.push(EnvPart::Text(std::mem::take(&mut text)));
                        }
                        parts.push(EnvPart::Output {
                            resource: (*resource).to_string(),
                            output: (*output).to_string(),
                        });
                    }
                },
                _ => {
                    ok = false;
                    diagnostics.push(Diagnostic::new(
                        DiagnosticKind::UnknownPlaceholder {
                            placeholder: format!("${{{inner}}}"),
                        },
                        span,
                    ));
                }
            }
            i += close + 1;
            continue;
        }
        let ch = value[i..].chars().next().unwrap_or('\0');
        text.push(ch);
        i += ch.len_utf8().max(1);
    }
    if !text.is_empty() {
        parts.push(EnvPart::Text(text));
    }
    ok.then_some(parts)
}

/// `${services.NAME.OUTPUT}`: an output of a `dependsOn` target in the caller's environment.
fn dependency_output(
    ctx: &EnvContext<'_>,
    service: &str,
    output: &str,
) -> Result<String, Box<DiagnosticKind>> {
    let target = Target::parse(service, ctx.tenant);
    let is_dependency = ctx
        .depends_on
        .iter()
        .any(|d| Target::parse(d, ctx.tenant) == target);
    if !is_dependency {
        // A known service gets "add it to dependsOn"; anything else, the dependencies to choose
        // from.
        return Err(Box::new(if target.ports(ctx.ports).is_some() {
            DiagnosticKind::NotADependency {
                service: service.to_string(),
            }
        } else {
            DiagnosticKind::UnknownReference {
                kind: RefKind::Service,
                name: service.to_string(),
                known: ctx.depends_on.to_vec(),
            }
        }));
    }
    // A dependency on a service that does not exist is reported at `dependsOn` (or its tenant
    // is unknown, reported at its `metadata.tenant`): nothing more to say here, and the value is
    // never used, as that error stops the compile.
    if target.ports(ctx.ports).is_none() {
        return Ok(String::new());
    }
    let problem = match target.output(output, ctx.environment, ctx.ports) {
        Ok(value) => return Ok(value),
        Err(problem) => problem,
    };
    Err(Box::new(match problem {
        OutputProblem::UnknownOutput => DiagnosticKind::UnknownServiceOutput {
            service: service.to_string(),
            output: output.to_string(),
            known: SERVICE_OUTPUTS.map(str::to_string).to_vec(),
        },
        OutputProblem::NoPort => DiagnosticKind::InvalidValue {
            message: format!("`{target}` exposes no port"),
            help: Some(format!(
                "give `{target}` a `spec.port`, or use `${{services.{service}.host}}`"
            )),
        },
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::FileId;

    fn check(value: &str) -> (Option<Vec<EnvPart>>, Vec<String>) {
        let requests = BTreeMap::from([(
            "db".to_string(),
            ResourceRequest {
                resource_type: ResourceType::Postgres,
                class: None,
                id: None,
                params: BTreeMap::new(),
            },
        )]);
        let ports = PortTable::from([
            (
                ("shop".to_string(), "users".to_string()),
                vec![(vec!["http".to_string()], 8080)],
            ),
            (
                ("billing".to_string(), "invoices".to_string()),
                vec![(vec!["grpc".to_string()], 9090)],
            ),
            (("shop".to_string(), "cart".to_string()), Vec::new()),
        ]);
        let depends_on = ["users".to_string(), "billing/invoices".to_string()];
        let spec: Result<ResourceTypeSpec, _> = serde_json::from_value(serde_json::json!({
            "description": "PostgreSQL",
            "outputs": [{"name": "host", "secret": true}, {"name": "port", "value": "5432"}],
            "defaultClass": "small",
            "classes": {},
            "crossplane": {"definition": {}, "composition": {}},
        }));
        assert!(spec.is_ok(), "{spec:?}");
        let data = DataType {
            name: "postgres".into(),
            spec: spec.unwrap_or_else(|_| unreachable!()),
            file: FileId::new(0),
            span: Span::new(FileId::new(0), 0, 0),
        };
        let catalogue = ResourceCatalogue {
            types: BTreeMap::from([(
                ResourceType::Postgres,
                CatalogueType {
                    description: String::new(),
                    default_class: String::new(),
                    classes: BTreeMap::new(),
                    data: std::sync::Arc::new(data),
                },
            )]),
            rejected: BTreeSet::new(),
        };
        let ctx = EnvContext {
            service_name: "api",
            requests: &requests,
            catalogue: &catalogue,
            depends_on: &depends_on,
            tenant: "shop",
            environment: "prod",
            ports: &ports,
        };
        let mut diagnostics = Vec::new();
        let span = Span::new(FileId::new(0), 0, value.len());
        let parts = parse_env_value(value, &ctx, span, Some(0), &mut diagnostics);
        (
            parts,
            diagnostics
                .iter()
                .map(|d| d.kind.code().to_string())
                .collect(),
        )
    }

    #[test]
    fn placeholders_split_a_value_into_text_and_outputs() {
        let (parts, errors) = check("pg://${resources.db.host}/${metadata.name}-$$x");
        assert_eq!(errors, Vec::<String>::new());
        assert_eq!(
            parts,
            Some(vec![
                EnvPart::Text("pg://".into()),
                EnvPart::Output {
                    resource: "db".into(),
                    output: "host".into()
                },
                EnvPart::Text("/api-$x".into()),
            ])
        );
    }

    #[test]
    fn service_placeholders_become_the_dependencys_address_here() {
        let (parts, errors) = check(
            "${services.users.url}/v1 ${services.billing/invoices.host}:${services.shop/users.port}",
        );
        assert_eq!(errors, Vec::<String>::new());
        assert_eq!(
            parts,
            Some(vec![EnvPart::Text(
                "http://users.shop-prod.svc.cluster.local:8080/v1 invoices.billing-prod.svc.cluster.local:8080"
                    .into()
            )])
        );
    }

    #[test]
    fn each_bad_service_placeholder_is_reported() {
        let (parts, errors) = check(
            "${services.cart.host} ${services.userz.url} ${services.users.uri} ${services.invoices.url}",
        );
        assert_eq!(parts, None);
        assert_eq!(
            errors,
            [
                "not-a-dependency",
                "unknown-service",
                "unknown-service-output",
                "unknown-service"
            ]
        );
    }

    #[test]
    fn a_lone_dollar_is_text() {
        assert_eq!(
            check("cost: 5$").0,
            Some(vec![EnvPart::Text("cost: 5$".into())])
        );
    }

    #[test]
    fn each_bad_placeholder_is_reported() {
        let (parts, errors) =
            check("${resources.cache.host} ${resources.db.hostname} ${env.HOME} ${resources");
        assert_eq!(parts, None);
        assert_eq!(
            errors,
            [
                "unknown-resource",
                "unknown-resource-output",
                "unknown-placeholder",
                "unknown-placeholder"
            ]
        );
    }
}
