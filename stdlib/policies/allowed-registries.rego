# METADATA
# title: Images come from an allowed registry
# description: Images are pulled only from the Platform's `registry` and the registries listed in `spec.policies.parameters.allowed-registries.registries`, which scan and sign what they serve.
# custom:
#   id: allowed-registries
#   severity: deny
#   input: kubernetes
#   kinds: [Pod, apps/Deployment, apps/StatefulSet, apps/DaemonSet, apps/ReplicaSet, batch/Job, batch/CronJob]
#   parameters:
#     type: object
#     additionalProperties: false
#     properties:
#       registries:
#         description: Registries besides the Platform's `registry` (`public.ecr.aws/acme`).
#         type: array
#         items: {type: string}
package guardrails.allowed_registries

import rego.v1

registries := array.concat([data.pave.platform.registry], object.get(data.pave.parameters, ["allowed-registries", "registries"], []))

deny contains {"msg": sprintf("image `%s` is not from an allowed registry (%s)", [image, concat(", ", registries)]), "path": array.concat(c.path, ["image"])} if {
	some c in data.lib.pave.kubernetes.containers
	image := c.container.image
	not allowed(image)
}

allowed(image) if {
	some registry in registries
	startswith(image, concat("", [trim_suffix(registry, "/"), "/"]))
}
