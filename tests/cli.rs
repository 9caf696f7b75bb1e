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
        Trial::test(
            "cli::check_records_its_cache_and_distrusts_a_corrupt_or_foreign_one",
            check_records_its_cache_and_distrusts_a_corrupt_or_foreign_one,
        ),
        Trial::test(
            "cli::check_replays_what_it_reported_for_the_same_inputs",
            check_replays_what_it_reported_for_the_same_inputs,
        ),
        Trial::test(
            "cli::compile_keeps_a_parse_cache_that_changes_nothing_it_reports",
            compile_keeps_a_parse_cache_that_changes_nothing_it_reports,
        ),
        Trial::test(
            "cli::compile_and_check_keep_a_policy_cache_that_changes_nothing_they_report",
            compile_and_check_keep_a_policy_cache_that_changes_nothing_they_report,
        ),
        Trial::test(
            "cli::a_failed_compile_leaves_the_old_tree",
            a_failed_compile_leaves_the_old_tree,
        ),
        Trial::test(
            "cli::a_compile_killed_while_staging_leaves_the_old_tree",
            a_compile_killed_while_staging_leaves_the_old_tree,
        ),
        Trial::test(
            "cli::a_compile_killed_mid_commit_is_rolled_back_by_the_next_run",
            a_compile_killed_mid_commit_is_rolled_back_by_the_next_run,
        ),
        Trial::test(
            "cli::concurrent_runs_on_one_tree_are_refused",
            concurrent_runs_on_one_tree_are_refused,
        ),
        Trial::test(
            "cli::compile_check_lists_stale_files_and_writes_nothing",
            compile_check_lists_stale_files_and_writes_nothing,
        ),
        Trial::test(
            "cli::diff_json_report_validates_against_its_schema",
            diff_json_report_validates_against_its_schema,
        ),
        Trial::test(
            "cli::diff_shows_a_terraform_field_change_in_every_format",
            diff_shows_a_terraform_field_change_in_every_format,
        ),
        Trial::test(
            "cli::diff_of_specs_that_do_not_compile_reports_in_the_chosen_format",
            diff_of_specs_that_do_not_compile_reports_in_the_chosen_format,
        ),
        Trial::test(
            "cli::ci_workflow_posts_the_markdown_diff_even_when_checks_fail",
            ci_workflow_posts_the_markdown_diff_even_when_checks_fail,
        ),
        Trial::test(
            "cli::diff_against_a_revision_reads_the_committed_specs",
            diff_against_a_revision_reads_the_committed_specs,
        ),
        Trial::test(
            "cli::a_policy_change_reuses_no_folder_and_finds_violations_in_unchanged_specs",
            a_policy_change_reuses_no_folder_and_finds_violations_in_unchanged_specs,
        ),
        Trial::test(
            "cli::diff_against_a_revision_that_breaks_a_policy_compares_its_tree",
            diff_against_a_revision_that_breaks_a_policy_compares_its_tree,
        ),
        Trial::test(
            "cli::moving_spec_nodes_without_changing_them_regenerates_nothing_more",
            moving_spec_nodes_without_changing_them_regenerates_nothing_more,
        ),
        Trial::test(
            "cli::sarif_output_validates_against_the_sarif_schema",
            sarif_output_validates_against_the_sarif_schema,
        ),
        Trial::test(
            "cli::check_reports_what_compile_reports_on_every_policy_case",
            check_reports_what_compile_reports_on_every_policy_case,
        ),
        Trial::test(
            "cli::gatekeeper_constraints_fit_their_templates_and_enforce_the_rules",
            gatekeeper_constraints_fit_their_templates_and_enforce_the_rules,
        ),
        Trial::test(
            "cli::diff_against_a_revision_reads_the_files_of_score_workloads",
            diff_against_a_revision_reads_the_files_of_score_workloads,
        ),
        Trial::test(
            "cli::recompile_after_one_service_changed_writes_only_its_files",
            recompile_after_one_service_changed_writes_only_its_files,
        ),
        Trial::test(
            "cli::recompile_after_a_shared_change_equals_a_fresh_compile",
            recompile_after_a_shared_change_equals_a_fresh_compile,
        ),
        Trial::test(
            "cli::a_reused_folder_with_a_file_deleted_or_edited_by_hand_is_restored",
            a_reused_folder_with_a_file_deleted_or_edited_by_hand_is_restored,
        ),
        Trial::test(
            "cli::check_after_a_compile_replays_or_reuses_what_the_compile_proved",
            check_after_a_compile_replays_or_reuses_what_the_compile_proved,
        ),
        Trial::test(
            "cli::a_recompile_reports_the_warnings_and_waivers_of_the_folders_it_could_reuse",
            a_recompile_reports_the_warnings_and_waivers_of_the_folders_it_could_reuse,
        ),
        Trial::test(
            "cli::a_same_size_edit_with_its_mtime_put_back_is_caught_after_stamps_are_recorded",
            a_same_size_edit_with_its_mtime_put_back_is_caught_after_stamps_are_recorded,
        ),
        Trial::test(
            "cli::a_reuse_cache_of_another_version_is_not_trusted",
            a_reuse_cache_of_another_version_is_not_trusted,
        ),
        Trial::test(
            "cli::a_comment_atop_a_service_requesting_a_terraform_type_reuses_every_folder",
            a_comment_atop_a_service_requesting_a_terraform_type_reuses_every_folder,
        ),
        Trial::test(
            "cli::an_object_named_with_a_colon_recompiles",
            an_object_named_with_a_colon_recompiles,
        ),
        Trial::test(
            "cli::switching_the_layout_moves_every_object_and_diff_shows_none_changed",
            switching_the_layout_moves_every_object_and_diff_shows_none_changed,
        ),
        Trial::test(
            "cli::a_planted_journal_touches_nothing_outside_the_output_folder",
            a_planted_journal_touches_nothing_outside_the_output_folder,
        ),
        Trial::test(
            "cli::a_planted_manifest_or_units_cache_touches_nothing_outside_the_output_folder",
            a_planted_manifest_or_units_cache_touches_nothing_outside_the_output_folder,
        ),
        Trial::test(
            "cli::symlinks_in_the_output_folder_are_never_followed",
            symlinks_in_the_output_folder_are_never_followed,
        ),
        Trial::test(
            "cli::check_and_diff_only_read_the_output_folder",
            check_and_diff_only_read_the_output_folder,
        ),
        Trial::test(
            "cli::a_same_size_hand_edit_is_stale_shown_and_restored",
            a_same_size_hand_edit_is_stale_shown_and_restored,
        ),
        Trial::test(
            "cli::leftovers_of_a_killed_compile_are_cleaned_by_the_next_compile",
            leftovers_of_a_killed_compile_are_cleaned_by_the_next_compile,
        ),
        Trial::test(
            "cli::a_full_disk_is_one_error_with_the_space_needed",
            a_full_disk_is_one_error_with_the_space_needed,
        ),
        Trial::test(
            "cli::schema_command_overwrites_only_its_own_files",
            schema_command_overwrites_only_its_own_files,
        ),
        Trial::test(
            "cli::symlinked_specs_are_reported_not_dropped",
            symlinked_specs_are_reported_not_dropped,
        ),
        Trial::test(
            "cli::a_symlinked_spec_at_a_revision_is_reported_as_on_disk",
            a_symlinked_spec_at_a_revision_is_reported_as_on_disk,
        ),
        Trial::test(
            "cli::a_spec_larger_than_the_limit_is_refused_unread",
            a_spec_larger_than_the_limit_is_refused_unread,
        ),
    ]
}

/// A minimal platform (the policy cases' shared input) copied to `to`.
fn copy_minimal(to: &Path) -> Result<(), Failed> {
    let from = repo().join("tests/cases/policy/literal-secret-waived-for-a-service-passes/input");
    for entry in walkdir::WalkDir::new(&from) {
        let entry = entry.map_err(|e| e.to_string())?;
        let relative = entry
            .path()
            .strip_prefix(&from)
            .map_err(|e| e.to_string())?;
        let target = to.join(relative);
        if entry.file_type().is_dir() {
            std::fs::create_dir_all(&target).map_err(|e| e.to_string())?;
        } else {
            std::fs::copy(entry.path(), &target).map_err(|e| e.to_string())?;
        }
    }
    Ok(())
}

/// A symbolic link to a spec or a folder was skipped without a word (the service vanished):
/// each is an error naming the link, with exit 1.
#[cfg(unix)]
fn symlinked_specs_are_reported_not_dropped() -> Result<(), Failed> {
    let temp = tempfile::tempdir().map_err(|e| e.to_string())?;
    let root = temp.path().join("platform");
    copy_minimal(&root)?;
    let services = root.join("tenants/shop/services");
    std::fs::rename(services.join("api.yaml"), temp.path().join("api.yaml"))
        .map_err(|e| e.to_string())?;
    std::os::unix::fs::symlink("../../../../api.yaml", services.join("api.yaml"))
        .map_err(|e| e.to_string())?;
    std::os::unix::fs::symlink("../..", root.join("tenants/loop")).map_err(|e| e.to_string())?;
    let run = pave(&root, &["check", "--output", "json"]);
    check(
        run.status == 1,
        format!("exit {}: {}", run.status, run.stdout),
    )?;
    let json: serde_json::Value =
        serde_json::from_str(&run.stdout).map_err(|e| format!("{e}: {}", run.stdout))?;
    let messages: Vec<String> = json["diagnostics"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|d| d["code"] == "symlinked-spec")
        .map(|d| d["message"].as_str().unwrap_or_default().to_string())
        .collect();
    check(
        messages
            == [
                "`tenants/loop` is a symbolic link to a folder (to `../..`); pave does not follow links",
                "`tenants/shop/services/api.yaml` is a symbolic link (to `../../../../api.yaml`); pave does not follow links",
            ],
        format!("{messages:?}"),
    )
}

#[cfg(not(unix))]
fn symlinked_specs_are_reported_not_dropped() -> Result<(), Failed> {
    Ok(())
}

/// `diff --against REV` read a committed symbolic link's blob (its target's path) as a spec;
/// the links of the revision are reported as the working tree's are, by name and target.
#[cfg(unix)]
fn a_symlinked_spec_at_a_revision_is_reported_as_on_disk() -> Result<(), Failed> {
    let temp = tempfile::tempdir().map_err(|e| e.to_string())?;
    let repo_dir = temp.path().join("repo");
    let root = repo_dir.join("platform");
    copy_minimal(&root)?;
    let services = root.join("tenants/shop/services");
    std::fs::rename(services.join("api.yaml"), repo_dir.join("api.yaml"))
        .map_err(|e| e.to_string())?;
    std::os::unix::fs::symlink("../../../../api.yaml", services.join("api.yaml"))
        .map_err(|e| e.to_string())?;
    std::os::unix::fs::symlink("../..", root.join("tenants/loop")).map_err(|e| e.to_string())?;
    commit_all(&repo_dir)?;
    // The working tree has the spec itself, so only the revision's side has links.
    std::fs::remove_file(services.join("api.yaml")).map_err(|e| e.to_string())?;
    std::fs::remove_file(root.join("tenants/loop")).map_err(|e| e.to_string())?;
    std::fs::copy(repo_dir.join("api.yaml"), services.join("api.yaml"))
        .map_err(|e| e.to_string())?;
    let run = pave(
        &repo_dir,
        &["diff", "platform", "--against", "HEAD", "--output", "json"],
    );
    // Exit 2 as for any revision that does not compile: there is no tree to compare with.
    check(
        run.status == 2,
        format!("exit {}: {}{}", run.status, run.stdout, run.stderr),
    )?;
    let json: serde_json::Value =
        serde_json::from_str(&run.stdout).map_err(|e| format!("{e}: {}", run.stdout))?;
    let messages: Vec<&str> = json["diagnostics"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|d| d["message"].as_str())
        .collect();
    check(
        messages
            == [
                "`tenants/loop` is a symbolic link to a folder (to `../..`); pave does not follow links",
                "`tenants/shop/services/api.yaml` is a symbolic link (to `../../../../api.yaml`); pave does not follow links",
            ],
        format!("{messages:?}"),
    )
}

#[cfg(not(unix))]
fn a_symlinked_spec_at_a_revision_is_reported_as_on_disk() -> Result<(), Failed> {
    Ok(())
}

/// A spec file over the limit is refused before it is read: a 9 MiB file of broken documents
/// gives one `file-too-large` error, not millions of diagnostics and the memory they take.
fn a_spec_larger_than_the_limit_is_refused_unread() -> Result<(), Failed> {
    let temp = tempfile::tempdir().map_err(|e| e.to_string())?;
    copy_minimal(temp.path())?;
    let document = "---\nkind: Servic\nmetadata: {name: x}\n";
    let size = usize::try_from(pave::source::MAX_SPEC_BYTES).unwrap_or(usize::MAX) + 1024 * 1024;
    let text = document.repeat(size / document.len());
    std::fs::write(temp.path().join("tenants/shop/broken.yaml"), text)
        .map_err(|e| e.to_string())?;
    let run = pave(temp.path(), &["check", "--output", "json"]);
    check(run.status == 1, format!("exit {}", run.status))?;
    let json: serde_json::Value =
        serde_json::from_str(&run.stdout).map_err(|e| format!("{e}: {}", run.stdout))?;
    let codes: Vec<&str> = json["diagnostics"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|d| d["code"].as_str())
        .collect();
    check(codes == ["file-too-large"], format!("{codes:?}"))
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

/// Copies the TechCorp example's specs (not its tree) into `to`.
fn copy_example(to: &Path) -> Result<(), Failed> {
    crate::support::copy_specs(&repo().join("examples/techcorp"), to)
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
    let etl = out.join("tenants/data/dev/workloads/etl-worker.yaml");
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
        run.status == 0
            && run.stderr.contains(" 0 written, 0 removed")
            && run.stderr.contains("; 9 of 9 tenant folders reused"),
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
        written.len() == 8,
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

/// `cache` (a file under `.pave/cache/`) is written neither by a compile without caches
/// (`support::pave` sets `PAVE_NO_CACHE`) nor by `compile --check`, and is by a cached compile
/// into `warm` (after which `cold` holds the tree compiled without caches).
fn recorded_only_by_a_cached_compile(root: &Path, cache: &Path) -> Result<(), Failed> {
    let cached =
        |args: &[&str]| crate::support::pave_with_env(root, args, &[("PAVE_NO_CACHE", "")]);
    let run = crate::support::pave(root, &["compile", "--out", "cold"]);
    check(
        run.status == 0 && !cache.exists(),
        format!("PAVE_NO_CACHE=1 wrote {}", cache.display()),
    )?;
    let run = cached(&["compile", "--check", "--out", "cold"]);
    check(
        run.status == 0 && !cache.exists(),
        format!("`--check` wrote {}", cache.display()),
    )?;
    let run = cached(&["compile", "--out", "warm"]);
    check(run.status == 0 && cache.exists(), &run.stderr)
}

/// A compile through the caches (into `warm`) and one without (into `cold`) exit alike, report
/// alike and write the same tree.
fn compiles_alike_through_the_caches(root: &Path, step: &str) -> Result<(), Failed> {
    let warm = crate::support::pave_with_env(
        root,
        &["compile", "--out", "warm"],
        &[("PAVE_NO_CACHE", "")],
    );
    let cold = crate::support::pave(root, &["compile", "--out", "cold"]);
    check(
        warm.status == cold.status
            && warm.stderr.replace("warm", "cold") == cold.stderr
            && read_tree(&root.join("warm")) == read_tree(&root.join("cold")),
        format!(
            "{step}: through the cache:\n{}\nwithout:\n{}",
            warm.stderr, cold.stderr
        ),
    )
}

/// `pave compile` records the parse cache (`.pave/cache/parse.bin`), and a compile through them writes and reports what one without them does: after a
/// change, after an error put into a file the cache holds (placed at the same line and column),
/// with a corrupt cache; `PAVE_NO_CACHE` and `--check` write neither.
fn compile_keeps_a_parse_cache_that_changes_nothing_it_reports() -> Result<(), Failed> {
    let temp = tempfile::tempdir().map_err(|e| e.to_string())?;
    let root = temp.path().join("platform");
    copy_example(&root)?;
    let parse_cache = root.join(".pave/cache/parse.bin");
    recorded_only_by_a_cached_compile(&root, &parse_cache)?;
    let recorded = std::fs::read(&parse_cache).map_err(|e| e.to_string())?;
    let service = std::fs::read_dir(root.join("tenants/backend/services"))
        .map_err(|e| e.to_string())?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .find(|p| p.extension().is_some_and(|e| e == "yaml"))
        .ok_or("no service")?;
    let text = std::fs::read_to_string(&service).map_err(|e| e.to_string())?;
    let same = |step: &str| compiles_alike_through_the_caches(&root, step);
    // An error in a file the cache holds (the one before it parsed cleanly).
    write(
        &service,
        &text.replacen("\nspec:\n", "\nspec:\n  cacheProbe: 1\n", 1),
    )?;
    same("an unknown field")?;
    write(&service, &format!("# moved\n{text}"))?;
    same("a comment atop a service")?;
    write(&service, &text)?;
    same("the service as it was")?;
    check(
        std::fs::read(&parse_cache).map_err(|e| e.to_string())? == recorded,
        "the same files recorded otherwise",
    )?;
    let mut corrupt = recorded.clone();
    let middle = corrupt.len() / 2;
    corrupt[middle] ^= 0xff;
    std::fs::write(&parse_cache, corrupt).map_err(|e| e.to_string())?;
    same("a corrupt cache")?;
    check(
        std::fs::read(&parse_cache).map_err(|e| e.to_string())? == recorded,
        "the corrupt cache was not replaced",
    )
}

/// `pave compile` and `pave check` record the compiled policies (`.pave/cache/policy.bin`) and
/// read them back while no policy file or switch changed (the file is then not written again);
/// through it they write and report what they do without it: as recorded, after a policy file
/// or a switch changed (each recorded anew), and with a truncated or corrupt cache (replaced).
fn compile_and_check_keep_a_policy_cache_that_changes_nothing_they_report() -> Result<(), Failed> {
    let temp = tempfile::tempdir().map_err(|e| e.to_string())?;
    let root = temp.path().join("platform");
    copy_example(&root)?;
    let cached =
        |args: &[&str]| crate::support::pave_with_env(&root, args, &[("PAVE_NO_CACHE", "")]);
    let policy_cache = root.join(".pave/cache/policy.bin");
    recorded_only_by_a_cached_compile(&root, &policy_cache)?;
    let read = || std::fs::read(&policy_cache).map_err(|e| Failed::from(e.to_string()));
    let modified = || {
        std::fs::metadata(&policy_cache)
            .and_then(|m| m.modified())
            .map_err(|e| Failed::from(e.to_string()))
    };
    let same = |step: &str| -> Result<(), Failed> {
        compiles_alike_through_the_caches(&root, step)?;
        let warm = cached(&["check"]);
        let cold = crate::support::pave(&root, &["check"]);
        check(
            warm.status == cold.status && warm.stderr == cold.stderr,
            format!(
                "{step}: check through the cache:
{}
without:
{}",
                warm.stderr, cold.stderr
            ),
        )
    };
    let recorded = read()?;
    let when = modified()?;
    same("the policies as recorded")?;
    check(
        read()? == recorded && modified()? == when,
        "the policy cache was written again though no policy changed",
    )?;
    for (step, damaged) in [
        ("a truncated cache", recorded[..recorded.len() / 2].to_vec()),
        ("a corrupt cache", {
            let mut corrupt = recorded.clone();
            let middle = corrupt.len() / 2;
            corrupt[middle] ^= 0xff;
            corrupt
        }),
    ] {
        std::fs::write(&policy_cache, damaged).map_err(|e| e.to_string())?;
        same(step)?;
        check(read()? == recorded, format!("{step} was not replaced"))?;
    }
    let rule = root.join("policies/owners-name-a-person.rego");
    let text = std::fs::read_to_string(&rule).map_err(|e| e.to_string())?;
    write(
        &rule,
        &format!(
            "{text}
# changed
"
        ),
    )?;
    same("a changed policy file")?;
    let changed = read()?;
    check(changed != recorded, "a changed policy file kept the cache")?;
    let platform = root.join("pave.yaml");
    let text = std::fs::read_to_string(&platform).map_err(|e| e.to_string())?;
    write(
        &platform,
        &text.replacen(
            "  policies:\n",
            "  policies:\n    disabled: [allowed-registries]\n",
            1,
        ),
    )?;
    same("a rule switched off")?;
    check(
        read()? != changed && read()? != recorded,
        "a switched-off rule kept the cache",
    )
}

/// `pave check` records what it proved in `.pave/cache/` (Git-ignored by its own `.gitignore`),
/// skips everything when no input changed, reports the same as without the cache, and ignores
/// a cache that is corrupt, another build's, or a link (never writing through one).
fn check_records_its_cache_and_distrusts_a_corrupt_or_foreign_one() -> Result<(), Failed> {
    let temp = tempfile::tempdir().map_err(|e| e.to_string())?;
    let root = temp.path().join("platform");
    copy_example(&root)?;
    let pave = |root: &Path, args: &[&str]| {
        crate::support::pave_with_env(root, args, &[("PAVE_NO_CACHE", "")])
    };
    let cache = root.join(".pave/cache/check.json");
    let cold = pave(&root, &["check", "--no-cache"]);
    check(cold.status == 0, &cold.stderr)?;
    check(!cache.exists(), "`--no-cache` wrote the cache")?;
    let run = crate::support::pave(&root, &["check"]);
    check(
        run.status == 0 && !cache.exists(),
        "PAVE_NO_CACHE=1 wrote the cache",
    )?;
    let first = pave(&root, &["check", "--timings"]);
    check(first.status == 0, &first.stderr)?;
    let ignore = std::fs::read_to_string(root.join(".pave/cache/.gitignore")).unwrap_or_default();
    check(
        ignore.lines().any(|line| line == "*"),
        format!("the cache folder ignores itself: {ignore:?}"),
    )?;
    let recorded = std::fs::read_to_string(&cache).map_err(|e| e.to_string())?;
    let warm = pave(&root, &["check", "--timings"]);
    check(
        warm.status == 0 && warm.stderr.contains("cache: no input changed"),
        &warm.stderr,
    )?;
    let without_timings = |stderr: &str| -> String {
        stderr
            .split("timings:")
            .next()
            .unwrap_or_default()
            .to_string()
    };
    check(
        without_timings(&warm.stderr) == cold.stderr,
        format!("cached:\n{}\nfrom scratch:\n{}", warm.stderr, cold.stderr),
    )?;
    let foreign = recorded.replace("\"build\": \"", "\"build\": \"another-");
    for text in ["{\"format\": 1", "not json at all", foreign.as_str()] {
        write(&cache, text)?;
        let run = pave(&root, &["check", "--timings"]);
        check(
            run.status == 0 && !run.stderr.contains("no input changed"),
            format!("a cache of {text:?} was trusted: {}", run.stderr),
        )?;
        check(
            without_timings(&run.stderr) == cold.stderr,
            format!("{text:?}:\n{}", run.stderr),
        )?;
        let rewritten = std::fs::read_to_string(&cache).map_err(|e| e.to_string())?;
        check(rewritten == recorded, "the cache was not rewritten")?;
    }
    // A link in the cache's place is neither followed nor written through.
    let elsewhere = temp.path().join("elsewhere.json");
    write(&elsewhere, &recorded)?;
    std::fs::remove_file(&cache).map_err(|e| e.to_string())?;
    std::os::unix::fs::symlink(&elsewhere, &cache).map_err(|e| e.to_string())?;
    let run = pave(&root, &["check", "--timings"]);
    check(
        run.status == 0 && !run.stderr.contains("no input changed"),
        &run.stderr,
    )?;
    let after = std::fs::read_to_string(&elsewhere).map_err(|e| e.to_string())?;
    check(after == recorded, "pave wrote through a link")
}

/// A check with the inputs of the last one replays what that one reported (the cache holds the
/// diagnostics): an error in a spec, in the human and the JSON format alike, with the same exit
/// status as a check from scratch; once the error is fixed, the specs are checked again.
fn check_replays_what_it_reported_for_the_same_inputs() -> Result<(), Failed> {
    let temp = tempfile::tempdir().map_err(|e| e.to_string())?;
    let root = temp.path().join("platform");
    copy_example(&root)?;
    let service = std::fs::read_dir(root.join("tenants/backend/services"))
        .map_err(|e| e.to_string())?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|ext| ext == "yaml"))
        .min()
        .ok_or("no service in the example")?;
    let text = std::fs::read_to_string(&service).map_err(|e| e.to_string())?;
    check(
        text.contains("\nspec:\n"),
        "the service has no `spec:` line",
    )?;
    write(
        &service,
        &text.replacen("\nspec:\n", "\nspec:\n  replayProbe: 1\n", 1),
    )?;
    let pave = |args: &[&str]| crate::support::pave_with_env(&root, args, &[("PAVE_NO_CACHE", "")]);
    // `--timings` prints its block, ending with the cache's line, before the diagnostics.
    let before_timings = |stderr: &str| -> String {
        let Some(start) = stderr.find("timings:\n") else {
            return stderr.to_string();
        };
        let end = stderr[start..]
            .find("\n  cache: ")
            .and_then(|at| {
                stderr[start + at + 1..]
                    .find('\n')
                    .map(|n| start + at + 2 + n)
            })
            .unwrap_or(stderr.len());
        format!("{}{}", &stderr[..start], &stderr[end..])
    };
    for format in ["human", "json"] {
        let cold = pave(&["check", "--no-cache", "--output", format]);
        check(
            cold.status == 1
                && (cold.stderr.contains("replayProbe") || cold.stdout.contains("replayProbe")),
            format!("{format}: {}{}", cold.stdout, cold.stderr),
        )?;
        for run in 0..2 {
            let cached = pave(&["check", "--timings", "--output", format]);
            let replayed = cached.stderr.contains("the last check's report replayed");
            check(
                replayed == (run == 1 || format == "json"),
                format!("{format}, run {run}: {}", cached.stderr),
            )?;
            check(
                cached.status == cold.status
                    && cached.stdout == cold.stdout
                    && before_timings(&cached.stderr) == cold.stderr,
                format!(
                    "{format}, run {run}:\n{}{}\nfrom scratch:\n{}{}",
                    cached.stdout, cached.stderr, cold.stdout, cold.stderr
                ),
            )?;
        }
    }
    write(&service, &text)?;
    let fixed = pave(&["check", "--timings"]);
    check(
        fixed.status == 0 && !fixed.stderr.contains("replayed"),
        &fixed.stderr,
    )
}

/// A `pave check` after a `pave compile` uses what the compile proved (it records the check
/// cache too): with the same inputs it replays the compile's report, and after one service
/// changed it reuses every tenant folder but that service's tenant's (the example has a waiver,
/// of a rule on specs: it keeps no folder from being reused); each time it reports what a check
/// from scratch reports, and exits as it does.
fn check_after_a_compile_replays_or_reuses_what_the_compile_proved() -> Result<(), Failed> {
    let temp = tempfile::tempdir().map_err(|e| e.to_string())?;
    let root = temp.path().join("platform");
    copy_example(&root)?;
    let pave = |args: &[&str]| crate::support::pave_with_env(&root, args, &[("PAVE_NO_CACHE", "")]);
    let same_as_cold = |cached: &crate::support::Run, step: &str| -> Result<(), Failed> {
        let cold = pave(&["check", "--no-cache", "--output", "json"]);
        check(
            cached.status == cold.status && cached.stdout == cold.stdout,
            format!(
                "{step}: the cached check reported\n{}\nfrom scratch\n{}",
                cached.stdout, cold.stdout
            ),
        )
    };
    let compiled = pave(&["compile"]);
    check(compiled.status == 0, compiled.stderr.clone())?;
    let cached = pave(&["check", "--timings", "--output", "json"]);
    check(
        cached
            .stderr
            .contains("cache: no input changed, the last check's report replayed"),
        format!("the compile's report was not replayed: {}", cached.stderr),
    )?;
    same_as_cold(&cached, "after the compile")?;
    let spec = root.join("tenants/backend/services/order-service.yaml");
    let text = std::fs::read_to_string(&spec).map_err(|e| e.to_string())?;
    check(text.contains("order-service:2.7.0"), "the example changed")?;
    write(
        &spec,
        &text.replace("order-service:2.7.0", "order-service:2.7.1"),
    )?;
    let cached = pave(&["check", "--timings", "--output", "json"]);
    check(
        cached
            .stderr
            .contains("cache: 6 of 9 tenant folders reused"),
        format!(
            "expected all but backend's folders reused: {}",
            cached.stderr
        ),
    )?;
    same_as_cold(&cached, "after one service changed")
}

/// A platform copied into a temp folder and compiled once: the "old" tree.
struct Compiled {
    temp: tempfile::TempDir,
}

impl Compiled {
    fn new() -> Result<Compiled, Failed> {
        let temp = tempfile::tempdir().map_err(|e| e.to_string())?;
        copy_example(&temp.path().join("platform"))?;
        let compiled = Compiled { temp };
        let run = compiled.pave(&["compile", "platform"], &[]);
        check(run.status == 0, run.stderr)?;
        Ok(compiled)
    }

    fn root(&self) -> std::path::PathBuf {
        self.temp.path().join("platform")
    }

    fn tree(&self) -> std::collections::BTreeMap<String, Vec<u8>> {
        read_tree(&self.root().join("gitops"))
    }

    fn pave(&self, args: &[&str], env: &[(&str, &str)]) -> crate::support::Run {
        crate::support::pave_with_env(self.temp.path(), args, env)
    }

    /// Changes the specs so that a compile rewrites many files and removes some.
    fn change_specs(&self) -> Result<(), Failed> {
        let prod = self.root().join("environments/prod.yaml");
        let text = std::fs::read_to_string(&prod).map_err(|e| e.to_string())?;
        std::fs::write(
            &prod,
            text.replace("kubernetesVersion: \"1.33\"", "kubernetesVersion: \"1.34\""),
        )
        .map_err(|e| e.to_string())?;
        std::fs::remove_file(self.root().join("tenants/data/services/etl-worker.yaml"))
            .map_err(|e| e.to_string())?;
        Ok(())
    }
}

fn a_failed_compile_leaves_the_old_tree() -> Result<(), Failed> {
    let compiled = Compiled::new()?;
    let before = compiled.tree();
    compiled.change_specs()?;
    let run = compiled.pave(
        &["compile", "platform"],
        &[("PAVE_FAILPOINT", "mid-commit:error")],
    );
    check(
        run.status == 2,
        format!("exit {}: {}", run.status, run.stderr),
    )?;
    check(
        compiled.tree() == before,
        "the tree changed although the compile failed",
    )?;
    check(
        !compiled.root().join("gitops/.pave/journal.json").exists(),
        "the journal was left behind",
    )
}

fn a_compile_killed_while_staging_leaves_the_old_tree() -> Result<(), Failed> {
    let compiled = Compiled::new()?;
    let before = compiled.tree();
    compiled.change_specs()?;
    kill_at(&compiled, "staged")?;
    check(
        compiled.tree() == before,
        "the tree changed although the compile was killed",
    )
}

fn a_compile_killed_mid_commit_is_rolled_back_by_the_next_run() -> Result<(), Failed> {
    let compiled = Compiled::new()?;
    let before = compiled.tree();
    let specs_before = read_tree(&compiled.root());
    compiled.change_specs()?;
    kill_at(&compiled, "mid-commit")?;
    check(
        compiled.tree() != before,
        "the kill came too early to test a rollback",
    )?;
    // Put the old specs back: the next run must first restore the old tree, which then
    // matches them exactly.
    for (path, bytes) in specs_before
        .iter()
        .filter(|(p, _)| !p.starts_with("gitops/"))
    {
        std::fs::write(compiled.root().join(path), bytes).map_err(|e| e.to_string())?;
    }
    // Reading commands report the half-installed tree and leave it to `pave compile`.
    let half = everything(&compiled.temp.path().join("platform/gitops"));
    let run = compiled.pave(&["compile", "platform", "--check"], &[]);
    check(
        run.status == 1 && run.stderr.contains("interrupted-write"),
        format!("exit {}: {}", run.status, run.stderr),
    )?;
    check(
        everything(&compiled.temp.path().join("platform/gitops")) == half,
        "--check changed the half-installed tree",
    )?;
    let run = compiled.pave(&["compile", "platform"], &[]);
    check(run.status == 0, run.stderr.clone())?;
    // Rolled back to the old tree, which the old specs produce: nothing left to write.
    check(run.stderr.contains(" 0 written, 0 removed"), run.stderr)?;
    check(compiled.tree() == before, "the tree was not rolled back")
}

/// Every file and folder under `dir`, hidden ones included, never following a link: a file's
/// bytes, a folder as `None`, a link as its target.
fn everything(dir: &Path) -> std::collections::BTreeMap<String, Option<Vec<u8>>> {
    walkdir::WalkDir::new(dir)
        .sort_by_file_name()
        .into_iter()
        .filter_map(Result::ok)
        .map(|entry| {
            let name = entry.path().display().to_string();
            let contents = if entry.file_type().is_file() {
                Some(std::fs::read(entry.path()).unwrap_or_default())
            } else if entry.file_type().is_symlink() {
                std::fs::read_link(entry.path())
                    .ok()
                    .map(|t| t.display().to_string().into_bytes())
            } else {
                None
            };
            (name, contents)
        })
        .collect()
}

/// Runs a compile that pauses at a failpoint, and kills it there.
fn kill_at(compiled: &Compiled, point: &str) -> Result<(), Failed> {
    use std::io::{BufRead, BufReader};
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_pave"))
        .args(["compile", "platform"])
        .current_dir(compiled.temp.path())
        .env("PAVE_FAILPOINT", format!("{point}:pause"))
        .env("NO_COLOR", "1")
        .stderr(std::process::Stdio::piped())
        .spawn()
        .map_err(|e| e.to_string())?;
    let stderr = child.stderr.take().ok_or("no stderr")?;
    let mut line = String::new();
    BufReader::new(stderr)
        .read_line(&mut line)
        .map_err(|e| e.to_string())?;
    check(
        line.contains("failpoint"),
        format!("the failpoint was not reached: {line}"),
    )?;
    child.kill().map_err(|e| e.to_string())?;
    child.wait().map_err(|e| e.to_string())?;
    Ok(())
}

fn concurrent_runs_on_one_tree_are_refused() -> Result<(), Failed> {
    use std::io::{BufRead, BufReader};
    let compiled = Compiled::new()?;
    compiled.change_specs()?;
    let mut first = std::process::Command::new(env!("CARGO_BIN_EXE_pave"))
        .args(["compile", "platform"])
        .current_dir(compiled.temp.path())
        .env("PAVE_FAILPOINT", "staged:pause")
        .stderr(std::process::Stdio::piped())
        .spawn()
        .map_err(|e| e.to_string())?;
    let stderr = first.stderr.take().ok_or("no stderr")?;
    BufReader::new(stderr)
        .read_line(&mut String::new())
        .map_err(|e| e.to_string())?;
    let second = compiled.pave(&["compile", "platform"], &[]);
    let _ = first.kill();
    let _ = first.wait();
    check(second.status == 2, format!("exit {}", second.status))?;
    check(second.stderr.contains("output-locked"), second.stderr)
}

fn compile_check_lists_stale_files_and_writes_nothing() -> Result<(), Failed> {
    let compiled = Compiled::new()?;
    let run = compiled.pave(&["compile", "platform", "--check"], &[]);
    check(run.status == 0, run.stderr)?;
    compiled.change_specs()?;
    let before = compiled.tree();
    let run = compiled.pave(&["compile", "platform", "--check"], &[]);
    check(run.status == 1, format!("exit {}", run.status))?;
    check(
        run.stderr.contains("stale-file")
            && run.stderr.contains("etl-worker")
            && run.stderr.contains("no longer generated"),
        run.stderr,
    )?;
    check(compiled.tree() == before, "--check wrote files")
}

fn diff_json_report_validates_against_its_schema() -> Result<(), Failed> {
    let case = repo().join("tests/cases/diff/json-format/input");
    let run = pave(&case, &["diff", ".", "--output", "json"]);
    check(run.status == 0, run.stderr.clone())?;
    let report: serde_json::Value = serde_json::from_str(&run.stdout).map_err(|e| e.to_string())?;
    let schema_text = std::fs::read_to_string(repo().join("schemas/diff.schema.json"))
        .map_err(|e| e.to_string())?;
    let schema: serde_json::Value =
        serde_json::from_str(&schema_text).map_err(|e| e.to_string())?;
    let validator = jsonschema::draft202012::new(&schema).map_err(|e| e.to_string())?;
    let errors: Vec<String> = validator
        .iter_errors(&report)
        .map(|e| format!("{}: {e}", e.instance_path()))
        .collect();
    check(errors.is_empty(), errors.join("\n"))?;
    check(
        report["summary"]["change"].as_u64() > Some(0),
        "the case has no changed resource",
    )?;
    check(
        report["resources"].as_array().is_some_and(|r| {
            r.iter()
                .any(|r| !r["fields"].as_array().is_none_or(Vec::is_empty))
        }),
        "no field-level change in the report",
    )
}

fn validate_diff_json(report: &serde_json::Value) -> Result<(), Failed> {
    let schema_text = std::fs::read_to_string(repo().join("schemas/diff.schema.json"))
        .map_err(|e| e.to_string())?;
    let schema: serde_json::Value =
        serde_json::from_str(&schema_text).map_err(|e| e.to_string())?;
    let validator = jsonschema::draft202012::new(&schema).map_err(|e| e.to_string())?;
    let errors: Vec<String> = validator
        .iter_errors(report)
        .map(|e| format!("{}: {e}", e.instance_path()))
        .collect();
    check(errors.is_empty(), errors.join("\n"))
}

/// An EKS version bump on every cluster of the example is a Terraform field change, and every
/// format shows it: file, resource address and field, counted as `terraform plan` counts.
fn diff_shows_a_terraform_field_change_in_every_format() -> Result<(), Failed> {
    let temp = tempfile::tempdir().map_err(|e| e.to_string())?;
    let root = temp.path().join("platform");
    copy_example(&root)?;
    let compiled = pave(&root, &["compile", "."]);
    check(compiled.status == 0, compiled.stderr)?;
    let mut n_environments = 0;
    for environment in ["dev", "staging", "prod"] {
        let path = root.join(format!("environments/{environment}.yaml"));
        let text = std::fs::read_to_string(&path).map_err(|e| e.to_string())?;
        let bumped = text.replace("kubernetesVersion: \"1.33\"", "kubernetesVersion: \"1.34\"");
        check(
            bumped != text,
            format!("no kubernetesVersion 1.33 in {environment}"),
        )?;
        std::fs::write(&path, bumped).map_err(|e| e.to_string())?;
        n_environments += 1;
    }
    check(n_environments == 3, "three environments")?;
    let run = |format: &str| pave(&root, &["diff", ".", "--output", format]);

    let human = run("human");
    check(human.status == 0, human.stderr.clone())?;
    check(
        human
            .stdout
            .contains("~ aws_eks_cluster.main in 9 modules: terraform/dev/eu-west-1")
            && human.stdout.contains("        version: 1.33 → 1.34\n")
            && human
                .stdout
                .contains("Terraform: 0 to add, 9 to change, 0 to destroy")
            // The Namespaces' pod-security version labels change identically everywhere.
            && human.stdout.contains(" × Namespace: authentik, backend-dev,"),
        human.stdout,
    )?;

    let markdown = run("markdown");
    check(
        markdown
            .stdout
            .contains("Terraform: 0 to add, 9 to change, 0 to destroy")
            && markdown
                .stdout
                .contains("| terraform/prod/us-west-2 | 0 | 1 | 0 |")
            && markdown
                .stdout
                .contains("  aws_eks_cluster.main in 9 modules:")
            && markdown
                .stdout
                .contains("\n-     version: 1.33\n+     version: 1.34\n"),
        markdown.stdout.clone(),
    )?;
    // GitHub colours only `+` and `-` lines of a ```diff block.
    check(
        !markdown.stdout.lines().any(|line| line.starts_with('~')),
        markdown.stdout,
    )?;

    let github = run("github");
    check(
        github.stdout.contains(
            "::notice file=environments/prod.yaml,title=pave diff::changes Terraform \
             aws_eks_cluster.main in 9 modules",
        ) && github.stdout.contains("(version)"),
        github.stdout,
    )?;

    let json = run("json");
    let report: serde_json::Value =
        serde_json::from_str(&json.stdout).map_err(|e| e.to_string())?;
    validate_diff_json(&report)?;
    check(
        report["summary"]["terraform_change"] == 9,
        report["summary"].to_string(),
    )?;
    let eks = report["terraform"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|t| t["file"] == "terraform/prod/eu-west-1/eks.tf.json")
        .cloned()
        .unwrap_or_default();
    check(
        eks["address"] == "aws_eks_cluster.main"
            && eks["fields"]
                == serde_json::json!([{"path": "version", "old": "1.33", "new": "1.34"}]),
        eks.to_string(),
    )?;

    let sarif = run("sarif");
    let log: serde_json::Value = serde_json::from_str(&sarif.stdout).map_err(|e| e.to_string())?;
    check(
        log["runs"][0]["results"]
            .as_array()
            .into_iter()
            .flatten()
            .any(|r| {
                r["ruleId"] == "resource-changed"
                    && r["message"]["text"].as_str().is_some_and(|t| {
                        t.contains("aws_eks_cluster.main") && t.contains("(version)")
                    })
            }),
        sarif.stdout,
    )?;

    let unified = run("unified");
    check(
        unified
            .stdout
            .contains("+++ b/terraform/dev/eu-west-1/eks.tf.json")
            && unified.stdout.contains("+        \"version\": \"1.34\","),
        unified.stdout,
    )
}

/// The example workflow writes the Markdown diff (which covers Terraform, see
/// `diff_shows_a_terraform_field_change_in_every_format`) and comments it, also after a failed
/// check: steps run only after successful ones unless their `if` says otherwise
/// (docs.github.com, "Expressions": `!cancelled()`).
fn ci_workflow_posts_the_markdown_diff_even_when_checks_fail() -> Result<(), Failed> {
    let workflow = std::fs::read_to_string(repo().join("examples/ci/github-actions.yaml"))
        .map_err(|e| e.to_string())?;
    let step = |name: &str| {
        workflow
            .split("      - name: ")
            .find(|s| s.starts_with(name))
            .unwrap_or_default()
            .to_string()
    };
    let diff = step("Diff against the base branch");
    let comment = step("Comment the diff on the pull request");
    check(
        diff.contains("--output markdown > pave-diff.md") && diff.contains("!cancelled()"),
        diff,
    )?;
    check(
        comment.contains("--body-file pave-diff.md") && comment.contains("!cancelled()"),
        comment,
    )
}

/// With specs that do not compile, `diff` still says so in the format CI captures, and exits 2.
fn diff_of_specs_that_do_not_compile_reports_in_the_chosen_format() -> Result<(), Failed> {
    let case = repo().join("tests/cases/diagnostics/tenant-uses-an-unknown-environment/input");
    let run = |format: &str| pave(&case, &["diff", ".", "--output", format]);

    let markdown = run("markdown");
    check(markdown.status == 2, format!("exit {}", markdown.status))?;
    check(
        markdown.stdout.starts_with("### pave diff\n")
            && markdown
                .stdout
                .contains("No diff: the specs do not compile")
            && markdown.stdout.contains("unknown-environment"),
        markdown.stdout,
    )?;

    let json = run("json");
    check(json.status == 2, format!("exit {}", json.status))?;
    let report: serde_json::Value =
        serde_json::from_str(&json.stdout).map_err(|e| e.to_string())?;
    validate_diff_json(&report)?;
    check(
        report["error"] == "the specs do not compile"
            && report["diagnostics"][0]["code"] == "unknown-environment",
        json.stdout,
    )?;

    let github = run("github");
    check(github.status == 2, format!("exit {}", github.status))?;
    check(
        github
            .stdout
            .starts_with("::error title=pave diff::the specs do not compile\n")
            && github.stdout.contains("title=unknown-environment::"),
        github.stdout,
    )?;

    let sarif = run("sarif");
    check(sarif.status == 2, format!("exit {}", sarif.status))?;
    let log: serde_json::Value = serde_json::from_str(&sarif.stdout).map_err(|e| e.to_string())?;
    check(
        log["runs"][0]["results"][0]["ruleId"] == "unknown-environment",
        sarif.stdout,
    )
}

/// Makes `repo_dir` a Git repository with everything in it committed on `main`.
fn commit_all(repo_dir: &Path) -> Result<(), Failed> {
    let git = |args: &[&str]| {
        std::process::Command::new("git")
            .args(["-c", "user.name=t", "-c", "user.email=t@example.com"])
            .args(["-c", "commit.gpgsign=false"])
            .args(args)
            .current_dir(repo_dir)
            .output()
            .map_err(|e| e.to_string())
    };
    git(&["init", "-q", "-b", "main"])?;
    git(&["add", "."])?;
    let committed = git(&["commit", "-q", "-m", "base"])?;
    check(
        committed.status.success(),
        String::from_utf8_lossy(&committed.stderr).into_owned(),
    )
}

/// A Score workload's `files[].source` is read from the revision too, not from the disk.
fn diff_against_a_revision_reads_the_files_of_score_workloads() -> Result<(), Failed> {
    let temp = tempfile::tempdir().map_err(|e| e.to_string())?;
    let repo_dir = temp.path().join("repo");
    copy_example(&repo_dir.join("platform"))?;
    commit_all(&repo_dir)?;
    let config = repo_dir.join("platform/tenants/web/search-suggest/config/suggest.toml");
    let text = std::fs::read_to_string(&config).map_err(|e| e.to_string())?;
    std::fs::write(&config, text.replace("max_results = 8", "max_results = 12"))
        .map_err(|e| e.to_string())?;
    let run = pave(
        &repo_dir,
        &[
            "diff",
            "platform",
            "--against",
            "HEAD",
            "--output",
            "unified",
            "--exit-code",
        ],
    );
    check(
        run.status == 1,
        format!("exit {}: {}{}", run.status, run.stdout, run.stderr),
    )?;
    check(
        run.stdout.contains("-    max_results = 8") && run.stdout.contains("+    max_results = 12"),
        run.stdout.clone(),
    )?;
    check(
        run.stdout
            .contains("tenants/web/prod/workloads/search-suggest.yaml"),
        run.stdout.clone(),
    )
}

fn diff_against_a_revision_reads_the_committed_specs() -> Result<(), Failed> {
    let temp = tempfile::tempdir().map_err(|e| e.to_string())?;
    let repo_dir = temp.path().join("repo");
    copy_example(&repo_dir.join("platform"))?;
    commit_all(&repo_dir)?;
    // Nothing is compiled on disk: the base must come from the committed specs alone.
    let service = repo_dir.join("platform/tenants/backend/services/order-service.yaml");
    let text = std::fs::read_to_string(&service).map_err(|e| e.to_string())?;
    std::fs::write(
        &service,
        text.replace("order-service:2.7.0", "order-service:2.8.0"),
    )
    .map_err(|e| e.to_string())?;
    let run = pave(
        &repo_dir,
        &["diff", "platform", "--against", "HEAD", "--exit-code"],
    );
    check(
        run.status == 1,
        format!("exit {}: {}{}", run.status, run.stdout, run.stderr),
    )?;
    check(run.stdout.contains("image: 123456789012.dkr.ecr.us-east-1.amazonaws.com/backend/order-service:2.7.0 → 123456789012.dkr.ecr.us-east-1.amazonaws.com/backend/order-service:2.8.0"), run.stdout.clone())?;
    check(
        run.stdout.contains(
            "0 to add, 24 to change, 0 to delete; touches 1 tenant, 3 environments, 1 service",
        ),
        run.stdout.clone(),
    )?;
    let unchanged = pave(
        &repo_dir,
        &["diff", "platform", "--against", "HEAD~0", "--exit-code"],
    );
    check(
        unchanged.status == 1,
        "the working tree differs from HEAD, so a diff against it must show changes",
    )
}

/// `check --output sarif` on every policy case that fails gives a SARIF 2.1.0 log that the
/// OASIS schema accepts, with one result per violation at its spec position.
fn sarif_output_validates_against_the_sarif_schema() -> Result<(), Failed> {
    let schema_text = std::fs::read_to_string(repo().join("tests/schemas/sarif-2.1.0-rtm.5.json"))
        .map_err(|e| e.to_string())?;
    // The published schema's `language` pattern has a stray `]` that JavaScript tolerates and
    // Rust's regex engines reject; use the pattern it means (a language tag like `en-US`).
    let schema_text = schema_text.replace(
        r#""^[a-zA-Z]{2}|^[a-zA-Z]{2}-[a-zA-Z]{2}]?$""#,
        r#""^[a-zA-Z]{2}(-[a-zA-Z]{2})?$""#,
    );
    let schema: serde_json::Value =
        serde_json::from_str(&schema_text).map_err(|e| e.to_string())?;
    let validator = jsonschema::draft4::new(&schema).map_err(|e| e.to_string())?;
    let cases = repo().join("tests/cases/policy");
    let mut results = 0;
    for entry in std::fs::read_dir(&cases).map_err(|e| e.to_string())? {
        let case = entry.map_err(|e| e.to_string())?.path().join("input");
        let run = pave(&case, &["check", ".", "--output", "sarif"]);
        let log: serde_json::Value =
            serde_json::from_str(&run.stdout).map_err(|e| e.to_string())?;
        let errors: Vec<String> = validator
            .iter_errors(&log)
            .map(|e| format!("{}: {}: {e}", case.display(), e.instance_path()))
            .collect();
        check(errors.is_empty(), errors.join("\n"))?;
        let found = log["runs"][0]["results"].as_array().map_or(0, Vec::len);
        let errors = log["runs"][0]["results"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|r| r["level"] == "error")
            .count();
        check(
            (errors > 0) == (run.status == 1),
            format!("{}: {errors} errors, exit {}", case.display(), run.status),
        )?;
        results += found;
    }
    check(results >= 15, format!("only {results} results in all"))
}

/// `pave check` evaluates the generated objects without writing their YAML: on every policy
/// case it reports exactly what `pave compile` reports, and fails exactly when it fails.
fn check_reports_what_compile_reports_on_every_policy_case() -> Result<(), Failed> {
    let cases = repo().join("tests/cases/policy");
    let mut compared = 0;
    for entry in std::fs::read_dir(&cases).map_err(|e| e.to_string())? {
        let case = entry.map_err(|e| e.to_string())?.path().join("input");
        let out = tempfile::tempdir().map_err(|e| e.to_string())?;
        let out_dir = out.path().join("gitops");
        let checked = pave(&case, &["check", ".", "--output", "json"]);
        let compiled = pave(
            &case,
            &[
                "compile",
                ".",
                "--out",
                &out_dir.to_string_lossy(),
                "--output",
                "json",
            ],
        );
        check(
            checked.status == compiled.status,
            format!(
                "{}: check exits {}, compile {}",
                case.display(),
                checked.status,
                compiled.status
            ),
        )?;
        let parse = |text: &str| serde_json::from_str::<serde_json::Value>(text).ok();
        check(
            parse(&checked.stdout).is_some() && parse(&checked.stdout) == parse(&compiled.stdout),
            format!(
                "{}: check and compile disagree:\n{}\n---\n{}",
                case.display(),
                checked.stdout,
                compiled.stdout
            ),
        )?;
        compared += 1;
    }
    check(compared >= 15, format!("only {compared} policy cases"))
}

/// A generated YAML file as JSON: its one document.
/// What Gatekeeper does with the golden case's objects, reproduced: each Constraint's
/// `parameters` validate against its template's schema (the CRD Gatekeeper generates), each
/// template's Rego compiles as Rego v1 with its libs, and, run on a Gatekeeper-shaped input (the
/// generated Deployment under `input.review.object`), the allowed-registries template reports
/// the upstream image, except where the Constraint's waivers exempt the service.
fn gatekeeper_constraints_fit_their_templates_and_enforce_the_rules() -> Result<(), Failed> {
    let tree = read_tree(
        &repo()
            .join("tests/cases/policy/gatekeeper-enforces-the-rules-in-tenant-namespaces/expected"),
    );
    let objects: Vec<(String, serde_json::Value)> = tree
        .iter()
        .filter(|(path, _)| path.ends_with(".yaml") && !path.ends_with("kustomization.yaml"))
        .map(|(path, bytes)| {
            let objects = crate::support::documents(&String::from_utf8_lossy(bytes))?;
            Ok(objects
                .into_iter()
                .map(|o| (path.clone(), o))
                .collect::<Vec<_>>())
        })
        .collect::<Result<Vec<_>, Failed>>()?
        .into_iter()
        .flatten()
        .collect();
    let templates: std::collections::BTreeMap<String, &serde_json::Value> = objects
        .iter()
        .filter(|(_, o)| o["kind"] == "ConstraintTemplate")
        .map(|(_, o)| {
            (
                o["spec"]["crd"]["spec"]["names"]["kind"]
                    .as_str()
                    .unwrap_or("")
                    .to_string(),
                o,
            )
        })
        .collect();
    let constraints: Vec<&serde_json::Value> = objects
        .iter()
        .map(|(_, o)| o)
        .filter(|o| o["apiVersion"] == "constraints.gatekeeper.sh/v1beta1")
        .collect();
    check(!constraints.is_empty(), "no Constraint in the case")?;
    check(
        constraints.len() == templates.len(),
        "a Constraint per template",
    )?;
    let deployment = objects
        .iter()
        .find(|(_, o)| o["kind"] == "Deployment" && o["metadata"]["name"] == "api")
        .map(|(_, o)| o.clone())
        .ok_or("no Deployment in the case")?;
    let mut enforced = 0;
    for constraint in constraints {
        let kind = constraint["kind"].as_str().unwrap_or("");
        let template = templates
            .get(kind)
            .ok_or(format!("no template for {kind}"))?;
        let schema = &template["spec"]["crd"]["spec"]["validation"]["openAPIV3Schema"];
        let validator = jsonschema::draft4::new(schema).map_err(|e| e.to_string())?;
        let errors: Vec<String> = validator
            .iter_errors(&constraint["spec"]["parameters"])
            .map(|e| format!("{kind}: {e}"))
            .collect();
        check(errors.is_empty(), errors.join("\n"))?;
        check(
            ["deny", "dryrun", "warn"].contains(
                &constraint["spec"]["enforcementAction"]
                    .as_str()
                    .unwrap_or(""),
            ),
            format!("{kind}: enforcementAction"),
        )?;
        let source = &template["spec"]["targets"][0]["code"][0]["source"];
        check(source["version"] == "v1", format!("{kind}: not Rego v1"))?;
        let mut engine = regorus::Engine::new();
        engine
            .add_policy(
                format!("{kind}.rego"),
                source["rego"].as_str().unwrap_or("").to_string(),
            )
            .map_err(|e| format!("{kind}: {e}"))?;
        for (i, lib) in source["libs"].as_array().into_iter().flatten().enumerate() {
            engine
                .add_policy(
                    format!("{kind}-lib-{i}.rego"),
                    lib.as_str().unwrap_or("").to_string(),
                )
                .map_err(|e| format!("{kind} lib: {e}"))?;
        }
        if kind != "PaveAllowedRegistries" {
            continue;
        }
        let package = template["metadata"]["name"].as_str().unwrap_or("");
        let mut violations = |parameters: &serde_json::Value| -> Result<usize, Failed> {
            engine.set_input(regorus::Value::from(serde_json::json!({
                "review": {"object": deployment},
                "parameters": parameters,
            })));
            let value = engine
                .eval_rule(format!("data.{package}.violation"))
                .map_err(|e| e.to_string())?;
            let value = serde_json::to_value(&value).map_err(|e| e.to_string())?;
            Ok(value.as_array().map_or(0, Vec::len))
        };
        let parameters = constraint["spec"]["parameters"].clone();
        check(
            violations(&parameters)? == 0,
            "the waived service is reported",
        )?;
        let mut unwaived = parameters.clone();
        unwaived["waivers"] = serde_json::json!([]);
        check(
            violations(&unwaived)? == 1,
            "the upstream image is not reported",
        )?;
        enforced += 1;
    }
    check(
        enforced == 1,
        "the allowed-registries Constraint was not found",
    )
}
/// Compiles the platform of `compiled` from scratch into a new folder: what any compile of the
/// same specs must leave.
fn fresh_tree(compiled: &Compiled) -> Result<std::collections::BTreeMap<String, Vec<u8>>, Failed> {
    let run = compiled.pave(&["compile", "platform", "--out", "fresh"], &[]);
    check(run.status == 0, run.stderr)?;
    Ok(read_tree(&compiled.temp.path().join("fresh")))
}

/// The number in `compiled N files into DIR: W written, ...`, for `word` = `written` etc.
fn reported(stderr: &str, word: &str) -> Option<usize> {
    let line = stderr.lines().find(|l| l.starts_with("compiled "))?;
    let before = line.split(&format!(" {word}")).next()?;
    before.rsplit([' ', ':']).next()?.parse().ok()
}

fn recompile_after_one_service_changed_writes_only_its_files() -> Result<(), Failed> {
    let compiled = Compiled::new()?;
    let before = compiled.tree();
    let spec = compiled
        .root()
        .join("tenants/backend/services/order-service.yaml");
    let text = std::fs::read_to_string(&spec).map_err(|e| e.to_string())?;
    check(text.contains("order-service:2.7.0"), "the example changed")?;
    std::fs::write(
        &spec,
        text.replace("order-service:2.7.0", "order-service:2.7.1"),
    )
    .map_err(|e| e.to_string())?;
    let run = compiled.pave(&["compile", "platform"], &[]);
    check(run.status == 0, run.stderr.clone())?;
    let after = compiled.tree();
    if let Some(difference) = crate::support::tree_difference(&fresh_tree(&compiled)?, &after) {
        return Err(format!("the recompiled tree is not a fresh compile's:\n{difference}").into());
    }
    let changed = after
        .iter()
        .filter(|(path, bytes)| before.get(*path) != Some(*bytes))
        .count();
    check(
        changed > 0 && reported(&run.stderr, "written") == Some(changed),
        format!("{changed} files changed, but: {}", run.stderr),
    )?;
    check(
        run.stderr
            .contains(&format!("compiled {} files", after.len())),
        format!("the total counts the reused files too: {}", run.stderr),
    )?;
    // The example has 3 tenants in 3 environments; only backend's 3 folders are generated again.
    check(
        run.stderr.contains("; 6 of 9 tenant folders reused"),
        format!(
            "expected the other tenants' folders to be reused: {}",
            run.stderr
        ),
    )
}

fn recompile_after_a_shared_change_equals_a_fresh_compile() -> Result<(), Failed> {
    let compiled = Compiled::new()?;
    compiled.change_specs()?;
    let run = compiled.pave(&["compile", "platform"], &[]);
    check(run.status == 0, run.stderr.clone())?;
    // An Environment and the set of spec files changed: every tenant folder depends on both.
    check(
        !run.stderr.contains("tenant folders reused"),
        format!(
            "nothing may be reused after a shared change: {}",
            run.stderr
        ),
    )?;
    match crate::support::tree_difference(&fresh_tree(&compiled)?, &compiled.tree()) {
        None => Ok(()),
        Some(difference) => Err(format!("recompiled tree differs:\n{difference}").into()),
    }
}

/// `spec.gitops.layout: object` on a tree written with the default layout: `pave diff` matches
/// every object in its new file (no resource added, changed or removed, only files), and the
/// compile regenerates every tenant folder (the layout is in the reuse fingerprint), removing
/// the workload files, into the tree a fresh compile writes.
fn switching_the_layout_moves_every_object_and_diff_shows_none_changed() -> Result<(), Failed> {
    let compiled = Compiled::new()?;
    let workloads = compiled
        .root()
        .join("gitops/tenants/backend/prod/workloads");
    let grouped = workloads.join("order-service.yaml");
    let single = workloads.join("apps_v1_deployment_order-service.yaml");
    check(
        grouped.exists() && !single.exists(),
        "the default layout is not one file per workload",
    )?;
    let platform = compiled.root().join("pave.yaml");
    let text = std::fs::read_to_string(&platform).map_err(|e| e.to_string())?;
    check(
        text.contains("  gitops:\n"),
        "the example has no gitops section",
    )?;
    std::fs::write(
        &platform,
        text.replacen("  gitops:\n", "  gitops:\n    layout: object\n", 1),
    )
    .map_err(|e| e.to_string())?;
    let diff = compiled.pave(&["diff", "platform", "--output", "json"], &[]);
    check(diff.status == 0, diff.stderr.clone())?;
    let json: serde_json::Value = serde_json::from_str(&diff.stdout).map_err(|e| e.to_string())?;
    let summary = &json["summary"];
    check(
        summary["add"] == 0 && summary["change"] == 0 && summary["delete"] == 0,
        format!("objects reported changed: {summary}"),
    )?;
    check(
        summary["files_added"].as_u64() > Some(100) && summary["files_removed"].as_u64() > Some(10),
        format!("the files did not change: {summary}"),
    )?;
    let run = compiled.pave(&["compile", "platform"], &[]);
    check(run.status == 0, run.stderr.clone())?;
    check(
        !run.stderr.contains("tenant folders reused"),
        format!(
            "folders were reused after a change of layout: {}",
            run.stderr
        ),
    )?;
    check(
        single.exists() && !grouped.exists(),
        "the object layout did not replace the workload files",
    )?;
    if let Some(difference) =
        crate::support::tree_difference(&fresh_tree(&compiled)?, &compiled.tree())
    {
        return Err(format!("the switched tree differs from a fresh one:\n{difference}").into());
    }
    let run = compiled.pave(&["compile", "platform", "--check"], &[]);
    check(run.status == 0, run.stderr)
}

fn a_reused_folder_with_a_file_deleted_or_edited_by_hand_is_restored() -> Result<(), Failed> {
    let compiled = Compiled::new()?;
    let expected = compiled.tree();
    let workloads = compiled
        .root()
        .join("gitops/tenants/backend/prod/workloads");
    let deleted = workloads.join("order-service.yaml");
    let edited = workloads.join("user-service.yaml");
    check(
        deleted.exists() && edited.exists(),
        "the example's tree changed",
    )?;
    std::fs::remove_file(&deleted).map_err(|e| e.to_string())?;
    let text = std::fs::read_to_string(&edited).map_err(|e| e.to_string())?;
    std::fs::write(&edited, format!("{text}# a note\n")).map_err(|e| e.to_string())?;
    let run = compiled.pave(&["compile", "platform"], &[]);
    check(run.status == 0, run.stderr.clone())?;
    check(
        run.stderr.contains("; 8 of 9 tenant folders reused"),
        format!("only the changed folder is generated again: {}", run.stderr),
    )?;
    match crate::support::tree_difference(&expected, &compiled.tree()) {
        None => Ok(()),
        Some(difference) => Err(format!("not restored:\n{difference}").into()),
    }
}

/// What a compile reports is what a compile from scratch reports, whatever it reuses: a warning
/// the policies find on a tenant folder's objects (which does not stop the write) is reported by
/// the next compile too, that folder being generated again though its inputs did not change; and
/// a tenant whose findings a waiver covers has its folders evaluated on every compile, so the
/// waiver is never reported unused while it is used.
fn a_recompile_reports_the_warnings_and_waivers_of_the_folders_it_could_reuse() -> Result<(), Failed>
{
    let compiled = Compiled::new()?;
    let policies = compiled.root().join("policies");
    std::fs::write(
        policies.join("zz-probe.rego"),
        "# METADATA\n# title: Probe\n# description: Warns on backend's production Deployments.\n# custom:\n#   id: zz-probe\n#   severity: warn\n#   input: kubernetes\n#   kinds: [apps/Deployment]\npackage zz.probe\n\nimport rego.v1\n\nwarn contains {\"msg\": \"probed\", \"path\": [\"metadata\"]} if {\n\tinput.metadata.namespace == \"backend-prod\"\n}\n",
    )
    .map_err(|e| e.to_string())?;
    let codes = |run: &crate::support::Run| -> Result<Vec<String>, Failed> {
        check(run.status == 0, run.stderr.clone())?;
        let json: serde_json::Value =
            serde_json::from_str(&run.stdout).map_err(|e| format!("{e}: {}", run.stdout))?;
        Ok(json["diagnostics"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|d| d["code"].as_str().unwrap_or_default().to_string())
            .collect())
    };
    let compile = || compiled.pave(&["compile", "platform", "--output", "json"], &[]);
    let first = compile();
    let warned = codes(&first)?;
    check(
        warned.iter().filter(|code| *code == "zz-probe").count() >= 2,
        format!("the probe found nothing: {warned:?}"),
    )?;
    let again = compile();
    check(
        codes(&again)? == warned,
        format!(
            "the recompile reported {:?}, not {warned:?}",
            codes(&again)?
        ),
    )?;
    // backend's production folder, on whose objects the probe warned, is generated again.
    check(
        again.stderr.contains("; 8 of 9 tenant folders reused"),
        format!("expected all but backend/prod reused: {}", again.stderr),
    )?;
    std::fs::write(
        policies.join("zz-probe-waiver.yaml"),
        "apiVersion: pave.dev/v1alpha1\nkind: Waiver\nmetadata: {name: probe}\nspec:\n  rule: zz-probe\n  tenant: backend\n  reason: The test's probe.\n  expires: 2099-01-01\n",
    )
    .map_err(|e| e.to_string())?;
    let waived = codes(&compile())?;
    check(
        !waived
            .iter()
            .any(|code| code == "zz-probe" || code == "unused-waiver"),
        format!("the waiver did not cover the probe's findings: {waived:?}"),
    )?;
    let again = compile();
    check(
        codes(&again)? == waived,
        format!(
            "the recompile reported {:?}, not {waived:?}",
            codes(&again)?
        ),
    )?;
    // backend's three folders are evaluated for the waiver to be known used.
    check(
        again.stderr.contains("; 6 of 9 tenant folders reused"),
        format!(
            "expected all but backend's folders reused: {}",
            again.stderr
        ),
    )
}

/// A `.pave/units.json` whose version is not this pave's (fingerprints of another scheme) reuses
/// nothing, and the next compile records this version's again.
fn a_reuse_cache_of_another_version_is_not_trusted() -> Result<(), Failed> {
    let compiled = Compiled::new()?;
    let expected = compiled.tree();
    let units_path = compiled.root().join("gitops/.pave/units.json");
    let text = std::fs::read_to_string(&units_path).map_err(|e| e.to_string())?;
    let older = text.replacen("\"version\": 3", "\"version\": 2", 1);
    check(older != text, format!("not version 3: {text}"))?;
    std::fs::write(&units_path, older).map_err(|e| e.to_string())?;
    let run = compiled.pave(&["compile", "platform"], &[]);
    check(
        run.status == 0 && !run.stderr.contains("tenant folders reused"),
        format!("an older reuse cache was used: {}", run.stderr),
    )?;
    let run = compiled.pave(&["compile", "platform"], &[]);
    check(
        run.status == 0 && run.stderr.contains("; 9 of 9 tenant folders reused"),
        format!("the cache was not recorded again: {}", run.stderr),
    )?;
    match crate::support::tree_difference(&expected, &compiled.tree()) {
        None => Ok(()),
        Some(difference) => Err(format!("the tree changed:\n{difference}").into()),
    }
}

/// Once a compile has recorded the stamps of reused folders' files (only for files older than the
/// writer's settling time, 2 s), later compiles trust them instead of reading the files: an edit
/// that keeps the size and puts the modification time back must still be caught (the change time
/// differs) and restored.
fn a_same_size_edit_with_its_mtime_put_back_is_caught_after_stamps_are_recorded()
-> Result<(), Failed> {
    let compiled = Compiled::new()?;
    let expected = compiled.tree();
    let units_path = compiled.root().join("gitops/.pave/units.json");
    let recorded_stamps = || {
        std::fs::read_to_string(&units_path)
            .map(|text| text.matches("\"stamps\"").count())
            .unwrap_or_default()
    };
    check(
        recorded_stamps() == 0,
        "stamps of files just written were recorded",
    )?;
    // Let the files' stamps settle, then have a compile read them and record their stamps.
    std::thread::sleep(std::time::Duration::from_millis(2200));
    let run = compiled.pave(&["compile", "platform"], &[]);
    check(
        run.status == 0 && run.stderr.contains("; 9 of 9 tenant folders reused"),
        run.stderr,
    )?;
    check(
        recorded_stamps() == 9,
        format!(
            "expected the 9 folders' stamps recorded: {}",
            recorded_stamps()
        ),
    )?;
    let edited = compiled
        .root()
        .join("gitops/tenants/backend/prod/workloads/user-service.yaml");
    let modified = std::fs::metadata(&edited)
        .and_then(|m| m.modified())
        .map_err(|e| e.to_string())?;
    let text = std::fs::read_to_string(&edited).map_err(|e| e.to_string())?;
    let changed = text.replacen("user-service", "user-servicf", 1);
    check(
        changed != text && changed.len() == text.len(),
        "the example's workload changed",
    )?;
    std::fs::write(&edited, &changed).map_err(|e| e.to_string())?;
    std::fs::File::options()
        .write(true)
        .open(&edited)
        .and_then(|file| file.set_modified(modified))
        .map_err(|e| e.to_string())?;
    let run = compiled.pave(&["compile", "platform"], &[]);
    check(run.status == 0, run.stderr.clone())?;
    check(
        run.stderr.contains("; 8 of 9 tenant folders reused"),
        format!("the edited folder must be generated again: {}", run.stderr),
    )?;
    match crate::support::tree_difference(&expected, &compiled.tree()) {
        None => Ok(()),
        Some(difference) => Err(format!("not restored:\n{difference}").into()),
    }
}

/// Reused folders are not evaluated again, so a change to the policies must reuse none: a new
/// platform rule that every Deployment breaks fails the recompile of unchanged specs, in every
/// tenant, and a warn rule regenerates every folder.
fn a_policy_change_reuses_no_folder_and_finds_violations_in_unchanged_specs() -> Result<(), Failed>
{
    let compiled = Compiled::new()?;
    let rule = |severity: &str| {
        format!(
            "# METADATA\n# title: Deployments name their team\n# description: A `team` label on every Deployment.\n# custom:\n#   id: team-label\n#   severity: {severity}\n#   input: kubernetes\n#   kinds: [apps/Deployment]\npackage techcorp.team_label\n\nimport rego.v1\n\n{severity} contains \"no team label\" if {{\n\tnot input.metadata.labels.team\n}}\n"
        )
    };
    let policy = compiled.root().join("policies/team-label.rego");
    std::fs::write(&policy, rule("warn")).map_err(|e| e.to_string())?;
    let run = compiled.pave(&["compile", "platform"], &[]);
    check(run.status == 0, run.stderr.clone())?;
    check(
        !run.stderr.contains("tenant folders reused"),
        format!("folders were reused after a policy change: {}", run.stderr),
    )?;
    check(
        run.stderr.contains("team-label") && run.stderr.contains("warning"),
        format!("the new rule did not run on every object: {}", run.stderr),
    )?;
    std::fs::write(&policy, rule("deny")).map_err(|e| e.to_string())?;
    let run = compiled.pave(&["compile", "platform"], &[]);
    check(
        run.status == 1,
        format!("exit {}: {}", run.status, run.stderr),
    )?;
    for service in ["order-service", "ml-inference", "frontend"] {
        check(
            run.stderr.contains(&format!("Deployment `{service}`")),
            format!("no violation reported for {service}: {}", run.stderr),
        )?;
    }
    Ok(())
}

/// The old side of `diff --against` is compiled without the policies: a committed spec that a
/// rule rejects (a `latest` image) still gives a tree to compare the fix with; the new side is
/// checked as always.
fn diff_against_a_revision_that_breaks_a_policy_compares_its_tree() -> Result<(), Failed> {
    let temp = tempfile::tempdir().map_err(|e| e.to_string())?;
    let repo_dir = temp.path().join("repo");
    copy_example(&repo_dir.join("platform"))?;
    let service = repo_dir.join("platform/tenants/backend/services/order-service.yaml");
    let text = std::fs::read_to_string(&service).map_err(|e| e.to_string())?;
    let broken = text.replace("order-service:2.7.0", "order-service:latest");
    check(broken != text, "the example changed")?;
    std::fs::write(&service, &broken).map_err(|e| e.to_string())?;
    commit_all(&repo_dir)?;
    let run = pave(&repo_dir, &["diff", "platform", "--against", "HEAD"]);
    check(
        run.status == 2 && run.stderr.contains("image-tag-pinned"),
        format!(
            "the broken working tree was not refused: exit {}: {}",
            run.status, run.stderr
        ),
    )?;
    std::fs::write(&service, &text).map_err(|e| e.to_string())?;
    let run = pave(
        &repo_dir,
        &["diff", "platform", "--against", "HEAD", "--exit-code"],
    );
    check(
        run.status == 1 && run.stdout.contains("order-service:latest →"),
        format!("exit {}: {}{}", run.status, run.stdout, run.stderr),
    )
}

/// Spans recorded for diagnostics are not part of what is generated: a longer image tag moves
/// every later node of etl-worker's file (its declared AWS access included, which the
/// Terraform's provenance points at), and still only data's folders are generated again; a
/// comment that moves every node of the Tenant regenerates none.
fn moving_spec_nodes_without_changing_them_regenerates_nothing_more() -> Result<(), Failed> {
    let compiled = Compiled::new()?;
    let spec = compiled
        .root()
        .join("tenants/data/services/etl-worker.yaml");
    let text = std::fs::read_to_string(&spec).map_err(|e| e.to_string())?;
    check(
        text.contains("data/pipelines:1.9.0") && text.contains("aws:"),
        "the example changed",
    )?;
    std::fs::write(
        &spec,
        text.replace("data/pipelines:1.9.0", "data/pipelines:1.9.10"),
    )
    .map_err(|e| e.to_string())?;
    let run = compiled.pave(&["compile", "platform"], &[]);
    check(run.status == 0, run.stderr.clone())?;
    check(
        run.stderr.contains("; 6 of 9 tenant folders reused"),
        format!(
            "expected the other tenants' folders to be reused: {}",
            run.stderr
        ),
    )?;
    // A comment atop the Tenant moves every node of it and changes nothing generated.
    let tenant = compiled.root().join("tenants/data/tenant.yaml");
    let text = std::fs::read_to_string(&tenant).map_err(|e| e.to_string())?;
    std::fs::write(&tenant, format!("# Reviewed in PLAT-7.\n{text}")).map_err(|e| e.to_string())?;
    let run = compiled.pave(&["compile", "platform"], &[]);
    check(run.status == 0, run.stderr.clone())?;
    check(
        run.stderr.contains("; 9 of 9 tenant folders reused"),
        format!("a moved span regenerated folders: {}", run.stderr),
    )
}

fn write(path: &Path, text: &str) -> Result<(), Failed> {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).map_err(|e| e.to_string())?;
    }
    std::fs::write(path, text).map_err(|e| e.to_string())?;
    Ok(())
}

/// The reproduction of issue 23: a journal committed into the output folder whose paths climb
/// out of it, with a matching "backup", made a rollback overwrite and delete files elsewhere.
/// Every command refuses the journal, and nothing outside the output folder changes.
fn a_planted_journal_touches_nothing_outside_the_output_folder() -> Result<(), Failed> {
    let compiled = Compiled::new()?;
    let out = compiled.root().join("gitops");
    // Where the old rollback's `out/.pave/backup/<path>` and `out/<path>` led.
    let evil = compiled.temp.path().join("planted/evil.txt");
    let backup = out.join(".pave/backup/../../planted/evil.txt");
    let victim = compiled.temp.path().join("victim.txt");
    write(&evil, "the user's file\n")?;
    write(&backup, "planted\n")?;
    write(&victim, "the user's other file\n")?;
    write(
        &out.join(".pave/journal.json"),
        r#"{"entries": [
            {"path": "../../planted/evil.txt", "existed": true, "install": true},
            {"path": "../../victim.txt", "existed": false, "install": true}
        ]}"#,
    )?;
    let outside = everything(compiled.temp.path());
    for args in [
        &["compile", "platform", "--check"][..],
        &["diff", "platform"],
        &["compile", "platform"],
    ] {
        let run = compiled.pave(args, &[]);
        check(
            run.status != 0 && run.stderr.contains(".pave/journal.json"),
            format!("{args:?}: exit {}: {}", run.status, run.stderr),
        )?;
        check(
            everything(compiled.temp.path()) == outside,
            format!("{args:?} changed files"),
        )?;
    }
    let run = compiled.pave(&["compile", "platform"], &[]);
    check(
        run.status == 1 && run.stderr.contains("invalid-state"),
        format!("exit {}: {}", run.status, run.stderr),
    )?;
    check(
        std::fs::read_to_string(&evil).map_err(|e| e.to_string())? == "the user's file\n"
            && victim.exists(),
        "a file outside the output folder changed",
    )
}

/// Paths read from the manifest and the reuse cache are checked as well: a manifest listing a
/// generated-looking file outside the folder made `compile` delete it and `diff` read it.
fn a_planted_manifest_or_units_cache_touches_nothing_outside_the_output_folder()
-> Result<(), Failed> {
    let compiled = Compiled::new()?;
    let out = compiled.root().join("gitops");
    let victim = compiled.temp.path().join("victim.yaml");
    write(&victim, "# Generated by pave. Do not edit.\nkind: Secret\n")?;
    let manifest_path = out.join(".pave/manifest.json");
    let manifest = std::fs::read_to_string(&manifest_path).map_err(|e| e.to_string())?;
    let planted = manifest.replacen(
        "\"files\": {",
        "\"files\": {\n    \"../../victim.yaml\": \"00\",",
        1,
    );
    check(planted != manifest, "the manifest's layout changed")?;
    std::fs::write(&manifest_path, &planted).map_err(|e| e.to_string())?;
    let before = everything(compiled.temp.path());
    for (args, status) in [
        (&["compile", "platform", "--check"][..], 1),
        (&["diff", "platform"], 2),
        (&["compile", "platform"], 1),
    ] {
        let run = compiled.pave(args, &[]);
        check(
            run.status == status
                && run.stderr.contains("invalid-state")
                && run.stderr.contains("manifest.json")
                && !run.stdout.contains("Secret"),
            format!(
                "{args:?}: exit {}: {}{}",
                run.status, run.stdout, run.stderr
            ),
        )?;
        check(
            everything(compiled.temp.path()) == before,
            format!("{args:?} changed files"),
        )?;
    }
    std::fs::write(&manifest_path, &manifest).map_err(|e| e.to_string())?;
    let units = out.join(".pave/units.json");
    write(
        &units,
        r#"{"generator": "pave", "version": 3, "units": {"/etc": {"fingerprint": "x", "files": 0, "bytes": 0}}}"#,
    )?;
    let run = compiled.pave(&["compile", "platform"], &[]);
    check(
        run.status == 1
            && run.stderr.contains("invalid-state")
            && run.stderr.contains("units.json"),
        format!("exit {}: {}", run.status, run.stderr),
    )?;
    check(
        victim.exists(),
        "the file outside the output folder was deleted",
    )
}

/// A link anywhere in the output folder, a tenant's folder or pave's own state folder, is
/// refused by every command, and nothing is written, read or deleted where it points.
fn symlinks_in_the_output_folder_are_never_followed() -> Result<(), Failed> {
    #[cfg(unix)]
    {
        let compiled = Compiled::new()?;
        let out = compiled.root().join("gitops");
        let elsewhere = compiled.temp.path().join("elsewhere");
        std::fs::create_dir_all(&elsewhere).map_err(|e| e.to_string())?;
        write(&elsewhere.join("mine.txt"), "mine\n")?;
        std::fs::rename(
            out.join("tenants/web"),
            compiled.temp.path().join("web-moved"),
        )
        .map_err(|e| e.to_string())?;
        std::os::unix::fs::symlink(&elsewhere, out.join("tenants/web"))
            .map_err(|e| e.to_string())?;
        let before = everything(compiled.temp.path());
        for (args, status) in [
            (&["compile", "platform"][..], 1),
            (&["compile", "platform", "--check"], 1),
            (&["diff", "platform"], 2),
        ] {
            let run = compiled.pave(args, &[]);
            check(
                run.status == status
                    && run.stderr.contains("symlink-in-output")
                    && run.stderr.contains("tenants/web"),
                format!("{args:?}: exit {}: {}", run.status, run.stderr),
            )?;
            check(
                everything(compiled.temp.path()) == before,
                format!("{args:?} changed files"),
            )?;
        }

        // A linked state folder, on a first compile.
        let temp = tempfile::tempdir().map_err(|e| e.to_string())?;
        let state = temp.path().join("state");
        std::fs::create_dir_all(&state).map_err(|e| e.to_string())?;
        let out = temp.path().join("out");
        std::fs::create_dir_all(&out).map_err(|e| e.to_string())?;
        std::os::unix::fs::symlink(&state, out.join(".pave")).map_err(|e| e.to_string())?;
        let run = pave(
            temp.path(),
            &["compile", &example(), "--out", &out.display().to_string()],
        );
        check(
            run.status == 1 && run.stderr.contains("symlink-in-output"),
            format!("exit {}: {}", run.status, run.stderr),
        )?;
        check(
            std::fs::read_dir(&state)
                .map_err(|e| e.to_string())?
                .count()
                == 0,
            "pave wrote into the linked state folder",
        )?;
        check(read_tree(&out).is_empty(), "pave wrote output")?;
    }
    Ok(())
}

/// `compile --check` and `diff` take no lock and create, roll back and clean nothing: they work
/// on a read-only tree, and leave every byte of it as it was.
fn check_and_diff_only_read_the_output_folder() -> Result<(), Failed> {
    let compiled = Compiled::new()?;
    let out = compiled.root().join("gitops");
    for leftover in ["lock", ".gitignore"] {
        std::fs::remove_file(out.join(".pave").join(leftover)).map_err(|e| e.to_string())?;
    }
    write(&out.join(".pave/staging/left.yaml"), "left\n")?;
    let before = everything(&out);
    set_read_only(&out, true)?;
    let check_run = compiled.pave(&["compile", "platform", "--check"], &[]);
    let diff_run = compiled.pave(&["diff", "platform", "--exit-code"], &[]);
    set_read_only(&out, false)?;
    check(
        check_run.status == 0,
        format!("check: exit {}: {}", check_run.status, check_run.stderr),
    )?;
    check(
        diff_run.status == 0,
        format!("diff: exit {}: {}", diff_run.status, diff_run.stderr),
    )?;
    check(
        everything(&out) == before,
        "check or diff changed the output folder",
    )
}

fn set_read_only(dir: &Path, read_only: bool) -> Result<(), Failed> {
    for entry in walkdir::WalkDir::new(dir)
        .into_iter()
        .filter_map(Result::ok)
    {
        let mut permissions = entry.metadata().map_err(|e| e.to_string())?.permissions();
        permissions.set_readonly(read_only);
        std::fs::set_permissions(entry.path(), permissions).map_err(|e| e.to_string())?;
    }
    Ok(())
}

/// The reproduction of issue 17: an edit that keeps a generated file's size (YAML or Terraform
/// JSON) passed `compile --check`, survived `compile` and was invisible to `diff`.
fn a_same_size_hand_edit_is_stale_shown_and_restored() -> Result<(), Failed> {
    let compiled = Compiled::new()?;
    let expected = compiled.tree();
    let out = compiled.root().join("gitops");
    let edits = [
        (
            "tenants/backend/prod/workloads/order-service.yaml",
            "order-service:2.7.0",
            "order-service:6.6.6",
        ),
        (
            "terraform/prod/us-east-1/eks.tf.json",
            "\"1.33\"",
            "\"1.23\"",
        ),
    ];
    for (path, from, to) in edits {
        let file = out.join(path);
        let text = std::fs::read_to_string(&file).map_err(|e| e.to_string())?;
        check(text.contains(from), format!("{path} has no `{from}`"))?;
        std::fs::write(&file, text.replacen(from, to, 1)).map_err(|e| e.to_string())?;
    }
    let run = compiled.pave(&["compile", "platform", "--check", "--output", "json"], &[]);
    check(
        run.status == 1,
        format!("exit {}: {}", run.status, run.stdout),
    )?;
    let json: serde_json::Value = serde_json::from_str(&run.stdout).map_err(|e| e.to_string())?;
    let stale: Vec<&str> = json["diagnostics"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|d| d["code"] == "stale-file")
        .filter_map(|d| d["message"].as_str())
        .collect();
    let diff = compiled.pave(&["diff", "platform", "--output", "unified"], &[]);
    check(stale.len() == 2, format!("--check: {stale:?}"))?;
    for (path, from, to) in edits {
        check(
            stale
                .iter()
                .any(|m| m.contains(path) && m.contains("differs from the specs")),
            format!("--check does not name {path}: {stale:?}"),
        )?;
        check(
            diff.stdout.contains(path) && diff.stdout.contains(from) && diff.stdout.contains(to),
            format!("diff does not show the edit of {path}: {}", diff.stdout),
        )?;
    }
    let run = compiled.pave(&["compile", "platform"], &[]);
    check(
        run.status == 0 && run.stderr.contains(" 2 written"),
        run.stderr.clone(),
    )?;
    match crate::support::tree_difference(&expected, &compiled.tree()) {
        None => {}
        Some(difference) => return Err(format!("not restored:\n{difference}").into()),
    }
    let run = compiled.pave(&["compile", "platform", "--check"], &[]);
    check(run.status == 0, run.stderr)
}

/// A compile killed after its commit point left the backup folder, and the folders of a removed
/// tenant empty, forever; and one killed while staging left the staging folder. The next compile
/// (not `--check`) cleans both, and only them.
fn leftovers_of_a_killed_compile_are_cleaned_by_the_next_compile() -> Result<(), Failed> {
    let compiled = Compiled::new()?;
    let out = compiled.root().join("gitops");
    std::fs::remove_dir_all(compiled.root().join("tenants/web")).map_err(|e| e.to_string())?;
    let backend = compiled.root().join("tenants/backend/tenant.yaml");
    let text = std::fs::read_to_string(&backend).map_err(|e| e.to_string())?;
    std::fs::write(
        &backend,
        text.replace("allowFrom: [web]", "allowFrom: [data]"),
    )
    .map_err(|e| e.to_string())?;
    write(&out.join("tenants/web/prod/NOTES.md"), "mine\n")?;
    let run = compiled.pave(
        &["compile", "platform"],
        &[("PAVE_FAILPOINT", "committed:error")],
    );
    check(
        run.status == 2,
        format!("exit {}: {}", run.status, run.stderr),
    )?;
    check(
        out.join(".pave/backup").exists() && out.join("tenants/web/dev").exists(),
        "the failpoint left nothing to clean",
    )?;
    write(&out.join(".pave/staging/left.yaml"), "left\n")?;
    let left = everything(&out);
    let run = compiled.pave(&["compile", "platform", "--check"], &[]);
    check(
        run.status == 0,
        format!("exit {}: {}", run.status, run.stderr),
    )?;
    check(everything(&out) == left, "--check cleaned up")?;
    let run = compiled.pave(&["compile", "platform"], &[]);
    check(
        run.status == 0 && run.stderr.contains(" 0 written"),
        run.stderr,
    )?;
    let state: Vec<String> = std::fs::read_dir(out.join(".pave"))
        .map_err(|e| e.to_string())?
        .filter_map(Result::ok)
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    check(
        !state
            .iter()
            .any(|n| n == "backup" || n == "staging" || n.starts_with("journal")),
        format!("left in .pave: {state:?}"),
    )?;
    check(
        !out.join("tenants/web/dev").exists() && !out.join("tenants/web/staging").exists(),
        "the removed tenant's empty folders were left",
    )?;
    check(
        out.join("tenants/web/prod/NOTES.md").exists(),
        "a user's file in a removed tenant's folder was deleted",
    )
}

/// A full disk fails every staged file alike: one error says so, with the space needed, and
/// nothing changes.
fn a_full_disk_is_one_error_with_the_space_needed() -> Result<(), Failed> {
    let compiled = Compiled::new()?;
    let before = everything(&compiled.root().join("gitops"));
    compiled.change_specs()?;
    let run = compiled.pave(
        &["compile", "platform"],
        &[("PAVE_FAILPOINT", "write:enospc")],
    );
    check(
        run.status == 2,
        format!("exit {}: {}", run.status, run.stderr),
    )?;
    check(
        run.stderr.matches("no-space").count() == 1
            && run.stderr.contains("bytes")
            && run.stderr.contains("1 error found"),
        run.stderr,
    )?;
    check(
        everything(&compiled.root().join("gitops")) == before,
        "the tree changed",
    )
}

/// `pave schema --out` replaces its own schemas (a JSON Schema with pave's `$id`) and refuses a
/// user's file of the same name, writing nothing then.
fn schema_command_overwrites_only_its_own_files() -> Result<(), Failed> {
    let temp = tempfile::tempdir().map_err(|e| e.to_string())?;
    let out = temp.path().join("schemas");
    let out_str = out.display().to_string();
    let older = r#"{"$id": "https://pave.dev/schemas/v1alpha1/service.schema.json"}"#;
    write(&out.join("service.schema.json"), older)?;
    write(&out.join("tenant.schema.json"), "{\"mine\": true}\n")?;
    let run = pave(temp.path(), &["schema", "--out", &out_str]);
    check(
        run.status == 1
            && run.stderr.contains("unowned-file")
            && run.stderr.contains("tenant.schema.json"),
        format!("exit {}: {}", run.status, run.stderr),
    )?;
    check(
        read_tree(&out).len() == 2
            && std::fs::read_to_string(out.join("tenant.schema.json"))
                .map_err(|e| e.to_string())?
                == "{\"mine\": true}\n",
        "pave overwrote the user's file or wrote others",
    )?;
    std::fs::remove_file(out.join("tenant.schema.json")).map_err(|e| e.to_string())?;
    for _ in 0..2 {
        let run = pave(temp.path(), &["schema", "--out", &out_str]);
        check(run.status == 0, run.stderr)?;
    }
    let source = read_tree(&repo().join("schemas"));
    check(
        read_tree(&out).get("service.schema.json") == source.get("service.schema.json"),
        "pave's older schema was not replaced",
    )
}

/// Where a `terraform` resource type was requested is for diagnostics only (it is kept in the
/// root module's provenance): a comment that moves it changes nothing generated, so every tenant
/// folder is reused.
fn a_comment_atop_a_service_requesting_a_terraform_type_reuses_every_folder() -> Result<(), Failed>
{
    let temp = tempfile::tempdir().map_err(|e| e.to_string())?;
    let root = temp.path().join("platform");
    crate::support::copy_specs(
        &repo()
            .join("tests/cases/resource-types/terraform-blocks-in-the-cluster-root-module/input"),
        &root,
    )?;
    // With the GitOps repository, the tenants' Flux folders apply their namespaces' objects
    // without a target namespace: the wiring check must still see those namespaces as reused and
    // not report the workload identities' ServiceAccounts in them as missing.
    let root_str = root.display().to_string();
    let out = temp.path().join("out").display().to_string();
    let first = pave(temp.path(), &["compile", &root_str, "--out", &out]);
    check(first.status == 0, first.stderr)?;
    let service = root.join("tenants/shop/services/checkout.yaml");
    let text = std::fs::read_to_string(&service).map_err(|e| e.to_string())?;
    std::fs::write(&service, format!("# The checkout service.\n{text}"))
        .map_err(|e| e.to_string())?;
    let run = pave(temp.path(), &["compile", &root_str, "--out", &out]);
    check(
        run.status == 0
            && run.stderr.contains(" 0 written, 0 removed")
            && run.stderr.contains("; 2 of 2 tenant folders reused"),
        run.stderr,
    )
}

/// An add-on manifest's ClusterRole named `podinfo:reader` (RBAC names may hold `:`): its file's
/// name percent-encodes the `:`, which pave's own state refuses in a path, so the next compile
/// reads the manifest it wrote and finds the tree up to date.
fn an_object_named_with_a_colon_recompiles() -> Result<(), Failed> {
    let temp = tempfile::tempdir().map_err(|e| e.to_string())?;
    let root = temp.path().join("platform");
    crate::support::copy_specs(
        &repo().join("tests/cases/flux/platform-defined-addon/input"),
        &root,
    )?;
    let root_str = root.display().to_string();
    let out = temp.path().join("out");
    let out_str = out.display().to_string();
    let first = pave(temp.path(), &["compile", &root_str, "--out", &out_str]);
    check(first.status == 0, first.stderr)?;
    check(
        out.join("infrastructure/dev-eu-west-1/configs/rbac.authorization.k8s.io_v1_clusterrole_podinfo%3Areader.yaml")
            .is_file(),
        "the ClusterRole's file is not named with `%3A`",
    )?;
    let again = pave(
        temp.path(),
        &["compile", &root_str, "--out", &out_str, "--check"],
    );
    check(again.status == 0, again.stderr)
}
