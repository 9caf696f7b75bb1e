//! `pave diff`: what the specs would change in the GitOps tree.

use std::collections::BTreeMap;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use clap::{Args, ValueEnum};

use super::write::read_owned;
use super::{
    EXIT_FAILURE, EXIT_INVALID, EXIT_OK, OutputFormat, RootArgs, Ui, display, load,
    report_discover_error, summary,
};
use crate::diagnostic::{Diagnostic, RenderOptions, render_human, render_json};
use crate::diff::{TreeDiff, diff, render};
use crate::emit::OutputTree;
use crate::pipeline::{Timings, compile};
use crate::source::{SourceMap, read_platform_at};

/// Show what the specs would change in the GitOps tree, offline: files, resources and fields.
#[derive(Debug, Args)]
#[command(after_help = "\
Exit status: 0 no changes (or changes without --exit-code), 1 changes with --exit-code,
2 error (including specs that do not compile, reported in the chosen format).

Examples:
  pave diff                          against the tree on disk
  pave diff --against origin/main    against the specs of another revision, read through git
  pave diff --output unified         exact unified diffs of every file
  pave diff --output markdown        a pull-request comment (Kubernetes and Terraform)
  pave diff --exit-code              exit 1 when anything changes")]
pub(super) struct DiffArgs {
    /// The platform root (the folder holding `pave.yaml`); by default found from the current
    /// folder upwards.
    #[arg(value_name = "ROOT")]
    root: Option<PathBuf>,

    /// The output folder to compare with; by default the Platform's `spec.gitops.path`.
    #[arg(long, value_name = "DIR", conflicts_with = "against")]
    out: Option<PathBuf>,

    /// Compare with what the specs at this git revision produce, instead of the tree on disk.
    #[arg(long, value_name = "REV")]
    against: Option<String>,

    /// The report format.
    #[arg(long, value_enum, default_value_t = DiffFormat::Human)]
    output: DiffFormat,

    /// Exit with 1 when there are changes.
    #[arg(long)]
    exit_code: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(super) enum DiffFormat {
    /// Grouped by tenant, environment and service, with field changes (coloured on a terminal).
    Human,
    /// Exact unified diffs of every changed file.
    Unified,
    /// A JSON report (schema: `schemas/diff.schema.json`).
    Json,
    /// A pull-request comment.
    Markdown,
    /// GitHub workflow annotations on the specs that caused each change.
    Github,
    /// A SARIF 2.1.0 log: a note on the spec that caused each change.
    Sarif,
}

impl DiffFormat {
    /// How diagnostics print when the specs do not compile: in the report's own format, so a CI
    /// step that captures standard output still gets something to show.
    fn diagnostics_format(self) -> OutputFormat {
        match self {
            DiffFormat::Human | DiffFormat::Unified | DiffFormat::Markdown => OutputFormat::Human,
            DiffFormat::Json => OutputFormat::Json,
            DiffFormat::Github => OutputFormat::Github,
            DiffFormat::Sarif => OutputFormat::Sarif,
        }
    }
}

/// Compiles a tree to compare. The old side of `--against` is compiled without evaluating the
/// policies: a revision that a rule added since rejects still has a tree to compare with.
fn compile_tree(
    source_map: &SourceMap,
    ui: &Ui,
    what: &str,
    evaluate_policies: bool,
    format: DiffFormat,
) -> Result<(OutputTree, String), i32> {
    let options = crate::pipeline::Options {
        evaluate_policies,
        ..ui.options
    };
    match compile(source_map, &options, &mut Timings::default()) {
        Ok(compilation) => Ok((compilation.tree, compilation.output_path)),
        Err(diagnostics) => {
            report_failure(
                &format!("{what} do not compile"),
                &diagnostics,
                source_map,
                ui,
                format,
            );
            Err(EXIT_FAILURE)
        }
    }
}

/// Reports why there is no diff, in the report's format: a pull-request comment saying so with
/// the diagnostics (Markdown), `{"error": ..., "diagnostics": [...]}` (JSON), error annotations
/// (GitHub), error results (SARIF), or on standard error.
fn report_failure(
    what: &str,
    diagnostics: &[Diagnostic],
    source_map: &SourceMap,
    ui: &Ui,
    format: DiffFormat,
) {
    match format {
        DiffFormat::Human | DiffFormat::Unified => {
            eprintln!("error: {what}:");
            ui.report(OutputFormat::Human, diagnostics, source_map);
        }
        DiffFormat::Markdown => {
            eprintln!("error: {what}:");
            ui.report(OutputFormat::Human, diagnostics, source_map);
            let text = render_human(diagnostics, source_map, RenderOptions::plain());
            let errors = diagnostics.iter().filter(|d| d.is_error()).count();
            let comment =
                render::markdown_failure(what, &text, &summary(errors, diagnostics.len() - errors));
            let _ = std::io::stdout().write_all(comment.as_bytes());
        }
        DiffFormat::Json => {
            let text = render_json(diagnostics, source_map);
            let report = match serde_json::from_str::<serde_json::Value>(&text) {
                Ok(serde_json::Value::Object(mut fields)) => {
                    let mut report = serde_json::Map::new();
                    report.insert("error".into(), what.into());
                    report.append(&mut fields);
                    serde_json::Value::Object(report)
                }
                _ => serde_json::json!({"error": what}),
            };
            let mut text = serde_json::to_string_pretty(&report).unwrap_or_default();
            text.push('\n');
            let _ = std::io::stdout().write_all(text.as_bytes());
        }
        DiffFormat::Github => {
            let _ = writeln!(
                std::io::stdout(),
                "::error title=pave diff::{}",
                crate::diagnostic::github_data(what)
            );
            ui.report(OutputFormat::Github, diagnostics, source_map);
        }
        DiffFormat::Sarif => ui.report(OutputFormat::Sarif, diagnostics, source_map),
    }
}

pub(super) fn run(args: &DiffArgs, ui: &Ui) -> i32 {
    let root_args = RootArgs {
        root: args.root.clone(),
        output: OutputFormat::Human,
    };
    let source_map = match load(&root_args) {
        Ok(source_map) => source_map,
        Err(error) => {
            report_discover_error(&error, args.output.diagnostics_format(), ui);
            return EXIT_FAILURE;
        }
    };
    let (new_tree, output_path) =
        match compile_tree(&source_map, ui, "the specs", true, args.output) {
            Ok(compiled) => compiled,
            Err(status) => return status,
        };
    let old_files = match old_tree(
        &source_map,
        args.out.as_deref(),
        args.against.as_deref(),
        &output_path,
        ui,
        args.output,
    ) {
        Ok(files) => files,
        Err(status) => return status,
    };
    let tree_diff = diff(&old_files, &new_tree);
    let text = render_diff(&tree_diff, args.output, ui, &display(source_map.root()));
    let _ = std::io::stdout().write_all(text.as_bytes());
    if args.exit_code && !tree_diff.is_empty() {
        EXIT_INVALID
    } else {
        EXIT_OK
    }
}

/// The tree a change is compared with: what the specs at revision `against` produce (compiled
/// without the policies), or else the files pave owns in the output folder (`out`, by default the
/// Platform's `output_path` under the root). Shared by `pave diff` and `pave graph --changed`.
pub(super) fn old_tree(
    source_map: &SourceMap,
    out: Option<&Path>,
    against: Option<&str>,
    output_path: &str,
    ui: &Ui,
    format: DiffFormat,
) -> Result<BTreeMap<String, String>, i32> {
    match against {
        Some(rev) => {
            let old_map = match read_platform_at(source_map.root(), rev) {
                Ok(old_map) => old_map,
                Err(error) => {
                    report_discover_error(&error, format.diagnostics_format(), ui);
                    return Err(EXIT_FAILURE);
                }
            };
            let what = format!("the specs at `{rev}`");
            let (tree, _) = compile_tree(&old_map, ui, &what, false, format)?;
            Ok(tree
                .files
                .into_iter()
                .map(|(p, f)| (p, f.contents))
                .collect())
        }
        None => {
            let out_dir =
                out.map_or_else(|| source_map.root().join(output_path), Path::to_path_buf);
            read_owned(&out_dir).map_err(|diagnostics| {
                let what = "the output folder cannot be read";
                report_failure(what, &diagnostics, source_map, ui, format);
                EXIT_FAILURE
            })
        }
    }
}

fn render_diff(tree_diff: &TreeDiff, format: DiffFormat, ui: &Ui, root: &str) -> String {
    match format {
        DiffFormat::Human => render::human(tree_diff, ui.stdout_color),
        DiffFormat::Unified => render::unified(tree_diff),
        DiffFormat::Json => render::json(tree_diff),
        DiffFormat::Markdown => render::markdown(tree_diff),
        DiffFormat::Github => render::github(tree_diff, root),
        DiffFormat::Sarif => render::sarif(tree_diff, root),
    }
}
