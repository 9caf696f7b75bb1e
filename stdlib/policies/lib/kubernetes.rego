# Helpers for the rules on Kubernetes objects: the pod specs and containers of any workload
# object, each with its path in the object (so a violation points at the exact field).
package lib.pave.kubernetes

import rego.v1

workload_kinds := {"Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job"}

# Each pod spec of the object: {"spec": ..., "path": [...]}.
pod_specs contains {"spec": input.spec, "path": ["spec"]} if {
	input.kind == "Pod"
}

pod_specs contains {"spec": input.spec.template.spec, "path": ["spec", "template", "spec"]} if {
	input.kind in workload_kinds
}

pod_specs contains spec if {
	input.kind == "CronJob"
	spec := {
		"spec": input.spec.jobTemplate.spec.template.spec,
		"path": ["spec", "jobTemplate", "spec", "template", "spec"],
	}
}

# Each container and init container: {"container": ..., "path": [...]}.
containers contains {"container": container, "path": array.concat(pod.path, [field, i])} if {
	some pod in pod_specs
	some field in ["containers", "initContainers", "ephemeralContainers"]
	some i, container in pod.spec[field]
}
