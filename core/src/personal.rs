//! Personal data in the API's models, and how it is shown: decided here once for every binding.
//!
//! [`FIELDS`] lists each model field that holds personal data (names, CPF/CNPJ documents, PIX
//! keys, bank account numbers) and the [`Mask`] that displays it. The schema generator
//! (`tools/schema-gen`) emits this table into the Python models (their `repr`) and the
//! TypeScript types (`toString` and `util.inspect`), and both call [`mask`] through their
//! native module to render a value, so the rule itself exists only in this file.
//!
//! Masking is for display only: `to_dict()` / `JSON.stringify` and attribute access keep the
//! real value, which the caller needs. A mask keeps just enough to recognise a value in a log
//! line while debugging (`123.***.***-09`, `M*** S***`, `m***@example.com`) and never enough to
//! reconstruct it.

use crate::pix::{document, key};

/// How one kind of personal data is displayed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Mask {
    /// A person's or company's name: the first letter of each word, then `***`
    /// (`Maria Silva` → `M*** S***`).
    Name,
    /// A CPF or CNPJ: `123.***.***-09`, `11.***.***/****-81`; anything else `***(n chars)`.
    Document,
    /// A PIX key, by its type (the field named by [`Field::hint`]): CPF/CNPJ as documents,
    /// e-mail `m***@example.com`, phone `+5511***21`, EVP its first 8 characters. Without a
    /// known type, the type the key's normalised form shows; `***` when it shows none.
    PixKey,
    /// A bank account number: `***` and its last 3 characters when it has at least 7
    /// (`947710840` → `***840`), `***` otherwise.
    AccountNumber,
}

impl Mask {
    /// Every mask, for the bindings' tables and tests.
    pub const ALL: [Mask; 4] = [
        Mask::Name,
        Mask::Document,
        Mask::PixKey,
        Mask::AccountNumber,
    ];

    /// The name the bindings pass to [`mask`].
    pub fn as_str(self) -> &'static str {
        match self {
            Mask::Name => "name",
            Mask::Document => "document",
            Mask::PixKey => "pixKey",
            Mask::AccountNumber => "accountNumber",
        }
    }

    /// The mask named `name` ([`Mask::as_str`]).
    pub fn from_name(name: &str) -> Option<Mask> {
        Mask::ALL.into_iter().find(|m| m.as_str() == name)
    }

    /// `value` as it may be displayed. `hint` is the value of the field [`Field::hint`] names
    /// (the PIX key type), when the model has it.
    pub fn apply(self, value: &str, hint: Option<&str>) -> String {
        match self {
            Mask::Name => mask_name(value),
            Mask::Document => document::mask(value),
            Mask::PixKey => {
                let kind = hint
                    .map(key::PixKeyType::from_wire)
                    .filter(|kind| !matches!(kind, key::PixKeyType::Unknown(_)))
                    .or_else(|| key::infer_type(value));
                match kind {
                    Some(kind) => key::mask(&kind, value),
                    None => "***".to_owned(),
                }
            }
            Mask::AccountNumber => mask_account_number(value),
        }
    }
}

/// One field of a model that holds personal data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Field {
    /// The Rust model type (`crate::model::…`), e.g. `Payee`.
    pub model: &'static str,
    /// The field's wire (camelCase) name, e.g. `document`.
    pub field: &'static str,
    pub mask: Mask,
    /// A sibling field (wire name) whose value refines the mask: `pixKeyType` for a PIX key.
    pub hint: Option<&'static str>,
}

const fn field(model: &'static str, field: &'static str, mask: Mask) -> Field {
    Field {
        model,
        field,
        mask,
        hint: None,
    }
}

/// Every personal-data field of the models the bindings expose. The generator refuses a row
/// whose model or field does not exist, so this list cannot drift from the types silently.
pub const FIELDS: &[Field] = &[
    field("Payer", "name", Mask::Name),
    field("Payer", "document", Mask::Document),
    field("PayerBankData", "account", Mask::AccountNumber),
    field("Payee", "name", Mask::Name),
    field("Payee", "document", Mask::Document),
    Field {
        model: "Destination",
        field: "pixKey",
        mask: Mask::PixKey,
        hint: Some("pixKeyType"),
    },
    field("BankAccount", "account", Mask::AccountNumber),
];

/// The personal-data fields of `model`.
pub fn fields_of(model: &str) -> impl Iterator<Item = &'static Field> + '_ {
    FIELDS.iter().filter(move |f| f.model == model)
}

/// What the bindings call: `value` masked by the mask named `mask` ([`Mask::as_str`]). An
/// unknown mask name hides the value entirely (`***`): failing closed is the safe default.
pub fn mask(mask: &str, value: &str, hint: Option<&str>) -> String {
    match Mask::from_name(mask) {
        Some(mask) => mask.apply(value, hint),
        None => "***".to_owned(),
    }
}

fn mask_name(name: &str) -> String {
    let initials: Vec<String> = name
        .split_whitespace()
        .filter_map(|word| word.chars().next())
        .map(|first| format!("{first}***"))
        .collect();
    if initials.is_empty() {
        "***".to_owned()
    } else {
        initials.join(" ")
    }
}

fn mask_account_number(account: &str) -> String {
    let chars: Vec<char> = account.chars().collect();
    if chars.len() >= 7 {
        let tail: String = chars[chars.len() - 3..].iter().collect();
        format!("***{tail}")
    } else {
        "***".to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_mask_keeps_only_a_recognisable_part() {
        assert_eq!(mask("name", "Maria da Silva", None), "M*** d*** S***");
        assert_eq!(mask("name", "  ", None), "***");
        assert_eq!(mask("name", "Émile", None), "É***");
        assert_eq!(mask("document", "12345678909", None), "123.***.***-09");
        assert_eq!(
            mask("document", "11222333000181", None),
            "11.***.***/****-81"
        );
        assert_eq!(
            mask("pixKey", "maria@example.com", Some("EMAIL")),
            "m***@example.com"
        );
        assert_eq!(mask("pixKey", "12345678909", Some("CPF")), "123.***.***-09");
        assert_eq!(
            mask("pixKey", "maria@example.com", None),
            "m***@example.com"
        );
        assert_eq!(mask("pixKey", "not a key", Some("IBAN")), "***");
        assert_eq!(mask("accountNumber", "947710840", None), "***840");
        assert_eq!(mask("accountNumber", "12345-6", None), "***5-6");
        assert_eq!(mask("accountNumber", "1234", None), "***");
    }

    #[test]
    fn an_unknown_mask_hides_everything() {
        assert_eq!(mask("nickname", "Maria", None), "***");
    }

    #[test]
    fn no_mask_shows_the_whole_value() {
        for (value, hint) in [
            ("Maria Silva", None),
            ("12345678909", None),
            ("11222333000181", None),
            ("maria.silva@example.com", Some("EMAIL")),
            ("+5511987654321", Some("PHONE")),
            ("123e4567-e89b-12d3-a456-426614174000", Some("EVP")),
            ("947710840", None),
        ] {
            for m in Mask::ALL {
                let shown = m.apply(value, hint);
                assert_ne!(shown, value, "{m:?} shows {value}");
                assert!(shown.contains("***"), "{m:?}: {shown}");
            }
        }
    }

    #[test]
    fn names_round_trip_and_rows_are_unique() {
        for m in Mask::ALL {
            assert_eq!(Mask::from_name(m.as_str()), Some(m));
        }
        for (i, a) in FIELDS.iter().enumerate() {
            assert!(
                FIELDS[i + 1..]
                    .iter()
                    .all(|b| (a.model, a.field) != (b.model, b.field)),
                "{a:?} listed twice"
            );
        }
        assert_eq!(fields_of("Payee").count(), 2);
    }
}
