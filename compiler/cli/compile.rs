//! `pave compile`: validate the specs and write the GitOps tree.

use std::path::PathBuf;
use std::time::Instant;

use clap::Args;

use super::check::{
    read_cache, read_parse_cache, read_policy_cache, write_cache, write_cache_file,
};
use super::write::{OutputFolder, WriteReport, check_tree};
use super::{
    EXIT_FAILURE, EXIT_INVALID, EXIT_OK, RootArgs, Ui, display, failure_status, load,
    report_discover_error,
};
use crate::cache::parse::PARSE_CACHE_FILE;
use crate::cache::policy::POLICY_CACHE_FILE;
use crate::cache::{CACHE_FILE, CheckCache};
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
    let checked = if args.check || no_cache() {
        // `--check` writes nothing, its caches included.
        pipeline::check(&source_map, &ui.options, &mut timings)
    } else {
        check_caching(&source_map, &ui.options, &mut timings)
    };
    let (validated, policies, warnings) = match checked {
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
    let mut folder = match OutputFolder::open(&out_dir) {
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

/// Whether `PAVE_NO_CACHE` asks for no cache (anything but `0`), as `pave check --no-cache`.
fn no_cache() -> bool {
    std::env::var_os("PAVE_NO_CACHE").is_some_and(|v| !v.is_empty() && v != "0")
}

/// [`pipeline::check`] through the caches `pave check` keeps in `.pave/cache/` under the
/// platform root: files parsed before are not parsed again, spec documents on which the rules
/// found nothing are not evaluated again; what changed is recorded for the next run (a cache
/// that cannot be written only costs that run time).
fn check_caching(
    source_map: &crate::source::SourceMap,
    options: &pipeline::Options,
    timings: &mut Timings,
) -> Result<
    (
        crate::validate::ValidatedSpec,
        crate::policy::PolicySet,
        Vec<crate::diagnostic::Diagnostic>,
    ),
    Vec<crate::diagnostic::Diagnostic>,
> {
    let root = source_map.root();
    let start = Instant::now();
    let cache = read_cache(&root.join(CACHE_FILE));
    let parse_cache = read_parse_cache(root);
    let policy_cache = read_policy_cache(root);
    timings.add("cache", start.elapsed());
    let (result, specs, recorded) = pipeline::check_cached(
        source_map,
        options,
        &cache.specs,
        &parse_cache,
        &policy_cache,
        timings,
    );
    let start = Instant::now();
    if recorded != parse_cache {
        let _ = write_cache_file(root, PARSE_CACHE_FILE, &recorded.render());
    }
    if let Ok((_, policies, _)) = &result
        && let Some(policy_cache) = policies.recorded_cache()
    {
        let _ = write_cache_file(root, POLICY_CACHE_FILE, &policy_cache.render());
    }
    // The keys are those of a run that got to the rules on specs, and only such a run's.
    if result.is_ok() && options.evaluate_policies && specs != cache.specs {
        let _ = write_cache(root, &CheckCache { specs, ..cache });
    }
    timings.add("cache", start.elapsed());
    result
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
