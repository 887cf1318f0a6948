//! The params JSON of a call read straight into its typed request, in one pass over the text:
//! no `serde_json::Value`, no renamed copy of the keys, no round trip for the unknown-member
//! check. Profiling showed the checked path ([`crate::model::parse_request`]) at about a third
//! of the wasm core's CPU per payout.
//!
//! [`Strict`] wraps serde_json's deserializer and accepts only what the checked path accepts,
//! with the same typed result: every object member must be a field of its struct (serde's own
//! field list), an object is never read from an array, and in the Python naming a snake_case
//! key reads as its camelCase field, as `naming::keys_in` renames it. Anything else (a member it
//! does not know, even a `null` one, a duplicate, a wrong type, bad JSON) is a plain failure
//! without a message: the caller then runs the checked path, which decides and names the field.
//! So this path never decides anything the checked path would decide otherwise; it only skips
//! the work when the params are right, which is almost always.

use std::borrow::Cow;
use std::fmt;

use serde::Deserialize;
use serde::de::{self, DeserializeOwned, DeserializeSeed, Deserializer, MapAccess, Visitor};

use super::Codec;
use super::naming::snake_to_camel;
use crate::call::POSSIBLY_APPLIED;
use crate::config::Naming;

/// The bridge's own parameters, read beside the body members at the top level.
#[derive(Default)]
pub(super) struct Extras {
    pub id: Option<String>,
    pub idempotency_key: Option<String>,
    pub possibly_applied: Option<bool>,
}

/// The body of a call that takes none (`cashIn.get`, `account.balance`, …): no member.
#[derive(Deserialize)]
pub(super) struct NoBody {}

/// `T` and the extras from the params JSON, or `None` when the checked path must decide.
pub(super) fn parse<T: DeserializeOwned>(json: &str, codec: Codec) -> Option<(T, Extras)> {
    // A JSON number with a fraction or an exponent in Python's params came from a float, which
    // the Python codec refuses for amounts: the checked path applies that rule, naming the field.
    if !codec.float_amounts && has_fraction_or_exponent(json.as_bytes()) {
        return None;
    }
    let mut extras = Extras::default();
    let mut json_de = serde_json::Deserializer::from_slice(json.as_bytes());
    let strict = Strict {
        inner: &mut json_de,
        naming: codec.naming,
        extras: Some(&mut extras),
    };
    let value = T::deserialize(strict).ok()?;
    json_de.end().ok()?;
    Some((value, extras))
}

/// True when a JSON number outside every string has a `.` or an exponent.
fn has_fraction_or_exponent(json: &[u8]) -> bool {
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

/// What no request type uses: refused, so the checked path decides.
fn unsupported<E: de::Error>() -> E {
    E::custom("not read by the one-pass params reader")
}

/// serde_json's deserializer, strict about objects (see the module doc).
struct Strict<'x, D> {
    inner: D,
    naming: Naming,
    /// The top level only: where `id`, `idempotencyKey` and `possiblyApplied` go.
    extras: Option<&'x mut Extras>,
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

impl<'de, D: Deserializer<'de>> Deserializer<'de> for Strict<'_, D> {
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
    refuse! { deserialize_seq deserialize_map }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, D::Error> {
        self.inner.deserialize_option(OptionVisitor {
            visitor,
            naming: self.naming,
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
                naming: self.naming,
                extras: self.extras,
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
struct OptionVisitor<V> {
    visitor: V,
    naming: Naming,
}

impl<'de, V: Visitor<'de>> Visitor<'de> for OptionVisitor<V> {
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
        self.visitor.visit_some(Strict {
            inner,
            naming: self.naming,
            extras: None,
        })
    }
}

/// A struct from an object only: `visit_seq` is left to its default, a type error (serde would
/// otherwise fill the fields from an array's positions).
struct StructVisitor<'x, V> {
    visitor: V,
    fields: &'static [&'static str],
    naming: Naming,
    extras: Option<&'x mut Extras>,
}

impl<'de, V: Visitor<'de>> Visitor<'de> for StructVisitor<'_, V> {
    type Value = V::Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.visitor.expecting(f)
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<V::Value, A::Error> {
        self.visitor.visit_map(StrictMap {
            inner: map,
            fields: self.fields,
            naming: self.naming,
            extras: self.extras,
        })
    }
}

/// An object's members: each key renamed into camelCase (Python naming) and checked against
/// the struct's fields; at the top level the bridge's parameters are taken aside.
struct StrictMap<'x, A> {
    inner: A,
    fields: &'static [&'static str],
    naming: Naming,
    extras: Option<&'x mut Extras>,
}

impl<'de, A: MapAccess<'de>> MapAccess<'de> for StrictMap<'_, A> {
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
                naming: self.naming,
                top_level: self.extras.is_some(),
            })?;
            let extra = match key {
                None => return Ok(None),
                Some(Key::Field(value)) => return Ok(Some(value)),
                Some(Key::Extra(extra)) => extra,
            };
            let Some(extras) = self.extras.as_deref_mut() else {
                return Err(unsupported());
            };
            // A parameter given twice: the checked path decides which counts.
            let duplicate = match extra {
                Extra::Id => once(&mut extras.id, self.inner.next_value()?),
                Extra::IdempotencyKey => {
                    once(&mut extras.idempotency_key, self.inner.next_value()?)
                }
                Extra::PossiblyApplied => {
                    once(&mut extras.possibly_applied, self.inner.next_value()?)
                }
            };
            if duplicate {
                return Err(unsupported());
            }
        }
    }

    fn next_value_seed<S: DeserializeSeed<'de>>(&mut self, seed: S) -> Result<S::Value, A::Error> {
        self.inner.next_value_seed(ValueSeed {
            seed,
            naming: self.naming,
        })
    }

    fn size_hint(&self) -> Option<usize> {
        self.inner.size_hint()
    }
}

/// Stores `value` in an empty slot; true when the slot was taken already.
fn once<T>(slot: &mut Option<T>, value: Option<T>) -> bool {
    let taken = slot.is_some();
    if value.is_some() {
        *slot = value;
    }
    taken
}

/// A member's value, read strictly.
struct ValueSeed<S> {
    seed: S,
    naming: Naming,
}

impl<'de, S: DeserializeSeed<'de>> DeserializeSeed<'de> for ValueSeed<S> {
    type Value = S::Value;

    fn deserialize<D: Deserializer<'de>>(self, inner: D) -> Result<S::Value, D::Error> {
        self.seed.deserialize(Strict {
            inner,
            naming: self.naming,
            extras: None,
        })
    }
}

enum Extra {
    Id,
    IdempotencyKey,
    PossiblyApplied,
}

enum Key<T> {
    Field(T),
    Extra(Extra),
}

/// Reads a key, renames it, and hands a known field's name to the struct's own field seed.
struct KeySeed<'s, K> {
    seed: &'s mut Option<K>,
    fields: &'static [&'static str],
    naming: Naming,
    top_level: bool,
}

impl<'de, K: DeserializeSeed<'de>> DeserializeSeed<'de> for KeySeed<'_, K> {
    type Value = Key<K::Value>;

    fn deserialize<D: Deserializer<'de>>(self, inner: D) -> Result<Self::Value, D::Error> {
        inner.deserialize_str(self)
    }
}

impl<'de, K: DeserializeSeed<'de>> Visitor<'de> for KeySeed<'_, K> {
    type Value = Key<K::Value>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a member name")
    }

    fn visit_str<E: de::Error>(self, key: &str) -> Result<Self::Value, E> {
        let key: Cow<'_, str> = match self.naming {
            Naming::Snake if key.contains('_') => Cow::Owned(snake_to_camel(key)),
            _ => Cow::Borrowed(key),
        };
        if self.top_level {
            match key.as_ref() {
                "id" => return Ok(Key::Extra(Extra::Id)),
                "idempotencyKey" => return Ok(Key::Extra(Extra::IdempotencyKey)),
                POSSIBLY_APPLIED => return Ok(Key::Extra(Extra::PossiblyApplied)),
                _ => {}
            }
        }
        if !self.fields.contains(&key.as_ref()) {
            return Err(unsupported());
        }
        let seed = self.seed.take().ok_or_else(unsupported)?;
        seed.deserialize(de::value::StrDeserializer::<E>::new(&key))
            .map(Key::Field)
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
