//! How a workload reaches another it depends on: the host, port and URL of the Kubernetes Service
//! pave writes for the target in one environment. A Service's `${services.NAME.OUTPUT}`, a Score
//! workload's `service` and `service-port` resources all read them here, so a caller's address
//! for a target is the one place that knows the target's namespace.

use super::score::PortTable;

/// The outputs of a dependency, for `${services.NAME.OUTPUT}` and Score's `service` type.
pub const SERVICE_OUTPUTS: [&str; 3] = ["host", "port", "url"];

/// The namespace of a tenant's workloads in an environment.
pub fn namespace_name(tenant: &str, environment: &str) -> String {
    format!("{tenant}-{environment}")
}

/// A dependency by `name` (in the caller's tenant) or `tenant/name`, as `dependsOn` writes it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub(super) struct Target {
    pub tenant: String,
    pub name: String,
}

impl Target {
    pub(super) fn parse(reference: &str, own_tenant: &str) -> Target {
        match reference.split_once('/') {
            Some((tenant, name)) => Target {
                tenant: tenant.to_string(),
                name: name.to_string(),
            },
            None => Target {
                tenant: own_tenant.to_string(),
                name: reference.to_string(),
            },
        }
    }

    /// The cluster DNS name of its Service in `environment` (the Service has the workload's name
    /// and lives in the tenant's namespace there).
    pub(super) fn host(&self, environment: &str) -> String {
        format!(
            "{}.{}.svc.cluster.local",
            self.name,
            namespace_name(&self.tenant, environment)
        )
    }

    /// The Service port named `port` (a Kubernetes port name or a Score port name).
    pub(super) fn port_named(&self, ports: &PortTable, port: &str) -> Option<u16> {
        self.ports(ports)?
            .iter()
            .find(|(names, _)| names.iter().any(|n| n == port))
            .map(|(_, number)| *number)
    }

    /// Its main port: `spec.port`, or the first of `spec.ports` (a Score workload's ports sorted
    /// by name, as its Service lists them). `None` when it exposes none.
    pub(super) fn main_port(&self, ports: &PortTable) -> Option<u16> {
        self.ports(ports)?.first().map(|(_, number)| *number)
    }

    /// Its ports, when it is a known workload.
    pub(super) fn ports<'p>(&self, ports: &'p PortTable) -> Option<&'p Vec<(Vec<String>, u16)>> {
        ports.get(&(self.tenant.clone(), self.name.clone()))
    }

    /// One of [`SERVICE_OUTPUTS`] in `environment`: `Err` names the problem when the target
    /// exposes no port or `output` is not one.
    pub(super) fn output(
        &self,
        output: &str,
        environment: &str,
        ports: &PortTable,
    ) -> Result<String, OutputProblem> {
        let port = || self.main_port(ports).ok_or(OutputProblem::NoPort);
        match output {
            "host" => Ok(self.host(environment)),
            "port" => Ok(port()?.to_string()),
            "url" => Ok(format!("http://{}:{}", self.host(environment), port()?)),
            _ => Err(OutputProblem::UnknownOutput),
        }
    }
}

impl std::fmt::Display for Target {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.tenant, self.name)
    }
}

/// Why a dependency's output has no value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum OutputProblem {
    /// `port` or `url` of a workload without a port.
    NoPort,
    /// Not one of [`SERVICE_OUTPUTS`].
    UnknownOutput,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ports() -> PortTable {
        PortTable::from([
            (
                ("billing".to_string(), "invoices".to_string()),
                vec![
                    (vec!["http".to_string()], 8080),
                    (vec!["grpc".to_string(), "rpc".to_string()], 9090),
                ],
            ),
            (("billing".to_string(), "worker".to_string()), Vec::new()),
        ])
    }

    #[test]
    fn outputs_name_the_service_in_the_targets_namespace() {
        let target = Target::parse("billing/invoices", "shop");
        let get = |output: &str| target.output(output, "prod", &ports());
        assert_eq!(
            get("host"),
            Ok("invoices.billing-prod.svc.cluster.local".to_string())
        );
        assert_eq!(get("port"), Ok("8080".to_string()));
        assert_eq!(
            get("url"),
            Ok("http://invoices.billing-prod.svc.cluster.local:8080".to_string())
        );
        assert_eq!(get("uri"), Err(OutputProblem::UnknownOutput));
        assert_eq!(target.port_named(&ports(), "rpc"), Some(9090));
    }

    #[test]
    fn a_name_without_a_tenant_is_in_the_callers() {
        let target = Target::parse("worker", "billing");
        assert_eq!(target.to_string(), "billing/worker");
        assert_eq!(
            target.output("host", "dev", &ports()),
            Ok("worker.billing-dev.svc.cluster.local".to_string())
        );
        assert_eq!(
            target.output("url", "dev", &ports()),
            Err(OutputProblem::NoPort)
        );
    }
}
