# METADATA
# title: Containers set requests and limits
# description: Every container requests and limits CPU and memory, so that the scheduler places it and one noisy pod cannot starve its neighbours.
# custom:
#   id: resources-set
#   severity: deny
#   input: kubernetes
#   kinds: [Pod, apps/Deployment, apps/StatefulSet, apps/DaemonSet, apps/ReplicaSet, batch/Job, batch/CronJob]
package guardrails.resources_set

import rego.v1

deny contains {"msg": sprintf("container `%s` sets no %s %s", [c.container.name, resource, kind]), "path": array.concat(c.path, ["resources"])} if {
	some c in data.lib.pave.kubernetes.containers
	some kind in ["requests", "limits"]
	some resource in ["cpu", "memory"]
	not c.container.resources[kind][resource]
}
