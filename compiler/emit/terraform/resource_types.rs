//! The blocks of `terraform` resource types the environment's services request
//! (`resources.tf.json`): each type's shared blocks, once, and each resource's instance, as lower
//! filled them in, under addresses of their own. Their secret outputs are written to Secrets
//! Manager by [`super::secrets`], with the module's other secrets.

use super::model::Config;
use crate::lower::RegionalFoundation;

pub(super) fn emit(config: &mut Config, regional: &RegionalFoundation) -> Result<(), String> {
    let shared = regional
        .terraform_shared
        .iter()
        .map(|shared| (&shared.resources, &shared.data));
    let instances = regional
        .terraform_instances
        .iter()
        .map(|instance| (&instance.resources, &instance.data));
    for (resources, data) in shared.chain(instances) {
        for (data, section) in [(false, resources), (true, data)] {
            for (kind, blocks) in section {
                for (name, body) in blocks {
                    config.block(data, kind, name, body)?;
                }
            }
        }
    }
    Ok(())
}
