//! Running the `pave` binary and reading trees of files.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value as Json;

/// The repository root.
pub(crate) fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// What a run of `pave` did.
pub(crate) struct Run {
    pub(crate) status: i32,
    pub(crate) stdout: String,
    pub(crate) stderr: String,
}

/// Runs the `pave` binary in `cwd`, without colour, as CI would.
pub(crate) fn pave(cwd: &Path, args: &[&str]) -> Run {
    pave_with_env(cwd, args, &[])
}

/// The date tests run on, for waiver expiry (`PAVE_TODAY`); a test may set another.
pub(crate) const TODAY: &str = "2026-12-01";

/// Runs the `pave` binary with extra environment variables.
pub(crate) fn pave_with_env(cwd: &Path, args: &[&str], env: &[(&str, &str)]) -> Run {
    let output = Command::new(env!("CARGO_BIN_EXE_pave"))
        .args(args)
        .current_dir(cwd)
        .env("NO_COLOR", "1")
        .env("PAVE_TODAY", TODAY)
        // No check cache in the repository's cases: a test that wants it sets this to "".
        .env("PAVE_NO_CACHE", "1")
        .envs(env.iter().copied())
        .output()
        .unwrap_or_else(|e| panic!("cannot run pave: {e}"));
    Run {
        status: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

/// Every file under `dir` (relative `/`-separated path -> bytes), hidden folders left out.
pub(crate) fn read_tree(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut files = BTreeMap::new();
    if !dir.exists() {
        return files;
    }
    for entry in walkdir::WalkDir::new(dir).sort_by_file_name() {
        let entry = entry.unwrap_or_else(|e| panic!("walking {}: {e}", dir.display()));
        let relative = entry.path().strip_prefix(dir).unwrap_or(entry.path());
        if relative
            .components()
            .any(|c| c.as_os_str().to_string_lossy().starts_with('.'))
        {
            continue;
        }
        if entry.file_type().is_file() {
            let name = relative
                .components()
                .map(|c| c.as_os_str().to_string_lossy())
                .collect::<Vec<_>>()
                .join("/");
            files.insert(name, std::fs::read(entry.path()).unwrap_or_default());
        }
    }
    files
}

/// A readable account of how two trees differ, or `None` when they are equal.
pub(crate) fn tree_difference(
    expected: &BTreeMap<String, Vec<u8>>,
    actual: &BTreeMap<String, Vec<u8>>,
) -> Option<String> {
    let mut out = String::new();
    for (path, bytes) in expected {
        match actual.get(path) {
            None => out.push_str(&format!("missing: {path}\n")),
            Some(other) if other != bytes => {
                out.push_str(&format!(
                    "differs: {path}\n--- expected\n{}\n--- actual\n{}\n",
                    String::from_utf8_lossy(bytes),
                    String::from_utf8_lossy(other)
                ));
            }
            Some(_) => {}
        }
    }
    for path in actual.keys().filter(|p| !expected.contains_key(*p)) {
        out.push_str(&format!("unexpected: {path}\n"));
    }
    (!out.is_empty()).then_some(out)
}

/// Whether expected files should be rewritten (`UPDATE_GOLDEN=1`).
pub(crate) fn updating() -> bool {
    std::env::var_os("UPDATE_GOLDEN").is_some_and(|v| v == "1")
}

/// Copies a platform's specs (not its generated tree, nor a check cache) to `to`.
pub(crate) fn copy_specs(from: &Path, to: &Path) -> Result<(), libtest_mimic::Failed> {
    for entry in walkdir::WalkDir::new(from) {
        let entry = entry.map_err(|e| e.to_string())?;
        let relative = entry.path().strip_prefix(from).map_err(|e| e.to_string())?;
        if relative.starts_with("gitops") || relative.starts_with(".pave/cache") {
            continue;
        }
        let target = to.join(relative);
        if entry.file_type().is_dir() {
            std::fs::create_dir_all(&target).map_err(|e| e.to_string())?;
        } else {
            std::fs::copy(entry.path(), &target).map_err(|e| e.to_string())?;
        }
    }
    Ok(())
}

/// Every document of a YAML text, as JSON (pave's own parser, which keeps to YAML 1.2).
pub(crate) fn documents(text: &str) -> Result<Vec<Json>, libtest_mimic::Failed> {
    let mut source_map = pave::source::SourceMap::default();
    let file = source_map.add(pave::source::SourceFile::new(
        "file.yaml".into(),
        text.to_string(),
        pave::source::Origin::User,
    ));
    let (nodes, errors) = pave::parse::yaml::parse_yaml(file, text);
    if !errors.is_empty() {
        return Err("a file is not YAML".into());
    }
    Ok(nodes.iter().map(pave::parse::yaml::Node::to_json).collect())
}
