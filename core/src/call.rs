//! The call table: every API call the SDK makes, with the facts the rest of the core derives
//! from (the bridge's method names, method and path, which calls are signed and keyed, which
//! can be re-submitted, what each answers).

use crate::error::Error;
use crate::http::Method;
use crate::idempotency::IdempotencyKey;
use crate::operation::Call;

/// The kind of resource a call answers with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ReplyKind {
    CashIn,
    /// The refund's `202` (`model::refund::Refund`): less than a whole cash-in is documented.
    Refund,
    CashOut,
    Balance,
    Rebalance,
}

/// One row of the table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CallSpec {
    pub kind: CallKind,
    /// The bridge's method name (`cashOut.create`), as both bindings name the call.
    pub name: &'static str,
    pub method: Method,
    /// The path template (`/cash-out/{id}`); `{id}` is the only parameter.
    pub path: &'static str,
    /// The path has an `{id}`.
    pub takes_id: bool,
    /// Sends an `X-Idempotency-Key` (the same on every attempt); such a call can be
    /// re-submitted unchanged after an unknown outcome.
    pub keyed: bool,
    /// Sends the `DigitalSignature` header (reference §3.1).
    pub signed: bool,
    /// May be sent again after an attempt that may have been applied: GETs read, keyed POSTs
    /// are deduplicated by their key, a rebalance sets a target (not a delta).
    pub safe_to_retry: bool,
    /// Has a JSON body.
    pub has_body: bool,
    pub reply: ReplyKind,
}

/// The calls, one per row of [`CALLS`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CallKind {
    CreateCashIn,
    GetCashIn,
    RefundCashIn,
    CreateCashOut,
    GetCashOut,
    GetBalance,
    Rebalance,
}

const fn row(
    kind: CallKind,
    name: &'static str,
    method: Method,
    path: &'static str,
    keyed: bool,
    signed: bool,
    reply: ReplyKind,
) -> CallSpec {
    let post = matches!(method, Method::Post);
    CallSpec {
        kind,
        name,
        method,
        path,
        takes_id: contains_id(path),
        keyed,
        signed,
        safe_to_retry: !post || keyed || matches!(kind, CallKind::Rebalance),
        has_body: post,
        reply,
    }
}

/// The table. Order: the bridge lists methods in this order, and each row sits at the index
/// of its [`CallKind`].
#[rustfmt::skip]
pub const CALLS: [CallSpec; 7] = [
    //   kind                     name                 method        path                    keyed  signed reply
    row(CallKind::CreateCashIn,  "cashIn.create",     Method::Post, "/cash-in",             true,  false, ReplyKind::CashIn),
    row(CallKind::GetCashIn,     "cashIn.get",        Method::Get,  "/cash-in/{id}",        false, false, ReplyKind::CashIn),
    row(CallKind::RefundCashIn,  "cashIn.refund",     Method::Post, "/cash-in/{id}/refund", true,  true,  ReplyKind::Refund),
    row(CallKind::CreateCashOut, "cashOut.create",    Method::Post, "/cash-out",            true,  true,  ReplyKind::CashOut),
    row(CallKind::GetCashOut,    "cashOut.get",       Method::Get,  "/cash-out/{id}",       false, false, ReplyKind::CashOut),
    row(CallKind::GetBalance,    "account.balance",   Method::Get,  "/account/balance",     false, false, ReplyKind::Balance),
    row(CallKind::Rebalance,     "account.rebalance", Method::Post, "/account/rebalance",   false, true,  ReplyKind::Rebalance),
];

/// Every method name, in table order.
pub const METHODS: [&str; CALLS.len()] = {
    let mut out = [""; CALLS.len()];
    let mut i = 0;
    while i < CALLS.len() {
        out[i] = CALLS[i].name;
        i += 1;
    }
    out
};

const KEYED: usize = {
    let mut n = 0;
    let mut i = 0;
    while i < CALLS.len() {
        if CALLS[i].keyed {
            n += 1;
        }
        i += 1;
    }
    n
};

/// The calls that can be re-submitted with the key they used: the keyed ones.
pub const RESUBMIT_METHODS: [&str; KEYED] = {
    let mut out = [""; KEYED];
    let (mut i, mut j) = (0, 0);
    while i < CALLS.len() {
        if CALLS[i].keyed {
            out[j] = CALLS[i].name;
            j += 1;
        }
        i += 1;
    }
    out
};

/// The bridge parameter of [`PreparedCall::possibly_applied`] (beside `idempotencyKey`): what a
/// binding's `resubmit(error)` sends as `true`.
pub const POSSIBLY_APPLIED: &str = "possiblyApplied";

const fn contains_id(path: &str) -> bool {
    let b = path.as_bytes();
    let mut i = 0;
    while i + 4 <= b.len() {
        if b[i] == b'{' && b[i + 1] == b'i' && b[i + 2] == b'd' && b[i + 3] == b'}' {
            return true;
        }
        i += 1;
    }
    false
}

impl CallKind {
    /// Its row of the table.
    pub const fn spec(self) -> &'static CallSpec {
        &CALLS[self as usize]
    }

    /// The call a bridge method name names.
    pub fn from_name(name: &str) -> Option<CallKind> {
        CALLS
            .iter()
            .find(|spec| spec.name == name)
            .map(|spec| spec.kind)
    }
}

impl CallSpec {
    /// The path with its `{id}` filled in (the id is validated before this is called).
    pub fn path_with(&self, id: Option<&str>) -> String {
        match id {
            Some(id) if self.takes_id => self.path.replacen("{id}", id, 1),
            _ => self.path.to_owned(),
        }
    }
}

/// A call parsed, validated and serialised once: what the bridge hands to
/// [`crate::Operation::new`], which then has nothing left to check or encode. Every attempt
/// of the operation sends these bytes with one idempotency key. `Debug` names the call and
/// the body's length only: the body holds personal data.
#[derive(Clone)]
pub struct PreparedCall {
    call: Call,
    /// The JSON body (POSTs), in its wire form (a PIX key normalised to its letter case).
    body: Option<Vec<u8>>,
    /// The caller's key, checked; `None` lets the operation draw one (keyed calls only).
    idempotency_key: Option<IdempotencyKey>,
    /// A re-submission of a call that may already have been applied
    /// ([`PreparedCall::possibly_applied`]).
    possibly_applied: bool,
}

impl PreparedCall {
    /// Validates `call` (every rule, the caller's idempotency key included) and serialises its
    /// body; the error names the first bad field.
    pub fn new(call: Call) -> Result<PreparedCall, Error> {
        let (body, idempotency_key) = crate::operation::prepare_parts(&call)?;
        Ok(PreparedCall {
            call,
            body,
            idempotency_key,
            possibly_applied: false,
        })
    }

    /// Marks the call as the re-submission, with the key it used, of a call that may already
    /// have been applied: the operation starts with its sticky "may have been applied" flag
    /// set, so every error it ends with is outcome unknown (this operation's own attempts being
    /// refused says nothing about the earlier ones), while a success, the server's replay of
    /// the original included, is reported as usual. Both bindings' `resubmit(error)` set it on
    /// every re-submission: whatever the error said, another submission with that key (an
    /// earlier re-submission of the same error, or one running beside it) may have been
    /// applied. Only for the keyed calls, and only with the caller's key: a new key could pay
    /// twice.
    pub fn possibly_applied(mut self) -> Result<PreparedCall, Error> {
        if !self.call.takes_idempotency_key() {
            return Err(Error::validation(
                POSSIBLY_APPLIED,
                format!(
                    "is only used by {}",
                    crate::model::one_of(&RESUBMIT_METHODS)
                ),
            ));
        }
        if self.idempotency_key.is_none() {
            return Err(Error::validation(
                "idempotencyKey",
                "is required to re-submit a call that may have been applied: send the key it \
                 used, never a new one",
            ));
        }
        self.possibly_applied = true;
        Ok(self)
    }

    /// Whether this is the re-submission of a call that may have been applied.
    pub fn is_possibly_applied(&self) -> bool {
        self.possibly_applied
    }

    pub fn call(&self) -> &Call {
        &self.call
    }

    /// The serialised body, if the call has one.
    pub fn body(&self) -> Option<&[u8]> {
        self.body.as_deref()
    }

    /// The typed call, without its prepared body.
    pub fn into_call(self) -> Call {
        self.call
    }

    pub(crate) fn into_parts(self) -> (Call, Option<Vec<u8>>, Option<IdempotencyKey>, bool) {
        (
            self.call,
            self.body,
            self.idempotency_key,
            self.possibly_applied,
        )
    }
}

impl std::fmt::Debug for PreparedCall {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PreparedCall")
            .field("name", &self.call.name())
            .field(
                "body",
                &format_args!(
                    "<{} bytes, redacted>",
                    self.body.as_ref().map_or(0, Vec::len)
                ),
            )
            .field("caller_key", &self.idempotency_key.is_some())
            .field("possibly_applied", &self.possibly_applied)
            .finish()
    }
}

/// What [`crate::Operation::new`] takes: a [`PreparedCall`], or a bare [`Call`] that is
/// prepared there (a bad one then ends the operation at its first poll, before any send).
#[derive(Debug, Clone)]
pub enum CallInput {
    Prepared(PreparedCall),
    Unprepared(Call),
}

impl From<PreparedCall> for CallInput {
    fn from(prepared: PreparedCall) -> CallInput {
        CallInput::Prepared(prepared)
    }
}

impl From<Call> for CallInput {
    fn from(call: Call) -> CallInput {
        CallInput::Unprepared(call)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_are_in_kind_order() {
        for (i, spec) in CALLS.iter().enumerate() {
            assert_eq!(spec.kind as usize, i, "{}", spec.name);
            assert_eq!(CallKind::from_name(spec.name), Some(spec.kind));
        }
        assert_eq!(CallKind::from_name("nope"), None);
    }

    #[test]
    fn derived_columns() {
        let spec = CallKind::RefundCashIn.spec();
        assert!(spec.takes_id && spec.keyed && spec.signed && spec.has_body);
        assert_eq!(spec.path_with(Some("US7B1JQ")), "/cash-in/US7B1JQ/refund");
        assert!(!CallKind::GetBalance.spec().takes_id);
        assert_eq!(
            RESUBMIT_METHODS,
            ["cashIn.create", "cashIn.refund", "cashOut.create"]
        );
        assert!(CALLS.iter().all(|c| c.safe_to_retry));
    }
}
