# METADATA
# title: Production databases are protected from deletion
# description: In a production environment a PostgreSQL or MySQL instance has `deletionProtection` on, so that deleting a spec, or a typo in one, cannot drop its data.
# custom:
#   id: database-deletion-protection
#   severity: deny
#   input: kubernetes
#   kinds: [platform.pave.dev/PostgreSQLInstance, platform.pave.dev/MySQLInstance]
package guardrails.database_deletion_protection

import rego.v1

deny contains {"msg": sprintf("%s `%s` has no deletion protection in production", [input.kind, input.metadata.name]), "path": ["spec", "parameters", "deletionProtection"]} if {
	data.pave.tier == "production"
	object.get(input.spec, ["parameters", "deletionProtection"], false) != true
}
