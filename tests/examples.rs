//! Every project in `examples/` compiles, and compiles to the same bytes twice, whatever the
//! order its files are found in, and to the tree committed beside it.

use std::path::{Path, PathBuf};

use libtest_mimic::{Failed, Trial};

use crate::support::{pave, read_tree, repo, tree_difference};

pub(crate) fn trials() -> Vec<Trial> {
    let mut examples: Vec<PathBuf> = std::fs::read_dir(repo().join("examples"))
        .map(|dir| {
            dir.filter_map(Result::ok)
                .map(|e| e.path())
                .filter(|p| p.join("pave.yaml").is_file())
                .collect()
        })
        .unwrap_or_default();
    examples.sort();
    examples
        .into_iter()
        .map(|example| {
            let name = example
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            Trial::test(
                format!("examples::{name}_compiles_to_the_same_bytes_twice"),
                move || compile_twice(&example),
            )
        })
        .collect()
}

fn compile_twice(example: &Path) -> Result<(), Failed> {
    let temp = tempfile::tempdir().map_err(|e| e.to_string())?;
    let first = temp.path().join("first");
    let second = temp.path().join("second");
    // The second compile reads a copy whose files were created in reverse order, from another
    // working directory, to catch any dependence on discovery order or on the working directory.
    let copy = temp.path().join("copy");
    copy_reversed(example, &copy)?;
    for (root, out) in [(example.to_path_buf(), &first), (copy, &second)] {
        let cwd = if out == &first {
            repo()
        } else {
            temp.path().to_path_buf()
        };
        let run = pave(
            &cwd,
            &[
                "compile",
                &root.display().to_string(),
                "--out",
                &out.display().to_string(),
            ],
        );
        if run.status != 0 {
            return Err(format!("pave compile failed ({}):\n{}", run.status, run.stderr).into());
        }
    }
    let (a, b) = (read_tree(&first), read_tree(&second));
    if a.is_empty() {
        return Err("the example produced no files".into());
    }
    if let Some(difference) = tree_difference(&a, &b) {
        return Err(format!("two compiles differ:\n{difference}").into());
    }
    let manifests =
        [&first, &second].map(|d| std::fs::read(d.join(".pave/manifest.json")).unwrap_or_default());
    if manifests[0] != manifests[1] {
        return Err("ownership manifests differ".into());
    }
    // The committed tree (the Platform's gitops.path, `gitops` in every example) is what the
    // specs compile to: regenerate it with `cargo run -- compile examples/<name>`.
    let committed = read_tree(&example.join("gitops"));
    if let Some(difference) = tree_difference(&committed, &a) {
        return Err(format!(
            "the committed gitops tree is stale (cargo run -- compile {}):\n{difference}",
            example.display()
        )
        .into());
    }
    Ok(())
}

fn copy_reversed(from: &Path, to: &Path) -> Result<(), Failed> {
    let mut files: Vec<PathBuf> = walkdir::WalkDir::new(from)
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_file())
        .map(|e| e.into_path())
        .collect();
    files.sort();
    files.reverse();
    for file in files {
        let relative = file.strip_prefix(from).map_err(|e| e.to_string())?;
        let target = to.join(relative);
        std::fs::create_dir_all(target.parent().unwrap_or(to)).map_err(|e| e.to_string())?;
        std::fs::copy(&file, &target).map_err(|e| e.to_string())?;
    }
    Ok(())
}
