# METADATA
# title: Tenants run only where they are allowed
# description: A tenant uses only the environments, and through them the regions, that `spec.policies.parameters.tenant-placement.tenants.<tenant>` allows it (data residency, regulated workloads); a tenant not listed there may use any.
# custom:
#   id: tenant-placement
#   severity: deny
#   input: spec
#   kinds: [Tenant]
#   parameters:
#     type: object
#     additionalProperties: false
#     properties:
#       tenants:
#         description: Per tenant, the environments and regions it may use (either, or both).
#         type: object
#         additionalProperties:
#           type: object
#           additionalProperties: false
#           properties:
#             environments: {type: array, items: {type: string}}
#             regions: {type: array, items: {type: string}}
package guardrails.tenant_placement

import rego.v1

allowed := data.pave.parameters["tenant-placement"].tenants[input.metadata.name]

deny contains {"msg": sprintf("tenant `%s` may not use the environment `%s` (allowed: %s)", [input.metadata.name, env, concat(", ", allowed.environments)]), "path": ["spec", "environments", i]} if {
	input.kind == "Tenant"
	some i, env in input.spec.environments
	allowed.environments
	not env in allowed.environments
}

deny contains {"msg": sprintf("tenant `%s` would run in `%s` through the environment `%s` (allowed regions: %s)", [input.metadata.name, region, env, concat(", ", allowed.regions)]), "path": ["spec", "environments", i]} if {
	input.kind == "Tenant"
	some i, env in input.spec.environments
	allowed.regions
	some region in data.pave.environments[env].regions
	not region in allowed.regions
}
