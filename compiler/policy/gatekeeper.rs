//! The rules on Kubernetes objects as OPA Gatekeeper runs them: the same rule source, adapted.
//!
//! Gatekeeper evaluates a template's Rego with `input.review.object` (the object) and
//! `input.parameters` (the Constraint's parameters), and reads a `violation` set of
//! `{"msg": ...}`; it allows no `data` but `data.lib.*` (libraries) and `data.inventory`. So each
//! rule's source and the libraries it imports are rewritten token by token, outside strings and
//! comments: `input` becomes `input.review.object`, `data.pave` becomes
//! `input.parameters.pave` (the cluster's context, which the Constraint carries), and the rule's
//! package becomes the template's. An adapter appended to the rule turns its `deny` and `warn`
//! findings into `violation`s, skipping the objects a waiver covers (`input.parameters.waivers`).
//! No rule is kept twice by hand: the template is derived from the file pave evaluates. The
//! result is plain data (`lower::GatekeeperRule`), handed to `lower` by the pipeline; the test
//! in `gatekeeper_parity.rs` checks that each template decides as its rule on the example.

use std::collections::BTreeSet;

use super::{PolicySet, Rule};
use crate::lower::GatekeeperRule;

/// The enabled rules on Kubernetes objects that Gatekeeper can run: not those marked
/// `custom.gatekeeper: false` (those that need what Gatekeeper, one object at a time, cannot
/// see, such as `data.pave.related`), nor those defining `violation` themselves.
pub fn gatekeeper_rules(policies: &PolicySet) -> Vec<GatekeeperRule> {
    let libraries: Vec<(&str, &str)> = policies
        .libraries
        .iter()
        .map(|(package, source)| (package.as_str(), source.as_str()))
        .collect();
    policies
        .kubernetes_rules()
        .filter(|(rule, source)| rule.gatekeeper && !defines(source, "violation"))
        .map(|(rule, source)| adapt(rule, source, &libraries))
        .collect()
}

fn adapt(rule: &Rule, source: &str, libraries: &[(&str, &str)]) -> GatekeeperRule {
    let kind = constraint_kind(&rule.id);
    let package = kind.to_lowercase();
    let mut rego = rewrite(source, Some(&package));
    rego.push_str(&adapter(source));
    let libs = libraries
        .iter()
        .filter(|(lib, _)| source.contains(&format!("data.{lib}")))
        .map(|(_, lib_source)| rewrite(lib_source, None))
        .collect();
    let kinds = rule
        .kinds
        .iter()
        .map(|k| match k.rsplit_once('/') {
            Some((group, kind)) => (group.to_string(), kind.to_string()),
            None => (String::new(), k.clone()),
        })
        .collect();
    let mut reads = context_keys(source);
    for (lib, lib_source) in libraries {
        if source.contains(&format!("data.{lib}")) {
            reads.extend(context_keys(lib_source));
        }
    }
    GatekeeperRule {
        id: rule.id.clone(),
        kind,
        title: rule.title.clone(),
        description: rule.description.clone(),
        severity: rule.severity,
        rego,
        libs,
        kinds,
        parameters: rule.parameters.as_ref().map(|p| p.schema.clone()),
        reads,
    }
}

/// The keys of `data.pave` a policy's source names: `data.pave.declared.x` and
/// `object.get(data.pave, "declared", ...)` (or `["declared", ...]`) -> `declared`.
fn context_keys(source: &str) -> BTreeSet<String> {
    let ident = |text: &str| -> String {
        text.chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .collect()
    };
    source
        .match_indices("data.pave")
        .filter_map(|(at, found)| {
            let rest = source.get(at + found.len()..)?;
            let key = if let Some(rest) = rest.strip_prefix('.') {
                ident(rest)
            } else {
                let rest = rest.trim_start().strip_prefix(',')?.trim_start();
                let rest = rest.strip_prefix('[').unwrap_or(rest).trim_start();
                ident(rest.strip_prefix('"')?)
            };
            (!key.is_empty()).then_some(key)
        })
        .collect()
}

/// `image-tag-pinned` -> `PaveImageTagPinned`.
fn constraint_kind(id: &str) -> String {
    let mut kind = String::from("Pave");
    for part in id.split('-') {
        let mut chars = part.chars();
        if let Some(first) = chars.next() {
            kind.extend(first.to_uppercase());
            kind.push_str(chars.as_str());
        }
    }
    kind
}

/// The rules that turn the rule's findings into Gatekeeper's `violation`s.
fn adapter(source: &str) -> String {
    let mut out = String::from(
        "\n# Added by pave for Gatekeeper: the findings above as violations, except on waived objects.\n",
    );
    for set in ["deny", "warn"] {
        if defines(source, set) {
            out.push_str(&format!(
                "\nviolation contains {{\"msg\": pave_message(finding)}} if {{\n\tnot pave_waived\n\tsome finding in {set}\n}}\n"
            ));
        }
    }
    out.push_str(
        "
pave_message(finding) := finding if is_string(finding)

pave_message(finding) := finding.msg if is_object(finding)

pave_waived if {
	some waiver in object.get(input.parameters, \"waivers\", [])
	waiver.namespace == input.review.object.metadata.namespace
	pave_service_waived(waiver)
}

pave_service_waived(waiver) if not waiver.service

pave_service_waived(waiver) if {
	waiver.service == input.review.object.metadata.labels[\"app.kubernetes.io/name\"]
}
",
    );
    out
}

/// Whether the source defines the rule `name` at the start of a line.
fn defines(source: &str, name: &str) -> bool {
    source.lines().any(|line| {
        line.strip_prefix(name)
            .is_some_and(|rest| rest.starts_with([' ', '[', '{', ':', '=']))
    })
}

/// Rewrites a policy's Rego for Gatekeeper (see the module doc); with `package`, its package
/// line too.
fn rewrite(source: &str, package: Option<&str>) -> String {
    let mut out = String::with_capacity(source.len() + 256);
    let chars: Vec<char> = source.chars().collect();
    let mut i = 0;
    let mut at_line_start = true;
    while let Some(&c) = chars.get(i) {
        if at_line_start && let Some(package) = package {
            let rest: String = chars
                .get(i..i + 8)
                .map(|s| s.iter().collect())
                .unwrap_or_default();
            if rest == "package " {
                out.push_str("package ");
                out.push_str(package);
                while chars.get(i).is_some_and(|&c| c != '\n') {
                    i += 1;
                }
                continue;
            }
        }
        at_line_start = c == '\n';
        match c {
            '#' => {
                while let Some(&c) = chars.get(i) {
                    if c == '\n' {
                        break;
                    }
                    out.push(c);
                    i += 1;
                }
            }
            '"' => {
                out.push(c);
                i += 1;
                while let Some(&c) = chars.get(i) {
                    out.push(c);
                    i += 1;
                    if c == '\\' {
                        if let Some(&next) = chars.get(i) {
                            out.push(next);
                            i += 1;
                        }
                    } else if c == '"' {
                        break;
                    }
                }
            }
            '`' => {
                out.push(c);
                i += 1;
                while let Some(&c) = chars.get(i) {
                    out.push(c);
                    i += 1;
                    if c == '`' {
                        break;
                    }
                }
            }
            c if c.is_alphabetic() || c == '_' => {
                let start = i;
                while chars
                    .get(i)
                    .is_some_and(|c| c.is_alphanumeric() || *c == '_')
                {
                    i += 1;
                }
                let word: String = chars
                    .get(start..i)
                    .map(|s| s.iter().collect())
                    .unwrap_or_default();
                let after_dot = start > 0 && chars.get(start - 1) == Some(&'.');
                let next: String = chars
                    .get(i..i + 5)
                    .map(|s| s.iter().collect())
                    .unwrap_or_default();
                let ends = |at: usize| {
                    !chars
                        .get(at)
                        .is_some_and(|c| c.is_alphanumeric() || *c == '_')
                };
                if !after_dot && word == "input" {
                    out.push_str("input.review.object");
                } else if !after_dot && word == "data" && next == ".pave" && ends(i + 5) {
                    out.push_str("input.parameters.pave");
                    i += 5;
                } else {
                    out.push_str(&word);
                }
            }
            c => {
                out.push(c);
                i += 1;
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn input_and_context_are_rewritten_outside_strings_and_comments() {
        let source = "# METADATA about input\npackage guardrails.x\n\nimport rego.v1\n\ndeny contains \"input data.pave\" if {\n\tinput.kind == \"Pod\"\n\tdata.pave.tier == \"production\"\n\tobject.get(data.pave.parameters, \"x\", input)\n\tx := my.input\n\tdata.paved\n}\n";
        assert_eq!(
            rewrite(source, Some("paveimagetagpinned")),
            "# METADATA about input\npackage paveimagetagpinned\n\nimport rego.v1\n\ndeny contains \"input data.pave\" if {\n\tinput.review.object.kind == \"Pod\"\n\tinput.parameters.pave.tier == \"production\"\n\tobject.get(input.parameters.pave.parameters, \"x\", input.review.object)\n\tx := my.input\n\tdata.paved\n}\n"
        );
    }

    #[test]
    fn the_context_keys_a_rule_reads_are_found() {
        let source = "x := data.pave.declared.publicIngress\ny := object.get(data.pave, \"autoscaled\", [])\nz := data.pave.tier\nw := data.paved\n";
        assert_eq!(
            context_keys(source).into_iter().collect::<Vec<_>>(),
            ["autoscaled", "declared", "tier"]
        );
    }

    #[test]
    fn constraint_kinds_are_camel_case() {
        assert_eq!(constraint_kind("image-tag-pinned"), "PaveImageTagPinned");
        assert_eq!(constraint_kind("no-host-path"), "PaveNoHostPath");
    }
}
