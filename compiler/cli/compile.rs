//! `pave compile`: validate the specs and write the GitOps tree.

use std::path::PathBuf;
use std::time::Instant;

use clap::Args;

use super::write::{OutputFolder, WriteReport, check_tree};
use super::{
    EXIT_FAILURE, EXIT_INVALID, EXIT_OK, RootArgs, Ui, display, failure_status, load,
    report_discover_error,
};
use crate::pipeline::{self, Timings, generate};

/// Validate the specs and write the GitOps tree (only files whose bytes changed).
#[derive(Debug, Args)]
#[command(after_help = "\
pave never overwrites or deletes a file it did not generate. It records the files it owns in
`.pave/manifest.json` in the output folder, and removes files it generated earlier that the
specs no longer produce.

Examples:
  pave compile
  pave compile examples/techcorp --out /tmp/gitops
  pave compile --timings
  pave compile --check              in CI: fail if the committed tree is stale")]
pub(super) struct CompileArgs {
    #[command(flatten)]
    root: RootArgs,

    /// The output folder; by default the Platform's `spec.gitops.path`, relative to ROOT.
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,

    /// Print how long each stage took, on standard error.
    #[arg(long)]
    timings: bool,

    /// Write nothing; exit 1 and list the stale files if the tree on disk is not what the specs
    /// produce (for CI: catches hand edits and forgotten compiles).
    #[arg(long)]
    check: bool,
}

pub(super) fn run(args: &CompileArgs, ui: &Ui) -> i32 {
    let format = args.root.output;
    let mut timings = Timings::default();
    let start = Instant::now();
    let source_map = match load(&args.root) {
        Ok(source_map) => source_map,
        Err(error) => return report_discover_error(&error, format, ui),
    };
    timings.add("load", start.elapsed());
    let (validated, policies, warnings) =
        match pipeline::check(&source_map, &ui.options, &mut timings) {
            Ok(checked) => checked,
            Err(diagnostics) => {
                ui.report(format, &diagnostics, &source_map);
                return failure_status(&diagnostics);
            }
        };
    let out_dir = match &args.out {
        Some(out) => out.clone(),
        None => source_map
            .root()
            .join(&validated.spec().platform.spec.gitops.path),
    };
    if args.check {
        return match generate(
            validated,
            &policies,
            &ui.options,
            warnings,
            &source_map,
            None,
            &mut timings,
        ) {
            Ok(compilation) => check(
                &out_dir,
                &compilation.tree,
                &compilation.warnings,
                &source_map,
                format,
                ui,
            ),
            Err(diagnostics) => {
                ui.report(format, &diagnostics, &source_map);
                failure_status(&diagnostics)
            }
        };
    }
    // The folder stays locked from here until written, so what it says is reusable stays so.
    let start = Instant::now();
    let folder = match OutputFolder::open(&out_dir) {
        Ok(folder) => folder,
        Err(diagnostics) => {
            ui.report(format, &diagnostics, &source_map);
            return write_failure_status(&diagnostics);
        }
    };
    let reusable = folder.reusable();
    let mut write_time = start.elapsed();
    let compilation = match generate(
        validated,
        &policies,
        &ui.options,
        warnings,
        &source_map,
        Some(&reusable),
        &mut timings,
    ) {
        Ok(compilation) => compilation,
        Err(diagnostics) => {
            ui.report(format, &diagnostics, &source_map);
            return failure_status(&diagnostics);
        }
    };
    let start = Instant::now();
    let result = folder.write(&compilation.tree);
    write_time += start.elapsed();
    timings.add("write", write_time);
    let status = match result {
        Ok(report) => {
            ui.report(format, &compilation.warnings, &source_map);
            eprintln!("{}", describe(&report, &out_dir));
            EXIT_OK
        }
        Err(diagnostics) => {
            ui.report(format, &diagnostics, &source_map);
            write_failure_status(&diagnostics)
        }
    };
    if args.timings {
        eprint!("{}", timings.render());
        eprintln!(
            "  rules run {}",
            if policies.compiled() {
                "as bytecode (regorus VM)"
            } else {
                "by the interpreter: some rule uses what the bytecode VM does not compile"
            }
        );
        let (skipped, run) = policies.memo_counts();
        eprintln!(
            "  rule evaluations: {run} run, {skipped} skipped (same fields as an object that passed)"
        );
    }
    // The process exits next: freeing the tree, the specs and the compiled policies one
    // allocation at a time takes about 0.1 s at 10,000 services, for nothing. They own no file
    // or lock (the output folder's lock went with `write`).
    std::mem::forget((compilation, policies, source_map));
    status
}

/// What the repository put in the output folder (a file pave does not own, a symbolic link, a
/// state file pave did not write, a half-installed tree) is the user's problem; anything else is
/// pave's.
fn write_failure_status(diagnostics: &[crate::diagnostic::Diagnostic]) -> i32 {
    let users = [
        "unowned-file",
        "symlink-in-output",
        "invalid-state",
        "interrupted-write",
    ];
    if diagnostics.iter().any(|d| users.contains(&d.kind.code())) {
        EXIT_INVALID
    } else {
        EXIT_FAILURE
    }
}

fn describe(report: &WriteReport, out_dir: &std::path::Path) -> String {
    let mut text = format!(
        "compiled {} files into {}: {} written, {} removed, {} unchanged",
        report.total,
        display(out_dir),
        report.written,
        report.removed,
        report.unchanged
    );
    if report.reused_units > 0 {
        text.push_str(&format!(
            "; {} of {} tenant folders reused",
            report.reused_units, report.units
        ));
    }
    text
}

fn check(
    out_dir: &std::path::Path,
    tree: &crate::emit::OutputTree,
    warnings: &[crate::diagnostic::Diagnostic],
    source_map: &crate::source::SourceMap,
    format: super::OutputFormat,
    ui: &Ui,
) -> i32 {
    match check_tree(out_dir, tree) {
        Ok(stale) if stale.is_empty() => {
            ui.report(format, warnings, source_map);
            eprintln!("{} is up to date ({} files)", display(out_dir), tree.len());
            EXIT_OK
        }
        Ok(stale) => {
            let mut all = warnings.to_vec();
            all.extend(stale);
            ui.report(format, &all, source_map);
            EXIT_INVALID
        }
        Err(diagnostics) => {
            ui.report(format, &diagnostics, source_map);
            write_failure_status(&diagnostics)
        }
    }
}
