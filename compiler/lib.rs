//! pave: a declarative platform configuration compiler.
//!
//! The pipeline, one module per stage, each a pure function of the previous stage's output:
//!
//! 1. [`source`]: find the platform root and read its spec files ([`source::SourceMap`]).
//! 2. [`parse`]: YAML with exact spans, checked against the JSON Schemas ([`parse::ParsedSpecs`]).
//! 3. [`resolve`]: names resolved, defaults and per-environment overrides merged
//!    ([`resolve::ResolvedSpec`]).
//! 4. [`validate`]: semantic checks across documents ([`validate::ValidatedSpec`]);
//!    [`policy`]: the Rego policies compiled once ([`policy::PolicySet`]) and evaluated on
//!    every spec document.
//! 5. [`lower`]: the target-neutral plan of namespaces, workloads, clusters and their add-ons,
//!    and the cloud foundation ([`lower::Plan`]).
//! 6. [`emit`]: Kubernetes and Flux objects and Terraform JSON, serialized into an in-memory
//!    [`emit::OutputTree`].
//!    The policies then run on every generated object, each violation placed at the spec node
//!    behind it through the file's [`emit::Provenance`].
//! 7. The CLI writes that tree to disk ([`cli`]), or [`diff`] compares it with what is there;
//!    [`graph`] draws the platform's dependency graph from the plan's catalog; [`template`]
//!    renders the golden-path templates `pave new` writes specs from.
//!
//! Diagnostics ([`diagnostic`]) are collected per stage; a stage with errors stops the pipeline
//! ([`pipeline`] runs the stages in order).

pub mod cache;
pub mod cli;
pub mod diagnostic;
pub mod diff;
pub mod emit;
pub mod graph;
pub mod lower;
pub mod lsp;
pub mod parse;
pub mod pipeline;
pub mod policy;
pub mod resolve;
pub mod source;
pub mod template;
pub mod validate;
pub mod wiring;
