//! The OpenAPI schema of a type's composite resources: what pave writes in `spec` (region, AWS
//! name, Secrets Manager prefix, database settings, class) and the type's parameters, each
//! required, so an XR or claim that misses one is rejected by the API server.

use serde_json::{Value as Json, json};

use crate::lower::PlannedResourceType;
use crate::parse::{ParamType, ResourceType};

pub(super) fn open_api_schema(planned_type: &PlannedResourceType) -> Json {
    let mut parameters = serde_json::Map::new();
    for (name, (param_type, description)) in &planned_type.params {
        let json_type = match param_type {
            ParamType::String => "string",
            ParamType::Integer => "integer",
            ParamType::Boolean => "boolean",
        };
        parameters.insert(
            name.clone(),
            json!({"type": json_type, "description": description}),
        );
    }
    let required_params: Vec<&String> = planned_type.params.keys().collect();
    let mut properties = serde_json::Map::new();
    properties.insert(
        "region".into(),
        json!({"type": "string", "description": "The AWS region of the managed resources."}),
    );
    properties.insert(
        "externalName".into(),
        json!({"type": "string", "description": "The AWS name of the main resource."}),
    );
    properties.insert(
        "secretPrefix".into(),
        json!({"type": "string", "description": "Secret outputs are written to AWS Secrets Manager as <secretPrefix>/<output>."}),
    );
    let mut required = vec![
        "region",
        "externalName",
        "secretPrefix",
        "class",
        "parameters",
    ];
    if matches!(
        planned_type.resource_type,
        ResourceType::Postgres | ResourceType::Mysql | ResourceType::Redis | ResourceType::Mongodb
    ) {
        properties.insert(
            "database".into(),
            json!({
                "type": "object",
                "description": "Fixed connection settings.",
                "required": ["name", "username", "port"],
                "properties": {
                    "name": {"type": "string", "description": "The database created in the instance."},
                    "username": {"type": "string", "description": "The master user name."},
                    "port": {"type": "integer", "description": "The port it listens on."},
                },
            }),
        );
        required.push("database");
    }
    if planned_type.resource_type == ResourceType::SqsQueue {
        properties.insert(
            "deadLetterQueueArn".into(),
            json!({"type": "string", "description": "The ARN of the queue's dead-letter queue."}),
        );
        required.push("deadLetterQueueArn");
    }
    let mut status = None;
    if planned_type.resource_type == ResourceType::Mongodb {
        properties.insert(
            "atlasRegion".into(),
            json!({"type": "string", "description": "The Atlas name of the AWS region."}),
        );
        required.push("atlasRegion");
        status = Some(json!({
            "type": "object",
            "properties": {
                "host": {"type": "string", "description": "The cluster's SRV connection string, once Atlas has it."},
            },
        }));
    }
    properties.insert(
        "class".into(),
        json!({"type": "string", "description": "The class the parameters come from."}),
    );
    properties.insert(
        "parameters".into(),
        json!({
            "type": "object",
            "description": planned_type.description,
            "required": required_params,
            "properties": parameters,
        }),
    );
    let mut root = json!({
        "type": "object",
        "properties": {
            "spec": {
                "type": "object",
                "required": required,
                "properties": properties,
            },
        },
    });
    if let Some(status) = status {
        root["properties"]["status"] = status;
    }
    root
}
