//! `pave check`: validate the specs, write nothing but the check cache.

use std::path::{Path, PathBuf};
use std::time::Instant;

use clap::Args;

use super::{EXIT_OK, RootArgs, Ui, failure_status, load, report_discover_error};
use crate::cache::parse::{MAX_PARSE_CACHE_BYTES, PARSE_CACHE_FILE, ParseCache};
use crate::cache::policy::{MAX_POLICY_CACHE_BYTES, POLICY_CACHE_FILE, PolicyCache};
use crate::cache::{CACHE_DIR, CACHE_FILE, CheckCache, MAX_CACHE_BYTES};
use crate::pipeline::{CachedCheck, Options, Skipped, Timings, check_reusing, compile};

/// Validate the specs and evaluate the policies on them and on the objects they generate,
/// without writing the tree (fast; for pre-commit hooks and CI).
#[derive(Debug, Args)]
#[command(after_help = "\
A check records what it proved and reported in `.pave/cache/` under the platform root (ignored
by Git through its own `.gitignore`); the next check skips the tenant folders whose inputs did
not change, and when no input changed replays what the last one reported.

Examples:
  pave check
  pave check examples/techcorp --output json
  pave check --no-cache --timings")]
pub(super) struct CheckArgs {
    #[command(flatten)]
    root: RootArgs,

    /// Print how long each stage took, on standard error.
    #[arg(long)]
    timings: bool,

    /// Neither read nor write the check cache: check everything (also when `PAVE_NO_CACHE` is
    /// set to anything but `0`).
    #[arg(long)]
    no_cache: bool,
}

pub(super) fn run(args: &CheckArgs, ui: &Ui) -> i32 {
    let format = args.root.output;
    let mut timings = Timings::default();
    let start = Instant::now();
    let source_map = match load(&args.root) {
        Ok(source_map) => source_map,
        Err(error) => return report_discover_error(&error, format, ui),
    };
    timings.add("load", start.elapsed());
    // Nothing is written: the tenant folders' YAML need not be rendered (the policies and the
    // wiring check take the objects as emit built them).
    let options = crate::pipeline::Options {
        contents: false,
        ..ui.options
    };
    // `PAVE_NO_CACHE` as ruff's `RUFF_NO_CACHE`: for test suites and CI runs that want no state.
    let no_cache = args.no_cache
        || std::env::var_os("PAVE_NO_CACHE").is_some_and(|v| !v.is_empty() && v != "0");
    let cache_path = source_map.root().join(CACHE_FILE);
    let checked = if no_cache {
        // Without a cache, nothing is hashed for one: the plain pipeline.
        plain_check(&source_map, &options, &mut timings)
    } else {
        let cache = timings.time("read cache", || read_cache(&cache_path));
        // The parse cache (megabytes) is read only when the specs are parsed.
        let parse_cache = || read_parse_cache(source_map.root());
        let policy_cache = read_policy_cache(source_map.root());
        check_reusing(
            &source_map,
            &options,
            &cache,
            parse_cache,
            &policy_cache,
            &mut timings,
        )
    };
    // A cache that cannot be written (a read-only checkout) only costs the next check time.
    if !no_cache && let Some(cache) = &checked.cache {
        let _ = write_cache(source_map.root(), cache);
    }
    if !no_cache && let Some(parse_cache) = &checked.parse_cache {
        let _ = write_cache_file(source_map.root(), PARSE_CACHE_FILE, &parse_cache.render());
    }
    if !no_cache && let Some(policy_cache) = &checked.policy_cache {
        let _ = write_cache_file(source_map.root(), POLICY_CACHE_FILE, &policy_cache.render());
    }
    if args.timings {
        eprint!("{}", timings.render());
        let (reused, units) = checked.reused_units;
        match checked.skipped {
            _ if no_cache => eprintln!("  cache: not used"),
            Skipped::Everything => {
                eprintln!("  cache: no input changed, the last check's report replayed");
            }
            Skipped::Nothing => eprintln!("  cache: {reused} of {units} tenant folders reused"),
        }
    }
    let status = match &checked.result {
        Ok(warnings) => {
            ui.report(format, warnings, &source_map);
            EXIT_OK
        }
        Err(diagnostics) => {
            ui.report(format, diagnostics, &source_map);
            failure_status(diagnostics)
        }
    };
    // The process exits next: the tree and specs need not be freed one by one.
    std::mem::forget((checked, source_map));
    status
}

/// The check cache at `path`: empty when there is none, it is not a plain file, too large, or not
/// this pave's.
pub(super) fn read_cache(path: &Path) -> CheckCache {
    read_cache_file(path, MAX_CACHE_BYTES)
        .and_then(|bytes| String::from_utf8(bytes).ok())
        .map(|text| CheckCache::parse(&text))
        .unwrap_or_default()
}

/// The parse cache under `root`: empty when there is none, it is not a plain file, too large, or
/// not this pave's.
pub(super) fn read_parse_cache(root: &Path) -> ParseCache {
    read_cache_file(&root.join(PARSE_CACHE_FILE), MAX_PARSE_CACHE_BYTES)
        .map(|bytes| ParseCache::read(&bytes))
        .unwrap_or_default()
}

/// The policy cache under `root`: empty when there is none, it is not a plain file, too large,
/// or not this pave's.
pub(super) fn read_policy_cache(root: &Path) -> PolicyCache {
    read_cache_file(&root.join(POLICY_CACHE_FILE), MAX_POLICY_CACHE_BYTES)
        .map(|bytes| PolicyCache::read(&bytes))
        .unwrap_or_default()
}

/// The bytes of the cache file at `path`, when it is a plain file of at most `max` bytes.
fn read_cache_file(path: &Path, max: u64) -> Option<Vec<u8>> {
    let plain =
        std::fs::symlink_metadata(path).is_ok_and(|meta| meta.is_file() && meta.len() <= max);
    plain.then(|| std::fs::read(path).ok()).flatten()
}

/// Writes the check cache under `root` (see [`write_cache_file`]).
pub(super) fn write_cache(root: &Path, cache: &CheckCache) -> std::io::Result<()> {
    write_cache_file(root, CACHE_FILE, cache.render().as_bytes())
}

/// Writes a cache file (`file`, relative to `root`, in `.pave/cache/`) under `root`:
/// `.pave/cache/` (with a `.gitignore` of `*`), the file replaced by a rename so a concurrent
/// check reads the old or the new one whole. Folders that are symbolic links are not written
/// through.
pub(super) fn write_cache_file(root: &Path, file: &str, bytes: &[u8]) -> std::io::Result<()> {
    let dir = root.join(CACHE_DIR);
    for folder in [root.join(".pave"), dir.clone()] {
        match std::fs::symlink_metadata(&folder) {
            Ok(meta) if meta.is_dir() => {}
            Ok(_) => return Err(std::io::Error::other("not a folder")),
            Err(_) => std::fs::create_dir(&folder)?,
        }
    }
    let ignore = dir.join(".gitignore");
    if std::fs::symlink_metadata(&ignore).is_err() {
        std::fs::write(
            &ignore,
            "# pave's check cache: local state, never committed\n*\n",
        )?;
    }
    let path = root.join(file);
    if std::fs::symlink_metadata(&path).is_ok_and(|meta| !meta.is_file()) {
        return Err(std::io::Error::other("not a file"));
    }
    let name = file.rsplit('/').next().unwrap_or(file);
    let staged: PathBuf = dir.join(format!("{name}.{}.tmp", std::process::id()));
    std::fs::write(&staged, bytes)?;
    std::fs::rename(&staged, &path).inspect_err(|_| {
        let _ = std::fs::remove_file(&staged);
    })
}

/// A check from scratch, as a [`CachedCheck`] that records nothing.
fn plain_check(
    source_map: &crate::source::SourceMap,
    options: &Options,
    timings: &mut Timings,
) -> CachedCheck {
    let (result, tree) = match compile(source_map, options, timings) {
        Ok(compilation) => (Ok(compilation.warnings), compilation.tree),
        Err(diagnostics) => (Err(diagnostics), crate::emit::OutputTree::default()),
    };
    CachedCheck {
        result,
        cache: None,
        reused_units: (0, 0),
        skipped: Skipped::Nothing,
        tree,
        parse_cache: None,
        policy_cache: None,
    }
}
