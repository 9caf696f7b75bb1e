//! Secret-looking values, hidden in every diff format: known token formats anywhere, and the
//! values of variables named like secrets. The formats are the `literal-secret` rule's
//! (`policy::secret`), which fails a compile that would write one; a diff still hides them, for
//! the waived ones and for trees written before the rule.

use std::borrow::Cow;
use std::sync::LazyLock;

use regex::Regex;

use super::fields::MASK;
pub(super) use crate::policy::secret::{has_token, is_secret_name};
use crate::policy::secret::{private_key_start, replace_tokens};

/// A YAML line `KEY: value` (a ConfigMap's data) or `value: ...` after `- name: KEY`.
static ENTRY: LazyLock<Option<Regex>> =
    LazyLock::new(|| Regex::new(r"^(\s*(?:- )?(?:name: )?)([A-Za-z0-9_.-]+)(: ?)(.+)$").ok());

/// The key a field path's value belongs to, when it is a variable's: `data.KEY`,
/// `...env[name=KEY].value`, `...variables.KEY`.
pub(super) fn variable_of(path: &str) -> Option<&str> {
    if let Some(rest) = path.strip_suffix("].value") {
        return rest.rsplit_once("env[name=").map(|(_, name)| name);
    }
    let (parent, key) = path.rsplit_once('.')?;
    (parent == "data" || parent == "stringData" || parent.ends_with("variables")).then_some(key)
}

/// `text` with every secret-looking value replaced by the mask: known token formats anywhere,
/// the value on a line `KEY: value` whose key names a secret, and the lines of a PEM private
/// key block. For the exact (unified) diffs, which show whole lines.
pub(super) fn mask_text(text: &str) -> Cow<'_, str> {
    let sensitive = has_token(text) || text.lines().any(|line| secret_line(line).is_some());
    if !sensitive {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    let mut in_key = false;
    for line in text.split_inclusive('\n') {
        let (body, end) = match line.strip_suffix('\n') {
            Some(body) => (body, "\n"),
            None => (line, ""),
        };
        if in_key {
            if body.contains("-----END") {
                in_key = false;
            }
            out.push_str(&leading_space(body));
            out.push_str(MASK);
        } else if let Some(prefix) = secret_line(body) {
            out.push_str(prefix);
            out.push_str(MASK);
        } else if let Some(start) = private_key_start(body) {
            // The rest of the line (a quoted key with `\n` escapes), and the lines up to the end
            // of the block (a literal block).
            out.push_str(&body[..start]);
            out.push_str(MASK);
            in_key = !body[start..].contains("-----END");
        } else {
            out.push_str(&replace_tokens(body, MASK));
        }
        out.push_str(end);
    }
    Cow::Owned(out)
}

/// The line up to its value, when the line is `KEY: value`, the key a variable's (upper case,
/// `DB_PASSWORD`) with a secret's name and the value text (not a boolean, number, block
/// indicator or empty collection, so `automountServiceAccountToken: false` stays shown).
fn secret_line(line: &str) -> Option<&str> {
    let captures = ENTRY.as_ref()?.captures(line)?;
    let key = captures.get(2)?.as_str();
    let value = captures.get(4)?.as_str().trim();
    let is_variable = key
        .chars()
        .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_');
    let is_text = !value.is_empty()
        && !matches!(
            value,
            "|" | "|-" | ">" | ">-" | "{}" | "[]" | "true" | "false" | "null"
        )
        && value.parse::<f64>().is_err();
    (is_variable && is_secret_name(key) && is_text)
        .then(|| &line[..captures.get(4).map_or(0, |m| m.start())])
}

fn leading_space(line: &str) -> String {
    line.chars().take_while(|c| c.is_whitespace()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_tokens_secret_names_and_private_keys() {
        let text = "data:\n  A: AKIAIOSFODNN7EXAMPLE\n  DB_PASSWORD: hunter2hunter2\n  LOG: info\n  URL: postgres://u:p4ss@db/x\n  KEY: |\n    -----BEGIN RSA PRIVATE KEY-----\n    MIIE\n    -----END RSA PRIVATE KEY-----\n";
        let masked = mask_text(text);
        assert!(!masked.contains("AKIA"), "{masked}");
        assert!(!masked.contains("hunter2"), "{masked}");
        assert!(!masked.contains("p4ss"), "{masked}");
        assert!(!masked.contains("MIIE"), "{masked}");
        assert!(masked.contains("LOG: info"), "{masked}");
        assert_eq!(mask_text("a: b\n"), "a: b\n");
        let settings = "automountServiceAccountToken: false\n  TOKEN_TTL: 3600\n";
        assert_eq!(mask_text(settings), settings);
    }

    #[test]
    fn finds_the_variable_of_a_path() {
        assert_eq!(variable_of("data.DB_PASSWORD"), Some("DB_PASSWORD"));
        assert_eq!(
            variable_of("spec.template.spec.containers[name=api].env[name=API_TOKEN].value"),
            Some("API_TOKEN")
        );
        assert_eq!(variable_of("spec.replicas"), None);
    }
}
