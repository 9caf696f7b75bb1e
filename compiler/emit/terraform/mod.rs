//! The Terraform target: the cloud foundation as Terraform JSON that `terraform init` and
//! `terraform plan` accept as is. One root module per environment and region
//! (`terraform/<env>/<region>/`) and one for the ECR registry (`terraform/registry/`), each split
//! into a file per generator: `terraform.tf.json` (backend and provider), `network.tf.json`,
//! `iam.tf.json`, `eks.tf.json`, `nodes.tf.json` (when an add-on launches nodes), `dns.tf.json`, `secrets.tf.json` (when services name secrets),
//! `resources.tf.json` (the blocks of `terraform` resource types services request),
//! `registry.tf.json`.
//!
//! Built from typed argument structs ([`aws`]) into a typed configuration ([`model::Config`]),
//! written canonically. JSON has no comments: each file's first key is Terraform's `"//"`
//! comment naming the spec it came from, and the ownership manifest records it as pave's.

mod aws;
mod backend;
mod dns;
mod eks;
mod iam;
mod model;
mod network;
mod nodes;
mod policy;
mod registry;
mod resource_types;
mod secrets;

use rayon::prelude::*;

use std::sync::Arc;

use super::{ObjectContext, OutputFile, OutputTree, Provenance};
use crate::lower::{Foundation, Plan, RegionalFoundation, Registry};
use crate::source::{GENERATED_HEADER, GENERATED_JSON_HEADER, SourceMap};
use model::Config;

/// The folder of the Terraform root modules, in the output tree.
const ROOT: &str = "terraform";

/// Adds every root module of the plan's foundation to the tree.
pub fn emit(plan: &Plan, source_map: &SourceMap, tree: &mut OutputTree) -> Result<(), String> {
    let Some(foundation) = &plan.foundation else {
        return Ok(());
    };
    let modules: Vec<Result<Vec<(String, OutputFile)>, String>> = foundation
        .regions
        .par_iter()
        .map(|regional| {
            regional_module(foundation, regional, &source_map.get(regional.source).name)
        })
        .collect();
    for module in modules {
        for (path, file) in module? {
            tree.insert(path, file)?;
        }
    }
    if let Some(registry) = &foundation.registry {
        let source = &source_map.get(registry.source).name;
        for (path, file) in registry_module(foundation, registry, source)? {
            tree.insert(path, file)?;
        }
    }
    Ok(())
}

/// The files of one root module, by name.
struct Module {
    folder: String,
    source: String,
    files: Vec<(String, OutputFile)>,
    /// Where its files come from: the spec that asked for the module.
    provenance: Provenance,
}

impl Module {
    fn new(folder: &str, source: &str, context: ObjectContext) -> Self {
        Module {
            folder: folder.to_string(),
            source: source.to_string(),
            files: Vec::new(),
            provenance: Provenance::new(None, &Arc::new(context)),
        }
    }

    /// A new file's configuration, starting with the generated-file comment.
    fn config(&self) -> Config {
        Config::new(comment(&self.source))
    }

    /// Adds a file, unless there is nothing in it.
    fn add(&mut self, name: &str, config: &Config) -> Result<(), String> {
        if config.is_empty() {
            return Ok(());
        }
        let path = format!("{ROOT}/{}/{name}.tf.json", self.folder);
        let contents = config.render()?;
        // The writer recognises pave's files by this start when the manifest is lost.
        if !contents.starts_with(GENERATED_JSON_HEADER) {
            return Err(format!("`{path}` does not start with pave's header"));
        }
        self.files.push((
            path,
            OutputFile::single(
                contents,
                self.source.clone(),
                self.provenance.clone(),
                false,
            ),
        ));
        Ok(())
    }
}

/// The text of the `"//"` comment every generated Terraform file starts with.
fn comment(source: &str) -> String {
    let header = GENERATED_HEADER.trim_start_matches("# ");
    format!("{header} from {source}; do not edit, change the spec and run `pave compile`")
}

fn regional_module(
    foundation: &Foundation,
    regional: &RegionalFoundation,
    source: &str,
) -> Result<Vec<(String, OutputFile)>, String> {
    let context = ObjectContext {
        environment: Some(regional.environment.clone()),
        region: Some(regional.location.region.clone()),
        cluster: Some(regional.cluster_name.clone()),
        ..ObjectContext::default()
    };
    let mut module = Module::new(&regional.folder, source, context);

    let mut config = module.config();
    backend::emit(
        &mut config,
        &foundation.state,
        &regional.folder,
        &regional.location,
        &regional.tags,
    )?;
    module.add("terraform", &config)?;

    let mut network_config = module.config();
    let network = network::emit(&mut network_config, regional)?;
    module.add("network", &network_config)?;

    let mut iam_config = module.config();
    let roles = iam::emit(&mut iam_config, regional)?;
    // Each service's role and policy come from the spec node that declared its access.
    let blocks = iam::identity_blocks(&regional.identities);
    for (identity, block) in regional.identities.iter().zip(&blocks) {
        for resource_type in ["aws_iam_role", "aws_iam_role_policy"] {
            std::sync::Arc::make_mut(&mut module.provenance.fields).push((
                format!("/resource/{resource_type}/{block}"),
                identity.origin,
            ));
        }
    }
    module.add("iam", &iam_config)?;
    module.provenance.fields = std::sync::Arc::default();

    let mut eks_config = module.config();
    eks::emit(&mut eks_config, regional, &network, &roles)?;
    module.add("eks", &eks_config)?;

    let mut nodes_config = module.config();
    nodes::emit(&mut nodes_config, regional)?;
    // The nodes' role, queue and rules come from the add-on's `nodeProvisioner`.
    if let Some(nodes) = regional.node_provisioners.first() {
        std::sync::Arc::make_mut(&mut module.provenance.fields).push((String::new(), nodes.origin));
    }
    module.add("nodes", &nodes_config)?;
    module.provenance.fields = std::sync::Arc::default();

    let mut dns_config = module.config();
    dns::emit(&mut dns_config, regional, &network.logs_key)?;
    module.add("dns", &dns_config)?;

    let mut resources_config = module.config();
    resource_types::emit(&mut resources_config, regional)?;
    // Each instance's blocks come from the request that asked for the resource, a type's shared
    // blocks from its first request in the cluster.
    let shared = regional
        .terraform_shared
        .iter()
        .map(|shared| (&shared.resources, &shared.data, shared.origin));
    let instances = regional
        .terraform_instances
        .iter()
        .map(|instance| (&instance.resources, &instance.data, instance.origin));
    for (resources, data, origin) in shared.chain(instances) {
        for (section, blocks) in [("resource", resources), ("data", data)] {
            for (kind, named) in blocks {
                for name in named.keys() {
                    std::sync::Arc::make_mut(&mut module.provenance.fields)
                        .push((format!("/{section}/{kind}/{name}"), origin));
                }
            }
        }
    }
    module.add("resources", &resources_config)?;
    module.provenance.fields = std::sync::Arc::default();

    let mut secrets_config = module.config();
    secrets::emit(&mut secrets_config, regional, network.data.as_ref())?;
    module.add("secrets", &secrets_config)?;
    Ok(module.files)
}

fn registry_module(
    foundation: &Foundation,
    registry: &Registry,
    source: &str,
) -> Result<Vec<(String, OutputFile)>, String> {
    let context = ObjectContext {
        region: Some(registry.location.region.clone()),
        ..ObjectContext::default()
    };
    let mut module = Module::new(&registry.folder, source, context);
    let mut config = module.config();
    backend::emit(
        &mut config,
        &foundation.state,
        &registry.folder,
        &registry.location,
        &registry.tags,
    )?;
    module.add("terraform", &config)?;
    let mut registry_config = module.config();
    registry::emit(&mut registry_config, registry)?;
    module.add("registry", &registry_config)?;
    Ok(module.files)
}
