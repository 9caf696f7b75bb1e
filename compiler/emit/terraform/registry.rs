//! The container registry's root module: an ECR repository for every image the services run from
//! the Platform's registry (scanned on push, immutable tags, KMS-encrypted, old images expired),
//! each pullable by the nodes of every cluster; and GitHub Actions' OIDC provider with a deploy
//! role that only the Platform's repositories and branches can assume, allowed to push there.

use serde::Serialize;
use serde_json::Value;

use super::aws::{
    EcrEncryption, EcrLifecyclePolicy, EcrRepository, EcrRepositoryPolicy, EcrScanning,
    IamOpenidConnectProvider, IamRole, IamRolePolicy, KmsAlias, KmsKey,
};
use super::model::{Config, block_names, compact};
use super::policy::{PolicyDocument, Statement, account_key_policy};
use crate::lower::Registry;

const GITHUB_ISSUER: &str = "token.actions.githubusercontent.com";
/// Untagged images (left by pushes that failed half-way) go after this many days.
const UNTAGGED_DAYS: u32 = 14;
/// Tagged images beyond the newest this many go.
const KEPT_IMAGES: u32 = 500;

const PULL: [&str; 3] = [
    "ecr:BatchCheckLayerAvailability",
    "ecr:BatchGetImage",
    "ecr:GetDownloadUrlForLayer",
];
const PUSH: [&str; 7] = [
    "ecr:BatchCheckLayerAvailability",
    "ecr:BatchGetImage",
    "ecr:CompleteLayerUpload",
    "ecr:GetDownloadUrlForLayer",
    "ecr:InitiateLayerUpload",
    "ecr:PutImage",
    "ecr:UploadLayerPart",
];

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct LifecyclePolicy {
    rules: Vec<LifecycleRule>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct LifecycleRule {
    rule_priority: u32,
    description: String,
    selection: Selection,
    action: LifecycleAction,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Selection {
    tag_status: &'static str,
    count_type: &'static str,
    count_unit: Option<&'static str>,
    count_number: u32,
}

#[derive(Serialize)]
struct LifecycleAction {
    #[serde(rename = "type")]
    kind: &'static str,
}

pub(super) fn emit(config: &mut Config, registry: &Registry) -> Result<(), String> {
    let location = &registry.location;
    let key = config.resource(
        "registry",
        &KmsKey::symmetric(
            "Images of the container registry".into(),
            registry.key_deletion_window_days,
            account_key_policy(location)?,
        ),
    )?;
    config.resource(
        "registry",
        &KmsAlias {
            region: None,
            name: "alias/ecr-images".into(),
            target_key_id: key.attr("key_id"),
        },
    )?;

    let lifecycle = compact(&LifecyclePolicy {
        rules: vec![
            LifecycleRule {
                rule_priority: 1,
                description: format!("Expire untagged images after {UNTAGGED_DAYS} days"),
                selection: Selection {
                    tag_status: "untagged",
                    count_type: "sinceImagePushed",
                    count_unit: Some("days"),
                    count_number: UNTAGGED_DAYS,
                },
                action: LifecycleAction { kind: "expire" },
            },
            LifecycleRule {
                rule_priority: 2,
                description: format!("Keep the newest {KEPT_IMAGES} images"),
                selection: Selection {
                    tag_status: "any",
                    count_type: "imageCountMoreThan",
                    count_unit: None,
                    count_number: KEPT_IMAGES,
                },
                action: LifecycleAction { kind: "expire" },
            },
        ],
    })?;
    // Other accounts' nodes may pull; the condition names each node role.
    let pull_policy = (!registry.pullers.is_empty()).then(|| {
        let accounts = registry
            .pullers
            .keys()
            .map(|account| format!("arn:{}:iam::{account}:root", location.partition))
            .collect();
        let roles = registry.pullers.values().flatten().cloned().collect();
        PolicyDocument::new(vec![
            Statement::allow(&PULL, Vec::new())
                .without_resource()
                .sid("ClusterNodesPull")
                .principal("AWS", accounts)
                .condition("ArnEquals", "aws:PrincipalArn", roles),
        ])
    });
    let pull_policy = pull_policy.map(|p| p.render()).transpose()?;

    let mut urls = serde_json::Map::new();
    let mut arns = Vec::new();
    let blocks = block_names(registry.repositories.iter().map(String::as_str));
    for (name, block) in registry.repositories.iter().zip(blocks) {
        let repository = config.resource(
            &block,
            &EcrRepository {
                name: name.clone(),
                image_tag_mutability: "IMMUTABLE",
                image_scanning_configuration: EcrScanning { scan_on_push: true },
                encryption_configuration: EcrEncryption {
                    encryption_type: "KMS",
                    kms_key: key.attr("arn"),
                },
            },
        )?;
        config.resource(
            &block,
            &EcrLifecyclePolicy {
                repository: repository.attr("name"),
                policy: lifecycle.clone(),
            },
        )?;
        if let Some(policy) = &pull_policy {
            config.resource(
                &block,
                &EcrRepositoryPolicy {
                    repository: repository.attr("name"),
                    policy: policy.clone(),
                },
            )?;
        }
        urls.insert(name.clone(), Value::from(repository.attr("repository_url")));
        arns.push(location.arn("ecr", &format!("repository/{name}")));
    }
    if !urls.is_empty() {
        config.output(
            "repository_urls",
            "Where to push each image.",
            Value::Object(urls),
        )?;
    }

    let Some(github) = &registry.github else {
        return Ok(());
    };
    let provider = config.resource(
        "github",
        &IamOpenidConnectProvider {
            url: "https://token.actions.githubusercontent.com".into(),
            client_id_list: vec!["sts.amazonaws.com"],
        },
    )?;
    let trust = PolicyDocument::new(vec![
        Statement::trust(
            "Federated",
            vec![location.iam_arn(&format!("oidc-provider/{GITHUB_ISSUER}"))],
            &["sts:AssumeRoleWithWebIdentity"],
        )
        .condition(
            "StringEquals",
            &format!("{GITHUB_ISSUER}:aud"),
            vec!["sts.amazonaws.com".into()],
        )
        .condition(
            "StringEquals",
            &format!("{GITHUB_ISSUER}:sub"),
            github.subjects.clone(),
        ),
    ])
    .render()?;
    let role = config.resource_after(
        "github_deploy",
        &IamRole {
            name: github.role_name.clone(),
            description: "GitHub Actions workflows of the platform's repositories push images"
                .into(),
            assume_role_policy: trust,
        },
        &[&provider],
    )?;
    let mut statements = vec![
        // GetAuthorizationToken has no resource to scope it to.
        Statement::allow(&["ecr:GetAuthorizationToken"], vec!["*".into()]),
    ];
    if !arns.is_empty() {
        statements.push(Statement::allow(&PUSH, arns));
    }
    config.resource(
        "github_deploy",
        &IamRolePolicy {
            name: "push-images".into(),
            role: role.attr("id"),
            policy: PolicyDocument::new(statements).render()?,
        },
    )?;
    config.output(
        "github_deploy_role_arn",
        "The role GitHub Actions assumes (aws-actions/configure-aws-credentials) to push images.",
        role.attr("arn"),
    )?;
    Ok(())
}
