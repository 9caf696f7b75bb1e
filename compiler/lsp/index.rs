//! The names a platform defines and uses, with their spans: what go to definition, find
//! references, hover and completion look up. Built from the spanned YAML of each spec
//! ([`parse_yaml`]), each file on its own, so it holds for a platform that does not check: a
//! half-typed buffer loses its own names, not the others'.

use crate::parse::API_VERSION;
use crate::parse::yaml::{Node, Value, parse_yaml};
use crate::source::{FileId, Origin, STDLIB_RESOURCES, SourceMap, Span, stdlib_file};

/// A name in a platform, by what it names.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Symbol {
    Tenant(String),
    Environment(String),
    /// A service: its tenant and name.
    Service(String, String),
    /// An entry of a service's `spec.requires`: the service (`tenant/service`) and its name.
    Resource(String, String),
    /// A size class.
    Size(String),
    ResourceType(String),
    /// A resource class: its type and name.
    ResourceClass(String, String),
    /// A policy rule, by `custom.id`.
    Rule(String),
}

impl Symbol {
    /// What it is, for hover: "tenant `web`".
    pub(crate) fn describe(&self) -> String {
        match self {
            Symbol::Tenant(name) => format!("tenant `{name}`"),
            Symbol::Environment(name) => format!("environment `{name}`"),
            Symbol::Service(tenant, name) => format!("service `{name}` of tenant `{tenant}`"),
            Symbol::Resource(service, name) => {
                format!("managed resource `{name}` of service `{service}`")
            }
            Symbol::Size(name) => format!("size class `{name}`"),
            Symbol::ResourceType(name) => format!("resource type `{name}`"),
            Symbol::ResourceClass(type_, name) => format!("resource class `{name}` of `{type_}`"),
            Symbol::Rule(id) => format!("policy rule `{id}`"),
        }
    }
}

/// One place a name is written.
#[derive(Debug, Clone)]
pub(crate) struct Occurrence {
    pub(crate) span: Span,
    pub(crate) symbol: Symbol,
    /// Whether this place defines the name (`metadata.name`, a `requires` key, a class).
    pub(crate) definition: bool,
}

/// One YAML document of a user's spec file.
#[derive(Debug)]
pub(crate) struct SpecDoc {
    pub(crate) file: FileId,
    /// `kind` (`Service`), or `Score` for a Score workload; empty when missing.
    pub(crate) kind: String,
    pub(crate) name: String,
    /// A Service's `metadata.tenant`.
    pub(crate) tenant: Option<String>,
    pub(crate) root: Node,
}

/// The node under a cursor and its data path in its document.
pub(crate) struct Located<'a> {
    pub(crate) doc: &'a SpecDoc,
    /// Keys and, for list items, `[]`.
    pub(crate) path: Vec<String>,
    /// Whether the cursor is on a mapping key (the last element of `path`) rather than a value.
    pub(crate) on_key: bool,
    pub(crate) node: &'a Node,
}

/// Every spec document and every occurrence of a name, in file order.
#[derive(Debug, Default)]
pub(crate) struct Index {
    pub(crate) docs: Vec<SpecDoc>,
    pub(crate) occurrences: Vec<Occurrence>,
}

/// The list-item element of a data path.
pub(crate) const ITEM: &str = "[]";

impl Index {
    pub(crate) fn new(source_map: &SourceMap) -> Index {
        let mut index = Index::default();
        for (id, file) in source_map.files() {
            let yaml = file.name.ends_with(".yaml") || file.name.ends_with(".yml");
            match file.origin {
                Origin::User if file.is_policy() => index.rule_ids(id, &file.text),
                Origin::User if yaml && file.problem.is_none() => {
                    let (documents, _) = parse_yaml(id, &file.text);
                    for root in documents {
                        index.add_doc(id, &file.name, &file.text, root);
                    }
                }
                Origin::Stdlib if file.is_policy() => index.rule_ids(id, &file.text),
                Origin::Stdlib if file.name.starts_with(STDLIB_RESOURCES) => {
                    index.stdlib_resource(id, &file.name, &file.text);
                }
                _ => {}
            }
        }
        index
    }

    /// The documents of one text alone (for a buffer that does not parse as it is, with the
    /// line being typed blanked out).
    pub(crate) fn of_text(file: FileId, file_name: &str, text: &str) -> Index {
        let mut index = Index::default();
        let (documents, _) = parse_yaml(file, text);
        for root in documents {
            index.add_doc(file, file_name, text, root);
        }
        index
    }

    /// The occurrence under a cursor: the innermost one whose span holds it (its end included,
    /// so a cursor just after a name finds it).
    pub(crate) fn at(&self, file: FileId, offset: usize) -> Option<&Occurrence> {
        self.occurrences
            .iter()
            .filter(|o| o.span.file == file && contains(o.span, offset))
            .min_by_key(|o| o.span.len())
    }

    pub(crate) fn definitions(&self, symbol: &Symbol) -> impl Iterator<Item = &Occurrence> {
        self.occurrences
            .iter()
            .filter(move |o| o.definition && &o.symbol == symbol)
    }

    pub(crate) fn all(&self, symbol: &Symbol) -> impl Iterator<Item = &Occurrence> {
        self.occurrences.iter().filter(move |o| &o.symbol == symbol)
    }

    /// The names defined of one sort, sorted and without repeats (for completion).
    pub(crate) fn names(&self, of: impl Fn(&Symbol) -> Option<&str>) -> Vec<String> {
        let mut names: Vec<String> = self
            .occurrences
            .iter()
            .filter(|o| o.definition)
            .filter_map(|o| of(&o.symbol).map(str::to_string))
            .collect();
        names.sort();
        names.dedup();
        names
    }

    /// The document and node under a cursor.
    pub(crate) fn locate(&self, file: FileId, offset: usize) -> Option<Located<'_>> {
        let doc = self
            .docs
            .iter()
            .filter(|d| d.file == file)
            .find(|d| contains(d.root.span, offset))
            .or_else(|| {
                self.docs
                    .iter()
                    .rev()
                    .find(|d| d.file == file && d.root.span.start as usize <= offset)
            })?;
        let mut located = Located {
            doc,
            path: Vec::new(),
            on_key: false,
            node: &doc.root,
        };
        'descend: loop {
            match &located.node.value {
                Value::Map(entries) => {
                    for entry in entries {
                        if contains(entry.key_span, offset) {
                            located.path.push(entry.key.clone());
                            located.on_key = true;
                            located.node = &entry.value;
                            return Some(located);
                        }
                        if contains(entry.value.span, offset) {
                            located.path.push(entry.key.clone());
                            located.node = &entry.value;
                            continue 'descend;
                        }
                    }
                    return Some(located);
                }
                Value::Seq(items) => match items.iter().find(|i| contains(i.span, offset)) {
                    Some(item) => {
                        located.path.push(ITEM.to_string());
                        located.node = item;
                    }
                    None => return Some(located),
                },
                _ => return Some(located),
            }
        }
    }

    /// The service document (`Service`) of a tenant and name.
    pub(crate) fn service(&self, tenant: &str, name: &str) -> Option<&SpecDoc> {
        self.docs
            .iter()
            .find(|d| d.kind == "Service" && d.name == name && d.tenant.as_deref() == Some(tenant))
    }

    fn push(&mut self, span: Span, symbol: Symbol, definition: bool) {
        self.occurrences.push(Occurrence {
            span,
            symbol,
            definition,
        });
    }

    /// The `custom.id` lines of a policy's `# METADATA` block.
    fn rule_ids(&mut self, file: FileId, text: &str) {
        let mut offset = 0;
        for line in text.split_inclusive('\n') {
            let comment = line.trim_start().strip_prefix('#').map(str::trim_start);
            if let Some(id) = comment.and_then(|c| c.strip_prefix("id:")) {
                let id = id.trim();
                if let Some(at) = line.find(id).filter(|_| !id.is_empty()) {
                    let start = offset + at;
                    self.push(
                        Span::new(file, start, start + id.len()),
                        Symbol::Rule(id.to_string()),
                        true,
                    );
                }
            }
            if !line.trim_start().starts_with('#') && !line.trim().is_empty() {
                break;
            }
            offset += line.len();
        }
    }

    /// A stdlib resource type (`stdlib/resources/<type>.yaml`) and its classes.
    fn stdlib_resource(&mut self, file: FileId, name: &str, text: &str) {
        let Some(type_) = name
            .strip_prefix(STDLIB_RESOURCES)
            .map(|n| n.trim_start_matches('/'))
            .and_then(|n| n.strip_suffix(".yaml"))
        else {
            return;
        };
        let (documents, _) = parse_yaml(file, text);
        let Some(root) = documents.into_iter().next() else {
            return;
        };
        self.push(
            Span::new(file, 0, 0),
            Symbol::ResourceType(type_.to_string()),
            true,
        );
        if let Some(Value::Map(classes)) = root.get("classes").map(|n| &n.value) {
            for class in classes {
                self.push(
                    class.key_span,
                    Symbol::ResourceClass(type_.to_string(), class.key.clone()),
                    true,
                );
            }
        }
    }

    fn add_doc(&mut self, file: FileId, file_name: &str, source: &str, root: Node) {
        let text = |node: Option<&Node>| node.and_then(Node::as_str).map(str::to_string);
        let metadata = root.get("metadata");
        let api_version = text(root.get("apiVersion")).unwrap_or_default();
        let kind = if api_version == crate::parse::SCORE_API_VERSION {
            "Score".to_string()
        } else if api_version == API_VERSION {
            text(root.get("kind")).unwrap_or_default()
        } else {
            String::new()
        };
        let name = text(metadata.and_then(|m| m.get("name"))).unwrap_or_default();
        let tenant = if kind == "Score" {
            // As `parse::score` reads it: the annotation, else the folder `tenants/<tenant>/`.
            let annotation = metadata
                .and_then(|m| m.get("annotations"))
                .and_then(|a| a.get("pave.dev/tenant"));
            text(annotation).or_else(|| match file_name.split('/').collect::<Vec<_>>()[..] {
                ["tenants", tenant, _, ..] => Some(tenant.to_string()),
                _ => None,
            })
        } else {
            text(metadata.and_then(|m| m.get("tenant")))
        };
        let doc = SpecDoc {
            file,
            kind,
            name,
            tenant,
            root,
        };
        let mut found = Vec::new();
        walk(&doc.root, &mut Vec::new(), &mut |path, node, key| {
            found.extend(occurrences(&doc, path, node, key));
        });
        if doc.kind == "Service"
            && let Some(tenant) = &doc.tenant
        {
            let service = format!("{tenant}/{}", doc.name);
            if let Some(spec) = doc.root.get("spec") {
                placeholders(spec, source, &service, &mut found);
            }
        }
        for (span, symbol, definition) in found {
            self.push(span, symbol, definition);
        }
        self.docs.push(doc);
    }
}

fn contains(span: Span, offset: usize) -> bool {
    span.start as usize <= offset && offset <= span.end as usize
}

/// Calls `visit` on every node (with `None`) and every mapping key (with the key's span), with
/// its data path.
fn walk(
    node: &Node,
    path: &mut Vec<String>,
    visit: &mut impl FnMut(&[String], &Node, Option<Span>),
) {
    visit(path, node, None);
    match &node.value {
        Value::Map(entries) => {
            for entry in entries {
                path.push(entry.key.clone());
                visit(path, &entry.value, Some(entry.key_span));
                walk(&entry.value, path, visit);
                path.pop();
            }
        }
        Value::Seq(items) => {
            for item in items {
                path.push(ITEM.to_string());
                walk(item, path, visit);
                path.pop();
            }
        }
        _ => {}
    }
}

/// What a node or key of a document names, by the kind of the document and the path; `key` is
/// the span of the key when the visit is about a key.
fn occurrences(
    doc: &SpecDoc,
    path: &[String],
    node: &Node,
    key: Option<Span>,
) -> Vec<(Span, Symbol, bool)> {
    let p: Vec<&str> = path.iter().map(String::as_str).collect();
    let value = node.as_str().map(str::to_string);
    let mut out = Vec::new();
    let mut value_is = |symbol: Option<Symbol>, definition: bool| {
        if key.is_none()
            && let Some(symbol) = symbol
        {
            out.push((node.span, symbol, definition));
        }
    };
    let tenant = doc.tenant.clone().unwrap_or_default();
    let service = format!("{tenant}/{}", doc.name);
    match (doc.kind.as_str(), p.as_slice()) {
        ("Tenant", ["metadata", "name"]) => value_is(value.map(Symbol::Tenant), true),
        ("Environment", ["metadata", "name"]) => value_is(value.map(Symbol::Environment), true),
        ("Service" | "Score", ["metadata", "name"]) => {
            value_is(value.map(|v| Symbol::Service(tenant.clone(), v)), true);
        }
        ("Service" | "Waiver", ["metadata" | "spec", "tenant"])
        | ("Tenant", ["spec", "network", "allowFrom", ITEM]) => {
            value_is(value.map(Symbol::Tenant), false);
        }
        ("Tenant", ["spec", "environments", ITEM])
        | ("Waiver", ["spec", "environments", ITEM])
        | ("Environment", ["spec", "promotion", "after"]) => {
            value_is(value.map(Symbol::Environment), false);
        }
        ("Service", ["spec", "dependsOn", ITEM]) => value_is(
            value.map(|v| match v.split_once('/') {
                Some((t, s)) => Symbol::Service(t.to_string(), s.to_string()),
                None => Symbol::Service(tenant.clone(), v),
            }),
            false,
        ),
        ("Waiver", ["spec", "service"]) => {
            let waived = text_at(&doc.root, &["spec", "tenant"]);
            value_is(
                value.map(|v| Symbol::Service(waived.unwrap_or_default(), v)),
                false,
            );
        }
        ("Waiver", ["spec", "rule"]) => value_is(value.map(Symbol::Rule), false),
        ("Service", ["spec", "size"] | ["spec", "environments", _, "size"]) => {
            value_is(value.map(Symbol::Size), false);
        }
        ("Service", ["spec", "requires", _, "type"]) => {
            value_is(value.map(Symbol::ResourceType), false);
        }
        ("Service", ["spec", "requires", request, "class"])
        | ("Service", ["spec", "environments", _, "requires", request, "class"]) => {
            let type_ = text_at(&doc.root, &["spec", "requires", request, "type"]);
            value_is(
                value.map(|v| Symbol::ResourceClass(type_.unwrap_or_default(), v)),
                false,
            );
        }
        ("Platform", ["spec", "resourceClasses", type_, "defaultClass"]) => {
            value_is(
                value.map(|v| Symbol::ResourceClass((*type_).to_string(), v)),
                false,
            );
        }
        _ => {}
    }
    if let Some(key_span) = key {
        let last = p.last().map(|k| (*k).to_string()).unwrap_or_default();
        let symbol = match (doc.kind.as_str(), p.as_slice()) {
            ("Service", ["spec", "environments", _]) | ("Tenant", ["spec", "quotas", _]) => {
                Some((Symbol::Environment(last), false))
            }
            ("Service", ["spec", "requires", _]) => Some((Symbol::Resource(service, last), true)),
            ("Service", ["spec", "environments", _, "requires", _]) => {
                Some((Symbol::Resource(service, last), false))
            }
            ("Platform", ["spec", "sizes", _]) => Some((Symbol::Size(last), true)),
            ("Platform", ["spec", "resourceClasses", _]) => {
                Some((Symbol::ResourceType(last), false))
            }
            ("Platform", ["spec", "resourceClasses", type_, "classes", _]) => {
                Some((Symbol::ResourceClass((*type_).to_string(), last), true))
            }
            _ => None,
        };
        if let Some((symbol, definition)) = symbol {
            out.push((key_span, symbol, definition));
        }
    }
    out
}

/// The string at a data path of a document.
fn text_at(root: &Node, path: &[&str]) -> Option<String> {
    let mut node = root;
    for key in path {
        node = node.get(key)?;
    }
    node.as_str().map(str::to_string)
}

/// The `${resources.NAME...}` and `${services.NAME...}` placeholders in a service's strings:
/// each resource NAME refers to the service's `requires.NAME`, each service NAME (`name` or
/// `tenant/name`, as `dependsOn` writes it) to that Service. Their places are found in the source
/// text of each string node, which holds a placeholder as written (it has no character YAML
/// escapes).
fn placeholders(node: &Node, source: &str, service: &str, out: &mut Vec<(Span, Symbol, bool)>) {
    match &node.value {
        Value::String(value) if value.contains("${resources.") || value.contains("${services.") => {
            let start = node.span.start as usize;
            let written = source
                .get(start..node.span.end as usize)
                .unwrap_or_default();
            for ((name_start, name_end), _) in resource_placeholders(written) {
                out.push((
                    Span::new(node.span.file, start + name_start, start + name_end),
                    Symbol::Resource(
                        service.to_string(),
                        written[name_start..name_end].to_string(),
                    ),
                    false,
                ));
            }
            let own_tenant = service.split_once('/').map_or("", |(tenant, _)| tenant);
            for ((name_start, name_end), _) in placeholder_names(written, "${services.", true) {
                let name = &written[name_start..name_end];
                let (tenant, target) = name.split_once('/').unwrap_or((own_tenant, name));
                out.push((
                    Span::new(node.span.file, start + name_start, start + name_end),
                    Symbol::Service(tenant.to_string(), target.to_string()),
                    false,
                ));
            }
        }
        Value::Map(entries) => {
            for entry in entries {
                placeholders(&entry.value, source, service, out);
            }
        }
        Value::Seq(items) => {
            for item in items {
                placeholders(item, source, service, out);
            }
        }
        _ => {}
    }
}

/// Where the resource and output names of each `${resources.NAME.OUTPUT}` in a text are: byte
/// ranges of NAME and of OUTPUT (empty when missing), relative to the text.
pub(crate) fn resource_placeholders(text: &str) -> Vec<((usize, usize), (usize, usize))> {
    placeholder_names(text, "${resources.", false)
}

/// The NAME and OUTPUT of each `<opening>NAME.OUTPUT}` in a text (`${resources.`,
/// `${services.`): byte ranges relative to the text, OUTPUT empty when missing. With `qualified`,
/// NAME may be `tenant/name`, as `dependsOn` writes a service of another tenant.
fn placeholder_names(
    text: &str,
    opening: &str,
    qualified: bool,
) -> Vec<((usize, usize), (usize, usize))> {
    let is_name = |c: char| c.is_ascii_alphanumeric() || c == '-' || c == '_';
    let mut out = Vec::new();
    let mut from = 0;
    while let Some(at) = text[from..].find(opening) {
        let name_start = from + at + opening.len();
        let rest = &text[name_start..];
        let name_len = rest
            .find(|c: char| !(is_name(c) || (qualified && c == '/')))
            .unwrap_or(rest.len());
        let name = (name_start, name_start + name_len);
        let output = match text[name.1..].strip_prefix('.') {
            Some(o) => (
                name.1 + 1,
                name.1 + 1 + o.find(|c| !is_name(c)).unwrap_or(o.len()),
            ),
            None => (name.1, name.1),
        };
        out.push((name, output));
        from = name.1;
    }
    out
}

/// The resource types a request may name, and each one's outputs with whether it is secret:
/// stdlib's (`stdlib/resources/`) and the platform's own `ResourceType` specs.
pub(crate) fn resource_types(index: &Index) -> Vec<(String, Vec<(String, bool)>)> {
    let mut types: Vec<(String, Vec<(String, bool)>)> = Vec::new();
    let stdlib = crate::source::STDLIB
        .iter()
        .filter(|(path, _)| path.starts_with(STDLIB_RESOURCES))
        .flat_map(|(_, text)| parse_yaml(FileId::new(0), text).0);
    let platform = index
        .docs
        .iter()
        .filter(|doc| doc.kind == "ResourceType")
        .map(|doc| doc.root.clone());
    for root in stdlib.chain(platform) {
        if let Some(defined) = data_type(&root)
            && !types.iter().any(|(name, _)| *name == defined.0)
        {
            types.push(defined);
        }
    }
    types.sort();
    types
}

/// A `kind: ResourceType` document's name and outputs.
fn data_type(root: &Node) -> Option<(String, Vec<(String, bool)>)> {
    if root.get("kind")?.as_str()? != "ResourceType" {
        return None;
    }
    let spec = root.get("spec")?;
    let name = root.get("metadata")?.get("name")?.as_str()?.to_string();
    let outputs = match &spec.get("outputs")?.value {
        Value::Seq(items) => items
            .iter()
            .filter_map(|output| {
                let name = output.get("name")?.as_str()?.to_string();
                let secret = matches!(
                    output.get("secret").map(|s| &s.value),
                    Some(Value::Bool(true))
                );
                Some((name, secret))
            })
            .collect(),
        _ => Vec::new(),
    };
    Some((name, outputs))
}

/// The names of the stdlib size classes (`stdlib/sizes.yaml`).
pub(crate) fn stdlib_sizes() -> Vec<String> {
    let Some(text) = stdlib_file("stdlib/sizes.yaml") else {
        return Vec::new();
    };
    let (documents, _) = parse_yaml(FileId::new(0), text);
    match documents.first().map(|d| &d.value) {
        Some(Value::Map(entries)) => entries.iter().map(|e| e.key.clone()).collect(),
        _ => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::source::read_platform_from;

    /// The index of a platform in memory, and each symbol's occurrences as `file:text` with
    /// whether each defines it.
    fn index(files: &[(&str, &str)]) -> (SourceMap, Index) {
        let source_map = read_platform_from(
            Path::new("."),
            files
                .iter()
                .map(|(n, t)| ((*n).to_string(), t.as_bytes().to_vec()))
                .collect(),
        );
        let index = Index::new(&source_map);
        (source_map, index)
    }

    fn places(
        source_map: &SourceMap,
        index: &Index,
        symbol: &Symbol,
    ) -> Vec<(String, String, bool)> {
        index
            .all(symbol)
            .map(|o| {
                let file = source_map.get(o.span.file);
                let text = &file.text[o.span.start as usize..o.span.end as usize];
                (file.name.clone(), text.to_string(), o.definition)
            })
            .collect()
    }

    #[test]
    fn names_are_found_where_they_are_defined_and_used() {
        let service = "apiVersion: pave.dev/v1alpha1\nkind: Service\nmetadata: {name: api, tenant: shop}\nspec:\n  env:\n    URL: \"postgres://${resources.db.host}:${resources.db.port}\"\n  requires:\n    db: {type: postgres}\n  dependsOn: [search, data/etl]\n";
        let score = "apiVersion: score.dev/v1b1\nmetadata: {name: search}\ncontainers: {}\n";
        let waiver = "apiVersion: pave.dev/v1alpha1\nkind: Waiver\nmetadata: {name: w}\nspec: {rule: my-rule, tenant: shop}\n";
        let rule = "# METADATA\n# custom:\n#   id: my-rule\npackage x\n";
        let (source_map, index) = index(&[
            ("tenants/shop/api.yaml", service),
            ("tenants/shop/search/score.yaml", score),
            ("waivers.yaml", waiver),
            ("policies/my-rule.rego", rule),
        ]);
        let db = Symbol::Resource("shop/api".into(), "db".into());
        let api = "tenants/shop/api.yaml".to_string();
        assert_eq!(
            places(&source_map, &index, &db),
            [
                (api.clone(), "db".into(), true),
                (api.clone(), "db".into(), false),
                (api.clone(), "db".into(), false)
            ]
        );
        // A Score workload's tenant comes from its folder, as `parse::score` reads it.
        let search = Symbol::Service("shop".into(), "search".into());
        assert_eq!(
            places(&source_map, &index, &search),
            [
                (api.clone(), "search".into(), false),
                (
                    "tenants/shop/search/score.yaml".into(),
                    "search".into(),
                    true
                )
            ]
        );
        let etl = Symbol::Service("data".into(), "etl".into());
        assert_eq!(
            places(&source_map, &index, &etl),
            [(api, "data/etl".into(), false)]
        );
        let rule = Symbol::Rule("my-rule".into());
        assert_eq!(
            places(&source_map, &index, &rule),
            [
                ("policies/my-rule.rego".into(), "my-rule".into(), true),
                ("waivers.yaml".into(), "my-rule".into(), false)
            ]
        );
    }

    #[test]
    fn resource_types_are_the_built_in_stdlib_and_platform_ones_with_their_secret_outputs() {
        let queue = "apiVersion: pave.dev/v1alpha1\nkind: ResourceType\nmetadata: {name: queue}\nspec:\n  outputs:\n  - {name: url, secret: true}\n  - {name: region, value: x}\n";
        let service = "apiVersion: pave.dev/v1alpha1\nkind: Service\nmetadata: {name: api, tenant: shop}\nspec:\n  env:\n    Q: ${services.data/etl.url}\n  dependsOn: [data/etl]\n";
        let (source_map, index) = index(&[("types/queue.yaml", queue), ("api.yaml", service)]);
        let types = resource_types(&index);
        let outputs = |name: &str| {
            types
                .iter()
                .find(|(t, _)| t == name)
                .map(|(_, outputs)| outputs.clone())
        };
        assert_eq!(
            outputs("queue"),
            Some(vec![("url".into(), true), ("region".into(), false)])
        );
        assert!(outputs("mssql").is_some_and(|o| o.contains(&("password".into(), true))));
        assert!(outputs("postgres").is_some_and(|o| o.contains(&("host".into(), true))));
        // A `${services.…}` placeholder names the Service as `dependsOn` does.
        let etl = Symbol::Service("data".into(), "etl".into());
        assert_eq!(
            places(&source_map, &index, &etl),
            [
                ("api.yaml".into(), "data/etl".into(), false),
                ("api.yaml".into(), "data/etl".into(), false)
            ]
        );
    }
}
