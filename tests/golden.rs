//! Golden cases: `tests/cases/<area>/<case>/` holds `input/` (a platform root) and either
//! `expected/` (the tree a successful `pave compile` writes) or `stderr`, `exit-code` and, when
//! the command prints anything there, `stdout` (what it reports).
//! An optional `args` file gives the command, one argument a line, with `{out}` for the output
//! folder; the default is `compile . --out {out}`. Missing expectations are written on first run;
//! `UPDATE_GOLDEN=1 cargo test` rewrites them for review.

use std::path::{Path, PathBuf};

use libtest_mimic::{Failed, Trial};

use crate::support::{pave, read_tree, repo, tree_difference, updating};

pub(crate) fn trials() -> Vec<Trial> {
    let root = repo().join("tests/cases");
    let mut cases: Vec<PathBuf> = walkdir::WalkDir::new(&root)
        .sort_by_file_name()
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_dir() && e.path().join("input").is_dir())
        .map(|e| e.into_path())
        .collect();
    cases.sort();
    cases
        .into_iter()
        .map(|case| {
            let name = case
                .strip_prefix(&root)
                .unwrap_or(&case)
                .display()
                .to_string();
            Trial::test(format!("golden::{name}"), move || run_case(&case))
        })
        .collect()
}

fn run_case(case: &Path) -> Result<(), Failed> {
    let out = tempfile::tempdir().map_err(|e| e.to_string())?;
    let out_str = out.path().join("out").display().to_string();
    let args: Vec<String> = match std::fs::read_to_string(case.join("args")) {
        Ok(text) => text
            .lines()
            .filter(|l| !l.is_empty())
            .map(|l| l.replace("{out}", &out_str))
            .collect(),
        Err(_) => vec![
            "compile".into(),
            ".".into(),
            "--out".into(),
            out_str.clone(),
        ],
    };
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let run = pave(&case.join("input"), &args);
    let expected_dir = case.join("expected");
    let stderr_file = case.join("stderr");
    let stdout_file = case.join("stdout");
    let code_file = case.join("exit-code");
    let has_expectation = expected_dir.exists() || stderr_file.exists();

    if updating() || !has_expectation {
        let _ = std::fs::remove_dir_all(&expected_dir);
        let _ = std::fs::remove_file(&stderr_file);
        let _ = std::fs::remove_file(&stdout_file);
        let _ = std::fs::remove_file(&code_file);
        if run.status == 0 && args.first() == Some(&"compile") {
            for (path, bytes) in read_tree(Path::new(&out_str)) {
                let target = expected_dir.join(path);
                std::fs::create_dir_all(target.parent().unwrap_or(&expected_dir))
                    .map_err(|e| e.to_string())?;
                std::fs::write(target, bytes).map_err(|e| e.to_string())?;
            }
        } else {
            std::fs::write(&stderr_file, normalize(&run.stderr, &out_str))
                .map_err(|e| e.to_string())?;
            std::fs::write(&code_file, format!("{}\n", run.status)).map_err(|e| e.to_string())?;
            if !run.stdout.is_empty() {
                std::fs::write(&stdout_file, normalize(&run.stdout, &out_str))
                    .map_err(|e| e.to_string())?;
            }
        }
        return Ok(());
    }

    if expected_dir.exists() {
        if run.status != 0 {
            return Err(
                format!("expected success, got exit {}:\n{}", run.status, run.stderr).into(),
            );
        }
        let expected = read_tree(&expected_dir);
        let actual = read_tree(Path::new(&out_str));
        if let Some(difference) = tree_difference(&expected, &actual) {
            return Err(
                format!("output differs (UPDATE_GOLDEN=1 to accept):\n{difference}").into(),
            );
        }
        return Ok(());
    }
    let expected_code: i32 = std::fs::read_to_string(&code_file)
        .ok()
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(1);
    let expected_stderr = std::fs::read_to_string(&stderr_file).map_err(|e| e.to_string())?;
    let actual_stderr = normalize(&run.stderr, &out_str);
    let expected_stdout = std::fs::read_to_string(&stdout_file).unwrap_or_default();
    let actual_stdout = normalize(&run.stdout, &out_str);
    if actual_stdout != expected_stdout {
        return Err(format!(
            "stdout differs (UPDATE_GOLDEN=1 to accept):\n--- expected\n{expected_stdout}\n--- actual\n{actual_stdout}"
        )
        .into());
    }
    if run.status != expected_code || actual_stderr != expected_stderr {
        return Err(format!(
            "exit {} (expected {expected_code}); stderr differs (UPDATE_GOLDEN=1 to accept):\n--- expected\n{expected_stderr}\n--- actual\n{actual_stderr}",
            run.status
        )
        .into());
    }
    Ok(())
}

/// Replaces the temporary output folder, which differs on every run.
fn normalize(stderr: &str, out: &str) -> String {
    stderr.replace(out, "{out}")
}
