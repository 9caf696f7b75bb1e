//! Reuse: which tenant-environment folders a compile may keep from the tree it wrote before,
//! instead of generating them again.
//!
//! A unit's folder (`tenants/<tenant>/<env>/`) is a function of four things: the unit's plan, the
//! rest of the plan (GitOps source, clusters, foundation), the names of the spec files (headers
//! name them, `FileId`s index them) and pave itself (`PAVE_BUILD_ID`, a hash of its source and
//! embedded data, set by `build.rs`). Its [`fingerprint`](fingerprints) hashes all four. The
//! writer records each unit's fingerprint in the output folder's manifest; when the next compile
//! computes the same one, emit skips the unit and the writer keeps its files as they are. So a
//! change to one service regenerates one tenant's folders in each environment, and a change to
//! anything shared (a cluster, the platform, a file added or renamed, a new pave) regenerates
//! every unit. Never reads files.

use std::collections::BTreeMap;
use std::hash::{Hash, Hasher};

use rayon::prelude::*;

use crate::lower::Plan;
use crate::source::SourceMap;

/// Collects what `Hash` feeds it, to be hashed with BLAKE3 in one call (a BLAKE3 update per
/// field would cost more than the emit it saves).
struct Collect(Vec<u8>);

impl Hasher for Collect {
    fn write(&mut self, bytes: &[u8]) {
        self.0.extend_from_slice(bytes);
    }

    fn finish(&self) -> u64 {
        0
    }
}

/// The fingerprint of every unit of the plan, in the plan's order (hex BLAKE3).
pub(super) fn fingerprints(plan: &Plan, source_map: &SourceMap) -> Vec<String> {
    // Every field but the units, by name: a field added to `Plan` must be added here too.
    let Plan {
        platform,
        units,
        gitops,
        clusters,
        foundation,
        crossplane,
        gatekeeper,
        policies,
        layout,
        // The catalog's files are always generated; no unit folder depends on it.
        catalog: _,
    } = plan;
    // Where a workload identity's access was declared is for diagnostics only, and moves with any
    // edit of its service's file; what is generated does not depend on it.
    let foundation = foundation.as_ref().map(|foundation| {
        let mut foundation = foundation.clone();
        for regional in &mut foundation.regions {
            for identity in &mut regional.identities {
                identity.origin = crate::source::Span::new(crate::source::FileId::new(0), 0, 0);
            }
            // So is the request behind a `terraform` resource type's instance.
            for instance in &mut regional.terraform_instances {
                instance.origin = crate::source::Span::new(crate::source::FileId::new(0), 0, 0);
            }
            for shared in &mut regional.terraform_shared {
                shared.origin = crate::source::Span::new(crate::source::FileId::new(0), 0, 0);
            }
        }
        foundation
    });
    // Likewise the spec nodes behind add-on values and certificates and a Capsule Tenant's
    // document: a comment atop a Tenant's file moves them and changes nothing generated.
    let nowhere = crate::source::Span::new(crate::source::FileId::new(0), 0, 0);
    let clusters: Vec<_> = clusters
        .iter()
        .map(|cluster| {
            let mut cluster = cluster.clone();
            for addon in &mut cluster.addons {
                addon.entry = nowhere;
                addon.value_origins.clear();
                for certificate in &mut addon.certificates {
                    certificate.span = nowhere;
                }
            }
            for tenant in &mut cluster.capsule_tenants {
                tenant.document = nowhere;
            }
            cluster
        })
        .collect();
    let mut shared = blake3::Hasher::new();
    shared.update(env!("PAVE_BUILD_ID").as_bytes());
    // Debug output is complete and ordered (sorted maps, plan-ordered lists), and the shared
    // part is small: a few clusters, not thousands of workloads.
    shared.update(
        format!(
            "{platform:?}\n{gitops:?}\n{clusters:?}\n{foundation:?}\n{crossplane:?}\n{gatekeeper:?}\n{policies}\n{layout:?}\n"
        )
        .as_bytes(),
    );
    for (_, file) in source_map.files() {
        shared.update(file.name.as_bytes());
        shared.update(&[0]);
    }
    let shared = shared.finalize();
    units
        .par_iter()
        .map(|unit| {
            let mut collect = Collect(Vec::with_capacity(16 * 1024));
            unit.hash(&mut collect);
            let mut hasher = blake3::Hasher::new();
            hasher.update(shared.as_bytes());
            hasher.update(&collect.0);
            hasher.finalize().to_hex().to_string()
        })
        .collect()
}

/// Which units to generate: those whose folder and fingerprint are not in `previous`.
pub(super) fn to_generate(
    dirs: &[String],
    fingerprints: &[String],
    previous: &BTreeMap<String, String>,
) -> Vec<bool> {
    dirs.iter()
        .zip(fingerprints)
        .map(|(dir, fingerprint)| previous.get(dir) != Some(fingerprint))
        .collect()
}
