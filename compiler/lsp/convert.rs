//! Between pave's places and the protocol's: file paths and `file:` URIs, byte offsets and LSP
//! positions (a line and a column in UTF-16 code units, the protocol's default encoding; pave's
//! [`SourceFile`] counts columns in characters), and [`Diagnostic`]s.

use std::path::{Path, PathBuf};
use std::str::FromStr as _;

use lsp_types::{
    DiagnosticRelatedInformation, DiagnosticSeverity, Location, NumberOrString, Position, Range,
    Uri,
};
use percent_encoding::{AsciiSet, CONTROLS, percent_decode_str, utf8_percent_encode};

use crate::diagnostic::{Diagnostic, Severity};
use crate::source::{Origin, SourceFile, SourceMap, Span};

/// What a path keeps unescaped in a `file:` URI: RFC 3986's unreserved characters and `/`
/// (VS Code escapes the rest, `:` of a drive letter included).
const PATH: &AsciiSet = &CONTROLS
    .add(b' ')
    .add(b'"')
    .add(b'#')
    .add(b'%')
    .add(b'<')
    .add(b'>')
    .add(b'?')
    .add(b'[')
    .add(b'\\')
    .add(b']')
    .add(b'^')
    .add(b'`')
    .add(b'{')
    .add(b'|')
    .add(b'}')
    .add(b':')
    .add(b';')
    .add(b'=')
    .add(b'@')
    .add(b'&')
    .add(b'+')
    .add(b',')
    .add(b'$')
    .add(b'!')
    .add(b'\'')
    .add(b'(')
    .add(b')')
    .add(b'*');

/// The local path of a `file:` URI (`None` for another scheme).
pub(super) fn uri_to_path(uri: &Uri) -> Option<PathBuf> {
    let rest = uri.as_str().strip_prefix("file://")?;
    // `file:///path` (empty authority) or `file://localhost/path`.
    let path = rest.strip_prefix("localhost").unwrap_or(rest);
    let decoded = percent_decode_str(path).decode_utf8().ok()?;
    // Windows: `/C:/Users/...`.
    let decoded = match decoded.as_bytes() {
        [b'/', drive, b':', ..] if drive.is_ascii_alphabetic() => decoded[1..].to_string(),
        _ => decoded.into_owned(),
    };
    Some(PathBuf::from(decoded))
}

/// The `file:` URI of an absolute path.
pub(super) fn path_to_uri(path: &Path) -> Option<Uri> {
    let text = path.to_string_lossy().replace('\\', "/");
    let slash = if text.starts_with('/') { "" } else { "/" };
    let encoded: String = text
        .split('/')
        .map(|part| utf8_percent_encode(part, PATH).to_string())
        .collect::<Vec<_>>()
        .join("/");
    Uri::from_str(&format!("file://{slash}{encoded}")).ok()
}

/// The LSP position of a byte offset: a 0-based line and the UTF-16 code units before it on
/// that line.
pub(super) fn position(file: &SourceFile, offset: usize) -> Position {
    let (line, line_start) = file.line_and_start(offset);
    let end = offset.min(file.text.len()).max(line_start);
    let prefix = file.text.get(line_start..end).unwrap_or_default();
    Position {
        line: to_u32(line),
        character: to_u32(prefix.encode_utf16().count()),
    }
}

/// The range of a span in its file.
pub(super) fn range(file: &SourceFile, span: Span) -> Range {
    Range {
        start: position(file, span.start as usize),
        end: position(file, span.end as usize),
    }
}

/// The byte offset of an LSP position: a column past the line's end is its end, a line past
/// the file's end is the file's end, and a column inside a surrogate pair is the character's
/// start.
pub(super) fn offset(file: &SourceFile, position: Position) -> usize {
    let Some(line_start) = file.line_start(position.line as usize) else {
        return file.text.len();
    };
    let mut units = 0u32;
    for (i, c) in file.text[line_start..].char_indices() {
        if c == '\n' || units + c.len_utf16() as u32 > position.character {
            return line_start + i;
        }
        units += c.len_utf16() as u32;
    }
    file.text.len()
}

fn to_u32(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// A diagnostic as the protocol shows it, with the name of the file it belongs to (relative to
/// the platform root).
pub(super) struct Placed {
    pub(super) file: String,
    pub(super) diagnostic: lsp_types::Diagnostic,
}

/// Places a diagnostic of `pave check` in a file of the platform. One whose span is in an
/// embedded stdlib file (which has no URI an editor can open) goes to its first related span in
/// the user's files, or else to the top of `pave.yaml`, naming the stdlib place in its message;
/// one with no span (I/O, internal) goes to the top of `pave.yaml` too. So every diagnostic of
/// `pave check` is shown, and none is published to a URI that does not exist.
pub(super) fn place(
    diagnostic: &Diagnostic,
    source_map: &SourceMap,
    root: &Path,
) -> Option<Placed> {
    let kind = &diagnostic.kind;
    let mut message = kind.message();
    let label = kind.label();
    if !label.is_empty() && label != message {
        message.push_str(&format!("\n{label}"));
    }
    if let Some(help) = kind.help() {
        message.push_str(&format!("\nhelp: {help}"));
    }
    let on_disk = |span: &Span| source_map.get(span.file).origin != Origin::Stdlib;
    let (file, primary) = match diagnostic.span {
        Some(span) if on_disk(&span) => {
            let file = source_map.get(span.file);
            (file.name.clone(), range(file, span))
        }
        other => {
            if let Some(span) = other {
                let file = source_map.get(span.file);
                let (line, column) = file.line_col(span.start as usize);
                message.push_str(&format!("\n(in pave's {}:{line}:{column})", file.name));
            }
            match diagnostic.related.iter().find(|(span, _)| on_disk(span)) {
                Some((span, _)) => {
                    let file = source_map.get(span.file);
                    (file.name.clone(), range(file, *span))
                }
                None => (crate::source::ROOT_FILE.to_string(), Range::default()),
            }
        }
    };
    let related: Vec<DiagnosticRelatedInformation> = diagnostic
        .related
        .iter()
        .filter(|(span, _)| on_disk(span))
        .filter_map(|(span, label)| {
            let file = source_map.get(span.file);
            Some(DiagnosticRelatedInformation {
                location: Location::new(path_to_uri(&root.join(&file.name))?, range(file, *span)),
                message: label.clone(),
            })
        })
        .collect();
    Some(Placed {
        file,
        diagnostic: lsp_types::Diagnostic {
            range: primary,
            severity: Some(match diagnostic.severity() {
                Severity::Error => DiagnosticSeverity::ERROR,
                Severity::Warning => DiagnosticSeverity::WARNING,
            }),
            code: Some(NumberOrString::String(kind.code().to_string())),
            source: Some("pave".to_string()),
            message,
            related_information: (!related.is_empty()).then_some(related),
            data: quick_fix(diagnostic, source_map).map(|fix| serde_json::json!({ "fix": fix })),
            ..lsp_types::Diagnostic::default()
        },
    })
}

/// The replacement a diagnostic's "did you mean `X`?" suggests, as the span's new text: the name
/// the message quotes that the span holds, replaced by `X` (a span may hold more than the name,
/// such as a whole `${resources.db.pasword}`). `None` when the help suggests nothing or the span
/// holds none of the quoted names.
fn quick_fix(diagnostic: &Diagnostic, source_map: &SourceMap) -> Option<String> {
    let help = diagnostic.kind.help()?;
    let best = help
        .split_once("did you mean `")?
        .1
        .split_once('`')?
        .0
        .to_string();
    let span = diagnostic.span?;
    let file = source_map.get(span.file);
    if file.origin == Origin::Stdlib {
        return None;
    }
    let text = file.text.get(span.start as usize..span.end as usize)?;
    let message = diagnostic.kind.message();
    let quoted = message.split('`').skip(1).step_by(2);
    let typed = quoted
        .filter(|name| !name.is_empty() && *name != best && text.contains(name))
        .max_by_key(|name| name.len())?;
    Some(text.replacen(typed, &best, 1))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::FileId;

    fn file(text: &str) -> SourceFile {
        SourceFile::new("f.yaml".into(), text.into(), Origin::User)
    }

    #[test]
    fn positions_count_utf16_code_units() {
        let f = file("a: é🚀x\nb: 1\n");
        // `x` follows `a: `, a 1-unit `é` and a 2-unit emoji.
        let x = f.text.find('x').unwrap_or_default();
        assert_eq!(position(&f, x), Position::new(0, 6));
        assert_eq!(offset(&f, Position::new(0, 6)), x);
        assert_eq!(
            position(&f, f.text.find('b').unwrap_or_default()),
            Position::new(1, 0)
        );
        // Past the line's end: the end of the line; past the file's: the end of the file.
        assert_eq!(offset(&f, Position::new(0, 99)), x + 1);
        assert_eq!(offset(&f, Position::new(9, 0)), f.text.len());
        // Inside the surrogate pair: the emoji's start.
        assert_eq!(offset(&f, Position::new(0, 5)), x - 4);
    }

    #[test]
    fn a_stdlib_diagnostic_goes_to_the_users_file_it_relates_to_else_to_pave_yaml() {
        let source_map = crate::source::read_platform_from(
            Path::new("/p"),
            vec![
                ("pave.yaml".into(), b"a: 1\n".to_vec()),
                ("t.yaml".into(), b"x: 1\ny: 2\n".to_vec()),
            ],
        );
        let file = |name: &str| {
            source_map
                .files()
                .find(|(_, f)| f.name == name)
                .map(|(id, _)| id)
        };
        let stdlib = source_map
            .files()
            .find(|(_, f)| f.origin == Origin::Stdlib)
            .map(|(id, _)| id);
        assert!(file("t.yaml").is_some() && stdlib.is_some());
        let user = file("t.yaml").unwrap_or(FileId::new(0));
        let stdlib = stdlib.unwrap_or(FileId::new(0));
        let internal = || crate::diagnostic::DiagnosticKind::Internal {
            message: "m".into(),
        };
        let related = Diagnostic::new(internal(), Span::new(stdlib, 0, 1))
            .with_related(Span::new(user, 5, 9), "set here");
        let placed = place(&related, &source_map, Path::new("/p"));
        assert_eq!(
            placed
                .as_ref()
                .map(|p| (p.file.as_str(), p.diagnostic.range)),
            Some((
                "t.yaml",
                Range::new(Position::new(1, 0), Position::new(1, 4))
            ))
        );
        assert!(placed.is_some_and(|p| p.diagnostic.message.contains("(in pave's stdlib/")));
        let alone = Diagnostic::new(internal(), Span::new(stdlib, 0, 1));
        let placed = place(&alone, &source_map, Path::new("/p"));
        assert_eq!(
            placed.map(|p| (p.file, p.diagnostic.range)),
            Some(("pave.yaml".to_string(), Range::default()))
        );
    }

    #[test]
    fn file_uris_round_trip() {
        let path = Path::new("/tmp/a b/ü#1/pave.yaml");
        let uri = path_to_uri(path);
        assert_eq!(
            uri.as_ref().map(|u| u.as_str().to_string()),
            Some("file:///tmp/a%20b/%C3%BC%231/pave.yaml".to_string())
        );
        assert_eq!(uri.and_then(|u| uri_to_path(&u)), Some(path.to_path_buf()));
    }
}
