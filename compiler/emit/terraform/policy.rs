//! IAM policy documents (identity, trust, key and repository policies), built from types and
//! written as compact JSON strings. Every ARN in them is known when compiling, except the few
//! that refer to a resource of the same root module by interpolation.

use std::collections::BTreeMap;

use serde::Serialize;

use super::model::compact;
use crate::lower::AwsLocation;

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct PolicyDocument {
    version: &'static str,
    statement: Vec<Statement>,
}

impl PolicyDocument {
    pub(super) fn new(statement: Vec<Statement>) -> Self {
        PolicyDocument {
            version: "2012-10-17",
            statement,
        }
    }

    /// The document as the text of a `policy` argument.
    pub(super) fn render(&self) -> Result<String, String> {
        compact(self)
    }
}

/// One `Allow` statement.
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct Statement {
    sid: Option<String>,
    effect: &'static str,
    principal: Option<BTreeMap<&'static str, Vec<String>>>,
    action: Vec<String>,
    resource: Option<Vec<String>>,
    condition: Option<BTreeMap<String, BTreeMap<String, Vec<String>>>>,
}

impl Statement {
    /// Allows `actions` on `resources` (an identity policy statement).
    pub(super) fn allow(actions: &[&str], resources: Vec<String>) -> Self {
        Statement {
            sid: None,
            effect: "Allow",
            principal: None,
            action: actions.iter().map(|a| (*a).to_string()).collect(),
            resource: Some(resources),
            condition: None,
        }
    }

    /// Denies `actions` on `resources` to every principal (a resource policy statement).
    pub(super) fn deny_all(actions: &[&str], resources: Vec<String>) -> Self {
        Statement {
            sid: None,
            effect: "Deny",
            principal: Some(BTreeMap::from([("AWS", vec!["*".to_string()])])),
            action: actions.iter().map(|a| (*a).to_string()).collect(),
            resource: Some(resources),
            condition: None,
        }
    }

    /// Allows a principal `actions` (a trust policy statement, which names no resource).
    pub(super) fn trust(kind: &'static str, principals: Vec<String>, actions: &[&str]) -> Self {
        Statement {
            sid: None,
            effect: "Allow",
            principal: Some(BTreeMap::from([(kind, principals)])),
            action: actions.iter().map(|a| (*a).to_string()).collect(),
            resource: None,
            condition: None,
        }
    }

    /// Makes a key policy statement apply to the key it is attached to (`"Resource": "*"` in a
    /// key policy means this key only).
    #[must_use]
    pub(super) fn resource_all(mut self) -> Self {
        self.resource = Some(vec!["*".into()]);
        self
    }

    /// Sets the resources of a resource policy statement.
    #[must_use]
    pub(super) fn on(mut self, resources: Vec<String>) -> Self {
        self.resource = Some(resources);
        self
    }

    /// Drops the resource of a resource policy statement (the policy's resource is implied).
    #[must_use]
    pub(super) fn without_resource(mut self) -> Self {
        self.resource = None;
        self
    }

    #[must_use]
    pub(super) fn sid(mut self, sid: &str) -> Self {
        self.sid = Some(sid.to_string());
        self
    }

    /// Adds a principal to a resource policy statement.
    #[must_use]
    pub(super) fn principal(mut self, kind: &'static str, principals: Vec<String>) -> Self {
        self.principal
            .get_or_insert_with(BTreeMap::new)
            .insert(kind, principals);
        self
    }

    #[must_use]
    pub(super) fn condition(mut self, test: &str, key: &str, values: Vec<String>) -> Self {
        self.condition
            .get_or_insert_with(BTreeMap::new)
            .entry(test.to_string())
            .or_default()
            .insert(key.to_string(), values);
        self
    }
}

/// A key policy that leaves the key to the account's IAM policies, as AWS's default key policy
/// does (`kms:*` for the account root on this key only).
pub(super) fn account_key_policy(location: &AwsLocation) -> Result<String, String> {
    PolicyDocument::new(vec![account_administers_key(location)]).render()
}

fn account_administers_key(location: &AwsLocation) -> Statement {
    Statement::trust("AWS", vec![location.iam_arn("root")], &["kms:*"])
        .sid("AccountAdministersTheKey")
        .resource_all()
}

/// The policy of the key of a cluster's application secrets: the account administers it, and
/// its IAM policies grant its use (the External Secrets role may decrypt through Secrets Manager
/// only).
pub(super) fn secrets_key_policy(location: &AwsLocation) -> Result<String, String> {
    PolicyDocument::new(vec![account_administers_key(location)]).render()
}

/// The policy of a key of log groups in `region`: CloudWatch Logs may use it for log groups of
/// this account in that region only.
pub(super) fn logs_key_policy(location: &AwsLocation, region: &str) -> Result<String, String> {
    PolicyDocument::new(vec![
        account_administers_key(location),
        Statement::trust(
            "Service",
            vec![format!("logs.{region}.amazonaws.com")],
            &[
                "kms:Decrypt*",
                "kms:Describe*",
                "kms:Encrypt*",
                "kms:GenerateDataKey*",
                "kms:ReEncrypt*",
            ],
        )
        .sid("CloudWatchLogsEncryptsThisAccountsLogGroups")
        .resource_all()
        .condition(
            "ArnLike",
            "kms:EncryptionContext:aws:logs:arn",
            vec![format!(
                "arn:{}:logs:{region}:{}:log-group:*",
                location.partition, location.account_id
            )],
        ),
    ])
    .render()
}
