//! `pave new`: every stdlib template, run on a copy of the example, writes a spec that
//! `pave check` accepts; a bad parameter is placed on what the command line said; an existing
//! file is never overwritten.

use std::path::Path;

use libtest_mimic::{Failed, Trial};

use crate::support::{copy_specs, pave, repo};

const SERVICE_TEMPLATES: &[&str] = &["java-service", "python-service", "web", "worker"];

pub(crate) fn trials() -> Vec<Trial> {
    let mut trials: Vec<Trial> = SERVICE_TEMPLATES
        .iter()
        .map(|template| {
            Trial::test(
                format!("new::service_from_{template}_passes_check_on_the_example"),
                move || service_passes_check(template),
            )
        })
        .collect();
    trials.push(Trial::test(
        "new::tenant_from_the_template_passes_check_on_the_example",
        tenant_passes_check,
    ));
    trials.push(Trial::test(
        "new::bad_parameter_is_placed_on_the_command_line_and_nothing_is_written",
        bad_parameter,
    ));
    trials.push(Trial::test(
        "new::existing_file_is_never_overwritten",
        never_overwrites,
    ));
    trials.push(Trial::test(
        "new::list_shows_every_stdlib_template_with_its_parameters",
        list,
    ));
    trials
}

fn check(condition: bool, message: impl Into<String>) -> Result<(), Failed> {
    if condition {
        Ok(())
    } else {
        Err(message.into().into())
    }
}

fn example_copy() -> Result<(tempfile::TempDir, String), Failed> {
    let temp = tempfile::tempdir().map_err(|e| e.to_string())?;
    let root = temp.path().join("techcorp");
    copy_specs(&repo().join("examples/techcorp"), &root)?;
    Ok((temp, root.display().to_string()))
}

fn passes_check(cwd: &Path, root: &str) -> Result<(), Failed> {
    let run = pave(cwd, &["check", root]);
    check(
        run.status == 0,
        format!("pave check: {}\n{}", run.status, run.stderr),
    )
}

fn service_passes_check(template: &str) -> Result<(), Failed> {
    let (temp, root) = example_copy()?;
    let name = format!("new-{template}");
    let run = pave(
        temp.path(),
        &[
            "new",
            "service",
            &name,
            "--tenant",
            "data",
            "--template",
            template,
            &root,
        ],
    );
    check(
        run.status == 0,
        format!("pave new: {}\n{}", run.status, run.stderr),
    )?;
    let path = Path::new(&root).join(format!("tenants/data/services/{name}.yaml"));
    let text = std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    check(
        text.contains(&format!("name: {name}\n")) && text.contains("tenant: data\n"),
        format!("the spec does not name the service and tenant:\n{text}"),
    )?;
    // The image is under the tenant, and the comment names the Platform's registry.
    check(
        text.contains(&format!("image: data/{name}:0.1.0"))
            && text.contains("123456789012.dkr.ecr.us-east-1.amazonaws.com/"),
        format!("the image or registry is not filled in:\n{text}"),
    )?;
    passes_check(temp.path(), &root)
}

fn tenant_passes_check() -> Result<(), Failed> {
    let (temp, root) = example_copy()?;
    let run = pave(
        temp.path(),
        &[
            "new",
            "tenant",
            "payments",
            "--set",
            "cost_center=cc-5100",
            // TechCorp's own policy wants a person among the owners.
            "--set",
            "owner_user=pat@techcorp.example",
            &root,
        ],
    );
    check(
        run.status == 0,
        format!("pave new: {}\n{}", run.status, run.stderr),
    )?;
    let text = std::fs::read_to_string(Path::new(&root).join("tenants/payments/tenant.yaml"))
        .map_err(|e| e.to_string())?;
    check(
        text.contains("environments: [dev, prod, staging]"),
        format!("not every environment of the platform:\n{text}"),
    )?;
    passes_check(temp.path(), &root)?;
    // Without the person TechCorp's policy asks for, the check fails and nothing is written.
    let run = pave(
        temp.path(),
        &[
            "new",
            "tenant",
            "billing",
            "--set",
            "cost_center=cc-5200",
            &root,
        ],
    );
    check(
        run.status == 1 && run.stderr.contains("nothing was written"),
        format!(
            "a tenant the policy rejects: {}\n{}",
            run.status, run.stderr
        ),
    )?;
    check(
        !Path::new(&root).join("tenants/billing").exists(),
        "a rejected tenant was written",
    )
}

fn bad_parameter() -> Result<(), Failed> {
    let (temp, root) = example_copy()?;
    let run = pave(
        temp.path(),
        &[
            "new",
            "service",
            "api",
            "--tenant",
            "data",
            "--template",
            "python-service",
            "--set",
            "port=abc",
            &root,
        ],
    );
    check(
        run.status == 1,
        format!("exit {}: {}", run.status, run.stderr),
    )?;
    for expected in [
        "wrong-type",
        "╭─[<command line>:3:7]",
        "3 │ port: abc",
        "expected an integer",
        "the parameters of template `python-service`",
    ] {
        check(
            run.stderr.contains(expected),
            format!("no `{expected}` in:\n{}", run.stderr),
        )?;
    }
    check(
        !Path::new(&root)
            .join("tenants/data/services/api.yaml")
            .exists(),
        "a spec was written despite the error",
    )
}

fn never_overwrites() -> Result<(), Failed> {
    let (temp, root) = example_copy()?;
    let path = Path::new(&root).join("tenants/data/services/notes.yaml");
    // Not a spec pave knows (so the platform still checks), yet where the template would write.
    std::fs::write(&path, "# notes, kept by hand\n").map_err(|e| e.to_string())?;
    let run = pave(
        temp.path(),
        &["new", "service", "notes", "--tenant", "data", &root],
    );
    check(
        run.status == 1 && run.stderr.contains("already exists"),
        format!("exit {}: {}", run.status, run.stderr),
    )?;
    let text = std::fs::read_to_string(&path).map_err(|e| e.to_string())?;
    check(
        text == "# notes, kept by hand\n",
        "the file was overwritten",
    )
}

fn list() -> Result<(), Failed> {
    let run = pave(&repo(), &["new", "list", "examples/techcorp"]);
    check(
        run.status == 0,
        format!("exit {}: {}", run.status, run.stderr),
    )?;
    for template in SERVICE_TEMPLATES.iter().chain(&["tenant"]) {
        check(
            run.stdout.contains(&format!("{template} (")),
            format!("`{template}` not listed:\n{}", run.stdout),
        )?;
    }
    check(
        run.stdout.contains("  cost_center (required):"),
        format!("the tenant template's required parameter:\n{}", run.stdout),
    )
}
