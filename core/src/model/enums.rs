//! `string_enum!`: the open string enums of the wire (`CashInStatus`, `PixKeyType`, …).

/// Declares a string enum with known variants and an `Unknown(String)` catch-all.
///
/// On the wire it is the plain string; any other string becomes `Unknown` instead of failing.
macro_rules! string_enum {
    (
        $(#[$meta:meta])*
        $name:ident { $($(#[$vmeta:meta])* $variant:ident = $wire:literal),+ $(,)? }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash)]
        pub enum $name {
            $($(#[$vmeta])* $variant,)+
            /// A value the API docs don't list, kept verbatim.
            Unknown(String),
        }

        impl $name {
            /// Every documented value, in documentation order.
            pub const KNOWN: &'static [$name] = &[$($name::$variant),+];

            /// The wire string.
            pub fn as_str(&self) -> &str {
                match self {
                    $($name::$variant => $wire,)+
                    $name::Unknown(other) => other,
                }
            }

            /// Parses a wire string exactly (case-sensitive, as the API documents it).
            pub fn from_wire(text: &str) -> $name {
                match text {
                    $($wire => $name::$variant,)+
                    other => $name::Unknown(other.to_owned()),
                }
            }

            /// True unless this is `Unknown`.
            pub fn is_known(&self) -> bool {
                !matches!(self, $name::Unknown(_))
            }

            /// The documented values, for error messages: `"A, B or C"`.
            #[allow(dead_code)]
            pub(crate) fn expected() -> String {
                $crate::model::one_of(&[$($wire),+])
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl From<&str> for $name {
            fn from(text: &str) -> $name {
                $name::from_wire(text)
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<$name, D::Error> {
                let text = std::borrow::Cow::<str>::deserialize(deserializer)?;
                Ok($name::from_wire(&text))
            }
        }
    };
}
pub(crate) use string_enum;

/// `"A, B or C"`.
pub(crate) fn one_of(values: &[&str]) -> String {
    match values.split_last() {
        None => String::new(),
        Some((last, [])) => (*last).to_owned(),
        Some((last, rest)) => format!("{} or {last}", rest.join(", ")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_of_reads_naturally() {
        assert_eq!(one_of(&["A"]), "A");
        assert_eq!(one_of(&["A", "B", "C"]), "A, B or C");
    }
}
