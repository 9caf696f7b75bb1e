//! Writing an [`OutputTree`] to disk: only files whose bytes changed, never a file pave did not
//! generate. Ownership is recorded in `.pave/manifest.json` in the output folder (path and
//! content hash of every generated file) and in the header every generated file starts with.

use std::collections::BTreeMap;
use std::fs;
use std::io::Read as _;
use std::path::{Path, PathBuf};

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::diagnostic::{Diagnostic, DiagnosticKind};
use crate::emit::OutputTree;
use crate::source::{GENERATED_HEADER, OUTPUT_MARKER};

/// What a write did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub(super) struct WriteReport {
    pub total: usize,
    pub written: usize,
    pub removed: usize,
    pub unchanged: usize,
}

/// The ownership manifest.
#[derive(Debug, Default, Serialize, Deserialize)]
struct Manifest {
    generator: String,
    version: u32,
    /// Path relative to the output folder -> BLAKE3 of the contents.
    files: BTreeMap<String, String>,
}

const MANIFEST_VERSION: u32 = 1;

fn manifest_path(out_dir: &Path) -> PathBuf {
    out_dir.join(OUTPUT_MARKER).join("manifest.json")
}

fn hash(contents: &[u8]) -> String {
    blake3::hash(contents).to_hex().to_string()
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

enum Action {
    Write,
    Unchanged,
}

/// Writes `tree` into `out_dir`. Nothing is written when any target is a file pave does not
/// own; those are returned as `unowned-file` diagnostics.
pub(super) fn write_tree(
    out_dir: &Path,
    tree: &OutputTree,
) -> Result<WriteReport, Vec<Diagnostic>> {
    let manifest: Manifest = fs::read(manifest_path(out_dir))
        .ok()
        .and_then(|bytes| serde_json::from_slice(&bytes).ok())
        .unwrap_or_default();

    // Decide every action before touching the disk.
    let decisions: Vec<(&String, Result<Action, Diagnostic>, String)> = tree
        .files
        .par_iter()
        .map(|(path, file)| {
            let target = out_dir.join(path);
            let new_hash = hash(file.contents.as_bytes());
            let action = match fs::symlink_metadata(&target) {
                Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(Action::Write),
                Err(error) => Err(io_error(&target, &error)),
                Ok(meta) if !meta.is_file() => Err(unowned(&target)),
                Ok(meta) => {
                    let recorded = manifest.files.get(path);
                    if recorded.is_none() && !has_header(&target) {
                        Err(unowned(&target))
                    } else if (recorded == Some(&new_hash)
                        && meta.len() == file.contents.len() as u64)
                        || fs::read(&target).is_ok_and(|old| old == file.contents.as_bytes())
                    {
                        // Trust the manifest's hash when the size agrees; read only otherwise.
                        Ok(Action::Unchanged)
                    } else {
                        Ok(Action::Write)
                    }
                }
            };
            (path, action, new_hash)
        })
        .collect();
    let errors: Vec<Diagnostic> = decisions
        .iter()
        .filter_map(|(_, action, _)| action.as_ref().err().cloned())
        .collect();
    if !errors.is_empty() {
        return Err(errors);
    }

    let mut report = WriteReport {
        total: tree.len(),
        ..WriteReport::default()
    };
    let to_write: Vec<&String> = decisions
        .iter()
        .filter(|(_, action, _)| matches!(action, Ok(Action::Write)))
        .map(|(path, ..)| *path)
        .collect();
    report.written = to_write.len();
    report.unchanged = tree.len() - to_write.len();
    let failures: Vec<Diagnostic> = to_write
        .par_iter()
        .filter_map(|path| {
            let contents = &tree.files.get(*path)?.contents;
            write_atomic(&out_dir.join(path), contents.as_bytes()).err()
        })
        .collect();
    if !failures.is_empty() {
        return Err(failures);
    }

    // Remove what pave generated before and no longer does; leave anything a user took over.
    for path in manifest
        .files
        .keys()
        .filter(|p| !tree.files.contains_key(*p))
    {
        let target = out_dir.join(path);
        if has_header(&target) {
            fs::remove_file(&target).map_err(|e| vec![io_error(&target, &e)])?;
            report.removed += 1;
            remove_empty_parents(out_dir, &target);
        }
    }

    let new_manifest = Manifest {
        generator: "pave".into(),
        version: MANIFEST_VERSION,
        files: decisions
            .into_iter()
            .map(|(path, _, hash)| (path.clone(), hash))
            .collect(),
    };
    let mut text = serde_json::to_string_pretty(&new_manifest).unwrap_or_default();
    text.push('\n');
    let path = manifest_path(out_dir);
    write_atomic(&path, text.as_bytes()).map_err(|e| vec![e])?;
    Ok(report)
}

fn unowned(path: &Path) -> Diagnostic {
    Diagnostic::unplaced(DiagnosticKind::UnownedFile {
        path: super::display(path),
    })
}

/// Writes through a temporary file in the same folder and a rename, so a reader never sees
/// half a file.
fn write_atomic(path: &Path, contents: &[u8]) -> Result<(), Diagnostic> {
    let parent = path.parent().unwrap_or(Path::new("."));
    fs::create_dir_all(parent).map_err(|e| io_error(parent, &e))?;
    let file_name = path
        .file_name()
        .map(|n| n.to_string_lossy())
        .unwrap_or_default();
    let temp = parent.join(format!(".{file_name}.pave-tmp"));
    fs::write(&temp, contents).map_err(|e| io_error(&temp, &e))?;
    fs::rename(&temp, path).map_err(|e| {
        let _ = fs::remove_file(&temp);
        io_error(path, &e)
    })
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
