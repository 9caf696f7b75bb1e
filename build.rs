//! Sets `PAVE_BUILD_ID`: a BLAKE3 hash of everything that decides what pave generates (its
//! source, the embedded `stdlib/` and `schemas/`, the locked dependencies). A compile may reuse
//! the files of a tenant-environment it generated before only when this id and the unit's inputs
//! are the same (see `emit/reuse.rs`), so a pave whose code changed never trusts an older tree.

use std::fs;
use std::path::{Path, PathBuf};

const INPUTS: [&str; 5] = ["compiler", "stdlib", "schemas", "Cargo.toml", "Cargo.lock"];

fn files(path: &Path, out: &mut Vec<PathBuf>) {
    if path.is_dir() {
        let mut entries: Vec<PathBuf> = fs::read_dir(path)
            .map(|dir| dir.filter_map(|e| e.ok().map(|e| e.path())).collect())
            .unwrap_or_default();
        entries.sort();
        for entry in entries {
            files(&entry, out);
        }
    } else if path.is_file() {
        out.push(path.to_path_buf());
    }
}

fn main() {
    let mut all = Vec::new();
    for input in INPUTS {
        println!("cargo::rerun-if-changed={input}");
        files(Path::new(input), &mut all);
    }
    let mut hasher = blake3::Hasher::new();
    for path in &all {
        // The relative path with `/` separators, so the id is the same on every machine.
        let name = path.to_string_lossy().replace('\\', "/");
        hasher.update(name.as_bytes());
        hasher.update(&[0]);
        hasher.update(&fs::read(path).unwrap_or_default());
        hasher.update(&[0]);
    }
    println!(
        "cargo::rustc-env=PAVE_BUILD_ID={}",
        hasher.finalize().to_hex()
    );
}
