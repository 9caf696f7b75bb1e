//! The `terraform` block (Terraform and provider versions, the S3 backend with a state key per
//! root module, encryption and locking) and the `aws` provider (region, the one account it may
//! touch, default tags).

use std::collections::BTreeMap;

use serde::Serialize;

use super::aws::Tags;
use super::model::Config;
use crate::lower::{AwsLocation, StateBackend};

// S3 native locking (`use_lockfile`) needs Terraform 1.10; older versions reject the argument at
// `terraform init`. There is no `required_version` saying so because checkov's Terraform JSON
// parser fails on any plain value in the `terraform` block (checkov 3.3.30).
const AWS_PROVIDER_VERSION: &str = "~> 6.0";

#[derive(Serialize)]
struct TerraformBlock {
    required_providers: BTreeMap<&'static str, RequiredProvider>,
    backend: BTreeMap<&'static str, S3Backend>,
}

#[derive(Serialize)]
struct RequiredProvider {
    source: &'static str,
    version: &'static str,
}

#[derive(Serialize)]
struct S3Backend {
    bucket: String,
    key: String,
    region: String,
    encrypt: bool,
    use_lockfile: Option<bool>,
    dynamodb_table: Option<String>,
}

#[derive(Serialize)]
pub(super) struct AwsProvider {
    /// Set on a second configuration of the provider, which blocks name as `aws.<alias>`.
    pub(super) alias: Option<&'static str>,
    pub(super) region: String,
    pub(super) allowed_account_ids: Vec<String>,
    /// A role to act as (in another account), instead of the caller's own credentials.
    pub(super) assume_role: Option<AssumeRole>,
    pub(super) default_tags: DefaultTags,
}

#[derive(Serialize)]
pub(super) struct AssumeRole {
    pub(super) role_arn: String,
}

#[derive(Serialize)]
pub(super) struct DefaultTags {
    pub(super) tags: Tags,
}

/// Adds the `terraform` block and the provider of the root module in `folder`.
pub(super) fn emit(
    config: &mut Config,
    state: &StateBackend,
    folder: &str,
    location: &AwsLocation,
    tags: &Tags,
) -> Result<(), String> {
    config.terraform(&TerraformBlock {
        required_providers: BTreeMap::from([(
            "aws",
            RequiredProvider {
                source: "hashicorp/aws",
                version: AWS_PROVIDER_VERSION,
            },
        )]),
        backend: BTreeMap::from([(
            "s3",
            S3Backend {
                bucket: state.bucket.clone(),
                key: state.key(folder),
                region: state.region.clone(),
                encrypt: true,
                use_lockfile: state.lock_table.is_none().then_some(true),
                dynamodb_table: state.lock_table.clone(),
            },
        )]),
    })?;
    config.provider(
        "aws",
        &AwsProvider {
            alias: None,
            region: location.region.clone(),
            allowed_account_ids: vec![location.account_id.clone()],
            assume_role: None,
            default_tags: DefaultTags { tags: tags.clone() },
        },
    )
}
