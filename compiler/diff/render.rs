//! The formats of a [`TreeDiff`]: human (coloured on a terminal), unified (exact file diffs),
//! JSON (documented by `schemas/diff.schema.json`), Markdown (a pull-request comment) and GitHub
//! workflow annotations.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde_json::Value as Json;

use super::{Change, ResourceChange, Summary, TreeDiff};
use crate::diagnostic::{github_data, github_property};

/// `3 to add, 2 to change, 1 to delete`, as `terraform plan` says it.
pub fn summary_line(summary: &Summary) -> String {
    format!(
        "{} to add, {} to change, {} to delete",
        summary.add, summary.change, summary.delete
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
fn field_line(field: &super::FieldChange) -> String {
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

/// Resources grouped by tenant and environment, then service (platform-level ones first).
fn grouped(diff: &TreeDiff) -> BTreeMap<(String, String), Vec<&ResourceChange>> {
    let mut groups: BTreeMap<(String, String), Vec<&ResourceChange>> = BTreeMap::new();
    for resource in &diff.resources {
        let tenant = resource
            .owner
            .tenant
            .clone()
            .unwrap_or_else(|| "(platform)".into());
        let environment = resource
            .owner
            .environment
            .clone()
            .unwrap_or_else(|| "(all)".into());
        groups
            .entry((tenant, environment))
            .or_default()
            .push(resource);
    }
    groups
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
    for ((tenant, environment), resources) in grouped(diff) {
        let _ = writeln!(out, "tenant {tenant}, environment {environment}");
        let mut last_service: Option<&Option<String>> = None;
        for resource in resources {
            if last_service != Some(&resource.owner.service) {
                let service = resource.owner.service.as_deref().unwrap_or("(tenancy)");
                let source = resource.source.as_deref().unwrap_or("-");
                let _ = writeln!(out, "  {service}  ({source})");
                last_service = Some(&resource.owner.service);
            }
            let line = format!("{} {}", sign(resource.change), resource.id());
            let _ = writeln!(out, "    {}", paint(resource.change, &line));
            for field in &resource.fields {
                let _ = writeln!(out, "        {}", field_line(field));
            }
        }
    }
    let other_files: Vec<_> = diff
        .files
        .iter()
        .filter(|f| !diff.resources.iter().any(|r| r.file == f.path))
        .collect();
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
    });
    let mut text = serde_json::to_string_pretty(&report).unwrap_or_default();
    text.push('\n');
    text
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
        "**{}** ({}).\n",
        summary_line(&diff.summary),
        impact_line(&diff.summary)
    );
    out.push_str(
        "| tenant | environment | added | changed | deleted |\n|---|---|---:|---:|---:|\n",
    );
    let groups = grouped(diff);
    for ((tenant, environment), resources) in &groups {
        let count = |c: Change| resources.iter().filter(|r| r.change == c).count();
        let _ = writeln!(
            out,
            "| {tenant} | {environment} | {} | {} | {} |",
            count(Change::Added),
            count(Change::Changed),
            count(Change::Removed)
        );
    }
    for ((tenant, environment), resources) in &groups {
        let _ = writeln!(
            out,
            "\n<details><summary>{tenant} / {environment}</summary>\n\n```diff"
        );
        for resource in resources {
            let source = resource
                .source
                .as_deref()
                .map(|s| format!("  # from {s}"))
                .unwrap_or_default();
            let _ = writeln!(out, "{} {}{source}", sign(resource.change), resource.id());
            for field in &resource.fields {
                let _ = writeln!(out, "    {}", field_line(field));
            }
        }
        out.push_str("```\n\n</details>\n");
    }
    out
}

/// GitHub workflow annotations, one per resource, on the spec that caused it. `root` is the
/// platform root relative to the repository, to make spec paths repository-relative.
pub fn github(diff: &TreeDiff, root: &str) -> String {
    let mut out = String::new();
    for resource in &diff.resources {
        let file = match &resource.source {
            Some(source) if root.is_empty() || root == "." => source.clone(),
            Some(source) => format!("{}/{source}", root.trim_end_matches('/')),
            None => resource.file.clone(),
        };
        let verb = match resource.change {
            Change::Added => "adds",
            Change::Changed => "changes",
            Change::Removed => "deletes",
        };
        let fields: Vec<String> = resource
            .fields
            .iter()
            .take(5)
            .map(|f| f.path.clone())
            .collect();
        let detail = if fields.is_empty() {
            String::new()
        } else {
            format!(" ({})", fields.join(", "))
        };
        let _ = writeln!(
            out,
            "::notice file={},title=pave diff::{} {}{}",
            github_property(&file),
            verb,
            github_data(&resource.id()),
            github_data(&detail)
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
