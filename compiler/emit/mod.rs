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
mod reuse;
pub mod terraform;
pub mod yaml;

pub use output_tree::{OutputFile, OutputTree};

use std::collections::BTreeMap;

use crate::lower::Plan;
use crate::source::SourceMap;

/// Every file of the GitOps tree for a plan.
///
/// With `reuse` (the unit fingerprints a previous compile recorded, by unit folder), the tree
/// records every unit's fingerprint, and a unit whose fingerprint is unchanged is not generated:
/// its folder is listed in [`OutputTree::reused`] for the writer to keep as it is. Without,
/// everything is generated (what `diff` and `compile --check` compare against the disk).
pub fn emit(
    plan: &Plan,
    source_map: &SourceMap,
    reuse: Option<&BTreeMap<String, String>>,
) -> Result<OutputTree, String> {
    let mut tree = OutputTree::default();
    let generate = match reuse {
        None => vec![true; plan.units.len()],
        Some(previous) => {
            let dirs: Vec<String> = plan.units.iter().map(kubernetes::unit_dir).collect();
            let fingerprints = reuse::fingerprints(plan, source_map);
            let generate = reuse::to_generate(&dirs, &fingerprints, previous);
            for ((dir, fingerprint), generated) in dirs.into_iter().zip(fingerprints).zip(&generate)
            {
                if !generated {
                    tree.reused.insert(dir.clone());
                }
                tree.units.insert(dir, fingerprint);
            }
            generate
        }
    };
    kubernetes::emit(plan, &generate, source_map, &mut tree)?;
    crossplane::emit(plan, &generate, source_map, &mut tree)?;
    flux::emit(plan, &generate, source_map, &mut tree)?;
    terraform::emit(plan, source_map, &mut tree)?;
    Ok(tree)
}
