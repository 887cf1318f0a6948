//! The binding's encoding choices, apart from any client config.

use crate::config::Naming;

/// How one binding writes values at the boundary: key naming (camelCase for JS, snake_case for
/// Python) and whether a JSON-number amount may have decimals (JS numbers: yes, when its text
/// has at most two; Python: no, a float is not exact). The functions that need no client take
/// this instead of a [`Config`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Codec {
    pub naming: Naming,
    pub float_amounts: bool,
}

impl Codec {
    /// The Python package's: snake_case, no float amounts.
    pub const PYTHON: Codec = Codec {
        naming: Naming::Snake,
        float_amounts: false,
    };
    /// The npm package's: camelCase, JS numbers accepted as amounts when exact to the centavo.
    pub const JS: Codec = Codec {
        naming: Naming::Camel,
        float_amounts: true,
    };

    /// The codec of the binding named in a config (`python`: [`Codec::PYTHON`], anything
    /// else [`Codec::JS`]'s rules, camelCase).
    pub fn for_binding(binding: &str) -> Codec {
        if binding == "python" {
            Codec::PYTHON
        } else {
            Codec::JS
        }
    }
}
