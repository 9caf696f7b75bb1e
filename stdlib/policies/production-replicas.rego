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
	n := replica_count
	n < 2
}

deny contains {"msg": sprintf("the autoscaler of `%s` scales down to %d replica(s) in production; at least 2 are needed", [input.metadata.name, n]), "path": ["spec", "minReplicas"]} if {
	data.pave.tier == "production"
	input.kind == "HorizontalPodAutoscaler"
	n := object.get(input.spec, "minReplicas", 1)
	n < 2
}

replica_count := input.spec.replicas

# Without `replicas` an object runs one, unless an autoscaler of its folder sets the count; only
# pave sees the folder (`data.pave.related`), so in the cluster such an object is left alone.
replica_count := 1 if {
	not input.spec.replicas
	count(data.pave.related.autoscalers) == 0
}
