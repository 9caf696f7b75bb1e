//! Renderers: human (miette's graphical report) and JSON (for CI).

use std::fmt;

use serde::Serialize;

use super::Diagnostic;
use crate::source::{SourceFile, SourceMap};

/// How human diagnostics look.
#[derive(Debug, Clone, Copy)]
pub struct RenderOptions {
    pub color: bool,
    pub unicode: bool,
    pub width: usize,
}

impl RenderOptions {
    /// The stable form used by golden tests: unicode, no colour, 80 columns.
    pub fn plain() -> Self {
        RenderOptions {
            color: false,
            unicode: true,
            width: 80,
        }
    }
}

/// A diagnostic with its source, as miette wants it.
struct Report<'a> {
    diagnostic: &'a Diagnostic,
    source: Option<&'a SourceFile>,
    message: String,
}

impl fmt::Debug for Report<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl fmt::Display for Report<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Report<'_> {}

impl miette::Diagnostic for Report<'_> {
    fn code<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        Some(Box::new(self.diagnostic.kind.code()))
    }

    fn severity(&self) -> Option<miette::Severity> {
        Some(match self.diagnostic.severity() {
            super::Severity::Error => miette::Severity::Error,
            super::Severity::Warning => miette::Severity::Warning,
        })
    }

    fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        self.diagnostic
            .kind
            .help()
            .map(|help| Box::new(help) as Box<dyn fmt::Display>)
    }

    fn source_code(&self) -> Option<&dyn miette::SourceCode> {
        self.source.map(|file| file as &dyn miette::SourceCode)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = miette::LabeledSpan> + '_>> {
        let span = self.diagnostic.span?;
        let primary =
            miette::LabeledSpan::new_primary_with_span(Some(self.diagnostic.kind.label()), span);
        // Only labels in the same file can be shown in this snippet.
        let related = self
            .diagnostic
            .related
            .iter()
            .filter(move |(other, _)| other.file == span.file)
            .map(|(other, label)| miette::LabeledSpan::new_with_span(Some(label.clone()), *other));
        Some(Box::new(std::iter::once(primary).chain(related)))
    }

    fn related<'a>(&'a self) -> Option<Box<dyn Iterator<Item = &'a dyn miette::Diagnostic> + 'a>> {
        None
    }
}

/// Renders diagnostics as miette reports, one after another.
pub fn render_human(
    diagnostics: &[Diagnostic],
    source_map: &SourceMap,
    options: RenderOptions,
) -> String {
    let theme = match (options.unicode, options.color) {
        (true, true) => miette::GraphicalTheme::unicode(),
        (true, false) => miette::GraphicalTheme::unicode_nocolor(),
        (false, true) => miette::GraphicalTheme::ascii(),
        (false, false) => miette::GraphicalTheme::none(),
    };
    // Lines break at spaces only, and a word longer than the line stays whole: names, paths and
    // `system:serviceaccount:flux-system:...` are copied from messages, and textwrap's defaults
    // split them at hyphens and between `}` and a closing backtick.
    let handler = miette::GraphicalReportHandler::new_themed(theme)
        .with_width(options.width)
        .with_links(false)
        .with_word_separator(textwrap::WordSeparator::AsciiSpace)
        .with_word_splitter(textwrap::WordSplitter::NoHyphenation)
        .with_break_words(false);
    let mut out = String::new();
    for (i, diagnostic) in diagnostics.iter().enumerate() {
        if i > 0 {
            out.push('\n');
        }
        let source = diagnostic.span.map(|span| source_map.get(span.file));
        let mut message = diagnostic.kind.message();
        // Labels in other files cannot be drawn in this snippet: name them in the message.
        for (other, label) in &diagnostic.related {
            if Some(other.file) != diagnostic.span.map(|s| s.file) {
                let file = source_map.get(other.file);
                let (line, column) = file.line_col(other.start as usize);
                message.push_str(&format!("\n  {label}: {}:{line}:{column}", file.name));
            }
        }
        let report = Report {
            diagnostic,
            source,
            message,
        };
        if handler.render_report(&mut out, &report).is_err() {
            out.push_str(&report.message);
            out.push('\n');
        }
    }
    out
}

/// One diagnostic in the JSON format. Documented in the README; fields are stable.
#[derive(Serialize)]
struct JsonDiagnostic<'a> {
    severity: &'static str,
    code: &'a str,
    message: String,
    file: Option<&'a str>,
    line: Option<usize>,
    column: Option<usize>,
    end_line: Option<usize>,
    end_column: Option<usize>,
    path: Option<&'a str>,
    label: String,
    help: Option<String>,
}

/// Renders diagnostics as a JSON document: `{"diagnostics": [...], "errors": N, "warnings": N}`.
pub fn render_json(diagnostics: &[Diagnostic], source_map: &SourceMap) -> String {
    let items: Vec<JsonDiagnostic<'_>> = diagnostics
        .iter()
        .map(|diagnostic| {
            let located = diagnostic.span.map(|span| {
                let file = source_map.get(span.file);
                (
                    file,
                    file.line_col(span.start as usize),
                    file.line_col(span.end as usize),
                )
            });
            JsonDiagnostic {
                severity: diagnostic.severity().as_str(),
                code: diagnostic.kind.code(),
                message: diagnostic.kind.message(),
                file: located.map(|(file, _, _)| file.name.as_str()),
                line: located.map(|(_, start, _)| start.0),
                column: located.map(|(_, start, _)| start.1),
                end_line: located.map(|(_, _, end)| end.0),
                end_column: located.map(|(_, _, end)| end.1),
                path: diagnostic.path.as_deref(),
                label: diagnostic.kind.label(),
                help: diagnostic.kind.help(),
            }
        })
        .collect();
    let errors = diagnostics.iter().filter(|d| d.is_error()).count();
    let report = serde_json::json!({
        "diagnostics": items,
        "errors": errors,
        "warnings": diagnostics.len() - errors,
    });
    let mut text = serde_json::to_string_pretty(&report).unwrap_or_default();
    text.push('\n');
    text
}

/// A line and a column, both 1-based.
type LineCol = (usize, usize);

/// Where a diagnostic is, for the CI formats: file (relative to the platform root), start and
/// end line and column.
fn location<'a>(
    diagnostic: &Diagnostic,
    source_map: &'a SourceMap,
) -> Option<(&'a str, LineCol, LineCol)> {
    let span = diagnostic.span?;
    let file = source_map.get(span.file);
    Some((
        file.name.as_str(),
        file.line_col(span.start as usize),
        file.line_col(span.end as usize),
    ))
}

/// The text of a diagnostic for the CI formats: message, label and help in one line each.
fn full_text(diagnostic: &Diagnostic) -> String {
    let mut text = diagnostic.kind.message();
    text.push_str(&format!(" ({})", diagnostic.kind.label()));
    if let Some(help) = diagnostic.kind.help() {
        text.push_str(&format!("\nhelp: {help}"));
    }
    text
}

/// Renders diagnostics as a SARIF 2.1.0 log (for GitHub code scanning and other SARIF
/// consumers): one rule per code, one result per diagnostic. `prefix` is the platform root
/// relative to the working directory (`examples/techcorp/`, or empty), so that file URIs are
/// relative to where CI runs, usually the repository root.
pub fn render_sarif(diagnostics: &[Diagnostic], source_map: &SourceMap, prefix: &str) -> String {
    let mut rules: Vec<serde_json::Value> = Vec::new();
    let mut rule_index: std::collections::BTreeMap<String, usize> =
        std::collections::BTreeMap::new();
    let mut results = Vec::new();
    for diagnostic in diagnostics {
        let code = diagnostic.kind.code().to_string();
        let level = match diagnostic.severity() {
            super::Severity::Error => "error",
            super::Severity::Warning => "warning",
        };
        let index = *rule_index.entry(code.clone()).or_insert_with(|| {
            let mut rule = serde_json::json!({
                "id": code,
                "shortDescription": {"text": diagnostic.kind.title()},
                "defaultConfiguration": {"level": level},
            });
            if let Some(help) = diagnostic.kind.help() {
                rule["help"] = serde_json::json!({"text": help});
            }
            rules.push(rule);
            rules.len() - 1
        });
        let mut result = serde_json::json!({
            "ruleId": code,
            "ruleIndex": index,
            "level": level,
            "message": {"text": full_text(diagnostic)},
        });
        if let Some((file, start, end)) = location(diagnostic, source_map) {
            result["locations"] = serde_json::json!([{
                "physicalLocation": {
                    "artifactLocation": {"uri": format!("{prefix}{file}")},
                    "region": {
                        "startLine": start.0,
                        "startColumn": start.1,
                        "endLine": end.0,
                        "endColumn": end.1,
                    },
                },
            }]);
        }
        results.push(result);
    }
    sarif_log(rules, results)
}

/// A SARIF 2.1.0 log of one run of pave with these rules and results, as text: the envelope of
/// both the diagnostics' and `pave diff`'s SARIF.
pub fn sarif_log(rules: Vec<serde_json::Value>, results: Vec<serde_json::Value>) -> String {
    let log = serde_json::json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "pave",
                "version": env!("CARGO_PKG_VERSION"),
                "informationUri": "https://pave.dev",
                "rules": rules,
            }},
            "results": results,
        }],
    });
    let mut text = serde_json::to_string_pretty(&log).unwrap_or_default();
    text.push('\n');
    text
}

/// Renders diagnostics as GitHub Actions workflow commands, one line each:
/// `::error file=F,line=L,col=C,endLine=L,endColumn=C,title=CODE::message`, which GitHub shows
/// as annotations on the pull request. `prefix` as for [`render_sarif`].
pub fn render_github(diagnostics: &[Diagnostic], source_map: &SourceMap, prefix: &str) -> String {
    let mut out = String::new();
    for diagnostic in diagnostics {
        let command = match diagnostic.severity() {
            super::Severity::Error => "error",
            super::Severity::Warning => "warning",
        };
        let mut properties = Vec::new();
        if let Some((file, start, end)) = location(diagnostic, source_map) {
            properties.push(format!(
                "file={}",
                github_property(&format!("{prefix}{file}"))
            ));
            properties.push(format!("line={}", start.0));
            properties.push(format!("col={}", start.1));
            properties.push(format!("endLine={}", end.0));
            properties.push(format!("endColumn={}", end.1));
        }
        properties.push(format!("title={}", github_property(diagnostic.kind.code())));
        out.push_str(&format!(
            "::{command} {}::{}\n",
            properties.join(","),
            github_data(&full_text(diagnostic))
        ));
    }
    out
}

/// Escapes a GitHub workflow command's message, as `@actions/core` does (also for `pave diff`).
pub(crate) fn github_data(text: &str) -> String {
    text.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// Escapes a GitHub workflow command's property value.
pub(crate) fn github_property(text: &str) -> String {
    github_data(text).replace(':', "%3A").replace(',', "%2C")
}
