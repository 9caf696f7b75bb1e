//! Graph: the platform's dependency graph as a picture, for `pave graph`.
//!
//! In: the [`Catalog`] (`lower::catalog`, the same model the Backstage catalog is written from),
//! optionally one environment, and what a change touches ([`Touched`], from a `pave diff`).
//! Out: Mermaid (renders in GitHub pull requests and READMEs) or Graphviz DOT text. Tenants are
//! subgraphs; services and the managed resources they use are nodes; calls are edges (those
//! that cross tenants drawn thick), resource use dashed. With a change, the services and
//! resources it touches are marked `changed`, and every service that calls one of them,
//! directly or not, `affected`: the blast radius. Never reads or writes files.

mod dot;
mod mermaid;

use std::collections::{BTreeMap, BTreeSet};

use crate::diff::TreeDiff;
use crate::lower::catalog::{Catalog, ComponentType};

/// The picture's format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GraphFormat {
    Mermaid,
    Dot,
}

/// A node of the graph: a service or a managed resource of a tenant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum NodeKind {
    Service,
    Website,
    Job,
    Resource,
}

#[derive(Debug, Clone)]
pub struct Node {
    /// Unique in the graph and valid as a Mermaid and DOT identifier.
    pub id: String,
    pub label: String,
    pub kind: NodeKind,
    pub mark: Mark,
}

/// How a change reaches a node.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Mark {
    None,
    /// It calls, directly or not, something the change touches.
    Affected,
    /// The change touches its generated objects.
    Changed,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EdgeKind {
    /// A call within a tenant.
    Call,
    /// A call to another tenant's service.
    CrossTenant,
    /// A service uses a managed resource.
    Uses,
}

#[derive(Debug, Clone)]
pub struct Edge {
    pub from: String,
    pub to: String,
    pub kind: EdgeKind,
}

/// The graph: tenants (sorted) with their nodes (services, then resources, each sorted), and the
/// edges in the order of the nodes they leave and the spec.
#[derive(Debug, Clone, Default)]
pub struct Graph {
    pub tenants: Vec<(String, Vec<Node>)>,
    pub edges: Vec<Edge>,
}

/// What a change touches: `tenant/service` and `tenant/resource` names.
#[derive(Debug, Clone, Default)]
pub struct Touched {
    pub services: BTreeSet<String>,
    pub resources: BTreeSet<String>,
}

impl Touched {
    /// The services and managed resources whose generated objects a diff adds, changes or
    /// removes (in `environment` only, when given): a Kubernetes object's owner comes from pave's
    /// labels, a managed resource's from its folder (`tenants/<t>/<env>/resources/`) and name.
    pub fn from_diff(tree_diff: &TreeDiff, environment: Option<&str>) -> Touched {
        let mut touched = Touched::default();
        for change in &tree_diff.resources {
            let owner = &change.owner;
            if environment.is_some_and(|env| owner.environment.as_deref() != Some(env)) {
                continue;
            }
            let Some(tenant) = &owner.tenant else {
                continue;
            };
            if let Some(service) = &owner.service {
                touched.services.insert(format!("{tenant}/{service}"));
            }
            let parts: Vec<&str> = change.file.split('/').collect();
            if let ["tenants", _, env, "resources", ..] = parts.as_slice()
                && environment.is_none_or(|e| e == *env)
            {
                touched
                    .resources
                    .insert(format!("{tenant}/{}", change.name));
            }
        }
        touched
    }
}

/// The graph of a catalog, in one environment or all.
pub fn graph(catalog: &Catalog, environment: Option<&str>, touched: &Touched) -> Graph {
    let in_env = |environments: &[String]| {
        environment.is_none_or(|env| environments.iter().any(|e| e == env))
    };
    let service_id = |tenant: &str, service: &str| id("svc", tenant, service);
    let resource_id = |tenant: &str, resource: &str| id("res", tenant, resource);
    let mut graph = Graph::default();
    // Who calls whom, to mark the callers of what changed.
    let mut callers: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut present: BTreeSet<String> = BTreeSet::new();
    for tenant in &catalog.tenants {
        for service in tenant.services.iter().filter(|s| in_env(&s.environments)) {
            present.insert(service_id(&tenant.name, &service.name));
        }
        for resource in tenant.resources.iter().filter(|r| in_env(&r.environments)) {
            present.insert(resource_id(&tenant.name, &resource.name));
        }
    }
    let mut changed: BTreeSet<String> = BTreeSet::new();
    for tenant in &catalog.tenants {
        let mut nodes = Vec::new();
        for service in tenant.services.iter().filter(|s| in_env(&s.environments)) {
            let from = service_id(&tenant.name, &service.name);
            if touched
                .services
                .contains(&format!("{}/{}", tenant.name, service.name))
            {
                changed.insert(from.clone());
            }
            nodes.push(Node {
                id: from.clone(),
                label: service.name.clone(),
                kind: match service.component_type {
                    ComponentType::Service => NodeKind::Service,
                    ComponentType::Website => NodeKind::Website,
                    ComponentType::Job => NodeKind::Job,
                },
                mark: Mark::None,
            });
            for (to_tenant, to_service) in &service.depends_on {
                let to = service_id(to_tenant, to_service);
                if !present.contains(&to) {
                    continue;
                }
                callers.entry(to.clone()).or_default().push(from.clone());
                graph.edges.push(Edge {
                    from: from.clone(),
                    to,
                    kind: if *to_tenant == tenant.name {
                        EdgeKind::Call
                    } else {
                        EdgeKind::CrossTenant
                    },
                });
            }
            for resource in &service.resources {
                let to = resource_id(&tenant.name, resource);
                if !present.contains(&to) {
                    continue;
                }
                callers.entry(to.clone()).or_default().push(from.clone());
                graph.edges.push(Edge {
                    from: from.clone(),
                    to,
                    kind: EdgeKind::Uses,
                });
            }
        }
        for resource in tenant.resources.iter().filter(|r| in_env(&r.environments)) {
            let node_id = resource_id(&tenant.name, &resource.name);
            if touched
                .resources
                .contains(&format!("{}/{}", tenant.name, resource.name))
            {
                changed.insert(node_id.clone());
            }
            nodes.push(Node {
                id: node_id,
                label: format!("{} ({})", resource.name, resource.resource_type),
                kind: NodeKind::Resource,
                mark: Mark::None,
            });
        }
        if !nodes.is_empty() {
            graph.tenants.push((tenant.name.clone(), nodes));
        }
    }
    // The blast radius: every caller, transitively, of what changed.
    let mut affected: BTreeSet<String> = BTreeSet::new();
    let mut queue: Vec<String> = changed.iter().cloned().collect();
    while let Some(node) = queue.pop() {
        for caller in callers.get(&node).into_iter().flatten() {
            if !changed.contains(caller) && affected.insert(caller.clone()) {
                queue.push(caller.clone());
            }
        }
    }
    for (_, nodes) in &mut graph.tenants {
        for node in nodes {
            node.mark = if changed.contains(&node.id) {
                Mark::Changed
            } else if affected.contains(&node.id) {
                Mark::Affected
            } else {
                Mark::None
            };
        }
    }
    graph
}

/// The graph as text.
pub fn render(graph: &Graph, format: GraphFormat) -> String {
    match format {
        GraphFormat::Mermaid => mermaid::render(graph),
        GraphFormat::Dot => dot::render(graph),
    }
}

/// An identifier from names that are DNS labels (lower case letters, digits and `-`), valid in
/// Mermaid and DOT: `-` becomes `_d` and `__` separates the parts; an encoded name never holds
/// `__`, so two different names never share an identifier.
fn id(prefix: &str, tenant: &str, name: &str) -> String {
    format!("{prefix}__{}__{}", encode(tenant), encode(name))
}

/// The identifier of a tenant's subgraph.
fn tenant_id(tenant: &str) -> String {
    format!("tenant__{}", encode(tenant))
}

fn encode(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_string()
            } else if c == '-' {
                "_d".to_string()
            } else {
                format!("_u{:x}z", u32::from(c))
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::{id, tenant_id};

    #[test]
    fn identifiers_of_different_names_differ() {
        // `-` and the separator cannot be confused: `a--b`/`c` is not `a`/`b--c`.
        assert_ne!(id("svc", "a--b", "c"), id("svc", "a", "b--c"));
        assert_ne!(id("svc", "a-b", "c"), id("svc", "a", "b-c"));
        assert_eq!(
            id("svc", "web", "search-suggest"),
            "svc__web__search_dsuggest"
        );
        assert_eq!(tenant_id("data-eu"), "tenant__data_deu");
        // Outside the DNS-label alphabet: still an identifier, still distinct.
        let odd = id("res", "t", "a.b");
        assert!(odd.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'));
        assert_ne!(odd, id("res", "t", "a-b"));
        assert!(!odd["res__t__".len()..].contains("__"));
    }
}
