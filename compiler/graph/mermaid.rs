//! The graph as a Mermaid flowchart (mermaid.js.org/syntax/flowchart.html): a `subgraph` per
//! tenant; shapes by kind (service: rectangle, website: stadium, job: subroutine, managed
//! resource: cylinder); calls `-->`, calls across tenants `==>`, resource use `-.->`; what a
//! change touches in the `changed` class, its callers in `affected`.

use std::fmt::Write as _;

use super::{EdgeKind, Graph, Mark, NodeKind, tenant_id};

pub(super) fn render(graph: &Graph) -> String {
    let mut out = String::from("flowchart LR\n");
    for (tenant, nodes) in &graph.tenants {
        let _ = writeln!(
            out,
            "  subgraph {}[\"{}\"]",
            tenant_id(tenant),
            quote(tenant)
        );
        for node in nodes {
            let label = quote(&node.label);
            let shape = match node.kind {
                NodeKind::Service => format!("[\"{label}\"]"),
                NodeKind::Website => format!("([\"{label}\"])"),
                NodeKind::Job => format!("[[\"{label}\"]]"),
                NodeKind::Resource => format!("[(\"{label}\")]"),
            };
            let _ = writeln!(out, "    {}{shape}", node.id);
        }
        out.push_str("  end\n");
    }
    for edge in &graph.edges {
        let arrow = match edge.kind {
            EdgeKind::Call => "-->",
            EdgeKind::CrossTenant => "==>",
            EdgeKind::Uses => "-.->",
        };
        let _ = writeln!(out, "  {} {arrow} {}", edge.from, edge.to);
    }
    let marked = |mark: Mark| -> Vec<&str> {
        graph
            .tenants
            .iter()
            .flat_map(|(_, nodes)| nodes)
            .filter(|n| n.mark == mark)
            .map(|n| n.id.as_str())
            .collect()
    };
    for (mark, class, style) in [
        (
            Mark::Changed,
            "changed",
            "fill:#fde68a,stroke:#b45309,stroke-width:3px",
        ),
        (
            Mark::Affected,
            "affected",
            "fill:#fef3c7,stroke:#d97706,stroke-dasharray:4 2",
        ),
    ] {
        let ids = marked(mark);
        if !ids.is_empty() {
            let _ = writeln!(out, "  classDef {class} {style}");
            let _ = writeln!(out, "  class {} {class}", ids.join(","));
        }
    }
    out
}

/// A label inside `"..."`: Mermaid reads `#quot;` for a double quote.
fn quote(text: &str) -> String {
    text.replace('"', "#quot;")
}
