//! `pave completions SHELL`: shell completion scripts.

use clap::{Args, CommandFactory};
use clap_complete::Shell;

use super::{Cli, EXIT_OK};

/// Print a shell completion script.
#[derive(Debug, Args)]
#[command(
    after_help = "Examples:\n  pave completions bash > /etc/bash_completion.d/pave\n  pave completions zsh > ~/.zfunc/_pave"
)]
pub(super) struct CompletionsArgs {
    /// The shell to complete for.
    #[arg(value_enum)]
    shell: Shell,
}

pub(super) fn run(args: &CompletionsArgs) -> i32 {
    let mut command = Cli::command();
    clap_complete::generate(args.shell, &mut command, "pave", &mut std::io::stdout());
    EXIT_OK
}
