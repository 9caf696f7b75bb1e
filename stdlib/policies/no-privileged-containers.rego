# METADATA
# title: Nothing runs privileged
# description: No container runs privileged, may escalate privileges or adds capabilities beyond NET_BIND_SERVICE; a privileged container owns its node.
# custom:
#   id: no-privileged-containers
#   severity: deny
#   input: kubernetes
#   kinds: [Pod, apps/Deployment, apps/StatefulSet, apps/DaemonSet, apps/ReplicaSet, batch/Job, batch/CronJob]
package guardrails.no_privileged_containers

import rego.v1

deny contains {"msg": sprintf("container `%s` runs privileged", [c.container.name]), "path": array.concat(c.path, ["securityContext", "privileged"])} if {
	some c in data.lib.pave.kubernetes.containers
	c.container.securityContext.privileged == true
}

deny contains {"msg": sprintf("container `%s` allows privilege escalation", [c.container.name]), "path": array.concat(c.path, ["securityContext", "allowPrivilegeEscalation"])} if {
	some c in data.lib.pave.kubernetes.containers
	c.container.securityContext.allowPrivilegeEscalation == true
}

deny contains {"msg": sprintf("container `%s` adds the capability `%s`", [c.container.name, capability]), "path": array.concat(c.path, ["securityContext", "capabilities", "add", i])} if {
	some c in data.lib.pave.kubernetes.containers
	some i, capability in c.container.securityContext.capabilities.add
	capability != "NET_BIND_SERVICE"
}
