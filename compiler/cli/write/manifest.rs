//! The ownership manifest, `.pave/manifest.json`: every file pave generated in an output folder,
//! with the BLAKE3 hash of its contents; and the reuse cache, `.pave/units.json`: the fingerprint
//! of every tenant-environment folder as last written (see `emit::reuse`), with its file count and
//! size so a folder changed by hand is noticed.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::source::OUTPUT_MARKER;

#[derive(Debug, Default, Serialize, Deserialize)]
pub(super) struct Manifest {
    pub(super) generator: String,
    pub(super) version: u32,
    /// Path relative to the output folder -> hash of the contents.
    pub(super) files: BTreeMap<String, String>,
}

const VERSION: u32 = 1;

/// The path of the manifest, relative to the output folder.
pub(super) const MANIFEST_PATH: &str = ".pave/manifest.json";

impl Manifest {
    /// The manifest of `out_dir`; empty when there is none or it does not parse (ownership then
    /// falls back to the generated-file header).
    pub(super) fn read(out_dir: &Path) -> Manifest {
        std::fs::read(out_dir.join(MANIFEST_PATH))
            .ok()
            .and_then(|bytes| serde_json::from_slice(&bytes).ok())
            .unwrap_or_default()
    }

    /// The text of the manifest listing `files` (path -> hash).
    pub(super) fn text(files: &BTreeMap<&str, Cow<'_, str>>) -> String {
        #[derive(Serialize)]
        struct Borrowed<'a> {
            generator: &'a str,
            version: u32,
            files: &'a BTreeMap<&'a str, Cow<'a, str>>,
        }
        let manifest = Borrowed {
            generator: "pave",
            version: VERSION,
            files,
        };
        let mut text = serde_json::to_string_pretty(&manifest).unwrap_or_default();
        text.push('\n');
        text
    }
}

/// The folder holding pave's state in an output folder.
pub(super) fn state_dir(out_dir: &Path) -> PathBuf {
    out_dir.join(OUTPUT_MARKER)
}

pub(super) fn hash(contents: &[u8]) -> String {
    blake3::hash(contents).to_hex().to_string()
}

/// The reuse cache, `.pave/units.json`: local state, like a build cache (not committed: a fresh
/// clone generates every unit once). Missing or unreadable means nothing is reused.
#[derive(Debug, Default, Serialize, Deserialize)]
pub(super) struct Units {
    pub(super) generator: String,
    pub(super) version: u32,
    /// Unit folder -> what was written there.
    pub(super) units: BTreeMap<String, UnitRecord>,
}

/// A unit folder as last written.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(super) struct UnitRecord {
    pub(super) fingerprint: String,
    /// How many files the folder holds, and their total size in bytes.
    pub(super) files: usize,
    pub(super) bytes: u64,
}

/// The path of the reuse cache, relative to the output folder.
pub(super) const UNITS_PATH: &str = ".pave/units.json";

impl Units {
    pub(super) fn read(out_dir: &Path) -> Units {
        std::fs::read(out_dir.join(UNITS_PATH))
            .ok()
            .and_then(|bytes| serde_json::from_slice::<Units>(&bytes).ok())
            .filter(|units| units.version == VERSION)
            .unwrap_or_default()
    }

    pub(super) fn new(units: BTreeMap<String, UnitRecord>) -> Units {
        Units {
            generator: "pave".into(),
            version: VERSION,
            units,
        }
    }

    pub(super) fn to_text(&self) -> String {
        let mut text = serde_json::to_string_pretty(self).unwrap_or_default();
        text.push('\n');
        text
    }
}
