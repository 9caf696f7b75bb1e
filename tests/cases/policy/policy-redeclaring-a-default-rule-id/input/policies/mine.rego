# METADATA
# title: Mine
# description: Same id as a default rule.
# custom:
#   id: image-tag-pinned
#   severity: warn
#   input: kubernetes
package acme.mine

import rego.v1

warn contains "x" if { false }
