//! JSON text straight into a typed model value, in one pass: no `serde_json::Value`, no renamed
//! copy of the keys, no round trip for the unknown-member check, and the path of the member
//! being read kept on the way (static field names and indexes, nothing allocated) so that a
//! failure names the field. Profiling showed the `Value` path at about a third of the wasm
//! core's CPU per payout, and its generic code (once per model type, beside the plain reader's)
//! a large part of the .wasm: every model type is read by this one reader, requests and
//! answers alike.
//!
//! [`OnePass`] wraps serde_json's deserializer. An object is never read from an array (serde
//! would fill a struct from its positions). For a request ([`Rules::request`]) every object
//! member must be a field of its struct (serde's own field list): an unknown one is reported
//! when nothing else is wrong (one whose value is `null` is absent, as everywhere), a member
//! given twice is refused, and in the Python naming a snake_case key reads as its camelCase
//! field (what `bridge::naming::keys_in` does); the bridge's own parameters (`id`,
//! `idempotencyKey`, `possiblyApplied`) are taken aside at the top level, untyped. An answer
//! ([`Rules::answer`]) ignores unknown members.

use std::borrow::Cow;
use std::cell::RefCell;
use std::fmt;

use serde::Deserialize;
use serde::de::{
    self, DeserializeOwned, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, Visitor,
};

use super::{join_path, path_and_message};
use crate::bridge::naming::snake_to_camel;
use crate::call::POSSIBLY_APPLIED;
use crate::config::Naming;

/// A bridge parameter as given: its type is checked by the bridge.
pub(crate) enum Given {
    Text(String),
    Bool(bool),
    /// Any other JSON value.
    Other,
}

/// The bridge's own parameters, read beside the body members at the top level; `null` is absent.
#[derive(Default)]
pub(crate) struct Extras {
    pub id: Option<Given>,
    pub idempotency_key: Option<Given>,
    pub possibly_applied: Option<Given>,
}

/// The body of a call that takes none (`cashIn.get`, `account.balance`, …): no member.
#[derive(Deserialize)]
pub(crate) struct NoBody {}

/// Why the params were not read.
pub(crate) enum Failure {
    /// A member is wrong: its camelCase dotted path and what is wrong, never quoting the value.
    Field(String, String),
    /// A member the type does not have (the first one met), nothing else being wrong.
    Unknown(String),
    /// Not a JSON object (or not JSON): the bridge's own checks say which.
    NotObject,
}

/// How a text is read.
#[derive(Clone, Copy)]
pub(crate) struct Rules {
    naming: Naming,
    /// A request: unknown members and members given twice are refused, the bridge's
    /// parameters taken aside. An answer ignores unknown members.
    request: bool,
}

impl Rules {
    /// The params of a call from a binding whose keys follow `naming`.
    pub(crate) fn request(naming: Naming) -> Rules {
        Rules {
            naming,
            request: true,
        }
    }

    /// An answer or a webhook (camelCase, unknown members ignored).
    pub(crate) fn answer() -> Rules {
        Rules {
            naming: Naming::Camel,
            request: false,
        }
    }
}

/// `T` and the bridge parameters from the params JSON (an object; empty or `null` read as `{}`).
pub(crate) fn parse<T: DeserializeOwned>(
    json: &str,
    naming: Naming,
) -> Result<(T, Extras), Failure> {
    let trimmed = json.trim();
    let json = if trimmed.is_empty() || trimmed == "null" {
        "{}"
    } else {
        json
    };
    let (result, track) = read::<T>(json.as_bytes(), Rules::request(naming));
    match result {
        Ok(value) => match track.unknown {
            None => Ok((value, track.extras)),
            Some(path) => Err(Failure::Unknown(path)),
        },
        Err(error) => match track.failed_at {
            Some(path) => Err(error_message(&path, &error.to_string())),
            // Not an object at the top: serde_json's error, no member involved.
            None if error.is_syntax() || error.is_eof() || !trimmed.starts_with('{') => {
                Err(Failure::NotObject)
            }
            None => Err(error_message("", &error.to_string())),
        },
    }
}

/// An answer's body (or a webhook's data) as `T`: on failure the field's camelCase dotted path
/// (`banks[0].ispb`, empty for the whole) and a message that never quotes the value.
pub(crate) fn parse_answer<T: DeserializeOwned>(json: &[u8]) -> Result<T, (String, String)> {
    let (result, track) = read::<T>(json, Rules::answer());
    result.map_err(|error| {
        let path = track.failed_at.unwrap_or_default();
        match error_message(&path, &error.to_string()) {
            Failure::Field(path, message) => (path, message),
            _ => (path, "is not valid".to_owned()),
        }
    })
}

fn read<T: DeserializeOwned>(json: &[u8], rules: Rules) -> (serde_json::Result<T>, Track) {
    let track = RefCell::new(Track::default());
    let mut json_de = serde_json::Deserializer::from_slice(json);
    let one_pass = OnePass {
        inner: &mut json_de,
        rules,
        track: &track,
        top_level: rules.request,
    };
    let result = T::deserialize(one_pass).and_then(|value| json_de.end().map(|()| value));
    (result, track.into_inner())
}

/// The failure a serde error at `path` means, in the SDK's words.
fn error_message(path: &str, serde_message: &str) -> Failure {
    // serde's struct visitor refuses a member given twice (a `Value` would keep the last one
    // silently: two amounts in one payout are refused instead, naming the member).
    if let Some(field) = serde_message
        .strip_prefix("duplicate field `")
        .and_then(|rest| rest.split('`').next())
    {
        return Failure::Field(join_path(path, field), "is given twice".to_owned());
    }
    let (path, mut message) = path_and_message(path.to_owned(), serde_message);
    // A `Value` calls every number a number; serde_json's text reader says which kind.
    for kind in ["integer", "floating"] {
        if let Some(start) = message.strip_suffix(kind) {
            message = format!("{start}number");
        }
    }
    Failure::Field(path, message)
}

/// True when a JSON number outside every string has a `.` or an exponent.
pub(crate) fn has_fraction_or_exponent(json: &[u8]) -> bool {
    let (mut in_string, mut escaped, mut after_digit) = (false, false, false);
    for &byte in json {
        if in_string {
            if escaped {
                escaped = false;
            } else if byte == b'\\' {
                escaped = true;
            } else if byte == b'"' {
                in_string = false;
            }
            continue;
        }
        match byte {
            b'"' => in_string = true,
            b'.' | b'e' | b'E' if after_digit => return true,
            _ => {}
        }
        after_digit = byte.is_ascii_digit();
    }
    false
}

/// What the pass knows about where it is, shared by every level.
#[derive(Default)]
struct Track {
    /// The members being read, outermost first (the fields' own static names, indexes).
    stack: Vec<Segment>,
    /// The path where the first error was met (the innermost member that saw it).
    failed_at: Option<String>,
    /// The first unknown member with a value.
    unknown: Option<String>,
    extras: Extras,
}

#[derive(Clone, Copy)]
enum Segment {
    Field(&'static str),
    Index(usize),
}

impl Track {
    /// `payee.destination.pixKey`, `banks[0].ispb`.
    fn path(&self) -> String {
        let mut path = String::new();
        for segment in &self.stack {
            match segment {
                Segment::Field(name) => {
                    if !path.is_empty() {
                        path.push('.');
                    }
                    path.push_str(name);
                }
                Segment::Index(i) => {
                    path.push('[');
                    path.push_str(&i.to_string());
                    path.push(']');
                }
            }
        }
        path
    }

    /// Runs `read` with `segment` on the path; the first failure keeps the path it was met at.
    fn within<T, E>(
        cell: &RefCell<Track>,
        segment: Segment,
        read: impl FnOnce() -> Result<T, E>,
    ) -> Result<T, E> {
        cell.borrow_mut().stack.push(segment);
        let result = read();
        let mut track = cell.borrow_mut();
        if result.is_err() && track.failed_at.is_none() {
            track.failed_at = Some(track.path());
        }
        track.stack.pop();
        result
    }
}

/// What no request type uses (sequences, maps, enums, newtypes): refused.
fn unsupported<E: de::Error>() -> E {
    E::custom("wrong type: not a member of this request")
}

/// serde_json's deserializer, strict about objects (see the module doc).
struct OnePass<'t, D> {
    inner: D,
    rules: Rules,
    track: &'t RefCell<Track>,
    top_level: bool,
}

macro_rules! forward {
    ($($method:ident)*) => {$(
        fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, D::Error> {
            self.inner.$method(visitor)
        }
    )*};
}

macro_rules! refuse {
    ($($method:ident)*) => {$(
        fn $method<V: Visitor<'de>>(self, _visitor: V) -> Result<V::Value, D::Error> {
            Err(unsupported())
        }
    )*};
}

impl<'de, D: Deserializer<'de>> Deserializer<'de> for OnePass<'_, D> {
    type Error = D::Error;

    // Scalars hold no member. `any` is how `Amount` and `expirationInMinutes` read a number
    // (through a `Value`), each refusing an object or an array itself.
    forward! {
        deserialize_any deserialize_bool deserialize_i8 deserialize_i16 deserialize_i32
        deserialize_i64 deserialize_u8 deserialize_u16 deserialize_u32 deserialize_u64
        deserialize_f32 deserialize_f64 deserialize_char deserialize_str deserialize_string
        deserialize_bytes deserialize_byte_buf deserialize_unit deserialize_identifier
        deserialize_ignored_any
    }
    refuse! { deserialize_map }

    fn deserialize_seq<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, D::Error> {
        self.inner.deserialize_seq(SeqVisitor {
            visitor,
            rules: self.rules,
            track: self.track,
        })
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, D::Error> {
        self.inner.deserialize_option(OptionVisitor {
            visitor,
            rules: self.rules,
            track: self.track,
        })
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, D::Error> {
        self.inner.deserialize_struct(
            name,
            fields,
            StructVisitor {
                visitor,
                fields,
                rules: self.rules,
                track: self.track,
                top_level: self.top_level,
            },
        )
    }

    fn deserialize_unit_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _visitor: V,
    ) -> Result<V::Value, D::Error> {
        Err(unsupported())
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _visitor: V,
    ) -> Result<V::Value, D::Error> {
        Err(unsupported())
    }

    fn deserialize_tuple<V: Visitor<'de>>(
        self,
        _len: usize,
        _visitor: V,
    ) -> Result<V::Value, D::Error> {
        Err(unsupported())
    }

    fn deserialize_tuple_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _len: usize,
        _visitor: V,
    ) -> Result<V::Value, D::Error> {
        Err(unsupported())
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        _visitor: V,
    ) -> Result<V::Value, D::Error> {
        Err(unsupported())
    }
}

/// `Some(value)` read strictly too (`Option<Payee>`, the `null_as_default` strings).
struct OptionVisitor<'t, V> {
    visitor: V,
    rules: Rules,
    track: &'t RefCell<Track>,
}

impl<'de, V: Visitor<'de>> Visitor<'de> for OptionVisitor<'_, V> {
    type Value = V::Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.visitor.expecting(f)
    }

    fn visit_none<E: de::Error>(self) -> Result<V::Value, E> {
        self.visitor.visit_none()
    }

    fn visit_unit<E: de::Error>(self) -> Result<V::Value, E> {
        self.visitor.visit_unit()
    }

    fn visit_some<S: Deserializer<'de>>(self, inner: S) -> Result<V::Value, S::Error> {
        self.visitor.visit_some(OnePass {
            inner,
            rules: self.rules,
            track: self.track,
            top_level: false,
        })
    }
}

/// A list (`banks`), each element read by the same rules, its index on the path.
struct SeqVisitor<'t, V> {
    visitor: V,
    rules: Rules,
    track: &'t RefCell<Track>,
}

impl<'de, V: Visitor<'de>> Visitor<'de> for SeqVisitor<'_, V> {
    type Value = V::Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.visitor.expecting(f)
    }

    fn visit_seq<Q: de::SeqAccess<'de>>(self, seq: Q) -> Result<V::Value, Q::Error> {
        self.visitor.visit_seq(Elements {
            inner: seq,
            rules: self.rules,
            track: self.track,
            index: 0,
        })
    }
}

struct Elements<'t, Q> {
    inner: Q,
    rules: Rules,
    track: &'t RefCell<Track>,
    index: usize,
}

impl<'de, Q: de::SeqAccess<'de>> de::SeqAccess<'de> for Elements<'_, Q> {
    type Error = Q::Error;

    fn next_element_seed<S: DeserializeSeed<'de>>(
        &mut self,
        seed: S,
    ) -> Result<Option<S::Value>, Q::Error> {
        let seed = ValueSeed {
            seed,
            rules: self.rules,
            track: self.track,
        };
        let index = self.index;
        self.index += 1;
        Track::within(self.track, Segment::Index(index), || {
            self.inner.next_element_seed(seed)
        })
    }

    fn size_hint(&self) -> Option<usize> {
        self.inner.size_hint()
    }
}

/// A struct from an object only (serde would otherwise fill the fields from an array's
/// positions).
struct StructVisitor<'t, V> {
    visitor: V,
    fields: &'static [&'static str],
    rules: Rules,
    track: &'t RefCell<Track>,
    top_level: bool,
}

impl<'de, V: Visitor<'de>> Visitor<'de> for StructVisitor<'_, V> {
    type Value = V::Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.visitor.expecting(f)
    }

    fn visit_seq<Q: de::SeqAccess<'de>>(self, _seq: Q) -> Result<V::Value, Q::Error> {
        Err(de::Error::custom(
            "wrong type: expected an object with named fields, got an array",
        ))
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<V::Value, A::Error> {
        self.visitor.visit_map(OnePassMap {
            inner: map,
            fields: self.fields,
            rules: self.rules,
            track: self.track,
            top_level: self.top_level,
            member: "",
        })
    }
}

/// An object's members: each key renamed into camelCase (Python naming) and checked against
/// the struct's fields; at the top level the bridge's parameters are taken aside.
struct OnePassMap<'t, A> {
    inner: A,
    fields: &'static [&'static str],
    rules: Rules,
    track: &'t RefCell<Track>,
    top_level: bool,
    /// The field whose value comes next.
    member: &'static str,
}

impl<'de, A: MapAccess<'de>> OnePassMap<'_, A> {
    /// Reads the value of a member that is not a field, keeping what the bridge needs.
    fn aside(&mut self, key: Key<()>) -> Result<(), A::Error> {
        match key {
            Key::Field(()) => Ok(()),
            Key::Unknown(name) => {
                let value: Option<IgnoredAny> = self.inner.next_value()?;
                let mut track = self.track.borrow_mut();
                if self.rules.request && value.is_some() && track.unknown.is_none() {
                    track.unknown = Some(join_path(&track.path(), &name));
                }
                Ok(())
            }
            Key::Extra(name) => {
                let value: Option<GivenValue> = self.inner.next_value()?;
                let mut track = self.track.borrow_mut();
                let slot = match name {
                    "id" => &mut track.extras.id,
                    "idempotencyKey" => &mut track.extras.idempotency_key,
                    _ => &mut track.extras.possibly_applied,
                };
                // The last one counts, `null` included (as in a JSON object read whole).
                *slot = value.map(|GivenValue(value)| value);
                Ok(())
            }
        }
    }
}

impl<'de, A: MapAccess<'de>> MapAccess<'de> for OnePassMap<'_, A> {
    type Error = A::Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, A::Error> {
        let mut seed = Some(seed);
        loop {
            let key = self.inner.next_key_seed(KeySeed {
                seed: &mut seed,
                fields: self.fields,
                rules: self.rules,
                top_level: self.top_level,
            })?;
            match key {
                None => return Ok(None),
                Some(Key::Field((member, value))) => {
                    self.member = member;
                    return Ok(Some(value));
                }
                Some(Key::Unknown(name)) => self.aside(Key::Unknown(name))?,
                Some(Key::Extra(name)) => self.aside(Key::Extra(name))?,
            }
        }
    }

    fn next_value_seed<S: DeserializeSeed<'de>>(&mut self, seed: S) -> Result<S::Value, A::Error> {
        let seed = ValueSeed {
            seed,
            rules: self.rules,
            track: self.track,
        };
        Track::within(self.track, Segment::Field(self.member), || {
            self.inner.next_value_seed(seed)
        })
    }

    fn size_hint(&self) -> Option<usize> {
        self.inner.size_hint()
    }
}

/// A member's value, read strictly.
struct ValueSeed<'t, S> {
    seed: S,
    rules: Rules,
    track: &'t RefCell<Track>,
}

impl<'de, S: DeserializeSeed<'de>> DeserializeSeed<'de> for ValueSeed<'_, S> {
    type Value = S::Value;

    fn deserialize<D: Deserializer<'de>>(self, inner: D) -> Result<S::Value, D::Error> {
        self.seed.deserialize(OnePass {
            inner,
            rules: self.rules,
            track: self.track,
            top_level: false,
        })
    }
}

enum Key<T> {
    /// A field of the struct (its static name) and what the struct's field seed made of it.
    Field(T),
    Unknown(String),
    /// `id`, `idempotencyKey` or `possiblyApplied`.
    Extra(&'static str),
}

/// Reads a key, renames it, and hands a known field's name to the struct's own field seed.
struct KeySeed<'s, K> {
    seed: &'s mut Option<K>,
    fields: &'static [&'static str],
    rules: Rules,
    top_level: bool,
}

impl<'de, K: DeserializeSeed<'de>> DeserializeSeed<'de> for KeySeed<'_, K> {
    type Value = Key<(&'static str, K::Value)>;

    fn deserialize<D: Deserializer<'de>>(self, inner: D) -> Result<Self::Value, D::Error> {
        inner.deserialize_str(self)
    }
}

impl<'de, K: DeserializeSeed<'de>> Visitor<'de> for KeySeed<'_, K> {
    type Value = Key<(&'static str, K::Value)>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a member name")
    }

    fn visit_str<E: de::Error>(self, key: &str) -> Result<Self::Value, E> {
        let key: Cow<'_, str> = match self.rules.naming {
            Naming::Snake if key.contains('_') => Cow::Owned(snake_to_camel(key)),
            _ => Cow::Borrowed(key),
        };
        if self.top_level {
            for extra in ["id", "idempotencyKey", POSSIBLY_APPLIED] {
                if key == extra {
                    return Ok(Key::Extra(extra));
                }
            }
        }
        let Some(&member) = self.fields.iter().find(|field| **field == key) else {
            // An answer's unknown member is skipped: its name is not needed.
            let name = if self.rules.request {
                key.into_owned()
            } else {
                String::new()
            };
            return Ok(Key::Unknown(name));
        };
        let seed = self.seed.take().ok_or_else(unsupported)?;
        seed.deserialize(de::value::StrDeserializer::<E>::new(member))
            .map(|value| Key::Field((member, value)))
    }
}

/// Any JSON value, kept when it is a string or a boolean.
struct GivenValue(Given);

impl<'de> Deserialize<'de> for GivenValue {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<GivenValue, D::Error> {
        struct Any;
        impl<'de> Visitor<'de> for Any {
            type Value = Given;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("any value")
            }
            fn visit_str<E: de::Error>(self, text: &str) -> Result<Given, E> {
                Ok(Given::Text(text.to_owned()))
            }
            fn visit_string<E: de::Error>(self, text: String) -> Result<Given, E> {
                Ok(Given::Text(text))
            }
            fn visit_bool<E: de::Error>(self, b: bool) -> Result<Given, E> {
                Ok(Given::Bool(b))
            }
            fn visit_i64<E: de::Error>(self, _: i64) -> Result<Given, E> {
                Ok(Given::Other)
            }
            fn visit_u64<E: de::Error>(self, _: u64) -> Result<Given, E> {
                Ok(Given::Other)
            }
            fn visit_f64<E: de::Error>(self, _: f64) -> Result<Given, E> {
                Ok(Given::Other)
            }
            fn visit_seq<Q: de::SeqAccess<'de>>(self, mut seq: Q) -> Result<Given, Q::Error> {
                while seq.next_element::<IgnoredAny>()?.is_some() {}
                Ok(Given::Other)
            }
            fn visit_map<M: MapAccess<'de>>(self, mut map: M) -> Result<Given, M::Error> {
                while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                Ok(Given::Other)
            }
        }
        deserializer.deserialize_any(Any).map(GivenValue)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_numbers_with_a_fraction_or_an_exponent_outside_strings() {
        for (json, expected) in [
            (r#"{"amount":150}"#, false),
            (
                r#"{"amount":"150.50","webhookUrl":"https://e.example/a.b"}"#,
                false,
            ),
            (r#"{"a":true,"b":false,"c":null,"d":"1e5 \" 2.5"}"#, false),
            (r#"{"amount":150.5}"#, true),
            (r#"{"amount":15e1}"#, true),
            (r#"{"amount":1E2}"#, true),
            (r#"{"d":"x\\","amount":1.5}"#, true),
        ] {
            assert_eq!(
                has_fraction_or_exponent(json.as_bytes()),
                expected,
                "{json}"
            );
        }
    }
}
