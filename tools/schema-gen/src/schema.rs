//! The schema the emitters work from: the core's model types as the bindings receive them
//! (after `bridge` re-serialised them: camelCase keys, amounts as decimal strings).

use std::collections::{BTreeMap, BTreeSet};

/// A field's type, as far as a binding needs to know it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ty {
    Str,
    Bool,
    Int,
    /// An exact amount (`money::Amount` and any other type of `core/src/money*`, by name): a
    /// decimal string across the bridge.
    Decimal(String),
    /// `serde_json::Value`: anything.
    Any,
    List(Box<Ty>),
    /// A struct or a string enum of the model, by its Rust name.
    Named(String),
}

#[derive(Debug, Clone)]
pub struct Field {
    /// The Rust field name (`kind`).
    pub rust: String,
    /// The wire name after serde's renames (`type`).
    pub wire: String,
    pub doc: String,
    pub ty: Ty,
    /// `Option<T>`: the core may have no value.
    pub optional: bool,
    /// `skip_serializing_if`: the key is absent from the core's JSON when there is no value
    /// (never `null`).
    pub omitted_when_empty: bool,
}

#[derive(Debug, Clone)]
pub struct Struct {
    pub name: String,
    pub doc: String,
    pub fields: Vec<Field>,
}

#[derive(Debug, Clone)]
pub struct Variant {
    /// The Rust variant (`AwaitingPayment`).
    pub rust: String,
    /// The wire string (`AWAITING_PAYMENT`).
    pub wire: String,
}

/// A string enum with an `Unknown(String)` catch-all: open in every binding.
#[derive(Debug, Clone)]
pub struct StrEnum {
    pub name: String,
    pub doc: String,
    pub variants: Vec<Variant>,
}

/// One arm of the webhook `data` dispatch: these event types carry this resource.
#[derive(Debug, Clone)]
pub struct EventKind {
    /// The `EventData` variant (`CashIn`).
    pub variant: String,
    /// The model type inside it (`CashIn`).
    pub data: String,
    /// Wire names of the event types dispatched to it (`CASHIN_PAID`, …).
    pub events: Vec<String>,
}

/// The webhook envelope: `{eventType, eventAt, data}`.
#[derive(Debug, Clone)]
pub struct Webhook {
    /// The envelope struct (`WebhookEvent`) and its fields other than `data`.
    pub name: String,
    pub doc: String,
    pub fields: Vec<Field>,
    /// The enum of `eventType` (`EventType`).
    pub event_enum: String,
    pub kinds: Vec<EventKind>,
}

#[derive(Debug, Default)]
pub struct Schema {
    pub structs: BTreeMap<String, Struct>,
    pub enums: BTreeMap<String, StrEnum>,
    /// The reply types of API calls (`operation::Reply`'s variants), in declaration order.
    pub replies: Vec<String>,
    /// `Reply`'s variants and the type each holds (`Rebalance` → `RebalanceResult`).
    pub reply_variants: Vec<(String, String)>,
    pub webhook: Option<Webhook>,
    /// The amount types of `core/src/money*` and their docs.
    pub decimals: BTreeMap<String, String>,
}

/// Which way a type crosses the boundary.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// Only in request bodies the caller builds: the core refuses an unknown enum value there
    /// before anything is sent, so the types may be closed.
    Request,
    /// In what the core hands back (possibly also in requests): open enums, exact optionality.
    Response,
}

impl Schema {
    pub fn field_types<'a>(&'a self, name: &str) -> Vec<&'a Ty> {
        match self.structs.get(name) {
            Some(s) => s.fields.iter().map(|f| &f.ty).collect(),
            None => Vec::new(),
        }
    }

    /// Every named type reachable from `roots`, dependencies first (so each can be defined
    /// before it is used), then by name.
    pub fn reachable(&self, roots: &[String]) -> Vec<String> {
        let mut seen = BTreeSet::new();
        let mut order = Vec::new();
        for root in roots {
            self.visit(root, &mut seen, &mut order);
        }
        order
    }

    fn visit(&self, name: &str, seen: &mut BTreeSet<String>, order: &mut Vec<String>) {
        if !seen.insert(name.to_owned()) {
            return;
        }
        for ty in self.field_types(name) {
            if let Some(inner) = named(ty) {
                self.visit(inner, seen, order);
            }
        }
        order.push(name.to_owned());
    }

    /// The direction of every type reachable from the requests and the responses.
    pub fn directions(&self, requests: &[String]) -> BTreeMap<String, Direction> {
        let mut responses = self.replies.clone();
        if let Some(webhook) = &self.webhook {
            responses.push(webhook.event_enum.clone());
            responses.extend(webhook.kinds.iter().map(|k| k.data.clone()));
            responses.extend(
                webhook
                    .fields
                    .iter()
                    .filter_map(|f| named(&f.ty).map(str::to_owned)),
            );
        }
        let mut out = BTreeMap::new();
        for name in self.reachable(requests) {
            out.insert(name, Direction::Request);
        }
        for name in self.reachable(&responses) {
            out.insert(name, Direction::Response);
        }
        out
    }
}

/// The model type a field refers to, through lists.
pub fn named(ty: &Ty) -> Option<&str> {
    match ty {
        Ty::Named(name) => Some(name),
        Ty::List(inner) => named(inner),
        _ => None,
    }
}

/// The first sentence of a doc comment, with rustdoc's link brackets removed: what a TS or
/// Python reader needs, without the Rust-side notes that follow.
pub fn summary(doc: &str) -> String {
    let paragraph = doc.split("\n\n").next().unwrap_or_default();
    let flat = paragraph.split_whitespace().collect::<Vec<_>>().join(" ");
    let mut end = flat.len();
    let bytes = flat.as_bytes();
    for (i, window) in bytes.windows(2).enumerate() {
        if window[0] == b'.' && window[1] == b' ' {
            // Not an abbreviation such as "e.g. ".
            let before = &flat[..i];
            if !(before.ends_with("e.g") || before.ends_with("i.e") || before.ends_with("etc")) {
                end = i + 1;
                break;
            }
        }
    }
    let sentence = &flat[..end];
    sentence.replace("[`", "`").replace("`]", "`")
}

/// `transactionId` → `transaction_id`: the bridge's snake_case rule, used for Python names.
pub fn snake(wire: &str) -> String {
    connectpsp_core::bridge::naming::camel_to_snake(wire)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn summary_keeps_the_first_sentence() {
        assert_eq!(
            summary("Who pays a cash-in. In requests only `name`."),
            "Who pays a cash-in."
        );
        assert_eq!(
            summary("Bank name, e.g. `CELCOIN`.\n\nMore."),
            "Bank name, e.g. `CELCOIN`."
        );
        assert_eq!(
            summary("See [`Destination::pix`]"),
            "See `Destination::pix`"
        );
    }
}
