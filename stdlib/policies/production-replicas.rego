# METADATA
# title: Production services run at least two replicas
# description: In a production environment a Deployment or StatefulSet, and the minimum of its autoscaler, has at least 2 replicas, so that one node or one rollout never takes the service down.
# custom:
#   id: production-replicas
#   severity: deny
#   input: kubernetes
#   kinds: [apps/Deployment, apps/StatefulSet, autoscaling/HorizontalPodAutoscaler]
package guardrails.production_replicas

import rego.v1

deny contains {"msg": sprintf("%s `%s` runs %d replica(s) in production; at least 2 are needed", [input.kind, input.metadata.name, n]), "path": ["spec", "replicas"]} if {
	data.pave.tier == "production"
	input.kind in {"Deployment", "StatefulSet"}
	n := object.get(input.spec, "replicas", 1)
	n < 2
	not autoscaled
}

deny contains {"msg": sprintf("the autoscaler of `%s` scales down to %d replica(s) in production; at least 2 are needed", [input.metadata.name, n]), "path": ["spec", "minReplicas"]} if {
	data.pave.tier == "production"
	input.kind == "HorizontalPodAutoscaler"
	n := object.get(input.spec, "minReplicas", 1)
	n < 2
}

# A Deployment without `replicas` has its count from an autoscaler.
autoscaled if {
	not input.spec.replicas
	some sibling in object.get(data.pave, "siblings", [])
	sibling.kind == "HorizontalPodAutoscaler"
	sibling.target == input.metadata.name
}
