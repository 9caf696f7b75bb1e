# METADATA
# title: Bucket writes are reviewed
# description: A service that may write to S3 is reviewed by the data-protection team.
# custom:
#   id: s3-writes-reviewed
#   severity: warn
#   input: terraform
package acme.s3_writes

import rego.v1

warn contains {"msg": sprintf("role policy `%s` may write to S3", [name]), "path": ["resource", "aws_iam_role_policy", name, "policy"]} if {
	some name, resource in input.resource.aws_iam_role_policy
	document := json.unmarshal(resource.policy)
	some statement in document.Statement
	some action in statement.Action
	action == "s3:PutObject"
}
