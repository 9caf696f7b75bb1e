//! `pave check`: validate the specs, write nothing.

use clap::Args;

use super::{EXIT_OK, RootArgs, Ui, failure_status, load, report_discover_error};
use crate::pipeline::{Timings, compile};

/// Validate the specs and evaluate the policies on them and on the objects they generate,
/// without writing anything (fast; for pre-commit hooks and CI).
#[derive(Debug, Args)]
#[command(after_help = "Examples:\n  pave check\n  pave check examples/techcorp --output json")]
pub(super) struct CheckArgs {
    #[command(flatten)]
    root: RootArgs,
}

pub(super) fn run(args: &CheckArgs, ui: &Ui) -> i32 {
    let format = args.root.output;
    let source_map = match load(&args.root) {
        Ok(source_map) => source_map,
        Err(error) => return report_discover_error(&error, format, ui),
    };
    let mut timings = Timings::default();
    // Nothing is written: the tenant folders' YAML need not be rendered (the policies and the
    // wiring check take the objects as emit built them).
    let options = crate::pipeline::Options {
        contents: false,
        ..ui.options
    };
    match compile(&source_map, &options, &mut timings) {
        Ok(compilation) => {
            ui.report(format, &compilation.warnings, &source_map);
            // The process exits next: the tree and specs need not be freed one by one.
            std::mem::forget((compilation, source_map));
            EXIT_OK
        }
        Err(diagnostics) => {
            ui.report(format, &diagnostics, &source_map);
            failure_status(&diagnostics)
        }
    }
}
