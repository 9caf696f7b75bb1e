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
    pub file: String,
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
        } else if let Some(resource) = resource_change(path, change, before, after) {
            resources.push(resource);
        }
    }
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

fn read_object(text: &str) -> Option<Object> {
    let (nodes, errors) = parse_yaml(FileId::new(0), text);
    if !errors.is_empty() || nodes.len() != 1 {
        return None;
    }
    let json = nodes.first()?.to_json();
    json.get("kind")?.as_str()?;
    json.get("metadata")?.get("name")?.as_str()?;
    let source = text
        .lines()
        .next()
        .and_then(|line| line.strip_prefix(GENERATED_HEADER))
        .and_then(|rest| rest.strip_prefix(" from "))
        .and_then(|rest| rest.split(';').next())
        .map(str::to_string);
    Some(Object { json, source })
}

fn resource_change(
    path: &str,
    change: Change,
    before: Option<&String>,
    after: Option<&String>,
) -> Option<ResourceChange> {
    if !(path.ends_with(".yaml") || path.ends_with(".yml")) || path.ends_with("kustomization.yaml")
    {
        return None;
    }
    let old = before.and_then(|t| read_object(t));
    let new = after.and_then(|t| read_object(t));
    let current = new.as_ref().or(old.as_ref())?;
    let json = &current.json;
    let api_version = json
        .get("apiVersion")
        .and_then(Json::as_str)
        .unwrap_or_default();
    let kind = json.get("kind").and_then(Json::as_str).unwrap_or_default();
    let group = api_version.rsplit_once('/').map(|(g, _)| g);
    let metadata = json.get("metadata");
    let text = |key: &str| {
        metadata
            .and_then(|m| m.get(key))
            .and_then(Json::as_str)
            .map(str::to_string)
    };
    let label = |key: &str| {
        metadata
            .and_then(|m| m.get("labels"))
            .and_then(|l| l.get(key))
            .and_then(Json::as_str)
            .map(str::to_string)
    };
    let masked = kind == "Secret" && group.is_none();
    let fields = match (&old, &new) {
        (Some(a), Some(b)) => fields::diff_fields(&a.json, &b.json, masked),
        _ => Vec::new(),
    };
    Some(ResourceChange {
        kind: match group {
            Some(group) => format!("{group}/{kind}"),
            None => kind.to_string(),
        },
        namespace: text("namespace"),
        name: text("name").unwrap_or_default(),
        change,
        owner: Owner {
            tenant: label(crate::lower::TENANT_LABEL),
            environment: label(crate::lower::ENVIRONMENT_LABEL),
            service: label("app.kubernetes.io/name"),
        },
        source: current.source.clone(),
        file: path.to_string(),
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
            let file = OutputFile {
                contents: (*contents).to_string(),
                source: String::new(),
                provenance: Default::default(),
                checked: false,
                object: None,
            };
            assert!(tree.insert((*path).to_string(), file).is_ok());
        }
        tree
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
