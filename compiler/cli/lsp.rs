//! `pave lsp`: the language server, on standard input and output (see [`crate::lsp`]).

use std::path::PathBuf;

use clap::Args;

use super::Ui;

/// Run the language server on standard input and output, for editors: the diagnostics of `pave
/// check` as you type, go to definition, references, hover, completion and quick fixes.
#[derive(Debug, Args)]
#[command(after_help = "\
Editors start it themselves; see the README's \"Editors\" section for VS Code, Neovim and Helix.

Examples:
  pave lsp
  pave lsp examples/techcorp")]
pub(super) struct LspArgs {
    /// The platform root (the folder holding `pave.yaml`); by default the one around the
    /// editor's workspace folder, else around the first spec opened.
    #[arg(value_name = "ROOT")]
    root: Option<PathBuf>,
}

pub(super) fn run(args: &LspArgs, ui: &Ui) -> i32 {
    crate::lsp::run(args.root.clone(), ui.options)
}
