//! `pave schema`: the embedded JSON Schemas, for editors.

use std::path::PathBuf;

use clap::Args;

use super::{EXIT_FAILURE, EXIT_OK};
use crate::source::SCHEMAS;

/// Write the JSON Schemas of every spec kind (for yaml-language-server and other editors).
#[derive(Debug, Args)]
#[command(
    after_help = "Examples:\n  pave schema --out .schemas\n  pave schema            list the schemas"
)]
pub(super) struct SchemaArgs {
    /// The folder to write `<kind>.schema.json` files into; without it, list them.
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,
}

pub(super) fn run(args: &SchemaArgs) -> i32 {
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
    for (name, text) in SCHEMAS {
        let path = out.join(name);
        if let Err(error) = std::fs::write(&path, text) {
            eprintln!("error: cannot write `{}`: {error}", path.display());
            return EXIT_FAILURE;
        }
    }
    eprintln!("wrote {} schemas to {}", SCHEMAS.len(), out.display());
    EXIT_OK
}
