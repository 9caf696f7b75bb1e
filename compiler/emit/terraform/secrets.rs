//! The Secrets Manager secrets the environment's services read (`secrets:` of a Service), created
//! empty so that no one has to create them by hand in every account and region: a person puts
//! each value (`aws secretsmanager put-secret-value`), Terraform never holds one (no
//! `aws_secretsmanager_secret_version`). Each is encrypted with the module's key
//! `alias/<cluster>-secrets`, which the External Secrets role may use through Secrets Manager
//! only, and can be restored during its recovery window after deletion. Rotation is the
//! owner's choice: pave cannot rotate a third party's API key.
//!
//! The secrets with a value are those whose value is an attribute of what this module creates,
//! which exists only once Terraform has applied: the cluster's data network (`network_secret`):
//! subnet group names and a security group id, which the cluster reads through External Secrets
//! into the EnvironmentConfig `pave-network` (the bridge from this module to the Compositions, so
//! no person copies an output by hand); and the secret outputs of `terraform` resource types,
//! each at the name the requesting workload's ExternalSecret reads.

use super::aws::{KmsAlias, KmsKey, SecretsmanagerSecret, SecretsmanagerSecretVersion, name_tag};
use super::model::{Config, block_names};
use super::network::DataNetwork;
use super::policy::secrets_key_policy;
use crate::lower::{RegionalFoundation, secrets_key_alias};

pub(super) fn emit(
    config: &mut Config,
    regional: &RegionalFoundation,
    data_network: Option<&DataNetwork>,
) -> Result<(), String> {
    let secrets = &regional.application_secrets;
    let network = regional.network_secret.as_ref().zip(data_network);
    let outputs: Vec<(&crate::lower::TerraformInstance, &(String, String))> = regional
        .terraform_instances
        .iter()
        .flat_map(|instance| instance.secrets.iter().map(move |s| (instance, s)))
        .collect();
    if secrets.is_empty() && network.is_none() && outputs.is_empty() {
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
    let blocks = block_names(
        secrets
            .iter()
            .map(|s| s.name.as_str())
            .chain(outputs.iter().map(|(_, (name, _))| name.as_str())),
    );
    let (secret_blocks, output_blocks) = blocks.split_at(secrets.len());
    for (secret, block) in secrets.iter().zip(secret_blocks) {
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
    for ((instance, (name, value)), block) in outputs.iter().zip(output_blocks) {
        let secret = config.resource(
            block,
            &SecretsmanagerSecret {
                name: name.clone(),
                description: format!(
                    "An output of {} {}/{}, read by its workloads; written by Terraform",
                    instance.resource_type, instance.tenant, instance.resource
                ),
                kms_key_id: key.attr("arn"),
                recovery_window_in_days: regional.secret_recovery_window_days,
                tags: name_tag(name),
            },
        )?;
        config.resource(
            block,
            &SecretsmanagerSecretVersion {
                secret_id: secret.attr("id"),
                secret_string: value.clone(),
            },
        )?;
    }
    if let Some((name, data)) = network {
        let secret = config.resource(
            "pave_network",
            &SecretsmanagerSecret {
                name: name.clone(),
                description: format!(
                    "The data network of {}, read by its EnvironmentConfig pave-network; written by Terraform",
                    regional.cluster_name
                ),
                kms_key_id: key.attr("arn"),
                recovery_window_in_days: regional.secret_recovery_window_days,
                tags: name_tag(name),
            },
        )?;
        // `${...}` of each field, unwrapped into one `jsonencode` object expression.
        let fields: Vec<String> = data
            .fields
            .iter()
            .map(|(field, value)| {
                let expression = value
                    .strip_prefix("${")
                    .and_then(|v| v.strip_suffix('}'))
                    .unwrap_or(value);
                format!("{field} = {expression}")
            })
            .collect();
        config.resource(
            "pave_network",
            &SecretsmanagerSecretVersion {
                secret_id: secret.attr("id"),
                secret_string: format!("${{jsonencode({{{}}})}}", fields.join(", ")),
            },
        )?;
    }
    Ok(())
}
