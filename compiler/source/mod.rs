//! Source files: reading specs from disk, the embedded standard library and schemas, and the
//! [`SourceMap`] that turns a [`Span`] back into a file name, line and column.
//!
//! In: a platform root on disk. Out: a [`SourceMap`] of every spec file, sorted by path, then the
//! embedded add-on catalogue (`stdlib/addons/`), so diagnostics can point into it too.
//! This is the only module that reads files; every later stage works on values in memory.

mod discover;
mod embedded;
mod git;
mod span;

use std::path::{Path, PathBuf};

pub use discover::{
    DiscoverError, GENERATED_HEADER, GENERATED_JSON_HEADER, OUTPUT_MARKER, ROOT_FILE, find_root,
    is_policy_name, read_platform,
};
pub use embedded::{
    SCHEMAS, STDLIB, STDLIB_ADDONS, STDLIB_POLICIES, STDLIB_RESOURCES, schema_source, stdlib_file,
};
pub use git::read_platform_at;
pub use span::{FileId, Span};

/// Where a source file comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    /// A spec in the user's platform repository.
    User,
    /// A file of pave's embedded standard library.
    Stdlib,
    /// A file beside a Score workload that its `files` may read (`source:`); never parsed as a
    /// spec.
    Asset,
}

/// One source file: its display name (relative to the platform root, with `/` separators) and text.
#[derive(Debug)]
pub struct SourceFile {
    /// The path relative to the platform root, `/`-separated; stdlib files keep their path in
    /// pave's repository (`stdlib/addons/vault.yaml`).
    pub name: String,
    pub text: String,
    pub origin: Origin,
}

impl SourceFile {
    /// Whether the file is a Rego policy (the user's or stdlib's) rather than YAML.
    pub fn is_policy(&self) -> bool {
        is_policy_name(&self.name)
    }

    /// Line (1-based) and column (1-based, in characters) of a byte offset.
    pub fn line_col(&self, offset: usize) -> (usize, usize) {
        let offset = offset.min(self.text.len());
        let before = &self.text.as_bytes()[..offset];
        let line = before.iter().filter(|&&b| b == b'\n').count() + 1;
        let line_start = before
            .iter()
            .rposition(|&b| b == b'\n')
            .map_or(0, |i| i + 1);
        let column = self.text[line_start..offset].chars().count() + 1;
        (line, column)
    }
}

impl miette::SourceCode for SourceFile {
    fn read_span<'a>(
        &'a self,
        span: &miette::SourceSpan,
        context_lines_before: usize,
        context_lines_after: usize,
    ) -> Result<Box<dyn miette::SpanContents<'a> + 'a>, miette::MietteError> {
        let inner =
            self.text
                .as_str()
                .read_span(span, context_lines_before, context_lines_after)?;
        Ok(Box::new(miette::MietteSpanContents::new_named(
            self.name.clone(),
            inner.data(),
            *inner.span(),
            inner.line(),
            inner.column(),
            inner.line_count(),
        )))
    }
}

/// Every source file of one run, indexed by [`FileId`].
#[derive(Debug, Default)]
pub struct SourceMap {
    files: Vec<SourceFile>,
    /// The platform root the user names are relative to.
    root: PathBuf,
}

impl SourceMap {
    pub fn new(root: &Path) -> Self {
        SourceMap {
            files: Vec::new(),
            root: root.to_path_buf(),
        }
    }

    pub fn add(&mut self, file: SourceFile) -> FileId {
        let id = FileId::new(self.files.len());
        self.files.push(file);
        id
    }

    pub fn get(&self, id: FileId) -> &SourceFile {
        // A FileId is only made by `add` on this map, so the index is in range.
        &self.files[id.index()]
    }

    pub fn files(&self) -> impl Iterator<Item = (FileId, &SourceFile)> {
        self.files
            .iter()
            .enumerate()
            .map(|(i, file)| (FileId::new(i), file))
    }

    /// The platform root on disk.
    pub fn root(&self) -> &Path {
        &self.root
    }
}
