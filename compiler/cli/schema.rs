//! `pave schema`: the embedded JSON Schemas, for editors.

use std::path::{Path, PathBuf};

use clap::Args;

use super::{EXIT_FAILURE, EXIT_INVALID, EXIT_OK, OutputFormat, Ui, display};
use crate::diagnostic::{Diagnostic, DiagnosticKind};
use crate::source::{SCHEMAS, SourceMap};

/// Write the JSON Schemas of every spec kind (for yaml-language-server and other editors).
#[derive(Debug, Args)]
#[command(after_help = "\
pave overwrites a file in DIR only if it wrote it (a JSON Schema with pave's `$id`); any other
file of the same name is an `unowned-file` error and nothing is written.

Examples:
  pave schema --out .schemas
  pave schema            list the schemas")]
pub(super) struct SchemaArgs {
    /// The folder to write `<kind>.schema.json` files into; without it, list them.
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,
}

pub(super) fn run(args: &SchemaArgs, ui: &Ui) -> i32 {
    let Some(out) = &args.out else {
        for (name, _) in SCHEMAS {
            println!("{name}");
        }
        return EXIT_OK;
    };
    if let Err(error) = std::fs::create_dir_all(out) {
        eprintln!("error: cannot create `{}`: {error}", out.display());
        return EXIT_FAILURE;
    }
    // Every file in the way is checked before any is written: all or nothing.
    let refused: Vec<Diagnostic> = SCHEMAS
        .iter()
        .filter_map(|(name, text)| {
            let path = out.join(name);
            let kind = match std::fs::symlink_metadata(&path) {
                Err(_) => return None,
                Ok(meta) if meta.file_type().is_symlink() => DiagnosticKind::SymlinkInOutput {
                    path: display(&path),
                },
                Ok(_) if owned(&path, text) => return None,
                Ok(_) => DiagnosticKind::UnownedFile {
                    path: display(&path),
                },
            };
            Some(Diagnostic::unplaced(kind))
        })
        .collect();
    if !refused.is_empty() {
        ui.report(OutputFormat::Human, &refused, &SourceMap::default());
        return EXIT_INVALID;
    }
    for (name, text) in SCHEMAS {
        let path = out.join(name);
        if std::fs::read(&path).is_ok_and(|old| old == text.as_bytes()) {
            continue;
        }
        if let Err(error) = std::fs::write(&path, text) {
            eprintln!("error: cannot write `{}`: {error}", path.display());
            return EXIT_FAILURE;
        }
    }
    eprintln!("wrote {} schemas to {}", SCHEMAS.len(), out.display());
    EXIT_OK
}

/// Whether the regular file at `path` is one pave wrote: the schema it would write now, or a
/// JSON Schema whose `$id` is one of pave's (an older version of it). pave's schemas carry no
/// other marker: editors read them as they are.
fn owned(path: &Path, text: &str) -> bool {
    let Ok(bytes) = std::fs::read(path) else {
        return false;
    };
    bytes == text.as_bytes()
        || serde_json::from_slice::<serde_json::Value>(&bytes).is_ok_and(|schema| {
            schema["$id"]
                .as_str()
                .is_some_and(|id| id.starts_with(SCHEMA_ID_BASE))
        })
}

/// The start of the `$id` of every schema pave ships.
const SCHEMA_ID_BASE: &str = "https://pave.dev/schemas/";
