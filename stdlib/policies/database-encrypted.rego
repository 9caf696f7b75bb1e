# METADATA
# title: Databases are encrypted
# description: Every database and cache a Composition creates encrypts its storage (RDS `storageEncrypted`, ElastiCache `atRestEncryptionEnabled`) and, for caches, traffic (`transitEncryptionEnabled`).
# custom:
#   id: database-encrypted
#   severity: deny
#   input: kubernetes
#   kinds: [apiextensions.crossplane.io/Composition]
package guardrails.database_encrypted

import rego.v1

required := {
	"Instance": ["storageEncrypted"],
	"Cluster": ["storageEncrypted"],
	"ReplicationGroup": ["atRestEncryptionEnabled", "transitEncryptionEnabled"],
}

deny contains {"msg": sprintf("the %s `%s` of Composition `%s` does not set `%s: true`", [kind, resource.name, input.metadata.name, setting]), "path": array.concat(path, ["base", "spec", "forProvider", setting])} if {
	some i, step in input.spec.pipeline
	some j, resource in step.input.resources
	path := ["spec", "pipeline", i, "input", "resources", j]
	kind := resource.base.kind
	some setting in required[kind]
	not enabled(object.get(resource.base.spec.forProvider, setting, false))
}

# Some provider CRDs declare these settings as strings (ElastiCache `atRestEncryptionEnabled`).
enabled(value) if value == true

enabled(value) if value == "true"
