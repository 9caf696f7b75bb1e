# METADATA
# title: Workloads name their team
# description: Every Deployment carries a `team` label, for the on-call rota.
# custom:
#   id: team-label
#   severity: warn
#   input: kubernetes
#   kinds: [apps/Deployment]
package acme.team_label

import rego.v1

warn contains {"msg": sprintf("Deployment `%s` has no `team` label", [input.metadata.name]), "path": ["metadata", "labels"]} if {
	not input.metadata.labels.team
}
