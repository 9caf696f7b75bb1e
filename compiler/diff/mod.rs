//! Diff: what a compile changes in a GitOps tree, at three levels: files (added, removed,
//! changed), resources (Kubernetes `group/Kind namespace/name`, grouped by tenant, environment and
//! service; Terraform addresses such as `aws_eks_cluster.main`, by root module; each naming the
//! spec that caused it) and fields (`spec.replicas: 2 → 3`, list items matched by name as
//! Kubernetes merges them). Every changed file is listed, also one that holds no resource.
//!
//! In: the old tree (files on disk, or the tree compiled from a git revision) and the new
//! [`OutputTree`]. Out: a [`TreeDiff`]. Never reads or writes files.

mod fields;
pub mod render;
mod secret;
mod terraform;

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;
use serde_json::Value as Json;

pub use fields::FieldChange;

use crate::emit::OutputTree;
use crate::parse::yaml::parse_yaml;
use crate::source::{FileId, GENERATED_HEADER};

/// What happened to a file or a resource.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Change {
    Added,
    Changed,
    Removed,
}

/// A changed file, with both contents for unified diffs.
#[derive(Debug, Clone, Serialize)]
pub struct FileChange {
    pub path: String,
    pub change: Change,
    #[serde(skip)]
    pub old: Option<String>,
    #[serde(skip)]
    pub new: Option<String>,
}

/// Who a resource belongs to, from pave's labels.
#[derive(Debug, Clone, Default, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Owner {
    pub tenant: Option<String>,
    pub environment: Option<String>,
    pub service: Option<String>,
}

/// A changed Kubernetes resource.
#[derive(Debug, Clone, Serialize)]
pub struct ResourceChange {
    /// `group/Kind` (`apps/Deployment`, `Namespace` for the core group).
    pub kind: String,
    pub namespace: Option<String>,
    pub name: String,
    pub change: Change,
    pub owner: Owner,
    /// The spec file that produced it (from the generated-file header).
    pub source: Option<String>,
    /// The file that holds it (the old tree's, for a removed object).
    pub file: String,
    /// The old tree's file, when it was another (the object moved, as to another layout).
    #[serde(skip)]
    pub old_file: Option<String>,
    pub fields: Vec<FieldChange>,
}

impl ResourceChange {
    /// `apps/Deployment backend-prod/order-service`.
    pub fn id(&self) -> String {
        match &self.namespace {
            Some(namespace) => format!("{} {namespace}/{}", self.kind, self.name),
            None => format!("{} {}", self.kind, self.name),
        }
    }
}

/// A changed block of a Terraform root module (`*.tf.json`).
#[derive(Debug, Clone, Serialize)]
pub struct TerraformChange {
    /// As `terraform plan` prints it: `aws_eks_cluster.main`, `data.aws_iam_policy_document.x`,
    /// `output.cluster_name`, `provider.aws`, `terraform`.
    pub address: String,
    /// The root module: the folder holding the file (`terraform/dev/eu-west-1`).
    pub module: String,
    pub change: Change,
    /// A managed resource (a `resource` block), which `terraform plan` counts.
    pub managed: bool,
    /// The spec file that produced it (from the file's `//` comment).
    pub source: Option<String>,
    pub file: String,
    pub fields: Vec<FieldChange>,
}

/// Counts for the summary line.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Summary {
    /// Kubernetes resources added, changed and deleted.
    pub add: usize,
    pub change: usize,
    pub delete: usize,
    /// Terraform managed resources to add, change and destroy, as `terraform plan` counts them.
    pub terraform_add: usize,
    pub terraform_change: usize,
    pub terraform_destroy: usize,
    pub files_added: usize,
    pub files_changed: usize,
    pub files_removed: usize,
    /// How many distinct tenants, environments and services the changes touch.
    pub tenants: usize,
    pub environments: usize,
    pub services: usize,
}

/// The whole difference between two trees.
#[derive(Debug, Clone, Default, Serialize)]
pub struct TreeDiff {
    pub summary: Summary,
    pub files: Vec<FileChange>,
    pub resources: Vec<ResourceChange>,
    /// Terraform blocks, sorted by module, file and address.
    pub terraform: Vec<TerraformChange>,
}

impl TreeDiff {
    pub fn is_empty(&self) -> bool {
        self.files.is_empty()
    }
}

/// Compares an old tree (path → contents) with a new one.
pub fn diff(old: &BTreeMap<String, String>, new: &OutputTree) -> TreeDiff {
    let mut files = Vec::new();
    let mut resources = Vec::new();
    let mut terraform = Vec::new();
    // The Kubernetes objects of the changed files on each side, matched by folder, kind,
    // namespace and name: a file may hold several (a workload's), and an object may move
    // between files of its folder (another layout) without changing.
    let mut objects: BTreeMap<ObjectKey, (Option<Located<'_>>, Option<Located<'_>>)> =
        BTreeMap::new();
    let paths: BTreeSet<&String> = old.keys().chain(new.files.keys()).collect();
    for path in paths {
        let before = old.get(path);
        let after = new.files.get(path).map(|f| &f.contents);
        let change = match (before, after) {
            (None, Some(_)) => Change::Added,
            (Some(_), None) => Change::Removed,
            (Some(a), Some(b)) if a != b => Change::Changed,
            _ => continue,
        };
        files.push(FileChange {
            path: path.clone(),
            change,
            old: before.cloned(),
            new: after.cloned(),
        });
        if path.ends_with(".tf.json") {
            terraform.extend(terraform::changes(path, before, after).unwrap_or_default());
        } else if is_object_file(path) {
            for (side, text) in [(0, before), (1, after)] {
                for object in text.map(|t| read_objects(t)).unwrap_or_default() {
                    let entry = objects.entry(object.key(path)).or_default();
                    let located = Some(Located { path, object });
                    if side == 0 {
                        entry.0 = located;
                    } else {
                        entry.1 = located;
                    }
                }
            }
        }
    }
    resources.extend(
        objects
            .into_values()
            .filter_map(|(before, after)| resource_change(before, after)),
    );
    resources.sort_by(|a, b| {
        (&a.owner, &a.kind, &a.namespace, &a.name).cmp(&(&b.owner, &b.kind, &b.namespace, &b.name))
    });
    let count = |c: Change| resources.iter().filter(|r| r.change == c).count();
    let count_terraform = |c: Change| {
        terraform
            .iter()
            .filter(|t| t.managed && t.change == c)
            .count()
    };
    let count_files = |c: Change| files.iter().filter(|f| f.change == c).count();
    let distinct = |f: &dyn Fn(&Owner) -> Option<String>| {
        resources
            .iter()
            .filter_map(|r| f(&r.owner))
            .collect::<BTreeSet<_>>()
            .len()
    };
    let summary = Summary {
        add: count(Change::Added),
        change: count(Change::Changed),
        delete: count(Change::Removed),
        terraform_add: count_terraform(Change::Added),
        terraform_change: count_terraform(Change::Changed),
        terraform_destroy: count_terraform(Change::Removed),
        files_added: count_files(Change::Added),
        files_changed: count_files(Change::Changed),
        files_removed: count_files(Change::Removed),
        tenants: distinct(&|o| o.tenant.clone()),
        environments: distinct(&|o| o.environment.clone()),
        services: distinct(&|o| match (&o.tenant, &o.service) {
            (Some(t), Some(s)) => Some(format!("{t}/{s}")),
            _ => None,
        }),
    };
    TreeDiff {
        summary,
        files,
        resources,
        terraform,
    }
}

/// A Kubernetes object read from a generated file.
struct Object {
    json: Json,
    source: Option<String>,
}

/// Where an object is found: its folder, `group/Kind`, namespace and name.
type ObjectKey = (String, String, Option<String>, String);

impl Object {
    fn text(&self, pointer: &str) -> Option<&str> {
        self.json.pointer(pointer).and_then(Json::as_str)
    }

    /// `apps/Deployment`, `Namespace` for the core group.
    fn kind(&self) -> String {
        let kind = self.text("/kind").unwrap_or_default();
        match self.text("/apiVersion").and_then(|v| v.rsplit_once('/')) {
            Some((group, _)) => format!("{group}/{kind}"),
            None => kind.to_string(),
        }
    }

    fn key(&self, path: &str) -> ObjectKey {
        (
            path.rsplit_once('/').map_or("", |(dir, _)| dir).to_string(),
            self.kind(),
            self.text("/metadata/namespace").map(str::to_string),
            self.text("/metadata/name").unwrap_or_default().to_string(),
        )
    }
}

/// An object and the file it is in.
struct Located<'a> {
    path: &'a str,
    object: Object,
}

/// Whether a file holds Kubernetes objects (YAML, not a `kustomization.yaml`).
fn is_object_file(path: &str) -> bool {
    (path.ends_with(".yaml") || path.ends_with(".yml")) && !path.ends_with("kustomization.yaml")
}

/// The objects of a generated file, one per YAML document with a `kind` and a name (none if the
/// file does not parse), each with the spec file its header names.
fn read_objects(text: &str) -> Vec<Object> {
    let (nodes, errors) = parse_yaml(FileId::new(0), text);
    if !errors.is_empty() {
        return Vec::new();
    }
    let source = text
        .lines()
        .next()
        .and_then(|line| line.strip_prefix(GENERATED_HEADER))
        .and_then(|rest| rest.strip_prefix(" from "))
        .and_then(|rest| rest.split(';').next())
        .map(str::to_string);
    nodes
        .iter()
        .map(|node| node.to_json())
        .filter(|json| {
            json.get("kind").and_then(Json::as_str).is_some()
                && json
                    .get("metadata")
                    .and_then(|m| m.get("name"))
                    .and_then(Json::as_str)
                    .is_some()
        })
        .map(|json| Object {
            json,
            source: source.clone(),
        })
        .collect()
}

/// The change of one object between the old and the new tree; `None` when it is the same on
/// both sides (it may have moved to another file of its folder: such a file shows as a file
/// change only).
fn resource_change(
    before: Option<Located<'_>>,
    after: Option<Located<'_>>,
) -> Option<ResourceChange> {
    let change = match (&before, &after) {
        (None, Some(_)) => Change::Added,
        (Some(_), None) => Change::Removed,
        (Some(a), Some(b))
            if a.object.json != b.object.json || a.object.source != b.object.source =>
        {
            Change::Changed
        }
        _ => return None,
    };
    let current = after.as_ref().or(before.as_ref())?;
    let object = &current.object;
    let label = |key: &str| {
        object
            .json
            .pointer("/metadata/labels")
            .and_then(|l| l.get(key))
            .and_then(Json::as_str)
            .map(str::to_string)
    };
    let kind = object.kind();
    let masked = kind == "Secret";
    let fields = match (&before, &after) {
        (Some(a), Some(b)) => fields::diff_fields(&a.object.json, &b.object.json, masked),
        _ => Vec::new(),
    };
    Some(ResourceChange {
        kind,
        namespace: object.text("/metadata/namespace").map(str::to_string),
        name: object
            .text("/metadata/name")
            .unwrap_or_default()
            .to_string(),
        change,
        owner: Owner {
            tenant: label(crate::lower::TENANT_LABEL),
            environment: label(crate::lower::ENVIRONMENT_LABEL),
            service: label("app.kubernetes.io/name"),
        },
        source: object.source.clone(),
        file: current.path.to_string(),
        old_file: before
            .as_ref()
            .map(|b| b.path)
            .filter(|path| *path != current.path)
            .map(str::to_string),
        fields,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::emit::OutputFile;

    fn tree(files: &[(&str, &str)]) -> OutputTree {
        let mut tree = OutputTree::default();
        for (path, contents) in files {
            let file = OutputFile::single(
                (*contents).to_string(),
                String::new(),
                Default::default(),
                false,
            );
            assert!(tree.insert((*path).to_string(), file).is_ok());
        }
        tree
    }

    fn deployment(name: &str, image: &str) -> String {
        format!(
            "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {name}\n  namespace: shop-dev\nspec:\n  image: {image}\n"
        )
    }

    fn service_account(name: &str) -> String {
        format!(
            "apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: {name}\n  namespace: shop-dev\n"
        )
    }

    /// A workload's file holds several objects: each is reported on its own, added, removed or
    /// changed with its fields, and the unchanged ones not at all.
    #[test]
    fn objects_of_a_multi_document_file_are_compared_one_by_one() {
        let header =
            format!("{GENERATED_HEADER} from tenants/shop/services/api.yaml; do not edit\n");
        let old: BTreeMap<String, String> = [(
            "tenants/shop/dev/workloads/api.yaml".to_string(),
            format!(
                "{header}{}---\n{}---\n{}",
                service_account("api"),
                deployment("api", "api:1"),
                deployment("api-old", "api:1")
            ),
        )]
        .into_iter()
        .collect();
        let new = tree(&[(
            "tenants/shop/dev/workloads/api.yaml",
            &format!(
                "{header}{}---\n{}---\n{}",
                service_account("api"),
                deployment("api", "api:2"),
                deployment("api-new", "api:1")
            ),
        )]);
        let tree_diff = diff(&old, &new);
        let changes: Vec<(String, Change, usize)> = tree_diff
            .resources
            .iter()
            .map(|r| (r.id(), r.change, r.fields.len()))
            .collect();
        assert_eq!(
            changes,
            [
                (
                    "apps/Deployment shop-dev/api".to_string(),
                    Change::Changed,
                    1
                ),
                (
                    "apps/Deployment shop-dev/api-new".to_string(),
                    Change::Added,
                    0
                ),
                (
                    "apps/Deployment shop-dev/api-old".to_string(),
                    Change::Removed,
                    0
                ),
            ]
        );
        assert!(
            tree_diff
                .resources
                .iter()
                .all(|r| r.source.as_deref() == Some("tenants/shop/services/api.yaml"))
        );
        assert_eq!(tree_diff.files.len(), 1);
    }

    /// An object moved to another file of its folder (the tree written with another layout) is
    /// the same object: unchanged, it is not reported; changed, it is reported once, at its new
    /// file, and its old file is not listed again among the other files.
    #[test]
    fn an_object_moved_to_another_file_of_its_folder_is_matched() {
        let header =
            format!("{GENERATED_HEADER} from tenants/shop/services/api.yaml; do not edit\n");
        let old: BTreeMap<String, String> = [
            (
                "tenants/shop/dev/workloads/apps_v1_deployment_api.yaml",
                format!("{header}{}", deployment("api", "api:1")),
            ),
            (
                "tenants/shop/dev/workloads/v1_serviceaccount_api.yaml",
                format!("{header}{}", service_account("api")),
            ),
        ]
        .into_iter()
        .map(|(p, c)| (p.to_string(), c))
        .collect();
        let new = tree(&[(
            "tenants/shop/dev/workloads/api.yaml",
            &format!(
                "{header}{}---\n{}",
                service_account("api"),
                deployment("api", "api:2")
            ),
        )]);
        let tree_diff = diff(&old, &new);
        assert_eq!(tree_diff.resources.len(), 1);
        let change = &tree_diff.resources[0];
        assert_eq!(
            (change.id().as_str(), change.change, change.file.as_str()),
            (
                "apps/Deployment shop-dev/api",
                Change::Changed,
                "tenants/shop/dev/workloads/api.yaml"
            )
        );
        let human = render::human(&tree_diff, false);
        assert!(!human.contains("apps_v1_deployment_api.yaml"), "{human}");
        assert!(human.contains("v1_serviceaccount_api.yaml"), "{human}");
    }

    /// A changed file pave cannot read as resources still shows, in every format.
    #[test]
    fn unreadable_files_appear_in_every_format() {
        let old: BTreeMap<String, String> = [
            ("terraform/dev/x/eks.tf.json", "{ not json"),
            ("tenants/a/dev/two.yaml", "a: 1\n---\nb: 2\n"),
        ]
        .into_iter()
        .map(|(p, c)| (p.to_string(), c.to_string()))
        .collect();
        let new = tree(&[
            ("terraform/dev/x/eks.tf.json", "{\"resource\": {}}\n"),
            ("tenants/a/dev/two.yaml", "a: 1\n---\nb: 3\n"),
        ]);
        let tree_diff = diff(&old, &new);
        assert_eq!(tree_diff.files.len(), 2);
        assert!(tree_diff.terraform.is_empty() && tree_diff.resources.is_empty());
        for text in [
            render::human(&tree_diff, false),
            render::markdown(&tree_diff),
            render::github(&tree_diff, ""),
            render::sarif(&tree_diff, ""),
            render::json(&tree_diff),
            render::unified(&tree_diff),
        ] {
            for path in ["terraform/dev/x/eks.tf.json", "tenants/a/dev/two.yaml"] {
                assert!(text.contains(path), "{path} missing from:\n{text}");
            }
        }
    }
}
