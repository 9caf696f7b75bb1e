//! The ownership manifest, `.pave/manifest.json`: every file pave generated in an output folder,
//! with the BLAKE3 hash of its contents.

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

    pub(super) fn new(files: BTreeMap<String, String>) -> Manifest {
        Manifest {
            generator: "pave".into(),
            version: VERSION,
            files,
        }
    }

    pub(super) fn to_text(&self) -> String {
        let mut text = serde_json::to_string_pretty(self).unwrap_or_default();
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
