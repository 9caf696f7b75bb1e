//! The fuzzer that runs on stable Rust, in `cargo test` and in CI: near-valid platforms made by
//! mutating real ones, each checked by `common::check` (no panic, exit status 0 or 1, the same
//! output whatever the file order).
//!
//! Seeds: every platform in `examples/` and every golden case's `input/`, plus the inputs in
//! `fuzz/corpus/` (each one file, see `common.rs`), which the platform target also checks as
//! they are before its random inputs. A mutation works on the text (bytes, lines,
//! indentation, interesting characters and scalars taken from the seeds), on the YAML structure
//! (a document parsed, a node deleted, moved, retyped or duplicated, and written back) or on
//! the files (dropped, copied, renamed). The random sequence is fixed by a seed, so a run is
//! reproducible; a failing input is written as a golden-case folder under the target
//! directory (`fuzz-failures/`) and printed.
//!
//! Two targets, by `PAVE_FUZZ_TARGET`: `platform` (the default) checks a whole mutated platform,
//! twice (`common::check`); `loader` checks one mutated file as the loader sees it (read,
//! parsed, schema-checked, rendered: `common::check_file`), thousands of times a second, each
//! spec file of the seeds a seed of its own.
//!
//! Budget: `PAVE_FUZZ_SECONDS` (CI runs 60) or `PAVE_FUZZ_RUNS`; by default 20 inputs, so
//! `cargo test` stays quick. `PAVE_FUZZ_SEED` picks another sequence.

mod common;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use common::File;
use serde_json::Value as Json;

fn main() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let corpus = corpus(root);
    let seeds = seeds(root, &corpus);
    let env_number = |name: &str| std::env::var(name).ok().and_then(|v| v.parse::<u64>().ok());
    let deadline = env_number("PAVE_FUZZ_SECONDS").map(|s| Instant::now() + Duration::from_secs(s));
    let runs =
        env_number("PAVE_FUZZ_RUNS").unwrap_or(if deadline.is_some() { u64::MAX } else { 20 });
    let seed = env_number("PAVE_FUZZ_SEED").unwrap_or(0);
    let loader = match std::env::var("PAVE_FUZZ_TARGET").as_deref() {
        Ok("loader") => true,
        Ok("platform") | Err(_) => false,
        Ok(other) => {
            eprintln!("fuzz: unknown PAVE_FUZZ_TARGET `{other}` (platform or loader)");
            std::process::exit(2);
        }
    };
    // The loader's seeds: each spec file of every seed platform on its own.
    let seeds: Vec<Vec<File>> = if loader {
        seeds
            .iter()
            .flatten()
            .filter(|(name, _)| name.ends_with(".yaml") || name.ends_with(".yml"))
            .map(|file| vec![file.clone()])
            .collect()
    } else {
        seeds
    };
    let mut rng = fastrand::Rng::with_seed(seed);
    let dictionary = dictionary(&seeds);
    // A panic is a finding, caught and reported; the default hook would print each one.
    std::panic::set_hook(Box::new(|_| {}));

    let started = Instant::now();
    let mut executions = 0u64;
    let mut statuses = [0u64; 2];
    let mut failures: Vec<(Vec<File>, String)> = Vec::new();
    // The corpus first, each input as it is: every one is a finding once made, so every run
    // checks it again, whatever the budget and the random sequence.
    if !loader {
        for (name, files) in corpus {
            executions += 1;
            let result = common::check(&files);
            tally(
                result,
                files,
                &format!(" (corpus/{name})"),
                &mut statuses,
                &mut failures,
            );
        }
    }
    while executions < runs && deadline.is_none_or(|d| Instant::now() < d) {
        let Some(base) = seeds.get(rng.usize(..seeds.len().max(1))) else {
            break;
        };
        let mut files = base.clone();
        // Now and then a seed as it is: the paths that compile (emit, the rules on the tree)
        // are checked for order-independence too.
        for _ in 0..rng.usize(0..=3) {
            mutate(&mut rng, &mut files, &dictionary);
        }
        executions += 1;
        let result = if loader {
            // A finding is the first file alone: the one that was checked.
            files.truncate(1);
            files
                .first()
                .map_or(Ok(0), |(name, bytes)| common::check_file(name, bytes))
        } else {
            common::check(&files)
        };
        tally(result, files, "", &mut statuses, &mut failures);
        if failures.len() >= 10 {
            break;
        }
    }
    let elapsed = started.elapsed();
    println!(
        "fuzz: {} target, {executions} inputs in {:.1} s ({:.1}/s, seed {seed}, {} seeds): {} exit 0, {} exit 1, {} findings",
        if loader { "loader" } else { "platform" },
        elapsed.as_secs_f64(),
        executions as f64 / elapsed.as_secs_f64().max(1e-9),
        seeds.len(),
        statuses[0],
        statuses[1],
        failures.len()
    );
    if !failures.is_empty() {
        let out = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("fuzz-failures");
        for (i, (files, problem)) in failures.iter().enumerate() {
            let dir = out.join(format!("{i}"));
            let _ = std::fs::remove_dir_all(&dir);
            for (name, bytes) in files {
                let path = dir.join("input").join(name);
                if let Some(parent) = path.parent() {
                    let _ = std::fs::create_dir_all(parent);
                }
                let _ = std::fs::write(path, bytes);
            }
            let _ = std::fs::write(dir.join("problem.txt"), problem);
            let _ = std::fs::write(dir.join("input.fuzz"), common::encode(files));
            eprintln!("fuzz: finding written to {}", dir.display());
        }
        std::process::exit(1);
    }
}

/// Counts one input's exit status, or keeps it as a finding (`origin` says where it came from).
fn tally(
    result: Result<i32, String>,
    files: Vec<File>,
    origin: &str,
    statuses: &mut [u64; 2],
    failures: &mut Vec<(Vec<File>, String)>,
) {
    match result {
        Ok(status) => {
            if let Some(count) = statuses.get_mut(usize::try_from(status).unwrap_or(0)) {
                *count += 1;
            }
        }
        Err(problem) => {
            eprintln!("fuzz: finding #{}{origin}: {problem}", failures.len() + 1);
            failures.push((files, problem));
        }
    }
}

/// Every seed platform: the examples, the golden cases' inputs, the corpus.
fn seeds(root: &Path, corpus: &[(String, Vec<File>)]) -> Vec<Vec<File>> {
    let mut platforms = Vec::new();
    let mut folders: Vec<PathBuf> = Vec::new();
    for dir in ["examples", "tests/cases"] {
        for entry in walkdir::WalkDir::new(root.join(dir)).sort_by_file_name() {
            let Ok(entry) = entry else { continue };
            let is_root = entry.file_type().is_dir()
                && entry.path().join("pave.yaml").is_file()
                && !entry
                    .path()
                    .components()
                    .any(|c| c.as_os_str() == "expected");
            if is_root {
                folders.push(entry.path().to_path_buf());
            }
        }
    }
    for folder in folders {
        let mut files = Vec::new();
        for entry in walkdir::WalkDir::new(&folder).sort_by_file_name() {
            let Ok(entry) = entry else { continue };
            if !entry.file_type().is_file() {
                continue;
            }
            let Ok(relative) = entry.path().strip_prefix(&folder) else {
                continue;
            };
            let name = relative.to_string_lossy().replace('\\', "/");
            if let Ok(bytes) = std::fs::read(entry.path()) {
                files.push((name, bytes));
            }
        }
        platforms.push(files);
    }
    platforms.extend(corpus.iter().map(|(_, files)| files.clone()));
    platforms
}

/// The inputs of `fuzz/corpus/`, by file name, in name order.
fn corpus(root: &Path) -> Vec<(String, Vec<File>)> {
    let Ok(entries) = std::fs::read_dir(root.join("fuzz/corpus")) else {
        return Vec::new();
    };
    let mut paths: Vec<PathBuf> = entries.flatten().map(|e| e.path()).collect();
    paths.sort();
    paths
        .into_iter()
        .filter_map(|path| {
            let bytes = std::fs::read(&path).ok()?;
            let name = path.file_name()?.to_string_lossy().into_owned();
            Some((name, common::decode(&bytes)))
        })
        .collect()
}

/// Scalars and keys seen in the seeds, and values that have broken parsers before.
fn dictionary(seeds: &[Vec<File>]) -> Vec<String> {
    let mut words: std::collections::BTreeSet<String> = [
        "8080.0",
        "2.0",
        "1e3",
        "-1",
        "0",
        "99999999999999999999",
        ".nan",
        ".inf",
        "~",
        "null",
        "yes",
        "\"\"",
        "''",
        "[]",
        "{}",
        "&a x",
        "*a",
        "!!binary x",
        "!custom x",
        "<<: {}",
        "\"\\e[31m\"",
        "\"\\u202E\"",
        "\"\\x85\"",
        "\"\\0\"",
        "\"\\L\"",
        "é",
        "🚀",
        "\u{FEFF}",
        "\u{200B}",
        "\u{2028}",
        "\u{202E}",
        "\t",
        "\r",
        "|",
        ">-",
        "---",
        "...",
        "%YAML 1.2",
        "AKIAIOSFODNN7EXAMPLE",
        "ghp_abcdefghijklmnopqrstuvwxyzABCDEFGHIJ",
        "postgres://u:p4ss@db/x",
        "${resources.db.host}",
        "${metadata.name}",
        "$${x}",
        "${resources.",
        "${",
        "}",
        "prod",
        "dev",
        "shop",
        "api",
        "Service",
        "Tenant",
        "Environment",
        "Platform",
        "Waiver",
        "score.dev/v1b1",
        "pave.dev/v1alpha1",
    ]
    .iter()
    .map(|s| (*s).to_string())
    .collect();
    for files in seeds.iter().take(400) {
        for (_, bytes) in files {
            let text = String::from_utf8_lossy(bytes);
            for token in text.split(|c: char| c.is_whitespace() || ",{}[]".contains(c)) {
                let token = token.trim_end_matches(':');
                if (2..40).contains(&token.len()) {
                    words.insert(token.to_string());
                }
            }
        }
    }
    words.into_iter().collect()
}

fn pick<'a, T>(rng: &mut fastrand::Rng, items: &'a [T]) -> Option<&'a T> {
    (!items.is_empty()).then(|| &items[rng.usize(..items.len())])
}

/// One random change to a platform.
fn mutate(rng: &mut fastrand::Rng, files: &mut Vec<File>, dictionary: &[String]) {
    if files.is_empty() {
        files.push(("pave.yaml".into(), Vec::new()));
    }
    let i = rng.usize(..files.len());
    match rng.u8(..20) {
        0 => {
            files.remove(i);
        }
        1 => {
            let (name, bytes) = files[i].clone();
            let copy = match name.rsplit_once('/') {
                Some((dir, file)) => format!("{dir}/copy-{file}"),
                None => format!("copy-{name}"),
            };
            files.push((copy, bytes));
        }
        2 => {
            // Move a file to another file's folder.
            let j = rng.usize(..files.len());
            let dir = files[j].0.rsplit_once('/').map(|(d, _)| d.to_string());
            let file = files[i]
                .0
                .rsplit('/')
                .next()
                .unwrap_or("x.yaml")
                .to_string();
            files[i].0 = dir.map_or(file.clone(), |d| format!("{d}/{file}"));
        }
        3..=7 => mutate_structure(rng, &mut files[i].1, dictionary),
        _ => mutate_text(rng, &mut files[i].1, dictionary),
    }
}

/// A change to the bytes of a file.
fn mutate_text(rng: &mut fastrand::Rng, bytes: &mut Vec<u8>, dictionary: &[String]) {
    let len = bytes.len();
    let at = rng.usize(..=len);
    let line_starts: Vec<usize> = std::iter::once(0)
        .chain(
            bytes
                .iter()
                .enumerate()
                .filter(|(_, b)| **b == b'\n')
                .map(|(i, _)| i + 1),
        )
        .filter(|&i| i < len)
        .collect();
    let line = pick(rng, &line_starts).copied().unwrap_or(0);
    let line_end = bytes[line..]
        .iter()
        .position(|&b| b == b'\n')
        .map_or(len, |p| line + p + 1);
    match rng.u8(..10) {
        0 => {
            bytes.insert(at, rng.u8(..));
        }
        1 if len > 0 => {
            let end = (at + rng.usize(1..16)).min(len);
            bytes.drain(at.min(end)..end);
        }
        2 => {
            let copy = bytes[line..line_end].to_vec();
            bytes.splice(line..line, copy);
        }
        3 => {
            // Indent or outdent a line.
            if rng.bool() {
                bytes.splice(line..line, *b"  ");
            } else if bytes.get(line..line + 2) == Some(b"  ") {
                bytes.drain(line..line + 2);
            }
        }
        4 => bytes.truncate(at),
        5 => {
            // The value after a line's `: ` becomes a dictionary word.
            let text = &bytes[line..line_end];
            if let Some(colon) = text.windows(2).position(|w| w == b": ")
                && let Some(word) = pick(rng, dictionary)
            {
                let end =
                    line_end - usize::from(bytes.get(line_end.wrapping_sub(1)) == Some(&b'\n'));
                bytes.splice(line + colon + 2..end, word.bytes());
            }
        }
        6 => {
            // Two lines swap.
            let other = pick(rng, &line_starts).copied().unwrap_or(0);
            let other_end = bytes[other..]
                .iter()
                .position(|&b| b == b'\n')
                .map_or(len, |p| other + p + 1);
            if other_end <= line || line_end <= other {
                let (a, b) = if other < line {
                    ((other, other_end), (line, line_end))
                } else {
                    ((line, line_end), (other, other_end))
                };
                let first = bytes[a.0..a.1].to_vec();
                let second = bytes[b.0..b.1].to_vec();
                bytes.splice(b.0..b.1, first);
                bytes.splice(a.0..a.1, second);
            }
        }
        _ => {
            if let Some(word) = pick(rng, dictionary) {
                bytes.splice(at..at, word.bytes());
            }
        }
    }
}

/// A change to the YAML structure of a file, written back with pave's YAML writer.
fn mutate_structure(rng: &mut fastrand::Rng, bytes: &mut Vec<u8>, dictionary: &[String]) {
    let Ok(text) = std::str::from_utf8(bytes) else {
        return;
    };
    let file = pave::source::SourceMap::default().add(pave::source::SourceFile::new(
        String::new(),
        String::new(),
        pave::source::Origin::User,
    ));
    let (nodes, _) = pave::parse::yaml::parse_yaml(file, text);
    if nodes.is_empty() {
        return;
    }
    let mut documents: Vec<Json> = nodes.iter().map(pave::parse::yaml::Node::to_json).collect();
    let d = rng.usize(..documents.len());
    let mut paths = Vec::new();
    collect_paths(&documents[d], &mut Vec::new(), &mut paths);
    let Some(path) = pick(rng, &paths).cloned() else {
        return;
    };
    let word = pick(rng, dictionary).cloned().unwrap_or_default();
    let replacement = match rng.u8(..8) {
        0 => Json::Null,
        1 => Json::from(rng.i64(-2..70000)),
        2 => serde_json::Number::from_f64(f64::from(rng.u16(..))).map_or(Json::Null, Json::Number),
        3 => Json::Array(vec![Json::String(word)]),
        4 => serde_json::json!({ word: 1 }),
        5 => Json::Bool(rng.bool()),
        6 => {
            // Another node of the same document.
            let other = pick(rng, &paths).cloned().unwrap_or_default();
            node_at(&documents[d], &other)
                .cloned()
                .unwrap_or(Json::Null)
        }
        _ => Json::String(word),
    };
    if let Some(node) = node_at_mut(&mut documents[d], &path) {
        if rng.u8(..4) == 0 {
            // Delete: a key from its mapping, an item from its list.
            *node = Json::Null;
            remove_at(&mut documents[d], &path);
        } else {
            *node = replacement;
        }
    }
    let mut out = String::new();
    for document in &documents {
        out.push_str("---\n");
        out.push_str(&pave::emit::yaml::to_string(document).unwrap_or_default());
    }
    *bytes = out.into_bytes();
}

fn collect_paths(value: &Json, path: &mut Vec<String>, out: &mut Vec<Vec<String>>) {
    match value {
        Json::Object(map) => {
            for (key, child) in map {
                path.push(key.clone());
                out.push(path.clone());
                collect_paths(child, path, out);
                path.pop();
            }
        }
        Json::Array(items) => {
            for (i, child) in items.iter().enumerate() {
                path.push(i.to_string());
                out.push(path.clone());
                collect_paths(child, path, out);
                path.pop();
            }
        }
        _ => {}
    }
}

fn node_at<'a>(value: &'a Json, path: &[String]) -> Option<&'a Json> {
    path.iter().try_fold(value, |node, segment| match node {
        Json::Object(map) => map.get(segment),
        Json::Array(items) => items.get(segment.parse::<usize>().ok()?),
        _ => None,
    })
}

fn node_at_mut<'a>(value: &'a mut Json, path: &[String]) -> Option<&'a mut Json> {
    path.iter().try_fold(value, |node, segment| match node {
        Json::Object(map) => map.get_mut(segment),
        Json::Array(items) => items.get_mut(segment.parse::<usize>().ok()?),
        _ => None,
    })
}

fn remove_at(value: &mut Json, path: &[String]) {
    let Some((last, parent)) = path.split_last() else {
        return;
    };
    match node_at_mut(value, parent) {
        Some(Json::Object(map)) => {
            map.shift_remove(last);
        }
        Some(Json::Array(items)) => {
            if let Ok(i) = last.parse::<usize>()
                && i < items.len()
            {
                items.remove(i);
            }
        }
        _ => {}
    }
}
