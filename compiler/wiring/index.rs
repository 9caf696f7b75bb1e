//! The tree's objects parsed once, and for each cluster the objects Flux applies there, indexed
//! by kind, namespace and name.

use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use crate::emit::Json;
use rayon::prelude::*;

use crate::emit::{OutputFile, OutputTree, Provenance};
use crate::parse::yaml::parse_yaml;
use crate::source::FileId;

/// The namespace and the Git credentials Secret `flux bootstrap` creates
/// (fluxcd.io/flux/installation/bootstrap: `flux-system` in `flux-system`).
const BOOTSTRAP: &str = "flux-system";

/// One generated object (a YAML file's document, or a Terraform file).
pub(super) struct Object<'t> {
    pub path: &'t str,
    pub file: &'t OutputFile,
    /// Where it came from (its document's, in a file of several).
    pub provenance: &'t Provenance,
    pub value: Cow<'t, Json>,
    pub kind: String,
    pub api_version: String,
    pub name: String,
    pub namespace: Option<String>,
}

impl Object<'_> {
    /// The API group (`apps`, `kustomize.toolkit.fluxcd.io`; empty for the core group).
    pub(super) fn group(&self) -> &str {
        self.api_version
            .rsplit_once('/')
            .map_or("", |(group, _)| group)
    }

    /// "Deployment `web` (`tenants/shop/dev/workloads/...yaml`)", for labels.
    pub(super) fn describe(&self) -> String {
        format!("{} `{}` (`{}`)", self.kind, self.name, self.path)
    }
}

/// Kinds that have no namespace: found by name alone.
fn cluster_scoped(kind: &str) -> bool {
    matches!(
        kind,
        "Namespace"
            | "StorageClass"
            | "ClusterRole"
            | "ClusterRoleBinding"
            | "CustomResourceDefinition"
            | "Function"
            | "Provider"
            | "Configuration"
            | "DeploymentRuntimeConfig"
            | "Composition"
            | "CompositeResourceDefinition"
            | "EnvironmentConfig"
            | "ClusterProviderConfig"
            | "ProviderConfig"
            | "ClusterSecretStore"
            | "ClusterIssuer"
            | "NodePool"
            | "EC2NodeClass"
    ) || kind.starts_with("Cluster")
}

/// One cluster: the objects its Flux applies, with the namespace each lands in.
pub(super) struct Scope {
    pub name: String,
    /// Object index and the namespace it is applied in (`targetNamespace` decides).
    pub members: Vec<(usize, Option<String>)>,
    /// (kind, namespace or "", name) of every member.
    keys: HashSet<(String, String, String)>,
    /// Folders reached that this compile did not generate (reused unit folders): references into
    /// their namespaces cannot be decided, and are not reported.
    pub partial_namespaces: BTreeSet<String>,
    /// The cluster's Terraform root module folder (`terraform/<env>/<region>`), if any.
    pub module: Option<String>,
    /// (namespace, name) of every Secret something applied produces: Secret objects,
    /// ExternalSecrets' targets, managed resources' connection secrets, and bootstrap's.
    secrets: HashSet<(String, String)>,
    /// (API group, kind, name) of every ProviderConfig and ClusterProviderConfig: a managed
    /// resource's `providerConfigRef` names one of its own provider's group.
    provider_configs: Vec<(String, String, String)>,
    /// (API group, kind) of every member.
    kinds: HashSet<(String, String)>,
    /// Whether a StorageClass is annotated as the default.
    pub default_storage_class: bool,
}

impl Scope {
    /// Whether an object of `kind` named `name` is applied in `namespace` (ignored for
    /// cluster-scoped kinds).
    pub(super) fn has(&self, kind: &str, namespace: &str, name: &str) -> bool {
        let namespace = if cluster_scoped(kind) { "" } else { namespace };
        self.keys
            .contains(&(kind.to_string(), namespace.to_string(), name.to_string()))
    }

    /// Whether a provider config of `kind` named `name` belongs to the provider of the managed
    /// resources of API group `group`: Crossplane providers serve their configs in their root
    /// group (`aws.m.upbound.io`) and their resources in it or in its subgroups
    /// (`rds.aws.m.upbound.io`).
    pub(super) fn has_provider_config(&self, group: &str, kind: Option<&str>, name: &str) -> bool {
        self.provider_configs
            .iter()
            .any(|(config_group, config_kind, config_name)| {
                config_name == name
                    && kind.is_none_or(|kind| kind == config_kind)
                    && (group == config_group
                        || group
                            .strip_suffix(config_group.as_str())
                            .is_some_and(|prefix| prefix.ends_with('.')))
            })
    }

    /// Whether the cluster has an object of `group` whose kind is `kind`, or whose kind is
    /// `kind` without the leading `X` of a v1 composite (its claim).
    pub(super) fn has_kind(&self, group: &str, kind: &str) -> bool {
        self.kinds.contains(&(group.to_string(), kind.to_string()))
            || kind
                .strip_prefix('X')
                .is_some_and(|claim| self.kinds.contains(&(group.to_string(), claim.to_string())))
    }

    /// Whether something produces the Secret `name` in `namespace`.
    pub(super) fn has_secret(&self, namespace: &str, name: &str) -> bool {
        self.secrets
            .contains(&(namespace.to_string(), name.to_string()))
            || self.undecided(namespace)
    }

    /// Whether nothing can be said about `namespace` (it belongs to a reused folder).
    pub(super) fn undecided(&self, namespace: &str) -> bool {
        self.partial_namespaces.contains(namespace)
    }
}

/// The parsed tree.
pub(super) struct Index<'t> {
    pub objects: Vec<Object<'t>>,
    /// Every generated file's path.
    pub files: BTreeSet<&'t str>,
    /// Folders this compile did not generate (their files are on disk).
    pub reused: &'t BTreeSet<String>,
    /// Each reused folder's namespace.
    reused_namespaces: &'t BTreeMap<String, String>,
    /// Folder to its kustomization.yaml's `resources`.
    pub folders: BTreeMap<String, (usize, Vec<String>)>,
    /// A Terraform root module folder to its files' objects.
    pub modules: BTreeMap<String, Vec<usize>>,
    pub scopes: Vec<Scope>,
}

impl<'t> Index<'t> {
    pub(super) fn new(tree: &'t OutputTree, gitops_path: &str) -> Self {
        let parsed: Vec<Vec<Object<'t>>> = tree
            .files
            .par_iter()
            .map(|(path, file)| parse(path, file))
            .collect();
        let objects: Vec<Object<'t>> = parsed.into_iter().flatten().collect();
        let mut folders = BTreeMap::new();
        let mut modules: BTreeMap<String, Vec<usize>> = BTreeMap::new();
        let mut by_path: HashMap<&str, Vec<usize>> = HashMap::new();
        for (idx, object) in objects.iter().enumerate() {
            let dir = parent(object.path);
            by_path.entry(object.path).or_default().push(idx);
            if object.path.ends_with(".tf.json") {
                modules.entry(dir.to_string()).or_default().push(idx);
            } else if object.path.ends_with("/kustomization.yaml")
                && object.api_version.starts_with("kustomize.config.k8s.io/")
            {
                let resources = strings(object.value.get("resources"));
                folders.insert(dir.to_string(), (idx, resources));
            }
        }
        let mut index = Index {
            objects,
            files: tree.files.keys().map(String::as_str).collect(),
            reused: &tree.reused,
            reused_namespaces: &tree.reused_namespaces,
            folders,
            modules,
            scopes: Vec::new(),
        };
        index.scopes = index.clusters(gitops_path, &by_path);
        index
    }

    /// The add-ons' HelmReleases `scope` applies, each with its catalogue entry's facts (the
    /// add-on its provenance names, else the release's own name).
    pub(super) fn addon_releases<'i>(
        &'i self,
        scope: &'i Scope,
        facts: &'i super::Facts,
    ) -> impl Iterator<Item = (&'i Object<'t>, &'i super::facts::AddonFacts)> {
        scope.members.iter().filter_map(move |(idx, _)| {
            let object = &self.objects[*idx];
            if object.kind != "HelmRelease" || object.group() != "helm.toolkit.fluxcd.io" {
                return None;
            }
            let addon = object.provenance.context.addon.as_deref();
            let facts = facts.addons.get(addon.unwrap_or(&object.name))?;
            Some((object, facts))
        })
    }

    /// Whether `dir` is a folder of the tree with a kustomization.yaml (or one this compile
    /// reused).
    pub(super) fn is_kustomize_folder(&self, dir: &str) -> bool {
        self.folders.contains_key(dir) || self.is_reused(dir)
    }

    pub(super) fn is_reused(&self, path: &str) -> bool {
        self.reused
            .iter()
            .any(|reused| path == reused || path.starts_with(&format!("{reused}/")))
    }

    /// The folder a Flux Kustomization's `spec.path` names, relative to the output root.
    pub(super) fn flux_dir(path: &str, gitops_path: &str) -> Option<String> {
        let path = path
            .strip_prefix("./")
            .unwrap_or(path)
            .trim_end_matches('/');
        let prefix = gitops_path.trim_start_matches("./").trim_end_matches('/');
        if prefix.is_empty() || prefix == "." {
            return Some(path.to_string());
        }
        path.strip_prefix(prefix)
            .and_then(|rest| rest.strip_prefix('/'))
            .map(str::to_string)
    }

    /// Each cluster (`clusters/<name>/`, what `flux bootstrap` applies) and everything its Flux
    /// Kustomizations apply in turn.
    fn clusters(&self, gitops_path: &str, by_path: &HashMap<&str, Vec<usize>>) -> Vec<Scope> {
        let mut roots: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for dir in self.folders.keys() {
            let mut parts = dir.split('/');
            if let (Some("clusters"), Some(cluster), Some(_), None) =
                (parts.next(), parts.next(), parts.next(), parts.next())
            {
                roots
                    .entry(cluster.to_string())
                    .or_default()
                    .push(dir.clone());
            }
        }
        roots
            .into_iter()
            .map(|(name, dirs)| self.scope(name, dirs, gitops_path, by_path))
            .collect()
    }

    fn scope(
        &self,
        name: String,
        dirs: Vec<String>,
        gitops_path: &str,
        by_path: &HashMap<&str, Vec<usize>>,
    ) -> Scope {
        let mut queue: Vec<(String, Option<String>)> =
            dirs.into_iter().rev().map(|dir| (dir, None)).collect();
        let mut seen: HashSet<(String, Option<String>)> = HashSet::new();
        let mut members = Vec::new();
        let mut partial_namespaces = BTreeSet::new();
        while let Some((dir, target)) = queue.pop() {
            if !seen.insert((dir.clone(), target.clone())) {
                continue;
            }
            let Some((_, resources)) = self.folders.get(&dir) else {
                if self.is_reused(&dir) {
                    // Whatever it applies lands in its Kustomization's target namespace, or in
                    // the namespaces its own objects name: its unit's (a tenant's Flux folder
                    // applies the tenancy and workloads of its namespace).
                    partial_namespaces.extend(target.clone());
                    partial_namespaces.extend(
                        self.reused_namespaces
                            .iter()
                            .filter(|(reused, _)| {
                                dir == **reused || dir.starts_with(&format!("{reused}/"))
                            })
                            .map(|(_, namespace)| namespace.clone()),
                    );
                }
                continue;
            };
            for resource in resources {
                let path = join(&dir, resource);
                if self.folders.contains_key(&path) || self.is_reused(&path) {
                    queue.push((path, target.clone()));
                    continue;
                }
                for &idx in by_path.get(path.as_str()).into_iter().flatten() {
                    let object = &self.objects[idx];
                    let namespace = target.clone().or_else(|| object.namespace.clone());
                    if object.kind == "Kustomization"
                        && object.group() == "kustomize.toolkit.fluxcd.io"
                        && let Some(next) = object
                            .value
                            .pointer("/spec/path")
                            .and_then(Json::as_str)
                            .and_then(|path| Self::flux_dir(path, gitops_path))
                    {
                        let next_target = object
                            .value
                            .pointer("/spec/targetNamespace")
                            .and_then(Json::as_str)
                            .map(str::to_string);
                        queue.push((next, next_target));
                    }
                    members.push((idx, namespace));
                }
            }
        }
        let keys = members
            .iter()
            .map(|(idx, namespace)| {
                let object = &self.objects[*idx];
                let namespace = if cluster_scoped(&object.kind) {
                    String::new()
                } else {
                    namespace.clone().unwrap_or_default()
                };
                (object.kind.clone(), namespace, object.name.clone())
            })
            .collect();
        let module = self.module_of(&members);
        let mut provider_configs = Vec::new();
        let mut kinds = HashSet::new();
        for (idx, _) in &members {
            let object = &self.objects[*idx];
            if object.kind.ends_with("ProviderConfig") {
                provider_configs.push((
                    object.group().to_string(),
                    object.kind.clone(),
                    object.name.clone(),
                ));
            }
            kinds.insert((object.group().to_string(), object.kind.clone()));
        }
        let mut secrets = HashSet::from([(BOOTSTRAP.to_string(), BOOTSTRAP.to_string())]);
        let mut default_storage_class = false;
        for (idx, namespace) in &members {
            let object = &self.objects[*idx];
            let namespace = namespace.clone().unwrap_or_default();
            match object.kind.as_str() {
                "Secret" if object.api_version == "v1" => {
                    secrets.insert((namespace.clone(), object.name.clone()));
                }
                // ESO: `target.name` defaults to the ExternalSecret's name
                // (external-secrets.io/latest/api/spec, ExternalSecretTarget).
                "ExternalSecret" => {
                    let target = object
                        .value
                        .pointer("/spec/target/name")
                        .and_then(Json::as_str)
                        .unwrap_or(&object.name);
                    secrets.insert((namespace.clone(), target.to_string()));
                }
                // cert-manager writes a Certificate's key pair to `spec.secretName`.
                "Certificate" if object.group() == "cert-manager.io" => {
                    if let Some(name) = object
                        .value
                        .pointer("/spec/secretName")
                        .and_then(Json::as_str)
                    {
                        secrets.insert((namespace.clone(), name.to_string()));
                    }
                }
                "StorageClass" => {
                    default_storage_class |= object
                        .value
                        .pointer(
                            "/metadata/annotations/storageclass.kubernetes.io~1is-default-class",
                        )
                        .and_then(Json::as_str)
                        == Some("true");
                }
                _ => {}
            }
            // A managed resource's (or claim's) connection secret, written by its provider.
            if let Some(reference) = object.value.pointer("/spec/writeConnectionSecretToRef")
                && let Some(name) = reference.get("name").and_then(Json::as_str)
            {
                let namespace = reference
                    .get("namespace")
                    .and_then(Json::as_str)
                    .map_or(namespace, str::to_string);
                secrets.insert((namespace, name.to_string()));
            }
        }
        Scope {
            name,
            members,
            keys,
            partial_namespaces,
            module,
            secrets,
            provider_configs,
            kinds,
            default_storage_class,
        }
    }

    /// The Terraform root module of the cluster whose objects these are: the one of the same
    /// environment and region.
    fn module_of(&self, members: &[(usize, Option<String>)]) -> Option<String> {
        let context = members.iter().find_map(|(idx, _)| {
            let context = &self.objects[*idx].provenance.context;
            context.region.as_ref().map(|_| context)
        })?;
        self.modules
            .iter()
            .find(|(_, objects)| {
                objects.first().is_some_and(|idx| {
                    let other = &self.objects[*idx].provenance.context;
                    other.environment == context.environment && other.region == context.region
                })
            })
            .map(|(dir, _)| dir.clone())
    }
}

/// The objects of one generated file.
fn parse<'t>(path: &'t str, file: &'t OutputFile) -> Vec<Object<'t>> {
    let read = |i: usize| crate::emit::wiring_reads(&file.provenance(i).kind, path);
    if !(0..file.documents.len().max(1)).any(read) {
        return Vec::new();
    }
    // What emit converted from the typed objects; only files made otherwise are parsed.
    let values: Vec<(usize, Cow<'t, Json>)> = if file
        .documents
        .iter()
        .enumerate()
        .all(|(i, document)| document.object.is_some() || !read(i))
    {
        file.documents
            .iter()
            .enumerate()
            .filter(|&(i, _)| read(i))
            .filter_map(|(i, document)| Some((i, Cow::Borrowed(document.object.as_deref()?))))
            .collect()
    } else if path.ends_with(".tf.json") {
        serde_json::from_str::<serde_json::Value>(&file.contents)
            .into_iter()
            .map(|value| (0, Cow::Owned(Json::from(value))))
            .collect()
    } else if path.ends_with(".yaml") || path.ends_with(".yml") {
        let (nodes, _) = parse_yaml(FileId::new(0), &file.contents);
        nodes
            .iter()
            .enumerate()
            .filter(|&(i, _)| read(i))
            .map(|(i, node)| (i, Cow::Owned(Json::from(node.to_json()))))
            .collect()
    } else {
        Vec::new()
    };
    values
        .into_iter()
        .filter(|(_, value)| value.is_object())
        .map(|(i, value)| {
            let text = |pointer: &str| {
                value
                    .pointer(pointer)
                    .and_then(Json::as_str)
                    .map(str::to_string)
            };
            Object {
                path,
                file,
                provenance: file.provenance(i),
                kind: text("/kind").unwrap_or_default(),
                api_version: text("/apiVersion").unwrap_or_default(),
                name: text("/metadata/name").unwrap_or_default(),
                namespace: text("/metadata/namespace"),
                value,
            }
        })
        .collect()
}

pub(super) fn parent(path: &str) -> &str {
    path.rsplit_once('/').map_or("", |(dir, _)| dir)
}

/// `dir/relative`, with `./` and `../` steps resolved.
pub(super) fn join(dir: &str, relative: &str) -> String {
    let mut parts: Vec<&str> = dir.split('/').filter(|p| !p.is_empty()).collect();
    for part in relative.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            part => parts.push(part),
        }
    }
    parts.join("/")
}

/// A list of strings (other items ignored).
/// The items of the list at `key` of `value` (none when it is missing or not a list).
pub(super) fn items<'a>(value: &'a Json, key: &str) -> impl Iterator<Item = &'a Json> {
    value
        .get(key)
        .and_then(Json::as_array)
        .into_iter()
        .flatten()
}

pub(super) fn strings(value: Option<&Json>) -> Vec<String> {
    value
        .and_then(Json::as_array)
        .into_iter()
        .flatten()
        .filter_map(Json::as_str)
        .map(str::to_string)
        .collect()
}
