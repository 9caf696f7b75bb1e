//! The ownership manifest, `.pave/manifest.json`: every file pave generated in an output folder,
//! with the BLAKE3 hash of its contents; and the reuse cache, `.pave/units.json`: the fingerprint
//! of every tenant-environment folder as last written (see `lower::unit`), with its file count,
//! size and file stamps so a folder changed by hand is noticed.

use std::borrow::Cow;
use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::root_dir::{RootDir, relative_path_problem};
use super::{fs_diagnostic, invalid_state};
use crate::diagnostic::Diagnostic;
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
    /// The manifest in `root`; empty when there is none (ownership then falls back to the
    /// generated-file header). One that does not parse or lists a path that is not a plain path
    /// inside the output folder is reported and not used: a repository can commit anything here.
    pub(super) fn read(root: &RootDir) -> Result<Manifest, Diagnostic> {
        let Some(bytes) = root
            .read(MANIFEST_PATH)
            .map_err(|e| fs_diagnostic(root.path(), e))?
        else {
            return Ok(Manifest::default());
        };
        let manifest: Manifest = serde_json::from_slice(&bytes).map_err(|error| {
            invalid_state(
                root.path(),
                MANIFEST_PATH,
                &format!("it does not parse: {error}"),
            )
        })?;
        if let Some(problem) = manifest
            .files
            .keys()
            .find_map(|path| state_path_problem(path))
        {
            return Err(invalid_state(root.path(), MANIFEST_PATH, &problem));
        }
        Ok(manifest)
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

/// The folder holding pave's state in an output folder, relative to it.
pub(super) const STATE_DIR: &str = OUTPUT_MARKER;

/// What is wrong with a path read from one of pave's state files, as the problem to report: it
/// must be a plain relative path inside the output folder, outside pave's state folder.
pub(super) fn state_path_problem(path: &str) -> Option<String> {
    if let Some(problem) = relative_path_problem(path) {
        return Some(format!("it names {problem}, `{path}`"));
    }
    (path.split('/').next() == Some(STATE_DIR))
        .then(|| format!("it names a path in pave's state folder, `{path}`"))
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
    /// A digest of each file's path, recorded hash and stamp (see `OutputFolder::reusable`),
    /// taken when the files were last read and found to hash to what the manifest records, and
    /// only once their stamps had settled; absent until then.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(super) stamps: Option<String>,
}

/// The reuse cache's version: changed with what its fingerprints mean (2: of each unit's input,
/// before lower, `lower::unit::SCHEME`; 3: only of units the policies found nothing on, whose
/// tenant has no waiver, see `OutputTree::unreusable`), so an older cache is never trusted.
const UNITS_VERSION: u32 = 3;

/// The path of the reuse cache, relative to the output folder.
pub(super) const UNITS_PATH: &str = ".pave/units.json";

impl Units {
    /// The reuse cache in `root`: empty when there is none or it does not parse (nothing is
    /// reused then); one naming a folder outside the output folder is reported and not used.
    pub(super) fn read(root: &RootDir) -> Result<Units, Diagnostic> {
        let bytes = root
            .read(UNITS_PATH)
            .map_err(|e| fs_diagnostic(root.path(), e))?;
        let units = bytes
            .and_then(|bytes| serde_json::from_slice::<Units>(&bytes).ok())
            .filter(|units| units.version == UNITS_VERSION)
            .unwrap_or_default();
        if let Some(problem) = units.units.keys().find_map(|path| state_path_problem(path)) {
            return Err(invalid_state(root.path(), UNITS_PATH, &problem));
        }
        Ok(units)
    }

    pub(super) fn new(units: BTreeMap<String, UnitRecord>) -> Units {
        Units {
            generator: "pave".into(),
            version: UNITS_VERSION,
            units,
        }
    }

    pub(super) fn to_text(&self) -> String {
        let mut text = serde_json::to_string_pretty(self).unwrap_or_default();
        text.push('\n');
        text
    }
}
