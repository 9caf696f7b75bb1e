# METADATA
# title: No IAM policy allows everything
# description: No IAM policy statement allows the action `*` on the resource `*`, which is administrator access, which no workload or pipeline needs.
# custom:
#   id: iam-no-wildcard
#   severity: deny
#   input: terraform
package guardrails.iam_no_wildcard

import rego.v1

policy_types := {"aws_iam_policy", "aws_iam_role_policy", "aws_iam_user_policy", "aws_iam_group_policy"}

deny contains {"msg": sprintf("%s `%s` allows `*` on `*`", [type, name]), "path": ["resource", type, name, "policy"]} if {
	some type in policy_types
	some name, resource in input.resource[type]
	document := json.unmarshal(resource.policy)
	some statement in as_array(document.Statement)
	statement.Effect == "Allow"
	"*" in as_array(statement.Action)
	"*" in as_array(statement.Resource)
}

as_array(x) := x if is_array(x)

as_array(x) := [x] if not is_array(x)
