//! Literal secrets, recognised natively: the known token formats and the random-looking values
//! the `literal-secret` rule (`stdlib/policies/literal-secret.rego`) reports, and `pave diff`
//! hides (`diff/secret.rs`). Matching them in Rego cost a regex compilation per value (regorus
//! compiles a `regex.match` pattern on every call, or clones a cached one with cold lazy-DFA
//! state), seconds on a Service with thousands of variables; here each pattern is compiled once
//! and a value costs one match. The rule reads the result as `data.pave.secrets` ([`scan`]) and
//! keeps deciding which values count, where they are reported and that a waiver applies.

use std::collections::BTreeMap;
use std::sync::LazyLock;

use regex::Regex;
use regorus::Value;
use serde_json::Value as Json;

use super::value::string;

/// Known token formats, by what they are: each specific enough to be a credential wherever it
/// appears (after gitleaks' and GitHub secret scanning's rules).
pub(crate) const FORMATS: &[(&str, &str)] = &[
    (
        "AWS access key id",
        r"\b(AKIA|ASIA|ABIA|ACCA)[0-9A-Z]{16}\b",
    ),
    (
        "GitHub token",
        r"\b(gh[pousr]_[A-Za-z0-9]{36,}|github_pat_[A-Za-z0-9_]{22,})",
    ),
    ("Stripe live key", r"\b[rs]k_live_[0-9A-Za-z]{16,}"),
    ("Slack token", r"\bxox[abposr]-[0-9A-Za-z-]{10,}"),
    ("Google API key", r"\bAIza[0-9A-Za-z_-]{35}"),
    ("private key", PRIVATE_KEY),
    (
        "JSON web token",
        r"\beyJ[A-Za-z0-9_-]{10,}\.eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}",
    ),
    (
        "password in a URL",
        r"[A-Za-z][A-Za-z0-9+.-]*://[^/\s:@]+:[^/\s@$]+@",
    ),
];

/// The PEM header of a private key (one of [`FORMATS`]).
pub(crate) const PRIVATE_KEY: &str = r"-----BEGIN ([A-Z0-9]+ )*PRIVATE KEY( BLOCK)?-----";

/// Names under which a value is a credential.
pub(crate) const SECRET_NAME: &str = r"(?i)(passw(or)?d|pwd|secret|token|api[_-]?key|access[_-]?key|private[_-]?key|credential|auth)";

/// A reference rather than a value: a placeholder, an ARN, a path, a URL, text with spaces.
const REFERENCE: &str = r"\$\{|^arn:|^/|://|\s";

/// The patterns, compiled once. `None` only if a constant above stopped compiling, which a unit
/// test rules out; nothing is then recognised rather than pave failing.
struct Patterns {
    /// Every format in one alternation: a value that matches none costs one match.
    any: Regex,
    each: Vec<(&'static str, Regex)>,
    private_key: Regex,
    name: Regex,
    reference: Regex,
}

static PATTERNS: LazyLock<Option<Patterns>> = LazyLock::new(|| {
    let alternation = FORMATS
        .iter()
        .map(|(_, pattern)| format!("(?:{pattern})"))
        .collect::<Vec<_>>()
        .join("|");
    Some(Patterns {
        any: Regex::new(&alternation).ok()?,
        each: FORMATS
            .iter()
            .map(|&(what, pattern)| Some((what, Regex::new(pattern).ok()?)))
            .collect::<Option<_>>()?,
        private_key: Regex::new(PRIVATE_KEY).ok()?,
        name: Regex::new(SECRET_NAME).ok()?,
        reference: Regex::new(REFERENCE).ok()?,
    })
});

/// Whether a string holds a known token format.
pub(crate) fn has_token(value: &str) -> bool {
    PATTERNS.as_ref().is_some_and(|p| p.any.is_match(value))
}

/// The first of [`FORMATS`] a string holds, by what it is.
pub(crate) fn token_format(value: &str) -> Option<&'static str> {
    let patterns = PATTERNS.as_ref()?;
    if !patterns.any.is_match(value) {
        return None;
    }
    patterns
        .each
        .iter()
        .find(|(_, re)| re.is_match(value))
        .map(|(what, _)| *what)
}

/// Where a PEM private key starts in a line.
pub(crate) fn private_key_start(line: &str) -> Option<usize> {
    PATTERNS
        .as_ref()
        .and_then(|p| p.private_key.find(line))
        .map(|m| m.start())
}

/// `line` with every known token replaced by `mask`.
pub(crate) fn replace_tokens<'a>(line: &'a str, mask: &str) -> std::borrow::Cow<'a, str> {
    match PATTERNS.as_ref() {
        Some(p) => p.any.replace_all(line, mask),
        None => std::borrow::Cow::Borrowed(line),
    }
}

/// Whether a variable or data key names a secret (`DB_PASSWORD`, `API_TOKEN`).
pub(crate) fn is_secret_name(name: &str) -> bool {
    PATTERNS.as_ref().is_some_and(|p| p.name.is_match(name))
}

/// Whether a value looks random, as a password or key does: at least 12 characters of three
/// kinds (lower case, upper case, digits, symbols) with 8 different ones, and not a reference.
pub(crate) fn is_random_looking(value: &str) -> bool {
    let mut kinds = [false; 4];
    let mut distinct = Vec::new();
    let mut n = 0;
    for c in value.chars() {
        n += 1;
        let kind = if c.is_ascii_lowercase() {
            0
        } else if c.is_ascii_uppercase() {
            1
        } else if c.is_ascii_digit() {
            2
        } else {
            3
        };
        if let Some(seen) = kinds.get_mut(kind) {
            *seen = true;
        }
        if distinct.len() < 8 && !distinct.contains(&c) {
            distinct.push(c);
        }
    }
    n >= 12
        && kinds.iter().filter(|&&seen| seen).count() >= 3
        && distinct.len() >= 8
        && !PATTERNS
            .as_ref()
            .is_none_or(|p| p.reference.is_match(value))
}

/// `data.pave.secrets` of a spec document: each string in it that holds a known token format or
/// looks random, in document order, as `{"path": [...], "format": ..., "randomLooking": ...,
/// "secretName": ...}`: its path from the document's root (keys and indices), the format it
/// holds (absent if none), whether it looks random, and whether its key names a secret. Each
/// string is matched once here, so a rule's work is in proportion to what is found, not to the
/// document's size.
pub(super) fn scan(document: &Json) -> Value {
    let mut found = Vec::new();
    let mut path = Vec::new();
    visit(document, &mut path, &mut found);
    Value::from(found)
}

/// Depth-first in document order; the parser refuses nesting deeper than 128 levels.
fn visit(node: &Json, path: &mut Vec<Value>, found: &mut Vec<Value>) {
    match node {
        Json::String(text) => {
            let format = token_format(text);
            let random = is_random_looking(text);
            if format.is_none() && !random {
                return;
            }
            let secret_name = path
                .last()
                .and_then(|key| key.as_string().ok())
                .is_some_and(|key| is_secret_name(key));
            let mut entry = BTreeMap::new();
            entry.insert(string("path"), Value::from(path.clone()));
            if let Some(format) = format {
                entry.insert(string("format"), string(format));
            }
            entry.insert(string("randomLooking"), Value::from(random));
            entry.insert(string("secretName"), Value::from(secret_name));
            found.push(Value::from(entry));
        }
        Json::Array(items) => {
            for (index, item) in items.iter().enumerate() {
                path.push(Value::from(index));
                visit(item, path, found);
                path.pop();
            }
        }
        Json::Object(map) => {
            for (key, value) in map {
                path.push(string(key));
                visit(value, path, found);
                path.pop();
            }
        }
        Json::Null | Json::Bool(_) | Json::Number(_) => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_pattern_compiles() {
        assert!(PATTERNS.is_some());
    }

    #[test]
    fn names_each_format() {
        let cases = [
            ("AKIAIOSFODNN7EXAMPLE", "AWS access key id"),
            ("ghp_abcdefghijklmnopqrstuvwxyzABCDEFGHIJ", "GitHub token"),
            ("x sk_live_abcdefghijklmnop1234", "Stripe live key"),
            ("xoxb-1234567890-abcdefghij", "Slack token"),
            ("AIzaSyA1234567890abcdefghijklmnopqrstuv", "Google API key"),
            ("-----BEGIN RSA PRIVATE KEY-----\nMIIE", "private key"),
            ("postgres://app:s3cr3t@db:5432/app", "password in a URL"),
        ];
        for (value, what) in cases {
            assert_eq!(token_format(value), Some(what), "{value}");
        }
        assert_eq!(
            token_format("postgres://app:${resources.db.password}@db"),
            None
        );
        assert_eq!(token_format("info"), None);
    }

    #[test]
    fn random_looking_values_are_not_references_or_words() {
        assert!(is_random_looking("hX9#kq2!Lm8zP4vW"));
        assert!(is_random_looking("Zq8$wE3rT6yU9iO1pA"));
        assert!(!is_random_looking("hX9#kq2!Lm8")); // 11 characters
        assert!(!is_random_looking("aaaaaaaaaaaaAAAA1111")); // 3 different ones
        assert!(!is_random_looking("correcthorsebattery")); // one kind
        assert!(!is_random_looking("${resources.db.password}"));
        assert!(!is_random_looking(
            "arn:aws:secretsmanager:us-east-1:1:secret:Xy9"
        ));
        assert!(!is_random_looking("/run/Secrets/Key-2024"));
        assert!(!is_random_looking("Hello World 2024!"));
    }

    #[test]
    fn scan_lists_the_secret_looking_strings_with_their_paths() {
        let document = serde_json::json!({
            "spec": {
                "env": {"A": "AKIAIOSFODNN7EXAMPLE", "DB_PASSWORD": "hX9#kq2!Lm8zP4vW", "LOG": "info"},
                "args": ["x", "ghp_abcdefghijklmnopqrstuvwxyzABCDEFGHIJ"]
            }
        });
        let scanned = scan(&document).to_json_str().unwrap_or_default();
        let expected = serde_json::json!([
            {"path": ["spec", "env", "A"], "format": "AWS access key id", "randomLooking": false, "secretName": false},
            {"path": ["spec", "env", "DB_PASSWORD"], "randomLooking": true, "secretName": true},
            {"path": ["spec", "args", 1], "format": "GitHub token", "randomLooking": true, "secretName": false}
        ]);
        let scanned: Json = serde_json::from_str(&scanned).unwrap_or_default();
        assert_eq!(scanned, expected);
    }
}
