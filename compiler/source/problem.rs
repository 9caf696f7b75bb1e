//! What can be wrong with a source file's bytes before it is parsed, and paths discovery saw
//! but did not read.

/// The largest spec file pave reads. Specs are small (the TechCorp example's largest is a few
/// KiB); a larger file is refused with a diagnostic rather than parsed, which bounds the memory
/// a mistaken or hostile file can take (a parsed tree is several times its text).
pub const MAX_SPEC_BYTES: u64 = 8 * 1024 * 1024;

/// Why a file's bytes are not a spec pave can parse. Each has a byte offset in the file's text
/// (which is the file decoded lossily, identical to it up to that offset).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SourceProblem {
    /// The bytes are not UTF-8 from `offset` on; `encoding` is what they look like instead,
    /// when that can be told (`UTF-16LE` from its byte-order mark or its zero bytes).
    NotUtf8 {
        offset: usize,
        encoding: Option<&'static str>,
    },
    /// A character YAML does not allow in a file (YAML 1.2 §5.1: C0 controls other than tab,
    /// line feed and carriage return, DEL, C1 controls other than NEL, U+FFFE, U+FFFF).
    ControlCharacter { offset: usize, character: char },
    /// Larger than [`MAX_SPEC_BYTES`]; not read.
    TooLarge { size: u64 },
}

impl SourceProblem {
    /// The same problem at another offset (of the text as shown).
    fn at(self, offset: usize) -> Self {
        match self {
            SourceProblem::NotUtf8 { encoding, .. } => SourceProblem::NotUtf8 { offset, encoding },
            SourceProblem::ControlCharacter { character, .. } => {
                SourceProblem::ControlCharacter { offset, character }
            }
            SourceProblem::TooLarge { .. } => self,
        }
    }

    /// Where the problem is in the file's text.
    pub fn offset(self) -> usize {
        match self {
            SourceProblem::NotUtf8 { offset, .. }
            | SourceProblem::ControlCharacter { offset, .. } => offset,
            SourceProblem::TooLarge { .. } => 0,
        }
    }
}

/// A path discovery found among the specs but did not read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Skipped {
    /// Relative to the platform root, `/`-separated.
    pub name: String,
    /// What the symbolic link points to, as written in the link.
    pub target: String,
    /// Whether the link points to a folder (whose specs are then not read either).
    pub is_dir: bool,
}

/// Decodes a file's bytes: the text (lossy where the bytes are not UTF-8) and the first problem.
/// The text of a file with a problem is only shown, never parsed: every character YAML does
/// not allow is replaced by U+FFFD, so a diagnostic's snippet cannot carry a terminal escape.
pub(super) fn decode(bytes: Vec<u8>) -> (String, Option<SourceProblem>) {
    let (text, problem) = decode_raw(bytes);
    match problem {
        Some(problem) if text.contains(|c| !is_yaml_printable(c)) => {
            // A replaced character may be shorter than U+FFFD (a NUL is one byte): the problem's
            // offset moves with the text before it.
            let mut shown = String::with_capacity(text.len());
            let mut moved = None;
            for (offset, c) in text.char_indices() {
                if offset == problem.offset() {
                    moved = Some(shown.len());
                }
                shown.push(if is_yaml_printable(c) { c } else { '\u{FFFD}' });
            }
            let offset = moved.unwrap_or(shown.len());
            (shown, Some(problem.at(offset)))
        }
        _ => (text, problem),
    }
}

fn decode_raw(bytes: Vec<u8>) -> (String, Option<SourceProblem>) {
    match String::from_utf8(bytes) {
        Ok(text) => {
            let problem = first_unprintable(&text)
                .map(|(offset, character)| SourceProblem::ControlCharacter { offset, character });
            // UTF-16 text of ASCII characters is valid UTF-8 with a zero byte every other byte.
            let problem = match problem {
                Some(SourceProblem::ControlCharacter { offset, .. })
                    if utf16_without_bom(text.as_bytes()).is_some() =>
                {
                    Some(SourceProblem::NotUtf8 {
                        offset,
                        encoding: utf16_without_bom(text.as_bytes()),
                    })
                }
                other => other,
            };
            (text, problem)
        }
        Err(error) => {
            let offset = error.utf8_error().valid_up_to();
            let bytes = error.into_bytes();
            let encoding = match bytes.as_slice() {
                [0xFF, 0xFE, ..] => Some("UTF-16LE"),
                [0xFE, 0xFF, ..] => Some("UTF-16BE"),
                other => utf16_without_bom(other),
            };
            let text = String::from_utf8_lossy(&bytes).into_owned();
            (text, Some(SourceProblem::NotUtf8 { offset, encoding }))
        }
    }
}

/// The first character YAML does not allow, with its offset. Printable ASCII, nearly all of a
/// spec, is passed over byte by byte; only the other bytes are decoded and checked as characters
/// (a character by character scan of every file was most of reading a large platform).
fn first_unprintable(text: &str) -> Option<(usize, char)> {
    let bytes = text.as_bytes();
    let mut from = 0;
    loop {
        let at = from
            + bytes
                .get(from..)?
                .iter()
                .position(|&b| !matches!(b, b'\t' | b'\n' | b'\r' | b' '..=b'~'))?;
        // Every byte before `at` is ASCII or ends a character checked below, so `at` starts one.
        let character = text.get(at..)?.chars().next()?;
        if !is_yaml_printable(character) {
            return Some((at, character));
        }
        from = at + character.len_utf8();
    }
}

/// `UTF-16LE` or `UTF-16BE` when the first bytes are ASCII characters with zero bytes between.
fn utf16_without_bom(bytes: &[u8]) -> Option<&'static str> {
    let head = &bytes[..bytes.len().min(64) & !1];
    if head.len() < 4 {
        return None;
    }
    let pairs = || head.chunks_exact(2);
    if pairs().all(|p| p[1] == 0 && p[0] != 0) {
        Some("UTF-16LE")
    } else if pairs().all(|p| p[0] == 0 && p[1] != 0) {
        Some("UTF-16BE")
    } else {
        None
    }
}

/// YAML 1.2's `c-printable` (§5.1), which every character of a YAML stream must be.
fn is_yaml_printable(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | ' '..='~' | '\u{85}' | '\u{A0}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn problem(bytes: &[u8]) -> Option<SourceProblem> {
        decode(bytes.to_vec()).1
    }

    #[test]
    fn utf8_text_has_no_problem() {
        assert_eq!(problem("name: café # ✓\n\t\r\n".as_bytes()), None);
    }

    #[test]
    fn finds_the_first_byte_that_is_not_utf8() {
        assert_eq!(
            problem(b"a: 1\nb: caf\xe9\n"),
            Some(SourceProblem::NotUtf8 {
                offset: 11,
                encoding: None
            })
        );
    }

    #[test]
    fn tells_utf16_with_and_without_a_byte_order_mark() {
        let with_bom = problem(b"\xff\xfek\x00i\x00");
        assert_eq!(
            with_bom,
            Some(SourceProblem::NotUtf8 {
                offset: 0,
                encoding: Some("UTF-16LE")
            })
        );
        let without = problem(b"k\x00i\x00n\x00d\x00");
        assert_eq!(
            without,
            Some(SourceProblem::NotUtf8 {
                offset: 1,
                encoding: Some("UTF-16LE")
            })
        );
    }

    #[test]
    fn a_bad_byte_after_a_nul_is_at_its_place_in_the_text_shown() {
        let (text, problem) = decode(b"a: \x00\nb: caf\xe9\n".to_vec());
        let offset = problem.map_or(usize::MAX, SourceProblem::offset);
        assert_eq!(text.get(offset..), Some("\u{FFFD}\n"));
    }

    /// The byte-wise scan finds what a scan of every character finds, on ASCII, other text and
    /// each kind of character YAML refuses, anywhere.
    #[test]
    fn the_first_unprintable_character_is_found_as_a_character_scan_finds_it() {
        let by_character = |text: &str| text.char_indices().find(|&(_, c)| !is_yaml_printable(c));
        let bad = [
            '\0', '\u{1B}', '\u{7F}', '\u{80}', '\u{9F}', '\u{FFFE}', '\u{FFFF}',
        ];
        for tail in ["", "café ✓ 𝄞 \u{85}\u{A0}", "\t\r\n"] {
            assert_eq!(first_unprintable(tail), by_character(tail));
            for bad in bad {
                for text in [
                    format!("{bad}{tail}"),
                    format!("a: é{bad}{tail}"),
                    format!("{tail}{bad}x{bad}"),
                ] {
                    assert_eq!(first_unprintable(&text), by_character(&text), "{text:?}");
                    assert!(first_unprintable(&text).is_some(), "{text:?}");
                }
            }
        }
    }

    #[test]
    fn a_nul_byte_is_a_control_character_not_a_tab() {
        assert_eq!(
            problem(b"a: 1\nb: x\x00\n"),
            Some(SourceProblem::ControlCharacter {
                offset: 9,
                character: '\0'
            })
        );
    }

    #[test]
    fn shown_text_has_no_control_characters() {
        let (text, _) = decode(b"a: \x1b[31m\x00".to_vec());
        assert_eq!(text, "a: \u{FFFD}[31m\u{FFFD}");
    }

    #[test]
    fn lossy_text_keeps_offsets_up_to_the_problem() {
        let (text, _) = decode(b"ab\xffcd".to_vec());
        assert_eq!(&text[..2], "ab");
    }
}
