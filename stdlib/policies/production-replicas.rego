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
	not autoscaled
	# Without `replicas` an object runs one: the API server sets it to 1 before admission.
	n := object.get(input.spec, "replicas", 1)
	n < 2
}

deny contains {"msg": sprintf("the autoscaler of `%s` scales down to %d replica(s) in production; at least 2 are needed", [input.metadata.name, n]), "path": ["spec", "minReplicas"]} if {
	data.pave.tier == "production"
	input.kind == "HorizontalPodAutoscaler"
	n := object.get(input.spec, "minReplicas", 1)
	n < 2
}

# An autoscaler owns the count of the object it scales, and its minimum is checked above. pave
# sees the object's folder (`data.pave.related`); Gatekeeper reviews one object at a time, so
# its Constraint lists the cluster's scaled workloads (`data.pave.autoscaled`).
autoscaled if count(object.get(data.pave, ["related", "autoscalers"], [])) > 0

autoscaled if {
	some scaled in object.get(data.pave, "autoscaled", [])
	scaled.namespace == input.metadata.namespace
	scaled.kind == input.kind
	scaled.name == input.metadata.name
}
