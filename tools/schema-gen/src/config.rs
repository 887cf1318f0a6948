//! What the core's source cannot say: which bodies are requests, and the names each language
//! has published (users import them, so they stay).

/// Request bodies the caller builds (the `request` of each `operation::Call`). Their own types
/// become the TS `…Params`; Python takes them as keyword arguments, so only the types nested in
/// them become Python classes.
pub const REQUESTS: &[&str] = &["CreateCashIn", "RefundCashIn", "CreateCashOut", "Rebalance"];

/// TypeScript names that differ from the Rust ones.
pub const TS_NAMES: &[(&str, &str)] = &[
    ("CreateCashIn", "CreateCashInParams"),
    ("RefundCashIn", "RefundCashInParams"),
    ("CreateCashOut", "CreateCashOutParams"),
    ("Rebalance", "RebalanceParams"),
    ("OpenFinance", "OpenFinanceParams"),
    ("Failure", "CashOutFailure"),
    ("AccountBalance", "BankAccountBalance"),
];

/// Python names that differ from the Rust ones.
pub const PY_NAMES: &[(&str, &str)] = &[("PayerBankData", "BankData")];

/// Members `bridge::webhook_construct_event` adds to the event it hands the bindings:
/// (wire name, doc).
pub const WEBHOOK_EXTRA: &[(&str, &str)] = &[(
    "dedupeKey",
    "`eventType:transactionId:status`: X-Event-Id changes on every delivery attempt, so de-duplicate on this instead.",
)];

/// Hand-written Python methods added to a generated class (builders that read better than the
/// plain constructor), indented for the class body.
pub const PY_EXTRAS: &[(&str, &str)] = &[(
    "Destination",
    include_str!("../templates/destination_builders.py"),
)];

pub fn ts_name(rust: &str) -> String {
    lookup(TS_NAMES, rust)
}

pub fn py_name(rust: &str) -> String {
    lookup(PY_NAMES, rust)
}

fn lookup(table: &[(&str, &str)], rust: &str) -> String {
    table
        .iter()
        .find(|(from, _)| *from == rust)
        .map_or(rust, |(_, to)| to)
        .to_owned()
}
