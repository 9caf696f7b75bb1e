//! The graph as Graphviz DOT (graphviz.org/doc/info/lang.html): a `cluster_` subgraph per tenant
//! (drawn as a box); shapes by kind (service: box, website: rounded box, job: component, managed
//! resource: cylinder); calls solid, calls across tenants bold, resource use dashed; what a change
//! touches filled in amber, its callers in pale amber.

use std::fmt::Write as _;

use super::{EdgeKind, Graph, Mark, NodeKind, tenant_id};

pub(super) fn render(graph: &Graph) -> String {
    let mut out = String::from(
        "digraph platform {\n  rankdir=LR;\n  node [fontname=\"Helvetica\", fontsize=11];\n",
    );
    for (tenant, nodes) in &graph.tenants {
        let _ = writeln!(out, "  subgraph cluster_{} {{", tenant_id(tenant));
        let _ = writeln!(out, "    label={};", quote(tenant));
        for node in nodes {
            let shape = match node.kind {
                NodeKind::Service | NodeKind::Website => "box",
                NodeKind::Job => "component",
                NodeKind::Resource => "cylinder",
            };
            let mut styles = Vec::new();
            if node.kind == NodeKind::Website {
                styles.push("rounded");
            }
            let fill = match node.mark {
                Mark::None => "",
                Mark::Changed => {
                    styles.push("filled");
                    ", fillcolor=\"#fde68a\", penwidth=3"
                }
                Mark::Affected => {
                    styles.extend(["filled", "dashed"]);
                    ", fillcolor=\"#fef3c7\""
                }
            };
            let style = if styles.is_empty() {
                String::new()
            } else {
                format!(", style={}", quote(&styles.join(",")))
            };
            let _ = writeln!(
                out,
                "    {} [label={}, shape={shape}{style}{fill}];",
                node.id,
                quote(&node.label)
            );
        }
        out.push_str("  }\n");
    }
    for edge in &graph.edges {
        let style = match edge.kind {
            EdgeKind::Call => "",
            EdgeKind::CrossTenant => " [style=bold]",
            EdgeKind::Uses => " [style=dashed, arrowhead=none]",
        };
        let _ = writeln!(out, "  {} -> {}{style};", edge.from, edge.to);
    }
    out.push_str("}\n");
    out
}

/// A DOT string: `"` and `\` escaped.
fn quote(text: &str) -> String {
    format!("\"{}\"", text.replace('\\', "\\\\").replace('"', "\\\""))
}
