# METADATA
# title: Pods do not mount the node's file system
# description: No pod mounts a `hostPath` volume; the node's files (its kubelet credentials, the container runtime socket) are not a pod's to read or write.
# custom:
#   id: no-host-path
#   severity: deny
#   input: kubernetes
#   kinds: [Pod, apps/Deployment, apps/StatefulSet, apps/DaemonSet, apps/ReplicaSet, batch/Job, batch/CronJob]
package guardrails.no_host_path

import rego.v1

deny contains {"msg": sprintf("volume `%s` mounts `%s` from the node", [volume.name, volume.hostPath.path]), "path": array.concat(pod.path, ["volumes", i, "hostPath"])} if {
	some pod in data.lib.pave.kubernetes.pod_specs
	some i, volume in pod.spec.volumes
	volume.hostPath
}
