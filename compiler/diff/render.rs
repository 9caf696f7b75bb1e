//! The formats of a [`TreeDiff`]: human (coloured on a terminal), unified (exact file diffs),
//! JSON (documented by `schemas/diff.schema.json`), Markdown (a pull-request comment), GitHub
//! workflow annotations and SARIF.
//!
//! Human, Markdown, GitHub and SARIF show an identical change made in several places once: the
//! same field change of `aws_eks_cluster.main` in nine root modules is one entry listing the
//! nine, as is the same change of a Deployment in three environments.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use serde_json::Value as Json;

use super::{Change, FieldChange, FileChange, ResourceChange, Summary, TerraformChange, TreeDiff};
use crate::diagnostic::{github_data, github_property};

/// `3 to add, 2 to change, 1 to delete` for Kubernetes, then Terraform's own words
/// (`1 to add, 9 to change, 0 to destroy`) when Terraform changes.
pub fn summary_line(summary: &Summary) -> String {
    let kubernetes = format!(
        "{} to add, {} to change, {} to delete",
        summary.add, summary.change, summary.delete
    );
    let terraform = summary.terraform_add + summary.terraform_change + summary.terraform_destroy;
    if terraform == 0 {
        return kubernetes;
    }
    format!("{kubernetes}; Terraform: {}", terraform_line(summary))
}

/// `1 to add, 9 to change, 0 to destroy`, as `terraform plan` says it.
pub fn terraform_line(summary: &Summary) -> String {
    format!(
        "{} to add, {} to change, {} to destroy",
        summary.terraform_add, summary.terraform_change, summary.terraform_destroy
    )
}

/// How many tenants, environments and services the changes touch: the impact of a shared change.
pub fn impact_line(summary: &Summary) -> String {
    let plural = |n: usize, word: &str| format!("{n} {word}{}", if n == 1 { "" } else { "s" });
    format!(
        "touches {}, {}, {}",
        plural(summary.tenants, "tenant"),
        plural(summary.environments, "environment"),
        plural(summary.services, "service")
    )
}

fn value_text(value: Option<&Json>) -> String {
    match value {
        None => "(none)".into(),
        Some(Json::String(s)) => s.clone(),
        Some(other) => other.to_string(),
    }
}

/// `path: old → new`, as dyff shows a changed field.
fn field_line(field: &FieldChange) -> String {
    format!(
        "{}: {} → {}",
        field.path,
        value_text(field.old.as_ref()),
        value_text(field.new.as_ref())
    )
}

fn sign(change: Change) -> &'static str {
    match change {
        Change::Added => "+",
        Change::Changed => "~",
        Change::Removed => "-",
    }
}

fn verb(change: Change) -> &'static str {
    match change {
        Change::Added => "adds",
        Change::Changed => "changes",
        Change::Removed => "deletes",
    }
}

fn plural(n: usize, word: &str) -> String {
    format!("{n} {word}{}", if n == 1 { "" } else { "s" })
}

/// What makes two changes identical: the kind of change and every field's path and values.
fn fields_key(fields: &[FieldChange]) -> String {
    fields
        .iter()
        .map(|f| {
            format!(
                "{}\u{0}{}\u{0}{}",
                f.path,
                value_text(f.old.as_ref()),
                value_text(f.new.as_ref())
            )
        })
        .collect::<Vec<_>>()
        .join("\u{1}")
}

/// Identical changes made in several places (namespaces, environments, root modules), shown
/// once. `members` keeps the order of the diff and is never empty.
struct Group<'a, T> {
    first: &'a T,
    members: Vec<&'a T>,
}

fn group_by<'a, T, K: Ord>(items: &'a [T], key: impl Fn(&T) -> K) -> Vec<Group<'a, T>> {
    let mut index: BTreeMap<K, usize> = BTreeMap::new();
    let mut groups: Vec<Group<'a, T>> = Vec::new();
    for item in items {
        match index.get(&key(item)).and_then(|&i| groups.get_mut(i)) {
            Some(group) => group.members.push(item),
            None => {
                index.insert(key(item), groups.len());
                groups.push(Group {
                    first: item,
                    members: vec![item],
                });
            }
        }
    }
    groups
}

/// Kubernetes resources with the same change: for changed resources the kind and every field
/// change, whatever their names (a platform default that relabels every Namespace is one entry);
/// for added or deleted ones also the name (the same Deployment in three environments).
fn kubernetes_groups(diff: &TreeDiff) -> Vec<Group<'_, ResourceChange>> {
    group_by(&diff.resources, |r| {
        let name = match r.change {
            Change::Changed => String::new(),
            Change::Added | Change::Removed => r.name.clone(),
        };
        (r.change, r.kind.clone(), name, fields_key(&r.fields))
    })
}

/// Terraform blocks with the same address, file name and field changes, in any root module.
fn terraform_groups(diff: &TreeDiff) -> Vec<Group<'_, TerraformChange>> {
    let mut groups = group_by(&diff.terraform, |t| {
        (
            t.change,
            t.address.clone(),
            t.file.rsplit('/').next().unwrap_or_default().to_string(),
            fields_key(&t.fields),
        )
    });
    groups.sort_by(|a, b| {
        (sources(&a.members), &a.first.address).cmp(&(sources(&b.members), &b.first.address))
    });
    groups
}

fn list<'a>(items: impl Iterator<Item = &'a str>) -> Vec<&'a str> {
    items.collect::<BTreeSet<_>>().into_iter().collect()
}

/// The specs that caused a group's changes, `-` when unknown.
fn sources<T: Sourced>(members: &[&T]) -> String {
    let names = list(members.iter().filter_map(|m| m.source()));
    if names.is_empty() {
        "-".into()
    } else {
        names.join(", ")
    }
}

trait Sourced {
    fn source(&self) -> Option<&str>;
}

impl Sourced for ResourceChange {
    fn source(&self) -> Option<&str> {
        self.source.as_deref()
    }
}

impl Sourced for TerraformChange {
    fn source(&self) -> Option<&str> {
        self.source.as_deref()
    }
}

fn folder(file: &str) -> &str {
    file.rsplit_once('/').map_or("", |(dir, _)| dir)
}

/// `apps/Deployment backend-dev/orders`, or for a group
/// `apps/Deployment orders in 3 namespaces: backend-dev, backend-prod, backend-staging`.
fn kubernetes_label(group: &Group<'_, ResourceChange>) -> String {
    if group.members.len() == 1 {
        return group.first.id();
    }
    let n = group.members.len();
    let names = list(group.members.iter().map(|r| r.name.as_str()));
    // Where they are: the first list that tells every member apart.
    let namespaces = list(group.members.iter().filter_map(|r| r.namespace.as_deref()));
    let environments = list(
        group
            .members
            .iter()
            .filter_map(|r| r.owner.environment.as_deref()),
    );
    let folders = list(group.members.iter().map(|r| folder(&r.file)));
    let places = if namespaces.len() * names.len() >= n && namespaces.len() > 1 {
        format!(
            "{}: {}",
            plural(namespaces.len(), "namespace"),
            namespaces.join(", ")
        )
    } else if environments.len() * names.len() >= n && environments.len() > 1 {
        format!(
            "{}: {}",
            plural(environments.len(), "environment"),
            environments.join(", ")
        )
    } else {
        plural(folders.len(), "folder")
    };
    if names.len() == 1 {
        format!("{} {} in {places}", group.first.kind, group.first.name)
    } else {
        format!(
            "{} × {}: {} (in {places})",
            n,
            group.first.kind,
            names.join(", ")
        )
    }
}

/// The services a group belongs to, `(tenancy)` for resources of no service.
fn services(group: &Group<'_, ResourceChange>) -> String {
    let names = list(
        group
            .members
            .iter()
            .map(|r| r.owner.service.as_deref().unwrap_or("(tenancy)")),
    );
    names.join(", ")
}

/// `aws_eks_cluster.main (terraform/dev/eu-west-1)`, or for a group
/// `aws_eks_cluster.main in 9 modules: terraform/dev/eu-west-1, ...`.
fn terraform_label(group: &Group<'_, TerraformChange>) -> String {
    if group.members.len() == 1 {
        return format!("{} ({})", group.first.address, group.first.module);
    }
    let modules = list(group.members.iter().map(|t| t.module.as_str()));
    format!(
        "{} in {}: {}",
        group.first.address,
        plural(group.members.len(), "module"),
        modules.join(", ")
    )
}

/// A group's section: its tenants and environments.
fn section(group: &Group<'_, ResourceChange>) -> String {
    let tenants = list(
        group
            .members
            .iter()
            .map(|r| r.owner.tenant.as_deref().unwrap_or("(platform)")),
    );
    let environments = list(
        group
            .members
            .iter()
            .map(|r| r.owner.environment.as_deref().unwrap_or("(all)")),
    );
    if tenants.len() == 1 && environments.len() == 1 {
        format!("tenant {}, environment {}", tenants[0], environments[0])
    } else {
        format!(
            "{} {}; {} {}",
            if tenants.len() == 1 {
                "tenant"
            } else {
                "tenants"
            },
            tenants.join(", "),
            if environments.len() == 1 {
                "environment"
            } else {
                "environments"
            },
            environments.join(", ")
        )
    }
}

/// Kubernetes groups by section, each section's groups by service, kind and name.
fn sections(diff: &TreeDiff) -> BTreeMap<String, Vec<Group<'_, ResourceChange>>> {
    let mut sections: BTreeMap<String, Vec<Group<'_, ResourceChange>>> = BTreeMap::new();
    for group in kubernetes_groups(diff) {
        sections.entry(section(&group)).or_default().push(group);
    }
    for groups in sections.values_mut() {
        groups.sort_by_cached_key(|g| (services(g), g.first.kind.clone(), g.first.name.clone()));
    }
    sections
}

/// Files that hold no Kubernetes or Terraform change (a `kustomization.yaml`, a file pave cannot
/// read as resources): they still show, as files.
fn other_files(diff: &TreeDiff) -> Vec<&FileChange> {
    let covered: BTreeSet<&str> = diff
        .resources
        .iter()
        .flat_map(|r| std::iter::once(r.file.as_str()).chain(r.old_file.as_deref()))
        .chain(diff.terraform.iter().map(|t| t.file.as_str()))
        .collect();
    diff.files
        .iter()
        .filter(|f| !covered.contains(f.path.as_str()))
        .collect()
}

/// For people: grouped resources with their field changes, then the summary.
pub fn human(diff: &TreeDiff, color: bool) -> String {
    let paint = |change: Change, text: &str| {
        if !color {
            return text.to_string();
        }
        let code = match change {
            Change::Added => "32",
            Change::Changed => "33",
            Change::Removed => "31",
        };
        format!("\x1b[{code}m{text}\x1b[0m")
    };
    let mut out = String::new();
    if diff.is_empty() {
        out.push_str("No changes: the tree is what the specs produce.\n");
        return out;
    }
    for (heading, groups) in sections(diff) {
        let _ = writeln!(out, "{heading}");
        let mut last_heading = None;
        for group in &groups {
            let resource = group.first;
            let heading = format!("  {}  ({})", services(group), sources(&group.members));
            if last_heading.as_ref() != Some(&heading) {
                let _ = writeln!(out, "{heading}");
                last_heading = Some(heading);
            }
            let line = format!("{} {}", sign(resource.change), kubernetes_label(group));
            let _ = writeln!(out, "    {}", paint(resource.change, &line));
            for field in &resource.fields {
                let _ = writeln!(out, "        {}", field_line(field));
            }
        }
    }
    let terraform = terraform_groups(diff);
    if !terraform.is_empty() {
        out.push_str("terraform\n");
        let mut last_sources = None;
        for group in &terraform {
            let specs = sources(&group.members);
            if last_sources.as_ref() != Some(&specs) {
                let _ = writeln!(out, "  ({specs})");
                last_sources = Some(specs);
            }
            let line = format!("{} {}", sign(group.first.change), terraform_label(group));
            let _ = writeln!(out, "    {}", paint(group.first.change, &line));
            for field in &group.first.fields {
                let _ = writeln!(out, "        {}", field_line(field));
            }
        }
    }
    let other_files = other_files(diff);
    if !other_files.is_empty() {
        out.push_str("other files\n");
        for file in other_files {
            let _ = writeln!(
                out,
                "    {}",
                paint(file.change, &format!("{} {}", sign(file.change), file.path))
            );
        }
    }
    let _ = writeln!(
        out,
        "\nPlan: {}; {}. Files: {} added, {} changed, {} removed.",
        summary_line(&diff.summary),
        impact_line(&diff.summary),
        diff.summary.files_added,
        diff.summary.files_changed,
        diff.summary.files_removed
    );
    out
}

/// Exact unified diffs of every changed file.
pub fn unified(diff: &TreeDiff) -> String {
    let mut out = String::new();
    for file in &diff.files {
        let old = file.old.as_deref().unwrap_or("");
        let new = file.new.as_deref().unwrap_or("");
        let old_name = if file.old.is_some() {
            format!("a/{}", file.path)
        } else {
            "/dev/null".into()
        };
        let new_name = if file.new.is_some() {
            format!("b/{}", file.path)
        } else {
            "/dev/null".into()
        };
        // Whole lines are shown: secret-looking values are masked first.
        let (old, new) = (super::secret::mask_text(old), super::secret::mask_text(new));
        let text = similar::TextDiff::from_lines(old.as_ref(), new.as_ref());
        let _ = write!(
            out,
            "{}",
            text.unified_diff()
                .context_radius(3)
                .header(&old_name, &new_name)
        );
    }
    out
}

/// The JSON report (see `schemas/diff.schema.json`).
pub fn json(diff: &TreeDiff) -> String {
    let report = serde_json::json!({
        "summary": diff.summary,
        "files": diff.files,
        "resources": diff.resources,
        "terraform": diff.terraform,
    });
    let mut text = serde_json::to_string_pretty(&report).unwrap_or_default();
    text.push('\n');
    text
}

/// A value on one line of a ```diff block: a newline would start a line GitHub does not colour.
fn one_line(value: Option<&Json>) -> String {
    value_text(value).replace('\n', "\\n")
}

/// A resource and its fields as ```diff lines GitHub colours: `+`/`-` for an added or deleted
/// resource; for a changed one an uncoloured heading, then `-` the old and `+` the new value of
/// each field.
fn markdown_entry(out: &mut String, change: Change, label: &str, fields: &[FieldChange]) {
    match change {
        Change::Added => {
            let _ = writeln!(out, "+ {label}");
        }
        Change::Removed => {
            let _ = writeln!(out, "- {label}");
        }
        Change::Changed => {
            let _ = writeln!(out, "  {label}");
            for field in fields {
                if field.old.is_some() {
                    let _ = writeln!(
                        out,
                        "-     {}: {}",
                        field.path,
                        one_line(field.old.as_ref())
                    );
                }
                if field.new.is_some() {
                    let _ = writeln!(
                        out,
                        "+     {}: {}",
                        field.path,
                        one_line(field.new.as_ref())
                    );
                }
            }
        }
    }
}

/// Adds one to a table row's added, changed or removed column.
fn count(row: &mut [usize; 3], change: Change) {
    let [added, changed, removed] = row;
    match change {
        Change::Added => *added += 1,
        Change::Changed => *changed += 1,
        Change::Removed => *removed += 1,
    }
}

/// A pull-request comment.
pub fn markdown(diff: &TreeDiff) -> String {
    let mut out = String::from("### pave diff\n\n");
    if diff.is_empty() {
        out.push_str("No changes to the GitOps tree.\n");
        return out;
    }
    let _ = writeln!(
        out,
        "**Kubernetes: {} to add, {} to change, {} to delete. Terraform: {}.** ({}; files: {} added, \
         {} changed, {} removed.)\n",
        diff.summary.add,
        diff.summary.change,
        diff.summary.delete,
        terraform_line(&diff.summary),
        impact_line(&diff.summary),
        diff.summary.files_added,
        diff.summary.files_changed,
        diff.summary.files_removed
    );
    if !diff.resources.is_empty() {
        out.push_str(
            "| tenant | environment | added | changed | deleted |\n|---|---|---:|---:|---:|\n",
        );
        let mut counts: BTreeMap<(&str, &str), [usize; 3]> = BTreeMap::new();
        for resource in &diff.resources {
            let row = counts
                .entry((
                    resource.owner.tenant.as_deref().unwrap_or("(platform)"),
                    resource.owner.environment.as_deref().unwrap_or("(all)"),
                ))
                .or_default();
            count(row, resource.change);
        }
        for ((tenant, environment), [added, changed, removed]) in counts {
            let _ = writeln!(
                out,
                "| {tenant} | {environment} | {added} | {changed} | {removed} |"
            );
        }
        out.push('\n');
    }
    if !diff.terraform.is_empty() {
        out.push_str(
            "| Terraform module | to add | to change | to destroy |\n|---|---:|---:|---:|\n",
        );
        let mut counts: BTreeMap<&str, [usize; 3]> = BTreeMap::new();
        for block in &diff.terraform {
            let row = counts.entry(block.module.as_str()).or_default();
            if block.managed {
                count(row, block.change);
            }
        }
        for (module, [added, changed, removed]) in counts {
            let _ = writeln!(out, "| {module} | {added} | {changed} | {removed} |");
        }
        out.push('\n');
    }
    for (heading, groups) in sections(diff) {
        let _ = writeln!(out, "<details><summary>{heading}</summary>\n\n```diff");
        for group in &groups {
            let label = format!(
                "{}  # from {}",
                kubernetes_label(group),
                sources(&group.members)
            );
            markdown_entry(&mut out, group.first.change, &label, &group.first.fields);
        }
        out.push_str("```\n\n</details>\n\n");
    }
    let terraform = terraform_groups(diff);
    if !terraform.is_empty() {
        out.push_str("<details><summary>Terraform</summary>\n\n```diff\n");
        for group in &terraform {
            let label = format!(
                "{}  # from {}",
                terraform_label(group),
                sources(&group.members)
            );
            markdown_entry(&mut out, group.first.change, &label, &group.first.fields);
        }
        out.push_str("```\n\n</details>\n\n");
    }
    let other_files = other_files(diff);
    if !other_files.is_empty() {
        out.push_str("<details><summary>Other files</summary>\n\n```diff\n");
        for file in other_files {
            let _ = match file.change {
                Change::Added => writeln!(out, "+ {}", file.path),
                Change::Removed => writeln!(out, "- {}", file.path),
                Change::Changed => writeln!(out, "  {}  (changed)", file.path),
            };
        }
        out.push_str("```\n\n</details>\n\n");
    }
    while out.ends_with("\n\n") {
        out.pop();
    }
    out
}

/// One entry of the GitHub and SARIF formats: a group of identical changes as they touch one
/// spec (`None` for changes no spec names, such as an unreadable file).
struct Note {
    source: Option<String>,
    change: Change,
    text: String,
}

fn notes(diff: &TreeDiff) -> Vec<Note> {
    let detail = |fields: &[FieldChange]| {
        let paths: Vec<&str> = fields.iter().take(5).map(|f| f.path.as_str()).collect();
        if paths.is_empty() {
            String::new()
        } else if fields.len() > paths.len() {
            format!(" ({}, ...)", paths.join(", "))
        } else {
            format!(" ({})", paths.join(", "))
        }
    };
    let mut notes = Vec::new();
    let mut push = |specs: Vec<&str>, change: Change, text: String| {
        if specs.is_empty() {
            notes.push(Note {
                source: None,
                change,
                text: text.clone(),
            });
        }
        for spec in specs {
            notes.push(Note {
                source: Some(spec.to_string()),
                change,
                text: text.clone(),
            });
        }
    };
    for groups in sections(diff).into_values() {
        for group in groups {
            let specs = list(group.members.iter().filter_map(|m| m.source()));
            let text = format!(
                "{} {}{}",
                verb(group.first.change),
                kubernetes_label(&group),
                detail(&group.first.fields)
            );
            push(specs, group.first.change, text);
        }
    }
    for group in terraform_groups(diff) {
        let specs = list(group.members.iter().filter_map(|m| m.source()));
        let text = format!(
            "{} Terraform {}{}",
            verb(group.first.change),
            terraform_label(&group),
            detail(&group.first.fields)
        );
        push(specs, group.first.change, text);
    }
    for file in other_files(diff) {
        let text = format!("{} file {}", verb(file.change), file.path);
        push(Vec::new(), file.change, text);
    }
    notes
}

/// `root` is the platform root relative to the repository; spec paths are made relative to the
/// repository with it.
fn repository_path(root: &str, source: &str) -> String {
    if root.is_empty() || root == "." {
        source.to_string()
    } else {
        format!("{}/{source}", root.trim_end_matches('/'))
    }
}

/// GitHub workflow annotations, one per group of identical changes and spec, on that spec.
/// `root` is the platform root relative to the repository, to make spec paths
/// repository-relative.
pub fn github(diff: &TreeDiff, root: &str) -> String {
    let mut out = String::new();
    for note in notes(diff) {
        let file = match &note.source {
            Some(source) => format!("file={},", github_property(&repository_path(root, source))),
            None => String::new(),
        };
        let _ = writeln!(
            out,
            "::notice {file}title=pave diff::{}",
            github_data(&note.text)
        );
    }
    let _ = writeln!(
        out,
        "::notice title=pave diff::{}; {}",
        summary_line(&diff.summary),
        impact_line(&diff.summary)
    );
    out
}

/// A SARIF 2.1.0 log with one `note` result per group of identical changes and spec, on that
/// spec; the rule says whether resources are added, changed or deleted.
pub fn sarif(diff: &TreeDiff, root: &str) -> String {
    let rule_id = |change: Change| match change {
        Change::Added => "resource-added",
        Change::Changed => "resource-changed",
        Change::Removed => "resource-deleted",
    };
    let rules: Vec<Json> = [Change::Added, Change::Changed, Change::Removed]
        .into_iter()
        .map(|change| {
            serde_json::json!({
                "id": rule_id(change),
                "shortDescription": {"text": format!("pave diff {} resources or files", verb(change))},
                "defaultConfiguration": {"level": "note"},
            })
        })
        .collect();
    let results: Vec<Json> = notes(diff)
        .into_iter()
        .map(|note| {
            let mut result = serde_json::json!({
                "ruleId": rule_id(note.change),
                "ruleIndex": match note.change {
                    Change::Added => 0,
                    Change::Changed => 1,
                    Change::Removed => 2,
                },
                "level": "note",
                "message": {"text": note.text},
            });
            if let Some(source) = &note.source {
                result["locations"] = serde_json::json!([{
                    "physicalLocation": {
                        "artifactLocation": {"uri": repository_path(root, source)},
                    },
                }]);
            }
            result
        })
        .collect();
    crate::diagnostic::sarif_log(rules, results)
}

/// The pull-request comment when there is no diff because the specs do not compile: what failed,
/// the rendered diagnostics and their count.
pub fn markdown_failure(what: &str, diagnostics: &str, count: &str) -> String {
    let fence = if diagnostics.contains("```") {
        "~~~~"
    } else {
        "```"
    };
    format!(
        "### pave diff\n\n:x: **No diff: {what}** ({count}). Run `pave check` to see them \
         locally.\n\n{fence}text\n{}\n{fence}\n",
        diagnostics.trim_end()
    )
}
