//! pave's end-to-end tests, in one binary: every golden case folder under `tests/cases/`, every
//! example under `examples/` (compiled twice and compared byte for byte), and the CLI's
//! behaviour on disk.

#![allow(clippy::panic, reason = "a test may stop at an impossible setup")]

mod cli;
mod examples;
mod golden;
mod packaging;
mod support;

fn main() {
    let args = libtest_mimic::Arguments::from_args();
    let mut trials = golden::trials();
    trials.extend(examples::trials());
    trials.extend(cli::trials());
    trials.extend(packaging::trials());
    libtest_mimic::run(&args, trials).exit();
}
