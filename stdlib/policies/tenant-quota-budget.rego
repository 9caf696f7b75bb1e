# METADATA
# title: Tenant quotas fit the platform's budget
# description: A tenant's quota in an environment asks for no more CPU and memory than `spec.policies.parameters.tenant-quota-budget` allows one tenant (`requests` and `limits`, each `cpu` and `memory`); a tenant that needs more is a capacity decision, not a spec change.
# custom:
#   id: tenant-quota-budget
#   severity: deny
#   input: spec
#   kinds: [Tenant]
#   parameters:
#     type: object
#     additionalProperties: false
#     properties:
#       requests:
#         type: object
#         additionalProperties: false
#         properties:
#           cpu:
#             description: CPU, a Kubernetes quantity (`32`, `500m`).
#             anyOf: [{type: number}, {type: string, pattern: "^[0-9]+(\\.[0-9]+)?m?$"}]
#             x-pave-message: "`{value}` is not a CPU quantity"
#             x-pave-help: write cores (`32`, `0.5`) or millicores (`500m`)
#           memory:
#             description: Memory, a Kubernetes quantity (`128Gi`).
#             anyOf: [{type: number}, {type: string, pattern: "^[0-9]+(\\.[0-9]+)?(Ki|Mi|Gi|Ti|Pi|Ei|k|M|G|T|P|E)?$"}]
#             x-pave-message: "`{value}` is not a memory quantity"
#             x-pave-help: write bytes with a unit (`128Gi`, `512Mi`)
#       limits:
#         type: object
#         additionalProperties: false
#         properties:
#           cpu:
#             description: CPU, a Kubernetes quantity (`32`, `500m`).
#             anyOf: [{type: number}, {type: string, pattern: "^[0-9]+(\\.[0-9]+)?m?$"}]
#             x-pave-message: "`{value}` is not a CPU quantity"
#             x-pave-help: write cores (`32`, `0.5`) or millicores (`500m`)
#           memory:
#             description: Memory, a Kubernetes quantity (`128Gi`).
#             anyOf: [{type: number}, {type: string, pattern: "^[0-9]+(\\.[0-9]+)?(Ki|Mi|Gi|Ti|Pi|Ei|k|M|G|T|P|E)?$"}]
#             x-pave-message: "`{value}` is not a memory quantity"
#             x-pave-help: write bytes with a unit (`128Gi`, `512Mi`)
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
