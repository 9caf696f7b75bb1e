//! Score placeholders, exactly as Score defines them (score-go's `framework/substitution.go`):
//! `${path}` is a placeholder, `$$` is a literal `$` (so `$${x}` is the literal text `${x}`), any
//! other `$` is itself, and a `${` without a closing `}` is text. The path splits on `.`, and `\.`
//! is a literal dot within a key (`${metadata.annotations.example\.com/team}`).

use std::ops::Range;

use crate::source::Span;

/// A piece of a string: text (escapes already undone) or a placeholder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Piece {
    Text(String),
    Placeholder {
        /// What stands between `${` and `}`, as written.
        inner: String,
        /// The byte range of the whole `${...}` in the string.
        range: Range<usize>,
    },
}

/// Splits a string into text and placeholders.
pub fn pieces(value: &str) -> Vec<Piece> {
    let mut out = Vec::new();
    let mut text = String::new();
    let bytes = value.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] != b'$' {
            // Copy up to the next `$` (a char boundary: `$` is ASCII).
            let next = value[i..].find('$').map_or(value.len(), |n| i + n);
            text.push_str(&value[i..next]);
            i = next;
            continue;
        }
        match bytes.get(i + 1) {
            Some(b'$') => {
                text.push('$');
                i += 2;
            }
            Some(b'{') => match value[i + 2..].find('}') {
                Some(close) => {
                    let end = i + 2 + close;
                    if !text.is_empty() {
                        out.push(Piece::Text(std::mem::take(&mut text)));
                    }
                    out.push(Piece::Placeholder {
                        inner: value[i + 2..end].to_string(),
                        range: i..end + 1,
                    });
                    i = end + 1;
                }
                None => {
                    text.push('$');
                    i += 1;
                }
            },
            _ => {
                text.push('$');
                i += 1;
            }
        }
    }
    if !text.is_empty() {
        out.push(Piece::Text(text));
    }
    out
}

/// The parts of a placeholder path: split on `.`, with `\.` a dot inside a part.
pub fn path_parts(inner: &str) -> Vec<String> {
    let mut parts = vec![String::new()];
    let mut chars = inner.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' if chars.peek() == Some(&'.') => {
                chars.next();
                if let Some(last) = parts.last_mut() {
                    last.push('.');
                }
            }
            '.' => parts.push(String::new()),
            c => {
                if let Some(last) = parts.last_mut() {
                    last.push(c);
                }
            }
        }
    }
    parts
}

/// The span in the source of bytes `range` of a string scalar whose node spans `node_span`, where
/// `source` is the file's text. A plain or quoted scalar without escapes maps exactly; otherwise
/// the same text is looked for in the node's source (the `n`-th time it occurs in the value is
/// the `n`-th in the source); failing that, the whole node.
pub(super) fn span_within(source: &str, node_span: Span, value: &str, range: Range<usize>) -> Span {
    let (start, end) = (node_span.start as usize, node_span.end as usize);
    let raw = source.get(start..end).unwrap_or("");
    let whole = node_span;
    let at = |offset: usize| {
        Span::new(
            node_span.file,
            start + offset + range.start,
            start + offset + range.end,
        )
    };
    if raw == value {
        return at(0);
    }
    let quoted = raw.len() >= 2
        && (raw.starts_with('"') || raw.starts_with('\''))
        && raw.get(1..raw.len() - 1) == Some(value);
    if quoted {
        return at(1);
    }
    let Some(needle) = value.get(range.clone()) else {
        return whole;
    };
    let nth = value[..range.start].matches(needle).count();
    match raw.match_indices(needle).nth(nth) {
        Some((offset, _)) => Span::new(
            node_span.file,
            start + offset,
            start + offset + needle.len(),
        ),
        None => whole,
    }
}

#[cfg(test)]
mod tests {
    use super::{Piece, path_parts, pieces};

    fn render(value: &str) -> String {
        pieces(value)
            .into_iter()
            .map(|p| match p {
                Piece::Text(t) => t,
                Piece::Placeholder { inner, .. } => format!("<{inner}>"),
            })
            .collect()
    }

    #[test]
    fn dollars_and_placeholders_read_as_score_reads_them() {
        // The cases of score-go's TestSubstituteString.
        assert_eq!(render(""), "");
        assert_eq!(render("abc"), "abc");
        assert_eq!(render("$abc"), "$abc");
        assert_eq!(render("abc $$ abc"), "abc $ abc");
        assert_eq!(render("$${abc}"), "${abc}");
        assert_eq!(render("$$${abc}"), "$<abc>");
        assert_eq!(render("$$$${abc}"), "$${abc}");
        assert_eq!(render("$$$$${abc}"), "$$<abc>");
        assert_eq!(
            render("my name is ${metadata.name}"),
            "my name is <metadata.name>"
        );
        assert_eq!(render("${}"), "<>");
        assert_eq!(render("unclosed ${x"), "unclosed ${x");
    }

    #[test]
    fn placeholder_ranges_cover_the_braces() {
        let found = pieces("a ${b} c");
        assert_eq!(
            found[1],
            Piece::Placeholder {
                inner: "b".into(),
                range: 2..6
            }
        );
    }

    #[test]
    fn escaped_dots_stay_in_the_key() {
        assert_eq!(
            path_parts("metadata.annotations.key\\.com/foo-bar"),
            ["metadata", "annotations", "key.com/foo-bar"]
        );
        assert_eq!(path_parts("a..b"), ["a", "", "b"]);
    }
}
