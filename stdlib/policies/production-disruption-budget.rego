# METADATA
# title: Production services have a PodDisruptionBudget
# description: In a production environment every Deployment and StatefulSet has a PodDisruptionBudget selecting its pods, so that node drains and upgrades keep it serving.
# custom:
#   id: production-disruption-budget
#   severity: deny
#   input: kubernetes
#   kinds: [apps/Deployment, apps/StatefulSet]
#   gatekeeper: false
package guardrails.production_disruption_budget

import rego.v1

deny contains {"msg": sprintf("%s `%s` has no PodDisruptionBudget in production", [input.kind, input.metadata.name]), "path": ["spec", "replicas"]} if {
	data.pave.tier == "production"
	input.kind in {"Deployment", "StatefulSet"}
	count(data.pave.related.podDisruptionBudgets) == 0
}
