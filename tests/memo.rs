//! The reuse of policy answers on generated objects (`compiler/policy/reads.rs`) is sound: on
//! every golden case, every example and randomised platforms, compiling with it reports exactly
//! what evaluating every rule on every object reports.

use std::path::{Path, PathBuf};

use libtest_mimic::{Failed, Trial};

use pave::pipeline::{Options, Timings, check, generate};

use crate::support::repo;

pub(crate) fn trials() -> Vec<Trial> {
    let mut roots: Vec<PathBuf> = walkdir::WalkDir::new(repo().join("tests/cases"))
        .sort_by_file_name()
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_dir() && e.file_name() == "input")
        .map(|e| e.into_path())
        .collect();
    roots.extend(
        std::fs::read_dir(repo().join("examples"))
            .into_iter()
            .flatten()
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| p.join("pave.yaml").is_file()),
    );
    roots.sort();
    let mut trials = vec![Trial::test(
        "memo::reused_answers_match_full_evaluation_on_cases_and_examples",
        move || {
            for root in &roots {
                compare(root)?;
            }
            Ok(())
        },
    )];
    trials.push(Trial::test(
        "memo::reused_answers_match_full_evaluation_on_random_platforms",
        random_platforms,
    ));
    trials
}

/// What a compile reports (errors or warnings, and the reuse counts), with answers reused or
/// not.
fn run(root: &Path, memoise: bool) -> Result<(String, (u64, u64)), Failed> {
    let source_map = pave::source::read_platform(root).map_err(|e| format!("{e:?}"))?;
    let options = Options {
        today: jiff::civil::date(2026, 6, 1),
        evaluate_policies: true,
        contents: true,
    };
    let mut timings = Timings::default();
    let (validated, mut policies, warnings) = match check(&source_map, &options, &mut timings) {
        Ok(checked) => checked,
        Err(errors) => return Ok((format!("{errors:#?}"), (0, 0))),
    };
    policies.set_memoise(memoise);
    let reported = match generate(
        validated,
        &policies,
        &options,
        warnings,
        &source_map,
        None,
        &mut timings,
    ) {
        Ok(compilation) => format!("{:#?}", compilation.warnings),
        Err(errors) => format!("{errors:#?}"),
    };
    Ok((reported, policies.memo_counts()))
}

/// Compiles `root` with and without reuse; returns the reuse counts (skipped, run).
fn compare(root: &Path) -> Result<(u64, u64), Failed> {
    let (full, (skipped_full, _)) = run(root, false)?;
    let (memoised, counts) = run(root, true)?;
    if skipped_full != 0 {
        return Err(format!(
            "{}: skipped {skipped_full} evaluations with reuse off",
            root.display()
        )
        .into());
    }
    if full != memoised {
        return Err(format!(
            "{}: reusing answers changed what is reported\n--- every object evaluated:\n{full}\n--- answers reused:\n{memoised}",
            root.display()
        )
        .into());
    }
    Ok(counts)
}

/// Picks one of `items`.
fn pick<'a>(random: &mut fastrand::Rng, items: &[&'a str]) -> &'a str {
    items[random.usize(..items.len())]
}

/// Platforms like `bench/generate.py`'s, with what the rules read varied at random: image
/// registries and tags, replicas (fixed or autoscaled, one or more in production), resources
/// set or not, public ingress; each compared with and without reuse.
fn random_platforms() -> Result<(), Failed> {
    // A new seed each run (`PAVE_MEMO_SEED` replays one a failure printed).
    let seed = std::env::var("PAVE_MEMO_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(1, |d| d.as_secs())
        });
    let mut skipped_total = 0;
    let mut findings = 0;
    for round in 0..3 {
        let mut random = fastrand::Rng::with_seed(seed.wrapping_add(round));
        let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
        write_platform(dir.path(), &mut random)?;
        let (skipped, _) = compare(dir.path())
            .map_err(|e| format!("seed {seed}, round {round}: {}", e.message().unwrap_or("")))?;
        skipped_total += skipped;
        let (reported, _) = run(dir.path(), true)?;
        findings += reported.matches("PolicyViolation").count();
    }
    // Some answers were reused, and some rules found something: the comparison compared.
    if skipped_total == 0 || findings == 0 {
        return Err(format!(
            "seed {seed}: {skipped_total} evaluations reused, {findings} findings: the platforms exercise nothing"
        )
        .into());
    }
    Ok(())
}

pub(crate) fn write_platform(root: &Path, random: &mut fastrand::Rng) -> Result<(), Failed> {
    let write = |path: &str, text: String| -> Result<(), Failed> {
        let path = root.join(path);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(|e| e.to_string())?;
        }
        std::fs::write(path, text).map_err(|e| e.to_string().into())
    };
    write(
        "pave.yaml",
        "apiVersion: pave.dev/v1alpha1\nkind: Platform\nmetadata:\n  name: bench\nspec:\n  cloud: aws\n  accounts:\n    dev: \"111111111111\"\n    prod: \"333333333333\"\n  regions:\n    - us-east-1\n  domain: example.com\n  registry: registry.example.com\n  gitops:\n    path: gitops\n".to_string(),
    )?;
    for (env, tier, promotion) in [
        ("dev", "development", ""),
        ("prod", "production", "  promotion:\n    after: dev\n"),
    ] {
        write(
            &format!("environments/{env}.yaml"),
            format!(
                "apiVersion: pave.dev/v1alpha1\nkind: Environment\nmetadata:\n  name: {env}\nspec:\n  type: {tier}\n  account: {env}\n  regions:\n    - us-east-1\n  kubernetesVersion: \"1.33\"\n{promotion}  defaults:\n    quota:\n      requests:\n        cpu: \"400\"\n        memory: 800Gi\n      limits:\n        cpu: \"800\"\n        memory: 1600Gi\n      pods: 2000\n"
            ),
        )?;
    }
    let tenants = 1 + random.u64(..3);
    for t in 0..tenants {
        let tenant = format!("tenant-{t}");
        write(
            &format!("tenants/{tenant}/tenant.yaml"),
            format!(
                "apiVersion: pave.dev/v1alpha1\nkind: Tenant\nmetadata:\n  name: {tenant}\nspec:\n  owners:\n    groups:\n      - {tenant}-engineers\n  costCenter: cc-1000\n  environments:\n    - dev\n    - prod\n"
            ),
        )?;
        let mut services = Vec::new();
        for k in 0..(2 + random.u64(..10)) {
            let name = format!("svc-{t}-{k}");
            let registry = pick(
                random,
                &[
                    "registry.example.com",
                    "registry.example.com",
                    "docker.io/library",
                ],
            );
            let tag = pick(random, &[":1.0.0", ":1.2.3", ":latest", ""]);
            let mut spec = format!(
                "  image: {registry}/{tenant}/{name}{tag}\n  port: {}\n",
                8080 + random.u64(..3)
            );
            let min = 1 + random.u64(..3);
            if random.u64(..2) == 0 {
                spec.push_str(&format!(
                    "  replicas:\n    min: {min}\n    max: {}\n",
                    min * 3
                ));
            } else {
                spec.push_str(&format!("  replicas: {min}\n"));
            }
            if random.u64(..4) != 0 {
                let cpu = pick(random, &["100m", "250m", "500m"]);
                spec.push_str(&format!("  resources:\n    requests:\n      cpu: {cpu}\n      memory: 128Mi\n    limits:\n      cpu: \"1\"\n      memory: 256Mi\n"));
            }
            if random.u64(..4) == 0 {
                spec.push_str(&format!(
                    "  ingress:\n    host: {name}.example.com\n    public: true\n"
                ));
            }
            spec.push_str(&format!(
                "  env:\n    LOG_LEVEL: {}\n    OTEL_SERVICE_NAME: {name}\n",
                pick(random, &["info", "debug"])
            ));
            spec.push_str("  environments:\n");
            spec.push_str(&format!(
                "    dev:\n      replicas: {}\n",
                1 + random.u64(..2)
            ));
            let prod = random.u64(..3);
            match prod {
                0 => spec.push_str("    prod:\n      replicas: 1\n"),
                1 => spec.push_str(&format!(
                    "    prod:\n      replicas:\n        min: {}\n        max: 8\n",
                    1 + random.u64(..3)
                )),
                _ => {}
            }
            services.push(format!("apiVersion: pave.dev/v1alpha1\nkind: Service\nmetadata:\n  name: {name}\n  tenant: {tenant}\nspec:\n{spec}"));
        }
        write(
            &format!("tenants/{tenant}/services.yaml"),
            services.join("---\n"),
        )?;
    }
    Ok(())
}
