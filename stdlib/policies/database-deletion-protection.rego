# METADATA
# title: Production databases are protected from deletion
# description: In a production environment a PostgreSQL or MySQL instance has `deletionProtection` on, and a MongoDB cluster `terminationProtection`, so that deleting a spec, or a typo in one, cannot drop its data.
# custom:
#   id: database-deletion-protection
#   severity: deny
#   input: kubernetes
#   kinds: [platform.pave.dev/PostgreSQLInstance, platform.pave.dev/MySQLInstance, platform.pave.dev/MongoDBDatabase]
package guardrails.database_deletion_protection

import rego.v1

field := {"PostgreSQLInstance": "deletionProtection", "MySQLInstance": "deletionProtection", "MongoDBDatabase": "terminationProtection"}

deny contains {"msg": sprintf("%s `%s` has no deletion protection in production", [input.kind, input.metadata.name]), "path": ["spec", "parameters", field[input.kind]]} if {
	data.pave.tier == "production"
	object.get(input.spec, ["parameters", field[input.kind]], false) != true
}
