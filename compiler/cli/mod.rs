//! The `pave` command line: clap types, one file per subcommand. The CLI is the only place that
//! writes files; it runs the [`pipeline`](crate::pipeline) and renders diagnostics.

mod check;
mod compile;
mod completions;
mod diff;
mod explain;
mod graph;
mod lsp;
mod new;
mod schema;
mod write;

use std::io::{IsTerminal, Write as _};
use std::path::{Path, PathBuf};

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::diagnostic::{
    Diagnostic, DiagnosticKind, RenderOptions, render_github, render_human, render_json,
    render_sarif,
};
use crate::pipeline::Options;
use crate::policy::Date;
use crate::source::{DiscoverError, SourceMap, find_root, read_platform};

/// Exit status: success.
pub const EXIT_OK: i32 = 0;
/// Exit status: the input has errors (or, with `--check`, the tree is stale).
pub const EXIT_INVALID: i32 = 1;
/// Exit status: pave itself failed (I/O, internal error).
pub const EXIT_FAILURE: i32 = 2;

const AFTER_HELP: &str = "\
Exit status: 0 success, 1 the specs have errors, 2 pave could not run (I/O, internal error).

Examples:
  pave compile                      compile the platform around the current folder
  pave compile examples/techcorp    compile a given platform root
  pave check --output json          validate only, diagnostics as JSON (for CI)
  pave diff --against origin/main   what a change does to the GitOps tree
  pave explain shop/api/db --env prod   which class and rules decide a managed resource
  pave graph --changed              the dependency graph, with what a change touches
  pave new service invoices --tenant backend   a new service from a template";

/// pave compiles platform specs (Platform, Environment, Tenant, Service) into a validated,
/// deterministic GitOps tree of Kubernetes manifests.
#[derive(Debug, Parser)]
#[command(name = "pave", version, about, after_help = AFTER_HELP, propagate_version = true)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,

    /// When to colour diagnostics.
    #[arg(long, value_enum, global = true, default_value_t = Color::Auto)]
    color: Color,

    /// Today's date (UTC, YYYY-MM-DD), against which waivers expire; by default `PAVE_TODAY`,
    /// else the day of `SOURCE_DATE_EPOCH`, else the clock.
    #[arg(long, global = true, value_name = "DATE")]
    today: Option<String>,
}

#[derive(Debug, Subcommand)]
enum Command {
    Compile(compile::CompileArgs),
    Check(check::CheckArgs),
    Diff(diff::DiffArgs),
    Explain(explain::ExplainArgs),
    Graph(graph::GraphArgs),
    New(new::NewArgs),
    Lsp(lsp::LspArgs),
    Schema(schema::SchemaArgs),
    Completions(completions::CompletionsArgs),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Color {
    Auto,
    Always,
    Never,
}

/// How diagnostics are printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, ValueEnum)]
pub enum OutputFormat {
    /// Rendered for people, on standard error.
    #[default]
    Human,
    /// A JSON document on standard output: `{"diagnostics": [...], "errors": N, "warnings": N}`.
    Json,
    /// A SARIF 2.1.0 log on standard output (GitHub code scanning).
    Sarif,
    /// GitHub Actions workflow commands on standard output (pull-request annotations).
    Github,
}

/// Where the platform is; shared by every command that reads specs.
#[derive(Debug, Args)]
pub struct RootArgs {
    /// The platform root (the folder holding `pave.yaml`); by default the nearest folder from the
    /// current one upwards that holds one.
    #[arg(value_name = "ROOT")]
    root: Option<PathBuf>,

    /// How to print diagnostics.
    #[arg(long, value_enum, default_value_t = OutputFormat::Human)]
    output: OutputFormat,
}

/// Runs pave with the process arguments and returns the exit status.
pub fn main() -> i32 {
    let cli = Cli::parse();
    run(cli)
}

/// Runs a parsed command line.
pub(super) fn run(cli: Cli) -> i32 {
    let color = match cli.color {
        Color::Always => true,
        Color::Never => false,
        Color::Auto => std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none(),
    };
    let stdout_color = match cli.color {
        Color::Always => true,
        Color::Never => false,
        Color::Auto => std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none(),
    };
    let today = match today(cli.today.as_deref()) {
        Ok(today) => today,
        Err(message) => {
            eprintln!("error: {message}");
            return EXIT_FAILURE;
        }
    };
    let ui = Ui {
        options: Options {
            today,
            evaluate_policies: true,
            contents: true,
        },
        stdout_color,
        render: RenderOptions {
            color,
            unicode: true,
            width: if std::io::stderr().is_terminal() {
                100
            } else {
                80
            },
        },
    };
    match cli.command {
        Command::Compile(args) => compile::run(&args, &ui),
        Command::Check(args) => check::run(&args, &ui),
        Command::Diff(args) => diff::run(&args, &ui),
        Command::Explain(args) => explain::run(&args, &ui),
        Command::Graph(args) => graph::run(&args, &ui),
        Command::New(args) => new::run(&args, &ui),
        Command::Lsp(args) => lsp::run(&args, &ui),
        Command::Schema(args) => schema::run(&args, &ui),
        Command::Completions(args) => completions::run(&args),
    }
}

/// Today's date: `--today`, else `PAVE_TODAY`, else `SOURCE_DATE_EPOCH`'s day, else the clock
/// (all UTC).
fn today(flag: Option<&str>) -> Result<Date, String> {
    let given = flag
        .map(str::to_string)
        .or_else(|| std::env::var("PAVE_TODAY").ok().filter(|v| !v.is_empty()));
    if let Some(text) = given {
        return text
            .parse::<Date>()
            .map_err(|e| format!("`{text}` is not a date (YYYY-MM-DD): {e}"));
    }
    let timestamp = match std::env::var("SOURCE_DATE_EPOCH") {
        Ok(epoch) if !epoch.is_empty() => {
            let seconds: i64 = epoch
                .parse()
                .map_err(|_| format!("SOURCE_DATE_EPOCH `{epoch}` is not a number of seconds"))?;
            jiff::Timestamp::from_second(seconds).map_err(|e| e.to_string())?
        }
        _ => jiff::Timestamp::now(),
    };
    Ok(timestamp.to_zoned(jiff::tz::TimeZone::UTC).date())
}

/// Terminal settings and run options shared by the commands.
pub struct Ui {
    /// What the pipeline depends on besides the specs.
    options: Options,
    render: RenderOptions,
    /// Whether reports on standard output may be coloured.
    stdout_color: bool,
}

impl Ui {
    /// Prints diagnostics in the chosen format.
    fn report(&self, format: OutputFormat, all: &[Diagnostic], source_map: &SourceMap) {
        let capped = crate::diagnostic::cap_per_file(all);
        let diagnostics = capped.as_slice();
        match format {
            OutputFormat::Human => {
                if !diagnostics.is_empty() {
                    let text = render_human(diagnostics, source_map, self.render);
                    let _ = std::io::stderr().write_all(text.as_bytes());
                    // The summary counts every diagnostic, those left out of the report too.
                    let errors = all.iter().filter(|d| d.is_error()).count();
                    let warnings = all.len() - errors;
                    eprintln!("{}", summary(errors, warnings));
                }
            }
            OutputFormat::Json => {
                let _ =
                    std::io::stdout().write_all(render_json(diagnostics, source_map).as_bytes());
            }
            OutputFormat::Sarif => {
                let text = render_sarif(diagnostics, source_map, &root_prefix(source_map));
                let _ = std::io::stdout().write_all(text.as_bytes());
            }
            OutputFormat::Github => {
                let text = render_github(diagnostics, source_map, &root_prefix(source_map));
                let _ = std::io::stdout().write_all(text.as_bytes());
            }
        }
    }
}

/// The platform root relative to the working directory, with a final `/` (empty for the working
/// directory itself): file names in diagnostics are relative to the root, CI tools want them
/// relative to where they run.
fn root_prefix(source_map: &SourceMap) -> String {
    let root = display(source_map.root());
    match root.as_str() {
        "" | "." => String::new(),
        _ => format!("{}/", root.trim_end_matches('/').replace('\\', "/")),
    }
}

fn summary(errors: usize, warnings: usize) -> String {
    let plural = |n: usize, word: &str| format!("{n} {word}{}", if n == 1 { "" } else { "s" });
    match (errors, warnings) {
        (0, w) => format!("{} found", plural(w, "warning")),
        (e, 0) => format!("{} found", plural(e, "error")),
        (e, w) => format!("{} and {} found", plural(e, "error"), plural(w, "warning")),
    }
}

/// Finds the platform root and reads its specs.
fn load(args: &RootArgs) -> Result<SourceMap, DiscoverError> {
    let cwd = std::env::current_dir().map_err(|error| DiscoverError::Io {
        path: PathBuf::from("."),
        error,
    })?;
    let root = find_root(args.root.as_deref(), &cwd)?;
    read_platform(&root)
}

/// Reports a failure to find or read the specs; returns the exit status.
fn report_discover_error(error: &DiscoverError, format: OutputFormat, ui: &Ui) -> i32 {
    let (kind, status) = match error {
        DiscoverError::NoRoot { .. } | DiscoverError::NotARoot { .. } => (
            DiagnosticKind::Io {
                path: match error {
                    DiscoverError::NoRoot { start } => display(start),
                    DiscoverError::NotARoot { root } => {
                        display(&root.join(crate::source::ROOT_FILE))
                    }
                    DiscoverError::Io { path, .. } => display(path),
                    DiscoverError::Git { .. } => String::new(),
                },
                message: "no platform root: `pave.yaml` not found".into(),
            },
            EXIT_INVALID,
        ),
        DiscoverError::Io { path, error } => (
            DiagnosticKind::Io {
                path: display(path),
                message: error.to_string(),
            },
            EXIT_FAILURE,
        ),
        DiscoverError::Git { message } => (
            DiagnosticKind::Io {
                path: "git".into(),
                message: message.clone(),
            },
            EXIT_FAILURE,
        ),
    };
    ui.report(format, &[Diagnostic::unplaced(kind)], &SourceMap::default());
    status
}

/// A path for messages: relative to the working directory where possible.
fn display(path: &Path) -> String {
    let cwd = std::env::current_dir().unwrap_or_default();
    path.strip_prefix(&cwd)
        .unwrap_or(path)
        .display()
        .to_string()
}

/// The exit status for a failed pipeline: internal errors are pave's fault.
fn failure_status(diagnostics: &[Diagnostic]) -> i32 {
    let internal = diagnostics.iter().any(|d| {
        matches!(
            *d.kind,
            DiagnosticKind::Internal { .. } | DiagnosticKind::Io { .. }
        )
    });
    if internal { EXIT_FAILURE } else { EXIT_INVALID }
}
