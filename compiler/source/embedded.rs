//! The standard library and JSON Schemas compiled into the binary. Each keeps its repository path
//! so that diagnostics can point into it. Keep `STDLIB` sorted by path within each folder; a
//! unit test checks that every file of `stdlib/addons/` is listed.

/// `(path, text)` of every stdlib file.
pub const STDLIB: &[(&str, &str)] = &[
    (
        "stdlib/defaults.yaml",
        include_str!("../../stdlib/defaults.yaml"),
    ),
    ("stdlib/sizes.yaml", include_str!("../../stdlib/sizes.yaml")),
    (
        "stdlib/addons/authentik.yaml",
        include_str!("../../stdlib/addons/authentik.yaml"),
    ),
    (
        "stdlib/addons/aws-load-balancer-controller.yaml",
        include_str!("../../stdlib/addons/aws-load-balancer-controller.yaml"),
    ),
    (
        "stdlib/addons/capsule.yaml",
        include_str!("../../stdlib/addons/capsule.yaml"),
    ),
    (
        "stdlib/addons/cert-manager.yaml",
        include_str!("../../stdlib/addons/cert-manager.yaml"),
    ),
    (
        "stdlib/addons/crossplane.yaml",
        include_str!("../../stdlib/addons/crossplane.yaml"),
    ),
    (
        "stdlib/addons/external-dns.yaml",
        include_str!("../../stdlib/addons/external-dns.yaml"),
    ),
    (
        "stdlib/addons/external-secrets.yaml",
        include_str!("../../stdlib/addons/external-secrets.yaml"),
    ),
    (
        "stdlib/addons/fluent-bit.yaml",
        include_str!("../../stdlib/addons/fluent-bit.yaml"),
    ),
    (
        "stdlib/addons/gatekeeper.yaml",
        include_str!("../../stdlib/addons/gatekeeper.yaml"),
    ),
    (
        "stdlib/addons/grafana.yaml",
        include_str!("../../stdlib/addons/grafana.yaml"),
    ),
    (
        "stdlib/addons/headlamp.yaml",
        include_str!("../../stdlib/addons/headlamp.yaml"),
    ),
    (
        "stdlib/addons/istio-base.yaml",
        include_str!("../../stdlib/addons/istio-base.yaml"),
    ),
    (
        "stdlib/addons/istiod.yaml",
        include_str!("../../stdlib/addons/istiod.yaml"),
    ),
    (
        "stdlib/addons/karpenter.yaml",
        include_str!("../../stdlib/addons/karpenter.yaml"),
    ),
    (
        "stdlib/addons/kubecost.yaml",
        include_str!("../../stdlib/addons/kubecost.yaml"),
    ),
    (
        "stdlib/addons/metrics-server.yaml",
        include_str!("../../stdlib/addons/metrics-server.yaml"),
    ),
    (
        "stdlib/addons/opensearch-dashboards.yaml",
        include_str!("../../stdlib/addons/opensearch-dashboards.yaml"),
    ),
    (
        "stdlib/addons/opensearch.yaml",
        include_str!("../../stdlib/addons/opensearch.yaml"),
    ),
    (
        "stdlib/addons/opentelemetry-collector.yaml",
        include_str!("../../stdlib/addons/opentelemetry-collector.yaml"),
    ),
    (
        "stdlib/addons/vault.yaml",
        include_str!("../../stdlib/addons/vault.yaml"),
    ),
    (
        "stdlib/policies/allowed-registries.rego",
        include_str!("../../stdlib/policies/allowed-registries.rego"),
    ),
    (
        "stdlib/policies/database-backups.rego",
        include_str!("../../stdlib/policies/database-backups.rego"),
    ),
    (
        "stdlib/policies/database-deletion-protection.rego",
        include_str!("../../stdlib/policies/database-deletion-protection.rego"),
    ),
    (
        "stdlib/policies/database-encrypted.rego",
        include_str!("../../stdlib/policies/database-encrypted.rego"),
    ),
    (
        "stdlib/policies/iam-no-wildcard.rego",
        include_str!("../../stdlib/policies/iam-no-wildcard.rego"),
    ),
    (
        "stdlib/policies/image-tag-pinned.rego",
        include_str!("../../stdlib/policies/image-tag-pinned.rego"),
    ),
    (
        "stdlib/policies/lib/kubernetes.rego",
        include_str!("../../stdlib/policies/lib/kubernetes.rego"),
    ),
    (
        "stdlib/policies/literal-secret.rego",
        include_str!("../../stdlib/policies/literal-secret.rego"),
    ),
    (
        "stdlib/policies/no-host-namespaces.rego",
        include_str!("../../stdlib/policies/no-host-namespaces.rego"),
    ),
    (
        "stdlib/policies/no-host-path.rego",
        include_str!("../../stdlib/policies/no-host-path.rego"),
    ),
    (
        "stdlib/policies/no-privileged-containers.rego",
        include_str!("../../stdlib/policies/no-privileged-containers.rego"),
    ),
    (
        "stdlib/policies/no-secret-data.rego",
        include_str!("../../stdlib/policies/no-secret-data.rego"),
    ),
    (
        "stdlib/policies/production-disruption-budget.rego",
        include_str!("../../stdlib/policies/production-disruption-budget.rego"),
    ),
    (
        "stdlib/policies/production-replicas.rego",
        include_str!("../../stdlib/policies/production-replicas.rego"),
    ),
    (
        "stdlib/policies/public-ingress-declared.rego",
        include_str!("../../stdlib/policies/public-ingress-declared.rego"),
    ),
    (
        "stdlib/policies/resources-set.rego",
        include_str!("../../stdlib/policies/resources-set.rego"),
    ),
    (
        "stdlib/policies/s3-not-public.rego",
        include_str!("../../stdlib/policies/s3-not-public.rego"),
    ),
    (
        "stdlib/policies/tenant-placement.rego",
        include_str!("../../stdlib/policies/tenant-placement.rego"),
    ),
    (
        "stdlib/policies/tenant-quota-budget.rego",
        include_str!("../../stdlib/policies/tenant-quota-budget.rego"),
    ),
    (
        "stdlib/resources/amqp.yaml",
        include_str!("../../stdlib/resources/amqp.yaml"),
    ),
    (
        "stdlib/resources/elasticsearch.yaml",
        include_str!("../../stdlib/resources/elasticsearch.yaml"),
    ),
    (
        "stdlib/resources/kafka-topic.yaml",
        include_str!("../../stdlib/resources/kafka-topic.yaml"),
    ),
    (
        "stdlib/resources/mongodb.yaml",
        include_str!("../../stdlib/resources/mongodb.yaml"),
    ),
    (
        "stdlib/resources/mssql.yaml",
        include_str!("../../stdlib/resources/mssql.yaml"),
    ),
    (
        "stdlib/resources/mysql.yaml",
        include_str!("../../stdlib/resources/mysql.yaml"),
    ),
    (
        "stdlib/resources/postgres.yaml",
        include_str!("../../stdlib/resources/postgres.yaml"),
    ),
    (
        "stdlib/resources/redis.yaml",
        include_str!("../../stdlib/resources/redis.yaml"),
    ),
    (
        "stdlib/resources/s3-bucket.yaml",
        include_str!("../../stdlib/resources/s3-bucket.yaml"),
    ),
    (
        "stdlib/resources/sqs-queue.yaml",
        include_str!("../../stdlib/resources/sqs-queue.yaml"),
    ),
];

/// The folder of the add-on catalogue: one file per add-on, named after it.
pub const STDLIB_ADDONS: &str = "stdlib/addons/";

/// The folder of the default guardrails: one Rego policy per rule.
pub const STDLIB_POLICIES: &str = "stdlib/policies/";

/// The folder of the resource catalogue: one file per resource type, named after it.
pub const STDLIB_RESOURCES: &str = "stdlib/resources/";

/// The folder of the golden-path templates `pave new` writes specs from: one file per template,
/// named after it. Not specs: discovery never reads them.
pub const STDLIB_TEMPLATES: &str = "stdlib/templates/";

/// `(path, text)` of every stdlib template, sorted by path.
pub const TEMPLATES: &[(&str, &str)] = &[
    (
        "stdlib/templates/java-service.yaml",
        include_str!("../../stdlib/templates/java-service.yaml"),
    ),
    (
        "stdlib/templates/python-service.yaml",
        include_str!("../../stdlib/templates/python-service.yaml"),
    ),
    (
        "stdlib/templates/tenant.yaml",
        include_str!("../../stdlib/templates/tenant.yaml"),
    ),
    (
        "stdlib/templates/web.yaml",
        include_str!("../../stdlib/templates/web.yaml"),
    ),
    (
        "stdlib/templates/worker.yaml",
        include_str!("../../stdlib/templates/worker.yaml"),
    ),
];

/// `(file name, text)` of every spec schema, by kind.
pub const SCHEMAS: &[(&str, &str)] = &[
    (
        "platform.schema.json",
        include_str!("../../schemas/platform.schema.json"),
    ),
    (
        "environment.schema.json",
        include_str!("../../schemas/environment.schema.json"),
    ),
    (
        "tenant.schema.json",
        include_str!("../../schemas/tenant.schema.json"),
    ),
    (
        "service.schema.json",
        include_str!("../../schemas/service.schema.json"),
    ),
    (
        "waiver.schema.json",
        include_str!("../../schemas/waiver.schema.json"),
    ),
    (
        "resource-type.schema.json",
        include_str!("../../schemas/resource-type.schema.json"),
    ),
    (
        "score.schema.json",
        include_str!("../../schemas/score.schema.json"),
    ),
    (
        "score-overrides.schema.json",
        include_str!("../../schemas/score-overrides.schema.json"),
    ),
];

/// The text of a stdlib file by its path, e.g. `stdlib/sizes.yaml`.
pub fn stdlib_file(path: &str) -> Option<&'static str> {
    STDLIB
        .iter()
        .find(|(p, _)| *p == path)
        .map(|(_, text)| *text)
}

/// The schema text of a file name, e.g. `service.schema.json`.
pub fn schema_source(file_name: &str) -> Option<&'static str> {
    SCHEMAS
        .iter()
        .find(|(p, _)| *p == file_name)
        .map(|(_, text)| *text)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The files under a stdlib folder on disk, as `STDLIB` names them, sorted.
    fn on_disk(folder: &str) -> Vec<String> {
        let root = env!("CARGO_MANIFEST_DIR");
        let mut files: Vec<String> = walkdir::WalkDir::new(format!("{root}/{folder}"))
            .into_iter()
            .filter_map(Result::ok)
            .filter(|e| e.file_type().is_file())
            .filter_map(|e| {
                let relative = e.path().strip_prefix(root).ok()?;
                Some(relative.to_string_lossy().replace('\\', "/"))
            })
            .collect();
        files.sort();
        files
    }

    fn embedded(folder: &str) -> Vec<String> {
        STDLIB
            .iter()
            .filter(|(path, _)| path.starts_with(folder))
            .map(|(path, _)| (*path).to_string())
            .collect()
    }

    #[test]
    fn every_addon_file_is_embedded() {
        assert_eq!(embedded(STDLIB_ADDONS), on_disk(STDLIB_ADDONS));
    }

    #[test]
    fn every_template_file_is_embedded() {
        let templates: Vec<String> = TEMPLATES.iter().map(|(p, _)| (*p).to_string()).collect();
        assert_eq!(templates, on_disk(STDLIB_TEMPLATES));
    }

    #[test]
    fn every_policy_file_is_embedded() {
        assert_eq!(embedded(STDLIB_POLICIES), on_disk(STDLIB_POLICIES));
    }

    #[test]
    fn every_resource_type_has_an_embedded_file() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/stdlib/resources");
        let mut on_disk: Vec<String> = std::fs::read_dir(dir)
            .map(|entries| {
                entries
                    .filter_map(Result::ok)
                    .map(|e| format!("{STDLIB_RESOURCES}{}", e.file_name().to_string_lossy()))
                    .collect()
            })
            .unwrap_or_default();
        on_disk.sort();
        let embedded: Vec<String> = STDLIB
            .iter()
            .filter(|(path, _)| path.starts_with(STDLIB_RESOURCES))
            .map(|(path, _)| (*path).to_string())
            .collect();
        assert_eq!(embedded, on_disk);
        // Each of stdlib's six original types (the named `ResourceType`s) has its file.
        let missing: Vec<String> = crate::parse::ResourceType::ALL
            .iter()
            .map(|t| format!("{STDLIB_RESOURCES}{}.yaml", t.as_str()))
            .filter(|path| !on_disk.contains(path))
            .collect();
        assert_eq!(missing, Vec::<String>::new());
    }
}
