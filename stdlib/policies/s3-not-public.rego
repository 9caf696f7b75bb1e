# METADATA
# title: S3 buckets are never public
# description: Every bucket a Composition creates has a public access block with all four settings on, and no public ACL, so no object is ever readable from the internet.
# custom:
#   id: s3-not-public
#   severity: deny
#   input: kubernetes
#   kinds: [apiextensions.crossplane.io/Composition]
package guardrails.s3_not_public

import rego.v1

settings := ["blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets"]

# The composed resources of a pipeline Composition, each with its path.
composed contains {"resource": resource, "path": ["spec", "pipeline", i, "input", "resources", j]} if {
	some i, step in input.spec.pipeline
	some j, resource in step.input.resources
}

buckets contains c if {
	some c in composed
	c.resource.base.kind == "Bucket"
}

deny contains {"msg": sprintf("Composition `%s` creates a bucket without a public access block", [input.metadata.name]), "path": b.path} if {
	some b in buckets
	not block
}

deny contains {"msg": sprintf("the public access block of Composition `%s` leaves `%s` off", [input.metadata.name, setting]), "path": array.concat(c.path, ["base", "spec", "forProvider", setting])} if {
	some c in composed
	c.resource.base.kind == "BucketPublicAccessBlock"
	some setting in settings
	object.get(c.resource.base.spec.forProvider, setting, false) != true
}

deny contains {"msg": sprintf("Composition `%s` gives a bucket the public ACL `%s`", [input.metadata.name, acl]), "path": array.concat(c.path, ["base", "spec", "forProvider", "acl"])} if {
	some c in composed
	c.resource.base.kind in {"Bucket", "BucketACL"}
	acl := c.resource.base.spec.forProvider.acl
	acl in {"public-read", "public-read-write", "authenticated-read"}
}

block if {
	some c in composed
	c.resource.base.kind == "BucketPublicAccessBlock"
}
