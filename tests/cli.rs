//! The CLI's behaviour on disk: ownership of output files, pruning, root discovery, formats.

use std::path::Path;

use libtest_mimic::{Failed, Trial};

use crate::support::{pave, read_tree, repo};

pub(crate) fn trials() -> Vec<Trial> {
    vec![
        Trial::test(
            "cli::unowned_file_is_never_overwritten",
            unowned_file_is_never_overwritten,
        ),
        Trial::test(
            "cli::stale_generated_files_are_removed_and_unowned_ones_survive",
            stale_generated_files_are_removed_and_unowned_ones_survive,
        ),
        Trial::test(
            "cli::unchanged_files_are_not_rewritten",
            unchanged_files_are_not_rewritten,
        ),
        Trial::test(
            "cli::root_is_found_from_a_subfolder",
            root_is_found_from_a_subfolder,
        ),
        Trial::test(
            "cli::missing_root_is_a_clear_error",
            missing_root_is_a_clear_error,
        ),
        Trial::test(
            "cli::json_diagnostics_carry_positions",
            json_diagnostics_carry_positions,
        ),
        Trial::test(
            "cli::schema_command_exports_the_embedded_schemas",
            schema_command_exports_the_embedded_schemas,
        ),
        Trial::test("cli::completions_are_generated", completions_are_generated),
        Trial::test("cli::check_writes_nothing", check_writes_nothing),
    ]
}

fn check(condition: bool, message: impl Into<String>) -> Result<(), Failed> {
    if condition {
        Ok(())
    } else {
        Err(message.into().into())
    }
}

fn example() -> String {
    repo().join("examples/techcorp").display().to_string()
}

/// Copies the TechCorp example into `to`.
fn copy_example(to: &Path) -> Result<(), Failed> {
    let from = repo().join("examples/techcorp");
    for entry in walkdir::WalkDir::new(&from)
        .into_iter()
        .filter_map(Result::ok)
    {
        let relative = entry
            .path()
            .strip_prefix(&from)
            .map_err(|e| e.to_string())?;
        if relative.starts_with("gitops") {
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

fn unowned_file_is_never_overwritten() -> Result<(), Failed> {
    let temp = tempfile::tempdir().map_err(|e| e.to_string())?;
    let out = temp.path().join("out");
    let victim = out.join("tenants/web/prod/tenancy/v1_namespace_web-prod.yaml");
    std::fs::create_dir_all(victim.parent().unwrap_or(&out)).map_err(|e| e.to_string())?;
    std::fs::write(&victim, "kept: true\n").map_err(|e| e.to_string())?;
    let run = pave(
        temp.path(),
        &["compile", &example(), "--out", &out.display().to_string()],
    );
    check(run.status == 1, format!("exit {} (expected 1)", run.status))?;
    check(
        // The path may wrap at the terminal width.
        run.stderr.contains("unowned-file") && run.stderr.contains("tenancy/v1_namespace_web-"),
        run.stderr.clone(),
    )?;
    check(
        std::fs::read_to_string(&victim).map_err(|e| e.to_string())? == "kept: true\n",
        "the file was changed",
    )?;
    check(
        read_tree(&out).len() == 1,
        "other files were written although the compile was refused",
    )
}

fn stale_generated_files_are_removed_and_unowned_ones_survive() -> Result<(), Failed> {
    let temp = tempfile::tempdir().map_err(|e| e.to_string())?;
    let root = temp.path().join("platform");
    copy_example(&root)?;
    let root_str = root.display().to_string();
    check(
        pave(temp.path(), &["compile", &root_str]).status == 0,
        "first compile failed",
    )?;
    let out = root.join("gitops");
    let notes = out.join("tenants/data/dev/workloads/NOTES.md");
    std::fs::write(&notes, "hand-written\n").map_err(|e| e.to_string())?;
    let etl = out.join("tenants/data/dev/workloads/apps_v1_deployment_etl-worker.yaml");
    check(etl.exists(), "etl-worker was not generated")?;

    std::fs::remove_file(root.join("tenants/data/services/etl-worker.yaml"))
        .map_err(|e| e.to_string())?;
    let run = pave(temp.path(), &["compile", &root_str]);
    check(run.status == 0, run.stderr.clone())?;
    check(!etl.exists(), "the stale generated file was kept")?;
    check(notes.exists(), "an unowned file was deleted")?;
    check(run.stderr.contains("removed"), run.stderr)
}

fn unchanged_files_are_not_rewritten() -> Result<(), Failed> {
    let temp = tempfile::tempdir().map_err(|e| e.to_string())?;
    let out = temp.path().join("out").display().to_string();
    check(
        pave(temp.path(), &["compile", &example(), "--out", &out]).status == 0,
        "first compile failed",
    )?;
    let run = pave(temp.path(), &["compile", &example(), "--out", &out]);
    check(
        run.status == 0 && run.stderr.contains(" 0 written, 0 removed"),
        run.stderr,
    )
}

fn root_is_found_from_a_subfolder() -> Result<(), Failed> {
    let run = pave(
        &repo().join("examples/techcorp/tenants/backend"),
        &["check"],
    );
    check(
        run.status == 0,
        format!("exit {}: {}", run.status, run.stderr),
    )
}

fn missing_root_is_a_clear_error() -> Result<(), Failed> {
    let temp = tempfile::tempdir().map_err(|e| e.to_string())?;
    let run = pave(temp.path(), &["check"]);
    check(run.status == 1, format!("exit {}", run.status))?;
    check(run.stderr.contains("pave.yaml"), run.stderr)
}

fn json_diagnostics_carry_positions() -> Result<(), Failed> {
    let temp = tempfile::tempdir().map_err(|e| e.to_string())?;
    std::fs::write(
        temp.path().join("pave.yaml"),
        "apiVersion: pave.dev/v1alpha1\nkind: Platform\nmetadata: {name: p}\nspec:\n  cloud: gcp\n  accounts: {dev: \"111111111111\"}\n  regions: [us-east-1]\n  domain: p.example\n  registry: r.example.com\n",
    )
    .map_err(|e| e.to_string())?;
    let run = pave(temp.path(), &["check", "--output", "json"]);
    check(run.status == 1, format!("exit {}", run.status))?;
    let json: serde_json::Value =
        serde_json::from_str(&run.stdout).map_err(|e| format!("{e}: {}", run.stdout))?;
    let first = &json["diagnostics"][0];
    check(
        first["file"] == "pave.yaml" && first["line"] == 5 && first["column"] == 10,
        first.to_string(),
    )?;
    check(
        first["code"] == "invalid-value" && first["path"] == "spec.cloud",
        first.to_string(),
    )?;
    check(json["errors"] == 1, json.to_string())
}

fn schema_command_exports_the_embedded_schemas() -> Result<(), Failed> {
    let temp = tempfile::tempdir().map_err(|e| e.to_string())?;
    let out = temp.path().join("schemas");
    let run = pave(
        temp.path(),
        &["schema", "--out", &out.display().to_string()],
    );
    check(run.status == 0, run.stderr)?;
    let written = read_tree(&out);
    let source = read_tree(&repo().join("schemas"));
    check(
        written.len() == 4,
        format!("{} schemas written", written.len()),
    )?;
    for (name, bytes) in &written {
        check(
            source.get(name) == Some(bytes),
            format!("{name} differs from schemas/{name}"),
        )?;
        let schema: serde_json::Value = serde_json::from_slice(bytes).map_err(|e| e.to_string())?;
        check(
            jsonschema::draft202012::meta::is_valid(&schema),
            format!("{name} is not a valid draft 2020-12 schema"),
        )?;
    }
    Ok(())
}

fn completions_are_generated() -> Result<(), Failed> {
    let run = pave(&repo(), &["completions", "bash"]);
    check(
        run.status == 0 && run.stdout.contains("compile") && run.stdout.contains("_pave"),
        run.stderr,
    )
}

fn check_writes_nothing() -> Result<(), Failed> {
    let temp = tempfile::tempdir().map_err(|e| e.to_string())?;
    let root = temp.path().join("platform");
    copy_example(&root)?;
    let run = pave(&root, &["check"]);
    check(run.status == 0, run.stderr)?;
    check(!root.join("gitops").exists(), "pave check wrote output")
}
