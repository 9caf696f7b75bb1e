//! Policy: Rego guardrails, evaluated on the specs and on every generated object.
//!
//! In: the [`ResolvedSpec`] (for the Platform's switches and parameters, the waivers and the
//! spec documents) and the [`SourceMap`] (the policy files: stdlib's `stdlib/policies/*.rego`
//! and every `*.rego` of the platform). [`load`] compiles them once into a [`PolicySet`];
//! [`PolicySet::check_specs`] evaluates each spec document, [`PolicySet::check_tree`] each
//! generated object. Out: diagnostics, each at the spec node that caused it (through the
//! [`Provenance`] emitters record for a generated object), coded with the rule id.
//!
//! Inputs are shaped as conftest users expect: `input` is the document or object, `data.pave`
//! its context (see `docs/policies.md`). Each policy file is one rule: a package with a
//! `# METADATA` block (`rule.rs`) and `deny`, `violation` or `warn` sets of messages or of
//! `{"msg": ..., "path": [...]}` objects. Never reads files.

mod gatekeeper;
#[cfg(test)]
mod gatekeeper_parity;
mod reads;
mod rule;
pub(crate) mod secret;
mod value;
mod vm;

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::sync::{Mutex, OnceLock};

use rayon::prelude::*;
use regorus::Engine;
use serde_json::{Value as Json, json};

pub use gatekeeper::gatekeeper_rules;
pub use rule::{Rule, RuleParameters, Target};

use value::{at, field, record, string, strings, text};

use crate::cache::policy::{Key, PolicyCache};
use crate::diagnostic::{
    Diagnostic, DiagnosticKind, PolicyViolation, Severity, StageResult, suggest,
};
use crate::emit::{OutputTree, Provenance};
use crate::parse::Document;
use crate::parse::yaml::parse_yaml;
use crate::resolve::ResolvedSpec;
use crate::source::{FileId, Origin, SourceMap, Span};

/// A calendar date (UTC), for waiver expiry.
pub type Date = jiff::civil::Date;

/// Every rule, compiled once, with the Platform's switches and the waivers in force.
pub struct PolicySet {
    /// The interpreter, with every policy: built by [`load`] when it compiles the policies
    /// from source, else on first need (an input the compiled program cannot evaluate, or
    /// whose evaluation failed and needs the interpreter's wording of the error).
    engine: OnceLock<Engine>,
    /// The name and text of every policy file, to build the interpreter from.
    policy_files: Vec<(String, String)>,
    /// The compiled form to record in the policy cache, when a cache was given and did not
    /// hold this one (see [`load_reusing`]).
    recorded: Option<PolicyCache>,
    /// Sorted by id.
    rules: Vec<Rule>,
    /// The source text of each rule's file, by rule index (for Gatekeeper).
    sources: Vec<String>,
    /// The libraries (policy files without a rule): package without `data.`, and source.
    libraries: Vec<(String, String)>,
    /// Per target, the indices of its enabled rules.
    enabled: BTreeMap<Target, Vec<usize>>,
    /// The enabled rules on Kubernetes objects of each (group, kind) some rule names; every
    /// other kind gets those without `kinds`. Looked up for each generated object, by kind then
    /// group (so that a lookup borrows the object's strings rather than building a key).
    kind_rules: BTreeMap<String, BTreeMap<String, Vec<usize>>>,
    /// The enabled rules on Kubernetes objects of any other kind.
    other_kind_rules: Vec<usize>,
    waivers: Vec<ActiveWaiver>,
    /// The part of `data.pave` every input shares: platform, parameters, environments.
    base: serde_json::Map<String, Json>,
    /// The same, as the engine's value (shared, not copied, by every input's context).
    base_value: regorus::Value,
    /// The enabled rules compiled to bytecode, when the RVM compiles them (see `vm.rs`).
    programs: Option<vm::Programs>,
    /// Environment name to tier, for the context of generated objects.
    tiers: BTreeMap<String, &'static str>,
    /// A spec file's first document, where a finding with no finer place is shown.
    heads: BTreeMap<String, Span>,
    /// The waivers that waived a finding so far, by index.
    used: Mutex<BTreeSet<usize>>,
    /// By rule index, what of a generated object decides whether the rule finds anything, when
    /// the analysis of its Rego can tell (`reads.rs`): rules on Kubernetes objects only.
    reads: Vec<Option<reads::Reads>>,
    /// The views (a hash of the rule index and of what it reads) on which a rule found nothing:
    /// it finds nothing on any object with the same view, and is not evaluated on it again.
    /// The views are BLAKE3 hashes already: the set hashes them with foldhash, not SipHash.
    known_empty: Mutex<HashSet<[u8; 32], foldhash::fast::FixedState>>,
    /// By rule set (as [`PolicySet::object_rules`] returns them), the mask of what an object
    /// needs converted for their views (`ObjectCheck::mask`), when every rule's reads are known
    /// and none reads `data.pave.related`; built on first need.
    masks: OnceLock<BTreeMap<Vec<usize>, Option<crate::emit::Mask>>>,
    /// Whether answers are reused (off to compare against evaluating everything).
    memoise: bool,
    /// How many rule evaluations on generated objects were skipped, and how many run.
    memo_counts: Mutex<(u64, u64)>,
}

/// A waiver that has not expired.
struct ActiveWaiver {
    /// Its `metadata.name`.
    name: String,
    /// Its `metadata.name` node, where an unused waiver is reported.
    span: Span,
    rule: String,
    tenant: String,
    service: Option<String>,
    environments: Vec<String>,
}

impl ActiveWaiver {
    /// The label on a waiver of a finding's rule and tenant that does not cover it: what it
    /// covers, and where the finding is (`owner`), which it leaves.
    fn leaves(&self, owner: &Owner<'_>) -> String {
        let quoted = |names: &[String]| {
            names
                .iter()
                .map(|n| format!("`{n}`"))
                .collect::<Vec<_>>()
                .join(", ")
        };
        let covers = match (&self.service, self.environments.is_empty()) {
            (Some(service), true) => format!("service `{service}`"),
            (Some(service), false) => {
                format!("service `{service}` in {}", quoted(&self.environments))
            }
            (None, true) => format!("tenant `{}`", self.tenant),
            (None, false) => format!("tenant `{}` in {}", self.tenant, quoted(&self.environments)),
        };
        let mut here = match owner.service {
            Some(service) => format!("service `{service}`"),
            None => format!("tenant `{}`", self.tenant),
        };
        match owner.environment {
            Some(environment) => here.push_str(&format!(" in `{environment}`")),
            None if !self.environments.is_empty() => here.push_str(" in its spec"),
            None => {}
        }
        format!(
            "waiver `{}` covers {covers} only; {here} still violates",
            self.name
        )
    }
}

/// What a finding belongs to, for waivers.
#[derive(Default)]
struct Owner<'a> {
    tenant: Option<&'a str>,
    service: Option<&'a str>,
    environment: Option<&'a str>,
}

/// Compiles every policy, checks the switches and waivers against the rules they name, and
/// reports expired waivers (`today` is the caller's: the clock, or a fixed date in tests).
///
/// Fails only when the policies themselves are broken (Rego that does not compile, metadata,
/// clashing ids). Problems with switches and waivers are returned beside the set, errors
/// included: they do not stop the rules from running, so an expired waiver is reported with the
/// violations it no longer waives.
pub fn load(spec: &ResolvedSpec, source_map: &SourceMap, today: Date) -> StageResult<PolicySet> {
    load_reusing(spec, source_map, today, None)
}

/// What the policy cache keeps of the policies (`cache/policy.rs`): what [`load`] derives from
/// the Rego text and the Platform's switches alone, encoded with postcard.
#[derive(serde::Serialize, serde::Deserialize)]
struct Compiled {
    /// By policy file, in the source map's order: its package, as regorus named it.
    packages: Vec<String>,
    /// The RVM program (`vm::Programs::to_parts`), unless the RVM does not compile the rules.
    program: Option<vm::Parts>,
    /// By rule index, the reads analysis (`reads.rs`).
    reads: Vec<Option<reads::Reads>>,
}

/// [`Compiled`], decoded and its program read back.
struct Reused {
    packages: Vec<String>,
    programs: Option<vm::Programs>,
    reads: Vec<Option<reads::Reads>>,
}

impl Reused {
    /// `None` unless every part reads back whole.
    fn decode(bytes: &[u8]) -> Option<Reused> {
        let compiled: Compiled = postcard::from_bytes(bytes).ok()?;
        let programs = match compiled.program {
            Some((program, entries)) => Some(vm::Programs::from_parts(&program, entries)?),
            None => None,
        };
        Some(Reused {
            packages: compiled.packages,
            programs,
            reads: compiled.reads,
        })
    }
}

/// The key of the compiled policies in the policy cache: BLAKE3 of pave's build (regorus's
/// version with it), every policy file's name, origin and text in order, and the Platform's
/// `spec.policies` (switches, parameters, Gatekeeper).
pub fn cache_key(spec: &ResolvedSpec, source_map: &SourceMap) -> Key {
    let mut hasher = blake3::Hasher::new();
    let mut field = |bytes: &[u8]| {
        // Length-prefixed, so no two sequences of fields hash alike.
        hasher.update(&(bytes.len() as u64).to_le_bytes());
        hasher.update(bytes);
    };
    field(env!("PAVE_BUILD_ID").as_bytes());
    for (_, file) in source_map.files().filter(|(_, f)| f.is_policy()) {
        field(file.name.as_bytes());
        field(format!("{:?}", file.origin).as_bytes());
        field(file.text.as_bytes());
    }
    field(format!("{:?}", spec.platform.spec.policies).as_bytes());
    *hasher.finalize().as_bytes()
}

/// [`load`] through the policy cache (`cache/policy.rs`): with `cache` holding the compiled form
/// of these policies ([`cache_key`]), the program, the reads analysis and the packages are read
/// from it, and the interpreter is built only if a run needs it; else they are compiled from
/// source and, given a cache, recorded ([`PolicySet::recorded_cache`]). Reports what [`load`]
/// reports: only policies that compiled without a diagnostic are recorded, and the rest of
/// `load` (switches, waivers, context) runs every time.
pub fn load_reusing(
    spec: &ResolvedSpec,
    source_map: &SourceMap,
    today: Date,
    cache: Option<&PolicyCache>,
) -> StageResult<PolicySet> {
    let key = cache.map(|_| cache_key(spec, source_map));
    let policy_files: Vec<(FileId, &crate::source::SourceFile)> =
        source_map.files().filter(|(_, f)| f.is_policy()).collect();
    let reused = cache
        .zip(key.as_ref())
        .and_then(|(cache, key)| cache.get(key))
        .and_then(Reused::decode)
        .filter(|reused| reused.packages.len() == policy_files.len());
    let mut diagnostics = Vec::new();
    // From source only: a cached compile has the packages.
    let mut engine = reused.is_none().then(Engine::new);
    let mut file_packages = Vec::new();
    let mut rules: Vec<(Rule, String)> = Vec::new();
    let mut libraries = Vec::new();
    for (i, &(file, source)) in policy_files.iter().enumerate() {
        let package = match (&reused, engine.as_mut()) {
            (Some(reused), _) => reused.packages.get(i).cloned().unwrap_or_default(),
            (None, Some(engine)) => {
                match engine.add_policy(source.name.clone(), source.text.clone()) {
                    Ok(package) => package,
                    Err(error) => {
                        diagnostics.push(rego_error(&error.to_string(), file, source_map));
                        continue;
                    }
                }
            }
            (None, None) => continue,
        };
        file_packages.push(package.clone());
        match rule::read(file, &source.text, &package) {
            Ok(rule::Declared::Rule(mut rule)) => {
                rule.file_name.clone_from(&source.name);
                rules.push((*rule, source.text.clone()));
            }
            Ok(rule::Declared::Library) => {
                let package = package
                    .strip_prefix("data.")
                    .unwrap_or(&package)
                    .to_string();
                libraries.push((package, source.text.clone()));
            }
            Err(diagnostic) => diagnostics.push(diagnostic),
        }
    }
    // Stdlib's rules first, then the user's, so a clash is reported on the user's.
    rules.sort_by_key(|(rule, _)| source_map.get(rule.file).origin != Origin::Stdlib);
    let mut seen: BTreeMap<String, Span> = BTreeMap::new();
    let mut packages: BTreeSet<String> = BTreeSet::new();
    rules.retain(|(rule, _)| {
        if let Some(first) = seen.get(&rule.id) {
            diagnostics.push(
                Diagnostic::new(
                    DiagnosticKind::DuplicatePolicyRule {
                        rule: rule.id.clone(),
                    },
                    rule.span,
                )
                .with_related(*first, "first declared here"),
            );
            return false;
        }
        if !packages.insert(rule.package.clone()) {
            diagnostics.push(Diagnostic::new(
                DiagnosticKind::PolicyMetadata {
                    problem: format!(
                        "the package `{}` of `{}` holds another rule already: one rule per package",
                        rule.package, rule.id
                    ),
                },
                rule.span,
            ));
            return false;
        }
        seen.insert(rule.id.clone(), rule.span);
        true
    });
    rules.sort_by(|a, b| a.0.id.cmp(&b.0.id));
    let (rules, sources): (Vec<Rule>, Vec<String>) = rules.into_iter().unzip();
    let ids: Vec<&str> = rules.iter().map(|r| r.id.as_str()).collect();
    // Broken policies stop here; what follows is reported beside the working set.
    crate::diagnostic::sort_and_dedup(&mut diagnostics);
    if diagnostics.iter().any(Diagnostic::is_error) {
        return Err(diagnostics);
    }

    let platform = &spec.platform;
    let settings = &platform.spec.policies;
    let mut disabled = BTreeSet::new();
    for (i, id) in settings.disabled.iter().enumerate() {
        let span = platform.doc.span(&[
            "spec".into(),
            "policies".into(),
            "disabled".into(),
            i.to_string(),
        ]);
        if check_rule(id, &ids, span, &mut diagnostics) {
            disabled.insert(id.clone());
        }
    }
    let platform_json = platform.doc.root.to_json();
    for id in settings.parameters.keys() {
        let span = platform
            .doc
            .key_span(&["spec", "policies", "parameters", id.as_str()]);
        if !check_rule(id, &ids, span, &mut diagnostics) {
            continue;
        }
        // The settings against the schema the rule declares: a misspelt or mistyped setting
        // would otherwise switch the rule off without a word.
        if let Some(declared) = rules
            .iter()
            .find(|r| &r.id == id)
            .and_then(|r| r.parameters.as_ref())
        {
            let schema = json!({"properties": {"spec": {"properties": {"policies": {
                "properties": {"parameters": {"properties": {id.as_str(): declared.schema}}}
            }}}}});
            diagnostics.extend(crate::parse::check_against_schema(
                &schema,
                &platform.doc,
                &platform_json,
            ));
        }
    }
    if settings.gatekeeper.enabled {
        let runs = spec.addons.get("gatekeeper").is_some_and(|addon| {
            addon
                .instances
                .values()
                .any(|instance| instance.enabled.value)
        });
        if !runs {
            diagnostics.push(Diagnostic::new(
                DiagnosticKind::GatekeeperNotRunning,
                platform
                    .doc
                    .span(&["spec", "policies", "gatekeeper", "enabled"]),
            ));
        }
    }
    let mut waivers = Vec::new();
    for waiver in spec.waivers.values() {
        let w = &waiver.spec;
        if !check_rule(
            &w.rule,
            &ids,
            waiver.doc.span(&["spec", "rule"]),
            &mut diagnostics,
        ) {
            continue;
        }
        let expires_span = waiver.doc.span(&["spec", "expires"]);
        let Ok(expires) = w.expires.parse::<Date>() else {
            diagnostics.push(Diagnostic::new(
                DiagnosticKind::InvalidDate {
                    value: w.expires.clone(),
                },
                expires_span,
            ));
            continue;
        };
        if expires < today {
            diagnostics.push(Diagnostic::new(
                DiagnosticKind::ExpiredWaiver {
                    rule: w.rule.clone(),
                    expires: w.expires.clone(),
                    today: today.to_string(),
                },
                expires_span,
            ));
            continue;
        }
        waivers.push(ActiveWaiver {
            name: waiver.name().to_string(),
            span: waiver.doc.span(&["metadata", "name"]),
            rule: w.rule.clone(),
            tenant: w.tenant.clone(),
            service: w.service.clone(),
            environments: w.environments.clone(),
        });
    }

    let mut enabled = BTreeMap::new();
    for target in Target::ALL {
        let indices: Vec<usize> = rules
            .iter()
            .enumerate()
            .filter(|(_, r)| r.target == target && !disabled.contains(&r.id))
            .map(|(i, _)| i)
            .collect();
        if !indices.is_empty() {
            enabled.insert(target, indices);
        }
    }

    let environments: serde_json::Map<String, Json> = spec
        .environments
        .iter()
        .map(|(name, env)| {
            (
                name.clone(),
                json!({
                    "tier": env.tier.as_str(),
                    "account": env.parsed.spec.account,
                    "regions": env.parsed.spec.regions,
                }),
            )
        })
        .collect();
    let mut base = serde_json::Map::new();
    base.insert(
        "platform".into(),
        json!({
            "name": platform.name(),
            "registry": platform.spec.registry,
            "domain": platform.spec.domain,
            "regions": platform.spec.regions,
        }),
    );
    base.insert(
        "parameters".into(),
        Json::Object(settings.parameters.clone().into_iter().collect()),
    );
    base.insert("environments".into(), Json::Object(environments));
    let tiers = spec
        .environments
        .iter()
        .map(|(name, env)| (name.clone(), env.tier.as_str()))
        .collect();
    let mut heads = BTreeMap::new();
    for doc in spec_documents(spec) {
        heads
            .entry(source_map.get(doc.file).name.clone())
            .or_insert_with(|| doc.head_span());
    }

    // Analyse the policies now, once, rather than in every clone.
    if let Some(engine) = engine.as_mut()
        && let Err(error) = engine.eval_query("true".into(), false)
    {
        return Err(vec![Diagnostic::unplaced(DiagnosticKind::PolicyError {
            message: error.to_string(),
        })]);
    }
    let mut kind_rules = BTreeMap::new();
    for rule in rules.iter().filter(|r| r.target == Target::Kubernetes) {
        for kind in &rule.kinds {
            let (group, kind) = kind.rsplit_once('/').unwrap_or(("", kind));
            let matching = matching_rules(&rules, &enabled, Target::Kubernetes, group, kind);
            kind_rules
                .entry(kind.to_string())
                .or_insert_with(BTreeMap::new)
                .insert(group.to_string(), matching);
        }
    }
    let other_kind_rules = matching_rules(&rules, &enabled, Target::Kubernetes, "", "");
    let mut set = PolicySet {
        engine: engine.map(OnceLock::from).unwrap_or_default(),
        policy_files: policy_files
            .iter()
            .map(|(_, f)| (f.name.clone(), f.text.clone()))
            .collect(),
        recorded: None,
        rules,
        sources,
        libraries,
        enabled,
        waivers,
        base_value: regorus::Value::from(Json::Object(base.clone())),
        base,
        programs: None,
        kind_rules,
        other_kind_rules,
        tiers,
        heads,
        used: Mutex::default(),
        reads: Vec::new(),
        known_empty: Mutex::default(),
        masks: OnceLock::new(),
        memoise: true,
        memo_counts: Mutex::default(),
    };
    let sets = set.rule_sets();
    match reused {
        Some(reused) if reused.reads.len() == set.rules.len() => {
            set.programs = match reused.programs {
                Some(programs) if !programs.covers(&sets) => {
                    vm::Programs::compile(set.engine(), &set.rules, sets)
                }
                programs => programs,
            };
            set.reads = reused.reads;
        }
        _ => {
            set.programs = vm::Programs::compile(set.engine(), &set.rules, sets);
            set.reads = set.analyse_reads();
            // Recorded only when whole: a program that does not serialize is compiled again.
            let program = set.programs.as_ref().map(vm::Programs::to_parts);
            if let (Some(key), false) = (key, matches!(program, Some(None))) {
                let compiled = Compiled {
                    packages: file_packages,
                    program: program.flatten(),
                    reads: set.reads.clone(),
                };
                set.recorded = postcard::to_allocvec(&compiled)
                    .ok()
                    .map(|body| PolicyCache::new(key, body));
            }
        }
    }
    Ok((set, diagnostics))
}

/// The enabled rules on `target` about an input of this kind (`group` is the API group of a
/// Kubernetes object, empty for the core group and for specs), from the rules' `kinds`.
fn matching_rules(
    rules: &[Rule],
    enabled: &BTreeMap<Target, Vec<usize>>,
    target: Target,
    group: &str,
    kind: &str,
) -> Vec<usize> {
    enabled
        .get(&target)
        .into_iter()
        .flatten()
        .copied()
        .filter(|&i| {
            rules.get(i).is_some_and(|rule| {
                rule.kinds.is_empty()
                    || match target {
                        // Spec documents are named by kind alone (`Tenant`).
                        Target::Spec => rule.kinds.iter().any(|k| k == kind),
                        Target::Kubernetes => rule.kinds.iter().any(|k| {
                            let (g, k) = k.rsplit_once('/').unwrap_or(("", k));
                            g == group && k == kind
                        }),
                        Target::Terraform => true,
                    }
            })
        })
        .collect()
}

/// Reports a rule id no policy declares; returns whether it is known.
fn check_rule(id: &str, ids: &[&str], span: Span, diagnostics: &mut Vec<Diagnostic>) -> bool {
    if ids.contains(&id) {
        return true;
    }
    diagnostics.push(Diagnostic::new(
        DiagnosticKind::UnknownPolicyRule {
            rule: id.to_string(),
            suggestion: suggest(id, ids).map(str::to_string),
        },
        span,
    ));
    false
}

/// Every spec document a rule on specs sees, in file order.
fn spec_documents(spec: &ResolvedSpec) -> Vec<&Document> {
    let mut docs = vec![&spec.platform.doc];
    docs.extend(spec.environments.values().map(|e| &e.parsed.doc));
    docs.extend(spec.tenants.values().map(|t| &t.parsed.doc));
    docs.extend(spec.services.iter().map(|s| &s.parsed.doc));
    docs
}

/// Appends a node's value to `out`, unambiguously (a tag before each value, lengths before
/// strings and collections): two nodes with the same bytes have the same value, so the same
/// [`Node::to_json`](crate::parse::yaml::Node::to_json). Spans are left out.
fn write_value(node: &crate::parse::yaml::Node, out: &mut Vec<u8>) {
    use crate::parse::yaml::Value;
    let text = |tag: u8, text: &str, out: &mut Vec<u8>| {
        out.push(tag);
        out.extend_from_slice(&(text.len() as u64).to_le_bytes());
        out.extend_from_slice(text.as_bytes());
    };
    match &node.value {
        Value::Null => out.push(0),
        Value::Bool(b) => out.extend_from_slice(&[1, u8::from(*b)]),
        Value::Int(i) => {
            out.push(2);
            out.extend_from_slice(&i.to_le_bytes());
        }
        Value::Float(f) => {
            out.push(3);
            out.extend_from_slice(&f.to_bits().to_le_bytes());
        }
        Value::String(s) => text(4, s, out),
        Value::Seq(items) => {
            out.push(5);
            out.extend_from_slice(&(items.len() as u64).to_le_bytes());
            for item in items {
                write_value(item, out);
            }
        }
        Value::Map(entries) => {
            out.push(6);
            out.extend_from_slice(&(entries.len() as u64).to_le_bytes());
            for entry in entries {
                text(7, &entry.key, out);
                write_value(&entry.value, out);
            }
        }
    }
}

/// A spec document, what the rules on specs see of it, and its key (see
/// [`PolicySet::check_specs_reusing`]).
struct SpecInput<'a> {
    doc: &'a Document,
    kind: &'a str,
    name: &'a str,
    tenant: Option<&'a str>,
    service: Option<&'a str>,
    file: &'a str,
    rules: Vec<usize>,
    key: Option<String>,
}

/// One thing to evaluate.
struct Input<'a> {
    /// The rules to evaluate on it.
    rules: Vec<usize>,
    object: regorus::Value,
    /// `data.pave`: the shared context and the input's own.
    context: regorus::Value,
    place: Place<'a>,
    owner: Owner<'a>,
    /// Under the node: the generated object the rule looked at, if it is one.
    object_name: Option<String>,
}

/// How a finding's path becomes a span.
enum Place<'a> {
    Document(&'a Document),
    Generated {
        provenance: &'a Provenance,
        fallback: Option<Span>,
    },
}

/// One element of a rule's `deny`, `violation` or `warn` set.
struct Finding {
    rule: usize,
    severity: Severity,
    message: String,
    path: Vec<String>,
}

impl PolicySet {
    /// The rules, sorted by id.
    pub fn rules(&self) -> &[Rule] {
        &self.rules
    }

    /// The policy cache to write: the compiled form of these policies, when [`load_reusing`] was
    /// given a cache that did not hold it.
    pub fn recorded_cache(&self) -> Option<&PolicyCache> {
        self.recorded.as_ref()
    }

    /// The interpreter (built on first need, see [`PolicySet::engine`]'s field).
    fn engine(&self) -> &Engine {
        self.engine.get_or_init(|| {
            let mut engine = Engine::new();
            for (name, text) in &self.policy_files {
                // They compiled when the cache was recorded: an error here cannot be new, and
                // the rule's evaluation reports it if it were.
                let _ = engine.add_policy(name.clone(), text.clone());
            }
            // Analysed once, rather than in every clone.
            let _ = engine.eval_query("true".into(), false);
            engine
        })
    }

    /// Whether the rules run as compiled bytecode (else by the interpreter, several times
    /// slower: some rule uses what regorus's VM does not compile). `--timings` says which.
    pub fn compiled(&self) -> bool {
        self.programs.is_some()
    }

    /// Whether the Platform switched the rule off.
    fn is_enabled(&self, index: usize) -> bool {
        self.enabled
            .values()
            .any(|indices| indices.contains(&index))
    }

    /// The enabled rules on `target` about an input of this kind (`kinds` in their metadata).
    /// Kubernetes objects' rules are looked up in the index built by [`load`].
    fn rules_for(&self, target: Target, api_version: &str, kind: &str) -> Vec<usize> {
        if target == Target::Kubernetes {
            return self.object_rules(api_version, kind).to_vec();
        }
        let group = api_version.split_once('/').map_or("", |(group, _)| group);
        matching_rules(&self.rules, &self.enabled, target, group, kind)
    }

    /// [`PolicySet::rules_for`] a Kubernetes object, borrowed: looked up for every generated
    /// object, twice.
    fn object_rules(&self, api_version: &str, kind: &str) -> &[usize] {
        let group = api_version.split_once('/').map_or("", |(group, _)| group);
        self.kind_rules
            .get(kind)
            .and_then(|groups| groups.get(group))
            .unwrap_or(&self.other_kind_rules)
    }

    /// Every set of rules [`PolicySet::rules_for`] can return: one per target, and on spec
    /// documents and Kubernetes objects one per kind some rule names, plus the set for every
    /// other kind.
    fn rule_sets(&self) -> Vec<Vec<usize>> {
        let mut sets = vec![
            self.rules_for(Target::Spec, "", ""),
            self.rules_for(Target::Terraform, "", ""),
            self.rules_for(Target::Kubernetes, "", ""),
        ];
        for rule in self.rules.iter().filter(|r| r.target == Target::Spec) {
            for kind in &rule.kinds {
                sets.push(self.rules_for(Target::Spec, "", kind));
            }
        }
        sets.extend(self.kind_rules.values().flat_map(BTreeMap::values).cloned());
        sets
    }

    /// Evaluates the rules on specs against every spec document.
    pub fn check_specs(&self, spec: &ResolvedSpec, source_map: &SourceMap) -> Vec<Diagnostic> {
        self.check_specs_reusing(spec, source_map, None).0
    }

    /// [`check_specs`](Self::check_specs), skipping the documents whose key is in `known` (the
    /// keys of documents on which an earlier run found nothing); returns the diagnostics and,
    /// with `known`, the keys of this run's documents on which nothing was found. A document's
    /// key (hex BLAKE3) hashes everything its evaluation reads: pave's build, [`Self::digest`]
    /// (every rule's and library's source, the switches, the shared context, the waivers), the
    /// rules run on it, its own context (file, kind, name, tenant, service) and its value (for a
    /// document read verbatim, [`Document::verbatim`], its file's hash and its place there). With
    /// waivers in force nothing is skipped or returned: whether a waiver is used needs every
    /// finding.
    pub fn check_specs_reusing(
        &self,
        spec: &ResolvedSpec,
        source_map: &SourceMap,
        known: Option<&BTreeSet<String>>,
    ) -> (Vec<Diagnostic>, BTreeSet<String>) {
        let known = known.filter(|_| self.waivers.is_empty());
        let digest = known.map(|_| self.digest());
        // Each document's rules, context and key, in parallel: on a warm check nearly every
        // document is known, and this is all that is done with it.
        let documents: Vec<SpecInput<'_>> = spec_documents(spec)
            .into_par_iter()
            .map_init(Vec::new, |buffer, doc| {
                let kind = doc.root.get("kind").and_then(|n| n.as_str()).unwrap_or("");
                let rules = self.rules_for(Target::Spec, "", kind);
                if rules.is_empty() {
                    return None;
                }
                let name = doc
                    .node(&["metadata", "name"])
                    .and_then(|n| n.as_str())
                    .unwrap_or("");
                let tenant = match kind {
                    "Tenant" => Some(name),
                    "Service" => doc.node(&["metadata", "tenant"]).and_then(|n| n.as_str()),
                    _ => None,
                };
                let service = (kind == "Service").then_some(name);
                let file = source_map.get(doc.file).name.as_str();
                // A document read verbatim from its file is named by the file's hash, which the
                // inputs' hash and parse computed already, and the root's place in it: the same
                // name and text give the same trees, so the same value at the same place (hashing
                // every tree again took most of a warm check's rules on specs). A tree pave built
                // (a Score workload's Service) is written out from its nodes, not through JSON
                // (which most documents, unchanged, never need).
                let key = digest.as_ref().map(|digest| {
                    buffer.clear();
                    let mut part = |bytes: &[u8]| {
                        buffer.extend_from_slice(&(bytes.len() as u64).to_le_bytes());
                        buffer.extend_from_slice(bytes);
                    };
                    part(env!("PAVE_BUILD_ID").as_bytes());
                    part(digest.as_bytes());
                    for text in [Some(file), Some(kind), Some(name), tenant, service] {
                        // Absent and empty differ.
                        match text {
                            Some(text) => part(text.as_bytes()),
                            None => part(&[0xff]),
                        }
                    }
                    for &rule in &rules {
                        part(&(rule as u64).to_le_bytes());
                    }
                    if doc.verbatim {
                        buffer.push(0);
                        buffer.extend_from_slice(source_map.get(doc.file).hash());
                        buffer.extend_from_slice(&doc.root.span.start.to_le_bytes());
                        buffer.extend_from_slice(&doc.root.span.end.to_le_bytes());
                    } else {
                        buffer.push(1);
                        write_value(&doc.root, buffer);
                    }
                    blake3::hash(buffer).to_hex().to_string()
                });
                Some(SpecInput {
                    doc,
                    kind,
                    name,
                    tenant,
                    service,
                    file,
                    rules,
                    key,
                })
            })
            .flatten()
            .collect();
        let mut inputs = Vec::new();
        let mut keys = Vec::new();
        let mut found_nothing = BTreeSet::new();
        for document in documents {
            let SpecInput {
                doc,
                kind,
                name,
                tenant,
                service,
                file,
                rules,
                key,
            } = document;
            if let (Some(key), Some(known)) = (&key, known)
                && known.contains(key)
            {
                found_nothing.insert(key.clone());
                continue;
            }
            let json = doc.root.to_json();
            let mut context = vec![
                ("source", string("spec")),
                ("file", string(file)),
                (
                    "resource",
                    record([("kind", string(kind)), ("name", string(name))]),
                ),
            ];
            if let Some(tenant) = tenant {
                context.push(("tenant", string(tenant)));
            }
            if let Some(service) = service {
                context.push(("service", string(service)));
            }
            context.push(("secrets", secret::scan(&json)));
            keys.push(key);
            inputs.push(Input {
                rules,
                object: regorus::Value::from(json),
                context: self.context(context),
                place: Place::Document(doc),
                owner: Owner {
                    tenant,
                    service,
                    environment: None,
                },
                object_name: None,
            });
        }
        let per_input = self.evaluate_each(inputs);
        for (key, diagnostics) in keys.into_iter().zip(&per_input) {
            if let Some(key) = key
                && diagnostics.is_empty()
            {
                found_nothing.insert(key);
            }
        }
        (per_input.into_iter().flatten().collect(), found_nothing)
    }

    /// Evaluates the rules on Kubernetes objects and Terraform files against the generated tree.
    pub fn check_tree(&self, tree: &OutputTree) -> Vec<Diagnostic> {
        use crate::emit::OutputFile;
        // The objects some rule looks at (and the disruption budgets and autoscalers `related`
        // reads), by file and document, parsed in parallel.
        let candidates: Vec<(&String, &OutputFile, Target, Vec<DocumentRules>)> = tree
            .files
            .iter()
            .filter(|(_, file)| !file.checked)
            .filter_map(|(path, file)| {
                let target = if path.ends_with(".tf.json") {
                    Target::Terraform
                } else if path.ends_with(".yaml") && !path.ends_with("/kustomization.yaml") {
                    Target::Kubernetes
                } else {
                    return None;
                };
                let documents: Vec<DocumentRules> = file
                    .documents
                    .iter()
                    .enumerate()
                    .filter_map(|(i, document)| {
                        let provenance = &document.provenance;
                        let rules =
                            self.rules_for(target, &provenance.api_version, &provenance.kind);
                        // Autoscalers and disruption budgets are read for `related`.
                        (!rules.is_empty() || is_guard(&provenance.kind)).then_some((i, rules))
                    })
                    .collect();
                (!documents.is_empty()).then_some((path, file, target, documents))
            })
            .collect();
        // A file's objects: its documents, in order (a Terraform file is one).
        let parse = |file: &OutputFile, target: Target| -> Vec<regorus::Value> {
            match target {
                Target::Terraform => vec![
                    regorus::Value::from_json_str(&file.contents).unwrap_or(regorus::Value::Null),
                ],
                _ => {
                    let (nodes, _) = parse_yaml(FileId::new(0), &file.contents);
                    nodes
                        .iter()
                        .map(|n| regorus::Value::from(n.to_json()))
                        .collect()
                }
            }
        };
        let document = |values: &[regorus::Value], i: usize| {
            values.get(i).cloned().unwrap_or(regorus::Value::Null)
        };
        // The disruption budgets and autoscalers of each folder (one namespace), for `related`:
        // small objects, parsed first; every other object is parsed, evaluated and dropped in
        // one pass, so the tree's objects are never all in memory at once.
        let guard_objects: Vec<(&str, Vec<regorus::Value>)> = candidates
            .par_iter()
            .filter(|(_, file, target, documents)| {
                *target == Target::Kubernetes
                    && documents
                        .iter()
                        .any(|(i, _)| is_guard(&file.provenance(*i).kind))
            })
            .map(|(path, file, target, documents)| {
                let folder = path.rsplit_once('/').map_or("", |(dir, _)| dir);
                let values = parse(file, *target);
                let guards = documents
                    .iter()
                    .filter(|(i, _)| is_guard(&file.provenance(*i).kind))
                    .map(|(i, _)| document(&values, *i))
                    .collect();
                (folder, guards)
            })
            .collect();
        let mut guards: BTreeMap<&str, Guards> = BTreeMap::new();
        for (folder, objects) in guard_objects {
            for object in objects {
                guards.entry(folder).or_default().add(&object);
            }
        }
        let none = Guards::default();
        let per_file: Vec<Vec<Diagnostic>> = candidates
            .into_par_iter()
            .filter(|(.., documents)| documents.iter().any(|(_, rules)| !rules.is_empty()))
            .map_init(
                || self.worker(),
                |worker, (path, file, target, documents)| {
                    let values = parse(file, target);
                    let folder = path.rsplit_once('/').map_or("", |(dir, _)| dir);
                    let guards = guards.get(folder).unwrap_or(&none);
                    let mut diagnostics = Vec::new();
                    for (i, rules) in documents {
                        if rules.is_empty() {
                            continue;
                        }
                        let object = document(&values, i);
                        let provenance = file.provenance(i);
                        let input = self.generated_input(
                            path,
                            &file.source,
                            provenance,
                            target,
                            object,
                            rules,
                            guards,
                        );
                        diagnostics.extend(self.evaluate_one(worker, input));
                    }
                    diagnostics
                },
            )
            .collect();
        per_file.into_iter().flatten().collect()
    }

    /// The input of the rules `rules` on one generated object (of `file`, from `provenance`),
    /// with its context.
    #[expect(
        clippy::too_many_arguments,
        reason = "the parts of one input, each used once"
    )]
    fn generated_input<'a>(
        &'a self,
        path: &str,
        source: &str,
        provenance: &'a Provenance,
        target: Target,
        object: regorus::Value,
        rules: Vec<usize>,
        guards: &Guards,
    ) -> Input<'a> {
        let ctx = &provenance.context;
        let mut context = vec![("source", string(target.as_str())), ("file", string(path))];
        let mut put = |key: &'static str, value: &Option<String>| {
            if let Some(value) = value {
                context.push((key, string(value)));
            }
        };
        put("tenant", &ctx.tenant);
        put("environment", &ctx.environment);
        put("region", &ctx.region);
        put("cluster", &ctx.cluster);
        put("service", &ctx.service);
        put("addon", &ctx.addon);
        if let Some(tier) = ctx.environment.as_ref().and_then(|e| self.tiers.get(e)) {
            context.push(("tier", string(tier)));
        }
        let mut object_name = (target == Target::Terraform).then(|| format!("`{path}`"));
        if target == Target::Kubernetes {
            let kind = text(&object, &["kind"]);
            let name = text(&object, &["metadata", "name"]);
            object_name = Some(format!("{} `{}`", kind.unwrap_or(""), name.unwrap_or("")));
            let optional = |text: Option<&str>| text.map_or(regorus::Value::Null, string);
            // The same shape as a Gatekeeper Constraint's (`lower::GatekeeperPlan`), where it
            // lists every declared service of the cluster: here, the object's own service if
            // its spec declares a public ingress.
            let mut public = Vec::new();
            if ctx.public_ingress
                && let (Some(service), Some(namespace)) =
                    (&ctx.service, text(&object, &["metadata", "namespace"]))
            {
                public.push(record([
                    ("namespace", string(namespace)),
                    ("service", string(service)),
                ]));
            }
            context.push((
                "declared",
                record([("publicIngress", regorus::Value::from(public))]),
            ));
            context.push((
                "resource",
                record([
                    ("apiVersion", optional(text(&object, &["apiVersion"]))),
                    ("kind", optional(kind)),
                    ("name", optional(name)),
                    (
                        "namespace",
                        optional(text(&object, &["metadata", "namespace"])),
                    ),
                ]),
            ));
            context.push(("related", guards.related(&object)));
        }
        let context = self.context(context);
        Input {
            rules,
            object,
            context,
            place: Place::Generated {
                provenance,
                fallback: self.heads.get(source).copied(),
            },
            owner: Owner {
                tenant: ctx.tenant.as_deref(),
                service: ctx.service.as_deref(),
                environment: ctx.environment.as_deref(),
            },
            object_name,
        }
    }

    /// `data.pave` for one input: the shared context with the input's own entries.
    fn context(&self, own: Vec<(&'static str, regorus::Value)>) -> regorus::Value {
        let mut map: BTreeMap<regorus::Value, regorus::Value> = self
            .base_value
            .as_object()
            .map(|shared| shared.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
            .unwrap_or_default();
        map.extend(own.into_iter().map(|(key, value)| (value::key(key), value)));
        regorus::Value::from(map)
    }

    /// Evaluates the inputs in parallel, each engine a clone of the compiled one.
    /// The diagnostics of each input apart, in the inputs' order.
    fn evaluate_each(&self, inputs: Vec<Input<'_>>) -> Vec<Vec<Diagnostic>> {
        inputs
            .into_par_iter()
            .map_init(
                || self.worker(),
                |worker, input| self.evaluate_one(worker, input),
            )
            .collect()
    }

    /// A thread's evaluators.
    fn worker(&self) -> Worker {
        Worker {
            vm: self.programs.as_ref().map(vm::Programs::vm),
            engine: None,
        }
    }

    /// The findings of the rules `input.rules` on one input: by the compiled program, else by
    /// the interpreter (which also reports a rule's evaluation error).
    fn findings(
        &self,
        worker: &mut Worker,
        input: &mut Input<'_>,
    ) -> Result<Vec<Finding>, Diagnostic> {
        let indices = &input.rules;
        let object = std::mem::replace(&mut input.object, regorus::Value::Null);
        let context = std::mem::replace(&mut input.context, regorus::Value::Null);
        if let (Some(programs), Some(vm)) = (&self.programs, worker.vm.as_mut()) {
            let views = self.views(indices, &object, &context);
            let skip: Vec<bool> = match self.known_empty.lock() {
                Ok(known) => views
                    .iter()
                    .map(|view| view.is_some_and(|v| known.contains(&v)))
                    .collect(),
                Err(_) => vec![false; views.len()],
            };
            let skipped = skip.iter().filter(|&&s| s).count() as u64;
            if let Ok(mut counts) = self.memo_counts.lock() {
                counts.0 += skipped;
                counts.1 += skip.len() as u64 - skipped;
            }
            if skip.iter().all(|&s| s) {
                return Ok(Vec::new());
            }
            if let Some(value) = programs.evaluate(vm, indices, &object, &context, &skip) {
                let findings = read_packages(&value, indices);
                self.remember_empty(indices, &views, &skip, &findings);
                return Ok(findings);
            }
        }
        let packages: Vec<String> = indices
            .iter()
            .filter_map(|&i| self.rules.get(i))
            .map(|r| format!("data.{}", r.package))
            .collect();
        // `with` gives each package the object as `input` and its context as `data.pave`.
        let query = format!(
            "[{}] with input as input.object with data.pave as input.pave",
            packages.join(", ")
        );
        let engine = worker.engine.get_or_insert_with(|| self.engine().clone());
        let mut both = regorus::Value::new_object();
        if let Ok(map) = both.as_object_mut() {
            map.insert(regorus::Value::from("object"), object);
            map.insert(regorus::Value::from("pave"), context);
        }
        engine.set_input(both);
        match engine.eval_query(query, false) {
            Ok(results) => Ok(read_results(&results, indices)),
            Err(error) => Err(self.eval_error(&error.to_string(), indices)),
        }
    }

    fn evaluate_one(&self, worker: &mut Worker, mut input: Input<'_>) -> Vec<Diagnostic> {
        if input.rules.is_empty() {
            return Vec::new();
        }
        let findings = match self.findings(worker, &mut input) {
            Ok(findings) => findings,
            Err(error) => return vec![error],
        };
        findings
            .into_iter()
            .filter(|finding| match self.waiver_of(finding.rule, &input.owner) {
                Some(waiver) => {
                    if let Ok(mut used) = self.used.lock() {
                        used.insert(waiver);
                    }
                    false
                }
                None => true,
            })
            .filter_map(|finding| {
                let rule = self.rules.get(finding.rule)?;
                let span = match &input.place {
                    Place::Document(doc) => {
                        if finding.path.is_empty() {
                            doc.head_span()
                        } else {
                            doc.span(&finding.path)
                        }
                    }
                    Place::Generated {
                        provenance,
                        fallback,
                    } => provenance.span_of(&pointer(&finding.path)).or(*fallback)?,
                };
                let label = match &input.object_name {
                    Some(object) => format!("{}, in the generated {object}", rule.title),
                    None => rule.title.clone(),
                };
                let severity = if rule.severity == Severity::Error {
                    finding.severity
                } else {
                    Severity::Warning
                };
                let mut diagnostic = Diagnostic::new(
                    DiagnosticKind::PolicyViolation(Box::new(PolicyViolation {
                        rule: rule.id.clone(),
                        severity,
                        message: finding.message,
                        title: rule.title.clone(),
                        label,
                        help: Some(rule.description.clone()),
                    })),
                    span,
                );
                // A waiver of this rule for the tenant that covers other services or
                // environments: say what it leaves.
                for waiver in self
                    .waivers
                    .iter()
                    .filter(|w| w.rule == rule.id && input.owner.tenant == Some(w.tenant.as_str()))
                {
                    diagnostic = diagnostic.with_related(waiver.span, waiver.leaves(&input.owner));
                }
                Some(match &input.place {
                    Place::Document(_) if !finding.path.is_empty() => {
                        diagnostic.with_path(crate::parse::display_path(&finding.path))
                    }
                    _ => diagnostic,
                })
            })
            .collect()
    }

    /// What each rule of an analysis can tell reads (`reads.rs`), for the rules on Kubernetes
    /// objects; `None` for the others and for what the analysis cannot follow.
    fn analyse_reads(&self) -> Vec<Option<reads::Reads>> {
        let sources = self
            .rules
            .iter()
            .zip(&self.sources)
            .map(|(rule, source)| (rule.file_name.as_str(), source.as_str()))
            .chain(
                self.libraries
                    .iter()
                    .map(|(package, source)| (package.as_str(), source.as_str())),
            );
        let modules = reads::Modules::parse(sources);
        self.rules
            .iter()
            .map(|rule| {
                if rule.target != Target::Kubernetes {
                    return None;
                }
                modules.as_ref()?.reads(&rule.package)
            })
            .collect()
    }

    /// For each rule of `indices`, the hash of its index and of what it reads of the input, if
    /// answers are reused and the rule's reads are known.
    fn views(
        &self,
        indices: &[usize],
        object: &regorus::Value,
        context: &regorus::Value,
    ) -> Vec<Option<[u8; 32]>> {
        // The view is written out and hashed at once: BLAKE3 costs more per call than per byte.
        let mut buffer = Vec::new();
        indices
            .iter()
            .map(|&i| {
                let reads = self.reads.get(i)?.as_ref().filter(|_| self.memoise)?;
                buffer.clear();
                buffer.extend_from_slice(&(i as u64).to_le_bytes());
                reads.view(object, context, &mut buffer);
                Some(*blake3::hash(&buffer).as_bytes())
            })
            .collect()
    }

    /// The mask of each rule set on Kubernetes objects (see [`PolicySet::masks`]): what the
    /// rules' views read, and what [`PolicySet::generated_input`] reads of the object.
    fn object_masks(&self) -> BTreeMap<Vec<usize>, Option<crate::emit::Mask>> {
        use crate::emit::Mask;
        let context: [&[Option<&str>]; 5] = [
            &[Some("apiVersion")],
            &[Some("kind")],
            &[Some("metadata"), Some("name")],
            &[Some("metadata"), Some("namespace")],
            &[
                Some("spec"),
                Some("template"),
                Some("metadata"),
                Some("labels"),
            ],
        ];
        let sets = self
            .kind_rules
            .values()
            .flat_map(BTreeMap::values)
            .chain([&self.other_kind_rules]);
        sets.map(|set| {
            let mask = set.iter().try_fold(Mask::empty(), |mask, &i| {
                let reads = self.reads.get(i)?.as_ref()?;
                Some(mask.union(&reads.object_mask()?))
            });
            let mask = mask.map(|mask| {
                context
                    .iter()
                    .fold(mask, |mask, path| mask.union(&Mask::path(path)))
            });
            (set.clone(), mask)
        })
        .collect()
    }

    /// Records the views of the rules that were evaluated and found nothing.
    fn remember_empty(
        &self,
        indices: &[usize],
        views: &[Option<[u8; 32]>],
        skip: &[bool],
        findings: &[Finding],
    ) {
        let empty: Vec<[u8; 32]> = indices
            .iter()
            .zip(views)
            .zip(skip)
            .filter(|((rule, _), skipped)| !**skipped && !findings.iter().any(|f| f.rule == **rule))
            .filter_map(|((_, view), _)| *view)
            .collect();
        if empty.is_empty() {
            return;
        }
        if let Ok(mut known) = self.known_empty.lock() {
            known.extend(empty);
        }
    }

    /// Whether answers of rules on generated objects are reused (on by default). Off, every
    /// rule is evaluated on every object: what the soundness test compares against.
    pub fn set_memoise(&mut self, memoise: bool) {
        self.memoise = memoise;
    }

    /// How many rule evaluations on generated objects were reused (skipped), and how many ran.
    pub fn memo_counts(&self) -> (u64, u64) {
        match self.memo_counts.lock() {
            Ok(counts) => *counts,
            Err(poisoned) => *poisoned.into_inner(),
        }
    }

    /// A rule failed while evaluating (a type error in a builtin): the rule's own bug.
    fn eval_error(&self, message: &str, indices: &[usize]) -> Diagnostic {
        let rule = indices
            .iter()
            .filter_map(|&i| self.rules.get(i))
            .find(|r| message.contains(&format!("--> {}:", r.file_name)));
        let message = message.trim().replace('\n', " ");
        match rule {
            Some(rule) => Diagnostic::new(DiagnosticKind::PolicyError { message }, rule.span),
            None => Diagnostic::unplaced(DiagnosticKind::PolicyError { message }),
        }
    }

    /// The waivers that waived nothing in the checks run so far: warnings, once the specs and the
    /// tree are both checked.
    pub fn unused_waivers(&self) -> Vec<Diagnostic> {
        let used = match self.used.lock() {
            Ok(used) => used.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        };
        self.waivers
            .iter()
            .enumerate()
            .filter(|(i, _)| !used.contains(i))
            .map(|(_, w)| {
                Diagnostic::new(
                    DiagnosticKind::UnusedWaiver {
                        rule: w.rule.clone(),
                    },
                    w.span,
                )
            })
            .collect()
    }

    /// The index of the waiver that covers a finding of `rule` on `owner`'s object, if any.
    fn waiver_of(&self, rule: usize, owner: &Owner<'_>) -> Option<usize> {
        let rule = self.rules.get(rule)?;
        self.waivers.iter().position(|w| {
            w.rule == rule.id
                && owner.tenant == Some(w.tenant.as_str())
                && w.service
                    .as_deref()
                    .is_none_or(|s| owner.service == Some(s))
                && (w.environments.is_empty()
                    || owner
                        .environment
                        .is_some_and(|e| w.environments.iter().any(|w| w == e)))
        })
    }

    /// A digest (hex BLAKE3) of everything that decides what the policies find: every rule's and
    /// library's source, which rules are on, the shared context (parameters included) and the
    /// waivers in force.
    fn digest(&self) -> String {
        let mut hasher = blake3::Hasher::new();
        for (rule, source) in self.rules.iter().zip(&self.sources) {
            hasher.update(rule.id.as_bytes());
            hasher.update(&[0]);
            hasher.update(source.as_bytes());
            hasher.update(&[0]);
        }
        for (package, source) in &self.libraries {
            hasher.update(package.as_bytes());
            hasher.update(&[0]);
            hasher.update(source.as_bytes());
            hasher.update(&[0]);
        }
        hasher.update(format!("{:?}", self.enabled).as_bytes());
        hasher.update(Json::Object(self.base.clone()).to_string().as_bytes());
        for w in &self.waivers {
            hasher.update(
                format!(
                    "{}\0{}\0{:?}\0{:?}\0",
                    w.rule, w.tenant, w.service, w.environments
                )
                .as_bytes(),
            );
        }
        hasher.finalize().to_hex().to_string()
    }

    /// What lowering needs of the policies, as plain data: the rules Gatekeeper runs, the
    /// waivers in force, the shared context (the base of a Constraint's `parameters.pave`) and
    /// the digest.
    pub fn lowered(&self) -> crate::lower::Policies {
        crate::lower::Policies {
            gatekeeper_rules: gatekeeper_rules(self),
            waivers: self
                .waivers
                .iter()
                .map(|w| crate::lower::PolicyWaiver {
                    rule: w.rule.clone(),
                    tenant: w.tenant.clone(),
                    service: w.service.clone(),
                    environments: w.environments.clone(),
                })
                .collect(),
            context: Json::Object(self.base.clone()),
            digest: self.digest(),
        }
    }

    /// The enabled rules on Kubernetes objects, for Gatekeeper.
    fn kubernetes_rules(&self) -> impl Iterator<Item = (&Rule, &str)> {
        self.rules
            .iter()
            .zip(&self.sources)
            .enumerate()
            .filter(|(i, (rule, _))| rule.target == Target::Kubernetes && self.is_enabled(*i))
            .map(|(_, (rule, source))| (rule, source.as_str()))
    }
}

impl crate::emit::ObjectCheck for PolicySet {
    fn wants(&self, api_version: &str, kind: &str) -> bool {
        is_guard(kind) || !self.object_rules(api_version, kind).is_empty()
    }

    fn mask(&self, api_version: &str, kind: &str) -> Option<&crate::emit::Mask> {
        // A guard is read whole for `related`; without the program, nothing is reused.
        if is_guard(kind) || !self.memoise || self.programs.is_none() {
            return None;
        }
        let rules = self.object_rules(api_version, kind);
        if rules.is_empty() {
            return None;
        }
        self.masks
            .get_or_init(|| self.object_masks())
            .get(rules)?
            .as_ref()
    }

    fn answered(&self, path: &str, provenance: &Provenance, masked: &regorus::Value) -> bool {
        let rules = self.object_rules(&provenance.api_version, &provenance.kind);
        if rules.is_empty() || self.programs.is_none() {
            return false;
        }
        // Without the folder's guards: no rule with a mask reads `related`.
        let input = self.generated_input(
            path,
            "",
            provenance,
            Target::Kubernetes,
            masked.clone(),
            rules.to_vec(),
            &Guards::default(),
        );
        let views = self.views(&input.rules, &input.object, &input.context);
        let known = match self.known_empty.lock() {
            Ok(known) => views
                .iter()
                .all(|view| view.is_some_and(|v| known.contains(&v))),
            Err(_) => false,
        };
        if known && let Ok(mut counts) = self.memo_counts.lock() {
            counts.0 += views.len() as u64;
        }
        known
    }

    fn check_folder(
        &self,
        objects: Vec<(&str, &crate::emit::OutputFile, &Provenance, regorus::Value)>,
    ) -> Vec<Diagnostic> {
        let mut guards = Guards::default();
        for (_, _, provenance, object) in &objects {
            if is_guard(&provenance.kind) {
                guards.add(object);
            }
        }
        let mut worker = self.worker();
        let mut diagnostics = Vec::new();
        for (path, file, provenance, object) in objects {
            let rules = self.object_rules(&provenance.api_version, &provenance.kind);
            if rules.is_empty() {
                continue;
            }
            let rules = rules.to_vec();
            let input = self.generated_input(
                path,
                &file.source,
                provenance,
                Target::Kubernetes,
                object,
                rules,
                &guards,
            );
            diagnostics.extend(self.evaluate_one(&mut worker, input));
        }
        diagnostics
    }

    fn evaluates_every_time(&self, tenant: &str) -> bool {
        // Only a rule on Kubernetes objects reads a tenant folder (a waiver of a rule on specs
        // is used or not whatever the folders hold).
        self.waivers.iter().any(|waiver| {
            waiver.tenant == tenant
                && self
                    .rules
                    .iter()
                    .any(|rule| rule.id == waiver.rule && rule.target == Target::Kubernetes)
        })
    }
}

/// A document of a generated file (its index) and the rules to evaluate on it.
type DocumentRules = (usize, Vec<usize>);

/// Whether objects of this kind guard the workloads of their folder (see [`Guards`]).
fn is_guard(kind: &str) -> bool {
    matches!(kind, "PodDisruptionBudget" | "HorizontalPodAutoscaler")
}

/// The objects of one folder (namespace) that guard a workload, indexed once per folder: the
/// PodDisruptionBudgets by each label their selector requires, the autoscalers by the object they
/// scale.
#[derive(Default)]
struct Guards {
    /// Each budget's `matchLabels` and name.
    budgets: Vec<(Vec<(String, String)>, String)>,
    /// Label key, then value, to the budgets whose selector requires that label first.
    by_label: BTreeMap<String, BTreeMap<String, Vec<usize>>>,
    /// Kind, then name, of the scaled object to the autoscalers' names.
    autoscalers: BTreeMap<String, BTreeMap<String, Vec<String>>>,
}

impl Guards {
    fn add(&mut self, guard: &regorus::Value) {
        let name = text(guard, &["metadata", "name"]).unwrap_or("").to_string();
        match text(guard, &["kind"]) {
            Some("PodDisruptionBudget") => {
                let selector = strings(at(guard, &["spec", "selector", "matchLabels"]));
                let Some((key, value)) = selector.first() else {
                    return;
                };
                self.by_label
                    .entry(key.clone())
                    .or_default()
                    .entry(value.clone())
                    .or_default()
                    .push(self.budgets.len());
                self.budgets.push((selector, name));
            }
            Some("HorizontalPodAutoscaler") => {
                let target = at(guard, &["spec", "scaleTargetRef"]);
                if let (Some(kind), Some(scaled)) =
                    (text(target, &["kind"]), text(target, &["name"]))
                {
                    self.autoscalers
                        .entry(kind.to_string())
                        .or_default()
                        .entry(scaled.to_string())
                        .or_default()
                        .push(name);
                }
            }
            _ => {}
        }
    }

    /// `data.pave.related` of an object: the budgets whose selector matches its pod template's
    /// labels and the autoscalers that scale it, by name, in the folder's order.
    fn related(&self, object: &regorus::Value) -> regorus::Value {
        let kind = text(object, &["kind"]).unwrap_or("");
        let name = text(object, &["metadata", "name"]);
        let labels = at(object, &["spec", "template", "metadata", "labels"]);
        let label = |key: &str| field(labels, key).and_then(|v| v.as_string().ok());
        let mut matching = Vec::new();
        for (key, value) in labels.as_object().into_iter().flat_map(|map| map.iter()) {
            let (Ok(key), Ok(value)) = (key.as_string(), value.as_string()) else {
                continue;
            };
            let Some(budgets) = self
                .by_label
                .get(key.as_ref())
                .and_then(|values| values.get(value.as_ref()))
            else {
                continue;
            };
            matching.extend(budgets.iter().copied().filter(|&i| {
                self.budgets[i]
                    .0
                    .iter()
                    .all(|(k, v)| label(k).is_some_and(|found| found.as_ref() == v))
            }));
        }
        matching.sort_unstable();
        matching.dedup();
        let budgets: Vec<regorus::Value> = matching
            .iter()
            .map(|&i| string(&self.budgets[i].1))
            .collect();
        let autoscalers: Vec<regorus::Value> = name
            .and_then(|name| self.autoscalers.get(kind)?.get(name))
            .map(|names| names.iter().map(|name| string(name)).collect())
            .unwrap_or_default();
        record([
            ("podDisruptionBudgets", regorus::Value::from(budgets)),
            ("autoscalers", regorus::Value::from(autoscalers)),
        ])
    }
}

/// A thread's evaluators: a VM of the compiled program, and the interpreter (a clone of the
/// compiled engine, made on first need: an engine is not shared across threads).
struct Worker {
    vm: Option<regorus::rvm::vm::RegoVM>,
    engine: Option<Engine>,
}

/// The findings of one evaluation: the query's value is an array with one package per rule.
fn read_results(results: &regorus::QueryResults, indices: &[usize]) -> Vec<Finding> {
    match results.result.first().and_then(|r| r.expressions.first()) {
        Some(expression) => read_packages(&expression.value, indices),
        None => Vec::new(),
    }
}

/// The findings in an array with one object per rule (a package, or its `deny` / `violation` /
/// `warn` sets), in the order of `indices`.
fn read_packages(value: &regorus::Value, indices: &[usize]) -> Vec<Finding> {
    let mut findings = Vec::new();
    let Ok(packages) = serde_json::to_value(value) else {
        return findings;
    };
    let Some(packages) = packages.as_array() else {
        return findings;
    };
    for (package, &rule) in packages.iter().zip(indices) {
        for (set, severity) in [
            ("deny", Severity::Error),
            ("violation", Severity::Error),
            ("warn", Severity::Warning),
        ] {
            let Some(items) = package.get(set).and_then(Json::as_array) else {
                continue;
            };
            for item in items {
                let (message, path) = match item {
                    Json::String(message) => (message.clone(), Vec::new()),
                    Json::Object(fields) => (
                        fields
                            .get("msg")
                            .and_then(Json::as_str)
                            .unwrap_or("policy violation")
                            .to_string(),
                        fields.get("path").map(path_segments).unwrap_or_default(),
                    ),
                    other => (other.to_string(), Vec::new()),
                };
                findings.push(Finding {
                    rule,
                    severity,
                    message,
                    path,
                });
            }
        }
    }
    findings
}

/// A finding's `path`: an array of keys and indices, or a JSON pointer string.
fn path_segments(path: &Json) -> Vec<String> {
    match path {
        Json::Array(items) => items
            .iter()
            .map(|item| match item {
                Json::String(s) => s.clone(),
                other => other.to_string(),
            })
            .collect(),
        Json::String(pointer) => pointer
            .trim_start_matches('/')
            .split('/')
            .filter(|s| !s.is_empty())
            .map(|s| s.replace("~1", "/").replace("~0", "~"))
            .collect(),
        _ => Vec::new(),
    }
}

/// The JSON pointer of a path.
fn pointer(path: &[String]) -> String {
    path.iter()
        .map(|s| format!("/{}", s.replace('~', "~0").replace('/', "~1")))
        .collect()
}

/// Gives each policy finding without a `path` (those on generated objects, placed at the spec
/// node that decided the field) the data path of its node in its document, as other
/// diagnostics have: the spec files with such findings are parsed again (the spanned documents
/// are gone once the tree is built).
pub fn add_paths(diagnostics: &mut [Diagnostic], source_map: &SourceMap) {
    let mut parsed: BTreeMap<FileId, Vec<crate::parse::yaml::Node>> = BTreeMap::new();
    for diagnostic in diagnostics.iter_mut() {
        if diagnostic.path.is_some()
            || !matches!(*diagnostic.kind, DiagnosticKind::PolicyViolation(_))
        {
            continue;
        }
        let Some(span) = diagnostic.span else {
            continue;
        };
        let documents = parsed
            .entry(span.file)
            .or_insert_with(|| parse_yaml(span.file, &source_map.get(span.file).text).0);
        let mut path = Vec::new();
        // A finding with no finer place is shown at the document's `kind`: it has no path.
        if documents.iter().any(|doc| node_path(doc, span, &mut path))
            && !path.is_empty()
            && path != ["kind"]
        {
            diagnostic.path = Some(crate::parse::display_path(&path));
        }
    }
}

/// Whether `span` is the span of `node` or of a node or key under it; if so, `path` is the
/// path to it.
fn node_path(node: &crate::parse::yaml::Node, span: Span, path: &mut Vec<String>) -> bool {
    use crate::parse::yaml::Value;
    if node.span == span {
        return true;
    }
    if node.span.start > span.start || node.span.end < span.end {
        return false;
    }
    match &node.value {
        Value::Map(entries) => {
            for entry in entries {
                path.push(entry.key.clone());
                if entry.key_span == span || node_path(&entry.value, span, path) {
                    return true;
                }
                path.pop();
            }
        }
        Value::Seq(items) => {
            for (i, item) in items.iter().enumerate() {
                path.push(i.to_string());
                if node_path(item, span, path) {
                    return true;
                }
                path.pop();
            }
        }
        _ => {}
    }
    false
}

/// A regorus compile error (`--> file:line:col ... error: message`) as a diagnostic in its file.
fn rego_error(message: &str, file: FileId, source_map: &SourceMap) -> Diagnostic {
    let text = &source_map.get(file).text;
    let summary = message
        .lines()
        .rev()
        .find_map(|l| l.trim().strip_prefix("error: "))
        .unwrap_or(message.trim())
        .to_string();
    let location = message.lines().find_map(|l| l.trim().strip_prefix("--> "));
    let span = location.and_then(|loc| {
        let mut parts = loc.rsplitn(3, ':');
        let column: usize = parts.next()?.parse().ok()?;
        let line: usize = parts.next()?.parse().ok()?;
        let line_start: usize = text
            .split_inclusive('\n')
            .take(line.saturating_sub(1))
            .map(str::len)
            .sum();
        let line_text = text.get(line_start..)?.lines().next().unwrap_or("");
        let start = line_start
            + line_text
                .char_indices()
                .nth(column.saturating_sub(1))
                .map_or(line_text.len(), |(i, _)| i);
        let end = text
            .get(start..)
            .and_then(|rest| rest.find(|c: char| c.is_whitespace()))
            .map_or(start, |n| start + n.max(1));
        Some(Span::new(file, start, end))
    });
    let kind = DiagnosticKind::PolicyError { message: summary };
    match span {
        Some(span) => Diagnostic::new(kind, span),
        None => Diagnostic::new(kind, Span::new(file, 0, 0)),
    }
}

#[cfg(test)]
mod tests {
    //! Each stdlib rule on inputs no spec can produce yet (Terraform IAM documents, Crossplane
    //! Compositions): `check(rule, input, context)` evaluates one rule and returns its findings.

    use super::*;
    use crate::source::{STDLIB, STDLIB_POLICIES, SourceFile};

    /// `(message, path)` of each finding of the stdlib rule `id` on `input`, evaluated both by
    /// the compiled program and by the interpreter, which must agree.
    fn check(id: &str, input: Json, pave: Json) -> Vec<(String, Vec<String>)> {
        let mut source_map = SourceMap::default();
        for (path, text) in STDLIB
            .iter()
            .filter(|(p, _)| p.starts_with(STDLIB_POLICIES))
        {
            source_map.add(SourceFile::new(
                (*path).to_string(),
                (*text).to_string(),
                Origin::Stdlib,
            ));
        }
        let mut engine = Engine::new();
        let mut found = None;
        for (file, source) in source_map.files() {
            let Ok(name) = engine.add_policy(source.name.clone(), source.text.clone()) else {
                return vec![(format!("{} does not compile", source.name), Vec::new())];
            };
            if let Ok(rule::Declared::Rule(mut rule)) = rule::read(file, &source.text, &name)
                && rule.id == id
            {
                rule.file_name.clone_from(&source.name);
                found = Some(*rule);
            }
        }
        let Some(rule) = found else {
            return vec![(format!("no rule `{id}`"), Vec::new())];
        };
        let pairs = |findings: Vec<Finding>| -> Vec<(String, Vec<String>)> {
            findings.into_iter().map(|f| (f.message, f.path)).collect()
        };
        let object = regorus::Value::from(input);
        let context = regorus::Value::from(pave);
        let Some(programs) =
            vm::Programs::compile(&engine, std::slice::from_ref(&rule), vec![vec![0]])
        else {
            return vec![(format!("the RVM does not compile `{id}`"), Vec::new())];
        };
        let compiled = programs
            .evaluate(&mut programs.vm(), &[0], &object, &context, &[])
            .map(|value| pairs(read_packages(&value, &[0])));
        let mut both = regorus::Value::new_object();
        if let Ok(map) = both.as_object_mut() {
            map.insert(regorus::Value::from("object"), object);
            map.insert(regorus::Value::from("pave"), context);
        }
        engine.set_input(both);
        let query = format!(
            "[data.{}] with input as input.object with data.pave as input.pave",
            rule.package
        );
        let interpreted = match engine.eval_query(query, false) {
            Ok(results) => pairs(read_results(&results, &[0])),
            Err(error) => vec![(error.to_string(), Vec::new())],
        };
        assert_eq!(
            compiled.as_ref(),
            Some(&interpreted),
            "the compiled rule `{id}` disagrees with the interpreter"
        );
        interpreted
    }

    #[test]
    fn every_stdlib_rule_compiles_to_bytecode_alone_and_together() {
        let mut engine = Engine::new();
        let mut rules = Vec::new();
        for (path, text) in STDLIB
            .iter()
            .filter(|(p, _)| p.starts_with(STDLIB_POLICIES))
        {
            let added = engine.add_policy((*path).to_string(), (*text).to_string());
            assert!(added.is_ok(), "{path}: {added:?}");
            let name = added.unwrap_or_default();
            if let Ok(rule::Declared::Rule(mut rule)) = rule::read(FileId::new(0), text, &name) {
                rule.file_name = (*path).to_string();
                rules.push(*rule);
            }
        }
        assert!(rules.len() >= 17, "{} rules", rules.len());
        let mut sets: Vec<Vec<usize>> = (0..rules.len()).map(|i| vec![i]).collect();
        sets.push((0..rules.len()).collect());
        assert!(vm::Programs::compile(&engine, &rules, sets).is_some());
    }

    fn iam_file(policy: &Json) -> Json {
        json!({"resource": {"aws_iam_role_policy": {"api": {"name": "api", "policy": policy.to_string()}}}})
    }

    #[test]
    fn iam_no_wildcard_rejects_any_action_on_any_resource() {
        let admin = json!({"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": ["s3:GetObject"], "Resource": ["arn:aws:s3:::b/*"]},
            {"Effect": "Allow", "Action": "*", "Resource": "*"}
        ]});
        assert_eq!(
            check("iam-no-wildcard", iam_file(&admin), json!({})),
            vec![(
                "aws_iam_role_policy `api` allows `*` on `*`".to_string(),
                ["resource", "aws_iam_role_policy", "api", "policy"]
                    .map(String::from)
                    .to_vec()
            )]
        );
    }

    #[test]
    fn iam_no_wildcard_accepts_a_wildcard_on_one_side_only_or_a_deny() {
        let scoped = json!({"Statement": [
            {"Effect": "Allow", "Action": "*", "Resource": "arn:aws:s3:::b/*"},
            {"Effect": "Allow", "Action": ["s3:ListAllMyBuckets"], "Resource": "*"},
            {"Effect": "Deny", "Action": "*", "Resource": "*"}
        ]});
        assert_eq!(
            check("iam-no-wildcard", iam_file(&scoped), json!({})),
            vec![]
        );
    }

    fn composition(resources: Json) -> Json {
        json!({
            "apiVersion": "apiextensions.crossplane.io/v1",
            "kind": "Composition",
            "metadata": {"name": "s3-bucket-aws"},
            "spec": {"mode": "Pipeline", "pipeline": [
                {"step": "patch-and-transform", "input": {"resources": resources}}
            ]}
        })
    }

    fn block(all_on: bool) -> Json {
        json!({"name": "public-access-block", "base": {"kind": "BucketPublicAccessBlock", "spec": {"forProvider": {
            "blockPublicAcls": true, "blockPublicPolicy": true, "ignorePublicAcls": true,
            "restrictPublicBuckets": all_on
        }}}})
    }

    #[test]
    fn s3_not_public_needs_a_full_public_access_block() {
        let bucket =
            json!({"name": "bucket", "base": {"kind": "Bucket", "spec": {"forProvider": {}}}});
        let findings = check("s3-not-public", composition(json!([bucket])), json!({}));
        assert_eq!(findings.len(), 1);
        assert_eq!(
            findings[0].1,
            ["spec", "pipeline", "0", "input", "resources", "0"]
                .map(String::from)
                .to_vec()
        );
        let findings = check(
            "s3-not-public",
            composition(json!([bucket, block(false)])),
            json!({}),
        );
        assert_eq!(
            findings.iter().map(|f| f.0.as_str()).collect::<Vec<_>>(),
            [
                "the public access block of Composition `s3-bucket-aws` leaves `restrictPublicBuckets` off"
            ]
        );
        let public = json!({"name": "bucket", "base": {"kind": "Bucket", "spec": {"forProvider": {"acl": "public-read"}}}});
        assert_eq!(
            check(
                "s3-not-public",
                composition(json!([public, block(true)])),
                json!({})
            )
            .len(),
            1
        );
        assert_eq!(
            check(
                "s3-not-public",
                composition(json!([bucket, block(true)])),
                json!({})
            ),
            vec![]
        );
    }

    #[test]
    fn database_encrypted_needs_storage_and_cache_encryption() {
        let rds = |encrypted: bool| json!({"name": "instance", "base": {"kind": "Instance", "spec": {"forProvider": {"storageEncrypted": encrypted}}}});
        let cache = json!({"name": "cache", "base": {"kind": "ReplicationGroup", "spec": {"forProvider": {"atRestEncryptionEnabled": true}}}});
        let findings = check(
            "database-encrypted",
            composition(json!([rds(false), cache])),
            json!({}),
        );
        assert_eq!(
            findings.iter().map(|f| f.0.as_str()).collect::<Vec<_>>(),
            [
                "the Instance `instance` of Composition `s3-bucket-aws` does not set `storageEncrypted: true`",
                "the ReplicationGroup `cache` of Composition `s3-bucket-aws` does not set `transitEncryptionEnabled: true`",
            ]
        );
        assert_eq!(
            check(
                "database-encrypted",
                composition(json!([rds(true)])),
                json!({})
            ),
            vec![]
        );
    }

    fn postgres(parameters: Json) -> Json {
        json!({"apiVersion": "platform.pave.dev/v1alpha1", "kind": "PostgreSQLInstance",
               "metadata": {"name": "orders-db", "namespace": "shop-prod"},
               "spec": {"region": "us-east-1", "parameters": parameters}})
    }

    #[test]
    fn production_databases_are_protected_and_backed_up() {
        let prod = json!({"tier": "production"});
        let weak = postgres(json!({"deletionProtection": false, "backupRetentionDays": 1}));
        assert_eq!(
            check("database-deletion-protection", weak.clone(), prod.clone()),
            vec![(
                "PostgreSQLInstance `orders-db` has no deletion protection in production"
                    .to_string(),
                ["spec", "parameters", "deletionProtection"]
                    .map(String::from)
                    .to_vec()
            )]
        );
        assert_eq!(
            check("database-backups", weak.clone(), prod.clone())[0].0,
            "PostgreSQLInstance `orders-db` keeps backups 1 day(s) in production; at least 7 are needed"
        );
        // Outside production, and with the production class's settings, both pass.
        let dev = json!({"tier": "development"});
        assert_eq!(
            check("database-deletion-protection", weak.clone(), dev.clone()),
            vec![]
        );
        assert_eq!(check("database-backups", weak, dev), vec![]);
        let strong = postgres(json!({"deletionProtection": true, "backupRetentionDays": 14}));
        assert_eq!(
            check("database-deletion-protection", strong.clone(), prod.clone()),
            vec![]
        );
        assert_eq!(check("database-backups", strong, prod), vec![]);
    }
}
