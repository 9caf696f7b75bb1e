//! Managed resources: the catalogue (stdlib's types and classes, the Platform's classes over
//! them), each request's class and parameters per environment and region (the matching rules of
//! its class, most specific last), and env placeholders (`${resources.NAME.OUTPUT}`,
//! `${metadata.name}`, `$$`).

use std::collections::BTreeMap;

use serde_json::Value as Json;

use crate::diagnostic::{Diagnostic, DiagnosticKind, RefKind};
use crate::parse::{
    Document, ParamDefinition, Parsed, PlatformSpec, ResourceClass, ResourceRequest,
    ResourceRequestOverride, ResourceType, StdlibResourceType, Tier,
};
use crate::source::{FileId, Span};

use super::dependency::{OutputProblem, SERVICE_OUTPUTS, Target};
use super::score::PortTable;

/// The resource catalogue, by type.
#[derive(Debug, Clone, Default)]
pub struct ResourceCatalogue {
    pub types: BTreeMap<ResourceType, CatalogueType>,
}

/// One type of the catalogue.
#[derive(Debug, Clone)]
pub struct CatalogueType {
    pub description: String,
    pub params: BTreeMap<String, ParamDefinition>,
    pub default_class: String,
    pub classes: BTreeMap<String, CatalogueClass>,
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

/// Builds the catalogue from the stdlib files and the Platform's `resourceClasses`.
pub(super) fn resource_catalogue(
    platform: &Parsed<PlatformSpec>,
    stdlib: &[StdlibResourceType],
    diagnostics: &mut Vec<Diagnostic>,
) -> ResourceCatalogue {
    let mut catalogue = ResourceCatalogue::default();
    for entry in stdlib {
        // pave's own data: checked like the Platform's, so a mistake points into the file.
        for (name, class) in &entry.definition.classes {
            let path = ["classes".to_string(), name.clone()];
            check_class_params(
                &entry.definition.params,
                class,
                &entry.doc,
                &path,
                true,
                diagnostics,
            );
        }
        if !entry
            .definition
            .classes
            .contains_key(&entry.definition.default_class)
        {
            diagnostics.push(Diagnostic::new(
                DiagnosticKind::Internal {
                    message: format!(
                        "stdlib resource type `{}` has no class `{}`",
                        entry.resource_type.as_str(),
                        entry.definition.default_class
                    ),
                },
                entry.doc.span(&["defaultClass"]),
            ));
        }
        let classes = entry
            .definition
            .classes
            .iter()
            .map(|(name, class)| {
                (
                    name.clone(),
                    CatalogueClass {
                        class: class.clone(),
                        file: entry.doc.file,
                        path: vec!["classes".into(), name.clone()],
                    },
                )
            })
            .collect();
        catalogue.types.insert(
            entry.resource_type,
            CatalogueType {
                description: entry.definition.description.clone(),
                params: entry.definition.params.clone(),
                default_class: entry.definition.default_class.clone(),
                classes,
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
            check_class_params(&entry.params, class, doc, &path, true, diagnostics);
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

/// A Platform class must give every parameter of its type, each of the right type; its rules
/// only parameters of the type.
fn check_class_params(
    known: &BTreeMap<String, ParamDefinition>,
    class: &ResourceClass,
    doc: &Document,
    path: &[String],
    complete: bool,
    diagnostics: &mut Vec<Diagnostic>,
) {
    let at = |extra: &[&str]| {
        let mut p = path.to_vec();
        p.extend(extra.iter().map(|s| s.to_string()));
        p
    };
    check_params(known, &class.params, doc, &at(&["params"]), diagnostics);
    if complete {
        for name in known.keys() {
            if !class.params.contains_key(name) {
                diagnostics.push(Diagnostic::new(
                    DiagnosticKind::MissingField {
                        field: name.clone(),
                    },
                    doc.span(&at(&["params"])),
                ));
            }
        }
    }
    for (i, rule) in class.rules.iter().enumerate() {
        let index = i.to_string();
        check_params(
            known,
            &rule.params,
            doc,
            &at(&["rules", index.as_str(), "params"]),
            diagnostics,
        );
    }
}

/// Each parameter must be one the type takes, with a value of its type.
fn check_params(
    known: &BTreeMap<String, ParamDefinition>,
    params: &BTreeMap<String, Json>,
    doc: &Document,
    path: &[String],
    diagnostics: &mut Vec<Diagnostic>,
) -> bool {
    let mut ok = true;
    for (name, value) in params {
        let mut key_path = path.to_vec();
        key_path.push(name.clone());
        match known.get(name) {
            None => {
                ok = false;
                diagnostics.push(Diagnostic::new(
                    DiagnosticKind::UnknownResourceParam {
                        param: name.clone(),
                        known: known.keys().cloned().collect(),
                    },
                    doc.key_span(&key_path),
                ));
            }
            Some(definition) if !definition.param_type.accepts(value) => {
                ok = false;
                diagnostics.push(Diagnostic::new(
                    DiagnosticKind::WrongType {
                        expected: definition.param_type.as_str().into(),
                        found: json_type(value).into(),
                    },
                    doc.span(&key_path),
                ));
            }
            Some(_) => {}
        }
    }
    ok
}

fn json_type(value: &Json) -> &'static str {
    match value {
        Json::Null => "null",
        Json::Bool(_) => "boolean",
        Json::Number(n) if n.is_i64() || n.is_u64() => "integer",
        Json::Number(_) => "number",
        Json::String(_) => "string",
        Json::Array(_) => "array",
        Json::Object(_) => "object",
    }
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
        let request_ok = check_params(
            &entry.params,
            &request.params,
            service_doc,
            &path_of(&[&request_path[..], &["params"]].concat()),
            diagnostics,
        );
        let over_ok = over.is_none_or(|o| {
            check_params(
                &entry.params,
                &o.params,
                service_doc,
                &path_of(&[&over_path[..], &["params"]].concat()),
                diagnostics,
            )
        });
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
                    Some(request) if request.resource_type.output(output).is_none() => {
                        ok = false;
                        diagnostics.push(Diagnostic::new(
                            DiagnosticKind::UnknownResourceOutput {
                                resource: (*resource).to_string(),
                                resource_type: request.resource_type.as_str().into(),
                                output: (*output).to_string(),
                                known: request
                                    .resource_type
                                    .outputs()
                                    .iter()
                                    .map(|(n, _)| (*n).to_string())
                                    .collect(),
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
    // A dependency on a service that does not exist is reported at `dependsOn`.
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
        let ctx = EnvContext {
            service_name: "api",
            requests: &requests,
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
