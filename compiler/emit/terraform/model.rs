//! A small typed model of a Terraform JSON configuration file: resource and data blocks from the
//! typed argument structs of [`super::aws`], providers, outputs and the `terraform` block, written
//! out canonically (keys sorted, two-space indent, final newline), since `terraform fmt` does not
//! format JSON.
//!
//! Strings are Terraform string templates: `${...}` in them is an expression. Expressions come
//! only from [`Address::attr`]; every other string pave writes is free of `${` and `%{` because
//! the spec schemas restrict the characters of every user value that reaches Terraform.

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::{Map, Value};

/// A resource type of the AWS provider and its argument struct.
pub(super) trait Resource: Serialize {
    const TYPE: &'static str;
}

/// A data source type of the AWS provider and its argument struct.
pub(super) trait DataSource: Serialize {
    const TYPE: &'static str;
}

/// The address of a resource or data block, to refer to its attributes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Address {
    /// `aws_vpc.main` or `data.aws_availability_zones.available`.
    path: String,
}

impl Address {
    /// The address of resource `name` of type `R`, declared in another file of the module.
    pub(super) fn of<R: Resource>(name: &str) -> Address {
        Address {
            path: format!("{}.{name}", R::TYPE),
        }
    }

    /// An interpolation of one attribute (or a longer path): `${aws_vpc.main.id}`.
    pub(super) fn attr(&self, attribute: &str) -> String {
        format!("${{{}.{attribute}}}", self.path)
    }

    /// An interpolation of an expression around one attribute:
    /// `expr("tolist(", "tags", ")[0]")` is `${tolist(aws_vpc.main.tags)[0]}`.
    pub(super) fn expr(&self, before: &str, attribute: &str, after: &str) -> String {
        format!("${{{before}{}.{attribute}{after}}}", self.path)
    }

    /// The bare address, as `depends_on` takes it.
    pub(super) fn path(&self) -> &str {
        &self.path
    }
}

/// Meta-arguments of a resource block.
#[derive(Debug, Default)]
pub(super) struct Meta<'a> {
    /// Blocks to create first, when no attribute reference says so.
    pub depends_on: &'a [&'a Address],
    /// Replace by creating the new object before destroying the old one (certificates in use).
    pub create_before_destroy: bool,
    /// Arguments that something else changes after creation (an autoscaler), as references.
    pub ignore_changes: &'a [&'a str],
    /// A provider configuration other than the default one (`aws.<alias>`).
    pub provider: Option<&'a str>,
}

/// An `output` block.
#[derive(Debug, Clone, Serialize)]
struct Output {
    description: String,
    value: Value,
}

/// One `.tf.json` file of a root module.
#[derive(Debug, Default)]
pub(super) struct Config {
    comment: String,
    terraform: Option<Value>,
    providers: BTreeMap<String, Value>,
    resources: BTreeMap<String, BTreeMap<String, Value>>,
    data: BTreeMap<String, BTreeMap<String, Value>>,
    outputs: BTreeMap<String, Output>,
}

impl Config {
    /// An empty configuration whose file starts with a `"//"` comment, which Terraform allows at
    /// the root of a JSON file and ignores.
    pub(super) fn new(comment: String) -> Self {
        Config {
            comment,
            ..Config::default()
        }
    }

    pub(super) fn terraform(&mut self, block: &impl Serialize) -> Result<(), String> {
        self.terraform = Some(to_value(block)?);
        Ok(())
    }

    pub(super) fn provider(&mut self, name: &str, block: &impl Serialize) -> Result<(), String> {
        self.providers.insert(name.to_string(), to_value(block)?);
        Ok(())
    }

    /// Adds `resource "<TYPE>" "<name>"`; a second block of the same address is a bug.
    pub(super) fn resource<R: Resource>(
        &mut self,
        name: &str,
        body: &R,
    ) -> Result<Address, String> {
        self.resource_with(name, body, &Meta::default())
    }

    /// Adds a resource that Terraform must create after `depends_on` (for dependencies that no
    /// attribute reference expresses, such as a role's policies before the role is used).
    pub(super) fn resource_after<R: Resource>(
        &mut self,
        name: &str,
        body: &R,
        depends_on: &[&Address],
    ) -> Result<Address, String> {
        let meta = Meta {
            depends_on,
            ..Meta::default()
        };
        self.resource_with(name, body, &meta)
    }

    /// Adds a resource with meta-arguments.
    pub(super) fn resource_with<R: Resource>(
        &mut self,
        name: &str,
        body: &R,
        meta: &Meta<'_>,
    ) -> Result<Address, String> {
        let mut value = to_value(body)?;
        let Value::Object(map) = &mut value else {
            return Err(format!(
                "the arguments of `{}.{name}` are not an object",
                R::TYPE
            ));
        };
        if let Some(provider) = meta.provider {
            map.insert("provider".into(), provider.into());
        }
        if !meta.depends_on.is_empty() {
            let mut paths: Vec<&str> = meta.depends_on.iter().map(|a| a.path()).collect();
            paths.sort_unstable();
            paths.dedup();
            map.insert("depends_on".into(), paths.into());
        }
        let mut lifecycle = Map::new();
        if meta.create_before_destroy {
            lifecycle.insert("create_before_destroy".into(), true.into());
        }
        if !meta.ignore_changes.is_empty() {
            lifecycle.insert("ignore_changes".into(), meta.ignore_changes.into());
        }
        if !lifecycle.is_empty() {
            map.insert("lifecycle".into(), Value::Object(lifecycle));
        }
        insert(&mut self.resources, R::TYPE, name, value)?;
        Ok(Address {
            path: format!("{}.{name}", R::TYPE),
        })
    }

    /// Adds a block a `terraform` resource type ships, as its arguments are given (`data: true`
    /// for a `data` block): its type is not one of pave's argument structs.
    pub(super) fn block(
        &mut self,
        data: bool,
        kind: &str,
        name: &str,
        body: &Value,
    ) -> Result<(), String> {
        if !body.is_object() {
            return Err(format!(
                "the arguments of `{kind}.{name}` are not an object"
            ));
        }
        let section = if data {
            &mut self.data
        } else {
            &mut self.resources
        };
        insert(section, kind, name, body.clone())
    }

    /// Adds `data "<TYPE>" "<name>"`.
    pub(super) fn data<D: DataSource>(&mut self, name: &str, body: &D) -> Result<Address, String> {
        self.data_from(name, body, None)
    }

    /// Adds `data "<TYPE>" "<name>"` read through `provider` (`aws.<alias>`) when given.
    pub(super) fn data_from<D: DataSource>(
        &mut self,
        name: &str,
        body: &D,
        provider: Option<&str>,
    ) -> Result<Address, String> {
        let mut value = to_value(body)?;
        if let (Some(provider), Value::Object(map)) = (provider, &mut value) {
            map.insert("provider".into(), provider.into());
        }
        insert(&mut self.data, D::TYPE, name, value)?;
        Ok(Address {
            path: format!("data.{}.{name}", D::TYPE),
        })
    }

    pub(super) fn output(
        &mut self,
        name: &str,
        description: &str,
        value: impl Into<Value>,
    ) -> Result<(), String> {
        let output = Output {
            description: description.to_string(),
            value: value.into(),
        };
        match self.outputs.insert(name.to_string(), output) {
            Some(_) => Err(format!("two Terraform outputs named `{name}`")),
            None => Ok(()),
        }
    }

    /// Whether the file would hold nothing but its comment.
    pub(super) fn is_empty(&self) -> bool {
        self.terraform.is_none()
            && self.providers.is_empty()
            && self.resources.is_empty()
            && self.data.is_empty()
            && self.outputs.is_empty()
    }

    /// The file's text, canonical: sorted keys, two-space indent, no nulls, final newline.
    pub(super) fn render(&self) -> Result<String, String> {
        let mut root = Map::new();
        root.insert("//".into(), self.comment.clone().into());
        if let Some(terraform) = &self.terraform {
            root.insert("terraform".into(), terraform.clone());
        }
        let sections = [
            ("provider", to_value(&self.providers)?),
            ("resource", to_value(&self.resources)?),
            ("data", to_value(&self.data)?),
            ("output", to_value(&self.outputs)?),
        ];
        for (key, value) in sections {
            if value.as_object().is_some_and(|m| !m.is_empty()) {
                root.insert(key.into(), value);
            }
        }
        canonical(&Value::Object(root))
    }
}

fn insert(
    section: &mut BTreeMap<String, BTreeMap<String, Value>>,
    kind: &str,
    name: &str,
    value: Value,
) -> Result<(), String> {
    let blocks = section.entry(kind.to_string()).or_default();
    if blocks.contains_key(name) {
        return Err(format!("two Terraform blocks named `{kind}.{name}`"));
    }
    blocks.insert(name.to_string(), value);
    Ok(())
}

fn to_value(value: &impl Serialize) -> Result<Value, String> {
    serde_json::to_value(value).map_err(|e| format!("serializing Terraform JSON: {e}"))
}

/// `value` with object keys sorted and null members dropped, pretty-printed with a final newline.
pub(super) fn canonical(value: &Value) -> Result<String, String> {
    let mut text = serde_json::to_string_pretty(&sorted(value))
        .map_err(|e| format!("serializing Terraform JSON: {e}"))?;
    text.push('\n');
    Ok(text)
}

/// Compact JSON with sorted keys and no nulls: the text of a policy document argument.
pub(super) fn compact(value: &impl Serialize) -> Result<String, String> {
    serde_json::to_string(&sorted(&to_value(value)?))
        .map_err(|e| format!("serializing a JSON document: {e}"))
}

fn sorted(value: &Value) -> Value {
    match value {
        Value::Object(map) => {
            let mut entries: Vec<(&String, &Value)> =
                map.iter().filter(|(_, v)| !v.is_null()).collect();
            entries.sort_by(|a, b| a.0.cmp(b.0));
            Value::Object(
                entries
                    .into_iter()
                    .map(|(k, v)| (k.clone(), sorted(v)))
                    .collect(),
            )
        }
        Value::Array(items) => Value::Array(items.iter().map(sorted).collect()),
        other => other.clone(),
    }
}

/// A Terraform block name from free text: lower case, `_` for anything else.
pub(super) fn block_name(text: &str) -> String {
    let mut out: String = text
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '_'
            }
        })
        .collect();
    if out.chars().next().is_none_or(|c| c.is_ascii_digit()) {
        out.insert(0, '_');
    }
    out
}

/// Block names for a list of texts, in order: [`block_name`] of each, with `_2`, `_3`, ... after
/// a name already taken (`a-b` and `a.b` both give `a_b`).
pub(super) fn block_names<'a>(texts: impl IntoIterator<Item = &'a str>) -> Vec<String> {
    let mut taken = std::collections::BTreeSet::new();
    texts
        .into_iter()
        .map(|text| {
            let base = block_name(text);
            let mut name = base.clone();
            let mut n = 1;
            while !taken.insert(name.clone()) {
                n += 1;
                name = format!("{base}_{n}");
            }
            name
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rendering_sorts_keys_drops_nulls_and_ends_with_a_newline() {
        let value = serde_json::json!({"b": 1, "a": {"d": null, "c": [{"z": 1, "y": 2}]}});
        assert_eq!(
            canonical(&value),
            Ok("{\n  \"a\": {\n    \"c\": [\n      {\n        \"y\": 2,\n        \"z\": 1\n      }\n    ]\n  },\n  \"b\": 1\n}\n".into())
        );
    }

    #[test]
    fn block_names_are_identifiers() {
        assert_eq!(
            block_name("orders.dev.techcorp.example"),
            "orders_dev_techcorp_example"
        );
        assert_eq!(block_name("backend/order-service"), "backend_order_service");
        assert_eq!(block_name("1a"), "_1a");
    }

    #[test]
    fn block_names_stay_unique() {
        assert_eq!(
            block_names(["a-b", "a.b", "a_b", "c"]),
            ["a_b", "a_b_2", "a_b_3", "c"]
        );
    }
}
