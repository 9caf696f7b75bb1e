//! `pave graph`: the platform's dependency graph (services, tenants, cross-tenant calls, managed
//! resources) as Mermaid or Graphviz DOT; with `--changed`, what a change touches, compared as
//! `pave diff` compares.

use std::io::Write as _;
use std::path::PathBuf;

use clap::{Args, ValueEnum};

use super::diff::{DiffFormat, old_tree};
use super::{EXIT_INVALID, EXIT_OK, RootArgs, Ui, failure_status, load, report_discover_error};
use crate::diagnostic::{Diagnostic, DiagnosticKind, RefKind};
use crate::graph::{GraphFormat, Touched, graph, render};
use crate::lower::catalog::catalog;
use crate::pipeline::{Timings, check, generate};

/// Draw the dependency graph of the platform, or of one environment, as Mermaid or DOT.
#[derive(Debug, Args)]
#[command(after_help = "\
Examples:
  pave graph                             Mermaid, for a README or a pull request
  pave graph --format dot | dot -Tsvg    Graphviz
  pave graph --env prod                  only what runs in prod
  pave graph --changed                   mark what the specs change against the tree on disk
  pave graph --changed --against origin/main   ... against the specs of a revision")]
pub(super) struct GraphArgs {
    /// The picture's format.
    #[arg(long, value_enum, default_value_t = Format::Mermaid)]
    format: Format,

    /// Only the services and resources of this environment.
    #[arg(long, value_name = "ENV")]
    env: Option<String>,

    /// Mark the services and resources whose generated objects the specs change, and (as
    /// affected) every service that calls one of them.
    #[arg(long)]
    changed: bool,

    /// With `--changed`: compare with what the specs at this git revision produce, instead of
    /// the tree on disk.
    #[arg(long, value_name = "REV", requires = "changed")]
    against: Option<String>,

    /// With `--changed`: the output folder to compare with; by default the Platform's
    /// `spec.gitops.path`.
    #[arg(
        long,
        value_name = "DIR",
        requires = "changed",
        conflicts_with = "against"
    )]
    out: Option<PathBuf>,

    #[command(flatten)]
    root: RootArgs,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Format {
    /// A Mermaid flowchart (renders in GitHub Markdown).
    Mermaid,
    /// Graphviz DOT (`dot -Tsvg`).
    Dot,
}

pub(super) fn run(args: &GraphArgs, ui: &Ui) -> i32 {
    let format = args.root.output;
    let source_map = match load(&args.root) {
        Ok(source_map) => source_map,
        Err(error) => return report_discover_error(&error, format, ui),
    };
    let mut timings = Timings::default();
    let (validated, policies, warnings) = match check(&source_map, &ui.options, &mut timings) {
        Ok(checked) => checked,
        Err(diagnostics) => {
            ui.report(format, &diagnostics, &source_map);
            return failure_status(&diagnostics);
        }
    };
    if let Some(env) = &args.env
        && !validated.spec().environments.contains_key(env)
    {
        let diagnostic = Diagnostic::unplaced(DiagnosticKind::UnknownReference {
            kind: RefKind::Environment,
            name: env.clone(),
            known: validated.spec().environments.keys().cloned().collect(),
        });
        ui.report(format, &[diagnostic], &source_map);
        return EXIT_INVALID;
    }
    let catalog = catalog(validated.spec());
    let touched = if args.changed {
        let output_path = validated.spec().platform.spec.gitops.path.clone();
        let compilation = match generate(
            validated,
            &policies,
            &ui.options,
            warnings,
            &source_map,
            None,
            &mut timings,
        ) {
            Ok(compilation) => compilation,
            Err(diagnostics) => {
                ui.report(format, &diagnostics, &source_map);
                return failure_status(&diagnostics);
            }
        };
        let old_files = match old_tree(
            &source_map,
            args.out.as_deref(),
            args.against.as_deref(),
            &output_path,
            ui,
            DiffFormat::Human,
        ) {
            Ok(files) => files,
            Err(status) => return status,
        };
        let tree_diff = crate::diff::diff(&old_files, &compilation.tree);
        Touched::from_diff(&tree_diff, args.env.as_deref())
    } else {
        Touched::default()
    };
    let picture = graph(&catalog, args.env.as_deref(), &touched);
    let text = render(
        &picture,
        match args.format {
            Format::Mermaid => GraphFormat::Mermaid,
            Format::Dot => GraphFormat::Dot,
        },
    );
    let _ = std::io::stdout().write_all(text.as_bytes());
    EXIT_OK
}
