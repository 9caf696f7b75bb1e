//! Source files: reading specs from disk, the embedded standard library and schemas, and the
//! [`SourceMap`] that turns a [`Span`] back into a file name, line and column.
//!
//! In: a platform root on disk. Out: a [`SourceMap`] of every spec file, sorted by path, then the
//! embedded add-on catalogue (`stdlib/addons/`), so diagnostics can point into it too.
//! This is the only module that reads files; every later stage works on values in memory.

mod discover;
mod embedded;
mod git;
mod problem;
mod span;
mod templates;

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

pub use discover::{
    DiscoverError, GENERATED_HEADER, GENERATED_JSON_HEADER, OUTPUT_MARKER, ROOT_FILE, find_root,
    is_policy_name, overlay, read_platform, read_platform_from, slash_path,
};
pub use embedded::{
    SCHEMAS, STDLIB, STDLIB_ADDONS, STDLIB_POLICIES, STDLIB_RESOURCES, STDLIB_TEMPLATES, TEMPLATES,
    schema_source, stdlib_file,
};
pub use git::read_platform_at;
pub use problem::{MAX_SPEC_BYTES, Skipped, SourceProblem};
pub use span::{FileId, Span};
pub use templates::{PLATFORM_TEMPLATES, read_templates};

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
    /// Why the file's bytes cannot be read as a spec (not UTF-8, a control character, too
    /// large); `parse` reports it and skips the file. `text` is then the bytes decoded lossily,
    /// identical to the file up to the problem's offset, so the problem has a line and column.
    pub problem: Option<SourceProblem>,
    /// The byte offset of each line's start, computed on first use.
    line_starts: OnceLock<Vec<usize>>,
    /// [`SourceFile::hash`], computed on first use.
    hash: OnceLock<FileHash>,
}

/// A BLAKE3 hash of a file's name and text: see [`SourceFile::hash`].
pub type FileHash = [u8; 32];

impl SourceFile {
    pub fn new(name: String, text: String, origin: Origin) -> Self {
        SourceFile {
            name,
            text,
            origin,
            problem: None,
            line_starts: OnceLock::new(),
            hash: OnceLock::new(),
        }
    }

    /// A file from its bytes as read: checked for what YAML cannot hold (see [`SourceProblem`]).
    pub fn from_bytes(name: String, bytes: Vec<u8>, origin: Origin) -> Self {
        let (text, problem) = problem::decode(bytes);
        SourceFile {
            problem,
            ..SourceFile::new(name, text, origin)
        }
    }

    /// A file that was not read because it is larger than [`MAX_SPEC_BYTES`].
    pub fn too_large(name: String, size: u64, origin: Origin) -> Self {
        SourceFile {
            problem: Some(SourceProblem::TooLarge { size }),
            ..SourceFile::new(name, String::new(), origin)
        }
    }

    /// A BLAKE3 hash of the file's name and text (length-prefixed, so no two pairs hash alike),
    /// computed once per run and shared by what keys on a file: the check cache's hash of the
    /// inputs, the parse cache's key, and the key of a document for the rules on specs. The same
    /// hash means the same name and text, so the same trees.
    pub fn hash(&self) -> &FileHash {
        self.hash.get_or_init(|| {
            let mut hasher = blake3::Hasher::new();
            hasher.update(&(self.name.len() as u64).to_le_bytes());
            hasher.update(self.name.as_bytes());
            hasher.update(self.text.as_bytes());
            *hasher.finalize().as_bytes()
        })
    }

    /// Whether the file is a Rego policy (the user's or stdlib's) rather than YAML.
    pub fn is_policy(&self) -> bool {
        is_policy_name(&self.name)
    }

    fn line_starts(&self) -> &[usize] {
        self.line_starts.get_or_init(|| {
            std::iter::once(0)
                .chain(memchr_newlines(&self.text))
                .collect()
        })
    }

    /// The 0-based line of a byte offset and the byte offset where that line starts.
    fn line_of(&self, offset: usize) -> (usize, usize) {
        let starts = self.line_starts();
        let line = starts.partition_point(|&start| start <= offset).max(1) - 1;
        (line, starts.get(line).copied().unwrap_or(0))
    }

    /// The largest char boundary at or before `offset` (clamped to the text).
    fn floor_boundary(&self, offset: usize) -> usize {
        let mut offset = offset.min(self.text.len());
        while !self.text.is_char_boundary(offset) {
            offset -= 1;
        }
        offset
    }

    /// The 0-based line of a byte offset and the byte offset where that line starts, for
    /// editors, which count columns their own way (LSP in UTF-16 code units).
    pub fn line_and_start(&self, offset: usize) -> (usize, usize) {
        self.line_of(self.floor_boundary(offset))
    }

    /// The byte offset where a 0-based line starts, if the text has that line.
    pub fn line_start(&self, line: usize) -> Option<usize> {
        self.line_starts().get(line).copied()
    }

    /// Line (1-based) and column (1-based, in characters: Unicode scalar values, as miette
    /// and rustc count them) of a byte offset. An offset inside a character counts as that
    /// character's start. Logarithmic in the file's line count: the line starts are indexed once.
    pub fn line_col(&self, offset: usize) -> (usize, usize) {
        let offset = self.floor_boundary(offset);
        let (line, line_start) = self.line_of(offset);
        let column = self.text[line_start..offset].chars().count() + 1;
        (line + 1, column)
    }
}

/// The byte offset after each `\n` of `text`.
fn memchr_newlines(text: &str) -> impl Iterator<Item = usize> + '_ {
    text.bytes()
        .enumerate()
        .filter(|&(_, b)| b == b'\n')
        .map(|(i, _)| i + 1)
}

impl miette::SourceCode for SourceFile {
    /// The lines around a span, found through the line index rather than by scanning from the
    /// start of the file (miette's `str` implementation), so rendering many diagnostics in a
    /// large file stays linear. Columns count characters, as [`SourceFile::line_col`] does.
    fn read_span<'a>(
        &'a self,
        span: &miette::SourceSpan,
        context_lines_before: usize,
        context_lines_after: usize,
    ) -> Result<Box<dyn miette::SpanContents<'a> + 'a>, miette::MietteError> {
        if span.offset() > self.text.len() {
            return Err(miette::MietteError::OutOfBounds);
        }
        let start = self.floor_boundary(span.offset());
        let end = self.floor_boundary(span.offset() + span.len()).max(start);
        let (first_line, first_start) = self.line_of(start);
        let (last_line, _) = self.line_of(end.saturating_sub(1).max(start));
        let starts = self.line_starts();
        let from_line = first_line.saturating_sub(context_lines_before);
        let to_line = last_line + context_lines_after;
        let (data_start, line, column) = if context_lines_before == 0 {
            let column = self.text[first_start..start].chars().count();
            (start, first_line, column)
        } else {
            (starts.get(from_line).copied().unwrap_or(0), from_line, 0)
        };
        // Up to and including the newline that ends the last line shown.
        let data_end = starts
            .get(to_line + 1)
            .copied()
            .unwrap_or(self.text.len())
            .max(end);
        let data = &self.text.as_bytes()[data_start..data_end];
        // As miette counts it: line breaks from the start of the file to the end of the data.
        let line_count = self.line_of(data_end.saturating_sub(1)).0
            + usize::from(self.text.as_bytes().get(data_end.saturating_sub(1)) == Some(&b'\n'));
        Ok(Box::new(miette::MietteSpanContents::new_named(
            self.name.clone(),
            data,
            (data_start, data_end - data_start).into(),
            line,
            column,
            line_count,
        )))
    }
}

/// Every source file of one run, indexed by [`FileId`].
#[derive(Debug, Default)]
pub struct SourceMap {
    files: Vec<SourceFile>,
    /// The platform root the user names are relative to.
    root: PathBuf,
    /// Paths among the specs that discovery did not read (symbolic links).
    skipped: Vec<Skipped>,
}

impl SourceMap {
    pub fn new(root: &Path) -> Self {
        SourceMap {
            files: Vec::new(),
            root: root.to_path_buf(),
            skipped: Vec::new(),
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

    /// Computes every file's [`SourceFile::hash`], in parallel.
    pub fn hash_files(&self) {
        use rayon::prelude::*;
        self.files.par_iter().for_each(|file| {
            file.hash();
        });
    }

    /// Paths among the specs that were not read, sorted by name; `parse` reports them.
    pub fn skipped(&self) -> &[Skipped] {
        &self.skipped
    }

    pub(crate) fn add_skipped(&mut self, skipped: Skipped) {
        self.skipped.push(skipped);
    }

    /// The platform root on disk.
    pub fn root(&self) -> &Path {
        &self.root
    }
}

#[cfg(test)]
mod tests {
    use miette::SourceCode as _;

    use super::*;

    fn file(text: &str) -> SourceFile {
        SourceFile::new("f.yaml".into(), text.into(), Origin::User)
    }

    #[test]
    fn columns_count_characters_and_offsets_inside_one_do_not_panic() {
        let f = file("a: é🚀x\n\u{FEFF}b: 1\n");
        assert_eq!(f.line_col(3), (1, 4));
        // `x` is after a 2-byte and a 4-byte character.
        assert_eq!(f.line_col(9), (1, 6));
        // Inside the emoji: its start.
        assert_eq!(f.line_col(7), (1, 5));
        assert_eq!(f.line_col(11), (2, 1));
        assert_eq!(f.line_col(14), (2, 2));
        assert_eq!(f.line_col(10_000), (3, 1));
    }

    #[test]
    fn miette_snippets_agree_with_line_col() {
        let f = file("one\ntwo: é🚀\nthree\n");
        let span = miette::SourceSpan::from((9, 2));
        let header = f
            .read_span(&span, 0, 0)
            .ok()
            .map(|c| (c.line() + 1, c.column() + 1));
        assert_eq!(header, Some(f.line_col(9)));
        let context = f.read_span(&span, 1, 1).ok().map(|c| c.data().to_vec());
        assert_eq!(
            context.as_deref(),
            Some("one\ntwo: é🚀\nthree\n".as_bytes())
        );
        assert!(
            f.read_span(&miette::SourceSpan::from((100, 1)), 1, 1)
                .is_err()
        );
    }
}
