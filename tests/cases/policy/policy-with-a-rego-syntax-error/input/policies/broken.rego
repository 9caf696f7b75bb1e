# METADATA
# title: Broken
# description: Does not compile.
# custom:
#   id: broken
#   severity: deny
#   input: spec
package acme.broken

import rego.v1

deny contains msg if {
	msg := "x" +
}
