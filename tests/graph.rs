//! `pave graph`: the example's picture is read by the real consumers (Graphviz `dot`, mermaid's
//! own parser), and `--changed` marks what a change touches and every caller of it.
//!
//! `dot` (Debian's graphviz) and mermaid's parser (npm `mermaid` with `jsdom`, in the
//! `node_modules` folder `PAVE_MERMAID_MODULES` names) are installed by `.ci/run`; under CI a
//! missing one fails the test, elsewhere the test says it skipped.

use std::path::Path;
use std::process::{Command, Stdio};

use libtest_mimic::{Failed, Trial};

use crate::support::{copy_specs, pave, repo};

pub(crate) fn trials() -> Vec<Trial> {
    vec![
        Trial::test("graph::example_as_dot_renders_with_graphviz", dot_renders),
        Trial::test(
            "graph::example_as_mermaid_parses_with_mermaid",
            mermaid_parses,
        ),
        Trial::test(
            "graph::changed_marks_the_service_and_every_caller",
            changed_marks_callers,
        ),
        Trial::test(
            "graph::env_keeps_only_that_environment_and_rejects_an_unknown_one",
            env_filter,
        ),
        Trial::test("graph::readme_shows_the_example_as_it_is", readme_picture),
    ]
}

fn check(condition: bool, message: impl Into<String>) -> Result<(), Failed> {
    if condition {
        Ok(())
    } else {
        Err(message.into().into())
    }
}

/// Whether a missing tool is a failure: in CI, which installs it.
fn required() -> bool {
    std::env::var_os("CI").is_some_and(|v| !v.is_empty() && v != "false")
}

fn graph(args: &[&str]) -> Result<String, Failed> {
    let root = repo().join("examples/techcorp").display().to_string();
    let mut all = vec!["graph", root.as_str()];
    all.extend_from_slice(args);
    let run = pave(&repo(), &all);
    check(
        run.status == 0,
        format!("pave graph failed ({}): {}", run.status, run.stderr),
    )?;
    Ok(run.stdout)
}

fn dot_renders() -> Result<(), Failed> {
    let text = graph(&["--format", "dot"])?;
    let child = Command::new("dot")
        .arg("-Tsvg")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn();
    let mut child = match child {
        Ok(child) => child,
        Err(e) if !required() => {
            eprintln!("skipped: `dot` (graphviz) not found: {e}");
            return Ok(());
        }
        Err(e) => return Err(format!("`dot` (graphviz) not found: {e}").into()),
    };
    if let Some(mut stdin) = child.stdin.take() {
        std::io::Write::write_all(&mut stdin, text.as_bytes()).map_err(|e| e.to_string())?;
    }
    let output = child.wait_with_output().map_err(|e| e.to_string())?;
    let svg = String::from_utf8_lossy(&output.stdout);
    check(
        output.status.success() && output.stderr.is_empty(),
        format!("dot: {}", String::from_utf8_lossy(&output.stderr)),
    )?;
    // Every service, tenant and resource of the example is drawn.
    for name in [
        "order-service",
        "search-suggest",
        "data-processing",
        "events (s3-bucket)",
        "backend",
        "web",
    ] {
        // Graphviz writes `-` as `&#45;` in SVG text.
        check(
            svg.contains(&format!(">{}</text>", name.replace('-', "&#45;"))),
            format!("`{name}` is not in the SVG"),
        )?;
    }
    Ok(())
}

fn mermaid_parses() -> Result<(), Failed> {
    let text = graph(&[])?;
    let Some(modules) = std::env::var_os("PAVE_MERMAID_MODULES") else {
        if required() {
            return Err("PAVE_MERMAID_MODULES is not set (.ci/run installs mermaid)".into());
        }
        eprintln!("skipped: PAVE_MERMAID_MODULES is not set");
        return Ok(());
    };
    let temp = tempfile::tempdir().map_err(|e| e.to_string())?;
    let file = temp.path().join("graph.mmd");
    std::fs::write(&file, &text).map_err(|e| e.to_string())?;
    let parse = |file: &Path| {
        Command::new("node")
            .arg(repo().join("tests/mermaid-parse.mjs"))
            .arg(file)
            .env("PAVE_MERMAID_MODULES", &modules)
            .output()
    };
    let output = parse(&file).map_err(|e| format!("node: {e}"))?;
    let said = String::from_utf8_lossy(&output.stdout).into_owned();
    check(
        output.status.success() && said.trim() == "flowchart-v2",
        format!("mermaid: {said}{}", String::from_utf8_lossy(&output.stderr)),
    )?;
    // The parser rejects what is not a diagram (the check can fail).
    std::fs::write(&file, text.replace("==>", "=>")).map_err(|e| e.to_string())?;
    let output = parse(&file).map_err(|e| format!("node: {e}"))?;
    check(!output.status.success(), "mermaid accepted a broken arrow")
}

/// The ids of the nodes in a Mermaid `class` line.
fn class_members(text: &str, class: &str) -> Vec<String> {
    text.lines()
        .filter_map(|l| l.trim().strip_prefix("class "))
        .filter_map(|l| l.strip_suffix(&format!(" {class}")))
        .flat_map(|ids| ids.split(',').map(str::to_string).collect::<Vec<_>>())
        .collect()
}

fn changed_marks_callers() -> Result<(), Failed> {
    let temp = tempfile::tempdir().map_err(|e| e.to_string())?;
    let root = temp.path().join("techcorp");
    copy_specs(&repo().join("examples/techcorp"), &root)?;
    let root_arg = root.display().to_string();
    let compile = pave(temp.path(), &["compile", &root_arg]);
    check(compile.status == 0, format!("compile: {}", compile.stderr))?;
    let run = pave(temp.path(), &["graph", &root_arg, "--changed"]);
    check(run.status == 0, format!("graph: {}", run.stderr))?;
    check(
        !run.stdout.contains("classDef"),
        "nothing changed, yet something is marked",
    )?;
    // A new image for user-service: it changes; order-service, frontend (web) and
    // search-suggest (web) call it; order-service's callers too (frontend).
    let spec = root.join("tenants/backend/services/user-service.yaml");
    let text = std::fs::read_to_string(&spec).map_err(|e| e.to_string())?;
    let edited = text.replacen(
        "image: backend/user-service:",
        "image: backend/user-service:9",
        1,
    );
    check(
        edited != text,
        "the example's user-service has no image line",
    )?;
    std::fs::write(&spec, edited).map_err(|e| e.to_string())?;
    let run = pave(temp.path(), &["graph", &root_arg, "--changed"]);
    check(run.status == 0, format!("graph: {}", run.stderr))?;
    let changed = class_members(&run.stdout, "changed");
    let mut affected = class_members(&run.stdout, "affected");
    affected.sort();
    check(
        changed == ["svc__backend__user_dservice"],
        format!("changed: {changed:?}"),
    )?;
    check(
        affected
            == [
                "svc__backend__order_dservice",
                "svc__web__frontend",
                "svc__web__search_dsuggest",
            ],
        format!("affected: {affected:?}"),
    )?;
    // The same in DOT, and only in dev with --env dev.
    let run = pave(
        temp.path(),
        &[
            "graph",
            &root_arg,
            "--changed",
            "--format",
            "dot",
            "--env",
            "dev",
        ],
    );
    check(run.status == 0, format!("graph: {}", run.stderr))?;
    check(
        run.stdout.lines().any(|l| {
            l.contains("svc__backend__user_dservice [") && l.contains("fillcolor=\"#fde68a\"")
        }),
        format!("user-service not filled in DOT:\n{}", run.stdout),
    )
}

fn env_filter() -> Result<(), Failed> {
    // In the catalog case, web (frontend) runs in dev only, backend in dev and prod.
    let root = repo()
        .join("tests/cases/catalog/backstage-entities-for-tenants-services-and-resources/input")
        .display()
        .to_string();
    let all = pave(&repo(), &["graph", &root]);
    let prod = pave(&repo(), &["graph", &root, "--env", "prod"]);
    check(
        all.status == 0 && prod.status == 0,
        format!("{}{}", all.stderr, prod.stderr),
    )?;
    check(
        all.stdout.contains("svc__web__frontend") && all.stdout.contains("svc__backend__orders"),
        format!("the whole graph:\n{}", all.stdout),
    )?;
    check(
        !prod.stdout.contains("svc__web__frontend") && prod.stdout.contains("svc__backend__orders"),
        format!("prod's graph:\n{}", prod.stdout),
    )?;
    let run = pave(&repo(), &["graph", &root, "--env", "qa"]);
    check(
        run.status == 1 && run.stderr.contains("`qa`"),
        format!("an unknown environment: {} {}", run.status, run.stderr),
    )
}

/// The README's picture of the example is what `pave graph` draws today.
fn readme_picture() -> Result<(), Failed> {
    let readme = std::fs::read_to_string(repo().join("README.md")).map_err(|e| e.to_string())?;
    let section = readme
        .split("## The platform as a catalog and a picture")
        .nth(1)
        .ok_or("no catalog section in the README")?;
    let block = section
        .split("```mermaid\n")
        .nth(1)
        .and_then(|rest| rest.split("```").next())
        .ok_or("no mermaid block in the README's catalog section")?;
    let drawn = graph(&[])?;
    check(
        block == drawn,
        format!("the README's picture is stale; `pave graph examples/techcorp` draws:\n{drawn}"),
    )
}
