//! Installing a set of files into an output folder all at once or not at all.
//!
//! New contents are first written to `.pave/staging/`; nothing in the tree changes while that
//! runs, so a failure or a kill there leaves the tree as it was. A journal then records every
//! file about to change (with the hash of what is installed there), and each is installed by
//! renames: the old file to `.pave/backup/`, the staged one into place. Renaming the journal to
//! `journal.json.done` is the commit point; the clean-up (the staging and backup folders, the
//! folders the removals emptied) follows, then the done journal goes. A failure during the
//! renames rolls back at once; a kill during them is rolled back by the next `pave compile` on
//! that folder ([`recover`]) before it reads the tree, and a kill after the commit point has its
//! clean-up finished then.
//!
//! The journal is read back from a folder a repository controls: every path in it is checked to
//! be a plain path inside the output folder, every step goes through [`RootDir`] (no link
//! followed), and a rollback only removes or replaces a file that is exactly what the journal
//! says this transaction installed there; a journal that fails a check is reported, not used.

use std::collections::HashMap;

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::failpoint::{self, Failpoint};
use super::manifest::{MANIFEST_PATH, STATE_DIR, UNITS_PATH, hash, state_path_problem};
use super::root_dir::{Dir, Entry, FsError, RootDir, descend, split_parent};
use super::{fs_diagnostic, invalid_state};
use crate::diagnostic::{Diagnostic, DiagnosticKind};

/// One file the transaction changes.
#[derive(Debug, Serialize, Deserialize)]
struct JournalEntry {
    path: String,
    /// A file was there before, and is kept in the backup folder until the commit.
    existed: bool,
    /// New contents are installed (otherwise the file is removed).
    install: bool,
    /// The hash of the installed contents: a rollback removes or replaces only that file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    hash: Option<String>,
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct Journal {
    entries: Vec<JournalEntry>,
}

const JOURNAL: &str = "journal.json";
const JOURNAL_TEMP: &str = "journal.json.tmp";
const JOURNAL_DONE: &str = "journal.json.done";
const STAGING: &str = "staging";
const BACKUP: &str = "backup";

/// The path of the journal, relative to the output folder.
fn state_path(name: &str) -> String {
    format!("{STATE_DIR}/{name}")
}

/// Opened folders below one base folder, by relative path: a transaction touches many files in
/// few folders.
struct Dirs<'a> {
    base: &'a Dir,
    open: HashMap<String, Dir>,
}

impl<'a> Dirs<'a> {
    fn new(base: &'a Dir) -> Dirs<'a> {
        Dirs {
            base,
            open: HashMap::new(),
        }
    }

    fn get(&mut self, rel: &str, create: bool) -> Result<&Dir, FsError> {
        if !self.open.contains_key(rel) {
            let dir = descend(self.base, rel, create)?;
            self.open.insert(rel.to_string(), dir);
        }
        self.open
            .get(rel)
            .ok_or_else(|| FsError::Io(rel.to_string(), std::io::ErrorKind::NotFound.into()))
    }
}

/// Installs `installs` (path, contents) and removes `removals`, atomically as seen by pave.
pub(super) fn apply(
    root: &RootDir,
    installs: &[(&str, &[u8])],
    removals: &[String],
) -> Result<(), Vec<Diagnostic>> {
    let fail = |e: FsError| vec![fs_diagnostic(root.path(), e)];
    let state = root.dir(STATE_DIR, true).map_err(fail)?;
    for leftover in [STAGING, BACKUP] {
        state.remove_all(leftover).map_err(fail)?;
    }

    // Stage: the tree is untouched. Folders first, once each, then the files in parallel.
    let staging = state.sub_create(STAGING).map_err(fail)?;
    let mut folders: Vec<&str> = installs
        .iter()
        .map(|(path, _)| split_parent(path).0)
        .collect();
    folders.sort_unstable();
    folders.dedup();
    let mut staged_dirs: HashMap<&str, Dir> = HashMap::with_capacity(folders.len());
    for folder in folders {
        let dir = descend(&staging, folder, true).map_err(fail)?;
        staged_dirs.insert(folder, dir);
    }
    let mut failures: Vec<FsError> = installs
        .par_iter()
        .filter_map(|(path, contents)| {
            let (parent, name) = split_parent(path);
            let dir = staged_dirs.get(parent)?;
            match failpoint::write_error() {
                Some(error) => Some(FsError::Io(dir.rel_of(name), error)),
                None => dir.write(name, contents, false).err(),
            }
        })
        .collect();
    if !failures.is_empty() || matches!(failpoint::check("staged"), Failpoint::Fail) {
        drop(staged_dirs);
        let _ = state.remove_all(STAGING);
        failures.sort_by(|a, b| error_path(a).cmp(error_path(b)));
        let needed: u64 = installs.iter().map(|(_, c)| c.len() as u64).sum();
        return Err(vec![match failures.first() {
            None => injected("staged"),
            Some(first) => staging_failure(root, first, failures.len(), installs.len(), needed),
        }]);
    }
    drop(staged_dirs);

    let mut journal = Journal::default();
    for (path, contents) in installs {
        let existed = root.entry(path).map_err(fail)?.is_some();
        journal.entries.push(JournalEntry {
            path: (*path).to_string(),
            existed,
            install: true,
            hash: Some(hash(contents)),
        });
    }
    journal
        .entries
        .extend(removals.iter().map(|path| JournalEntry {
            path: path.clone(),
            existed: true,
            install: false,
            hash: None,
        }));
    write_journal(&state, &journal).map_err(fail)?;

    if let Err(error) = commit(root, &state, &journal) {
        let mut diagnostics = vec![fs_diagnostic(root.path(), error)];
        if let Err(error) = rollback(root, &state, &journal) {
            diagnostics.push(error);
        }
        return Err(diagnostics);
    }
    // The commit point: from here the new tree stands.
    state.rename(JOURNAL, &state, JOURNAL_DONE).map_err(fail)?;
    if matches!(failpoint::check("committed"), Failpoint::Fail) {
        return Err(vec![injected("committed")]);
    }
    finish(root, &state, &journal);
    Ok(())
}

fn error_path(error: &FsError) -> &str {
    match error {
        FsError::Symlink(path) | FsError::Io(path, _) => path,
    }
}

/// One diagnostic for a staging step that failed for `failed` of `total` files: a full disk
/// fails every file alike, and one error with the space needed says it all.
fn staging_failure(
    root: &RootDir,
    first: &FsError,
    failed: usize,
    total: usize,
    needed: u64,
) -> Diagnostic {
    match first {
        FsError::Io(_, error) if error.kind() == std::io::ErrorKind::StorageFull => {
            Diagnostic::unplaced(DiagnosticKind::NoSpace {
                path: super::super::display(root.path()),
                needed: format!("{total} files, {} ({needed} bytes)", human_bytes(needed)),
            })
        }
        FsError::Io(path, error) if failed > 1 => Diagnostic::unplaced(DiagnosticKind::Io {
            path: super::super::display(&root.path().join(path)),
            message: format!(
                "{error} (and {} more files alike); nothing was changed",
                failed - 1
            ),
        }),
        _ => fs_diagnostic(root.path(), clone_error(first)),
    }
}

fn clone_error(error: &FsError) -> FsError {
    match error {
        FsError::Symlink(path) => FsError::Symlink(path.clone()),
        FsError::Io(path, e) => {
            FsError::Io(path.clone(), std::io::Error::new(e.kind(), e.to_string()))
        }
    }
}

fn human_bytes(bytes: u64) -> String {
    const MIB: u64 = 1024 * 1024;
    if bytes >= MIB {
        format!("{:.1} MiB", bytes as f64 / MIB as f64)
    } else {
        format!("{:.1} KiB", bytes as f64 / 1024.0)
    }
}

fn injected(point: &str) -> Diagnostic {
    Diagnostic::unplaced(DiagnosticKind::Io {
        path: point.to_string(),
        message: "failure injected by PAVE_FAILPOINT".into(),
    })
}

fn commit(root: &RootDir, state: &Dir, journal: &Journal) -> Result<(), FsError> {
    let staging = state.sub(STAGING)?;
    let backup = state.sub_create(BACKUP)?;
    // A folder that does not exist in the tree yet moves in whole, with one rename: on a fresh
    // tree that is a handful of renames instead of one per file. Rollback treats its files one by
    // one all the same (they have left the staging folder).
    for folder in new_folders(root, journal)? {
        let (parent, name) = split_parent(&folder);
        let from = descend(&staging, parent, false)?;
        let to = root.dir(parent, true)?;
        from.rename(name, &to, name)?;
    }
    let mut targets = Dirs::new(root.top());
    let mut backups = Dirs::new(&backup);
    let mut staged = Dirs::new(&staging);
    let middle = journal.entries.len() / 2;
    for (i, entry) in journal.entries.iter().enumerate() {
        if i == middle && matches!(failpoint::check("mid-commit"), Failpoint::Fail) {
            return Err(FsError::Io(
                "mid-commit".into(),
                std::io::Error::other("failure injected by PAVE_FAILPOINT"),
            ));
        }
        let (parent, name) = split_parent(&entry.path);
        if entry.existed {
            let saved = backups.get(parent, true)?;
            targets.get(parent, false)?.rename(name, saved, name)?;
        }
        if entry.install {
            let from = match staged.get(parent, false) {
                Ok(dir) => dir,
                // Its folder moved in whole.
                Err(error) if error.is_not_found() => continue,
                Err(error) => return Err(error),
            };
            if from.entry(name)?.is_some() {
                from.rename(name, targets.get(parent, true)?, name)?;
            }
        }
    }
    Ok(())
}

/// The topmost folders of installed files that do not exist in the tree.
fn new_folders(root: &RootDir, journal: &Journal) -> Result<Vec<String>, FsError> {
    let mut exists: HashMap<String, bool> = HashMap::new();
    let mut folders: std::collections::BTreeSet<String> = std::collections::BTreeSet::new();
    for entry in journal.entries.iter().filter(|e| e.install && !e.existed) {
        let (parent, _) = split_parent(&entry.path);
        let mut prefix = String::new();
        for part in parent.split('/').filter(|p| !p.is_empty()) {
            if !prefix.is_empty() {
                prefix.push('/');
            }
            prefix.push_str(part);
            let present = match exists.get(&prefix) {
                Some(present) => *present,
                None => {
                    let present = root.entry(&prefix)?.is_some();
                    exists.insert(prefix.clone(), present);
                    present
                }
            };
            if !present {
                folders.insert(prefix.clone());
                break;
            }
        }
    }
    // A folder inside another new folder moves with it.
    let all: Vec<String> = folders.iter().cloned().collect();
    folders.retain(|f| {
        !all.iter()
            .any(|other| f != other && f.starts_with(&format!("{other}/")))
    });
    Ok(folders.into_iter().collect())
}

/// Whether the file `name` in `dir` holds exactly the contents hashed as `expected`.
fn holds(dir: &Dir, name: &str, expected: Option<&str>) -> bool {
    let Some(expected) = expected else {
        return false;
    };
    matches!(dir.entry(name), Ok(Some(Entry::File { .. })))
        && dir.read(name).is_ok_and(|bytes| hash(&bytes) == expected)
}

/// Undoes the renames of an interrupted commit, whatever point it reached. A file in the tree is
/// removed or replaced only if it is exactly what this transaction installed; the journal and
/// the backup stay when something could not be restored.
fn rollback(root: &RootDir, state: &Dir, journal: &Journal) -> Result<(), Diagnostic> {
    let staging = state.sub(STAGING).ok();
    let backup = state.sub(BACKUP).ok();
    let mut failed: Option<FsError> = None;
    for entry in journal.entries.iter().rev() {
        let (parent, name) = split_parent(&entry.path);
        let target = root.dir(parent, false).ok();
        let target_holds_install = entry.install
            && target
                .as_ref()
                .is_some_and(|dir| holds(dir, name, entry.hash.as_deref()));
        let target_free = target
            .as_ref()
            .is_none_or(|dir| matches!(dir.entry(name), Ok(None)));
        let still_staged = staging
            .as_ref()
            .and_then(|dir| descend(dir, parent, false).ok())
            .is_some_and(|dir| matches!(dir.entry(name), Ok(Some(_))));
        let saved = backup
            .as_ref()
            .and_then(|dir| descend(dir, parent, false).ok())
            .filter(|dir| matches!(dir.entry(name), Ok(Some(Entry::File { .. }))));
        // An installed file has left the staging folder: put the old one back, or remove it.
        if target_holds_install && !still_staged && !entry.existed {
            if let Some(dir) = &target
                && let Err(error) = dir.remove_file(name)
            {
                failed.get_or_insert(error);
            }
            remove_empty_parents(root, &entry.path);
        }
        if entry.existed
            && let Some(saved) = saved
            && (target_free || target_holds_install)
        {
            let restored = root
                .dir(parent, true)
                .and_then(|dir| saved.rename(name, &dir, name));
            if let Err(error) = restored {
                failed.get_or_insert(error);
            }
        }
    }
    if let Some(error) = failed {
        return Err(fs_diagnostic(root.path(), error));
    }
    let _ = state.remove_file(JOURNAL);
    let _ = state.remove_all(STAGING);
    let _ = state.remove_all(BACKUP);
    Ok(())
}

/// The clean-up after the commit point: the staging and backup folders, the folders the removals
/// left empty, then the done journal.
fn finish(root: &RootDir, state: &Dir, journal: &Journal) {
    let _ = state.remove_all(STAGING);
    let _ = state.remove_all(BACKUP);
    for entry in journal.entries.iter().filter(|e| !e.install) {
        remove_empty_parents(root, &entry.path);
    }
    let _ = state.remove_file(JOURNAL_DONE);
}

/// Reads and checks the journal `name` in the state folder; `None` when there is none.
fn read_journal(root: &RootDir, state: &Dir, name: &str) -> Result<Option<Journal>, Diagnostic> {
    let path = state_path(name);
    let text = match state.read(name) {
        Ok(text) => text,
        Err(error) if error.is_not_found() => return Ok(None),
        Err(error) => return Err(fs_diagnostic(root.path(), error)),
    };
    // The journal is written whole and renamed into place: one that does not parse was not
    // written by pave.
    let journal: Journal = serde_json::from_slice(&text)
        .map_err(|e| invalid_state(root.path(), &path, &format!("it does not parse: {e}")))?;
    if let Some(problem) = journal
        .entries
        .iter()
        .filter(|entry| entry.path != MANIFEST_PATH && entry.path != UNITS_PATH)
        .find_map(|entry| state_path_problem(&entry.path))
    {
        return Err(invalid_state(root.path(), &path, &problem));
    }
    Ok(Some(journal))
}

/// Before a compile reads the tree: rolls back a transaction a killed run left behind, finishes
/// the clean-up of one killed after its commit point, and removes the working folders a kill
/// left. Returns whether there was a transaction to roll back.
pub(super) fn recover(root: &RootDir) -> Result<bool, Diagnostic> {
    let state = match root.dir(STATE_DIR, false) {
        Ok(state) => state,
        Err(error) if error.is_not_found() => return Ok(false),
        Err(error) => return Err(fs_diagnostic(root.path(), error)),
    };
    if let Some(journal) = read_journal(root, &state, JOURNAL)? {
        rollback(root, &state, &journal)?;
        return Ok(true);
    }
    if let Some(journal) = read_journal(root, &state, JOURNAL_DONE)? {
        finish(root, &state, &journal);
    }
    // A kill while staging leaves only the staging folder, which the tree never saw.
    let _ = state.remove_file(JOURNAL_TEMP);
    for leftover in [STAGING, BACKUP] {
        state
            .remove_all(leftover)
            .map_err(|e| fs_diagnostic(root.path(), e))?;
    }
    Ok(false)
}

/// For a command that only reads: an error when a killed compile left the tree half-installed
/// (the next `pave compile` rolls it back; reading must not).
pub(super) fn interrupted(root: &RootDir) -> Result<(), Diagnostic> {
    match root.entry(&state_path(JOURNAL)) {
        Ok(None) => Ok(()),
        Ok(Some(_)) => Err(Diagnostic::unplaced(DiagnosticKind::InterruptedWrite {
            path: super::super::display(&root.path().join(state_path(JOURNAL))),
        })),
        Err(error) => Err(fs_diagnostic(root.path(), error)),
    }
}

fn write_journal(state: &Dir, journal: &Journal) -> Result<(), FsError> {
    let text = serde_json::to_vec(journal).unwrap_or_default();
    state.write(JOURNAL_TEMP, &text, true)?;
    state.rename(JOURNAL_TEMP, state, JOURNAL)
}

/// Removes the folders above `path` that are empty, up to the output folder.
pub(super) fn remove_empty_parents(root: &RootDir, path: &str) {
    let mut current = split_parent(path).0;
    while !current.is_empty() {
        let (parent, name) = split_parent(current);
        let Ok(dir) = root.dir(parent, false) else {
            break;
        };
        if !dir.remove_empty_dir(name) {
            break;
        }
        current = parent;
    }
}
