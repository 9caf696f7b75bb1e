//! The standard library and JSON Schemas compiled into the binary. Each keeps its repository path
//! so that diagnostics can point into it.

/// `(path, text)` of every stdlib file.
pub const STDLIB: &[(&str, &str)] = &[
    (
        "stdlib/defaults.yaml",
        include_str!("../../stdlib/defaults.yaml"),
    ),
    ("stdlib/sizes.yaml", include_str!("../../stdlib/sizes.yaml")),
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
