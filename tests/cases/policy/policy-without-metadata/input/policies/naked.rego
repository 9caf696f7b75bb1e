package acme.naked

import rego.v1

deny contains "always" if {
	input.kind == "Tenant"
}
