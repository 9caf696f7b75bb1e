//! The policy engine's values ([`regorus::Value`]). [`to_value`] turns typed objects straight
//! into them, as `serde_json::to_value` would shape them (objects keyed by string, `None` fields
//! left out by the types' own serializers, unit variants as strings, other variants as one-key
//! objects), without JSON text between: the generated objects an [`super::ObjectCheck`] reads
//! are converted while emit has them. Here, not in `policy`, so that emit imports no later
//! stage; `policy/value.rs` reads and builds the few values pave makes by hand.
//!
//! Struct field names are `&'static str`, the same few hundred for every object: each thread
//! keeps the engine's string for each, so a field name is allocated once, not once per object.

use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap};
use std::fmt;

use regorus::{Rc, Value};
use serde::ser::{self, Serialize};

/// Why a value could not be converted (a map key that is not a string or a scalar, a non-finite
/// float, or an error from the type's own serializer).
#[derive(Debug)]
pub(crate) struct Error(String);

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Error {}

impl ser::Error for Error {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        Error(msg.to_string())
    }
}

/// `value` as the policy engine's value, shaped as its JSON would be.
pub(crate) fn to_value<T: Serialize + ?Sized>(value: &T) -> Result<Value, Error> {
    value.serialize(Serializer { mask: None })
}

/// What of an object to convert (see [`to_value_masked`]): all of a subtree, or some of its
/// fields.
#[derive(Debug, Clone, PartialEq)]
pub enum Mask {
    /// All of it.
    Full,
    /// An object's or array's members: each named key by its mask, else every key or element
    /// by `any`; with `keys`, an object's other keys too, each with a null value (a key set is
    /// read). An array keeps every element (its length is read), null where `any` is `None`.
    Fields {
        children: BTreeMap<String, Mask>,
        any: Option<Box<Mask>>,
        keys: bool,
    },
}

impl Mask {
    /// The mask of every key or element, nothing converted below.
    pub fn empty() -> Mask {
        Mask::Fields {
            children: BTreeMap::new(),
            any: None,
            keys: false,
        }
    }

    /// All of the subtree at `path` (`None` steps: any key or element).
    pub fn path(path: &[Option<&str>]) -> Mask {
        match path.split_first() {
            None => Mask::Full,
            Some((step, rest)) => {
                let below = Mask::path(rest);
                match step {
                    Some(key) => Mask::Fields {
                        children: BTreeMap::from([((*key).to_string(), below)]),
                        any: None,
                        keys: false,
                    },
                    None => Mask::Fields {
                        children: BTreeMap::new(),
                        any: Some(Box::new(below)),
                        keys: false,
                    },
                }
            }
        }
    }

    /// What either mask converts.
    pub fn union(&self, other: &Mask) -> Mask {
        let (
            Mask::Fields {
                children: a,
                any: a_any,
                keys: a_keys,
            },
            Mask::Fields {
                children: b,
                any: b_any,
                keys: b_keys,
            },
        ) = (self, other)
        else {
            return Mask::Full;
        };
        // A key one mask names and the other reaches through `any` gets both.
        let either = |x: Option<&Mask>, y: Option<&Mask>| match (x, y) {
            (Some(x), Some(y)) => Some(x.union(y)),
            (Some(only), None) | (None, Some(only)) => Some(only.clone()),
            (None, None) => None,
        };
        let children = a
            .keys()
            .chain(b.keys())
            .filter_map(|key| {
                let x = a.get(key).or(a_any.as_deref());
                let y = b.get(key).or(b_any.as_deref());
                Some((key.clone(), either(x, y)?))
            })
            .collect();
        Mask::Fields {
            children,
            any: either(a_any.as_deref(), b_any.as_deref()).map(Box::new),
            keys: *a_keys || *b_keys,
        }
    }
}

/// `value` as the policy engine's value, with only what `mask` asks for: the same value as
/// [`to_value`]'s wherever `mask` reaches, and nothing else built. A rule's view of an object
/// (`policy/reads.rs`) reads no more than the mask the policies derive from it, so it is the
/// same from either value, and an object whose answers are all known is never converted whole.
pub(crate) fn to_value_masked<T: Serialize + ?Sized>(
    value: &T,
    mask: &Mask,
) -> Result<Value, Error> {
    value.serialize(Serializer { mask: Some(mask) })
}

/// What becomes of a member under a mask.
enum Member<'m> {
    /// Converted, with this mask (`None`: whole).
    Convert(Option<&'m Mask>),
    /// Only its presence counts: a null stands for it.
    Placeholder,
    /// Left out.
    Skip,
}

/// The member `key` of an object under `mask`.
fn member<'m>(mask: Option<&'m Mask>, key: &str) -> Member<'m> {
    match mask {
        None | Some(Mask::Full) => Member::Convert(None),
        Some(Mask::Fields {
            children,
            any,
            keys,
        }) => match children.get(key).or(any.as_deref()) {
            Some(Mask::Full) => Member::Convert(None),
            Some(mask) => Member::Convert(Some(mask)),
            None if *keys => Member::Placeholder,
            None => Member::Skip,
        },
    }
}

/// An element of an array under `mask`.
fn element(mask: Option<&Mask>) -> Member<'_> {
    match mask {
        None | Some(Mask::Full) => Member::Convert(None),
        Some(Mask::Fields { any, .. }) => match any.as_deref() {
            Some(Mask::Full) => Member::Convert(None),
            Some(mask) => Member::Convert(Some(mask)),
            None => Member::Placeholder,
        },
    }
}

std::thread_local! {
    /// The engine's string for each struct field name seen on this thread, by address and
    /// length (`&'static str`s: the same name in two types may be two entries, never wrong).
    static FIELD_NAMES: RefCell<HashMap<(usize, usize), Value, foldhash::fast::FixedState>> =
        RefCell::default();
}

/// The engine's string for `name`, allocated once per thread.
pub(crate) fn key(name: &'static str) -> Value {
    FIELD_NAMES.with(|names| {
        names
            .borrow_mut()
            .entry((name.as_ptr() as usize, name.len()))
            .or_insert_with(|| Value::String(Rc::from(name)))
            .clone()
    })
}

/// A string as the engine's value.
pub(crate) fn string(s: &str) -> Value {
    Value::String(Rc::from(s))
}

/// An object of `entries` (the last of equal keys wins, as in JSON), as the engine's value.
pub(crate) fn object(entries: Vec<(Value, Value)>) -> Value {
    Value::from(entries.into_iter().collect::<BTreeMap<_, _>>())
}

/// `{variant: value}`, how JSON writes a newtype, tuple or struct variant.
fn variant(name: &'static str, value: Value) -> Value {
    object(vec![(key(name), value)])
}

fn float(v: f64) -> Result<Value, Error> {
    if v.is_finite() {
        Ok(Value::from(v))
    } else {
        Err(Error(format!("{v} is not a JSON number")))
    }
}

/// Converts what `mask` asks for (`None`: everything).
#[derive(Clone, Copy)]
struct Serializer<'m> {
    mask: Option<&'m Mask>,
}

/// The whole of a value.
const WHOLE: Serializer<'static> = Serializer { mask: None };

impl<'m> ser::Serializer for Serializer<'m> {
    type Ok = Value;
    type Error = Error;
    type SerializeSeq = Seq<'m>;
    type SerializeTuple = Seq<'m>;
    type SerializeTupleStruct = Seq<'m>;
    type SerializeTupleVariant = Seq<'m>;
    type SerializeMap = Map<'m>;
    type SerializeStruct = Map<'m>;
    type SerializeStructVariant = Map<'m>;

    fn serialize_bool(self, v: bool) -> Result<Value, Error> {
        Ok(Value::from(v))
    }
    fn serialize_i8(self, v: i8) -> Result<Value, Error> {
        Ok(Value::from(i64::from(v)))
    }
    fn serialize_i16(self, v: i16) -> Result<Value, Error> {
        Ok(Value::from(i64::from(v)))
    }
    fn serialize_i32(self, v: i32) -> Result<Value, Error> {
        Ok(Value::from(i64::from(v)))
    }
    fn serialize_i64(self, v: i64) -> Result<Value, Error> {
        Ok(Value::from(v))
    }
    fn serialize_i128(self, v: i128) -> Result<Value, Error> {
        Ok(Value::from(v))
    }
    fn serialize_u8(self, v: u8) -> Result<Value, Error> {
        Ok(Value::from(u64::from(v)))
    }
    fn serialize_u16(self, v: u16) -> Result<Value, Error> {
        Ok(Value::from(u64::from(v)))
    }
    fn serialize_u32(self, v: u32) -> Result<Value, Error> {
        Ok(Value::from(u64::from(v)))
    }
    fn serialize_u64(self, v: u64) -> Result<Value, Error> {
        Ok(Value::from(v))
    }
    fn serialize_u128(self, v: u128) -> Result<Value, Error> {
        Ok(Value::from(v))
    }
    fn serialize_f32(self, v: f32) -> Result<Value, Error> {
        float(f64::from(v))
    }
    fn serialize_f64(self, v: f64) -> Result<Value, Error> {
        float(v)
    }
    fn serialize_char(self, v: char) -> Result<Value, Error> {
        Ok(string(v.encode_utf8(&mut [0; 4])))
    }
    fn serialize_str(self, v: &str) -> Result<Value, Error> {
        Ok(string(v))
    }
    fn serialize_bytes(self, v: &[u8]) -> Result<Value, Error> {
        Ok(Value::from(
            v.iter()
                .map(|&b| Value::from(u64::from(b)))
                .collect::<Vec<_>>(),
        ))
    }
    fn serialize_none(self) -> Result<Value, Error> {
        Ok(Value::Null)
    }
    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<Value, Error> {
        value.serialize(self)
    }
    fn serialize_unit(self) -> Result<Value, Error> {
        Ok(Value::Null)
    }
    fn serialize_unit_struct(self, _name: &'static str) -> Result<Value, Error> {
        Ok(Value::Null)
    }
    fn serialize_unit_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
    ) -> Result<Value, Error> {
        Ok(key(variant))
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        value: &T,
    ) -> Result<Value, Error> {
        value.serialize(self)
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        _index: u32,
        name: &'static str,
        value: &T,
    ) -> Result<Value, Error> {
        // A variant is converted whole under any mask: a superset of what the mask asks for.
        Ok(variant(name, value.serialize(WHOLE)?))
    }
    fn serialize_seq(self, len: Option<usize>) -> Result<Seq<'m>, Error> {
        Ok(Seq {
            items: Vec::with_capacity(len.unwrap_or(0)),
            variant: None,
            mask: self.mask,
        })
    }
    fn serialize_tuple(self, len: usize) -> Result<Seq<'m>, Error> {
        self.serialize_seq(Some(len))
    }
    fn serialize_tuple_struct(self, _name: &'static str, len: usize) -> Result<Seq<'m>, Error> {
        self.serialize_seq(Some(len))
    }
    fn serialize_tuple_variant(
        self,
        _name: &'static str,
        _index: u32,
        name: &'static str,
        len: usize,
    ) -> Result<Seq<'m>, Error> {
        Ok(Seq {
            items: Vec::with_capacity(len),
            variant: Some(name),
            mask: None,
        })
    }
    fn serialize_map(self, len: Option<usize>) -> Result<Map<'m>, Error> {
        Ok(Map {
            entries: Vec::with_capacity(len.unwrap_or(0)),
            key: None,
            variant: None,
            mask: self.mask,
        })
    }
    fn serialize_struct(self, _name: &'static str, len: usize) -> Result<Map<'m>, Error> {
        self.serialize_map(Some(len))
    }
    fn serialize_struct_variant(
        self,
        _name: &'static str,
        _index: u32,
        name: &'static str,
        len: usize,
    ) -> Result<Map<'m>, Error> {
        Ok(Map {
            entries: Vec::with_capacity(len),
            key: None,
            variant: Some(name),
            mask: None,
        })
    }
}

struct Seq<'m> {
    items: Vec<Value>,
    /// The variant, for a tuple variant.
    variant: Option<&'static str>,
    /// What of each element to convert (`None`: all).
    mask: Option<&'m Mask>,
}

impl Seq<'_> {
    fn push<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
        let item = match element(self.mask) {
            Member::Convert(mask) => value.serialize(Serializer { mask })?,
            Member::Placeholder | Member::Skip => Value::Null,
        };
        self.items.push(item);
        Ok(())
    }
    fn finish(self) -> Value {
        let array = Value::from(self.items);
        match self.variant {
            Some(name) => variant(name, array),
            None => array,
        }
    }
}

/// serde's four sequence traits, each adding one element.
macro_rules! sequence {
    ($($trait:ident::$method:ident),*) => {$(
        impl ser::$trait for Seq<'_> {
            type Ok = Value;
            type Error = Error;
            fn $method<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
                self.push(value)
            }
            fn end(self) -> Result<Value, Error> {
                Ok(self.finish())
            }
        }
    )*};
}

sequence!(
    SerializeSeq::serialize_element,
    SerializeTuple::serialize_element,
    SerializeTupleStruct::serialize_field,
    SerializeTupleVariant::serialize_field
);

struct Map<'m> {
    entries: Vec<(Value, Value)>,
    /// A map key waiting for its value, and what becomes of the value.
    key: Option<(Value, Member<'m>)>,
    /// The variant, for a struct variant.
    variant: Option<&'static str>,
    /// What of each member to convert (`None`: all).
    mask: Option<&'m Mask>,
}

impl<'m> Map<'m> {
    fn add<T: Serialize + ?Sized>(
        &mut self,
        key: Value,
        member: Member<'m>,
        value: &T,
    ) -> Result<(), Error> {
        match member {
            Member::Convert(mask) => {
                self.entries
                    .push((key, value.serialize(Serializer { mask })?));
            }
            Member::Placeholder => self.entries.push((key, Value::Null)),
            Member::Skip => {}
        }
        Ok(())
    }

    fn finish(self) -> Value {
        let map = object(self.entries);
        match self.variant {
            Some(name) => variant(name, map),
            None => map,
        }
    }
}

impl ser::SerializeMap for Map<'_> {
    type Ok = Value;
    type Error = Error;
    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result<(), Error> {
        let text = crate::emit::yaml::key_text(key).map_err(|e| Error(e.to_string()))?;
        self.key = Some((string(&text), member(self.mask, &text)));
        Ok(())
    }
    fn serialize_value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
        let (key, member) = self
            .key
            .take()
            .ok_or_else(|| Error("a map value without its key".into()))?;
        self.add(key, member, value)
    }
    fn end(self) -> Result<Value, Error> {
        Ok(self.finish())
    }
}

impl ser::SerializeStruct for Map<'_> {
    type Ok = Value;
    type Error = Error;
    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        name: &'static str,
        value: &T,
    ) -> Result<(), Error> {
        let member = member(self.mask, name);
        if matches!(member, Member::Skip) {
            return Ok(());
        }
        self.add(key(name), member, value)
    }
    fn end(self) -> Result<Value, Error> {
        Ok(self.finish())
    }
}

impl ser::SerializeStructVariant for Map<'_> {
    type Ok = Value;
    type Error = Error;
    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        name: &'static str,
        value: &T,
    ) -> Result<(), Error> {
        ser::SerializeStruct::serialize_field(self, name, value)
    }
    fn end(self) -> Result<Value, Error> {
        Ok(self.finish())
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use k8s_openapi::api::apps::v1::Deployment;
    use serde::Serialize;

    use super::to_value;

    /// The value must be the one the engine reads from the object's JSON text.
    fn same_as_json<T: Serialize>(object: &T) {
        let json = serde_json::to_string(object).unwrap_or_default();
        let expected = regorus::Value::from_json_str(&json).ok();
        assert_eq!(to_value(object).ok(), expected, "{json}");
    }

    #[derive(Serialize)]
    #[serde(rename_all = "camelCase")]
    enum Shape {
        Unit,
        Newtype(u8),
        Tuple(i32, String),
        Struct { first_field: bool },
    }

    #[derive(Serialize)]
    #[serde(rename_all = "camelCase")]
    struct Everything {
        text: String,
        #[serde(skip_serializing_if = "Option::is_none")]
        missing: Option<String>,
        null: Option<u32>,
        negative: i64,
        large: u64,
        fraction: f64,
        flag: bool,
        letter: char,
        list: Vec<Shape>,
        labels: BTreeMap<String, String>,
        numbered: BTreeMap<u16, bool>,
        nothing: (),
        json: serde_json::Value,
    }

    #[test]
    fn every_shape_converts_as_its_json_does() {
        same_as_json(&Everything {
            text: "a \"quoted\" ünïcode text".into(),
            missing: None,
            null: None,
            negative: -42,
            large: u64::MAX,
            fraction: 0.25,
            flag: true,
            letter: 'é',
            list: vec![
                Shape::Unit,
                Shape::Newtype(7),
                Shape::Tuple(-1, "x".into()),
                Shape::Struct { first_field: false },
            ],
            labels: [("app.kubernetes.io/name", "web"), ("tier", "front")]
                .into_iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            numbered: [(1, true), (20, false)].into_iter().collect(),
            nothing: (),
            json: serde_json::json!({"b": [1, 2.5, null], "a": {"nested": "yes"}}),
        });
    }

    #[test]
    fn a_kubernetes_object_converts_as_its_json_does() {
        let deployment: Deployment = serde_json::from_value(serde_json::json!({
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": {"name": "web", "namespace": "shop", "labels": {"app": "web"}},
            "spec": {
                "replicas": 2,
                "selector": {"matchLabels": {"app": "web"}},
                "template": {
                    "metadata": {"labels": {"app": "web"}},
                    "spec": {"containers": [{
                        "name": "web",
                        "image": "registry.example.com/web:1.0",
                        "ports": [{"containerPort": 8080, "name": "http"}],
                        "resources": {"requests": {"cpu": "100m", "memory": "128Mi"}},
                        "securityContext": {"runAsNonRoot": true, "capabilities": {"drop": ["ALL"]}}
                    }]}
                }
            }
        }))
        .unwrap_or_default();
        assert!(deployment.spec.is_some());
        same_as_json(&deployment);
    }

    #[test]
    fn a_float_that_is_not_a_number_is_an_error() {
        assert!(to_value(&f64::NAN).is_err());
        assert!(to_value(&BTreeMap::from([(vec![1], 2)])).is_err());
    }
}
