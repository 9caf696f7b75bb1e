//! pave's end-to-end tests, in one binary: every golden case folder under `tests/cases/`, every
//! example under `examples/` (compiled twice and compared byte for byte), the CLI's behaviour
//! on disk, and the wiring of every platform that compiles.

#![allow(clippy::panic, reason = "a test may stop at an impossible setup")]

mod catalog;
mod check_cache;
mod cli;
mod dns_routing;
mod examples;
mod golden;
mod graph;
mod lsp;
mod memo;
mod new;
mod packaging;
mod support;
mod wiring;

fn main() {
    let args = libtest_mimic::Arguments::from_args();
    let mut trials = golden::trials();
    trials.extend(examples::trials());
    trials.extend(cli::trials());
    trials.extend(dns_routing::trials());
    trials.extend(catalog::trials());
    trials.extend(graph::trials());
    trials.extend(memo::trials());
    trials.extend(check_cache::trials());
    trials.extend(new::trials());
    trials.extend(lsp::trials());
    trials.extend(packaging::trials());
    trials.extend(wiring::trials());
    libtest_mimic::run(&args, trials).exit();
}
