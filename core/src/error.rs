//! One set of error kinds, shared by every binding.
//!
//! The bindings map [`ErrorKind`] (and, for business rules, the API `code`) onto their own
//! exception classes through [`Error::class_name`], so both languages raise the same names.
//! No constructor here ever receives a secret: messages are built by the core from field
//! names, statuses and API problem bodies only.

use std::fmt;

/// What went wrong, independent of the language that surfaces it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// Bad input, rejected before anything was sent (or a 400 from the API).
    Validation,
    /// 401: wrong credentials, unknown ApplicationToken, or a token the API refused after one refresh.
    Authentication,
    /// 422 INVALID_SIGNATURE: the DigitalSignature was missing or wrong.
    Signature,
    /// 404: no transaction with that id for this application.
    NotFound,
    /// 409 duplicate externalReference, or an idempotency key reused with another body.
    Conflict,
    /// 422 with a business code (INSUFFICIENT_FUNDS, CASH_IN_NOT_PAID, …).
    BusinessRule,
    /// 429 after the retry budget was spent.
    RateLimited,
    /// 5xx after the retry budget was spent.
    Server,
    /// The per-attempt timeout or the overall deadline ran out.
    Timeout,
    /// The connection failed (refused, reset, closed without an answer).
    Connection,
    /// The API answered something the SDK cannot read.
    Decode,
    /// A webhook whose X-Connect-Signature does not match its body.
    WebhookSignature,
}

impl ErrorKind {
    /// Stable snake_case code, used in the binding JSON and in logs.
    pub fn code(self) -> &'static str {
        match self {
            ErrorKind::Validation => "validation",
            ErrorKind::Authentication => "authentication",
            ErrorKind::Signature => "signature",
            ErrorKind::NotFound => "not_found",
            ErrorKind::Conflict => "conflict",
            ErrorKind::BusinessRule => "business_rule",
            ErrorKind::RateLimited => "rate_limited",
            ErrorKind::Server => "server",
            ErrorKind::Timeout => "timeout",
            ErrorKind::Connection => "connection",
            ErrorKind::Decode => "decode",
            ErrorKind::WebhookSignature => "webhook_signature",
        }
    }
}

/// An error from the core. Every field is safe to log: no secret, no full document number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    pub kind: ErrorKind,
    /// Human-readable, secret-free explanation.
    pub message: String,
    /// HTTP status of the last response, when there was one.
    pub status: Option<u16>,
    /// The API's machine code (`INSUFFICIENT_FUNDS`, …) or, for validation, a core code.
    pub code: Option<String>,
    /// problem+json `title`.
    pub title: Option<String>,
    /// problem+json `detail`.
    pub detail: Option<String>,
    /// For validation errors: the path of the offending field (`payee.destination.pixKey`),
    /// in the naming convention of the caller.
    pub field: Option<String>,
    /// The X-Idempotency-Key the operation used, if any: re-submit with this key, never a new one.
    pub idempotency_key: Option<String>,
    /// True when a money-moving request may have reached the server but no answer was read.
    pub outcome_unknown: bool,
    /// Retry-After of the last 429/503, in milliseconds.
    pub retry_after_ms: Option<u64>,
    /// X-Request-Id of the last response, when the server sent one.
    pub request_id: Option<String>,
    /// How many HTTP attempts the operation made (0 when rejected before sending).
    pub attempts: u32,
}

impl Error {
    /// A bare error of `kind` with `message`; the other fields are filled by the builders below.
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Error {
        Error {
            kind,
            message: message.into(),
            status: None,
            code: None,
            title: None,
            detail: None,
            field: None,
            idempotency_key: None,
            outcome_unknown: false,
            retry_after_ms: None,
            request_id: None,
            attempts: 0,
        }
    }

    /// Invalid input at `field` (a dotted camelCase path such as `payee.document`).
    pub fn validation(field: impl Into<String>, message: impl Into<String>) -> Error {
        let field = field.into();
        let message = message.into();
        let mut e = Error::new(ErrorKind::Validation, format!("{field}: {message}"));
        e.code = Some("VALIDATION_ERROR".to_owned());
        e.detail = Some(message);
        e.field = Some(field);
        e
    }

    pub fn with_status(mut self, status: u16) -> Error {
        self.status = Some(status);
        self
    }

    pub fn with_code(mut self, code: impl Into<String>) -> Error {
        self.code = Some(code.into());
        self
    }

    pub fn with_idempotency_key(mut self, key: Option<String>) -> Error {
        self.idempotency_key = key;
        self
    }

    /// Name of the exception class both bindings raise for this error.
    ///
    /// Business rules get a dedicated subclass where users branch on them often.
    pub fn class_name(&self) -> &'static str {
        match self.kind {
            ErrorKind::Validation => "ValidationError",
            ErrorKind::Authentication => "AuthenticationError",
            ErrorKind::Signature => "SignatureError",
            ErrorKind::NotFound => "NotFoundError",
            ErrorKind::Conflict => "ConflictError",
            ErrorKind::BusinessRule => match self.code.as_deref() {
                Some("INSUFFICIENT_FUNDS") => "InsufficientFundsError",
                _ => "BusinessRuleError",
            },
            ErrorKind::RateLimited => "RateLimitError",
            ErrorKind::Server => "ServerError",
            ErrorKind::Timeout => "TimeoutError",
            ErrorKind::Connection => "ConnectionError",
            ErrorKind::Decode => "DecodeError",
            ErrorKind::WebhookSignature => "WebhookSignatureError",
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)?;
        if self.outcome_unknown {
            // The one place that tells the caller what to do about an unknown outcome.
            match &self.idempotency_key {
                Some(key) => write!(
                    f,
                    " (outcome unknown: the request may have been processed; re-submit with \
                     the same idempotency key {key}, never a new one)"
                )?,
                None => f.write_str(
                    " (outcome unknown: the request may have been processed; it is safe to send \
                     it again)",
                )?,
            }
        }
        Ok(())
    }
}

impl std::error::Error for Error {}

pub type Result<T, E = Error> = std::result::Result<T, E>;
