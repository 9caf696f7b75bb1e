//! Emit: a [`Plan`] to the files of the GitOps tree, in memory ([`OutputTree`]).
//!
//! One module per target; each takes the same plan. Only `emit/` knows Kubernetes field names and
//! Terraform resource arguments. The whole tree exists before the disk is touched. Never reads or
//! writes files.

pub(crate) mod crossplane;
mod flux;
mod folder;
mod kubernetes;
mod output_tree;
pub mod terraform;
pub mod yaml;

pub use output_tree::{OutputFile, OutputTree};

use crate::lower::Plan;
use crate::source::SourceMap;

/// Every file of the GitOps tree for a plan.
pub fn emit(plan: &Plan, source_map: &SourceMap) -> Result<OutputTree, String> {
    let mut tree = OutputTree::default();
    kubernetes::emit(plan, source_map, &mut tree)?;
    crossplane::emit(plan, source_map, &mut tree)?;
    flux::emit(plan, source_map, &mut tree)?;
    terraform::emit(plan, source_map, &mut tree)?;
    Ok(tree)
}
