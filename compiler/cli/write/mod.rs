//! Writing an [`OutputTree`] to disk: only files whose bytes changed, never a file pave did not
//! generate, all at once or not at all, one run at a time.
//!
//! Ownership: `.pave/manifest.json` in the output folder lists every generated file with a hash
//! of its contents, and every generated file starts with the generated-file header; a file with
//! neither is the user's. Atomicity: see [`transaction`]. Exclusion: `.pave/lock`.

mod failpoint;
mod manifest;
mod transaction;

use std::collections::BTreeMap;
use std::fs;
use std::io::Read as _;
use std::path::Path;

use rayon::prelude::*;

use self::manifest::{MANIFEST_PATH, Manifest, hash, state_dir};
use crate::diagnostic::{Diagnostic, DiagnosticKind};
use crate::emit::OutputTree;
use crate::source::GENERATED_HEADER;

/// What a write did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub(super) struct WriteReport {
    pub(super) total: usize,
    pub(super) written: usize,
    pub(super) removed: usize,
    pub(super) unchanged: usize,
}

/// How the tree on disk differs from the one the specs produce.
struct Changes<'a> {
    /// New or changed files.
    writes: Vec<&'a str>,
    /// Files pave generated before and no longer does.
    removals: Vec<String>,
    /// The hash of every file of the new tree.
    hashes: BTreeMap<String, String>,
    /// Whether the manifest on disk already says exactly this.
    manifest_current: bool,
}

fn io_error(path: &Path, error: &std::io::Error) -> Diagnostic {
    Diagnostic::unplaced(DiagnosticKind::Io {
        path: super::display(path),
        message: error.to_string(),
    })
}

/// Whether the file at `path` starts with pave's generated-file header.
fn has_header(path: &Path) -> bool {
    let mut buffer = [0u8; GENERATED_HEADER.len()];
    fs::File::open(path)
        .and_then(|mut file| file.read_exact(&mut buffer))
        .is_ok_and(|()| buffer == GENERATED_HEADER.as_bytes())
}

fn unowned(path: &Path) -> Diagnostic {
    Diagnostic::unplaced(DiagnosticKind::UnownedFile {
        path: super::display(path),
    })
}

/// Compares `tree` with `out_dir`, reading a file only when the manifest cannot vouch for it.
/// Files in the way that pave does not own are errors.
fn changes<'a>(
    out_dir: &Path,
    tree: &'a OutputTree,
    manifest: &Manifest,
) -> Result<Changes<'a>, Vec<Diagnostic>> {
    let decisions: Vec<(&str, Result<bool, Diagnostic>, String)> = tree
        .files
        .par_iter()
        .map(|(path, file)| {
            let target = out_dir.join(path);
            let new_hash = hash(file.contents.as_bytes());
            let write = match fs::symlink_metadata(&target) {
                Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(true),
                Err(error) => Err(io_error(&target, &error)),
                Ok(meta) if !meta.is_file() => Err(unowned(&target)),
                Ok(meta) => {
                    let recorded = manifest.files.get(path);
                    if recorded.is_none() && !has_header(&target) {
                        Err(unowned(&target))
                    } else if recorded == Some(&new_hash)
                        && meta.len() == file.contents.len() as u64
                    {
                        // Trust the manifest when the size agrees; read the file only otherwise.
                        Ok(false)
                    } else {
                        Ok(!fs::read(&target).is_ok_and(|old| old == file.contents.as_bytes()))
                    }
                }
            };
            (path.as_str(), write, new_hash)
        })
        .collect();
    let errors: Vec<Diagnostic> = decisions
        .iter()
        .filter_map(|(_, d, _)| d.as_ref().err().cloned())
        .collect();
    if !errors.is_empty() {
        return Err(errors);
    }
    let writes = decisions
        .iter()
        .filter(|(_, d, _)| matches!(d, Ok(true)))
        .map(|(p, ..)| *p)
        .collect();
    let hashes: BTreeMap<String, String> = decisions
        .into_iter()
        .map(|(p, _, h)| (p.to_string(), h))
        .collect();
    // What pave generated before and no longer does; a file a user took over (header removed)
    // is left alone.
    let removals = manifest
        .files
        .keys()
        .filter(|p| !tree.files.contains_key(*p))
        .filter(|p| has_header(&out_dir.join(p)))
        .cloned()
        .collect();
    let manifest_current = manifest.files == hashes;
    Ok(Changes {
        writes,
        removals,
        hashes,
        manifest_current,
    })
}

/// Holds `.pave/lock` in an output folder for as long as it lives.
struct Lock {
    _file: fs::File,
}

fn lock(out_dir: &Path) -> Result<Lock, Vec<Diagnostic>> {
    let state = state_dir(out_dir);
    fs::create_dir_all(&state).map_err(|e| vec![io_error(&state, &e)])?;
    // pave's working files in the state folder are not for version control; the manifest is.
    let ignore = state.join(".gitignore");
    if !ignore.exists() {
        fs::write(&ignore, "/lock\n/staging/\n/backup/\n/journal.json*\n")
            .map_err(|e| vec![io_error(&ignore, &e)])?;
    }
    let path = state.join("lock");
    let file = fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .map_err(|e| vec![io_error(&path, &e)])?;
    match file.try_lock() {
        Ok(()) => Ok(Lock { _file: file }),
        Err(fs::TryLockError::WouldBlock) => {
            Err(vec![Diagnostic::unplaced(DiagnosticKind::OutputLocked {
                path: super::display(out_dir),
            })])
        }
        Err(fs::TryLockError::Error(error)) => Err(vec![io_error(&path, &error)]),
    }
}

/// Writes `tree` into `out_dir`: nothing at all when a file in the way is not pave's.
pub(super) fn write_tree(
    out_dir: &Path,
    tree: &OutputTree,
) -> Result<WriteReport, Vec<Diagnostic>> {
    let _lock = lock(out_dir)?;
    transaction::recover(out_dir).map_err(|e| vec![e])?;
    let manifest = Manifest::read(out_dir);
    let changes = changes(out_dir, tree, &manifest)?;
    let report = WriteReport {
        total: tree.len(),
        written: changes.writes.len(),
        removed: changes.removals.len(),
        unchanged: tree.len() - changes.writes.len(),
    };
    if changes.writes.is_empty() && changes.removals.is_empty() && changes.manifest_current {
        return Ok(report);
    }
    let manifest_text = Manifest::new(changes.hashes).to_text();
    let mut installs: Vec<(&str, &[u8])> = changes
        .writes
        .iter()
        .filter_map(|path| {
            tree.files
                .get(*path)
                .map(|f| (*path, f.contents.as_bytes()))
        })
        .collect();
    installs.push((MANIFEST_PATH, manifest_text.as_bytes()));
    transaction::apply(out_dir, &installs, &changes.removals)?;
    Ok(report)
}

/// The files that differ between `tree` and `out_dir`, as `stale-file` diagnostics; writes
/// nothing (except rolling back a transaction a killed run left behind).
pub(super) fn check_tree(
    out_dir: &Path,
    tree: &OutputTree,
) -> Result<Vec<Diagnostic>, Vec<Diagnostic>> {
    let manifest = if state_dir(out_dir).exists() {
        let _lock = lock(out_dir)?;
        transaction::recover(out_dir).map_err(|e| vec![e])?;
        Manifest::read(out_dir)
    } else {
        Manifest::default()
    };
    let changes = changes(out_dir, tree, &manifest)?;
    let stale = |path: &str, change: &str| {
        Diagnostic::unplaced(DiagnosticKind::StaleFile {
            path: super::display(&out_dir.join(path)),
            change: change.into(),
        })
    };
    let mut stale_files: Vec<Diagnostic> = changes
        .writes
        .iter()
        .map(|path| {
            let change = if out_dir.join(path).exists() {
                "differs from the specs"
            } else {
                "missing"
            };
            stale(path, change)
        })
        .chain(
            changes
                .removals
                .iter()
                .map(|path| stale(path, "no longer generated")),
        )
        .collect();
    stale_files.sort_by_key(|d| d.kind.message());
    Ok(stale_files)
}

/// The files pave owns in `out_dir` (path → contents): those in the manifest, or without one,
/// those with the generated-file header. Rolls back a transaction a killed run left first.
pub(super) fn read_owned(out_dir: &Path) -> Result<BTreeMap<String, String>, Vec<Diagnostic>> {
    if !out_dir.exists() {
        return Ok(BTreeMap::new());
    }
    // Without a state folder no pave ever wrote here: nothing to lock or recover, and reading
    // must not create one.
    let _lock = if state_dir(out_dir).exists() {
        let lock = lock(out_dir)?;
        transaction::recover(out_dir).map_err(|e| vec![e])?;
        Some(lock)
    } else {
        None
    };
    let manifest = Manifest::read(out_dir);
    let paths: Vec<String> = if manifest.files.is_empty() {
        walkdir::WalkDir::new(out_dir)
            .sort_by_file_name()
            .into_iter()
            .filter_entry(|e| e.depth() == 0 || !e.file_name().to_string_lossy().starts_with('.'))
            .filter_map(Result::ok)
            .filter(|e| e.file_type().is_file() && has_header(e.path()))
            .filter_map(|e| {
                let relative = e.path().strip_prefix(out_dir).ok()?;
                Some(
                    relative
                        .components()
                        .map(|c| c.as_os_str().to_string_lossy())
                        .collect::<Vec<_>>()
                        .join("/"),
                )
            })
            .collect()
    } else {
        manifest.files.keys().cloned().collect()
    };
    let mut files = BTreeMap::new();
    for path in paths {
        let target = out_dir.join(&path);
        match fs::read_to_string(&target) {
            Ok(text) => {
                files.insert(path, text);
            }
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {}
            Err(error) => return Err(vec![io_error(&target, &error)]),
        }
    }
    Ok(files)
}
