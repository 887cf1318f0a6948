//! The call table: every API call the SDK makes, with the facts the rest of the core derives
//! from (the bridge's method names, method and path, which calls are signed and keyed, which
//! can be re-submitted, what each answers).

use crate::http::Method;

/// The kind of resource a call answers with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ReplyKind {
    CashIn,
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
    row(CallKind::RefundCashIn,  "cashIn.refund",     Method::Post, "/cash-in/{id}/refund", true,  true,  ReplyKind::CashIn),
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
