//! The Score resource types pave provides, and the outputs each has, named as Score's reference
//! provisioners (score-compose, score-k8s) name them, so a workload written for them reads the
//! same outputs here.

/// A Score resource type pave can provide.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum ResourceType {
    /// Values per environment, from the overrides file: any output name.
    Environment,
    /// Another workload's (or Service's) port: `hostname`, `port`; a dependency.
    ServicePort,
    /// A host name in the environment's DNS zone.
    Dns,
    /// An HTTP route to this workload: an Ingress.
    Route,
    /// A scratch volume (`emptyDir`), mounted through `volumes`.
    Volume,
}

impl ResourceType {
    pub const ALL: [ResourceType; 5] = [
        ResourceType::Environment,
        ResourceType::ServicePort,
        ResourceType::Dns,
        ResourceType::Route,
        ResourceType::Volume,
    ];

    pub fn name(self) -> &'static str {
        match self {
            ResourceType::Environment => "environment",
            ResourceType::ServicePort => "service-port",
            ResourceType::Dns => "dns",
            ResourceType::Route => "route",
            ResourceType::Volume => "volume",
        }
    }

    pub fn from_name(name: &str) -> Option<ResourceType> {
        ResourceType::ALL.into_iter().find(|t| t.name() == name)
    }

    /// The outputs `${resources.NAME.OUTPUT}` may name; `None` when any name is an output.
    pub fn outputs(self) -> Option<&'static [&'static str]> {
        match self {
            ResourceType::Environment => None,
            ResourceType::ServicePort => Some(&["hostname", "port"]),
            ResourceType::Dns => Some(&["host"]),
            ResourceType::Route | ResourceType::Volume => Some(&[]),
        }
    }

    /// The names of every type, sorted, for diagnostics.
    pub fn known() -> Vec<String> {
        let mut names: Vec<String> = ResourceType::ALL
            .iter()
            .map(|t| t.name().to_string())
            .collect();
        names.sort();
        names
    }
}
