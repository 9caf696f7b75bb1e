# METADATA
# title: Public endpoints are declared
# description: An internet-facing Ingress or load balancer exists only for a service whose spec sets `ingress.public` to true; everything else stays internal.
# custom:
#   id: public-ingress-declared
#   severity: deny
#   input: kubernetes
#   kinds: [networking.k8s.io/Ingress, Service]
package guardrails.public_ingress_declared

import rego.v1

deny contains {"msg": sprintf("Ingress `%s` is internet-facing but no service declares it public", [input.metadata.name]), "path": ["metadata", "annotations", "alb.ingress.kubernetes.io/scheme"]} if {
	input.kind == "Ingress"
	input.metadata.annotations["alb.ingress.kubernetes.io/scheme"] == "internet-facing"
	not declared
}

deny contains {"msg": sprintf("Service `%s` is an internet-facing load balancer but no service declares it public", [input.metadata.name]), "path": ["spec", "type"]} if {
	input.kind == "Service"
	input.spec.type == "LoadBalancer"
	object.get(input.metadata, ["annotations", "service.beta.kubernetes.io/aws-load-balancer-scheme"], "") != "internal"
	not declared
}

# The services whose spec sets `ingress.public`, by namespace: at compile time the object's own
# service (if it declares it), in the cluster every one of the cluster's (the Constraint's).
# An object belongs to the service its `app.kubernetes.io/name` label names.
declared if {
	some service in data.pave.declared.publicIngress
	service.namespace == input.metadata.namespace
	service.service == object.get(input.metadata, ["labels", "app.kubernetes.io/name"], "")
}
