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
    let (checked, record) = if args.check || no_cache() {
        // `--check` writes nothing, its caches included.
        let checked = pipeline::check(&source_map, &ui.options, &mut timings);
        (checked, None)
    } else {
        check_caching(&source_map, &ui.options, &mut timings)
    };
    // Until a tree is written, only what the rules on specs found nothing on is recorded.
    let record_specs = |record: Option<CheckRecord>| {
        if let Some(CheckRecord { read, specs }) = record
            && specs != read.specs
        {
            let _ = write_cache(source_map.root(), &CheckCache { specs, ..read });
        }
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
            record_specs(record);
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
            record_specs(record);
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
            // What this compile proved, for `pave check` to replay or reuse (written after the
            // tree: a check never trusts folders a failed write left unwritten).
            if let Some(CheckRecord { read, specs }) = record {
                let start = Instant::now();
                let cache = pipeline::compiled_cache(
                    read.clone(),
                    specs,
                    &compilation,
                    &source_map,
                    &ui.options,
                );
                if cache != read {
                    let _ = write_cache(source_map.root(), &cache);
                }
                timings.add("cache", start.elapsed());
            }
            ui.report(format, &compilation.warnings, &source_map);
            eprintln!("{}", describe(&report, &out_dir));
            EXIT_OK
        }
        Err(diagnostics) => {
            record_specs(record);
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

/// The check cache as read, and the spec documents this compile's rules on specs found nothing
/// on: what the compile records in it once done (see [`pipeline::compiled_cache`]).
struct CheckRecord {
    read: CheckCache,
    specs: std::collections::BTreeSet<String>,
}

/// What [`check_caching`] returns: [`pipeline::check`]'s result, and what to record in the check
/// cache (`None` when the specs did not get to the rules on specs).
type CheckedCaching = (
    Result<
        (
            crate::validate::ValidatedSpec,
            crate::policy::PolicySet,
            Vec<crate::diagnostic::Diagnostic>,
        ),
        Vec<crate::diagnostic::Diagnostic>,
    >,
    Option<CheckRecord>,
);

/// [`pipeline::check`] through the caches `pave check` keeps in `.pave/cache/` under the
/// platform root: files parsed before are not parsed again, spec documents on which the rules
/// found nothing are not evaluated again; the parse and policy caches are recorded for the next
/// run at once (a cache that cannot be written only costs that run time), the check cache by the
/// caller once it knows how the compile ended.
fn check_caching(
    source_map: &crate::source::SourceMap,
    options: &pipeline::Options,
    timings: &mut Timings,
) -> CheckedCaching {
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
    timings.add("cache", start.elapsed());
    // The keys are those of a run that got to the rules on specs, and only such a run's.
    let record =
        (result.is_ok() && options.evaluate_policies).then_some(CheckRecord { read: cache, specs });
    (result, record)
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
