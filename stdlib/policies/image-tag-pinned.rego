# METADATA
# title: Images have a pinned tag
# description: An image needs a tag other than `latest` (or a digest), so that what runs is what was reviewed and a rollout is reproducible.
# custom:
#   id: image-tag-pinned
#   severity: deny
#   input: kubernetes
#   kinds: [Pod, apps/Deployment, apps/StatefulSet, apps/DaemonSet, apps/ReplicaSet, batch/Job, batch/CronJob]
package guardrails.image_tag_pinned

import rego.v1

deny contains {"msg": sprintf("image `%s` has no tag", [image]), "path": array.concat(c.path, ["image"])} if {
	some c in data.lib.pave.kubernetes.containers
	image := c.container.image
	not contains(image, "@")
	not tag(image)
}

deny contains {"msg": sprintf("image `%s` uses the `latest` tag", [image]), "path": array.concat(c.path, ["image"])} if {
	some c in data.lib.pave.kubernetes.containers
	image := c.container.image
	not contains(image, "@")
	tag(image) == "latest"
}

# The tag of an image reference: after the last `:` of its last path segment.
tag(image) := t if {
	segments := split(image, "/")
	last := segments[count(segments) - 1]
	contains(last, ":")
	parts := split(last, ":")
	t := parts[count(parts) - 1]
}
