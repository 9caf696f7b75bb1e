//! The stages run in order, stopping at the first stage with errors. Policies run twice: on the
//! validated specs (before lowering), and on the generated tree (after emitting); the wiring
//! check runs on the generated tree too.

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

use crate::cache::CheckCache;
use crate::cache::parse::ParseCache;
use crate::cache::policy::PolicyCache;
use crate::diagnostic::{Diagnostic, DiagnosticKind};
use crate::emit::{OutputTree, emit};
use crate::lower::{lower, lower_reusing};
use crate::parse::{ParsedSpecs, parse, parse_reusing};
use crate::policy::{Date, PolicySet, add_paths, load_reusing};
use crate::resolve::resolve;
use crate::source::SourceMap;
use crate::validate::{ValidatedSpec, validate};

/// How long each stage took, for `--timings`.
#[derive(Debug, Default, Clone)]
pub struct Timings {
    pub stages: Vec<(&'static str, Duration)>,
}

impl Timings {
    pub fn time<T>(&mut self, stage: &'static str, f: impl FnOnce() -> T) -> T {
        let start = Instant::now();
        let value = f();
        self.stages.push((stage, start.elapsed()));
        value
    }

    pub fn add(&mut self, stage: &'static str, duration: Duration) {
        self.stages.push((stage, duration));
    }

    /// The block printed by `--timings`, one stage a line, in milliseconds.
    pub fn render(&self) -> String {
        let mut out = String::from("timings:\n");
        let total: Duration = self.stages.iter().map(|(_, d)| *d).sum();
        for (stage, duration) in self.stages.iter().chain([&("total", total)]) {
            out.push_str(&format!(
                "  {stage:<10} {:>10.3} ms\n",
                duration.as_secs_f64() * 1000.0
            ));
        }
        out
    }
}

/// What a run depends on besides the specs.
#[derive(Debug, Clone, Copy)]
pub struct Options {
    /// Today's date (UTC), against which waivers expire. The CLI takes it from the clock, or
    /// from `--today` / `PAVE_TODAY` / `SOURCE_DATE_EPOCH` for reproducible runs; nothing in the
    /// generated tree depends on it.
    pub today: Date,
    /// Whether the policies are evaluated (and their findings reported). Off only for what a run
    /// compiles for comparison, such as the old side of `pave diff --against`: a revision that
    /// an added rule rejects still has a tree to compare with. The wiring check runs with them.
    pub evaluate_policies: bool,
    /// Whether the tenant folders' files get their contents. Off when nothing reads them: the
    /// policies and the wiring check take each object as emit built it (`OutputFile::object`), so
    /// `pave check` leaves them empty.
    pub contents: bool,
}

/// The result of checking a platform's specs: the validated spec, the compiled policies, and the
/// diagnostics so far. On success these may hold policy errors (violations on specs, expired
/// waivers): they do not stop the pipeline, so that the rules on generated objects run too and
/// every violation is reported at once; [`compile`] fails on them at the end.
pub fn check(
    source_map: &SourceMap,
    options: &Options,
    timings: &mut Timings,
) -> Result<(ValidatedSpec, PolicySet, Vec<Diagnostic>), Vec<Diagnostic>> {
    check_inner(source_map, options, None, None, None, timings)
        .0
        .map(|(validated, policies, warnings, _)| (validated, policies, warnings))
}

/// What [`check_cached`] returns: [`check`]'s result, the keys of the spec documents the rules on
/// specs found nothing on (to record in the check cache's `specs`), and the parse cache to
/// record (also when the check failed: what parsed cleanly stays so).
pub type CachedSpecs = (
    Result<(ValidatedSpec, PolicySet, Vec<Diagnostic>), Vec<Diagnostic>>,
    BTreeSet<String>,
    ParseCache,
);

/// [`check`] with the caches `pave compile` keeps: the files `parse_cache` holds are not parsed
/// again, the policies are read from `policy_cache` when it holds them (the policy cache to
/// record is [`PolicySet::recorded_cache`]), and the rules on specs skip the documents `known`
/// lists (the check cache's `specs`, see [`PolicySet::check_specs_reusing`]). Reports what
/// [`check`] reports.
pub fn check_cached(
    source_map: &SourceMap,
    options: &Options,
    known: &BTreeSet<String>,
    parse_cache: &ParseCache,
    policy_cache: &PolicyCache,
    timings: &mut Timings,
) -> CachedSpecs {
    let (checked, recorded) = check_inner(
        source_map,
        options,
        Some(known),
        Some(parse_cache),
        Some(policy_cache),
        timings,
    );
    let (result, found_nothing) = match checked {
        Ok((validated, policies, warnings, found_nothing)) => {
            (Ok((validated, policies, warnings)), found_nothing)
        }
        Err(diagnostics) => (Err(diagnostics), BTreeSet::new()),
    };
    (result, found_nothing, recorded.unwrap_or_default())
}

/// What [`check_inner`] returns: [`check`]'s, and the keys of the spec documents the rules found
/// nothing on.
type Checked = (ValidatedSpec, PolicySet, Vec<Diagnostic>, BTreeSet<String>);

/// [`check`], the rules on specs skipping the documents `known` lists (see
/// [`PolicySet::check_specs_reusing`]), parse reading the files `parse_cache` holds from it, the
/// policies read from `policy_cache` when it holds them; also returns the keys of the documents
/// the rules found nothing on, and (given a parse cache) the parse cache to record, whatever the
/// result.
fn check_inner(
    source_map: &SourceMap,
    options: &Options,
    known: Option<&BTreeSet<String>>,
    parse_cache: Option<&ParseCache>,
    policy_cache: Option<&PolicyCache>,
    timings: &mut Timings,
) -> (Result<Checked, Vec<Diagnostic>>, Option<ParseCache>) {
    let (parsed, recorded) = timings.time("parse", || match parse_cache {
        Some(cache) => {
            let (parsed, recorded) = parse_reusing(source_map, cache);
            (parsed, Some(recorded))
        }
        None => (parse(source_map), None),
    });
    let checked = parsed.and_then(|(parsed, warnings)| {
        check_parsed(
            parsed,
            warnings,
            source_map,
            options,
            known,
            policy_cache,
            timings,
        )
    });
    (checked, recorded)
}

/// The stages of [`check_inner`] after parse.
fn check_parsed(
    parsed: ParsedSpecs,
    mut warnings: Vec<Diagnostic>,
    source_map: &SourceMap,
    options: &Options,
    known: Option<&BTreeSet<String>>,
    policy_cache: Option<&PolicyCache>,
    timings: &mut Timings,
) -> Result<Checked, Vec<Diagnostic>> {
    let (resolved, more) = timings.time("resolve", || resolve(parsed))?;
    warnings.extend(more);
    let (validated, more) = timings.time("validate", || validate(resolved))?;
    warnings.extend(more);
    let (policies, more, found_nothing) = timings.time("policy", || {
        let (policies, mut diagnostics) =
            load_reusing(validated.spec(), source_map, options.today, policy_cache)?;
        if !options.evaluate_policies {
            return Ok::<_, Vec<Diagnostic>>((policies, Vec::new(), BTreeSet::new()));
        }
        let (found, found_nothing) =
            policies.check_specs_reusing(validated.spec(), source_map, known);
        diagnostics.extend(found);
        Ok((policies, diagnostics, found_nothing))
    })?;
    warnings.extend(more);
    Ok((validated, policies, warnings, found_nothing))
}

/// What [`check_reusing`] found: the diagnostics (`Ok`: warnings only) as [`compile`] reports
/// them, and the check cache to record when it changed.
#[derive(Debug)]
pub struct CachedCheck {
    pub result: Result<Vec<Diagnostic>, Vec<Diagnostic>>,
    /// The cache to write, when it differs from the one given.
    pub cache: Option<CheckCache>,
    /// How many tenant folders were not generated again (their fingerprints were in the cache),
    /// of how many.
    pub reused_units: (usize, usize),
    /// What the cache spared: nothing, or everything.
    pub skipped: Skipped,
    /// The generated tree (without contents), for a caller that exits next to leave unfreed.
    pub tree: OutputTree,
    /// The parse cache to write, when it differs from the one read.
    pub parse_cache: Option<ParseCache>,
    /// The policy cache to write, when the one given did not hold these policies.
    pub policy_cache: Option<PolicyCache>,
}

/// What [`check_reusing`] did not run, the inputs being those of an earlier check.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Skipped {
    /// Some input changed (or there was no cache): the specs were checked, the changed tenant
    /// folders generated.
    Nothing,
    /// Everything: the last check had these inputs, and what it reported is reported again.
    Everything,
}

/// Checks the platform as [`compile`] does and reports the same diagnostics, skipping what
/// `cache` shows an earlier check already proved (see [`crate::cache`]): with the inputs of the
/// last check, everything (its diagnostics are replayed); else the tenant folders whose
/// fingerprints are unchanged since a check or compile that found nothing on their objects. The
/// parse cache is read (`parse_cache`) only when the specs are parsed. Writes nothing: the caller
/// stores
/// [`CachedCheck::cache`] and [`CachedCheck::parse_cache`].
pub fn check_reusing(
    source_map: &SourceMap,
    options: &Options,
    cache: &CheckCache,
    parse_cache: impl FnOnce() -> ParseCache,
    policy_cache: &PolicyCache,
    timings: &mut Timings,
) -> CachedCheck {
    let inputs = timings.time("cache", || crate::cache::inputs(source_map, options));
    let same_inputs = options.evaluate_policies && cache.inputs.as_deref() == Some(&inputs);
    let all_units = (cache.units.len(), cache.units.len());
    if same_inputs {
        // Recorded sorted, so `finish` only tells errors from warnings again.
        let result =
            crate::diagnostic::finish((), cache.reported.clone()).map(|((), warnings)| warnings);
        return CachedCheck {
            result,
            cache: None,
            reused_units: all_units,
            skipped: Skipped::Everything,
            tree: OutputTree::default(),
            parse_cache: None,
            policy_cache: None,
        };
    }
    let parse_cache = timings.time("read parse", parse_cache);
    let (checked, recorded) = check_inner(
        source_map,
        options,
        Some(&cache.specs),
        Some(&parse_cache),
        Some(policy_cache),
        timings,
    );
    let recorded = recorded.filter(|recorded| *recorded != parse_cache);
    drop(parse_cache);
    let (validated, policies, mut diagnostics, specs) = match checked {
        Ok(checked) => checked,
        Err(diagnostics) => {
            let result = Err(diagnostics);
            let new_cache = reported(cache.clone(), inputs, &result, options);
            return CachedCheck {
                result,
                cache: (new_cache != *cache).then_some(new_cache),
                reused_units: (0, 0),
                skipped: Skipped::Nothing,
                tree: OutputTree::default(),
                parse_cache: recorded,
                policy_cache: None,
            };
        }
    };
    let recorded_policies = policies.recorded_cache().cloned();
    // No folder a waiver may cover is among the cache's units (`OutputTree::unreusable`), so
    // whether each waiver is used is still known.
    let empty = BTreeMap::new();
    let reusable = if options.evaluate_policies {
        &cache.units
    } else {
        &empty
    };
    // The tree's findings apart from the specs'.
    let generated = generate(
        validated,
        &policies,
        options,
        Vec::new(),
        source_map,
        Some(reusable),
        timings,
    );
    let (tree, found, generated) = match generated {
        Ok(compilation) => (compilation.tree, compilation.warnings, true),
        Err(found) => (OutputTree::default(), found, false),
    };
    let reused_units = (tree.reused.len(), tree.units.len());
    diagnostics.extend(found);
    add_paths(&mut diagnostics, source_map);
    let result = crate::diagnostic::finish((), diagnostics).map(|((), warnings)| warnings);
    // What the rules found nothing on stays true whatever the tree had; the units when the tree
    // was generated, but those it had something to report on (`OutputTree::reusable_units`).
    let units = if generated && options.evaluate_policies {
        tree.reusable_units()
    } else {
        cache.units.clone()
    };
    let new_cache = reported(
        CheckCache {
            units,
            specs,
            ..cache.clone()
        },
        inputs,
        &result,
        options,
    );
    CachedCheck {
        result,
        cache: (new_cache != *cache).then_some(new_cache),
        reused_units,
        skipped: Skipped::Nothing,
        tree,
        parse_cache: recorded,
        policy_cache: recorded_policies,
    }
}

/// The check cache after a compile that generated `compilation` and wrote it, as `pave compile`
/// records it beside its own caches: a `pave check` of the same inputs then replays what the
/// compile reported (the same as a check reports: the same stages, the same rules), and one after
/// a change reuses the tenant folders the compile generated or reused with nothing to report
/// (`OutputTree::reusable_units`). `specs`: the spec documents the rules found nothing on.
pub fn compiled_cache(
    cache: CheckCache,
    specs: BTreeSet<String>,
    compilation: &Compilation,
    source_map: &SourceMap,
    options: &Options,
) -> CheckCache {
    let inputs = crate::cache::inputs(source_map, options);
    let units = if options.evaluate_policies {
        compilation.tree.reusable_units()
    } else {
        cache.units.clone()
    };
    reported(
        CheckCache {
            units,
            specs,
            ..cache
        },
        inputs,
        &Ok(compilation.warnings.clone()),
        options,
    )
}

/// `cache` with what a check of `inputs` reported, to replay for the same inputs; unchanged when
/// the policies did not run (that check reports less than one with them) or the check found a bug
/// in pave or could not read something (which may not happen again).
fn reported(
    cache: CheckCache,
    inputs: String,
    result: &Result<Vec<Diagnostic>, Vec<Diagnostic>>,
    options: &Options,
) -> CheckCache {
    let diagnostics = match result {
        Ok(diagnostics) | Err(diagnostics) => diagnostics,
    };
    let replayable = diagnostics.iter().all(|diagnostic| {
        !matches!(
            *diagnostic.kind,
            DiagnosticKind::Internal { .. } | DiagnosticKind::Io { .. }
        )
    });
    if !options.evaluate_policies || !replayable {
        return cache;
    }
    CheckCache {
        inputs: Some(inputs),
        reported: diagnostics.clone(),
        ..cache
    }
}

/// A compiled platform, in memory.
#[derive(Debug)]
pub struct Compilation {
    pub tree: OutputTree,
    /// The Platform's output folder, relative to the platform root (validated to stay inside it).
    pub output_path: String,
    pub warnings: Vec<Diagnostic>,
}

/// Checks the platform and generates its whole output tree in memory; the policies on generated
/// objects run on that tree, and their errors fail the compile like any other.
pub fn compile(
    source_map: &SourceMap,
    options: &Options,
    timings: &mut Timings,
) -> Result<Compilation, Vec<Diagnostic>> {
    let (validated, policies, warnings) = check(source_map, options, timings)?;
    generate(
        validated, &policies, options, warnings, source_map, None, timings,
    )
}

/// Generates the output tree of a checked platform, in memory: all of it, or with `reuse` (the
/// unit fingerprints the output folder holds, by unit folder) all but the unit folders that would
/// come out as they are: those are neither lowered nor emitted (see `lower::lower_reusing`);
/// then runs the policies on the generated objects.
///
/// A reused unit's objects are not generated, so not evaluated: that is sound because the
/// policies are part of every unit's fingerprint (`Policies::digest`), so a unit is reused only
/// when neither its input nor the policies changed since the compile that wrote it passed them
/// with nothing to say: the units the policies found something on, and those of tenants with
/// waivers, are marked [`OutputTree::unreusable`] and generated again by the next run, so a
/// recompile reports every warning and unused waiver a compile from scratch does.
pub fn generate(
    validated: ValidatedSpec,
    policies: &PolicySet,
    options: &Options,
    mut warnings: Vec<Diagnostic>,
    source_map: &SourceMap,
    reuse: Option<&BTreeMap<String, String>>,
    timings: &mut Timings,
) -> Result<Compilation, Vec<Diagnostic>> {
    let output_path = validated.spec().platform.spec.gitops.path.clone();
    let facts = crate::wiring::Facts::new(validated.spec());
    let lowered_policies = policies.lowered();
    // With `reuse`, only the units whose fingerprint (of their input, see `lower::unit`) is not
    // the one recorded for their folder are lowered and emitted.
    let plan = timings.time("lower", || match reuse {
        None => lower(&validated, &lowered_policies),
        Some(previous) => {
            let reused = |tenant: &str, environment: &str, fingerprint: &str| {
                previous
                    .get(&crate::emit::unit_dir(tenant, environment))
                    .map(String::as_str)
                    == Some(fingerprint)
            };
            lower_reusing(&validated, &lowered_policies, source_map, &reused)
        }
    });
    // The tenant folders' objects are evaluated as they are generated; the rest of the tree
    // (control plane, Flux, Terraform) once it is built.
    let object_check = options
        .evaluate_policies
        .then_some(policies as &dyn crate::emit::ObjectCheck);
    // The spanned documents are not needed past lowering: they are freed while the tree is
    // built (the memory goes back before the tree grows; 55 ms of freeing at 10,000 services,
    // off the critical path).
    let emitted = std::thread::scope(|scope| {
        // When no thread can be started (a process limit), the closure, and the specs with it,
        // are dropped here, before the tree is built.
        let _ = std::thread::Builder::new().spawn_scoped(scope, move || drop(validated));
        timings.time("emit", || {
            emit(plan, source_map, object_check, options.contents)
        })
    });
    let (mut tree, findings) = match emitted {
        Ok(emitted) => emitted,
        Err(message) => {
            return Err(vec![Diagnostic::unplaced(
                crate::diagnostic::DiagnosticKind::Internal { message },
            )]);
        }
    };
    warnings.extend(findings);
    if options.evaluate_policies {
        let findings = timings.time("policy", || policies.check_tree(&tree));
        // Policy findings on specs and on the tree, and the earlier warnings, reported together.
        warnings.extend(findings);
        // Every object a waiver may cover was evaluated: no folder of a tenant with waivers is
        // ever reused (`ObjectCheck::evaluates_every_time`).
        warnings.extend(policies.unused_waivers());
        // Whether the tree is deployable as a whole: its errors stop the write like policy errors.
        let broken = timings.time("wiring", || crate::wiring::check(&tree, &facts, source_map));
        warnings.extend(broken);
    }
    // The objects kept for the wiring check are not written: they are freed on a thread of their
    // own while the caller goes on (freeing them here took 7% of `pave check` at 10,000
    // services). Without a thread (a process limit), here.
    let objects: Vec<_> = tree
        .files
        .values_mut()
        .flat_map(|f| &mut f.documents)
        .filter_map(|document| document.object.take())
        .collect();
    let _ = std::thread::Builder::new().spawn(move || drop(objects));
    add_paths(&mut warnings, source_map);
    let (tree, warnings) = crate::diagnostic::finish(tree, warnings)?;
    Ok(Compilation {
        tree,
        output_path,
        warnings,
    })
}
