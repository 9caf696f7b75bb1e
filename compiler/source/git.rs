//! Reading a platform's specs as they are at a git revision, without a checkout.

use std::collections::BTreeSet;
use std::io::Write as _;
use std::path::Path;
use std::process::{Command, Stdio};

use super::discover::{
    MAX_ASSET_BYTES, add_stdlib, add_user_file, is_skipped_dir_name, is_source_name, score_folders,
    spec_order,
};
use super::{DiscoverError, OUTPUT_MARKER, Origin, ROOT_FILE, Skipped, SourceFile, SourceMap};

fn git(dir: &Path, args: &[&str]) -> Result<Vec<u8>, DiscoverError> {
    let output = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(args)
        .output()
        .map_err(|e| DiscoverError::Git {
            message: format!("cannot run git: {e}"),
        })?;
    if !output.status.success() {
        return Err(DiscoverError::Git {
            message: String::from_utf8_lossy(&output.stderr).trim().to_string(),
        });
    }
    Ok(output.stdout)
}

/// The specs under `root` as committed at `rev`, named relative to `root`, filtered and ordered
/// as [`read_platform`](super::read_platform) does on disk.
pub fn read_platform_at(root: &Path, rev: &str) -> Result<SourceMap, DiscoverError> {
    let top = String::from_utf8_lossy(&git(root, &["rev-parse", "--show-toplevel"])?)
        .trim()
        .to_string();
    let canonical = |p: &Path| {
        p.canonicalize().map_err(|error| DiscoverError::Io {
            path: p.to_path_buf(),
            error,
        })
    };
    let top = canonical(Path::new(&top))?;
    let root_abs = canonical(root)?;
    let prefix = root_abs
        .strip_prefix(&top)
        .map(super::discover::slash_path)
        .unwrap_or_default();
    let spec = format!("{rev}^{{tree}}");
    let mut args = vec!["ls-tree", "-r", "-z", "--full-name", spec.as_str()];
    if !prefix.is_empty() {
        args.extend(["--", prefix.as_str()]);
    }
    let listing = git(&top, &args)?;

    // (name relative to root, blob id)
    let mut blobs: Vec<(String, String)> = Vec::new();
    // Symbolic links (mode 120000; the blob is the target): (name, blob id).
    let mut links: Vec<(String, String)> = Vec::new();
    let mut output_dirs: BTreeSet<String> = BTreeSet::new();
    for record in listing.split(|&b| b == 0).filter(|r| !r.is_empty()) {
        let record = String::from_utf8_lossy(record);
        let Some((meta, path)) = record.split_once('\t') else {
            continue;
        };
        let mut meta = meta.split(' ');
        let (Some(mode), Some(kind), Some(id)) = (meta.next(), meta.next(), meta.next()) else {
            continue;
        };
        let relative = if prefix.is_empty() {
            path.to_string()
        } else {
            match path.strip_prefix(&prefix).and_then(|p| p.strip_prefix('/')) {
                Some(p) => p.to_string(),
                None => continue,
            }
        };
        if let Some((dir, _)) = relative.split_once(&format!("{OUTPUT_MARKER}/")) {
            output_dirs.insert(dir.trim_end_matches('/').to_string());
        }
        let file_name = relative.rsplit('/').next().unwrap_or(&relative);
        if kind == "blob" && mode == SYMLINK_MODE && !file_name.starts_with('.') {
            links.push((relative, id.to_string()));
        } else if kind == "blob" && !file_name.starts_with('.') {
            blobs.push((relative, id.to_string()));
        }
    }
    blobs.retain(|(name, _)| {
        let mut parts: Vec<&str> = name.split('/').collect();
        parts.pop();
        let hidden = parts.iter().any(|p| is_skipped_dir_name(p));
        let in_output = output_dirs
            .iter()
            .any(|dir| !dir.is_empty() && (name.starts_with(&format!("{dir}/"))));
        !hidden && !in_output
    });
    let (mut blobs, others): (Vec<_>, Vec<_>) = blobs
        .into_iter()
        .partition(|(name, _)| is_source_name(name.rsplit('/').next().unwrap_or(name)));
    blobs.sort_by(|a, b| spec_order(&a.0, &b.0));

    let contents = cat_blobs(&top, blobs.iter().map(|(_, id)| id.as_str()))?;
    let mut source_map = SourceMap::new(root);
    add_links(&top, rev, &prefix, links, &output_dirs, &mut source_map)?;
    for ((name, _), text) in blobs.into_iter().zip(contents) {
        add_user_file(&mut source_map, name, text);
    }
    // The files Score workloads may read, as on disk: under the folder of a Score workload.
    let folders = score_folders(&source_map);
    let mut assets: Vec<(String, String)> = others
        .into_iter()
        .filter(|(name, _)| {
            folders
                .iter()
                .any(|dir| dir.is_empty() || name.starts_with(&format!("{dir}/")))
        })
        .collect();
    assets.sort();
    let texts = cat_blobs(&top, assets.iter().map(|(_, id)| id.as_str()))?;
    for ((name, _), bytes) in assets.into_iter().zip(texts) {
        // As on disk: files that are not UTF-8 cannot be `content` and stay unread.
        if bytes.len() as u64 <= MAX_ASSET_BYTES
            && let Ok(text) = String::from_utf8(bytes)
        {
            source_map.add(SourceFile::new(name, text, Origin::Asset));
        }
    }
    add_stdlib(&mut source_map);
    if !source_map.files().any(|(_, f)| f.name == ROOT_FILE) {
        return Err(DiscoverError::Git {
            message: format!("no `{ROOT_FILE}` at `{rev}` in `{}`", root.display()),
        });
    }
    Ok(source_map)
}

/// Git's mode of a symbolic link; its blob holds the link's target.
const SYMLINK_MODE: &str = "120000";

/// Records the committed symbolic links as discovery does on disk ([`SourceMap::skipped`]): a
/// link named like a spec, or one to a folder of the revision (not hidden, not an output
/// folder), is reported, never followed; without this a link's target text was read as a spec.
fn add_links(
    top: &Path,
    rev: &str,
    prefix: &str,
    mut links: Vec<(String, String)>,
    output_dirs: &BTreeSet<String>,
    source_map: &mut SourceMap,
) -> Result<(), DiscoverError> {
    links.retain(|(name, _)| {
        let parts: Vec<&str> = name.split('/').collect();
        let in_skipped = parts
            .split_last()
            .is_some_and(|(_, dirs)| dirs.iter().any(|p| is_skipped_dir_name(p)));
        let in_output = output_dirs
            .iter()
            .any(|dir| !dir.is_empty() && name.starts_with(&format!("{dir}/")));
        !in_skipped && !in_output
    });
    links.sort();
    let targets = cat_blobs(top, links.iter().map(|(_, id)| id.as_str()))?;
    for ((name, _), target) in links.into_iter().zip(targets) {
        let target = String::from_utf8_lossy(&target).replace('\\', "/");
        let file_name = name.rsplit('/').next().unwrap_or(&name);
        // Whether it points to a folder of the revision (anywhere in the repository, as a link
        // on disk may point outside the root); a link out of the repository is taken as a file.
        let full_name = if prefix.is_empty() {
            name.clone()
        } else {
            format!("{prefix}/{name}")
        };
        let is_dir = !is_source_name(file_name)
            && resolve_link(&full_name, &target).is_some_and(|path| {
                git(top, &["cat-file", "-t", &format!("{rev}:{path}")])
                    .is_ok_and(|kind| kind.trim_ascii() == b"tree")
            });
        if (is_source_name(file_name) && !is_dir) || (is_dir && !is_skipped_dir_name(file_name)) {
            source_map.add_skipped(Skipped {
                name,
                target,
                is_dir,
            });
        }
    }
    Ok(())
}

/// The path a link at `name` to `target` names, relative to the repository's top, when it stays
/// inside it.
fn resolve_link(name: &str, target: &str) -> Option<String> {
    if target.starts_with('/') {
        return None;
    }
    let mut parts: Vec<&str> = name.split('/').collect();
    parts.pop();
    for part in target.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            part => parts.push(part),
        }
    }
    Some(parts.join("/"))
}

/// The contents of several blobs through one `git cat-file --batch`.
fn cat_blobs<'a>(
    top: &Path,
    ids: impl Iterator<Item = &'a str>,
) -> Result<Vec<Vec<u8>>, DiscoverError> {
    let input: String = ids.map(|id| format!("{id}\n")).collect();
    let mut child = Command::new("git")
        .arg("-C")
        .arg(top)
        .args(["cat-file", "--batch"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| DiscoverError::Git {
            message: format!("cannot run git: {e}"),
        })?;
    let mut stdin = child.stdin.take().ok_or_else(|| DiscoverError::Git {
        message: "no stdin".into(),
    })?;
    // Write from another thread so a large answer cannot block on a full pipe.
    let writer = std::thread::spawn(move || stdin.write_all(input.as_bytes()));
    let output = child.wait_with_output().map_err(|e| DiscoverError::Git {
        message: e.to_string(),
    })?;
    let _ = writer.join();
    let mut out = Vec::new();
    let mut rest = output.stdout.as_slice();
    while !rest.is_empty() {
        let newline = rest
            .iter()
            .position(|&b| b == b'\n')
            .ok_or_else(bad_batch)?;
        let header = String::from_utf8_lossy(&rest[..newline]).to_string();
        let size: usize = header
            .rsplit(' ')
            .next()
            .and_then(|s| s.parse().ok())
            .ok_or_else(bad_batch)?;
        let start = newline + 1;
        let body = rest.get(start..start + size).ok_or_else(bad_batch)?;
        out.push(body.to_vec());
        rest = rest.get(start + size + 1..).unwrap_or_default();
    }
    Ok(out)
}

fn bad_batch() -> DiscoverError {
    DiscoverError::Git {
        message: "unexpected output from `git cat-file --batch`".into(),
    }
}
