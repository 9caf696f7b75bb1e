//! The wiring check on every platform that compiles (each golden case with an `expected/` tree,
//! each example): nothing it generates refers to something the tree does not produce.

use std::path::{Path, PathBuf};

use libtest_mimic::{Failed, Trial};

use crate::support::{pave, repo};

/// The references today's example makes that nothing in its tree produces yet: the Crossplane
/// objects its Compositions need, which pave does not generate yet (issue 15: a `Function` per
/// composition function, the EnvironmentConfigs and the `default` ClusterProviderConfig). Each
/// is a real fault of the tree (Crossplane cannot run those Compositions); when the objects are
/// generated, this list empties and the test requires it to.
const UNPRODUCED_IN_EXAMPLES: &[(&str, &str)] = &[
    (
        "techcorp",
        "environment-config: nothing produces EnvironmentConfig `pave-atlas`",
    ),
    (
        "techcorp",
        "environment-config: nothing produces EnvironmentConfig `pave-network`",
    ),
];

pub(crate) fn trials() -> Vec<Trial> {
    let mut roots: Vec<(String, PathBuf, Vec<String>)> = Vec::new();
    let cases = repo().join("tests/cases");
    for area in children(&cases) {
        for case in children(&area) {
            if case.join("expected").is_dir() && case.join("input/pave.yaml").is_file() {
                let name = case
                    .strip_prefix(&cases)
                    .map(|p| p.display().to_string())
                    .unwrap_or_default();
                roots.push((name, case.join("input"), Vec::new()));
            }
        }
    }
    for example in children(&repo().join("examples")) {
        if example.join("pave.yaml").is_file() {
            let name = example
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            let known = UNPRODUCED_IN_EXAMPLES
                .iter()
                .filter(|(example, _)| *example == name)
                .map(|(_, message)| (*message).to_string())
                .collect();
            roots.push((format!("examples/{name}"), example, known));
        }
    }
    roots
        .into_iter()
        .map(|(name, root, known)| {
            Trial::test(
                format!("wiring::{name}_has_every_reference_produced"),
                move || wiring(&root, &known),
            )
        })
        .collect()
}

/// A finding on a Composition pave generates (`control-plane/crossplane/`) about the
/// EnvironmentConfigs it loads, which the cloud account setup provides (their values exist only
/// after `terraform apply`; issue 16): every platform with databases, caches or MongoDB has them.
/// Once pave bridges them, this goes.
fn needed_by_pave_compositions(finding: &str) -> bool {
    ["environment-config: "]
        .iter()
        .any(|subkind| finding.starts_with(subkind))
        && finding.contains("(`control-plane/crossplane/")
}

fn children(dir: &Path) -> Vec<PathBuf> {
    let mut children: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|dir| dir.filter_map(Result::ok).map(|e| e.path()).collect())
        .unwrap_or_default();
    children.retain(|p| p.is_dir());
    children.sort();
    children
}

fn wiring(root: &Path, known: &[String]) -> Result<(), Failed> {
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
    let messages: Vec<&str> = found
        .iter()
        .map(|f| f.split('\t').next().unwrap_or_default())
        .collect();
    let unexpected: Vec<&String> = found
        .iter()
        .filter(|f| !known.iter().any(|k| f.starts_with(&format!("{k}\t"))))
        .filter(|f| !needed_by_pave_compositions(f))
        .collect();
    let gone: Vec<&String> = known
        .iter()
        .filter(|k| !messages.contains(&k.as_str()))
        .collect();
    if !unexpected.is_empty() {
        return Err(format!(
            "references nothing in the tree produces:\n{}",
            unexpected
                .iter()
                .map(|f| format!("  {}", f.replace('\t', "\n    ")))
                .collect::<Vec<_>>()
                .join("\n")
        )
        .into());
    }
    if !gone.is_empty() {
        return Err(format!(
            "now produced: remove from UNPRODUCED_IN_EXAMPLES in tests/wiring.rs:\n  {}",
            gone.iter()
                .map(|s| s.as_str())
                .collect::<Vec<_>>()
                .join("\n  ")
        )
        .into());
    }
    Ok(())
}
