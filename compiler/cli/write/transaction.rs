//! Installing a set of files into an output folder all at once or not at all.
//!
//! New contents are first written to `.pave/staging/`; nothing in the tree changes while that
//! runs, so a failure or a kill there leaves the tree as it was. A journal then records every
//! file about to change, and each is installed by renames: the old file to `.pave/backup/`, the
//! staged one into place. Deleting the journal is the commit point. A failure during the renames
//! rolls back at once; a kill during them is rolled back by the next pave run on that folder
//! ([`recover`]), before it reads the tree.

use std::fs;
use std::path::{Path, PathBuf};

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::failpoint::{self, Failpoint};
use super::io_error;
use super::manifest::state_dir;
use crate::diagnostic::{Diagnostic, DiagnosticKind};

/// One file the transaction changes.
#[derive(Debug, Serialize, Deserialize)]
struct Entry {
    path: String,
    /// A file was there before, and is kept in the backup folder until the commit.
    existed: bool,
    /// New contents are installed (otherwise the file is removed).
    install: bool,
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct Journal {
    entries: Vec<Entry>,
}

fn journal_path(out_dir: &Path) -> PathBuf {
    state_dir(out_dir).join("journal.json")
}

fn staging_dir(out_dir: &Path) -> PathBuf {
    state_dir(out_dir).join("staging")
}

fn backup_dir(out_dir: &Path) -> PathBuf {
    state_dir(out_dir).join("backup")
}

/// Installs `installs` (path, contents) and removes `removals`, atomically as seen by pave.
pub(super) fn apply(
    out_dir: &Path,
    installs: &[(&str, &[u8])],
    removals: &[String],
) -> Result<(), Vec<Diagnostic>> {
    let staging = staging_dir(out_dir);
    let backup = backup_dir(out_dir);
    for leftover in [&staging, &backup] {
        if leftover.exists() {
            fs::remove_dir_all(leftover).map_err(|e| vec![io_error(leftover, &e)])?;
        }
    }

    // Stage: the tree is untouched. Folders first, once each, then the files in parallel.
    let mut folders: Vec<&str> = installs
        .iter()
        .filter_map(|(path, _)| path.rsplit_once('/').map(|(dir, _)| dir))
        .collect();
    folders.sort_unstable();
    folders.dedup();
    for folder in folders {
        let dir = staging.join(folder);
        fs::create_dir_all(&dir).map_err(|e| vec![io_error(&dir, &e)])?;
    }
    fs::create_dir_all(&staging).map_err(|e| vec![io_error(&staging, &e)])?;
    let failures: Vec<Diagnostic> = installs
        .par_iter()
        .filter_map(|(path, contents)| {
            let target = staging.join(path);
            fs::write(&target, contents)
                .map_err(|e| io_error(&target, &e))
                .err()
        })
        .collect();
    if !failures.is_empty() || matches!(failpoint::check("staged"), Failpoint::Fail) {
        let _ = fs::remove_dir_all(&staging);
        return Err(if failures.is_empty() {
            vec![injected("staged")]
        } else {
            failures
        });
    }

    let journal = Journal {
        entries: installs
            .iter()
            .map(|(path, _)| Entry {
                path: (*path).to_string(),
                existed: out_dir.join(path).exists(),
                install: true,
            })
            .chain(removals.iter().map(|path| Entry {
                path: path.clone(),
                existed: true,
                install: false,
            }))
            .collect(),
    };
    write_journal(out_dir, &journal)?;

    if let Err(error) = commit(out_dir, &journal) {
        rollback(out_dir, &journal);
        return Err(vec![error]);
    }
    // The commit point: from here the new tree stands.
    let path = journal_path(out_dir);
    fs::remove_file(&path).map_err(|e| vec![io_error(&path, &e)])?;
    let _ = fs::remove_dir_all(&staging);
    let _ = fs::remove_dir_all(&backup);
    for removed in removals {
        remove_empty_parents(out_dir, &out_dir.join(removed));
    }
    Ok(())
}

fn injected(point: &str) -> Diagnostic {
    Diagnostic::unplaced(DiagnosticKind::Io {
        path: point.to_string(),
        message: "failure injected by PAVE_FAILPOINT".into(),
    })
}

fn commit(out_dir: &Path, journal: &Journal) -> Result<(), Diagnostic> {
    let staging = staging_dir(out_dir);
    let backup = backup_dir(out_dir);
    // A folder that does not exist in the tree yet moves in whole, with one rename: on a fresh
    // tree that is a handful of renames instead of one per file. Rollback treats its files one by
    // one all the same (they have left the staging folder).
    for folder in new_folders(out_dir, journal) {
        rename(&staging.join(&folder), &out_dir.join(&folder))?;
    }
    let middle = journal.entries.len() / 2;
    for (i, entry) in journal.entries.iter().enumerate() {
        if i == middle && matches!(failpoint::check("mid-commit"), Failpoint::Fail) {
            return Err(injected("mid-commit"));
        }
        let target = out_dir.join(&entry.path);
        let staged = staging.join(&entry.path);
        if entry.existed {
            rename(&target, &backup.join(&entry.path))?;
        }
        if entry.install && staged.exists() {
            rename(&staged, &target)?;
        }
    }
    Ok(())
}

/// The topmost folders of installed files that do not exist in the tree.
fn new_folders(out_dir: &Path, journal: &Journal) -> Vec<String> {
    let mut exists: std::collections::HashMap<String, bool> = std::collections::HashMap::new();
    let mut folders: std::collections::BTreeSet<String> = std::collections::BTreeSet::new();
    for entry in journal.entries.iter().filter(|e| e.install && !e.existed) {
        let mut prefix = String::new();
        for part in entry
            .path
            .split('/')
            .collect::<Vec<_>>()
            .iter()
            .rev()
            .skip(1)
            .rev()
        {
            if !prefix.is_empty() {
                prefix.push('/');
            }
            prefix.push_str(part);
            let present = *exists
                .entry(prefix.clone())
                .or_insert_with(|| out_dir.join(&prefix).exists());
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
    folders.into_iter().collect()
}

/// Undoes the renames of an interrupted commit, whatever point it reached.
fn rollback(out_dir: &Path, journal: &Journal) {
    let staging = staging_dir(out_dir);
    let backup = backup_dir(out_dir);
    for entry in journal.entries.iter().rev() {
        let target = out_dir.join(&entry.path);
        let staged = staging.join(&entry.path);
        let saved = backup.join(&entry.path);
        // An installed file has left the staging folder; put the old one back, or remove it.
        if entry.install && !staged.exists() && target.exists() && !entry.existed {
            let _ = fs::remove_file(&target);
            remove_empty_parents(out_dir, &target);
        }
        if entry.existed && saved.exists() {
            let _ = fs::rename(&saved, &target);
        }
    }
    let _ = fs::remove_file(journal_path(out_dir));
    let _ = fs::remove_dir_all(&staging);
    let _ = fs::remove_dir_all(&backup);
}

/// Rolls back a transaction a killed run left behind. Returns whether there was one.
pub(super) fn recover(out_dir: &Path) -> Result<bool, Diagnostic> {
    let path = journal_path(out_dir);
    let text = match fs::read(&path) {
        Ok(text) => text,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
            // A kill while staging leaves only the staging folder, which the tree never saw.
            let _ = fs::remove_dir_all(staging_dir(out_dir));
            return Ok(false);
        }
        Err(error) => return Err(io_error(&path, &error)),
    };
    // A journal that does not parse was being written when the run died: nothing was renamed.
    let journal: Journal = serde_json::from_slice(&text).unwrap_or_default();
    rollback(out_dir, &journal);
    Ok(true)
}

fn write_journal(out_dir: &Path, journal: &Journal) -> Result<(), Vec<Diagnostic>> {
    let path = journal_path(out_dir);
    let text = serde_json::to_vec(journal).unwrap_or_default();
    let temp = path.with_extension("json.tmp");
    let written = fs::File::create(&temp).and_then(|mut file| {
        std::io::Write::write_all(&mut file, &text)?;
        file.sync_all()
    });
    written
        .and_then(|()| fs::rename(&temp, &path))
        .map_err(|e| vec![io_error(&path, &e)])
}

fn rename(from: &Path, to: &Path) -> Result<(), Diagnostic> {
    if let Some(parent) = to.parent() {
        fs::create_dir_all(parent).map_err(|e| io_error(parent, &e))?;
    }
    fs::rename(from, to).map_err(|e| io_error(to, &e))
}

fn remove_empty_parents(out_dir: &Path, file: &Path) {
    let mut dir = file.parent();
    while let Some(current) = dir {
        if current == out_dir || !current.starts_with(out_dir) || fs::remove_dir(current).is_err() {
            break;
        }
        dir = current.parent();
    }
}
