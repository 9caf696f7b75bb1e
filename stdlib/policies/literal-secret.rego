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

# Which strings are secret-looking is decided natively, each string of the document matched once
# (a `regex.match` here compiled its pattern on every call: seconds on a Service with thousands
# of variables), and given to the spec rules as `data.pave.secrets`: each string that holds a
# known token format or looks random, with its `path`, the `format` it holds (AWS access key ids,
# GitHub, Stripe live, Slack and Google API keys, PEM private keys, JSON web tokens, passwords in
# URLs; after gitleaks' and GitHub secret scanning's rules), whether it is `randomLooking` (at
# least 12 characters of 3 kinds, lower, upper, digits, symbols, with 8 different ones, and not a
# reference: a placeholder, a Secrets Manager ARN, a path, a URL, text with spaces) and whether
# its key is a `secretName` (password, pwd, secret, token, api key, access key, private key,
# credential, auth, in any case). The patterns are in `compiler/policy/secret.rs`. This rule
# decides which of them reach Git and how each is reported.

deny contains {"msg": sprintf("`%s` holds a literal %s", [shown(found.path), found.format]), "path": found.path} if {
	some found in data.pave.secrets
	reaches_a_config_map(found.path)
}

deny contains {"msg": sprintf("`%s` holds a literal secret (a random-looking value under a secret's name)", [shown(found.path)]), "path": found.path} if {
	some found in data.pave.secrets
	not found.format
	found.randomLooking
	found.secretName
	reaches_a_config_map(found.path)
}

# The values that reach the generated ConfigMaps: a Service's `env` and its environments' `env`;
# a Score workload's containers' `variables` and `files` contents (kept under `spec.containers`
# in the Service pave makes of it).
reaches_a_config_map(path) if {
	count(path) == 3
	path[0] == "spec"
	path[1] == "env"
}

reaches_a_config_map(path) if {
	count(path) == 5
	path[0] == "spec"
	path[1] == "environments"
	path[3] == "env"
}

reaches_a_config_map(path) if {
	count(path) == 5
	path[0] == "spec"
	path[1] == "containers"
	path[3] == "variables"
}

reaches_a_config_map(path) if {
	count(path) == 6
	path[0] == "spec"
	path[1] == "containers"
	path[3] == "files"
	path[5] == "content"
}

# The variable's name; for a file, its target in the container (the key, when `files` is a map).
shown(path) := object.get(input.spec.containers[path[2]].files[path[4]], "target", path[4]) if path[count(path) - 1] == "content"

shown(path) := path[count(path) - 1] if path[count(path) - 1] != "content"
