//! The Kubernetes target: for each tenant and environment, a folder of manifests built from
//! k8s-openapi types, one resource per file, named as `kustomize build -o` names them, with a
//! `kustomization.yaml` listing them.

mod tenancy;
mod workload;

use rayon::prelude::*;
use serde::Serialize;

use super::{OutputFile, OutputTree};
use crate::lower::Plan;
use crate::source::{GENERATED_HEADER, SourceMap};

/// Adds every tenant folder of the plan to the tree.
pub fn emit(plan: &Plan, source_map: &SourceMap, tree: &mut OutputTree) -> Result<(), String> {
    let folders: Vec<Result<Folder, String>> = plan
        .units
        .par_iter()
        .map(|unit| {
            let mut folder = Folder::new(format!("tenants/{}/{}", unit.tenant, unit.environment));
            let tenant_source = &source_map.get(unit.source).name;
            tenancy::emit(unit, tenant_source, &mut folder)?;
            for workload in &unit.workloads {
                let source = &source_map.get(workload.source).name;
                workload::emit(unit, workload, source, &mut folder)?;
            }
            folder.finish(tenant_source)?;
            Ok(folder)
        })
        .collect();
    for folder in folders {
        for (path, file) in folder?.files {
            tree.insert(path, file)?;
        }
    }
    Ok(())
}

/// The files of one output folder.
struct Folder {
    dir: String,
    files: Vec<(String, OutputFile)>,
    resources: Vec<String>,
}

impl Folder {
    fn new(dir: String) -> Self {
        Folder {
            dir,
            files: Vec::new(),
            resources: Vec::new(),
        }
    }

    /// Adds one object, in a file named `<group>_<version>_<kind>_<name>.yaml`.
    fn add<K>(&mut self, object: &K, name: &str, source: &str) -> Result<(), String>
    where
        K: k8s_openapi::Resource + Serialize,
    {
        let group = if K::GROUP.is_empty() {
            String::new()
        } else {
            format!("{}_", K::GROUP)
        };
        let file_name = format!(
            "{group}{}_{}_{name}.yaml",
            K::VERSION,
            K::KIND.to_lowercase()
        );
        let body = to_yaml(object)?;
        self.resources.push(file_name.clone());
        self.push(file_name, body, source);
        Ok(())
    }

    fn push(&mut self, file_name: String, body: String, source: &str) {
        let contents = format!("{}\n{body}", header(source));
        self.files.push((
            format!("{}/{file_name}", self.dir),
            OutputFile {
                contents,
                source: source.to_string(),
            },
        ));
    }

    /// Adds the `kustomization.yaml` listing every resource of the folder.
    fn finish(&mut self, source: &str) -> Result<(), String> {
        #[derive(Serialize)]
        #[serde(rename_all = "camelCase")]
        struct Kustomization<'a> {
            api_version: &'static str,
            kind: &'static str,
            resources: &'a [String],
        }
        self.resources.sort();
        let body = to_yaml(&Kustomization {
            api_version: "kustomize.config.k8s.io/v1beta1",
            kind: "Kustomization",
            resources: &self.resources,
        })?;
        self.push("kustomization.yaml".into(), body, source);
        Ok(())
    }
}

/// The first line of every generated file.
pub fn header(source: &str) -> String {
    format!("{GENERATED_HEADER} from {source}; do not edit, change the spec and run `pave compile`")
}

fn to_yaml<T: Serialize>(value: &T) -> Result<String, String> {
    super::yaml::to_string(value).map_err(|e| format!("serializing YAML: {e}"))
}
