//! The check cache (`compiler/cache/`, `pipeline::check_reusing`) is sound: on every golden case,
//! every example and randomised platforms, a check that reuses what an earlier check recorded
//! reports exactly what a check from scratch (`pipeline::compile`) reports, after edits of every
//! kind: one service changed, a Score workload's overrides changed, a comment that moves every
//! span, a file renamed, a shared spec changed, a policy added or changed; and a cache recorded for
//! other inputs is used only where it still holds (tenant folders, and the answers of the rules on
//! spec documents). After each of those checks, the same inputs checked again replay what was
//! recorded, and that is what the check from scratch reports too (unless it had an I/O or internal
//! diagnostic, which is not recorded). The parse cache and the policy cache ride along: every
//! cached check reads the files it recorded from the one and the compiled policies from the other
//! (after the edits of a policy, compiled again and recorded), and a compile through the caches
//! (`pipeline::check_cached`, as `pave compile` runs) generates the same tree, byte for byte, and
//! reports the same as one from scratch.
//!
//! Recompiles too: a compile that reuses the tenant folders the last one wrote (their
//! fingerprints, computed from each unit's input before lowering, as `pave compile` keeps them in
//! `.pave/units.json`), with those folders' files taken from the last one's tree as the writer
//! keeps them on disk, has the files of a compile from scratch, byte for byte, after each edit
//! and after it is undone; among the edits on random platforms are those that change one
//! tenant's folders by editing another's specs (a dependency across tenants, a tenant's consent)
//! and a resource shared by two services.

use std::path::{Path, PathBuf};

use libtest_mimic::{Failed, Trial};

use pave::cache::CheckCache;
use pave::cache::parse::ParseCache;
use pave::cache::policy::PolicyCache;
use std::collections::BTreeMap;

use pave::pipeline::{
    Options, Skipped, Timings, check, check_cached, check_reusing, compile, generate,
};

use crate::support::{copy_specs, repo};

pub(crate) fn trials() -> Vec<Trial> {
    // One trial per area of cases (and one for the examples), so they run side by side.
    let mut groups: std::collections::BTreeMap<String, Vec<PathBuf>> = Default::default();
    for input in walkdir::WalkDir::new(repo().join("tests/cases"))
        .sort_by_file_name()
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_dir() && e.file_name() == "input")
    {
        let area = input
            .path()
            .strip_prefix(repo().join("tests/cases"))
            .ok()
            .and_then(|p| p.components().next())
            .map(|c| c.as_os_str().to_string_lossy().to_string())
            .unwrap_or_default();
        groups.entry(area).or_default().push(input.into_path());
    }
    groups.insert(
        "examples".into(),
        std::fs::read_dir(repo().join("examples"))
            .into_iter()
            .flatten()
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| p.join("pave.yaml").is_file())
            .collect(),
    );
    let mut trials: Vec<Trial> = groups
        .into_iter()
        .map(|(area, mut roots)| {
            roots.sort();
            Trial::test(
                format!("check_cache::cached_checks_report_what_cold_checks_report_on_{area}"),
                move || cases_and_examples(&roots),
            )
        })
        .collect();
    trials.push(Trial::test(
        "check_cache::cached_checks_report_what_cold_checks_report_on_random_platforms",
        random_platforms,
    ));
    trials
}

fn options() -> Options {
    Options {
        today: jiff::civil::date(2026, 6, 1),
        evaluate_policies: true,
        contents: false,
    }
}

fn read(root: &Path) -> Result<pave::source::SourceMap, Failed> {
    pave::source::read_platform(root).map_err(|e| format!("{e:?}").into())
}

/// What a check from scratch reports.
fn cold(root: &Path) -> Result<String, Failed> {
    let source_map = read(root)?;
    let result = match compile(&source_map, &options(), &mut Timings::default()) {
        Ok(compilation) => Ok(compilation.warnings),
        Err(diagnostics) => Err(diagnostics),
    };
    Ok(format!("{result:#?}"))
}

/// The check cache, the parse cache and the policy cache, as `.pave/cache/` holds them.
#[derive(Debug, Clone, Default)]
struct Caches {
    check: CheckCache,
    parse: ParseCache,
    policy: PolicyCache,
}

/// A cached check of `root` against `cache`: what it reports, and the caches after it.
fn cached(root: &Path, cache: &Caches) -> Result<(String, Caches, Skipped), Failed> {
    let source_map = read(root)?;
    let checked = check_reusing(
        &source_map,
        &options(),
        &cache.check,
        || cache.parse.clone(),
        &cache.policy,
        &mut Timings::default(),
    );
    let next = Caches {
        check: checked.cache.unwrap_or_else(|| cache.check.clone()),
        parse: checked.parse_cache.unwrap_or_else(|| cache.parse.clone()),
        policy: checked.policy_cache.unwrap_or_else(|| cache.policy.clone()),
    };
    Ok((format!("{:#?}", checked.result), next, checked.skipped))
}

/// What a compile reports and the files it generates (path and bytes), with contents: from
/// scratch, or through `cache` as `pave compile` runs.
fn compiled(root: &Path, cache: Option<&Caches>) -> Result<String, Failed> {
    let source_map = read(root)?;
    let options = Options {
        contents: true,
        ..options()
    };
    let mut timings = Timings::default();
    let compilation = match cache {
        None => compile(&source_map, &options, &mut timings),
        Some(cache) => {
            let (checked, _, _) = check_cached(
                &source_map,
                &options,
                &cache.check.specs,
                &cache.parse,
                &cache.policy,
                &mut timings,
            );
            checked.and_then(|(validated, policies, warnings)| {
                generate(
                    validated,
                    &policies,
                    &options,
                    warnings,
                    &source_map,
                    None,
                    &mut timings,
                )
            })
        }
    };
    Ok(match compilation {
        Ok(compilation) => {
            let files: Vec<(&String, &str)> = compilation
                .tree
                .files
                .iter()
                .map(|(path, file)| (path, file.contents.as_str()))
                .collect();
            format!(
                "{:#?}
{files:#?}",
                compilation.warnings
            )
        }
        Err(diagnostics) => format!("{diagnostics:#?}"),
    })
}

/// A compile through `cache` generates and reports what one from scratch does.
fn compare_compiles(root: &Path, cache: &Caches, step: &str) -> Result<(), Failed> {
    let reference = compiled(root, None)?;
    let through = compiled(root, Some(cache))?;
    if through != reference {
        return Err(format!(
            "{}, after {step}: the compile through the caches differs
--- from scratch:
{reference}
--- cached:
{through}",
            root.display()
        )
        .into());
    }
    Ok(())
}

/// The tree a compile left in its output folder, as far as reuse goes: every file's contents,
/// and each unit folder's fingerprint (`.pave/units.json`).
#[derive(Debug, Clone, Default)]
struct Written {
    files: BTreeMap<String, String>,
    units: BTreeMap<String, String>,
    /// The check cache the compile recorded (`pipeline::compiled_cache`), as `pave compile` does
    /// for `pave check`.
    check: CheckCache,
}

/// Compiles `root` reusing what `previous` wrote, as `pave compile` does: the units whose
/// fingerprint is unchanged are neither lowered nor emitted, and their folders' files stay as
/// `previous` has them. `None` when the compile fails (nothing is written then).
fn recompiled(root: &Path, previous: &Written) -> Result<Recompiled, Failed> {
    let source_map = read(root)?;
    let options = Options {
        contents: true,
        ..options()
    };
    let mut timings = Timings::default();
    let compilation =
        check(&source_map, &options, &mut timings).and_then(|(validated, policies, warnings)| {
            generate(
                validated,
                &policies,
                &options,
                warnings,
                &source_map,
                Some(&previous.units),
                &mut timings,
            )
        });
    let compilation = match compilation {
        Ok(compilation) => compilation,
        Err(diagnostics) => return Ok(Err(format!("{diagnostics:#?}"))),
    };
    let warnings = format!("{:#?}", compilation.warnings);
    let check = pave::pipeline::compiled_cache(
        CheckCache::default(),
        Default::default(),
        &compilation,
        &source_map,
        &options,
    );
    let tree = compilation.tree;
    // As the writer records them.
    let units = tree.reusable_units();
    let mut files: BTreeMap<String, String> = tree
        .files
        .into_iter()
        .map(|(path, file)| (path, file.contents))
        .collect();
    for dir in &tree.reused {
        let prefix = format!("{dir}/");
        for (path, contents) in previous.files.range(prefix.clone()..) {
            if !path.starts_with(&prefix) {
                break;
            }
            if files.insert(path.clone(), contents.clone()).is_some() {
                return Err(format!("{path} is both generated and in a reused folder").into());
            }
        }
    }
    Ok(Ok((
        Written {
            files,
            units,
            check,
        },
        warnings,
    )))
}

/// What [`recompiled`] wrote and reported (`Err`: what it reported, having written nothing).
type Recompiled = Result<(Written, String), String>;

/// Recompiles `root` over `previous` and compares the files with a compile from scratch; returns
/// what is written after it (`previous` when the compile failed), and how many units it reused.
fn compare_recompile(
    root: &Path,
    previous: &Written,
    step: &str,
) -> Result<(Written, usize), Failed> {
    let source_map = read(root)?;
    let options = Options {
        contents: true,
        ..options()
    };
    let reference = compile(&source_map, &options, &mut Timings::default()).map(|compilation| {
        let files = compilation
            .tree
            .files
            .into_iter()
            .map(|(path, file)| (path, file.contents))
            .collect::<BTreeMap<String, String>>();
        (files, format!("{:#?}", compilation.warnings))
    });
    let written = recompiled(root, previous)?;
    match (reference, written) {
        (Err(reference), Err(reported)) => {
            let reference = format!("{reference:#?}");
            if reported != reference {
                return Err(format!(
                    "{}, after {step}: the recompile reported\n{reported}\nfrom scratch\n{reference}",
                    root.display()
                )
                .into());
            }
            Ok((previous.clone(), 0))
        }
        (Ok((reference, reference_warnings)), Ok((written, warnings))) => {
            // Every warning again, those on the objects of reused folders included.
            if warnings != reference_warnings {
                return Err(format!(
                    "{}, after {step}: the recompile warned\n{warnings}\nfrom scratch\n{reference_warnings}",
                    root.display()
                )
                .into());
            }
            if written.files != reference {
                let differ: Vec<&String> = reference
                    .keys()
                    .chain(written.files.keys())
                    .filter(|path| reference.get(*path) != written.files.get(*path))
                    .collect();
                return Err(format!(
                    "{}, after {step}: the recompile's tree differs from scratch's at {differ:#?}",
                    root.display()
                )
                .into());
            }
            // A check with what the compile recorded replays what a check from scratch reports.
            let compiled = Caches {
                check: written.check.clone(),
                ..Caches::default()
            };
            compare(
                root,
                &compiled,
                &format!("{step}, with the compile's cache"),
            )?;
            let reused = written
                .units
                .iter()
                .filter(|(dir, fingerprint)| previous.units.get(*dir) == Some(fingerprint))
                .count();
            Ok((written, reused))
        }
        (reference, written) => Err(format!(
            "{}, after {step}: from scratch {}, the recompile {}",
            root.display(),
            if reference.is_ok() {
                "compiled"
            } else {
                "failed"
            },
            if written.is_ok() {
                "compiled"
            } else {
                "failed"
            },
        )
        .into()),
    }
}

/// Checks `root` cached against `cache` and from scratch; returns the cache after it.
fn compare(root: &Path, cache: &Caches, step: &str) -> Result<Caches, Failed> {
    let reference = cold(root)?;
    compare_with(root, cache, step, &reference)
}

/// Checks `root` cached against `cache`, compared with `reference`, what a check from scratch
/// reports; returns the cache after it.
fn compare_with(
    root: &Path,
    cache: &Caches,
    step: &str,
    reference: &str,
) -> Result<Caches, Failed> {
    let (reported, next, _) = cached(root, cache)?;
    if reported != reference {
        return Err(format!(
            "{}, after {step}: the cached check reported otherwise\n--- from scratch:\n{reference}\n--- cached:\n{reported}",
            root.display()
        )
        .into());
    }
    // The same inputs again: what was recorded is replayed, nothing checked, and it is the same
    // (unless a file could not be read or pave found a bug in itself: those are not recorded).
    let replayable = !["kind: Io {", "kind: Internal {"]
        .iter()
        .any(|kind| reference.contains(kind));
    let (replayed, again, skipped) = cached(root, &next)?;
    let expected = if replayable {
        Skipped::Everything
    } else {
        Skipped::Nothing
    };
    if skipped != expected || replayed != reference {
        return Err(format!(
            "{}, after {step}, the same inputs again: {skipped:?}\n--- from scratch:\n{reference}\n--- replayed:\n{replayed}",
            root.display()
        )
        .into());
    }
    if again.check != next.check {
        return Err(format!(
            "{}, after {step}: a replay changed the cache",
            root.display()
        )
        .into());
    }
    Ok(next)
}

/// The user's YAML files under `root`, sorted, relative.
fn yaml_files(root: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = walkdir::WalkDir::new(root)
        .sort_by_file_name()
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_file())
        .filter_map(|e| e.path().strip_prefix(root).ok().map(Path::to_path_buf))
        .filter(|p| {
            !p.starts_with(".pave")
                && p.extension()
                    .is_some_and(|ext| ext == "yaml" || ext == "yml")
        })
        .collect();
    files.sort();
    files
}

/// The edits a cached check is compared after, on every case and example.
/// (The error last: no later check gets past parse.)
const EDITS: [&str; 9] = [
    "service",
    "score-overrides",
    "comment",
    "rename",
    "shared",
    "tenant",
    "policy",
    "policy-change",
    "error",
];

/// The edits on random platforms, in this order: first those of one tenant's specs that change
/// another's folders or the platform's (a resource shared by two services; a tenant's consent,
/// then a dependency on it from another tenant), each leaving other tenants' folders to reuse
/// while the cluster folders are generated again; then every edit of [`EDITS`], with, once the
/// probe rule warns on every Deployment (`policy`), a comment that changes no fingerprint (the
/// recompile must warn again on the folders it could have reused), a waiver of the probe for
/// `tenant-0`, and the comment again (the waiver must be found used).
const PLATFORM_EDITS: [&str; 14] = [
    "resource",
    "consent",
    "depends-across",
    "service",
    "comment",
    "rename",
    "shared",
    "tenant",
    "policy",
    "comment-services",
    "waiver",
    "comment-services",
    "policy-change",
    "error",
];

/// Applies one edit to the platform at `root` (picking files with `random`).
fn edit(root: &Path, kind: &str, random: &mut fastrand::Rng) -> Result<(), Failed> {
    let io = |e: std::io::Error| Failed::from(e.to_string());
    let files = yaml_files(root);
    let texts: Vec<(PathBuf, String)> = files
        .iter()
        .filter_map(|p| Some((p.clone(), std::fs::read_to_string(root.join(p)).ok()?)))
        .collect();
    let pick = |random: &mut fastrand::Rng, wanted: &dyn Fn(&str) -> bool| {
        let matching: Vec<&(PathBuf, String)> =
            texts.iter().filter(|(_, text)| wanted(text)).collect();
        (!matching.is_empty()).then(|| matching[random.usize(..matching.len())].clone())
    };
    match kind {
        // One service's image (or, without one, its port) changed.
        "service" => {
            if let Some((path, text)) = pick(random, &|t| t.contains("kind: Service")) {
                let changed = if let Some(at) = text.find("image: ") {
                    let end = text[at..].find('\n').map_or(text.len(), |n| at + n);
                    format!("{}-edited{}", &text[..end], &text[end..])
                } else {
                    text.replacen("port: ", "port: 1", 1)
                };
                std::fs::write(root.join(path), changed).map_err(io)?;
            }
        }
        // A Tenant's cost centre (every label of its objects) changed.
        "tenant" => {
            if let Some((path, text)) = pick(random, &|t| t.contains("costCenter: ")) {
                let changed = text.replacen("costCenter: ", "costCenter: x", 1);
                std::fs::write(root.join(path), changed).map_err(io)?;
            }
        }
        // On a random platform (`memo::write_platform`): two services of `tenant-0` share a
        // bucket (Crossplane's control plane, the tenant's resources folders and the cluster's
        // Kustomizations of them appear).
        "resource" => {
            for service in ["svc-0-0", "svc-0-1"] {
                edit_document(
                    root,
                    &format!("  name: {service}\n  tenant: tenant-0\nspec:\n"),
                    "  requires:\n    files: {type: s3-bucket, id: shared-files}\n",
                )?;
            }
        }
        // `tenant-1` lets `tenant-0` call it: its own file changes.
        "consent" => edit_document(
            root,
            "kind: Tenant\nmetadata:\n  name: tenant-1\nspec:\n",
            "  network:\n    allowFrom: [tenant-0]\n",
        )?,
        // A service of `tenant-0` calls one of `tenant-1`: only `tenant-0`'s file changes, and
        // `tenant-1`'s folders must admit the caller's namespace. (A platform of one tenant has
        // no such service: the edit would only be an unknown reference, so it is not made.)
        "depends-across" => {
            let callee = |t: &str| t.contains("  name: svc-1-0\n  tenant: tenant-1\nspec:\n");
            if texts.iter().any(|(_, text)| callee(text)) {
                edit_document(
                    root,
                    "  name: svc-0-0\n  tenant: tenant-0\nspec:\n",
                    "  dependsOn: [tenant-1/svc-1-0]\n",
                )?;
            }
        }
        // A Score workload's overrides file changed (its first value), the workload not: the
        // Service pave builds from both is not read verbatim from one file, so the rules on
        // specs key it by its value, not by its file.
        "score-overrides" => {
            let overrides = files
                .iter()
                .filter(|p| p.to_string_lossy().ends_with(".overrides.yaml"))
                .collect::<Vec<_>>();
            if !overrides.is_empty() {
                let path = overrides[random.usize(..overrides.len())];
                let text = std::fs::read_to_string(root.join(path)).map_err(io)?;
                let changed: Vec<String> = text
                    .lines()
                    .scan(false, |done, line| {
                        let edit = !*done && line.contains(": ") && !line.ends_with(':');
                        *done |= edit;
                        Some(if edit {
                            format!("{line}-edited")
                        } else {
                            line.to_string()
                        })
                    })
                    .collect();
                std::fs::write(root.join(path), changed.join("\n") + "\n").map_err(io)?;
            }
        }
        // A comment atop a file of Services: no unit's fingerprint changes (a recompile reuses
        // every folder it may).
        "comment-services" => {
            if let Some((path, text)) = pick(random, &|t| t.contains("kind: Service")) {
                std::fs::write(root.join(path), format!("# a comment\n{text}")).map_err(io)?;
            }
        }
        // A waiver of the probe rule (`policy`) for `tenant-0`: its findings waived, and its
        // folders evaluated on every run for the waiver to be known used.
        "waiver" => std::fs::write(
            root.join("policies/zz-cache-probe-waiver.yaml"),
            "apiVersion: pave.dev/v1alpha1\nkind: Waiver\nmetadata: {name: probe}\nspec:\n  rule: zz-cache-probe\n  tenant: tenant-0\n  reason: The cache test's probe.\n  expires: 2026-12-01\n",
        )
        .map_err(io)?,
        // A field no schema knows, in a Service: a file the parse cache holds, now in error.
        "error" => {
            if let Some((path, text)) = pick(random, &|t| t.contains("\nspec:\n")) {
                let changed = text.replacen("\nspec:\n", "\nspec:\n  cacheProbe: 1\n", 1);
                std::fs::write(root.join(path), changed).map_err(io)?;
            }
        }
        // A comment atop a file: every span after it moves, nothing generated changes.
        "comment" => {
            if let Some((path, text)) = pick(random, &|_| true) {
                std::fs::write(root.join(path), format!("# a comment\n{text}")).map_err(io)?;
            }
        }
        // A file renamed (file ids and the names headers carry change).
        "rename" => {
            if let Some((path, _)) = pick(random, &|t| !t.contains("kind: Platform")) {
                let name = path.file_name().map(|n| n.to_string_lossy().to_string());
                let to = path.with_file_name(format!("zz-{}", name.unwrap_or_default()));
                std::fs::rename(root.join(&path), root.join(to)).map_err(io)?;
            }
        }
        // A shared spec changed: the first number of the Platform or an Environment, plus one.
        "shared" => {
            let shared = |t: &str| t.contains("kind: Platform") || t.contains("kind: Environment");
            if let Some((path, text)) = pick(random, &shared) {
                let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
                for line in &mut lines {
                    let Some((key, value)) = line.rsplit_once(": ") else {
                        continue;
                    };
                    let value = value.trim_matches('"');
                    if let Ok(n) = value.parse::<u64>()
                        && n < 100_000
                    {
                        *line = format!("{key}: {}", n + 1);
                        break;
                    }
                }
                std::fs::write(root.join(path), lines.join("\n") + "\n").map_err(io)?;
            }
        }
        // A platform rule that finds something on every Deployment.
        "policy" => write_probe(root, "not input.metadata.labels[\"cache-probe\"]")?,
        // The same rule changed to find nothing.
        "policy-change" => write_probe(root, "input.metadata.labels[\"cache-probe\"] == \"x\"")?,
        _ => return Err(format!("no edit `{kind}`").into()),
    }
    Ok(())
}

/// Inserts `text` after `after` in the YAML file under `root` that holds it, if one does.
fn edit_document(root: &Path, after: &str, text: &str) -> Result<(), Failed> {
    for path in yaml_files(root) {
        let path = root.join(path);
        let old = std::fs::read_to_string(&path).map_err(|e| e.to_string())?;
        if let Some(at) = old.find(after) {
            let at = at + after.len();
            let new = format!("{}{text}{}", &old[..at], &old[at..]);
            return std::fs::write(&path, new).map_err(|e| e.to_string().into());
        }
    }
    Ok(())
}

fn write_probe(root: &Path, condition: &str) -> Result<(), Failed> {
    std::fs::create_dir_all(root.join("policies")).map_err(|e| e.to_string())?;
    std::fs::write(
        root.join("policies/zz-cache-probe.rego"),
        format!(
            "# METADATA\n# title: Cache probe\n# description: A rule the check cache test adds and changes.\n# custom:\n#   id: zz-cache-probe\n#   severity: warn\n#   input: kubernetes\n#   kinds: [apps/Deployment]\npackage zz.cache_probe\n\nimport rego.v1\n\nwarn contains {{\"msg\": \"probed\", \"path\": [\"metadata\"]}} if {{\n\t{condition}\n}}\n"
        ),
    )
    .map_err(|e| e.to_string().into())
}

/// On every case and example (a copy): the cold cached check, the warm one (same inputs), then
/// one edit picked at random and the check cached from before it.
fn cases_and_examples(roots: &[PathBuf]) -> Result<(), Failed> {
    let seed = seed();
    for (n, root) in roots.iter().enumerate() {
        let mut random = fastrand::Rng::with_seed(seed.wrapping_add(n as u64));
        let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
        copy_specs(root, dir.path())?;
        let reference = cold(dir.path())?;
        let cache = compare_with(dir.path(), &Caches::default(), "no cache", &reference)?;
        let cache = compare_with(dir.path(), &cache, "nothing (its own cache)", &reference)?;
        let (written, _) = compare_recompile(dir.path(), &Written::default(), "nothing")?;
        let kind = EDITS[random.usize(..EDITS.len())];
        edit(dir.path(), kind, &mut random)?;
        let failed = |e: Failed| format!("seed {seed}: {}", e.message().unwrap_or(""));
        let after = compare(dir.path(), &cache, kind).map_err(failed)?;
        compare_compiles(dir.path(), &cache, kind).map_err(failed)?;
        let (written, _) = compare_recompile(dir.path(), &written, kind).map_err(failed)?;
        // The edit undone: the files as they were, read from the cache recorded after it.
        copy_specs(root, dir.path())?;
        let _ = std::fs::remove_file(dir.path().join("policies/zz-cache-probe.rego"));
        remove_renamed(dir.path())?;
        compare_with(dir.path(), &after, "the edit undone", &reference).map_err(failed)?;
        compare_recompile(dir.path(), &written, "the edit undone").map_err(failed)?;
    }
    Ok(())
}

/// A new seed each run (`PAVE_CACHE_SEED` replays one a failure printed).
fn seed() -> u64 {
    std::env::var("PAVE_CACHE_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(1, |d| d.as_secs())
        })
}

/// Random platforms (`memo.rs`'s), each checked through every edit in turn, the cache carried
/// from one check to the next; some tenant folders must have been reused, and the whole check
/// skipped when nothing changed.
fn random_platforms() -> Result<(), Failed> {
    let seed = seed();
    let mut reused = 0;
    let mut recompile_reused = 0;
    for round in 0..2 {
        let mut random = fastrand::Rng::with_seed(seed.wrapping_add(round));
        let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
        crate::memo::write_platform(dir.path(), &mut random)?;
        if round == 1 {
            pass_the_rules(dir.path())?;
        }
        let fail = |e: Failed| format!("seed {seed}, round {round}: {}", e.message().unwrap_or(""));
        let mut cache = compare(dir.path(), &Caches::default(), "nothing").map_err(fail)?;
        if cache.parse.is_empty() {
            return Err(format!("seed {seed}: no file was recorded in the parse cache").into());
        }
        if cache.policy.is_empty() {
            return Err(format!("seed {seed}: the policies were not recorded").into());
        }
        if round == 1 && cache.check.inputs.is_none() {
            return Err(format!(
                "seed {seed}: the platform that passes the rules reported\n{}",
                cold(dir.path())?
            )
            .into());
        }
        if cache.check.specs.is_empty() {
            return Err(format!("seed {seed}: no spec document's answer was recorded").into());
        }
        let (mut written, _) =
            compare_recompile(dir.path(), &Written::default(), "nothing").map_err(fail)?;
        for kind in PLATFORM_EDITS {
            edit(dir.path(), kind, &mut random)?;
            // A check with what the last compile recorded reuses its folders soundly.
            let compiled = Caches {
                check: written.check.clone(),
                ..Caches::default()
            };
            compare(dir.path(), &compiled, &format!("{kind}, after a compile")).map_err(fail)?;
            let before = cache.clone();
            cache = compare(dir.path(), &cache, kind).map_err(fail)?;
            compare_compiles(dir.path(), &before, kind).map_err(fail)?;
            let reused_folders;
            (written, reused_folders) =
                compare_recompile(dir.path(), &written, kind).map_err(fail)?;
            recompile_reused += reused_folders;
            let source_map = read(dir.path())?;
            let checked = check_reusing(
                &source_map,
                &options(),
                &before.check,
                || before.parse.clone(),
                &before.policy,
                &mut Timings::default(),
            );
            reused += checked.reused_units.0;
            // The compiled policies are read back unless a policy file changed (a shared spec
            // may hold a policy parameter; an error stops before the policies).
            let recompiled = checked.policy_cache.is_some();
            let expected = match kind {
                "policy" | "policy-change" => Some(true),
                "service" | "score-overrides" | "comment" | "comment-services" | "rename"
                | "error" => Some(false),
                _ => None,
            };
            if expected.is_some_and(|expected| expected != recompiled) {
                return Err(format!(
                    "seed {seed}: after the `{kind}` edit the policies were {}compiled again",
                    if recompiled { "" } else { "not " }
                )
                .into());
            }
        }
    }
    if reused == 0 {
        // The second platform passes the rules, so its cache is recorded and used.
        return Err(format!("seed {seed}: no tenant folder was ever reused").into());
    }
    if recompile_reused == 0 {
        return Err(format!("seed {seed}: no recompile reused a tenant folder").into());
    }
    Ok(())
}

/// Removes the files the `rename` edit made (`zz-` names), the originals being back.
fn remove_renamed(root: &Path) -> Result<(), Failed> {
    for path in yaml_files(root) {
        if path
            .file_name()
            .is_some_and(|n| n.to_string_lossy().starts_with("zz-"))
        {
            std::fs::remove_file(root.join(path)).map_err(|e| e.to_string())?;
        }
    }
    Ok(())
}

/// Rewrites a random platform so that the rules on generated objects find nothing (pinned tags
/// from the platform's registry, two replicas at least): a check of it then records its tenant
/// folders.
fn pass_the_rules(root: &Path) -> Result<(), Failed> {
    for path in yaml_files(root) {
        let path = root.join(path);
        let text = std::fs::read_to_string(&path).map_err(|e| e.to_string())?;
        let lines: Vec<String> = text
            .lines()
            .map(|line| match line.strip_prefix("  image: ") {
                Some(image) => {
                    let image = image.replace("docker.io/library", "registry.example.com");
                    let image = image.strip_suffix(":latest").unwrap_or(&image);
                    let name = image.rsplit('/').next().unwrap_or_default();
                    if name.contains(':') {
                        format!("  image: {image}")
                    } else {
                        format!("  image: {image}:1.0.0")
                    }
                }
                // Two replicas at least, and a disruption budget with them, in production.
                None if line.ends_with("replicas: 1") || line.ends_with("min: 1") => {
                    format!("{}2", &line[..line.len() - 1])
                }
                None => line.to_string(),
            })
            .collect();
        std::fs::write(&path, lines.join("\n") + "\n").map_err(|e| e.to_string())?;
    }
    Ok(())
}
