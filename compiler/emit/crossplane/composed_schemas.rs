//! Every Composition's composed resources against the providers' own CRD schemas, vendored under
//! `tests/crds/` (see its `SOURCES.md`): each `base` validates with `required` ignored (patches
//! fill the required fields), and each patch's target field exists in its kind's schema, so a
//! misspelt or renamed provider field fails here rather than on a cluster.
//!
//! Every v2 Composition of stdlib's types is checked. Only the namespaced (v2) API mode is
//! checked: the cluster-scoped managed resources that
//! claims (v1) compose (`*.aws.upbound.io`, `mongodbatlas.crossplane.io`) have no vendored
//! schemas. Core `v1` objects (the MongoDB host Secret) are not provider CRDs and are skipped.

use std::path::PathBuf;

use serde_json::Value as Json;

/// The vendored schema of `apiVersion`/`kind`, `None` for core objects (no group).
fn crd_schema(api_version: &str, kind: &str) -> Option<Result<Json, String>> {
    let (group, version) = api_version.split_once('/')?;
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/crds")
        .join(group)
        .join(format!("{}_{version}.json", kind.to_lowercase()));
    let text = std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()));
    Some(text.and_then(|t| serde_json::from_str(&t).map_err(|e| e.to_string())))
}

/// The schema without any `required` list.
fn without_required(schema: &mut Json) {
    match schema {
        Json::Object(map) => {
            map.remove("required");
            map.values_mut().for_each(without_required);
        }
        Json::Array(items) => items.iter_mut().for_each(without_required),
        _ => {}
    }
}

/// A step of a field path: `a.b[0].c` is `a`, `b`, index, `c`; `m[key]` is `m`, `key`.
#[derive(Debug, PartialEq)]
enum Step {
    Field(String),
    Index,
}

fn steps(path: &str) -> Vec<Step> {
    let mut steps = Vec::new();
    let mut field = String::new();
    let mut chars = path.chars();
    while let Some(c) = chars.next() {
        match c {
            '.' | '[' => {
                if !field.is_empty() {
                    steps.push(Step::Field(std::mem::take(&mut field)));
                }
                if c == '[' {
                    let inner: String = chars.by_ref().take_while(|&c| c != ']').collect();
                    if inner.chars().all(|c| c.is_ascii_digit()) {
                        steps.push(Step::Index);
                    } else {
                        steps.push(Step::Field(inner));
                    }
                }
            }
            _ => field.push(c),
        }
    }
    if !field.is_empty() {
        steps.push(Step::Field(field));
    }
    steps
}

/// Whether `path` names a field of `schema`; `metadata.*` always does (the schemas leave
/// `metadata` open, the API server knows it).
fn field_exists(schema: &Json, path: &str) -> bool {
    let steps = steps(path);
    if steps.first() == Some(&Step::Field("metadata".into())) {
        return true;
    }
    let mut node = schema;
    for step in &steps {
        let next = match step {
            Step::Field(name) => node["properties"].get(name).or_else(|| {
                // A map (`additionalProperties: {schema}`) takes any key.
                node["additionalProperties"]
                    .is_object()
                    .then(|| &node["additionalProperties"])
            }),
            Step::Index => (node["type"] == "array").then(|| &node["items"]),
        };
        match next {
            Some(next) => node = next,
            None => return false,
        }
    }
    true
}

/// The fields of the composed resource a patch writes.
fn patch_targets(patch: &Json) -> Option<&str> {
    match patch["type"].as_str()? {
        "FromCompositeFieldPath"
        | "FromEnvironmentFieldPath"
        | "CombineFromComposite"
        | "CombineFromEnvironment" => patch["toFieldPath"].as_str(),
        // These write the composite or the environment, not the composed resource.
        _ => None,
    }
}

/// The problems of one Composition's composed resources, each prefixed with `name`.
fn problems_in(name: &str, composition: &Json) -> Vec<String> {
    let mut problems = Vec::new();
    let pipeline = composition["spec"]["pipeline"].as_array().cloned();
    let resources = pipeline.unwrap_or_default().into_iter().flat_map(|step| {
        step["input"]["resources"]
            .as_array()
            .cloned()
            .unwrap_or_default()
    });
    for resource in resources {
        let base = &resource["base"];
        let at = format!(
            "{name}: resource `{}`",
            resource["name"].as_str().unwrap_or("?")
        );
        let api_version = base["apiVersion"].as_str().unwrap_or_default();
        let kind = base["kind"].as_str().unwrap_or_default();
        let mut schema = match crd_schema(api_version, kind) {
            None => continue,
            Some(Ok(schema)) => schema,
            Some(Err(e)) => {
                problems.push(format!("{at}: no vendored schema: {e}"));
                continue;
            }
        };
        without_required(&mut schema);
        match jsonschema::draft4::new(&schema) {
            Ok(validator) => problems.extend(
                validator
                    .iter_errors(base)
                    .map(|e| format!("{at}: base {}: {e}", e.instance_path())),
            ),
            Err(e) => problems.push(format!("{at}: schema: {e}")),
        }
        for patch in resource["patches"].as_array().into_iter().flatten() {
            if let Some(path) = patch_targets(patch)
                && !field_exists(&schema, path)
            {
                problems.push(format!("{at}: no field `{path}` in {api_version} {kind}"));
            }
        }
    }
    problems
}

#[test]
fn field_paths_split_into_fields_and_indices() {
    use Step::{Field, Index};
    let f = |s: &str| Field(s.into());
    assert_eq!(
        steps("spec.forProvider.replicationSpecs[0].regionConfigs[0].electableSpecs.instanceSize"),
        vec![
            f("spec"),
            f("forProvider"),
            f("replicationSpecs"),
            Index,
            f("regionConfigs"),
            Index,
            f("electableSpecs"),
            f("instanceSize"),
        ]
    );
    assert_eq!(
        steps("metadata.annotations[crossplane.io/external-name]"),
        vec![
            f("metadata"),
            f("annotations"),
            f("crossplane.io/external-name")
        ]
    );
}

#[test]
fn every_namespaced_composed_resource_matches_its_provider_crd() {
    let mut problems = Vec::new();
    // Every v2 Composition stdlib's `crossplane` types ship (postgres, mysql, redis, mssql,
    // amqp, elasticsearch, ...).
    let mut checked = 0;
    for (path, which, composition) in super::tests::stdlib_compositions() {
        if which == "composition" {
            checked += 1;
            problems.extend(problems_in(&path, &composition));
        }
    }
    assert_eq!(problems, Vec::<String>::new());
    assert!(checked >= 6, "stdlib ships Compositions ({checked})");
}
