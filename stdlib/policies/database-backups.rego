# METADATA
# title: Production databases are backed up
# description: In a production environment a PostgreSQL or MySQL instance keeps automated backups at least 7 days (`backupRetentionDays`), a Redis cache keeps snapshots at least a day (`snapshotRetentionDays`), and a MongoDB cluster has cloud backups on (`backupEnabled`).
# custom:
#   id: database-backups
#   severity: deny
#   input: kubernetes
#   kinds: [platform.pave.dev/PostgreSQLInstance, platform.pave.dev/MySQLInstance, platform.pave.dev/RedisCache, platform.pave.dev/MongoDBDatabase]
package guardrails.database_backups

import rego.v1

minimum := {"PostgreSQLInstance": 7, "MySQLInstance": 7, "RedisCache": 1}

field := {"PostgreSQLInstance": "backupRetentionDays", "MySQLInstance": "backupRetentionDays", "RedisCache": "snapshotRetentionDays"}

deny contains {"msg": sprintf("%s `%s` keeps backups %d day(s) in production; at least %d are needed", [input.kind, input.metadata.name, days, minimum[input.kind]]), "path": ["spec", "parameters", field[input.kind]]} if {
	data.pave.tier == "production"
	days := object.get(input.spec, ["parameters", field[input.kind]], 0)
	days < minimum[input.kind]
}

deny contains {"msg": sprintf("MongoDBDatabase `%s` has no cloud backups in production", [input.metadata.name]), "path": ["spec", "parameters", "backupEnabled"]} if {
	data.pave.tier == "production"
	input.kind == "MongoDBDatabase"
	object.get(input.spec, ["parameters", "backupEnabled"], false) != true
}
