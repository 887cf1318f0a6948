//! The webhook envelope `{eventType, eventAt, data}` and its five documented event types.
//!
//! `data` is a cash-in for `CASHIN_*` events and a cash-out for `CASHOUT_*` events; an event
//! type the docs don't list keeps its raw JSON.
//!
//! What an event must carry (docs/api-decisions.md, "Webhooks"): `eventType`, `eventAt`, and in
//! `data` the `transactionId` (the de-duplication key the docs name) and the `amount` (both in
//! every documented body). `status` is implied by the event type when `data` leaves it out
//! (`CASHIN_PAID` → `PAID`, …); a status that is present is kept as sent. Every other member
//! (`endToEndId`, `failure`, `payer.bankData`, timestamps, …) is optional, `null` or absent
//! alike: a signature-valid event is never refused for a member the docs show only sometimes. The envelope is read into a `Value` first and
//! `data` dispatched on `eventType` (no untagged enum or flatten: those buffer numbers in a way
//! that loses `arbitrary_precision` amounts).

use serde::de::{self, Deserialize, Deserializer};
use serde::ser::{Serialize, SerializeStruct, Serializer};
use serde_json::Value;

use super::cash_in::CashIn;
use super::cash_out::CashOut;
use super::one_pass::parse_answer;
use super::{join_path, string_enum};

string_enum! {
    /// What happened.
    EventType {
        CashInPaid = "CASHIN_PAID",
        CashInRefunded = "CASHIN_REFUNDED",
        CashOutCompleted = "CASHOUT_COMPLETED",
        CashOutFailed = "CASHOUT_FAILED",
        CashOutRefunded = "CASHOUT_REFUNDED",
    }
}

impl EventType {
    /// The resource status the event announces, used when `data` leaves `status` out.
    pub fn implied_status(&self) -> Option<&'static str> {
        match self {
            EventType::CashInPaid => Some("PAID"),
            EventType::CashInRefunded | EventType::CashOutRefunded => Some("REFUNDED"),
            EventType::CashOutCompleted => Some("COMPLETED"),
            EventType::CashOutFailed => Some("FAILED"),
            EventType::Unknown(_) => None,
        }
    }
}

/// A webhook delivery's body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookEvent {
    pub event_type: EventType,
    /// ISO 8601 UTC dispatch time, kept as sent.
    pub event_at: String,
    pub data: EventData,
}

/// The resource an event is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EventData {
    CashIn(CashIn),
    CashOut(CashOut),
    /// An event type the docs don't list: the raw `data`.
    Unknown(Value),
}

impl WebhookEvent {
    /// `transactionId` of the resource, when known.
    pub fn transaction_id(&self) -> Option<&str> {
        match &self.data {
            EventData::CashIn(cash_in) => Some(&cash_in.transaction_id),
            EventData::CashOut(cash_out) => Some(&cash_out.transaction_id),
            EventData::Unknown(raw) => raw.get("transactionId").and_then(Value::as_str),
        }
    }

    /// The resource's status as its wire string, when known.
    pub fn status(&self) -> Option<&str> {
        match &self.data {
            EventData::CashIn(cash_in) => Some(cash_in.status.as_str()),
            EventData::CashOut(cash_out) => Some(cash_out.status.as_str()),
            EventData::Unknown(raw) => raw.get("status").and_then(Value::as_str),
        }
    }

    /// Builds the event from an already parsed envelope.
    pub fn from_value(envelope: &Value) -> Result<WebhookEvent, String> {
        let Value::Object(members) = envelope else {
            return Err("the webhook body must be a JSON object".to_owned());
        };
        let event_type = match members.get("eventType") {
            Some(Value::String(name)) => EventType::from_wire(name),
            Some(_) => return Err("eventType: must be a string".to_owned()),
            None => return Err("eventType: is required".to_owned()),
        };
        let event_at = match members.get("eventAt") {
            Some(Value::String(at)) => at.clone(),
            Some(_) => return Err("eventAt: must be a string".to_owned()),
            None => return Err("eventAt: is required".to_owned()),
        };
        let data = members
            .get("data")
            .ok_or_else(|| "data: is required".to_owned())?;
        let at_data = |(field, message): (String, String)| {
            format!("{}: {message}", join_path("data", &field))
        };
        let with_status = |data: &Value| -> Value {
            let mut data = data.clone();
            if let (Value::Object(members), Some(status)) = (&mut data, event_type.implied_status())
                && members.get("status").is_none_or(Value::is_null)
            {
                members.insert("status".to_owned(), Value::String(status.to_owned()));
            }
            data
        };
        let data = match event_type {
            EventType::CashInPaid | EventType::CashInRefunded => EventData::CashIn(
                parse_answer(with_status(data).to_string().as_bytes()).map_err(at_data)?,
            ),
            EventType::CashOutCompleted | EventType::CashOutFailed | EventType::CashOutRefunded => {
                EventData::CashOut(
                    parse_answer(with_status(data).to_string().as_bytes()).map_err(at_data)?,
                )
            }
            EventType::Unknown(_) => EventData::Unknown(data.clone()),
        };
        Ok(WebhookEvent {
            event_type,
            event_at,
            data,
        })
    }
}

impl Serialize for WebhookEvent {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut envelope = serializer.serialize_struct("WebhookEvent", 3)?;
        envelope.serialize_field("eventType", &self.event_type)?;
        envelope.serialize_field("eventAt", &self.event_at)?;
        match &self.data {
            EventData::CashIn(cash_in) => envelope.serialize_field("data", cash_in)?,
            EventData::CashOut(cash_out) => envelope.serialize_field("data", cash_out)?,
            EventData::Unknown(raw) => envelope.serialize_field("data", raw)?,
        }
        envelope.end()
    }
}

impl<'de> Deserialize<'de> for WebhookEvent {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<WebhookEvent, D::Error> {
        let envelope = Value::deserialize(deserializer)?;
        WebhookEvent::from_value(&envelope).map_err(de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn data_follows_the_event_type() {
        let body = r#"{"eventType":"CASHOUT_FAILED","eventAt":"2026-03-10T14:22:18Z",
            "data":{"transactionId":"t1","status":"FAILED","amount":500,"endToEndId":null,
                    "failure":{"code":"PIX_KEY_NOT_FOUND"}}}"#;
        let event: WebhookEvent = serde_json::from_str(body).unwrap();
        let EventData::CashOut(cash_out) = &event.data else {
            panic!("{event:?}")
        };
        assert_eq!(cash_out.amount.centavos(), 50_000);
        assert_eq!(event.status(), Some("FAILED"));
        assert_eq!(event.transaction_id(), Some("t1"));
    }

    #[test]
    fn a_missing_status_is_implied_by_the_event_type() {
        let body = r#"{"eventType":"CASHOUT_COMPLETED","eventAt":"x",
            "data":{"transactionId":"t1","amount":5,"endToEndId":"E1","failure":null}}"#;
        let event: WebhookEvent = serde_json::from_str(body).unwrap();
        assert_eq!(event.status(), Some("COMPLETED"));
        let body = r#"{"eventType":"CASHIN_PAID","eventAt":"x","data":{"transactionId":"t1","amount":5,"status":null}}"#;
        let event: WebhookEvent = serde_json::from_str(body).unwrap();
        assert_eq!(event.status(), Some("PAID"));
        // A status that is sent wins: the resource may have moved on since.
        let body = r#"{"eventType":"CASHIN_PAID","eventAt":"x","data":{"transactionId":"t1","amount":5,"status":"REFUNDED"}}"#;
        let event: WebhookEvent = serde_json::from_str(body).unwrap();
        assert_eq!(event.status(), Some("REFUNDED"));
    }

    #[test]
    fn unknown_events_keep_the_raw_data() {
        let body = r#"{"eventType":"CASHIN_EXPIRED","eventAt":"x","data":{"transactionId":"t9","amount":1.005}}"#;
        let event: WebhookEvent = serde_json::from_str(body).unwrap();
        assert_eq!(
            event.event_type,
            EventType::Unknown("CASHIN_EXPIRED".into())
        );
        assert_eq!(event.transaction_id(), Some("t9"));
        // The raw number text survives a round trip untouched.
        assert!(serde_json::to_string(&event).unwrap().contains("1.005"));
    }

    #[test]
    fn a_bad_amount_in_data_names_the_path() {
        let body = r#"{"eventType":"CASHIN_PAID","eventAt":"x","data":{"transactionId":"t","status":"PAID","amount":1.005}}"#;
        let err = serde_json::from_str::<WebhookEvent>(body)
            .unwrap_err()
            .to_string();
        assert!(
            err.starts_with("data.amount: at most two decimal places"),
            "{err}"
        );
    }
}
