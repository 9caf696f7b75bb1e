# METADATA
# title: No secret values in Git
# description: A Secret in the GitOps tree carries no `data` or `stringData`; secret values live in the secret store (AWS Secrets Manager, Vault) and reach the cluster through External Secrets, never through Git.
# custom:
#   id: no-secret-data
#   severity: deny
#   input: kubernetes
#   kinds: [Secret]
package guardrails.no_secret_data

import rego.v1

deny contains {"msg": sprintf("Secret `%s` holds %s in Git", [input.metadata.name, field]), "path": [field]} if {
	input.kind == "Secret"
	some field in ["data", "stringData"]
	count(object.get(input, field, {})) > 0
}
