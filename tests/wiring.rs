//! The wiring check on every platform that compiles (each golden case with an `expected/` tree,
//! each example): nothing it generates refers to something the tree does not produce.

use std::path::{Path, PathBuf};

use libtest_mimic::{Failed, Trial};

use crate::support::{pave, repo};

pub(crate) fn trials() -> Vec<Trial> {
    let mut roots: Vec<(String, PathBuf)> = Vec::new();
    let cases = repo().join("tests/cases");
    for area in children(&cases) {
        for case in children(&area) {
            if case.join("expected").is_dir() && case.join("input/pave.yaml").is_file() {
                let name = case
                    .strip_prefix(&cases)
                    .map(|p| p.display().to_string())
                    .unwrap_or_default();
                roots.push((name, case.join("input")));
            }
        }
    }
    for example in children(&repo().join("examples")) {
        if example.join("pave.yaml").is_file() {
            let name = example
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            roots.push((format!("examples/{name}"), example));
        }
    }
    roots
        .into_iter()
        .map(|(name, root)| {
            Trial::test(
                format!("wiring::{name}_has_every_reference_produced"),
                move || wiring(&root),
            )
        })
        .collect()
}

fn children(dir: &Path) -> Vec<PathBuf> {
    let mut children: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|dir| dir.filter_map(Result::ok).map(|e| e.path()).collect())
        .unwrap_or_default();
    children.retain(|p| p.is_dir());
    children.sort();
    children
}

fn wiring(root: &Path) -> Result<(), Failed> {
    let run = pave(
        &repo(),
        &["check", &root.display().to_string(), "--output", "json"],
    );
    let json: serde_json::Value = serde_json::from_str(&run.stdout)
        .map_err(|e| format!("pave check printed no JSON ({e}):\n{}", run.stderr))?;
    let found: Vec<String> = json
        .get("diagnostics")
        .and_then(serde_json::Value::as_array)
        .into_iter()
        .flatten()
        .filter(|d| {
            matches!(
                d.get("code").and_then(serde_json::Value::as_str),
                Some("unresolved-reference" | "pod-security-mismatch")
            )
        })
        .map(|d| {
            let text = |key: &str| d.get(key).and_then(serde_json::Value::as_str).unwrap_or("");
            format!("{}\t{}", text("message"), text("label"))
        })
        .collect();
    if !found.is_empty() {
        return Err(format!(
            "references nothing in the tree produces:\n{}",
            found
                .iter()
                .map(|f| format!("  {}", f.replace('\t', "\n    ")))
                .collect::<Vec<_>>()
                .join("\n")
        )
        .into());
    }
    Ok(())
}
