//! One output folder: a file per object, named as `kustomize build -o` names them, or (between
//! [`Folder::group`] calls) a workload's objects as the documents of one `<workload>.yaml`, and a
//! `kustomization.yaml` listing them (and any sub-folders), so `kubectl kustomize` and Flux build
//! every folder. Shared by every target.

use std::collections::HashMap;

use serde::Serialize;

use super::{Checker, OutputDocument, OutputFile, Provenance};
use crate::source::GENERATED_HEADER;

/// The files of one output folder.
pub(super) struct Folder<'a> {
    dir: String,
    files: Vec<(String, OutputFile)>,
    resources: Vec<String>,
    /// The provenance of the objects added next (see [`Folder::trace`]).
    provenance: Provenance,
    /// What evaluates the folder's objects when it is finished, if anything does here.
    checker: Option<&'a Checker<'a>>,
    /// The objects the checker asked for, as the policy engine's values, by index in `files`
    /// and of the document in its file.
    objects: Vec<(usize, usize, regorus::Value)>,
    /// The file the objects added next go into, one document each (see [`Folder::group`]).
    group: Option<String>,
    /// Each multi-document file's index in `files`, by file name.
    grouped: HashMap<String, usize>,
}

impl<'a> Folder<'a> {
    /// An empty folder at `dir`, relative to the output root.
    pub(super) fn new(dir: String) -> Self {
        Folder {
            dir,
            files: Vec::new(),
            resources: Vec::new(),
            provenance: Provenance::default(),
            checker: None,
            objects: Vec::new(),
            group: None,
            grouped: HashMap::new(),
        }
    }

    /// An empty folder whose objects `checker` evaluates as it is finished (with `None`, like
    /// [`Folder::new`]): from the typed objects, while they are at hand, rather than by parsing
    /// the files back once the whole tree is built.
    pub(super) fn checked(dir: String, checker: Option<&'a Checker<'a>>) -> Self {
        Folder {
            checker,
            ..Folder::new(dir)
        }
    }

    /// Sets where the objects added from now on come from, until the next call.
    pub(super) fn trace(&mut self, provenance: Provenance) {
        self.provenance = provenance;
    }

    /// Puts the objects added from now on, until the next call, in the file `<name>.yaml`, one
    /// YAML document each, in the order they are added (`None`: a file per object again). A
    /// name must not be `kustomization` (validate reserves it) nor contain `_` (per-object
    /// names do), so it is never another file's name.
    pub(super) fn group(&mut self, name: Option<&str>) {
        self.group = name.map(|name| format!("{name}.yaml"));
    }

    /// Adds one typed object, in a file named `<group>_<version>_<kind>_<name>.yaml`.
    pub(super) fn add<K>(&mut self, object: &K, name: &str, source: &str) -> Result<(), String>
    where
        K: k8s_openapi::Resource + Serialize,
    {
        self.add_object(K::API_VERSION, K::KIND, name, object, source)
    }

    /// Adds one object given its `apiVersion` and `kind` (for objects pave has no type for).
    pub(super) fn add_object<T: Serialize>(
        &mut self,
        api_version: &str,
        kind: &str,
        name: &str,
        object: &T,
        source: &str,
    ) -> Result<(), String> {
        let prefix = match api_version.split_once('/') {
            Some((group, version)) => format!("{group}_{version}"),
            None => api_version.to_string(),
        };
        let file_name = match &self.group {
            Some(group) => group.clone(),
            None => format!(
                "{prefix}_{}_{}.yaml",
                kind.to_lowercase(),
                file_name_part(name)
            ),
        };
        let body = if self.contents() {
            to_yaml(object)?
        } else {
            String::new()
        };
        self.provenance.api_version = api_version.to_string();
        self.provenance.kind = kind.to_string();
        // One conversion serves both: the policy engine's value, and the wiring check's JSON made
        // from it (see `output_tree::for_wiring`).
        let mut wanted = self
            .checker
            .filter(|checker| checker.check.wants(api_version, kind))
            .is_some();
        let read = super::output_tree::wiring_reads(kind, &self.dir);
        // An object only the checks read: converted whole only if their answers on it are not
        // known already, from the part of it they read.
        if wanted
            && !read
            && let Some(checker) = self.checker
            && let Some(mask) = checker.check.mask(api_version, kind)
        {
            let masked = super::engine_value::to_value_masked(object, mask)
                .map_err(|e| format!("converting `{file_name}` for the checks: {e}"))?;
            let path = format!("{}/{file_name}", self.dir);
            wanted = !checker.check.answered(&path, &self.provenance, &masked);
        }
        let value = if wanted || read {
            Some(
                super::engine_value::to_value(object)
                    .map_err(|e| format!("converting `{file_name}` for the checks: {e}"))?,
            )
        } else {
            None
        };
        let json = match &value {
            Some(value) if read => Some(std::sync::Arc::new(super::output_tree::for_wiring(
                kind, value,
            ))),
            _ => None,
        };
        if wanted && let Some(value) = value {
            let (file, document) = match self.grouped.get(&file_name) {
                Some(&index) => (
                    index,
                    self.files.get(index).map_or(0, |(_, f)| f.documents.len()),
                ),
                None => (self.files.len(), 0),
            };
            self.objects.push((file, document, value));
        }
        let document = OutputDocument {
            provenance: self.provenance.clone(),
            object: json,
        };
        if let Some(&index) = self.grouped.get(&file_name)
            && let Some((_, file)) = self.files.get_mut(index)
        {
            file.contents.push_str("---\n");
            file.contents.push_str(&body);
            file.documents.push(document);
            return Ok(());
        }
        if self.group.is_some() {
            self.grouped.insert(file_name.clone(), self.files.len());
        }
        self.resources.push(file_name.clone());
        self.push(file_name, body, source, document);
        Ok(())
    }

    /// Lists another kustomization folder (relative to this one) among the resources.
    pub(super) fn add_folder(&mut self, relative: &str) {
        self.resources.push(relative.to_string());
    }

    /// Whether the folder's files get their contents (see [`super::Checker::contents`]).
    fn contents(&self) -> bool {
        self.checker.is_none_or(|checker| checker.contents)
    }

    fn push(&mut self, file_name: String, body: String, source: &str, document: OutputDocument) {
        // Without contents, not even the header: at 10,000 services, 20 MB of `pave check`.
        let contents = if self.contents() {
            format!("{}\n{body}", header(source))
        } else {
            String::new()
        };
        self.files.push((
            format!("{}/{file_name}", self.dir),
            OutputFile {
                contents,
                source: source.to_string(),
                documents: vec![document],
                checked: self.checker.is_some(),
            },
        ));
    }

    /// Adds the `kustomization.yaml` listing every resource of the folder, sorted, and returns
    /// the folder's files.
    pub(super) fn finish(mut self, source: &str) -> Result<Vec<(String, OutputFile)>, String> {
        self.group = None;
        self.provenance.object = None;
        self.provenance.fields = std::sync::Arc::default();
        self.provenance.api_version = "kustomize.config.k8s.io/v1beta1".into();
        self.provenance.kind = "Kustomization".into();
        #[derive(Serialize)]
        #[serde(rename_all = "camelCase")]
        struct Kustomization<'a> {
            api_version: &'static str,
            kind: &'static str,
            resources: &'a [String],
        }
        self.resources.sort();
        let kustomization = Kustomization {
            api_version: "kustomize.config.k8s.io/v1beta1",
            kind: "Kustomization",
            resources: &self.resources,
        };
        let body = if self.contents() {
            to_yaml(&kustomization)?
        } else {
            String::new()
        };
        let json = serde_json::to_value(&kustomization)
            .map(super::Json::from)
            .map_err(|e| format!("converting a kustomization.yaml for the wiring check: {e}"))?;
        let document = OutputDocument {
            provenance: self.provenance.clone(),
            object: Some(std::sync::Arc::new(json)),
        };
        self.push("kustomization.yaml".into(), body, source, document);
        // A workload's file grew one document at a time, by doubling: the tree keeps every
        // file until it is written, so each is cut to its length (the allocator does not
        // shrink a block in place, hence the copy).
        for (_, file) in &mut self.files {
            if file.contents.capacity() > file.contents.len() + file.contents.len() / 8 {
                file.contents = file.contents.as_str().to_owned();
            }
        }
        if let Some(checker) = self.checker {
            let files = &self.files;
            let objects: Vec<(&str, &OutputFile, &Provenance, regorus::Value)> =
                std::mem::take(&mut self.objects)
                    .into_iter()
                    .filter_map(|(i, document, value)| {
                        let (path, file) = files.get(i)?;
                        let provenance = &file.documents.get(document)?.provenance;
                        Some((path.as_str(), file, provenance, value))
                    })
                    .collect();
            let findings = checker.check.check_folder(objects);
            if !findings.is_empty() {
                match checker.findings.lock() {
                    Ok(mut all) => all.extend(findings),
                    Err(poisoned) => poisoned.into_inner().extend(findings),
                }
                match checker.flagged.lock() {
                    Ok(mut flagged) => flagged.insert(self.dir.clone()),
                    Err(poisoned) => poisoned.into_inner().insert(self.dir.clone()),
                };
            }
        }
        Ok(self.files)
    }
}

/// The first line of every generated file.
/// An object's name as part of a file name: characters outside letters, digits, `.`, `_` and `-`
/// percent-encoded (`%3A` for `:`). RBAC objects may be named `system:aggregate-to-edit`, and a
/// `:` has no place in a portable path (pave's own state refuses one, as Windows does); `%` is in
/// no Kubernetes name, so two names never share a file.
fn file_name_part(name: &str) -> std::borrow::Cow<'_, str> {
    let plain = |c: char| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-');
    if name.chars().all(plain) {
        return std::borrow::Cow::Borrowed(name);
    }
    let mut encoded = String::with_capacity(name.len() + 8);
    for c in name.chars() {
        if plain(c) {
            encoded.push(c);
        } else {
            let mut bytes = [0; 4];
            for byte in c.encode_utf8(&mut bytes).bytes() {
                encoded.push_str(&format!("%{byte:02X}"));
            }
        }
    }
    std::borrow::Cow::Owned(encoded)
}

pub(super) fn header(source: &str) -> String {
    format!("{GENERATED_HEADER} from {source}; do not edit, change the spec and run `pave compile`")
}

pub(super) fn to_yaml<T: Serialize>(value: &T) -> Result<String, String> {
    super::yaml::to_string(value).map_err(|e| format!("serializing YAML: {e}"))
}

#[cfg(test)]
mod tests {
    use super::file_name_part;

    #[test]
    fn names_with_characters_a_path_should_not_hold_are_percent_encoded() {
        assert_eq!(file_name_part("web-1.internal_x"), "web-1.internal_x");
        assert_eq!(
            file_name_part("crossplane:aggregate-to-crossplane"),
            "crossplane%3Aaggregate-to-crossplane"
        );
        assert_eq!(file_name_part("a b"), "a%20b");
    }
}
