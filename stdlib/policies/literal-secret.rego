# METADATA
# title: No literal secrets in specs
# description: A credential written into a spec reaches Git, in the spec and in the generated ConfigMap; keep it in AWS Secrets Manager and reference it with the Service's `secrets:` (an ExternalSecret fills the variable) or, in a Score workload, a `${resources.NAME.OUTPUT}` placeholder. A value that only looks like a secret is waived with a Waiver.
# custom:
#   id: literal-secret
#   severity: deny
#   input: spec
#   kinds: [Service]
package guardrails.literal_secret

import rego.v1

# Known token formats, by what they are. Each is specific enough to be a credential wherever it
# appears (after gitleaks' and GitHub secret scanning's rules).
formats := {
	"AWS access key id": `\b(AKIA|ASIA|ABIA|ACCA)[0-9A-Z]{16}\b`,
	"GitHub token": `\b(gh[pousr]_[A-Za-z0-9]{36,}|github_pat_[A-Za-z0-9_]{22,})`,
	"Stripe live key": `\b[rs]k_live_[0-9A-Za-z]{16,}`,
	"Slack token": `\bxox[abposr]-[0-9A-Za-z-]{10,}`,
	"Google API key": `\bAIza[0-9A-Za-z_-]{35}`,
	"private key": `-----BEGIN ([A-Z0-9]+ )*PRIVATE KEY( BLOCK)?-----`,
	"JSON web token": `\beyJ[A-Za-z0-9_-]{10,}\.eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}`,
	"password in a URL": `[A-Za-z][A-Za-z0-9+.-]*://[^/\s:@]+:[^/\s@$]+@`,
}

# Names under which a value is a credential.
secret_name := `(?i)(passw(or)?d|pwd|secret|token|api[_-]?key|access[_-]?key|private[_-]?key|credential|auth)`

# The values that reach the generated ConfigMaps, with their path below `spec`: a Service's
# `env` and its environments' `env`; a Score workload's containers' `variables` and `files`
# contents (kept under `spec.containers` in the Service pave makes of it).
strings contains [["env", var], value] if {
	some var, value in object.get(input.spec, "env", {})
	is_string(value)
}

strings contains [["environments", env, "env", var], value] if {
	some env, settings in object.get(input.spec, "environments", {})
	some var, value in object.get(settings, "env", {})
	is_string(value)
}

strings contains [["containers", c, "variables", var], value] if {
	some c, container in object.get(input.spec, "containers", {})
	some var, value in object.get(container, "variables", {})
	is_string(value)
}

strings contains [["containers", c, "files", f, "content"], value] if {
	some c, container in object.get(input.spec, "containers", {})
	some f, file in object.get(container, "files", {})
	value := file.content
	is_string(value)
}

# Every format in one pattern: each value is matched once (a regex.match compiles its pattern per
# call), and only a value that matches one is matched again per format to name it.
any_format := concat("|", [sprintf("(?:%s)", [pattern]) | some pattern in formats])

deny contains {"msg": sprintf("`%s` holds a literal %s", [shown(path), what]), "path": path} if {
	some [rel, value] in strings
	regex.match(any_format, value)
	some what, pattern in formats
	regex.match(pattern, value)
	path := array.concat(["spec"], rel)
}

deny contains {"msg": sprintf("`%s` holds a literal secret (a random-looking value under a secret's name)", [shown(path)]), "path": path} if {
	some [rel, value] in strings
	key := rel[count(rel) - 1]
	regex.match(secret_name, key)
	random_looking(value)
	not known_format(value)
	path := array.concat(["spec"], rel)
}

known_format(value) if regex.match(any_format, value)

# At least 12 characters of 3 kinds (lower, upper, digits, symbols) with 8 different ones, and
# not a reference: a placeholder, a Secrets Manager name or ARN, a path or a URL.
random_looking(value) if {
	count(value) >= 12
	not regex.match(`\$\{|^arn:|^/|://|\s`, value)
	kinds := [1 | some p in [`[a-z]`, `[A-Z]`, `[0-9]`, `[^A-Za-z0-9]`]; regex.match(p, value)]
	count(kinds) >= 3
	count({c | some c in split(value, "")}) >= 8
}

# The variable's name; for a file, its target in the container (the key, when `files` is a map).
shown(path) := object.get(input.spec.containers[path[2]].files[path[4]], "target", path[4]) if path[count(path) - 1] == "content"

shown(path) := path[count(path) - 1] if path[count(path) - 1] != "content"
