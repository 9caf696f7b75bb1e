//! The stages run in order, stopping at the first stage with errors.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use crate::diagnostic::Diagnostic;
use crate::emit::{OutputTree, emit};
use crate::lower::lower;
use crate::parse::parse;
use crate::resolve::resolve;
use crate::source::SourceMap;
use crate::validate::{ValidatedSpec, validate};

/// How long each stage took, for `--timings`.
#[derive(Debug, Default, Clone)]
pub struct Timings {
    pub stages: Vec<(&'static str, Duration)>,
}

impl Timings {
    fn time<T>(&mut self, stage: &'static str, f: impl FnOnce() -> T) -> T {
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

/// The result of checking a platform: the validated spec, and the diagnostics (warnings on
/// success, errors on failure).
pub fn check(
    source_map: &SourceMap,
    timings: &mut Timings,
) -> Result<(ValidatedSpec, Vec<Diagnostic>), Vec<Diagnostic>> {
    let (parsed, mut warnings) = timings.time("parse", || parse(source_map))?;
    let (resolved, more) = timings.time("resolve", || resolve(parsed))?;
    warnings.extend(more);
    let (validated, more) = timings.time("validate", || validate(resolved))?;
    warnings.extend(more);
    Ok((validated, warnings))
}

/// A compiled platform, in memory.
#[derive(Debug)]
pub struct Compilation {
    pub tree: OutputTree,
    /// The Platform's output folder, relative to the platform root (validated to stay inside it).
    pub output_path: String,
    pub warnings: Vec<Diagnostic>,
}

/// Checks the platform and generates its whole output tree in memory.
pub fn compile(
    source_map: &SourceMap,
    timings: &mut Timings,
) -> Result<Compilation, Vec<Diagnostic>> {
    let (validated, warnings) = check(source_map, timings)?;
    generate(validated, warnings, source_map, None, timings)
}

/// Generates the output tree of a checked platform, in memory: all of it, or with `reuse` (the
/// unit fingerprints the output folder holds, by unit folder) all but the unit folders that would
/// come out as they are (see [`emit`]).
pub fn generate(
    validated: ValidatedSpec,
    warnings: Vec<Diagnostic>,
    source_map: &SourceMap,
    reuse: Option<&BTreeMap<String, String>>,
    timings: &mut Timings,
) -> Result<Compilation, Vec<Diagnostic>> {
    let output_path = validated.spec().platform.spec.gitops.path.clone();
    let plan = timings.time("lower", || lower(&validated));
    // The spanned documents are not needed past lowering; free them before the tree is built.
    drop(validated);
    let tree = timings.time("emit", || emit(&plan, source_map, reuse));
    match tree {
        Ok(tree) => Ok(Compilation {
            tree,
            output_path,
            warnings,
        }),
        Err(message) => Err(vec![Diagnostic::unplaced(
            crate::diagnostic::DiagnosticKind::Internal { message },
        )]),
    }
}
