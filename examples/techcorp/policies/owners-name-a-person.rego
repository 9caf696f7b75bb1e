# METADATA
# title: Tenants name an accountable person
# description: TechCorp's incident process pages a person, not a group; every tenant lists at least one user in `owners.users`.
# custom:
#   id: owners-name-a-person
#   severity: deny
#   input: spec
package techcorp.owners_name_a_person

import rego.v1

deny contains {"msg": sprintf("tenant `%s` names no user among its owners", [input.metadata.name]), "path": ["spec", "owners"]} if {
	input.kind == "Tenant"
	count(object.get(input.spec.owners, "users", [])) == 0
}
