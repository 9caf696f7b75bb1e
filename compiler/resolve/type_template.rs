//! The templates of a data-defined resource type (`ResourceType` specs): output values,
//! Kubernetes objects, external values and Terraform blocks, with a small fixed set of
//! placeholders. `resolve` checks them where they are written; `lower` fills them for each
//! resource and region.
//!
//! Terraform's own `${...}` collides with pave's: in a `terraform` type, `${terraform.ADDRESS.ATTR}`
//! names an attribute of one of the type's own blocks (`ADDRESS` is `TYPE.NAME` or
//! `data.TYPE.NAME` as the type declares it) and is rewritten into the instance's Terraform
//! address; every other `${` and `%{` that reaches the output is escaped (`$${`, `%%{`), so the
//! only Terraform expressions in a generated block are the references pave checked. A type's
//! blocks shared by every request in a cluster are `${terraform.shared.ADDRESS.ATTR}`, and
//! `${network.dataSubnetIds}` and `${network.securityGroupId}` name the cluster's data network.

use std::collections::BTreeMap;

use serde_json::Value as Json;

/// The placeholders a template may use besides `${params.NAME}`.
pub const PLACEHOLDERS: [&str; 12] = [
    "resource.name",
    "resource.identifier",
    "resource.externalName",
    "resource.class",
    "environment.name",
    "environment.type",
    "environment.account",
    "region",
    "partition",
    "tenant.name",
    "tenant.namespace",
    "platform.name",
];

/// The placeholders of a template filled once per cluster (a `terraform` type's shared blocks):
/// those that do not depend on a request.
pub const CLUSTER_PLACEHOLDERS: [&str; 6] = [
    "environment.name",
    "environment.type",
    "environment.account",
    "region",
    "partition",
    "platform.name",
];

/// `${network.dataSubnetIds}`: the data subnets' ids, a list (so only a whole string).
pub const NETWORK_SUBNETS: &str = "network.dataSubnetIds";
/// `${network.securityGroupId}`: the data security group's id.
pub const NETWORK_SECURITY_GROUP: &str = "network.securityGroupId";

/// What a template may name besides the fixed placeholders.
#[derive(Debug, Clone, Copy, Default)]
pub struct Known<'a> {
    pub params: &'a [String],
    /// Outputs an output's value may join in.
    pub outputs: &'a [String],
    /// A `terraform` type's block addresses a template may refer to (`TYPE.NAME`,
    /// `data.TYPE.NAME`, `shared.TYPE.NAME`, ...).
    pub terraform: &'a [String],
    /// Filled once per cluster: only [`CLUSTER_PLACEHOLDERS`] (no parameters either).
    pub cluster_only: bool,
    /// The data network's placeholders (a `terraform` type with `networkPort`).
    pub network: bool,
}

impl Known<'_> {
    /// Whether the fixed placeholder (or `${params.…}`, `${network.…}`) `name` may be used.
    fn fixed(&self, name: &str) -> bool {
        if self.cluster_only {
            CLUSTER_PLACEHOLDERS.contains(&name)
        } else {
            PLACEHOLDERS.contains(&name)
                || name
                    .strip_prefix("params.")
                    .is_some_and(|p| self.params.iter().any(|k| k == p))
        }
    }
}

/// The Terraform expressions pave's references in a `terraform` type's templates become.
pub struct TerraformReferences<'a> {
    /// The address of one of the type's blocks (`TYPE.NAME`, `data.TYPE.NAME`,
    /// `shared.TYPE.NAME`, `shared.data.TYPE.NAME`) in the root module.
    pub address: &'a dyn Fn(&str) -> String,
    /// `${network.dataSubnetIds}`, a list expression (`[aws_subnet.x.id, ...]`).
    pub data_subnet_ids: &'a str,
    /// `${network.securityGroupId}` (`aws_security_group.x.id`).
    pub security_group_id: &'a str,
}

/// What the placeholders stand for, for one resource in one region.
pub struct TemplateContext<'a> {
    /// The resource's name in the namespace.
    pub resource: &'a str,
    pub class: &'a str,
    pub params: &'a BTreeMap<String, Json>,
    pub environment: &'a str,
    pub environment_type: &'a str,
    pub region: &'a str,
    pub tenant: &'a str,
    pub namespace: &'a str,
    pub platform: &'a str,
    /// The environment's AWS account ID.
    pub account: &'a str,
    /// The region's AWS partition (`aws`, `aws-cn`, `aws-us-gov`), for ARNs.
    pub partition: &'a str,
    /// The name of the cloud resource (a `crossplane` type's `spec.externalName`); empty while
    /// that name's own template is filled.
    pub external_name: String,
}

impl TemplateContext<'_> {
    fn value(&self, name: &str) -> Option<Json> {
        if let Some(param) = name.strip_prefix("params.") {
            return self.params.get(param).cloned();
        }
        if name == "resource.identifier" {
            return Some(Json::String(identifier(self.resource)));
        }
        let text = match name {
            "resource.name" => self.resource,
            "resource.class" => self.class,
            "environment.name" => self.environment,
            "environment.type" => self.environment_type,
            "region" => self.region,
            "tenant.name" => self.tenant,
            "tenant.namespace" => self.namespace,
            "platform.name" => self.platform,
            "environment.account" => self.account,
            "partition" => self.partition,
            "resource.externalName" => &self.external_name,
            _ => return None,
        };
        Some(Json::String(text.to_string()))
    }
}

/// A resource's name as a database identifier (`${resource.identifier}`): `-` becomes `_`, and
/// a name that does not start with a letter gets `db_` before it (PostgreSQL, MySQL and SQL
/// Server all take such a name unquoted).
pub fn identifier(resource: &str) -> String {
    let name = resource.replace('-', "_");
    if name.starts_with(|c: char| c.is_ascii_alphabetic()) {
        name
    } else {
        format!("db_{name}")
    }
}

/// A piece of a template.
#[derive(Debug, PartialEq)]
enum Piece<'t> {
    Text(&'t str),
    /// `${NAME}`, with the byte range of the whole placeholder.
    Placeholder(&'t str, usize, usize),
    /// `${` without its `}`, from its start.
    Unclosed(usize),
}

fn pieces(text: &str) -> Vec<Piece<'_>> {
    let mut out = Vec::new();
    let mut rest_start = 0;
    let mut i = 0;
    while let Some(found) = text[i..].find('$') {
        let at = i + found;
        if text[at..].starts_with("$$") {
            out.push(Piece::Text(&text[rest_start..=at]));
            i = at + 2;
            rest_start = i;
            continue;
        }
        if text[at..].starts_with("${") {
            out.push(Piece::Text(&text[rest_start..at]));
            let Some(close) = text[at..].find('}') else {
                out.push(Piece::Unclosed(at));
                return out;
            };
            out.push(Piece::Placeholder(
                &text[at + 2..at + close],
                at,
                at + close + 1,
            ));
            i = at + close + 1;
            rest_start = i;
            continue;
        }
        i = at + 1;
    }
    out.push(Piece::Text(&text[rest_start..]));
    out
}

/// The prefix of a reference to a `terraform` type's own block.
pub const TERRAFORM_PREFIX: &str = "terraform.";

/// A `${terraform.…}` placeholder's name (without `terraform.`) split into the block address it
/// names (`TYPE.NAME` or `data.TYPE.NAME`, each maybe after `shared.`) and the attribute path
/// after it; `None` when it has no attribute or a character Terraform's traversal syntax does not
/// allow.
pub fn split_terraform_reference(name: &str) -> Option<(&str, &str)> {
    let shared = usize::from(name.starts_with(crate::parse::SHARED_PREFIX));
    let unshared = name
        .strip_prefix(crate::parse::SHARED_PREFIX)
        .unwrap_or(name);
    let segments = shared + if unshared.starts_with("data.") { 3 } else { 2 };
    let mut end = 0;
    for _ in 0..segments {
        let rest = &name[end..];
        let dot = rest.find('.')?;
        end += dot + 1;
    }
    let (address, attribute) = (&name[..end - 1], &name[end..]);
    let valid = !attribute.is_empty()
        && attribute
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '[' | ']'))
        && !attribute.starts_with(['.', '['])
        && address.split('.').all(|s| !s.is_empty());
    valid.then_some((address, attribute))
}

/// The placeholders of `text` a template may not use (see [`Known`]: the type's parameters,
/// the other outputs an output's value may join in, `${outputs.NAME}`, the addresses of a
/// `terraform` type's blocks where `${terraform.ADDRESS.ATTR}` may name them), with their byte
/// ranges in `text`.
pub fn unknown_placeholders(text: &str, known: &Known<'_>) -> Vec<(String, usize, usize)> {
    let mut out = Vec::new();
    for piece in pieces(text) {
        match piece {
            Piece::Text(_) => {}
            Piece::Placeholder(name, start, end) => {
                let known = known.fixed(name)
                    || (known.network && [NETWORK_SUBNETS, NETWORK_SECURITY_GROUP].contains(&name))
                    || name
                        .strip_prefix("outputs.")
                        .is_some_and(|o| known.outputs.iter().any(|k| k == o))
                    || name
                        .strip_prefix(TERRAFORM_PREFIX)
                        .and_then(split_terraform_reference)
                        .is_some_and(|(address, _)| known.terraform.iter().any(|a| a == address));
                if !known {
                    out.push((format!("${{{name}}}"), start, end));
                }
            }
            Piece::Unclosed(start) => out.push((text[start..].to_string(), start, text.len())),
        }
    }
    out
}

/// The names a template may use, for help texts.
pub fn known_placeholders(known: &Known<'_>) -> Vec<String> {
    let fixed: &[&str] = if known.cluster_only {
        &CLUSTER_PLACEHOLDERS
    } else {
        &PLACEHOLDERS
    };
    let params: &[String] = if known.cluster_only {
        &[]
    } else {
        known.params
    };
    let network: &[&str] = if known.network {
        &[NETWORK_SUBNETS, NETWORK_SECURITY_GROUP]
    } else {
        &[]
    };
    fixed
        .iter()
        .map(|p| format!("${{{p}}}"))
        .chain(params.iter().map(|p| format!("${{params.{p}}}")))
        .chain(known.outputs.iter().map(|o| format!("${{outputs.{o}}}")))
        .chain(network.iter().map(|p| format!("${{{p}}}")))
        .chain(
            known
                .terraform
                .iter()
                .map(|a| format!("${{{TERRAFORM_PREFIX}{a}.ATTRIBUTE}}")),
        )
        .collect()
}

/// The byte ranges of the data network's placeholders (`${network.…}`) in `text`.
pub fn network_placeholders(text: &str) -> Vec<(usize, usize)> {
    pieces(text)
        .into_iter()
        .filter_map(|piece| match piece {
            Piece::Placeholder(name, start, end)
                if [NETWORK_SUBNETS, NETWORK_SECURITY_GROUP].contains(&name) =>
            {
                Some((start, end))
            }
            _ => None,
        })
        .collect()
}

/// Whether a list placeholder (`${network.dataSubnetIds}`) in `text` is not the whole string,
/// where Terraform would have to make text of a list; its byte range.
pub fn list_placeholder_in_text(text: &str) -> Option<(usize, usize)> {
    let pieces = pieces(text);
    if matches!(
        pieces.as_slice(),
        [
            Piece::Text(""),
            Piece::Placeholder(NETWORK_SUBNETS, ..),
            Piece::Text("")
        ]
    ) {
        return None;
    }
    pieces.into_iter().find_map(|piece| match piece {
        Piece::Placeholder(NETWORK_SUBNETS, start, end) => Some((start, end)),
        _ => None,
    })
}

/// The value of a text that is exactly one placeholder (nothing around it), which keeps its
/// JSON type when filled in.
fn whole_placeholder(pieces: &[Piece<'_>], ctx: &TemplateContext<'_>) -> Option<Json> {
    match pieces {
        [
            Piece::Text(""),
            Piece::Placeholder(name, ..),
            Piece::Text(""),
        ] => ctx.value(name),
        _ => None,
    }
}

/// Whether `text` refers to one of a `terraform` type's own blocks.
pub fn has_terraform_reference(text: &str) -> bool {
    pieces(text).iter().any(
        |piece| matches!(piece, Piece::Placeholder(name, ..) if name.starts_with(TERRAFORM_PREFIX)),
    )
}

/// `text` as a Terraform string template: placeholders filled in, each
/// `${terraform.ADDRESS.ATTR}` rewritten to `${<address(ADDRESS)>.ATTR}`, each `${network.…}`
/// to its expression, and every other `${` or `%{` escaped so that Terraform reads it literally.
/// A string that is one parameter keeps its JSON type, as in [`render`].
pub fn render_terraform(
    text: &str,
    ctx: &TemplateContext<'_>,
    references: &TerraformReferences<'_>,
) -> Json {
    let pieces = pieces(text);
    if let Some(value) = whole_placeholder(&pieces, ctx).filter(|value| !value.is_string()) {
        return value;
    }
    // Literal text and expressions in order; literal runs are joined before escaping, as `$$`
    // and a parameter's value may meet `{` across pieces.
    let mut segments: Vec<(bool, String)> = Vec::new();
    let mut push = |expression: bool, t: &str| match segments.last_mut() {
        Some((false, last)) if !expression => last.push_str(t),
        _ => segments.push((expression, t.to_string())),
    };
    for piece in pieces {
        match piece {
            Piece::Text(t) => push(false, t),
            Piece::Placeholder(name, ..) => {
                if let Some((block, attribute)) = name
                    .strip_prefix(TERRAFORM_PREFIX)
                    .and_then(split_terraform_reference)
                {
                    push(
                        true,
                        &format!("${{{}.{attribute}}}", (references.address)(block)),
                    );
                    continue;
                }
                match name {
                    NETWORK_SUBNETS => {
                        push(true, &format!("${{{}}}", references.data_subnet_ids));
                        continue;
                    }
                    NETWORK_SECURITY_GROUP => {
                        push(true, &format!("${{{}}}", references.security_group_id));
                        continue;
                    }
                    _ => {}
                }
                match ctx.value(name) {
                    Some(Json::String(s)) => push(false, &s),
                    Some(other) => push(false, &other.to_string()),
                    None => {}
                }
            }
            Piece::Unclosed(start) => push(false, &text[start..]),
        }
    }
    let mut out = String::new();
    let mut segments = segments.into_iter().peekable();
    while let Some((expression, text)) = segments.next() {
        if expression {
            out.push_str(&text);
            continue;
        }
        let mut escaped = text.replace("${", "$${").replace("%{", "%%{");
        // A `$` or `%` just before an expression would escape it: write it as a string literal.
        if segments.peek().is_some()
            && let Some(last) = escaped.pop()
        {
            if matches!(last, '$' | '%') {
                escaped.push_str(&format!("${{\"{last}\"}}"));
            } else {
                escaped.push(last);
            }
        }
        out.push_str(&escaped);
    }
    Json::String(out)
}

/// [`render_terraform`] as text (a parameter's JSON text where the string is only that).
pub fn render_terraform_text(
    text: &str,
    ctx: &TemplateContext<'_>,
    references: &TerraformReferences<'_>,
) -> String {
    match render_terraform(text, ctx, references) {
        Json::String(text) => text,
        other => other.to_string(),
    }
}

/// Every string of `value` rendered by [`render_terraform`] (keys are kept).
pub fn render_terraform_json(
    value: &Json,
    ctx: &TemplateContext<'_>,
    references: &TerraformReferences<'_>,
) -> Json {
    match value {
        Json::String(text) => render_terraform(text, ctx, references),
        Json::Array(items) => Json::Array(
            items
                .iter()
                .map(|v| render_terraform_json(v, ctx, references))
                .collect(),
        ),
        Json::Object(map) => Json::Object(
            map.iter()
                .map(|(k, v)| (k.clone(), render_terraform_json(v, ctx, references)))
                .collect(),
        ),
        other => other.clone(),
    }
}

/// The outputs an output's value joins in (`${outputs.NAME}`), in order.
pub fn output_references(text: &str) -> Vec<String> {
    pieces(text)
        .into_iter()
        .filter_map(|piece| match piece {
            Piece::Placeholder(name, ..) => name.strip_prefix("outputs.").map(str::to_string),
            _ => None,
        })
        .collect()
}

/// A piece of an output's value: text filled in, or another output of the same resource.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Rendered {
    Text(String),
    Output(String),
}

/// `text` filled in, with each `${outputs.NAME}` left as a piece of its own.
pub fn render_with_outputs(text: &str, ctx: &TemplateContext<'_>) -> Vec<Rendered> {
    let mut out: Vec<Rendered> = Vec::new();
    let push_text = |out: &mut Vec<Rendered>, t: &str| match out.last_mut() {
        Some(Rendered::Text(last)) => last.push_str(t),
        _ if t.is_empty() => {}
        _ => out.push(Rendered::Text(t.to_string())),
    };
    for piece in pieces(text) {
        match piece {
            Piece::Text(t) => push_text(&mut out, t),
            Piece::Placeholder(name, ..) => match name.strip_prefix("outputs.") {
                Some(output) => out.push(Rendered::Output(output.to_string())),
                None => match ctx.value(name) {
                    Some(Json::String(s)) => push_text(&mut out, &s),
                    Some(other) => push_text(&mut out, &other.to_string()),
                    None => {}
                },
            },
            Piece::Unclosed(start) => push_text(&mut out, &text[start..]),
        }
    }
    out
}

/// `text` filled in: a string that is one placeholder keeps its value's JSON type (a number
/// parameter stays a number); anything else is a string. Placeholders were checked in `resolve`;
/// one without a value (a parameter no class sets) becomes empty.
pub fn render(text: &str, ctx: &TemplateContext<'_>) -> Json {
    let pieces = pieces(text);
    if let Some(value) = whole_placeholder(&pieces, ctx) {
        return value;
    }
    Json::String(render_text(text, ctx))
}

/// `text` filled in, as text.
pub fn render_text(text: &str, ctx: &TemplateContext<'_>) -> String {
    let mut out = String::new();
    for piece in pieces(text) {
        match piece {
            Piece::Text(t) => out.push_str(t),
            Piece::Placeholder(name, ..) => match ctx.value(name) {
                Some(Json::String(s)) => out.push_str(&s),
                Some(other) => out.push_str(&other.to_string()),
                None => {}
            },
            Piece::Unclosed(start) => out.push_str(&text[start..]),
        }
    }
    out
}

/// Every string of `value` filled in (keys are kept).
pub fn render_json(value: &Json, ctx: &TemplateContext<'_>) -> Json {
    match value {
        Json::String(text) => render(text, ctx),
        Json::Array(items) => Json::Array(items.iter().map(|v| render_json(v, ctx)).collect()),
        Json::Object(map) => Json::Object(
            map.iter()
                .map(|(k, v)| (k.clone(), render_json(v, ctx)))
                .collect(),
        ),
        other => other.clone(),
    }
}

/// Every string of `value` with its data path below `path`.
pub fn strings<'v>(value: &'v Json, path: &[String], out: &mut Vec<(Vec<String>, &'v str)>) {
    match value {
        Json::String(text) => out.push((path.to_vec(), text)),
        Json::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                let mut p = path.to_vec();
                p.push(i.to_string());
                strings(item, &p, out);
            }
        }
        Json::Object(map) => {
            for (k, v) in map {
                let mut p = path.to_vec();
                p.push(k.clone());
                strings(v, &p, out);
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifiers_start_with_a_letter() {
        assert_eq!(identifier("orders-db"), "orders_db");
        assert_eq!(identifier("2fa-db"), "db_2fa_db");
    }

    fn ctx(params: &BTreeMap<String, Json>) -> TemplateContext<'_> {
        TemplateContext {
            resource: "api-flags",
            class: "standard",
            params,
            environment: "prod",
            environment_type: "production",
            region: "eu-west-1",
            tenant: "shop",
            namespace: "shop-prod",
            platform: "acme",
            account: "111111111111",
            partition: "aws",
            external_name: "shop-prod-api-flags".into(),
        }
    }

    #[test]
    fn placeholders_are_filled_and_a_whole_parameter_keeps_its_type() {
        let params = BTreeMap::from([("replicas".to_string(), Json::from(3))]);
        let ctx = ctx(&params);
        assert_eq!(render("${params.replicas}", &ctx), Json::from(3));
        assert_eq!(
            render("${resource.name}.${tenant.namespace}.svc:$${x}", &ctx),
            Json::from("api-flags.shop-prod.svc:${x}")
        );
        assert_eq!(render_text("n=${params.replicas}", &ctx), "n=3");
    }

    #[test]
    fn an_output_joins_others_in_as_pieces_of_its_own() {
        let params = BTreeMap::new();
        let ctx = ctx(&params);
        assert_eq!(
            render_with_outputs(
                "amqps://${outputs.username}@${outputs.host}/${tenant.name}",
                &ctx
            ),
            vec![
                Rendered::Text("amqps://".into()),
                Rendered::Output("username".into()),
                Rendered::Text("@".into()),
                Rendered::Output("host".into()),
                Rendered::Text("/shop".into()),
            ]
        );
        assert_eq!(
            output_references("${outputs.a}-${params.b}-${outputs.c}"),
            ["a", "c"]
        );
    }

    #[test]
    fn unknown_and_unclosed_placeholders_are_found_with_their_range() {
        let params = vec!["size".to_string()];
        assert_eq!(
            unknown_placeholders(
                "${params.size} ${params.nope} $$ ${cluster.name",
                &Known {
                    params: &params,
                    ..Known::default()
                }
            ),
            vec![
                ("${params.nope}".to_string(), 15, 29),
                ("${cluster.name".to_string(), 33, 47),
            ]
        );
    }

    #[test]
    fn terraform_references_name_a_declared_block_and_an_attribute() {
        assert_eq!(
            split_terraform_reference("aws_dynamodb_table.table.arn"),
            Some(("aws_dynamodb_table.table", "arn"))
        );
        assert_eq!(
            split_terraform_reference("data.aws_caller_identity.current.account_id"),
            Some(("data.aws_caller_identity.current", "account_id"))
        );
        assert_eq!(
            split_terraform_reference("aws_kms_key.key.tags.x[0]"),
            Some(("aws_kms_key.key", "tags.x[0]"))
        );
        assert_eq!(split_terraform_reference("aws_kms_key.key"), None);
        assert_eq!(split_terraform_reference("aws_kms_key.key.a-b"), None);
        let declared = vec!["aws_dynamodb_table.table".to_string()];
        assert_eq!(
            unknown_placeholders(
                "${terraform.aws_dynamodb_table.table.arn}/${terraform.aws_dynamodb_table.other.arn}",
                &Known {
                    terraform: &declared,
                    ..Known::default()
                }
            ),
            vec![(
                "${terraform.aws_dynamodb_table.other.arn}".to_string(),
                42,
                83
            )]
        );
        // Not in a type without Terraform blocks.
        assert_eq!(
            unknown_placeholders(
                "${terraform.aws_dynamodb_table.table.arn}",
                &Known::default()
            )
            .len(),
            1
        );
    }

    #[test]
    fn terraform_rendering_rewrites_own_references_and_escapes_every_other_interpolation() {
        let params = BTreeMap::from([
            ("capacity".to_string(), Json::from(5)),
            ("label".to_string(), Json::from("a${b}")),
        ]);
        let ctx = ctx(&params);
        let address = |a: &str| a.replace(".table", ".shop__api_flags__table");
        let address = TerraformReferences {
            address: &address,
            data_subnet_ids: "[aws_subnet.private_0.id, aws_subnet.private_1.id]",
            security_group_id: "aws_security_group.data.id",
        };
        assert_eq!(
            render_terraform(
                "${terraform.aws_dynamodb_table.table.arn}/index/*",
                &ctx,
                &address
            ),
            Json::from("${aws_dynamodb_table.shop__api_flags__table.arn}/index/*")
        );
        assert_eq!(
            render_terraform("${params.capacity}", &ctx, &address),
            Json::from(5)
        );
        assert_eq!(
            render_terraform("$${x} %{if} ${params.label}-${region}", &ctx, &address),
            Json::from("$${x} %%{if} a$${b}-eu-west-1")
        );
        assert_eq!(
            render_terraform("$$${terraform.aws_kms_key.table.arn}", &ctx, &address),
            Json::from("${\"$\"}${aws_kms_key.shop__api_flags__table.arn}")
        );
    }

    #[test]
    fn shared_references_and_the_network_are_terraform_expressions() {
        assert_eq!(
            split_terraform_reference("shared.aws_msk_serverless_cluster.kafka.cluster_uuid"),
            Some(("shared.aws_msk_serverless_cluster.kafka", "cluster_uuid"))
        );
        assert_eq!(
            split_terraform_reference("shared.data.aws_partition.current.partition"),
            Some(("shared.data.aws_partition.current", "partition"))
        );
        let params = BTreeMap::new();
        let ctx = ctx(&params);
        let address = |a: &str| {
            a.replace("shared.", "")
                .replace(".kafka", ".kafka_topic__kafka")
        };
        let references = TerraformReferences {
            address: &address,
            data_subnet_ids: "[aws_subnet.private_0.id, aws_subnet.private_1.id]",
            security_group_id: "aws_security_group.data.id",
        };
        assert_eq!(
            render_terraform("${network.dataSubnetIds}", &ctx, &references),
            Json::from("${[aws_subnet.private_0.id, aws_subnet.private_1.id]}")
        );
        assert_eq!(
            render_terraform(
                "sg ${network.securityGroupId} of ${terraform.shared.aws_msk_serverless_cluster.kafka.arn}",
                &ctx,
                &references
            ),
            Json::from(
                "sg ${aws_security_group.data.id} of ${aws_msk_serverless_cluster.kafka_topic__kafka.arn}"
            )
        );
        assert_eq!(list_placeholder_in_text("${network.dataSubnetIds}"), None);
        assert_eq!(
            list_placeholder_in_text("a ${network.dataSubnetIds}"),
            Some((2, 26))
        );
    }

    #[test]
    fn a_template_filled_once_per_cluster_takes_no_request_placeholder() {
        let params = vec!["size".to_string()];
        let shared = vec!["shared.aws_msk_serverless_cluster.kafka".to_string()];
        let known = Known {
            params: &params,
            terraform: &shared,
            cluster_only: true,
            ..Known::default()
        };
        assert_eq!(
            unknown_placeholders(
                "${platform.name}-${environment.name}-${region} ${tenant.namespace} ${params.size} ${network.securityGroupId} ${terraform.shared.aws_msk_serverless_cluster.kafka.arn}",
                &known
            ),
            vec![
                ("${tenant.namespace}".to_string(), 47, 66),
                ("${params.size}".to_string(), 67, 81),
                ("${network.securityGroupId}".to_string(), 82, 108),
            ]
        );
        assert!(
            !known_placeholders(&known)
                .iter()
                .any(|k| k.contains("tenant") || k.contains("params"))
        );
    }
}
