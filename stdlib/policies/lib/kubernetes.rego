# Helpers for the rules on Kubernetes objects: the pod specs and containers of any workload
# object, each with its path in the object (so a violation points at the exact field).
#
# Rules refer to them by their full path (`data.lib.pave.kubernetes.containers`), not through an
# import alias: the compiled evaluation computes a rule reached that way once per object rather
# than once per use. Both are arrays: iterating a set of whole containers compares them element by
# element.
package lib.pave.kubernetes

import rego.v1

workload_kinds := {"Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job"}

# Where the object's pod spec is, if it has one.
pod_path := ["spec"] if input.kind == "Pod"

pod_path := ["spec", "template", "spec"] if input.kind in workload_kinds

pod_path := ["spec", "jobTemplate", "spec", "template", "spec"] if input.kind == "CronJob"

# Each pod spec of the object: {"spec": ..., "path": [...]}.
pod_specs := [{"spec": spec, "path": pod_path} |
	spec := object.get(input, pod_path, null)
	spec != null
]

# Each container, init container and ephemeral container: {"container": ..., "path": [...]}.
containers := [{"container": container, "path": array.concat(pod.path, [field, i])} |
	some pod in pod_specs
	some field in ["containers", "initContainers", "ephemeralContainers"]
	some i, container in pod.spec[field]
]
