//! Parse: source files to typed specs.
//!
//! In: a [`SourceMap`]. Out: [`ParsedSpecs`], every document checked against its kind's JSON
//! Schema (embedded from `schemas/`) and read into the typed model, each keeping its spanned
//! [`Document`] so later stages can place diagnostics. The schema check lives here rather than in
//! `validate` because the typed model can only be built from a document of the right shape;
//! cross-document checks come later. Never reads files.

mod addon;
mod cidr;
mod common;
mod document;
mod environment;
mod node_deserializer;
mod platform;
mod resource;
mod resource_type;
mod schema;
pub mod score;
mod service;
mod tenant;
mod waiver;
pub mod yaml;

use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet};

use rayon::prelude::*;
use serde::Deserialize as _;
use serde::de::DeserializeOwned;

pub use addon::{
    AddonDefinition, AddonLayer, AddonSecret, AddonSettings, AddonTls, Chart, GeneratedSecret,
    NamedKind, NodeProvisioner, PlatformAddon, PodSecurity, SecretKeySource, StdlibAddon,
    values_path_matches,
};
pub use cidr::Ipv4Cidr;
pub use common::{CpuMemory, Metadata, PartialCpuMemory, Quantity, Quota, Replicas, Resources};
pub use document::{Document, display_path};
pub use environment::{
    CapacityType, ClusterSettings, DnsRouting, DnsSettings, EnvironmentDefaults, EnvironmentSpec,
    NetworkSettings, NodeGroup, Promotion, Taint, TaintEffect, Tier,
};
pub use platform::{
    CrossplaneSettings, EnforcementAction, GatekeeperSettings, GitHubSettings, GitOps,
    IngressSettings, Layout, PlatformDefaults, PlatformSpec, PolicySettings, TerraformSettings,
};
pub use resource::{
    ClassRule, OutputSource, PlatformResourceClasses, ResourceClass, ResourceRequest,
    ResourceRequestOverride, ResourceType, RuleMatch,
};
pub use resource_type::{
    AccessStatement, CrossplaneClaims, CrossplaneProvision, ExternalNameRule, ExternalProvision,
    ExternalValues, KubernetesProvision, OutputDefinition, ProvisionMode, ResourceTypeSpec,
    SHARED_PREFIX, SharedBlocks, TerraformProvision,
};
pub use schema::{SchemaSet, SpecKind, check_against_schema};
pub use service::{
    Autoscaling, AwsAccess, DynamoDbAccess, EnvValue, Ingress, PartialAwsAccess, Port, Probe,
    Probes, QueueAccess, ReadWrite, S3Access, ServiceAccountSettings, ServiceOverride, ServiceSpec,
    SqsAccess, WorkloadKind,
};
pub use tenant::{Owners, TenantNetwork, TenantSpec, TenantVolume};
pub use waiver::WaiverSpec;

use crate::cache::parse::{Key, ParseCache};
use crate::diagnostic::{Diagnostic, DiagnosticKind, StageResult, finish};
use crate::source::{FileId, SourceFile, SourceMap};

/// The `apiVersion` of every pave spec.
pub const API_VERSION: &str = "pave.dev/v1alpha1";
/// The `apiVersion` of a Score workload.
pub const SCORE_API_VERSION: &str = "score.dev/v1b1";

/// A spec document read into its typed form.
#[derive(Debug, Clone)]
pub struct Parsed<T> {
    pub doc: Document,
    pub metadata: Metadata,
    pub spec: T,
}

impl<T> Parsed<T> {
    pub fn name(&self) -> &str {
        &self.metadata.name
    }
}

/// Every spec of a platform, in file order.
#[derive(Debug, Clone)]
pub struct ParsedSpecs {
    pub platform: Parsed<PlatformSpec>,
    pub environments: Vec<Parsed<EnvironmentSpec>>,
    pub tenants: Vec<Parsed<TenantSpec>>,
    pub services: Vec<Parsed<ServiceSpec>>,
    /// Exceptions to policy rules.
    pub waivers: Vec<Parsed<WaiverSpec>>,
    /// The resource types the platform defines.
    pub resource_types: Vec<Parsed<ResourceTypeSpec>>,
    /// The embedded add-on catalogue, by file name.
    pub stdlib_addons: Vec<StdlibAddon>,
}

impl AnySpec {
    /// The file the document is in.
    fn file(&self) -> FileId {
        match self {
            AnySpec::Platform(p) => p.doc.file,
            AnySpec::Environment(e) => e.doc.file,
            AnySpec::Tenant(t) => t.doc.file,
            AnySpec::Service(s) => s.doc.file,
            AnySpec::Waiver(w) => w.doc.file,
            AnySpec::ResourceType(r) => r.doc.file,
            AnySpec::Score(doc) | AnySpec::ScoreOverrides(doc) => doc.file,
        }
    }
}

/// One parsed document of any kind.
enum AnySpec {
    Platform(Box<Parsed<PlatformSpec>>),
    Environment(Box<Parsed<EnvironmentSpec>>),
    Tenant(Parsed<TenantSpec>),
    Service(Box<Parsed<ServiceSpec>>),
    Waiver(Parsed<WaiverSpec>),
    ResourceType(Box<Parsed<ResourceTypeSpec>>),
    /// A schema-valid Score workload, lowered once every file is read.
    Score(Document),
    /// A schema-valid Score overrides file.
    ScoreOverrides(Document),
}

/// Parses and schema-checks every user file of `source_map`.
pub fn parse(source_map: &SourceMap) -> StageResult<ParsedSpecs> {
    parse_files(source_map, None).0
}

/// [`parse`], taking the tree of each file `cache` holds from it instead of reading and checking
/// the file again (see [`crate::cache::parse`]); also returns the cache to record: an entry for
/// each file that parsed without a diagnostic, and no other.
pub fn parse_reusing(
    source_map: &SourceMap,
    cache: &ParseCache,
) -> (StageResult<ParsedSpecs>, ParseCache) {
    let (result, recorded) = parse_files(source_map, Some(cache));
    (result, recorded.unwrap_or_default())
}

fn parse_files(
    source_map: &SourceMap,
    cache: Option<&ParseCache>,
) -> (StageResult<ParsedSpecs>, Option<ParseCache>) {
    let mut recorded = cache.map(|_| ParseCache::default());
    let result = parse_recording(source_map, cache, &mut recorded);
    (result, recorded)
}

fn parse_recording(
    source_map: &SourceMap,
    cache: Option<&ParseCache>,
    recorded: &mut Option<ParseCache>,
) -> StageResult<ParsedSpecs> {
    let schemas = match SchemaSet::shared() {
        Ok(schemas) => schemas,
        Err(message) => {
            return Err(vec![Diagnostic::unplaced(DiagnosticKind::Internal {
                message,
            })]);
        }
    };
    let mut source_diagnostics = source_problems(source_map);
    let files: Vec<(FileId, &SourceFile)> = source_map
        .files()
        .filter(|(_, file)| {
            file.origin == crate::source::Origin::User
                && !file.is_policy()
                && file.problem.is_none()
        })
        .collect();
    let per_file: Vec<(FileResult, Option<CacheEntry>)> = files
        .par_iter()
        .map(|&(file, source)| match cache {
            None => (parse_file(schemas, file, &source.name, &source.text), None),
            Some(cache) => parse_file_reusing(schemas, cache, file, source),
        })
        .collect();
    let per_file: Vec<FileResult> = per_file
        .into_iter()
        .map(|(result, entry)| {
            if let (Some(recorded), Some((key, encoded))) = (recorded.as_mut(), entry) {
                recorded.insert(key, encoded.into_owned());
            }
            result
        })
        .collect();

    let mut diagnostics = std::mem::take(&mut source_diagnostics);
    let mut platform = None;
    let mut environments = Vec::new();
    let mut tenants = Vec::new();
    let mut services = Vec::new();
    let mut waivers = Vec::new();
    let mut resource_types = Vec::new();
    let mut scores: Vec<Document> = Vec::new();
    let mut score_overrides: Vec<Document> = Vec::new();
    let mut saw_platform = false;
    // Files that Score workloads read (`files[].source`) are data, even when they are YAML: what
    // parsing them as specs found is dropped, and they are looked up like the other files.
    let by_name: BTreeMap<&str, FileId> = files
        .iter()
        .map(|&(id, source)| (source.name.as_str(), id))
        .collect();
    let data_files: BTreeMap<String, FileId> = per_file
        .iter()
        .flat_map(|result| result.score_sources.iter())
        .filter_map(|(score_file, source)| {
            let name = score::source_path(&source_map.get(*score_file).name, source)?;
            let id = *by_name.get(name.as_str())?;
            Some((name, id))
        })
        .collect();
    let is_data = |file: FileId| data_files.values().any(|&id| id == file);
    for FileResult {
        specs,
        diagnostics: file_diagnostics,
        saw_platform: saw,
        ..
    } in per_file
    {
        saw_platform |= saw;
        diagnostics.extend(
            file_diagnostics
                .into_iter()
                .filter(|d| !d.span.is_some_and(|span| is_data(span.file))),
        );
        for spec in specs {
            if is_data(spec.file()) {
                continue;
            }
            match spec {
                AnySpec::Platform(p) if platform.is_none() => platform = Some(*p),
                AnySpec::Platform(p) => diagnostics.push(Diagnostic::new(
                    DiagnosticKind::MisplacedPlatform,
                    p.doc.head_span(),
                )),
                AnySpec::Environment(e) => environments.push(*e),
                AnySpec::Tenant(t) => tenants.push(t),
                AnySpec::Service(s) => services.push(*s),
                AnySpec::Waiver(w) => waivers.push(w),
                AnySpec::ResourceType(r) => resource_types.push(*r),
                AnySpec::Score(doc) => scores.push(doc),
                AnySpec::ScoreOverrides(doc) => score_overrides.push(doc),
            }
        }
    }
    let stdlib_types = stdlib_resource_types(source_map, &mut diagnostics);
    let type_outputs: BTreeMap<String, Vec<String>> = resource_types
        .iter()
        .chain(&stdlib_types)
        .map(|r: &Parsed<ResourceTypeSpec>| {
            let outputs = r.spec.outputs.iter().map(|o| o.name.clone()).collect();
            (r.name().to_string(), outputs)
        })
        .collect();
    services.extend(score_services(
        source_map,
        scores,
        score_overrides,
        &data_files,
        &type_outputs,
        &mut diagnostics,
    ));
    // stdlib's data-defined types come first, so a platform's type of the same name is the one
    // `resolve` reports as a duplicate.
    let resource_types: Vec<Parsed<ResourceTypeSpec>> =
        stdlib_types.into_iter().chain(resource_types).collect();
    // A `pave.yaml` that could not be read was reported; only its absence is new.
    saw_platform |= source_map
        .files()
        .any(|(_, f)| f.name == crate::source::ROOT_FILE && f.problem.is_some());
    let Some(platform) = platform else {
        // A Platform document with errors was reported already; only its absence is new.
        if saw_platform {
            crate::diagnostic::sort_and_dedup(&mut diagnostics);
            return Err(diagnostics);
        }
        let root_file = source_map
            .files()
            .find(|(_, f)| f.name == crate::source::ROOT_FILE)
            .map(|(id, _)| id);
        diagnostics.push(match root_file {
            Some(file) => Diagnostic::new(
                DiagnosticKind::NoPlatform,
                crate::source::Span::new(file, 0, 0),
            ),
            None => Diagnostic::unplaced(DiagnosticKind::NoPlatform),
        });
        crate::diagnostic::sort_and_dedup(&mut diagnostics);
        return Err(diagnostics);
    };
    let stdlib_addons = stdlib_addons(source_map, &mut diagnostics);
    finish(
        ParsedSpecs {
            platform,
            environments,
            tenants,
            services,
            waivers,
            resource_types,
            stdlib_addons,
        },
        diagnostics,
    )
}

/// Reads the embedded add-on catalogue. It is pave's own data, so a file that does not read is a
/// bug in pave (a unit test reads every file).
fn stdlib_addons(source_map: &SourceMap, diagnostics: &mut Vec<Diagnostic>) -> Vec<StdlibAddon> {
    stdlib_documents(source_map, crate::source::STDLIB_ADDONS, diagnostics)
        .into_iter()
        .map(|(name, doc, definition)| StdlibAddon {
            name: name.to_string(),
            doc,
            definition,
        })
        .collect()
}

/// The embedded stdlib files under `prefix` (one YAML document each), with their name (the file
/// name without `.yaml`) and their contents read as `T`. What does not read is an internal error:
/// stdlib is pave's own data, and unit tests read every file.
fn stdlib_documents<'a, T: DeserializeOwned>(
    source_map: &'a SourceMap,
    prefix: &str,
    diagnostics: &mut Vec<Diagnostic>,
) -> Vec<(&'a str, Document, T)> {
    let mut out = Vec::new();
    for (file, source) in source_map.files() {
        if source.origin != crate::source::Origin::Stdlib {
            continue;
        }
        let Some(name) = source
            .name
            .strip_prefix(prefix)
            .and_then(|n| n.strip_suffix(".yaml"))
        else {
            continue;
        };
        let internal = |message: String, span| {
            Diagnostic::new(
                DiagnosticKind::Internal {
                    message: format!("stdlib file `{}`: {message}", source.name),
                },
                span,
            )
        };
        let (nodes, errors) = yaml::parse_yaml(file, &source.text);
        if let Some(error) = errors.into_iter().next() {
            diagnostics.push(error);
            continue;
        }
        let Some(root) = nodes.into_iter().next() else {
            diagnostics.push(internal(
                "empty".into(),
                crate::source::Span::new(file, 0, 0),
            ));
            continue;
        };
        let doc = Document {
            file,
            root,
            verbatim: true,
        };
        match serde_json::from_value(doc.root.to_json()) {
            Ok(definition) => out.push((name, doc, definition)),
            Err(error) => diagnostics.push(internal(error.to_string(), doc.head_span())),
        }
    }
    out
}

/// Lowers the Score workloads into Services, each with the overrides file beside it.
fn score_services(
    source_map: &SourceMap,
    scores: Vec<Document>,
    overrides: Vec<Document>,
    data_files: &BTreeMap<String, FileId>,
    resource_types: &BTreeMap<String, Vec<String>>,
    diagnostics: &mut Vec<Diagnostic>,
) -> Vec<Parsed<ServiceSpec>> {
    let name_of = |file: FileId| source_map.get(file).name.as_str();
    let mut by_target: BTreeMap<&str, &Document> = BTreeMap::new();
    let score_files: BTreeSet<&str> = scores.iter().map(|d| name_of(d.file)).collect();
    for doc in &overrides {
        let name = name_of(doc.file);
        let Some(targets) = score::overrides_target(name) else {
            continue;
        };
        match targets.iter().find(|t| score_files.contains(t.as_str())) {
            Some(target) => {
                if let Some(found) = score_files.get(target.as_str()) {
                    by_target.insert(found, doc);
                }
            }
            None => diagnostics.push(Diagnostic::new(
                DiagnosticKind::OverridesWithoutWorkload {
                    expected: targets[0].clone(),
                },
                doc.head_span(),
            )),
        }
    }
    let text = |file: FileId| source_map.get(file).text.as_str();
    let mut assets: BTreeMap<String, FileId> = source_map
        .files()
        .filter(|(_, f)| f.origin == crate::source::Origin::Asset)
        .map(|(id, f)| (f.name.clone(), id))
        .collect();
    assets.extend(data_files.iter().map(|(name, id)| (name.clone(), *id)));
    let sources = score::translate::Sources {
        text: &text,
        assets: &assets,
        resource_types,
    };
    let mut services = Vec::new();
    for doc in &scores {
        let name = name_of(doc.file);
        let companion = by_target.get(name).map(|o| (*o, name_of(o.file)));
        match score::translate(doc, name, companion, &sources) {
            Ok(service) => services.push(service),
            Err(found) => diagnostics.extend(found),
        }
    }
    services
}

/// Reads stdlib's resource types (the `kind: ResourceType` files of `stdlib/resources/`),
/// checked like a platform's.
fn stdlib_resource_types(
    source_map: &SourceMap,
    diagnostics: &mut Vec<Diagnostic>,
) -> Vec<Parsed<ResourceTypeSpec>> {
    let Ok(schemas) = SchemaSet::shared() else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for (file, source) in source_map.files() {
        let is_data_type = source.origin == crate::source::Origin::Stdlib
            && source
                .name
                .strip_prefix(crate::source::STDLIB_RESOURCES)
                .and_then(|n| n.strip_suffix(".yaml"))
                .is_some();
        if !is_data_type {
            continue;
        }
        let result = parse_file(schemas, file, &source.name, &source.text);
        diagnostics.extend(result.diagnostics);
        out.extend(result.specs.into_iter().filter_map(|spec| match spec {
            AnySpec::ResourceType(r) => Some(*r),
            _ => None,
        }));
    }
    out
}

/// A file's entry in the parse cache to record: its key and encoded tree.
type CacheEntry<'a> = (Key, Cow<'a, [u8]>);

/// What one file holds.
struct FileResult {
    specs: Vec<AnySpec>,
    diagnostics: Vec<Diagnostic>,
    /// The `files[].source` of its Score workloads, valid or not: `(this file, source)`.
    score_sources: Vec<(FileId, String)>,
    /// Whether it has a `kind: Platform` document, valid or not.
    saw_platform: bool,
}

fn parse_file(schemas: &SchemaSet, file: FileId, name: &str, text: &str) -> FileResult {
    let (nodes, mut diagnostics) = yaml::parse_yaml(file, text);
    diagnostics.extend(yaml::unsafe_characters(file, text, &nodes));
    read_documents(schemas, file, name, nodes, diagnostics, false)
}

/// [`parse_file`] through the parse cache: the file's tree from `cache` when it holds the file
/// (a file recorded there parsed without a diagnostic, so neither the YAML reader nor the schema
/// check has anything to say again), else parsed; with the entry to record when it parsed
/// without a diagnostic.
fn parse_file_reusing<'a>(
    schemas: &SchemaSet,
    cache: &'a ParseCache,
    file: FileId,
    source: &SourceFile,
) -> (FileResult, Option<CacheEntry<'a>>) {
    let (name, text) = (source.name.as_str(), source.text.as_str());
    let key = *source.hash();
    let cached = cache
        .get(&key)
        .and_then(|encoded| Some((encoded, crate::cache::parse::decode(encoded, file)?)));
    if let Some((encoded, nodes)) = cached {
        let result = read_documents(schemas, file, name, nodes, Vec::new(), true);
        let clean = result.diagnostics.is_empty();
        return (result, clean.then_some((key, Cow::Borrowed(encoded))));
    }
    let (nodes, mut diagnostics) = yaml::parse_yaml(file, text);
    diagnostics.extend(yaml::unsafe_characters(file, text, &nodes));
    let encoded = diagnostics
        .is_empty()
        .then(|| crate::cache::parse::encode(&nodes));
    let result = read_documents(schemas, file, name, nodes, diagnostics, false);
    let entry = encoded
        .filter(|_| result.diagnostics.is_empty())
        .map(|encoded| (key, Cow::Owned(encoded)));
    (result, entry)
}

/// A file's documents read into typed specs: each one's kind found, checked against its schema
/// (unless `schema_checked`: the tree is one that passed before) and read into its typed form.
fn read_documents(
    schemas: &SchemaSet,
    file: FileId,
    name: &str,
    nodes: Vec<yaml::Node>,
    mut diagnostics: Vec<Diagnostic>,
    schema_checked: bool,
) -> FileResult {
    let is_root = name == crate::source::ROOT_FILE;
    let is_overrides = score::overrides_target(name).is_some();
    let mut specs = Vec::new();
    let mut score_sources = Vec::new();
    // A syntax error may hide the Platform document; don't also report it missing.
    let mut saw_platform = diagnostics.iter().any(Diagnostic::is_error);
    // A tree the YAML reader found nothing in has no duplicate key, so the typed model can be read
    // from the tree itself; any other is read from its JSON, as the schema saw it.
    let from_tree = diagnostics.is_empty();
    for root in nodes {
        let doc = Document {
            file,
            root,
            verbatim: true,
        };
        // An overrides file is plain data beside its Score workload: no `apiVersion`, no `kind`.
        let plain = matches!(doc.root.value, yaml::Value::Map(_))
            && doc.root.get("apiVersion").is_none()
            && doc.root.get("kind").is_none();
        let kind = if is_overrides && plain {
            Ok(SpecKind::ScoreOverrides)
        } else {
            schemas.kind_of(&doc)
        };
        let kind = match kind {
            Ok(kind) => kind,
            Err(diagnostic) => {
                // In `pave.yaml`, a document of unknown kind is likely a misspelt Platform.
                saw_platform = true;
                diagnostics.push(diagnostic);
                continue;
            }
        };
        saw_platform |= kind == SpecKind::Platform;
        if kind == SpecKind::Score {
            score_sources.extend(
                score::file_sources(&doc.root.to_json())
                    .into_iter()
                    .map(|source| (file, source)),
            );
        }
        if kind == SpecKind::Platform && !is_root {
            diagnostics.push(Diagnostic::new(
                DiagnosticKind::MisplacedPlatform,
                doc.head_span(),
            ));
            continue;
        }
        let json = (!schema_checked || !from_tree).then(|| doc.root.to_json());
        let errors = match &json {
            Some(json) if !schema_checked => schemas.check(kind, &doc, json),
            _ => Vec::new(),
        };
        if !errors.is_empty() {
            diagnostics.extend(errors);
            continue;
        }
        let json = json.filter(|_| !from_tree);
        let spec = match kind {
            SpecKind::Platform => typed(doc, json).map(|p| AnySpec::Platform(Box::new(p))),
            SpecKind::Environment => typed(doc, json).map(|e| AnySpec::Environment(Box::new(e))),
            SpecKind::Tenant => typed(doc, json).map(AnySpec::Tenant),
            SpecKind::Service => typed(doc, json).map(|s| AnySpec::Service(Box::new(s))),
            SpecKind::Waiver => typed(doc, json).map(AnySpec::Waiver),
            SpecKind::ResourceType => typed(doc, json).map(|r| AnySpec::ResourceType(Box::new(r))),
            SpecKind::Score => Ok(AnySpec::Score(doc)),
            SpecKind::ScoreOverrides => Ok(AnySpec::ScoreOverrides(doc)),
        };
        match spec {
            Ok(spec) => specs.push(spec),
            Err(diagnostic) => diagnostics.push(diagnostic),
        }
    }
    FileResult {
        specs,
        diagnostics,
        score_sources,
        saw_platform: saw_platform && is_root,
    }
}

/// Reads a schema-valid document into its typed form: from its tree, or (`json`, for a file whose
/// YAML had a diagnostic) from its JSON; both read alike (see [`node_deserializer`]). The schema
/// is meant to accept exactly what the model reads, so a failure here is a bug in pave.
fn typed<T: DeserializeOwned>(
    doc: Document,
    json: Option<serde_json::Value>,
) -> Result<Parsed<T>, Diagnostic> {
    /// `apiVersion` and `kind` are ignored (no `deny_unknown_fields`); a missing `spec` reads as
    /// an empty one.
    #[derive(serde::Deserialize)]
    struct Whole<T> {
        metadata: Metadata,
        spec: T,
    }
    let head = doc.head_span();
    let read = match json {
        // Read without tracking the path, which costs on every node; only a document that fails
        // is read again with it, to name the node.
        None => Whole::<T>::deserialize(node_deserializer::NodeDeserializer::root(&doc.root))
            .or_else(|_| {
                serde_path_to_error::deserialize::<_, Whole<T>>(
                    node_deserializer::NodeDeserializer::root(&doc.root),
                )
            })
            .map_err(|error| (error_path(error.path()), error.inner().to_string())),
        Some(mut json) => {
            if let Some(object) = json.as_object_mut() {
                object
                    .entry("spec")
                    .or_insert_with(|| serde_json::json!({}));
            }
            serde_path_to_error::deserialize::<_, Whole<T>>(json)
                .map_err(|error| (error_path(error.path()), error.inner().to_string()))
        }
    };
    match read {
        Ok(whole) => Ok(Parsed {
            doc,
            metadata: whole.metadata,
            spec: whole.spec,
        }),
        Err((path, message)) => Err(not_an_integer(&doc, &path).unwrap_or_else(|| {
            Diagnostic::new(
                DiagnosticKind::Internal {
                    message: format!("the schema accepted a document the model rejects: {message}"),
                },
                head,
            )
        })),
    }
}

/// A serde path as the segments [`Document::node`] takes.
pub(crate) fn error_path(path: &serde_path_to_error::Path) -> Vec<String> {
    path.iter()
        .filter_map(|segment| match segment {
            serde_path_to_error::Segment::Seq { index } => Some(index.to_string()),
            serde_path_to_error::Segment::Map { key } => Some(key.clone()),
            serde_path_to_error::Segment::Enum { variant } => Some(variant.clone()),
            serde_path_to_error::Segment::Unknown => None,
        })
        .collect()
}

/// A whole-number float (`8080.0`) where the model reads an integer: JSON Schema 2020-12 counts
/// it as an integer, so the schema lets it through, but YAML 1.2 reads it as a float and so do
/// the tools downstream (Kubernetes decodes `replicas: 2.0` into an `int32` with Go's
/// `encoding/json`, which refuses it), so it is the user's to fix, at the value. `None` when the
/// node at `path` is not one.
pub(crate) fn not_an_integer(doc: &Document, path: &[String]) -> Option<Diagnostic> {
    // serde names the node it failed on; an untagged enum (`replicas: 2` or `{min, max}`)
    // fails as a whole, so the float is looked for below it, in source order.
    let node = first_whole_float(doc.node(path)?)?;
    Some(Diagnostic::new(
        DiagnosticKind::WrongType {
            expected: "an integer".into(),
            found: doc_text_hint(node),
        },
        node.span,
    ))
}

/// The first whole-number float at or under `node`.
fn first_whole_float(node: &yaml::Node) -> Option<&yaml::Node> {
    match &node.value {
        yaml::Value::Float(f) if f.fract() == 0.0 => Some(node),
        yaml::Value::Seq(items) => items.iter().find_map(first_whole_float),
        yaml::Value::Map(entries) => entries.iter().find_map(|e| first_whole_float(&e.value)),
        _ => None,
    }
}

/// How a float node reads in a message.
fn doc_text_hint(node: &yaml::Node) -> String {
    match node.value {
        yaml::Value::Float(f) => format!("the float `{f:.1}`"),
        _ => node.type_name().to_string(),
    }
}

/// What reading the files found before parsing: bytes that are not a spec (not UTF-8, control
/// characters, too large) and symbolic links discovery did not follow.
fn source_problems(source_map: &SourceMap) -> Vec<Diagnostic> {
    use crate::source::SourceProblem;
    let mut out = Vec::new();
    for (id, file) in source_map.files() {
        let Some(problem) = file.problem else {
            continue;
        };
        let offset = problem.offset();
        let width = file
            .text
            .get(offset..)
            .and_then(|rest| rest.chars().next())
            .map_or(0, char::len_utf8);
        let span = crate::source::Span::new(id, offset, offset + width);
        let kind = match problem {
            SourceProblem::NotUtf8 { encoding, .. } => DiagnosticKind::InvalidEncoding {
                encoding: encoding.map(str::to_string),
            },
            SourceProblem::ControlCharacter { character, .. } => DiagnosticKind::ControlCharacter {
                character,
                in_value: false,
            },
            SourceProblem::TooLarge { size } => DiagnosticKind::FileTooLarge {
                size,
                limit: crate::source::MAX_SPEC_BYTES,
            },
        };
        out.push(Diagnostic::new(kind, span));
    }
    for skipped in source_map.skipped() {
        out.push(Diagnostic::unplaced(DiagnosticKind::SymlinkedSpec {
            name: skipped.name.clone(),
            target: skipped.target.clone(),
            is_dir: skipped.is_dir,
        }));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// stdlib's types read as a platform's do, without a diagnostic, each named after its file,
    /// and each of the six original types (which Score workloads name) is one of them.
    #[test]
    fn stdlib_types_read_without_diagnostics_and_are_named_after_their_files() {
        let source_map = crate::source::read_platform_from(std::path::Path::new("."), Vec::new());
        let mut diagnostics = Vec::new();
        let types = stdlib_resource_types(&source_map, &mut diagnostics);
        assert!(diagnostics.is_empty(), "{diagnostics:?}");
        let mut names = Vec::new();
        for parsed in &types {
            let file = &source_map.get(parsed.doc.file).name;
            assert_eq!(
                file,
                &format!("{}{}.yaml", crate::source::STDLIB_RESOURCES, parsed.name())
            );
            names.push(parsed.name().to_string());
        }
        for original in ResourceType::ALL {
            assert!(
                names.contains(&original.as_str().to_string()),
                "{original:?}"
            );
        }
    }
}
