# METADATA
# title: Tenant quotas fit the platform's budget
# description: A tenant's quota in an environment asks for no more CPU and memory than `spec.policies.parameters.tenant-quota-budget` allows one tenant (`requests` and `limits`, each `cpu` and `memory`); a tenant that needs more is a capacity decision, not a spec change.
# custom:
#   id: tenant-quota-budget
#   severity: deny
#   input: spec
#   kinds: [Tenant]
package guardrails.tenant_quota_budget

import rego.v1

budget := object.get(data.pave.parameters, "tenant-quota-budget", {})

deny contains {"msg": sprintf("the quota of `%s` in `%s` asks for %s %s of %s; the budget per tenant is %s", [input.metadata.name, env, kind, resource, asked, allowed]), "path": ["spec", "quotas", env, kind, resource]} if {
	input.kind == "Tenant"
	some env, quota in input.spec.quotas
	some kind, amounts in quota
	kind in {"requests", "limits"}
	some resource, asked in amounts
	allowed := budget[kind][resource]
	amount(resource, asked) > amount(resource, allowed)
}

amount("cpu", q) := units.parse(sprintf("%v", [q]))

amount("memory", q) := units.parse_bytes(sprintf("%v", [q]))
