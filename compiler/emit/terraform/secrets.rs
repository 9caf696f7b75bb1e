//! The Secrets Manager secrets the environment's services read (`secrets:` of a Service), created
//! empty so that no one has to create them by hand in every account and region: a person puts
//! each value (`aws secretsmanager put-secret-value`), Terraform never holds one (no
//! `aws_secretsmanager_secret_version`). Each is encrypted with the module's key
//! `alias/<cluster>-secrets`, which the External Secrets role may use through Secrets Manager
//! only, and can be restored during its recovery window after deletion. Rotation is the
//! owner's choice: pave cannot rotate a third party's API key.

use super::aws::{KmsAlias, KmsKey, SecretsmanagerSecret, name_tag};
use super::model::{Config, block_names};
use super::policy::secrets_key_policy;
use crate::lower::{RegionalFoundation, secrets_key_alias};

pub(super) fn emit(config: &mut Config, regional: &RegionalFoundation) -> Result<(), String> {
    let secrets = &regional.application_secrets;
    if secrets.is_empty() {
        return Ok(());
    }
    let key = config.resource(
        "secrets",
        &KmsKey::symmetric(
            format!("Application secrets of {}", regional.cluster_name),
            regional.key_deletion_window_days,
            secrets_key_policy(&regional.location)?,
        ),
    )?;
    config.resource(
        "secrets",
        &KmsAlias {
            region: None,
            name: secrets_key_alias(&regional.cluster_name),
            target_key_id: key.attr("key_id"),
        },
    )?;
    let blocks = block_names(secrets.iter().map(|s| s.name.as_str()));
    for (secret, block) in secrets.iter().zip(&blocks) {
        config.resource(
            block,
            &SecretsmanagerSecret {
                name: secret.name.clone(),
                description: format!(
                    "Read by {}; its value is put by hand, not by pave",
                    secret.services.join(", ")
                ),
                kms_key_id: key.attr("arn"),
                recovery_window_in_days: regional.secret_recovery_window_days,
                tags: name_tag(&secret.name),
            },
        )?;
    }
    Ok(())
}
