//! What every fuzz driver shares: a platform as one byte string, and the check of one input.
//!
//! A platform is a list of files; as bytes (a libFuzzer input, a corpus file) each file starts
//! with a line `#%file <name>` (`/`-separated, relative to the platform root). The check runs
//! pave's whole pipeline in memory (`compile`, policies included, as `pave check` and `pave
//! compile` do), renders the diagnostics in every format, and fails on what must never happen
//! for a user's input: a panic, an internal error (exit 2), or output that differs when the same
//! files are given in another order.

use std::collections::BTreeMap;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::Path;

use pave::diagnostic::{
    Diagnostic, DiagnosticKind, RenderOptions, cap_per_file, render_github, render_human,
    render_json, render_sarif,
};
use pave::parse::parse;
use pave::pipeline::{Options, Timings, compile};
use pave::policy::Date;
use pave::source::read_platform_from;

/// One file of a platform: its name and bytes.
pub(crate) type File = (String, Vec<u8>);

const MARKER: &[u8] = b"#%file ";

/// The bytes of a platform (see the module doc).
pub(crate) fn encode(files: &[File]) -> Vec<u8> {
    let mut out = Vec::new();
    for (name, bytes) in files {
        out.extend_from_slice(MARKER);
        out.extend_from_slice(name.as_bytes());
        out.push(b'\n');
        out.extend_from_slice(bytes);
        if !bytes.ends_with(b"\n") {
            out.push(b'\n');
        }
    }
    out
}

/// A platform from bytes: every `#%file` line starts a file; bytes before the first are
/// `pave.yaml`. Names are kept to safe relative paths.
pub(crate) fn decode(data: &[u8]) -> Vec<File> {
    let mut files: Vec<File> = Vec::new();
    let mut name = String::from("pave.yaml");
    let mut body = Vec::new();
    for line in data.split_inclusive(|&b| b == b'\n') {
        if let Some(rest) = line.strip_prefix(MARKER) {
            if !body.is_empty() || !files.is_empty() || name != "pave.yaml" {
                files.push((name, std::mem::take(&mut body)));
            }
            name = safe_name(&String::from_utf8_lossy(rest));
        } else {
            body.extend_from_slice(line);
        }
    }
    files.push((name, body));
    files
}

fn safe_name(raw: &str) -> String {
    let parts: Vec<String> = raw
        .trim()
        .split('/')
        .filter(|p| !p.is_empty() && *p != "." && *p != "..")
        .map(|p| {
            p.chars()
                .map(|c| {
                    if c.is_ascii_alphanumeric() || "._-".contains(c) {
                        c
                    } else {
                        '_'
                    }
                })
                .collect()
        })
        .collect();
    if parts.is_empty() {
        "spec.yaml".into()
    } else {
        parts.join("/")
    }
}

/// What one run produced: the exit status pave would give, every rendering of its diagnostics,
/// and the generated files.
#[derive(PartialEq, Eq)]
struct Outcome {
    status: i32,
    rendered: String,
    tree: BTreeMap<String, String>,
}

/// The exit status of a failed run, as the CLI decides it.
fn status(diagnostics: &[Diagnostic]) -> i32 {
    let internal = diagnostics.iter().any(|d| {
        matches!(
            *d.kind,
            DiagnosticKind::Internal { .. } | DiagnosticKind::Io { .. }
        )
    });
    if internal { 2 } else { 1 }
}

fn run_once(files: Vec<File>) -> Outcome {
    let source_map = read_platform_from(Path::new("."), files);
    let options = Options {
        today: "2026-12-01".parse::<Date>().unwrap_or_default(),
        evaluate_policies: true,
        contents: true,
    };
    let (status, diagnostics, tree) = match compile(&source_map, &options, &mut Timings::default())
    {
        Ok(compilation) => {
            let errors = compilation.warnings.iter().any(Diagnostic::is_error);
            let tree = compilation
                .tree
                .files
                .iter()
                .map(|(path, file)| (path.clone(), file.contents.clone()))
                .collect();
            (i32::from(errors), compilation.warnings, tree)
        }
        Err(diagnostics) => (status(&diagnostics), diagnostics, BTreeMap::new()),
    };
    let shown = cap_per_file(&diagnostics);
    let mut rendered = render_human(&shown, &source_map, RenderOptions::plain());
    rendered.push_str(&render_json(&shown, &source_map));
    rendered.push_str(&render_sarif(&shown, &source_map, ""));
    rendered.push_str(&render_github(&shown, &source_map, ""));
    Outcome {
        status,
        rendered,
        tree,
    }
}

fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| (*s).to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a panic".into())
}

/// The files of a platform as a folder would hold them: a name given twice (the copy and move
/// mutations and `#%file` lines can repeat one) is the last file given under it, as writing the
/// files to a folder in order would leave it. A folder cannot hold both, and which of the two
/// `read_platform_from` keeps depends on their order: without this, reversing the files made
/// "findings" no user can meet (seed 20261203 found three).
fn as_in_a_folder(files: &[File]) -> Vec<File> {
    let last: BTreeMap<&str, usize> = files
        .iter()
        .enumerate()
        .map(|(i, (name, _))| (name.as_str(), i))
        .collect();
    files
        .iter()
        .enumerate()
        .filter(|(i, (name, _))| last.get(name.as_str()) == Some(i))
        .map(|(_, file)| file.clone())
        .collect()
}

/// Checks one platform: `Ok(exit status)` (0 or 1), or what went wrong. The second run gets the
/// files in reverse order, so output that depends on it is caught too.
pub(crate) fn check(files: &[File]) -> Result<i32, String> {
    let files = as_in_a_folder(files);
    let first = catch_unwind(AssertUnwindSafe(|| run_once(files.clone())))
        .map_err(|p| format!("panic: {}", panic_message(p.as_ref())))?;
    if first.status == 2 {
        return Err(format!("exit 2 (internal error):\n{}", first.rendered));
    }
    let reversed: Vec<File> = files.iter().rev().cloned().collect();
    let second = catch_unwind(AssertUnwindSafe(|| run_once(reversed)))
        .map_err(|p| format!("panic on the second run: {}", panic_message(p.as_ref())))?;
    if first != second {
        return Err("not deterministic: two runs on the same files differ".into());
    }
    Ok(first.status)
}

/// Checks one file as the loader sees it (read, decoded, parsed, checked against its schema and
/// read into the spec model) and renders what it found in every format: `Ok(exit status)`, or
/// what went wrong (a panic or an internal error). The fast target: no resolve, no policies, no
/// emit, so a run costs what parsing one file does.
pub(crate) fn check_file(name: &str, bytes: &[u8]) -> Result<i32, String> {
    let run = || {
        let source_map =
            read_platform_from(Path::new("."), vec![(name.to_string(), bytes.to_vec())]);
        let (status, diagnostics) = match parse(&source_map) {
            Ok((_, warnings)) => (
                i32::from(warnings.iter().any(Diagnostic::is_error)),
                warnings,
            ),
            Err(diagnostics) => (status(&diagnostics), diagnostics),
        };
        let shown = cap_per_file(&diagnostics);
        let mut rendered = render_human(&shown, &source_map, RenderOptions::plain());
        rendered.push_str(&render_json(&shown, &source_map));
        rendered.push_str(&render_sarif(&shown, &source_map, ""));
        rendered.push_str(&render_github(&shown, &source_map, ""));
        (status, rendered)
    };
    let (status, rendered) = catch_unwind(AssertUnwindSafe(run))
        .map_err(|p| format!("panic: {}", panic_message(p.as_ref())))?;
    if status == 2 {
        return Err(format!("exit 2 (internal error):\n{rendered}"));
    }
    Ok(status)
}
