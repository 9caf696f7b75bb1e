# METADATA
# title: Pods do not share the node's namespaces
# description: No pod uses the node's network, process or IPC namespace (`hostNetwork`, `hostPID`, `hostIPC`) or binds a host port; each of them breaks the isolation between a pod and its node.
# custom:
#   id: no-host-namespaces
#   severity: deny
#   input: kubernetes
#   kinds: [Pod, apps/Deployment, apps/StatefulSet, apps/DaemonSet, apps/ReplicaSet, batch/Job, batch/CronJob]
package guardrails.no_host_namespaces

import rego.v1

deny contains {"msg": sprintf("the pod uses the node's namespace (`%s`)", [field]), "path": array.concat(pod.path, [field])} if {
	some pod in data.lib.pave.kubernetes.pod_specs
	some field in ["hostNetwork", "hostPID", "hostIPC"]
	pod.spec[field] == true
}

deny contains {"msg": sprintf("container `%s` binds host port %d", [c.container.name, port.hostPort]), "path": array.concat(c.path, ["ports", i, "hostPort"])} if {
	some c in data.lib.pave.kubernetes.containers
	some i, port in c.container.ports
	port.hostPort > 0
}
