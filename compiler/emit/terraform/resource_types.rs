//! The blocks of the `terraform` resource types the environment's services request
//! (`resources.tf.json`): each resource's instance as lower filled it in, under addresses of its
//! own. Their secret outputs are written to Secrets Manager by [`super::secrets`], with the
//! module's other secrets.

use super::model::Config;
use crate::lower::RegionalFoundation;

pub(super) fn emit(config: &mut Config, regional: &RegionalFoundation) -> Result<(), String> {
    for instance in &regional.terraform_instances {
        for (data, section) in [(false, &instance.resources), (true, &instance.data)] {
            for (kind, blocks) in section {
                for (name, body) in blocks {
                    config.block(data, kind, name, body)?;
                }
            }
        }
    }
    Ok(())
}
